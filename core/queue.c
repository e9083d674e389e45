/* queue: the service's durable queue (smsmux.h, "the durable queue").
 *
 * smsmux_submit checks a message as a send would (engine_check), then
 * records it whole in the store — the request as JSON, every recipient
 * `queued` — in one durable transaction (group commit) before it returns.
 * Workers claim the oldest due message (store_queue_claim: its queued
 * recipients get the worker's token, still `queued`), rebuild the request
 * and send it through the engine (engine_send_queued), which marks each
 * chunk `sending` durably before its request leaves and records every
 * outcome.  A worker holds one message at a time, so stopping finishes at
 * most one message per worker.  At start, store_queue_recover turns what a
 * dead process left `sending` into `unknown` and frees every claim.
 *
 * On a shared (PostgreSQL) store a claim is leased: a worker whose lease
 * ran out before it marked the message `sending` (its process paused for
 * longer than the lease, say) has lost it, and another worker may have
 * sent it meanwhile.  The mark checks the claim in the same statement
 * (store_mark_sending), so the late worker learns it ("claim-lost") and
 * sends nothing for those rows; every outcome it writes (store_finish,
 * settle_unsent) is written only where its claim still holds.
 *
 * Test hook: SMSMUX_TEST_CLAIM_PAUSE_MS=N (1-600000) makes every worker
 * wait N ms between its claim and the send, with a warning at start (the
 * window a paused process would stop in; tests/daemon/nodes-stall.sh).
 *
 * A message scheduled (`at`) for a provider that cannot schedule is held:
 * its request is kept without `at` and not_before = at; a claim skips it
 * until then.
 *
 * The JSON documents of the answers are built here from the store's rows;
 * the request JSON is this file's own format (read back only here). */
#include <config.h>

#include "engine.h"
#include "health.h"
#include "store.h"
#include "tenant.h"
#include "webhook.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define QUEUE_MAX_WORKERS 256
#define QUEUE_IDLE_WAIT_MS 1000

/* ------------------------------------------------------- request JSON -- */

static void add_str(json_object *o, const char *k, const char *v) {
  if (v)
    json_object_object_add(o, k, json_object_new_string(v));
}

static const char *kind_name(smsmux_kind k) {
  return k == SMSMUX_KIND_MMS ? "mms" : k == SMSMUX_KIND_VOICE ? "voice"
                                                               : "sms";
}

/* The request as the queue keeps it: numbers E.164, `at` left out when
   the queue holds the message itself. */
static char *request_to_json(const smsmux_send_request *req,
                             const engine_checked *ck) {
  json_object *o = json_object_new_object(), *to, *opts;
  size_t i;
  char *out;
  if (!o)
    return NULL;
  add_str(o, "kind", kind_name(req->kind));
  add_str(o, "text", req->text);
  to = json_object_new_array();
  for (i = 0; i < ck->n_to; i++)
    json_object_array_add(to, json_object_new_string(ck->to[i]));
  json_object_object_add(o, "to", to);
  add_str(o, "from", req->from);
  if (!ck->held)
    add_str(o, "at", req->at);
  add_str(o, "ref", req->ref);
  add_str(o, "image_url", req->image_url);
  add_str(o, "video_url", req->video_url);
  add_str(o, "audio_url", req->audio_url);
  if (req->duration)
    json_object_object_add(o, "duration",
                           json_object_new_int64((int64_t)req->duration));
  add_str(o, "subject", req->subject);
  add_str(o, "route", req->route);
  add_str(o, "provider", req->provider);
  opts = json_object_new_array();
  for (i = 0; req->options && i < req->n_options; i++) {
    json_object *kv = json_object_new_array();
    json_object_array_add(kv, json_object_new_string(
                                  req->options[i].key ? req->options[i].key
                                                      : ""));
    json_object_array_add(kv, json_object_new_string(
                                  req->options[i].value ? req->options[i].value
                                                        : ""));
    json_object_array_add(opts, kv);
  }
  json_object_object_add(o, "options", opts);
  out = strdup(json_object_to_json_string_ext(o, JSON_FLAGS));
  json_object_put(o);
  return out;
}

/* A request rebuilt from the queue's JSON; strings point into `doc`. */
typedef struct queued_request {
  json_object *doc;
  smsmux_send_request req;
  const char **to;
  smsmux_kv *opts;
} queued_request;

