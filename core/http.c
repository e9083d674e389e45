/* http: the one HTTP client of smsmux (libcurl).
 *
 * Handles are pooled per provider instance, so consecutive requests reuse
 * the connection (keep-alive) and threads never share a handle.  Query
 * strings and form bodies are encoded with curl_easy_escape; a space then
 * becomes "+" as application/x-www-form-urlencoded wants (and as the
 * provider documents print it: message=Bonjour+Maman).  Reserved characters
 * such as "," are percent-encoded (%2C): providers decode both forms alike.
 *
 * Transport failures are classified for the router: nothing sent
 * (refused, DNS, TLS handshake) is TEMPORARY; a request that was sent but
 * got no complete answer (timeout, cut connection) is UNKNOWN_OUTCOME. */
#include "http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "charset.h"

#define HTTP_MAX_BODY (16u << 20) /* refuse answers above 16 MiB */
#define TRACE_MAX 2000            /* bytes of a body shown by --verbose */

struct http_pool {
  pthread_mutex_t lock;
  CURL **free_handles;
  size_t n, cap;
};

http_pool *http_pool_new(void) {
  http_pool *p = xcalloc(1, sizeof *p);
  pthread_mutex_init(&p->lock, NULL);
  return p;
}

void http_pool_free(http_pool *p) {
  size_t i;
  if (!p)
    return;
  for (i = 0; i < p->n; i++)
    curl_easy_cleanup(p->free_handles[i]);
  free(p->free_handles);
  pthread_mutex_destroy(&p->lock);
  free(p);
}

static CURL *pool_take(http_pool *p) {
  CURL *h = NULL;
  pthread_mutex_lock(&p->lock);
  if (p->n)
    h = p->free_handles[--p->n];
  pthread_mutex_unlock(&p->lock);
  if (h)
    curl_easy_reset(h); /* keeps the connection cache */
  else
    h = curl_easy_init();
  return h;
}

static void pool_give(http_pool *p, CURL *h) {
  pthread_mutex_lock(&p->lock);
  *VEC_PUSH(p->free_handles, p->n, p->cap) = h;
  pthread_mutex_unlock(&p->lock);
}

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static int global_refs;
/* "smsmux/VERSION (+CURLVERSION)": built once, at start-up, not per request
   (CURLOPT_USERAGENT copies it into the handle) */
static char user_agent[96];

int http_global_init(void) {
  int rc = 0;
  pthread_mutex_lock(&global_lock);
  if (global_refs == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    rc = -1;
  } else {
    if (global_refs++ == 0)
      snprintf(user_agent, sizeof user_agent, "smsmux/%s (+%s)",
               smsmux_version(), curl_version_info(CURLVERSION_NOW)->version);
  }
  pthread_mutex_unlock(&global_lock);
  return rc;
}

void http_global_cleanup(void) {
  pthread_mutex_lock(&global_lock);
  if (global_refs > 0 && --global_refs == 0)
    curl_global_cleanup();
  pthread_mutex_unlock(&global_lock);
}

/* ---------------------------------------------------------- encoding -- */

static void add_escaped(strbuf *b, CURL *h, const char *s) {
  char *e = curl_easy_escape(h, s, (int)strlen(s));
  const char *p;
  if (!e)
    return;
  for (p = e; *p; p++) {
    if (p[0] == '%' && p[1] == '2' && p[2] == '0') {
      sb_add(b, "+", 1);
      p += 2;
    } else {
      sb_add(b, p, 1);
    }
  }
  curl_free(e);
}

static void encode_pairs(strbuf *b, CURL *h, const smsmux_kv *kv, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (!kv[i].key)
      continue;
    if (b->len)
      sb_add(b, "&", 1);
    add_escaped(b, h, kv[i].key);
    sb_add(b, "=", 1);
    add_escaped(b, h, kv[i].value ? kv[i].value : "");
  }
}

/* ---------------------------------------------------------- redaction -- */

/* Parameter names whose values never appear in a trace, whatever the
   plugin says. */
static const char *const always_secret[] = {
    "accesstoken", "access_token", "password", "pwd", "passcode", "token",
    "api_key", "apikey", "secret", "pass", "newpass", NULL};

static void replace_all(char **text, const char *needle, const char *with) {
  strbuf b = {0};
  const char *p = *text, *q;
  size_t nl = strlen(needle);
  if (nl == 0 || !strstr(p, needle))
    return;
  while ((q = strstr(p, needle))) {
    sb_add(&b, p, (size_t)(q - p));
    sb_adds(&b, with);
    p = q + nl;
  }
  sb_adds(&b, p);
  free(*text);
  *text = sb_steal(&b);
}

