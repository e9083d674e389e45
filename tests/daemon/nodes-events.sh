#!/bin/sh
# Three smsmuxd nodes on one PostgreSQL store, with their events (issues 13,
# 14 and 15): a tenant with a plan (1 unit a message, `refund =
# undelivered`), a balance and a callback URL (the test receiver); the
# simulator pushes its delivery reports to the hook of public_url.
#
# public_url is the same on every node, as behind a load balancer (the
# provider only knows the balancer's address, and the balancer picks any
# node): here it is node 1's own URL, the extreme case of a balancer that
# always picks one node: node 1's hook matches the reports of messages
# nodes 2 and 3 sent, through the store.  Node 2 (not the hooks' node) is
# the one killed.
#
# (a) N1 submits spread across the nodes, no node dies: every event is
#     received exactly once (two nodes' notifiers never deliver the same
#     one), in order per message.
# (b) N2 submits under load, kill -9 of node 2, its restart; once the queue
#     and the webhook outbox are empty: every event delivered at least once,
#     repeats at most the killed node's notifier senders (2: those it had
#     in flight), in order per message; every accepted message reached
#     the simulator once (unknown: at most the killed node's workers); the
#     ledger exact (`smsmux tenant check`) and the balance = credit - the
#     accepted messages + the undelivered ones refunded.
# The lease is short (SMSMUX_STORE_LEASE) so that the killed node's claims
# (recipients and webhooks) are taken over within seconds.
SMSMUX_TEST_STORE=pg
export SMSMUX_TEST_STORE
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
SMSMUX_STORE_LEASE=4
export SMSMUX_STORE_LEASE
N1=${NODES_EVENTS_N1:-45}
N2=${NODES_EVENTS_N2:-150}
WORKERS=4
SENDERS=2 # the notifier's sender threads per node (core/notify.c)
CREDIT=1000
T0=$(date +%s)

. "$top_srcdir/tests/daemon/nodes-lib.sh"
# wait_for WHAT SECONDS 'SHELL TEXT'
wait_for() {
  _t=0
  until eval "$3"; do
    _t=$((_t + 1))
    if [ $_t -gt $(($2 * 10)) ]; then
      fail "$1 (waited $2 s)" "$(psql_store "SELECT state, claimed_by IS NOT NULL, count(*) FROM recipients GROUP BY 1, 2")" \
        "webhooks: $(psql_store "SELECT count(*), count(claimed_by) FROM webhooks")"
      return 1
    fi
    sleep 0.1
  done
  pass "$1 ($((_t / 10)) s)"
}
# the events received (200) as "EVENT MESSAGE SEQ", in arrival order
received() {
  jq -r 'select(.path == "/app" and .answered == 200) | .body | fromjson | "\(.event) \(.message_id) \(.event | sub("^.*-"; ""))"' "$RCV_LOG"
}
# in_order: per message, the first arrival of each event in seq order ("" if so)
in_order() {
  received | awk '!seen[$1]++ {if (($2 in last) && $3 + 0 < last[$2]) print $1 " after seq " last[$2]; last[$2] = $3 + 0}'
}

sim_start --quiet
receiver_start
daemon_config - <<EOF2
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 5
breaker_failures = 1000
[server]
listen = 127.0.0.1:0
admin_key = @KEY@
workers = $WORKERS
[plan.std]
sms = 1
refund = undelivered
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
hook_token = $HOOK_TOKEN
EOF2
# node 1 first: its URL is everybody's public_url; it keeps its port
node_start 1
P1=$(cat "$TMP/n1.port")
node_stop 1
sed -i "s|^\[server\]\$|[server]\npublic_url = http://127.0.0.1:$P1|" "$TMP/d.ini"
sed "s|^listen = .*|listen = 127.0.0.1:$P1|" "$TMP/d.ini" >"$TMP/d1.ini"
chmod 600 "$TMP/d1.ini"
node_start 1 "$TMP/d1.ini"
node_start 2
node_start 3
D_URL=$(url 1)

CLI() { run_smsmux --config "$TMP/d.ini" "$@"; }
TSECRET=tenant-secret-nodes-0123456789
CLI tenant add acme --plan std --callback-url "$RCV/app" --webhook-secret "$TSECRET"
CLI tenant credit acme "$CREDIT"
CLI --json tenant key add acme
TKEY=$(jqr .key)
assert_eq 0 "$RC" "a key for the tenant, issued on the shared store"

