#!/bin/sh
# Out of memory in libsmsmux and its plugin (tests/test_oom.c): with each of
# their allocations failing in turn, smsmux_open + smsmux_send of one message
# to the simulator's sMsmode either succeed or fail with "out of memory";
# never an abort, a crash or (sanitizer build) a leak.  A second scenario
# does the same around smsmux_route, smsmux_providers, smsmux_plugins and a
# batch; a third around opt-outs, pushed reports and replies (smsmux_hook),
# a send refused for an opt-out and the replies / opt-outs listings; a
# fourth around the notifier's webhook delivery (an allocation failing there
# leaves the event pending, never lost nor given up).
. "$top_srcdir/tests/lib.sh"
sim_start
# an account that never runs out of credit (TEST_OOM_ALL=1 sends ~1700)
sim_ctl POST "account?provider=smsmode&token=oom-token&postpay=1" >/dev/null
write_config oom.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = oom-token
hook_token = oom-hook
EOF2
# scenario 4: the notifier delivering a webhook to tests/receiver, each run
# on a store of its own (XDG_STATE_HOME: no state_dir here)
rcv_up
write_config oom-notify.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = oom-token
dlr_poll = 0
EOF2
export OOM_NOTIFY_CONFIG="$TMP/oom-notify.ini" OOM_STATE="$TMP"
export OOM_RECEIVER="$RCV"
export OOM_RECEIVER_LOG="$TMP/rcv.log"
# the plugin's shared object, which test_oom keeps loaded (see there)
so=$(sed -n "s/^dlname='\(.*\)'/\1/p" "$PLUGINS/smsmode.la")
"$top_builddir/tests/test_oom" "$TMP/oom.ini" "$PLUGINS/.libs/$so" >"$TMP/oom.out" 2>&1
rc=$?
kill "$RCV_PID" 2>/dev/null; wait "$RCV_PID" 2>/dev/null
sed 's/^/# /' "$TMP/oom.out"
assert_eq 0 "$rc" "test_oom: every run succeeded or failed cleanly"
assert_contains "$(cat "$TMP/oom.out")" "passed, 0 failed" "test_oom: ran its checks"
assert_contains "$(cat "$TMP/oom.out")" "failed cleanly" "test_oom: failed allocations were injected"
finish
