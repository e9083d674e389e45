/*
 * mediasflow.c - the Mediasflow "API SMS" v2.3 provider plugin.
 *
 * Speaks ../shared/providers/mediasflow-rest.txt: JSON requests to
 * base_url (default https://app.mediasflow.com/api/v1) behind a login
 * whose bearer token every request carries.
 *
 *   send      POST /campaigns/inject: startNow true in one request (the
 *             default), or startNow false then inject by campaignId
 *             (--option startNow=false)
 *   status    GET /campaigns/reportjson/{id}, one record per recipient
 *   replies   the REPLY column of the same reports (per campaign, or per
 *             period through /campaigns/reportjson/)
 *   cancel    POST /campaigns/{id}/cancel
 *   call      campaign-send (listRecipient with extendedKeys from a CSV or
 *             key=value, listsId, tinyList...), campaign-inject, the CSV
 *             and JSON reports per campaign and per period, blacklist-add,
 *             blacklist-list, list-upload (multipart CSV)
 *
 * The guide has no balance request: the plugin declares no balance
 * capability, and `smsmux credit` does not list it.
 *
 * Login (docs/providers/mediasflow.md; the guide names no login URL): POST base_url +
 * auth_path (default /auth) with {"login","password"}; the token is the
 * `Authorization: Bearer` header of the answer, else its `token` member.
 * The token is the one mutable thing of an instance: `send` may run on
 * several threads, so it lives behind a mutex, and a generation count
 * makes sure that threads refused at the same time log in again only
 * once.  On a 401 the plugin logs in again, once, and repeats the request
 * once.  The token is a secret: it never goes to a log, an error or a
 * result, and the traced requests carry it as "Bearer ***".
 */
#include <smsmux/plugin-helpers.h>
#include <smsmux/provider.h>

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MF_VERSION "1.0.0"

/* The guide sets no limit on listRecipient.  One request carries at most
   1000 numbers, as for sMsmode: a refused or timed-out request then
   affects a bounded number of recipients; the core splits longer lists. */
#define MF_MAX_RECIPIENTS 1000

/* "doit être supérieur d'au moins 5 minutes à l'heure de réception" */
#define MF_SCHEDULE_MIN_AHEAD 300

/* "La période par défaut est de 7 jours. Si plus de 7 jours, alors un
   message d'erreur est généré." */
#define MF_PERIOD_MAX (7 * 86400)

/* "Sur demande, votre compte peut être parametré pour autoriser plus de
   caractères": up to 918 GSM-7 (6 x 153) or 402 UCS-2 (6 x 67) characters;
   by default 160 / 70, one SMS. */
#define MF_MAX_SMS_LIMIT 6
#define MF_MAX_SMS_DEFAULT 1

/* The most members of one JSON error or answer we quote in a message. */
/* scheduleOn, "yyyy-MM-dd'T'HH:mm:ss'Z'" in UTC ("2021-06-24T09:30:58Z") */
#define MF_SCHEDULE_FORMAT "%Y-%m-%dT%H:%M:%SZ"

/* ----------------------------------------------------------- instance -- */

typedef struct mediasflow {
  const smsmux_host *host;
  /* config values are the host's, borrowed until close: no copies */
  const char *login;
  const char *password;
  const char *auth_path;
  const char *type_select; /* default typeSelect, or NULL: the provider's */
  int start_now;     /* default startNow: 1 */
  unsigned max_sms;  /* SMS per message the account allows */
  int base_slash;     /* base_url ends with '/' (as 1.2 writes it) */
  pthread_mutex_t lock; /* guards token and token_gen */
  char *token;          /* the bearer token, or NULL before the login */
  unsigned long token_gen; /* bumped at each login */
} mediasflow;

static int mf_open(const smsmux_host *host, smsmux_call *call, void **state);
static void mf_close(void *state);
static int mf_send(void *state, smsmux_call *call, const smsmux_message *msg);
static int mf_status(void *state, smsmux_call *call, const char *id);
static int mf_replies(void *state, smsmux_call *call,
                      const smsmux_reply_query *q);
static int mf_cancel(void *state, smsmux_call *call, const char *id);
static int mf_call(void *state, smsmux_call *call, const char *op,
                   const smsmux_kv *params, size_t n_params);

/* ------------------------------------------------------- descriptor --- */

static const smsmux_config_key mf_config_keys[] = {
    {"login", SMSMUX_KEY_REQUIRED, "login of the Mediasflow account"},
    {"password", SMSMUX_KEY_REQUIRED | SMSMUX_KEY_SECRET,
     "password of the Mediasflow account"},
    {"auth_path", 0,
     "login request path under base_url, or an absolute URL (default /auth)"},
    {"type_select", 0,
     "default campaign type: MKG (the provider's default) or NOTIFICATION"},
    {"start_now", 0,
     "yes (default): inject in one request; no: prepare, check, then inject"},
    {"max_sms", 0,
     "SMS per message the account allows: 1 (default) to 6, as Mediasflow "
     "set it up"},
    {NULL, 0, NULL}};

/* Operation parameters, named as the guide spells them; '?' = optional. */
static const char *const params_campaign_send[] = {
    "msg",        "file?",        "mobile?",           "keys?",
    "listsId?",   "startNow?",    "sender?",           "typeSelect?",
    "scheduleOn?", "campaignName?", "renderer?",       "defaultForHeader?",
    "allowUCS2?", "autoREPLACEEMOJI?", "autoREPLACETOGSM7?",
    "checkDuplicate?", "billingCode?", "tinyList?",    "brand?",
    "userOwnerID?", NULL};
static const char *const params_campaign_inject[] = {"campaignId", NULL};
static const char *const params_report_csv[] = {"campaignId", "status?",
                                                "details?", NULL};
static const char *const params_report_json[] = {"campaignId", "status?",
                                                 NULL};
static const char *const params_period_json[] = {
    "from", "to?", "status?", "types?", "search?", "userID?", NULL};
static const char *const params_period_csv[] = {
    "from",    "to?",     "status?",   "types?",
    "search?", "userID?", "keyField?", NULL};
static const char *const params_blacklist_add[] = {
    "item", "typeItem?", "createdDescription?", "brand?", NULL};
static const char *const params_none[] = {NULL};
static const char *const params_list_upload[] = {
    "file", "filename?", "description?", "userOwnerID?", NULL};

static const smsmux_operation mf_operations[] = {
    {"campaign-send",
     "send a campaign: recipients from a CSV file or mobile= with keys= "
     "personalisation, or a list (listsId) (/campaigns/inject)",
     params_campaign_send},
    {"campaign-inject",
     "inject a campaign prepared with startNow=false (/campaigns/inject)",
     params_campaign_inject},
    {"report-csv", "report of one campaign as CSV (/campaigns/report/{id})",
     params_report_csv},
    {"report-json",
     "report of one campaign as JSON (/campaigns/reportjson/{id})",
     params_report_json},
    {"report-period-json",
     "report of the campaigns of a period of at most 7 days, JSON "
     "(/campaigns/reportjson/)",
     params_period_json},
    {"report-period-csv",
     "report of the campaigns of a period of at most 7 days, CSV "
     "(/campaigns/report/)",
     params_period_csv},
    {"blacklist-add", "add a number (or email) to the blacklist (/blacklist)",
     params_blacklist_add},
    {"blacklist-list", "the blacklist (GET /blacklist)", params_none},
    {"list-upload", "upload a CSV list of recipients (/lists/upload)",
     params_list_upload},
    {NULL, NULL, NULL}};

/** The campaign options `send --option` and `call campaign-send` share,
    in the order they are read. */
static const char *const campaign_option_names[] = {
    "startNow",     "typeSelect", "checkDuplicate", "autoREPLACETOGSM7",
    "autoREPLACEEMOJI", "billingCode", "campaignName", "brand",
    "renderer",     "tinyList",   NULL};

static const smsmux_provider mf_provider = {
    .size = sizeof(smsmux_provider),
    .abi_major = SMSMUX_ABI_MAJOR,
    .abi_minor = SMSMUX_ABI_MINOR,
    .name = "mediasflow",
    .version = MF_VERSION,
    .summary = "Mediasflow API SMS v2.3 (app.mediasflow.com, JSON, bearer "
               "token)",
    .capabilities = SMSMUX_CAP_SMS | SMSMUX_CAP_UNICODE | SMSMUX_CAP_SCHEDULE |
                    SMSMUX_CAP_CANCEL | SMSMUX_CAP_STATUS |
                    SMSMUX_CAP_REPLIES | SMSMUX_CAP_ALPHA_SENDER,
    .max_recipients = MF_MAX_RECIPIENTS,
    .max_text_length = 0,
    .max_segments = MF_MAX_SMS_LIMIT,
    .max_sender_length = 11, /* "de 3 à 11 caractères alphanumériques" */
    .default_base_url = "https://app.mediasflow.com/api/v1",
    .config_keys = mf_config_keys,
    .operations = mf_operations,
    .open = mf_open,
    .close = mf_close,
    .send = mf_send,
    .status = mf_status,
    .balance = NULL, /* the guide has no balance request */
    .replies = mf_replies,
    .cancel = mf_cancel,
    .call = mf_call,
    .send_options = campaign_option_names,
};

SMSMUX_PROVIDER_ENTRY_DECL { return &mf_provider; }

/* ------------------------------------------------------ status table --- */

/* Section 3 of the guide ("CODE ERREURS"), codes 1 to 32.  The guide
   lists 21 twice (with 16, and alone at the end, same meaning) and has no
   11: a report with 11 shows as unknown with its raw code.  It has no
   "scheduled" code: a scheduled campaign's recipients show 1. */
