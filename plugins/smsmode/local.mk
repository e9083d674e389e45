# sMsmode HTTP API 1.6 plugin (../shared/providers/smsmode-http.txt).
plugin_LTLIBRARIES += plugins/smsmode.la
plugins_smsmode_la_SOURCES = plugins/smsmode/smsmode.c
plugins_smsmode_la_CFLAGS = $(plugin_cflags) $(JSONC_CFLAGS)
plugins_smsmode_la_LIBADD = $(plugin_helpers) $(JSONC_LIBS)
plugins_smsmode_la_LDFLAGS = $(AM_LDFLAGS) $(plugin_ldflags)
