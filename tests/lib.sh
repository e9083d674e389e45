# tests/lib.sh - shared helpers for the shell tests (sourced, POSIX sh).
#
#   . "$top_srcdir/tests/lib.sh"
#   sim_start                       # smsmux-sim on a free loopback port: $SIM_URL
#   write_config demo.ini <<EOF ... # $TMP/demo.ini, mode 0600; @SIM@ and
#                                   # @PLUGINS@ are replaced
#   run_smsmux --config "$TMP/demo.ini" --json send ...   # sets $OUT $ERR $RC
#   assert_eq 0 "$RC" "send exits 0"
#   assert_json '.provider' smsmode "provider in JSON"
#   sim_requests smsmode            # JSON array of the requests sMsmode got
#   assert_nothing_sent smsmode "input error: nothing sent"
#   finish                          # prints "N passed, N failed", exit status
#
# SMSMUX_TEST_STORE=pg runs the suite on the PostgreSQL store: a private
# server (tests/pg.sh; skipped, exit 77, without its binaries, except under
# CI=true) for the whole script, and every configuration write_config
# writes, run_smsmux runs or smsmuxd starts with (store_config FILE) gets
# `store = postgresql://...` right after its [smsmux] line: one database
# per state_dir, so configurations that share a state_dir share a store
# and the others start empty, as on SQLite.
#
# A control request the simulator does not answer (it died, or never
# started) is recorded, and `finish` then fails: a check such as "no
# request reached the provider" must not pass because nobody was there to
# count (sim_ctl is mostly called inside $(...), where a failed assertion
# would be lost).
set -u

: "${top_srcdir:?run through make check}"
: "${top_builddir:?run through make check}"
SMSMUX=${SMSMUX:-$top_builddir/smsmux}
SMSMUX_SIM=${SMSMUX_SIM:-$top_builddir/smsmux-sim}
PLUGINS=${SMSMUX_PLUGIN_DIR_BUILD:-$top_builddir/plugins}
TEST_PLUGINS=${SMSMUX_TEST_PLUGIN_DIR:-$top_builddir/tests/plugins}

# the ABI this tree's provider.h declares ("1.1"): plugins built here report it
ABI_VERSION=$(sed -n 's/^#define SMSMUX_ABI_MAJOR \([0-9]*\).*/\1/p' "$top_srcdir/include/smsmux/provider.h").$(sed -n 's/^#define SMSMUX_ABI_MINOR \([0-9]*\).*/\1/p' "$top_srcdir/include/smsmux/provider.h")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/smsmux-test.XXXXXX")
export XDG_STATE_HOME="$TMP/state" XDG_CONFIG_HOME="$TMP/xdg-config"
unset SMSMUX_CONFIG || :
_passed=0
_failed=0
SIM_PID=

_cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || :; wait "$SIM_PID" 2>/dev/null || :; fi
  if [ -n "${RCV_PID-}" ]; then kill "$RCV_PID" 2>/dev/null || :; wait "$RCV_PID" 2>/dev/null || :; fi
  if [ -n "${PG_DIR:-}" ]; then pg_stop; fi
  rm -rf "$TMP"
}
trap _cleanup EXIT
trap 'exit 1' INT TERM

pass() { _passed=$((_passed + 1)); printf 'ok %d - %s\n' "$((_passed + _failed))" "$1"; }
fail() {
  _failed=$((_failed + 1))
  printf 'not ok %d - %s\n' "$((_passed + _failed))" "$1"
  shift
  for l in "$@"; do printf '#   %s\n' "$l"; done
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
  if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "expected: $1" "actual:   $2"; fi
}
# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
  case "$1" in
    *"$2"*) pass "$3" ;;
    *) fail "$3" "missing: $2" "in: $(printf '%s' "$1" | head -c 2000)" ;;
  esac
}
# assert_not_contains HAYSTACK NEEDLE WHAT
assert_not_contains() {
  case "$1" in
    *"$2"*) fail "$3" "unexpected: $2" "in: $(printf '%s' "$1" | head -c 2000)" ;;
    *) pass "$3" ;;
  esac
}
# assert_json FILTER EXPECTED WHAT [JSON]  (jq -r FILTER on $OUT by default)
assert_json() {
  _doc=${4-$OUT}
  _got=$(printf '%s' "$_doc" | jq -r "$1" 2>&1) || _got="(jq failed: $_got)"
  assert_eq "$2" "$_got" "$3"
}
# jqr FILTER [JSON]: print jq -r FILTER of $OUT
jqr() { printf '%s' "${2-$OUT}" | jq -r "$1"; }

# run_smsmux ARGS...: runs smsmux, sets OUT, ERR, RC
run_smsmux() {
  _c=
  for _a in "$@"; do
    [ "$_c" = next ] && { store_config "$_a"; break; }
    [ "$_a" = --config ] && _c=next
  done
  set +e
  "$SMSMUX" "$@" >"$TMP/.out" 2>"$TMP/.err"
  RC=$?

  set +e
  OUT=$(cat "$TMP/.out")
  ERR=$(cat "$TMP/.err")
}

# sim_start [ARGS...]: start the simulator on a free port
sim_start() {
  rm -f "$TMP/sim.port"
  "$SMSMUX_SIM" --port 0 --port-file "$TMP/sim.port" "$@" >"$TMP/sim.log" 2>&1 &
  SIM_PID=$!
  _i=0
  while [ ! -s "$TMP/sim.port" ]; do
    _i=$((_i + 1))
    if [ $_i -gt 200 ] || ! kill -0 "$SIM_PID" 2>/dev/null; then
      echo "smsmux-sim did not start:" >&2; cat "$TMP/sim.log" >&2; exit 99
    fi
    sleep 0.05
  done
  SIM_PORT=$(cat "$TMP/sim.port")
  SIM_URL="http://127.0.0.1:$SIM_PORT"
}

