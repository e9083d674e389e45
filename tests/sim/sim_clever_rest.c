/* sim_clever_rest.c - the Clever REST API (../shared/providers/
 * clever-rest.txt, "API REST CLEVERMULTIMEDIAS") for smsmux-sim, served
 * under /clever-rest/api/.
 *
 * JSON in ({"datas": {...}}) and out, HTTP Basic authentication,
 * `Content-Type: application/json` required on every request, standard
 * HTTP status codes plus 430 "Account expired".  Accounts, users (managers
 * create them), contacts, SMS / voice / mail campaigns ("pushs") with
 * their delivery reports and replies (MO).  What the document leaves open
 * is decided here and written down in docs/providers/clever-rest.md
 * ("Simulator"). */
#include "config.h"

#include "sim.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <microhttpd.h>

#define JSON_TYPE "application/json"
/* the screenshots' 204 answers say "Content-Type: text/html; charset=UTF-8" */
#define EMPTY_TYPE "text/html; charset=UTF-8"

#define MAX_TEXT 1000        /* "longueur maximale 1000 caractères" */
#define MAX_SHORT_CODE 11    /* "11 caractères maximum" */
#define UNITS_PER_SMS 7      /* 3.11: 2 recipients x 1 SMS = "unit": 14 */
#define UNITS_PER_CALL 9     /* 3.19: one tts recipient = "unit": 9 */
#define UNITS_PER_MAIL 2     /* 3.12: 2 mails = "unit": 4 */
#define FIRST_CONTACT_ID 214917 /* the id of 3.6, 3.7 and 3.8 */
#define FIRST_PUSH_ID 675       /* the "id" of 3.16's screenshot */
#define FIRST_USER_ID 1001
#define MANAGER_LOGIN "clevertec"

/* Delivery statuses, as the sister document (clever-http-frontal.txt)
   names them: 2 handed to the operator, 3 received, 4 error while
   sending, 5 an answer (MO), 6 not delivered. */
enum { ST_OPERATOR = 2, ST_RECEIVED = 3, ST_SEND_ERROR = 4, ST_MO = 5,
       ST_NOT_DELIVERED = 6 };
/* Campaign statuses: "0 : non traité, 1 : en cours, 2 : push traité" */
enum { PUSH_WAITING = 0, PUSH_RUNNING = 1, PUSH_DONE = 2 };

/* ------------------------------------------------------------------ model */

/* Contact fields: the camelCase of the example requests and the
   snake_case of the list answers; input takes either, in any case (the
   parameter table writes "lastname"). */
enum cfield {
  CF_NAME, CF_LASTNAME, CF_GSM1, CF_GSM2, CF_LAND1, CF_LAND2, CF_FAX1,
  CF_FAX2, CF_EMAIL, CF_ZIP, CF_CITY, CF_STREET, CF_STREETNO, CF_LONGITUDE,
  CF_LATITUDE, N_CFIELDS
};
static const struct {
  const char *camel, *snake;
  int phone;
} cfields[N_CFIELDS] = {
  { "name", "name", 0 },
  { "lastName", "last_name", 0 },
  { "gsmPrimary", "gsm_primary", 1 },
  { "gsmSecondary", "gsm_secondary", 1 },
  { "landlinePrimary", "landline_primary", 1 },
  { "landlineSecondary", "landline_secondary", 1 },
  { "faxPrimary", "fax_primary", 1 },
  { "faxSecondary", "fax_secondary", 1 },
  { "email", "email", 0 },
  { "zipCode", "zip_code", 0 },
  { "city", "city", 0 },
  { "street", "street", 0 },
  { "streetNumber", "street_number", 0 },
  { "longitude", "longitude", 0 },
  { "latitude", "latitude", 0 },
};

struct contact {
  long id;
  char *f[N_CFIELDS];        /* NULL: never given; phones in +336... form */
  struct json_object *extra; /* additional fields ("diffusion": "on") */
  struct contact *next;
};

/* Profile fields of an account (3.1) / a user (3.2). */
enum pfield {
  PF_NAME, PF_LASTNAME, PF_EMAIL, PF_TELEPHONE, PF_COMPANY_NAME, PF_ADDRESS,
  PF_COUNTRY, PF_CITY, PF_ZIP, N_PFIELDS
};

struct account {
  char *login, *password;
  long long credit; /* units */
  int manager;
  char *expires;    /* "Y-m-d H:i:s" */
  long user_id;     /* created through POST users, else 0 */
  int credit_given; /* POST users named a credit (echoed back) */
  char *parent;     /* login of the manager that created it */
  char *p[N_PFIELDS];
  struct contact *contacts;
  struct account *next;
};

enum push_kind { PK_SMS, PK_TTS, PK_VOICE, PK_MAIL };
static const char *const kind_names[] = { "sms", "tts", "voice", "mail" };
enum push_via { VIA_LIST, VIA_CRITERIA, VIA_BROADCAST };
static const char *const via_names[] = { "list", "criteria", "broadcast" };

struct delivery {
  char *recipient;
  int status;
  time_t sent, received; /* received 0: not yet */
};

struct mo {
  char *from, *text;
  time_t at;
  struct mo *next; /* in arrival order */
};

struct push {
  long id;
  char *reference;
  struct account *acct;
  enum push_kind kind;
  enum push_via via;
  char *text, *short_code, *filename, *options, *email_subject, *type_mail;
  char *criteria, *gsm_routage_mo, *mail_routage_mo;
  int encodage, duplicates, open_tag, all_number, cascade, time_cascade;
  int predefined;
  int status;
  time_t hd_send, entry;
  long long unit;
  unsigned nb_sms;
  struct delivery *d;
  size_t n_d;
  struct mo *mos;
  struct push *next; /* newest first */
};

struct crest {
  struct account *accounts;
  struct push *pushes;
  struct sim_rng rng; /* not reset: identifiers stay unique for the run */
  long next_contact_id, next_user_id, next_push_id;
};

/* The additional fields (3.24) and predefined messages (3.25): "à venir",
   so their answers are this simulator's invention. */
static const struct {
  const char *name, *type;
} field_list[] = { { "diffusion", "text" }, { "BRINGUP", "text" } };
static const struct {
  const char *title, *text;
} predefined[] = {
  { "rappel", "Rappel : votre rendez-vous est demain." },
  { "bienvenue", "Bienvenue chez Clever !" },
};

/* --------------------------------------------------------------- freeing */

static void contact_free(struct contact *c)
{
  for (int i = 0; i < N_CFIELDS; i++)
    free(c->f[i]);
  json_object_put(c->extra);
  free(c);
}

static void account_free(struct account *a)
{
  free(a->login), free(a->password), free(a->expires), free(a->parent);
  for (int i = 0; i < N_PFIELDS; i++)
    free(a->p[i]);
  while (a->contacts) {
    struct contact *c = a->contacts;
    a->contacts = c->next;
    contact_free(c);
  }
  free(a);
}

static void push_free(struct push *p)
{
  for (size_t i = 0; i < p->n_d; i++)
    free(p->d[i].recipient);
  free(p->d);
  while (p->mos) {
    struct mo *m = p->mos;
    p->mos = m->next;
    free(m->from), free(m->text), free(m);
  }
  free(p->reference), free(p->text), free(p->short_code), free(p->filename);
  free(p->options), free(p->email_subject), free(p->type_mail);
  free(p->criteria), free(p->gsm_routage_mo), free(p->mail_routage_mo);
  free(p);
}

static void state_clear(struct crest *st)
{
  while (st->pushes) {
    struct push *p = st->pushes;
    st->pushes = p->next;
    push_free(p);
  }
  while (st->accounts) {
    struct account *a = st->accounts;
    st->accounts = a->next;
    account_free(a);
  }
}

/* ---------------------------------------------------------------- helpers */

static char *opt_dup(const char *s)
{
  return s ? sim_xstrdup(s) : NULL;
}

static void set_str(char **slot, const char *s)
{
  free(*slot);
  *slot = opt_dup(s);
}

