/* store: the SQLite database under state_dir (see store.h).
 *
 * Schema (PRAGMA user_version = 1):
 *   journal(ref TEXT NOT NULL UNIQUE, status, provider, message_id, result,
 *           created, updated)           one row per --ref
 *   journal_ids(message_id, provider, ref, created)
 *                                       every message id handed back by a
 *                                       provider, with or without --ref
 *   attempts(ref_or_id, provider, outcome, class, code, message, at)
 *   kv(ns, key, value, updated, PRIMARY KEY(ns, key))
 *
 * Concurrency: WAL journal, a 5 s busy timeout, and every read-modify-write
 * in a BEGIN IMMEDIATE transaction, so that concurrent processes serialise
 * on the write lock instead of racing.  Inside one process a mutex makes
 * each call atomic, so one handle may be shared by threads.  Every value
 * reaches SQL through a bound parameter. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define STATE_SCHEMA_VERSION 1
#define STATE_BUSY_TIMEOUT_MS 5000
#define STATE_DB_NAME "state.db"

/* The statements of the calls below, prepared once per connection (on
   first use) and kept: sqlite3_reset + sqlite3_clear_bindings after each
   use, finalized by store_close.  A statement is only used with db->lock
   held and is reset before the lock is released, so threads sharing the
   handle never see one mid-use. */
enum stmt_id {
  ST_BEGIN,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_JOURNAL_GET,
  ST_JOURNAL_NEW,
  ST_JOURNAL_RETRY,
  ST_JOURNAL_UPDATE,
  ST_JOURNAL_INSERT,
  ST_IDS_INSERT,
  ST_ATTEMPT_INSERT,
  ST_PROVIDER_OF,
  ST_KV_GET,
  ST_KV_SET,
  ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_JOURNAL_GET] = "SELECT ref, status, provider, message_id, result, "
                       "created, updated FROM journal WHERE ref = ?1",
    [ST_JOURNAL_NEW] = "INSERT INTO journal (ref, status, created, updated) "
                       "VALUES (?1, 'pending', ?2, ?2)",
    [ST_JOURNAL_RETRY] = "UPDATE journal SET status = 'pending', "
                         "provider = NULL, message_id = NULL, result = NULL, "
                         "updated = ?2 WHERE ref = ?1",
    [ST_JOURNAL_UPDATE] = "UPDATE journal SET status = ?2, provider = ?3, "
                          "message_id = ?4, result = ?5, updated = ?6 "
                          "WHERE ref = ?1",
    [ST_JOURNAL_INSERT] = "INSERT INTO journal (ref, status, provider, "
                          "message_id, result, created, updated) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    [ST_IDS_INSERT] = "INSERT INTO journal_ids (message_id, provider, ref, "
                      "created) VALUES (?1, ?2, ?3, ?4)",
    [ST_ATTEMPT_INSERT] = "INSERT INTO attempts (ref_or_id, provider, "
                          "outcome, class, code, message, at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_PROVIDER_OF] = "SELECT provider FROM journal_ids "
                       "WHERE message_id = ?1 AND provider IS NOT NULL "
                       "ORDER BY created DESC, rowid DESC LIMIT 1",
    [ST_KV_GET] = "SELECT value, updated FROM kv WHERE ns = ?1 AND key = ?2",
    [ST_KV_SET] = "INSERT INTO kv (ns, key, value, updated) "
                  "VALUES (?1, ?2, ?3, ?4) "
                  "ON CONFLICT (ns, key) DO UPDATE SET value = "
                  "excluded.value, updated = excluded.updated",
};

struct store_db {
  sqlite3 *sql;
  char *dir;
  pthread_mutex_t lock;
  sqlite3_stmt *stmt[ST_COUNT]; /* NULL until first used */
};

