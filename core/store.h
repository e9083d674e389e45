/* store: what outlives one run: in SQLite under state_dir (state.db), or
 * in a PostgreSQL database several machines share (store_open_url).  The
 * functions below are the same over both backends (store_backend.h).
 *
 * Messages and their recipients (keyed by (tenant, ref, E.164 number) when
 * a ref is given, with the message's fingerprint, so a retried send never
 * goes out twice and a reused ref with another content is a conflict), the
 * attempts, and a small key/value table for the router (breakers,
 * round-robin positions, cached balances).  Since issue 13 (SQLite schema
 * 3, PostgreSQL schema 2): each recipient's status history (events, also
 * the webhook outbox of messages with a callback_url), delivery reports
 * (applied by rank, kept pending when they overtake the send's answer),
 * replies, opt-outs and what polling needs.  Since issue 14 (SQLite
 * schema 4, PostgreSQL schema 3): tenants, their API keys (SHA-256 only)
 * and the ledger of their units (below).
 *
 * Where this file goes beyond the issue 13 contract (choices, written here
 * and in the report): store_queue_recover's `unknown` rows are events too;
 * a reply's fields in an event (store_event_row); a provider_id matching
 * nothing leaves a reply unmatched (store_reply_add); a report naming no
 * number is applied to the sent recipients and kept for the others
 * (store_report_apply); next_due of store_webhook_claim counts only
 * claimable events; store_poll_due needs the provider id; store_prune
 * also drops unmatched replies by age.
 *
 * States of a recipient: queued -> sending (written durably before its
 * request leaves) -> accepted | scheduled | failed (nothing was accepted:
 * safe to send again) | unknown (possibly sent: never sent again by
 * smsmux) -> the delivery statuses.  After any stop, only recipients whose
 * request was in flight can be left `sending`; reopening reads them as
 * `unknown`.
 *
 * SQLite: writes go through one writer thread that commits the jobs of
 * every thread together (group commit: one transaction, one fsync, many
 * rows); a durable write returns once its transaction is on disk.  Reads
 * use their own connections (WAL), never the writer's, and no mutex is
 * held across I/O.  Safe for concurrent processes (BEGIN IMMEDIATE, busy
 * timeout).  PostgreSQL: every write is its own transaction on a pooled
 * connection, committed before it returns (store_finish too), and safe
 * for processes on several machines (claims are leased: see
 * store_queue_heartbeat).
 *
 * Damage is never taken for a fresh start: an empty, truncated or corrupt
 * state.db, one of a newer schema, or one removed while the directory still
 * carries its marker (.smsmux-store) is an error naming the file and what
 * to do.  A missing one (no marker) is created with mode 0600.
 *
 * Times are Unix seconds.  Every value reaches SQL as a bound parameter. */
#ifndef SMSMUX_STORE_H
#define SMSMUX_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store_db store_db;

/** Open (creating `dir` with mode 0700 and state.db with mode 0600 when
    missing) `dir`/state.db.  *created is set to 1 when this call created
    the store (the caller says so once).  NULL with err filled ("state_dir
    DIR: <what failed>: <why>; <what to do>"). */
store_db *store_open(const char *dir, int *created, char *err, size_t errlen);
/** Open the PostgreSQL store at `url` ("postgresql://..." or
    "postgres://...", libpq's URI syntax), creating its tables in an empty
    database (*created set to 1: the caller says so once) and migrating
    an older schema.  NULL with err filled ("store postgresql://user:***@
    ...: <what failed>: <why>; <what to do>": the password never shows).
    A database whose schema is newer than this smsmux, or one holding
    other tables but not smsmux's, is refused. */
store_db *store_open_url(const char *url, int *created, char *err,
                         size_t errlen);
/** 1 when `value` (the [smsmux] store key) names a PostgreSQL URL. */
int store_is_url(const char *value);
/** A copy of `url` with its password (userinfo or password= parameter)
    replaced by "***".  malloc'd, NULL when out of memory. */
