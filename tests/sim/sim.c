/* sim.c - smsmux-sim, the loopback simulator of the provider APIs: the
 * server core.
 *
 * One libmicrohttpd daemon (a pool of polling threads) serves every provider
 * module of the registry under its path prefix, plus the /_sim/ control API
 * that tests use: reset, request log, faults, and the provider-specific
 * operations (accounts, delivery-report advance, replies).  The contract is
 * docs/simulator.md.
 *
 * All simulated state sits behind one mutex (`state_lock`): requests are
 * tiny, so one lock keeps the model obvious.  Delayed answers (the slow and
 * timeout_after_accept faults) never sleep in a pool thread: the connection
 * is suspended and a timer thread resumes it when due, so one slow answer
 * cannot hold up the other connections that share its polling thread. */
#include "config.h"

#include "sim.h"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- registry */

/* One line per provider module. */
static const struct sim_provider *const registry[] = {
  &sim_smsmode,
  &sim_clever_http,
  &sim_clever_rest,
  &sim_mediasflow,
  &sim_allmysms,
};
#define N_PROVIDERS (sizeof registry / sizeof registry[0])

/* ------------------------------------------------------------------ limits */

#define MAX_BODY (32u * 1024 * 1024) /* larger bodies get 413 */
#define POST_BUFFER 65536            /* MHD post processor buffer */
#define CONNECTION_MEMORY (1024 * 1024) /* room for long GET query strings */
#define IDLE_TIMEOUT 120                /* seconds before an idle keep-alive closes */

/* ------------------------------------------------------------------ faults */

enum fault_mode {
  FAULT_NONE,
  FAULT_DOWN,
  FAULT_HTTP500,
  FAULT_SLOW,
  FAULT_TIMEOUT_AFTER_ACCEPT,
  FAULT_CODE,
  FAULT_GARBAGE,
  FAULT_CLOSE,
  FAULT_ANSWER
};

static const char *const fault_names[] = {
  [FAULT_NONE] = "none",
  [FAULT_DOWN] = "down",
  [FAULT_HTTP500] = "http500",
  [FAULT_SLOW] = "slow",
  [FAULT_TIMEOUT_AFTER_ACCEPT] = "timeout_after_accept",
  [FAULT_CODE] = "code",
  [FAULT_GARBAGE] = "garbage",
  [FAULT_CLOSE] = "close",
  [FAULT_ANSWER] = "answer",
};

struct fault {
  enum fault_mode mode;
  long long remaining; /* requests still to fault; -1: until reset */
  int code;            /* FAULT_CODE */
  unsigned ms;         /* FAULT_SLOW, FAULT_TIMEOUT_AFTER_ACCEPT */
  char body[4096];     /* FAULT_ANSWER: the answer given, as it is */
  char type[128];      /* FAULT_ANSWER: its Content-Type */
  size_t body_len;     /* FAULT_ANSWER: bytes of body (a NUL may be one) */
};

/* ------------------------------------------------------------ global state */

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static void *provider_state[N_PROVIDERS];
static struct fault faults[N_PROVIDERS];

/* The request log: one JSON object per request a provider received. */
struct log_entry {
  size_t provider;
  struct json_object *doc;
  struct log_entry *next;
};
static struct log_entry *log_head, **log_tail = &log_head;

static int quiet;
static int no_log; /* --no-log: keep no request log (benchmarks) */

/* ------------------------------------------------------------ timer thread */

/* Connections suspended until their answer is due. */
struct pending {
  struct MHD_Connection *conn;
  struct timespec due; /* CLOCK_MONOTONIC */
  struct pending *next;
};

static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_cond; /* signalled on new pending / stop / resume */
static struct pending *pending_list;
static unsigned suspended; /* parked requests not yet finished */
static int shutting_down;

/* ---------------------------------------------------------- request context */

enum phase {
  PHASE_HEADERS, /* first call: headers only */
  PHASE_BODY,    /* body arriving */
  PHASE_DELAYED  /* answer ready, connection suspended until due */
};

/* One HTTP request, from the URI log callback to the completion callback. */
struct req_ctx {
  char *raw_uri;
  enum phase phase;
  struct sim_buf body;
  int body_too_big;
  struct sim_param *params, **params_tail;
  enum sim_param_kind body_kind; /* for the post processor iterator */
  struct sim_response delayed;   /* PHASE_DELAYED */
  int parked;                    /* counted in `suspended` */
};

/* --------------------------------------------------------- request helpers */

const struct sim_param *sim_param_get(const struct sim_request *req,
                                      const char *name)
{
  for (const struct sim_param *p = req->params; p; p = p->next)
    if (p->kind != SIM_PARAM_PART && strcmp(p->name, name) == 0)
      return p;
  return NULL;
}

const char *sim_param(const struct sim_request *req, const char *name)
{
  const struct sim_param *p = sim_param_get(req, name);
  return p ? p->value : NULL;
}

const char *sim_param_nonempty(const struct sim_request *req, const char *name)
{
  const char *v = sim_param(req, name);
  return v && *v ? v : NULL;
}

const char *sim_header(const struct sim_request *req, const char *name)
{
  if (!req->conn)
    return NULL;
  return MHD_lookup_connection_value((struct MHD_Connection *)req->conn,
                                     MHD_HEADER_KIND, name);
}

