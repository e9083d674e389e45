/* smsmux: the application API.  Opens a configuration, loads and opens the
 * provider instances, and runs each operation through the host table. */
#include <config.h>

#include "cfg.h"
#include "host.h"
#include "http.h"
#include "internal.h"
#include "msg.h"
#include "router.h"

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

/* ------------------------------------------------------------ logging -- */

void sm_log(struct smsmux *sm, smsmux_log_level level, const char *fmt, ...) {
  va_list ap;
  char *line;
  if (level == SMSMUX_LOG_DEBUG && !sm->opts.verbose)
    return;
  va_start(ap, fmt);
  line = xvasprintf(fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&sm->log_lock);
  if (sm->opts.log)
    sm->opts.log(sm->opts.log_userdata, level, line);
  else
    fprintf(stderr, "smsmux: %s\n", line);
  pthread_mutex_unlock(&sm->log_lock);
  free(line);
}

state_db *sm_state(struct smsmux *sm, smsmux_error *err) {
  state_db *db;
  pthread_mutex_lock(&sm->state_lock);
  if (!sm->state && !sm->state_error) {
    char buf[512] = "";
    sm->state = state_open(sm->cfg->state_dir, buf, sizeof buf);
    if (!sm->state)
      sm->state_error = xstrdup(buf);
  }
  db = sm->state;
  if (!db)
    err_set(err, SMSMUX_ERR_CONFIG, NULL, "%s", sm->state_error);
  pthread_mutex_unlock(&sm->state_lock);
  return db;
}

instance *sm_instance(struct smsmux *sm, const char *name) {
  size_t i;
  for (i = 0; i < sm->n_inst; i++)
    if (str_ieq(sm->inst[i].cfg->name, name))
      return &sm->inst[i];
  return NULL;
}

/* --------------------------------------------------------------- open -- */

/* Key names that are secrets whatever the plugin says (used when the
   plugin could not be loaded to tell us). */
static int generic_secret(const char *key) {
  return strstr(key, "password") || strstr(key, "token") ||
         strstr(key, "secret") || strcmp(key, "passcode") == 0 ||
         strcmp(key, "pwd") == 0 || strstr(key, "api_key");
}

static const smsmux_config_key *plugin_key(const smsmux_provider *d,
                                           const char *key) {
  const smsmux_config_key *k;
  for (k = d ? d->config_keys : NULL; k && k->name; k++)
    if (strcmp(k->name, key) == 0)
      return k;
  return NULL;
}

static int key_is_secret(const instance *inst, const char *key) {
  const smsmux_config_key *k = plugin_key(inst->desc, key);
  if (k)
    return (k->flags & SMSMUX_KEY_SECRET) != 0;
  return generic_secret(key);
}

static plugin *plugin_for(struct smsmux *sm, const char *name) {
  size_t i;
  plugin *p;
  for (i = 0; i < sm->n_plugins; i++)
    if (strcmp(sm->plugins[i]->name, name) == 0)
      return sm->plugins[i];
  p = loader_load(sm->cfg->plugin_dir, name);
  sm->plugins = xrealloc(sm->plugins, (sm->n_plugins + 1) * sizeof *sm->plugins);
  sm->plugins[sm->n_plugins++] = p;
  return p;
}

/* Check one instance's keys against its plugin; CONFIG error on any. */
static int check_instance_config(struct smsmux *sm, instance *inst,
                                 smsmux_error *err) {
  const cfg_provider *p = inst->cfg;
  const smsmux_config_key *k;
  size_t i;

  for (i = 0; i < p->n_keys; i++) {
    const char *key = p->keys[i].key;
    if (p->key_literal[i] && key_is_secret(inst, key) &&
        (sm->cfg->mode & 077)) {
      err_set(err, SMSMUX_ERR_CONFIG, NULL,
              "%s holds the secret [provider.%s] %s but is readable by group "
              "or others (mode %04o): run `chmod 600 %s`, or write the value "
              "as env:VARIABLE",
              sm->cfg->path, p->name, key, (unsigned)sm->cfg->mode,
              sm->cfg->path);
      return -1;
    }
    if (inst->desc && !cfg_is_host_key(key) && !plugin_key(inst->desc, key)) {
      strbuf known = {0};
      for (k = inst->desc->config_keys; k && k->name; k++)
        sb_addf(&known, "%s%s", known.len ? ", " : "", k->name);
      err_set(err, SMSMUX_ERR_CONFIG, NULL,
              "%s: [provider.%s] %s: unknown key for plugin %s (its keys: %s; "
              "host keys: plugin, base_url, cost, cost.+PREFIX, "
              "credit_per_segment, enabled, timeout, max_rps)",
              sm->cfg->path, p->name, key, p->plugin,
              known.s ? known.s : "none");
      sb_free(&known);
      return -1;
    }
  }
  if (inst->desc)
    for (k = inst->desc->config_keys; k && k->name; k++)
      if ((k->flags & SMSMUX_KEY_REQUIRED) && p->enabled) {
        const char *v = cfg_provider_get(p, k->name);
        if (!v || !*v) {
          err_set(err, SMSMUX_ERR_CONFIG, NULL,
                  "%s: [provider.%s] %s: missing; the %s plugin needs it (%s)",
                  sm->cfg->path, p->name, k->name, p->plugin,
                  k->summary ? k->summary : "required");
          return -1;
        }
      }
  return 0;
}

static void collect_secrets(instance *inst) {
  const cfg_provider *p = inst->cfg;
  size_t i, n = 0;
  inst->secrets = xcalloc(p->n_keys + 1, sizeof *inst->secrets);
  for (i = 0; i < p->n_keys; i++)
    if (key_is_secret(inst, p->keys[i].key) && p->keys[i].value[0])
      inst->secrets[n++] = xstrdup(p->keys[i].value);
}

static void open_instance(struct smsmux *sm, instance *inst) {
  smsmux_call call;
  int rc;
  if (!inst->cfg->enabled) {
    inst->error = xstrdup("disabled (enabled = no)");
    return;
  }
  if (!inst->plugin || !inst->plugin->loaded) {
    inst->error = xstrdup(inst->plugin && inst->plugin->error
                              ? inst->plugin->error
                              : "plugin not loaded");
    return;
  }
  call_init(&call, inst, CALL_OPEN);
  rc = inst->desc->open(&host_table, &call, &inst->state);
  call_settle(&call, rc);
  if (call.failed) {
    inst->error = xasprintf("cannot open: %s", call.err.message);
    inst->state = NULL;
  } else {
    inst->usable = 1;
  }
  call_done(&call);
  (void)sm;
}

/* libxml2 is initialised before the first instance opens and cleaned up
   after the last one closes (DESIGN.md: the host alone does it). */
static pthread_mutex_t libs_lock = PTHREAD_MUTEX_INITIALIZER;
static int libs_refs;

static void libs_acquire(void) {
  pthread_mutex_lock(&libs_lock);
  if (libs_refs++ == 0)
    xmlInitParser();
  pthread_mutex_unlock(&libs_lock);
}

