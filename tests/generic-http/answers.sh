#!/bin/sh
# generic-http reading what real provider APIs answer: errors inside an
# HTTP 200 body, one per message of a list (every element read, each
# recipient getting its own outcome), conditions beyond equality (!=, a
# numeric range, a regex on a value, on JSON and key=value answers), the
# provider's code and error text on every failure, a default sender and a
# numeric sender reformatted, status records per recipient (to, at), and
# the price and balance a send answer reports (the balance feeds the
# router's balance cache).
#
# No simulator module answers a send with a per-message list, so those
# answers are given with the simulator's `answer` fault (tests/sim/sim.c);
# the status records come from the real Clever REST deliveries answer.
. "$top_srcdir/tests/generic-http/common.sh"

write_config answers.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 2

; a JSON API answering one element per recipient, errors included (HTTP 200)
[provider.list]
plugin = generic-http
base_url = @SIM@/clever-rest/api
auth = basic
login = clevertec
password = Clever2017
send_url = /pushs
send_body = json
send_params = datas.text=${text} & datas.number_list=${to_list}
recipients_separator = ";"
max_recipients = 3
id_from = json:/results/*/id
code_from = json:/results/*/code
auth_when = json:/message=~^(Bad|Expired) token
invalid_when = json:/results/*/code=20..29
permanent_when = json:/results/*/code!=0

; Clever REST itself: the HTTP statuses and {"code","message"} of errors
[provider.rest]
plugin = generic-http
base_url = @SIM@/clever-rest/api
auth = basic
login = clevertec
password = Clever2017
send_url = /pushs
send_body = json
send_params = datas.text=${text} & datas.number_list=${to_list} & \
  datas.type_push=sms & datas.encodage:number=${encoding}
recipients_separator = ";"
max_recipients = 100
encoding_values = 3,4
headers = Content-Type: application/json
id_from = json:/push/reference
code_from = json:/code
EOF2
CONFIG=$TMP/answers.ini

# the instances of the keys this version adds (an unknown key makes the
# whole file unusable: kept apart from the ones above)
write_config new.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 2

; the list instance, with the error text of each element
[provider.listtext]
plugin = generic-http
base_url = @SIM@/clever-rest/api
send_url = /pushs
send_body = json
send_params = datas.text=${text} & datas.number_list=${to_list}
recipients_separator = ";"
max_recipients = 3
id_from = json:/results/*/id
code_from = json:/results/*/code
error_text_from = json:/results/*/error
invalid_when = json:/results/*/code=20..29
permanent_when = json:/results/*/code!=0

; a key=value API (AllMySMS style): Status=100 is the only success
[provider.kv]
plugin = generic-http
base_url = @SIM@/clever-rest/api
send_url = /pushs
send_params = text=${text} & to=${to}
id_from = pairs:CampaignID
code_from = pairs:Status
error_text_from = pairs:StatusText
credit_when = pairs:Status=103
permanent_when = pairs:Status!=100

; its send answers say the price and the balance left
[provider.money]
plugin = generic-http
base_url = @SIM@/clever-rest/api
send_url = /pushs
send_params = text=${text} & to=${to}
id_from = pairs:CampaignID
send_balance_from = pairs:Credits
send_price_from = pairs:Cost

; the rest instance, with the error text
[provider.resttext]
plugin = generic-http
base_url = @SIM@/clever-rest/api
send_url = /pushs
send_params = text=${text} & to=${to}
id_from = json:/push/reference
code_from = json:/code
error_text_from = json:/message

; the deliveries of a push as status records
[provider.deliveries]
plugin = generic-http
base_url = @SIM@/clever-rest/api
auth = basic
login = clevertec
password = Clever2017
send_url = /pushs
send_body = json
send_params = datas.text=${text} & datas.number_list=${to_list} & \
  datas.type_push=sms & datas.encodage:number=${encoding}
recipients_separator = ";"
max_recipients = 100
encoding_values = 3,4
headers = Content-Type: application/json
id_from = json:/push/reference
status_url = /pushs/${id}/deliveries
status_from = json:/deliveries/*/status
status_to = json:/deliveries/*/recipient
status_at = json:/deliveries/*/date_send
status_map = 2:sent, 3:delivered, 4:undelivered

; a default sender, and numeric senders formatted like the numbers
[provider.sender]
plugin = generic-http
base_url = @SIM@/clever-rest/api
send_url = /pushs
send_body = json
send_params = datas.text=${text} & datas.number_list=${to} & \
  datas.sender=${sender}
default_sender = MaBoutique
sender_format = numbers
numbers_format = 00
EOF2
ghn() { run_smsmux --config "$TMP/new.ini" --json "$@"; }

