# Mediasflow API SMS v2.3 plugin (../shared/providers/mediasflow-rest.txt).
plugin_LTLIBRARIES += plugins/mediasflow.la
plugins_mediasflow_la_SOURCES = plugins/mediasflow/mediasflow.c
plugins_mediasflow_la_CFLAGS = $(plugin_cflags) $(JSONC_CFLAGS) -pthread
plugins_mediasflow_la_LIBADD = $(plugin_helpers) $(JSONC_LIBS) $(PTHREAD_LIBS)
plugins_mediasflow_la_LDFLAGS = $(AM_LDFLAGS) $(plugin_ldflags)
EXTRA_DIST += docs/providers/mediasflow.md
