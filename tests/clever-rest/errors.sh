#!/bin/sh
# Clever REST conformance: the response codes of the document (2.3 and each
# function's table) as error classes and exit statuses - 401/403 auth, 402
# credit, 430 "Account expired YYYY-mm-JJ" auth with that message, 409
# invalid, 503 temporary, the others through the host's standard mapping
# (400/404 invalid, 405 permanent, 500/501 unknown outcome on a send and
# temporary on a read) - the simulator's faults, the accounts of the
# simulator, secrets kept out of traces and JSON, and the descriptor.
. "$top_srcdir/tests/clever-rest/common.sh"

send_one() { cr send --provider clever --to +33600000001 --text 'Bonjour'; }

# --- each code of the document, on a send -----------------------------------------
for c in 400:invalid:1 401:auth:1 402:credit:1 403:auth:1 404:invalid:1 405:permanent:1 \
         409:invalid:1 430:auth:1 500:unknown_outcome:3 501:unknown_outcome:3 \
         503:temporary:1; do
  code=${c%%:*} rest=${c#*:} class=${rest%%:*} rc=${rest#*:}
  sim_reset
  sim_fault clever-rest code "code=$code&count=1"
  send_one
  assert_error "$class" "$rc" "send_http_${code}_is_${class}"
  assert_json '.error.code' "HTTP $code" "send_http_${code}_keeps_the_raw_code"
  assert_json '[.recipients[] | select(.status == "accepted")] | length' 0 \
    "send_http_${code}_accepts_no_recipient"
done
sim_reset
sim_fault clever-rest code "code=430&count=1"
send_one
assert_contains "$(jqr .error.message)" "Account expired 2017-10-12" \
  "send_http_430_quotes_the_expiry_date"
assert_contains "$(jqr .error.message)" "expired" "send_http_430_says_the_account_expired"
sim_reset
sim_fault clever-rest code "code=402&count=1"
send_one
assert_contains "$(jqr .error.message)" "Payment Required" "send_http_402_quotes_the_provider"

# the same codes from reads: 500 is temporary there (nothing changed)
sim_reset
sim_fault clever-rest code "code=500&count=1"
cr credit --provider clever
assert_json '.credits[0].error.class' temporary "credit_http_500_is_temporary"
sim_reset
sim_fault clever-rest code "code=401&count=1"
cr credit --provider clever
assert_json '.credits[0].error.class' auth "credit_http_401_is_auth"
sim_reset
sim_fault clever-rest code "code=409&count=1"
op contact-create name=a lastname=b gsm_primary=+33612345678
assert_error invalid 1 "contact_create_http_409_is_invalid"
sim_reset
sim_fault clever-rest code "code=503&count=1"
op contact-list
assert_error temporary 1 "contact_list_http_503_is_temporary"
assert_contains "$(jqr .error.message)" "try again later" "http_503_says_try_later"

# --- the simulator's accounts: wrong password, no credit, expired -------------------
write_config accounts.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.wrong]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = clevertec
password = not-the-password

[provider.poor]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = poor
password = poor-pass

[provider.expired]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = expired
password = expired-pass
EOF2
sim_reset
run_smsmux --config "$TMP/accounts.ini" --json send --provider wrong --to +33600000001 --text x
assert_error auth 1 "send_with_wrong_password_is_auth"
assert_json '.error.code' "HTTP 401" "send_with_wrong_password_code_401"
assert_not_contains "$OUT$ERR" "not-the-password" "auth_error_does_not_show_the_password"
run_smsmux --config "$TMP/accounts.ini" --json send --provider poor --to +33600000001 --text x
assert_error credit 1 "send_without_credit_is_credit"
assert_json '.error.code' "HTTP 402" "send_without_credit_code_402"
run_smsmux --config "$TMP/accounts.ini" --json send --provider expired --to +33600000001 --text x
assert_error auth 1 "send_with_expired_account_430_is_auth"
assert_json '.error.code' "HTTP 430" "send_with_expired_account_code_430"
assert_contains "$(jqr .error.message)" "Account expired 2017-10-12" \
  "send_with_expired_account_says_when"
