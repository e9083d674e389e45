# tests/clever-rest/common.sh - what every Clever REST conformance test
# shares (sourced after tests/lib.sh's variables are set by make check).
#
# Starts smsmux-sim, writes one [provider.clever] instance of the
# clever-rest plugin pointed at the simulator with its manager account
# (clevertec / Clever2017: the profile and contacts of the document's
# examples), and offers:
#
#   cr ARGS...               smsmux --config ... --json ARGS  ($OUT $ERR $RC)
#   op OP [key=value...]     smsmux call --provider clever OP ...
#   req FILTER [N]           jq -r FILTER on request N (0-based, default:
#                            the last) Clever REST received
#   req_count                how many requests Clever REST received
#   assert_request WHAT METHOD PATH [N]
#                            "METHOD PATH?QUERY" of request N, byte for
#                            byte (the API uses no query string)
#   assert_body WHAT JSON [N]
#                            the body of request N is JSON as `jq -c`
#                            writes it: same bytes, same member order
#   assert_json_headers WHAT [N]
#                            Basic authorization of clevertec:Clever2017
#                            and Content-Type: application/json
#   assert_error CLASS RC WHAT
#                            exit status RC and .error.class CLASS
#   rec FILTER               jq -r FILTER on the first record of a call
#   advance                  delivery reports one step on
. "$top_srcdir/tests/lib.sh"

LOGIN=clevertec
PASSWORD=Clever2017
API=/clever-rest/api
# What a client sends for HTTP Basic: computed here with base64(1), the
# plugin leaves it to the host (curl).
AUTH="Basic $(printf '%s:%s' "$LOGIN" "$PASSWORD" | base64)"

sim_start
write_config clever-rest.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.clever]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = clevertec
password = Clever2017
EOF2
CONFIG=$TMP/clever-rest.ini

cr() { run_smsmux --config "$CONFIG" --json "$@"; }
op() { cr call --provider clever "$@"; }

req() { sim_requests clever-rest | jq -r ".[${2:--1}] | $1"; }
req_count() { sim_requests clever-rest | jq -r 'length'; }

assert_request() {
  _what=$1 _want="$2 $3?"
  _got=$(req '"\(.method) \(.path)?\(.query)"' "${4:--1}")
  assert_eq "$_want" "$_got" "$_what"
}

assert_body() {
  _want=$(printf '%s' "$2" | jq -c .)
  assert_eq "$_want" "$(req .body "${3:--1}")" "$1"
}

assert_json_headers() {
  assert_eq "$AUTH" "$(req '.headers.authorization' "${2:--1}")" "$1: Basic authorization"
  assert_eq "application/json" "$(req '.headers["content-type"]' "${2:--1}")" \
    "$1: Content-Type application/json"
}

assert_error() {
  assert_eq "$2" "$RC" "$3: exit status $2"
  assert_json '.error.class' "$1" "$3: error class $1"
}

rec() { jqr ".records[0] | $1"; }

advance() { sim_ctl POST "advance?provider=clever-rest" >/dev/null; }

# sim_curl METHOD PATH [curl args]: a request to the simulated API itself,
# with the manager's credentials
sim_curl() {
  _m=$1 _p=$2; shift 2
  curl -sS -X "$_m" -u "$LOGIN:$PASSWORD" -H 'Content-Type: application/json' \
    "$SIM_URL$API/$_p" "$@"
}
