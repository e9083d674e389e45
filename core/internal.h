/* internal: the state behind a `smsmux` handle, shared by the core modules. */
#ifndef SMSMUX_INTERNAL_H
#define SMSMUX_INTERNAL_H

#include <smsmux/smsmux.h>
#include <pthread.h>

#include "cfg.h"
#include "loader.h"
#include "state.h"
#include "util.h"

typedef struct http_pool http_pool;

/** One configured provider instance ([provider.NAME]). */
typedef struct instance {
  struct smsmux *sm;
  cfg_provider *cfg;      /* borrowed from sm->cfg */
  plugin *plugin;         /* borrowed from sm->plugins; NULL when not loaded */
  const smsmux_provider *desc; /* &plugin->desc when usable */
  void *state;            /* the plugin's, between open and close */
  int usable;             /* loaded, opened, enabled */
  char *error;            /* why not usable */
  char *base_url;         /* config or plugin default */
  char **secrets;         /* secret values to redact, NULL-terminated */
  arena open_mem;         /* memory handed out during open (lives to close) */
  http_pool *http;        /* reused curl handles */
  pthread_mutex_t rate_lock; /* max_rps: guards rate_next */
  double rate_next;       /* monotonic seconds of the next free slot */
} instance;

struct smsmux {
  cfg *cfg;
  smsmux_options opts;
  plugin **plugins;       /* loaded plugins, one per name */
  size_t n_plugins;
  instance *inst;         /* one per cfg provider, in file order */
  size_t n_inst;
  state_db *state;        /* NULL until first needed */
  char *state_error;
  pthread_mutex_t state_lock;
  pthread_mutex_t log_lock;
};

/** Log a line through the configured sink (never pass secrets). */
void sm_log(struct smsmux *sm, smsmux_log_level level, const char *fmt, ...)
    UTIL_PRINTF(3, 4);

/** The state database, opened on first use; NULL with err. */
state_db *sm_state(struct smsmux *sm, smsmux_error *err);

/** Ask `inst` for its balance (the plugin's `balance`) and cache it for the
    router; *unit (malloc'd, may be NULL) when unit is given.  0 or -1 with
    err. */
int sm_balance(struct smsmux *sm, instance *inst, double *credit, char **unit,
               smsmux_error *err);

/** Instance by name, or NULL. */
instance *sm_instance(struct smsmux *sm, const char *name);

/** One recipient of a grouped send (core/batch.c): recipients that share
    a text go out in one request but keep their own journal entry. */
typedef struct sm_row {
  const char *ref;        /**< in: this recipient's --ref (REF#N), or NULL */
  int journaled;          /**< out: 1 already sent under ref, nothing sent;
                               2 already started (pending/unknown): possibly
                               sent, nothing sent; 0 otherwise */
  smsmux_error_class cls; /**< out: SMSMUX_OK when taken (or journaled as
                               sent), else the class of its failure */
  size_t rcpt;            /**< out: its line in result->recipients, or
                               (size_t)-1 when the send stopped before any
                               (input error, no provider: see cls) */
} sm_row;

/** smsmux_send, with `rows` NULL.  With `rows` (one per req->to, the
    numbers distinct once normalised), req->ref is not used: each recipient
    is reserved in the journal under rows[i].ref before the send (one
    already journaled is left out of it) and finished after it with its
    own outcome, so a rerun skips exactly the recipients already taken. */
smsmux_send_result *sm_send(struct smsmux *sm, const smsmux_send_request *req,
                            sm_row *rows);

#endif
