/* result_json: the JSON shapes of the library's results, built with json-c
 * and returned as text: `smsmux --json` prints them, a daemon can answer
 * with them.  Missing values are JSON null; key names are part of the
 * command's interface (tests check them).  Text is plain (one line, no
 * "\/" escapes): easy to pipe into jq or a log.  Out of memory gives NULL,
 * never half a document. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <smsmux/smsmux.h>

#include <json-c/json.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ------------------------------------------------------------ builder -- */

/* A document being built: every helper notes a failed allocation in
   `oom` and then does nothing more, so that the builders below read like
   the document and finish() returns NULL. */
typedef struct jb {
  int oom;
} jb;

/** `o` as allocated: a NULL one is out of memory. */
static json_object *jb_new(jb *b, json_object *o) {
  if (!o)
    b->oom = 1;
  return o;
}

static json_object *new_object(jb *b) {
  return jb_new(b, json_object_new_object());
}

static json_object *new_array(jb *b) {
  return jb_new(b, json_object_new_array());
}

/** Add `v` (NULL: null) to object `o` under `key`; takes `v` in all cases. */
static void put(jb *b, json_object *o, const char *key, json_object *v) {
  if (!o || b->oom || json_object_object_add(o, key, v) < 0) {
    json_object_put(v);
    b->oom = 1;
  }
}

/** Append `v` (NULL: null) to array `a`; takes `v` in all cases. */
static void push(jb *b, json_object *a, json_object *v) {
  if (!a || b->oom || json_object_array_add(a, v) < 0) {
    json_object_put(v);
    b->oom = 1;
  }
}

/** A string, or null for NULL. */
static json_object *str(jb *b, const char *s) {
  return s ? jb_new(b, json_object_new_string(s)) : NULL;
}

static json_object *integer(jb *b, int64_t v) {
  return jb_new(b, json_object_new_int64(v));
}

static json_object *boolean(jb *b, int v) {
  return jb_new(b, json_object_new_boolean(v != 0));
}

/* Costs and credits: print "0.135", not json-c's %.17g "0.13500000000000001";
   null when not finite. */
static json_object *number(jb *b, double d) {
  char buf[64];
  if (!isfinite(d))
    return NULL;
  snprintf(buf, sizeof buf, "%.10g", d);
  return jb_new(b, json_object_new_double_s(d, buf));
}

/** The text of `doc` (malloc'd), or NULL when anything failed; frees doc. */
static char *finish(jb *b, json_object *doc) {
  char *text = NULL;
  if (doc && !b->oom) {
    const char *s = json_object_to_json_string_ext(doc, JSON_FLAGS);
    if (s)
      text = strdup(s);
  }
  json_object_put(doc);
  return text;
}

/* ------------------------------------------------------------- shapes -- */

static const char *encoding_name(smsmux_encoding enc) {
  return enc == SMSMUX_ENC_UCS2 ? "ucs2" : "gsm7";
}

/** {"class","code","message"}; the message falls back to the class name. */
static json_object *error_object(jb *b, const smsmux_error *err) {
  json_object *o = new_object(b);
  put(b, o, "class", str(b, smsmux_error_class_name(err->cls)));
  put(b, o, "code", str(b, err->code[0] ? err->code : NULL));
  put(b, o, "message",
      str(b, err->message[0] ? err->message
                             : smsmux_error_class_name(err->cls)));
  return o;
}

static void add_error_if_any(jb *b, json_object *o, const smsmux_error *err) {
  if (err->cls != SMSMUX_OK)
    put(b, o, "error", error_object(b, err));
}

static json_object *recipient_object(jb *b, const smsmux_recipient_result *rc) {
  json_object *o = new_object(b);
  put(b, o, "to", str(b, rc->to));
  put(b, o, "status", str(b, smsmux_status_name(rc->status)));
  put(b, o, "id", str(b, rc->id));
  put(b, o, "provider", str(b, rc->provider));
  put(b, o, "code", str(b, rc->code));
  put(b, o, "text", str(b, rc->text));
  return o;
}

static json_object *attempt_object(jb *b, const smsmux_attempt *a) {
  json_object *o = new_object(b);
  put(b, o, "provider", str(b, a->provider));
  if (a->skipped) { /* not tried: why it was passed over */
    put(b, o, "result", str(b, "skipped"));
    put(b, o, "reason", str(b, a->message));
    return o;
  }
  put(b, o, "result", str(b, a->ok ? "ok" : "failed"));
  put(b, o, "class", str(b, smsmux_error_class_name(a->cls)));
  put(b, o, "code", str(b, a->code));
  put(b, o, "message", str(b, a->message));
  return o;
}

