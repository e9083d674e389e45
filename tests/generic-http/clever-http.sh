#!/bin/sh
# generic-http speaking Clever FrontalHttpMultimedias (the simulator's
# /clever-http/): SendPush with login/pwd in the query, the reference read
# from the key=value answer (pairs:reference), InfosAccount for the
# balance (pairs:credit), the HTTP statuses of errors as classes.  Every
# request is compared with the one the clever-http plugin sends for the
# same message.
. "$top_srcdir/tests/generic-http/common.sh"

write_config clever.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 2

[provider.real]
plugin = clever-http
base_url = @SIM@/clever-http
login = compte_test
password = T123456ç

[provider.gen]
plugin = generic-http
base_url = @SIM@/clever-http
login = compte_test
password = T123456ç
secret_params = pwd
send_method = GET
send_url = /SendPush/
; one long value: iniparser joins lines that end in a backslash
send_params = login=${login} & pwd=${password} & text=${text} & \
  encoding=${encoding} & hdsend=${at:%Y-%m-%d %H:%M:%S} & sender=${sender} & \
  type=sms & duplicates=0 & recipients=${to_list}
encoding_values = 3,4
numbers_format = 00
max_recipients = 100
success_status = 200,201
id_from = pairs:reference
code_from = pairs:request_status
auth_when = status:401
; the simulator's answer to a push the credit cannot pay (HTTP 400); ..?
; matches the é whether regexec counts bytes or characters
credit_when = "regex:Cr..?dit insuffisant"
invalid_when = status:400,404
balance_url = /InfosAccount/
balance_params = login=${login} & pwd=${password}
balance_from = pairs:credit
EOF2
CONFIG=$TMP/clever.ini

# same_request WHAT ARGS...: send ARGS through the clever-http plugin and
# through generic-http; the two requests must be the same bytes
same_request() {
  _what=$1; shift
  sim_reset
  gh send --provider real "$@"
  _real=$(req clever-http '"\(.method) \(.path)?\(.query)"')
  gh send --provider gen "$@"
  assert_eq 0 "$RC" "${_what}_exits_0"
  assert_eq "$_real" "$(req clever-http '"\(.method) \(.path)?\(.query)"')" \
    "${_what}_request_is_the_clever_http_plugins"
}

# --- requests, compared with the clever-http plugin's ----------------------
same_request document_example --to 0033600000001,0033600112233 --text test --from clever
# and the exact bytes (the document's example, its account and the host's
# %2C for the comma)
assert_eq "GET /clever-http/SendPush/?login=compte_test&pwd=T123456%C3%A7&text=test&encoding=3&sender=clever&type=sms&duplicates=0&recipients=0033600000001%2C0033600112233" \
  "$(req clever-http '"\(.method) \(.path)?\(.query)"')" "send_request_bytes"
assert_eq 2 "$(req_count clever-http)" "two_recipients_one_request_each"
REF=$(sim_ctl GET "messages?provider=clever-http&login=compte_test" | jq -r '.[-1].reference')
assert_json '.id' "$REF" "send_id_is_the_reference_of_the_answer"
assert_eq 1 "$(printf '%s' "$REF" | grep -c '^Push[0-9]\{14\}$')" "reference_looks_like_Push_date"
assert_json '[.recipients[] | "\(.to) \(.status) \(.id)"] | join(",")' \
  "+33600000001 accepted $REF,+33600112233 accepted $REF" "send_recipients_accepted_with_the_reference"

same_request ucs2_text --to +33600000002 --text 'Ça coûte ☺'
assert_contains "$(req clever-http .query)" "encoding=4" "ucs2_text_is_encoding_4"
same_request scheduled --to 0033600000001 --text 'Bonne année' --at '2035-12-31 00:00:00'
assert_contains "$(req clever-http .query)" "hdsend=2035-12-31+00%3A00%3A00" "at_is_formatted_with_its_strftime_format"
assert_json '.recipients[0].status' scheduled "scheduled_send_recipient_scheduled"
same_request no_sender_no_hdsend --to +33600000002 --text 'Bonjour'
assert_not_contains "$(req clever-http .query)" "sender=" "absent_sender_leaves_the_parameter_out"

# 150 recipients: max_recipients = 100 cuts them in two requests
sim_reset
NUMS=$(i=0; while [ $i -lt 150 ]; do printf '+3360010%04d,' $i; i=$((i + 1)); done)
gh send --provider gen --to "${NUMS%,}" --text 'x'
assert_eq 0 "$RC" "150_recipients_exit_0"
assert_eq 2 "$(req_count clever-http)" "150_recipients_take_two_requests"
assert_eq "100 50" "$(sim_requests clever-http | jq -r '[.[] | .query | capture("recipients=(?<r>[^&]*)").r | split("%2C") | length] | join(" ")')" \
  "requests_carry_100_then_50_numbers"
