/* Unit test of the store (core/store*.c): recipients keyed by (tenant, ref,
 * number) with the message fingerprint (new, duplicate, conflict, retry,
 * possibly sent), the state machine, group commit, damage never taken for
 * a fresh start, the key/value store (atomic under threads and
 * processes), the queue's claims, cancel and recovery, prune; the status
 * history, delivery reports (ranks, repeats, reports before the send's
 * answer), replies, opt-outs, the webhook outbox, polling, and the
 * migration of a store of the previous schema.
 *
 *   test_store                      SQLite, in a temporary directory
 *   test_store URL FRESH_URL [V1_URL]
 *                                   the backend-neutral parts again on
 *                                   PostgreSQL (tests/store-pg.sh): URL a
 *                                   database, FRESH_URL an empty one,
 *                                   V1_URL an empty one for the migration
 *                                   of a schema 1 store */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "check.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NPROC 8
#define NADD 200

static char base[64];

static void path_join(char *out, size_t n, const char *a, const char *b) {
  snprintf(out, n, "%s/%s", a, b);
}

static int mode_of(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0)
    return -1;
  return (int)(st.st_mode & 07777);
}

static void rm_rf(const char *path) {
  pid_t pid = fork();
  if (pid == 0) {
    execlp("rm", "rm", "-rf", path, (char *)NULL);
    _exit(127);
  }
  if (pid > 0)
    waitpid(pid, NULL, 0);
}

