/* store_pg: the store in PostgreSQL, shared by several smsmux nodes (see
 * store.h, store_backend.h).
 *
 * Schema (table schema_version holds 1; migrations[] run in order from
 * the version found, each in the transaction that records it):
 *   messages, recipients, attempts, kv: the columns of the SQLite store,
 *   plus recipients.lease_until (Unix seconds of the database's clock)
 *   next to claimed_by: a claim or a `sending` row belongs to its holder
 *   until then.
 *
 * Connections: a small pool per handle (a mutex-guarded free list, at
 * most PG_POOL_MAX connections; a caller waits for one when all are
 * busy).  Every statement is prepared once per connection
 * (PQprepare/PQexecPrepared) and takes its values as parameters.  A
 * write is one transaction, committed before the call returns:
 * PostgreSQL's own WAL and fsync (synchronous_commit on) make it durable,
 * and its commit_delay/commit_siblings group concurrent commits.  A
 * transaction that meets a deadlock or a serialization failure is run
 * again (PG_RETRIES times, after a short random pause).
 *
 * Across nodes: (tenant, ref, number) is a unique index, so an idempotency
 * key is taken by one node only (INSERT ... ON CONFLICT DO NOTHING, then
 * the row found is read under FOR UPDATE); a worker claims a message
 * with SELECT ... FOR UPDATE SKIP LOCKED and leases its recipients
 * (claimed_by, lease_until); counters are single INSERT ... ON CONFLICT
 * DO UPDATE statements; store_kv_update holds a transaction-scoped
 * advisory lock on its key.
 *
 * Test hook: SMSMUX_STORE_LEASE=N (seconds, 1-3600; default 120) is the
 * lease of claims and `sending` rows. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "store_backend.h"

#include <libpq-fe.h>

#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define PG_SCHEMA_VERSION 1
#define PG_POOL_MAX 8
#define PG_RETRIES 10
#define PG_LEASE_DEFAULT 120
/* any constant: the transaction-scoped lock that serialises setups */
#define PG_SETUP_LOCK "7303427801"

/* ---------------------------------------------------------------- sql -- */

/* migrations[v - 1] takes a database from version v - 1 to v */
static const char *const migrations[PG_SCHEMA_VERSION] = {
    "CREATE TABLE messages ("
    "  id TEXT COLLATE \"C\" PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  ref TEXT,"
    "  fingerprint TEXT NOT NULL,"
    "  created BIGINT NOT NULL,"
    "  request TEXT,"
    "  not_before BIGINT NOT NULL DEFAULT 0,"
    "  callback_url TEXT,"
    "  encoding TEXT,"
    "  segments INTEGER);"
    "CREATE INDEX messages_by_tenant ON messages(tenant, id);"
    "CREATE INDEX messages_queued ON messages(not_before, id)"
    "  WHERE request IS NOT NULL;"
    "CREATE TABLE recipients ("
    "  message_id TEXT COLLATE \"C\" NOT NULL,"
    "  tenant TEXT NOT NULL,"
    "  ref TEXT,"
    "  number TEXT COLLATE \"C\" NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  provider TEXT,"
    "  provider_id TEXT,"
    "  code TEXT,"
    "  text TEXT,"
    "  created BIGINT NOT NULL,"
    "  updated BIGINT NOT NULL,"
    "  claimed_by TEXT,"
    "  lease_until BIGINT,"
    "  PRIMARY KEY (message_id, number));"
    "CREATE INDEX recipients_queued ON recipients(message_id)"
    "  WHERE state = 'queued';"
    "CREATE INDEX recipients_sending ON recipients(message_id)"
    "  WHERE state = 'sending';"
    "CREATE INDEX recipients_claimed ON recipients(claimed_by)"
    "  WHERE claimed_by IS NOT NULL;"
    "CREATE UNIQUE INDEX recipients_by_ref ON recipients(tenant, ref, number)"
    "  WHERE ref IS NOT NULL;"
    "CREATE INDEX recipients_by_provider_id ON recipients(provider_id)"
    "  WHERE provider_id IS NOT NULL;"
    "CREATE TABLE attempts ("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  message_id TEXT COLLATE \"C\" NOT NULL,"
    "  provider TEXT,"
    "  outcome TEXT NOT NULL,"
    "  class TEXT,"
    "  code TEXT,"
    "  message TEXT,"
    "  at BIGINT NOT NULL);"
    "CREATE INDEX attempts_by_message ON attempts(message_id);"
    "CREATE TABLE kv ("
    "  ns TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT,"
    "  updated BIGINT NOT NULL,"
    "  PRIMARY KEY (ns, key));",
};

#define NOW_DB "extract(epoch from now())::bigint"
/* a lease (of recipients, or of their alias r) that ran out */
#define LEASE_OVER(r)                                                          \
  "(" r "lease_until IS NULL OR " r "lease_until < " NOW_DB ")"

enum pst {
  P_RCPT_BY_REF,
  P_RCPT_INSERT,
  P_RCPT_RETRY,
  P_MSG_INSERT,
  P_RCPT_SENDING,
  P_RCPT_FINISH,
  P_ATTEMPT_INSERT,
  P_KV_GET,
  P_KV_SET,
  P_KV_ADD,
  P_KV_ADD_REAL,
  P_KV_LOCK,
  P_PRUNE_ATTEMPTS,
  P_PRUNE_RCPTS,
  P_PRUNE_MSGS,
  P_PROVIDER_BY_PID,
  P_PROVIDER_BY_MID,
  P_CLAIM_PICK,
  P_CLAIM_NEXT_DUE,
  P_CLAIM_TAKE,
  P_UNCLAIM,
  P_HEARTBEAT,
  P_CLAIM_NOW,
  P_EXPIRE_SENDING,
  P_EXPIRE_CLAIMS,
  P_CANCEL_FIND,
  P_CANCEL,
  P_MSG_READ,
  P_MSG_RCPTS,
  P_MSG_ATTEMPTS,
  P_MSG_IDS,
  P_COUNTS,
  P_COUNT
};

