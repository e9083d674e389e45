#!/bin/sh
# The durable queue (tests/test_queue.c) against the simulator, on each
# store backend: SQLite under state_dir, then PostgreSQL (a private server,
# tests/pg.sh; skipped without its binaries, except under CI=true); then
# the simulator's count: the first message once, the cancelled and the
# recovered ones never.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg.sh"
sim_start
sends() { sim_requests smsmode | jq "[.[] | select(.path|endswith(\"/sendSMS.do\")) | select(.query|contains(\"$1\"))] | length"; }

# run_queue NAME [STORE_URL]
run_queue() {
  write_config "queue-$1.ini" <<EOF2
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-$1
${2:+store = $2}
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF2
  sim_reset
  SMSMUX_TEST_PG_URL=${2:-} "$top_builddir/tests/test_queue" \
    "$TMP/queue-$1.ini" "$TMP/state-$1" >"$TMP/q-$1.out" 2>&1
  rc=$?
  sed 's/^/# /' "$TMP/q-$1.out"
  assert_eq 0 "$rc" "$1: test_queue: every check passed"
  assert_contains "$(cat "$TMP/q-$1.out")" "passed, 0 failed" "$1: test_queue: ran"
  assert_eq 1 "$(sends 33612345601)" "$1: the first message reached the provider once"
  assert_eq 0 "$(sends 33612345602)" "$1: the cancelled one never"
  assert_eq 1 "$(sends 33612345603)" "$1: the scheduled one was handed over (sMsmode schedules)"
  assert_eq 0 "$(sends 33612345604)" "$1: the one left sending was never sent again"
}

run_queue sqlite
if [ -x "$PG_BIN/initdb" ] || [ "${CI:-}" = true ]; then
  pg_start
  run_queue postgresql "$PG_URL"
else
  echo "# PostgreSQL 15 is not installed ($PG_BIN): the queue ran on SQLite only"
fi
finish
