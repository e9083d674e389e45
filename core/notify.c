/* notify: delivering what happened to messages, in the background (see
 * smsmux.h, smsmux_notifier_start): webhook senders over the store's
 * outbox, Kannel dlr-url calls, and status polling for providers that do
 * not push.  Also the notification URLs handed to plugins. */
#include <config.h>

#include "engine.h"
#include "host.h"
#include "httpc.h"
#include "webhook.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOTIFY_MAX_THREADS 64
#define NOTIFY_IDLE_MS 1000
/* seconds to wait for a receiver's answer */
#define NOTIFY_TIMEOUT 15
/* recipients polled per instance and round */
#define POLL_BATCH 100
/* the default first poll interval ([provider.NAME] dlr_poll absent) */
#define POLL_DEFAULT 60

int smsmux_set_public_url(smsmux *sm, const char *public_url,
                          smsmux_error *err) {
  size_t i, len;
  err_clear(err);
  if (public_url && !str_starts(public_url, "http://") &&
      !str_starts(public_url, "https://")) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "public_url \"%s\": give an http:// or https:// URL", public_url);
    return -1;
  }
  len = public_url ? strlen(public_url) : 0;
  while (len && public_url[len - 1] == '/')
    len--;
  for (i = 0; i < sm->n_inst; i++) {
    instance *inst = &sm->inst[i];
    const char *token = cfg_provider_get(inst->cfg, "hook_token");
    free(inst->notify_report_url);
    free(inst->notify_reply_url);
    inst->notify_report_url = inst->notify_reply_url = NULL;
    if (!public_url || !token || !*token)
      continue;
    inst->notify_report_url = str_printf("%.*s/hooks/%s/%s/dlr", (int)len,
                                         public_url, inst->cfg->name, token);
    inst->notify_reply_url = str_printf("%.*s/hooks/%s/%s/mo", (int)len,
                                        public_url, inst->cfg->name, token);
    if (!inst->notify_report_url || !inst->notify_reply_url) {
      /* none rather than some: no plugin told half of it */
      for (i = 0; i < sm->n_inst; i++) {
        free(sm->inst[i].notify_report_url);
        free(sm->inst[i].notify_reply_url);
        sm->inst[i].notify_report_url = sm->inst[i].notify_reply_url = NULL;
      }
      return err_oom(err);
    }
  }
  return 0;
}

struct smsmux_notifier {
  struct smsmux *sm;
  char *secret;                /* the operator's, or NULL */
  const char *(*tenant_secret)(void *ud, const char *tenant);
  void *ud;
  unsigned retry_hours;
  unsigned serial;             /* notifier_serial when it started */
  char node[17];               /* process_nonce: the senders' tokens */
  httpc_pool *http;
  pthread_t *threads;
  unsigned n;
  pthread_t poller;
  int poller_started;
  pthread_mutex_t lock;        /* stop */
  pthread_cond_t cond;
  int stop;
};

typedef struct sender_arg {
  struct smsmux_notifier *n;
  unsigned k;
} sender_arg;

/* Notifiers started by this process: each sender's claim token is its
   own even when a reload's notifier overlaps the old one. */
static unsigned notifier_serial;

static int stopping(struct smsmux_notifier *n) {
  int s;
  pthread_mutex_lock(&n->lock);
  s = n->stop;
  pthread_mutex_unlock(&n->lock);
  return s;
}

/* Sleep `ms` or until stopped. */
static void nap(struct smsmux_notifier *n, long ms) {
  struct timespec at;
  clock_gettime(CLOCK_REALTIME, &at);
  at.tv_sec += ms / 1000;
  at.tv_nsec += (ms % 1000) * 1000000L;
  if (at.tv_nsec >= 1000000000L) {
    at.tv_sec++;
    at.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&n->lock);
  while (!n->stop &&
         pthread_cond_timedwait(&n->cond, &n->lock, &at) == 0)
    ;
  pthread_mutex_unlock(&n->lock);
}

/* --------------------------------------------------------- webhooks -- */

