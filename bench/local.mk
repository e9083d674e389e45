# The benchmark (issues 6 and 10, docs/PERFORMANCE.md): `make bench`.  Its two
# programs are built on demand only (not by `make` or `make check`).
EXTRA_PROGRAMS = bench/bench_send bench/bare_curl bench/http_submit
bench_bench_send_SOURCES = bench/bench_send.c
bench_bench_send_LDADD = core/libsmsmux.la
bench_bare_curl_SOURCES = bench/bare_curl.c
bench_bare_curl_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
bench_bare_curl_LDADD = $(CURL_LIBS) $(PTHREAD_LIBS)
bench_http_submit_SOURCES = bench/http_submit.c
bench_http_submit_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
bench_http_submit_LDADD = $(CURL_LIBS) $(PTHREAD_LIBS)
CLEANFILES += bench/bench_send$(EXEEXT) bench/bare_curl$(EXEEXT) \
	bench/http_submit$(EXEEXT)
EXTRA_DIST += bench/run.sh bench/fake.sh bench/kannel.sh bench/daemon.sh \
	bench/nodes.sh docs/PERFORMANCE.md

bench: all bench/bench_send$(EXEEXT) bench/bare_curl$(EXEEXT) \
		bench/http_submit$(EXEEXT)
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(top_srcdir)/bench/run.sh
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(top_srcdir)/bench/daemon.sh
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(top_srcdir)/bench/nodes.sh

# Only the several-nodes part (docs/SCALING.md): 1, 2, 3 smsmuxd on one
# PostgreSQL and the SQLite node, side by side.
bench-nodes: all bench/http_submit$(EXEEXT)
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(top_srcdir)/bench/nodes.sh

.PHONY: bench bench-nodes
