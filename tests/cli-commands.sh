#!/bin/sh
# Each command of smsmux against the simulated sMsmode: the keys of its
# --json document, its human output, and its exit status (0 done, 1
# refused or failed, 2 input, 3 possibly sent).
. "$top_srcdir/tests/lib.sh"

sim_start
write_config sim.ini <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 1
breaker_failures = 0

[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
cost = 0.045
EOF
CONFIG=$TMP/sim.ini
sms() { run_smsmux --config "$CONFIG" "$@"; }
keys() { jqr "$1 | keys | join(\",\")"; }

# --- send -----------------------------------------------------------------
sms --json send --to 0612345678,0698765432 --text 'Bonjour Maman'
assert_eq 0 "$RC" "send: exit 0"
assert_eq "attempts,cost,duplicate,encoding,id,possibly_sent,provider,recipients,route,segments" \
  "$(keys .)" "send: the keys of the document"
assert_eq "code,id,provider,status,text,to" "$(keys '.recipients[0]')" "send: recipient keys"
assert_eq "class,code,message,provider,result" "$(keys '.attempts[0]')" "send: attempt keys"
assert_json '.provider' smsmode "send: provider"
assert_json '.id | type' string "send: id"
assert_json '.encoding' gsm7 "send: encoding gsm7"
assert_json '.segments' 1 "send: segments"
assert_json '.cost' 0.09 "send: cost = segments x recipients x price"
assert_json '.duplicate' false "send: not a duplicate"
assert_json '.possibly_sent' false "send: not possibly sent"
assert_json '[.recipients[].status] | join(",")' "accepted,accepted" "send: recipients accepted"
assert_json '.attempts[0].result' ok "send: attempt ok"
ID=$(jqr .id)

sms --json send --to 0612345678 --text 'Привет'
assert_json '.encoding' ucs2 "send: Cyrillic text is ucs2"

sms send --to 0612345678 --text 'Bonjour'
assert_eq 0 "$RC" "send (human): exit 0"
assert_contains "$OUT" "sent via smsmode id " "send (human): summary line"
assert_contains "$OUT" "1 recipient, gsm7, 1 segment, cost 0.045" "send (human): counts"
assert_contains "$OUT" "+33612345678" "send (human): the recipient"
assert_eq "" "$ERR" "send (human): nothing on stderr"

# a refusal: exit 1, the error and the attempt
sim_fault smsmode down count=1
sms --json send --to 0612345678 --text 'hi'
assert_eq 1 "$RC" "send refused: exit 1"
assert_json '.error.class' temporary "send refused: class temporary"
assert_json '.error | keys | join(",")' "class,code,message" "send refused: error keys"
assert_json '.attempts[0].result' failed "send refused: attempt failed"
assert_contains "$ERR" "smsmux: " "send refused: message on stderr"
sim_fault smsmode down count=1
sms send --to 0612345678 --text 'hi'
assert_eq 1 "$RC" "send refused (human): exit 1"
assert_eq "" "$OUT" "send refused (human): nothing on stdout"
assert_contains "$ERR" "smsmux: " "send refused (human): message on stderr"

# an unknown outcome: exit 3, clearly possibly sent
sim_fault smsmode timeout_after_accept count=1 ms=3000
sms --json send --to 0612345678 --text 'maybe'
assert_eq 3 "$RC" "send timed out: exit 3"
assert_json '.possibly_sent' true "send timed out: possibly_sent"
assert_json '.error.class' unknown_outcome "send timed out: class unknown_outcome"
sim_fault smsmode timeout_after_accept count=1 ms=3000
sms send --to 0612345678 --text 'maybe again'
assert_eq 3 "$RC" "send timed out (human): exit 3"
assert_contains "$ERR" "POSSIBLY SENT" "send timed out (human): warned"

# an input error: exit 2
sms --json send --to 12 --text 'hi'
assert_eq 2 "$RC" "bad number: exit 2"
assert_json '.error.class' input "bad number: class input"

# --- route ----------------------------------------------------------------
sms --json route --to 0612345678 --text 'hi'
assert_eq 0 "$RC" "route: exit 0"
assert_eq "candidates,encoding,policy,route,segments" "$(keys .)" "route: keys"
assert_eq "chosen,cost,provider,reason" "$(keys '.candidates[0]')" "route: candidate keys"
assert_json '.candidates[0].chosen' true "route: smsmode chosen"
sms --json route --to 0612345678 --kind mms --image http://example.com/a.jpg
assert_eq 2 "$RC" "route of an MMS without an MMS provider: exit 2"
assert_json '.candidates[0].chosen' false "route of an MMS: smsmode not chosen"
assert_json '.error.message | length > 0' true "route of an MMS: says why"
sms route --to 0612345678 --text 'hi'
assert_contains "$OUT" "* smsmode" "route (human): chosen provider marked"

# --- status ---------------------------------------------------------------
sms --json status "$ID"
assert_eq 0 "$RC" "status (provider from the journal): exit 0"
assert_eq "id,provider,recipients" "$(keys .)" "status: keys"
assert_eq "at,code,status,text,to" "$(keys '.recipients[0]')" "status: recipient keys"
assert_json '.provider' smsmode "status: provider found"
assert_json '.recipients | length' 2 "status: both recipients"
sms status --provider smsmode "$ID"
assert_eq 0 "$RC" "status (human): exit 0"
assert_contains "$OUT" "+33698765432" "status (human): recipients listed"

# --- replies --------------------------------------------------------------
sim_ctl POST "reply?provider=smsmode&token=demo-token&from=0612345678&text=STOP&message_id=$ID" >/dev/null
sms --json replies --provider smsmode
assert_eq 0 "$RC" "replies: exit 0"
assert_eq "provider,replies" "$(keys .)" "replies: keys"
assert_eq "at,from,id,message_id,text,to" "$(keys '.replies[0]')" "replies: reply keys"
assert_json '.replies[0].text' STOP "replies: the text"
assert_json '.replies[0].from' "+33612345678" "replies: the sender"
sms replies --provider smsmode --since '2000-01-01 00:00'
assert_eq 0 "$RC" "replies (human, --since): exit 0"
assert_contains "$OUT" "STOP" "replies (human): the text"

# --- credit ---------------------------------------------------------------
sms --json credit
assert_eq 0 "$RC" "credit: exit 0"
assert_json '.credits[0].provider' smsmode "credit: provider"
assert_json '.credits[0].credit | type' number "credit: a number"
sms credit --provider smsmode
assert_contains "$OUT" "smsmode: " "credit (human)"

write_config two.ini <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state2
[provider.good]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
[provider.bad]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = no-such-token
EOF
run_smsmux --config "$TMP/two.ini" --json credit
assert_eq 1 "$RC" "credit with one provider failing: exit 1"
assert_json '[.credits[].provider] | join(",")' "good,bad" "credit: every provider listed"
assert_json '.credits[0].credit | type' number "credit: the good one has its credit"
assert_json '.credits[1].error.class' auth "credit: the bad one has its error"
assert_json '.credits[1] | has("credit")' false "credit: no credit beside an error"

# a provider without a balance call (mediasflow) is listed as not supported,
# and does not make the command fail when every other one answered
write_config nobalance.ini <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state3
[provider.good]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
[provider.mf]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
login = demo
password = demo-password
EOF
run_smsmux --config "$TMP/nobalance.ini" --json credit
assert_eq 0 "$RC" "credit with a provider that has no balance call: exit 0"
assert_json '[.credits[].provider] | join(",")' "good,mf" "credit: the one without a balance call is listed"
assert_json '.credits[1].error.class' unsupported "credit: its class is unsupported"
assert_contains "$(jqr '.credits[1].error.message')" "not supported" "credit: it says not supported"
run_smsmux --config "$TMP/nobalance.ini" credit
assert_eq 0 "$RC" "credit (human) with a provider without balance: exit 0"
assert_contains "$OUT" "mf: not supported" "credit (human): not supported listed"
run_smsmux --config "$TMP/nobalance.ini" credit --provider mf
assert_eq 2 "$RC" "credit --provider of one without balance: unsupported, exit 2"

# --- cancel ---------------------------------------------------------------
sms --json send --to 0612345678 --text 'later' --at '2031-01-01 10:00:00'
LATER=$(jqr .id)
assert_json '.recipients[0].status' scheduled "scheduled send: status scheduled"
sms --json cancel --provider smsmode "$LATER"
assert_eq 0 "$RC" "cancel: exit 0"
assert_eq '{"provider":"smsmode","id":"'"$LATER"'","cancelled":true}' "$OUT" "cancel: document"
sms --json cancel --provider smsmode no-such-id
assert_eq 1 "$RC" "cancel of an unknown id: exit 1"
assert_json '.cancelled' false "cancel of an unknown id: not cancelled"
assert_json '.error.class | length > 0' true "cancel of an unknown id: error"

# --- call -----------------------------------------------------------------
sms --json call --provider smsmode sms-list
assert_eq 0 "$RC" "call: exit 0"
assert_eq "op,provider,records" "$(keys .)" "call: keys"
assert_json '.op' sms-list "call: op"
assert_json '.records | type' array "call: records"
sms --json call --provider smsmode no-such-op
assert_json '.error.class | length > 0' true "call of an unknown operation: error"
assert_eq 1 "$([ "$RC" -ne 0 ] && echo 1)" "call of an unknown operation: non-zero exit"

# --- providers / plugins --------------------------------------------------
sms --json providers
assert_eq 0 "$RC" "providers: exit 0"
assert_eq "abi,capabilities,enabled,error,loaded,name,operations,path,plugin,version" \
  "$(keys '.providers[0]')" "providers: item keys"
assert_json '.providers[0].abi' "$ABI_VERSION" "providers: abi"
assert_json '.providers[0].capabilities | index("sms") != null' true "providers: capability names"
sms --json plugins
assert_eq 0 "$RC" "plugins: exit 0"
assert_json '[.plugins[].name] | index("smsmode") != null' true "plugins: smsmode found"
sms providers
assert_contains "$OUT" "smsmode" "providers (human)"

# --- secrets never shown --------------------------------------------------
sim_fault smsmode down count=1
sms --json --verbose send --to 0612345678 --text 'hi'
assert_not_contains "$OUT$ERR" "demo-token" "the access token is never printed"

finish
