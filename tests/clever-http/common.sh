# tests/clever-http/common.sh - what every Clever FrontalHttpMultimedias
# conformance test shares (sourced after tests/lib.sh's variables are set
# by make check).
#
# Starts smsmux-sim and writes one [provider.clever] instance of the
# clever-http plugin pointed at it, with the account of the document's
# examples: login compte_test, password T123456ç (one of the simulator's
# built-in accounts; it holds the document's pushes Push20171123173102
# and Push20171127162824 and answers lists with their records run
# together on one line, as the document prints them).  Offers:
#
#   cl ARGS...               smsmux --config ... --json ARGS  ($OUT $ERR $RC)
#   assert_request WHAT METHOD PATH QUERY [N]
#                            request N (0-based, default: the last) Clever
#                            received, as "METHOD PATH?QUERY", byte for byte
#   req FILTER [N]           jq -r FILTER on request N (default: the last)
#   req_count                how many requests Clever received
#   assert_error CLASS RC WHAT
#                            exit status RC and .error.class CLASS
#   raw PATH QUERY           the simulator's answer to GET PATH?QUERY, as is
. "$top_srcdir/tests/lib.sh"

LOGIN=compte_test
# the document's password, "T123456ç": the ç goes out in UTF-8,
# percent-encoded (%C3%A7)
PASSWORD='T123456ç'
PWD_Q='T123456%C3%A7'
AUTH="login=$LOGIN&pwd=$PWD_Q"
API=/clever-http

sim_start
write_config clever.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 2

[provider.clever]
plugin = clever-http
base_url = @SIM@/clever-http
login = compte_test
password = T123456ç
EOF2
CONFIG=$TMP/clever.ini

cl() { run_smsmux --config "$CONFIG" --json "$@"; }

req() { sim_requests clever-http | jq -r ".[${2:--1}] | $1"; }

req_count() { sim_requests clever-http | jq -r 'length'; }

assert_request() {
  _what=$1 _want="$2 $3?$4"
  _got=$(req '"\(.method) \(.path)?\(.query)"' "${5:--1}")
  assert_eq "$_want" "$_got" "$_what"
}

assert_error() {
  assert_eq "$2" "$RC" "$3: exit status $2"
  assert_json '.error.class' "$1" "$3: error class $1"
}

raw() { curl -sS "$SIM_URL$API$1?$2"; }
