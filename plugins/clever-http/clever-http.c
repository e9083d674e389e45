/*
 * clever-http.c - the Clever FrontalHttpMultimedias provider plugin.
 *
 * Speaks ../shared/providers/clever-http-frontal.txt ("Fiche
 * complémentaire FRONTALHTTPMULTIMEDIAS"): GET requests to base_url +
 * "/InfosAccount/", "/SendPush/", ... (trailing slash included, as the
 * document prints them) with the account's `login` and `pwd` in the query
 * string; answers are `key=value&key="value"&...` with values quoted by ",
 * « or » (the converted PDF mixes them) or bare, and the HTTP status says
 * how it went (200/201, 204 no MO, 400, 401, 404, 500).
 *
 *   send      SendPush (type sms, or tts/vocal for kind voice)
 *   status    DeliveriesPush (one record per recipient), falling back to
 *             InfosPush (the push as a whole) when no recipient has an
 *             acknowledgement yet
 *   balance   InfosAccount (credit)
 *   replies   MosPush (the MO of one push; 204 = none)
 *   call      account-info (InfosAccount), push-info (InfosPush)
 *
 * Text and parameters go out in UTF-8, percent-encoded by the host (the
 * document's password example T123456ç goes out as pwd=T123456%C3%A7): the
 * document names no charset and every one of its examples is a URL.
 *
 * The plugin keeps no mutable state: the instance holds the host table and
 * copies of its configuration, written in open and only read after, so any
 * number of threads may use one instance at once.
 */
#include <smsmux/provider.h>

#include "../clever-common/clever-common.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CLEVER_VERSION "1.0.0"

/* "le nombre maximum est de 100 destinataires" */
#define CLEVER_MAX_RECIPIENTS 100
/* "sa longueur maximale est de 1000 caractères" */
#define CLEVER_MAX_TEXT 1000
/* "Émetteur alphanumérique ..., longueur maximal 11 caractères" */
#define CLEVER_MAX_SENDER 11
/* SendPush carries login, pwd and 7 parameters at most */
#define CLEVER_MAX_PARAMS 12

/* ----------------------------------------------------------- instance -- */

/** One configured instance: the host table and copies of its config
    (voice and duplicates are read per send, through host->option). */
typedef struct clever {
  const smsmux_host *host;
  const char *login;    /* borrowed from the host until close */
  const char *password;
} clever;

static int clever_open(const smsmux_host *host, smsmux_call *call,
                       void **state);
static void clever_close(void *state);
static int clever_send(void *state, smsmux_call *call,
                       const smsmux_message *msg);
static int clever_status(void *state, smsmux_call *call, const char *id);
static int clever_balance(void *state, smsmux_call *call);
static int clever_replies(void *state, smsmux_call *call,
                          const smsmux_reply_query *q);
static int clever_call(void *state, smsmux_call *call, const char *op,
                       const smsmux_kv *params, size_t n_params);

/* ------------------------------------------------------- descriptor --- */

static const smsmux_config_key clever_config_keys[] = {
    {"login", SMSMUX_KEY_REQUIRED,
     "login of the CleverMultimedias account (query parameter login)"},
    {"password", SMSMUX_KEY_REQUIRED | SMSMUX_KEY_SECRET,
     "password of the CleverMultimedias account (query parameter pwd)"},
    {"voice", 0,
     "push type of voice messages: tts (default) or vocal (send option "
     "voice=...)"},
    {"duplicates", 0,
     "1 lets one push repeat a number (SendPush duplicates); default 0 "
     "(send option duplicates=...)"},
    {NULL, 0, NULL}};

static const char *const params_none[] = {NULL};
static const char *const params_push_info[] = {"reference", NULL};

static const smsmux_operation clever_operations[] = {
    {"account-info",
     "the account's details and credit, as InfosAccount gives them",
     params_none},
    {"push-info", "one push as a whole, as InfosPush gives it",
     params_push_info},
    {NULL, NULL, NULL}};

/* The --option names send reads. */
static const char *const clever_send_options[] = {"voice", "duplicates",
                                                  NULL};