/* The message's sender (its request's "from"), for Kannel's %P: 0 with
   *out malloc'd or NULL (none known), -1 out of memory. */
static int message_sender(store_db *db, const store_webhook *w, char **out) {
  store_message m;
  json_object *req, *from;
  int rc = 0;
  *out = NULL;
  if (store_message_read(db, w->tenant ? w->tenant : "", w->message_id, &m))
    return 0;
  req = m.request_json ? json_tokener_parse(m.request_json) : NULL;
  if (req && json_object_object_get_ex(req, "from", &from) &&
      json_object_is_type(from, json_type_string) &&
      !(*out = str_dup(json_object_get_string(from))))
    rc = -1;
  if (req)
    json_object_put(req);
  store_message_clear(&m);
  return rc;
}

static void event_of(const store_webhook *w, webhook_event *e) {
  int reply = w->ev.kind && strcmp(w->ev.kind, "reply") == 0;
  memset(e, 0, sizeof *e);
  e->event_id = w->event_id;
  e->kind = reply ? "reply" : "status";
  e->message_id = w->message_id;
  e->number = w->ev.number;
  e->text = w->ev.text;
  e->at = w->ev.at;
  if (reply) {
    /* the store's reply event: status = the number it was sent to,
       provider_id = smsmux's id of the reply */
    e->reply_to = w->ev.status;
    e->reply_id = w->ev.provider_id;
    return;
  }
  e->status = w->ev.status;
  e->provider = w->ev.provider;
  e->provider_id = w->ev.provider_id;
  e->code = w->ev.code;
}

/* What deliver() did with an event. */
enum {
  DELIVER_NEVER = -1, /* cannot ever be delivered: given up */
  DELIVER_FAILED = 0, /* tried, failed: retried later */
  DELIVER_DONE = 1,   /* delivered, or nothing to deliver */
  DELIVER_LOCAL = 2   /* this process's trouble before the request (out
                         of memory; *why NULL, or libcrypto): retried
                         later, never given up for it */
};

/* One HTTP request: 0 answered 2xx, else -1 with *why (malloc'd; NULL
   when that text could not be made either). */
static int deliver_http(struct smsmux_notifier *n, httpc_request *req,
                        char **why) {
  strbuf body = {0};
  httpc_failure f;
  long status = 0;
  int rc = httpc_perform(n->http, req, &status, &body, &f);
  sb_free(&body);
  if (rc != 0) {
    *why = str_printf("%s%s%s", f.what ? f.what : "no answer",
                      f.detail[0] ? ": " : "", f.detail);
    return -1;
  }
  if (status < 200 || status > 299) {
    *why = str_printf("answered HTTP %ld", status);
    return -1;
  }
  return 0;
}

/* Deliver event w: a DELIVER_ value; *why (malloc'd, or NULL when out of
   memory) says why it is not DELIVER_DONE. */
