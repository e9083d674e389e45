/* sim_smsmode.c - the sMsmode HTTP API 1.6 (../shared/providers/
 * smsmode-http.txt) for smsmux-sim, served under /smsmode/.
 *
 * Answers are text/plain in ISO-8859-15 ("code | text | id"), as the real
 * service sends them; state is kept in UTF-8.  What the spec leaves open is
 * decided here and written down in docs/simulator.md ("sMsmode"). */
#include "config.h"

#include "sim.h"

#include <curl/curl.h>

#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TEXT_PLAIN "text/plain; charset=ISO-8859-15"
#define JSON_UTF8 "application/json; charset=UTF-8"

#define GET_MAX_RECIPIENTS 300
#define DEFAULT_NBR_MSG 5
#define MAX_NBR_MSG 20         /* GSM; an upper bound the spec does not give */
#define MAX_UNICODE_SEGMENTS 5 /* "Un maximum de 5 SMS peut être concaténé" */
#define STOP_TEXT " STOP 36034"
#define STOP1_MAX_UNITS 149 /* stop=1 only when the text is at most this long */
#define REPLY_NUMBER "36034" /* the sMsmode number replies reach */
#define ID_LEN 12
#define AUTH_TOKEN_LEN 32
#define MAX_PSEUDO 50
#define MAX_SENDER 11
#define DEFAULT_CREDIT 100000 /* hundredths: 1000 credits */

/* Delivery report codes (compteRendu.do) */
enum {
  ST_SENT = 0,
  ST_SCHEDULED = 10,
  ST_RECEIVED = 11,
  ST_OPERATOR = 13,
  ST_ROUTING = 34,
  ST_RECEPTION = 35,
  ST_INVALID = 3998,
};

/* ------------------------------------------------------------------ model */

struct contact {
  char *nom, *prenom, *mobile, *societe, *other, *date;
  char *groups; /* ",g1,g2," so that ",NAME," finds a member */
  struct contact *next;
};

struct account {
  char *pseudo;
  long long credit; /* hundredths of a credit */
  int postpay;      /* may go below zero */
  char *parent;     /* pseudo of the parent account, or NULL */
  struct json_object *profile; /* createSubAccount's optional fields */
  struct contact *contacts;
  struct account *next;
};

struct token {
  char *token;
  struct account *acct;
  long id;        /* createAuthorisation id; 0 for the other tokens */
  time_t created;
  struct token *next;
};

struct recipient {
  char *number; /* 336... as the report shows it, or as sent when invalid */
  int status;
  char *text;   /* sendSMSBatch: this row's text, else NULL */
  char *sender; /* sendSMSBatch: this row's emetteur, else NULL */
  char *ref;    /* sendSMSBatch: this row's refClient, else NULL */
  unsigned segments;
};

enum kind { KIND_SMS, KIND_VOICE, KIND_BATCH };
static const char *const kind_names[] = { "sms", "voice", "batch" };

struct message {
  char id[ID_LEN + 1];
  enum kind kind;
  struct account *acct;
  char *text;   /* UTF-8, as the phone gets it; NULL for a batch */
  int unicode;  /* classe_msg=9 */
  int classe;
  char *sender, *ref_client, *notification_url, *notification_url_reponse;
  char *group, *title, *language;
  int stop;
  unsigned nbr_msg;
  int scheduled;
  time_t at; /* date_envoi, or when accepted */
  unsigned segments; /* per recipient (a batch: the largest row) */
  long long cost;    /* hundredths */
  struct recipient *rcpt;
  size_t n_rcpt;
  struct message *next; /* newest first */
};

struct reply {
  char id[ID_LEN + 1];
  struct account *acct;
  time_t at;
  char *from, *to, *text, *message_id;
  struct reply *next; /* newest first */
};

struct smsmode {
  struct account *accounts;
  struct token *tokens;
  struct message *messages;
  struct reply *replies;
  struct sim_rng rng; /* not reset: identifiers stay unique for the run */
  long next_key_id;
  /* every id handed out (messages and replies), not reset either: an open
     addressing hash set, so that checking a new id does not scan them all */
  char (*ids)[ID_LEN + 1];
  size_t n_ids, ids_size; /* ids_size: 0 or a power of two */
};

/* --------------------------------------------------------------- freeing */

static void contacts_free(struct contact *c)
{
  while (c) {
    struct contact *next = c->next;
    free(c->nom), free(c->prenom), free(c->mobile);
    free(c->societe), free(c->other), free(c->date), free(c->groups);
    free(c);
    c = next;
  }
}

static void account_free(struct account *a)
{
  free(a->pseudo);
  free(a->parent);
  json_object_put(a->profile);
  contacts_free(a->contacts);
  free(a);
}

static void message_free(struct message *m)
{
  for (size_t i = 0; i < m->n_rcpt; i++) {
    free(m->rcpt[i].number);
    free(m->rcpt[i].text);
    free(m->rcpt[i].sender);
    free(m->rcpt[i].ref);
  }
  free(m->rcpt);
  free(m->text), free(m->sender), free(m->ref_client);
  free(m->notification_url), free(m->notification_url_reponse);
  free(m->group), free(m->title), free(m->language);
  free(m);
}

static void reply_free(struct reply *r)
{
  free(r->from), free(r->to), free(r->text), free(r->message_id);
  free(r);
}

static void state_clear(struct smsmode *st)
{
  while (st->messages) {
    struct message *m = st->messages;
    st->messages = m->next;
    message_free(m);
  }
  while (st->replies) {
    struct reply *r = st->replies;
    st->replies = r->next;
    reply_free(r);
  }
  while (st->tokens) {
    struct token *t = st->tokens;
    st->tokens = t->next;
    free(t->token);
    free(t);
  }
  while (st->accounts) {
    struct account *a = st->accounts;
    st->accounts = a->next;
    account_free(a);
  }
}

/* --------------------------------------------------------------- accounts */

static struct account *account_by_pseudo(struct smsmode *st, const char *pseudo)
{
  for (struct account *a = st->accounts; a; a = a->next)
    if (strcmp(a->pseudo, pseudo) == 0)
      return a;
  return NULL;
}

static struct token *token_find(struct smsmode *st, const char *token)
{
  for (struct token *t = st->tokens; t; t = t->next)
    if (strcmp(t->token, token) == 0)
      return t;
  return NULL;
}

static struct token *token_add(struct smsmode *st, const char *token,
                               struct account *a)
{
  struct token *t = sim_xcalloc(1, sizeof *t);
  t->token = sim_xstrdup(token);
  t->acct = a;
  t->created = time(NULL);
  t->next = st->tokens;
  st->tokens = t;
  return t;
}

static struct account *account_add(struct smsmode *st, const char *pseudo,
                                   const char *token, long long credit)
{
  struct account *a = sim_xcalloc(1, sizeof *a);
  a->pseudo = sim_xstrdup(pseudo);
  a->credit = credit;
  struct account **tail = &st->accounts;
  while (*tail)
    tail = &(*tail)->next;
  *tail = a;
  token_add(st, token, a);
  return a;
}

static void builtin_accounts(struct smsmode *st)
{
  account_add(st, "demo", "demo-token", DEFAULT_CREDIT);
  account_add(st, "example", "Ab1CD2efg3Hi", DEFAULT_CREDIT); /* the spec's token */
  account_add(st, "poor", "poor-token", 0);
}

