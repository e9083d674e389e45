#!/bin/sh
# Mediasflow conformance: the descriptor, and the provider operations of
# `smsmux call` against the guide's examples: campaign-send (2.1.2 request;
# 2.1.3.1 answer), campaign-inject (2.1.3.2), blacklist-add (2.7.1),
# blacklist-list (2.8), list-upload (2.9, answer 2.9.1), and the CSV /
# key=value personalisation of listRecipient (extendedKeys).
#
# This file must create the simulator's first campaign (id 943) and first
# list (id 392): the ids of the guide's example answers.
. "$top_srcdir/tests/mediasflow/common.sh"

op() { mf call --provider mf "$@"; }
# the answer Mediasflow gave to the last request of the last command, as
# the --verbose trace shows it: what the plugin's records must render
answered() { printf '%s\n' "$ERR" | sed -n 's/^smsmux: mf: < \({.*}\)$/\1/p' | tail -n 1; }
# jq filter: an answer member as the plugin renders it in a record
RENDER='if type == "null" then ""
  elif type == "array" and all(.[]; type != "object" and type != "array")
  then map(tostring) | join(",")
  elif type == "object" or type == "array" then tojson else tostring end'
inject_count() { sim_requests mediasflow | jq '[.[] | select(.path | endswith("/campaigns/inject"))] | length'; }

# --- 2.1.3: prepared campaign (startNow FALSE), the example answer 2.1.3.1 ----
sim_reset
mf --verbose call --provider mf campaign-send mobile=0632545311 \
  msg='Ceci est un test d'"'"'envoi SMS pour ${PRENOM}' startNow=false
ANSWER=$(answered)
assert_eq 0 "$RC" "campaign_send_prepared_exits_0"
assert_body "campaign_send_prepared_request" \
  '{"listRecipient":[{"mobile":"0632545311"}],"msg":"Ceci est un test d'"'"'envoi SMS pour ${PRENOM}","startNow":false}'
# The plugin's records against the answer it received (from the trace),
# member for member; the simulator's answer against the guide's 2.1.3.1
# (its dates, campaign name and pathToCampaign depend on the moment:
# compared by shape below).
cat >"$TMP/answer-2.1.3.1.json" <<'EOF2'
{"userOwnerID": "5e1f4f4e7e9b504fcfd49eb2", "customerID": "5e1f1fa1392b6a759299b09a",
 "id": 943, "sendToSelect": "SMS", "typeSelect": "MKG",
 "campaignName": "2021-06-16 18:29 campaign API",
 "listInCampaign": {"_id": 0, "type": "VIRTUAL", "globalInvalidLine": 0,
   "validNumberMOBILE": 0, "validNumberEMAIL": 0, "invalidNumberEMAIL": 0,
   "invalidNumberMOBILE": 0, "size": 0, "maxSizeDataLine": 0,
   "recipients": [{"mobile": "0632545311", "groupID": 0, "id": 0}],
   "listsItems": [], "lineDuplicateMobile": [], "countDuplicateMobile": 0,
   "lineDuplicateEmail": [], "countDuplicateEmail": 0, "charsetDetected": "",
   "campainId": 0},
 "countRecipient": 1, "countInvalidRecipient": 0, "countInBlackListRecipient": 0,
 "countDuplicateRecipient": 0, "renderer": "BASIC",
 "creationDate": "Jun 16, 2021 6:29:07 PM", "sender": "36184", "status": "DRAFT",
 "shortCode": "36184", "message": "Ceci est un test d'envoi SMS pour ${PRENOM}",
 "pathToCampaign": "af/03/", "checkDuplicate": true, "allowUCS2": false,
 "autoREPLACEEMOJI": false, "autoREPLACETOGSM7": true, "defaultForHeader": {},
 "creditCount": 1.0, "creditAfterInjection": 0.0, "globalCounter": 0,
 "countValid": 1, "countPosted": 0, "countDuplicate": 0, "countNotAllow": 0,
 "countNotValid": 0, "countErrorRendering": 0, "countMaxCrediteOver": 0,
 "countMaxCreditFound": 1, "updateDate": "Jun 16, 2021 6:29:07 PM",
 "scheduled": false, "isInScheduler": false, "tinyList": [], "countBlackList": 0,
 "countBlackListMEDIASFLOW": 0, "countBlackListCUSTOMER": 0, "countBlackListBRAND": 0}