static int is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* name=VALUE in a query/form, "name":"VALUE" in JSON -> name=*** */
static void redact_param(char **text, const char *name) {
  strbuf b = {0};
  const char *p = *text;
  size_t nl = strlen(name);
  int changed = 0;
  while (*p) {
    const char *after = p + nl;
    if (strncasecmp(p, name, nl) == 0 &&
        (p == *text || !is_name_char(p[-1])) && !is_name_char(*after)) {
      const char *v = NULL, *end;
      if (*after == '=') {
        v = after + 1;
        end = v + strcspn(v, "& \r\n");
      } else if (*after == '"') {
        const char *c = after + 1;
        while (*c == ' ')
          c++;
        if (*c == ':') {
          c++;
          while (*c == ' ')
            c++;
          if (*c == '"') {
            v = c + 1;
            end = strchr(v, '"');
            if (!end)
              end = v + strlen(v);
          }
        }
      }
      if (v && end > v) {
        sb_add(&b, p, (size_t)(v - p));
        sb_adds(&b, "***");
        p = end;
        changed = 1;
        continue;
      }
    }
    sb_add(&b, p, 1);
    p++;
  }
  if (changed) {
    free(*text);
    *text = sb_steal(&b);
  } else {
    sb_free(&b);
  }
}

char *http_redact(const instance *inst, const char *text,
                  const char *const *secret_params) {
  char *out = xstrdup(text ? text : "");
  size_t i;
  if (inst && inst->secrets)
    for (i = 0; inst->secrets[i]; i++) {
      const char *s = inst->secrets[i];
      char *esc;
      if (strlen(s) < 3)
        continue; /* too short to redact without mangling the text */
      replace_all(&out, s, "***");
      esc = curl_easy_escape(NULL, s, (int)strlen(s));
      if (esc) {
        replace_all(&out, esc, "***");
        curl_free(esc);
      }
    }
  for (i = 0; always_secret[i]; i++)
    redact_param(&out, always_secret[i]);
  if (secret_params)
    for (i = 0; secret_params[i]; i++)
      redact_param(&out, secret_params[i]);
  return out;
}

/* --------------------------------------------------------------- trace -- */

static void trace_body(smsmux_call *call, const char *dir, const char *body,
                       size_t len, const char *const *secret_params) {
  char *shown, *safe;
  size_t n = len > TRACE_MAX ? TRACE_MAX : len, i;
  if (!body || len == 0)
    return;
  if (charset_is_utf8(body, n)) {
    shown = xstrndup(body, n);
    for (i = 0; i < n; i++)
      if (shown[i] == '\0')
        shown[i] = '.';
  } else {
    /* not UTF-8 (e.g. an ISO-8859-15 answer): show those bytes as \xNN so
       the trace stays readable on any terminal */
    strbuf b = {0};
    for (i = 0; i < n; i++) {
      unsigned char ch = (unsigned char)body[i];
      if (ch >= 0x80 || ch == 0)
        sb_addf(&b, "\\x%02X", ch);
      else
        sb_add(&b, &body[i], 1);
    }
    shown = sb_steal(&b);
  }
  safe = http_redact(call->inst, shown, secret_params);
  sm_log(call->inst->sm, SMSMUX_LOG_DEBUG, "%s: %s %s%s", call->inst->cfg->name,
         dir, safe, len > n ? " [...]" : "");
  free(safe);
  free(shown);
}

/* ------------------------------------------------------------ request -- */

typedef struct sink {
  strbuf body;
  int too_big;
  smsmux_call *call;
} sink;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud) {
  sink *s = ud;
  size_t n = size * nmemb;
  if (s->body.len + n > HTTP_MAX_BODY) {
    s->too_big = 1;
    return 0;
  }
  sb_add(&s->body, ptr, n);
  return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud) {
  sink *s = ud;
  smsmux_call *c = s->call;
  size_t n = size * nmemb;
  char *line = arena_strndup(&c->mem, ptr, n), *colon;
  if (strncmp(line, "HTTP/", 5) == 0) {
    c->n_headers = 0; /* a new response (after 100-continue, redirects) */
    return n;
  }
  colon = strchr(line, ':');
  if (colon) {
    call_header *h = VEC_PUSH(c->headers, c->n_headers, c->cap_headers);
    *colon = '\0';
    h->name = str_trim(line);
    h->value = str_trim(colon + 1);
  }
  return n;
}

