# The smsmux command.  It uses libsmsmux through <smsmux/smsmux.h> only:
# the include path holds include/ and not core/, so an internal header
# cannot slip in.
bin_PROGRAMS += smsmux
smsmux_SOURCES = cli/cli.c cli/cli.h cli/args.c cli/send.c cli/batch.c \
	cli/tenant.c
smsmux_CPPFLAGS = -I$(top_srcdir)/include -DSYSCONFDIR='"$(sysconfdir)"'
smsmux_LDADD = core/libsmsmux.la
smsmux_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
smsmux_LDADD += $(JSONC_LIBS)
