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
  CHECK_STR_EQ(p, "4", "schema user_version is 4");
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
  store_finish(db, id, NULL, &o, 1, &a, 1);
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
  store_queue_info q = {.request_json = "{\"text\":\"hi\"}",
                        .not_before = not_before,
                        .encoding = "gsm7",
                        .segments = 1};
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

/* store_mark_sending of one number of `id` under `claim`: its answer */
static int mark1(store_db *db, const char *id, const char *claim,
                 const char *number) {
  const char *nums[1];
  char err[512] = "";
  nums[0] = number;
  return store_mark_sending(db, id, claim, nums, 1, "p1", err, sizeof err);
}

/* `token` claims until it holds message `want` (the others it claims on
   the way stay its own): 1 when it does */
static int claim_until(store_db *db, const char *token, const char *want) {
  char got[40] = "";
  int i;
  for (i = 0; i < 1000 && strcmp(got, want) != 0; i++)
    if (claim1(db, token, got) == 1)
      break;
  return strcmp(got, want) == 0;
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
  CHECK_INT_EQ(mark1(db, id2, NULL, "+33611111112"), 1,
               "queue: a cancelled recipient is never marked sending");
  CHECK_STR_EQ(state_of(db, id2, "+33611111112", buf, sizeof buf),
               "cancelled", "queue: ... it stays cancelled");
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
    CHECK_INT_EQ(mark1(db, id, "worker-a", "+33611111111"), 1,
                 "queue: a worker whose claim is gone marks nothing");
    CHECK_INT_EQ(mark1(db, id, NULL, "+33611111111"), 1,
                 "queue: nor does a direct send on a claimed row");
    CHECK_STR_EQ(state_of(db, id, "+33611111111", buf, sizeof buf), "queued",
                 "queue: ... the row is still queued");
    CHECK_INT_EQ(mark1(db, id, "worker-b", "+33611111111"), 0,
                 "queue: the claim's holder marks it sending");
    {
      store_outcome o = {"+33611111111", "failed", "p1", NULL, "x", "no"};
      store_finish(db, id, "worker-a", &o, 1, NULL, 0);
      store_flush(db, err, sizeof err);
      CHECK_STR_EQ(state_of(db, id, "+33611111111", buf, sizeof buf),
                   "sending",
                   "queue: an outcome under another claim is not written");
    }
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
  store_queue_info q = {.request_json = "{\"text\":\"hi\"}",
                        .callback_url = callback,
                        .encoding = "gsm7",
                        .segments = 1};
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
  store_finish(db, id, NULL, &o, 1, NULL, 0);
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
/* PostgreSQL: a worker's claim runs out (its process paused past the
   lease, heartbeat included) and another worker takes the message over:
   the late worker's mark is refused, before and after the takeover, and
   the new holder's is not.  Lease: 3 s (pg_main). */
static const char *history_of(store_db *db, const char *id, char *buf,
                              size_t n);

static void test_claim_lost(store_db *db) {
  char x[40], y[40], buf[32], hist[256], err[512] = "";
  const char *nx = "+33611100001", *ny = "+33611100002";
  CHECK_INT_EQ(put1(db, NULL, nx, 0, x), 0, "claim lost: put");
  CHECK(claim_until(db, "w-old", x), "claim lost: w-old claims it");
  CHECK_INT_EQ(put1(db, NULL, ny, 0, y), 0, "claim lost: put y");
  CHECK(claim_until(db, "w-old", y), "claim lost: w-old claims y too");
  sleep(4);
  /* y: cancelled once its lease ran out, before any heartbeat */
  CHECK_INT_EQ(store_message_cancel(db, "", y, err, sizeof err), 0,
               "claim lost: y, its lease over, is cancelled");
  CHECK_INT_EQ(mark1(db, y, "w-old", ny), 1,
               "claim lost: w-old's mark of cancelled y is refused");
  CHECK_INT_EQ(mark1(db, y, NULL, ny), 1,
               "claim lost: ... and a direct send's");
  CHECK_STR_EQ(state_of(db, y, ny, buf, sizeof buf), "cancelled",
               "claim lost: ... y stays cancelled");
  CHECK_INT_EQ(store_queue_heartbeat(db, "w-other", err, sizeof err), 0,
               "claim lost: another node's heartbeat frees the lapsed claim");
  CHECK_INT_EQ(mark1(db, x, "w-old", nx), 1,
               "claim lost: freed, w-old's mark is refused");
  CHECK(claim_until(db, "w-new", x), "claim lost: w-new claims it");
  CHECK_INT_EQ(mark1(db, x, "w-old", nx), 1,
               "claim lost: taken over, w-old's mark is refused");
  CHECK_STR_EQ(state_of(db, x, nx, buf, sizeof buf), "queued",
               "claim lost: ... and changed nothing");
  CHECK_INT_EQ(mark1(db, x, "w-new", nx), 0,
               "claim lost: w-new marks it sending");
  CHECK_STR_EQ(state_of(db, x, nx, buf, sizeof buf), "sending",
               "claim lost: ... sending");
  {
    store_outcome o = {"+33611100001", "failed", "p1", NULL, "x", "late"};
    store_finish(db, x, "w-old", &o, 1, NULL, 0);
    CHECK_STR_EQ(state_of(db, x, nx, buf, sizeof buf), "sending",
                 "claim lost: w-old's late outcome is not written");
    CHECK_STR_EQ(history_of(db, x, hist, sizeof hist), "queued,queued,sending",
                 "claim lost: ... nor its event");
  }
  CHECK_INT_EQ(store_queue_unclaim(db, "w-new", err, sizeof err), 0,
               "claim lost: w-new gives back the rest");
}

/* Token buckets: shared by PostgreSQL (full at first, one token each,
   then the wait for one), left to the caller by SQLite. */
static void test_buckets(store_db *db, int pg) {
  char err[512] = "";
  unsigned wait = 0;
  int i, taken = 0;
  if (!pg) {
    CHECK_INT_EQ(store_bucket_take(db, "t-rate", 1, 3, &wait, err, sizeof err),
                 2, "buckets: SQLite leaves them to the caller");
    return;
  }
  for (i = 0; i < 3; i++)
    taken += store_bucket_take(db, "t-rate", 0.1, 3, &wait, err,
                               sizeof err) == 0;
  CHECK_INT_EQ(taken, 3, "buckets: a full bucket of 3 gives 3 tokens");
  CHECK_INT_EQ(store_bucket_take(db, "t-rate", 0.1, 3, &wait, err, sizeof err),
               1, "buckets: ... then none");
  CHECK(wait >= 9 && wait <= 10, "buckets: ... for the 10 s one takes at 0.1/s");
  CHECK_INT_EQ(store_bucket_take(db, "t-other", 0.1, 1, &wait, err,
                                 sizeof err),
               0, "buckets: another key has its own");
  CHECK_INT_EQ(store_bucket_take(db, "t-fast", 1000, 1, &wait, err,
                                 sizeof err),
               0, "buckets: at 1000/s, one token");
  usleep(20000);
  CHECK_INT_EQ(store_bucket_take(db, "t-fast", 1000, 1, &wait, err,
                                 sizeof err),
               0, "buckets: ... refilled 20 ms later");
}

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
  CHECK_INT_EQ(store_mark_sending(db, id, NULL, nums, 1, "p1", err, sizeof err), 0,
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
  store_mark_sending(db, a, NULL, nums, 1, "p1", err, sizeof err);
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
    CHECK_INT_EQ(store_queue_heartbeat(db, "h0,h1,h9", err, sizeof err), 0,
                 "pg webhooks: h1's heartbeat after 2 s (lease 3 s), in a "
                 "list of a node's tokens");
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
    store_mark_sending(db, id, NULL, nums, 1, "pr", err, sizeof err);
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

/* after a migration (TAG: the test's name for it): the old rr/default
 * value 41 is kept, and a tenant TENANT can be added and credited */
static void check_migrated(store_db *db, const char *tag, const char *tenant) {
  char name[160], err[512] = "", *v = NULL;
  store_tenant t;
  int64_t bal = -1;
  store_kv_get(db, "rr", "default", &v, NULL);
  snprintf(name, sizeof name, "%s: its key/value rows are kept", tag);
  CHECK_STR_EQ(v, "41", name);
  free(v);
  memset(&t, 0, sizeof t);
  t.name = (char *)tenant;
  snprintf(name, sizeof name, "%s: ... then tenants and the ledger work", tag);
  CHECK(store_tenant_add(db, &t, err, sizeof err) == 0 &&
            store_ledger_add(db, tenant, NULL, 7, "credit", "admin", &bal, err,
                             sizeof err) == 0 &&
            bal == 7,
        name);
}

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
  CHECK_STR_EQ(v, "4", "v2: upgraded to user_version 4 (3 then 4)");
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
  check_migrated(db, "v2", "v2-tenant");
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
      store_finish(db, c.id, NULL, &o, 1, NULL, 0);
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

/* ------------------------------------------------- tenants (issue 14) -- */

/* The store under test: a state_dir or a PostgreSQL URL. */
static const char *t_where;

/* Run SQL on the store under test, bypassing the store (tampering): 0 ok. */
static int raw_exec(const char *sql) {
  char path[512];
  sqlite3 *s = NULL;
  int rc;
  if (store_is_url(t_where))
    return pg_exec(t_where, sql);
  path_join(path, sizeof path, t_where, "state.db");
  if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    sqlite3_close(s);
    return -1;
  }
  sqlite3_busy_timeout(s, 5000);
  rc = sqlite3_exec(s, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    printf("#   %s\n", sqlite3_errmsg(s));
  sqlite3_close(s);
  return rc == SQLITE_OK ? 0 : -1;
}

/* 1 when `needle` is in the bytes of `path`. */
static int file_has(const char *path, const char *needle) {
  FILE *f = fopen(path, "rb");
  size_t n = strlen(needle), have = 0, cap = 0;
  char *buf = NULL;
  int found = 0;
  if (!f)
    return 0;
  for (;;) {
    size_t got;
    if (have + 65536 > cap) {
      char *b = realloc(buf, cap = (cap ? cap * 2 : 65536 * 2));
      if (!b)
        break;
      buf = b;
    }
    got = fread(buf + have, 1, cap - have, f);
    if (got == 0)
      break;
    have += got;
  }
  fclose(f);
  for (size_t i = 0; buf && n && i + n <= have && !found; i++)
    found = memcmp(buf + i, needle, n) == 0;
  free(buf);
  return found;
}

/* 1 when `needle` is in what the store keeps: SQLite's database and WAL
   files; on PostgreSQL, the text of every row of its tenant tables. */
static int store_holds(const char *needle) {
  char path[512];
  if (store_is_url(t_where)) {
    PGconn *c = PQconnectdb(t_where);
    PGresult *r =
        PQstatus(c) == CONNECTION_OK
            ? PQexec(c, "SELECT coalesce(string_agg(k::text, ' '), '') || "
                        "(SELECT coalesce(string_agg(t::text, ' '), '') FROM "
                        "tenants t) || (SELECT coalesce(string_agg(l::text, "
                        "' '), '') FROM ledger l) FROM api_keys k")
            : NULL;
    int found = r && PQresultStatus(r) == PGRES_TUPLES_OK &&
                PQntuples(r) == 1 && strstr(PQgetvalue(r, 0, 0), needle);
    PQclear(r);
    PQfinish(c);
    return found;
  }
  path_join(path, sizeof path, t_where, "state.db");
  if (file_has(path, needle))
    return 1;
  path_join(path, sizeof path, t_where, "state.db-wal");
  return file_has(path, needle);
}

static void tenant_new(store_tenant *t, const char *name, const char *parent) {
  memset(t, 0, sizeof *t);
  t->name = (char *)name;
  t->parent = (char *)parent;
}

static void test_tenant_rows(store_db *db) {
  store_tenant t, got, *rows = NULL;
  char err[512] = "";
  size_t n = 0;

  tenant_new(&t, "t-acme", NULL);
  t.plan = (char *)"gold";
  t.senders = (char *)"ACME,+33600000000";
  t.callback_url = (char *)"https://acme.example/hook";
  t.webhook_secret = (char *)"whsec";
  t.low_balance = 10;
  t.rate = 2.5;
  t.burst = 5;
  CHECK_INT_EQ(store_tenant_add(db, &t, err, sizeof err), 0,
               "tenant: add a reseller");
  CHECK_INT_EQ(store_tenant_add(db, &t, err, sizeof err), 1,
               "tenant: adding it again says it exists");
  tenant_new(&t, "t-cust", "t-acme");
  CHECK_INT_EQ(store_tenant_add(db, &t, err, sizeof err), 0,
               "tenant: add a customer of it");
  tenant_new(&t, "t-orphan", "t-nobody");
  CHECK_INT_EQ(store_tenant_add(db, &t, err, sizeof err), 2,
               "tenant: a missing parent is refused");
  CHECK_INT_EQ(store_tenant_get(db, "t-orphan", &got), 1,
               "tenant: ... and nothing was added");

  CHECK_INT_EQ(store_tenant_get(db, "t-acme", &got), 0, "tenant: get");
  CHECK_STR_EQ(got.plan, "gold", "tenant: ... plan");
  CHECK_STR_EQ(got.senders, "ACME,+33600000000", "tenant: ... senders");
  CHECK_STR_EQ(got.routes, NULL, "tenant: ... routes unset");
  CHECK_STR_EQ(got.callback_url, "https://acme.example/hook",
               "tenant: ... callback_url");
  CHECK_STR_EQ(got.webhook_secret, "whsec", "tenant: ... webhook_secret");
  CHECK_INT_EQ(got.balance, 0, "tenant: ... balance starts at 0");
  CHECK_INT_EQ(got.low_balance, 10, "tenant: ... low_balance");
  CHECK(got.rate == 2.5, "tenant: ... rate");
  CHECK_INT_EQ(got.burst, 5, "tenant: ... burst");
  CHECK_INT_EQ(got.enabled, 1, "tenant: ... enabled");
  CHECK(got.created > 0 && got.created <= (int64_t)time(NULL),
        "tenant: ... created now");
  store_tenant_clear(&got);
  CHECK_INT_EQ(store_tenant_get(db, "t-cust", &got), 0, "tenant: get customer");
  CHECK_STR_EQ(got.parent, "t-acme", "tenant: ... its parent");
  store_tenant_clear(&got);

  CHECK_INT_EQ(store_tenant_list(db, "t-acme", &rows, &n), 0,
               "tenant: list the reseller's customers");
  CHECK(n == 1 && strcmp(rows[0].name, "t-cust") == 0,
        "tenant: ... just t-cust");
  store_tenant_rows_free(rows, n);
  CHECK_INT_EQ(store_tenant_list(db, NULL, &rows, &n), 0,
               "tenant: list every tenant");
  CHECK(n >= 2 && strcmp(rows[0].name, "t-acme") == 0 &&
            strcmp(rows[1].name, "t-cust") == 0,
        "tenant: ... by name");
  store_tenant_rows_free(rows, n);

  /* update: NULL leaves, "" clears, rate < 0 leaves it, burst is set */
  tenant_new(&t, "t-acme", NULL);
  t.plan = (char *)"silver";
  t.callback_url = (char *)"";
  t.rate = -1;
  t.burst = 99;
  t.low_balance = -1;
  t.enabled = -1;
  CHECK_INT_EQ(store_tenant_update(db, &t, err, sizeof err), 0,
               "tenant: update");
  store_tenant_get(db, "t-acme", &got);
  CHECK_STR_EQ(got.plan, "silver", "tenant: ... plan changed");
  CHECK_STR_EQ(got.senders, "ACME,+33600000000", "tenant: ... senders left");
  CHECK_STR_EQ(got.callback_url, NULL, "tenant: ... callback_url cleared");
  CHECK(got.rate == 2.5, "tenant: ... rate left (rate < 0)");
  CHECK_INT_EQ(got.burst, 99, "tenant: ... burst set");
  CHECK_INT_EQ(got.low_balance, 10, "tenant: ... low_balance left");
  CHECK_INT_EQ(got.enabled, 1, "tenant: ... enabled left");
  store_tenant_clear(&got);
  t.plan = NULL;
  t.callback_url = NULL;
  t.rate = 0;
  t.burst = 0;
  t.low_balance = 0;
  t.enabled = 0;
  CHECK_INT_EQ(store_tenant_update(db, &t, err, sizeof err), 0,
               "tenant: update rate 0, disabled");
  store_tenant_get(db, "t-acme", &got);
  CHECK(got.rate == 0 && got.burst == 0 && got.enabled == 0 &&
            got.low_balance == 0,
        "tenant: ... rate, burst, low_balance, enabled set");
  CHECK_STR_EQ(got.plan, "silver", "tenant: ... plan left");
  store_tenant_clear(&got);
  t.enabled = 1;
  t.rate = -1;
  CHECK_INT_EQ(store_tenant_update(db, &t, err, sizeof err), 0,
               "tenant: enabled again");
  tenant_new(&t, "t-nobody", NULL);
  t.rate = -1;
  t.enabled = -1;
  CHECK_INT_EQ(store_tenant_update(db, &t, err, sizeof err), 1,
               "tenant: update of a missing tenant: 1");
}

/* SHA-256 ("abc"), hex: the store takes any 64 hex digits as a hash. */
#define HASH_A "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define HASH_B "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define RAW_KEY "smk_rawkeyNEVERstoredQ2hlY2sgdGhlIHN0b3JlIGZpbGVz"

static void test_tenant_keys(store_db *db) {
  char err[512] = "", *who = NULL, upper[65];
  store_key_row *keys = NULL;
  size_t n = 0, i;
  store_tenant t;

  CHECK_INT_EQ(store_key_add(db, "t-acme", RAW_KEY, "raw", err, sizeof err),
               -1, "key: a raw key (not a SHA-256) is refused");
  printf("#   %s\n", err);
  CHECK_INT_EQ(store_key_add(db, "t-acme", HASH_A, "ci", err, sizeof err), 0,
               "key: add a key's hash");
  CHECK_INT_EQ(store_key_add(db, "t-acme", HASH_A, "ci", err, sizeof err), -1,
               "key: the same hash twice is refused");
  CHECK_INT_EQ(store_key_add(db, "t-nobody", HASH_B, NULL, err, sizeof err),
               1, "key: no such tenant: 1");
  CHECK_INT_EQ(store_key_add(db, "t-cust", HASH_B, NULL, err, sizeof err), 0,
               "key: add the customer's key");
  CHECK(!store_holds(RAW_KEY), "key: the raw key is nowhere in the store");
  CHECK(store_holds(HASH_A), "key: ... (the scan finds the hash)");

  CHECK_INT_EQ(store_key_lookup(db, HASH_A, &who), 0, "key: lookup by hash");
  CHECK_STR_EQ(who, "t-acme", "key: ... its tenant");
  free(who);
  who = NULL;
  for (i = 0; i < 64; i++)
    upper[i] = (char)(HASH_A[i] >= 'a' && HASH_A[i] <= 'f' ? HASH_A[i] - 32
                                                           : HASH_A[i]);
  upper[64] = '\0';
  CHECK_INT_EQ(store_key_lookup(db, upper, &who), 0,
               "key: lookup with upper-case hex");
  free(who);
  who = NULL;
  CHECK_INT_EQ(store_key_lookup(db, RAW_KEY, &who), 1,
               "key: lookup of a non-hash: 1");
  CHECK_INT_EQ(store_key_list(db, "t-acme", &keys, &n), 0, "key: list");
  CHECK(n == 1 && strcmp(keys[0].id, "ba7816bf") == 0 &&
            keys[0].label && strcmp(keys[0].label, "ci") == 0 &&
            keys[0].revoked == 0 && keys[0].created > 0,
        "key: ... id (8 hex), label, live");
  store_key_rows_free(keys, n);

  /* a disabled tenant's key fails, enabled again it works */
  tenant_new(&t, "t-cust", NULL);
  t.rate = -1;
  t.low_balance = -1;
  t.enabled = 0;
  store_tenant_update(db, &t, err, sizeof err);
  CHECK_INT_EQ(store_key_lookup(db, HASH_B, &who), 1,
               "key: a disabled tenant's key fails");
  t.enabled = 1;
  store_tenant_update(db, &t, err, sizeof err);
  CHECK_INT_EQ(store_key_lookup(db, HASH_B, &who), 0,
               "key: ... and works once enabled");
  free(who);
  who = NULL;

  CHECK_INT_EQ(store_key_revoke(db, "t-cust", "ba7816bf", err, sizeof err), 1,
               "key: another tenant's key id is not revoked");
  CHECK_INT_EQ(store_key_revoke(db, "t-acme", "ba7816b", err, sizeof err), 1,
               "key: an id shorter than 8 hex is not a key id");
  CHECK_INT_EQ(store_key_revoke(db, "t-acme", "ba7816bf", err, sizeof err), 0,
               "key: revoke by id");
  CHECK_INT_EQ(store_key_lookup(db, HASH_A, &who), 1,
               "key: a revoked key fails at once");
  CHECK_INT_EQ(store_key_revoke(db, "t-acme", "ba7816bf", err, sizeof err), 1,
               "key: revoking it again: 1");
  store_key_list(db, "t-acme", &keys, &n);
  CHECK(n == 1 && keys[0].revoked > 0, "key: ... listed as revoked");
  store_key_rows_free(keys, n);
  CHECK_INT_EQ(store_key_add(db, "t-acme", HASH_A, NULL, err, sizeof err), -1,
               "key: a revoked hash cannot come back");
  store_key_add(db, "t-acme",
                "0000000000000000000000000000000000000000000000000000000000000"
                "001",
                "laptop", err, sizeof err);
  CHECK_INT_EQ(store_key_revoke(db, "t-acme", "laptop", err, sizeof err), 0,
               "key: revoke by label");
  CHECK_INT_EQ(store_key_lookup(db,
                                "00000000000000000000000000000000000000000000"
                                "00000000000000000001",
                                &who),
               1, "key: ... it fails");
}

static int64_t balance_of(store_db *db, const char *name) {
  store_tenant t;
  int64_t b = -1;
  if (store_tenant_get(db, name, &t) == 0)
    b = t.balance;
  store_tenant_clear(&t);
  return b;
}

/* The sum of a tenant's ledger rows (reason NULL: every row), and their
   count in *n. */
static int64_t ledger_sum(store_db *db, const char *tenant, const char *reason,
                          size_t *count) {
  store_ledger_row *rows = NULL;
  size_t n = 0, i, k = 0;
  int64_t sum = 0;
  if (store_ledger_list(db, tenant, 0, 0, &rows, &n) != 0)
    return INT64_MIN;
  for (i = 0; i < n; i++)
    if (!reason || strcmp(rows[i].reason, reason) == 0) {
      sum += rows[i].delta;
      k++;
    }
  store_ledger_rows_free(rows, n);
  if (count)
    *count = k;
  return sum;
}

/* The names store_ledger_check reports, comma-joined ("" when exact). */
static void check_names(store_db *db, char *out, size_t len) {
  char **bad = NULL;
  size_t n = 0, i;
  out[0] = '\0';
  if (store_ledger_check(db, &bad, &n) != 0) {
    snprintf(out, len, "(error)");
    return;
  }
  for (i = 0; i < n; i++) {
    size_t at = strlen(out);
    snprintf(out + at, len - at, "%s%s", i ? "," : "", bad[i]);
    free(bad[i]);
  }
  free(bad);
}

static void test_ledger(store_db *db) {
  char err[512] = "", names[256];
  int64_t bal = -1;
  size_t rows0 = 0, rows1 = 0;
  store_ledger_row *l = NULL;
  size_t n = 0;

  CHECK_INT_EQ(store_ledger_add(db, "t-acme", NULL, 100, "credit", "admin",
                                &bal, err, sizeof err),
               0, "ledger: credit 100");
  CHECK_INT_EQ(bal, 100, "ledger: ... balance 100");
  CHECK_INT_EQ(store_ledger_add(db, "t-acme", NULL, -30, "debit", "admin",
                                &bal, err, sizeof err),
               0, "ledger: debit 30");
  CHECK_INT_EQ(bal, 70, "ledger: ... balance 70");
  ledger_sum(db, "t-acme", NULL, &rows0);
  CHECK_INT_EQ(store_ledger_add(db, "t-acme", NULL, -71, "debit", "admin",
                                &bal, err, sizeof err),
               1, "ledger: debit 71 of 70: not enough (1)");
  ledger_sum(db, "t-acme", NULL, &rows1);
  CHECK_INT_EQ(rows1, rows0, "ledger: ... no row written");
  CHECK_INT_EQ(balance_of(db, "t-acme"), 70, "ledger: ... balance still 70");
  CHECK_INT_EQ(store_ledger_add(db, "t-nobody", NULL, 5, "credit", "admin",
                                &bal, err, sizeof err),
               2, "ledger: no such tenant: 2");
  CHECK_INT_EQ(store_ledger_add(db, "t-acme", NULL, 5, "gift", "admin", &bal,
                                err, sizeof err),
               -1, "ledger: an unknown reason is refused");
  CHECK_INT_EQ(store_ledger_add(db, "t-acme", NULL, 0, "credit", "admin",
                                &bal, err, sizeof err),
               -1, "ledger: a zero row is refused");

  CHECK_INT_EQ(store_ledger_transfer(db, "t-acme", "t-cust", 20, "acme-admin",
                                     err, sizeof err),
               0, "ledger: transfer 20 to the customer");
  CHECK_INT_EQ(balance_of(db, "t-acme"), 50, "ledger: ... reseller 50");
  CHECK_INT_EQ(balance_of(db, "t-cust"), 20, "ledger: ... customer 20");
  CHECK_INT_EQ(store_ledger_list(db, "t-cust", 0, 1, &l, &n), 0,
               "ledger: list the customer's newest row");
  CHECK(n == 1 && l[0].delta == 20 && strcmp(l[0].reason, "transfer-in") == 0 &&
            l[0].actor && strcmp(l[0].actor, "acme-admin") == 0,
        "ledger: ... transfer-in 20 by acme-admin");
  store_ledger_rows_free(l, n);
  ledger_sum(db, NULL, NULL, &rows0);
  CHECK_INT_EQ(store_ledger_transfer(db, "t-acme", "t-cust", 51, "acme-admin",
                                     err, sizeof err),
               1, "ledger: transfer 51 of 50: not enough (1)");
  CHECK_INT_EQ(store_ledger_transfer(db, "t-acme", "t-nobody", 5,
                                     "acme-admin", err, sizeof err),
               2, "ledger: transfer to a missing tenant: 2");
  ledger_sum(db, NULL, NULL, &rows1);
  CHECK_INT_EQ(rows1, rows0, "ledger: ... no row written by either");
  CHECK_INT_EQ(balance_of(db, "t-acme"), 50, "ledger: ... reseller still 50");
  CHECK_INT_EQ(ledger_sum(db, "t-acme", NULL, NULL), 50,
               "ledger: reseller's rows sum to its balance");
  CHECK_INT_EQ(ledger_sum(db, "t-cust", NULL, NULL), 20,
               "ledger: customer's rows sum to its balance");

  check_names(db, names, sizeof names);
  CHECK_STR_EQ(names, "", "ledger check: every balance is its rows' sum");
  CHECK_INT_EQ(raw_exec("UPDATE tenants SET balance = balance + 1 WHERE "
                        "name = 't-cust'"),
               0, "ledger check: (a balance changed behind the store)");
  check_names(db, names, sizeof names);
  CHECK_STR_EQ(names, "t-cust", "ledger check: ... is reported");
  raw_exec("UPDATE tenants SET balance = balance - 1 WHERE name = 't-cust'");
  check_names(db, names, sizeof names);
  CHECK_STR_EQ(names, "", "ledger check: ... and exact once put back");
  CHECK(raw_exec("UPDATE ledger SET delta = delta + 1") != 0,
        "ledger: rows cannot be changed (append-only)");
  CHECK(raw_exec("DELETE FROM ledger") != 0,
        "ledger: rows cannot be deleted (append-only)");
  CHECK(raw_exec("UPDATE tenants SET balance = -1 WHERE name = 't-cust'") != 0,
        "ledger: a negative balance cannot be stored");
}

/* Queue a message of `n` recipients (numbers from `first`) charged to
   `tenant` at `price` units each: store_queue_put's answer. */
static int put_charged(store_db *db, const char *tenant, const char *ref,
                       int first, size_t n, int64_t price,
                       const char *refund_on, char id[40]) {
  store_msg m;
  store_rcpt r[8];
  char nums[8][24], err[512] = "";
  store_queue_info q = {.request_json = "{\"text\":\"hi\"}",
                        .encoding = "gsm7",
                        .segments = 1,
                        .charge = tenant,
                        .unit_price = price,
                        .refund_on = refund_on};
  size_t i;
  int rc;
  memset(&m, 0, sizeof m);
  memset(r, 0, sizeof r);
  m.tenant = tenant;
  m.ref = ref;
  m.fingerprint = "cccc";
  for (i = 0; i < n && i < 8; i++) {
    snprintf(nums[i], sizeof nums[i], "+336%08d", first + (int)i);
    r[i].number = nums[i];
  }
  rc = store_queue_put(db, &m, r, n, &q, err, sizeof err);
  if (rc < 0)
    printf("#   %s\n", err);
  for (i = 0; i < n && i < 8; i++)
    store_rcpt_clear(&r[i]);
  if (id)
    memcpy(id, m.id, 40);
  return rc;
}

static void outcome(store_db *db, const char *id, int number, const char *state,
                    const char *code) {
  char num[24], err[512] = "";
  store_outcome o;
  memset(&o, 0, sizeof o);
  snprintf(num, sizeof num, "+336%08d", number);
  o.number = num;
  o.state = state;
  o.provider = "p1";
  o.code = code;
  store_finish(db, id, NULL, &o, 1, NULL, 0);
  store_flush(db, err, sizeof err);
}

static void test_refunds(store_db *db) {
  char id[40], id2[40], err[512] = "", names[256];
  store_tenant t;
  store_message m;
  int64_t got = -1;
  size_t n0 = 0, n1 = 0;

  tenant_new(&t, "t-pay", NULL);
  store_tenant_add(db, &t, err, sizeof err);
  store_ledger_add(db, "t-pay", NULL, 100, "credit", "admin", NULL, err,
                   sizeof err);

  /* short: nothing queued, nothing charged */
  ledger_sum(db, "t-pay", NULL, &n0);
  CHECK_INT_EQ(put_charged(db, "t-pay", NULL, 1, 3, 40, NULL, id), 2,
               "charge: 3 x 40 units of 100: short (2)");
  CHECK_INT_EQ(store_message_read(db, "t-pay", id, &m), 1,
               "charge: ... nothing queued");
  ledger_sum(db, "t-pay", NULL, &n1);
  CHECK_INT_EQ(n1, n0, "charge: ... nothing written to the ledger");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 100, "charge: ... balance 100");
  CHECK_INT_EQ(put_charged(db, "t-nobody", NULL, 1, 1, 1, NULL, id), -1,
               "charge: a missing tenant is an error");

  /* cancel refunds once */
  CHECK_INT_EQ(put_charged(db, "t-pay", NULL, 10, 2, 3, NULL, id), 0,
               "charge: queue 2 recipients x 3 units");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 94, "charge: ... balance 94");
  CHECK_INT_EQ(ledger_sum(db, "t-pay", "reserve", NULL), -6,
               "charge: ... one reserve row of 6");
  ledger_sum(db, "t-pay", "refund", &n0);
  CHECK_INT_EQ(store_message_cancel(db, "t-pay", id, err, sizeof err), 0,
               "refund: cancel");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 100, "refund: ... balance back to 100");
  ledger_sum(db, "t-pay", "refund", &n1);
  CHECK_INT_EQ(n1 - n0, 2, "refund: ... one refund row per recipient");
  CHECK_INT_EQ(store_message_cancel(db, "t-pay", id, err, sizeof err), 2,
               "refund: cancel twice (nothing left)");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 100,
               "refund: ... no second refund");

  /* failed for good refunds once; a failover that succeeds does not */
  CHECK_INT_EQ(put_charged(db, "t-pay", NULL, 20, 3, 5, NULL, id), 0,
               "charge: queue 3 x 5");
  outcome(db, id, 20, "failed", "refused");
  outcome(db, id, 21, "failed", "refused");
  outcome(db, id, 22, "accepted", NULL);
  CHECK_INT_EQ(balance_of(db, "t-pay"), 85,
               "refund: a failed attempt alone refunds nothing (failover "
               "may follow)");
  {
    const char *nums[] = {"+33600000021"};
    store_mark_sending(db, id, NULL, nums, 1, "p2", err, sizeof err);
  }
  outcome(db, id, 21, "accepted", NULL);
  CHECK_INT_EQ(store_refund_failed(db, id, NULL, 0, &got, err, sizeof err), 0,
               "refund: the worker's final outcome");
  CHECK_INT_EQ(got, 5,
               "refund: ... gives back the failed one's 5 units (not the "
               "accepted ones')");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 90, "refund: ... balance 90");
  CHECK_INT_EQ(store_refund_failed(db, id, NULL, 0, &got, err, sizeof err), 0,
               "refund: the final outcome again");
  CHECK_INT_EQ(got, 0, "refund: ... gives back nothing more");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 90, "refund: ... balance still 90");
  /* (90 from here on: 5 more than before, on every later figure) */
  store_ledger_add(db, "t-pay", NULL, 5, "credit", "admin", NULL, err,
                   sizeof err);

  /* rejected as opted out, once */
  CHECK_INT_EQ(put_charged(db, "t-pay", NULL, 30, 1, 5, NULL, id), 0,
               "charge: queue 1 x 5");
  outcome(db, id, 30, "rejected", "opt-out");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 95, "refund: opted out: refunded");
  outcome(db, id, 30, "rejected", "opt-out");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 95, "refund: ... once");

  /* a delivery status in refund_on, once; one not in it: nothing */
  CHECK_INT_EQ(put_charged(db, "t-pay", NULL, 40, 3, 5, "undelivered, expired",
                           id),
               0, "charge: queue 3 x 5 with refund_on undelivered, expired");
  outcome(db, id, 40, "accepted", NULL);
  outcome(db, id, 40, "undelivered", "X");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 85,
               "refund: undelivered (in refund_on): refunded");
  outcome(db, id, 40, "undelivered", "X");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 85, "refund: ... once");
  outcome(db, id, 41, "delivered", NULL);
  outcome(db, id, 42, "rejected", "blocked");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 85,
               "refund: delivered, rejected (not in refund_on): nothing");

  /* a ref taken over after a refunded failure is charged again */
  CHECK_INT_EQ(put_charged(db, "t-pay", "t-ref", 50, 1, 5, NULL, id), 0,
               "charge: queue 1 x 5 under a ref");
  outcome(db, id, 50, "failed", "refused");
  store_refund_failed(db, id, NULL, 0, NULL, err, sizeof err);
  CHECK_INT_EQ(balance_of(db, "t-pay"), 85, "refund: ... failed, refunded");
  CHECK_INT_EQ(put_charged(db, "t-pay", "t-ref", 50, 1, 5, NULL, id), 0,
               "charge: the same ref again (sent again)");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 80, "charge: ... charged again");
  memcpy(id2, id, sizeof id2);
  CHECK_INT_EQ(put_charged(db, "t-pay", "t-ref", 50, 1, 5, NULL, id), 0,
               "charge: and again while queued (a duplicate)");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 80, "charge: ... not charged");
  /* a failure not refunded yet (its worker stopped), then the ref again:
     the earlier charge is given back as the new one is taken */
  outcome(db, id2, 50, "failed", "refused");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 80, "charge: failed, not refunded");
  ledger_sum(db, "t-pay", "refund", &n0);
  CHECK_INT_EQ(put_charged(db, "t-pay", "t-ref", 50, 1, 5, NULL, id), 0,
               "charge: the same ref again");
  ledger_sum(db, "t-pay", "refund", &n1);
  CHECK_INT_EQ(n1 - n0, 1, "charge: ... the earlier charge refunded");
  CHECK_INT_EQ(balance_of(db, "t-pay"), 80, "charge: ... and charged anew");

  check_names(db, names, sizeof names);
  CHECK_STR_EQ(names, "", "refunds: every balance is its rows' sum");
}

