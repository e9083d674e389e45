#!/bin/sh
# sMsmode conformance: the provider operations of `smsmux call` and the
# guide's example request of each: createSubAccount.do, deleteSubAccount.do,
# creditTransfert.do, addContact.do, smsList.do, smsStatus.do,
# sendSMSBatch.do (multipart, file part "fichier", text/csv) and the
# http/2.0 createAuthorisation.do.
. "$top_srcdir/tests/smsmode/common.sh"

op() { sms call --provider sms "$@"; }

# --- the descriptor, as `smsmux providers` shows it ---------------------------
sms providers
assert_json '.providers[0].plugin + " " + .providers[0].abi' "smsmode $ABI_VERSION" \
  "providers_shows_the_smsmode_plugin"
assert_json '.providers[0].capabilities | join(",")' \
  sms,unicode,voice,schedule,cancel,status,replies,balance,alphanumeric_sender,notify_url \
  "providers_shows_the_smsmode_capabilities"
assert_json '[.providers[0].operations[] | sub("\\(.*"; "")] | join(",")' \
  sub-account-create,sub-account-delete,credit-transfer,contact-add,sms-list,sms-status,batch-send,api-key-create \
  "providers_lists_the_smsmode_operations"
assert_json '[.providers[0].operations[] | select(startswith("credit-transfer"))][0]' \
  'credit-transfer(targetPseudo, creditAmount, reference?)' \
  "providers_lists_operation_parameters"

# --- sub-accounts (item 6) -------------------------------------------------
sim_reset
op sub-account-create newPseudo=bbbbb newPass=yyyyyy
assert_eq 0 "$RC" "sub_account_create_exits_0"
assert_request "sub_account_create_matches_guide_example_request" GET \
  "$API/createSubAccount.do" "accessToken=$TOKEN&newPseudo=bbbbb&newPass=yyyyyy"
assert_json '.op' sub-account-create "call_json_names_the_operation"
assert_json '.records[0].code' 0 "sub_account_create_record_code_0"
# the password off the command line: newPass=@- (stdin, its line end
# dropped) or newPass=env:NAME
printf 'stdin-pass-1\n' >"$TMP/newpass"
op sub-account-create newPseudo=ddddd newPass=@- <"$TMP/newpass"
assert_eq 0 "$RC" "sub_account_create_newPass_from_stdin_exits_0"
assert_request "sub_account_create_newPass_from_stdin_is_sent" GET \
  "$API/createSubAccount.do" "accessToken=$TOKEN&newPseudo=ddddd&newPass=stdin-pass-1"
NEWPASS_FROM_ENV=env-pass-2
export NEWPASS_FROM_ENV
op sub-account-create newPseudo=eeeee newPass=env:NEWPASS_FROM_ENV
assert_eq 0 "$RC" "sub_account_create_newPass_from_env_exits_0"
assert_request "sub_account_create_newPass_from_env_is_sent" GET \
  "$API/createSubAccount.do" "accessToken=$TOKEN&newPseudo=eeeee&newPass=env-pass-2"
N=$(req_count)
op sub-account-create newPseudo=fffff newPass=env:NEWPASS_NOT_SET_ANYWHERE
assert_error input 2 "sub_account_create_newPass_from_unset_env_is_a_usage_error"
assert_contains "$ERR" "NEWPASS_NOT_SET_ANYWHERE is not set" "unset_env_variable_is_named"
op sub-account-create newPseudo=@- newPass=@- <"$TMP/newpass"
assert_error input 2 "two_stdin_values_are_a_usage_error"
assert_eq "$N" "$(req_count)" "bad_value_sources_send_nothing"
op sub-account-create newPseudo=bbbbb newPass=other
assert_error invalid 1 "sub_account_create_existing_is_invalid"
assert_json '.error.code' 41 "sub_account_create_existing_code_41"
N=$(req_count)
op sub-account-create newPseudo=ccccc
assert_contains "$(jqr '.error.message')" newPass "sub_account_create_missing_newPass_named"
assert_eq "$N" "$(req_count)" "sub_account_create_missing_param_sends_nothing"
op sub-account-create newPseudo=ccccc newPass=p nom=Martin prenom=Paul \
  societe=ACME email=paul@example.org reference=r1
