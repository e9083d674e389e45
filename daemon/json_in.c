/* json_in: request bodies of the HTTP API -> smsmux_send_request.
 *
 * A pure function of the bytes (no I/O, no handle): it checks the shape of
 * a request (valid UTF-8 JSON, an object, known fields of the right types,
 * bounded sizes) and leaves the message rules (numbers, text, sender,
 * capable provider) to smsmux_submit, so the CLI and the service judge a
 * message the same way.  Fuzzed by tests/fuzz/fuzz_json_in.c. */
#include "daemon.h"

#include <json-c/json.h>

#include <stdarg.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What a message owns beyond its json_object tree. */
typedef struct msg_priv {
  json_object *root;  /* the message object (a reference held) */
  const char **to;
  smsmux_kv *options;
  char at[32];
  char *ref;          /* the Idempotency-Key header's copy */
} msg_priv;

static void in_err(smsmux_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void in_err(smsmux_error *err, const char *code, const char *fmt,
                   ...) {
  va_list ap;
  memset(err, 0, sizeof *err);
  err->cls = SMSMUX_ERR_INPUT;
  snprintf(err->code, sizeof err->code, "%s", code);
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
}

/* ------------------------------------------------------------ parsing -- */

/* The whole body as one JSON value: strict syntax, UTF-8 checked, depth
   bounded, nothing after it. */
static json_object *parse_body(const char *body, size_t len,
                               smsmux_error *err) {
  json_tokener *tok;
  json_object *o;
  enum json_tokener_error je;
  size_t used;

  if (len == 0) {
    in_err(err, "bad-json", "the request body is empty: send a JSON "
                            "object (Content-Type: application/json)");
    return NULL;
  }
  if (len > (size_t)0x7fffffff) {
    in_err(err, "too-large", "the request body is too large");
    return NULL;
  }
  if (memchr(body, '\0', len)) {
    in_err(err, "bad-json", "the request body holds a NUL byte at offset "
                            "%zu", (size_t)((const char *)memchr(body, '\0',
                                                                 len) - body));
    return NULL;
  }
  tok = json_tokener_new_ex(JSON_IN_MAX_DEPTH);
  if (!tok) {
    in_err(err, "bad-json", "out of memory");
    err->cls = SMSMUX_ERR_SYSTEM;
    return NULL;
  }
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  o = json_tokener_parse_ex(tok, body, (int)len);
  je = json_tokener_get_error(tok);
  used = json_tokener_get_parse_end(tok);
  if (je == json_tokener_continue) {
    in_err(err, "bad-json", "the request body is not complete JSON (it "
                            "ends after %zu bytes inside a value)", len);
    json_object_put(o);
    o = NULL;
  } else if (je != json_tokener_success) {
    int utf8 = je == json_tokener_error_parse_utf8_string;
    in_err(err, utf8 ? "bad-utf8" : "bad-json",
           "the request body is not valid JSON at byte %zu: %s%s", used,
           json_tokener_error_desc(je),
           je == json_tokener_error_depth ? " (at most 8 levels)" : "");
    json_object_put(o);
    o = NULL;
  } else if (used < len && strspn(body + used, " \t\r\n") != len - used) {
    in_err(err, "bad-json",
           "the request body has more after its JSON value (byte %zu)",
           used);
    json_object_put(o);
    o = NULL;
  }
  json_tokener_free(tok);
  return o;
}

static const char *type_name(json_type t) {
  switch (t) {
  case json_type_null: return "null";
  case json_type_boolean: return "a boolean";
  case json_type_double:
  case json_type_int: return "a number";
  case json_type_object: return "an object";
  case json_type_array: return "an array";
  case json_type_string: return "a string";
  }
  return "?";
}

/* A string field: NULL when absent or null; -1 on another type. */
static int get_string(json_object *v, const char *name, const char **out,
                      smsmux_error *err) {
  size_t n;
  *out = NULL;
  if (!v || json_object_is_type(v, json_type_null))
    return 0;
  if (!json_object_is_type(v, json_type_string)) {
    in_err(err, "wrong-type", "\"%s\" must be a string, not %s", name,
           type_name(json_object_get_type(v)));
    return -1;
  }
  n = (size_t)json_object_get_string_len(v);
  if (n > JSON_IN_MAX_STRING) {
    in_err(err, "too-large", "\"%s\" is longer than %d bytes", name,
           JSON_IN_MAX_STRING);
    return -1;
  }
  *out = json_object_get_string(v);
  if (strlen(*out) != n) {
    *out = NULL;
    in_err(err, "bad-value", "\"%s\" holds a NUL character (\\u0000)",
           name);
    return -1;
  }
  return 0;
}

static int parse_kind(const char *s, smsmux_kind *k, smsmux_error *err) {
  if (!s || strcmp(s, "sms") == 0)
    *k = SMSMUX_KIND_SMS;
  else if (strcmp(s, "mms") == 0)
    *k = SMSMUX_KIND_MMS;
  else if (strcmp(s, "voice") == 0)
    *k = SMSMUX_KIND_VOICE;
  else {
    in_err(err, "bad-value", "\"kind\": \"%.64s\" is not sms, mms or voice",
           s);
    return -1;
  }
  return 0;
}

static int parse_to(json_object *v, msg_priv *p, smsmux_send_request *r,
                    smsmux_error *err) {
  size_t i, n;
  if (!v || json_object_is_type(v, json_type_null)) {
    in_err(err, "missing-field", "\"to\" is missing: a number or an array "
                                 "of numbers");
    return -1;
  }
  if (json_object_is_type(v, json_type_string)) {
    p->to = calloc(1, sizeof *p->to);
    if (!p->to)
      goto oom;
    if (get_string(v, "to", &p->to[0], err))
      return -1;
    r->to = p->to;
    r->n_to = 1;
    return 0;
  }
  if (!json_object_is_type(v, json_type_array)) {
    in_err(err, "wrong-type", "\"to\" must be a string or an array of "
                              "strings, not %s",
           type_name(json_object_get_type(v)));
    return -1;
  }
  n = json_object_array_length(v);
  if (n == 0) {
    in_err(err, "missing-field", "\"to\" is an empty array: give at least "
                                 "one number");
    return -1;
  }
  if (n > JSON_IN_MAX_TO) {
    in_err(err, "too-many", "\"to\" has %zu numbers: at most %d per "
                            "message (use /v1/batches for more)",
           n, JSON_IN_MAX_TO);
    return -1;
  }
  p->to = calloc(n, sizeof *p->to);
  if (!p->to)
    goto oom;
  for (i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(v, i);
    if (!e || !json_object_is_type(e, json_type_string)) {
      in_err(err, "wrong-type", "\"to\"[%zu] must be a string, not %s", i,
             type_name(e ? json_object_get_type(e) : json_type_null));
      return -1;
    }
    if (get_string(e, "to", &p->to[i], err))
      return -1;
  }
  r->to = p->to;
  r->n_to = n;
  return 0;
oom:
  in_err(err, "oom", "out of memory");
  err->cls = SMSMUX_ERR_SYSTEM;
  return -1;
}

static int parse_options(json_object *v, msg_priv *p, smsmux_send_request *r,
                         smsmux_error *err) {
  size_t n = 0;
  if (!v || json_object_is_type(v, json_type_null))
    return 0;
  if (!json_object_is_type(v, json_type_object)) {
    in_err(err, "wrong-type", "\"options\" must be an object of strings "
                              "({\"KEY\": \"VALUE\"}), not %s",
           type_name(json_object_get_type(v)));
    return -1;
  }
  if (json_object_object_length(v) > JSON_IN_MAX_OPTIONS) {
    in_err(err, "too-many", "\"options\" has more than %d keys",
           JSON_IN_MAX_OPTIONS);
    return -1;
  }
  p->options = calloc((size_t)json_object_object_length(v) + 1,
                      sizeof *p->options);
  if (!p->options) {
    in_err(err, "oom", "out of memory");
    err->cls = SMSMUX_ERR_SYSTEM;
    return -1;
  }
  json_object_object_foreach(v, key, val) {
    char what[96];
    snprintf(what, sizeof what, "options.%.64s", key);
    if (!val || !json_object_is_type(val, json_type_string)) {
      in_err(err, "wrong-type", "\"%s\" must be a string, not %s", what,
             type_name(val ? json_object_get_type(val) : json_type_null));
      return -1;
    }
    p->options[n].key = key;
    if (get_string(val, what, &p->options[n].value, err))
      return -1;
    n++;
  }
  r->options = p->options;
  r->n_options = n;
  return 0;
}

static const char *const known_fields[] = {
    "to",        "text",      "from",      "kind",     "at",
    "route",     "provider",  "options",   "image_url", "video_url",
    "audio_url", "duration",  "ref",       "callback_url", "subject",
    NULL};

/* One message object -> out (which owns a reference to it). */
static int message_from_object(json_object *o, const char *idem,
                               json_in_message *out, smsmux_error *err) {
  msg_priv *p;
  smsmux_send_request *r = &out->req;
  const char *kind = NULL, *at = NULL, *ref = NULL;
  json_object *v;
  size_t i;

  memset(out, 0, sizeof *out);
  r->size = sizeof *r;
  if (!json_object_is_type(o, json_type_object)) {
    in_err(err, "not-an-object",
           "a message is a JSON object ({\"to\": ..., \"text\": ...}), "
           "not %s",
           type_name(json_object_get_type(o)));
    return -1;
  }
  p = calloc(1, sizeof *p);
  if (!p) {
    in_err(err, "oom", "out of memory");
    err->cls = SMSMUX_ERR_SYSTEM;
    return -1;
  }
  p->root = json_object_get(o);
  out->priv = p;

  json_object_object_foreach(o, key, val) {
    int known = 0;
    (void)val;
    for (i = 0; known_fields[i]; i++)
      if (strcmp(known_fields[i], key) == 0)
        known = 1;
    if (!known) {
      in_err(err, "unknown-field",
             "unknown field \"%.64s\" (known: to, text, from, kind, at, "
             "route, provider, options, image_url, video_url, audio_url, "
             "duration, subject, ref, callback_url)",
             key);
      goto fail;
    }
  }

#define STR(name, dst)                                                      \
  if (get_string(json_object_object_get(o, name), name, &(dst), err))       \
    goto fail;
  STR("text", r->text)
  STR("from", r->from)
  STR("kind", kind)
  STR("at", at)
  STR("route", r->route)
  STR("provider", r->provider)
  STR("image_url", r->image_url)
  STR("video_url", r->video_url)
  STR("audio_url", r->audio_url)
  STR("subject", r->subject)
  STR("ref", ref)
  STR("callback_url", out->callback_url)
#undef STR

  if (parse_kind(kind, &r->kind, err))
    goto fail;
  if (parse_to(json_object_object_get(o, "to"), p, r, err))
    goto fail;
  if (parse_options(json_object_object_get(o, "options"), p, r, err))
    goto fail;

  v = json_object_object_get(o, "duration");
  if (v && !json_object_is_type(v, json_type_null)) {
    int64_t d;
    if (!json_object_is_type(v, json_type_int)) {
      in_err(err, "wrong-type", "\"duration\" must be a whole number of "
                                "seconds, not %s",
             type_name(json_object_get_type(v)));
      goto fail;
    }
    d = json_object_get_int64(v);
    if (d < 0 || d > 3600) {
      in_err(err, "bad-value", "\"duration\": %lld is not a number of "
                               "seconds from 0 to 3600",
             (long long)d);
      goto fail;
    }
    r->duration = (unsigned)d;
  }
  if (at) {
    if (json_in_time(at, p->at, sizeof p->at)) {
      in_err(err, "bad-value",
             "\"at\": \"%.64s\" is not a time: write RFC 3339 "
             "(2026-12-24T18:00:00+01:00 or ...Z) or local "
             "\"YYYY-MM-DD HH:MM:SS\"",
             at);
      goto fail;
    }
    r->at = p->at;
  }
  if (out->callback_url && !(strncmp(out->callback_url, "http://", 7) == 0 ||
                             strncmp(out->callback_url, "https://", 8) == 0)) {
    in_err(err, "bad-value", "\"callback_url\" must be an http:// or "
                             "https:// URL");
    goto fail;
  }
  if (idem && *idem) {
    if (ref && strcmp(ref, idem) != 0) {
      in_err(err, "ref-mismatch", "the Idempotency-Key header and \"ref\" "
                                  "differ: give one, or the same in both");
      goto fail;
    }
    if (strlen(idem) > 256) {
      in_err(err, "bad-value", "Idempotency-Key is longer than 256 bytes");
      goto fail;
    }
    p->ref = strdup(idem);
    if (!p->ref) {
      in_err(err, "oom", "out of memory");
      err->cls = SMSMUX_ERR_SYSTEM;
      goto fail;
    }
    ref = p->ref;
  }
  if (ref && (!*ref || strlen(ref) > 256)) {
    in_err(err, "bad-value", "\"ref\" must be 1 to 256 bytes");
    goto fail;
  }
  r->ref = ref;
  return 0;
fail:
  json_in_message_free(out);
  return -1;
}

int json_in_message_parse(const char *body, size_t len,
                          const char *idempotency_key, json_in_message *out,
                          smsmux_error *err) {
  json_object *o = parse_body(body, len, err);
  int rc;
  memset(out, 0, sizeof *out);
  if (!o)
    return -1;
  rc = message_from_object(o, idempotency_key, out, err);
  json_object_put(o); /* the message keeps its own reference */
  return rc;
}

void json_in_message_free(json_in_message *m) {
  msg_priv *p;
  if (!m || !m->priv)
    return;
  p = m->priv;
  json_object_put(p->root);
  free(p->to);
  free(p->options);
  free(p->ref);
  free(p);
  memset(m, 0, sizeof *m);
}

int json_in_batch_parse(const char *body, size_t len, json_in_batch_fn each,
                        void *userdata, smsmux_error *err) {
  json_object *o = parse_body(body, len, err);
  size_t i, n;
  if (!o)
    return -1;
  if (!json_object_is_type(o, json_type_array)) {
    in_err(err, "not-an-array", "a batch is a JSON array of messages "
                                "([{\"to\": ..., \"text\": ...}, ...]), "
                                "not %s",
           type_name(json_object_get_type(o)));
    json_object_put(o);
    return -1;
  }
  n = json_object_array_length(o);
  if (n == 0 || n > JSON_IN_MAX_BATCH) {
    in_err(err, n ? "too-many" : "missing-field",
           "a batch holds 1 to %d messages, this one %zu", JSON_IN_MAX_BATCH,
           n);
    json_object_put(o);
    return -1;
  }
  for (i = 0; i < n; i++) {
    json_in_message m;
    smsmux_error e;
    if (message_from_object(json_object_array_get_idx(o, i), NULL, &m, &e)) {
      each(userdata, i + 1, NULL, &e);
    } else {
      each(userdata, i + 1, &m, NULL);
      json_in_message_free(&m);
    }
  }
  json_object_put(o);
  return 0;
}

/* -------------------------------------------------------------- times -- */

static int two(const char *s) {
  if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
    return -1;
  return (s[0] - '0') * 10 + (s[1] - '0');
}

int json_in_time(const char *in, char *out, size_t outlen) {
  struct tm tm, back;
  const char *s = in;
  int y1, y2, off = 0, has_zone = 0, sec = 0;
  time_t t;

  memset(&tm, 0, sizeof tm);
  /* YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|+HH:MM|-HH:MM] */
  if (strlen(s) < 16 || (y1 = two(s)) < 0 || (y2 = two(s + 2)) < 0 ||
      s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' &&
                                     s[10] != ' ') ||
      s[13] != ':')
    return -1;
  tm.tm_year = y1 * 100 + y2 - 1900;
  tm.tm_mon = two(s + 5) - 1;
  tm.tm_mday = two(s + 8);
  tm.tm_hour = two(s + 11);
  tm.tm_min = two(s + 14);
  s += 16;
  if (*s == ':') {
    if ((sec = two(s + 1)) < 0)
      return -1;
    s += 3;
    if (*s == '.') {
      s++;
      if (*s < '0' || *s > '9')
        return -1;
      while (*s >= '0' && *s <= '9')
        s++;
    }
  }
  tm.tm_sec = sec;
  if (*s == 'Z' || *s == 'z') {
    has_zone = 1;
    s++;
  } else if (*s == '+' || *s == '-') {
    int h = two(s + 1), m;
    if (h < 0 || s[3] != ':' || (m = two(s + 4)) < 0 || h > 23 || m > 59)
      return -1;
    off = (h * 60 + m) * 60 * (*s == '-' ? -1 : 1);
    has_zone = 1;
    s += 6;
  }
  /* years smsmux can write back as YYYY (and a message may wait for) */
  if (tm.tm_year < 1970 - 1900 || tm.tm_year > 9998 - 1900)
    return -1;
  if (*s || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
      tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
      tm.tm_min > 59 || sec > 60)
    return -1;
  back = tm;
  if (has_zone) {
    t = timegm(&tm);
    if (tm.tm_mday != back.tm_mday) /* 31 February */
      return -1;
    t -= off;
    if (!localtime_r(&t, &tm))
      return -1;
  } else {
    tm.tm_isdst = -1;
    t = mktime(&tm);
    if (t == (time_t)-1 || tm.tm_mday != back.tm_mday)
      return -1;
  }
  return strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &tm) ? 0 : -1;
}