/* Delivery reports (store_report_apply): a status in the message's
   refund_on gives the recipient's units back once; a repeat does not; a
   report kept pending refunds when the send's answer lands. */
static void test_report_refunds(store_db *db) {
  char id[40], err[512] = "";
  store_outcome o[2];
  int64_t bal;
  int i;
  store_tenant t;
  tenant_new(&t, "t-rpt", NULL);
  store_tenant_add(db, &t, err, sizeof err);
  store_ledger_add(db, "t-rpt", NULL, 50, "credit", "admin", NULL, err,
                   sizeof err);
  CHECK_INT_EQ(put_charged(db, "t-rpt", NULL, 80, 2, 5, "undelivered", id), 0,
               "report refund: queue 2 x 5 (refund_on undelivered)");
  bal = balance_of(db, "t-rpt");
  memset(o, 0, sizeof o);
  for (i = 0; i < 2; i++) {
    o[i].number = i ? "+33600000081" : "+33600000080";
    o[i].state = "accepted";
    o[i].provider = "p1";
    o[i].provider_id = i ? "T14-RPT-2" : "T14-RPT-1";
  }
  store_finish(db, id, NULL, o, 2, NULL, 0);
  store_flush(db, err, sizeof err);
  CHECK_INT_EQ(report(db, "p1", "T14-RPT-1", NULL, "undelivered", "X"), 0,
               "report refund: undelivered applied");
  CHECK_INT_EQ(balance_of(db, "t-rpt"), bal + 5, "report refund: ... refunded");
  CHECK_INT_EQ(report(db, "p1", "T14-RPT-1", NULL, "undelivered", "X"), 1,
               "report refund: the same report again: nothing changed");
  CHECK_INT_EQ(balance_of(db, "t-rpt"), bal + 5,
               "report refund: ... no second refund");
  CHECK_INT_EQ(report(db, "p1", "T14-RPT-2", NULL, "delivered", NULL), 0,
               "report refund: delivered applied");
  CHECK_INT_EQ(balance_of(db, "t-rpt"), bal + 5,
               "report refund: ... not refunded (not in refund_on)");

  /* a report before the send's answer: applied (and refunded) by finish */
  CHECK_INT_EQ(put_charged(db, "t-rpt", NULL, 82, 1, 5, "undelivered", id), 0,
               "report refund: queue 1 x 5");
  bal = balance_of(db, "t-rpt");
  CHECK_INT_EQ(report(db, "p1", "T14-RPT-3", NULL, "undelivered", "X"), 2,
               "report refund: a report before its send: pending");
  memset(o, 0, sizeof o);
  o[0].number = "+33600000082";
  o[0].state = "accepted";
  o[0].provider = "p1";
  o[0].provider_id = "T14-RPT-3";
  store_finish(db, id, NULL, o, 1, NULL, 0);
  store_flush(db, err, sizeof err);
  CHECK_INT_EQ(balance_of(db, "t-rpt"), bal + 5,
               "report refund: ... refunded once the send's answer lands");
  CHECK_INT_EQ(ledger_sum(db, "t-rpt", NULL, NULL), balance_of(db, "t-rpt"),
               "report refund: the rows sum to the balance");
}