static const char *const pst_sql[P_COUNT] = {
    [P_RCPT_BY_REF] = "SELECT r.message_id, r.fingerprint, r.state, "
                      "r.provider, r.provider_id, m.request IS NOT NULL "
                      "FROM recipients r LEFT JOIN messages m ON m.id = "
                      "r.message_id WHERE r.tenant = $1 AND r.ref = $2 AND "
                      "r.number = $3 FOR UPDATE OF r",
    /* $9: the lease holder of a `sending` row, $10: the lease */
    [P_RCPT_INSERT] = "INSERT INTO recipients (message_id, tenant, ref, "
                      "number, fingerprint, state, provider, created, "
                      "updated, claimed_by, lease_until) VALUES ($1, $2, "
                      "$3, $4, $5, $6, $7, $8::bigint, $8::bigint, $9, "
                      "CASE WHEN $9::text IS NULL THEN NULL ELSE " NOW_DB
                      " + $10::bigint END) ON CONFLICT DO NOTHING "
                      "RETURNING 1",
    [P_RCPT_RETRY] = "UPDATE recipients SET message_id = $1, state = $6, "
                     "fingerprint = $5, provider = $7, provider_id = NULL, "
                     "code = NULL, text = NULL, updated = $8::bigint, "
                     "claimed_by = $9, lease_until = CASE WHEN $9::text IS "
                     "NULL THEN NULL ELSE " NOW_DB " + $10::bigint END "
                     "WHERE tenant = $2 AND ref = $3 AND number = $4",
    [P_MSG_INSERT] = "INSERT INTO messages (id, tenant, ref, fingerprint, "
                     "created, request, not_before, callback_url, encoding, "
                     "segments) VALUES ($1, $2, $3, $4, $5::bigint, $6, "
                     "$7::bigint, $8, $9, $10::integer) ON CONFLICT (id) DO "
                     "NOTHING",
    /* a queue worker's rows stay its own; a direct send's are the node's */
    [P_RCPT_SENDING] = "UPDATE recipients SET state = 'sending', provider = "
                       "$3, updated = $4::bigint, claimed_by = "
                       "coalesce(claimed_by, $5), lease_until = " NOW_DB
                       " + $6::bigint WHERE message_id = $1 AND number = $2",
    [P_RCPT_FINISH] = "UPDATE recipients SET state = $3, provider = $4, "
                      "provider_id = $5, code = $6, text = $7, updated = "
                      "$8::bigint WHERE message_id = $1 AND number = $2",
    [P_ATTEMPT_INSERT] = "INSERT INTO attempts (message_id, provider, "
                         "outcome, class, code, message, at) VALUES ($1, "
                         "$2, $3, $4, $5, $6, $7::bigint)",
    [P_KV_GET] = "SELECT value, updated FROM kv WHERE ns = $1 AND key = $2",
    [P_KV_SET] = "INSERT INTO kv (ns, key, value, updated) VALUES ($1, $2, "
                 "$3, $4::bigint) ON CONFLICT (ns, key) DO UPDATE SET value "
                 "= excluded.value, updated = excluded.updated",
    /* one statement: two nodes adding at once both count */
    [P_KV_ADD] = "INSERT INTO kv (ns, key, value, updated) VALUES ($1, $2, "
                 "$3::bigint::text, $4::bigint) ON CONFLICT (ns, key) DO "
                 "UPDATE SET value = (coalesce(kv.value::bigint, 0) + "
                 "$3::bigint)::text, updated = excluded.updated RETURNING "
                 "value::bigint - $3::bigint",
    [P_KV_ADD_REAL] = "UPDATE kv SET value = round(value::numeric + "
                      "$3::numeric, 6)::text WHERE ns = $1 AND key = $2",
    [P_KV_LOCK] = "SELECT pg_advisory_xact_lock(hashtext($1::text), "
                  "hashtext($2::text))",
    [P_PRUNE_ATTEMPTS] =
        "DELETE FROM attempts WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < $1::bigint AND NOT EXISTS (SELECT 1 "
        "FROM recipients r WHERE r.message_id = m.id AND r.state IN "
        "('queued', 'sending')))",
    [P_PRUNE_RCPTS] =
        "DELETE FROM recipients WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < $1::bigint) AND state NOT IN "
        "('queued', 'sending')",
    [P_PRUNE_MSGS] = "DELETE FROM messages WHERE created < $1::bigint AND "
                     "NOT EXISTS (SELECT 1 FROM recipients r WHERE "
                     "r.message_id = messages.id)",
    [P_PROVIDER_BY_PID] = "SELECT provider FROM recipients WHERE "
                          "provider_id = $1 AND provider IS NOT NULL ORDER "
                          "BY updated DESC LIMIT 1",
    [P_PROVIDER_BY_MID] = "SELECT provider FROM recipients WHERE message_id "
                          "= $1 AND provider IS NOT NULL ORDER BY updated "
                          "DESC LIMIT 1",
    /* the held message that fell due first, with free recipients, that
       no other node is claiming at this moment (its row locked: skipped) */
    [P_CLAIM_PICK] =
        "SELECT m.id, m.tenant, m.ref, m.request, m.callback_url FROM "
        "messages m WHERE m.id IN (SELECT r.message_id FROM recipients r "
        "WHERE r.state = 'queued' AND (r.claimed_by IS NULL OR " LEASE_OVER(
            "r.") ")) AND m.request IS NOT NULL AND m.not_before > 0 AND "
                  "m.not_before <= $1::bigint ORDER BY m.not_before, m.id "
                  "LIMIT 1 FOR UPDATE OF m SKIP LOCKED",
    [P_CLAIM_NEXT_DUE] = "SELECT min(m.not_before) FROM messages m WHERE "
                         "m.request IS NOT NULL AND m.not_before > "
                         "$1::bigint AND EXISTS (SELECT 1 FROM recipients r "
                         "WHERE r.message_id = m.id AND r.state = 'queued' "
                         "AND (r.claimed_by IS NULL OR " LEASE_OVER("r.") "))",
    [P_CLAIM_TAKE] =
        "UPDATE recipients SET claimed_by = $2, lease_until = " NOW_DB
        " + $3::bigint, updated = $4::bigint WHERE "
        "message_id = $1 AND state = 'queued' AND (claimed_by "
        "IS NULL OR " LEASE_OVER("") ") RETURNING number",
    [P_UNCLAIM] = "UPDATE recipients SET claimed_by = NULL, lease_until = "
                  "NULL WHERE claimed_by = $1 AND state = 'queued'",
    /* the oldest message to send now (not held) with free recipients,
       read from the queued recipients' index in id (creation) order: the
       cost follows the queue, not the messages kept (P_CLAIM_PICK, the
       held ones that fell due, walked every message ever queued) */
    [P_CLAIM_NOW] =
        "SELECT m.id, m.tenant, m.ref, m.request, m.callback_url FROM "
        "recipients r JOIN messages m ON m.id = r.message_id WHERE r.state "
        "= 'queued' AND (r.claimed_by IS NULL OR " LEASE_OVER("r.") ") AND "
        "m.request IS NOT NULL AND m.not_before = 0 ORDER BY r.message_id "
        "LIMIT 1 FOR UPDATE OF m SKIP LOCKED",
    [P_HEARTBEAT] = "UPDATE recipients SET lease_until = " NOW_DB
                    " + $2::bigint WHERE claimed_by = $1 AND state IN "
                    "('queued', 'sending')",
    [P_EXPIRE_SENDING] =
        "UPDATE recipients SET state = 'unknown', code = "
        "'interrupted', text = 'the request may have left "
        "when smsmux stopped: not sent again', updated = "
        "$1::bigint WHERE state = 'sending' AND " LEASE_OVER(""),
    [P_EXPIRE_CLAIMS] = "UPDATE recipients SET claimed_by = NULL, "
                        "lease_until = NULL WHERE claimed_by IS NOT NULL AND "
                        "state = 'queued' AND " LEASE_OVER(""),
    [P_CANCEL_FIND] = "SELECT 1 FROM messages WHERE id = $1 AND tenant = $2",
    [P_CANCEL] = "UPDATE recipients SET state = 'cancelled', code = "
                 "'cancelled', text = 'cancelled before it was sent', "
                 "updated = $2::bigint WHERE message_id = $1 AND state = "
                 "'queued' AND (claimed_by IS NULL OR " LEASE_OVER("") ")",
    [P_MSG_READ] = "SELECT id, tenant, ref, encoding, callback_url, request, "
                   "created, not_before, segments FROM messages WHERE id = "
                   "$1 AND tenant = $2",
    [P_MSG_RCPTS] = "SELECT number, state, provider, provider_id, code, "
                    "text, updated FROM recipients WHERE message_id = $1 "
                    "ORDER BY number",
    [P_MSG_ATTEMPTS] = "SELECT provider, outcome, class, code, message, at "
                       "FROM attempts WHERE message_id = $1 ORDER BY seq",
    [P_MSG_IDS] = "SELECT id FROM messages m WHERE tenant = $1 AND created "
                  ">= $2::bigint AND ($3::text IS NULL OR id < $3) AND "
                  "($4::text IS NULL OR EXISTS (SELECT 1 FROM recipients r "
                  "WHERE r.message_id = m.id AND r.state = $4)) ORDER BY id "
                  "DESC LIMIT $5::bigint",
    [P_COUNTS] = "SELECT state, count(*) FROM recipients WHERE state IN "
                 "('queued', 'sending') GROUP BY state",
};