/* "Y-m-d H:i:s", local time */
static void fmt_time(time_t t, char *out, size_t len)
{
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* "2017-10-12T18:05:30+0200", the form of 3.15's answer */
static void fmt_iso(time_t t, char *out, size_t len)
{
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(out, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* Parse "Y-m-d H:i:s" (local time): 0, or -1 when malformed or no real date. */
static int parse_time(const char *s, time_t *out)
{
  static const char shape[] = "9999-99-99 99:99:99";
  struct tm tm;
  if (strlen(s) != sizeof shape - 1)
    return -1;
  for (size_t i = 0; shape[i]; i++)
    if (shape[i] == '9' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
      return -1;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = atoi(s) - 1900;
  tm.tm_mon = atoi(s + 5) - 1;
  tm.tm_mday = atoi(s + 8);
  tm.tm_hour = atoi(s + 11);
  tm.tm_min = atoi(s + 14);
  tm.tm_sec = atoi(s + 17);
  tm.tm_isdst = -1;
  int mon = tm.tm_mon, mday = tm.tm_mday;
  time_t t = mktime(&tm);
  if (t == (time_t)-1 || tm.tm_mon != mon || tm.tm_mday != mday)
    return -1;
  *out = t;
  return 0;
}

static int all_digits(const char *s)
{
  if (!s || !*s)
    return 0;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s))
      return 0;
  return 1;
}

/* "+" and 8 to 15 digits, or "00" and the same: the international form
   the document asks for ("format international à respecter
   +336xxxxxxxx").  Returns the +... form (malloc'd) or NULL. */
static char *intl_number(const char *s)
{
  const char *digits = NULL;
  if (s[0] == '+')
    digits = s + 1;
  else if (s[0] == '0' && s[1] == '0')
    digits = s + 2;
  size_t n = digits ? strlen(digits) : 0;
  if (!digits || n < 8 || n > 15 || !all_digits(digits) || digits[0] == '0')
    return NULL;
  return sim_xasprintf("+%s", digits);
}

/* The list answers of 3.9 write French mobiles nationally without the 0
   ("gsm_primary": "600000001"). */
static const char *list_number(const char *e164)
{
  return strncmp(e164, "+33", 3) == 0 ? e164 + 3 : e164;
}

static size_t utf8_chars(const char *s)
{
  const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
  size_t n = 0;
  while (p < end) {
    sim_utf8_next(&p, end);
    n++;
  }
  return n;
}

static struct json_object *jstr(const char *s)
{
  return json_object_new_string(s ? s : "");
}

/* A number if it is one ("77183" -> 77183, as 3.1 shows zip_code), else
   the string. */
static struct json_object *jnum_or_str(const char *s)
{
  long long v;
  if (s && all_digits(s) && strlen(s) < 10 && s[0] != '0' &&
      sim_int_parse(s, &v) == 0)
    return json_object_new_int64(v);
  return jstr(s);
}

/* ------------------------------------------------------------------ errors */

/* The document gives each status a message ("Code Message Signification");
   error answers carry it as {"code": C, "message": "..."}: the document
   shows no error body, so this shape is the simulator's choice. */
static const char *status_message(unsigned code)
{
  switch (code) {
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 402: return "Payment Required";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 409: return "Conflict";
  case 430: return "Account expired";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 503: return "Service Unavailable";
  default: return "Error";
  }
}

static void answer_error(struct sim_response *resp, unsigned code,
                         const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void answer_error(struct sim_response *resp, unsigned code,
                         const char *fmt, ...)
{
  struct sim_buf b = { 0 };
  sim_buf_adds(&b, status_message(code));
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    sim_buf_adds(&b, ": ");
    sim_buf_vaddf(&b, fmt, ap);
    va_end(ap);
  }
  char *msg = sim_buf_take(&b, NULL);
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "code", json_object_new_int((int)code));
  json_object_object_add(doc, "message", json_object_new_string(msg));
  free(msg);
  sim_respond_json(resp, code, doc);
}

/* "430 Account expired YYYY-mm-JJ" */
static void answer_expired(struct sim_response *resp, const char *expires)
{
  struct json_object *doc = json_object_new_object();
  char *msg = sim_xasprintf("Account expired %.10s", expires);
  json_object_object_add(doc, "code", json_object_new_int(430));
  json_object_object_add(doc, "message", json_object_new_string(msg));
  free(msg);
  sim_respond_json(resp, 430, doc);
}

static void answer_no_content(struct sim_response *resp)
{
  sim_respond(resp, 204, EMPTY_TYPE, "", 0);
}

/* --------------------------------------------------------------- accounts */

static struct account *account_by_login(struct crest *st, const char *login)
{
  for (struct account *a = st->accounts; a; a = a->next)
    if (strcmp(a->login, login) == 0)
      return a;
  return NULL;
}

static struct account *account_add(struct crest *st, const char *login,
                                   const char *password, long long credit,
                                   int manager, const char *expires)
{
  struct account *a = sim_xcalloc(1, sizeof *a);
  a->login = sim_xstrdup(login);
  a->password = sim_xstrdup(password);
  a->credit = credit;
  a->manager = manager;
  a->expires = sim_xstrdup(expires);
  struct account **tail = &st->accounts;
  while (*tail)
    tail = &(*tail)->next;
  *tail = a;
  return a;
}

static struct contact *contact_add(struct account *a, long id)
{
  struct contact *c = sim_xcalloc(1, sizeof *c);
  c->id = id;
  c->extra = json_object_new_object();
  struct contact **tail = &a->contacts;
  while (*tail)
    tail = &(*tail)->next;
  *tail = c;
  return c;
}

static void builtin_accounts(struct crest *st)
{
  /* the profile of 3.1, and the contacts of 3.9 */
  struct account *a = account_add(st, MANAGER_LOGIN, "Clever2017", 999733, 1,
                                  "2033-02-10 09:49:21");
  static const char *const profile[N_PFIELDS] = {
    "Clever", "Tec", "support@clever.fr", "+33160536053",
    "Clever Technologies - IS", "52 rue d'emeraïnvill", "France", "Croissy",
    "77183",
  };
  for (int i = 0; i < N_PFIELDS; i++)
    a->p[i] = sim_xstrdup(profile[i]);
  struct contact *c = contact_add(a, 214905);
  static const char *const first[N_CFIELDS] = {
    "Clever", "ALGnew3", "+33771100899", "", "", "", "", "",
    "cleverimap@gmail.com", "", "Torcy", "rue de paris", "4", "2.6566156",
    "48.8511663",
  };
  for (int i = 0; i < N_CFIELDS; i++)
    c->f[i] = sim_xstrdup(first[i]);
  c = contact_add(a, 214906);
  c->f[CF_NAME] = sim_xstrdup("contact");
  c->f[CF_LASTNAME] = sim_xstrdup("contact lastname");
  c->f[CF_GSM1] = sim_xstrdup("+33600000001");
  c->f[CF_EMAIL] = sim_xstrdup("contact@email.com");
  /* matches the criteria of 3.13 and 3.14: "diffusion=on and BRINGUP=oui" */
  json_object_object_add(c->extra, "diffusion", json_object_new_string("on"));
  json_object_object_add(c->extra, "BRINGUP", json_object_new_string("oui"));

  a = account_add(st, "demo", "demo-pass", 10000, 0, "2099-12-31 23:59:59");
  a->p[PF_NAME] = sim_xstrdup("Demo");
  a = account_add(st, "poor", "poor-pass", 0, 0, "2099-12-31 23:59:59");
  a->p[PF_NAME] = sim_xstrdup("Poor");
  a = account_add(st, "expired", "expired-pass", 1000, 0, "2017-10-12 09:49:21");
  a->p[PF_NAME] = sim_xstrdup("Expired");
}

static int account_expired(const struct account *a)
{
  time_t t;
  return parse_time(a->expires, &t) == 0 && t < time(NULL);
}

/* The account of the request's Basic credentials, or NULL. */
static struct account *authenticate(struct crest *st, const struct sim_request *req)
{
  char *user = NULL, *pass = NULL;
  struct account *found = NULL;
  if (!req->conn)
    return NULL;
#if MHD_VERSION >= 0x00097701
  struct MHD_BasicAuthInfo *info =
    MHD_basic_auth_get_username_password3((struct MHD_Connection *)req->conn);
  if (info) {
    user = sim_xstrndup(info->username, info->username_len);
    pass = info->password ? sim_xstrndup(info->password, info->password_len)
                          : sim_xstrdup("");
    MHD_free(info);
  }
#else
  char *u = MHD_basic_auth_get_username_password((struct MHD_Connection *)req->conn,
                                                 &pass);
  if (u) {
    user = sim_xstrdup(u);
    MHD_free(u);
    char *p = pass;
    pass = sim_xstrdup(p ? p : "");
    if (p)
      MHD_free(p);
  } else {
    pass = NULL;
  }
#endif
  if (user && pass) {
    struct account *a = account_by_login(st, user);
    if (a && strcmp(a->password, pass) == 0)
      found = a;
  }
  free(user);
  free(pass);
  return found;
}

/* ------------------------------------------------------------ JSON input */

/* Member `key` of `o`, or NULL (absent or null). */
static struct json_object *member(struct json_object *o, const char *key)
{
  struct json_object *v = NULL;
  if (!o || !json_object_object_get_ex(o, key, &v))
    return NULL;
  return v;
}

/* A member by any of its spellings (case-insensitive). */
static struct json_object *member_any(struct json_object *o, const char *a,
                                      const char *b)
{
  json_object_object_foreach(o, key, v)
  {
    if (strcasecmp(key, a) == 0 || (b && strcasecmp(key, b) == 0))
      return v;
  }
  return NULL;
}

/* A string member: strings as they are, numbers as written.  *bad is set
   when the member has another type. */
static const char *str_member(struct json_object *v, int *bad)
{
  if (!v)
    return NULL;
  if (json_object_is_type(v, json_type_string) ||
      json_object_is_type(v, json_type_int) ||
      json_object_is_type(v, json_type_double))
    return json_object_get_string(v);
  *bad = 1;
  return NULL;
}

/* An integer member (3 or "3").  0 absent, 1 read, -1 malformed. */
static int int_member(struct json_object *o, const char *key, long long *out)
{
  struct json_object *v = member(o, key);
  if (!v)
    return 0;
  if (json_object_is_type(v, json_type_int)) {
    *out = json_object_get_int64(v);
    return 1;
  }
  if (json_object_is_type(v, json_type_string) &&
      sim_int_parse(json_object_get_string(v), out) == 0)
    return 1;
  return -1;
}

/* A 0/1 flag member; `def` when absent.  -1 malformed. */
static int flag_member(struct json_object *o, const char *key, int def)
{
  long long v;
  int r = int_member(o, key, &v);
  if (r == 0)
    return def;
  if (r < 0 || (v != 0 && v != 1))
    return -1;
  return (int)v;
}

/* The "datas" object of a request body.  The screenshot of 3.16 sends
   "datas": [ {...} ]: an array's first object is taken too. */
static struct json_object *parse_datas(const struct sim_request *req,
                                       struct json_object **doc)
{
  *doc = NULL;
  if (!req->body_len)
    return NULL;
  struct json_tokener *tok = json_tokener_new();
  *doc = json_tokener_parse_ex(tok, (const char *)req->body, (int)req->body_len);
  int ok = json_tokener_get_error(tok) == json_tokener_success;
  json_tokener_free(tok);
  if (!ok) {
    if (*doc)
      json_object_put(*doc);
    *doc = NULL;
    return NULL;
  }
  struct json_object *datas = member(*doc, "datas");
  if (datas && json_object_is_type(datas, json_type_array) &&
      json_object_array_length(datas) > 0)
    datas = json_object_array_get_idx(datas, 0);
  return datas && json_object_is_type(datas, json_type_object) ? datas : NULL;
}

/* Items of a list member: "a;b" (the examples' separator; ',' is read
   too) or a JSON array ("Tableau de ..."). Returns the count, -1 when the
   member has another type; *items (malloc'd strings) NULL-terminated. */
static long list_member(struct json_object *v, char ***items)
{
  size_t n = 0, cap = 8;
  char **out = sim_xcalloc(cap, sizeof *out);
  *items = out;
  if (!v)
    return 0;
  if (json_object_is_type(v, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length(v); i++) {
      struct json_object *e = json_object_array_get_idx(v, i);
      if (!e || !json_object_is_type(e, json_type_string))
        return -1;
      if (n + 2 > cap)
        out = *items = sim_xrealloc(out, (cap *= 2) * sizeof *out);
      out[n++] = sim_xstrdup(json_object_get_string(e));
      out[n] = NULL;
    }
    return (long)n;
  }
  if (!json_object_is_type(v, json_type_string))
    return -1;
  for (const char *s = json_object_get_string(v); *s;) {
    size_t len = strcspn(s, ";,");
    const char *b = s, *e = s + len;
    while (b < e && isspace((unsigned char)*b))
      b++;
    while (e > b && isspace((unsigned char)e[-1]))
      e--;
    if (e > b) {
      if (n + 2 > cap)
        out = *items = sim_xrealloc(out, (cap *= 2) * sizeof *out);
      out[n++] = sim_xstrndup(b, (size_t)(e - b));
      out[n] = NULL;
    }
    s += len;
    if (*s)
      s++;
  }
  return (long)n;
}

static void items_free(char **items)
{
  for (size_t i = 0; items && items[i]; i++)
    free(items[i]);
  free(items);
}

/* ------------------------------------------------------------- profile */

/* Profile fields of POST/PUT users: flat as the parameter table writes
   them, or nested as the example (account.company...) does. */
static const struct {
  const char *name, *alt;
  int in_company;
} pfields[N_PFIELDS] = {
  { "name", NULL, 0 },           { "lastname", "last_name", 0 },
  { "email", NULL, 0 },          { "telephone", NULL, 0 },
  { "company_name", NULL, 1 },   { "address", NULL, 1 },
  { "country", NULL, 1 },        { "city", NULL, 1 },
  { "zipCode", "zip_code", 1 },
};

static struct json_object *profile_member(struct json_object *datas, int i)
{
  struct json_object *account = member(datas, "account");
  struct json_object *company = account ? member(account, "company") : NULL;
  struct json_object *v = NULL;
  if (pfields[i].in_company && company)
    v = member_any(company, pfields[i].name, pfields[i].alt);
  if (!v && account)
    v = member_any(account, pfields[i].name, pfields[i].alt);
  if (!v)
    v = member_any(datas, pfields[i].name, pfields[i].alt);
  return v;
}

/* {"name", ..., "company": {...}}: the account object of 3.1 */
static struct json_object *profile_json(const struct account *a, int with_credit,
                                        int with_expiry)
{
  struct json_object *acc = json_object_new_object();
  static const int top[] = { PF_NAME, PF_LASTNAME, PF_EMAIL, PF_TELEPHONE };
  for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
    if (a->p[top[i]])
      json_object_object_add(acc, pfields[top[i]].alt && top[i] == PF_LASTNAME
                                    ? "lastname" : pfields[top[i]].name,
                             jstr(a->p[top[i]]));
  if (with_credit)
    json_object_object_add(acc, "credit", json_object_new_int64(a->credit));
  if (with_expiry)
    json_object_object_add(acc, "date_expiration", jstr(a->expires));
  struct json_object *company = json_object_new_object();
  static const int comp[] = { PF_ADDRESS, PF_COMPANY_NAME, PF_COUNTRY, PF_CITY, PF_ZIP };
  static const int comp_me[] = { PF_COMPANY_NAME, PF_ADDRESS, PF_COUNTRY, PF_CITY, PF_ZIP };
  const int *order = with_expiry ? comp_me : comp;
  for (size_t i = 0; i < 5; i++)
    if (a->p[order[i]])
      json_object_object_add(company,
                             order[i] == PF_ZIP ? (with_expiry ? "zip_code" : "zipCode")
                                                : pfields[order[i]].name,
                             order[i] == PF_ZIP ? jnum_or_str(a->p[PF_ZIP])
                                                : jstr(a->p[order[i]]));
  json_object_object_add(acc, "company", company);
  return acc;
}

/* ---------------------------------------------------------------- 3.1 */

static void ep_account_me(struct crest *st, struct account *a, const char *id,
                          struct json_object *datas, const struct sim_request *req,
                          struct sim_response *resp)
{
  (void)st, (void)id, (void)datas, (void)req;
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "account", profile_json(a, 1, 1));
  sim_respond_json(resp, 200, doc);
}

