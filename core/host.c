/* host: what a plugin can ask of smsmux during one operation.  Everything
 * a plugin reports is copied; everything handed to it lives in the call's
 * arena until the operation returns (or, for `open`, until `close`).
 *
 * Out of memory in a service or a sink marks the call (call_oom): the
 * service returns NULL (an empty text or list where provider.h promises
 * one), the sink drops what it was given, and the operation fails with
 * SMSMUX_ERR_SYSTEM whatever the plugin returns (call_settle). */
#include "host.h"
#include "charset.h"
#include "redact.h"
#include "msg.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void call_init(smsmux_call *c, instance *inst, call_kind kind) {
  memset(c, 0, sizeof *c);
  c->inst = inst;
  c->kind = kind;
}

/* Memory for the plugin: the open call's arena lives until close. */
static arena *call_arena(smsmux_call *c) {
  return c->kind == CALL_OPEN ? &c->inst->open_mem : &c->mem;
}

void call_free_statuses(smsmux_status_entry *e, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    free(e[i].to);
    free(e[i].code);
    free(e[i].text);
    free(e[i].at);
  }
  free(e);
}

void call_free_replies(smsmux_reply_entry *e, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    free(e[i].from);
    free(e[i].to);
    free(e[i].text);
    free(e[i].at);
    free(e[i].id);
    free(e[i].message_id);
  }
  free(e);
}

void call_done(smsmux_call *c) {
  size_t i, j;
  arena_free(&c->mem);
  free(c->headers); /* the strings are in c->mem */
  free(c->message_id);
  for (i = 0; i < c->n_recipients; i++) {
    free(c->recipients[i].to);
    free(c->recipients[i].id);
    free(c->recipients[i].code);
    free(c->recipients[i].text);
  }
  free(c->recipients);
  call_free_statuses(c->statuses, c->n_statuses);
  call_free_replies(c->replies, c->n_replies);
  free(c->balance_unit);
  for (i = 0; i < c->n_records; i++) {
    for (j = 0; j < c->records[i].n_fields; j++) {
      free((char *)c->records[i].fields[j].key);
      free((char *)c->records[i].fields[j].value);
    }
    free(c->records[i].fields);
  }
  free(c->records);
  memset(c, 0, sizeof *c);
}

void call_oom(smsmux_call *c) {
  c->oom = 1;
  c->failed = 1;
}

void call_settle(smsmux_call *c, int rc) {
  if (c->oom) {
    c->failed = 1;
    if (c->requested && (c->kind == CALL_SEND || c->kind == CALL_CANCEL ||
                         c->kind == CALL_OP))
      err_set(&c->err, SMSMUX_ERR_UNKNOWN_OUTCOME, NULL,
              "%s: out of memory after the request was sent: the provider "
              "may have accepted it; check with `smsmux status` before "
              "sending again",
              c->inst->cfg->name);
    else
      err_oom(&c->err);
    return;
  }
  if (rc == 0 && !c->failed)
    return;
  if (!c->failed) {
    /* The plugin said "failed" without saying why. */
    c->failed = 1;
    err_set(&c->err, SMSMUX_ERR_PERMANENT, NULL,
            "%s: the %s plugin reported a failure without details",
            c->inst->cfg->name, c->inst->cfg->plugin);
  }
  /* A read cannot have been "possibly done": a timeout there is just a
     temporary failure.  Sends, cancels and provider operations (which may
     transfer credit or start a campaign) keep UNKNOWN_OUTCOME. */
  if ((c->kind == CALL_STATUS || c->kind == CALL_BALANCE ||
       c->kind == CALL_REPLIES || c->kind == CALL_OPEN ||
       c->kind == CALL_INBOUND) &&
      c->err.cls == SMSMUX_ERR_UNKNOWN_OUTCOME)
    c->err.cls = SMSMUX_ERR_TEMPORARY;
}

char *host_redact(const instance *inst, const char *text,
                  const char *const *secret_params) {
  return redact_text((const char *const *)inst->secrets, text, secret_params);
}