static const smsmux_provider clever_provider = {
    .size = sizeof(smsmux_provider),
    .abi_major = SMSMUX_ABI_MAJOR,
    .abi_minor = SMSMUX_ABI_MINOR,
    .name = "clever-http",
    .version = CLEVER_VERSION,
    .summary = "Clever FrontalHttpMultimedias (frontalhttpmultimedias."
               "clever-is.fr)",
    .capabilities = SMSMUX_CAP_SMS | SMSMUX_CAP_UNICODE | SMSMUX_CAP_VOICE |
                    SMSMUX_CAP_SCHEDULE | SMSMUX_CAP_STATUS |
                    SMSMUX_CAP_REPLIES | SMSMUX_CAP_BALANCE |
                    SMSMUX_CAP_ALPHA_SENDER,
    .max_recipients = CLEVER_MAX_RECIPIENTS,
    .max_text_length = CLEVER_MAX_TEXT,
    .max_segments = 0, /* the document limits characters, not SMS */
    .max_sender_length = CLEVER_MAX_SENDER,
    .default_base_url = "http://frontalhttpmultimedias.clever-is.fr",
    .config_keys = clever_config_keys,
    .operations = clever_operations,
    .open = clever_open,
    .close = clever_close,
    .send = clever_send,
    .status = clever_status,
    .balance = clever_balance,
    .replies = clever_replies,
    .cancel = NULL, /* the document has no way to cancel a push */
    .call = clever_call,
    .send_options = clever_send_options,
};

SMSMUX_PROVIDER_ENTRY_DECL { return &clever_provider; }

/* ------------------------------------------------------------ helpers --- */

static const char *const clever_secret_params[] = {"pwd", NULL};

/** Query parameters in the order they go on the wire. */
typedef struct clever_params {
  smsmux_kv kv[CLEVER_MAX_PARAMS];
  size_t n;
} clever_params;

static void params_add(clever_params *p, const char *key, const char *value)
{
  if (value == NULL || p->n >= CLEVER_MAX_PARAMS)
    return;
  p->kv[p->n].key = key;
  p->kv[p->n].value = value;
  p->n++;
}

static int is_key_char(char c, int first)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

/** 1 when `p` starts a `key=` (letters, digits, '_'; not a digit first). */
static int starts_key(const char *p)
{
  if (!is_key_char(*p, 1))
    return 0;
  while (is_key_char(*p, 0))
    p++;
  return *p == '=';
}

/** Length of the quote at `p`: ", « (C2 AB) or » (C2 BB); 0 for none. */
static size_t quote_len(const char *p)
{
  if (*p == '"')
    return 1;
  if ((unsigned char)p[0] == 0xC2 &&
      ((unsigned char)p[1] == 0xAB || (unsigned char)p[1] == 0xBB))
    return 2;
  return 0;
}

/** 1 when a quote just before `p` closes a value: what follows it (after
    blanks) is the end, a line end, '&' or the next `key=`. */
static int quote_closes(const char *p)
{
  while (*p == ' ' || *p == '\t' || *p == '\r')
    p++;
  return *p == '\0' || *p == '\n' || *p == '&' || starts_key(p);
}

/** A Y-m-d H:i:s local date as Unix time; -1 when it is not one. */
static int64_t parse_date(const char *s)
{
  struct tm tm;
  int y, mo, d, h, mi, se;
  char tail;

  if (s == NULL ||
      sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se,
             &tail) != 6)
    return -1;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  tm.tm_isdst = -1;
  return (int64_t)mktime(&tm);
}

/* ------------------------------------------------------------ answers --- */

/** An answer: its pairs in order, and its request_status. */
typedef struct clever_answer {
  smsmux_http_response resp; /* as received */
  long status;               /* request_status, else the HTTP status */
  smsmux_kv *pairs;          /* {NULL, NULL}-terminated, call memory */
  size_t n;
} clever_answer;

/** One record of a list answer (DeliveriesPush, MosPush). */
typedef struct clever_record {
  const smsmux_kv *kv;
  size_t n;
} clever_record;

/** Value of `key` (case-insensitive: the document writes both `status`
    and `Status`) among `n` pairs, or NULL. */
static const char *pairs_get(const smsmux_kv *kv, size_t n, const char *key)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcasecmp(kv[i].key, key) == 0)
      return kv[i].value;
  return NULL;
}

/** `body` with every record on a line of its own.  The document prints
    DeliveriesPush and MosPush answers with their records run together on
    one line, separated by a space:
      request_status=200 message=»test»&...&status=»4» message=»test»&...
    so a blank outside quotes that is followed by `key=` (and not by more
    of a bare value, as in `2017-11-23 17:31:08`) ends a line.  Quotes
    are followed as parse_pairs follows them. */