static const char *const schema_v1 =
    "CREATE TABLE IF NOT EXISTS journal ("
    "  ref TEXT NOT NULL UNIQUE,"
    "  status TEXT NOT NULL,"
    "  provider TEXT,"
    "  message_id TEXT,"
    "  result TEXT,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS journal_ids ("
    "  message_id TEXT NOT NULL,"
    "  provider TEXT,"
    "  ref TEXT,"
    "  created INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS journal_ids_by_id"
    "  ON journal_ids(message_id, created);"
    "CREATE TABLE IF NOT EXISTS attempts ("
    "  ref_or_id TEXT,"
    "  provider TEXT,"
    "  outcome TEXT NOT NULL,"
    "  class TEXT,"
    "  code TEXT,"
    "  message TEXT,"
    "  at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS attempts_by_ref ON attempts(ref_or_id, at);"
    "CREATE TABLE IF NOT EXISTS kv ("
    "  ns TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT,"
    "  updated INTEGER NOT NULL,"
    "  PRIMARY KEY (ns, key));"
    "PRAGMA user_version = 1;";

/* ---- error text ----------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

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
    return "state.db is damaged: move it away (the journal of sends is "
           "lost with it) or set state_dir in [smsmux] to another directory";
  default:
    return "see the SQLite message";
  }
}

static void sql_err(store_db *db, char *err, size_t errlen, const char *what,
                    int rc) {
  set_err(err, errlen, "state_dir %s: %s: %s; %s", db->dir, what,
          sqlite3_errmsg(db->sql), sqlite_advice(rc));
}

static char *xstrdup(const char *s) {
  size_t n;
  char *p;
  if (!s)
    return NULL;
  n = strlen(s) + 1;
  p = malloc(n);
  if (p)
    memcpy(p, s, n);
  return p;
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
  char *path = xstrdup(dir);
  char *p;
  if (!path) {
    set_err(err, errlen, "state_dir %s: out of memory", dir);
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
      set_err(err, errlen,
              "state_dir %s: cannot create %s: %s; set state_dir in "
              "[smsmux] to a writable directory",
              dir, path, strerror(errno));
      free(path);
      return -1;
    }
    *p = '/';
  }
  if (make_one_dir(path) != 0) {
    set_err(err, errlen,
            "state_dir %s: cannot create: %s; set state_dir in [smsmux] to "
            "a writable directory",
            dir, strerror(errno));
    free(path);
    return -1;
  }
  free(path);
  if (access(dir, W_OK | X_OK) != 0) {
    set_err(err, errlen,
            "state_dir %s: not writable: %s; make it writable, or set "
            "state_dir in [smsmux] to a writable directory",
            dir, strerror(errno));
    return -1;
  }
  return 0;
}

/* ---- statements ------------------------------------------------------ */

static int exec_plain(store_db *db, const char *sql, char *err, size_t errlen,
                      const char *what) {
  int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    sql_err(db, err, errlen, what, rc);
    return -1;
  }
  return 0;
}

/* Done with a statement: back to its initial state, bindings released, so
   that it holds no read transaction and no copy of the values. */
static void done(sqlite3_stmt *st) {
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
}

/* The kept statement `id` (prepared on first use), with the n text
   parameters that follow bound (NULL binds SQL NULL).  Integers are bound
   by the caller afterwards.  Give it back with done(). */
static sqlite3_stmt *prepare(store_db *db, enum stmt_id id, char *err,
                             size_t errlen, int n, ...) {
  sqlite3_stmt *st = db->stmt[id];
  va_list ap;
  int i, rc;
  if (!st) {
    rc = sqlite3_prepare_v3(db->sql, stmt_sql[id], -1,
                            SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
      sql_err(db, err, errlen, "cannot prepare a statement", rc);
      sqlite3_finalize(st);
      return NULL;
    }
    db->stmt[id] = st;
  }
  va_start(ap, n);
  for (i = 1; i <= n; i++) {
    const char *v = va_arg(ap, const char *);
    rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT)
           : sqlite3_bind_null(st, i);
    if (rc != SQLITE_OK) {
      va_end(ap);
      sql_err(db, err, errlen, "cannot bind a value", rc);
      done(st);
      return NULL;
    }
  }
  va_end(ap);
  return st;
}