/* A worker stopped between a failed outcome and its refund: the next
   start (SQLite) or the lease's end (PostgreSQL) refunds it. */
static void test_refund_recover(store_db *db, int pg) {
  char id[40], err[512] = "";
  long unknown = 0;
  int64_t bal = balance_of(db, "t-pay");
  CHECK_INT_EQ(put_charged(db, "t-pay", NULL, 60, 1, 5, NULL, id), 0,
               "recover: queue 1 x 5");
  {
    const char *nums[] = {"+33600000060"};
    store_mark_sending(db, id, NULL, nums, 1, "p1", err, sizeof err);
  }
  outcome(db, id, 60, "failed", "refused");
  CHECK_INT_EQ(balance_of(db, "t-pay"), bal - 5,
               "recover: failed, not refunded");
  if (pg)
    sleep(4); /* the lease (3 s) of the worker's rows runs out */
  store_queue_recover(db, &unknown, err, sizeof err);
  CHECK_INT_EQ(balance_of(db, "t-pay"), bal,
               "recover: a failure the worker left is refunded");
  store_queue_recover(db, &unknown, err, sizeof err);
  CHECK_INT_EQ(balance_of(db, "t-pay"), bal, "recover: ... once");
}

static void test_usage(store_db *db) {
  store_usage_row *u = NULL;
  size_t n = 0, i;
  int64_t units = 0, charged;
  unsigned long rcpts = 0, undelivered = 0;
  char id[40], err[512] = "";
  store_tenant t;

  CHECK_INT_EQ(store_usage(db, "t-pay", 0, 0, INT64_MAX, &u, &n), 0,
               "usage: of t-pay");
  for (i = 0; i < n; i++) {
    units += u[i].units;
    rcpts += u[i].recipients;
    if (strcmp(u[i].status, "undelivered") == 0)
      undelivered += u[i].recipients;
  }
  store_usage_rows_free(u, n);
  charged = -(ledger_sum(db, "t-pay", "reserve", NULL) +
              ledger_sum(db, "t-pay", "refund", NULL));
  CHECK_INT_EQ(units, charged,
               "usage: units add up to the ledger's reserves and refunds");
  CHECK(units > 0, "usage: ... (something was charged)");
  CHECK_INT_EQ(undelivered, 1, "usage: by status (1 undelivered)");
  CHECK(rcpts >= 10, "usage: recipients counted");

  /* a reseller sees its customers with tree = 1 */
  tenant_new(&t, "t-sub", "t-pay");
  store_tenant_add(db, &t, err, sizeof err);
  store_ledger_transfer(db, "t-pay", "t-sub", 10, "admin", err, sizeof err);
  put_charged(db, "t-sub", NULL, 70, 2, 2, NULL, id);
  CHECK_INT_EQ(balance_of(db, "t-sub"), 6,
               "usage: the customer spends from its own balance");
  store_usage(db, "t-pay", 1, 0, INT64_MAX, &u, &n);
  for (i = 0, units = 0; i < n; i++)
    if (strcmp(u[i].tenant, "t-sub") == 0)
      units += u[i].units;
  store_usage_rows_free(u, n);
  CHECK_INT_EQ(units, 4, "usage: tree: the reseller sees its customer's 4");
  store_usage(db, "t-pay", 0, 0, INT64_MAX, &u, &n);
  for (i = 0, units = 0; i < n; i++)
    if (strcmp(u[i].tenant, "t-sub") == 0)
      units += u[i].units;
  store_usage_rows_free(u, n);
  CHECK_INT_EQ(units, 0, "usage: without tree: only its own");
  store_usage(db, "t-sub", 0, (int64_t)time(NULL) + 10, INT64_MAX, &u, &n);
  CHECK_INT_EQ(n, 0, "usage: a period without messages: no rows");
  store_usage_rows_free(u, n);
}

