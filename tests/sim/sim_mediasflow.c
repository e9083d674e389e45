/* sim_mediasflow.c - the Mediasflow API SMS v2.3 (../shared/providers/
 * mediasflow-rest.txt) for smsmux-sim, served under /mediasflow/api/v1/.
 *
 * JSON in, JSON out (CSV for the /campaigns/report/ requests), behind a
 * login: POST /auth {"login","password"} answers `Authorization: Bearer T`,
 * and every other request must carry that header.  The guide prints no
 * login request, no error answer and no JSON report: what it leaves open is
 * decided here and written down in docs/providers/mediasflow.md
 * ("Simulator"). */
#include "config.h"

#include "sim.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSON_UTF8 "application/json; charset=UTF-8"
#define CSV_UTF8 "text/csv; charset=UTF-8"

#define API_PREFIX "api/v1/"
#define FIRST_CAMPAIGN_ID 943 /* the id of the guide's example answer */
#define FIRST_LIST_ID 392     /* the id of the guide's list upload answer */
#define SHORT_CODE_MKG "36184"   /* "36XXX pour les campagnes MARKETING" */
#define SHORT_CODE_NOTIF "38184" /* "38XXX pour ... NOTIFICATION" */
#define SCHEDULE_MIN_AHEAD 300   /* "supérieur d'au moins 5 minutes" */
#define CANCEL_MIN_AHEAD 10      /* "jusqu'à 10 secondes avant" */
#define PERIOD_MAX_SECONDS (7 * 86400) /* "Si plus de 7 jours ... erreur" */
#define TOKEN_LEN 40
#define DEFAULT_CREDIT 100000 /* hundredths: 1000 SMS */
#define MAX_SMS_DEFAULT 1     /* "Nombre de caractères autorisé par défaut" */
#define MAX_SMS_LIMIT 6       /* 918 GSM-7 / 402 UCS-2 characters */

/* Delivery status codes of the guide's section 3. */
enum {
  ST_PROCESSING = 1,   /* En cours de traitement */
  ST_BAD_NUMBER = 2,   /* Numéro mal formaté */
  ST_DUPLICATE = 4,    /* Doublons */
  ST_RENDERING = 5,    /* Erreur de personnalisation */
  ST_UCS2 = 6,         /* Caractère UCS2 non autorisé */
  ST_TOO_LONG = 7,     /* Message trop long */
  ST_POSTED = 10,      /* Posté */
  ST_BLACKLIST = 14,   /* Destinataire dans votre blacklist */
  ST_DELIVERED = 16,   /* Délivré */
  ST_DELIVERED_STOP = 17, /* Délivré + STOP demandé */
  ST_DELETED = 23,     /* Message supprimé */
  ST_UNAVAILABLE = 31, /* Mobile non disponible */
};

static const char *status_text(int code)
{
  switch (code) {
  case 1: return "En cours de traitement";
  case 2: return "Numéro mal formaté";
  case 3: return "Destination non autorisée";
  case 4: return "Doublons";
  case 5: return "Erreur de personnalisation";
  case 6: return "Caractère UCS2 non autorisé";
  case 7: return "Message trop long";
  case 8: return "Crédit insuffisant";
  case 9: return "En cours d'envoi";
  case 10: case 28: return "Posté";
  case 12: return "Erreur de traitement";
  case 13: return "Refus opérateur";
  case 14: return "Destinataire dans votre blacklist";
  case 15: return "Destinataire dans notre blacklist globale";
  case 16: case 21: return "Délivré";
  case 17: return "Délivré + STOP demandé";
  case 18: return "Destinataire dans votre blacklist client";
  case 19: return "Tarif manquant";
  case 20: case 25: return "Non délivré";
  case 22: return "Message expiré";
  case 23: return "Message supprimé";
  case 24: return "Envoyé";
  case 26: return "Erreur inconnue";
  case 27: return "Rejet opérateur";
  case 29: case 30: return "Numéro non attribué";
  case 31: return "Mobile non disponible";
  case 32: return "SMS rejeté";
  default: return "Inconnu";
  }
}

/* ------------------------------------------------------------------ model */

struct account {
  char *login, *password;
  char *customer_id, *user_owner_id;
  long long credit;  /* hundredths of an SMS credit */
  unsigned max_sms;  /* SMS per message the account allows */
  int token_uses;    /* requests a new token is good for; -1: no limit */
  int token_in_body; /* /auth answers {"token": T} instead of the header */
  char *fixed_token; /* /auth answers this token, or NULL: a new one */
  struct account *next;
};

struct token {
  char *token;
  struct account *acct;
  int uses_left; /* -1: no limit */
  struct token *next;
};

struct recipient {
  char *mobile; /* as given */
  char *intl;   /* +33..., NULL when malformed */
  int status;   /* section 3 code */
  int valid;    /* passed the checks: sent when the campaign is injected */
  time_t status_at;
  char *text;   /* rendered text (UTF-8) */
  unsigned segments;
  char *reply;
  unsigned line;   /* ID_LINE */
  char *ref_list;  /* REF_LIST */
  struct json_object *keys; /* personalisation fields: name -> string */
};

struct campaign {
  long long id;
  struct account *acct;
  const char *status; /* DRAFT, INJECTED, SCHEDULED (static strings) */
  char *type_select, *campaign_name, *sender, *short_code, *message;
  char *renderer, *billing_code, *brand;
  int check_duplicate, allow_ucs2, auto_emoji, auto_gsm7;
  struct json_object *default_for_header, *tiny_list;
  time_t created, updated, schedule_on; /* schedule_on 0: none */
  long long lists_id;                   /* 0: none */
  unsigned count_invalid, count_blacklist, count_duplicate, count_rendering;
  unsigned count_not_allow, count_from_list;
  long long cost; /* hundredths, debited when injected */
  struct recipient *rcpt;
  size_t n_rcpt;
  struct campaign *next; /* newest first */
};

struct bl_item {
  long long id;
  struct account *acct;
  char *item, *type_item, *description, *brand;
  time_t created;
  struct bl_item *next; /* oldest first */
};

struct list_row {
  char **fields; /* decoded to UTF-8 */
  size_t n;
  unsigned line;
};

struct list {
  long long id;
  struct account *acct;
  char *name;
  char **header;
  size_t n_header;
  size_t mobile_col;
  struct list_row *rows;
  size_t n_rows;
  struct list *next;
};

struct mediasflow {
  struct account *accounts;
  struct token *tokens;
  struct campaign *campaigns;
  struct bl_item *blacklist;
  struct list *lists;
  struct sim_rng rng;  /* not reset: identifiers stay unique for the run */
  long long next_campaign, next_list, next_bl;
};

/* --------------------------------------------------------------- freeing */

static void recipient_free(struct recipient *r)
{
  free(r->mobile), free(r->intl), free(r->text), free(r->reply);
  free(r->ref_list);
  json_object_put(r->keys);
}

static void campaign_free(struct campaign *c)
{
  for (size_t i = 0; i < c->n_rcpt; i++)
    recipient_free(&c->rcpt[i]);
  free(c->rcpt);
  free(c->type_select), free(c->campaign_name), free(c->sender);
  free(c->short_code), free(c->message), free(c->renderer);
  free(c->billing_code), free(c->brand);
  json_object_put(c->default_for_header);
  json_object_put(c->tiny_list);
  free(c);
}

static void list_free(struct list *l)
{
  for (size_t i = 0; i < l->n_rows; i++) {
    for (size_t j = 0; j < l->rows[i].n; j++)
      free(l->rows[i].fields[j]);
    free(l->rows[i].fields);
  }
  free(l->rows);
  for (size_t j = 0; j < l->n_header; j++)
    free(l->header[j]);
  free(l->header);
  free(l->name);
  free(l);
}

static void account_free(struct account *a)
{
  free(a->login), free(a->password), free(a->customer_id);
  free(a->user_owner_id), free(a->fixed_token);
  free(a);
}

static void state_clear(struct mediasflow *st)
{
  while (st->campaigns) {
    struct campaign *c = st->campaigns;
    st->campaigns = c->next;
    campaign_free(c);
  }
  while (st->lists) {
    struct list *l = st->lists;
    st->lists = l->next;
    list_free(l);
  }
  while (st->blacklist) {
    struct bl_item *b = st->blacklist;
    st->blacklist = b->next;
    free(b->item), free(b->type_item), free(b->description), free(b->brand);
    free(b);
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

static struct account *account_find(struct mediasflow *st, const char *login)
{
  for (struct account *a = st->accounts; a; a = a->next)
    if (strcmp(a->login, login) == 0)
      return a;
  return NULL;
}

static struct account *account_add(struct mediasflow *st, const char *login,
                                   const char *password, long long credit,
                                   const char *customer, const char *user)
{
  struct account *a = sim_xcalloc(1, sizeof *a);
  a->login = sim_xstrdup(login);
  a->password = sim_xstrdup(password);
  a->credit = credit;
  a->max_sms = MAX_SMS_DEFAULT;
  a->token_uses = -1;
  a->customer_id = sim_xstrdup(customer);
  a->user_owner_id = sim_xstrdup(user);
  struct account **tail = &st->accounts;
  while (*tail)
    tail = &(*tail)->next;
  *tail = a;
  return a;
}

static void builtin_accounts(struct mediasflow *st)
{
  /* the customer and user ids of the guide's example answers */
  account_add(st, "demo", "demo-password", DEFAULT_CREDIT,
              "5e1f1fa1392b6a759299b09a", "5e1f4f4e7e9b504fcfd49eb2");
  account_add(st, "lists", "lists-password", DEFAULT_CREDIT,
              "5e1f1fa1392b6a759299b09a", "6009b630d86ae22270c0f3d6");
  account_add(st, "poor", "poor-password", 0,
              "5e1f1fa1392b6a759299b09b", "5e1f4f4e7e9b504fcfd49eb3");
}

/* Expire every token (of `a`, or all): refused from now on. */
static size_t tokens_expire(struct mediasflow *st, const struct account *a)
{
  size_t n = 0;
  for (struct token *t = st->tokens; t; t = t->next)
    if ((!a || t->acct == a) && t->uses_left != 0) {
      t->uses_left = 0;
      n++;
    }
  return n;
}

/* ---------------------------------------------------------------- answers */

static void answer_json(struct sim_response *resp, unsigned status,
                        struct json_object *doc)
{
  const char *s = json_object_to_json_string_ext(
    doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  sim_respond(resp, status, JSON_UTF8, s, strlen(s));
  json_object_put(doc);
}

/* The error answer: HTTP `code` with {"code": code, "message": text}. */
static void answer_error(struct sim_response *resp, unsigned code,
                         const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void answer_error(struct sim_response *resp, unsigned code,
                         const char *fmt, ...)
{
  struct sim_buf b = { 0 };
  va_list ap;
  va_start(ap, fmt);
  sim_buf_vaddf(&b, fmt, ap);
  va_end(ap);
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "code", json_object_new_int((int)code));
  json_object_object_add(doc, "message", json_object_new_string(b.data ? b.data : ""));
  sim_buf_free(&b);
  answer_json(resp, code, doc);
}

static const char *error_text(int code)
{
  switch (code) {
  case 400: return "Requête invalide";
  case 401: return "Authentification requise";
  case 402: return "Crédit insuffisant";
  case 403: return "Adresse IP non autorisée";
  case 404: return "Ressource introuvable";
  case 405: return "Méthode non autorisée";
  case 409: return "Conflit";
  case 429: return "Trop de requêtes";
  case 500: return "Erreur interne";
  case 503: return "Service temporairement indisponible";
  default: return "Erreur";
  }
}

/* ---------------------------------------------------------------- numbers */

static int digits_only(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i]))
      return 0;
  return n > 0;
}

/* A recipient number in the forms lists and requests use ("0632545311",
   "632545311", "33632545311", "+33632545311", "0033632545311",
   "tel:0624170068", with spaces, dots or dashes) as +E.164, or NULL. */
