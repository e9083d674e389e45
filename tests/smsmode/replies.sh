#!/bin/sh
# sMsmode conformance: responseList.do (item 14): pages (start, offset) or
# dates (startDate, endDate, ddmmyyyy-hh:mm), never both; lines
# `response_ID | reception_date | from | text | to | message_ID`, in
# ISO-8859-15.
. "$top_srcdir/tests/smsmode/common.sh"

# --- the guide's three requests ---------------------------------------------
sim_reset
sms replies --provider sms
assert_eq 0 "$RC" "replies_exits_0"
assert_request "replies_matches_guide_example_request" GET "$API/responseList.do" \
  "accessToken=$TOKEN"
assert_json '.replies | length' 0 "replies_none_yet"
sms replies --provider sms --start 50 --count 150
assert_eq 0 "$RC" "replies_page_exits_0"
assert_request "replies_page_matches_guide_example_request" GET \
  "$API/responseList.do" "accessToken=$TOKEN&start=50&offset=150"
sms replies --provider sms --since '2014-01-01 00:00' --until '2014-02-01 00:00'
assert_eq 0 "$RC" "replies_dates_exits_0"
assert_request "replies_dates_match_guide_example_request" GET \
  "$API/responseList.do" \
  "accessToken=$TOKEN&startDate=01012014-00%3A00&endDate=01022014-00%3A00"
# smsmux itself refuses the mix as a usage error (the plugin would refuse
# it as invalid otherwise)
N=$(req_count)
sms replies --provider sms --start 50 --since '2014-01-01 00:00'
assert_error input 2 "replies_pages_and_dates_together_refused"
assert_eq "$N" "$(req_count)" "replies_pages_and_dates_together_sends_nothing"

# --- answers ----------------------------------------------------------------
sim_reset
sms send --provider sms --to +33601020304 --text 'Venez-vous ? OUI/NON' --option reply=yes
ID1=$(jqr '.id')
sms send --provider sms --to +33601020305 --text 'Autre question' --option reply=yes
ID2=$(jqr '.id')
sim_ctl POST "reply?provider=smsmode&token=$TOKEN&from=33601020304&text=Oui%2C+re%C3%A7u+%E2%82%AC&message_id=$ID1&to=36034" >/dev/null
sim_ctl POST "reply?provider=smsmode&token=$TOKEN&from=33601020305&text=non&message_id=$ID2&to=36034" >/dev/null

sms replies --provider sms
assert_eq 0 "$RC" "replies_after_answers_exits_0"
assert_json '.replies | length' 2 "replies_lists_both_answers"
R1=$(jqr "[.replies[] | select(.from == \"+33601020304\")][0]")
assert_json '.text' 'Oui, reçu €' "reply_text_decoded_from_iso_8859_15" "$R1"
assert_json '.from' '+33601020304' "reply_from_in_e164" "$R1"
assert_json '.id | type' string "reply_has_its_response_ID" "$R1"
assert_eq 1 "$(printf '%s' "$R1" | jq -r '.at' | grep -c '^[0-9]\{8\}-[0-9][0-9]:[0-9][0-9]$')" \
  "reply_at_is_the_reception_date_as_sMsmode_gives_it"

sms replies --provider sms "$ID2"
assert_eq 0 "$RC" "replies_to_one_message_exits_0"
assert_json '[.replies[].text] | join(",")' non "replies_to_one_message_keeps_only_its_answers"

sms replies --provider sms --start 1 --count 1
assert_json '.replies | length' 1 "replies_page_of_one"

finish
