#!/bin/sh
# The routing engine against the simulator: cheapest by credit, prefix
# routes, round robin across runs, circuit breakers, failover_on_unknown,
# chunk failover, and `smsmux route` explaining each choice.  Several
# provider instances are several sMsmode accounts of the simulator, told
# apart by the token in each request.
. "$top_srcdir/tests/lib.sh"
sim_start

account() { sim_ctl POST "account?provider=smsmode&token=$1&credit=$2" >/dev/null; }
credit_of() { sim_ctl GET "account?provider=smsmode&token=$1" | jq -r .credit; }
# tokens of every sendSMS request, in order, comma-joined
send_tokens() {
  sim_requests smsmode | jq -r '[.[] | select(.path|endswith("/sendSMS.do")) |
    (.query // "" | capture("accessToken=(?<t>[^&]*)").t) //
    (.body | capture("accessToken=(?<t>[^&]*)").t)] | join(",")'
}

# ---------------------------------------------------------------- cheapest
account tok-dear 1000
account tok-cheap 1
write_config cheap.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-cheap
routes = cheap
balance_ttl = 0
[provider.dear]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = tok-dear
cost = 0.05
[provider.cheap]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = tok-cheap
cost = 0.03
cost.+32 = 0.09
[route.cheap]
policy = cheapest
providers = dear, cheap
EOF2
C="--config $TMP/cheap.ini"
run_smsmux $C --json route --to 0612345678,0698765432 --text "two recipients"
assert_eq 0 "$RC" "route exits 0"
assert_json .policy cheapest "route shows the policy"
assert_json '.candidates[] | select(.provider=="cheap") | .chosen' false \
  "cheapest skipped when its credit is too low"
assert_json '.candidates[] | select(.provider=="cheap") | .reason' \
  "credit 1 < 2 needed" "the reason gives credit and need"
assert_json '.candidates[] | select(.chosen) | .provider' dear "dearer provider chosen"
run_smsmux $C route --to 0612345678,0698765432 --text "two recipients"
assert_contains "$OUT" "credit 1 < 2 needed" "human route output gives the reason"

account tok-cheap 3
run_smsmux $C --json route --to 0612345678 --text "one"
assert_json '.candidates[0].provider' cheap "with credit, the cheapest comes first"
assert_json '.candidates[0].cost' 0.03 "its cost"
assert_contains "$(jqr '.candidates[0].reason')" "cheapest at 0.03 (credit 3 >= 1 needed)" "and why"
assert_json '.candidates[1].provider' dear "the dearer one follows as failover"

# destination prices: +32 costs 0.09 at "cheap", so "dear" wins there
run_smsmux $C --json route --to +32470123456 --text "Belgium"
assert_json '.candidates[0].provider' dear "longest cost.+PREFIX makes cheap dearer for +32"
assert_json '.candidates[1].cost' 0.09 "cost.+32 used"

# the balance drops with each send: after 3 messages "cheap" is skipped
sim_reset; account tok-dear 1000; account tok-cheap 3
for i in 1 2 3 4; do
  run_smsmux $C --json send --to 0612345678 --text "message $i"
  assert_eq 0 "$RC" "cheapest send $i exits 0"
done
assert_eq "tok-cheap,tok-cheap,tok-cheap,tok-dear" "$(send_tokens)" \
  "cheapest takes 3 messages, then moves when its credit is spent"
assert_eq 0 "$(credit_of tok-cheap)" "the cheap account's credit is spent"

# cached balances (TTL) go down with each send without asking again
sed -i 's/^balance_ttl = 0/balance_ttl = 3600/; s/state-cheap/state-cached/' "$TMP/cheap.ini"
sim_reset; account tok-dear 1000; account tok-cheap 2
for i in 1 2 3; do run_smsmux $C --json send --to 0612345678 --text "cached $i"; done
assert_eq "tok-cheap,tok-cheap,tok-dear" "$(send_tokens)" "the cached balance goes down too"
credit_calls=$(sim_requests smsmode | jq '[.[] | select(.path|endswith("/credit.do"))] | length')
assert_eq 2 "$credit_calls" "balances read once per provider while fresh"

# --------------------------------------------------------------- prefixes
write_config prefix.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-prefix
routes = belgium, default
[provider.fr]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = tok-dear
[provider.be]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
[route.belgium]
match = to=+32
providers = be
[route.default]
providers = fr
EOF2
sim_reset
run_smsmux --config "$TMP/prefix.ini" --json send --to 0032470123456 --text "hallo"
assert_json .route belgium "a +32 number takes the belgium route"
assert_json .provider be "and its provider"
run_smsmux --config "$TMP/prefix.ini" --json send --to 0612345678 --text "salut"
assert_json .route default "a French number falls to the default route"
run_smsmux --config "$TMP/prefix.ini" --json route --to 0612345678,+32470123456 --text "mixed"
assert_json .route default "a route matches only when every recipient matches"
run_smsmux --config "$TMP/prefix.ini" --json send --route belgium --to 0612345678 --text "forced"
assert_json .provider be "--route forces a route"