/* ------------------------------------------------------------- users */

/* "au moins 6 caractères dont une lettre capitale et un chiffre" */
static int password_ok(const char *s)
{
  int upper = 0, digit = 0;
  for (const char *p = s; *p; p++) {
    upper |= isupper((unsigned char)*p) != 0;
    digit |= isdigit((unsigned char)*p) != 0;
  }
  return strlen(s) >= 6 && upper && digit;
}

static struct account *user_by_id(struct crest *st, const char *id)
{
  long long v;
  if (!all_digits(id) || sim_int_parse(id, &v) != 0)
    return NULL;
  for (struct account *a = st->accounts; a; a = a->next)
    if (a->user_id == v)
      return a;
  return NULL;
}

static struct json_object *user_json(const struct account *u)
{
  struct json_object *user = json_object_new_object();
  json_object_object_add(user, "username", jstr(u->login));
  json_object_object_add(user, "password", jstr(u->password));
  json_object_object_add(user, "account", profile_json(u, u->credit_given, 0));
  /* the example of 3.2 shows no id; 3.3 and 3.4 need one */
  json_object_object_add(user, "id", json_object_new_int64(u->user_id));
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "user", user);
  return doc;
}

/* Validate a users body; on success fill `out` (username, password,
   profile, credit).  Answers 400 and returns -1 otherwise. */
struct user_input {
  const char *username, *password;
  const char *p[N_PFIELDS];
  long long credit;
  int credit_given;
};

static int user_read(struct json_object *datas, struct user_input *in,
                     struct sim_response *resp)
{
  int bad = 0;
  memset(in, 0, sizeof *in);
  in->username = str_member(member(datas, "username"), &bad);
  in->password = str_member(member(datas, "password"), &bad);
  for (int i = 0; i < N_PFIELDS; i++)
    in->p[i] = str_member(profile_member(datas, i), &bad);
  struct json_object *account = member(datas, "account");
  struct json_object *credit = account ? member(account, "credit") : NULL;
  if (!credit)
    credit = member(datas, "credit");
  if (credit) {
    long long v;
    if (json_object_is_type(credit, json_type_int))
      v = json_object_get_int64(credit);
    else if (!json_object_is_type(credit, json_type_string) ||
             sim_int_parse(json_object_get_string(credit), &v) != 0)
      bad = 1, v = 0;
    in->credit = v;
    in->credit_given = 1;
    if (v < 0)
      bad = 1;
  }
  /* required by the table and shown by the example: username, password,
     name, lastname, email, telephone, address (zipCode, city and country
     are marked required but the example goes without them) */
  static const int required[] = { PF_NAME, PF_LASTNAME, PF_EMAIL, PF_TELEPHONE,
                                  PF_ADDRESS };
  const char *missing = NULL;
  if (!in->username || !*in->username)
    missing = "username";
  else if (!in->password || !*in->password)
    missing = "password";
  for (size_t i = 0; !missing && i < sizeof required / sizeof required[0]; i++)
    if (!in->p[required[i]] || !*in->p[required[i]])
      missing = pfields[required[i]].name;
  if (bad || missing) {
    answer_error(resp, 400, "%s", missing ? missing : "a field has the wrong type");
    return -1;
  }
  if (!password_ok(in->password)) {
    answer_error(resp, 400, "password: at least 6 characters with a capital letter "
                            "and a digit");
    return -1;
  }
  char *tel = intl_number(in->p[PF_TELEPHONE]);
  if (!tel) {
    answer_error(resp, 400, "telephone: international format +336xxxxxxxx");
    return -1;
  }
  free(tel);
  if (!strchr(in->p[PF_EMAIL], '@')) {
    answer_error(resp, 400, "email");
    return -1;
  }
  return 0;
}

static void user_apply(struct account *u, const struct user_input *in)
{
  set_str(&u->password, in->password);
  for (int i = 0; i < N_PFIELDS; i++)
    if (in->p[i])
      set_str(&u->p[i], in->p[i]);
  if (in->credit_given) {
    u->credit = in->credit;
    u->credit_given = 1;
  }
}

static void ep_user_create(struct crest *st, struct account *a, const char *id,
                           struct json_object *datas, const struct sim_request *req,
                           struct sim_response *resp)
{
  (void)id, (void)req;
  struct user_input in;
  if (!a->manager) {
    answer_error(resp, 403, "only a manager account creates users");
    return;
  }
  if (user_read(datas, &in, resp) != 0)
    return;
  if (account_by_login(st, in.username)) {
    answer_error(resp, 409, "username %s is taken", in.username);
    return;
  }
  /* "credit: Par défaut 0" */
  struct account *u = account_add(st, in.username, in.password, 0, 0, a->expires);
  u->user_id = st->next_user_id++;
  u->parent = sim_xstrdup(a->login);
  user_apply(u, &in);
  sim_respond_json(resp, 201, user_json(u));
}

/* A user of manager `a`, or NULL after answering 404/403. */
static struct account *user_of(struct crest *st, struct account *a, const char *id,
                               struct sim_response *resp)
{
  struct account *u = user_by_id(st, id);
  if (!u) {
    if (!all_digits(id))
      answer_error(resp, 400, "id_user must be a whole number");
    else
      answer_error(resp, 404, "no user %s", id);
    return NULL;
  }
  if (u != a && (!u->parent || strcmp(u->parent, a->login) != 0)) {
    answer_error(resp, 403, "user %s is not yours", id);
    return NULL;
  }
  return u;
}

static void ep_user_get(struct crest *st, struct account *a, const char *id,
                        struct json_object *datas, const struct sim_request *req,
                        struct sim_response *resp)
{
  (void)datas, (void)req;
  struct account *u = user_of(st, a, id, resp);
  if (u)
    sim_respond_json(resp, 200, user_json(u));
}

static void ep_user_update(struct crest *st, struct account *a, const char *id,
                           struct json_object *datas, const struct sim_request *req,
                           struct sim_response *resp)
{
  (void)req;
  struct user_input in;
  struct account *u = user_of(st, a, id, resp);
  if (!u || user_read(datas, &in, resp) != 0)
    return;
  struct account *other = account_by_login(st, in.username);
  if (other && other != u) {
    answer_error(resp, 409, "username %s is taken", in.username);
    return;
  }
  set_str(&u->login, in.username);
  user_apply(u, &in);
  answer_no_content(resp);
}

/* ------------------------------------------------------------- contacts */

static struct contact *contact_by_id(struct account *a, const char *id)
{
  long long v;
  if (!all_digits(id) || sim_int_parse(id, &v) != 0)
    return NULL;
  for (struct contact *c = a->contacts; c; c = c->next)
    if (c->id == v)
      return c;
  return NULL;
}

/* "pas de caractères spéciaux": letters (accented ones too), digits,
   spaces, - ' . */
static int plain_name(const char *s)
{
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (!isalnum(*p) && *p < 0x80 && !strchr(" -'.", *p))
      return 0;
  return *s != '\0';
}

/* The contact of 3.5/3.7: {"id": "214917", "name", "lastName",
   "gsmPrimary", "email", ...} (the id a string, as those examples write
   it) */
static struct json_object *contact_json(const struct contact *c)
{
  struct json_object *o = json_object_new_object();
  char id[32];
  snprintf(id, sizeof id, "%ld", c->id);
  json_object_object_add(o, "id", json_object_new_string(id));
  for (int i = 0; i < N_CFIELDS; i++)
    if (c->f[i])
      json_object_object_add(o, cfields[i].camel, jstr(c->f[i]));
  if (json_object_object_length(c->extra) > 0)
    json_object_object_add(o, "fields", json_object_get(c->extra));
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "contact", o);
  return doc;
}

/* A contact of the lists of 3.9/3.10: snake_case, the id a number,
   mobiles written nationally. */
static struct json_object *contact_list_json(const struct contact *c)
{
  struct json_object *o = json_object_new_object();
  json_object_object_add(o, "id", json_object_new_int64(c->id));
  for (int i = 0; i < N_CFIELDS; i++)
    if (c->f[i])
      json_object_object_add(o, cfields[i].snake,
                             jstr(cfields[i].phone ? list_number(c->f[i]) : c->f[i]));
  return o;
}

/* Read a contacts body into `c` (a copy for validation).  Unknown
   members with a string value become additional fields.  Returns 0, or
   answers 400 and returns -1. */
