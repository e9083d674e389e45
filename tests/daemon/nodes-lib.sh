# tests/daemon/nodes-lib.sh - several smsmuxd on one store, for
# tests/daemon/nodes.sh and nodes-events.sh (sourced after tests/lib.sh and
# tests/daemon/lib.sh).
#
#   node_start K [CONFIG]   node K ($TMP/nK.url), in its own PID namespace
#                           as root (all nodes PID 1, as containers run)
#   url K                   node K's base URL
#   node_stop K [SIGNAL]    signal node K's server (TERM), wait: $NODE_RC
#   nodeapi K ... / post_json_to K ...   api / post_json against node K
#   psql_store SQL          a query on the store's database of d.ini
#   queue_empty             nothing queued or sending, on every node
#   sim_counts              "NUMBER COUNT" of sMsmode sends per number
#   curl_cfg FILE NODES N...  a curl --config: one keyed POST per number
#                           to the NODES in turn ($CFG_BEARER, $CFG_IDEM,
#                           $CFG_TEXT), each writing "STATUS NUMBER"
#   nodes_plain_config W    the simulator, and $TMP/d.ini: W workers a
#                           node, one sMsmode instance `main` at it

NS=
if [ "$(id -u)" = 0 ] && unshare -p -f --kill-child -- true 2>/dev/null; then
  NS="unshare -p -f --kill-child --"
  echo "# each node in its own PID namespace (PID 1)"
fi

# node_start K [CONFIG]: node K on CONFIG ($TMP/d.ini) on a free port:
# $TMP/nK.url; its process (unshare's, in a namespace) in $TMP/nK.pid, the
# server's in $TMP/nK.spid
node_start() {
  rm -f "$TMP/n$1.port"
  $NS "$SMSMUXD" --config "${2:-$TMP/d.ini}" --port-file "$TMP/n$1.port" >>"$TMP/n$1.log" 2>&1 &
  echo $! >"$TMP/n$1.pid"
  _i=0
  while [ ! -s "$TMP/n$1.port" ]; do
    _i=$((_i + 1))
    if [ $_i -gt 300 ] || ! kill -0 "$(cat "$TMP/n$1.pid")" 2>/dev/null; then
      echo "node $1 did not start:" >&2; cat "$TMP/n$1.log" >&2; exit 99
    fi
    sleep 0.05
  done
  _p=$(cat "$TMP/n$1.pid")
  if [ -n "$NS" ]; then
    read -r _c _ <"/proc/$_p/task/$_p/children"
    echo "$_c" >"$TMP/n$1.spid"
  else
    echo "$_p" >"$TMP/n$1.spid"
  fi
  echo "http://127.0.0.1:$(cat "$TMP/n$1.port")" >"$TMP/n$1.url"
}
url() { cat "$TMP/n$1.url"; }
# node_stop K [SIGNAL]: signal node K's server (TERM), wait: $NODE_RC
node_stop() {
  kill "-${2:-TERM}" "$(cat "$TMP/n$1.spid")" 2>/dev/null
  set +e
  wait "$(cat "$TMP/n$1.pid")"
  NODE_RC=$?
  rm -f "$TMP/n$1.pid" "$TMP/n$1.spid"
}
_nodes_cleanup() {
  for _k in 1 2 3; do
    [ -f "$TMP/n$_k.spid" ] && kill -9 "$(cat "$TMP/n$_k.spid")" 2>/dev/null
    [ -f "$TMP/n$_k.pid" ] && { kill -9 "$(cat "$TMP/n$_k.pid")" 2>/dev/null; wait "$(cat "$TMP/n$_k.pid")" 2>/dev/null; }
  done
  _hooks_cleanup
}
trap _nodes_cleanup EXIT
# nodeapi K METHOD PATH [curl args]: api against node K
nodeapi() { D_URL=$(url "$1"); shift; api "$@"; }
post_json_to() { D_URL=$(url "$1"); shift; post_json "$@"; }
psql_store() { # the store's database of d.ini, one value per line
  "$PG_BIN/psql" -h "$PG_DIR" -U "$PG_USER" -d "$(sed -n 's|^store = postgresql://[^/]*/\([^?]*\)?.*|\1|p' "$TMP/d.ini")" -Atc "$1"
}
queue_empty() { # on every node's /metrics: the shared queue holds nothing
  for _k in 1 2 3; do
    _m=$(curl -sS "$(url "$_k")/metrics") || return 1
    printf '%s\n' "$_m" | grep -q '^smsmux_queue_recipients{state="queued"} 0$' &&
      printf '%s\n' "$_m" | grep -q '^smsmux_queue_recipients{state="sending"} 0$' || return 1
  done
}
# per number: the count of sendSMS.do requests sMsmode got, "NUMBER COUNT"
sim_counts() {
  sim_requests smsmode | jq -r '[.[] | select(.path|endswith("/sendSMS.do")) | (.query + " " + (.body // "")) | scan("numero=([0-9]+)") | .[0]] | group_by(.) | .[] | "\(.[0]) \(length)"'
}
# nodes_plain_config WORKERS: the simulator started, $TMP/d.ini with one
# sMsmode instance `main` at it and WORKERS workers a node
nodes_plain_config() {
  sim_start --quiet
  daemon_config - <<EOF
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 5
[server]
listen = 127.0.0.1:0
admin_key = @KEY@
workers = $1
[provider.main]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF
}
# curl_cfg FILE NODES NUMBER...: one POST per number (0NUMBER, text
# $CFG_TEXT) to the NODES in turn, with the key $CFG_BEARER and the
# Idempotency-Key $CFG_IDEM<NUMBER>; each transfer writes "STATUS NUMBER"
curl_cfg() {
  _f=$1; _nodes=$2; shift 2
  : >"$_f"
  _i=0
  for _n in "$@"; do
    set -- $_nodes
    shift $((_i % $#))
    [ $_i -gt 0 ] && echo next >>"$_f"
    printf 'url = "%s/v1/messages"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\nheader = "Idempotency-Key: %s%s"\ndata = "{\\"to\\": \\"0%s\\", \\"text\\": \\"%s\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code} %s\\n"\n' \
      "$(url "$1")" "$CFG_BEARER" "$CFG_IDEM" "$_n" "$_n" "$CFG_TEXT" "$_n" >>"$_f"
    _i=$((_i + 1))
  done
}