static char *number_intl(const char *in)
{
  char d[40];
  size_t n = 0;
  int plus = 0;
  if (strncasecmp(in, "tel:", 4) == 0)
    in += 4;
  for (const char *p = in; *p; p++) {
    if (*p == '+' && n == 0 && !plus)
      plus = 1;
    else if (isdigit((unsigned char)*p) && n < sizeof d - 1)
      d[n++] = *p;
    else if (*p != ' ' && *p != '.' && *p != '-')
      return NULL;
  }
  d[n] = '\0';
  if (!digits_only(d, n))
    return NULL;
  if (plus)
    return n >= 8 && n <= 15 && d[0] != '0' ? sim_xasprintf("+%s", d) : NULL;
  if (n >= 10 && n <= 17 && d[0] == '0' && d[1] == '0')
    return sim_xasprintf("+%s", d + 2);
  if (n == 10 && d[0] == '0')
    return sim_xasprintf("+33%s", d + 1);
  if (n == 9 && d[0] != '0')
    return sim_xasprintf("+33%s", d);
  if (n >= 11 && n <= 15 && d[0] != '0')
    return sim_xasprintf("+%s", d);
  return NULL;
}

static const char *country_of(const char *intl)
{
  static const struct { const char *cc, *name; } cc[] = {
    { "+33", "FR" }, { "+32", "BE" }, { "+41", "CH" }, { "+352", "LU" },
    { "+377", "MC" }, { "+44", "GB" }, { "+49", "DE" }, { "+34", "ES" },
    { "+39", "IT" }, { "+262", "RE" }, { "+590", "GP" }, { "+596", "MQ" },
  };
  for (size_t i = 0; i < sizeof cc / sizeof cc[0]; i++)
    if (strncmp(intl, cc[i].cc, strlen(cc[i].cc)) == 0)
      return cc[i].name;
  return "ZZ";
}

/* ------------------------------------------------------------------ text */

/* GSM 03.38: the default alphabet, then the extension table (2 septets). */
static const char gsm_basic[] =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
static const char gsm_ext[] = "^{}\\[~]|€\f";

static int utf8_in(const char *set, uint32_t cp)
{
  const unsigned char *s = (const unsigned char *)set, *end = s + strlen(set);
  while (s < end)
    if (sim_utf8_next(&s, end) == cp)
      return 1;
  return 0;
}

/* Septets of `cp` in GSM-7, 0 when it has none. */
static unsigned gsm_septets(uint32_t cp)
{
  if (utf8_in(gsm_basic, cp))
    return 1;
  if (utf8_in(gsm_ext, cp))
    return 2;
  return 0;
}

/* autoREPLACETOGSM7: "les caractères ç,â,ê,ë seront remplacés par
   c,a,e,e".  The replacement of a character, or NULL. */
static const char *gsm_replacement(uint32_t cp)
{
  static const struct { uint32_t cp; const char *with; } map[] = {
    { 0xE7, "c" }, { 0xE2, "a" }, { 0xE1, "a" }, { 0xE3, "a" },
    { 0xEA, "e" }, { 0xEB, "e" }, { 0xE8, "è" }, { 0xEE, "i" },
    { 0xEF, "i" }, { 0xED, "i" }, { 0xF4, "o" }, { 0xF3, "o" },
    { 0xF5, "o" }, { 0xFB, "u" }, { 0xFA, "u" }, { 0xFF, "y" },
    { 0xC0, "A" }, { 0xC2, "A" }, { 0xC1, "A" }, { 0xC8, "E" },
    { 0xCA, "E" }, { 0xCB, "E" }, { 0xCE, "I" }, { 0xCF, "I" },
    { 0xD4, "O" }, { 0xD9, "U" }, { 0xDB, "U" }, { 0x153, "oe" },
    { 0x152, "OE" }, { 0x2019, "'" }, { 0x2018, "'" }, { 0x201C, "\"" },
    { 0x201D, "\"" }, { 0xAB, "\"" }, { 0xBB, "\"" }, { 0x2013, "-" },
    { 0x2014, "-" }, { 0x2026, "..." }, { 0xA0, " " },
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (map[i].cp == cp)
      return map[i].with;
  return NULL;
}

/* Shape `in` as the account would send it.  Returns 0 with the text,
   its SMS count and encoding, or the status code that stops it (6, 7). */
static int shape_text(const struct campaign *c, const char *in, char **out,
                      unsigned *segments)
{
  struct sim_buf b = { 0 };
  const unsigned char *s = (const unsigned char *)in, *end = s + strlen(in);
  unsigned septets = 0, units = 0;
  int gsm = 1;
  while (s < end) {
    uint32_t cp = sim_utf8_next(&s, end);
    const char *rep;
    unsigned n = gsm_septets(cp);
    if (n == 0 && c->auto_gsm7 && (rep = gsm_replacement(cp)) != NULL) {
      sim_buf_adds(&b, rep);
      const unsigned char *r = (const unsigned char *)rep, *rend = r + strlen(rep);
      while (r < rend) {
        uint32_t rc = sim_utf8_next(&r, rend);
        septets += gsm_septets(rc);
        units++;
      }
      continue;
    }
    if (n == 0)
      gsm = 0;
    septets += n;
    units += cp > 0xFFFF ? 2 : 1;
    sim_utf8_put(&b, cp);
  }
  *out = sim_buf_take(&b, NULL);
  if (!gsm && !c->allow_ucs2)
    return ST_UCS2;
  unsigned len = gsm ? septets : units;
  unsigned one = gsm ? 160 : 70, many = gsm ? 153 : 67;
  *segments = len <= one ? 1 : (len + many - 1) / many;
  if (*segments > c->acct->max_sms)
    return ST_TOO_LONG;
  return 0;
}

/* --------------------------------------------------------------- JSON in */

static struct json_object *body_json(const struct sim_request *req)
{
  if (!req->body || req->body_len == 0)
    return NULL;
  char *s = sim_xstrndup((const char *)req->body, req->body_len);
  struct json_object *doc = json_tokener_parse(s);
  free(s);
  return doc;
}

static struct json_object *member(struct json_object *o, const char *name)
{
  struct json_object *v = NULL;
  if (o && json_object_is_type(o, json_type_object) &&
      json_object_object_get_ex(o, name, &v))
    return v;
  return NULL;
}

/* A string member (numbers are read as their text), or NULL. */
static const char *member_string(struct json_object *o, const char *name)
{
  struct json_object *v = member(o, name);
  if (!v || json_object_is_type(v, json_type_null) ||
      json_object_is_type(v, json_type_object) ||
      json_object_is_type(v, json_type_array))
    return NULL;
  return json_object_get_string(v);
}

/* A boolean member: JSON true/false, or the guide's "TRUE"/"FALSE" (its
   checkDuplicate is a string).  -1 when absent, -2 when neither. */
static int member_bool(struct json_object *o, const char *name)
{
  struct json_object *v = member(o, name);
  if (!v || json_object_is_type(v, json_type_null))
    return -1;
  if (json_object_is_type(v, json_type_boolean))
    return json_object_get_boolean(v);
  if (json_object_is_type(v, json_type_string)) {
    const char *s = json_object_get_string(v);
    if (strcasecmp(s, "true") == 0)
      return 1;
    if (strcasecmp(s, "false") == 0)
      return 0;
  }
  return -2;
}

/* ------------------------------------------------------------------ auth */

/* POST /auth: {"login","password"} as JSON (a form works too). */
static void ep_auth(struct mediasflow *st, const struct sim_request *req,
                    struct sim_response *resp)
{
  struct json_object *doc = body_json(req);
  const char *login = member_string(doc, "login");
  const char *password = member_string(doc, "password");
  if (!doc) {
    login = sim_param(req, "login");
    password = sim_param(req, "password");
  }
  if (!login || !*login || !password) {
    json_object_put(doc);
    answer_error(resp, 400, "login et password sont obligatoires");
    return;
  }
  struct account *a = account_find(st, login);
  if (!a || strcmp(a->password, password) != 0) {
    json_object_put(doc);
    answer_error(resp, 401, "Identifiant ou mot de passe incorrect");
    return;
  }
  json_object_put(doc);

  struct token *t = sim_xcalloc(1, sizeof *t);
  if (a->fixed_token) {
    t->token = sim_xstrdup(a->fixed_token);
  } else {
    char tok[TOKEN_LEN + 1];
    sim_rng_alnum(&st->rng, tok, TOKEN_LEN);
    t->token = sim_xstrdup(tok);
  }
  t->acct = a;
  t->uses_left = a->token_uses;
  t->next = st->tokens;
  st->tokens = t;

  struct json_object *out = json_object_new_object();
  json_object_object_add(out, "login", json_object_new_string(a->login));
  json_object_object_add(out, "customerID", json_object_new_string(a->customer_id));
  json_object_object_add(out, "userOwnerID", json_object_new_string(a->user_owner_id));
  if (a->token_in_body)
    json_object_object_add(out, "token", json_object_new_string(t->token));
  answer_json(resp, 200, out);
  if (!a->token_in_body) {
    char *v = sim_xasprintf("Bearer %s", t->token);
    sim_respond_header(resp, "Authorization", v);
    free(v);
  }
}

/* The account of `Authorization: Bearer T`, or NULL after a 401 answer. */
static struct account *authenticate(struct mediasflow *st,
                                    const struct sim_request *req,
                                    struct sim_response *resp)
{
  const char *h = sim_header(req, "Authorization");
  if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
    answer_error(resp, 401, "Authentification requise (Authorization: Bearer)");
    return NULL;
  }
  const char *tok = h + 7;
  while (*tok == ' ')
    tok++;
  /* a token set with /_sim/account token=T is the account's for good
     (tests point two simulators at one account with it) */
  for (struct account *a = st->accounts; a; a = a->next)
    if (a->fixed_token && strcmp(a->fixed_token, tok) == 0)
      return a;
  for (struct token *t = st->tokens; t; t = t->next) {
    if (strcmp(t->token, tok) != 0)
      continue;
    if (t->uses_left == 0)
      break; /* expired: kept, so that /_sim/account still lists it */
    if (t->uses_left > 0)
      t->uses_left--;
    return t->acct;
  }
  answer_error(resp, 401, "Jeton invalide ou expiré");
  return NULL;
}

/* -------------------------------------------------------------- campaigns */

static struct campaign *campaign_find(struct mediasflow *st, struct account *a,
                                      long long id)
{
  for (struct campaign *c = st->campaigns; c; c = c->next)
    if (c->id == id && c->acct == a)
      return c;
  return NULL;
}

static int blacklisted(struct mediasflow *st, struct account *a, const char *intl)
{
  for (struct bl_item *b = st->blacklist; b; b = b->next)
    if (b->acct == a && strcmp(b->type_item, "MOBILE") == 0 &&
        strcmp(b->item, intl) == 0)
      return 1;
  return 0;
}

static struct recipient *rcpt_push(struct campaign *c, size_t *cap)
{
  if (c->n_rcpt == *cap)
    c->rcpt = sim_xrealloc(c->rcpt, (*cap = *cap ? *cap * 2 : 8) * sizeof *c->rcpt);
  struct recipient *r = &c->rcpt[c->n_rcpt++];
  memset(r, 0, sizeof *r);
  r->keys = json_object_new_object();
  return r;
}

static void key_set(struct recipient *r, const char *name, const char *value)
{
  json_object_object_add(r->keys, name, json_object_new_string(value ? value : ""));
}

static const char *const number_fields[] = { "mobile", "sms", "portable", "gsm" };

/* One element of listRecipient: the number under "mobile", "sms",
   "portable" or "gsm", extendedKeys as [{"keyName","keyValue"}] (the
   guide's example) or [{"NAME": "value", ...}] (its table), and the other
   members (title, lastName...) as fields too. */
