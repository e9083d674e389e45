#!/bin/sh
# bench/kannel.sh - Kannel (Debian's `kannel` package: bearerbox + smsbox)
# as a reference point for the benchmarks, started in the foreground of
# this machine's loopback with everything in one directory:
#
#   sh bench/kannel.sh start DIR PORT SEND_URL
#       PORT: smsbox's sendsms port (0: a free one); SEND_URL: where the
#       generic HTTP SMSC sends each message, e.g. the static fake's
#       http://127.0.0.1:FAKE/kannel (bench/fake.sh).  Prints the sendsms
#       URL, http://127.0.0.1:PORT/cgi-bin/sendsms, once smsbox answers;
#       user and password are both "bench" (bench/bare_curl -k takes
#       bench:bench).
#   sh bench/kannel.sh pids DIR     the bearerbox and smsbox pids
#   sh bench/kannel.sh stop DIR
#
# The configuration it writes (DIR/kannel.conf), and why:
# - core: admin, smsbox and the SMSC's MO ports on 127.0.0.1 only, free
#   ports picked at start; `store-type = file` (DIR/kannel.store): Kannel's
#   persistent message store, the nearest thing it has to smsmux's journal
#   (it is written as messages pass, not fsync'ed per message: Kannel's
#   figure is one without per-message durability); `dlr-storage =
#   internal`; logs at level 2 (warnings) in DIR, no access log.
# - one SMSC: `smsc = http`, `system-type = generic`, `send-url` = SEND_URL
#   with `to=%P&text=%b` appended (receiver and text, URL-escaped); the
#   generic type wants a `status-success-regex` (it refuses to start
#   without one): "^0: Accepted", what the fake's /kannel answers.  No
#   `throughput` limit; `max-pending-submits = 100` (how many requests the
#   SMSC may have in flight towards SEND_URL; Kannel's default is 10).
# - smsbox: `sendsms-port` = PORT; one sendsms-user bench/bench with
#   `max-messages = 1` (one SMS per request, no splitting) and
#   `default-sender = 36034` (smsbox refuses a message without one); a default
#   sms-service so that smsbox has one (MO are never used here).
# Knobs: BEARERBOX, SMSBOX (the binaries: on PATH, else /usr/sbin).
set -u

BEARERBOX=${BEARERBOX:-$(command -v bearerbox || echo /usr/sbin/bearerbox)}
SMSBOX=${SMSBOX:-$(command -v smsbox || echo /usr/sbin/smsbox)}

free_port() { # a port in 20000..32767 (below Linux's ephemeral range) that
              # nothing listens on (ss when present)
  while :; do
    port=$(( 20000 + ( $(od -An -N2 -tu2 /dev/urandom) % 12768 ) ))
    if command -v ss >/dev/null 2>&1 &&
       ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
      continue
    fi
    echo "$port"
    return 0
  done
}

kannel_start() { # kannel_start DIR PORT SEND_URL: three tries when PORT is 0
  if [ ! -x "$BEARERBOX" ] || [ ! -x "$SMSBOX" ]; then
    echo "kannel.sh: Kannel is not installed (apt-get install kannel)" >&2
    return 1
  fi
  mkdir -p "$1" || return 1
  try=1
  while :; do
    # a port taken between free_port and bind: try other ports
    kannel_try "$@" 2>"$1/start.err" && return 0
    if [ "$2" != 0 ] || [ $try -ge 3 ] || ! grep -q "Address already in use" "$1/start.err"; then
      cat "$1/start.err" >&2
      return 1
    fi
    try=$((try + 1))
    rm -f "$1/kannel.store" "$1/kannel.store.bak"
  done
}

kannel_try() { # kannel_try DIR PORT SEND_URL
  dir=$1 port=$2 url=$3
  [ "$port" = 0 ] && port=$(free_port)
  admin=$(free_port); box=$(free_port); mo=$(free_port)
  case "$url" in *\?*) sep='&' ;; *) sep='?' ;; esac
  cat >"$dir/kannel.conf" <<EOF
group = core
admin-port = $admin
admin-interface = 127.0.0.1
admin-password = bench
admin-allow-ip = "127.0.0.1"
smsbox-port = $box
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "$dir/bearerbox.log"
log-level = 2
store-type = file
store-location = "$dir/kannel.store"
dlr-storage = internal

group = smsc
smsc = http
smsc-id = fake
system-type = generic
send-url = "$url${sep}to=%P&text=%b"
status-success-regex = "^0: Accepted"
port = $mo
connect-allow-ip = "127.0.0.1"
max-pending-submits = 100

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $box
sendsms-port = $port
sendsms-interface = 127.0.0.1
log-file = "$dir/smsbox.log"
log-level = 2

group = sendsms-user
username = bench
password = bench
max-messages = 1
default-sender = 36034

group = sms-service
keyword = default
text = "unused"
EOF
  "$BEARERBOX" -v 2 "$dir/kannel.conf" >"$dir/bearerbox.out" 2>&1 &
  echo $! >"$dir/bearerbox.pid"
  i=0
  until curl -s -o /dev/null "http://127.0.0.1:$admin/status?password=bench"; do
    i=$((i + 1))
    if [ $i -gt 200 ] || ! kill -0 "$(cat "$dir/bearerbox.pid")" 2>/dev/null; then
      echo "kannel.sh: bearerbox did not start:" >&2
      tail -n 20 "$dir/bearerbox.out" "$dir/bearerbox.log" >&2 2>/dev/null
      kannel_stop "$dir"
      return 1
    fi
    sleep 0.05
  done
  "$SMSBOX" -v 2 "$dir/kannel.conf" >"$dir/smsbox.out" 2>&1 &
  echo $! >"$dir/smsbox.pid"
  i=0
  # smsbox answers sendsms (here: a refusal of no user) once it is up and
  # connected to bearerbox
  until curl -s -o /dev/null "http://127.0.0.1:$port/cgi-bin/sendsms"; do
    i=$((i + 1))
    if [ $i -gt 200 ] || ! kill -0 "$(cat "$dir/smsbox.pid")" 2>/dev/null; then
      echo "kannel.sh: smsbox did not start:" >&2
      tail -n 20 "$dir/smsbox.out" "$dir/smsbox.log" >&2 2>/dev/null
      kannel_stop "$dir"
      return 1
    fi
    sleep 0.05
  done
  echo "$port" >"$dir/port"
  echo "http://127.0.0.1:$port/cgi-bin/sendsms"
}

kannel_pids() { # kannel_pids DIR
  for f in "$1/bearerbox.pid" "$1/smsbox.pid"; do
    [ -s "$f" ] && cat "$f"
  done
}

kannel_stop() { # kannel_stop DIR: smsbox first, then bearerbox
  for f in "$1/smsbox.pid" "$1/bearerbox.pid"; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
      i=$((i + 1))
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null
    rm -f "$f"
  done
  return 0
}

case "${1:-}" in
  start) kannel_start "${2:?kannel.sh start DIR PORT SEND_URL}" \
           "${3:?kannel.sh start DIR PORT SEND_URL}" \
           "${4:?kannel.sh start DIR PORT SEND_URL}" ;;
  pids) kannel_pids "${2:?kannel.sh pids DIR}" ;;
  stop) kannel_stop "${2:?kannel.sh stop DIR}" ;;
  *) echo "usage: sh bench/kannel.sh start DIR PORT SEND_URL | pids DIR | stop DIR" >&2
     exit 2 ;;
esac
