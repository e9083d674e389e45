#!/bin/sh
# Mediasflow conformance: `smsmux send` as /campaigns/inject (guide 2.1):
# the JSON body (listRecipient, msg, startNow, sender, typeSelect, then the
# options), startNow true in one request (the default) or startNow false
# then {"campaignId", "startNow": true} (2.1.3.2), the encoding from the
# text, scheduleOn from --at, and the rules checked before any request:
# sender (3 to 11 letters/digits, not only digits), scheduleOn at least 5
# minutes ahead, the account's SMS per message.
. "$top_srcdir/tests/mediasflow/common.sh"

send() { mf send --provider mf --to +33632545311 "$@"; }
last_campaign() { sim_mf_ctl GET messages | jq -r ".[-1] | $1"; }
inject_count() { sim_requests mediasflow | jq '[.[] | select(.path | endswith("/campaigns/inject"))] | length'; }

# --- the simplest send ------------------------------------------------------
sim_reset
send --text 'Bonjour'
assert_eq 0 "$RC" "send_exits_0"
assert_request "send_posts_campaigns_inject" POST "$API/campaigns/inject" ""
assert_eq "application/json" "$(req '.content_type')" "send_body_is_json"
# member order as in the guide's example 2.1.2; the number as it writes it
assert_eq '{"listRecipient":[{"mobile":"0632545311"}],"msg":"Bonjour","startNow":true,"allowUCS2":false,"autoREPLACETOGSM7":false}' \
  "$(req '.body')" "send_body_byte_for_byte"
ID=$(last_campaign .id)
assert_json '.id' "$ID" "send_id_is_the_campaign_id"
assert_json '.recipients[0].to + " " + .recipients[0].status' "+33632545311 accepted" \
  "send_recipient_accepted"
assert_json '.recipients[0].code' INJECTED "send_recipient_code_is_the_campaign_status"
assert_eq INJECTED "$(last_campaign .status)" "send_campaign_injected_at_once"
assert_eq 1 "$(inject_count)" "send_is_one_request"

# several recipients, one campaign; a foreign number in international digits
sim_reset
mf send --provider mf --to +33632545311,+447700900123 --text 'Hi'
assert_eq 0 "$RC" "send_two_recipients_exits_0"
assert_body "send_two_recipients_in_one_listRecipient" \
  '{"listRecipient":[{"mobile":"0632545311"},{"mobile":"447700900123"}],"msg":"Hi","startNow":true,"allowUCS2":false,"autoREPLACETOGSM7":false}'
assert_json '[.recipients[].status] | join(",")' "accepted,accepted" "send_two_recipients_accepted"

# --- encoding -----------------------------------------------------------------
sim_reset
send --text 'Merci — à bientôt'
assert_eq 0 "$RC" "unicode_send_exits_0"
assert_json '.encoding' ucs2 "unicode_text_is_ucs2"
assert_eq "true false" "$(req_body | jq -r '"\(.allowUCS2) \(.autoREPLACETOGSM7)"')" \
  "unicode_text_sends_allowUCS2_true"
assert_eq 'Merci — à bientôt' "$(last_campaign '.recipients_state[0].text')" \
  "unicode_text_reaches_the_phone_unchanged"
sim_reset
send --text 'Ça coûte 5 € chez François' --option autoREPLACETOGSM7=true
assert_eq "false true" "$(req_body | jq -r '"\(.allowUCS2) \(.autoREPLACETOGSM7)"')" \
  "autoREPLACETOGSM7_option_sends_gsm7_with_replacement"
assert_eq 'Ça coute 5 € chez Francois' "$(last_campaign '.recipients_state[0].text')" \
  "autoREPLACETOGSM7_replaces_accents"

# --- options ---------------------------------------------------------------------
sim_reset
printf '[{"index": 0, "type": "REDIRECT", "urlToRedirect": "https://example.org/a"}]' >"$TMP/tiny.json"
mf send --provider mf --to +33632545311 --text 'Info : ${track_1}' --subject 'Rappel RDV' \
  --option typeSelect=NOTIFICATION --option checkDuplicate=false \
  --option billingCode=FACT-2024 --option tinyList=@"$TMP/tiny.json" \
  --option renderer=BASIC --option brand=Boutique --option autoREPLACEEMOJI=no \
  --option unknownThing=1
assert_eq 0 "$RC" "send_with_options_exits_0"
assert_eq 'listRecipient,msg,startNow,typeSelect,campaignName,renderer,allowUCS2,autoREPLACEEMOJI,autoREPLACETOGSM7,checkDuplicate,billingCode,brand,tinyList' \
  "$(req '.body | fromjson | keys_unsorted | join(",")')" "send_options_in_guide_order_tinyList_last"
