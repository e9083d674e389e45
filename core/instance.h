/* instance: one configured provider ([provider.NAME]) bound to its plugin:
 * the instance's configuration checked against the plugin's keys, its
 * secrets (for redaction), its HTTP pool, its request pacing (max_rps),
 * and the plugin's open/close.  Everything an operation on a provider needs
 * is reachable from here, so the host table and the HTTP adapter need no
 * handle. */
#ifndef SMSMUX_INSTANCE_H
#define SMSMUX_INSTANCE_H

#include <pthread.h>
#include <smsmux/provider.h>
#include <smsmux/smsmux.h>

#include "cfg.h"
#include "httpc.h"
#include "loader.h"
#include "log.h"
#include "util.h"

/** What the application lets plugins read with host->read_file. */
typedef struct instance_env {
  const cfg *conf;              /* the whole configuration */
  log_sink *log;
  smsmux_file_policy read_file; /* NULL: no file may be read */
  void *read_file_userdata;
} instance_env;

typedef struct instance {
  const instance_env *env;  /* the handle's, shared by its instances */
  cfg_provider *cfg;        /* borrowed from env->conf */
  plugin *plugin;           /* NULL when not loaded */
  const smsmux_provider *desc; /* &plugin->desc when usable */
  void *state;              /* the plugin's, between open and close */
  int usable;               /* loaded, opened, enabled */
  char *error;              /* why not usable */
  char *base_url;           /* config or plugin default */
  /* where the provider should push reports and replies: set by a service
     with a public URL for instances with a hook_token (else NULL) */
  char *notify_report_url, *notify_reply_url;
  char **secrets;           /* secret values to redact, NULL-terminated */
  arena open_mem;           /* memory handed out during open (to close) */
  httpc_pool *http;         /* reused curl handles */
  /* what this instance takes: the descriptor's, narrowed by the plugin's
     set_limits during open (ABI 1.2) and the max_recipients key */
  uint32_t caps;
  unsigned max_recipients, max_segments, max_text_length, max_sender_length;
  int64_t schedule_min_delay;  /* seconds ahead a scheduled send must be */
  unsigned sender_rules;       /* SMSMUX_SENDER_* */
  pthread_mutex_t open_lock;/* opened on first use: guards open_tried */
  int open_tried;           /* the plugin's open was called (or refused) */
  pthread_mutex_t rate_lock;/* max_rps: guards rate_next */
  double rate_next;         /* monotonic seconds of the next free slot */
} instance;

/** Bind `inst` to its configuration and plugin (loaded by the caller, may
    be NULL or not loaded), check its keys against the plugin's (CONFIG
    error naming file, section and key) and collect its secrets.  0, or -1
    with err (the instance must still be passed to instance_close). */
int instance_init(instance *inst, const instance_env *env, cfg_provider *cp,
                  plugin *pl, smsmux_error *err);

/** The plugin's limits narrowed by `lim` (smsmux_host.set_limits), then
    by the max_recipients key.  Called at init with lim NULL.  0, or -1
    with why (max_recipients above the descriptor's). */
int instance_apply_limits(instance *inst, const smsmux_limits *lim,
                          char *why, size_t why_len);

/** Once, at open: a WARNING when base_url is cleartext http:// to a host
    that is not loopback while the instance holds secrets. */
void instance_warn_cleartext(const instance *inst);

/** Close the plugin (if opened) and release everything; secrets wiped. */
void instance_close(instance *inst);

/** max_rps: wait for this instance's next free request slot. */
void instance_throttle(instance *inst);

/** 1 when `key` is a secret for this instance (plugin flag, or the name
    when the plugin could not say). */
int instance_key_is_secret(const instance *inst, const char *key);

#endif
