# tests/smsmode/common.sh - what every sMsmode conformance test shares
# (sourced after tests/lib.sh's variables are set by make check).
#
# Starts smsmux-sim, writes one [provider.sms] instance of the smsmode
# plugin pointed at the simulator with the token of the guide's examples
# (Ab1CD2efg3Hi, one of the simulator's built-in accounts), and offers:
#
#   sms ARGS...              smsmux --config ... --json ARGS  ($OUT $ERR $RC)
#   assert_request WHAT METHOD PATH QUERY [N]
#                            request N (default: the last) sMsmode received,
#                            as "METHOD PATH?QUERY", byte for byte
#   req FILTER [N]           jq -r FILTER on request N (default: the last)
#   req_count                how many requests sMsmode received
#   assert_error CLASS RC WHAT
#                            exit status RC and .error.class CLASS
. "$top_srcdir/tests/lib.sh"

TOKEN=Ab1CD2efg3Hi
API=/smsmode/http/1.6

sim_start
write_config smsmode.ini <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.sms]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = Ab1CD2efg3Hi
EOF
CONFIG=$TMP/smsmode.ini

sms() { run_smsmux --config "$CONFIG" --json "$@"; }

# req FILTER [N]: jq -r FILTER on request N (0-based; default: the last)
req() {
  sim_requests smsmode | jq -r ".[${2:--1}] | $1"
}

req_count() { sim_requests smsmode | jq -r 'length'; }

assert_request() {
  _what=$1 _want="$2 $3?$4"
  _got=$(req '"\(.method) \(.path)?\(.query)"' "${5:--1}")
  assert_eq "$_want" "$_got" "$_what"
}

assert_error() {
  assert_eq "$2" "$RC" "$3: exit status $2"
  assert_json '.error.class' "$1" "$3: error class $1"
}
