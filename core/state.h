/* state: what outlives one run, in SQLite under state_dir (state.db).
 * The journal of sends (keyed by --ref, so a retried command never sends
 * twice, and by message id, so `status`/`replies` find the provider), and
 * a small key/value store with timestamps for the router (breaker state,
 * round-robin position, cached balances).  Safe for concurrent processes:
 * WAL mode, a busy timeout, and BEGIN IMMEDIATE for read-modify-write. */
#ifndef SMSMUX_STATE_H
#define SMSMUX_STATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct state_db state_db;

/** Open (creating dir with mode 0700 and the schema when missing)
    `dir`/state.db.  NULL with err filled ("state_dir DIR: ..."). */
state_db *state_open(const char *dir, char *err, size_t errlen);
void state_close(state_db *db);

/** Journal entry of one send. Strings owned by the caller after lookup
    (free with state_journal_entry_clear). */
typedef struct state_journal_entry {
  char *ref;        /**< --ref, or NULL */
  char *status;     /**< "pending", "sent", "failed", "unknown" */
  char *provider;   /**< instance that took it, or NULL */
  char *message_id; /**< provider's id, or NULL */
  char *result;     /**< the send result as JSON text (for replay), or NULL */
  int64_t created;  /**< Unix seconds */
  int64_t updated;
} state_journal_entry;

void state_journal_entry_clear(state_journal_entry *e);

/** Reserve `ref` for a new send. Returns 0 when reserved (a "pending" row
    now exists), 1 when `ref` is already journaled (*existing filled; a
    "failed" entry is reserved again and returns 0), -1 on error (err). */
int state_journal_reserve(state_db *db, const char *ref,
                          state_journal_entry *existing, char *err,
                          size_t errlen);

/** Record the outcome of a send: status "sent", "failed" or "unknown",
    the provider and id (may be NULL), and the result JSON.  `ref` may be
    NULL (sends without --ref are journaled by id only). 0 or -1. */
int state_journal_finish(state_db *db, const char *ref, const char *status,
                         const char *provider, const char *message_id,
                         const char *result_json, char *err, size_t errlen);

/** Record one attempt (provider, outcome "ok"/"failed", error class name,
    raw code, message) of the send identified by ref or message id. */
int state_journal_attempt(state_db *db, const char *ref, const char *provider,
                          const char *outcome, const char *cls,
                          const char *code, const char *message);

/** Which provider instance sent message `id` (newest first). Returns 0
    and a malloc'd name in *provider, 1 when unknown, -1 on error. */
int state_provider_of(state_db *db, const char *message_id, char **provider);

/** Router key/value store: namespace + key -> text value + timestamp. */
int state_kv_get(state_db *db, const char *ns, const char *key, char **value,
                 int64_t *updated);                 /* 0 found, 1 none, -1 */
int state_kv_set(state_db *db, const char *ns, const char *key,
                 const char *value);                /* 0 or -1 */
/** Atomically add `delta` to the integer value (missing = 0) and return the
    previous value in *before (round-robin positions, failure counters). */
int state_kv_add(state_db *db, const char *ns, const char *key, int64_t delta,
                 int64_t *before);

#endif
