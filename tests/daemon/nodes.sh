#!/bin/sh
# Three smsmuxd nodes on one PostgreSQL store (issue 15): the same
# configuration (listen on a free port each), the simulator answering
# after a short delay, 300 messages with distinct numbers and an
# Idempotency-Key each spread across the nodes, kill -9 of one node under
# load, then its restart.  Once nothing is queued or sending: per number at
# the simulator, every message answered 202 reached sMsmode exactly once,
# except those left unknown (at most the killed node's workers), which
# reached it at most once.  Then one breaker state for all nodes (opened by
# one node's failures, another node skips the provider), one idempotency
# key across nodes (a repeat on another node: 200, one send), and a node
# while the database is stopped and once it is back.
#
# As root each node runs in its own PID namespace, as containers do: all
# are PID 1, and the restarted node is PID 1 again, so nothing may be told
# apart by PID.  The lease is short (SMSMUX_STORE_LEASE) so that the
# killed node's claims and sends are taken over within seconds.
SMSMUX_TEST_STORE=pg
export SMSMUX_TEST_STORE
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
SMSMUX_STORE_LEASE=4
export SMSMUX_STORE_LEASE
N=${NODES_N:-300}
WORKERS=4
T0=$(date +%s)

. "$top_srcdir/tests/daemon/nodes-lib.sh"
sim_tokens_of() { # the access tokens of the requests for number $1
  sim_requests smsmode | jq -r --arg n "$1" '[.[] | select(.path|endswith("/sendSMS.do")) | select(tostring | contains($n)) |
    (.query // "" | capture("accessToken=(?<t>[^&]*)").t) // (.body | capture("accessToken=(?<t>[^&]*)").t)] | join(",")'
}

sim_start --quiet
sim_ctl POST "account?provider=smsmode&token=tok-main&credit=100000" >/dev/null
daemon_config - <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 5
breaker_failures = 2
breaker_cooldown = 3600
[server]
listen = 127.0.0.1:0
admin_key = @KEY@
workers = 4
[provider.main]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = tok-main
[provider.backup]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF
node_start 1
node_start 2
node_start 3
assert_contains "$(cat "$TMP/n1.log" "$TMP/n2.log" "$TMP/n3.log")" "created the store's tables in postgresql://" \
  "the nodes share one PostgreSQL store (one of them created it)"

# ---- load: N messages, 150 a second (the 12 workers, 100 ms a send, fall
# behind), message i to node i % 3 + 1, each with its
# Idempotency-Key; "STATUS NUMBER" per transfer in $TMP/results
# the keyed POSTs of curl_cfg (nodes-lib.sh)
CFG_BEARER=$KEY CFG_IDEM=load- CFG_TEXT=charge
sim_fault smsmode slow "ms=100"
curl_cfg "$TMP/curl.cfg" "1 2 3" $(seq 612300000 $((612300000 + N - 1)))
curl -sS --rate 150/s --config "$TMP/curl.cfg" >"$TMP/results" 2>/dev/null &
LOAD_PID=$!
accepted() { awk '$1 == 202 {n++} END {print n + 0}' "$TMP/results"; }
D_URL=$(url 1)
# (curl writes its results in blocks: the store says how far it is)
wait_until "a third accepted" '[ "$(psql_store "SELECT count(*) FROM recipients")" -ge $((N / 3)) ]'
busy=$(psql_store "SELECT count(*) FILTER (WHERE state = 'queued') || ' queued, ' || count(*) FILTER (WHERE state = 'sending') || ' sending' FROM recipients")
node_stop 2 KILL 2>/dev/null
echo "# node 2 killed (-9) with $busy"
wait "$LOAD_PID" 2>/dev/null
n202=$(accepted)
node_start 2
assert_eq yes "$([ "$n202" -ge $((N / 3)) ] && [ "$n202" -lt "$N" ] && echo yes || echo "no: $n202 of $N")" \
  "a third or more accepted, and the kill cut some off ($n202 of $N)"
assert_eq yes "$(case $busy in "0 queued, 0 sending") echo "no: $busy" ;; *) echo yes ;; esac)" \
  "the kill came under load ($busy)"
# the client's part: what got no 202 (node 2 died) is posted again, with
# the same key, to nodes 1 and 3: accepted now (202), or found taken (200)
# when node 2 had recorded it without answering
curl_cfg "$TMP/retry.cfg" "1 3" $(awk '$1 != 202 {print $2}' "$TMP/results")
curl -sS --parallel --parallel-max 24 --config "$TMP/retry.cfg" >"$TMP/retried" 2>/dev/null
assert_eq "$((N - n202))" "$(awk '$1 == 202 || $1 == 200' "$TMP/retried" | wc -l)" \
  "the $((N - n202)) others posted again with their key to nodes 1 and 3: each 202 or 200"
echo "# posted again: $(awk '$1 == 200' "$TMP/retried" | wc -l) already taken by node 2 (200)"
t=0
until queue_empty; do
  t=$((t + 1))
  if [ $t -gt 600 ]; then
    fail "the nodes empty the shared queue (waited 30 s)" \
      "$(psql_store "SELECT state, claimed_by, lease_until - extract(epoch from now())::bigint, count(*) FROM recipients WHERE state IN ('queued','sending') GROUP BY 1, 2, 3")"
    break
  fi
  sleep 0.05
done
[ $t -le 600 ] && pass "the nodes empty the shared queue, the killed node's share included ($((t / 20)) s)"
nodeapi 3 GET '/v1/messages?status=unknown&limit=1000'
jqr '.messages[].recipients[] | select(.status == "unknown") | .to' | sed 's/^+//' | sort >"$TMP/unknown"
nunknown=$(wc -l <"$TMP/unknown")
sim_counts | sort >"$TMP/counts"
cat "$TMP/results" "$TMP/retried" | awk '$1 == 202 || $1 == 200 {print "33" $2}' | sort -u >"$TMP/ok"
lost=$(join -v 1 "$TMP/ok" "$TMP/counts" | join -v 1 - "$TMP/unknown" | wc -l)
echo "# $n202 of $N answered 202 before the kill; $nunknown unknown; $(wc -l <"$TMP/counts") numbers reached sMsmode"
assert_eq "$N" "$(wc -l <"$TMP/ok")" "every one of the $N messages was accepted once (202, or 200 on a repeat)"
assert_eq 0 "$lost" "every accepted message reached sMsmode (or is unknown)"
assert_eq 0 "$(awk '$2 > 1' "$TMP/counts" | wc -l)" "no number reached sMsmode twice"
assert_eq yes "$([ "$nunknown" -le "$WORKERS" ] && echo yes || echo "no: $nunknown")" \
  "at most the killed node's $WORKERS workers' messages are unknown ($nunknown)"
assert_eq "$nunknown" "$(psql_store "SELECT count(*) FROM recipients WHERE state = 'unknown' AND code = 'interrupted'")" \
  "... each unknown one was interrupted (its node died while sending it)"
assert_eq "$N" "$(psql_store "SELECT count(*) FROM recipients WHERE state IN ('accepted', 'unknown')")" \
  "the store holds each message once, accepted or unknown"

# ---- the restarted node serves; a repeated key on any node: the original
post_json_to 2 /v1/messages '{"to": "0612399001", "text": "after restart"}'
assert_eq 202 "$STATUS" "the restarted node accepts a message"
D_URL=$(url 2)
wait_until "the restarted node's message is sent" 'test "$(sends_to 33612399001)" = 1'
one=$(awk '$1 == 202 {print $2; exit}' "$TMP/results")
post_json_to 3 /v1/messages "{\"to\": \"0$one\", \"text\": \"charge\"}" -H "Idempotency-Key: load-$one"
assert_eq 200 "$STATUS" "a load message's key posted again to node 3: 200"
assert_eq 1 "$(sends_to "33$one")" "... and it went out once"

# ---- idempotency across nodes: the same key on two nodes, then on all
# three at once
sim_fault smsmode none
post_json_to 1 /v1/messages '{"to": "0612399002", "text": "une fois"}' -H 'Idempotency-Key: idem-1'
assert_eq 202 "$STATUS" "Idempotency-Key idem-1 on node 1: 202"
first=$(jqr .id)
post_json_to 2 /v1/messages '{"to": "0612399002", "text": "une fois"}' -H 'Idempotency-Key: idem-1'
assert_eq 200 "$STATUS" "the same key on node 2: 200"
assert_json .id "$first" "... the message node 1 took"
post_json_to 3 /v1/messages '{"to": "0612399002", "text": "autre"}' -H 'Idempotency-Key: idem-1'
assert_eq 409 "$STATUS" "the same key with another text on node 3: 409"
race=
for k in 1 2 3; do
  curl -sS -o "$TMP/race$k" -w '%{http_code}\n' -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -H 'Idempotency-Key: idem-race' --data-binary '{"to": "0612399003", "text": "course"}' "$(url $k)/v1/messages" >"$TMP/race$k.code" &
  race="$race $!"
done
for p in $race; do wait "$p"; done
assert_eq "200 200 202" "$(cat "$TMP/race1.code" "$TMP/race2.code" "$TMP/race3.code" | sort | tr '\n' ' ' | sed 's/ $//')" \
  "one key posted to the three nodes at once: one 202, two 200"
assert_eq 1 "$(jq -r .id "$TMP/race1" "$TMP/race2" "$TMP/race3" | sort -u | wc -l)" "... all three answers name one message"
D_URL=$(url 1)
wait_until "the keyed messages are sent" 'test "$(sends_to 33612399002)" -ge 1 && test "$(sends_to 33612399003)" -ge 1'
sleep 1
assert_eq 1 "$(sends_to 33612399002)" "idem-1 went out once"
assert_eq 1 "$(sends_to 33612399003)" "idem-race went out once"

# ---- one breaker state: with nodes 2 and 3 stopped, two failures of main
# on node 1 open it; node 3, started afresh (it never saw main fail), skips
# main once node 1 has stopped too (so that node 3 sends)
for k in 2 3; do
  node_stop $k
  assert_eq 0 "$NODE_RC" "node $k: SIGTERM, exit 0"
done
D_URL=$(url 1)
for n in 0612399011 0612399012; do
  sim_fault smsmode down count=1
  post_json_to 1 /v1/messages "{\"to\": \"$n\", \"text\": \"panne\"}"
  wait_until "node 1: $n sent by backup after main failed" 'test "$(sim_tokens_of 33${n#0})" = "tok-main,demo-token"'
done
assert_eq "2 " "$(psql_store "SELECT value FROM kv WHERE ns = 'breaker' AND key = 'main'" | cut -c1-2)" \
  "the store's kv holds main's breaker: 2 failures"
node_start 3
node_stop 1
assert_eq 0 "$NODE_RC" "node 1: SIGTERM, exit 0"
post_json_to 3 /v1/messages '{"to": "0612399013", "text": "ouvert"}'
wait_until "node 3: sent" 'test "$(sends_to 33612399013)" = 1'
assert_eq demo-token "$(sim_tokens_of 33612399013)" "node 3 sent through backup: main was not tried"
m3=$(curl -sS "$(url 3)/metrics")
assert_contains "$m3" 'smsmux_provider_attempts_total{provider="main",result="skipped"} 1' \
  "node 3 counts one skip of main"
assert_contains "$m3" 'smsmux_provider_breaker_open{provider="main"} 1' "node 3 reports main's breaker open"

# ---- the database stops: a submit is refused (503: nothing is accepted
# that is not recorded), /readyz says the store is down; once the database
# is back the node serves again, on new connections
_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
post_json_to 3 /v1/messages '{"to": "0612399021", "text": "sans base"}'
assert_eq 503 "$STATUS" "the database stopped: a submit is refused with 503"
assert_json .error.class system "... class system"
STATUS=$(curl -sS -o "$TMP/.r" -w '%{http_code}' "$(url 3)/readyz")
assert_eq 503 "$STATUS" "... /readyz: 503"
assert_json .store false "... the store is down" "$(cat "$TMP/.r")"
_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null 2>&1
post_json_to 3 /v1/messages '{"to": "0612399022", "text": "la base revient"}'
assert_eq 202 "$STATUS" "the database back: the next submit is accepted"
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' "$(url 3)/readyz")
assert_eq 200 "$STATUS" "... /readyz: 200"
wait_until "... and sent" 'test "$(sends_to 33612399022)" = 1'
assert_eq 0 "$(sends_to 33612399021)" "the refused one was never sent"

node_stop 3
assert_eq 0 "$NODE_RC" "node 3: SIGTERM, exit 0"
assert_eq 0 "$(cat "$TMP"/n*.log | grep -c 'ASAN\|runtime error')" "no sanitizer report"
echo "# took $(($(date +%s) - T0)) s"
finish