EOF2
GUIDE=$(cat "$TMP/answer-2.1.3.1.json")
assert_eq object "$(jqr type "$ANSWER")" "prepared_answer_is_in_the_trace"
assert_json '.records[0] | keys_unsorted | join(",")' \
  "$(jqr 'keys_unsorted | join(",")' "$ANSWER")" "prepared_answer_members_kept_in_the_answers_order"
assert_eq "$(jqr 'keys_unsorted | join(",")' "$GUIDE")" "$(jqr 'keys_unsorted | join(",")' "$ANSWER")" \
  "simulator_prepared_answer_has_the_guide_members_in_order"
for k in userOwnerID customerID id sendToSelect typeSelect countRecipient \
         countInvalidRecipient countInBlackListRecipient countDuplicateRecipient \
         renderer sender status shortCode message checkDuplicate allowUCS2 \
         autoREPLACEEMOJI autoREPLACETOGSM7 globalCounter countValid \
         countPosted countDuplicate countNotAllow countNotValid countErrorRendering \
         countMaxCrediteOver countMaxCreditFound scheduled isInScheduler countBlackList \
         countBlackListMEDIASFLOW countBlackListCUSTOMER countBlackListBRAND; do
  assert_json ".records[0].$k" "$(jqr ".$k | $RENDER" "$ANSWER")" "prepared_answer_${k}_as_answered"
  assert_eq "$(jqr ".$k" "$GUIDE")" "$(jqr ".$k" "$ANSWER")" "simulator_prepared_answer_${k}_as_in_the_guide"
done
assert_json '.records[0].listInCampaign | fromjson | tojson' \
  "$(jqr '.listInCampaign | tojson' "$ANSWER")" "prepared_answer_listInCampaign_as_answered"
assert_eq "$(jqr '.listInCampaign | tojson' "$GUIDE")" "$(jqr '.listInCampaign | tojson' "$ANSWER")" \
  "simulator_prepared_answer_listInCampaign_as_in_the_guide"
# jq would print the guide's 1.0 as 1: the text itself
assert_json '.records[0].creditCount' '1.0' "prepared_answer_creditCount_as_in_the_guide"
assert_json '.records[0].defaultForHeader' '{}' "prepared_answer_defaultForHeader_empty_object"
assert_json '.records[0].tinyList' '' "prepared_answer_tinyList_empty"
assert_json '.records[0].creationDate | test("^[A-Z][a-z]{2} [0-9]{1,2}, [0-9]{4} [0-9]{1,2}:[0-9]{2}:[0-9]{2} [AP]M$")' \
  true "prepared_answer_creationDate_in_the_guide_format"
assert_json '.records[0].campaignName | test("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} campaign API$")' \
  true "prepared_answer_default_campaignName_as_in_the_guide"
assert_json '.records[0].pathToCampaign | test("^[0-9a-f]{2}/[0-9a-f]{2}/$")' \
  true "prepared_answer_pathToCampaign_shape"

# --- 2.1.3.2: inject it by campaignId --------------------------------------------
op campaign-inject campaignId=943
assert_eq 0 "$RC" "campaign_inject_exits_0"
assert_request "campaign_inject_posts_campaigns_inject" POST "$API/campaigns/inject" ""
assert_eq '{"campaignId":943,"startNow":true}' "$(req '.body')" \
  "campaign_inject_matches_guide_example_request"
