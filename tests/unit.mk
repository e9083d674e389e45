# C unit tests (TAP-like output, see tests/check.h).
# test_msg: core/msg.c, core/charset.c and core/util.c, compiled in directly
# so the test does not need the rest of libsmsmux.
check_PROGRAMS += tests/test_msg
tests_test_msg_SOURCES = tests/test_msg.c tests/check.h \
	core/msg.c core/msg.h core/charset.c core/charset.h \
	core/util.c core/util.h
tests_test_msg_CFLAGS = $(AM_CFLAGS)
TESTS += tests/test_msg
check_PROGRAMS += tests/test_store
tests_test_store_SOURCES = tests/test_store.c core/store.c \
	core/store_dispatch.c core/store_pg.c core/store_backend.h
tests_test_store_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(PQ_CFLAGS)
tests_test_store_LDADD = $(SQLITE_LIBS) $(PQ_LIBS) $(PTHREAD_LIBS)
TESTS += tests/test_store
# the same suite on PostgreSQL (a private server started by tests/pg.sh)
TESTS += tests/store-pg.sh
EXTRA_DIST += tests/store-pg.sh tests/pg.sh
# test_host: the host table's shared parsing helpers (linked against the
# library, which exports host_table).
check_PROGRAMS += tests/test_host
tests_test_host_SOURCES = tests/test_host.c tests/check.h
tests_test_host_CFLAGS = $(AM_CFLAGS)
tests_test_host_LDADD = core/libsmsmux.la
TESTS += tests/test_host
# test_router: the router is a pure function: linked with its own layer and
# those below it (cfg for prices, util), no store, plugin or HTTP.
check_PROGRAMS += tests/test_router
tests_test_router_SOURCES = tests/test_router.c tests/check.h \
	core/router.c core/cfg.c core/util.c
tests_test_router_CFLAGS = $(AM_CFLAGS)
tests_test_router_LDADD = $(INIPARSER_LIBS) $(PTHREAD_LIBS)
TESTS += tests/test_router
# test_embed: an application using libcurl and libxml2 itself around two
# smsmux open/close rounds (run by tests/embed.sh with the simulator).
check_PROGRAMS += tests/test_embed
tests_test_embed_SOURCES = tests/test_embed.c tests/check.h
tests_test_embed_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(XML_CFLAGS)
tests_test_embed_LDADD = core/libsmsmux.la $(CURL_LIBS) $(XML_LIBS)
TESTS += tests/embed.sh
EXTRA_DIST += tests/embed.sh
# test_oom: each allocation of the library and its plugin failing in turn
# around smsmux_open + smsmux_send (run by tests/oom.sh with the
# simulator); it defines malloc & co. itself, hence -export-dynamic.
check_PROGRAMS += tests/test_oom
tests_test_oom_SOURCES = tests/test_oom.c tests/check.h
tests_test_oom_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(XML_CFLAGS)
tests_test_oom_LDFLAGS = -export-dynamic
tests_test_oom_LDADD = core/libsmsmux.la $(CURL_LIBS) $(XML_LIBS) -ldl
TESTS += tests/oom.sh
EXTRA_DIST += tests/oom.sh
# The layering check (docs/ARCHITECTURE.md "Layers").
TESTS += tests/layering.sh
EXTRA_DIST += tests/layering.sh docs/ARCHITECTURE.md
# test_recipients: the recipient file reader, ${COLUMN} templates and text
# files (core/recipients.c and core/charset.c compiled in).
check_PROGRAMS += tests/test_recipients
tests_test_recipients_SOURCES = tests/test_recipients.c tests/check.h \
	core/recipients.c core/charset.c core/charset.h
tests_test_recipients_CFLAGS = $(AM_CFLAGS)
TESTS += tests/test_recipients
# test_result_json: the --json documents built from hand-made results
# (linked against the library).
check_PROGRAMS += tests/test_result_json
tests_test_result_json_SOURCES = tests/test_result_json.c tests/check.h
tests_test_result_json_CFLAGS = $(AM_CFLAGS)
tests_test_result_json_LDADD = core/libsmsmux.la -lm
TESTS += tests/test_result_json
# test_redact: secret masking (core/redact.c and core/util.c compiled in).
check_PROGRAMS += tests/test_redact
tests_test_redact_SOURCES = tests/test_redact.c tests/check.h \
	core/redact.c core/redact.h core/util.c core/util.h
tests_test_redact_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_test_redact_LDADD = $(JSONC_LIBS)
TESTS += tests/test_redact
# test_queue: the durable queue's API against the simulator (tests/queue.sh).
check_PROGRAMS += tests/test_queue
tests_test_queue_SOURCES = tests/test_queue.c tests/check.h
tests_test_queue_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(SQLITE_CFLAGS) \
	$(PQ_CFLAGS)
tests_test_queue_LDADD = core/libsmsmux.la $(JSONC_LIBS) $(SQLITE_LIBS) \
	$(PQ_LIBS)
TESTS += tests/queue.sh
EXTRA_DIST += tests/queue.sh
# test_push: notifications a provider pushes, read by its plugin.
check_PROGRAMS += tests/test_push
tests_test_push_SOURCES = tests/test_push.c tests/check.h tests/query.h
tests_test_push_LDADD = core/libsmsmux.la
TESTS += tests/push.sh
EXTRA_DIST += tests/push.sh
# test_credit: keys, the token bucket (a hand-held clock), allowed lists and
# plan prices (core/credit.c and cfg_plan_units, linked from the library).
check_PROGRAMS += tests/test_credit
tests_test_credit_SOURCES = tests/test_credit.c tests/check.h
tests_test_credit_CFLAGS = $(AM_CFLAGS)
tests_test_credit_LDADD = core/libsmsmux.la
TESTS += tests/test_credit
# test_webhook: the pure pieces of event delivery (core/webhook.c compiled
# in): the webhook body and signature, the retry schedule, Kannel's dlr-url.
check_PROGRAMS += tests/test_webhook
tests_test_webhook_SOURCES = tests/test_webhook.c tests/check.h \
	core/webhook.c core/webhook.h core/msg.c core/msg.h core/charset.c \
	core/charset.h core/util.c core/util.h
tests_test_webhook_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(CRYPTO_CFLAGS)
tests_test_webhook_LDADD = $(JSONC_LIBS) $(CRYPTO_LIBS)
TESTS += tests/test_webhook
# loop_tool: the library's issue-13 calls for tests/loop.sh (opt-outs,
# hooks, the notifier, queued sends with a callback_url).
check_PROGRAMS += tests/loop_tool
tests_loop_tool_SOURCES = tests/loop_tool.c tests/query.h
tests_loop_tool_LDADD = core/libsmsmux.la
TESTS += tests/loop.sh
EXTRA_DIST += tests/loop.sh
TESTS += tests/loop-pg.sh
EXTRA_DIST += tests/loop-pg.sh
