#!/bin/sh
# bench/run.sh - the figures of docs/PERFORMANCE.md, in one run:
#   1. N single-recipient sMsmode sends through libsmsmux (batch API, W
#      workers, smsmode plugin) and the same HTTP requests with bare
#      libcurl (W threads, one reused handle each), against smsmux-sim:
#      messages/s, the ratio, CPU time per message, peak RSS;
#   2. a LINES-line --to-file through the smsmux command (max_rps off):
#      RSS at the start, middle and end of the run, and its peak;
#   3. the cold start of `smsmux providers` with the five plugins loaded;
#   4. instructions per message under callgrind (C sends, one worker).
# Run it with `make bench`, or after `make all bench/bench_send
# bench/bare_curl`:  top_srcdir=. top_builddir=. sh bench/run.sh
# Knobs (environment): N (20000), W (4), LINES (1000000), C (200),
# SIM_THREADS (8), SKIP (space-separated parts to skip: send file cold
# callgrind).  Nothing here asserts a timing: it prints figures.
set -u

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
N=${N:-20000}
W=${W:-4}
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
cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; fi
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

mkconfig() { # mkconfig FILE STATE_DIR
  umask 077
  cat >"$1" <<EOF
[smsmux]
plugin_dir = $B/plugins
state_dir = $2

[provider.smsmode]
plugin = smsmode
base_url = $SIM/smsmode/http/1.6
access_token = $TOKEN
EOF
  umask 022
}

field() { # field NAME LINE
  printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# --- 1. throughput: libsmsmux vs bare libcurl --------------------------------
if ! skip send; then
  echo
  echo "== 1. $N single-recipient sends, $W workers/threads, sMsmode on smsmux-sim"
  fresh_account
  bare=$("$B/bench/bare_curl" "$SIM/smsmode/http/1.6" "$TOKEN" "$N" "$W") ||
    echo "bare_curl: some requests failed" >&2
  echo "$bare"
  fresh_account
  mkconfig "$TMP/send.ini" "$TMP/state-send"
  lib=$(run "$B/bench/bench_send" "$TMP/send.ini" "$N" "$W") ||
    echo "bench_send: some sends failed" >&2
  echo "$lib"
  br=$(field rate "$bare"); lr=$(field rate "$lib")
  echo "| | messages/s | CPU us/message | peak RSS KiB |"
  echo "|---|---|---|---|"
  echo "| bare libcurl | $br | $(field cpu_us "$bare") | $(field maxrss_kb "$bare") |"
  echo "| libsmsmux    | $lr | $(field cpu_us "$lib") | $(field maxrss_kb "$lib") |"
  echo "ratio libsmsmux / bare libcurl: $(echo "scale=3; $lr / $br" | bc)" \
       "(goal: >= 0.90)"
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
    if command -v callgrind_annotate >/dev/null 2>&1; then
      echo "where they go (exclusive Ir by object, the $C-send run):"
      callgrind_annotate --inclusive=no "$TMP/cg.n" 2>/dev/null |
        awk '/\[/ { ir = $1; gsub(",", "", ir); obj = $NF; gsub(/[][]/, "", obj);
                    n = split(obj, parts, "/"); o[parts[n]] += ir }
             END { for (k in o) printf "  %-32s %14d  %5.1f%%\n", k, o[k], 100 * o[k] / '"$inn"' }' |
        sort -k2 -n -r | head -n 8
    fi
  fi
fi
