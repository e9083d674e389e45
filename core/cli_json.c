/* cli_json: the `--json` output of the smsmux command, built with json-c.
 * One document on stdout per run, on failure too; missing values are JSON
 * null.  Key names are part of the command's interface: see DESIGN.md. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "cli.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>

static json_object *send_object(const smsmux_send_result *r);
static json_object *error_object(const smsmux_error *err);
static json_object *string_or_null(const char *s);
static json_object *number(double d);
static const char *encoding_name(smsmux_encoding enc);
static void print_document(json_object *doc);
static void add_error_if_any(json_object *obj, const smsmux_error *err);
static json_object *provider_info_object(const smsmux_provider_info *p);

/* Plain (one line, no "\/" escapes): easy to pipe into jq or a log. */
#define CLI_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

void cli_json_error(const smsmux_error *err) {
  json_object *doc = json_object_new_object();
  json_object_object_add(doc, "error", error_object(err));
  print_document(doc);
}

void cli_json_send(const smsmux_send_result *r) {
  print_document(send_object(r));
}

/* The batch document is written piecewise; batch_items counts the items
   already printed so that the separators come out right. */
static unsigned long batch_items;

void cli_json_batch_begin(void) {
  batch_items = 0;
  fputs("{\"messages\":[", stdout);
}

void cli_json_batch_item(const smsmux_send_result *r, unsigned long line) {
  json_object *obj = send_object(r);
  json_object_object_add(obj, "line", json_object_new_int64((int64_t)line));
  if (batch_items++ > 0)
    fputc(',', stdout);
  fputs(json_object_to_json_string_ext(obj, CLI_JSON_FLAGS), stdout);
  json_object_put(obj);
}

void cli_json_batch_end(const smsmux_batch_summary *s,
                        const smsmux_error *err) {
  json_object *summary = json_object_new_object();
  json_object *providers = json_object_new_object();
  size_t i;
#define ADD_COUNT(o, name, v)                                                  \
  json_object_object_add((o), (name), json_object_new_int64((int64_t)(v)))
  ADD_COUNT(summary, "rows", s->rows);
  ADD_COUNT(summary, "sent", s->sent);
  ADD_COUNT(summary, "refused", s->refused);
  ADD_COUNT(summary, "failed", s->refused); /* the name before 0.2 */
  ADD_COUNT(summary, "unknown", s->unknown);
  ADD_COUNT(summary, "duplicate", s->duplicate);
  ADD_COUNT(summary, "not_sent", s->not_sent);
  ADD_COUNT(summary, "sends", s->sends);
  ADD_COUNT(summary, "requests", s->requests);
  json_object_object_add(summary, "seconds", json_object_new_double(s->seconds));
  for (i = 0; i < s->n_providers; i++) {
    json_object *p = json_object_new_object();
    ADD_COUNT(p, "sent", s->providers[i].sent);
    ADD_COUNT(p, "refused", s->providers[i].refused);
    ADD_COUNT(p, "unknown", s->providers[i].unknown);
    json_object_object_add(providers, s->providers[i].provider, p);
  }
#undef ADD_COUNT
  json_object_object_add(summary, "providers", providers);
  fputs("],\"summary\":", stdout);
  fputs(json_object_to_json_string_ext(summary, CLI_JSON_FLAGS), stdout);
  json_object_put(summary);
  if (err && err->cls != SMSMUX_OK) {
    json_object *e = error_object(err);
    fputs(",\"error\":", stdout);
    fputs(json_object_to_json_string_ext(e, CLI_JSON_FLAGS), stdout);
    json_object_put(e);
  }
  fputs("}\n", stdout);
  fflush(stdout);
}

void cli_json_route(const smsmux_route_explain *r) {
  json_object *doc = json_object_new_object();
  json_object *cands = json_object_new_array();
  json_object_object_add(doc, "route", string_or_null(r->route));
  json_object_object_add(doc, "policy", string_or_null(r->policy));
  json_object_object_add(doc, "encoding",
                         json_object_new_string(encoding_name(r->encoding)));
  json_object_object_add(doc, "segments", json_object_new_int64(r->segments));
  for (size_t i = 0; i < r->n_candidates; i++) {
    const smsmux_route_candidate *c = &r->candidates[i];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "provider", string_or_null(c->provider));
    json_object_object_add(o, "chosen",
                           json_object_new_boolean(c->chosen != 0));
    json_object_object_add(o, "reason", string_or_null(c->reason));
    json_object_object_add(o, "cost", number(c->cost));
    json_object_array_add(cands, o);
  }
  json_object_object_add(doc, "candidates", cands);
  add_error_if_any(doc, &r->error);
  print_document(doc);
}