static const char *get_str(json_object *o, const char *k) {
  json_object *v;
  return json_object_object_get_ex(o, k, &v) &&
                 json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

static int request_from_json(const char *text, char **numbers, size_t n,
                             queued_request *q) {
  json_object *opts;
  const char *kind;
  size_t i, n_opts;
  memset(q, 0, sizeof *q);
  q->doc = text ? json_tokener_parse(text) : NULL;
  if (!q->doc || !json_object_is_type(q->doc, json_type_object))
    return -1;
  q->req.size = sizeof q->req;
  kind = get_str(q->doc, "kind");
  q->req.kind = kind && strcmp(kind, "mms") == 0     ? SMSMUX_KIND_MMS
                : kind && strcmp(kind, "voice") == 0 ? SMSMUX_KIND_VOICE
                                                     : SMSMUX_KIND_SMS;
  q->req.text = get_str(q->doc, "text");
  q->req.from = get_str(q->doc, "from");
  q->req.at = get_str(q->doc, "at");
  q->req.ref = get_str(q->doc, "ref");
  q->req.image_url = get_str(q->doc, "image_url");
  q->req.video_url = get_str(q->doc, "video_url");
  q->req.audio_url = get_str(q->doc, "audio_url");
  q->req.subject = get_str(q->doc, "subject");
  q->req.route = get_str(q->doc, "route");
  q->req.provider = get_str(q->doc, "provider");
  {
    json_object *d;
    if (json_object_object_get_ex(q->doc, "duration", &d))
      q->req.duration = (unsigned)json_object_get_int64(d);
  }
  /* only the recipients still queued and claimed are sent */
  q->to = calloc(n ? n : 1, sizeof *q->to);
  if (!q->to)
    return -1;
  for (i = 0; i < n; i++)
    q->to[i] = numbers[i];
  q->req.to = q->to;
  q->req.n_to = n;
  if (json_object_object_get_ex(q->doc, "options", &opts) &&
      json_object_is_type(opts, json_type_array) &&
      (n_opts = json_object_array_length(opts)) > 0) {
    q->opts = calloc(n_opts, sizeof *q->opts);
    if (!q->opts)
      return -1;
    for (i = 0; i < n_opts; i++) {
      json_object *kv = json_object_array_get_idx(opts, i);
      q->opts[i].key = json_object_get_string(json_object_array_get_idx(kv, 0));
      q->opts[i].value =
          json_object_get_string(json_object_array_get_idx(kv, 1));
    }
    q->req.options = q->opts;
    q->req.n_options = n_opts;
  }
  return 0;
}

static void queued_request_free(queued_request *q) {
  if (q->doc)
    json_object_put(q->doc);
  free(q->to);
  free(q->opts);
  memset(q, 0, sizeof *q);
}

/* ---------------------------------------------------- message document -- */

static json_object *time_or_null(int64_t t) {
  char buf[32];
  return *webhook_time(t, buf, sizeof buf) ? json_object_new_string(buf)
                                           : NULL;
}

static json_object *str_or_null(const char *s) {
  return s ? json_object_new_string(s) : NULL;
}

/* The message's status from its recipients': the first of queued,
   scheduled (held), sending, unknown that any has; else the one they
   share; else "mixed". */
static const char *message_status(const store_message *m, int64_t now) {
  static const char *const first[] = {"queued", "sending", "unknown"};
  size_t i, k;
  for (k = 0; k < 3; k++)
    for (i = 0; i < m->n_rcpts; i++)
      if (m->rcpts[i].state && strcmp(m->rcpts[i].state, first[k]) == 0)
        return k == 0 && m->not_before > now ? "scheduled" : first[k];
  for (i = 1; i < m->n_rcpts; i++)
    if (strcmp(m->rcpts[i].state ? m->rcpts[i].state : "",
               m->rcpts[0].state ? m->rcpts[0].state : "") != 0)
      return "mixed";
  return m->n_rcpts && m->rcpts[0].state ? m->rcpts[0].state : "unknown";
}

/* Units per recipient of a message read back: the operator's are its
   segments; a tenant's, the price on its plan. */
static int64_t unit_price_of(struct smsmux *sm, const store_message *m) {
  json_object *req;
  const char *kind;
  smsmux_kind k = SMSMUX_KIND_SMS;
  if (!m->tenant || !*m->tenant)
    return (int64_t)m->segments;
  req = m->request_json ? json_tokener_parse(m->request_json) : NULL;
  kind = req ? get_str(req, "kind") : NULL;
  if (kind && strcmp(kind, "mms") == 0)
    k = SMSMUX_KIND_MMS;
  else if (kind && strcmp(kind, "voice") == 0)
    k = SMSMUX_KIND_VOICE;
  if (req)
    json_object_put(req);
  return tenant_unit_price(sm, m->tenant, k, m->segments,
                           m->n_rcpts ? m->rcpts[0].number : NULL);
}

/* The status events of recipient `number`, oldest first. */
static json_object *history_of(const store_message *m, const char *number) {
  json_object *h = json_object_new_array();
  size_t i;
  for (i = 0; i < m->n_events; i++) {
    const store_event_row *e = &m->events[i];
    json_object *x;
    if (!e->kind || strcmp(e->kind, "status") != 0 || !e->number ||
        !number || strcmp(e->number, number) != 0)
      continue;
    x = json_object_new_object();
    json_object_object_add(x, "status", str_or_null(e->status));
    json_object_object_add(x, "provider", str_or_null(e->provider));
    json_object_object_add(x, "provider_id", str_or_null(e->provider_id));
    json_object_object_add(x, "code", str_or_null(e->code));
    json_object_object_add(x, "text", str_or_null(e->text));
    json_object_object_add(x, "at", time_or_null(e->at));
    json_object_array_add(h, x);
  }
  return h;
}

static json_object *message_object(struct smsmux *sm,
                                   const store_message *m) {
  json_object *o = json_object_new_object(), *rs, *as;
  int64_t now = (int64_t)time(NULL);
  size_t i;
  const char *at = NULL;
  json_object *req = m->request_json ? json_tokener_parse(m->request_json)
                                     : NULL;
  if (req)
    at = get_str(req, "at");
  json_object_object_add(o, "id", json_object_new_string(m->id));
  json_object_object_add(o, "status",
                         json_object_new_string(message_status(m, now)));
  json_object_object_add(o, "encoding", str_or_null(m->encoding));
  json_object_object_add(o, "segments",
                         json_object_new_int64((int64_t)m->segments));
  json_object_object_add(
      o, "units",
      json_object_new_int64(unit_price_of(sm, m) * (int64_t)m->n_rcpts));
  json_object_object_add(o, "ref", str_or_null(m->ref));
  json_object_object_add(o, "created", time_or_null(m->created));
  json_object_object_add(o, "at",
                         m->not_before ? time_or_null(m->not_before)
                                       : str_or_null(at));
  json_object_object_add(o, "callback_url", str_or_null(m->callback_url));
  rs = json_object_new_array();
  for (i = 0; i < m->n_rcpts; i++) {
    const store_rcpt_row *r = &m->rcpts[i];
    json_object *x = json_object_new_object();
    json_object_object_add(x, "to", str_or_null(r->number));
    json_object_object_add(
        x, "status",
        json_object_new_string(strcmp(r->state, "queued") == 0 &&
                                       m->not_before > now
                                   ? "scheduled"
                                   : r->state));
    json_object_object_add(x, "provider", str_or_null(r->provider));
    json_object_object_add(x, "provider_id", str_or_null(r->provider_id));
    json_object_object_add(x, "code", str_or_null(r->code));
    json_object_object_add(x, "text", str_or_null(r->text));
    json_object_object_add(x, "updated", time_or_null(r->updated));
    json_object_object_add(x, "history", history_of(m, r->number));
    json_object_array_add(rs, x);
  }
  json_object_object_add(o, "recipients", rs);
  as = json_object_new_array();
  for (i = 0; i < m->n_attempts; i++) {
    const store_attempt_row *a = &m->attempts[i];
    json_object *x = json_object_new_object();
    json_object_object_add(x, "provider", str_or_null(a->provider));
    json_object_object_add(x, "result", str_or_null(a->outcome));
    json_object_object_add(x, "class", str_or_null(a->cls));
    json_object_object_add(x, "code", str_or_null(a->code));
    json_object_object_add(x, "message", str_or_null(a->message));
    json_object_object_add(x, "at", time_or_null(a->at));
    json_object_array_add(as, x);
  }
  json_object_object_add(o, "attempts", as);
  if (req)
    json_object_put(req);
  return o;
}

static char *object_text(json_object *o) {
  char *s = o ? strdup(json_object_to_json_string_ext(o, JSON_FLAGS)) : NULL;
  if (o)
    json_object_put(o);
  return s;
}

/* The document of `id`; NULL with err (not-found, or the store). */
static char *message_text(struct smsmux *sm, store_db *db,
                          const char *tenant, const char *id,
                          smsmux_error *err) {
  store_message m;
  int rc = store_message_read(db, tenant ? tenant : "", id, &m);
  char *s;
  if (rc == 1) {
    err_set(err, SMSMUX_ERR_INPUT, "not-found", "no message %s", id);
    return NULL;
  }
  if (rc < 0) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "cannot read message %s", id);
    return NULL;
  }
  s = object_text(message_object(sm, &m));
  store_message_clear(&m);
  if (!s)
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  return s;
}

