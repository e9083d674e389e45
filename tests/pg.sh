# tests/pg.sh - a private PostgreSQL server for one test (sourced after
# tests/lib.sh, POSIX sh).
#
#   . "$top_srcdir/tests/pg.sh"
#   pg_start              # initdb + pg_ctl in a temporary directory: Unix
#                         # socket there, no TCP; database "smsmux";
#                         # PG_URL=postgresql://USER@/smsmux?host=DIR
#   pg_createdb NAME      # another (empty) database of that server
#   pg_url NAME           # the URL of database NAME
#
# The server is stopped and its directory removed when the test exits.
# Without PostgreSQL 15's binaries (/usr/lib/postgresql/15/bin, or
# $PG_BIN) the test is skipped (exit 77), except under CI=true, where it
# fails: CI installs them (scripts/install-deps.sh), so both store backends
# are always tested there.  As root, the server runs as the unprivileged
# `postgres` user (PostgreSQL refuses root).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
# (sourced a second time, by a suite that tests/lib.sh already put on
# PostgreSQL, the running server is kept)
PG_DIR=${PG_DIR:-}
PG_USER=${PG_USER:-}
PG_URL=${PG_URL:-}

_pg_as() { # run a command as the server's user
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

pg_stop() {
  if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
    _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || :
  fi
  [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
  PG_DIR=
}

pg_url() { echo "postgresql://$PG_USER@/$1?host=$PG_DIR"; }

pg_createdb() {
  "$PG_BIN/createdb" -h "$PG_DIR" -U "$PG_USER" "$1" || {
    fail "createdb $1"
    finish; exit 1
  }
}

pg_start() {
  [ -n "$PG_DIR" ] && return 0 # one server per script
  if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    if [ "${CI:-}" = true ]; then
      fail "PostgreSQL binaries in $PG_BIN (CI=true: scripts/install-deps.sh installs postgresql-15)"
      finish; exit 1
    fi
    echo "# SKIP: PostgreSQL 15 is not installed ($PG_BIN): the PostgreSQL store is not tested"
    exit 77
  fi
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/smsmux-pg.XXXXXX")
  trap 'pg_stop; _cleanup' EXIT
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$PG_DIR"
    PG_USER=postgres
  else
    PG_USER=$(id -un)
  fi
  if ! _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U "$PG_USER" \
      -E UTF8 --locale=C --no-sync >"$TMP/initdb.log" 2>&1; then
    fail "initdb" "$(tail -5 "$TMP/initdb.log")"
    finish; exit 1
  fi
  # no network; the socket in the test's directory; fsync off (this
  # server's data is thrown away: the tests check what the store does, not
  # the disk); commits still wait for the WAL write (synchronous_commit)
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF2
listen_addresses = ''
unix_socket_directories = '$PG_DIR'
fsync = off
full_page_writes = off
max_connections = 60
EOF2
  if ! _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
      -w -t 60 start >/dev/null 2>&1; then
    fail "pg_ctl start" "$(tail -5 "$PG_DIR/server.log" 2>/dev/null)"
    finish; exit 1
  fi
  pg_createdb smsmux
  PG_URL=$(pg_url smsmux)
  export PG_URL
}
