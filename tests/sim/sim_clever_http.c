/* sim_clever_http.c - Clever FrontalHttpMultimedias (../shared/providers/
 * clever-http-frontal.txt) for smsmux-sim, served under /clever-http/.
 *
 * Five GET requests (POST with a form body works too): InfosAccount,
 * SendPush, InfosPush, DeliveriesPush and MosPush, each at
 * /clever-http/<Name>/ (the trailing slash of the document's URLs, or
 * none), authenticated by the `login` and `pwd` parameters.  Answers are
 * `key=value&...` text in UTF-8 with the quotes the document prints: "
 * for InfosAccount, » for the push requests; the HTTP status is the
 * document's (200, 201, 204, 400, 401, 404, 500) and the body starts
 * with request_status=<the same>.
 *
 * What the document leaves open is decided here and written down in
 * docs/providers/clever-http.md ("Simulator"). */
#include "config.h"

#include "sim.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TEXT_UTF8 "text/plain; charset=UTF-8"
#define Q "\xC2\xBB" /* », the document's quote of the push answers */

#define MAX_TEXT 1000     /* "sa longueur maximale est de 1000 caractères" */
#define MAX_RECIPIENTS 100 /* "le nombre maximum est de 100 destinataires" */
#define MAX_SENDER 11     /* "longueur maximal 11 caractères" */
#define UNITS_PER_SMS 7   /* the example: 2 recipients x 1 SMS = units 14 */
#define DEFAULT_CREDIT 10000

/* Message statuses of DeliveriesPush; WAITING is the simulator's own (a
   push waiting for its hdsend), never shown in DeliveriesPush. */
enum {
  ST_WAITING = 1,
  ST_OPERATOR = 2, /* SMS livré à l'opérateur */
  ST_RECEIVED = 3, /* SMS reçu par le GSM */
  ST_ERROR = 4,    /* Erreur dans l'envoi */
  ST_REPLIED = 5,  /* Réponses GSM */
  ST_NOT_DELIVERED = 6, /* Message non délivré */
};

/* ------------------------------------------------------------------ model */

struct account {
  char *login, *password; /* UTF-8, compared byte for byte */
  long long credit;       /* units */
  int document_layout;    /* records run together as the document prints */
  /* InfosAccount's fields */
  char *name, *lastname, *email, *telephone, *date_creation, *date_expiration;
  char *company_name, *address, *zip_code, *city, *country;
  struct account *next;
};

struct recipient {
  char *number; /* +33... as DeliveriesPush shows it */
  int status;   /* ST_* */
  time_t sent, received; /* 0 = not yet */
};

struct push {
  char *reference;
  struct account *acct;
  char *text;   /* UTF-8 */
  int encoding; /* 3 or 4 */
  char *sender; /* NULL when none */
  char *type;   /* sms, tts, vocal (lower case) */
  int duplicates;
  time_t created, hdsend; /* hdsend 0: none */
  unsigned nb_sms, units;
  struct recipient *rcpt;
  size_t n_rcpt;
  struct push *next; /* newest first */
};

struct mo {
  struct account *acct;
  char *reference;
  char *from; /* +33... */
  char *text;
  time_t at;
  struct mo *next; /* in arrival order */
};

struct clever {
  struct account *accounts;
  struct push *pushes;
  struct mo *mos;
  time_t last_ref; /* references are Push<YmdHis>, one second apart at least */
};

/* --------------------------------------------------------------- freeing */

static void account_free(struct account *a)
{
  free(a->login), free(a->password);
  free(a->name), free(a->lastname), free(a->email), free(a->telephone);
  free(a->date_creation), free(a->date_expiration), free(a->company_name);
  free(a->address), free(a->zip_code), free(a->city), free(a->country);
  free(a);
}

static void push_free(struct push *p)
{
  for (size_t i = 0; i < p->n_rcpt; i++)
    free(p->rcpt[i].number);
  free(p->rcpt);
  free(p->reference), free(p->text), free(p->sender), free(p->type);
  free(p);
}

static void mo_free(struct mo *m)
{
  free(m->reference), free(m->from), free(m->text);
  free(m);
}

static void state_clear(struct clever *st)
{
  while (st->pushes) {
    struct push *p = st->pushes;
    st->pushes = p->next;
    push_free(p);
  }
  while (st->mos) {
    struct mo *m = st->mos;
    st->mos = m->next;
    mo_free(m);
  }
  while (st->accounts) {
    struct account *a = st->accounts;
    st->accounts = a->next;
    account_free(a);
  }
}

/* ------------------------------------------------------------------ dates */

