/* store_dispatch: store.h's functions over the handle's backend (see
 * store_backend.h), and what the backends share. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "store_backend.h"

#include <stdarg.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void store_close(store_db *db) {
  if (db)
    db->be->close(db);
}

int store_flush(store_db *db, char *err, size_t errlen) {
  return db ? db->be->flush(db, err, errlen) : -1;
}

int store_reserve(store_db *db, store_msg *m, store_rcpt *rows, size_t n,
                  const char *provider, char *err, size_t errlen) {
  return db ? db->be->reserve(db, m, rows, n, provider, err, errlen) : -1;
}

int store_queue_put(store_db *db, store_msg *m, store_rcpt *rows, size_t n,
                    const store_queue_info *q, char *err, size_t errlen) {
  return db ? db->be->queue_put(db, m, rows, n, q, err, errlen) : -1;
}

int store_queue_claim(store_db *db, const char *token, int64_t now,
                      store_claimed *c, int64_t *next_due, char *err,
                      size_t errlen) {
  return db ? db->be->queue_claim(db, token, now, c, next_due, err, errlen)
            : -1;
}

int store_queue_unclaim(store_db *db, const char *token, char *err,
                        size_t errlen) {
  return db ? db->be->queue_unclaim(db, token, err, errlen) : -1;
}

int store_queue_heartbeat(store_db *db, const char *token, char *err,
                          size_t errlen) {
  return db ? db->be->queue_heartbeat(db, token, err, errlen) : -1;
}

int store_queue_recover(store_db *db, long *unknown, char *err, size_t errlen) {
  return db ? db->be->queue_recover(db, unknown, err, errlen) : -1;
}

int store_message_read(store_db *db, const char *tenant, const char *id,
                       store_message *m) {
  return db ? db->be->message_read(db, tenant, id, m) : -1;
}

int store_message_ids(store_db *db, const char *tenant, const char *state,
                      int64_t since, const char *cursor, unsigned limit,
                      char ***ids, size_t *n) {
  return db ? db->be->message_ids(db, tenant, state, since, cursor, limit, ids,
                                  n)
            : -1;
}

int store_message_cancel(store_db *db, const char *tenant, const char *id,
                         char *err, size_t errlen) {
  return db ? db->be->message_cancel(db, tenant, id, err, errlen) : -1;
}

int store_queue_counts(store_db *db, unsigned long *queued,
                       unsigned long *sending) {
  return db ? db->be->queue_counts(db, queued, sending) : -1;
}

int store_mark_sending(store_db *db, const char *id, const char *const *numbers,
                       size_t n, const char *provider, char *err,
                       size_t errlen) {
  return db ? db->be->mark_sending(db, id, numbers, n, provider, err, errlen)
            : -1;
}

int store_finish(store_db *db, const char *id, const store_outcome *o,
                 size_t n_o, const store_attempt *a, size_t n_a) {
  return db ? db->be->finish(db, id, o, n_o, a, n_a) : -1;
}

int store_provider_of(store_db *db, const char *id, char **provider) {
  return db ? db->be->provider_of(db, id, provider) : -1;
}

int store_prune(store_db *db, int64_t before, long *removed, char *err,
                size_t errlen) {
  return db ? db->be->prune(db, before, removed, err, errlen) : -1;
}

unsigned long store_commits(store_db *db) {
  return db ? db->be->commits(db) : 0;
}

int store_kv_get(store_db *db, const char *ns, const char *key, char **value,
                 int64_t *updated) {
  return db ? db->be->kv_get(db, ns, key, value, updated) : -1;
}

int store_kv_set(store_db *db, const char *ns, const char *key,
                 const char *value) {
  return db ? db->be->kv_set(db, ns, key, value) : -1;
}

int store_kv_add(store_db *db, const char *ns, const char *key, int64_t delta,
                 int64_t *before) {
  return db ? db->be->kv_add(db, ns, key, delta, before) : -1;
}

int store_kv_add_real(store_db *db, const char *ns, const char *key,
                      double delta) {
  return db ? db->be->kv_add_real(db, ns, key, delta) : -1;
}

int store_kv_update(store_db *db, const char *ns, const char *key,
                    char *(*fn)(const char *old, void *ud), void *ud) {
  return db ? db->be->kv_update(db, ns, key, fn, ud) : -1;
}

/* ------------------------------------------------------------- shared -- */

void store_make_id(char id[40]) {
  struct timespec ts;
  uint64_t r = 0;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
    r = (uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)getpid();
  /* milliseconds first: ids sort by creation time */
  snprintf(id, 40, "m%011" PRIx64 "%016" PRIx64,
           (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, r);
}

void store_rcpt_clear(store_rcpt *r) {
  free(r->state);
  free(r->provider);
  free(r->provider_id);
  free(r->message_id);
  r->state = r->provider = r->provider_id = r->message_id = NULL;
}

void store_claimed_clear(store_claimed *c) {
  size_t i;
  free(c->tenant);
  free(c->ref);
  free(c->request_json);
  free(c->callback_url);
  for (i = 0; i < c->n; i++)
    free(c->numbers[i]);
  free(c->numbers);
  memset(c, 0, sizeof *c);
}

void store_message_clear(store_message *m) {
  size_t i;
  free(m->id);
  free(m->tenant);
  free(m->ref);
  free(m->encoding);
  free(m->callback_url);
  free(m->request_json);
  for (i = 0; i < m->n_rcpts; i++) {
    store_rcpt_row *r = &m->rcpts[i];
    free(r->number);
    free(r->state);
    free(r->provider);
    free(r->provider_id);
    free(r->code);
    free(r->text);
  }
  free(m->rcpts);
  for (i = 0; i < m->n_attempts; i++) {
    store_attempt_row *a = &m->attempts[i];
    free(a->provider);
    free(a->outcome);
    free(a->cls);
    free(a->code);
    free(a->message);
  }
  free(m->attempts);
  memset(m, 0, sizeof *m);
}

/* What an existing row of the same (tenant, ref, number) means.  A row
   waiting in the service's queue is that message (a duplicate, or a
   conflict with another content).  A row nothing was accepted for
   (queued by a stopped run, failed) is sent again, with the new
   content if it changed (the user fixed the text after a refusal: nothing
   can go out twice); one that may have gone out is never sent again, and
   another content for it is a conflict. */
store_claim store_claim_of(const char *state, int same_content, int in_queue) {
  if (in_queue && strcmp(state, "queued") == 0) /* the service's: waiting */
    return same_content ? STORE_CLAIM_SENT : STORE_CLAIM_CONFLICT;
  if (strcmp(state, "queued") == 0 || strcmp(state, "failed") == 0)
    return STORE_CLAIM_RETRY;
  if (!same_content)
    return STORE_CLAIM_CONFLICT;
  if (strcmp(state, "sending") == 0 || strcmp(state, "unknown") == 0)
    return STORE_CLAIM_POSSIBLY;
  return STORE_CLAIM_SENT;
}

void store_set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

char *store_dupstr(const char *s) {
  size_t n;
  char *p;
  if (!s)
    return NULL;
  n = strlen(s) + 1;
  p = malloc(n);
  if (p)
    memcpy(p, s, n);
  return p;
}
