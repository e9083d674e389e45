/* store_backend: the seam between store.h's functions and a backend
 * (internal to the store module).
 *
 * Every handle starts with `struct store_db` (its backend's table): the
 * public store_* functions (store_dispatch.c) call through it.  A backend
 * is one file (store.c: SQLite under state_dir; store_pg.c: PostgreSQL)
 * with its own handle struct whose first member is a `store_db`, an open
 * function, and a `store_backend` table filling every entry. */
#ifndef SMSMUX_STORE_BACKEND_H
#define SMSMUX_STORE_BACKEND_H

#include "store.h"

typedef struct store_backend {
  const char *name; /* "sqlite", "postgresql" */
  void (*close)(store_db *db);
  int (*flush)(store_db *db, char *err, size_t errlen);
  int (*reserve)(store_db *db, store_msg *m, store_rcpt *rows, size_t n,
                 const char *provider, char *err, size_t errlen);
  int (*queue_put)(store_db *db, store_msg *m, store_rcpt *rows, size_t n,
                   const store_queue_info *q, char *err, size_t errlen);
  int (*queue_claim)(store_db *db, const char *token, int64_t now,
                     store_claimed *c, int64_t *next_due, char *err,
                     size_t errlen);
  int (*queue_unclaim)(store_db *db, const char *token, char *err,
                       size_t errlen);
  int (*queue_heartbeat)(store_db *db, const char *token, char *err,
                         size_t errlen);
  int (*queue_recover)(store_db *db, long *unknown, char *err, size_t errlen);
  int (*message_read)(store_db *db, const char *tenant, const char *id,
                      store_message *m);
  int (*message_ids)(store_db *db, const char *tenant, const char *state,
                     int64_t since, const char *cursor, unsigned limit,
                     char ***ids, size_t *n);
  int (*message_cancel)(store_db *db, const char *tenant, const char *id,
                        char *err, size_t errlen);
  int (*queue_counts)(store_db *db, unsigned long *queued,
                      unsigned long *sending);
  int (*mark_sending)(store_db *db, const char *id, const char *claim,
                      const char *const *numbers, size_t n,
                      const char *provider, char *err, size_t errlen);
  int (*finish)(store_db *db, const char *id, const char *claim,
                const store_outcome *o, size_t n_o, const store_attempt *a,
                size_t n_a);
  int (*provider_of)(store_db *db, const char *id, char **provider);
  int (*message_of)(store_db *db, const char *id, char **message_id,
                    char **tenant);
  int (*prune)(store_db *db, int64_t before, long *removed, char *err,
               size_t errlen);
  unsigned long (*commits)(store_db *db);
  int (*kv_get)(store_db *db, const char *ns, const char *key, char **value,
                int64_t *updated);
  int (*kv_set)(store_db *db, const char *ns, const char *key,
                const char *value);
  int (*kv_add)(store_db *db, const char *ns, const char *key, int64_t delta,
                int64_t *before);
  int (*kv_add_real)(store_db *db, const char *ns, const char *key,
                     double delta);
  int (*kv_update)(store_db *db, const char *ns, const char *key,
                   char *(*fn)(const char *old, void *ud), void *ud);
  /* NULL: buckets are not shared (store_bucket_take answers 2) */
  int (*bucket_take)(store_db *db, const char *key, double rate, double size,
                     unsigned *wait, char *err, size_t errlen);
  int (*report_apply)(store_db *db, const store_report *r, char *err,
                      size_t errlen);
  int (*reply_add)(store_db *db, const store_reply *r, char **tenant,
                   char **message_id, char *err, size_t errlen);
  int (*replies_list)(store_db *db, const char *tenant, int64_t since,
                      const char *cursor, unsigned limit,
                      store_reply_row **rows, size_t *n);
  int (*optout_set)(store_db *db, const char *tenant, const char *number,
                    const char *source, char *err, size_t errlen);
  int (*optout_clear)(store_db *db, const char *tenant, const char *number,
                      char *err, size_t errlen);
  int (*optout_has)(store_db *db, const char *tenant, const char *number);
  int (*optouts_list)(store_db *db, const char *tenant, const char *cursor,
                      unsigned limit, store_optout_row **rows, size_t *n);
  int (*webhook_claim)(store_db *db, const char *token, int64_t now,
                       store_webhook *w, int64_t *next_due, char *err,
                       size_t errlen);
  int (*webhook_done)(store_db *db, int64_t seq, char *err, size_t errlen);
  int (*webhook_retry)(store_db *db, int64_t seq, int64_t next_at,
                       int give_up, char *err, size_t errlen);
  int (*webhook_backlog)(store_db *db, unsigned long *pending);
  int (*poll_due)(store_db *db, const char *provider, int64_t now,
                  int64_t oldest, unsigned limit, store_poll_row **rows,
                  size_t *n);
  int (*poll_mark)(store_db *db, const char *message_id, const char *number,
                   int64_t next_at);
  /* tenants, keys, ledger, usage (issue 14): an entry left NULL answers
     -1 (store_dispatch.c), which also checks the arguments of tenant_add,
     tenant_update and key_revoke and hands key_add and key_lookup the hash
     already checked and lower-cased (store_hash_norm) */
  int (*tenant_add)(store_db *db, const store_tenant *t, char *err,
                    size_t errlen);
  int (*tenant_get)(store_db *db, const char *name, store_tenant *t);
  int (*tenant_list)(store_db *db, const char *parent, store_tenant **rows,
                     size_t *n);
  int (*tenant_update)(store_db *db, const store_tenant *t, char *err,
                       size_t errlen);
  int (*key_add)(store_db *db, const char *tenant, const char *sha256_hex,
                 const char *label, char *err, size_t errlen);
  int (*key_revoke)(store_db *db, const char *tenant, const char *which,
                    char *err, size_t errlen);
  int (*key_lookup)(store_db *db, const char *sha256_hex, char **tenant);
  int (*key_list)(store_db *db, const char *tenant, store_key_row **rows,
                  size_t *n);
  int (*ledger_add)(store_db *db, const char *tenant, const char *message_id,
                    int64_t delta, const char *reason, const char *actor,
                    int64_t *balance, char *err, size_t errlen);
  int (*ledger_transfer)(store_db *db, const char *from, const char *to,
                         int64_t units, const char *actor, char *err,
                         size_t errlen);
  int (*ledger_list)(store_db *db, const char *tenant, int64_t since,
                     unsigned limit, store_ledger_row **rows, size_t *n);
  int (*ledger_check)(store_db *db, char ***bad, size_t *n_bad);
  int (*refund_failed)(store_db *db, const char *id,
                       const char *const *numbers, size_t n,
                       int64_t *refunded, char *err, size_t errlen);
  int (*usage)(store_db *db, const char *tenant, int tree, int64_t since,
               int64_t until, store_usage_row **rows, size_t *n);
} store_backend;

