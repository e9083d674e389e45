#!/bin/sh
# Clever REST conformance: users, "3.2 Créer un utilisateur" (POST users),
# "3.3 Modifier un utilisateur" (PUT users/{id_user}), "3.4 Rechercher un
# utilisateur" (GET users/{id_user}), as `call user-create`, `user-update`,
# `user-get`.  The parameters are the names of the document's table; the
# body nests them as the example of 3.2 does (account, account.company).
. "$top_srcdir/tests/clever-rest/common.sh"

# --- the example of 3.2 -------------------------------------------------------
sim_reset
op user-create username=useryb password=A12345678e name=clever lastname=tec \
  email=support@clever.fr telephone=+33160536053 address=Croissy company_name=IS
assert_eq 0 "$RC" "user_create_exits_0"
assert_request "user_create_posts_to_users" POST "$API/users"
assert_body "user_create_matches_the_example_request_of_3.2" '{
    "datas":
    {
      "username": "useryb",
      "password": "A12345678e",
      "account":
      {
        "name": "clever",
        "lastname": "tec",
        "email": "support@clever.fr",
        "telephone": "+33160536053",
        "company":
        {
          "address": "Croissy",
          "company_name": "IS"
        }
      }
    }
  }'
assert_json_headers "user_create"
assert_json '.records | length' 1 "user_create_one_record"
assert_eq "useryb|clever|tec|support@clever.fr|+33160536053|Croissy|IS" \
  "$(rec '"\(.username)|\(.["account.name"])|\(.["account.lastname"])|\(.["account.email"])|\(.["account.telephone"])|\(.["account.company.address"])|\(.["account.company.company_name"])"')" \
  "user_create_example_answer_3.2_read"
assert_not_contains "$OUT" "A12345678e" "user_create_answer_does_not_show_the_password"
ID=$(rec .id)
assert_contains "$(sim_ctl GET 'account?provider=clever-rest&login=useryb' | jq -r .parent)" \
  clevertec "simulator_user_belongs_to_the_manager"

# the new user can log in (credit "Par défaut 0")
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
run_smsmux --config "$TMP/user.ini" --json credit
assert_json '.credits[0].credit' 0 "new_user_logs_in_with_credit_0"

# 409 "L'utilisateur existe, username déjà pris"
op user-create username=useryb password=A12345678e name=clever lastname=tec \
  email=support@clever.fr telephone=+33160536053 address=Croissy
assert_error invalid 1 "user_create_taken_username_409_is_invalid"
assert_json '.error.code' "HTTP 409" "user_create_taken_username_code_409"
assert_contains "$(jqr .error.message)" "already exists" "user_create_409_says_it_exists"

# 400: "au moins 6 caractères dont une lettre capitale et un chiffre"
op user-create username=other password=abcdef name=a lastname=b \
  email=a@b.fr telephone=+33160536053 address=x
assert_error invalid 1 "user_create_weak_password_400_is_invalid"

# optional fields: credit in the account, the address in the company
op user-create username=other2 password=Secret1 name=a lastname=b email=a@b.fr \
  telephone=0160536053 address=x credit=50 zipCode=77183 city=Croissy country=France
assert_eq 0 "$RC" "user_create_with_all_fields_exits_0"
assert_body "user_create_optional_fields_nested_as_in_3.1" '{"datas":{"username":"other2",
  "password":"Secret1","account":{"name":"a","lastname":"b","email":"a@b.fr",
  "telephone":"+33160536053","credit":50,"company":{"address":"x","zipCode":"77183",
  "city":"Croissy","country":"France"}}}}'

# refused before sending
N=$(req_count)
op user-create username=x password=Secret1 name=a lastname=b email=a@b.fr \
  telephone=+33160536053 address=x credit=lots
assert_error input 2 "user_create_credit_must_be_a_number"
op user-create username=x password=Secret1
assert_error input 2 "user_create_missing_parameter_is_input"
assert_eq "$N" "$(req_count)" "user_create_refused_sends_nothing"

# the new user's password never shows in a trace
run_smsmux --config "$CONFIG" --verbose call --provider clever user-create \
  username=traced password=S3cretPass1 name=a lastname=b email=a@b.fr \
  telephone=+33160536053 address=x
assert_eq 0 "$RC" "user_create_verbose_exits_0"
assert_not_contains "$ERR" "S3cretPass1" "user_create_trace_hides_the_password"
assert_contains "$ERR" '"username":"traced"' "user_create_trace_shows_the_body"

# --- 3.4 ----------------------------------------------------------------------
op user-get "id_user=$ID"
assert_eq 0 "$RC" "user_get_exits_0"
assert_request "user_get_matches_3.4" GET "$API/users/$ID"
assert_eq "" "$(req .body)" "user_get_request_has_no_body"
assert_eq "useryb clever" "$(rec '"\(.username) \(.["account.name"])"')" "user_get_reads_the_user"
assert_not_contains "$OUT" "A12345678e" "user_get_answer_does_not_show_the_password"
N=$(req_count)
op user-get id_user=abc
assert_error input 2 "user_get_id_must_be_a_whole_number"
assert_eq "$N" "$(req_count)" "user_get_bad_id_sends_nothing"
op user-get id_user=999999
assert_error invalid 1 "user_get_unknown_404_is_invalid"

# --- 3.3 ----------------------------------------------------------------------
op user-update "id_user=$ID" username=useryb password=B12345678e name=Clever \
  lastname=Tec email=support@clever.fr telephone=+33160536053 address=Torcy
assert_eq 0 "$RC" "user_update_exits_0"
assert_request "user_update_puts_to_users_id_3.3" PUT "$API/users/$ID"
assert_body "user_update_body_nested_as_3.2" '{"datas":{"username":"useryb","password":"B12345678e",
  "account":{"name":"Clever","lastname":"Tec","email":"support@clever.fr",
  "telephone":"+33160536053","company":{"address":"Torcy"}}}}'
assert_json '.records | length' 0 "user_update_204_no_record"
op user-get "id_user=$ID"
assert_eq "Clever Torcy" "$(rec '"\(.["account.name"]) \(.["account.company.address"])"')" \
  "user_update_is_seen_by_user_get"
op user-update "id_user=$ID" username=other2 password=B12345678e name=Clever \
  lastname=Tec email=support@clever.fr telephone=+33160536053 address=Torcy
assert_error invalid 1 "user_update_to_a_taken_username_is_409_invalid"

# only a manager creates users: 403
write_config demo.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.demo]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = demo
password = demo-pass
EOF2
run_smsmux --config "$TMP/demo.ini" --json call --provider demo user-create \
  username=u2 password=Secret1 name=a lastname=b email=a@b.fr telephone=+33160536053 address=x
assert_error auth 1 "user_create_by_non_manager_403_is_auth"

finish
