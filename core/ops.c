/* ops: the single-provider operations (status, replies, credit, cancel,
 * provider-specific calls) and the listings (providers, plugins, plugin
 * check), each one plugin call through the host table.  Out of memory:
 * a result struct that cannot be allocated is NULL; otherwise its error
 * says "out of memory" (SMSMUX_ERR_SYSTEM) and it holds nothing else. */
#include <config.h>

#include "engine.h"
#include "host.h"
#include "msg.h"
#include "webhook.h"

#include <errno.h>
#include <json-c/json.h>
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

static const struct {
  const char *name;
  smsmux_status st;
} store_states[] = {
    {"accepted", SMSMUX_STATUS_ACCEPTED},   {"scheduled", SMSMUX_STATUS_SCHEDULED},
    {"sent", SMSMUX_STATUS_SENT},           {"delivered", SMSMUX_STATUS_DELIVERED},
    {"undelivered", SMSMUX_STATUS_UNDELIVERED},
    {"expired", SMSMUX_STATUS_EXPIRED},     {"rejected", SMSMUX_STATUS_REJECTED},
    {"cancelled", SMSMUX_STATUS_CANCELLED}, {"failed", SMSMUX_STATUS_FAILED}};

/* The statuses of provider id (or smsmux message id) `id` as the store
   last recorded them (reports pushed or polled, the send's answer): 0
   with r->entries filled, else -1 (not in the store, or unreadable), or
   -2 out of memory (r->entries left empty). */
static int status_from_history(struct smsmux *sm, const char *id,
                               smsmux_status_result *r) {
  store_db *db = engine_store(sm, NULL);
  char *mid = NULL, *tenant = NULL;
  store_message m;
  size_t i, k, cap = 0;
  int whole;
  if (!db || store_message_of(db, id, &mid, &tenant) != 0)
    return -1;
  if (store_message_read(db, tenant, mid, &m) != 0) {
    free(mid);
    free(tenant);
    return -1;
  }
  /* the message's own id: every recipient; a provider's: its recipients */
  whole = strcmp(mid, id) == 0;
  for (i = 0; i < m.n_rcpts; i++) {
    const store_rcpt_row *row = &m.rcpts[i];
    smsmux_status_entry *e;
    char at[32];
    if (!whole && (!row->provider_id || strcmp(row->provider_id, id) != 0))
      continue;
    const char *text;
    if (!(e = VEC_PUSH(r->entries, r->n_entries, cap)))
      goto oom;
    e->status = SMSMUX_STATUS_UNKNOWN;
    for (k = 0; k < sizeof store_states / sizeof *store_states; k++)
      if (row->state && strcmp(row->state, store_states[k].name) == 0)
        e->status = store_states[k].st;
    /* queued, sending, unknown: the store's word says more than "unknown" */
    text = row->text                              ? row->text
           : e->status == SMSMUX_STATUS_UNKNOWN ? row->state
                                                  : NULL;
    e->to = str_dup(row->number);
    e->code = str_dup(row->code);
    e->text = str_dup(text);
    e->at = row->updated > 0
                ? str_dup(webhook_time(row->updated, at, sizeof at))
                : NULL;
    if ((row->number && !e->to) || (row->code && !e->code) ||
        (text && !e->text) || (row->updated > 0 && !e->at))
      goto oom;
  }
  store_message_clear(&m);
  free(mid);
  free(tenant);
  return 0;
oom:
  call_free_statuses(r->entries, r->n_entries);
  r->entries = NULL;
  r->n_entries = 0;
  store_message_clear(&m);
  free(mid);
  free(tenant);
  return -2;
}

/* The provider could not answer (`why`): the store's history instead,
   said on the log; r->error is kept when the store knows nothing, and is
   out of memory when the history cannot be copied. */
static void status_fallback(struct smsmux *sm, const char *id,
                            smsmux_status_result *r) {
  smsmux_error why = r->error;
  int rc = status_from_history(sm, id, r);
  if (rc == -2)
    err_oom(&r->error);
  if (rc != 0)
    return;
  err_clear(&r->error);
  log_write(&sm->log, SMSMUX_LOG_INFO,
            "status of %s: from smsmux's history (the provider could not "
            "answer: %s)",
            id, why.message);
}