const struct sim_param *sim_part(const struct sim_request *req,
                                 const char *name)
{
  for (const struct sim_param *p = req->params; p; p = p->next)
    if (p->kind == SIM_PARAM_PART && strcmp(p->name, name) == 0)
      return p;
  return NULL;
}

void sim_respond(struct sim_response *resp, unsigned status,
                 const char *content_type, const void *body, size_t len)
{
  free(resp->body);
  resp->status = status;
  resp->content_type = content_type;
  resp->body = sim_xmalloc(len + 1);
  if (len)
    memcpy(resp->body, body, len);
  resp->body[len] = '\0';
  resp->len = len;
}

void sim_respondf(struct sim_response *resp, unsigned status,
                  const char *content_type, const char *fmt, ...)
{
  struct sim_buf b = { 0 };
  va_list ap;
  va_start(ap, fmt);
  sim_buf_vaddf(&b, fmt, ap);
  va_end(ap);
  free(resp->body);
  resp->status = status;
  resp->content_type = content_type;
  resp->body = sim_buf_take(&b, &resp->len);
}

void sim_respond_json(struct sim_response *resp, unsigned status,
                      struct json_object *doc)
{
  const char *s = json_object_to_json_string_ext(
    doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  sim_respondf(resp, status, "application/json", "%s\n", s);
  json_object_put(doc);
}

void sim_respond_header(struct sim_response *resp, const char *name,
                        const char *value)
{
  struct sim_header_line *h = sim_xcalloc(1, sizeof *h), **tail = &resp->headers;
  h->name = sim_xstrdup(name);
  h->value = sim_xstrdup(value);
  while (*tail)
    tail = &(*tail)->next;
  *tail = h;
}

static void response_headers_free(struct sim_response *resp)
{
  while (resp->headers) {
    struct sim_header_line *h = resp->headers;
    resp->headers = h->next;
    free(h->name);
    free(h->value);
    free(h);
  }
}

void sim_ctl_error(struct sim_response *resp, unsigned status,
                   const char *fmt, ...)
{
  struct sim_buf b = { 0 };
  va_list ap;
  va_start(ap, fmt);
  sim_buf_vaddf(&b, fmt, ap);
  va_end(ap);
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "error", json_object_new_string(b.data));
  sim_buf_free(&b);
  sim_respond_json(resp, status, doc);
}

/* ------------------------------------------------------------- parameters */

static struct sim_param *param_add(struct req_ctx *ctx, enum sim_param_kind kind,
                                   const char *name, size_t name_len)
{
  struct sim_param *p = sim_xcalloc(1, sizeof *p);
  p->kind = kind;
  p->name = sim_xstrndup(name, name_len);
  p->value = sim_xstrdup("");
  *ctx->params_tail = p;
  ctx->params_tail = &p->next;
  return p;
}

static void param_append(struct sim_param *p, const char *data, size_t n)
{
  p->value = sim_xrealloc(p->value, p->len + n + 1);
  memcpy(p->value + p->len, data, n);
  p->len += n;
  p->value[p->len] = '\0';
}

static enum MHD_Result on_query_arg(void *cls, enum MHD_ValueKind kind,
                                    const char *key, size_t key_size,
                                    const char *value, size_t value_size)
{
  (void)kind;
  struct sim_param *p = param_add(cls, SIM_PARAM_QUERY, key, key_size);
  if (value)
    param_append(p, value, value_size);
  return MHD_YES;
}

/* MHD hands a long value over in several chunks: `off` > 0 continues the
   parameter begun last. */
static enum MHD_Result on_post_field(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *filename,
                                     const char *content_type,
                                     const char *transfer_encoding,
                                     const char *data, uint64_t off, size_t size)
{
  (void)kind;
  (void)transfer_encoding;
  struct req_ctx *ctx = cls;
  struct sim_param *last = NULL;
  for (struct sim_param *p = ctx->params; p; p = p->next)
    last = p;
  if (off == 0 || !last || last->kind != ctx->body_kind ||
      strcmp(last->name, key) != 0) {
    last = param_add(ctx, ctx->body_kind, key, strlen(key));
    if (filename)
      last->filename = sim_xstrdup(filename);
    if (content_type)
      last->content_type = sim_xstrdup(content_type);
  }
  param_append(last, data, size);
  return MHD_YES;
}

static int has_prefix_ci(const char *s, const char *prefix)
{
  return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Query arguments, then the fields of a form body (urlencoded or
   multipart), all decoded by libmicrohttpd. */
static void parse_params(struct req_ctx *ctx, struct MHD_Connection *conn,
                         const char *content_type)
{
  MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, on_query_arg, ctx);
  if (ctx->body.len == 0)
    return;
  if (has_prefix_ci(content_type, "application/x-www-form-urlencoded"))
    ctx->body_kind = SIM_PARAM_FORM;
  else if (has_prefix_ci(content_type, "multipart/form-data"))
    ctx->body_kind = SIM_PARAM_PART;
  else
    return;
  struct MHD_PostProcessor *pp =
    MHD_create_post_processor(conn, POST_BUFFER, on_post_field, ctx);
  if (!pp)
    return; /* e.g. multipart without a boundary: no fields */
  MHD_post_process(pp, ctx->body.data, ctx->body.len);
  /* the last urlencoded value is only delivered here */
  MHD_destroy_post_processor(pp);
}