static char *answer_unfold(const clever *cl, smsmux_call *call,
                           const char *body, size_t len)
{
  char *s = cl->host->alloc(call, len + 1);
  char prev = '\0'; /* the last character outside quotes, not blank */
  int quoted = 0;
  size_t i = 0;

  if (s == NULL)
    return NULL;
  memcpy(s, body, len);
  s[len] = '\0';
  while (s[i] != '\0') {
    size_t q = quote_len(s + i);
    if (quoted) {
      if (q != 0 && quote_closes(s + i + q)) {
        quoted = 0;
        prev = '"';
      }
      i += q != 0 ? q : 1;
    } else if (q != 0 && prev == '=') {
      quoted = 1;
      i += q;
    } else if (s[i] == ' ' || s[i] == '\t') {
      size_t j = i;
      while (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')
        j++;
      if (prev != '\0' && prev != '&' && prev != '\n' && starts_key(s + j))
        s[i] = '\n';
      i = j;
    } else {
      prev = s[i];
      i++;
    }
  }
  return s;
}

/** Parse `resp` into `ans`.  Returns 0, or -1 when the body has no
    request_status (nothing recorded). */
static int answer_parse(const clever *cl, smsmux_call *call,
                        const smsmux_http_response *resp, clever_answer *ans)
{
  const char *rs;
  unsigned long long code;
  char *text;

  ans->resp = *resp;
  ans->status = resp->status;
  ans->pairs = NULL;
  ans->n = 0;
  text = answer_unfold(cl, call, resp->body != NULL ? resp->body : "",
                       resp->body != NULL ? resp->body_len : 0);
  if (text == NULL)
    return -1;
  ans->n = cl->host->parse_pairs(call, text, "&\n", '=', &ans->pairs);
  rs = pairs_get(ans->pairs, ans->n, "request_status");
  if (rs == NULL || strlen(rs) != 3 ||
      cl->host->parse_uint(rs, 0, 999, &code) != 0)
    return -1;
  ans->status = (long)code;
  return 0;
}

/** Split the pairs of a list answer into records.  request_status heads
    the answer and is no part of a record; a record ends where a key it
    already has comes again (the next recipient's `message`, or a second
    `request_status`), so records run together on one line read like
    records on lines of their own.  Returns the record count. */
static size_t answer_records(const clever *cl, smsmux_call *call,
                             const clever_answer *ans, clever_record **out)
{
  clever_record *recs;
  smsmux_kv *kv;
  size_t i, n_recs = 0, n_kv = 0, start = 0;

  recs = cl->host->alloc(call, (ans->n + 1) * sizeof *recs);
  kv = cl->host->alloc(call, (ans->n + 1) * sizeof *kv);
  if (recs == NULL || kv == NULL) {
    *out = NULL;
    return 0;
  }
  for (i = 0; i < ans->n; i++) {
    const smsmux_kv *p = &ans->pairs[i];
    int head = strcasecmp(p->key, "request_status") == 0;
    if (n_kv > start &&
        (head || pairs_get(kv + start, n_kv - start, p->key) != NULL)) {
      recs[n_recs].kv = kv + start;
      recs[n_recs].n = n_kv - start;
      n_recs++;
      start = n_kv;
    }
    if (!head)
      kv[n_kv++] = *p;
  }
  if (n_kv > start) {
    recs[n_recs].kv = kv + start;
    recs[n_recs].n = n_kv - start;
    n_recs++;
  }
  *out = recs;
  return n_recs;
}

/** Record the failure an error status (HTTP, or request_status) means;
    returns -1.  `what` names the thing asked for ("push Push2017..."):
    a 404 on a lookup (DeliveriesPush, MosPush) means that thing is not
    found. */
static int answer_fail_status(const clever *cl, smsmux_call *call,
                              const clever_answer *ans, int sending,
                              const char *what)
{
  smsmux_http_response r = ans->resp;

  if (ans->status == 404 && !sending)
    return cl->host->fail(call, SMSMUX_ERR_INVALID, "HTTP 404",
                          "Clever: %s not found (HTTP 404 Not Found): check "
                          "the push reference and the account it was sent "
                          "from",
                          what);
  /* 400 invalid, 401 auth, 500 unknown outcome on a send (the push may
     have been created before the failure) else temporary */
  r.status = ans->status;
  return cl->host->fail_http(call, &r, sending);
}

/** GET `path` with login, pwd and `q`.  Returns 0 with a parsed 2xx answer
    in *ans, 1 for "no content" (HTTP 204 or request_status=204), or -1
    after recording the failure (`sending`: the request may have changed
    something).  ans->status holds the status in every case. */
static int clever_get(const clever *cl, smsmux_call *call, const char *path,
                      const clever_params *q, int sending, const char *what,
                      clever_answer *ans)
{
  const smsmux_host *h = cl->host;
  clever_params p;
  smsmux_http_request req;
  smsmux_http_response resp;
  size_t i;

  memset(ans, 0, sizeof *ans);
  p.n = 0;
  params_add(&p, "login", cl->login);
  params_add(&p, "pwd", cl->password);
  for (i = 0; q != NULL && i < q->n; i++)
    params_add(&p, q->kv[i].key, q->kv[i].value);

  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.method = SMSMUX_HTTP_GET;
  req.path = path;
  req.query = p.kv;
  req.n_query = p.n;
  req.body_kind = SMSMUX_BODY_NONE;
  req.secret_params = clever_secret_params;
  /* every request but SendPush only reads: a timeout there changed
     nothing */
  req.accepts_nothing = !sending;
  memset(&resp, 0, sizeof resp);
  resp.size = sizeof resp;
  if (h->http(call, &req, &resp) != 0)
    return -1;
  if (resp.body == NULL) {
    resp.body = "";
    resp.body_len = 0;
  }
  ans->resp = resp;
  ans->status = resp.status;
  if (resp.status == 204) /* MosPush: "il n'y a pas de MO's" */
    return 1;
  if (resp.status < 200 || resp.status > 299)
    return answer_fail_status(cl, call, ans, sending, what);
  if (answer_parse(cl, call, &resp, ans) != 0)
    return h->fail(call,
                   sending ? SMSMUX_ERR_UNKNOWN_OUTCOME
                           : SMSMUX_ERR_TEMPORARY,
                   NULL, "Clever sent an unreadable answer to %s%s: \"%s\"",
                   what, sending ? " (it may have been carried out)" : "",
                   cl->host->excerpt(call, resp.body, resp.body_len));
  /* an error may also come as HTTP 200 with request_status=4xx/5xx */
  if (ans->status == 204)
    return 1;
  if (ans->status < 200 || ans->status > 299)
    return answer_fail_status(cl, call, ans, sending, what);
  return 0;
}

/** GET `path` (InfosPush, DeliveriesPush, MosPush) for push `id`: what
    clever_get returns. */
static int push_get(const clever *cl, smsmux_call *call, const char *path,
                    const char *id, clever_answer *ans)
{
  clever_params q;

  q.n = 0;
  params_add(&q, "reference", id);
  return clever_get(cl, call, path, &q, 0,
                    cl->host->strf(call, "push %s", id), ans);
}

/** The credit InfosAccount reports into *credit: 0, 1 when the answer
    (in *ans) has no readable credit, or -1 after recording the failure. */
static int account_credit(const clever *cl, smsmux_call *call,
                          clever_answer *ans, double *credit)
{
  const char *v;
  char *end;
  int rc;

  rc = clever_get(cl, call, "/InfosAccount/", NULL, 0,
                  "the account information", ans);
  if (rc != 0)
    return rc;
  v = pairs_get(ans->pairs, ans->n, "credit");
  if (v == NULL || *v == '\0')
    return 1;
  errno = 0;
  *credit = strtod(v, &end);
  return errno == 0 && *end == '\0' ? 0 : 1;
}

/* ------------------------------------------------------------- open ---- */

/* The values SendPush takes for `type` of a voice message and for
   `duplicates`, the first being the default. */
static const char *const voice_values[] = {"tts", "vocal", NULL};
static const char *const duplicates_values[] = {"0", "1", NULL};

/** `v` when it is one of `values`, else NULL. */
static const char *one_of(const char *v, const char *const *values)
{
  for (; *values != NULL; values++)
    if (strcmp(v, *values) == 0)
      return *values;
  return NULL;
}

/** -1 after failing when config key `key`, a default of a send option,
    is set to none of `values` (`meaning` says what they are); empty means
    unset. */
static int config_value_check(const smsmux_host *host, smsmux_call *call,
                              const char *key, const char *const *values,
                              const char *meaning)
{
  const char *v = host->config_get(call, key);

  if (v == NULL || *v == '\0' || one_of(v, values) != NULL)
    return 0;
  return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                    "%s = %s is not valid: use %s", key, v, meaning);
}

