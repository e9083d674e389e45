# MSInnovations AllMySMS MMS plugin (../shared/providers/allmysms-mms.txt).
plugin_LTLIBRARIES += plugins/allmysms.la
plugins_allmysms_la_SOURCES = plugins/allmysms/allmysms.c
plugins_allmysms_la_CFLAGS = $(plugin_cflags) $(XML_CFLAGS)
plugins_allmysms_la_LIBADD = $(plugin_helpers) $(XML_LIBS)
plugins_allmysms_la_LDFLAGS = $(AM_LDFLAGS) $(plugin_ldflags)
