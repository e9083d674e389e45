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

static void breaker_write(store_db *db, const char *name,
                          const health_breaker *b) {
  char v[64];
  snprintf(v, sizeof v, "%ld %lld", b->failures, (long long)b->open_until);
  store_kv_set(db, "breaker", name, v);
}

long health_breaker_record(store_db *db, const char *name, int success,
                           const health_breaker *seen, long limit,
                           long cooldown) {
  health_breaker b;
  if (!db || limit <= 0)
    return 0;
  if (success && seen && !seen->failures && !seen->open_until)
    return 0; /* closed when planned, still closed: no read, no write */
  /* read afresh: other threads or processes may have counted since */
  health_breaker_read(db, name, &b);
  if (success) {
    if (b.failures || b.open_until) {
      memset(&b, 0, sizeof b);
      breaker_write(db, name, &b);
    }
    return 0;
  }
  b.failures++;
  if (b.failures >= limit)
    b.open_until = (int64_t)time(NULL) + cooldown;
  breaker_write(db, name, &b);
  return b.failures >= limit ? b.failures : 0;
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

void health_balance_spend(store_db *db, const char *name, double used) {
  char *v = NULL;
  int64_t at;
  if (db && store_kv_get(db, "balance", name, &v, &at) == 0 && v)
    health_balance_store(db, name, strtod(v, NULL) - used);
  free(v);
}
