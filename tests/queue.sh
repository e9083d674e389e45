#!/bin/sh
# The durable queue (tests/test_queue.c) against the simulator; then the
# simulator's count: the first message once, the cancelled and the
# recovered ones never.
. "$top_srcdir/tests/lib.sh"
sim_start
write_config queue.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF2
"$top_builddir/tests/test_queue" "$TMP/queue.ini" "$TMP/state" >"$TMP/q.out" 2>&1
rc=$?
sed 's/^/# /' "$TMP/q.out"
assert_eq 0 "$rc" "test_queue: every check passed"
assert_contains "$(cat "$TMP/q.out")" "passed, 0 failed" "test_queue: ran"
sends() { sim_requests smsmode | jq "[.[] | select(.path|endswith(\"/sendSMS.do\")) | select(.query|contains(\"$1\"))] | length"; }
assert_eq 1 "$(sends 33612345601)" "the first message reached the provider once"
assert_eq 0 "$(sends 33612345602)" "the cancelled one never"
assert_eq 1 "$(sends 33612345603)" "the scheduled one was handed over (sMsmode schedules)"
assert_eq 0 "$(sends 33612345604)" "the one left sending was never sent again"
finish
