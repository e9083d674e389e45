/* store: what outlives one run, in SQLite under state_dir (state.db).
 * The journal of sends (keyed by --ref, so a retried command never sends
 * twice, and by message id, so `status`/`replies` find the provider), and
 * a small key/value store with timestamps for the router (breaker state,
 * round-robin position, cached balances).  Safe for concurrent processes:
 * WAL mode, a 5 s busy timeout, and BEGIN IMMEDIATE for read-modify-write.
 * One handle may be shared by the threads of a process (each call holds a
 * mutex); it must not be used across fork(): open one in the child.
 * Times are Unix seconds.  The schema carries PRAGMA user_version (1). */
#ifndef SMSMUX_STORE_H
#define SMSMUX_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store_db store_db;

/** Open (creating dir and its missing parents with mode 0700, and the
    schema when missing) `dir`/state.db.  NULL with err filled
    ("state_dir DIR: <what failed>: <why>; <what to do>").  An existing
    directory keeps its mode; a state.db written by a newer smsmux (higher
    user_version) is refused. */
store_db *store_open(const char *dir, char *err, size_t errlen);
void store_close(store_db *db);

/** Journal entry of one send. Strings owned by the caller after lookup
    (free with store_journal_entry_clear). */
typedef struct store_journal_entry {
  char *ref;        /**< --ref, or NULL */
  char *status;     /**< "pending", "sent", "failed", "unknown" */
  char *provider;   /**< instance that took it, or NULL */
  char *message_id; /**< provider's id, or NULL */
  char *result;     /**< the send result as JSON text (for replay), or NULL */
  int64_t created;  /**< Unix seconds */
  int64_t updated;
} store_journal_entry;

void store_journal_entry_clear(store_journal_entry *e);

/** Reserve `ref` for a new send, atomically across processes. Returns 0
    when reserved (a "pending" row now exists; a "failed" entry is reset to
    "pending" and returns 0 too), 1 when `ref` is already journaled as
    "sent", "unknown" or "pending" (*existing filled: the caller must not
    send; "pending" means another run is sending it or stopped mid-send, so
    report it as possibly sent), -1 on error (err).  *existing is
    overwritten (zeroed unless 1 is returned; clear it after a 1); it may
    be NULL. */
int store_journal_reserve(store_db *db, const char *ref,
                          store_journal_entry *existing, char *err,
                          size_t errlen);

/** Record the outcome of a send: status "sent", "failed" or "unknown",
    the provider and id (may be NULL), and the result JSON.  With a `ref`,
    its journal row is updated (inserted when it was not reserved).  `ref`
    may be NULL (sends without --ref are journaled by id only).  A non-NULL
    `message_id` is also recorded for store_provider_of; a send that got
    several ids records the others with further calls, `ref` NULL.
    0 or -1 (err). */
int store_journal_finish(store_db *db, const char *ref, const char *status,
                         const char *provider, const char *message_id,
                         const char *result_json, char *err, size_t errlen);

/** Record one attempt (provider, outcome "ok"/"failed", error class name,
    raw code, message) of the send identified by ref or message id (the
    `ref` argument carries either; any but outcome may be NULL). 0 or -1. */
int store_journal_attempt(store_db *db, const char *ref, const char *provider,
                          const char *outcome, const char *cls,
                          const char *code, const char *message);

/** One row of store_journal_finish_all: the arguments of
    store_journal_finish. */
typedef struct store_journal_row {
  const char *ref;
  const char *status;
  const char *provider;
  const char *message_id;
  const char *result_json;
} store_journal_row;

/** One row of store_journal_finish_all: the arguments of
    store_journal_attempt (`outcome` must not be NULL). */
typedef struct store_journal_attempt_row {
  const char *ref;
  const char *provider;
  const char *outcome;
  const char *cls;
  const char *code;
  const char *message;
} store_journal_attempt_row;

/** store_journal_finish for each of rows[0..n_rows), then
    store_journal_attempt for each of attempts[0..n_attempts), all in one
    write transaction: all are recorded or none.  A row with an invalid
    status or an attempt without an outcome writes nothing; rows with
    neither ref nor message_id are skipped, and when nothing is left to
    write the database is not touched.  Either array may be NULL when its
    count is 0.  0 or -1 (err). */
int store_journal_finish_all(store_db *db, const store_journal_row *rows,
                             size_t n_rows,
                             const store_journal_attempt_row *attempts,
                             size_t n_attempts, char *err, size_t errlen);

/** Which provider instance sent message `id` (newest first). Returns 0
    and a malloc'd name in *provider, 1 when unknown, -1 on error. */
int store_provider_of(store_db *db, const char *message_id, char **provider);

/** Router key/value store: namespace + key -> text value + timestamp
    (when it was last set).  kv_get: *value malloc'd (NULL for a NULL
    value); value and updated may be NULL when not wanted. */
int store_kv_get(store_db *db, const char *ns, const char *key, char **value,
                 int64_t *updated);                 /* 0 found, 1 none, -1 */
int store_kv_set(store_db *db, const char *ns, const char *key,
                 const char *value);                /* 0 or -1 */
/** Atomically add `delta` to the integer value (missing = 0) and return the
    previous value in *before (round-robin positions, failure counters).
    -1, value untouched, when the stored value is not a decimal integer or
    the sum overflows.  `before` may be NULL. */
int store_kv_add(store_db *db, const char *ns, const char *key, int64_t delta,
                 int64_t *before);

#endif