char *store_url_redacted(const char *url);
/** Wait for every pending write, then close. */
void store_close(store_db *db);
/** Wait until every write queued so far is committed.  0 or -1 (err). */
int store_flush(store_db *db, char *err, size_t errlen);

/* ------------------------------------------------------------- messages -- */

/** A message's identity in the store. */
typedef struct store_msg {
  char id[40];             /**< in/out: "" makes a new sortable id */
  const char *tenant;      /**< NULL: "" (the operator) */
  const char *ref;         /**< idempotency key, or NULL */
  const char *fingerprint; /**< hex SHA-256 of the canonical content */
} store_msg;

/** What store_reserve found for one recipient. */
typedef enum store_claim {
  STORE_CLAIM_NEW = 0,     /**< recorded now: send it */
  STORE_CLAIM_RETRY,       /**< recorded before, nothing accepted (queued or
                                failed): send it (with this content, even
                                when it changed: nothing went out) */
  STORE_CLAIM_SENT,        /**< the same content was taken already: a
                                duplicate, nothing to send */
  STORE_CLAIM_POSSIBLY,    /**< the same content went out with an unknown
                                outcome (sending, unknown): nothing to send */
  STORE_CLAIM_CONFLICT     /**< the ref and number hold another content
                                that was (or may have been) sent */
} store_claim;

typedef struct store_rcpt {
  const char *number;      /**< in: E.164 */
  int sending;             /**< in: 1 to record it `sending` (its request
                                leaves next), 0 `queued` */
  store_claim claim;       /**< out */
  /* out, for SENT / POSSIBLY / CONFLICT (malloc'd, store_rcpt_clear) */
  char *state, *provider, *provider_id, *message_id;
} store_rcpt;

void store_rcpt_clear(store_rcpt *r);

/** Record message `m` and its recipients (one transaction, durable on
    return).  `provider` is the one the `sending` rows go to (may be NULL
    when none is).  With a ref, each number is first looked up under
    (tenant, ref, number): see store_claim.  0, or -1 (err): nothing was
    recorded. */
int store_reserve(store_db *db, store_msg *m, store_rcpt *rows, size_t n,
                  const char *provider, char *err, size_t errlen);

/* ------------------------------------------------------------- queue -- */

/** What a queued message carries besides its recipients. */
typedef struct store_queue_info {
  const char *request_json; /* the whole request, to send it later */
  int64_t not_before;       /* Unix seconds it is held until (0: now) */
  const char *callback_url; /* may be NULL */
  const char *encoding;     /* "gsm7" / "ucs2" */
  unsigned segments;
  /* Charging (tenants): */
  const char *charge;       /* tenant to charge, or NULL (the operator: no
                               ledger) */
  int64_t unit_price;       /* units per recipient (segments x plan price) */
  const char *refund_on;    /* comma list of delivery statuses the plan
                               refunds ("undelivered,rejected,expired"), or
                               NULL */
} store_queue_info;

/** Queue message `m` for its workers: like store_reserve with every new
    recipient `queued` and the request kept, durable on return.  With a
    ref, a conflict on any number records nothing (rows[i].claim says
    which).  With q->charge, unit_price x (the recipients queued now: new
    ones, and ones a ref takes over again) is reserved from that tenant's
    balance in the same transaction (one "reserve" ledger row, message_id
    = the message's id, actor "smsmux").  0, 2 the balance is short
    (nothing queued, nothing charged), or -1 (err; also for a charge
    tenant that does not exist). */
int store_queue_put(store_db *db, store_msg *m, store_rcpt *rows, size_t n,
                    const store_queue_info *q, char *err, size_t errlen);

/** A message a worker took. */
typedef struct store_claimed {
  char id[40];
  char *tenant, *ref, *request_json, *callback_url;
  char **numbers; /* its recipients still queued, now claimed */
  size_t n;
} store_claimed;

void store_claimed_clear(store_claimed *c);

/** Take the oldest due message (not_before <= now) with queued recipients
    nobody claimed, for worker `token`: its queued recipients are claimed
    (still `queued`: nothing left yet).  0 taken, 1 nothing due, -1 err.
    *next_due: the earliest not_before of a held message (0: none). */
