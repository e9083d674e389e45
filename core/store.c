/* store: the SQLite backend, the database under state_dir (see store.h;
 * the public functions reach the sq_* ones below through
 * store_sqlite_backend, store_backend.h).
 *
 * Schema (PRAGMA user_version = 4):
 *   messages(id PRIMARY KEY, tenant, ref, fingerprint, created, request,
 *            not_before, callback_url, encoding, segments, charge,
 *            unit_price, refund_on)
 *   recipients(message_id, tenant, ref, number, fingerprint, state,
 *              provider, provider_id, code, text, created, updated,
 *              claimed_by, polls, poll_next, units, refunded,
 *              PRIMARY KEY (message_id, number));
 *              UNIQUE (tenant, ref, number) where ref is set
 *   attempts(message_id, provider, outcome, class, code, message, at)
 *   kv(ns, key, value, updated, PRIMARY KEY (ns, key))
 *   events(seq AUTOINCREMENT, message_id, kind, number, status, provider,
 *          provider_id, code, text, at): the history, one row per status
 *          change (written by the job that makes the change) or reply
 *   webhooks(seq = the event's, message_id, next_at, attempts, created,
 *            claimed_by): the events pending delivery to a callback_url
 *   reports_pending(provider, provider_id, number ('' any), status, code,
 *                   text, at, created): reports that overtook their send
 *   replies(id, tenant, provider, reply_id, from_number, to_number, text,
 *           message_id, at, created)
 *   optouts(tenant, number, source, at, PRIMARY KEY (tenant, number))
 *   tenants(name PRIMARY KEY, parent, plan, senders, routes, callback_url,
 *           webhook_secret, balance CHECK >= 0, low_balance, rate, burst,
 *           enabled, created)
 *   api_keys(hash PRIMARY KEY (SHA-256 hex), tenant, label, created,
 *            revoked)
 *   ledger(seq AUTOINCREMENT, tenant, message_id, delta, reason, at,
 *          actor): append-only (triggers); a tenant's balance is the sum of
 *          its rows, changed with them by one conditional UPDATE
 * Version 2 becomes 3 in place (schema_v3: new tables, two recipients
 * columns), then 4 (schema_v4: the tenant tables, the charge columns),
 * keeping every row.
 * Version 1 (a journal keyed by --ref#row) is kept as it was: its rows were
 * keyed by a row's position, which version 2 no longer trusts; its message
 * ids still answer store_provider_of.
 *
 * Writes: callers queue jobs; one writer thread per handle takes every job
 * waiting, runs them in one BEGIN IMMEDIATE transaction (each job inside a
 * SAVEPOINT, so one failing job does not undo the others) and commits: one
 * fsync of the WAL (synchronous=FULL) for the whole group.  A durable job's
 * caller waits for that commit; store_finish's jobs do not wait (they ride
 * with the next commit, and store_flush/store_close wait for them).
 *
 * Reads: a small pool of read-only connections (WAL lets them read while
 * the writer writes); a connection is taken for one read and given back, a
 * mutex guards only the pool's list.
 *
 * Test hook: SMSMUX_STORE_FAULT=reserve-busy:N makes the Nth store_reserve
 * of the process fail as SQLITE_BUSY would (tests/store-damage.sh). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "store_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define STORE_SCHEMA_VERSION 4
#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_DB_NAME "state.db"
#define STORE_MARKER ".smsmux-store"
#define STORE_READERS_KEPT 8

/* ---------------------------------------------------------------- sql -- */

static const char *const schema_v2 =
    "CREATE TABLE IF NOT EXISTS messages ("
    "  id TEXT PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  ref TEXT,"
    "  fingerprint TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  request TEXT,"             /* queued messages: the whole request */
    "  not_before INTEGER NOT NULL DEFAULT 0," /* held until (scheduled) */
    "  callback_url TEXT,"
    "  encoding TEXT,"
    "  segments INTEGER) WITHOUT ROWID;"
    /* ids start with their creation time: (tenant, id) orders and bounds
       both the listings and prune, no index on created needed */
    "CREATE INDEX IF NOT EXISTS messages_by_tenant ON messages(tenant, id);"
    "CREATE TABLE IF NOT EXISTS recipients ("
    "  message_id TEXT NOT NULL,"
    "  tenant TEXT NOT NULL,"
    "  ref TEXT,"
    "  number TEXT NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  provider TEXT,"
    "  provider_id TEXT,"
    "  code TEXT,"
    "  text TEXT,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  claimed_by TEXT,"          /* the worker that took a queued one */
    "  PRIMARY KEY (message_id, number)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS recipients_queued"
    "  ON recipients(state, message_id) WHERE state = 'queued';"
    "CREATE UNIQUE INDEX IF NOT EXISTS recipients_by_ref"
    "  ON recipients(tenant, ref, number) WHERE ref IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS recipients_by_provider_id"
    "  ON recipients(provider_id) WHERE provider_id IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS attempts ("
    "  message_id TEXT NOT NULL,"
    "  provider TEXT,"
    "  outcome TEXT NOT NULL,"
    "  class TEXT,"
    "  code TEXT,"
    "  message TEXT,"
    "  at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS attempts_by_message ON attempts(message_id);"
    "CREATE TABLE IF NOT EXISTS kv ("
    "  ns TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT,"
    "  updated INTEGER NOT NULL,"
    "  PRIMARY KEY (ns, key));"
    "PRAGMA user_version = 2;";

/* Version 3 (issue 13): status history, webhook outbox, reports that
   overtook their send, replies, opt-outs, polling.  Run on a version 2
   store (a new one is made by schema_v2 then this). */
static const char *const schema_v3 =
    "ALTER TABLE recipients ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE recipients ADD COLUMN poll_next INTEGER;"
    /* replies matched by the number they came from */
    "CREATE INDEX IF NOT EXISTS recipients_by_number"
    "  ON recipients(number, created);"
    /* what a poller may ask about: sent, not final */
    "CREATE INDEX IF NOT EXISTS recipients_polled ON recipients(provider,"
    "  updated) WHERE state IN ('accepted', 'sent');"
    /* every status change of a recipient, and every matched reply */
    "CREATE TABLE IF NOT EXISTS events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  message_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"         /* status, reply */
    "  number TEXT,"
    "  status TEXT,"
    "  provider TEXT,"
    "  provider_id TEXT,"
    "  code TEXT,"
    "  text TEXT,"
    "  at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS events_by_message ON events(message_id, seq);"
    /* the events still to deliver to the message's callback_url */
    "CREATE TABLE IF NOT EXISTS webhooks ("
    "  seq INTEGER PRIMARY KEY,"    /* the event's */
    "  message_id TEXT NOT NULL,"
    "  next_at INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL,"
    "  claimed_by TEXT);"
    "CREATE INDEX IF NOT EXISTS webhooks_by_message"
    "  ON webhooks(message_id, seq);"
    /* delivery reports that came before the send's answer ('' number:
       every recipient with that id) */
    "CREATE TABLE IF NOT EXISTS reports_pending ("
    "  id INTEGER PRIMARY KEY,"
    "  provider TEXT NOT NULL,"
    "  provider_id TEXT NOT NULL,"
    "  number TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  code TEXT,"
    "  text TEXT,"
    "  at INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  UNIQUE (provider, provider_id, number, status));"
    "CREATE TABLE IF NOT EXISTS replies ("
    "  id TEXT PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"       /* the matched message's, else '' */
    "  provider TEXT NOT NULL,"
    "  reply_id TEXT,"
    "  from_number TEXT NOT NULL,"
    "  to_number TEXT,"
    "  text TEXT NOT NULL,"
    "  message_id TEXT,"
    "  at INTEGER NOT NULL,"
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX IF NOT EXISTS replies_by_reply_id"
    "  ON replies(provider, reply_id) WHERE reply_id IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS replies_by_tenant ON replies(tenant, id);"
    "CREATE INDEX IF NOT EXISTS replies_by_message ON replies(message_id)"
    "  WHERE message_id IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS optouts ("
    "  tenant TEXT NOT NULL,"
    "  number TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (tenant, number)) WITHOUT ROWID;"
    "PRAGMA user_version = 3;";

/* Version 4 (issue 14): tenants, their API keys (SHA-256 only), the
   ledger (append-only: triggers refuse UPDATE and DELETE), and what a
   queued message was charged: messages.charge/unit_price/refund_on,
   recipients.units (charged) and refunded (given back: 0 or units). */
static const char *const schema_v4 =
    "ALTER TABLE messages ADD COLUMN charge TEXT;"
    "ALTER TABLE messages ADD COLUMN unit_price INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN refund_on TEXT;"
    "ALTER TABLE recipients ADD COLUMN units INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE recipients ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0;"
    /* what a stopped worker left failed and unrefunded (recover) */
    "CREATE INDEX IF NOT EXISTS recipients_unrefunded ON recipients("
    "  message_id) WHERE state = 'failed' AND units > refunded;"
    "CREATE TABLE IF NOT EXISTS tenants ("
    "  name TEXT PRIMARY KEY,"
    "  parent TEXT,"
    "  plan TEXT,"
    "  senders TEXT,"
    "  routes TEXT,"
    "  callback_url TEXT,"
    "  webhook_secret TEXT,"
    "  balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),"
    "  low_balance INTEGER NOT NULL DEFAULT 0,"
    "  rate REAL NOT NULL DEFAULT 0,"
    "  burst INTEGER NOT NULL DEFAULT 0,"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS tenants_by_parent ON tenants(parent, name);"
    "CREATE TABLE IF NOT EXISTS api_keys ("
    "  hash TEXT PRIMARY KEY,"    /* SHA-256 of the key, lower-case hex */
    "  tenant TEXT NOT NULL,"
    "  label TEXT,"
    "  created INTEGER NOT NULL,"
    "  revoked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS api_keys_by_tenant ON api_keys(tenant);"
    "CREATE TABLE IF NOT EXISTS ledger ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant TEXT NOT NULL,"
    "  message_id TEXT,"
    "  delta INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  actor TEXT);"
    "CREATE INDEX IF NOT EXISTS ledger_by_tenant ON ledger(tenant, seq);"
    "CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger "
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger "
    "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "PRAGMA user_version = 4;";

/* version 1's attempts table has other columns: kept under another name */
static const char *const migrate_v1 =
    "ALTER TABLE attempts RENAME TO attempts_v1;";

enum stmt_id {
  ST_BEGIN,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_SAVEPOINT,
  ST_RELEASE,
  ST_ROLLBACK_TO,
  ST_MSG_INSERT,
  ST_RCPT_BY_REF,
  ST_RCPT_INSERT,
  ST_RCPT_RETRY,
  ST_RCPT_SENDING,
  ST_RCPT_FINISH,
  ST_ATTEMPT_INSERT,
  ST_KV_GET,
  ST_KV_SET,
  ST_KV_ADD_REAL,
  ST_PRUNE_ATTEMPTS,
  ST_PRUNE_HOOKS,
  ST_PRUNE_EVENTS,
  ST_PRUNE_REPLIES,
  ST_PRUNE_RCPTS,
  ST_PRUNE_MSGS,
  ST_EVENT_INSERT,
  ST_HOOK_ADD,
  ST_HOOK_ADD_IF,
  ST_PENDING_FIND,
  ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT job",
    [ST_RELEASE] = "RELEASE job",
    [ST_ROLLBACK_TO] = "ROLLBACK TO job",
    [ST_MSG_INSERT] = "INSERT OR IGNORE INTO messages (id, tenant, ref, "
                      "fingerprint, created, request, not_before, "
                      "callback_url, encoding, segments) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_RCPT_BY_REF] = "SELECT r.message_id, r.fingerprint, r.state, "
                       "r.provider, r.provider_id, "
                       "m.request IS NOT NULL FROM recipients r "
                       "LEFT JOIN messages m ON m.id = r.message_id "
                       "WHERE r.tenant = ?1 AND r.ref = ?2 AND r.number = ?3",
    [ST_RCPT_INSERT] = "INSERT INTO recipients (message_id, tenant, ref, "
                       "number, fingerprint, state, provider, created, "
                       "updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    [ST_RCPT_RETRY] = "UPDATE recipients SET message_id = ?1, state = ?6, "
                      "fingerprint = ?5, provider = ?7, provider_id = NULL, "
                      "code = NULL, text = NULL, updated = ?8, "
                      "claimed_by = NULL "
                      "WHERE tenant = ?2 AND ref = ?3 AND number = ?4",
    /* a queue worker's mark holds only while its claim does (?5, its
       token; NULL: a direct send, on rows no worker holds) */
    [ST_RCPT_SENDING] = "UPDATE recipients SET state = 'sending', "
                        "provider = ?3, updated = ?4 "
                        "WHERE message_id = ?1 AND number = ?2 AND "
                        "state IN ('queued', 'failed', 'unknown', "
                        "'sending') AND claimed_by IS ?5",
    [ST_RCPT_FINISH] = "UPDATE recipients SET state = ?3, provider = ?4, "
                       "provider_id = ?5, code = ?6, text = ?7, "
                       "updated = ?8 WHERE message_id = ?1 AND number = ?2 "
                       "AND (?9 IS NULL OR claimed_by = ?9)",
    [ST_ATTEMPT_INSERT] = "INSERT INTO attempts (message_id, provider, "
                          "outcome, class, code, message, at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_KV_GET] = "SELECT value, updated FROM kv WHERE ns = ?1 AND key = ?2",
    [ST_KV_SET] = "INSERT INTO kv (ns, key, value, updated) "
                  "VALUES (?1, ?2, ?3, ?4) "
                  "ON CONFLICT (ns, key) DO UPDATE SET value = "
                  "excluded.value, updated = excluded.updated",
    [ST_KV_ADD_REAL] = "UPDATE kv SET value = printf('%.6f', "
                       "CAST(value AS REAL) + ?3) WHERE ns = ?1 AND key = ?2",
    [ST_PRUNE_ATTEMPTS] =
        "DELETE FROM attempts WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < ?1 AND NOT EXISTS (SELECT 1 FROM "
        "recipients r WHERE r.message_id = m.id AND r.state IN "
        "('queued', 'sending')))",
    [ST_PRUNE_HOOKS] =
        "DELETE FROM webhooks WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < ?1 AND NOT EXISTS (SELECT 1 FROM "
        "recipients r WHERE r.message_id = m.id AND r.state IN "
        "('queued', 'sending')))",
    [ST_PRUNE_EVENTS] =
        "DELETE FROM events WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < ?1 AND NOT EXISTS (SELECT 1 FROM "
        "recipients r WHERE r.message_id = m.id AND r.state IN "
        "('queued', 'sending')))",
    /* and replies matched to no message, by their own age */
    [ST_PRUNE_REPLIES] =
        "DELETE FROM replies WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < ?1 AND NOT EXISTS (SELECT 1 FROM "
        "recipients r WHERE r.message_id = m.id AND r.state IN "
        "('queued', 'sending'))) OR (message_id IS NULL AND created < ?1)",
    [ST_PRUNE_RCPTS] =
        "DELETE FROM recipients WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < ?1) AND state NOT IN "
        "('queued', 'sending')",
    [ST_PRUNE_MSGS] = "DELETE FROM messages WHERE created < ?1 AND NOT "
                      "EXISTS (SELECT 1 FROM recipients r WHERE "
                      "r.message_id = messages.id)",
    [ST_EVENT_INSERT] = "INSERT INTO events (message_id, kind, number, "
                        "status, provider, provider_id, code, text, at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_HOOK_ADD] = "INSERT INTO webhooks (seq, message_id, next_at, "
                    "created) VALUES (?2, ?1, ?3, ?3)",
    [ST_HOOK_ADD_IF] = "INSERT INTO webhooks (seq, message_id, next_at, "
                       "created) SELECT ?2, ?1, ?3, ?3 FROM messages WHERE "
                       "id = ?1 AND callback_url IS NOT NULL",
    [ST_PENDING_FIND] = "SELECT id, provider, provider_id, number, status, "
                        "code, text, at FROM reports_pending WHERE "
                        "provider = ?1 AND provider_id = ?2 ORDER BY at, id",
};

typedef struct sq_db sq_db;

/* A connection and its kept statements (prepared on first use). */
typedef struct conn {
  sqlite3 *sql;
  sqlite3_stmt *stmt[ST_COUNT];
  struct conn *next; /* in the reader pool */
} conn;

/* A unit of work for the writer: run inside the group's transaction. */
typedef struct job job;
struct job {
  job *next;
  int (*run)(sq_db *db, job *j);    /* 0 or -1 with j->err */
  void (*release)(job *j);          /* async jobs: free the payload */
  int wait;                         /* the caller waits for the commit */
  int finished, rc;
  char err[512];
  void *arg;
};

struct sq_db {
  store_db base; /* first: the backend table */
  char *dir, *path;
  conn w;                   /* the writer's (used by its thread only) */
  pthread_t writer;
  int writer_started;
  pthread_mutex_t lock;     /* queue, closing, finished flags */
  pthread_cond_t has_work, job_done;
  job *head, *tail;
  int closing;
  unsigned long commits;
  pthread_mutex_t pool_lock;
  conn *readers;            /* idle read connections */
  size_t n_readers;
};

/* ------------------------------------------------------------- errors -- */


/* What the user can do about an SQLite failure. */
static const char *sqlite_advice(int rc) {
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return "another smsmux run held the database for over 5 s; try again";
  case SQLITE_READONLY:
  case SQLITE_CANTOPEN:
  case SQLITE_PERM:
  case SQLITE_AUTH:
    return "make it writable, or set state_dir in [smsmux] to a writable "
           "directory";
  case SQLITE_FULL:
    return "free disk space, or set state_dir in [smsmux] to another "
           "directory";
  case SQLITE_IOERR:
    return "check the disk and the directory";
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return "state.db is damaged: restore it from a backup, or move it and "
           "its .smsmux-store marker away to start afresh (smsmux then "
           "forgets what it sent: a --ref used before may send again)";
  default:
    return "see the SQLite message";
  }
}


