/* router: which providers may take a message, and in which order.  A pure
 * function: from the configuration, the message's facts and a snapshot of
 * each candidate (capabilities, usability, breaker, known credit) to an
 * ordered plan.  It does no I/O: the engine reads the snapshot (health.h)
 * before and records outcomes after.  A candidate that cannot take the
 * message stays in the plan with its reason, so `smsmux route` can say why.
 *
 * Policies are a table (router.c: policies[]): a new policy is one entry,
 * a name and an ordering function, plus what it needs in the snapshot. */
#ifndef SMSMUX_ROUTER_H
#define SMSMUX_ROUTER_H

#include <smsmux/smsmux.h>
#include <stdint.h>

#include "cfg.h"
#include "util.h"

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
  int64_t at;            /* send time, Unix seconds, when scheduled */
} router_msg;

/** What a policy needs in the snapshot besides capabilities. */
enum {
  ROUTER_NEEDS_CREDIT = 1u << 0,  /* known balances (cheapest) */
  ROUTER_NEEDS_POSITION = 1u << 1 /* a round-robin position */
};

typedef struct router_plan router_plan;
typedef struct router_env router_env;

typedef struct router_policy {
  const char *name;
  unsigned needs; /* ROUTER_NEEDS_* */
  /* order the eligible candidates (and word their reasons) */
  void (*order)(router_plan *plan, const router_env *env);
} router_policy;

/** The policy named `name` (case-sensitive, as configured), or NULL. */
const router_policy *router_policy_find(const char *name);
/** "failover, cheapest or roundrobin": for error messages. */
const char *router_policy_names(void);

/** Each route's policy is a known one; CONFIG error naming file, section
    and key otherwise. */
int router_check_config(const cfg *c, smsmux_error *err);

/** Step 1: the route (first match, or forced) and its candidate names. */
typedef struct router_selection {
  const char *route;             /* route name, "(default)", "(--provider)" */
  const router_policy *policy;
  int failover_on_unknown;
  int forced_provider;           /* --provider: breakers are not consulted */
  const char **names;            /* instance names, in route order (malloc'd
                                    array of borrowed strings) */
  size_t n;
} router_selection;

/** Pick the route for `m`.  force_route / force_provider may be NULL; an
    unknown one is an INPUT error.  0 or -1 (err). */
int router_select(const cfg *c, const router_msg *m, const char *force_route,
                  const char *force_provider, router_selection *sel,
                  smsmux_error *err);
void router_selection_free(router_selection *sel);

/** One candidate as the engine saw it just before planning. */
typedef struct router_snapshot {
  const char *name;
  const cfg_provider *cfg; /* prices, credit_per_segment, enabled */
  void *handle;            /* the caller's (an instance): carried along */
  int usable;              /* loaded and opened */
  const char *unusable_why;
  uint32_t caps;           /* SMSMUX_CAP_* (the instance's, ABI 1.2) */
  unsigned max_segments, max_text_length, max_sender_length;
  int64_t schedule_min_delay; /* seconds ahead a scheduled send must be */
  unsigned sender_rules;      /* SMSMUX_SENDER_* */
  /* breaker, when breaker_known */
  int breaker_known;
  long breaker_failures;
  int64_t breaker_open_until;
  /* credit, for policies that need it: known, or why not */
  int has_credit;
  double credit;
  const char *credit_why;
} router_snapshot;

struct router_env {
  int64_t now;          /* Unix seconds */
  long breaker_limit;   /* failures that open a breaker; <= 0: no breaker */
  int64_t position;     /* round-robin position (ROUTER_NEEDS_POSITION) */
};

/** Why a candidate is left out. */
typedef enum router_skip {
  SKIP_NONE = 0,  /* eligible */
  SKIP_UNUSABLE,  /* disabled, plugin not loaded or not opened */
  SKIP_MESSAGE,   /* lacks a capability or a limit the message needs */
  SKIP_BREAKER,   /* circuit breaker open */
  SKIP_CREDIT     /* known credit below what the message needs */
} router_skip;

typedef struct router_candidate {
  const router_snapshot *snap; /* borrowed from the caller's array */
  int eligible;   /* 1: may be tried */
  router_skip skip; /* why not, when not eligible */
  char *reason;   /* why chosen / why not */
  double cost;    /* segments x recipients x price */
  double need;    /* provider credit units the message uses */
} router_candidate;

struct router_plan {
  char *route;    /* route name, or "(default)" */
  const char *policy;
  int failover_on_unknown;
  router_candidate *cand; /* in the order they will be tried */
  size_t n;
  int oom;        /* a reason could not be allocated (while building) */
};

/** Step 2: the plan, one candidate per snapshot (parallel to sel->names).
    Eligible candidates come first, in the order they will be tried, then
    the others with the reason.  0, or -1 on out of memory (err). */
int router_plan_build(const router_selection *sel, const router_msg *m,
                      const router_snapshot *snaps, const router_env *env,
                      router_plan *plan, smsmux_error *err);
void router_plan_free(router_plan *plan);

/** 0 when `s` can take `m` at time `now` (Unix seconds) whatever the
    policy; else 1, with why not in *why when `why` is not NULL (malloc'd;
    NULL when out of memory).  Nothing is allocated when `why` is NULL. */
int router_ineligible(const router_snapshot *s, const router_msg *m,
                      int64_t now, char **why);

/** 1 when a failure of class `cls` moves on to the next provider. */
int router_moves_on(smsmux_error_class cls, int failover_on_unknown);

/** 1 when a failure of class `cls` says something about the provider (it
    counts towards its circuit breaker). */
int router_counts_against_provider(smsmux_error_class cls);

#endif
