/* httpc: the one HTTP client of smsmux, over libcurl (see httpc.h).
 *
 * Query strings and form bodies are encoded with curl_easy_escape; a space
 * then becomes "+" as application/x-www-form-urlencoded wants (and as the
 * provider documents print it: message=Bonjour+Maman).  Reserved
 * characters such as "," are percent-encoded (%2C): providers decode both
 * forms alike.
 *
 * Handles are pooled and never reset: the options that never change (TLS
 * verification, protocols, User-Agent, callbacks) are set once when a
 * handle is made, and every request sets each of the variable ones
 * (method, body, auth, headers) explicitly, so nothing of one request
 * leaks into the next while the connection cache stays warm.
 *
 * Transport failures are classified for the router: nothing sent
 * (refused, DNS, TLS handshake) is TEMPORARY; a request that was sent but
 * got no complete answer (timeout, cut connection) is UNKNOWN_OUTCOME. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "httpc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct handle {
  CURL *curl;
  /* per request: where the callbacks write */
  strbuf *body;
  int too_big, oom;
  httpc_header_fn on_header;
  void *header_ud;
  char errbuf[CURL_ERROR_SIZE];
} handle;

struct httpc_pool {
  pthread_mutex_t lock;
  handle **free_handles;
  size_t n, cap;
  char *ca_file, *ca_path; /* CURLOPT_CAINFO / CAPATH, or NULL */
};

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static int global_refs;
/* "smsmux/VERSION (+CURLVERSION)": built once, at start-up, not per request
   (CURLOPT_USERAGENT copies it into the handle) */
static char user_agent[96];

int httpc_global_init(void) {
  int rc = 0;
  pthread_mutex_lock(&global_lock);
  if (global_refs == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    rc = -1;
  } else if (global_refs++ == 0) {
    snprintf(user_agent, sizeof user_agent, "smsmux/%s (+%s)",
             smsmux_version(), curl_version_info(CURLVERSION_NOW)->version);
  }
  pthread_mutex_unlock(&global_lock);
  return rc;
}

/* curl_global_cleanup is reference-counted by libcurl itself (>= 7.84, the
   version configure requires): our last user hands back our one reference
   and a host application's own curl_global_init stays in force. */
void httpc_global_cleanup(void) {
  pthread_mutex_lock(&global_lock);
  if (global_refs > 0 && --global_refs == 0)
    curl_global_cleanup();
  pthread_mutex_unlock(&global_lock);
}

/* ------------------------------------------------------------- pool -- */

httpc_pool *httpc_pool_new(void) {
  httpc_pool *p = calloc(1, sizeof *p);
  if (p)
    pthread_mutex_init(&p->lock, NULL);
  return p;
}

void httpc_pool_set_ca(httpc_pool *p, const char *ca_file,
                       const char *ca_path) {
  free(p->ca_file);
  free(p->ca_path);
  p->ca_file = ca_file ? strdup(ca_file) : NULL;
  p->ca_path = ca_path ? strdup(ca_path) : NULL;
}

static void handle_free(handle *h) {
  if (!h)
    return;
  curl_easy_cleanup(h->curl);
  free(h);
}

void httpc_pool_free(httpc_pool *p) {
  size_t i;
  if (!p)
    return;
  for (i = 0; i < p->n; i++)
    handle_free(p->free_handles[i]);
  free(p->free_handles);
  free(p->ca_file);
  free(p->ca_path);
  pthread_mutex_destroy(&p->lock);
  free(p);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud) {
  handle *h = ud;
  size_t n = size * nmemb;
  if (h->body->len + n > HTTPC_MAX_BODY) {
    h->too_big = 1;
    return 0;
  }
  if (sb_try_add(h->body, ptr, n)) {
    h->oom = 1;
    return 0;
  }
  return n;
}

static size_t trimmed(const char **s, size_t n) {
  while (n && (**s == ' ' || **s == '\t')) {
    (*s)++;
    n--;
  }
  while (n && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t' ||
               (*s)[n - 1] == '\r' || (*s)[n - 1] == '\n'))
    n--;
  return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud) {
  handle *h = ud;
  size_t n = size * nmemb;
  const char *colon, *name = ptr, *value;
  size_t nl, vl;
  if (!h->on_header)
    return n;
  if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
    h->on_header(h->header_ud, NULL, 0, NULL, 0);
    return n;
  }
  colon = memchr(ptr, ':', n);
  if (!colon)
    return n;
  nl = trimmed(&name, (size_t)(colon - ptr));
  value = colon + 1;
  vl = trimmed(&value, n - (size_t)(colon + 1 - ptr));
  h->on_header(h->header_ud, name, nl, value, vl);
  return n;
}

/* A new handle with the options that never change (for its pool: the
   trusted CAs are the pool's). */