static int contact_read(struct json_object *datas, struct contact *c,
                        int *duplicates, struct sim_response *resp)
{
  int bad = 0;
  *duplicates = flag_member(datas, "duplicates", 0);
  if (*duplicates < 0) {
    answer_error(resp, 400, "duplicates: 0 or 1");
    return -1;
  }
  json_object_object_foreach(datas, key, v)
  {
    int known = strcasecmp(key, "duplicates") == 0;
    for (int i = 0; i < N_CFIELDS && !known; i++) {
      if (strcasecmp(key, cfields[i].camel) != 0 &&
          strcasecmp(key, cfields[i].snake) != 0)
        continue;
      known = 1;
      const char *s = str_member(v, &bad);
      if (bad) {
        answer_error(resp, 400, "%s: a string", key);
        return -1;
      }
      if (s && cfields[i].phone && *s) {
        char *n = intl_number(s);
        if (!n) {
          answer_error(resp, 400, "%s: international format +336xxxxxxxx", key);
          return -1;
        }
        set_str(&c->f[i], n);
        free(n);
      } else {
        set_str(&c->f[i], s);
      }
    }
    if (!known && v && json_object_is_type(v, json_type_string))
      json_object_object_add(c->extra, key, json_object_get(v));
  }
  if (!c->f[CF_NAME] || !plain_name(c->f[CF_NAME])) {
    answer_error(resp, 400, "name: required, no special characters");
    return -1;
  }
  if (!c->f[CF_LASTNAME] || !plain_name(c->f[CF_LASTNAME])) {
    answer_error(resp, 400, "lastname: required, no special characters");
    return -1;
  }
  if (!c->f[CF_GSM1] || !*c->f[CF_GSM1]) {
    answer_error(resp, 400, "gsm_primary: required, international format +336xxxxxxxx");
    return -1;
  }
  if (c->f[CF_EMAIL] && *c->f[CF_EMAIL] && !strchr(c->f[CF_EMAIL], '@')) {
    answer_error(resp, 400, "email");
    return -1;
  }
  return 0;
}

static struct contact *contact_same_gsm(struct account *a, const char *gsm,
                                        const struct contact *except)
{
  for (struct contact *c = a->contacts; c; c = c->next)
    if (c != except && c->f[CF_GSM1] && strcmp(c->f[CF_GSM1], gsm) == 0)
      return c;
  return NULL;
}

static void contact_copy(struct contact *to, const struct contact *from)
{
  for (int i = 0; i < N_CFIELDS; i++)
    if (from->f[i])
      set_str(&to->f[i], from->f[i]);
  json_object_object_foreach(from->extra, key, v)
    json_object_object_add(to->extra, key, json_object_get(v));
}

static void ep_contact_create(struct crest *st, struct account *a, const char *id,
                              struct json_object *datas, const struct sim_request *req,
                              struct sim_response *resp)
{
  (void)id, (void)req;
  struct contact tmp = { 0 };
  int duplicates;
  tmp.extra = json_object_new_object();
  if (contact_read(datas, &tmp, &duplicates, resp) == 0) {
    if (!duplicates && contact_same_gsm(a, tmp.f[CF_GSM1], NULL)) {
      /* "Le contact existe, le paramètre duplicates doit être activé." */
      answer_error(resp, 409, "the contact exists: set duplicates=1");
    } else {
      struct contact *c = contact_add(a, st->next_contact_id++);
      contact_copy(c, &tmp);
      sim_respond_json(resp, 201, contact_json(c));
    }
  }
  for (int i = 0; i < N_CFIELDS; i++)
    free(tmp.f[i]);
  json_object_put(tmp.extra);
}

static struct contact *contact_of(struct account *a, const char *id,
                                  struct sim_response *resp)
{
  struct contact *c = contact_by_id(a, id);
  if (!c) {
    if (!all_digits(id))
      answer_error(resp, 400, "id_contact must be a whole number");
    else
      answer_error(resp, 404, "no contact %s", id);
  }
  return c;
}

static void ep_contact_update(struct crest *st, struct account *a, const char *id,
                              struct json_object *datas, const struct sim_request *req,
                              struct sim_response *resp)
{
  (void)st, (void)req;
  struct contact *c = contact_of(a, id, resp);
  if (!c)
    return;
  struct contact tmp = { 0 };
  int duplicates;
  tmp.extra = json_object_new_object();
  if (contact_read(datas, &tmp, &duplicates, resp) == 0) {
    if (!duplicates && contact_same_gsm(a, tmp.f[CF_GSM1], c)) {
      answer_error(resp, 409, "the contact exists: set duplicates=1");
    } else {
      contact_copy(c, &tmp);
      answer_no_content(resp);
    }
  }
  for (int i = 0; i < N_CFIELDS; i++)
    free(tmp.f[i]);
  json_object_put(tmp.extra);
}

static void ep_contact_get(struct crest *st, struct account *a, const char *id,
                           struct json_object *datas, const struct sim_request *req,
                           struct sim_response *resp)
{
  (void)st, (void)datas, (void)req;
  struct contact *c = contact_of(a, id, resp);
  if (c)
    sim_respond_json(resp, 200, contact_json(c));
}

static void ep_contact_delete(struct crest *st, struct account *a, const char *id,
                              struct json_object *datas, const struct sim_request *req,
                              struct sim_response *resp)
{
  (void)st, (void)datas, (void)req;
  struct contact *c = contact_of(a, id, resp);
  if (!c)
    return;
  for (struct contact **cp = &a->contacts; *cp; cp = &(*cp)->next)
    if (*cp == c) {
      *cp = c->next;
      break;
    }
  contact_free(c);
  answer_no_content(resp);
}

static void answer_contact_list(struct account *a, struct sim_response *resp)
{
  struct json_object *arr = json_object_new_array();
  for (struct contact *c = a->contacts; c; c = c->next)
    json_object_array_add(arr, contact_list_json(c));
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "contact", arr);
  sim_respond_json(resp, 200, doc);
}

static void ep_contact_list(struct crest *st, struct account *a, const char *id,
                            struct json_object *datas, const struct sim_request *req,
                            struct sim_response *resp)
{
  (void)st, (void)id, (void)datas, (void)req;
  answer_contact_list(a, resp);
}

/* 3.10 "Manager uniquement" */
static void ep_contact_list_user(struct crest *st, struct account *a, const char *login,
                                 struct json_object *datas, const struct sim_request *req,
                                 struct sim_response *resp)
{
  (void)datas, (void)req;
  if (!a->manager) {
    answer_error(resp, 403, "listing a user's contacts is for managers only");
    return;
  }
  struct account *u = account_by_login(st, login);
  if (!u) {
    answer_error(resp, 404, "no user %s", login);
    return;
  }
  if (u != a && (!u->parent || strcmp(u->parent, a->login) != 0)) {
    answer_error(resp, 403, "user %s is not yours", login);
    return;
  }
  answer_contact_list(u, resp);
}

/* ------------------------------------------------------- criteria (3.13) */

/* The value of `field` for contact `c`: a standard field by either
   spelling, or an additional one; NULL when the contact has none. */
static const char *contact_value(const struct contact *c, const char *field)
{
  for (int i = 0; i < N_CFIELDS; i++)
    if (strcasecmp(field, cfields[i].camel) == 0 ||
        strcasecmp(field, cfields[i].snake) == 0)
      return c->f[i];
  json_object_object_foreach(c->extra, key, v)
  {
    if (strcasecmp(key, field) == 0)
      return json_object_get_string(v);
  }
  return NULL;
}

/* Is `s` at a word "and"/"or" (case-insensitive) between spaces? */
static size_t op_word(const char *s, const char *word)
{
  size_t n = strlen(word);
  if (strncasecmp(s, word, n) == 0 && (s[n] == ' ' || s[n] == '\t'))
    return n;
  return 0;
}

/* "field=value AND field1='value' OR ...": AND binds tighter than OR.
   1 match, 0 no match, -1 malformed. */
static int criteria_match(const char *criteria, const struct contact *c)
{
  int any = 0, group = 1, clauses = 0;
  const char *s = criteria;
  for (;;) {
    while (*s == ' ' || *s == '\t')
      s++;
    /* one clause: up to " and " / " or " / end */
    const char *end = s;
    size_t skip = 0;
    int is_or = 0;
    while (*end) {
      if ((end == s || end[-1] == ' ' || end[-1] == '\t')) {
        if ((skip = op_word(end, "and")) != 0)
          break;
        if ((skip = op_word(end, "or")) != 0) {
          is_or = 1;
          break;
        }
      }
      end++;
    }
    char *clause = sim_xstrndup(s, (size_t)(end - s));
    char *eq = strchr(clause, '=');
    if (!eq) {
      free(clause);
      return -1;
    }
    *eq = '\0';
    char *field = clause, *value = eq + 1, *t;
    while (*field == ' ')
      field++;
    for (t = field + strlen(field); t > field && (t[-1] == ' ' || t[-1] == '\t');)
      *--t = '\0';
    while (*value == ' ')
      value++;
    for (t = value + strlen(value); t > value && (t[-1] == ' ' || t[-1] == '\t');)
      *--t = '\0';
    size_t vl = strlen(value);
    if (vl >= 2 && (value[0] == '\'' || value[0] == '"') && value[vl - 1] == value[0]) {
      value[vl - 1] = '\0';
      value++;
    }
    if (!*field) {
      free(clause);
      return -1;
    }
    const char *have = contact_value(c, field);
    group = group && have && strcasecmp(have, value) == 0;
    clauses++;
    free(clause);
    if (!*end)
      break;
    if (is_or) {
      any = any || group;
      group = 1;
    }
    s = end + skip;
  }
  return clauses ? (any || group) : -1;
}

/* ------------------------------------------------------------- pushes */

static struct push *push_by_ref(struct crest *st, struct account *a, const char *ref,
                                int mail)
{
  for (struct push *p = st->pushes; p; p = p->next)
    if (p->acct == a && strcmp(p->reference, ref) == 0 &&
        (p->kind == PK_MAIL) == (mail != 0))
      return p;
  return NULL;
}

/* "Push20171012124247"; criteria and broadcast campaigns, and a second
   campaign in the same second, get 33 more characters as in 3.13's
   "Push201710121707081059df851c0e82a0484665235b4cd228f". */
static char *new_reference(struct crest *st, time_t now, int long_form)
{
  char stamp[32];
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "Push%Y%m%d%H%M%S", &tm);
  for (;;) {
    char *ref;
    if (long_form) {
      char tail[33];
      sim_rng_alnum(&st->rng, tail, 32);
      for (int i = 0; i < 32; i++)
        tail[i] = "0123456789abcdef"[(unsigned char)tail[i] % 16];
      ref = sim_xasprintf("%s1%s", stamp, tail);
    } else {
      ref = sim_xstrdup(stamp);
    }
    int used = 0;
    for (struct push *p = st->pushes; p && !used; p = p->next)
      used = strcmp(p->reference, ref) == 0;
    if (!used)
      return ref;
    free(ref);
    long_form = 1;
  }
}

static unsigned sms_count(const char *text, int encodage)
{
  size_t n = utf8_chars(text);
  unsigned one = encodage == 4 ? 70 : 160, many = encodage == 4 ? 67 : 153;
  return n <= one ? 1 : (unsigned)((n + many - 1) / many);
}

/* What a campaign request asks for, checked. */
struct push_input {
  const char *text, *short_code, *filename, *options, *email_subject, *type_mail;
  const char *criteria, *gsm_routage_mo, *mail_routage_mo;
  int encodage, duplicates, open_tag, all_number, cascade, time_cascade;
  int predefined;
  enum push_kind kind;
  int scheduled;
  time_t hd_send;
};

static int has_forbidden_file_char(const char *s)
{
  return strpbrk(s, "<>:\"/\\|?*") != NULL;
}

static int ends_with(const char *s, const char *tail)
{
  size_t n = strlen(s), t = strlen(tail);
  return n > t && strcasecmp(s + n - t, tail) == 0;
}

/* A string member that must be a string (or a number); answers 400 and
   returns -1 when it has another type. */