/* ------------------------------------------------------------- handle -- */

typedef struct pconn {
  PGconn *pg;
  unsigned char ready[P_COUNT]; /* prepared on this connection */
  char sqlstate[6];             /* of the last failure */
  struct pconn *next;
} pconn;

typedef struct pg_db {
  store_db base;        /* first: the backend table */
  char *url;            /* as configured (secrets included: never shown) */
  char *shown;          /* redacted, for messages */
  char node[40];        /* lease holder of this handle's direct sends */
  char lease[16];       /* seconds */
  pthread_mutex_t lock; /* pool, commits */
  pthread_cond_t freed;
  pconn *idle;
  size_t n_open;
  unsigned long commits;
} pg_db;


static void now_text(char buf[24]) {
  snprintf(buf, 24, "%lld", (long long)time(NULL));
}

/* What the user can do about a failure, by SQLSTATE class. */
static const char *pg_advice(const char *state) {
  if (!state || !*state)
    return "check that the PostgreSQL server runs and the store URL in "
           "[smsmux] is right";
  if (strncmp(state, "28", 2) == 0)
    return "check the user and password of the store URL in [smsmux]";
  if (strncmp(state, "3D", 2) == 0)
    return "create the database, or fix the store URL in [smsmux]";
  if (strncmp(state, "42501", 5) == 0)
    return "grant the store's user the rights on its database";
  if (strncmp(state, "53", 2) == 0)
    return "the PostgreSQL server is short of resources (disk, memory, "
           "connections)";
  if (strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0)
    return "the connection to PostgreSQL was lost; try again";
  return "see the PostgreSQL message";
}

/* "<what>: <libpq's message, one line>" into err */
static void pg_err(pg_db *db, const char *msg, const char *state, char *err,
                   size_t errlen, const char *what) {
  char line[300];
  size_t n;
  snprintf(line, sizeof line, "%s", msg && *msg ? msg : "unknown error");
  for (n = strlen(line); n && (line[n - 1] == '\n' || line[n - 1] == ' ');)
    line[--n] = '\0';
  for (n = 0; line[n]; n++)
    if (line[n] == '\n')
      line[n] = ' ';
  store_set_err(err, errlen, "store %s: %s: %s; %s", db->shown, what, line,
          pg_advice(state));
}

/* ---------------------------------------------------------------- url -- */

int store_is_url(const char *value) {
  return value && (strncmp(value, "postgresql://", 13) == 0 ||
                   strncmp(value, "postgres://", 11) == 0);
}

char *store_url_redacted(const char *url) {
  size_t n = strlen(url), i, o = 0;
  const char *auth = strstr(url, "://"), *end, *at = NULL, *colon = NULL;
  char *out = malloc(n * 2 + 8); /* "***" never makes it more than twice */
  if (!out)
    return NULL;
  auth = auth ? auth + 3 : url;
  end = auth + strcspn(auth, "/?#");
  for (i = 0; auth + i < end; i++)
    if (auth[i] == '@')
      at = auth + i;
  if (at)
    colon = memchr(auth, ':', (size_t)(at - auth));
  for (i = 0; i < n;) {
    if (colon && url + i == colon + 1) {
      memcpy(out + o, "***", 3);
      o += 3;
      i = (size_t)(at - url);
      continue;
    }
    /* password=... in the query string */
    if (url + i > end && (url[i - 1] == '?' || url[i - 1] == '&') &&
        strncmp(url + i, "password=", 9) == 0) {
      memcpy(out + o, "password=***", 12);
      o += 12;
      i += 9;
      while (i < n && url[i] != '&' && url[i] != '#')
        i++;
      continue;
    }
    out[o++] = url[i++];
  }
  out[o] = '\0';
  return out;
}

/* --------------------------------------------------------------- pool -- */

static int prepare_one(pg_db *db, pconn *c, enum pst id, char *err,
                       size_t errlen) {
  char name[16];
  PGresult *r;
  snprintf(name, sizeof name, "s%d", (int)id);
  r = PQprepare(c->pg, name, pst_sql[id], 0, NULL);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    pg_err(db, PQresultErrorMessage(r), PQresultErrorField(r, PG_DIAG_SQLSTATE),
           err, errlen, "cannot prepare a statement");
    PQclear(r);
    return -1;
  }
  PQclear(r);
  c->ready[id] = 1;
  return 0;
}

static void pconn_free(pconn *c) {
  if (c) {
    PQfinish(c->pg);
    free(c);
  }
}

static pconn *pconn_open(pg_db *db, char *err, size_t errlen) {
  pconn *c = calloc(1, sizeof *c);
  PGresult *r;
  if (!c) {
    store_set_err(err, errlen, "store %s: out of memory", db->shown);
    return NULL;
  }
  c->pg = PQconnectdb(db->url);
  if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
    const char *msg = c->pg ? PQerrorMessage(c->pg) : "out of memory";
    /* no SQLSTATE before a session: the advice from the message */
    pg_err(db, msg,
           strstr(msg, "does not exist") && strstr(msg, "database")   ? "3D000"
           : strstr(msg, "password") || strstr(msg, "authentication") ? "28000"
                                                                      : NULL,
           err, errlen, "cannot connect");
    pconn_free(c);
    return NULL;
  }
  /* a write returns once its commit is on the server's disk */
  r = PQexec(c->pg, "SET synchronous_commit TO on");
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    pg_err(db, PQresultErrorMessage(r), PQresultErrorField(r, PG_DIAG_SQLSTATE),
           err, errlen, "cannot set up the connection");
    PQclear(r);
    pconn_free(c);
    return NULL;
  }
  PQclear(r);
  return c;
}

/* An idle pooled connection has nothing to read: no statement of it is
   under way, and nothing here LISTENs.  A socket that reads as ready is
   the server's goodbye or the end of the stream (the server restarted,
   failed over, or dropped the session): the connection is replaced
   rather than failing the caller's next statement. */
static int pconn_usable(const pconn *c) {
  struct pollfd p;
  if (PQstatus(c->pg) != CONNECTION_OK || (p.fd = PQsocket(c->pg)) < 0)
    return 0;
  p.events = POLLIN;
  p.revents = 0;
  return poll(&p, 1, 0) == 0;
}