int store_queue_claim(store_db *db, const char *token, int64_t now,
                      store_claimed *c, int64_t *next_due, char *err,
                      size_t errlen);

/** Recipients claimed by `token` and still queued are free again. */
int store_queue_unclaim(store_db *db, const char *token, char *err,
                        size_t errlen);

/** Claims (queue and webhook) and `sending` recipients of worker
    `token` (several workers' tokens joined by commas: one transaction for
    them all; NULL: the handle's own direct sends) stay theirs for another
    lease period; then leases that ran out are expired, once.
    PostgreSQL: claims and `sending` rows are leased, and a lease not
    renewed in time lets other nodes take what was claimed (recover turns
    what was sending into `unknown`); a worker calls this well within the
    lease.  SQLite (one machine): nothing to do.  0 or -1. */
int store_queue_heartbeat(store_db *db, const char *token, char *err,
                          size_t errlen);

/** At a service's start: every claim (queue and webhook) is released,
    and recipients left `sending` by a stopped process become `unknown`
    (they may have gone out; an event each).  PostgreSQL (shared by live
    nodes): only claims and `sending` rows whose lease expired.  *unknown
    counts those.  0 or -1. */
int store_queue_recover(store_db *db, long *unknown, char *err,
                        size_t errlen);

/** One recipient row, one attempt row, one message, as read back. */
typedef struct store_rcpt_row {
  char *number, *state, *provider, *provider_id, *code, *text;
  int64_t updated;
} store_rcpt_row;
typedef struct store_attempt_row {
  char *provider, *outcome, *cls, *code, *message;
  int64_t at;
} store_attempt_row;
/* History: each status change of a recipient is an event row, written in
   the same transaction as the change, by store_queue_put (queued),
   store_reserve (queued/sending), store_mark_sending (sending),
   store_finish (accepted, scheduled, failed, unknown, or a delivery status
   answered at once), store_message_cancel (cancelled), store_queue_recover
   (unknown) and store_report_apply; a matched reply is an event too.  An
   event of a message with a callback_url is also pending for webhook
   delivery (store_webhook_claim); without one it is not. */
typedef struct store_event_row {
  int64_t seq;                 /* increasing per message, in commit order
                                  (store-wide unique) */
  char *kind;                  /* "status" or "reply" */
  /* status: the recipient's number, its new status, the provider instance,
     the provider's message id, its code and text (a report's raw ones).
     reply: number = who replied (from), status = the number or sender it
     was sent to (to, NULL when unknown), provider = the instance,
     provider_id = smsmux's id of the reply (the `id` of
     store_replies_list), code = the provider's id of the reply (reply_id,
     may be NULL), text = the reply's text. */
  char *number, *status, *provider, *provider_id, *code, *text;
  int64_t at;                  /* a report's or reply's own time, else when
                                  recorded */
} store_event_row;
typedef struct store_message {
  char *id, *tenant, *ref, *encoding, *callback_url, *request_json;
  int64_t created, not_before;
  unsigned segments;
  store_rcpt_row *rcpts;
  size_t n_rcpts;
  store_attempt_row *attempts;
  size_t n_attempts;
  store_event_row *events;     /* ordered by seq */
  size_t n_events;
} store_message;

void store_message_clear(store_message *m);

/** Message `id` of `tenant` (NULL: ""), read back whole.  0 found, 1 no
    such message for that tenant, -1 error. */
int store_message_read(store_db *db, const char *tenant, const char *id,
                       store_message *m);

/** Ids of `tenant`'s messages, newest first: created >= since, id < cursor
    (NULL: no bound), with a recipient in `state` (NULL: any), at most
    `limit`.  *ids malloc'd array of malloc'd strings.  0 or -1. */
int store_message_ids(store_db *db, const char *tenant, const char *state,
                      int64_t since, const char *cursor, unsigned limit,
                      char ***ids, size_t *n);

