/* engine: the handle's send path (see engine.h): prepare -> plan -> send
 * in chunks with failover -> record.
 *
 * Out of memory: before anything is sent it is the send's error
 * (SMSMUX_ERR_SYSTEM, "out of memory"), nothing sent.  Once requests went
 * out, a result line that cannot be recorded stops the send there (no
 * further request leaves) and the result says the outcome is not known
 * (UNKNOWN_OUTCOME, possibly_sent): it may lack a recipient the provider
 * took, which the store does record. */
#include <config.h>

#include "engine.h"
#include "health.h"
#include "host.h"
#include "msg.h"
#include "webhook.h"

#include <errno.h>
#include <openssl/evp.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------- handle -- */

store_db *engine_store(struct smsmux *sm, smsmux_error *err) {
  store_db *db;
  pthread_mutex_lock(&sm->store_lock);
  if (!sm->store && !sm->store_error) {
    char buf[512] = "";
    int created = 0;
    const char *url = sm->cfg->store;
    sm->store = url ? store_open_url(url, &created, buf, sizeof buf)
                    : store_open(sm->cfg->state_dir, &created, buf, sizeof buf);
    /* a store that could not open for want of memory is tried again next
       time (its error is text only: the store says "out of memory") */
    if (!sm->store && !strstr(buf, "out of memory"))
      sm->store_error = str_dup(buf); /* NULL: out of memory, tried again */
    else if (created && url) {
      char *shown = store_url_redacted(url);
      log_write(&sm->log, SMSMUX_LOG_INFO, "created the store's tables in %s",
                shown ? shown : "the PostgreSQL database");
      free(shown);
    } else if (created)
      log_write(&sm->log, SMSMUX_LOG_INFO,
                "created the store %s/state.db (mode 0600)",
                sm->cfg->state_dir);
  }
  db = sm->store;
  if (!db && sm->store_error)
    err_set(err, SMSMUX_ERR_CONFIG, NULL, "%s", sm->store_error);
  else if (!db)
    err_oom(err);
  pthread_mutex_unlock(&sm->store_lock);
  return db;
}

/* Instances are opened on first use, so a command that needs one provider
   does not log in to the others (smsmux_open only loads and checks).  An
   open that ran out of memory leaves open_tried 0 (engine_instance_oom):
   the next use tries again. */
static instance *ready(instance *inst) {
  if (__atomic_load_n(&inst->open_tried, __ATOMIC_ACQUIRE))
    return inst;
  pthread_mutex_lock(&inst->open_lock);
  if (!inst->open_tried && host_open_instance(inst) == 0)
    __atomic_store_n(&inst->open_tried, 1, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&inst->open_lock);
  return inst;
}

int engine_instance_oom(const instance *inst) {
  return !__atomic_load_n(&inst->open_tried, __ATOMIC_ACQUIRE);
}

instance *engine_instance(struct smsmux *sm, const char *name) {
  size_t i;
  for (i = 0; i < sm->n_inst; i++)
    if (str_ieq(sm->inst[i].cfg->name, name))
      return ready(&sm->inst[i]);
  return NULL;
}

void engine_open_all(struct smsmux *sm) {
  size_t i;
  for (i = 0; i < sm->n_inst; i++)
    ready(&sm->inst[i]);
}


int engine_balance(struct smsmux *sm, instance *inst, double *credit,
                   char **unit, smsmux_error *err) {
  smsmux_call call;
  store_db *db;
  int rc;
  call_init(&call, inst, CALL_BALANCE);
  rc = inst->desc->balance(inst->state, &call);
  call_settle(&call, rc);
  if (!call.failed && !call.has_balance) {
    call.failed = 1;
    err_set(&call.err, SMSMUX_ERR_PERMANENT, NULL,
            "%s: the plugin returned no balance", inst->cfg->name);
  }
  if (call.failed) {
    if (err)
      *err = call.err;
    call_done(&call);
    return -1;
  }
  *credit = call.balance;
  if (unit && (*unit = str_dup(call.balance_unit), call.balance_unit && !*unit)) {
    call_done(&call);
    return err_oom(err);
  }
  call_done(&call);
  /* every fresh reading refreshes the router's cache (cheapest policy) */
  db = engine_store(sm, NULL);
  health_balance_store(db, inst->cfg->name, *credit);
  return 0;
}

/* --------------------------------------------------------- validation -- */

/* A message checked and normalised once, before any provider sees it. */
typedef struct prepared {
  smsmux_kind kind;
  const char *text;
  msg_text_info info;
  char **to; /* E.164, deduplicated */
  size_t n_to;
  int64_t at;
} prepared;

static void prepared_free(prepared *p) {
  size_t i;
  for (i = 0; i < p->n_to; i++)
    free(p->to[i]);
  free(p->to);
  memset(p, 0, sizeof *p);
}

static int is_media_url(const char *u) {
  return str_starts(u, "http://") || str_starts(u, "https://");
}

static int prepare(struct smsmux *sm, const smsmux_send_request *req,
                   prepared *p, smsmux_error *err) {
  char msg[512], q[SMSMUX_QUOTE_SIZE];
  size_t i, j, cap = 0;
  int blank;

  memset(p, 0, sizeof *p);
  if (!req || req->size < offsetof(smsmux_send_request, n_options)) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "malformed send request");
    return -1;
  }
  p->kind = req->kind;
  if (p->kind != SMSMUX_KIND_SMS && p->kind != SMSMUX_KIND_MMS &&
      p->kind != SMSMUX_KIND_VOICE) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "unknown message kind %d",
            (int)p->kind);
    return -1;
  }
  p->text = req->text ? req->text : "";
  /* a text of spaces and line ends only says nothing: refused as none */
  blank = p->text[strspn(p->text, " \t\r\n\v\f")] == '\0';
  if (blank && p->kind != SMSMUX_KIND_MMS) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            *p->text ? "the text is only white space: give the message with "
                       "--text or --text-file"
                     : "no text: give the message with --text or --text-file");
    return -1;
  }
  if (p->kind == SMSMUX_KIND_MMS && blank && !req->image_url &&
      !req->video_url && !req->audio_url) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "an MMS needs a text or a media (--image, --video, --audio)");
    return -1;
  }
  {
    const char *urls[3] = {req->image_url, req->video_url, req->audio_url};
    for (i = 0; i < 3; i++)
      if (urls[i] && !is_media_url(urls[i])) {
        err_set(err, SMSMUX_ERR_INPUT, NULL,
                "media URL \"%s\" must start with http:// or https://",
                smsmux_quote_input(urls[i], q, sizeof q));
        return -1;
      }
  }
  if (msg_text_analyse(p->text, &p->info, msg, sizeof msg)) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "text: %s", msg);
    return -1;
  }
  /* an MMS is one message whatever its length: priced and counted as one
     "segment" (its provider checks its own text limits) */
  if (p->kind == SMSMUX_KIND_MMS)
    p->info.segments = 1;
  if (!req->to || req->n_to == 0) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "no recipient: give numbers with --to or --to-file");
    return -1;
  }
  for (i = 0; i < req->n_to; i++) {
    char e164[32];
    int dup = 0;
    if (msg_number_e164(req->to[i], sm->cfg->default_cc, e164, sizeof e164,
                        msg, sizeof msg)) {
      err_set(err, SMSMUX_ERR_INPUT, NULL, "%s", msg);
      prepared_free(p);
      return -1;
    }
    /* the same number twice in one message would be sent (and paid)
       twice: keep it once */
    for (j = 0; j < p->n_to && !dup; j++)
      dup = strcmp(p->to[j], e164) == 0;
    if (!dup) {
      char *copy = str_dup(e164), **slot;
      if (!copy || !(slot = VEC_PUSH(p->to, p->n_to, cap))) {
        free(copy);
        prepared_free(p);
        return err_oom(err);
      }
      *slot = copy;
    }
  }
  if (req->from && msg_sender_check(req->from, 0, msg, sizeof msg)) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "%s", msg);
    prepared_free(p);
    return -1;
  }
  if (req->at && *req->at) {
    if (msg_parse_at(req->at, &p->at, msg, sizeof msg)) {
      err_set(err, SMSMUX_ERR_INPUT, NULL, "--at: %s", msg);
      prepared_free(p);
      return -1;
    }
    if (p->at < (int64_t)time(NULL) - 60) {
      err_set(err, SMSMUX_ERR_INPUT, NULL,
              "--at \"%s\" is in the past: give a future date or leave it "
              "out to send now",
              smsmux_quote_input(req->at, q, sizeof q));
      prepared_free(p);
      return -1;
    }
  }
  return 0;
}