static const smsmux_status_map mf_statuses[] = {
    {"1", SMSMUX_STATUS_ACCEPTED, "En cours de traitement"},
    {"2", SMSMUX_STATUS_REJECTED, "Numéro mal formaté"},
    {"3", SMSMUX_STATUS_REJECTED, "Destination non autorisée"},
    {"4", SMSMUX_STATUS_REJECTED, "Doublons"},
    {"5", SMSMUX_STATUS_REJECTED, "Erreur de personnalisation"},
    {"6", SMSMUX_STATUS_REJECTED, "Caractère UCS2 non autorisé"},
    {"7", SMSMUX_STATUS_REJECTED, "Message trop long"},
    {"8", SMSMUX_STATUS_REJECTED, "Crédit insuffisant"},
    {"9", SMSMUX_STATUS_ACCEPTED, "En cours d'envoi"},
    {"10", SMSMUX_STATUS_SENT, "Posté"},
    /* a processing error at Mediasflow, before any operator */
    {"12", SMSMUX_STATUS_REJECTED, "Erreur de traitement"},
    {"13", SMSMUX_STATUS_REJECTED, "Refus opérateur"},
    {"14", SMSMUX_STATUS_REJECTED, "Destinataire dans votre blacklist"},
    {"15", SMSMUX_STATUS_REJECTED,
     "Destinataire dans notre blacklist globale"},
    {"16", SMSMUX_STATUS_DELIVERED, "Délivré"},
    {"17", SMSMUX_STATUS_DELIVERED, "Délivré + STOP demandé"},
    {"18", SMSMUX_STATUS_REJECTED, "Destinataire dans votre blacklist client"},
    {"19", SMSMUX_STATUS_REJECTED, "Tarif manquant"},
    {"20", SMSMUX_STATUS_UNDELIVERED, "Non délivré"},
    {"21", SMSMUX_STATUS_DELIVERED, "Délivré"},
    {"22", SMSMUX_STATUS_EXPIRED, "Message expiré"},
    /* "supprimé avant envoi chez l'opérateur" */
    {"23", SMSMUX_STATUS_CANCELLED, "Message supprimé"},
    /* "posté pour acheminement vers l'opérateur" */
    {"24", SMSMUX_STATUS_SENT, "Envoyé"},
    {"25", SMSMUX_STATUS_UNDELIVERED, "Non délivré"},
    {"26", SMSMUX_STATUS_UNDELIVERED, "Erreur inconnue"},
    {"27", SMSMUX_STATUS_REJECTED, "Rejet opérateur"},
    {"28", SMSMUX_STATUS_SENT, "Posté"},
    /* the operator does not know the number: it could not deliver */
    {"29", SMSMUX_STATUS_UNDELIVERED, "Numéro non attribué"},
    {"30", SMSMUX_STATUS_UNDELIVERED, "Numéro non attribué"},
    /* "d'autres tentatives sont faites": still on its way */
    {"31", SMSMUX_STATUS_SENT, "Mobile non disponible"},
    {"32", SMSMUX_STATUS_REJECTED, "SMS rejeté"},
    {NULL, SMSMUX_STATUS_UNKNOWN, NULL}};

/* ------------------------------------------------------------ helpers --- */

static const char *const mf_secret_params[] = {"password", "token", NULL};

static int is_alnum_ascii(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

/** The sender rule of the guide: "de 3 à 11 caractères alphanumériques
    [A-Z], [a-z] et [0-9] ... il ne peut pas contenir que des chiffres". */
static int sender_ok(const mediasflow *mf, const char *s)
{
  size_t i, n = strlen(s);

  if (n < 3 || n > 11 || mf->host->parse_uint(s, 0, ULLONG_MAX, NULL) == 0)
    return 0;
  for (i = 0; i < n; i++)
    if (!is_alnum_ascii(s[i]))
      return 0;
  return 1;
}

static int valid_type_select(const char *s)
{
  return strcmp(s, "MKG") == 0 || strcmp(s, "NOTIFICATION") == 0;
}

static int valid_renderer(const char *s)
{
  static const char *const renderers[] = {"BASIC",      "MEDIASFLOW",
                                          "MEDIASFLOW_B", "HANDLEBARS",
                                          "EJS",        "VELOCITY"};
  size_t i;

  for (i = 0; i < sizeof renderers / sizeof renderers[0]; i++)
    if (strcmp(s, renderers[i]) == 0)
      return 1;
  return 0;
}

/** A compact JSON text of `o` in call memory; the object is released. */
static const char *json_dump_put(const mediasflow *mf, smsmux_call *call,
                                 json_object *o)
{
  const char *copy = smsmux_json_dump(mf->host, call, o);

  json_object_put(o);
  return copy;
}

/** The provider's words in an error answer: {"message": ...} (also
    "error"), or NULL. */
static const char *answer_message(const mediasflow *mf, smsmux_call *call,
                                  const smsmux_http_response *resp)
{
  static const char *const names[] = {"message", "error", NULL};

  return smsmux_json_body_text(mf->host, call, resp, names);
}

/** Parse the guide's scheduleOn format (UTC).  0, or -1 when malformed. */
static int parse_schedule(const char *s, int64_t *out)
{
  struct tm tm;
  int y, mo, d, h, mi, se;
  char z = '\0', extra = '\0';

  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%c", &y, &mo, &d, &h, &mi, &se, &z,
             &extra) != 7 ||
      z != 'Z' || strlen(s) != 20 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
      h > 23 || mi > 59 || se > 60)
    return -1;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  *out = (int64_t)timegm(&tm);
  return 0;
}

/** A period date of the reports: "YYYY-MM-DD" (midnight) or "YYYY-MM-DD
    HH:MM", read as a calendar date and time (the same zone for both ends,
    so the 7-day check does not depend on it).  0, or -1 when malformed. */
static int parse_period_date(const char *s, int64_t *out)
{
  struct tm tm;
  int y, mo, d, h = 0, mi = 0;
  size_t n = strlen(s);

  memset(&tm, 0, sizeof tm);
  if (n == 10) {
    if (sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) != 3 || s[4] != '-' ||
        s[7] != '-')
      return -1;
  } else if (n == 16) {
    if (sscanf(s, "%4d-%2d-%2d %2d:%2d", &y, &mo, &d, &h, &mi) != 5 ||
        s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':')
      return -1;
  } else {
    return -1;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59)
    return -1;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  *out = (int64_t)timegm(&tm);
  return 0;
}

/** Now, to the minute, as a calendar time of the local zone read like
    parse_period_date reads a date (so the two compare). */
static int64_t local_now(void)
{
  time_t t = time(NULL);
  struct tm tm;

  if (localtime_r(&t, &tm) == NULL)
    return (int64_t)t;
  tm.tm_sec = 0;
  return (int64_t)timegm(&tm);
}

/* ------------------------------------------------------------- open ---- */

static int mf_open(const smsmux_host *host, smsmux_call *call, void **state)
{
  mediasflow *mf;
  const char *login, *password, *v;

  if (SMSMUX_NEED_HOST(host, call, "mediasflow", 1, error_lookup) != 0)
    return -1;

  /* login and password are required keys: the host has checked that they
     are set */
  login = host->config_get(call, "login");
  password = host->config_get(call, "password");
  mf = calloc(1, sizeof *mf);
  if (mf == NULL)
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  mf->host = host;
  mf->start_now = 1;
  mf->max_sms = MF_MAX_SMS_DEFAULT;
  if (pthread_mutex_init(&mf->lock, NULL) != 0) {
    free(mf);
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL,
                      "cannot create the token lock");
  }
  mf->login = login != NULL ? login : "";
  mf->password = password != NULL ? password : "";
  v = host->config_get(call, "base_url");
  mf->base_slash = v != NULL && *v != '\0' && v[strlen(v) - 1] == '/';
  v = host->config_get(call, "auth_path");
  mf->auth_path = v != NULL && *v != '\0' ? v : "/auth";

  v = host->config_get(call, "type_select");
  if (v != NULL && *v != '\0') {
    if (!valid_type_select(v)) {
      mf_close(mf);
      return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                        "type_select = %s is not valid: use MKG (marketing) "
                        "or NOTIFICATION (alerts, passwords, appointments)",
                        v);
    }
    mf->type_select = v;
  }
  v = host->config_get(call, "start_now");
  if (v != NULL && *v != '\0') {
    mf->start_now = host->parse_bool(v);
    if (mf->start_now < 0) {
      mf_close(mf);
      return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                        "start_now = %s is not valid: use yes (inject in one "
                        "request) or no (prepare, check, then inject)",
                        v);
    }
  }
  v = host->config_get(call, "max_sms");
  if (v != NULL && *v != '\0') {
    if (strlen(v) > 1 ||
        host->parse_uint(v, 1, MF_MAX_SMS_LIMIT, NULL) != 0) {
      mf_close(mf);
      return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                        "max_sms = %s is not valid: use 1 (Mediasflow's "
                        "default) to %d, as your account allows",
                        v, MF_MAX_SMS_LIMIT);
    }
    mf->max_sms = (unsigned)atoi(v);
  }
  /* ABI 1.2: the router learns the account's SMS limit, the 5-minute
     scheduling minimum and that a sender is never only digits, and
     passes the instance over for a message that does not fit */
  if (SMSMUX_HAS_MEMBER(host, smsmux_host, set_limits) &&
      host->set_limits != NULL) {
    smsmux_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.size = sizeof lim;
    lim.max_segments = mf->max_sms;
    lim.schedule_min_delay = MF_SCHEDULE_MIN_AHEAD;
    lim.sender_rules = SMSMUX_SENDER_NO_NUMERIC;
    if (host->set_limits(call, &lim) != 0) {
      mf_close(mf);
      return -1;
    }
  }
  *state = mf;
  return 0;
}

static void mf_close(void *state)
{
  mediasflow *mf = state;

  if (mf == NULL)
    return;
  pthread_mutex_destroy(&mf->lock);
  if (mf->token != NULL)
    memset(mf->token, 0, strlen(mf->token));
  free(mf->token);
  free(mf);
}

/* ----------------------------------------------------------- login ----- */

/** `path` for the host, which appends it to base_url: without its first
    '/' when base_url ends with one ("https://…/api/v1/" as 1.2 writes the
    URL), as it is when absolute. */
static const char *mf_path(const mediasflow *mf, const char *path)
{
  if (mf->base_slash && path != NULL && path[0] == '/')
    return path + 1;
  return path;
}

/** The token of a login answer: the `Authorization: Bearer T` header,
    else a `token` member of the JSON body; NULL when neither. */
static const char *login_token(const mediasflow *mf, smsmux_call *call,
                               const smsmux_http_response *resp)
{
  const char *h = mf->host->http_header(call, "Authorization");
  json_object *o;
  const char *t = NULL;

  if (h != NULL) {
    while (*h == ' ')
      h++;
    if (strncasecmp(h, "Bearer ", 7) == 0)
      h += 7;
    while (*h == ' ')
      h++;
    if (*h != '\0')
      return h;
  }
  o = smsmux_json_parse_body(resp);
  if (o != NULL) {
    t = smsmux_json_text(mf->host, call, o, "token");
    json_object_put(o);
    if (t != NULL && strncasecmp(t, "Bearer ", 7) == 0)
      t += 7;
  }
  return t != NULL && *t != '\0' ? t : NULL;
}

/** Log in and keep the token; called with mf->lock held.  Nothing of the
    operation was sent yet, so every failure here is at worst TEMPORARY
    (never "outcome unknown": the login request accepts nothing). */
