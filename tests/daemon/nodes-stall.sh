#!/bin/sh
# Two smsmuxd nodes on one PostgreSQL store: a node stalls between claiming
# a message and sending it for longer than its lease (a paused virtual
# machine: SIGSTOP, its heartbeat stopped with it), the other node takes
# the message over and sends it, then the stalled node resumes.  What the
# provider and the client see: the number reached sMsmode exactly once;
# the resumed node logs that its claim was lost and sends nothing; the
# message's history has one `sending`, and its status is the one the
# second node's send gave it.
#
# SMSMUX_TEST_CLAIM_PAUSE_MS (node 1 only) holds node 1's worker between
# its claim and its send, so that the stop lands in that window.
SMSMUX_TEST_STORE=pg
export SMSMUX_TEST_STORE
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
SMSMUX_STORE_LEASE=2
export SMSMUX_STORE_LEASE
. "$top_srcdir/tests/daemon/nodes-lib.sh"

nodes_plain_config 1

SMSMUX_TEST_CLAIM_PAUSE_MS=3000
export SMSMUX_TEST_CLAIM_PAUSE_MS
node_start 1
unset SMSMUX_TEST_CLAIM_PAUSE_MS
assert_contains "$(cat "$TMP/n1.log")" "SMSMUX_TEST_CLAIM_PAUSE_MS=3000" \
  "node 1 warns that the test hook is on"
D_URL=$(url 1)
post_json_to 1 /v1/messages '{"to": "0612388001", "text": "une seule fois"}' -H 'Idempotency-Key: stall-1'
assert_eq 202 "$STATUS" "node 1 accepts the message"
id=$(jqr .id)
wait_until "node 1's worker claimed it" 'grep -q "claimed message $id" "$TMP/n1.log"'
kill -STOP "$(cat "$TMP/n1.spid")"
echo "# node 1 stopped (SIGSTOP) holding the claim of $id"
assert_eq 0 "$(sends_to 33612388001)" "nothing sent yet: node 1 holds the claim, paused"

# node 2 frees the lapsed claim (its heartbeat, a third of the 2 s lease)
# and sends the message
node_start 2
D_URL=$(url 2)
wait_until "node 2 sent the message" 'test "$(sends_to 33612388001)" = 1'
assert_eq accepted "$(psql_store "SELECT state FROM recipients WHERE message_id = '$id'")" \
  "the store says accepted (node 2's send)"
pid2=$(psql_store "SELECT provider_id FROM recipients WHERE message_id = '$id'")

kill -CONT "$(cat "$TMP/n1.spid")"
echo "# node 1 resumed (SIGCONT)"
wait_until "node 1 finds its claim lost" 'grep -q "message $id: .*not sent here" "$TMP/n1.log"'
assert_contains "$(cat "$TMP/n1.log")" "not held by this worker's claim" \
  "node 1 logs why it sends nothing"
# a send by node 1 would have reached the simulator at once; wait a little
# longer than its 3 s pause
sleep 1
sim_up=$(curl -sS -o /dev/null -w '%{http_code}' "$SIM_URL/_sim/requests?provider=smsmode")
assert_eq 200 "$sim_up" "the simulator still answers (its count means something)"
assert_eq 1 "$(sends_to 33612388001)" "the number reached sMsmode exactly once"
assert_eq "accepted $pid2" "$(psql_store "SELECT state || ' ' || provider_id FROM recipients WHERE message_id = '$id'")" \
  "node 1 wrote nothing over node 2's outcome"
assert_eq 1 "$(psql_store "SELECT count(*) FROM events WHERE message_id = '$id' AND status = 'sending'")" \
  "the history has one sending"
nodeapi 1 GET "/v1/messages/$id"
assert_eq 200 "$STATUS" "GET the message on node 1"
assert_json '.recipients[0].status' accepted "... accepted"
assert_eq 1 "$(kill -0 "$(cat "$TMP/n1.spid")" 2>/dev/null && echo 1)" "node 1 runs on"

# node 1 goes on working: a new message is sent once (node 2 stopped, so
# that node 1's worker takes it)
node_stop 2
post_json_to 1 /v1/messages '{"to": "0612388002", "text": "ensuite"}'
assert_eq 202 "$STATUS" "node 1 accepts another message"
wait_until "node 1 sent it" 'test "$(sends_to 33612388002)" = 1'
sleep 0.5
assert_eq 1 "$(sends_to 33612388002)" "... once"
node_stop 1
assert_eq 0 "$NODE_RC" "node 1: SIGTERM, exit 0"
assert_eq 0 "$(cat "$TMP"/n*.log | grep -c 'ASAN\|runtime error')" "no sanitizer report"
finish