/* Read one pragma of dir/state.db straight from SQLite. */
static char *pragma_of(const char *dir, const char *pragma) {
  char path[512], sql[64];
  sqlite3 *s = NULL;
  sqlite3_stmt *st = NULL;
  char *out = NULL;
  path_join(path, sizeof path, dir, "state.db");
  snprintf(sql, sizeof sql, "PRAGMA %s", pragma);
  if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(s, sql, -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(s);
  return out;
}

static store_db *open_any(const char *where, int *created, char *err,
                          size_t errlen);

static store_db *open_ok(const char *dir, int *created, const char *name) {
  char err[512] = "";
  store_db *db = open_any(dir, created, err, sizeof err);
  CHECK(db != NULL, name);
  if (!db)
    printf("#   %s\n", err);
  return db;
}

static void test_open(const char *dir) {
  char parent[512], *p;
  int created = -1;
  store_db *db = open_ok(dir, &created, "open creates the directory and "
                                        "state.db");

  CHECK_INT_EQ(created, 1, "open says it created the store");
  CHECK_INT_EQ(mode_of(dir), 0700, "state_dir has mode 0700");
  snprintf(parent, sizeof parent, "%s", dir);
  p = strrchr(parent, '/');
  if (p)
    *p = '\0';
  CHECK_INT_EQ(mode_of(parent), 0700, "missing parent made with mode 0700");
  path_join(parent, sizeof parent, dir, "state.db");
  CHECK_INT_EQ(mode_of(parent), 0600, "state.db has mode 0600");
  path_join(parent, sizeof parent, dir, ".smsmux-store");
  CHECK(access(parent, F_OK) == 0, "the store's marker exists");
  store_close(db);

  p = pragma_of(dir, "user_version");
  CHECK_STR_EQ(p, "3", "schema user_version is 3");
  free(p);
  p = pragma_of(dir, "journal_mode");
  CHECK_STR_EQ(p, "wal", "journal_mode is WAL");
  free(p);

  created = -1;
  db = open_ok(dir, &created, "open again (schema present)");
  CHECK_INT_EQ(created, 0, "open again: not created");
  store_close(db);
}

/* reserve one number under ref with fingerprint fp */
static store_claim reserve1(store_db *db, const char *ref, const char *fp,
                            const char *number, int sending, store_rcpt *out,
                            char id[40]) {
  store_msg m;
  store_rcpt r;
  char err[512] = "";
  memset(&m, 0, sizeof m);
  memset(&r, 0, sizeof r);
  if (out)
    memset(out, 0, sizeof *out);
  m.ref = ref;
  m.fingerprint = fp;
  r.number = number;
  r.sending = sending;
  if (store_reserve(db, &m, &r, 1, sending ? "p1" : NULL, err, sizeof err)) {
    printf("#   %s\n", err);
    return (store_claim)-1;
  }
  if (id)
    memcpy(id, m.id, 40);
  if (out)
    *out = r;
  else
    store_rcpt_clear(&r);
  return r.claim;
}

static void finish1(store_db *db, const char *id, const char *number,
                    const char *state, const char *provider_id) {
  store_outcome o = {number, state, "p1", provider_id, NULL, NULL};
  store_attempt a = {"p1", strcmp(state, "failed") ? "ok" : "failed", NULL,
                     NULL, NULL};
  char err[256];
  store_finish(db, id, &o, 1, &a, 1);
  store_flush(db, err, sizeof err);
}

static void test_claims(store_db *db) {
  store_rcpt r;
  char id[40], id2[40], *prov = NULL;
  const char *fa = "aaaa", *fb = "bbbb";

  CHECK_INT_EQ(reserve1(db, "camp1", fa, "+33600000001", 1, NULL, id),
               STORE_CLAIM_NEW, "reserve: a new (ref, number) is new");
  CHECK(id[0] == 'm' && strlen(id) == 28, "reserve: a message id is made");
  CHECK_INT_EQ(reserve1(db, "camp1", fa, "+33600000001", 1, &r, NULL),
               STORE_CLAIM_POSSIBLY,
               "reserve: the same while `sending`: possibly sent");
  CHECK_STR_EQ(r.state, "sending", "reserve: ... its state is said");
  store_rcpt_clear(&r);
  finish1(db, id, "+33600000001", "accepted", "SMS-1");
  CHECK_INT_EQ(reserve1(db, "camp1", fa, "+33600000001", 1, &r, NULL),
               STORE_CLAIM_SENT, "reserve: same ref, number, content: sent");
  CHECK_STR_EQ(r.provider_id, "SMS-1", "reserve: ... with the provider's id");
  CHECK_STR_EQ(r.provider, "p1", "reserve: ... and the provider");
  store_rcpt_clear(&r);
  CHECK_INT_EQ(reserve1(db, "camp1", fb, "+33600000001", 1, &r, NULL),
               STORE_CLAIM_CONFLICT,
               "reserve: same ref and number, other content: conflict");
  CHECK_STR_EQ(r.message_id, id, "reserve: ... names the message");
  store_rcpt_clear(&r);
  CHECK_INT_EQ(reserve1(db, "camp1", fb, "+33600000002", 1, NULL, NULL),
               STORE_CLAIM_NEW,
               "reserve: same ref, another number: new (rows are keyed by "
               "number, not position)");
  CHECK_INT_EQ(reserve1(db, "camp2", fa, "+33600000001", 1, NULL, NULL),
               STORE_CLAIM_NEW, "reserve: another ref: new");
  CHECK_INT_EQ(reserve1(db, NULL, fa, "+33600000001", 1, NULL, NULL),
               STORE_CLAIM_NEW, "reserve: no ref: always new");

  /* failed: nothing accepted, safe to send again */
  CHECK_INT_EQ(reserve1(db, "camp3", fa, "+33600000003", 1, NULL, id),
               STORE_CLAIM_NEW, "reserve: camp3 new");
  finish1(db, id, "+33600000003", "failed", NULL);
  CHECK_INT_EQ(reserve1(db, "camp3", fa, "+33600000003", 1, NULL, id2),
               STORE_CLAIM_RETRY, "reserve: after `failed`: send again");
  finish1(db, id2, "+33600000003", "failed", NULL);
  CHECK_INT_EQ(reserve1(db, "camp3", fb, "+33600000003", 1, NULL, id2),
               STORE_CLAIM_RETRY,
               "reserve: after `failed`, another content may go (nothing "
               "went out)");
  finish1(db, id2, "+33600000003", "unknown", NULL);
  CHECK_INT_EQ(reserve1(db, "camp3", fa, "+33600000003", 1, NULL, NULL),
               STORE_CLAIM_CONFLICT,
               "reserve: after `unknown`, another content is a conflict");
  CHECK_INT_EQ(reserve1(db, "camp3", fb, "+33600000003", 1, NULL, NULL),
               STORE_CLAIM_POSSIBLY, "reserve: after `unknown`: never again");

  /* queued (reserved, never left): sent by the next run */
  CHECK_INT_EQ(reserve1(db, "camp4", fa, "+33600000004", 0, NULL, id),
               STORE_CLAIM_NEW, "reserve: queued");
  CHECK_INT_EQ(reserve1(db, "camp4", fa, "+33600000004", 0, NULL, NULL),
               STORE_CLAIM_RETRY, "reserve: still queued: send it");

  CHECK_INT_EQ(store_provider_of(db, "SMS-1", &prov), 0,
               "provider_of: by the provider's id");
  CHECK_STR_EQ(prov, "p1", "provider_of: the instance");
  free(prov);
  CHECK_INT_EQ(store_provider_of(db, "nope", &prov), 1,
               "provider_of: unknown id");
}

/* Concurrent durable writes from threads share commits (group commit). */
#define NTHREADS 4
static void *thread_work(void *arg) {
  store_db *db = arg;
  char *v = NULL, num[32];
  long bad = 0;
  int i;
  for (i = 0; i < NADD; i++) {
    char id[40];
    if (store_kv_add(db, "rr", "threads", 1, NULL) != 0)
      bad++;
    if (store_kv_get(db, "rr", "threads", &v, NULL) != 0)
      bad++;
    free(v);
    v = NULL;
    snprintf(num, sizeof num, "+3361%07d", (int)(pthread_self() % 1000) * 1000 + i);
    if (reserve1(db, NULL, "cccc", num, 1, NULL, id) != STORE_CLAIM_NEW)
      bad++;
  }
  return (void *)bad;
}

/* grouped: the backend commits concurrent writes together (SQLite's
   writer thread): fewer commits than writes, or the group commit is gone */
static void test_threads(store_db *db, int grouped) {
  pthread_t t[NTHREADS];
  char *v = NULL;
  long bad = 0;
  unsigned long c0 = store_commits(db), c1;
  int i, started = 0;
  for (i = 0; i < NTHREADS; i++)
    if (pthread_create(&t[i], NULL, thread_work, db) == 0)
      started++;
  for (i = 0; i < started; i++) {
    void *r = NULL;
    pthread_join(t[i], &r);
    bad += (long)r;
  }
  c1 = store_commits(db);
  CHECK_INT_EQ(started, NTHREADS, "threads: started");
  CHECK_INT_EQ(bad, 0, "threads: every call on the shared handle succeeded");
  store_kv_get(db, "rr", "threads", &v, NULL);
  CHECK_STR_EQ(v, "800", "threads: 4 threads x 200 kv adds = 800");
  free(v);
  printf("#   %d durable writes, %lu commits\n", 2 * NTHREADS * NADD, c1 - c0);
  if (grouped)
    CHECK(c1 - c0 < (unsigned long)(2 * NTHREADS * NADD),
          "threads: group commit: fewer commits than concurrent writes");
  else
    CHECK(c1 - c0 <= (unsigned long)(2 * NTHREADS * NADD),
          "threads: never more commits than writes");
  CHECK(c1 - c0 > 0, "threads: writes were committed");
}

static char *breaker_inc(const char *old, void *ud) {
  char *v = malloc(32);
  (void)ud;
  if (v)
    snprintf(v, 32, "%ld", old ? strtol(old, NULL, 10) + 1 : 1L);
  return v;
}

static void test_kv(store_db *db) {
  char *v = NULL;
  int64_t upd = 0, upd2 = 0, before = -1, t0 = (int64_t)time(NULL);
  int rc;

  rc = store_kv_get(db, "breaker", "smsmode", &v, &upd);
  CHECK_INT_EQ(rc, 1, "kv get of a missing key");
  CHECK(v == NULL, "... gives no value");
  CHECK_INT_EQ(store_kv_set(db, "breaker", "smsmode", "open"), 0, "kv set");
  rc = store_kv_get(db, "breaker", "smsmode", &v, &upd);
  CHECK_INT_EQ(rc, 0, "kv get after set");
  CHECK_STR_EQ(v, "open", "... gives the value");
  CHECK(upd >= t0 && upd <= t0 + 5, "... and its time");
  free(v);
  v = NULL;
  rc = store_kv_add(db, "rr", "default", 1, &before);
  CHECK_INT_EQ(rc, 0, "kv add to a missing key");
  CHECK_INT_EQ(before, 0, "... starts at 0");
  rc = store_kv_add(db, "rr", "default", 5, &before);
  CHECK_INT_EQ(before, 1, "kv add returns the previous value");
  rc = store_kv_add(db, "breaker", "smsmode", 1, &before);
  CHECK_INT_EQ(rc, -1, "kv add refuses a value that is not an integer");

  /* a balance spent keeps the time of its last reading */
  store_kv_set(db, "balance", "p1", "100.000000");
  store_kv_get(db, "balance", "p1", NULL, &upd);
  sleep(1);
  CHECK_INT_EQ(store_kv_add_real(db, "balance", "p1", -2.5), 0,
               "kv add_real");
  store_kv_get(db, "balance", "p1", &v, &upd2);
  CHECK_STR_EQ(v, "97.500000", "kv add_real: value goes down");
  CHECK_INT_EQ(upd2, upd, "kv add_real: the time stays the reading's");
  free(v);
  v = NULL;
  CHECK_INT_EQ(store_kv_add_real(db, "balance", "none", -1), 0,
               "kv add_real of a missing key: nothing");
  CHECK_INT_EQ(store_kv_get(db, "balance", "none", &v, NULL), 1,
               "kv add_real of a missing key: still missing");

  CHECK_INT_EQ(store_kv_update(db, "breaker", "x", breaker_inc, NULL), 0,
               "kv update");
  store_kv_update(db, "breaker", "x", breaker_inc, NULL);
  store_kv_get(db, "breaker", "x", &v, NULL);
  CHECK_STR_EQ(v, "2", "kv update: read-modify-write");
  free(v);
}

static void test_prune(store_db *db) {
  char id[40], err[256];
  long removed = -1;
  reserve1(db, "old", "dddd", "+33600000099", 1, NULL, id);
  finish1(db, id, "+33600000099", "accepted", "SMS-99");
  reserve1(db, "old", "dddd", "+33600000098", 0, NULL, NULL); /* queued */
  CHECK_INT_EQ(store_prune(db, (int64_t)time(NULL) + 10, &removed, err,
                           sizeof err),
               0, "prune");
  CHECK(removed >= 1, "prune: settled messages removed");
  CHECK_INT_EQ(reserve1(db, "old", "dddd", "+33600000099", 1, NULL, NULL),
               STORE_CLAIM_NEW, "prune: a pruned recipient is forgotten");
  CHECK_INT_EQ(reserve1(db, "old", "dddd", "+33600000098", 0, NULL, NULL),
               STORE_CLAIM_RETRY, "prune: a queued one is kept");
}

/* The queue: put, claim (one worker at a time), unclaim, cancel, and
   what recovery does with a `sending` row (pg: leases of SMSMUX_STORE_LEASE
   = 3 seconds; SQLite: no leases, a start recovers everything). */
static int put1(store_db *db, const char *ref, const char *number,
                int64_t not_before, char id[40]) {
  store_msg m;
  store_rcpt r[2];
  store_queue_info q = {"{\"text\":\"hi\"}", not_before, NULL, "gsm7", 1};
  char err[512] = "";
  int rc;
  memset(&m, 0, sizeof m);
  memset(r, 0, sizeof r);
  m.ref = ref;
  m.fingerprint = "qqqq";
  r[0].number = number;
  r[1].number = "+33699999999";
  rc = store_queue_put(db, &m, r, 2, &q, err, sizeof err);
  if (rc)
    printf("#   %s\n", err);
  store_rcpt_clear(&r[0]);
  store_rcpt_clear(&r[1]);
  memcpy(id, m.id, 40);
  return rc;
}

static int claim1(store_db *db, const char *token, char id[40]) {
  store_claimed c;
  int64_t next = 0;
  char err[512] = "";
  int rc = store_queue_claim(db, token, (int64_t)time(NULL), &c, &next, err,
                             sizeof err);
  if (rc < 0)
    printf("#   %s\n", err);
  if (rc == 0) {
    if (id)
      memcpy(id, c.id, 40);
    rc = c.n == 2 ? 0 : 10 + (int)c.n;
    store_claimed_clear(&c);
  }
  return rc;
}

static const char *state_of(store_db *db, const char *id,
                            const char *number, char *buf, size_t n) {
  store_message m;
  size_t i;
  snprintf(buf, n, "(none)");
  if (store_message_read(db, "", id, &m) != 0)
    return buf;
  for (i = 0; i < m.n_rcpts; i++)
    if (strcmp(m.rcpts[i].number, number) == 0)
      snprintf(buf, n, "%s", m.rcpts[i].state);
  store_message_clear(&m);
  return buf;
}

static void test_queue(store_db *db, int pg) {
  char id[40], got[40], id2[40], buf[32], err[512];
  int64_t next = 0;
  store_claimed c;
  long unknown = -1;
  unsigned long queued = 0, sending = 0;
  unsigned long queued0 = 0;
  char **ids = NULL;
  size_t n = 0, i;

  store_queue_counts(db, &queued0, &sending);
  CHECK_INT_EQ(put1(db, "q1", "+33611111111", 0, id), 0, "queue: put");
  CHECK_INT_EQ(put1(db, "q1", "+33611111111", 0, id2), 0,
               "queue: the same put again");
  CHECK_INT_EQ(put1(db, "q-later", "+33611111112", (int64_t)time(NULL) + 600,
                    id2),
               0, "queue: put one held for 10 minutes");
  CHECK_INT_EQ(store_queue_counts(db, &queued, &sending), 0, "queue: counts");
  CHECK_INT_EQ(queued - queued0, 4,
               "queue: 2 messages x 2 recipients queued");
  memset(got, 0, sizeof got);
  CHECK_INT_EQ(claim1(db, "worker-a", got), 0,
               "queue: worker a claims a due message, both recipients");
  CHECK_STR_EQ(got, id, "queue: ... the due one");
  CHECK_INT_EQ(claim1(db, "worker-b", NULL), 1,
               "queue: worker b finds nothing (a holds it, the other is "
               "held)");
  CHECK_INT_EQ(store_queue_claim(db, "worker-b", (int64_t)time(NULL), &c,
                                 &next, err, sizeof err),
               1, "queue: claim again");
  CHECK(next > (int64_t)time(NULL) + 500, "queue: next_due is the held one");
  CHECK_INT_EQ(store_message_cancel(db, "", id, err, sizeof err), 2,
               "queue: a claimed message cannot be cancelled");
  CHECK_INT_EQ(store_queue_unclaim(db, "worker-a", err, sizeof err), 0,
               "queue: unclaim");
  CHECK_INT_EQ(claim1(db, "worker-b", got), 0,
               "queue: after unclaim, worker b claims it");
  CHECK_INT_EQ(store_queue_heartbeat(db, "worker-b", err, sizeof err), 0,
               "queue: heartbeat");
  CHECK_INT_EQ(store_message_cancel(db, "", id2, err, sizeof err), 0,
               "queue: cancel the held one");
  CHECK_STR_EQ(state_of(db, id2, "+33611111112", buf, sizeof buf),
               "cancelled", "queue: ... its recipients are cancelled");
  CHECK_INT_EQ(store_message_cancel(db, "other", id2, err, sizeof err), 1,
               "queue: another tenant's message is not found");
  CHECK_INT_EQ(store_message_ids(db, "", NULL, 0, NULL, 10, &ids, &n), 0,
               "queue: list");
  CHECK(n >= 2 && strcmp(ids[0], ids[1]) > 0, "queue: newest first");
  for (i = 0; i < n; i++)
    free(ids[i]);
  free(ids);

  /* a send in flight: `sending` */
  {
    const char *nums[] = {"+33611111111"};
    CHECK_INT_EQ(store_mark_sending(db, id, nums, 1, "p1", err, sizeof err),
                 0, "queue: mark sending");
  }
  CHECK_INT_EQ(store_queue_recover(db, &unknown, err, sizeof err), 0,
               "queue: recover");
  if (!pg) {
    CHECK(unknown >= 1, "sqlite: a start recovers what was sending");
    CHECK_STR_EQ(state_of(db, id, "+33611111111", buf, sizeof buf), "unknown",
                 "sqlite: ... as unknown");
    return;
  }
  /* PostgreSQL: other nodes are alive; only expired leases are recovered */
  CHECK_STR_EQ(state_of(db, id, "+33611111111", buf, sizeof buf), "sending",
               "pg: recover leaves a live lease's `sending` row alone");
  CHECK_INT_EQ(claim1(db, "worker-c", NULL), 1,
               "pg: worker c finds nothing while b's lease runs");
  sleep(2);
  CHECK_INT_EQ(store_queue_heartbeat(db, "worker-b", err, sizeof err), 0,
               "pg: b's heartbeat after 2 s (lease 3 s)");
  sleep(2);
  CHECK_INT_EQ(claim1(db, "worker-c", NULL), 1,
               "pg: 4 s after the claim, the heartbeat kept it b's");
  sleep(3);
  unknown = -1;
  CHECK_INT_EQ(store_queue_recover(db, &unknown, err, sizeof err), 0,
               "pg: recover after b's lease ran out");
  CHECK(unknown >= 1, "pg: b's `sending` row is recovered");
  CHECK_STR_EQ(state_of(db, id, "+33611111111", buf, sizeof buf), "unknown",
               "pg: ... as unknown (it may have gone out)");
  memset(&c, 0, sizeof c);
  CHECK_INT_EQ(store_queue_claim(db, "worker-c", (int64_t)time(NULL), &c,
                                 &next, err, sizeof err),
               0, "pg: worker c takes over b's expired claim");
  CHECK(c.n == 1 && strcmp(c.numbers[0], "+33699999999") == 0,
        "pg: ... only the recipient still queued");
  store_claimed_clear(&c);
}

/* ------------------------------------------------------------ issue 13 -- */

/* Where the store under test is (a state_dir or a PostgreSQL URL): the
   checks below read and age rows there directly. */
static char where_db[512];

/* The first column of the first row of `sql` on the store, as a number
   (-1: failed). */
static long sql_long(const char *sql) {
  long v = -1;
  if (store_is_url(where_db)) {
    PGconn *c = PQconnectdb(where_db);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0)
      v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    else if (st == PGRES_COMMAND_OK)
      v = strtol(PQcmdTuples(r), NULL, 10);
    else
      printf("#   %s\n", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
  } else {
    char path[600];
    sqlite3 *s = NULL;
    sqlite3_stmt *st = NULL;
    int rc;
    path_join(path, sizeof path, where_db, "state.db");
    if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_busy_timeout(s, 5000) == SQLITE_OK &&
        sqlite3_prepare_v2(s, sql, -1, &st, NULL) == SQLITE_OK) {
      rc = sqlite3_step(st);
      if (rc == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
      else if (rc == SQLITE_DONE)
        v = (long)sqlite3_changes(s);
    }
    if (v < 0)
      printf("#   %s\n", sqlite3_errmsg(s));
    sqlite3_finalize(st);
    sqlite3_close(s);
  }
  return v;
}

/* Queue one message to `number` (callback_url may be NULL). */
static int put_cb(store_db *db, const char *number, const char *callback,
                  char id[40]) {
  store_msg m;
  store_rcpt r;
  store_queue_info q = {"{\"text\":\"hi\"}", 0, callback, "gsm7", 1};
  char err[512] = "";
  int rc;
  memset(&m, 0, sizeof m);
  memset(&r, 0, sizeof r);
  m.fingerprint = "eeee";
  r.number = number;
  rc = store_queue_put(db, &m, &r, 1, &q, err, sizeof err);
  if (rc)
    printf("#   %s\n", err);
  store_rcpt_clear(&r);
  memcpy(id, m.id, 40);
  return rc;
}

/* The outcome of one recipient through `provider`. */
static void finish_p(store_db *db, const char *id, const char *number,
                     const char *provider, const char *state,
                     const char *provider_id) {
  store_outcome o = {number, state, provider, provider_id, NULL, NULL};
  char err[256];
  store_finish(db, id, &o, 1, NULL, 0);
  store_flush(db, err, sizeof err);
}

static int report(store_db *db, const char *provider, const char *pid,
                  const char *number, const char *status, const char *code) {
  store_report r = {provider, pid, number, status, code, NULL, 0};
  char err[512] = "";
  int rc = store_report_apply(db, &r, err, sizeof err);
  if (rc < 0)
    printf("#   %s\n", err);
  return rc;
}

/* The history of message id as "status,status,..." (replies as
   "reply:TEXT"), and the seqs increasing. */
static const char *history_of(store_db *db, const char *id, char *buf,
                              size_t n) {
  store_message m;
  size_t i, o = 0;
  int64_t last = 0;
  snprintf(buf, n, "(none)");
  if (store_message_read(db, "", id, &m) != 0)
    return buf;
  buf[0] = '\0';
  for (i = 0; i < m.n_events && o < n; i++) {
    const store_event_row *e = &m.events[i];
    o += (size_t)snprintf(buf + o, n - o, "%s%s%s", i ? "," : "",
                          strcmp(e->kind, "reply") == 0 ? "reply:" : "",
                          strcmp(e->kind, "reply") == 0 ? e->text : e->status);
    if (e->seq <= last && o < n)
      o += (size_t)snprintf(buf + o, n - o, "(seq not increasing)");
    last = e->seq;
  }
  store_message_clear(&m);
  return buf;
}

static void test_history(store_db *db) {
  char id[40], id2[40], buf[256], err[512];
  const char *nums[] = {"+33612000001"};
  store_message m;
  unsigned long b0 = 0, b1 = 0;

  CHECK_INT_EQ(put_cb(db, "+33612000001", NULL, id), 0, "history: queue put");
  CHECK_STR_EQ(history_of(db, id, buf, sizeof buf), "queued",
               "history: queue_put writes `queued`");
  CHECK_INT_EQ(store_mark_sending(db, id, nums, 1, "p1", err, sizeof err), 0,
               "history: mark sending");
  CHECK_STR_EQ(history_of(db, id, buf, sizeof buf), "queued,sending",
               "history: mark_sending writes `sending`");
  store_webhook_backlog(db, &b0);
  finish_p(db, id, "+33612000001", "p1", "accepted", "H-1");
  CHECK_STR_EQ(history_of(db, id, buf, sizeof buf), "queued,sending,accepted",
               "history: finish writes `accepted`");
  store_webhook_backlog(db, &b1);
  CHECK_INT_EQ(b1, b0, "history: no webhook for a message without a "
                       "callback_url");
  if (store_message_read(db, "", id, &m) == 0) {
    CHECK(m.n_events == 3 && strcmp(m.events[2].provider, "p1") == 0 &&
              m.events[2].provider_id &&
              strcmp(m.events[2].provider_id, "H-1") == 0 &&
              m.events[2].at >= (int64_t)time(NULL) - 5,
          "history: the event has the provider, its id and the time");
    store_message_clear(&m);
  }

  CHECK_INT_EQ(report(db, "p1", "H-1", NULL, "delivered", "DELIVRD"), 0,
               "report: delivered is applied");
  CHECK_STR_EQ(history_of(db, id, buf, sizeof buf),
               "queued,sending,accepted,delivered",
               "report: ... one event");
  CHECK_STR_EQ(state_of(db, id, "+33612000001", buf, sizeof buf), "delivered",
               "report: ... the recipient is delivered");
  CHECK_INT_EQ(report(db, "p1", "H-1", NULL, "delivered", "DELIVRD"), 1,
               "report: the same report again changes nothing");
  CHECK_INT_EQ(report(db, "p1", "H-1", NULL, "sent", NULL), 1,
               "report: `sent` after `delivered` changes nothing");
  CHECK_INT_EQ(report(db, "p1", "H-1", NULL, "undelivered", NULL), 1,
               "report: a final status never changes");
  CHECK_STR_EQ(history_of(db, id, buf, sizeof buf),
               "queued,sending,accepted,delivered",
               "report: ... no event for any of them");
  CHECK_STR_EQ(state_of(db, id, "+33612000001", buf, sizeof buf), "delivered",
               "report: ... still delivered");
  CHECK_INT_EQ(report(db, "p2", "H-1", NULL, "delivered", NULL), 2,
               "report: the same id from another provider is not this one");

  /* sent, then delivered: two steps up */
  reserve1(db, NULL, "ffff", "+33612000002", 1, NULL, id2);
  finish_p(db, id2, "+33612000002", "p1", "accepted", "H-2");
  CHECK_INT_EQ(report(db, "p1", "H-2", "+33612000002", "sent", NULL), 0,
               "report: sent (by number) is applied");
  CHECK_INT_EQ(report(db, "p1", "H-2", "+33612000009", "delivered", NULL), 2,
               "report: another number with that id: none yet (pending)");
  CHECK_INT_EQ(report(db, "p1", "H-2", NULL, "accepted", NULL), 1,
               "report: accepted after sent changes nothing");
  CHECK_INT_EQ(report(db, "p1", "H-2", NULL, "delivered", NULL), 0,
               "report: delivered after sent is applied");
  CHECK_STR_EQ(history_of(db, id2, buf, sizeof buf),
               "sending,accepted,sent,delivered",
               "history: reserve `sending`, then each change once");

  /* cancel */
  CHECK_INT_EQ(put_cb(db, "+33612000003", NULL, id2), 0, "history: put");
  CHECK_INT_EQ(store_message_cancel(db, "", id2, err, sizeof err), 0,
               "history: cancel");
  CHECK_STR_EQ(history_of(db, id2, buf, sizeof buf), "queued,cancelled",
               "history: cancel writes `cancelled`");
}

/* A report that overtakes the send's answer. */
static void test_report_pending(store_db *db) {
  char id[40], buf[256];
  reserve1(db, NULL, "gggg", "+33612000011", 1, NULL, id);
  CHECK_INT_EQ(report(db, "p1", "E-1", NULL, "delivered", "0"), 2,
               "early report: no recipient has the id yet: kept (2)");
  CHECK_INT_EQ(report(db, "p1", "E-1", NULL, "delivered", "0"), 2,
               "early report: the same again: kept (2)");
  CHECK_INT_EQ(report(db, "p1", "E-1", NULL, "sent", NULL), 2,
               "early report: `sent` too: kept (2)");
  CHECK_STR_EQ(state_of(db, id, "+33612000011", buf, sizeof buf), "sending",
               "early report: the recipient is still sending");
  finish_p(db, id, "+33612000011", "p1", "accepted", "E-1");
  CHECK_STR_EQ(state_of(db, id, "+33612000011", buf, sizeof buf), "delivered",
               "early report: applied by the finish that records the id");
  CHECK_STR_EQ(history_of(db, id, buf, sizeof buf),
               "sending,accepted,sent,delivered",
               "early report: ... after `accepted`, in order, once each");
  CHECK_INT_EQ(report(db, "p1", "E-1", NULL, "delivered", "0"), 1,
               "early report: once applied, a repeat changes nothing");
  CHECK_INT_EQ(sql_long("SELECT count(*) FROM reports_pending WHERE "
                        "provider_id = 'E-1'"),
               0, "early report: no longer pending once applied");

  /* a recipient known but not sent yet (its provider id is recorded by
     a retry that failed): kept */
  reserve1(db, NULL, "gggg", "+33612000012", 1, NULL, id);
  finish_p(db, id, "+33612000012", "p1", "failed", "E-2");
  CHECK_INT_EQ(report(db, "p1", "E-2", NULL, "delivered", NULL), 2,
               "early report: a `failed` recipient is not moved: kept (2)");
  CHECK_STR_EQ(state_of(db, id, "+33612000012", buf, sizeof buf), "failed",
               "early report: ... it stays failed");
}

/* Replies: matched by the provider's id, by the latest message to the
   number, or not at all; idempotent on the provider's reply id. */
static void test_replies(store_db *db) {
  char id1[40], id2[40], id3[40], buf[256], err[512];
  char *tenant = NULL, *mid = NULL, cursor[40];
  store_reply_row *rows = NULL;
  size_t n = 0, i;
  int seen1 = 0, unmatched = 0;
  int64_t t0 = (int64_t)time(NULL);

  reserve1(db, NULL, "rrrr", "+33613000001", 1, NULL, id1);
  finish_p(db, id1, "+33613000001", "rp", "accepted", "RP-1");
  usleep(3000); /* ids sort by the millisecond */
  reserve1(db, NULL, "rrrr", "+33613000001", 1, NULL, id2);
  finish_p(db, id2, "+33613000001", "rp", "accepted", "RP-2");
  usleep(3000);
  reserve1(db, NULL, "rrrr", "+33613000001", 1, NULL, id3);
  finish_p(db, id3, "+33613000001", "other", "accepted", "RP-3");
  {
    store_reply r = {"rp", "MO-1", "+33613000001", "36180", "STOP",
                     "RP-1", 0};
    CHECK_INT_EQ(store_reply_add(db, &r, &tenant, &mid, err, sizeof err), 0,
                 "reply: recorded");
    CHECK_STR_EQ(mid, id1, "reply: matched by the provider's message id");
    CHECK_STR_EQ(tenant, "", "reply: ... the message's tenant");
    free(tenant);
    free(mid);
    tenant = mid = NULL;
    CHECK_INT_EQ(store_reply_add(db, &r, &tenant, &mid, err, sizeof err), 1,
                 "reply: the same reply id again is a repeat");
    CHECK_STR_EQ(mid, id1, "reply: ... naming the first one's message");
    free(tenant);
    free(mid);
    tenant = mid = NULL;
  }
  CHECK_STR_EQ(history_of(db, id1, buf, sizeof buf),
               "sending,accepted,reply:STOP",
               "reply: an event of its message, once");
  {
    store_reply r = {"rp", NULL, "+33613000001", NULL, "hello", NULL, 0};
    CHECK_INT_EQ(store_reply_add(db, &r, NULL, &mid, err, sizeof err), 0,
                 "reply without the provider's id: recorded");
    CHECK_STR_EQ(mid, id2,
                 "reply: ... matched to the latest message sent through "
                 "that provider to that number");
    free(mid);
    mid = NULL;
    CHECK_INT_EQ(store_reply_add(db, &r, NULL, &mid, err, sizeof err), 0,
                 "reply without a reply id: never a repeat");
    free(mid);
    mid = NULL;
  }
  {
    store_reply r = {"rp", "MO-2", "+33613999999", NULL, "who?", NULL, 0};
    CHECK_INT_EQ(store_reply_add(db, &r, &tenant, &mid, err, sizeof err), 0,
                 "reply from a number nothing was sent to: recorded");
    CHECK(mid == NULL, "reply: ... unmatched (no message)");
    CHECK_STR_EQ(tenant, "", "reply: ... the operator's");
    free(tenant);
    free(mid);
    tenant = mid = NULL;
  }
  {
    store_reply r = {"rp", "MO-3", "+33613000001", NULL, "x", "NOPE", 0};
    CHECK_INT_EQ(store_reply_add(db, &r, NULL, &mid, err, sizeof err), 0,
                 "reply to an unknown provider id: recorded");
    CHECK(mid == NULL, "reply: ... unmatched (not guessed from the number)");
    free(mid);
    mid = NULL;
  }
  CHECK_INT_EQ(store_replies_list(db, "", t0 - 5, NULL, 100, &rows, &n), 0,
               "replies: list");
  CHECK_INT_EQ(n, 5, "replies: the five recorded (a repeat is not)");
  for (i = 0; i < n; i++) {
    if (i && strcmp(rows[i - 1].id, rows[i].id) <= 0)
      CHECK(0, "replies: newest first");
    if (rows[i].message_id && strcmp(rows[i].message_id, id1) == 0) {
      seen1 = rows[i].reply_id && strcmp(rows[i].reply_id, "MO-1") == 0 &&
              strcmp(rows[i].from, "+33613000001") == 0 &&
              strcmp(rows[i].to, "36180") == 0 &&
              strcmp(rows[i].text, "STOP") == 0 &&
              strcmp(rows[i].provider, "rp") == 0 && rows[i].at >= t0 &&
              rows[i].id[0] == 'r';
    }
    unmatched += rows[i].message_id == NULL;
  }
  CHECK(seen1, "replies: the first, whole");
  CHECK_INT_EQ(unmatched, 2, "replies: the two unmatched ones");
  snprintf(cursor, sizeof cursor, "%s", n > 1 ? rows[1].id : "");
  store_reply_rows_free(rows, n);
  CHECK_INT_EQ(store_replies_list(db, "", t0 - 5, cursor, 100, &rows, &n), 0,
               "replies: list after a cursor");
  CHECK_INT_EQ(n, 3, "replies: ... the older ones only");
  store_reply_rows_free(rows, n);
  CHECK_INT_EQ(store_replies_list(db, "", t0 + 3600, NULL, 100, &rows, &n), 0,
               "replies: list since later");
  CHECK_INT_EQ(n, 0, "replies: ... none");
  store_reply_rows_free(rows, n);
  CHECK_INT_EQ(store_replies_list(db, "t-other", 0, NULL, 100, &rows, &n), 0,
               "replies: another tenant's list");
  CHECK_INT_EQ(n, 0, "replies: ... none");
  store_reply_rows_free(rows, n);
}

static void test_optouts(store_db *db) {
  char err[512];
  store_optout_row *rows = NULL;
  size_t n = 0;
  CHECK_INT_EQ(store_optout_has(db, "", "+33614000001"), 0,
               "opt-out: none at first");
  CHECK_INT_EQ(store_optout_set(db, "", "+33614000002", "reply", err,
                                sizeof err),
               0, "opt-out: set");
  CHECK_INT_EQ(store_optout_set(db, "", "+33614000001", "api", err,
                                sizeof err),
               0, "opt-out: set another");
  CHECK_INT_EQ(store_optout_set(db, "", "+33614000001", "cli", err,
                                sizeof err),
               1, "opt-out: set again: already");
  CHECK_INT_EQ(store_optout_has(db, "", "+33614000001"), 1, "opt-out: has");
  CHECK_INT_EQ(store_optout_has(db, "t1", "+33614000001"), 0,
               "opt-out: not for another tenant");
  CHECK_INT_EQ(store_optouts_list(db, "", NULL, 10, &rows, &n), 0,
               "opt-out: list");
  CHECK(n == 2 && strcmp(rows[0].number, "+33614000001") == 0 &&
            strcmp(rows[0].source, "api") == 0 &&
            rows[0].at >= (int64_t)time(NULL) - 5 &&
            strcmp(rows[1].number, "+33614000002") == 0,
        "opt-out: list by number, with the first source and the time");
  store_optout_rows_free(rows, n);
  CHECK_INT_EQ(store_optouts_list(db, "", "+33614000001", 10, &rows, &n), 0,
               "opt-out: list after a cursor");
  CHECK(n == 1 && strcmp(rows[0].number, "+33614000002") == 0,
        "opt-out: ... the next one");
  store_optout_rows_free(rows, n);
  CHECK_INT_EQ(store_optouts_list(db, "", NULL, 1, &rows, &n), 0,
               "opt-out: list, limit 1");
  CHECK_INT_EQ(n, 1, "opt-out: ... one");
  store_optout_rows_free(rows, n);
  CHECK_INT_EQ(store_optout_clear(db, "", "+33614000001", err, sizeof err), 0,
               "opt-out: clear");
  CHECK_INT_EQ(store_optout_clear(db, "", "+33614000001", err, sizeof err), 1,
               "opt-out: clear again: was not");
  CHECK_INT_EQ(store_optout_has(db, "", "+33614000001"), 0,
               "opt-out: cleared");
}

static int hook_claim(store_db *db, const char *token, int64_t now,
                      store_webhook *w, int64_t *next_due) {
  char err[512] = "";
  int rc = store_webhook_claim(db, token, now, w, next_due, err, sizeof err);
  if (rc < 0)
    printf("#   %s\n", err);
  return rc;
}

/* The webhook outbox: order per message, retries, give up, claims. */
static void test_webhooks(store_db *db, int pg) {
  char a[40], b[40], c[40], want[64], err[512];
  const char *nums[] = {"+33615000001"};
  int64_t now = (int64_t)time(NULL), next = -1, seq_a1;
  store_webhook w;
  unsigned long backlog = 99;
  int i;

  memset(&w, 0, sizeof w);
  for (i = 0; i < 200 && hook_claim(db, "drain", now + 86400, &w, NULL) == 0;
       i++) { /* what the tests before left */
    store_webhook_done(db, w.seq, err, sizeof err);
    store_webhook_clear(&w);
  }
  CHECK_INT_EQ(store_webhook_backlog(db, &backlog), 0, "webhooks: backlog");
  CHECK_INT_EQ(backlog, 0, "webhooks: ... empty at first");

  put_cb(db, "+33615000001", "https://app.example/hook-a", a);
  put_cb(db, "+33615000002", "https://app.example/hook-b", b);
  store_mark_sending(db, a, nums, 1, "p1", err, sizeof err);
  now = (int64_t)time(NULL);
  store_webhook_backlog(db, &backlog);
  CHECK_INT_EQ(backlog, 3, "webhooks: 3 events pending (a queued, b queued, "
                           "a sending)");

  CHECK_INT_EQ(hook_claim(db, "h1", now, &w, &next), 0,
               "webhooks: h1 claims");
  CHECK_STR_EQ(w.message_id, a, "webhooks: ... the oldest event: a's");
  CHECK_STR_EQ(w.ev.status, "queued", "webhooks: ... `queued`");
  CHECK_STR_EQ(w.ev.kind, "status", "webhooks: ... a status event");
  CHECK_STR_EQ(w.ev.number, "+33615000001", "webhooks: ... its number");
  CHECK_STR_EQ(w.url, "https://app.example/hook-a",
               "webhooks: ... to the message's callback_url");
  CHECK_STR_EQ(w.tenant, "", "webhooks: ... the message's tenant");
  snprintf(want, sizeof want, "%s-%lld", a, (long long)w.seq);
  CHECK_STR_EQ(w.event_id, want, "webhooks: event id = message id-seq");
  CHECK(w.attempts == 0 && w.first_at >= now - 5 && w.first_at <= now + 5,
        "webhooks: ... no attempt yet, recorded now");
  seq_a1 = w.seq;
  store_webhook_clear(&w);
  CHECK_INT_EQ(hook_claim(db, "h2", now, &w, &next), 0,
               "webhooks: h2 claims");
  CHECK_STR_EQ(w.message_id, b,
               "webhooks: ... b's, not a's second (a's first is pending)");
  CHECK_INT_EQ(store_webhook_retry(db, w.seq, now + 300, 1, err, sizeof err),
               0, "webhooks: b's event given up");
  store_webhook_clear(&w);
  CHECK_INT_EQ(hook_claim(db, "h3", now, &w, &next), 1,
               "webhooks: h3 finds nothing (a's second waits for its first)");
  CHECK_INT_EQ(store_webhook_retry(db, seq_a1, now + 100, 0, err, sizeof err),
               0, "webhooks: a's first failed: due again in 100 s");
  CHECK_INT_EQ(hook_claim(db, "h3", now, &w, &next), 1,
               "webhooks: nothing due now");
  CHECK_INT_EQ(next, now + 100, "webhooks: ... next due: a's first's retry");
  CHECK_INT_EQ(hook_claim(db, "h3", now + 100, &w, &next), 0,
               "webhooks: at its time, claimed again");
  CHECK(w.seq == seq_a1 && w.attempts == 1,
        "webhooks: ... a's first, one failed attempt");
  CHECK_INT_EQ(store_webhook_done(db, w.seq, err, sizeof err), 0,
               "webhooks: delivered");
  store_webhook_clear(&w);
  CHECK_INT_EQ(hook_claim(db, "h3", now, &w, &next), 0,
               "webhooks: then a's second");
  CHECK(w.seq > seq_a1 && strcmp(w.message_id, a) == 0 &&
            strcmp(w.ev.status, "sending") == 0,
        "webhooks: ... `sending`, after its first");
  store_webhook_done(db, w.seq, err, sizeof err);
  store_webhook_clear(&w);
  store_webhook_backlog(db, &backlog);
  CHECK_INT_EQ(backlog, 0, "webhooks: none left (delivered or given up)");
  CHECK_INT_EQ(hook_claim(db, "h3", now, &w, &next), 1,
               "webhooks: nothing to claim");
  CHECK_INT_EQ(next, 0, "webhooks: ... nothing due later");
  CHECK_INT_EQ(sql_long("SELECT count(*) FROM events WHERE message_id IN "
                        "(SELECT id FROM messages WHERE callback_url LIKE "
                        "'https://app.example/hook-%')"),
               3, "webhooks: the events stay in the history");

  /* a reply to a message with a callback_url: after its earlier events */
  {
    store_reply r = {"p1", "MO-W", "+33615000001", "36180", "thanks", "W-1",
                     0};
    store_report rep = {"p1", "W-1", NULL, "delivered", NULL, NULL, 0};
    char *mid = NULL;
    finish_p(db, a, "+33615000001", "p1", "accepted", "W-1");
    store_report_apply(db, &rep, err, sizeof err);
    CHECK_INT_EQ(store_reply_add(db, &r, NULL, &mid, err, sizeof err), 0,
                 "webhooks: a reply to a");
    now = (int64_t)time(NULL); /* the events are due from when they were made */
    free(mid);
    store_webhook_backlog(db, &backlog);
    CHECK_INT_EQ(backlog, 3, "webhooks: accepted, delivered, the reply");
    hook_claim(db, "h1", now, &w, &next);
    CHECK_STR_EQ(w.ev.status, "accepted", "webhooks: accepted first");
    CHECK_STR_EQ(w.ev.provider_id, "W-1", "webhooks: ... with the id");
    store_webhook_done(db, w.seq, err, sizeof err);
    store_webhook_clear(&w);
    hook_claim(db, "h1", now, &w, &next);
    CHECK_STR_EQ(w.ev.status, "delivered", "webhooks: then delivered");
    store_webhook_done(db, w.seq, err, sizeof err);
    store_webhook_clear(&w);
    hook_claim(db, "h1", now, &w, &next);
    CHECK_STR_EQ(w.ev.kind, "reply", "webhooks: then the reply");
    CHECK(w.ev.text && strcmp(w.ev.text, "thanks") == 0 && w.ev.number &&
              strcmp(w.ev.number, "+33615000001") == 0 && w.ev.provider_id &&
              w.ev.provider_id[0] == 'r' && w.ev.status &&
              strcmp(w.ev.status, "36180") == 0 && w.ev.code &&
              strcmp(w.ev.code, "MO-W") == 0,
          "webhooks: ... its text, who sent it, to what, smsmux's id of "
          "it, the provider's");
    store_webhook_done(db, w.seq, err, sizeof err);
    store_webhook_clear(&w);
  }

  /* claims: held until released (SQLite: recover at start; PostgreSQL:
     a lease) */
  put_cb(db, "+33615000003", "https://app.example/hook-c", c);
  now = (int64_t)time(NULL);
  CHECK_INT_EQ(hook_claim(db, "h1", now, &w, &next), 0, "webhooks: h1 claims c");
  store_webhook_clear(&w);
  CHECK_INT_EQ(hook_claim(db, "h2", now, &w, &next), 1,
               "webhooks: h2 cannot while h1 holds it");
  if (!pg) {
    long unknown = 0;
    store_queue_recover(db, &unknown, err, sizeof err);
  } else {
    CHECK_INT_EQ(store_queue_heartbeat(db, "h1", err, sizeof err), 0,
                 "pg webhooks: h1's heartbeat");
    sleep(2);
    CHECK_INT_EQ(store_queue_heartbeat(db, "h1", err, sizeof err), 0,
                 "pg webhooks: h1's heartbeat after 2 s (lease 3 s)");
    sleep(2);
    CHECK_INT_EQ(hook_claim(db, "h2", now, &w, &next), 1,
                 "pg webhooks: 4 s after the claim, still h1's");
    sleep(4);
    {
      long unknown = 0;
      store_queue_recover(db, &unknown, err, sizeof err);
    }
    CHECK_INT_EQ(sql_long("SELECT count(*) FROM webhooks WHERE claimed_by "
                          "IS NOT NULL"),
                 0, "pg webhooks: recover released the expired claim");
  }
  CHECK_INT_EQ(hook_claim(db, "h2", now, &w, &next), 0,
               pg ? "pg webhooks: h1's lease ran out: h2 takes it"
                  : "webhooks: recover released h1's claim: h2 takes it");
  CHECK_STR_EQ(w.message_id, c, "webhooks: ... c's");
  store_webhook_done(db, w.seq, err, sizeof err);
  store_webhook_clear(&w);
}

static void test_polling(store_db *db) {
  char id[40], err[512];
  store_poll_row *rows = NULL;
  size_t n = 0;
  int64_t now = (int64_t)time(NULL);
  (void)err;
  reserve1(db, NULL, "pppp", "+33616000001", 1, NULL, id);
  finish_p(db, id, "+33616000001", "pollp", "accepted", "PL-1");
  reserve1(db, NULL, "pppp", "+33616000002", 1, NULL, NULL); /* sending */
  CHECK_INT_EQ(store_poll_due(db, "pollp", now, now - 60, 10, &rows, &n), 0,
               "poll: due");
  CHECK(n == 1 && strcmp(rows[0].message_id, id) == 0 &&
            strcmp(rows[0].number, "+33616000001") == 0 &&
            strcmp(rows[0].provider, "pollp") == 0 &&
            strcmp(rows[0].provider_id, "PL-1") == 0 && rows[0].polls == 0 &&
            rows[0].since >= now - 5,
        "poll: the accepted recipient, never polled");
  store_poll_rows_free(rows, n);
  CHECK_INT_EQ(store_poll_due(db, "nopoll", now, now - 60, 10, &rows, &n), 0,
               "poll: another provider");
  CHECK_INT_EQ(n, 0, "poll: ... has none");
  store_poll_rows_free(rows, n);
  CHECK_INT_EQ(store_poll_mark(db, id, "+33616000001", now + 60), 0,
               "poll: mark");
  store_poll_due(db, "pollp", now, now - 60, 10, &rows, &n);
  CHECK_INT_EQ(n, 0, "poll: not due before its next poll");
  store_poll_rows_free(rows, n);
  store_poll_due(db, "pollp", now + 60, now - 60, 10, &rows, &n);
  CHECK(n == 1 && rows[0].polls == 1, "poll: due again, polled once");
  store_poll_rows_free(rows, n);
  store_poll_due(db, "pollp", now + 60, now + 30, 10, &rows, &n);
  CHECK_INT_EQ(n, 0, "poll: past its deadline: not due");
  store_poll_rows_free(rows, n);
  report(db, "pollp", "PL-1", NULL, "sent", NULL);
  store_poll_due(db, "pollp", now + 60, now - 60, 10, &rows, &n);
  CHECK_INT_EQ(n, 1, "poll: `sent` is still polled");
  store_poll_rows_free(rows, n);
  report(db, "pollp", "PL-1", NULL, "delivered", NULL);
  store_poll_due(db, "pollp", now + 60, now - 60, 10, &rows, &n);
  CHECK_INT_EQ(n, 0, "poll: a final status is not");
  store_poll_rows_free(rows, n);
}

/* What prune removes besides messages: their events, replies and
   webhooks, unmatched replies, reports pending for over 2 days. */
static void test_prune13(store_db *db) {
  char id[40], err[512];
  long removed = 0;
  unsigned long backlog = 9;
  store_reply_row *rows = NULL;
  size_t n = 9;
  store_reply r = {"pr", "MO-P", "+33617000001", NULL, "bye", "PR-1", 0};
  store_reply u = {"pr", "MO-U", "+33617999999", NULL, "?", NULL, 0};
  int64_t now = (int64_t)time(NULL);

  put_cb(db, "+33617000001", "https://app.example/p", id);
  {
    const char *nums[] = {"+33617000001"};
    store_mark_sending(db, id, nums, 1, "pr", err, sizeof err);
  }
  finish_p(db, id, "+33617000001", "pr", "accepted", "PR-1");
  store_reply_add(db, &r, NULL, NULL, err, sizeof err);
  store_reply_add(db, &u, NULL, NULL, err, sizeof err);
  report(db, "pr", "PR-OLD", NULL, "delivered", NULL);
  report(db, "pr", "PR-NEW", NULL, "delivered", NULL);
  CHECK_INT_EQ(sql_long("UPDATE reports_pending SET created = created - "
                        "172860 WHERE provider_id = 'PR-OLD'"),
               1, "prune: a report pending for over 2 days");
  CHECK(sql_long("SELECT count(*) FROM events WHERE message_id = "
                 "(SELECT max(id) FROM messages WHERE callback_url = "
                 "'https://app.example/p')") == 4,
        "prune: the message has 4 events");
  CHECK_INT_EQ(store_prune(db, now + 10, &removed, err, sizeof err), 0,
               "prune (issue 13)");
  CHECK_INT_EQ(sql_long("SELECT count(*) FROM events WHERE message_id NOT "
                        "IN (SELECT id FROM messages)"),
               0, "prune: no event of a pruned message is left");
  {
    char q[160];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM events WHERE message_id = '%s'", id);
    CHECK_INT_EQ(sql_long(q), 0, "prune: ... the settled message's 4 are gone");
  }
  store_webhook_backlog(db, &backlog);
  CHECK_INT_EQ(backlog, 0, "prune: nor a webhook");
  store_replies_list(db, "", 0, NULL, 100, &rows, &n);
  CHECK_INT_EQ(n, 0, "prune: nor a reply, matched or not");
  store_reply_rows_free(rows, n);
  CHECK_INT_EQ(sql_long("SELECT count(*) FROM reports_pending WHERE "
                        "provider_id = 'PR-OLD'"),
               0, "prune: the report pending for over 2 days is dropped");
  CHECK_INT_EQ(sql_long("SELECT count(*) FROM reports_pending WHERE "
                        "provider_id = 'PR-NEW'"),
               1, "prune: a recent one is kept");
}

/* A store made by the previous version (schema 2, as it wrote it) is
   upgraded in place to 3, keeping its rows. */
static const char *const old_schema_v2 =
    "CREATE TABLE messages (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, "
    "ref TEXT, fingerprint TEXT NOT NULL, created INTEGER NOT NULL, "
    "request TEXT, not_before INTEGER NOT NULL DEFAULT 0, callback_url "
    "TEXT, encoding TEXT, segments INTEGER) WITHOUT ROWID;"
    "CREATE INDEX messages_by_tenant ON messages(tenant, id);"
    "CREATE TABLE recipients (message_id TEXT NOT NULL, tenant TEXT NOT "
    "NULL, ref TEXT, number TEXT NOT NULL, fingerprint TEXT NOT NULL, state "
    "TEXT NOT NULL, provider TEXT, provider_id TEXT, code TEXT, text TEXT, "
    "created INTEGER NOT NULL, updated INTEGER NOT NULL, claimed_by TEXT, "
    "PRIMARY KEY (message_id, number)) WITHOUT ROWID;"
    "CREATE INDEX recipients_queued ON recipients(state, message_id) WHERE "
    "state = 'queued';"
    "CREATE UNIQUE INDEX recipients_by_ref ON recipients(tenant, ref, "
    "number) WHERE ref IS NOT NULL;"
    "CREATE INDEX recipients_by_provider_id ON recipients(provider_id) "
    "WHERE provider_id IS NOT NULL;"
    "CREATE TABLE attempts (message_id TEXT NOT NULL, provider TEXT, "
    "outcome TEXT NOT NULL, class TEXT, code TEXT, message TEXT, at INTEGER "
    "NOT NULL);"
    "CREATE INDEX attempts_by_message ON attempts(message_id);"
    "CREATE TABLE kv (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT, "
    "updated INTEGER NOT NULL, PRIMARY KEY (ns, key));"
    "INSERT INTO messages VALUES ('m0000000000000000000000000001', '', "
    "'old-ref', 'ffff', 1700000000, NULL, 0, 'https://app.example/old', "
    "'gsm7', 1);"
    "INSERT INTO recipients VALUES ('m0000000000000000000000000001', '', "
    "'old-ref', '+33618000001', 'ffff', 'accepted', 'p1', 'OLD-1', NULL, "
    "NULL, 1700000000, 1700000000, NULL);"
    "INSERT INTO attempts VALUES ('m0000000000000000000000000001', 'p1', "
    "'ok', NULL, NULL, 'accepted 1 recipient(s)', 1700000000);"
    "INSERT INTO kv VALUES ('rr', 'default', '41', 1700000000);"
    "PRAGMA user_version = 2;";

static void test_migrate_v2(void) {
  char dir[256], path[300], err[512] = "", *v = NULL;
  sqlite3 *s = NULL;
  store_db *db;
  store_message m;
  store_rcpt r;
  int created = -1;
  snprintf(dir, sizeof dir, "%s/v2", base);
  mkdir(dir, 0700);
  path_join(path, sizeof path, dir, "state.db");
  CHECK(sqlite3_open(path, &s) == SQLITE_OK &&
            sqlite3_exec(s, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) ==
                SQLITE_OK &&
            sqlite3_exec(s, old_schema_v2, NULL, NULL, NULL) == SQLITE_OK,
        "v2: a store of schema 2 with a message");
  sqlite3_close(s);
  db = store_open(dir, &created, err, sizeof err);
  CHECK(db != NULL, "v2: opened");
  if (!db) {
    printf("#   %s\n", err);
    return;
  }
  CHECK_INT_EQ(created, 0, "v2: ... not created");
  v = pragma_of(dir, "user_version");
  CHECK_STR_EQ(v, "3", "v2: upgraded to user_version 3");
  free(v);
  v = NULL;
  CHECK_INT_EQ(store_message_read(db, "", "m0000000000000000000000000001", &m),
               0, "v2: its message is read back");
  CHECK(m.n_rcpts == 1 && strcmp(m.rcpts[0].state, "accepted") == 0 &&
            strcmp(m.rcpts[0].provider_id, "OLD-1") == 0 &&
            m.n_attempts == 1 && m.n_events == 0 && m.callback_url &&
            strcmp(m.callback_url, "https://app.example/old") == 0,
        "v2: ... its recipient, attempt, callback_url; no history yet");
  store_message_clear(&m);
  store_kv_get(db, "rr", "default", &v, NULL);
  CHECK_STR_EQ(v, "41", "v2: its key/value rows are kept");
  free(v);
  memset(&r, 0, sizeof r);
  CHECK_INT_EQ(reserve1(db, "old-ref", "ffff", "+33618000001", 1, NULL, NULL),
               STORE_CLAIM_SENT, "v2: its ref still guards the number");
  CHECK_INT_EQ(report(db, "p1", "OLD-1", NULL, "delivered", NULL), 0,
               "v2: a report for its message is applied");
  CHECK_INT_EQ(store_message_read(db, "", "m0000000000000000000000000001", &m),
               0, "v2: read again");
  CHECK(m.n_events == 1 && strcmp(m.events[0].status, "delivered") == 0 &&
            strcmp(m.rcpts[0].state, "delivered") == 0,
        "v2: ... delivered, one event");
  store_message_clear(&m);
  {
    unsigned long backlog = 0;
    store_webhook_backlog(db, &backlog);
    CHECK_INT_EQ(backlog, 1, "v2: ... pending for its callback_url");
  }
  store_close(db);
}

/* Start NPROC children at once (they wait on a pipe), each running fn;
   returns their exit statuses in codes[]. */
static int run_children(int (*fn)(const char *), const char *dir,
                        int codes[NPROC]) {
  int gate[2], i, ok = 1;
  pid_t pids[NPROC];

  fflush(stdout);
  if (pipe(gate) != 0)
    return 0;
  for (i = 0; i < NPROC; i++) {
    pids[i] = fork();
    if (pids[i] < 0) {
      ok = 0;
      break;
    }
    if (pids[i] == 0) {
      char c;
      close(gate[1]);
      while (read(gate[0], &c, 1) < 0 && errno == EINTR)
        ;
      close(gate[0]);
      exit(fn(dir));
    }
  }
  close(gate[0]);
  close(gate[1]); /* go */
  for (i = 0; i < NPROC; i++) {
    int st = 0;
    codes[i] = -1;
    if (pids[i] <= 0)
      continue;
    if (waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st))
      codes[i] = WEXITSTATUS(st);
  }
  return ok;
}

