/* test_oom: out of memory in libsmsmux (and in the plugin it loads) is an
 * error, never an abort, a crash or a leak.
 *
 * The program defines malloc, calloc, realloc, strdup and strndup itself:
 * the dynamic linker then binds every call to them, the library's
 * included, to these, which forward to the next definition (the C
 * library's, or AddressSanitizer's in a sanitizer build, so that its
 * checks and its leak detection still see every block).  A call is
 * counted when it comes straight from libsmsmux or from a plugin (its
 * return address lies in an object whose path names "libsmsmux" or
 * "/plugins/"), and the Nth counted call fails.  Calls the C library,
 * libcurl, SQLite... make for their own purposes are never failed: the
 * test is about our code's handling.
 *
 * One run, in a child process: smsmux_open on CONFIG (the simulator's
 * sMsmode), then smsmux_send of one message, with --verbose tracing on (so
 * that the redaction of the trace runs too), then smsmux_close.  A second
 * scenario does the same around smsmux_route, smsmux_providers,
 * smsmux_plugins and a batch of two rows (worker threads, one grouped
 * send) instead of the send.  A third (issue 13's paths, on the store):
 * smsmux_optout_remove and _add, a send, sMsmode's delivery report for it
 * and a STOP reply through smsmux_hook, a send refused for the opt-out
 * (an INPUT "opt-out" error is its success), smsmux_replies_json and
 * smsmux_optouts_json, a START reply.  A fourth, when oom.sh gives it a
 * receiver (OOM_NOTIFY_CONFIG, OOM_STATE, OOM_RECEIVER, OOM_RECEIVER_LOG):
 * on a store of each run's own, a message with a callback_url sent by a
 * worker, then smsmux_notifier_start delivering its webhook (signed) to
 * tests/receiver; only the notifier's threads are counted, and a run is
 * clean when no event was lost: each delivered or still pending, the
 * notifier's log saying out of memory, none given up.  A first
 * run fails nothing and counts the calls, K (about 190); then a run for N
 * from 1 to K must either succeed or fail with a clean error: smsmux_open NULL, or the
 * send's error, of class SMSMUX_ERR_SYSTEM (UNKNOWN_OUTCOME once the
 * request went out) saying "out of memory"; the child's exit status says
 * it did, and a crash or an abort is a signal.  Under the sanitizers a
 * leak makes the child exit non-zero too (and leaves a report).
 *
 * Time: a run costs tens of ms (a plugin load, a store write, a request;
 * more under the sanitizers), so `make check` tries every N up to
 * FULL_UPTO (smsmux_open's first steps) and then about RUNS_AFTER values
 * evenly spread over the rest: a few seconds.  TEST_OOM_ALL=1 in the
 * environment tries every N (every allocation of both runs: ~930 runs,
 * half a minute; more under the sanitizers).
 *
 * The parent sets up what a run would otherwise set up again in every
 * child, as an application embedding the library would: libcurl's and
 * libxml2's global state, and the plugin's shared object (PLUGIN_SO, kept
 * open so that the library's dlopen finds it loaded).
 *
 * Usage: test_oom CONFIG PLUGIN_SO.  With TEST_OOM_ONLY=N in the
 * environment, the one run with allocation N failing, in this process (to
 * debug it; TEST_OOM_SCENARIO=2, 3 or 4 for another scenario). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, RTLD_NEXT */
#endif
#include <config.h>

#include "check.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <smsmux/smsmux.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* every N up to FULL_UPTO, then RUNS_AFTER more spread evenly (see the
   top) */
#define FULL_UPTO 20
#define RUNS_AFTER 40

/* ----------------------------------------------------------- injector -- */

/* AddressSanitizer calls malloc while it starts, before its shadow memory
   exists: the injector's own accesses must not be checked */
#if defined(__SANITIZE_ADDRESS__)
#define NO_ASAN __attribute__((no_sanitize_address))
#else
#define NO_ASAN
#endif

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);

static malloc_fn next_malloc;
static calloc_fn next_calloc;
static realloc_fn next_realloc;
static free_fn next_free;

/* dlsym may allocate while the pointers above are being looked up: it
   gets this, never freed */
static char boot[8192];
static size_t boot_used;
static __thread int in_hook;