static int login_locked(mediasflow *mf, smsmux_call *call)
{
  const smsmux_host *h = mf->host;
  smsmux_http_request req;
  smsmux_http_response resp;
  json_object *body = json_object_new_object();
  const char *token, *m;
  char *copy;

  if (body == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  json_object_object_add(body, "login", json_object_new_string(mf->login));
  json_object_object_add(body, "password",
                         json_object_new_string(mf->password));
  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.method = SMSMUX_HTTP_POST;
  req.path = mf_path(mf, mf->auth_path);
  req.body_kind = SMSMUX_BODY_RAW;
  req.body = json_dump_put(mf, call, body);
  req.body_len = strlen(req.body);
  req.content_type = "application/json";
  req.secret_params = mf_secret_params;
  req.accepts_nothing = 1;
  memset(&resp, 0, sizeof resp);
  resp.size = sizeof resp;
  if (h->http(call, &req, &resp) != 0)
    return -1;
  if (resp.status == 401 || resp.status == 403) {
    m = answer_message(mf, call, &resp);
    return h->fail(call, SMSMUX_ERR_AUTH,
                   h->strf(call, "HTTP %ld", resp.status),
                   "Mediasflow refused the login of %s (HTTP %ld%s%s): check "
                   "login and password%s",
                   mf->login, resp.status, m != NULL ? ": " : "",
                   m != NULL ? m : "",
                   resp.status == 403 ? ", and that Mediasflow knows the IP "
                                        "address requests come from"
                                      : "");
  }
  if (resp.status == 404)
    return h->fail(call, SMSMUX_ERR_CONFIG, "HTTP 404",
                   "Mediasflow has no login request at %s (HTTP 404): set "
                   "auth_path to the login path of the API",
                   mf->auth_path);
  if (resp.status < 200 || resp.status > 299) {
    /* the account cannot log in now: another provider may take the
       message (AUTH for a refusal, TEMPORARY for an outage) */
    m = answer_message(mf, call, &resp);
    return h->fail(call,
                   resp.status >= 400 && resp.status < 500 &&
                           resp.status != 429
                       ? SMSMUX_ERR_AUTH
                       : SMSMUX_ERR_TEMPORARY,
                   h->strf(call, "HTTP %ld", resp.status),
                   "Mediasflow refused the login of %s (HTTP %ld): %s; "
                   "nothing was sent",
                   mf->login, resp.status,
                   m != NULL ? m
                             : h->strf(call, "\"%s\"",
                                       h->excerpt(call, resp.body,
                                                  resp.body_len)));
  }
  token = login_token(mf, call, &resp);
  if (token == NULL)
    return h->fail(call, SMSMUX_ERR_TEMPORARY, "login",
                   "Mediasflow answered the login of %s without a token (no "
                   "Authorization header, no token member): \"%s\"; nothing "
                   "was sent",
                   mf->login, h->excerpt(call, resp.body, resp.body_len));
  copy = strdup(token);
  if (copy == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  if (mf->token != NULL) {
    memset(mf->token, 0, strlen(mf->token));
    free(mf->token);
  }
  mf->token = copy;
  mf->token_gen++;
  h->log(call, SMSMUX_LOG_DEBUG, "logged in to Mediasflow as %s", mf->login);
  return 0;
}

/** The token to use, in call memory (never logged), and its generation.
    Logs in when there is none; with `refused`, the caller's token (of
    generation *gen) was refused: log in again unless another thread has
    already done so since.  NULL after `fail`. */
static const char *token_get(mediasflow *mf, smsmux_call *call,
                             unsigned long *gen, int refused)
{
  const char *t = NULL;

  pthread_mutex_lock(&mf->lock);
  if (refused && mf->token != NULL && mf->token_gen == *gen) {
    memset(mf->token, 0, strlen(mf->token));
    free(mf->token);
    mf->token = NULL;
  }
  if (mf->token != NULL || login_locked(mf, call) == 0) {
    t = mf->host->strf(call, "%s", mf->token);
    *gen = mf->token_gen;
  }
  pthread_mutex_unlock(&mf->lock);
  return t;
}

/* ---------------------------------------------------------- requests --- */

/** Perform `req` with the bearer token: log in first when needed; on a
    401, log in again once and repeat the request once.  Returns 0 with an
    answer of any status in *resp, or -1 after `fail` (transport failure
    or login refused). */
static int mf_http(mediasflow *mf, smsmux_call *call, smsmux_http_request *req,
                   smsmux_http_response *resp)
{
  unsigned long gen = 0;
  const char *token = token_get(mf, call, &gen, 0);

  if (token == NULL)
    return -1;
  req->size = sizeof *req;
  req->path = mf_path(mf, req->path);
  req->auth = SMSMUX_AUTH_BEARER;
  req->bearer = token;
  req->secret_params = mf_secret_params;
  memset(resp, 0, sizeof *resp);
  resp->size = sizeof *resp;
  if (mf->host->http(call, req, resp) != 0)
    return -1;
  if (resp->status != 401)
    return 0;
  mf->host->log(call, SMSMUX_LOG_DEBUG,
                "Mediasflow refused the token (HTTP 401): logging in again");
  token = token_get(mf, call, &gen, 1);
  if (token == NULL)
    return -1;
  req->bearer = token;
  memset(resp, 0, sizeof *resp);
  resp->size = sizeof *resp;
  return mf->host->http(call, req, resp);
}

/** Record the failure an answer that is not a 2xx means; returns -1.
    `what` says what was asked; `sending`: it may have been carried out. */
static int answer_fail(mediasflow *mf, smsmux_call *call,
                       const smsmux_http_response *resp, int sending,
                       const char *what)
{
  const smsmux_host *h = mf->host;
  const char *m = answer_message(mf, call, resp);
  const char *code = h->strf(call, "HTTP %ld", resp->status);

  if (resp->status == 401)
    return h->fail(call, SMSMUX_ERR_AUTH, code,
                   "Mediasflow refused %s (HTTP 401%s%s) even after logging "
                   "in again as %s: check the account",
                   what, m != NULL ? ": " : "", m != NULL ? m : "", mf->login);
  if (resp->status == 403)
    return h->fail(call, SMSMUX_ERR_AUTH, code,
                   "Mediasflow refused %s (HTTP 403%s%s): Mediasflow accepts "
                   "requests only from the IP addresses it was told about, "
                   "and some requests need an administrator account",
                   what, m != NULL ? ": " : "", m != NULL ? m : "");
  /* every other status: the mapping all plugins share (docs/choices.md),
     whose message quotes the start of the answer, {"code", "message"} */
  return h->fail_http(call, resp, sending);
}

/** POST `path` with the JSON document `doc` (released).  `accepts_nothing`:
    the request cannot have sent anything (a preparation). */
static int mf_post_json(mediasflow *mf, smsmux_call *call, const char *path,
                        json_object *doc, int accepts_nothing,
                        smsmux_http_response *resp)
{
  smsmux_http_request req;

  memset(&req, 0, sizeof req);
  req.accepts_nothing = accepts_nothing;
  req.method = SMSMUX_HTTP_POST;
  req.path = path;
  req.body_kind = SMSMUX_BODY_RAW;
  /* the guide says "Content-Type: application/x-www-form-urlencoded" and
     "des structures JSON intégrées dans les POST": the body is JSON, so it
     is announced as JSON (as its Swagger does) */
  req.content_type = "application/json";
  req.body = json_dump_put(mf, call, doc);
  req.body_len = strlen(req.body);
  return mf_http(mf, call, &req, resp);
}

/** GET `path` with `query` (n pairs): a read, which accepts nothing. */
static int mf_get(mediasflow *mf, smsmux_call *call, const char *path,
                  const smsmux_kv *query, size_t n, smsmux_http_response *resp)
{
  smsmux_http_request req;

  memset(&req, 0, sizeof req);
  req.accepts_nothing = 1;
  req.method = SMSMUX_HTTP_GET;
  req.path = path;
  req.query = query;
  req.n_query = n;
  return mf_http(mf, call, &req, resp);
}

/* ------------------------------------------------------------- send ---- */

/** What one send or campaign-send carries besides its recipients. */
typedef struct campaign_opts {
  const char *msg;
  int start_now;
  const char *sender;
  const char *type_select;
  const char *schedule_on;
  const char *campaign_name;
  const char *renderer;
  json_object *default_for_header; /* owned, or NULL */
  int allow_ucs2;                  /* -1: not sent */
  int auto_emoji;
  int auto_gsm7;
  int check_duplicate;
  const char *billing_code;
  json_object *tiny_list; /* owned, or NULL */
  const char *brand;
  const char *user_owner_id;
  const char *lists_id;
} campaign_opts;

static void campaign_opts_init(const mediasflow *mf, campaign_opts *o)
{
  memset(o, 0, sizeof *o);
  o->start_now = mf->start_now;
  o->type_select = mf->type_select;
  o->allow_ucs2 = -1;
  o->auto_emoji = -1;
  o->auto_gsm7 = -1;
  o->check_duplicate = -1;
}

static void campaign_opts_free(campaign_opts *o)
{
  json_object_put(o->default_for_header);
  json_object_put(o->tiny_list);
  o->default_for_header = NULL;
  o->tiny_list = NULL;
}

/** tinyList: a JSON array as text, or @FILE holding one. */
static int read_tiny_list(mediasflow *mf, smsmux_call *call, const char *v,
                          const char *where, json_object **out)
{
  const char *text = v;
  json_object *o;

  if (*v == '@') {
    text = mf->host->read_file(call, v + 1, NULL);
    if (text == NULL)
      return -1;
  }
  o = json_tokener_parse(text);
  if (o != NULL && json_object_is_type(o, json_type_object)) {
    json_object *arr = json_object_new_array();
    json_object_array_add(arr, o);
    o = arr;
  }
  if (o == NULL || !json_object_is_type(o, json_type_array)) {
    json_object_put(o);
    return mf->host->fail(call, SMSMUX_ERR_INPUT, NULL,
                          "%s tinyList is not a JSON array of URL "
                          "descriptions (e.g. tinyList='[{\"index\": 0, "
                          "\"type\": \"REDIRECT\", \"urlToRedirect\": "
                          "\"https://example.org\"}]', or tinyList=@FILE)",
                          where);
  }
  json_object_put(*out);
  *out = o;
  return 0;
}

/** Apply one KEY=VALUE of the campaign options (campaign_option_names,
    and allowUCS2 for campaign-send).  `where` starts the error messages.
    Returns 0, or -1 after `fail`. */
static int campaign_opt(mediasflow *mf, smsmux_call *call, const char *where,
                        const char *k, const char *v, campaign_opts *o)
{
  const smsmux_host *h = mf->host;
  /* the TRUE/FALSE ones and the free texts, by the member they set */
  int *flag = strcmp(k, "startNow") == 0            ? &o->start_now
              : strcmp(k, "checkDuplicate") == 0    ? &o->check_duplicate
              : strcmp(k, "autoREPLACETOGSM7") == 0 ? &o->auto_gsm7
              : strcmp(k, "autoREPLACEEMOJI") == 0  ? &o->auto_emoji
              : strcmp(k, "allowUCS2") == 0         ? &o->allow_ucs2
                                                    : NULL;
  const char **text = strcmp(k, "billingCode") == 0    ? &o->billing_code
                      : strcmp(k, "campaignName") == 0 ? &o->campaign_name
                      : strcmp(k, "brand") == 0        ? &o->brand
                                                       : NULL;

  if (flag != NULL) {
    int b = h->parse_bool(v);
    if (b < 0)
      return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                     "%s %s=%s is not valid: use %s=true or %s=false", where,
                     k, v, k, k);
    *flag = b;
    return 0;
  }
  if (text != NULL) {
    *text = v;
    return 0;
  }
  if (strcmp(k, "typeSelect") == 0) {
    if (!valid_type_select(v))
      return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                     "%s typeSelect=%s is not valid: use MKG (marketing) or "
                     "NOTIFICATION (alerts, passwords, appointments)",
                     where, v);
    o->type_select = v;
    return 0;
  }
  if (strcmp(k, "renderer") == 0) {
    if (!valid_renderer(v))
      return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                     "%s renderer=%s is not valid: use BASIC, MEDIASFLOW, "
                     "MEDIASFLOW_B, HANDLEBARS, EJS or VELOCITY",
                     where, v);
    o->renderer = v;
    return 0;
  }
  return read_tiny_list(mf, call, v, where, &o->tiny_list); /* tinyList */
}

