/* engine: the handle (struct smsmux) and the send path: prepare (check and
 * normalise the message) -> plan (health snapshot, then the pure router)
 * -> send in chunks with failover -> record (journal, breakers, balances).
 * ops.c, batch.c and smsmux.c build on it. */
#ifndef SMSMUX_ENGINE_H
#define SMSMUX_ENGINE_H

#include <pthread.h>
#include <smsmux/smsmux.h>

#include "cfg.h"
#include "instance.h"
#include "loader.h"
#include "log.h"
#include "router.h"
#include "store.h"
#include "util.h"

struct smsmux {
  cfg *cfg;
  smsmux_options opts;
  log_sink log;
  instance_env env;       /* what every instance sees of the handle */
  plugin **plugins;       /* loaded plugins, one per name */
  size_t n_plugins;
  instance *inst;         /* one per cfg provider, in file order */
  size_t n_inst;
  store_db *store;        /* NULL until first needed */
  char *store_error;
  pthread_mutex_t store_lock;
  /* the queue: workers wait here for a submit (queue.c) */
  pthread_mutex_t queue_lock;
  pthread_cond_t queue_cond;
  unsigned long queue_seq;  /* bumped by every submit */
  /* tenants' token buckets (tenant.c): per handle, in memory */
  pthread_mutex_t tenant_lock;
  void *tenant_buckets;
};

/** The store, opened on first use; NULL with err (CONFIG). */
store_db *engine_store(struct smsmux *sm, smsmux_error *err);

/** The report a provider's status entry `e` makes about its message
    `provider_id` sent through `provider` (pushed, or found by a poll),
    pointing into `e`: 0, or 1 when its status is not one a report
    carries (nothing to record).  A number the plugin could not read as
    E.164 (the sMsmode guide's own example prints the placeholder
    336xxyyzzaa) names no recipient: the report is matched by the
    provider's id alone. */
int engine_report_of(const char *provider, const char *provider_id,
                     const smsmux_status_entry *e, store_report *rep);

/** Instance by name (case-insensitive), opened on this first use (see
    inst->usable / inst->error), or NULL. */
instance *engine_instance(struct smsmux *sm, const char *name);

/** 1 when the open of `inst` (engine_instance, engine_open_all) ran out of
    memory: it is not usable, and tried again on its next use. */
int engine_instance_oom(const instance *inst);

/** Open every instance not opened yet (listings, loops over all). */
void engine_open_all(struct smsmux *sm);

/** Ask `inst` for its balance (the plugin's `balance`) and cache it for the
    router; *unit (malloc'd, may be NULL) when unit is given.  0 or -1 with
    err. */
int engine_balance(struct smsmux *sm, instance *inst, double *credit,
                   char **unit, smsmux_error *err);

/** One recipient of a grouped send (core/batch.c): recipients that share
    a text go out in one request but keep their own journal entry. */
typedef struct engine_row {
  const char *ref;        /**< in: this recipient's --ref (REF#N), or NULL */
  int journaled;          /**< out: 1 already sent under ref, nothing sent;
                               2 already started (pending/unknown): possibly
                               sent, nothing sent; 0 otherwise */
  smsmux_error_class cls; /**< out: SMSMUX_OK when taken (or journaled as
                               sent), else the class of its failure */
  size_t rcpt;            /**< out: its line in result->recipients, or
                               (size_t)-1 when the send stopped before any
                               (input error, no provider: see cls) */
} engine_row;

/** smsmux_send (NULL only when out of memory), with `rows` NULL.
    Recipients opted out for the operator (tenant "") are refused per
    recipient: status rejected, code opt-out, nothing sent to them (every
    one: r->error INPUT opt-out).  With `rows` (one per req->to, the
    numbers distinct once normalised), req->ref is not used: each recipient
    is reserved in the journal under rows[i].ref before the send (one
    already journaled is left out of it) and finished after it with its
    own outcome, so a rerun skips exactly the recipients already taken. */
smsmux_send_result *engine_send(struct smsmux *sm,
                                const smsmux_send_request *req,
                                engine_row *rows);

/** The send of message `id` of `tenant`, which the queue holds already:
    its recipients (req->to, E.164) are recorded and claimed; each chunk
    is marked `sending` before its request leaves.  Recipients opted out
    for the tenant are settled `rejected` (code opt-out), not sent (as
    engine_send does for the operator's).  `claim`: the worker's token;
    every outcome is written only where that claim still holds.  A chunk
    whose rows the claim no longer holds (store_mark_sending says 1: the
    lease ran out and another worker has them) is not sent and gets no
    line, no attempt, no outcome; the other chunks go on, failover
    included.  When that is all that went wrong, the result's error has
    the code "claim-lost" (class temporary).  (A direct send that finds
    its rows taken over says "taken-over".) */
smsmux_send_result *engine_send_queued(struct smsmux *sm,
                                       const smsmux_send_request *req,
                                       const char *id, const char *tenant,
                                       const char *claim);

/** What the queue needs to know of a message before it takes it. */
typedef struct engine_checked {
  smsmux_encoding encoding;
  unsigned segments;
  char fingerprint[65]; /* hex SHA-256 of the content */
  int64_t at;           /* the --at time, 0: now */
  int held;             /* 1: no provider schedules it: the queue holds it
                           until `at` and sends it then */
  char **to;            /* the numbers, E.164, distinct (owned) */
  size_t n_to;
} engine_checked;

/** Check `req` as a send would (text, numbers, sender, `at`) and that a
    configured provider could take it (capabilities and limits).  0, or -1
    with err (INPUT; code "no-provider" when no provider could). */
int engine_check(struct smsmux *sm, const smsmux_send_request *req,
                 engine_checked *out, smsmux_error *err);
void engine_checked_clear(engine_checked *c);

/** smsmux_route: the plan a send would follow, sending nothing. */
smsmux_route_explain *engine_explain(struct smsmux *sm,
                                     const smsmux_send_request *req);

#endif