static void libs_release(void) {
  pthread_mutex_lock(&libs_lock);
  if (libs_refs > 0 && --libs_refs == 0)
    xmlCleanupParser();
  pthread_mutex_unlock(&libs_lock);
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
  if (loader_init(err)) {
    cfg_free(c);
    return NULL;
  }
  if (http_global_init()) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "cannot initialise libcurl");
    loader_exit();
    cfg_free(c);
    return NULL;
  }
  libs_acquire();

  sm = xcalloc(1, sizeof *sm);
  pthread_mutex_init(&sm->state_lock, NULL);
  pthread_mutex_init(&sm->log_lock, NULL);
  sm->cfg = c;
  if (opts) {
    size_t n = opts->size < sizeof sm->opts ? opts->size : sizeof sm->opts;
    memcpy(&sm->opts, opts, n);
  }
  sm->opts.size = sizeof sm->opts;
  if (sm->opts.plugin_dir) {
    free(c->plugin_dir);
    c->plugin_dir = xstrdup(sm->opts.plugin_dir);
  }
  sm->opts.plugin_dir = NULL;

  sm->n_inst = c->n_providers;
  sm->inst = xcalloc(sm->n_inst ? sm->n_inst : 1, sizeof *sm->inst);
  for (i = 0; i < sm->n_inst; i++) {
    instance *inst = &sm->inst[i];
    inst->sm = sm;
    inst->cfg = &c->providers[i];
    inst->http = http_pool_new();
    pthread_mutex_init(&inst->rate_lock, NULL);
    inst->plugin = plugin_for(sm, inst->cfg->plugin);
    if (inst->plugin->loaded)
      inst->desc = &inst->plugin->desc;
    inst->base_url = xstrdup(inst->cfg->base_url
                                 ? inst->cfg->base_url
                                 : (inst->desc && inst->desc->default_base_url
                                        ? inst->desc->default_base_url
                                        : NULL));
    /* a trailing '/' would double up with the plugin's paths */
    if (inst->base_url) {
      size_t l = strlen(inst->base_url);
      while (l > 0 && inst->base_url[l - 1] == '/')
        inst->base_url[--l] = '\0';
    }
    collect_secrets(inst);
    if (check_instance_config(sm, inst, err)) {
      smsmux_close(sm);
      return NULL;
    }
  }
  for (i = 0; i < sm->n_inst; i++)
    open_instance(sm, &sm->inst[i]);
  return sm;
}

void smsmux_close(smsmux *sm) {
  size_t i, j;
  if (!sm)
    return;
  for (i = 0; i < sm->n_inst; i++) {
    instance *inst = &sm->inst[i];
    if (inst->usable && inst->desc->close)
      inst->desc->close(inst->state);
    arena_free(&inst->open_mem);
    if (inst->http) /* else never initialised (open stopped before) */
      pthread_mutex_destroy(&inst->rate_lock);
    http_pool_free(inst->http);
    free(inst->error);
    free(inst->base_url);
    for (j = 0; inst->secrets && inst->secrets[j]; j++) {
      memset(inst->secrets[j], 0, strlen(inst->secrets[j]));
      free(inst->secrets[j]);
    }
    free(inst->secrets);
  }
  free(sm->inst);
  for (i = 0; i < sm->n_plugins; i++)
    loader_unload(sm->plugins[i]);
  free(sm->plugins);
  if (sm->state)
    state_close(sm->state);
  free(sm->state_error);
  cfg_free(sm->cfg);
  pthread_mutex_destroy(&sm->state_lock);
  pthread_mutex_destroy(&sm->log_lock);
  free(sm);
  libs_release();
  http_global_cleanup();
  loader_exit();
}

const char *smsmux_config_path(const smsmux *sm) { return sm->cfg->path; }

/* --------------------------------------------------------- validation -- */

/* A message checked and normalised once, before any provider sees it. */
typedef struct prepared {
  smsmux_kind kind;
  const char *text;
  msg_text_info info;
  char **to; /* E.164, deduplicated */
  size_t n_to;
  int64_t at;
} prepared;

static void prepared_free(prepared *p) {
  size_t i;
  for (i = 0; i < p->n_to; i++)
    free(p->to[i]);
  free(p->to);
  memset(p, 0, sizeof *p);
}

static int is_media_url(const char *u) {
  return str_starts(u, "http://") || str_starts(u, "https://");
}

static int prepare(struct smsmux *sm, const smsmux_send_request *req,
                   prepared *p, smsmux_error *err) {
  char msg[512];
  size_t i, j, cap = 0;

  memset(p, 0, sizeof *p);
  if (!req || req->size < offsetof(smsmux_send_request, n_options)) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "malformed send request");
    return -1;
  }
  p->kind = req->kind;
  if (p->kind != SMSMUX_KIND_SMS && p->kind != SMSMUX_KIND_MMS &&
      p->kind != SMSMUX_KIND_VOICE) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "unknown message kind %d",
            (int)p->kind);
    return -1;
  }
  p->text = req->text ? req->text : "";
  if (!*p->text && p->kind != SMSMUX_KIND_MMS) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "no text: give the message with --text or --text-file");
    return -1;
  }
  if (p->kind == SMSMUX_KIND_MMS && !*p->text && !req->image_url &&
      !req->video_url && !req->audio_url) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "an MMS needs a text or a media (--image, --video, --audio)");
    return -1;
  }
  {
    const char *urls[3] = {req->image_url, req->video_url, req->audio_url};
    for (i = 0; i < 3; i++)
      if (urls[i] && !is_media_url(urls[i])) {
        err_set(err, SMSMUX_ERR_INPUT, NULL,
                "media URL \"%s\" must start with http:// or https://",
                urls[i]);
        return -1;
      }
  }
  if (msg_text_analyse(p->text, &p->info, msg, sizeof msg)) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "text: %s", msg);
    return -1;
  }
  /* an MMS is one message whatever its length: priced and counted as one
     "segment" (its provider checks its own text limits) */
  if (p->kind == SMSMUX_KIND_MMS)
    p->info.segments = 1;
  if (!req->to || req->n_to == 0) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "no recipient: give numbers with --to or --to-file");
    return -1;
  }
  for (i = 0; i < req->n_to; i++) {
    char e164[32];
    int dup = 0;
    if (msg_number_e164(req->to[i], sm->cfg->default_cc, e164, sizeof e164,
                        msg, sizeof msg)) {
      err_set(err, SMSMUX_ERR_INPUT, NULL, "%s", msg);
      prepared_free(p);
      return -1;
    }
    /* the same number twice in one message would be sent (and paid)
       twice: keep it once */
    for (j = 0; j < p->n_to && !dup; j++)
      dup = strcmp(p->to[j], e164) == 0;
    if (!dup)
      *VEC_PUSH(p->to, p->n_to, cap) = xstrdup(e164);
  }
  if (req->from && msg_sender_check(req->from, 0, msg, sizeof msg)) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "%s", msg);
    prepared_free(p);
    return -1;
  }
  if (req->at && *req->at) {
    if (msg_parse_at(req->at, &p->at, msg, sizeof msg)) {
      err_set(err, SMSMUX_ERR_INPUT, NULL, "--at: %s", msg);
      prepared_free(p);
      return -1;
    }
    if (p->at < (int64_t)time(NULL) - 60) {
      err_set(err, SMSMUX_ERR_INPUT, NULL,
              "--at \"%s\" is in the past: give a future date or leave it "
              "out to send now",
              req->at);
      prepared_free(p);
      return -1;
    }
  }
  return 0;
}