# the keyed POSTs of curl_cfg (nodes-lib.sh)
CFG_BEARER=$TKEY CFG_IDEM=ev- CFG_TEXT=evt
# advance: the simulator's reports, twice (operator, then final: numbers
# ending in 34 undelivered, the others delivered), pushed to node 1's hook
advance() {
  sim_ctl POST "advance?provider=smsmode" >/dev/null
  sleep 0.5
  sim_ctl POST "advance?provider=smsmode" >/dev/null
}
# no recipient waits for a report any more (accepted or sent)
reports_done() { [ "$(psql_store "SELECT count(*) FROM recipients WHERE state IN ('queued', 'sending', 'accepted', 'sent')")" = 0 ]; }
outbox_empty() { [ "$(psql_store "SELECT count(*) FROM webhooks")" = 0 ]; }

# ---- (a) no node dies
curl_cfg "$TMP/a.cfg" "1 2 3" $(seq 612340001 $((612340000 + N1)))
curl -sS --parallel --parallel-max 6 --config "$TMP/a.cfg" >"$TMP/a.results" 2>/dev/null
assert_eq "$N1" "$(awk '$1 == 202' "$TMP/a.results" | wc -l | tr -d ' ')" "(a) $N1 submits across the three nodes: 202 each"
wait_for "(a) the queue empties" 30 queue_empty
advance
wait_for "(a) every report applied (through node 1's hook)" 30 reports_done
wait_for "(a) the webhook outbox empties" 30 outbox_empty
psql_store "SELECT message_id || '-' || seq FROM events" | sort >"$TMP/a.events"
received | awk '{print $1}' | sort >"$TMP/a.got"
na=$(wc -l <"$TMP/a.events" | tr -d ' ')
assert_eq yes "$([ "$na" -ge $((N1 * 3)) ] && echo yes || echo "no: $na")" "(a) at least 3 events a message in the store ($na)"
assert_eq "" "$(sort -u "$TMP/a.got" | comm -3 - "$TMP/a.events" | head -5)" "(a) the receiver got every event of the store, and no other"
assert_eq "" "$(uniq -d "$TMP/a.got" | head -5)" "(a) no event received twice (no two nodes delivered one)"
assert_eq "" "$(in_order | head -5)" "(a) per message, its events arrived in order"
assert_eq "$(awk '$1 == 202 {print "33" $2}' "$TMP/a.results" | sort | tr '\n' ' ')" \
  "$(sim_counts | awk '$2 == 1 {print $1}' | sort | tr '\n' ' ')" "(a) each message reached sMsmode exactly once"
lines_a=$(wc -l <"$RCV_LOG")

# ---- (b) kill -9 of node 2 under load
sim_fault smsmode slow "ms=100"
curl_cfg "$TMP/b.cfg" "1 2 3" $(seq 612350001 $((612350000 + N2)))
curl -sS --rate 100/s --config "$TMP/b.cfg" >"$TMP/b.results" 2>/dev/null &
LOAD_PID=$!
wait_for "(b) a third of the load recorded" 30 \
  '[ "$(psql_store "SELECT count(*) FROM recipients WHERE number LIKE '"'"'+3361235%'"'"'")" -ge $((N2 / 3)) ]'
busy=$(psql_store "SELECT count(*) FILTER (WHERE state = 'queued') || ' queued, ' || count(*) FILTER (WHERE state = 'sending') || ' sending, ' || (SELECT count(*) FROM webhooks) || ' webhooks' FROM recipients")
node_stop 2 KILL 2>/dev/null
echo "# node 2 killed (-9) with $busy"
wait "$LOAD_PID" 2>/dev/null
n202=$(awk '$1 == 202' "$TMP/b.results" | wc -l | tr -d ' ')
node_start 2
assert_eq yes "$([ "$n202" -lt "$N2" ] && echo yes || echo "no: $n202 of $N2")" "(b) the kill cut some submits off ($n202 of $N2 accepted)"
# the client posts again what got no 202, same key, to nodes 1 and 3
curl_cfg "$TMP/retry.cfg" "1 3" $(awk '$1 != 202 {print $2}' "$TMP/b.results")
curl -sS --parallel --parallel-max 6 --config "$TMP/retry.cfg" >"$TMP/retried" 2>/dev/null
assert_eq "$((N2 - n202))" "$(awk '$1 == 202 || $1 == 200' "$TMP/retried" | wc -l | tr -d ' ')" \
  "(b) the $((N2 - n202)) others posted again with their key: 202 or 200"