# answer BODY [HTTP status] [content type]: the next request of the Clever
# REST simulator gets this answer (and is not served)
answer() {
  sim_ctl POST "fault?provider=clever-rest&mode=answer&count=1&code=${2:-200}" \
    --data-urlencode "body=$1" --data-urlencode "type=${3:-application/json}" >/dev/null
}
T3="+33600000001,+33600000002,+33600000003"

# --- a per-message list: every element read, one outcome per recipient -------
sim_reset
answer '{"results":[{"id":"m1","code":0},{"id":"m2","code":0},{"code":21,"error":"Numéro invalide"}]}'
ghn send --provider listtext --to "$T3" --text hello
# a refused recipient makes the exit status 1 (README: exit status)
assert_eq 1 "$RC" "list_one_refused_of_three_exits_1"
assert_json '[.recipients[] | "\(.to) \(.status) \(.code)"] | join(",")' \
  "+33600000001 accepted null,+33600000002 accepted null,+33600000003 rejected 21" \
  "list_each_recipient_gets_its_elements_outcome"
assert_json '[.recipients[0,1] | .id] | join(",")' "m1,m2" "list_each_accepted_recipient_has_its_own_id"
assert_json '.recipients[2].text' "Numéro invalide" "list_refused_recipient_has_the_error_text"
assert_eq 1 "$(req_count clever-rest)" "list_three_recipients_one_request"

sim_reset
answer '{"results":[{"code":20,"error":"Numéro invalide"},{"code":22,"error":"Numéro inconnu"},{"code":21,"error":"Numéro mal formé"}]}'
gh send --provider list --to "$T3" --text hello
assert_error invalid 1 "list_all_refused_fails_the_send"
assert_json '.error.code' 20 "list_all_refused_code_of_the_first"

# a list that is not one element per recipient: any element fails the request
sim_reset
answer '{"results":[{"id":"m1","code":0},{"id":"m2","code":7,"error":"Quota dépassé"}]}'
gh send --provider list --to +33600000001 --text hello
assert_error permanent 1 "list_second_element_is_read"
assert_json '.error.code' 7 "list_code_from_reads_the_element_that_failed"
answer '{"results":[{"id":"m1","code":0},{"id":"m2","code":7,"error":"Quota dépassé"}]}'
ghn send --provider listtext --to +33600000001 --text hello
assert_contains "$(jqr '.error.message')" "Quota dépassé" "list_error_text_of_the_element_that_failed"

# --- conditions beyond equality -----------------------------------------------
sim_reset
answer '{"results":[{"code":5,"error":"Compte suspendu"}]}'
gh send --provider list --to +33600000001 --text hello
assert_error permanent 1 "not_equal_any_non_zero_code"
assert_json '.error.code' 5 "not_equal_code_from"
answer '{"results":[{"code":29}]}'
gh send --provider list --to +33600000001 --text hello
assert_error invalid 1 "range_20_29_holds_on_29"
answer '{"results":[{"code":30}]}'
gh send --provider list --to +33600000001 --text hello
assert_error permanent 1 "range_20_29_does_not_hold_on_30"
answer '{"message":"Expired token for clevertec"}'
gh send --provider list --to +33600000001 --text hello
assert_error auth 1 "regex_on_a_json_value"
answer '{"message":"Token expired"}'
gh send --provider list --to +33600000001 --text hello
assert_error unknown_outcome 3 "regex_on_a_json_value_that_does_not_match"

answer 'Status=103
StatusText=Crédit insuffisant' 200 'text/plain; charset=UTF-8'
ghn send --provider kv --to +33600000001 --text hello
assert_error credit 1 "pairs_equal_in_a_200_answer"
assert_json '.error.code' 103 "pairs_code_from"
assert_contains "$(jqr '.error.message')" "Crédit insuffisant" "pairs_error_text_in_the_message"
answer 'Status=102
StatusText=Identifiant incorrect' 200 'text/plain; charset=UTF-8'
ghn send --provider kv --to +33600000001 --text hello
assert_error permanent 1 "pairs_not_equal_in_a_200_answer"
assert_json '.error.code' 102 "pairs_not_equal_code_from"