static void router_msg_of(const prepared *p, const smsmux_send_request *req,
                          router_msg *m) {
  memset(m, 0, sizeof *m);
  m->kind = p->kind;
  m->encoding = p->info.encoding;
  m->segments = p->info.segments;
  m->chars = p->info.chars;
  m->to = (const char *const *)p->to;
  m->n_to = p->n_to;
  m->from = req->from;
  m->scheduled = p->at != 0;
}

/* "no provider can take it: a: why; b: why".  The class says what to do:
   CONFIG when no provider is usable at all, TEMPORARY when some are only
   resting (breaker), CREDIT when some only lack credit, else INPUT (the
   message itself needs what no candidate has). */
static void no_candidate_error(const router_plan *plan, smsmux_error *err) {
  strbuf b = {0};
  size_t i, counts[SKIP_CREDIT + 1] = {0};
  smsmux_error_class cls = SMSMUX_ERR_INPUT;
  for (i = 0; i < plan->n; i++) {
    sb_addf(&b, "%s%s: %s", i ? "; " : "", plan->cand[i].inst->cfg->name,
            plan->cand[i].reason ? plan->cand[i].reason : "?");
    counts[plan->cand[i].skip]++;
  }
  if (counts[SKIP_BREAKER])
    cls = SMSMUX_ERR_TEMPORARY;
  else if (counts[SKIP_CREDIT])
    cls = SMSMUX_ERR_CREDIT;
  else if (plan->n == 0 || counts[SKIP_UNUSABLE] == plan->n)
    cls = SMSMUX_ERR_CONFIG;
  err_set(err, cls, NULL,
          "no provider can take this message (route %s): %s; nothing was "
          "sent",
          plan->route, b.len ? b.s : "no provider is configured and enabled");
  sb_free(&b);
}

/* ---------------------------------------------------------------- send -- */

typedef struct send_state {
  smsmux_send_result *r;
  size_t cap_rcpt, cap_att;
  /* parallel to r->recipients: the index of each in prepared.to, and the
     class of its outcome (SMSMUX_OK when taken); what sm_send's rows need */
  size_t *rcpt_idx;
  smsmux_error_class *rcpt_cls;
  size_t cap_idx, cap_cls, n_idx, n_cls;
  /* every message id a provider handed back (the provider's name and the
     id, both owned): journaled by sm_send with the rest, in one
     transaction */
  char **ids;
  size_t n_ids, cap_ids;
} send_state;

static void add_attempt(send_state *st, const instance *inst, int ok,
                        const smsmux_error *e, size_t n_to) {
  smsmux_attempt *a = VEC_PUSH(st->r->attempts, st->r->n_attempts, st->cap_att);
  a->provider = xstrdup(inst->cfg->name);
  a->ok = ok;
  a->cls = ok ? SMSMUX_OK : e->cls;
  a->code = ok ? NULL : (e->code[0] ? xstrdup(e->code) : NULL);
  a->message = ok ? xasprintf("accepted %zu recipient(s)", n_to)
                  : xstrdup(e->message);
}

static void add_rcpt(send_state *st, size_t idx, smsmux_error_class cls,
                     const char *to, smsmux_status s, const char *id,
                     const char *provider, const char *code,
                     const char *text) {
  smsmux_recipient_result *rr =
      VEC_PUSH(st->r->recipients, st->r->n_recipients, st->cap_rcpt);
  *VEC_PUSH(st->rcpt_idx, st->n_idx, st->cap_idx) = idx;
  *VEC_PUSH(st->rcpt_cls, st->n_cls, st->cap_cls) = cls;
  rr->to = xstrdup(to);
  rr->status = s;
  rr->id = xstrdup(id);
  rr->provider = xstrdup(provider);
  rr->code = xstrdup(code);
  rr->text = xstrdup(text);
}

/* max_rps: requests to one instance are spaced 1/max_rps seconds apart,
   whichever thread makes them (a token bucket of depth one, shared by the
   threads of this process: a batch's workers honour it together). */
static void throttle(instance *inst) {
  struct timespec now, at;
  double rps = inst->cfg->max_rps, t, slot;
  if (rps <= 0)
    return;
  clock_gettime(CLOCK_MONOTONIC, &now);
  t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
  pthread_mutex_lock(&inst->rate_lock);
  slot = inst->rate_next > t ? inst->rate_next : t;
  inst->rate_next = slot + 1.0 / rps;
  pthread_mutex_unlock(&inst->rate_lock);
  if (slot <= t)
    return;
  at.tv_sec = (time_t)slot;
  at.tv_nsec = (long)((slot - (double)at.tv_sec) * 1e9);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) != 0)
    ; /* EINTR (a signal): sleep on to the same instant */
}

/* Options a message carries that the provider taking it does not read
   (a plugin declares the ones it reads): said once, here, for every plugin.
   Not an error: with failover, an option may be meant for another one. */
static void log_unknown_options(instance *inst, const smsmux_message *m) {
  const char *const *known = inst->desc->send_options;
  size_t i;
  if (!known || !inst->sm->opts.verbose)
    return;
  for (i = 0; i < m->n_options; i++) {
    const char *const *k;
    int found = 0;
    for (k = known; *k && !found; k++)
      found = str_ieq(*k, m->options[i].key);
    if (!found)
      sm_log(inst->sm, SMSMUX_LOG_DEBUG,
             "%s: option %s is not one the %s plugin reads: ignored",
             inst->cfg->name, m->options[i].key, inst->cfg->plugin);
  }
}

/* Send the recipients p->to[idx[0..n)] through inst; 0 on success, else
   the error class. */
