#!/bin/sh
# bench/run.sh - the figures of docs/PERFORMANCE.md, in one run:
#   1. N single-recipient personalised sMsmode sends ("Bonjour i" to its
#      own number, each with its own ref: nothing grouped, every message
#      through the journal) through libsmsmux (batch API, W workers,
#      smsmode plugin) and the very same HTTP requests with bare libcurl
#      (W threads, one reused handle each), for W in WS (4 and 16), against
#      smsmux-sim and against a static-reply nginx (bench/fake.sh) that
#      cannot be the bottleneck: messages/s, the ratio, CPU time per message
#      of the client and of the server, peak RSS (and libsmsmux once more
#      without refs: what the journal path costs); then the fsync and
#      fdatasync calls per message of each client, counted by strace on a
#      shorter run (NF messages);
#   2. a LINES-line --to-file through the smsmux command (max_rps off):
#      RSS at the start, middle and end of the run, and its peak;
#   3. the cold start of `smsmux providers` with the five plugins loaded;
#   4. instructions per message under callgrind (C sends, one worker; the
#      same text without refs, then personalised texts with a ref each);
#   5. Kannel (Debian's package) as a reference: the same N messages over
#      its /cgi-bin/sendsms, W concurrent requests, through a generic HTTP
#      SMSC to the static nginx (bench/kannel.sh).
# Run it with `make bench`, or after `make all bench/bench_send
# bench/bare_curl`:  top_srcdir=. top_builddir=. sh bench/run.sh
# Knobs (environment): N (5000), WS (4 16), NF (1000), LINES (1000000),
# C (200), SIM_THREADS (8), SKIP (space-separated parts to skip: send sim
# static fsync file cold callgrind kannel; sim and static skip one target
# of part 1, fsync its strace runs).  W (4): the workers of parts 2 and 4.
# Missing nginx, strace or kannel: as root, the script installs them with
# apt-get (INSTALL=0 to never do that); else those parts are skipped.
# Nothing here asserts a timing: it prints figures.  On a shared 2-CPU
# machine they move by tens of percent from run to run.
set -u

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
N=${N:-5000}
W=${W:-4}
WS=${WS:-4 16}
NF=${NF:-1000}
INSTALL=${INSTALL:-1}
LINES=${LINES:-1000000}
C=${C:-200}
SIM_THREADS=${SIM_THREADS:-8}
SKIP=${SKIP:-}
B=$(cd "$top_builddir" && pwd)
LIBTOOL=$B/libtool
TOKEN=bench-token

skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
run() { "$LIBTOOL" --mode=execute "$@"; }
# the smsmux program itself, not libtool's wrapper script (whose shell
# would be what a sampler or a timer sees)
SMSMUX_BIN=$("$LIBTOOL" --mode=execute echo "$B/smsmux" | awk '{ print $NF }')
export LD_LIBRARY_PATH="$B/core/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/smsmux-bench.XXXXXX")
SIM_PID=
FAKE_DIR=
KANNEL_DIR=
cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; fi
  [ -n "$KANNEL_DIR" ] && sh "$top_srcdir/bench/kannel.sh" stop "$KANNEL_DIR"
  [ -n "$FAKE_DIR" ] && sh "$top_srcdir/bench/fake.sh" stop "$FAKE_DIR"
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "smsmux benchmark: $(nproc) CPUs, $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"

# --- the simulator: a thread pool, no request log ---------------------------
"$B/smsmux-sim" --port 0 --port-file "$TMP/port" --threads "$SIM_THREADS" \
  --quiet --no-log >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
i=0
while [ ! -s "$TMP/port" ]; do
  i=$((i + 1))
  if [ $i -gt 200 ]; then echo "smsmux-sim did not start" >&2; cat "$TMP/sim.log" >&2; exit 1; fi
  sleep 0.05
done
SIM=http://127.0.0.1:$(cat "$TMP/port")
echo "smsmux-sim: $SIM_THREADS threads, --no-log"

# a fresh sMsmode account that may go below zero: every send is accepted
fresh_account() {
  curl -sS -X POST "$SIM/_sim/reset" >/dev/null
  curl -sS -X POST "$SIM/_sim/account?provider=smsmode&token=$TOKEN&postpay=1&credit=0" >/dev/null
}