static const char *method_name(smsmux_http_method m) {
  switch (m) {
  case SMSMUX_HTTP_POST: return "POST";
  case SMSMUX_HTTP_PUT: return "PUT";
  case SMSMUX_HTTP_DELETE: return "DELETE";
  case SMSMUX_HTTP_PATCH: return "PATCH";
  default: return "GET";
  }
}

/* Was anything of the request sent before the failure? */
static int request_sent(CURL *h) {
  long n = 0;
  return curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &n) == CURLE_OK && n > 0;
}

/* Transport failures get a stable code (not curl's wording, which changes
   between versions): connect, dns, tls, timeout, too_large, connection. */
static int transport_failure(smsmux_call *call, CURL *h, CURLcode rc,
                             const char *url_safe, const char *curl_msg,
                             int accepts_nothing) {
  smsmux_error_class cls = SMSMUX_ERR_TEMPORARY;
  const char *what, *code;
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
    what = "connection refused or unreachable";
    code = "connect";
    break;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    what = "host name not found";
    code = "dns";
    break;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
    what = "TLS handshake failed (certificate not trusted?)";
    code = "tls";
    break;
  case CURLE_OPERATION_TIMEDOUT:
    what = "timed out";
    code = "timeout";
    if (request_sent(h))
      cls = SMSMUX_ERR_UNKNOWN_OUTCOME;
    break;
  case CURLE_WRITE_ERROR:
    what = "answer too large";
    code = "too_large";
    cls = SMSMUX_ERR_UNKNOWN_OUTCOME;
    break;
  default:
    what = "connection failed";
    code = "connection";
    if (request_sent(h))
      cls = SMSMUX_ERR_UNKNOWN_OUTCOME;
    break;
  }
  if (accepts_nothing)
    cls = SMSMUX_ERR_TEMPORARY;
  if (cls == SMSMUX_ERR_UNKNOWN_OUTCOME && call->kind == CALL_SEND)
    return host_table.fail(call, cls, code,
                           "%s after the request was sent (%s): the "
                           "provider may have accepted it; check with "
                           "`smsmux status` before sending again",
                           what, curl_msg[0] ? curl_msg : url_safe);
  return host_table.fail(call, cls, code, "%s: %s (%s)", url_safe, what,
                         curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
}

