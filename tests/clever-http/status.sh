#!/bin/sh
# Clever conformance, sections 3 "Obtenir les informations d'une campagne"
# (InfosPush -> smsmux call push-info, and the status of a push that has
# no acknowledgement yet) and 4 "Récupérer les acquittements" (DeliveriesPush
# -> smsmux status, one record per recipient).
#
# Message statuses (section 4): 2 sent, 3 delivered, 4 rejected,
# 5 delivered (the handset answered), 6 undelivered.
#
# The document prints DeliveriesPush's records run together on one line
# (`request_status=200 message=»test»&...&status=»4» message=»test»&...`);
# the simulator's compte_test account answers exactly that text, other
# accounts one record per line: both are read alike.
. "$top_srcdir/tests/clever-http/common.sh"

DOC_REF=Push20171123173102
DOC_DELIVERIES='request_status=200 message=»test»&typemessage=»sms»&date_send=»2017-11-23 17:31:08»&date_receive=»2017-11-23 17:32:04»&recipient=»+33600000001»&status=»4» message=»test»&typemessage=»sms»&date_send=»2017-11-23 17:31:08»&date_receive=»2017-11-23 17:32:04»&recipient=»+33600112233»&status=»3»'
DOC_INFOS='request_status=200&reference=»Push20171123173102»&nb_destination=2&status=2&short_code=»clever»&encodage=3&hd_send=&type_push=»sms»&units=14&nb_sms=1'

statuses() { jqr '[.recipients[] | "\(.to) \(.status) \(.code)"] | sort | join(" | ")'; }

# --- section 4: the document's example, byte for byte ----------------------------
sim_reset
assert_eq "$DOC_DELIVERIES" "$(raw /DeliveriesPush/ "$AUTH&reference=$DOC_REF")" \
  "simulator_answers_the_document_deliveries_push_example"
N=$(req_count)
cl status --provider clever "$DOC_REF"
assert_eq 0 "$RC" "status_exits_0"
assert_request "status_matches_document_example_request" GET "$API/DeliveriesPush/" \
  "login=compte_test&pwd=T123456%C3%A7&reference=Push20171123173102"
assert_eq $((N + 1)) "$(req_count)" "status_with_acknowledgements_asks_only_deliveries_push"
assert_json '.provider + " " + .id' "clever $DOC_REF" "status_json_names_provider_and_push"
assert_json '.recipients | length' 2 "status_document_example_records_run_together_are_two"
assert_eq "+33600000001 rejected 4 | +33600112233 delivered 3" "$(statuses)" \
  "status_document_example_4_rejected_3_delivered"
assert_json '.recipients[0].text' "Erreur dans l'envoi" "status_code_4_keeps_the_document_text"
assert_json '.recipients[1].text' 'SMS reçu par le GSM' "status_code_3_keeps_the_document_text"
assert_json '[.recipients[].at] | unique | join(",")' '2017-11-23 17:32:04' \
  "status_at_is_date_receive"

# the same answer with one record per line
sim_ctl POST "account?provider=clever-http&login=$LOGIN&layout=lines" >/dev/null
assert_eq "$(printf '%s' "$DOC_DELIVERIES" | sed 's/ message=/\nmessage=/g')" \
  "$(raw /DeliveriesPush/ "$AUTH&reference=$DOC_REF")" \
  "simulator_lines_layout_puts_one_record_per_line"
cl status --provider clever "$DOC_REF"
assert_eq "+33600000001 rejected 4 | +33600112233 delivered 3" "$(statuses)" \
  "status_records_on_lines_read_like_records_run_together"

# --- section 3: InfosPush ----------------------------------------------------------
sim_reset
assert_eq "$DOC_INFOS" "$(raw /InfosPush/ "$AUTH&reference=$DOC_REF")" \
  "simulator_answers_the_document_infos_push_example"
cl call --provider clever push-info reference=$DOC_REF
assert_eq 0 "$RC" "push_info_exits_0"
assert_request "push_info_matches_document_example_request" GET "$API/InfosPush/" \
  "$AUTH&reference=$DOC_REF"
assert_json '.records[0] | keys_unsorted | join(",")' \
  request_status,reference,nb_destination,status,short_code,encodage,hd_send,type_push,units,nb_sms,status_text \
  "push_info_has_every_field_of_the_example_in_order"
assert_json '[.records[0] | .reference, .nb_destination, .status, .short_code, .encodage, .hd_send, .type_push, .units, .nb_sms] | join("|")' \
  "$DOC_REF|2|2|clever|3||sms|14|1" "push_info_values_of_the_document_example"