static void recipient_from_json(struct campaign *c, size_t *cap,
                                struct json_object *o, unsigned line)
{
  struct recipient *r = rcpt_push(c, cap);
  r->line = line;
  r->ref_list = sim_xstrdup("API");
  if (!json_object_is_type(o, json_type_object)) {
    r->mobile = sim_xstrdup("");
    return;
  }
  for (size_t i = 0; i < sizeof number_fields / sizeof number_fields[0] && !r->mobile; i++) {
    const char *v = member_string(o, number_fields[i]);
    if (v)
      r->mobile = sim_xstrdup(v);
  }
  if (!r->mobile)
    r->mobile = sim_xstrdup("");
  json_object_object_foreach(o, k, v) {
    if (strcmp(k, "extendedKeys") == 0 && json_object_is_type(v, json_type_array)) {
      for (size_t i = 0; i < json_object_array_length(v); i++) {
        struct json_object *e = json_object_array_get_idx(v, i);
        const char *name = member_string(e, "keyName");
        if (name) {
          key_set(r, name, member_string(e, "keyValue"));
          continue;
        }
        json_object_object_foreach(e, ek, ev)
          key_set(r, ek, json_object_is_type(ev, json_type_string) ||
                         json_object_is_type(ev, json_type_int)
                           ? json_object_get_string(ev) : "");
      }
    } else if (json_object_is_type(v, json_type_string) ||
               json_object_is_type(v, json_type_int)) {
      int number = 0;
      for (size_t i = 0; i < sizeof number_fields / sizeof number_fields[0]; i++)
        number |= strcmp(k, number_fields[i]) == 0;
      if (!number)
        key_set(r, k, json_object_get_string(v));
    }
  }
}

static struct list *list_find(struct mediasflow *st, struct account *a, long long id)
{
  for (struct list *l = st->lists; l; l = l->next)
    if (l->id == id && l->acct == a)
      return l;
  return NULL;
}

static void recipients_from_list(struct campaign *c, size_t *cap, const struct list *l)
{
  for (size_t i = 0; i < l->n_rows; i++) {
    const struct list_row *row = &l->rows[i];
    struct recipient *r = rcpt_push(c, cap);
    r->line = row->line;
    r->ref_list = sim_xstrdup(l->name);
    r->mobile = sim_xstrdup(l->mobile_col < row->n ? row->fields[l->mobile_col] : "");
    for (size_t j = 0; j < l->n_header && j < row->n; j++)
      if (j != l->mobile_col)
        key_set(r, l->header[j], row->fields[j]);
    c->count_from_list++;
  }
}

/* Personalisation with the BASIC renderer: ${NAME} from the recipient's
   fields, else defaultForHeader, else nothing (the guide's example answer
   counts a recipient without PRENOM as valid); ${track_N} is the short URL
   of tinyList index N-1.  Returns NULL when a "${" is never closed
   (status 5, "Erreur de personnalisation"). */
static char *render_basic(const struct campaign *c, const struct recipient *r)
{
  struct sim_buf b = { 0 };
  const char *p = c->message;
  while (*p) {
    const char *open = strstr(p, "${");
    const char *close = open ? strchr(open + 2, '}') : NULL;
    if (open && !close) {
      sim_buf_free(&b);
      return NULL;
    }
    if (!open) {
      sim_buf_adds(&b, p);
      break;
    }
    sim_buf_add(&b, p, (size_t)(open - p));
    char *name = sim_xstrndup(open + 2, (size_t)(close - open - 2));
    const char *v = member_string(r->keys, name);
    if (!v)
      v = member_string(c->default_for_header, name);
    long long idx;
    if (!v && strncmp(name, "track_", 6) == 0 && sim_int_parse(name + 6, &idx) == 0 &&
        idx >= 1 && c->tiny_list &&
        (size_t)idx <= json_object_array_length(c->tiny_list)) {
      char *url = sim_xasprintf("https://1mf.eu/%lld%02lld", c->id, idx);
      sim_buf_adds(&b, url);
      free(url);
      free(name);
      p = close + 1;
      continue;
    }
    free(name);
    sim_buf_adds(&b, v ? v : "");
    p = close + 1;
  }
  return sim_buf_take(&b, NULL);
}

/* Check every recipient as the preparation does: number, blacklist,
   duplicates, personalisation, characters, length. */
static void campaign_check(struct mediasflow *st, struct campaign *c)
{
  for (size_t i = 0; i < c->n_rcpt; i++) {
    struct recipient *r = &c->rcpt[i];
    r->intl = number_intl(r->mobile);
    r->valid = 0;
    if (!r->intl) {
      r->status = ST_BAD_NUMBER;
      c->count_invalid++;
      continue;
    }
    if (blacklisted(st, c->acct, r->intl)) {
      r->status = ST_BLACKLIST;
      c->count_blacklist++;
      continue;
    }
    int dup = 0;
    for (size_t j = 0; c->check_duplicate && j < i && !dup; j++)
      dup = c->rcpt[j].intl && strcmp(c->rcpt[j].intl, r->intl) == 0;
    if (dup) {
      r->status = ST_DUPLICATE;
      c->count_duplicate++;
      continue;
    }
    char *text = strcmp(c->renderer, "BASIC") == 0 ? render_basic(c, r)
                                                   : sim_xstrdup(c->message);
    if (!text) {
      r->status = ST_RENDERING;
      c->count_rendering++;
      continue;
    }
    int refused = shape_text(c, text, &r->text, &r->segments);
    free(text);
    if (refused) {
      r->status = refused;
      c->count_not_allow++;
      continue;
    }
    r->status = ST_PROCESSING;
    r->valid = 1;
  }
}

static unsigned count_valid(const struct campaign *c)
{
  unsigned n = 0;
  for (size_t i = 0; i < c->n_rcpt; i++)
    n += c->rcpt[i].valid;
  return (unsigned)n;
}

static long long campaign_cost(const struct campaign *c)
{
  long long units = 0;
  for (size_t i = 0; i < c->n_rcpt; i++)
    if (c->rcpt[i].valid)
      units += c->rcpt[i].segments;
  return units * 100; /* one credit per SMS */
}

/* "Jun 16, 2021 6:29:07 PM" (local time), the guide's creationDate. */
static char *date_us(time_t t)
{
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  struct tm tm;
  localtime_r(&t, &tm);
  int h = tm.tm_hour % 12;
  return sim_xasprintf("%s %d, %d %d:%02d:%02d %s", months[tm.tm_mon], tm.tm_mday,
                       tm.tm_year + 1900, h ? h : 12, tm.tm_min, tm.tm_sec,
                       tm.tm_hour < 12 ? "AM" : "PM");
}

static char *date_iso_utc(time_t t)
{
  struct tm tm;
  char buf[32];
  gmtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return sim_xstrdup(buf);
}

/* JSON numbers the guide prints with a decimal point: 1.0, 0.0. */
static struct json_object *json_credit(long long cents)
{
  char buf[32];
  snprintf(buf, sizeof buf, cents % 10 == 0 ? "%.1f" : "%.2f", (double)cents / 100.0);
  return json_object_new_double_s((double)cents / 100.0, buf);
}

static struct json_object *jstr(const char *s)
{
  return json_object_new_string(s ? s : "");
}

/* The campaign as /campaigns/inject answers it: the members of the
   guide's example (2.1.3.1), in its order, then scheduleOn and
   billingCode when the campaign has them. */
static struct json_object *campaign_json(const struct campaign *c)
{
  struct json_object *o = json_object_new_object();
  unsigned valid = count_valid(c);
  json_object_object_add(o, "userOwnerID", jstr(c->acct->user_owner_id));
  json_object_object_add(o, "customerID", jstr(c->acct->customer_id));
  json_object_object_add(o, "id", json_object_new_int64(c->id));
  json_object_object_add(o, "sendToSelect", jstr("SMS"));
  json_object_object_add(o, "typeSelect", jstr(c->type_select));
  json_object_object_add(o, "campaignName", jstr(c->campaign_name));

  /* the recipients given inline, as a VIRTUAL list; its statistics stay 0
     as in the guide's example (they are those of an uploaded CSV) */
  struct json_object *l = json_object_new_object();
  struct json_object *rc = json_object_new_array();
  for (size_t i = 0; i < c->n_rcpt - c->count_from_list; i++) {
    struct json_object *e = json_object_new_object();
    json_object_object_add(e, "mobile", jstr(c->rcpt[i].mobile));
    json_object_object_add(e, "groupID", json_object_new_int(0));
    json_object_object_add(e, "id", json_object_new_int(0));
    json_object_array_add(rc, e);
  }
  json_object_object_add(l, "_id", json_object_new_int(0));
  json_object_object_add(l, "type", jstr("VIRTUAL"));
  json_object_object_add(l, "globalInvalidLine", json_object_new_int(0));
  json_object_object_add(l, "validNumberMOBILE", json_object_new_int(0));
  json_object_object_add(l, "validNumberEMAIL", json_object_new_int(0));
  json_object_object_add(l, "invalidNumberEMAIL", json_object_new_int(0));
  json_object_object_add(l, "invalidNumberMOBILE", json_object_new_int(0));
  json_object_object_add(l, "size", json_object_new_int(0));
  json_object_object_add(l, "maxSizeDataLine", json_object_new_int(0));
  json_object_object_add(l, "recipients", rc);
  struct json_object *items = json_object_new_array();
  if (c->lists_id)
    json_object_array_add(items, json_object_new_int64(c->lists_id));
  json_object_object_add(l, "listsItems", items);
  json_object_object_add(l, "lineDuplicateMobile", json_object_new_array());
  json_object_object_add(l, "countDuplicateMobile", json_object_new_int(0));
  json_object_object_add(l, "lineDuplicateEmail", json_object_new_array());
  json_object_object_add(l, "countDuplicateEmail", json_object_new_int(0));
  json_object_object_add(l, "charsetDetected", jstr(""));
  json_object_object_add(l, "campainId", json_object_new_int(0));
  json_object_object_add(o, "listInCampaign", l);

  json_object_object_add(o, "countRecipient", json_object_new_int((int)c->n_rcpt));
  json_object_object_add(o, "countInvalidRecipient", json_object_new_int((int)c->count_invalid));
  json_object_object_add(o, "countInBlackListRecipient", json_object_new_int((int)c->count_blacklist));
  json_object_object_add(o, "countDuplicateRecipient", json_object_new_int((int)c->count_duplicate));
  json_object_object_add(o, "renderer", jstr(c->renderer));
  char *d = date_us(c->created);
  json_object_object_add(o, "creationDate", jstr(d));
  free(d);
  json_object_object_add(o, "sender", jstr(c->sender ? c->sender : c->short_code));
  json_object_object_add(o, "status", jstr(c->status));
  json_object_object_add(o, "shortCode", jstr(c->short_code));
  json_object_object_add(o, "message", jstr(c->message));
  char *path = sim_xasprintf("%02llx/%02llx/", (c->id * 2654435761LL) % 256,
                             (c->id * 40503LL) % 256);
  json_object_object_add(o, "pathToCampaign", jstr(path));
  free(path);
  json_object_object_add(o, "checkDuplicate", json_object_new_boolean(c->check_duplicate));
  json_object_object_add(o, "allowUCS2", json_object_new_boolean(c->allow_ucs2));
  json_object_object_add(o, "autoREPLACEEMOJI", json_object_new_boolean(c->auto_emoji));
  json_object_object_add(o, "autoREPLACETOGSM7", json_object_new_boolean(c->auto_gsm7));
  json_object_object_add(o, "defaultForHeader",
                         c->default_for_header ? json_object_get(c->default_for_header)
                                               : json_object_new_object());
  long long cost = campaign_cost(c);
  json_object_object_add(o, "creditCount", json_credit(cost));
  long long after = c->acct->credit - (strcmp(c->status, "DRAFT") == 0 ? cost : 0);
  json_object_object_add(o, "creditAfterInjection", json_credit(after));
  json_object_object_add(o, "globalCounter", json_object_new_int(0));
  json_object_object_add(o, "countValid", json_object_new_int((int)valid));
  unsigned posted = 0;
  for (size_t i = 0; i < c->n_rcpt; i++)
    posted += c->rcpt[i].valid && c->rcpt[i].status != ST_PROCESSING &&
              c->rcpt[i].status != ST_DELETED;
  json_object_object_add(o, "countPosted", json_object_new_int((int)posted));
  json_object_object_add(o, "countDuplicate", json_object_new_int((int)c->count_duplicate));
  json_object_object_add(o, "countNotAllow", json_object_new_int((int)c->count_not_allow));
  json_object_object_add(o, "countNotValid", json_object_new_int((int)c->count_invalid));
  json_object_object_add(o, "countErrorRendering", json_object_new_int((int)c->count_rendering));
  json_object_object_add(o, "countMaxCrediteOver", json_object_new_int(0));
  json_object_object_add(o, "countMaxCreditFound", json_object_new_int((int)valid));
  d = date_us(c->updated);
  json_object_object_add(o, "updateDate", jstr(d));
  free(d);
  json_object_object_add(o, "scheduled", json_object_new_boolean(c->schedule_on != 0));
  json_object_object_add(o, "isInScheduler",
                         json_object_new_boolean(strcmp(c->status, "SCHEDULED") == 0));
  json_object_object_add(o, "tinyList",
                         c->tiny_list ? json_object_get(c->tiny_list) : json_object_new_array());
  json_object_object_add(o, "countBlackList", json_object_new_int((int)c->count_blacklist));
  json_object_object_add(o, "countBlackListMEDIASFLOW", json_object_new_int(0));
  json_object_object_add(o, "countBlackListCUSTOMER", json_object_new_int((int)c->count_blacklist));
  json_object_object_add(o, "countBlackListBRAND", json_object_new_int(0));
  if (c->schedule_on) {
    d = date_iso_utc(c->schedule_on);
    json_object_object_add(o, "scheduleOn", jstr(d));
    free(d);
  }
  if (c->billing_code)
    json_object_object_add(o, "billingCode", jstr(c->billing_code));
  if (c->brand)
    json_object_object_add(o, "brand", jstr(c->brand));
  return o;
}