/* "Y-m-d H:i:s" in local time. */
static void date_format(time_t t, char *out, size_t len)
{
  struct tm tm;
  if (t == 0 || !localtime_r(&t, &tm) ||
      strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
    out[0] = '\0';
}

/* Parse "Y-m-d H:i:s" exactly (a real local date).  0 or -1. */
static int date_parse(const char *s, time_t *out)
{
  static const char shape[] = "9999-99-99 99:99:99";
  struct tm tm;
  int y, mo, d, h, mi, se;

  if (strlen(s) != sizeof shape - 1)
    return -1;
  for (size_t i = 0; shape[i]; i++)
    if (shape[i] == '9' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
      return -1;
  if (sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &se) != 6)
    return -1;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
  tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = se;
  tm.tm_isdst = -1;
  time_t t = mktime(&tm);
  if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 ||
      tm.tm_mday != d || tm.tm_min != mi || tm.tm_sec != se)
    return -1;
  *out = t;
  return 0;
}

/* --------------------------------------------------------------- accounts */

static struct account *account_find(struct clever *st, const char *login)
{
  for (struct account *a = st->accounts; a; a = a->next)
    if (strcmp(a->login, login) == 0)
      return a;
  return NULL;
}

/* A new account with a plain profile (its login everywhere). */
static struct account *account_add(struct clever *st, const char *login,
                                   const char *password, long long credit)
{
  struct account *a = sim_xcalloc(1, sizeof *a);
  a->login = sim_xstrdup(login);
  a->password = sim_xstrdup(password);
  a->credit = credit;
  a->name = sim_xstrdup(login);
  a->lastname = sim_xstrdup("");
  a->email = sim_xasprintf("%s@example.org", login);
  a->telephone = sim_xstrdup("+33100000000");
  a->date_creation = sim_xstrdup("2024-01-01 00:00:00");
  a->date_expiration = sim_xstrdup("2040-01-01 00:00:00");
  a->company_name = sim_xstrdup("smsmux-sim");
  a->address = sim_xstrdup("1 rue de la Simulation");
  a->zip_code = sim_xstrdup("75001");
  a->city = sim_xstrdup("Paris");
  a->country = sim_xstrdup("France");
  struct account **tail = &st->accounts;
  while (*tail)
    tail = &(*tail)->next;
  *tail = a;
  return a;
}

static void set_str(char **field, const char *value)
{
  free(*field);
  *field = sim_xstrdup(value);
}

static time_t date_of(const char *s)
{
  time_t t = 0;
  if (date_parse(s, &t) != 0)
    abort(); /* a constant of this file */
  return t;
}

static struct push *push_new(struct account *a, const char *reference,
                             const char *text, const char *sender,
                             size_t n_rcpt)
{
  struct push *p = sim_xcalloc(1, sizeof *p);
  p->reference = sim_xstrdup(reference);
  p->acct = a;
  p->text = sim_xstrdup(text);
  p->encoding = 3;
  p->sender = sender ? sim_xstrdup(sender) : NULL;
  p->type = sim_xstrdup("sms");
  p->rcpt = sim_xcalloc(n_rcpt, sizeof *p->rcpt);
  p->n_rcpt = n_rcpt;
  return p;
}

/* The accounts of docs/providers/clever-http.md.  compte_test is the
   document's: its profile and two pushes are those of its examples, and
   it answers lists with records run together as the document prints them. */
static void builtin_accounts(struct clever *st)
{
  struct account *a = account_add(st, "compte_test", "T123456\xC3\xA7", 8888);
  a->document_layout = 1;
  set_str(&a->name, "Clever");
  set_str(&a->lastname, "Tec");
  set_str(&a->email, "support@clever.fr");
  set_str(&a->telephone, "+33160536053");
  set_str(&a->date_creation, "2017-02-10 09:49:21");
  set_str(&a->date_expiration, "2033-02-10 09:49:21");
  set_str(&a->company_name, "Clever Technologies - IS");
  set_str(&a->address, "52 rue d'emera\xC3\xAFville");
  set_str(&a->zip_code, "77183");
  set_str(&a->city, "Croissy");
  set_str(&a->country, "France");

  /* InfosPush and DeliveriesPush examples */
  struct push *p = push_new(a, "Push20171123173102", "test", "clever", 2);
  p->created = date_of("2017-11-23 17:31:02");
  p->nb_sms = 1;
  p->units = 14;
  p->rcpt[0].number = sim_xstrdup("+33600000001");
  p->rcpt[0].status = ST_ERROR;
  p->rcpt[1].number = sim_xstrdup("+33600112233");
  p->rcpt[1].status = ST_RECEIVED;
  for (size_t i = 0; i < 2; i++) {
    p->rcpt[i].sent = date_of("2017-11-23 17:31:08");
    p->rcpt[i].received = date_of("2017-11-23 17:32:04");
  }
  /* MosPush example; the push itself is not in the document: its text and
     dates are the simulator's */
  struct push *q = push_new(a, "Push20171127162824", "Votre avis ?", "clever", 1);
  q->created = date_of("2017-11-27 16:28:24");
  q->nb_sms = 1;
  q->units = UNITS_PER_SMS;
  q->rcpt[0].number = sim_xstrdup("+33651028452");
  q->rcpt[0].status = ST_REPLIED;
  q->rcpt[0].sent = date_of("2017-11-27 16:28:30");
  q->rcpt[0].received = date_of("2017-11-27 16:28:40");
  p->next = q;
  st->pushes = p; /* newest first */
  struct mo *m = sim_xcalloc(1, sizeof *m);
  m->acct = a;
  m->reference = sim_xstrdup("Push20171127162824");
  m->from = sim_xstrdup("+33651028452");
  m->text = sim_xstrdup("Yacine");
  m->at = date_of("2017-11-27 16:28:53");
  st->mos = m;

  account_add(st, "demo", "demo-password", DEFAULT_CREDIT);
  account_add(st, "poor", "poor-password", 0);
}