static json_object *send_object(jb *b, const smsmux_send_result *r) {
  json_object *doc = new_object(b);
  json_object *recipients = new_array(b), *attempts = new_array(b);

  put(b, doc, "provider", str(b, r->provider));
  put(b, doc, "id", str(b, r->id));
  put(b, doc, "route", str(b, r->route));
  put(b, doc, "encoding", str(b, encoding_name(r->encoding)));
  put(b, doc, "segments", integer(b, r->segments));
  put(b, doc, "cost", number(b, r->cost));
  put(b, doc, "duplicate", boolean(b, r->duplicate));
  put(b, doc, "possibly_sent", boolean(b, r->possibly_sent));
  for (size_t i = 0; i < r->n_recipients; i++)
    push(b, recipients, recipient_object(b, &r->recipients[i]));
  put(b, doc, "recipients", recipients);
  for (size_t i = 0; i < r->n_attempts; i++)
    push(b, attempts, attempt_object(b, &r->attempts[i]));
  put(b, doc, "attempts", attempts);
  add_error_if_any(b, doc, &r->error);
  return doc;
}

/** Capability names of `caps`; an unnamed bit is "bitN" when `name_unknown`,
    else left out. */
static json_object *capabilities_array(jb *b, uint32_t caps,
                                       int name_unknown) {
  json_object *a = new_array(b);
  for (unsigned bit = 0; bit < 32; bit++) {
    uint32_t mask = (uint32_t)1 << bit;
    const char *name = smsmux_capability_name(mask);
    char unknown[16];
    if (!(caps & mask))
      continue;
    if (!name && name_unknown) {
      snprintf(unknown, sizeof unknown, "bit%u", bit);
      name = unknown;
    }
    if (name)
      push(b, a, str(b, name));
  }
  return a;
}

static json_object *strings_array(jb *b, char *const *v, size_t n) {
  json_object *a = new_array(b);
  for (size_t i = 0; i < n; i++)
    push(b, a, str(b, v[i]));
  return a;
}

static json_object *provider_info_object(jb *b, const smsmux_provider_info *p) {
  json_object *o = new_object(b);
  char abi[32];

  put(b, o, "name", str(b, p->name));
  put(b, o, "plugin", str(b, p->plugin));
  put(b, o, "path", str(b, p->path));
  put(b, o, "version", str(b, p->version));
  /* 0.0 means the plugin never told (it did not load that far). */
  if (p->abi_major == 0 && p->abi_minor == 0) {
    put(b, o, "abi", NULL);
  } else {
    snprintf(abi, sizeof abi, "%u.%u", p->abi_major, p->abi_minor);
    put(b, o, "abi", str(b, abi));
  }
  put(b, o, "capabilities", capabilities_array(b, p->capabilities, 1));
  put(b, o, "enabled", boolean(b, p->enabled));
  put(b, o, "loaded", boolean(b, p->loaded));
  put(b, o, "error", str(b, p->error));
  put(b, o, "operations", strings_array(b, p->operations, p->n_operations));
  return o;
}

/* ------------------------------------------------------ the documents -- */

char *smsmux_error_json(const smsmux_error *err) {
  jb b = {0};
  json_object *doc = new_object(&b);
  put(&b, doc, "error", error_object(&b, err));
  return finish(&b, doc);
}

char *smsmux_error_object_json(const smsmux_error *err) {
  jb b = {0};
  return finish(&b, error_object(&b, err));
}

char *smsmux_send_result_json(const smsmux_send_result *r) {
  jb b = {0};
  return finish(&b, send_object(&b, r));
}

char *smsmux_batch_item_json(const smsmux_send_result *r, uint64_t line) {
  jb b = {0};
  json_object *o = send_object(&b, r);
  put(&b, o, "line", integer(&b, (int64_t)line));
  return finish(&b, o);
}

