/* smsmux: the handle's life (open, close) and the public entry points
 * that are not an operation of their own (names of classes, statuses and
 * capabilities, exit codes, time parsing, the result frees).  The send
 * path is engine.c; the single-provider operations and listings ops.c;
 * bulk sending batch.c.
 *
 * Embeddable: nothing here ends the process, and closing the last handle
 * cleans up nothing process-wide that an application may share (libxml2 is
 * initialised once and never torn down; libcurl and libltdl keep their own
 * reference counts, ours is one of them).  Out of memory is an error too
 * (SMSMUX_ERR_SYSTEM, "out of memory", or NULL where smsmux.h says so). */
#include <config.h>

#include "engine.h"
#include "host.h"
#include "msg.h"
#include "tenant.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *smsmux_version(void) { return PACKAGE_VERSION; }

/* ------------------------------------------------------------- names -- */

const char *smsmux_error_class_name(smsmux_error_class cls) {
  switch (cls) {
  case SMSMUX_OK: return "ok";
  case SMSMUX_ERR_TEMPORARY: return "temporary";
  case SMSMUX_ERR_AUTH: return "auth";
  case SMSMUX_ERR_CREDIT: return "credit";
  case SMSMUX_ERR_INVALID: return "invalid";
  case SMSMUX_ERR_PERMANENT: return "permanent";
  case SMSMUX_ERR_UNKNOWN_OUTCOME: return "unknown_outcome";
  case SMSMUX_ERR_INPUT: return "input";
  case SMSMUX_ERR_CONFIG: return "config";
  case SMSMUX_ERR_UNSUPPORTED: return "unsupported";
  case SMSMUX_ERR_SYSTEM: return "system";
  case SMSMUX_ERR_UNSUITABLE: return "unsuitable";
  }
  return "unknown";
}

const char *smsmux_status_name(smsmux_status st) {
  switch (st) {
  case SMSMUX_STATUS_ACCEPTED: return "accepted";
  case SMSMUX_STATUS_SCHEDULED: return "scheduled";
  case SMSMUX_STATUS_SENT: return "sent";
  case SMSMUX_STATUS_DELIVERED: return "delivered";
  case SMSMUX_STATUS_UNDELIVERED: return "undelivered";
  case SMSMUX_STATUS_EXPIRED: return "expired";
  case SMSMUX_STATUS_REJECTED: return "rejected";
  case SMSMUX_STATUS_CANCELLED: return "cancelled";
  case SMSMUX_STATUS_FAILED: return "failed";
  default: return "unknown";
  }
}

int smsmux_exit_code(smsmux_error_class cls) {
  switch (cls) {
  case SMSMUX_OK: return 0;
  case SMSMUX_ERR_INPUT:
  case SMSMUX_ERR_CONFIG:
  case SMSMUX_ERR_UNSUPPORTED: return 2;
  case SMSMUX_ERR_UNKNOWN_OUTCOME: return 3;
  default: return 1;
  }
}

static const struct {
  uint32_t bit;
  const char *name;
} cap_names[] = {
    {SMSMUX_CAP_SMS, "sms"},
    {SMSMUX_CAP_UNICODE, "unicode"},
    {SMSMUX_CAP_MMS, "mms"},
    {SMSMUX_CAP_VOICE, "voice"},
    {SMSMUX_CAP_SCHEDULE, "schedule"},
    {SMSMUX_CAP_CANCEL, "cancel"},
    {SMSMUX_CAP_STATUS, "status"},
    {SMSMUX_CAP_REPLIES, "replies"},
    {SMSMUX_CAP_BALANCE, "balance"},
    {SMSMUX_CAP_ALPHA_SENDER, "alphanumeric_sender"},
    {SMSMUX_CAP_NOTIFY_URL, "notify_url"},
};

