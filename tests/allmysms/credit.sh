#!/bin/sh
# AllMySMS conformance: the account tool of section 3 (POST
# amsmodule.sendsms.v6.php with clientcode, passcode and info = the login
# to check), for `smsmux credit` (info = the instance's own login) and for
# `smsmux call --provider mms account-info info=LOGIN`.
#
# Where the bytes cannot be the document's, and why:
#  - section 3.1 prints the URL .../amsmodule.sendsms.v6.php, its PHP
#    example POSTs /smsmod/amsmodule.sendsms.v2.php to another host: the
#    plugin uses the URL of the section (the simulator serves both).
#  - the PHP example's body "clientcode=...&passcode=...& info=
#    login_a_verifier" has stray spaces around info: we send none.
#  - the example answer says Status=100 with "StatusText= Compte actif",
#    where the table of section 3.3 says 300 Compte actif: the simulator
#    answers 300, and its fault code=100 answers the example's exact shape.
. "$top_srcdir/tests/allmysms/common.sh"

# --- section 3.2's example: Status=100, StatusText= Compte actif, Credits=416
sim_reset
sim_ctl POST "account?provider=allmysms&login=$LOGIN&credit=416" >/dev/null
sim_fault allmysms code "code=100&count=1"
mms credit --provider mms
assert_eq 0 "$RC" "example_credit_exits_0"
assert_post "credit_request_matches_the_document" "$TOOL_PATH" \
  "clientcode=$LOGIN&passcode=$PASS&info=$LOGIN"
assert_json '.credits[0].provider' mms "credit_json_names_the_provider"
assert_json '.credits[0].credit' 416 "example_credit_416_is_read"
assert_json '.credits[0].credit | type' number "credit_json_is_a_number"
sim_fault allmysms code "code=100&count=1"
assert_eq "$(printf 'Status=100\nStatusText= Compte actif\nCredits=416')" \
  "$(curl -s -d "clientcode=$LOGIN&passcode=$PASS&info=$LOGIN" "$SIM_URL$TOOL_PATH")" \
  "simulator_fault_100_answers_the_example_verbatim"

# --- section 3.3's table: 300 Compte actif -----------------------------------
sim_reset
mms credit --provider mms
assert_eq 0 "$RC" "credit_exits_0"
assert_json '.credits[0].credit' 418 "status_300_credits_are_read"
assert_eq "$(printf 'Status=300\nStatusText=Compte actif\nCredits=418')" \
  "$(curl -s -d "clientcode=$LOGIN&passcode=$PASS&info=$LOGIN" "$SIM_URL$TOOL_PATH")" \
  "simulator_answers_status_300"

# credit goes down as MMS go out
mms send --provider mms --kind mms --to 0611111111,0622222222,0633333333 --text x
mms credit --provider mms
assert_json '.credits[0].credit' 415 "credit_goes_down_one_per_recipient"

# --- 301 / 302 / 303 about the instance's own account: auth ------------------
write_config accounts.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.inactif]
plugin = allmysms
base_url = @SIM@/allmysms
login = inactif
password = inactif-pass

[provider.wrong]
plugin = allmysms
base_url = @SIM@/allmysms
login = demo
password = nope
EOF2
sim_reset
run_smsmux --config "$TMP/accounts.ini" --json credit --provider inactif
assert_eq 1 "$RC" "inactive_account_credit_exits_1"
assert_json '.credits[0].error.class' auth "inactive_account_status_303_is_auth"
assert_json '.credits[0].error.code' 303 "inactive_account_keeps_status_303"
assert_contains "$(jqr '.credits[0].error.message')" "Compte inactif" \
  "inactive_account_quotes_the_status_text"
run_smsmux --config "$TMP/accounts.ini" --json credit --provider wrong
assert_json '.credits[0].error.class' auth "wrong_password_credit_is_auth"
assert_json '.credits[0].error.code' 102 "wrong_password_credit_is_status_102"
assert_not_contains "$OUT$ERR" "nope" "credit_error_does_not_show_the_password"
for c in 301:auth 302:auth 200:auth; do
  code=${c%%:*} class=${c#*:}
  sim_reset
  sim_fault allmysms code "code=$code&count=1"
  mms credit --provider mms
  assert_json '.credits[0].error.class' "$class" "credit_status_${code}_is_${class}"
  assert_json '.credits[0].error.code' "$code" "credit_status_${code}_keeps_the_raw_code"
done
# 302's StatusText has an accent: ISO-8859-1 bytes, read as such
sim_fault allmysms code "code=302&count=1"
mms credit --provider mms
assert_contains "$(jqr '.credits[0].error.message')" \
  "Vous n'avez pas accès aux informations" "tool_status_text_is_read_as_iso_8859_1"
assert_eq "text/html; charset=ISO-8859-1" \
  "$(curl -s -o /dev/null -w '%{content_type}' -d "clientcode=$LOGIN&passcode=$PASS&info=x" \
     "$SIM_URL$TOOL_PATH")" "tool_answers_declare_iso_8859_1"

# --- unreadable answers and transport ------------------------------------------
sim_reset
sim_fault allmysms garbage "count=1"
mms credit --provider mms
assert_json '.credits[0].error.class' temporary "unreadable_credit_is_temporary"
sim_reset
sim_fault allmysms down "count=1"
mms credit --provider mms
assert_json '.credits[0].error.class' temporary "credit_http_503_is_temporary"

# --- call account-info info=LOGIN ------------------------------------------------
write_config demo.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.demo]
plugin = allmysms
base_url = @SIM@/allmysms
login = demo
password = demo-pass
EOF2
info() { run_smsmux --config "$TMP/demo.ini" --json call --provider demo account-info "info=$1"; }
sim_reset
info perso
assert_eq 0 "$RC" "account_info_exits_0"
assert_eq "POST $TOOL_PATH clientcode=demo&passcode=demo-pass&info=perso" \
  "$(req '"\(.method) \(.path) \(.body)"')" "account_info_request_matches_the_document"
assert_json '.records[0] | "\(.info) \(.status) \(.state) \(.credits) \(.text)"' \
  'perso 300 active 1000 Compte actif' "account_info_of_a_sub_account_is_active"
info inactif
assert_json '.records[0] | "\(.status) \(.state) \(.text)"' '303 inactive Compte inactif' \
  "account_info_303_is_inactive"
info nobody
assert_eq 0 "$RC" "account_info_of_an_unknown_login_exits_0"
assert_json '.records[0] | "\(.status) \(.state) \(.text)"' '301 nonexistent Compte inexistant' \
  "account_info_301_is_nonexistent"
info votrecodeclient
assert_error auth 1 "account_info_302_no_access_is_auth"
assert_json '.error.code' 302 "account_info_302_keeps_the_raw_code"
run_smsmux --config "$TMP/demo.ini" --json call --provider demo account-info
assert_error input 2 "account_info_without_info_is_refused"
assert_contains "$(jqr '.error.message')" "info" "account_info_without_info_names_it"

# --- the password never shows in traces ------------------------------------------
sim_reset
run_smsmux --config "$CONFIG" --verbose --json credit --provider mms
assert_contains "$ERR" "passcode=***" "verbose_credit_redacts_passcode"
assert_not_contains "$ERR$OUT" "$PASS" "verbose_credit_hides_the_password"

finish
