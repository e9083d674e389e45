#!/bin/sh
# AllMySMS conformance: the answer of section 2 (Status, StatusText,
# Credits, InvalidNums, CampaignID, then IDs= and the <RECOVERIDS> tree of
# section 2.1 over several lines), in ISO-8859-1, as `smsmux send --json`
# shows it.
#
# The document's example answer cannot come back byte for byte through
# smsmux: its InvalidNums (0400000000, a landline, and 06XXzsqsd, no
# number at all) are refused by smsmux before anything is sent, and its
# CampaignID "hbhvirbvc" is one value of a random identifier.  The
# simulator answers the same shape: it refuses well-formed numbers ending
# in 99 (InvalidNums), gives nine lower-case letters as CampaignID, and the
# account of the PHP example starts with 418 credits so that the example's
# two numbers leave the example's Credits=416.  tests/allmysms/simulator.sh
# sends the example's own numbers straight to the simulator.
. "$top_srcdir/tests/allmysms/common.sh"

# --- the example: two numbers, Status=100, Credits=416 -------------------------
sim_reset
mms send --provider mms --kind mms --to 0600000000,0611111111 --text message
assert_eq 0 "$RC" "example_answer_send_exits_0"
assert_json '.provider' mms "example_answer_names_the_provider"
ID=$(jqr '.id')
assert_eq 1 "$(printf '%s' "$ID" | grep -c '^[a-z]\{9\}$')" \
  "example_answer_campaign_id_is_the_message_id"
assert_eq "$ID" "$(sim_ctl GET 'messages?provider=allmysms' | jq -r '.[-1].id')" \
  "example_answer_campaign_id_is_the_simulator_s"
assert_json '[.recipients[].to] | join(",")' '+33600000000,+33611111111' \
  "example_answer_lists_both_recipients_in_e164"
assert_json '[.recipients[].status] | unique | join(",")' accepted \
  "example_answer_recipients_accepted"
assert_json '.recipients[0].code' 100 "example_answer_keeps_status_100"
# the simulator sends "Le message a été envoyé" as ISO-8859-1 bytes
assert_json '.recipients[0].text' 'Le message a été envoyé' \
  "example_answer_status_text_read_as_iso_8859_1"
assert_json '[.recipients[].id] | unique | join(",")' "$ID" \
  "example_answer_recipient_ids_are_the_campaign_id"
assert_json '.attempts[0].result' ok "example_answer_attempt_ok"
assert_json 'has("error")' false "example_answer_has_no_error"
assert_eq 416 "$(sim_ctl GET "account?provider=allmysms&login=$LOGIN" | jq -r .credit)" \
  "example_answer_leaves_credits_416"
# the answer's own bytes
assert_eq "$(printf 'Status=100\nStatusText=Le message a \351t\351 envoy\351\nCredits=415\n')" \
  "$(sim_flow "$LOGIN" "$PASS" \
     '<DATA><CLIENT>VOTRECODECLIENT</CLIENT><MOBILEPHONE>0611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>' \
     | head -n 3)" "example_answer_lines_are_iso_8859_1"
assert_eq text/html "$(cat "$TMP/answer.type")" "mms_module_answers_declare_no_charset"

# --- InvalidNums: those recipients rejected, the others accepted -------------
sim_reset
mms send --provider mms --kind mms --to 0600000099,0611111111,0622222299 --text x
assert_eq 1 "$RC" "invalid_nums_exit_1_as_some_were_refused"
assert_json '[.recipients[] | "\(.to) \(.status)"] | join(",")' \
  '+33600000099 rejected,+33611111111 accepted,+33622222299 rejected' \
  "invalid_nums_recipients_rejected_others_accepted"
assert_json '.recipients[0].text' 'refused by AllMySMS (listed in InvalidNums)' \
  "invalid_nums_rejection_says_why"
assert_json '.recipients[1].code' 100 "invalid_nums_accepted_one_keeps_status_100"
assert_json 'has("error")' false "invalid_nums_is_no_error_of_the_send"
assert_eq 417 "$(sim_ctl GET "account?provider=allmysms&login=$LOGIN" | jq -r .credit)" \
  "invalid_nums_cost_nothing"

# --- DATE: Status=101, recipients scheduled -----------------------------------
sim_reset
mms send --provider mms --kind mms --to 0611111111 --text x --at '2035-01-02 03:04:05'
assert_eq 0 "$RC" "deferred_send_exits_0"
assert_json '.recipients[0].status' scheduled "deferred_send_recipient_scheduled"
assert_json '.recipients[0].code' 101 "deferred_send_keeps_status_101"
assert_json '.recipients[0].text' 'Le message a été programmé pour un envoi différé' \
  "deferred_send_status_text"
assert_eq '2035-01-02 03:04:05' \
  "$(sim_ctl GET 'messages?provider=allmysms' | jq -r '.[-1].date')" \
  "deferred_send_date_reaches_the_platform"

# --- no CampaignID ("dans le cas d'un compte pro"): no message id -------------
write_config perso.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.perso]
plugin = allmysms
base_url = @SIM@/allmysms
login = perso
password = perso-pass
EOF2
sim_reset
run_smsmux --config "$TMP/perso.ini" --json send --kind mms --to 0611111111 --text x
assert_eq 0 "$RC" "non_pro_send_exits_0"
assert_eq 0 "$(sim_flow perso perso-pass \
  '<DATA><CLIENT>PERSO</CLIENT><MOBILEPHONE>0611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>' \
  | grep -c '^CampaignID=')" "non_pro_answers_carry_no_campaign_id"
assert_eq 1 "$(sim_flow demo demo-pass \
  '<DATA><CLIENT>DEMO</CLIENT><MOBILEPHONE>0611111111</MOBILEPHONE><MSGCLASS>0</MSGCLASS><MESSAGE>x</MESSAGE></DATA>' \
  | grep -c '^CampaignID=')" "pro_answers_carry_a_campaign_id"
assert_json '.id' null "non_pro_send_has_no_message_id"
assert_json '.recipients[0].status' accepted "non_pro_send_recipient_accepted"

# --- routing: an MMS goes to the provider that declares mms -------------------
write_config routed.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.sms]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token

[provider.mms]
plugin = allmysms
base_url = @SIM@/allmysms
login = demo
password = demo-pass
EOF2
sim_reset
run_smsmux --config "$TMP/routed.ini" --json send --to 0611111111 --text 'Photo' \
  --image http://www.example.com/p.jpg
assert_eq 0 "$RC" "routed_mms_exits_0"
assert_json '.provider' mms "mms_is_routed_to_allmysms"
assert_eq 0 "$(sim_requests smsmode | jq length)" "mms_never_reaches_smsmode"
sim_reset
run_smsmux --config "$TMP/routed.ini" --json send --to 0611111111 --text 'Bonjour'
assert_json '.provider' sms "sms_is_routed_to_smsmode"
assert_eq 0 "$(req_count)" "sms_never_reaches_allmysms"
run_smsmux --config "$TMP/routed.ini" --json providers
assert_eq 'balance,mms,schedule' \
  "$(jqr '.providers[] | select(.name == "mms") | .capabilities | sort | join(",")')" \
  "descriptor_declares_mms_schedule_balance_only"
assert_eq 'account-info(info)' \
  "$(jqr '.providers[] | select(.name == "mms") | .operations | join(",")')" \
  "descriptor_lists_account_info"

finish