assert_json '.records[0].status_text' "SMS livré à l'opérateur" \
  "push_info_status_2_explained_with_the_document_wording"
N=$(req_count)
cl call --provider clever push-info
assert_error input 2 "push_info_without_reference_refused"
assert_eq "$N" "$(req_count)" "push_info_without_reference_sends_nothing"
cl call --provider clever push-info reference=Push19990101000000
assert_error invalid 1 "push_info_unknown_reference_is_invalid"
assert_json '.error.code' 'HTTP 400' "push_info_unknown_reference_http_400"

# --- a push's life: 2 at once, then 3, 4 or 6, then 5 when answered -------------------
sim_ctl POST "account?provider=clever-http&login=$LOGIN&layout=lines" >/dev/null
cl send --provider clever --to +33600000002,+33600000001,+33600000006 --text 'Bonjour'
ID=$(jqr '.id')
cl status --provider clever "$ID"
assert_eq 0 "$RC" "status_of_new_push_exits_0"
assert_request "status_asks_deliveries_push_with_the_reference" GET "$API/DeliveriesPush/" \
  "$AUTH&reference=$ID"
assert_eq "+33600000001 sent 2 | +33600000002 sent 2 | +33600000006 sent 2" "$(statuses)" \
  "status_code_2_is_sent"
assert_json '.recipients[0].text' "SMS livré à l'opérateur" "status_code_2_keeps_the_document_text"
assert_eq 1 "$(jqr '.recipients[0].at' | grep -c '^[0-9-]\{10\} [0-9:]\{8\}$')" \
  "status_at_is_date_send_before_reception"
sim_ctl POST "advance?provider=clever-http" >/dev/null
cl status --provider clever "$ID"
assert_eq "+33600000001 rejected 4 | +33600000002 delivered 3 | +33600000006 undelivered 6" \
  "$(statuses)" "status_codes_3_4_6_after_advance"
assert_json '[.recipients[] | select(.code == "6") | .text] | join(",")' 'Message non délivré' \
  "status_code_6_keeps_the_document_text"
sim_ctl POST "reply?provider=clever-http&login=$LOGIN&from=%2B33600000002&text=merci&reference=$ID" >/dev/null
cl status --provider clever "$ID"
assert_json '[.recipients[] | select(.to == "+33600000002") | "\(.status) \(.code) \(.text)"] | join(",")' \
  'delivered 5 Réponses GSM' "status_code_5_answered_is_delivered"

# --- quotes hold what looks like a separator ------------------------------------------
sim_reset
cl send --provider clever --to +33600000002,+33600000003 --text 'prix=5 & recipient=moi status="10" fin'
ID=$(jqr '.id')
assert_contains "$(raw /DeliveriesPush/ "$AUTH&reference=$ID")" \
  "request_status=200 message=»prix=5 & recipient=moi status=\"10\" fin»&" \
  "simulator_runs_records_together_for_the_document_account"
cl status --provider clever "$ID"
assert_eq "+33600000002 sent 2 | +33600000003 sent 2" "$(statuses)" \
  "status_quoted_text_with_separators_does_not_split_records"

# --- a push waiting for its hdsend: no acknowledgement, InfosPush says -----------------
sim_reset
cl send --provider clever --to +33600000002 --text 'Plus tard' --at '2035-06-01 09:00:00'
ID=$(jqr '.id')
cl status --provider clever "$ID"
assert_eq 0 "$RC" "status_of_scheduled_push_exits_0"
assert_request "status_without_acknowledgement_asks_deliveries_push" GET \
  "$API/DeliveriesPush/" "$AUTH&reference=$ID" -2
assert_request "status_without_acknowledgement_falls_back_to_infos_push" GET \
  "$API/InfosPush/" "$AUTH&reference=$ID"
assert_json '.recipients | length' 1 "status_of_scheduled_push_one_record"
assert_json '.recipients[0] | "\(.to) \(.status) \(.at)"' 'null scheduled 2035-06-01 09:00:00' \
  "status_of_push_waiting_for_hd_send_is_scheduled"

# --- unknown push: 404 ----------------------------------------------------------------
sim_reset
cl status --provider clever Push19990101000000
assert_error invalid 1 "status_of_unknown_push_is_invalid"
assert_json '.error.code' 'HTTP 404' "status_of_unknown_push_keeps_http_404"
assert_contains "$(jqr '.error.message')" "not found" "status_of_unknown_push_says_not_found"
assert_eq 1 "$(req_count)" "status_of_unknown_push_asks_once"

finish