mkconfig() { # mkconfig FILE STATE_DIR [BASE_URL]
  umask 077
  cat >"$1" <<EOF
[smsmux]
plugin_dir = $B/plugins
state_dir = $2

[provider.smsmode]
plugin = smsmode
base_url = ${3:-$SIM/smsmode/http/1.6}
access_token = $TOKEN
EOF
  umask 022
}

# have COMMAND PACKAGE: COMMAND is there, or installed now (root, INSTALL=1)
have() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [ -x "/usr/sbin/$1" ] && return 0
  if [ "$(id -u)" = 0 ] && [ "$INSTALL" = 1 ] && command -v apt-get >/dev/null 2>&1; then
    echo "(installing $2 for the benchmark)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" \
      >"$TMP/apt-$2.log" 2>&1 || tail -n 5 "$TMP/apt-$2.log" >&2
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]
    return
  fi
  return 1
}

HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
# proc_cpu PID...: user+system clock ticks so far of these processes and
# of their children (nginx's workers)
proc_cpu() {
  for p in "$@"; do
    echo "$p"
    ps -o pid= --ppid "$p" 2>/dev/null
  done | while read -r q; do
    [ -r "/proc/$q/stat" ] && sed 's/^.*) //' "/proc/$q/stat" | awk '{ print $12 + $13 }'
  done | awk '{ t += $1 } END { print t + 0 }'
}
# us_per MSGS TICKS: microseconds of CPU per message
us_per() { echo "scale=1; $2 * 1000000 / $HZ / $1" | bc; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }
# fsyncs FILE: fsync + fdatasync calls in a `strace -c` summary
fsyncs() {
  awk '$NF == "fsync" || $NF == "fdatasync" { n += $4 } END { print n + 0 }' "$1"
}