static void params_free(struct sim_param *p)
{
  while (p) {
    struct sim_param *next = p->next;
    free(p->name);
    free(p->value);
    free(p->filename);
    free(p->content_type);
    free(p);
    p = next;
  }
}

/* ------------------------------------------------------------- request log */

struct header_walk {
  struct json_object *headers;
};

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind,
                                 const char *key, size_t key_size,
                                 const char *value, size_t value_size)
{
  (void)kind;
  struct header_walk *w = cls;
  char *name = sim_xstrndup(key, key_size);
  for (char *c = name; *c; c++)
    *c = (char)tolower((unsigned char)*c);
  struct json_object *old;
  if (json_object_object_get_ex(w->headers, name, &old)) {
    /* a repeated header: one value, comma-joined as HTTP allows */
    struct sim_buf b = { 0 };
    sim_buf_add(&b, json_object_get_string(old),
                (size_t)json_object_get_string_len(old));
    sim_buf_adds(&b, ", ");
    sim_buf_add(&b, value ? value : "", value ? value_size : 0);
    json_object_object_add(w->headers, name, sim_json_bytes(b.data, b.len));
    sim_buf_free(&b);
  } else {
    json_object_object_add(w->headers, name,
                            sim_json_bytes(value ? value : "", value ? value_size : 0));
  }
  free(name);
  return MHD_YES;
}

static struct json_object *log_doc(size_t prov, struct MHD_Connection *conn,
                                   const char *method, const char *raw_uri,
                                   const struct sim_buf *body,
                                   const char *content_type,
                                   enum fault_mode fault)
{
  const char *q = strchr(raw_uri, '?');
  size_t path_len = q ? (size_t)(q - raw_uri) : strlen(raw_uri);
  const char *query = q ? q + 1 : "";
  struct json_object *doc = json_object_new_object();

  json_object_object_add(doc, "provider",
                         json_object_new_string(registry[prov]->name));
  json_object_object_add(doc, "method", json_object_new_string(method));
  json_object_object_add(doc, "path", sim_json_bytes(raw_uri, path_len));
  json_object_object_add(doc, "query", sim_json_bytes(query, strlen(query)));

  struct header_walk w = { json_object_new_object() };
  MHD_get_connection_values_n(conn, MHD_HEADER_KIND, on_header, &w);
  json_object_object_add(doc, "headers", w.headers);

  json_object_object_add(doc, "body", sim_json_bytes(body->data, body->len));
  struct sim_buf hex = { 0 };
  for (size_t i = 0; i < body->len; i++)
    sim_buf_addf(&hex, "%02x", (unsigned char)body->data[i]);
  json_object_object_add(doc, "body_hex", sim_json_bytes(hex.data, hex.len));
  sim_buf_free(&hex);
  json_object_object_add(doc, "content_type",
                         content_type ? sim_json_bytes(content_type, strlen(content_type))
                                      : NULL);
  json_object_object_add(doc, "fault",
                         fault == FAULT_NONE ? NULL
                                             : json_object_new_string(fault_names[fault]));
  return doc;
}

/* Caller holds state_lock. */
static void log_add(size_t prov, struct json_object *doc)
{
  struct log_entry *e = sim_xcalloc(1, sizeof *e);
  e->provider = prov;
  e->doc = doc;
  *log_tail = e;
  log_tail = &e->next;
}

/* Forget the entries of one provider, or all when prov == N_PROVIDERS.
   Caller holds state_lock. */
static void log_clear(size_t prov)
{
  struct log_entry **pp = &log_head;
  while (*pp) {
    struct log_entry *e = *pp;
    if (prov == N_PROVIDERS || e->provider == prov) {
      *pp = e->next;
      json_object_put(e->doc);
      free(e);
    } else {
      pp = &e->next;
    }
  }
  log_tail = &log_head;
  while (*log_tail)
    log_tail = &(*log_tail)->next;
}

/* ---------------------------------------------------------------- faults */

/* The fault that applies to this request of provider `prov`, counting it
   down.  Caller holds state_lock. */
static struct fault fault_take(size_t prov)
{
  struct fault *f = &faults[prov];
  struct fault now = *f;
  if (f->mode == FAULT_NONE)
    return now;
  if (f->remaining > 0 && --f->remaining == 0)
    memset(f, 0, sizeof *f);
  return now;
}

static struct json_object *fault_json(size_t prov)
{
  const struct fault *f = &faults[prov];
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "provider", json_object_new_string(registry[prov]->name));
  json_object_object_add(doc, "mode", json_object_new_string(fault_names[f->mode]));
  json_object_object_add(doc, "count",
                         f->remaining < 0 ? NULL : json_object_new_int64(f->remaining));
  json_object_object_add(doc, "code",
                         f->mode == FAULT_CODE ? json_object_new_int(f->code) : NULL);
  json_object_object_add(doc, "ms",
                         f->mode == FAULT_SLOW || f->mode == FAULT_TIMEOUT_AFTER_ACCEPT
                           ? json_object_new_int64(f->ms)
                           : NULL);
  return doc;
}

/* ------------------------------------------------------------- control API */

/* provider=NAME: its index; N_PROVIDERS when absent and `optional`; -1 and
   an error answer otherwise. */
