#!/bin/sh
# The ledger under load and its refunds (issue 14): 300 concurrent
# single-segment submits over 8 connections against a balance of 100 give
# exactly 100 x 202 and 200 x 402, a balance of 0, an exact ledger and 100
# sends at the provider; refunds for a provider's refusal, every provider
# failing, a cancel; a reseller's transfer and its customer's spend; usage
# adds up to the ledger.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
sim_start
daemon_config - <<INI
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 15
breaker_failures = 1000
[server]
listen = 127.0.0.1:0
admin_key = @KEY@
workers = 1
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
INI
daemon_start
if [ "$TEST_STORE" = pg ]; then
  CLI tenant list
  assert_contains "$(cat "$TMP/d.log")" "created the store's tables in postgresql://" "the store is PostgreSQL"
  assert_eq "" "$(ls "$TMP/state/state.db" 2>/dev/null)" "no SQLite store"
fi

# ---- 300 concurrent submits over 8 connections, 100 units
CLI tenant add load
CLI tenant credit load 100
CLI --json tenant key add load
LKEY=$(jqr .key)
i=0
: >"$TMP/load.cfg"
while [ $i -lt 300 ]; do
  n=$(printf '+336100%05d' $i)
  [ $i -gt 0 ] && echo next >>"$TMP/load.cfg"
  cat >>"$TMP/load.cfg" <<CFG
url = "$D_URL/v1/messages"
request = "POST"
header = "Authorization: Bearer $LKEY"
header = "Content-Type: application/json"
data-binary = "{\"to\":[\"$n\"],\"text\":\"Load $i\"}"
output = "$TMP/load.$i"
write-out = "%{http_code} $n\n"
CFG
  i=$((i + 1))
done
curl -sS --no-progress-meter -Z --parallel-max 8 -K "$TMP/load.cfg" >"$TMP/load.codes" 2>"$TMP/load.err"
assert_eq 100 "$(grep -c '^202 ' "$TMP/load.codes")" "exactly 100 answers 202"
assert_eq 200 "$(grep -c '^402 ' "$TMP/load.codes")" "exactly 200 answers 402"
assert_eq "" "$(grep -v '^202 \|^402 ' "$TMP/load.codes" | sort | uniq -c | head -5; head -c 300 "$TMP/load.err")" "no other answer"
assert_eq 0 "$(balance load)" "the balance is 0"
CLI --json tenant ledger load
assert_eq 0 "$(jqr '[.entries[].delta] | add')" "the ledger's rows sum to 0"
assert_eq 100 "$(jqr '[.entries[] | select(.reason == "reserve")] | length')" "100 reserve rows"
CLI --json tenant check
assert_json .ok true "smsmux tenant check: every balance equals its ledger"
wait_until "the provider got the 100 accepted" \
  'test "$(sim_requests smsmode | jq "[.[] | select(.path|endswith(\"/sendSMS.do\"))] | length")" -ge 100'
sleep 1
log=$(sim_requests smsmode)
assert_eq 100 "$(printf '%s' "$log" | jq '[.[] | select(.path|endswith("/sendSMS.do"))] | length')" "the simulator received exactly 100 sends"
accepted=$(sed -n 's/^202 +//p' "$TMP/load.codes" | sort)
got=$(printf '%s' "$log" | jq -r '.[] | select(.path|endswith("/sendSMS.do")) | .query + "&" + .body' |
  sed -n 's/.*numero=\([0-9]*\).*/\1/p' | sort)
assert_eq "$accepted" "$got" "each accepted number went out once, no refused one did"

