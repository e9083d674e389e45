#!/bin/sh
# `make demo` (tests/demo.sh): it reuses a smsmux-sim already answering on
# its port and leaves it running; it starts its own on a free port when
# another program holds that port; every command it prints can be pasted
# into a shell as it is (run again here, each one exits 0); every send is
# shown before the status that uses its id.
. "$top_srcdir/tests/lib.sh"
DEMO="$top_srcdir/tests/demo.sh"

# demo PORT: run the demo against PORT from $TMP/cwd; OUT ERR RC
demo() {
  mkdir -p "$TMP/cwd"
  set +e
  (cd "$TMP/cwd" && SMSMUX_DEMO_PORT=$1 SMSMUX_DEMO_DIR="$TMP/demo" sh "$DEMO") \
    >"$TMP/.out" 2>"$TMP/.err"
  RC=$?
  OUT=$(cat "$TMP/.out")
  ERR=$(cat "$TMP/.err")
}
# the command lines the demo printed ("$ ..."), without the "$ "
printed() { printf '%s\n' "$OUT" | sed -n 's/^\$ //p'; }

# ---- a simulator already runs on the port: reused, left running -----------
sim_start
sim_fault smsmode down # an earlier run's fault: the demo switches it off
demo "$SIM_PORT"
assert_eq 0 "$RC" "with a simulator on its port: the demo exits 0"
# the one line allowed: the store is new, and smsmux says so once
assert_eq "" "$(printf '%s\n' "$ERR" | grep -v '^smsmux: created the store .*state.db (mode 0600)$')" \
  "with a simulator on its port: nothing on stderr but the new store"
assert_contains "$OUT" "using the smsmux-sim already running on port $SIM_PORT" \
  "with a simulator on its port: says it uses it"
kill -0 "$SIM_PID" 2>/dev/null && pass "the simulator it found is still running" ||
  fail "the simulator it found is still running"
sends=$(sim_requests smsmode | jq '[.[] | select(.path | endswith("/sendSMS.do"))] | length')
[ "${sends:-0}" -ge 3 ] && pass "the demo's sends reached the running simulator ($sends)" ||
  fail "the demo's sends reached the running simulator" "sendSMS.do requests: ${sends:-none}"
assert_contains "$OUT" "sent via default (smsmode) id" "the first send goes through sMsmode (old faults off)"
assert_contains "$OUT" "
$ curl -s -X POST 'http://127.0.0.1:$SIM_PORT/_sim/advance?provider=smsmode'" \
  "the control requests are printed as curl commands"

# smsmuxd closes the loop: delivered through the pushed report, the signed
# webhook, the reply, STOP honoured
assert_contains "$OUT" '"status":"sent","provider":"smsmode"' "smsmuxd: the pushed 'sent' report in the history"
assert_contains "$OUT" "(delivered through the pushed report" "smsmuxd: delivered through the pushed report"
sig=$(printf '%s\n' "$OUT" | sed -n 's/^  X-Smsmux-Signature: \(sha256=[0-9a-f]*\)$/\1/p' | head -n 1)
assert_contains "$OUT" "recomputed over the body with the secret: $sig)" "smsmuxd: the webhook received, its signature right"
assert_contains "$OUT" '{"event":"' "smsmuxd: the webhook's body shown"
assert_contains "$OUT" '"type":"reply","message_id":"' "smsmuxd: the STOP reply reaches the application"
assert_contains "$OUT" '"status":"rejected","provider":null,"provider_id":null,"code":"opt-out"' \
  "smsmuxd: STOP honoured, the next send to the number refused"

# each send before its status: the id status asks for was printed before,
# in the answer of a send
status_line=$(printf '%s\n' "$OUT" | grep -n '^\$ .* status ' | head -n 1)
id=${status_line##* }
send_line=$(printf '%s\n' "$OUT" | grep -n "^sent via .* id $id:" | head -n 1)
[ -n "$id" ] && [ -n "$send_line" ] && [ "${send_line%%:*}" -lt "${status_line%%:*}" ] &&
  pass "the send of $id is shown before its status" ||
  fail "the send of the message is shown before its status" "status: $status_line" "send: $send_line"
n=$(printed | grep -c ' send ')
[ "$n" -ge 4 ] && pass "every send is printed ($n)" || fail "every send is printed ($n)"

# every printed command, pasted into a shell where the demo ran
printed >"$TMP/commands"
n=0
while IFS= read -r line; do
  n=$((n + 1))
  (cd "$TMP/cwd" && sh -c "$line") >"$TMP/pasted.out" 2>&1
  rc=$?
  assert_eq 0 "$rc" "pasted as printed, exits 0: $line"
done <"$TMP/commands"
[ "$n" -ge 12 ] && pass "the demo printed $n commands" || fail "the demo printed $n commands"
kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null
SIM_PID=

# ---- the port is held by another program: a simulator on a free port ------
perl -MIO::Socket::INET -e '$| = 1;
  my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 5) or die;
  print $s->sockport, "\n"; sleep 120' >"$TMP/busy.port" &
busy=$!
i=0
while [ ! -s "$TMP/busy.port" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
busy_port=$(cat "$TMP/busy.port")
case $busy_port in
  '' | *[!0-9]*) fail "a listener holds a port (perl)" "got: $busy_port"; finish; exit ;;
esac
demo "$busy_port"
kill "$busy" 2>/dev/null; wait "$busy" 2>/dev/null
assert_eq 0 "$RC" "with its port held by another program: the demo exits 0"
assert_contains "$OUT" "port $busy_port is taken by another program: smsmux-sim started on port" \
  "with its port held: says it started a simulator elsewhere"
port=$(printf '%s\n' "$OUT" | sed -n 's/.*smsmux-sim started on port \([0-9]*\) instead.*/\1/p')
assert_contains "$(cat "$TMP/demo/demo.ini")" "http://127.0.0.1:$port/smsmode/http/1.6" \
  "with its port held: the configuration names the simulator's port"
assert_contains "$OUT" "--config $TMP/demo/demo.ini" "with its port held: the commands name that configuration"
if [ -n "$port" ] && curl -s -m 2 "http://127.0.0.1:$port/_sim/providers" >/dev/null 2>&1; then
  fail "the simulator the demo started is stopped at the end"
else
  pass "the simulator the demo started is stopped at the end"
fi

finish