static int bind_int(store_db *db, sqlite3_stmt *st, int i, int64_t v,
                    char *err, size_t errlen) {
  int rc = sqlite3_bind_int64(st, i, (sqlite3_int64)v);
  if (rc != SQLITE_OK) {
    sql_err(db, err, errlen, "cannot bind a value", rc);
    return -1;
  }
  return 0;
}

/* Run a statement that returns no row, then give it back. */
static int run_done(store_db *db, sqlite3_stmt *st, char *err, size_t errlen,
                    const char *what) {
  int rc;
  if (!st)
    return -1;
  rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) {
    sql_err(db, err, errlen, what, rc);
    done(st);
    return -1;
  }
  done(st);
  return 0;
}

static int begin_immediate(store_db *db, char *err, size_t errlen) {
  return run_done(db, prepare(db, ST_BEGIN, err, errlen, 0), err, errlen,
                  "cannot lock state.db");
}

static void rollback(store_db *db) {
  if (!sqlite3_get_autocommit(db->sql))
    (void)run_done(db, prepare(db, ST_ROLLBACK, NULL, 0, 0), NULL, 0,
                   "cannot roll back");
}

static int commit(store_db *db, char *err, size_t errlen) {
  if (run_done(db, prepare(db, ST_COMMIT, err, errlen, 0), err, errlen,
               "cannot commit to state.db") == 0)
    return 0;
  rollback(db);
  return -1;
}

/* Copy a text column; *ok cleared when out of memory. */
static char *column_dup(sqlite3_stmt *st, int i, int *ok) {
  const unsigned char *t;
  char *p;
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    return NULL;
  t = sqlite3_column_text(st, i);
  if (!t) {
    *ok = 0;
    return NULL;
  }
  p = xstrdup((const char *)t);
  if (!p)
    *ok = 0;
  return p;
}

static int64_t now_seconds(void) { return (int64_t)time(NULL); }

/* ---- open / close ---------------------------------------------------- */

static int setup_schema(store_db *db, char *err, size_t errlen) {
  sqlite3_stmt *st;
  int rc, version;

  if (begin_immediate(db, err, errlen) != 0)
    return -1;
  rc = sqlite3_prepare_v2(db->sql, "PRAGMA user_version", -1, &st, NULL);
  if (rc != SQLITE_OK) {
    sql_err(db, err, errlen, "cannot read state.db", rc);
    rollback(db);
    return -1;
  }
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sql_err(db, err, errlen, "cannot read state.db", rc);
    sqlite3_finalize(st);
    rollback(db);
    return -1;
  }
  version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);

  if (version > STATE_SCHEMA_VERSION) {
    set_err(err, errlen,
            "state_dir %s: state.db has schema version %d, newer than this "
            "smsmux knows (%d); upgrade smsmux, or set state_dir in "
            "[smsmux] to another directory",
            db->dir, version, STATE_SCHEMA_VERSION);
    rollback(db);
    return -1;
  }
  if (version < 1) {
    if (exec_plain(db, schema_v1, err, errlen,
                   "cannot create the tables in state.db") != 0) {
      rollback(db);
      return -1;
    }
  }
  /* Later versions migrate here: if (version < 2) { ALTER ...; } */
  return commit(db, err, errlen);
}

/* Switch to WAL.  Changing the journal mode needs the database to
   itself, and SQLite answers SQLITE_BUSY at once (without the busy
   handler) while another process has it open, e.g. several runs creating
   a fresh state.db together: retry for up to the busy timeout.  Once the
   file is in WAL mode, the pragma no longer needs that lock. */
static int set_wal(store_db *db, char *err, size_t errlen) {
  int waited = 0, rc;

  for (;;) {
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db->sql, "PRAGMA journal_mode=WAL", -1, &st,
                            NULL);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(st);
      sqlite3_finalize(st);
    }
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
      return 0; /* a file system without WAL keeps its mode: still safe */
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
      break;
    if (waited >= STATE_BUSY_TIMEOUT_MS)
      break;
    sqlite3_sleep(10);
    waited += 10;
  }
  sql_err(db, err, errlen, "cannot switch state.db to WAL", rc);
  return -1;
}