/* --------------------------------------------------------------- submit -- */

/* One message queued: one idle worker is enough (a busy one comes back
   for more by itself); waking them all made every idle worker race for
   that one message, a claim each, all but one finding nothing.  `all`:
   stopping. */
static void wake_workers(struct smsmux *sm, int all) {
  pthread_mutex_lock(&sm->queue_lock);
  sm->queue_seq++;
  if (all)
    pthread_cond_broadcast(&sm->queue_cond);
  else
    pthread_cond_signal(&sm->queue_cond);
  pthread_mutex_unlock(&sm->queue_lock);
}

/* After store_queue_put: a conflict refuses, all duplicates give the
   original, else queued. */
static smsmux_submit_status put_outcome(struct smsmux *sm, store_db *db,
                                        const char *tenant,
                                        const smsmux_send_request *req,
                                        store_rcpt *rows, size_t n,
                                        const char *id, char **json,
                                        smsmux_error *err) {
  size_t i, dup = 0;
  for (i = 0; i < n; i++)
    if (rows[i].claim == STORE_CLAIM_CONFLICT) {
      err_set(err, SMSMUX_ERR_INPUT, "ref-conflict",
              "ref %s: %s was already sent another message under this ref "
              "(message %s): nothing was queued; use a new ref for a new "
              "message",
              req->ref, rows[i].number,
              rows[i].message_id ? rows[i].message_id : "?");
      return SMSMUX_SUBMIT_REFUSED;
    } else if (rows[i].claim == STORE_CLAIM_SENT ||
               rows[i].claim == STORE_CLAIM_POSSIBLY) {
      dup++;
    }
  if (n && dup == n) {
    *json = message_text(sm, db, tenant, rows[0].message_id, err);
    return *json ? SMSMUX_SUBMIT_DUPLICATE : SMSMUX_SUBMIT_REFUSED;
  }
  *json = message_text(sm, db, tenant, id, err);
  return *json ? SMSMUX_SUBMIT_QUEUED : SMSMUX_SUBMIT_REFUSED;
}

static size_t count_new(const store_rcpt *rows, size_t n) {
  size_t i, k = 0;
  for (i = 0; i < n; i++)
    k += rows[i].claim == STORE_CLAIM_NEW || rows[i].claim == STORE_CLAIM_RETRY;
  return k;
}