assert_request "sub_account_create_optional_params_in_guide_order" GET \
  "$API/createSubAccount.do" \
  "accessToken=$TOKEN&newPseudo=ccccc&newPass=p&reference=r1&nom=Martin&prenom=Paul&societe=ACME&email=paul%40example.org"

# the new account's password never shows in a trace
run_smsmux --config "$CONFIG" --verbose call --provider sms sub-account-create \
  newPseudo=sousCompte newPass=S3cretPass
assert_eq 0 "$RC" "sub_account_create_verbose_exits_0"
assert_not_contains "$ERR" "S3cretPass" "sub_account_create_trace_hides_newPass"
op sub-account-delete pseudoToDelete=sousCompte
assert_eq 0 "$RC" "sub_account_delete_exits_0"
assert_request "sub_account_delete_matches_guide_example_request" GET \
  "$API/deleteSubAccount.do" "accessToken=$TOKEN&pseudoToDelete=sousCompte"

# --- credit transfer (item 7) ------------------------------------------------
sim_reset
op sub-account-create newPseudo=bbbb newPass=yyyyyy
op credit-transfer targetPseudo=bbbb creditAmount=12 reference=blablabla
assert_eq 0 "$RC" "credit_transfer_exits_0"
assert_request "credit_transfer_matches_guide_example_request" GET \
  "$API/creditTransfert.do" \
  "accessToken=$TOKEN&targetPseudo=bbbb&creditAmount=12&reference=blablabla"
assert_json '.records[0].code' 0 "credit_transfer_record_code_0"
N=$(req_count)
op credit-transfer targetPseudo=bbbb creditAmount=12.5
assert_error invalid 1 "credit_transfer_fraction_refused"
assert_contains "$(jqr '.error.message')" creditAmount "credit_transfer_fraction_names_creditAmount"
assert_eq "$N" "$(req_count)" "credit_transfer_fraction_sends_nothing"

# --- contacts (item 8) -------------------------------------------------------
# The guide's mobile=06XXXXXXXXXX is sent as given (a contact's own data,
# not a recipient smsmux normalises); "," in groupes goes as %2C.
sim_reset
op contact-add nom=Dupond prenom=jacques mobile=06XXXXXXXXXX groupes=Groupe1,Groupe2
assert_request "contact_add_matches_guide_example_request" GET \
  "$API/addContact.do" \
  "accessToken=$TOKEN&nom=Dupond&prenom=jacques&mobile=06XXXXXXXXXX&groupes=Groupe1%2CGroupe2"
sim_reset
op contact-add nom=Dupond mobile=0612345678
assert_eq 0 "$RC" "contact_add_exits_0"
assert_json '.records[0].code' 0 "contact_add_record_code_0"

# --- SMS list (item 10) and SMS status (item 11) ----------------------------
sim_reset
sms send --provider sms --to +33631234560 --text 'premier'
ID=$(jqr '.id')
sms send --provider sms --to +33631234561,+33631234562 --text 'second'
op sms-list offset=2
assert_eq 0 "$RC" "sms_list_exits_0"
assert_request "sms_list_matches_guide_example_request" GET "$API/smsList.do" \
  "accessToken=$TOKEN&offset=2"
assert_json '.records | length' 2 "sms_list_one_record_per_sms"
assert_json '.records[0] | keys | join(",")' 'cost,date,id,recipients,text,to' \
  "sms_list_record_fields"
assert_json "[.records[] | select(.id == \"$ID\") | .text] | join(\",\")" premier \
  "sms_list_record_has_the_text"
op sms-list offset=two
assert_error invalid 1 "sms_list_offset_must_be_a_number"

sim_reset
op sms-status smsID=12345678
assert_request "sms_status_matches_guide_example_request" GET "$API/smsStatus.do" \
  "accessToken=$TOKEN&smsID=12345678"
assert_error invalid 1 "sms_status_unknown_id_is_invalid"
sms send --provider sms --to +33631234560 --text 'statut'
ID=$(jqr '.id')
op sms-status "smsID=$ID"
assert_eq 0 "$RC" "sms_status_exits_0"
assert_json '.records[0] | has("code") and has("description") and has("status")' true \
  "sms_status_record_has_code_description_status"