# ------------------------------------------------------------- round robin
write_config rr.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-rr
routes = spread
[provider.a]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = tok-dear
[provider.b]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
[route.spread]
policy = roundrobin
providers = a, b
EOF2
sim_reset; account tok-dear 1000
for i in 1 2 3 4; do run_smsmux --config "$TMP/rr.ini" send --to 0612345678 --text "rr $i"; done
assert_eq "tok-dear,demo-token,tok-dear,demo-token" "$(send_tokens)" \
  "round robin alternates across separate runs"
run_smsmux --config "$TMP/rr.ini" --json route --to 0612345678 --text "next?"
assert_json '.candidates[0].provider' a "route shows whose turn it is without taking it"
run_smsmux --config "$TMP/rr.ini" --json route --to 0612345678 --text "next?"
assert_json '.candidates[0].provider' a "route does not move the position"
# concurrent runs share the position: 6 sends in parallel, 3 each
sim_reset; account tok-dear 1000
pids=
for i in 1 2 3 4 5 6; do
  "$SMSMUX" --config "$TMP/rr.ini" send --to 0612345678 --text "p$i" >/dev/null 2>&1 &
  pids="$pids $!"
done
wait $pids # not a bare `wait`: the simulator runs in the background too
t=$(send_tokens)
assert_eq 3 "$(printf '%s' "$t" | tr ',' '\n' | grep -c '^tok-dear$')" "concurrent round robin: 3 to a"
assert_eq 3 "$(printf '%s' "$t" | tr ',' '\n' | grep -c '^demo-token$')" "concurrent round robin: 3 to b"

# ---------------------------------------------------------- circuit breaker
write_config br.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-br
breaker_failures = 2
breaker_cooldown = 6
; long enough that a slow (sanitizer) build cannot reach the end of the
; cool-down between two commands that expect the breaker open
[provider.main]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = tok-dear
[provider.backup]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF2
B="--config $TMP/br.ini"
sim_reset; account tok-dear 1000
for i in 1 2; do
  sim_fault smsmode down count=1
  run_smsmux $B --json send --to 0612345678 --text "fail $i"
  assert_json .provider backup "failure $i: backup takes it"
done
run_smsmux $B --json route --to 0612345678 --text "?"
assert_contains "$(jqr '.candidates[] | select(.provider=="main") | .reason')" \
  "circuit breaker open" "after 2 failures the breaker is open"
sim_reset; account tok-dear 1000
run_smsmux $B --json send --to 0612345678 --text "while open"
assert_json .provider backup "an open breaker skips main"
assert_json '[.attempts[] | select(.result != "skipped")] | length' 1 \
  "main is not even tried"
assert_eq "demo-token" "$(send_tokens)" "no request reached main"
sleep 6.2
run_smsmux $B --json route --to 0612345678 --text "?"
assert_contains "$(jqr '.candidates[0].reason')" "half-open" "after the cool-down: half-open"
run_smsmux $B --json send --to 0612345678 --text "probe"
assert_json .provider main "the probe goes to main and succeeds"
run_smsmux $B --json route --to 0612345678 --text "?"
assert_json '.candidates[0].reason' "chosen: in route order" "a successful probe closes the breaker"
# a failed probe opens it again at once
for i in 1 2; do sim_fault smsmode down count=1; run_smsmux $B send --to 0612345678 --text "x"; done
sleep 6.2
sim_fault smsmode down count=1
run_smsmux $B --json send --to 0612345678 --text "bad probe"
assert_json .provider backup "failed probe: backup takes it"
run_smsmux $B --json route --to 0612345678 --text "?"
assert_contains "$(jqr '.candidates[] | select(.provider=="main") | .reason')" \
  "circuit breaker open" "a failed probe reopens the breaker"
# all providers resting: exit 1 (temporary), nothing sent
for i in 1 2; do sim_fault smsmode down count=2; run_smsmux $B send --to 0612345678 --text "y"; done
sim_reset
run_smsmux $B --json send --to 0612345678 --text "all open"
assert_eq 1 "$RC" "every breaker open: exit 1"
assert_json .error.class temporary "every breaker open: class temporary"
assert_nothing_sent smsmode "every breaker open: nothing sent"

# the skip is in send's attempts, not only on stderr (a long cool-down:
# nothing here depends on timing)
sed 's/^breaker_cooldown = .*/breaker_cooldown = 3600/; s/state-br$/state-br-long/' \
  "$TMP/br.ini" >"$TMP/br-long.ini"
chmod 600 "$TMP/br-long.ini"
BL="--config $TMP/br-long.ini"
sim_reset; account tok-dear 1000
for i in 1 2; do
  sim_fault smsmode down count=1
  run_smsmux $BL --json send --to 0612345678 --text "fail $i"
done
run_smsmux $BL --json send --to 0612345678 --text "while open"
assert_json .provider backup "long cool-down: backup takes it"
assert_json '.attempts[0] | [.provider, .result] | join(" ")' "main skipped" \
  "the breaker skip is the first attempt"