/* Inject a checked campaign: debit, then every valid recipient is "en
   cours de traitement" (scheduled ones stay so: the simulator never
   reaches their date).  Returns 0, or -1 after a 402/400 answer. */
static int campaign_inject(struct campaign *c, struct sim_response *resp)
{
  if (count_valid(c) == 0) {
    answer_error(resp, 400, "Aucun destinataire valide dans la campagne %lld", c->id);
    return -1;
  }
  long long cost = campaign_cost(c);
  if (cost > c->acct->credit) {
    answer_error(resp, 402, "Crédit insuffisant");
    return -1;
  }
  c->acct->credit -= cost;
  c->cost = cost;
  c->status = c->schedule_on ? "SCHEDULED" : "INJECTED";
  c->updated = time(NULL);
  for (size_t i = 0; i < c->n_rcpt; i++)
    if (c->rcpt[i].valid) {
      c->rcpt[i].status = ST_PROCESSING;
      c->rcpt[i].status_at = c->updated;
    }
  return 0;
}

/* "yyyy-MM-dd'T'HH:mm:ss'Z'" (UTC); 0, or -1 when malformed. */
static int parse_iso_utc(const char *s, time_t *out)
{
  int y, mo, d, h, mi, se;
  char z[4] = "";
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%3s", &y, &mo, &d, &h, &mi, &se, z) < 6 ||
      strlen(s) < 19 || (*z && strcmp(z, "Z") != 0))
    return -1;
  struct tm tm = { 0 };
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
  tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = se;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
    return -1;
  *out = timegm(&tm);
  return 0;
}

static int sender_ok(const char *s)
{
  size_t n = strlen(s);
  if (n < 3 || n > 11 || digits_only(s, n))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) || (unsigned char)s[i] > 0x7F)
      return 0;
  return 1;
}

static const char *const renderers[] = { "BASIC", "MEDIASFLOW", "MEDIASFLOW_B",
                                         "HANDLEBARS", "EJS", "VELOCITY" };

/* A new campaign from the parameters of /campaigns/inject.  Returns it,
   or NULL after a 400 answer. */
static struct campaign *campaign_new(struct mediasflow *st, struct account *a,
                                     struct json_object *in,
                                     struct sim_response *resp)
{
  const char *msg = member_string(in, "msg");
  const char *sender = member_string(in, "sender");
  const char *type = member_string(in, "typeSelect");
  const char *schedule = member_string(in, "scheduleOn");
  const char *renderer = member_string(in, "renderer");
  const char *name = member_string(in, "campaignName");
  struct json_object *list = member(in, "listRecipient");
  struct json_object *tiny = member(in, "tinyList");
  struct json_object *defaults = member(in, "defaultForHeader");
  const char *lists_id_s = member_string(in, "listsId");
  long long lists_id = 0;
  struct list *from_list = NULL;
  time_t schedule_on = 0;
  int bools[4];
  static const char *const bool_names[] = { "checkDuplicate", "allowUCS2",
                                            "autoREPLACEEMOJI", "autoREPLACETOGSM7" };

  if (!msg || !*msg) {
    answer_error(resp, 400, "Le paramètre msg est obligatoire");
    return NULL;
  }
  if (sender && !sender_ok(sender)) {
    answer_error(resp, 400, "Emetteur invalide : 3 à 11 caractères alphanumériques, "
                 "pas uniquement des chiffres (%s)", sender);
    return NULL;
  }
  if (type && strcmp(type, "MKG") != 0 && strcmp(type, "NOTIFICATION") != 0) {
    answer_error(resp, 400, "typeSelect invalide : MKG ou NOTIFICATION (%s)", type);
    return NULL;
  }
  if (schedule) {
    if (parse_iso_utc(schedule, &schedule_on) != 0) {
      answer_error(resp, 400, "scheduleOn invalide : format yyyy-MM-dd'T'HH:mm:ss'Z' (%s)",
                   schedule);
      return NULL;
    }
    if (schedule_on < time(NULL) + SCHEDULE_MIN_AHEAD) {
      answer_error(resp, 400, "scheduleOn doit être supérieur d'au moins 5 minutes à "
                   "l'heure de réception de la commande (%s)", schedule);
      return NULL;
    }
  }
  if (renderer) {
    int ok = 0;
    for (size_t i = 0; i < sizeof renderers / sizeof renderers[0]; i++)
      ok |= strcmp(renderer, renderers[i]) == 0;
    if (!ok) {
      answer_error(resp, 400, "renderer invalide (%s)", renderer);
      return NULL;
    }
  }
  for (size_t i = 0; i < 4; i++) {
    bools[i] = member_bool(in, bool_names[i]);
    if (bools[i] == -2) {
      answer_error(resp, 400, "%s : TRUE ou FALSE", bool_names[i]);
      return NULL;
    }
  }
  if (list && !json_object_is_type(list, json_type_array)) {
    answer_error(resp, 400, "listRecipient doit être une liste");
    return NULL;
  }
  if (tiny && !json_object_is_type(tiny, json_type_array)) {
    answer_error(resp, 400, "tinyList doit être une liste");
    return NULL;
  }
  if (defaults && !json_object_is_type(defaults, json_type_object)) {
    answer_error(resp, 400, "defaultForHeader doit être un objet clé/valeur");
    return NULL;
  }
  if (lists_id_s) {
    if (sim_int_parse(lists_id_s, &lists_id) != 0 ||
        !(from_list = list_find(st, a, lists_id))) {
      answer_error(resp, 404, "Liste %s introuvable", lists_id_s);
      return NULL;
    }
  }
  if ((!list || json_object_array_length(list) == 0) && !from_list) {
    answer_error(resp, 400, "Aucun destinataire : listRecipient ou listsId");
    return NULL;
  }