static int read_str(struct json_object *datas, const char *key, const char **out,
                    struct sim_response *resp)
{
  int bad = 0;
  *out = str_member(member(datas, key), &bad);
  if (bad) {
    answer_error(resp, 400, "%s: a string", key);
    return -1;
  }
  return 0;
}

static int read_flag(struct json_object *datas, const char *key, int *out,
                     struct sim_response *resp)
{
  *out = flag_member(datas, key, 0);
  if (*out < 0) {
    answer_error(resp, 400, "%s: 0 or 1", key);
    return -1;
  }
  return 0;
}

/* Read and check the members of a campaign request (the parameter tables
   of 3.11 to 3.16).  Answers 400 and returns -1 on the first bad one. */
static int push_read(struct json_object *datas, int mail, struct push_input *in,
                     struct sim_response *resp)
{
  const char *hd_send, *type_push;
  long long v;
  memset(in, 0, sizeof *in);
  if (read_str(datas, "text", &in->text, resp) || read_str(datas, "hd_send", &hd_send, resp) ||
      read_str(datas, "type_push", &type_push, resp) ||
      read_str(datas, "filename", &in->filename, resp) ||
      read_str(datas, "criteria", &in->criteria, resp) ||
      read_flag(datas, "duplicates", &in->duplicates, resp) ||
      read_flag(datas, "predefined_message", &in->predefined, resp))
    return -1;
  if (!in->text || !*in->text) {
    answer_error(resp, 400, "text is missing");
    return -1;
  }
  if (!mail && utf8_chars(in->text) > MAX_TEXT) {
    answer_error(resp, 400, "text: at most %d characters", MAX_TEXT);
    return -1;
  }
  if (hd_send && *hd_send) {
    if (parse_time(hd_send, &in->hd_send) != 0) {
      answer_error(resp, 400, "hd_send: format Y-m-d H:i:s");
      return -1;
    }
    in->scheduled = in->hd_send > time(NULL);
  }

  if (mail) {
    in->kind = PK_MAIL;
    if (read_str(datas, "email_subject", &in->email_subject, resp) ||
        read_str(datas, "type_mail", &in->type_mail, resp) ||
        read_flag(datas, "open_tag", &in->open_tag, resp))
      return -1;
    if (!in->email_subject || !*in->email_subject) {
      answer_error(resp, 400, "email_subject is missing");
      return -1;
    }
    if (!in->type_mail)
      in->type_mail = "brut"; /* "Par défaut : brut sinon html" */
    if (strcmp(in->type_mail, "brut") != 0 && strcmp(in->type_mail, "html") != 0) {
      answer_error(resp, 400, "type_mail: brut or html");
      return -1;
    }
    if (type_push && strcmp(type_push, "mail") != 0) {
      answer_error(resp, 400, "type_push: mail");
      return -1;
    }
    if (in->filename && (!ends_with(in->filename, ".pdf") ||
                         has_forbidden_file_char(in->filename))) {
      answer_error(resp, 400, "filename: a .pdf file");
      return -1;
    }
    return 0;
  }

  int r = int_member(datas, "encodage", &v);
  if (r == 0) {
    answer_error(resp, 400, "encodage is missing (3 Latin, 4 UCS2)");
    return -1;
  }
  if (r < 0 || (v != 3 && v != 4)) {
    answer_error(resp, 400, "encodage: 3 (Latin) or 4 (UCS2)");
    return -1;
  }
  in->encodage = (int)v;
  /* "Par défaut : sms" (3.11), "Par défaut : text" (3.13, 3.15): both
     mean an SMS */
  if (!type_push || strcmp(type_push, "sms") == 0 || strcmp(type_push, "text") == 0)
    in->kind = PK_SMS;
  else if (strcmp(type_push, "tts") == 0)
    in->kind = PK_TTS;
  else if (strcmp(type_push, "voice") == 0)
    in->kind = PK_VOICE;
  else {
    answer_error(resp, 400, "type_push: sms, tts or voice");
    return -1;
  }
  if (in->filename && (!(ends_with(in->filename, ".wav") || ends_with(in->filename, ".mp3")) ||
                       has_forbidden_file_char(in->filename))) {
    answer_error(resp, 400, "filename: a .wav or .mp3 file, none of < > : \" / \\ | ? *");
    return -1;
  }
  if (in->kind == PK_VOICE && !in->filename) {
    answer_error(resp, 400, "filename: a voice campaign needs its sound file");
    return -1;
  }
  if (read_str(datas, "options", &in->options, resp) ||
      read_str(datas, "short_code", &in->short_code, resp) ||
      read_str(datas, "gsm_routage_mo", &in->gsm_routage_mo, resp) ||
      read_str(datas, "mail_routage_mo", &in->mail_routage_mo, resp) ||
      read_flag(datas, "all_number", &in->all_number, resp) ||
      read_flag(datas, "cascade", &in->cascade, resp))
    return -1;
  if (!in->options)
    in->options = "F1";
  if (strcmp(in->options, "F0") != 0 && strcmp(in->options, "F1") != 0) {
    answer_error(resp, 400, "options: F0 (flash) or F1");
    return -1;
  }
  if (in->short_code && utf8_chars(in->short_code) > MAX_SHORT_CODE) {
    answer_error(resp, 400, "short_code: at most %d characters", MAX_SHORT_CODE);
    return -1;
  }
  if (in->gsm_routage_mo && *in->gsm_routage_mo) {
    char *n = intl_number(in->gsm_routage_mo);
    if (!n) {
      answer_error(resp, 400, "gsm_routage_mo: international format +336xxxxxxxx");
      return -1;
    }
    free(n);
  }
  if (in->mail_routage_mo && *in->mail_routage_mo && !strchr(in->mail_routage_mo, '@')) {
    answer_error(resp, 400, "mail_routage_mo: a mail address");
    return -1;
  }
  r = int_member(datas, "time_cascade", &v);
  if (r < 0 || (r > 0 && (v < 0 || v > 100000))) {
    answer_error(resp, 400, "time_cascade: minutes");
    return -1;
  }
  in->time_cascade = r > 0 ? (int)v : 0;
  return 0;
}

/* Add `who` to the campaign's recipients unless duplicates are refused
   and it is there already. */
static void push_add_recipient(struct push *p, const char *who, size_t *cap)
{
  if (!p->duplicates)
    for (size_t i = 0; i < p->n_d; i++)
      if (strcmp(p->d[i].recipient, who) == 0)
        return;
  if (p->n_d == *cap)
    p->d = sim_xrealloc(p->d, (*cap = *cap ? *cap * 2 : 8) * sizeof *p->d);
  memset(&p->d[p->n_d], 0, sizeof p->d[p->n_d]);
  p->d[p->n_d++].recipient = sim_xstrdup(who);
}

/* The recipients of a campaign: the list it names (number_list or
   email_list), and for criteria / broadcast the matching contacts.
   Returns 0, or answers 400 and returns -1. */
static int push_recipients(struct account *a, struct json_object *datas,
                           const struct push_input *in, enum push_via via,
                           struct push *p, struct sim_response *resp)
{
  const char *list_name = in->kind == PK_MAIL ? "email_list" : "number_list";
  char **items;
  size_t cap = 0;
  long n = list_member(member(datas, list_name), &items);
  if (n < 0) {
    items_free(items);
    answer_error(resp, 400, "%s: a list separated by ';'", list_name);
    return -1;
  }
  if (n == 0 && via == VIA_LIST) {
    items_free(items);
    answer_error(resp, 400, "%s is missing", list_name);
    return -1;
  }
  for (long i = 0; i < n; i++) {
    if (in->kind == PK_MAIL) {
      if (!strchr(items[i], '@')) {
        answer_error(resp, 400, "email_list: %s is not a mail address", items[i]);
        items_free(items);
        return -1;
      }
      push_add_recipient(p, items[i], &cap);
    } else {
      char *num = intl_number(items[i]);
      if (!num) {
        answer_error(resp, 400, "number_list: %s is not in the international format "
                                "+336xxxxxxxx", items[i]);
        items_free(items);
        return -1;
      }
      push_add_recipient(p, num, &cap);
      free(num);
    }
  }
  items_free(items);
  if (via == VIA_LIST)
    return 0;
  if (via == VIA_CRITERIA && (!in->criteria || !*in->criteria)) {
    answer_error(resp, 400, "criteria is missing");
    return -1;
  }
  for (struct contact *c = a->contacts; c; c = c->next) {
    if (via == VIA_CRITERIA) {
      int m = criteria_match(in->criteria, c);
      if (m < 0) {
        answer_error(resp, 400, "criteria: field=value joined by AND / OR");
        return -1;
      }
      if (!m)
        continue;
    }
    if (in->kind == PK_MAIL) {
      if (c->f[CF_EMAIL] && *c->f[CF_EMAIL])
        push_add_recipient(p, c->f[CF_EMAIL], &cap);
      continue;
    }
    if (c->f[CF_GSM1] && *c->f[CF_GSM1])
      push_add_recipient(p, c->f[CF_GSM1], &cap);
    /* "all_number: 1 pour envoi sur tous les numéros du contact" */
    if (in->all_number && c->f[CF_GSM2] && *c->f[CF_GSM2])
      push_add_recipient(p, c->f[CF_GSM2], &cap);
  }
  return 0;
}

/* The recipients joined: ';' (3.11), or ',' for a mail broadcast, as the
   answer of 3.16 writes it. */
static char *push_list(const struct push *p, const char *sep)
{
  struct sim_buf b = { 0 };
  for (size_t i = 0; i < p->n_d; i++) {
    if (i)
      sim_buf_adds(&b, sep);
    sim_buf_adds(&b, p->d[i].recipient);
  }
  return sim_buf_take(&b, NULL);
}

static void add_time(struct json_object *o, const char *key, time_t t)
{
  char buf[32];
  fmt_time(t, buf, sizeof buf);
  json_object_object_add(o, key, json_object_new_string(buf));
}

static void add_iso(struct json_object *o, const char *key, time_t t)
{
  char buf[40];
  fmt_iso(t, buf, sizeof buf);
  json_object_object_add(o, key, json_object_new_string(buf));
}

static void add_list(struct json_object *o, const char *key, const struct push *p,
                     const char *sep)
{
  char *s = push_list(p, sep);
  json_object_object_add(o, key, json_object_new_string(s));
  free(s);
}

/* The 201 answer of a campaign, shaped as the examples of 3.11 to 3.16
   show it (each has its own set of members; 3.15's is the odd one:
   nb_destination 0, ISO dates, duplicates as a string). */
