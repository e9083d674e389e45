/* router: route matching, the capability and limit filter, circuit
 * breakers, and the policies.  A candidate that cannot take the message
 * stays in the plan with its reason, so `smsmux route` can say why.
 *
 * State (SQLite, namespaces of the kv table):
 *   breaker/NAME     "FAILURES OPEN_UNTIL"  consecutive provider failures
 *                    and the Unix time the breaker stays open until
 *   balance/NAME     "CREDIT"               last known balance (kv time =
 *                    when it was read); trusted for [smsmux] balance_ttl
 *   roundrobin/ROUTE counter                next position, shared by runs
 * Without a usable state db the router still works: no breaker, round
 * robin from the first candidate, balances read live. */
#include "router.h"
#include "cfg.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int route_matches(const cfg_route *r, const router_msg *m) {
  size_t i;
  if (r->match_kind) {
    const char *k = m->kind == SMSMUX_KIND_MMS     ? "mms"
                    : m->kind == SMSMUX_KIND_VOICE ? "voice"
                                                   : "sms";
    if (strcmp(r->match_kind, k) != 0)
      return 0;
  }
  if (r->match_to)
    for (i = 0; i < m->n_to; i++)
      if (!str_starts(m->to[i], r->match_to))
        return 0;
  if (r->match_from && (!m->from || !str_ieq(m->from, r->match_from)))
    return 0;
  return 1;
}

/* Why `inst` cannot take `m` whatever the policy, or NULL when it can. */
static char *ineligible(const instance *inst, const router_msg *m) {
  const smsmux_provider *d = inst->desc;
  uint32_t caps;
  if (!inst->cfg->enabled)
    return xstrdup("disabled in the configuration (enabled = no)");
  if (!inst->usable)
    return xasprintf("unusable: %s", inst->error ? inst->error : "not loaded");
  caps = d->capabilities;
  if (m->kind == SMSMUX_KIND_MMS && !(caps & SMSMUX_CAP_MMS))
    return xstrdup("lacks the mms capability");
  if (m->kind == SMSMUX_KIND_VOICE && !(caps & SMSMUX_CAP_VOICE))
    return xstrdup("lacks the voice capability");
  if (m->kind == SMSMUX_KIND_SMS && !(caps & SMSMUX_CAP_SMS))
    return xstrdup("lacks the sms capability");
  if (m->kind == SMSMUX_KIND_SMS && m->encoding == SMSMUX_ENC_UCS2 &&
      !(caps & SMSMUX_CAP_UNICODE))
    return xstrdup("lacks the unicode capability (the text needs UCS-2)");
  if (m->scheduled && !(caps & SMSMUX_CAP_SCHEDULE))
    return xstrdup("lacks the schedule capability (--at)");
  if (m->kind == SMSMUX_KIND_SMS && d->max_segments &&
      m->segments > d->max_segments)
    return xasprintf("the text takes %u segments, this provider sends at "
                     "most %u",
                     m->segments, d->max_segments);
  if (d->max_text_length && m->chars > d->max_text_length)
    return xasprintf("the text has %u characters, this provider takes at "
                     "most %u",
                     m->chars, d->max_text_length);
  if (m->from) {
    unsigned max = d->max_sender_length ? d->max_sender_length : 11;
    int numeric = strspn(m->from, "+0123456789") == strlen(m->from);
    if (!numeric && strlen(m->from) > max)
      return xasprintf("sender \"%s\" is longer than its %u characters",
                       m->from, max);
    if (!numeric && !(caps & SMSMUX_CAP_ALPHA_SENDER))
      return xasprintf("lacks the alphanumeric sender capability (sender "
                       "\"%s\")",
                       m->from);
  }
  return NULL;
}

static double plan_cost(const instance *inst, const router_msg *m) {
  double c = 0;
  size_t i;
  for (i = 0; i < m->n_to; i++)
    c += (double)m->segments * cfg_price(inst->cfg, m->to[i]);
  return c;
}

/* ------------------------------------------------------------ breaker -- */

typedef struct breaker {
  long failures;
  int64_t open_until;
} breaker;

static void breaker_read(struct smsmux *sm, const instance *inst,
                         breaker *b) {
  state_db *db = sm_state(sm, NULL);
  char *v = NULL;
  long long until = 0;
  memset(b, 0, sizeof *b);
  if (db && state_kv_get(db, "breaker", inst->cfg->name, &v, NULL) == 0 && v) {
    if (sscanf(v, "%ld %lld", &b->failures, &until) == 2)
      b->open_until = until;
  }
  free(v);
}

