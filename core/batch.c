/* batch: bulk sending with worker threads (smsmux.h, "batch").
 *
 * The caller adds requests; consecutive ones that can share a request
 * (same text and options, one distinct number each) are merged into a
 * group of up to group_max rows.  Groups wait in a bounded queue (add
 * blocks when it is full, so memory does not grow with the input) until a
 * worker sends them with engine_send, the path of smsmux_send: validation,
 * router plan, chunked failover, max_rps, journal.  Each row keeps its own
 * ref, reserved in the journal before the grouped send and finished after
 * it, so a rerun skips exactly the rows already taken.  Rows share a
 * group only when they share the ref too: the store keys each recipient by
 * (ref, number) with the message's fingerprint.
 *
 * Rows are reported in the order they were added: finished groups wait
 * for the earlier ones, and a worker takes a group only within `window`
 * groups of the oldest unreported one, which bounds that wait too.
 *
 * Out of memory: smsmux_batch_add fails with SMSMUX_ERR_SYSTEM; a group
 * that cannot be sent for want of memory reports each of its rows with
 * that error (nothing was sent). */
#include <config.h>

#include "engine.h"
#include "msg.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX_WORKERS 256
#define BATCH_GROUP_CAP 1000 /* default group_max never exceeds this */

typedef struct brow {
  char *to;   /* as given */
  char *ref;  /* or NULL */
  uint64_t tag;
} brow;

typedef struct bgroup {
  struct bgroup *next;
  unsigned long seq;
  /* the shared request, strings owned (to/n_to/ref unused) */
  smsmux_send_request req;
  smsmux_kv *opts;
  brow *rows;
  size_t n, cap, limit;
  int solo;           /* takes no more rows (unreadable number) */
  const char **seen;  /* E.164 numbers of the rows: open addressing */
  char **seen_own;
  size_t seen_size;
  /* after the send */
  int discarded;      /* cancelled before it was sent */
  smsmux_send_result *r;
  engine_row *srows;
} bgroup;

struct smsmux_batch {
  struct smsmux *sm;
  smsmux_batch_options opts;
  pthread_t *threads;
  unsigned n_threads;
  struct timespec start;

  pthread_mutex_t lock; /* the queue, emit_next, closing, cancelled */
  pthread_cond_t can_take, has_space;
  bgroup *head, *tail;
  size_t queued, queue_max;
  unsigned long next_seq, emit_next, window;
  int closing, cancelled;

  bgroup *open; /* being filled by add (the caller's thread only) */

  pthread_mutex_t emit_lock; /* done list, callbacks, summary */
  bgroup *done;              /* finished, sorted by seq */
  unsigned long emit_seq;    /* next seq to report (emit_lock) */
  smsmux_batch_summary sum;
};

/* ------------------------------------------------------------ strings -- */

/* A copy of s (NULL: NULL); *oom set when it cannot be made. */
static char *dup_or_null(const char *s, int *oom) {
  char *d = str_dup(s);
  if (s && !d)
    *oom = 1;
  return d;
}

static int same_str(const char *a, const char *b) {
  if (!a || !b)
    return a == b;
  return strcmp(a, b) == 0;
}

/* Can `req` share the group's request? */
static int same_message(const bgroup *g, const smsmux_send_request *req) {
  const smsmux_send_request *k = &g->req;
  size_t i, n = req->options ? req->n_options : 0;
  if (k->kind != req->kind || k->duration != req->duration ||
      !same_str(k->text, req->text) || !same_str(k->from, req->from) ||
      !same_str(k->at, req->at) || !same_str(k->image_url, req->image_url) ||
      !same_str(k->video_url, req->video_url) ||
      !same_str(k->audio_url, req->audio_url) ||
      !same_str(k->subject, req->subject) || !same_str(k->route, req->route) ||
      !same_str(k->provider, req->provider) || k->n_options != n)
    return 0;
  for (i = 0; i < n; i++)
    if (!same_str(g->opts[i].key, req->options[i].key) ||
        !same_str(g->opts[i].value, req->options[i].value))
      return 0;
  return 1;
}