static void router_msg_of(const prepared *p, const smsmux_send_request *req,
                          router_msg *m) {
  memset(m, 0, sizeof *m);
  m->kind = p->kind;
  m->encoding = p->info.encoding;
  m->segments = p->info.segments;
  m->chars = p->info.chars;
  m->to = (const char *const *)p->to;
  m->n_to = p->n_to;
  m->from = req->from;
  m->scheduled = p->at != 0;
  m->at = p->at;
}

/* "no provider can take it: a: why; b: why".  The class says what to do:
   CONFIG when no provider is usable at all, TEMPORARY when some are only
   resting (breaker), CREDIT when some only lack credit, else INPUT (the
   message itself needs what no candidate has). */
static void no_candidate_error(const router_plan *plan, smsmux_error *err) {
  strbuf b = {0};
  size_t i, counts[SKIP_CREDIT + 1] = {0};
  smsmux_error_class cls = SMSMUX_ERR_INPUT;
  for (i = 0; i < plan->n; i++) {
    sb_addf(&b, "%s%s: %s", i ? "; " : "", plan->cand[i].snap->name,
            plan->cand[i].reason ? plan->cand[i].reason : "?");
    counts[plan->cand[i].skip]++;
  }
  if (counts[SKIP_BREAKER])
    cls = SMSMUX_ERR_TEMPORARY;
  else if (counts[SKIP_CREDIT])
    cls = SMSMUX_ERR_CREDIT;
  else if (plan->n == 0 || counts[SKIP_UNUSABLE] == plan->n)
    cls = SMSMUX_ERR_CONFIG;
  if (b.oom) {
    sb_free(&b);
    err_oom(err);
    return;
  }
  err_set(err, cls, NULL,
          "no provider can take this message (route %s): %s; nothing was "
          "sent",
          plan->route, b.len ? b.s : "no provider is configured and enabled");
  sb_free(&b);
}

/* --------------------------------------------------------------- plan -- */

/* A plan and what it borrows: the selection, the snapshots it points
   into, and the snapshots' strings. */
typedef struct planned {
  router_selection sel;
  router_snapshot *snaps;
  router_plan plan;
  arena mem;
} planned;

static void planned_free(planned *pl) {
  router_plan_free(&pl->plan);
  router_selection_free(&pl->sel);
  free(pl->snaps);
  arena_free(&pl->mem);
  memset(pl, 0, sizeof *pl);
}

static instance *cand_instance(const router_candidate *c) {
  return c->snap->handle;
}

/* Known credit for the cheapest policy: the cache while fresh, else the
   provider is asked (a read: it sends nothing), and that refreshes the
   cache.  The router itself never asks. */
static void snapshot_credit(struct smsmux *sm, instance *inst, store_db *db,
                            planned *pl, router_snapshot *s) {
  smsmux_error err = {0};
  if (!(s->caps & SMSMUX_CAP_BALANCE)) {
    s->credit_why = "the provider cannot report its balance";
    return;
  }
  if (health_balance_cached(db, s->name, sm->cfg->balance_ttl, &s->credit) ==
          0 ||
      engine_balance(sm, inst, &s->credit, NULL, &err) == 0) {
    s->has_credit = 1;
    return;
  }
  {
    char *why = str_printf("balance unknown: %s", err.message);
    s->credit_why = arena_strdup(&pl->mem, why);
    free(why);
    if (!s->credit_why) /* the reason is only shown: said shorter */
      s->credit_why = "balance unknown (out of memory)";
  }
}

static int snapshot_of(struct smsmux *sm, const char *name, store_db *db,
                       const router_msg *m, const router_env *env,
                       planned *pl, router_snapshot *s, smsmux_error *err) {
  instance *inst = engine_instance(sm, name);
  if (!inst) {
    err_set(err, SMSMUX_ERR_CONFIG, NULL,
            "%s: a route names provider \"%s\", which has no "
            "[provider.%s] section",
            sm->cfg->path, name, name);
    return -1;
  }
  if (engine_instance_oom(inst))
    return err_oom(err);
  s->name = inst->cfg->name;
  s->cfg = inst->cfg;
  s->handle = inst;
  s->usable = inst->usable;
  s->unusable_why = inst->error;
  if (inst->desc) {
    /* the instance's own (ABI 1.2 set_limits), not only the descriptor's */
    s->caps = inst->caps;
    s->max_segments = inst->max_segments;
    s->max_text_length = inst->max_text_length;
    s->max_sender_length = inst->max_sender_length;
    s->schedule_min_delay = inst->schedule_min_delay;
    s->sender_rules = inst->sender_rules;
  }
  if (env->breaker_limit > 0 && !pl->sel.forced_provider) {
    health_breaker b;
    health_breaker_read(db, s->name, &b);
    s->breaker_known = 1;
    s->breaker_failures = b.failures;
    s->breaker_open_until = b.open_until;
  }
  if (!(pl->sel.policy->needs & ROUTER_NEEDS_CREDIT))
    return 0;
  /* only candidates that could take the message are asked for credit */
  if (!router_ineligible(s, m, env->now, NULL) &&
      !(s->breaker_known && s->breaker_failures >= env->breaker_limit &&
        s->breaker_open_until > env->now))
    snapshot_credit(sm, inst, db, pl, s);
  return 0;
}

/* The route, a snapshot of its candidates (breakers, credit, round-robin
   position read from the store here), then the pure router. */
static int plan_message(struct smsmux *sm, const router_msg *m,
                        const smsmux_send_request *req, int sending,
                        planned *pl, smsmux_error *err) {
  router_env env;
  store_db *db = NULL;
  size_t i;

  memset(pl, 0, sizeof *pl);
  memset(&env, 0, sizeof env);
  if (router_select(sm->cfg, m, req->route, req->provider, &pl->sel, err))
    return -1;
  env.now = (int64_t)time(NULL);
  env.breaker_limit = sm->cfg->breaker_failures;
  if ((env.breaker_limit > 0 && !pl->sel.forced_provider) ||
      pl->sel.policy->needs)
    db = engine_store(sm, NULL); /* none: no breaker, no cache */
  pl->snaps = calloc(pl->sel.n ? pl->sel.n : 1, sizeof *pl->snaps);
  if (!pl->snaps)
    return err_oom(err);
  for (i = 0; i < pl->sel.n; i++)
    if (snapshot_of(sm, pl->sel.names[i], db, m, &env, pl, &pl->snaps[i],
                    err))
      return -1;
  if (pl->sel.policy->needs & ROUTER_NEEDS_POSITION)
    env.position = health_rr_position(db, pl->sel.route, sending);
  return router_plan_build(&pl->sel, m, pl->snaps, &env, &pl->plan, err);
}

