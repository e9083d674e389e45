/* api: the routes of smsmuxd and their handlers (docs/API.md).
 *
 * Every answer is JSON, the documents of the library (smsmux_submit,
 * smsmux_message_json, ...), which are also what `smsmux --json` prints;
 * every error is {"error":{"class","code","message"}}.  A handler runs
 * with the whole body read (server.c) and the handle held for reading
 * (a reload waits). */
#include "daemon.h"

#include <json-c/json.h>
#include <microhttpd.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers -- */

void api_error(http_answer *a, unsigned status, smsmux_error_class cls,
               const char *code, const char *fmt, ...) {
  smsmux_error e;
  va_list ap;
  memset(&e, 0, sizeof e);
  e.cls = cls;
  snprintf(e.code, sizeof e.code, "%s", code ? code : "");
  va_start(ap, fmt);
  vsnprintf(e.message, sizeof e.message, fmt, ap);
  va_end(ap);
  a->status = status;
  a->type = NULL;
  free(a->body);
  a->body = smsmux_error_json(&e);
}

void api_lib_error(http_answer *a, const smsmux_error *e) {
  a->status = api_status_of(e);
  a->retry_after = smsmux_error_retry_after(e);
  free(a->body);
  a->body = smsmux_error_json(e);
}

unsigned api_status_of(const smsmux_error *e) {
  switch (e->cls) {
  case SMSMUX_ERR_INPUT:
    if (strcmp(e->code, "ref-conflict") == 0 ||
        strcmp(e->code, "not-cancellable") == 0)
      return 409;
    if (strcmp(e->code, "no-provider") == 0)
      return 422;
    if (strcmp(e->code, "not-found") == 0)
      return 404;
    if (strcmp(e->code, "exists") == 0)
      return 409;
    return 400;
  case SMSMUX_ERR_AUTH: return 403;
  case SMSMUX_ERR_UNSUPPORTED: return 422;
  case SMSMUX_ERR_CREDIT: return 402;
  case SMSMUX_ERR_TEMPORARY:
    if (strcmp(e->code, "rate-limited") == 0)
      return 429;
    return 503;
  case SMSMUX_ERR_CONFIG:
  case SMSMUX_ERR_SYSTEM: return 503;
  default: return 500;
  }
}

const char *api_arg(const http_req *r, const char *name) {
  return MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND, name);
}

const char *api_header(const http_req *r, const char *name) {
  return MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, name);
}

/* Equal strings, in a time that depends only on the length of `given`. */
static int same_key(const char *want, const char *given) {
  size_t lw = strlen(want), lg = strlen(given), i;
  unsigned char diff = lw != lg;
  for (i = 0; i < lg; i++)
    diff |= (unsigned char)given[i] ^ (unsigned char)(i < lw ? want[i] : 0);
  return diff == 0;
}

char *api_tenant_of_key(smsmux *sm, const char *given, int *unavailable) {
  const char *admin = smsmux_config_value(sm, "server", "admin_key");
  smsmux_error err;
  char *tenant = NULL;
  if (unavailable)
    *unavailable = 0;
  if (!given || !*given)
    return NULL;
  if (admin && *admin && same_key(admin, given))
    return strdup("");
  /* a tenant's key: only its SHA-256 is looked up */
  if (smsmux_tenant_authenticate(sm, given, &tenant, &err) < 0) {
    dlog(SMSMUX_LOG_ERROR, "cannot check an API key: %s", err.message);
    if (unavailable)
      *unavailable = 1;
    return NULL;
  }
  return tenant;
}

/* The tenant of the request's Bearer key (malloc'd; "" for the admin
   key), or NULL after a 401 (503 when the store cannot say) answer. */
static char *authenticate(smsmux *sm, const http_req *r, http_answer *a) {
  const char *h = api_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
  char *tenant;
  int unavailable;
  if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
    api_error(a, 401, SMSMUX_ERR_AUTH, "unauthorized",
              "send the API key as `Authorization: Bearer KEY`");
    return NULL;
  }
  h += 7;
  while (*h == ' ')
    h++;
  tenant = api_tenant_of_key(sm, h, &unavailable);
  if (!tenant && unavailable)
    api_error(a, 503, SMSMUX_ERR_SYSTEM, "unavailable",
              "the key cannot be checked now (the store): try again later");
  else if (!tenant)
    api_error(a, 401, SMSMUX_ERR_AUTH, "unauthorized",
              "this API key is not valid (unknown, revoked, or its tenant "
              "is disabled): ask the operator for a key");
  return tenant;
}

