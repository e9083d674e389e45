# smsmuxd, the HTTP service.  Like the smsmux command it uses libsmsmux
# through <smsmux/smsmux.h> only: the include path holds include/, not
# core/ (tests/layering.sh checks the includes).
sbin_PROGRAMS += smsmuxd
smsmuxd_SOURCES = daemon/smsmuxd.c daemon/daemon.h daemon/server.c \
	daemon/api.c daemon/json_in.c daemon/kannel.c daemon/metrics.c \
	daemon/tenants.c \
	daemon/hooks.c
smsmuxd_CPPFLAGS = -I$(top_srcdir)/include -D_GNU_SOURCE
smsmuxd_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(JSONC_CFLAGS) $(PTHREAD_CFLAGS)
smsmuxd_LDADD = core/libsmsmux.la $(MHD_LIBS) $(JSONC_LIBS) $(PTHREAD_LIBS)