/* A connection of the pool (opened when none is idle and fewer than
   PG_POOL_MAX are open; else wait for one). */
static pconn *take(pg_db *db, char *err, size_t errlen) {
  pconn *c;
  pthread_mutex_lock(&db->lock);
  while (!db->idle && db->n_open >= PG_POOL_MAX)
    pthread_cond_wait(&db->freed, &db->lock);
  c = db->idle;
  if (c)
    db->idle = c->next;
  else
    db->n_open++; /* a place for the one opened below */
  pthread_mutex_unlock(&db->lock);
  if (c && pconn_usable(c))
    return c;
  pconn_free(c); /* a broken one: replaced */
  c = pconn_open(db, err, errlen);
  if (!c) {
    pthread_mutex_lock(&db->lock);
    db->n_open--;
    pthread_cond_signal(&db->freed);
    pthread_mutex_unlock(&db->lock);
  }
  return c;
}

static void give(pg_db *db, pconn *c) {
  int broken = PQstatus(c->pg) != CONNECTION_OK ||
               PQtransactionStatus(c->pg) != PQTRANS_IDLE;
  pthread_mutex_lock(&db->lock);
  if (broken)
    db->n_open--;
  else {
    c->next = db->idle;
    db->idle = c;
  }
  pthread_cond_signal(&db->freed);
  pthread_mutex_unlock(&db->lock);
  if (broken)
    pconn_free(c);
}

/* ---------------------------------------------------------- statements -- */

/* Run prepared statement `id` with the n text values that follow (NULL:
   SQL NULL).  The result (command or rows), or NULL with err. */
static PGresult *px(pg_db *db, pconn *c, enum pst id, char *err, size_t errlen,
                    int n, ...) {
  const char *vals[12];
  char name[16];
  PGresult *r;
  ExecStatusType st;
  va_list ap;
  int i;
  if (!c->ready[id] && prepare_one(db, c, id, err, errlen))
    return NULL;
  va_start(ap, n);
  for (i = 0; i < n && i < 12; i++)
    vals[i] = va_arg(ap, const char *);
  va_end(ap);
  snprintf(name, sizeof name, "s%d", (int)id);
  r = PQexecPrepared(c->pg, name, n, vals, NULL, NULL, 0);
  st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    c->sqlstate[0] = '\0';
    return r;
  }
  snprintf(c->sqlstate, sizeof c->sqlstate, "%s",
           r && PQresultErrorField(r, PG_DIAG_SQLSTATE)
               ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
               : "");
  pg_err(db, r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg), c->sqlstate,
         err, errlen, "a statement failed");
  PQclear(r);
  return NULL;
}

/* px for a statement whose rows are not wanted: 0 or -1. */
static int pxc(PGresult *r, long *changed) {
  if (!r)
    return -1;
  if (changed)
    *changed = strtol(PQcmdTuples(r), NULL, 10);
  PQclear(r);
  return 0;
}

/* A fixed command (BEGIN, COMMIT, ROLLBACK): 0 or -1. */
static int plain(pg_db *db, pconn *c, const char *sql, char *err,
                 size_t errlen) {
  PGresult *r = PQexec(c->pg, sql);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) {
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s",
             r && PQresultErrorField(r, PG_DIAG_SQLSTATE)
                 ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
                 : "");
    pg_err(db, r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg), c->sqlstate,
           err, errlen, sql);
  }
  PQclear(r);
  return ok ? 0 : -1;
}

static char *val_dup(const PGresult *r, int row, int col, int *ok) {
  char *p;
  if (PQgetisnull(r, row, col))
    return NULL;
  p = store_dupstr(PQgetvalue(r, row, col));
  if (!p)
    *ok = 0;
  return p;
}

static int64_t val_int(const PGresult *r, int row, int col) {
  return PQgetisnull(r, row, col)
             ? 0
             : (int64_t)strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* One transaction running `body` on one connection of the pool, run again
   after a deadlock or a serialization failure.  0 or -1 (err). */
typedef int (*tx_body)(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen);

static int tx(pg_db *db, tx_body body, void *arg, char *err, size_t errlen) {
  int attempt;
  for (attempt = 0;; attempt++) {
    pconn *c = take(db, err, errlen);
    int rc, again;
    if (!c)
      return -1;
    rc = plain(db, c, "BEGIN", err, errlen);
    if (rc == 0)
      rc = body(db, c, arg, err, errlen);
    if (rc == 0)
      rc = plain(db, c, "COMMIT", err, errlen);
    again = rc && (strcmp(c->sqlstate, "40001") == 0 ||
                   strcmp(c->sqlstate, "40P01") == 0);
    if (rc && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
      (void)plain(db, c, "ROLLBACK", NULL, 0);
    give(db, c);
    if (rc == 0) {
      pthread_mutex_lock(&db->lock);
      db->commits++;
      pthread_mutex_unlock(&db->lock);
      return 0;
    }
    if (!again || attempt >= PG_RETRIES)
      return -1;
    {
      /* a few milliseconds, different for each caller: the transactions
         that met do not meet again at once */
      uint32_t r = 0;
      struct timespec ts;
      if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint32_t)attempt * 7919u;
      ts.tv_sec = 0;
      ts.tv_nsec = (long)(1 + r % (unsigned)(5 * (attempt + 1))) * 1000000L;
      nanosleep(&ts, NULL);
    }
  }
}

/* A statement outside any transaction on a pooled connection: its result
   or NULL. */
static PGresult *read1(pg_db *db, enum pst id, int n, const char *a,
                       const char *b, const char *c3, const char *d,
                       const char *e) {
  pconn *c = take(db, NULL, 0);
  PGresult *r;
  if (!c)
    return NULL;
  r = px(db, c, id, NULL, 0, n, a, b, c3, d, e);
  give(db, c);
  return r;
}

/* --------------------------------------------------------------- open -- */

static int schema_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  int *created = arg, version = 0, v;
  const char *vals[1];
  char buf[16];
  PGresult *r =
      PQexec(c->pg, "SELECT pg_advisory_xact_lock(" PG_SETUP_LOCK ")");
  if (PQresultStatus(r) != PGRES_TUPLES_OK)
    goto fail;
  PQclear(r);
  r = PQexec(c->pg, "SELECT to_regclass('schema_version') IS NOT NULL, (SELECT "
                    "count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
                    "current_schema())");
  if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
    goto fail;
  if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
    if (strcmp(PQgetvalue(r, 0, 1), "0") != 0) {
      store_set_err(err, errlen,
              "store %s: the database holds tables but no smsmux "
              "schema_version: it is not an smsmux store; use an empty "
              "database for the store",
              db->shown);
      PQclear(r);
      return -1;
    }
    PQclear(r);
    r = PQexec(c->pg, "CREATE TABLE schema_version (version INTEGER NOT "
                      "NULL); INSERT INTO schema_version VALUES (0)");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      goto fail;
    *created = 1;
  } else {
    PQclear(r);
    r = PQexec(c->pg, "SELECT max(version) FROM schema_version");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
      goto fail;
    if (PQgetisnull(r, 0, 0)) {
      store_set_err(err, errlen,
              "store %s: schema_version is empty: the store was damaged; "
              "restore the database from a backup",
              db->shown);
      PQclear(r);
      return -1;
    }
    version = atoi(PQgetvalue(r, 0, 0));
  }
  PQclear(r);
  r = NULL;
  if (version > PG_SCHEMA_VERSION) {
    store_set_err(err, errlen,
            "store %s: the database has schema version %d, newer than this "
            "smsmux knows (%d); upgrade smsmux on this node",
            db->shown, version, PG_SCHEMA_VERSION);
    return -1;
  }
  for (v = version + 1; v <= PG_SCHEMA_VERSION; v++) {
    r = PQexec(c->pg, migrations[v - 1]);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      goto fail;
    PQclear(r);
    snprintf(buf, sizeof buf, "%d", v);
    vals[0] = buf;
    r = PQexecParams(c->pg, "UPDATE schema_version SET version = $1::int", 1,
                     NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      goto fail;
    PQclear(r);
  }
  return 0;
fail:
  pg_err(db, r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg),
         r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL, err, errlen,
         "cannot set up the store's tables");
  PQclear(r);
  return -1;
}