static smsmux_error_class send_chunk(instance *inst, const prepared *p,
                                     const smsmux_send_request *req,
                                     const size_t *idx, size_t n,
                                     send_state *st, smsmux_error *err) {
  smsmux_call call;
  smsmux_message m;
  char **to = xcalloc(n ? n : 1, sizeof *to);
  size_t i, j;
  int rc;

  for (i = 0; i < n; i++)
    to[i] = p->to[idx[i]];
  memset(&m, 0, sizeof m);
  m.size = sizeof m;
  m.kind = p->kind;
  m.text = p->text;
  m.encoding = p->info.encoding;
  m.segments = p->info.segments;
  m.text_units = p->info.units;
  m.to = (const char *const *)to;
  m.n_to = n;
  m.from = req->from;
  m.at = p->at;
  m.ref = req->ref;
  m.image_url = req->image_url;
  m.video_url = req->video_url;
  m.audio_url = req->audio_url;
  m.duration = req->duration;
  m.subject = req->subject;
  m.options = req->options;
  m.n_options = req->options ? req->n_options : 0;

  throttle(inst);
  call_init(&call, inst, CALL_SEND);
  log_unknown_options(inst, &m);
  rc = inst->desc->send(inst->state, &call, &m);
  call_settle(&call, rc);
  if (call.failed) {
    *err = call.err;
    add_attempt(st, inst, 0, &call.err, n);
    call_done(&call);
    free(to);
    return err->cls;
  }
  add_attempt(st, inst, 1, NULL, n);
  if (!st->r->provider) {
    st->r->provider = xstrdup(inst->cfg->name);
    st->r->id = xstrdup(call.message_id);
  }
  /* every recipient of the chunk gets a line: the plugin's own, or
     "accepted" with the message id (plugins mostly report recipients in
     the order given: that one is looked at first) */
  for (i = 0; i < n; i++) {
    const call_recipient *cr = NULL;
    if (i < call.n_recipients && call.recipients[i].to &&
        strcmp(call.recipients[i].to, to[i]) == 0)
      cr = &call.recipients[i];
    for (j = 0; j < call.n_recipients && !cr; j++)
      if (call.recipients[j].to && strcmp(call.recipients[j].to, to[i]) == 0)
        cr = &call.recipients[j];
    if (cr)
      add_rcpt(st, idx[i], SMSMUX_OK, to[i], cr->status,
               cr->id ? cr->id : call.message_id, inst->cfg->name, cr->code,
               cr->text);
    else
      add_rcpt(st, idx[i], SMSMUX_OK, to[i],
               p->at ? SMSMUX_STATUS_SCHEDULED : SMSMUX_STATUS_ACCEPTED,
               call.message_id, inst->cfg->name, NULL, NULL);
  }
  if (call.message_id) {
    *VEC_PUSH(st->ids, st->n_ids, st->cap_ids) = xstrdup(inst->cfg->name);
    *VEC_PUSH(st->ids, st->n_ids, st->cap_ids) = xstrdup(call.message_id);
  }
  if (call.has_balance) {
    state_db *db = sm_state(inst->sm, NULL);
    if (db) {
      /* some providers answer a send with the credit left: the freshest
         balance the router can have */
      char buf[64];
      snprintf(buf, sizeof buf, "%.6f", call.balance);
      state_kv_set(db, "balance", inst->cfg->name, buf);
    }
  }
  call_done(&call);
  free(to);
  return SMSMUX_OK;
}

/* The journal status a settled recipient leaves behind. */
static const char *journal_status_of(smsmux_status s) {
  switch (s) {
  case SMSMUX_STATUS_UNKNOWN: return "unknown";
  case SMSMUX_STATUS_REJECTED:
  case SMSMUX_STATUS_UNDELIVERED:
  case SMSMUX_STATUS_EXPIRED:
  case SMSMUX_STATUS_CANCELLED: return "failed";
  default: return "sent";
  }
}

/* What a send leaves in the journal, in one transaction: the message ids
   the providers handed back, the ref's outcome (`ref_status` non-NULL:
   --ref was reserved), each reserved row's outcome (rows mode), and the
   attempts.  A journal failure does not change the send's result. */
static void journal_send(struct smsmux *sm, state_db *db,
                         const smsmux_send_result *r, const send_state *st,
                         const char *ref, const char *ref_status,
                         const sm_row *rows, const int *row_reserved) {
  state_journal_row *jr;
  state_journal_attempt_row *ja;
  size_t n = 0, i;
  if (!db)
    db = sm_state(sm, NULL);
  if (!db)
    return;
  jr = xcalloc(st->n_ids / 2 + 1 + r->n_recipients, sizeof *jr);
  ja = xcalloc(r->n_attempts ? r->n_attempts : 1, sizeof *ja);
  for (i = 0; i + 1 < st->n_ids; i += 2) {
    jr[n].status = "sent";
    jr[n].provider = st->ids[i];
    jr[n].message_id = st->ids[i + 1];
    n++;
  }
  if (ref_status) {
    jr[n].ref = ref;
    jr[n].status = ref_status;
    jr[n].provider = r->provider;
    jr[n].message_id = r->id;
    n++;
  }
  if (rows)
    for (i = 0; i < r->n_recipients; i++) {
      size_t k = st->rcpt_idx[i];
      const smsmux_recipient_result *rr = &r->recipients[i];
      if (!row_reserved[k])
        continue;
      jr[n].ref = rows[k].ref;
      jr[n].status = journal_status_of(rr->status);
      jr[n].provider = rr->provider;
      jr[n].message_id = rr->id;
      n++;
    }
  for (i = 0; i < r->n_attempts; i++) {
    const smsmux_attempt *a = &r->attempts[i];
    ja[i].ref = ref ? ref : (r->id ? r->id : "");
    ja[i].provider = a->provider;
    ja[i].outcome = a->ok ? "ok" : "failed";
    ja[i].cls = smsmux_error_class_name(a->cls);
    ja[i].code = a->code;
    ja[i].message = a->message;
  }
  (void)state_journal_finish_all(db, jr, n, ja, r->n_attempts, NULL, 0);
  free(jr);
  free(ja);
}

/* rows mode: reserve each recipient's own ref.  A recipient already
   journaled is not sent again: it gets its line (from the journal) and
   leaves `pending`.  -1 (r->error set, the rows reserved so far marked
   "failed" so that a rerun tries them) when the journal fails. */
static int reserve_rows(struct smsmux *sm, const prepared *p, sm_row *rows,
                        int *reserved, size_t *pending, size_t *n_pending,
                        send_state *st, state_db **dbp) {
  smsmux_send_result *r = st->r;
  size_t i, k;
  *n_pending = 0;
  for (i = 0; i < p->n_to; i++) {
    state_journal_entry e = {0};
    char msg[512] = "";
    int rc;
    if (!rows[i].ref || !*rows[i].ref) {
      pending[(*n_pending)++] = i;
      continue;
    }
    if (!*dbp && !(*dbp = sm_state(sm, &r->error)))
      rc = -1;
    else
      rc = state_journal_reserve(*dbp, rows[i].ref, &e, msg, sizeof msg);
    if (rc < 0) {
      if (r->error.cls == SMSMUX_OK)
        err_set(&r->error, SMSMUX_ERR_SYSTEM, NULL, "%s", msg);
      for (k = 0; k < i; k++)
        if (reserved[k]) {
          state_journal_finish(*dbp, rows[k].ref, "failed", NULL, NULL, NULL,
                               NULL, 0);
          reserved[k] = 0;
        }
      return -1;
    }
    if (rc == 0) {
      reserved[i] = 1;
      pending[(*n_pending)++] = i;
      continue;
    }
    if (e.status && strcmp(e.status, "sent") == 0) {
      rows[i].journaled = 1;
      add_rcpt(st, i, SMSMUX_OK, p->to[i], SMSMUX_STATUS_ACCEPTED,
               e.message_id, e.provider, NULL, NULL);
    } else {
      char *m = xasprintf(
          "a send with --ref %s was already started (%s%s%s) and its "
          "outcome is not known: nothing was sent again; check `smsmux "
          "status`%s%s before using a new --ref",
          rows[i].ref, e.status ? e.status : "pending",
          e.provider ? " via " : "", e.provider ? e.provider : "",
          e.message_id ? " " : "", e.message_id ? e.message_id : "");
      rows[i].journaled = 2;
      add_rcpt(st, i, SMSMUX_ERR_UNKNOWN_OUTCOME, p->to[i],
               SMSMUX_STATUS_UNKNOWN, e.message_id, e.provider, NULL, m);
      free(m);
    }
    state_journal_entry_clear(&e);
  }
  return 0;
}