/* A plugin's line or error message as it may be shown: secrets redacted,
   control characters escaped (the message may quote the user's input or
   the provider's answer, which could hold terminal escapes). */
static char *host_shown(const instance *inst, const char *text) {
  char *safe = text ? host_redact(inst, text, NULL) : NULL;
  char *shown = safe ? str_escape_controls(safe) : NULL;
  free(safe);
  return shown;
}

int host_open_instance(instance *inst) {
  smsmux_call call;
  int rc;
  if (!inst->cfg->enabled) {
    inst->error = str_dup("disabled (enabled = no)");
    return inst->error ? 0 : -1;
  }
  if (!inst->plugin || !inst->plugin->loaded) {
    inst->error = str_dup(inst->plugin && inst->plugin->error
                              ? inst->plugin->error
                              : "plugin not loaded");
    return inst->error ? 0 : -1;
  }
  call_init(&call, inst, CALL_OPEN);
  rc = inst->desc->open(&host_table, &call, &inst->state);
  call_settle(&call, rc);
  /* out of memory, ours or the plugin's (which says so in these words,
     docs/PLUGINS.md): not the instance's fault, so not kept as its error */
  if (call.oom || (call.failed && call.err.cls == SMSMUX_ERR_SYSTEM &&
                   strstr(call.err.message, "out of memory"))) {
    /* the plugin, unaware, may have opened: close what it kept */
    if (rc == 0 && inst->desc->close)
      inst->desc->close(inst->state);
    inst->state = NULL;
    arena_free(&inst->open_mem);
    rc = -1;
  } else if (call.failed) {
    inst->error = str_printf("cannot open: %s", call.err.message);
    inst->state = NULL;
    rc = inst->error ? 0 : -1;
  } else {
    inst->usable = 1;
    instance_warn_cleartext(inst);
    rc = 0;
  }
  call_done(&call);
  return rc;
}

/* ----------------------------------------------------------- services -- */

static void host_log(smsmux_call *c, smsmux_log_level level, const char *fmt,
                     ...) SMSMUX_PRINTF(3, 4);
static void host_log(smsmux_call *c, smsmux_log_level level, const char *fmt,
                     ...) {
  va_list ap;
  char *line, *safe;
  if (level == SMSMUX_LOG_DEBUG && !log_debug_on(c->inst->env->log))
    return;
  va_start(ap, fmt);
  line = str_vprintf(fmt, ap);
  va_end(ap);
  safe = host_shown(c->inst, line);
  /* a line lost for want of memory is said so, and costs nothing else */
  log_write(c->inst->env->log, level, "%s: %s", c->inst->cfg->name,
            safe ? safe : "(a line lost: out of memory)");
  free(safe);
  free(line);
}

static const char *host_config_get(smsmux_call *c, const char *key) {
  if (strcmp(key, "base_url") == 0)
    return c->inst->base_url;
  return cfg_provider_get(c->inst->cfg, key);
}

static int host_fail(smsmux_call *c, smsmux_error_class cls, const char *code,
                     const char *fmt, ...) SMSMUX_PRINTF(4, 5);
static int host_fail(smsmux_call *c, smsmux_error_class cls, const char *code,
                     const char *fmt, ...) {
  va_list ap;
  char *msg, *safe;
  if (cls == SMSMUX_OK || cls > SMSMUX_ERR_UNSUITABLE)
    cls = SMSMUX_ERR_PERMANENT;
  if (c->oom)
    return -1; /* out of memory is the failure, whatever followed */
  va_start(ap, fmt);
  msg = str_vprintf(fmt, ap);
  va_end(ap);
  safe = host_shown(c->inst, msg);
  c->failed = 1;
  if (!safe)
    call_oom(c);
  else
    err_set(&c->err, cls, code, "%s: %s", c->inst->cfg->name, safe);
  free(safe);
  free(msg);
  return -1;
}

static const char *host_http_header(smsmux_call *c, const char *name) {
  size_t i;
  for (i = c->n_headers; i > 0; i--)
    if (str_ieq(c->headers[i - 1].name, name))
      return c->headers[i - 1].value;
  return NULL;
}