run_smsmux --config "$TMP/accounts.ini" --json credit --provider expired
assert_json '.credits[0].credit' 1000 "expired_account_can_still_read_its_profile_3.1_has_no_430"
assert_eq 0 "$(sim_ctl GET 'messages?provider=clever-rest' | jq length)" \
  "refused_sends_create_no_campaign"

# failover: no credit on the first instance, the second sends
write_config failover.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.poor]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = poor
password = poor-pass

[provider.good]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = clevertec
password = Clever2017
EOF2
run_smsmux --config "$TMP/failover.ini" --json send --to +33600000001 --text x
assert_eq 0 "$RC" "failover_after_402_exits_0"
assert_json '[.attempts[] | "\(.provider) \(.class)"] | join(",")' "poor credit,good ok" \
  "failover_after_402_moves_to_the_next_provider"

# --- transport faults ------------------------------------------------------------------
sim_reset
sim_fault clever-rest down "count=1"
send_one
assert_error temporary 1 "send_down_503_is_temporary"
sim_reset
sim_fault clever-rest http500 "count=1"
send_one
assert_error unknown_outcome 3 "send_http500_may_have_been_sent"
assert_json '.possibly_sent' true "send_http500_possibly_sent"
sim_reset
sim_fault clever-rest garbage "count=1"
send_one
assert_error unknown_outcome 3 "send_unreadable_answer_may_have_been_sent"
assert_contains "$(jqr '.error.message')" "unreadable" "send_unreadable_answer_says_so"
sim_reset
sim_fault clever-rest close "count=1"
send_one
assert_error unknown_outcome 3 "send_cut_connection_may_have_been_sent"
sim_reset
sim_fault clever-rest garbage "count=1"
cr credit --provider clever
assert_json '.credits[0].error.class' temporary "credit_unreadable_answer_is_temporary"
sim_reset
sim_fault clever-rest garbage "count=1"
cr status --provider clever Push20171012135655
assert_error temporary 1 "status_unreadable_answer_is_temporary"
sim_reset
sim_fault clever-rest garbage "count=1"
# A cancel or a campaign operation may have been carried out: like a send,
# it ends "outcome unknown" (exit 3).  Only reads (status, credit, replies,
# GET requests) turn an unknown outcome into temporary (core/host.c
# call_settle, and accepts_nothing on the plugin's GET requests).
cr cancel --provider clever Push20171012135655
assert_error unknown_outcome 3 "cancel_unreadable_answer_is_unknown_outcome"
assert_contains "$(jqr .error.message)" "may have been carried out" \
  "cancel_unreadable_answer_says_it_may_have_been_done"
sim_reset
sim_fault clever-rest garbage "count=1"
op push-mail text=x email_list=a@example.org email_subject=s
assert_error unknown_outcome 3 "push_mail_unreadable_answer_is_unknown_outcome"
assert_contains "$(jqr .error.message)" "may have been carried out" \
  "push_mail_unreadable_answer_says_it_may_have_been_sent"
sim_reset
sim_fault clever-rest close "count=1"
op contact-list
assert_error temporary 1 "contact_list_cut_connection_is_temporary"

# a timeout after the campaign was accepted: outcome unknown, and it was
# indeed created (and paid)
write_config slow.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 1

[provider.clever]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = clevertec
password = Clever2017
EOF2
sim_reset
sim_fault clever-rest timeout_after_accept "count=1&ms=3000"
run_smsmux --config "$TMP/slow.ini" --json send --provider clever --to +33600000001 --text x
assert_error unknown_outcome 3 "send_timeout_after_accept_is_unknown_outcome"
assert_eq 1 "$(sim_ctl GET 'messages?provider=clever-rest' | jq length)" \
  "send_timeout_after_accept_campaign_exists"