static void pg_free(pg_db *db) {
  pconn *c;
  while ((c = db->idle)) {
    db->idle = c->next;
    pconn_free(c);
  }
  pthread_mutex_destroy(&db->lock);
  pthread_cond_destroy(&db->freed);
  free(db->url);
  free(db->shown);
  free(db);
}

store_db *store_open_url(const char *url, int *created, char *err,
                         size_t errlen) {
  pg_db *db;
  const char *lease = getenv("SMSMUX_STORE_LEASE");
  long ls = lease ? strtol(lease, NULL, 10) : PG_LEASE_DEFAULT;
  int made = 0;
  if (created)
    *created = 0;
  if (!store_is_url(url)) {
    store_set_err(err, errlen,
            "store: not a postgresql:// URL; set store in [smsmux] to "
            "postgresql://USER@HOST/DATABASE");
    return NULL;
  }
  db = calloc(1, sizeof *db);
  if (!db || !(db->url = store_dupstr(url)) ||
      !(db->shown = store_url_redacted(url))) {
    if (db) {
      free(db->url);
      free(db);
    }
    store_set_err(err, errlen, "store: out of memory");
    return NULL;
  }
  db->base.be = &store_pg_backend;
  store_make_id(db->node);
  db->node[0] = 'n';
  if (ls < 1 || ls > 3600)
    ls = PG_LEASE_DEFAULT;
  snprintf(db->lease, sizeof db->lease, "%ld", ls);
  pthread_mutex_init(&db->lock, NULL);
  pthread_cond_init(&db->freed, NULL);
  if (tx(db, schema_body, &made, err, errlen)) {
    pg_free(db);
    return NULL;
  }
  if (created)
    *created = made;
  return &db->base;
}

static void pg_close(store_db *db_) {
  pg_db *db = (pg_db *)db_;
  pg_free(db);
}

static int pg_flush(store_db *db, char *err, size_t errlen) {
  (void)db; /* every write was committed before it returned */
  (void)err;
  (void)errlen;
  return 0;
}

static unsigned long pg_commits(store_db *db_) {
  pg_db *db = (pg_db *)db_;
  unsigned long n;
  pthread_mutex_lock(&db->lock);
  n = db->commits;
  pthread_mutex_unlock(&db->lock);
  return n;
}

/* ------------------------------------------------------------ reserve -- */

typedef struct reserve_arg {
  store_msg *m;
  store_rcpt *rows;
  size_t n;
  const char *provider;
  const store_queue_info *q;
} reserve_arg;

/* The row of (tenant, ref, number), locked: r->claim and what it holds;
 *found 0 when there is none. */
