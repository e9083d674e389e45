#!/bin/sh
# The core send path against the simulator: exit statuses, failover between
# instances, unknown outcome (exactly one provider received it), --ref
# never sending twice, input errors sending nothing, secrets never shown.
. "$top_srcdir/tests/lib.sh"
sim_start

write_config two.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 2
; these tests fail providers on purpose, one message at a time: the
; circuit breaker (tests/routing.sh) would rest them between tests
breaker_failures = 0
[provider.first]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = Ab1CD2efg3Hi
cost = 0.04
[provider.second]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
cost = 0.05
EOF2
C="--config $TMP/two.ini"
count_sends() { sim_requests smsmode | jq '[.[] | select(.path|endswith("/sendSMS.do"))] | length'; }
token_of_send() { sim_requests smsmode | jq -r "[.[] | select(.path|endswith(\"/sendSMS.do\"))][$1].query" | sed 's/&.*//'; }

# success: exit 0, user-agent, cost
run_smsmux $C --json send --to 0612345678 --text "Bonjour Maman"
assert_eq 0 "$RC" "send exits 0"
assert_json .provider first "first provider in file order takes it"
assert_json .cost 0.04 "cost = segments x recipients x price"
assert_json .encoding gsm7 "encoding reported"
assert_contains "$(sim_requests smsmode | jq -r '.[0].headers["user-agent"]')" "smsmux/" "User-Agent names smsmux"

# failover on a temporary failure (HTTP 503): second provider takes it
sim_reset
sim_fault smsmode down count=1
run_smsmux $C --json send --to 0612345678 --text "failover"
assert_eq 0 "$RC" "failover after 503 exits 0"
assert_json .provider second "second provider took it"
assert_json '.attempts | length' 2 "two attempts recorded"
assert_json '.attempts[0].class' temporary "first attempt: temporary"
assert_json '.attempts[0].code' "HTTP 503" "first attempt: raw code"
assert_json '.attempts[1].result' ok "second attempt ok"
assert_eq "accessToken=demo-token" "$(token_of_send 1)" "the second request used the second account"

# failover on code 50 (temporarily unavailable) and 32 (auth), 33 (credit)
for c in 50:temporary 32:auth 33:credit; do
  sim_reset
  sim_fault smsmode code "code=${c%%:*}&count=1"
  run_smsmux $C --json send --to 0612345678 --text "code ${c%%:*}"
  assert_json .provider second "code ${c%%:*}: moves on to the next provider"
  assert_json '.attempts[0].class' "${c##*:}" "code ${c%%:*}: class ${c##*:}"
  assert_json '.attempts[0].code' "${c%%:*}" "code ${c%%:*}: raw code kept"
done

# refused connection: temporary, next provider
write_config refused.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
[provider.dead]
plugin = smsmode
base_url = http://127.0.0.1:9/smsmode/http/1.6
access_token = x-token
[provider.alive]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF2
run_smsmux --config "$TMP/refused.ini" --json send --to 0612345678 --text "refused"
assert_eq 0 "$RC" "refused connection: failover succeeds"
assert_json '.attempts[0].class' temporary "refused connection is temporary"
assert_json '.attempts[0].code' connect "refused connection has the stable code connect"
assert_json .provider alive "the live provider took it"

# every provider refuses: exit 1, error object
sim_reset
sim_fault smsmode code "code=33"
run_smsmux $C --json send --to 0612345678 --text "no credit anywhere"
assert_eq 1 "$RC" "all providers refuse: exit 1"
assert_json .error.class credit "error class of the last refusal"
# nothing was accepted for it anywhere: failed (rejected is a provider's
# refusal of the number)
assert_json '.recipients[0].status' failed "recipient failed, not rejected"

# invalid (35) stops: no second provider
sim_reset
sim_fault smsmode code "code=35&count=1"
run_smsmux $C --json send --to 0612345678 --text "invalid"
assert_eq 1 "$RC" "invalid: exit 1"
assert_json '.attempts | length' 1 "invalid: no failover"
assert_json .error.class invalid "invalid class"

# timeout after accept: exit 3, possibly sent, exactly one provider got it
sim_reset
sim_fault smsmode timeout_after_accept "ms=4000&count=1"
run_smsmux $C --json send --to 0612345678 --text "maybe"
assert_eq 3 "$RC" "timeout after accept: exit 3"
assert_json .possibly_sent true "reported as possibly sent"
assert_json .error.class unknown_outcome "class unknown_outcome"
assert_json '.attempts | length' 1 "no second provider tried"
assert_json '.attempts[0].code' timeout "timeout code"
assert_eq 1 "$(count_sends)" "exactly one provider received the message"

