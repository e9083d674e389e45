#!/bin/sh
# Clever REST conformance: the other campaign functions, `call
# push-criteria` (3.13, POST pushscriterias), `push-broadcast` (3.15, POST
# pushsbroadcasts), `push-info` (3.19, GET pushs/{ref}), `field-list`
# (3.24, GET fieldlist) and `predefined-messages` (3.25, GET
# predefinedmessage).  3.24 and 3.25 are "à venir": the document shows no
# answer, the simulator's is its own invention; the plugin shows any list.
. "$top_srcdir/tests/clever-rest/common.sh"

# --- 3.13 ---------------------------------------------------------------------
sim_reset
op push-criteria 'text=send push criteria test' 'criteria=diffusion=on and BRINGUP=oui' \
  type_push=sms encodage=3 options=F1 duplicates=0
assert_eq 0 "$RC" "push_criteria_exits_0"
assert_request "push_criteria_posts_to_pushscriterias" POST "$API/pushscriterias"
assert_body "push_criteria_matches_the_example_request_of_3.13" '{
    "datas":
    {
      "text": "send push criteria test",
      "criteria": "diffusion=on and BRINGUP=oui",
      "type_push": "sms",
      "encodage": 3,
      "options": "F1",
      "duplicates": 0
    }
  }'
assert_json_headers "push_criteria"
assert_eq "reference,nb_destination,number_list,encodage,text,hd_send,filename,type_push,unit,nb_sms,duplicates" \
  "$(jqr '.records[0] | keys_unsorted | join(",")')" "push_criteria_members_of_3.13"
assert_eq "1|+33600000001|3|noFile|sms|7|1|0" \
  "$(rec '"\(.nb_destination)|\(.number_list)|\(.encodage)|\(.filename)|\(.type_push)|\(.unit)|\(.nb_sms)|\(.duplicates)"')" \
  "push_criteria_example_answer_3.13_read"
assert_eq 51 "$(rec '.reference | length')" "push_criteria_reference_is_long_as_in_3.13"
# encodage ("3 pour le Latin et 4 pour l'UCS2") from the text when not given
op push-criteria 'text=Café crème' 'criteria=city=Torcy'
assert_eq 3 "$(req '.body | fromjson | .datas.encodage')" "push_criteria_latin_text_defaults_to_3"
op push-criteria 'text=Привет' 'criteria=city=Torcy'
assert_eq 4 "$(req '.body | fromjson | .datas.encodage')" "push_criteria_other_text_defaults_to_4"
# every optional parameter, numbers as the document writes them
op push-criteria text=x criteria="city='Torcy' OR diffusion=on" number_list='0612345678,+33698765432' \
  short_code=Clever 'hd_send=2035-06-01 09:00:00' type_push=voice filename=annonce.mp3 \
  options=F1 gsm_routage_mo=0651028452 mail_routage_mo=mo@clever.fr all_number=1 \
  cascade=1 time_cascade=5 duplicates=0
assert_eq 0 "$RC" "push_criteria_all_parameters_exits_0"
assert_body "push_criteria_all_parameters_in_order" '{"datas":{"text":"x",
  "criteria":"city='"'"'Torcy'"'"' OR diffusion=on","type_push":"voice","encodage":3,
  "options":"F1","duplicates":0,"number_list":"+33612345678;+33698765432",
  "short_code":"Clever","hd_send":"2035-06-01 09:00:00","filename":"annonce.mp3",
  "gsm_routage_mo":"+33651028452","mail_routage_mo":"mo@clever.fr","all_number":1,
  "cascade":1,"time_cascade":5}}'
assert_eq 4 "$(sim_ctl GET 'messages?provider=clever-rest' | jq -r '.[-1].recipients | length')" \
  "simulator_criteria_or_and_number_list_recipients"
# a predefined message: "le champ text prendra le titre du message prédéfini"
op push-criteria text=rappel criteria=city=Torcy predefined_message=1
assert_eq 0 "$RC" "push_criteria_predefined_message_exits_0"
assert_eq "Rappel : votre rendez-vous est demain." \
  "$(sim_ctl GET 'messages?provider=clever-rest' | jq -r '.[-1].text')" \
  "simulator_predefined_message_title_gives_its_text"
