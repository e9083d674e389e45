#!/bin/sh
# The store's suite (tests/test_store.c) on PostgreSQL: a private server
# (tests/pg.sh), an empty database for the suite, one more for the
# racing first opens, one holding another application's table.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg.sh"
pg_start
pg_createdb fresh
pg_createdb smsmux_other
"$top_builddir/tests/test_store" "$PG_URL" "$(pg_url fresh)" >"$TMP/out" 2>&1
rc=$?
cat "$TMP/out"
assert_eq 0 "$rc" "test_store on PostgreSQL: every check passed"
assert_contains "$(cat "$TMP/out")" " passed, 0 failed" "test_store on PostgreSQL: ran"
finish