/* Call memory: NULL when out of memory (the call is marked). */
static void *call_mem(smsmux_call *c, void *p) {
  if (!p)
    call_oom(c);
  return p;
}

static void *host_alloc(smsmux_call *c, size_t n) {
  return call_mem(c, arena_alloc(call_arena(c), n));
}

/* Copies in call memory: NULL for NULL, or when out of memory (marked). */
static char *call_strndup(smsmux_call *c, const char *s, size_t n) {
  return s ? call_mem(c, arena_strndup(call_arena(c), s, n)) : NULL;
}

static char *call_strdup(smsmux_call *c, const char *s) {
  return s ? call_mem(c, arena_strdup(call_arena(c), s)) : NULL;
}

/* A copy for a sink (malloc'd); s NULL gives NULL, and so does out of
   memory, after marking the call. */
static char *sink_dup(smsmux_call *c, const char *s) {
  char *d = str_dup(s);
  if (s && !d)
    call_oom(c);
  return d;
}

static char *host_strf(smsmux_call *c, const char *fmt, ...)
    SMSMUX_PRINTF(2, 3);
static char *host_strf(smsmux_call *c, const char *fmt, ...) {
  va_list ap;
  char *s;
  va_start(ap, fmt);
  s = arena_vprintf(call_arena(c), fmt, ap);
  va_end(ap);
  return call_mem(c, s);
}

static const char *host_to_charset(smsmux_call *c, const char *text,
                                   const char *charset, size_t *len) {
  size_t n = 0;
  char *conv, *out;
  errno = 0;
  conv = charset_from_utf8(text ? text : "", charset, &n);
  if (!conv && errno == ENOMEM)
    call_oom(c);
  if (c->oom) {
    free(conv);
    return NULL;
  }
  if (!conv) {
    host_fail(c, SMSMUX_ERR_SYSTEM, NULL, "cannot convert text to %s",
              charset);
    return NULL;
  }
  out = host_alloc(c, n);
  if (out)
    memcpy(out, conv, n);
  free(conv);
  if (!out)
    return NULL;
  if (len)
    *len = n;
  return out;
}

static const char *host_from_charset(smsmux_call *c, const char *bytes,
                                     size_t len, const char *charset) {
  char *conv, *out;
  errno = 0;
  conv = charset_to_utf8(bytes ? bytes : "", bytes ? len : 0, charset);
  if (!conv && errno == ENOMEM)
    call_oom(c);
  if (c->oom) {
    free(conv);
    return NULL;
  }
  if (!conv) {
    host_fail(c, SMSMUX_ERR_SYSTEM, NULL, "cannot convert text from %s",
              charset);
    return NULL;
  }
  out = call_strdup(c, conv);
  free(conv);
  return out;
}

static const char *host_number_format(smsmux_call *c, const char *e164,
                                      smsmux_number_style style) {
  char buf[32];
  return call_strdup(c, msg_number_format(e164, style, buf, sizeof buf));
}

/* 1 when `s` is already E.164 (+, 8 to 15 digits, no leading 0): what
   plugins mostly hand back, kept as is without a second normalisation. */
static int is_e164(const char *s) {
  size_t n = strspn(s + 1, "0123456789");
  return s[0] == '+' && s[1] != '0' && n >= 8 && n <= 15 && s[n + 1] == '\0';
}

static const char *host_number_normalise(smsmux_call *c, const char *number) {
  char buf[32], err[256];
  if (!number)
    return NULL;
  if (is_e164(number))
    return number;
  if (msg_number_e164(number, c->inst->env->conf->default_cc, buf, sizeof buf,
                      err, sizeof err) == 0)
    return call_strdup(c, buf);
  return call_strdup(c, number);
}

/* -------------------------------------------------------------- sinks -- */

static void host_set_message_id(smsmux_call *c, const char *id) {
  free(c->message_id);
  c->message_id = sink_dup(c, id);
}

/* The sinks keep an entry only when it is whole: out of memory drops it
   (the call is marked and fails). */
