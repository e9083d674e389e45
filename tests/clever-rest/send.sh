#!/bin/sh
# Clever REST conformance: `smsmux send` is "3.11 Effectuer une campagne de
# messages (Push)", POST pushs with {"datas": {...}}: the example request
# of the document, and each parameter of its table (encodage, short_code,
# hd_send, type_push sms/tts/voice with filename, options F0/F1,
# duplicates).
#
# The typed example of 3.11 is not JSON ("datas": { { ... } }) and its
# text differs from the screenshot's; the screenshot's body is valid, so
# that one is reproduced byte for byte (compact: smsmux writes no spaces).
. "$top_srcdir/tests/clever-rest/common.sh"

# --- the example of 3.11 -------------------------------------------------
sim_reset
cr send --provider clever --to +33600000001,+33600000002 --text 'test envoi du message'
assert_eq 0 "$RC" "send_exits_0"
assert_request "send_posts_to_pushs" POST "$API/pushs"
assert_body "send_matches_the_example_request_of_3.11" '{
    "datas": {
      "text": "test envoi du message",
      "number_list": "+33600000001;+33600000002",
      "type_push": "sms",
      "encodage": 3,
      "options": "F1",
      "duplicates": 0
    }
  }'
assert_json_headers "send"
REF=$(sim_ctl GET "messages?provider=clever-rest" | jq -r '.[0].reference')
assert_json '.id' "$REF" "send_id_is_the_push_reference_of_the_answer"
assert_contains "$REF" "Push" "push_reference_looks_like_the_example"
assert_json '[.recipients[] | "\(.to) \(.status) \(.code)"] | join(",")' \
  "+33600000001 accepted 201,+33600000002 accepted 201" \
  "send_recipients_accepted_with_201_created"

# the simulator's answer has the members of the example answer of 3.11
ANSWER=$(sim_curl POST pushs -d '{"datas":{"text":"test envoi du message","number_list":"+33600000001;+33600000002","type_push":"sms","encodage":3,"options":"F1","duplicates":0}}')
assert_eq "reference,nb_destination,number_list,encodage,text,hd_send,filename,type_push,unit,nb_sms,duplicates" \
  "$(printf '%s' "$ANSWER" | jq -r '.push | keys_unsorted | join(",")')" \
  "simulator_answer_has_the_members_of_the_example_answer"
assert_eq "2 +33600000001;+33600000002 noFile 14 1" \
  "$(printf '%s' "$ANSWER" | jq -r '.push | "\(.nb_destination) \(.number_list) \(.filename) \(.unit) \(.nb_sms)"')" \
  "simulator_answer_values_as_in_the_example"

# --- encodage: "3 pour le Latin et 4 pour l'UCS2" --------------------------
sim_reset
cr send --provider clever --to +33600000001 --text 'Привет'
assert_eq 0 "$RC" "send_unicode_exits_0"
assert_eq 4 "$(req '.body | fromjson | .datas.encodage')" "send_unicode_text_is_encodage_4"
assert_eq 'Привет' "$(req '.body | fromjson | .datas.text')" "send_unicode_text_goes_as_utf8_json"
cr send --provider clever --to +33600000001 --text 'Café à 10€'
assert_eq 3 "$(req '.body | fromjson | .datas.encodage')" "send_gsm_text_with_accents_is_encodage_3"

# --- short_code, hd_send ------------------------------------------------
sim_reset
cr send --provider clever --to 0600000001 --text 'Rendez-vous' --from Clever \
  --at '2035-06-01 09:00:00'
assert_eq 0 "$RC" "send_scheduled_exits_0"
assert_body "send_sender_and_date_go_as_short_code_and_hd_send" '{"datas":{
  "text":"Rendez-vous","number_list":"+33600000001","type_push":"sms","encodage":3,
  "options":"F1","duplicates":0,"short_code":"Clever","hd_send":"2035-06-01 09:00:00"}}'
assert_json '.recipients[0].status' scheduled "send_with_date_is_scheduled"

# --- options: flash (F0), duplicates --------------------------------------
sim_reset
cr send --provider clever --to +33600000001 --text 'Flash' --option flash=1 \
  --option duplicates=1
assert_eq 0 "$RC" "send_flash_exits_0"
assert_eq "F0 1" "$(req '.body | fromjson | "\(.datas.options) \(.datas.duplicates)"')" \
  "send_flash_is_options_F0_and_duplicates_1"
cr send --provider clever --to +33600000001 --text 'Normal' --option flash=no
assert_eq F1 "$(req '.body | fromjson | .datas.options')" "send_flash_no_is_options_F1"

# --- voice: tts, or voice with a sound file ------------------------------
sim_reset
cr send --provider clever --kind voice --to +33600000001 --text 'test envoi du message'
assert_eq 0 "$RC" "send_voice_exits_0"
assert_body "send_voice_is_type_push_tts" '{"datas":{"text":"test envoi du message",
  "number_list":"+33600000001","type_push":"tts","encodage":3,"options":"F1","duplicates":0}}'
cr send --provider clever --kind voice --to +33600000001 --text 'Annonce' \
  --option filename=annonce.wav
assert_eq 0 "$RC" "send_voice_file_exits_0"
assert_eq "voice annonce.wav" \
  "$(req '.body | fromjson | "\(.datas.type_push) \(.datas.filename)"')" \
  "send_voice_with_filename_is_type_push_voice"
assert_eq "9" "$(sim_ctl GET 'messages?provider=clever-rest' | jq -r '.[-1].unit')" \
  "voice_campaign_costs_9_units_as_in_3.19"

# --- refused before sending ------------------------------------------------
sim_reset
for bad in "flash=maybe" "duplicates=2"; do
  cr send --provider clever --to +33600000001 --text x --option "$bad"
  assert_error input 2 "send_option_${bad%%=*}_bad_value_is_an_input_error"
done
cr send --provider clever --kind voice --to +33600000001 --text x --option filename=annonce.txt
assert_error input 2 "send_voice_filename_must_be_wav_or_mp3"
cr send --provider clever --kind voice --to +33600000001 --text x --option 'filename=a?b.wav'
assert_error input 2 "send_voice_filename_forbidden_character_refused"
cr send --provider clever --to +33600000001 --text x --option filename=annonce.wav
assert_error invalid 1 "send_filename_without_kind_voice_refused"
cr send --provider clever --kind voice --to +33600000001 --text x --option flash=1
assert_error invalid 1 "send_flash_voice_refused"
assert_eq 0 "$(req_count)" "send_refused_options_send_nothing"
cr send --provider clever --to +33600000001 --text x --option colour=blue
assert_eq 0 "$RC" "send_unknown_option_is_ignored"
cr send --provider clever --to +33600000001 --text "$(printf '%01001d' 0)"
assert_error input 2 "send_text_over_1000_characters_refused"
cr send --provider clever --to +33600000001 --text x --from ABCDEFGHIJKL
assert_error input 2 "send_sender_over_11_characters_refused"
assert_eq 1 "$(req_count)" "send_refused_input_sends_nothing"

finish
