/* kannel: GET|POST /cgi-bin/sendsms as Kannel's smsbox answers it, so an
 * application written for Kannel switches to smsmuxd by changing a URL.
 *
 * Parameters (Kannel's user guide, "Sending SMS"): username, password, to
 * (several numbers separated by spaces), text, from, charset, coding
 * (0 7-bit, 1 8-bit, 2 UCS-2), smsc (= provider instance), deferred
 * (minutes), dlr-mask and dlr-url.  Others of Kannel's (udh, mclass,
 * validity, priority, ...) are accepted and have no effect.  A POST is
 * either a form (application/x-www-form-urlencoded) or, as Kannel reads
 * it, the text itself as body with the other parameters in the query or
 * in X-Kannel-* headers.  Answers are Kannel's: 202 "0: Accepted for
 * delivery", 202 "3: Queued for later delivery", 403 "Authorization
 * failed", 4xx with the reason.
 *
 * dlr-url and dlr-mask are kept with the message as its callback
 * ("kannel:MASK:URL"); the library's notifier calls dlr-url, with Kannel's
 * escape codes substituted, for each status change the mask selects.
 * Without them, the operator's messages get [server] callback_url's JSON
 * webhooks like any other. */
#include "daemon.h"

#include <microhttpd.h>

#include <errno.h>
#include <stdarg.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define KANNEL_MAX_TO 1000
#define KANNEL_PARAMS 48

typedef struct form {
  char *buf;                /* decoded copy of the form body */
  const char *key[KANNEL_PARAMS], *val[KANNEL_PARAMS];
  size_t n;
} form;