const char *smsmux_capability_name(uint32_t bit) {
  size_t i;
  for (i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
    if (cap_names[i].bit == bit)
      return cap_names[i].name;
  return NULL;
}

const char *smsmux_capabilities_string(uint32_t caps, char *buf, size_t len) {
  size_t i, used = 0;
  if (len)
    buf[0] = '\0';
  for (i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
    if (caps & cap_names[i].bit) {
      int n = snprintf(buf + used, len > used ? len - used : 0, "%s%s",
                       used ? ", " : "", cap_names[i].name);
      if (n > 0)
        used += (size_t)n;
    }
  return buf;
}

int smsmux_parse_time(const char *s, int64_t *when, smsmux_error *err) {
  char msg[256];
  if (msg_parse_at(s, when, msg, sizeof msg)) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "%s", msg);
    return -1;
  }
  return 0;
}

/* --------------------------------------------------------------- open -- */

/* The plugin `name`, loaded once per handle; NULL when out of memory. */
static plugin *plugin_for(struct smsmux *sm, const char *name) {
  size_t i;
  plugin *p, **more;
  for (i = 0; i < sm->n_plugins; i++)
    if (strcmp(sm->plugins[i]->name, name) == 0)
      return sm->plugins[i];
  more = realloc(sm->plugins, (sm->n_plugins + 1) * sizeof *sm->plugins);
  if (!more)
    return NULL;
  sm->plugins = more;
  if (!(p = loader_load(sm->cfg->plugin_dir, name)))
    return NULL;
  sm->plugins[sm->n_plugins++] = p;
  return p;
}

/* libxml2 is set up before the first instance opens (the host alone does
   it, not the plugins).  xmlCleanupParser is never called: a library must
   not tear down what the application (or another library) may still use. */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_setup(void) { xmlInitParser(); }

/* The process-wide pieces a handle needs: libltdl, libcurl, libxml2. */
static int libs_acquire(smsmux_error *err) {
  if (loader_init(err))
    return -1;
  if (httpc_global_init()) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "cannot initialise libcurl");
    loader_exit();
    return -1;
  }
  pthread_once(&xml_once, xml_setup);
  return 0;
}

static void libs_release(void) {
  httpc_global_cleanup();
  loader_exit();
}

/* NULL when out of memory (c is then the caller's still). */
static struct smsmux *handle_new(cfg *c, const smsmux_options *opts) {
  struct smsmux *sm = calloc(1, sizeof *sm);
  char *dir = NULL;
  if (!sm)
    return NULL;
  if (opts && opts->plugin_dir && !(dir = str_dup(opts->plugin_dir))) {
    free(sm);
    return NULL;
  }
  pthread_mutex_init(&sm->store_lock, NULL);
  pthread_mutex_init(&sm->queue_lock, NULL);
  pthread_mutex_init(&sm->tenant_lock, NULL);
  pthread_cond_init(&sm->queue_cond, NULL);
  sm->cfg = c;
  if (opts) {
    size_t n = opts->size < sizeof sm->opts ? opts->size : sizeof sm->opts;
    memcpy(&sm->opts, opts, n);
  }
  sm->opts.size = sizeof sm->opts;
  if (dir) {
    free(c->plugin_dir);
    c->plugin_dir = dir;
  }
  sm->opts.plugin_dir = NULL;
  log_sink_init(&sm->log, sm->opts.log, sm->opts.log_userdata,
                sm->opts.verbose);
  sm->env.conf = c;
  sm->env.log = &sm->log;
  sm->env.read_file = sm->opts.read_file;
  sm->env.read_file_userdata = sm->opts.read_file_userdata;
  return sm;
}

