/* Unit test of core/state.c: the journal of sends, the provider lookup by
 * message id, the key/value store, and their safety across processes. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "check.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
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

static void test_open(const char *dir) {
  char err[512] = "", parent[512], *p;
  store_db *db;

  db = store_open(dir, err, sizeof err);
  CHECK(db != NULL, "open creates the directory and state.db");
  if (!db)
    printf("#   %s\n", err);
  CHECK_INT_EQ(mode_of(dir), 0700, "state_dir has mode 0700");
  snprintf(parent, sizeof parent, "%s", dir);
  p = strrchr(parent, '/');
  if (p)
    *p = '\0';
  CHECK_INT_EQ(mode_of(parent), 0700, "missing parent made with mode 0700");
  path_join(parent, sizeof parent, dir, "state.db");
  CHECK(access(parent, F_OK) == 0, "state.db exists");
  store_close(db);

  p = pragma_of(dir, "user_version");
  CHECK_STR_EQ(p, "1", "schema user_version is 1");
  free(p);
  p = pragma_of(dir, "journal_mode");
  CHECK_STR_EQ(p, "wal", "journal_mode is WAL");
  free(p);

  db = store_open(dir, err, sizeof err);
  CHECK(db != NULL, "open again (schema present)");
  store_close(db);
}

static void test_journal(store_db *db) {
  store_journal_entry e;
  char err[512] = "";
  int64_t t0 = (int64_t)time(NULL);
  int rc;

  rc = store_journal_reserve(db, "order-1", &e, err, sizeof err);
  CHECK_INT_EQ(rc, 0, "reserve a new ref");
  CHECK(e.status == NULL && e.ref == NULL, "new ref leaves entry empty");
  store_journal_entry_clear(&e);

  rc = store_journal_reserve(db, "order-1", &e, err, sizeof err);
  CHECK_INT_EQ(rc, 1, "reserve the same ref again: already journaled");
  CHECK_STR_EQ(e.ref, "order-1", "existing entry: ref");
  CHECK_STR_EQ(e.status, "pending", "existing entry: still pending");
  CHECK(e.provider == NULL && e.message_id == NULL && e.result == NULL,
        "pending entry has no provider, id or result");
  CHECK(e.created >= t0 && e.created <= t0 + 5, "existing entry: created");
  store_journal_entry_clear(&e);

  rc = store_journal_finish(db, "order-1", "sent", "smsmode-main", "MSG42",
                            "{\"id\":\"MSG42\"}", err, sizeof err);
  CHECK_INT_EQ(rc, 0, "finish sent");
  rc = store_journal_reserve(db, "order-1", &e, err, sizeof err);
  CHECK_INT_EQ(rc, 1, "reserve a sent ref: already journaled");
  CHECK_STR_EQ(e.status, "sent", "sent entry: status");
  CHECK_STR_EQ(e.provider, "smsmode-main", "sent entry: provider");
  CHECK_STR_EQ(e.message_id, "MSG42", "sent entry: message id");
  CHECK_STR_EQ(e.result, "{\"id\":\"MSG42\"}", "sent entry: result JSON");
  CHECK(e.updated >= e.created, "sent entry: updated");
  store_journal_entry_clear(&e);

  rc = store_journal_reserve(db, "order-2", &e, err, sizeof err);
  CHECK_INT_EQ(rc, 0, "reserve a second ref");
  store_journal_entry_clear(&e);
  rc = store_journal_finish(db, "order-2", "failed", "clever", NULL,
                            "{\"error\":{}}", err, sizeof err);
  CHECK_INT_EQ(rc, 0, "finish failed");
  rc = store_journal_reserve(db, "order-2", &e, err, sizeof err);
  CHECK_INT_EQ(rc, 0, "a failed ref is reserved again");
  store_journal_entry_clear(&e);
  rc = store_journal_reserve(db, "order-2", &e, err, sizeof err);
  CHECK_INT_EQ(rc, 1, "... and is pending after that");
  CHECK_STR_EQ(e.status, "pending", "re-reserved entry is pending");
  CHECK(e.provider == NULL && e.result == NULL,
        "re-reserved entry forgot the failed outcome");
  store_journal_entry_clear(&e);

  rc = store_journal_finish(db, "order-3", "unknown", "allmysms", NULL, NULL,
                            err, sizeof err);
  CHECK_INT_EQ(rc, 0, "finish a ref that was not reserved");
  rc = store_journal_reserve(db, "order-3", &e, err, sizeof err);
  CHECK_INT_EQ(rc, 1, "an unknown outcome is never sent again");
  CHECK_STR_EQ(e.status, "unknown", "unknown entry: status");
  store_journal_entry_clear(&e);

  rc = store_journal_finish(db, "order-1", "delivered", NULL, NULL, NULL, err,
                            sizeof err);
  CHECK_INT_EQ(rc, -1, "finish refuses an unknown status");
  CHECK(strstr(err, "delivered") != NULL, "... and names it");

  rc = store_journal_reserve(db, "it's; DROP TABLE journal;--", &e, err,
                             sizeof err);
  CHECK_INT_EQ(rc, 0, "a ref with quotes is only data");
  store_journal_entry_clear(&e);

  CHECK_INT_EQ(store_journal_attempt(db, "order-1", "clever", "failed",
                                     "TEMPORARY", "503", "unavailable"),
               0, "record an attempt");
  CHECK_INT_EQ(store_journal_attempt(db, NULL, "smsmode-main", "ok", NULL,
                                     "0", "Accepted"),
               0, "record an attempt without ref");
}

static void test_provider_of(store_db *db) {
  char err[512] = "", *p = NULL;
  int rc;

  rc = store_provider_of(db, "MSG42", &p);
  CHECK_INT_EQ(rc, 0, "provider_of an id sent with --ref");
  CHECK_STR_EQ(p, "smsmode-main", "... is its provider");
  free(p);

  rc = store_journal_finish(db, NULL, "sent", "mediasflow", "MF-7", "{}", err,
                            sizeof err);
  CHECK_INT_EQ(rc, 0, "finish a send without --ref");
  rc = store_provider_of(db, "MF-7", &p);
  CHECK_INT_EQ(rc, 0, "provider_of an id sent without --ref");
  CHECK_STR_EQ(p, "mediasflow", "... is its provider");
  free(p);

  rc = store_journal_finish(db, NULL, "sent", "clever-rest", "MF-7", "{}",
                            err, sizeof err);
  CHECK_INT_EQ(rc, 0, "the same id from another provider");
  rc = store_provider_of(db, "MF-7", &p);
  CHECK_STR_EQ(p, "clever-rest", "provider_of answers the newest");
  free(p);

  p = (char *)"untouched";
  rc = store_provider_of(db, "no-such-id", &p);
  CHECK_INT_EQ(rc, 1, "provider_of an unknown id");
  CHECK(p == NULL, "... leaves no name");
}

/* How many rows of dir/state.db's `table` match `where`, straight from
   SQLite (another connection: sees what was committed). */
