#!/bin/sh
# The store's suite (tests/test_store.c) on PostgreSQL: a private server
# (tests/pg.sh), an empty database for the suite, one more for the
# racing first opens, one for a store of schema 1 to migrate, one holding
# another application's table.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg.sh"
pg_start
pg_createdb fresh
pg_createdb smsmux_other
pg_createdb v1
"$top_builddir/tests/test_store" "$PG_URL" "$(pg_url fresh)" "$(pg_url v1)" >"$TMP/out" 2>&1
rc=$?
cat "$TMP/out"
assert_eq 0 "$rc" "test_store on PostgreSQL: every check passed"
assert_contains "$(cat "$TMP/out")" " passed, 0 failed" "test_store on PostgreSQL: ran"

# [smsmux] store through the command: the key's checks, a send recorded
# in PostgreSQL, its --ref a duplicate from another state_dir (the store is
# the database, not the directory), and the password never shown.
sim_start
conf() { # conf NAME STORE_VALUE
  write_config "$1.ini" <<EOF2
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-$1
store = $2
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = env:SMSMUX_TEST_TOKEN
EOF2
}
SMSMUX_TEST_TOKEN=demo-token
export SMSMUX_TEST_TOKEN
pg_createdb cli
pw_url=$(pg_url cli | sed "s|^postgresql://$PG_USER@|postgresql://$PG_USER:s3cret-pw@|")

conf notset env:SMSMUX_TEST_NO_SUCH_VAR
run_smsmux --config "$TMP/notset.ini" --json send --to 0612345678 --text hi
assert_eq 2 "$RC" "store = env:UNSET: a configuration error"
assert_contains "$ERR$OUT" "SMSMUX_TEST_NO_SUCH_VAR is not set" "... naming the variable"

conf notpg "mysql://root:s3cret-pw@db/x"
run_smsmux --config "$TMP/notpg.ini" --json send --to 0612345678 --text hi
assert_eq 2 "$RC" "store = mysql://...: a configuration error"
assert_contains "$ERR$OUT" "[smsmux] store: not a postgresql:// URL" "... saying what is expected"
assert_not_contains "$ERR$OUT" "s3cret-pw" "... without the value's password"

conf readable "$pw_url"
chmod 640 "$TMP/readable.ini"
run_smsmux --config "$TMP/readable.ini" --json send --to 0612345678 --text hi
assert_eq 2 "$RC" "a literal password in a group-readable file: refused"
assert_contains "$ERR$OUT" "holds the secret [smsmux] store" "... naming the key"
assert_contains "$ERR$OUT" "chmod 600" "... saying how to fix it"
assert_not_contains "$ERR$OUT" "s3cret-pw" "... without the password"
assert_eq 0 "$(sim_requests smsmode | jq length)" "nothing was sent by the refused runs"

conf nodb "$(echo "$pw_url" | sed 's|/cli?|/no_such_db?|')"
run_smsmux --config "$TMP/nodb.ini" --json send --to 0612345678 --text hi
assert_eq 2 "$RC" "a missing database: an error"
assert_contains "$ERR$OUT" "$PG_USER:***@/no_such_db" "... naming the store, redacted"
assert_not_contains "$ERR$OUT" "s3cret-pw" "... without the password"

conf node1 "$pw_url"
SMSMUX_PG=$pw_url
export SMSMUX_PG
conf node2 env:SMSMUX_PG
run_smsmux --config "$TMP/node1.ini" --json send --to 0612345678 --text "once" --ref pg-77
assert_eq 0 "$RC" "send with the store in PostgreSQL"
[ "$RC" = 0 ] || printf '#   %s\n' "$ERR" "$OUT"
id=$(jqr .id)
assert_contains "$ERR" "created the store's tables in postgresql://$PG_USER:***@/cli?host=" \
  "the first node says it created the tables, the URL redacted"
assert_not_contains "$ERR" "s3cret-pw" "... without the password"
assert_eq 1 "$("$PG_BIN/psql" -h "$PG_DIR" -U "$PG_USER" -d cli -Atc \
  "SELECT count(*) FROM recipients WHERE ref = 'pg-77' AND state = 'accepted'")" \
  "the recipient is recorded in PostgreSQL, accepted"
run_smsmux --config "$TMP/node2.ini" --json send --to 0612345678 --text "once" --ref pg-77
assert_eq 0 "$RC" "the same --ref through another node's config (env:)"
assert_json .duplicate true "... is a duplicate: the ref is taken across nodes"
assert_not_contains "$ERR" "created the store" "... and the tables are not created again"
assert_json .id "$id" "... of the first node's message"
assert_eq 1 "$(sim_requests smsmode | jq '[.[] | select(.path|endswith("/sendSMS.do"))] | length')" \
  "the provider received it once"
assert_eq "" "$(ls "$TMP/state-node1" "$TMP/state-node2" 2>/dev/null | grep state.db)" \
  "no SQLite file was made"
finish
