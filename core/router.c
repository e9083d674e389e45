/* router: route matching, the capability and limit filter, circuit
 * breakers and the policies, as a pure function of a snapshot (see
 * router.h).  No store, no plugin, no HTTP here: tests/test_router.c
 * drives it with hand-made snapshots.  Out of memory building a reason is
 * an error of the plan (router_plan_build), never a candidate let through
 * for want of the text that would have excluded it. */
#include "router.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ select -- */

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

static const cfg_provider *provider_named(const cfg *c, const char *name) {
  size_t i;
  for (i = 0; i < c->n_providers; i++)
    if (str_ieq(c->providers[i].name, name))
      return &c->providers[i];
  return NULL;
}

static const cfg_route *route_named(const cfg *c, const char *name) {
  size_t i;
  for (i = 0; i < c->n_routes; i++)
    if (str_ieq(c->routes[i].name, name))
      return &c->routes[i];
  return NULL;
}

static int select_forced_provider(const cfg *c, const char *name,
                                  router_selection *sel, smsmux_error *err) {
  const cfg_provider *p = provider_named(c, name);
  if (!p) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "unknown provider \"%s\": `smsmux providers` lists the "
            "configured ones",
            name);
    return -1;
  }
  sel->route = "(--provider)";
  sel->policy = router_policy_find("failover");
  sel->forced_provider = 1;
  sel->names = calloc(1, sizeof *sel->names);
  if (!sel->names) {
    return err_oom(err);
  }
  sel->names[sel->n++] = p->name;
  return 0;
}

int router_select(const cfg *c, const router_msg *m, const char *force_route,
                  const char *force_provider, router_selection *sel,
                  smsmux_error *err) {
  const cfg_route *route = NULL;
  size_t i;

  memset(sel, 0, sizeof *sel);
  if (force_provider)
    return select_forced_provider(c, force_provider, sel, err);
  if (force_route && !(route = route_named(c, force_route))) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "unknown route \"%s\": routes are the [route.NAME] sections "
            "listed in [smsmux] routes",
            force_route);
    return -1;
  }
  for (i = 0; !force_route && i < c->n_routes && !route; i++)
    if (route_matches(&c->routes[i], m))
      route = &c->routes[i];
  sel->names = calloc(route ? route->n_providers + 1 : c->n_providers + 1,
                      sizeof *sel->names);
  if (!sel->names) {
    return err_oom(err);
  }
  if (route) {
    sel->route = route->name;
    sel->policy = router_policy_find(route->policy);
    sel->failover_on_unknown = route->failover_on_unknown;
    for (i = 0; i < route->n_providers; i++)
      sel->names[sel->n++] = route->providers[i];
  } else {
    sel->route = "(default)";
    sel->policy = router_policy_find("failover");
    for (i = 0; i < c->n_providers; i++)
      if (c->providers[i].enabled)
        sel->names[sel->n++] = c->providers[i].name;
  }
  if (!sel->policy) { /* router_check_config ran at open: cannot happen */
    err_set(err, SMSMUX_ERR_CONFIG, NULL, "route %s: unknown policy",
            sel->route);
    router_selection_free(sel);
    return -1;
  }
  return 0;
}

void router_selection_free(router_selection *sel) {
  free(sel->names);
  memset(sel, 0, sizeof *sel);
}

/* ------------------------------------------------------------ filter -- */

/* 1, with the reason in *why when why is not NULL (malloc'd; NULL when
   out of memory). */
static int no(char **why, const char *fmt, ...) UTIL_PRINTF(2, 3);
static int no(char **why, const char *fmt, ...) {
  va_list ap;
  if (why) {
    va_start(ap, fmt);
    *why = str_vprintf(fmt, ap);
    va_end(ap);
  }
  return 1;
}