static int lookup(pg_db *db, pconn *c, const reserve_arg *a, store_rcpt *r,
                  const char *tenant, int *found, char *err, size_t errlen) {
  PGresult *res =
      px(db, c, P_RCPT_BY_REF, err, errlen, 3, tenant, a->m->ref, r->number);
  int ok = 1;
  store_rcpt_clear(r);
  r->claim = STORE_CLAIM_NEW;
  *found = 0;
  if (!res)
    return -1;
  if (PQntuples(res) > 0) {
    *found = 1;
    r->message_id = val_dup(res, 0, 0, &ok);
    r->state = val_dup(res, 0, 2, &ok);
    r->provider = val_dup(res, 0, 3, &ok);
    r->provider_id = val_dup(res, 0, 4, &ok);
    r->claim =
        store_claim_of(r->state ? r->state : "",
                       strcmp(PQgetvalue(res, 0, 1), a->m->fingerprint) == 0,
                       strcmp(PQgetvalue(res, 0, 5), "t") == 0);
  }
  PQclear(res);
  if (!ok) {
    store_set_err(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

static int reserve_body(pg_db *db, pconn *c, void *arg, char *err,
                        size_t errlen) {
  reserve_arg *a = arg;
  const char *tenant = a->m->tenant ? a->m->tenant : "";
  char now[24];
  size_t i, taken = 0;
  int found;
  now_text(now);
  if (a->q && a->m->ref) {
    /* the queue takes all or nothing: a conflict refuses the message */
    for (i = 0; i < a->n; i++) {
      if (lookup(db, c, a, &a->rows[i], tenant, &found, err, errlen))
        return -1;
      if (a->rows[i].claim == STORE_CLAIM_CONFLICT)
        return 0;
    }
  }
  for (i = 0; i < a->n; i++) {
    store_rcpt *r = &a->rows[i];
    const char *state = r->sending ? "sending" : "queued";
    const char *prov = r->sending ? a->provider : NULL;
    const char *holder = r->sending ? db->node : NULL;
    PGresult *res;
    store_rcpt_clear(r);
    r->claim = STORE_CLAIM_NEW;
    found = 0;
    if (a->m->ref && lookup(db, c, a, r, tenant, &found, err, errlen))
      return -1;
    if (!found) {
      res =
          px(db, c, P_RCPT_INSERT, err, errlen, 10, a->m->id, tenant, a->m->ref,
             r->number, a->m->fingerprint, state, prov, now, holder, db->lease);
      if (!res)
        return -1;
      found = PQntuples(res) == 0; /* another node took it meanwhile */
      PQclear(res);
      if (found) {
        if (!a->m->ref) {
          store_set_err(err, errlen, "store %s: recipient %s listed twice", db->shown,
                  r->number);
          return -1;
        }
        /* its row is committed now (ON CONFLICT waited for it) */
        if (lookup(db, c, a, r, tenant, &found, err, errlen))
          return -1;
        if (r->claim != STORE_CLAIM_RETRY)
          continue;
      } else {
        taken++;
        continue;
      }
    }
    if (r->claim != STORE_CLAIM_RETRY)
      continue;
    if (pxc(px(db, c, P_RCPT_RETRY, err, errlen, 10, a->m->id, tenant,
               a->m->ref, r->number, a->m->fingerprint, state, prov, now,
               holder, db->lease),
            NULL))
      return -1;
    taken++;
  }
  if (taken) {
    const store_queue_info *q = a->q;
    char nb[24], seg[24];
    snprintf(nb, sizeof nb, "%lld", q ? (long long)q->not_before : 0LL);
    snprintf(seg, sizeof seg, "%u", q ? q->segments : 0u);
    if (pxc(px(db, c, P_MSG_INSERT, err, errlen, 10, a->m->id, tenant,
               a->m->ref, a->m->fingerprint, now, q ? q->request_json : NULL,
               nb, q ? q->callback_url : NULL, q ? q->encoding : NULL,
               q ? seg : NULL),
            NULL))
      return -1;
  }
  return 0;
}

static int reserve_q(pg_db *db, store_msg *m, store_rcpt *rows, size_t n,
                     const char *provider, const store_queue_info *q, char *err,
                     size_t errlen) {
  reserve_arg a = {m, rows, n, provider, q};
  size_t i;
  if (!m->id[0])
    store_make_id(m->id);
  if (tx(db, reserve_body, &a, err, errlen) == 0)
    return 0;
  for (i = 0; i < n; i++) /* nothing was recorded */
    store_rcpt_clear(&rows[i]);
  return -1;
}

static int pg_reserve(store_db *db, store_msg *m, store_rcpt *rows, size_t n,
                      const char *provider, char *err, size_t errlen) {
  return reserve_q((pg_db *)db, m, rows, n, provider, NULL, err, errlen);
}

static int pg_queue_put(store_db *db, store_msg *m, store_rcpt *rows, size_t n,
                        const store_queue_info *q, char *err, size_t errlen) {
  size_t i;
  for (i = 0; i < n; i++)
    rows[i].sending = 0;
  return reserve_q((pg_db *)db, m, rows, n, NULL, q, err, errlen);
}

/* --------------------------------------------------- sending, finish -- */

typedef struct numbers_arg {
  const char *id, *provider;
  const char *const *numbers;
  size_t n;
} numbers_arg;

static int numbers_body(pg_db *db, pconn *c, void *arg, char *err,
                        size_t errlen) {
  numbers_arg *a = arg;
  char now[24];
  size_t i;
  now_text(now);
  for (i = 0; i < a->n; i++) {
    PGresult *r = px(db, c, P_RCPT_SENDING, err, errlen, 6, a->id,
                     a->numbers[i], a->provider, now, db->node, db->lease);
    if (pxc(r, NULL))
      return -1;
  }
  return 0;
}

static int pg_mark_sending(store_db *db, const char *id,
                           const char *const *numbers, size_t n,
                           const char *provider, char *err, size_t errlen) {
  numbers_arg a = {id, provider, numbers, n};
  return tx((pg_db *)db, numbers_body, &a, err, errlen);
}

typedef struct finish_arg {
  const char *id;
  const store_outcome *o;
  size_t n_o;
  const store_attempt *a;
  size_t n_a;
} finish_arg;

static int finish_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  finish_arg *f = arg;
  char now[24];
  size_t i;
  now_text(now);
  for (i = 0; i < f->n_o; i++) {
    const store_outcome *o = &f->o[i];
    if (pxc(px(db, c, P_RCPT_FINISH, err, errlen, 8, f->id, o->number, o->state,
               o->provider, o->provider_id, o->code, o->text, now),
            NULL))
      return -1;
  }
  for (i = 0; i < f->n_a; i++) {
    const store_attempt *a = &f->a[i];
    if (pxc(px(db, c, P_ATTEMPT_INSERT, err, errlen, 7, f->id, a->provider,
               a->outcome, a->cls, a->code, a->message, now),
            NULL))
      return -1;
  }
  return 0;
}

/* Written at once (store.h allows it: the caller does not wait for more
   than PostgreSQL's commit). */
static int pg_finish(store_db *db, const char *id, const store_outcome *o,
                     size_t n_o, const store_attempt *a, size_t n_a) {
  finish_arg f = {id, o, n_o, a, n_a};
  char err[512] = "";
  if (tx((pg_db *)db, finish_body, &f, err, sizeof err) == 0)
    return 0;
  fprintf(stderr, "smsmux: a store write was lost: %s\n", err);
  return -1;
}

/* --------------------------------------------------------------- prune -- */

typedef struct prune_arg {
  char before[24];
  long removed;
} prune_arg;

static int prune_body(pg_db *db, pconn *c, void *arg, char *err,
                      size_t errlen) {
  prune_arg *a = arg;
  if (pxc(px(db, c, P_PRUNE_ATTEMPTS, err, errlen, 1, a->before), NULL) ||
      pxc(px(db, c, P_PRUNE_RCPTS, err, errlen, 1, a->before), NULL) ||
      pxc(px(db, c, P_PRUNE_MSGS, err, errlen, 1, a->before), &a->removed))
    return -1;
  return 0;
}

static int pg_prune(store_db *db, int64_t before, long *removed, char *err,
                    size_t errlen) {
  prune_arg a;
  snprintf(a.before, sizeof a.before, "%lld", (long long)before);
  a.removed = 0;
  if (tx((pg_db *)db, prune_body, &a, err, errlen))
    return -1;
  if (removed)
    *removed = a.removed;
  return 0;
}

/* --------------------------------------------------------------- reads -- */

static int pg_provider_of(store_db *db_, const char *id, char **provider) {
  pg_db *db = (pg_db *)db_;
  static const enum pst lookups[] = {P_PROVIDER_BY_PID, P_PROVIDER_BY_MID};
  size_t i;
  *provider = NULL;
  for (i = 0; i < 2; i++) {
    PGresult *r = read1(db, lookups[i], 1, id, NULL, NULL, NULL, NULL);
    int ok = 1;
    if (!r)
      return -1;
    if (PQntuples(r) > 0) {
      *provider = val_dup(r, 0, 0, &ok);
      PQclear(r);
      return ok && *provider ? 0 : -1;
    }
    PQclear(r);
  }
  return 1;
}

static int pg_message_read(store_db *db_, const char *tenant, const char *id,
                           store_message *m) {
  pg_db *db = (pg_db *)db_;
  pconn *c = take(db, NULL, 0);
  PGresult *r;
  int ret = -1, ok = 1, i, n;
  memset(m, 0, sizeof *m);
  if (!c)
    return -1;
  r = px(db, c, P_MSG_READ, NULL, 0, 2, id, tenant ? tenant : "");
  if (!r)
    goto out;
  if (PQntuples(r) == 0) {
    PQclear(r);
    ret = 1;
    goto out;
  }
  m->id = val_dup(r, 0, 0, &ok);
  m->tenant = val_dup(r, 0, 1, &ok);
  m->ref = val_dup(r, 0, 2, &ok);
  m->encoding = val_dup(r, 0, 3, &ok);
  m->callback_url = val_dup(r, 0, 4, &ok);
  m->request_json = val_dup(r, 0, 5, &ok);
  m->created = val_int(r, 0, 6);
  m->not_before = val_int(r, 0, 7);
  m->segments = (unsigned)val_int(r, 0, 8);
  PQclear(r);
  if (!ok || !(r = px(db, c, P_MSG_RCPTS, NULL, 0, 1, id)))
    goto out;
  n = PQntuples(r);
  if (n && !(m->rcpts = calloc((size_t)n, sizeof *m->rcpts)))
    ok = 0;
  for (i = 0; ok && i < n; i++) {
    store_rcpt_row *w = &m->rcpts[m->n_rcpts++];
    w->number = val_dup(r, i, 0, &ok);
    w->state = val_dup(r, i, 1, &ok);
    w->provider = val_dup(r, i, 2, &ok);
    w->provider_id = val_dup(r, i, 3, &ok);
    w->code = val_dup(r, i, 4, &ok);
    w->text = val_dup(r, i, 5, &ok);
    w->updated = val_int(r, i, 6);
  }
  PQclear(r);
  if (!ok || !(r = px(db, c, P_MSG_ATTEMPTS, NULL, 0, 1, id)))
    goto out;
  n = PQntuples(r);
  if (n && !(m->attempts = calloc((size_t)n, sizeof *m->attempts)))
    ok = 0;
  for (i = 0; ok && i < n; i++) {
    store_attempt_row *w = &m->attempts[m->n_attempts++];
    w->provider = val_dup(r, i, 0, &ok);
    w->outcome = val_dup(r, i, 1, &ok);
    w->cls = val_dup(r, i, 2, &ok);
    w->code = val_dup(r, i, 3, &ok);
    w->message = val_dup(r, i, 4, &ok);
    w->at = val_int(r, i, 5);
  }
  PQclear(r);
  ret = ok ? 0 : -1;
out:
  give(db, c);
  if (ret != 0)
    store_message_clear(m);
  return ret;
}

static int pg_message_ids(store_db *db_, const char *tenant, const char *state,
                          int64_t since, const char *cursor, unsigned limit,
                          char ***ids, size_t *n) {
  pg_db *db = (pg_db *)db_;
  char s[24], l[24];
  PGresult *r;
  int i, rows, ok = 1;
  *ids = NULL;
  *n = 0;
  snprintf(s, sizeof s, "%lld", (long long)since);
  snprintf(l, sizeof l, "%u", limit);
  r = read1(db, P_MSG_IDS, 5, tenant ? tenant : "", s, cursor, state, l);
  if (!r)
    return -1;
  rows = PQntuples(r);
  *ids = calloc(rows ? (size_t)rows : 1, sizeof **ids);
  if (!*ids)
    ok = 0;
  for (i = 0; ok && i < rows; i++)
    if (((*ids)[(*n)++] = val_dup(r, i, 0, &ok)) == NULL)
      ok = 0;
  PQclear(r);
  if (!ok) {
    size_t k;
    for (k = 0; *ids && k < *n; k++)
      free((*ids)[k]);
    free(*ids);
    *ids = NULL;
    *n = 0;
    return -1;
  }
  return 0;
}

static int pg_queue_counts(store_db *db_, unsigned long *queued,
                           unsigned long *sending) {
  pg_db *db = (pg_db *)db_;
  PGresult *r = read1(db, P_COUNTS, 0, NULL, NULL, NULL, NULL, NULL);
  int i;
  *queued = *sending = 0;
  if (!r)
    return -1;
  for (i = 0; i < PQntuples(r); i++) {
    unsigned long v = strtoul(PQgetvalue(r, i, 1), NULL, 10);
    if (strcmp(PQgetvalue(r, i, 0), "queued") == 0)
      *queued = v;
    else
      *sending = v;
  }
  PQclear(r);
  return 0;
}

/* --------------------------------------------------------------- queue -- */

typedef struct claim_arg {
  pg_db *db;
  const char *token;
  char now[24];
  int64_t next_due;
  store_claimed *c;
  int found;
} claim_arg;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int claim_body(pg_db *db, pconn *c, void *arg, char *err,
                      size_t errlen) {
  claim_arg *a = arg;
  store_claimed *cl = a->c;
  PGresult *r;
  int ok = 1, i, n;
  store_claimed_clear(cl); /* a run again starts afresh */
  a->found = 0;
  a->next_due = 0;
  int tries = 0;
again:
  /* first what is to go now, then what was held and is due */
  if (!(r = px(db, c, P_CLAIM_NOW, err, errlen, 0)))
    return -1;
  if (PQntuples(r) == 0) {
    PQclear(r);
    if (!(r = px(db, c, P_CLAIM_PICK, err, errlen, 1, a->now)))
      return -1;
  }
  if (PQntuples(r) == 0) {
    PQclear(r);
    if (!(r = px(db, c, P_CLAIM_NEXT_DUE, err, errlen, 1, a->now)))
      return -1;
    if (PQntuples(r) > 0)
      a->next_due = val_int(r, 0, 0);
    PQclear(r);
    return 0;
  }
  snprintf(cl->id, sizeof cl->id, "%s", PQgetvalue(r, 0, 0));
  cl->tenant = val_dup(r, 0, 1, &ok);
  cl->ref = val_dup(r, 0, 2, &ok);
  cl->request_json = val_dup(r, 0, 3, &ok);
  cl->callback_url = val_dup(r, 0, 4, &ok);
  PQclear(r);
  if (!ok)
    goto oom;
  if (!(r = px(db, c, P_CLAIM_TAKE, err, errlen, 4, cl->id, a->token, db->lease,
               a->now)))
    return -1;
  n = PQntuples(r);
  if (n && !(cl->numbers = calloc((size_t)n, sizeof *cl->numbers)))
    ok = 0;
  for (i = 0; ok && i < n; i++)
    if (!(cl->numbers[cl->n++] = val_dup(r, i, 0, &ok)))
      ok = 0;
  PQclear(r);
  if (!ok)
    goto oom;
  if (!cl->n && ++tries < 8) {
    /* another node claimed them between this statement's snapshot and
       the lock: look for the next one */
    store_claimed_clear(cl);
    goto again;
  }
  if (cl->n)
    qsort(cl->numbers, cl->n, sizeof *cl->numbers, cmp_str);
  a->found = cl->n > 0;
  return 0;
oom:
  store_set_err(err, errlen, "out of memory");
  return -1;
}

static int pg_queue_claim(store_db *db_, const char *token, int64_t now,
                          store_claimed *c, int64_t *next_due, char *err,
                          size_t errlen) {
  pg_db *db = (pg_db *)db_;
  claim_arg a;
  memset(&a, 0, sizeof a);
  memset(c, 0, sizeof *c);
  a.db = db;
  a.token = token;
  a.c = c;
  snprintf(a.now, sizeof a.now, "%lld", (long long)now);
  if (tx(db, claim_body, &a, err, errlen)) {
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

static int unclaim_body(pg_db *db, pconn *c, void *arg, char *err,
                        size_t errlen) {
  token_arg *a = arg;
  return pxc(px(db, c, P_UNCLAIM, err, errlen, 1, a->token), NULL);
}

static int pg_queue_unclaim(store_db *db, const char *token, char *err,
                            size_t errlen) {
  token_arg a = {token, 0};
  return tx((pg_db *)db, unclaim_body, &a, err, errlen);
}

/* Recipients `sending` whose lease ran out become `unknown` (their node
   stopped with the request possibly gone), and claims that ran out are
   free again. */
static int expire_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  token_arg *a = arg;
  char now[24];
  now_text(now);
  if (pxc(px(db, c, P_EXPIRE_SENDING, err, errlen, 1, now), &a->changed))
    return -1;
  return pxc(px(db, c, P_EXPIRE_CLAIMS, err, errlen, 0), NULL);
}

static int heartbeat_body(pg_db *db, pconn *c, void *arg, char *err,
                          size_t errlen) {
  token_arg *a = arg;
  if (pxc(px(db, c, P_HEARTBEAT, err, errlen, 2, a->token ? a->token : db->node,
             db->lease),
          NULL))
    return -1;
  return expire_body(db, c, arg, err, errlen);
}

static int pg_queue_heartbeat(store_db *db, const char *token, char *err,
                              size_t errlen) {
  token_arg a = {token, 0};
  return tx((pg_db *)db, heartbeat_body, &a, err, errlen);
}

static int pg_queue_recover(store_db *db, long *unknown, char *err,
                            size_t errlen) {
  token_arg a = {NULL, 0};
  if (tx((pg_db *)db, expire_body, &a, err, errlen))
    return -1;
  if (unknown)
    *unknown = a.changed;
  return 0;
}

typedef struct cancel_arg {
  const char *tenant, *id;
  int result;
} cancel_arg;

static int cancel_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  cancel_arg *a = arg;
  char now[24];
  long changed = 0;
  PGresult *r = px(db, c, P_CANCEL_FIND, err, errlen, 2, a->id, a->tenant);
  if (!r)
    return -1;
  a->result = PQntuples(r) == 0 ? 1 : 0;
  PQclear(r);
  if (a->result)
    return 0;
  now_text(now);
  if (pxc(px(db, c, P_CANCEL, err, errlen, 2, a->id, now), &changed))
    return -1;
  a->result = changed > 0 ? 0 : 2;
  return 0;
}

static int pg_message_cancel(store_db *db, const char *tenant, const char *id,
                             char *err, size_t errlen) {
  cancel_arg a = {tenant ? tenant : "", id, 0};
  if (tx((pg_db *)db, cancel_body, &a, err, errlen))
    return -1;
  return a.result;
}

/* ---------------------------------------------------------- key/value -- */

static int pg_kv_get(store_db *db_, const char *ns, const char *key,
                     char **value, int64_t *updated) {
  pg_db *db = (pg_db *)db_;
  PGresult *r;
  int ok = 1, ret;
  if (value)
    *value = NULL;
  if (updated)
    *updated = 0;
  if (!ns || !key)
    return -1;
  r = read1(db, P_KV_GET, 2, ns, key, NULL, NULL, NULL);
  if (!r)
    return -1;
  if (PQntuples(r) == 0)
    ret = 1;
  else {
    if (value)
      *value = val_dup(r, 0, 0, &ok);
    if (updated)
      *updated = val_int(r, 0, 1);
    ret = ok ? 0 : -1;
  }
  PQclear(r);
  return ret;
}

typedef struct kv_arg {
  const char *ns, *key, *value;
  char num[40];
  int64_t before;
  char *(*fn)(const char *old, void *ud);
  void *ud;
} kv_arg;

static int kv_set_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  kv_arg *a = arg;
  char now[24];
  now_text(now);
  return pxc(px(db, c, P_KV_SET, err, errlen, 4, a->ns, a->key, a->value, now),
             NULL);
}

static int kv_add_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  kv_arg *a = arg;
  char now[24];
  PGresult *r;
  now_text(now);
  r = px(db, c, P_KV_ADD, err, errlen, 4, a->ns, a->key, a->num, now);
  if (!r)
    return -1;
  a->before = PQntuples(r) > 0 ? val_int(r, 0, 0) : 0;
  PQclear(r);
  return 0;
}

