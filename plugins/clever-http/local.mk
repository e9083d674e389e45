# Clever FrontalHttpMultimedias plugin (../shared/providers/clever-http-frontal.txt).
plugin_LTLIBRARIES += plugins/clever-http.la
plugins_clever_http_la_SOURCES = plugins/clever-http/clever-http.c \
	plugins/clever-common/clever-common.h
plugins_clever_http_la_CFLAGS = $(plugin_cflags)
plugins_clever_http_la_LIBADD = $(plugin_helpers)
plugins_clever_http_la_LDFLAGS = $(AM_LDFLAGS) $(plugin_ldflags)
EXTRA_DIST += docs/providers/clever-http.md