assert_json '.records[0].id + " " + .records[0].status' "943 INJECTED" "campaign_inject_answer_injected"
op campaign-inject campaignId=943
assert_error invalid 1 "campaign_inject_twice_is_invalid"
assert_eq "HTTP 409" "$(jqr '.error.code')" "campaign_inject_twice_is_409"
op campaign-inject campaignId=94x
assert_error invalid 1 "campaign_inject_bad_id_is_invalid"

# --- 2.1.2: request with parameters, listRecipient + extendedKeys + tinyList --
sim_reset
sim_mf_ctl POST account "login=demo&max_sms=6" >/dev/null
MSG='Votre colis ${NOM_DU_CHAMP_DE_MA_LISTE_1} est disponible dans votre point relais ${NOM_DU_CHAMP_DE_MA_LISTE_2} à partir de ${NOM_DU_CHAMP_DE_MA_LISTE_3}. Votre ref ${NOM_DU_CHAMP_DE_MA_LISTE_4}${NOM_DU_CHAMP_DE_MA_LISTE_5}. Pas le temps de le récupérer ? Recevez votre colis sur RDV des aujourd'"'"'hui en cliquant sur le lien ${track_1}'
KEYS='REF=Ma reference&NOM_DU_CHAMP_DE_MA_LISTE_1=VEEPEE&NOM_DU_CHAMP_DE_MA_LISTE_2=PROXI LEBON&NOM_DU_CHAMP_DE_MA_LISTE_3=10h00&NOM_DU_CHAMP_DE_MA_LISTE_4=BTZ&NOM_DU_CHAMP_DE_MA_LISTE_5=14554432'
TINY='[{"associateToDomain": "1mf.eu", "decription": "Description", "host": "1mf.eu", "imageName": "og_image.png", "index": 0, "isOG": false, "label": "Title", "listParameter": ["ref=${NOM_DU_CHAMP_DE_MA_LISTE_5}"], "type": "REDIRECT", "urlToRedirect": "http://www.monurl.com/?ref=${NOM_DU_CHAMP_DE_MA_LISTE_5}"}]'
# the example's own sender breaks the guide's rule (underscores, 15
# characters): refused before sending
op campaign-send mobile=0632545311 keys="$KEYS" msg="$MSG" startNow=true \
  sender=Emetteur_du_SMS typeSelect=NOTIFICATION tinyList="$TINY"
assert_error input 2 "guide_example_sender_is_refused"
assert_contains "$(jqr '.error.message')" "3 to 11" "guide_example_sender_names_the_rule"
assert_eq 0 "$(req_count)" "guide_example_sender_sends_nothing"
# with a sender that follows the rule: the example's request, its "msq"
# read as the table's "msg", its PDF line breaks as spaces
op campaign-send mobile=0632545311 keys="$KEYS" msg="$MSG" startNow=true \
  sender=Emetteur typeSelect=NOTIFICATION tinyList="$TINY"
assert_eq 0 "$RC" "guide_example_2_1_2_exits_0"
assert_eq "listRecipient,msg,startNow,sender,typeSelect,tinyList" \
  "$(req '.body | fromjson | keys_unsorted | join(",")')" "guide_example_2_1_2_member_order"
assert_body "guide_example_2_1_2_request" "$(jq -n --arg msg "$MSG" --argjson tiny "$TINY" '{
  listRecipient: [{mobile: "0632545311", extendedKeys: [
    {keyName: "REF", keyValue: "Ma reference"},
    {keyName: "NOM_DU_CHAMP_DE_MA_LISTE_1", keyValue: "VEEPEE"},
    {keyName: "NOM_DU_CHAMP_DE_MA_LISTE_2", keyValue: "PROXI LEBON"},
    {keyName: "NOM_DU_CHAMP_DE_MA_LISTE_3", keyValue: "10h00"},
    {keyName: "NOM_DU_CHAMP_DE_MA_LISTE_4", keyValue: "BTZ"},
    {keyName: "NOM_DU_CHAMP_DE_MA_LISTE_5", keyValue: "14554432"}]}],
  msg: $msg, startNow: true, sender: "Emetteur", typeSelect: "NOTIFICATION",
  tinyList: $tiny}')"
