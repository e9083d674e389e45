/* host_http: smsmux_host.http, the provider ABI's HTTP service over httpc.
 * Builds the URL from the instance's base_url (or an absolute path), encodes
 * query and form, keeps the response headers for http_header, writes the
 * --verbose trace with every secret redacted, and words transport failures
 * for the plugin's operation (a send that may have gone out says so).
 * Out of memory marks the call (call_oom): nothing is sent after it, and a
 * trace line that cannot be redacted is not written. */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "redact.h"

#define TRACE_MAX 2000 /* bytes of a body shown by --verbose */

/* --------------------------------------------------------------- trace -- */

/* Bytes shown readably: valid UTF-8 as is (NULs as '.'), anything else
   (e.g. an ISO-8859-15 answer) with bytes >= 0x80 as \xNN. */
static char *printable(const char *body, size_t n) {
  strbuf b = {0};
  size_t i;
  int utf8 = charset_is_utf8(body, n);
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)body[i];
    if (ch == 0)
      sb_add(&b, utf8 ? "." : "\\x00", utf8 ? 1 : 4);
    else if (!utf8 && ch >= 0x80)
      sb_addf(&b, "\\x%02X", ch);
    else
      sb_add(&b, &body[i], 1);
  }
  return sb_steal(&b);
}

static int is_form_type(const char *content_type) {
  return content_type &&
         strncasecmp(content_type, "application/x-www-form-urlencoded", 33) ==
             0;
}

/* The whole body is redacted (through its structure: JSON, form), then
   cut for the trace: a cut first could leave part of a secret that no
   longer matches. */
static void trace_body(smsmux_call *call, const char *dir, const char *body,
                       size_t len, int is_form,
                       const char *const *secret_params) {
  instance *inst = call->inst;
  size_t n;
  char *shown, *safe;
  if (!body || len == 0)
    return;
  shown = printable(body, len);
  safe = shown ? redact_body((const char *const *)inst->secrets, shown,
                             is_form, secret_params)
               : NULL;
  if (!safe) {
    log_write(inst->env->log, SMSMUX_LOG_DEBUG,
              "%s: %s (body not shown: out of memory)", inst->cfg->name, dir);
    if (shown)
      explicit_bzero(shown, strlen(shown));
    free(shown);
    return;
  }
  n = strlen(safe);
  if (n > TRACE_MAX) {
    n = TRACE_MAX;
    while (n > 0 && ((unsigned char)safe[n] & 0xC0) == 0x80)
      n--; /* not inside a character */
  }
  log_write(inst->env->log, SMSMUX_LOG_DEBUG, "%s: %s %.*s%s",
            inst->cfg->name, dir, (int)n, safe,
            safe[n] ? " [...]" : "");
  explicit_bzero(shown, strlen(shown));
  free(safe);
  free(shown);
}

static void trace_request(smsmux_call *call, const smsmux_http_request *req,
                          const char *url_safe, const strbuf *form,
                          const char *const *secret_params) {
  instance *inst = call->inst;
  log_write(inst->env->log, SMSMUX_LOG_DEBUG, "%s: > %s %s", inst->cfg->name,
            httpc_method_name(req->method), url_safe);
  if (req->auth != SMSMUX_AUTH_NONE)
    log_write(inst->env->log, SMSMUX_LOG_DEBUG, "%s: > Authorization: %s ***",
              inst->cfg->name,
              req->auth == SMSMUX_AUTH_BASIC ? "Basic" : "Bearer");
  if (req->body_kind == SMSMUX_BODY_FORM)
    trace_body(call, ">", form->s, form->len, 1, secret_params);
  else if (req->body_kind == SMSMUX_BODY_RAW)
    trace_body(call, ">", req->body, req->body_len,
               is_form_type(req->content_type), secret_params);
  else if (req->body_kind == SMSMUX_BODY_MULTIPART)
    log_write(inst->env->log, SMSMUX_LOG_DEBUG,
              "%s: > multipart body, %zu part(s)", inst->cfg->name,
              req->n_parts);
}

/* ------------------------------------------------------------ headers -- */

static void on_header(void *ud, const char *name, size_t nl,
                      const char *value, size_t vl) {
  smsmux_call *c = ud;
  call_header *h;
  if (!name) {
    c->n_headers = 0; /* a new response (after 100-continue, redirects) */
    return;
  }
  h = VEC_PUSH(c->headers, c->n_headers, c->cap_headers);
  if (!h) {
    call_oom(c);
    return;
  }
  h->name = arena_strndup(&c->mem, name, nl);
  h->value = arena_strndup(&c->mem, value, vl);
  if (!h->name || !h->value) {
    c->n_headers--;
    call_oom(c);
  }
}

static const char *content_type_of(const smsmux_call *c) {
  size_t i;
  for (i = c->n_headers; i > 0; i--)
    if (str_ieq(c->headers[i - 1].name, "content-type"))
      return c->headers[i - 1].value;
  return NULL;
}

/* ------------------------------------------------------------ failure -- */