field() { # field NAME LINE
  printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# start_fake: the static nginx of bench/fake.sh, once; FAKE is its URL ("" if
# it cannot run)
FAKE=
start_fake() {
  [ -n "$FAKE" ] && return 0
  have nginx nginx-light || {
    echo "nginx is not installed (apt-get install nginx-light): no static fake"
    return 1
  }
  FAKE_DIR=$TMP/fake
  if fport=$(sh "$top_srcdir/bench/fake.sh" start "$FAKE_DIR"); then
    FAKE=http://127.0.0.1:$fport
    echo "static fake: $("$(command -v nginx || echo /usr/sbin/nginx)" -v 2>&1 | sed 's/^.*: //'), one worker, on $FAKE (bench/fake.sh)"
  else
    FAKE_DIR=
    return 1
  fi
}

# --- 1. personalised single-recipient sends: libsmsmux vs bare libcurl ------
# target_row TARGET W BASE SERVER_PIDS: one line of the table; the raw lines
# of both programs go to $TMP/send.raw
target_row() {
  tgt=$1 w=$2 base=$3 spids=$4
  [ "$tgt" = sim ] && fresh_account
  c0=$(proc_cpu $spids)
  bare=$("$B/bench/bare_curl" -p "$base" "$TOKEN" "$N" "$w") ||
    echo "bare_curl ($tgt, $w): some requests failed" >&2
  c1a=$(proc_cpu $spids)
  [ "$tgt" = sim ] && fresh_account
  rm -rf "$TMP/state-send"
  mkconfig "$TMP/send.ini" "$TMP/state-send" "$base"
  c1=$(proc_cpu $spids)
  lib=$(run "$B/bench/bench_send" "$TMP/send.ini" "$N" "$w" 1 -p -r "bench-$tgt-$w") ||
    echo "bench_send ($tgt, $w): some sends failed" >&2
  c2=$(proc_cpu $spids)
  # the same without refs: what the journal path costs
  [ "$tgt" = sim ] && fresh_account
  rm -rf "$TMP/state-send"
  noref=$(run "$B/bench/bench_send" "$TMP/send.ini" "$N" "$w" 1 -p) ||
    echo "bench_send without refs ($tgt, $w): some sends failed" >&2
  printf '%s W=%s: %s\n%s W=%s: %s\n%s W=%s (no ref): %s\n' "$tgt" "$w" "$bare" \
    "$tgt" "$w" "$lib" "$tgt" "$w" "$noref" >>"$TMP/send.raw"
  br=$(field rate "$bare"); lr=$(field rate "$lib")
  bc_=$(field cpu_us "$bare"); lc=$(field cpu_us "$lib")
  echo "| $tgt | $w | $br | $lr | $(ratio "$lr" "$br") | $bc_ | $lc | $(ratio "$lc" "$bc_") |" \
       "$(us_per "$N" $((c1a - c0))) / $(us_per "$N" $((c2 - c1))) |" \
       "$(field maxrss_kb "$bare") / $(field maxrss_kb "$lib") |" \
       "$(field ok "$bare") / $(field ok "$lib") |" \
       "$(field rate "$noref") ($(field cpu_us "$noref")) |"
}

if ! skip send; then
  echo
  echo "== 1. $N personalised single-recipient sends (own text, own number, own ref), sMsmode"
  skip static || start_fake
  : >"$TMP/send.raw"
  echo
  echo "| server | W | bare libcurl msg/s | libsmsmux msg/s | ratio (goal >= 0.90) | bare CPU us/msg | libsmsmux CPU us/msg | CPU ratio (goal <= 1.30) | server CPU us/msg (bare / lib run) | peak RSS KiB (bare / lib) | ok (bare / lib) | libsmsmux without refs: msg/s (CPU us/msg) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  for w in $WS; do
    skip sim || target_row sim "$w" "$SIM/smsmode/http/1.6" "$SIM_PID"
    [ -n "$FAKE" ] && target_row static "$w" "$FAKE/http/1.6" "$(cat "$FAKE_DIR/nginx.pid")"
  done
  echo
  echo "(the raw lines:)"
  sed 's/^/  /' "$TMP/send.raw"

  if ! skip fsync; then
    echo
    if have strace strace; then
      base=$SIM/smsmode/http/1.6 where=smsmux-sim
      [ -n "$FAKE" ] && base=$FAKE/http/1.6 where="the static fake"
      w=$(echo "$WS" | awk '{ print $1 }')
      [ -n "$FAKE" ] || fresh_account
      run strace -f -c -e trace=fsync,fdatasync -o "$TMP/strace.bare" \
        "$B/bench/bare_curl" -p "$base" "$TOKEN" "$NF" "$w" >/dev/null
      [ -n "$FAKE" ] || fresh_account
      rm -rf "$TMP/state-send"
      mkconfig "$TMP/send.ini" "$TMP/state-send" "$base"
      run strace -f -c -e trace=fsync,fdatasync -o "$TMP/strace.lib" \
        "$B/bench/bench_send" "$TMP/send.ini" "$NF" "$w" 1 -p -r bench-fsync >/dev/null
      fb=$(fsyncs "$TMP/strace.bare"); fl=$(fsyncs "$TMP/strace.lib")
      echo "fsync + fdatasync calls (strace -f -c, $NF messages, W=$w, $where):" \
           "libsmsmux $fl ($(printf '%.3f' "$(echo "scale=4; $fl / $NF" | bc)") per message)," \
           "bare libcurl $fb ($(printf '%.3f' "$(echo "scale=4; $fb / $NF" | bc)") per message)"
    else
      echo "strace is not installed: fsyncs per message not counted"
    fi
  fi
fi

# --- 2. a LINES-line file through the CLI: RSS stays flat ---------------------
if ! skip file; then
  echo
  echo "== 2. send --to-file with $LINES lines (one text: grouped), $W workers, max_rps off"
  fresh_account
  mkconfig "$TMP/file.ini" "$TMP/state-file"
  awk -v n="$LINES" 'BEGIN { for (i = 0; i < n; i++) printf "06%08d\n", 10000000 + i }' \
    >"$TMP/million.txt"
  t0=$(date +%s%N)
  "$SMSMUX_BIN" --config "$TMP/file.ini" send --to-file "$TMP/million.txt" \
    --text 'Bench campaign' --workers "$W" >"$TMP/file.out" 2>"$TMP/file.err" &
  pid=$!
  : >"$TMP/rss"
  while kill -0 "$pid" 2>/dev/null; do
    sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$pid/status" 2>/dev/null >>"$TMP/rss"
    sleep 0.2
  done
  wait "$pid"
  rc=$?
  t1=$(date +%s%N)
  echo "$LINES lines in $(( (t1 - t0) / 1000000 )) ms"
  tail -n 5 "$TMP/file.out"
  [ $rc -eq 0 ] || { echo "smsmux exited $rc:"; tail -n 5 "$TMP/file.err"; }
  n=$(grep -c . "$TMP/rss")
  if [ "$n" -gt 0 ]; then
    echo "RSS KiB ($n samples every 0.2 s): start $(sed -n 1p "$TMP/rss")," \
         "middle $(sed -n "$(( (n + 1) / 2 ))p" "$TMP/rss")," \
         "end $(sed -n "${n}p" "$TMP/rss")," \
         "max $(sort -n "$TMP/rss" | tail -n 1)"
  fi
  rm -f "$TMP/million.txt"
fi

# --- 3. cold start of `smsmux providers`, five plugins ------------------------
if ! skip cold; then
  echo
  echo "== 3. cold start: smsmux providers, five plugins loaded"
  umask 077
  cat >"$TMP/five.ini" <<EOF
[smsmux]
plugin_dir = $B/plugins
state_dir = $TMP/state-cold
[provider.smsmode]
plugin = smsmode
access_token = t
[provider.clever]
plugin = clever-http
login = l
password = p
[provider.cleverrest]
plugin = clever-rest
login = l
password = p
[provider.mediasflow]
plugin = mediasflow
login = l
password = p
[provider.allmysms]
plugin = allmysms
login = l
password = p
EOF
  umask 022
  real=$SMSMUX_BIN
  "$real" --config "$TMP/five.ini" providers >"$TMP/providers.out" 2>&1
  echo "$(grep -c . "$TMP/providers.out") lines of output, e.g.: $(head -n 1 "$TMP/providers.out")"
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 3 --runs 20 \
      "$real --config $TMP/five.ini providers"
  else
    "$real" --config "$TMP/five.ini" providers >/dev/null 2>&1
    t0=$(date +%s%N)
    i=0
    while [ $i -lt 20 ]; do
      "$real" --config "$TMP/five.ini" providers >/dev/null 2>&1
      i=$((i + 1))
    done
    t1=$(date +%s%N)
    echo "mean of 20 runs: $(( (t1 - t0) / 20000 )) us (no hyperfine: a shell loop)"
  fi
fi

# --- 4. instructions per message (callgrind) ----------------------------------
if ! skip callgrind; then
  echo
  echo "== 4. instructions per message: callgrind, $C sends, one worker"
  if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind is not installed: skipped"
  else
    mkconfig "$TMP/cg.ini" "$TMP/state-cg"
    total() { # total OUTFILE: the "summary:" / "totals:" Ir of a callgrind file
      sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$1" | head -n 1
    }
    fresh_account
    run valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.0" \
      "$B/bench/bench_send" "$TMP/cg.ini" 0 1 >/dev/null 2>"$TMP/cg0.err"
    fresh_account
    run valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.n" \
      "$B/bench/bench_send" "$TMP/cg.ini" "$C" 1 >/dev/null 2>"$TMP/cgn.err"
    i0=$(total "$TMP/cg.0"); inn=$(total "$TMP/cg.n")
    echo "instructions: $inn for $C sends, $i0 for open+close alone"
    echo "per message: $(( inn / C )) (all), $(( (inn - i0) / C )) (without open/close)"
    # issue 10's messages: personalised, a ref each (fresh journal)
    fresh_account
    rm -rf "$TMP/state-cg"
    run valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.r" \
      "$B/bench/bench_send" "$TMP/cg.ini" "$C" 1 1 -p -r cg >/dev/null 2>"$TMP/cgr.err"
    ir=$(total "$TMP/cg.r")
    echo "personalised, a ref each: $(( ir / C )) per message (all)," \
         "$(( (ir - i0) / C )) (without open/close)"
    if command -v callgrind_annotate >/dev/null 2>&1; then
      echo "where they go (exclusive Ir by object, the $C-send run):"
      callgrind_annotate --inclusive=no "$TMP/cg.n" >"$TMP/cga.out" 2>"$TMP/cga.err"
      <"$TMP/cga.out" \
        awk '/\[/ { ir = $1; gsub(",", "", ir); obj = $NF; gsub(/[][]/, "", obj);
                    n = split(obj, parts, "/"); o[parts[n]] += ir }
             END { for (k in o) printf "  %-32s %14d  %5.1f%%\n", k, o[k], 100 * o[k] / '"$inn"' }' |
        sort -k2 -n -r | head -n 8
      # (it has come out empty, once in a few full runs: say why)
      grep -q '\[' "$TMP/cga.out" ||
        { echo "  callgrind_annotate gave no per-object lines:"; tail -n 3 "$TMP/cga.err"; }
    fi
  fi