static long ctl_provider(const struct sim_request *req, int optional,
                         struct sim_response *resp)
{
  const char *name = sim_param_nonempty(req, "provider");
  if (!name) {
    if (optional)
      return (long)N_PROVIDERS;
    sim_ctl_error(resp, 400, "missing parameter: provider");
    return -1;
  }
  for (size_t i = 0; i < N_PROVIDERS; i++)
    if (strcmp(registry[i]->name, name) == 0)
      return (long)i;
  sim_ctl_error(resp, 404, "unknown provider: %s", name);
  return -1;
}

static int method_is(const struct sim_request *req, const char *method,
                     struct sim_response *resp)
{
  if (strcmp(req->method, method) == 0)
    return 1;
  sim_ctl_error(resp, 405, "/_sim/%s wants %s", req->subpath, method);
  return 0;
}

static void ctl_reset(const struct sim_request *req, struct sim_response *resp)
{
  long prov = ctl_provider(req, 1, resp);
  if (prov < 0 || !method_is(req, "POST", resp))
    return;
  for (size_t i = 0; i < N_PROVIDERS; i++) {
    if (prov != (long)N_PROVIDERS && (size_t)prov != i)
      continue;
    registry[i]->reset(provider_state[i]);
    memset(&faults[i], 0, sizeof faults[i]);
  }
  log_clear((size_t)prov);
  if (prov == (long)N_PROVIDERS)
    sim_push_reset();
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "reset", json_object_new_boolean(1));
  sim_respond_json(resp, 200, doc);
}

static void ctl_requests(const struct sim_request *req, struct sim_response *resp)
{
  long prov = ctl_provider(req, 1, resp);
  if (prov < 0 || !method_is(req, "GET", resp))
    return;
  struct json_object *arr = json_object_new_array();
  for (struct log_entry *e = log_head; e; e = e->next)
    if (prov == (long)N_PROVIDERS || e->provider == (size_t)prov)
      json_object_array_add(arr, json_object_get(e->doc));
  sim_respond_json(resp, 200, arr);
}

static int parse_uint_param(const struct sim_request *req, const char *name,
                            long long min, long long max, long long *out,
                            struct sim_response *resp)
{
  const char *v = sim_param_nonempty(req, name);
  if (!v)
    return 0;
  if (sim_int_parse(v, out) != 0 || *out < min || *out > max) {
    sim_ctl_error(resp, 400, "%s: a whole number from %lld to %lld, not '%s'",
                  name, min, max, v);
    return -1;
  }
  return 1;
}

static void ctl_fault(const struct sim_request *req, struct sim_response *resp)
{
  long prov = ctl_provider(req, 0, resp);
  if (prov < 0 || !method_is(req, "POST", resp))
    return;
  const char *mode = sim_param_nonempty(req, "mode");
  if (!mode) {
    sim_ctl_error(resp, 400, "missing parameter: mode");
    return;
  }
  struct fault f = { FAULT_NONE, -1, 0, 0, "", "", 0 };
  size_t m;
  for (m = 0; m < sizeof fault_names / sizeof fault_names[0]; m++)
    if (strcmp(fault_names[m], mode) == 0)
      break;
  if (m == sizeof fault_names / sizeof fault_names[0]) {
    sim_ctl_error(resp, 400, "unknown fault mode: %s", mode);
    return;
  }
  f.mode = (enum fault_mode)m;

  long long v;
  int r = parse_uint_param(req, "count", 1, 1000000000, &v, resp);
  if (r < 0)
    return;
  if (r > 0)
    f.remaining = v;
  r = parse_uint_param(req, "ms", 0, 3600000, &v, resp);
  if (r < 0)
    return;
  f.ms = r > 0 ? (unsigned)v : f.mode == FAULT_SLOW ? 3000 : 30000;
  r = parse_uint_param(req, "code", 0, 999999, &v, resp);
  if (r < 0)
    return;
  if (f.mode == FAULT_CODE && r == 0) {
    sim_ctl_error(resp, 400, "mode=code needs code=C");
    return;
  }
  f.code = (int)v;
  if (f.mode == FAULT_ANSWER) {
    /* any answer shape a test needs that no provider module produces */
    const char *body = sim_param(req, "body");
    const char *hex = sim_param(req, "body_hex");
    const char *type = sim_param_nonempty(req, "type");
    if ((!body && !hex) || (body && strlen(body) >= sizeof f.body) ||
        (hex && (strlen(hex) % 2 || strlen(hex) / 2 >= sizeof f.body ||
                 strspn(hex, "0123456789abcdefABCDEF") != strlen(hex))) ||
        (type && strlen(type) >= sizeof f.type)) {
      sim_ctl_error(resp, 400,
                    "mode=answer needs body=B or body_hex=HEX (under %zu "
                    "bytes)",
                    sizeof f.body);
      return;
    }
    if (r == 0)
      f.code = 200;
    else if (f.code < 100 || f.code > 599) {
      sim_ctl_error(resp, 400, "mode=answer: code=%d is no HTTP status", f.code);
      return;
    }
    if (hex) { /* any bytes, NUL included */
      size_t k;
      for (k = 0; hex[2 * k]; k++) {
        unsigned byte;
        sscanf(hex + 2 * k, "%2x", &byte);
        f.body[k] = (char)byte;
      }
      f.body_len = k;
    } else {
      strcpy(f.body, body);
      f.body_len = strlen(body);
    }
    strcpy(f.type, type ? type : "application/json");
  }
  if (f.mode == FAULT_NONE)
    memset(&f, 0, sizeof f);
  faults[prov] = f;
  sim_respond_json(resp, 200, fault_json((size_t)prov));
}