smsmux_submit_status smsmux_submit(smsmux *sm, const char *tenant,
                                   const smsmux_send_request *req,
                                   const char *callback_url, char **json,
                                   smsmux_error *err) {
  engine_checked ck;
  store_queue_info q;
  store_msg m;
  store_rcpt *rows = NULL;
  store_db *db;
  char msg[512] = "", *request = NULL;
  smsmux_submit_status st = SMSMUX_SUBMIT_REFUSED;
  tenant_charge charge;
  size_t i;
  int rc;

  err_clear(err);
  *json = NULL;
  memset(&charge, 0, sizeof charge);
  if (engine_check(sm, req, &ck, err))
    return SMSMUX_SUBMIT_REFUSED;
  if (!(db = engine_store(sm, err)))
    goto out;
  request = request_to_json(req, &ck);
  rows = calloc(ck.n_to ? ck.n_to : 1, sizeof *rows);
  if (!request || !rows) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
    goto out;
  }
  for (i = 0; i < ck.n_to; i++)
    rows[i].number = ck.to[i];
  memset(&m, 0, sizeof m);
  m.tenant = tenant ? tenant : "";
  m.ref = req->ref && *req->ref ? req->ref : NULL;
  m.fingerprint = ck.fingerprint;
  if (tenant_submit_check(sm, m.tenant, req, &ck, &charge, err))
    goto out;
  memset(&q, 0, sizeof q);
  q.request_json = request;
  q.not_before = ck.held ? ck.at : 0;
  q.callback_url = callback_url ? callback_url : charge.callback_url;
  q.encoding = ck.encoding == SMSMUX_ENC_UCS2 ? "ucs2" : "gsm7";
  q.segments = ck.segments;
  q.charge = charge.tenant;
  q.unit_price = charge.unit_price;
  q.refund_on = charge.refund_on;
  rc = store_queue_put(db, &m, rows, ck.n_to, &q, msg, sizeof msg);
  if (rc == 2) {
    tenant_short_error(sm, &charge, ck.n_to, err);
    goto out;
  }
  if (rc) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "%s: nothing was queued", msg);
    goto out;
  }
  st = put_outcome(sm, db, m.tenant, req, rows, ck.n_to, m.id, json, err);
  if (st == SMSMUX_SUBMIT_QUEUED) {
    wake_workers(sm, 0);
    tenant_after_charge(sm, &charge,
                        charge.unit_price * (int64_t)count_new(rows, ck.n_to));
  }
out:
  tenant_charge_clear(&charge);
  for (i = 0; rows && i < ck.n_to; i++)
    store_rcpt_clear(&rows[i]);
  free(rows);
  free(request);
  engine_checked_clear(&ck);
  return st;
}

char *smsmux_message_json(smsmux *sm, const char *tenant, const char *id,
                          smsmux_error *err) {
  store_db *db = engine_store(sm, err);
  err_clear(err);
  if (!db)
    return NULL;
  return message_text(sm, db, tenant, id ? id : "", err);
}

static const char *const list_states[] = {
    "queued",      "sending",  "accepted",  "scheduled",
    "failed",      "unknown",  "cancelled", "sent",
    "delivered",   "undelivered", "expired", "rejected", NULL};

char *smsmux_messages_json(smsmux *sm, const char *tenant, const char *status,
                           int64_t since, unsigned limit, const char *cursor,
                           smsmux_error *err) {
  store_db *db;
  json_object *o, *arr;
  char **ids = NULL;
  size_t n = 0, i, k;
  err_clear(err);
  if (status) {
    for (k = 0; list_states[k] && strcmp(list_states[k], status); k++)
      ;
    if (!list_states[k]) {
      err_set(err, SMSMUX_ERR_INPUT, "bad-status",
              "status \"%.40s\" is not one of queued, sending, accepted, "
              "scheduled, failed, unknown, cancelled, sent, delivered, "
              "undelivered, expired, rejected",
              status);
      return NULL;
    }
  }
  if (cursor && (cursor[0] != 'm' || strlen(cursor) != 28 ||
                 strspn(cursor + 1, "0123456789abcdef") != 27)) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-cursor",
            "cursor: not one this service handed out");
    return NULL;
  }
  if (limit == 0)
    limit = 100;
  if (limit > 1000)
    limit = 1000;
  if (!(db = engine_store(sm, err)))
    return NULL;
  if (store_message_ids(db, tenant ? tenant : "", status, since, cursor,
                        limit + 1, &ids, &n)) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "cannot read the messages");
    return NULL;
  }
  o = json_object_new_object();
  arr = json_object_new_array();
  for (i = 0; i < n && i < limit; i++) {
    store_message m;
    if (store_message_read(db, tenant ? tenant : "", ids[i], &m) == 0) {
      json_object_array_add(arr, message_object(sm, &m));
      store_message_clear(&m);
    }
  }
  json_object_object_add(o, "messages", arr);
  json_object_object_add(o, "next_cursor",
                         n > limit ? json_object_new_string(ids[limit - 1])
                                   : NULL);
  for (i = 0; i < n; i++)
    free(ids[i]);
  free(ids);
  return object_text(o);
}

int smsmux_message_cancel(smsmux *sm, const char *tenant, const char *id,
                          smsmux_error *err) {
  store_db *db = engine_store(sm, err);
  char msg[512] = "";
  int rc;
  err_clear(err);
  if (!db)
    return -1;
  rc = store_message_cancel(db, tenant ? tenant : "", id ? id : "", msg,
                            sizeof msg);
  if (rc == 0)
    return 0;
  if (rc == 1)
    err_set(err, SMSMUX_ERR_INPUT, "not-found", "no message %s", id);
  else if (rc == 2)
    err_set(err, SMSMUX_ERR_INPUT, "not-cancellable",
            "message %s is no longer queued (sent or being sent): it cannot "
            "be cancelled here",
            id);
  else
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "%s", msg);
  return -1;
}

/* -------------------------------------------------------------- workers -- */

/* Send-time histogram bounds (seconds), Prometheus' `le` labels. */
static const double send_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1,
                                      0.25,  0.5,  1,     2.5,  5,  10};
#define N_BUCKETS (sizeof send_buckets / sizeof send_buckets[0])

/* What the workers counted for one provider instance. */
typedef struct provider_figures {
  unsigned long attempts_ok, attempts_failed, skipped;
  unsigned long accepted, failed, unknown;
  unsigned long buckets[N_BUCKETS]; /* cumulative at export */
  unsigned long sends;
  double seconds;
} provider_figures;