smsmux_send_result *sm_send(struct smsmux *sm, const smsmux_send_request *req,
                            sm_row *rows) {
  smsmux_send_result *r = xcalloc(1, sizeof *r);
  send_state st;
  prepared p;
  router_msg rm;
  router_plan plan;
  size_t *pending = NULL, *next = NULL;
  int *row_reserved = NULL;
  size_t n_pending = 0, n_next = 0, cap_next = 0, i, c;
  smsmux_error last = {0};
  int reserved = 0;
  state_db *db = NULL;
  const char *ref_status = NULL;

  memset(&st, 0, sizeof st);
  st.r = r;
  memset(&plan, 0, sizeof plan);
  if (rows)
    for (i = 0; req && i < req->n_to; i++) {
      rows[i].journaled = 0;
      rows[i].rcpt = (size_t)-1;
      rows[i].cls = SMSMUX_OK;
    }
  if (prepare(sm, req, &p, &r->error))
    goto rows_out;
  r->encoding = p.info.encoding;
  r->segments = p.info.segments;
  if (rows && p.n_to != req->n_to) {
    err_set(&r->error, SMSMUX_ERR_INPUT, NULL,
            "the same number twice in one grouped send");
    prepared_free(&p);
    goto rows_out;
  }
  router_msg_of(&p, req, &rm);
  if (router_plan_build(sm, &rm, req->route, req->provider, 1, &plan,
                        &r->error)) {
    prepared_free(&p);
    goto rows_out;
  }
  r->route = xstrdup(plan.route);
  for (c = 0; c < plan.n && !plan.cand[c].eligible; c++)
    ;
  if (c == plan.n) {
    no_candidate_error(&plan, &r->error);
    goto out;
  }

  pending = xcalloc(p.n_to ? p.n_to : 1, sizeof *pending);
  if (rows) {
    /* one ref per recipient: each is journaled on its own */
    row_reserved = xcalloc(p.n_to ? p.n_to : 1, sizeof *row_reserved);
    if (reserve_rows(sm, &p, rows, row_reserved, pending, &n_pending, &st,
                     &db))
      goto out;
    if (n_pending == 0 && p.n_to) {
      r->duplicate = 1;
      goto settle_rows;
    }
  } else if (req->ref && *req->ref) {
    /* --ref: the journal makes a retried command a no-op */
    state_journal_entry e = {0};
    char msg[512] = "";
    int rc;
    db = sm_state(sm, &r->error);
    if (!db)
      goto out;
    rc = state_journal_reserve(db, req->ref, &e, msg, sizeof msg);
    if (rc < 0) {
      err_set(&r->error, SMSMUX_ERR_SYSTEM, NULL, "%s", msg);
      goto out;
    }
    if (rc == 1) {
      r->duplicate = 1;
      r->provider = xstrdup(e.provider);
      r->id = xstrdup(e.message_id);
      if (e.status && strcmp(e.status, "sent") != 0) {
        r->possibly_sent = 1;
        err_set(&r->error, SMSMUX_ERR_UNKNOWN_OUTCOME, NULL,
                "a send with --ref %s was already started (%s%s%s) and its "
                "outcome is not known: nothing was sent again; check "
                "`smsmux status`%s%s before using a new --ref",
                req->ref, e.status, e.provider ? " via " : "",
                e.provider ? e.provider : "", e.message_id ? " " : "",
                e.message_id ? e.message_id : "");
      }
      state_journal_entry_clear(&e);
      goto out;
    }
    reserved = 1;
  }
  if (!rows) {
    for (i = 0; i < p.n_to; i++)
      pending[i] = i;
    n_pending = p.n_to;
  }

  /* Failover, chunk by chunk: recipients a provider refused with a
     "move on" class go to the next candidate; the others are settled. */
  for (; c < plan.n && n_pending; c++) {
    router_candidate *rc = &plan.cand[c];
    size_t max, off;
    if (!rc->eligible)
      continue;
    max = rc->inst->desc->max_recipients ? rc->inst->desc->max_recipients : 1;
    n_next = 0;
    for (off = 0; off < n_pending; off += max) {
      size_t n = n_pending - off < max ? n_pending - off : max;
      smsmux_error e = {0};
      smsmux_error_class cls =
          send_chunk(rc->inst, &p, req, pending + off, n, &st, &e);
      router_record(sm, rc, cls, (double)n / (double)p.n_to);
      if (cls == SMSMUX_OK) {
        r->cost += rc->cost * (double)n / (double)p.n_to;
        continue;
      }
      last = e;
      if (router_moves_on(cls, plan.failover_on_unknown) && c + 1 < plan.n) {
        for (i = 0; i < n; i++)
          *VEC_PUSH(next, n_next, cap_next) = pending[off + i];
      } else {
        /* settled as failed (or possibly sent) */
        smsmux_status s = cls == SMSMUX_ERR_UNKNOWN_OUTCOME
                              ? SMSMUX_STATUS_UNKNOWN
                              : SMSMUX_STATUS_REJECTED;
        if (cls == SMSMUX_ERR_UNKNOWN_OUTCOME)
          r->possibly_sent = 1;
        for (i = 0; i < n; i++)
          add_rcpt(&st, pending[off + i], cls, p.to[pending[off + i]], s,
                   NULL, rc->inst->cfg->name, e.code[0] ? e.code : NULL,
                   e.message);
        if (r->error.cls == SMSMUX_OK ||
            cls == SMSMUX_ERR_UNKNOWN_OUTCOME)
          r->error = e;
      }
    }
    if (n_next)
      memcpy(pending, next, n_next * sizeof *pending);
    n_pending = n_next;
  }
  /* recipients still pending: every candidate failed them */
  for (i = 0; i < n_pending; i++)
    add_rcpt(&st, pending[i], last.cls ? last.cls : SMSMUX_ERR_TEMPORARY,
             p.to[pending[i]], SMSMUX_STATUS_REJECTED, NULL, NULL,
             last.code[0] ? last.code : NULL, last.message);
  if (n_pending && (r->error.cls == SMSMUX_OK))
    r->error = last;
  if (r->error.cls != SMSMUX_OK && r->provider && !r->possibly_sent) {
    /* partly sent: say so */
    char *m = xasprintf("%s (other recipients were accepted by %s)",
                        r->error.message, r->provider);
    snprintf(r->error.message, sizeof r->error.message, "%s", m);
    free(m);
  }

  if (reserved)
    ref_status = r->possibly_sent                 ? "unknown"
                 : r->error.cls == SMSMUX_OK       ? "sent"
                 : r->provider                    ? "sent"
                                                  : "failed";
settle_rows:
  if (rows)
    /* each row's journal entry, from its own recipient line */
    for (i = 0; i < r->n_recipients; i++) {
      size_t k = st.rcpt_idx[i];
      rows[k].rcpt = i;
      rows[k].cls = st.rcpt_cls[i];
    }
  /* the ids, the ref or the rows, the attempts: one transaction */
  journal_send(sm, db, r, &st, rows ? NULL : req->ref, ref_status, rows,
               row_reserved);
out:
  if (rows && row_reserved) /* reserved but never settled (cannot happen) */
    for (i = 0; i < p.n_to; i++)
      if (row_reserved[i] && rows[i].rcpt == (size_t)-1)
        state_journal_finish(db, rows[i].ref, "failed", NULL, NULL, NULL,
                             NULL, 0);
  free(pending);
  free(next);
  free(row_reserved);
  router_plan_free(&plan);
  prepared_free(&p);
rows_out:
  if (rows)
    for (i = 0; req && i < req->n_to; i++)
      if (rows[i].rcpt == (size_t)-1 && rows[i].cls == SMSMUX_OK)
        rows[i].cls = r->error.cls;
  free(st.rcpt_idx);
  free(st.rcpt_cls);
  for (i = 0; i < st.n_ids; i++)
    free(st.ids[i]);
  free(st.ids);
  return r;
}