/* --------------------------------------------------------------- groups -- */

static size_t group_limit(struct smsmux_batch *b,
                          const smsmux_send_request *req) {
  size_t i, lim = 0;
  if (b->opts.group_max)
    return b->opts.group_max;
  if (!req->provider)
    engine_open_all(b->sm);
  if (req->provider) {
    instance *inst = engine_instance(b->sm, req->provider);
    if (inst && inst->usable && inst->max_recipients)
      lim = inst->max_recipients;
  } else {
    for (i = 0; i < b->sm->n_inst; i++) {
      const instance *inst = &b->sm->inst[i];
      if (inst->usable && inst->max_recipients &&
          (!lim || inst->max_recipients < lim))
        lim = inst->max_recipients;
    }
  }
  if (!lim)
    lim = 1;
  return lim < BATCH_GROUP_CAP ? lim : BATCH_GROUP_CAP;
}

static void group_free(bgroup *g);

/* A new group for `req`; NULL when out of memory. */
static bgroup *group_new(struct smsmux_batch *b,
                         const smsmux_send_request *req) {
  bgroup *g = calloc(1, sizeof *g);
  const smsmux_send_request *s = req;
  size_t i;
  int oom = 0;
  if (!g)
    return NULL;
  g->req.size = sizeof g->req;
  g->req.kind = s->kind;
  g->req.text = dup_or_null(s->text, &oom);
  g->req.from = dup_or_null(s->from, &oom);
  g->req.at = dup_or_null(s->at, &oom);
  g->req.image_url = dup_or_null(s->image_url, &oom);
  g->req.video_url = dup_or_null(s->video_url, &oom);
  g->req.audio_url = dup_or_null(s->audio_url, &oom);
  g->req.duration = s->duration;
  g->req.subject = dup_or_null(s->subject, &oom);
  g->req.route = dup_or_null(s->route, &oom);
  g->req.provider = dup_or_null(s->provider, &oom);
  if (s->options && s->n_options) {
    if (!(g->opts = calloc(s->n_options, sizeof *g->opts))) {
      group_free(g);
      return NULL;
    }
    g->req.n_options = s->n_options;
    for (i = 0; i < g->req.n_options; i++) {
      g->opts[i].key = dup_or_null(s->options[i].key, &oom);
      g->opts[i].value = dup_or_null(s->options[i].value, &oom);
    }
    g->req.options = g->opts;
  }
  g->limit = group_limit(b, req);
  if (g->limit > 1) {
    for (g->seen_size = 16; g->seen_size < 2 * g->limit; g->seen_size *= 2)
      ;
    g->seen = calloc(g->seen_size, sizeof *g->seen);
    g->seen_own = calloc(g->limit, sizeof *g->seen_own);
    oom |= !g->seen || !g->seen_own;
  }
  if (oom) {
    group_free(g);
    return NULL;
  }
  return g;
}

static void group_free(bgroup *g) {
  size_t i;
  if (!g)
    return;
  free((char *)g->req.text);
  free((char *)g->req.from);
  free((char *)g->req.at);
  free((char *)g->req.image_url);
  free((char *)g->req.video_url);
  free((char *)g->req.audio_url);
  free((char *)g->req.subject);
  free((char *)g->req.route);
  free((char *)g->req.provider);
  for (i = 0; i < g->req.n_options; i++) {
    free((char *)g->opts[i].key);
    free((char *)g->opts[i].value);
  }
  free(g->opts);
  for (i = 0; i < g->n; i++) {
    free(g->rows[i].to);
    free(g->rows[i].ref);
    if (g->seen_own)
      free(g->seen_own[i]);
  }
  free(g->rows);
  free(g->seen);
  free(g->seen_own);
  free(g->srows);
  smsmux_send_result_free(g->r);
  free(g);
}

static size_t hash_str(const char *s) {
  size_t h = 1469598103934665603ull & (size_t)-1;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * (size_t)1099511628211ull;
  return h;
}