struct smsmux_workers {
  struct smsmux *sm;
  char node[24]; /* random, per process: the workers' claim tokens */
  long heartbeat_s;
  provider_figures *figs; /* one per instance of sm, under lock */
  pthread_t *threads;
  unsigned n;
  pthread_t heartbeat;
  int heartbeat_started;
  pthread_mutex_t lock; /* the counters below, stop */
  pthread_cond_t stop_cond;
  int stop;
  unsigned long busy, sent, failed, unknown, attempts_ok, attempts_failed;
  long claim_pause_ms; /* the test hook, 0: none */
};

/* Only one set of workers per handle: smsmux_queue_stats_get reads it. */
static pthread_mutex_t workers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct smsmux_workers *workers_of_handle;

typedef struct worker_arg {
  struct smsmux_workers *w;
  unsigned k;
} worker_arg;

static int stopping(struct smsmux_workers *w) {
  int s;
  pthread_mutex_lock(&w->lock);
  s = w->stop;
  pthread_mutex_unlock(&w->lock);
  return s;
}

/* Sleep until a submit, the next held message is due, or ms pass. */
static void idle_wait(struct smsmux *sm, unsigned long seq, long ms) {
  struct timespec at;
  clock_gettime(CLOCK_REALTIME, &at);
  at.tv_sec += ms / 1000;
  at.tv_nsec += (ms % 1000) * 1000000L;
  if (at.tv_nsec >= 1000000000L) {
    at.tv_sec++;
    at.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&sm->queue_lock);
  while (sm->queue_seq == seq &&
         pthread_cond_timedwait(&sm->queue_cond, &sm->queue_lock, &at) == 0)
    ;
  pthread_mutex_unlock(&sm->queue_lock);
}

static provider_figures *figures_of(struct smsmux_workers *w,
                                    const char *provider) {
  size_t i;
  for (i = 0; provider && i < w->sm->n_inst; i++)
    if (strcmp(w->sm->inst[i].cfg->name, provider) == 0)
      return &w->figs[i];
  return NULL;
}

/* Per provider: attempts, recipients, and the message's send time under
   the provider that took it.  Caller holds w->lock. */
static void count_by_provider(struct smsmux_workers *w,
                              const smsmux_send_result *r, double seconds) {
  provider_figures *f;
  size_t i, k;
  if (!w->figs)
    return;
  for (i = 0; i < r->n_attempts; i++)
    if ((f = figures_of(w, r->attempts[i].provider))) {
      if (r->attempts[i].skipped)
        f->skipped++;
      else if (r->attempts[i].ok)
        f->attempts_ok++;
      else
        f->attempts_failed++;
    }
  for (i = 0; i < r->n_recipients; i++)
    if ((f = figures_of(w, r->recipients[i].provider))) {
      smsmux_status st = r->recipients[i].status;
      if (st == SMSMUX_STATUS_UNKNOWN)
        f->unknown++;
      else if (st == SMSMUX_STATUS_REJECTED || st == SMSMUX_STATUS_FAILED)
        f->failed++;
      else
        f->accepted++;
    }
  if ((f = figures_of(w, r->provider))) {
    f->sends++;
    f->seconds += seconds;
    for (k = 0; k < N_BUCKETS; k++)
      if (seconds <= send_buckets[k]) {
        f->buckets[k]++;
        break;
      }
  }
}

static void count_result(struct smsmux_workers *w,
                         const smsmux_send_result *r, double seconds) {
  size_t i;
  pthread_mutex_lock(&w->lock);
  count_by_provider(w, r, seconds);
  for (i = 0; i < r->n_recipients; i++) {
    smsmux_status s = r->recipients[i].status;
    if (s == SMSMUX_STATUS_UNKNOWN)
      w->unknown++;
    else if (s == SMSMUX_STATUS_REJECTED || s == SMSMUX_STATUS_FAILED)
      w->failed++;
    else
      w->sent++;
  }
  for (i = 0; i < r->n_attempts; i++) {
    if (r->attempts[i].skipped)
      continue; /* a breaker skip: no request was made */
    if (r->attempts[i].ok)
      w->attempts_ok++;
    else
      w->attempts_failed++;
  }
  pthread_mutex_unlock(&w->lock);
}

/* The claimed recipients of `c` that ended `failed` are failed for good
   (the queue does not send them again): a tenant's units come back, once
   (the store refunds nothing twice).  The outcomes are committed first. */
static void refund_failed(store_db *db, const store_claimed *c) {
  if (!c->tenant || !*c->tenant)
    return;
  store_flush(db, NULL, 0);
  store_refund_failed(db, c->id, (const char *const *)c->numbers, c->n,
                      NULL, NULL, 0);
}

static int any_failed(const smsmux_send_result *r) {
  size_t i;
  for (i = 0; i < r->n_recipients; i++)
    if (r->recipients[i].status == SMSMUX_STATUS_FAILED)
      return 1;
  return 0;
}

/* A message the engine could not start (no provider now, bad request):
   its claimed recipients are settled as failed, nothing went out (only
   those this worker's claim still holds: `token`). */
static void settle_unsent(store_db *db, const char *token,
                          const store_claimed *c, const smsmux_error *e) {
  store_outcome *o = calloc(c->n ? c->n : 1, sizeof *o);
  size_t i;
  if (!o)
    return;
  for (i = 0; i < c->n; i++) {
    o[i].number = c->numbers[i];
    o[i].state = "failed";
    o[i].code = e->code[0] ? e->code : smsmux_error_class_name(e->cls);
    o[i].text = e->message;
  }
  store_finish(db, c->id, token, o, c->n, NULL, 0);
  free(o);
  refund_failed(db, c);
}

