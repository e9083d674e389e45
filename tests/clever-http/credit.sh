#!/bin/sh
# Clever conformance, section 1 "Obtenir les informations d'un compte":
# InfosAccount gives `credit` (-> smsmux credit) and the account's
# details (-> smsmux call account-info).
#
# The document's request carries the password T123456ç as it would be
# typed; on the wire the ç is UTF-8, percent-encoded: pwd=T123456%C3%A7
# (the simulator checks the bytes: another encoding is refused with 401).
. "$top_srcdir/tests/clever-http/common.sh"

DOC_ANSWER='request_status=200&name="Clever"&lastname="Tec"&email="support@clever.fr"&telephone="+33160536053"&credit=8888&date_creation="2017-02-10 09:49:21"&date_expiration="2033-02-10 09:49:21"&company_name="Clever Technologies - IS"&address="52 rue d'"'"'emeraïville"&zip_code=77183&city="Croissy"&country="France"'

# --- the document's example answer, byte for byte -----------------------------
sim_reset
assert_eq "$DOC_ANSWER" "$(raw /InfosAccount/ "$AUTH")" \
  "simulator_answers_the_document_infos_account_example"
sim_reset

# --- credit ------------------------------------------------------------------
cl credit --provider clever
assert_eq 0 "$RC" "credit_exits_0"
assert_request "credit_matches_document_example_request" GET \
  "$API/InfosAccount/" "login=compte_test&pwd=T123456%C3%A7"
assert_json '.credits | length' 1 "credit_json_one_provider"
assert_json '.credits[0].provider' clever "credit_json_names_provider"
assert_json '.credits[0].credit' 8888 "credit_document_example_8888_is_read"
assert_json '.credits[0].credit | type' number "credit_json_is_a_number"
assert_eq 0 "$(req 'has("headers") and (.headers | has("authorization")) | if . then 1 else 0 end')" \
  "credit_sends_no_authorization_header"

# --- account-info: every field of the answer ----------------------------------
cl call --provider clever account-info
assert_eq 0 "$RC" "account_info_exits_0"
assert_request "account_info_asks_infos_account" GET "$API/InfosAccount/" "$AUTH"
assert_json '.op' account-info "account_info_json_names_the_operation"
assert_json '.records | length' 1 "account_info_one_record"
assert_json '.records[0] | keys_unsorted | join(",")' \
  request_status,name,lastname,email,telephone,credit,date_creation,date_expiration,company_name,address,zip_code,city,country \
  "account_info_has_every_documented_field_in_order"
assert_json '.records[0].name + "|" + .records[0].lastname + "|" + .records[0].email + "|" + .records[0].telephone' \
  'Clever|Tec|support@clever.fr|+33160536053' "account_info_quoted_values_lose_their_quotes"
assert_json '.records[0].company_name' 'Clever Technologies - IS' \
  "account_info_value_with_spaces_kept_whole"
assert_json '.records[0].address' "52 rue d'emeraïville" \
  "account_info_value_with_apostrophe_and_accent_kept"
assert_json '.records[0].date_creation' '2017-02-10 09:49:21' \
  "account_info_date_kept_as_given"
assert_json '.records[0].zip_code + "|" + .records[0].credit' '77183|8888' \
  "account_info_bare_values_read"
cl call --provider clever account-info foo=bar
assert_error input 2 "account_info_unknown_parameter_refused"

# --- credit goes down as pushes go out ------------------------------------------
cl send --provider clever --to +33600000002,+33600000003 --text 'Bonjour'
assert_eq 0 "$RC" "credit_send_exits_0"
cl credit --provider clever
assert_json '.credits[0].credit' 8874 "credit_goes_down_by_the_units_of_a_push"

# --- the empty account ---------------------------------------------------------
write_config poor.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.poor]
plugin = clever-http
base_url = @SIM@/clever-http
login = poor
password = poor-password
EOF2
run_smsmux --config "$TMP/poor.ini" --json credit --provider poor
assert_eq 0 "$RC" "credit_of_empty_account_exits_0"
assert_json '.credits[0].credit' 0 "credit_of_empty_account_is_0"

# --- the password in another encoding is refused: UTF-8 it is --------------------
assert_contains "$(raw /InfosAccount/ 'login=compte_test&pwd=T123456%E7')" \
  "request_status=401" "latin1_password_is_not_the_account_password"

finish