# sim_ctl METHOD PATH [curl args]: call the simulator's control API
sim_ctl() {
  _m=$1; _p=$2; shift 2
  curl -sS -X "$_m" "$SIM_URL/_sim/$_p" "$@"
  _rc=$?
  if [ $_rc -ne 0 ]; then
    echo "sim_ctl $_m /_sim/$_p: no answer from the simulator (curl exit $_rc)" >>"$TMP/.sim-unanswered"
  fi
  return $_rc
}
# sim_requests PROVIDER: JSON array of requests the provider received
sim_requests() { sim_ctl GET "requests?provider=$1"; }
# sim_fault PROVIDER MODE [extra query]: switch a fault on
sim_fault() { sim_ctl POST "fault?provider=$1&mode=$2${3:+&$3}" >/dev/null; }
sim_reset() { sim_ctl POST reset >/dev/null; }
# assert_nothing_sent PROVIDER WHAT: the simulator answers, and its request
# log for PROVIDER is an empty array (not merely empty output)
assert_nothing_sent() {
  _log=$(sim_requests "$1")
  _n=$(printf '%s' "$_log" | jq -e 'if type == "array" then length else error("not a request log") end' 2>/dev/null) ||
    _n="(no request log: the simulator did not answer: $(printf '%s' "$_log" | head -c 200))"
  assert_eq 0 "$_n" "$2"
}

# write_config NAME: stdin to $TMP/NAME (mode 0600), with @SIM@ -> $SIM_URL,
# @PLUGINS@ -> build-tree plugin dir, @TMP@ -> $TMP
write_config() {
  umask 077
  sed -e "s|@SIM@|${SIM_URL:-http://127.0.0.1:9}|g" -e "s|@PLUGINS@|$PLUGINS|g" \
      -e "s|@TEST_PLUGINS@|$TEST_PLUGINS|g" -e "s|@TMP@|$TMP|g" >"$TMP/$1"
  chmod 600 "$TMP/$1"
  umask 022
  store_config "$TMP/$1"
}

# finish: summary line and exit status
finish() {
  if [ -s "$TMP/.sim-unanswered" ]; then
    fail "the simulator answered every control request" "$(cat "$TMP/.sim-unanswered")"
  fi
  if [ "$TEST_STORE" = pg ] && [ ! -s "$TMP/.pg-dbs" ]; then
    fail "SMSMUX_TEST_STORE=pg: the suite ran on PostgreSQL" "no configuration got a store database"
  fi
  printf '%d passed, %d failed\n' "$_passed" "$_failed"
  [ "$_failed" -eq 0 ]
}

command -v jq >/dev/null 2>&1 || { echo "jq is required for the tests" >&2; exit 99; }
command -v curl >/dev/null 2>&1 || { echo "curl is required for the tests" >&2; exit 99; }

# ---- the store backend of the suite (SMSMUX_TEST_STORE) ----
TEST_STORE=${SMSMUX_TEST_STORE:-sqlite}
case $TEST_STORE in
  sqlite) ;;
  pg | postgresql)
    TEST_STORE=pg
    . "$top_srcdir/tests/pg.sh"
    pg_start
    echo "# on the PostgreSQL store (SMSMUX_TEST_STORE=pg, server in $PG_DIR)" ;;
  *) echo "SMSMUX_TEST_STORE=$TEST_STORE: not sqlite or pg" >&2; exit 99 ;;
esac

# store_config FILE: on PostgreSQL, FILE's store is the database of its
# state_dir (created on first use), written after [smsmux] in place of the
# one a previous call wrote (the state_dir may have changed since); a
# store the test set itself, and a file without [smsmux], are left alone.
store_config() {
  [ "$TEST_STORE" = pg ] && [ -f "$1" ] || return 0
  grep -q '^\[smsmux\]' "$1" || return 0
  if grep '^store *=' "$1" | grep -qv "host=$PG_DIR\$"; then return 0; fi
  _sd=$(sed -n '/^\[smsmux\]/,/^\[/ s/^state_dir *= *//p' "$1" | tail -n 1)
  _db=s$(printf '%s' "${_sd:-default}" | cksum | cut -d ' ' -f 1)
  if ! grep -qx "$_db" "$TMP/.pg-dbs" 2>/dev/null; then
    pg_createdb "$_db"
    echo "$_db" >>"$TMP/.pg-dbs"
  fi
  sed -i -e "\\|^store = postgresql://.*host=$PG_DIR\$|d" \
    -e "/^\[smsmux\]/a store = $(pg_url "$_db")" "$1"
}

# rcv_up: tests/receiver on a free loopback port, logging each request to
# $TMP/rcv.log (JSON lines) and answering 503 while $TMP/rcv.down exists;
# $RCV its URL, $RCV_PID; stopped at exit (_cleanup).
rcv_up() {
  rm -f "$TMP/rcv.port"
  : >"$TMP/rcv.log"
  "$top_builddir/tests/receiver" --port-file "$TMP/rcv.port" --log "$TMP/rcv.log" \
    --down "$TMP/rcv.down" >/dev/null 2>&1 &
  RCV_PID=$!
  _i=0
  while [ ! -s "$TMP/rcv.port" ]; do
    _i=$((_i + 1))
    if [ $_i -gt 200 ] || ! kill -0 "$RCV_PID" 2>/dev/null; then
      echo "the test receiver did not start" >&2; exit 99
    fi
    sleep 0.05
  done
  RCV="http://127.0.0.1:$(cat "$TMP/rcv.port")"
}