static int deliver(struct smsmux_notifier *n, store_db *db,
                   const store_webhook *w, char **why) {
  webhook_event e;
  httpc_request req;
  unsigned mask = 0;
  const char *url = NULL;
  int ok;
  event_of(w, &e);
  memset(&req, 0, sizeof req);
  req.timeout = NOTIFY_TIMEOUT;
  if (w->url && webhook_kannel_parse(w->url, &mask, &url)) {
    unsigned type = strcmp(e.kind, "status") == 0
                        ? webhook_kannel_type(e.status)
                        : 0;
    char *sender = NULL, *full;
    if (!type || !(mask & type))
      return DELIVER_DONE; /* not one the dlr-mask asked for */
    if (message_sender(db, w, &sender))
      return DELIVER_LOCAL;
    e.sender = sender;
    full = webhook_kannel_url(url, &e);
    free(sender);
    if (!full)
      return DELIVER_LOCAL;
    req.method = SMSMUX_HTTP_GET;
    req.url = full;
    ok = deliver_http(n, &req, why) == 0;
    free(full);
    return ok ? DELIVER_DONE : DELIVER_FAILED;
  }
  if (!w->url || (!str_starts(w->url, "http://") &&
                  !str_starts(w->url, "https://"))) {
    *why = str_printf("callback_url \"%s\" is not an http(s) URL",
                      w->url ? w->url : "");
    return DELIVER_NEVER;
  }
  {
    char sig[72], *body = webhook_body(&e), *h_event, *h_sig = NULL;
    const char *secret = NULL, *headers[4];
    size_t nh = 0;
    if (!body)
      return DELIVER_LOCAL;
    if (!w->tenant || !*w->tenant)
      secret = n->secret;
    else if (n->tenant_secret)
      secret = n->tenant_secret(n->ud, w->tenant);
    if (!(h_event = str_printf("X-Smsmux-Event: %s", w->event_id))) {
      free(body);
      return DELIVER_LOCAL;
    }
    headers[nh++] = h_event;
    if (secret && *secret) {
      /* never sent unsigned for want of memory or of libcrypto */
      if (webhook_sign(secret, body, strlen(body), sig) != 0)
        *why = str_dup("cannot sign the webhook (libcrypto)");
      else
        h_sig = str_printf("X-Smsmux-Signature: %s", sig);
      if (!h_sig) {
        free(h_event);
        free(body);
        return DELIVER_LOCAL;
      }
      headers[nh++] = h_sig;
    }
    req.method = SMSMUX_HTTP_POST;
    req.url = w->url;
    req.body_kind = SMSMUX_BODY_RAW;
    req.body = body;
    req.body_len = strlen(body);
    req.content_type = "application/json";
    req.headers = headers;
    req.n_headers = nh;
    ok = deliver_http(n, &req, why) == 0;
    free(h_event);
    free(h_sig);
    free(body);
    return ok ? DELIVER_DONE : DELIVER_FAILED;
  }
}

static void *sender_main(void *arg) {
  sender_arg *a = arg;
  struct smsmux_notifier *n = a->n;
  struct smsmux *sm = n->sm;
  char token[64];
  snprintf(token, sizeof token, "n-%s-%u-%u", n->node, n->serial, a->k);
  free(a);
  while (!stopping(n)) {
    store_webhook w;
    int64_t now = (int64_t)time(NULL), next_due = 0;
    char msg[512] = "", *why = NULL;
    store_db *db = engine_store(sm, NULL);
    int rc, done;
    memset(&w, 0, sizeof w);
    rc = db ? store_webhook_claim(db, token, now, &w, &next_due, msg,
                                  sizeof msg)
            : -1;
    if (rc != 0) {
      if (rc < 0)
        log_write(&sm->log, SMSMUX_LOG_ERROR, "webhooks: %s",
                  msg[0] ? msg : "the store is unavailable");
      nap(n, next_due > now && (next_due - now) * 1000 < NOTIFY_IDLE_MS
                 ? (long)(next_due - now) * 1000
                 : NOTIFY_IDLE_MS);
      continue;
    }
    done = deliver(n, db, &w, &why);
    if (done == DELIVER_DONE) {
      if (store_webhook_done(db, w.seq, msg, sizeof msg))
        log_write(&sm->log, SMSMUX_LOG_ERROR, "webhooks: event %s: %s",
                  w.event_id, msg);
    } else {
      unsigned failures = w.attempts + 1;
      int64_t next = (int64_t)time(NULL) + webhook_backoff(failures);
      /* out of memory (or libcrypto) is this process's trouble, not the
         receiver's: the event stays pending whatever its age */
      int give_up = done == DELIVER_NEVER ||
                    (done == DELIVER_FAILED &&
                     webhook_expired(w.first_at, next, n->retry_hours));
      if (done == DELIVER_LOCAL)
        log_write(&sm->log, SMSMUX_LOG_WARNING,
                  "webhooks: event %s of message %s: %s; retried in %lld s",
                  w.event_id, w.message_id, why ? why : "out of memory",
                  (long long)webhook_backoff(failures));
      else if (give_up)
        log_write(&sm->log, SMSMUX_LOG_WARNING,
                  "webhooks: event %s of message %s given up after %u "
                  "attempt(s): %s",
                  w.event_id, w.message_id, failures,
                  why ? why : "out of memory");
      else
        log_write(&sm->log, SMSMUX_LOG_INFO,
                  "webhooks: event %s of message %s: %s; retried in %lld s",
                  w.event_id, w.message_id, why ? why : "out of memory",
                  (long long)webhook_backoff(failures));
      if (store_webhook_retry(db, w.seq, next, give_up, msg, sizeof msg))
        log_write(&sm->log, SMSMUX_LOG_ERROR, "webhooks: event %s: %s",
                  w.event_id, msg);
    }
    free(why);
    store_webhook_clear(&w);
  }
  return NULL;
}

