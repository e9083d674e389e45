# smsmux-sim: loopback simulator of the provider APIs (docs/simulator.md).
# A provider module is one more tests/sim/sim_<name>.c here and one line in
# the registry of tests/sim/sim.c.
bin_PROGRAMS += smsmux-sim
smsmux_sim_SOURCES = tests/sim/sim.c tests/sim/sim.h tests/sim/sim_util.c \
	tests/sim/sim_smsmode.c tests/sim/sim_clever_http.c \
	tests/sim/sim_clever_rest.c tests/sim/sim_mediasflow.c \
	tests/sim/sim_allmysms.c
smsmux_sim_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(JSONC_CFLAGS) $(XML_CFLAGS)
smsmux_sim_LDADD = $(MHD_LIBS) $(JSONC_LIBS) $(XML_LIBS) $(PTHREAD_LIBS)

TESTS += tests/sim/sim-smsmode.sh
EXTRA_DIST += tests/sim/sim-smsmode.sh
EXTRA_DIST += docs/simulator.md
