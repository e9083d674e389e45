#!/bin/sh
# sMsmode conformance: "seule la méthode POST permet l'envoi de SMS à plus
# de 300 destinataires": up to 300 numbers go as a GET query, more as a POST
# form with the same fields; beyond the plugin's 1000 per request the core
# splits the list.
. "$top_srcdir/tests/smsmode/common.sh"

# numbers N: +33600000000 ... one per line
numbers() { i=0; while [ $i -lt "$1" ]; do printf '+336%08d\n' $i; i=$((i + 1)); done; }
# numero N: the numero value as the host encodes it
numero() {
  i=0
  while [ $i -lt "$1" ]; do
    [ $i -gt 0 ] && printf '%%2C'
    printf '336%08d' $i
    i=$((i + 1))
  done
}

# One send each (--to: a --to-file goes through the batch API, which
# groups rows per provider limit before sending).
numbers 300 >"$TMP/300.txt"
sim_reset
sms send --provider sms --to "$(paste -sd, "$TMP/300.txt")" --text 'Bonjour'
assert_eq 0 "$RC" "send_300_exits_0"
assert_request "send_300_recipients_is_one_get" GET "$API/sendSMS.do" \
  "accessToken=$TOKEN&message=Bonjour&numero=$(numero 300)"

numbers 301 >"$TMP/301.txt"
sim_reset
sms send --provider sms --to "$(paste -sd, "$TMP/301.txt")" --text 'Bonjour à tous' --from PERSO
assert_eq 0 "$RC" "send_301_exits_0"
assert_eq 1 "$(req_count)" "send_301_recipients_is_one_request"
assert_eq "POST $API/sendSMS.do?" "$(req '"\(.method) \(.path)?\(.query)"')" \
  "send_301_recipients_is_a_post_without_query"
assert_contains "$(req '.content_type')" "application/x-www-form-urlencoded" \
  "send_301_post_is_a_form"
assert_eq "accessToken=$TOKEN&message=Bonjour+%E0+tous&numero=$(numero 301)&emetteur=PERSO" \
  "$(req '.body')" "send_301_form_has_the_get_fields_in_order"
assert_json '.recipients | length' 301 "send_301_json_lists_every_recipient"
assert_json '[.recipients[].status] | unique | join(",")' accepted \
  "send_301_all_accepted"

numbers 1001 >"$TMP/1001.txt"
sim_reset
# the built-in account holds 1000 credits: enough for 1001 SMS
sim_ctl POST "account?provider=smsmode&token=$TOKEN&credit=5000" >/dev/null
sms send --provider sms --to "$(paste -sd, "$TMP/1001.txt")" --text 'Bonjour'
assert_eq 0 "$RC" "send_1001_exits_0"
assert_eq 2 "$(req_count)" "send_1001_recipients_is_split_in_two_requests"
assert_eq "1000 1" \
  "$(sim_requests smsmode | jq -r '[.[] | ((.body // "") + "&" + (.query // "")) | capture("numero=(?<n>[^&]*)").n | split("%2C") | length] | join(" ")')" \
  "send_1001_split_1000_then_1"

finish