/* `where`: a state_dir, or a PostgreSQL URL */
static store_db *open_any(const char *where, int *created, char *err,
                          size_t errlen) {
  return store_is_url(where) ? store_open_url(where, created, err, errlen)
                             : store_open(where, created, err, errlen);
}

static int child_add(const char *dir) {
  char err[512];
  store_db *db = open_any(dir, NULL, err, sizeof err);
  int i, fails = 0;
  if (!db) {
    fprintf(stderr, "child: %s\n", err);
    return 2;
  }
  for (i = 0; i < NADD; i++)
    if (store_kv_add(db, "rr", "race", 1, NULL) != 0 ||
        store_kv_update(db, "breaker", "race", breaker_inc, NULL) != 0)
      fails++;
  store_close(db);
  return fails ? 1 : 0;
}

static int child_reserve(const char *dir) {
  char err[512];
  store_db *db = open_any(dir, NULL, err, sizeof err);
  store_claim c;
  if (!db) {
    fprintf(stderr, "child: %s\n", err);
    return 20;
  }
  c = reserve1(db, "race-ref", "eeee", "+33600000001", 1, NULL, NULL);
  store_close(db);
  return c == STORE_CLAIM_NEW ? 10 : c == STORE_CLAIM_POSSIBLY ? 11 : 12;
}

