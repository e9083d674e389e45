#!/bin/sh
# Clever REST conformance: `smsmux credit` and `call account` are "3.1
# Obtenir les informations du profil", GET account/me: "credit : nombre
# d'unités restantes du compte".  The simulator's manager account has the
# profile of the example answer (credit 999733).
. "$top_srcdir/tests/clever-rest/common.sh"

sim_reset
cr credit --provider clever
assert_eq 0 "$RC" "credit_exits_0"
assert_request "credit_matches_the_request_of_3.1" GET "$API/account/me"
assert_eq "" "$(req .body)" "credit_request_has_no_body"
assert_json_headers "credit"
assert_json '.credits[0].credit' 999733 "credit_example_3.1_999733_is_read"
assert_json '.credits[0].credit | type' number "credit_json_is_a_number"
assert_json '.credits[0].unit' units "credit_unit_is_units"

# the answer of the simulator is the example answer of 3.1
assert_eq '{"account":{"name":"Clever","lastname":"Tec","email":"support@clever.fr","telephone":"+33160536053","credit":999733,"date_expiration":"2033-02-10 09:49:21","company":{"company_name":"Clever Technologies - IS","address":"52 rue d'"'"'emeraïnvill","country":"France","city":"Croissy","zip_code":77183}}}' \
  "$(sim_curl GET account/me | jq -c .)" "simulator_answers_the_example_of_3.1"
# the screenshot of 3.1 says accounts/me
assert_eq 999733 "$(sim_curl GET accounts/me | jq -r .account.credit)" \
  "simulator_serves_accounts_me_of_the_screenshot"

# credit goes down: one SMS to two numbers costs 14 units, as in 3.11
cr send --provider clever --to +33600000001,+33600000002 --text 'test envoi du message'
cr credit --provider clever
assert_json '.credits[0].credit' 999719 "credit_goes_down_by_the_unit_of_3.11"

# call account: the whole profile
sim_reset
op account
assert_eq 0 "$RC" "account_exits_0"
assert_request "account_matches_the_request_of_3.1" GET "$API/account/me"
assert_json '.records | length' 1 "account_is_one_record"
assert_eq "Clever|Tec|support@clever.fr|+33160536053|999733|2033-02-10 09:49:21" \
  "$(rec '"\(.name)|\(.lastname)|\(.email)|\(.telephone)|\(.credit)|\(.date_expiration)"')" \
  "account_record_has_the_profile_of_3.1"
assert_eq "Clever Technologies - IS|52 rue d'emeraïnvill|France|Croissy|77183" \
  "$(rec '"\(.["company.company_name"])|\(.["company.address"])|\(.["company.country"])|\(.["company.city"])|\(.["company.zip_code"])"')" \
  "account_record_flattens_the_company"

# an empty account
write_config poor.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.poor]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = poor
password = poor-pass
EOF2
run_smsmux --config "$TMP/poor.ini" --json credit
assert_json '.credits[0].credit' 0 "credit_of_empty_account_is_0"

finish