# ---- refunds: a provider's refusal, every provider failing, a cancel
CLI tenant add refunds
CLI tenant credit refunds 10
CLI --json tenant key add refunds
RKEY=$(jqr .key)
sim_fault smsmode code "count=1&code=32"
tsend "$RKEY" +33612350001
rid=$(jqr .id)
wait_until "the refused message is settled" 'test "$(tstatus "$RKEY" "$rid")" = failed'
wait_until "its unit came back" 'test "$(balance refunds)" = 10'
sim_fault smsmode down "count=100"
tsend "$RKEY" +33612350002
did=$(jqr .id)
wait_until "the message every provider failed is settled" 'test "$(tstatus "$RKEY" "$did")" = failed'
wait_until "its unit came back" 'test "$(balance refunds)" = 10'
sim_fault smsmode none
sim_fault smsmode slow "count=1&ms=8000" # long enough for the two requests below, even under the sanitizers
tsend "$RKEY" +33612350003
slowid=$(jqr .id)
wait_until "the worker took the slow one" 'test "$(tstatus "$RKEY" "$slowid")" = sending'
tsend "$RKEY" +33612350004
qid=$(jqr .id)
assert_eq 8 "$(balance refunds)" "two messages reserved 2 units"
tapi "$RKEY" DELETE "/v1/messages/$qid"
assert_eq 200 "$STATUS" "the queued message is cancelled"
assert_eq 9 "$(balance refunds)" "the cancelled message's unit came back at once"
CLI --json tenant ledger refunds
assert_eq "refund refund refund" "$(jqr '[.entries[] | select(.reason == "refund") | .reason] | join(" ")')" "three refund rows"
assert_eq 1 "$(jqr "[.entries[] | select(.reason == \"refund\" and .message_id == \"$qid\")] | length")" "one for the cancelled message"

# ---- a reseller sells a bundle; its customer spends its own units only
CLI tenant add reseller
CLI tenant add shop --parent reseller
CLI tenant credit reseller 500
CLI tenant credit shop 200 --from reseller
assert_eq 0 "$RC" "credit shop 200 --from reseller"
assert_eq "300 200" "$(balance reseller) $(balance shop)" "200 units moved from the reseller to its customer"
CLI tenant credit refunds 5 --from reseller
assert_eq 2 "$RC" "a reseller cannot give units to another's customer"
CLI tenant transfer reseller shop 1000
assert_eq 1 "$RC" "more units than the reseller has: refused (exit 1)"
assert_eq "300 200" "$(balance reseller) $(balance shop)" "nothing moved"
CLI --json tenant key add shop
SKEY=$(jqr .key)
tsend "$SKEY" +33612350010
assert_eq 202 "$STATUS" "the customer sends"
assert_eq "300 199" "$(balance reseller) $(balance shop)" "drawn from the customer's balance, not the reseller's"
CLI --json tenant key add reseller
REKEY=$(jqr .key)
tapi "$REKEY" POST /v1/account/transfer -H 'Content-Type: application/json' --data-binary '{"to":"shop","units":50}'
assert_eq 200 "$STATUS" "the reseller sells 50 more units through the API"
assert_eq "250 249" "$(balance reseller) $(balance shop)" "moved"
tapi "$REKEY" POST /v1/account/transfer -H 'Content-Type: application/json' --data-binary '{"to":"refunds","units":1}'
assert_eq 404 "$STATUS" "not to a tenant that is not its customer"

# ---- usage adds up to the ledger
wait_until "the customer's message is sent" 'test "$(tstatus "$SKEY" "$(jqr .id "$(tapi "$SKEY" GET /v1/messages; echo "$OUT")" 2>/dev/null | head -1)")" != queued'
CLI --json tenant usage refunds
used=$(jqr .units)
CLI --json tenant ledger refunds
spent=$(jqr '[.entries[] | select(.reason == "reserve" or .reason == "refund") | .delta] | add | -.')
assert_eq "$spent" "$used" "refunds: usage units = units reserved minus refunded"
assert_eq 1 "$used" "one unit spent (the slow message)"
CLI tenant usage --csv
assert_contains "$OUT" "tenant,provider,status,messages,recipients,units" "CSV header"
assert_contains "$OUT" "load,smsmode,accepted,100,100,100" "CSV: the load tenant's 100 units"
CLI tenant check
assert_eq 0 "$RC" "the ledger is exact at the end"
finish
