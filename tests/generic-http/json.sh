#!/bin/sh
# generic-http with a JSON body: the Clever REST push (the simulator's
# /clever-rest/api/pushs) with HTTP Basic and {"datas": {...}} built from
# dotted parameter names, numbers typed with :number, the reference read
# with a JSON pointer; account/me for the balance; Bearer authentication.
# The body is compared with the clever-rest plugin's for the same message.
. "$top_srcdir/tests/generic-http/common.sh"

write_config rest.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 2

[provider.real]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = clevertec
password = Clever2017

[provider.gen]
plugin = generic-http
base_url = @SIM@/clever-rest/api
auth = basic
login = clevertec
password = Clever2017
send_url = /pushs
send_body = json
send_params = datas.text=${text} & datas.number_list=${to_list} & \
  datas.type_push=sms & datas.encodage:number=${encoding} & \
  datas.hd_send=${at:%Y-%m-%d %H:%M:%S} & \
  datas.options=F1 & datas.duplicates:number=0
; a bare ; would start a comment: quote it
recipients_separator = ";"
max_recipients = 100
encoding_values = 3,4
id_from = json:/push/reference
code_from = json:/code
auth_when = status:401
credit_when = status:402
invalid_when = status:400,404
; every request of this API needs the header, GET included
headers = Content-Type: application/json
balance_url = /account/me
balance_from = json:/account/credit
balance_unit = units

[provider.bearer]
plugin = generic-http
base_url = @SIM@/clever-rest/api
auth = bearer
token = tok-SECRET-123
send_url = /pushs
send_body = json
send_params = datas.text=${text} & datas.number_list=${to}
auth_when = status:401
EOF2
CONFIG=$TMP/rest.ini

sim_reset
gh send --provider real --to +33600000001,+33600000002 --text 'test envoi du message'
REAL=$(req clever-rest .body)
gh send --provider gen --to +33600000001,+33600000002 --text 'test envoi du message'
assert_eq 0 "$RC" "json_send_exits_0"
assert_eq "$REAL" "$(req clever-rest .body)" "json_body_is_the_clever_rest_plugins"
assert_eq '{"datas":{"text":"test envoi du message","number_list":"+33600000001;+33600000002","type_push":"sms","encodage":3,"options":"F1","duplicates":0}}' \
  "$(req clever-rest .body)" "json_body_nests_dotted_names_and_types_numbers"
assert_eq "POST /clever-rest/api/pushs" "$(req clever-rest '"\(.method) \(.path)"')" "json_send_posts_to_pushs"
assert_eq "$(req clever-rest '.headers.authorization' -2)" "$(req clever-rest '.headers.authorization')" \
  "basic_authorization_is_the_clever_rest_plugins"
assert_eq "Basic $(printf 'clevertec:Clever2017' | base64)" "$(req clever-rest '.headers.authorization')" \
  "basic_authorization_of_login_and_password"
assert_eq "application/json" "$(req clever-rest '.content_type')" "json_content_type"
REF=$(sim_ctl GET "messages?provider=clever-rest" | jq -r '.[-1].reference')
assert_json '.id' "$REF" "json_id_from_pointer_push_reference"

sim_reset
gh send --provider gen --to +33600000001 --text 'Ça coûte ☺' --at '2035-12-31 00:00:00'
assert_eq 0 "$RC" "json_ucs2_scheduled_exits_0"
assert_eq '{"datas":{"text":"Ça coûte ☺","number_list":"+33600000001","type_push":"sms","encodage":4,"hd_send":"2035-12-31 00:00:00","options":"F1","duplicates":0}}' \
  "$(req clever-rest .body)" "json_body_is_utf8_with_encodage_4_and_hd_send"

gh credit --provider gen
assert_eq 0 "$RC" "json_credit_exits_0"
assert_json '.credits[0].credit' \
  "$(sim_ctl GET 'account?provider=clever-rest&login=clevertec' | jq -r .credit)" "json_credit_from_pointer"
assert_eq "GET /clever-rest/api/account/me" "$(req clever-rest '"\(.method) \(.path)"')" "json_credit_request"

# errors: 402 for an empty account, 401 for a token the API does not take
sim_ctl POST "account?provider=clever-rest&login=clevertec&credit=0" >/dev/null
gh send --provider gen --to +33600000001 --text x
assert_error credit 1 "status_402_is_credit"
sim_reset
gh send --provider bearer --to +33600000001 --text x
assert_error auth 1 "status_401_is_auth"
assert_eq "Bearer tok-SECRET-123" "$(req clever-rest '.headers.authorization')" "bearer_authorization_header"
run_smsmux --config "$CONFIG" --json --verbose send --provider bearer --to +33600000001 --text x
assert_not_contains "$OUT$ERR" "tok-SECRET-123" "verbose_does_not_show_the_bearer_token"
run_smsmux --config "$CONFIG" --json --verbose credit --provider gen
assert_not_contains "$OUT$ERR" "Clever2017" "verbose_does_not_show_the_basic_password"

sim_fault clever-rest garbage count=1
gh send --provider gen --to +33600000001 --text x
assert_error unknown_outcome 3 "json_unreadable_answer_may_have_been_sent"

finish