/** Apply the campaign options given: `msg`'s --option values when `msg`
    is not NULL (send), else the operation's `params` (campaign-send).
    Returns 0, or -1 after `fail`. */
static int campaign_opts_read(mediasflow *mf, smsmux_call *call,
                              const smsmux_message *msg,
                              const smsmux_kv *params, size_t n,
                              campaign_opts *o)
{
  const char *where = msg != NULL ? "option" : "campaign-send:";
  size_t i;

  for (i = 0; campaign_option_names[i] != NULL; i++) {
    const char *k = campaign_option_names[i];
    /* none of them has an instance key of its name: a value is the
       message's (or the operation's) */
    const char *v = msg != NULL ? mf->host->option(call, msg, k)
                                : mf->host->param(params, n, k);
    if (v != NULL && campaign_opt(mf, call, where, k, v, o) != 0)
      return -1;
  }
  return 0;
}

/** The campaign document: the members in the order of the guide's example
    2.1.2 (listRecipient, msg, startNow, sender, typeSelect), then the
    others, tinyList last as there.  Takes `recipients` (may be NULL). */
static json_object *campaign_doc(const campaign_opts *o,
                                 json_object *recipients)
{
  json_object *d = json_object_new_object();

  if (d == NULL) {
    json_object_put(recipients);
    return NULL;
  }
  if (o->lists_id != NULL)
    json_object_object_add(d, "listsId",
                           json_object_new_int64(strtoll(o->lists_id, NULL,
                                                         10)));
  if (recipients != NULL)
    json_object_object_add(d, "listRecipient", recipients);
  json_object_object_add(d, "msg", json_object_new_string(o->msg));
  json_object_object_add(d, "startNow",
                         json_object_new_boolean(o->start_now));
  if (o->sender != NULL)
    json_object_object_add(d, "sender", json_object_new_string(o->sender));
  if (o->type_select != NULL)
    json_object_object_add(d, "typeSelect",
                           json_object_new_string(o->type_select));
  if (o->schedule_on != NULL)
    json_object_object_add(d, "scheduleOn",
                           json_object_new_string(o->schedule_on));
  if (o->campaign_name != NULL)
    json_object_object_add(d, "campaignName",
                           json_object_new_string(o->campaign_name));
  if (o->renderer != NULL)
    json_object_object_add(d, "renderer",
                           json_object_new_string(o->renderer));
  if (o->default_for_header != NULL)
    json_object_object_add(d, "defaultForHeader",
                           json_object_get(o->default_for_header));
  if (o->allow_ucs2 >= 0)
    json_object_object_add(d, "allowUCS2",
                           json_object_new_boolean(o->allow_ucs2));
  if (o->auto_emoji >= 0)
    json_object_object_add(d, "autoREPLACEEMOJI",
                           json_object_new_boolean(o->auto_emoji));
  if (o->auto_gsm7 >= 0)
    json_object_object_add(d, "autoREPLACETOGSM7",
                           json_object_new_boolean(o->auto_gsm7));
  /* the guide types checkDuplicate "string" but its answers carry a
     boolean, like every other TRUE/FALSE parameter: sent as a boolean */
  if (o->check_duplicate >= 0)
    json_object_object_add(d, "checkDuplicate",
                           json_object_new_boolean(o->check_duplicate));
  if (o->billing_code != NULL)
    json_object_object_add(d, "billingCode",
                           json_object_new_string(o->billing_code));
  if (o->brand != NULL)
    json_object_object_add(d, "brand", json_object_new_string(o->brand));
  if (o->user_owner_id != NULL)
    json_object_object_add(d, "userOwnerID",
                           json_object_new_string(o->user_owner_id));
  if (o->tiny_list != NULL)
    json_object_object_add(d, "tinyList", json_object_get(o->tiny_list));
  return d;
}

/** One listRecipient element: {"mobile", "extendedKeys": [{"keyName",
    "keyValue"}]}.  The guide's table shows extendedKeys as [{"NAME":
    "value"}], its example 2.1.2 as keyName/keyValue pairs: the example is
    followed (it is the more precise of the two). */
static json_object *recipient_doc(const char *mobile, const smsmux_kv *keys,
                                  size_t n_keys)
{
  json_object *r = json_object_new_object();
  size_t i;

  json_object_object_add(r, "mobile", json_object_new_string(mobile));
  if (n_keys > 0) {
    json_object *arr = json_object_new_array();
    for (i = 0; i < n_keys; i++) {
      json_object *k = json_object_new_object();
      json_object_object_add(k, "keyName",
                             json_object_new_string(keys[i].key));
      json_object_object_add(k, "keyValue",
                             json_object_new_string(keys[i].value != NULL
                                                        ? keys[i].value
                                                        : ""));
      json_object_array_add(arr, k);
    }
    json_object_object_add(r, "extendedKeys", arr);
  }
  return r;
}

/** A number as the guide's examples write it: "0632545311" for a French
    number, international digits ("336...", "447...") for the others (its
    table writes "336xxxxx").  NULL when `number` is not a phone number. */
static const char *mf_number(const mediasflow *mf, smsmux_call *call,
                             const char *number)
{
  const char *e164 = mf->host->number_normalise(call, number);

  if (e164 == NULL || e164[0] != '+')
    return NULL;
  return mf->host->number_format(call, e164, SMSMUX_NUM_NATIONAL);
}

/** A campaign answer (/campaigns/inject): its id and status.  Returns 0,
    or -1 after `fail`. */
typedef struct campaign_answer {
  json_object *doc; /* owned */
  const char *id;
  const char *status;
  long count_valid, count_recipient;
} campaign_answer;

static int campaign_answer_read(mediasflow *mf, smsmux_call *call,
                                const smsmux_http_response *resp,
                                int sending, const char *what,
                                campaign_answer *a)
{
  memset(a, 0, sizeof *a);
  a->doc = smsmux_json_parse_body(resp);
  a->id = smsmux_json_text(mf->host, call, a->doc, "id");
  if (a->doc == NULL || a->id == NULL ||
      mf->host->parse_uint(a->id, 0, ULLONG_MAX, NULL) != 0) {
    json_object_put(a->doc);
    a->doc = NULL;
    return mf->host->fail(call,
                          sending ? SMSMUX_ERR_UNKNOWN_OUTCOME
                                  : SMSMUX_ERR_TEMPORARY,
                          NULL,
                          "Mediasflow sent an unreadable answer to %s (no "
                          "campaign id)%s: \"%s\"",
                          what,
                          sending ? "; it may have been accepted: check the "
                                    "reports (`smsmux call ... "
                                    "report-period-json`) before sending "
                                    "again"
                                  : "",
                          mf->host->excerpt(call, resp->body, resp->body_len));
  }
  a->status = smsmux_json_text(mf->host, call, a->doc, "status");
  if (a->status == NULL)
    a->status = "";
  a->count_valid = smsmux_json_long(a->doc, "countValid", -1);
  a->count_recipient = smsmux_json_long(a->doc, "countRecipient", -1);
  return 0;
}

/** POST `doc` (released) to /campaigns/inject and read the campaign it
    answers into *a.  `sending`: the request may inject the campaign; else
    it prepares one (startNow false), sends nothing and accepts nothing.
    `what` names the request in errors.  0, or -1 after `fail`. */
static int campaign_post(mediasflow *mf, smsmux_call *call, json_object *doc,
                         int sending, const char *what, campaign_answer *a)
{
  smsmux_http_response resp;

  if (mf_post_json(mf, call, "/campaigns/inject", doc, !sending, &resp) != 0)
    return -1;
  if (resp.status < 200 || resp.status > 299)
    return answer_fail(mf, call, &resp, sending, what);
  return campaign_answer_read(mf, call, &resp, sending, what, a);
}

/** Inject prepared campaign `id` (2.1.3.2: {"campaignId": 943,
    "startNow": true}) and read the answer into *a. */
static int campaign_inject(mediasflow *mf, smsmux_call *call, const char *id,
                           campaign_answer *a)
{
  json_object *doc = json_object_new_object();

  json_object_object_add(doc, "campaignId",
                         json_object_new_int64(strtoll(id, NULL, 10)));
  json_object_object_add(doc, "startNow", json_object_new_boolean(1));
  return campaign_post(mf, call, doc, 1,
                       mf->host->strf(call, "the injection of campaign %s",
                                      id),
                       a);
}

