/* instance: a provider instance bound to its plugin (see instance.h). */
#include "instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int instance_key_is_secret(const instance *inst, const char *key) {
  const smsmux_config_key *k = plugin_key(inst->desc, key);
  if (k)
    return (k->flags & SMSMUX_KEY_SECRET) != 0;
  return generic_secret(key);
}

static int check_secret_mode(const instance *inst, const char *key,
                             smsmux_error *err) {
  const cfg *c = inst->env->conf;
  err_set(err, SMSMUX_ERR_CONFIG, NULL,
          "%s holds the secret [provider.%s] %s but is readable by group "
          "or others (mode %04o): run `chmod 600 %s`, or write the value "
          "as env:VARIABLE",
          c->path, inst->cfg->name, key, (unsigned)c->mode, c->path);
  return -1;
}

static int unknown_key(const instance *inst, const char *key,
                       smsmux_error *err) {
  const cfg_provider *p = inst->cfg;
  const smsmux_config_key *k;
  strbuf known = {0};
  for (k = inst->desc->config_keys; k && k->name; k++)
    sb_addf(&known, "%s%s", known.len ? ", " : "", k->name);
  if (known.oom) {
    sb_free(&known);
    return err_oom(err);
  }
  err_set(err, SMSMUX_ERR_CONFIG, NULL,
          "%s: [provider.%s] %s: unknown key for plugin %s (its keys: %s; "
          "host keys: plugin, base_url, cost, cost.+PREFIX, "
          "credit_per_segment, enabled, timeout, max_rps, max_recipients, "
          "ca_file, ca_path, hook_token, dlr_poll, "
          "dlr_poll_deadline)",
          inst->env->conf->path, p->name, key, p->plugin,
          known.s ? known.s : "none");
  sb_free(&known);
  return -1;
}

/* Check one instance's keys against its plugin; CONFIG error on any. */
static int check_config(const instance *inst, smsmux_error *err) {
  const cfg_provider *p = inst->cfg;
  const smsmux_config_key *k;
  size_t i;

  for (i = 0; i < p->n_keys; i++) {
    const char *key = p->keys[i].key;
    if (p->key_literal[i] && instance_key_is_secret(inst, key) &&
        (inst->env->conf->mode & 077))
      return check_secret_mode(inst, key, err);
    if (inst->desc && !cfg_is_host_key(key) && !plugin_key(inst->desc, key))
      return unknown_key(inst, key, err);
  }
  if (inst->desc)
    for (k = inst->desc->config_keys; k && k->name; k++)
      if ((k->flags & SMSMUX_KEY_REQUIRED) && p->enabled) {
        const char *v = cfg_provider_get(p, k->name);
        if (!v || !*v) {
          err_set(err, SMSMUX_ERR_CONFIG, NULL,
                  "%s: [provider.%s] %s: missing; the %s plugin needs it (%s)",
                  inst->env->conf->path, p->name, k->name, p->plugin,
                  k->summary ? k->summary : "required");
          return -1;
        }
      }
  return 0;
}

/* 0, or -1 when out of memory. */
static int collect_secrets(instance *inst) {
  const cfg_provider *p = inst->cfg;
  size_t i, n = 0;
  inst->secrets = calloc(p->n_keys + 1, sizeof *inst->secrets);
  if (!inst->secrets)
    return -1;
  for (i = 0; i < p->n_keys; i++)
    if (instance_key_is_secret(inst, p->keys[i].key) && p->keys[i].value[0])
      if (!(inst->secrets[n++] = str_dup(p->keys[i].value)))
        return -1;
  return 0;
}

/* config base_url, else the plugin's default; no trailing '/' (it would
   double up with the plugin's paths).  0, or -1 when out of memory. */
static int base_url_of(const instance *inst, char **out) {
  const char *u = inst->cfg->base_url;
  char *b;
  size_t l;
  *out = NULL;
  if (!u && inst->desc)
    u = inst->desc->default_base_url;
  if (!u)
    return 0;
  if (!(b = str_dup(u)))
    return -1;
  *out = b;
  l = strlen(b);
  while (l > 0 && b[l - 1] == '/')
    b[--l] = '\0';
  return 0;
}

/* A capability bit the descriptor has the function for (a plugin cannot
   add "status" without a status function). */
static uint32_t backed_caps(const smsmux_provider *d, uint32_t bits) {
  uint32_t ok = SMSMUX_CAP_SCHEDULE | SMSMUX_CAP_ALPHA_SENDER |
                SMSMUX_CAP_NOTIFY_URL;
  if (d->send)
    ok |= SMSMUX_CAP_SMS | SMSMUX_CAP_UNICODE | SMSMUX_CAP_MMS |
          SMSMUX_CAP_VOICE;
  if (d->status)
    ok |= SMSMUX_CAP_STATUS;
  if (d->balance)
    ok |= SMSMUX_CAP_BALANCE;
  if (d->replies)
    ok |= SMSMUX_CAP_REPLIES;
  if (d->cancel)
    ok |= SMSMUX_CAP_CANCEL;
  return bits & ok;
}

static unsigned narrower(unsigned a, unsigned b) {
  return b && (!a || b < a) ? b : a;
}

