#!/bin/sh
# bench/nodes.sh - smsmuxd on several nodes sharing one PostgreSQL (issue
# 15, docs/SCALING.md): N single messages submitted over HTTP by C
# keep-alive clients (bench/http_submit, the clients shared out over the
# nodes as a load balancer would) -> 1, 2, then 3 smsmuxd on one private
# PostgreSQL 15 -> the smsmode plugin -> the static nginx fake
# (bench/fake.sh), timed until the fake answered all N (its log); and the
# single SQLite node beside them.  One table, one row per setup:
#   end-to-end msg/s, submit latency, CPU per message of every smsmuxd
#   and of PostgreSQL (all its processes), from /proc/PID/stat;
#   per message: statements smsmux ran (pg_stat_statements, the nodes' own
#   role only), transactions (its COMMITs), the bytes each way and the
#   TCP data segments the nodes sent to PostgreSQL (ss -ti of their
#   sockets: one segment per request, so about the round trips), the WAL
#   written (pg_current_wal_lsn) and the growth of the database.
# PostgreSQL runs as a real one would (TCP on 127.0.0.1, fsync and
# synchronous_commit on), its data in the temporary directory, on the same
# disk as the SQLite node's state_dir.
#
# Run with `make bench-nodes` (or `make bench`, its last part), or after
# `make all bench/http_submit`: top_srcdir=. top_builddir=. sh bench/nodes.sh
# Knobs: N (5000), C (32), WORKERS (16 per node), NODES ("1 2 3"), SKIP
# (sqlite), PG_BIN (/usr/lib/postgresql/15/bin), KEEP (set: the temporary
# directories are left, with the nodes' logs).  Figures only, nothing
# asserted.  It loads the whole machine for a minute: on a shared machine,
# run it when nobody else measures anything.
set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
N=${N:-5000}
C=${C:-32}
WORKERS=${WORKERS:-16}
NODES=${NODES:-1 2 3}
SKIP=${SKIP:-}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
B=$(cd "$top_builddir" && pwd)
KEY=bench-admin-key-0123456789
DAEMON=$("$B/libtool" --mode=execute echo "$B/smsmuxd" | awk '{ print $NF }')
export LD_LIBRARY_PATH="$B/core/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/smsmux-nodes-bench.XXXXXX")
FAKE_DIR=$TMP/fake
PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/smsmux-nodes-pg.XXXXXX")
PGDATA=$PGDIR/data
PGPORT=
PIDS=
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -f "$PGDATA/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1
  sh "$top_srcdir/bench/fake.sh" stop "$FAKE_DIR" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$TMP" "$PGDIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