/* ---------------------------------------------------------------- answers */

static const char *status_message(int code)
{
  switch (code) {
  case 200: return "Ok";
  case 201: return "Created";
  case 204: return "No Content";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 404: return "Not Found";
  case 500: return "Internal Server Error";
  default: return "Error";
  }
}

/* HTTP `code` with `request_status=<code>&message="<why>"` (the document
   shows no error body; this one says what went wrong). */
static void answer_error(struct sim_response *resp, int code, const char *why)
{
  if (code == 204) {
    sim_respond(resp, 204, TEXT_UTF8, "", 0);
    return;
  }
  sim_respondf(resp, (unsigned)code, TEXT_UTF8,
               "request_status=%d&message=\"%s\"", code,
               why ? why : status_message(code));
}

/* ---------------------------------------------------------------- numbers */

static int all_digits(const char *s)
{
  if (!*s)
    return 0;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s))
      return 0;
  return 1;
}

/* 0033600000001 (the document's form), +33600000001 or a French national
   0600000001, to +33600000001; NULL when it is none of them. */
static char *number_normalise(const char *s)
{
  size_t n = strlen(s);
  if (n >= 10 && n <= 17 && s[0] == '0' && s[1] == '0' && s[2] != '0' &&
      all_digits(s))
    return sim_xasprintf("+%s", s + 2);
  if (n >= 9 && n <= 16 && s[0] == '+' && s[1] != '0' && all_digits(s + 1))
    return sim_xstrdup(s);
  if (n == 10 && s[0] == '0' && s[1] != '0' && all_digits(s))
    return sim_xasprintf("+33%s", s + 1);
  return NULL;
}

/* ------------------------------------------------------------------ text */

/* Characters (code points) of UTF-8 `s`; *units gets what the text costs
   in its encoding: GSM septets (the extension characters count double)
   for 3, UTF-16 units for 4. */
static size_t text_measure(const char *s, int encoding, size_t *units)
{
  const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
  size_t chars = 0, u = 0;
  while (p < end) {
    uint32_t cp = sim_utf8_next(&p, end);
    chars++;
    if (encoding == 4)
      u += cp > 0xFFFF ? 2 : 1;
    else
      u += (cp == 0x20AC || (cp < 0x80 && cp && strchr("{|}~[\\]^", (int)cp)))
               ? 2 : 1;
  }
  *units = u;
  return chars;
}

static unsigned sms_count(size_t units, int encoding)
{
  size_t one = encoding == 4 ? 70 : 160, many = encoding == 4 ? 67 : 153;
  if (units <= one)
    return 1;
  return (unsigned)((units + many - 1) / many);
}

/* ------------------------------------------------------------- the pushes */

static struct push *push_find(struct clever *st, const char *reference)
{
  for (struct push *p = st->pushes; p; p = p->next)
    if (strcmp(p->reference, reference) == 0)
      return p;
  return NULL;
}

/* Push<YmdHis> of now, or of one second after the last one handed out. */
static char *new_reference(struct clever *st)
{
  time_t t = time(NULL);
  char buf[32];
  struct tm tm;
  if (t <= st->last_ref)
    t = st->last_ref + 1;
  for (;; t++) {
    localtime_r(&t, &tm);
    strftime(buf, sizeof buf, "Push%Y%m%d%H%M%S", &tm);
    if (!push_find(st, buf))
      break;
  }
  st->last_ref = t;
  return sim_xstrdup(buf);
}