/* A worker process: claims until nothing is due, sends (records each
   recipient accepted), and appends the id of each message it claimed to
   claims_log. */
static char claims_log[600];

static int child_claim(const char *dir) {
  char err[512], token[32], line[64];
  store_db *db = open_any(dir, NULL, err, sizeof err);
  int fd, rc;
  if (!db) {
    fprintf(stderr, "child: %s\n", err);
    return 2;
  }
  fd = open(claims_log, O_WRONLY | O_APPEND | O_CREAT, 0600);
  snprintf(token, sizeof token, "w%ld", (long)getpid());
  for (;;) {
    store_claimed c;
    int64_t next;
    size_t k;
    rc = store_queue_claim(db, token, (int64_t)time(NULL), &c, &next, err,
                           sizeof err);
    if (rc != 0)
      break;
    snprintf(line, sizeof line, "%s\n", c.id);
    if (write(fd, line, strlen(line)) < 0)
      rc = -1;
    for (k = 0; k < c.n; k++) {
      store_outcome o = {c.numbers[k], "accepted", "p1", NULL, NULL, NULL};
      store_finish(db, c.id, &o, 1, NULL, 0);
    }
    store_claimed_clear(&c);
  }
  close(fd);
  store_close(db);
  return rc == 1 ? 0 : 1;
}