/** The campaign of a send was injected: the message id and recipients. */
static int send_report(mediasflow *mf, smsmux_call *call,
                       const smsmux_message *msg, campaign_answer *a)
{
  const smsmux_host *h = mf->host;
  size_t i;

  /* INPROGRESS / INJECTING / INJECTED / SCHEDULED: taken.  DRAFT after
     startNow true: prepared and left there. */
  if (strcmp(a->status, "DRAFT") == 0) {
    int rc = h->fail(call, SMSMUX_ERR_PERMANENT, "DRAFT",
                     "Mediasflow prepared campaign %s but did not inject it "
                     "(status DRAFT): nothing was sent; inject it with "
                     "`smsmux call ... campaign-inject campaignId=%s`",
                     a->id, a->id);
    json_object_put(a->doc);
    return rc;
  }
  h->set_message_id(call, a->id);
  if (a->count_valid >= 0 && a->count_recipient >= 0 &&
      a->count_valid < a->count_recipient)
    h->log(call, SMSMUX_LOG_WARNING,
           "Mediasflow took %ld of the %ld recipients of campaign %s "
           "(invalid %ld, blacklisted %ld, duplicates %ld): `smsmux status "
           "%s` shows which",
           a->count_valid, a->count_recipient, a->id,
           smsmux_json_long(a->doc, "countInvalidRecipient", 0),
           smsmux_json_long(a->doc, "countInBlackListRecipient", 0),
           smsmux_json_long(a->doc, "countDuplicateRecipient", 0), a->id);
  for (i = 0; i < msg->n_to; i++)
    h->add_recipient(call, msg->to[i],
                     msg->at != 0 ? SMSMUX_STATUS_SCHEDULED
                                  : SMSMUX_STATUS_ACCEPTED,
                     NULL, a->status[0] != '\0' ? a->status : NULL, NULL);
  json_object_put(a->doc);
  a->doc = NULL;
  return 0;
}

/** Prepare a campaign (startNow false), check it, inject it by
    campaignId.  A failure before the injection leaves a draft at
    Mediasflow and sends nothing: it is never "outcome unknown". */
static int send_validated(mediasflow *mf, smsmux_call *call,
                          json_object *doc, campaign_answer *out)
{
  const smsmux_host *h = mf->host;
  campaign_answer draft;
  int rc;

  if (campaign_post(mf, call, doc, 0, "the preparation of the campaign",
                    &draft) != 0)
    return -1;
  if (draft.count_valid == 0) {
    rc = h->fail(call, SMSMUX_ERR_INVALID, "countValid 0",
                 "Mediasflow prepared campaign %s with no valid recipient "
                 "(invalid %ld, blacklisted %ld, duplicates %ld): nothing "
                 "was sent",
                 draft.id,
                 smsmux_json_long(draft.doc, "countInvalidRecipient", 0),
                 smsmux_json_long(draft.doc, "countInBlackListRecipient", 0),
                 smsmux_json_long(draft.doc, "countDuplicateRecipient", 0));
    json_object_put(draft.doc);
    return rc;
  }
  h->log(call, SMSMUX_LOG_DEBUG,
         "campaign %s prepared (%ld valid of %ld): injecting it", draft.id,
         draft.count_valid, draft.count_recipient);
  json_object_put(draft.doc);
  return campaign_inject(mf, call, draft.id, out);
}

/** Check the parts of a campaign the guide states rules for, before any
    request: sender, scheduleOn.  Returns 0, or -1 after `fail` (INPUT). */
static int check_sender(mediasflow *mf, smsmux_call *call, const char *s)
{
  if (s == NULL || sender_ok(mf, s))
    return 0;
  return mf->host->fail(call, SMSMUX_ERR_INPUT, NULL,
                        "sender \"%s\" is not valid for Mediasflow: 3 to 11 "
                        "letters A-Z, a-z or digits 0-9, no punctuation, "
                        "spaces or accents, and not only digits",
                        s);
}

/* `sending`: a send, where a time too close is "not this provider" (a 1.2
   host tries the next one); in a provider operation it is the user's
   input. */
static int check_schedule(mediasflow *mf, smsmux_call *call, int64_t at,
                          const char *shown, int sending)
{
  int64_t now = (int64_t)time(NULL);

  if (at >= now + MF_SCHEDULE_MIN_AHEAD)
    return 0;
  /* not this provider (a 1.2 host tries the next one); an older host
     stops on INPUT */
  return mf->host->fail(call,
                        sending && mf->host->abi_minor >= 2
                            ? SMSMUX_ERR_UNSUITABLE
                            : SMSMUX_ERR_INPUT,
                        NULL,
                        "send time %s is too close: Mediasflow needs "
                        "scheduleOn at least 5 minutes after it receives "
                        "the campaign; give a later time or send now",
                        shown);
}

static int mf_send(void *state, smsmux_call *call, const smsmux_message *msg)
{
  mediasflow *mf = state;
  const smsmux_host *h = mf->host;
  campaign_opts o;
  campaign_answer a;
  json_object *recipients, *doc;
  smsmux_kv ref;
  size_t i;
  int rc;

  if (msg->kind != SMSMUX_KIND_SMS)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "Mediasflow sends SMS only: route MMS and voice messages "
                   "to a provider that declares them");
  if (msg->n_to == 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL, "no recipient to send to");
  if (check_sender(mf, call, msg->from) != 0)
    return -1;
  if (msg->at != 0 &&
      check_schedule(mf, call, msg->at,
                     h->format_time(call, msg->at, "%Y-%m-%d %H:%M:%S"),
                     1) != 0)
    return -1;

  campaign_opts_init(mf, &o);
  o.msg = msg->text;
  o.sender = msg->from != NULL && *msg->from != '\0' ? msg->from : NULL;
  if (msg->subject != NULL && *msg->subject != '\0')
    o.campaign_name = msg->subject;
  /* the text decides the encoding: GSM-7 text goes as it is, UCS-2 text
     with allowUCS2 (else Mediasflow would refuse it, status 6); no
     replacement either way unless asked (--option autoREPLACETOGSM7=true,
     which then keeps the text in GSM-7 instead of UCS-2) */
  o.allow_ucs2 = msg->encoding == SMSMUX_ENC_UCS2;
  o.auto_gsm7 = 0;
  if (campaign_opts_read(mf, call, msg, NULL, 0, &o) != 0) {
    campaign_opts_free(&o);
    return -1;
  }
  if (o.auto_gsm7 == 1)
    o.allow_ucs2 = 0; /* replaced to GSM-7 rather than sent as UCS-2 */
  if (o.auto_gsm7 != 1 && msg->segments > mf->max_sms) {
    campaign_opts_free(&o);
    return h->fail(call,
                   h->abi_minor >= 2 ? SMSMUX_ERR_UNSUITABLE
                                     : SMSMUX_ERR_INVALID,
                   NULL,
                   "this text takes %u SMS (%s) but the Mediasflow account "
                   "allows %u (max_sms): shorten it, or set max_sms if "
                   "Mediasflow set the account up for longer messages",
                   msg->segments,
                   msg->encoding == SMSMUX_ENC_UCS2 ? "UCS-2: 70, then 67 "
                                                      "characters each"
                                                    : "GSM-7: 160, then 153 "
                                                      "characters each",
                   mf->max_sms);
  }
  if (msg->at != 0) {
    o.schedule_on = h->format_time_utc(call, msg->at, MF_SCHEDULE_FORMAT);
    if (*o.schedule_on == '\0') {
      campaign_opts_free(&o);
      return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                     "cannot represent the send time %lld as a date",
                     (long long)msg->at);
    }
  }

  /* --ref travels as the extended key REF of every recipient, the
     reference field of the guide's example 2.1.2, which the period
     reports can search (search=fields.REF==...) */
  ref.key = "REF";
  ref.value = msg->ref;
  recipients = json_object_new_array();
  for (i = 0; i < msg->n_to; i++) {
    const char *n = h->number_format(call, msg->to[i], SMSMUX_NUM_NATIONAL);
    json_object_array_add(recipients,
                          recipient_doc(n, &ref, msg->ref != NULL &&
                                                         *msg->ref != '\0'
                                                     ? 1
                                                     : 0));
  }
  doc = campaign_doc(&o, recipients);
  if (doc == NULL) {
    campaign_opts_free(&o);
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  }

  rc = o.start_now ? campaign_post(mf, call, doc, 1, "the SMS", &a)
                   : send_validated(mf, call, doc, &a);
  campaign_opts_free(&o);
  if (rc != 0)
    return -1;
  return send_report(mf, call, msg, &a);
}

/* ------------------------------------------------------------ reports -- */

/** The rows of a JSON report: an array of objects, or an object holding
    one (the guide prints no JSON report; the simulator answers an array,
    "items"/"report"/"data"/"recipients" are taken too).  Borrowed from
    `doc`; NULL when there is none. */
static json_object *report_rows(json_object *doc)
{
  static const char *const names[] = {"items", "report", "data",
                                      "recipients", "content"};
  size_t i;
  json_object *v;

  if (doc != NULL && json_object_is_type(doc, json_type_array))
    return doc;
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    v = smsmux_json_member(doc, names[i]);
    if (v != NULL && json_object_is_type(v, json_type_array))
      return v;
  }
  return NULL;
}

/** A member of a report row by one of its names (the CSV column of
    section 4, or a camelCase spelling). */
static const char *row_text(const mediasflow *mf, smsmux_call *call,
                            json_object *row, const char *const *names)
{
  const char *v;

  for (; *names != NULL; names++)
    if ((v = smsmux_json_text(mf->host, call, row, *names)) != NULL)
      return v;
  return NULL;
}

static const char *const col_mobile[] = {"INT_MOBILE", "mobile", "item",
                                         NULL};
static const char *const col_code[] = {"STATUS_CODE", "statusCode", "status",
                                       NULL};
static const char *const col_text[] = {"STATUS_TEXT", "statusText", NULL};
static const char *const col_date[] = {"DELIVERYDATE", "deliveryDate", NULL};
static const char *const col_reply[] = {"REPLY", "reply", NULL};
static const char *const col_campaign[] = {"CAMPAIGN_ID", "campaignId",
                                           NULL};

/** GET a JSON report; *doc gets the parsed answer (to release) and *rows
    its rows.  Returns 0, or -1 after `fail`. */
static int report_fetch(mediasflow *mf, smsmux_call *call, const char *path,
                        const smsmux_kv *query, size_t n, const char *what,
                        json_object **doc, json_object **rows)
{
  smsmux_http_response resp;

  *doc = NULL;
  *rows = NULL;
  if (mf_get(mf, call, path, query, n, &resp) != 0)
    return -1;
  if (resp.status < 200 || resp.status > 299)
    return answer_fail(mf, call, &resp, 0, what);
  *doc = smsmux_json_parse_body(&resp);
  *rows = report_rows(*doc);
  if (*rows == NULL) {
    json_object_put(*doc);
    *doc = NULL;
    return mf->host->fail(call, SMSMUX_ERR_TEMPORARY, NULL,
                          "Mediasflow sent an unreadable %s: \"%s\"", what,
                          mf->host->excerpt(call, resp.body, resp.body_len));
  }
  return 0;
}