smsmux_status_result *smsmux_status_get(smsmux *sm, const char *provider,
                                        const char *id) {
  smsmux_status_result *r = calloc(1, sizeof *r);
  char *found = NULL;
  instance *inst;
  smsmux_call call;
  int rc, named = provider != NULL;

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
  if (!inst) {
    /* no such provider is an input error; one that cannot say (no status
       call, unusable) leaves the store's history */
    if (r->error.cls != SMSMUX_ERR_INPUT && !named)
      status_fallback(sm, id, r);
    return r;
  }
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
  /* a provider named by the caller is asked: its answer or its error */
  if (r->error.cls != SMSMUX_OK && !named)
    status_fallback(sm, id, r);
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

/* ------------------------------------------- hooks, replies, opt-out -- */

static int word_in(char *const *words, size_t n, const char *key) {
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp(words[i], key) == 0)
      return 1;
  return 0;
}

/* A new reply's stop or start word (`key`, its cfg_reply_key): the
   opt-out of its sender for the tenant of the message it answers.  0 or
   -1 (msg). */
static int reply_optout(struct smsmux *sm, store_db *db, const char *tenant,
                        const smsmux_reply_entry *e, const char *key,
                        char *msg, size_t msglen) {
  int rc = 0;
  if (!e->from || !*e->from)
    return 0;
  if (word_in(sm->cfg->stop_words, sm->cfg->n_stop_words, key)) {
    rc = store_optout_set(db, tenant ? tenant : "", e->from, "reply", msg,
                          msglen) < 0;
    if (!rc)
      log_write(&sm->log, SMSMUX_LOG_INFO,
                "%s opted out (reply \"%s\")%s%s", e->from, key,
                tenant && *tenant ? " for tenant " : "",
                tenant && *tenant ? tenant : "");
  } else if (word_in(sm->cfg->start_words, sm->cfg->n_start_words, key)) {
    rc = store_optout_clear(db, tenant ? tenant : "", e->from, msg,
                            msglen) < 0;
  }
  return rc ? -1 : 0;
}

int smsmux_hook(smsmux *sm, const smsmux_push *push, smsmux_error *err) {
  smsmux_push_result *r;
  store_db *db;
  char msg[512] = "";
  size_t i;
  int rc = 0;
  err_clear(err);
  r = smsmux_push_parse(sm, push);
  if (!r)
    return err_oom(err);
  if (r->error.cls != SMSMUX_OK) {
    if (err)
      *err = r->error;
    smsmux_push_result_free(r);
    return -1;
  }
  if (r->n_statuses && (!r->message_id || !*r->message_id)) {
    err_set(err, SMSMUX_ERR_INVALID, NULL,
            "%s: a delivery report without the message's id", r->provider);
    smsmux_push_result_free(r);
    return -1;
  }
  if (!(db = engine_store(sm, err))) {
    if (err)
      err->cls = SMSMUX_ERR_SYSTEM;
    smsmux_push_result_free(r);
    return -1;
  }
  for (i = 0; i < r->n_statuses && rc == 0; i++) {
    store_report rep;
    if (engine_report_of(r->provider, r->message_id, &r->statuses[i], &rep))
      continue;
    if (store_report_apply(db, &rep, msg, sizeof msg) < 0)
      rc = -1;
  }
  for (i = 0; i < r->n_replies && rc == 0; i++) {
    const smsmux_reply_entry *e = &r->replies[i];
    store_reply rp;
    char *tenant = NULL, *mid = NULL;
    /* before the reply is recorded: out of memory afterwards would leave
       it recorded (a redelivery a duplicate) and its stop word unheard */
    char *key = cfg_reply_key(e->text);
    int added;
    if (!key) {
      snprintf(msg, sizeof msg, "out of memory");
      rc = -1;
      break;
    }
    memset(&rp, 0, sizeof rp);
    rp.provider = r->provider;
    rp.reply_id = e->id && *e->id ? e->id : NULL;
    rp.from = e->from;
    rp.to = e->to;
    rp.text = e->text ? e->text : "";
    rp.provider_id = e->message_id && *e->message_id ? e->message_id : NULL;
    rp.at = webhook_provider_time(e->at);
    added = store_reply_add(db, &rp, &tenant, &mid, msg, sizeof msg);
    if (added < 0)
      rc = -1;
    else if (added == 0 &&
             reply_optout(sm, db, tenant, e, key, msg, sizeof msg))
      rc = -1;
    free(key);
    free(tenant);
    free(mid);
  }
  if (rc)
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "%s: %s", r->provider,
            msg[0] ? msg : "the store could not record the notification");
  smsmux_push_result_free(r);
  return rc;
}

