#!/bin/sh
# Clever conformance, section 2 "Effectuer une campagne de messages SMS
# (PUSH)": `smsmux send` builds SendPush requests; compared byte for byte
# with what the simulator received.
#
# Where the bytes cannot be the document's, and why:
#  - login=xxxxxxx&pwd=xxxxxxx are placeholders: the tests use the
#    document's other account, compte_test / T123456ç (pwd=T123456%C3%A7).
#  - the host URL-encodes every value with curl_easy_escape: the "," between
#    recipients goes out as %2C, ":" in hdsend as %3A and its space as "+".
#    A server decodes both forms alike (the simulator does).
#  - the reference in the answer is the simulator's (Push + the date and
#    time of the push, as Push20171123173102 is), not the document's.
#  - hdsend's example "2025-12-31 00:00 :00" has a stray space (the PDF's),
#    and smsmux refuses a date in the past: we send 2035-12-31 00:00:00.
. "$top_srcdir/tests/clever-http/common.sh"

DOC_RECIPIENTS=0033600000001%2C0033600112233

# --- the document's example ------------------------------------------------------
sim_reset
cl send --provider clever --to 0033600000001,0033600112233 --text test --from clever
assert_eq 0 "$RC" "send_exits_0"
assert_request "send_matches_document_example_request" GET "$API/SendPush/" \
  "$AUTH&text=test&encoding=3&sender=clever&type=sms&duplicates=0&recipients=$DOC_RECIPIENTS"
assert_json '.provider' clever "send_json_names_provider"
ID=$(jqr '.id')
assert_eq 1 "$(printf '%s' "$ID" | grep -c '^Push[0-9]\{14\}$')" \
  "send_json_id_is_the_reference_clever_returned"
assert_json '.encoding' gsm7 "send_json_encoding_gsm7"
assert_json '[.recipients[].to] | join(",")' '+33600000001,+33600112233' \
  "send_json_recipients_in_e164"
assert_json '[.recipients[].status] | unique | join(",")' accepted \
  "send_json_recipients_accepted"
assert_json '.recipients[0].code' 201 "send_json_recipient_raw_code_201"
assert_json 'has("error")' false "send_json_no_error_on_success"
assert_eq "$(req '.headers | has("authorization")')" false \
  "send_sends_no_authorization_header"

# the simulator answers the document's example answer, reference aside
DOC_ANSWER='request_status=201&reference=»REF»&nb_destination=2&encodage=3&hd_send=&type_push=»sms»&units=14&nb_sms=1&duplicates=0'
GOT=$(raw /SendPush/ "$AUTH&text=test&encoding=3&sender=clever&type=sms&duplicates=0&recipients=0033600000001,0033600112233" |
  sed 's/»Push[0-9]\{14\}»/»REF»/')
assert_eq "$DOC_ANSWER" "$GOT" "simulator_answers_the_document_send_push_example"

# --- encoding 3 or 4 from the text ------------------------------------------------
sim_reset
cl send --provider clever --to +33600000002 --text 'Tarif: 5€ réglé'
assert_eq 0 "$RC" "gsm7_accented_send_exits_0"
assert_json '.encoding' gsm7 "gsm7_accented_text_is_gsm7"
assert_request "gsm7_text_is_encoding_3_in_utf8" GET "$API/SendPush/" \
  "$AUTH&text=Tarif%3A+5%E2%82%AC+r%C3%A9gl%C3%A9&encoding=3&type=sms&duplicates=0&recipients=0033600000002"
sim_reset
cl send --provider clever --to +33600000002 --text 'Ça coûte ☺'
assert_eq 0 "$RC" "ucs2_send_exits_0"
assert_json '.encoding' ucs2 "text_outside_gsm7_is_ucs2"
assert_request "ucs2_text_is_encoding_4_in_utf8" GET "$API/SendPush/" \
  "$AUTH&text=%C3%87a+co%C3%BBte+%E2%98%BA&encoding=4&type=sms&duplicates=0&recipients=0033600000002"