smsmux_send_result *smsmux_send(smsmux *sm, const smsmux_send_request *req) {
  return sm_send(sm, req, NULL);
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

/* --------------------------------------------------------------- route -- */

smsmux_route_explain *smsmux_route(smsmux *sm,
                                   const smsmux_send_request *req) {
  smsmux_route_explain *x = xcalloc(1, sizeof *x);
  prepared p;
  router_msg rm;
  router_plan plan;
  size_t i;
  int chosen = 0;

  if (prepare(sm, req, &p, &x->error))
    return x;
  x->encoding = p.info.encoding;
  x->segments = p.info.segments;
  router_msg_of(&p, req, &rm);
  if (router_plan_build(sm, &rm, req->route, req->provider, 0, &plan,
                        &x->error)) {
    prepared_free(&p);
    return x;
  }
  x->route = xstrdup(plan.route);
  x->policy = xstrdup(plan.policy);
  x->candidates = xcalloc(plan.n ? plan.n : 1, sizeof *x->candidates);
  x->n_candidates = plan.n;
  for (i = 0; i < plan.n; i++) {
    smsmux_route_candidate *rc = &x->candidates[i];
    rc->provider = xstrdup(plan.cand[i].inst->cfg->name);
    rc->chosen = plan.cand[i].eligible && !chosen;
    if (rc->chosen) {
      chosen = 1;
      rc->reason = xasprintf("chosen: %s", plan.cand[i].reason);
    } else {
      rc->reason = xstrdup(plan.cand[i].reason);
    }
    rc->cost = plan.cand[i].cost;
  }
  if (!chosen)
    no_candidate_error(&plan, &x->error);
  router_plan_free(&plan);
  prepared_free(&p);
  return x;
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

/* ---------------------------------------------- single-provider calls -- */

/* The instance for an operation needing capability `cap` (0: none). */
static instance *usable_instance(struct smsmux *sm, const char *name,
                                 uint32_t cap, const char *what,
                                 smsmux_error *err) {
  instance *inst = sm_instance(sm, name);
  char caps[256];
  if (!inst) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "unknown provider \"%s\": `smsmux providers` lists the "
            "configured ones",
            name);
    return NULL;
  }
  if (!inst->usable) {
    err_set(err, SMSMUX_ERR_CONFIG, NULL, "provider %s is unusable: %s",
            inst->cfg->name, inst->error ? inst->error : "not loaded");
    return NULL;
  }
  if (cap && !(inst->desc->capabilities & cap)) {
    err_set(err, SMSMUX_ERR_UNSUPPORTED, NULL,
            "provider %s (plugin %s) does not support %s (it supports: %s)",
            inst->cfg->name, inst->cfg->plugin, what,
            smsmux_capabilities_string(inst->desc->capabilities, caps,
                                       sizeof caps));
    return NULL;
  }
  return inst;
}

smsmux_status_result *smsmux_status_get(smsmux *sm, const char *provider,
                                        const char *id) {
  smsmux_status_result *r = xcalloc(1, sizeof *r);
  char *found = NULL;
  instance *inst;
  smsmux_call call;
  int rc;

  if (!id || !*id) {
    err_set(&r->error, SMSMUX_ERR_INPUT, NULL, "status: which message id?");
    return r;
  }
  if (!provider) {
    state_db *db = sm_state(sm, NULL);
    if (!db || state_provider_of(db, id, &found) != 0) {
      err_set(&r->error, SMSMUX_ERR_INPUT, NULL,
              "message %s is not in the journal of %s: say which provider "
              "sent it with --provider",
              id, sm->cfg->state_dir);
      return r;
    }
    provider = found;
  }
  r->id = xstrdup(id);
  r->provider = xstrdup(provider);
  inst = usable_instance(sm, provider, SMSMUX_CAP_STATUS, "delivery status",
                         &r->error);
  free(found);
  if (!inst)
    return r;
  call_init(&call, inst, CALL_STATUS);
  rc = inst->desc->status(inst->state, &call, id);
  call_settle(&call, rc);
  if (call.failed) {
    r->error = call.err;
  } else {
    r->entries = call.statuses;
    r->n_entries = call.n_statuses;
    call.statuses = NULL;
    call.n_statuses = 0;
  }
  call_done(&call);
  return r;
}

void smsmux_status_result_free(smsmux_status_result *r) {
  size_t i;
  if (!r)
    return;
  for (i = 0; i < r->n_entries; i++) {
    free(r->entries[i].to);
    free(r->entries[i].code);
    free(r->entries[i].text);
    free(r->entries[i].at);
  }
  free(r->entries);
  free(r->provider);
  free(r->id);
  free(r);
}

smsmux_replies_result *smsmux_replies(smsmux *sm, const char *provider,
                                      const smsmux_reply_query *q) {
  smsmux_replies_result *r = xcalloc(1, sizeof *r);
  smsmux_reply_query query = {0};
  instance *inst = NULL;
  smsmux_call call;
  int rc;
  size_t i, n_capable = 0;

  if (q) {
    size_t n = q->size < sizeof query ? q->size : sizeof query;
    memcpy(&query, q, n);
  }
  query.size = sizeof query;
  if (!provider) {
    for (i = 0; i < sm->n_inst; i++)
      if (sm->inst[i].usable &&
          (sm->inst[i].desc->capabilities & SMSMUX_CAP_REPLIES)) {
        inst = &sm->inst[i];
        n_capable++;
      }
    if (n_capable != 1) {
      err_set(&r->error, SMSMUX_ERR_INPUT, NULL,
              "%s: say which one with --provider",
              n_capable ? "several providers can list replies"
                        : "no configured provider can list replies");
      return r;
    }
    provider = inst->cfg->name;
  }
  r->provider = xstrdup(provider);
  inst = usable_instance(sm, provider, SMSMUX_CAP_REPLIES, "replies",
                         &r->error);
  if (!inst)
    return r;
  if ((query.since || query.until) && (query.start || query.count)) {
    err_set(&r->error, SMSMUX_ERR_INPUT, NULL,
            "replies: give either a date range (--since/--until) or "
            "pagination (--start/--count), not both");
    return r;
  }
  call_init(&call, inst, CALL_REPLIES);
  rc = inst->desc->replies(inst->state, &call, &query);
  call_settle(&call, rc);
  if (call.failed) {
    r->error = call.err;
  } else {
    r->entries = call.replies;
    r->n_entries = call.n_replies;
    call.replies = NULL;
    call.n_replies = 0;
  }
  call_done(&call);
  return r;
}

void smsmux_replies_result_free(smsmux_replies_result *r) {
  size_t i;
  if (!r)
    return;
  for (i = 0; i < r->n_entries; i++) {
    smsmux_reply_entry *e = &r->entries[i];
    free(e->from);
    free(e->to);
    free(e->text);
    free(e->at);
    free(e->id);
    free(e->message_id);
  }
  free(r->entries);
  free(r->provider);
  free(r);
}