/* Remove an account with its tokens, messages, replies. */
static void account_delete(struct smsmode *st, struct account *a)
{
  for (struct token **tp = &st->tokens; *tp;) {
    struct token *t = *tp;
    if (t->acct == a) {
      *tp = t->next;
      free(t->token);
      free(t);
    } else {
      tp = &t->next;
    }
  }
  for (struct message **mp = &st->messages; *mp;) {
    struct message *m = *mp;
    if (m->acct == a) {
      *mp = m->next;
      message_free(m);
    } else {
      mp = &m->next;
    }
  }
  for (struct reply **rp = &st->replies; *rp;) {
    struct reply *r = *rp;
    if (r->acct == a) {
      *rp = r->next;
      reply_free(r);
    } else {
      rp = &r->next;
    }
  }
  for (struct account **ap = &st->accounts; *ap; ap = &(*ap)->next)
    if (*ap == a) {
      *ap = a->next;
      break;
    }
  account_free(a);
}

/* ---------------------------------------------------------------- answers */

/* An answer in ISO-8859-15 from UTF-8 `text`. */
static void answer_text(struct sim_response *resp, const char *text)
{
  size_t len;
  char *latin9 = sim_utf8_to_latin9(text, &len);
  sim_respond(resp, 200, TEXT_PLAIN, latin9, len);
  free(latin9);
}

/* "code | text" or "code | text | id" */
static void answer_code(struct sim_response *resp, int code, const char *text,
                        const char *id)
{
  char *s = id ? sim_xasprintf("%d | %s | %s", code, text, id)
               : sim_xasprintf("%d | %s", code, text);
  answer_text(resp, s);
  free(s);
}

static void answer_missing(struct sim_response *resp)
{
  answer_code(resp, 35, "Paramètre obligatoire manquant", NULL);
}

static void answer_no_credit(struct sim_response *resp)
{
  answer_code(resp, 33, "Crédits insuffisants", NULL);
}

static const char *code_text(int code)
{
  switch (code) {
  case 0: return "Accepté";
  case 2: return "Erreur interne lors de l'envoi du SMS";
  case 31: return "Erreur interne";
  case 32: return "Erreur d'authentification";
  case 33: return "Crédits insuffisants";
  case 35: return "Paramètre obligatoire manquant";
  case 41: return "Identifiant inexistant";
  case 50: return "Temporairement inaccessible";
  case 61: return "SMS non trouvé";
  default: return "Erreur";
  }
}

/* ---------------------------------------------------------------- numbers */

static int all_digits(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i]))
      return 0;
  return n > 0;
}

/* National "06xxxxxxxx" (France, ten digits) or international "336..."
   (8 to 15 digits, no '+', no spaces) to the international form the
   reports use.  NULL when it is neither. */
static char *number_normalise(const char *s, size_t n)
{
  if (n == 10 && s[0] == '0' && s[1] != '0' && all_digits(s, n))
    return sim_xasprintf("33%.*s", 9, s + 1);
  if (n >= 8 && n <= 15 && s[0] != '0' && all_digits(s, n))
    return sim_xstrndup(s, n);
  return NULL;
}

/* ------------------------------------------------------------------ text */

/* Septets a character costs in sMsmode's table of GSM 03.38 characters
   (spec "Caractères et encodage"): 2 for those marked "compte double",
   1 for the others, 0 for a character outside the table (sent as "?").
   The table's "–" between "Z" and "a" is taken as "_" (the PDF lost the
   underscore) and its "Û %FC" as ü (0xFC is ü in ISO-8859-15).  The euro
   sign counts double whichever byte carried it (%A4 or %80). */
static unsigned gsm_units(uint32_t cp)
{
  static const uint32_t latin[] = {
    0xA1, 0xA3, 0xA5, 0xA7, 0xBF, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9,
    0xD1, 0xD6, 0xD8, 0xDC, 0xDF, 0xE0, 0xE4, 0xE5, 0xE6, 0xE8, 0xE9,
    0xEC, 0xF1, 0xF2, 0xF6, 0xF8, 0xF9, 0xFC,
  };
  if (cp == '\n' || cp == '\r')
    return 1;
  if (cp == 0x20AC || (cp < 0x80 && strchr("{|}~[\\]^", (int)cp) && cp))
    return 2;
  if (cp >= 0x20 && cp < 0x7F)
    return cp == '`' ? 0 : 1;
  for (size_t i = 0; i < sizeof latin / sizeof latin[0]; i++)
    if (latin[i] == cp)
      return 1;
  return 0;
}

/* A text as it will be sent: characters, cost, segments. */
struct shaped {
  char *text; /* UTF-8 */
  unsigned units;
  unsigned segments;
};

static unsigned segments_for(unsigned units, int unicode)
{
  unsigned one = unicode ? 70 : 160, many = unicode ? 67 : 153;
  if (units <= one)
    return 1;
  return (units + many - 1) / many;
}

static unsigned max_units(unsigned nbr_msg, int unicode)
{
  if (unicode)
    return nbr_msg == 1 ? 70 : 67 * nbr_msg; /* 70, 134, 201, 268, 335 */
  return nbr_msg == 1 ? 160 : 153 * nbr_msg; /* 160, 306, 459, ... */
}

/* Apply the spec's rules to UTF-8 `in`: characters outside the GSM table
   become "?" (not for unicode, where a character beyond U+FFFF counts
   double), the text is cut to `nbr_msg` messages, then the STOP mention is
   added as `stop` says (1: when the original text is at most 149 long;
   2: always). */
static void shape_text(const char *in, int unicode, unsigned nbr_msg, int stop,
                       struct shaped *out)
{
  struct sim_buf b = { 0 };
  const unsigned char *s = (const unsigned char *)in, *end = s + strlen(in);
  unsigned limit = max_units(nbr_msg, unicode), units = 0, original = 0;

  while (s < end) {
    uint32_t cp = sim_utf8_next(&s, end);
    unsigned u;
    if (unicode) {
      u = cp > 0xFFFF ? 2 : 1;
    } else {
      u = gsm_units(cp);
      if (u == 0)
        cp = '?', u = 1;
    }
    original += u;
    if (units + u <= limit) {
      sim_utf8_put(&b, cp);
      units += u;
    } else {
      limit = 0; /* cut here: nothing after a character that did not fit */
    }
  }
  if (stop == 2 || (stop == 1 && original <= STOP1_MAX_UNITS)) {
    sim_buf_adds(&b, STOP_TEXT);
    units += (unsigned)strlen(STOP_TEXT);
  }
  out->text = sim_buf_take(&b, NULL);
  out->units = units;
  out->segments = segments_for(units, unicode);
}

/* Parameter bytes to UTF-8: ISO-8859-15 unless unicode (classe_msg=9). */
static char *decode_param(const struct sim_param *p, int unicode)
{
  return unicode ? sim_utf8_clean(p->value, p->len)
                 : sim_latin9_to_utf8(p->value, p->len);
}

static char *decode_opt(const struct sim_request *req, const char *name)
{
  const struct sim_param *p = sim_param_get(req, name);
  return p && p->len ? sim_latin9_to_utf8(p->value, p->len) : NULL;
}

/* Letters, digits and a few signs, at most 11, not a phone number. */
static int sender_ok(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > MAX_SENDER || all_digits(s, n))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && !strchr("-_.&", s[i]))
      return 0;
  return 1;
}

static size_t id_hash(const char *id)
{
  uint64_t h = 14695981039346656037ULL; /* FNV-1a */
  for (; *id; id++)
    h = (h ^ (unsigned char)*id) * 1099511628211ULL;
  return (size_t)h;
}

/* Add `id` to the set of ids handed out; 0 when it was already there. */
static int id_add(struct smsmode *st, const char *id)
{
  if (2 * (st->n_ids + 1) > st->ids_size) {
    size_t size = st->ids_size ? 2 * st->ids_size : 1024;
    char (*ids)[ID_LEN + 1] = sim_xcalloc(size, sizeof *ids);
    for (size_t i = 0; i < st->ids_size; i++) {
      if (!st->ids[i][0])
        continue;
      size_t k = id_hash(st->ids[i]) & (size - 1);
      while (ids[k][0])
        k = (k + 1) & (size - 1);
      memcpy(ids[k], st->ids[i], ID_LEN + 1);
    }
    free(st->ids);
    st->ids = ids;
    st->ids_size = size;
  }
  size_t k = id_hash(id) & (st->ids_size - 1);
  while (st->ids[k][0]) {
    if (strcmp(st->ids[k], id) == 0)
      return 0;
    k = (k + 1) & (st->ids_size - 1);
  }
  memcpy(st->ids[k], id, ID_LEN + 1);
  st->n_ids++;
  return 1;
}

