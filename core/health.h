/* health: what the router must know of each provider beyond one run, kept
 * in the store: circuit breakers, round-robin positions, cached balances.
 * The router never reads these itself (it is a pure function of a
 * snapshot): the engine reads them into the snapshot before planning and
 * records outcomes here after each attempt.
 *
 * Store layout (namespaces of the store's kv table):
 *   breaker/NAME     "FAILURES OPEN_UNTIL"  consecutive provider failures
 *                    and the Unix time the breaker stays open until
 *   balance/NAME     "CREDIT"               last known balance (kv time =
 *                    when it was read); trusted for [smsmux] balance_ttl
 *   roundrobin/ROUTE counter                next position, shared by runs
 * Every function accepts a NULL store: nothing is known, nothing kept. */
#ifndef SMSMUX_HEALTH_H
#define SMSMUX_HEALTH_H

#include <stdint.h>

#include "store.h"

typedef struct health_breaker {
  long failures;      /* consecutive provider failures */
  int64_t open_until; /* Unix seconds; 0 when closed */
} health_breaker;

/** The breaker of provider `name` (zeroed when unknown). */
void health_breaker_read(store_db *db, const char *name, health_breaker *b);

/** After an attempt: a success closes the breaker, a provider failure
    counts, and opens it for `cooldown` s at `limit` failures in a row.
    `seen` is what the plan read (NULL: unknown); a success on a breaker
    seen closed touches nothing.  Returns the failure count when this call
    opened the breaker (for the caller to log), else 0. */
long health_breaker_record(store_db *db, const char *name, int success,
                           const health_breaker *seen, long limit,
                           long cooldown);

/** The round-robin position of `route`: with consume, the position taken
    (and the counter moved on, atomically across processes); else the
    current one. */
int64_t health_rr_position(store_db *db, const char *route, int consume);

/** The cached balance of `name`, when read less than `ttl` s ago: 0 with
    *credit, else -1. */
int health_balance_cached(store_db *db, const char *name, long ttl,
                          double *credit);

/** A balance just read from the provider. */
void health_balance_store(store_db *db, const char *name, double credit);

/** A send used `used` units: the cached balance goes down (when one is
    cached). */
void health_balance_spend(store_db *db, const char *name, double used);

#endif