/* ---------------------------------------------------------- polling -- */

/* The first interval of instance `inst`'s polls, 0 when it is not polled:
   a plugin that reads statuses but does not push. */
static long poll_interval(const instance *inst) {
  if (!inst->usable || !inst->desc || !(inst->caps & SMSMUX_CAP_STATUS) ||
      !inst->desc->status)
    return 0;
  if (SMSMUX_HAS_MEMBER(inst->desc, smsmux_provider, inbound) &&
      inst->desc->inbound)
    return 0;
  return inst->cfg->dlr_poll < 0 ? POLL_DEFAULT : inst->cfg->dlr_poll;
}

/* Ask inst for the status of provider id `id` and apply what it says. */
static void poll_one(struct smsmux *sm, store_db *db, instance *inst,
                     const char *id) {
  smsmux_call call;
  char msg[512] = "";
  size_t i;
  int rc;
  call_init(&call, inst, CALL_STATUS);
  rc = inst->desc->status(inst->state, &call, id);
  call_settle(&call, rc);
  if (call.failed) {
    log_write(&sm->log, SMSMUX_LOG_INFO, "%s: status of %s: %s",
              inst->cfg->name, id, call.err.message);
  } else {
    for (i = 0; i < call.n_statuses; i++) {
      store_report rep;
      if (engine_report_of(inst->cfg->name, id, &call.statuses[i], &rep))
        continue;
      if (store_report_apply(db, &rep, msg, sizeof msg) < 0)
        log_write(&sm->log, SMSMUX_LOG_ERROR, "%s: status of %s: %s",
                  inst->cfg->name, id, msg);
    }
  }
  call_done(&call);
}

/* One round over the instances polled: what is due is asked. */
static void poll_round(struct smsmux_notifier *n, store_db *db) {
  struct smsmux *sm = n->sm;
  size_t i, j, k;
  for (i = 0; i < sm->n_inst && !stopping(n); i++) {
    instance *inst = &sm->inst[i];
    long first = poll_interval(inst);
    int64_t now = (int64_t)time(NULL);
    store_poll_row *rows = NULL;
    size_t nr = 0;
    if (first <= 0)
      continue;
    if (store_poll_due(db, inst->cfg->name, now,
                       now - (int64_t)inst->cfg->dlr_poll_deadline * 3600,
                       POLL_BATCH, &rows, &nr))
      continue;
    for (j = 0; j < nr && !stopping(n); j++) {
      store_poll_row *r = &rows[j];
      unsigned shift = r->polls < 20 ? r->polls + 1 : 20;
      int asked = 0;
      if (r->polls == 0 && r->since + first > now)
        continue; /* its first interval has not passed yet */
      if (!r->provider_id || !*r->provider_id)
        asked = 1; /* nothing to ask with: only marked */
      /* one request per provider id and round: the others of the same
         message take its answer */
      for (k = 0; k < j && !asked; k++)
        asked = rows[k].provider_id && r->provider_id &&
                strcmp(rows[k].provider_id, r->provider_id) == 0 &&
                !(rows[k].polls == 0 && rows[k].since + first > now);
      if (!asked)
        poll_one(sm, db, inst, r->provider_id);
      store_poll_mark(db, r->message_id, r->number,
                      (int64_t)time(NULL) + ((int64_t)first << shift));
    }
    store_poll_rows_free(rows, nr);
  }
}

