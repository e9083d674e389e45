/*
 * smsmode.c - the sMsmode HTTP API 1.6 provider plugin.
 *
 * Speaks ../shared/providers/smsmode-http.txt (sMsmode "API HTTP", version
 * 3.1 of the guide): GET (or POST beyond 300 recipients) of
 * base_url + "/sendSMS.do" with the account's `accessToken`, answers of the
 * form `code | description | id` in ISO-8859-15.
 *
 *   send      sendSMS.do (GSM text in ISO-8859-15, unicode text in UTF-8
 *             with classe_msg=9), sendVoiceMessage.do for voice
 *   status    compteRendu.do (per recipient), falling back to smsStatus.do
 *   balance   credit.do
 *   replies   responseList.do
 *   cancel    deleteSMS.do
 *   call      sub-accounts, credit transfer, contacts, SMS list and status,
 *             batch send of a CSV file, API key creation (http/2.0)
 *
 * The plugin keeps no mutable state: the instance holds the host table and
 * copies of its configuration, written once in open and only read after,
 * so any number of threads may use one instance at once.
 */
#include <smsmux/plugin-helpers.h>
#include <smsmux/provider.h>

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SMSMODE_VERSION "1.0.0"
#define SMSMODE_CHARSET "ISO-8859-15"

/* The guide: "seule la méthode POST permet l'envoi de SMS à plus de 300
   destinataires en une seule requête" - GET carries at most 300 numbers. */
#define SMSMODE_GET_MAX_RECIPIENTS 300

/* The guide sets no limit on POST.  We cap one request at 1000 numbers:
   the numero list then stays around 13 KB of form body, one refused or
   timed-out request affects a bounded number of recipients (an unknown
   outcome for 1000 people is already a lot to reconcile), and the answer
   (one smsID for the whole list) comes back well within the default
   timeout.  The core splits longer lists into several messages. */
#define SMSMODE_MAX_RECIPIENTS 1000

/* The most query or form parameters one request carries (sub-account
   creation: accessToken + 14). */
#define SMSMODE_MAX_PARAMS 24

/* date_envoi, startDate and endDate: ddmmyyyy-hh:mm, in local time */
#define SMSMODE_DATE_FORMAT "%d%m%Y-%H:%M"

/* ----------------------------------------------------------- instance -- */

/** One configured instance: the host table and copies of its config.
    The send defaults (stop, reply, notification URLs, voice title and
    language) are read through the host at each send. */
typedef struct smsmode {
  const smsmux_host *host;
  const char *access_token; /* borrowed from the host until close */
  const char *base_url;
} smsmode;

static int smsmode_open(const smsmux_host *host, smsmux_call *call,
                        void **state);
static void smsmode_close(void *state);
static int smsmode_send(void *state, smsmux_call *call,
                        const smsmux_message *msg);
static int smsmode_status(void *state, smsmux_call *call, const char *id);
static int smsmode_balance(void *state, smsmux_call *call);
static int smsmode_replies(void *state, smsmux_call *call,
                           const smsmux_reply_query *q);
static int smsmode_cancel(void *state, smsmux_call *call, const char *id);
static int smsmode_call(void *state, smsmux_call *call, const char *op,
                        const smsmux_kv *params, size_t n_params);
static int smsmode_inbound(void *state, smsmux_call *call,
                           const smsmux_inbound *in);

/* ------------------------------------------------------- descriptor --- */

static const smsmux_config_key smsmode_config_keys[] = {
    {"access_token", SMSMUX_KEY_REQUIRED | SMSMUX_KEY_SECRET,
     "API key (accessToken) of the sMsmode account"},
    {"stop", 0,
     "default STOP mention: 1 (only when it costs no extra SMS) or 2 (always)"},
    {"notification_url", 0, "default URL sMsmode calls with delivery reports"},
    {"notification_url_reponse", 0,
     "default URL sMsmode calls with incoming replies"},
    {"voice_title", 0, "default title read before voice messages"},
    {"voice_language", 0,
     "default voice language: fr-FR, en-GB, de-DE or es-ES"},
    {"reply", 0,
     "yes: send SMS that can be answered (classe_msg=4, no custom sender)"},
    {NULL, 0, NULL}};

/* Operation parameter lists: required first, '?' marks optional.  The
   order in which they go on the wire is in smsmode_ops below. */
static const char *const params_sub_account_create[] = {
    "newPseudo", "newPass", "reference?", "nom?",   "prenom?",
    "societe?",  "adresse?", "ville?",    "codePostal?", "mobile?",
    "telephone?", "fax?",   "email?",     "date?",  NULL};
static const char *const params_sub_account_delete[] = {"pseudoToDelete",
                                                        NULL};
static const char *const params_credit_transfer[] = {
    "targetPseudo", "creditAmount", "reference?", NULL};
static const char *const params_contact_add[] = {
    "nom", "mobile", "prenom?", "groupes?", "societe?", "other?", "date?",
    NULL};
static const char *const params_sms_list[] = {"offset?", NULL};
static const char *const params_sms_status[] = {"smsID", NULL};
static const char *const params_batch_send[] = {
    "file",   "classe_msg?", "date_envoi?",       "refClient?",
    "emetteur?", "nbr_msg?", "notification_url?", NULL};
static const char *const params_none[] = {NULL};

static const smsmux_operation smsmode_operations[] = {
    {"sub-account-create", "create a sub-account (createSubAccount.do)",
     params_sub_account_create},
    {"sub-account-delete", "delete a sub-account (deleteSubAccount.do)",
     params_sub_account_delete},
    {"credit-transfer",
     "move whole credits to another account (creditTransfert.do)",
     params_credit_transfer},
    {"contact-add", "add a contact to the address book (addContact.do)",
     params_contact_add},
    {"sms-list", "list the last SMS sent (smsList.do)", params_sms_list},
    {"sms-status", "status of a message or campaign (smsStatus.do)",
     params_sms_status},
    {"batch-send",
     "send personalised SMS from a CSV file (sendSMSBatch.do)",
     params_batch_send},
    {"api-key-create", "create a new API key (http/2.0 createAuthorisation.do)",
     params_none},
    {NULL, NULL, NULL}};

/* The --option names send reads (see send_options_read). */
static const char *const smsmode_send_options[] = {
    "stop",    "reply", "notification_url", "notification_url_reponse",
    "nbr_msg", "title", "language",         NULL};

static const smsmux_provider smsmode_provider = {
    .size = sizeof(smsmux_provider),
    .abi_major = SMSMUX_ABI_MAJOR,
    .abi_minor = SMSMUX_ABI_MINOR,
    .name = "smsmode",
    .version = SMSMODE_VERSION,
    .summary = "sMsmode HTTP API 1.6 (api.smsmode.com)",
    .capabilities = SMSMUX_CAP_SMS | SMSMUX_CAP_UNICODE | SMSMUX_CAP_VOICE |
                    SMSMUX_CAP_SCHEDULE | SMSMUX_CAP_CANCEL |
                    SMSMUX_CAP_STATUS | SMSMUX_CAP_REPLIES |
                    SMSMUX_CAP_BALANCE | SMSMUX_CAP_ALPHA_SENDER |
                    SMSMUX_CAP_NOTIFY_URL,
    .max_recipients = SMSMODE_MAX_RECIPIENTS,
    .max_text_length = 0,
    .max_segments = 5, /* nbr_msg: "valeur par défaut 5" */
    .max_sender_length = 11, /* emetteur: "Maximum 11 caractères" */
    .default_base_url = "https://api.smsmode.com/http/1.6",
    .config_keys = smsmode_config_keys,
    .operations = smsmode_operations,
    .open = smsmode_open,
    .close = smsmode_close,
    .send = smsmode_send,
    .status = smsmode_status,
    .balance = smsmode_balance,
    .replies = smsmode_replies,
    .cancel = smsmode_cancel,
    .call = smsmode_call,
    .send_options = smsmode_send_options,
    .inbound = smsmode_inbound,
};

/* provider.h declares no prototype; this one keeps -Wmissing-prototypes
   quiet */
