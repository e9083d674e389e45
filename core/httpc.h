/* httpc: a plain HTTP client over libcurl.  Pooled handles (keep-alive;
 * threads never share one), fixed options set once per handle, TLS
 * verification on, a User-Agent naming smsmux, form encoding, and a
 * classification of transport failures for the router.  It knows nothing
 * of provider instances, plugins or calls: host.c adapts it to the
 * provider ABI (base_url, tracing, redaction, error wording). */
#ifndef SMSMUX_HTTPC_H
#define SMSMUX_HTTPC_H

#include <curl/curl.h>
#include <smsmux/provider.h>

#include "util.h"

/** Refuse answers above this many bytes (an UNKNOWN_OUTCOME "too_large"). */
#define HTTPC_MAX_BODY (16u << 20)

typedef struct httpc_pool httpc_pool;

/** Reference-counted process set-up of libcurl (the first call runs
    curl_global_init; libcurl >= 7.84 counts its own users too, so a host
    application's own use is not disturbed).  0 or -1. */
int httpc_global_init(void);
void httpc_global_cleanup(void);

httpc_pool *httpc_pool_new(void); /* NULL on out of memory */
void httpc_pool_free(httpc_pool *p);
/** The CAs the pool's requests trust (a PEM file, a c_rehash directory;
    NULL: libcurl's default), for handles made from now on: call it before
    the first request. */
void httpc_pool_set_ca(httpc_pool *p, const char *ca_file,
                       const char *ca_path);

/** Append k=v&... (application/x-www-form-urlencoded: space as "+") to b;
    pairs with a NULL key are skipped.  -1 on out of memory. */
int httpc_encode_pairs(strbuf *b, const smsmux_kv *kv, size_t n);

/** Called for each response header line (name, value trimmed, not NUL-
    terminated); `name` NULL means "a new response starts" (after 100
    Continue or a redirect): forget the headers seen so far. */
typedef void (*httpc_header_fn)(void *ud, const char *name, size_t name_len,
                                const char *value, size_t value_len);

typedef struct httpc_request {
  smsmux_http_method method;
  const char *url;            /* complete, query included */
  smsmux_http_body body_kind; /* NONE, FORM (body pre-encoded), RAW,
                                 MULTIPART (parts) */
  const char *body;
  size_t body_len;
  const char *content_type;   /* RAW */
  const smsmux_http_part *parts;
  size_t n_parts;
  const char *const *headers; /* "Name: value" */
  size_t n_headers;
  smsmux_http_auth auth;
  const char *user, *password, *bearer;
  long timeout;               /* seconds, whole request */
  httpc_header_fn on_header;  /* may be NULL */
  void *header_ud;
} httpc_request;

/** Why a request got no answer. */
typedef struct httpc_failure {
  smsmux_error_class cls; /* TEMPORARY (nothing left) or UNKNOWN_OUTCOME */
  const char *code;       /* stable: connect, dns, tls, timeout, too_large,
                             connection, system */
  const char *what;       /* a person's wording of code */
  char detail[CURL_ERROR_SIZE]; /* libcurl's message */
} httpc_failure;

/** Perform `req`.  0 with *status and the body appended to `body`, or -1
    with *fail filled. */
int httpc_perform(httpc_pool *pool, const httpc_request *req, long *status,
                  strbuf *body, httpc_failure *fail);

/** "GET", "POST", ... */
const char *httpc_method_name(smsmux_http_method m);

#endif