static void answer(http_answer *a, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void answer(http_answer *a, unsigned status, const char *fmt, ...) {
  va_list ap;
  free(a->body);
  a->body = NULL;
  va_start(ap, fmt);
  if (vasprintf(&a->body, fmt, ap) < 0)
    a->body = NULL;
  va_end(ap);
  a->status = status;
  a->type = "text/html; charset=utf-8"; /* as Kannel's smsbox */
}

/* application/x-www-form-urlencoded: '+' is a space, then %XX. */
static void form_parse(form *f, const char *body, size_t len) {
  char *p, *save = NULL, *tok;
  memset(f, 0, sizeof *f);
  f->buf = malloc(len + 1);
  if (!f->buf)
    return;
  memcpy(f->buf, body, len);
  f->buf[len] = '\0';
  for (tok = strtok_r(f->buf, "&", &save); tok && f->n < KANNEL_PARAMS;
       tok = strtok_r(NULL, "&", &save)) {
    char *eq = strchr(tok, '=');
    if (eq)
      *eq++ = '\0';
    for (p = tok; *p; p++)
      if (*p == '+')
        *p = ' ';
    for (p = eq; p && *p; p++)
      if (*p == '+')
        *p = ' ';
    MHD_http_unescape(tok);
    if (eq)
      MHD_http_unescape(eq);
    f->key[f->n] = tok;
    f->val[f->n] = eq ? eq : "";
    f->n++;
  }
}

/* A parameter: the form's, else the query's, else X-Kannel-NAME. */
static const char *param(const http_req *r, const form *f, const char *name,
                         const char *header) {
  size_t i;
  const char *v;
  for (i = 0; i < f->n; i++)
    if (strcmp(f->key[i], name) == 0)
      return f->val[i];
  if ((v = api_arg(r, name)))
    return v;
  return header ? api_header(r, header) : NULL;
}

/* text in `charset` -> UTF-8 (malloc'd), NULL when it cannot be. */
static char *to_utf8(const char *in, size_t len, const char *charset) {
  iconv_t cd = iconv_open("UTF-8", charset);
  char *out, *op, *ip = (char *)in;
  size_t ol, il = len;
  if (cd == (iconv_t)-1)
    return NULL;
  ol = len * 4 + 1;
  out = op = malloc(ol);
  if (out && iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
    free(out);
    out = NULL;
  } else if (out) {
    *op = '\0';
  }
  iconv_close(cd);
  return out;
}

void kannel_handle(http_req *r, http_answer *a) {
  form f;
  const char *ct = api_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
  const char *user, *pass, *to, *text, *from, *charset, *coding, *smsc;
  const char *mask, *dlr_url, *deferred;
  char *tenant = NULL;
  int unavailable = 0;
  size_t text_len = 0, n_to = 0;
  char *utf8 = NULL, *to_copy = NULL, *save = NULL, *tok, *cb = NULL;
  const char *numbers[KANNEL_MAX_TO];
  char at[32];
  smsmux_send_request req;
  smsmux_error err;
  smsmux_submit_status st;
  smsmux *sm;
  char *json = NULL;
  int form_body = ct && strncasecmp(ct, "application/x-www-form-urlencoded",
                                    33) == 0;

  memset(&f, 0, sizeof f);
  if (strcmp(r->method, "POST") == 0 && form_body && r->body)
    form_parse(&f, r->body, r->len);

  user = param(r, &f, "username", "X-Kannel-Username");
  if (!user)
    user = param(r, &f, "user", NULL);
  pass = param(r, &f, "password", "X-Kannel-Password");
  if (!pass)
    pass = param(r, &f, "pass", NULL);
  to = param(r, &f, "to", "X-Kannel-To");
  from = param(r, &f, "from", "X-Kannel-From");
  charset = param(r, &f, "charset", NULL);
  coding = param(r, &f, "coding", "X-Kannel-Coding");
  smsc = param(r, &f, "smsc", "X-Kannel-SMSC");
  mask = param(r, &f, "dlr-mask", "X-Kannel-DLR-Mask");
  dlr_url = param(r, &f, "dlr-url", "X-Kannel-DLR-Url");
  deferred = param(r, &f, "deferred", "X-Kannel-Deferred");
  text = param(r, &f, "text", NULL);
  if (text)
    text_len = strlen(text);
  if (strcmp(r->method, "POST") == 0 && !form_body && r->body) {
    /* Kannel's POST: the body is the text, its charset in Content-Type */
    const char *cs = ct ? strcasestr(ct, "charset=") : NULL;
    text = r->body;
    text_len = r->len;
    if (cs && !charset)
      charset = cs + 8;
  }

  sm = daemon_sm_acquire();
  /* username: "admin" with the admin key, or a tenant's name with one of
     its keys */
  tenant = user && *user ? api_tenant_of_key(sm, pass, &unavailable) : NULL;
  if (tenant && strcmp(user, *tenant ? tenant : "admin") != 0) {
    free(tenant);
    tenant = NULL;
  }
  if (!tenant) {
    answer(a, unavailable ? 503 : 403,
           unavailable ? "Temporary failure, try again later"
                       : "Authorization failed");
    goto out;
  }
  if (!to || !*to) {
    answer(a, 400, "Missing receiver number");
    goto out;
  }
  if (coding && strcmp(coding, "0") && strcmp(coding, "1") &&
      strcmp(coding, "2")) {
    answer(a, 400, "Invalid coding: %.8s (0 7-bit, 1 8-bit, 2 UCS-2)",
           coding);
    goto out;
  }
  if (!charset && coding && strcmp(coding, "2") == 0)
    charset = "UTF-16BE"; /* Kannel's default for UCS-2 */
  if (text && charset && strcasecmp(charset, "UTF-8") &&
      strcasecmp(charset, "utf8")) {
    char cs[32];
    snprintf(cs, sizeof cs, "%.*s", (int)strcspn(charset, " ;\""),
             charset);
    if (!(utf8 = to_utf8(text, text_len, cs))) {
      answer(a, 400, "Text is not valid %s", cs);
      goto out;
    }
    text = utf8;
    text_len = strlen(utf8);
  }
  if (text && strlen(text) != text_len) {
    answer(a, 400, "Text holds a NUL byte: give its charset");
    goto out;
  }
  if (mask && *mask) {
    char *end;
    long m;
    errno = 0;
    m = strtol(mask, &end, 10);
    if (errno || *end || m < 0 || m > 63) {
      answer(a, 400, "Invalid dlr-mask: %.16s (a number from 0 to 63)",
             mask);
      goto out;
    }
    if (m && (!dlr_url || (strncmp(dlr_url, "http://", 7) &&
                           strncmp(dlr_url, "https://", 8)))) {
      answer(a, 400, "dlr-mask needs an http:// or https:// dlr-url");
      goto out;
    }
    if (m && asprintf(&cb, "kannel:%ld:%s", m, dlr_url) < 0)
      cb = NULL;
  }

  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.kind = SMSMUX_KIND_SMS;
  req.text = text ? text : "";
  req.from = from && *from ? from : NULL;
  req.provider = smsc && *smsc ? smsc : NULL;
  if (deferred && *deferred) {
    char *end;
    long minutes;
    time_t when;
    struct tm tm;
    errno = 0;
    minutes = strtol(deferred, &end, 10);
    if (errno || *end || minutes < 0 || minutes > 525600) {
      answer(a, 400, "Invalid deferred: %.16s (minutes)", deferred);
      goto out;
    }
    when = time(NULL) + minutes * 60;
    localtime_r(&when, &tm);
    strftime(at, sizeof at, "%Y-%m-%d %H:%M:%S", &tm);
    if (minutes > 0)
      req.at = at;
  }
  to_copy = strdup(to);
  if (!to_copy) {
    answer(a, 503, "Temporary failure");
    goto out;
  }
  for (tok = strtok_r(to_copy, " ", &save); tok;
       tok = strtok_r(NULL, " ", &save)) {
    if (n_to == KANNEL_MAX_TO) {
      answer(a, 400, "Too many receivers (at most %d)", KANNEL_MAX_TO);
      goto out;
    }
    numbers[n_to++] = tok;
  }
  if (!n_to) {
    answer(a, 400, "Missing receiver number");
    goto out;
  }
  req.to = numbers;
  req.n_to = n_to;
  memset(&err, 0, sizeof err);
  st = smsmux_submit(sm, tenant, &req,
                     cb ? cb : api_callback_url(sm, tenant, NULL), &json,
                     &err);
  free(json);
  if (st == SMSMUX_SUBMIT_REFUSED) {
    unsigned code = api_status_of(&err);
    metrics_count_submit(0);
    answer(a,
           code >= 500 ? 503
           : code == 402 || code == 403 || code == 429 ? code
                                                       : 400,
           "%s",
           code >= 500 ? "Temporary failure, try again later"
                       : err.message);
    a->retry_after = smsmux_error_retry_after(&err);
    goto out;
  }
  metrics_count_submit(1);
  if (req.at)
    answer(a, 202, "3: Queued for later delivery");
  else
    answer(a, 202, "0: Accepted for delivery");
out:
  daemon_sm_release();
  free(f.buf);
  free(utf8);
  free(to_copy);
  free(cb);
  free(tenant);
}
