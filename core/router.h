/* router: which providers may take a message, in which order, and what to
 * do after each failure.  Issue 2 implements the first route that matches
 * (or every enabled provider, in file order) with failover; the policies
 * of DESIGN.md "Routing" plug in at router_plan. */
#ifndef SMSMUX_ROUTER_H
#define SMSMUX_ROUTER_H

#include "internal.h"

/** What the router needs to know of a message. */
typedef struct router_msg {
  smsmux_kind kind;
  smsmux_encoding encoding;
  unsigned segments;
  unsigned chars;
  const char *const *to; /* E.164 */
  size_t n_to;
  const char *from;
  int scheduled;
} router_msg;

typedef struct router_candidate {
  instance *inst;
  int eligible;  /* 1: may be tried */
  char *reason;  /* why chosen / why not */
  double cost;   /* segments x recipients x price */
} router_candidate;

typedef struct router_plan {
  char *route;   /* route name, or "(default)" */
  char *policy;
  int failover_on_unknown;
  router_candidate *cand; /* in the order they will be tried */
  size_t n;
} router_plan;

/** Build the plan.  force_route / force_provider may be NULL.  Returns 0,
    or -1 with err (unknown route or provider). */
int router_plan_build(struct smsmux *sm, const router_msg *m,
                      const char *force_route, const char *force_provider,
                      router_plan *plan, smsmux_error *err);
void router_plan_free(router_plan *plan);

/** 1 when a failure of class `cls` moves on to the next provider. */
int router_moves_on(smsmux_error_class cls, int failover_on_unknown);

#endif
