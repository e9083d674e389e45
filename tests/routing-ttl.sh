#!/bin/sh
# The cheapest policy's cached balance (balance_ttl): the cache expires
# balance_ttl seconds after the provider was last really asked, whatever
# the sends did to it since (a send lowers the cached value, it does not
# make it fresh); and a balance a send answer reported counts that send
# already (it is not lowered again).  Checked on the requests the
# simulator received and on what `smsmux route` says of the credit.
. "$top_srcdir/tests/lib.sh"
sim_start --quiet

credit_calls() {
  sim_requests smsmode | jq '[.[] | select(.path | endswith("/credit.do"))] | length'
}
send_calls() {
  sim_requests smsmode | jq '[.[] | select(.path | endswith("/sendSMS.do"))] | length'
}

# --- balance_ttl = 4: eight sends over about 12 s ------------------------
sim_ctl POST "account?provider=smsmode&token=tok-ttl&credit=1000" >/dev/null
write_config ttl.ini <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-ttl
routes = cheap
balance_ttl = 4

[provider.ttl]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = tok-ttl
cost = 0.03

[route.cheap]
policy = cheapest
providers = ttl
EOF
i=1
while [ $i -le 8 ]; do
  run_smsmux --config "$TMP/ttl.ini" --json send --to 0612345678 --text "ttl $i"
  assert_eq 0 "$RC" "balance_ttl: send $i exits 0"
  [ $i -lt 8 ] && sleep 1.5
  i=$((i + 1))
done
assert_eq 8 "$(send_calls)" "balance_ttl: eight sends"
n=$(credit_calls)
# read at the first send, then again once 4 s passed since that reading
# (about 3 readings in 10.5 s); a send refreshing the cache's time would
# leave one reading only, no cache at all eight
if [ "$n" -ge 2 ] && [ "$n" -le 4 ]; then
  pass "balance_ttl = 4: $n credit.do readings in eight sends over 10.5 s (2 to 4)"
else
  fail "balance_ttl = 4: 2 to 4 credit.do readings in eight sends over 10.5 s" "readings: $n"
fi

# --- a balance a send answer reported is not lowered again ---------------
# generic-http against the simulator's `answer` fault: the balance request
# and the send get the answers given here
write_config answer.ini <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-answer
routes = cheap
balance_ttl = 3600

[provider.money]
plugin = generic-http
base_url = @SIM@/clever-rest/api
send_url = /pushs
send_params = text=${text} & to=${to}
id_from = pairs:CampaignID
send_balance_from = pairs:Credits
balance_url = /balance
balance_from = pairs:Credits
cost = 0.5

[route.cheap]
policy = cheapest
providers = money
EOF
answer() {
  sim_ctl POST "fault?provider=clever-rest&mode=answer&count=1&code=200" \
    --data-urlencode "body=$1" --data-urlencode "type=text/plain; charset=UTF-8" >/dev/null
}
sim_reset
answer 'Credits=50'
run_smsmux --config "$TMP/answer.ini" --json route --to +33600000001 --text hello
assert_contains "$(jqr '.candidates[0].reason')" "(credit 50 >= 1 needed)" \
  "send answer balance: the balance read first (50)"
answer 'Status=100
CampaignID=c42
Credits=41.5'
run_smsmux --config "$TMP/answer.ini" --json send --to +33600000001 --text hello
assert_eq 0 "$RC" "send answer balance: the send exits 0"
assert_json '.id' c42 "send answer balance: sent through the cheapest route"
run_smsmux --config "$TMP/answer.ini" --json route --to +33600000001 --text hello
assert_contains "$(jqr '.candidates[0].reason')" "(credit 41.5 >= 1 needed)" \
  "send answer balance: the cache holds what the answer said, not lowered again"
assert_eq 2 "$(sim_requests clever-rest | jq length)" \
  "send answer balance: one balance request and the send, nothing more"

# --- and a send without a balance in its answer lowers the cache ---------
answer 'Status=100
CampaignID=c43'
run_smsmux --config "$TMP/answer.ini" --json send --to +33600000001 --text hello
assert_eq 0 "$RC" "no balance in the answer: the send exits 0"
run_smsmux --config "$TMP/answer.ini" --json route --to +33600000001 --text hello
assert_contains "$(jqr '.candidates[0].reason')" "(credit 40.5 >= 1 needed)" \
  "no balance in the answer: the cache goes down by what the send used (1)"

finish