store_db *store_open(const char *dir, char *err, size_t errlen) {
  store_db *db;
  char *path;
  size_t n;
  int rc;

  if (!dir || !*dir) {
    set_err(err, errlen,
            "state_dir is empty; set state_dir in [smsmux] to a writable "
            "directory");
    return NULL;
  }
  if (make_dirs(dir, err, errlen) != 0)
    return NULL;

  db = calloc(1, sizeof *db);
  if (!db || !(db->dir = xstrdup(dir))) {
    free(db);
    set_err(err, errlen, "state_dir %s: out of memory", dir);
    return NULL;
  }
  n = strlen(dir) + sizeof "/" STATE_DB_NAME;
  path = malloc(n);
  if (!path) {
    set_err(err, errlen, "state_dir %s: out of memory", dir);
    free(db->dir);
    free(db);
    return NULL;
  }
  snprintf(path, n, "%s/%s", dir, STATE_DB_NAME);
  if (pthread_mutex_init(&db->lock, NULL) != 0) {
    set_err(err, errlen, "state_dir %s: cannot create a mutex", dir);
    free(path);
    free(db->dir);
    free(db);
    return NULL;
  }

  rc = sqlite3_open_v2(path, &db->sql,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  free(path);
  if (rc != SQLITE_OK) {
    if (db->sql)
      sql_err(db, err, errlen, "cannot open state.db", rc);
    else
      set_err(err, errlen, "state_dir %s: cannot open state.db: %s; %s", dir,
              sqlite3_errstr(rc), sqlite_advice(rc));
    store_close(db);
    return NULL;
  }
  sqlite3_extended_result_codes(db->sql, 1);
  if (sqlite3_db_readonly(db->sql, "main") == 1) {
    set_err(err, errlen,
            "state_dir %s: state.db is read-only; make it writable, or set "
            "state_dir in [smsmux] to a writable directory",
            dir);
    store_close(db);
    return NULL;
  }
  /* The busy timeout first, so that the pragmas below wait too. */
  sqlite3_busy_timeout(db->sql, STATE_BUSY_TIMEOUT_MS);
  if (set_wal(db, err, errlen) != 0 ||
      exec_plain(db, "PRAGMA synchronous=NORMAL", err, errlen,
                 "cannot set up state.db") != 0 ||
      setup_schema(db, err, errlen) != 0) {
    store_close(db);
    return NULL;
  }
  return db;
}

void store_close(store_db *db) {
  size_t i;
  if (!db)
    return;
  for (i = 0; i < ST_COUNT; i++)
    sqlite3_finalize(db->stmt[i]);
  if (db->sql)
    sqlite3_close_v2(db->sql);
  pthread_mutex_destroy(&db->lock);
  free(db->dir);
  free(db);
}

/* ---- journal --------------------------------------------------------- */

void store_journal_entry_clear(store_journal_entry *e) {
  if (!e)
    return;
  free(e->ref);
  free(e->status);
  free(e->provider);
  free(e->message_id);
  free(e->result);
  memset(e, 0, sizeof *e);
}

/* Inside the transaction: look `ref` up. 0 found (*e filled), 1 none,
   -1 error. */
static int journal_lookup(store_db *db, const char *ref,
                          store_journal_entry *e, char *err, size_t errlen) {
  sqlite3_stmt *st;
  int rc, ok = 1;

  st = prepare(db, ST_JOURNAL_GET, err, errlen, 1, ref);
  if (!st)
    return -1;
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    done(st);
    return 1;
  }
  if (rc != SQLITE_ROW) {
    sql_err(db, err, errlen, "cannot read the journal", rc);
    done(st);
    return -1;
  }
  e->ref = column_dup(st, 0, &ok);
  e->status = column_dup(st, 1, &ok);
  e->provider = column_dup(st, 2, &ok);
  e->message_id = column_dup(st, 3, &ok);
  e->result = column_dup(st, 4, &ok);
  e->created = (int64_t)sqlite3_column_int64(st, 5);
  e->updated = (int64_t)sqlite3_column_int64(st, 6);
  done(st);
  if (!ok) {
    store_journal_entry_clear(e);
    set_err(err, errlen, "state_dir %s: out of memory", db->dir);
    return -1;
  }
  return 0;
}