/* "is <push> waiting for its hdsend" */
static int push_waiting(const struct push *p)
{
  return p->n_rcpt > 0 && p->rcpt[0].status == ST_WAITING;
}

/* A quoted value of a push answer: »v»; bare and empty when NULL. */
static void add_quoted(struct sim_buf *b, const char *key, const char *v)
{
  if (v)
    sim_buf_addf(b, "&%s=" Q "%s" Q, key, v);
  else
    sim_buf_addf(b, "&%s=", key);
}

/* -------------------------------------------------------------- endpoints */

static void ep_infos_account(struct clever *st, struct account *a,
                             const struct sim_request *req,
                             struct sim_response *resp)
{
  (void)st;
  (void)req;
  /* the document's answer, field for field, its quotes included */
  sim_respondf(resp, 200, TEXT_UTF8,
               "request_status=200&name=\"%s\"&lastname=\"%s\"&email=\"%s\""
               "&telephone=\"%s\"&credit=%lld&date_creation=\"%s\""
               "&date_expiration=\"%s\"&company_name=\"%s\"&address=\"%s\""
               "&zip_code=%s&city=\"%s\"&country=\"%s\"",
               a->name, a->lastname, a->email, a->telephone, a->credit,
               a->date_creation, a->date_expiration, a->company_name,
               a->address, a->zip_code, a->city, a->country);
}

static void ep_send_push(struct clever *st, struct account *a,
                         const struct sim_request *req,
                         struct sim_response *resp)
{
  const char *text = sim_param(req, "text");
  const char *encoding = sim_param_nonempty(req, "encoding");
  const char *recipients = sim_param_nonempty(req, "recipients");
  const char *hdsend = sim_param_nonempty(req, "hdsend");
  const char *sender = sim_param_nonempty(req, "sender");
  const char *type = sim_param_nonempty(req, "type");
  const char *duplicates = sim_param_nonempty(req, "duplicates");
  time_t at = 0;
  size_t units;

  if (!text || !*text) {
    answer_error(resp, 400, "text is missing");
    return;
  }
  if (!encoding || (strcmp(encoding, "3") != 0 && strcmp(encoding, "4") != 0)) {
    answer_error(resp, 400, "encoding must be 3 or 4");
    return;
  }
  int enc = encoding[0] - '0';
  if (text_measure(text, enc, &units) > MAX_TEXT) {
    answer_error(resp, 400, "text is longer than 1000 characters");
    return;
  }
  if (!recipients) {
    answer_error(resp, 400, "recipients is missing");
    return;
  }
  if (hdsend && date_parse(hdsend, &at) != 0) {
    answer_error(resp, 400, "hdsend is not Y-m-d H:i:s");
    return;
  }
  if (sender && strlen(sender) > MAX_SENDER) {
    answer_error(resp, 400, "sender is longer than 11 characters");
    return;
  }
  /* "par défaut : SMS, sinon : TTS ou vocal" */
  if (type && strcasecmp(type, "sms") != 0 && strcasecmp(type, "tts") != 0 &&
      strcasecmp(type, "vocal") != 0) {
    answer_error(resp, 400, "type must be sms, tts or vocal");
    return;
  }
  if (duplicates && strcmp(duplicates, "0") != 0 && strcmp(duplicates, "1") != 0) {
    answer_error(resp, 400, "duplicates must be 0 or 1");
    return;
  }
  int dup = duplicates && duplicates[0] == '1';

  /* recipients: comma-separated; repeats dropped unless duplicates=1 */
  char **nums = NULL;
  size_t n = 0, cap = 0;
  const char *s = recipients;
  int bad = 0;
  while (!bad) {
    size_t len = strcspn(s, ",");
    char *one = sim_xstrndup(s, len);
    char *num = number_normalise(one);
    free(one);
    if (!num) {
      bad = 1;
      break;
    }
    int seen = 0;
    for (size_t i = 0; i < n && !dup && !seen; i++)
      seen = strcmp(nums[i], num) == 0;
    if (seen) {
      free(num);
    } else {
      if (n == cap) {
        cap = cap ? cap * 2 : 8;
        nums = sim_xrealloc(nums, cap * sizeof *nums);
      }
      nums[n++] = num;
    }
    if (!s[len])
      break;
    s += len + 1;
  }
  if (bad || n > MAX_RECIPIENTS) {
    for (size_t i = 0; i < n; i++)
      free(nums[i]);
    free(nums);
    answer_error(resp, 400, bad ? "a recipient is not a phone number"
                                : "more than 100 recipients");
    return;
  }