static int check_campaign_id(mediasflow *mf, smsmux_call *call,
                             const char *id)
{
  if (strlen(id) <= 18 && mf->host->parse_uint(id, 0, ULLONG_MAX, NULL) == 0)
    return 0;
  return mf->host->fail(call, SMSMUX_ERR_INVALID, NULL,
                        "\"%s\" is not a Mediasflow campaign id: give the "
                        "number `smsmux send` printed as the message id",
                        id != NULL ? id : "");
}

static int mf_status(void *state, smsmux_call *call, const char *id)
{
  mediasflow *mf = state;
  const smsmux_host *h = mf->host;
  json_object *doc, *rows;
  size_t i, n;

  if (check_campaign_id(mf, call, id) != 0)
    return -1;
  if (report_fetch(mf, call, h->strf(call, "/campaigns/reportjson/%s", id),
                   NULL, 0,
                   h->strf(call, "report of campaign %s", id), &doc,
                   &rows) != 0)
    return -1;
  n = json_object_array_length(rows);
  for (i = 0; i < n; i++) {
    json_object *row = json_object_array_get_idx(rows, i);
    const smsmux_status_map *def;
    smsmux_status_record rec;
    const char *code = row_text(mf, call, row, col_code);
    const char *text = row_text(mf, call, row, col_text);
    const char *at = row_text(mf, call, row, col_date);

    memset(&rec, 0, sizeof rec);
    rec.size = sizeof rec;
    rec.to = row_text(mf, call, row, col_mobile);
    def = h->status_lookup(mf_statuses, code);
    rec.status = def != NULL ? def->status : SMSMUX_STATUS_UNKNOWN;
    rec.code = code;
    rec.text = text != NULL && *text != '\0'
                   ? text
                   : (def != NULL ? def->text
                                  : "code not in the Mediasflow guide");
    rec.at = at != NULL && *at != '\0' ? at : NULL;
    h->add_status(call, &rec);
  }
  json_object_put(doc);
  return 0;
}

/* ---------------------------------------------------------- replies ---- */

/** A period for /campaigns/reportjson/: from..to, at most 7 days. */
static int period_check(mediasflow *mf, smsmux_call *call, const char *from,
                        const char *to, const char *where)
{
  const smsmux_host *h = mf->host;
  int64_t f, t;

  if (parse_period_date(from, &f) != 0)
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "%s from=%s is not valid: use YYYY-MM-DD or YYYY-MM-DD "
                   "HH:MM",
                   where, from);
  if (to != NULL && parse_period_date(to, &t) != 0)
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "%s to=%s is not valid: use YYYY-MM-DD or YYYY-MM-DD "
                   "HH:MM",
                   where, to);
  /* The period is the distance between the two dates as written (the
     guide's "du 25 au 28 mars" is 3 days, though it reports the 28th
     too); without `to` it runs until now ("depuis le 25 mars"). */
  if (to == NULL)
    t = local_now();
  if (t < f)
    return h->fail(call, SMSMUX_ERR_INPUT, NULL, "%s %s is before from=%s",
                   where, to != NULL ? h->strf(call, "to=%s", to) : "now",
                   from);
  if (t - f > MF_PERIOD_MAX)
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "%s the period from %s to %s is longer than 7 days: "
                   "Mediasflow answers reports for at most 7 days at once; "
                   "ask several shorter periods",
                   where, from, to != NULL ? to : "now");
  return 0;
}

static int mf_replies(void *state, smsmux_call *call,
                      const smsmux_reply_query *q)
{
  mediasflow *mf = state;
  const smsmux_host *h = mf->host;
  json_object *doc, *rows;
  smsmux_kv query[2];
  const char *id = NULL, *path, *from, *to;
  int64_t since = 0, until = 0;
  unsigned start = 0, count = 0, seen = 0, added = 0;
  size_t i, n, nq = 0;

  if (q != NULL && SMSMUX_HAS_MEMBER(q, smsmux_reply_query, until)) {
    id = q->id != NULL && *q->id != '\0' ? q->id : NULL;
    start = q->start;
    count = q->count;
    since = q->since;
    until = q->until;
  }
  /* Replies are the REPLY column of the reports ("Réponse reçue", section
     4): those of one campaign, or of the campaigns of a period (--since,
     --until; by default the last 7 days). */
  if (id != NULL) {
    if (check_campaign_id(mf, call, id) != 0)
      return -1;
    path = h->strf(call, "/campaigns/reportjson/%s", id);
  } else {
    /* to the minute, the precision of the period reports; by default
       the 7 days up to now */
    if (until == 0)
      until = (int64_t)time(NULL);
    until -= until % 60;
    if (since == 0)
      since = until - MF_PERIOD_MAX;
    from = h->format_time(call, since, "%Y-%m-%d %H:%M");
    to = h->format_time(call, until, "%Y-%m-%d %H:%M");
    if (period_check(mf, call, from, to, "replies:") != 0)
      return -1;
    query[nq].key = "from";
    query[nq++].value = from;
    query[nq].key = "to";
    query[nq++].value = to;
    path = "/campaigns/reportjson/";
  }
  if (report_fetch(mf, call, path, query, nq, "report with the replies",
                   &doc, &rows) != 0)
    return -1;
  n = json_object_array_length(rows);
  for (i = 0; i < n && (count == 0 || added < count); i++) {
    json_object *row = json_object_array_get_idx(rows, i);
    const char *text = row_text(mf, call, row, col_reply);
    smsmux_reply r;

    if (text == NULL || *text == '\0')
      continue;
    if (seen++ < start)
      continue;
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    r.from = row_text(mf, call, row, col_mobile);
    r.text = text;
    r.message_id = id != NULL ? id : row_text(mf, call, row, col_campaign);
    h->add_reply(call, &r);
    added++;
  }
  json_object_put(doc);
  return 0;
}

/* ----------------------------------------------------------- cancel ---- */

static int mf_cancel(void *state, smsmux_call *call, const char *id)
{
  mediasflow *mf = state;
  const smsmux_host *h = mf->host;
  smsmux_http_request req;
  smsmux_http_response resp;
  json_object *doc;
  const char *status;

  if (check_campaign_id(mf, call, id) != 0)
    return -1;
  /* The guide names no method for /campaigns/{campaignid}/cancel: POST,
     the method of its other requests that change something. */
  memset(&req, 0, sizeof req);
  req.method = SMSMUX_HTTP_POST;
  req.path = h->strf(call, "/campaigns/%s/cancel", id);
  if (mf_http(mf, call, &req, &resp) != 0)
    return -1;
  if (resp.status == 404)
    return h->fail(call, SMSMUX_ERR_INVALID, "HTTP 404",
                   "Mediasflow: campaign %s not found (not from this "
                   "account?)",
                   id);
  if (resp.status == 409) {
    const char *m = answer_message(mf, call, &resp);
    return h->fail(call, SMSMUX_ERR_INVALID, "HTTP 409",
                   "Mediasflow cannot cancel campaign %s%s%s: only a "
                   "scheduled campaign can be cancelled, up to 10 seconds "
                   "before its send time",
                   id, m != NULL ? ": " : "", m != NULL ? m : "");
  }
  if (resp.status < 200 || resp.status > 299)
    return answer_fail(mf, call, &resp, 1,
                       h->strf(call, "cancelling campaign %s", id));
  /* "Une fois annulée, la campagne est remise en statut DRAFT" */
  doc = smsmux_json_parse_body(&resp);
  status = smsmux_json_text(mf->host, call, doc, "status");
  if (status != NULL && strcmp(status, "DRAFT") != 0)
    h->log(call, SMSMUX_LOG_WARNING,
           "Mediasflow answered the cancellation of campaign %s with status "
           "%s (DRAFT expected)",
           id, status);
  json_object_put(doc);
  return 0;
}

/* ------------------------------------------------------- operations ---- */

/** `o` as one result record: scalars as text, arrays of scalars joined
    with ",", objects and other arrays as compact JSON.  A row that is no
    object (null, a number, a text) is a record with its text as "value". */
static void record_of(mediasflow *mf, smsmux_call *call, json_object *o)
{
  const smsmux_host *h = mf->host;

  h->begin_record(call);
  if (!json_object_is_type(o, json_type_object)) {
    h->add_result(call, "value", o != NULL ? json_object_get_string(o) : "");
    return;
  }
  json_object_object_foreach(o, k, v) {
    const char *s;
    if (v == NULL || json_object_is_type(v, json_type_null)) {
      s = "";
    } else if (json_object_is_type(v, json_type_array)) {
      size_t i, len = json_object_array_length(v);
      int scalars = 1;
      for (i = 0; i < len; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (e != NULL && (json_object_is_type(e, json_type_object) ||
                          json_object_is_type(e, json_type_array)))
          scalars = 0;
      }
      if (scalars) {
        s = "";
        for (i = 0; i < len; i++) {
          json_object *e = json_object_array_get_idx(v, i);
          s = h->strf(call, "%s%s%s", s, i > 0 ? "," : "",
                      e != NULL ? json_object_get_string(e) : "");
        }
      } else {
        s = smsmux_json_dump(h, call, v);
      }
    } else if (json_object_is_type(v, json_type_object)) {
      s = smsmux_json_dump(h, call, v);
    } else {
      s = json_object_get_string(v);
    }
    h->add_result(call, k, s);
  }
}

/** 1 when every element of array `rows` is an object. */
static int rows_are_objects(json_object *rows)
{
  size_t i, n = json_object_array_length(rows);

  for (i = 0; i < n; i++)
    if (!json_object_is_type(json_object_array_get_idx(rows, i),
                             json_type_object))
      return 0;
  return 1;
}

/** A JSON answer as records: one per element of an array, else one. */
static int records_of_answer(mediasflow *mf, smsmux_call *call,
                             const smsmux_http_response *resp,
                             const char *what, int sending)
{
  json_object *doc = smsmux_json_parse_body(resp), *rows;
  size_t i;

  if (doc == NULL)
    return mf->host->fail(call,
                          sending ? SMSMUX_ERR_UNKNOWN_OUTCOME
                                  : SMSMUX_ERR_TEMPORARY,
                          NULL,
                          "Mediasflow sent an unreadable answer to %s: "
                          "\"%s\"",
                          what,
                          mf->host->excerpt(call, resp->body,
                                            resp->body_len));
  rows = json_object_is_type(doc, json_type_object) ? report_rows(doc) : doc;
  /* an object whose list is no list of objects ({"recipients": ["11"]})
     is one record, its list joined */
  if (json_object_is_type(doc, json_type_object) &&
      (rows == NULL || !rows_are_objects(rows)))
    record_of(mf, call, doc);
  else
    for (i = 0; rows != NULL && json_object_is_type(rows, json_type_array) &&
                i < json_object_array_length(rows);
         i++)
      record_of(mf, call, json_object_array_get_idx(rows, i));
  json_object_put(doc);
  return 0;
}