/* The slot of `e164` in g->seen: where it is, or the empty one to use. */
static size_t seen_slot(const bgroup *g, const char *e164) {
  size_t i = hash_str(e164) & (g->seen_size - 1);
  while (g->seen[i] && strcmp(g->seen[i], e164) != 0)
    i = (i + 1) & (g->seen_size - 1);
  return i;
}

/* 0, or -1 when out of memory (no row added). */
static int group_add_row(bgroup *g, const char *to, const char *ref,
                         uint64_t tag, const char *e164) {
  int oom = 0;
  char *own = NULL;
  brow r, *row;
  r.to = dup_or_null(to, &oom);
  r.ref = dup_or_null(ref, &oom);
  r.tag = tag;
  if (g->seen && e164)
    own = dup_or_null(e164, &oom);
  if (oom || !(row = VEC_PUSH(g->rows, g->n, g->cap))) {
    free(r.to);
    free(r.ref);
    free(own);
    return -1;
  }
  *row = r;
  if (own) {
    size_t k = seen_slot(g, e164);
    g->seen_own[g->n - 1] = own;
    g->seen[k] = own;
  }
  return 0;
}

/* --------------------------------------------------------------- queue -- */

/* Hand the group to the workers (blocks while the queue is full). */
static void enqueue(struct smsmux_batch *b, bgroup *g) {
  pthread_mutex_lock(&b->lock);
  while (b->queued >= b->queue_max && !b->cancelled)
    pthread_cond_wait(&b->has_space, &b->lock);
  g->seq = b->next_seq++;
  if (b->tail)
    b->tail->next = g;
  else
    b->head = g;
  b->tail = g;
  b->queued++;
  pthread_cond_signal(&b->can_take);
  pthread_mutex_unlock(&b->lock);
}

static void flush_open(struct smsmux_batch *b) {
  if (b->open) {
    bgroup *g = b->open;
    b->open = NULL;
    enqueue(b, g);
  }
}

/* ------------------------------------------------------------ reports -- */

static int status_taken(smsmux_status s) {
  return s == SMSMUX_STATUS_ACCEPTED || s == SMSMUX_STATUS_SCHEDULED ||
         s == SMSMUX_STATUS_SENT || s == SMSMUX_STATUS_DELIVERED;
}

/* The count of `provider`, or NULL when out of memory (the row then
   counts in the totals only: the summary has no error to carry). */
static smsmux_batch_provider_count *count_of(smsmux_batch_summary *s,
                                             const char *provider) {
  size_t i;
  smsmux_batch_provider_count *more;
  char *name;
  for (i = 0; i < s->n_providers; i++)
    if (strcmp(s->providers[i].provider, provider) == 0)
      return &s->providers[i];
  if (!(name = str_dup(provider)))
    return NULL;
  more = realloc(s->providers, (s->n_providers + 1) * sizeof *s->providers);
  if (!more) {
    free(name);
    return NULL;
  }
  s->providers = more;
  memset(&s->providers[s->n_providers], 0, sizeof *s->providers);
  s->providers[s->n_providers].provider = name;
  return &s->providers[s->n_providers++];
}

/* One callback per row, with a view of the group's result restricted to
   that row; the summary counts.  Caller holds emit_lock. */
