# smsmux-sim: loopback simulator of the provider APIs.
bin_PROGRAMS += smsmux-sim
smsmux_sim_SOURCES = tests/sim/sim.c tests/sim/sim.h tests/sim/sim_smsmode.c
smsmux_sim_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(JSONC_CFLAGS)
smsmux_sim_LDADD = $(MHD_LIBS) $(JSONC_LIBS) $(PTHREAD_LIBS)