static int sender_ineligible(const router_snapshot *s, const char *from,
                             char **why) {
  unsigned max = s->max_sender_length ? s->max_sender_length : 11;
  int numeric = strspn(from, "+0123456789") == strlen(from);
  if (s->sender_rules & SMSMUX_SENDER_FIXED)
    return no(why, "takes no sender (\"%s\"): this account always "
                     "sends with its own",
                     from);
  if (numeric && (s->sender_rules & SMSMUX_SENDER_NO_NUMERIC))
    return no(why, "refuses numeric senders (sender \"%s\")", from);
  if (!numeric && strlen(from) > max)
    return no(why, "sender \"%s\" is longer than its %u characters", from,
                     max);
  if (!numeric && !(s->caps & SMSMUX_CAP_ALPHA_SENDER))
    return no(why, "lacks the alphanumeric sender capability (sender "
                     "\"%s\")",
                     from);
  return 0;
}

int router_ineligible(const router_snapshot *s, const router_msg *m,
                      int64_t now, char **why) {
  uint32_t caps = s->caps;
  if (!s->cfg->enabled)
    return no(why, "disabled in the configuration (enabled = no)");
  if (!s->usable)
    return no(why, "unusable: %s",
                     s->unusable_why ? s->unusable_why : "not loaded");
  if (m->kind == SMSMUX_KIND_MMS && !(caps & SMSMUX_CAP_MMS))
    return no(why, "lacks the mms capability");
  if (m->kind == SMSMUX_KIND_VOICE && !(caps & SMSMUX_CAP_VOICE))
    return no(why, "lacks the voice capability");
  if (m->kind == SMSMUX_KIND_SMS && !(caps & SMSMUX_CAP_SMS))
    return no(why, "lacks the sms capability");
  if (m->kind == SMSMUX_KIND_SMS && m->encoding == SMSMUX_ENC_UCS2 &&
      !(caps & SMSMUX_CAP_UNICODE))
    return no(why, "lacks the unicode capability (the text needs UCS-2)");
  if (m->scheduled && !(caps & SMSMUX_CAP_SCHEDULE))
    return no(why, "lacks the schedule capability (--at)");
  if (m->scheduled && s->schedule_min_delay > 0 &&
      m->at - now < s->schedule_min_delay)
    return no(why, "schedules only %lld s or more ahead; --at is %lld s "
                     "ahead",
                     (long long)s->schedule_min_delay,
                     (long long)(m->at > now ? m->at - now : 0));
  if (m->kind == SMSMUX_KIND_SMS && s->max_segments &&
      m->segments > s->max_segments)
    return no(why, "the text takes %u segments, this provider sends at "
                     "most %u",
                     m->segments, s->max_segments);
  if (s->max_text_length && m->chars > s->max_text_length)
    return no(why, "the text has %u characters, this provider takes at "
                     "most %u",
                     m->chars, s->max_text_length);
  return m->from ? sender_ineligible(s, m->from, why) : 0;
}

static double plan_cost(const router_snapshot *s, const router_msg *m) {
  double c = 0;
  size_t i;
  for (i = 0; i < m->n_to; i++)
    c += (double)m->segments * cfg_price(s->cfg, m->to[i]);
  return c;
}

/* NULL when the breaker lets the candidate through; else why not. */
static int breaker_blocks(const router_snapshot *s, const router_env *env,
                          int *half_open, char **why) {
  *half_open = 0;
  if (env->breaker_limit <= 0 || !s->breaker_known ||
      s->breaker_failures < env->breaker_limit)
    return 0;
  if (s->breaker_open_until > env->now)
    return no(why,
              "circuit breaker open for %lld s more (%ld failures in a row)",
              (long long)(s->breaker_open_until - env->now),
              s->breaker_failures);
  *half_open = 1; /* cool-down over: this send is the probe */
  return 0;
}

/* ---------------------------------------------------------- policies -- */

static size_t n_eligible(const router_plan *plan) {
  size_t i, n = 0;
  for (i = 0; i < plan->n; i++)
    n += plan->cand[i].eligible != 0;
  return n;
}

