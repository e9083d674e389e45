/* daemon.h: smsmuxd's own modules, over <smsmux/smsmux.h> only.
 *
 *   smsmuxd.c  main, options, signals, the handle's life (reload, drain)
 *   server.c   libmicrohttpd: listeners, TLS, limits, request bodies
 *   api.c      routes and handlers of /v1/... and the health endpoints
 *   json_in.c  request bodies (JSON) -> smsmux_send_request, pure
 *   kannel.c   /cgi-bin/sendsms, Kannel's parameters and answers
 *   hooks.c    /hooks/PROVIDER/TOKEN/dlr|mo: what providers push
 *   metrics.c  counters and the Prometheus text of /metrics
 *   tenants.c  /v1/admin/tenants... (admin key), /v1/account (tenant key)
 */
#ifndef SMSMUXD_DAEMON_H
#define SMSMUXD_DAEMON_H

#include <smsmux/smsmux.h>

#include <stddef.h>

/* ------------------------------------------------------------ logging -- */

/** Log a line at `level` to stderr (journald: with its priority prefix).
    Never pass a secret or a query string. */
void dlog(smsmux_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** The smsmux_log_fn handed to smsmux_open: library lines, same sink. */
void dlog_library(void *userdata, smsmux_log_level level, const char *line);
extern smsmux_log_level dlog_level;

/* ------------------------------------------------------------ json_in -- */

/** Limits of one request, beyond the body size (docs/API.md). */
#define JSON_IN_MAX_DEPTH 8        /* nesting of a body */
#define JSON_IN_MAX_TO 1000        /* recipients of one message */
#define JSON_IN_MAX_OPTIONS 32     /* provider options of one message */
#define JSON_IN_MAX_BATCH 10000    /* messages of one batch */
#define JSON_IN_MAX_STRING 65536   /* bytes of one string value */

/** One message of a request, parsed and checked for shape (types, known
    fields, UTF-8, sizes); the content rules (numbers, text, sender) are
    smsmux_submit's.  `req` points into storage the message owns. */
typedef struct json_in_message {
  smsmux_send_request req;
  const char *callback_url; /**< or NULL */
  void *priv;               /**< owned storage */
} json_in_message;

/** Parse a POST /v1/messages body (`len` bytes, not NUL-terminated).
    `idempotency_key` (the header, or NULL) is the ref; with a "ref" field
    too, both must be equal.  0, or -1 with err (class INPUT, code saying
    what: "bad-json", "bad-utf8", "not-an-object", "unknown-field",
    "wrong-type", "missing-field", "bad-value", "too-many", "ref-mismatch")
    naming the field. */
int json_in_message_parse(const char *body, size_t len,
                          const char *idempotency_key, json_in_message *out,
                          smsmux_error *err);
void json_in_message_free(json_in_message *m);

/** Parse a POST /v1/batches JSON body: an array of message objects.
    Calls `each` for every element with its 1-based position and either a
    parsed message (err NULL) or the error that refuses it.  -1 with err
    when the body itself is not an array of at most JSON_IN_MAX_BATCH
    items (nothing is then called). */
typedef void (*json_in_batch_fn)(void *userdata, size_t line,
                                 json_in_message *msg,
                                 const smsmux_error *err);
int json_in_batch_parse(const char *body, size_t len, json_in_batch_fn each,
                        void *userdata, smsmux_error *err);

/** RFC 3339 ("2026-12-24T18:00:00+01:00", "...Z") or smsmux's local
    "YYYY-MM-DD HH:MM[:SS]" -> the local "YYYY-MM-DD HH:MM:SS" of
    smsmux_send_request.at.  0, or -1 (not a time). */
int json_in_time(const char *in, char *out, size_t outlen);

/* ------------------------------------------------------ the handle ---- */

/** The open handle, held for reading (a reload waits until released). */
smsmux *daemon_sm_acquire(void);
void daemon_sm_release(void);

/* ------------------------------------------------------------ server --- */

struct MHD_Connection;

/** One request as the handlers see it: the whole body is read. */
typedef struct http_req {
  struct MHD_Connection *con;
  const char *method;
  const char *url;    /**< path only: the query string is never logged */
  char *body;         /**< NUL-terminated copy, or NULL when empty */
  size_t len;
  size_t cap;
  int too_large;      /**< the body passed max_body: answered 413 */
  double started;     /**< monotonic seconds */
} http_req;

/** An answer; body malloc'd (the server frees it). */
typedef struct http_answer {
  unsigned status;
  const char *type;        /**< Content-Type; NULL: application/json */
  char *body;
  const char *allow;       /**< Allow header of a 405, or NULL */
  unsigned retry_after;    /**< Retry-After seconds, 0: none */
} http_answer;

/** The limits and listeners of [server]. */
typedef struct server_conf {
  const char *listen, *tls_cert, *tls_key;
  unsigned max_connections, per_ip_connections, request_timeout;
  size_t max_body;
} server_conf;

typedef struct server server;
/** Listen on every address of conf->listen; NULL with a message in
    errbuf.  `port` gets the first listener's port (useful with :0). */
server *server_start(const server_conf *conf, unsigned *port, char *errbuf,
                     size_t errlen);
/** Stop accepting connections (drain); requests in progress finish. */
void server_quiesce(server *s);
/** Close every connection and free. */
void server_stop(server *s);

/* ------------------------------------------------------------ api ------ */

/** Route and answer one complete request. */
void api_handle(http_req *r, http_answer *a);
/** {"error":{"class","code","message"}} into a. */
void api_error(http_answer *a, unsigned status, smsmux_error_class cls,
               const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/** The value of query argument or header `name` of r (NULL: none). */
const char *api_arg(const http_req *r, const char *name);
const char *api_header(const http_req *r, const char *name);
/** The tenant a key belongs to, malloc'd: "" for the admin key (compared
    in constant time), the tenant of a live key of an enabled tenant
    (looked up by its SHA-256), NULL for any other key or none
    (*unavailable, may be NULL, set to 1 when the store could not say). */
char *api_tenant_of_key(smsmux *sm, const char *given, int *unavailable);
/** The HTTP status of a library error (400, 402, 403, 404, 409, 422, 429,
    503). */
unsigned api_status_of(const smsmux_error *err);
/** The library error `e` as the answer: its status, the error document,
    Retry-After for a tenant over its rate. */
void api_lib_error(http_answer *a, const smsmux_error *e);

/* ------------------------------------------------------------ tenants -- */

/** /v1/admin/tenants..., /v1/admin/usage, /v1/admin/ledger/check (the
    admin key: `tenant` ""), /v1/account... (a tenant's key).  1 when the
    path is one of them (answered), else 0. */
int tenants_handle(smsmux *sm, const char *tenant, http_req *r,
                   http_answer *a);
/** The webhook target of a message: `given`, else for the operator
    (tenant "") [server] callback_url, else NULL. */
const char *api_callback_url(smsmux *sm, const char *tenant,
                             const char *given);
/** Free batches kept for GET /v1/batches/{id}. */
void api_cleanup(void);

/** GET|POST /cgi-bin/sendsms. */
void kannel_handle(http_req *r, http_answer *a);

/* ------------------------------------------------------------ hooks ---- */

/** GET|POST /hooks/PROVIDER/TOKEN/dlr|mo, handed to smsmux_hook. */
void hook_handle(smsmux *sm, http_req *r, http_answer *a);
/** Split a hook path: 0 with the instance name copied to `provider`,
    *token pointing into url (*tlen bytes) and *reply (0 dlr, 1 mo); -1
    when url is not /hooks/NAME/TOKEN/dlr|mo. */
int hook_path(const char *url, char *provider, size_t plen, const char **token,
              size_t *tlen, int *reply);
/** `url` as a log line may show it: a /hooks/ path with its token
    segment written "-" (the token is a secret); any other path as is. */
void hook_redact(const char *url, char *out, size_t len);

/* ------------------------------------------------------------ metrics -- */

/** Count one answered request (status code). Thread-safe. */
void metrics_count_http(unsigned status);
/** Count one submitted message (accepted 1: queued; 0: refused). */
void metrics_count_submit(int accepted);
/** The Prometheus text of /metrics, malloc'd. */
char *metrics_text(smsmux *sm);

#endif