static void *poller_main(void *arg) {
  struct smsmux_notifier *n = arg;
  engine_open_all(n->sm);
  while (!stopping(n)) {
    store_db *db = engine_store(n->sm, NULL);
    if (db)
      poll_round(n, db);
    nap(n, NOTIFY_IDLE_MS);
  }
  return NULL;
}

/* ---------------------------------------------------------- start/stop -- */

smsmux_notifier *smsmux_notifier_start(smsmux *sm,
                                       const smsmux_notifier_options *o,
                                       smsmux_error *err) {
  struct smsmux_notifier *n;
  smsmux_notifier_options opt;
  unsigned k, threads;
  size_t i;
  int polled = 0;
  err_clear(err);
  memset(&opt, 0, sizeof opt);
  if (o) {
    if (o->size < offsetof(smsmux_notifier_options, retry_hours) +
                      sizeof o->retry_hours &&
        o->size != 0) {
      err_set(err, SMSMUX_ERR_INPUT, NULL,
              "smsmux_notifier_start: options of an older layout (set size)");
      return NULL;
    }
    memcpy(&opt, o, o->size < sizeof opt ? o->size : sizeof opt);
  }
  threads = opt.threads ? opt.threads : 2;
  if (threads > NOTIFY_MAX_THREADS) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "notifier: %u threads is not 1 to %d", threads,
            NOTIFY_MAX_THREADS);
    return NULL;
  }
  if (!engine_store(sm, err))
    return NULL;
  n = calloc(1, sizeof *n);
  if (!n || !(n->threads = calloc(threads, sizeof *n->threads)) ||
      !(n->http = httpc_pool_new())) {
    if (n)
      free(n->threads);
    free(n);
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
    return NULL;
  }
  n->sm = sm;
  n->serial = __atomic_add_fetch(&notifier_serial, 1, __ATOMIC_RELAXED);
  process_nonce(n->node);
  if (opt.secret && *opt.secret && !(n->secret = str_dup(opt.secret))) {
    httpc_pool_free(n->http);
    free(n->threads);
    free(n);
    err_oom(err);
    return NULL;
  }
  n->tenant_secret = opt.tenant_secret;
  n->ud = opt.ud;
  n->retry_hours = opt.retry_hours ? opt.retry_hours
                                   : (unsigned)sm->cfg->webhook_retry_hours;
  pthread_mutex_init(&n->lock, NULL);
  pthread_cond_init(&n->cond, NULL);
  for (k = 0; k < threads; k++) {
    sender_arg *a = malloc(sizeof *a);
    if (a) {
      a->n = n;
      a->k = k;
    }
    if (!a || pthread_create(&n->threads[k], NULL, sender_main, a) != 0) {
      free(a);
      break;
    }
    n->n++;
  }
  if (n->n < threads)
    log_write(&sm->log, SMSMUX_LOG_WARNING,
              "notifier: only %u of %u webhook senders could start", n->n,
              threads);
  /* a poller only when some provider may need one (the configuration
     says; whether its plugin pushes is known once it is opened) */
  for (i = 0; i < sm->n_inst; i++)
    polled |= sm->inst[i].cfg->enabled && sm->inst[i].cfg->dlr_poll != 0;
  if (polled)
    n->poller_started =
        pthread_create(&n->poller, NULL, poller_main, n) == 0;
  return n;
}

void smsmux_notifier_stop(smsmux_notifier *n) {
  unsigned k;
  if (!n)
    return;
  pthread_mutex_lock(&n->lock);
  n->stop = 1;
  pthread_cond_broadcast(&n->cond);
  pthread_mutex_unlock(&n->lock);
  for (k = 0; k < n->n; k++)
    pthread_join(n->threads[k], NULL);
  if (n->poller_started)
    pthread_join(n->poller, NULL);
  pthread_mutex_destroy(&n->lock);
  pthread_cond_destroy(&n->cond);
  httpc_pool_free(n->http);
  if (n->secret) {
    memset(n->secret, 0, strlen(n->secret));
    free(n->secret);
  }
  free(n->threads);
  free(n);
}