  struct campaign *c = sim_xcalloc(1, sizeof *c);
  size_t cap = 0;
  c->acct = a;
  c->id = st->next_campaign++;
  c->status = "DRAFT";
  c->created = c->updated = time(NULL);
  c->schedule_on = schedule_on;
  c->type_select = sim_xstrdup(type ? type : "MKG");
  c->short_code = sim_xstrdup(strcmp(c->type_select, "MKG") == 0 ? SHORT_CODE_MKG
                                                                  : SHORT_CODE_NOTIF);
  c->sender = sender ? sim_xstrdup(sender) : NULL;
  c->message = sim_xstrdup(msg);
  c->renderer = sim_xstrdup(renderer ? renderer : "BASIC");
  const char *billing = member_string(in, "billingCode");
  const char *brand = member_string(in, "brand");
  c->billing_code = billing ? sim_xstrdup(billing) : NULL;
  c->brand = brand ? sim_xstrdup(brand) : NULL;
  if (name && *name) {
    c->campaign_name = sim_xstrdup(name);
  } else {
    /* "le nom par défaut sera 'Date de création Campaign API'", written
       "2021-06-16 18:29 campaign API" in the example answer */
    struct tm tm;
    char buf[32];
    localtime_r(&c->created, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    c->campaign_name = sim_xasprintf("%s campaign API", buf);
  }
  c->check_duplicate = bools[0] != 0;  /* "la valeur par défaut sera TRUE" */
  c->allow_ucs2 = bools[1] == 1;       /* "La valeur par défaut est FALSE" */
  c->auto_emoji = bools[2] == 1;
  c->auto_gsm7 = bools[3] != 0;        /* the example answer shows true */
  c->default_for_header = defaults ? json_object_get(defaults) : NULL;
  c->tiny_list = tiny ? json_object_get(tiny) : NULL;
  c->lists_id = lists_id;
  for (size_t i = 0; list && i < json_object_array_length(list); i++)
    recipient_from_json(c, &cap, json_object_array_get_idx(list, i), (unsigned)i + 1);
  if (from_list)
    recipients_from_list(c, &cap, from_list);
  campaign_check(st, c);
  return c;
}

/* POST /campaigns/inject */
static void ep_inject(struct mediasflow *st, struct account *a,
                      const struct sim_request *req, struct sim_response *resp)
{
  struct json_object *in = body_json(req);
  if (!in || !json_object_is_type(in, json_type_object)) {
    json_object_put(in);
    answer_error(resp, 400, "Corps JSON attendu");
    return;
  }
  int start_now = member_bool(in, "startNow");
  const char *id_s = member_string(in, "campaignId");
  if (start_now < 0) {
    json_object_put(in);
    answer_error(resp, 400, "Le paramètre startNow est obligatoire (TRUE ou FALSE)");
    return;
  }
  if (id_s) {
    /* a campaign prepared with startNow FALSE */
    long long id;
    struct campaign *c = sim_int_parse(id_s, &id) == 0 ? campaign_find(st, a, id) : NULL;
    json_object_put(in);
    if (!c) {
      answer_error(resp, 404, "Campagne %s introuvable", id_s);
      return;
    }
    if (strcmp(c->status, "DRAFT") != 0) {
      answer_error(resp, 409, "La campagne %lld est déjà injectée (%s)", c->id, c->status);
      return;
    }
    if (start_now && c->schedule_on && c->schedule_on < time(NULL) + SCHEDULE_MIN_AHEAD) {
      answer_error(resp, 400, "scheduleOn doit être supérieur d'au moins 5 minutes à "
                   "l'heure de réception de la commande");
      return;
    }
    if (start_now) {
      /* prepared again: the blacklist may have grown since */
      c->count_invalid = c->count_blacklist = c->count_duplicate = 0;
      c->count_rendering = c->count_not_allow = 0;
      for (size_t i = 0; i < c->n_rcpt; i++) {
        free(c->rcpt[i].intl), free(c->rcpt[i].text);
        c->rcpt[i].intl = c->rcpt[i].text = NULL;
      }
      campaign_check(st, c);
      if (campaign_inject(c, resp) != 0)
        return;
    }
    answer_json(resp, 200, campaign_json(c));
    return;
  }

  struct campaign *c = campaign_new(st, a, in, resp);
  json_object_put(in);
  if (!c)
    return;
  if (start_now && campaign_inject(c, resp) != 0) {
    campaign_free(c); /* nothing kept: the command was refused */
    st->next_campaign--;
    return;
  }
  c->next = st->campaigns;
  st->campaigns = c;
  answer_json(resp, 200, campaign_json(c));
}

/* POST /campaigns/{id}/cancel: a scheduled campaign goes back to DRAFT
   ("remise en statut DRAFT"), its credit comes back. */
static void ep_cancel(struct mediasflow *st, struct account *a, long long id,
                      struct sim_response *resp)
{
  struct campaign *c = campaign_find(st, a, id);
  if (!c) {
    answer_error(resp, 404, "Campagne %lld introuvable", id);
    return;
  }
  if (strcmp(c->status, "SCHEDULED") != 0) {
    answer_error(resp, 409, "La campagne %lld n'est pas programmée (%s)", id, c->status);
    return;
  }
  if (c->schedule_on - time(NULL) <= CANCEL_MIN_AHEAD) {
    answer_error(resp, 409, "Annulation impossible moins de 10 secondes avant l'envoi");
    return;
  }
  c->acct->credit += c->cost;
  c->cost = 0;
  c->status = "DRAFT";
  c->updated = time(NULL);
  for (size_t i = 0; i < c->n_rcpt; i++)
    if (c->rcpt[i].valid) {
      c->rcpt[i].status = ST_DELETED;
      c->rcpt[i].status_at = c->updated;
    }
  answer_json(resp, 200, campaign_json(c));
}

/* ---------------------------------------------------------------- reports */

static const char *const report_columns[] = {
  "REF_LIST", "ID_LINE", "INT_MOBILE", "STATUS_CODE", "STATUS_TEXT",
  "DELIVERYDATE", "REPLY", "PREVIEW", "PREVIEW_COUNTER", "TRACK_1",
  "TRACK_1_COUNTER", "TRACK_2", "TRACK_2_COUNTER", "TRACK_3", "TRACK_3_COUNTER",
};

/* A list of status codes ("16,14" or "110;111"), or NULL with *bad set. */
static int status_wanted(const char *filter, int code, int *bad)
{
  if (!filter || !*filter)
    return 1;
  int found = 0;
  for (const char *p = filter; *p;) {
    size_t n = strcspn(p, ",;");
    char *one = sim_xstrndup(p, n);
    char *t = one;
    while (*t == ' ')
      t++;
    for (size_t k = strlen(t); k > 0 && t[k - 1] == ' '; k--)
      t[k - 1] = '\0';
    long long v;
    if (sim_int_parse(t, &v) != 0)
      *bad = 1;
    else if (v == code)
      found = 1;
    free(one);
    p += n;
    if (*p)
      p++;
  }
  return found;
}

static char *delivery_date(time_t t)
{
  struct tm tm;
  char buf[32];
  localtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%d/%m/%Y %H:%M:%S", &tm);
  return sim_xstrdup(buf);
}

/* One report row as JSON: the columns of section 4, the recipient's own
   fields (all, or those of `fields`: "A;B"), and CAMPAIGN_ID for the
   period reports. */
static struct json_object *row_json(const struct campaign *c, const struct recipient *r,
                                    const char *fields, int with_campaign)
{
  struct json_object *o = json_object_new_object();
  json_object_object_foreach(r->keys, k, v) {
    if (fields && *fields) {
      int keep = 0;
      for (const char *p = fields; *p && !keep;) {
        size_t n = strcspn(p, ";");
        const char *s = p, *e = p + n;
        while (s < e && *s == ' ')
          s++;
        while (e > s && e[-1] == ' ')
          e--;
        keep = (size_t)(e - s) == strlen(k) && strncasecmp(s, k, strlen(k)) == 0;
        p += n;
        if (*p)
          p++;
      }
      if (!keep)
        continue;
    }
    json_object_object_add(o, k, json_object_get(v));
  }
  if (with_campaign)
    json_object_object_add(o, "CAMPAIGN_ID", json_object_new_int64(c->id));
  json_object_object_add(o, "REF_LIST", jstr(r->ref_list));
  json_object_object_add(o, "ID_LINE", json_object_new_int((int)r->line));
  json_object_object_add(o, "INT_MOBILE", jstr(r->intl ? r->intl : r->mobile));
  json_object_object_add(o, "STATUS_CODE", json_object_new_int(r->status));
  json_object_object_add(o, "STATUS_TEXT", jstr(status_text(r->status)));
  char *d = r->status == ST_DELIVERED || r->status == ST_DELIVERED_STOP
              ? delivery_date(r->status_at) : NULL;
  json_object_object_add(o, "DELIVERYDATE", jstr(d));
  free(d);
  json_object_object_add(o, "REPLY", jstr(r->reply));
  json_object_object_add(o, "PREVIEW", jstr(""));
  json_object_object_add(o, "PREVIEW_COUNTER", json_object_new_int(0));
  for (int i = 1; i <= 3; i++) {
    char name[32];
    snprintf(name, sizeof name, "TRACK_%d", i);
    json_object_object_add(o, name, jstr(""));
    snprintf(name, sizeof name, "TRACK_%d_COUNTER", i);
    json_object_object_add(o, name, json_object_new_int(0));
  }
  return o;
}

static void csv_field(struct sim_buf *b, const char *s)
{
  if (strpbrk(s, ";\"\r\n")) {
    sim_buf_adds(b, "\"");
    for (; *s; s++) {
      if (*s == '"')
        sim_buf_adds(b, "\"");
      sim_buf_add(b, s, 1);
    }
    sim_buf_adds(b, "\"");
  } else {
    sim_buf_adds(b, s);
  }
}

/* The rows as CSV (";" separated, a header line, CRLF): the recipients'
   own columns first ("en plus des colonnes dans votre fichier
   d'origine"), then those of section 4. */
static char *rows_csv(struct json_object *rows, size_t *len)
{
  struct sim_buf b = { 0 };
  struct json_object *cols = json_object_new_array();
  /* own columns: union over the rows, in order of appearance */
  for (size_t i = 0; i < json_object_array_length(rows); i++) {
    json_object_object_foreach(json_object_array_get_idx(rows, i), k, v) {
      (void)v;
      int std = strcmp(k, "CAMPAIGN_ID") == 0;
      for (size_t j = 0; j < sizeof report_columns / sizeof report_columns[0]; j++)
        std |= strcmp(k, report_columns[j]) == 0;
      int seen = 0;
      for (size_t j = 0; j < json_object_array_length(cols) && !seen; j++)
        seen = strcmp(json_object_get_string(json_object_array_get_idx(cols, j)), k) == 0;
      if (!std && !seen)
        json_object_array_add(cols, json_object_new_string(k));
    }
  }
  int with_campaign = json_object_array_length(rows) > 0 &&
                      member(json_object_array_get_idx(rows, 0), "CAMPAIGN_ID");
  if (with_campaign)
    json_object_array_add(cols, json_object_new_string("CAMPAIGN_ID"));
  for (size_t j = 0; j < sizeof report_columns / sizeof report_columns[0]; j++)
    json_object_array_add(cols, json_object_new_string(report_columns[j]));
  for (size_t j = 0; j < json_object_array_length(cols); j++) {
    if (j)
      sim_buf_adds(&b, ";");
    csv_field(&b, json_object_get_string(json_object_array_get_idx(cols, j)));
  }
  sim_buf_adds(&b, "\r\n");
  for (size_t i = 0; i < json_object_array_length(rows); i++) {
    struct json_object *row = json_object_array_get_idx(rows, i);
    for (size_t j = 0; j < json_object_array_length(cols); j++) {
      const char *v = member_string(row, json_object_get_string(json_object_array_get_idx(cols, j)));
      if (j)
        sim_buf_adds(&b, ";");
      csv_field(&b, v ? v : "");
    }
    sim_buf_adds(&b, "\r\n");
  }
  json_object_put(cols);
  return sim_buf_take(&b, len);
}

static void answer_rows(struct sim_response *resp, struct json_object *rows, int csv)
{
  if (!csv) {
    answer_json(resp, 200, rows);
    return;
  }
  size_t len;
  char *s = rows_csv(rows, &len);
  sim_respond(resp, 200, CSV_UTF8, s, len);
  free(s);
  json_object_put(rows);
}

/* GET /campaigns/report/{id} (CSV) and /campaigns/reportjson/{id} */
static void ep_report(struct mediasflow *st, struct account *a, long long id,
                      const struct sim_request *req, int csv,
                      struct sim_response *resp)
{
  struct campaign *c = campaign_find(st, a, id);
  if (!c) {
    answer_error(resp, 404, "Campagne %lld introuvable", id);
    return;
  }
  const char *filter = sim_param(req, "status");
  const char *details = csv ? sim_param(req, "details") : NULL;
  int bad = 0;
  struct json_object *rows = json_object_new_array();
  for (size_t i = 0; i < c->n_rcpt; i++)
    if (status_wanted(filter, c->rcpt[i].status, &bad))
      json_object_array_add(rows, row_json(c, &c->rcpt[i], details, 0));
  if (bad) {
    json_object_put(rows);
    answer_error(resp, 400, "status : liste de codes statut séparés par une virgule");
    return;
  }
  answer_rows(resp, rows, csv);
}

/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" (local time) as written (*out) and
   as the end of what it names (*end: the last second of that day, or of
   that minute).  0, or -1 when malformed. */
static int parse_period_date(const char *s, time_t *out, time_t *end)
{
  int y, mo, d, h = 0, mi = 0;
  size_t n = strlen(s);
  struct tm tm = { 0 };
  if (n == 10) {
    if (sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) != 3 || s[4] != '-' || s[7] != '-')
      return -1;
  } else if (n == 16) {
    if (sscanf(s, "%4d-%2d-%2d %2d:%2d", &y, &mo, &d, &h, &mi) != 5 || s[10] != ' ')
      return -1;
  } else {
    return -1;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59)
    return -1;
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
  tm.tm_hour = h, tm.tm_min = mi, tm.tm_isdst = -1;
  *out = mktime(&tm);
  *end = *out + (n == 10 ? 86399 : 59);
  return *out == (time_t)-1 ? -1 : 0;
}

/* FIQL `search`: terms joined by ',' (or) and ';' (and); a term is
   item==NUMBER (any form) or fields.NAME==VALUE. */
static int term_matches(const struct recipient *r, const char *term)
{
  const char *eq = strstr(term, "==");
  if (!eq)
    return 0;
  char *name = sim_xstrndup(term, (size_t)(eq - term));
  const char *value = eq + 2;
  int ok = 0;
  if (strcmp(name, "item") == 0) {
    char *want = number_intl(value);
    ok = want && r->intl && strcmp(want, r->intl) == 0;
    free(want);
  } else if (strncmp(name, "fields.", 7) == 0) {
    json_object_object_foreach(r->keys, k, v)
      if (strcasecmp(k, name + 7) == 0 && strcmp(json_object_get_string(v), value) == 0)
        ok = 1;
  }
  free(name);
  return ok;
}

static int search_matches(const struct recipient *r, const char *search)
{
  if (!search || !*search)
    return 1;
  int any = 0;
  for (const char *p = search; *p && !any;) {
    size_t n = strcspn(p, ",");
    char *group = sim_xstrndup(p, n);
    int all = 1;
    for (char *t = group; t && all;) {
      char *semi = strchr(t, ';');
      if (semi)
        *semi = '\0';
      all = term_matches(r, t);
      t = semi ? semi + 1 : NULL;
    }
    any = all;
    free(group);
    p += n;
    if (*p)
      p++;
  }
  return any;
}

/* GET /campaigns/report/ (CSV) and /campaigns/reportjson/: the campaigns
   created between from and to (now when absent), at most 7 days. */