static void ctl_advance(const struct sim_request *req, struct sim_response *resp)
{
  long prov = ctl_provider(req, 1, resp);
  if (prov < 0 || !method_is(req, "POST", resp))
    return;
  unsigned changed = 0;
  for (size_t i = 0; i < N_PROVIDERS; i++)
    if ((prov == (long)N_PROVIDERS || (size_t)prov == i) && registry[i]->advance)
      changed += registry[i]->advance(provider_state[i]);
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "advanced", json_object_new_int64(changed));
  sim_respond_json(resp, 200, doc);
}

static void ctl_providers(const struct sim_request *req, struct sim_response *resp)
{
  if (!method_is(req, "GET", resp))
    return;
  struct json_object *arr = json_object_new_array();
  for (size_t i = 0; i < N_PROVIDERS; i++) {
    struct json_object *p = json_object_new_object();
    json_object_object_add(p, "name", json_object_new_string(registry[i]->name));
    json_object_object_add(p, "prefix", json_object_new_string(registry[i]->prefix));
    json_object_object_add(p, "fault", fault_json(i));
    json_object_array_add(arr, p);
  }
  sim_respond_json(resp, 200, arr);
}

/* /_sim/<op>.  Caller holds state_lock. */
static void ctl_dispatch(const struct sim_request *req, struct sim_response *resp)
{
  static const struct {
    const char *name;
    void (*run)(const struct sim_request *, struct sim_response *);
  } core_ops[] = {
    { "reset", ctl_reset },         { "requests", ctl_requests },
    { "fault", ctl_fault },         { "advance", ctl_advance },
    { "providers", ctl_providers },
    { "push-fault", sim_push_ctl_fault }, { "pushes", sim_push_ctl_list },
  };
  for (size_t i = 0; i < sizeof core_ops / sizeof core_ops[0]; i++)
    if (strcmp(req->subpath, core_ops[i].name) == 0) {
      core_ops[i].run(req, resp);
      return;
    }

  long prov = ctl_provider(req, 0, resp);
  if (prov < 0)
    return;
  const struct sim_ctl_op *op = registry[prov]->ops;
  for (; op && op->name; op++) {
    if (strcmp(op->name, req->subpath) != 0)
      continue;
    if (strcmp(op->method, req->method) == 0) {
      op->run(provider_state[prov], req, resp);
      return;
    }
  }
  for (op = registry[prov]->ops; op && op->name; op++)
    if (strcmp(op->name, req->subpath) == 0) {
      sim_ctl_error(resp, 405, "/_sim/%s: method %s not allowed", req->subpath,
                    req->method);
      return;
    }
  sim_ctl_error(resp, 404, "no control operation /_sim/%s for %s", req->subpath,
                registry[prov]->name);
}

/* --------------------------------------------------------- delayed answers */