# garbage answer on a send: unknown outcome too
sim_reset
sim_fault smsmode garbage count=1
run_smsmux $C --json send --to 0612345678 --text "garbage"
assert_eq 3 "$RC" "unreadable answer: exit 3"
assert_json '.attempts | length' 1 "unreadable answer: no failover"

# cut connection: unknown outcome
sim_reset
sim_fault smsmode close count=1
run_smsmux $C --json send --to 0612345678 --text "cut"
assert_eq 3 "$RC" "cut connection after sending: exit 3"

# --ref: the second run sends nothing
sim_reset
run_smsmux $C --json send --to 0612345678 --text "once" --ref order-77
assert_eq 0 "$RC" "--ref first send"
id=$(jqr .id)
run_smsmux $C --json send --to 0612345678 --text "once" --ref order-77
assert_eq 0 "$RC" "--ref second run exits 0"
assert_json .duplicate true "--ref second run is a duplicate"
assert_json .id "$id" "--ref second run reports the first id"
assert_eq 1 "$(count_sends)" "--ref: the provider received one request"

# --ref after an unknown outcome: refuses to send again, exit 3
sim_reset
sim_fault smsmode timeout_after_accept "ms=4000&count=1"
run_smsmux $C --json send --to 0612345678 --text "unsure" --ref order-78
assert_eq 3 "$RC" "--ref unknown outcome: exit 3"
run_smsmux $C --json send --to 0612345678 --text "unsure" --ref order-78
assert_eq 3 "$RC" "--ref retry after unknown outcome: still exit 3"
assert_contains "$(jqr .error.message)" "nothing was sent again" "and says nothing was re-sent"
assert_eq 1 "$(count_sends)" "--ref unknown: one request in all"

# --ref after a definite failure may be retried
sim_reset
sim_fault smsmode code "code=35&count=1"
run_smsmux $C send --to 0612345678 --text "fix me" --ref order-79
assert_eq 1 "$RC" "--ref refused send: exit 1"
run_smsmux $C --json send --to 0612345678 --text "fixed" --ref order-79
assert_eq 0 "$RC" "--ref after a refusal can be sent again"

# status finds the provider through the journal
run_smsmux $C --json send --to 0612345678 --text "journal"
id=$(jqr .id)
run_smsmux $C --json status "$id"
assert_eq 0 "$RC" "status without --provider uses the journal"
assert_json .provider first "status: provider from the journal"

# input errors: exit 2, nothing sent
sim_reset
for bad in "061234" "+33 6 12" "0612345678x" "33612345678901234"; do
  run_smsmux $C --json send --to "$bad" --text "x"
  assert_eq 2 "$RC" "bad number $bad: exit 2"
  assert_json .error.class input "bad number $bad: class input"
  assert_contains "$(jqr .error.message)" "\"$bad\"" "bad number $bad is quoted"
done
run_smsmux $C send --to 0612345678 --text "x" --from "A"
assert_eq 2 "$RC" "sender too short: exit 2"
run_smsmux $C send --to 0612345678 --text "x" --from "ABCDEFGHIJKL"
assert_eq 2 "$RC" "sender too long: exit 2"
run_smsmux $C send --to 0612345678 --text "x" --from "12345"
assert_eq 2 "$RC" "sender of digits only: exit 2"
long=$(printf 'a%.0s' $(seq 1 800))
run_smsmux $C --json send --to 0612345678 --text "$long"
assert_eq 2 "$RC" "800 GSM characters (6 segments > 5): exit 2"
assert_contains "$(jqr .error.message)" "6 segments" "says how many segments"
run_smsmux $C send --to 0612345678 --text "x" --at "2001-01-01 10:00:00"
assert_eq 2 "$RC" "--at in the past: exit 2"
run_smsmux $C send --to 0612345678 --text "$(printf 'bad \377 utf8')"
assert_eq 2 "$RC" "invalid UTF-8 text: exit 2"
run_smsmux $C send --to 0612345678 --kind mms --text "mms"
assert_eq 2 "$RC" "MMS without an MMS provider: exit 2"
assert_contains "$ERR" "lacks the mms capability" "says which capability is missing"
run_smsmux $C --json send --to 0612345678 --text "$(printf ' \t ')"
assert_eq 2 "$RC" "whitespace-only text: exit 2"
assert_json .error.class input "whitespace-only text: class input"
assert_contains "$(jqr .error.message)" "only white space" "whitespace-only text: says so"
for bad in "0612345678,,0698765432" "0612345678," " " ", "; do
  run_smsmux $C --json send --to "$bad" --text "x"
  assert_eq 2 "$RC" "--to '$bad' (an empty item): exit 2"
  assert_json .error.class input "--to '$bad': class input"