static handle *handle_new(const httpc_pool *p) {
  handle *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  h->curl = curl_easy_init();
  if (!h->curl) {
    free(h);
    return NULL;
  }
  curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h->curl, CURLOPT_USERAGENT, user_agent);
  curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
  curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
  curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, h);
  /* set only when configured: otherwise libcurl's built-in bundle */
  if (p->ca_file)
    curl_easy_setopt(h->curl, CURLOPT_CAINFO, p->ca_file);
  if (p->ca_path)
    curl_easy_setopt(h->curl, CURLOPT_CAPATH, p->ca_path);
  return h;
}

static handle *pool_take(httpc_pool *p) {
  handle *h = NULL;
  pthread_mutex_lock(&p->lock);
  if (p->n)
    h = p->free_handles[--p->n];
  pthread_mutex_unlock(&p->lock);
  return h ? h : handle_new(p);
}

static void pool_give(httpc_pool *p, handle *h) {
  int kept = 0;
  pthread_mutex_lock(&p->lock);
  if (p->n < p->cap) {
    p->free_handles[p->n++] = h;
    kept = 1;
  } else {
    size_t cap = p->cap ? p->cap * 2 : 8;
    handle **v = realloc(p->free_handles, cap * sizeof *v);
    if (v) {
      p->free_handles = v;
      p->cap = cap;
      p->free_handles[p->n++] = h;
      kept = 1;
    }
  }
  pthread_mutex_unlock(&p->lock);
  if (!kept)
    handle_free(h);
}

/* --------------------------------------------------------- encoding -- */

static int add_escaped(strbuf *b, const char *s) {
  char *e = curl_easy_escape(NULL, s, (int)strlen(s));
  const char *p, *run;
  int rc = 0;
  if (!e)
    return -1;
  /* copy runs between "%20"s, each of those becoming "+" */
  for (run = p = e; *p && rc == 0; p++)
    if (p[0] == '%' && p[1] == '2' && p[2] == '0') {
      rc = sb_try_add(b, run, (size_t)(p - run)) || sb_try_add(b, "+", 1);
      p += 2;
      run = p + 1;
    }
  if (rc == 0)
    rc = sb_try_add(b, run, strlen(run));
  curl_free(e);
  return rc ? -1 : 0;
}

int httpc_encode_pairs(strbuf *b, const smsmux_kv *kv, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (!kv[i].key)
      continue;
    if ((b->len && sb_try_add(b, "&", 1)) || add_escaped(b, kv[i].key) ||
        sb_try_add(b, "=", 1) ||
        add_escaped(b, kv[i].value ? kv[i].value : ""))
      return -1;
  }
  return 0;
}

const char *httpc_method_name(smsmux_http_method m) {
  switch (m) {
  case SMSMUX_HTTP_POST: return "POST";
  case SMSMUX_HTTP_PUT: return "PUT";
  case SMSMUX_HTTP_DELETE: return "DELETE";
  case SMSMUX_HTTP_PATCH: return "PATCH";
  default: return "GET";
  }
}

/* ---------------------------------------------------------- failures -- */

/* Was anything of the request sent before the failure? */
static int request_sent(CURL *c) {
  long n = 0;
  return curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &n) == CURLE_OK && n > 0;
}

/* Transport failures get a stable code (not curl's wording, which changes
   between versions). */
static void classify(handle *h, CURLcode rc, httpc_failure *f) {
  f->cls = SMSMUX_ERR_TEMPORARY;
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
    f->what = "connection refused or unreachable";
    f->code = "connect";
    break;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    f->what = "host name not found";
    f->code = "dns";
    break;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
    f->what = "TLS handshake failed (certificate not trusted?)";
    f->code = "tls";
    break;
  case CURLE_OPERATION_TIMEDOUT:
    f->what = "timed out";
    f->code = "timeout";
    if (request_sent(h->curl))
      f->cls = SMSMUX_ERR_UNKNOWN_OUTCOME;
    break;
  case CURLE_WRITE_ERROR:
    f->what = h->oom ? "out of memory reading the answer" : "answer too large";
    f->code = h->oom ? "system" : "too_large";
    f->cls = SMSMUX_ERR_UNKNOWN_OUTCOME;
    break;
  default:
    f->what = "connection failed";
    f->code = "connection";
    if (request_sent(h->curl))
      f->cls = SMSMUX_ERR_UNKNOWN_OUTCOME;
    break;
  }
  snprintf(f->detail, sizeof f->detail, "%s",
           h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
}

static void set_failure(httpc_failure *f, const char *what) {
  f->cls = SMSMUX_ERR_SYSTEM;
  f->code = "system";
  f->what = what;
  snprintf(f->detail, sizeof f->detail, "%s", what);
}

/* ----------------------------------------------------------- request -- */