struct store_db {
  const store_backend *be;
};

extern const store_backend store_sqlite_backend;
extern const store_backend store_pg_backend;

/* seconds a report waits for its send's answer (store_prune drops it) */
#define STORE_PENDING_KEEP (2 * 86400)
/* seconds a reply without the provider's message id looks back for the
   latest message sent to its number */
#define STORE_REPLY_WINDOW (30 * 86400)

/* Shared by the backends (store_dispatch.c). */

/** Format an error into err (errlen bytes); err may be NULL. */
void store_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** strdup that accepts NULL; NULL when out of memory. */
char *store_dupstr(const char *s);

/** A new message id: milliseconds first (ids sort by creation time), then
    64 random bits. */
void store_make_id(char id[40]);

/** A new id for a reply: like a message id, starting with 'r'. */
void store_make_reply_id(char id[40]);

/** What an existing row of the same (tenant, ref, number) means (its
    state, whether its fingerprint is the new one's, whether it waits in
    the service's queue). */
store_claim store_claim_of(const char *state, int same_content, int in_queue);

/** The rank of a recipient status (store.h): queued 0, sending 1,
    accepted/scheduled/unknown 2, sent 3, final 4; failed -1 (outside the
    order: nothing accepted); unknown names -2. */
int store_status_rank(const char *status);

