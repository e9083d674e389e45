#!/bin/sh
# Pushed notifications read by the plugin (tests/test_push.c): the sMsmode
# guide's two examples and the token check.
. "$top_srcdir/tests/lib.sh"
write_config push.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
[provider.smsmode]
plugin = smsmode
access_token = demo-token
hook_token = hook-secret-1
[provider.notoken]
plugin = smsmode
access_token = demo-token
EOF2
"$top_builddir/tests/test_push" "$TMP/push.ini" >"$TMP/p.out" 2>&1
rc=$?
sed 's/^/# /' "$TMP/p.out"
assert_eq 0 "$rc" "test_push: every check passed"
assert_contains "$(cat "$TMP/p.out")" "passed, 0 failed" "test_push: ran"
finish