static void ep_report_period(struct mediasflow *st, struct account *a,
                             const struct sim_request *req, int csv,
                             struct sim_response *resp)
{
  const char *from_s = sim_param_nonempty(req, "from");
  const char *to_s = sim_param_nonempty(req, "to");
  const char *types = sim_param(req, "types");
  const char *filter = sim_param(req, "status");
  const char *search = sim_param(req, "search");
  const char *key_field = csv ? sim_param(req, "keyField") : NULL;
  const char *user = sim_param_nonempty(req, "userID");
  time_t from, from_end, to = time(NULL), to_end = to;
  if (!from_s || parse_period_date(from_s, &from, &from_end) != 0) {
    answer_error(resp, 400, "from est obligatoire : YYYY-MM-DD ou YYYY-MM-DD HH:MM");
    return;
  }
  if (to_s && parse_period_date(to_s, &to, &to_end) != 0) {
    answer_error(resp, 400, "to : YYYY-MM-DD ou YYYY-MM-DD HH:MM");
    return;
  }
  if (to < from) {
    answer_error(resp, 400, "to est antérieur à from");
    return;
  }
  /* the period as written: "2022-03-25 to 2022-03-28" is 3 days (the
     28th included); without `to`, until now */
  if (!to_s)
    to -= to % 60;
  if (to - from > PERIOD_MAX_SECONDS) {
    answer_error(resp, 400, "La période demandée dépasse 7 jours");
    return;
  }
  int sms = 1;
  if (types && *types) {
    sms = 0;
    for (const char *p = types; *p;) {
      size_t n = strcspn(p, ";");
      const char *s = p, *e = p + n;
      while (s < e && *s == ' ')
        s++;
      while (e > s && e[-1] == ' ')
        e--;
      if ((size_t)(e - s) == 3 && strncasecmp(s, "SMS", 3) == 0)
        sms = 1;
      p += n;
      if (*p)
        p++;
    }
  }
  int bad = 0;
  struct json_object *rows = json_object_new_array();
  /* oldest campaign first */
  size_t n = 0;
  for (struct campaign *c = st->campaigns; c; c = c->next)
    n++;
  struct campaign **all = sim_xcalloc(n ? n : 1, sizeof *all);
  n = 0;
  for (struct campaign *c = st->campaigns; c; c = c->next)
    all[n++] = c;
  while (sms && n > 0) {
    struct campaign *c = all[--n];
    if (c->acct != a || c->created < from || c->created > to_end ||
        strcmp(c->status, "DRAFT") == 0 ||
        (user && strcmp(user, a->user_owner_id) != 0))
      continue;
    for (size_t i = 0; i < c->n_rcpt; i++)
      if (status_wanted(filter, c->rcpt[i].status, &bad) &&
          search_matches(&c->rcpt[i], search))
        json_object_array_add(rows, row_json(c, &c->rcpt[i], key_field, 1));
  }
  free(all);
  if (bad) {
    json_object_put(rows);
    answer_error(resp, 400, "status : liste de codes statut séparés par un point-virgule");
    return;
  }
  answer_rows(resp, rows, csv);
}

/* -------------------------------------------------------------- blacklist */

static struct json_object *bl_json(const struct bl_item *b)
{
  struct json_object *o = json_object_new_object();
  json_object_object_add(o, "id", json_object_new_int64(b->id));
  json_object_object_add(o, "item", jstr(b->item));
  json_object_object_add(o, "typeItem", jstr(b->type_item));
  json_object_object_add(o, "createdDescription", jstr(b->description));
  if (b->brand)
    json_object_object_add(o, "brand", jstr(b->brand));
  char *d = date_iso_utc(b->created);
  json_object_object_add(o, "creationDate", jstr(d));
  free(d);
  return o;
}

static struct bl_item *bl_add(struct mediasflow *st, struct account *a,
                              const char *item, const char *type,
                              const char *description, const char *brand)
{
  for (struct bl_item *b = st->blacklist; b; b = b->next)
    if (b->acct == a && strcmp(b->item, item) == 0 && strcmp(b->type_item, type) == 0)
      return b; /* already there: adding it again changes nothing */
  struct bl_item *b = sim_xcalloc(1, sizeof *b);
  b->id = st->next_bl++;
  b->acct = a;
  b->item = sim_xstrdup(item);
  b->type_item = sim_xstrdup(type);
  b->description = sim_xstrdup(description ? description : "");
  b->brand = brand ? sim_xstrdup(brand) : NULL;
  b->created = time(NULL);
  struct bl_item **tail = &st->blacklist;
  while (*tail)
    tail = &(*tail)->next;
  *tail = b;
  return b;
}

/* POST /blacklist {"item","typeItem","createdDescription","brand"} */
static void ep_blacklist_add(struct mediasflow *st, struct account *a,
                             const struct sim_request *req, struct sim_response *resp)
{
  struct json_object *in = body_json(req);
  const char *item = member_string(in, "item");
  const char *type = member_string(in, "typeItem");
  if (!item || !*item || !type) {
    json_object_put(in);
    answer_error(resp, 400, "item et typeItem sont obligatoires");
    return;
  }
  char *norm = NULL;
  if (strcmp(type, "MOBILE") == 0) {
    norm = number_intl(item);
    if (!norm) {
      json_object_put(in);
      answer_error(resp, 400, "Numéro de mobile invalide : %s", item);
      return;
    }
  } else if (strcmp(type, "EMAIL") == 0) {
    if (!strchr(item, '@')) {
      json_object_put(in);
      answer_error(resp, 400, "Adresse email invalide : %s", item);
      return;
    }
    norm = sim_xstrdup(item);
  } else {
    json_object_put(in);
    answer_error(resp, 400, "typeItem : MOBILE ou EMAIL (%s)", type);
    return;
  }
  struct bl_item *b = bl_add(st, a, norm, type, member_string(in, "createdDescription"),
                             member_string(in, "brand"));
  free(norm);
  json_object_put(in);
  answer_json(resp, 200, bl_json(b));
}

/* GET /blacklist: the account's items, oldest first. */
static void ep_blacklist_get(struct mediasflow *st, struct account *a,
                             struct sim_response *resp)
{
  struct json_object *arr = json_object_new_array();
  for (struct bl_item *b = st->blacklist; b; b = b->next)
    if (b->acct == a)
      json_object_array_add(arr, bl_json(b));
  answer_json(resp, 200, arr);
}

/* ------------------------------------------------------------ list upload */

static int is_utf8(const unsigned char *s, size_t n)
{
  const unsigned char *p = s, *end = s + n;
  while (p < end) {
    const unsigned char *q = p;
    if (sim_utf8_next(&p, end) == 0xFFFD &&
        !(p - q == 3 && q[0] == 0xEF && q[1] == 0xBF && q[2] == 0xBD))
      return 0;
  }
  return 1;
}