static void report_group(struct smsmux_batch *b, bgroup *g) {
  const smsmux_send_result *r = g->r;
  size_t i, n_new = 0;
  smsmux_send_result unsent;
  smsmux_batch_provider_count none;

  if (g->discarded) {
    b->sum.not_sent += g->n;
    return;
  }
  if (!r || !g->srows) {
    /* not sent for want of memory (send_group): each row says so */
    memset(&unsent, 0, sizeof unsent);
    err_oom(&unsent.error);
    for (i = 0; i < g->n; i++) {
      smsmux_batch_row row;
      smsmux_batch_provider_count *pc = count_of(&b->sum, "-");
      memset(&row, 0, sizeof row);
      row.size = sizeof row;
      row.tag = g->rows[i].tag;
      row.to = g->rows[i].to;
      row.ref = g->rows[i].ref;
      row.result = &unsent;
      row.group_size = g->n;
      b->sum.refused++;
      if (pc)
        pc->refused++;
      if (b->opts.on_row)
        b->opts.on_row(b->opts.userdata, &row);
    }
    return;
  }
  b->sum.sends++;
  for (size_t k = 0; k < r->n_attempts; k++)
    b->sum.requests += !r->attempts[k].skipped; /* skipped: not made */
  for (i = 0; i < g->n; i++) {
    const engine_row *s = &g->srows[i];
    if (s->rcpt != (size_t)-1 && !s->journaled &&
        status_taken(r->recipients[s->rcpt].status))
      n_new++;
  }
  for (i = 0; i < g->n; i++) {
    const engine_row *s = &g->srows[i];
    smsmux_recipient_result *rc =
        s->rcpt != (size_t)-1 ? &r->recipients[s->rcpt] : NULL;
    smsmux_send_result v = *r;
    smsmux_batch_row row;
    smsmux_batch_provider_count *pc;
    int taken = rc && s->cls == SMSMUX_OK && s->journaled != 2 &&
                status_taken(rc->status);

    v.recipients = rc;
    v.n_recipients = rc ? 1 : 0;
    v.duplicate = s->journaled == 1;
    v.possibly_sent = s->journaled == 2 || s->cls == SMSMUX_ERR_UNKNOWN_OUTCOME;
    v.provider = rc && (taken || v.duplicate) ? rc->provider : NULL;
    v.id = rc && (taken || v.duplicate) ? (rc->id ? rc->id : r->id) : NULL;
    v.cost = taken && !v.duplicate && n_new ? r->cost / (double)n_new : 0;
    memset(&v.error, 0, sizeof v.error);
    if (s->cls != SMSMUX_OK) {
      if (rc) {
        v.error.cls = s->cls;
        snprintf(v.error.code, sizeof v.error.code, "%s",
                 rc->code ? rc->code : "");
        snprintf(v.error.message, sizeof v.error.message, "%s",
                 rc->text ? rc->text : r->error.message);
      } else {
        v.error = r->error;
      }
    }

    memset(&row, 0, sizeof row);
    row.size = sizeof row;
    row.tag = g->rows[i].tag;
    row.to = g->rows[i].to;
    row.ref = g->rows[i].ref;
    row.result = &v;
    row.group_size = g->n;

    pc = count_of(&b->sum, rc && rc->provider ? rc->provider : "-");
    if (!pc) {
      memset(&none, 0, sizeof none);
      pc = &none;
    }
    if (v.possibly_sent) {
      b->sum.unknown++;
      pc->unknown++;
    } else if (v.error.cls != SMSMUX_OK || !rc || !status_taken(rc->status)) {
      b->sum.refused++;
      pc->refused++;
    } else {
      b->sum.sent++;
      pc->sent++;
      if (v.duplicate)
        b->sum.duplicate++;
    }
    if (b->opts.on_row)
      b->opts.on_row(b->opts.userdata, &row);
  }
}

/* A worker is done with g: report it, and every later group already done,
   when all earlier ones were reported. */
static void group_done(struct smsmux_batch *b, bgroup *g) {
  bgroup **pp;
  pthread_mutex_lock(&b->emit_lock);
  for (pp = &b->done; *pp && (*pp)->seq < g->seq; pp = &(*pp)->next)
    ;
  g->next = *pp;
  *pp = g;
  while (b->done && b->done->seq == b->emit_seq) {
    bgroup *d = b->done;
    b->done = d->next;
    report_group(b, d);
    group_free(d);
    b->emit_seq++;
    pthread_mutex_lock(&b->lock);
    b->emit_next = b->emit_seq;
    pthread_cond_broadcast(&b->can_take);
    pthread_mutex_unlock(&b->lock);
  }
  pthread_mutex_unlock(&b->emit_lock);
}

