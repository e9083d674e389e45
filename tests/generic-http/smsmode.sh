#!/bin/sh
# generic-http speaking the sMsmode HTTP API 1.6 (the simulator's
# /smsmode/http/1.6/): sendSMS.do with the accessToken as an auth
# parameter, GSM text in ISO-8859-15 and UCS-2 text in UTF-8 with
# classe_msg=9, the answer `0 | Accepté | id` (ISO-8859-15) read with
# field:3, the error codes as classes through regex conditions, credit.do
# for the balance and smsStatus.do for the status.  Requests are compared
# with the smsmode plugin's for the same message.
. "$top_srcdir/tests/generic-http/common.sh"

write_config smsmode.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 2

[provider.real]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = Ab1CD2efg3Hi

[provider.gen]
plugin = generic-http
base_url = @SIM@/smsmode/http/1.6
auth = param
auth_param = accessToken
token = Ab1CD2efg3Hi
send_method = GET
send_url = /sendSMS.do
send_params = message=${text} & numero=${to_list} & \
  date_envoi=${at:%d%m%Y-%H:%M} & emetteur=${sender} & refClient=${ref}
numbers_format = digits
max_recipients = 300
text_charset = ISO-8859-15
unicode_param = classe_msg=9
id_from = field:3
code_from = field:1
; every sMsmode error is "code | text"; \| is a literal bar
auth_when = regex:^32 *\|
credit_when = regex:^33 *\|
temporary_when = regex:^(31|50) *\|
invalid_when = regex:^(35|41|61) *\|
balance_url = /credit.do
balance_from = body
status_url = /smsStatus.do
status_params = smsID=${id}
status_from = field:1
status_map = 0:sent, 10:scheduled, 11:delivered, 13:sent, 39:undelivered
EOF2
CONFIG=$TMP/smsmode.ini

same_request() {
  _what=$1; shift
  sim_reset
  gh send --provider real "$@"
  _real=$(req smsmode '"\(.method) \(.path)?\(.query)"')
  gh send --provider gen "$@"
  assert_eq 0 "$RC" "${_what}_exits_0"
  assert_eq "$_real" "$(req smsmode '"\(.method) \(.path)?\(.query)"')" \
    "${_what}_request_is_the_smsmode_plugins"
}

# --- sendSMS.do, compared with the smsmode plugin's -------------------------
same_request gsm_text --to +33612345678 --text 'Bonjour à vous, 5€'
assert_eq "GET /smsmode/http/1.6/sendSMS.do?accessToken=Ab1CD2efg3Hi&message=Bonjour+%E0+vous%2C+5%A4&numero=33612345678" \
  "$(req smsmode '"\(.method) \(.path)?\(.query)"')" "gsm_text_goes_in_iso_8859_15"
ID=$(sim_ctl GET "messages?provider=smsmode&token=Ab1CD2efg3Hi" | jq -r '.[-1].id // .[-1].smsID')
assert_json '.id' "$ID" "send_id_is_field_3_of_the_answer"
same_request every_field --to +33612345678,+33698765432 --text 'Rendez-vous' \
  --from Cabinet --ref dossier-12 --at '2035-12-21 14:35:00'
assert_contains "$(req smsmode .query)" "date_envoi=21122035-14%3A35" "at_in_ddmmyyyy-hh:mm"
assert_contains "$(req smsmode .query)" "numero=33612345678%2C33698765432" "numbers_as_digits_comma_joined"

# unicode: the same parameters; the smsmode plugin puts classe_msg=9 after
# accessToken, generic-http after the send_params (unicode_param is added
# last): compared as sets
sim_reset
gh send --provider real --to +33612345678 --text 'Ça coûte ☺'
REAL=$(sorted_query smsmode)
gh send --provider gen --to +33612345678 --text 'Ça coûte ☺'
assert_eq 0 "$RC" "ucs2_send_exits_0"
assert_eq "$REAL" "$(sorted_query smsmode)" "ucs2_parameters_are_the_smsmode_plugins"
assert_contains "$(req smsmode .query)" "message=%C3%87a+co%C3%BBte+%E2%98%BA&numero=33612345678&classe_msg=9" \
  "ucs2_text_in_utf8_with_classe_msg_9"

# --- balance: credit.do answers a bare number ---------------------------------
sim_reset
gh credit --provider gen
assert_eq 0 "$RC" "credit_exits_0"
assert_json '.credits[0].credit' \
  "$(sim_ctl GET 'account?provider=smsmode&token=Ab1CD2efg3Hi' | jq -r .credit)" "credit_is_the_accounts"
assert_eq "GET /smsmode/http/1.6/credit.do?accessToken=Ab1CD2efg3Hi" \
  "$(req smsmode '"\(.method) \(.path)?\(.query)"')" "credit_request_bytes"