/* ---- the state directory -------------------------------------------- */

/* Make `path` a directory, mode 0700 when created. 0 ok, -1 with errno. */
static int make_one_dir(const char *path) {
  struct stat st;
  if (mkdir(path, 0700) == 0) {
    /* The umask may have taken owner bits away: the mode is ours to set. */
    (void)chmod(path, 0700);
    return 0;
  }
  if (errno != EEXIST) {
    int e = errno;
    /* mkdir may say EACCES/EROFS for a directory that already exists. */
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
      return 0;
    errno = e;
    return -1;
  }
  if (stat(path, &st) != 0)
    return -1;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

/* mkdir -p with mode 0700; on failure names the component that failed. */
static int make_dirs(const char *dir, char *err, size_t errlen) {
  char *path = store_dupstr(dir);
  char *p;
  if (!path) {
    store_set_err(err, errlen, "state_dir %s: out of memory", dir);
    return -1;
  }
  /* Drop trailing slashes (but keep "/"). */
  for (p = path + strlen(path); p > path + 1 && p[-1] == '/'; p--)
    p[-1] = '\0';
  for (p = path + 1; *p; p++) {
    if (*p != '/' || p[-1] == '/')
      continue;
    *p = '\0';
    if (make_one_dir(path) != 0) {
      store_set_err(err, errlen,
              "state_dir %s: cannot create %s: %s; set state_dir in "
              "[smsmux] to a writable directory",
              dir, path, strerror(errno));
      free(path);
      return -1;
    }
    *p = '/';
  }
  if (make_one_dir(path) != 0) {
    store_set_err(err, errlen,
            "state_dir %s: cannot create: %s; set state_dir in [smsmux] to "
            "a writable directory",
            dir, strerror(errno));
    free(path);
    return -1;
  }
  free(path);
  if (access(dir, W_OK | X_OK) != 0) {
    store_set_err(err, errlen,
            "state_dir %s: not writable: %s; make it writable, or set "
            "state_dir in [smsmux] to a writable directory",
            dir, strerror(errno));
    return -1;
  }
  return 0;
}

static void sql_err(sq_db *db, sqlite3 *sql, char *err, size_t errlen,
                    const char *what, int rc) {
  store_set_err(err, errlen, "state_dir %s: %s: %s; %s", db->dir, what,
          sql ? sqlite3_errmsg(sql) : sqlite3_errstr(rc), sqlite_advice(rc));
}

static int64_t now_seconds(void) { return (int64_t)time(NULL); }

/* --------------------------------------------------------- statements -- */

static void done(sqlite3_stmt *st) {
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
}

/* The kept statement `id` of `c`, with the n text parameters that follow
   bound (NULL binds SQL NULL); integers are bound by the caller. */
static sqlite3_stmt *prep(sq_db *db, conn *c, enum stmt_id id, char *err,
                          size_t errlen, int n, ...) {
  sqlite3_stmt *st = c->stmt[id];
  va_list ap;
  int i, rc;
  if (!st) {
    rc = sqlite3_prepare_v3(c->sql, stmt_sql[id], -1,
                            SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
      sql_err(db, c->sql, err, errlen, "cannot prepare a statement", rc);
      sqlite3_finalize(st);
      return NULL;
    }
    c->stmt[id] = st;
  }
  va_start(ap, n);
  for (i = 1; i <= n; i++) {
    const char *v = va_arg(ap, const char *);
    rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT)
           : sqlite3_bind_null(st, i);
    if (rc != SQLITE_OK) {
      va_end(ap);
      sql_err(db, c->sql, err, errlen, "cannot bind a value", rc);
      done(st);
      return NULL;
    }
  }
  va_end(ap);
  return st;
}

/* Run a statement that returns no row, then give it back. */
static int run_done(sq_db *db, conn *c, sqlite3_stmt *st, char *err,
                    size_t errlen, const char *what) {
  int rc;
  if (!st)
    return -1;
  rc = sqlite3_step(st);
  done(st);
  if (rc != SQLITE_DONE) {
    sql_err(db, c->sql, err, errlen, what, rc);
    return -1;
  }
  return 0;
}

static int run_plain(sq_db *db, conn *c, enum stmt_id id, char *err,
                     size_t errlen, const char *what) {
  return run_done(db, c, prep(db, c, id, err, errlen, 0), err, errlen, what);
}

static void conn_close(conn *c) {
  size_t i;
  for (i = 0; i < ST_COUNT; i++)
    sqlite3_finalize(c->stmt[i]);
  if (c->sql)
    sqlite3_close_v2(c->sql);
  memset(c, 0, sizeof *c);
}

/* Copy a text column; *ok cleared when out of memory. */
static char *column_dup(sqlite3_stmt *st, int i, int *ok) {
  const unsigned char *t;
  char *p;
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    return NULL;
  t = sqlite3_column_text(st, i);
  p = t ? store_dupstr((const char *)t) : NULL;
  if (!p)
    *ok = 0;
  return p;
}

/* ------------------------------------------------- ad hoc statements -- */

/* Bind the values that follow by `types` ('s': const char *, NULL binds
   NULL; 'i': int64_t). */
static int bind_typed(sqlite3_stmt *st, const char *types, va_list ap) {
  int i, rc = SQLITE_OK;
  for (i = 0; types[i] && rc == SQLITE_OK; i++) {
    if (types[i] == 'i')
      rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
    else {
      const char *v = va_arg(ap, const char *);
      rc = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT)
             : sqlite3_bind_null(st, i + 1);
    }
  }
  return rc;
}

/* Rows read by q_rows: rows x cols values, each a malloc'd copy of the
   column's text (NULL for NULL). */
typedef struct tbl {
  char **v;
  size_t rows, cols;
} tbl;

static void tbl_free(tbl *t) {
  size_t i;
  for (i = 0; t->v && i < t->rows * t->cols; i++)
    free(t->v[i]);
  free(t->v);
  memset(t, 0, sizeof *t);
}

static const char *cell(const tbl *t, size_t row, size_t col) {
  return t->v[row * t->cols + col];
}

static int64_t cell_int(const tbl *t, size_t row, size_t col) {
  const char *v = cell(t, row, col);
  return v ? (int64_t)strtoll(v, NULL, 10) : 0;
}

/* Run `sql` on connection c with the values of `types`: its rows into *t
   (when t is not NULL), the rows it changed into *changes (when not
   NULL).  0 or -1 (err). */
static int q_runv(sq_db *db, conn *c, char *err, size_t errlen, tbl *t,
                  long *changes, const char *sql, const char *types,
                  va_list ap) {
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  int rc = sqlite3_prepare_v2(c->sql, sql, -1, &st, NULL), ok = 1;
  if (t)
    memset(t, 0, sizeof *t);
  if (rc == SQLITE_OK)
    rc = bind_typed(st, types, ap);
  if (rc != SQLITE_OK) {
    sql_err(db, c->sql, err, errlen, "cannot prepare a statement", rc);
    sqlite3_finalize(st);
    return -1;
  }
  if (t)
    t->cols = (size_t)sqlite3_column_count(st);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && t && ok) {
    size_t k;
    if ((t->rows + 1) * t->cols > cap) {
      char **v = realloc(t->v, (cap = (cap + t->cols) * 2) * sizeof *v);
      if (!v) {
        ok = 0;
        break;
      }
      t->v = v;
    }
    for (k = 0; k < t->cols; k++)
      t->v[t->rows * t->cols + k] = column_dup(st, (int)k, &ok);
    t->rows++;
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    sql_err(db, c->sql, err, errlen, "a statement failed", rc);
    ok = -1;
  } else if (!ok)
    store_set_err(err, errlen, "out of memory");
  if (changes)
    *changes = (long)sqlite3_changes(c->sql);
  sqlite3_finalize(st);
  if (ok != 1) {
    if (t)
      tbl_free(t);
    return -1;
  }
  return 0;
}

static int q_run(sq_db *db, conn *c, char *err, size_t errlen, tbl *t,
                 long *changes, const char *sql, const char *types, ...) {
  va_list ap;
  int rc;
  va_start(ap, types);
  rc = q_runv(db, c, err, errlen, t, changes, sql, types, ap);
  va_end(ap);
  return rc;
}

/* q_run on the writer, inside job j. */
#define W_ROWS(db, j, t, sql, ...)                                             \
  q_run(db, &(db)->w, (j)->err, sizeof (j)->err, t, NULL, sql, __VA_ARGS__)
#define W_EXEC(db, j, changes, sql, ...)                                       \
  q_run(db, &(db)->w, (j)->err, sizeof (j)->err, NULL, changes, sql,          \
        __VA_ARGS__)

/* ------------------------------------------------------------- events -- */

/* An event of message `mid` (history); hook 1: the message has a
   callback_url, 0: it has none, -1: look it up.  With one, the event is
   pending for webhook delivery too.  Writer only, inside job j. */
typedef struct ev_in {
  const char *mid, *kind, *number, *status, *provider, *provider_id, *code,
      *text;
  int64_t at;
  int hook;
} ev_in;

static int event_add(sq_db *db, job *j, const ev_in *e) {
  sqlite3_stmt *st = prep(db, &db->w, ST_EVENT_INSERT, j->err, sizeof j->err,
                          8, e->mid, e->kind, e->number, e->status,
                          e->provider, e->provider_id, e->code, e->text);
  int64_t seq, now = now_seconds();
  if (!st || sqlite3_bind_int64(st, 9, e->at ? e->at : now) != SQLITE_OK) {
    done(st);
    return -1;
  }
  if (run_done(db, &db->w, st, j->err, sizeof j->err,
               "cannot write the history to state.db"))
    return -1;
  if (!e->hook)
    return 0;
  seq = (int64_t)sqlite3_last_insert_rowid(db->w.sql);
  st = prep(db, &db->w, e->hook > 0 ? ST_HOOK_ADD : ST_HOOK_ADD_IF, j->err,
            sizeof j->err, 1, e->mid);
  if (!st || sqlite3_bind_int64(st, 2, seq) != SQLITE_OK ||
      sqlite3_bind_int64(st, 3, now) != SQLITE_OK) {
    done(st);
    return -1;
  }
  return run_done(db, &db->w, st, j->err, sizeof j->err,
                  "cannot write the webhook outbox to state.db");
}

/* --------------------------------------------------------------- open -- */

static int conn_open(sq_db *db, conn *c, int readonly, char *err,
                     size_t errlen) {
  int rc = sqlite3_open_v2(db->path, &c->sql,
                           readonly ? SQLITE_OPEN_READONLY
                                    : SQLITE_OPEN_READWRITE,
                           NULL);
  if (rc != SQLITE_OK) {
    sql_err(db, c->sql, err, errlen, "cannot open state.db", rc);
    conn_close(c);
    return -1;
  }
  sqlite3_extended_result_codes(c->sql, 1);
  sqlite3_busy_timeout(c->sql, STORE_BUSY_TIMEOUT_MS);
  /* the last connection of a run does not checkpoint the WAL at close:
     the next run (or SQLite's own auto-checkpoint) does it */
  sqlite3_db_config(c->sql, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  return 0;
}

/* Switch to WAL.  Changing the journal mode needs the database to
   itself, and SQLite answers SQLITE_BUSY at once (without the busy
   handler) while another process has it open: retry for up to the busy
   timeout. */
static int set_wal(sq_db *db, char *err, size_t errlen) {
  int waited = 0, rc;
  for (;;) {
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db->w.sql, "PRAGMA journal_mode=WAL", -1, &st,
                            NULL);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(st);
      sqlite3_finalize(st);
    }
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
      return 0;
    if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) ||
        waited >= STORE_BUSY_TIMEOUT_MS)
      break;
    sqlite3_sleep(10);
    waited += 10;
  }
  sql_err(db, db->w.sql, err, errlen, "cannot use state.db", rc);
  return -1;
}

static int read_version(sq_db *db, int *version, char *err, size_t errlen) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db->w.sql, "PRAGMA user_version", -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sql_err(db, db->w.sql, err, errlen, "cannot read state.db", rc);
    sqlite3_finalize(st);
    return -1;
  }
  *version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return 0;
}

static int exec_sql(sq_db *db, const char *sql, char *err, size_t errlen,
                    const char *what) {
  int rc = sqlite3_exec(db->w.sql, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    sql_err(db, db->w.sql, err, errlen, what, rc);
    return -1;
  }
  return 0;
}

/* The schema: created, migrated, or refused when newer or missing from a
   store that was set up before (fresh = this run made the file). */
static int setup_schema(sq_db *db, int fresh, int marked, char *err,
                        size_t errlen) {
  int version;
  if (run_plain(db, &db->w, ST_BEGIN, err, errlen, "cannot lock state.db") ||
      read_version(db, &version, err, errlen))
    goto fail;
  if (version > STORE_SCHEMA_VERSION) {
    store_set_err(err, errlen,
            "state_dir %s: state.db has schema version %d, newer than this "
            "smsmux knows (%d); upgrade smsmux, or set state_dir in "
            "[smsmux] to another directory",
            db->dir, version, STORE_SCHEMA_VERSION);
    goto fail;
  }
  if (version == 0 && !fresh && marked) {
    store_set_err(err, errlen,
            "state_dir %s: state.db holds no smsmux tables although the "
            "store was set up here (%s): it was emptied or replaced; "
            "restore it from a backup, or move it and %s away to start "
            "afresh (a --ref used before may then send again)",
            db->dir, STORE_MARKER, STORE_MARKER);
    goto fail;
  }
  if (version == 1 && exec_sql(db, migrate_v1, err, errlen,
                               "cannot upgrade state.db"))
    goto fail;
  if (version < 2 && exec_sql(db, schema_v2, err, errlen,
                              "cannot create the tables in state.db"))
    goto fail;
  if (version < 3 && exec_sql(db, schema_v3, err, errlen,
                              "cannot upgrade state.db to version 3"))
    goto fail;
  if (version < 4 && exec_sql(db, schema_v4, err, errlen,
                              "cannot upgrade state.db to version 4"))
    goto fail;
  return run_plain(db, &db->w, ST_COMMIT, err, errlen,
                   "cannot commit to state.db");
fail:
  if (!sqlite3_get_autocommit(db->w.sql))
    (void)run_plain(db, &db->w, ST_ROLLBACK, NULL, 0, "rollback");
  return -1;
}

/* A file that exists must look like a whole SQLite database: an empty or
   truncated one is damage, never a fresh start. */
static int check_file(sq_db *db, const struct stat *st, char *err,
                      size_t errlen) {
  unsigned char h[100];
  uint32_t page, pages, counter, valid_for;
  int fd;
  ssize_t got;
  if (st->st_size == 0) {
    store_set_err(err, errlen,
            "state_dir %s: state.db is empty (0 bytes): it was emptied, so "
            "smsmux cannot tell what it sent; restore it from a backup, or "
            "move it and %s away to start afresh (a --ref used before may "
            "then send again)",
            db->dir, STORE_MARKER);
    return -1;
  }
  fd = open(db->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    store_set_err(err, errlen, "state_dir %s: cannot read state.db: %s", db->dir,
            strerror(errno));
    return -1;
  }
  got = read(fd, h, sizeof h);
  close(fd);
  if (got != (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0) {
    store_set_err(err, errlen,
            "state_dir %s: state.db is not an SQLite database (truncated or "
            "overwritten); %s",
            db->dir, sqlite_advice(SQLITE_NOTADB));
    return -1;
  }
  page = (uint32_t)h[16] << 8 | h[17];
  if (page == 1)
    page = 65536;
  pages = (uint32_t)h[28] << 24 | (uint32_t)h[29] << 16 |
          (uint32_t)h[30] << 8 | h[31];
  counter = (uint32_t)h[24] << 24 | (uint32_t)h[25] << 16 |
            (uint32_t)h[26] << 8 | h[27];
  valid_for = (uint32_t)h[92] << 24 | (uint32_t)h[93] << 16 |
              (uint32_t)h[94] << 8 | h[95];
  if (valid_for == counter && (uint64_t)pages * page > (uint64_t)st->st_size) {
    store_set_err(err, errlen,
            "state_dir %s: state.db is truncated (%lld bytes, its header "
            "says %llu); %s",
            db->dir, (long long)st->st_size,
            (unsigned long long)pages * page, sqlite_advice(SQLITE_CORRUPT));
    return -1;
  }
  return 0;
}

/* A new state.db is made whole under a temporary name (mode 0600, WAL,
   schema) and then linked into place: another process racing to create it
   either wins (its file is used) or loses (ours is), and nobody ever sees
   a half-made file, so an empty state.db always means damage. */
static int create_fresh(sq_db *db, int *fresh, char *err, size_t errlen) {
  size_t n = strlen(db->path) + 48;
  char *tmp = malloc(n);
  sqlite3 *s = NULL;
  int fd, rc;
  if (!tmp) {
    store_set_err(err, errlen, "state_dir %s: out of memory", db->dir);
    return -1;
  }
  snprintf(tmp, n, "%s.new-%ld-%lx", db->path, (long)getpid(),
           (unsigned long)pthread_self());
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    store_set_err(err, errlen,
            "state_dir %s: cannot create state.db: %s; make it writable, or "
            "set state_dir in [smsmux] to a writable directory",
            db->dir, strerror(errno));
    free(tmp);
    return -1;
  }
  close(fd);
  rc = sqlite3_open_v2(tmp, &s, SQLITE_OPEN_READWRITE, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s, "BEGIN", NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s, schema_v2, NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s, schema_v3, NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    sql_err(db, s, err, errlen, "cannot create state.db", rc);
  sqlite3_close(s); /* checkpoints: the temporary WAL goes away */
  if (rc == SQLITE_OK) {
    if (link(tmp, db->path) == 0)
      *fresh = 1;
    else if (errno != EEXIST) {
      store_set_err(err, errlen, "state_dir %s: cannot create state.db: %s",
              db->dir, strerror(errno));
      rc = -1;
    }
  }
  unlink(tmp);
  free(tmp);
  return rc == SQLITE_OK ? 0 : -1;
}

/* Create state.db (0600, whatever the umask) when missing.  A missing
   file in a directory that carries the marker was removed: refused. */
static int create_or_check(sq_db *db, int *fresh, int *marked, char *err,
                           size_t errlen) {
  struct stat st;
  char *marker;
  size_t n = strlen(db->dir) + sizeof "/" STORE_MARKER;
  marker = malloc(n);
  if (!marker) {
    store_set_err(err, errlen, "state_dir %s: out of memory", db->dir);
    return -1;
  }
  snprintf(marker, n, "%s/%s", db->dir, STORE_MARKER);
  *marked = access(marker, F_OK) == 0;
  free(marker);
  *fresh = 0;
  if (stat(db->path, &st) == 0)
    return check_file(db, &st, err, errlen);
  if (errno != ENOENT) {
    store_set_err(err, errlen, "state_dir %s: cannot read state.db: %s", db->dir,
            strerror(errno));
    return -1;
  }
  if (*marked) {
    store_set_err(err, errlen,
            "state_dir %s: state.db is missing although the store was set up "
            "here (%s): it was removed, so smsmux cannot tell what it sent; "
            "restore it from a backup, or remove %s too to start afresh (a "
            "--ref used before may then send again)",
            db->dir, STORE_MARKER, STORE_MARKER);
    return -1;
  }
  return create_fresh(db, fresh, err, errlen);
}

static void write_marker(sq_db *db) {
  size_t n = strlen(db->dir) + sizeof "/" STORE_MARKER;
  char *marker = malloc(n), line[64];
  int fd;
  if (!marker)
    return;
  snprintf(marker, n, "%s/%s", db->dir, STORE_MARKER);
  fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    int len = snprintf(line, sizeof line, "smsmux store, created %lld\n",
                       (long long)now_seconds());
    if (write(fd, line, (size_t)len) < 0) { /* best effort */
    }
    fsync(fd);
    close(fd);
  }
  free(marker);
}