/** 1 when a report of `status` may move a recipient now in `cur`: `cur`
    was sent (rank 2 or 3) and `status` ranks higher.  A recipient still
    queued, sending or failed is not (the report is kept pending). */
int store_report_moves(const char *cur, const char *status);

/* ------------------------------------------------- tenants (issue 14) -- */

/* A balance's ceiling and one ledger row's largest |delta|: sums stay far
   from int64_t's limits on both backends. */
#define STORE_BALANCE_MAX 1000000000000000000LL
#define STORE_DELTA_MAX 1000000000000000LL

/** 1 when the comma list `list` (spaces around items ignored; NULL: empty)
    holds `item`. */
int store_list_has(const char *list, const char *item);

/** 1 when a recipient reaching `state` through store_finish may be
    refunded there (a final delivery status, or rejected as opted out);
    0 for the states of a send under way (accepted, failed, ...). */
int store_refund_candidate(const char *state);

/** A SHA-256 in hex (either case) copied lower-case into out: 0, or -1
    when `in` is not 64 hex digits. */
int store_hash_norm(const char *in, char out[65]);

/** The strings of one row of a list (store_reply_rows_free and the others
    free a whole array): for a backend's clean-up of a list half read. */
void store_reply_row_clear(void *row);
void store_optout_row_clear(void *row);
void store_poll_row_clear(void *row);

/** 1 when `which` may be a key id: at least 8 hex digits and nothing
    else. */
int store_key_prefix_ok(const char *which);

/** The checks of store_ledger_add's arguments (store_dispatch.c makes
    them before the backend's ledger_add, as it does the transfer's): 0,
    or -1 with err. */
int store_ledger_args(const char *tenant, int64_t delta, const char *reason,
                      char *err, size_t errlen);
/** The checks of store_ledger_transfer's arguments: 0, or -1 with err. */
int store_transfer_args(const char *from, const char *to, int64_t units,
                        char *err, size_t errlen);

/* store_ledger_check's query (no parameter; the same on both backends): the
   tenants whose balance is not the sum of their rows or is negative, and
   the tenants of rows without a tenant. */
#define STORE_LEDGER_CHECK_SQL                                                 \
  "SELECT name FROM (SELECT t.name AS name FROM tenants t LEFT JOIN (SELECT " \
  "tenant, sum(delta) AS s FROM ledger GROUP BY tenant) l ON l.tenant = "     \
  "t.name WHERE t.balance <> coalesce(l.s, 0) OR t.balance < 0 UNION SELECT " \
  "tenant FROM ledger WHERE tenant NOT IN (SELECT name FROM tenants)) x "     \
  "ORDER BY name"

/* store_usage's query, given the backend's spelling of its parameters
   (TENANT text or NULL, TREE 0/1, SINCE, UNTIL).  The tenant of a message
   is the one it charged (else its own); units = charged - refunded. */
#define STORE_USAGE_SQL(TENANT, TREE, SINCE, UNTIL)                            \
  "WITH RECURSIVE scope(name) AS (SELECT " TENANT " UNION SELECT t.name "     \
  "FROM tenants t JOIN scope s ON t.parent = s.name WHERE " TREE " = 1) "     \
  "SELECT coalesce(m.charge, m.tenant), coalesce(r.provider, ''), r.state, "  \
  "count(DISTINCT r.message_id), count(*), coalesce(sum(r.units - "           \
  "r.refunded), 0) FROM messages m JOIN recipients r ON r.message_id = m.id " \
  "WHERE m.created >= " SINCE " AND m.created < " UNTIL " AND (" TENANT      \
  " IS NULL OR coalesce(m.charge, m.tenant) IN (SELECT name FROM scope)) "    \
  "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"

#endif
