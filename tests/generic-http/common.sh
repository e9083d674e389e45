# tests/generic-http/common.sh - what every generic-http test shares
# (sourced after tests/lib.sh's variables are set by make check).
#
# The generic-http plugin has no simulator module of its own: each test
# configures it to speak one of the simulator's existing APIs, next to the
# real plugin of that API, and compares what the simulator received from
# both.  Offers:
#
#   gh ARGS...              smsmux --config $CONFIG --json ARGS ($OUT $ERR $RC)
#   req SIMPROVIDER FILTER [N]
#                           jq -r FILTER on request N (default: the last)
#                           the simulator's SIMPROVIDER received
#   req_count SIMPROVIDER   how many requests it received
#   sorted_query SIMPROVIDER [N]
#                           the query of request N, one parameter a line,
#                           sorted (same parameters, whatever the order)
#   assert_error CLASS RC WHAT
#                           exit status RC and .error.class CLASS
. "$top_srcdir/tests/lib.sh"

sim_start

gh() { run_smsmux --config "$CONFIG" --json "$@"; }

req() { sim_requests "$1" | jq -r ".[${3:--1}] | $2"; }

req_count() { sim_requests "$1" | jq -r 'length'; }

sorted_query() { req "$1" '.query' "${2:--1}" | tr '&' '\n' | sort; }

assert_error() {
  assert_eq "$2" "$RC" "$3: exit status $2"
  assert_json '.error.class' "$1" "$3: error class $1"
}