  unsigned nb_sms = sms_count(units, enc);
  unsigned cost = UNITS_PER_SMS * nb_sms * (unsigned)n;
  if (a->credit < (long long)cost) {
    for (size_t i = 0; i < n; i++)
      free(nums[i]);
    free(nums);
    /* the document has no answer for this: a refused request (400) */
    answer_error(resp, 400, "Cr\xC3\xA9" "dit insuffisant");
    return;
  }
  a->credit -= cost;

  char *ref = new_reference(st);
  struct push *p = push_new(a, ref, text, sender, n);
  free(ref);
  free(p->type);
  p->type = sim_xstrdup(type ? type : "sms");
  for (char *c = p->type; *c; c++)
    *c = (char)tolower((unsigned char)*c);
  p->encoding = enc;
  p->duplicates = dup;
  p->created = time(NULL);
  p->hdsend = hdsend ? at : 0;
  p->nb_sms = nb_sms;
  p->units = cost;
  int waiting = hdsend && at > p->created;
  for (size_t i = 0; i < n; i++) {
    p->rcpt[i].number = nums[i];
    p->rcpt[i].status = waiting ? ST_WAITING : ST_OPERATOR;
    p->rcpt[i].sent = waiting ? 0 : p->created;
  }
  free(nums);
  p->next = st->pushes;
  st->pushes = p;

  char hd[32];
  date_format(p->hdsend, hd, sizeof hd);
  struct sim_buf b = { 0 };
  sim_buf_addf(&b, "request_status=201&reference=" Q "%s" Q
                   "&nb_destination=%zu&encodage=%d",
               p->reference, p->n_rcpt, p->encoding);
  add_quoted(&b, "hd_send", p->hdsend ? hd : NULL);
  add_quoted(&b, "type_push", p->type);
  sim_buf_addf(&b, "&units=%u&nb_sms=%u&duplicates=%d", p->units, p->nb_sms,
               p->duplicates);
  size_t len;
  char *body = sim_buf_take(&b, &len);
  sim_respond(resp, 201, TEXT_UTF8, body, len);
  free(body);
}

/* The push `reference` names, of account `a`; NULL after answering
   `missing` (InfosPush lists no 404: 400 there). */
static struct push *push_of(struct clever *st, struct account *a,
                            const struct sim_request *req, int missing,
                            struct sim_response *resp)
{
  const char *ref = sim_param_nonempty(req, "reference");
  if (!ref) {
    answer_error(resp, 400, "reference is missing");
    return NULL;
  }
  struct push *p = push_find(st, ref);
  if (!p || p->acct != a) {
    answer_error(resp, missing, "unknown reference");
    return NULL;
  }
  return p;
}

static void ep_infos_push(struct clever *st, struct account *a,
                          const struct sim_request *req,
                          struct sim_response *resp)
{
  struct push *p = push_of(st, a, req, 400, resp);
  if (!p)
    return;
  char hd[32];
  date_format(p->hdsend, hd, sizeof hd);
  struct sim_buf b = { 0 };
  /* as the example: no duplicates field, although the list names one */
  sim_buf_addf(&b, "request_status=200&reference=" Q "%s" Q
                   "&nb_destination=%zu&status=%d",
               p->reference, p->n_rcpt,
               push_waiting(p) ? ST_WAITING : ST_OPERATOR);
  add_quoted(&b, "short_code", p->sender);
  sim_buf_addf(&b, "&encodage=%d", p->encoding);
  add_quoted(&b, "hd_send", p->hdsend ? hd : NULL);
  add_quoted(&b, "type_push", p->type);
  sim_buf_addf(&b, "&units=%u&nb_sms=%u", p->units, p->nb_sms);
  size_t len;
  char *body = sim_buf_take(&b, &len);
  sim_respond(resp, 200, TEXT_UTF8, body, len);
  free(body);
}

static void ep_deliveries_push(struct clever *st, struct account *a,
                               const struct sim_request *req,
                               struct sim_response *resp)
{
  struct push *p = push_of(st, a, req, 404, resp);
  if (!p)
    return;
  const char *sep = a->document_layout ? " " : "\n";
  struct sim_buf b = { 0 };
  sim_buf_adds(&b, "request_status=200");
  for (size_t i = 0; i < p->n_rcpt; i++) {
    const struct recipient *r = &p->rcpt[i];
    char sent[32], recv[32];
    if (r->status == ST_WAITING)
      continue; /* nothing to acknowledge yet */
    date_format(r->sent, sent, sizeof sent);
    date_format(r->received, recv, sizeof recv);
    sim_buf_addf(&b, "%smessage=" Q "%s" Q "&typemessage=" Q "%s" Q
                     "&date_send=" Q "%s" Q "&date_receive=" Q "%s" Q
                     "&recipient=" Q "%s" Q "&status=" Q "%d" Q,
                 sep, p->text, p->type, sent, recv, r->number, r->status);
  }
  size_t len;
  char *body = sim_buf_take(&b, &len);
  sim_respond(resp, 200, TEXT_UTF8, body, len);
  free(body);
}

