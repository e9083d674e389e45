# tests/mediasflow/common.sh - what every Mediasflow conformance test shares
# (sourced after tests/lib.sh's variables are set by make check).
#
# Starts smsmux-sim, writes one [provider.mf] instance of the mediasflow
# plugin pointed at it with the simulator's built-in account demo, and
# offers:
#
#   mf ARGS...             smsmux --config ... --json ARGS  ($OUT $ERR $RC)
#   req FILTER [N]         jq -r FILTER on request N Mediasflow received
#                          (0-based; default: the last)
#   req_body [N]           the JSON body of request N, sorted and compact
#   req_count              how many requests Mediasflow received
#   req_paths              "METHOD PATH" of every request, one per line
#   assert_request WHAT METHOD PATH QUERY [N]
#                          request N as "METHOD PATH?QUERY", byte for byte
#   assert_body WHAT JSON [N]
#                          request N's JSON body equals JSON (key order
#                          ignored)
#   assert_error CLASS RC WHAT
#                          exit status RC and .error.class CLASS
#   sim_tokens [LOGIN]     the tokens the simulator handed out, one a line
#   sim_mf_ctl METHOD OP [QUERY]
#                          /_sim/OP?provider=mediasflow&QUERY
. "$top_srcdir/tests/lib.sh"

API=/mediasflow/api/v1

sim_start
write_config mediasflow.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.mf]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
login = demo
password = demo-password
EOF2
CONFIG=$TMP/mediasflow.ini

mf() { run_smsmux --config "$CONFIG" --json "$@"; }

req() { sim_requests mediasflow | jq -r ".[${2:--1}] | $1"; }
req_body() { sim_requests mediasflow | jq -cS ".[${1:--1}].body | fromjson"; }
req_count() { sim_requests mediasflow | jq -r 'length'; }
req_paths() { sim_requests mediasflow | jq -r '.[] | "\(.method) \(.path)"'; }

assert_request() {
  _what=$1 _want="$2 $3?$4"
  _got=$(req '"\(.method) \(.path)?\(.query)"' "${5:--1}")
  assert_eq "$_want" "$_got" "$_what"
}

assert_body() {
  _want=$(printf '%s' "$2" | jq -cS .)
  _got=$(req_body "${3:--1}" 2>&1)
  assert_eq "$_want" "$_got" "$1"
}

assert_error() {
  assert_eq "$2" "$RC" "$3: exit status $2"
  assert_json '.error.class' "$1" "$3: error class $1"
}

sim_mf_ctl() {
  _m=$1 _op=$2
  sim_ctl "$_m" "$_op?provider=mediasflow${3:+&$3}"
}

sim_tokens() { sim_mf_ctl GET account "login=${1:-demo}" | jq -r '.tokens[]'; }

# A date N seconds from now as --at takes it (local time).
at_in() { date -d "@$(( $(date +%s) + $1 ))" '+%Y-%m-%d %H:%M:%S'; }