as_pg() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi; }
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# cpu_us PID...: user + system CPU time of the PIDs so far, microseconds
cpu_us() {
  _t=0
  for _p in "$@"; do
    _t=$((_t + $(awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000000 / hz) }' "/proc/$_p/stat" 2>/dev/null || echo 0)))
  done
  echo "$_t"
}
# pg_cpu_us: every PostgreSQL process (the postmaster with the children
# it reaped, and the live ones: backends, WAL writer, checkpointer...)
pg_cpu_us() {
  _pm=$(head -n 1 "$PGDATA/postmaster.pid")
  _t=$(awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15 + $16 + $17) * 1000000 / hz) }' "/proc/$_pm/stat")
  for _s in /proc/[0-9]*/stat; do
    _pp=$(awk '{ print $4 }' "$_s" 2>/dev/null) || continue
    [ "$_pp" = "$_pm" ] || continue
    _t=$((_t + $(awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000000 / hz) }' "$_s" 2>/dev/null || echo 0)))
  done
  echo "$_t"
}
psql_q() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d "${2:-postgres}" -Atqc "$1"; }
# tcp_to_pg: "BYTES_SENT BYTES_RECEIVED DATA_SEGS_OUT" summed over the
# smsmuxd sockets connected to PostgreSQL
tcp_to_pg() {
  ss -tinpH state established "dport = :$PGPORT" 2>/dev/null | awk '
    /users:\(\("(lt-)?smsmuxd"/ { mine = 1; next }
    /users:\(/ { mine = 0; next }
    mine { for (i = 1; i <= NF; i++) {
             if ($i ~ /^bytes_sent:/) { split($i, a, ":"); s += a[2] }
             if ($i ~ /^bytes_received:/) { split($i, a, ":"); r += a[2] }
             if ($i ~ /^data_segs_out:/) { split($i, a, ":"); g += a[2] } }
           mine = 0 }
    END { printf "%d %d %d\n", s, r, g }'
}

FAKE=$(FAKE_SENDS_LOG=1 sh "$top_srcdir/bench/fake.sh" start "$FAKE_DIR") || { echo "no static fake (nginx): nothing measured"; exit 0; }
FAKE=http://127.0.0.1:$FAKE

if [ ! -x "$PG_BIN/initdb" ]; then
  echo "PostgreSQL 15 is not installed ($PG_BIN): only the SQLite node can be measured (bench/daemon.sh)"
  exit 0
fi
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDIR"
as_pg "$PG_BIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 --locale=C >"$TMP/initdb.log" 2>&1 ||
  { echo "initdb failed:"; cat "$TMP/initdb.log"; exit 1; }
tries=0
while :; do
  tries=$((tries + 1))
  PGPORT=$(( 20000 + ( $(od -An -N2 -tu2 /dev/urandom) % 12768 ) ))
  ss -Htln "sport = :$PGPORT" 2>/dev/null | grep -q . || break
  [ $tries -gt 20 ] && { echo "no free port for PostgreSQL"; exit 1; }
done
cat >>"$PGDATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGDIR'
max_connections = 100
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.max = 1000
EOF
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDIR/server.log" -w -t 60 start >/dev/null ||
  { echo "PostgreSQL did not start:"; tail -5 "$PGDIR/server.log"; exit 1; }
psql_q "CREATE EXTENSION pg_stat_statements; CREATE ROLE smsmux LOGIN"

# start_nodes NAME COUNT [STORE_URL]: COUNT smsmuxd on one configuration
# (a fresh state_dir / database), their URLs comma-joined in $URLS, their
# PIDs in $NODE_PIDS
start_nodes() {
  mkdir -p "$TMP/$1"
  ( umask 077
    printf '[smsmux]\nplugin_dir = %s/plugins\nstate_dir = %s/%s\n' "$B" "$TMP" "$1"
    [ -n "${3:-}" ] && printf 'store = %s\n' "$3"
    printf '[server]\nlisten = 127.0.0.1:0\nadmin_key = %s\nworkers = %s\n' "$KEY" "$WORKERS"
    printf 'max_connections = 4096\nper_ip_connections = 1024\n'
    printf '[provider.smsmode]\nplugin = smsmode\nbase_url = %s/http/1.6\naccess_token = bench-token\n' "$FAKE"
  ) >"$TMP/$1/d.ini"
  chmod 600 "$TMP/$1/d.ini"
  URLS=; NODE_PIDS=
  _k=1
  while [ "$_k" -le "$2" ]; do
    rm -f "$TMP/$1/port$_k"
    "$DAEMON" --config "$TMP/$1/d.ini" --port-file "$TMP/$1/port$_k" --log-level warning 2>"$TMP/$1/d$_k.log" &
    NODE_PIDS="$NODE_PIDS $!"; PIDS="$PIDS $!"
    _i=0
    while [ ! -s "$TMP/$1/port$_k" ] && [ $_i -lt 200 ]; do _i=$((_i + 1)); sleep 0.05; done
    URLS="$URLS${URLS:+,}http://127.0.0.1:$(cat "$TMP/$1/port$_k")/v1/messages"
    _k=$((_k + 1))
  done
}
stop_nodes() {
  for p in $NODE_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  PIDS=
}
# answered: the sendSMS.do requests the fake answered (its log: nothing is
# asked of the nodes or of the database while they work)
answered() { wc -l <"$FAKE_DIR/sends.log"; }

# one_run NAME NODES [pg]: one table row
one_run() {
  name=$1
  if [ "${3:-}" = pg ]; then
    db=bench_$1
    psql_q "CREATE DATABASE $db OWNER smsmux" >/dev/null
    start_nodes "$1" "$2" "postgresql://smsmux@127.0.0.1:$PGPORT/$db"
    label="$2 node$([ "$2" -gt 1 ] && echo s), PostgreSQL"
  else
    start_nodes "$1" "$2"
    label="1 node, SQLite"
  fi
  c0=$(cpu_us $NODE_PIDS)
  if [ "${3:-}" = pg ]; then
    psql_q "SELECT pg_stat_statements_reset()" >/dev/null
    w0=$(psql_q "SELECT pg_current_wal_lsn()")
    s0=$(psql_q "SELECT pg_database_size('$db')")
    set -- $(tcp_to_pg); b0s=$1; b0r=$2; g0=$3
    p0=$(pg_cpu_us)
  fi
  : >"$FAKE_DIR/sends.log"
  t0=$(date +%s%N)
  out=$("$B/bench/http_submit" "$URLS" "$KEY" "$N" "$C")
  i=0
  while [ "$(answered)" -lt "$N" ] && [ $i -lt 2400 ]; do i=$((i + 1)); sleep 0.05; done
  t1=$(date +%s%N)
  cpu=$(( ($(cpu_us $NODE_PIDS) - c0) / N ))
  rate=$(( N * 1000000 / ((t1 - t0) / 1000) ))
  if [ -n "${db:-}" ]; then
    pcpu=$(( ($(pg_cpu_us) - p0) / N ))
    set -- $(tcp_to_pg)
    bs=$(( ($1 - b0s) / N )); br=$(( ($2 - b0r) / N )); segs=$(awk -v a="$3" -v b="$g0" -v n="$N" 'BEGIN { printf "%.1f", (a - b) / n }')
    mine="userid = (SELECT oid FROM pg_roles WHERE rolname = 'smsmux')"
    stmts=$(psql_q "SELECT round(sum(calls)::numeric / $N, 1) FROM pg_stat_statements WHERE $mine")
    xacts=$(psql_q "SELECT round(coalesce(sum(calls), 0)::numeric / $N, 1) FROM pg_stat_statements WHERE $mine AND query = 'COMMIT'")
    wal=$(psql_q "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$w0')::bigint / $N")
    disk=$(psql_q "SELECT (pg_database_size('$db') - $s0) / $N")
    psql_q "SELECT to_char(calls::numeric / $N, '990.00') || ' ' || to_char(total_exec_time * 1000 / $N, '99990') || ' µs  ' || regexp_replace(left(query, 80), '\s+', ' ', 'g') FROM pg_stat_statements WHERE $mine ORDER BY calls DESC LIMIT 15" >"$TMP/stmts-$name"
    echo "| $label | $(field ok "$out")/$N | $(field rate "$out") | $(field p50_ms "$out") | $(field p99_ms "$out") | **$rate** | $cpu | $pcpu | $stmts | $xacts | $bs / $br | $segs | $wal | $disk |"
    db=
  else
    echo "| $label | $(field ok "$out")/$N | $(field rate "$out") | $(field p50_ms "$out") | $(field p99_ms "$out") | **$rate** | $cpu | - | - | - | - | - | - | - |"
  fi
  stop_nodes
}

echo "== smsmuxd nodes on one PostgreSQL: N=$N single messages, $C keep-alive clients shared out over the nodes, $WORKERS workers per node, smsmode plugin -> static fake; $(nproc) CPUs"
echo
echo "| setup | accepted (202) | submits/s | p50 submit ms | p99 submit ms | end to end msg/s | smsmuxd CPU µs/msg (all nodes) | PostgreSQL CPU µs/msg | statements/msg | transactions/msg | bytes/msg to / from PostgreSQL | TCP segments/msg to PostgreSQL | WAL bytes/msg | database growth bytes/msg |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
case " $SKIP " in *" sqlite "*) ;; *) one_run sqlite 1 ;; esac
for n in $NODES; do one_run "pg$n" "$n" pg; done
last=$(echo "$NODES" | awk '{ print $NF }')
echo
echo "Statements per message with $last node(s) (pg_stat_statements, the most frequent: calls / N, execution time / N):"
sed 's/^/    /' "$TMP/stmts-pg$last"