static void *writer_main(void *arg);

static void db_free(sq_db *db) {
  conn *c;
  conn_close(&db->w);
  while ((c = db->readers)) {
    db->readers = c->next;
    conn_close(c);
    free(c);
  }
  pthread_mutex_destroy(&db->lock);
  pthread_mutex_destroy(&db->pool_lock);
  pthread_cond_destroy(&db->has_work);
  pthread_cond_destroy(&db->job_done);
  free(db->dir);
  free(db->path);
  free(db);
}

store_db *store_open(const char *dir, int *created, char *err,
                     size_t errlen) {
  sq_db *db;
  size_t n;
  int fresh = 0, marked = 0;

  if (created)
    *created = 0;
  if (!dir || !*dir) {
    store_set_err(err, errlen,
            "state_dir is empty; set state_dir in [smsmux] to a writable "
            "directory");
    return NULL;
  }
  if (make_dirs(dir, err, errlen) != 0)
    return NULL;
  db = calloc(1, sizeof *db);
  n = strlen(dir) + sizeof "/" STORE_DB_NAME;
  if (!db || !(db->dir = store_dupstr(dir)) || !(db->path = malloc(n))) {
    if (db)
      free(db->dir);
    free(db);
    store_set_err(err, errlen, "state_dir %s: out of memory", dir);
    return NULL;
  }
  db->base.be = &store_sqlite_backend;
  snprintf(db->path, n, "%s/%s", dir, STORE_DB_NAME);
  pthread_mutex_init(&db->lock, NULL);
  pthread_mutex_init(&db->pool_lock, NULL);
  pthread_cond_init(&db->has_work, NULL);
  pthread_cond_init(&db->job_done, NULL);

  if (create_or_check(db, &fresh, &marked, err, errlen) ||
      conn_open(db, &db->w, 0, err, errlen))
    goto fail;
  if (sqlite3_db_readonly(db->w.sql, "main") == 1) {
    store_set_err(err, errlen,
            "state_dir %s: state.db is read-only; make it writable, or set "
            "state_dir in [smsmux] to a writable directory",
            dir);
    goto fail;
  }
  if (set_wal(db, err, errlen) ||
      exec_sql(db, "PRAGMA synchronous=FULL", err, errlen,
               "cannot set up state.db") ||
      setup_schema(db, fresh, marked, err, errlen))
    goto fail;
  if (!marked)
    write_marker(db);
  if (pthread_create(&db->writer, NULL, writer_main, db) != 0) {
    store_set_err(err, errlen, "state_dir %s: cannot start the writer thread",
            dir);
    goto fail;
  }
  db->writer_started = 1;
  if (created)
    *created = fresh;
  return &db->base;
fail:
  db_free(db);
  return NULL;
}

static void sq_close(store_db *db_) {
  sq_db *db = (sq_db *)db_;
  if (!db)
    return;
  if (db->writer_started) {
    pthread_mutex_lock(&db->lock);
    db->closing = 1;
    pthread_cond_signal(&db->has_work);
    pthread_mutex_unlock(&db->lock);
    pthread_join(db->writer, NULL);
  }
  db_free(db);
}

static unsigned long sq_commits(store_db *db_) {
  sq_db *db = (sq_db *)db_;
  unsigned long n;
  pthread_mutex_lock(&db->lock);
  n = db->commits;
  pthread_mutex_unlock(&db->lock);
  return n;
}

/* ------------------------------------------------------------- writer -- */

static void finish_job(sq_db *db, job *j, int rc, const char *err) {
  if (rc && err && !j->err[0])
    snprintf(j->err, sizeof j->err, "%s", err);
  j->rc = rc;
  if (j->wait) {
    pthread_mutex_lock(&db->lock);
    j->finished = 1;
    pthread_cond_broadcast(&db->job_done);
    pthread_mutex_unlock(&db->lock);
  } else {
    if (rc)
      fprintf(stderr, "smsmux: a store write was lost: %s\n", j->err);
    if (j->release)
      j->release(j);
    free(j);
  }
}

/* One group: every job waiting, one transaction, one commit. */
static void run_group(sq_db *db, job *list) {
  char err[512] = "";
  job *j, *next;
  int rc = run_plain(db, &db->w, ST_BEGIN, err, sizeof err,
                     "cannot lock state.db");
  for (j = list; j && rc == 0; j = j->next) {
    if (run_plain(db, &db->w, ST_SAVEPOINT, j->err, sizeof j->err,
                  "cannot write to state.db")) {
      j->rc = -1;
      continue;
    }
    j->rc = j->run(db, j);
    if (j->rc)
      (void)run_plain(db, &db->w, ST_ROLLBACK_TO, NULL, 0, "rollback");
    (void)run_plain(db, &db->w, ST_RELEASE, NULL, 0, "release");
  }
  if (rc == 0 && run_plain(db, &db->w, ST_COMMIT, err, sizeof err,
                           "cannot commit to state.db")) {
    rc = -1;
    if (!sqlite3_get_autocommit(db->w.sql))
      (void)run_plain(db, &db->w, ST_ROLLBACK, NULL, 0, "rollback");
  }
  if (rc == 0) {
    pthread_mutex_lock(&db->lock);
    db->commits++;
    pthread_mutex_unlock(&db->lock);
  }
  for (j = list; j; j = next) {
    next = j->next;
    finish_job(db, j, rc ? -1 : j->rc, rc ? err : NULL);
  }
}

static void *writer_main(void *arg) {
  sq_db *db = arg;
  for (;;) {
    job *list;
    pthread_mutex_lock(&db->lock);
    while (!db->head && !db->closing)
      pthread_cond_wait(&db->has_work, &db->lock);
    list = db->head;
    db->head = db->tail = NULL;
    if (!list && db->closing) {
      pthread_mutex_unlock(&db->lock);
      return NULL;
    }
    pthread_mutex_unlock(&db->lock);
    run_group(db, list);
  }
}

static void enqueue(sq_db *db, job *j) {
  pthread_mutex_lock(&db->lock);
  j->next = NULL;
  if (db->tail)
    db->tail->next = j;
  else
    db->head = j;
  db->tail = j;
  pthread_cond_signal(&db->has_work);
  pthread_mutex_unlock(&db->lock);
}

/* Queue `j` and wait for its group's commit: j->rc, j->err. */
static int run_job(sq_db *db, job *j, char *err, size_t errlen) {
  j->wait = 1;
  j->finished = 0;
  j->rc = 0;
  j->err[0] = '\0';
  enqueue(db, j);
  pthread_mutex_lock(&db->lock);
  while (!j->finished)
    pthread_cond_wait(&db->job_done, &db->lock);
  pthread_mutex_unlock(&db->lock);
  if (j->rc)
    store_set_err(err, errlen, "%s", j->err[0] ? j->err : "store write failed");
  return j->rc;
}

static int nothing(sq_db *db, job *j) {
  (void)db;
  (void)j;
  return 0;
}

static int sq_flush(store_db *db_, char *err, size_t errlen) {
  sq_db *db = (sq_db *)db_;
  job j;
  memset(&j, 0, sizeof j);
  j.run = nothing;
  return run_job(db, &j, err, errlen);
}

/* ------------------------------------------------------------ reserve -- */

static unsigned long fault_countdown(const char *what) {
  const char *f = getenv("SMSMUX_STORE_FAULT");
  size_t n = strlen(what);
  if (!f || strncmp(f, what, n) != 0 || f[n] != ':')
    return 0;
  return strtoul(f + n + 1, NULL, 10);
}

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long reserves_seen;

/* 1 when this reserve is the one the test hook fails. */
static int reserve_fault(void) {
  unsigned long at = fault_countdown("reserve-busy"), n;
  if (!at)
    return 0;
  pthread_mutex_lock(&fault_lock);
  n = ++reserves_seen;
  pthread_mutex_unlock(&fault_lock);
  return n == at;
}

typedef struct reserve_arg {
  store_msg *m;
  store_rcpt *rows;
  size_t n;
  const char *provider;
  const store_queue_info *q; /* NULL: a send going out now */
  int short_of_units;        /* out: the charge tenant's balance is short */
} reserve_arg;

/* Tenants' charges and refunds (below, with the tenants). */
static int charge_put(sq_db *db, job *j, reserve_arg *a, size_t taken);
static int refund_recipient(sq_db *db, job *j, const char *mid,
                            const char *number, const char *state,
                            const char *status, int64_t *units);
static int refund_message(sq_db *db, job *j, const char *mid,
                          const char *state, int64_t *units);
static int refund_leftovers(sq_db *db, job *j);
static int refund_finished(sq_db *db, job *j, const char *mid,
                           const store_outcome *o);

static int reserve_lookup(sq_db *db, job *j, const reserve_arg *a,
                          store_rcpt *r, const char *tenant) {
  sqlite3_stmt *st = prep(db, &db->w, ST_RCPT_BY_REF, j->err, sizeof j->err,
                          3, tenant, a->m->ref, r->number);
  int rc, ok = 1;
  if (!st)
    return -1;
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    done(st);
    r->claim = STORE_CLAIM_NEW;
    return 0;
  }
  if (rc != SQLITE_ROW) {
    sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot read state.db", rc);
    done(st);
    return -1;
  }
  r->message_id = column_dup(st, 0, &ok);
  r->state = column_dup(st, 2, &ok);
  r->provider = column_dup(st, 3, &ok);
  r->provider_id = column_dup(st, 4, &ok);
  r->claim = store_claim_of(r->state ? r->state : "",
                            sqlite3_column_text(st, 1) &&
                                strcmp((const char *)sqlite3_column_text(st, 1),
                                       a->m->fingerprint) == 0,
                            sqlite3_column_int(st, 5));
  done(st);
  if (!ok) {
    store_set_err(j->err, sizeof j->err, "out of memory");
    return -1;
  }
  return 0;
}

static int reserve_run(sq_db *db, job *j) {
  reserve_arg *a = j->arg;
  const char *tenant = a->m->tenant ? a->m->tenant : "";
  char now[24];
  size_t i, taken = 0;
  snprintf(now, sizeof now, "%lld", (long long)now_seconds());
  if (a->q && a->m->ref) {
    /* the queue takes all or nothing: a conflict refuses the message */
    for (i = 0; i < a->n; i++) {
      if (reserve_lookup(db, j, a, &a->rows[i], tenant))
        return -1;
      if (a->rows[i].claim == STORE_CLAIM_CONFLICT)
        return 0;
    }
  }
  for (i = 0; i < a->n; i++) {
    store_rcpt *r = &a->rows[i];
    const char *state = r->sending ? "sending" : "queued";
    const char *prov = r->sending ? a->provider : NULL;
    sqlite3_stmt *st;
    store_rcpt_clear(r);
    r->claim = STORE_CLAIM_NEW;
    if (a->m->ref && reserve_lookup(db, j, a, r, tenant))
      return -1;
    if (r->claim == STORE_CLAIM_NEW)
      st = prep(db, &db->w, ST_RCPT_INSERT, j->err, sizeof j->err, 8,
                a->m->id, tenant, a->m->ref, r->number, a->m->fingerprint,
                state, prov, now);
    else if (r->claim == STORE_CLAIM_RETRY &&
             refund_recipient(db, j, r->message_id, r->number, NULL, NULL,
                              NULL)) /* its earlier charge, if still held */
      return -1;
    else if (r->claim == STORE_CLAIM_RETRY)
      st = prep(db, &db->w, ST_RCPT_RETRY, j->err, sizeof j->err, 8,
                a->m->id, tenant, a->m->ref, r->number, a->m->fingerprint,
                state, prov, now);
    else
      continue;
    if (run_done(db, &db->w, st, j->err, sizeof j->err,
                 "cannot write to state.db"))
      return -1;
    {
      ev_in e = {a->m->id, "status", r->number, state, prov, NULL, NULL,
                 NULL, 0, a->q && a->q->callback_url ? 1 : 0};
      if (event_add(db, j, &e))
        return -1;
    }
    taken++;
  }
  if (taken) {
    const store_queue_info *q = a->q;
    char nb[24], seg[24];
    sqlite3_stmt *st;
    snprintf(nb, sizeof nb, "%lld", q ? (long long)q->not_before : 0LL);
    snprintf(seg, sizeof seg, "%u", q ? q->segments : 0u);
    st = prep(db, &db->w, ST_MSG_INSERT, j->err, sizeof j->err, 10, a->m->id,
              tenant, a->m->ref, a->m->fingerprint, now,
              q ? q->request_json : NULL, nb, q ? q->callback_url : NULL,
              q ? q->encoding : NULL, q ? seg : NULL);
    if (run_done(db, &db->w, st, j->err, sizeof j->err,
                 "cannot write to state.db"))
      return -1;
  }
  return charge_put(db, j, a, taken);
}

static int store_reserve_q(sq_db *db, store_msg *m, store_rcpt *rows, size_t n,
                           const char *provider, const store_queue_info *q,
                           char *err, size_t errlen);

static int sq_queue_put(store_db *db_, store_msg *m, store_rcpt *rows, size_t n,
                        const store_queue_info *q, char *err, size_t errlen) {
  sq_db *db = (sq_db *)db_;
  size_t i;
  for (i = 0; i < n; i++)
    rows[i].sending = 0;
  return store_reserve_q(db, m, rows, n, NULL, q, err, errlen);
}

static int sq_reserve(store_db *db_, store_msg *m, store_rcpt *rows, size_t n,
                      const char *provider, char *err, size_t errlen) {
  sq_db *db = (sq_db *)db_;
  return store_reserve_q(db, m, rows, n, provider, NULL, err, errlen);
}

static int store_reserve_q(sq_db *db, store_msg *m, store_rcpt *rows, size_t n,
                           const char *provider, const store_queue_info *q,
                           char *err, size_t errlen) {
  reserve_arg a = {m, rows, n, provider, q, 0};
  job j;
  size_t i;
  if (!m->id[0])
    store_make_id(m->id);
  if (reserve_fault()) {
    store_set_err(err, errlen,
            "state_dir %s: cannot lock state.db: database is locked "
            "(injected); %s",
            db->dir, sqlite_advice(SQLITE_BUSY));
    return -1;
  }
  memset(&j, 0, sizeof j);
  j.run = reserve_run;
  j.arg = &a;
  if (run_job(db, &j, err, errlen) == 0)
    return 0;
  for (i = 0; i < n; i++) /* nothing was recorded */
    store_rcpt_clear(&rows[i]);
  return a.short_of_units ? 2 : -1;
}

/* ------------------------------------------------------------ reports -- */

/* Apply report r inside job j: 0 applied to one or more recipients, 1
   nothing changed, 2 kept pending (no recipient has that id yet, or one
   that has it is not sent yet: recorded in reports_pending, unless it
   comes from there), -1 error. */