/* A new message or reply id, never handed out before in this run. */
static void new_id(struct smsmode *st, char *out)
{
  do
    sim_rng_alnum(&st->rng, out, ID_LEN);
  while (!id_add(st, out));
}

/* ------------------------------------------------------- send: parameters */

/* The options sendSMS.do, sendSMSBatch.do and sendVoiceMessage.do share. */
struct send_opts {
  int classe;
  unsigned nbr_msg;
  int stop;
  int scheduled;
  time_t at;
  char *sender; /* NULL when none */
};

/* Parameter `name` of a send, which a batch may also carry as a multipart
   part (curl -F). */
static const struct sim_param *send_param(const struct sim_request *req,
                                          const char *name, int batch)
{
  const struct sim_param *p = sim_param_get(req, name);
  if (!p && batch)
    p = sim_part(req, name);
  return p;
}

static const char *send_value(const struct sim_request *req, const char *name,
                              int batch)
{
  const struct sim_param *p = send_param(req, name, batch);
  return p && p->len ? p->value : NULL;
}

/* Returns 0, or -1 when a parameter is malformed (the caller answers 35). */
static int parse_send_opts(const struct sim_request *req, int batch, int voice,
                           struct send_opts *o)
{
  const char *v;
  long long n;
  memset(o, 0, sizeof *o);
  o->classe = 2;
  o->nbr_msg = DEFAULT_NBR_MSG;
  o->at = time(NULL);

  if (!voice && (v = send_value(req, "classe_msg", batch))) {
    if (sim_int_parse(v, &n) != 0 || (n != 2 && n != 4 && n != 9))
      return -1;
    o->classe = (int)n;
  }
  if (!voice && (v = send_value(req, "nbr_msg", batch))) {
    if (sim_int_parse(v, &n) != 0 || n < 1 || n > MAX_NBR_MSG)
      return -1;
    o->nbr_msg = (unsigned)n;
  }
  if (o->classe == 9 && o->nbr_msg > MAX_UNICODE_SEGMENTS)
    o->nbr_msg = MAX_UNICODE_SEGMENTS;
  if (!voice && !batch && (v = send_value(req, "stop", batch))) {
    if (sim_int_parse(v, &n) != 0 || n < 0 || n > 2)
      return -1;
    o->stop = (int)n;
  }
  if ((v = send_value(req, "date_envoi", batch))) {
    if (sim_time_parse_dmyhm(v, &o->at) != 0)
      return -1;
    o->scheduled = 1; /* whatever the date: see docs/simulator.md */
  }
  if (!voice && (v = send_value(req, "emetteur", batch))) {
    if (o->classe == 4 || !sender_ok(v))
      return -1;
    o->sender = sim_xstrdup(v);
  }
  return 0;
}

/* Recipients of `numero` (comma list) and of contact group `groupe`.
   Returns how many the numero list named, or -1 when nothing usable. */
static long collect_recipients(struct account *a, const char *numero,
                               const char *groupe, struct message *m)
{
  long named = 0;
  size_t cap = 0;
  int valid = 0;

  for (const char *s = numero; s && *s;) {
    const char *comma = strchr(s, ',');
    size_t n = comma ? (size_t)(comma - s) : strlen(s);
    if (n > 0) {
      if (m->n_rcpt == cap)
        m->rcpt = sim_xrealloc(m->rcpt, (cap = cap ? cap * 2 : 8) * sizeof *m->rcpt);
      struct recipient *r = &m->rcpt[m->n_rcpt++];
      memset(r, 0, sizeof *r);
      r->number = number_normalise(s, n);
      r->status = r->number ? (m->scheduled ? ST_SCHEDULED : ST_SENT) : ST_INVALID;
      if (r->number)
        valid++;
      else
        r->number = sim_xstrndup(s, n);
      named++;
    }
    s = comma ? comma + 1 : s + n;
  }
  if (groupe) {
    char *needle = sim_xasprintf(",%s,", groupe);
    for (struct contact *c = a->contacts; c; c = c->next) {
      if (!strstr(c->groups, needle))
        continue;
      if (m->n_rcpt == cap)
        m->rcpt = sim_xrealloc(m->rcpt, (cap = cap ? cap * 2 : 8) * sizeof *m->rcpt);
      struct recipient *r = &m->rcpt[m->n_rcpt++];
      memset(r, 0, sizeof *r);
      r->number = sim_xstrdup(c->mobile);
      r->status = m->scheduled ? ST_SCHEDULED : ST_SENT;
      valid++;
    }
    free(needle);
  }
  return valid ? named : -1;
}

static size_t count_list(const char *s)
{
  size_t n = 0;
  for (; s && *s;) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    n += len > 0;
    s = comma ? comma + 1 : s + len;
  }
  return n;
}

/* Bill and store `m` (built by the caller), answer "0 | Accepté | id".  A
   recipient whose number is invalid costs nothing. */
static void send_commit(struct smsmode *st, struct account *a, struct message *m,
                        struct sim_response *resp)
{
  long long units = 0;
  for (size_t i = 0; i < m->n_rcpt; i++)
    if (m->rcpt[i].status != ST_INVALID)
      units += m->rcpt[i].segments;
  m->cost = units * 100; /* one credit per SMS (segment) */
  if (!a->postpay && m->cost > a->credit) {
    message_free(m);
    answer_no_credit(resp);
    return;
  }
  a->credit -= m->cost;
  m->acct = a;
  new_id(st, m->id);
  m->next = st->messages;
  st->messages = m;
  answer_code(resp, 0, "Accepté", m->id);
}

/* --------------------------------------------------------------- sendSMS */

static void ep_send_sms(struct smsmode *st, struct account *a,
                        const struct sim_request *req, struct sim_response *resp)
{
  struct send_opts o;
  const struct sim_param *msg = sim_param_get(req, "message");
  const char *numero = sim_param_nonempty(req, "numero");
  const char *groupe = sim_param_nonempty(req, "groupe");

  if (!msg || msg->len == 0 || (!numero && !groupe) ||
      parse_send_opts(req, 0, 0, &o) != 0) {
    answer_missing(resp);
    return;
  }
  if (strcmp(req->method, "GET") == 0 && count_list(numero) > GET_MAX_RECIPIENTS) {
    free(o.sender);
    answer_missing(resp); /* only POST may name more than 300 */
    return;
  }

  struct message *m = sim_xcalloc(1, sizeof *m);
  m->kind = KIND_SMS;
  m->classe = o.classe;
  m->unicode = o.classe == 9;
  m->nbr_msg = o.nbr_msg;
  m->stop = o.stop;
  m->scheduled = o.scheduled;
  m->at = o.at;
  m->sender = o.sender;
  m->ref_client = decode_opt(req, "refClient");
  m->notification_url = decode_opt(req, "notification_url");
  m->notification_url_reponse = decode_opt(req, "notification_url_reponse");
  m->group = groupe ? sim_latin9_to_utf8(groupe, strlen(groupe)) : NULL;
  if (collect_recipients(a, numero, m->group, m) < 0) {
    message_free(m);
    answer_missing(resp);
    return;
  }

  char *text = decode_param(msg, m->unicode);
  struct shaped sh;
  shape_text(text, m->unicode, m->nbr_msg, m->stop, &sh);
  free(text);
  m->text = sh.text;
  m->segments = sh.segments;
  for (size_t i = 0; i < m->n_rcpt; i++)
    m->rcpt[i].segments = sh.segments;
  send_commit(st, a, m, resp);
}

