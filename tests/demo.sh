#!/bin/sh
# The demo (`make demo`): one SMS through the sMsmode plugin over HTTP, its
# delivery status and a reply, a failover, an MMS, two routing choices and
# every provider's credit, all against smsmux-sim; then smsmuxd: an HTTP
# submit that ends delivered through the report the simulator pushes to
# smsmuxd's hook, its history, the signed webhook an application receives
# (tests/receiver stands for it), a STOP reply reaching it and honoured by
# the next send, and a Kannel-style submit.  Every command is
# printed as it can be pasted into a shell (from the directory `make demo`
# ran in), before its output.
#
# The simulator: conf/demo.ini names port 8742.  When a smsmux-sim already
# answers there (its control API /_sim/providers responds), the demo uses
# it and leaves it running; otherwise it starts one on that port, or, when
# another program holds the port, on a free port; a simulator it started
# is stopped at the end.
#
# The configuration: conf/demo.ini itself when the build is in the source
# tree and the simulator is on 8742 (the README tour's setting); otherwise
# a copy with the simulator's port and this build's plugins, written to
# .demo-state/demo.ini of the build directory (kept, so that the printed
# commands still work afterwards while a simulator runs on that port).
#
# Environment (for tests/demo-run.sh): SMSMUX, SMSMUX_SIM (the programs),
# SMSMUX_DEMO_PORT (instead of 8742), SMSMUX_DEMO_DIR (instead of
# .demo-state).
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SMSMUX=${SMSMUX:-$top_builddir/smsmux}
SIM=${SMSMUX_SIM:-$top_builddir/smsmux-sim}
DEFAULT_PORT=8742
PORT=${SMSMUX_DEMO_PORT:-$DEFAULT_PORT}
DEMO_DIR=${SMSMUX_DEMO_DIR:-$top_builddir/.demo-state}

for tool in curl; do
  command -v $tool >/dev/null 2>&1 ||
    { echo "demo: $tool is needed (sh scripts/install-deps.sh installs it)" >&2; exit 1; }
done