static int kv_add_real_body(pg_db *db, pconn *c, void *arg, char *err,
                            size_t errlen) {
  kv_arg *a = arg;
  return pxc(px(db, c, P_KV_ADD_REAL, err, errlen, 3, a->ns, a->key, a->num),
             NULL);
}

static int kv_update_body(pg_db *db, pconn *c, void *arg, char *err,
                          size_t errlen) {
  kv_arg *a = arg;
  char *old = NULL, *val, now[24];
  PGresult *r;
  int ok = 1, rc;
  /* the key's lock, held until the commit: updates of one key by any
     node follow one another (a missing key has no row to lock) */
  if (pxc(px(db, c, P_KV_LOCK, err, errlen, 2, a->ns, a->key), NULL) ||
      !(r = px(db, c, P_KV_GET, err, errlen, 2, a->ns, a->key)))
    return -1;
  if (PQntuples(r) > 0)
    old = val_dup(r, 0, 0, &ok);
  PQclear(r);
  if (!ok)
    return -1;
  val = a->fn(old, a->ud);
  free(old);
  if (!val)
    return 0;
  now_text(now);
  rc = pxc(px(db, c, P_KV_SET, err, errlen, 4, a->ns, a->key, val, now), NULL);
  free(val);
  return rc;
}

static int kv_tx(store_db *db, tx_body body, kv_arg *a) {
  if (!a->ns || !a->key)
    return -1;
  return tx((pg_db *)db, body, a, NULL, 0);
}