ID=$(jqr '.records[0].id')
assert_eq "Votre colis VEEPEE est disponible dans votre point relais PROXI LEBON à partir de 10h00. Votre ref BTZ14554432. Pas le temps de le récupérer ? Recevez votre colis sur RDV des aujourd'hui en cliquant sur le lien https://1mf.eu/${ID}01" \
  "$(sim_mf_ctl GET messages | jq -r '.[-1].recipients_state[0].text')" \
  "guide_example_2_1_2_personalised_text"

# --- listRecipient from a CSV file -------------------------------------------
sim_reset
printf 'mobile;PRENOM;NOM\r\n0632545311;Jean;Dupont\r\n+33632545312;"Marie; Anne";"Le ""Grand"""\r\n' >"$TMP/dest.csv"
op campaign-send file="$TMP/dest.csv" msg='Bonjour ${PRENOM} ${NOM}'
assert_eq 0 "$RC" "campaign_send_csv_exits_0"
assert_body "campaign_send_csv_columns_become_extendedKeys" \
  '{"listRecipient":[{"mobile":"0632545311","extendedKeys":[{"keyName":"PRENOM","keyValue":"Jean"},{"keyName":"NOM","keyValue":"Dupont"}]},{"mobile":"0632545312","extendedKeys":[{"keyName":"PRENOM","keyValue":"Marie; Anne"},{"keyName":"NOM","keyValue":"Le \"Grand\""}]}],"msg":"Bonjour ${PRENOM} ${NOM}","startNow":true}'
assert_eq 'Bonjour Marie; Anne Le "Grand"' \
  "$(sim_mf_ctl GET messages | jq -r '.[-1].recipients_state[1].text')" "campaign_send_csv_personalises"
# a spreadsheet's Windows-1252 file, "," separated, GSM column name
printf 'Prenom,GSM\nChlo\351,0632545313\n' >"$TMP/dest1252.csv"
op campaign-send file="$TMP/dest1252.csv" msg='Bonjour ${Prenom}'
assert_body "campaign_send_windows_1252_csv_is_sent_as_utf8" \
  '{"listRecipient":[{"mobile":"0632545313","extendedKeys":[{"keyName":"Prenom","keyValue":"Chloé"}]}],"msg":"Bonjour ${Prenom}","startNow":true}'
N=$(req_count)
printf 'mobile;PRENOM\n0632545311;Jean\n12;Paul\n' >"$TMP/bad.csv"
op campaign-send file="$TMP/bad.csv" msg=x
assert_error input 2 "campaign_send_csv_bad_number_is_input"
assert_contains "$(jqr '.error.message')" "line 3" "campaign_send_csv_bad_number_names_the_line"
printf 'nom;telephone\nJean;0632545311\n' >"$TMP/nocol.csv"
op campaign-send file="$TMP/nocol.csv" msg=x
assert_error input 2 "campaign_send_csv_without_number_column_is_input"
op campaign-send file="$TMP/missing.csv" msg=x
assert_error invalid 1 "campaign_send_missing_file_is_invalid"
assert_eq "$N" "$(req_count)" "campaign_send_bad_files_send_nothing"

# --- listRecipient from key=value -----------------------------------------------
sim_reset
op campaign-send mobile=0632545311,0632545312 keys='PRENOM="Jean, Paul"&VILLE=Paris' \
  msg='Bonjour ${PRENOM} (${VILLE}) ${Title}' defaultForHeader='Title=Mr/Mme&Ville=Paris' \
  checkDuplicate=false billingCode=B12 campaignName=Essai renderer=BASIC allowUCS2=false \
  autoREPLACETOGSM7=true autoREPLACEEMOJI=false brand=Boutique userOwnerID=5e1f4f4e7e9b504fcfd49eb2