/** Cancel `tenant`'s message `id` while it is still queued: its queued,
    unclaimed recipients become `cancelled`.  0 done, 1 no such message,
    2 nothing left to cancel (sent or being sent), -1 error. */
int store_message_cancel(store_db *db, const char *tenant, const char *id,
                         char *err, size_t errlen);

/** Recipients queued and sending, over the whole store.  0 or -1. */
int store_queue_counts(store_db *db, unsigned long *queued,
                       unsigned long *sending);

/** Recipients `numbers` of message `id` go out now through `provider`:
    recorded `sending`, durable on return.  `claim`: the token of the queue
    worker whose claim holds them (store_queue_claim), or NULL for a direct
    send (rows no worker holds).  0; 1 when a row is not held by `claim`
    (any more): its claim ran out and another worker may be sending it, so
    nothing is marked and the caller must send nothing nor write any
    outcome; -1 (err).  The check and the mark are one statement per row:
    of two workers, one wins. */
int store_mark_sending(store_db *db, const char *id, const char *claim,
                       const char *const *numbers, size_t n,
                       const char *provider, char *err, size_t errlen);

/** The outcome of one recipient. */
typedef struct store_outcome {
  const char *number;
  const char *state;       /* accepted, scheduled, failed, unknown, or a
                              delivery status a provider answered at once */
  const char *provider, *provider_id, *code, *text;
} store_outcome;

/** One attempt of message `id`. */
typedef struct store_attempt {
  const char *provider;
  const char *outcome;     /* "ok" or "failed" */
  const char *cls, *code, *message;
} store_attempt;

/** Outcomes and attempts of message `id`, queued for the writer (copied;
    committed with the next group, and at the latest by store_flush or
    store_close).  `claim`: a queue worker's token; an outcome is written
    only to a row that claim still holds (one another worker took over is
    left as it is: no event, no refund); NULL: to the row as it is.  0,
    or -1 when out of memory (then written at once). */
int store_finish(store_db *db, const char *id, const char *claim,
                 const store_outcome *o, size_t n_o, const store_attempt *a,
                 size_t n_a);

/** Which provider instance sent provider message id (or smsmux message
    id) `id`: 0 and a malloc'd name, 1 unknown, -1 error. */
int store_provider_of(store_db *db, const char *id, char **provider);

/** The message that provider message id (or smsmux message id) `id`
    belongs to (the latest when a provider reused it): 0 with *message_id
    and *tenant malloc'd, 1 unknown, -1 error. */
int store_message_of(store_db *db, const char *id, char **message_id,
                     char **tenant);

/** Rows older than `before` (Unix seconds) removed: messages whose every
    recipient is settled, their recipients, attempts, events, replies and
    webhook events still pending; replies matched to no message recorded
    before `before`; reports kept pending for over 2 days (whatever
    `before`).  *removed counts the messages.  0 or -1 (err). */
int store_prune(store_db *db, int64_t before, long *removed, char *err,
                size_t errlen);

/** The number of commits (each one fsync of the WAL) made by this
    handle so far: for benchmarks. */
unsigned long store_commits(store_db *db);

/* ---------------------------------------------- reports and replies -- */

/* Status ranks, never backwards: queued 0 < sending 1 < accepted /
   scheduled / unknown 2 < sent 3 < final 4 (delivered, undelivered,
   expired, rejected, cancelled).  `failed` (nothing accepted) stays as it
   was (a retry may send again). */

/** A delivery report a provider pushed or a poll found. */
typedef struct store_report {
  const char *provider;        /* instance name */
  const char *provider_id;     /* the provider's message id (required) */
  const char *number;          /* E.164, or NULL: every recipient with that id */
  const char *status;          /* sent, delivered, undelivered, expired,
                                  rejected, accepted (a no-op unless the row
                                  is lower) */
  const char *code, *text;     /* the provider's raw code and text, may be NULL */
  int64_t at;                  /* when it happened per the provider; 0: now */
} store_report;