static int pg_kv_set(store_db *db, const char *ns, const char *key,
                     const char *value) {
  kv_arg a = {.ns = ns, .key = key, .value = value};
  return kv_tx(db, kv_set_body, &a);
}

static int pg_kv_add(store_db *db, const char *ns, const char *key,
                     int64_t delta, int64_t *before) {
  kv_arg a = {.ns = ns, .key = key};
  int rc;
  snprintf(a.num, sizeof a.num, "%" PRId64, delta);
  rc = kv_tx(db, kv_add_body, &a);
  if (before)
    *before = rc == 0 ? a.before : 0;
  return rc;
}

static int pg_kv_add_real(store_db *db, const char *ns, const char *key,
                          double delta) {
  kv_arg a = {.ns = ns, .key = key};
  snprintf(a.num, sizeof a.num, "%.17g", delta);
  return kv_tx(db, kv_add_real_body, &a);
}

static int pg_kv_update(store_db *db, const char *ns, const char *key,
                        char *(*fn)(const char *old, void *ud), void *ud) {
  kv_arg a = {.ns = ns, .key = key, .fn = fn, .ud = ud};
  return kv_tx(db, kv_update_body, &a);
}

const store_backend store_pg_backend = {
    .name = "postgresql",
    .close = pg_close,
    .flush = pg_flush,
    .reserve = pg_reserve,
    .queue_put = pg_queue_put,
    .queue_claim = pg_queue_claim,
    .queue_unclaim = pg_queue_unclaim,
    .queue_heartbeat = pg_queue_heartbeat,
    .queue_recover = pg_queue_recover,
    .message_read = pg_message_read,
    .message_ids = pg_message_ids,
    .message_cancel = pg_message_cancel,
    .queue_counts = pg_queue_counts,
    .mark_sending = pg_mark_sending,
    .finish = pg_finish,
    .provider_of = pg_provider_of,
    .prune = pg_prune,
    .commits = pg_commits,
    .kv_get = pg_kv_get,
    .kv_set = pg_kv_set,
    .kv_add = pg_kv_add,
    .kv_add_real = pg_kv_add_real,
    .kv_update = pg_kv_update,
};
