/* ops: the single-provider operations (status, replies, credit, cancel,
 * provider-specific calls) and the listings (providers, plugins, plugin
 * check), each one plugin call through the host table.  Out of memory:
 * a result struct that cannot be allocated is NULL; otherwise its error
 * says "out of memory" (SMSMUX_ERR_SYSTEM) and it holds nothing else. */
#include <config.h>

#include "engine.h"
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------- single-provider calls -- */

/* The instance for an operation needing capability `cap` (0: none). */
static instance *usable_instance(struct smsmux *sm, const char *name,
                                 uint32_t cap, const char *what,
                                 smsmux_error *err) {
  instance *inst = engine_instance(sm, name);
  char caps[256];
  if (!inst) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "unknown provider \"%s\": `smsmux providers` lists the "
            "configured ones",
            name);
    return NULL;
  }
  if (engine_instance_oom(inst)) {
    err_oom(err);
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
  smsmux_status_result *r = calloc(1, sizeof *r);
  char *found = NULL;
  instance *inst;
  smsmux_call call;
  int rc;

  if (!r)
    return NULL;
  if (!id || !*id) {
    err_set(&r->error, SMSMUX_ERR_INPUT, NULL, "status: which message id?");
    return r;
  }
  if (!provider) {
    store_db *db = engine_store(sm, NULL);
    if (!db || store_provider_of(db, id, &found) != 0) {
      err_set(&r->error, SMSMUX_ERR_INPUT, NULL,
              "message %s is not in the journal of %s: say which provider "
              "sent it with --provider",
              id, sm->cfg->state_dir);
      return r;
    }
    provider = found;
  }
  r->id = str_dup(id);
  r->provider = str_dup(provider);
  if (!r->id || !r->provider) {
    free(found);
    err_oom(&r->error);
    return r;
  }
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
  if (!r)
    return;
  call_free_statuses(r->entries, r->n_entries);
  free(r->provider);
  free(r->id);
  free(r);
}