/* login and password: the host has checked they are set. */
static int clever_open(const smsmux_host *host, smsmux_call *call,
                       void **state)
{
  clever *cl;

  if (host == NULL || !SMSMUX_HAS_MEMBER(host, smsmux_host, fail))
    return -1;
  if (host->abi_major != SMSMUX_ABI_MAJOR ||
      !SMSMUX_HAS_MEMBER(host, smsmux_host, error_lookup))
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL,
                      "the clever-http plugin needs a host of ABI %d.1 or "
                      "later (this host offers %u.%u): rebuild the plugin",
                      SMSMUX_ABI_MAJOR, host->abi_major, host->abi_minor);

  if (config_value_check(host, call, "voice", voice_values,
                         "tts (text to speech) or vocal, the push types "
                         "of SendPush") != 0 ||
      config_value_check(host, call, "duplicates", duplicates_values,
                         "0 (one message per number) or 1 (let a push "
                         "repeat a number)") != 0)
    return -1;

  cl = calloc(1, sizeof *cl);
  if (cl == NULL)
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  cl->host = host;
  /* config values live until close (provider.h): no copies */
  cl->login = host->config_get(call, "login");
  cl->password = host->config_get(call, "password");
  *state = cl;
  return 0;
}

static void clever_close(void *state)
{
  clever *cl = state;

  if (cl == NULL)
    return;
  free(cl);
}