done
run_smsmux $C --json send --to 0612345678 --text x --option stop=99
assert_eq 2 "$RC" "--option stop=99: exit 2"
assert_json .error.class input "--option stop=99: class input"
assert_contains "$(jqr .error.message)" "stop=1" "--option stop=99: names the accepted values"
run_smsmux $C --json send --to 0612345678 --text x --option reply=maybe
assert_eq 2 "$RC" "--option reply=maybe: exit 2"
assert_json .error.class input "--option reply=maybe: class input"
# input quoted in an error is escaped and cut: a terminal escape in a
# number is shown as \e, a 100 kB number does not make a 100 kB error
ESC=$(printf '\033')
run_smsmux $C --json send --to "06${ESC}[2J12" --text x
assert_eq 2 "$RC" "number with a terminal escape: exit 2"
assert_contains "$(jqr .error.message)" '"06\e[2J12"' "the escape is shown escaped"
assert_not_contains "$ERR$OUT" "$ESC" "no raw escape in stderr or the JSON"
run_smsmux $C --json send --to 0612345678 --text x --option "stop=1${ESC}[2J"
assert_contains "$(jqr .error.message)" 'stop=1\e[2J' "an option value's escape is shown escaped"
assert_not_contains "$ERR$OUT" "$ESC" "no raw escape from an option value"
big=$(head -c 100000 /dev/zero | tr '\0' 7)
run_smsmux $C --json send --to "$big" --text x
assert_eq 2 "$RC" "a 100 kB number: exit 2"
n=$(printf '%s' "$ERR" | wc -c)
[ "$n" -lt 1000 ] && pass "a 100 kB number gives a short error ($n bytes)" ||
  fail "a 100 kB number gives a short error" "stderr has $n bytes"
assert_eq 0 "$(count_sends)" "no input error reached the provider"

# option values off the command line: KEY=@- reads stdin, KEY=env:NAME
printf '2\n' >"$TMP/stop.value"
run_smsmux $C --json send --to 0612345678 --text "stdin option" --option stop=@- <"$TMP/stop.value"
assert_eq 0 "$RC" "--option stop=@-: exit 0"
assert_contains "$(sim_requests smsmode | jq -r '.[-1].query')" "&stop=2" "--option stop=@- sends the value read from stdin"
STOP_FROM_ENV=1
export STOP_FROM_ENV
run_smsmux $C --json send --to 0612345678 --text "env option" --option stop=env:STOP_FROM_ENV
assert_eq 0 "$RC" "--option stop=env:NAME: exit 0"
assert_contains "$(sim_requests smsmode | jq -r '.[-1].query')" "&stop=1" "--option stop=env:NAME sends the variable's value"
n=$(count_sends)
run_smsmux $C --json send --to 0612345678 --text x --option stop=env:STOP_NOT_SET_ANYWHERE
assert_eq 2 "$RC" "--option from an unset variable: exit 2"
assert_contains "$ERR" "STOP_NOT_SET_ANYWHERE is not set" "the unset variable is named"
run_smsmux $C --json send --to 0612345678 --text x --option stop=@- --option reply=@- <"$TMP/stop.value"
assert_eq 2 "$RC" "two @- values: exit 2"
assert_eq "$n" "$(count_sends)" "value source errors send nothing"

# unicode: 70/71 characters, 1/2 segments
run_smsmux $C --json route --to 0612345678 --text "$(printf '☺%.0s' $(seq 1 70))"
assert_json .segments 1 "70 UCS-2 characters: 1 segment"
run_smsmux $C --json route --to 0612345678 --text "$(printf '☺%.0s' $(seq 1 71))"
assert_json .segments 2 "71 UCS-2 characters: 2 segments"
assert_json .encoding ucs2 "unicode text is ucs2"