char *smsmux_batch_summary_json(const smsmux_batch_summary *s) {
  jb b = {0};
  json_object *summary = new_object(&b), *providers = new_object(&b);

  put(&b, summary, "rows", integer(&b, (int64_t)s->rows));
  put(&b, summary, "sent", integer(&b, (int64_t)s->sent));
  put(&b, summary, "refused", integer(&b, (int64_t)s->refused));
  put(&b, summary, "failed", integer(&b, (int64_t)s->refused)); /* < 0.2 */
  put(&b, summary, "unknown", integer(&b, (int64_t)s->unknown));
  put(&b, summary, "duplicate", integer(&b, (int64_t)s->duplicate));
  put(&b, summary, "not_sent", integer(&b, (int64_t)s->not_sent));
  put(&b, summary, "sends", integer(&b, (int64_t)s->sends));
  put(&b, summary, "requests", integer(&b, (int64_t)s->requests));
  put(&b, summary, "seconds", jb_new(&b, json_object_new_double(s->seconds)));
  for (size_t i = 0; i < s->n_providers; i++) {
    const smsmux_batch_provider_count *c = &s->providers[i];
    json_object *p = new_object(&b);
    put(&b, p, "sent", integer(&b, (int64_t)c->sent));
    put(&b, p, "refused", integer(&b, (int64_t)c->refused));
    put(&b, p, "unknown", integer(&b, (int64_t)c->unknown));
    put(&b, providers, c->provider, p);
  }
  put(&b, summary, "providers", providers);
  return finish(&b, summary);
}

char *smsmux_route_explain_json(const smsmux_route_explain *r) {
  jb b = {0};
  json_object *doc = new_object(&b), *cands = new_array(&b);

  put(&b, doc, "route", str(&b, r->route));
  put(&b, doc, "policy", str(&b, r->policy));
  put(&b, doc, "encoding", str(&b, encoding_name(r->encoding)));
  put(&b, doc, "segments", integer(&b, r->segments));
  for (size_t i = 0; i < r->n_candidates; i++) {
    const smsmux_route_candidate *c = &r->candidates[i];
    json_object *o = new_object(&b);
    put(&b, o, "provider", str(&b, c->provider));
    put(&b, o, "chosen", boolean(&b, c->chosen));
    put(&b, o, "reason", str(&b, c->reason));
    put(&b, o, "cost", number(&b, c->cost));
    push(&b, cands, o);
  }
  put(&b, doc, "candidates", cands);
  add_error_if_any(&b, doc, &r->error);
  return finish(&b, doc);
}

char *smsmux_status_result_json(const smsmux_status_result *r) {
  jb b = {0};
  json_object *doc = new_object(&b), *list = new_array(&b);

  put(&b, doc, "provider", str(&b, r->provider));
  put(&b, doc, "id", str(&b, r->id));
  for (size_t i = 0; i < r->n_entries; i++) {
    const smsmux_status_entry *e = &r->entries[i];
    json_object *o = new_object(&b);
    put(&b, o, "to", str(&b, e->to));
    put(&b, o, "status", str(&b, smsmux_status_name(e->status)));
    put(&b, o, "code", str(&b, e->code));
    put(&b, o, "text", str(&b, e->text));
    put(&b, o, "at", str(&b, e->at));
    push(&b, list, o);
  }
  put(&b, doc, "recipients", list);
  add_error_if_any(&b, doc, &r->error);
  return finish(&b, doc);
}

char *smsmux_replies_result_json(const smsmux_replies_result *r) {
  jb b = {0};
  json_object *doc = new_object(&b), *list = new_array(&b);

  put(&b, doc, "provider", str(&b, r->provider));
  for (size_t i = 0; i < r->n_entries; i++) {
    const smsmux_reply_entry *e = &r->entries[i];
    json_object *o = new_object(&b);
    put(&b, o, "from", str(&b, e->from));
    put(&b, o, "to", str(&b, e->to));
    put(&b, o, "text", str(&b, e->text));
    put(&b, o, "at", str(&b, e->at));
    put(&b, o, "id", str(&b, e->id));
    put(&b, o, "message_id", str(&b, e->message_id));
    push(&b, list, o);
  }
  put(&b, doc, "replies", list);
  add_error_if_any(&b, doc, &r->error);
  return finish(&b, doc);
}

char *smsmux_credit_result_json(const smsmux_credit_result *r) {
  jb b = {0};
  json_object *doc = new_object(&b), *list = new_array(&b);

  for (size_t i = 0; i < r->n_entries; i++) {
    const smsmux_credit_entry *e = &r->entries[i];
    json_object *o = new_object(&b);
    put(&b, o, "provider", str(&b, e->provider));
    if (e->ok) {
      put(&b, o, "credit", number(&b, e->credit));
      put(&b, o, "unit", str(&b, e->unit));
    } else {
      put(&b, o, "error", error_object(&b, &e->error));
    }
    push(&b, list, o);
  }
  put(&b, doc, "credits", list);
  add_error_if_any(&b, doc, &r->error);
  return finish(&b, doc);
}