static void send_claimed(struct smsmux_workers *w, store_db *db,
                         const char *token, store_claimed *c) {
  queued_request q;
  smsmux_send_result *r;
  struct timespec t0, t1;
  if (w->claim_pause_ms > 0) {
    struct timespec p = {w->claim_pause_ms / 1000,
                         (w->claim_pause_ms % 1000) * 1000000L};
    log_write(&w->sm->log, SMSMUX_LOG_WARNING,
              "queue: claimed message %s; pausing %ld ms (test hook)", c->id,
              w->claim_pause_ms);
    while (nanosleep(&p, &p) != 0)
      ;
  }
  if (request_from_json(c->request_json, c->numbers, c->n, &q)) {
    smsmux_error e;
    err_set(&e, SMSMUX_ERR_SYSTEM, "bad-request",
            "the queued request of message %s cannot be read back", c->id);
    settle_unsent(db, token, c, &e);
    queued_request_free(&q);
    return;
  }
  pthread_mutex_lock(&w->lock);
  w->busy++;
  pthread_mutex_unlock(&w->lock);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  r = engine_send_queued(w->sm, &q.req, c->id, c->tenant, token);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  pthread_mutex_lock(&w->lock);
  w->busy--;
  pthread_mutex_unlock(&w->lock);
  if (!r) { /* out of memory before anything was sent: later */
    store_queue_unclaim(db, token, NULL, 0);
    queued_request_free(&q);
    sleep(1);
    return;
  }
  if (strcmp(r->error.code, "claim-lost") == 0) {
    /* another worker has the rest of the message: those rows are not ours
       to settle or give back.  A chunk this worker sent before and that
       failed for good is still refunded (the store refunds a `failed` row
       once, whoever asks) */
    log_write(&w->sm->log, SMSMUX_LOG_WARNING, "queue: message %s: %s", c->id,
              r->error.message);
    if (any_failed(r))
      refund_failed(db, c);
  } else if (r->n_recipients == 0 && r->error.cls != SMSMUX_OK) {
    if (r->error.cls == SMSMUX_ERR_TEMPORARY) {
      /* every provider resting (breakers): give it back for later */
      store_queue_unclaim(db, token, NULL, 0);
      sleep(1);
    } else {
      settle_unsent(db, token, c, &r->error);
    }
  } else if (any_failed(r)) {
    refund_failed(db, c);
  }
  count_result(w, r,
               (double)(t1.tv_sec - t0.tv_sec) +
                   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  smsmux_send_result_free(r);
  queued_request_free(&q);
}

/* A worker's claim token, "w-<node>-<k>": the node part is random, drawn
   when the workers start, so no two processes share a token, whatever
   their PIDs (two containers' nodes are both PID 1, and a node restarted
   after kill -9 may get its old PID back: a shared token would let one
   node renew, or give back, the other's claims). */
static void worker_token(const struct smsmux_workers *w, unsigned k,
                         char token[64]) {
  snprintf(token, 64, "w-%s-%u", w->node, k);
}

/* Every worker's claims and `sending` rows stay its own while it lives:
   on a shared (PostgreSQL) store they are leased, and a lease not renewed
   lets the other nodes take the claims and read the sends as unknown.
   The heartbeat renews them every HEARTBEAT_S, or a third of a shorter
   lease (SMSMUX_STORE_LEASE, read as the PostgreSQL store reads it); it
   also turns the expired leases of dead nodes into unknown sends and free
   claims.  A no-op on SQLite. */
#define HEARTBEAT_S 20

static long heartbeat_period(void) {
  const char *e = getenv("SMSMUX_STORE_LEASE");
  long lease = e ? strtol(e, NULL, 10) : 0;
  if (lease < 1 || lease > 3600)
    return HEARTBEAT_S;
  return lease / 3 < 1 ? 1 : lease / 3 < HEARTBEAT_S ? lease / 3 : HEARTBEAT_S;
}

static void *heartbeat_main(void *arg) {
  struct smsmux_workers *w = arg;
  struct timespec at;
  unsigned k;
  /* every worker's token, joined by commas: one heartbeat transaction a
     beat for the whole node (its expiry pass run once, not per worker) */
  char *tokens = calloc(w->n ? w->n : 1, 64);
  size_t used = 0;
  for (k = 0; tokens && k < w->n; k++) {
    char token[64];
    worker_token(w, k, token);
    used += (size_t)sprintf(tokens + used, "%s%s", k ? "," : "", token);
  }
  pthread_mutex_lock(&w->lock);
  while (!w->stop) {
    clock_gettime(CLOCK_REALTIME, &at);
    at.tv_sec += w->heartbeat_s;
    pthread_cond_timedwait(&w->stop_cond, &w->lock, &at);
    if (w->stop)
      break;
    pthread_mutex_unlock(&w->lock);
    {
      store_db *db = engine_store(w->sm, NULL);
      if (db && tokens)
        store_queue_heartbeat(db, tokens, NULL, 0);
      else if (db) /* out of memory at start: one by one */
        for (k = 0; k < w->n; k++) {
          char token[64];
          worker_token(w, k, token);
          store_queue_heartbeat(db, token, NULL, 0);
        }
    }
    pthread_mutex_lock(&w->lock);
  }
  pthread_mutex_unlock(&w->lock);
  free(tokens);
  return NULL;
}

static void *worker_main(void *arg) {
  worker_arg *a = arg;
  struct smsmux_workers *w = a->w;
  struct smsmux *sm = w->sm;
  char token[64];
  worker_token(w, a->k, token);
  free(a);
  while (!stopping(w)) {
    store_claimed c;
    int64_t now = (int64_t)time(NULL), next_due = 0;
    unsigned long seq;
    char msg[512] = "";
    store_db *db = engine_store(sm, NULL);
    int rc;
    pthread_mutex_lock(&sm->queue_lock);
    seq = sm->queue_seq;
    pthread_mutex_unlock(&sm->queue_lock);
    rc = db ? store_queue_claim(db, token, now, &c, &next_due, msg,
                                sizeof msg)
            : -1;
    if (rc == 0) {
      send_claimed(w, db, token, &c);
      store_claimed_clear(&c);
      continue;
    }
    if (rc < 0) {
      log_write(&sm->log, SMSMUX_LOG_ERROR, "queue: %s",
                msg[0] ? msg : "the store is unavailable");
      /* a claim may have been committed without its answer reaching us
         (the connection lost, out of memory): this worker holds nothing
         else, so whatever its token holds is given back */
      if (db)
        store_queue_unclaim(db, token, NULL, 0);
    }
    idle_wait(sm, seq,
              next_due > now && (next_due - now) * 1000 < QUEUE_IDLE_WAIT_MS
                  ? (long)(next_due - now) * 1000
                  : QUEUE_IDLE_WAIT_MS);
  }
  return NULL;
}

smsmux_workers *smsmux_workers_start(smsmux *sm, unsigned n,
                                     smsmux_error *err) {
  struct smsmux_workers *w;
  store_db *db;
  char msg[512] = "";
  long unknown = 0;
  unsigned k;

  err_clear(err);
  if (n == 0 || n > QUEUE_MAX_WORKERS) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "workers: %u is not 1 to %d", n,
            QUEUE_MAX_WORKERS);
    return NULL;
  }
  if (!(db = engine_store(sm, err)))
    return NULL;
  if (store_queue_recover(db, &unknown, msg, sizeof msg)) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "%s", msg);
    return NULL;
  }
  if (unknown)
    log_write(&sm->log, SMSMUX_LOG_WARNING,
              "queue: %ld recipient(s) were being sent when smsmux last "
              "stopped: marked unknown (they may have gone out; never sent "
              "again)",
              unknown);
  w = calloc(1, sizeof *w);
  if (!w || !(w->threads = calloc(n, sizeof *w->threads))) {
    free(w);
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
    return NULL;
  }
  w->sm = sm;
  process_nonce(w->node);
  w->heartbeat_s = heartbeat_period();
  {
    const char *e = getenv("SMSMUX_TEST_CLAIM_PAUSE_MS");
    long ms = e ? strtol(e, NULL, 10) : 0;
    if (ms > 0 && ms <= 600000) {
      w->claim_pause_ms = ms;
      log_write(&sm->log, SMSMUX_LOG_WARNING,
                "queue: SMSMUX_TEST_CLAIM_PAUSE_MS=%ld: every worker pauses "
                "between claim and send (a test hook: unset it in "
                "production)",
                ms);
    }
  }
  w->figs = calloc(sm->n_inst ? sm->n_inst : 1, sizeof *w->figs);
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->stop_cond, NULL);
  for (k = 0; k < n; k++) {
    worker_arg *a = malloc(sizeof *a);
    if (a) {
      a->w = w;
      a->k = k;
    }
    if (!a || pthread_create(&w->threads[k], NULL, worker_main, a) != 0) {
      free(a);
      break;
    }
    w->n++;
  }
  w->heartbeat_started =
      pthread_create(&w->heartbeat, NULL, heartbeat_main, w) == 0;
  pthread_mutex_lock(&workers_lock);
  workers_of_handle = w;
  pthread_mutex_unlock(&workers_lock);
  if (w->n < n)
    log_write(&sm->log, SMSMUX_LOG_WARNING,
              "queue: only %u of %u workers could start", w->n, n);
  return w;
}