SMSMUX_PROVIDER_ENTRY_DECL { return &smsmode_provider; }

/* ------------------------------------------------------ status table --- */

/* Delivery statuses of the guide, one table for its three lists: the
   compteRendu.do list (item 4), the smsStatus.do list (item 11) and the
   "Annexe : liste récapitulative des statuts".  Where they differ the
   Annexe wording is kept.  smsStatus.do also uses 32, 35 and 61 as error
   answers (authentication, parameters, unknown smsID): those are handled as
   errors there (smsmode_status_is_error), never looked up here - note that
   35 means "Erreur réception" in the two other lists, and smsStatus.do
   reports that as 39. */
static const smsmux_status_map smsmode_statuses[] = {
    {"0", SMSMUX_STATUS_SENT, "Envoyé"},
    {"1", SMSMUX_STATUS_ACCEPTED, "En cours"},
    {"2", SMSMUX_STATUS_REJECTED, "Erreur interne"},
    {"10", SMSMUX_STATUS_SCHEDULED, "Programmé"},
    {"11", SMSMUX_STATUS_DELIVERED, "Reçu"},
    /* some recipients delivered, others pending: handed to operators */
    {"12", SMSMUX_STATUS_SENT, "Partiellement délivré"},
    {"13", SMSMUX_STATUS_SENT, "Délivré opérateur (statut temporaire)"},
    {"14", SMSMUX_STATUS_DELIVERED, "Délivré"},
    {"15", SMSMUX_STATUS_SENT, "Partiellement reçu"},
    {"16", SMSMUX_STATUS_DELIVERED, "Ecouté"}, /* voice: listened to */
    {"21", SMSMUX_STATUS_UNDELIVERED, "Non délivrable"},
    {"22", SMSMUX_STATUS_REJECTED, "Rejeté"},
    {"33", SMSMUX_STATUS_REJECTED, "Non envoyé - crédit insuffisant"},
    {"34", SMSMUX_STATUS_UNDELIVERED, "Erreur routage"},
    {"35", SMSMUX_STATUS_UNDELIVERED, "Erreur réception"},
    {"36", SMSMUX_STATUS_REJECTED, "Erreur message"},
    {"37", SMSMUX_STATUS_EXPIRED, "Message expiré"},
    {"38", SMSMUX_STATUS_REJECTED, "Message trop long"},
    {"39", SMSMUX_STATUS_UNDELIVERED, "Erreur réception"}, /* smsStatus.do */
    {"40", SMSMUX_STATUS_UNKNOWN, "Modèle"}, /* a template, never sent */
    {"50", SMSMUX_STATUS_UNDELIVERED, "Non délivré"},
    {"100", SMSMUX_STATUS_DELIVERED, "Lu"},
    {"101", SMSMUX_STATUS_DELIVERED, "Non lu"}, /* delivered, not yet read */
    {"999", SMSMUX_STATUS_UNKNOWN, "Indéfini"},
    /* temporary operator errors: the platform keeps trying */
    {"3501", SMSMUX_STATUS_SENT, "Erreur temporaire opérateur"},
    {"3502", SMSMUX_STATUS_SENT, "Erreur temporaire absence"},
    {"3503", SMSMUX_STATUS_SENT, "Erreur temporaire téléphone"},
    {"3504", SMSMUX_STATUS_SENT, "Erreur temporaire portabilité"},
    /* permanent errors: given up */
    {"3521", SMSMUX_STATUS_UNDELIVERED, "Erreur permanente opérateur"},
    {"3522", SMSMUX_STATUS_UNDELIVERED, "Erreur permanente absence"},
    {"3523", SMSMUX_STATUS_UNDELIVERED, "Erreur permanente téléphone"},
    {"3524", SMSMUX_STATUS_REJECTED, "Erreur permanente anti spam"},
    {"3525", SMSMUX_STATUS_UNDELIVERED, "Erreur permanente contenu"},
    {"3526", SMSMUX_STATUS_UNDELIVERED, "Erreur permanente portabilité"},
    {"3527", SMSMUX_STATUS_UNDELIVERED, "Erreur permanente roaming"},
    {"3560", SMSMUX_STATUS_UNDELIVERED, "Erreur non routable"},
    {"3599", SMSMUX_STATUS_UNDELIVERED, "Erreur autre"},
    {"3998", SMSMUX_STATUS_REJECTED, "Destinataire invalide"},
    {"3999", SMSMUX_STATUS_REJECTED, "Destinataire blacklisté"},
    {NULL, SMSMUX_STATUS_UNKNOWN, NULL}};

/* ------------------------------------------------------ error answers -- */

/* The answer codes the guide lists for its requests, as error classes,
   with what the user can do. */
static const smsmux_error_map smsmode_errors[] = {
    /* "Erreur interne": the request was refused as a whole */
    {"31", SMSMUX_ERR_TEMPORARY,
     "sMsmode internal error, nothing was accepted: try again later"},
    {"32", SMSMUX_ERR_AUTH,
     "authentication failed: check access_token, the sMsmode API key"},
    {"33", SMSMUX_ERR_CREDIT, "not enough credit on the sMsmode account"},
    {"35", SMSMUX_ERR_INVALID, "a parameter is missing or wrong"},
    {"41", SMSMUX_ERR_INVALID,
     "account identifier refused (already exists, or does not exist)"},
    {"50", SMSMUX_ERR_TEMPORARY,
     "sMsmode is temporarily unavailable: try again later"},
    {"61", SMSMUX_ERR_INVALID, "not found (unknown, deleted or too old)"},
    {NULL, SMSMUX_OK, NULL}};

/* ------------------------------------------------------------ helpers --- */

/** Query or form parameters in the order they go on the wire. */
typedef struct smsmode_params {
  smsmux_kv kv[SMSMODE_MAX_PARAMS];
  size_t n;
} smsmode_params;

static const char *const smsmode_secret_params[] = {"accessToken", NULL};
/* createSubAccount.do also carries the new account's password */
static const char *const smsmode_secret_params_sub_account[] = {
    "accessToken", "newPass", NULL};

static void params_add(smsmode_params *p, const char *key, const char *value)
{
  if (value == NULL || p->n >= SMSMODE_MAX_PARAMS)
    return;
  p->kv[p->n].key = key;
  p->kv[p->n].value = value;
  p->n++;
}

/** Parameters that start with the account's accessToken. */
static void params_init(smsmode_params *p, const smsmode *sm)
{
  p->n = 0;
  params_add(p, "accessToken", sm->access_token);
}

static int valid_stop(const char *s)
{
  return strcmp(s, "1") == 0 || strcmp(s, "2") == 0;
}

static int valid_url(const char *s)
{
  return (strncasecmp(s, "http://", 7) == 0 && s[7] != '\0') ||
         (strncasecmp(s, "https://", 8) == 0 && s[8] != '\0');
}

/** `s`, or NULL when it is NULL or empty: an empty key or option is
    unset. */
static const char *nonempty(const char *s)
{
  return s != NULL && *s != '\0' ? s : NULL;
}

/* "Les valeurs possibles sont fr-FR, en-GB, de-DE, es-ES" */
static int valid_language(const char *s)
{
  static const char *const languages[] = {"fr-FR", "en-GB", "de-DE",
                                          "es-ES"};
  size_t i;

  for (i = 0; i < sizeof languages / sizeof languages[0]; i++)
    if (strcmp(s, languages[i]) == 0)
      return 1;
  return 0;
}