# --- batch (item 17): the guide's CSV file ----------------------------------
cat >"$TMP/fichier.csv" <<'CSV'
"numero","message","emetteur","refClient"
"99999911","Ceci est le corps du message 1, test fichier CSV","RDV","ref123"
88888888,"Ceci est le corps du message 2, test fichier CSV","","ref456"
77777777,"Ceci est le corps du message 3, test fichier CSV","TOTO","ref789"
CSV
sim_reset
op batch-send "file=$TMP/fichier.csv"
assert_eq 0 "$RC" "batch_send_exits_0"
assert_request "batch_send_matches_guide_example_request" POST \
  "$API/sendSMSBatch.do" "accessToken=$TOKEN"
assert_contains "$(req '.content_type')" "multipart/form-data" "batch_send_is_multipart"
BODY=$(req '.body')
assert_contains "$BODY" 'name="fichier"' "batch_send_file_part_is_fichier"
assert_contains "$BODY" 'filename="fichier.csv"' "batch_send_file_part_has_file_name"
assert_contains "$BODY" 'Content-Type: text/csv' "batch_send_file_part_is_text_csv"
assert_contains "$BODY" "$(cat "$TMP/fichier.csv")" "batch_send_carries_the_csv_unchanged"
assert_json '.records[0].code' 0 "batch_send_record_code_0"
assert_json '.records[0].id | type' string "batch_send_record_has_campaign_id"

# a UTF-8 file goes as ISO-8859-15, as the guide requires
printf '"numero","message"\n"33631234560","Réunion à 10h, 5€"\n' >"$TMP/utf8.csv"
sim_reset
op batch-send "file=$TMP/utf8.csv" classe_msg=4 date_envoi=21122035-14:35
assert_eq 0 "$RC" "batch_send_utf8_exits_0"
assert_request "batch_send_options_in_the_query" POST "$API/sendSMSBatch.do" \
  "accessToken=$TOKEN&classe_msg=4&date_envoi=21122035-14%3A35"
# "Réunion à 10h, 5€" in ISO-8859-15: R E9 union E0 ... 5 A4
assert_contains "$(req '.body_hex')" \
  "$(printf 'R\351union \340 10h, 5\244' | od -An -tx1 | tr -d ' \n')" \
  "batch_send_utf8_file_converted_to_iso_8859_15"
N=$(req_count)
op batch-send "file=$TMP/does-not-exist.csv"
assert_error invalid 1 "batch_send_missing_file_is_invalid"
assert_contains "$(jqr '.error.message')" "does-not-exist.csv" "batch_send_missing_file_named"
op batch-send "file=$TMP/fichier.csv" classe_msg=4 emetteur=RDV
assert_error invalid 1 "batch_send_sender_with_classe_msg_4_refused"
assert_eq "$N" "$(req_count)" "batch_send_refusals_send_nothing"

# --- API key (item 2, http/2.0) ----------------------------------------------
sim_reset
op api-key-create
assert_eq 0 "$RC" "api_key_create_exits_0"
assert_request "api_key_create_matches_guide_example_request" GET \
  /smsmode/http/2.0/createAuthorisation.do "accessToken=$TOKEN"
assert_json '.records[0] | [has("id"), has("accessToken"), has("creationDate"), has("state"), has("account")] | all' \
  true "api_key_create_record_fields"
assert_json '.records[0].accessToken | length' 32 "api_key_create_returns_a_32_character_key"
# the new key is the result the user asked for, but never in a trace
sim_reset
run_smsmux --config "$CONFIG" --json --verbose call --provider sms api-key-create
KEY=$(jqr '.records[0].accessToken')
assert_contains "$ERR" "createAuthorisation.do" "api_key_create_verbose_trace_shows_the_request"
assert_not_contains "$ERR" "$KEY" "api_key_create_verbose_trace_hides_the_new_key"
assert_not_contains "$ERR" "$TOKEN" "api_key_create_verbose_trace_hides_the_access_token"

# --- unknown operation --------------------------------------------------------
op frobnicate x=1
assert_eq 2 "$RC" "unknown_operation_is_a_usage_error"

finish