static void send_group(struct smsmux_batch *b, bgroup *g) {
  smsmux_send_request req = g->req;
  const char **to = calloc(g->n ? g->n : 1, sizeof *to);
  size_t i;
  g->srows = calloc(g->n ? g->n : 1, sizeof *g->srows);
  if (!to || !g->srows) { /* reported as not sent (report_group) */
    free(to);
    free(g->srows);
    g->srows = NULL;
    return;
  }
  for (i = 0; i < g->n; i++) {
    to[i] = g->rows[i].to;
    g->srows[i].ref = g->rows[i].ref;
  }
  req.to = to;
  req.n_to = g->n;
  req.ref = NULL;
  g->r = engine_send(b->sm, &req, g->srows);
  free(to);
}

static void *worker_main(void *arg) {
  struct smsmux_batch *b = arg;
  for (;;) {
    bgroup *g;
    int discard;
    pthread_mutex_lock(&b->lock);
    while (!(b->head && b->head->seq < b->emit_next + b->window) &&
           !(b->closing && !b->head))
      pthread_cond_wait(&b->can_take, &b->lock);
    if (!b->head) {
      pthread_mutex_unlock(&b->lock);
      break;
    }
    g = b->head;
    b->head = g->next;
    if (!b->head)
      b->tail = NULL;
    g->next = NULL;
    b->queued--;
    discard = b->cancelled;
    pthread_cond_signal(&b->has_space);
    pthread_mutex_unlock(&b->lock);
    if (discard)
      g->discarded = 1;
    else
      send_group(b, g);
    group_done(b, g);
  }
  return NULL;
}

/* ----------------------------------------------------------------- API -- */

smsmux_batch *smsmux_batch_new(smsmux *sm, const smsmux_batch_options *opts,
                               smsmux_error *err) {
  struct smsmux_batch *b;
  sigset_t all, old;
  unsigned i;

  err_clear(err);
  if (!sm) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "smsmux_batch_new: no smsmux handle");
    return NULL;
  }
  if (!(b = calloc(1, sizeof *b))) {
    err_oom(err);
    return NULL;
  }
  b->sm = sm;
  if (opts) {
    size_t n = opts->size < sizeof b->opts ? opts->size : sizeof b->opts;
    memcpy(&b->opts, opts, n);
  }
  b->opts.size = sizeof b->opts;
  if (b->opts.workers == 0)
    b->opts.workers = 4;
  if (b->opts.workers > BATCH_MAX_WORKERS) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "%u workers: at most %d", b->opts.workers, BATCH_MAX_WORKERS);
    free(b);
    return NULL;
  }
  b->queue_max = b->opts.queue ? b->opts.queue : 2u * b->opts.workers;
  b->window = (unsigned long)b->queue_max + 2u * b->opts.workers;
  clock_gettime(CLOCK_MONOTONIC, &b->start);
  pthread_mutex_init(&b->lock, NULL);
  pthread_mutex_init(&b->emit_lock, NULL);
  pthread_cond_init(&b->can_take, NULL);
  pthread_cond_init(&b->has_space, NULL);

  /* signals (Ctrl-C) are the caller's thread's business */
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  b->threads = calloc(b->opts.workers, sizeof *b->threads);
  for (i = 0; b->threads && i < b->opts.workers; i++) {
    if (pthread_create(&b->threads[i], NULL, worker_main, b) != 0)
      break;
    b->n_threads++;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (b->n_threads == 0) {
    if (!b->threads)
      err_oom(err);
    else
      err_set(err, SMSMUX_ERR_SYSTEM, NULL, "cannot start a worker thread");
    smsmux_batch_summary_free(smsmux_batch_finish(b));
    return NULL;
  }
  return b;
}

