#!/bin/sh
# AllMySMS conformance: every Status of section 2.2 as an error class
# (JSON .error.class) and exit status, the simulator's accounts that
# produce them for real, and the failures of the transport.
#   102 auth, 103 104 credit, 105..113 invalid, 114 temporary (the media
#   could not be downloaded), 115 invalid, 116 117 temporary, 118..123
#   invalid, 200 auth; a Status the document does not list: unknown
#   outcome (exit 3), as it may be a success.
. "$top_srcdir/tests/allmysms/common.sh"

send_one() { mms send --provider mms --kind mms --to 0611111111 --text Bonjour; }

for c in 102:auth 103:credit 104:credit 105:invalid 106:invalid 107:invalid \
         108:invalid 109:invalid 110:invalid 111:invalid 112:invalid \
         113:invalid 114:temporary 115:invalid 116:temporary 117:temporary \
         118:invalid 119:invalid 120:invalid 121:invalid 122:invalid \
         123:invalid 200:auth; do
  code=${c%%:*} class=${c#*:}
  sim_reset
  sim_fault allmysms code "code=$code&count=1"
  send_one
  assert_error "$class" 1 "status_${code}_is_${class}"
  assert_json '.error.code' "$code" "status_${code}_keeps_the_raw_code"
  assert_json '[.recipients[] | select(.status == "accepted" or .status == "scheduled")] | length' \
    0 "status_${code}_accepts_no_recipient"
done
# the message quotes StatusText, read from ISO-8859-1
sim_reset
sim_fault allmysms code "code=121&count=1"
send_one
assert_contains "$(jqr '.error.message')" \
  'Status=121 Flux XML invalide ou date mal formatée entre les balises <DATE> et </DATE>' \
  "status_text_is_quoted_in_utf8"

sim_reset
sim_fault allmysms code "code=150&count=1"
send_one
assert_error unknown_outcome 3 "status_not_in_the_document_may_have_been_sent"
assert_json '.error.code' 150 "status_not_in_the_document_keeps_the_raw_code"
assert_json '.possibly_sent' true "status_not_in_the_document_possibly_sent"

# --- the simulator's accounts --------------------------------------------------
write_config accounts.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.wrong]
plugin = allmysms
base_url = @SIM@/allmysms
login = votrecodeclient
password = not-the-password

[provider.poor]
plugin = allmysms
base_url = @SIM@/allmysms
login = poor
password = poor-pass

[provider.inactif]
plugin = allmysms
base_url = @SIM@/allmysms
login = inactif
password = inactif-pass
EOF2
acct() { run_smsmux --config "$TMP/accounts.ini" --json send --kind mms --to 0611111111 --text x "$@"; }
sim_reset
acct --provider wrong
assert_error auth 1 "wrong_password_is_auth"
assert_json '.error.code' 102 "wrong_password_is_status_102"
assert_contains "$(jqr '.error.message')" "Aucun compte ne correspond" \
  "wrong_password_quotes_the_status_text"
assert_not_contains "$OUT$ERR" "not-the-password" "auth_error_does_not_show_the_password"
acct --provider poor
assert_error credit 1 "empty_account_is_credit"
assert_json '.error.code' 103 "empty_account_is_status_103"
acct --provider inactif
assert_error auth 1 "account_without_the_module_is_auth"
assert_json '.error.code' 200 "account_without_the_module_is_status_200"
sim_ctl POST "account?provider=allmysms&login=$LOGIN&credit=1" >/dev/null
mms send --provider mms --kind mms --to 0611111111,0622222222 --text x
assert_error credit 1 "short_credit_is_credit"
assert_json '.error.code' 104 "short_credit_is_status_104"
assert_contains "$(jqr '.error.message')" "A utiliser: 2 Crédits, Disponibles: 1 Crédits" \
  "short_credit_says_what_is_needed"

# --- failover: credit moves on to the next MMS provider -------------------------
write_config failover.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.poor]
plugin = allmysms
base_url = @SIM@/allmysms
login = poor
password = poor-pass

[provider.demo]
plugin = allmysms
base_url = @SIM@/allmysms
login = demo
password = demo-pass
EOF2
sim_reset
run_smsmux --config "$TMP/failover.ini" --json send --kind mms --to 0611111111 --text x
assert_eq 0 "$RC" "credit_failover_exits_0"
assert_json '[.attempts[] | "\(.provider) \(.result) \(.class)"] | join(",")' \
  'poor failed credit,demo ok ok' "credit_failover_tries_the_next_instance"

# --- transport failures -----------------------------------------------------------
sim_reset
sim_fault allmysms down "count=1"
send_one
assert_error temporary 1 "http_503_is_temporary"
sim_reset
sim_fault allmysms http500 "count=1"
send_one
assert_error unknown_outcome 3 "http_500_may_have_been_sent"
sim_reset
sim_fault allmysms garbage "count=1"
send_one
assert_error unknown_outcome 3 "unreadable_answer_may_have_been_sent"
assert_contains "$(jqr '.error.message')" "unreadable" "unreadable_answer_says_so"
assert_json '.possibly_sent' true "unreadable_answer_possibly_sent"
sim_reset
sim_fault allmysms close "count=1"
send_one
assert_error unknown_outcome 3 "cut_connection_may_have_been_sent"
# (its own state: the failures above opened the circuit breaker of "mms")
write_config slow.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-slow
timeout = 1

[provider.mms]
plugin = allmysms
base_url = @SIM@/allmysms
login = votrecodeclient
password = votremotdepasse
EOF2
sim_reset
sim_fault allmysms timeout_after_accept "count=1&ms=3000"
run_smsmux --config "$TMP/slow.ini" --json send --kind mms --to 0611111111 --text x
assert_error unknown_outcome 3 "timeout_after_accept_may_have_been_sent"
assert_eq 1 "$(sim_ctl GET 'messages?provider=allmysms' | jq length)" \
  "timeout_after_accept_was_in_fact_accepted"

finish