sim_fault smsmode none
wait_for "(b) the queue empties, the killed node's claims included" 40 queue_empty
advance
wait_for "(b) every report applied" 30 reports_done
wait_for "(b) the webhook outbox empties, the killed node's claims included" 40 outbox_empty

# delivery to the simulator: once each, unknown at most the killed node's workers
psql_store "SELECT substr(number, 2) FROM recipients WHERE state = 'unknown'" | sort >"$TMP/unknown"
nunknown=$(wc -l <"$TMP/unknown" | tr -d ' ')
sim_counts | sort >"$TMP/counts"
cat "$TMP/b.results" "$TMP/retried" | awk '$1 == 202 || $1 == 200 {print "33" $2}' | sort -u >"$TMP/ok"
assert_eq "$N2" "$(wc -l <"$TMP/ok" | tr -d ' ')" "(b) each of the $N2 accepted once (202, or 200 on a repeat)"
assert_eq 0 "$(join -v 1 "$TMP/ok" "$TMP/counts" | join -v 1 - "$TMP/unknown" | wc -l | tr -d ' ')" \
  "(b) every accepted message reached sMsmode (or is unknown)"
assert_eq 0 "$(awk '$2 > 1' "$TMP/counts" | wc -l | tr -d ' ')" "(b) no number reached sMsmode twice"
assert_eq yes "$([ "$nunknown" -le "$WORKERS" ] && echo yes || echo "no: $nunknown")" \
  "(b) unknown: at most the killed node's $WORKERS workers ($nunknown)"

# the webhooks: all delivered, repeats bounded, order kept
psql_store "SELECT message_id || '-' || seq FROM events" | sort >"$TMP/b.events"
received | awk '{print $1}' | sort >"$TMP/b.got"
assert_eq "" "$(sort -u "$TMP/b.got" | comm -13 - "$TMP/b.events" | head -5)" "(b) every event of the store was delivered at least once"
assert_eq "" "$(sort -u "$TMP/b.got" | comm -23 - "$TMP/b.events" | head -5)" "(b) ... and no event the store does not hold"
dups=$(uniq -d "$TMP/b.got" | wc -l | tr -d ' ')
echo "# events: $(wc -l <"$TMP/b.events" | tr -d ' '), received $(wc -l <"$TMP/b.got" | tr -d ' ') times, $dups more than once"
assert_eq yes "$([ "$dups" -le "$SENDERS" ] && echo yes || echo "no: $dups: $(uniq -d "$TMP/b.got" | head -5 | tr '\n' ' ')")" \
  "(b) repeated events: at most the killed node's $SENDERS senders in flight ($dups)"
assert_eq "" "$(uniq -c "$TMP/b.got" | awk '$1 > 2' | head -5)" "(b) none received more than twice"
assert_eq "" "$(tail -n "+$((lines_a + 1))" "$RCV_LOG" | jq -r 'select(.answered == 200) | .body | fromjson | .event' | grep -xf "$TMP/a.events" | head -3)" \
  "(b) no event of (a) came again"
assert_eq "" "$(in_order | head -5)" "(b) per message, its events arrived in order"

# the ledger
run_smsmux --config "$TMP/d.ini" tenant check
assert_eq 0 "$RC" "smsmux tenant check: exit 0"
assert_contains "$OUT" "ledger exact" "... the ledger is exact"
nund=$(psql_store "SELECT count(*) FROM recipients WHERE state = 'undelivered'")
nacc=$((N1 + N2))
CLI --json tenant show acme
assert_eq "$((CREDIT - nacc + nund))" "$(jqr .balance)" \
  "balance = $CREDIT credited - $nacc accepted + $nund undelivered refunded"
assert_eq yes "$([ "$nund" -ge 2 ] && echo yes || echo "no: $nund")" "... some refunds among them ($nund)"

for k in 1 2 3; do
  node_stop $k
  assert_eq 0 "$NODE_RC" "node $k: SIGTERM, exit 0"
done
assert_eq 0 "$(cat "$TMP"/n*.log | grep -c 'ASAN\|runtime error')" "no sanitizer report"
echo "# took $(($(date +%s) - T0)) s"
finish
