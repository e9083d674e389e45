#!/bin/sh
# sMsmode conformance: the answer codes of the guide and the failures of
# the transport, as error classes (JSON .error.class) and exit statuses:
# 31 temporary, 32 auth, 33 credit, 35 invalid, 41 invalid, 50 temporary,
# 61 invalid; exit 1 when the provider refused, 3 when the outcome is
# unknown (the message may have been sent).
. "$top_srcdir/tests/smsmode/common.sh"

send_one() { sms send --provider sms --to +33631234560 --text 'Bonjour'; }

for c in 31:temporary 32:auth 33:credit 35:invalid 41:invalid 50:temporary 61:invalid; do
  code=${c%%:*} class=${c#*:}
  sim_reset
  sim_fault smsmode code "code=$code&count=1"
  send_one
  assert_error "$class" 1 "send_answer_${code}_is_${class}"
  assert_json '.error.code' "$code" "send_answer_${code}_keeps_the_raw_code"
  assert_json '[.recipients[] | select(.status == "accepted" or .status == "scheduled")] | length' \
    0 "send_answer_${code}_accepts_no_recipient"
done

# the same codes from the other requests
sim_reset
sim_fault smsmode code "code=32&count=1"
sms credit --provider sms
assert_json '.credits[0].error.class' auth "credit_answer_32_is_auth"
assert_eq 1 "$RC" "credit_answer_32_exits_1"
sim_reset
sim_fault smsmode code "code=41&count=1"
sms call --provider sms sub-account-create newPseudo=bbbbb newPass=yyyyyy
assert_error invalid 1 "sub_account_create_answer_41_is_invalid"
assert_json '.error.code' 41 "sub_account_create_answer_41_keeps_the_raw_code"
sim_reset
sim_fault smsmode code "code=61&count=1"
sms cancel --provider sms 06000000
assert_error invalid 1 "cancel_answer_61_is_invalid"
assert_contains "$(jqr '.error.message')" "not found" "cancel_answer_61_says_not_found"
sim_reset
sim_fault smsmode code "code=50&count=1"
sms replies --provider sms
assert_error temporary 1 "replies_answer_50_is_temporary"

# accounts of the simulator: a wrong token, an empty account
write_config bad.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.wrong]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = not-a-token

[provider.poor]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = poor-token
EOF2
sim_reset
run_smsmux --config "$TMP/bad.ini" --json send --provider wrong --to +33631234560 --text x
assert_error auth 1 "send_with_unknown_token_is_auth"
assert_json '.error.code' 32 "send_with_unknown_token_code_32"
assert_not_contains "$OUT$ERR" "not-a-token" "auth_error_does_not_show_the_token"
run_smsmux --config "$TMP/bad.ini" --json send --provider poor --to +33631234560 --text x
assert_error credit 1 "send_without_credit_is_credit"
assert_json '.error.code' 33 "send_without_credit_code_33"

# transport failures
sim_reset
sim_fault smsmode down "count=1"
send_one
assert_error temporary 1 "send_http_503_is_temporary"
sim_reset
sim_fault smsmode http500 "count=1"
send_one
assert_error unknown_outcome 3 "send_http_500_may_have_been_sent"
sim_reset
sim_fault smsmode garbage "count=1"
send_one
assert_error unknown_outcome 3 "send_unreadable_answer_may_have_been_sent"
assert_contains "$(jqr '.error.message')" "unreadable" "send_unreadable_answer_says_so"
assert_json '.possibly_sent' true "send_unreadable_answer_possibly_sent"
sim_reset
sim_fault smsmode close "count=1"
send_one
assert_error unknown_outcome 3 "send_cut_connection_may_have_been_sent"
sim_reset
sim_fault smsmode garbage "count=1"
sms credit --provider sms
assert_json '.credits[0].error.class' temporary "credit_unreadable_answer_is_temporary"

# an answer cut by a NUL byte is unreadable, not "0 | Accepté" without an
# id; an id that is no short token (here 200 characters) is no id sMsmode
# gave: both unknown outcomes for a send, nothing stored as the id
hex_of() { printf '%b' "$1" | od -An -v -tx1 | tr -d ' \n'; }
sim_reset
sim_fault smsmode answer "type=text/plain&body_hex=$(hex_of '0 | Accept\0351\0000 | tIKKr4iMmGYo')&count=1"
send_one
assert_error unknown_outcome 3 "send_answer_cut_by_nul_may_have_been_sent"
assert_contains "$(jqr '.error.message')" "NUL byte at offset" "send_answer_cut_by_nul_says_so"
assert_json '.recipients[0].status' unknown "send_answer_cut_by_nul_recipient_unknown"
assert_json '.id' null "send_answer_cut_by_nul_stores_no_id"
LONG_ID=$(printf 'a%.0s' $(seq 1 200))
sim_reset
sim_fault smsmode answer "type=text/plain&body=0%20%7C%20Accepte%20%7C%20$LONG_ID&count=1"
send_one
assert_error unknown_outcome 3 "send_answer_with_a_200_character_id_may_have_been_sent"
assert_json '.id' null "send_answer_with_a_200_character_id_stores_no_id"
assert_contains "$(jqr '.error.message')" "unreadable" "send_answer_with_a_huge_id_is_unreadable"
sim_reset
sim_fault smsmode answer "type=text/plain&body=0%20%7C%20Accepte%20%7C%20id%3Cscript%3E&count=1"
send_one
assert_error unknown_outcome 3 "send_answer_with_an_id_of_other_characters_is_unreadable"
sim_reset
sim_fault smsmode answer "type=text/plain&body_hex=$(hex_of '1234\0000')&count=1"
sms credit --provider sms
assert_json '.credits[0].error.class' temporary "credit_answer_cut_by_nul_is_temporary"

finish
