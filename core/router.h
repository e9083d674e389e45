/* router: which providers may take a message, in which order, and what to
 * do after each failure (DESIGN.md "Routing"): the first matching route,
 * the capability and limit filter, circuit breakers, then the policy
 * (failover, cheapest by credit, roundrobin).  What must outlive one run
 * (breakers, round-robin positions, cached balances) is in the state db. */
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

/** Why a candidate is left out. */
typedef enum router_skip {
  SKIP_NONE = 0,  /* eligible */
  SKIP_UNUSABLE,  /* disabled, plugin not loaded or not opened */
  SKIP_MESSAGE,   /* lacks a capability or a limit the message needs */
  SKIP_BREAKER,   /* circuit breaker open */
  SKIP_CREDIT     /* known credit below what the message needs */
} router_skip;

typedef struct router_candidate {
  instance *inst;
  int eligible;  /* 1: may be tried */
  router_skip skip; /* why not, when not eligible */
  char *reason;  /* why chosen / why not */
  double cost;   /* segments x recipients x price */
  double need;   /* provider credit units the message uses */
  int has_credit;/* 1: `credit` is known */
  double credit;
  /* the breaker state read when the plan was built (breaker_known 1), so
     that router_record need not read it again after a success */
  int breaker_known;
  long breaker_failures;
  int64_t breaker_open_until;
} router_candidate;

typedef struct router_plan {
  char *route;   /* route name, or "(default)" */
  char *policy;
  int failover_on_unknown;
  router_candidate *cand; /* in the order they will be tried */
  size_t n;
} router_plan;

/** Build the plan.  force_route / force_provider may be NULL.  `sending`
    is 1 for a real send (a round-robin position is consumed), 0 for
    `smsmux route`.  Eligible candidates come first, in the order they will
    be tried, then the others with the reason.  Returns 0, or -1 with err
    (unknown route or provider). */
int router_plan_build(struct smsmux *sm, const router_msg *m,
                      const char *force_route, const char *force_provider,
                      int sending, router_plan *plan, smsmux_error *err);

/** After an attempt on `c`: breaker bookkeeping (success closes it; a
    provider failure counts) and, on success, the cached balance goes down
    by what the message used. */
void router_record(struct smsmux *sm, const router_candidate *c,
                   smsmux_error_class cls, double share);
void router_plan_free(router_plan *plan);

/** 1 when a failure of class `cls` moves on to the next provider. */
int router_moves_on(smsmux_error_class cls, int failover_on_unknown);

#endif