/* Run kept statement `id` with text parameter ?1 = ref and integer
   ?2 = now. */
static int run_ref_now(store_db *db, enum stmt_id id, const char *ref,
                       int64_t now, char *err, size_t errlen) {
  sqlite3_stmt *st = prepare(db, id, err, errlen, 1, ref);
  if (!st)
    return -1;
  if (bind_int(db, st, 2, now, err, errlen) != 0) {
    done(st);
    return -1;
  }
  return run_done(db, st, err, errlen, "cannot write the journal");
}

int store_journal_reserve(store_db *db, const char *ref,
                          store_journal_entry *existing, char *err,
                          size_t errlen) {
  store_journal_entry e;
  int64_t now = now_seconds();
  int found, ret = -1;

  memset(&e, 0, sizeof e);
  if (existing)
    memset(existing, 0, sizeof *existing);
  if (!db || !ref || !*ref) {
    set_err(err, errlen, "state: reserve needs a database and a --ref");
    return -1;
  }
  pthread_mutex_lock(&db->lock);
  if (begin_immediate(db, err, errlen) != 0)
    goto out;
  found = journal_lookup(db, ref, &e, err, errlen);
  if (found < 0)
    goto fail;
  if (found == 1) {
    if (run_ref_now(db, ST_JOURNAL_NEW, ref, now, err, errlen) != 0)
      goto fail;
    ret = 0;
  } else if (e.status && strcmp(e.status, "failed") == 0) {
    /* Nothing went out last time: this run may try again. */
    if (run_ref_now(db, ST_JOURNAL_RETRY, ref, now, err, errlen) != 0)
      goto fail;
    ret = 0;
  } else {
    /* "sent", "unknown", or "pending" (another run is sending it, or one
       stopped mid-send): never send it again. */
    ret = 1;
  }
  if (commit(db, err, errlen) != 0) {
    ret = -1;
    goto out;
  }
  if (ret == 1 && existing) {
    *existing = e;
    memset(&e, 0, sizeof e);
  }
  goto out;
fail:
  rollback(db);
  ret = -1;
out:
  pthread_mutex_unlock(&db->lock);
  store_journal_entry_clear(&e);
  return ret;
}

/* Inside the transaction: one row of store_journal_finish. */
static int finish_one(store_db *db, const store_journal_row *r, int64_t now,
                      char *err, size_t errlen) {
  sqlite3_stmt *st;
  const char *ref = r->ref && *r->ref ? r->ref : NULL;

  if (ref) {
    st = prepare(db, ST_JOURNAL_UPDATE, err, errlen, 5, ref, r->status,
                 r->provider, r->message_id, r->result_json);
    if (!st)
      return -1;
    if (bind_int(db, st, 6, now, err, errlen) != 0) {
      done(st);
      return -1;
    }
    if (run_done(db, st, err, errlen, "cannot write the journal") != 0)
      return -1;
    if (sqlite3_changes(db->sql) == 0) {
      /* Not reserved first: journal it all the same. */
      st = prepare(db, ST_JOURNAL_INSERT, err, errlen, 5, ref, r->status,
                   r->provider, r->message_id, r->result_json);
      if (!st)
        return -1;
      if (bind_int(db, st, 6, now, err, errlen) != 0) {
        done(st);
        return -1;
      }
      if (run_done(db, st, err, errlen, "cannot write the journal") != 0)
        return -1;
    }
  }
  if (r->message_id) {
    st = prepare(db, ST_IDS_INSERT, err, errlen, 3, r->message_id,
                 r->provider, ref);
    if (!st)
      return -1;
    if (bind_int(db, st, 4, now, err, errlen) != 0) {
      done(st);
      return -1;
    }
    if (run_done(db, st, err, errlen, "cannot write the journal") != 0)
      return -1;
  }
  return 0;
}