static struct json_object *push_created_json(const struct push *p)
{
  struct json_object *o = json_object_new_object();
  if (p->kind == PK_MAIL) {
    json_object_object_add(o, "reference", jstr(p->reference));
    add_list(o, "email_list", p, p->via == VIA_BROADCAST ? "," : ";");
    if (p->via == VIA_CRITERIA)
      json_object_object_add(o, "status", json_object_new_int(p->status));
    json_object_object_add(o, "text", jstr(p->text));
    json_object_object_add(o, "email_subject", jstr(p->email_subject));
    add_time(o, "hd_send", p->hd_send);
    if (p->via == VIA_LIST)
      json_object_object_add(o, "filename", jstr(p->filename ? p->filename : "noFile"));
    else
      json_object_object_add(o, "type_push", jstr("mail"));
    json_object_object_add(o, "unit", json_object_new_int64(p->unit));
    json_object_object_add(o, "nb_mail", json_object_new_int64((int64_t)p->n_d));
    json_object_object_add(o, "open_tag", json_object_new_int(p->open_tag));
    json_object_object_add(o, "type_mail", jstr(p->type_mail));
    json_object_object_add(o, "duplicates", json_object_new_int(p->duplicates));
  } else if (p->via == VIA_BROADCAST) {
    json_object_object_add(o, "id", json_object_new_int64(p->id));
    json_object_object_add(o, "reference", jstr(p->reference));
    json_object_object_add(o, "nb_destination", json_object_new_int(0));
    add_list(o, "number_list", p, ";");
    json_object_object_add(o, "encodage", json_object_new_int(p->encodage));
    json_object_object_add(o, "text", jstr(p->text));
    add_iso(o, "date_entry", p->entry);
    add_iso(o, "hd_send", p->hd_send);
    json_object_object_add(o, "type_push", jstr(kind_names[p->kind]));
    json_object_object_add(o, "unit", json_object_new_int64(p->unit));
    json_object_object_add(o, "nb_sms", json_object_new_int((int)p->nb_sms));
    json_object_object_add(o, "options", jstr(p->options));
    json_object_object_add(o, "way", json_object_new_int(1));
    json_object_object_add(o, "duplicates", json_object_new_string(p->duplicates ? "1" : "0"));
    json_object_object_add(o, "mail_routage_mo", jstr(p->mail_routage_mo));
    json_object_object_add(o, "gsm_routage_mo", jstr(p->gsm_routage_mo));
  } else {
    json_object_object_add(o, "reference", jstr(p->reference));
    json_object_object_add(o, "nb_destination", json_object_new_int64((int64_t)p->n_d));
    add_list(o, "number_list", p, ";");
    json_object_object_add(o, "encodage", json_object_new_int(p->encodage));
    json_object_object_add(o, "text", jstr(p->text));
    add_time(o, "hd_send", p->hd_send);
    json_object_object_add(o, "filename", jstr(p->filename ? p->filename : "noFile"));
    json_object_object_add(o, "type_push", jstr(kind_names[p->kind]));
    json_object_object_add(o, "unit", json_object_new_int64(p->unit));
    json_object_object_add(o, "nb_sms", json_object_new_int((int)p->nb_sms));
    json_object_object_add(o, "duplicates", json_object_new_int(p->duplicates));
  }
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "push", o);
  return doc;
}

/* POST pushs, pushscriterias, pushsbroadcasts and their mail twins. */
static void push_create(struct crest *st, struct account *a, struct json_object *datas,
                        int mail, enum push_via via, struct sim_response *resp)
{
  struct push_input in;
  if (push_read(datas, mail, &in, resp) != 0)
    return;
  const char *text = in.text;
  if (in.predefined) {
    /* "le champ text prendra le titre du message prédéfini à envoyer" */
    text = NULL;
    for (size_t i = 0; i < sizeof predefined / sizeof predefined[0]; i++)
      if (strcmp(predefined[i].title, in.text) == 0)
        text = predefined[i].text;
    if (!text) {
      answer_error(resp, 400, "no predefined message titled %s", in.text);
      return;
    }
  }
  struct push *p = sim_xcalloc(1, sizeof *p);
  p->kind = in.kind;
  p->via = via;
  p->duplicates = in.duplicates;
  if (push_recipients(a, datas, &in, via, p, resp) != 0) {
    push_free(p);
    return;
  }
  time_t now = time(NULL);
  p->acct = a;
  p->text = sim_xstrdup(text);
  p->short_code = opt_dup(in.short_code);
  p->filename = opt_dup(in.filename);
  p->options = opt_dup(in.options);
  p->email_subject = opt_dup(in.email_subject);
  p->type_mail = opt_dup(in.type_mail);
  p->criteria = opt_dup(in.criteria);
  p->gsm_routage_mo = opt_dup(in.gsm_routage_mo);
  p->mail_routage_mo = opt_dup(in.mail_routage_mo);
  p->encodage = in.encodage;
  p->open_tag = in.open_tag;
  p->all_number = in.all_number;
  p->cascade = in.cascade;
  p->time_cascade = in.time_cascade;
  p->predefined = in.predefined;
  p->entry = now;
  p->hd_send = in.scheduled ? in.hd_send : now;
  if (in.kind == PK_MAIL) {
    p->unit = UNITS_PER_MAIL * (long long)p->n_d;
  } else if (in.kind == PK_SMS) {
    p->nb_sms = sms_count(p->text, p->encodage);
    p->unit = UNITS_PER_SMS * (long long)p->nb_sms * (long long)p->n_d;
  } else {
    p->nb_sms = 1;
    p->unit = UNITS_PER_CALL * (long long)p->n_d;
  }
  if (p->unit > a->credit) {
    push_free(p);
    answer_error(resp, 402, "not enough credit");
    return;
  }
  a->credit -= p->unit;
  p->id = st->next_push_id++;
  p->reference = new_reference(st, now, via != VIA_LIST);
  if (in.scheduled) {
    p->status = PUSH_WAITING;
  } else {
    p->status = PUSH_RUNNING;
    for (size_t i = 0; i < p->n_d; i++) {
      p->d[i].status = ST_OPERATOR;
      p->d[i].sent = now;
    }
  }
  p->next = st->pushes;
  st->pushes = p;
  sim_respond_json(resp, 201, push_created_json(p));
}

static void ep_push(struct crest *st, struct account *a, const char *id,
                    struct json_object *datas, const struct sim_request *req,
                    struct sim_response *resp)
{
  (void)id, (void)req;
  push_create(st, a, datas, 0, VIA_LIST, resp);
}

static void ep_push_mail(struct crest *st, struct account *a, const char *id,
                         struct json_object *datas, const struct sim_request *req,
                         struct sim_response *resp)
{
  (void)id, (void)req;
  push_create(st, a, datas, 1, VIA_LIST, resp);
}

static void ep_push_criteria(struct crest *st, struct account *a, const char *id,
                             struct json_object *datas, const struct sim_request *req,
                             struct sim_response *resp)
{
  (void)id, (void)req;
  push_create(st, a, datas, 0, VIA_CRITERIA, resp);
}

static void ep_push_mail_criteria(struct crest *st, struct account *a, const char *id,
                                  struct json_object *datas,
                                  const struct sim_request *req,
                                  struct sim_response *resp)
{
  (void)id, (void)req;
  push_create(st, a, datas, 1, VIA_CRITERIA, resp);
}

static void ep_push_broadcast(struct crest *st, struct account *a, const char *id,
                              struct json_object *datas, const struct sim_request *req,
                              struct sim_response *resp)
{
  (void)id, (void)req;
  push_create(st, a, datas, 0, VIA_BROADCAST, resp);
}

static void ep_push_mail_broadcast(struct crest *st, struct account *a, const char *id,
                                   struct json_object *datas,
                                   const struct sim_request *req,
                                   struct sim_response *resp)
{
  (void)id, (void)req;
  push_create(st, a, datas, 1, VIA_BROADCAST, resp);
}

/* The campaign `ref` of account `a` (an SMS one, or a mail one), or NULL
   after answering 404. */
static struct push *push_of(struct crest *st, struct account *a, const char *ref,
                            int mail, struct sim_response *resp)
{
  struct push *p = push_by_ref(st, a, ref, mail);
  if (!p)
    answer_error(resp, 404, "no %scampaign %s", mail ? "mail " : "", ref);
  return p;
}

/* GET pushs/{ref} (3.19), GET pushsmails/{ref} (3.20) */
static void push_info(struct crest *st, struct account *a, const char *ref, int mail,
                      struct sim_response *resp)
{
  struct push *p = push_of(st, a, ref, mail, resp);
  if (!p)
    return;
  struct json_object *o = json_object_new_object();
  json_object_object_add(o, "reference", jstr(p->reference));
  if (mail) {
    add_list(o, "email_list", p, ";");
    json_object_object_add(o, "status", json_object_new_int(p->status));
    json_object_object_add(o, "text", jstr(p->text));
    json_object_object_add(o, "email_subject", jstr(p->email_subject));
    add_time(o, "hd_send", p->hd_send);
    if (p->filename)
      json_object_object_add(o, "filename", jstr(p->filename));
    json_object_object_add(o, "type_push", jstr("mail"));
    json_object_object_add(o, "unit", json_object_new_int64(p->unit));
    json_object_object_add(o, "nb_mail", json_object_new_int64((int64_t)p->n_d));
    json_object_object_add(o, "open_tag", json_object_new_int(p->open_tag));
    json_object_object_add(o, "type_mail", jstr(p->type_mail));
  } else {
    json_object_object_add(o, "nb_destination", json_object_new_int64((int64_t)p->n_d));
    add_list(o, "number_list", p, ";");
    json_object_object_add(o, "status", json_object_new_int(p->status));
    json_object_object_add(o, "short_code", jstr(p->short_code));
    json_object_object_add(o, "encodage", json_object_new_int(p->encodage));
    json_object_object_add(o, "text", jstr(p->text));
    add_time(o, "hd_send", p->hd_send);
    json_object_object_add(o, "type_push", jstr(kind_names[p->kind]));
    if (p->filename)
      json_object_object_add(o, "filename", jstr(p->filename));
    json_object_object_add(o, "unit", json_object_new_int64(p->unit));
    json_object_object_add(o, "nb_sms", json_object_new_int((int)p->nb_sms));
    json_object_object_add(o, "options", jstr(p->options));
  }
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "push", o);
  sim_respond_json(resp, 200, doc);
}

static void ep_push_info(struct crest *st, struct account *a, const char *ref,
                         struct json_object *datas, const struct sim_request *req,
                         struct sim_response *resp)
{
  (void)datas, (void)req;
  push_info(st, a, ref, 0, resp);
}

static void ep_push_mail_info(struct crest *st, struct account *a, const char *ref,
                              struct json_object *datas, const struct sim_request *req,
                              struct sim_response *resp)
{
  (void)datas, (void)req;
  push_info(st, a, ref, 1, resp);
}

/* DELETE pushs/{ref} (3.17), pushsmails/{ref} (3.18): a campaign still
   waiting for its hd_send goes, with its credit; any other answers 405
   "L'opération demandée n'est pas permise". */