/* NQUEUED messages queued, NPROC processes claiming at once: each
   message is claimed by exactly one of them. */
#define NQUEUED 60
static void test_claim_race(const char *dir) {
  static char ids[NQUEUED][40];
  char num[32], line[64];
  int codes[NPROC], i, clean = 1, twice = 0, never = 0, seen[NQUEUED];
  store_db *db = open_ok(dir, NULL, "claim race: open");
  FILE *f;
  if (!db)
    return;
  for (i = 0; i < NQUEUED; i++) {
    snprintf(num, sizeof num, "+3362%07d", i);
    if (put1(db, NULL, num, 0, ids[i]))
      clean = 0;
    seen[i] = 0;
  }
  store_close(db);
  CHECK(clean, "claim race: 60 messages queued");
  snprintf(claims_log, sizeof claims_log, "%s/claims.log", base);
  unlink(claims_log);
  CHECK(run_children(child_claim, dir, codes), "claim race: fork workers");
  for (i = 0; i < NPROC; i++)
    if (codes[i] != 0)
      clean = 0;
  CHECK(clean, "claim race: every worker claimed until nothing was due");
  f = fopen(claims_log, "r");
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    for (i = 0; i < NQUEUED; i++)
      if (strcmp(line, ids[i]) == 0)
        seen[i]++;
  }
  if (f)
    fclose(f);
  for (i = 0; i < NQUEUED; i++) {
    twice += seen[i] > 1;
    never += seen[i] == 0;
  }
  CHECK_INT_EQ(twice, 0, "claim race: no message claimed twice");
  CHECK_INT_EQ(never, 0, "claim race: every message claimed");
}