# --- hdsend: deferred push ----------------------------------------------------------
sim_reset
cl send --provider clever --to 0033600000001 --text 'Bonne année' --at '2035-12-31 00:00:00'
assert_eq 0 "$RC" "scheduled_send_exits_0"
assert_request "hdsend_is_Y-m-d_H:i:s" GET "$API/SendPush/" \
  "$AUTH&text=Bonne+ann%C3%A9e&encoding=3&hdsend=2035-12-31+00%3A00%3A00&type=sms&duplicates=0&recipients=0033600000001"
assert_json '.recipients[0].status' scheduled "scheduled_send_recipient_scheduled"
assert_eq '2035-12-31 00:00:00' \
  "$(sim_ctl GET "messages?provider=clever-http&login=$LOGIN" | jq -r '.[-1].hdsend')" \
  "scheduled_send_simulator_read_the_date"
sim_reset
cl send --provider clever --to 0033600000001 --text 'x' --at '2017-11-23 17:31:02'
assert_error input 2 "past_send_date_refused"
assert_eq 0 "$(req_count)" "past_send_date_sends_nothing"

# --- type: sms, or tts / vocal for voice ----------------------------------------------
sim_reset
cl send --provider clever --kind voice --to +33600000002 --text 'Bonjour'
assert_eq 0 "$RC" "voice_send_exits_0"
assert_request "voice_default_type_is_tts" GET "$API/SendPush/" \
  "$AUTH&text=Bonjour&encoding=3&type=tts&duplicates=0&recipients=0033600000002"
cl send --provider clever --kind voice --to +33600000002 --text 'Bonjour' --option voice=vocal
assert_eq 0 "$RC" "vocal_send_exits_0"
assert_request "voice_option_vocal_sends_type_vocal" GET "$API/SendPush/" \
  "$AUTH&text=Bonjour&encoding=3&type=vocal&duplicates=0&recipients=0033600000002"
assert_eq vocal "$(sim_ctl GET "messages?provider=clever-http&login=$LOGIN" | jq -r '.[-1].type')" \
  "vocal_push_recorded_as_vocal"
N=$(req_count)
cl send --provider clever --kind voice --to +33600000002 --text 'Bonjour' --option voice=robot
assert_error input 2 "voice_option_outside_tts_vocal_refused"
assert_contains "$(jqr '.error.message')" "voice=robot" "voice_option_error_names_the_value"
assert_eq "$N" "$(req_count)" "bad_voice_option_sends_nothing"
cl send --provider clever --to +33600000002 --text 'Bonjour' --option voice=vocal
assert_request "voice_option_leaves_sms_as_sms" GET "$API/SendPush/" \
  "$AUTH&text=Bonjour&encoding=3&type=sms&duplicates=0&recipients=0033600000002"
write_config vocal.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.clever]
plugin = clever-http
base_url = @SIM@/clever-http
login = demo
password = demo-password
voice = vocal
duplicates = 1
EOF2
run_smsmux --config "$TMP/vocal.ini" --json send --provider clever --kind voice \
  --to +33600000002 --text 'Bonjour'
assert_eq 0 "$RC" "config_defaults_send_exits_0"
assert_request "config_voice_and_duplicates_are_defaults" GET "$API/SendPush/" \
  "login=demo&pwd=demo-password&text=Bonjour&encoding=3&type=vocal&duplicates=1&recipients=0033600000002"
run_smsmux --config "$TMP/vocal.ini" --json send --provider clever --kind voice \
  --to +33600000002 --text 'Bonjour' --option voice=tts --option duplicates=0
assert_request "options_override_config_defaults" GET "$API/SendPush/" \
  "login=demo&pwd=demo-password&text=Bonjour&encoding=3&type=tts&duplicates=0&recipients=0033600000002"