int sm_balance(struct smsmux *sm, instance *inst, double *credit,
               char **unit, smsmux_error *err) {
  smsmux_call call;
  state_db *db;
  int rc;
  call_init(&call, inst, CALL_BALANCE);
  rc = inst->desc->balance(inst->state, &call);
  call_settle(&call, rc);
  if (!call.failed && !call.has_balance) {
    call.failed = 1;
    err_set(&call.err, SMSMUX_ERR_PERMANENT, NULL,
            "%s: the plugin returned no balance", inst->cfg->name);
  }
  if (call.failed) {
    if (err)
      *err = call.err;
    call_done(&call);
    return -1;
  }
  *credit = call.balance;
  if (unit)
    *unit = xstrdup(call.balance_unit);
  call_done(&call);
  /* every fresh reading refreshes the router's cache (cheapest policy) */
  db = sm_state(sm, NULL);
  if (db) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.6f", *credit);
    state_kv_set(db, "balance", inst->cfg->name, buf);
  }
  return 0;
}

static void credit_of(instance *inst, smsmux_credit_entry *e) {
  e->provider = xstrdup(inst->cfg->name);
  e->ok = sm_balance(inst->sm, inst, &e->credit, &e->unit, &e->error) == 0;
}

smsmux_credit_result *smsmux_credit(smsmux *sm, const char *provider) {
  smsmux_credit_result *r = xcalloc(1, sizeof *r);
  size_t i, cap = 0;
  if (provider) {
    instance *inst = usable_instance(sm, provider, SMSMUX_CAP_BALANCE,
                                     "reading the balance", &r->error);
    if (inst)
      credit_of(inst, VEC_PUSH(r->entries, r->n_entries, cap));
    return r;
  }
  for (i = 0; i < sm->n_inst; i++) {
    instance *inst = &sm->inst[i];
    smsmux_credit_entry *e;
    if (!inst->cfg->enabled)
      continue;
    if (inst->usable && !(inst->desc->capabilities & SMSMUX_CAP_BALANCE))
      continue; /* nothing to ask: not a failure */
    e = VEC_PUSH(r->entries, r->n_entries, cap);
    if (!inst->usable) {
      e->provider = xstrdup(inst->cfg->name);
      err_set(&e->error, SMSMUX_ERR_CONFIG, NULL, "provider %s is unusable: %s",
              inst->cfg->name, inst->error ? inst->error : "not loaded");
      continue;
    }
    credit_of(inst, e);
  }
  return r;
}

void smsmux_credit_result_free(smsmux_credit_result *r) {
  size_t i;
  if (!r)
    return;
  for (i = 0; i < r->n_entries; i++) {
    free(r->entries[i].provider);
    free(r->entries[i].unit);
  }
  free(r->entries);
  free(r);
}

int smsmux_cancel(smsmux *sm, const char *provider, const char *id,
                  smsmux_error *err) {
  instance *inst;
  smsmux_call call;
  int rc;
  err_clear(err);
  if (!id || !*id) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "cancel: which message id?");
    return -1;
  }
  inst = usable_instance(sm, provider ? provider : "", SMSMUX_CAP_CANCEL,
                         "cancelling a message", err);
  if (!inst)
    return -1;
  call_init(&call, inst, CALL_CANCEL);
  rc = inst->desc->cancel(inst->state, &call, id);
  call_settle(&call, rc);
  if (call.failed && err)
    *err = call.err;
  rc = call.failed ? -1 : 0;
  call_done(&call);
  return rc;
}

/* "name(a, b?)" for listings */
static char *operation_signature(const smsmux_operation *op) {
  strbuf b = {0};
  const char *const *pp;
  sb_addf(&b, "%s(", op->name);
  for (pp = op->params; pp && *pp; pp++)
    sb_addf(&b, "%s%s", pp == op->params ? "" : ", ", *pp);
  sb_adds(&b, ")");
  return sb_steal(&b);
}

static const smsmux_operation *find_operation(const smsmux_provider *d,
                                              const char *op) {
  const smsmux_operation *o;
  for (o = d->operations; o && o->name; o++)
    if (strcmp(o->name, op) == 0)
      return o;
  return NULL;
}

/* Required parameters present, no unknown ones. */
static int check_params(const instance *inst, const smsmux_operation *o,
                        const smsmux_kv *params, size_t n,
                        smsmux_error *err) {
  const char *const *pp;
  size_t i;
  for (i = 0; i < n; i++) {
    int known = 0;
    for (pp = o->params; pp && *pp && !known; pp++) {
      size_t l = strlen(*pp);
      if (l && (*pp)[l - 1] == '?')
        l--;
      known = strlen(params[i].key) == l && strncmp(params[i].key, *pp, l) == 0;
    }
    if (!known) {
      char *sig = operation_signature(o);
      err_set(err, SMSMUX_ERR_INPUT, NULL,
              "%s %s: unknown parameter \"%s\" (usage: %s)", inst->cfg->name,
              o->name, params[i].key, sig);
      free(sig);
      return -1;
    }
  }
  for (pp = o->params; pp && *pp; pp++) {
    size_t l = strlen(*pp);
    int present = 0;
    if (l && (*pp)[l - 1] == '?')
      continue;
    for (i = 0; i < n && !present; i++)
      present = strcmp(params[i].key, *pp) == 0 && params[i].value &&
                params[i].value[0];
    if (!present) {
      char *sig = operation_signature(o);
      err_set(err, SMSMUX_ERR_INPUT, NULL,
              "%s %s: missing parameter %s=... (usage: %s)", inst->cfg->name,
              o->name, *pp, sig);
      free(sig);
      return -1;
    }
  }
  return 0;
}

smsmux_call_result *smsmux_call_op(smsmux *sm, const char *provider,
                                   const char *op, const smsmux_kv *params,
                                   size_t n_params) {
  smsmux_call_result *r = xcalloc(1, sizeof *r);
  instance *inst;
  const smsmux_operation *o;
  smsmux_call call;
  int rc;

  r->provider = xstrdup(provider);
  r->op = xstrdup(op);
  inst = usable_instance(sm, provider ? provider : "", 0, NULL, &r->error);
  if (!inst)
    return r;
  o = op ? find_operation(inst->desc, op) : NULL;
  if (!o || !inst->desc->call) {
    strbuf b = {0};
    const smsmux_operation *it;
    for (it = inst->desc->operations; it && it->name; it++)
      sb_addf(&b, "%s%s", b.len ? ", " : "", it->name);
    err_set(&r->error, SMSMUX_ERR_UNSUPPORTED, NULL,
            "provider %s (plugin %s) has no operation \"%s\" (it has: %s)",
            inst->cfg->name, inst->cfg->plugin, op ? op : "",
            b.len ? b.s : "none");
    sb_free(&b);
    return r;
  }
  if (check_params(inst, o, params, n_params, &r->error))
    return r;
  call_init(&call, inst, CALL_OP);
  rc = inst->desc->call(inst->state, &call, op, params, n_params);
  call_settle(&call, rc);
  if (call.failed) {
    r->error = call.err;
  } else {
    r->records = call.records;
    r->n_records = call.n_records;
    call.records = NULL;
    call.n_records = 0;
  }
  call_done(&call);
  return r;
}

