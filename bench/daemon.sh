#!/bin/sh
# bench/daemon.sh - smsmuxd end to end (docs/PERFORMANCE.md, "smsmuxd"):
# N single messages submitted over HTTP by C concurrent keep-alive clients
# (bench/http_submit) -> the durable queue (fsync, group commit) -> the
# smsmode plugin -> the static fake (bench/fake.sh), timed until the fake
# answered all N (the queue's settled count, /metrics); the same through
# /cgi-bin/sendsms; and, side by side, Kannel (Debian's package,
# store-type = file, generic HTTP SMSC to the same fake, bench/kannel.sh)
# driven by the same client with the same concurrency.  Prints p50/p99
# submit latency, end-to-end rate, peak RSS, and fsync + fdatasync calls per
# message (strace -f -c on a run of NF messages).
# Run with `make bench` (after bench/run.sh), or after `make all
# bench/http_submit`:  top_srcdir=. top_builddir=. sh bench/daemon.sh
# Knobs: N (5000), C (32), NF (1000), WORKERS (16, smsmuxd's), SKIP (any of
# post kannel-api kannel fsync).  Figures only, nothing asserted.
set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
N=${N:-5000}
C=${C:-32}
NF=${NF:-1000}
WORKERS=${WORKERS:-16}
SKIP=${SKIP:-}
B=$(cd "$top_builddir" && pwd)
KEY=bench-admin-key-0123456789
skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
DAEMON=$("$B/libtool" --mode=execute echo "$B/smsmuxd" | awk '{ print $NF }')
export LD_LIBRARY_PATH="$B/core/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/smsmuxd-bench.XXXXXX")
FAKE_DIR=$TMP/fake
D_PID=
KANNEL_DIR=
cleanup() {
  [ -n "$D_PID" ] && { kill "$D_PID" 2>/dev/null; wait "$D_PID" 2>/dev/null; }
  [ -n "$KANNEL_DIR" ] && sh "$top_srcdir/bench/kannel.sh" stop "$KANNEL_DIR"
  sh "$top_srcdir/bench/fake.sh" stop "$FAKE_DIR" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
settled() { curl -s "$D/metrics" | awk '/^smsmux_recipients_settled_total/ { n += $2 } END { print n + 0 }'; }
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

FAKE=$(sh "$top_srcdir/bench/fake.sh" start "$FAKE_DIR") || { echo "no static fake (nginx): nothing measured"; exit 0; }
FAKE=http://127.0.0.1:$FAKE

start_daemon() { # start_daemon NAME: a fresh store
  mkdir -p "$TMP/$1"
  ( umask 077
    printf '[smsmux]\nplugin_dir = %s/plugins\nstate_dir = %s/%s\n' "$B" "$TMP" "$1"
    printf '[server]\nlisten = 127.0.0.1:0\nadmin_key = %s\nworkers = %s\n' "$KEY" "$WORKERS"
    printf 'max_connections = 4096\nper_ip_connections = 1024\n'
    printf '[provider.smsmode]\nplugin = smsmode\nbase_url = %s/http/1.6\naccess_token = bench-token\n' "$FAKE"
  ) >"$TMP/$1/d.ini"
  chmod 600 "$TMP/$1/d.ini"
  rm -f "$TMP/port"
  "$DAEMON" --config "$TMP/$1/d.ini" --port-file "$TMP/port" --log-level warning 2>"$TMP/$1/d.log" &
  D_PID=$!
  i=0
  while [ ! -s "$TMP/port" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
  D=http://127.0.0.1:$(cat "$TMP/port")
}
stop_daemon() { kill "$D_PID"; wait "$D_PID" 2>/dev/null; D_PID=; }

# one_run MODE: submit N (post: POST /v1/messages; kannel: sendsms), wait
# until the queue settled all N; one table row
one_run() {
  start_daemon "$1"
  if [ "$1" = post ]; then
    name="POST /v1/messages"
    set -- "$D/v1/messages" "$KEY"
  else
    name="GET /cgi-bin/sendsms"
    set -- -k "$D/cgi-bin/sendsms" "admin:$KEY"
  fi
  t0=$(date +%s%N)
  out=$("$B/bench/http_submit" "$@" "$N" "$C")
  i=0
  while [ "$(settled)" -lt "$N" ] && [ $i -lt 2400 ]; do i=$((i + 1)); sleep 0.05; done
  t1=$(date +%s%N)
  echo "| smsmuxd $name | $(field ok "$out")/$N | $(field rate "$out") | $(field p50_ms "$out") | $(field p99_ms "$out") |" \
       "$(( N * 1000000 / ((t1 - t0) / 1000) )) | $(( $(hwm "$D_PID") / 1024 )) MB |"
  stop_daemon
}

echo "== smsmuxd end to end: N=$N single messages, $C concurrent keep-alive clients, $WORKERS workers, smsmode plugin -> static fake"
echo
echo "| path | accepted (202) | submits/s | p50 submit ms | p99 submit ms | end to end msg/s (all at the fake) | peak RSS |"
echo "|---|---|---|---|---|---|---|"
skip post || one_run post
skip kannel-api || one_run kannel

# Kannel, the same client and concurrency, to the same fake
if ! skip kannel; then
  if ! command -v bearerbox >/dev/null 2>&1 && [ ! -x /usr/sbin/bearerbox ]; then
    echo "| Kannel | not installed (apt-get install kannel) | | | | | |"
  else
    KANNEL_DIR=$TMP/kannel
    if url=$(sh "$top_srcdir/bench/kannel.sh" start "$KANNEL_DIR" 0 "$FAKE/kannel"); then
      : >"$FAKE_DIR/kannel.log"
      t0=$(date +%s%N)
      out=$("$B/bench/http_submit" -k "$url" bench:bench "$N" "$C")
      i=0
      while [ "$(wc -l <"$FAKE_DIR/kannel.log")" -lt "$N" ] && [ $i -lt 2400 ]; do i=$((i + 1)); sleep 0.05; done
      t1=$(date +%s%N)
      rss=0
      for p in $(sh "$top_srcdir/bench/kannel.sh" pids "$KANNEL_DIR"); do rss=$((rss + $(hwm "$p"))); done
      echo "| Kannel sendsms (store-type = file) | $(field ok "$out")/$N | $(field rate "$out") | $(field p50_ms "$out") | $(field p99_ms "$out") |" \
           "$(( N * 1000000 / ((t1 - t0) / 1000) )) | $((rss / 1024)) MB (bearerbox + smsbox) |"
      sh "$top_srcdir/bench/kannel.sh" stop "$KANNEL_DIR"
    fi
    KANNEL_DIR=
  fi
fi

# fsyncs per message: strace on smsmuxd for NF messages
if ! skip fsync && command -v strace >/dev/null 2>&1; then
  start_daemon fsync
  strace -f -c -e trace=fsync,fdatasync -o "$TMP/strace.d" -p "$D_PID" 2>"$TMP/strace.err" &
  spid=$!
  sleep 1
  "$B/bench/http_submit" "$D/v1/messages" "$KEY" "$NF" "$C" >/dev/null
  i=0
  while [ "$(settled)" -lt "$NF" ] && [ $i -lt 2400 ]; do i=$((i + 1)); sleep 0.05; done
  kill -INT "$spid" 2>/dev/null
  wait "$spid" 2>/dev/null
  f=$(awk '$NF == "fsync" || $NF == "fdatasync" { n += $4 } END { print n + 0 }' "$TMP/strace.d")
  echo
  echo "fsync + fdatasync calls of smsmuxd (strace -f -c, $NF messages submitted and sent, C=$C): $f ($(echo "scale=3; $f / $NF" | bc) per message)"
  stop_daemon
fi