void cli_json_status(const smsmux_status_result *r) {
  json_object *doc = json_object_new_object();
  json_object *list = json_object_new_array();
  json_object_object_add(doc, "provider", string_or_null(r->provider));
  json_object_object_add(doc, "id", string_or_null(r->id));
  for (size_t i = 0; i < r->n_entries; i++) {
    const smsmux_status_entry *e = &r->entries[i];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "to", string_or_null(e->to));
    json_object_object_add(
        o, "status", json_object_new_string(smsmux_status_name(e->status)));
    json_object_object_add(o, "code", string_or_null(e->code));
    json_object_object_add(o, "text", string_or_null(e->text));
    json_object_object_add(o, "at", string_or_null(e->at));
    json_object_array_add(list, o);
  }
  json_object_object_add(doc, "recipients", list);
  add_error_if_any(doc, &r->error);
  print_document(doc);
}

void cli_json_replies(const smsmux_replies_result *r) {
  json_object *doc = json_object_new_object();
  json_object *list = json_object_new_array();
  json_object_object_add(doc, "provider", string_or_null(r->provider));
  for (size_t i = 0; i < r->n_entries; i++) {
    const smsmux_reply_entry *e = &r->entries[i];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "from", string_or_null(e->from));
    json_object_object_add(o, "to", string_or_null(e->to));
    json_object_object_add(o, "text", string_or_null(e->text));
    json_object_object_add(o, "at", string_or_null(e->at));
    json_object_object_add(o, "id", string_or_null(e->id));
    json_object_object_add(o, "message_id", string_or_null(e->message_id));
    json_object_array_add(list, o);
  }
  json_object_object_add(doc, "replies", list);
  add_error_if_any(doc, &r->error);
  print_document(doc);
}

void cli_json_credit(const smsmux_credit_result *r) {
  json_object *doc = json_object_new_object();
  json_object *list = json_object_new_array();
  for (size_t i = 0; i < r->n_entries; i++) {
    const smsmux_credit_entry *e = &r->entries[i];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "provider", string_or_null(e->provider));
    if (e->ok) {
      json_object_object_add(o, "credit", number(e->credit));
      json_object_object_add(o, "unit", string_or_null(e->unit));
    } else {
      json_object_object_add(o, "error", error_object(&e->error));
    }
    json_object_array_add(list, o);
  }
  json_object_object_add(doc, "credits", list);
  add_error_if_any(doc, &r->error);
  print_document(doc);
}

void cli_json_cancel(const char *provider, const char *id,
                     const smsmux_error *err) {
  json_object *doc = json_object_new_object();
  json_object_object_add(doc, "provider", string_or_null(provider));
  json_object_object_add(doc, "id", string_or_null(id));
  json_object_object_add(doc, "cancelled",
                         json_object_new_boolean(err->cls == SMSMUX_OK));
  add_error_if_any(doc, err);
  print_document(doc);
}

void cli_json_call(const smsmux_call_result *r) {
  json_object *doc = json_object_new_object();
  json_object *list = json_object_new_array();
  json_object_object_add(doc, "provider", string_or_null(r->provider));
  json_object_object_add(doc, "op", string_or_null(r->op));
  for (size_t i = 0; i < r->n_records; i++) {
    const smsmux_record *rec = &r->records[i];
    json_object *o = json_object_new_object();
    for (size_t f = 0; f < rec->n_fields; f++)
      if (rec->fields[f].key)
        json_object_object_add(o, rec->fields[f].key,
                               string_or_null(rec->fields[f].value));
    json_object_array_add(list, o);
  }
  json_object_object_add(doc, "records", list);
  add_error_if_any(doc, &r->error);
  print_document(doc);
}

void cli_json_provider_list(const char *key, const smsmux_provider_list *l) {
  json_object *doc = json_object_new_object();
  json_object *list = json_object_new_array();
  for (size_t i = 0; l && i < l->n_items; i++)
    json_object_array_add(list, provider_info_object(&l->items[i]));
  json_object_object_add(doc, key, list);
  print_document(doc);
}

/* ------------------------------------------------------------ helpers -- */