/** 1 when `s` is a date in the guide's ddmmyyyy-hh:mm format. */
static int valid_provider_date(const char *s)
{
  static const char shape[] = "99999999-99:99";
  size_t i;

  if (strlen(s) != sizeof shape - 1)
    return 0;
  for (i = 0; shape[i] != '\0'; i++) {
    if (shape[i] == '9' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
      return 0;
  }
  return 1;
}

/* ------------------------------------------------------------ requests -- */

static smsmux_error_class unreadable_class(int sending);

/** Perform one request.  Returns 0 with a 2xx response in *resp, or -1
    after the host recorded the failure (transport, or an HTTP status that
    is not a success; `sending`: the request may have changed something,
    else it only reads and a timeout is no unknown outcome). */
static int smsmode_http(const smsmode *sm, smsmux_call *call,
                        smsmux_http_request *req, int sending,
                        smsmux_http_response *resp)
{
  req->size = sizeof *req;
  req->accepts_nothing = !sending;
  if (req->secret_params == NULL)
    req->secret_params = smsmode_secret_params;
  memset(resp, 0, sizeof *resp);
  resp->size = sizeof *resp;
  if (sm->host->http(call, req, resp) != 0)
    return -1;
  if (resp->status < 200 || resp->status > 299)
    return sm->host->fail_http(call, resp, sending);
  if (resp->body == NULL) {
    resp->body = "";
    resp->body_len = 0;
  }
  /* sMsmode answers text: a NUL byte before the end cuts it, and what
     precedes it ("0 | Accepté") must not pass for the whole answer */
  if (memchr(resp->body, '\0', resp->body_len) != NULL)
    return sm->host->fail(call, unreadable_class(sending), NULL,
                          "sMsmode sent an unreadable answer (a NUL byte at "
                          "offset %zu of %zu)%s: \"%s\"",
                          (size_t)((const char *)memchr(resp->body, '\0',
                                                         resp->body_len) -
                                   resp->body),
                          resp->body_len,
                          sending ? ", the request may have been carried out"
                                  : "",
                          sm->host->excerpt(call, resp->body, resp->body_len));
  return 0;
}

/** GET `path` with query `q`. */
static int smsmode_get(const smsmode *sm, smsmux_call *call, const char *path,
                       const smsmode_params *q, int sending,
                       smsmux_http_response *resp)
{
  smsmux_http_request req;

  memset(&req, 0, sizeof req);
  req.method = SMSMUX_HTTP_GET;
  req.path = path;
  req.query = q->kv;
  req.n_query = q->n;
  req.body_kind = SMSMUX_BODY_NONE;
  return smsmode_http(sm, call, &req, sending, resp);
}

/** GET `path` about message `id` (smsID). */
static int smsmode_get_id(const smsmode *sm, smsmux_call *call,
                          const char *path, const char *id, int sending,
                          smsmux_http_response *resp)
{
  smsmode_params q;

  if (id == NULL || *id == '\0')
    return sm->host->fail(call, SMSMUX_ERR_INVALID, NULL,
                          "no message id given");
  params_init(&q, sm);
  params_add(&q, "smsID", id);
  return smsmode_get(sm, call, path, &q, sending, resp);
}

/** POST `path` with `form` as application/x-www-form-urlencoded. */
static int smsmode_post_form(const smsmode *sm, smsmux_call *call,
                             const char *path, const smsmode_params *form,
                             int sending, smsmux_http_response *resp)
{
  smsmux_http_request req;

  memset(&req, 0, sizeof req);
  req.method = SMSMUX_HTTP_POST;
  req.path = path;
  req.body_kind = SMSMUX_BODY_FORM;
  req.form = form->kv;
  req.n_form = form->n;
  return smsmode_http(sm, call, &req, sending, resp);
}

/* ------------------------------------------------------------ answers --- */

/** The longest message id taken from an answer (the simulator's and the
    document's are 12 characters). */
#define SMSMODE_MAX_ID 64

/** An answer `code | description | id`. */
typedef struct smsmode_answer {
  const char *code;        /* digits */
  unsigned long long code_value;
  const char *description; /* UTF-8, "" when absent */
  const char *id;          /* NULL when absent or empty */
} smsmode_answer;

/** Convert a field the provider wrote in ISO-8859-15 to UTF-8. */
static const char *from_provider(const smsmode *sm, smsmux_call *call,
                                 const char *s)
{
  const char *u;

  if (s == NULL || *s == '\0')
    return "";
  u = sm->host->from_charset(call, s, strlen(s), SMSMODE_CHARSET);
  return u != NULL ? u : s;
}

/** Parse a `code | description | id` answer.  Returns 0, or -1 when the
    body does not have that shape (nothing recorded). */
static int answer_parse(const smsmode *sm, smsmux_call *call,
                        const char *body, smsmode_answer *ans)
{
  char **f;
  size_t n;

  memset(ans, 0, sizeof *ans);
  n = sm->host->split(call, body, "|", &f);
  if (n < 1 || n > 3 || f == NULL || strlen(f[0]) > 6 ||
      sm->host->parse_uint(f[0], 0, 999999, &ans->code_value) != 0)
    return -1;
  /* a bare number on its own is no answer of this shape (credit.do) */
  ans->code = f[0];
  ans->description = n >= 2 ? from_provider(sm, call, f[1]) : "";
  ans->id = n >= 3 && f[2][0] != '\0' ? f[2] : NULL;
  /* an id is a short token (smsID, campagneID): anything else is no id
     sMsmode gave, and is not stored */
  if (ans->id != NULL &&
      (strlen(ans->id) > SMSMODE_MAX_ID ||
       strspn(ans->id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789-_.") != strlen(ans->id)))
    return -1;
  return 0;
}

/** Record the failure an error answer means; returns -1.  `what` says
    what was asked ("sending the SMS", "deleting message X"). */
static int answer_fail(const smsmode *sm, smsmux_call *call,
                       const smsmode_answer *ans, const char *what)
{
  /* looked up by value: "031" is 31 */
  const smsmux_error_map *e = sm->host->error_lookup(
      smsmode_errors, sm->host->strf(call, "%llu", ans->code_value));

  if (e != NULL)
    return sm->host->fail(call, e->cls, ans->code,
                          "sMsmode refused %s: %s %s (%s)", what, ans->code,
                          ans->description, e->text);
  return sm->host->fail(call, SMSMUX_ERR_PERMANENT, ans->code,
                        "sMsmode refused %s: %s %s", what, ans->code,
                        ans->description);
}

/** The class to use for an answer that does not parse. */
static smsmux_error_class unreadable_class(int sending)
{
  /* a state-changing request may have been carried out */
  return sending ? SMSMUX_ERR_UNKNOWN_OUTCOME : SMSMUX_ERR_TEMPORARY;
}

/** Parse an answer that must be `0 | ...` for success.  Returns 0 with
    *ans filled, or -1 after recording the failure. */
static int answer_expect_ok(const smsmode *sm, smsmux_call *call,
                            const smsmux_http_response *resp, int sending,
                            const char *what, smsmode_answer *ans)
{
  if (answer_parse(sm, call, resp->body, ans) != 0) {
    return sm->host->fail(call, unreadable_class(sending), NULL,
                          "sMsmode sent an unreadable answer to %s%s: \"%s\"",
                          what,
                          sending ? " (it may have been carried out)" : "",
                          sm->host->excerpt(call, resp->body, resp->body_len));
  }
  if (ans->code_value != 0)
    return answer_fail(sm, call, ans, what);
  return 0;
}

/* ------------------------------------------------------------- open ---- */

static int smsmode_open(const smsmux_host *host, smsmux_call *call,
                        void **state)
{
  smsmode *sm;
  const char *v;

  if (SMSMUX_NEED_HOST(host, call, "smsmode", 1, error_lookup) != 0)
    return -1;

  /* the send defaults are read at each send; they are checked here, so
     that a wrong one is a configuration error of the instance */
  v = nonempty(host->config_get(call, "stop"));
  if (v != NULL && !valid_stop(v))
    return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                      "stop = %s is not valid: use 1 (STOP mention only when "
                      "it costs no extra SMS) or 2 (always)",
                      v);
  v = nonempty(host->config_get(call, "reply"));
  if (v != NULL && host->parse_bool(v) < 0)
    return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                      "reply = %s is not valid: use yes or no", v);
  v = nonempty(host->config_get(call, "notification_url"));
  if (v != NULL && !valid_url(v))
    return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                      "notification_url = %s is not an http(s) URL", v);
  v = nonempty(host->config_get(call, "notification_url_reponse"));
  if (v != NULL && !valid_url(v))
    return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                      "notification_url_reponse = %s is not an http(s) URL",
                      v);
  v = nonempty(host->config_get(call, "voice_language"));
  if (v != NULL && !valid_language(v))
    return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                      "voice_language = %s is not valid: use fr-FR, en-GB, "
                      "de-DE or es-ES",
                      v);

  sm = calloc(1, sizeof *sm);
  if (sm == NULL)
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  sm->host = host;
  /* access_token is a required key: the host has checked it is set */
  v = host->config_get(call, "access_token");
  sm->access_token = v != NULL ? v : "";
  v = host->config_get(call, "base_url");
  sm->base_url = v != NULL ? v : smsmode_provider.default_base_url;
  *state = sm;
  return 0;
}

