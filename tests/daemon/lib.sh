# tests/daemon/lib.sh - helpers for the smsmuxd tests, on top of tests/lib.sh
# (sourced after it).
#
#   daemon_config                # $TMP/d.ini: one sMsmode on the simulator
#   daemon_config - <<EOF ... EOF # or that text (@SIM@ @PLUGINS@ @TMP@ @KEY@)
#   daemon_start [ARGS...]       # smsmuxd on a free port: $D_URL, $D_PID
#   api METHOD PATH [curl args]  # with the admin key: sets $STATUS, $OUT
#   daemon_stop [SIGNAL]         # SIGTERM (default), wait: $D_RC
SMSMUXD=${SMSMUXD:-$top_builddir/smsmuxd}
KEY=k3y-for-the-tests-0123456789
D_PID=
D_URL=

_daemon_cleanup() {
  if [ -n "$D_PID" ]; then kill -9 "$D_PID" 2>/dev/null || :; wait "$D_PID" 2>/dev/null || :; fi
  _cleanup
}
trap _daemon_cleanup EXIT

daemon_config() {
  if [ "${1-}" != - ]; then
    printf '%s\n' '[smsmux]' 'plugin_dir = @PLUGINS@' 'state_dir = @TMP@/state' \
      'timeout = 5' '[server]' 'listen = 127.0.0.1:0' 'admin_key = @KEY@' \
      'workers = 4' '[provider.smsmode]' 'plugin = smsmode' \
      'base_url = @SIM@/smsmode/http/1.6' 'access_token = demo-token' |
      sed "s|@KEY@|$KEY|" | write_config d.ini
  else
    sed "s|@KEY@|$KEY|" | write_config d.ini
  fi
}

daemon_start() {
  rm -f "$TMP/d.port"
  store_config "$TMP/d.ini"
  "$SMSMUXD" --config "$TMP/d.ini" --port-file "$TMP/d.port" "$@" >>"$TMP/d.log" 2>&1 &
  D_PID=$!
  _i=0
  while [ ! -s "$TMP/d.port" ]; do
    _i=$((_i + 1))
    if [ $_i -gt 300 ] || ! kill -0 "$D_PID" 2>/dev/null; then
      echo "smsmuxd did not start:" >&2; cat "$TMP/d.log" >&2; exit 99
    fi
    sleep 0.05
  done
  D_PORT=$(cat "$TMP/d.port")
  D_URL="http://127.0.0.1:$D_PORT"
}

# daemon_stop [SIGNAL]: signal it (TERM), wait: $D_RC its exit status
daemon_stop() {
  kill "-${1:-TERM}" "$D_PID" 2>/dev/null
  set +e
  wait "$D_PID"
  D_RC=$?
  D_PID=
}

# api METHOD PATH [curl args]: a request with the admin key; $STATUS $OUT
api() {
  _m=$1; _p=$2; shift 2
  STATUS=$(curl -sS -o "$TMP/.api" -w '%{http_code}' -X "$_m" \
    -H "Authorization: Bearer $KEY" "$@" "$D_URL$_p") || STATUS="curl failed"
  OUT=$(cat "$TMP/.api" 2>/dev/null)
}
# post_json PATH JSON [curl args]
post_json() {
  _p=$1; _j=$2; shift 2
  api POST "$_p" -H 'Content-Type: application/json' --data-binary "$_j" "$@"
}

# wait_until WHAT 'SHELL TEXT': until the text, evaluated afresh each time
# (quote it: a "$(...)" in double quotes would be expanded once, by the
# caller), succeeds (15 s), else a failure
wait_until() {
  _what=$1; shift
  _i=0
  until eval "$1"; do
    _i=$((_i + 1))
    if [ $_i -gt 300 ]; then
      fail "$_what (waited 15 s)" "the daemon's last lines:" "$(tail -n 15 "$TMP/d.log" 2>/dev/null)" \
        "its last warnings and errors:" "$(grep -v ' info: ' "$TMP/d.log" 2>/dev/null | tail -n 15)" \
        "its newest messages: $(curl -sS -H "Authorization: Bearer $KEY" "$D_URL/v1/messages?limit=3" 2>&1 | head -c 3000)"
      return 1
    fi
    sleep 0.05
  done
  return 0
}

# sends_to NUMBER: how many sendSMS.do requests sMsmode got for NUMBER
sends_to() {
  sim_requests smsmode | jq --arg n "$1" '[.[] | select(.path|endswith("/sendSMS.do")) | select(tostring | contains($n))] | length'
}