static size_t utf8_chars(const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

/* Split one CSV line (UTF-8) on `sep`, with "..." quoting. */
static char **csv_split(const char *line, char sep, size_t *n)
{
  char **f = NULL;
  size_t cap = 0;
  *n = 0;
  const char *p = line;
  for (;;) {
    struct sim_buf b = { 0 };
    if (*p == '"') {
      p++;
      while (*p) {
        if (*p == '"' && p[1] == '"') {
          sim_buf_add(&b, "\"", 1);
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else {
          sim_buf_add(&b, p++, 1);
        }
      }
      while (*p && *p != sep)
        p++;
    } else {
      size_t len = strcspn(p, (char[]){ sep, '\0' });
      sim_buf_add(&b, p, len);
      p += len;
    }
    if (*n == cap)
      f = sim_xrealloc(f, (cap = cap ? cap * 2 : 8) * sizeof *f);
    f[(*n)++] = sim_buf_take(&b, NULL);
    if (*p != sep)
      break;
    p++;
  }
  return f;
}

static void free_fields(char **f, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(f[i]);
  free(f);
}

/* The length -> count object of computedHeaderSize, keys in numeric order. */
static void size_count(struct json_object *obj, size_t len)
{
  char key[24];
  snprintf(key, sizeof key, "%zu", len);
  struct json_object *v;
  if (json_object_object_get_ex(obj, key, &v)) {
    json_object_set_int(v, json_object_get_int(v) + 1);
    return;
  }
  /* rebuild in numeric order (objects keep insertion order) */
  struct json_object *keep = json_object_new_object();
  int added = 0;
  json_object_object_foreach(obj, k, kv) {
    if (!added && strtoul(k, NULL, 10) > len) {
      json_object_object_add(keep, key, json_object_new_int(1));
      added = 1;
    }
    json_object_object_add(keep, k, json_object_get(kv));
  }
  if (!added)
    json_object_object_add(keep, key, json_object_new_int(1));
  json_object_object_foreach(keep, k2, v2) {
    (void)v2;
    json_object_object_del(obj, k2);
  }
  json_object_object_foreach(keep, k3, v3)
    json_object_object_add(obj, k3, json_object_get(v3));
  json_object_put(keep);
}

/* POST /lists/upload (multipart): File (the CSV), filename, description,
   userOwnerID.  The answer: the statistics of the guide's example (2.9.1),
   members in its (alphabetical) order. */
static void ep_list_upload(struct mediasflow *st, struct account *a,
                           const struct sim_request *req, struct sim_response *resp)
{
  const struct sim_param *file = sim_part(req, "File");
  if (!file)
    file = sim_part(req, "file");
  const struct sim_param *fname = sim_part(req, "filename");
  const struct sim_param *desc = sim_part(req, "description");
  const struct sim_param *owner = sim_part(req, "userOwnerID");
  if (!fname)
    fname = sim_param_get(req, "filename");
  if (!desc)
    desc = sim_param_get(req, "description");
  if (!owner)
    owner = sim_param_get(req, "userOwnerID");
  if (!file || file->len == 0 || !fname || fname->len == 0) {
    answer_error(resp, 400, "File et filename sont obligatoires (multipart/form-data)");
    return;
  }

  const unsigned char *raw = (const unsigned char *)file->value;
  size_t raw_len = file->len;
  if (raw_len >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0)
    raw += 3, raw_len -= 3;
  int utf8 = is_utf8(raw, raw_len);
  char *text = utf8 ? sim_xstrndup((const char *)raw, raw_len)
                    : sim_latin9_to_utf8(raw, raw_len);

  /* lines */
  char **lines = NULL;
  size_t n_lines = 0, cap = 0;
  for (char *p = text; *p;) {
    size_t len = strcspn(p, "\r\n");
    if (n_lines == cap)
      lines = sim_xrealloc(lines, (cap = cap ? cap * 2 : 16) * sizeof *lines);
    lines[n_lines++] = sim_xstrndup(p, len);
    p += len;
    if (*p == '\r')
      p++;
    if (*p == '\n')
      p++;
  }
  free(text);
  while (n_lines > 0 && lines[n_lines - 1][0] == '\0')
    free(lines[--n_lines]);
  if (n_lines == 0) {
    free(lines);
    answer_error(resp, 400, "Fichier vide");
    return;
  }
  char sep = ';';
  if (!strchr(lines[0], ';'))
    sep = strchr(lines[0], ',') ? ',' : strchr(lines[0], '\t') ? '\t' : ';';
  size_t n_header;
  char **header = csv_split(lines[0], sep, &n_header);
  size_t mobile_col = n_header;
  for (size_t j = 0; j < n_header && mobile_col == n_header; j++)
    for (size_t k = 0; k < sizeof number_fields / sizeof number_fields[0]; k++)
      if (strcasecmp(header[j], number_fields[k]) == 0)
        mobile_col = j;
  if (mobile_col == n_header) {
    free_fields(header, n_header);
    for (size_t i = 0; i < n_lines; i++)
      free(lines[i]);
    free(lines);
    answer_error(resp, 400, "La liste doit contenir une colonne mobile, sms, portable ou gsm");
    return;
  }

  struct list *l = sim_xcalloc(1, sizeof *l);
  l->id = st->next_list++;
  l->acct = a;
  l->name = sim_xstrndup(fname->value, fname->len);
  l->header = header;
  l->n_header = n_header;
  l->mobile_col = mobile_col;

  struct json_object *sizes = json_object_new_object();
  struct json_object *maxdata = json_object_new_object();
  int *empty_valid = sim_xcalloc(n_header, sizeof *empty_valid);
  struct json_object *invalid_lines = json_object_new_array();
  struct json_object *dup_lines = json_object_new_array();
  struct json_object *valid_cc = json_object_new_object();
  char **seen = sim_xcalloc(n_lines, sizeof *seen);
  size_t n_seen = 0, max_line = 0;
  int valid = 0, invalid = 0, dups = 0, global_invalid = 0;
  for (size_t j = 0; j < n_header; j++) {
    json_object_object_add(sizes, header[j], json_object_new_object());
    json_object_object_add(maxdata, header[j], json_object_new_string(""));
  }
  l->rows = sim_xcalloc(n_lines, sizeof *l->rows);
  for (size_t i = 1; i < n_lines; i++) {
    unsigned line = (unsigned)i;
    size_t nf;
    if (lines[i][0] == '\0')
      continue;
    char **f = csv_split(lines[i], sep, &nf);
    /* maxSizeDataLine: the most characters of data one line holds,
       separators not counted (the guide's 66 for fields of at most 89) */
    size_t data = 0;
    for (size_t j = 0; j < nf; j++)
      data += utf8_chars(f[j]);
    if (data > max_line)
      max_line = data;
    if (nf != n_header) {
      global_invalid++;
      free_fields(f, nf);
      continue;
    }
    for (size_t j = 0; j < nf; j++) {
      struct json_object *o, *m;
      json_object_object_get_ex(sizes, header[j], &o);
      size_count(o, utf8_chars(f[j]));
      json_object_object_get_ex(maxdata, header[j], &m);
      if (utf8_chars(f[j]) > utf8_chars(json_object_get_string(m)))
        json_object_object_add(maxdata, header[j], json_object_new_string(f[j]));
    }
    char *intl = number_intl(f[mobile_col]);
    if (!intl) {
      invalid++;
      json_object_array_add(invalid_lines, json_object_new_int((int)line));
    } else {
      valid++;
      for (size_t j = 0; j < nf; j++)
        empty_valid[j] |= f[j][0] == '\0';
      struct json_object *cnt;
      const char *cc = country_of(intl);
      if (json_object_object_get_ex(valid_cc, cc, &cnt))
        json_object_set_int(cnt, json_object_get_int(cnt) + 1);
      else
        json_object_object_add(valid_cc, cc, json_object_new_int(1));
      int dup = 0;
      for (size_t k = 0; k < n_seen && !dup; k++)
        dup = strcmp(seen[k], intl) == 0;
      if (dup) {
        dups++;
        char num[16];
        snprintf(num, sizeof num, "%u", line);
        json_object_array_add(dup_lines, json_object_new_string(num));
        free(intl);
      } else {
        seen[n_seen++] = intl;
      }
    }
    struct list_row *row = &l->rows[l->n_rows++];
    row->fields = f;
    row->n = nf;
    row->line = line;
  }
  for (size_t k = 0; k < n_seen; k++)
    free(seen[k]);
  free(seen);

  struct json_object *o = json_object_new_object();
  struct json_object *empty = json_object_new_array();
  struct json_object *hdr = json_object_new_array();
  for (size_t j = 0; j < n_header; j++) {
    if (empty_valid[j])
      json_object_array_add(empty, json_object_new_string(header[j]));
    json_object_array_add(hdr, json_object_new_string(header[j]));
  }
  free(empty_valid);
  char rnd[17];
  sim_rng_alnum(&st->rng, rnd, 16);
  time_t now = time(NULL);
  struct tm tm;
  char date[48];
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S.000Z[UTC]", &tm);
  const char *user = owner && owner->len ? owner->value : a->user_owner_id;
  char *path = sim_xasprintf("/mnt/mediasflow/shared/%s/%s/lists//%s.tmp.csv",
                             a->customer_id, user, rnd);
  json_object_object_add(o, "campainId", json_object_new_int(0));
  json_object_object_add(o, "charsetDetected", jstr(utf8 ? "UTF-8" : "WINDOWS-1252"));
  json_object_object_add(o, "computedHeaderSize", sizes);
  json_object_object_add(o, "countDuplicateEmail", json_object_new_int(0));
  json_object_object_add(o, "countDuplicateMobile", json_object_new_int(dups));
  json_object_object_add(o, "creationDate", jstr(date));
  json_object_object_add(o, "customerID", jstr(a->customer_id));
  json_object_object_add(o, "description", jstr(desc && desc->len ? desc->value : l->name));
  json_object_object_add(o, "emptyKeys", empty);
  json_object_object_add(o, "filePath", jstr(path));
  free(path);
  json_object_object_add(o, "globalInvalidLine", json_object_new_int(global_invalid));
  json_object_object_add(o, "header", hdr);
  json_object_object_add(o, "id", json_object_new_int64(l->id));
  json_object_object_add(o, "invalidCountryCounter", json_object_new_object());
  json_object_object_add(o, "invalidLineList", invalid_lines);
  json_object_object_add(o, "invalidNumberEMAIL", json_object_new_int(0));
  json_object_object_add(o, "invalidNumberMOBILE", json_object_new_int(invalid));
  json_object_object_add(o, "lineDuplicateEmail", json_object_new_array());
  json_object_object_add(o, "lineDuplicateMobile", dup_lines);
  json_object_object_add(o, "listName", jstr(l->name));
  json_object_object_add(o, "maxDatasMap", maxdata);
  json_object_object_add(o, "maxSizeDataLine", json_object_new_int((int)max_line));
  json_object_object_add(o, "size", json_object_new_int((int)l->n_rows));
  json_object_object_add(o, "type", jstr("CSV"));
  json_object_object_add(o, "userOwnerID", jstr(user));
  json_object_object_add(o, "validCountryCounter", valid_cc);
  json_object_object_add(o, "validNumberEMAIL", json_object_new_int(0));
  json_object_object_add(o, "validNumberMOBILE", json_object_new_int(valid));

  for (size_t i = 0; i < n_lines; i++)
    free(lines[i]);
  free(lines);
  l->next = st->lists;
  st->lists = l;
  answer_json(resp, 200, o);
}

/* --------------------------------------------------------------- dispatch */

static int method_is(const struct sim_request *req, const char *m)
{
  return strcmp(req->method, m) == 0;
}

static void answer_method(struct sim_response *resp, const char *allowed)
{
  answer_error(resp, 405, "Méthode non autorisée (%s)", allowed);
}

/* "123" or "123/" followed by `rest` ("" or "/cancel"): the id, or -1. */
static long long path_id(const char *s, const char *rest)
{
  const char *p = s;
  while (isdigit((unsigned char)*p))
    p++;
  if (p == s || p - s > 18 || strcmp(p, rest) != 0)
    return -1;
  return strtoll(s, NULL, 10);
}

static void mediasflow_handle(void *state, const struct sim_request *req,
                              struct sim_response *resp)
{
  struct mediasflow *st = state;
  if (strncmp(req->subpath, API_PREFIX, strlen(API_PREFIX)) != 0)
    return; /* 404 */
  const char *p = req->subpath + strlen(API_PREFIX);
  long long id = -1;

  if (strcmp(p, "auth") == 0) {
    if (!method_is(req, "POST"))
      answer_method(resp, "POST");
    else
      ep_auth(st, req, resp);
    return;
  }

  /* what the API serves; everything else is 404 (after the token check,
     as a real gateway would answer 401 first) */
  enum { NONE, INJECT, REPORT, REPORTJSON, PERIOD, PERIODJSON, CANCEL,
         BLACKLIST, UPLOAD } ep = NONE;
  if (strcmp(p, "campaigns/inject") == 0)
    ep = INJECT;
  else if (strcmp(p, "campaigns/report/") == 0 || strcmp(p, "campaigns/report") == 0)
    ep = PERIOD;
  else if (strcmp(p, "campaigns/reportjson/") == 0 || strcmp(p, "campaigns/reportjson") == 0)
    ep = PERIODJSON;
  else if (strncmp(p, "campaigns/report/", 17) == 0 && (id = path_id(p + 17, "")) >= 0)
    ep = REPORT;
  else if (strncmp(p, "campaigns/reportjson/", 21) == 0 && (id = path_id(p + 21, "")) >= 0)
    ep = REPORTJSON;
  else if (strncmp(p, "campaigns/", 10) == 0 && (id = path_id(p + 10, "/cancel")) >= 0)
    ep = CANCEL;
  else if (strcmp(p, "blacklist") == 0 || strcmp(p, "blacklist/") == 0)
    ep = BLACKLIST;
  else if (strcmp(p, "lists/upload") == 0)
    ep = UPLOAD;
  if (ep == NONE) {
    answer_error(resp, 404, "Ressource introuvable : /%s", p);
    return;
  }
  struct account *a = authenticate(st, req, resp);
  if (!a)
    return;
  switch (ep) {
  case INJECT:
    if (!method_is(req, "POST"))
      answer_method(resp, "POST");
    else
      ep_inject(st, a, req, resp);
    break;
  case REPORT:
  case REPORTJSON:
    if (!method_is(req, "GET"))
      answer_method(resp, "GET");
    else
      ep_report(st, a, id, req, ep == REPORT, resp);
    break;
  case PERIOD:
  case PERIODJSON:
    if (!method_is(req, "GET"))
      answer_method(resp, "GET");
    else
      ep_report_period(st, a, req, ep == PERIOD, resp);
    break;
  case CANCEL:
    /* the guide names no method: POST and PUT are taken */
    if (!method_is(req, "POST") && !method_is(req, "PUT"))
      answer_method(resp, "POST, PUT");
    else
      ep_cancel(st, a, id, resp);
    break;
  case BLACKLIST:
    if (method_is(req, "POST"))
      ep_blacklist_add(st, a, req, resp);
    else if (method_is(req, "GET"))
      ep_blacklist_get(st, a, resp);
    else
      answer_method(resp, "GET, POST");
    break;
  case UPLOAD:
    if (!method_is(req, "POST"))
      answer_method(resp, "POST");
    else
      ep_list_upload(st, a, req, resp);
    break;
  case NONE:
    break;
  }
}

static void mediasflow_error_answer(void *state, const struct sim_request *req,
                                    int code, struct sim_response *resp)
{
  (void)state;
  (void)req;
  unsigned status = code >= 400 && code <= 599 ? (unsigned)code : 400;
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "code", json_object_new_int(code));
  json_object_object_add(doc, "message", json_object_new_string(error_text(code)));
  answer_json(resp, status, doc);
}

/* Delivery reports move on: 1 -> 10 (posté) -> 16 (délivré), except
   numbers ending in 20, 22, 25, 29 or 13 (-> 20 non délivré, 22 expiré,
   25 non délivré, 29 numéro non attribué, 13 refus opérateur), and in 31
   (-> 31 mobile non disponible, then 16).  Scheduled campaigns and
   refused recipients never move. */
static unsigned mediasflow_advance(void *state)
{
  struct mediasflow *st = state;
  unsigned moved = 0;
  time_t now = time(NULL);
  for (struct campaign *c = st->campaigns; c; c = c->next) {
    if (strcmp(c->status, "INJECTED") != 0)
      continue;
    for (size_t i = 0; i < c->n_rcpt; i++) {
      struct recipient *r = &c->rcpt[i];
      if (!r->valid)
        continue;
      const char *num = r->intl;
      size_t n = strlen(num);
      int last2 = n >= 2 ? atoi(num + n - 2) : 0;
      int next = r->status;
      if (r->status == ST_PROCESSING)
        next = ST_POSTED;
      else if (r->status == ST_POSTED)
        next = last2 == 20 || last2 == 22 || last2 == 25 || last2 == 29 || last2 == 13 ||
                   last2 == 31
                 ? last2 : ST_DELIVERED;
      else if (r->status == ST_UNAVAILABLE)
        next = ST_DELIVERED;
      if (next != r->status) {
        r->status = next;
        r->status_at = now;
        moved++;
      }
    }
  }
  return moved;
}

/* ------------------------------------------------------------ control API */

static struct json_object *account_json(struct mediasflow *st, struct account *a)
{
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "provider", jstr("mediasflow"));
  json_object_object_add(doc, "login", jstr(a->login));
  json_object_object_add(doc, "customerID", jstr(a->customer_id));
  json_object_object_add(doc, "userOwnerID", jstr(a->user_owner_id));
  json_object_object_add(doc, "credit", sim_json_cents(a->credit));
  json_object_object_add(doc, "max_sms", json_object_new_int((int)a->max_sms));
  json_object_object_add(doc, "token_uses", json_object_new_int(a->token_uses));
  json_object_object_add(doc, "token_in", jstr(a->token_in_body ? "body" : "header"));
  /* every token handed out since the last reset, oldest first, and
     those still accepted */
  struct json_object *tokens = json_object_new_array();
  struct json_object *valid = json_object_new_array();
  size_t n = 0;
  for (struct token *t = st->tokens; t; t = t->next)
    n++;
  const struct token **all = sim_xcalloc(n ? n : 1, sizeof *all);
  n = 0;
  for (struct token *t = st->tokens; t; t = t->next) /* newest first */
    if (t->acct == a)
      all[n++] = t;
  while (n > 0) {
    const struct token *t = all[--n];
    json_object_array_add(tokens, jstr(t->token));
    if (t->uses_left != 0)
      json_object_array_add(valid, jstr(t->token));
  }
  free(all);
  json_object_object_add(doc, "tokens", tokens);
  json_object_object_add(doc, "valid_tokens", valid);
  size_t campaigns = 0, blacklist = 0, lists = 0;
  for (struct campaign *c = st->campaigns; c; c = c->next)
    campaigns += c->acct == a;
  for (struct bl_item *b = st->blacklist; b; b = b->next)
    blacklist += b->acct == a;
  for (struct list *l = st->lists; l; l = l->next)
    lists += l->acct == a;
  json_object_object_add(doc, "campaigns", json_object_new_int64((int64_t)campaigns));
  json_object_object_add(doc, "blacklist", json_object_new_int64((int64_t)blacklist));
  json_object_object_add(doc, "lists", json_object_new_int64((int64_t)lists));
  return doc;
}