smsmux *smsmux_open(const char *ini_path, const smsmux_options *opts,
                    smsmux_error *err) {
  struct smsmux *sm;
  char *path;
  cfg *c;
  size_t i;

  err_clear(err);
  path = cfg_find(ini_path, err);
  if (!path)
    return NULL;
  c = cfg_load(path, err);
  free(path);
  if (!c)
    return NULL;
  if (router_check_config(c, err) || libs_acquire(err)) {
    cfg_free(c);
    return NULL;
  }
  if (!(sm = handle_new(c, opts))) {
    cfg_free(c);
    libs_release();
    err_oom(err);
    return NULL;
  }
  sm->inst = calloc(c->n_providers ? c->n_providers : 1, sizeof *sm->inst);
  if (!sm->inst) {
    smsmux_close(sm);
    err_oom(err);
    return NULL;
  }
  for (i = 0; i < c->n_providers; i++) {
    plugin *p = plugin_for(sm, c->providers[i].plugin);
    if (!p) {
      smsmux_close(sm);
      err_oom(err);
      return NULL;
    }
    sm->n_inst++;
    if (instance_init(&sm->inst[i], &sm->env, &c->providers[i], p, err)) {
      smsmux_close(sm);
      return NULL;
    }
  }
  /* instances are opened on first use (engine_instance) */
  return sm;
}

void smsmux_close(smsmux *sm) {
  size_t i;
  if (!sm)
    return;
  for (i = 0; i < sm->n_inst; i++)
    instance_close(&sm->inst[i]);
  free(sm->inst);
  for (i = 0; i < sm->n_plugins; i++)
    loader_unload(sm->plugins[i]);
  free(sm->plugins);
  if (sm->store)
    store_close(sm->store);
  free(sm->store_error);
  cfg_free(sm->cfg);
  pthread_mutex_destroy(&sm->store_lock);
  pthread_mutex_destroy(&sm->queue_lock);
  tenant_state_free(sm);
  pthread_mutex_destroy(&sm->tenant_lock);
  pthread_cond_destroy(&sm->queue_cond);
  log_sink_destroy(&sm->log);
  free(sm);
  libs_release();
}

const char *smsmux_config_path(const smsmux *sm) { return sm->cfg->path; }

const char *smsmux_config_value(const smsmux *sm, const char *section,
                                const char *key) {
  char sec[128], k[64];
  size_t i;
  cfg_provider *p;
  if (!sm || !section || !key || strlen(section) >= sizeof sec ||
      strlen(key) >= sizeof k)
    return NULL;
  for (i = 0; (sec[i] = (char)tolower((unsigned char)section[i])); i++)
    ;
  for (i = 0; (k[i] = (char)tolower((unsigned char)key[i])); i++)
    ;
  if (strcmp(sec, "server") == 0)
    return cfg_server_get(sm->cfg, k);
  if (strncmp(sec, "provider.", 9) == 0 &&
      (p = cfg_provider_find(sm->cfg, sec + 9)))
    return cfg_provider_get(p, k);
  return NULL;
}

/* ------------------------------------------------------ send and route -- */

smsmux_send_result *smsmux_send(smsmux *sm, const smsmux_send_request *req) {
  return engine_send(sm, req, NULL);
}

void smsmux_send_result_free(smsmux_send_result *r) {
  size_t i;
  if (!r)
    return;
  for (i = 0; i < r->n_recipients; i++) {
    free(r->recipients[i].to);
    free(r->recipients[i].id);
    free(r->recipients[i].provider);
    free(r->recipients[i].code);
    free(r->recipients[i].text);
  }
  free(r->recipients);
  for (i = 0; i < r->n_attempts; i++) {
    free(r->attempts[i].provider);
    free(r->attempts[i].code);
    free(r->attempts[i].message);
  }
  free(r->attempts);
  free(r->provider);
  free(r->id);
  free(r->route);
  free(r);
}

smsmux_route_explain *smsmux_route(smsmux *sm,
                                   const smsmux_send_request *req) {
  return engine_explain(sm, req);
}

void smsmux_route_explain_free(smsmux_route_explain *x) {
  size_t i;
  if (!x)
    return;
  for (i = 0; i < x->n_candidates; i++) {
    free(x->candidates[i].provider);
    free(x->candidates[i].reason);
  }
  free(x->candidates);
  free(x->route);
  free(x->policy);
  free(x);
}

