# Fuzz regression: replay the seed corpus and every crash found so far
# (tests/fuzz/corpus/NAME/, tests/fuzz/crashes/NAME/) through the libFuzzer
# harness, built with the normal compiler and a small main.  One program
# per plugin: the harness + that plugin's source, built in (not loaded).
# The fuzzing itself is tests/fuzz/run.sh (clang); see docs/fuzzing.md.
fuzz_cflags = $(plugin_cflags) $(JSONC_CFLAGS) $(XML_CFLAGS)
fuzz_ldadd = core/libsmsmux.la $(JSONC_LIBS) $(XML_LIBS)
fuzz_sources = tests/fuzz/fuzz_plugin.c tests/fuzz/replay_main.c \
	tests/fuzz/fuzz.h

check_PROGRAMS += tests/fuzz/replay-smsmode
tests_fuzz_replay_smsmode_SOURCES = $(fuzz_sources) plugins/smsmode/smsmode.c
tests_fuzz_replay_smsmode_CFLAGS = $(fuzz_cflags)
tests_fuzz_replay_smsmode_LDADD = $(fuzz_ldadd)

check_PROGRAMS += tests/fuzz/replay-clever-http
tests_fuzz_replay_clever_http_SOURCES = $(fuzz_sources) \
	plugins/clever-http/clever-http.c
tests_fuzz_replay_clever_http_CFLAGS = $(fuzz_cflags)
tests_fuzz_replay_clever_http_LDADD = $(fuzz_ldadd)

check_PROGRAMS += tests/fuzz/replay-clever-rest
tests_fuzz_replay_clever_rest_SOURCES = $(fuzz_sources) \
	plugins/clever-rest/clever-rest.c
tests_fuzz_replay_clever_rest_CFLAGS = $(fuzz_cflags)
tests_fuzz_replay_clever_rest_LDADD = $(fuzz_ldadd)

check_PROGRAMS += tests/fuzz/replay-mediasflow
tests_fuzz_replay_mediasflow_SOURCES = $(fuzz_sources) \
	plugins/mediasflow/mediasflow.c
tests_fuzz_replay_mediasflow_CFLAGS = $(fuzz_cflags)
tests_fuzz_replay_mediasflow_LDADD = $(fuzz_ldadd)

check_PROGRAMS += tests/fuzz/replay-allmysms
tests_fuzz_replay_allmysms_SOURCES = $(fuzz_sources) \
	plugins/allmysms/allmysms.c
tests_fuzz_replay_allmysms_CFLAGS = $(fuzz_cflags)
tests_fuzz_replay_allmysms_LDADD = $(fuzz_ldadd)

check_PROGRAMS += tests/fuzz/replay-generic-http
tests_fuzz_replay_generic_http_SOURCES = $(fuzz_sources) \
	plugins/generic-http/generic-http.c
tests_fuzz_replay_generic_http_CFLAGS = $(fuzz_cflags)
tests_fuzz_replay_generic_http_LDADD = $(fuzz_ldadd)

TESTS += tests/fuzz/replay.sh
EXTRA_DIST += tests/fuzz/replay.sh tests/fuzz/run.sh tests/fuzz/mkseed.sh \
	tests/fuzz/seeds.sh tests/fuzz/corpus tests/fuzz/crashes docs/fuzzing.md

# smsmuxd's JSON request parser (daemon/json_in.c): no plugin, no core.
check_PROGRAMS += tests/fuzz/replay-json-in
tests_fuzz_replay_json_in_SOURCES = tests/fuzz/fuzz_json_in.c \
	tests/fuzz/replay_main.c tests/fuzz/fuzz.h daemon/json_in.c
tests_fuzz_replay_json_in_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon \
	-D_GNU_SOURCE
tests_fuzz_replay_json_in_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fuzz_replay_json_in_LDADD = $(JSONC_LIBS)
