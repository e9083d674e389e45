# libsmsmux.
lib_LTLIBRARIES += core/libsmsmux.la
pkginclude_HEADERS += include/smsmux/smsmux.h include/smsmux/provider.h
core_libsmsmux_la_SOURCES = \
	core/util.c core/util.h \
	core/log.c core/log.h \
	core/redact.c core/redact.h \
	core/charset.c core/charset.h \
	core/msg.c core/msg.h \
	core/credit.c core/credit.h \
	core/recipients.c \
	core/result_json.c \
	core/webhook.c core/webhook.h \
	core/cfg.c core/cfg.h \
	core/store.c core/store.h core/store_backend.h \
	core/store_dispatch.c core/store_pg.c \
	core/health.c core/health.h \
	core/httpc.c core/httpc.h \
	core/loader.c core/loader.h \
	core/instance.c core/instance.h \
	core/host.c core/host_http.c core/host.h \
	core/router.c core/router.h \
	core/engine.c core/engine.h \
	core/tenant.c core/tenant.h \
	core/queue.c \
	core/notify.c \
	core/ops.c \
	core/batch.c \
	core/smsmux.c
core_libsmsmux_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(XML_CFLAGS) \
	$(SQLITE_CFLAGS) $(PQ_CFLAGS) $(JSONC_CFLAGS) $(CRYPTO_CFLAGS)
core_libsmsmux_la_LIBADD = $(CURL_LIBS) $(XML_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) $(JSONC_LIBS) \
	$(LTDL_LIBS) $(INIPARSER_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)
# 1:0:0 since 0.2: smsmux_attempt grew (skipped), smsmux_options too (the
# file policy): an application built against 0.1 must be rebuilt
core_libsmsmux_la_LDFLAGS = $(AM_LDFLAGS) -version-info 1:0:0 -no-undefined
# The PostgreSQL store's guide.
EXTRA_DIST += docs/SCALING.md