# secrets never appear: --verbose trace, JSON, errors
sim_reset
# The passwords hold every character that once let a fragment through
# (" \ & = % + ; space, tab, non-ASCII): in a query (sMsmode's token), a
# JSON body, a form body and a query built by generic-http, under a name
# that is secret and under one that is not (then only the value can be
# recognised, in its wire form: URL-encoded, JSON-escaped).  No 4 bytes of
# any of them, as they are or as the wire writes them, may show in stderr,
# the --json output or the store.
TAB=$(printf '\t')
PW_SECRET=$(printf 'Qz"7\\k&m=9%%4+Zq;w X\tyÉtailA')
TK_SECRET=$(printf 'Kv\\"8;Wj=%%7Eq&+ é"uTailB')
export PW_SECRET TK_SECRET
write_config secrets.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-secrets
timeout = 2
breaker_failures = 0
[provider.sms]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = env:TK_SECRET
[provider.json]
plugin = generic-http
base_url = @SIM@/clever-rest/api
auth = basic
login = clevertec
password = env:PW_SECRET
token = env:TK_SECRET
send_url = /pushs
send_body = json
send_params = credential=${password} & datas.key=${token} & \
  datas.password=${password} & datas.text=${text} & datas.number_list=${to}
headers = Content-Type: application/json
[provider.form]
plugin = generic-http
base_url = @SIM@/clever-rest/api
password = env:PW_SECRET
token = env:TK_SECRET
send_url = /pushs
send_body = form
send_params = credential=${password} & key=${token} & pass=${password} & \
  text=${text} & to=${to}
[provider.query]
plugin = generic-http
base_url = @SIM@/clever-rest/api
password = env:PW_SECRET
token = env:TK_SECRET
send_url = /pushs
send_method = GET
send_params = credential=${password} & key=${token} & text=${text} & to=${to}
EOF2
: >"$TMP/shown"
for p in sms json form query; do
  run_smsmux --config "$TMP/secrets.ini" --verbose --json send --provider $p \
    --to 0612345678 --text "secret $p"
  printf '%s\n%s\n' "$ERR" "$OUT" >>"$TMP/shown"
  assert_contains "$ERR" "> " "--verbose traced the $p request"
  assert_contains "$ERR" "***" "--verbose masked something in the $p request"
done
assert_eq "$PW_SECRET" "$(sim_requests clever-rest | jq -r '.[0].body | fromjson | .credential')" \
  "the JSON body carried the whole password (the test is not vacuous)"
assert_contains "$(sim_requests clever-rest | jq -r '.[1].body')" "credential=Qz%227" \
  "the form body carried the password"
assert_contains "$(sim_requests smsmode | jq -r '.[0].query')" "accessToken=Kv%5C%228" \
  "the query carried the token"
run_smsmux --config "$TMP/secrets.ini" --json status --provider sms 1234
printf '%s\n%s\n' "$ERR" "$OUT" >>"$TMP/shown"
# the store, as bytes (sqlite3 may not be installed)
for f in "$TMP"/state-secrets/*; do
  [ -f "$f" ] && LC_ALL=C tr '\000' '\n' <"$f" >>"$TMP/shown"
done
[ -s "$TMP/state-secrets/state.db" ] && pass "the store was written" || fail "the store was written"
# no_fragment SECRET WHAT: no 4 bytes of SECRET, as is, URL-encoded or
# JSON-escaped, in $TMP/shown
no_fragment() {
  _bad=
  for _s in "$1" "$(jq -rn --arg s "$1" '$s | @uri')" "$(jq -n --arg s "$1" '$s' | sed 's/^"//; s/"$//')"; do
    _n=$(printf '%s' "$_s" | LC_ALL=C wc -c)
    _i=1
    while [ "$_i" -le $((_n - 3)) ]; do
      _frag=$(printf '%s' "$_s" | LC_ALL=C cut -b "$_i-$((_i + 3))")
      if LC_ALL=C grep -aqF -- "$_frag" "$TMP/shown"; then _bad="$_bad [$_frag]"; fi
      _i=$((_i + 1))
    done
  done
  if [ -z "$_bad" ]; then pass "$2"; else fail "$2" "fragments shown:$_bad"; fi
}
no_fragment "$PW_SECRET" "no fragment of the password in stderr, --json or the store"
no_fragment "$TK_SECRET" "no fragment of the token in stderr, --json or the store"

sim_reset
run_smsmux $C --verbose --json send --to 0612345678 --text "trace"
assert_contains "$ERR" "accessToken=***" "--verbose redacts the token in the URL"
assert_contains "$ERR" "> GET" "--verbose traces the request"
assert_contains "$ERR" "< HTTP 200" "--verbose traces the answer"
assert_not_contains "$ERR$OUT" "Ab1CD2efg3Hi" "token absent from trace and JSON"
sim_fault smsmode code "code=32"
run_smsmux $C --verbose --json send --to 0612345678 --text "trace"
assert_not_contains "$ERR$OUT" "Ab1CD2efg3Hi" "token absent on failure too"
assert_not_contains "$ERR$OUT" "demo-token" "second token absent too"

finish