assert_contains "$(jqr '.attempts[0].reason')" "circuit breaker open for" \
  "the skipped attempt says why"
assert_json '.attempts[0] | keys | join(",")' "provider,reason,result" \
  "a skipped attempt is {provider, result, reason}"
assert_json '[.attempts[] | "\(.provider) \(.result)"] | join(",")' \
  "main skipped,backup ok" "then the attempt that was made"
run_smsmux $BL send --to 0612345678 --text "while open, human"
assert_eq 0 "$RC" "human send while open exits 0"
assert_contains "$OUT" "main: skipped (circuit breaker open" \
  "the human output lists the skip among the attempts"

# ----------------------------------------------------- failover_on_unknown
write_config unk.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-unk
timeout = 1
routes = risky
breaker_failures = 0
[provider.a]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = tok-dear
[provider.b]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
[route.risky]
providers = a, b
failover_on_unknown = yes
EOF2
sim_reset; account tok-dear 1000
sim_fault smsmode timeout_after_accept "ms=3000&count=1"
run_smsmux --config "$TMP/unk.ini" --json send --to 0612345678 --text "maybe twice"
assert_eq 0 "$RC" "failover_on_unknown = yes: the second provider is tried"
assert_eq "tok-dear,demo-token" "$(send_tokens)" "both providers received it (as configured)"
assert_json '.attempts[0].class' unknown_outcome "the first attempt is recorded as unknown"

# ---------------------------------------------------------- chunk failover
write_config chunk.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-chunk
breaker_failures = 0
[provider.a]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = tok-dear
[provider.b]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF2
sim_reset; account tok-dear 100000; account demo-token 100000
i=0; : >"$TMP/numbers.txt"
while [ $i -lt 1500 ]; do printf '+336%08d\n' $((10000000 + i)) >>"$TMP/numbers.txt"; i=$((i + 1)); done
sim_fault smsmode code "code=50&count=1"
# one send of 1500 recipients (--to: a --to-file goes through the batch
# API, whose rows would be grouped per provider limit before the send)
run_smsmux --config "$TMP/chunk.ini" --json send --to "$(paste -sd, "$TMP/numbers.txt")" --text "chunks"
assert_eq 0 "$RC" "1500 recipients with the first chunk refused: exit 0"
assert_json '.recipients | length' 1500 "every recipient reported"
assert_json '[.recipients[] | select(.provider=="b")] | length' 1000 "the failed chunk of 1000 moved to b"
assert_json '[.recipients[] | select(.provider=="a")] | length' 500 "the other chunk stayed on a"
assert_json '[.recipients[] | select(.status!="accepted")] | length' 0 "all accepted in the end"
assert_eq "tok-dear,tok-dear,demo-token" "$(send_tokens)" "three requests: a (refused), a, b"
assert_json '[.attempts[].result] | join(",")' "failed,ok,ok" "three attempts recorded"

# ------------------------------------------------- capabilities: MMS, voice
write_config mms.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-mms
routes = everything
[provider.sms]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
[provider.mms]
plugin = allmysms
base_url = @SIM@/allmysms
login = demo
password = demo-pass
[route.everything]
providers = sms, mms
EOF2
M="--config $TMP/mms.ini"
sim_reset
run_smsmux $M --json route --kind mms --to 0612345678 --text "photo" --image http://www.example.com/p.jpg
assert_json '.candidates[] | select(.provider=="sms") | .reason' "lacks the mms capability"   "an SMS-only provider listed first is dropped for an MMS"
assert_json '.candidates[] | select(.chosen) | .provider' mms "the MMS goes to AllMySMS"
run_smsmux $M --json send --kind mms --to 0612345678 --text "photo" --image http://www.example.com/p.jpg
assert_eq 0 "$RC" "MMS sent"
assert_json .provider mms "MMS sent through AllMySMS"
assert_eq "" "$(send_tokens)" "sMsmode received nothing"
run_smsmux $M --json send --to 0612345678 --text "plain sms"
assert_json .provider sms "an SMS still goes to the SMS provider"
# no capable provider: exit 2, the missing capability named, nothing sent
write_config nommsprov.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-nomms
[provider.sms]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF2
sim_reset
run_smsmux --config "$TMP/nommsprov.ini" --json send --kind mms --to 0612345678 --text "x" --image http://www.example.com/p.jpg
assert_eq 2 "$RC" "no MMS-capable provider: exit 2"
assert_json .error.class input "no MMS-capable provider: class input"
assert_contains "$(jqr .error.message)" "lacks the mms capability" "says which capability is missing"
assert_nothing_sent smsmode "no MMS-capable provider: nothing sent"
run_smsmux $M --json route --kind voice --to 0612345678 --text "allo"
assert_json '.candidates[] | select(.provider=="mms") | .reason' "lacks the voice capability" \
  "voice never goes to a provider without it"
assert_json '.candidates[] | select(.chosen) | .provider' sms "voice goes to sMsmode"

finish