static struct account *ctl_account_of(struct mediasflow *st, const struct sim_request *req,
                                      struct sim_response *resp)
{
  const char *login = sim_param_nonempty(req, "login");
  if (!login)
    login = "demo";
  struct account *a = account_find(st, login);
  if (!a)
    sim_ctl_error(resp, 404, "no mediasflow account %s", login);
  return a;
}

static void ctl_account_get(void *state, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct mediasflow *st = state;
  struct account *a = ctl_account_of(st, req, resp);
  if (a)
    sim_respond_json(resp, 200, account_json(st, a));
}

/* POST /_sim/account?provider=mediasflow&login=L[&password=P][&credit=N]
   [&max_sms=N][&token_uses=N|none][&token_in=header|body][&token=T] */
static void ctl_account_set(void *state, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct mediasflow *st = state;
  const char *login = sim_param_nonempty(req, "login");
  const char *password = sim_param(req, "password");
  const char *credit_s = sim_param_nonempty(req, "credit");
  const char *max_s = sim_param_nonempty(req, "max_sms");
  const char *uses_s = sim_param_nonempty(req, "token_uses");
  const char *token_in = sim_param_nonempty(req, "token_in");
  const char *token = sim_param(req, "token");
  long long credit = DEFAULT_CREDIT, max_sms = 0, uses = -2;
  if (!login) {
    sim_ctl_error(resp, 400, "missing parameter: login");
    return;
  }
  if (credit_s && sim_cents_parse(credit_s, &credit) != 0) {
    sim_ctl_error(resp, 400, "credit: a number with at most two decimals, not '%s'", credit_s);
    return;
  }
  if (max_s && (sim_int_parse(max_s, &max_sms) != 0 || max_sms < 1 || max_sms > MAX_SMS_LIMIT)) {
    sim_ctl_error(resp, 400, "max_sms: 1 to %d, not '%s'", MAX_SMS_LIMIT, max_s);
    return;
  }
  if (uses_s && strcmp(uses_s, "none") == 0)
    uses = -1;
  else if (uses_s && (sim_int_parse(uses_s, &uses) != 0 || uses < 0 || uses > 1000000)) {
    sim_ctl_error(resp, 400, "token_uses: a count of requests, or none, not '%s'", uses_s);
    return;
  }
  if (token_in && strcmp(token_in, "header") != 0 && strcmp(token_in, "body") != 0) {
    sim_ctl_error(resp, 400, "token_in: header or body, not '%s'", token_in);
    return;
  }
  struct account *a = account_find(st, login);
  if (!a) {
    char ids[25];
    sim_rng_alnum(&st->rng, ids, 24);
    for (char *p = ids; *p; p++)
      *p = "0123456789abcdef"[(unsigned char)*p % 16];
    a = account_add(st, login, password ? password : "", credit, ids, ids);
  }
  if (password)
    free(a->password), a->password = sim_xstrdup(password);
  if (credit_s)
    a->credit = credit;
  if (max_sms)
    a->max_sms = (unsigned)max_sms;
  if (uses != -2)
    a->token_uses = (int)uses;
  if (token_in)
    a->token_in_body = strcmp(token_in, "body") == 0;
  if (token) {
    free(a->fixed_token);
    a->fixed_token = *token ? sim_xstrdup(token) : NULL;
  }
  sim_respond_json(resp, 200, account_json(st, a));
}

/* POST /_sim/expire?provider=mediasflow[&login=L]: every token (of L) is
   refused from now on, as after their lifetime. */
static void ctl_expire(void *state, const struct sim_request *req,
                       struct sim_response *resp)
{
  struct mediasflow *st = state;
  struct account *a = NULL;
  if (sim_param_nonempty(req, "login") && !(a = ctl_account_of(st, req, resp)))
    return;
  size_t n = tokens_expire(st, a);
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "expired", json_object_new_int64((int64_t)n));
  sim_respond_json(resp, 200, doc);
}

static struct json_object *campaign_ctl_json(const struct campaign *c)
{
  struct json_object *o = campaign_json(c);
  json_object_object_add(o, "account", jstr(c->acct->login));
  struct json_object *rc = json_object_new_array();
  for (size_t i = 0; i < c->n_rcpt; i++) {
    const struct recipient *r = &c->rcpt[i];
    struct json_object *e = json_object_new_object();
    json_object_object_add(e, "mobile", jstr(r->mobile));
    json_object_object_add(e, "number", r->intl ? jstr(r->intl) : NULL);
    json_object_object_add(e, "status", json_object_new_int(r->status));
    json_object_object_add(e, "text", r->text ? jstr(r->text) : NULL);
    json_object_object_add(e, "segments", json_object_new_int((int)r->segments));
    json_object_object_add(e, "fields", json_object_get(r->keys));
    json_object_object_add(e, "reply", r->reply ? jstr(r->reply) : NULL);
    json_object_array_add(rc, e);
  }
  json_object_object_add(o, "recipients_state", rc);
  json_object_object_add(o, "cost", sim_json_cents(c->cost));
  return o;
}

/* GET /_sim/messages?provider=mediasflow[&login=L][&id=ID]: the campaigns,
   oldest first, with each recipient's state. */
static void ctl_messages(void *state, const struct sim_request *req,
                         struct sim_response *resp)
{
  struct mediasflow *st = state;
  struct account *only = NULL;
  const char *id_s = sim_param_nonempty(req, "id");
  long long id = -1;
  if (sim_param_nonempty(req, "login") && !(only = ctl_account_of(st, req, resp)))
    return;
  if (id_s && sim_int_parse(id_s, &id) != 0) {
    sim_ctl_error(resp, 400, "id: a campaign id, not '%s'", id_s);
    return;
  }
  size_t n = 0;
  for (struct campaign *c = st->campaigns; c; c = c->next)
    n++;
  const struct campaign **all = sim_xcalloc(n ? n : 1, sizeof *all);
  n = 0;
  for (struct campaign *c = st->campaigns; c; c = c->next)
    if ((!only || c->acct == only) && (id < 0 || c->id == id))
      all[n++] = c;
  struct json_object *arr = json_object_new_array();
  while (n > 0)
    json_object_array_add(arr, campaign_ctl_json(all[--n]));
  free(all);
  sim_respond_json(resp, 200, arr);
}

/* POST /_sim/reply?provider=mediasflow&from=NUM&text=TXT[&campaign=ID]
   [&login=L]: a recipient answers; the report's REPLY column shows it.
   Without `campaign`, the latest campaign sent to NUM.  An answer starting
   with STOP makes a delivered status 17 and puts NUM on the blacklist. */
static void ctl_reply(void *state, const struct sim_request *req,
                      struct sim_response *resp)
{
  struct mediasflow *st = state;
  struct account *a = ctl_account_of(st, req, resp);
  if (!a)
    return;
  const char *from = sim_param_nonempty(req, "from");
  const char *text = sim_param(req, "text");
  const char *camp = sim_param_nonempty(req, "campaign");
  long long id = -1;
  if (!from || !text) {
    sim_ctl_error(resp, 400, "reply wants from=NUM and text=TXT");
    return;
  }
  if (camp && sim_int_parse(camp, &id) != 0) {
    sim_ctl_error(resp, 400, "campaign: a campaign id, not '%s'", camp);
    return;
  }
  char *num = number_intl(from);
  if (!num) {
    sim_ctl_error(resp, 400, "from: not a phone number: '%s'", from);
    return;
  }
  struct campaign *hit = NULL;
  struct recipient *r = NULL;
  for (struct campaign *c = st->campaigns; c && !r; c = c->next) {
    if (c->acct != a || (id >= 0 && c->id != id) || strcmp(c->status, "DRAFT") == 0)
      continue;
    for (size_t i = 0; i < c->n_rcpt && !r; i++)
      if (c->rcpt[i].valid && c->rcpt[i].intl && strcmp(c->rcpt[i].intl, num) == 0)
        r = &c->rcpt[i], hit = c;
  }
  if (!r) {
    free(num);
    sim_ctl_error(resp, 404, "no mediasflow campaign sent to %s", from);
    return;
  }
  free(r->reply);
  r->reply = sim_utf8_clean(text, strlen(text));
  if (strncasecmp(text, "STOP", 4) == 0) {
    if (r->status == ST_DELIVERED)
      r->status = ST_DELIVERED_STOP;
    bl_add(st, a, num, "MOBILE", "STOP SMS", hit->brand);
  }
  free(num);
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "provider", jstr("mediasflow"));
  json_object_object_add(doc, "campaign", json_object_new_int64(hit->id));
  json_object_object_add(doc, "from", jstr(r->intl));
  json_object_object_add(doc, "text", jstr(r->reply));
  json_object_object_add(doc, "status", json_object_new_int(r->status));
  sim_respond_json(resp, 200, doc);
}

/* POST /_sim/status?provider=mediasflow&campaign=ID&code=C[&number=NUM]
   [&login=L]: the recipients (or the one of NUM) of campaign ID get
   status code C, whatever it is (tests walk the whole table). */
static void ctl_status(void *state, const struct sim_request *req,
                       struct sim_response *resp)
{
  struct mediasflow *st = state;
  struct account *a = ctl_account_of(st, req, resp);
  if (!a)
    return;
  const char *camp = sim_param_nonempty(req, "campaign");
  const char *code_s = sim_param_nonempty(req, "code");
  const char *number = sim_param_nonempty(req, "number");
  long long id, code;
  if (!camp || sim_int_parse(camp, &id) != 0 || !code_s ||
      sim_int_parse(code_s, &code) != 0 || code < 0 || code > 9999) {
    sim_ctl_error(resp, 400, "status wants campaign=ID and code=C");
    return;
  }
  struct campaign *c = campaign_find(st, a, id);
  if (!c) {
    sim_ctl_error(resp, 404, "no mediasflow campaign %s", camp);
    return;
  }
  char *want = number ? number_intl(number) : NULL;
  unsigned changed = 0;
  for (size_t i = 0; i < c->n_rcpt; i++) {
    struct recipient *r = &c->rcpt[i];
    if (want && (!r->intl || strcmp(r->intl, want) != 0))
      continue;
    r->status = (int)code;
    r->status_at = time(NULL);
    changed++;
  }
  free(want);
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "changed", json_object_new_int((int)changed));
  sim_respond_json(resp, 200, doc);
}

static const struct sim_ctl_op mediasflow_ops[] = {
  { "status", "POST", ctl_status },
  { "account", "GET", ctl_account_get },
  { "account", "POST", ctl_account_set },
  { "expire", "POST", ctl_expire },
  { "messages", "GET", ctl_messages },
  { "reply", "POST", ctl_reply },
  { NULL, NULL, NULL },
};

/* ---------------------------------------------------------------- lifecycle */

static void *mediasflow_create(void)
{
  struct mediasflow *st = sim_xcalloc(1, sizeof *st);
  sim_rng_seed(&st->rng, 0x6d6564696173ULL); /* "medias" */
  st->next_campaign = FIRST_CAMPAIGN_ID;
  st->next_list = FIRST_LIST_ID;
  st->next_bl = 1;
  builtin_accounts(st);
  return st;
}

static void mediasflow_reset(void *state)
{
  struct mediasflow *st = state;
  state_clear(st);
  builtin_accounts(st);
}

static void mediasflow_destroy(void *state)
{
  state_clear(state);
  free(state);
}

const struct sim_provider sim_mediasflow = {
  .name = "mediasflow",
  .prefix = "/mediasflow/",
  .create = mediasflow_create,
  .destroy = mediasflow_destroy,
  .reset = mediasflow_reset,
  .handle = mediasflow_handle,
  .error_answer = mediasflow_error_answer,
  .advance = mediasflow_advance,
  .ops = mediasflow_ops,
};