static int is_json_body(const http_req *r) {
  const char *ct = api_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
  return ct && strncasecmp(ct, "application/json", 16) == 0 &&
         (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

/* Each query argument of r is one of `known` (NULL-terminated). */
struct arg_check {
  const char *const *known;
  const char *bad;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value) {
  struct arg_check *c = cls;
  size_t i;
  (void)kind;
  (void)value;
  for (i = 0; c->known[i]; i++)
    if (strcmp(c->known[i], key) == 0)
      return MHD_YES;
  c->bad = key;
  return MHD_NO;
}

static int only_args(const http_req *r, const char *const *known,
                     http_answer *a) {
  struct arg_check c = {known, NULL};
  MHD_get_connection_values(r->con, MHD_GET_ARGUMENT_KIND, check_arg, &c);
  if (c.bad) {
    api_error(a, 400, SMSMUX_ERR_INPUT, "unknown-parameter",
              "unknown query parameter \"%.64s\"", c.bad);
    return -1;
  }
  return 0;
}

/* --------------------------------------------------------- messages ---- */

const char *api_callback_url(smsmux *sm, const char *tenant,
                             const char *given) {
  const char *def;
  if (given && *given)
    return given;
  if (!tenant || *tenant)
    return given; /* a tenant's default: its own record (a later issue) */
  def = smsmux_config_value(sm, "server", "callback_url");
  return def && *def ? def : NULL;
}

static void post_message(smsmux *sm, const char *tenant, http_req *r,
                         http_answer *a) {
  json_in_message m;
  smsmux_error err;
  char *json = NULL;
  smsmux_submit_status st;

  if (!is_json_body(r)) {
    api_error(a, 415, SMSMUX_ERR_INPUT, "unsupported-media-type",
              "send the message as JSON (Content-Type: application/json)");
    return;
  }
  if (json_in_message_parse(r->body ? r->body : "", r->len,
                            api_header(r, "Idempotency-Key"), &m, &err)) {
    metrics_count_submit(0);
    api_lib_error(a, &err);
    return;
  }
  memset(&err, 0, sizeof err);
  st = smsmux_submit(sm, tenant, &m.req,
                     api_callback_url(sm, tenant, m.callback_url), &json,
                     &err);
  json_in_message_free(&m);
  if (st == SMSMUX_SUBMIT_REFUSED) {
    metrics_count_submit(0);
    free(json);
    api_lib_error(a, &err);
    return;
  }
  metrics_count_submit(st == SMSMUX_SUBMIT_QUEUED);
  a->status = st == SMSMUX_SUBMIT_QUEUED ? 202 : 200;
  a->body = json;
}

/* since=: Unix seconds or an RFC 3339 time. */
static int parse_since(const char *s, int64_t *out) {
  char local[32], *end;
  smsmux_error err;
  long long v;
  if (!s || !*s) {
    *out = 0;
    return 0;
  }
  errno = 0;
  v = strtoll(s, &end, 10);
  if (!errno && !*end && v >= 0) {
    *out = v;
    return 0;
  }
  if (json_in_time(s, local, sizeof local))
    return -1;
  return smsmux_parse_time(local, out, &err);
}

static void list_messages(smsmux *sm, const char *tenant, http_req *r,
                          http_answer *a) {
  static const char *const known[] = {"status", "since", "limit", "cursor",
                                      NULL};
  const char *limit_s = api_arg(r, "limit");
  unsigned long limit = 0;
  int64_t since;
  smsmux_error err;
  char *json;

  if (only_args(r, known, a))
    return;
  if (parse_since(api_arg(r, "since"), &since)) {
    api_error(a, 400, SMSMUX_ERR_INPUT, "bad-value",
              "since: not Unix seconds nor an RFC 3339 time");
    return;
  }
  if (limit_s) {
    char *end;
    errno = 0;
    limit = strtoul(limit_s, &end, 10);
    if (errno || *end || !*limit_s || limit < 1 || limit > 1000) {
      api_error(a, 400, SMSMUX_ERR_INPUT, "bad-value",
                "limit: \"%.32s\" is not a number from 1 to 1000", limit_s);
      return;
    }
  }
  memset(&err, 0, sizeof err);
  json = smsmux_messages_json(sm, tenant, api_arg(r, "status"), since,
                              (unsigned)limit, api_arg(r, "cursor"), &err);
  if (!json) {
    api_lib_error(a, &err);
    return;
  }
  a->status = 200;
  a->body = json;
}

static void get_message(smsmux *sm, const char *tenant, const char *id,
                        http_answer *a) {
  smsmux_error err;
  char *json;
  memset(&err, 0, sizeof err);
  json = smsmux_message_json(sm, tenant, id, &err);
  if (!json) {
    if (err.cls == SMSMUX_OK) {
      err.cls = SMSMUX_ERR_INPUT;
      snprintf(err.code, sizeof err.code, "not-found");
      snprintf(err.message, sizeof err.message, "no message %.64s", id);
    }
    api_lib_error(a, &err);
    return;
  }
  a->status = 200;
  a->body = json;
}

static void delete_message(smsmux *sm, const char *tenant, const char *id,
                           http_answer *a) {
  smsmux_error err;
  memset(&err, 0, sizeof err);
  if (smsmux_message_cancel(sm, tenant, id, &err)) {
    api_lib_error(a, &err);
    return;
  }
  /* the message as it is now: cancelled */
  get_message(sm, tenant, id, a);
}

/* limit=: 1..1000, absent 0 (the library's default).  -1 after a 400. */
static int parse_limit(const http_req *r, unsigned *out, http_answer *a) {
  const char *limit_s = api_arg(r, "limit");
  unsigned long limit = 0;
  if (limit_s) {
    char *end;
    errno = 0;
    limit = strtoul(limit_s, &end, 10);
    if (errno || *end || !*limit_s || limit < 1 || limit > 1000) {
      api_error(a, 400, SMSMUX_ERR_INPUT, "bad-value",
                "limit: \"%.32s\" is not a number from 1 to 1000", limit_s);
      return -1;
    }
  }
  *out = (unsigned)limit;
  return 0;
}

/* ---------------------------------------------------------- replies ---- */

static void list_replies(smsmux *sm, const char *tenant, http_req *r,
                         http_answer *a) {
  static const char *const known[] = {"since", "limit", "cursor", NULL};
  unsigned limit;
  int64_t since;
  smsmux_error err;
  char *json;

  if (only_args(r, known, a) || parse_limit(r, &limit, a))
    return;
  if (parse_since(api_arg(r, "since"), &since)) {
    api_error(a, 400, SMSMUX_ERR_INPUT, "bad-value",
              "since: not Unix seconds nor an RFC 3339 time");
    return;
  }
  memset(&err, 0, sizeof err);
  json = smsmux_replies_json(sm, tenant, since, limit, api_arg(r, "cursor"),
                             &err);
  if (!json) {
    api_lib_error(a, &err);
    return;
  }
  a->status = 200;
  a->body = json;
}

/* ---------------------------------------------------------- opt-outs --- */

static void list_optouts(smsmux *sm, const char *tenant, http_req *r,
                         http_answer *a) {
  static const char *const known[] = {"limit", "cursor", NULL};
  unsigned limit;
  smsmux_error err;
  char *json;

  if (only_args(r, known, a) || parse_limit(r, &limit, a))
    return;
  memset(&err, 0, sizeof err);
  json = smsmux_optouts_json(sm, tenant, limit, api_arg(r, "cursor"), &err);
  if (!json) {
    api_lib_error(a, &err);
    return;
  }
  a->status = 200;
  a->body = json;
}

static void optout_answer(http_answer *a, unsigned status, const char *number,
                          int opted_out) {
  json_object *o = json_object_new_object();
  json_object_object_add(o, "number", json_object_new_string(number));
  json_object_object_add(o, "opted_out", json_object_new_boolean(opted_out));
  a->status = status;
  a->body = strdup(json_object_to_json_string_ext(
      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(o);
}

/* POST {"number": "+33..."}: 201 recorded, 200 already opted out. */
static void post_optout(smsmux *sm, const char *tenant, http_req *r,
                        http_answer *a) {
  json_object *doc, *num = NULL;
  enum json_tokener_error jerr = json_tokener_success;
  smsmux_error err;
  int rc;

  if (!is_json_body(r)) {
    api_error(a, 415, SMSMUX_ERR_INPUT, "unsupported-media-type",
              "send {\"number\": \"+33...\"} as JSON (Content-Type: "
              "application/json)");
    return;
  }
  doc = json_tokener_parse_verbose(r->body ? r->body : "", &jerr);
  if (!doc) {
    api_error(a, 400, SMSMUX_ERR_INPUT, "bad-json", "the body is not JSON: %s",
              json_tokener_error_desc(jerr));
    return;
  }
  if (!json_object_is_type(doc, json_type_object)) {
    api_error(a, 400, SMSMUX_ERR_INPUT, "not-an-object",
              "send {\"number\": \"+33...\"}");
  } else if (json_object_object_length(doc) != 1 ||
             !json_object_object_get_ex(doc, "number", &num)) {
    api_error(a, 400, SMSMUX_ERR_INPUT,
              num || json_object_object_length(doc) == 0 ? "missing-field"
                                                         : "unknown-field",
              "send {\"number\": \"+33...\"} (one field: number)");
  } else if (!json_object_is_type(num, json_type_string)) {
    api_error(a, 400, SMSMUX_ERR_INPUT, "wrong-type",
              "\"number\" must be a string");
  } else {
    const char *n = json_object_get_string(num);
    memset(&err, 0, sizeof err);
    rc = smsmux_optout_add(sm, tenant, n, &err);
    if (rc < 0)
      api_lib_error(a, &err);
    else
      optout_answer(a, rc == 0 ? 201 : 200, n, 1);
  }
  json_object_put(doc);
}

static void delete_optout(smsmux *sm, const char *tenant, const char *number,
                          http_answer *a) {
  smsmux_error err;
  int rc;
  memset(&err, 0, sizeof err);
  rc = smsmux_optout_remove(sm, tenant, number, &err);
  if (rc < 0)
    api_lib_error(a, &err);
  else if (rc == 1)
    api_error(a, 404, SMSMUX_ERR_INPUT, "not-found",
              "%.64s is not opted out", number);
  else
    optout_answer(a, 200, number, 0);
}

/* ---------------------------------------------------------- batches ---- */

/* Batches are kept in memory for GET /v1/batches/{id} (the most recent
   MAX_BATCHES): their messages are in the store, each with its own id. */
#define MAX_BATCHES 256

typedef struct batch {
  char id[40];
  char **ids;
  size_t n_ids, cap;
  json_object *refused; /* [{"line","error"}] */
  char tenant[64];
} batch;

static pthread_mutex_t batch_lock = PTHREAD_MUTEX_INITIALIZER;
static batch *batches[MAX_BATCHES];
static size_t batch_next;

static void batch_free(batch *b) {
  size_t i;
  if (!b)
    return;
  for (i = 0; i < b->n_ids; i++)
    free(b->ids[i]);
  free(b->ids);
  json_object_put(b->refused);
  free(b);
}

void api_cleanup(void) {
  size_t i;
  pthread_mutex_lock(&batch_lock);
  for (i = 0; i < MAX_BATCHES; i++) {
    batch_free(batches[i]);
    batches[i] = NULL;
  }
  pthread_mutex_unlock(&batch_lock);
}

static void new_id(char *out, size_t len, const char *prefix) {
  unsigned char rnd[10];
  size_t i, n;
  if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    memcpy(rnd, &ts, sizeof rnd < sizeof ts ? sizeof rnd : sizeof ts);
  }
  n = (size_t)snprintf(out, len, "%s", prefix);
  for (i = 0; i < sizeof rnd && n + 2 < len; i++)
    n += (size_t)snprintf(out + n, len - n, "%02x", rnd[i]);
}

typedef struct batch_run {
  smsmux *sm;
  const char *tenant;
  batch *b;
  int check_only;    /* first pass: shape only */
  size_t first_bad;  /* line of the first shape error */
  smsmux_error bad;
  int system_error;  /* the store failed: stop */
  smsmux_error sys;
} batch_run;

static void refuse_row(batch *b, size_t line, const smsmux_error *e) {
  json_object *item = json_object_new_object();
  char *ej = smsmux_error_object_json(e);
  json_object_object_add(item, "line", json_object_new_int64((int64_t)line));
  json_object_object_add(item, "error",
                         ej ? json_tokener_parse(ej) : json_object_new_null());
  free(ej);
  json_object_array_add(b->refused, item);
}

static void submit_row(batch_run *br, size_t line,
                       const smsmux_send_request *req, const char *cb) {
  smsmux_error err;
  char *json = NULL;
  smsmux_submit_status st;
  if (br->system_error) {
    refuse_row(br->b, line, &br->sys);
    return;
  }
  memset(&err, 0, sizeof err);
  st = smsmux_submit(br->sm, br->tenant, req,
                     api_callback_url(br->sm, br->tenant, cb), &json, &err);
  if (st == SMSMUX_SUBMIT_REFUSED) {
    metrics_count_submit(0);
    if (err.cls == SMSMUX_ERR_SYSTEM || err.cls == SMSMUX_ERR_CONFIG) {
      br->system_error = 1;
      br->sys = err;
    }
    refuse_row(br->b, line, &err);
  } else {
    json_object *doc = json ? json_tokener_parse(json) : NULL, *id;
    metrics_count_submit(st == SMSMUX_SUBMIT_QUEUED);
    if (doc && json_object_object_get_ex(doc, "id", &id)) {
      batch *b = br->b;
      if (b->n_ids == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        char **bigger = realloc(b->ids, cap * sizeof *bigger);
        if (bigger) {
          b->ids = bigger;
          b->cap = cap;
        }
      }
      if (b->n_ids < b->cap)
        b->ids[b->n_ids++] = strdup(json_object_get_string(id));
    }
    json_object_put(doc);
  }
  free(json);
}

static void on_json_row(void *userdata, size_t line, json_in_message *m,
                        const smsmux_error *e) {
  batch_run *br = userdata;
  if (br->check_only) {
    if (e && !br->first_bad) {
      br->first_bad = line;
      br->bad = *e;
    }
    return;
  }
  if (m)
    submit_row(br, line, &m->req, m->callback_url);
}

/* CSV: the body is a recipient file (as `smsmux send --to-file` reads it);
   the message is in the query: text (with ${COLUMN}), from, kind, at,
   route, provider, ref (each row's ref is REF#LINE), callback_url. */
static int csv_rows(batch_run *br, http_req *r, http_answer *a) {
  static const char *const known[] = {"text",     "from", "kind",
                                      "at",       "route", "provider",
                                      "ref",      "callback_url", NULL};
  char path[] = "/tmp/smsmuxd-batch.XXXXXX";
  const char *text = api_arg(r, "text"), *kind = api_arg(r, "kind");
  const char *at = api_arg(r, "at"), *ref = api_arg(r, "ref");
  const char *tmpdir = getenv("TMPDIR");
  char *tpath;
  char at_local[32];
  smsmux_recipients *rc;
  smsmux_error err;
  smsmux_send_request req;
  int fd, rv, templ;
  size_t written = 0;

  if (only_args(r, known, a))
    return -1;
  if (!text) {
    api_error(a, 400, SMSMUX_ERR_INPUT, "missing-field",
              "a CSV batch needs the message in the query: ?text=...");
    return -1;
  }
  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.text = text;
  req.from = api_arg(r, "from");
  req.route = api_arg(r, "route");
  req.provider = api_arg(r, "provider");
  if (kind && strcmp(kind, "sms") != 0) {
    if (strcmp(kind, "voice") == 0)
      req.kind = SMSMUX_KIND_VOICE;
    else {
      api_error(a, 400, SMSMUX_ERR_INPUT, "bad-value",
                "kind: a CSV batch sends sms or voice");
      return -1;
    }
  }
  if (at) {
    if (json_in_time(at, at_local, sizeof at_local)) {
      api_error(a, 400, SMSMUX_ERR_INPUT, "bad-value",
                "at: not an RFC 3339 time");
      return -1;
    }
    req.at = at_local;
  }
  tpath = tmpdir && *tmpdir ? NULL : path;
  if (!tpath) {
    size_t n = strlen(tmpdir) + sizeof "/smsmuxd-batch.XXXXXX";
    tpath = malloc(n);
    if (!tpath) {
      api_error(a, 503, SMSMUX_ERR_SYSTEM, "oom", "out of memory");
      return -1;
    }
    snprintf(tpath, n, "%s/smsmuxd-batch.XXXXXX", tmpdir);
  }
  fd = mkstemp(tpath);
  if (fd < 0) {
    api_error(a, 503, SMSMUX_ERR_SYSTEM, "tmp",
              "cannot keep the upload: %s", strerror(errno));
    if (tpath != path)
      free(tpath);
    return -1;
  }
  while (written < r->len) {
    ssize_t w = write(fd, r->body + written, r->len - written);
    if (w <= 0)
      break;
    written += (size_t)w;
  }
  close(fd);
  memset(&err, 0, sizeof err);
  rc = written == r->len ? smsmux_recipients_open(tpath, "CSV body", &err)
                         : NULL;
  unlink(tpath);
  if (tpath != path)
    free(tpath);
  if (!rc) {
    if (err.cls == SMSMUX_OK)
      api_error(a, 503, SMSMUX_ERR_SYSTEM, "tmp", "cannot keep the upload");
    else
      api_lib_error(a, &err);
    return -1;
  }
  templ = smsmux_template_has_placeholders(text);
  if (templ && smsmux_template_check(text, rc, &err)) {
    smsmux_recipients_close(rc);
    api_lib_error(a, &err);
    return -1;
  }
  for (;;) {
    char *body = NULL, rowref[300];
    const char *num;
    unsigned long line;
    memset(&err, 0, sizeof err);
    rv = smsmux_recipients_next(rc, &err);
    if (rv == 0)
      break;
    line = smsmux_recipients_line(rc);
    if (rv < 0) {
      refuse_row(br->b, line, &err);
      continue;
    }
    if (br->b->n_ids + json_object_array_length(br->b->refused) >=
        JSON_IN_MAX_BATCH) {
      smsmux_error e = {.cls = SMSMUX_ERR_INPUT};
      snprintf(e.code, sizeof e.code, "too-many");
      snprintf(e.message, sizeof e.message,
               "a batch holds at most %d rows", JSON_IN_MAX_BATCH);
      refuse_row(br->b, line, &e);
      break;
    }
    num = smsmux_recipients_number(rc);
    req.to = &num;
    req.n_to = 1;
    req.text = text;
    if (templ && (body = smsmux_template_render(text, rc)))
      req.text = body;
    req.ref = NULL;
    if (ref) {
      snprintf(rowref, sizeof rowref, "%.256s#%lu", ref, line);
      req.ref = rowref;
    }
    submit_row(br, line, &req, api_arg(r, "callback_url"));
    free(body);
  }
  smsmux_recipients_close(rc);
  return 0;
}

static void batch_answer(batch *b, http_answer *a) {
  json_object *o = json_object_new_object();
  json_object_object_add(o, "id", json_object_new_string(b->id));
  json_object_object_add(o, "accepted",
                         json_object_new_int64((int64_t)b->n_ids));
  json_object_object_add(o, "refused", json_object_get(b->refused));
  a->body = strdup(json_object_to_json_string_ext(
      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(o);
}

static void post_batch(smsmux *sm, const char *tenant, http_req *r,
                       http_answer *a) {
  const char *ct = api_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
  batch_run br;
  batch *b = calloc(1, sizeof *b);
  smsmux_error err;

  memset(&br, 0, sizeof br);
  if (!b) {
    api_error(a, 503, SMSMUX_ERR_SYSTEM, "oom", "out of memory");
    return;
  }
  new_id(b->id, sizeof b->id, "b_");
  snprintf(b->tenant, sizeof b->tenant, "%s", tenant);
  b->refused = json_object_new_array();
  br.sm = sm;
  br.tenant = tenant;
  br.b = b;
  if (is_json_body(r)) {
    /* first the shape of every row: one bad row refuses the whole batch */
    br.check_only = 1;
    if (json_in_batch_parse(r->body ? r->body : "", r->len, on_json_row, &br,
                            &err)) {
      api_lib_error(a, &err);
      batch_free(b);
      return;
    }
    if (br.first_bad) {
      char msg[sizeof br.bad.message];
      snprintf(msg, sizeof msg, "%s", br.bad.message);
      snprintf(br.bad.message, sizeof br.bad.message,
               "message %zu of the batch: %.900s (nothing was queued)",
               br.first_bad, msg);
      api_lib_error(a, &br.bad);
      batch_free(b);
      return;
    }
    br.check_only = 0;
    json_in_batch_parse(r->body, r->len, on_json_row, &br, &err);
  } else if (ct && (strncasecmp(ct, "text/csv", 8) == 0 ||
                    strncasecmp(ct, "text/plain", 10) == 0)) {
    if (csv_rows(&br, r, a)) {
      batch_free(b);
      return;
    }
  } else {
    api_error(a, 415, SMSMUX_ERR_INPUT, "unsupported-media-type",
              "send a batch as a JSON array (application/json) or a CSV "
              "file (text/csv)");
    batch_free(b);
    return;
  }
  if (b->n_ids == 0) {
    /* nothing queued: say why, with every row's reason */
    json_object *o = json_object_new_object(), *e = json_object_new_object();
    json_object_object_add(e, "class", json_object_new_string("input"));
    json_object_object_add(e, "code", json_object_new_string("all-refused"));
    json_object_object_add(
        e, "message",
        json_object_new_string("no message of the batch was accepted: "
                               "see \"refused\" (nothing was queued)"));
    json_object_object_add(o, "error", e);
    json_object_object_add(o, "refused", json_object_get(b->refused));
    a->status = br.system_error ? 503 : 400;
    a->body = strdup(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    batch_free(b);
    return;
  }
  a->status = 202;
  batch_answer(b, a);
  pthread_mutex_lock(&batch_lock);
  batch_free(batches[batch_next]);
  batches[batch_next] = b;
  batch_next = (batch_next + 1) % MAX_BATCHES;
  pthread_mutex_unlock(&batch_lock);
}

static void get_batch(smsmux *sm, const char *tenant, const char *id,
                      http_answer *a) {
  batch *b = NULL;
  size_t i;
  json_object *o, *counts;
  unsigned long done = 0;

  pthread_mutex_lock(&batch_lock);
  for (i = 0; i < MAX_BATCHES; i++)
    if (batches[i] && strcmp(batches[i]->id, id) == 0 &&
        strcmp(batches[i]->tenant, tenant) == 0)
      b = batches[i];
  if (!b) {
    pthread_mutex_unlock(&batch_lock);
    api_error(a, 404, SMSMUX_ERR_INPUT, "not-found",
              "no batch %.64s (batches are kept in memory: the last %d, "
              "until a restart; each message stays in GET /v1/messages)",
              id, MAX_BATCHES);
    return;
  }
  o = json_object_new_object();
  counts = json_object_new_object();
  json_object_object_add(o, "id", json_object_new_string(b->id));
  json_object_object_add(o, "accepted",
                         json_object_new_int64((int64_t)b->n_ids));
  json_object_object_add(o, "refused", json_object_get(b->refused));
  for (i = 0; i < b->n_ids; i++) {
    smsmux_error err;
    char *doc = smsmux_message_json(sm, tenant, b->ids[i], &err);
    json_object *d = doc ? json_tokener_parse(doc) : NULL, *st, *n;
    const char *s = "unknown";
    if (d && json_object_object_get_ex(d, "status", &st))
      s = json_object_get_string(st);
    if (strcmp(s, "queued") && strcmp(s, "sending") && strcmp(s, "scheduled"))
      done++;
    if (json_object_object_get_ex(counts, s, &n))
      json_object_set_int64(n, json_object_get_int64(n) + 1);
    else
      json_object_object_add(counts, s, json_object_new_int64(1));
    json_object_put(d);
    free(doc);
  }
  pthread_mutex_unlock(&batch_lock);
  json_object_object_add(o, "statuses", counts);
  json_object_object_add(o, "done", json_object_new_boolean(done == i));
  a->status = 200;
  a->body = strdup(json_object_to_json_string_ext(
      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(o);
}

/* ---------------------------------------------------------- health ----- */

static void readyz(smsmux *sm, http_answer *a) {
  smsmux_queue_stats st;
  int ok;
  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  ok = smsmux_queue_stats_get(sm, &st) == 0 && st.store_ok &&
       st.providers_usable > 0;
  a->status = ok ? 200 : 503;
  if (asprintf(&a->body,
               "{\"status\":\"%s\",\"store\":%s,\"providers_usable\":%d}",
               ok ? "ready" : "not-ready", st.store_ok ? "true" : "false",
               st.providers_usable) < 0)
    a->body = NULL;
}

/* ---------------------------------------------------------- routing ---- */

static int method_is(const http_req *r, const char *m) {
  return strcmp(r->method, m) == 0;
}

static void not_allowed(http_answer *a, const char *allow) {
  api_error(a, 405, SMSMUX_ERR_INPUT, "method-not-allowed",
            "this path answers %s", allow);
  a->allow = allow;
}

/* The id of "/v1/messages/ID" (prefix given), or NULL. */
static const char *path_id(const char *url, const char *prefix) {
  size_t n = strlen(prefix);
  const char *id;
  if (strncmp(url, prefix, n) != 0)
    return NULL;
  id = url + n;
  if (!*id || strlen(id) > 64 || strchr(id, '/'))
    return NULL;
  return id;
}

void api_handle(http_req *r, http_answer *a) {
  smsmux *sm;
  char *tenant = NULL;
  const char *id;

  if (strcmp(r->url, "/healthz") == 0) {
    if (!method_is(r, "GET") && !method_is(r, "HEAD"))
      return not_allowed(a, "GET");
    a->status = 200;
    a->body = strdup("{\"status\":\"ok\"}");
    return;
  }
  if (strncmp(r->url, "/cgi-bin/sendsms", 16) == 0 && !r->url[16]) {
    if (!method_is(r, "GET") && !method_is(r, "POST"))
      return not_allowed(a, "GET, POST");
    kannel_handle(r, a);
    return;
  }

  sm = daemon_sm_acquire();
  if (strncmp(r->url, "/hooks/", 7) == 0) {
    hook_handle(sm, r, a);
  } else if (strcmp(r->url, "/readyz") == 0) {
    if (!method_is(r, "GET"))
      not_allowed(a, "GET");
    else
      readyz(sm, a);
  } else if (strcmp(r->url, "/metrics") == 0) {
    if (!method_is(r, "GET")) {
      not_allowed(a, "GET");
    } else {
      a->status = 200;
      a->type = "text/plain; version=0.0.4; charset=utf-8";
      a->body = metrics_text(sm);
    }
  } else if (strncmp(r->url, "/v1/", 4) != 0) {
    api_error(a, 404, SMSMUX_ERR_INPUT, "not-found",
              "no such path: see docs/API.md");
  } else if (!(tenant = authenticate(sm, r, a))) {
    /* answered 401 */
  } else if (tenants_handle(sm, tenant, r, a)) {
    /* /v1/admin/..., /v1/account... */
  } else if (strcmp(r->url, "/v1/messages") == 0) {
    if (method_is(r, "POST"))
      post_message(sm, tenant, r, a);
    else if (method_is(r, "GET"))
      list_messages(sm, tenant, r, a);
    else
      not_allowed(a, "GET, POST");
  } else if ((id = path_id(r->url, "/v1/messages/"))) {
    if (method_is(r, "GET"))
      get_message(sm, tenant, id, a);
    else if (method_is(r, "DELETE"))
      delete_message(sm, tenant, id, a);
    else
      not_allowed(a, "GET, DELETE");
  } else if (strcmp(r->url, "/v1/batches") == 0) {
    if (method_is(r, "POST"))
      post_batch(sm, tenant, r, a);
    else
      not_allowed(a, "POST");
  } else if ((id = path_id(r->url, "/v1/batches/"))) {
    if (method_is(r, "GET"))
      get_batch(sm, tenant, id, a);
    else
      not_allowed(a, "GET");
  } else if (strcmp(r->url, "/v1/replies") == 0) {
    if (method_is(r, "GET"))
      list_replies(sm, tenant, r, a);
    else
      not_allowed(a, "GET");
  } else if (strcmp(r->url, "/v1/optouts") == 0) {
    if (method_is(r, "GET"))
      list_optouts(sm, tenant, r, a);
    else if (method_is(r, "POST"))
      post_optout(sm, tenant, r, a);
    else
      not_allowed(a, "GET, POST");
  } else if ((id = path_id(r->url, "/v1/optouts/"))) {
    if (method_is(r, "DELETE"))
      delete_optout(sm, tenant, id, a);
    else
      not_allowed(a, "DELETE");
  } else {
    api_error(a, 404, SMSMUX_ERR_INPUT, "not-found",
              "no such path: see docs/API.md");
  }
  free(tenant);
  daemon_sm_release();
}