int instance_apply_limits(instance *inst, const smsmux_limits *lim,
                          char *why, size_t why_len) {
  const smsmux_provider *d = inst->desc;
  if (!d)
    return 0;
  inst->caps = d->capabilities;
  inst->max_recipients = d->max_recipients ? d->max_recipients : 1;
  inst->max_segments = d->max_segments;
  inst->max_text_length = d->max_text_length;
  inst->max_sender_length = d->max_sender_length;
  inst->schedule_min_delay = 0;
  inst->sender_rules = 0;
  if (lim) {
    if (lim->max_recipients > inst->max_recipients) {
      snprintf(why, why_len,
               "set_limits: max_recipients %u is above the plugin's own "
               "%u",
               lim->max_recipients, inst->max_recipients);
      return -1;
    }
    inst->max_recipients = narrower(inst->max_recipients,
                                    lim->max_recipients);
    inst->max_segments = narrower(inst->max_segments, lim->max_segments);
    inst->max_text_length = narrower(inst->max_text_length,
                                     lim->max_text_length);
    inst->max_sender_length = narrower(inst->max_sender_length,
                                       lim->max_sender_length);
    inst->caps = (inst->caps | backed_caps(d, lim->caps_add)) &
                 ~lim->caps_remove;
    inst->schedule_min_delay =
        lim->schedule_min_delay > 0 ? lim->schedule_min_delay : 0;
    inst->sender_rules = lim->sender_rules;
  }
  inst->max_recipients = narrower(inst->max_recipients,
                                  inst->cfg->max_recipients);
  return 0;
}

/* 127.0.0.0/8, ::1 or localhost: the host part of an http:// URL. */
static int loopback_url(const char *url) {
  const char *h = url + strlen("http://"), *end;
  char host[256];
  size_t n;
  if (*h == '[') { /* IPv6 literal */
    end = strchr(h, ']');
    if (!end)
      return 0;
    n = (size_t)(end - h - 1);
    return n == 3 && strncmp(h + 1, "::1", 3) == 0;
  }
  n = strcspn(h, ":/?#");
  if (n == 0 || n >= sizeof host)
    return 0;
  memcpy(host, h, n);
  host[n] = '\0';
  if (str_ieq(host, "localhost"))
    return 1;
  if (strncmp(host, "127.", 4) == 0) {
    const char *q = host + 4;
    int dots = 0;
    for (; *q; q++) {
      if (*q == '.')
        dots++;
      else if (*q < '0' || *q > '9')
        return 0;
    }
    return dots == 2;
  }
  return 0;
}

void instance_warn_cleartext(const instance *inst) {
  if (!inst->base_url || !str_starts(inst->base_url, "http://") ||
      !inst->secrets || !inst->secrets[0] || loopback_url(inst->base_url))
    return;
  log_write(inst->env->log, SMSMUX_LOG_WARNING,
            "%s: base_url is cleartext http:// to another machine while "
            "this provider has credentials: they cross the network "
            "unencrypted; use the provider's https:// URL in [provider.%s] "
            "base_url",
            inst->cfg->name, inst->cfg->name);
}

/* The CAs this instance trusts: its own ca_file / ca_path, else
   [smsmux]'s, else what SSL_CERT_FILE / SSL_CERT_DIR name (libcurl does
   not read them), else libcurl's default bundle. */
static void set_trust(instance *inst) {
  const cfg_provider *p = inst->cfg;
  const cfg *c = inst->env->conf;
  const char *file = p->ca_file, *dir = p->ca_path;
  if (!file && !dir) {
    file = c->ca_file;
    dir = c->ca_path;
  }
  if (!file && !dir) {
    file = getenv("SSL_CERT_FILE");
    dir = getenv("SSL_CERT_DIR");
    if (file && !*file)
      file = NULL;
    if (dir && !*dir)
      dir = NULL;
  }
  httpc_pool_set_ca(inst->http, file, dir);
}

int instance_init(instance *inst, const instance_env *env, cfg_provider *cp,
                  plugin *pl, smsmux_error *err) {
  memset(inst, 0, sizeof *inst);
  inst->env = env;
  inst->cfg = cp;
  inst->plugin = pl;
  pthread_mutex_init(&inst->rate_lock, NULL);
  pthread_mutex_init(&inst->open_lock, NULL);
  inst->http = httpc_pool_new();
  if (!inst->http)
    return err_oom(err);
  if (pl && pl->loaded)
    inst->desc = &pl->desc;
  set_trust(inst);
  {
    char why[160];
    instance_apply_limits(inst, NULL, why, sizeof why);
  }
  if (base_url_of(inst, &inst->base_url) || collect_secrets(inst))
    return err_oom(err);
  return check_config(inst, err);
}

void instance_close(instance *inst) {
  size_t j;
  if (inst->usable && inst->desc->close)
    inst->desc->close(inst->state);
  inst->usable = 0;
  arena_free(&inst->open_mem);
  pthread_mutex_destroy(&inst->rate_lock);
  pthread_mutex_destroy(&inst->open_lock);
  httpc_pool_free(inst->http);
  free(inst->error);
  free(inst->base_url);
  free(inst->notify_report_url);
  free(inst->notify_reply_url);
  for (j = 0; inst->secrets && inst->secrets[j]; j++) {
    explicit_bzero(inst->secrets[j], strlen(inst->secrets[j]));
    free(inst->secrets[j]);
  }
  free(inst->secrets);
  memset(inst, 0, sizeof *inst);
}

/* max_rps: requests to one instance are spaced 1/max_rps seconds apart,
   whichever thread makes them (a token bucket of depth one, shared by the
   threads of this process: a batch's workers honour it together). */
void instance_throttle(instance *inst) {
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