/** Apply a report: recipients of (provider, provider_id[, number]) move
    to r->status only when it ranks higher than their status (a final
    status never changes; the same report twice changes nothing and
    writes no second event).  0: applied to one or more recipients
    (events written, webhook events queued); 1: nothing changed; 2: no
    recipient has that (provider, provider_id[, number]) yet, or those
    that do are still queued/sending/failed: kept pending and applied by
    the store_finish that records that provider id (pending reports older
    than 2 days are dropped by store_prune); -1: error (err), also for a
    status below accepted or unknown to smsmux.  A report naming no
    number that finds some recipients sent and others not yet sent is
    applied to the former and kept pending for the latter (0). */
int store_report_apply(store_db *db, const store_report *r, char *err,
                       size_t errlen);

/** A reply (MO) a provider pushed or a poll found. */
typedef struct store_reply {
  const char *provider;        /* instance */
  const char *reply_id;        /* the provider's id of the reply, or NULL */
  const char *from;            /* E.164 of the phone that replied */
  const char *to;              /* the number/sender it was sent to, or NULL */
  const char *text;
  const char *provider_id;     /* the provider's id of the message replied
                                  to, or NULL */
  int64_t at;                  /* 0: now */
} store_reply;

/** Record a reply, matched to the message whose recipient `from` has
    provider_id (from that provider); without provider_id, to the latest
    message sent through that provider to `from` within 30 days (a
    recipient neither queued, failed nor cancelled); else unmatched (tenant
    "", no message).  A provider_id that matches nothing leaves the reply
    unmatched: it answers a message smsmux does not know (pruned, or sent
    by something else), and guessing from the number could file a STOP
    under the wrong tenant.  Idempotent on (provider, reply_id) when
    reply_id is given: 1 for a repeat (*tenant and *message_id then those
    the first one found).  A matched reply is an event of its message
    (kind "reply", see store_event_row), so with a callback_url it is
    pending for webhook delivery after that message's earlier events.
    *tenant and *message_id (may be NULL pointers to skip; malloc'd;
    *message_id NULL when unmatched).  provider, from and text are
    required.  0 recorded, 1 repeat, -1 error. */
int store_reply_add(store_db *db, const store_reply *r, char **tenant,
                    char **message_id, char *err, size_t errlen);

typedef struct store_reply_row {
  char *id;                    /* smsmux's id of the reply (sortable like
                                  message ids) */
  char *provider, *reply_id, *from, *to, *text, *message_id;
  int64_t at;
} store_reply_row;
/** Replies of `tenant` (NULL or "": the operator's, unmatched ones
    included), newest first, at >= since, id < cursor (NULL: none), at
    most limit.  *rows malloc'd.  0 or -1. */
int store_replies_list(store_db *db, const char *tenant, int64_t since,
                       const char *cursor, unsigned limit,
                       store_reply_row **rows, size_t *n);
void store_reply_rows_free(store_reply_row *rows, size_t n);

/* ------------------------------------------------------------ opt-out -- */

/* Opt-outs: (tenant, number); tenant NULL is "". */
/** 0 recorded, 1 already opted out, -1 error.  source: "reply", "api",
    "cli". */
int store_optout_set(store_db *db, const char *tenant, const char *number,
                     const char *source, char *err, size_t errlen);
/** 0 lifted, 1 was not opted out, -1 error. */
int store_optout_clear(store_db *db, const char *tenant, const char *number,
                       char *err, size_t errlen);
/** 1 opted out, 0 not, -1 error. */
int store_optout_has(store_db *db, const char *tenant, const char *number);
typedef struct store_optout_row {
  char *number, *source;
  int64_t at;
} store_optout_row;
/** Opt-outs of `tenant`, by number, number > cursor (NULL: from the
    first), at most limit.  0 or -1. */
int store_optouts_list(store_db *db, const char *tenant, const char *cursor,
                       unsigned limit, store_optout_row **rows, size_t *n);
void store_optout_rows_free(store_optout_row *rows, size_t n);

/* ------------------------------------------------------------ webhooks -- */