/* ---- CSV, read (campaign-send file=) and answered (CSV reports) ---- */

/** Split one CSV line on `sep`, with "..." quoting ("" for a quote);
    fields trimmed of blanks outside quotes.  Returns the count. */
static size_t csv_fields(mediasflow *mf, smsmux_call *call, const char *line,
                         char sep, char ***out)
{
  size_t n = 0, cap = 8, len = strlen(line);
  char **f = mf->host->alloc(call, cap * sizeof *f);
  const char *p = line;

  for (;;) {
    char *buf = mf->host->alloc(call, len + 1), *w = buf;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '"') {
      p++;
      while (*p != '\0') {
        if (p[0] == '"' && p[1] == '"') {
          *w++ = '"';
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else {
          *w++ = *p++;
        }
      }
      while (*p != '\0' && *p != sep)
        p++;
    } else {
      while (*p != '\0' && *p != sep)
        *w++ = *p++;
      while (w > buf && (w[-1] == ' ' || w[-1] == '\t'))
        w--;
    }
    *w = '\0';
    if (n + 1 >= cap) {
      char **bigger = mf->host->alloc(call, cap * 2 * sizeof *f);
      memcpy(bigger, f, n * sizeof *f);
      f = bigger;
      cap *= 2;
    }
    f[n++] = buf;
    if (*p != sep)
      break;
    p++;
  }
  f[n] = NULL;
  *out = f;
  return n;
}

/** The lines of CSV bytes (CRLF or LF), blank ones dropped, as UTF-8:
    converted from the charset `content_type` names, else kept when UTF-8,
    else read as Windows-1252 (a list saved by a spreadsheet); a byte order
    mark is no part of the first line.  A quoted field may not hold a line
    break (none of the guide's files do). */
static size_t csv_lines(mediasflow *mf, smsmux_call *call, const char *bytes,
                        size_t len, const char *content_type, char ***out)
{
  const char *text = mf->host->decode_text(call, bytes, len, content_type,
                                           "WINDOWS-1252");
  char **lines;
  size_t n, i, k = 0;

  if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
    text += 3;
  n = mf->host->split(call, text, "\n", &lines);
  for (i = 0; i < n; i++) {
    size_t l = strlen(lines[i]);
    if (l > 0 && lines[i][l - 1] == '\r')
      lines[i][l - 1] = '\0';
    if (lines[i][0] != '\0')
      lines[k++] = lines[i];
  }
  lines[k] = NULL;
  *out = lines;
  return k;
}

/** The separator of a CSV header: ';' (the French habit), else ',' or a
    tab. */
static char csv_separator(const char *header)
{
  if (strchr(header, ';') != NULL)
    return ';';
  if (strchr(header, ',') != NULL)
    return ',';
  return strchr(header, '\t') != NULL ? '\t' : ';';
}

/** A CSV answer (the reports) as records, one per row, keyed by header. */
static int records_of_csv(mediasflow *mf, smsmux_call *call,
                          const smsmux_http_response *resp, const char *what)
{
  const smsmux_host *h = mf->host;
  char **lines, **head, **f;
  size_t n, nh, i, j, nf;
  char sep, first;

  if (resp->body == NULL || resp->body_len == 0)
    return 0;
  n = csv_lines(mf, call, resp->body, resp->body_len, resp->content_type,
                &lines);
  if (n == 0)
    return 0;
  sep = csv_separator(lines[0]);
  nh = csv_fields(mf, call, lines[0], sep, &head);
  /* a report has its columns of section 4: a page or a JSON document in
     its place is no report */
  first = lines[0][strspn(lines[0], " \t")];
  if (nh < 2 || first == '<' || first == '{' || first == '[' ||
      (resp->content_type != NULL &&
       strstr(resp->content_type, "html") != NULL))
    return h->fail(call, SMSMUX_ERR_TEMPORARY, NULL,
                   "Mediasflow sent an unreadable %s: \"%s\"", what,
                   mf->host->excerpt(call, resp->body, resp->body_len));
  for (i = 1; i < n; i++) {
    nf = csv_fields(mf, call, lines[i], sep, &f);
    h->begin_record(call);
    for (j = 0; j < nh; j++)
      h->add_result(call, head[j], j < nf ? f[j] : "");
  }
  return 0;
}

/* ---- campaign-send ---- */

/** listRecipient from a CSV file: the number column is "mobile", "sms",
    "portable" or "gsm" (the guide's names, any case); every other column
    becomes an extended key.  Returns the array, or NULL after `fail`. */
static json_object *recipients_from_csv(mediasflow *mf, smsmux_call *call,
                                        const char *path)
{
  static const char *const number_cols[] = {"mobile", "sms", "portable",
                                            "gsm"};
  const smsmux_host *h = mf->host;
  size_t len = 0, n, nh, i, j, nf, col;
  const char *text = h->read_file(call, path, &len);
  char **lines, **head, **f;
  json_object *arr;
  char sep;

  if (text == NULL)
    return NULL;
  /* JSON wants UTF-8 */
  n = csv_lines(mf, call, text, len, NULL, &lines);
  if (n < 2) {
    h->fail(call, SMSMUX_ERR_INPUT, NULL,
            "%s has no recipient: a header line and one line per recipient "
            "are needed",
            path);
    return NULL;
  }
  sep = csv_separator(lines[0]);
  nh = csv_fields(mf, call, lines[0], sep, &head);
  for (col = 0; col < nh; col++) {
    for (j = 0; j < sizeof number_cols / sizeof number_cols[0]; j++)
      if (strcasecmp(head[col], number_cols[j]) == 0)
        break;
    if (j < sizeof number_cols / sizeof number_cols[0])
      break;
  }
  if (col == nh) {
    h->fail(call, SMSMUX_ERR_INPUT, NULL,
            "%s has no number column: name it mobile, sms, portable or gsm "
            "in the header line",
            path);
    return NULL;
  }
  arr = json_object_new_array();
  for (i = 1; i < n; i++) {
    smsmux_kv *keys;
    size_t nk = 0;
    const char *number;

    nf = csv_fields(mf, call, lines[i], sep, &f);
    number = col < nf ? mf_number(mf, call, f[col]) : NULL;
    if (number == NULL) {
      h->fail(call, SMSMUX_ERR_INPUT, NULL,
              "%s line %zu: \"%s\" is not a phone number", path, i + 1,
              col < nf ? f[col] : "");
      json_object_put(arr);
      return NULL;
    }
    keys = h->alloc(call, (nh + 1) * sizeof *keys);
    for (j = 0; j < nh; j++) {
      if (j == col)
        continue;
      keys[nk].key = head[j];
      keys[nk++].value = j < nf ? f[j] : "";
    }
    json_object_array_add(arr, recipient_doc(number, keys, nk));
  }
  return arr;
}

/** listRecipient from mobile=N[,N...] with keys=NAME=value&NAME2=value. */
static json_object *recipients_from_params(mediasflow *mf, smsmux_call *call,
                                           const char *mobile,
                                           const char *keys_s)
{
  const smsmux_host *h = mf->host;
  smsmux_kv *keys = NULL;
  size_t nk = 0, n, i;
  char **numbers;
  json_object *arr;

  if (keys_s != NULL)
    nk = h->parse_pairs(call, keys_s, "&", '=', &keys);
  n = h->split(call, mobile, ",", &numbers);
  arr = json_object_new_array();
  for (i = 0; i < n; i++) {
    const char *number;
    if (numbers[i][0] == '\0')
      continue;
    number = mf_number(mf, call, numbers[i]);
    if (number == NULL) {
      h->fail(call, SMSMUX_ERR_INPUT, NULL,
              "campaign-send: mobile \"%s\" is not a phone number",
              numbers[i]);
      json_object_put(arr);
      return NULL;
    }
    json_object_array_add(arr, recipient_doc(number, keys, nk));
  }
  return arr;
}

static int op_campaign_send(mediasflow *mf, smsmux_call *call,
                            const smsmux_kv *params, size_t n)
{
  const smsmux_host *h = mf->host;
  const char *file = mf->host->param(params, n, "file");
  const char *mobile = mf->host->param(params, n, "mobile");
  const char *keys = mf->host->param(params, n, "keys");
  const char *lists_id = mf->host->param(params, n, "listsId");
  const char *schedule = mf->host->param(params, n, "scheduleOn");
  const char *ucs2 = mf->host->param(params, n, "allowUCS2");
  const char *defaults = mf->host->param(params, n, "defaultForHeader");
  json_object *recipients = NULL, *doc;
  campaign_opts o;
  campaign_answer a;
  size_t i;
  int sources;

  sources = (file != NULL && *file != '\0') + (mobile != NULL && *mobile != '\0');
  if (sources + (lists_id != NULL && *lists_id != '\0') == 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "campaign-send needs recipients: file=LIST.csv, "
                   "mobile=NUMBER[,NUMBER...] or listsId=ID");
  if (sources > 1)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "campaign-send: give file= or mobile=, not both");
  if (keys != NULL && (mobile == NULL || *mobile == '\0'))
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "campaign-send: keys= personalises the mobile= "
                   "recipients; a file's columns personalise its own");
  if (lists_id != NULL && *lists_id != '\0' &&
      h->parse_uint(lists_id, 0, ULLONG_MAX, NULL) != 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "campaign-send: listsId=%s is not a list id (the id "
                   "list-upload answered)",
                   lists_id);

  campaign_opts_init(mf, &o);
  o.msg = mf->host->param(params, n, "msg");
  o.sender = mf->host->param(params, n, "sender");
  o.lists_id = lists_id != NULL && *lists_id != '\0' ? lists_id : NULL;
  o.user_owner_id = mf->host->param(params, n, "userOwnerID");
  if (campaign_opts_read(mf, call, NULL, params, n, &o) != 0 ||
      (ucs2 != NULL &&
       campaign_opt(mf, call, "campaign-send:", "allowUCS2", ucs2, &o) != 0))
    goto fail;
  if (check_sender(mf, call, o.sender) != 0)
    goto fail;
  if (schedule != NULL) {
    int64_t at;
    if (parse_schedule(schedule, &at) != 0) {
      h->fail(call, SMSMUX_ERR_INPUT, NULL,
              "campaign-send: scheduleOn=%s is not valid: use the UTC form "
              "yyyy-MM-ddTHH:mm:ssZ, e.g. 2021-06-24T09:30:58Z",
              schedule);
      goto fail;
    }
    if (check_schedule(mf, call, at, schedule, 0) != 0)
      goto fail;
    o.schedule_on = schedule;
  }
  if (defaults != NULL) {
    smsmux_kv *pairs;
    size_t np = h->parse_pairs(call, defaults, "&", '=', &pairs);
    o.default_for_header = json_object_new_object();
    for (i = 0; i < np; i++)
      json_object_object_add(o.default_for_header, pairs[i].key,
                             json_object_new_string(pairs[i].value));
  }
  if (file != NULL && *file != '\0')
    recipients = recipients_from_csv(mf, call, file);
  else if (mobile != NULL && *mobile != '\0')
    recipients = recipients_from_params(mf, call, mobile, keys);
  if (sources > 0 && recipients == NULL)
    goto fail;

  doc = campaign_doc(&o, recipients);
  campaign_opts_free(&o);
  if (doc == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  if (campaign_post(mf, call, doc, 1, "the campaign", &a) != 0)
    return -1;
  record_of(mf, call, a.doc);
  json_object_put(a.doc);
  return 0;
fail:
  campaign_opts_free(&o);
  return -1;
}