write_config badvoice.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.clever]
plugin = clever-http
base_url = @SIM@/clever-http
login = demo
password = demo-password
voice = robot
EOF2
run_smsmux --config "$TMP/badvoice.ini" --json credit --provider clever
assert_contains "$OUT$ERR" "voice = robot" "config_voice_outside_tts_vocal_refused"

# --- duplicates --------------------------------------------------------------------------
sim_reset
cl send --provider clever --to +33600000002 --text 'Bonjour' --option duplicates=1
assert_request "duplicates_option_1_is_sent" GET "$API/SendPush/" \
  "$AUTH&text=Bonjour&encoding=3&type=sms&duplicates=1&recipients=0033600000002"
N=$(req_count)
cl send --provider clever --to +33600000002 --text 'Bonjour' --option duplicates=yes
assert_error input 2 "duplicates_option_outside_0_1_refused"
assert_eq "$N" "$(req_count)" "bad_duplicates_option_sends_nothing"

# --- sender: up to 11 characters ----------------------------------------------------------
sim_reset
cl send --provider clever --to +33600000002 --text 'Bonjour' --from ABCDEFGHIJK
assert_eq 0 "$RC" "sender_of_11_characters_exits_0"
assert_eq ABCDEFGHIJK "$(req '.query' | sed 's/.*sender=\([^&]*\).*/\1/')" \
  "sender_of_11_characters_sent"
cl send --provider clever --to +33600000002 --text 'Bonjour' --from ABCDEFGHIJKL
assert_eq 2 "$RC" "sender_of_12_characters_refused"
assert_eq 1 "$(req_count)" "sender_of_12_characters_sends_nothing"

# --- 100 recipients and 1000 characters per request -----------------------------------------
sim_reset
TO=$(seq 1 101 | while read -r i; do printf '+3361%07d\n' "$i"; done | paste -sd, -)
cl send --provider clever --to "$TO" --text 'Bonjour'
assert_eq 0 "$RC" "send_to_101_recipients_exits_0"
assert_eq 2 "$(req_count)" "101_recipients_go_in_two_pushes"
assert_eq 100 "$(req '.query' 0 | sed 's/.*recipients=//' | sed 's/%2C/\n/g' | wc -l | tr -d ' ')" \
  "first_push_carries_100_recipients"
assert_eq 1 "$(req '.query' 1 | sed 's/.*recipients=//' | sed 's/%2C/\n/g' | wc -l | tr -d ' ')" \
  "second_push_carries_the_last_recipient"
assert_json '.recipients | length' 101 "send_to_101_reports_every_recipient"
sim_reset
T1000=$(printf '%01000d' 0)
cl send --provider clever --to +33600000002 --text "$T1000"
assert_eq 0 "$RC" "text_of_1000_characters_exits_0"
assert_eq 1000 "$(sim_ctl GET "messages?provider=clever-http&login=$LOGIN" | jq -r '.[-1].text | length')" \
  "text_of_1000_characters_arrives_whole"
cl send --provider clever --to +33600000002 --text "${T1000}1"
assert_eq 2 "$RC" "text_of_1001_characters_refused"
assert_eq 1 "$(req_count)" "text_of_1001_characters_sends_nothing"

# --- what SendPush has no parameter for ------------------------------------------------------
sim_reset
cl send --provider clever --to +33600000002 --text 'Bonjour' --option colour=blue --ref r-1
assert_eq 0 "$RC" "unknown_option_and_ref_exit_0"
assert_request "unknown_option_and_ref_are_not_sent" GET "$API/SendPush/" \
  "$AUTH&text=Bonjour&encoding=3&type=sms&duplicates=0&recipients=0033600000002"
N=$(req_count)
cl send --provider clever --kind mms --to +33600000002 --text 'x' --image http://example.org/a.jpg
assert_eq 2 "$RC" "mms_refused_as_no_candidate"
assert_eq "$N" "$(req_count)" "mms_sends_nothing"

finish
