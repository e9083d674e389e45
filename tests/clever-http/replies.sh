#!/bin/sh
# Clever conformance, section 5 "Récupérer les réponses (MO) d'une campagne":
# MosPush answers the replies to one push (-> smsmux replies --provider P
# REFERENCE), records run together as the document prints them, or 204
# No Content when there is none (an empty list, exit 0).
#
# The document's request has "&&reference=" (an empty parameter between
# pwd and reference); smsmux sends one "&", which reads the same.
. "$top_srcdir/tests/clever-http/common.sh"

DOC_REF=Push20171127162824
DOC_MOS='request_status=200 message=»Yacine»&date_receive=»2017-11-27 16:28:53»&recipient=»+33651028452»&status=»5»'

# --- the document's example ----------------------------------------------------------
sim_reset
assert_eq "$DOC_MOS" "$(raw /MosPush/ "$AUTH&&reference=$DOC_REF")" \
  "simulator_answers_the_document_mos_push_example"
cl replies --provider clever "$DOC_REF"
assert_eq 0 "$RC" "replies_exits_0"
assert_request "replies_matches_document_example_request" GET "$API/MosPush/" \
  "$AUTH&reference=$DOC_REF"
assert_json '.replies | length' 1 "replies_document_example_one_reply"
assert_json '.replies[0] | "\(.from)|\(.text)|\(.at)|\(.message_id)"' \
  "+33651028452|Yacine|2017-11-27 16:28:53|$DOC_REF" \
  "replies_document_example_from_text_date_push"

# --- 204: no MO -------------------------------------------------------------------------
sim_reset
cl send --provider clever --to +33600000002 --text 'Une question ?'
ID=$(jqr '.id')
assert_eq 204 "$(curl -s -o /dev/null -w '%{http_code}' "$SIM_URL$API/MosPush/?$AUTH&reference=$ID")" \
  "simulator_answers_204_without_mo"
cl replies --provider clever "$ID"
assert_eq 0 "$RC" "replies_204_exits_0"
assert_json '.replies | length' 0 "replies_204_is_an_empty_list"
assert_json 'has("error")' false "replies_204_is_no_error"

# --- replies of a push, run together, newest first ------------------------------------------
sim_ctl POST "reply?provider=clever-http&login=$LOGIN&from=0033600000002&reference=$ID&date=2030-01-02+10%3A00%3A00&text=Oui%2C+re%C3%A7u+%26+merci+prix%3D5" >/dev/null
sim_ctl POST "reply?provider=clever-http&login=$LOGIN&from=%2B33600000002&reference=$ID&date=2030-01-03+10%3A00%3A00&text=Et+encore" >/dev/null
assert_contains "$(raw /MosPush/ "$AUTH&reference=$ID")" \
  "&status=»5» message=»Et encore»" "simulator_runs_mo_records_together_for_the_document_account"
cl replies --provider clever "$ID"
assert_eq 0 "$RC" "replies_after_answers_exits_0"
assert_json '.replies | length' 2 "replies_lists_both_answers"
assert_json '[.replies[].text] | join("|")' 'Et encore|Oui, reçu & merci prix=5' \
  "replies_newest_first_text_with_separators_kept_whole"
assert_json '[.replies[].from] | unique | join(",")' '+33600000002' "replies_from_in_e164"
assert_json '.replies[1].at' '2030-01-02 10:00:00' "reply_at_is_date_receive"
cl replies --provider clever "$ID" --count 1
assert_json '[.replies[].text] | join("|")' 'Et encore' "replies_count_1_keeps_the_newest"
cl replies --provider clever "$ID" --start 1
assert_json '[.replies[].text] | join("|")' 'Oui, reçu & merci prix=5' "replies_start_1_skips_the_newest"
cl replies --provider clever "$ID" --since '2030-01-03 00:00'
assert_json '[.replies[].text] | join("|")' 'Et encore' "replies_since_filters_on_date_receive"
cl replies --provider clever "$ID" --until '2030-01-03 00:00'
assert_json '[.replies[].text] | join("|")' 'Oui, reçu & merci prix=5' "replies_until_filters_on_date_receive"
assert_request "replies_filters_send_no_parameter" GET "$API/MosPush/" "$AUTH&reference=$ID"

# --- the same records on lines of their own ------------------------------------------------
sim_ctl POST "account?provider=clever-http&login=$LOGIN&layout=lines" >/dev/null
cl replies --provider clever "$ID"
assert_json '[.replies[].text] | join("|")' 'Et encore|Oui, reçu & merci prix=5' \
  "replies_on_lines_read_like_replies_run_together"

# --- errors -----------------------------------------------------------------------------------
N=$(req_count)
cl replies --provider clever
assert_error input 2 "replies_without_reference_refused"
assert_contains "$(jqr '.error.message')" "reference" "replies_without_reference_says_why"
assert_eq "$N" "$(req_count)" "replies_without_reference_sends_nothing"
cl replies --provider clever Push19990101000000
assert_error invalid 1 "replies_of_unknown_push_is_invalid"
assert_json '.error.code' 'HTTP 404' "replies_of_unknown_push_keeps_http_404"

finish