assert_json '[.recipients[].id] | unique | length' 2 "each_request_gives_its_own_id"

# --- balance --------------------------------------------------------------
sim_reset
gh credit --provider gen
assert_eq 0 "$RC" "credit_exits_0"
assert_json '.credits[0].credit' \
  "$(sim_ctl GET 'account?provider=clever-http&login=compte_test' | jq -r .credit)" \
  "credit_is_the_accounts"
assert_eq "GET /clever-http/InfosAccount/?login=compte_test&pwd=T123456%C3%A7" \
  "$(req clever-http '"\(.method) \(.path)?\(.query)"')" "credit_request_bytes"
sim_fault clever-http garbage count=1
gh credit --provider gen
assert_json '.credits[0].error.class' temporary "credit_unreadable_answer_is_temporary"

# --- errors ---------------------------------------------------------------
write_config bad.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 2

[provider.gen]
plugin = generic-http
base_url = @SIM@/clever-http
login = poor
password = poor-password
send_method = GET
send_url = /SendPush/
send_params = login=${login}&pwd=${password}&text=${text}&encoding=${encoding}&recipients=${to_list}
encoding_values = 3,4
numbers_format = 00
success_status = 200,201
id_from = pairs:reference
code_from = pairs:request_status
auth_when = status:401
credit_when = "regex:Cr..?dit insuffisant"
invalid_when = status:400,404

[provider.wrong]
plugin = generic-http
base_url = @SIM@/clever-http
login = compte_test
password = not-the-password
send_method = GET
send_url = /SendPush/
send_params = login=${login}&pwd=${password}&text=${text}&recipients=${to_list}
auth_when = status:401
EOF2
sim_reset
run_smsmux --config "$TMP/bad.ini" --json send --provider gen --to +33600000002 --text x
assert_error credit 1 "no_credit_answer_is_credit"
assert_json '.error.code' 400 "no_credit_code_from_request_status"
run_smsmux --config "$TMP/bad.ini" --json send --provider gen --to 12 --text x
assert_eq 2 "$RC" "bad_number_is_an_input_error"
run_smsmux --config "$TMP/bad.ini" --json send --provider wrong --to +33600000002 --text x
assert_error auth 1 "wrong_password_is_auth"
assert_not_contains "$OUT$ERR" "not-the-password" "auth_error_does_not_show_the_password"

send_gen() { gh send --provider gen --to +33600000002 --text 'Bonjour'; }
sim_reset
sim_fault clever-http code "code=400&count=1"
send_gen
assert_error invalid 1 "answer_400_is_invalid"
sim_fault clever-http down count=1
send_gen
assert_error temporary 1 "simulator_down_is_temporary"
sim_fault clever-http http500 count=1
send_gen
assert_error unknown_outcome 3 "send_http_500_may_have_been_sent"
sim_fault clever-http garbage count=1
send_gen
assert_error unknown_outcome 3 "send_unreadable_success_answer_may_have_been_sent"
assert_json '.possibly_sent' true "unreadable_answer_possibly_sent"
sim_fault clever-http close count=1
send_gen
assert_error unknown_outcome 3 "send_cut_connection_may_have_been_sent"
sim_reset
sim_fault clever-http timeout_after_accept "count=1&ms=4000"
send_gen
assert_error unknown_outcome 3 "send_timeout_after_accept_is_unknown_outcome"
assert_eq 1 "$(sim_ctl GET 'messages?provider=clever-http&login=compte_test' | jq -r '[.[] | select(.text == "Bonjour")] | length')" \
  "timeout_after_accept_push_was_accepted"

# --- secrets ---------------------------------------------------------------
sim_reset
run_smsmux --config "$CONFIG" --json --verbose send --provider gen --to +33600000002 --text 'Bonjour'
assert_eq 0 "$RC" "verbose_send_exits_0"
assert_contains "$ERR" "SendPush" "verbose_shows_the_request"
assert_not_contains "$OUT$ERR" "T123456" "verbose_send_does_not_show_the_password"
run_smsmux --config "$CONFIG" --json --verbose credit --provider gen
assert_not_contains "$OUT$ERR" "T123456" "verbose_credit_does_not_show_the_password"

finish
