#!/bin/sh
# Mediasflow conformance: failures as error classes (JSON .error.class)
# and exit statuses.  The guide prints no error answer: the simulator
# answers HTTP errors with {"code", "message"} and the plugin maps the HTTP
# status with the mapping every plugin shares (docs/choices.md); a login
# failure never makes a send "possibly sent".
#
# The simulator's faults hit the next requests of a provider, and the
# login comes first: to put a fault on the request after the login, a
# second simulator serves the API while the first serves the login, both
# knowing the account's token (auth_path may be an absolute URL).
. "$top_srcdir/tests/mediasflow/common.sh"

send_one() { run_smsmux --config "$1" --json send --provider mf --to +33632545311 --text 'Bonjour' ${2:+"$2"} ${3:+"$3"}; }

rm -f "$TMP/simb.port"
"$SMSMUX_SIM" --port 0 --port-file "$TMP/simb.port" >"$TMP/simb.log" 2>&1 &
SIMB_PID=$!
trap 'kill "$SIMB_PID" 2>/dev/null || :; wait "$SIMB_PID" 2>/dev/null || :; _cleanup' EXIT
i=0
while [ ! -s "$TMP/simb.port" ]; do
  i=$((i + 1))
  if [ $i -gt 200 ]; then echo "second smsmux-sim did not start" >&2; exit 99; fi
  sleep 0.05
done
SIMB_URL="http://127.0.0.1:$(cat "$TMP/simb.port")"
simb() { _m=$1 _p=$2; curl -sS -X "$_m" "$SIMB_URL/_sim/$_p"; }
simb_fault() { simb POST "fault?provider=mediasflow&mode=$1${2:+&$2}" >/dev/null; }
simb_requests() { simb GET "requests?provider=mediasflow"; }
simb_reset() {
  simb POST "reset?provider=mediasflow" >/dev/null
  simb POST "account?provider=mediasflow&login=demo&token=Tok3nForTw0Sims" >/dev/null
}
sim_reset
sim_mf_ctl POST account "login=demo&token=Tok3nForTw0Sims" >/dev/null
simb_reset

write_config split.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 2

[provider.mf]
plugin = mediasflow
base_url = @SIMB@/mediasflow/api/v1
auth_path = @SIM@/mediasflow/api/v1/auth
login = demo
password = demo-password
EOF2
sed -i "s|@SIMB@|$SIMB_URL|" "$TMP/split.ini"
SPLIT=$TMP/split.ini

# the setup itself: login on one simulator, the send on the other
send_one "$SPLIT"
assert_eq 0 "$RC" "split_setup_send_exits_0"
assert_eq "POST /mediasflow/api/v1/auth" "$(sim_requests mediasflow | jq -r '.[-1] | "\(.method) \(.path)"')" \
  "split_setup_logs_in_on_the_first"
assert_eq "POST /mediasflow/api/v1/campaigns/inject Bearer Tok3nForTw0Sims" \
  "$(simb_requests | jq -r '.[-1] | "\(.method) \(.path) \(.headers.authorization)"')" \
  "split_setup_sends_on_the_second_with_the_token"

