#!/bin/sh
# Clever conformance: the HTTP statuses of the document's tables as error
# classes (JSON .error.class) and exit statuses - 400 invalid, 401 auth,
# 404 invalid ("not found"), 500 unknown_outcome on a send (the push may
# have been created) and temporary otherwise - the simulator's faults, and
# the password kept out of traces and JSON.
. "$top_srcdir/tests/clever-http/common.sh"

send_one() { cl send --provider clever --to +33600000002 --text 'Bonjour'; }

# --- the documented statuses, on a send ------------------------------------------
for c in 400:invalid:1 401:auth:1 404:invalid:1 500:unknown_outcome:3; do
  code=${c%%:*} rest=${c#*:} class=${rest%%:*} rc=${rest#*:}
  sim_reset
  sim_fault clever-http code "code=$code&count=1"
  send_one
  assert_error "$class" "$rc" "send_http_${code}_is_${class}"
  assert_json '.error.code' "HTTP $code" "send_http_${code}_keeps_the_raw_code"
  assert_eq 0 "$(sim_ctl GET "messages?provider=clever-http&login=$LOGIN" | jq '[.[] | select(.reference | startswith("Push2017") | not)] | length')" \
    "send_http_${code}_creates_no_push"
done
assert_json '.possibly_sent' true "send_http_500_possibly_sent"

# 204 (no content, no reference) to a push: it may have been created
sim_reset
sim_fault clever-http code "code=204&count=1"
send_one
assert_error unknown_outcome 3 "send_http_204_may_have_been_sent"

# a 400 with credit left stays invalid: the plugin looked at the credit
sim_reset
sim_fault clever-http code "code=400&count=1"
send_one
assert_request "send_http_400_asks_the_credit" GET "$API/InfosAccount/" "$AUTH"
assert_error invalid 1 "send_http_400_with_credit_left_is_invalid"

# --- the same statuses on the reads ----------------------------------------------------
for c in 400:invalid 401:auth 500:temporary; do
  code=${c%%:*} class=${c#*:}
  sim_reset
  sim_fault clever-http code "code=$code&count=1"
  cl credit --provider clever
  assert_json '.credits[0].error.class' "$class" "credit_http_${code}_is_${class}"
  assert_eq 1 "$RC" "credit_http_${code}_exits_1"
done
for c in 401:auth:1 404:invalid:1 500:temporary:1; do
  code=${c%%:*} rest=${c#*:} class=${rest%%:*} rc=${rest#*:}
  sim_reset
  sim_fault clever-http code "code=$code&count=1"
  cl status --provider clever Push20171123173102
  assert_error "$class" "$rc" "status_http_${code}_is_${class}"
  sim_reset
  sim_fault clever-http code "code=$code&count=1"
  cl replies --provider clever Push20171127162824
  assert_error "$class" "$rc" "replies_http_${code}_is_${class}"
done
sim_reset
sim_fault clever-http code "code=401&count=1"
cl call --provider clever account-info
assert_error auth 1 "account_info_http_401_is_auth"

# --- the simulator's accounts: a wrong password, an empty account -------------------------
write_config bad.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.wrong]
plugin = clever-http
base_url = @SIM@/clever-http
login = compte_test
password = not-the-password

[provider.poor]
plugin = clever-http
base_url = @SIM@/clever-http
login = poor
password = poor-password

[provider.demo]
plugin = clever-http
base_url = @SIM@/clever-http
login = demo
password = demo-password
EOF2
sim_reset
run_smsmux --config "$TMP/bad.ini" --json send --provider wrong --to +33600000002 --text x
assert_error auth 1 "send_with_wrong_password_is_auth"
assert_json '.error.code' 'HTTP 401' "send_with_wrong_password_http_401"
assert_not_contains "$OUT$ERR" "not-the-password" "auth_error_does_not_show_the_password"
run_smsmux --config "$TMP/bad.ini" --json send --provider poor --to +33600000002 --text x
assert_error credit 1 "send_without_credit_is_credit"
assert_json '.error.code' 'HTTP 400' "send_without_credit_keeps_http_400"
assert_contains "$(jqr '.error.message')" "credit" "send_without_credit_says_credit"
# CREDIT lets the router try the next provider (failover, no routes: file order)
sim_reset
run_smsmux --config "$TMP/bad.ini" --json send --to +33600000002 --text x
assert_eq 0 "$RC" "failover_past_auth_and_credit_exits_0"
assert_json '[.attempts[] | "\(.provider):\(.class)"] | join(",")' \
  'wrong:auth,poor:credit,demo:ok' "failover_past_auth_and_credit_to_demo"

# a configuration without login is refused before anything is sent
write_config nologin.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.clever]
plugin = clever-http
base_url = @SIM@/clever-http
password = x
EOF2
sim_reset
run_smsmux --config "$TMP/nologin.ini" --json send --provider clever --to +33600000002 --text x
assert_eq 2 "$RC" "missing_login_is_a_configuration_error"
assert_contains "$OUT$ERR" "login" "missing_login_error_names_the_key"
assert_eq 0 "$(req_count)" "missing_login_sends_nothing"

# --- transport faults ----------------------------------------------------------------------------
sim_reset
sim_fault clever-http down "count=1"
send_one
assert_error temporary 1 "send_http_503_is_temporary"
sim_reset
sim_fault clever-http http500 "count=1"
send_one
assert_error unknown_outcome 3 "send_http_500_fault_may_have_been_sent"
sim_reset
sim_fault clever-http timeout_after_accept "ms=4000&count=1"
send_one
assert_error unknown_outcome 3 "send_timeout_after_accept_may_have_been_sent"
assert_eq 1 "$(sim_ctl GET "messages?provider=clever-http&login=$LOGIN" | jq '[.[] | select(.text == "Bonjour")] | length')" \
  "send_timeout_after_accept_push_was_created"
sim_reset
sim_fault clever-http garbage "count=1"
send_one
assert_error unknown_outcome 3 "send_unreadable_answer_may_have_been_sent"
assert_contains "$(jqr '.error.message')" "unreadable" "send_unreadable_answer_says_so"
sim_reset
sim_fault clever-http close "count=1"
send_one
assert_error unknown_outcome 3 "send_cut_connection_may_have_been_sent"
sim_reset
sim_fault clever-http garbage "count=1"
cl credit --provider clever
assert_json '.credits[0].error.class' temporary "credit_unreadable_answer_is_temporary"
sim_reset
sim_fault clever-http close "count=1"
cl status --provider clever Push20171123173102
assert_error temporary 1 "status_cut_connection_is_temporary"
sim_reset
sim_fault clever-http garbage "count=1"
cl replies --provider clever Push20171127162824
assert_error temporary 1 "replies_unreadable_answer_is_temporary"

# --- the password never shows ---------------------------------------------------------------------
sim_reset
run_smsmux --config "$CONFIG" --verbose send --provider clever --to +33600000002 --text 'trace me'
assert_eq 0 "$RC" "verbose_send_exits_0"
assert_contains "$ERR" "SendPush" "verbose_trace_shows_the_request"
assert_contains "$ERR" "pwd=***" "verbose_trace_redacts_pwd"
run_smsmux --config "$CONFIG" --verbose status --provider clever Push20171123173102
run_smsmux --config "$CONFIG" --verbose --json call --provider clever account-info
ALL="$OUT$ERR"
run_smsmux --config "$CONFIG" --verbose credit --provider clever
ALL="$ALL$OUT$ERR"
run_smsmux --config "$CONFIG" --verbose replies --provider clever Push20171127162824
ALL="$ALL$OUT$ERR"
run_smsmux --config "$CONFIG" --json providers
ALL="$ALL$OUT$ERR"
assert_not_contains "$ALL" "$PASSWORD" "password_absent_from_traces_and_json"
assert_not_contains "$ALL" "$PWD_Q" "encoded_password_absent_from_traces_and_json"
assert_not_contains "$ALL" "T123456" "password_prefix_absent_from_traces_and_json"

finish