op push-criteria text=x criteria=nonsense
assert_error invalid 1 "push_criteria_malformed_criteria_400_is_invalid"
N=$(req_count)
op push-criteria text=x criteria=city=Torcy encodage=latin
assert_error input 2 "push_criteria_encodage_must_be_a_number"
assert_eq "$N" "$(req_count)" "push_criteria_refused_sends_nothing"

# --- 3.15 ---------------------------------------------------------------------
# gsm_routage_mo "+336000000012" has one digit too many for a French mobile:
# smsmux cannot normalise it and sends it as written.
sim_reset
op push-broadcast 'text=send push all contacts test' type_push=sms encodage=3 options=F1 \
  gsm_routage_mo=+336000000012 mail_routage_mo=test@clever.fr duplicates=0
assert_eq 0 "$RC" "push_broadcast_exits_0"
assert_request "push_broadcast_posts_to_pushsbroadcasts" POST "$API/pushsbroadcasts"
assert_body "push_broadcast_matches_the_example_request_of_3.15" '{
    "datas":
    {
      "text": "send push all contacts test",
      "type_push": "sms",
      "encodage": 3,
      "options": "F1",
      "gsm_routage_mo": "+336000000012",
      "mail_routage_mo": "test@clever.fr",
      "duplicates": 0
    }
  }'
assert_eq "id,reference,nb_destination,number_list,encodage,text,date_entry,hd_send,type_push,unit,nb_sms,options,way,duplicates,mail_routage_mo,gsm_routage_mo" \
  "$(jqr '.records[0] | keys_unsorted | join(",")')" "push_broadcast_members_of_3.15"
assert_eq "0|+33771100899;+33600000001|14|1|0|+336000000012" \
  "$(rec '"\(.nb_destination)|\(.number_list)|\(.unit)|\(.way)|\(.duplicates)|\(.gsm_routage_mo)"')" \
  "push_broadcast_example_answer_3.15_read_quirks_included"
assert_contains "$(rec .hd_send)" "T" "push_broadcast_dates_in_the_iso_form_of_3.15"

# --- 3.19 ---------------------------------------------------------------------
sim_reset
cr send --provider clever --kind voice --to +33600000001 --text 'test envoi du message'
REF=$(jqr .id)
op push-info "referencePush=$REF"
assert_eq 0 "$RC" "push_info_exits_0"
assert_request "push_info_matches_3.19" GET "$API/pushs/$REF"
assert_eq "" "$(req .body)" "push_info_request_has_no_body"
assert_eq "reference,nb_destination,number_list,status,short_code,encodage,text,hd_send,type_push,unit,nb_sms,options" \
  "$(jqr '.records[0] | keys_unsorted | join(",")')" "push_info_members_of_3.19"
assert_eq "$REF|1|+33600000001|1||3|test envoi du message|tts|9|1|F1" \
  "$(rec '"\(.reference)|\(.nb_destination)|\(.number_list)|\(.status)|\(.short_code)|\(.encodage)|\(.text)|\(.type_push)|\(.unit)|\(.nb_sms)|\(.options)"')" \
  "push_info_example_answer_3.19_read"
advance
op push-info "referencePush=$REF"
assert_eq 2 "$(rec .status)" "push_info_status_2_after_processing"
op push-info referencePush=
assert_error input 2 "push_info_needs_a_reference"

# --- 3.24, 3.25 -----------------------------------------------------------------
op field-list
assert_eq 0 "$RC" "field_list_exits_0"
assert_request "field_list_matches_3.24" GET "$API/fieldlist"
assert_json '[.records[].name] | join(",")' "diffusion,BRINGUP" "field_list_one_record_per_field"
op predefined-messages
assert_eq 0 "$RC" "predefined_messages_exits_0"
assert_request "predefined_messages_matches_3.25" GET "$API/predefinedmessage"
assert_json '.records[0].title + ": " + .records[0].text' \
  "rappel: Rappel : votre rendez-vous est demain." "predefined_messages_one_record_each"

finish
