#!/bin/sh
# tests/loop.sh's core on a PostgreSQL store (tests/pg.sh): the opt-out
# refusal of a send, a pushed report recorded, `smsmux status` from the
# history when the provider fails (store_message_of on PostgreSQL), a STOP
# reply honoured.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg.sh"
pg_start
pg_createdb loop
sim_start
TOOL="$top_builddir/tests/loop_tool"
write_config loop.ini <<EOF2
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
store = $(pg_url loop)
timeout = 2
breaker_failures = 0
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
hook_token = hook-secret
EOF2
CFG="$TMP/loop.ini"
tool() { "$TOOL" "$CFG" "$@" 2>"$TMP/tool.err"; }
sends_to() { sim_requests smsmode | jq "[.[] | select(.path|endswith(\"/sendSMS.do\")) | select(.query|test(\"numero=[^&]*$1\"))] | length"; }

assert_eq "ok 0" "$(tool optout-add '' 0611111111)" "postgresql: opt-out recorded"
run_smsmux --config "$CFG" --json send --to 0611111111,0622222222 --text "Bonjour"
assert_eq 1 "$RC" "postgresql: one opted out, one sent: exit 1"
assert_json '[.recipients[] | select(.to=="+33611111111")][0].code' opt-out "postgresql: opt-out refused"
assert_eq 0 "$(sends_to 33611111111)" "postgresql: nothing reached the provider for it"
ID=$(jqr '[.recipients[] | select(.to=="+33622222222")][0].id')

assert_eq "ok 0" "$(tool hook smsmode hook-secret dlr "numero=33622222222&date_reception=2026-12-05+10%3A00%3A00&statut=11&smsID=$ID&refClient=&mcc_mnc=20801")" "postgresql: report recorded"
sim_fault smsmode http500
run_smsmux --config "$CFG" --json status "$ID"
assert_eq 0 "$RC" "postgresql: status from the history while the provider fails"
assert_json '.recipients[0].status' delivered "postgresql: delivered"
sim_reset

assert_eq "ok 0" "$(tool hook smsmode hook-secret mo "numero=36034&message=STOP&emetteur=33622222222&smsID=$ID&responseID=pg-1")" "postgresql: STOP recorded"
run_smsmux --config "$CFG" --json send --to 0622222222 --text "Promo"
assert_eq 2 "$RC" "postgresql: after STOP, refused"
assert_eq 0 "$(sends_to 33622222222)" "postgresql: nothing reached the provider"
finish
