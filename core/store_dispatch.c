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

int store_mark_sending(store_db *db, const char *id, const char *claim,
                       const char *const *numbers, size_t n,
                       const char *provider, char *err, size_t errlen) {
  return db ? db->be->mark_sending(db, id, claim, numbers, n, provider, err,
                                   errlen)
            : -1;
}

int store_finish(store_db *db, const char *id, const char *claim,
                 const store_outcome *o, size_t n_o, const store_attempt *a,
                 size_t n_a) {
  return db ? db->be->finish(db, id, claim, o, n_o, a, n_a) : -1;
}

int store_provider_of(store_db *db, const char *id, char **provider) {
  return db ? db->be->provider_of(db, id, provider) : -1;
}

int store_message_of(store_db *db, const char *id, char **message_id,
                     char **tenant) {
  *message_id = *tenant = NULL;
  return db ? db->be->message_of(db, id, message_id, tenant) : -1;
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

int store_bucket_take(store_db *db, const char *key, double rate, double size,
                      unsigned *wait, char *err, size_t errlen) {
  if (!db)
    return -1;
  return db->be->bucket_take
             ? db->be->bucket_take(db, key, rate, size, wait, err, errlen)
             : 2;
}

int store_report_apply(store_db *db, const store_report *r, char *err,
                       size_t errlen) {
  if (!db || !r || !r->provider || !r->provider_id || !r->status) {
    store_set_err(err, errlen, "a report needs a provider, an id and a status");
    return -1;
  }
  if (store_status_rank(r->status) < 2) {
    store_set_err(err, errlen, "%s is not a status a report can set",
                  r->status);
    return -1;
  }
  return db->be->report_apply(db, r, err, errlen);
}

int store_reply_add(store_db *db, const store_reply *r, char **tenant,
                    char **message_id, char *err, size_t errlen) {
  if (tenant)
    *tenant = NULL;
  if (message_id)
    *message_id = NULL;
  if (!db || !r || !r->provider || !r->from || !r->text) {
    store_set_err(err, errlen, "a reply needs a provider, a number and a text");
    return -1;
  }
  return db->be->reply_add(db, r, tenant, message_id, err, errlen);
}

int store_replies_list(store_db *db, const char *tenant, int64_t since,
                       const char *cursor, unsigned limit,
                       store_reply_row **rows, size_t *n) {
  *rows = NULL;
  *n = 0;
  return db ? db->be->replies_list(db, tenant ? tenant : "", since, cursor,
                                   limit, rows, n)
            : -1;
}

int store_optout_set(store_db *db, const char *tenant, const char *number,
                     const char *source, char *err, size_t errlen) {
  if (!db || !number || !source) {
    store_set_err(err, errlen, "an opt-out needs a number and a source");
    return -1;
  }
  return db->be->optout_set(db, tenant ? tenant : "", number, source, err,
                            errlen);
}

int store_optout_clear(store_db *db, const char *tenant, const char *number,
                       char *err, size_t errlen) {
  if (!db || !number) {
    store_set_err(err, errlen, "an opt-out needs a number");
    return -1;
  }
  return db->be->optout_clear(db, tenant ? tenant : "", number, err, errlen);
}

int store_optout_has(store_db *db, const char *tenant, const char *number) {
  return db && number ? db->be->optout_has(db, tenant ? tenant : "", number)
                      : -1;
}

int store_optouts_list(store_db *db, const char *tenant, const char *cursor,
                       unsigned limit, store_optout_row **rows, size_t *n) {
  *rows = NULL;
  *n = 0;
  return db ? db->be->optouts_list(db, tenant ? tenant : "", cursor, limit,
                                   rows, n)
            : -1;
}

int store_webhook_claim(store_db *db, const char *token, int64_t now,
                        store_webhook *w, int64_t *next_due, char *err,
                        size_t errlen) {
  memset(w, 0, sizeof *w);
  if (next_due)
    *next_due = 0;
  if (!db || !token) {
    store_set_err(err, errlen, "a webhook claim needs a token");
    return -1;
  }
  return db->be->webhook_claim(db, token, now, w, next_due, err, errlen);
}

int store_webhook_done(store_db *db, int64_t seq, char *err, size_t errlen) {
  return db ? db->be->webhook_done(db, seq, err, errlen) : -1;
}

int store_webhook_retry(store_db *db, int64_t seq, int64_t next_at,
                        int give_up, char *err, size_t errlen) {
  return db ? db->be->webhook_retry(db, seq, next_at, give_up, err, errlen)
            : -1;
}

int store_webhook_backlog(store_db *db, unsigned long *pending) {
  *pending = 0;
  return db ? db->be->webhook_backlog(db, pending) : -1;
}

int store_poll_due(store_db *db, const char *provider, int64_t now,
                   int64_t oldest, unsigned limit, store_poll_row **rows,
                   size_t *n) {
  *rows = NULL;
  *n = 0;
  return db && provider
             ? db->be->poll_due(db, provider, now, oldest, limit, rows, n)
             : -1;
}

int store_poll_mark(store_db *db, const char *message_id, const char *number,
                    int64_t next_at) {
  return db && message_id && number
             ? db->be->poll_mark(db, message_id, number, next_at)
             : -1;
}

/* ------------------------------------------------------------ tenants -- */

/* A backend without an entry answers -1 with a message. */
#define NOT_THERE(db, err, errlen)                                            \
  (store_set_err(err, errlen, "the %s store has no tenants yet",             \
                 (db) ? (db)->be->name : "(no)"),                              \
   -1)

int store_tenant_add(store_db *db, const store_tenant *t, char *err,
                     size_t errlen) {
  if (!db || !db->be->tenant_add)
    return NOT_THERE(db, err, errlen);
  if (!t || !t->name || !*t->name) {
    store_set_err(err, errlen, "a tenant needs a name");
    return -1;
  }
  return db->be->tenant_add(db, t, err, errlen);
}

int store_tenant_get(store_db *db, const char *name, store_tenant *t) {
  memset(t, 0, sizeof *t);
  return db && db->be->tenant_get ? db->be->tenant_get(db, name, t) : -1;
}

int store_tenant_list(store_db *db, const char *parent, store_tenant **rows,
                      size_t *n) {
  *rows = NULL;
  *n = 0;
  return db && db->be->tenant_list ? db->be->tenant_list(db, parent, rows, n)
                                   : -1;
}

int store_tenant_update(store_db *db, const store_tenant *t, char *err,
                        size_t errlen) {
  if (!db || !db->be->tenant_update)
    return NOT_THERE(db, err, errlen);
  if (!t || !t->name) {
    store_set_err(err, errlen, "which tenant?");
    return -1;
  }
  return db->be->tenant_update(db, t, err, errlen);
}

int store_key_add(store_db *db, const char *tenant, const char *sha256_hex,
                  const char *label, char *err, size_t errlen) {
  char hash[65];
  if (!db || !db->be->key_add)
    return NOT_THERE(db, err, errlen);
  if (store_hash_norm(sha256_hex, hash)) {
    store_set_err(err, errlen,
                  "a key is stored as its SHA-256: 64 hex digits expected");
    return -1;
  }
  return db->be->key_add(db, tenant, hash, label, err, errlen);
}

int store_key_revoke(store_db *db, const char *tenant, const char *which,
                     char *err, size_t errlen) {
  if (!db || !db->be->key_revoke)
    return NOT_THERE(db, err, errlen);
  if (!tenant || !which || !*which) {
    store_set_err(err, errlen, "which key?");
    return -1;
  }
  return db->be->key_revoke(db, tenant, which, err, errlen);
}

int store_key_lookup(store_db *db, const char *sha256_hex, char **tenant) {
  char hash[65];
  *tenant = NULL;
  if (!db || !db->be->key_lookup)
    return -1;
  if (store_hash_norm(sha256_hex, hash))
    return 1;
  return db->be->key_lookup(db, hash, tenant);
}

int store_key_list(store_db *db, const char *tenant, store_key_row **rows,
                   size_t *n) {
  *rows = NULL;
  *n = 0;
  return db && db->be->key_list ? db->be->key_list(db, tenant, rows, n) : -1;
}

int store_ledger_add(store_db *db, const char *tenant, const char *message_id,
                     int64_t delta, const char *reason, const char *actor,
                     int64_t *balance, char *err, size_t errlen) {
  if (!db || !db->be->ledger_add)
    return NOT_THERE(db, err, errlen);
  if (store_ledger_args(tenant, delta, reason, err, errlen))
    return -1;
  return db->be->ledger_add(db, tenant, message_id, delta, reason, actor,
                            balance, err, errlen);
}

int store_ledger_transfer(store_db *db, const char *from, const char *to,
                          int64_t units, const char *actor, char *err,
                          size_t errlen) {
  if (!db || !db->be->ledger_transfer)
    return NOT_THERE(db, err, errlen);
  if (store_transfer_args(from, to, units, err, errlen))
    return -1;
  return db->be->ledger_transfer(db, from, to, units, actor, err, errlen);
}

int store_ledger_list(store_db *db, const char *tenant, int64_t since,
                      unsigned limit, store_ledger_row **rows, size_t *n) {
  *rows = NULL;
  *n = 0;
  return db && db->be->ledger_list
             ? db->be->ledger_list(db, tenant, since, limit, rows, n)
             : -1;
}

int store_ledger_check(store_db *db, char ***bad, size_t *n_bad) {
  *bad = NULL;
  *n_bad = 0;
  return db && db->be->ledger_check ? db->be->ledger_check(db, bad, n_bad)
                                    : -1;
}

int store_refund_failed(store_db *db, const char *id,
                        const char *const *numbers, size_t n,
                        int64_t *refunded, char *err, size_t errlen) {
  if (refunded)
    *refunded = 0;
  if (!db || !db->be->refund_failed)
    return NOT_THERE(db, err, errlen);
  return db->be->refund_failed(db, id, numbers, n, refunded, err, errlen);
}

int store_usage(store_db *db, const char *tenant, int tree, int64_t since,
                int64_t until, store_usage_row **rows, size_t *n) {
  *rows = NULL;
  *n = 0;
  return db && db->be->usage
             ? db->be->usage(db, tenant, tree, since, until, rows, n)
             : -1;
}

void store_tenant_clear(store_tenant *t) {
  if (!t)
    return;
  free(t->name);
  free(t->parent);
  free(t->plan);
  free(t->senders);
  free(t->routes);
  free(t->callback_url);
  free(t->webhook_secret);
  memset(t, 0, sizeof *t);
}

void store_tenant_rows_free(store_tenant *rows, size_t n) {
  size_t i;
  for (i = 0; rows && i < n; i++)
    store_tenant_clear(&rows[i]);
  free(rows);
}

void store_key_rows_free(store_key_row *rows, size_t n) {
  size_t i;
  for (i = 0; rows && i < n; i++) {
    free(rows[i].id);
    free(rows[i].label);
  }
  free(rows);
}

void store_ledger_rows_free(store_ledger_row *rows, size_t n) {
  size_t i;
  for (i = 0; rows && i < n; i++) {
    free(rows[i].tenant);
    free(rows[i].message_id);
    free(rows[i].reason);
    free(rows[i].actor);
  }
  free(rows);
}

void store_usage_rows_free(store_usage_row *rows, size_t n) {
  size_t i;
  for (i = 0; rows && i < n; i++) {
    free(rows[i].tenant);
    free(rows[i].provider);
    free(rows[i].status);
  }
  free(rows);
}

/* ----------------------------------------------- shared, for tenants -- */

int store_list_has(const char *list, const char *item) {
  size_t n = item ? strlen(item) : 0;
  const char *p = list;
  if (!p || !n)
    return 0;
  while (*p) {
    const char *end;
    size_t len;
    while (*p == ' ' || *p == ',' || *p == '\t')
      p++;
    end = p + strcspn(p, ",");
    len = (size_t)(end - p);
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
      len--;
    if (len == n && strncmp(p, item, n) == 0)
      return 1;
    p = end;
  }
  return 0;
}

int store_refund_candidate(const char *state) {
  static const char *const under_way[] = {"queued",    "sending", "accepted",
                                          "scheduled", "failed",  "unknown",
                                          "cancelled"};
  size_t i;
  if (!state)
    return 0;
  for (i = 0; i < sizeof under_way / sizeof *under_way; i++)
    if (strcmp(state, under_way[i]) == 0)
      return 0;
  return 1;
}

static int hexdigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

int store_hash_norm(const char *in, char out[65]) {
  size_t i;
  if (!in)
    return -1;
  for (i = 0; i < 64; i++) {
    if (!hexdigit(in[i]))
      return -1;
    out[i] = (char)(in[i] >= 'A' && in[i] <= 'F' ? in[i] - 'A' + 'a' : in[i]);
  }
  out[64] = '\0';
  return in[64] == '\0' ? 0 : -1;
}

int store_key_prefix_ok(const char *which) {
  size_t i;
  for (i = 0; which && which[i]; i++)
    if (!hexdigit(which[i]))
      return 0;
  return i >= 8 && i <= 64;
}

int store_ledger_args(const char *tenant, int64_t delta, const char *reason,
                      char *err, size_t errlen) {
  static const char *const reasons[] = {"credit",       "debit",
                                        "transfer-in",  "transfer-out",
                                        "reserve",      "refund"};
  size_t i;
  if (!tenant || !*tenant) {
    store_set_err(err, errlen, "which tenant?");
    return -1;
  }
  if (delta == 0 || delta > STORE_DELTA_MAX || delta < -STORE_DELTA_MAX) {
    store_set_err(err, errlen,
                  "a ledger row moves 1 to %lld units (got %lld)",
                  (long long)STORE_DELTA_MAX, (long long)delta);
    return -1;
  }
  for (i = 0; reason && i < sizeof reasons / sizeof *reasons; i++)
    if (strcmp(reason, reasons[i]) == 0)
      return 0;
  store_set_err(err, errlen,
                "ledger reason %s: credit, debit, transfer-in, transfer-out, "
                "reserve or refund expected",
                reason ? reason : "(none)");
  return -1;
}

int store_transfer_args(const char *from, const char *to, int64_t units,
                        char *err, size_t errlen) {
  if (!from || !*from || !to || !*to) {
    store_set_err(err, errlen, "a transfer needs two tenants");
    return -1;
  }
  if (strcmp(from, to) == 0) {
    store_set_err(err, errlen, "a transfer from %s to itself", from);
    return -1;
  }
  if (units <= 0 || units > STORE_DELTA_MAX) {
    store_set_err(err, errlen, "a transfer moves 1 to %lld units (got %lld)",
                  (long long)STORE_DELTA_MAX, (long long)units);
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------- shared -- */

int store_status_rank(const char *s) {
  static const struct {
    const char *name;
    int rank;
  } ranks[] = {{"queued", 0},    {"sending", 1},     {"accepted", 2},
               {"scheduled", 2}, {"unknown", 2},     {"sent", 3},
               {"delivered", 4}, {"undelivered", 4}, {"expired", 4},
               {"rejected", 4},  {"cancelled", 4},   {"failed", -1}};
  size_t i;
  if (!s)
    return -2;
  for (i = 0; i < sizeof ranks / sizeof ranks[0]; i++)
    if (strcmp(ranks[i].name, s) == 0)
      return ranks[i].rank;
  return -2;
}

int store_report_moves(const char *cur, const char *status) {
  int c = store_status_rank(cur);
  return (c == 2 || c == 3) && store_status_rank(status) > c;
}

static void event_row_free(store_event_row *e) {
  free(e->kind);
  free(e->number);
  free(e->status);
  free(e->provider);
  free(e->provider_id);
  free(e->code);
  free(e->text);
  memset(e, 0, sizeof *e);
}

void store_webhook_clear(store_webhook *w) {
  if (!w)
    return;
  free(w->event_id);
  free(w->message_id);
  free(w->tenant);
  free(w->url);
  event_row_free(&w->ev);
  memset(w, 0, sizeof *w);
}

void store_reply_row_clear(void *row) {
  store_reply_row *r = row;
  free(r->id);
  free(r->provider);
  free(r->reply_id);
  free(r->from);
  free(r->to);
  free(r->text);
  free(r->message_id);
}

void store_reply_rows_free(store_reply_row *rows, size_t n) {
  size_t i;
  for (i = 0; rows && i < n; i++)
    store_reply_row_clear(&rows[i]);
  free(rows);
}

void store_optout_row_clear(void *row) {
  store_optout_row *r = row;
  free(r->number);
  free(r->source);
}

void store_optout_rows_free(store_optout_row *rows, size_t n) {
  size_t i;
  for (i = 0; rows && i < n; i++)
    store_optout_row_clear(&rows[i]);
  free(rows);
}

void store_poll_row_clear(void *row) {
  store_poll_row *r = row;
  free(r->message_id);
  free(r->number);
  free(r->provider);
  free(r->provider_id);
}

void store_poll_rows_free(store_poll_row *rows, size_t n) {
  size_t i;
  for (i = 0; rows && i < n; i++)
    store_poll_row_clear(&rows[i]);
  free(rows);
}

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

void store_make_reply_id(char id[40]) {
  store_make_id(id);
  id[0] = 'r';
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

static void event_row_free(store_event_row *e);

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
  for (i = 0; i < m->n_events; i++)
    event_row_free(&m->events[i]);
  free(m->events);
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