/* After an attempt on `c`: breaker bookkeeping (success closes it; a
   provider failure counts) and the cached balance goes down by what the
   recipients it accepted used (`share` of the message: all of a chunk on
   success, part of it when it failed after accepting some).  Nothing to
   change: the store is not asked. */
static void record_attempt(struct smsmux *sm, const router_candidate *c,
                           smsmux_error_class cls, double share,
                           int balance_known) {
  long limit = sm->cfg->breaker_failures, opened;
  int success = cls == SMSMUX_OK;
  int breaker = limit > 0 && (success || router_counts_against_provider(cls));
  /* a balance the send answer carried counts this message already */
  int spend = share > 0 && c->snap->has_credit && !balance_known;
  health_breaker seen;
  store_db *db;
  if (!breaker && !spend)
    return;
  db = engine_store(sm, NULL);
  if (!db)
    return;
  seen.failures = c->snap->breaker_failures;
  seen.open_until = c->snap->breaker_open_until;
  if (breaker &&
      (opened = health_breaker_record(db, c->snap->name, success,
                                      c->snap->breaker_known ? &seen : NULL,
                                      limit, sm->cfg->breaker_cooldown)))
    log_write(&sm->log, SMSMUX_LOG_WARNING,
              "%s: %ld failures in a row: skipped for %ld s (circuit "
              "breaker)",
              c->snap->name, opened, sm->cfg->breaker_cooldown);
  if (spend)
    health_balance_spend(db, c->snap->name, c->need * share);
}

/* ---------------------------------------------------------------- send -- */

typedef struct send_state {
  smsmux_send_result *r;
  size_t cap_rcpt, cap_att;
  /* parallel to r->recipients: the index of each in prepared.to, and the
     class of its outcome (SMSMUX_OK when taken); what engine_send's rows
     need */
  size_t *rcpt_idx;
  smsmux_error_class *rcpt_cls;
  size_t cap_idx, cap_cls, n_idx, n_cls;
  store_db *db;
  char id[40];          /* the message's id in the store */
  const char *claim;    /* the queue worker's token, NULL: a direct send */
  int chunk_lost;       /* the chunk's rows are not this send's any more */
  int lost;             /* a chunk was lost (lost_err says so) */
  smsmux_error lost_err;
  const char **marked;  /* per recipient: the provider its row was last
                           marked `sending` for (borrowed name), or NULL */
  int oom;              /* a result line was lost: the send stops */
  int sent_any;         /* a send's request went out */
} send_state;

/* A copy of s (NULL: NULL) for the result; st->oom when it fails. */
static char *res_dup(send_state *st, const char *s) {
  char *d = str_dup(s);
  if (s && !d)
    st->oom = 1;
  return d;
}

/* The attempt's line, or nothing (st->oom) when out of memory. */
static void push_attempt(send_state *st, smsmux_attempt *a) {
  smsmux_attempt *slot;
  if (!st->oom &&
      (slot = VEC_PUSH(st->r->attempts, st->r->n_attempts, st->cap_att))) {
    *slot = *a;
    return;
  }
  st->oom = 1;
  free(a->provider);
  free(a->code);
  free(a->message);
}

/* n_to: recipients it accepted (on failure: before it failed). */
static void add_attempt(send_state *st, const instance *inst, int ok,
                        const smsmux_error *e, size_t n_to) {
  smsmux_attempt a;
  memset(&a, 0, sizeof a);
  a.provider = res_dup(st, inst->cfg->name);
  a.ok = ok;
  a.cls = ok ? SMSMUX_OK : e->cls;
  a.code = ok ? NULL : (e->code[0] ? res_dup(st, e->code) : NULL);
  a.message = ok     ? str_printf("accepted %zu recipient(s)", n_to)
              : n_to ? str_printf("%s (%zu recipient(s) accepted before the "
                                  "failure)",
                                  e->message, n_to)
                     : str_dup(e->message);
  if (!a.message)
    st->oom = 1;
  push_attempt(st, &a);
}

/* A candidate left out because its circuit breaker is open: an attempt
   that was not made, so that --json says why it was passed over. */
static void add_skipped(send_state *st, const router_candidate *c) {
  smsmux_attempt a;
  memset(&a, 0, sizeof a);
  a.provider = res_dup(st, c->snap->name);
  a.ok = 0;
  a.skipped = 1;
  a.cls = SMSMUX_ERR_TEMPORARY;
  a.code = res_dup(st, "circuit-breaker");
  a.message = res_dup(st, c->reason ? c->reason : "circuit breaker open");
  push_attempt(st, &a);
}

/* A recipient's line (and its index and class, kept parallel), or nothing
   (st->oom) when out of memory. */
static void add_rcpt(send_state *st, size_t idx, smsmux_error_class cls,
                     const char *to, smsmux_status s, const char *id,
                     const char *provider, const char *code,
                     const char *text) {
  smsmux_recipient_result rr, *slot = NULL;
  size_t *ip = NULL;
  smsmux_error_class *cp = NULL;
  memset(&rr, 0, sizeof rr);
  rr.to = res_dup(st, to);
  rr.status = s;
  rr.id = res_dup(st, id);
  rr.provider = res_dup(st, provider);
  rr.code = res_dup(st, code);
  rr.text = res_dup(st, text);
  if (!st->oom &&
      (slot = VEC_PUSH(st->r->recipients, st->r->n_recipients,
                       st->cap_rcpt)) &&
      (ip = VEC_PUSH(st->rcpt_idx, st->n_idx, st->cap_idx)) &&
      (cp = VEC_PUSH(st->rcpt_cls, st->n_cls, st->cap_cls))) {
    *slot = rr;
    *ip = idx;
    *cp = cls;
    return;
  }
  /* all three or none */
  if (slot)
    st->r->n_recipients--;
  if (ip)
    st->n_idx--;
  st->oom = 1;
  free(rr.to);
  free(rr.id);
  free(rr.provider);
  free(rr.code);
  free(rr.text);
}

/* Options a message carries that the provider taking it does not read
   (a plugin declares the ones it reads): said once, here, for every plugin.
   Not an error: with failover, an option may be meant for another one. */
static void log_unknown_options(instance *inst, const smsmux_message *m) {
  const char *const *known = inst->desc->send_options;
  size_t i;
  if (!known || !log_debug_on(inst->env->log))
    return;
  for (i = 0; i < m->n_options; i++) {
    const char *const *k;
    int found = 0;
    for (k = known; *k && !found; k++)
      found = str_ieq(*k, m->options[i].key);
    if (!found)
      log_write(inst->env->log, SMSMUX_LOG_DEBUG,
                "%s: option %s is not one the %s plugin reads: ignored",
                inst->cfg->name, m->options[i].key, inst->cfg->plugin);
  }
}