# --- faults of the send request ----------------------------------------------
for c in down:temporary:1 http500:unknown_outcome:3 garbage:unknown_outcome:3 \
         close:unknown_outcome:3 timeout_after_accept:unknown_outcome:3; do
  mode=${c%%:*} rest=${c#*:} class=${rest%%:*} rc=${rest#*:}
  simb_reset
  simb_fault "$mode" "count=1&ms=4000"
  send_one "$SPLIT"
  assert_error "$class" "$rc" "send_fault_${mode}_is_${class}"
  if [ "$rc" = 3 ]; then
    assert_json '.possibly_sent' true "send_fault_${mode}_is_possibly_sent"
  fi
done
simb_reset
simb_fault timeout_after_accept "count=1&ms=4000"
send_one "$SPLIT"
assert_eq 1 "$(simb GET 'messages?provider=mediasflow' | jq 'length')" \
  "send_timeout_after_accept_was_accepted_indeed"
simb_reset
simb_fault garbage "count=1"
send_one "$SPLIT"
assert_contains "$(jqr '.error.message')" "unreadable" "send_unreadable_answer_says_so"

# the error answers (fault `code`: HTTP C with {"code": C, "message"})
for c in 400:invalid:1 402:credit:1 403:auth:1 404:invalid:1 409:invalid:1 \
         422:invalid:1 429:temporary:1 500:unknown_outcome:3 503:temporary:1 418:permanent:1; do
  code=${c%%:*} rest=${c#*:} class=${rest%%:*} rc=${rest#*:}
  simb_reset
  simb_fault code "code=$code&count=1"
  send_one "$SPLIT"
  assert_error "$class" "$rc" "send_answer_${code}_is_${class}"
  assert_json '.error.code' "HTTP $code" "send_answer_${code}_keeps_the_http_code"
done
simb_reset
simb_fault code "code=402&count=1"
send_one "$SPLIT"
assert_contains "$(jqr '.error.message')" "Crédit insuffisant" "send_answer_quotes_the_provider_message"
simb_reset
simb_fault code "code=403&count=1"
send_one "$SPLIT"
assert_contains "$(jqr '.error.message')" "IP addresses" "send_answer_403_hints_at_the_ip_filter"

# startNow=false: a failure before the injection sent nothing
for mode in http500 close timeout_after_accept; do
  simb_reset
  simb_fault "$mode" "count=1&ms=4000"
  send_one "$SPLIT" --option startNow=false
  assert_error temporary 1 "prepare_fault_${mode}_is_temporary_nothing_sent"
done
# ... a failure of the injection that follows may have sent it: the
# preparation is held back (fault slow) while the test switches on the
# fault its injection meets
simb_reset
simb_fault slow "count=1&ms=1500"
"$SMSMUX" --config "$SPLIT" --json send --provider mf --to +33632545311 --text x \
  --option startNow=false >"$TMP/bg.out" 2>"$TMP/bg.err" &
BG=$!
i=0
while [ "$(simb_requests | jq 'length')" -lt 1 ] && [ $i -lt 100 ]; do
  sleep 0.05
  i=$((i + 1))
done
simb_fault http500 "count=1"
wait "$BG"
RC=$?
OUT=$(cat "$TMP/bg.out")
assert_error unknown_outcome 3 "inject_fault_after_prepare_is_unknown_outcome"
assert_eq "slow http500" "$(simb_requests | jq -r '[.[].fault] | join(" ")')" \
  "inject_fault_after_prepare_hit_the_injection"

# --- faults of reads --------------------------------------------------------------
simb_reset
send_one "$SPLIT"
ID=$(jqr '.id')
for mode in down http500 garbage close; do
  simb_fault "$mode" "count=1"
  run_smsmux --config "$SPLIT" --json status --provider mf "$ID"
  assert_error temporary 1 "status_fault_${mode}_is_temporary"
done
simb_fault code "code=500&count=1"
run_smsmux --config "$SPLIT" --json call --provider mf report-json campaignId="$ID"
assert_error temporary 1 "report_answer_500_is_temporary"
simb_fault garbage "count=1"
run_smsmux --config "$SPLIT" --json call --provider mf report-csv campaignId="$ID"
assert_error temporary 1 "csv_report_unreadable_is_temporary"

# --- faults of the login: nothing was sent ---------------------------------------
for c in down:temporary http500:temporary garbage:temporary close:temporary \
         timeout_after_accept:temporary; do
  mode=${c%%:*} class=${c#*:}
  sim_reset
  sim_mf_ctl POST account "login=demo&token=Tok3nForTw0Sims" >/dev/null
  simb_reset
  sim_fault mediasflow "$mode" "count=1&ms=4000"
  send_one "$SPLIT"
  assert_error "$class" 1 "login_fault_${mode}_is_${class}_nothing_sent"
  assert_eq 0 "$(simb_requests | jq 'length')" "login_fault_${mode}_sends_nothing"
done
for c in 403:auth 429:temporary 503:temporary; do
  code=${c%%:*} class=${c#*:}
  sim_reset
  sim_fault mediasflow code "code=$code&count=1"
  mf send --provider mf --to +33632545311 --text x
  assert_error "$class" 1 "login_answer_${code}_is_${class}"
done

# --- the simulator's accounts ----------------------------------------------------
write_config poor.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.mf]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
login = poor
password = poor-password
EOF2
sim_reset
run_smsmux --config "$TMP/poor.ini" --json send --provider mf --to +33632545311 --text x
assert_error credit 1 "send_without_credit_is_credit"
assert_json '.error.code' "HTTP 402" "send_without_credit_is_402"
assert_eq 0 "$(sim_mf_ctl GET messages | jq 'length')" "send_without_credit_keeps_no_campaign"
sim_mf_ctl POST account "login=poor&credit=1" >/dev/null
run_smsmux --config "$TMP/poor.ini" --json send --provider mf --to +33632545311 --text x
assert_eq 0 "$RC" "send_with_one_credit_exits_0"
assert_eq 0 "$(sim_mf_ctl GET account login=poor | jq -r '.credit')" "credit_goes_down"
run_smsmux --config "$TMP/poor.ini" --json send --provider mf --to +33632545311 --text x
assert_error credit 1 "credit_used_up_is_credit"

# --- failover: a refused login moves on to the next provider -----------------------
write_config failover.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
routes = default

[route.default]
policy = failover
providers = mf, sms

[provider.mf]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
login = demo
password = not-the-password

[provider.sms]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF2
sim_reset
run_smsmux --config "$TMP/failover.ini" --json send --to +33632545311 --text 'Bonjour'
assert_eq 0 "$RC" "refused_login_fails_over"
assert_json '.provider' sms "refused_login_fails_over_to_the_next_provider"
assert_json '.attempts[0].provider + " " + .attempts[0].class' "mf auth" \
  "refused_login_attempt_is_auth"

finish