/* Two numbers under one ref, half the processes listing them in the other
   order: the rows are locked in opposite orders (a deadlock the store
   must run again, never an error).  Exit: 1 for each of the two it got
   new, 8 on an error. */
static int child_reserve_two(const char *dir) {
  static const char *const ab[] = {"+33600000071", "+33600000072"};
  char err[512];
  store_db *db = open_any(dir, NULL, err, sizeof err);
  store_msg m;
  store_rcpt r[2];
  int first = getpid() % 2, rc, i, got = 0;
  if (!db)
    return 8;
  memset(&m, 0, sizeof m);
  memset(r, 0, sizeof r);
  m.ref = "two-ref";
  m.fingerprint = "hhhh";
  r[0].number = ab[first];
  r[1].number = ab[1 - first];
  r[0].sending = r[1].sending = 1;
  rc = store_reserve(db, &m, r, 2, "p1", err, sizeof err);
  if (rc)
    fprintf(stderr, "child: %s\n", err);
  for (i = 0; i < 2; i++) {
    if (r[i].claim == STORE_CLAIM_NEW)
      got |= strcmp(r[i].number, ab[0]) == 0 ? 1 : 2;
    store_rcpt_clear(&r[i]);
  }
  store_close(db);
  return rc ? 8 : got;
}