/* ------------------------------------------------------------- send ---- */

/** Send option `key` (`--option KEY=...`, else the config key of that
    name) among `values`, whose first is the default; NULL after failing
    with INPUT.  Open has checked the config value: a value refused here
    comes from the message. */
static const char *send_option(const clever *cl, smsmux_call *call,
                               const smsmux_message *msg, const char *key,
                               const char *const *values)
{
  const smsmux_host *h = cl->host;
  const char *v = h->option(call, msg, key);
  const char *conf = h->config_get(call, key), *ok;

  /* an empty config value means the default; an empty option does not */
  if (v == NULL || (*v == '\0' && conf != NULL && *conf == '\0'))
    return values[0];
  ok = one_of(v, values);
  if (ok == NULL)
    h->fail(call, SMSMUX_ERR_INPUT, NULL,
            "option %s=%s is not valid: use %s=%s or %s=%s", key, v, key,
            values[0], key, values[1]);
  return ok;
}

/** The recipients as the document's example writes them (0033600000001),
    comma-joined. */
static const char *join_numbers(const clever *cl, smsmux_call *call,
                                const smsmux_message *msg)
{
  const char *out = "";
  size_t i;

  for (i = 0; i < msg->n_to; i++) {
    const char *f = cl->host->number_format(call, msg->to[i], SMSMUX_NUM_00);
    if (f == NULL)
      return NULL;
    out = i == 0 ? f : cl->host->strf(call, "%s,%s", out, f);
    if (out == NULL)
      return NULL;
  }
  return out;
}

