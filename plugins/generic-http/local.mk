# generic-http: a provider described entirely in INI (docs/generic-http.md).
plugin_LTLIBRARIES += plugins/generic-http.la
plugins_generic_http_la_SOURCES = plugins/generic-http/generic-http.c
plugins_generic_http_la_CFLAGS = $(plugin_cflags) $(JSONC_CFLAGS)
plugins_generic_http_la_LIBADD = $(plugin_helpers) $(JSONC_LIBS)
plugins_generic_http_la_LDFLAGS = $(AM_LDFLAGS) $(plugin_ldflags)
EXTRA_DIST += docs/generic-http.md
