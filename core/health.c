/* health: breakers, round-robin positions and balances in the store (see
 * health.h). */
#include "health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void health_breaker_read(store_db *db, const char *name, health_breaker *b) {
  char *v = NULL;
  long long until = 0;
  memset(b, 0, sizeof *b);
  if (db && store_kv_get(db, "breaker", name, &v, NULL) == 0 && v &&
      sscanf(v, "%ld %lld", &b->failures, &until) == 2)
    b->open_until = until;
  free(v);
}

typedef struct breaker_change {
  int success;
  long limit, cooldown;
  long opened; /* out: failures, when this change opened it */
} breaker_change;

/* The new breaker value from the stored one, in the store's transaction
   (so concurrent workers and processes never lose a count). */
static char *breaker_next(const char *old, void *ud) {
  breaker_change *c = ud;
  long failures = 0;
  long long until = 0;
  char *v;
  if (old && sscanf(old, "%ld %lld", &failures, &until) != 2)
    failures = 0, until = 0;
  if (c->success) {
    if (!failures && !until)
      return NULL; /* closed already: nothing to write */
    failures = 0;
    until = 0;
  } else {
    failures++;
    if (failures >= c->limit) {
      until = (long long)time(NULL) + c->cooldown;
      c->opened = failures;
    }
  }
  v = malloc(64);
  if (v)
    snprintf(v, 64, "%ld %lld", failures, until);
  return v;
}

long health_breaker_record(store_db *db, const char *name, int success,
                           const health_breaker *seen, long limit,
                           long cooldown) {
  breaker_change c = {success, limit, cooldown, 0};
  if (!db || limit <= 0)
    return 0;
  if (success && seen && !seen->failures && !seen->open_until)
    return 0; /* closed when planned, still closed: no read, no write */
  if (store_kv_update(db, "breaker", name, breaker_next, &c))
    return 0;
  return c.opened;
}

int64_t health_rr_position(store_db *db, const char *route, int consume) {
  int64_t pos = 0;
  char *v = NULL;
  if (!db)
    return 0;
  if (consume)
    store_kv_add(db, "roundrobin", route, 1, &pos);
  else if (store_kv_get(db, "roundrobin", route, &v, NULL) == 0 && v)
    pos = strtoll(v, NULL, 10);
  free(v);
  return pos;
}

int health_balance_cached(store_db *db, const char *name, long ttl,
                          double *credit) {
  char *v = NULL;
  int64_t at = 0;
  int rc = -1;
  if (db && store_kv_get(db, "balance", name, &v, &at) == 0 && v &&
      (int64_t)time(NULL) - at < ttl) {
    *credit = strtod(v, NULL);
    rc = 0;
  }
  free(v);
  return rc;
}

void health_balance_store(store_db *db, const char *name, double credit) {
  char buf[64];
  if (!db)
    return;
  snprintf(buf, sizeof buf, "%.6f", credit);
  store_kv_set(db, "balance", name, buf);
}

/* The value goes down, its time stays that of the last real reading: the
   cache expires balance_ttl after the provider was last asked, however
   many sends happened since. */
void health_balance_spend(store_db *db, const char *name, double used) {
  if (db)
    store_kv_add_real(db, "balance", name, -used);
}