int http_request(smsmux_call *call, const smsmux_http_request *req,
                 smsmux_http_response *resp) {
  instance *inst = call->inst;
  CURL *h;
  strbuf url = {0}, query = {0}, form = {0};
  struct curl_slist *hdrs = NULL;
  curl_mime *mime = NULL;
  sink s;
  CURLcode rc;
  char errbuf[CURL_ERROR_SIZE] = "";
  char *url_safe = NULL, *auth_hdr = NULL;
  const char *const *secret_params = NULL;
  long status = 0;
  int result = -1;
  size_t i;

  if (!req || !resp || req->size < offsetof(smsmux_http_request, bearer))
    return host_table.fail(call, SMSMUX_ERR_SYSTEM, NULL,
                           "plugin passed a malformed HTTP request");
  if (SMSMUX_HAS_MEMBER(req, smsmux_http_request, secret_params))
    secret_params = req->secret_params;

  h = pool_take(inst->http);
  if (!h)
    return host_table.fail(call, SMSMUX_ERR_SYSTEM, NULL,
                           "cannot create an HTTP handle");
  memset(&s, 0, sizeof s);
  s.call = call;
  call->n_headers = 0;

  /* URL: base_url + path, or an absolute URL; then the query string. */
  if (req->path && (str_starts(req->path, "http://") ||
                    str_starts(req->path, "https://")))
    sb_adds(&url, req->path);
  else {
    sb_adds(&url, inst->base_url ? inst->base_url : "");
    if (req->path)
      sb_adds(&url, req->path);
  }
  encode_pairs(&query, h, req->query, req->query ? req->n_query : 0);
  if (query.len) {
    sb_adds(&url, strchr(url.s, '?') ? "&" : "?");
    sb_adds(&url, query.s);
  }

  curl_easy_setopt(h, CURLOPT_URL, url.s);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, inst->cfg->timeout);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
                   inst->cfg->timeout < 10 ? inst->cfg->timeout : 10L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
  hdrs = curl_slist_append(hdrs, "Expect:");

  switch (req->body_kind) {
  case SMSMUX_BODY_FORM:
    encode_pairs(&form, h, req->form, req->form ? req->n_form : 0);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)form.len);
    curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, form.s ? form.s : "");
    break;
  case SMSMUX_BODY_MULTIPART:
    mime = curl_mime_init(h);
    for (i = 0; req->parts && i < req->n_parts; i++) {
      curl_mimepart *part = curl_mime_addpart(mime);
      const smsmux_http_part *p = &req->parts[i];
      curl_mime_name(part, p->name);
      curl_mime_data(part, p->data ? p->data : "", p->data ? p->len : 0);
      if (p->filename)
        curl_mime_filename(part, p->filename);
      if (p->content_type)
        curl_mime_type(part, p->content_type);
    }
    curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
    break;
  case SMSMUX_BODY_RAW: {
    char *ct = xasprintf("Content-Type: %s",
                         req->content_type ? req->content_type
                                           : "application/octet-stream");
    hdrs = curl_slist_append(hdrs, ct);
    free(ct);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    break;
  }
  default:
    break;
  }
  switch (req->method) {
  case SMSMUX_HTTP_GET:
    if (req->body_kind == SMSMUX_BODY_NONE)
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    else
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "GET");
    break;
  case SMSMUX_HTTP_POST:
    if (req->body_kind == SMSMUX_BODY_NONE) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    }
    break;
  default:
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_name(req->method));
    break;
  }
  if (req->auth == SMSMUX_AUTH_BASIC) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, req->user ? req->user : "");
    curl_easy_setopt(h, CURLOPT_PASSWORD, req->password ? req->password : "");
  } else if (req->auth == SMSMUX_AUTH_BEARER) {
    auth_hdr = xasprintf("Authorization: Bearer %s",
                         req->bearer ? req->bearer : "");
    hdrs = curl_slist_append(hdrs, auth_hdr);
  }
  for (i = 0; req->headers && i < req->n_headers; i++)
    hdrs = curl_slist_append(hdrs, req->headers[i]);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

  /* The redacted URL is for the trace and for a transport failure's
     message only: not built on the success path without --verbose. */
  if (inst->sm->opts.verbose) {
    url_safe = http_redact(inst, url.s, secret_params);
    sm_log(inst->sm, SMSMUX_LOG_DEBUG, "%s: > %s %s", inst->cfg->name,
           method_name(req->method), url_safe);
    if (req->auth != SMSMUX_AUTH_NONE)
      sm_log(inst->sm, SMSMUX_LOG_DEBUG, "%s: > Authorization: %s ***",
             inst->cfg->name,
             req->auth == SMSMUX_AUTH_BASIC ? "Basic" : "Bearer");
    if (req->body_kind == SMSMUX_BODY_FORM)
      trace_body(call, ">", form.s, form.len, secret_params);
    else if (req->body_kind == SMSMUX_BODY_RAW)
      trace_body(call, ">", req->body, req->body_len, secret_params);
    else if (req->body_kind == SMSMUX_BODY_MULTIPART)
      sm_log(inst->sm, SMSMUX_LOG_DEBUG, "%s: > multipart body, %zu part(s)",
             inst->cfg->name, req->n_parts);
  }

  rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    if (inst->sm->opts.verbose)
      sm_log(inst->sm, SMSMUX_LOG_DEBUG, "%s: < no answer: %s",
             inst->cfg->name, curl_easy_strerror(rc));
    if (!url_safe)
      url_safe = http_redact(inst, url.s, secret_params);
    transport_failure(call, h, rc, url_safe, errbuf,
                      SMSMUX_HAS_MEMBER(req, smsmux_http_request,
                                        accepts_nothing) &&
                          req->accepts_nothing);
    goto out;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  resp->status = status;
  resp->body_len = s.body.len;
  resp->body = arena_strndup(&call->mem, s.body.s ? s.body.s : "",
                             s.body.len);
  if (SMSMUX_HAS_MEMBER(resp, smsmux_http_response, content_type)) {
    const char *ct = NULL;
    for (i = call->n_headers; i > 0; i--)
      if (str_ieq(call->headers[i - 1].name, "content-type")) {
        ct = call->headers[i - 1].value;
        break;
      }
    resp->content_type = ct;
  }
  if (inst->sm->opts.verbose) {
    sm_log(inst->sm, SMSMUX_LOG_DEBUG, "%s: < HTTP %ld, %zu bytes",
           inst->cfg->name, status, s.body.len);
    trace_body(call, "<", s.body.s, s.body.len, secret_params);
  }
  result = 0;
out:
  free(url_safe);
  free(auth_hdr);
  curl_slist_free_all(hdrs);
  if (mime)
    curl_mime_free(mime);
  sb_free(&s.body);
  sb_free(&url);
  sb_free(&query);
  sb_free(&form);
  pool_give(inst->http, h);
  return result;
}