# --- code_from and error_text_from on every failure -------------------------
sim_reset
answer '{"code":"E_NUM","message":"numéro refusé"}' 400
gh send --provider rest --to +33600000001 --text hello
assert_error invalid 1 "http_400_keeps_the_hosts_class"
assert_json '.error.code' E_NUM "http_400_code_from_the_answer"
answer '{"code":"E_NUM","message":"numéro refusé"}' 400
ghn send --provider resttext --to +33600000001 --text hello
assert_error invalid 1 "http_400_with_error_text_keeps_the_hosts_class"
assert_json '.error.code' E_NUM "http_400_with_error_text_code_from_the_answer"
assert_contains "$(jqr '.error.message')" "numéro refusé" "http_400_error_text_from_the_answer"
answer '{"code":"MAINT","message":"maintenance en cours"}' 503
gh send --provider rest --to +33600000001 --text hello
assert_error temporary 1 "http_503_keeps_the_hosts_class"
assert_json '.error.code' MAINT "http_503_code_from_the_answer"
answer '{"code":"W1","message":"file pleine"}' 200
gh send --provider rest --to +33600000001 --text hello
assert_error unknown_outcome 3 "no_id_is_unknown_outcome"
assert_json '.error.code' W1 "no_id_code_from_the_answer"
answer '{"code":"W1","message":"file pleine"}' 200
ghn send --provider resttext --to +33600000001 --text hello
assert_contains "$(jqr '.error.message')" "file pleine" "no_id_error_text_from_the_answer"
sim_fault clever-rest http500 count=1
gh send --provider rest --to +33600000001 --text hello
assert_error unknown_outcome 3 "http_500_without_code_is_unknown_outcome"
assert_json '.error.code' "HTTP 500" "http_500_without_code_keeps_the_status"

# --- the sender: a default, numbers reformatted -----------------------------
sim_reset
answer '{"results":[{"id":"m1","code":0}]}'
ghn send --provider sender --to +33600000001 --text hello
assert_eq 0 "$RC" "default_sender_send_exits_0"
assert_eq MaBoutique "$(req clever-rest '.body | fromjson | .datas.sender')" "default_sender_without_from"
answer '{"results":[{"id":"m1","code":0}]}'
ghn send --provider sender --to +33600000001 --text hello --from Autre
assert_eq Autre "$(req clever-rest '.body | fromjson | .datas.sender')" "from_wins_over_default_sender"
answer '{"results":[{"id":"m1","code":0}]}'
ghn send --provider sender --to +33600000001 --text hello --from +33612345678
assert_eq 0033612345678 "$(req clever-rest '.body | fromjson | .datas.sender')" "numeric_sender_formatted_like_numbers"
assert_eq 0033600000001 "$(req clever-rest '.body | fromjson | .datas.number_list')" "numbers_format_00"
answer '{"results":[{"id":"m1","code":0}]}'
ghn send --provider sender --to +33600000001 --text hello --from 0612345678
assert_eq 0033612345678 "$(req clever-rest '.body | fromjson | .datas.sender')" "national_sender_formatted_like_numbers"

# --- status records per recipient (Clever REST deliveries) ------------------
sim_reset
ghn send --provider deliveries --to +33600000001,+33600000002 --text 'deux destinataires'
assert_eq 0 "$RC" "rest_send_exits_0"
ID=$(jqr '.id')
ghn status --provider deliveries "$ID"
assert_eq 0 "$RC" "status_records_exits_0"
assert_eq "GET /clever-rest/api/pushs/$ID/deliveries" "$(req clever-rest '"\(.method) \(.path)"')" "status_request"
assert_json '[.recipients[] | "\(.to) \(.status) \(.code)"] | join(",")' \
  "+33600000001 sent 2,+33600000002 sent 2" "status_one_record_per_recipient"
assert_json '[.recipients[] | .at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}$")] | all' true \
  "status_at_of_each_record"

# --- price and balance of a send answer ---------------------------------------
write_config route.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
balance_ttl = 3600
routes = cheap
[provider.money]
plugin = generic-http
base_url = @SIM@/clever-rest/api
send_url = /pushs
send_params = text=${text} & to=${to}
[route.cheap]
policy = cheapest
providers = money
EOF2
sim_reset
answer 'Status=100
StatusText=Message envoyé
CampaignID=c42
Cost=1.5
Credits=41.5' 200 'text/plain; charset=UTF-8'
ghn send --provider money --to +33600000001 --text hello
assert_eq 0 "$RC" "kv_send_exits_0"
assert_json '.id' c42 "kv_send_id"
assert_contains "$ERR" "charged 1.5 credits" "send_price_is_logged"
run_smsmux --config "$TMP/route.ini" --json route --to +33600000001 --text hello
assert_contains "$(jqr '.candidates[0].reason')" "(credit 41.5 >= 1 needed)" \
  "send_balance_feeds_the_routers_balance_cache"
assert_eq 1 "$(req_count clever-rest)" "cached_balance_read_without_a_request"

finish