static void smsmode_close(void *state)
{
  smsmode *sm = state;

  if (sm == NULL)
    return;
  free(sm);
}

/* ------------------------------------------------------------- send ---- */

/** The options of one send. */
typedef struct send_options {
  const char *stop;
  int reply;
  const char *notification_url;
  const char *notification_url_reponse;
  const char *nbr_msg;
  const char *title;
  const char *language;
} send_options;

/** The options of one send: the message's --option KEY=VALUE, else the
    instance's key of the same name (checked by open; voice_title and
    voice_language for title and language).  An empty value leaves an
    option unset.  Returns 0, or -1 after recording INPUT naming the
    option and the accepted values (only a message's value can be wrong
    here: a typo of the user's, not something sMsmode refused). */
static int send_options_read(const smsmode *sm, smsmux_call *call,
                             const smsmux_message *msg, send_options *o)
{
  const smsmux_host *h = sm->host;
  int voice = msg->kind == SMSMUX_KIND_VOICE;
  const char *reply, *title, *language;
  unsigned long long num;

  memset(o, 0, sizeof *o);
  o->stop = nonempty(h->option(call, msg, "stop"));
  if (o->stop != NULL && !valid_stop(o->stop))
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "option stop=%s is not valid: use stop=1 (STOP mention "
                   "only when it costs no extra SMS) or stop=2 (always)",
                   o->stop);
  reply = nonempty(h->option(call, msg, "reply"));
  o->reply = reply != NULL ? h->parse_bool(reply) : 0;
  if (o->reply < 0)
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "option reply=%s is not valid: use reply=yes or reply=no",
                   reply);
  o->notification_url = nonempty(h->option(call, msg, "notification_url"));
  /* a host that receives pushes names its own URLs (1.2), unless the
     message or the instance names one */
  if (o->notification_url == NULL &&
      SMSMUX_HAS_MEMBER(msg, smsmux_message, notify_report_url))
    o->notification_url = nonempty(msg->notify_report_url);
  if (o->notification_url != NULL && !valid_url(o->notification_url))
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "option notification_url=%s is not an http(s) URL",
                   o->notification_url);
  o->notification_url_reponse =
      nonempty(h->option(call, msg, "notification_url_reponse"));
  if (o->notification_url_reponse == NULL &&
      SMSMUX_HAS_MEMBER(msg, smsmux_message, notify_reply_url))
    o->notification_url_reponse = nonempty(msg->notify_reply_url);
  if (o->notification_url_reponse != NULL &&
      !valid_url(o->notification_url_reponse))
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "option notification_url_reponse=%s is not an http(s) "
                   "URL",
                   o->notification_url_reponse);

  /* nbr_msg, title and language have no instance key of their name: a
     value here is the message's */
  o->nbr_msg = h->option(call, msg, "nbr_msg");
  if (o->nbr_msg != NULL) {
    if (h->parse_uint(o->nbr_msg, 1, 5, &num) != 0)
      return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                     "option nbr_msg=%s is not valid: use a number of SMS "
                     "from 1 to 5",
                     o->nbr_msg);
    if ((unsigned)num < msg->segments)
      h->log(call, SMSMUX_LOG_WARNING,
             "nbr_msg=%llu: sMsmode will cut this text, which takes %u SMS",
             num, msg->segments);
  }
  title = h->option(call, msg, "title");
  if (title != NULL && *title == '\0')
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "option title= is empty: give the title read before the "
                   "voice message");
  o->title = title != NULL ? title
                           : nonempty(h->config_get(call, "voice_title"));
  language = h->option(call, msg, "language");
  if (language != NULL && !valid_language(language))
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "option language=%s is not valid: use fr-FR, en-GB, "
                   "de-DE or es-ES",
                   language);
  o->language = language != NULL
                    ? language
                    : nonempty(h->config_get(call, "voice_language"));

  if (voice) {
    /* sendVoiceMessage.do takes message, numero, title, date_envoi and
       language only */
    if (o->stop != NULL || o->reply > 0 || o->notification_url != NULL ||
        o->notification_url_reponse != NULL || o->nbr_msg != NULL)
      h->log(call, SMSMUX_LOG_DEBUG,
             "voice message: stop, reply, notification URLs and nbr_msg "
             "do not apply and are not sent");
  } else if (title != NULL || language != NULL) {
    h->log(call, SMSMUX_LOG_DEBUG,
           "options title and language apply to voice messages only");
  }
  return 0;
}

/** The recipients as sMsmode wants them: 336..., comma-joined. */
static const char *join_numbers(const smsmode *sm, smsmux_call *call,
                                const smsmux_message *msg)
{
  const char **f;
  size_t i, len = 1;
  char *out, *p;

  f = sm->host->alloc(call, msg->n_to * sizeof *f + 1);
  if (f == NULL)
    return NULL;
  for (i = 0; i < msg->n_to; i++) {
    f[i] = sm->host->number_format(call, msg->to[i], SMSMUX_NUM_DIGITS);
    if (f[i] == NULL)
      return NULL;
    len += strlen(f[i]) + 1;
  }
  out = sm->host->alloc(call, len);
  if (out == NULL)
    return NULL;
  p = out;
  for (i = 0; i < msg->n_to; i++) {
    size_t l = strlen(f[i]);
    if (i > 0)
      *p++ = ',';
    memcpy(p, f[i], l);
    p += l;
  }
  *p = '\0';
  return out;
}

/** Text of a voice message: sMsmode reads ISO-8859-15 like SMS text. */
static const char *voice_text(const smsmode *sm, smsmux_call *call,
                              const smsmux_message *msg)
{
  const char *bytes, *back;
  size_t len = 0;

  bytes = sm->host->to_charset(call, msg->text, SMSMODE_CHARSET, &len);
  if (bytes == NULL)
    return NULL;
  back = sm->host->from_charset(call, bytes, len, SMSMODE_CHARSET);
  if (back != NULL && strcmp(back, msg->text) != 0)
    sm->host->log(call, SMSMUX_LOG_WARNING,
                  "voice text has characters ISO-8859-15 cannot hold; "
                  "sMsmode will read them as '?'");
  return bytes;
}