static int transport_failure(smsmux_call *call, const httpc_failure *f,
                             const char *url_safe, int accepts_nothing) {
  smsmux_error_class cls = accepts_nothing && f->cls == SMSMUX_ERR_UNKNOWN_OUTCOME
                               ? SMSMUX_ERR_TEMPORARY
                               : f->cls;
  if (cls == SMSMUX_ERR_UNKNOWN_OUTCOME && call->kind == CALL_SEND)
    return host_table.fail(call, cls, f->code,
                           "%s after the request was sent (%s): the "
                           "provider may have accepted it; check with "
                           "`smsmux status` before sending again",
                           f->what, f->detail[0] ? f->detail : url_safe);
  return host_table.fail(call, cls, f->code, "%s: %s (%s)", url_safe, f->what,
                         f->detail);
}

/* ------------------------------------------------------------ request -- */

/* base_url + path, or an absolute URL; then the query string. */
static int build_url(const instance *inst, const smsmux_http_request *req,
                     strbuf *url) {
  strbuf query = {0};
  int rc = 0;
  if (req->path && (str_starts(req->path, "http://") ||
                    str_starts(req->path, "https://")))
    sb_adds(url, req->path);
  else {
    sb_adds(url, inst->base_url ? inst->base_url : "");
    if (req->path)
      sb_adds(url, req->path);
  }
  if (req->query && req->n_query) {
    rc = httpc_encode_pairs(&query, req->query, req->n_query);
    if (rc == 0 && query.len && !url->oom) {
      sb_adds(url, strchr(url->s, '?') ? "&" : "?");
      sb_adds(url, query.s);
    }
  }
  sb_free(&query);
  return rc || url->oom ? -1 : 0;
}

int host_http(smsmux_call *call, const smsmux_http_request *req,
              smsmux_http_response *resp) {
  instance *inst = call->inst;
  const char *const *secret_params = NULL;
  strbuf url = {0}, form = {0}, body = {0};
  char *url_safe = NULL;
  httpc_request hr;
  httpc_failure f;
  long status = 0;
  int result = -1, verbose = log_debug_on(inst->env->log);

  if (!req || !resp || req->size < offsetof(smsmux_http_request, bearer))
    return host_table.fail(call, SMSMUX_ERR_SYSTEM, NULL,
                           "plugin passed a malformed HTTP request");
  if (call->oom)
    return -1; /* nothing goes out once memory ran out */
  if (SMSMUX_HAS_MEMBER(req, smsmux_http_request, secret_params))
    secret_params = req->secret_params;
  call->n_headers = 0;

  memset(&hr, 0, sizeof hr);
  if (build_url(inst, req, &url) ||
      (req->body_kind == SMSMUX_BODY_FORM && req->form &&
       httpc_encode_pairs(&form, req->form, req->n_form))) {
    call_oom(call);
    goto out;
  }
  hr.method = req->method;
  hr.url = url.s;
  hr.body_kind = req->body_kind;
  if (req->body_kind == SMSMUX_BODY_FORM) {
    hr.body = form.s ? form.s : "";
    hr.body_len = form.len;
  } else if (req->body_kind == SMSMUX_BODY_RAW) {
    hr.body = req->body;
    hr.body_len = req->body_len;
    hr.content_type = req->content_type;
  }
  hr.parts = req->parts;
  hr.n_parts = req->parts ? req->n_parts : 0;
  hr.headers = req->headers;
  hr.n_headers = req->headers ? req->n_headers : 0;
  hr.auth = req->auth;
  hr.user = req->user;
  hr.password = req->password;
  hr.bearer = req->bearer;
  hr.timeout = inst->cfg->timeout;
  hr.on_header = on_header;
  hr.header_ud = call;

  /* The redacted URL is for the trace and for a transport failure's
     message only: not built on the success path without --verbose. */
  if (verbose) {
    url_safe = redact_url((const char *const *)inst->secrets, url.s,
                          secret_params);
    if (!url_safe) {
      call_oom(call);
      goto out;
    }
    trace_request(call, req, url_safe, &form, secret_params);
  }
  call->requested = 1;
  if (httpc_perform(inst->http, &hr, &status, &body, &f)) {
    if (verbose)
      log_write(inst->env->log, SMSMUX_LOG_DEBUG, "%s: < no answer: %s",
                inst->cfg->name, f.detail);
    if (!url_safe)
      url_safe = redact_url((const char *const *)inst->secrets, url.s,
                            secret_params);
    if (!url_safe) {
      call_oom(call);
      goto out;
    }
    transport_failure(call, &f, url_safe,
                      SMSMUX_HAS_MEMBER(req, smsmux_http_request,
                                        accepts_nothing) &&
                          req->accepts_nothing);
    goto out;
  }
  resp->status = status;
  resp->body_len = body.len;
  resp->body = arena_strndup(&call->mem, body.s ? body.s : "", body.len);
  if (!resp->body || call->oom) {
    call_oom(call);
    goto out;
  }
  if (SMSMUX_HAS_MEMBER(resp, smsmux_http_response, content_type))
    resp->content_type = content_type_of(call);
  if (verbose) {
    log_write(inst->env->log, SMSMUX_LOG_DEBUG, "%s: < HTTP %ld, %zu bytes",
              inst->cfg->name, status, body.len);
    trace_body(call, "<", body.s, body.len,
               is_form_type(content_type_of(call)), secret_params);
  }
  result = 0;
out:
  free(url_safe);
  sb_free(&body);
  sb_free(&url);
  if (form.s)
    explicit_bzero(form.s, form.len); /* it may hold a password */
  sb_free(&form);
  return result;
}