assert_eq 0 "$RC" "campaign_send_keys_exits_0"
assert_body "campaign_send_keys_and_options" \
  '{"listRecipient":[{"mobile":"0632545311","extendedKeys":[{"keyName":"PRENOM","keyValue":"Jean, Paul"},{"keyName":"VILLE","keyValue":"Paris"}]},{"mobile":"0632545312","extendedKeys":[{"keyName":"PRENOM","keyValue":"Jean, Paul"},{"keyName":"VILLE","keyValue":"Paris"}]}],"msg":"Bonjour ${PRENOM} (${VILLE}) ${Title}","startNow":true,"campaignName":"Essai","renderer":"BASIC","defaultForHeader":{"Title":"Mr/Mme","Ville":"Paris"},"allowUCS2":false,"autoREPLACEEMOJI":false,"autoREPLACETOGSM7":true,"checkDuplicate":false,"billingCode":"B12","brand":"Boutique","userOwnerID":"5e1f4f4e7e9b504fcfd49eb2"}'
assert_eq 'Bonjour Jean, Paul (Paris) Mr/Mme' \
  "$(sim_mf_ctl GET messages | jq -r '.[-1].recipients_state[0].text')" "defaultForHeader_fills_missing_fields"
AT=$(date -u -d '+20 minutes' '+%Y-%m-%dT%H:%M:%SZ')
op campaign-send mobile=0632545311 msg=x scheduleOn="$AT"
assert_eq "$AT" "$(req '.body | fromjson | .scheduleOn')" "campaign_send_scheduleOn_as_given"
assert_json '.records[0].status' SCHEDULED "campaign_send_scheduled"
N=$(req_count)
op campaign-send mobile=0632545311 msg=x scheduleOn="$(date -u -d '+1 minute' '+%Y-%m-%dT%H:%M:%SZ')"
assert_error input 2 "campaign_send_scheduleOn_too_close_is_input"
op campaign-send mobile=0632545311 msg=x scheduleOn='2021-06-24 09:30'
assert_error input 2 "campaign_send_scheduleOn_bad_format_is_input"
op campaign-send mobile=0632545311 msg=x sender=0612345678
assert_error input 2 "campaign_send_digits_sender_is_input"
op campaign-send msg=x
assert_error invalid 1 "campaign_send_without_recipients_is_invalid"
op campaign-send mobile=0632545311 file="$TMP/dest.csv" msg=x
assert_error invalid 1 "campaign_send_file_and_mobile_is_invalid"
op campaign-send mobile=0632545311 msg=x typeSelect=SMS
assert_error input 2 "campaign_send_bad_typeSelect_is_an_input_error"
# smsmux checks parameter names against the descriptor before the plugin
op campaign-send mobile=0632545311 msg=x sendr=Boutique
assert_error input 2 "campaign_send_unknown_parameter_is_refused"
assert_contains "$(jqr '.error.message')" "sendr" "campaign_send_unknown_parameter_named"
op campaign-send mobile=0632545311
assert_error input 2 "campaign_send_without_msg_is_refused"
op campaign-send mobile=06325 msg=x
assert_error input 2 "campaign_send_bad_mobile_is_input"
assert_eq "$N" "$(req_count)" "campaign_send_refusals_send_nothing"

# --- 2.7.1: blacklist ------------------------------------------------------------
sim_reset
op blacklist-add item=+33685812475 typeItem=MOBILE createdDescription=' plainte en magasin le 22 juin 2021'
assert_eq 0 "$RC" "blacklist_add_exits_0"
assert_request "blacklist_add_posts_blacklist" POST "$API/blacklist" ""
# byte for byte, the leading space of the example's description kept
assert_eq '{"item":"+33685812475","typeItem":"MOBILE","createdDescription":" plainte en magasin le 22 juin 2021"}' \
  "$(req '.body')" "blacklist_add_matches_guide_example_request"
assert_json '.records[0].item + " " + .records[0].typeItem' "+33685812475 MOBILE" "blacklist_add_answer"
op blacklist-add item=0685812476
assert_eq '{"item":"+33685812476","typeItem":"MOBILE"}' "$(req '.body')" \
  "blacklist_add_normalises_and_defaults_to_MOBILE"
