/* router: route matching, capability and limit filtering, failover order.
 * A candidate that cannot take the message (missing capability, limits,
 * plugin not loaded, disabled) stays in the plan with the reason, so
 * `smsmux route` can say why it was not chosen. */
#include "router.h"
#include "cfg.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Why `inst` cannot take `m`, or NULL when it can. */
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

int router_plan_build(struct smsmux *sm, const router_msg *m,
                      const char *force_route, const char *force_provider,
                      router_plan *plan, smsmux_error *err) {
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
    {
      router_candidate *rc = VEC_PUSH(plan->cand, plan->n, cap);
      rc->inst = inst;
    }
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
      for (i = 0; i < route->n_providers; i++) {
        router_candidate *rc = VEC_PUSH(plan->cand, plan->n, cap);
        rc->inst = sm_instance(sm, route->providers[i]);
      }
    } else {
      plan->route = xstrdup("(default)");
      plan->policy = xstrdup("failover");
      for (i = 0; i < sm->n_inst; i++) {
        router_candidate *rc;
        if (!sm->inst[i].cfg->enabled)
          continue;
        rc = VEC_PUSH(plan->cand, plan->n, cap);
        rc->inst = &sm->inst[i];
      }
    }
  }
  for (i = 0; i < plan->n; i++) {
    router_candidate *rc = &plan->cand[i];
    rc->reason = ineligible(rc->inst, m);
    rc->eligible = rc->reason == NULL;
    rc->cost = rc->eligible ? plan_cost(rc->inst, m) : 0;
    if (rc->eligible)
      rc->reason = xstrdup(i == 0 ? "first in order"
                                  : "failover if the ones before fail");
  }
  /* Issue 2's policy is failover for every route: the order stays. */
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