static void message_of(const instance *inst, const prepared *p,
                       const smsmux_send_request *req, char **to, size_t n,
                       smsmux_message *m) {
  memset(m, 0, sizeof *m);
  m->size = sizeof *m;
  m->kind = p->kind;
  m->text = p->text;
  m->encoding = p->info.encoding;
  m->segments = p->info.segments;
  m->text_units = p->info.units;
  m->to = (const char *const *)to;
  m->n_to = n;
  m->from = req->from;
  m->at = p->at;
  m->ref = req->ref;
  m->image_url = req->image_url;
  m->video_url = req->video_url;
  m->audio_url = req->audio_url;
  m->duration = req->duration;
  m->subject = req->subject;
  m->options = req->options;
  m->n_options = req->options ? req->n_options : 0;
  /* a service that receives pushes: where this instance should push */
  m->notify_report_url = inst->notify_report_url;
  m->notify_reply_url = inst->notify_reply_url;
}

/* The store state a recipient line leaves behind. */
static const char *store_state_of(smsmux_status s, int scheduled) {
  switch (s) {
  case SMSMUX_STATUS_UNKNOWN: return "unknown";
  case SMSMUX_STATUS_REJECTED:
  case SMSMUX_STATUS_FAILED: return "failed";
  case SMSMUX_STATUS_SCHEDULED: return "scheduled";
  default: return scheduled ? "scheduled" : "accepted";
  }
}

/* A recipient nothing was accepted for, after a failure of class cls that
   settles it: `rejected` when that was the provider's (or its plugin's)
   refusal of the message, `unknown` when it may have gone out, else
   `failed` (transport, credentials, credit: every candidate tried). */
static smsmux_status settled_status(smsmux_error_class cls) {
  switch (cls) {
  case SMSMUX_ERR_UNKNOWN_OUTCOME: return SMSMUX_STATUS_UNKNOWN;
  case SMSMUX_ERR_INVALID:
  case SMSMUX_ERR_PERMANENT:
  case SMSMUX_ERR_INPUT: return SMSMUX_STATUS_REJECTED;
  default: return SMSMUX_STATUS_FAILED;
  }
}

/* What the plugin reported for recipient i (`to`) of the chunk, or NULL. */
static const call_recipient *reported(const smsmux_call *call,
                                      const char *to, size_t i) {
  size_t j;
  if (i < call->n_recipients && call->recipients[i].to &&
      strcmp(call->recipients[i].to, to) == 0)
    return &call->recipients[i];
  for (j = 0; j < call->n_recipients; j++)
    if (call->recipients[j].to && strcmp(call->recipients[j].to, to) == 0)
      return &call->recipients[j];
  return NULL;
}

/* A status that says the provider took the recipient. */
static int taken_status(smsmux_status s) {
  return s == SMSMUX_STATUS_ACCEPTED || s == SMSMUX_STATUS_SCHEDULED ||
         s == SMSMUX_STATUS_SENT || s == SMSMUX_STATUS_DELIVERED;
}

/* The id recipient `cr` (or NULL) of the call was given. */
static const char *taken_id(const smsmux_call *call,
                            const call_recipient *cr) {
  return cr && cr->id ? cr->id : call->message_id;
}

/* Recipient i of the chunk taken by inst: its result line and its store
   outcome (borrowing from the call, alive until store_finish is done: the
   store learns of it even when its result line cannot be made). */
static void settle_one(send_state *st, const prepared *p,
                       const instance *inst, const smsmux_call *call,
                       const call_recipient *cr, size_t idx, char *to,
                       store_outcome *out) {
  smsmux_status status =
      cr ? cr->status
         : p->at ? SMSMUX_STATUS_SCHEDULED : SMSMUX_STATUS_ACCEPTED;
  const char *code = cr ? cr->code : NULL, *text = cr ? cr->text : NULL;
  add_rcpt(st, idx, SMSMUX_OK, to, status, taken_id(call, cr),
           inst->cfg->name, code, text);
  out->number = to;
  out->state = store_state_of(status, p->at != 0);
  out->provider = inst->cfg->name;
  out->provider_id = taken_id(call, cr);
  out->code = code;
  out->text = text;
}

/* The chunk's recipient lines, from the plugin's report (or "accepted"
   with the message id), and their outcomes for the store. */
static void settle_accepted(send_state *st, const prepared *p,
                            const instance *inst, smsmux_call *call,
                            const size_t *idx, char **to, size_t n,
                            store_outcome *out) {
  size_t i;
  for (i = 0; i < n; i++)
    settle_one(st, p, inst, call, reported(call, to[i], i), idx[i], to[i],
               &out[i]);
}

/* The chunk's rows are `sending` through inst in the store (durably) before
   its request leaves; the ones store_reserve marked for it already are
   not written again.  -1 (err) when the store cannot say so: the chunk is
   not sent. */
static int chunk_sending(send_state *st, const instance *inst,
                         const size_t *idx, char **to, size_t n,
                         smsmux_error *err) {
  size_t i, need = 0;
  char msg[512] = "";
  for (i = 0; i < n; i++)
    need += st->marked[idx[i]] != inst->cfg->name;
  if (need == 0)
    return 0;
  switch (store_mark_sending(st->db, st->id, st->claim,
                             (const char *const *)to, n, inst->cfg->name, msg,
                             sizeof msg)) {
  case 0:
    break;
  case 1:
    st->chunk_lost = 1;
    if (st->claim)
      err_set(err, SMSMUX_ERR_TEMPORARY, "claim-lost",
              "%s: the worker's claim ran out and another worker took the "
              "message over: not sent here",
              msg);
    else
      err_set(err, SMSMUX_ERR_TEMPORARY, "taken-over",
              "%s: another send (the same ref, or the queue) has these "
              "recipients, or they were cancelled: not sent here",
              msg);
    return -1;
  default:
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "%s: nothing was sent", msg);
    return -1;
  }
  for (i = 0; i < n; i++)
    st->marked[idx[i]] = inst->cfg->name;
  return 0;
}

/* Send the recipients p->to[idx[0..n)] through inst; 0 on success, else
   the error class.  *balance_known: the answer carried the credit left.
   On failure, recipients the plugin reported taken before it failed (its
   second request failed after the first was accepted, say) are settled
   as accepted, with their ids, and counted in *n_taken; the others are in
   left[0..*n_left) (indices into p->to), for the caller to move on. */