static void test_concurrency(const char *dir, const char *fresh) {
  int codes[NPROC], i, zero = 0, one = 0, clean = 1;
  char *v = NULL;
  store_db *db;

  CHECK(run_children(child_add, dir, codes), "fork adders");
  for (i = 0; i < NPROC; i++)
    if (codes[i] != 0)
      clean = 0;
  CHECK(clean, "every concurrent kv add and update succeeded");
  db = open_ok(dir, NULL, "reopen after the adders");
  if (db) {
    store_kv_get(db, "rr", "race", &v, NULL);
    CHECK_STR_EQ(v, "1600", "8 processes x 200 kv adds = 1600");
    free(v);
    v = NULL;
    store_kv_get(db, "breaker", "race", &v, NULL);
    CHECK_STR_EQ(v, "1600",
                 "8 processes x 200 breaker updates = 1600 (none lost)");
    free(v);
    store_close(db);
  }
  /* A fresh directory: the children also race creating it and the schema. */
  CHECK(run_children(child_reserve, fresh, codes), "fork reservers");
  for (i = 0; i < NPROC; i++) {
    if (codes[i] == 10)
      zero++;
    else if (codes[i] == 11)
      one++;
  }
  CHECK_INT_EQ(zero, 1, "exactly one racing reserve gets (ref, number)");
  CHECK_INT_EQ(one, NPROC - 1, "the others see it possibly sent");

  CHECK(run_children(child_reserve_two, dir, codes),
        "fork reservers of two numbers in either order");
  zero = one = 0;
  clean = 1;
  for (i = 0; i < NPROC; i++) {
    if (codes[i] < 0 || codes[i] > 3)
      clean = 0;
    else {
      zero += codes[i] & 1;
      one += (codes[i] & 2) / 2;
    }
  }
  CHECK(clean, "two numbers in either order: every reserve succeeded");
  CHECK_INT_EQ(zero, 1, "... the first number went to exactly one");
  CHECK_INT_EQ(one, 1, "... the second number went to exactly one");
}

/* Damage is never taken for a fresh start. */
static void expect_damaged(const char *dir, const char *what,
                           const char *name) {
  char err[512] = "", label[256];
  store_db *db = store_open(dir, NULL, err, sizeof err);
  CHECK(db == NULL, name);
  store_close(db);
  snprintf(label, sizeof label, "%s: message says %s", name, what);
  CHECK(strstr(err, what) != NULL, label);
  snprintf(label, sizeof label, "%s: message names the dir", name);
  CHECK(strstr(err, dir) != NULL, label);
  printf("#   %s\n", err);
}

static void test_damage(void) {
  char dir[300], db_path[400], cmd[2048];
  store_db *db;
  int fd;

  snprintf(dir, sizeof dir, "%s/damage", base);
  path_join(db_path, sizeof db_path, dir, "state.db");
  db = open_ok(dir, NULL, "damage: a store");
  reserve1(db, "r", "ffff", "+33600000001", 1, NULL, NULL);
  store_close(db);

  fd = open(db_path, O_WRONLY | O_TRUNC); /* : > state.db */
  if (fd >= 0)
    close(fd);
  expect_damaged(dir, "empty (0 bytes)", "an emptied state.db is refused");

  snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", db_path, db_path,
           db_path);
  CHECK(system(cmd) == 0, "damage: rm state.db*");
  expect_damaged(dir, "missing although the store was set up",
                 "a removed state.db is refused (the marker stays)");

  fd = open(db_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd >= 0) {
    CHECK(write(fd, "not a database at all, just some text bytes......"
                    "..................................................",
                100) == 100,
          "damage: garbage written");
    close(fd);
  }
  expect_damaged(dir, "not an SQLite database", "a garbage state.db is "
                                                "refused");

  /* a real database cut in half */
  unlink(db_path);
  path_join(cmd, sizeof cmd, dir, ".smsmux-store");
  unlink(cmd);
  db = open_ok(dir, NULL, "damage: a fresh store again");
  {
    int i;
    char num[32];
    for (i = 0; i < 300; i++) {
      snprintf(num, sizeof num, "+336%08d", i);
      reserve1(db, "bulk", "gggg", num, 1, NULL, NULL);
    }
  }
  store_close(db);
  {
    sqlite3 *s = NULL; /* fold the WAL into the file, then cut the file */
    sqlite3_open(db_path, &s);
    sqlite3_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(s);
  }
  CHECK(truncate(db_path, 8192) == 0, "damage: truncate");
  expect_damaged(dir, "truncated", "a truncated state.db is refused");

  /* a newer schema */
  unlink(db_path);
  path_join(cmd, sizeof cmd, dir, ".smsmux-store");
  unlink(cmd);
  db = open_ok(dir, NULL, "damage: fresh once more");
  store_close(db);
  {
    sqlite3 *s = NULL;
    sqlite3_open(db_path, &s);
    sqlite3_exec(s, "PRAGMA user_version = 9", NULL, NULL, NULL);
    sqlite3_close(s);
  }
  expect_damaged(dir, "newer than this smsmux knows",
                 "a store of a newer schema is refused");
}

/* store_open(dir) fails, and its message names `dir`. */
static void expect_open_fails(const char *dir, const char *name) {
  char err[512] = "", label[256];
  store_db *db = store_open(dir, NULL, err, sizeof err);
  CHECK(db == NULL, name);
  store_close(db);
  snprintf(label, sizeof label, "%s: message names the dir", name);
  CHECK(strstr(err, dir) != NULL, label);
  snprintf(label, sizeof label, "%s: message says what to do", name);
  CHECK(strstr(err, "set state_dir in [smsmux]") != NULL, label);
  printf("#   %s\n", err);
  fflush(stdout); /* before any fork */
}

/* As root, permissions do not stop us: try them as nobody in a child. */
static int child_unwritable(const char *dir) {
  char err[512] = "";
  store_db *db;
  if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
    return 3;
  db = store_open(dir, NULL, err, sizeof err);
  if (db) {
    store_close(db);
    return 1;
  }
  if (!strstr(err, dir) || !strstr(err, "set state_dir in [smsmux]")) {
    fprintf(stderr, "child: unexpected message: %s\n", err);
    return 2;
  }
  printf("#   %s\n", err);
  fflush(stdout);
  return 0;
}

static int run_one(int (*fn)(const char *), const char *dir) {
  int st = 0;
  pid_t pid;
  fflush(stdout);
  pid = fork();
  if (pid == 0)
    exit(fn(dir));
  if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
    return -1;
  return WEXITSTATUS(st);
}