/* ------------------------------------------------------ sendVoiceMessage */

static void ep_send_voice(struct smsmode *st, struct account *a,
                          const struct sim_request *req, struct sim_response *resp)
{
  static const char *const languages[] = { "fr-FR", "en-GB", "de-DE", "es-ES" };
  struct send_opts o;
  const struct sim_param *msg = sim_param_get(req, "message");
  const char *numero = sim_param_nonempty(req, "numero");
  const char *language = sim_param_nonempty(req, "language");

  if (!msg || msg->len == 0 || !numero || parse_send_opts(req, 0, 1, &o) != 0) {
    answer_missing(resp);
    return;
  }
  int lang_ok = !language;
  for (size_t i = 0; language && i < sizeof languages / sizeof languages[0]; i++)
    lang_ok |= strcmp(language, languages[i]) == 0;
  if (!lang_ok ||
      (strcmp(req->method, "GET") == 0 && count_list(numero) > GET_MAX_RECIPIENTS)) {
    answer_missing(resp);
    return;
  }

  struct message *m = sim_xcalloc(1, sizeof *m);
  m->kind = KIND_VOICE;
  m->classe = 2;
  m->nbr_msg = o.nbr_msg;
  m->scheduled = o.scheduled;
  m->at = o.at;
  m->title = decode_opt(req, "title");
  m->language = sim_xstrdup(language ? language : "fr-FR");
  if (collect_recipients(a, numero, NULL, m) < 0) {
    message_free(m);
    answer_missing(resp);
    return;
  }
  /* text to speech: no GSM table; one credit per started 160 characters */
  m->text = sim_latin9_to_utf8(msg->value, msg->len);
  size_t chars = 0;
  for (const char *c = m->text; *c; c++)
    chars += ((unsigned char)*c & 0xC0) != 0x80;
  m->segments = (unsigned)((chars + 159) / 160);
  for (size_t i = 0; i < m->n_rcpt; i++)
    m->rcpt[i].segments = m->segments;
  send_commit(st, a, m, resp);
}

/* ---------------------------------------------------------- sendSMSBatch */

/* One CSV field starting at *p (UTF-8 text); quoted ("a ""b""") or bare
   (trimmed).  Sets *eol when the record ends after it. */
static char *csv_field(const char **p, char sep, int *eol)
{
  const char *s = *p;
  struct sim_buf b = { 0 };
  while (*s == ' ' || *s == '\t')
    s++;
  if (*s == '"') {
    for (s++; *s; s++) {
      if (*s == '"') {
        if (s[1] == '"') {
          sim_buf_add(&b, "\"", 1);
          s++;
          continue;
        }
        s++;
        break;
      }
      sim_buf_add(&b, s, 1);
    }
    while (*s && *s != sep && *s != '\n' && *s != '\r')
      s++; /* stray characters after the closing quote */
  } else {
    const char *start = s;
    while (*s && *s != sep && *s != '\n' && *s != '\r')
      s++;
    const char *end = s;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
      end--;
    sim_buf_add(&b, start, (size_t)(end - start));
  }
  if (*s == sep) {
    *eol = 0;
    s++;
  } else {
    *eol = 1;
    if (*s == '\r')
      s++;
    if (*s == '\n')
      s++;
  }
  *p = s;
  return sim_buf_take(&b, NULL);
}

struct csv_row {
  char **f;
  size_t n;
};

static int csv_row(const char **p, char sep, struct csv_row *row)
{
  int eol = 0;
  row->f = NULL;
  row->n = 0;
  if (!**p)
    return 0;
  while (!eol) {
    row->f = sim_xrealloc(row->f, (row->n + 1) * sizeof *row->f);
    row->f[row->n++] = csv_field(p, sep, &eol);
  }
  return 1;
}

static void csv_row_free(struct csv_row *row)
{
  for (size_t i = 0; i < row->n; i++)
    free(row->f[i]);
  free(row->f);
}

static long csv_column(const struct csv_row *header, const char *name)
{
  for (size_t i = 0; i < header->n; i++)
    if (strcasecmp(header->f[i], name) == 0)
      return (long)i;
  return -1;
}

static const char *csv_get(const struct csv_row *row, long col)
{
  return col >= 0 && (size_t)col < row->n ? row->f[col] : "";
}

/* The file: a header naming "numero" and "message" (and optionally
   "emetteur", "refClient") then one row per SMS, ',' separated (';' when
   the header has ';' and no ','). */
static void ep_send_batch(struct smsmode *st, struct account *a,
                          const struct sim_request *req, struct sim_response *resp)
{
  struct send_opts o;
  const struct sim_param *file = sim_part(req, "fichier");
  if (!file || file->len == 0 || parse_send_opts(req, 1, 0, &o) != 0) {
    answer_missing(resp);
    return;
  }
  int unicode = o.classe == 9;
  struct sim_param body = *file;
  if (body.len >= 3 && memcmp(body.value, "\xEF\xBB\xBF", 3) == 0) {
    body.value += 3; /* a UTF-8 byte order mark, as spreadsheets write */
    body.len -= 3;
  }
  char *csv = decode_param(&body, unicode);
  const char *p = csv;
  size_t header_len = strcspn(csv, "\r\n");
  char sep = memchr(csv, ';', header_len) && !memchr(csv, ',', header_len) ? ';' : ',';

  struct csv_row header;
  csv_row(&p, sep, &header);
  long c_num = csv_column(&header, "numero"), c_msg = csv_column(&header, "message");
  long c_from = csv_column(&header, "emetteur"), c_ref = csv_column(&header, "refClient");
  csv_row_free(&header);

  struct message *m = sim_xcalloc(1, sizeof *m);
  m->kind = KIND_BATCH;
  m->classe = o.classe;
  m->unicode = unicode;
  m->nbr_msg = o.nbr_msg;
  m->scheduled = o.scheduled;
  m->at = o.at;
  m->sender = o.sender;
  const struct sim_param *ref_p = send_param(req, "refClient", 1);
  const struct sim_param *url_p = send_param(req, "notification_url", 1);
  m->ref_client = ref_p && ref_p->len ? sim_latin9_to_utf8(ref_p->value, ref_p->len) : NULL;
  m->notification_url =
    url_p && url_p->len ? sim_latin9_to_utf8(url_p->value, url_p->len) : NULL;

  int bad = c_num < 0 || c_msg < 0, valid = 0;
  size_t cap = 0;
  struct csv_row row;
  while (!bad && csv_row(&p, sep, &row)) {
    const char *num = csv_get(&row, c_num), *text = csv_get(&row, c_msg);
    const char *from = csv_get(&row, c_from), *ref = csv_get(&row, c_ref);
    if (!*num && !*text) { /* a blank line */
      csv_row_free(&row);
      continue;
    }
    if (*from && (m->classe == 4 || !sender_ok(from)))
      bad = 1;
    if (m->n_rcpt == cap)
      m->rcpt = sim_xrealloc(m->rcpt, (cap = cap ? cap * 2 : 8) * sizeof *m->rcpt);
    struct recipient *r = &m->rcpt[m->n_rcpt++];
    memset(r, 0, sizeof *r);
    r->number = number_normalise(num, strlen(num));
    r->status = r->number && *text ? (m->scheduled ? ST_SCHEDULED : ST_SENT) : ST_INVALID;
    if (!r->number)
      r->number = sim_xstrdup(num);
    valid += r->status != ST_INVALID;
    struct shaped sh;
    shape_text(text, unicode, m->nbr_msg, 0, &sh);
    r->text = sh.text;
    r->segments = sh.segments;
    if (sh.segments > m->segments)
      m->segments = sh.segments;
    r->sender = *from ? sim_xstrdup(from) : NULL;
    r->ref = *ref ? sim_xstrdup(ref) : NULL;
    csv_row_free(&row);
  }
  free(csv);
  if (bad || valid == 0) {
    message_free(m);
    answer_missing(resp);
    return;
  }
  send_commit(st, a, m, resp);
}