static smsmux_error_class send_chunk(struct smsmux *sm, instance *inst,
                                     const prepared *p,
                                     const smsmux_send_request *req,
                                     const size_t *idx, size_t n,
                                     send_state *st, smsmux_error *err,
                                     int *balance_known, size_t *left,
                                     size_t *n_left, size_t *n_taken) {
  smsmux_call call;
  smsmux_message m;
  char **to = calloc(n ? n : 1, sizeof *to);
  store_outcome *out = calloc(n ? n : 1, sizeof *out);
  store_attempt att;
  size_t i;
  int rc;

  *balance_known = 0;
  *n_left = 0;
  *n_taken = 0;
  if (!to || !out || st->oom) { /* nothing of the chunk leaves */
    for (i = 0; i < n; i++)
      left[(*n_left)++] = idx[i];
    free(out);
    free(to);
    st->oom = 1;
    err_oom(err);
    return err->cls;
  }
  for (i = 0; i < n; i++)
    to[i] = p->to[idx[i]];
  if (chunk_sending(st, inst, idx, to, n, err)) {
    for (i = 0; i < n; i++)
      left[(*n_left)++] = idx[i];
    free(out);
    free(to);
    return err->cls;
  }
  message_of(inst, p, req, to, n, &m);
  instance_throttle(inst);
  call_init(&call, inst, CALL_SEND);
  log_unknown_options(inst, &m);
  rc = inst->desc->send(inst->state, &call, &m);
  call_settle(&call, rc);
  if (call.requested)
    st->sent_any = 1;
  /* out of memory, the host's or the plugin's (which says so): the send
     stops, and it is not the provider's failure (no breaker count) */
  if (call.oom || (call.failed && strstr(call.err.message, "out of memory")))
    st->oom = 1;
  memset(&att, 0, sizeof att);
  att.provider = inst->cfg->name;
  if (call.failed) {
    const char *first_id = NULL;
    *err = call.err;
    att.outcome = "failed";
    att.cls = smsmux_error_class_name(err->cls);
    att.code = err->code[0] ? err->code : NULL;
    att.message = err->message;
    /* settled here only as far as the store goes: nothing accepted is
       `failed` (safe to send again, and failover may), a possible send
       `unknown`; what the plugin reported taken is accepted (never sent
       again, by failover or a --ref rerun) */
    for (i = 0; i < n; i++) {
      const call_recipient *cr = reported(&call, to[i], i);
      if (cr && taken_status(cr->status)) {
        settle_one(st, p, inst, &call, cr, idx[i], to[i], &out[i]);
        if (!first_id)
          first_id = taken_id(&call, cr);
        (*n_taken)++;
        continue;
      }
      left[(*n_left)++] = idx[i];
      out[i].number = to[i];
      out[i].state = err->cls == SMSMUX_ERR_UNKNOWN_OUTCOME ? "unknown"
                                                             : "failed";
      out[i].provider = inst->cfg->name;
      out[i].code = att.code;
      out[i].text = err->message;
    }
    add_attempt(st, inst, 0, &call.err, *n_taken);
    if (*n_taken && !st->r->provider) {
      st->r->provider = res_dup(st, inst->cfg->name);
      st->r->id = res_dup(st, call.message_id ? call.message_id : first_id);
    }
    store_finish(st->db, st->id, st->claim, out, n, &att, 1);
    if (*n_taken && call.has_balance) {
      health_balance_store(st->db, inst->cfg->name, call.balance);
      *balance_known = 1;
    }
    call_done(&call);
    free(out);
    free(to);
    return err->cls;
  }
  add_attempt(st, inst, 1, NULL, n);
  if (!st->r->provider) {
    st->r->provider = res_dup(st, inst->cfg->name);
    st->r->id = res_dup(st, call.message_id);
  }
  settle_accepted(st, p, inst, &call, idx, to, n, out);
  *n_taken = n;
  att.outcome = "ok";
  store_finish(st->db, st->id, st->claim, out, n, &att, 1);
  if (call.has_balance) {
    /* some providers answer a send with the credit left: the freshest
       balance the router can have (and it already counts this message) */
    health_balance_store(st->db, inst->cfg->name, call.balance);
    *balance_known = 1;
  }
  (void)sm;
  call_done(&call);
  free(out);
  free(to);
  return SMSMUX_OK;
}

/* --------------------------------------------------------- fingerprint -- */

static void fp_add(EVP_MD_CTX *ctx, const char *s) {
  char len[24];
  int n = snprintf(len, sizeof len, "%zu:", s ? strlen(s) : (size_t)0);
  EVP_DigestUpdate(ctx, s ? len : "-", s ? (size_t)n : 1);
  if (s)
    EVP_DigestUpdate(ctx, s, strlen(s));
}

static int by_option_key(const void *a, const void *b) {
  const smsmux_kv *x = *(const smsmux_kv *const *)a;
  const smsmux_kv *y = *(const smsmux_kv *const *)b;
  int c = strcmp(x->key ? x->key : "", y->key ? y->key : "");
  return c ? c : strcmp(x->value ? x->value : "", y->value ? y->value : "");
}

/* Hex SHA-256 of the canonical content (kind, text, sender, schedule,
   media, options in key order): what makes a ref's send "the same".  The
   route and a forced provider are not content.  0; -1 when libcrypto
   fails, -2 when out of memory. */