static void push_delete(struct crest *st, struct account *a, const char *ref, int mail,
                        struct sim_response *resp)
{
  struct push *p = push_of(st, a, ref, mail, resp);
  if (!p)
    return;
  if (p->status != PUSH_WAITING) {
    answer_error(resp, 405, "campaign %s is not a scheduled one any more", ref);
    return;
  }
  for (struct push **pp = &st->pushes; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  a->credit += p->unit;
  push_free(p);
  answer_no_content(resp);
}

static void ep_push_delete(struct crest *st, struct account *a, const char *ref,
                           struct json_object *datas, const struct sim_request *req,
                           struct sim_response *resp)
{
  (void)datas, (void)req;
  push_delete(st, a, ref, 0, resp);
}

static void ep_push_mail_delete(struct crest *st, struct account *a, const char *ref,
                                struct json_object *datas, const struct sim_request *req,
                                struct sim_response *resp)
{
  (void)datas, (void)req;
  push_delete(st, a, ref, 1, resp);
}

/* GET pushs/{ref}/deliveries (3.21), pushmails/{ref}/deliveries (3.22) */
static void deliveries(struct crest *st, struct account *a, const char *ref, int mail,
                       struct sim_response *resp)
{
  struct push *p = push_of(st, a, ref, mail, resp);
  if (!p)
    return;
  struct json_object *arr = json_object_new_array();
  for (size_t i = 0; p->status != PUSH_WAITING && i < p->n_d; i++) {
    const struct delivery *d = &p->d[i];
    struct json_object *o = json_object_new_object();
    char code[8];
    if (mail) {
      json_object_object_add(o, "subject", jstr(p->email_subject));
      json_object_object_add(o, "body", jstr(p->text));
      json_object_object_add(o, "reply_to", jstr(""));
    } else {
      json_object_object_add(o, "message", jstr(p->text));
      json_object_object_add(o, "typemessage", jstr(kind_names[p->kind]));
    }
    add_time(o, "date_send", d->sent);
    if (d->received)
      add_time(o, "date_receive", d->received);
    json_object_object_add(o, "recipient", jstr(d->recipient));
    snprintf(code, sizeof code, "%d", d->status);
    json_object_object_add(o, "status", json_object_new_string(code));
    json_object_array_add(arr, o);
  }
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "deliveries", arr);
  sim_respond_json(resp, 200, doc);
}

static void ep_deliveries(struct crest *st, struct account *a, const char *ref,
                          struct json_object *datas, const struct sim_request *req,
                          struct sim_response *resp)
{
  (void)datas, (void)req;
  deliveries(st, a, ref, 0, resp);
}

static void ep_mail_deliveries(struct crest *st, struct account *a, const char *ref,
                               struct json_object *datas, const struct sim_request *req,
                               struct sim_response *resp)
{
  (void)datas, (void)req;
  deliveries(st, a, ref, 1, resp);
}

/* GET pushs/{ref}/mos (3.23) */
static void ep_mos(struct crest *st, struct account *a, const char *ref,
                   struct json_object *datas, const struct sim_request *req,
                   struct sim_response *resp)
{
  (void)datas, (void)req;
  struct push *p = push_of(st, a, ref, 0, resp);
  if (!p)
    return;
  struct json_object *arr = json_object_new_array();
  for (struct mo *m = p->mos; m; m = m->next) {
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("5"));
    add_time(o, "date_receive", m->at);
    json_object_object_add(o, "recipient", jstr(m->from));
    json_object_object_add(o, "message", jstr(m->text));
    json_object_array_add(arr, o);
  }
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "mos", arr);
  sim_respond_json(resp, 200, doc);
}

/* GET fieldlist (3.24, "à venir": the answer is this simulator's) */
static void ep_field_list(struct crest *st, struct account *a, const char *id,
                          struct json_object *datas, const struct sim_request *req,
                          struct sim_response *resp)
{
  (void)st, (void)a, (void)id, (void)datas, (void)req;
  struct json_object *arr = json_object_new_array();
  for (size_t i = 0; i < sizeof field_list / sizeof field_list[0]; i++) {
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int((int)i + 1));
    json_object_object_add(o, "name", jstr(field_list[i].name));
    json_object_object_add(o, "type", jstr(field_list[i].type));
    json_object_array_add(arr, o);
  }
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "fields", arr);
  sim_respond_json(resp, 200, doc);
}

/* GET predefinedmessage (3.25, "à venir": the answer is this simulator's) */
static void ep_predefined(struct crest *st, struct account *a, const char *id,
                          struct json_object *datas, const struct sim_request *req,
                          struct sim_response *resp)
{
  (void)st, (void)a, (void)id, (void)datas, (void)req;
  struct json_object *arr = json_object_new_array();
  for (size_t i = 0; i < sizeof predefined / sizeof predefined[0]; i++) {
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int((int)i + 1));
    json_object_object_add(o, "title", jstr(predefined[i].title));
    json_object_object_add(o, "text", jstr(predefined[i].text));
    json_object_array_add(arr, o);
  }
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "predefinedmessages", arr);
  sim_respond_json(resp, 200, doc);
}

/* ---------------------------------------------------------------- dispatch */

typedef void endpoint_fn(struct crest *st, struct account *a, const char *id,
                         struct json_object *datas, const struct sim_request *req,
                         struct sim_response *resp);

/* Spellings of the same resource.  The screenshots of 3.12, 3.14, 3.16,
   3.21 and 3.22 write pushmails, pushmailcriteria, pushmailbroadcasts
   where the headings write pushsmails...; 3.1's screenshot writes
   accounts/me.  Every spelling is served. */
static const struct {
  const char *alias, *name;
} aliases[] = {
  { "accounts", "account" },
  { "pushmails", "pushsmails" },
  { "pushmailcriteria", "pushsmailcriterias" },
  { "pushmailcriterias", "pushsmailcriterias" },
  { "pushsmailcriteria", "pushsmailcriterias" },
  { "pushmailbroadcasts", "pushsmailbroadcasts" },
};

/* One route: resource, whether an {id} follows, a last segment, the
   method, and whether the document lists 430 for it. */
static const struct {
  const char *resource;
  int with_id;
  const char *tail;
  const char *method;
  endpoint_fn *run;
  int may_expire;
} routes[] = {
  { "account", 0, "me", "GET", ep_account_me, 0 },                  /* 3.1 */
  { "users", 0, NULL, "POST", ep_user_create, 1 },                  /* 3.2 */
  { "users", 1, NULL, "PUT", ep_user_update, 1 },                   /* 3.3 */
  { "users", 1, NULL, "GET", ep_user_get, 1 },                      /* 3.4 */
  { "contacts", 0, NULL, "POST", ep_contact_create, 1 },            /* 3.5 */
  { "contacts", 1, NULL, "PUT", ep_contact_update, 1 },             /* 3.6 */
  { "contacts", 1, NULL, "GET", ep_contact_get, 1 },                /* 3.7 */
  { "contacts", 1, NULL, "DELETE", ep_contact_delete, 1 },          /* 3.8 */
  { "contactlists", 0, NULL, "GET", ep_contact_list, 1 },           /* 3.9 */
  { "contactlists", 1, NULL, "GET", ep_contact_list_user, 1 },      /* 3.10 */
  { "pushs", 0, NULL, "POST", ep_push, 1 },                         /* 3.11 */
  { "pushsmails", 0, NULL, "POST", ep_push_mail, 1 },               /* 3.12 */
  { "pushscriterias", 0, NULL, "POST", ep_push_criteria, 1 },       /* 3.13 */
  { "pushsmailcriterias", 0, NULL, "POST", ep_push_mail_criteria, 1 }, /* 3.14 */
  { "pushsbroadcasts", 0, NULL, "POST", ep_push_broadcast, 1 },     /* 3.15 */
  { "pushsmailbroadcasts", 0, NULL, "POST", ep_push_mail_broadcast, 1 }, /* 3.16 */
  { "pushs", 1, NULL, "DELETE", ep_push_delete, 1 },                /* 3.17 */
  { "pushsmails", 1, NULL, "DELETE", ep_push_mail_delete, 1 },      /* 3.18 */
  { "pushs", 1, NULL, "GET", ep_push_info, 0 },                     /* 3.19 */
  { "pushsmails", 1, NULL, "GET", ep_push_mail_info, 0 },           /* 3.20 */
  { "pushs", 1, "deliveries", "GET", ep_deliveries, 0 },            /* 3.21 */
  { "pushsmails", 1, "deliveries", "GET", ep_mail_deliveries, 0 },  /* 3.22 */
  { "pushs", 1, "mos", "GET", ep_mos, 0 },                          /* 3.23 */
  { "fieldlist", 0, NULL, "GET", ep_field_list, 1 },                /* 3.24 */
  { "predefinedmessage", 0, NULL, "GET", ep_predefined, 1 },        /* 3.25 */
};

/* "Content-type : application/json" on every request (2.3) */
static int json_content_type(const struct sim_request *req)
{
  const char *ct = req->content_type;
  return ct && strncasecmp(ct, JSON_TYPE, strlen(JSON_TYPE)) == 0 &&
         (ct[strlen(JSON_TYPE)] == '\0' || ct[strlen(JSON_TYPE)] == ';' ||
          ct[strlen(JSON_TYPE)] == ' ');
}

static void clever_rest_handle(void *state, const struct sim_request *req,
                               struct sim_response *resp)
{
  struct crest *st = state;
  if (strncmp(req->subpath, "api/", 4) != 0)
    return; /* 404 */

  /* resource [/ id] [/ tail] */
  char *path = sim_xstrdup(req->subpath + 4);
  char *seg[4] = { 0 };
  size_t n = 0;
  for (char *s = path; n < 4;) {
    seg[n++] = s;
    char *slash = strchr(s, '/');
    if (!slash)
      break;
    *slash = '\0';
    s = slash + 1;
  }
  if (n > 0 && seg[n - 1][0] == '\0')
    n--; /* a trailing slash */
  for (size_t i = 0; n > 0 && i < sizeof aliases / sizeof aliases[0]; i++)
    if (strcmp(seg[0], aliases[i].alias) == 0)
      seg[0] = (char *)aliases[i].name;

  int path_known = 0, chosen = -1;
  for (size_t i = 0; n > 0 && i < sizeof routes / sizeof routes[0]; i++) {
    size_t want = 1 + (size_t)routes[i].with_id + (routes[i].tail != NULL);
    if (strcmp(seg[0], routes[i].resource) != 0 || n != want)
      continue;
    /* account/me: "me" is the tail, no id */
    const char *tail = routes[i].tail ? seg[n - 1] : NULL;
    if (routes[i].tail && strcmp(tail, routes[i].tail) != 0)
      continue;
    if (routes[i].with_id && !*seg[1])
      continue;
    path_known = 1;
    if (strcmp(routes[i].method, req->method) == 0)
      chosen = (int)i;
  }
  if (!path_known) {
    free(path);
    answer_error(resp, 404, "no resource %s", req->subpath);
    return;
  }

  struct account *a = authenticate(st, req);
  if (!a) {
    free(path);
    answer_error(resp, 401, "check the identifiant and password");
    return;
  }
  if (!json_content_type(req)) {
    free(path);
    answer_error(resp, 400, "the header Content-type: application/json is required");
    return;
  }
  if (chosen < 0) {
    free(path);
    answer_error(resp, 405, "%s %s", req->method, req->subpath);
    return;
  }
  if (routes[chosen].may_expire && account_expired(a)) {
    free(path);
    answer_expired(resp, a->expires);
    return;
  }
  struct json_object *doc = NULL, *datas = NULL;
  if (strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0) {
    datas = parse_datas(req, &doc);
    if (!datas) {
      if (doc)
        json_object_put(doc);
      free(path);
      answer_error(resp, 400, "the body must be a JSON object {\"datas\": {...}}");
      return;
    }
  }
  routes[chosen].run(st, a, routes[chosen].with_id ? seg[1] : NULL, datas, req, resp);
  if (doc)
    json_object_put(doc);
  free(path);
}