static void test_unwritable(void) {
  char file[256], under[300], ro[256], sub[300];
  int fd;

  path_join(file, sizeof file, base, "plain-file");
  fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd >= 0)
    close(fd);
  path_join(under, sizeof under, file, "state");
  expect_open_fails(under, "state_dir under a regular file is refused");
  {
    char err[512] = "";
    store_db *db = store_open("", NULL, err, sizeof err);
    CHECK(db == NULL, "an empty state_dir is refused");
    CHECK(strstr(err, "set state_dir in [smsmux]") != NULL,
          "an empty state_dir: message says what to do");
    store_close(db);
  }

  /* A read-only directory, reachable by anyone. */
  path_join(ro, sizeof ro, base, "ro");
  mkdir(ro, 0555);
  chmod(ro, 0555);
  chmod(base, 0755);
  path_join(sub, sizeof sub, ro, "state");
  CHECK_INT_EQ(run_one(child_unwritable, sub), 0,
               "state_dir in a read-only directory: refused, named");
  CHECK_INT_EQ(run_one(child_unwritable, ro), 0,
               "existing read-only state_dir: refused, named");
  chmod(base, 0700);
  chmod(ro, 0700);
}

/* Run SQL on `url` straight through libpq: 0 ok. */
static int pg_exec(const char *url, const char *sql) {
  PGconn *c = PQconnectdb(url);
  PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
  int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok)
    printf("#   %s\n", c ? PQerrorMessage(c) : "no connection");
  PQclear(r);
  PQfinish(c);
  return ok ? 0 : -1;
}

/* A PostgreSQL URL for another database of the same server. */
static void other_db(char *out, size_t n, const char *url, const char *user,
                     const char *name) {
  const char *q = strchr(url, '?');
  snprintf(out, n, "postgresql://%s@/%s%s", user, name, q ? q : "");
}

/* A PostgreSQL store with the tables of schema 1 (and rows) is migrated to
   2, keeping its rows. */
static void test_pg_migrate(const char *url) {
  static const char *const v1 =
      "CREATE TABLE schema_version (version INTEGER NOT NULL);"
      "INSERT INTO schema_version VALUES (1);"
      "CREATE TABLE messages (id TEXT COLLATE \"C\" PRIMARY KEY, tenant TEXT "
      "NOT NULL, ref TEXT, fingerprint TEXT NOT NULL, created BIGINT NOT "
      "NULL, request TEXT, not_before BIGINT NOT NULL DEFAULT 0, "
      "callback_url TEXT, encoding TEXT, segments INTEGER);"
      "CREATE TABLE recipients (message_id TEXT COLLATE \"C\" NOT NULL, "
      "tenant TEXT NOT NULL, ref TEXT, number TEXT COLLATE \"C\" NOT NULL, "
      "fingerprint TEXT NOT NULL, state TEXT NOT NULL, provider TEXT, "
      "provider_id TEXT, code TEXT, text TEXT, created BIGINT NOT NULL, "
      "updated BIGINT NOT NULL, claimed_by TEXT, lease_until BIGINT, "
      "PRIMARY KEY (message_id, number));"
      "CREATE UNIQUE INDEX recipients_by_ref ON recipients(tenant, ref, "
      "number) WHERE ref IS NOT NULL;"
      "CREATE TABLE attempts (seq BIGSERIAL PRIMARY KEY, message_id TEXT "
      "COLLATE \"C\" NOT NULL, provider TEXT, outcome TEXT NOT NULL, class "
      "TEXT, code TEXT, message TEXT, at BIGINT NOT NULL);"
      "CREATE TABLE kv (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT, "
      "updated BIGINT NOT NULL, PRIMARY KEY (ns, key));"
      "INSERT INTO messages VALUES ('m0000000000000000000000000001', '', "
      "'old-ref', 'ffff', 1700000000, NULL, 0, 'https://app.example/old', "
      "'gsm7', 1);"
      "INSERT INTO recipients VALUES ('m0000000000000000000000000001', '', "
      "'old-ref', '+33618000001', 'ffff', 'accepted', 'p1', 'OLD-1', NULL, "
      "NULL, 1700000000, 1700000000, NULL, NULL);"
      "INSERT INTO kv VALUES ('rr', 'default', '41', 1700000000);";
  char err[512] = "", *v = NULL, saved[512];
  store_db *db;
  store_message m;
  int created = -1;
  CHECK_INT_EQ(pg_exec(url, v1), 0, "pg v1: a store of schema 1");
  db = store_open_url(url, &created, err, sizeof err);
  CHECK(db != NULL, "pg v1: opened");
  if (!db) {
    printf("#   %s\n", err);
    return;
  }
  CHECK_INT_EQ(created, 0, "pg v1: ... not created");
  snprintf(saved, sizeof saved, "%s", where_db);
  snprintf(where_db, sizeof where_db, "%s", url);
  CHECK_INT_EQ(sql_long("SELECT max(version) FROM schema_version"), 2,
               "pg v1: migrated to schema_version 2");
  snprintf(where_db, sizeof where_db, "%s", saved);
  CHECK_INT_EQ(store_message_read(db, "", "m0000000000000000000000000001", &m),
               0, "pg v1: its message is read back");
  CHECK(m.n_rcpts == 1 && strcmp(m.rcpts[0].provider_id, "OLD-1") == 0 &&
            m.n_events == 0,
        "pg v1: ... its recipient; no history yet");
  store_message_clear(&m);
  store_kv_get(db, "rr", "default", &v, NULL);
  CHECK_STR_EQ(v, "41", "pg v1: its key/value rows are kept");
  free(v);
  CHECK_INT_EQ(report(db, "p1", "OLD-1", NULL, "delivered", NULL), 0,
               "pg v1: a report for its message is applied");
  if (store_message_read(db, "", "m0000000000000000000000000001", &m) == 0) {
    CHECK(m.n_events == 1 && strcmp(m.events[0].status, "delivered") == 0,
          "pg v1: ... one event");
    store_message_clear(&m);
  }
  store_close(db);
}

/* The backend-neutral parts on PostgreSQL; then its own damage rules. */
static int pg_main(const char *url, const char *fresh, const char *v1) {
  char err[512] = "", other[512];
  int created = -1;
  store_db *db;

  setenv("SMSMUX_STORE_LEASE", "3", 1);
  snprintf(base, sizeof base, "%s", "/tmp/smsmux-test-pg-XXXXXX");
  if (!mkdtemp(base)) {
    perror("mkdtemp");
    return 1;
  }
  db = open_ok(url, &created, "pg: open an empty database");
  CHECK_INT_EQ(created, 1, "pg: open says it created the tables");
  store_close(db);
  created = -1;
  snprintf(where_db, sizeof where_db, "%s", url);
  db = open_ok(url, &created, "pg: open again");
  CHECK_INT_EQ(created, 0, "pg: open again: not created");
  if (db) {
    test_claims(db);
    test_kv(db);
    test_threads(db, 0);
    test_queue(db, 1);
    test_history(db);
    test_report_pending(db);
    test_replies(db);
    test_optouts(db);
    test_webhooks(db, 1);
    test_polling(db);
    test_prune(db);
    test_prune13(db);
    store_close(db); /* before forking: children open their own */
    test_concurrency(url, fresh);
    test_claim_race(url);
  }

  if (v1)
    test_pg_migrate(v1);

  /* the password never shows, whatever fails */
  other_db(other, sizeof other, url, "postgres:s3cret-pw", "no_such_db");
  db = store_open_url(other, NULL, err, sizeof err);
  CHECK(db == NULL, "pg: a missing database is an error");
  store_close(db);
  printf("#   %s\n", err);
  CHECK(strstr(err, "s3cret-pw") == NULL, "pg: ... the password is not in it");
  CHECK(strstr(err, "postgres:***@/no_such_db") != NULL,
        "pg: ... the URL is, redacted");
  CHECK(strstr(err, "create the database") != NULL,
        "pg: ... and what to do");
  {
    char *r = store_url_redacted("postgresql://u:p%40ss@db.example/x?"
                                 "sslmode=require&password=two&a=b");
    CHECK_STR_EQ(r,
                 "postgresql://u:***@db.example/x?sslmode=require&"
                 "password=***&a=b",
                 "pg: redacted URL (userinfo and password=)");
    free(r);
  }

  /* a newer schema is refused */
  CHECK_INT_EQ(pg_exec(url, "UPDATE schema_version SET version = 9"), 0,
               "pg: schema_version set to 9");
  db = store_open_url(url, NULL, err, sizeof err);
  CHECK(db == NULL, "pg: a store of a newer schema is refused");
  store_close(db);
  CHECK(strstr(err, "newer than this smsmux knows") != NULL,
        "pg: ... message says so");
  printf("#   %s\n", err);
  /* a database holding other tables is not taken */
  other_db(other, sizeof other, url, "postgres", "smsmux_other");
  CHECK_INT_EQ(pg_exec(other, "CREATE TABLE someone_elses (x int)"), 0,
               "pg: a database with another application's table");
  db = store_open_url(other, NULL, err, sizeof err);
  CHECK(db == NULL, "pg: a database holding other tables is refused");
  store_close(db);
  CHECK(strstr(err, "not an smsmux store") != NULL,
        "pg: ... message says so");
  printf("#   %s\n", err);
  rm_rf(base);
  return CHECK_DONE();
}

int main(int argc, char **argv) {
  char dir[256], fresh[256];
  store_db *db;

  if (argc == 3 || argc == 4)
    return pg_main(argv[1], argv[2], argc == 4 ? argv[3] : NULL);
  snprintf(base, sizeof base, "%s", "/tmp/smsmux-test-state-XXXXXX");
  if (!mkdtemp(base)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(dir, sizeof dir, "%s/new/state", base);
  snprintf(fresh, sizeof fresh, "%s/fresh/state", base);

  test_open(dir);
  snprintf(where_db, sizeof where_db, "%s", dir);
  db = open_ok(dir, NULL, "open for the store tests");
  if (db) {
    test_claims(db);
    test_kv(db);
    test_threads(db, 1);
    test_queue(db, 0);
    test_history(db);
    test_report_pending(db);
    test_replies(db);
    test_optouts(db);
    test_webhooks(db, 0);
    test_polling(db);
    test_prune(db);
    test_prune13(db);
    store_close(db); /* before forking: children open their own */
    test_concurrency(dir, fresh);
    test_claim_race(dir);
  }
  test_migrate_v2();
  test_damage();
  test_unwritable();

  rm_rf(base);
  return CHECK_DONE();
}