assert_body "send_options_values" \
  '{"listRecipient":[{"mobile":"0632545311"}],"msg":"Info : ${track_1}","startNow":true,"typeSelect":"NOTIFICATION","campaignName":"Rappel RDV","renderer":"BASIC","allowUCS2":false,"autoREPLACEEMOJI":false,"autoREPLACETOGSM7":false,"checkDuplicate":false,"billingCode":"FACT-2024","brand":"Boutique","tinyList":[{"index":0,"type":"REDIRECT","urlToRedirect":"https://example.org/a"}]}'
assert_eq 38184 "$(last_campaign .shortCode)" "notification_campaign_uses_the_38xxx_sender"
assert_eq "Info : https://1mf.eu/$(last_campaign .id)01" "$(last_campaign '.recipients_state[0].text')" \
  "tinyList_track_1_becomes_a_short_url"
send --text x --option tinyList='[{"index": 0}]'
assert_eq '[{"index":0}]' "$(req '.body | fromjson | .tinyList | tostring')" "tinyList_option_inline_json"

N=$(req_count)
send --text x --option typeSelect=PROMO
assert_error input 2 "bad_typeSelect_is_an_input_error"
assert_contains "$(jqr '.error.message')" "MKG" "bad_typeSelect_names_the_values"
send --text x --option checkDuplicate=peut-etre
assert_error input 2 "bad_checkDuplicate_is_an_input_error"
send --text x --option tinyList='{not json'
assert_error input 2 "bad_tinyList_is_an_input_error"
send --text x --option startNow=later
assert_error input 2 "bad_startNow_is_an_input_error"
assert_eq "$N" "$(req_count)" "bad_options_send_nothing"

# --ref: the extended key REF of each recipient (the guide's example 2.1.2)
sim_reset
send --text 'Bonjour' --ref 'CMD-42'
assert_body "ref_is_the_REF_extended_key" \
  '{"listRecipient":[{"mobile":"0632545311","extendedKeys":[{"keyName":"REF","keyValue":"CMD-42"}]}],"msg":"Bonjour","startNow":true,"allowUCS2":false,"autoREPLACETOGSM7":false}'

# --- sender -------------------------------------------------------------------------
sim_reset
send --text x --from Emetteur1
assert_eq 0 "$RC" "alphanumeric_sender_exits_0"
assert_eq Emetteur1 "$(req '.body | fromjson | .sender')" "sender_is_sent"
assert_eq "listRecipient,msg,startNow,sender,allowUCS2,autoREPLACETOGSM7" \
  "$(req '.body | fromjson | keys_unsorted | join(",")')" "sender_after_startNow_as_in_the_guide"
N=$(req_count)
# smsmux takes a phone number as a sender; Mediasflow does not ("il ne
# peut pas contenir que des chiffres")
# (the instance tells the router at open, ABI 1.2: it is passed over, and
# with no other provider nothing can take the message)
send --text x --from 0612345678
assert_error input 2 "digits_only_sender_is_an_input_error"
assert_contains "$(jqr '.error.message')" "mf: refuses numeric senders" "digits_only_sender_names_the_rule"
assert_eq "$N" "$(req_count)" "refused_sender_sends_nothing"

# --- scheduleOn ----------------------------------------------------------------------
sim_reset
AT=$(at_in 900)
WANT=$(date -u -d "$AT" '+%Y-%m-%dT%H:%M:%SZ')
send --text 'Plus tard' --at "$AT"
assert_eq 0 "$RC" "scheduled_send_exits_0"
assert_eq "$WANT" "$(req '.body | fromjson | .scheduleOn')" "scheduleOn_is_utc_in_the_guide_format"
assert_json '.recipients[0].status' scheduled "scheduled_recipient_is_scheduled"
assert_eq SCHEDULED "$(last_campaign .status)" "scheduled_campaign_is_scheduled"
N=$(req_count)
send --text 'Trop tot' --at "$(at_in 120)"
assert_error input 2 "schedule_under_5_minutes_is_an_input_error"
assert_contains "$(jqr '.error.message')" "mf: schedules only 300 s or more ahead" "schedule_too_close_names_the_rule"
assert_eq "$N" "$(req_count)" "schedule_too_close_sends_nothing"

# --- SMS per message (160 / 70 characters unless Mediasflow raised it) --------
sim_reset
LONG=$(printf 'x%.0s' $(seq 1 200))
send --text "$LONG"
assert_error input 2 "two_sms_text_is_refused_for_a_default_account"
assert_contains "$(jqr '.error.message')" "mf: the text takes 2 segments, this provider sends at most 1" "too_long_names_the_limit"
assert_eq 0 "$(req_count)" "too_long_sends_nothing"
write_config long.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.mf]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
login = demo
password = demo-password
max_sms = 2
EOF2
sim_mf_ctl POST account "login=demo&max_sms=2" >/dev/null
run_smsmux --config "$TMP/long.ini" --json send --provider mf --to +33632545311 --text "$LONG"
assert_eq 0 "$RC" "max_sms_2_sends_two_sms"
assert_eq 2 "$(last_campaign '.recipients_state[0].segments')" "two_sms_text_costs_two"
sim_reset
write_config badmax.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.mf]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
login = demo
password = demo-password
max_sms = 9
EOF2
run_smsmux --config "$TMP/badmax.ini" --json send --provider mf --to +33632545311 --text x
assert_error config 2 "max_sms_over_6_is_a_config_error"