/** Webhook outbox: an event pending delivery. */
typedef struct store_webhook {
  int64_t seq;                 /* the event (store-wide: done/retry take it) */
  char *event_id;              /* stable id for X-Smsmux-Event
                                  (message id + "-" + seq) */
  char *message_id, *tenant, *url; /* url = the message's callback_url */
  store_event_row ev;          /* the event (see store_event_row for what
                                  a reply's fields hold) */
  unsigned attempts;           /* failed deliveries so far */
  int64_t first_at;            /* when the event was recorded */
} store_webhook;
void store_webhook_clear(store_webhook *w);
/** Claim for worker `token` the oldest due event (next_at <= now) whose
    message has no earlier event still pending (order per message), and
    that nobody holds (a claim is leased like queue claims: on PostgreSQL
    other nodes take it when the lease expires; store_queue_heartbeat(token)
    renews it; SQLite: released by store_queue_recover at start).  0 taken,
    1 nothing due (*next_due: earliest next_at of the events that could be
    claimed then: the first pending one of each message, nobody holding
    it; 0 none, which does not mean the backlog is empty: an event waiting
    behind one another worker holds becomes claimable when that one is
    done or retried), -1 error. */
int store_webhook_claim(store_db *db, const char *token, int64_t now,
                        store_webhook *w, int64_t *next_due, char *err,
                        size_t errlen);
/** Delivered (2xx): no longer pending (the next event of its message
    becomes claimable).  0 or -1. */
int store_webhook_done(store_db *db, int64_t seq, char *err, size_t errlen);
/** Delivery failed: attempts + 1, due again at next_at, claim released;
    give_up 1: no longer pending (expired after webhook_retry_hours; kept
    in the history).  0 or -1. */
int store_webhook_retry(store_db *db, int64_t seq, int64_t next_at,
                        int give_up, char *err, size_t errlen);
/** Events pending delivery (the webhook backlog).  0 or -1. */
int store_webhook_backlog(store_db *db, unsigned long *pending);

/* ------------------------------------------------------------- polling -- */

/** Polling, for providers without push. */
typedef struct store_poll_row {
  char *message_id, *number, *provider, *provider_id;
  unsigned polls;
  int64_t since;               /* when it was last updated (accepted/sent) */
} store_poll_row;
/** Recipients sent through `provider` whose status is accepted or sent
    (not final) and whose provider id is known (a poll asks by it),
    updated at or after `oldest` (older ones are past the deadline), due
    for a poll (poll_next NULL or <= now), at most limit, least recently
    updated first.  0 or -1. */
int store_poll_due(store_db *db, const char *provider, int64_t now,
                   int64_t oldest, unsigned limit, store_poll_row **rows,
                   size_t *n);
/** Polled once more: polls + 1, next poll at next_at.  0 or -1. */
int store_poll_mark(store_db *db, const char *message_id, const char *number,
                    int64_t next_at);
void store_poll_rows_free(store_poll_row *rows, size_t n);

/* ---------------------------------------------------------- key/value -- */

/** Router key/value store: namespace + key -> text value + the time it
    was set.  kv_get: *value malloc'd (NULL for a NULL value); value and
    updated may be NULL.  0 found, 1 none, -1 error. */
int store_kv_get(store_db *db, const char *ns, const char *key, char **value,
                 int64_t *updated);
/** Set the value (and its time to now).  0 or -1. */
int store_kv_set(store_db *db, const char *ns, const char *key,
                 const char *value);
/** Atomically add `delta` to the integer value (missing = 0); the
    previous value in *before (may be NULL).  -1, value untouched, when the
    stored value is not a decimal integer or the sum overflows. */
int store_kv_add(store_db *db, const char *ns, const char *key, int64_t delta,
                 int64_t *before);
/** Atomically add `delta` to a decimal number value, keeping its time
    (a balance spent is not a balance read).  Missing: nothing.  0 or -1. */
int store_kv_add_real(store_db *db, const char *ns, const char *key,
                      double delta);