op blacklist-add item=client@example.org typeItem=EMAIL brand=Boutique
assert_eq '{"item":"client@example.org","typeItem":"EMAIL","brand":"Boutique"}' "$(req '.body')" \
  "blacklist_add_email_with_brand"
N=$(req_count)
op blacklist-add item=+33685812475 typeItem=FAX
assert_error invalid 1 "blacklist_add_bad_typeItem_is_invalid"
op blacklist-add item=pas-un-numero
assert_error input 2 "blacklist_add_bad_number_is_input"
assert_eq "$N" "$(req_count)" "blacklist_add_refusals_send_nothing"
op blacklist-list
assert_eq 0 "$RC" "blacklist_list_exits_0"
assert_request "blacklist_list_gets_blacklist" GET "$API/blacklist" ""
assert_json '[.records[].item] | join(",")' "+33685812475,+33685812476,client@example.org" \
  "blacklist_list_records"
assert_json '.records[0].createdDescription' " plainte en magasin le 22 juin 2021" \
  "blacklist_list_keeps_the_description"

# --- 2.9: list upload, the example answer 2.9.1 -----------------------------------
# A list whose statistics are those of the guide's answer: same columns,
# 11 lines, line 10 without a number, line 11 repeating line 1's number,
# Windows-1252 ("charsetDetected": "WINDOWS-1252").
cat >"$TMP/liste_demo.utf8" <<'EOF2'
Civilité;Prénom;Nom;Adresse;CP;Ville;Prix;SMS
Mme;Jacqueline;Roy;3 rue du Port;75017;Paris;17 €;tel:0624170068
Mr;Pierre;Gaillard;14 rue Voltaire;69003;Nantes;25 €;612345678
Mme;Sophie;Martin;12 Avenue des Antiquaires;59000;Lille;5 €;33612345679
Mr;Thierry;Durand;8 rue des Lilas;44000;Brest;9€;+33612345680
;Isabelle;Dubois;22 rue de la Gare;35000;Rennes;;0033612345681
Mr;Claire;Moreau;5 boulevard Carnot;80000;Amiens;8 €;06 24 17 00 69
Mme;Sandrine;Girard;3 avenue Victor Hugo;76000;Rouen;10 €;612345682
Mr;Nicolas;Bonnet;40 rue de la Liberté;21000;Dijon;12 €;612345683
Mme;Hélène;Petit;6 impasse des Mimosas;45000;Orléans;7 €;tel:0611223344
Mr;Marion;Lefèvre;101 boulevard Gambetta;29200;Boulogne-Billancourt;30 €;
Mr;Frédéric;Mercier;45 avenue des Tilleuls;54000;Nancy;12€;624170068
EOF2
iconv -f UTF-8 -t WINDOWS-1252 "$TMP/liste_demo.utf8" >"$TMP/liste_demo.csv"
write_config lists.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.mf]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
login = lists
password = lists-password
EOF2
run_smsmux --config "$TMP/lists.ini" --json --verbose call --provider mf list-upload \
  file="$TMP/liste_demo.csv" filename=liste_demo
assert_eq 0 "$RC" "list_upload_exits_0"
ANSWER=$(answered)
assert_request "list_upload_posts_lists_upload" POST "$API/lists/upload" ""
assert_contains "$(req '.content_type')" "multipart/form-data; boundary=" "list_upload_is_multipart"
BODY=$(req '.body')
assert_contains "$BODY" 'Content-Disposition: form-data; name="filename"' "list_upload_has_a_filename_part"
assert_contains "$BODY" 'Content-Disposition: form-data; name="File"; filename="liste_demo.csv"' \
  "list_upload_has_the_File_part"
assert_contains "$BODY" 'Content-Type: text/csv' "list_upload_file_is_text_csv"
assert_eq "$(od -An -tx1 "$TMP/liste_demo.csv" | tr -d ' \n')" \
  "$(req '.body_hex' | grep -o "$(od -An -tx1 "$TMP/liste_demo.csv" | tr -d ' \n')")" \
  "list_upload_sends_the_file_bytes_unchanged"