static void breaker_write(struct smsmux *sm, const instance *inst,
                          const breaker *b) {
  state_db *db = sm_state(sm, NULL);
  char v[64];
  if (!db)
    return;
  snprintf(v, sizeof v, "%ld %lld", b->failures, (long long)b->open_until);
  state_kv_set(db, "breaker", inst->cfg->name, v);
}

/* NULL when the breaker lets the candidate through; else why not.  The
   state read is kept in the candidate for router_record. */
static char *breaker_blocks(struct smsmux *sm, router_candidate *rc,
                            int *half_open) {
  breaker b;
  int64_t now;
  *half_open = 0;
  if (sm->cfg->breaker_failures <= 0)
    return NULL; /* no breaker: the state db is not asked */
  breaker_read(sm, rc->inst, &b);
  rc->breaker_known = 1;
  rc->breaker_failures = b.failures;
  rc->breaker_open_until = b.open_until;
  if (b.failures < sm->cfg->breaker_failures)
    return NULL;
  now = (int64_t)time(NULL);
  if (b.open_until > now)
    return xasprintf("circuit breaker open for %lld s more (%ld failures in "
                     "a row)",
                     (long long)(b.open_until - now), b.failures);
  *half_open = 1; /* cool-down over: this send is the probe */
  return NULL;
}

/* Failures that say something about the provider, not the message. */
static int counts_against_provider(smsmux_error_class cls) {
  return cls == SMSMUX_ERR_TEMPORARY || cls == SMSMUX_ERR_AUTH ||
         cls == SMSMUX_ERR_CREDIT || cls == SMSMUX_ERR_UNKNOWN_OUTCOME;
}

/* ------------------------------------------------------------ balance -- */

/* The provider's credit: cached if fresh, else asked live and cached.
   0 with *credit, or -1 (unknown) with a reason in *why. */