/* Inside the transaction: one row of store_journal_attempt. */
static int attempt_one(store_db *db, const store_journal_attempt_row *a,
                       int64_t now, char *err, size_t errlen) {
  sqlite3_stmt *st = prepare(db, ST_ATTEMPT_INSERT, err, errlen, 6, a->ref,
                             a->provider, a->outcome, a->cls, a->code,
                             a->message);
  if (!st)
    return -1;
  if (bind_int(db, st, 7, now, err, errlen) != 0) {
    done(st);
    return -1;
  }
  return run_done(db, st, err, errlen, "cannot record an attempt");
}

int store_journal_finish_all(store_db *db, const store_journal_row *rows,
                             size_t n_rows,
                             const store_journal_attempt_row *attempts,
                             size_t n_attempts, char *err, size_t errlen) {
  int64_t now = now_seconds();
  size_t i, n_write = n_attempts;

  if (!db) {
    set_err(err, errlen, "state: no database");
    return -1;
  }
  for (i = 0; i < n_rows; i++) {
    const char *status = rows[i].status;
    if (!status || (strcmp(status, "sent") != 0 &&
                    strcmp(status, "failed") != 0 &&
                    strcmp(status, "unknown") != 0)) {
      set_err(err, errlen,
              "state_dir %s: journal status \"%s\" is not sent, failed or "
              "unknown",
              db->dir, status ? status : "(null)");
      return -1;
    }
    if ((rows[i].ref && *rows[i].ref) || rows[i].message_id)
      n_write++; /* else nothing to find it by later */
  }
  for (i = 0; i < n_attempts; i++)
    if (!attempts[i].outcome) {
      set_err(err, errlen, "state_dir %s: an attempt without an outcome",
              db->dir);
      return -1;
    }
  if (n_write == 0)
    return 0;

  pthread_mutex_lock(&db->lock);
  if (begin_immediate(db, err, errlen) != 0)
    goto out_err;
  for (i = 0; i < n_rows; i++)
    if (finish_one(db, &rows[i], now, err, errlen) != 0)
      goto fail;
  for (i = 0; i < n_attempts; i++)
    if (attempt_one(db, &attempts[i], now, err, errlen) != 0)
      goto fail;
  if (commit(db, err, errlen) != 0)
    goto out_err;
  pthread_mutex_unlock(&db->lock);
  return 0;
fail:
  rollback(db);
out_err:
  pthread_mutex_unlock(&db->lock);
  return -1;
}

int store_journal_finish(store_db *db, const char *ref, const char *status,
                         const char *provider, const char *message_id,
                         const char *result_json, char *err, size_t errlen) {
  store_journal_row r;
  r.ref = ref;
  r.status = status;
  r.provider = provider;
  r.message_id = message_id;
  r.result_json = result_json;
  return store_journal_finish_all(db, &r, 1, NULL, 0, err, errlen);
}

int store_journal_attempt(store_db *db, const char *ref, const char *provider,
                          const char *outcome, const char *cls,
                          const char *code, const char *message) {
  store_journal_attempt_row a;
  if (!db || !outcome)
    return -1;
  a.ref = ref;
  a.provider = provider;
  a.outcome = outcome;
  a.cls = cls;
  a.code = code;
  a.message = message;
  return store_journal_finish_all(db, NULL, 0, &a, 1, NULL, 0);
}

