#!/bin/sh
# smsmuxd's lifecycle: SIGHUP reloads a good configuration and refuses a
# bad one (the old one kept, the reason logged); SIGTERM under load drains
# and exits 0 with nothing left sending; kill -9 under load, then a
# restart: every message answered 202 reaches the simulator exactly once,
# except those reported unknown (at most one per worker), counted per
# number at the simulator.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
# on PostgreSQL (SMSMUX_TEST_STORE=pg) what the killed daemon claimed or
# was sending is leased: a short lease lets the restarted one take it over
# (and read the sends as unknown) within the waits below
if [ "$TEST_STORE" = pg ]; then SMSMUX_STORE_LEASE=4; export SMSMUX_STORE_LEASE; fi
sim_start
daemon_config
N=${LIFECYCLE_N:-1000}
WORKERS=4

# ---- SIGHUP: a good configuration (a second provider, the first disabled)
daemon_start
post_json /v1/messages '{"to": "0612340001", "text": "avant"}'
assert_eq 202 "$STATUS" "before the reload: 202"
cat >>"$TMP/d.ini" <<EOF
[provider.second]
plugin = smsmode
base_url = $SIM_URL/smsmode/http/1.6
access_token = demo-token
EOF
kill -HUP "$D_PID"
wait_until "the reload is logged" 'grep -q reloaded "$TMP/d.log"'
post_json /v1/messages '{"to": "0612340002", "text": "apres", "provider": "second"}'
assert_eq 202 "$STATUS" "after the reload the new provider is known"
wait_until "the message forced on the new provider is sent" 'test "$(sends_to 33612340002)" = 1'

# ---- SIGHUP: a bad configuration is refused, the old one kept
cp "$TMP/d.ini" "$TMP/good.ini"
echo 'this is not ini' >>"$TMP/d.ini"
kill -HUP "$D_PID"
wait_until "the refusal is logged" 'grep -q "reload refused" "$TMP/d.log"'
assert_contains "$(grep 'reload refused' "$TMP/d.log")" "d.ini:" "the reason names the file and line"
post_json /v1/messages '{"to": "0612340003", "text": "encore", "provider": "second"}'
assert_eq 202 "$STATUS" "after a refused reload the old configuration still serves"
wait_until "sent with the old configuration" 'test "$(sends_to 33612340003)" = 1'
cp "$TMP/good.ini" "$TMP/d.ini"
daemon_stop
assert_eq 0 "$D_RC" "SIGTERM with nothing to do: exit 0"

# load: N single messages, 32 at a time, one number each; per transfer
# the status and the number on one line of $TMP/results
load() { # load FIRST_NUMBER
  _f=$1
  : >"$TMP/curl.cfg"
  _i=0
  while [ $_i -lt "$N" ]; do
    _n=$((_f + _i))
    printf 'url = "%s/v1/messages"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\ndata = "{\\"to\\": \\"0%s\\", \\"text\\": \\"charge\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code} %s\\n"\n' \
      "$D_URL" "$KEY" "$_n" "$_n" >>"$TMP/curl.cfg"
    _i=$((_i + 1))
    [ $_i -lt "$N" ] && echo next >>"$TMP/curl.cfg"
  done
  : >"$TMP/results"
  curl -sS --parallel --parallel-max 32 --config "$TMP/curl.cfg" >"$TMP/results" 2>/dev/null &
  LOAD_PID=$!
}
accepted() { awk '$1 == 202 {n++} END {print n + 0}' "$TMP/results"; }
queue_empty() {
  _m=$(curl -sS "$D_URL/metrics") || return 1
  printf '%s\n' "$_m" | grep -q '^smsmux_queue_recipients{state="queued"} 0$' &&
    printf '%s\n' "$_m" | grep -q '^smsmux_queue_recipients{state="sending"} 0$'
}
# per number: the count of sendSMS.do requests sMsmode got, "NUMBER COUNT"
sim_counts() {
  sim_requests smsmode | jq -r '[.[] | select(.path|endswith("/sendSMS.do")) | (.query + " " + (.body // "")) | scan("numero=([0-9]+)") | .[0]] | group_by(.) | .[] | "\(.[0]) \(length)"'
}

# twice_attempts: the recipients and attempts of each number $TMP/counts
# holds more than once, from the daemon's message list
twice_attempts() {
  for _n in $(awk '$2 > 1 {print $1}' "$TMP/counts"); do
    curl -sS -H "Authorization: Bearer $KEY" "$D_URL/v1/messages?limit=1000" |
      jq -c --arg n "+$_n" '.messages[] | select(.recipients[0].to == $n) | {recipients, attempts}' |
      sed 's/^/#   /'
  done
}

# ---- SIGTERM under load: drains, exits 0, nothing left sending
sim_fault smsmode slow "ms=20"
daemon_start
load 612100000
wait_until "some messages accepted" '[ "$(accepted)" -ge 100 ]'
daemon_stop TERM
assert_eq 0 "$D_RC" "SIGTERM under load: exit 0"
wait "$LOAD_PID" 2>/dev/null
ndrain=$(accepted)
daemon_start
wait_until "the queue left by the drain is sent" queue_empty
api GET '/v1/messages?status=unknown'
assert_eq 0 "$(jqr '.messages | length')" "the drain left nothing sending (no unknown after the restart)"
sim_counts | sort >"$TMP/counts"
awk '$1 == 202 {print "33" $2}' "$TMP/results" | sort >"$TMP/ok"
assert_eq 0 "$(join -v 1 "$TMP/ok" "$TMP/counts" | wc -l)" "each of the $ndrain accepted before SIGTERM was sent"
assert_eq 0 "$(awk '$2 > 1' "$TMP/counts" | wc -l)" "... once"
twice_attempts # (on a failure: what the store says of those numbers)
daemon_stop

# ---- kill -9 under load, restart, count per number
sim_reset
sim_fault smsmode slow "ms=20"
daemon_start
load 612200000
wait_until "a third accepted" '[ "$(accepted)" -ge $((N / 3)) ]'
daemon_stop KILL 2>/dev/null
wait "$LOAD_PID" 2>/dev/null
n202=$(accepted)
sim_fault smsmode none
daemon_start
wait_until "the restarted daemon empties the queue" queue_empty
api GET '/v1/messages?status=unknown&limit=1000'
jqr '.messages[].recipients[] | select(.status == "unknown") | .to' | sed 's/^+//' | sort >"$TMP/unknown"
nunknown=$(wc -l <"$TMP/unknown")
sim_counts | sort >"$TMP/counts"
awk '$1 == 202 {print "33" $2}' "$TMP/results" | sort >"$TMP/ok"
lost=$(join -v 1 "$TMP/ok" "$TMP/counts" | join -v 1 - "$TMP/unknown" | wc -l)
twice=$(awk '$2 > 1' "$TMP/counts" | wc -l)
echo "# $n202 of $N answered 202 before kill -9; $nunknown unknown"
assert_eq yes "$([ "$n202" -ge $((N / 3)) ] && echo yes)" "a third or more were accepted before the kill"
assert_eq 0 "$lost" "every message answered 202 reached sMsmode (or is unknown)"
assert_eq 0 "$twice" "no number reached sMsmode twice"
assert_eq yes "$([ "$nunknown" -le "$WORKERS" ] && echo yes || echo "no: $nunknown")" "at most one unknown per worker"
daemon_stop
assert_eq 0 "$D_RC" "the restarted daemon exits 0"
finish
