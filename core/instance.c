/* instance: a provider instance bound to its plugin (see instance.h). */
#include "instance.h"

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
  err_set(err, SMSMUX_ERR_CONFIG, NULL,
          "%s: [provider.%s] %s: unknown key for plugin %s (its keys: %s; "
          "host keys: plugin, base_url, cost, cost.+PREFIX, "
          "credit_per_segment, enabled, timeout, max_rps, hook_token)",
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

static void collect_secrets(instance *inst) {
  const cfg_provider *p = inst->cfg;
  size_t i, n = 0;
  inst->secrets = xcalloc(p->n_keys + 1, sizeof *inst->secrets);
  for (i = 0; i < p->n_keys; i++)
    if (instance_key_is_secret(inst, p->keys[i].key) && p->keys[i].value[0])
      inst->secrets[n++] = xstrdup(p->keys[i].value);
}

/* config base_url, else the plugin's default; no trailing '/' (it would
   double up with the plugin's paths) */
static char *base_url_of(const instance *inst) {
  const char *u = inst->cfg->base_url;
  char *b;
  size_t l;
  if (!u && inst->desc)
    u = inst->desc->default_base_url;
  if (!u)
    return NULL;
  b = xstrdup(u);
  l = strlen(b);
  while (l > 0 && b[l - 1] == '/')
    b[--l] = '\0';
  return b;
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
  if (!inst->http) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
    return -1;
  }
  if (pl && pl->loaded)
    inst->desc = &pl->desc;
  inst->base_url = base_url_of(inst);
  collect_secrets(inst);
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