int store_provider_of(store_db *db, const char *message_id, char **provider) {
  sqlite3_stmt *st;
  int rc, ret, ok = 1;

  if (provider)
    *provider = NULL;
  if (!db || !message_id || !provider)
    return -1;
  pthread_mutex_lock(&db->lock);
  st = prepare(db, ST_PROVIDER_OF, NULL, 0, 1, message_id);
  if (!st) {
    ret = -1;
  } else {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *provider = column_dup(st, 0, &ok);
      ret = (ok && *provider) ? 0 : -1;
    } else {
      ret = rc == SQLITE_DONE ? 1 : -1;
    }
    done(st);
  }
  pthread_mutex_unlock(&db->lock);
  return ret;
}

/* ---- key/value ------------------------------------------------------- */

/* Without the mutex: 0 found, 1 none, -1 error. */
static int kv_get_locked(store_db *db, const char *ns, const char *key,
                         char **value, int64_t *updated, char *err,
                         size_t errlen) {
  sqlite3_stmt *st;
  int rc, ok = 1;

  st = prepare(db, ST_KV_GET, err, errlen, 2, ns, key);
  if (!st)
    return -1;
  rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    done(st);
    return 1;
  }
  if (rc != SQLITE_ROW) {
    sql_err(db, err, errlen, "cannot read the key/value store", rc);
    done(st);
    return -1;
  }
  if (value)
    *value = column_dup(st, 0, &ok);
  if (updated)
    *updated = (int64_t)sqlite3_column_int64(st, 1);
  done(st);
  return ok ? 0 : -1;
}

static int kv_set_locked(store_db *db, const char *ns, const char *key,
                         const char *value, char *err, size_t errlen) {
  sqlite3_stmt *st;

  st = prepare(db, ST_KV_SET, err, errlen, 3, ns, key, value);
  if (!st)
    return -1;
  if (bind_int(db, st, 4, now_seconds(), err, errlen) != 0) {
    done(st);
    return -1;
  }
  return run_done(db, st, err, errlen, "cannot write the key/value store");
}

int store_kv_get(store_db *db, const char *ns, const char *key, char **value,
                 int64_t *updated) {
  int ret;
  if (value)
    *value = NULL;
  if (updated)
    *updated = 0;
  if (!db || !ns || !key)
    return -1;
  pthread_mutex_lock(&db->lock);
  ret = kv_get_locked(db, ns, key, value, updated, NULL, 0);
  pthread_mutex_unlock(&db->lock);
  return ret;
}

int store_kv_set(store_db *db, const char *ns, const char *key,
                 const char *value) {
  int ret;
  if (!db || !ns || !key)
    return -1;
  pthread_mutex_lock(&db->lock);
  ret = kv_set_locked(db, ns, key, value, NULL, 0);
  pthread_mutex_unlock(&db->lock);
  return ret;
}

int store_kv_add(store_db *db, const char *ns, const char *key, int64_t delta,
                 int64_t *before) {
  char *old = NULL;
  char buf[32];
  int64_t cur = 0;
  int found;

  if (before)
    *before = 0;
  if (!db || !ns || !key)
    return -1;
  pthread_mutex_lock(&db->lock);
  if (begin_immediate(db, NULL, 0) != 0)
    goto out_err;
  found = kv_get_locked(db, ns, key, &old, NULL, NULL, 0);
  if (found < 0)
    goto fail;
  if (found == 0 && old) {
    char *end;
    long long v;
    errno = 0;
    v = strtoll(old, &end, 10);
    if (errno != 0 || end == old || *end != '\0')
      goto fail; /* not an integer: leave it alone */
    cur = (int64_t)v;
  }
  if ((delta > 0 && cur > INT64_MAX - delta) ||
      (delta < 0 && cur < INT64_MIN - delta))
    goto fail;
  snprintf(buf, sizeof buf, "%" PRId64, cur + delta);
  if (kv_set_locked(db, ns, key, buf, NULL, 0) != 0)
    goto fail;
  if (commit(db, NULL, 0) != 0)
    goto out_err;
  free(old);
  pthread_mutex_unlock(&db->lock);
  if (before)
    *before = cur;
  return 0;
fail:
  rollback(db);
out_err:
  free(old);
  pthread_mutex_unlock(&db->lock);
  return -1;
}