static void ep_mos_push(struct clever *st, struct account *a,
                        const struct sim_request *req,
                        struct sim_response *resp)
{
  struct push *p = push_of(st, a, req, 404, resp);
  if (!p)
    return;
  const char *sep = a->document_layout ? " " : "\n";
  struct sim_buf b = { 0 };
  size_t n = 0;
  sim_buf_adds(&b, "request_status=200");
  for (const struct mo *m = st->mos; m; m = m->next) {
    char at[32];
    if (m->acct != a || strcmp(m->reference, p->reference) != 0)
      continue;
    date_format(m->at, at, sizeof at);
    sim_buf_addf(&b, "%smessage=" Q "%s" Q "&date_receive=" Q "%s" Q
                     "&recipient=" Q "%s" Q "&status=" Q "%d" Q,
                 sep, m->text, at, m->from, ST_REPLIED);
    n++;
  }
  if (n == 0) { /* "il n'y a pas de MO's" */
    sim_buf_free(&b);
    sim_respond(resp, 204, TEXT_UTF8, "", 0);
    return;
  }
  size_t len;
  char *body = sim_buf_take(&b, &len);
  sim_respond(resp, 200, TEXT_UTF8, body, len);
  free(body);
}

typedef void (*endpoint_fn)(struct clever *, struct account *,
                            const struct sim_request *, struct sim_response *);

static const struct {
  const char *name;
  endpoint_fn run;
} endpoints[] = {
  { "InfosAccount", ep_infos_account },
  { "SendPush", ep_send_push },
  { "InfosPush", ep_infos_push },
  { "DeliveriesPush", ep_deliveries_push },
  { "MosPush", ep_mos_push },
};

static void clever_handle(void *state, const struct sim_request *req,
                          struct sim_response *resp)
{
  struct clever *st = state;
  size_t len = strlen(req->subpath);
  if (len > 0 && req->subpath[len - 1] == '/')
    len--; /* "/InfosAccount/" as the document writes it, or without '/' */
  for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
    if (strlen(endpoints[i].name) != len ||
        strncmp(endpoints[i].name, req->subpath, len) != 0)
      continue;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0) {
      sim_respondf(resp, 405, "text/plain", "GET or POST only\n");
      return;
    }
    const char *login = sim_param_nonempty(req, "login");
    const char *pwd = sim_param_nonempty(req, "pwd");
    if (!login || !pwd) {
      answer_error(resp, 400, login ? "pwd is missing" : "login is missing");
      return;
    }
    struct account *a = account_find(st, login);
    if (!a || strcmp(a->password, pwd) != 0) {
      answer_error(resp, 401, "Unauthorized");
      return;
    }
    endpoints[i].run(st, a, req, resp);
    return;
  }
}

static void clever_error_answer(void *state, const struct sim_request *req,
                                int code, struct sim_response *resp)
{
  (void)state;
  (void)req;
  answer_error(resp, code >= 100 && code <= 599 ? code : 500,
               status_message(code));
}

/* Every push's acknowledgements one step on: a push waiting for its
   hdsend goes to the operator (2) once that date is past; 2 becomes 3
   (received), or 4 (error in the sending) for numbers ending in 01, as
   the document's +33600000001, or 6 (not delivered) for numbers ending
   in 06. */
static unsigned clever_advance(void *state)
{
  struct clever *st = state;
  time_t now = time(NULL);
  unsigned changed = 0;
  for (struct push *p = st->pushes; p; p = p->next) {
    for (size_t i = 0; i < p->n_rcpt; i++) {
      struct recipient *r = &p->rcpt[i];
      size_t n = strlen(r->number);
      const char *last2 = n >= 2 ? r->number + n - 2 : "";
      if (r->status == ST_WAITING && p->hdsend <= now) {
        r->status = ST_OPERATOR;
        r->sent = now;
        changed++;
      } else if (r->status == ST_OPERATOR) {
        r->status = strcmp(last2, "01") == 0   ? ST_ERROR
                    : strcmp(last2, "06") == 0 ? ST_NOT_DELIVERED
                                               : ST_RECEIVED;
        r->received = now;
        changed++;
      }
    }
  }
  return changed;
}

/* ------------------------------------------------------------ control API */