smsmux_replies_result *smsmux_replies(smsmux *sm, const char *provider,
                                      const smsmux_reply_query *q) {
  smsmux_replies_result *r = calloc(1, sizeof *r);
  smsmux_reply_query query = {0};
  instance *inst = NULL;
  smsmux_call call;
  int rc;
  size_t i, n_capable = 0;

  if (!r)
    return NULL;
  if (q) {
    size_t n = q->size < sizeof query ? q->size : sizeof query;
    memcpy(&query, q, n);
  }
  query.size = sizeof query;
  if (!provider) {
    engine_open_all(sm);
    for (i = 0; i < sm->n_inst; i++)
      if (engine_instance_oom(&sm->inst[i])) {
        err_oom(&r->error);
        return r;
      }
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
  if (!(r->provider = str_dup(provider))) {
    err_oom(&r->error);
    return r;
  }
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
  if (!r)
    return;
  call_free_replies(r->entries, r->n_entries);
  free(r->provider);
  free(r);
}

static void credit_of(struct smsmux *sm, instance *inst,
                      smsmux_credit_entry *e) {
  e->ok = engine_balance(sm, inst, &e->credit, &e->unit, &e->error) == 0;
}

static void credit_result_clear(smsmux_credit_result *r) {
  size_t i;
  for (i = 0; i < r->n_entries; i++) {
    free(r->entries[i].provider);
    free(r->entries[i].unit);
  }
  free(r->entries);
  r->entries = NULL;
  r->n_entries = 0;
}

/* A new entry for `inst`, or NULL when out of memory (r->error, and r
   holds no entry any more: no half list). */
static smsmux_credit_entry *credit_entry(smsmux_credit_result *r, size_t *cap,
                                         const instance *inst) {
  char *name = str_dup(inst->cfg->name);
  smsmux_credit_entry *e = name ? VEC_PUSH(r->entries, r->n_entries, *cap)
                                : NULL;
  if (!e) {
    free(name);
    credit_result_clear(r);
    err_oom(&r->error);
    return NULL;
  }
  e->provider = name;
  return e;
}

smsmux_credit_result *smsmux_credit(smsmux *sm, const char *provider) {
  smsmux_credit_result *r = calloc(1, sizeof *r);
  size_t i, cap = 0;
  if (!r)
    return NULL;
  if (!provider)
    engine_open_all(sm);
  if (provider) {
    instance *inst = usable_instance(sm, provider, SMSMUX_CAP_BALANCE,
                                     "reading the balance", &r->error);
    smsmux_credit_entry *e = inst ? credit_entry(r, &cap, inst) : NULL;
    if (e)
      credit_of(sm, inst, e);
    return r;
  }
  for (i = 0; i < sm->n_inst; i++) {
    instance *inst = &sm->inst[i];
    smsmux_credit_entry *e;
    if (!inst->cfg->enabled)
      continue;
    if (engine_instance_oom(inst)) {
      credit_result_clear(r);
      err_oom(&r->error);
      return r;
    }
    if (!(e = credit_entry(r, &cap, inst)))
      return r;
    if (inst->usable && !(inst->caps & SMSMUX_CAP_BALANCE)) {
      /* listed, so that no provider silently goes missing; nothing to
         ask, so not a failure of the command (docs: smsmux(1) credit) */
      err_set(&e->error, SMSMUX_ERR_UNSUPPORTED, NULL,
              "%s: not supported (the %s plugin has no balance call)",
              inst->cfg->name, inst->cfg->plugin);
      continue;
    }
    if (!inst->usable) {
      err_set(&e->error, SMSMUX_ERR_CONFIG, NULL, "provider %s is unusable: %s",
              inst->cfg->name, inst->error ? inst->error : "not loaded");
      continue;
    }
    credit_of(sm, inst, e);
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

/* "name(a, b?)" for listings; NULL when out of memory */
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
      if (!sig)
        return err_oom(err);
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
      if (!sig)
        return err_oom(err);
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
  smsmux_call_result *r = calloc(1, sizeof *r);
  instance *inst;
  const smsmux_operation *o;
  smsmux_call call;
  int rc;

  if (!r)
    return NULL;
  r->provider = str_dup(provider);
  r->op = str_dup(op);
  if ((provider && !r->provider) || (op && !r->op)) {
    err_oom(&r->error);
    return r;
  }
  inst = usable_instance(sm, provider ? provider : "", 0, NULL, &r->error);
  if (!inst)
    return r;
  o = op ? find_operation(inst->desc, op) : NULL;
  if (!o || !inst->desc->call) {
    strbuf b = {0};
    const smsmux_operation *it;
    for (it = inst->desc->operations; it && it->name; it++)
      sb_addf(&b, "%s%s", b.len ? ", " : "", it->name);
    if (b.oom) {
      sb_free(&b);
      err_oom(&r->error);
      return r;
    }
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

/* 0, or -1 when out of memory. */
static int fill_info(smsmux_provider_info *it, const plugin *pl) {
  const smsmux_operation *o;
  size_t cap = 0;
  if (!pl)
    return 0;
  if (pl->path && !(it->path = str_dup(pl->path)))
    return -1;
  if (!pl->loaded)
    return 0;
  if (pl->desc.version && !(it->version = str_dup(pl->desc.version)))
    return -1;
  it->abi_major = pl->desc.abi_major;
  it->abi_minor = pl->desc.abi_minor;
  it->capabilities = pl->desc.capabilities;
  for (o = pl->desc.operations; o && o->name; o++) {
    char *sig = operation_signature(o), **slot;
    if (!sig || !(slot = VEC_PUSH(it->operations, it->n_operations, cap))) {
      free(sig);
      return -1;
    }
    *slot = sig;
  }
  return 0;
}

smsmux_provider_list *smsmux_providers(smsmux *sm) {
  smsmux_provider_list *l = calloc(1, sizeof *l);
  size_t i;
  if (!l)
    return NULL;
  engine_open_all(sm);
  l->items = calloc(sm->n_inst ? sm->n_inst : 1, sizeof *l->items);
  if (!l->items) {
    free(l);
    return NULL;
  }
  for (i = 0; i < sm->n_inst; i++) {
    smsmux_provider_info *it = &l->items[i];
    instance *inst = &sm->inst[i];
    l->n_items++;
    it->name = str_dup(inst->cfg->name);
    it->plugin = str_dup(inst->cfg->plugin);
    it->enabled = inst->cfg->enabled;
    it->loaded = inst->usable;
    it->error = str_dup(inst->error);
    if (engine_instance_oom(inst) || !it->name || !it->plugin ||
        (inst->error && !it->error) || fill_info(it, inst->plugin)) {
      smsmux_provider_list_free(l);
      return NULL;
    }
  }
  return l;
}

smsmux_provider_list *smsmux_plugins(smsmux *sm) {
  smsmux_provider_list *l = calloc(1, sizeof *l);
  char **paths = NULL;
  size_t n = 0, i, j, cap = 0;
  int oom = !l || loader_scan(sm->cfg->plugin_dir, &paths, &n) != 0;

  for (i = 0; i < n && !oom; i++) {
    plugin *pl = loader_load_file(paths[i]);
    smsmux_provider_info *it = pl ? VEC_PUSH(l->items, l->n_items, cap) : NULL;
    if (!it) {
      loader_unload(pl);
      oom = 1;
      break;
    }
    it->name = str_dup(pl->name);
    it->plugin = str_dup(pl->name);
    it->enabled = 1;
    it->loaded = pl->loaded;
    oom = !it->name || !it->plugin || fill_info(it, pl);
    for (j = 0; j + 1 < l->n_items && pl->loaded && !oom; j++)
      if (strcmp(l->items[j].name, pl->name) == 0 && l->items[j].loaded) {
        it->loaded = 0;
        free(pl->error);
        pl->error = str_printf("two plugins named \"%s\": %s and %s; the "
                               "first one is used, remove the other",
                               pl->name, l->items[j].path, pl->path);
        oom = !pl->error;
      }
    if (!oom && pl->error && !(it->error = str_dup(pl->error)))
      oom = 1;
    loader_unload(pl);
  }
  for (i = 0; i < n; i++)
    free(paths[i]);
  free(paths);
  if (!oom && n == 0) {
    smsmux_provider_info *it = VEC_PUSH(l->items, l->n_items, cap);
    oom = !it || !(it->name = str_dup("(none)")) ||
          !(it->error = str_printf("no plugin found in plugin_dir %s",
                                   sm->cfg->plugin_dir));
  }
  if (oom) {
    smsmux_provider_list_free(l);
    return NULL;
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

/* Append `s` (taken; NULL: out of memory) to a report's list: 0 or -1. */
static int report_add(char ***v, size_t *n, size_t *cap, char *s) {
  char **slot;
  if (!s || !(slot = VEC_PUSH(*v, *n, *cap))) {
    free(s);
    return -1;
  }
  *slot = s;
  return 0;
}

smsmux_plugin_report *smsmux_plugin_check(const char *path) {
  smsmux_plugin_report *r = calloc(1, sizeof *r);
  loader_notes problems = {0}, warnings = {0};
  const smsmux_config_key *k;
  const smsmux_operation *o;
  size_t cap = 0;
  plugin *pl;
  int oom = 0;

  if (!r)
    return NULL;
  r->host_abi_major = SMSMUX_ABI_MAJOR;
  r->host_abi_minor = SMSMUX_ABI_MINOR;
  r->host_size = sizeof(smsmux_provider);
  if (path && !(r->path = str_dup(path))) {
    err_oom(&r->error);
    return r;
  }
  if (loader_init(&r->error) != 0)
    return r;
  pl = loader_check_file(path, &problems, &warnings);
  if (!pl || problems.oom || warnings.oom) {
    loader_unload(pl);
    loader_notes_free(&problems);
    loader_notes_free(&warnings);
    loader_exit();
    err_oom(&r->error);
    return r;
  }
  r->stem = str_dup(pl->name);
  oom = pl->name && !r->stem;
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
    r->name = str_dup(d->name);
    r->version = str_dup(d->version);
    r->summary = str_dup(d->summary);
    r->capabilities = d->capabilities;
    r->max_recipients = d->max_recipients;
    r->default_base_url = str_dup(d->default_base_url);
    oom |= (d->name && !r->name) || (d->version && !r->version) ||
           (d->summary && !r->summary) ||
           (d->default_base_url && !r->default_base_url);
    for (k = d->config_keys; k && k->name && !oom; k++) {
      unsigned f = k->flags & (SMSMUX_KEY_REQUIRED | SMSMUX_KEY_SECRET);
      oom = report_add(
          &r->config_keys, &r->n_config_keys, &cap,
          str_printf("%s%s", k->name,
                     f == (SMSMUX_KEY_REQUIRED | SMSMUX_KEY_SECRET)
                         ? " (required, secret)"
                     : f == SMSMUX_KEY_REQUIRED ? " (required)"
                     : f == SMSMUX_KEY_SECRET   ? " (secret)"
                                                : "")) < 0;
    }
    cap = 0;
    for (o = d->operations; o && o->name && !oom; o++)
      oom = report_add(&r->operations, &r->n_operations, &cap,
                       operation_signature(o)) < 0;
  }
  if (oom)
    err_oom(&r->error);
  else if (!pl->loaded)
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

/* -------------------------------------------------------------- prune -- */

unsigned smsmux_retention_days(const smsmux *sm) {
  return sm ? (unsigned)sm->cfg->retention_days : 0;
}

int smsmux_store_prune(smsmux *sm, unsigned retention_days, long *removed,
                       smsmux_error *err) {
  store_db *db;
  char msg[512] = "";
  long days, n = 0;
  err_clear(err);
  if (removed)
    *removed = 0;
  if (!sm) {
    err_set(err, SMSMUX_ERR_INPUT, NULL, "smsmux_store_prune: no handle");
    return -1;
  }
  days = retention_days ? (long)retention_days : sm->cfg->retention_days;
  if (days < 1 || days > 36500) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "retention of %ld days: give a number of days between 1 and "
            "36500",
            days);
    return -1;
  }
  if (!(db = engine_store(sm, err)))
    return -1;
  if (store_prune(db, (int64_t)time(NULL) - (int64_t)days * 86400, &n, msg,
                  sizeof msg)) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "%s", msg);
    return -1;
  }
  if (removed)
    *removed = n;
  return 0;
}

/* ------------------------------------------------------------ pushes -- */

/* Equal in a time that does not depend on where they differ. */
static int same_secret(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b), i;
  unsigned char d = (unsigned char)(na != nb);
  for (i = 0; i < na; i++)
    d |= (unsigned char)(a[i] ^ b[i % (nb ? nb : 1)]);
  return d == 0 && nb > 0;
}

smsmux_push_result *smsmux_push_parse(smsmux *sm, const smsmux_push *p) {
  smsmux_push_result *r = calloc(1, sizeof *r);
  instance *inst;
  const char *token;
  smsmux_inbound in;
  smsmux_call call;
  int rc;
  if (!r)
    return NULL;
  if (!p || p->size < sizeof *p) {
    err_set(&r->error, SMSMUX_ERR_INPUT, NULL, "malformed push");
    return r;
  }
  inst = p->provider ? engine_instance(sm, p->provider) : NULL;
  if (inst && engine_instance_oom(inst)) {
    err_oom(&r->error);
    return r;
  }
  token = inst ? cfg_provider_get(inst->cfg, "hook_token") : NULL;
  /* an unknown instance, a wrong token and a provider without pushes all
     look the same from outside: not found */
  if (!inst || !token || !*token || !p->token ||
      !same_secret(p->token, token) || !inst->usable ||
      !SMSMUX_HAS_MEMBER(inst->desc, smsmux_provider, inbound) ||
      !inst->desc->inbound) {
    err_set(&r->error, SMSMUX_ERR_INPUT, "not-found", "no such hook");
    return r;
  }
  if (!(r->provider = str_dup(inst->cfg->name))) {
    err_oom(&r->error);
    return r;
  }
  memset(&in, 0, sizeof in);
  in.size = sizeof in;
  in.kind = p->reply ? SMSMUX_INBOUND_REPLY : SMSMUX_INBOUND_REPORT;
  in.method = p->method ? p->method : "GET";
  in.query = p->query;
  in.n_query = p->query ? p->n_query : 0;
  in.headers = p->headers;
  in.n_headers = p->headers ? p->n_headers : 0;
  in.body = p->body ? p->body : "";
  in.body_len = p->body ? p->body_len : 0;
  in.content_type = p->content_type;
  call_init(&call, inst, CALL_INBOUND);
  rc = inst->desc->inbound(inst->state, &call, &in);
  call_settle(&call, rc);
  if (call.failed) {
    r->error = call.err;
  } else {
    r->message_id = call.message_id;
    call.message_id = NULL;
    r->statuses = call.statuses;
    r->n_statuses = call.n_statuses;
    call.statuses = NULL;
    call.n_statuses = 0;
    r->replies = call.replies;
    r->n_replies = call.n_replies;
    call.replies = NULL;
    call.n_replies = 0;
  }
  call_done(&call);
  return r;
}

void smsmux_push_result_free(smsmux_push_result *r) {
  if (!r)
    return;
  call_free_statuses(r->statuses, r->n_statuses);
  call_free_replies(r->replies, r->n_replies);
  free(r->message_id);
  free(r->provider);
  free(r);
}