static int smsmode_send(void *state, smsmux_call *call,
                        const smsmux_message *msg)
{
  const smsmode *sm = state;
  const smsmux_host *h = sm->host;
  int voice = msg->kind == SMSMUX_KIND_VOICE;
  int unicode = msg->encoding == SMSMUX_ENC_UCS2;
  const char *numero, *text, *date = NULL, *path;
  const char *what = voice ? "the voice message" : "the SMS";
  smsmode_params p;
  send_options o;
  smsmux_http_response resp;
  smsmode_answer ans;
  size_t i;
  int rc;

  if (msg->kind != SMSMUX_KIND_SMS && !voice)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "sMsmode cannot send MMS: route it to a provider that "
                   "declares the mms capability");
  if (msg->n_to == 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL, "no recipient to send to");
  if (send_options_read(sm, call, msg, &o) != 0)
    return -1;

  if (voice && msg->from != NULL && *msg->from != '\0')
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "sMsmode voice messages cannot carry a sender ID "
                   "(sendVoiceMessage.do has no emetteur): drop --from");
  if (!voice && o.reply > 0 && msg->from != NULL && *msg->from != '\0')
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "sMsmode cannot use a custom sender (emetteur %s) with "
                   "reply=yes: an SMS that can be answered (classe_msg=4) is "
                   "sent from a sMsmode number; drop --from or reply",
                   msg->from);
  if (!voice && o.reply > 0 && unicode)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "sMsmode cannot send unicode text with reply=yes: unicode "
                   "needs classe_msg=9 and replies need classe_msg=4; use "
                   "GSM characters only or drop reply");

  numero = join_numbers(sm, call, msg);
  if (numero == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL,
                   "cannot format the recipient numbers");
  if (msg->at != 0) {
    date = h->format_time(call, msg->at, SMSMODE_DATE_FORMAT);
    if (*date == '\0')
      return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                     "cannot represent the send time %lld as a local date",
                     (long long)msg->at);
  }

  /* Parameter order follows the guide's examples so that a trace reads
     like them: accessToken, message, numero, then the options (voice:
     title before date_envoi; unicode: classe_msg=9 right after
     accessToken and emetteur before numero, as in item 16). */
  params_init(&p, sm);
  if (voice) {
    path = "/sendVoiceMessage.do";
    text = voice_text(sm, call, msg);
    if (text == NULL)
      return -1;
    params_add(&p, "message", text);
    params_add(&p, "numero", numero);
    params_add(&p, "title", o.title);
    params_add(&p, "date_envoi", date);
    params_add(&p, "language", o.language);
    if (msg->ref != NULL)
      h->log(call, SMSMUX_LOG_DEBUG,
             "voice message: sMsmode takes no refClient, --ref stays local");
  } else {
    path = "/sendSMS.do";
    if (unicode) {
      /* "Celui-ci doit être encodé en utilisant le jeu de caractères
         UTF-8": the text as it is, classe_msg=9 */
      params_add(&p, "classe_msg", "9");
      params_add(&p, "message", msg->text);
      params_add(&p, "emetteur", msg->from);
      params_add(&p, "numero", numero);
      params_add(&p, "date_envoi", date);
    } else {
      text = h->to_charset(call, msg->text, SMSMODE_CHARSET, NULL);
      if (text == NULL)
        return -1;
      params_add(&p, "message", text);
      params_add(&p, "numero", numero);
      params_add(&p, "date_envoi", date);
      params_add(&p, "emetteur", msg->from);
      if (o.reply > 0)
        params_add(&p, "classe_msg", "4");
    }
    params_add(&p, "nbr_msg", o.nbr_msg);
    params_add(&p, "notification_url", o.notification_url);
    params_add(&p, "notification_url_reponse", o.notification_url_reponse);
    /* after notification_url, as in the example of item 12 */
    params_add(&p, "refClient", msg->ref);
    params_add(&p, "stop", o.stop);
  }

  if (msg->n_to > SMSMODE_GET_MAX_RECIPIENTS)
    rc = smsmode_post_form(sm, call, path, &p, 1, &resp);
  else
    rc = smsmode_get(sm, call, path, &p, 1, &resp);
  if (rc != 0)
    return -1;

  if (answer_parse(sm, call, resp.body, &ans) != 0)
    return h->fail(call, SMSMUX_ERR_UNKNOWN_OUTCOME, NULL,
                   "sMsmode sent an unreadable answer to %s, which may have "
                   "been accepted: \"%s\"",
                   what, h->excerpt(call, resp.body, resp.body_len));
  if (ans.code_value != 0)
    return answer_fail(sm, call, &ans, what);

  if (ans.id != NULL)
    h->set_message_id(call, ans.id);
  else
    h->log(call, SMSMUX_LOG_WARNING,
           "sMsmode accepted %s but gave no smsID: status and cancel will "
           "not find it",
           what);
  for (i = 0; i < msg->n_to; i++)
    h->add_recipient(call, msg->to[i],
                     msg->at > (int64_t)time(NULL) ? SMSMUX_STATUS_SCHEDULED
                                                   : SMSMUX_STATUS_ACCEPTED,
                     NULL, ans.code, ans.description);
  return 0;
}

/* ----------------------------------------------------------- status ---- */

/** smsStatus.do uses these codes for errors, not for statuses. */
static int smsmode_status_is_error(unsigned long long code)
{
  return code == 31 || code == 32 || code == 35 || code == 61;
}

/** smsStatus.do about message `id`: `statut | description`, one status for
    the whole message (the campaign view).  Returns 0 with *ans and *def
    (its line of the table, NULL when the code is not there), or -1 after
    recording the failure. */
static int sms_status_read(const smsmode *sm, smsmux_call *call,
                           const char *id, smsmode_answer *ans,
                           const smsmux_status_map **def)
{
  const smsmux_host *h = sm->host;
  smsmux_http_response resp;

  if (smsmode_get_id(sm, call, "/smsStatus.do", id, 0, &resp) != 0)
    return -1;
  if (answer_parse(sm, call, resp.body, ans) != 0)
    return h->fail(call, SMSMUX_ERR_TEMPORARY, NULL,
                   "sMsmode sent an unreadable status of message %s: \"%s\"",
                   id, h->excerpt(call, resp.body, resp.body_len));
  if (smsmode_status_is_error(ans->code_value))
    return answer_fail(sm, call, ans,
                       h->strf(call, "the status of message %s", id));
  *def = h->status_lookup(smsmode_statuses, ans->code);
  return 0;
}

/** The smsStatus.do status of message `id`, reported with no recipient
    number. */
static int status_campaign(const smsmode *sm, smsmux_call *call,
                           const char *id)
{
  const smsmux_status_map *def;
  smsmode_answer ans;
  smsmux_status_record rec;

  if (sms_status_read(sm, call, id, &ans, &def) != 0)
    return -1;
  memset(&rec, 0, sizeof rec);
  rec.size = sizeof rec;
  rec.to = NULL;
  rec.status = def != NULL ? def->status : SMSMUX_STATUS_UNKNOWN;
  rec.code = ans.code;
  rec.text = *ans.description != '\0' ? ans.description
                                      : (def != NULL ? def->text : NULL);
  sm->host->add_status(call, &rec);
  return 0;
}

static int smsmode_status(void *state, smsmux_call *call, const char *id)
{
  const smsmode *sm = state;
  const smsmux_host *h = sm->host;
  smsmux_http_response resp;
  smsmode_answer ans;
  char **recs;
  size_t n, i, added = 0;

  if (smsmode_get_id(sm, call, "/compteRendu.do", id, 0, &resp) != 0)
    return -1;

  /* Either records `numero statut | numero statut | ...` or an error
     answer `code | description` (a first field without a space). */
  n = h->split(call, resp.body, "|", &recs);
  if (n >= 1 && h->parse_uint(recs[0], 0, ULLONG_MAX, NULL) == 0 &&
      answer_parse(sm, call, resp.body, &ans) == 0) {
    if (ans.code_value != 61)
      return answer_fail(sm, call, &ans,
                         h->strf(call, "the delivery reports of message %s",
                                 id));
    /* 61: no report for this id, which may be a campaign (batch) id */
    h->log(call, SMSMUX_LOG_DEBUG,
           "compteRendu.do: %s %s; asking smsStatus.do", ans.code,
           ans.description);
    return status_campaign(sm, call, id);
  }

  for (i = 0; i < n; i++) {
    char **tok;
    size_t nt;
    const smsmux_status_map *def;
    smsmux_status_record rec;

    if (recs[i][0] == '\0')
      continue;
    nt = h->split(call, recs[i], " ", &tok);
    if (nt < 2 || h->parse_uint(tok[nt - 1], 0, ULLONG_MAX, NULL) != 0)
      return h->fail(call, SMSMUX_ERR_TEMPORARY, NULL,
                     "sMsmode sent an unreadable delivery report for "
                     "message %s: \"%s\"",
                     id, h->excerpt(call, resp.body, resp.body_len));
    def = h->status_lookup(smsmode_statuses, tok[nt - 1]);
    memset(&rec, 0, sizeof rec);
    rec.size = sizeof rec;
    rec.to = h->number_normalise(call, tok[0]);
    rec.status = def != NULL ? def->status : SMSMUX_STATUS_UNKNOWN;
    rec.code = tok[nt - 1];
    rec.text = def != NULL ? def->text : "code not in the sMsmode tables";
    h->add_status(call, &rec);
    added++;
  }
  if (added > 0)
    return 0;
  h->log(call, SMSMUX_LOG_DEBUG,
         "compteRendu.do has no report for %s; asking smsStatus.do", id);
  return status_campaign(sm, call, id);
}

