#!/bin/sh
# Clever REST conformance: contacts, 3.5 to 3.10: `call contact-create`
# (POST contacts), `contact-update` (PUT contacts/{id_contact}),
# `contact-get` (GET), `contact-delete` (DELETE), `contact-list` (GET
# contactlists), `contact-list-user` (GET contactlists/{login}, managers
# only).  Parameters are the table's names (lastname, gsm_primary, ...);
# the body uses the example's camelCase (lastName, gsmPrimary, ...).
#
# The simulator's manager has the two contacts of the example of 3.9
# (214905, 214906) and numbers new contacts from 214917, the id of the
# examples of 3.6 to 3.8.  The example of 3.5 creates +33600000001, the
# number of contact 214906: without duplicates=1 that is the documented
# 409 ("Le contact existe, le paramètre duplicates doit être activé").
. "$top_srcdir/tests/clever-rest/common.sh"

# --- 3.5 ----------------------------------------------------------------------
sim_reset
op contact-create name=contact 'lastname=contact lastname' gsm_primary=+33600000001 \
  email=contact@email.com
assert_request "contact_create_posts_to_contacts" POST "$API/contacts"
assert_body "contact_create_matches_the_example_request_of_3.5" '{
    "datas" :
    {
      "name": "contact",
      "lastName": "contact lastname",
      "gsmPrimary": "+33600000001",
      "email" : "contact@email.com"
    }
  }'
assert_json_headers "contact_create"
assert_error invalid 1 "contact_create_existing_number_409_is_invalid"
assert_contains "$(jqr .error.message)" "duplicates=1" "contact_create_409_says_duplicates"
op contact-create name=contact 'lastname=contact lastname' gsm_primary=+33600000001 \
  email=contact@email.com duplicates=1
assert_eq 0 "$RC" "contact_create_with_duplicates_exits_0"
assert_eq 1 "$(req '.body | fromjson | .datas.duplicates')" "contact_create_duplicates_is_a_number"
assert_eq "214917|contact|contact lastname|+33600000001|contact@email.com" \
  "$(rec '"\(.id)|\(.name)|\(.lastName)|\(.gsmPrimary)|\(.email)"')" \
  "contact_create_example_answer_3.5_read"
assert_eq '"214917"' "$(sim_curl GET contacts/214917 | jq -c .contact.id)" \
  "simulator_contact_id_is_a_string_as_in_3.5"

# numbers as the document wants them, every field of the table
op contact-create name=Paul lastname=Martin gsm_primary=0612345678 gsm_secondary=0698765432 \
  landline_primary=0160536053 landline_secondary=0160536054 fax_primary=0160536055 \
  fax_secondary=0160536056 email=paul@example.org zipCode=77183 city=Croissy \
  street='rue de paris' streetNumber=4
assert_eq 0 "$RC" "contact_create_all_fields_exits_0"
assert_body "contact_create_table_fields_camelCase_numbers_international" '{"datas":{
  "name":"Paul","lastName":"Martin","gsmPrimary":"+33612345678","gsmSecondary":"+33698765432",
  "landlinePrimary":"+33160536053","landlineSecondary":"+33160536054",
  "faxPrimary":"+33160536055","faxSecondary":"+33160536056","email":"paul@example.org",
  "zipCode":"77183","city":"Croissy","street":"rue de paris","streetNumber":"4"}}'
# a spelling of one's own, merged last
op contact-create name=Anne lastname=Roux gsm_primary=+33611111111 \
  'datas={"gsm_secondary":"+33622222222","diffusion":"on"}'
assert_eq 0 "$RC" "contact_create_with_datas_exits_0"
assert_body "contact_create_datas_json_merged_into_datas" '{"datas":{"name":"Anne",
  "lastName":"Roux","gsmPrimary":"+33611111111","gsm_secondary":"+33622222222","diffusion":"on"}}'
N=$(req_count)
op contact-create name=Anne lastname=Roux gsm_primary=+33611111112 'datas=[1]'
assert_error input 2 "contact_create_datas_must_be_an_object"
op contact-create name=Anne lastname=Roux gsm_primary=+33611111112 duplicates=yes
assert_error input 2 "contact_create_duplicates_must_be_a_number"
op contact-create name=Anne gsm_primary=+33611111112
assert_error input 2 "contact_create_without_lastname_is_input"
assert_eq "$N" "$(req_count)" "contact_create_refused_sends_nothing"
op contact-create 'name=A<b>' lastname=Roux gsm_primary=+33611111113
assert_error invalid 1 "contact_create_special_characters_400_is_invalid"

