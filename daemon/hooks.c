/* hooks: /hooks/{provider}/{token}/dlr and /hooks/{provider}/{token}/mo,
 * where providers push delivery reports and replies (docs/API.md).
 *
 * No Authorization header: a provider cannot send one.  The token, a
 * secret path segment ([provider.NAME] hook_token), is checked by the
 * library (smsmux_hook, in constant time) before anything is read or
 * written; a wrong token, an unknown instance or one that does not push
 * all answer 404 and touch nothing.  The request is handed over as
 * received: method, query arguments (and, for a form POST, its fields),
 * headers (names in lowercase), body and Content-Type; the instance's
 * plugin reads it.  Answers: 200 recorded (also a repeat, or a report
 * kept until its message appears), 404, 400 not the provider's format,
 * 503 the store is unavailable (the provider retries).
 *
 * The token never reaches a log line: server.c writes these paths as
 * /hooks/NAME/-/dlr (hook_redact). */
#include "daemon.h"

#include <microhttpd.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOOK_MAX_FIELDS 64

int hook_path(const char *url, char *provider, size_t plen, const char **token,
              size_t *tlen, int *reply) {
  const char *p, *slash, *tok, *kind;
  if (strncmp(url, "/hooks/", 7) != 0)
    return -1;
  p = url + 7;
  slash = strchr(p, '/');
  if (!slash || slash == p || (size_t)(slash - p) >= plen)
    return -1;
  tok = slash + 1;
  kind = strchr(tok, '/');
  if (!kind || kind == tok)
    return -1;
  if (strcmp(kind, "/dlr") == 0)
    *reply = 0;
  else if (strcmp(kind, "/mo") == 0)
    *reply = 1;
  else
    return -1;
  memcpy(provider, p, (size_t)(slash - p));
  provider[slash - p] = '\0';
  *token = tok;
  *tlen = (size_t)(kind - tok);
  return 0;
}

void hook_redact(const char *url, char *out, size_t len) {
  const char *p, *slash, *end;
  if (strncmp(url, "/hooks/", 7) != 0) {
    snprintf(out, len, "%s", url);
    return;
  }
  /* /hooks/NAME/TOKEN[/REST]: TOKEN (whatever it is, right or wrong)
     becomes "-"; a path too short to hold one is written as /hooks/... */
  p = url + 7;
  slash = strchr(p, '/');
  if (!slash) {
    snprintf(out, len, "/hooks/...");
    return;
  }
  end = strchr(slash + 1, '/');
  snprintf(out, len, "/hooks/%.*s/-%s", (int)(slash - p) > 64 ? 64 : (int)(slash - p),
           p, end ? end : "");
}

typedef struct kv_list {
  smsmux_kv kv[HOOK_MAX_FIELDS];
  size_t n;
  int lower;  /* header names: lowercase copies */
  char *own[HOOK_MAX_FIELDS];
  size_t n_own;
} kv_list;

static enum MHD_Result add_kv(void *cls, enum MHD_ValueKind kind,
                              const char *key, const char *value) {
  kv_list *l = cls;
  (void)kind;
  if (l->n == HOOK_MAX_FIELDS)
    return MHD_NO;
  if (l->lower) {
    char *k = strdup(key), *c;
    if (!k)
      return MHD_NO;
    for (c = k; *c; c++)
      *c = (char)tolower((unsigned char)*c);
    l->own[l->n_own++] = k;
    key = k;
  }
  l->kv[l->n].key = key;
  l->kv[l->n].value = value ? value : "";
  l->n++;
  return MHD_YES;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode one application/x-www-form-urlencoded token in place. */
static void form_decode(char *s) {
  char *r, *w;
  for (r = w = s; *r; r++) {
    if (*r == '+')
      *w++ = ' ';
    else if (*r == '%' && hexval((unsigned char)r[1]) >= 0 &&
             hexval((unsigned char)r[2]) >= 0) {
      *w++ = (char)(hexval((unsigned char)r[1]) * 16 + hexval((unsigned char)r[2]));
      r += 2;
    } else
      *w++ = *r;
  }
  *w = '\0';
}

/* A form body's fields appended to the query's (in `copy`, owned). */
static void form_fields(kv_list *q, char *copy) {
  char *save = NULL, *pair;
  for (pair = strtok_r(copy, "&", &save); pair && q->n < HOOK_MAX_FIELDS;
       pair = strtok_r(NULL, "&", &save)) {
    char *eq = strchr(pair, '=');
    if (eq)
      *eq = '\0';
    form_decode(pair);
    if (eq)
      form_decode(eq + 1);
    q->kv[q->n].key = pair;
    q->kv[q->n].value = eq ? eq + 1 : "";
    q->n++;
  }
}

void hook_handle(smsmux *sm, http_req *r, http_answer *a) {
  char provider[128];
  char *token = NULL, *form = NULL;
  const char *tok, *ct;
  size_t tlen, i;
  int reply;
  kv_list q, h;
  smsmux_push p;
  smsmux_error err;

  if (hook_path(r->url, provider, sizeof provider, &tok, &tlen, &reply)) {
    api_error(a, 404, SMSMUX_ERR_INPUT, "not-found",
              "no such path: hooks are /hooks/PROVIDER/TOKEN/dlr and "
              "/hooks/PROVIDER/TOKEN/mo");
    return;
  }
  if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "POST") != 0) {
    api_error(a, 405, SMSMUX_ERR_INPUT, "method-not-allowed",
              "this path answers GET, POST");
    a->allow = "GET, POST";
    return;
  }
  token = strndup(tok, tlen);
  if (!token) {
    api_error(a, 503, SMSMUX_ERR_SYSTEM, "oom", "out of memory");
    return;
  }
  memset(&q, 0, sizeof q);
  memset(&h, 0, sizeof h);
  h.lower = 1;
  MHD_get_connection_values(r->con, MHD_GET_ARGUMENT_KIND, add_kv, &q);
  MHD_get_connection_values(r->con, MHD_HEADER_KIND, add_kv, &h);
  ct = api_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
  if (r->body && ct &&
      strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 &&
      (form = strdup(r->body)))
    form_fields(&q, form);

  memset(&p, 0, sizeof p);
  p.size = sizeof p;
  p.provider = provider;
  p.token = token;
  p.reply = reply;
  p.method = r->method;
  p.query = q.kv;
  p.n_query = q.n;
  p.headers = h.kv;
  p.n_headers = h.n;
  p.body = r->body;
  p.body_len = r->len;
  p.content_type = ct;
  memset(&err, 0, sizeof err);
  if (smsmux_hook(sm, &p, &err) == 0) {
    a->status = 200;
    a->body = strdup("{\"status\":\"ok\"}");
  } else if (err.cls == SMSMUX_ERR_INPUT && strcmp(err.code, "not-found") == 0) {
    /* one answer for a wrong token, an unknown instance, one that does
       not push: nothing to learn by trying */
    api_error(a, 404, SMSMUX_ERR_INPUT, "not-found", "no such hook");
  } else if (err.cls == SMSMUX_ERR_INPUT || err.cls == SMSMUX_ERR_INVALID) {
    a->status = 400;
    a->body = smsmux_error_json(&err);
  } else {
    a->status = 503;
    a->body = smsmux_error_json(&err);
  }
  memset(token, 0, tlen);
  free(token);
  free(form);
  for (i = 0; i < h.n_own; i++)
    free(h.own[i]);
}