/* ---------------------------------------------------------- balance ---- */

static int smsmode_balance(void *state, smsmux_call *call)
{
  const smsmode *sm = state;
  const smsmux_host *h = sm->host;
  smsmode_params p;
  smsmux_http_response resp;
  smsmode_answer ans;
  char **f;
  char *end;
  double credit;

  params_init(&p, sm);
  if (smsmode_get(sm, call, "/credit.do", &p, 0, &resp) != 0)
    return -1;
  /* "un simple nombre" (negative for post-pay accounts); an error comes
     as `code | description` */
  if (strchr(resp.body, '|') != NULL) {
    if (answer_parse(sm, call, resp.body, &ans) == 0)
      return answer_fail(sm, call, &ans, "the balance request");
  } else if (h->split(call, resp.body, "|", &f) == 1 && f[0][0] != '\0') {
    errno = 0;
    credit = strtod(f[0], &end);
    if (errno == 0 && *end == '\0' && end != f[0]) {
      h->set_balance(call, credit, "credits");
      return 0;
    }
  }
  return h->fail(call, SMSMUX_ERR_TEMPORARY, NULL,
                 "sMsmode sent an unreadable balance: \"%s\"",
                 h->excerpt(call, resp.body, resp.body_len));
}

/* ---------------------------------------------------------- replies ---- */

/** Split a list answer into lines of `|`-separated fields; calls `line`
    for each non-empty line.  An answer that is a lone `code | description`
    is an error; returns -1 after recording it. */
typedef int (*list_line_fn)(const smsmode *sm, smsmux_call *call, char **f,
                            size_t n, void *ctx);

static int list_parse(const smsmode *sm, smsmux_call *call,
                      const smsmux_http_response *resp, size_t min_fields,
                      const char *what, list_line_fn line, void *ctx)
{
  const smsmux_host *h = sm->host;
  char **lines, **f;
  size_t n_lines, i, n;
  smsmode_answer ans;
  const char *body;

  /* the whole answer is ISO-8859-15 */
  body = resp->body_len > 0
             ? h->from_charset(call, resp->body, resp->body_len,
                               SMSMODE_CHARSET)
             : "";
  if (body == NULL)
    body = resp->body;
  n_lines = h->split(call, body, "\n", &lines);
  for (i = 0; i < n_lines; i++) {
    if (lines[i][0] == '\0')
      continue;
    n = h->split(call, lines[i], "|", &f);
    /* a list answer drops a trailing '|' (smsList.do ends lines with one) */
    if (n > 1 && f[n - 1][0] == '\0')
      n--;
    if (n < min_fields) {
      if (n_lines == 1 && n <= 3 &&
          h->parse_uint(f[0], 0, ULLONG_MAX, NULL) == 0 &&
          answer_parse(sm, call, lines[i], &ans) == 0) {
        ans.description = f[1] != NULL && n >= 2 ? f[1] : "";
        return answer_fail(sm, call, &ans, what);
      }
      return h->fail(call, SMSMUX_ERR_TEMPORARY, NULL,
                     "sMsmode sent an unreadable line in %s: \"%s\"",
                     what, h->excerpt(call, lines[i], strlen(lines[i])));
    }
    if (line(sm, call, f, n, ctx) != 0)
      return -1;
  }
  return 0;
}

/** Fields first..last (inclusive) joined with " | ": a text that held the
    separator itself. */
static const char *join_fields(const smsmode *sm, smsmux_call *call,
                               char **f, size_t first, size_t last)
{
  const char *s = f[first];
  size_t i;

  for (i = first + 1; i <= last; i++)
    s = sm->host->strf(call, "%s | %s", s, f[i]);
  return s;
}

static int reply_line(const smsmode *sm, smsmux_call *call, char **f,
                      size_t n, void *ctx)
{
  const smsmux_reply_query *q = ctx;
  smsmux_reply r;
  const char *message_id = f[n - 1];

  /* response_ID | reception_date | from | text | to | message_ID */
  if (q != NULL && q->id != NULL && *q->id != '\0' &&
      strcmp(q->id, message_id) != 0)
    return 0;
  memset(&r, 0, sizeof r);
  r.size = sizeof r;
  r.id = f[0][0] != '\0' ? f[0] : NULL;
  r.at = f[1][0] != '\0' ? f[1] : NULL;
  r.from = sm->host->number_normalise(call, f[2]);
  r.text = join_fields(sm, call, f, 3, n - 3);
  r.to = f[n - 2][0] != '\0' ? f[n - 2] : NULL;
  r.message_id = message_id[0] != '\0' ? message_id : NULL;
  sm->host->add_reply(call, &r);
  return 0;
}

static int smsmode_replies(void *state, smsmux_call *call,
                           const smsmux_reply_query *q)
{
  const smsmode *sm = state;
  const smsmux_host *h = sm->host;
  smsmode_params p;
  smsmux_http_response resp;
  unsigned start = 0, count = 0;
  int64_t since = 0, until = 0;

  if (q != NULL && SMSMUX_HAS_MEMBER(q, smsmux_reply_query, until)) {
    start = q->start;
    count = q->count;
    since = q->since;
    until = q->until;
  }
  params_init(&p, sm);
  if (since != 0 || until != 0) {
    /* "Ne peut pas être utilisé avec les paramètres startDate et
       endDate": pages and dates never go together */
    if (start != 0 || count != 0)
      return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                     "sMsmode lists replies either by page (--start, "
                     "--count) or by dates (--since, --until), not both");
    /* startDate needs endDate and the other way round: an open end is
       now; an open start is 30 days before the end, as far back as
       sMsmode keeps messages ("les 30 derniers jours"). */
    if (until == 0)
      until = (int64_t)time(NULL);
    if (since == 0)
      since = until - 30 * 86400;
    if (since > until)
      return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                     "--since is after --until");
    params_add(&p, "startDate",
               h->format_time(call, since, SMSMODE_DATE_FORMAT));
    params_add(&p, "endDate", h->format_time(call, until, SMSMODE_DATE_FORMAT));
  } else {
    if (start != 0)
      params_add(&p, "start", h->strf(call, "%u", start));
    if (count != 0)
      params_add(&p, "offset", h->strf(call, "%u", count));
  }
  if (smsmode_get(sm, call, "/responseList.do", &p, 0, &resp) != 0)
    return -1;
  return list_parse(sm, call, &resp, 6, "the list of replies", reply_line,
                    (void *)q);
}

/* ----------------------------------------------------------- cancel ---- */

static int smsmode_cancel(void *state, smsmux_call *call, const char *id)
{
  const smsmode *sm = state;
  const smsmux_host *h = sm->host;
  smsmux_http_response resp;
  smsmode_answer ans;

  if (smsmode_get_id(sm, call, "/deleteSMS.do", id, 1, &resp) != 0)
    return -1;
  if (answer_parse(sm, call, resp.body, &ans) != 0)
    return h->fail(call, SMSMUX_ERR_UNKNOWN_OUTCOME, NULL,
                   "sMsmode sent an unreadable answer to deleting message "
                   "%s (it may have been deleted): \"%s\"",
                   id, h->excerpt(call, resp.body, resp.body_len));
  if (ans.code_value == 61)
    return h->fail(call, SMSMUX_ERR_INVALID, ans.code,
                   "sMsmode: message %s not found (%s): already sent, "
                   "deleted, or not from this account",
                   id, ans.description);
  if (ans.code_value != 0)
    return answer_fail(sm, call, &ans,
                       h->strf(call, "deleting message %s", id));
  return 0;
}

/* ------------------------------------------------------- operations ---- */

/** Add the given params named in `order` (spec spelling) to `p`. */
static void op_params_add(const smsmode *sm, smsmode_params *p,
                          const char *const *order, const smsmux_kv *params,
                          size_t n)
{
  size_t i;

  for (i = 0; order[i] != NULL; i++)
    params_add(p, order[i], sm->host->param(params, n, order[i]));
}