static void host_add_recipient(smsmux_call *c, const char *to,
                               smsmux_status st, const char *id,
                               const char *code, const char *text) {
  call_recipient r = {NULL, NULL, NULL, NULL, st}, *slot;
  const char *e164 = host_number_normalise(c, to);
  r.to = e164 ? sink_dup(c, e164) : NULL;
  r.id = sink_dup(c, id);
  r.code = sink_dup(c, code);
  r.text = sink_dup(c, text);
  if ((to && !r.to) || (id && !r.id) || (code && !r.code) ||
      (text && !r.text) ||
      !(slot = VEC_PUSH(c->recipients, c->n_recipients, c->cap_recipients))) {
    call_oom(c);
    free(r.to);
    free(r.id);
    free(r.code);
    free(r.text);
    return;
  }
  *slot = r;
}

static void host_add_status(smsmux_call *c, const smsmux_status_record *rec) {
  smsmux_status_entry e, *slot;
  const char *to;
  if (!rec || rec->size < offsetof(smsmux_status_record, at))
    return;
  memset(&e, 0, sizeof e);
  to = host_number_normalise(c, rec->to);
  e.to = to ? sink_dup(c, to) : NULL;
  e.status = rec->status;
  e.code = sink_dup(c, rec->code);
  e.text = sink_dup(c, rec->text);
  if (SMSMUX_HAS_MEMBER(rec, smsmux_status_record, at))
    e.at = sink_dup(c, rec->at);
  if (c->oom || !(slot = VEC_PUSH(c->statuses, c->n_statuses,
                                  c->cap_statuses))) {
    call_oom(c);
    free(e.to);
    free(e.code);
    free(e.text);
    free(e.at);
    return;
  }
  *slot = e;
}

static void host_add_reply(smsmux_call *c, const smsmux_reply *r) {
  smsmux_reply_entry e, *slot;
  const char *from;
  if (!r || !SMSMUX_HAS_MEMBER(r, smsmux_reply, text))
    return;
  memset(&e, 0, sizeof e);
  from = host_number_normalise(c, r->from);
  e.from = from ? sink_dup(c, from) : NULL;
  e.to = sink_dup(c, r->to);
  e.text = sink_dup(c, r->text);
  if (SMSMUX_HAS_MEMBER(r, smsmux_reply, at))
    e.at = sink_dup(c, r->at);
  if (SMSMUX_HAS_MEMBER(r, smsmux_reply, id))
    e.id = sink_dup(c, r->id);
  if (SMSMUX_HAS_MEMBER(r, smsmux_reply, message_id))
    e.message_id = sink_dup(c, r->message_id);
  if (c->oom ||
      !(slot = VEC_PUSH(c->replies, c->n_replies, c->cap_replies))) {
    call_oom(c);
    free(e.from);
    free(e.to);
    free(e.text);
    free(e.at);
    free(e.id);
    free(e.message_id);
    return;
  }
  *slot = e;
}

static void host_set_balance(smsmux_call *c, double credit, const char *unit) {
  c->has_balance = 1;
  c->balance = credit;
  free(c->balance_unit);
  c->balance_unit = sink_dup(c, unit);
}

static void host_begin_record(smsmux_call *c) {
  if (!VEC_PUSH(c->records, c->n_records, c->cap_records))
    call_oom(c);
}

static void host_add_result(smsmux_call *c, const char *key,
                            const char *value) {
  smsmux_record *r;
  smsmux_kv *fields;
  char *k, *v;
  if (!key)
    return;
  if (c->n_records == 0)
    host_begin_record(c);
  if (c->n_records == 0)
    return;
  r = &c->records[c->n_records - 1];
  k = sink_dup(c, key);
  v = sink_dup(c, value ? value : "");
  /* grow one by one: records are small */
  fields = k && v ? realloc(r->fields, (r->n_fields + 1) * sizeof *r->fields)
                  : NULL;
  if (!fields) {
    call_oom(c);
    free(k);
    free(v);
    return;
  }
  r->fields = fields;
  r->fields[r->n_fields].key = k;
  r->fields[r->n_fields].value = v;
  r->n_fields++;
}

/* ------------------------------------------------------------ helpers -- */

