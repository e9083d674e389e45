#!/bin/sh
# sMsmode conformance: `smsmux status` reads compteRendu.do (item 4),
# records `numero statut | numero statut | ...`, one per recipient, and
# falls back to smsStatus.do (item 11, `statut | description`, the status
# of the whole message) when compteRendu.do has none.
#
# The guide's answer `33600000000 11 | 33611111111 13` cannot come out of
# the simulator byte for byte: /_sim/advance moves every recipient of a
# message one step at once (sent 0 -> operator 13 -> received 11), except
# numbers ending in 34 or 35, which end in error 34 or 35.  So we check
# the same shape: two records with different codes after two advances
# (`33600000000 11 | 33611111135 35`), and 13 for both after one.
. "$top_srcdir/tests/smsmode/common.sh"

# --- the guide's requests: an id the simulator does not know ---------------
sim_reset
sms status --provider sms 12345678
assert_request "status_matches_guide_compteRendu_example_request" GET \
  "$API/compteRendu.do" "accessToken=$TOKEN&smsID=12345678" 0
assert_request "status_falls_back_to_guide_smsStatus_example_request" GET \
  "$API/smsStatus.do" "accessToken=$TOKEN&smsID=12345678" 1
assert_error invalid 1 "status_of_unknown_message_is_invalid"
assert_json '.error.code' 61 "status_of_unknown_message_code_61"

# --- per-recipient records ---------------------------------------------------
sim_reset
sms send --provider sms --to +33600000000,+33611111135 --text 'Bonjour'
ID=$(jqr '.id')
sms status --provider sms "$ID"
assert_eq 0 "$RC" "status_exits_0"
assert_request "status_asks_compteRendu_with_the_smsID" GET "$API/compteRendu.do" \
  "accessToken=$TOKEN&smsID=$ID"
assert_json '.provider' sms "status_json_names_provider"
assert_json '.id' "$ID" "status_json_names_the_message"
assert_json '[.recipients[] | "\(.to) \(.status) \(.code)"] | sort | join(" | ")' \
  "+33600000000 sent 0 | +33611111135 sent 0" "status_code_0_is_sent"

sim_ctl POST "advance?provider=smsmode" >/dev/null
sms status --provider sms "$ID"
assert_json '[.recipients[] | "\(.to) \(.status) \(.code)"] | sort | join(" | ")' \
  "+33600000000 sent 13 | +33611111135 sent 13" "status_code_13_operator_is_sent"
assert_json '.recipients[0].text' 'Délivré opérateur (statut temporaire)' \
  "status_code_13_keeps_the_guide_text"

sim_ctl POST "advance?provider=smsmode" >/dev/null
sms status --provider sms "$ID"
assert_eq 0 "$RC" "status_after_delivery_exits_0"
assert_json '.recipients | length' 2 "status_one_record_per_recipient"
assert_json '[.recipients[].to] | sort | join(",")' '+33600000000,+33611111135' \
  "status_numbers_normalised_to_e164"
assert_json '[.recipients[] | "\(.to) \(.status) \(.code)"] | sort | join(" | ")' \
  "+33600000000 delivered 11 | +33611111135 undelivered 35" \
  "status_two_records_11_delivered_35_undelivered"
assert_json '[.recipients[] | select(.code == "11") | .text] | join(",")' 'Reçu' \
  "status_keeps_the_text_of_code_11"
assert_json '.recipients | map(has("to") and has("status") and has("code") and has("text") and has("at")) | all' \
  true "status_json_record_shape"

# --- a scheduled message -----------------------------------------------------
sim_reset
sms send --provider sms --to +33600000000 --text 'Plus tard' --at '2035-06-01 09:00:00'
ID=$(jqr '.id')
sms status --provider sms "$ID"
assert_json '.recipients[0].status + " " + .recipients[0].code' 'scheduled 10' \
  "status_code_10_is_scheduled"

# --- smsStatus.do: the guide's answer `0 | Envoyé` ---------------------------
sim_reset
sms send --provider sms --to +33600000000,+33611111111 --text 'Bonjour'
ID=$(jqr '.id')
sms call --provider sms sms-status "smsID=$ID"
assert_eq 0 "$RC" "sms_status_exits_0"
assert_request "sms_status_asks_smsStatus" GET "$API/smsStatus.do" \
  "accessToken=$TOKEN&smsID=$ID"
assert_json '.records[0] | "\(.code) | \(.description) | \(.status)"' \
  '0 | Envoyé | sent' "sms_status_guide_answer_0_Envoye_is_sent"
sim_ctl POST "advance?provider=smsmode" >/dev/null
sim_ctl POST "advance?provider=smsmode" >/dev/null
sms call --provider sms sms-status "smsID=$ID"
assert_json '.records[0].code + " " + .records[0].status' '11 delivered' \
  "sms_status_11_is_delivered"

finish