/** Results of a `code | description | id` answer, as one record. */
static void op_answer_record(const smsmode *sm, smsmux_call *call,
                             const smsmode_answer *ans)
{
  sm->host->begin_record(call);
  sm->host->add_result(call, "code", ans->code);
  sm->host->add_result(call, "description", ans->description);
  if (ans->id != NULL)
    sm->host->add_result(call, "id", ans->id);
}

/** GET `path` with `order` params (`secrets`: names to redact in traces,
    NULL for accessToken alone); expect `0 | ...`; one record. */
static int op_simple(const smsmode *sm, smsmux_call *call,
                     const char *name, const char *path,
                     const char *const *order, const char *const *secrets,
                     const smsmux_kv *params, size_t n)
{
  smsmode_params p;
  smsmux_http_request req;
  smsmux_http_response resp;
  smsmode_answer ans;
  const char *what = sm->host->strf(call, "%s (%s)", name, path + 1);

  params_init(&p, sm);
  op_params_add(sm, &p, order, params, n);
  memset(&req, 0, sizeof req);
  req.method = SMSMUX_HTTP_GET;
  req.path = path;
  req.query = p.kv;
  req.n_query = p.n;
  req.secret_params = secrets;
  if (smsmode_http(sm, call, &req, 1, &resp) != 0)
    return -1;
  if (answer_expect_ok(sm, call, &resp, 1, what, &ans) != 0)
    return -1;
  op_answer_record(sm, call, &ans);
  return 0;
}

static int sms_list_line(const smsmode *sm, smsmux_call *call, char **f,
                         size_t n, void *ctx)
{
  const smsmux_host *h = sm->host;

  (void)ctx;
  /* smsId | date_envoi | texte_sms | téléphone_destinataire |
     coût_en_crédit | nbre_de_destinataires | */
  h->begin_record(call);
  h->add_result(call, "id", f[0]);
  h->add_result(call, "date", f[1]);
  h->add_result(call, "text", join_fields(sm, call, f, 2, n - 4));
  h->add_result(call, "to", f[n - 3]);
  h->add_result(call, "cost", f[n - 2]);
  h->add_result(call, "recipients", f[n - 1]);
  return 0;
}

static int op_sms_list(const smsmode *sm, smsmux_call *call,
                       const smsmux_kv *params, size_t n)
{
  static const char *const order[] = {"offset", NULL};
  const char *offset = sm->host->param(params, n, "offset");
  smsmode_params p;
  smsmux_http_response resp;
  unsigned long long v;

  if (offset != NULL && sm->host->parse_uint(offset, 1, 100000, &v) != 0)
    return sm->host->fail(call, SMSMUX_ERR_INVALID, NULL,
                          "sms-list: offset=%s is not valid: give how many "
                          "of the last SMS to list (e.g. offset=50)",
                          offset);
  params_init(&p, sm);
  op_params_add(sm, &p, order, params, n);
  if (smsmode_get(sm, call, "/smsList.do", &p, 0, &resp) != 0)
    return -1;
  return list_parse(sm, call, &resp, 6, "the list of SMS (smsList.do)",
                    sms_list_line, NULL);
}

static int op_sms_status(const smsmode *sm, smsmux_call *call,
                         const smsmux_kv *params, size_t n)
{
  const smsmux_host *h = sm->host;
  const smsmux_status_map *def;
  smsmode_answer ans;

  if (sms_status_read(sm, call, h->param(params, n, "smsID"), &ans, &def) != 0)
    return -1;
  h->begin_record(call);
  h->add_result(call, "code", ans.code);
  h->add_result(call, "description", ans.description);
  h->add_result(call, "status",
                h->status_name(def != NULL ? def->status
                                           : SMSMUX_STATUS_UNKNOWN));
  return 0;
}

static int op_credit_transfer(const smsmode *sm, smsmux_call *call,
                              const char *name, const smsmux_kv *params,
                              size_t n)
{
  static const char *const order[] = {"targetPseudo", "creditAmount",
                                      "reference", NULL};
  const char *amount = sm->host->param(params, n, "creditAmount");
  unsigned long long v;

  /* "Uniquement des nombres entiers !" */
  if (sm->host->parse_uint(amount, 1, 999999999, &v) != 0)
    return sm->host->fail(call, SMSMUX_ERR_INVALID, NULL,
                          "credit-transfer: creditAmount=%s is not valid: "
                          "sMsmode transfers whole credits only (e.g. "
                          "creditAmount=12)",
                          amount);
  return op_simple(sm, call, name, "/creditTransfert.do", order, NULL, params,
                   n);
}

static int op_batch_send(const smsmode *sm, smsmux_call *call,
                         const smsmux_kv *params, size_t n)
{
  static const char *const order[] = {"classe_msg", "date_envoi",
                                      "refClient",  "emetteur",
                                      "nbr_msg",    "notification_url",
                                      NULL};
  const smsmux_host *h = sm->host;
  const char *file = sm->host->param(params, n, "file");
  const char *classe = sm->host->param(params, n, "classe_msg");
  const char *date = sm->host->param(params, n, "date_envoi");
  const char *emetteur = sm->host->param(params, n, "emetteur");
  const char *nbr = sm->host->param(params, n, "nbr_msg");
  const char *url = sm->host->param(params, n, "notification_url");
  const char *raw, *data, *base;
  size_t len = 0, dlen;
  unsigned long long v;
  smsmode_params q;
  smsmux_http_part part;
  smsmux_http_request req;
  smsmux_http_response resp;
  smsmode_answer ans;

  if (classe != NULL && strcmp(classe, "2") != 0 && strcmp(classe, "4") != 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "batch-send: classe_msg=%s is not valid: use 2 (SMS Pro) "
                   "or 4 (SMS that can be answered)",
                   classe);
  if (classe != NULL && strcmp(classe, "4") == 0 && emetteur != NULL &&
      *emetteur != '\0')
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "batch-send: emetteur cannot be used with classe_msg=4 "
                   "(an SMS that can be answered comes from a sMsmode "
                   "number)");
  if (date != NULL && !valid_provider_date(date))
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "batch-send: date_envoi=%s is not valid: use "
                   "ddmmyyyy-hh:mm, e.g. 21122005-14:35",
                   date);
  if (nbr != NULL && h->parse_uint(nbr, 1, 5, &v) != 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "batch-send: nbr_msg=%s is not valid: use 1 to 5", nbr);
  if (url != NULL && !valid_url(url))
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "batch-send: notification_url=%s is not an http(s) URL",
                   url);

  raw = h->read_file(call, file, &len);
  if (raw == NULL)
    return -1;
  /* "L'encodage du fichier doit être réalisé au format ISO-8859-15": a
     file in UTF-8 (the usual case today) is converted; anything else is
     taken to be ISO-8859-15 already. */
  data = raw;
  dlen = len;
  if (h->is_utf8(raw, len)) {
    const char *text = raw;
    if (len >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0)
      text = raw + 3; /* a byte order mark is no part of the CSV */
    if (memchr(raw, '\0', len) != NULL)
      return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                     "batch-send: %s holds NUL bytes: not a CSV file", file);
    data = h->to_charset(call, text, SMSMODE_CHARSET, &dlen);
    if (data == NULL)
      return -1;
  } else {
    h->log(call, SMSMUX_LOG_DEBUG,
           "batch-send: %s is not UTF-8, sent as ISO-8859-15", file);
  }

  base = strrchr(file, '/');
  base = base != NULL ? base + 1 : file;
  memset(&part, 0, sizeof part);
  part.name = "fichier";
  part.data = data;
  part.len = dlen;
  part.filename = *base != '\0' ? base : "fichier.csv";
  part.content_type = "text/csv";

  params_init(&q, sm);
  op_params_add(sm, &q, order, params, n);
  memset(&req, 0, sizeof req);
  req.method = SMSMUX_HTTP_POST;
  req.path = "/sendSMSBatch.do";
  req.query = q.kv;
  req.n_query = q.n;
  req.body_kind = SMSMUX_BODY_MULTIPART;
  req.parts = &part;
  req.n_parts = 1;
  if (smsmode_http(sm, call, &req, 1, &resp) != 0)
    return -1;
  if (answer_expect_ok(sm, call, &resp, 1, "the batch (sendSMSBatch.do)",
                       &ans) != 0)
    return -1;
  op_answer_record(sm, call, &ans);
  return 0;
}