# --- startNow false: prepare, check, inject by campaignId (2.1.3) ------------
sim_reset
send --text 'Bonjour' --option startNow=false
assert_eq 0 "$RC" "validated_send_exits_0"
assert_eq 2 "$(inject_count)" "validated_send_is_two_requests"
assert_eq false "$(req '.body | fromjson | .startNow' 1)" "validated_send_prepares_with_startNow_false"
ID=$(last_campaign .id)
# 2.1.3.2, byte for byte (the guide pretty-prints it)
assert_eq "{\"campaignId\":$ID,\"startNow\":true}" "$(req '.body' 2)" \
  "validated_send_injects_by_campaignId"
assert_json '.id' "$ID" "validated_send_id_is_the_campaign"
assert_eq INJECTED "$(last_campaign .status)" "validated_campaign_injected"
write_config nostart.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.mf]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
login = demo
password = demo-password
start_now = no
EOF2
sim_reset
run_smsmux --config "$TMP/nostart.ini" --json send --provider mf --to +33632545311 --text x
assert_eq 2 "$(inject_count)" "start_now_no_in_config_validates"
run_smsmux --config "$TMP/nostart.ini" --json send --provider mf --to +33632545311 --text x \
  --option startNow=true
assert_eq 3 "$(inject_count)" "startNow_option_overrides_the_config"

# validation finds no valid recipient: nothing injected
sim_reset
mf call --provider mf blacklist-add item=+33632545311
send --text 'Bonjour' --option startNow=false
assert_error invalid 1 "validated_send_without_valid_recipient_is_invalid"
assert_contains "$(jqr '.error.message')" "blacklisted 1" "validated_send_says_why"
assert_eq 1 "$(inject_count)" "validated_send_without_valid_recipient_injects_nothing"
assert_eq DRAFT "$(last_campaign .status)" "validated_send_leaves_a_draft"
# in one request the refusal comes from Mediasflow
send --text 'Bonjour'
assert_error invalid 1 "send_to_blacklisted_only_is_invalid"
assert_eq "HTTP 400" "$(jqr '.error.code')" "send_to_blacklisted_only_keeps_the_http_code"
# one of two blacklisted: the campaign goes, the status says which
mf send --provider mf --to +33632545311,+33632545312 --text 'Bonjour'
assert_eq 0 "$RC" "partly_blacklisted_send_exits_0"
assert_contains "$ERR" "took 1 of the 2" "partly_blacklisted_send_warns"
mf status --provider mf "$(jqr '.id')"
assert_json '[.recipients[] | "\(.to) \(.status) \(.code)"] | join(",")' \
  "+33632545311 rejected 14,+33632545312 accepted 1" "partly_blacklisted_status_shows_which"

# --- the router knows the account's limits (ABI 1.2): with another provider
# in the route, a message Mediasflow cannot take goes there (issue 11:
# these used to stop on invalid/input with no failover)
write_config fallback.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-fallback
routes = both

[provider.mf]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
login = demo
password = demo-password

[provider.sm]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token

[route.both]
providers = mf, sm
EOF2
FB="--config $TMP/fallback.ini --json"
sim_reset
N=$(req_count)
run_smsmux $FB send --to +33632545311 --text 'Trop tot' --at "$(at_in 120)"
assert_eq 0 "$RC" "too_close_schedule_fails_over_exits_0"
assert_json .provider sm "too_close_schedule_goes_to_the_next_provider"
run_smsmux $FB send --to +33632545311 --text "$LONG"
assert_eq 0 "$RC" "two_sms_text_fails_over_exits_0"
assert_json .provider sm "two_sms_text_goes_to_the_next_provider"
run_smsmux $FB route --to +33632545311 --text 'x' --from 0612345678
assert_json '[.candidates[] | "\(.provider) \(.chosen)"] | join(",")' "sm true,mf false" \
  "digits_only_sender_goes_to_the_next_provider"
assert_json '.candidates[1].reason' 'refuses numeric senders (sender "0612345678")' \
  "route_says_mediasflow_refuses_numeric_senders"
assert_eq "$N" "$(req_count)" "mediasflow_was_asked_nothing"
run_smsmux $FB send --to +33632545311 --text 'Plus tard' --at "$(at_in 900)"
assert_json .provider mf "far_enough_schedule_stays_with_mediasflow"

finish