static int clever_send(void *state, smsmux_call *call,
                       const smsmux_message *msg)
{
  const clever *cl = state;
  const smsmux_host *h = cl->host;
  const char *voice, *duplicates, *recipients, *hdsend = NULL, *ref, *n_dest;
  unsigned long long count;
  clever_params p;
  clever_answer ans;
  smsmux_status st;
  size_t i;
  int rc;

  if (msg->kind != SMSMUX_KIND_SMS && msg->kind != SMSMUX_KIND_VOICE)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "Clever FrontalHttpMultimedias sends SMS and voice "
                   "messages only: route MMS to a provider that declares "
                   "the mms capability");
  if (msg->n_to == 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL, "no recipient to send to");
  if (msg->n_to > CLEVER_MAX_RECIPIENTS)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "Clever takes at most %d recipients per push (got %zu)",
                   CLEVER_MAX_RECIPIENTS, msg->n_to);
  voice = send_option(cl, call, msg, "voice", voice_values);
  if (voice == NULL)
    return -1;
  duplicates = send_option(cl, call, msg, "duplicates", duplicates_values);
  if (duplicates == NULL)
    return -1;
  recipients = join_numbers(cl, call, msg);
  if (recipients == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL,
                   "cannot format the recipient numbers");
  if (msg->at != 0) {
    hdsend = h->format_time(call, msg->at, CLEVER_DATE_FORMAT);
    if (hdsend == NULL || *hdsend == '\0')
      return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                     "cannot represent the send time %lld as a local date",
                     (long long)msg->at);
  }

  /* The order of the document's example (text, encoding, sender, type,
     duplicates, recipients), hdsend right after the mandatory encoding as
     its parameter list has it.  type and duplicates always go out: the
     example sends them with their default values. */
  p.n = 0;
  params_add(&p, "text", msg->text != NULL ? msg->text : "");
  /* "3 (trois) pour les messages latins, 4 (quatre) pour les messages en
     UCS2": the core's choice of GSM 03.38 or UCS-2 */
  params_add(&p, "encoding", msg->encoding == SMSMUX_ENC_UCS2 ? "4" : "3");
  params_add(&p, "hdsend", hdsend);
  if (msg->from != NULL && *msg->from != '\0')
    params_add(&p, "sender", msg->from);
  params_add(&p, "type", msg->kind == SMSMUX_KIND_VOICE ? voice : "sms");
  params_add(&p, "duplicates", duplicates);
  params_add(&p, "recipients", recipients);
  if (msg->ref != NULL)
    h->log(call, SMSMUX_LOG_DEBUG,
           "Clever SendPush takes no client reference: --ref stays local");

  rc = clever_get(cl, call, "/SendPush/", &p, 1, "the push", &ans);
  if (rc < 0 && ans.status == 400) {
    /* The document has no "not enough credit" answer: a refused push
       (400) from an account whose credit cannot pay one unit per SMS is
       reported as a credit error, so that the router tries the next
       provider.  Anything else stays the 400 it was. */
    /* (a failure of InfosAccount is overwritten below) */
    clever_answer acc;
    double credit = -1;
    double needed = (double)(msg->segments > 0 ? msg->segments : 1) *
                    (double)msg->n_to;
    if (account_credit(cl, call, &acc, &credit) == 0 && credit >= 0 &&
        credit < needed)
      return h->fail(call, SMSMUX_ERR_CREDIT, "HTTP 400",
                     "Clever refused the push (HTTP 400) and the account "
                     "has %g credit left: not enough credit",
                     credit);
    return answer_fail_status(cl, call, &ans, 1, "the push");
  }
  if (rc < 0)
    return -1;
  if (rc > 0)
    return h->fail(call, SMSMUX_ERR_UNKNOWN_OUTCOME,
                   h->strf(call, "%ld", ans.status),
                   "Clever answered %ld (no content) to the push: it may "
                   "have been created",
                   ans.status);

  ref = pairs_get(ans.pairs, ans.n, "reference");
  if (ref != NULL && *ref != '\0')
    h->set_message_id(call, ref);
  else
    h->log(call, SMSMUX_LOG_WARNING,
           "Clever created the push but gave no reference: status and "
           "replies will not find it");
  n_dest = pairs_get(ans.pairs, ans.n, "nb_destination");
  if (h->parse_uint(n_dest, 0, ULLONG_MAX, &count) == 0 &&
      count != msg->n_to)
    h->log(call, SMSMUX_LOG_WARNING,
           "Clever counts %s recipients in the push, smsmux sent %zu", n_dest,
           msg->n_to);
  st = msg->at > (int64_t)time(NULL) ? SMSMUX_STATUS_SCHEDULED
                                     : SMSMUX_STATUS_ACCEPTED;
  for (i = 0; i < msg->n_to; i++)
    h->add_recipient(call, msg->to[i], st, NULL,
                     h->strf(call, "%ld", ans.status), NULL);
  return 0;
}

/* ----------------------------------------------------------- status ---- */

/** InfosPush of push `id`: one record of its pairs (push-info), or one
    status of the whole push (status). */
static int push_info(const clever *cl, smsmux_call *call, const char *id,
                     clever_answer *ans)
{
  int rc = push_get(cl, call, "/InfosPush/", id, ans);

  if (rc > 0)
    return cl->host->fail(call, SMSMUX_ERR_INVALID, "HTTP 204",
                          "Clever has nothing on push %s (no content)", id);
  return rc;
}

/** The status of the push as a whole, from InfosPush: when no recipient
    has an acknowledgement yet (a scheduled push). */