/* --------------------------------------------------------- reports, status */

static struct message *message_find(struct smsmode *st, struct account *a,
                                    const char *id)
{
  for (struct message *m = st->messages; m; m = m->next)
    if (m->acct == a && strcmp(m->id, id) == 0)
      return m;
  return NULL;
}

static void ep_compte_rendu(struct smsmode *st, struct account *a,
                            const struct sim_request *req, struct sim_response *resp)
{
  const char *id = sim_param_nonempty(req, "smsID");
  if (!id) {
    answer_missing(resp);
    return;
  }
  struct message *m = message_find(st, a, id);
  if (!m) {
    answer_code(resp, 61, "SMS n'existant pas ou plus", NULL);
    return;
  }
  struct sim_buf b = { 0 };
  for (size_t i = 0; i < m->n_rcpt; i++)
    sim_buf_addf(&b, "%s%s %d", i ? " | " : "", m->rcpt[i].number, m->rcpt[i].status);
  char *s = sim_buf_take(&b, NULL);
  answer_text(resp, s);
  free(s);
}

/* The status of the whole message ("celui de la campagne"): scheduled;
   else the least advanced state of its valid recipients; 39 when none of
   them got the message. */
static void ep_sms_status(struct smsmode *st, struct account *a,
                          const struct sim_request *req, struct sim_response *resp)
{
  const char *id = sim_param_nonempty(req, "smsID");
  if (!id) {
    answer_missing(resp);
    return;
  }
  struct message *m = message_find(st, a, id);
  if (!m) {
    answer_code(resp, 61, "smsID invalide", NULL);
    return;
  }
  int sent = 0, operator = 0, received = 0, scheduled = 0;
  for (size_t i = 0; i < m->n_rcpt; i++)
    switch (m->rcpt[i].status) {
    case ST_SCHEDULED: scheduled++; break;
    case ST_SENT: sent++; break;
    case ST_OPERATOR: operator++; break;
    case ST_RECEIVED: received++; break;
    default: break;
    }
  if (scheduled)
    answer_code(resp, 10, "Envoi programmé", NULL);
  else if (sent)
    answer_code(resp, 0, "Envoyé", NULL);
  else if (operator)
    answer_code(resp, 13, "Délivré", NULL);
  else if (received)
    answer_code(resp, 11, "Reçu", NULL);
  else
    answer_code(resp, 39, "Erreur réception", NULL);
}

/* name=escaped(value)& onto b */
static void push_param(struct sim_buf *b, const char *name, const char *value,
                       int last)
{
  char *e = curl_easy_escape(NULL, value ? value : "", 0);
  sim_buf_add(b, name, strlen(name));
  sim_buf_add(b, "=", 1);
  if (e)
    sim_buf_add(b, e, strlen(e));
  curl_free(e);
  if (!last)
    sim_buf_add(b, "&", 1);
}

/* Item 12 of the guide: a delivery report pushed to the send's
   notification_url as GET numero, date_reception (yyyy-mm-dd hh:mm:ss),
   statut, smsID, refClient, mcc_mnc. */
static void push_report(const struct message *m, const struct recipient *r)
{
  struct sim_buf b = { 0 };
  char code[16], date[32];
  time_t now = time(NULL);
  struct tm tm;
  if (!m->notification_url || !*m->notification_url)
    return;
  localtime_r(&now, &tm);
  strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
  snprintf(code, sizeof code, "%d", (int)r->status);
  sim_buf_add(&b, m->notification_url, strlen(m->notification_url));
  sim_buf_add(&b, strchr(m->notification_url, '?') ? "&" : "?", 1);
  push_param(&b, "numero", r->number, 0);
  push_param(&b, "date_reception", date, 0);
  push_param(&b, "statut", code, 0);
  push_param(&b, "smsID", m->id, 0);
  push_param(&b, "refClient", m->ref_client ? m->ref_client : "", 0);
  push_param(&b, "mcc_mnc", "20801", 1);
  sim_buf_add(&b, "", 1);
  sim_push(b.data);
  free(b.data);
}

static unsigned smsmode_advance(void *state)
{
  struct smsmode *st = state;
  unsigned changed = 0;
  for (struct message *m = st->messages; m; m = m->next) {
    for (size_t i = 0; i < m->n_rcpt; i++) {
      struct recipient *r = &m->rcpt[i];
      size_t n = strlen(r->number);
      const char *last2 = n >= 2 ? r->number + n - 2 : "";
      if (r->status == ST_SENT) {
        r->status = ST_OPERATOR;
        changed++;
        push_report(m, r);
      } else if (r->status == ST_OPERATOR) {
        r->status = strcmp(last2, "34") == 0   ? ST_ROUTING
                    : strcmp(last2, "35") == 0 ? ST_RECEPTION
                                               : ST_RECEIVED;
        changed++;
        push_report(m, r);
      }
    }
  }
  return changed;
}

/* ------------------------------------------------------------------ credit */

static void ep_credit(struct smsmode *st, struct account *a,
                      const struct sim_request *req, struct sim_response *resp)
{
  (void)st;
  (void)req;
  char buf[32];
  sim_cents_format(a->credit, buf, sizeof buf);
  answer_text(resp, buf);
}

/* ---------------------------------------------------------------- replies */

/* Text on one line of a list answer. */
static void add_flat(struct sim_buf *b, const char *s)
{
  for (; s && *s; s++)
    sim_buf_add(b, *s == '\n' || *s == '\r' ? " " : s, 1);
}

static void ep_response_list(struct smsmode *st, struct account *a,
                             const struct sim_request *req, struct sim_response *resp)
{
  const char *start = sim_param_nonempty(req, "start");
  const char *offset = sim_param_nonempty(req, "offset");
  const char *from = sim_param_nonempty(req, "startDate");
  const char *to = sim_param_nonempty(req, "endDate");
  long long first = 0, count = 50;
  time_t t_from = 0, t_to = 0;
  int by_date = from || to;

  if ((by_date && (start || offset)) || (by_date && (!from || !to)) ||
      (start && (sim_int_parse(start, &first) != 0 || first < 0)) ||
      (offset && (sim_int_parse(offset, &count) != 0 || count < 0)) ||
      (by_date && (sim_time_parse_dmyhm(from, &t_from) != 0 ||
                   sim_time_parse_dmyhm(to, &t_to) != 0))) {
    answer_missing(resp);
    return;
  }
  struct sim_buf b = { 0 };
  long long index = 0;
  for (struct reply *r = st->replies; r; r = r->next) {
    if (r->acct != a)
      continue;
    if (by_date) {
      time_t minute = r->at - r->at % 60; /* dates have minutes, inclusive */
      if (minute < t_from || minute > t_to)
        continue;
    } else if (index++ < first || index > first + count) {
      continue;
    }
    char date[32];
    sim_time_dmyhm(r->at, date, sizeof date);
    if (b.len)
      sim_buf_add(&b, "\n", 1);
    sim_buf_addf(&b, "%s | %s | %s | ", r->id, date, r->from);
    add_flat(&b, r->text);
    sim_buf_addf(&b, " | %s | %s", r->to, r->message_id);
  }
  char *s = sim_buf_take(&b, NULL);
  answer_text(resp, s);
  free(s);
}

/* -------------------------------------------------------------- deleteSMS */