#define LIST_JSON_FLAGS                                                        \
  (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A listing the store could not read: out of memory when an allocation
   failed on the way (the store's listings return -1 alone; errno, cleared
   before the call, is then ENOMEM), else the store's failure. */
static void list_failed(smsmux_error *err, const char *what) {
  if (errno == ENOMEM)
    err_oom(err);
  else
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "cannot read the %s", what);
}

/* The listings are built with an `oom` flag: a value that cannot be
   made sets it (and is dropped), and the listing is then out of memory
   rather than a document with a null where a value was. */
static json_object *jstr(int *oom, const char *s) {
  json_object *v = s ? json_object_new_string(s) : NULL;
  if (s && !v)
    *oom = 1;
  return v;
}

static json_object *jtime(int *oom, int64_t t) {
  char buf[32];
  json_object *v;
  if (!*webhook_time(t, buf, sizeof buf))
    return NULL;
  if (!(v = json_object_new_string(buf)))
    *oom = 1;
  return v;
}

/* o[key] = v (v: NULL is null); takes v in all cases. */
static void jset(int *oom, json_object *o, const char *key, json_object *v) {
  if (*oom || !o || json_object_object_add(o, key, v) < 0) {
    json_object_put(v);
    *oom = 1;
  }
}

/* A new array as o[key], NULL (oom set) when it cannot be. */
static json_object *jarray(int *oom, json_object *o, const char *key) {
  json_object *a = json_object_new_array();
  if (!a)
    *oom = 1;
  jset(oom, o, key, a);
  return *oom ? NULL : a;
}

/* A new object appended to a, NULL (oom set) when it cannot be. */
static json_object *jitem(int *oom, json_object *a) {
  json_object *x = json_object_new_object();
  if (*oom || !a || !x || json_object_array_add(a, x) < 0) {
    json_object_put(x);
    *oom = 1;
    return NULL;
  }
  return x;
}

/* The listing's text; o is released.  NULL (err) on out of memory. */
static char *list_text(json_object *o, int oom, smsmux_error *err) {
  const char *t =
      o && !oom ? json_object_to_json_string_ext(o, LIST_JSON_FLAGS) : NULL;
  char *s = t ? strdup(t) : NULL;
  json_object_put(o);
  if (!s)
    err_oom(err);
  return s;
}

static int list_limit(unsigned *limit, smsmux_error *err) {
  if (*limit == 0)
    *limit = 100;
  if (*limit > 1000) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-limit",
            "limit %u: give 1 to 1000", *limit);
    return -1;
  }
  return 0;
}