char *smsmux_cancel_json(const char *provider, const char *id,
                         const smsmux_error *err) {
  jb b = {0};
  json_object *doc = new_object(&b);

  put(&b, doc, "provider", str(&b, provider));
  put(&b, doc, "id", str(&b, id));
  put(&b, doc, "cancelled", boolean(&b, err->cls == SMSMUX_OK));
  add_error_if_any(&b, doc, err);
  return finish(&b, doc);
}

char *smsmux_call_result_json(const smsmux_call_result *r) {
  jb b = {0};
  json_object *doc = new_object(&b), *list = new_array(&b);

  put(&b, doc, "provider", str(&b, r->provider));
  put(&b, doc, "op", str(&b, r->op));
  for (size_t i = 0; i < r->n_records; i++) {
    const smsmux_record *rec = &r->records[i];
    json_object *o = new_object(&b);
    for (size_t f = 0; f < rec->n_fields; f++)
      if (rec->fields[f].key)
        put(&b, o, rec->fields[f].key, str(&b, rec->fields[f].value));
    push(&b, list, o);
  }
  put(&b, doc, "records", list);
  add_error_if_any(&b, doc, &r->error);
  return finish(&b, doc);
}

char *smsmux_provider_list_json(const char *key,
                                const smsmux_provider_list *l) {
  jb b = {0};
  json_object *doc = new_object(&b), *list = new_array(&b);

  for (size_t i = 0; l && i < l->n_items; i++)
    push(&b, list, provider_info_object(&b, &l->items[i]));
  put(&b, doc, key, list);
  return finish(&b, doc);
}

char *smsmux_plugin_report_json(const smsmux_plugin_report *r) {
  jb b = {0};
  json_object *o = new_object(&b);
  char abi[32];

  put(&b, o, "path", str(&b, r->path));
  put(&b, o, "ok", boolean(&b, r->ok));
  put(&b, o, "entry_symbol", str(&b, SMSMUX_PROVIDER_ENTRY));
  put(&b, o, "opened", boolean(&b, r->opened));
  put(&b, o, "entry_found", boolean(&b, r->entry_found));
  put(&b, o, "descriptor_found", boolean(&b, r->descriptor_found));
  if (r->descriptor_found) {
    snprintf(abi, sizeof abi, "%u.%u", r->abi_major, r->abi_minor);
    put(&b, o, "abi", str(&b, abi));
    put(&b, o, "descriptor_size", integer(&b, (int64_t)r->declared_size));
  } else {
    put(&b, o, "abi", NULL);
    put(&b, o, "descriptor_size", NULL);
  }
  snprintf(abi, sizeof abi, "%u.%u", r->host_abi_major, r->host_abi_minor);
  put(&b, o, "host_abi", str(&b, abi));
  put(&b, o, "host_descriptor_size", integer(&b, (int64_t)r->host_size));
  put(&b, o, "name", str(&b, r->name));
  put(&b, o, "version", str(&b, r->version));
  put(&b, o, "summary", str(&b, r->summary));
  put(&b, o, "capabilities", capabilities_array(&b, r->capabilities, 0));
  put(&b, o, "max_recipients",
      r->readable ? integer(&b, r->max_recipients) : NULL);
  put(&b, o, "default_base_url", str(&b, r->default_base_url));
  put(&b, o, "config_keys",
      strings_array(&b, r->config_keys, r->n_config_keys));
  put(&b, o, "operations", strings_array(&b, r->operations, r->n_operations));
  put(&b, o, "problems", strings_array(&b, r->problems, r->n_problems));
  put(&b, o, "warnings", strings_array(&b, r->warnings, r->n_warnings));
  if (r->error.cls != SMSMUX_OK) {
    /* the message as it is, even empty (no fallback to the class name) */
    json_object *e = new_object(&b);
    put(&b, e, "class", str(&b, smsmux_error_class_name(r->error.cls)));
    put(&b, e, "code", str(&b, r->error.code[0] ? r->error.code : NULL));
    put(&b, e, "message", str(&b, r->error.message));
    put(&b, o, "error", e);
  }
  return finish(&b, o);
}