static void ep_delete_sms(struct smsmode *st, struct account *a,
                          const struct sim_request *req, struct sim_response *resp)
{
  const char *id = sim_param_nonempty(req, "smsID");
  const char *numero = sim_param_nonempty(req, "numero");
  if (!id && !numero) {
    answer_missing(resp);
    return;
  }
  char *number = numero ? number_normalise(numero, strlen(numero)) : NULL;
  struct message **mp;
  for (mp = &st->messages; *mp; mp = &(*mp)->next) {
    struct message *m = *mp;
    if (m->acct != a)
      continue;
    if (id && strcmp(m->id, id) == 0)
      break;
    if (!id && number) { /* newest first: the first match is the latest */
      size_t i;
      for (i = 0; i < m->n_rcpt && strcmp(m->rcpt[i].number, number) != 0; i++)
        ;
      if (i < m->n_rcpt)
        break;
    }
  }
  free(number);
  if (!*mp) {
    answer_code(resp, 61, "SMS non trouvé", NULL);
    return;
  }
  struct message *m = *mp;
  if (m->scheduled)
    a->credit += m->cost; /* never sent: the credit comes back */
  *mp = m->next;
  message_free(m);
  answer_code(resp, 0, "SMS supprimé", NULL);
}

/* ---------------------------------------------------------------- smsList */

static void ep_sms_list(struct smsmode *st, struct account *a,
                        const struct sim_request *req, struct sim_response *resp)
{
  const char *offset = sim_param_nonempty(req, "offset");
  long long count = 50;
  if (offset && (sim_int_parse(offset, &count) != 0 || count < 0)) {
    answer_missing(resp);
    return;
  }
  struct sim_buf b = { 0 };
  for (struct message *m = st->messages; m && count > 0; m = m->next) {
    if (m->acct != a)
      continue;
    count--;
    char date[32], cost[32];
    sim_time_dmyhm(m->at, date, sizeof date);
    sim_cents_format(m->cost, cost, sizeof cost);
    if (b.len)
      sim_buf_add(&b, "\n", 1);
    sim_buf_addf(&b, "%s | %s | ", m->id, date);
    add_flat(&b, m->text ? m->text : m->n_rcpt ? m->rcpt[0].text : "");
    sim_buf_addf(&b, " | %s | %s | %zu |", m->n_rcpt ? m->rcpt[0].number : "",
                 cost, m->n_rcpt);
  }
  char *s = sim_buf_take(&b, NULL);
  answer_text(resp, s);
  free(s);
}

/* ------------------------------------------------------------ sub-accounts */

static void ep_create_sub(struct smsmode *st, struct account *a,
                          const struct sim_request *req, struct sim_response *resp)
{
  static const char *const optional[] = {
    "reference", "nom", "prenom", "societe", "adresse", "ville", "codePostal",
    "mobile", "telephone", "fax", "email", "date",
  };
  const struct sim_param *pseudo_p = sim_param_get(req, "newPseudo");
  const char *pass = sim_param_nonempty(req, "newPass");
  if (!pseudo_p || pseudo_p->len == 0 || !pass) {
    answer_missing(resp);
    return;
  }
  char *pseudo = sim_latin9_to_utf8(pseudo_p->value, pseudo_p->len);
  char *token = sim_xasprintf("sub-%s", pseudo);
  if (pseudo_p->len > MAX_PSEUDO) {
    answer_missing(resp);
  } else if (account_by_pseudo(st, pseudo) || token_find(st, token)) {
    answer_code(resp, 41, "Identifiant déjà existant", NULL);
  } else {
    struct account *sub = account_add(st, pseudo, token, 0);
    sub->parent = sim_xstrdup(a->pseudo);
    sub->profile = json_object_new_object();
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
      char *v = decode_opt(req, optional[i]);
      if (v)
        json_object_object_add(sub->profile, optional[i], json_object_new_string(v));
      free(v);
    }
    answer_code(resp, 0, "Création effectuée", NULL);
  }
  free(token);
  free(pseudo);
}

static void ep_delete_sub(struct smsmode *st, struct account *a,
                          const struct sim_request *req, struct sim_response *resp)
{
  const struct sim_param *p = sim_param_get(req, "pseudoToDelete");
  if (!p || p->len == 0) {
    answer_missing(resp);
    return;
  }
  char *pseudo = sim_latin9_to_utf8(p->value, p->len);
  struct account *sub = account_by_pseudo(st, pseudo);
  free(pseudo);
  if (!sub || !sub->parent || strcmp(sub->parent, a->pseudo) != 0) {
    answer_code(resp, 41, "Identifiant inexistant", NULL);
    return;
  }
  account_delete(st, sub);
  answer_code(resp, 0, "Suppression effectuée", NULL);
}

static void ep_credit_transfer(struct smsmode *st, struct account *a,
                               const struct sim_request *req, struct sim_response *resp)
{
  const struct sim_param *p = sim_param_get(req, "targetPseudo");
  const char *amount_s = sim_param_nonempty(req, "creditAmount");
  long long amount;
  if (!p || p->len == 0 || !amount_s ||
      !all_digits(amount_s, strlen(amount_s)) /* whole numbers only */ ||
      sim_int_parse(amount_s, &amount) != 0 || amount <= 0 ||
      amount > 1000000000LL) {
    answer_missing(resp);
    return;
  }
  char *pseudo = sim_latin9_to_utf8(p->value, p->len);
  struct account *target = account_by_pseudo(st, pseudo);
  free(pseudo);
  if (!target) {
    answer_code(resp, 41, "Identifiant inexistant", NULL);
    return;
  }
  if (!a->postpay && a->credit < amount * 100) {
    answer_no_credit(resp);
    return;
  }
  a->credit -= amount * 100;
  target->credit += amount * 100;
  answer_code(resp, 0, "Transfert effectué", NULL);
}

/* ------------------------------------------------------------- addContact */

static void ep_add_contact(struct smsmode *st, struct account *a,
                           const struct sim_request *req, struct sim_response *resp)
{
  (void)st;
  const char *mobile = sim_param_nonempty(req, "mobile");
  char *nom = decode_opt(req, "nom");
  char *number = mobile ? number_normalise(mobile, strlen(mobile)) : NULL;
  if (!nom || !number) {
    free(nom);
    free(number);
    answer_missing(resp);
    return;
  }
  struct contact *c = sim_xcalloc(1, sizeof *c);
  c->nom = nom;
  c->mobile = number;
  c->prenom = decode_opt(req, "prenom");
  c->societe = decode_opt(req, "societe");
  c->other = decode_opt(req, "other");
  c->date = decode_opt(req, "date");
  char *groups = decode_opt(req, "groupes");
  c->groups = sim_xasprintf(",%s,", groups ? groups : "");
  free(groups);
  struct contact **tail = &a->contacts;
  while (*tail)
    tail = &(*tail)->next;
  *tail = c;
  answer_code(resp, 0, "Contact ajouté", NULL);
}

/* ---------------------------------------------------- createAuthorisation */

static void auth_error(struct sim_response *resp, unsigned status, int code)
{
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "code", json_object_new_int(code));
  json_object_object_add(doc, "message", json_object_new_string(code_text(code)));
  sim_respond_json(resp, status, doc);
  resp->content_type = JSON_UTF8;
}

static void create_authorisation(struct smsmode *st, const struct sim_request *req,
                                 struct sim_response *resp)
{
  const char *token = sim_param_nonempty(req, "accessToken");
  struct token *t = token ? token_find(st, token) : NULL;
  if (!token) {
    auth_error(resp, 400, 35);
    return;
  }
  if (!t) {
    auth_error(resp, 401, 32);
    return;
  }
  char key[AUTH_TOKEN_LEN + 1];
  do
    sim_rng_alnum(&st->rng, key, AUTH_TOKEN_LEN);
  while (token_find(st, key));
  struct token *n = token_add(st, key, t->acct);
  n->id = ++st->next_key_id;