/* Stable partition: eligible first, keeping their relative order. */
static void eligible_first(router_plan *plan) {
  size_t i, j;
  for (i = 1; i < plan->n; i++)
    for (j = i; j > 0 && plan->cand[j].eligible && !plan->cand[j - 1].eligible;
         j--) {
      router_candidate t = plan->cand[j];
      plan->cand[j] = plan->cand[j - 1];
      plan->cand[j - 1] = t;
    }
}

/* Takes `reason` (NULL: it could not be allocated, the plan fails). */
static void set_reason(router_plan *plan, router_candidate *c, char *reason) {
  free(c->reason);
  c->reason = reason;
  if (!reason)
    plan->oom = 1;
}

static void order_failover(router_plan *plan, const router_env *env) {
  size_t i, n;
  (void)env;
  eligible_first(plan);
  n = n_eligible(plan);
  for (i = 1; i < n; i++)
    set_reason(plan, &plan->cand[i],
               str_dup("failover: tried if the ones before fail"));
}

static int by_cost(const router_candidate *x, const router_candidate *y) {
  if (x->eligible != y->eligible)
    return x->eligible ? -1 : 1;
  if (!x->eligible)
    return 0;
  return x->cost < y->cost ? -1 : x->cost > y->cost ? 1 : 0;
}

/* Known credit below the need: skipped.  Unknown credit: tried at its
   price, with why it is unknown. */
static void credit_filter(router_plan *plan) {
  size_t i;
  for (i = 0; i < plan->n; i++) {
    router_candidate *c = &plan->cand[i];
    const router_snapshot *s = c->snap;
    if (!c->eligible)
      continue;
    if (!s->has_credit)
      set_reason(plan, c, str_dup(s->credit_why ? s->credit_why : "credit unknown"));
    else if (s->credit < c->need) {
      c->eligible = 0;
      c->skip = SKIP_CREDIT;
      set_reason(plan, c, str_printf("credit %g < %g needed", s->credit, c->need));
    }
  }
}

static void order_cheapest(router_plan *plan, const router_env *env) {
  size_t i, n;
  (void)env;
  credit_filter(plan);
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
    set_reason(plan, c, c->snap->has_credit
                      ? str_printf("%s at %g (credit %g >= %g needed)", rank,
                                  c->cost, c->snap->credit, c->need)
                      : str_printf("%s at %g (%s)", rank, c->cost,
                                  c->reason ? c->reason : "credit unknown"));
  }
}

static void order_roundrobin(router_plan *plan, const router_env *env) {
  size_t n, start, i, k;
  int64_t pos = env->position;
  eligible_first(plan);
  n = n_eligible(plan);
  if (n == 0)
    return;
  start = (size_t)((pos % (int64_t)n + (int64_t)n) % (int64_t)n);
  for (k = 0; k < start; k++) { /* rotate left by one, start times */
    router_candidate first = plan->cand[0];
    memmove(plan->cand, plan->cand + 1, (n - 1) * sizeof *plan->cand);
    plan->cand[n - 1] = first;
  }
  for (i = 0; i < n; i++)
    set_reason(plan, &plan->cand[i],
               i == 0 ? str_printf("round robin: its turn (position %lld)",
                                  (long long)pos)
                      : str_dup("round robin: failover if the ones before "
                                "fail"));
}

/* The policies: a new one is an entry here (and its documentation). */
static const router_policy policies[] = {
    {"failover", 0, order_failover},
    {"cheapest", ROUTER_NEEDS_CREDIT, order_cheapest},
    {"roundrobin", ROUTER_NEEDS_POSITION, order_roundrobin},
};
#define N_POLICIES (sizeof policies / sizeof policies[0])

const router_policy *router_policy_find(const char *name) {
  size_t i;
  for (i = 0; name && i < N_POLICIES; i++)
    if (strcmp(policies[i].name, name) == 0)
      return &policies[i];
  return NULL;
}