/* Fault `code`: HTTP status C with the error body every error has. */
static void clever_rest_error_answer(void *state, const struct sim_request *req,
                                     int code, struct sim_response *resp)
{
  (void)state, (void)req;
  if (code == 430)
    answer_expired(resp, "2017-10-12");
  else if (code >= 400 && code <= 599)
    answer_error(resp, (unsigned)code, NULL);
  else
    answer_error(resp, 500, "code %d", code);
}

/* Every running campaign's reports reach their end: received (3), or for
   numbers ending in 04 an error while sending (4), in 06 not delivered
   (6); mails to an address starting with "bounce" are not delivered. */
static unsigned clever_rest_advance(void *state)
{
  struct crest *st = state;
  unsigned changed = 0;
  time_t now = time(NULL);
  for (struct push *p = st->pushes; p; p = p->next) {
    if (p->status != PUSH_RUNNING)
      continue;
    for (size_t i = 0; i < p->n_d; i++) {
      struct delivery *d = &p->d[i];
      size_t len = strlen(d->recipient);
      if (d->status != ST_OPERATOR)
        continue;
      if (p->kind == PK_MAIL)
        d->status = strncmp(d->recipient, "bounce", 6) == 0 ? ST_NOT_DELIVERED
                                                            : ST_RECEIVED;
      else if (len > 2 && strcmp(d->recipient + len - 2, "04") == 0)
        d->status = ST_SEND_ERROR;
      else if (len > 2 && strcmp(d->recipient + len - 2, "06") == 0)
        d->status = ST_NOT_DELIVERED;
      else
        d->status = ST_RECEIVED;
      if (d->status == ST_RECEIVED)
        d->received = now;
      changed++;
    }
    p->status = PUSH_DONE;
  }
  return changed;
}

/* ------------------------------------------------------------ control API */

static struct json_object *account_json(struct crest *st, struct account *a)
{
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "provider", json_object_new_string("clever-rest"));
  json_object_object_add(doc, "login", jstr(a->login));
  json_object_object_add(doc, "credit", json_object_new_int64(a->credit));
  json_object_object_add(doc, "manager", json_object_new_boolean(a->manager));
  json_object_object_add(doc, "expires", jstr(a->expires));
  json_object_object_add(doc, "parent", a->parent ? jstr(a->parent) : NULL);
  json_object_object_add(doc, "user_id", a->user_id ? json_object_new_int64(a->user_id) : NULL);
  struct json_object *users = json_object_new_array();
  for (struct account *u = st->accounts; u; u = u->next)
    if (u->parent && strcmp(u->parent, a->login) == 0)
      json_object_array_add(users, jstr(u->login));
  json_object_object_add(doc, "users", users);
  size_t contacts = 0, pushes = 0;
  for (struct contact *c = a->contacts; c; c = c->next)
    contacts++;
  for (struct push *p = st->pushes; p; p = p->next)
    pushes += p->acct == a;
  json_object_object_add(doc, "contacts", json_object_new_int64((int64_t)contacts));
  json_object_object_add(doc, "pushes", json_object_new_int64((int64_t)pushes));
  return doc;
}

/* login=L: the account, or NULL with a 404 answer. */
static struct account *ctl_account_of(struct crest *st, const struct sim_request *req,
                                      const char *default_login,
                                      struct sim_response *resp)
{
  const char *login = sim_param_nonempty(req, "login");
  if (!login)
    login = default_login;
  if (!login) {
    sim_ctl_error(resp, 400, "missing parameter: login");
    return NULL;
  }
  struct account *a = account_by_login(st, login);
  if (!a)
    sim_ctl_error(resp, 404, "no clever-rest account %s", login);
  return a;
}

static void ctl_account_get(void *state, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct crest *st = state;
  struct account *a = ctl_account_of(st, req, NULL, resp);
  if (a)
    sim_respond_json(resp, 200, account_json(st, a));
}

/* POST /_sim/account?provider=clever-rest&login=L[&password=P][&credit=N]
   [&manager=0|1][&expires=Y-m-d H:i:s] */
static void ctl_account_set(void *state, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct crest *st = state;
  const char *login = sim_param_nonempty(req, "login");
  const char *password = sim_param_nonempty(req, "password");
  const char *credit_s = sim_param_nonempty(req, "credit");
  const char *manager = sim_param_nonempty(req, "manager");
  const char *expires = sim_param_nonempty(req, "expires");
  long long credit = 1000;
  time_t t;
  if (!login) {
    sim_ctl_error(resp, 400, "missing parameter: login");
    return;
  }
  if (credit_s && (sim_int_parse(credit_s, &credit) != 0 || credit < 0)) {
    sim_ctl_error(resp, 400, "credit: a whole number of units, not '%s'", credit_s);
    return;
  }
  if (expires && parse_time(expires, &t) != 0) {
    sim_ctl_error(resp, 400, "expires: Y-m-d H:i:s, not '%s'", expires);
    return;
  }
  struct account *a = account_by_login(st, login);
  if (!a)
    a = account_add(st, login, password ? password : "", credit, 0,
                    "2099-12-31 23:59:59");
  if (password)
    set_str(&a->password, password);
  if (credit_s || !a->credit)
    a->credit = credit;
  if (manager)
    a->manager = strcmp(manager, "0") != 0;
  if (expires)
    set_str(&a->expires, expires);
  sim_respond_json(resp, 200, account_json(st, a));
}

static struct json_object *push_json(const struct push *p)
{
  struct json_object *doc = json_object_new_object();
  char date[32];
  json_object_object_add(doc, "id", json_object_new_int64(p->id));
  json_object_object_add(doc, "reference", jstr(p->reference));
  json_object_object_add(doc, "account", jstr(p->acct->login));
  json_object_object_add(doc, "type_push", jstr(kind_names[p->kind]));
  json_object_object_add(doc, "via", jstr(via_names[p->via]));
  json_object_object_add(doc, "status", json_object_new_int(p->status));
  json_object_object_add(doc, "text", jstr(p->text));
  json_object_object_add(doc, "encodage", p->kind == PK_MAIL ? NULL
                                                             : json_object_new_int(p->encodage));
  json_object_object_add(doc, "short_code", p->short_code ? jstr(p->short_code) : NULL);
  json_object_object_add(doc, "filename", p->filename ? jstr(p->filename) : NULL);
  json_object_object_add(doc, "options", p->options ? jstr(p->options) : NULL);
  json_object_object_add(doc, "email_subject",
                         p->email_subject ? jstr(p->email_subject) : NULL);
  json_object_object_add(doc, "criteria", p->criteria ? jstr(p->criteria) : NULL);
  json_object_object_add(doc, "duplicates", json_object_new_int(p->duplicates));
  fmt_time(p->hd_send, date, sizeof date);
  json_object_object_add(doc, "hd_send", jstr(date));
  json_object_object_add(doc, "unit", json_object_new_int64(p->unit));
  json_object_object_add(doc, "nb_sms", json_object_new_int((int)p->nb_sms));
  struct json_object *rcpts = json_object_new_array();
  for (size_t i = 0; i < p->n_d; i++) {
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "recipient", jstr(p->d[i].recipient));
    json_object_object_add(o, "status", json_object_new_int(p->d[i].status));
    json_object_array_add(rcpts, o);
  }
  json_object_object_add(doc, "recipients", rcpts);
  return doc;
}

/* GET /_sim/messages?provider=clever-rest[&login=L][&reference=R]:
   oldest first. */
static void ctl_messages(void *state, const struct sim_request *req,
                         struct sim_response *resp)
{
  struct crest *st = state;
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
  const struct push **all = sim_xcalloc(n ? n : 1, sizeof *all);
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

/* POST /_sim/reply?provider=clever-rest&from=NUM&text=TXT[&reference=R]
   [&login=L][&date=Y-m-d H:i:s]: a recipient answers a campaign. */
static void ctl_reply(void *state, const struct sim_request *req,
                      struct sim_response *resp)
{
  struct crest *st = state;
  struct account *a = ctl_account_of(st, req, MANAGER_LOGIN, resp);
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
  if (date && parse_time(date, &at) != 0) {
    sim_ctl_error(resp, 400, "date: Y-m-d H:i:s, not '%s'", date);
    return;
  }
  char *number = intl_number(from);
  if (!number && from[0] == '0' && strlen(from) == 10 && all_digits(from))
    number = sim_xasprintf("+33%s", from + 1);
  if (!number)
    number = sim_xstrdup(from);
  struct push *target = NULL;
  for (struct push *p = st->pushes; p && !target; p = p->next) {
    if (p->acct != a || p->kind == PK_MAIL)
      continue;
    if (ref) {
      if (strcmp(p->reference, ref) == 0)
        target = p;
      continue;
    }
    for (size_t i = 0; i < p->n_d && !target; i++)
      if (strcmp(p->d[i].recipient, number) == 0)
        target = p;
  }
  if (!target) {
    free(number);
    sim_ctl_error(resp, 404, "no campaign %s%s of %s to answer", ref ? ref : "sent to ",
                  ref ? "" : from, a->login);
    return;
  }
  struct mo *m = sim_xcalloc(1, sizeof *m);
  m->from = number;
  m->text = sim_utf8_clean(text, strlen(text));
  m->at = at;
  struct mo **tail = &target->mos;
  while (*tail)
    tail = &(*tail)->next;
  *tail = m;

  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "provider", json_object_new_string("clever-rest"));
  json_object_object_add(doc, "reference", jstr(target->reference));
  json_object_object_add(doc, "recipient", jstr(m->from));
  json_object_object_add(doc, "message", jstr(m->text));
  add_time(doc, "date_receive", m->at);
  json_object_object_add(doc, "account", jstr(a->login));
  sim_respond_json(resp, 200, doc);
}

static const struct sim_ctl_op clever_rest_ops[] = {
  { "account", "GET", ctl_account_get },
  { "account", "POST", ctl_account_set },
  { "messages", "GET", ctl_messages },
  { "reply", "POST", ctl_reply },
  { NULL, NULL, NULL },
};

/* ---------------------------------------------------------------- lifecycle */

static void counters_reset(struct crest *st)
{
  st->next_contact_id = FIRST_CONTACT_ID;
  st->next_user_id = FIRST_USER_ID;
  st->next_push_id = FIRST_PUSH_ID;
}

static void *clever_rest_create(void)
{
  struct crest *st = sim_xcalloc(1, sizeof *st);
  sim_rng_seed(&st->rng, 0x636c65766572ULL); /* "clever" */
  counters_reset(st);
  builtin_accounts(st);
  return st;
}

static void clever_rest_reset(void *state)
{
  struct crest *st = state;
  state_clear(st);
  counters_reset(st);
  builtin_accounts(st);
}

static void clever_rest_destroy(void *state)
{
  state_clear(state);
  free(state);
}

const struct sim_provider sim_clever_rest = {
  .name = "clever-rest",
  .prefix = "/clever-rest/",
  .create = clever_rest_create,
  .destroy = clever_rest_destroy,
  .reset = clever_rest_reset,
  .handle = clever_rest_handle,
  .error_answer = clever_rest_error_answer,
  .advance = clever_rest_advance,
  .ops = clever_rest_ops,
};
