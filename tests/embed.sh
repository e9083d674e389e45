#!/bin/sh
# libsmsmux embedded in an application that uses libcurl and libxml2 itself
# (tests/test_embed.c), against the simulator; then the simulator counts
# the two messages the two open/send/close rounds sent.
. "$top_srcdir/tests/lib.sh"
sim_start
write_config embed.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF2
"$top_builddir/tests/test_embed" "$TMP/embed.ini" "$SIM_URL" >"$TMP/embed.out" 2>&1
rc=$?
sed 's/^/# /' "$TMP/embed.out"
assert_eq 0 "$rc" "test_embed: every check of the embedding application passed"
assert_contains "$(cat "$TMP/embed.out")" "passed, 0 failed" "test_embed: ran its checks"
assert_eq 2 "$(sim_requests smsmode | jq '[.[] | select(.path|endswith("/sendSMS.do"))] | length')" \
  "the simulator received one message per round"
finish