/* 8 threads x 50 single-recipient puts of 1 unit against a balance of
   100: exactly 100 queued. */
#define CT_THREADS 8
#define CT_PUTS 50
typedef struct conc_arg {
  store_db *db;
  int k, ok, shortn, errs;
} conc_arg;

static void *conc_put(void *p) {
  conc_arg *a = p;
  int i;
  for (i = 0; i < CT_PUTS; i++) {
    int rc = put_charged(a->db, "t-conc", NULL, 100000 + a->k * 1000 + i, 1,
                         1, NULL, NULL);
    if (rc == 0)
      a->ok++;
    else if (rc == 2)
      a->shortn++;
    else
      a->errs++;
  }
  return NULL;
}

static void conc_totals(store_db *db, const char *tenant, unsigned long *rcpts,
                        int64_t *units) {
  store_usage_row *u = NULL;
  size_t n = 0, i;
  *rcpts = 0;
  *units = 0;
  store_usage(db, tenant, 0, 0, INT64_MAX, &u, &n);
  for (i = 0; i < n; i++) {
    *rcpts += u[i].recipients;
    *units += u[i].units;
  }
  store_usage_rows_free(u, n);
}

static void test_charge_threads(store_db *db) {
  pthread_t th[CT_THREADS];
  conc_arg a[CT_THREADS];
  int i, ok = 0, shortn = 0, errs = 0;
  char err[512] = "", names[256];
  unsigned long rcpts;
  int64_t units;
  store_tenant t;

  tenant_new(&t, "t-conc", NULL);
  store_tenant_add(db, &t, err, sizeof err);
  store_ledger_add(db, "t-conc", NULL, 100, "credit", "admin", NULL, err,
                   sizeof err);
  for (i = 0; i < CT_THREADS; i++) {
    memset(&a[i], 0, sizeof a[i]);
    a[i].db = db;
    a[i].k = i;
    pthread_create(&th[i], NULL, conc_put, &a[i]);
  }
  for (i = 0; i < CT_THREADS; i++) {
    pthread_join(th[i], NULL);
    ok += a[i].ok;
    shortn += a[i].shortn;
    errs += a[i].errs;
  }
  CHECK_INT_EQ(ok, 100, "charge race: 8 threads x 50 puts on 100 units: "
                        "exactly 100 queued");
  CHECK_INT_EQ(shortn, 300, "charge race: ... 300 short");
  CHECK_INT_EQ(errs, 0, "charge race: ... no error");
  CHECK_INT_EQ(balance_of(db, "t-conc"), 0, "charge race: ... balance 0");
  CHECK_INT_EQ(ledger_sum(db, "t-conc", NULL, NULL), 0,
               "charge race: ... ledger sum 0");
  conc_totals(db, "t-conc", &rcpts, &units);
  CHECK_INT_EQ(rcpts, 100, "charge race: ... 100 recipients in the store");
  CHECK_INT_EQ(units, 100, "charge race: ... 100 units used");
  check_names(db, names, sizeof names);
  CHECK_STR_EQ(names, "", "charge race: ledger check exact");
}

