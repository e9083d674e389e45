/* engine: the handle's send path (see engine.h): prepare -> plan -> send
 * in chunks with failover -> record. */
#include <config.h>

#include "engine.h"
#include "health.h"
#include "host.h"
#include "msg.h"

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
    sm->store = store_open(sm->cfg->state_dir, buf, sizeof buf);
    if (!sm->store)
      sm->store_error = xstrdup(buf);
  }
  db = sm->store;
  if (!db)
    err_set(err, SMSMUX_ERR_CONFIG, NULL, "%s", sm->store_error);
  pthread_mutex_unlock(&sm->store_lock);
  return db;
}

instance *engine_instance(struct smsmux *sm, const char *name) {
  size_t i;
  for (i = 0; i < sm->n_inst; i++)
    if (str_ieq(sm->inst[i].cfg->name, name))
      return &sm->inst[i];
  return NULL;
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
  if (unit)
    *unit = xstrdup(call.balance_unit);
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
  char msg[512];
  size_t i, j, cap = 0;

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
  if (!*p->text && p->kind != SMSMUX_KIND_MMS) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "no text: give the message with --text or --text-file");
    return -1;
  }
  if (p->kind == SMSMUX_KIND_MMS && !*p->text && !req->image_url &&
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
                urls[i]);
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
    if (!dup)
      *VEC_PUSH(p->to, p->n_to, cap) = xstrdup(e164);
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
              req->at);
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
    char *why = xasprintf("balance unknown: %s", err.message);
    s->credit_why = arena_strdup(&pl->mem, why);
    free(why);
  }
}