fi

# --- 5. Kannel as a reference ---------------------------------------------------
if ! skip kannel; then
  echo
  echo "== 5. Kannel reference: $N messages over its /cgi-bin/sendsms (\"Bonjour i\", own number), generic HTTP SMSC to the static fake"
  start_fake
  if [ -z "$FAKE" ]; then
    echo "no static fake: skipped"
  elif ! have bearerbox kannel; then
    echo "Kannel is not installed (apt-get install kannel): skipped"
  else
    echo "$("$(command -v bearerbox || echo /usr/sbin/bearerbox)" --version 2>&1 | head -n 1)," \
         "store-type = file, max-pending-submits = 100 (bench/kannel.sh)"
    echo
    echo "| W | sendsms answered msg/s | end to end msg/s (all N at the fake) | Kannel CPU us/msg (bearerbox + smsbox) | driver CPU us/msg | fake CPU us/msg | at the fake / N |"
    echo "|---|---|---|---|---|---|---|"
    for w in $WS; do
      KANNEL_DIR=$TMP/kannel-$w
      if ! url=$(sh "$top_srcdir/bench/kannel.sh" start "$KANNEL_DIR" 0 "$FAKE/kannel"); then
        KANNEL_DIR=
        break
      fi
      : >"$FAKE_DIR/kannel.log"
      kp=$(sh "$top_srcdir/bench/kannel.sh" pids "$KANNEL_DIR")
      fp=$(cat "$FAKE_DIR/nginx.pid")
      c0=$(proc_cpu $kp); f0=$(proc_cpu "$fp")
      t0=$(date +%s%N)
      drv=$("$B/bench/bare_curl" -k -p "$url" bench:bench "$N" "$w") ||
        echo "bare_curl -k (W=$w): some requests were not accepted: $drv" >&2
      t1=$(date +%s%N)
      i=0
      while [ "$(wc -l <"$FAKE_DIR/kannel.log")" -lt "$N" ] && [ $i -lt 1200 ]; do
        i=$((i + 1))
        sleep 0.05
      done
      t2=$(date +%s%N)
      c1=$(proc_cpu $kp); f1=$(proc_cpu "$fp")
      got=$(wc -l <"$FAKE_DIR/kannel.log")
      echo "| $w | $(field rate "$drv") | $(( N * 1000000 / ((t2 - t0) / 1000) )) |" \
           "$(us_per "$N" $((c1 - c0))) | $(field cpu_us "$drv") | $(us_per "$N" $((f1 - f0))) | $got / $N |"
      sh "$top_srcdir/bench/kannel.sh" stop "$KANNEL_DIR"
      KANNEL_DIR=
    done
    # Kannel's fsyncs: strace attached to bearerbox and smsbox for NF messages
    if ! skip fsync && have strace strace; then
      w=$(echo "$WS" | awk '{ print $1 }')
      KANNEL_DIR=$TMP/kannel-fsync
      if url=$(sh "$top_srcdir/bench/kannel.sh" start "$KANNEL_DIR" 0 "$FAKE/kannel"); then
        : >"$FAKE_DIR/kannel.log"
        set -- $(sh "$top_srcdir/bench/kannel.sh" pids "$KANNEL_DIR")
        strace -f -c -e trace=fsync,fdatasync -o "$TMP/strace.kannel" -p "$1" -p "$2" 2>"$TMP/strace.kannel.err" &
        spid=$!
        sleep 1 # strace attaches to every thread
        "$B/bench/bare_curl" -k -p "$url" bench:bench "$NF" "$w" >/dev/null
        i=0
        while [ "$(wc -l <"$FAKE_DIR/kannel.log")" -lt "$NF" ] && [ $i -lt 1200 ]; do
          i=$((i + 1))
          sleep 0.05
        done
        kill -INT "$spid" 2>/dev/null
        wait "$spid" 2>/dev/null
        echo
        # (strace -c writes nothing at all when no call was made)
        if grep -q "attached" "$TMP/strace.kannel.err"; then
          fk=$(fsyncs "$TMP/strace.kannel")
          echo "fsync + fdatasync calls of bearerbox + smsbox (strace -f -c -p, $NF messages, W=$w):" \
               "$fk ($(printf '%.3f' "$(echo "scale=4; $fk / $NF" | bc)") per message)"
        else
          echo "strace could not attach to bearerbox and smsbox: their fsyncs not counted"
        fi
        sh "$top_srcdir/bench/kannel.sh" stop "$KANNEL_DIR"
      fi
      KANNEL_DIR=
    fi
  fi
fi