static struct json_object *opt_string(const char *s)
{
  return s ? json_object_new_string(s) : NULL;
}

static struct json_object *account_json(struct clever *st, struct account *a)
{
  struct json_object *doc = json_object_new_object();
  size_t pushes = 0;
  for (struct push *p = st->pushes; p; p = p->next)
    pushes += p->acct == a;
  json_object_object_add(doc, "provider", json_object_new_string("clever-http"));
  json_object_object_add(doc, "login", json_object_new_string(a->login));
  json_object_object_add(doc, "credit", json_object_new_int64(a->credit));
  json_object_object_add(doc, "layout",
                         json_object_new_string(a->document_layout ? "document" : "lines"));
  json_object_object_add(doc, "pushes", json_object_new_int64((int64_t)pushes));
  return doc;
}

/* login=L (default: `def`): the account, or NULL after a 404/400. */
static struct account *ctl_account_of(struct clever *st,
                                      const struct sim_request *req,
                                      const char *def, struct sim_response *resp)
{
  const char *login = sim_param_nonempty(req, "login");
  if (!login)
    login = def;
  if (!login) {
    sim_ctl_error(resp, 400, "missing parameter: login");
    return NULL;
  }
  struct account *a = account_find(st, login);
  if (!a)
    sim_ctl_error(resp, 404, "no clever-http account %s", login);
  return a;
}

static void ctl_account_get(void *state, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct clever *st = state;
  struct account *a = ctl_account_of(st, req, NULL, resp);
  if (a)
    sim_respond_json(resp, 200, account_json(st, a));
}

/* POST /_sim/account?provider=clever-http&login=L[&password=P][&credit=N]
   [&layout=lines|document] */
static void ctl_account_set(void *state, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct clever *st = state;
  const char *login = sim_param_nonempty(req, "login");
  const char *password = sim_param_nonempty(req, "password");
  const char *credit_s = sim_param_nonempty(req, "credit");
  const char *layout = sim_param_nonempty(req, "layout");
  long long credit = DEFAULT_CREDIT;
  if (!login) {
    sim_ctl_error(resp, 400, "missing parameter: login");
    return;
  }
  if (credit_s && sim_int_parse(credit_s, &credit) != 0) {
    sim_ctl_error(resp, 400, "credit: a whole number, not '%s'", credit_s);
    return;
  }
  if (layout && strcmp(layout, "lines") != 0 && strcmp(layout, "document") != 0) {
    sim_ctl_error(resp, 400, "layout: lines or document, not '%s'", layout);
    return;
  }
  struct account *a = account_find(st, login);
  if (!a)
    a = account_add(st, login, password ? password : "password", credit);
  else if (password)
    set_str(&a->password, password);
  if (credit_s)
    a->credit = credit;
  if (layout)
    a->document_layout = strcmp(layout, "document") == 0;
  sim_respond_json(resp, 200, account_json(st, a));
}

static struct json_object *push_json(const struct push *p)
{
  struct json_object *doc = json_object_new_object();
  char d[32];
  json_object_object_add(doc, "reference", json_object_new_string(p->reference));
  json_object_object_add(doc, "account", json_object_new_string(p->acct->login));
  json_object_object_add(doc, "text", json_object_new_string(p->text));
  json_object_object_add(doc, "encoding", json_object_new_int(p->encoding));
  json_object_object_add(doc, "sender", opt_string(p->sender));
  json_object_object_add(doc, "type", json_object_new_string(p->type));
  json_object_object_add(doc, "duplicates", json_object_new_int(p->duplicates));
  date_format(p->hdsend, d, sizeof d);
  json_object_object_add(doc, "hdsend", p->hdsend ? json_object_new_string(d) : NULL);
  json_object_object_add(doc, "nb_sms", json_object_new_int((int)p->nb_sms));
  json_object_object_add(doc, "units", json_object_new_int((int)p->units));
  struct json_object *rcpts = json_object_new_array();
  for (size_t i = 0; i < p->n_rcpt; i++) {
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "number", json_object_new_string(p->rcpt[i].number));
    json_object_object_add(o, "status", json_object_new_int(p->rcpt[i].status));
    json_object_array_add(rcpts, o);
  }
  json_object_object_add(doc, "recipients", rcpts);
  return doc;
}

/* GET /_sim/messages?provider=clever-http[&login=L][&reference=R]: the
   pushes, oldest first. */