static long fail_at;   /* the call that fails (1-based); 0: none */
static long counted;   /* calls of the library counted so far */
static int counting;   /* between the start and the end of a run */
static int failed_one; /* the call fail_at was failed */
/* the notifier scenario: calls of the main thread are not counted */
static int other_threads_only;
static pthread_t main_thread;

NO_ASAN static void *boot_alloc(size_t n) {
  void *p;
  n = (n + 15) & ~(size_t)15;
  if (boot_used + n > sizeof boot)
    return NULL;
  p = boot + boot_used;
  boot_used += n;
  return p;
}

NO_ASAN static void resolve(void) {
  in_hook++;
  next_malloc = (malloc_fn)(uintptr_t)dlsym(RTLD_NEXT, "malloc");
  next_calloc = (calloc_fn)(uintptr_t)dlsym(RTLD_NEXT, "calloc");
  next_realloc = (realloc_fn)(uintptr_t)dlsym(RTLD_NEXT, "realloc");
  next_free = (free_fn)(uintptr_t)dlsym(RTLD_NEXT, "free");
  in_hook--;
}

/* 1 when the call from `ra` is the one to fail. */
NO_ASAN static int inject(void *ra) {
  Dl_info info;
  int ours;
  if (!__atomic_load_n(&counting, __ATOMIC_RELAXED) || in_hook)
    return 0;
  if (other_threads_only && pthread_equal(pthread_self(), main_thread))
    return 0;
  in_hook++;
  ours = dladdr(ra, &info) && info.dli_fname &&
         (strstr(info.dli_fname, "libsmsmux") ||
          strstr(info.dli_fname, "/plugins/"));
  in_hook--;
  if (!ours)
    return 0;
  if (__atomic_add_fetch(&counted, 1, __ATOMIC_RELAXED) != fail_at)
    return 0;
  __atomic_store_n(&failed_one, 1, __ATOMIC_RELAXED);
  errno = ENOMEM; /* as malloc does */
  return 1;
}

NO_ASAN void *malloc(size_t n) {
  if (!next_malloc) {
    if (in_hook)
      return boot_alloc(n);
    resolve();
  }
  return inject(__builtin_return_address(0)) ? NULL : next_malloc(n);
}

NO_ASAN void *calloc(size_t n, size_t size) {
  if (!next_calloc) {
    void *p;
    if (!in_hook)
      resolve();
    if (!next_calloc) { /* dlsym's own, while resolving */
      p = n && size > SIZE_MAX / n ? NULL : boot_alloc(n * size);
      if (p)
        memset(p, 0, n * size);
      return p;
    }
  }
  return inject(__builtin_return_address(0)) ? NULL : next_calloc(n, size);
}

NO_ASAN void *realloc(void *p, size_t n) {
  if (!next_realloc)
    resolve();
  return inject(__builtin_return_address(0)) ? NULL : next_realloc(p, n);
}

NO_ASAN void free(void *p) {
  if ((char *)p >= boot && (char *)p < boot + sizeof boot)
    return;
  if (!next_free)
    resolve();
  next_free(p);
}

/* strdup and strndup: the sanitizers' versions allocate without calling
   malloc, so they are counted here too */
NO_ASAN char *strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d;
  if (!next_malloc)
    resolve();
  if (inject(__builtin_return_address(0)))
    return NULL;
  d = next_malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