cat >"$TMP/answer-2.9.1.json" <<'EOF2'
{"campainId": 0, "charsetDetected": "WINDOWS-1252",
 "computedHeaderSize": {"Prénom": {"6": 5, "7": 2, "8": 3, "10": 1},
   "Adresse": {"13": 1, "15": 2, "17": 1, "18": 1, "20": 2, "21": 1, "22": 2, "25": 1},
   "Prix": {"0": 1, "2": 1, "3": 4, "4": 5}, "Civilité": {"0": 1, "2": 6, "3": 4},
   "SMS": {"0": 1, "9": 4, "11": 1, "12": 1, "13": 1, "14": 3},
   "Nom": {"3": 1, "5": 1, "6": 6, "7": 2, "8": 1}, "CP": {"5": 11},
   "Ville": {"5": 6, "6": 3, "7": 1, "20": 1}},
 "countDuplicateEmail": 0, "countDuplicateMobile": 1,
 "creationDate": "2021-06-25T08:46:45.937Z[UTC]", "customerID": "5e1f1fa1392b6a759299b09a",
 "description": "liste_demo", "emptyKeys": ["Prix", "Civilité"],
 "filePath": "/mnt/mediasflow/shared/5e1f1fa1392b6a759299b09a/6009b630d86ae22270c0f3d6/lists//EdKzVweeYahfCiqt.tmp.csv",
 "globalInvalidLine": 0,
 "header": ["Civilité", "Prénom", "Nom", "Adresse", "CP", "Ville", "Prix", "SMS"],
 "id": 392, "invalidCountryCounter": {}, "invalidLineList": [10],
 "invalidNumberEMAIL": 0, "invalidNumberMOBILE": 1, "lineDuplicateEmail": [],
 "lineDuplicateMobile": ["11"], "listName": "liste_demo",
 "maxDatasMap": {"Prénom": "Jacqueline", "Adresse": "12 Avenue des Antiquaires", "Prix": "17 €",
   "Civilité": "Mme", "SMS": "tel:0624170068", "Nom": "Gaillard", "CP": "75017",
   "Ville": "Boulogne-Billancourt"},
 "maxSizeDataLine": 66, "size": 11, "type": "CSV", "userOwnerID": "6009b630d86ae22270c0f3d6",
 "validCountryCounter": {"FR": 10}, "validNumberEMAIL": 0, "validNumberMOBILE": 10}
EOF2
GUIDE=$(cat "$TMP/answer-2.9.1.json")
assert_eq object "$(jqr type "$ANSWER")" "list_upload_answer_is_in_the_trace"
assert_json '.records[0] | keys_unsorted | join(",")' \
  "$(jqr 'keys_unsorted | join(",")' "$ANSWER")" "list_upload_answer_members_kept_in_the_answers_order"
assert_eq "$(jqr 'keys_unsorted | join(",")' "$GUIDE")" "$(jqr 'keys_unsorted | join(",")' "$ANSWER")" \
  "simulator_list_upload_answer_has_the_guide_members_in_order"
# every member, rendered as the plugin documents it (record_of)
for k in $(jqr 'keys_unsorted[]' "$ANSWER"); do
  assert_json ".records[0][\"$k\"]" "$(jqr ".[\"$k\"] | $RENDER" "$ANSWER")" "list_upload_answer_${k}_as_answered"
done
for k in campainId charsetDetected countDuplicateEmail countDuplicateMobile customerID \
         description globalInvalidLine id invalidNumberEMAIL invalidNumberMOBILE listName \
         maxSizeDataLine size type userOwnerID validNumberEMAIL validNumberMOBILE; do
  assert_eq "$(jqr ".$k" "$GUIDE")" "$(jqr ".$k" "$ANSWER")" "simulator_list_upload_answer_${k}_as_in_the_guide"