/* The options a request may change, each set every time (see the top). */
static void set_method_and_body(CURL *c, const httpc_request *req,
                                curl_mime **mime) {
  size_t i;
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
  curl_easy_setopt(c, CURLOPT_MIMEPOST, NULL);
  switch (req->body_kind) {
  case SMSMUX_BODY_FORM:
  case SMSMUX_BODY_RAW:
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    break;
  case SMSMUX_BODY_MULTIPART:
    *mime = curl_mime_init(c);
    for (i = 0; req->parts && i < req->n_parts; i++) {
      curl_mimepart *part = curl_mime_addpart(*mime);
      const smsmux_http_part *p = &req->parts[i];
      curl_mime_name(part, p->name);
      curl_mime_data(part, p->data ? p->data : "", p->data ? p->len : 0);
      if (p->filename)
        curl_mime_filename(part, p->filename);
      if (p->content_type)
        curl_mime_type(part, p->content_type);
    }
    curl_easy_setopt(c, CURLOPT_MIMEPOST, *mime);
    break;
  default:
    break;
  }
  switch (req->method) {
  case SMSMUX_HTTP_GET:
    if (req->body_kind == SMSMUX_BODY_NONE)
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    else
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "GET");
    break;
  case SMSMUX_HTTP_POST:
    if (req->body_kind == SMSMUX_BODY_NONE) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    }
    break;
  default:
    if (req->body_kind == SMSMUX_BODY_NONE)
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, httpc_method_name(req->method));
    break;
  }
}

static int set_auth_and_headers(CURL *c, const httpc_request *req,
                                struct curl_slist **hdrs) {
  size_t i;
  char ct[256];
  struct curl_slist *l = curl_slist_append(NULL, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
  curl_easy_setopt(c, CURLOPT_USERNAME, NULL);
  curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
  if (!l)
    return -1;
  *hdrs = l;
  if (req->body_kind == SMSMUX_BODY_RAW) {
    snprintf(ct, sizeof ct, "Content-Type: %s",
             req->content_type ? req->content_type
                               : "application/octet-stream");
    if (!(l = curl_slist_append(*hdrs, ct)))
      return -1;
  }
  if (req->auth == SMSMUX_AUTH_BASIC) {
    curl_easy_setopt(c, CURLOPT_USERNAME, req->user ? req->user : "");
    curl_easy_setopt(c, CURLOPT_PASSWORD, req->password ? req->password : "");
  } else if (req->auth == SMSMUX_AUTH_BEARER) {
    strbuf b = {0};
    int bad = sb_try_add(&b, "Authorization: Bearer ", 22) ||
              sb_try_add(&b, req->bearer ? req->bearer : "",
                         req->bearer ? strlen(req->bearer) : 0);
    l = bad ? NULL : curl_slist_append(*hdrs, b.s);
    if (b.s)
      explicit_bzero(b.s, b.len);
    sb_free(&b);
    if (!l)
      return -1;
  }
  for (i = 0; req->headers && i < req->n_headers; i++)
    if (!(l = curl_slist_append(*hdrs, req->headers[i])))
      return -1;
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
  return 0;
}

int httpc_perform(httpc_pool *pool, const httpc_request *req, long *status,
                  strbuf *body, httpc_failure *fail) {
  handle *h = pool_take(pool);
  struct curl_slist *hdrs = NULL;
  curl_mime *mime = NULL;
  CURLcode rc;
  int result = -1;

  memset(fail, 0, sizeof *fail);
  *status = 0;
  if (!h) {
    set_failure(fail, "cannot create an HTTP handle (out of memory?)");
    return -1;
  }
  h->body = body;
  h->too_big = h->oom = 0;
  h->on_header = req->on_header;
  h->header_ud = req->header_ud;
  h->errbuf[0] = '\0';
  curl_easy_setopt(h->curl, CURLOPT_URL, req->url);
  curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, req->timeout);
  curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT,
                   req->timeout < 10 ? req->timeout : 10L);
  set_method_and_body(h->curl, req, &mime);
  if (set_auth_and_headers(h->curl, req, &hdrs)) {
    set_failure(fail, "out of memory building the request");
    goto out;
  }
  rc = curl_easy_perform(h->curl);
  if (rc != CURLE_OK) {
    classify(h, rc, fail);
    goto out;
  }
  curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
  result = 0;
out:
  /* nothing of this request may outlive it in the pooled handle */
  curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(h->curl, CURLOPT_MIMEPOST, NULL);
  curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
  curl_easy_setopt(h->curl, CURLOPT_USERNAME, NULL);
  curl_easy_setopt(h->curl, CURLOPT_PASSWORD, NULL);
  curl_slist_free_all(hdrs);
  if (mime)
    curl_mime_free(mime);
  h->body = NULL;
  h->on_header = NULL;
  pool_give(pool, h);
  return result;
}