# --- the simulator's own checks --------------------------------------------------------
sim_reset
assert_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  "$SIM_URL$API/account/me")" "simulator_without_authorization_401"
assert_eq 400 "$(curl -s -o /dev/null -w '%{http_code}' -u "$LOGIN:$PASSWORD" \
  "$SIM_URL$API/account/me")" "simulator_without_json_content_type_400"
assert_eq 405 "$(sim_curl PATCH account/me -o /dev/null -w '%{http_code}')" \
  "simulator_other_method_405"
assert_eq 400 "$(sim_curl POST pushs -o /dev/null -w '%{http_code}' -d '{"text":"x"}')" \
  "simulator_body_without_datas_400"
assert_eq 400 "$(sim_curl POST pushs -o /dev/null -w '%{http_code}' \
  -d '{"datas":{"text":"x","number_list":"0600000001","encodage":3}}')" \
  "simulator_national_number_400"
assert_eq 400 "$(sim_curl POST pushs -o /dev/null -w '%{http_code}' \
  -d '{"datas":{"text":"x","number_list":"+33600000001"}}')" \
  "simulator_missing_encodage_400"
assert_eq '{"code":402,"message":"Payment Required"}' \
  "$(sim_fault clever-rest code 'code=402&count=1'; sim_curl GET account/me)" \
  "simulator_error_answer_is_json_code_and_message"

# --- secrets ---------------------------------------------------------------------------------
sim_reset
run_smsmux --config "$CONFIG" --json --verbose send --provider clever --to +33600000001 --text 'Bonjour'
assert_eq 0 "$RC" "verbose_send_exits_0"
assert_contains "$ERR" "Authorization: Basic ***" "verbose_trace_says_basic_but_hides_it"
assert_not_contains "$OUT$ERR" "$PASSWORD" "verbose_trace_and_json_hide_the_password"
assert_not_contains "$OUT$ERR" "${AUTH#Basic }" "verbose_trace_and_json_hide_the_basic_credentials"
assert_contains "$ERR" '"number_list":"+33600000001"' "verbose_trace_shows_the_json_body"
run_smsmux --config "$CONFIG" --json --verbose call --provider clever account
assert_not_contains "$OUT$ERR" "$PASSWORD" "verbose_call_hides_the_password"

# --- configuration and descriptor --------------------------------------------------------
write_config nologin.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.clever]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
password = Clever2017
EOF2
run_smsmux --config "$TMP/nologin.ini" --json credit --provider clever
assert_eq 2 "$RC" "missing_login_is_a_configuration_error"

cr providers
assert_json '.providers[0].plugin + " " + .providers[0].abi' "clever-rest $ABI_VERSION" \
  "providers_shows_the_clever_rest_plugin"
assert_json '.providers[0].capabilities | join(",")' \
  sms,unicode,voice,schedule,cancel,status,replies,balance,alphanumeric_sender \
  "providers_shows_the_clever_rest_capabilities"
assert_json '[.providers[0].operations[] | sub("\\(.*"; "")] | join(",")' \
  account,user-create,user-update,user-get,contact-create,contact-update,contact-get,contact-delete,contact-list,contact-list-user,push-mail,push-criteria,push-mail-criteria,push-broadcast,push-mail-broadcast,push-mail-delete,push-info,push-mail-info,push-mail-deliveries,field-list,predefined-messages \
  "providers_lists_the_clever_rest_operations"
assert_json '[.providers[0].operations[] | select(startswith("push-mail("))][0]' \
  'push-mail(text, email_list, email_subject, type_mail?, hd_send?, filename?, type_push?, open_tag?, duplicates?, datas?)' \
  "providers_lists_operation_parameters"
op no-such-op
assert_error unsupported 2 "unknown_operation_is_unsupported"

finish