# --- 3.6 ----------------------------------------------------------------------
op contact-update id_contact=214917 name=contact 'lastname=contact lastname' \
  gsm_primary=+33600000002 email=contact@email.com
assert_eq 0 "$RC" "contact_update_exits_0"
assert_request "contact_update_matches_the_request_of_3.6" PUT "$API/contacts/214917"
assert_body "contact_update_matches_the_example_body_of_3.6" '{
    "datas" :
    {
      "name": "contact",
      "lastName": "contact lastname",
      "gsmPrimary": "+33600000002",
      "email" : "contact@email.com"
    }
  }'
assert_json '.records | length' 0 "contact_update_204_no_record"

# --- 3.7 ----------------------------------------------------------------------
op contact-get id_contact=214917
assert_eq 0 "$RC" "contact_get_exits_0"
assert_request "contact_get_matches_3.7" GET "$API/contacts/214917"
assert_eq "214917|contact|contact lastname|+33600000002|contact@email.com" \
  "$(rec '"\(.id)|\(.name)|\(.lastName)|\(.gsmPrimary)|\(.email)"')" \
  "contact_get_example_answer_3.7_read"

# --- 3.8 ----------------------------------------------------------------------
op contact-delete id_contact=214917
assert_eq 0 "$RC" "contact_delete_exits_0"
assert_request "contact_delete_matches_the_request_of_3.8" DELETE "$API/contacts/214917"
assert_eq "" "$(req .body)" "contact_delete_request_has_no_body"
op contact-get id_contact=214917
assert_error invalid 1 "contact_get_after_delete_404_is_invalid"
N=$(req_count)
op contact-delete id_contact=12a
assert_error input 2 "contact_delete_id_must_be_a_whole_number"
assert_eq "$N" "$(req_count)" "contact_delete_bad_id_sends_nothing"

# --- 3.9 ----------------------------------------------------------------------
sim_reset
op contact-list
assert_eq 0 "$RC" "contact_list_exits_0"
assert_request "contact_list_matches_3.9" GET "$API/contactlists"
assert_json '.records | length' 2 "contact_list_one_record_per_contact"
assert_eq '{"id":"214905","name":"Clever","last_name":"ALGnew3","gsm_primary":"771100899","gsm_secondary":"","landline_primary":"","landline_secondary":"","fax_primary":"","fax_secondary":"","email":"cleverimap@gmail.com","zip_code":"","city":"Torcy","street":"rue de paris","street_number":"4","longitude":"2.6566156","latitude":"48.8511663"}' \
  "$(jqr '.records[0] | to_entries | sort_by(.key) | from_entries' | jq -c '{id,name,last_name,gsm_primary,gsm_secondary,landline_primary,landline_secondary,fax_primary,fax_secondary,email,zip_code,city,street,street_number,longitude,latitude}')" \
  "contact_list_example_answer_3.9_first_contact_read"
assert_eq "214906|contact|contact lastname|600000001|contact@email.com" \
  "$(jqr '.records[1] | "\(.id)|\(.name)|\(.last_name)|\(.gsm_primary)|\(.email)"')" \
  "contact_list_example_answer_3.9_second_contact_read"

# --- 3.10 ---------------------------------------------------------------------
op user-create username=useryb password=A12345678e name=clever lastname=tec \
  email=support@clever.fr telephone=+33160536053 address=Croissy
write_config user.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.user]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = useryb
password = A12345678e
EOF2
run_smsmux --config "$TMP/user.ini" --json call --provider user contact-create \
  name=Client lastname=Un gsm_primary=+33612121212
assert_eq 0 "$RC" "user_contact_create_exits_0"
op contact-list-user login=useryb
assert_eq 0 "$RC" "contact_list_user_exits_0"
assert_request "contact_list_user_matches_3.10" GET "$API/contactlists/useryb"
assert_json '[.records[] | .gsm_primary] | join(",")' 612121212 \
  "contact_list_user_lists_the_users_contacts"
run_smsmux --config "$TMP/user.ini" --json call --provider user contact-list-user login=clevertec
assert_error auth 1 "contact_list_user_by_non_manager_403_is_auth"
op contact-list-user login=nobody
assert_error invalid 1 "contact_list_user_unknown_login_is_invalid"
N=$(req_count)
op contact-list-user 'login=a/b'
assert_error input 2 "contact_list_user_login_with_slash_refused"
op contact-list-user login=..
assert_error input 2 "contact_list_user_login_dot_dot_refused"
assert_eq "$N" "$(req_count)" "contact_list_user_bad_login_sends_nothing"

finish