/** Atomically read-modify-write the value of ns/key in one transaction:
    `fn` gets the current value (NULL when missing) and returns the new one
    (malloc'd; NULL: leave it).  0 or -1. */
int store_kv_update(store_db *db, const char *ns, const char *key,
                    char *(*fn)(const char *old, void *ud), void *ud);

/** One token of the bucket `key` (refilled at `rate` a second up to
    `size`; full at first use), shared by every process of a shared store:
    0 taken; 1 none there, *wait the whole seconds until one is (1 to
    86400); 2 this store does not share buckets (SQLite: one machine, the
    caller keeps its own); -1 (err). */
int store_bucket_take(store_db *db, const char *key, double rate, double size,
                      unsigned *wait, char *err, size_t errlen);

/* ------------------------------------------------------------- tenants -- */

typedef struct store_tenant {
  char *name;               /* [a-z0-9][a-z0-9_.-]{0,62} (checked by the
                               caller) */
  char *parent;             /* reseller, or NULL */
  char *plan;               /* [plan.NAME] of the INI, or NULL: the
                               operator's prices (1 unit/segment) */
  char *senders, *routes;   /* comma lists allowed ("" or NULL: any) */
  char *callback_url, *webhook_secret; /* may be NULL */
  int64_t balance;          /* units; never below zero */
  int64_t low_balance;      /* threshold for the low-balance event (0:
                               none) */
  double rate;              /* messages/s (0: no limit) */
  unsigned burst;           /* token bucket size (0: max(1, rate)) */
  int enabled;
  int64_t created;
} store_tenant;

void store_tenant_clear(store_tenant *t);
/** 0 added, 1 exists, 2 parent missing, -1 error.  balance starts at 0
    and the tenant enabled (t->balance, t->enabled and t->created are
    ignored); "" for plan, senders, routes, callback_url or webhook_secret
    is stored as NULL. */
int store_tenant_add(store_db *db, const store_tenant *t, char *err,
                     size_t errlen);
/** 0 found, 1 none, -1 error. */
int store_tenant_get(store_db *db, const char *name, store_tenant *t);
/** Every tenant (parent NULL) or the customers of `parent`, by name.
    0 or -1. */
int store_tenant_list(store_db *db, const char *parent, store_tenant **rows,
                      size_t *n);
void store_tenant_rows_free(store_tenant *rows, size_t n);
/** Update the settings of tenant t->name (not its balance, parent nor
    created): members NULL are left ("" clears one to NULL); rate < 0
    left; low_balance < 0 left; enabled < 0 left; burst is always set (a
    caller changing something else passes the current one).  0, 1 no such
    tenant, -1. */
int store_tenant_update(store_db *db, const store_tenant *t, char *err,
                        size_t errlen);

/* API keys: only their SHA-256 (64 hex digits) is stored. */

/** 0 added, 1 no such tenant, -1 (also for a hash that is not 64 hex
    digits, or one already stored).  `label` may be NULL.  The key's id
    (for revoking) is the first 8 hex digits of the hash. */
int store_key_add(store_db *db, const char *tenant, const char *sha256_hex,
                  const char *label, char *err, size_t errlen);
/** Revoke the tenant's live key whose id (hash prefix, >= 8 hex) or label
    is `which` (every live key of that label).  0 revoked, 1 none, -1.
    Takes effect for the next lookup. */
int store_key_revoke(store_db *db, const char *tenant, const char *which,
                     char *err, size_t errlen);
/** The tenant of a key hash, if the key is live and the tenant enabled.
    0 (*tenant malloc'd), 1 unknown/revoked/disabled, -1. */
int store_key_lookup(store_db *db, const char *sha256_hex, char **tenant);
typedef struct store_key_row {
  char *id, *label;         /* label may be NULL */
  int64_t created, revoked; /* revoked 0: live */
} store_key_row;
/** The tenant's keys (live and revoked), oldest first.  0 or -1. */
int store_key_list(store_db *db, const char *tenant, store_key_row **rows,
                   size_t *n);
void store_key_rows_free(store_key_row *rows, size_t n);