static int report_core(sq_db *db, job *j, const store_report *r,
                       int already_pending) {
  tbl t;
  size_t i;
  int applied = 0, early = 0;
  int64_t now = now_seconds();
  if (W_ROWS(db, j, &t,
             "SELECT message_id, number, state FROM recipients WHERE "
             "provider_id = ?2 AND provider = ?1 AND (?3 IS NULL OR number "
             "= ?3) ORDER BY message_id, number",
             "sss", r->provider, r->provider_id, r->number))
    return -1;
  for (i = 0; i < t.rows; i++) {
    const char *mid = cell(&t, i, 0), *num = cell(&t, i, 1),
               *cur = cell(&t, i, 2);
    ev_in e = {mid,     "status", num,  r->status, r->provider,
               r->provider_id, r->code, r->text, r->at, -1};
    int rank = store_status_rank(cur);
    if (rank == 0 || rank == 1 || rank == -1) { /* not sent yet */
      early = 1;
      continue;
    }
    if (!store_report_moves(cur, r->status))
      continue;
    if (W_EXEC(db, j, NULL,
               "UPDATE recipients SET state = ?3, code = ?4, text = ?5, "
               "updated = ?6 WHERE message_id = ?1 AND number = ?2",
               "sssssi", mid, num, r->status, r->code, r->text, now) ||
        event_add(db, j, &e) ||
        /* a status the message's plan refunds: given back once */
        refund_recipient(db, j, mid, num, r->status, r->status, NULL)) {
      tbl_free(&t);
      return -1;
    }
    applied = 1;
  }
  if (t.rows == 0)
    early = 1;
  tbl_free(&t);
  if (early && !already_pending &&
      W_EXEC(db, j, NULL,
             "INSERT OR IGNORE INTO reports_pending (provider, provider_id, "
             "number, status, code, text, at, created) VALUES (?1, ?2, ?3, "
             "?4, ?5, ?6, ?7, ?8)",
             "ssssssii", r->provider, r->provider_id,
             r->number ? r->number : "", r->status, r->code, r->text,
             r->at ? r->at : now, now))
    return -1;
  return applied ? 0 : early ? 2 : 1;
}

/* Sort the rows of reports_pending (id, provider, provider_id, number,
   status, ...) by the rank of their status, then as read (at, id). */
static void sort_by_rank(tbl *t) {
  size_t i, k, c;
  for (i = 1; i < t->rows; i++) /* insertion sort: stable, few rows */
    for (k = i; k > 0 && store_status_rank(cell(t, k - 1, 4)) >
                             store_status_rank(cell(t, k, 4));
         k--)
      for (c = 0; c < t->cols; c++) {
        char *x = t->v[(k - 1) * t->cols + c];
        t->v[(k - 1) * t->cols + c] = t->v[k * t->cols + c];
        t->v[k * t->cols + c] = x;
      }
}

/* The pending reports of (provider, provider_id), applied now that a send
   recorded that id; those that did something (or nothing, as a repeat)
   are no longer pending. */
static int pending_apply(sq_db *db, job *j, const char *provider,
                         const char *provider_id) {
  sqlite3_stmt *st = prep(db, &db->w, ST_PENDING_FIND, j->err, sizeof j->err,
                          2, provider, provider_id);
  tbl t;
  size_t i, cap = 0;
  int rc, ok = 1;
  if (!st)
    return -1;
  memset(&t, 0, sizeof t);
  t.cols = 8;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && ok) {
    size_t k;
    if ((t.rows + 1) * t.cols > cap) {
      char **v = realloc(t.v, (cap = (cap + t.cols) * 2) * sizeof *v);
      if (!v) {
        ok = 0;
        break;
      }
      t.v = v;
    }
    for (k = 0; k < t.cols; k++)
      t.v[t.rows * t.cols + k] = column_dup(st, (int)k, &ok);
    t.rows++;
  }
  done(st);
  if (!ok || (rc != SQLITE_DONE && rc != SQLITE_ROW)) {
    if (ok)
      sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot read state.db",
              rc);
    else
      store_set_err(j->err, sizeof j->err, "out of memory");
    tbl_free(&t);
    return -1;
  }
  /* lowest status first: each step of the way is recorded */
  sort_by_rank(&t);
  for (i = 0; i < t.rows; i++) {
    store_report r = {cell(&t, i, 1), cell(&t, i, 2),
                      cell(&t, i, 3) && *cell(&t, i, 3) ? cell(&t, i, 3)
                                                        : NULL,
                      cell(&t, i, 4), cell(&t, i, 5), cell(&t, i, 6),
                      cell_int(&t, i, 7)};
    rc = report_core(db, j, &r, 1);
    if (rc < 0 ||
        (rc != 2 && W_EXEC(db, j, NULL,
                           "DELETE FROM reports_pending WHERE id = ?1", "i",
                           cell_int(&t, i, 0)))) {
      tbl_free(&t);
      return -1;
    }
  }
  tbl_free(&t);
  return 0;
}

/* --------------------------------------------------- sending, finish -- */

typedef struct numbers_arg {
  const char *id, *claim, *provider;
  const char *const *numbers;
  size_t n;
} numbers_arg;

/* Recipients `numbers` of message `id` are `sending` through `provider`. */
static int sending_run(sq_db *db, job *j) {
  numbers_arg *a = j->arg;
  char now[24];
  size_t i;
  snprintf(now, sizeof now, "%lld", (long long)now_seconds());
  for (i = 0; i < a->n; i++) {
    sqlite3_stmt *st = prep(db, &db->w, ST_RCPT_SENDING, j->err,
                            sizeof j->err, 5, a->id, a->numbers[i],
                            a->provider, now, a->claim);
    ev_in e = {a->id, "status", a->numbers[i], "sending", a->provider,
               NULL, NULL, NULL, 0, -1};
    if (run_done(db, &db->w, st, j->err, sizeof j->err,
                 "cannot write to state.db"))
      return -1;
    if (sqlite3_changes(db->w.sql) == 0) {
      /* not held by this claim: the job's savepoint undoes the others */
      snprintf(j->err, sizeof j->err,
               "%s of message %s is not held by this worker's claim", 
               a->numbers[i], a->id);
      return 1;
    }
    if (event_add(db, j, &e))
      return -1;
  }
  return 0;
}

/* On SQLite one process holds the store and a claim lasts while it runs
   (store_queue_recover frees them at the next start), so a claim is never
   lost; the check keeps the two backends' contract the same. */
static int sq_mark_sending(store_db *db_, const char *id, const char *claim,
                           const char *const *numbers, size_t n,
                           const char *provider, char *err, size_t errlen) {
  sq_db *db = (sq_db *)db_;
  numbers_arg a = {id, claim, provider, numbers, n};
  job j;
  memset(&j, 0, sizeof j);
  j.run = sending_run;
  j.arg = &a;
  return run_job(db, &j, err, errlen);
}

/* store_finish's payload: one block holding copies of every string. */
typedef struct finish_arg {
  char *id, *claim;
  store_outcome *o;
  size_t n_o;
  store_attempt *a;
  size_t n_a;
  char *strings;
} finish_arg;

static int finish_run(sq_db *db, job *j) {
  finish_arg *f = j->arg;
  char now[24];
  size_t i;
  snprintf(now, sizeof now, "%lld", (long long)now_seconds());
  for (i = 0; i < f->n_o; i++) {
    const store_outcome *o = &f->o[i];
    sqlite3_stmt *st = prep(db, &db->w, ST_RCPT_FINISH, j->err, sizeof j->err,
                            9, f->id, o->number, o->state, o->provider,
                            o->provider_id, o->code, o->text, now, f->claim);
    ev_in e = {f->id,          "status", o->number, o->state, o->provider,
               o->provider_id, o->code,  o->text,   0,        -1};
    if (run_done(db, &db->w, st, j->err, sizeof j->err,
                 "cannot write to state.db"))
      return -1;
    if (sqlite3_changes(db->w.sql) == 0 && f->claim)
      continue; /* not this claim's any more */
    if (sqlite3_changes(db->w.sql) > 0 && event_add(db, j, &e))
      return -1;
    if (refund_finished(db, j, f->id, o))
      return -1;
  }
  /* reports that came before this answer: applied now */
  for (i = 0; i < f->n_o; i++) {
    const store_outcome *o = &f->o[i];
    size_t k;
    if (!o->provider || !o->provider_id)
      continue;
    for (k = 0; k < i; k++) /* each (provider, id) once */
      if (f->o[k].provider && f->o[k].provider_id &&
          strcmp(f->o[k].provider, o->provider) == 0 &&
          strcmp(f->o[k].provider_id, o->provider_id) == 0)
        break;
    if (k == i && pending_apply(db, j, o->provider, o->provider_id))
      return -1;
  }
  for (i = 0; i < f->n_a; i++) {
    const store_attempt *a = &f->a[i];
    sqlite3_stmt *st = prep(db, &db->w, ST_ATTEMPT_INSERT, j->err,
                            sizeof j->err, 7, f->id, a->provider, a->outcome,
                            a->cls, a->code, a->message, now);
    if (run_done(db, &db->w, st, j->err, sizeof j->err,
                 "cannot write to state.db"))
      return -1;
  }
  return 0;
}

static void finish_release(job *j) { free(j->arg); }

/* Copy s into the block at *p; the copy, or NULL for NULL. */
static const char *put(char **p, const char *s) {
  size_t n;
  char *at = *p;
  if (!s)
    return NULL;
  n = strlen(s) + 1;
  memcpy(at, s, n);
  *p += n;
  return at;
}

static size_t len0(const char *s) { return s ? strlen(s) + 1 : 0; }

static int sq_finish(store_db *db_, const char *id, const char *claim,
                     const store_outcome *o, size_t n_o,
                     const store_attempt *a, size_t n_a) {
  sq_db *db = (sq_db *)db_;
  size_t bytes = len0(id) + len0(claim), i;
  finish_arg *f;
  job *j;
  char *p;
  for (i = 0; i < n_o; i++)
    bytes += len0(o[i].number) + len0(o[i].state) + len0(o[i].provider) +
             len0(o[i].provider_id) + len0(o[i].code) + len0(o[i].text);
  for (i = 0; i < n_a; i++)
    bytes += len0(a[i].provider) + len0(a[i].outcome) + len0(a[i].cls) +
             len0(a[i].code) + len0(a[i].message);
  f = malloc(sizeof *f + n_o * sizeof *f->o + n_a * sizeof *f->a + bytes);
  j = calloc(1, sizeof *j);
  if (!f || !j) {
    /* out of memory: write it now, from the caller's own data */
    finish_arg local = {(char *)id, (char *)claim, (store_outcome *)o, n_o,
                        (store_attempt *)a, n_a, NULL};
    job sync;
    free(f);
    free(j);
    memset(&sync, 0, sizeof sync);
    sync.run = finish_run;
    sync.arg = &local;
    run_job(db, &sync, NULL, 0);
    return -1;
  }
  f->o = (store_outcome *)(f + 1);
  f->a = (store_attempt *)(f->o + n_o);
  p = (char *)(f->a + n_a);
  f->id = (char *)put(&p, id);
  f->claim = (char *)put(&p, claim);
  f->n_o = n_o;
  f->n_a = n_a;
  for (i = 0; i < n_o; i++) {
    f->o[i].number = put(&p, o[i].number);
    f->o[i].state = put(&p, o[i].state);
    f->o[i].provider = put(&p, o[i].provider);
    f->o[i].provider_id = put(&p, o[i].provider_id);
    f->o[i].code = put(&p, o[i].code);
    f->o[i].text = put(&p, o[i].text);
  }
  for (i = 0; i < n_a; i++) {
    f->a[i].provider = put(&p, a[i].provider);
    f->a[i].outcome = put(&p, a[i].outcome);
    f->a[i].cls = put(&p, a[i].cls);
    f->a[i].code = put(&p, a[i].code);
    f->a[i].message = put(&p, a[i].message);
  }
  j->run = finish_run;
  j->release = finish_release;
  j->arg = f;
  enqueue(db, j);
  return 0;
}

/* --------------------------------------------------------------- prune -- */

typedef struct prune_arg {
  int64_t before;
  long removed;
} prune_arg;

static int prune_run(sq_db *db, job *j) {
  prune_arg *a = j->arg;
  static const enum stmt_id order[] = {
      ST_PRUNE_ATTEMPTS, ST_PRUNE_HOOKS, ST_PRUNE_EVENTS,
      ST_PRUNE_REPLIES,  ST_PRUNE_RCPTS, ST_PRUNE_MSGS};
  size_t i;
  /* reports that waited two days for their send's answer will not see it */
  if (W_EXEC(db, j, NULL, "DELETE FROM reports_pending WHERE created < ?1",
             "i", now_seconds() - STORE_PENDING_KEEP))
    return -1;
  for (i = 0; i < sizeof order / sizeof order[0]; i++) {
    sqlite3_stmt *st = prep(db, &db->w, order[i], j->err, sizeof j->err, 0);
    if (!st || sqlite3_bind_int64(st, 1, a->before) != SQLITE_OK ||
        run_done(db, &db->w, st, j->err, sizeof j->err,
                 "cannot prune state.db"))
      return -1;
    if (order[i] == ST_PRUNE_MSGS)
      a->removed = (long)sqlite3_changes(db->w.sql);
  }
  return 0;
}

static int sq_prune(store_db *db_, int64_t before, long *removed, char *err,
                    size_t errlen) {
  sq_db *db = (sq_db *)db_;
  prune_arg a = {before, 0};
  job j;
  memset(&j, 0, sizeof j);
  j.run = prune_run;
  j.arg = &a;
  if (run_job(db, &j, err, errlen))
    return -1;
  if (removed)
    *removed = a.removed;
  return 0;
}

/* --------------------------------------------------------------- reads -- */

static conn *reader_take(sq_db *db) {
  conn *c;
  pthread_mutex_lock(&db->pool_lock);
  c = db->readers;
  if (c) {
    db->readers = c->next;
    db->n_readers--;
  }
  pthread_mutex_unlock(&db->pool_lock);
  if (c)
    return c;
  c = calloc(1, sizeof *c);
  if (c && conn_open(db, c, 1, NULL, 0)) {
    free(c);
    c = NULL;
  }
  return c;
}

static void reader_give(sq_db *db, conn *c) {
  pthread_mutex_lock(&db->pool_lock);
  if (db->n_readers < STORE_READERS_KEPT) {
    c->next = db->readers;
    db->readers = c;
    db->n_readers++;
    c = NULL;
  }
  pthread_mutex_unlock(&db->pool_lock);
  if (c) {
    conn_close(c);
    free(c);
  }
}

/* One text column of the first row of `sql` with one text parameter:
   0 found (*out malloc'd), 1 none, -1 error. */
static int read_one(sq_db *db, const char *sql, const char *param, char **out) {
  conn *c = reader_take(db);
  sqlite3_stmt *st = NULL;
  int rc, ret = -1, ok = 1;
  *out = NULL;
  if (!c)
    return -1;
  if (sqlite3_prepare_v2(c->sql, sql, -1, &st, NULL) == SQLITE_OK &&
      sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT) == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *out = column_dup(st, 0, &ok);
      ret = ok && *out ? 0 : -1;
    } else if (rc == SQLITE_DONE) {
      ret = 1;
    }
  }
  sqlite3_finalize(st);
  reader_give(db, c);
  return ret;
}

static int sq_provider_of(store_db *db_, const char *id, char **provider) {
  sq_db *db = (sq_db *)db_;
  static const char *const lookups[] = {
      "SELECT provider FROM recipients WHERE provider_id = ?1 AND provider "
      "IS NOT NULL ORDER BY updated DESC LIMIT 1",
      "SELECT provider FROM recipients WHERE message_id = ?1 AND provider "
      "IS NOT NULL ORDER BY updated DESC LIMIT 1",
      /* a store made by version 1 */
      "SELECT provider FROM journal_ids WHERE message_id = ?1 AND provider "
      "IS NOT NULL ORDER BY created DESC, rowid DESC LIMIT 1"};
  size_t i;
  int rc = 1;
  *provider = NULL;
  for (i = 0; i < 3 && rc == 1; i++)
    rc = read_one(db, lookups[i], id, provider);
  return rc < 0 && i == 3 ? 1 : rc; /* no journal_ids table: unknown */
}

/* Two text columns of the first row of `sql` (one parameter). */
static int read_two(sq_db *db, const char *sql, const char *param, char **a,
                    char **b) {
  conn *c = reader_take(db);
  sqlite3_stmt *st = NULL;
  int rc, ret = -1, ok = 1;
  *a = *b = NULL;
  if (!c)
    return -1;
  if (sqlite3_prepare_v2(c->sql, sql, -1, &st, NULL) == SQLITE_OK &&
      sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT) == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *a = column_dup(st, 0, &ok);
      *b = column_dup(st, 1, &ok);
      ret = ok && *a && *b ? 0 : -1;
    } else if (rc == SQLITE_DONE) {
      ret = 1;
    }
  }
  sqlite3_finalize(st);
  reader_give(db, c);
  if (ret != 0) {
    free(*a);
    free(*b);
    *a = *b = NULL;
  }
  return ret;
}

static int sq_message_of(store_db *db_, const char *id, char **message_id,
                         char **tenant) {
  sq_db *db = (sq_db *)db_;
  int rc = read_two(db,
                    "SELECT message_id, tenant FROM recipients WHERE "
                    "provider_id = ?1 ORDER BY updated DESC LIMIT 1",
                    id, message_id, tenant);
  if (rc == 1)
    rc = read_two(db, "SELECT id, tenant FROM messages WHERE id = ?1", id,
                  message_id, tenant);
  return rc;
}

/* --------------------------------------------------------------- queue -- */

/* Run `sql` (no row) with text params on the writer inside job j. */
static int w_exec(sq_db *db, job *j, const char *sql, int n, ...) {
  sqlite3_stmt *st = NULL;
  va_list ap;
  int i, rc = sqlite3_prepare_v2(db->w.sql, sql, -1, &st, NULL);
  if (rc != SQLITE_OK) {
    sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot prepare", rc);
    return -1;
  }
  va_start(ap, n);
  for (i = 1; i <= n; i++) {
    const char *v = va_arg(ap, const char *);
    if (v)
      sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
  }
  va_end(ap);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot write to state.db",
            rc);
    return -1;
  }
  return 0;
}

/* An event `status` (code, text) for each row (message_id, number,
   provider, provider_id) of `sql` (one text parameter, may be NULL), run
   before the statement that makes that change. */