void smsmux_workers_stop(smsmux_workers *w) {
  unsigned k;
  if (!w)
    return;
  pthread_mutex_lock(&w->lock);
  w->stop = 1;
  pthread_cond_broadcast(&w->stop_cond);
  pthread_mutex_unlock(&w->lock);
  wake_workers(w->sm, 1);
  for (k = 0; k < w->n; k++)
    pthread_join(w->threads[k], NULL);
  if (w->heartbeat_started)
    pthread_join(w->heartbeat, NULL);
  pthread_mutex_lock(&workers_lock);
  if (workers_of_handle == w)
    workers_of_handle = NULL;
  pthread_mutex_unlock(&workers_lock);
  {
    store_db *db = engine_store(w->sm, NULL);
    if (db) /* what was claimed and not sent (none: one at a time) */
      store_flush(db, NULL, 0);
  }
  pthread_mutex_destroy(&w->lock);
  pthread_cond_destroy(&w->stop_cond);
  free(w->figs);
  free(w->threads);
  free(w);
}

int smsmux_queue_stats_get(smsmux *sm, smsmux_queue_stats *st) {
  smsmux_queue_stats s;
  store_db *db = engine_store(sm, NULL);
  size_t i, n = st->size < sizeof s ? st->size : sizeof s;
  int rc = -1;
  memset(&s, 0, sizeof s);
  s.size = n;
  if (db && store_queue_counts(db, &s.queued, &s.sending) == 0) {
    s.store_ok = 1;
    rc = 0;
  }
  if (db && store_webhook_backlog(db, &s.webhooks_pending) != 0)
    s.webhooks_pending = 0;
  engine_open_all(sm);
  for (i = 0; i < sm->n_inst; i++)
    s.providers_usable += sm->inst[i].usable != 0;
  pthread_mutex_lock(&workers_lock);
  if (workers_of_handle && workers_of_handle->sm == sm) {
    struct smsmux_workers *w = workers_of_handle;
    pthread_mutex_lock(&w->lock);
    s.workers_busy = w->busy;
    s.sent = w->sent;
    s.failed = w->failed;
    s.unknown = w->unknown;
    s.attempts_ok = w->attempts_ok;
    s.attempts_failed = w->attempts_failed;
    pthread_mutex_unlock(&w->lock);
  }
  pthread_mutex_unlock(&workers_lock);
  memcpy(st, &s, n);
  return rc;
}