static void ctl_messages(void *state, const struct sim_request *req,
                         struct sim_response *resp)
{
  struct clever *st = state;
  const char *ref = sim_param_nonempty(req, "reference");
  struct account *only = NULL;
  if (sim_param_nonempty(req, "login")) {
    only = ctl_account_of(st, req, NULL, resp);
    if (!only)
      return;
  }
  size_t n = 0;
  for (struct push *p = st->pushes; p; p = p->next)
    n++;
  const struct push **all = sim_xcalloc(n, sizeof *all);
  n = 0;
  for (struct push *p = st->pushes; p; p = p->next)
    if ((!only || p->acct == only) && (!ref || strcmp(p->reference, ref) == 0))
      all[n++] = p;
  struct json_object *arr = json_object_new_array();
  while (n > 0)
    json_object_array_add(arr, push_json(all[--n]));
  free(all);
  sim_respond_json(resp, 200, arr);
}

/* POST /_sim/reply?provider=clever-http[&login=L]&from=NUM&text=TXT
   [&reference=R][&date=Y-m-d H:i:s]: an MO to push R, or else to the
   latest push of the account sent to NUM.  That recipient's status
   becomes 5 (Réponses GSM). */
static void ctl_reply(void *state, const struct sim_request *req,
                      struct sim_response *resp)
{
  struct clever *st = state;
  struct account *a = ctl_account_of(st, req, "demo", resp);
  if (!a)
    return;
  const char *from = sim_param_nonempty(req, "from");
  const char *text = sim_param(req, "text");
  const char *ref = sim_param_nonempty(req, "reference");
  const char *date = sim_param_nonempty(req, "date");
  time_t at = time(NULL);
  if (!from || !text) {
    sim_ctl_error(resp, 400, "reply wants from=NUM and text=TXT");
    return;
  }
  if (date && date_parse(date, &at) != 0) {
    sim_ctl_error(resp, 400, "date: Y-m-d H:i:s, not '%s'", date);
    return;
  }
  char *number = number_normalise(from);
  if (!number) {
    sim_ctl_error(resp, 400, "from: not a phone number: '%s'", from);
    return;
  }
  struct push *p = NULL;
  struct recipient *r = NULL;
  for (struct push *it = st->pushes; it && !p; it = it->next) {
    if (it->acct != a || (ref && strcmp(it->reference, ref) != 0))
      continue;
    for (size_t i = 0; i < it->n_rcpt && !r; i++)
      if (strcmp(it->rcpt[i].number, number) == 0)
        r = &it->rcpt[i];
    if (r || ref)
      p = it;
  }
  if (!p) {
    free(number);
    sim_ctl_error(resp, 404, ref ? "no push %s for this account"
                                 : "no push of this account was sent to %s",
                  ref ? ref : from);
    return;
  }
  if (r && (r->status == ST_OPERATOR || r->status == ST_RECEIVED)) {
    r->status = ST_REPLIED;
    if (!r->received)
      r->received = at;
  }
  struct mo *m = sim_xcalloc(1, sizeof *m);
  m->acct = a;
  m->reference = sim_xstrdup(p->reference);
  m->from = number;
  m->text = sim_utf8_clean(text, strlen(text));
  m->at = at;
  struct mo **tail = &st->mos;
  while (*tail)
    tail = &(*tail)->next;
  *tail = m;

  char d[32];
  date_format(m->at, d, sizeof d);
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "provider", json_object_new_string("clever-http"));
  json_object_object_add(doc, "reference", json_object_new_string(m->reference));
  json_object_object_add(doc, "from", json_object_new_string(m->from));
  json_object_object_add(doc, "text", json_object_new_string(m->text));
  json_object_object_add(doc, "date_receive", json_object_new_string(d));
  json_object_object_add(doc, "account", json_object_new_string(a->login));
  sim_respond_json(resp, 200, doc);
}

static const struct sim_ctl_op clever_ops[] = {
  { "account", "GET", ctl_account_get },
  { "account", "POST", ctl_account_set },
  { "messages", "GET", ctl_messages },
  { "reply", "POST", ctl_reply },
  { NULL, NULL, NULL },
};

/* ---------------------------------------------------------------- lifecycle */

static void *clever_create(void)
{
  struct clever *st = sim_xcalloc(1, sizeof *st);
  builtin_accounts(st);
  return st;
}

static void clever_reset(void *state)
{
  struct clever *st = state;
  state_clear(st);
  builtin_accounts(st);
}

static void clever_destroy(void *state)
{
  state_clear(state);
  free(state);
}

const struct sim_provider sim_clever_http = {
  .name = "clever-http",
  .prefix = "/clever-http/",
  .create = clever_create,
  .destroy = clever_destroy,
  .reset = clever_reset,
  .handle = clever_handle,
  .error_answer = clever_error_answer,
  .advance = clever_advance,
  .ops = clever_ops,
};