NO_ASAN char *strndup(const char *s, size_t max) {
  size_t n = strnlen(s, max);
  char *d;
  if (!next_malloc)
    resolve();
  if (inject(__builtin_return_address(0)))
    return NULL;
  d = next_malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* ------------------------------------------------------------ one run -- */

/* The notifier's lines (the scenario reads them). */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int hook_logged, hook_oom_logged, hook_given_up;
static char hook_line[512];

static void quiet_log(void *ud, smsmux_log_level level, const char *line) {
  (void)ud;
  (void)level;
  if (!strstr(line, "webhooks:"))
    return;
  pthread_mutex_lock(&log_lock);
  hook_logged = 1;
  if (strstr(line, "out of memory"))
    hook_oom_logged = 1;
  if (strstr(line, "given up"))
    hook_given_up = 1;
  snprintf(hook_line, sizeof hook_line, "%s", line);
  pthread_mutex_unlock(&log_lock);
}

/* A failure is clean when it says out of memory. */
static int says_oom(const smsmux_error *e) {
  return (e->cls == SMSMUX_ERR_SYSTEM ||
          e->cls == SMSMUX_ERR_UNKNOWN_OUTCOME) &&
         strstr(e->message, "out of memory") != NULL;
}

/* The outcome of a step: 0 done, 1 failed cleanly, 2 anything else. */
static int step_outcome(const smsmux_error *e, const char *what) {
  if (e->cls == SMSMUX_OK)
    return 0;
  if (says_oom(e))
    return 1;
  printf("# %s failed: %s: %s\n", what, smsmux_error_class_name(e->cls),
         e->message);
  return 2;
}

/* *req: an SMS of TEXT to to[0] alone */
static void sms_to_one(smsmux_send_request *req, const char **to,
                       const char *text) {
  memset(req, 0, sizeof *req);
  req->size = sizeof *req;
  req->kind = SMSMUX_KIND_SMS;
  req->text = text;
  req->to = to;
  req->n_to = 1;
}

static int worse(int a, int b) { return a > b ? a : b; }

/* A batch row: its outcome into *(int *)ud. */
static void on_row(void *ud, const smsmux_batch_row *row) {
  int *outcome = ud;
  *outcome = worse(*outcome, step_outcome(&row->result->error, "a batch row"));
}

/* Scenario 2 on an open handle (see the top). */
static int more_calls(smsmux *sm) {
  smsmux_send_request req;
  smsmux_route_explain *x;
  smsmux_provider_list *l;
  smsmux_batch_options bo;
  smsmux_batch *b;
  smsmux_batch_summary *sum;
  smsmux_error err;
  const char *to[] = {"0612345678"}, *to2[] = {"0612345679"};
  int outcome = 0, rows = 0;

  sms_to_one(&req, to, "Bonjour");
  x = smsmux_route(sm, &req);
  outcome = x ? step_outcome(&x->error, "smsmux_route") : 1;
  smsmux_route_explain_free(x);
  l = smsmux_providers(sm);
  outcome = worse(outcome, l ? 0 : 1);
  smsmux_provider_list_free(l);
  l = smsmux_plugins(sm);
  outcome = worse(outcome, l ? 0 : 1);
  smsmux_provider_list_free(l);

  memset(&bo, 0, sizeof bo);
  memset(&err, 0, sizeof err);
  bo.size = sizeof bo;
  bo.workers = 2;
  bo.on_row = on_row;
  bo.userdata = &rows;
  b = smsmux_batch_new(sm, &bo, &err);
  if (!b)
    return worse(outcome, step_outcome(&err, "smsmux_batch_new"));
  if (smsmux_batch_add(b, &req, 1, &err) == 0) {
    req.to = to2;
    if (smsmux_batch_add(b, &req, 2, &err) != 0)
      outcome = worse(outcome, step_outcome(&err, "smsmux_batch_add"));
  } else {
    outcome = worse(outcome, step_outcome(&err, "smsmux_batch_add"));
  }
  sum = smsmux_batch_finish(b);
  outcome = worse(outcome, worse(rows, sum ? 0 : 1));
  smsmux_batch_summary_free(sum);
  return outcome;
}

/* smsmux_hook with push `kind` (0 dlr, 1 mo) and `n` query pairs. */
static int hook(smsmux *sm, int reply, const smsmux_kv *kv, size_t n,
                const char *what) {
  smsmux_push p;
  smsmux_error err;
  memset(&p, 0, sizeof p);
  memset(&err, 0, sizeof err);
  p.size = sizeof p;
  p.provider = "smsmode";
  p.token = "oom-hook";
  p.reply = reply;
  p.method = "GET";
  p.query = kv;
  p.n_query = n;
  if (smsmux_hook(sm, &p, &err) == 0)
    return 0;
  return step_outcome(&err, what);
}

/* A listing (NULL with err) that must be JSON naming `key`. */
static int listing(char *doc, const smsmux_error *err, const char *key,
                   const char *what) {
  int outcome = 0;
  if (!doc)
    return step_outcome(err, what);
  if (!strstr(doc, key)) {
    printf("# %s: %s\n", what, doc);
    outcome = 2;
  }
  free(doc);
  return outcome;
}

/* Scenario 3 on an open handle (issue 13's paths; see the top).  Each run
   leaves the store as it found it (NUMBER not opted out; the listings
   read at most two rows), so that every run counts the same calls. */
#define NUMBER "0612345670"
#define NUMBER_INTL "33612345670"
static int hooks_and_optouts(smsmux *sm) {
  smsmux_send_request req;
  smsmux_send_result *r;
  smsmux_error err;
  const char *to[] = {NUMBER};
  char id[128], reply_id[2][64];
  int outcome = 0, rc;
  size_t k;

  memset(&err, 0, sizeof err);
  /* a run that stopped between STOP and START left it opted out */
  if ((rc = smsmux_optout_remove(sm, NULL, NUMBER, &err)) < 0)
    return step_outcome(&err, "smsmux_optout_remove");
  if ((rc = smsmux_optout_add(sm, NULL, "0612345671", &err)) < 0)
    return step_outcome(&err, "smsmux_optout_add");

  sms_to_one(&req, to, "Bonjour");
  r = smsmux_send(sm, &req);
  if (!r)
    return 1;
  if (r->error.cls != SMSMUX_OK || r->n_recipients != 1 ||
      !r->recipients[0].id) {
    outcome = r->error.cls != SMSMUX_OK ? step_outcome(&r->error,
                                                       "smsmux_send")
                                        : 2;
    smsmux_send_result_free(r);
    return outcome;
  }
  snprintf(id, sizeof id, "%s", r->recipients[0].id);
  smsmux_send_result_free(r);

  {
    /* sMsmode's delivery report: delivered (11) */
    const smsmux_kv dlr[] = {{"numero", NUMBER_INTL},
                             {"date_reception", "2026-12-05 10:00:00"},
                             {"statut", "11"},
                             {"smsID", id},
                             {"refClient", ""},
                             {"mcc_mnc", "20801"}};
    if ((outcome = hook(sm, 0, dlr, sizeof dlr / sizeof *dlr,
                        "smsmux_hook (dlr)")) != 0)
      return outcome;
  }
  for (k = 0; k < 2; k++)
    snprintf(reply_id[k], sizeof reply_id[k], "oom-%ld-%zu",
             (long)getpid(), k);
  {
    const smsmux_kv stop[] = {{"numero", "36034"},
                              {"message", "Stop "},
                              {"emetteur", NUMBER_INTL},
                              {"date_reception", "05122026-100000"},
                              {"smsID", id},
                              {"refClient", ""},
                              {"responseID", reply_id[0]}};
    if ((outcome = hook(sm, 1, stop, sizeof stop / sizeof *stop,
                        "smsmux_hook (STOP)")) != 0)
      return outcome;
  }
  /* refused: it opted out */
  r = smsmux_send(sm, &req);
  if (!r)
    return 1;
  if (r->error.cls != SMSMUX_ERR_INPUT || strcmp(r->error.code, "opt-out") != 0)
    outcome = r->error.cls == SMSMUX_OK ? 2
                                        : step_outcome(&r->error,
                                                       "smsmux_send (opted out)");
  if (r->error.cls == SMSMUX_OK)
    printf("# smsmux_send to a number opted out: sent\n");
  smsmux_send_result_free(r);
  if (outcome)
    return outcome;
  outcome = listing(smsmux_replies_json(sm, NULL, 0, 1, NULL, &err), &err,
                    "\"replies\"", "smsmux_replies_json");
  if (outcome)
    return outcome;
  outcome = listing(smsmux_optouts_json(sm, NULL, 1, NULL, &err), &err,
                    "\"optouts\"", "smsmux_optouts_json");
  if (outcome)
    return outcome;
  {
    const smsmux_kv start[] = {{"numero", "36034"},
                               {"message", "start"},
                               {"emetteur", NUMBER_INTL},
                               {"date_reception", "05122026-100500"},
                               {"smsID", id},
                               {"refClient", ""},
                               {"responseID", reply_id[1]}};
    outcome = hook(sm, 1, start, sizeof start / sizeof *start,
                   "smsmux_hook (START)");
  }
  return outcome;
}

static unsigned long webhooks_pending(smsmux *sm) {
  smsmux_queue_stats st;
  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  if (smsmux_queue_stats_get(sm, &st) != 0)
    return (unsigned long)-1;
  return st.webhooks_pending;
}

/* Requests tests/receiver logged (OOM_RECEIVER_LOG) for path `path`. */
static unsigned long received(const char *path) {
  const char *log = getenv("OOM_RECEIVER_LOG");
  FILE *f = log ? fopen(log, "r") : NULL;
  char line[8192], want[128];
  unsigned long n = 0;
  if (!f)
    return 0;
  snprintf(want, sizeof want, "\"path\":\"%s\"", path);
  while (fgets(line, sizeof line, f))
    n += strstr(line, want) != NULL;
  fclose(f);
  return n;
}

/* Scenario 4 (see the top): only the notifier's threads are counted, on a
   store of the run's own (XDG_STATE_HOME).  0: delivered; 1: an
   allocation failed and the event is still pending, the log saying out
   of memory; 2: anything else (lost, given up, another failure). */
static int notifier_run(smsmux *sm) {
  smsmux_send_request req;
  smsmux_notifier_options no;
  smsmux_notifier *n;
  smsmux_workers *w;
  smsmux_error err;
  const char *to[] = {"0612345672"}, *rcv = getenv("OOM_RECEIVER");
  char url[256], path[64], *json = NULL;
  unsigned long pending = 0, before, got;
  int i, outcome;

  __atomic_store_n(&counting, 0, __ATOMIC_RELAXED);
  memset(&err, 0, sizeof err);
  sms_to_one(&req, to, "Bonjour");
  /* a path of the run's own: its deliveries are counted in the log */
  snprintf(path, sizeof path, "/events/r%ld", (long)getpid());
  snprintf(url, sizeof url, "%s%s", rcv ? rcv : "http://127.0.0.1:9", path);
  if (smsmux_submit(sm, "", &req, url, &json, &err) != SMSMUX_SUBMIT_QUEUED) {
    printf("# smsmux_submit: %s\n", err.message);
    return 2;
  }
  free(json);
  if (!(w = smsmux_workers_start(sm, 1, &err))) {
    printf("# smsmux_workers_start: %s\n", err.message);
    return 2;
  }
  /* until the send's event waits for delivery */
  for (i = 0; i < 250 && (pending = webhooks_pending(sm)) == 0; i++)
    usleep(20000);
  smsmux_workers_stop(w);
  if (pending == 0 || pending == (unsigned long)-1) {
    printf("# no webhook event pending after the send\n");
    return 2;
  }
  before = pending;
  memset(&no, 0, sizeof no);
  no.size = sizeof no;
  no.threads = 1;
  no.secret = "oom-secret";
  __atomic_store_n(&counting, 1, __ATOMIC_RELAXED);
  if (!(n = smsmux_notifier_start(sm, &no, &err))) {
    __atomic_store_n(&counting, 0, __ATOMIC_RELAXED);
    printf("# smsmux_notifier_start: %s\n", err.message);
    return 2;
  }
  /* until delivered, or the notifier said something */
  for (i = 0; i < 250; i++) {
    int logged;
    pthread_mutex_lock(&log_lock);
    logged = hook_logged;
    pthread_mutex_unlock(&log_lock);
    if (logged || webhooks_pending(sm) == 0)
      break;
    usleep(20000);
  }
  smsmux_notifier_stop(n);
  __atomic_store_n(&counting, 0, __ATOMIC_RELAXED);
  pending = webhooks_pending(sm);
  got = received(path);
  pthread_mutex_lock(&log_lock);
  /* none lost: each event delivered or still pending (a repeat is
     allowed: delivery is at least once); delivered: a success, even when
     a later idle round ran out of memory; pending: the failure said out
     of memory */
  if (hook_given_up || pending == (unsigned long)-1 || got + pending < before)
    outcome = 2;
  else if (pending == 0)
    outcome = 0;
  else
    outcome = hook_oom_logged ? 1 : 2;
  if (outcome == 2)
    printf("# notifier: %lu event(s) before, %lu delivered, %lu pending; "
           "its last line: %s\n",
           before, got, pending, hook_logged ? hook_line : "(none)");
  pthread_mutex_unlock(&log_lock);
  return outcome;
}

/* 0: open + send; 1: open + more_calls; 2: open + hooks_and_optouts;
   3: open + notifier_run */
static int scenario;

/* 0: sent; 1: failed cleanly; 2: anything else (printed). */
static int one_run(const char *config) {
  smsmux_options opts;
  smsmux_error err;
  smsmux_send_request req;
  smsmux_send_result *r;
  smsmux *sm;
  const char *to[] = {"0612345678"};
  int outcome;

  memset(&opts, 0, sizeof opts);
  memset(&err, 0, sizeof err);
  opts.size = sizeof opts;
  opts.log = quiet_log;
  opts.verbose = 1;
  __atomic_store_n(&counting, 1, __ATOMIC_RELAXED);
  sm = smsmux_open(config, &opts, &err);
  if (!sm) {
    __atomic_store_n(&counting, 0, __ATOMIC_RELAXED);
    if (says_oom(&err))
      return 1;
    printf("# smsmux_open failed: %s: %s\n",
           smsmux_error_class_name(err.cls), err.message);
    return 2;
  }
  if (scenario != 0) {
    outcome = scenario == 1   ? more_calls(sm)
              : scenario == 2 ? hooks_and_optouts(sm)
                              : notifier_run(sm);
    smsmux_close(sm);
    __atomic_store_n(&counting, 0, __ATOMIC_RELAXED);
    return outcome;
  }
  sms_to_one(&req, to, "Bonjour, le code secret est 1234");
  r = smsmux_send(sm, &req);
  if (!r) {
    outcome = 1; /* smsmux.h: NULL only when out of memory */
  } else if (r->error.cls == SMSMUX_OK && r->n_recipients == 1) {
    outcome = 0;
  } else if (says_oom(&r->error)) {
    outcome = 1;
  } else {
    printf("# smsmux_send failed: %s: %s\n",
           smsmux_error_class_name(r->error.cls), r->error.message);
    outcome = 2;
  }
  smsmux_send_result_free(r);
  smsmux_close(sm);
  __atomic_store_n(&counting, 0, __ATOMIC_RELAXED);
  return outcome;
}

/* A child's exit status: codes of their own, so that a sanitizer's exit
   (1 for an error or a leak under ASan) is none of them. */
#define SENT 40          /* the message was sent */
#define CLEAN 41         /* a clean out-of-memory failure */
#define OTHER 42         /* any other outcome (printed) */
#define NOT_REACHED 43   /* the call to fail was never made */

/* The child's exit status; on the pipe: the number of calls counted. */
static int child(const char *config, long n, int fd) {
  static const int codes[] = {SENT, CLEAN, OTHER};
  int outcome;
  char line[64];
  int len;
  fail_at = n;
  if (scenario == 3) { /* a store of its own */
    char dir[256];
    snprintf(dir, sizeof dir, "%s/n-%ld", getenv("OOM_STATE"),
             (long)getpid());
    setenv("XDG_STATE_HOME", dir, 1);
  }
  outcome = codes[one_run(config)];
  len = snprintf(line, sizeof line, "%ld\n", counted);
  if (write(fd, line, (size_t)len) != len)
    outcome = OTHER;
  close(fd);
  fflush(stdout);
  /* the notifier's threads make a few calls more or less as time goes
     (an idle round of the sender): a run whose call was not reached
     there is a success */
  if (outcome != OTHER && n && !failed_one && scenario != 3)
    outcome = NOT_REACHED;
  return outcome;
}

/* Run with call n failing (0: none) in a child: its exit status, or 128 +
   the signal that killed it; *calls gets the calls it counted. */
static int run(const char *config, long n, long *calls) {
  int fds[2], status = 0;
  pid_t pid;
  char buf[64];
  ssize_t got;

  *calls = -1;
  if (pipe(fds) != 0)
    return 100;
  fflush(stdout);
  pid = fork();
  if (pid < 0)
    return 100;
  if (pid == 0) {
    close(fds[0]);
    exit(child(config, n, fds[1])); /* exit: the leak check runs */
  }
  close(fds[1]);
  got = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  if (got > 0) {
    buf[got] = '\0';
    *calls = strtol(buf, NULL, 10);
  }
  if (waitpid(pid, &status, 0) != pid)
    return 100;
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

/* Every check of one scenario. */
static void check_scenario(const char *config, const char *what) {
  long total = 0, calls, n, runs = 0, clean = 0, sent = 0, bad = 0, step;
  int rc;
  char name[200];

  /* twice: the first run creates the store (more allocations than the
     runs after it) */
  rc = run(config, 0, &total);
  if (rc == SENT)
    rc = run(config, 0, &total);
  snprintf(name, sizeof name, "%s: a run with no failure succeeds", what);
  CHECK_INT_EQ(rc, SENT, name);
  snprintf(name, sizeof name, "%s: the library's allocations are counted",
           what);
  CHECK(total > (scenario == 3 ? 10 : 50), name);
  printf("# %s: %ld allocations by the library and its plugin in one run\n",
         what, total);
  step = getenv("TEST_OOM_ALL") || total <= FULL_UPTO
             ? 1
             : (total - FULL_UPTO + RUNS_AFTER - 1) / RUNS_AFTER;
  for (n = 1; total > 0 && n <= total; n += n < FULL_UPTO ? 1 : step) {
    rc = run(config, n, &calls);
    runs++;
    if (rc == SENT) {
      sent++;
    } else if (rc == CLEAN) {
      clean++;
    } else {
      bad++;
      snprintf(name, sizeof name,
               "%s: allocation %ld of %ld failing: %s", what, n, total,
               rc == NOT_REACHED ? "was never reached"
               : rc >= 128 ? "the process died of a signal (abort, crash)"
               : rc == OTHER ? "the run neither succeeded nor said out of "
                               "memory"
                             : "a sanitizer error or a leak (see its "
                               "report)");
      CHECK(0, name);
      if (rc >= 128)
        printf("# signal %d\n", rc - 128);
    }
  }
  printf("# %s: %ld runs with one allocation failing: %ld succeeded "
         "anyway, %ld failed cleanly, %ld bad\n",
         what, runs, sent, clean, bad);
  snprintf(name, sizeof name,
           "%s: every failed allocation ends in success or a clean "
           "out-of-memory error",
           what);
  CHECK(bad == 0, name);
  /* the notifier's count varies with its idle rounds (see child): the
     calls past its delivery are not reached, so fewer fail it */
  snprintf(name, sizeof name,
           scenario == 3 ? "%s: failed allocations delay deliveries"
                         : "%s: most failed allocations fail the operation",
           what);
  CHECK(scenario == 3 ? clean >= 5 : clean > runs / 2, name);
}

int main(int argc, char **argv) {
  void *plugin;
  const char *only = getenv("TEST_OOM_ONLY");
  int rc;

  main_thread = pthread_self();
  if (argc != 3) {
    fprintf(stderr, "usage: test_oom CONFIG PLUGIN_SO\n");
    return 2;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    fprintf(stderr, "test_oom: curl_global_init failed\n");
    return 2;
  }
  xmlInitParser();
  if (!(plugin = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL))) {
    fprintf(stderr, "test_oom: %s\n", dlerror());
    return 2;
  }
  if (only) {
    scenario = getenv("TEST_OOM_SCENARIO")
                   ? (int)strtol(getenv("TEST_OOM_SCENARIO"), NULL, 10) - 1
                   : 0;
    other_threads_only = scenario == 3; /* XDG_STATE_HOME: yours to set */
    fail_at = strtol(only, NULL, 10);
    rc = one_run(argv[1]);
    printf("outcome %d (0 done, 1 out of memory, 2 other), %ld counted\n",
           rc, counted);
    return rc;
  }
  scenario = 0;
  check_scenario(argv[1], "open + send");
  scenario = 1;
  check_scenario(argv[1], "open + route, providers, plugins, batch");
  scenario = 2;
  check_scenario(argv[1], "open + hooks, STOP, opt-out refusal, listings");
  if (getenv("OOM_NOTIFY_CONFIG") && getenv("OOM_STATE")) {
    scenario = 3;
    other_threads_only = 1;
    check_scenario(getenv("OOM_NOTIFY_CONFIG"), "notifier: a webhook");
    other_threads_only = 0;
  }
  dlclose(plugin);
  curl_global_cleanup();
  return CHECK_DONE();
}