  char date[40];
  struct tm tm;
  localtime_r(&n->created, &tm);
  size_t len = strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S%z", &tm);
  if (len >= 5) { /* +0100 -> +01:00, as ISO 8601 writes it */
    memmove(date + len - 1, date + len - 2, 3);
    date[len - 2] = ':';
  }
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "id", json_object_new_int64(n->id));
  json_object_object_add(doc, "accessToken", json_object_new_string(key));
  json_object_object_add(doc, "creationDate", json_object_new_string(date));
  json_object_object_add(doc, "state", json_object_new_string("ACTIVE"));
  json_object_object_add(doc, "expiration", NULL);
  json_object_object_add(doc, "account", json_object_new_string(t->acct->pseudo));
  sim_respond_json(resp, 200, doc);
  resp->content_type = JSON_UTF8;
}

/* ---------------------------------------------------------------- dispatch */

typedef void endpoint_fn(struct smsmode *st, struct account *a,
                         const struct sim_request *req, struct sim_response *resp);

static const struct {
  const char *name;
  endpoint_fn *run;
} endpoints[] = {
  { "sendSMS.do", ep_send_sms },
  { "sendVoiceMessage.do", ep_send_voice },
  { "sendSMSBatch.do", ep_send_batch },
  { "compteRendu.do", ep_compte_rendu },
  { "smsStatus.do", ep_sms_status },
  { "credit.do", ep_credit },
  { "responseList.do", ep_response_list },
  { "deleteSMS.do", ep_delete_sms },
  { "smsList.do", ep_sms_list },
  { "createSubAccount.do", ep_create_sub },
  { "deleteSubAccount.do", ep_delete_sub },
  { "creditTransfert.do", ep_credit_transfer },
  { "addContact.do", ep_add_contact },
};

static void smsmode_handle(void *state, const struct sim_request *req,
                           struct sim_response *resp)
{
  struct smsmode *st = state;
  if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0) {
    sim_respondf(resp, 405, "text/plain", "GET or POST only\n");
    return;
  }
  if (strcmp(req->subpath, "http/2.0/createAuthorisation.do") == 0) {
    create_authorisation(st, req, resp);
    return;
  }
  if (strncmp(req->subpath, "http/1.6/", 9) != 0)
    return; /* 404 */
  const char *name = req->subpath + 9;
  for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
    if (strcmp(endpoints[i].name, name) != 0)
      continue;
    /* sendSMSBatch.do may carry its token as a multipart field too */
    const struct sim_param *tp = send_param(req, "accessToken",
                                            endpoints[i].run == ep_send_batch);
    if (!tp || tp->len == 0) {
      answer_missing(resp);
      return;
    }
    struct token *t = token_find(st, tp->value);
    if (!t) {
      answer_code(resp, 32, "Erreur d'authentification", NULL);
      return;
    }
    endpoints[i].run(st, t->acct, req, resp);
    return;
  }
}

static void smsmode_error_answer(void *state, const struct sim_request *req,
                                 int code, struct sim_response *resp)
{
  (void)state;
  (void)req;
  answer_code(resp, code, code_text(code), NULL);
}

/* ------------------------------------------------------------ control API */

static struct json_object *account_json(struct smsmode *st, struct account *a)
{
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "provider", json_object_new_string("smsmode"));
  json_object_object_add(doc, "pseudo", json_object_new_string(a->pseudo));
  json_object_object_add(doc, "credit", sim_json_cents(a->credit));
  json_object_object_add(doc, "postpay", json_object_new_boolean(a->postpay));
  json_object_object_add(doc, "parent", a->parent ? json_object_new_string(a->parent) : NULL);
  struct json_object *tokens = json_object_new_array();
  for (struct token *t = st->tokens; t; t = t->next)
    if (t->acct == a)
      json_object_array_add(tokens, json_object_new_string(t->token));
  json_object_object_add(doc, "tokens", tokens);
  struct json_object *subs = json_object_new_array();
  for (struct account *s = st->accounts; s; s = s->next)
    if (s->parent && strcmp(s->parent, a->pseudo) == 0)
      json_object_array_add(subs, json_object_new_string(s->pseudo));
  json_object_object_add(doc, "sub_accounts", subs);
  size_t contacts = 0, messages = 0;
  for (struct contact *c = a->contacts; c; c = c->next)
    contacts++;
  for (struct message *m = st->messages; m; m = m->next)
    messages += m->acct == a;
  json_object_object_add(doc, "contacts", json_object_new_int64((int64_t)contacts));
  json_object_object_add(doc, "messages", json_object_new_int64((int64_t)messages));
  json_object_object_add(doc, "profile", json_object_get(a->profile));
  return doc;
}

/* token=T (or pseudo=P): the account, or NULL with a 404 answer. */
static struct account *ctl_account_of(struct smsmode *st, const struct sim_request *req,
                                      const char *default_token,
                                      struct sim_response *resp)
{
  const char *token = sim_param_nonempty(req, "token");
  const char *pseudo = sim_param_nonempty(req, "pseudo");
  if (!token && !pseudo)
    token = default_token;
  if (!token && !pseudo) {
    sim_ctl_error(resp, 400, "missing parameter: token");
    return NULL;
  }
  struct token *t = token ? token_find(st, token) : NULL;
  struct account *a = token ? (t ? t->acct : NULL) : account_by_pseudo(st, pseudo);
  if (!a)
    sim_ctl_error(resp, 404, "no smsmode account %s", token ? token : pseudo);
  return a;
}

static void ctl_account_get(void *state, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct smsmode *st = state;
  struct account *a = ctl_account_of(st, req, NULL, resp);
  if (a)
    sim_respond_json(resp, 200, account_json(st, a));
}

static void ctl_account_set(void *state, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct smsmode *st = state;
  const char *token = sim_param_nonempty(req, "token");
  const char *credit_s = sim_param_nonempty(req, "credit");
  const char *pseudo = sim_param_nonempty(req, "pseudo");
  const char *postpay = sim_param_nonempty(req, "postpay");
  long long credit = DEFAULT_CREDIT;
  if (!token) {
    sim_ctl_error(resp, 400, "missing parameter: token");
    return;
  }
  if (credit_s && sim_cents_parse(credit_s, &credit) != 0) {
    sim_ctl_error(resp, 400, "credit: a number with at most two decimals, not '%s'",
                  credit_s);
    return;
  }
  struct token *t = token_find(st, token);
  struct account *a = t ? t->acct : NULL;
  if (!a) {
    const char *name = pseudo ? pseudo : token;
    if (account_by_pseudo(st, name)) {
      sim_ctl_error(resp, 409, "smsmode pseudo %s is taken", name);
      return;
    }
    a = account_add(st, name, token, credit);
  }
  a->credit = credit;
  a->postpay = postpay && strcmp(postpay, "0") != 0;
  sim_respond_json(resp, 200, account_json(st, a));
}

static struct json_object *opt_string(const char *s)
{
  return s ? json_object_new_string(s) : NULL;
}