# q ARG: ARG quoted for a POSIX shell, only when it needs it
q() {
  case $1 in
    '' | *[!A-Za-z0-9_@%+=:,./-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
    *) printf '%s' "$1" ;;
  esac
}
# shown PATH [PREFIX]: PATH relative to the current directory when below
# it, after PREFIX ("./" for a program)
shown() {
  case $1 in
    "$PWD"/*) printf '%s%s' "${2-}" "${1#"$PWD"/}" ;;
    *) printf '%s' "$1" ;;
  esac
}
# say CMD ARGS...: print the command line as it can be pasted
say() {
  printf '\n$'
  for a in "$@"; do printf ' %s' "$(q "$a")"; done
  printf '\n'
}

sim_url() { printf 'http://127.0.0.1:%s' "$1"; }
sim_answers() { curl -s -f -m 2 "$(sim_url "$1")/_sim/providers" 2>/dev/null | grep -q '"smsmode"'; }

# ---- the simulator ---------------------------------------------------------
sim=
daemon=
receiver=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smsmux-demo.XXXXXX")
cleanup() {
  if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || :; wait "$daemon" 2>/dev/null || :; fi
  if [ -n "$receiver" ]; then kill "$receiver" 2>/dev/null || :; wait "$receiver" 2>/dev/null || :; fi
  if [ -n "$sim" ]; then kill "$sim" 2>/dev/null || :; wait "$sim" 2>/dev/null || :; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# start_sim PORT: a simulator on PORT (0: a free one); sets sim and PORT,
# or returns 1 when it could not listen
start_sim() {
  rm -f "$tmp/port"
  "$SIM" --port "$1" --port-file "$tmp/port" --quiet 2>"$tmp/sim.err" &
  sim=$!
  i=0
  until [ -s "$tmp/port" ]; do
    if ! kill -0 "$sim" 2>/dev/null; then
      wait "$sim" 2>/dev/null || :
      sim=
      return 1
    fi
    i=$((i + 1))
    [ $i -lt 200 ] || { echo "demo: smsmux-sim did not start" >&2; cat "$tmp/sim.err" >&2; exit 1; }
    sleep 0.05
  done
  PORT=$(cat "$tmp/port")
}

if sim_answers "$PORT"; then
  # its faults off, or an earlier run's could spoil this one
  for p in smsmode clever-http clever-rest mediasflow allmysms; do
    curl -s -o /dev/null -X POST "$(sim_url "$PORT")/_sim/fault?provider=$p&mode=none"
  done
  echo "(using the smsmux-sim already running on port $PORT, its faults switched off; it is left running)"
elif start_sim "$PORT"; then
  echo "(smsmux-sim started on port $PORT; it stops when the demo ends)"
else
  taken=$PORT
  start_sim 0 || { echo "demo: smsmux-sim cannot start:" >&2; cat "$tmp/sim.err" >&2; exit 1; }
  echo "(port $taken is taken by another program: smsmux-sim started on port $PORT instead)"
fi
URL=$(sim_url "$PORT")

# ---- the configuration -----------------------------------------------------
rm -rf "$DEMO_DIR"
if [ "$PORT" = "$DEFAULT_PORT" ] && [ -z "${SMSMUX_DEMO_DIR:-}" ] &&
   [ "$(cd "$top_srcdir" && pwd -P)" = "$(cd "$top_builddir" && pwd -P)" ]; then
  CONF=$top_srcdir/conf/demo.ini
  chmod 600 "$CONF" # it holds the simulator's demo token
else
  mkdir -p "$DEMO_DIR"
  CONF=$DEMO_DIR/demo.ini
  ( umask 077
    sed -e "s|127\\.0\\.0\\.1:$DEFAULT_PORT|127.0.0.1:$PORT|g" \
        -e "s|^plugin_dir *=.*|plugin_dir = $top_builddir/plugins|" \
        -e "s|^state_dir *=.*|state_dir = $DEMO_DIR|" \
        "$top_srcdir/conf/demo.ini" >"$CONF" )
  echo "(configuration: $(shown "$CONF"), conf/demo.ini for this build and port)"
fi

# run ARGS...: print and run smsmux with the demo configuration
run() {
  say "$(shown "$SMSMUX" ./)" --config "$(shown "$CONF")" "$@"
  "$SMSMUX" --config "$CONF" "$@" || { rc=$?; echo "demo: that command failed (exit $rc)" >&2; exit $rc; }
}
# ctl QUERY: print and run one request to the simulator's control API
ctl() {
  say curl -s -X POST "$URL/_sim/$1"
  answer=$(curl -s -X POST "$URL/_sim/$1")
  printf '%s\n' "$answer"
}

run providers
run send --to 0612345678 --text "Bonjour Maman"
run send --to 0612345678,0698765434 --text "Rendez-vous à 15h, répondez OUI ou NON" >"$tmp/sent"
cat "$tmp/sent"
id=$(sed -n 's/^sent via .* id \([^:]*\):.*/\1/p' "$tmp/sent")
[ -n "$id" ] || { echo "demo: no message id in the answer above" >&2; exit 1; }

printf '\n(the simulator moves the delivery reports on, twice, and the first phone answers)\n'
ctl "advance?provider=smsmode"
ctl "advance?provider=smsmode"
ctl "reply?provider=smsmode&from=33612345678&text=OUI&message_id=$id"
run status "$id"
run replies --provider smsmode "$id"

printf '\n(sMsmode goes down for one request: the message fails over)\n'
ctl "fault?provider=smsmode&mode=down&count=1"
run send --to 0612345678 --text "Votre code est 4242"

run send --kind mms --to 0612345678 --text "Voici la photo" \
    --image http://www.example.com/photo.jpg
run route --kind mms --to 0612345678 --text "Voici la photo" \
    --image http://www.example.com/photo.jpg
run route --to +32470123456 --text "Hallo"
run credit

# ---- smsmuxd: the same gateway as an HTTP service --------------------------
# Its commands are indented: they work while this smsmuxd runs, and it
# stops with the demo.  An application's webhook receiver (tests/receiver,
# which logs what it gets) stands for the application: smsmuxd's
# [server] callback_url.  The simulator pushes sMsmode's delivery reports
# and replies to smsmuxd's /hooks/ URLs, built on [server] public_url.
SMSMUXD=${SMSMUXD:-$top_builddir/smsmuxd}
RECEIVER=${SMSMUX_RECEIVER:-$top_builddir/tests/receiver}
if [ -x "$SMSMUXD" ] && [ -x "$RECEIVER" ]; then
  DKEY=demo-admin-key-0123456789
  HOOK_TOKEN=demo-hook-token-0123456789
  WSECRET=demo-webhook-secret
  "$RECEIVER" --port-file "$tmp/rcv.port" --log "$tmp/webhooks.log" >/dev/null 2>&1 &
  receiver=$!
  i=0
  until [ -s "$tmp/rcv.port" ]; do
    i=$((i + 1))
    [ $i -lt 200 ] && kill -0 "$receiver" 2>/dev/null ||
      { echo "demo: the webhook receiver did not start" >&2; exit 1; }
    sleep 0.05
  done
  APP=http://127.0.0.1:$(cat "$tmp/rcv.port")
  # write_dconf LISTEN [PUBLIC_URL]: the daemon's configuration
  write_dconf() {
    ( umask 077
      sed -e "s|^plugin_dir *=.*|plugin_dir = $top_builddir/plugins|" \
          -e "s|^state_dir *=.*|state_dir = $tmp/state|" \
          -e "s|127\\.0\\.0\\.1:$DEFAULT_PORT|127.0.0.1:$PORT|g" \
          -e "s|^\\[provider\\.smsmode\\]\$|[provider.smsmode]\\nhook_token = $HOOK_TOKEN|" "$CONF"
      printf '[server]\nlisten = %s\nadmin_key = %s\nworkers = 2\n' "$1" "$DKEY"
      printf 'callback_url = %s/events\nwebhook_secret = %s\n' "$APP" "$WSECRET"
      [ -z "${2:-}" ] || printf 'public_url = %s\n' "$2"
    ) >"$tmp/smsmuxd.ini.new"
    ( umask 077; cat "$tmp/smsmuxd.ini.new" >"$tmp/smsmuxd.ini" )
    chmod 600 "$tmp/smsmuxd.ini"
  }
  write_dconf 127.0.0.1:0
  "$SMSMUXD" --config "$tmp/smsmuxd.ini" --port-file "$tmp/d.port" 2>"$tmp/d.log" &
  daemon=$!
  i=0
  until [ -s "$tmp/d.port" ]; do
    i=$((i + 1))
    [ $i -lt 200 ] && kill -0 "$daemon" 2>/dev/null ||
      { echo "demo: smsmuxd did not start" >&2; cat "$tmp/d.log" >&2; exit 1; }
    sleep 0.05
  done
  DPORT=$(cat "$tmp/d.port")
  D=http://127.0.0.1:$DPORT
  # now that its port is known: public_url, read again on SIGHUP
  write_dconf "127.0.0.1:$DPORT" "$D"
  kill -HUP "$daemon"
  i=0
  until grep -q 'reloaded' "$tmp/d.log"; do
    i=$((i + 1))
    [ $i -lt 200 ] || { echo "demo: smsmuxd did not reload" >&2; cat "$tmp/d.log" >&2; exit 1; }
    sleep 0.05
  done
  printf '\n(smsmuxd, the HTTP service, on %s with [server] admin_key = %s,\n' "$D" "$DKEY"
  printf ' public_url = %s, callback_url = %s/events (an application'"'"'s\n' "$D" "$APP"
  printf ' webhook receiver), webhook_secret = %s; sMsmode'"'"'s hook_token = %s)\n' "$WSECRET" "$HOOK_TOKEN"
  dsay() { printf '  $'; for a in "$@"; do printf ' %s' "$(q "$a")"; done; printf '\n'; "$@"; echo; }
  # field NAME: the first "NAME":"VALUE" of stdin
  field() { grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | sed 's/^[^:]*:"//; s/"$//'; }
  # wait_for TEXT URL: until GET URL (with the key) contains TEXT (10 s)
  wait_for() {
    i=0
    until curl -s -H "Authorization: Bearer $DKEY" "$2" | grep -q "$1"; do
      i=$((i + 1))
      [ $i -lt 200 ] || { echo "demo: $2 never showed $1" >&2; tail -n 5 "$tmp/d.log" >&2; exit 1; }
      sleep 0.05
    done
  }
  dsay curl -s -H "Authorization: Bearer $DKEY" -H 'Content-Type: application/json' \
    -d '{"to": "0612345678", "text": "Bonjour par HTTP"}' "$D/v1/messages" | tee "$tmp/submitted"
  mid=$(field id <"$tmp/submitted")
  wait_for '"status":"accepted"' "$D/v1/messages/$mid"
  smsid=$(curl -s -H "Authorization: Bearer $DKEY" "$D/v1/messages/$mid" | field provider_id)
  printf '\n  (the simulator moves its delivery report on, twice, and pushes each to smsmuxd'"'"'s hook)\n'
  dsay curl -s -X POST "$URL/_sim/advance?provider=smsmode"
  dsay curl -s -X POST "$URL/_sim/advance?provider=smsmode"
  wait_for '"status":"delivered"' "$D/v1/messages/$mid"
  printf '  (delivered through the pushed report: see "history")\n'
  dsay curl -s -H "Authorization: Bearer $DKEY" "$D/v1/messages/$mid"
  i=0
  until grep -q 'delivered' "$tmp/webhooks.log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 200 ] || { echo "demo: no delivered webhook" >&2; exit 1; }
    sleep 0.05
  done
  # show_webhook PATTERN: the first webhook received whose line holds PATTERN
  show_webhook() {
    line=$(grep -m 1 "$1" "$tmp/webhooks.log")
    if command -v jq >/dev/null 2>&1; then
      printf '%s' "$line" | jq -j .body >"$tmp/body"
      printf '  POST %s\n' "$(printf '%s' "$line" | jq -r .path)"
      printf '  X-Smsmux-Event: %s\n' "$(printf '%s' "$line" | jq -r '.headers | to_entries[] | select(.key | ascii_downcase == "x-smsmux-event") | .value')"
      printf '  X-Smsmux-Signature: %s\n' "$(printf '%s' "$line" | jq -r '.headers | to_entries[] | select(.key | ascii_downcase == "x-smsmux-signature") | .value')"
      printf '  %s\n' "$(cat "$tmp/body")"
      if command -v openssl >/dev/null 2>&1; then
        printf '  (its signature, recomputed over the body with the secret: sha256=%s)\n' \
          "$(openssl dgst -sha256 -hmac "$WSECRET" <"$tmp/body" | sed 's/^.*= *//')"
      fi
    else
      printf '  %s\n' "$line"
    fi
  }
  printf '\n  (the application received %s webhooks, one per step; the delivery:)\n' \
    "$(grep -c '' "$tmp/webhooks.log")"
  show_webhook 'delivered'
  printf '\n  (the phone answers STOP: the simulator pushes the reply to smsmuxd)\n'
  dsay curl -s -X POST "$URL/_sim/reply?provider=smsmode&from=33612345678&text=STOP&message_id=$smsid"
  wait_for '"number":"+33612345678"' "$D/v1/optouts"
  dsay curl -s -H "Authorization: Bearer $DKEY" "$D/v1/replies"
  i=0
  until grep -q 'reply' "$tmp/webhooks.log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 200 ] || { echo "demo: no reply webhook" >&2; exit 1; }
    sleep 0.05
  done
  printf '  (the reply reaches the application too:)\n'
  show_webhook '"type\\":\\"reply'
  printf '\n  (STOP opted the number out: the next message to it is refused for it, nothing is sent)\n'
  dsay curl -s -H "Authorization: Bearer $DKEY" "$D/v1/optouts"
  dsay curl -s -H "Authorization: Bearer $DKEY" -H 'Content-Type: application/json' \
    -d '{"to": ["0612345678", "0698765432"], "text": "Encore nous"}' "$D/v1/messages" | tee "$tmp/submitted"
  mid=$(field id <"$tmp/submitted")
  wait_for '"code":"opt-out"' "$D/v1/messages/$mid"
  wait_for '"status":"accepted"' "$D/v1/messages/$mid"
  dsay curl -s -H "Authorization: Bearer $DKEY" "$D/v1/messages/$mid"
  dsay curl -s "$D/cgi-bin/sendsms?username=admin&password=$DKEY&to=0612345679&text=Bonjour+Kannel"
  kill "$daemon" 2>/dev/null || :
  wait "$daemon" 2>/dev/null || :
  daemon=
  kill "$receiver" 2>/dev/null || :
  wait "$receiver" 2>/dev/null || :
  receiver=
fi