int smsmux_batch_add(smsmux_batch *b, const smsmux_send_request *req,
                     uint64_t tag, smsmux_error *err) {
  size_t i;
  int cancelled;

  err_clear(err);
  if (!req || req->size < offsetof(smsmux_send_request, n_options)) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "malformed send request");
    return -1;
  }
  pthread_mutex_lock(&b->lock);
  cancelled = b->cancelled || b->closing;
  pthread_mutex_unlock(&b->lock);
  if (cancelled) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "the batch was cancelled");
    return -1;
  }
  for (i = 0; i < (req->n_to ? req->n_to : 1); i++) {
    const char *to = req->n_to ? req->to[i] : NULL;
    const char *ref = req->ref && *req->ref ? req->ref : NULL;
    char e164[32], msg[256];
    int ok = to && msg_number_e164(to, b->sm->cfg->default_cc, e164,
                                   sizeof e164, msg, sizeof msg) == 0;
    if (!ok) {
      /* alone: its send reports the input error, the others go on */
      bgroup *g;
      flush_open(b);
      g = group_new(b, req);
      if (!g || group_add_row(g, to, ref, tag, NULL)) {
        group_free(g);
        return err_oom(err);
      }
      g->solo = 1;
      b->sum.rows++;
      enqueue(b, g);
      continue;
    }
    if (b->open && (b->open->solo || b->open->n >= b->open->limit ||
                    !same_message(b->open, req) ||
                    /* one ref per group: the store keys (ref, number) */
                    (b->open->n && !same_str(b->open->rows[0].ref, ref)) ||
                    (b->open->seen &&
                     b->open->seen[seen_slot(b->open, e164)])))
      flush_open(b);
    if (!b->open && !(b->open = group_new(b, req)))
      return err_oom(err);
    if (group_add_row(b->open, to, ref, tag, e164)) {
      if (!b->open->n) {
        group_free(b->open);
        b->open = NULL;
      }
      return err_oom(err);
    }
    b->sum.rows++;
    if (b->open->n >= b->open->limit)
      flush_open(b);
  }
  return 0;
}

void smsmux_batch_cancel(smsmux_batch *b) {
  pthread_mutex_lock(&b->lock);
  b->cancelled = 1;
  pthread_cond_broadcast(&b->has_space);
  pthread_mutex_unlock(&b->lock);
}

smsmux_batch_summary *smsmux_batch_finish(smsmux_batch *b) {
  smsmux_batch_summary *s;
  struct timespec end;
  unsigned i;

  if (!b)
    return NULL;
  if (b->open) {
    pthread_mutex_lock(&b->lock);
    if (b->cancelled)
      b->open->discarded = 1;
    pthread_mutex_unlock(&b->lock);
    flush_open(b);
  }
  pthread_mutex_lock(&b->lock);
  b->closing = 1;
  pthread_cond_broadcast(&b->can_take);
  pthread_mutex_unlock(&b->lock);
  for (i = 0; i < b->n_threads; i++)
    pthread_join(b->threads[i], NULL);
  /* no worker at all (could not start): nothing was sent */
  while (b->head) {
    bgroup *g = b->head;
    b->head = g->next;
    b->sum.not_sent += g->n;
    group_free(g);
  }
  while (b->done) {
    bgroup *g = b->done;
    b->done = g->next;
    group_free(g);
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  s = calloc(1, sizeof *s);
  if (s) {
    *s = b->sum;
    s->seconds = (double)(end.tv_sec - b->start.tv_sec) +
                 (double)(end.tv_nsec - b->start.tv_nsec) / 1e9;
  } else {
    for (i = 0; i < b->sum.n_providers; i++)
      free(b->sum.providers[i].provider);
    free(b->sum.providers);
  }
  pthread_cond_destroy(&b->can_take);
  pthread_cond_destroy(&b->has_space);
  pthread_mutex_destroy(&b->lock);
  pthread_mutex_destroy(&b->emit_lock);
  free(b->threads);
  free(b);
  return s;
}

void smsmux_batch_summary_free(smsmux_batch_summary *s) {
  size_t i;
  if (!s)
    return;
  for (i = 0; i < s->n_providers; i++)
    free(s->providers[i].provider);
  free(s->providers);
  free(s);
}