# --- status: smsStatus.do ------------------------------------------------------
sim_reset
gh send --provider gen --to +33612345678 --text 'suivi'
ID=$(jqr .id)
gh status --provider gen "$ID"
assert_eq 0 "$RC" "status_exits_0"
assert_eq "GET /smsmode/http/1.6/smsStatus.do?accessToken=Ab1CD2efg3Hi&smsID=$ID" \
  "$(req smsmode '"\(.method) \(.path)?\(.query)"')" "status_request_bytes"
assert_json '[.recipients[] | "\(.status) \(.code)"] | join(",")' "sent 0" "status_0_is_sent"
sim_ctl POST "advance?provider=smsmode" >/dev/null
sim_ctl POST "advance?provider=smsmode" >/dev/null
gh status --provider gen "$ID"
assert_json '[.recipients[] | "\(.status) \(.code)"] | join(",")' "delivered 11" "status_11_is_delivered"
gh status --provider gen nosuchid
assert_error invalid 1 "status_of_unknown_id_61_is_invalid"

# --- errors -------------------------------------------------------------------
send_gen() { gh send --provider gen --to +33612345678 --text 'Bonjour'; }
for c in 31:temporary 32:auth 33:credit 35:invalid 50:temporary; do
  code=${c%%:*} class=${c#*:}
  sim_reset
  sim_fault smsmode code "code=$code&count=1"
  send_gen
  assert_error "$class" 1 "answer_${code}_is_${class}"
  assert_json '.error.code' "$code" "answer_${code}_code_from_field_1"
done
write_config poor.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.gen]
plugin = generic-http
base_url = @SIM@/smsmode/http/1.6
auth = param
auth_param = accessToken
token = poor-token
send_method = GET
send_url = /sendSMS.do
send_params = message=${text}&numero=${to}
numbers_format = digits
id_from = field:3
credit_when = regex:^33 *\|
EOF2
sim_reset
run_smsmux --config "$TMP/poor.ini" --json send --provider gen --to +33612345678 --text x
assert_error credit 1 "empty_account_is_credit"
run_smsmux --config "$TMP/poor.ini" --json send --provider gen --to +33612345678 --text x --at '2035-01-01 10:00:00'
# (it tells the router at open, ABI 1.2: passed over, no other candidate)
assert_error input 2 "no_at_template_cannot_schedule"
assert_contains "$(jqr .error.message)" "gen: lacks the schedule capability" \
  "no_at_template_says_why"
# ${to}: one number per request
sim_reset
sim_ctl POST "account?provider=smsmode&token=poor-token&credit=10" >/dev/null
run_smsmux --config "$TMP/poor.ini" --json send --provider gen --to +33612345678,+33698765432 --text x
assert_eq 0 "$RC" "to_placeholder_send_exits_0"
assert_eq "numero=33612345678 numero=33698765432" \
  "$(sim_requests smsmode | jq -r '[.[] | .query | capture("(?<n>numero=[0-9]*)").n] | join(" ")')" \
  "to_placeholder_sends_one_request_per_number"

sim_reset
sim_fault smsmode down count=1
send_gen
assert_error temporary 1 "simulator_down_is_temporary"
sim_fault smsmode garbage count=1
send_gen
assert_error unknown_outcome 3 "send_garbage_answer_may_have_been_sent"
sim_fault smsmode close count=1
send_gen
assert_error unknown_outcome 3 "send_cut_connection_may_have_been_sent"
sim_reset
sim_fault smsmode timeout_after_accept "count=1&ms=4000"
send_gen
assert_error unknown_outcome 3 "send_timeout_after_accept_is_unknown_outcome"
sim_reset
sim_fault smsmode code "code=32&count=1"
gh credit --provider gen
assert_json '.credits[0].error.class' auth "credit_answer_32_is_auth"
sim_fault smsmode timeout_after_accept "count=1&ms=4000"
gh credit --provider gen
assert_json '.credits[0].error.class' temporary "credit_timeout_is_temporary_a_read_accepts_nothing"

# --- secrets --------------------------------------------------------------------
sim_reset
run_smsmux --config "$CONFIG" --json --verbose send --provider gen --to +33612345678 --text 'Bonjour'
assert_eq 0 "$RC" "verbose_send_exits_0"
assert_contains "$ERR" "sendSMS.do" "verbose_shows_the_request"
assert_not_contains "$OUT$ERR" "Ab1CD2efg3Hi" "verbose_does_not_show_the_token"
sim_fault smsmode code "code=32&count=1"
run_smsmux --config "$CONFIG" --json --verbose credit --provider gen
assert_not_contains "$OUT$ERR" "Ab1CD2efg3Hi" "verbose_error_does_not_show_the_token"

finish