static int snapshot_of(struct smsmux *sm, const char *name, store_db *db,
                       const router_msg *m, const router_env *env,
                       planned *pl, router_snapshot *s, smsmux_error *err) {
  instance *inst = engine_instance(sm, name);
  char *why;
  if (!inst) {
    err_set(err, SMSMUX_ERR_CONFIG, NULL,
            "%s: a route names provider \"%s\", which has no "
            "[provider.%s] section",
            sm->cfg->path, name, name);
    return -1;
  }
  s->name = inst->cfg->name;
  s->cfg = inst->cfg;
  s->handle = inst;
  s->usable = inst->usable;
  s->unusable_why = inst->error;
  if (inst->desc) {
    s->caps = inst->desc->capabilities;
    s->max_segments = inst->desc->max_segments;
    s->max_text_length = inst->desc->max_text_length;
    s->max_sender_length = inst->desc->max_sender_length;
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
  why = router_ineligible(s, m);
  if (!why && !(s->breaker_known && s->breaker_failures >= env->breaker_limit &&
                s->breaker_open_until > env->now))
    snapshot_credit(sm, inst, db, pl, s);
  free(why);
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
  pl->snaps = xcalloc(pl->sel.n ? pl->sel.n : 1, sizeof *pl->snaps);
  for (i = 0; i < pl->sel.n; i++)
    if (snapshot_of(sm, pl->sel.names[i], db, m, &env, pl, &pl->snaps[i],
                    err))
      return -1;
  if (pl->sel.policy->needs & ROUTER_NEEDS_POSITION)
    env.position = health_rr_position(db, pl->sel.route, sending);
  return router_plan_build(&pl->sel, m, pl->snaps, &env, &pl->plan, err);
}

/* After an attempt on `c`: breaker bookkeeping (success closes it; a
   provider failure counts) and, on success, the cached balance goes down
   by what the message used.  Nothing to change: the store is not asked. */
static void record_attempt(struct smsmux *sm, const router_candidate *c,
                           smsmux_error_class cls, double share) {
  long limit = sm->cfg->breaker_failures, opened;
  int success = cls == SMSMUX_OK;
  int breaker = limit > 0 && (success || router_counts_against_provider(cls));
  int spend = success && c->snap->has_credit;
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
     class of its outcome (SMSMUX_OK when taken); what engine_send's rows need */
  size_t *rcpt_idx;
  smsmux_error_class *rcpt_cls;
  size_t cap_idx, cap_cls, n_idx, n_cls;
  /* every message id a provider handed back (the provider's name and the
     id, both owned): journaled by engine_send with the rest, in one
     transaction */
  char **ids;
  size_t n_ids, cap_ids;
} send_state;

static void add_attempt(send_state *st, const instance *inst, int ok,
                        const smsmux_error *e, size_t n_to) {
  smsmux_attempt *a = VEC_PUSH(st->r->attempts, st->r->n_attempts, st->cap_att);
  a->provider = xstrdup(inst->cfg->name);
  a->ok = ok;
  a->cls = ok ? SMSMUX_OK : e->cls;
  a->code = ok ? NULL : (e->code[0] ? xstrdup(e->code) : NULL);
  a->message = ok ? xasprintf("accepted %zu recipient(s)", n_to)
                  : xstrdup(e->message);
}

static void add_rcpt(send_state *st, size_t idx, smsmux_error_class cls,
                     const char *to, smsmux_status s, const char *id,
                     const char *provider, const char *code,
                     const char *text) {
  smsmux_recipient_result *rr =
      VEC_PUSH(st->r->recipients, st->r->n_recipients, st->cap_rcpt);
  *VEC_PUSH(st->rcpt_idx, st->n_idx, st->cap_idx) = idx;
  *VEC_PUSH(st->rcpt_cls, st->n_cls, st->cap_cls) = cls;
  rr->to = xstrdup(to);
  rr->status = s;
  rr->id = xstrdup(id);
  rr->provider = xstrdup(provider);
  rr->code = xstrdup(code);
  rr->text = xstrdup(text);
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

/* Send the recipients p->to[idx[0..n)] through inst; 0 on success, else
   the error class. */
static smsmux_error_class send_chunk(struct smsmux *sm, instance *inst,
                                     const prepared *p,
                                     const smsmux_send_request *req,
                                     const size_t *idx, size_t n,
                                     send_state *st, smsmux_error *err) {
  smsmux_call call;
  smsmux_message m;
  char **to = xcalloc(n ? n : 1, sizeof *to);
  size_t i, j;
  int rc;

  for (i = 0; i < n; i++)
    to[i] = p->to[idx[i]];
  memset(&m, 0, sizeof m);
  m.size = sizeof m;
  m.kind = p->kind;
  m.text = p->text;
  m.encoding = p->info.encoding;
  m.segments = p->info.segments;
  m.text_units = p->info.units;
  m.to = (const char *const *)to;
  m.n_to = n;
  m.from = req->from;
  m.at = p->at;
  m.ref = req->ref;
  m.image_url = req->image_url;
  m.video_url = req->video_url;
  m.audio_url = req->audio_url;
  m.duration = req->duration;
  m.subject = req->subject;
  m.options = req->options;
  m.n_options = req->options ? req->n_options : 0;

  instance_throttle(inst);
  call_init(&call, inst, CALL_SEND);
  log_unknown_options(inst, &m);
  rc = inst->desc->send(inst->state, &call, &m);
  call_settle(&call, rc);
  if (call.failed) {
    *err = call.err;
    add_attempt(st, inst, 0, &call.err, n);
    call_done(&call);
    free(to);
    return err->cls;
  }
  add_attempt(st, inst, 1, NULL, n);
  if (!st->r->provider) {
    st->r->provider = xstrdup(inst->cfg->name);
    st->r->id = xstrdup(call.message_id);
  }
  /* every recipient of the chunk gets a line: the plugin's own, or
     "accepted" with the message id (plugins mostly report recipients in
     the order given: that one is looked at first) */
  for (i = 0; i < n; i++) {
    const call_recipient *cr = NULL;
    if (i < call.n_recipients && call.recipients[i].to &&
        strcmp(call.recipients[i].to, to[i]) == 0)
      cr = &call.recipients[i];
    for (j = 0; j < call.n_recipients && !cr; j++)
      if (call.recipients[j].to && strcmp(call.recipients[j].to, to[i]) == 0)
        cr = &call.recipients[j];
    if (cr)
      add_rcpt(st, idx[i], SMSMUX_OK, to[i], cr->status,
               cr->id ? cr->id : call.message_id, inst->cfg->name, cr->code,
               cr->text);
    else
      add_rcpt(st, idx[i], SMSMUX_OK, to[i],
               p->at ? SMSMUX_STATUS_SCHEDULED : SMSMUX_STATUS_ACCEPTED,
               call.message_id, inst->cfg->name, NULL, NULL);
  }
  if (call.message_id) {
    *VEC_PUSH(st->ids, st->n_ids, st->cap_ids) = xstrdup(inst->cfg->name);
    *VEC_PUSH(st->ids, st->n_ids, st->cap_ids) = xstrdup(call.message_id);
  }
  if (call.has_balance)
    /* some providers answer a send with the credit left: the freshest
       balance the router can have */
    health_balance_store(engine_store(sm, NULL), inst->cfg->name,
                         call.balance);
  call_done(&call);
  free(to);
  return SMSMUX_OK;
}

/* The journal status a settled recipient leaves behind. */
static const char *journal_status_of(smsmux_status s) {
  switch (s) {
  case SMSMUX_STATUS_UNKNOWN: return "unknown";
  case SMSMUX_STATUS_REJECTED:
  case SMSMUX_STATUS_UNDELIVERED:
  case SMSMUX_STATUS_EXPIRED:
  case SMSMUX_STATUS_CANCELLED: return "failed";
  default: return "sent";
  }
}

/* What a send leaves in the journal, in one transaction: the message ids
   the providers handed back, the ref's outcome (`ref_status` non-NULL:
   --ref was reserved), each reserved row's outcome (rows mode), and the
   attempts.  A journal failure does not change the send's result. */
static void journal_send(struct smsmux *sm, store_db *db,
                         const smsmux_send_result *r, const send_state *st,
                         const char *ref, const char *ref_status,
                         const engine_row *rows, const int *row_reserved) {
  store_journal_row *jr;
  store_journal_attempt_row *ja;
  size_t n = 0, i;
  if (!db)
    db = engine_store(sm, NULL);
  if (!db)
    return;
  jr = xcalloc(st->n_ids / 2 + 1 + r->n_recipients, sizeof *jr);
  ja = xcalloc(r->n_attempts ? r->n_attempts : 1, sizeof *ja);
  for (i = 0; i + 1 < st->n_ids; i += 2) {
    jr[n].status = "sent";
    jr[n].provider = st->ids[i];
    jr[n].message_id = st->ids[i + 1];
    n++;
  }
  if (ref_status) {
    jr[n].ref = ref;
    jr[n].status = ref_status;
    jr[n].provider = r->provider;
    jr[n].message_id = r->id;
    n++;
  }
  if (rows)
    for (i = 0; i < r->n_recipients; i++) {
      size_t k = st->rcpt_idx[i];
      const smsmux_recipient_result *rr = &r->recipients[i];
      if (!row_reserved[k])
        continue;
      jr[n].ref = rows[k].ref;
      jr[n].status = journal_status_of(rr->status);
      jr[n].provider = rr->provider;
      jr[n].message_id = rr->id;
      n++;
    }
  for (i = 0; i < r->n_attempts; i++) {
    const smsmux_attempt *a = &r->attempts[i];
    ja[i].ref = ref ? ref : (r->id ? r->id : "");
    ja[i].provider = a->provider;
    ja[i].outcome = a->ok ? "ok" : "failed";
    ja[i].cls = smsmux_error_class_name(a->cls);
    ja[i].code = a->code;
    ja[i].message = a->message;
  }
  (void)store_journal_finish_all(db, jr, n, ja, r->n_attempts, NULL, 0);
  free(jr);
  free(ja);
}

/* rows mode: reserve each recipient's own ref.  A recipient already
   journaled is not sent again: it gets its line (from the journal) and
   leaves `pending`.  -1 (r->error set, the rows reserved so far marked
   "failed" so that a rerun tries them) when the journal fails. */
static int reserve_rows(struct smsmux *sm, const prepared *p, engine_row *rows,
                        int *reserved, size_t *pending, size_t *n_pending,
                        send_state *st, store_db **dbp) {
  smsmux_send_result *r = st->r;
  size_t i, k;
  *n_pending = 0;
  for (i = 0; i < p->n_to; i++) {
    store_journal_entry e = {0};
    char msg[512] = "";
    int rc;
    if (!rows[i].ref || !*rows[i].ref) {
      pending[(*n_pending)++] = i;
      continue;
    }
    if (!*dbp && !(*dbp = engine_store(sm, &r->error)))
      rc = -1;
    else
      rc = store_journal_reserve(*dbp, rows[i].ref, &e, msg, sizeof msg);
    if (rc < 0) {
      if (r->error.cls == SMSMUX_OK)
        err_set(&r->error, SMSMUX_ERR_SYSTEM, NULL, "%s", msg);
      for (k = 0; k < i; k++)
        if (reserved[k]) {
          store_journal_finish(*dbp, rows[k].ref, "failed", NULL, NULL, NULL,
                               NULL, 0);
          reserved[k] = 0;
        }
      return -1;
    }
    if (rc == 0) {
      reserved[i] = 1;
      pending[(*n_pending)++] = i;
      continue;
    }
    if (e.status && strcmp(e.status, "sent") == 0) {
      rows[i].journaled = 1;
      add_rcpt(st, i, SMSMUX_OK, p->to[i], SMSMUX_STATUS_ACCEPTED,
               e.message_id, e.provider, NULL, NULL);
    } else {
      char *m = xasprintf(
          "a send with --ref %s was already started (%s%s%s) and its "
          "outcome is not known: nothing was sent again; check `smsmux "
          "status`%s%s before using a new --ref",
          rows[i].ref, e.status ? e.status : "pending",
          e.provider ? " via " : "", e.provider ? e.provider : "",
          e.message_id ? " " : "", e.message_id ? e.message_id : "");
      rows[i].journaled = 2;
      add_rcpt(st, i, SMSMUX_ERR_UNKNOWN_OUTCOME, p->to[i],
               SMSMUX_STATUS_UNKNOWN, e.message_id, e.provider, NULL, m);
      free(m);
    }
    store_journal_entry_clear(&e);
  }
  return 0;
}

smsmux_send_result *engine_send(struct smsmux *sm,
                                const smsmux_send_request *req,
                                engine_row *rows) {
  smsmux_send_result *r = xcalloc(1, sizeof *r);
  send_state st;
  prepared p;
  router_msg rm;
  planned pl;
  router_plan *plan = &pl.plan;
  size_t *pending = NULL, *next = NULL;
  int *row_reserved = NULL;
  size_t n_pending = 0, n_next = 0, cap_next = 0, i, c;
  smsmux_error last = {0};
  int reserved = 0;
  store_db *db = NULL;
  const char *ref_status = NULL;

  memset(&st, 0, sizeof st);
  st.r = r;
  memset(&pl, 0, sizeof pl);
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
    prepared_free(&p);
    goto rows_out;
  }
  router_msg_of(&p, req, &rm);
  if (plan_message(sm, &rm, req, 1, &pl, &r->error)) {
    planned_free(&pl);
    prepared_free(&p);
    goto rows_out;
  }
  r->route = xstrdup(plan->route);
  for (c = 0; c < plan->n && !plan->cand[c].eligible; c++)
    ;
  if (c == plan->n) {
    no_candidate_error(plan, &r->error);
    goto out;
  }

  pending = xcalloc(p.n_to ? p.n_to : 1, sizeof *pending);
  if (rows) {
    /* one ref per recipient: each is journaled on its own */
    row_reserved = xcalloc(p.n_to ? p.n_to : 1, sizeof *row_reserved);
    if (reserve_rows(sm, &p, rows, row_reserved, pending, &n_pending, &st,
                     &db))
      goto out;
    if (n_pending == 0 && p.n_to) {
      r->duplicate = 1;
      goto settle_rows;
    }
  } else if (req->ref && *req->ref) {
    /* --ref: the journal makes a retried command a no-op */
    store_journal_entry e = {0};
    char msg[512] = "";
    int rc;
    db = engine_store(sm, &r->error);
    if (!db)
      goto out;
    rc = store_journal_reserve(db, req->ref, &e, msg, sizeof msg);
    if (rc < 0) {
      err_set(&r->error, SMSMUX_ERR_SYSTEM, NULL, "%s", msg);
      goto out;
    }
    if (rc == 1) {
      r->duplicate = 1;
      r->provider = xstrdup(e.provider);
      r->id = xstrdup(e.message_id);
      if (e.status && strcmp(e.status, "sent") != 0) {
        r->possibly_sent = 1;
        err_set(&r->error, SMSMUX_ERR_UNKNOWN_OUTCOME, NULL,
                "a send with --ref %s was already started (%s%s%s) and its "
                "outcome is not known: nothing was sent again; check "
                "`smsmux status`%s%s before using a new --ref",
                req->ref, e.status, e.provider ? " via " : "",
                e.provider ? e.provider : "", e.message_id ? " " : "",
                e.message_id ? e.message_id : "");
      }
      store_journal_entry_clear(&e);
      goto out;
    }
    reserved = 1;
  }
  if (!rows) {
    for (i = 0; i < p.n_to; i++)
      pending[i] = i;
    n_pending = p.n_to;
  }

  /* Failover, chunk by chunk: recipients a provider refused with a
     "move on" class go to the next candidate; the others are settled. */
  for (; c < plan->n && n_pending; c++) {
    router_candidate *rc = &plan->cand[c];
    size_t max, off;
    if (!rc->eligible)
      continue;
    max = cand_instance(rc)->desc->max_recipients
              ? cand_instance(rc)->desc->max_recipients
              : 1;
    n_next = 0;
    for (off = 0; off < n_pending; off += max) {
      size_t n = n_pending - off < max ? n_pending - off : max;
      smsmux_error e = {0};
      smsmux_error_class cls =
          send_chunk(sm, cand_instance(rc), &p, req, pending + off, n, &st, &e);
      record_attempt(sm, rc, cls, (double)n / (double)p.n_to);
      if (cls == SMSMUX_OK) {
        r->cost += rc->cost * (double)n / (double)p.n_to;
        continue;
      }
      last = e;
      if (router_moves_on(cls, plan->failover_on_unknown) && c + 1 < plan->n) {
        for (i = 0; i < n; i++)
          *VEC_PUSH(next, n_next, cap_next) = pending[off + i];
      } else {
        /* settled as failed (or possibly sent) */
        smsmux_status s = cls == SMSMUX_ERR_UNKNOWN_OUTCOME
                              ? SMSMUX_STATUS_UNKNOWN
                              : SMSMUX_STATUS_REJECTED;
        if (cls == SMSMUX_ERR_UNKNOWN_OUTCOME)
          r->possibly_sent = 1;
        for (i = 0; i < n; i++)
          add_rcpt(&st, pending[off + i], cls, p.to[pending[off + i]], s,
                   NULL, rc->snap->name, e.code[0] ? e.code : NULL,
                   e.message);
        if (r->error.cls == SMSMUX_OK ||
            cls == SMSMUX_ERR_UNKNOWN_OUTCOME)
          r->error = e;
      }
    }
    if (n_next)
      memcpy(pending, next, n_next * sizeof *pending);
    n_pending = n_next;
  }
  /* recipients still pending: every candidate failed them */
  for (i = 0; i < n_pending; i++)
    add_rcpt(&st, pending[i], last.cls ? last.cls : SMSMUX_ERR_TEMPORARY,
             p.to[pending[i]], SMSMUX_STATUS_REJECTED, NULL, NULL,
             last.code[0] ? last.code : NULL, last.message);
  if (n_pending && (r->error.cls == SMSMUX_OK))
    r->error = last;
  if (r->error.cls != SMSMUX_OK && r->provider && !r->possibly_sent) {
    /* partly sent: say so */
    char *m = xasprintf("%s (other recipients were accepted by %s)",
                        r->error.message, r->provider);
    snprintf(r->error.message, sizeof r->error.message, "%s", m);
    free(m);
  }

  if (reserved)
    ref_status = r->possibly_sent                 ? "unknown"
                 : r->error.cls == SMSMUX_OK       ? "sent"
                 : r->provider                    ? "sent"
                                                  : "failed";
settle_rows:
  if (rows)
    /* each row's journal entry, from its own recipient line */
    for (i = 0; i < r->n_recipients; i++) {
      size_t k = st.rcpt_idx[i];
      rows[k].rcpt = i;
      rows[k].cls = st.rcpt_cls[i];
    }
  /* the ids, the ref or the rows, the attempts: one transaction */
  journal_send(sm, db, r, &st, rows ? NULL : req->ref, ref_status, rows,
               row_reserved);
out:
  if (rows && row_reserved) /* reserved but never settled (cannot happen) */
    for (i = 0; i < p.n_to; i++)
      if (row_reserved[i] && rows[i].rcpt == (size_t)-1)
        store_journal_finish(db, rows[i].ref, "failed", NULL, NULL, NULL,
                             NULL, 0);
  free(pending);
  free(next);
  free(row_reserved);
  planned_free(&pl);
  prepared_free(&p);
rows_out:
  if (rows)
    for (i = 0; req && i < req->n_to; i++)
      if (rows[i].rcpt == (size_t)-1 && rows[i].cls == SMSMUX_OK)
        rows[i].cls = r->error.cls;
  free(st.rcpt_idx);
  free(st.rcpt_cls);
  for (i = 0; i < st.n_ids; i++)
    free(st.ids[i]);
  free(st.ids);
  return r;
}

/* --------------------------------------------------------------- route -- */

smsmux_route_explain *engine_explain(struct smsmux *sm,
                                     const smsmux_send_request *req) {
  smsmux_route_explain *x = xcalloc(1, sizeof *x);
  prepared p;
  router_msg rm;
  planned pl;
  router_plan *plan = &pl.plan;
  size_t i;
  int chosen = 0;

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
  x->route = xstrdup(plan->route);
  x->policy = xstrdup(plan->policy);
  x->candidates = xcalloc(plan->n ? plan->n : 1, sizeof *x->candidates);
  x->n_candidates = plan->n;
  for (i = 0; i < plan->n; i++) {
    smsmux_route_candidate *rc = &x->candidates[i];
    rc->provider = xstrdup(plan->cand[i].snap->name);
    rc->chosen = plan->cand[i].eligible && !chosen;
    if (rc->chosen) {
      chosen = 1;
      rc->reason = xasprintf("chosen: %s", plan->cand[i].reason);
    } else {
      rc->reason = xstrdup(plan->cand[i].reason);
    }
    rc->cost = plan->cand[i].cost;
  }
  if (!chosen)
    no_candidate_error(plan, &x->error);
  planned_free(&pl);
  prepared_free(&p);
  return x;
}