char *smsmux_replies_json(smsmux *sm, const char *tenant, int64_t since,
                          unsigned limit, const char *cursor,
                          smsmux_error *err) {
  store_db *db;
  store_reply_row *rows = NULL;
  json_object *o, *arr;
  size_t n = 0, i;
  int oom = 0;
  err_clear(err);
  if (list_limit(&limit, err))
    return NULL;
  if (cursor && (!*cursor || strlen(cursor) > 64 ||
                 strspn(cursor, "0123456789abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_") !=
                     strlen(cursor))) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-cursor",
            "cursor: not one this service handed out");
    return NULL;
  }
  if (!(db = engine_store(sm, err)))
    return NULL;
  errno = 0;
  if (store_replies_list(db, tenant ? tenant : "", since, cursor, limit + 1,
                         &rows, &n)) {
    list_failed(err, "replies");
    return NULL;
  }
  o = json_object_new_object();
  oom = !o;
  arr = jarray(&oom, o, "replies");
  for (i = 0; i < n && i < limit && !oom; i++) {
    json_object *x = jitem(&oom, arr);
    jset(&oom, x, "id", jstr(&oom, rows[i].id));
    jset(&oom, x, "from", jstr(&oom, rows[i].from));
    jset(&oom, x, "to", jstr(&oom, rows[i].to));
    jset(&oom, x, "text", jstr(&oom, rows[i].text));
    jset(&oom, x, "at", jtime(&oom, rows[i].at));
    jset(&oom, x, "provider", jstr(&oom, rows[i].provider));
    jset(&oom, x, "message_id", jstr(&oom, rows[i].message_id));
  }
  jset(&oom, o, "next_cursor",
       n > limit ? jstr(&oom, rows[limit - 1].id) : NULL);
  store_reply_rows_free(rows, n);
  return list_text(o, oom, err);
}

char *smsmux_optouts_json(smsmux *sm, const char *tenant, unsigned limit,
                          const char *cursor, smsmux_error *err) {
  store_db *db;
  store_optout_row *rows = NULL;
  json_object *o, *arr;
  size_t n = 0, i;
  int oom = 0;
  err_clear(err);
  if (list_limit(&limit, err))
    return NULL;
  if (cursor && (cursor[0] != '+' || strlen(cursor) > 20 ||
                 strspn(cursor + 1, "0123456789") != strlen(cursor) - 1)) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-cursor",
            "cursor: not one this service handed out");
    return NULL;
  }
  if (!(db = engine_store(sm, err)))
    return NULL;
  errno = 0;
  if (store_optouts_list(db, tenant ? tenant : "", cursor, limit + 1, &rows,
                         &n)) {
    list_failed(err, "opt-outs");
    return NULL;
  }
  o = json_object_new_object();
  oom = !o;
  arr = jarray(&oom, o, "optouts");
  for (i = 0; i < n && i < limit && !oom; i++) {
    json_object *x = jitem(&oom, arr);
    jset(&oom, x, "number", jstr(&oom, rows[i].number));
    jset(&oom, x, "source", jstr(&oom, rows[i].source));
    jset(&oom, x, "at", jtime(&oom, rows[i].at));
  }
  jset(&oom, o, "next_cursor",
       n > limit ? jstr(&oom, rows[limit - 1].number) : NULL);
  store_optout_rows_free(rows, n);
  return list_text(o, oom, err);
}

/* The number as a send would normalise it; -1 with err (bad-number). */
static int optout_number(struct smsmux *sm, const char *number,
                         char e164[32], smsmux_error *err) {
  char msg[256];
  if (!number || msg_number_e164(number, sm->cfg->default_cc, e164, 32, msg,
                                 sizeof msg)) {
    err_set(err, SMSMUX_ERR_INPUT, "bad-number", "%s",
            number ? msg : "which number?");
    return -1;
  }
  return 0;
}

int smsmux_optout_add(smsmux *sm, const char *tenant, const char *number,
                      smsmux_error *err) {
  char e164[32], msg[512] = "";
  store_db *db;
  int rc;
  err_clear(err);
  if (optout_number(sm, number, e164, err) || !(db = engine_store(sm, err)))
    return -1;
  rc = store_optout_set(db, tenant ? tenant : "", e164, "api", msg,
                        sizeof msg);
  if (rc < 0)
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "%s",
            msg[0] ? msg : "the store could not record the opt-out");
  return rc < 0 ? -1 : rc;
}

int smsmux_optout_remove(smsmux *sm, const char *tenant, const char *number,
                         smsmux_error *err) {
  char e164[32], msg[512] = "";
  store_db *db;
  int rc;
  err_clear(err);
  if (optout_number(sm, number, e164, err) || !(db = engine_store(sm, err)))
    return -1;
  rc = store_optout_clear(db, tenant ? tenant : "", e164, msg, sizeof msg);
  if (rc < 0)
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "%s",
            msg[0] ? msg : "the store could not lift the opt-out");
  return rc < 0 ? -1 : rc;
}