static long count_rows(const char *dir, const char *table, const char *where) {
  char path[512], sql[256];
  sqlite3 *s = NULL;
  sqlite3_stmt *st = NULL;
  long n = -1;
  path_join(path, sizeof path, dir, "state.db");
  snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", table, where);
  if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(s, sql, -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = (long)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(s);
  return n;
}

static void test_finish_all(store_db *db, const char *dir) {
  store_journal_entry e;
  char err[512] = "", *p = NULL;
  store_journal_row rows[4];
  store_journal_attempt_row att[2];
  long before;
  int rc;

  CHECK_INT_EQ(store_journal_reserve(db, "grp-1", &e, err, sizeof err), 0,
               "finish_all: reserve grp-1");
  CHECK_INT_EQ(store_journal_reserve(db, "grp-2", &e, err, sizeof err), 0,
               "finish_all: reserve grp-2");
  memset(rows, 0, sizeof rows);
  memset(att, 0, sizeof att);
  rows[0].status = "sent"; /* a chunk's id, no ref */
  rows[0].provider = "smsmode-main";
  rows[0].message_id = "GRP-ID";
  rows[1].ref = "grp-1";
  rows[1].status = "sent";
  rows[1].provider = "smsmode-main";
  rows[1].message_id = "GRP-ID";
  rows[2].ref = "grp-2";
  rows[2].status = "failed";
  rows[2].provider = "smsmode-main";
  rows[3].status = "sent"; /* neither ref nor id: skipped */
  att[0].ref = "GRP-ID";
  att[0].provider = "clever";
  att[0].outcome = "failed";
  att[0].cls = "TEMPORARY";
  att[0].code = "503";
  att[0].message = "unavailable";
  att[1].ref = "GRP-ID";
  att[1].provider = "smsmode-main";
  att[1].outcome = "ok";
  rc = store_journal_finish_all(db, rows, 4, att, 2, err, sizeof err);
  CHECK_INT_EQ(rc, 0, "finish_all: rows and attempts in one call");
  if (rc != 0)
    printf("#   %s\n", err);
  rc = store_journal_reserve(db, "grp-1", &e, err, sizeof err);
  CHECK_INT_EQ(rc, 1, "finish_all: grp-1 is journaled");
  CHECK_STR_EQ(e.status, "sent", "finish_all: grp-1 sent");
  CHECK_STR_EQ(e.message_id, "GRP-ID", "finish_all: grp-1 id");
  store_journal_entry_clear(&e);
  rc = store_journal_reserve(db, "grp-2", &e, err, sizeof err);
  CHECK_INT_EQ(rc, 0, "finish_all: grp-2 failed, so reserved again");
  store_journal_entry_clear(&e);
  CHECK_INT_EQ(store_provider_of(db, "GRP-ID", &p), 0,
               "finish_all: provider_of the id");
  CHECK_STR_EQ(p, "smsmode-main", "finish_all: ... its provider");
  free(p);
  CHECK_INT_EQ(count_rows(dir, "journal_ids", "message_id = 'GRP-ID'"), 2,
               "finish_all: the id recorded with and without ref");
  CHECK_INT_EQ(count_rows(dir, "attempts", "ref_or_id = 'GRP-ID'"), 2,
               "finish_all: both attempts recorded");

  /* all or nothing: a bad status in any row writes none of them */
  before = count_rows(dir, "attempts", "1");
  rows[0].ref = "grp-3";
  rows[1].status = "delivered";
  rc = store_journal_finish_all(db, rows, 2, att, 2, err, sizeof err);
  CHECK_INT_EQ(rc, -1, "finish_all: refuses an unknown status");
  CHECK(strstr(err, "delivered") != NULL, "finish_all: ... and names it");
  CHECK_INT_EQ(count_rows(dir, "journal", "ref = 'grp-3'"), 0,
               "finish_all: ... and writes no row");
  CHECK_INT_EQ(count_rows(dir, "attempts", "1"), before,
               "finish_all: ... and no attempt");
  att[1].outcome = NULL;
  rc = store_journal_finish_all(db, NULL, 0, att, 2, err, sizeof err);
  CHECK_INT_EQ(rc, -1, "finish_all: refuses an attempt without outcome");
  CHECK_INT_EQ(count_rows(dir, "attempts", "1"), before,
               "finish_all: ... and writes nothing");
  CHECK_INT_EQ(store_journal_finish_all(db, &rows[3], 1, NULL, 0, err,
                                        sizeof err),
               0, "finish_all: nothing to write is fine");
  CHECK_INT_EQ(store_journal_finish_all(db, NULL, 0, NULL, 0, err,
                                        sizeof err),
               0, "finish_all: an empty call is fine");
  CHECK_INT_EQ(store_journal_finish_all(NULL, NULL, 0, NULL, 0, err,
                                        sizeof err),
               -1, "finish_all: no database");
}

/* Threads sharing one handle: the kept statements are used one call at a
   time (the handle's mutex). */
#define NTHREADS 4
static void *thread_work(void *arg) {
  store_db *db = arg;
  char *v = NULL;
  long bad = 0;
  int i;
  for (i = 0; i < NADD; i++) {
    if (store_kv_add(db, "rr", "threads", 1, NULL) != 0)
      bad++;
    if (store_kv_get(db, "rr", "threads", &v, NULL) != 0)
      bad++;
    free(v);
    v = NULL;
    if (store_journal_attempt(db, "thread-ref", "p", "ok", NULL, NULL,
                              NULL) != 0)
      bad++;
  }
  return (void *)bad;
}

static void test_threads(store_db *db) {
  pthread_t t[NTHREADS];
  char *v = NULL;
  long bad = 0;
  int i, started = 0;
  for (i = 0; i < NTHREADS; i++)
    if (pthread_create(&t[i], NULL, thread_work, db) == 0)
      started++;
  for (i = 0; i < started; i++) {
    void *r = NULL;
    pthread_join(t[i], &r);
    bad += (long)r;
  }
  CHECK_INT_EQ(started, NTHREADS, "threads: started");
  CHECK_INT_EQ(bad, 0, "threads: every call on the shared handle succeeded");
  store_kv_get(db, "rr", "threads", &v, NULL);
  CHECK_STR_EQ(v, "800", "threads: 4 threads x 200 kv adds = 800");
  free(v);
}

static void test_kv(store_db *db) {
  char *v = NULL;
  int64_t upd = 0, before = -1, t0 = (int64_t)time(NULL);
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

  CHECK_INT_EQ(store_kv_set(db, "breaker", "smsmode", "closed"), 0,
               "kv set again");
  rc = store_kv_get(db, "breaker", "smsmode", &v, NULL);
  CHECK_STR_EQ(v, "closed", "kv set replaces");
  free(v);
  v = NULL;
  rc = store_kv_get(db, "balance", "smsmode", &v, NULL);
  CHECK_INT_EQ(rc, 1, "namespaces are separate");

  rc = store_kv_add(db, "rr", "default", 1, &before);
  CHECK_INT_EQ(rc, 0, "kv add to a missing key");
  CHECK_INT_EQ(before, 0, "... starts at 0");
  rc = store_kv_add(db, "rr", "default", 5, &before);
  CHECK_INT_EQ(before, 1, "kv add returns the previous value");
  rc = store_kv_add(db, "rr", "default", -2, NULL);
  CHECK_INT_EQ(rc, 0, "kv add a negative delta");
  rc = store_kv_get(db, "rr", "default", &v, NULL);
  CHECK_STR_EQ(v, "4", "kv add result");
  free(v);
  v = NULL;
  rc = store_kv_add(db, "breaker", "smsmode", 1, &before);
  CHECK_INT_EQ(rc, -1, "kv add refuses a value that is not an integer");
  rc = store_kv_get(db, "breaker", "smsmode", &v, NULL);
  CHECK_STR_EQ(v, "closed", "... and leaves it alone");
  free(v);
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

static int child_add(const char *dir) {
  char err[512];
  store_db *db = store_open(dir, err, sizeof err);
  int i, fails = 0;
  if (!db) {
    fprintf(stderr, "child: %s\n", err);
    return 2;
  }
  for (i = 0; i < NADD; i++)
    if (store_kv_add(db, "rr", "race", 1, NULL) != 0)
      fails++;
  store_close(db);
  return fails ? 1 : 0;
}

static int child_reserve(const char *dir) {
  char err[512];
  store_journal_entry e;
  store_db *db = store_open(dir, err, sizeof err);
  int rc;
  if (!db) {
    fprintf(stderr, "child: %s\n", err);
    return 20;
  }
  rc = store_journal_reserve(db, "race-ref", &e, err, sizeof err);
  if (rc < 0)
    fprintf(stderr, "child: %s\n", err);
  store_journal_entry_clear(&e);
  store_close(db);
  return rc == 0 ? 10 : rc == 1 ? 11 : 12;
}

static void test_concurrency(const char *dir, const char *fresh) {
  int codes[NPROC], i, zero = 0, one = 0, clean = 1;
  char err[512], *v = NULL;
  store_db *db;

  CHECK(run_children(child_add, dir, codes), "fork adders");
  for (i = 0; i < NPROC; i++)
    if (codes[i] != 0)
      clean = 0;
  CHECK(clean, "every concurrent kv add succeeded");
  db = store_open(dir, err, sizeof err);
  if (db) {
    store_kv_get(db, "rr", "race", &v, NULL);
    CHECK_STR_EQ(v, "1600", "8 processes x 200 kv adds = 1600");
    free(v);
    store_close(db);
  } else {
    CHECK(0, "reopen after the adders");
  }

  /* A fresh directory: the children also race creating it and the schema. */
  CHECK(run_children(child_reserve, fresh, codes), "fork reservers");
  for (i = 0; i < NPROC; i++) {
    if (codes[i] == 10)
      zero++;
    else if (codes[i] == 11)
      one++;
  }
  CHECK_INT_EQ(zero, 1, "exactly one racing reserve gets the ref");
  CHECK_INT_EQ(one, NPROC - 1, "the others see it journaled");
}

/* store_open(dir) fails, and its message names `dir`. */
static void expect_open_fails(const char *dir, const char *name) {
  char err[512] = "", label[256];
  store_db *db = store_open(dir, err, sizeof err);
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
  db = store_open(dir, err, sizeof err);
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
    store_db *db = store_open("", err, sizeof err);
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

int main(void) {
  char dir[256], fresh[256], err[512] = "";
  store_db *db;

  snprintf(base, sizeof base, "%s", "/tmp/smsmux-test-state-XXXXXX");
  if (!mkdtemp(base)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(dir, sizeof dir, "%s/new/state", base);
  snprintf(fresh, sizeof fresh, "%s/fresh/state", base);

  test_open(dir);
  db = store_open(dir, err, sizeof err);
  if (!db) {
    printf("# %s\n", err);
    CHECK(0, "open for the journal tests");
  } else {
    test_journal(db);
    test_provider_of(db);
    test_kv(db);
    test_finish_all(db, dir);
    test_threads(db);
    store_close(db); /* before forking: children open their own */
    test_concurrency(dir, fresh);
  }
  test_unwritable();

  rm_rf(base);
  return CHECK_DONE();
}