static int status_of_push(const clever *cl, smsmux_call *call, const char *id)
{
  const smsmux_host *h = cl->host;
  const smsmux_status_map *m;
  clever_answer ans;
  smsmux_status_record rec;
  const char *code, *hd_send;
  int64_t when;

  if (push_info(cl, call, id, &ans) != 0)
    return -1;
  code = pairs_get(ans.pairs, ans.n, "status");
  hd_send = pairs_get(ans.pairs, ans.n, "hd_send");
  m = h->status_lookup(clever_delivery_statuses, code);
  memset(&rec, 0, sizeof rec);
  rec.size = sizeof rec;
  rec.to = NULL;
  rec.code = code != NULL ? code : "";
  rec.at = hd_send != NULL && *hd_send != '\0' ? hd_send : NULL;
  when = parse_date(hd_send);
  if (m != NULL) {
    rec.status = m->status;
    rec.text = m->text;
  } else if (when > (int64_t)time(NULL)) {
    /* a push whose hd_send is still ahead is waiting for it; the
       document names no status code for that */
    rec.status = SMSMUX_STATUS_SCHEDULED;
    rec.text = "waiting for hd_send";
  } else {
    rec.status = SMSMUX_STATUS_UNKNOWN;
    rec.text = "push status not in the Clever document";
  }
  h->add_status(call, &rec);
  return 0;
}

static int clever_status(void *state, smsmux_call *call, const char *id)
{
  const clever *cl = state;
  const smsmux_host *h = cl->host;
  clever_answer ans;
  clever_record *recs;
  size_t n, i, added = 0;
  int rc;

  if (id == NULL || *id == '\0')
    return h->fail(call, SMSMUX_ERR_INVALID, NULL, "no push reference given");
  rc = push_get(cl, call, "/DeliveriesPush/", id, &ans);
  if (rc < 0)
    return -1;
  n = rc == 0 ? answer_records(cl, call, &ans, &recs) : 0;
  for (i = 0; i < n; i++) {
    const smsmux_kv *kv = recs[i].kv;
    size_t nk = recs[i].n;
    const char *to = pairs_get(kv, nk, "recipient");
    const char *code = pairs_get(kv, nk, "status");
    const char *sent = pairs_get(kv, nk, "date_send");
    const char *recv = pairs_get(kv, nk, "date_receive");
    const smsmux_status_map *m;
    smsmux_status_record rec;

    if (to == NULL || *to == '\0' || code == NULL)
      return h->fail(call, SMSMUX_ERR_TEMPORARY, NULL,
                     "Clever sent an acknowledgement of push %s without "
                     "recipient or status: \"%s\"",
                     id, h->excerpt(call, ans.resp.body, ans.resp.body_len));
    m = h->status_lookup(clever_delivery_statuses, code);
    memset(&rec, 0, sizeof rec);
    rec.size = sizeof rec;
    rec.to = h->number_normalise(call, to);
    rec.status = m != NULL ? m->status : SMSMUX_STATUS_UNKNOWN;
    rec.code = code;
    rec.text = m != NULL ? m->text : "status not in the Clever document";
    rec.at = recv != NULL && *recv != '\0'
                 ? recv
                 : (sent != NULL && *sent != '\0' ? sent : NULL);
    h->add_status(call, &rec);
    added++;
  }
  if (added > 0)
    return 0;
  h->log(call, SMSMUX_LOG_DEBUG,
         "DeliveriesPush has no acknowledgement for %s; asking InfosPush", id);
  return status_of_push(cl, call, id);
}

/* ---------------------------------------------------------- balance ---- */

static int clever_balance(void *state, smsmux_call *call)
{
  const clever *cl = state;
  const smsmux_host *h = cl->host;
  clever_answer ans;
  double credit;
  int rc = account_credit(cl, call, &ans, &credit);

  if (rc < 0)
    return -1;
  if (rc == 0) {
    h->set_balance(call, credit, "credits");
    return 0;
  }
  return h->fail(call, SMSMUX_ERR_TEMPORARY, NULL,
                 "Clever sent account information without a readable "
                 "credit: \"%s\"",
                 h->excerpt(call, ans.resp.body, ans.resp.body_len));
}

/* ---------------------------------------------------------- replies ---- */

typedef struct clever_mo {
  smsmux_reply r;
  size_t order; /* position in the answer: ties keep it */
} clever_mo;

/* newest first by date_receive (Y-m-d H:i:s sorts as text) */
static int mo_newest_first(const void *a, const void *b)
{
  const clever_mo *x = a, *y = b;
  int c = strcmp(y->r.at != NULL ? y->r.at : "", x->r.at != NULL ? x->r.at
                                                                  : "");
  if (c != 0)
    return c;
  return x->order < y->order ? -1 : x->order > y->order;
}