static struct json_object *message_json(const struct message *m)
{
  struct json_object *doc = json_object_new_object();
  char date[32];
  json_object_object_add(doc, "id", json_object_new_string(m->id));
  json_object_object_add(doc, "kind", json_object_new_string(kind_names[m->kind]));
  json_object_object_add(doc, "account", json_object_new_string(m->acct->pseudo));
  json_object_object_add(doc, "text", opt_string(m->text));
  json_object_object_add(doc, "encoding",
                         json_object_new_string(m->unicode ? "ucs2" : "gsm7"));
  json_object_object_add(doc, "classe_msg", json_object_new_int(m->classe));
  json_object_object_add(doc, "sender", opt_string(m->sender));
  json_object_object_add(doc, "ref_client", opt_string(m->ref_client));
  json_object_object_add(doc, "scheduled", json_object_new_boolean(m->scheduled));
  sim_time_dmyhm(m->at, date, sizeof date);
  json_object_object_add(doc, "date_envoi", m->scheduled ? json_object_new_string(date) : NULL);
  json_object_object_add(doc, "segments", json_object_new_int((int)m->segments));
  json_object_object_add(doc, "cost", sim_json_cents(m->cost));
  json_object_object_add(doc, "nbr_msg", json_object_new_int((int)m->nbr_msg));
  json_object_object_add(doc, "stop", json_object_new_int(m->stop));
  json_object_object_add(doc, "notification_url", opt_string(m->notification_url));
  json_object_object_add(doc, "notification_url_reponse",
                         opt_string(m->notification_url_reponse));
  json_object_object_add(doc, "group", opt_string(m->group));
  json_object_object_add(doc, "title", opt_string(m->title));
  json_object_object_add(doc, "language", opt_string(m->language));
  struct json_object *rcpts = json_object_new_array();
  for (size_t i = 0; i < m->n_rcpt; i++) {
    const struct recipient *r = &m->rcpt[i];
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "number", json_object_new_string(r->number));
    json_object_object_add(o, "status", json_object_new_int(r->status));
    json_object_object_add(o, "segments", json_object_new_int((int)r->segments));
    if (m->kind == KIND_BATCH) {
      json_object_object_add(o, "text", opt_string(r->text));
      json_object_object_add(o, "sender", opt_string(r->sender));
      json_object_object_add(o, "ref_client", opt_string(r->ref));
    }
    json_object_array_add(rcpts, o);
  }
  json_object_object_add(doc, "recipients", rcpts);
  return doc;
}

/* GET /_sim/messages?provider=smsmode[&token=T][&id=ID]: oldest first. */
static void ctl_messages(void *state, const struct sim_request *req,
                         struct sim_response *resp)
{
  struct smsmode *st = state;
  const char *id = sim_param_nonempty(req, "id");
  struct account *only = NULL;
  if (sim_param_nonempty(req, "token") || sim_param_nonempty(req, "pseudo")) {
    only = ctl_account_of(st, req, NULL, resp);
    if (!only)
      return;
  }
  size_t n = 0;
  for (struct message *m = st->messages; m; m = m->next)
    n++;
  const struct message **all = sim_xcalloc(n, sizeof *all);
  n = 0;
  for (struct message *m = st->messages; m; m = m->next)
    if ((!only || m->acct == only) && (!id || strcmp(m->id, id) == 0))
      all[n++] = m;
  struct json_object *arr = json_object_new_array();
  while (n > 0) /* the list is newest first */
    json_object_array_add(arr, message_json(all[--n]));
  free(all);
  sim_respond_json(resp, 200, arr);
}

/* POST /_sim/reply: an MO from `from`, attached to message_id or else to
   the latest message sent to `from`. */
static void ctl_reply(void *state, const struct sim_request *req,
                      struct sim_response *resp)
{
  struct smsmode *st = state;
  struct account *a = ctl_account_of(st, req, "demo-token", resp);
  if (!a)
    return;
  const char *from = sim_param_nonempty(req, "from");
  const char *text = sim_param(req, "text");
  const char *message_id = sim_param_nonempty(req, "message_id");
  const char *to = sim_param_nonempty(req, "to");
  const char *date = sim_param_nonempty(req, "date");
  time_t at = time(NULL);
  if (!from || !text) {
    sim_ctl_error(resp, 400, "reply wants from=NUM and text=TXT");
    return;
  }
  if (date && sim_time_parse_dmyhm(date, &at) != 0) {
    sim_ctl_error(resp, 400, "date: ddmmyyyy-hh:mm, not '%s'", date);
    return;
  }
  char *number = number_normalise(from, strlen(from));
  if (!number)
    number = sim_xstrdup(from);
  const struct message *orig = NULL;
  for (const struct message *m = st->messages; m && !orig; m = m->next) {
    if (m->acct != a)
      continue;
    if (message_id) {
      if (strcmp(m->id, message_id) == 0)
        orig = m;
      continue;
    }
    for (size_t i = 0; i < m->n_rcpt && !orig; i++)
      if (strcmp(m->rcpt[i].number, number) == 0)
        orig = m;
  }
  if (message_id && !orig) {
    free(number);
    sim_ctl_error(resp, 404, "no smsmode message %s for this account", message_id);
    return;
  }
  struct reply *r = sim_xcalloc(1, sizeof *r);
  new_id(st, r->id);
  r->acct = a;
  r->at = at;
  r->from = number;
  r->to = sim_xstrdup(to ? to : REPLY_NUMBER);
  r->text = sim_utf8_clean(text, strlen(text));
  r->message_id = sim_xstrdup(orig ? orig->id : "");
  /* newest first, by reception date (an injected date may be older) */
  struct reply **rp = &st->replies;
  while (*rp && (*rp)->at > r->at)
    rp = &(*rp)->next;
  r->next = *rp;
  *rp = r;

  if (orig && orig->notification_url_reponse && *orig->notification_url_reponse) {
    /* item 12: the reply notification, GET numero (the sMsmode number),
       message, emetteur, date_reception (ddmmyyyy-hhmmss), smsID,
       refClient, responseID */
    struct sim_buf b = { 0 };
    char rd[32];
    struct tm tm;
    localtime_r(&r->at, &tm);
    strftime(rd, sizeof rd, "%d%m%Y-%H%M%S", &tm);
    sim_buf_add(&b, orig->notification_url_reponse,
                strlen(orig->notification_url_reponse));
    sim_buf_add(&b, strchr(orig->notification_url_reponse, '?') ? "&" : "?", 1);
    push_param(&b, "numero", r->to, 0);
    push_param(&b, "message", r->text, 0);
    push_param(&b, "emetteur", r->from, 0);
    push_param(&b, "date_reception", rd, 0);
    push_param(&b, "smsID", orig->id, 0);
    push_param(&b, "refClient", orig->ref_client ? orig->ref_client : "", 0);
    push_param(&b, "responseID", r->id, 1);
    sim_buf_add(&b, "", 1);
    sim_push(b.data);
    free(b.data);
  }

  char d[32];
  sim_time_dmyhm(r->at, d, sizeof d);
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "provider", json_object_new_string("smsmode"));
  json_object_object_add(doc, "response_id", json_object_new_string(r->id));
  json_object_object_add(doc, "reception_date", json_object_new_string(d));
  json_object_object_add(doc, "from", json_object_new_string(r->from));
  json_object_object_add(doc, "to", json_object_new_string(r->to));
  json_object_object_add(doc, "text", json_object_new_string(r->text));
  json_object_object_add(doc, "message_id", json_object_new_string(r->message_id));
  json_object_object_add(doc, "account", json_object_new_string(a->pseudo));
  sim_respond_json(resp, 200, doc);
}

static const struct sim_ctl_op smsmode_ops[] = {
  { "account", "GET", ctl_account_get },
  { "account", "POST", ctl_account_set },
  { "messages", "GET", ctl_messages },
  { "reply", "POST", ctl_reply },
  { NULL, NULL, NULL },
};

/* ---------------------------------------------------------------- lifecycle */

static void *smsmode_create(void)
{
  struct smsmode *st = sim_xcalloc(1, sizeof *st);
  sim_rng_seed(&st->rng, 0x736d736d6f6465ULL); /* "smsmode" */
  builtin_accounts(st);
  return st;
}

static void smsmode_reset(void *state)
{
  struct smsmode *st = state;
  state_clear(st);
  builtin_accounts(st);
}

static void smsmode_destroy(void *state)
{
  struct smsmode *st = state;
  state_clear(st);
  free(st->ids);
  free(st);
}

const struct sim_provider sim_smsmode = {
  .name = "smsmode",
  .prefix = "/smsmode/",
  .create = smsmode_create,
  .destroy = smsmode_destroy,
  .reset = smsmode_reset,
  .handle = smsmode_handle,
  .error_answer = smsmode_error_answer,
  .advance = smsmode_advance,
  .ops = smsmode_ops,
};