const char *router_policy_names(void) {
  return "failover, cheapest or roundrobin";
}

int router_check_config(const cfg *c, smsmux_error *err) {
  size_t i;
  for (i = 0; i < c->n_routes; i++)
    if (!router_policy_find(c->routes[i].policy)) {
      char sec[300];
      int line;
      snprintf(sec, sizeof sec, "route.%s", c->routes[i].name);
      line = cfg_line_of(c, sec, "policy");
      if (line > 0)
        err_set(err, SMSMUX_ERR_CONFIG, NULL,
                "%s:%d: [%s] policy: \"%s\" is not %s", c->path, line, sec,
                c->routes[i].policy, router_policy_names());
      else
        err_set(err, SMSMUX_ERR_CONFIG, NULL,
                "%s: [%s] policy: \"%s\" is not %s", c->path, sec,
                c->routes[i].policy, router_policy_names());
      return -1;
    }
  return 0;
}

/* -------------------------------------------------------------- plan -- */

int router_plan_build(const router_selection *sel, const router_msg *m,
                      const router_snapshot *snaps, const router_env *env,
                      router_plan *plan, smsmux_error *err) {
  size_t i;
  memset(plan, 0, sizeof *plan);
  plan->route = strdup(sel->route);
  plan->cand = calloc(sel->n ? sel->n : 1, sizeof *plan->cand);
  if (!plan->route || !plan->cand) {
    router_plan_free(plan);
    return err_oom(err);
  }
  plan->policy = sel->policy->name;
  plan->failover_on_unknown = sel->failover_on_unknown;
  plan->n = sel->n;
  for (i = 0; i < plan->n; i++) {
    router_candidate *rc = &plan->cand[i];
    const router_snapshot *s = &snaps[i];
    int half_open = 0;
    rc->snap = s;
    if (router_ineligible(s, m, env->now, &rc->reason))
      rc->skip = s->usable && s->cfg->enabled ? SKIP_MESSAGE : SKIP_UNUSABLE;
    else if (!sel->forced_provider &&
             breaker_blocks(s, env, &half_open, &rc->reason))
      rc->skip = SKIP_BREAKER;
    rc->eligible = rc->skip == SKIP_NONE;
    if (!rc->eligible && !rc->reason)
      plan->oom = 1;
    rc->cost = plan_cost(s, m);
    rc->need = (double)m->segments * (double)m->n_to *
               s->cfg->credit_per_segment;
    if (rc->eligible)
      set_reason(plan, rc,
                 str_dup(half_open ? "circuit breaker half-open: this send "
                                     "is the probe"
                                   : "in route order"));
  }
  if (!plan->oom)
    sel->policy->order(plan, env);
  if (plan->oom) {
    router_plan_free(plan);
    return err_oom(err);
  }
  return 0;
}

void router_plan_free(router_plan *plan) {
  size_t i;
  for (i = 0; plan->cand && i < plan->n; i++)
    free(plan->cand[i].reason);
  free(plan->cand);
  free(plan->route);
  memset(plan, 0, sizeof *plan);
}

int router_moves_on(smsmux_error_class cls, int failover_on_unknown) {
  switch (cls) {
  case SMSMUX_ERR_TEMPORARY:
  case SMSMUX_ERR_AUTH:
  case SMSMUX_ERR_CREDIT:
  case SMSMUX_ERR_UNSUITABLE:
    return 1;
  case SMSMUX_ERR_UNKNOWN_OUTCOME:
    return failover_on_unknown;
  default:
    return 0;
  }
}

int router_counts_against_provider(smsmux_error_class cls) {
  return cls == SMSMUX_ERR_TEMPORARY || cls == SMSMUX_ERR_AUTH ||
         cls == SMSMUX_ERR_CREDIT || cls == SMSMUX_ERR_UNKNOWN_OUTCOME;
}