static int events_of_rows(sq_db *db, job *j, const char *sql,
                          const char *param, const char *status,
                          const char *code, const char *text) {
  tbl t;
  size_t i;
  if (W_ROWS(db, j, &t, sql, "s", param))
    return -1;
  for (i = 0; i < t.rows; i++) {
    ev_in e = {cell(&t, i, 0), "status", cell(&t, i, 1), status,
               cell(&t, i, 2), cell(&t, i, 3), code, text, 0, -1};
    if (event_add(db, j, &e)) {
      tbl_free(&t);
      return -1;
    }
  }
  tbl_free(&t);
  return 0;
}

typedef struct claim_arg {
  const char *token;
  int64_t now, next_due;
  store_claimed *c;
  int found;
} claim_arg;

static int claim_run(sq_db *db, job *j) {
  claim_arg *a = j->arg;
  store_claimed *c = a->c;
  sqlite3_stmt *st = NULL;
  char now[24];
  int rc, ok = 1;
  size_t cap = 0;

  a->found = 0;
  a->next_due = 0;
  rc = sqlite3_prepare_v2(
      db->w.sql,
      "SELECT m.id, m.tenant, m.ref, m.request, m.callback_url, m.not_before "
      "FROM messages m WHERE m.id IN (SELECT message_id FROM recipients "
      "WHERE state = 'queued' AND claimed_by IS NULL) AND m.request IS NOT "
      "NULL ORDER BY (m.not_before > ?1), m.not_before, m.id LIMIT 1",
      -1, &st, NULL);
  if (rc != SQLITE_OK)
    goto sqlfail;
  sqlite3_bind_int64(st, 1, a->now);
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    sqlite3_finalize(st);
    return 0;
  }
  if (rc != SQLITE_ROW)
    goto sqlfail;
  if (sqlite3_column_int64(st, 5) > a->now) { /* held: nothing due */
    a->next_due = sqlite3_column_int64(st, 5);
    sqlite3_finalize(st);
    return 0;
  }
  snprintf(c->id, sizeof c->id, "%s", (const char *)sqlite3_column_text(st, 0));
  c->tenant = column_dup(st, 1, &ok);
  c->ref = column_dup(st, 2, &ok);
  c->request_json = column_dup(st, 3, &ok);
  c->callback_url = column_dup(st, 4, &ok);
  sqlite3_finalize(st);
  st = NULL;
  if (!ok)
    goto oom;
  rc = sqlite3_prepare_v2(db->w.sql,
                          "SELECT number FROM recipients WHERE message_id = "
                          "?1 AND state = 'queued' AND claimed_by IS NULL "
                          "ORDER BY number",
                          -1, &st, NULL);
  if (rc != SQLITE_OK)
    goto sqlfail;
  sqlite3_bind_text(st, 1, c->id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (c->n == cap) {
      char **v = realloc(c->numbers, (cap = cap ? cap * 2 : 8) * sizeof *v);
      if (!v)
        goto oom;
      c->numbers = v;
    }
    if (!(c->numbers[c->n] = column_dup(st, 0, &ok)))
      goto oom;
    c->n++;
  }
  sqlite3_finalize(st);
  st = NULL;
  if (rc != SQLITE_DONE)
    goto sqlfail;
  snprintf(now, sizeof now, "%lld", (long long)a->now);
  if (w_exec(db, j,
             "UPDATE recipients SET claimed_by = ?2, updated = ?3 WHERE "
             "message_id = ?1 AND state = 'queued' AND claimed_by IS NULL",
             3, c->id, a->token, now))
    return -1;
  a->found = 1;
  return 0;
sqlfail:
  sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot read the queue", rc);
  sqlite3_finalize(st);
  return -1;
oom:
  sqlite3_finalize(st);
  store_set_err(j->err, sizeof j->err, "out of memory");
  return -1;
}

static int sq_queue_claim(store_db *db_, const char *token, int64_t now,
                          store_claimed *c, int64_t *next_due, char *err,
                          size_t errlen) {
  sq_db *db = (sq_db *)db_;
  claim_arg a = {token, now, 0, c, 0};
  job j;
  memset(c, 0, sizeof *c);
  memset(&j, 0, sizeof j);
  j.run = claim_run;
  j.arg = &a;
  if (run_job(db, &j, err, errlen)) {
    store_claimed_clear(c);
    return -1;
  }
  if (next_due)
    *next_due = a.next_due;
  if (!a.found) {
    store_claimed_clear(c);
    return 1;
  }
  return 0;
}

typedef struct token_arg {
  const char *token;
  long changed;
} token_arg;

static int unclaim_run(sq_db *db, job *j) {
  token_arg *a = j->arg;
  return w_exec(db, j,
                "UPDATE recipients SET claimed_by = NULL WHERE claimed_by = "
                "?1 AND state = 'queued'",
                1, a->token);
}

static int sq_queue_unclaim(store_db *db_, const char *token, char *err,
                            size_t errlen) {
  sq_db *db = (sq_db *)db_;
  token_arg a = {token, 0};
  job j;
  memset(&j, 0, sizeof j);
  j.run = unclaim_run;
  j.arg = &a;
  return run_job(db, &j, err, errlen);
}

static int recover_run(sq_db *db, job *j) {
  token_arg *a = j->arg;
  char now[24];
  snprintf(now, sizeof now, "%lld", (long long)now_seconds());
  if (events_of_rows(db, j,
                     "SELECT message_id, number, provider, provider_id FROM "
                     "recipients WHERE state = 'sending' AND ?1 IS NULL "
                     "ORDER BY message_id, number",
                     NULL, "unknown", "interrupted",
                     "the request may have left when smsmux stopped: not "
                     "sent again"))
    return -1;
  if (w_exec(db, j,
             "UPDATE recipients SET state = 'unknown', code = 'interrupted', "
             "text = 'the request may have left when smsmux stopped: not "
             "sent again', updated = ?1 WHERE state = 'sending'",
             1, now))
    return -1;
  a->changed = (long)sqlite3_changes(db->w.sql);
  if (refund_leftovers(db, j) ||
      w_exec(db, j,
             "UPDATE recipients SET claimed_by = NULL WHERE claimed_by IS "
             "NOT NULL AND state = 'queued'",
             0))
    return -1;
  return w_exec(db, j,
                "UPDATE webhooks SET claimed_by = NULL WHERE claimed_by IS "
                "NOT NULL",
                0);
}

static int sq_queue_recover(store_db *db_, long *unknown, char *err,
                            size_t errlen) {
  sq_db *db = (sq_db *)db_;
  token_arg a = {NULL, 0};
  job j;
  memset(&j, 0, sizeof j);
  j.run = recover_run;
  j.arg = &a;
  if (run_job(db, &j, err, errlen))
    return -1;
  if (unknown)
    *unknown = a.changed;
  return 0;
}

typedef struct cancel_arg {
  const char *tenant, *id;
  int result;
} cancel_arg;

static int cancel_run(sq_db *db, job *j) {
  cancel_arg *a = j->arg;
  sqlite3_stmt *st = NULL;
  char now[24];
  int rc = sqlite3_prepare_v2(db->w.sql,
                              "SELECT 1 FROM messages WHERE id = ?1 AND "
                              "tenant = ?2",
                              -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, a->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, a->tenant, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) {
    a->result = 1;
    return 0;
  }
  if (rc != SQLITE_ROW) {
    sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot read state.db", rc);
    return -1;
  }
  snprintf(now, sizeof now, "%lld", (long long)now_seconds());
  if (events_of_rows(db, j,
                     "SELECT message_id, number, provider, provider_id FROM "
                     "recipients WHERE message_id = ?1 AND state = 'queued' "
                     "AND claimed_by IS NULL ORDER BY number",
                     a->id, "cancelled", "cancelled",
                     "cancelled before it was sent"))
    return -1;
  if (w_exec(db, j,
             "UPDATE recipients SET state = 'cancelled', code = 'cancelled', "
             "text = 'cancelled before it was sent', updated = ?2 WHERE "
             "message_id = ?1 AND state = 'queued' AND claimed_by IS NULL",
             2, a->id, now))
    return -1;
  a->result = sqlite3_changes(db->w.sql) > 0 ? 0 : 2;
  return refund_message(db, j, a->id, "cancelled", NULL);
}

static int sq_message_cancel(store_db *db_, const char *tenant, const char *id,
                             char *err, size_t errlen) {
  sq_db *db = (sq_db *)db_;
  cancel_arg a = {tenant ? tenant : "", id, 0};
  job j;
  memset(&j, 0, sizeof j);
  j.run = cancel_run;
  j.arg = &a;
  if (run_job(db, &j, err, errlen))
    return -1;
  return a.result;
}

/* Every row of `sql` (?1: the message id `id`) appended to *v (*n
   elements of `size` bytes, room made `first` at a time, then doubled),
   each zeroed then filled by `row`.  -1 when the database fails; out of
   memory: *ok = 0 (and 0). */
static int rows_of_message(conn *c, const char *sql, const char *id, void **v,
                           size_t *n, size_t size, size_t first,
                           void (*row)(sqlite3_stmt *, void *, int *),
                           int *ok) {
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  int rc = sqlite3_prepare_v2(c->sql, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    char *at;
    if (*n == cap) {
      char *w = realloc(*v, (cap = cap ? cap * 2 : first) * size);
      if (!w) {
        *ok = 0;
        break;
      }
      *v = w;
    }
    at = (char *)*v + *n * size;
    memset(at, 0, size);
    row(st, at, ok);
    (*n)++;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static void rcpt_rrow(sqlite3_stmt *st, void *p, int *ok) {
  store_rcpt_row *r = p;
  r->number = column_dup(st, 0, ok);
  r->state = column_dup(st, 1, ok);
  r->provider = column_dup(st, 2, ok);
  r->provider_id = column_dup(st, 3, ok);
  r->code = column_dup(st, 4, ok);
  r->text = column_dup(st, 5, ok);
  r->updated = sqlite3_column_int64(st, 6);
}

static void attempt_rrow(sqlite3_stmt *st, void *p, int *ok) {
  store_attempt_row *a = p;
  a->provider = column_dup(st, 0, ok);
  a->outcome = column_dup(st, 1, ok);
  a->cls = column_dup(st, 2, ok);
  a->code = column_dup(st, 3, ok);
  a->message = column_dup(st, 4, ok);
  a->at = sqlite3_column_int64(st, 5);
}

static void event_rrow(sqlite3_stmt *st, void *p, int *ok) {
  store_event_row *e = p;
  e->seq = sqlite3_column_int64(st, 0);
  e->kind = column_dup(st, 1, ok);
  e->number = column_dup(st, 2, ok);
  e->status = column_dup(st, 3, ok);
  e->provider = column_dup(st, 4, ok);
  e->provider_id = column_dup(st, 5, ok);
  e->code = column_dup(st, 6, ok);
  e->text = column_dup(st, 7, ok);
  e->at = sqlite3_column_int64(st, 8);
}

static int read_message_rows(conn *c, store_message *m, int *ok) {
  if (rows_of_message(c,
                      "SELECT number, state, provider, provider_id, code, "
                      "text, updated FROM recipients WHERE message_id = ?1 "
                      "ORDER BY number",
                      m->id, (void **)&m->rcpts, &m->n_rcpts,
                      sizeof *m->rcpts, 4, rcpt_rrow, ok) ||
      rows_of_message(c,
                      "SELECT provider, outcome, class, code, message, at "
                      "FROM attempts WHERE message_id = ?1 ORDER BY rowid",
                      m->id, (void **)&m->attempts, &m->n_attempts,
                      sizeof *m->attempts, 4, attempt_rrow, ok))
    return -1;
  return rows_of_message(c,
                         "SELECT seq, kind, number, status, provider, "
                         "provider_id, code, text, at FROM events WHERE "
                         "message_id = ?1 ORDER BY seq",
                         m->id, (void **)&m->events, &m->n_events,
                         sizeof *m->events, 8, event_rrow, ok);
}

static int sq_message_read(store_db *db_, const char *tenant, const char *id,
                           store_message *m) {
  sq_db *db = (sq_db *)db_;
  conn *c = reader_take(db);
  sqlite3_stmt *st = NULL;
  int rc, ret = -1, ok = 1;
  memset(m, 0, sizeof *m);
  if (!c)
    return -1;
  rc = sqlite3_prepare_v2(c->sql,
                          "SELECT id, tenant, ref, encoding, callback_url, "
                          "request, created, not_before, segments FROM "
                          "messages WHERE id = ?1 AND tenant = ?2",
                          -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, tenant ? tenant : "", -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
      ret = 1;
    else if (rc == SQLITE_ROW) {
      m->id = column_dup(st, 0, &ok);
      m->tenant = column_dup(st, 1, &ok);
      m->ref = column_dup(st, 2, &ok);
      m->encoding = column_dup(st, 3, &ok);
      m->callback_url = column_dup(st, 4, &ok);
      m->request_json = column_dup(st, 5, &ok);
      m->created = sqlite3_column_int64(st, 6);
      m->not_before = sqlite3_column_int64(st, 7);
      m->segments = (unsigned)sqlite3_column_int64(st, 8);
      ret = 0;
    }
  }
  sqlite3_finalize(st);
  if (ret == 0 && (read_message_rows(c, m, &ok) || !ok))
    ret = -1;
  reader_give(db, c);
  if (ret != 0)
    store_message_clear(m);
  return ret;
}

static int sq_message_ids(store_db *db_, const char *tenant, const char *state,
                          int64_t since, const char *cursor, unsigned limit,
                          char ***ids, size_t *n) {
  sq_db *db = (sq_db *)db_;
  conn *c = reader_take(db);
  sqlite3_stmt *st = NULL;
  int rc, ok = 1;
  *ids = NULL;
  *n = 0;
  if (!c)
    return -1;
  rc = sqlite3_prepare_v2(
      c->sql,
      "SELECT id FROM messages m WHERE tenant = ?1 AND created >= ?2 AND "
      "(?3 IS NULL OR id < ?3) AND (?4 IS NULL OR EXISTS (SELECT 1 FROM "
      "recipients r WHERE r.message_id = m.id AND r.state = ?4)) "
      "ORDER BY id DESC LIMIT ?5",
      -1, &st, NULL);
  if (rc == SQLITE_OK) {
    char **v = calloc(limit ? limit : 1, sizeof *v);
    sqlite3_bind_text(st, 1, tenant ? tenant : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, since);
    if (cursor)
      sqlite3_bind_text(st, 3, cursor, -1, SQLITE_TRANSIENT);
    if (state)
      sqlite3_bind_text(st, 4, state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, limit);
    if (!v)
      ok = 0;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit)
      v[(*n)++] = column_dup(st, 0, &ok);
    *ids = v;
  }
  sqlite3_finalize(st);
  reader_give(db, c);
  if (!ok || (rc != SQLITE_DONE && rc != SQLITE_ROW)) {
    size_t i;
    for (i = 0; *ids && i < *n; i++)
      free((*ids)[i]);
    free(*ids);
    *ids = NULL;
    *n = 0;
    return -1;
  }
  return 0;
}

static int sq_queue_counts(store_db *db_, unsigned long *queued,
                           unsigned long *sending) {
  sq_db *db = (sq_db *)db_;
  conn *c = reader_take(db);
  sqlite3_stmt *st = NULL;
  int rc;
  *queued = *sending = 0;
  if (!c)
    return -1;
  rc = sqlite3_prepare_v2(c->sql,
                          "SELECT state, count(*) FROM recipients WHERE state "
                          "IN ('queued', 'sending') GROUP BY state",
                          -1, &st, NULL);
  if (rc == SQLITE_OK)
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const char *s = (const char *)sqlite3_column_text(st, 0);
      unsigned long v = (unsigned long)sqlite3_column_int64(st, 1);
      if (s && strcmp(s, "queued") == 0)
        *queued = v;
      else
        *sending = v;
    }
  sqlite3_finalize(st);
  reader_give(db, c);
  return rc == SQLITE_DONE ? 0 : -1;
}

/* ---------------------------------------------------------- key/value -- */

static int sq_kv_get(store_db *db_, const char *ns, const char *key,
                     char **value, int64_t *updated) {
  sq_db *db = (sq_db *)db_;
  conn *c;
  sqlite3_stmt *st;
  int rc, ret = -1, ok = 1;
  if (value)
    *value = NULL;
  if (updated)
    *updated = 0;
  if (!db || !ns || !key || !(c = reader_take(db)))
    return -1;
  st = prep(db, c, ST_KV_GET, NULL, 0, 2, ns, key);
  if (st) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
      ret = 1;
    else if (rc == SQLITE_ROW) {
      if (value)
        *value = column_dup(st, 0, &ok);
      if (updated)
        *updated = (int64_t)sqlite3_column_int64(st, 1);
      ret = ok ? 0 : -1;
    }
    done(st);
  }
  reader_give(db, c);
  return ret;
}