static int clever_replies(void *state, smsmux_call *call,
                          const smsmux_reply_query *q)
{
  const clever *cl = state;
  const smsmux_host *h = cl->host;
  const char *id = NULL;
  unsigned start = 0, count = 0;
  int64_t since = 0, until = 0;
  clever_answer ans;
  clever_record *recs;
  clever_mo *mos;
  size_t n, i, n_mo = 0, shown = 0;
  int rc;

  if (q != NULL)
    id = q->id;
  if (q != NULL && SMSMUX_HAS_MEMBER(q, smsmux_reply_query, until)) {
    start = q->start;
    count = q->count;
    since = q->since;
    until = q->until;
  }
  /* MosPush answers per push: "reference" is its one parameter */
  if (id == NULL || *id == '\0')
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "Clever lists the replies of one push: give its "
                   "reference (smsmux replies --provider P REFERENCE)");
  rc = push_get(cl, call, "/MosPush/", id, &ans);
  if (rc < 0)
    return -1;
  if (rc > 0)
    return 0; /* 204: "il n'y a pas de MO's" */

  n = answer_records(cl, call, &ans, &recs);
  mos = h->alloc(call, (n + 1) * sizeof *mos);
  if (mos == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  for (i = 0; i < n; i++) {
    const smsmux_kv *kv = recs[i].kv;
    size_t nk = recs[i].n;
    const char *from = pairs_get(kv, nk, "recipient");
    const char *text = pairs_get(kv, nk, "message");
    const char *at = pairs_get(kv, nk, "date_receive");
    int64_t t = parse_date(at);
    clever_mo *mo;

    if (from == NULL || *from == '\0' || text == NULL)
      return h->fail(call, SMSMUX_ERR_TEMPORARY, NULL,
                     "Clever sent a reply to push %s without recipient or "
                     "message: \"%s\"",
                     id, h->excerpt(call, ans.resp.body, ans.resp.body_len));
    /* MosPush has no date or paging parameters: smsmux filters here */
    if ((since != 0 && t >= 0 && t < since) ||
        (until != 0 && t >= 0 && t > until))
      continue;
    mo = &mos[n_mo];
    memset(mo, 0, sizeof *mo);
    mo->order = n_mo++;
    mo->r.size = sizeof mo->r;
    mo->r.from = h->number_normalise(call, from); /* "Qui répond" */
    mo->r.to = NULL;
    mo->r.text = text;
    mo->r.at = at != NULL && *at != '\0' ? at : NULL;
    mo->r.id = NULL; /* the document gives an MO no id of its own */
    mo->r.message_id = id;
  }
  qsort(mos, n_mo, sizeof *mos, mo_newest_first);
  for (i = start; i < n_mo && (count == 0 || shown < count); i++, shown++)
    h->add_reply(call, &mos[i].r);
  return 0;
}

/* ------------------------------------------------------- operations ---- */

/** Every pair of an answer as one result record, in the answer's order. */
static void answer_record(const clever *cl, smsmux_call *call,
                          const clever_answer *ans)
{
  size_t i;

  cl->host->begin_record(call);
  for (i = 0; i < ans->n; i++)
    cl->host->add_result(call, ans->pairs[i].key, ans->pairs[i].value);
}

static int clever_call(void *state, smsmux_call *call, const char *op,
                       const smsmux_kv *params, size_t n_params)
{
  const clever *cl = state;
  const smsmux_host *h = cl->host;
  clever_answer ans;
  int rc;

  if (op != NULL && strcmp(op, "account-info") == 0) {
    rc = clever_get(cl, call, "/InfosAccount/", NULL, 0,
                    "the account information", &ans);
    if (rc < 0)
      return -1;
    answer_record(cl, call, &ans);
    return 0;
  }
  if (op != NULL && strcmp(op, "push-info") == 0) {
    /* the host has checked that reference is given */
    const char *ref = pairs_get(params, n_params, "reference");
    const smsmux_status_map *m;
    if (push_info(cl, call, ref, &ans) != 0)
      return -1;
    answer_record(cl, call, &ans);
    /* the document's wording for the push status, which the answer only
       gives as a number */
    m = h->status_lookup(clever_delivery_statuses,
                         pairs_get(ans.pairs, ans.n, "status"));
    if (m != NULL)
      h->add_result(call, "status_text", m->text);
    return 0;
  }
  return h->fail(call, SMSMUX_ERR_UNSUPPORTED, NULL,
                 "Clever FrontalHttpMultimedias has no operation %s",
                 op != NULL ? op : "(none)");
}