static smsmux_error_class host_http_class(long s, int sending) {
  if (s == 401 || s == 403)
    return SMSMUX_ERR_AUTH;
  if (s == 402)
    return SMSMUX_ERR_CREDIT;
  if (s == 400 || s == 404 || s == 409 || s == 422)
    return SMSMUX_ERR_INVALID;
  if (s == 429 || s == 502 || s == 503 || s == 504)
    return SMSMUX_ERR_TEMPORARY;
  if (s >= 500)
    return sending ? SMSMUX_ERR_UNKNOWN_OUTCOME : SMSMUX_ERR_TEMPORARY;
  return SMSMUX_ERR_PERMANENT;
}

static int host_fail_http(smsmux_call *c, const smsmux_http_response *resp,
                          int sending) {
  long s = resp ? resp->status : 0;
  smsmux_error_class cls = host_http_class(s, sending);
  char code[32], snippet[121];
  const char *what;
  size_t i, n = 0;

  switch (cls) {
  case SMSMUX_ERR_AUTH:
    what = "credentials refused: check the login, password or token";
    break;
  case SMSMUX_ERR_CREDIT:
    what = "not enough credit on the account";
    break;
  case SMSMUX_ERR_INVALID:
    what = "the provider refused the request";
    break;
  case SMSMUX_ERR_TEMPORARY:
    what = s >= 500 && s != 502 && s != 503 && s != 504
               ? "provider error"
               : "the provider is temporarily unavailable";
    break;
  case SMSMUX_ERR_UNKNOWN_OUTCOME:
    what = "provider error: the message may have been accepted";
    break;
  default:
    what = "unexpected answer";
    break;
  }
  if (resp && resp->body)
    for (i = 0; i < resp->body_len && n < sizeof snippet - 1; i++) {
      unsigned char ch = (unsigned char)resp->body[i];
      snippet[n++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
  snippet[n] = '\0';
  snprintf(code, sizeof code, "HTTP %ld", s);
  return host_fail(c, cls, code, "HTTP %ld: %s%s%s%s", s, what,
                   n ? " (\"" : "", snippet, n ? "\")" : "");
}

/* What split and parse_pairs give when memory runs out: no fields. */
static char *no_fields[1];
static smsmux_kv no_pairs[1];

static size_t host_split(smsmux_call *c, const char *s, const char *sep,
                         char ***fields) {
  size_t n = 0, cap = 4, seplen = strlen(sep);
  char **out = host_alloc(c, cap * sizeof *out);
  const char *p = s ? s : "";
  *fields = no_fields;
  if (!out)
    return 0;
  for (;;) {
    const char *q = seplen ? strstr(p, sep) : NULL;
    size_t len = q ? (size_t)(q - p) : strlen(p);
    char *f = call_strndup(c, p, len);
    if (!f)
      return 0;
    if (n + 2 > cap) {
      char **bigger = host_alloc(c, cap * 2 * sizeof *out);
      if (!bigger)
        return 0;
      memcpy(bigger, out, n * sizeof *out);
      out = bigger;
      cap *= 2;
    }
    out[n++] = str_trim(f);
    if (!q)
      break;
    p = q + seplen;
  }
  out[n] = NULL;
  *fields = out;
  return n;
}

/* A quote the provider documents use: ", « (C2 AB) or » (C2 BB). */
static size_t quote_len(const char *p) {
  if (*p == '"')
    return 1;
  if ((unsigned char)p[0] == 0xC2 &&
      ((unsigned char)p[1] == 0xAB || (unsigned char)p[1] == 0xBB))
    return 2;
  return 0;
}

static int is_blank(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The end of a quoted value starting at v: the next quote that is followed
   (after blanks) by a pair separator, a line end or the end of the text. */
static const char *quoted_end(const char *v, const char *pair_seps) {
  const char *e;
  for (e = v; *e; e++) {
    size_t q = quote_len(e);
    const char *after = e + q;
    if (!q)
      continue;
    while (*after == ' ' || *after == '\t' || *after == '\r')
      after++;
    if (!*after || *after == '\n' || strchr(pair_seps, *after))
      return e;
  }
  return e;
}

static size_t host_parse_pairs(smsmux_call *c, const char *s,
                               const char *pair_seps, char kv_sep,
                               smsmux_kv **pairs) {
  size_t n = 0, cap = 8;
  smsmux_kv *out = host_alloc(c, cap * sizeof *out);
  const char *p = s ? s : "";

  *pairs = no_pairs;
  if (!out)
    return 0;
  while (*p) {
    const char *k, *ke, *v, *ve;
    char *key, *value;
    int quoted = 0;
    size_t q;
    while (*p && (strchr(pair_seps, *p) || is_blank(*p)))
      p++;
    if (!*p)
      break;
    k = p;
    while (*p && *p != kv_sep && !strchr(pair_seps, *p))
      p++;
    ke = p;
    v = ve = p;
    if (*p == kv_sep) {
      p++;
      while (*p == ' ' || *p == '\t')
        p++;
      if ((q = quote_len(p)) != 0) {
        quoted = 1;
        v = p + q;
        ve = quoted_end(v, pair_seps);
        p = ve + quote_len(ve);
        while (*p && !strchr(pair_seps, *p) && *p != '\n')
          p++; /* anything between the closing quote and the separator */
      } else {
        v = p;
        while (*p && !strchr(pair_seps, *p))
          p++;
        ve = p;
      }
    }
    if (!(key = call_strndup(c, k, (size_t)(ke - k))))
      return 0;
    key = str_trim(key);
    if (!*key)
      continue;
    if (!(value = call_strndup(c, v, (size_t)(ve - v))))
      return 0;
    if (n + 2 > cap) {
      smsmux_kv *bigger = host_alloc(c, cap * 2 * sizeof *out);
      if (!bigger)
        return 0;
      memcpy(bigger, out, n * sizeof *out);
      out = bigger;
      cap *= 2;
    }
    out[n].key = key;
    out[n].value = quoted ? value : str_trim(value);
    n++;
  }
  out[n].key = NULL;
  out[n].value = NULL;
  *pairs = out;
  return n;
}

static const smsmux_status_map *
host_status_lookup(const smsmux_status_map *table, const char *code) {
  if (!table || !code)
    return NULL;
  for (; table->code; table++)
    if (strcmp(table->code, code) == 0)
      return table;
  return NULL;
}

#define HOST_MAX_FILE (64u << 20)

static const char *host_read_file(smsmux_call *c, const char *path,
                                  size_t *len) {
  FILE *f;
  strbuf b = {0};
  char buf[65536];
  size_t n;
  char *out;
  if (!path || !*path) {
    host_fail(c, SMSMUX_ERR_INVALID, NULL, "no file name given");
    return NULL;
  }
  /* which files may be read is the application's decision */
  if (!c->inst->env->read_file ||
      !c->inst->env->read_file(c->inst->env->read_file_userdata, path)) {
    host_fail(c, SMSMUX_ERR_INPUT, "file-not-allowed",
              "reading %s is not allowed here (only files the application "
              "allows, e.g. those named on the smsmux command line)",
              path);
    return NULL;
  }
  f = fopen(path, "rb");
  if (!f) {
    host_fail(c, SMSMUX_ERR_INVALID, NULL, "cannot read %s: %s", path,
              strerror(errno));
    return NULL;
  }
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    if (b.len + n > HOST_MAX_FILE) {
      fclose(f);
      sb_free(&b);
      host_fail(c, SMSMUX_ERR_INVALID, NULL, "%s is larger than 64 MiB",
                path);
      return NULL;
    }
    sb_add(&b, buf, n);
  }
  if (b.oom) {
    fclose(f);
    sb_free(&b);
    call_oom(c);
    return NULL;
  }
  if (ferror(f)) {
    fclose(f);
    sb_free(&b);
    host_fail(c, SMSMUX_ERR_INVALID, NULL, "cannot read %s", path);
    return NULL;
  }
  fclose(f);
  out = call_strndup(c, b.s ? b.s : "", b.len);
  if (len && out)
    *len = b.len;
  sb_free(&b);
  return out;
}

static const char *format_tm(smsmux_call *c, int64_t t, const char *fmt,
                             int utc) {
  char buf[256];
  time_t tt = (time_t)t;
  struct tm tm;
  struct tm *ok = utc ? gmtime_r(&tt, &tm) : localtime_r(&tt, &tm);
  /* the format comes from the plugin: a strftime format, not printf */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  if (!ok || !strftime(buf, sizeof buf, fmt, &tm))
    buf[0] = '\0';
#pragma GCC diagnostic pop
  return call_strdup(c, buf);
}

static const char *host_format_time(smsmux_call *c, int64_t t,
                                    const char *fmt) {
  return format_tm(c, t, fmt, 0);
}

static const char *host_format_time_utc(smsmux_call *c, int64_t t,
                                        const char *fmt) {
  return format_tm(c, t, fmt, 1);
}

static int host_is_utf8(const char *s, size_t len) {
  return s ? charset_is_utf8(s, len) : 0;
}

/* "text/plain; charset=ISO-8859-1" -> "ISO-8859-1" (call memory), or NULL */
static const char *declared_charset(smsmux_call *c, const char *ct) {
  const char *p = ct;
  size_t n;
  while (p && (p = strchr(p, ';'))) {
    p++;
    while (*p == ' ' || *p == '\t')
      p++;
    if (strncasecmp(p, "charset=", 8) == 0) {
      p += 8;
      if (*p == '"')
        p++;
      n = strcspn(p, "\"; \t");
      return n ? call_strndup(c, p, n) : NULL;
    }
  }
  return NULL;
}

static const char *host_decode_text(smsmux_call *c, const char *bytes,
                                    size_t len, const char *content_type,
                                    const char *fallback) {
  const char *cs = declared_charset(c, content_type);
  char *conv = NULL;
  const char *out;
  /* never NULL: "" when out of memory (the call is marked) */
  if (!bytes || c->oom)
    return "";
  if (cs)
    conv = charset_to_utf8(bytes, len, cs);
  if (!conv && charset_is_utf8(bytes, len)) {
    out = call_strndup(c, bytes, len);
    return out ? out : "";
  }
  if (!conv)
    conv = charset_to_utf8(bytes, len, fallback ? fallback : "ISO-8859-1");
  if (!conv) /* unknown fallback charset: still text, never NULL */
    conv = charset_to_utf8(bytes, len, "ISO-8859-1");
  if (!conv) { /* ISO-8859-1 always converts: memory ran out */
    call_oom(c);
    return "";
  }
  out = call_strdup(c, conv);
  free(conv);
  return out ? out : "";
}

static int host_parse_bool(const char *s) {
  static const char *const yes[] = {"yes", "y", "true", "on", "1"};
  static const char *const no[] = {"no", "n", "false", "off", "0"};
  size_t i;
  if (!s)
    return -1;
  for (i = 0; i < sizeof yes / sizeof yes[0]; i++)
    if (str_ieq(s, yes[i]))
      return 1;
  for (i = 0; i < sizeof no / sizeof no[0]; i++)
    if (str_ieq(s, no[i]))
      return 0;
  return -1;
}

static const char *host_option(smsmux_call *c, const smsmux_message *msg,
                               const char *key) {
  size_t i;
  if (!key)
    return NULL;
  if (msg && SMSMUX_HAS_MEMBER(msg, smsmux_message, n_options))
    for (i = msg->n_options; i > 0; i--) /* the last one given wins */
      if (msg->options[i - 1].key && str_ieq(msg->options[i - 1].key, key))
        return msg->options[i - 1].value;
  return host_config_get(c, key);
}

static const char *host_excerpt(smsmux_call *c, const char *bytes,
                                size_t len) {
  /* valid UTF-8 from here on, so stopping before a lead byte never cuts a
     character in two */
  const char *text = host_decode_text(c, bytes, len, NULL, "ISO-8859-1");
  strbuf b = {0};
  size_t i, chars = 0;
  const char *out;
  for (i = 0; text[i]; i++) {
    unsigned char ch = (unsigned char)text[i];
    int lead = (ch & 0xC0) != 0x80;
    if (lead && chars == 120)
      break;
    if (ch < 0x20 || ch == 0x7f)
      ch = ' ';
    if (ch == ' ' && (b.len == 0 || b.s[b.len - 1] == ' '))
      continue; /* one space for a run of blanks and line ends */
    sb_add(&b, (const char *)&ch, 1);
    chars += lead;
  }
  while (b.len && b.s[b.len - 1] == ' ')
    b.s[--b.len] = '\0';
  if (text[i])
    sb_adds(&b, "...");
  if (b.oom) {
    call_oom(c);
    out = "";
  } else {
    out = call_strdup(c, b.s ? b.s : "");
  }
  sb_free(&b);
  return out ? out : "";
}

static int host_parse_uint(const char *s, unsigned long long lo,
                           unsigned long long hi, unsigned long long *out) {
  unsigned long long v = 0;
  if (!s || !*s)
    return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return -1;
    if (v > (ULLONG_MAX - (unsigned)(*s - '0')) / 10)
      return -1;
    v = v * 10 + (unsigned)(*s - '0');
  }
  if (v < lo || v > hi)
    return -1;
  if (out)
    *out = v;
  return 0;
}

static const char *host_param(const smsmux_kv *params, size_t n,
                              const char *name) {
  size_t i;
  for (i = n; params && name && i > 0; i--)
    if (params[i - 1].key && strcmp(params[i - 1].key, name) == 0)
      return params[i - 1].value;
  return NULL;
}

static const smsmux_error_map *
host_error_lookup(const smsmux_error_map *table, const char *code) {
  if (!table || !code)
    return NULL;
  for (; table->code; table++)
    if (strcmp(table->code, code) == 0)
      return table;
  return NULL;
}

static int host_set_limits(smsmux_call *c, const smsmux_limits *limits) {
  smsmux_limits l;
  char why[200];
  if (c->kind != CALL_OPEN)
    return host_fail(c, SMSMUX_ERR_CONFIG, NULL,
                     "the plugin called set_limits outside open: "
                     "limits are reported when the instance opens");
  if (!limits || limits->size < sizeof limits->size)
    return host_fail(c, SMSMUX_ERR_CONFIG, NULL,
                     "the plugin called set_limits with a malformed struct");
  memset(&l, 0, sizeof l);
  memcpy(&l, limits, limits->size < sizeof l ? limits->size : sizeof l);
  if (instance_apply_limits(c->inst, &l, why, sizeof why))
    return host_fail(c, SMSMUX_ERR_CONFIG, NULL, "%s", why);
  return 0;
}

const smsmux_host host_table = {
    .size = sizeof(smsmux_host),
    .abi_major = SMSMUX_ABI_MAJOR,
    .abi_minor = SMSMUX_ABI_MINOR,
    .log = host_log,
    .config_get = host_config_get,
    .fail = host_fail,
    .http = host_http,
    .http_header = host_http_header,
    .alloc = host_alloc,
    .strf = host_strf,
    .to_charset = host_to_charset,
    .from_charset = host_from_charset,
    .number_format = host_number_format,
    .number_normalise = host_number_normalise,
    .set_message_id = host_set_message_id,
    .add_recipient = host_add_recipient,
    .add_status = host_add_status,
    .add_reply = host_add_reply,
    .set_balance = host_set_balance,
    .begin_record = host_begin_record,
    .add_result = host_add_result,
    .fail_http = host_fail_http,
    .split = host_split,
    .parse_pairs = host_parse_pairs,
    .status_lookup = host_status_lookup,
    .read_file = host_read_file,
    .format_time = host_format_time,
    .format_time_utc = host_format_time_utc,
    .is_utf8 = host_is_utf8,
    .decode_text = host_decode_text,
    .http_class = host_http_class,
    .parse_bool = host_parse_bool,
    .option = host_option,
    .excerpt = host_excerpt,
    .parse_uint = host_parse_uint,
    .param = host_param,
    .status_name = smsmux_status_name,
    .error_lookup = host_error_lookup,
    .set_limits = host_set_limits,
};
