# smsmux-sim: loopback simulator of the provider APIs (docs/simulator.md).
# A provider module is one more tests/sim/sim_<name>.c here and one line in
# the registry of tests/sim/sim.c.
bin_PROGRAMS += smsmux-sim
smsmux_sim_SOURCES = tests/sim/sim.c tests/sim/sim.h tests/sim/sim_util.c \
	tests/sim/sim_smsmode.c tests/sim/sim_clever_http.c \
	tests/sim/sim_clever_rest.c tests/sim/sim_mediasflow.c \
	tests/sim/sim_allmysms.c tests/sim/sim_push.c
smsmux_sim_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(JSONC_CFLAGS) $(XML_CFLAGS) \
	$(CURL_CFLAGS)
smsmux_sim_LDADD = $(MHD_LIBS) $(JSONC_LIBS) $(XML_LIBS) $(CURL_LIBS) \
	$(PTHREAD_LIBS)

TESTS += tests/sim/sim-smsmode.sh
EXTRA_DIST += tests/sim/sim-smsmode.sh
EXTRA_DIST += docs/simulator.md

# receiver: a test HTTP server that logs what it is sent (callbacks,
# webhooks); the simulator's pushes are tested against it.
check_PROGRAMS += tests/receiver
tests_receiver_SOURCES = tests/receiver.c
tests_receiver_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(JSONC_CFLAGS)
tests_receiver_LDADD = $(MHD_LIBS) $(JSONC_LIBS) $(PTHREAD_LIBS)
TESTS += tests/sim/sim-push.sh
EXTRA_DIST += tests/sim/sim-push.sh
