#!/bin/sh
# Clever REST conformance: `smsmux status` is "3.21 Obtenir les
# acquittements d'une campagne de messages", GET pushs/{ref}/deliveries,
# one record per recipient; a campaign with no report yet (scheduled) is
# looked up with "3.19 Obtenir les informations d'une campagne", GET
# pushs/{ref}, and reported as a whole.
#
# Statuses: the REST document prints 2, 3 and 6 without a table; the
# FrontalHttpMultimedias guide of the same company names them (2 handed to
# the operator, 3 received, 4 error while sending, 5 answer, 6 not
# delivered).  The example answer of 3.21 cannot come out byte for byte:
# its second record is a "tts" to "+336000000001" inside an "sms"
# campaign, and that number has one digit too many for a French mobile.
# The simulator answers the same shape: a campaign to +33651028452
# (received: 3) and +33600000006 (numbers ending in 06: not delivered, 6).
. "$top_srcdir/tests/clever-rest/common.sh"

sim_reset
cr send --provider clever --to +33651028452,+33600000006 --text 'send push all contacts test'
REF=$(jqr '.id')

cr status --provider clever "$REF"
assert_eq 0 "$RC" "status_exits_0"
assert_request "status_matches_the_request_of_3.21" GET "$API/pushs/$REF/deliveries"
assert_eq "" "$(req .body)" "status_request_has_no_body"
assert_json_headers "status"
assert_json '[.recipients[] | "\(.to) \(.status) \(.code)"] | join(",")' \
  "+33651028452 sent 2,+33600000006 sent 2" "status_code_2_handed_to_operator_is_sent"
assert_json '.recipients[0].text' "SMS livré à l'opérateur" "status_code_2_text"
assert_eq "$(sim_curl GET "pushs/$REF/deliveries" | jq -r '.deliveries[0].date_send')" \
  "$(jqr '.recipients[0].at')" "status_without_date_receive_gives_date_send"

advance
cr status --provider clever "$REF"
assert_json '[.recipients[] | "\(.to) \(.status) \(.code)"] | join(",")' \
  "+33651028452 delivered 3,+33600000006 undelivered 6" \
  "status_example_3.21_codes_3_delivered_and_6_undelivered"
assert_json '.recipients[0].text' "SMS reçu par le GSM" "status_code_3_text"
assert_json '.recipients[1].text' "Message non délivré" "status_code_6_text"
DELIV=$(sim_curl GET "pushs/$REF/deliveries")
assert_eq "$(printf '%s' "$DELIV" | jq -r '.deliveries[0].date_receive')" \
  "$(jqr '.recipients[0].at')" "status_at_is_date_receive"
assert_eq "message,typemessage,date_send,date_receive,recipient,status" \
  "$(printf '%s' "$DELIV" | jq -r '.deliveries[0] | keys_unsorted | join(",")')" \
  "simulator_deliveries_have_the_members_of_3.21"
assert_eq "message,typemessage,date_send,recipient,status" \
  "$(printf '%s' "$DELIV" | jq -r '.deliveries[1] | keys_unsorted | join(",")')" \
  "simulator_undelivered_has_no_date_receive_as_in_the_screenshot"
assert_eq '"3"' "$(printf '%s' "$DELIV" | jq -c '.deliveries[0].status')" \
  "simulator_delivery_status_is_a_string_as_in_3.21"

# error while sending (4)
sim_reset
cr send --provider clever --to +33600000004 --text 'x'
REF=$(jqr '.id')
advance
cr status --provider clever "$REF"
assert_json '.recipients[0].status + " " + .recipients[0].code' "rejected 4" \
  "status_code_4_error_while_sending_is_rejected"

# a voice campaign: typemessage tts
sim_reset
cr send --provider clever --kind voice --to +33600000001 --text 'Bonjour'
REF=$(jqr '.id')
assert_eq tts "$(sim_curl GET "pushs/$REF/deliveries" | jq -r '.deliveries[0].typemessage')" \
  "simulator_voice_delivery_typemessage_tts"

# --- no report yet: the campaign's own status (3.19) -------------------------
sim_reset
cr send --provider clever --to +33600000001 --text 'Plus tard' --at '2035-06-01 09:00:00'
REF=$(jqr '.id')
N=$(req_count)
cr status --provider clever "$REF"
assert_eq 0 "$RC" "status_of_scheduled_exits_0"
assert_request "status_without_report_asks_deliveries_first" GET \
  "$API/pushs/$REF/deliveries" "$N"
assert_request "status_without_report_asks_the_campaign_3.19" GET "$API/pushs/$REF"
assert_json '.recipients | length' 1 "status_of_campaign_is_one_record"
assert_json '.recipients[0].to' null "status_of_campaign_names_no_recipient"
assert_json '.recipients[0].status + " " + .recipients[0].code' "scheduled 0" \
  "status_campaign_0_due_later_is_scheduled"
assert_json '.recipients[0].at' "2035-06-01 09:00:00" "status_campaign_at_is_hd_send"

# --- references ----------------------------------------------------------------
sim_reset
cr send --provider clever --to +33600000001 --text 'x'
REF=$(jqr '.id')
cr status --provider clever " $REF"
assert_eq 0 "$RC" "status_reference_with_leading_space_is_trimmed"
assert_request "status_trimmed_reference_in_the_path" GET "$API/pushs/$REF/deliveries"
N=$(req_count)
cr status --provider clever 'Push/../contacts'
assert_error input 2 "status_reference_with_slash_refused"
cr status --provider clever ..
assert_error input 2 "status_reference_dot_dot_refused"
assert_eq "$N" "$(req_count)" "status_bad_reference_sends_nothing"
cr status --provider clever Push20171012135655
assert_error invalid 1 "status_of_unknown_reference_is_invalid"
assert_json '.error.code' "HTTP 404" "status_of_unknown_reference_code_404"

finish