/** The http/2.0 URL of the API: base_url with its trailing "/1.6" path
    component replaced by "/2.0".  The guide serves createAuthorisation.do
    from http/2.0 only, next to the 1.6 API; deriving it keeps a base_url
    that points at a simulator or a proxy working. */
static const char *api_v2_url(const smsmode *sm, smsmux_call *call)
{
  size_t len = strlen(sm->base_url);

  while (len > 0 && sm->base_url[len - 1] == '/')
    len--;
  if (len < 4 || strncmp(sm->base_url + len - 4, "/1.6", 4) != 0)
    return NULL;
  return sm->host->strf(call, "%.*s/2.0", (int)(len - 4), sm->base_url);
}

static int op_api_key_create(const smsmode *sm, smsmux_call *call)
{
  static const char *const keys[] = {"id",    "accessToken", "creationDate",
                                     "state", "expiration",  "account"};
  const smsmux_host *h = sm->host;
  const char *base = api_v2_url(sm, call);
  smsmode_params p;
  smsmux_http_response resp;
  smsmode_answer ans;
  json_object *doc, *v;
  size_t i;

  if (base == NULL)
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "api-key-create: cannot derive the http/2.0 API URL from "
                   "base_url %s: it must end in /1.6 (as "
                   "https://api.smsmode.com/http/1.6 does)",
                   sm->base_url);
  params_init(&p, sm);
  if (smsmode_get(sm, call, h->strf(call, "%s/createAuthorisation.do", base),
                  &p, 1, &resp) != 0)
    return -1;

  doc = smsmux_json_parse_body(&resp);
  if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
    if (doc != NULL)
      json_object_put(doc);
    if (answer_parse(sm, call, resp.body, &ans) == 0)
      return answer_fail(sm, call, &ans, "creating an API key");
    return h->fail(call, SMSMUX_ERR_UNKNOWN_OUTCOME, NULL,
                   "sMsmode sent an unreadable answer to creating an API key "
                   "(a key may have been created): \"%s\"",
                   h->excerpt(call, resp.body, resp.body_len));
  }
  /* accessToken is the new key: a secret.  It is the result the user
     asked for, so it goes out as one.  In --verbose traces the host
     redacts it because "accessToken" is in secret_params and the host
     applies those names to "name":"value" in traced JSON bodies too (a
     core behaviour the ABI comment only promises for query and form
     parameters; tests/smsmode/operations.sh pins it). */
  h->begin_record(call);
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    if (json_object_object_get_ex(doc, keys[i], &v) && v != NULL)
      h->add_result(call, keys[i], json_object_get_string(v));
  }
  json_object_put(doc);
  return 0;
}

static int smsmode_call(void *state, smsmux_call *call, const char *name,
                        const smsmux_kv *params, size_t n)
{
  /* the wire order of each operation's parameters follows the guide's
     example requests */
  static const char *const sub_create[] = {
      "newPseudo", "newPass", "reference", "nom",       "prenom",
      "societe",   "adresse", "ville",     "codePostal", "mobile",
      "telephone", "fax",     "email",     "date",      NULL};
  static const char *const sub_delete[] = {"pseudoToDelete", NULL};
  static const char *const contact[] = {"nom",     "prenom", "mobile",
                                        "groupes", "societe", "other",
                                        "date",    NULL};
  const smsmode *sm = state;

  /* the host calls only the operations of smsmode_operations, with
     parameters it has checked against their lists */
  if (strcmp(name, "sub-account-create") == 0)
    return op_simple(sm, call, name, "/createSubAccount.do", sub_create,
                     smsmode_secret_params_sub_account, params, n);
  if (strcmp(name, "sub-account-delete") == 0)
    return op_simple(sm, call, name, "/deleteSubAccount.do", sub_delete, NULL,
                     params, n);
  if (strcmp(name, "credit-transfer") == 0)
    return op_credit_transfer(sm, call, name, params, n);
  if (strcmp(name, "contact-add") == 0)
    return op_simple(sm, call, name, "/addContact.do", contact, NULL, params,
                     n);
  if (strcmp(name, "sms-list") == 0)
    return op_sms_list(sm, call, params, n);
  if (strcmp(name, "sms-status") == 0)
    return op_sms_status(sm, call, params, n);
  if (strcmp(name, "batch-send") == 0)
    return op_batch_send(sm, call, params, n);
  if (strcmp(name, "api-key-create") == 0)
    return op_api_key_create(sm, call);
  return sm->host->fail(call, SMSMUX_ERR_UNSUPPORTED, NULL,
                        "sMsmode has no operation %s", name);
}

/* ------------------------------------------------------------ inbound --- */

/* Items 11 and 12 of the guide: what the platform pushes, as GET query
   parameters (a POST form is read the same: the host merges it in).
   A delivery report: numero (336...), date_reception (yyyy-mm-dd
   hh:mm:ss), statut (the status table), smsID, refClient, mcc_mnc.
   A reply: numero (the sMsmode number that took it), message, emetteur
   (who answered), date_reception (ddmmyyyy-hhmmss), smsID (the message
   answered), refClient, responseID. */
static const char *inbound_param(const smsmux_inbound *in, const char *name) {
  size_t i;
  for (i = 0; in->query && i < in->n_query; i++)
    if (in->query[i].key && strcmp(in->query[i].key, name) == 0)
      return in->query[i].value;
  return NULL;
}

/* A pushed value as UTF-8: kept when it is, else read as ISO-8859-15 (the
   charset of the platform's own answers). */
static const char *inbound_text(const smsmux_host *h, smsmux_call *call,
                                const char *v) {
  if (v == NULL)
    return NULL;
  return h->decode_text(call, v, strlen(v), NULL, "ISO-8859-15");
}

static int smsmode_inbound(void *state, smsmux_call *call,
                           const smsmux_inbound *in) {
  smsmode *sm = state;
  const smsmux_host *h = sm->host;
  if (in == NULL || in->size < offsetof(smsmux_inbound, content_type))
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "malformed inbound request");
  if (in->kind == SMSMUX_INBOUND_REPORT) {
    const char *id = nonempty(inbound_param(in, "smsID"));
    const char *to = nonempty(inbound_param(in, "numero"));
    const char *code = nonempty(inbound_param(in, "statut"));
    const smsmux_status_map *row;
    smsmux_status_record rec;
    if (id == NULL || to == NULL || code == NULL)
      return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                     "not an sMsmode delivery report: smsID, numero and "
                     "statut are required (item 12 of the guide)");
    row = h->status_lookup(smsmode_statuses, code);
    memset(&rec, 0, sizeof rec);
    rec.size = sizeof rec;
    rec.to = to;
    rec.status = row != NULL ? row->status : SMSMUX_STATUS_UNKNOWN;
    rec.code = code;
    rec.text = row != NULL ? row->text : "statut inconnu";
    rec.at = nonempty(inbound_param(in, "date_reception"));
    h->set_message_id(call, id);
    h->add_status(call, &rec);
    return 0;
  } else {
    const char *from = nonempty(inbound_param(in, "emetteur"));
    const char *text = inbound_param(in, "message");
    smsmux_reply r;
    if (from == NULL || text == NULL)
      return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                     "not an sMsmode reply notification: emetteur and "
                     "message are required (item 12 of the guide)");
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    r.from = from;
    r.to = nonempty(inbound_param(in, "numero"));
    r.text = inbound_text(h, call, text);
    r.at = nonempty(inbound_param(in, "date_reception"));
    r.id = nonempty(inbound_param(in, "responseID"));
    r.message_id = nonempty(inbound_param(in, "smsID"));
    h->add_reply(call, &r);
    return 0;
  }
}