static int op_campaign_inject(mediasflow *mf, smsmux_call *call,
                              const smsmux_kv *params, size_t n)
{
  const char *id = mf->host->param(params, n, "campaignId");
  campaign_answer a;

  if (check_campaign_id(mf, call, id) != 0 ||
      campaign_inject(mf, call, id, &a) != 0)
    return -1;
  record_of(mf, call, a.doc);
  json_object_put(a.doc);
  return 0;
}

/* ---- reports ---- */

/** Query parameters named in `order` that were given, in that order. */
static size_t op_query(const mediasflow *mf, const smsmux_kv *params,
                       size_t n, const char *const *order, smsmux_kv *q,
                       size_t max)
{
  size_t i, k = 0;

  for (i = 0; order[i] != NULL && k < max; i++) {
    const char *v = mf->host->param(params, n, order[i]);
    if (v == NULL)
      continue;
    q[k].key = order[i];
    q[k++].value = v;
  }
  return k;
}

/** GET the report at `path` with `q` and give its rows as records: CSV
    with `csv`, else JSON. */
static int op_report_get(mediasflow *mf, smsmux_call *call, const char *path,
                         const smsmux_kv *q, size_t nq, int csv,
                         const char *what)
{
  smsmux_http_response resp;

  if (mf_get(mf, call, path, q, nq, &resp) != 0)
    return -1;
  if (resp.status < 200 || resp.status > 299)
    return answer_fail(mf, call, &resp, 0, what);
  return csv ? records_of_csv(mf, call, &resp, what)
             : records_of_answer(mf, call, &resp, what, 0);
}

static int op_report(mediasflow *mf, smsmux_call *call,
                     const smsmux_kv *params, size_t n, int csv)
{
  static const char *const order_csv[] = {"status", "details", NULL};
  static const char *const order_json[] = {"status", NULL};
  const smsmux_host *h = mf->host;
  const char *id = mf->host->param(params, n, "campaignId");
  smsmux_kv q[4];
  size_t nq;

  if (check_campaign_id(mf, call, id) != 0)
    return -1;
  nq = op_query(mf, params, n, csv ? order_csv : order_json, q, 4);
  return op_report_get(mf, call,
                       h->strf(call, csv ? "/campaigns/report/%s"
                                         : "/campaigns/reportjson/%s",
                               id),
                       q, nq, csv,
                       h->strf(call, "the report of campaign %s", id));
}

static int op_report_period(mediasflow *mf, smsmux_call *call,
                            const smsmux_kv *params, size_t n, int csv)
{
  /* the order of the guide's tables */
  static const char *const order_csv[] = {"userID", "keyField", "status",
                                          "types",  "from",     "to",
                                          "search", NULL};
  static const char *const order_json[] = {"userID", "status", "types",
                                           "from",   "to",     "search",
                                           NULL};
  const char *from = mf->host->param(params, n, "from");
  const char *to = mf->host->param(params, n, "to");
  const char *what = csv ? "the CSV report of the period"
                         : "the report of the period";
  smsmux_kv q[8];
  size_t nq;

  if (to != NULL && *to == '\0')
    to = NULL;
  if (period_check(mf, call, from, to,
                   csv ? "report-period-csv:" : "report-period-json:") != 0)
    return -1;
  nq = op_query(mf, params, n, csv ? order_csv : order_json, q, 8);
  return op_report_get(mf, call,
                       csv ? "/campaigns/report/" : "/campaigns/reportjson/",
                       q, nq, csv, what);
}

/* ---- blacklist ---- */

static int op_blacklist_add(mediasflow *mf, smsmux_call *call,
                            const smsmux_kv *params, size_t n)
{
  const smsmux_host *h = mf->host;
  const char *item = mf->host->param(params, n, "item");
  const char *type = mf->host->param(params, n, "typeItem");
  const char *desc = mf->host->param(params, n, "createdDescription");
  const char *brand = mf->host->param(params, n, "brand");
  smsmux_http_response resp;
  json_object *doc;

  /* "typeItem" (the table's "typeltem" is the PDF's reading of it) is
     required by the guide; MOBILE unless said */
  if (type == NULL || *type == '\0')
    type = "MOBILE";
  if (strcmp(type, "MOBILE") != 0 && strcmp(type, "EMAIL") != 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "blacklist-add: typeItem=%s is not valid: use MOBILE or "
                   "EMAIL",
                   type);
  if (strcmp(type, "MOBILE") == 0) {
    /* the guide's example: "item": "+33685812475" */
    const char *e164 = h->number_normalise(call, item);
    if (e164 == NULL || e164[0] != '+')
      return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                     "blacklist-add: item \"%s\" is not a phone number",
                     item);
    item = e164;
  }
  doc = json_object_new_object();
  json_object_object_add(doc, "item", json_object_new_string(item));
  json_object_object_add(doc, "typeItem", json_object_new_string(type));
  if (desc != NULL) /* as given: the guide's example starts with a space */
    json_object_object_add(doc, "createdDescription",
                           json_object_new_string(desc));
  if (brand != NULL)
    json_object_object_add(doc, "brand", json_object_new_string(brand));
  if (mf_post_json(mf, call, "/blacklist", doc, 0, &resp) != 0)
    return -1;
  if (resp.status < 200 || resp.status > 299)
    return answer_fail(mf, call, &resp, 1,
                       h->strf(call, "adding %s to the blacklist", item));
  if (resp.body_len == 0) {
    h->begin_record(call);
    h->add_result(call, "item", item);
    h->add_result(call, "typeItem", type);
    return 0;
  }
  return records_of_answer(mf, call, &resp, "the blacklist addition", 1);
}

static int op_blacklist_list(mediasflow *mf, smsmux_call *call)
{
  smsmux_http_response resp;

  /* 2.8 names no path: GET on the path of 2.7 */
  if (mf_get(mf, call, "/blacklist", NULL, 0, &resp) != 0)
    return -1;
  if (resp.status < 200 || resp.status > 299)
    return answer_fail(mf, call, &resp, 0, "the blacklist");
  return records_of_answer(mf, call, &resp, "the blacklist", 0);
}

/* ---- list upload ---- */

static int op_list_upload(mediasflow *mf, smsmux_call *call,
                          const smsmux_kv *params, size_t n)
{
  const smsmux_host *h = mf->host;
  const char *file = mf->host->param(params, n, "file");
  const char *filename = mf->host->param(params, n, "filename");
  const char *description = mf->host->param(params, n, "description");
  const char *owner = mf->host->param(params, n, "userOwnerID");
  const char *data, *base;
  size_t len = 0, np = 0;
  smsmux_http_part parts[4];
  smsmux_http_request req;
  smsmux_http_response resp;

  data = h->read_file(call, file, &len);
  if (data == NULL)
    return -1;
  base = strrchr(file, '/');
  base = base != NULL ? base + 1 : file;
  if (filename == NULL || *filename == '\0')
    filename = base; /* "filename: Oui": the file's own name by default */
  memset(parts, 0, sizeof parts);
  /* the order of the guide's table; the file as it is (Mediasflow detects
     its charset: "charsetDetected") */
  if (owner != NULL && *owner != '\0') {
    parts[np].name = "userOwnerID";
    parts[np].data = owner;
    parts[np++].len = strlen(owner);
  }
  if (description != NULL && *description != '\0') {
    parts[np].name = "description";
    parts[np].data = description;
    parts[np++].len = strlen(description);
  }
  parts[np].name = "filename";
  parts[np].data = filename;
  parts[np++].len = strlen(filename);
  parts[np].name = "File";
  parts[np].data = data;
  parts[np].len = len;
  parts[np].filename = *base != '\0' ? base : "list.csv";
  parts[np++].content_type = "text/csv";

  memset(&req, 0, sizeof req);
  req.method = SMSMUX_HTTP_POST;
  req.path = "/lists/upload";
  req.body_kind = SMSMUX_BODY_MULTIPART;
  req.parts = parts;
  req.n_parts = np;
  if (mf_http(mf, call, &req, &resp) != 0)
    return -1;
  if (resp.status < 200 || resp.status > 299)
    return answer_fail(mf, call, &resp, 1,
                       h->strf(call, "the upload of %s", file));
  return records_of_answer(mf, call, &resp, "the list upload", 1);
}

static int mf_call(void *state, smsmux_call *call, const char *name,
                   const smsmux_kv *params, size_t n)
{
  mediasflow *mf = state;

  /* the host calls only the operations of mf_operations, with parameters
     it has checked against their lists */
  if (strcmp(name, "campaign-send") == 0)
    return op_campaign_send(mf, call, params, n);
  if (strcmp(name, "campaign-inject") == 0)
    return op_campaign_inject(mf, call, params, n);
  if (strcmp(name, "report-csv") == 0)
    return op_report(mf, call, params, n, 1);
  if (strcmp(name, "report-json") == 0)
    return op_report(mf, call, params, n, 0);
  if (strcmp(name, "report-period-json") == 0)
    return op_report_period(mf, call, params, n, 0);
  if (strcmp(name, "report-period-csv") == 0)
    return op_report_period(mf, call, params, n, 1);
  if (strcmp(name, "blacklist-add") == 0)
    return op_blacklist_add(mf, call, params, n);
  if (strcmp(name, "blacklist-list") == 0)
    return op_blacklist_list(mf, call);
  if (strcmp(name, "list-upload") == 0)
    return op_list_upload(mf, call, params, n);
  return mf->host->fail(call, SMSMUX_ERR_UNSUPPORTED, NULL,
                        "Mediasflow has no operation %s", name);
}