/* Read ns/key inside the writer's transaction. */
static int kv_get_w(sq_db *db, job *j, const char *ns, const char *key,
                    char **value) {
  sqlite3_stmt *st = prep(db, &db->w, ST_KV_GET, j->err, sizeof j->err, 2,
                          ns, key);
  int rc, ok = 1;
  *value = NULL;
  if (!st)
    return -1;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *value = column_dup(st, 0, &ok);
  done(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return -1;
  return ok ? (rc == SQLITE_ROW ? 0 : 1) : -1;
}

static int kv_set_w(sq_db *db, job *j, const char *ns, const char *key,
                    const char *value) {
  sqlite3_stmt *st = prep(db, &db->w, ST_KV_SET, j->err, sizeof j->err, 3,
                          ns, key, value);
  if (!st || sqlite3_bind_int64(st, 4, now_seconds()) != SQLITE_OK) {
    done(st);
    return -1;
  }
  return run_done(db, &db->w, st, j->err, sizeof j->err,
                  "cannot write the key/value store");
}

typedef struct kv_arg {
  const char *ns, *key, *value;
  int64_t delta, before;
  double real;
  char *(*fn)(const char *old, void *ud);
  void *ud;
} kv_arg;

static int kv_set_run(sq_db *db, job *j) {
  kv_arg *a = j->arg;
  return kv_set_w(db, j, a->ns, a->key, a->value);
}

static int kv_add_run(sq_db *db, job *j) {
  kv_arg *a = j->arg;
  char *old = NULL, buf[32];
  int64_t cur = 0;
  int found = kv_get_w(db, j, a->ns, a->key, &old);
  if (found < 0)
    return -1;
  if (found == 0 && old) {
    char *end;
    long long v;
    errno = 0;
    v = strtoll(old, &end, 10);
    if (errno != 0 || end == old || *end != '\0') {
      free(old);
      store_set_err(j->err, sizeof j->err, "%s/%s is not an integer", a->ns,
              a->key);
      return -1;
    }
    cur = (int64_t)v;
  }
  free(old);
  if ((a->delta > 0 && cur > INT64_MAX - a->delta) ||
      (a->delta < 0 && cur < INT64_MIN - a->delta)) {
    store_set_err(j->err, sizeof j->err, "%s/%s would overflow", a->ns, a->key);
    return -1;
  }
  snprintf(buf, sizeof buf, "%" PRId64, cur + a->delta);
  a->before = cur;
  return kv_set_w(db, j, a->ns, a->key, buf);
}

static int kv_add_real_run(sq_db *db, job *j) {
  kv_arg *a = j->arg;
  sqlite3_stmt *st = prep(db, &db->w, ST_KV_ADD_REAL, j->err, sizeof j->err,
                          2, a->ns, a->key);
  if (!st || sqlite3_bind_double(st, 3, a->real) != SQLITE_OK) {
    done(st);
    return -1;
  }
  return run_done(db, &db->w, st, j->err, sizeof j->err,
                  "cannot write the key/value store");
}

static int kv_update_run(sq_db *db, job *j) {
  kv_arg *a = j->arg;
  char *old = NULL, *val;
  int rc;
  if (kv_get_w(db, j, a->ns, a->key, &old) < 0)
    return -1;
  val = a->fn(old, a->ud);
  free(old);
  if (!val)
    return 0;
  rc = kv_set_w(db, j, a->ns, a->key, val);
  free(val);
  return rc;
}

static int kv_job(sq_db *db, int (*run)(sq_db *, job *), kv_arg *a) {
  job j;
  if (!db || !a->ns || !a->key)
    return -1;
  memset(&j, 0, sizeof j);
  j.run = run;
  j.arg = a;
  return run_job(db, &j, NULL, 0);
}

static int sq_kv_set(store_db *db_, const char *ns, const char *key,
                     const char *value) {
  sq_db *db = (sq_db *)db_;
  kv_arg a = {.ns = ns, .key = key, .value = value};
  return kv_job(db, kv_set_run, &a);
}

static int sq_kv_add(store_db *db_, const char *ns, const char *key,
                     int64_t delta, int64_t *before) {
  sq_db *db = (sq_db *)db_;
  kv_arg a = {.ns = ns, .key = key, .delta = delta};
  int rc = kv_job(db, kv_add_run, &a);
  if (before)
    *before = rc == 0 ? a.before : 0;
  return rc;
}

static int sq_kv_add_real(store_db *db_, const char *ns, const char *key,
                          double delta) {
  sq_db *db = (sq_db *)db_;
  kv_arg a = {.ns = ns, .key = key, .real = delta};
  return kv_job(db, kv_add_real_run, &a);
}

static int sq_kv_update(store_db *db_, const char *ns, const char *key,
                        char *(*fn)(const char *old, void *ud), void *ud) {
  sq_db *db = (sq_db *)db_;
  kv_arg a = {.ns = ns, .key = key, .fn = fn, .ud = ud};
  return kv_job(db, kv_update_run, &a);
}

/* ------------------------------------------------------------ tenants -- */

/* Prepare `sql` on `s` and bind the values `types` describes, in order:
   't' text (NULL binds NULL), 'i' int64_t, 'd' double.  NULL on failure
   (sqlite3_errmsg(s) says why). */
static sqlite3_stmt *stmt_v(sqlite3 *s, const char *sql, const char *types,
                            va_list ap) {
  sqlite3_stmt *st = NULL;
  int i, rc = sqlite3_prepare_v2(s, sql, -1, &st, NULL);
  for (i = 0; rc == SQLITE_OK && types[i]; i++) {
    if (types[i] == 'i') {
      rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
    } else if (types[i] == 'd') {
      rc = sqlite3_bind_double(st, i + 1, va_arg(ap, double));
    } else {
      const char *v = va_arg(ap, const char *);
      rc = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT)
             : sqlite3_bind_null(st, i + 1);
    }
  }
  if (rc != SQLITE_OK) {
    sqlite3_finalize(st);
    return NULL;
  }
  return st;
}

static sqlite3_stmt *stmt_on(sqlite3 *s, const char *sql, const char *types,
                             ...) {
  sqlite3_stmt *st;
  va_list ap;
  va_start(ap, types);
  st = stmt_v(s, sql, types, ap);
  va_end(ap);
  return st;
}

/* A statement on the writer inside job j, bound; NULL (j->err) when it
   cannot be prepared. */
static sqlite3_stmt *w_stmt(sq_db *db, job *j, const char *sql,
                            const char *types, va_list ap) {
  sqlite3_stmt *st = stmt_v(db->w.sql, sql, types, ap);
  if (!st)
    sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot prepare",
            sqlite3_errcode(db->w.sql));
  return st;
}

/* Run a statement without rows on the writer inside job j: the rows it
   changed, or -1 (j->err). */
static long w_run(sq_db *db, job *j, const char *sql, const char *types, ...) {
  sqlite3_stmt *st;
  va_list ap;
  int rc;
  va_start(ap, types);
  st = w_stmt(db, j, sql, types, ap);
  va_end(ap);
  if (!st)
    return -1;
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot write to state.db",
            rc);
    return -1;
  }
  return (long)sqlite3_changes(db->w.sql);
}

/* The first column (an integer) of the first row of a query on the writer:
   0 found, 1 no row, -1 error (j->err). */
static int w_int(sq_db *db, job *j, int64_t *out, const char *sql,
                 const char *types, ...) {
  sqlite3_stmt *st;
  va_list ap;
  int rc;
  va_start(ap, types);
  st = w_stmt(db, j, sql, types, ap);
  va_end(ap);
  if (!st)
    return -1;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && out)
    *out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW)
    return 0;
  if (rc == SQLITE_DONE)
    return 1;
  sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot read state.db", rc);
  return -1;
}

/* One ledger row (inside the transaction that changed the balance). */
static int ledger_row(sq_db *db, job *j, const char *tenant, const char *mid,
                      int64_t delta, const char *reason, const char *actor) {
  return w_run(db, j,
               "INSERT INTO ledger (tenant, message_id, delta, reason, at, "
               "actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
               "ttitit", tenant, mid, delta, reason, now_seconds(), actor) < 0
             ? -1
             : 0;
}

/* balance + delta, only when the result stays within [0, STORE_BALANCE_MAX]
   (one statement: the check and the change cannot be separated).  0
   applied, 1 not enough (or over the ceiling), 2 no such tenant, -1. */
static int balance_add(sq_db *db, job *j, const char *tenant, int64_t delta) {
  long ch = w_run(db, j,
                  "UPDATE tenants SET balance = balance + ?2 WHERE name = ?1 "
                  "AND balance + ?2 >= 0 AND balance + ?2 <= ?3",
                  "tii", tenant, delta, (int64_t)STORE_BALANCE_MAX);
  int rc;
  if (ch < 0)
    return -1;
  if (ch > 0)
    return 0;
  rc = w_int(db, j, NULL, "SELECT 1 FROM tenants WHERE name = ?1", "t",
             tenant);
  return rc < 0 ? -1 : rc == 1 ? 2 : 1;
}

/* Give back what recipient `number` of message `mid` was charged, once:
   only when it was charged and not refunded yet, its state is `state`
   (NULL: any) and `status` (NULL: any) is in the message's refund_on.
   The refund row, the recipient's mark and the balance change together
   (inside the caller's transaction: the one that changed the status).
   *units (may be NULL) grows by what was given back.  0 or -1. */
static int refund_recipient(sq_db *db, job *j, const char *mid,
                            const char *number, const char *state,
                            const char *status, int64_t *units) {
  sqlite3_stmt *st = stmt_on(
      db->w.sql,
      "SELECT r.units, m.charge, m.refund_on FROM recipients r JOIN "
      "messages m ON m.id = r.message_id WHERE r.message_id = ?1 AND "
      "r.number = ?2 AND r.units > r.refunded AND m.charge IS NOT NULL AND "
      "(?3 IS NULL OR r.state = ?3)",
      "ttt", mid, number, state);
  int rc, ok = 1, give;
  int64_t u = 0;
  char *charge = NULL;
  if (!st) {
    sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot prepare",
            sqlite3_errcode(db->w.sql));
    return -1;
  }
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    sqlite3_finalize(st);
    return 0;
  }
  if (rc != SQLITE_ROW) {
    sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot read state.db", rc);
    sqlite3_finalize(st);
    return -1;
  }
  u = sqlite3_column_int64(st, 0);
  charge = column_dup(st, 1, &ok);
  give = !status ||
         store_list_has((const char *)sqlite3_column_text(st, 2), status);
  sqlite3_finalize(st);
  if (!ok) {
    free(charge);
    store_set_err(j->err, sizeof j->err, "out of memory");
    return -1;
  }
  rc = 0;
  if (give) {
    if (w_run(db, j,
              "UPDATE recipients SET refunded = units WHERE message_id = ?1 "
              "AND number = ?2",
              "tt", mid, number) < 0 ||
        w_run(db, j, "UPDATE tenants SET balance = balance + ?2 WHERE name "
                     "= ?1",
              "ti", charge, u) != 1 ||
        ledger_row(db, j, charge, mid, u, "refund", "smsmux"))
      rc = -1;
    else if (units)
      *units += u;
    if (rc && !j->err[0])
      store_set_err(j->err, sizeof j->err,
                    "tenant %s of message %s is missing", charge, mid);
  }
  free(charge);
  return rc;
}

/* The first column of every row of `st` (finalized here), copied into a
   new array *out of *n strings.  0; -1 when the database fails (its code
   in *step_rc); -2 out of memory.  On failure nothing is left to free. */
static int column0_all(sqlite3_stmt *st, char ***out, size_t *n,
                       int *step_rc) {
  char **v = NULL;
  size_t cap = 0, i;
  int rc, ok = 1;
  *n = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && ok) {
    if (*n == cap) {
      char **w = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof *w);
      if (!w) {
        ok = 0;
        break;
      }
      v = w;
    }
    if ((v[*n] = column_dup(st, 0, &ok)))
      (*n)++;
  }
  sqlite3_finalize(st);
  *step_rc = rc;
  if (ok && (rc == SQLITE_DONE || rc == SQLITE_ROW)) {
    *out = v;
    return 0;
  }
  for (i = 0; i < *n; i++)
    free(v[i]);
  free(v);
  *out = NULL;
  *n = 0;
  return ok ? -1 : -2;
}

/* refund_recipient for every charged, unrefunded recipient of message
   `mid` in `state`. */
static int refund_message(sq_db *db, job *j, const char *mid,
                          const char *state, int64_t *units) {
  sqlite3_stmt *st = stmt_on(db->w.sql,
                             "SELECT number FROM recipients WHERE "
                             "message_id = ?1 AND state = ?2 AND units > "
                             "refunded",
                             "tt", mid, state);
  char **nums = NULL;
  size_t n = 0, i;
  int rc, step_rc;
  if (!st) {
    sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot prepare",
            sqlite3_errcode(db->w.sql));
    return -1;
  }
  rc = column0_all(st, &nums, &n, &step_rc);
  if (rc == -1)
    sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot read state.db",
            step_rc);
  else if (rc)
    store_set_err(j->err, sizeof j->err, "out of memory");
  if (rc)
    return -1;
  for (i = 0; i < n; i++) {
    if (rc == 0 && refund_recipient(db, j, mid, nums[i], state, NULL, units))
      rc = -1;
    free(nums[i]);
  }
  free(nums);
  return rc;
}

/* Every charged recipient left `failed` (a worker stopped between its
   last outcome and the refund): given back (store_queue_recover). */
static int refund_leftovers(sq_db *db, job *j) {
  sqlite3_stmt *st = stmt_on(db->w.sql,
                             "SELECT DISTINCT message_id FROM recipients "
                             "WHERE state = 'failed' AND units > refunded",
                             "");
  char **ids = NULL;
  size_t n = 0, i;
  int rc, step_rc;
  if (!st) {
    sql_err(db, db->w.sql, j->err, sizeof j->err, "cannot prepare",
            sqlite3_errcode(db->w.sql));
    return -1;
  }
  if (column0_all(st, &ids, &n, &step_rc)) {
    store_set_err(j->err, sizeof j->err, "cannot read the failed recipients");
    return -1;
  }
  rc = 0;
  for (i = 0; i < n; i++) {
    if (rc == 0 && refund_message(db, j, ids[i], "failed", NULL))
      rc = -1;
    free(ids[i]);
  }
  free(ids);
  return rc;
}

/* The charge of a message being queued (reserve_run, after its rows):
   the message's price and refund list, the recipients' units, then one
   conditional change of the balance.  Short: a->short_of_units set and
   -1 (the job's savepoint is undone: nothing queued). */
static int charge_put(sq_db *db, job *j, reserve_arg *a, size_t taken) {
  const store_queue_info *q = a->q;
  int64_t total;
  int rc;
  if (!q || !q->charge || !taken)
    return 0;
  if (q->unit_price < 0 || q->unit_price > STORE_DELTA_MAX / (int64_t)taken) {
    store_set_err(j->err, sizeof j->err,
                  "a unit price of %lld for %zu recipients is out of range",
                  (long long)q->unit_price, taken);
    return -1;
  }
  total = q->unit_price * (int64_t)taken;
  if (w_run(db, j,
            "UPDATE messages SET charge = ?2, unit_price = ?3, refund_on = "
            "?4 WHERE id = ?1",
            "ttit", a->m->id, q->charge, q->unit_price, q->refund_on) < 0 ||
      w_run(db, j,
            "UPDATE recipients SET units = ?2, refunded = 0 WHERE message_id "
            "= ?1",
            "ti", a->m->id, q->unit_price) < 0)
    return -1;
  if (total == 0)
    return 0;
  rc = balance_add(db, j, q->charge, -total);
  if (rc == 1) {
    a->short_of_units = 1;
    store_set_err(j->err, sizeof j->err,
                  "tenant %s has fewer than the %lld units this message "
                  "needs",
                  q->charge, (long long)total);
    return -1;
  }
  if (rc == 2)
    store_set_err(j->err, sizeof j->err, "no tenant %s to charge", q->charge);
  if (rc)
    return -1;
  return ledger_row(db, j, q->charge, a->m->id, -total, "reserve", "smsmux");
}

/* The refunds a recipient's new status brings (finish_run): rejected as
   opted out, or a delivery status the message's plan refunds.  Nothing to
   look up for the statuses of a send under way. */
static int refund_finished(sq_db *db, job *j, const char *mid,
                           const store_outcome *o) {
  if (!o->state || !store_refund_candidate(o->state))
    return 0;
  if (strcmp(o->state, "rejected") == 0 && o->code &&
      strcmp(o->code, "opt-out") == 0)
    return refund_recipient(db, j, mid, o->number, "rejected", NULL, NULL);
  return refund_recipient(db, j, mid, o->number, o->state, o->state, NULL);
}

typedef struct tenant_arg {
  const store_tenant *t;
  const char *name, *other, *hash, *label, *reason, *actor, *mid;
  const char *const *numbers;
  size_t n;
  int64_t delta, balance;
  int result;
} tenant_arg;

static int run_tenant_job(sq_db *db, int (*run)(sq_db *, job *),
                          tenant_arg *a, char *err, size_t errlen) {
  job j;
  memset(&j, 0, sizeof j);
  j.run = run;
  j.arg = a;
  if (run_job(db, &j, err, errlen))
    return -1;
  return a->result;
}

static int tenant_add_run(sq_db *db, job *j) {
  tenant_arg *a = j->arg;
  const store_tenant *t = a->t;
  long ch;
  if (t->parent && *t->parent) {
    int rc = w_int(db, j, NULL, "SELECT 1 FROM tenants WHERE name = ?1", "t",
                   t->parent);
    if (rc)
      return rc < 0 ? -1 : (a->result = 2, 0);
  }
  ch = w_run(db, j,
             "INSERT INTO tenants (name, parent, plan, senders, routes, "
             "callback_url, webhook_secret, balance, low_balance, rate, "
             "burst, enabled, created) VALUES (?1, NULLIF(?2, ''), "
             "NULLIF(?3, ''), NULLIF(?4, ''), NULLIF(?5, ''), NULLIF(?6, ''), "
             "NULLIF(?7, ''), 0, ?8, ?9, ?10, 1, ?11) ON CONFLICT (name) DO "
             "NOTHING",
             "tttttttidii", t->name, t->parent, t->plan, t->senders,
             t->routes, t->callback_url, t->webhook_secret,
             t->low_balance > 0 ? t->low_balance : (int64_t)0,
             t->rate > 0 ? t->rate : 0.0, (int64_t)t->burst, now_seconds());
  if (ch < 0)
    return -1;
  a->result = ch ? 0 : 1;
  return 0;
}

static int sq_tenant_add(store_db *db_, const store_tenant *t, char *err,
                         size_t errlen) {
  tenant_arg a;
  memset(&a, 0, sizeof a);
  a.t = t;
  return run_tenant_job((sq_db *)db_, tenant_add_run, &a, err, errlen);
}