void smsmux_call_result_free(smsmux_call_result *r) {
  size_t i, j;
  if (!r)
    return;
  for (i = 0; i < r->n_records; i++) {
    for (j = 0; j < r->records[i].n_fields; j++) {
      free((char *)r->records[i].fields[j].key);
      free((char *)r->records[i].fields[j].value);
    }
    free(r->records[i].fields);
  }
  free(r->records);
  free(r->provider);
  free(r->op);
  free(r);
}

/* ------------------------------------------------ providers / plugins -- */

static void fill_info(smsmux_provider_info *it, const plugin *pl) {
  const smsmux_operation *o;
  size_t cap = 0;
  if (!pl)
    return;
  it->path = xstrdup(pl->path);
  if (!pl->loaded)
    return;
  it->version = xstrdup(pl->desc.version);
  it->abi_major = pl->desc.abi_major;
  it->abi_minor = pl->desc.abi_minor;
  it->capabilities = pl->desc.capabilities;
  for (o = pl->desc.operations; o && o->name; o++)
    *VEC_PUSH(it->operations, it->n_operations, cap) = operation_signature(o);
}

smsmux_provider_list *smsmux_providers(smsmux *sm) {
  smsmux_provider_list *l = xcalloc(1, sizeof *l);
  size_t i;
  l->items = xcalloc(sm->n_inst ? sm->n_inst : 1, sizeof *l->items);
  l->n_items = sm->n_inst;
  for (i = 0; i < sm->n_inst; i++) {
    smsmux_provider_info *it = &l->items[i];
    instance *inst = &sm->inst[i];
    it->name = xstrdup(inst->cfg->name);
    it->plugin = xstrdup(inst->cfg->plugin);
    it->enabled = inst->cfg->enabled;
    it->loaded = inst->usable;
    it->error = xstrdup(inst->error);
    fill_info(it, inst->plugin);
  }
  return l;
}

smsmux_provider_list *smsmux_plugins(smsmux *sm) {
  smsmux_provider_list *l = xcalloc(1, sizeof *l);
  char **paths = NULL;
  size_t n = loader_scan(sm->cfg->plugin_dir, &paths), i, j, cap = 0;

  for (i = 0; i < n; i++) {
    plugin *pl = loader_load_file(paths[i]);
    smsmux_provider_info *it = VEC_PUSH(l->items, l->n_items, cap);
    it->name = xstrdup(pl->name);
    it->plugin = xstrdup(pl->name);
    it->enabled = 1;
    it->loaded = pl->loaded;
    fill_info(it, pl);
    for (j = 0; j + 1 < l->n_items && pl->loaded; j++)
      if (strcmp(l->items[j].name, pl->name) == 0 && l->items[j].loaded) {
        it->loaded = 0;
        pl->error = xasprintf("two plugins named \"%s\": %s and %s; the "
                              "first one is used, remove the other",
                              pl->name, l->items[j].path, pl->path);
      }
    it->error = xstrdup(pl->error);
    loader_unload(pl);
    free(paths[i]);
  }
  free(paths);
  if (n == 0) {
    smsmux_provider_info *it = VEC_PUSH(l->items, l->n_items, cap);
    it->name = xstrdup("(none)");
    it->error = xasprintf("no plugin found in plugin_dir %s",
                          sm->cfg->plugin_dir);
  }
  return l;
}

void smsmux_provider_list_free(smsmux_provider_list *l) {
  size_t i, j;
  if (!l)
    return;
  for (i = 0; i < l->n_items; i++) {
    smsmux_provider_info *it = &l->items[i];
    free(it->name);
    free(it->plugin);
    free(it->path);
    free(it->version);
    free(it->error);
    for (j = 0; j < it->n_operations; j++)
      free(it->operations[j]);
    free(it->operations);
  }
  free(l->items);
  free(l);
}

/* ------------------------------------------------------ plugin check -- */

static void steal_notes(loader_notes *l, char ***v, size_t *n) {
  *v = l->v;
  *n = l->n;
  memset(l, 0, sizeof *l);
}

smsmux_plugin_report *smsmux_plugin_check(const char *path) {
  smsmux_plugin_report *r = xcalloc(1, sizeof *r);
  loader_notes problems = {0}, warnings = {0};
  const smsmux_config_key *k;
  const smsmux_operation *o;
  size_t cap = 0;
  plugin *pl;

  r->path = xstrdup(path);
  r->host_abi_major = SMSMUX_ABI_MAJOR;
  r->host_abi_minor = SMSMUX_ABI_MINOR;
  r->host_size = sizeof(smsmux_provider);
  if (loader_init(&r->error) != 0)
    return r;
  pl = loader_check_file(path, &problems, &warnings);
  r->stem = xstrdup(pl->name);
  r->opened = pl->opened;
  r->entry_found = pl->has_entry;
  r->descriptor_found = pl->has_desc;
  r->abi_major = pl->abi_major;
  r->abi_minor = pl->abi_minor;
  r->declared_size = pl->desc_size;
  r->readable = pl->readable;
  r->ok = pl->loaded;
  if (pl->readable) {
    const smsmux_provider *d = &pl->desc;
    r->name = xstrdup(d->name);
    r->version = xstrdup(d->version);
    r->summary = xstrdup(d->summary);
    r->capabilities = d->capabilities;
    r->max_recipients = d->max_recipients;
    r->default_base_url = xstrdup(d->default_base_url);
    for (k = d->config_keys; k && k->name; k++) {
      unsigned f = k->flags & (SMSMUX_KEY_REQUIRED | SMSMUX_KEY_SECRET);
      *VEC_PUSH(r->config_keys, r->n_config_keys, cap) = xasprintf(
          "%s%s", k->name,
          f == (SMSMUX_KEY_REQUIRED | SMSMUX_KEY_SECRET) ? " (required, secret)"
          : f == SMSMUX_KEY_REQUIRED                     ? " (required)"
          : f == SMSMUX_KEY_SECRET                       ? " (secret)"
                                                         : "");
    }
    cap = 0;
    for (o = d->operations; o && o->name; o++)
      *VEC_PUSH(r->operations, r->n_operations, cap) = operation_signature(o);
  }
  if (!pl->loaded)
    err_set(&r->error, SMSMUX_ERR_CONFIG, NULL, "%s",
            pl->error ? pl->error : "the plugin does not load");
  steal_notes(&problems, &r->problems, &r->n_problems);
  steal_notes(&warnings, &r->warnings, &r->n_warnings);
  loader_unload(pl);
  loader_exit();
  return r;
}

void smsmux_plugin_report_free(smsmux_plugin_report *r) {
  size_t i;
  if (!r)
    return;
  for (i = 0; i < r->n_config_keys; i++)
    free(r->config_keys[i]);
  for (i = 0; i < r->n_operations; i++)
    free(r->operations[i]);
  for (i = 0; i < r->n_problems; i++)
    free(r->problems[i]);
  for (i = 0; i < r->n_warnings; i++)
    free(r->warnings[i]);
  free(r->config_keys);
  free(r->operations);
  free(r->problems);
  free(r->warnings);
  free(r->path);
  free(r->stem);
  free(r->name);
  free(r->version);
  free(r->summary);
  free(r->default_base_url);
  free(r);
}