static void timespec_after_ms(struct timespec *ts, unsigned ms)
{
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

static int timespec_le(const struct timespec *a, const struct timespec *b)
{
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

/* Park `conn` until `ms` from now.  Returns 0, or -1 when shutting down (the
   caller then answers at once). */
static int delay_answer(struct MHD_Connection *conn, struct req_ctx *ctx,
                        unsigned ms)
{
  pthread_mutex_lock(&timer_lock);
  if (shutting_down) {
    pthread_mutex_unlock(&timer_lock);
    return -1;
  }
  struct pending *p = sim_xcalloc(1, sizeof *p);
  p->conn = conn;
  timespec_after_ms(&p->due, ms);
  MHD_suspend_connection(conn);
  p->next = pending_list;
  pending_list = p;
  ctx->parked = 1;
  suspended++;
  pthread_cond_broadcast(&timer_cond);
  pthread_mutex_unlock(&timer_lock);
  return 0;
}

/* Resumes connections when their answer is due; at shutdown, all of them. */
static void *timer_main(void *arg)
{
  (void)arg;
  pthread_mutex_lock(&timer_lock);
  for (;;) {
    struct timespec now, next = { 0, 0 };
    int have_next = 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (struct pending **pp = &pending_list; *pp;) {
      struct pending *p = *pp;
      if (shutting_down || timespec_le(&p->due, &now)) {
        *pp = p->next;
        MHD_resume_connection(p->conn);
        free(p);
        continue;
      }
      if (!have_next || timespec_le(&p->due, &next))
        next = p->due, have_next = 1;
      pp = &p->next;
    }
    if (shutting_down)
      break;
    if (have_next)
      pthread_cond_timedwait(&timer_cond, &timer_lock, &next);
    else
      pthread_cond_wait(&timer_cond, &timer_lock);
  }
  pthread_mutex_unlock(&timer_lock);
  return NULL;
}

/* A parked request is over: resumed and answered, or closed.  The count
   lets shutdown wait until libmicrohttpd holds no suspended connection. */
static void unpark(struct req_ctx *ctx)
{
  pthread_mutex_lock(&timer_lock);
  if (ctx->parked) {
    ctx->parked = 0;
    suspended--;
    pthread_cond_broadcast(&timer_cond);
  }
  pthread_mutex_unlock(&timer_lock);
}

/* ------------------------------------------------------------ HTTP plumbing */

static enum MHD_Result send_response(struct MHD_Connection *conn,
                                     struct sim_response *resp)
{
  struct MHD_Response *r;
  if (resp->len) {
    r = MHD_create_response_from_buffer(resp->len, resp->body,
                                        MHD_RESPMEM_MUST_FREE);
    resp->body = NULL;
  } else {
    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  }
  free(resp->body);
  resp->body = NULL;
  if (!r) {
    response_headers_free(resp);
    return MHD_NO;
  }
  if (resp->content_type)
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
  for (const struct sim_header_line *h = resp->headers; h; h = h->next)
    MHD_add_response_header(r, h->name, h->value);
  response_headers_free(resp);
  enum MHD_Result ret = MHD_queue_response(conn, resp->status, r);
  MHD_destroy_response(r);
  return ret;
}

static void log_line(const char *method, const char *path, unsigned status,
                     enum fault_mode fault)
{
  if (quiet)
    return;
  if (fault == FAULT_NONE)
    fprintf(stderr, "smsmux-sim: %s %s %u\n", method, path, status);
  else if (fault == FAULT_CLOSE)
    fprintf(stderr, "smsmux-sim: %s %s (fault close: no answer)\n", method, path);
  else
    fprintf(stderr, "smsmux-sim: %s %s %u (fault %s)\n", method, path, status,
            fault_names[fault]);
}

static long provider_for(const char *path)
{
  for (size_t i = 0; i < N_PROVIDERS; i++)
    if (strncmp(path, registry[i]->prefix, strlen(registry[i]->prefix)) == 0)
      return (long)i;
  return -1;
}

/* A complete request to provider `prov`: log it, apply the fault, let the
   module answer.  Returns the fault applied; *delay_ms is how long the
   answer must wait. */
static enum fault_mode serve_provider(size_t prov, struct MHD_Connection *conn,
                                      struct req_ctx *ctx,
                                      const struct sim_request *req,
                                      struct sim_response *resp,
                                      unsigned *delay_ms)
{
  const struct sim_provider *p = registry[prov];
  *delay_ms = 0;

  pthread_mutex_lock(&state_lock);
  struct fault f = fault_take(prov);
  if (!no_log)
    log_add(prov, log_doc(prov, conn, req->method, ctx->raw_uri, &ctx->body,
                          req->content_type, f.mode));
  switch (f.mode) {
  case FAULT_NONE:
    p->handle(provider_state[prov], req, resp);
    break;
  case FAULT_SLOW:
  case FAULT_TIMEOUT_AFTER_ACCEPT:
    /* served (and so accepted, recorded, debited) now; answered later */
    p->handle(provider_state[prov], req, resp);
    *delay_ms = f.ms;
    break;
  case FAULT_CODE:
    p->error_answer(provider_state[prov], req, f.code, resp);
    break;
  case FAULT_DOWN:
    sim_respondf(resp, 503, "text/html", "<html><body><h1>503 Service Unavailable</h1></body></html>\n");
    break;
  case FAULT_HTTP500:
    sim_respondf(resp, 500, "text/html", "<html><body><h1>500 Internal Server Error</h1></body></html>\n");
    break;
  case FAULT_GARBAGE:
    {
      /* looks like neither a provider answer nor text: a broken proxy page */
      static const char garbage[] = "<html>oops\x01\xff\xfe<<<";
      sim_respond(resp, 200, "text/html", garbage, sizeof garbage - 1);
    }
    break;
  case FAULT_CLOSE:
    break;
  case FAULT_ANSWER:
    sim_respond(resp, (unsigned)f.code, f.type, f.body, f.body_len);
    break;
  }
  pthread_mutex_unlock(&state_lock);
  if (f.mode != FAULT_CLOSE && resp->status == 0)
    sim_respondf(resp, 404, "text/plain", "not found: %s\n", req->path);
  return f.mode;
}

static struct req_ctx *ctx_new(const char *uri)
{
  struct req_ctx *ctx = sim_xcalloc(1, sizeof *ctx);
  ctx->raw_uri = sim_xstrdup(uri ? uri : "");
  ctx->params_tail = &ctx->params;
  return ctx;
}

/* MHD_OPTION_URI_LOG_CALLBACK: sees the request line's URI before MHD
   decodes it; that is the only place the raw query string exists. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
  (void)cls;
  (void)conn;
  return ctx_new(uri);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  (void)cls;
  (void)conn;
  (void)toe;
  struct req_ctx *ctx = *con_cls;
  if (!ctx)
    return;
  unpark(ctx);
  free(ctx->raw_uri);
  sim_buf_free(&ctx->body);
  params_free(ctx->params);
  free(ctx->delayed.body);
  response_headers_free(&ctx->delayed);
  free(ctx);
  *con_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
  (void)cls;
  (void)version;
  struct req_ctx *ctx = *con_cls;
  if (!ctx)
    ctx = *con_cls = ctx_new(url);

  switch (ctx->phase) {
  case PHASE_HEADERS:
    ctx->phase = PHASE_BODY;
    return MHD_YES;
  case PHASE_DELAYED: /* resumed by the timer thread: the answer is due */
    unpark(ctx);
    return send_response(conn, &ctx->delayed);
  case PHASE_BODY:
    break;
  }
  if (*upload_data_size) {
    if (ctx->body.len + *upload_data_size > MAX_BODY)
      ctx->body_too_big = 1;
    else
      sim_buf_add(&ctx->body, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }

  /* the whole request is in */
  struct sim_response resp = { 0 };
  if (ctx->body_too_big) {
    sim_respondf(&resp, 413, "text/plain", "request body over %u bytes\n", MAX_BODY);
    log_line(method, url, resp.status, FAULT_NONE);
    return send_response(conn, &resp);
  }
  const char *content_type =
    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  const char *q = strchr(ctx->raw_uri, '?');
  parse_params(ctx, conn, content_type);
  struct sim_request req = {
    .method = method,
    .path = url,
    .subpath = url,
    .query = q ? q + 1 : "",
    .body = (const unsigned char *)ctx->body.data,
    .body_len = ctx->body.len,
    .content_type = content_type,
    .params = ctx->params,
    .conn = conn,
  };

  enum fault_mode fault = FAULT_NONE;
  unsigned delay_ms = 0;
  long prov;
  if (strncmp(url, "/_sim/", 6) == 0) {
    req.subpath = url + 6;
    pthread_mutex_lock(&state_lock);
    ctl_dispatch(&req, &resp);
    pthread_mutex_unlock(&state_lock);
  } else if ((prov = provider_for(url)) >= 0) {
    req.subpath = url + strlen(registry[prov]->prefix);
    fault = serve_provider((size_t)prov, conn, ctx, &req, &resp, &delay_ms);
  } else {
    sim_respondf(&resp, 404, "text/plain", "not found: %s (no provider prefix)\n", url);
  }

  log_line(method, url, resp.status, fault);
  if (fault == FAULT_CLOSE) {
    free(resp.body);
    response_headers_free(&resp);
    return MHD_NO; /* libmicrohttpd closes the connection without an answer */
  }
  if (delay_ms > 0) {
    ctx->delayed = resp;
    ctx->phase = PHASE_DELAYED;
    if (delay_answer(conn, ctx, delay_ms) == 0)
      return MHD_YES;
    memset(&ctx->delayed, 0, sizeof ctx->delayed);
    ctx->phase = PHASE_BODY;
  }
  return send_response(conn, &resp);
}

/* ----------------------------------------------------------------- startup */

struct options {
  unsigned port;
  const char *port_file;
  const char *bind;
  unsigned threads;
  const char *tls_cert, *tls_key; /* PEM files: serve https */
};

static void usage(FILE *out)
{
  fputs("usage: smsmux-sim [--port N] [--port-file FILE] [--bind ADDR]\n"
        "                  [--threads N] [--quiet] [--no-log]\n"
        "                  [--tls-cert FILE --tls-key FILE]\n"
        "Simulates the SMS provider APIs on loopback (see docs/simulator.md).\n"
        "  --port N         listen on N (0, the default, picks a free port)\n"
        "  --port-file FILE write the port there once listening\n"
        "  --bind ADDR      IPv4 address to listen on (default 127.0.0.1)\n"
        "  --threads N      polling threads (default 4)\n"
        "  --quiet          no log line per request on stderr\n"
        "  --no-log         keep no request log (/_sim/requests stays empty):\n"
        "                   for benchmarks, where it would grow per request\n"
        "  --tls-cert FILE  serve https with this PEM certificate (chain)\n"
        "  --tls-key FILE   and this PEM private key (both or neither)\n",
        out);
}

static int parse_number(const char *s, unsigned max, unsigned *out)
{
  long long v;
  if (sim_int_parse(s, &v) != 0 || v < 0 || v > (long long)max)
    return -1;
  *out = (unsigned)v;
  return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
  static const struct option longopts[] = {
    { "port", required_argument, NULL, 'p' },
    { "port-file", required_argument, NULL, 'f' },
    { "bind", required_argument, NULL, 'b' },
    { "threads", required_argument, NULL, 't' },
    { "quiet", no_argument, NULL, 'q' },
    { "no-log", no_argument, NULL, 'n' },
    { "tls-cert", required_argument, NULL, 'C' },
    { "tls-key", required_argument, NULL, 'K' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long(argc, argv, "p:f:b:t:qnhC:K:", longopts, NULL)) != -1) {
    switch (c) {
    case 'p':
      if (parse_number(optarg, 65535, &o->port) != 0) {
        fprintf(stderr, "smsmux-sim: --port wants 0..65535, not '%s'\n", optarg);
        return -1;
      }
      break;
    case 'f':
      o->port_file = optarg;
      break;
    case 'b':
      o->bind = optarg;
      break;
    case 't':
      if (parse_number(optarg, 256, &o->threads) != 0 || o->threads == 0) {
        fprintf(stderr, "smsmux-sim: --threads wants 1..256, not '%s'\n", optarg);
        return -1;
      }
      break;
    case 'q':
      quiet = 1;
      break;
    case 'n':
      no_log = 1;
      break;
    case 'C':
      o->tls_cert = optarg;
      break;
    case 'K':
      o->tls_key = optarg;
      break;
    case 'h':
      usage(stdout);
      exit(0);
    default:
      usage(stderr);
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "smsmux-sim: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return -1;
  }
  if (!o->tls_cert != !o->tls_key) {
    fprintf(stderr, "smsmux-sim: --tls-cert and --tls-key go together\n");
    return -1;
  }
  return 0;
}

/* Nothing: what MHD_OPTION_ARRAY gets in place of the TLS options. */
static struct MHD_OptionItem empty_options[] = { { MHD_OPTION_END, 0, NULL } };

/* A whole (small) file, NUL-terminated, or NULL with a message. */
static char *read_pem(const char *path)
{
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t n = 0;
  if (f) {
    buf = calloc(1, 1u << 20);
    n = buf ? fread(buf, 1, (1u << 20) - 1, f) : 0;
    fclose(f);
  }
  if (!buf || n == 0) {
    fprintf(stderr, "smsmux-sim: cannot read %s: %s\n", path,
            f ? "empty or too large" : strerror(errno));
    free(buf);
    return NULL;
  }
  return buf;
}

/* Readers poll for the file: write a temporary one and rename it, so they
   never see a partial port number. */
static int write_port_file(const char *path, unsigned port)
{
  char *tmp = sim_xasprintf("%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  int ok = f && fprintf(f, "%u\n", port) > 0;
  if (f && fclose(f) != 0)
    ok = 0;
  if (ok && rename(tmp, path) != 0)
    ok = 0;
  if (!ok) {
    fprintf(stderr, "smsmux-sim: cannot write port file %s: %s\n", path,
            strerror(errno));
    unlink(tmp);
  }
  free(tmp);
  return ok ? 0 : -1;
}

static void wait_unsuspended(void)
{
  struct timespec deadline;
  timespec_after_ms(&deadline, 5000);
  pthread_mutex_lock(&timer_lock);
  while (suspended > 0)
    if (pthread_cond_timedwait(&timer_cond, &timer_lock, &deadline) == ETIMEDOUT)
      break;
  pthread_mutex_unlock(&timer_lock);
}

int main(int argc, char **argv)
{
  struct options o = { 0, NULL, "127.0.0.1", 4, NULL, NULL };
  if (parse_options(argc, argv, &o) != 0)
    return 2;

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)o.port);
  if (inet_pton(AF_INET, o.bind, &addr.sin_addr) != 1) {
    fprintf(stderr, "smsmux-sim: --bind wants an IPv4 address, not '%s'\n", o.bind);
    return 2;
  }

  /* Threads inherit this mask: only main's sigwait() sees the signals. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);

  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&timer_cond, &ca);
  pthread_condattr_destroy(&ca);

  curl_global_init(CURL_GLOBAL_DEFAULT); /* pushes (sim_push.c) */
  for (size_t i = 0; i < N_PROVIDERS; i++)
    provider_state[i] = registry[i]->create();

  pthread_t timer;
  pthread_create(&timer, NULL, timer_main, NULL);

  int status = 0;
  char *cert = NULL, *key = NULL;
  unsigned tls_flag = 0;
  if (o.tls_cert) {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
      fprintf(stderr, "smsmux-sim: this libmicrohttpd has no TLS support\n");
      return 2;
    }
    cert = read_pem(o.tls_cert);
    key = cert ? read_pem(o.tls_key) : NULL;
    if (!key) {
      free(cert);
      return 2;
    }
    tls_flag = MHD_USE_TLS;
  }
  /* without TLS the two options below get NULL: libmicrohttpd ignores
     certificates unless MHD_USE_TLS is set */
  struct MHD_Daemon *d = MHD_start_daemon(
    MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME |
      MHD_USE_ERROR_LOG | tls_flag,
    (uint16_t)o.port, NULL, NULL, on_request, NULL,
    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
    tls_flag ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_ARRAY,
    tls_flag ? (void *)cert : (void *)empty_options,
    tls_flag ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_ARRAY,
    tls_flag ? (void *)key : (void *)empty_options,
    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)o.threads,
    MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT,
    MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "smsmux-sim: cannot listen on %s:%u: %s\n", o.bind, o.port,
            strerror(errno));
    status = 1;
  } else {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : o.port;
    if (!quiet)
      fprintf(stderr, "smsmux-sim: listening on %s://%s:%u/\n",
              tls_flag ? "https" : "http", o.bind, port);
    if (o.port_file && write_port_file(o.port_file, port) != 0) {
      status = 1;
    } else {
      int sig;
      sigwait(&sigs, &sig);
      if (!quiet)
        fprintf(stderr, "smsmux-sim: signal %d, stopping\n", sig);
    }
  }

  /* Resume every parked connection before the daemon stops (libmicrohttpd
     forbids stopping with suspended connections), then free it all. */
  pthread_mutex_lock(&timer_lock);
  shutting_down = 1;
  pthread_cond_broadcast(&timer_cond);
  pthread_mutex_unlock(&timer_lock);
  pthread_join(timer, NULL);
  if (d) {
    wait_unsuspended();
    MHD_stop_daemon(d);
  }
  free(cert);
  free(key);
  sim_push_shutdown();
  pthread_mutex_lock(&state_lock);
  log_clear(N_PROVIDERS);
  for (size_t i = 0; i < N_PROVIDERS; i++)
    registry[i]->destroy(provider_state[i]);
  pthread_mutex_unlock(&state_lock);
  pthread_cond_destroy(&timer_cond);
  curl_global_cleanup();
  return status;
}