static int tenant_update_run(sq_db *db, job *j) {
  tenant_arg *a = j->arg;
  const store_tenant *t = a->t;
  long ch = w_run(
      db, j,
      "UPDATE tenants SET plan = CASE WHEN ?2 IS NULL THEN plan ELSE "
      "NULLIF(?2, '') END, senders = CASE WHEN ?3 IS NULL THEN senders ELSE "
      "NULLIF(?3, '') END, routes = CASE WHEN ?4 IS NULL THEN routes ELSE "
      "NULLIF(?4, '') END, callback_url = CASE WHEN ?5 IS NULL THEN "
      "callback_url ELSE NULLIF(?5, '') END, webhook_secret = CASE WHEN ?6 "
      "IS NULL THEN webhook_secret ELSE NULLIF(?6, '') END, low_balance = "
      "CASE WHEN ?7 < 0 THEN low_balance ELSE ?7 END, rate = CASE WHEN ?8 < "
      "0 THEN rate ELSE ?8 END, burst = ?9, enabled = CASE WHEN ?10 < 0 "
      "THEN enabled ELSE ?10 END WHERE name = ?1",
      "ttttttidii", t->name, t->plan, t->senders, t->routes, t->callback_url,
      t->webhook_secret, t->low_balance, t->rate, (int64_t)t->burst,
      (int64_t)(t->enabled < 0 ? -1 : t->enabled ? 1 : 0));
  if (ch < 0)
    return -1;
  a->result = ch ? 0 : 1;
  return 0;
}

static int sq_tenant_update(store_db *db_, const store_tenant *t, char *err,
                            size_t errlen) {
  tenant_arg a;
  memset(&a, 0, sizeof a);
  a.t = t;
  return run_tenant_job((sq_db *)db_, tenant_update_run, &a, err, errlen);
}

#define TENANT_COLS                                                            \
  "name, parent, plan, senders, routes, callback_url, webhook_secret, "       \
  "balance, low_balance, rate, burst, enabled, created"

static void tenant_of_row(sqlite3_stmt *st, store_tenant *t, int *ok) {
  t->name = column_dup(st, 0, ok);
  t->parent = column_dup(st, 1, ok);
  t->plan = column_dup(st, 2, ok);
  t->senders = column_dup(st, 3, ok);
  t->routes = column_dup(st, 4, ok);
  t->callback_url = column_dup(st, 5, ok);
  t->webhook_secret = column_dup(st, 6, ok);
  t->balance = sqlite3_column_int64(st, 7);
  t->low_balance = sqlite3_column_int64(st, 8);
  t->rate = sqlite3_column_double(st, 9);
  t->burst = (unsigned)sqlite3_column_int64(st, 10);
  t->enabled = sqlite3_column_int(st, 11);
  t->created = sqlite3_column_int64(st, 12);
}

/* Rows of a query on a reader connection, each read by `row` into an
   array of `size`-byte elements.  0 or -1. */
static int fetch_rows(sq_db *db, void **rows, size_t *n, size_t size,
                     void (*row)(sqlite3_stmt *, void *, int *),
                     void (*clear)(void *), const char *sql,
                     const char *types, ...) {
  conn *c = reader_take(db);
  sqlite3_stmt *st;
  char *v = NULL;
  size_t cap = 0, i;
  int rc = SQLITE_ERROR, ok = 1;
  va_list ap;
  *rows = NULL;
  *n = 0;
  if (!c)
    return -1;
  va_start(ap, types);
  st = stmt_v(c->sql, sql, types, ap);
  va_end(ap);
  while (st && ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (*n == cap) {
      char *w = realloc(v, (cap = cap ? cap * 2 : 8) * size);
      if (!w) {
        ok = 0;
        break;
      }
      v = w;
    }
    memset(v + *n * size, 0, size);
    row(st, v + *n * size, &ok);
    (*n)++;
  }
  sqlite3_finalize(st);
  reader_give(db, c);
  if (!ok || rc != SQLITE_DONE) {
    for (i = 0; i < *n; i++)
      clear(v + i * size);
    free(v);
    *n = 0;
    return -1;
  }
  *rows = v;
  return 0;
}

static void tenant_row(sqlite3_stmt *st, void *p, int *ok) {
  tenant_of_row(st, p, ok);
}
static void tenant_clear(void *p) { store_tenant_clear(p); }

static int sq_tenant_get(store_db *db_, const char *name, store_tenant *t) {
  store_tenant *rows;
  size_t n;
  if (fetch_rows((sq_db *)db_, (void **)&rows, &n, sizeof *rows, tenant_row,
                tenant_clear,
                "SELECT " TENANT_COLS " FROM tenants WHERE name = ?1", "t",
                name))
    return -1;
  if (n == 0) {
    free(rows);
    return 1;
  }
  *t = rows[0];
  free(rows);
  return 0;
}

static int sq_tenant_list(store_db *db_, const char *parent,
                          store_tenant **rows, size_t *n) {
  return fetch_rows((sq_db *)db_, (void **)rows, n, sizeof **rows, tenant_row,
                   tenant_clear,
                   "SELECT " TENANT_COLS " FROM tenants WHERE ?1 IS NULL OR "
                   "parent = ?1 ORDER BY name",
                   "t", parent);
}

static int key_add_run(sq_db *db, job *j) {
  tenant_arg *a = j->arg;
  long ch;
  int rc = w_int(db, j, NULL, "SELECT 1 FROM tenants WHERE name = ?1", "t",
                 a->name);
  if (rc)
    return rc < 0 ? -1 : (a->result = 1, 0);
  ch = w_run(db, j,
             "INSERT INTO api_keys (hash, tenant, label, created, revoked) "
             "VALUES (?1, ?2, NULLIF(?3, ''), ?4, 0) ON CONFLICT (hash) DO "
             "NOTHING",
             "ttti", a->hash, a->name, a->label, now_seconds());
  if (ch < 0)
    return -1;
  if (ch == 0) {
    store_set_err(j->err, sizeof j->err, "that key is stored already");
    return -1;
  }
  a->result = 0;
  return 0;
}

static int sq_key_add(store_db *db_, const char *tenant,
                      const char *sha256_hex, const char *label, char *err,
                      size_t errlen) {
  tenant_arg a;
  memset(&a, 0, sizeof a);
  a.name = tenant;
  a.hash = sha256_hex;
  a.label = label;
  return run_tenant_job((sq_db *)db_, key_add_run, &a, err, errlen);
}

static int key_revoke_run(sq_db *db, job *j) {
  tenant_arg *a = j->arg;
  long ch = w_run(db, j,
                  "UPDATE api_keys SET revoked = ?3 WHERE tenant = ?1 AND "
                  "revoked = 0 AND (label = ?2 OR (?4 AND substr(hash, 1, "
                  "length(?2)) = lower(?2)))",
                  "ttii", a->name, a->label, now_seconds(),
                  (int64_t)store_key_prefix_ok(a->label));
  if (ch < 0)
    return -1;
  a->result = ch ? 0 : 1;
  return 0;
}

static int sq_key_revoke(store_db *db_, const char *tenant, const char *which,
                         char *err, size_t errlen) {
  tenant_arg a;
  memset(&a, 0, sizeof a);
  a.name = tenant;
  a.label = which;
  return run_tenant_job((sq_db *)db_, key_revoke_run, &a, err, errlen);
}

static void text_row(sqlite3_stmt *st, void *p, int *ok) {
  *(char **)p = column_dup(st, 0, ok);
  if (!*(char **)p)
    *ok = 0;
}
static void text_clear(void *p) { free(*(char **)p); }

static int sq_key_lookup(store_db *db_, const char *sha256_hex,
                         char **tenant) {
  char **rows;
  size_t n;
  if (fetch_rows((sq_db *)db_, (void **)&rows, &n, sizeof *rows, text_row,
                text_clear,
                "SELECT k.tenant FROM api_keys k JOIN tenants t ON t.name = "
                "k.tenant WHERE k.hash = ?1 AND k.revoked = 0 AND t.enabled "
                "= 1",
                "t", sha256_hex))
    return -1;
  if (n == 0) {
    free(rows);
    return 1;
  }
  *tenant = rows[0];
  while (n > 1)
    free(rows[--n]);
  free(rows);
  return 0;
}

static void key_row(sqlite3_stmt *st, void *p, int *ok) {
  store_key_row *k = p;
  k->id = column_dup(st, 0, ok);
  k->label = column_dup(st, 1, ok);
  k->created = sqlite3_column_int64(st, 2);
  k->revoked = sqlite3_column_int64(st, 3);
}
static void key_clear(void *p) {
  store_key_row *k = p;
  free(k->id);
  free(k->label);
}

static int sq_key_list(store_db *db_, const char *tenant, store_key_row **rows,
                       size_t *n) {
  return fetch_rows((sq_db *)db_, (void **)rows, n, sizeof **rows, key_row,
                   key_clear,
                   "SELECT substr(hash, 1, 8), label, created, revoked FROM "
                   "api_keys WHERE tenant = ?1 ORDER BY created, hash",
                   "t", tenant);
}

static int ledger_add_run(sq_db *db, job *j) {
  tenant_arg *a = j->arg;
  int rc = balance_add(db, j, a->name, a->delta);
  if (rc == 1 && a->delta > 0) {
    store_set_err(j->err, sizeof j->err,
                  "the balance of %s would pass %lld units", a->name,
                  (long long)STORE_BALANCE_MAX);
    return -1;
  }
  if (rc)
    return rc < 0 ? -1 : (a->result = rc, 0);
  if (ledger_row(db, j, a->name, a->mid, a->delta, a->reason, a->actor) ||
      w_int(db, j, &a->balance, "SELECT balance FROM tenants WHERE name = ?1",
            "t", a->name))
    return -1;
  a->result = 0;
  return 0;
}

static int sq_ledger_add(store_db *db_, const char *tenant,
                         const char *message_id, int64_t delta,
                         const char *reason, const char *actor,
                         int64_t *balance, char *err, size_t errlen) {
  tenant_arg a;
  int rc;
  memset(&a, 0, sizeof a);
  a.name = tenant;
  a.mid = message_id;
  a.delta = delta;
  a.reason = reason;
  a.actor = actor;
  rc = run_tenant_job((sq_db *)db_, ledger_add_run, &a, err, errlen);
  if (rc == 0 && balance)
    *balance = a.balance;
  return rc;
}

static int transfer_run(sq_db *db, job *j) {
  tenant_arg *a = j->arg;
  int rc = w_int(db, j, NULL, "SELECT 1 FROM tenants WHERE name = ?1", "t",
                 a->other);
  if (rc)
    return rc < 0 ? -1 : (a->result = 2, 0);
  rc = balance_add(db, j, a->name, -a->delta);
  if (rc)
    return rc < 0 ? -1 : (a->result = rc, 0);
  rc = balance_add(db, j, a->other, a->delta);
  if (rc) {
    if (rc == 1)
      store_set_err(j->err, sizeof j->err,
                    "the balance of %s would pass %lld units", a->other,
                    (long long)STORE_BALANCE_MAX);
    return -1; /* undone with the debit (the job's savepoint) */
  }
  if (ledger_row(db, j, a->name, NULL, -a->delta, "transfer-out", a->actor) ||
      ledger_row(db, j, a->other, NULL, a->delta, "transfer-in", a->actor))
    return -1;
  a->result = 0;
  return 0;
}

static int sq_ledger_transfer(store_db *db_, const char *from, const char *to,
                              int64_t units, const char *actor, char *err,
                              size_t errlen) {
  tenant_arg a;
  memset(&a, 0, sizeof a);
  a.name = from;
  a.other = to;
  a.delta = units;
  a.actor = actor;
  return run_tenant_job((sq_db *)db_, transfer_run, &a, err, errlen);
}

static void ledger_rrow(sqlite3_stmt *st, void *p, int *ok) {
  store_ledger_row *l = p;
  l->seq = sqlite3_column_int64(st, 0);
  l->tenant = column_dup(st, 1, ok);
  l->message_id = column_dup(st, 2, ok);
  l->delta = sqlite3_column_int64(st, 3);
  l->reason = column_dup(st, 4, ok);
  l->at = sqlite3_column_int64(st, 5);
  l->actor = column_dup(st, 6, ok);
}
static void ledger_clear(void *p) {
  store_ledger_row *l = p;
  free(l->tenant);
  free(l->message_id);
  free(l->reason);
  free(l->actor);
}

static int sq_ledger_list(store_db *db_, const char *tenant, int64_t since,
                          unsigned limit, store_ledger_row **rows, size_t *n) {
  return fetch_rows((sq_db *)db_, (void **)rows, n, sizeof **rows, ledger_rrow,
                   ledger_clear,
                   "SELECT seq, tenant, message_id, delta, reason, at, actor "
                   "FROM ledger WHERE (?1 IS NULL OR tenant = ?1) AND at >= "
                   "?2 ORDER BY seq DESC LIMIT ?3",
                   "tii", tenant, since, limit ? (int64_t)limit : (int64_t)-1);
}

static int sq_ledger_check(store_db *db_, char ***bad, size_t *n_bad) {
  return fetch_rows((sq_db *)db_, (void **)bad, n_bad, sizeof **bad, text_row,
                   text_clear, STORE_LEDGER_CHECK_SQL, "");
}

typedef struct refund_arg {
  const char *id;
  const char *const *numbers;
  size_t n;
  int64_t units;
} refund_arg;

static int refund_failed_run(sq_db *db, job *j) {
  refund_arg *a = j->arg;
  size_t i;
  if (a->n == 0)
    return refund_message(db, j, a->id, "failed", &a->units);
  for (i = 0; i < a->n; i++)
    if (refund_recipient(db, j, a->id, a->numbers[i], "failed", NULL,
                         &a->units))
      return -1;
  return 0;
}

static int sq_refund_failed(store_db *db_, const char *id,
                            const char *const *numbers, size_t n,
                            int64_t *refunded, char *err, size_t errlen) {
  refund_arg a = {id, numbers, n, 0};
  job j;
  memset(&j, 0, sizeof j);
  j.run = refund_failed_run;
  j.arg = &a;
  if (run_job((sq_db *)db_, &j, err, errlen))
    return -1;
  if (refunded)
    *refunded = a.units;
  return 0;
}

static void usage_row(sqlite3_stmt *st, void *p, int *ok) {
  store_usage_row *u = p;
  u->tenant = column_dup(st, 0, ok);
  u->provider = column_dup(st, 1, ok);
  u->status = column_dup(st, 2, ok);
  u->messages = (unsigned long)sqlite3_column_int64(st, 3);
  u->recipients = (unsigned long)sqlite3_column_int64(st, 4);
  u->units = sqlite3_column_int64(st, 5);
}
static void usage_clear(void *p) {
  store_usage_row *u = p;
  free(u->tenant);
  free(u->provider);
  free(u->status);
}

static int sq_usage(store_db *db_, const char *tenant, int tree, int64_t since,
                    int64_t until, store_usage_row **rows, size_t *n) {
  return fetch_rows((sq_db *)db_, (void **)rows, n, sizeof **rows, usage_row,
                   usage_clear, STORE_USAGE_SQL("?1", "?2", "?3", "?4"),
                   "tiii", tenant, (int64_t)(tree ? 1 : 0), since, until);
}

/* ------------------------------------------------------------ backend -- */

/* SQLite has no leases: a claim lasts until unclaimed or recovered. */
static int sq_queue_heartbeat(store_db *db, const char *token, char *err,
                              size_t errlen) {
  (void)db;
  (void)token;
  (void)err;
  (void)errlen;
  return 0;
}

/* ---------------------------------------------- reports and replies -- */

typedef struct report_arg {
  const store_report *r;
  int result;
} report_arg;

static int report_run(sq_db *db, job *j) {
  report_arg *a = j->arg;
  a->result = report_core(db, j, a->r, 0);
  return a->result < 0 ? -1 : 0;
}

static int sq_report_apply(store_db *db_, const store_report *r, char *err,
                           size_t errlen) {
  sq_db *db = (sq_db *)db_;
  report_arg a = {r, 0};
  job j;
  memset(&j, 0, sizeof j);
  j.run = report_run;
  j.arg = &a;
  if (run_job(db, &j, err, errlen))
    return -1;
  return a.result;
}

typedef struct reply_arg {
  const store_reply *r;
  char *tenant, *message_id;
  int result;
} reply_arg;

static int reply_run(sq_db *db, job *j) {
  reply_arg *a = j->arg;
  const store_reply *r = a->r;
  int64_t now = now_seconds();
  char id[40];
  tbl t;
  int ok = 1;
  free(a->tenant);
  free(a->message_id);
  a->tenant = a->message_id = NULL;
  a->result = 0;
  if (r->reply_id) {
    if (W_ROWS(db, j, &t,
               "SELECT tenant, message_id FROM replies WHERE provider = ?1 "
               "AND reply_id = ?2",
               "ss", r->provider, r->reply_id))
      return -1;
    if (t.rows) { /* a repeat: what the first one found */
      a->tenant = store_dupstr(cell(&t, 0, 0));
      a->message_id = store_dupstr(cell(&t, 0, 1));
      a->result = 1;
      ok = a->tenant && (a->message_id || !cell(&t, 0, 1));
      tbl_free(&t);
      if (!ok)
        store_set_err(j->err, sizeof j->err, "out of memory");
      return ok ? 0 : -1;
    }
    tbl_free(&t);
  }
  /* the message: by the provider's id of it, else the latest one sent
     through that provider to that number */
  if (r->provider_id
          ? W_ROWS(db, j, &t,
                   "SELECT message_id, tenant FROM recipients WHERE "
                   "provider_id = ?2 AND provider = ?1 AND number = ?3 "
                   "ORDER BY created DESC, message_id DESC LIMIT 1",
                   "sss", r->provider, r->provider_id, r->from)
          : W_ROWS(db, j, &t,
                   "SELECT message_id, tenant FROM recipients WHERE number "
                   "= ?2 AND provider = ?1 AND created >= ?3 AND state NOT "
                   "IN ('queued', 'failed', 'cancelled') ORDER BY created "
                   "DESC, message_id DESC LIMIT 1",
                   "ssi", r->provider, r->from, now - STORE_REPLY_WINDOW))
    return -1;
  if (t.rows) {
    a->message_id = store_dupstr(cell(&t, 0, 0));
    a->tenant = store_dupstr(cell(&t, 0, 1));
    ok = a->message_id && a->tenant;
  } else
    ok = (a->tenant = store_dupstr("")) != NULL;
  tbl_free(&t);
  if (!ok) {
    store_set_err(j->err, sizeof j->err, "out of memory");
    return -1;
  }
  store_make_reply_id(id);
  if (W_EXEC(db, j, NULL,
             "INSERT INTO replies (id, tenant, provider, reply_id, "
             "from_number, to_number, text, message_id, at, created) VALUES "
             "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
             "ssssssssii", id, a->tenant, r->provider, r->reply_id, r->from,
             r->to, r->text, a->message_id, r->at ? r->at : now, now))
    return -1;
  if (a->message_id) {
    /* status: the number it was sent to; code: the provider's id of it */
    ev_in e = {a->message_id, "reply", r->from, r->to, r->provider, id,
               r->reply_id,   r->text, r->at,   -1};
    if (event_add(db, j, &e))
      return -1;
  }
  return 0;
}