/* Processes: each opens the store and puts 80 single-unit messages. */
static int child_charge(const char *where) {
  char err[512];
  store_db *db = open_any(where, NULL, err, sizeof err);
  int i, ok = 0;
  if (!db)
    return 255;
  for (i = 0; i < 80; i++) {
    int rc = put_charged(db, "t-proc", NULL, 200000 + (int)getpid() % 1000 *
                                                           100 + i,
                         1, 1, NULL, NULL);
    if (rc == 0)
      ok++;
    else if (rc != 2)
      ok = 200; /* an error: out of range below */
  }
  store_close(db);
  return ok;
}

static void test_charge_processes(const char *where) {
  int codes[NPROC], i, ok = 0, clean = 1;
  char err[512] = "", names[256];
  store_tenant t;
  store_db *db = open_ok(where, NULL, "charge processes: open");
  if (!db)
    return;
  tenant_new(&t, "t-proc", NULL);
  store_tenant_add(db, &t, err, sizeof err);
  store_ledger_add(db, "t-proc", NULL, 100, "credit", "admin", NULL, err,
                   sizeof err);
  store_close(db);
  CHECK(run_children(child_charge, where, codes),
        "charge processes: fork 8 processes x 80 puts");
  for (i = 0; i < NPROC; i++) {
    if (codes[i] < 0 || codes[i] > 80)
      clean = 0;
    else
      ok += codes[i];
  }
  CHECK(clean, "charge processes: ... no error");
  CHECK_INT_EQ(ok, 100, "charge processes: ... exactly 100 queued");
  db = open_ok(where, NULL, "charge processes: reopen");
  if (!db)
    return;
  CHECK_INT_EQ(balance_of(db, "t-proc"), 0, "charge processes: balance 0");
  CHECK_INT_EQ(ledger_sum(db, "t-proc", NULL, NULL), 0,
               "charge processes: ledger sum 0");
  check_names(db, names, sizeof names);
  CHECK_STR_EQ(names, "", "charge processes: ledger check exact");
  store_close(db);
}