/* -------------------------------------------------------------- metrics -- */

static int appendf(char **s, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int appendf(char **s, size_t *len, size_t *cap, const char *fmt, ...) {
  va_list ap;
  int n;
  for (;;) {
    va_start(ap, fmt);
    n = vsnprintf(*s ? *s + *len : NULL, *s ? *cap - *len : 0, fmt, ap);
    va_end(ap);
    if (n < 0)
      return -1;
    if (*s && *len + (size_t)n < *cap) {
      *len += (size_t)n;
      return 0;
    }
    {
      size_t want = (*cap ? *cap * 2 : 4096) + (size_t)n;
      char *p = realloc(*s, want);
      if (!p)
        return -1;
      *s = p;
      *cap = want;
    }
  }
}

char *smsmux_metrics_text(smsmux *sm) {
  char *s = NULL;
  size_t len = 0, cap = 0, i, k;
  int bad = 0;
  store_db *db = engine_store(sm, NULL);
  struct smsmux_workers *w;
  provider_figures *figs = calloc(sm->n_inst ? sm->n_inst : 1, sizeof *figs);
  if (!figs)
    return NULL;
  pthread_mutex_lock(&workers_lock);
  w = workers_of_handle && workers_of_handle->sm == sm ? workers_of_handle
                                                       : NULL;
  if (w) {
    pthread_mutex_lock(&w->lock);
    if (w->figs)
      memcpy(figs, w->figs, sm->n_inst * sizeof *figs);
    pthread_mutex_unlock(&w->lock);
  }
  pthread_mutex_unlock(&workers_lock);

#define OUT(...) bad |= appendf(&s, &len, &cap, __VA_ARGS__)
  OUT("# HELP smsmux_provider_attempts_total provider requests by result\n"
      "# TYPE smsmux_provider_attempts_total counter\n");
  for (i = 0; i < sm->n_inst; i++) {
    const char *n = sm->inst[i].cfg->name;
    OUT("smsmux_provider_attempts_total{provider=\"%s\",result=\"ok\"} %lu\n",
        n, figs[i].attempts_ok);
    OUT("smsmux_provider_attempts_total{provider=\"%s\",result=\"failed\"} "
        "%lu\n",
        n, figs[i].attempts_failed);
    OUT("smsmux_provider_attempts_total{provider=\"%s\",result=\"skipped\"} "
        "%lu\n",
        n, figs[i].skipped);
  }
  OUT("# HELP smsmux_provider_recipients_total recipients settled by the "
      "provider that had them, by status\n"
      "# TYPE smsmux_provider_recipients_total counter\n");
  for (i = 0; i < sm->n_inst; i++) {
    const char *n = sm->inst[i].cfg->name;
    OUT("smsmux_provider_recipients_total{provider=\"%s\",status=\"accepted\"}"
        " %lu\n",
        n, figs[i].accepted);
    OUT("smsmux_provider_recipients_total{provider=\"%s\",status=\"failed\"} "
        "%lu\n",
        n, figs[i].failed);
    OUT("smsmux_provider_recipients_total{provider=\"%s\",status=\"unknown\"} "
        "%lu\n",
        n, figs[i].unknown);
  }
  OUT("# HELP smsmux_provider_send_seconds time one queued message took to "
      "send, by the provider that took it\n"
      "# TYPE smsmux_provider_send_seconds histogram\n");
  for (i = 0; i < sm->n_inst; i++) {
    const char *n = sm->inst[i].cfg->name;
    unsigned long cum = 0;
    for (k = 0; k < N_BUCKETS; k++) {
      cum += figs[i].buckets[k];
      OUT("smsmux_provider_send_seconds_bucket{provider=\"%s\",le=\"%g\"} "
          "%lu\n",
          n, send_buckets[k], cum);
    }
    OUT("smsmux_provider_send_seconds_bucket{provider=\"%s\",le=\"+Inf\"} "
        "%lu\n",
        n, figs[i].sends);
    OUT("smsmux_provider_send_seconds_sum{provider=\"%s\"} %.6f\n", n,
        figs[i].seconds);
    OUT("smsmux_provider_send_seconds_count{provider=\"%s\"} %lu\n", n,
        figs[i].sends);
  }
  OUT("# HELP smsmux_provider_breaker_open 1 while the provider's circuit "
      "breaker rests it\n"
      "# TYPE smsmux_provider_breaker_open gauge\n");
  for (i = 0; i < sm->n_inst; i++) {
    health_breaker b;
    long limit = sm->cfg->breaker_failures;
    health_breaker_read(db, sm->inst[i].cfg->name, &b);
    OUT("smsmux_provider_breaker_open{provider=\"%s\"} %d\n",
        sm->inst[i].cfg->name,
        limit > 0 && b.failures >= limit && b.open_until > (int64_t)time(NULL));
  }
#undef OUT
  free(figs);
  if (bad) {
    free(s);
    return NULL;
  }
  return s ? s : strdup("");
}