static int balance_of(struct smsmux *sm, const instance *inst, double *credit,
                      char **why) {
  state_db *db = sm_state(sm, NULL);
  char *v = NULL;
  int64_t at = 0;
  smsmux_error err = {0};
  *why = NULL;
  if (!(inst->desc->capabilities & SMSMUX_CAP_BALANCE)) {
    *why = xstrdup("the provider cannot report its balance");
    return -1;
  }
  if (db && state_kv_get(db, "balance", inst->cfg->name, &v, &at) == 0 && v &&
      (int64_t)time(NULL) - at < sm->cfg->balance_ttl) {
    *credit = strtod(v, NULL);
    free(v);
    return 0;
  }
  free(v);
  if (sm_balance(sm, (instance *)inst, credit, NULL, &err) != 0) {
    *why = xasprintf("balance unknown: %s", err.message);
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------- policy -- */

static int by_cost(const void *a, const void *b) {
  const router_candidate *x = a, *y = b;
  if (x->eligible != y->eligible)
    return x->eligible ? -1 : 1;
  if (!x->eligible)
    return 0;
  return x->cost < y->cost ? -1 : x->cost > y->cost ? 1 : 0;
}

/* Stable partition: eligible first, keeping their relative order. */
static void eligible_first(router_plan *plan) {
  router_candidate *tmp;
  size_t i, k = 0;
  if (plan->n == 0) /* no candidate: plan->cand is NULL, nothing to move */
    return;
  tmp = xcalloc(plan->n, sizeof *tmp);
  for (i = 0; i < plan->n; i++)
    if (plan->cand[i].eligible)
      tmp[k++] = plan->cand[i];
  for (i = 0; i < plan->n; i++)
    if (!plan->cand[i].eligible)
      tmp[k++] = plan->cand[i];
  memcpy(plan->cand, tmp, plan->n * sizeof *tmp);
  free(tmp);
}

static size_t n_eligible(const router_plan *plan) {
  size_t i, n = 0;
  for (i = 0; i < plan->n; i++)
    n += plan->cand[i].eligible != 0;
  return n;
}

static void apply_cheapest(struct smsmux *sm, router_plan *plan) {
  size_t i, n;
  for (i = 0; i < plan->n; i++) {
    router_candidate *c = &plan->cand[i];
    char *why = NULL;
    if (!c->eligible)
      continue;
    if (balance_of(sm, c->inst, &c->credit, &why) == 0) {
      c->has_credit = 1;
      if (c->credit < c->need) {
        c->eligible = 0;
        c->skip = SKIP_CREDIT;
        free(c->reason);
        c->reason = xasprintf("credit %g < %g needed", c->credit, c->need);
      }
    } else {
      free(c->reason);
      c->reason = why; /* tried at its price, credit unknown */
    }
  }
  /* insertion sort: stable, so equal prices keep the route's order */
  for (i = 1; i < plan->n; i++) {
    size_t j = i;
    while (j > 0 && by_cost(&plan->cand[j - 1], &plan->cand[j]) > 0) {
      router_candidate t = plan->cand[j];
      plan->cand[j] = plan->cand[j - 1];
      plan->cand[j - 1] = t;
      j--;
    }
  }
  n = n_eligible(plan);
  for (i = 0; i < n; i++) {
    router_candidate *c = &plan->cand[i];
    const char *rank = i == 0 ? "cheapest" : "next cheapest";
    char *r = c->has_credit
                  ? xasprintf("%s at %g (credit %g >= %g needed)", rank,
                              c->cost, c->credit, c->need)
                  : xasprintf("%s at %g (%s)", rank, c->cost,
                              c->reason ? c->reason : "credit unknown");
    free(c->reason);
    c->reason = r;
  }
}

static void apply_roundrobin(struct smsmux *sm, router_plan *plan,
                             int sending) {
  size_t n, start = 0, i;
  state_db *db = sm_state(sm, NULL);
  int64_t pos = 0;
  eligible_first(plan);
  n = n_eligible(plan);
  if (n == 0)
    return;
  if (db) {
    char *v = NULL;
    if (sending)
      state_kv_add(db, "roundrobin", plan->route, 1, &pos);
    else if (state_kv_get(db, "roundrobin", plan->route, &v, NULL) == 0 && v)
      pos = strtoll(v, NULL, 10);
    free(v);
  }
  start = (size_t)((pos % (int64_t)n + (int64_t)n) % (int64_t)n);
  if (start) {
    router_candidate *tmp = xcalloc(n, sizeof *tmp);
    for (i = 0; i < n; i++)
      tmp[i] = plan->cand[(start + i) % n];
    memcpy(plan->cand, tmp, n * sizeof *tmp);
    free(tmp);
  }
  for (i = 0; i < n; i++) {
    free(plan->cand[i].reason);
    plan->cand[i].reason =
        i == 0 ? xasprintf("round robin: its turn (position %lld)",
                           (long long)pos)
               : xstrdup("round robin: failover if the ones before fail");
  }
}

/* ---------------------------------------------------------------- plan -- */

int router_plan_build(struct smsmux *sm, const router_msg *m,
                      const char *force_route, const char *force_provider,
                      int sending, router_plan *plan, smsmux_error *err) {
  cfg *c = sm->cfg;
  const cfg_route *route = NULL;
  size_t i, cap = 0;

  memset(plan, 0, sizeof *plan);
  if (force_provider) {
    instance *inst = sm_instance(sm, force_provider);
    if (!inst) {
      err_set(err, SMSMUX_ERR_INPUT, NULL,
              "unknown provider \"%s\": `smsmux providers` lists the "
              "configured ones",
              force_provider);
      return -1;
    }
    plan->route = xstrdup("(--provider)");
    plan->policy = xstrdup("failover");
    VEC_PUSH(plan->cand, plan->n, cap)->inst = inst;
  } else {
    if (force_route) {
      for (i = 0; i < c->n_routes; i++)
        if (str_ieq(c->routes[i].name, force_route))
          route = &c->routes[i];
      if (!route) {
        err_set(err, SMSMUX_ERR_INPUT, NULL,
                "unknown route \"%s\": routes are the [route.NAME] sections "
                "listed in [smsmux] routes",
                force_route);
        return -1;
      }
    } else {
      for (i = 0; i < c->n_routes && !route; i++)
        if (route_matches(&c->routes[i], m))
          route = &c->routes[i];
    }
    if (route) {
      plan->route = xstrdup(route->name);
      plan->policy = xstrdup(route->policy);
      plan->failover_on_unknown = route->failover_on_unknown;
      for (i = 0; i < route->n_providers; i++)
        VEC_PUSH(plan->cand, plan->n, cap)->inst =
            sm_instance(sm, route->providers[i]);
    } else {
      plan->route = xstrdup("(default)");
      plan->policy = xstrdup("failover");
      for (i = 0; i < sm->n_inst; i++)
        if (sm->inst[i].cfg->enabled)
          VEC_PUSH(plan->cand, plan->n, cap)->inst = &sm->inst[i];
    }
  }

  for (i = 0; i < plan->n; i++) {
    router_candidate *rc = &plan->cand[i];
    int half_open = 0;
    rc->reason = ineligible(rc->inst, m);
    if (rc->reason)
      rc->skip = rc->inst->usable ? SKIP_MESSAGE : SKIP_UNUSABLE;
    else if (!force_provider &&
             (rc->reason = breaker_blocks(sm, rc, &half_open)))
      rc->skip = SKIP_BREAKER;
    rc->eligible = rc->reason == NULL;
    rc->cost = plan_cost(rc->inst, m);
    rc->need = (double)m->segments * (double)m->n_to *
               rc->inst->cfg->credit_per_segment;
    if (rc->eligible)
      rc->reason = xstrdup(half_open ? "circuit breaker half-open: this send "
                                       "is the probe"
                                     : "in route order");
  }

  if (strcmp(plan->policy, "cheapest") == 0)
    apply_cheapest(sm, plan);
  else if (strcmp(plan->policy, "roundrobin") == 0)
    apply_roundrobin(sm, plan, sending);
  else {
    size_t n;
    eligible_first(plan);
    n = n_eligible(plan);
    for (i = 1; i < n; i++) {
      free(plan->cand[i].reason);
      plan->cand[i].reason =
          xstrdup("failover: tried if the ones before fail");
    }
  }
  return 0;
}

void router_plan_free(router_plan *plan) {
  size_t i;
  for (i = 0; i < plan->n; i++)
    free(plan->cand[i].reason);
  free(plan->cand);
  free(plan->route);
  free(plan->policy);
  memset(plan, 0, sizeof *plan);
}

int router_moves_on(smsmux_error_class cls, int failover_on_unknown) {
  switch (cls) {
  case SMSMUX_ERR_TEMPORARY:
  case SMSMUX_ERR_AUTH:
  case SMSMUX_ERR_CREDIT:
    return 1;
  case SMSMUX_ERR_UNKNOWN_OUTCOME:
    return failover_on_unknown;
  default:
    return 0;
  }
}

void router_record(struct smsmux *sm, const router_candidate *c,
                   smsmux_error_class cls, double share) {
  breaker b;
  state_db *db;
  int breaker_on = sm->cfg->breaker_failures > 0;
  /* A success on a breaker the plan saw closed changes nothing: no read,
     no write.  A failure reads it afresh (other threads or processes may
     have counted theirs since the plan) and counts. */
  int breaker_reset = breaker_on && cls == SMSMUX_OK &&
                      (!c->breaker_known || c->breaker_failures ||
                       c->breaker_open_until);
  int breaker_count = breaker_on && cls != SMSMUX_OK &&
                      counts_against_provider(cls);
  int balance = cls == SMSMUX_OK && c->has_credit;
  if (!breaker_reset && !breaker_count && !balance)
    return; /* nothing changes: the state db is not touched */
  db = sm_state(sm, NULL);
  if (!db)
    return;
  if (breaker_reset) {
    breaker_read(sm, c->inst, &b);
    if (b.failures || b.open_until) {
      b.failures = 0;
      b.open_until = 0;
      breaker_write(sm, c->inst, &b);
    }
  } else if (breaker_count) {
    breaker_read(sm, c->inst, &b);
    b.failures++;
    if (b.failures >= sm->cfg->breaker_failures) {
      b.open_until = (int64_t)time(NULL) + sm->cfg->breaker_cooldown;
      sm_log(sm, SMSMUX_LOG_WARNING,
             "%s: %ld failures in a row: skipped for %ld s (circuit "
             "breaker)",
             c->inst->cfg->name, b.failures, sm->cfg->breaker_cooldown);
    }
    breaker_write(sm, c->inst, &b);
  }
  if (balance) {
    /* what the message used, so the next cheapest choice sees it */
    char *v = NULL;
    int64_t at;
    if (state_kv_get(db, "balance", c->inst->cfg->name, &v, &at) == 0 && v) {
      char buf[64];
      snprintf(buf, sizeof buf, "%.6f", strtod(v, NULL) - c->need * share);
      state_kv_set(db, "balance", c->inst->cfg->name, buf);
    }
    free(v);
  }
}
