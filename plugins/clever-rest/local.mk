# Clever REST plugin (../shared/providers/clever-rest.txt).
plugin_LTLIBRARIES += plugins/clever-rest.la
plugins_clever_rest_la_SOURCES = plugins/clever-rest/clever-rest.c \
	plugins/clever-common/clever-common.h
plugins_clever_rest_la_CFLAGS = $(plugin_cflags) $(JSONC_CFLAGS)
plugins_clever_rest_la_LIBADD = $(plugin_helpers) $(JSONC_LIBS)
plugins_clever_rest_la_LDFLAGS = $(AM_LDFLAGS) $(plugin_ldflags)
EXTRA_DIST += docs/providers/clever-rest.md