done
# arrays of values come as comma lists, objects as JSON (key order aside:
# the guide's follows a Java hash map)
for k in header invalidLineList lineDuplicateMobile lineDuplicateEmail; do
  assert_json ".records[0].$k" "$(jqr ".$k | map(tostring) | join(\",\")" "$GUIDE")" \
    "list_upload_answer_${k}_as_in_the_guide"
done
assert_json '.records[0].emptyKeys | split(",") | sort | join(",")' \
  "$(jqr '.emptyKeys | sort | join(",")' "$GUIDE")" "list_upload_answer_emptyKeys_as_in_the_guide"
for k in computedHeaderSize maxDatasMap validCountryCounter invalidCountryCounter; do
  assert_eq "$(jqr ".$k" "$GUIDE" | jq -cS .)" "$(jqr ".$k" "$ANSWER" | jq -cS .)" \
    "simulator_list_upload_answer_${k}_as_in_the_guide"
done
assert_json '.records[0].creationDate | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z\\[UTC\\]$")' \
  true "list_upload_answer_creationDate_in_the_guide_format"
assert_json '.records[0].filePath | test("^/mnt/mediasflow/shared/5e1f1fa1392b6a759299b09a/6009b630d86ae22270c0f3d6/lists//[A-Za-z0-9]{16}[.]tmp[.]csv$")' \
  true "list_upload_answer_filePath_as_in_the_guide"

# the uploaded list as the recipients of a campaign (listsId)
run_smsmux --config "$TMP/lists.ini" --json call --provider mf campaign-send \
  listsId=392 msg='Bonjour ${Prénom}' checkDuplicate=true
assert_eq 0 "$RC" "campaign_send_listsId_exits_0"
assert_eq '{"listsId":392,"msg":"Bonjour ${Prénom}","startNow":true,"checkDuplicate":true}' \
  "$(req '.body')" "campaign_send_listsId_request"
assert_json '.records[0].countRecipient + " " + .records[0].countValid + " " + .records[0].countInvalidRecipient + " " + .records[0].countDuplicateRecipient' \
  "11 9 1 1" "campaign_send_listsId_counts_the_list"
run_smsmux --config "$TMP/lists.ini" --json call --provider mf list-upload \
  file="$TMP/dest.csv" description='Clients VIP' userOwnerID=6009b630d86ae22270c0f3d6
assert_json '.records[0].listName + " / " + .records[0].description' "dest.csv / Clients VIP" \
  "list_upload_filename_defaults_to_the_file_name"
assert_contains "$(req '.body')" 'name="description"' "list_upload_sends_description"
assert_contains "$(req '.body')" 'name="userOwnerID"' "list_upload_sends_userOwnerID"

# --- the descriptor ---------------------------------------------------------------
mf providers
assert_json '.providers[0].plugin + " " + .providers[0].abi' "mediasflow $ABI_VERSION" \
  "providers_shows_the_mediasflow_plugin"
assert_json '.providers[0].capabilities | join(",")' \
  sms,unicode,schedule,cancel,status,replies,alphanumeric_sender \
  "providers_shows_no_balance_capability"
assert_json '[.providers[0].operations[] | sub("\\(.*"; "")] | join(",")' \
  campaign-send,campaign-inject,report-csv,report-json,report-period-json,report-period-csv,blacklist-add,blacklist-list,list-upload \
  "providers_lists_the_mediasflow_operations"
# the guide has no balance request: credit lists this provider as not
# supported (issue 11), without asking it anything
N=$(req_count)
mf credit
assert_json '.credits[] | select(.provider=="mf") | .error.class' unsupported \
  "credit_lists_mediasflow_as_not_supported"
mf credit --provider mf
assert_eq "$N" "$(req_count)" "credit_sends_nothing"
assert_json '.error.class // .credits[0].error.class' unsupported "credit_on_mediasflow_is_unsupported"
op no-such-op
assert_error unsupported 2 "unknown_operation_is_unsupported"

finish