static int fingerprint(const prepared *p, const smsmux_send_request *req,
                       char hex[65]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char md[32];
  unsigned len = 0, i;
  char num[64];
  size_t k, n = req->options ? req->n_options : 0;
  const smsmux_kv **opts = calloc(n ? n : 1, sizeof *opts);
  if (!opts || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
    EVP_MD_CTX_free(ctx);
    free(opts);
    return opts ? -1 : -2;
  }
  snprintf(num, sizeof num, "smsmux-1 %d %lld %u", (int)p->kind,
           (long long)p->at, req->duration);
  fp_add(ctx, num);
  fp_add(ctx, p->text);
  fp_add(ctx, req->from);
  fp_add(ctx, req->image_url);
  fp_add(ctx, req->video_url);
  fp_add(ctx, req->audio_url);
  fp_add(ctx, req->subject);
  for (k = 0; k < n; k++)
    opts[k] = &req->options[k];
  qsort(opts, n, sizeof *opts, by_option_key);
  for (k = 0; k < n; k++) {
    fp_add(ctx, opts[k]->key);
    fp_add(ctx, opts[k]->value);
  }
  free(opts);
  if (!EVP_DigestFinal_ex(ctx, md, &len) || len != sizeof md) {
    EVP_MD_CTX_free(ctx);
    return -1;
  }
  EVP_MD_CTX_free(ctx);
  for (i = 0; i < len; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return 0;
}

/* ------------------------------------------------------------- reserve -- */

/* A recipient the store already holds for this ref: its line, nothing
   sent.  Returns the class it leaves. */
static smsmux_error_class claimed_line(send_state *st, const prepared *p,
                                       const char *ref, size_t i,
                                       const store_rcpt *c) {
  smsmux_send_result *r = st->r;
  char *m;
  smsmux_error_class cls;
  if (c->claim == STORE_CLAIM_SENT) {
    add_rcpt(st, i, SMSMUX_OK, p->to[i],
             strcmp(c->state, "scheduled") == 0 ? SMSMUX_STATUS_SCHEDULED
                                                : SMSMUX_STATUS_ACCEPTED,
             c->provider_id, c->provider, NULL, "already sent under this ref");
    return SMSMUX_OK;
  }
  if (c->claim == STORE_CLAIM_POSSIBLY) {
    m = str_printf("a send with --ref %s to %s was already started (%s%s%s) "
                  "and its outcome is not known: nothing was sent again; "
                  "check `smsmux status`%s%s before using a new --ref",
                  ref, p->to[i], c->state, c->provider ? " via " : "",
                  c->provider ? c->provider : "", c->provider_id ? " " : "",
                  c->provider_id ? c->provider_id : "");
    cls = SMSMUX_ERR_UNKNOWN_OUTCOME;
    add_rcpt(st, i, cls, p->to[i], SMSMUX_STATUS_UNKNOWN, c->provider_id,
             c->provider, "possibly-sent", m ? m : "possibly sent");
    r->possibly_sent = 1;
    if (!m)
      st->oom = 1;
    else
      err_set(&r->error, cls, NULL, "%s", m);
  } else {
    m = str_printf("--ref %s: %s was already sent another message under this "
                  "ref (message %s, %s): nothing was sent to it; use a new "
                  "--ref for a new message",
                  ref, p->to[i], c->message_id ? c->message_id : "?",
                  c->state ? c->state : "?");
    cls = SMSMUX_ERR_INPUT;
    add_rcpt(st, i, cls, p->to[i], SMSMUX_STATUS_REJECTED, NULL, NULL,
             "ref-conflict", m ? m : "ref conflict");
    if (!m)
      st->oom = 1;
    else if (r->error.cls == SMSMUX_OK)
      err_set(&r->error, cls, "ref-conflict", "%s", m);
  }
  free(m);
  return cls;
}

/* Record the message and its recipients before anything leaves; the first
   chunk `sending` for the first candidate.  Recipients to send go into
   pending[].  -1 (r->error) when the store cannot: nothing is sent. */
static int reserve(struct smsmux *sm, send_state *st, const prepared *p,
                   const smsmux_send_request *req, const char *ref,
                   const router_candidate *first, const char *optout,
                   size_t *pending, size_t *n_pending, engine_row *rows) {
  smsmux_send_result *r = st->r;
  store_rcpt *rc = calloc(p->n_to ? p->n_to : 1, sizeof *rc);
  /* the recipients recorded: every one but the opted-out (rc[j] is
     p->to[keep[j]]) */
  size_t *keep = calloc(p->n_to ? p->n_to : 1, sizeof *keep);
  const instance *inst = cand_instance(first);
  size_t max = inst->max_recipients ? inst->max_recipients : 1;
  store_msg m;
  char fp[65], msg[512] = "";
  size_t i, j, n_keep = 0, n_dup = 0;

  memset(&m, 0, sizeof m);
  if (!rc || !keep) {
    free(rc);
    free(keep);
    return err_oom(&r->error);
  }
  if ((i = (size_t)-fingerprint(p, req, fp)) != 0) {
    if (i == 2)
      err_oom(&r->error);
    else
      err_set(&r->error, SMSMUX_ERR_SYSTEM, NULL,
              "cannot compute the message fingerprint (libcrypto)");
    free(rc);
    free(keep);
    return -1;
  }
  m.ref = ref && *ref ? ref : NULL;
  m.fingerprint = fp;
  for (i = 0; i < p->n_to; i++) {
    if (optout && optout[i])
      continue;
    rc[n_keep].number = p->to[i];
    /* with a ref some may turn out duplicates: then the chunks shift and
       chunk_sending marks what reserve did not */
    rc[n_keep].sending = n_keep < max;
    keep[n_keep++] = i;
  }
  if (store_reserve(st->db, &m, rc, n_keep, inst->cfg->name, msg,
                    sizeof msg)) {
    err_set(&r->error, SMSMUX_ERR_SYSTEM, NULL, "%s: nothing was sent", msg);
    free(rc);
    free(keep);
    return -1;
  }
  memcpy(st->id, m.id, sizeof st->id);
  *n_pending = 0;
  for (j = 0; j < n_keep; j++) {
    i = keep[j];
    if (rc[j].claim == STORE_CLAIM_NEW || rc[j].claim == STORE_CLAIM_RETRY) {
      if (rc[j].sending)
        st->marked[i] = inst->cfg->name;
      pending[(*n_pending)++] = i;
    } else {
      smsmux_error_class cls = claimed_line(st, p, m.ref, i, &rc[j]);
      n_dup += rc[j].claim == STORE_CLAIM_SENT;
      /* a conflict is refused input, not a possible send */
      if (rows)
        rows[i].journaled = rc[j].claim == STORE_CLAIM_SENT       ? 1
                            : rc[j].claim == STORE_CLAIM_POSSIBLY ? 2
                                                                  : 0;
      (void)cls;
    }
    store_rcpt_clear(&rc[j]);
  }
  if (*n_pending == 0 && n_keep == p->n_to && n_dup == n_keep &&
      r->n_recipients) {
    r->duplicate = 1;
    r->provider = res_dup(st, r->recipients[0].provider);
    r->id = res_dup(st, r->recipients[0].id);
  }
  (void)sm;
  free(rc);
  free(keep);
  return 0;
}

/* ---------------------------------------------------------------- send -- */

/* Failover, chunk by chunk, from candidate c on: recipients a provider
   failed with a "move on" class go to the next candidate; the others are
   settled (those it took before failing stay taken).  Candidates passed
   over for an open circuit breaker are listed first as skipped attempts.
   Returns the recipients still pending (every candidate failed them) in
   pending[0..*n_pending). */
static void send_with_failover(struct smsmux *sm, send_state *st,
                               const prepared *p,
                               const smsmux_send_request *req,
                               const router_plan *plan, size_t c,
                               size_t *pending, size_t *n_pending,
                               smsmux_error *last) {
  smsmux_send_result *r = st->r;
  size_t *next = NULL, n_next, cap_next = 0, i, *left;
  left = calloc(*n_pending ? *n_pending : 1, sizeof *left);
  if (!left) { /* nothing sent: the recipients stay pending */
    st->oom = 1;
    err_oom(last);
    return;
  }
  for (i = 0; i < plan->n; i++)
    if (!plan->cand[i].eligible && plan->cand[i].skip == SKIP_BREAKER)
      add_skipped(st, &plan->cand[i]);
  for (; c < plan->n && *n_pending && !st->oom; c++) {
    const router_candidate *rc = &plan->cand[c];
    instance *inst;
    size_t max, off;
    if (!rc->eligible)
      continue;
    inst = cand_instance(rc);
    /* the instance's limit: its plugin's, its set_limits, max_recipients */
    max = inst->max_recipients ? inst->max_recipients : 1;
    n_next = 0;
    for (off = 0; off < *n_pending; off += max) {
      size_t n = *n_pending - off < max ? *n_pending - off : max;
      size_t n_left = 0, n_taken = 0;
      smsmux_error e = {0};
      int balance_known = 0;
      smsmux_error_class cls =
          send_chunk(sm, inst, p, req, pending + off, n, st, &e,
                     &balance_known, left, &n_left, &n_taken);
      if (st->chunk_lost) {
        /* those rows are another worker's now (the others stay this
           send's, failover included): no attempt, no line, nothing
           written for them */
        st->chunk_lost = 0;
        st->lost = 1;
        st->lost_err = e;
        continue;
      }
      record_attempt(sm, rc, st->oom && cls != SMSMUX_OK ? SMSMUX_ERR_SYSTEM : cls,
                     (double)n_taken / (double)p->n_to, balance_known);
      r->cost += rc->cost * (double)n_taken / (double)p->n_to;
      if (cls == SMSMUX_OK)
        continue;
      *last = e;
      if (router_moves_on(cls, plan->failover_on_unknown) && c + 1 < plan->n &&
          !st->oom) {
        for (i = 0; i < n_left; i++) {
          size_t *slot = VEC_PUSH(next, n_next, cap_next);
          if (!slot) { /* out of memory: settled below with the others */
            st->oom = 1;
            break;
          }
          *slot = left[i];
        }
        if (!st->oom)
          continue;
        n_next = 0;
        err_oom(&e);
        cls = e.cls;
        *last = e;
      }
      /* settled as failed, refused or possibly sent */
      if (cls == SMSMUX_ERR_UNKNOWN_OUTCOME)
        r->possibly_sent = 1;
      for (i = 0; i < n_left; i++)
        add_rcpt(st, left[i], cls, p->to[left[i]], settled_status(cls), NULL,
                 rc->snap->name, e.code[0] ? e.code : NULL, e.message);
      if (r->error.cls == SMSMUX_OK || cls == SMSMUX_ERR_UNKNOWN_OUTCOME)
        r->error = e;
    }
    if (n_next)
      memcpy(pending, next, n_next * sizeof *pending);
    *n_pending = n_next;
  }
  free(left);
  free(next);
}

/* Recipients opted out for `tenant` (store_optout_has): refused, each
   with its line (rejected, code opt-out), nothing sent to them; for a
   queued message (its rows recorded already) their rows are settled so.
   *optout (malloc'd, one flag per recipient) says which; *n_out counts
   them.  -1 (r->error) when the store cannot say: nothing is sent. */
static int refuse_opted_out(send_state *st, const prepared *p,
                            const char *tenant, int queued, char **optout,
                            size_t *n_out) {
  store_outcome *o = NULL;
  size_t i, n_o = 0;
  *n_out = 0;
  /* both before anything is decided: out of memory leaves no trace */
  *optout = calloc(p->n_to ? p->n_to : 1, 1);
  if (queued)
    o = calloc(p->n_to ? p->n_to : 1, sizeof *o);
  if (!*optout || (queued && !o)) {
    free(o);
    return err_oom(&st->r->error);
  }
  for (i = 0; i < p->n_to; i++) {
    int h;
    errno = 0; /* ENOMEM after a failure: out of memory (no text else) */
    h = store_optout_has(st->db, tenant ? tenant : "", p->to[i]);
    if (h < 0) {
      if (errno == ENOMEM)
        err_oom(&st->r->error);
      else
        err_set(&st->r->error, SMSMUX_ERR_SYSTEM, NULL,
                "the store cannot say whether %s opted out: nothing was "
                "sent",
                p->to[i]);
      free(o);
      return -1;
    }
    if (h == 0)
      continue;
    (*optout)[i] = 1;
    (*n_out)++;
    add_rcpt(st, i, SMSMUX_ERR_INPUT, p->to[i], SMSMUX_STATUS_REJECTED, NULL,
             NULL, "opt-out",
             "this number opted out (a stop word in a reply, or the "
             "opt-out list): nothing was sent to it");
    if (queued) {
      o[n_o].number = p->to[i];
      o[n_o].state = "rejected";
      o[n_o].code = "opt-out";
      o[n_o].text = "opted out: nothing was sent";
      n_o++;
    }
  }
  if (st->oom) { /* a line lost: nothing recorded, nothing sent */
    free(o);
    return err_oom(&st->r->error);
  }
  if (n_o)
    store_finish(st->db, st->id, st->claim, o, n_o, NULL, 0);
  free(o);
  if (*n_out && *n_out == p->n_to)
    err_set(&st->r->error, SMSMUX_ERR_INPUT, "opt-out",
            p->n_to == 1 ? "%s opted out: nothing was sent"
                         : "every recipient opted out (%s...): nothing was "
                           "sent",
            p->to[0]);
  return 0;
}

static void result_fill_rows(const send_state *st, engine_row *rows,
                             const smsmux_send_request *req) {
  size_t i;
  if (!rows)
    return;
  for (i = 0; i < st->r->n_recipients; i++) {
    size_t k = st->rcpt_idx[i];
    rows[k].rcpt = i;
    rows[k].cls = st->rcpt_cls[i];
  }
  for (i = 0; req && i < req->n_to; i++)
    if (rows[i].rcpt == (size_t)-1 && rows[i].cls == SMSMUX_OK)
      rows[i].cls = st->r->error.cls;
}

/* engine_send, or with `queued_id` the send of a message the queue holds
   already (its recipients recorded and claimed: they are marked `sending`
   chunk by chunk, nothing is reserved). */
static smsmux_send_result *send_message(struct smsmux *sm,
                                        const smsmux_send_request *req,
                                        engine_row *rows,
                                        const char *queued_id,
                                        const char *tenant,
                                        const char *claim) {
  smsmux_send_result *r = calloc(1, sizeof *r);
  send_state st;
  prepared p;
  router_msg rm;
  planned pl;
  router_plan *plan = &pl.plan;
  size_t *pending = NULL, n_pending = 0, i, c;
  smsmux_error last = {0};
  const char *ref;
  char *optout = NULL;
  size_t n_out = 0;

  if (!r)
    return NULL;
  memset(&st, 0, sizeof st);
  memset(&pl, 0, sizeof pl);
  st.r = r;
  st.claim = claim;
  if (rows)
    for (i = 0; req && i < req->n_to; i++) {
      rows[i].journaled = 0;
      rows[i].rcpt = (size_t)-1;
      rows[i].cls = SMSMUX_OK;
    }
  if (prepare(sm, req, &p, &r->error))
    goto rows_out;
  r->encoding = p.info.encoding;
  r->segments = p.info.segments;
  if (rows && p.n_to != req->n_to) {
    err_set(&r->error, SMSMUX_ERR_INPUT, NULL,
            "the same number twice in one grouped send");
    goto out;
  }
  router_msg_of(&p, req, &rm);
  if (plan_message(sm, &rm, req, 1, &pl, &r->error))
    goto out;
  if (!(r->route = str_dup(plan->route))) {
    err_oom(&r->error);
    goto out;
  }
  for (c = 0; c < plan->n && !plan->cand[c].eligible; c++)
    ;
  if (c == plan->n) {
    no_candidate_error(plan, &r->error);
    goto out;
  }
  /* every send is recorded before anything leaves: no store, no send */
  if (!(st.db = engine_store(sm, &r->error)))
    goto out;
  st.marked = calloc(p.n_to ? p.n_to : 1, sizeof *st.marked);
  pending = calloc(p.n_to ? p.n_to : 1, sizeof *pending);
  if (!st.marked || !pending) {
    err_oom(&r->error);
    goto out;
  }
  ref = rows ? rows[0].ref : req->ref;
  if (queued_id)
    snprintf(st.id, sizeof st.id, "%s", queued_id);
  if (refuse_opted_out(&st, &p, tenant, queued_id != NULL, &optout, &n_out) ||
      n_out == p.n_to)
    goto out;
  if (queued_id) {
    for (i = 0; i < p.n_to; i++)
      if (!optout[i])
        pending[n_pending++] = i;
  } else if (reserve(sm, &st, &p, req, ref, &plan->cand[c], optout, pending,
                     &n_pending, rows)) {
    goto out;
  }
  send_with_failover(sm, &st, &p, req, plan, c, pending, &n_pending, &last);
  if (st.lost && r->error.cls == SMSMUX_OK && n_pending == 0)
    r->error = st.lost_err; /* what was lost has no line: say why */
  /* recipients still pending: every candidate failed them */
  for (i = 0; i < n_pending; i++)
    add_rcpt(&st, pending[i], last.cls ? last.cls : SMSMUX_ERR_TEMPORARY,
             p.to[pending[i]],
             settled_status(last.cls ? last.cls : SMSMUX_ERR_TEMPORARY),
             NULL, NULL,
             last.code[0] ? last.code : NULL, last.message);
  if (n_pending && r->error.cls == SMSMUX_OK)
    r->error = last;
  if (r->error.cls != SMSMUX_OK && r->provider && !r->possibly_sent &&
      !st.oom) {
    /* partly sent: say so */
    char *m = str_printf("%s (other recipients were accepted by %s)",
                         r->error.message, r->provider);
    if (m)
      snprintf(r->error.message, sizeof r->error.message, "%s", m);
    free(m);
  }
out:
  free(optout);
  if (st.oom && st.sent_any) {
    r->possibly_sent = 1;
    err_set(&r->error, SMSMUX_ERR_UNKNOWN_OUTCOME, NULL,
            "out of memory recording the send's result: some recipients may "
            "have been accepted; check with `smsmux status` before sending "
            "again");
  } else if (st.oom) {
    err_oom(&r->error);
  }
  free(pending);
  free(st.marked);
  planned_free(&pl);
  prepared_free(&p);
rows_out:
  result_fill_rows(&st, rows, req);
  free(st.rcpt_idx);
  free(st.rcpt_cls);
  return r;
}

smsmux_send_result *engine_send(struct smsmux *sm,
                                const smsmux_send_request *req,
                                engine_row *rows) {
  return send_message(sm, req, rows, NULL, NULL, NULL);
}

smsmux_send_result *engine_send_queued(struct smsmux *sm,
                                       const smsmux_send_request *req,
                                       const char *id, const char *tenant,
                                       const char *claim) {
  return send_message(sm, req, NULL, id, tenant, claim);
}

/* ------------------------------------------------------------- check -- */

/* Is there a configured provider that could take `m` (capabilities and
   limits only: breakers and credit change by the time it is sent)? */
static int routable(struct smsmux *sm, const router_msg *m,
                    const smsmux_send_request *req, smsmux_error *err) {
  router_selection sel;
  size_t i;
  int ok = 0;
  if (router_select(sm->cfg, m, req->route, req->provider, &sel, err))
    return -1;
  for (i = 0; i < sel.n && !ok; i++) {
    instance *inst = engine_instance(sm, sel.names[i]);
    router_snapshot s;
    if (!inst)
      continue;
    if (engine_instance_oom(inst)) {
      router_selection_free(&sel);
      return err_oom(err);
    }
    memset(&s, 0, sizeof s);
    s.name = inst->cfg->name;
    s.cfg = inst->cfg;
    s.usable = inst->usable;
    if (inst->desc) {
      /* the instance's own (ABI 1.2 set_limits) */
      s.caps = inst->caps;
      s.max_segments = inst->max_segments;
      s.max_text_length = inst->max_text_length;
      s.max_sender_length = inst->max_sender_length;
      s.schedule_min_delay = inst->schedule_min_delay;
      s.sender_rules = inst->sender_rules;
    }
    ok = !router_ineligible(&s, m, (int64_t)time(NULL), NULL);
  }
  router_selection_free(&sel);
  return ok;
}

int engine_check(struct smsmux *sm, const smsmux_send_request *req,
                 engine_checked *out, smsmux_error *err) {
  prepared p;
  router_msg m;
  int rc, fp;
  memset(out, 0, sizeof *out);
  if (prepare(sm, req, &p, err))
    return -1;
  out->encoding = p.info.encoding;
  out->segments = p.info.segments;
  out->n_to = p.n_to;
  out->at = p.at;
  router_msg_of(&p, req, &m);
  rc = routable(sm, &m, req, err);
  if (rc == 0 && m.scheduled) {
    /* no provider schedules it: the queue holds it until due */
    m.scheduled = 0;
    rc = routable(sm, &m, req, err);
    out->held = rc == 1;
  }
  if (rc == 0)
    err_set(err, SMSMUX_ERR_INPUT, "no-provider",
            "no configured provider can take this message (its kind, "
            "encoding, length or sender): `smsmux route` says why; nothing "
            "was queued");
  if (rc == 1 && (fp = fingerprint(&p, req, out->fingerprint)) != 0) {
    if (fp == -2)
      err_oom(err);
    else
      err_set(err, SMSMUX_ERR_SYSTEM, NULL,
              "cannot compute the message fingerprint (libcrypto)");
    rc = -1;
  }
  if (rc == 1 && !(out->to = calloc(p.n_to ? p.n_to : 1, sizeof *out->to))) {
    err_oom(err);
    rc = -1;
  }
  if (rc == 1) {
    size_t i;
    for (i = 0; i < p.n_to; i++) {
      out->to[i] = p.to[i];
      p.to[i] = NULL;
    }
  }
  prepared_free(&p);
  return rc == 1 ? 0 : -1;
}

void engine_checked_clear(engine_checked *c) {
  size_t i;
  for (i = 0; c->to && i < c->n_to; i++)
    free(c->to[i]);
  free(c->to);
  memset(c, 0, sizeof *c);
}

/* --------------------------------------------------------------- route -- */

smsmux_route_explain *engine_explain(struct smsmux *sm,
                                     const smsmux_send_request *req) {
  smsmux_route_explain *x = calloc(1, sizeof *x);
  prepared p;
  router_msg rm;
  planned pl;
  router_plan *plan = &pl.plan;
  size_t i;
  int chosen = 0, oom = 0;

  if (!x)
    return NULL;
  if (prepare(sm, req, &p, &x->error))
    return x;
  x->encoding = p.info.encoding;
  x->segments = p.info.segments;
  router_msg_of(&p, req, &rm);
  if (plan_message(sm, &rm, req, 0, &pl, &x->error)) {
    planned_free(&pl);
    prepared_free(&p);
    return x;
  }
  x->route = str_dup(plan->route);
  x->policy = str_dup(plan->policy);
  x->candidates = calloc(plan->n ? plan->n : 1, sizeof *x->candidates);
  oom = !x->route || !x->policy || !x->candidates;
  for (i = 0; i < plan->n && !oom; i++) {
    smsmux_route_candidate *rc = &x->candidates[i];
    x->n_candidates++;
    rc->provider = str_dup(plan->cand[i].snap->name);
    rc->chosen = plan->cand[i].eligible && !chosen;
    if (rc->chosen) {
      chosen = 1;
      rc->reason = str_printf("chosen: %s", plan->cand[i].reason);
    } else {
      rc->reason = str_dup(plan->cand[i].reason);
    }
    rc->cost = plan->cand[i].cost;
    oom = !rc->provider || (plan->cand[i].reason && !rc->reason);
  }
  if (oom) { /* no half answer: the error alone */
    for (i = 0; i < x->n_candidates; i++) {
      free(x->candidates[i].provider);
      free(x->candidates[i].reason);
    }
    x->n_candidates = 0;
    err_oom(&x->error);
  } else if (!chosen) {
    no_candidate_error(plan, &x->error);
  }
  planned_free(&pl);
  prepared_free(&p);
  return x;
}

int engine_report_of(const char *provider, const char *provider_id,
                     const smsmux_status_entry *e, store_report *rep) {
  memset(rep, 0, sizeof *rep);
  rep->status = webhook_report_status(e->status);
  if (!rep->status)
    return 1;
  rep->provider = provider;
  rep->provider_id = provider_id;
  rep->number = e->to && e->to[0] == '+' ? e->to : NULL;
  rep->code = e->code;
  rep->text = e->text;
  rep->at = webhook_provider_time(e->at);
  return 0;
}
