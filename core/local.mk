# libsmsmux.
lib_LTLIBRARIES += core/libsmsmux.la
pkginclude_HEADERS += include/smsmux/smsmux.h include/smsmux/provider.h
core_libsmsmux_la_SOURCES = \
	core/smsmux.c core/internal.h core/batch.c \
	core/cfg.c core/cfg.h \
	core/loader.c core/loader.h \
	core/host.c core/host.h \
	core/http.c core/http.h \
	core/msg.c core/msg.h \
	core/charset.c core/charset.h \
	core/recipients.c core/result_json.c \
	core/state.c core/state.h \
	core/router.c core/router.h \
	core/util.c core/util.h
core_libsmsmux_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(XML_CFLAGS) \
	$(SQLITE_CFLAGS) $(JSONC_CFLAGS)
core_libsmsmux_la_LIBADD = $(CURL_LIBS) $(XML_LIBS) $(SQLITE_LIBS) $(JSONC_LIBS) \
	$(LTDL_LIBS) $(INIPARSER_LIBS) $(PTHREAD_LIBS)
core_libsmsmux_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 -no-undefined