static void test_tenants(const char *where) {
  int pg = store_is_url(where);
  store_db *db = open_ok(where, NULL, "tenants: open");
  t_where = where;
  if (!db)
    return;
  test_tenant_rows(db);
  test_tenant_keys(db);
  test_ledger(db);
  test_refunds(db);
  test_report_refunds(db);
  test_refund_recover(db, pg);
  test_usage(db);
  test_charge_threads(db);
  store_close(db);
  test_charge_processes(where);
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
      "INSERT INTO kv VALUES ('rr', 'default', '41', 1700000000);"
      "INSERT INTO messages VALUES ('m0000000000000000000000000002', '', "
      "NULL, 'eeee', 1700000000, '{\"text\":\"later\"}', 4102444800, NULL, "
      "'gsm7', 1);"
      "INSERT INTO recipients VALUES ('m0000000000000000000000000002', '', "
      "NULL, '+33618000002', 'eeee', 'queued', NULL, NULL, NULL, NULL, "
      "1700000000, 1700000000, NULL, NULL);";
  char err[512] = "", saved[512];
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
  CHECK_INT_EQ(sql_long("SELECT max(version) FROM schema_version"), 4,
               "pg v1: migrated to schema_version 4 (2, 3 then 4)");
  snprintf(where_db, sizeof where_db, "%s", saved);
  CHECK_INT_EQ(store_message_read(db, "", "m0000000000000000000000000001", &m),
               0, "pg v1: its message is read back");
  CHECK(m.n_rcpts == 1 && strcmp(m.rcpts[0].provider_id, "OLD-1") == 0 &&
            m.n_events == 0,
        "pg v1: ... its recipient; no history yet");
  store_message_clear(&m);
  check_migrated(db, "pg v1", "v1-tenant");
  {
    /* its held message (due 2100-01-01) kept its time through 4 */
    store_claimed c;
    int64_t next = 0;
    CHECK_INT_EQ(store_queue_claim(db, "w-mig", (int64_t)time(NULL), &c,
                                   &next, err, sizeof err),
                 1, "pg v1: its held message is not claimed before its time");
    CHECK_INT_EQ(next, 4102444800, "pg v1: ... next_due is its time");
    CHECK_INT_EQ(store_queue_claim(db, "w-mig", 4102444801, &c, &next, err,
                                   sizeof err),
                 0, "pg v1: ... claimed once due");
    CHECK_STR_EQ(c.id, "m0000000000000000000000000002",
                 "pg v1: ... that message");
    store_claimed_clear(&c);
  }
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
    test_buckets(db, 1);
    test_claim_lost(db);
    store_close(db); /* before forking: children open their own */
    test_concurrency(url, fresh);
    test_claim_race(url);
    test_tenants(url);
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
    test_buckets(db, 0);
    store_close(db); /* before forking: children open their own */
    test_concurrency(dir, fresh);
    test_claim_race(dir);
    test_tenants(dir);
  }
  test_migrate_v2();
  test_damage();
  test_unwritable();

  rm_rf(base);
  return CHECK_DONE();
}