# ---- issue 13: hooks, webhooks ----------------------------------------------
#   receiver_start               # tests/receiver: $RCV (URL), $RCV_LOG; it
#                                # answers 503 while $TMP/rcv.down exists
#   daemon_public                # the running smsmuxd's own URL as [server]
#                                # public_url (SIGHUP), listen pinned to its port
#   rcv_lines PATH               # the receiver's log lines for PATH (JSON lines)
#   rcv_wait N PATH [SECONDS]    # until N lines for PATH answered 200 (20 s)
#   header NAME                  # jq filter: a header of a log line, any case
HOOK_TOKEN=hook-secret-0123456789abcdef
WEBHOOK_SECRET=webhook-secret-for-the-tests
RCV=
RCV_PID=
RCV_LOG=

receiver_start() {
  rcv_up
  RCV_LOG=$TMP/rcv.log
}

_hooks_cleanup() {
  if [ -n "$RCV_PID" ]; then kill "$RCV_PID" 2>/dev/null || :; wait "$RCV_PID" 2>/dev/null || :; fi
  _daemon_cleanup
}
trap _hooks_cleanup EXIT

daemon_public() {
  _n=$(grep -c 'reloaded' "$TMP/d.log")
  sed -i -e "s|^listen = .*|listen = 127.0.0.1:$D_PORT|" -e '/^public_url = /d' \
    -e "s|^\[server\]\$|[server]\npublic_url = $D_URL|" "$TMP/d.ini"
  kill -HUP "$D_PID"
  _i=0
  until [ "$(grep -c 'reloaded' "$TMP/d.log")" -gt "$_n" ]; do
    _i=$((_i + 1))
    if [ $_i -gt 200 ]; then echo "smsmuxd did not reload:" >&2; tail "$TMP/d.log" >&2; exit 99; fi
    sleep 0.05
  done
}

rcv_lines() { jq -c --arg p "$1" 'select(.path == $p)' "$RCV_LOG"; }
rcv_wait() {
  _i=0
  until [ "$(rcv_lines "$2" | jq -s '[.[] | select(.answered == 200)] | length')" -ge "$1" ]; do
    _i=$((_i + 1))
    if [ $_i -gt $((${3:-20} * 20)) ]; then
      fail "the receiver got $1 request(s) at $2 (waited ${3:-20} s)" \
        "it got: $(rcv_lines "$2" | head -c 3000)" "the daemon's last lines: $(tail -n 8 "$TMP/d.log")"
      return 1
    fi
    sleep 0.05
  done
  return 0
}
header() { printf '.headers | to_entries[] | select(.key | ascii_downcase == "%s") | .value' "$1"; }

# ---- the hook tests' common start (issues 13 and 14) --------------------------
#   hooks_up SERVER_LINES [SECTIONS [PROVIDERS]]  # simulator, receiver,
#       then smsmuxd (2 workers) with one sMsmode on the simulator taking pushes at
#       /hooks/smsmode/$HOOK_TOKEN; SERVER_LINES (e.g. "callback_url =
#       @RCV@/events") go into [server], SECTIONS (e.g. [plan.NAME]) before
#       the provider; @RCV@ is the receiver's URL.  Ends with daemon_public.
#   hooks_up SERVER_LINES SECTIONS PROVIDERS  # PROVIDERS instead of that sMsmode
#   status_of ID                      # a message's status over /v1
hooks_up() {
  sim_start
  receiver_start
  daemon_config - <<EOF2
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 5
[server]
listen = 127.0.0.1:0
admin_key = @KEY@
workers = 2
$(printf '%s\n' "${1-}" | sed "s|@RCV@|$RCV|g")
${2-}
${3:-[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
hook_token = $HOOK_TOKEN}
EOF2
  daemon_start
  daemon_public
}
status_of() { api GET "/v1/messages/$1"; jqr .status; }

# ---- tenants (issue 14) --------------------------------------------------------
#   CLI ARGS...                  # smsmux on the daemon's configuration ($OUT ...)
#   tapi KEY METHOD PATH [curl args]  # with a tenant's key: $STATUS, $OUT
#                                # (headers in $TMP/.hdr)
#   tsend KEY NUMBER [MEMBERS]   # POST /v1/messages "Hello" to NUMBER; MEMBERS:
#                                # more JSON members (",\"x\":1")
#   balance TENANT               # its balance (smsmux tenant show)
#   tstatus KEY ID               # its message's first recipient's status
CLI() { run_smsmux --config "$TMP/d.ini" "$@"; }
tapi() {
  _k=$1; _m=$2; _p=$3; shift 3
  STATUS=$(curl -sS -o "$TMP/.api" -D "$TMP/.hdr" -w '%{http_code}' -X "$_m" \
    -H "Authorization: Bearer $_k" "$@" "$D_URL$_p") || STATUS="curl failed"
  OUT=$(cat "$TMP/.api" 2>/dev/null)
}
tsend() {
  tapi "$1" POST /v1/messages -H 'Content-Type: application/json' \
    --data-binary "{\"to\":[\"$2\"],\"text\":\"Hello\"${3-}}"
}
balance() { CLI --json tenant show "$1"; jqr .balance; }
tstatus() { tapi "$1" GET "/v1/messages/$2"; jqr .recipients[0].status; }