/* The ledger: append-only rows (seq, tenant, message_id, delta, reason,
   at, actor); a tenant's balance always equals the sum of its rows; the
   balance and its row change in one transaction; the balance never goes
   below zero (a conditional single-statement update: UPDATE ... SET
   balance = balance + d WHERE name = ? AND balance + d >= 0), whatever
   the concurrency, on both backends.  Reasons: "credit", "debit",
   "transfer-in", "transfer-out", "reserve", "refund". */

/** 0 applied (*balance = new balance, may be NULL), 1 not enough units
    (nothing written), 2 no such tenant, -1. */
int store_ledger_add(store_db *db, const char *tenant, const char *message_id,
                     int64_t delta, const char *reason, const char *actor,
                     int64_t *balance, char *err, size_t errlen);
/** Move `units` (> 0) from `from` to `to` (one transaction, two rows:
    transfer-out, transfer-in).  0, 1 not enough, 2 no such tenant, -1. */
int store_ledger_transfer(store_db *db, const char *from, const char *to,
                          int64_t units, const char *actor, char *err,
                          size_t errlen);
typedef struct store_ledger_row {
  int64_t seq;
  char *tenant, *message_id, *reason, *actor; /* message_id, actor: may be
                                                 NULL */
  int64_t delta, at;
} store_ledger_row;
/** Ledger rows of `tenant` (NULL: every tenant) with at >= since, newest
    first (by seq), at most `limit` (0: no limit).  0 or -1. */
int store_ledger_list(store_db *db, const char *tenant, int64_t since,
                      unsigned limit, store_ledger_row **rows, size_t *n);
void store_ledger_rows_free(store_ledger_row *rows, size_t n);
/** Every tenant whose balance differs from the sum of its ledger rows (or
    is negative): *bad malloc'd array of malloc'd names.  0 (n_bad 0: all
    exact) or -1. */
int store_ledger_check(store_db *db, char ***bad, size_t *n_bad);

/* Refunds (one "refund" row of the message's unit_price per recipient,
   actor "smsmux", exactly once: a recipient's `refunded` mark, its row and
   the balance change together, in the transaction that changes the
   recipient's status): cancelled (store_message_cancel), rejected with
   code opt-out (store_finish), a status in the message's refund_on
   (store_report_apply, a pending report applied by store_finish, or a
   delivery status store_finish records at once), or failed for good.

   `failed` alone is not for good: the engine records it after each
   provider's refusal and may fail over to another provider next.  So the
   worker, once the message's send is over, calls store_refund_failed;
   what a stopped worker left failed and unrefunded is refunded by
   store_queue_recover (SQLite; PostgreSQL: also by the heartbeat, once the
   rows' lease ran out).  A ref taken over again by store_queue_put (a
   failed recipient sent anew) first gives back an earlier charge still
   held, then is charged anew. */

/** The recipients `numbers` of message `id` (all of its recipients when
    n is 0) that are `failed` are failed for good: refunded once each (a
    repeat refunds nothing; a recipient that failed over and was accepted
    is not refunded).  A message without a charge: nothing to do.
    *refunded (may be NULL): the units given back now.  0 or -1. */
int store_refund_failed(store_db *db, const char *id,
                        const char *const *numbers, size_t n,
                        int64_t *refunded, char *err, size_t errlen);

/* Usage for invoicing. */
typedef struct store_usage_row {
  char *tenant, *provider, *status; /* provider "" when none took it */
  unsigned long messages, recipients;
  int64_t units;            /* charged minus refunded */
} store_usage_row;
/** Per (tenant, provider, status) over messages created in [since, until),
    for `tenant` (NULL: all; a reseller also sees its customers, at any
    depth, when `tree` is 1), ordered by tenant, provider, status.  0 or
    -1. */
int store_usage(store_db *db, const char *tenant, int tree, int64_t since,
                int64_t until, store_usage_row **rows, size_t *n);
void store_usage_rows_free(store_usage_row *rows, size_t n);

#endif