static int sq_reply_add(store_db *db_, const store_reply *r, char **tenant,
                        char **message_id, char *err, size_t errlen) {
  sq_db *db = (sq_db *)db_;
  reply_arg a = {r, NULL, NULL, 0};
  job j;
  memset(&j, 0, sizeof j);
  j.run = reply_run;
  j.arg = &a;
  if (run_job(db, &j, err, errlen)) {
    free(a.tenant);
    free(a.message_id);
    return -1;
  }
  if (tenant)
    *tenant = a.tenant;
  else
    free(a.tenant);
  if (message_id)
    *message_id = a.message_id;
  else
    free(a.message_id);
  return a.result;
}

/* q_run on a read connection of the pool. */
static int read_rows(sq_db *db, tbl *t, const char *sql, const char *types,
                     ...) {
  conn *c = reader_take(db);
  va_list ap;
  int rc;
  memset(t, 0, sizeof *t);
  if (!c)
    return -1;
  va_start(ap, types);
  rc = q_runv(db, c, NULL, 0, t, NULL, sql, types, ap);
  va_end(ap);
  reader_give(db, c);
  return rc;
}

static int sq_replies_list(store_db *db_, const char *tenant, int64_t since,
                           const char *cursor, unsigned limit,
                           store_reply_row **rows, size_t *n) {
  sq_db *db = (sq_db *)db_;
  tbl t;
  size_t i;
  int ok = 1;
  if (read_rows(db, &t,
                "SELECT id, provider, reply_id, from_number, to_number, "
                "text, message_id, at FROM replies WHERE tenant = ?1 AND "
                "(?2 IS NULL OR id < ?2) AND at >= ?3 ORDER BY id DESC "
                "LIMIT ?4",
                "ssii", tenant, cursor, since, (int64_t)limit))
    return -1;
  if (t.rows && !(*rows = calloc(t.rows, sizeof **rows)))
    ok = 0;
  for (i = 0; ok && i < t.rows; i++) {
    store_reply_row *w = &(*rows)[i];
    /* the cells move to the rows */
    w->id = t.v[i * t.cols + 0];
    w->provider = t.v[i * t.cols + 1];
    w->reply_id = t.v[i * t.cols + 2];
    w->from = t.v[i * t.cols + 3];
    w->to = t.v[i * t.cols + 4];
    w->text = t.v[i * t.cols + 5];
    w->message_id = t.v[i * t.cols + 6];
    w->at = cell_int(&t, i, 7);
    free(t.v[i * t.cols + 7]);
    memset(&t.v[i * t.cols], 0, t.cols * sizeof *t.v);
    *n = i + 1;
  }
  tbl_free(&t);
  return ok ? 0 : -1;
}

/* ------------------------------------------------------------ opt-out -- */

typedef struct optout_arg {
  const char *tenant, *number, *source;
  long changed;
} optout_arg;

static int optout_set_run(sq_db *db, job *j) {
  optout_arg *a = j->arg;
  return W_EXEC(db, j, &a->changed,
                "INSERT OR IGNORE INTO optouts (tenant, number, source, at) "
                "VALUES (?1, ?2, ?3, ?4)",
                "sssi", a->tenant, a->number, a->source, now_seconds());
}

static int optout_clear_run(sq_db *db, job *j) {
  optout_arg *a = j->arg;
  return W_EXEC(db, j, &a->changed,
                "DELETE FROM optouts WHERE tenant = ?1 AND number = ?2", "ss",
                a->tenant, a->number);
}

static int optout_job(sq_db *db, int (*run)(sq_db *, job *), optout_arg *a,
                      char *err, size_t errlen) {
  job j;
  memset(&j, 0, sizeof j);
  j.run = run;
  j.arg = a;
  if (run_job(db, &j, err, errlen))
    return -1;
  return a->changed > 0 ? 0 : 1;
}

static int sq_optout_set(store_db *db_, const char *tenant,
                         const char *number, const char *source, char *err,
                         size_t errlen) {
  optout_arg a = {tenant, number, source, 0};
  return optout_job((sq_db *)db_, optout_set_run, &a, err, errlen);
}

static int sq_optout_clear(store_db *db_, const char *tenant,
                           const char *number, char *err, size_t errlen) {
  optout_arg a = {tenant, number, NULL, 0};
  return optout_job((sq_db *)db_, optout_clear_run, &a, err, errlen);
}

static int sq_optout_has(store_db *db_, const char *tenant,
                         const char *number) {
  tbl t;
  int rc;
  if (read_rows((sq_db *)db_, &t,
                "SELECT 1 FROM optouts WHERE tenant = ?1 AND number = ?2",
                "ss", tenant, number))
    return -1;
  rc = t.rows > 0;
  tbl_free(&t);
  return rc;
}

static int sq_optouts_list(store_db *db_, const char *tenant,
                           const char *cursor, unsigned limit,
                           store_optout_row **rows, size_t *n) {
  tbl t;
  size_t i;
  int ok = 1;
  if (read_rows((sq_db *)db_, &t,
                "SELECT number, source, at FROM optouts WHERE tenant = ?1 "
                "AND (?2 IS NULL OR number > ?2) ORDER BY number LIMIT ?3",
                "ssi", tenant, cursor, (int64_t)limit))
    return -1;
  if (t.rows && !(*rows = calloc(t.rows, sizeof **rows)))
    ok = 0;
  for (i = 0; ok && i < t.rows; i++) {
    store_optout_row *w = &(*rows)[i];
    w->number = t.v[i * t.cols + 0];
    w->source = t.v[i * t.cols + 1];
    w->at = cell_int(&t, i, 2);
    free(t.v[i * t.cols + 2]);
    memset(&t.v[i * t.cols], 0, t.cols * sizeof *t.v);
    *n = i + 1;
  }
  tbl_free(&t);
  return ok ? 0 : -1;
}

/* ------------------------------------------------------------ webhooks -- */

typedef struct hook_arg {
  const char *token;
  int64_t now, seq, next_at, next_due;
  int give_up, found;
  store_webhook *w;
} hook_arg;

/* the first pending event of its message (order per message) */
#define HOOK_HEAD(w)                                                           \
  "NOT EXISTS (SELECT 1 FROM webhooks p WHERE p.message_id = " w               \
  ".message_id AND p.seq < " w ".seq)"

static int hook_claim_run(sq_db *db, job *j) {
  hook_arg *a = j->arg;
  store_webhook *w = a->w;
  tbl t;
  int ok = 1;
  a->found = 0;
  a->next_due = 0;
  store_webhook_clear(w);
  if (W_ROWS(db, j, &t,
             "SELECT w.seq, w.message_id, w.attempts, w.created, m.tenant, "
             "m.callback_url, e.kind, e.number, e.status, e.provider, "
             "e.provider_id, e.code, e.text, e.at FROM webhooks w JOIN "
             "events e ON e.seq = w.seq LEFT JOIN messages m ON m.id = "
             "w.message_id WHERE w.claimed_by IS NULL AND w.next_at <= ?1 "
             "AND " HOOK_HEAD("w") " ORDER BY w.seq LIMIT 1",
             "i", a->now))
    return -1;
  if (t.rows == 0) {
    tbl_free(&t);
    if (W_ROWS(db, j, &t,
               "SELECT min(w.next_at) FROM webhooks w WHERE w.claimed_by IS "
               "NULL AND " HOOK_HEAD("w"),
               ""))
      return -1;
    a->next_due = t.rows ? cell_int(&t, 0, 0) : 0;
    tbl_free(&t);
    return 0;
  }
  w->seq = cell_int(&t, 0, 0);
  w->message_id = store_dupstr(cell(&t, 0, 1));
  w->attempts = (unsigned)cell_int(&t, 0, 2);
  w->first_at = cell_int(&t, 0, 3);
  w->tenant = store_dupstr(cell(&t, 0, 4) ? cell(&t, 0, 4) : "");
  w->url = store_dupstr(cell(&t, 0, 5));
  w->ev.seq = w->seq;
  w->ev.kind = store_dupstr(cell(&t, 0, 6));
  w->ev.number = store_dupstr(cell(&t, 0, 7));
  w->ev.status = store_dupstr(cell(&t, 0, 8));
  w->ev.provider = store_dupstr(cell(&t, 0, 9));
  w->ev.provider_id = store_dupstr(cell(&t, 0, 10));
  w->ev.code = store_dupstr(cell(&t, 0, 11));
  w->ev.text = store_dupstr(cell(&t, 0, 12));
  w->ev.at = cell_int(&t, 0, 13);
  /* the copies of non-NULL cells all made? */
  ok = w->message_id && w->tenant && w->ev.kind &&
       (w->url || !cell(&t, 0, 5)) && (w->ev.number || !cell(&t, 0, 7)) &&
       (w->ev.status || !cell(&t, 0, 8)) &&
       (w->ev.provider || !cell(&t, 0, 9)) &&
       (w->ev.provider_id || !cell(&t, 0, 10)) &&
       (w->ev.code || !cell(&t, 0, 11)) && (w->ev.text || !cell(&t, 0, 12));
  tbl_free(&t);
  if (ok) {
    size_t n = strlen(w->message_id) + 24;
    if ((w->event_id = malloc(n)))
      snprintf(w->event_id, n, "%s-%lld", w->message_id, (long long)w->seq);
    ok = w->event_id != NULL;
  }
  if (!ok) {
    store_set_err(j->err, sizeof j->err, "out of memory");
    return -1;
  }
  if (W_EXEC(db, j, NULL, "UPDATE webhooks SET claimed_by = ?2 WHERE seq = ?1",
             "is", w->seq, a->token))
    return -1;
  a->found = 1;
  return 0;
}

static int sq_webhook_claim(store_db *db_, const char *token, int64_t now,
                            store_webhook *w, int64_t *next_due, char *err,
                            size_t errlen) {
  sq_db *db = (sq_db *)db_;
  hook_arg a;
  job j;
  memset(&a, 0, sizeof a);
  a.token = token;
  a.now = now;
  a.w = w;
  memset(&j, 0, sizeof j);
  j.run = hook_claim_run;
  j.arg = &a;
  if (run_job(db, &j, err, errlen)) {
    store_webhook_clear(w);
    return -1;
  }
  if (!a.found) {
    store_webhook_clear(w);
    if (next_due)
      *next_due = a.next_due;
    return 1;
  }
  return 0;
}

static int hook_done_run(sq_db *db, job *j) {
  hook_arg *a = j->arg;
  if (a->give_up)
    return W_EXEC(db, j, NULL, "DELETE FROM webhooks WHERE seq = ?1", "i",
                  a->seq);
  return W_EXEC(db, j, NULL,
                "UPDATE webhooks SET attempts = attempts + 1, next_at = ?2, "
                "claimed_by = NULL WHERE seq = ?1",
                "ii", a->seq, a->next_at);
}

static int hook_job(sq_db *db, hook_arg *a, char *err, size_t errlen) {
  job j;
  memset(&j, 0, sizeof j);
  j.run = hook_done_run;
  j.arg = a;
  return run_job(db, &j, err, errlen);
}

static int sq_webhook_done(store_db *db_, int64_t seq, char *err,
                           size_t errlen) {
  hook_arg a;
  memset(&a, 0, sizeof a);
  a.seq = seq;
  a.give_up = 1; /* delivered: no longer pending, like given up */
  return hook_job((sq_db *)db_, &a, err, errlen);
}

static int sq_webhook_retry(store_db *db_, int64_t seq, int64_t next_at,
                            int give_up, char *err, size_t errlen) {
  hook_arg a;
  memset(&a, 0, sizeof a);
  a.seq = seq;
  a.next_at = next_at;
  a.give_up = give_up;
  return hook_job((sq_db *)db_, &a, err, errlen);
}

static int sq_webhook_backlog(store_db *db_, unsigned long *pending) {
  tbl t;
  if (read_rows((sq_db *)db_, &t,
                "SELECT count(*) FROM webhooks", ""))
    return -1;
  *pending = t.rows ? (unsigned long)cell_int(&t, 0, 0) : 0;
  tbl_free(&t);
  return 0;
}

/* ------------------------------------------------------------- polling -- */

static int sq_poll_due(store_db *db_, const char *provider, int64_t now,
                       int64_t oldest, unsigned limit, store_poll_row **rows,
                       size_t *n) {
  tbl t;
  size_t i;
  int ok = 1;
  if (read_rows((sq_db *)db_, &t,
                "SELECT message_id, number, provider, provider_id, polls, "
                "updated FROM recipients WHERE provider = ?1 AND state IN "
                "('accepted', 'sent') AND provider_id IS NOT NULL AND "
                "updated >= ?2 AND (poll_next IS NULL OR poll_next <= ?3) "
                "ORDER BY updated, message_id, number LIMIT ?4",
                "siii", provider, oldest, now, (int64_t)limit))
    return -1;
  if (t.rows && !(*rows = calloc(t.rows, sizeof **rows)))
    ok = 0;
  for (i = 0; ok && i < t.rows; i++) {
    store_poll_row *w = &(*rows)[i];
    w->message_id = t.v[i * t.cols + 0];
    w->number = t.v[i * t.cols + 1];
    w->provider = t.v[i * t.cols + 2];
    w->provider_id = t.v[i * t.cols + 3];
    w->polls = (unsigned)cell_int(&t, i, 4);
    w->since = cell_int(&t, i, 5);
    free(t.v[i * t.cols + 4]);
    free(t.v[i * t.cols + 5]);
    memset(&t.v[i * t.cols], 0, t.cols * sizeof *t.v);
    *n = i + 1;
  }
  tbl_free(&t);
  return ok ? 0 : -1;
}

typedef struct poll_arg {
  const char *message_id, *number;
  int64_t next_at;
} poll_arg;

static int poll_mark_run(sq_db *db, job *j) {
  poll_arg *a = j->arg;
  return W_EXEC(db, j, NULL,
                "UPDATE recipients SET polls = polls + 1, poll_next = ?3 "
                "WHERE message_id = ?1 AND number = ?2",
                "ssi", a->message_id, a->number, a->next_at);
}

static int sq_poll_mark(store_db *db_, const char *message_id,
                        const char *number, int64_t next_at) {
  poll_arg a = {message_id, number, next_at};
  job j;
  memset(&j, 0, sizeof j);
  j.run = poll_mark_run;
  j.arg = &a;
  return run_job((sq_db *)db_, &j, NULL, 0);
}

const store_backend store_sqlite_backend = {
    .name = "sqlite",
    .close = sq_close,
    .flush = sq_flush,
    .reserve = sq_reserve,
    .queue_put = sq_queue_put,
    .queue_claim = sq_queue_claim,
    .queue_unclaim = sq_queue_unclaim,
    .queue_heartbeat = sq_queue_heartbeat,
    .queue_recover = sq_queue_recover,
    .message_read = sq_message_read,
    .message_ids = sq_message_ids,
    .message_cancel = sq_message_cancel,
    .queue_counts = sq_queue_counts,
    .mark_sending = sq_mark_sending,
    .finish = sq_finish,
    .provider_of = sq_provider_of,
    .message_of = sq_message_of,
    .prune = sq_prune,
    .commits = sq_commits,
    .kv_get = sq_kv_get,
    .kv_set = sq_kv_set,
    .kv_add = sq_kv_add,
    .kv_add_real = sq_kv_add_real,
    .kv_update = sq_kv_update,
    .tenant_add = sq_tenant_add,
    .tenant_get = sq_tenant_get,
    .tenant_list = sq_tenant_list,
    .tenant_update = sq_tenant_update,
    .key_add = sq_key_add,
    .key_revoke = sq_key_revoke,
    .key_lookup = sq_key_lookup,
    .key_list = sq_key_list,
    .ledger_add = sq_ledger_add,
    .ledger_transfer = sq_ledger_transfer,
    .ledger_list = sq_ledger_list,
    .ledger_check = sq_ledger_check,
    .refund_failed = sq_refund_failed,
    .usage = sq_usage,
    .report_apply = sq_report_apply,
    .reply_add = sq_reply_add,
    .replies_list = sq_replies_list,
    .optout_set = sq_optout_set,
    .optout_clear = sq_optout_clear,
    .optout_has = sq_optout_has,
    .optouts_list = sq_optouts_list,
    .webhook_claim = sq_webhook_claim,
    .webhook_done = sq_webhook_done,
    .webhook_retry = sq_webhook_retry,
    .webhook_backlog = sq_webhook_backlog,
    .poll_due = sq_poll_due,
    .poll_mark = sq_poll_mark,
};