static json_object *send_object(const smsmux_send_result *r) {
  json_object *doc = json_object_new_object();
  json_object *recipients = json_object_new_array();
  json_object *attempts = json_object_new_array();
  json_object_object_add(doc, "provider", string_or_null(r->provider));
  json_object_object_add(doc, "id", string_or_null(r->id));
  json_object_object_add(doc, "route", string_or_null(r->route));
  json_object_object_add(doc, "encoding",
                         json_object_new_string(encoding_name(r->encoding)));
  json_object_object_add(doc, "segments", json_object_new_int64(r->segments));
  json_object_object_add(doc, "cost", number(r->cost));
  json_object_object_add(doc, "duplicate",
                         json_object_new_boolean(r->duplicate != 0));
  json_object_object_add(doc, "possibly_sent",
                         json_object_new_boolean(r->possibly_sent != 0));
  for (size_t i = 0; i < r->n_recipients; i++) {
    const smsmux_recipient_result *rc = &r->recipients[i];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "to", string_or_null(rc->to));
    json_object_object_add(
        o, "status", json_object_new_string(smsmux_status_name(rc->status)));
    json_object_object_add(o, "id", string_or_null(rc->id));
    json_object_object_add(o, "provider", string_or_null(rc->provider));
    json_object_object_add(o, "code", string_or_null(rc->code));
    json_object_object_add(o, "text", string_or_null(rc->text));
    json_object_array_add(recipients, o);
  }
  json_object_object_add(doc, "recipients", recipients);
  for (size_t i = 0; i < r->n_attempts; i++) {
    const smsmux_attempt *a = &r->attempts[i];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "provider", string_or_null(a->provider));
    json_object_object_add(o, "result",
                           json_object_new_string(a->ok ? "ok" : "failed"));
    json_object_object_add(
        o, "class", json_object_new_string(smsmux_error_class_name(a->cls)));
    json_object_object_add(o, "code", string_or_null(a->code));
    json_object_object_add(o, "message", string_or_null(a->message));
    json_object_array_add(attempts, o);
  }
  json_object_object_add(doc, "attempts", attempts);
  add_error_if_any(doc, &r->error);
  return doc;
}

static json_object *error_object(const smsmux_error *err) {
  json_object *o = json_object_new_object();
  json_object_object_add(
      o, "class", json_object_new_string(smsmux_error_class_name(err->cls)));
  json_object_object_add(o, "code",
                         string_or_null(err->code[0] ? err->code : NULL));
  json_object_object_add(
      o, "message",
      json_object_new_string(
          err->message[0] ? err->message : smsmux_error_class_name(err->cls)));
  return o;
}

static void add_error_if_any(json_object *obj, const smsmux_error *err) {
  if (err->cls != SMSMUX_OK)
    json_object_object_add(obj, "error", error_object(err));
}

static json_object *provider_info_object(const smsmux_provider_info *p) {
  json_object *o = json_object_new_object();
  json_object *caps = json_object_new_array();
  json_object *ops = json_object_new_array();
  char abi[32];

  json_object_object_add(o, "name", string_or_null(p->name));
  json_object_object_add(o, "plugin", string_or_null(p->plugin));
  json_object_object_add(o, "path", string_or_null(p->path));
  json_object_object_add(o, "version", string_or_null(p->version));
  /* 0.0 means the plugin never told (it did not load that far). */
  if (p->abi_major == 0 && p->abi_minor == 0) {
    json_object_object_add(o, "abi", NULL);
  } else {
    snprintf(abi, sizeof abi, "%u.%u", p->abi_major, p->abi_minor);
    json_object_object_add(o, "abi", json_object_new_string(abi));
  }
  for (unsigned b = 0; b < 32; b++) {
    uint32_t bit = (uint32_t)1 << b;
    if (p->capabilities & bit) {
      const char *name = smsmux_capability_name(bit);
      char unknown[16];
      if (!name) {
        snprintf(unknown, sizeof unknown, "bit%u", b);
        name = unknown;
      }
      json_object_array_add(caps, json_object_new_string(name));
    }
  }
  json_object_object_add(o, "capabilities", caps);
  json_object_object_add(o, "enabled",
                         json_object_new_boolean(p->enabled != 0));
  json_object_object_add(o, "loaded", json_object_new_boolean(p->loaded != 0));
  json_object_object_add(o, "error", string_or_null(p->error));
  for (size_t i = 0; i < p->n_operations; i++)
    json_object_array_add(ops, string_or_null(p->operations[i]));
  json_object_object_add(o, "operations", ops);
  return o;
}

static json_object *string_or_null(const char *s) {
  return s ? json_object_new_string(s) : NULL;
}

/* Costs and credits: print "0.135", not json-c's %.17g "0.13500000000000001".
 */
static json_object *number(double d) {
  char buf[64];
  if (!isfinite(d))
    return NULL;
  snprintf(buf, sizeof buf, "%.10g", d);
  return json_object_new_double_s(d, buf);
}

static const char *encoding_name(smsmux_encoding enc) {
  return enc == SMSMUX_ENC_UCS2 ? "ucs2" : "gsm7";
}

static void print_document(json_object *doc) {
  puts(json_object_to_json_string_ext(doc, CLI_JSON_FLAGS));
  fflush(stdout);
  json_object_put(doc);
}
