/*
 * clever-rest.c - the Clever REST provider plugin (webservicesmultimedias).
 *
 * Speaks ../shared/providers/clever-rest.txt ("API REST CLEVERMULTIMEDIAS
 * SPECIFICATIONS TECHNIQUES"): JSON bodies {"datas": {...}} sent to
 * base_url + the document's paths, HTTP Basic authentication with the
 * instance's login and password (applied by the host: no base64 here),
 * `Content-Type: application/json` on every request, answers in JSON and
 * standard HTTP status codes (plus 430 "Account expired YYYY-mm-JJ").
 *
 *   send      POST /pushs (type_push sms, tts, or voice with a filename)
 *   status    GET /pushs/{ref}/deliveries, else GET /pushs/{ref}
 *   replies   GET /pushs/{ref}/mos
 *   balance   GET /account/me
 *   cancel    DELETE /pushs/{ref}
 *   call      every other function of the document: users, contacts,
 *             mail campaigns, campaigns by criteria and to all contacts,
 *             campaign details, field list, predefined messages
 *
 * The plugin keeps no mutable state: the instance holds the host table and
 * copies of its configuration, written once in open and only read after,
 * so any number of threads may use one instance at once.
 */
#include <smsmux/provider.h>

#include "../clever-common/clever-common.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CLEVER_VERSION "1.0.0"

/* "number_list: Tableau de numéros" has no documented limit.  We cap one
   push at 1000 numbers: the JSON body stays around 15 KB, and one refused
   or timed-out request affects a bounded number of recipients.  The core
   splits longer lists into several pushes. */
#define CLEVER_MAX_RECIPIENTS 1000

/* "text: Message à envoyer, longueur maximale 1000 caractères" */
#define CLEVER_MAX_TEXT 1000

/* "short_code: 11 caractères maximum" */
#define CLEVER_MAX_SENDER 11

/* Every request says it speaks JSON (2.3 "Content-type"), GET and DELETE
   too: the screenshots show the header on every request. */
#define CLEVER_JSON "application/json"

/* ----------------------------------------------------------- instance -- */

/** One configured instance: the host table and copies of its config. */
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
static int clever_cancel(void *state, smsmux_call *call, const char *id);
static int clever_call(void *state, smsmux_call *call, const char *op,
                       const smsmux_kv *params, size_t n_params);

/* ------------------------------------------------------- descriptor --- */

static const smsmux_config_key clever_config_keys[] = {
    {"login", SMSMUX_KEY_REQUIRED,
     "login (identifiant) of the Clever account, for HTTP Basic"},
    {"password", SMSMUX_KEY_REQUIRED | SMSMUX_KEY_SECRET,
     "password of the Clever account, for HTTP Basic"},
    {NULL, 0, NULL}};

/* Operation parameters: the names of the document's parameter tables
   (and of its URL parameters); '?' marks optional.  `datas` is a JSON
   object merged into the request's "datas" object last, for a field this
   plugin does not name (see docs/providers/clever-rest.md). */
static const char *const params_none[] = {NULL};
static const char *const params_user_create[] = {
    "username", "password",  "name",          "lastname",
    "telephone", "email",    "address",       "credit?",
    "company_name?", "zipCode?", "city?",     "country?",
    "datas?",   NULL};
static const char *const params_user_update[] = {
    "id_user",  "username",  "password",      "name",
    "lastname", "telephone", "email",         "address",
    "credit?",  "company_name?", "zipCode?",  "city?",
    "country?", "datas?",    NULL};
static const char *const params_id_user[] = {"id_user", NULL};
static const char *const params_contact_create[] = {
    "name",          "lastname",           "gsm_primary",
    "gsm_secondary?", "landline_primary?", "landline_secondary?",
    "fax_primary?",  "fax_secondary?",     "email?",
    "zipCode?",      "city?",              "street?",
    "streetNumber?", "duplicates?",        "datas?",
    NULL};
static const char *const params_contact_update[] = {
    "id_contact",    "name",               "lastname",
    "gsm_primary",   "gsm_secondary?",     "landline_primary?",
    "landline_secondary?", "fax_primary?", "fax_secondary?",
    "email?",        "zipCode?",           "city?",
    "street?",       "streetNumber?",      "duplicates?",
    "datas?",        NULL};
static const char *const params_id_contact[] = {"id_contact", NULL};
static const char *const params_login[] = {"login", NULL};
static const char *const params_push_mail[] = {
    "text",      "email_list", "email_subject", "type_mail?", "hd_send?",
    "filename?", "type_push?", "open_tag?",     "duplicates?", "datas?",
    NULL};
static const char *const params_push_criteria[] = {
    "text",          "criteria",          "encodage?",     "number_list?",
    "short_code?",   "hd_send?",          "filename?",     "type_push?",
    "options?",      "gsm_routage_mo?",   "mail_routage_mo?",
    "all_number?",   "cascade?",          "time_cascade?",
    "predefined_message?", "duplicates?", "datas?",        NULL};
static const char *const params_push_mail_criteria[] = {
    "text",       "email_subject", "criteria",  "email_list?",
    "type_mail?", "hd_send?",      "filename?", "type_push?",
    "open_tag?",  "predefined_message?",        "duplicates?",
    "datas?",     NULL};
static const char *const params_push_broadcast[] = {
    "text",          "encodage?",         "number_list?",  "short_code?",
    "hd_send?",      "filename?",         "type_push?",    "options?",
    "gsm_routage_mo?", "mail_routage_mo?", "all_number?",  "cascade?",
    "time_cascade?", "predefined_message?", "duplicates?", "datas?",
    NULL};
static const char *const params_push_mail_broadcast[] = {
    "text",       "email_subject", "email_list?", "type_mail?",
    "hd_send?",   "filename?",     "type_push?",  "open_tag?",
    "predefined_message?",         "duplicates?", "datas?",
    NULL};
static const char *const params_reference[] = {"referencePush", NULL};

static const smsmux_operation clever_operations[] = {
    {"account", "the account's profile and credit (GET account/me, 3.1)",
     params_none},
    {"user-create", "create a user (POST users, 3.2)", params_user_create},
    {"user-update", "update a user (PUT users/{id_user}, 3.3)",
     params_user_update},
    {"user-get", "look a user up (GET users/{id_user}, 3.4)",
     params_id_user},
    {"contact-create", "create a contact (POST contacts, 3.5)",
     params_contact_create},
    {"contact-update", "update a contact (PUT contacts/{id_contact}, 3.6)",
     params_contact_update},
    {"contact-get", "look a contact up (GET contacts/{id_contact}, 3.7)",
     params_id_contact},
    {"contact-delete", "delete a contact (DELETE contacts/{id_contact}, 3.8)",
     params_id_contact},
    {"contact-list", "list all the contacts (GET contactlists, 3.9)",
     params_none},
    {"contact-list-user",
     "list a user's contacts, managers only (GET contactlists/{login}, 3.10)",
     params_login},
    {"push-mail", "send a mail campaign (POST pushsmails, 3.12)",
     params_push_mail},
    {"push-criteria",
     "send messages to the contacts matching criteria (POST pushscriterias, "
     "3.13)",
     params_push_criteria},
    {"push-mail-criteria",
     "send mails to the contacts matching criteria (POST "
     "pushsmailcriterias, 3.14)",
     params_push_mail_criteria},
    {"push-broadcast",
     "send messages to all the contacts (POST pushsbroadcasts, 3.15)",
     params_push_broadcast},
    {"push-mail-broadcast",
     "send mails to all the contacts (POST pushsmailbroadcasts, 3.16)",
     params_push_mail_broadcast},
    {"push-mail-delete",
     "delete a scheduled mail campaign (DELETE pushsmails/{ref}, 3.18)",
     params_reference},
    {"push-info", "details of a message campaign (GET pushs/{ref}, 3.19)",
     params_reference},
    {"push-mail-info",
     "details of a mail campaign (GET pushsmails/{ref}, 3.20)",
     params_reference},
    {"push-mail-deliveries",
     "delivery reports of a mail campaign (GET pushmails/{ref}/deliveries, "
     "3.22)",
     params_reference},
    {"field-list", "the additional contact fields (GET fieldlist, 3.24)",
     params_none},
    {"predefined-messages",
     "the predefined messages (GET predefinedmessage, 3.25)", params_none},
    {NULL, NULL, NULL}};

/* The --option names send reads (see send_options_read). */
static const char *const clever_send_options[] = {"flash", "duplicates",
                                                  "filename", NULL};

static const smsmux_provider clever_provider = {
    .size = sizeof(smsmux_provider),
    .abi_major = SMSMUX_ABI_MAJOR,
    .abi_minor = SMSMUX_ABI_MINOR,
    .name = "clever-rest",
    .version = CLEVER_VERSION,
    .summary = "Clever REST API (webservicesmultimedias.clever-is.fr)",
    .capabilities = SMSMUX_CAP_SMS | SMSMUX_CAP_UNICODE | SMSMUX_CAP_VOICE |
                    SMSMUX_CAP_SCHEDULE | SMSMUX_CAP_CANCEL |
                    SMSMUX_CAP_STATUS | SMSMUX_CAP_REPLIES |
                    SMSMUX_CAP_BALANCE | SMSMUX_CAP_ALPHA_SENDER,
    .max_recipients = CLEVER_MAX_RECIPIENTS,
    .max_text_length = CLEVER_MAX_TEXT,
    .max_segments = 0,
    .max_sender_length = CLEVER_MAX_SENDER,
    .default_base_url = "http://webservicesmultimedias.clever-is.fr/api",
    .config_keys = clever_config_keys,
    .operations = clever_operations,
    .open = clever_open,
    .close = clever_close,
    .send = clever_send,
    .status = clever_status,
    .balance = clever_balance,
    .replies = clever_replies,
    .cancel = clever_cancel,
    .call = clever_call,
    .send_options = clever_send_options,
};

SMSMUX_PROVIDER_ENTRY_DECL { return &clever_provider; }

/* ------------------------------------------------------ status tables -- */

/* Delivery statuses (deliveries[].status of 3.21 and 3.22, mos[].status
   of 3.23): clever_delivery_statuses of clever-common.h, the table of the
   sister document that says what the codes mean. */

/* Campaign statuses (push.status of 3.19 and 3.20): "Statut 0 : non
   traité, Statut 1 : en cours, Statut 2 : push traité".  Used by `status`
   when a campaign has no delivery report yet; a campaign not processed
   whose hd_send is still to come is reported as scheduled. */
static const smsmux_status_map clever_push_statuses[] = {
    {"0", SMSMUX_STATUS_ACCEPTED, "non traité"},
    {"1", SMSMUX_STATUS_ACCEPTED, "en cours"},
    {"2", SMSMUX_STATUS_SENT, "push traité"},
    {NULL, SMSMUX_STATUS_UNKNOWN, NULL}};

/* ------------------------------------------------------------ helpers --- */

/** A whole number, optionally negative (a JSON integer field). */
static int is_integer(const clever *cl, const char *s)
{
  if (s != NULL && *s == '-')
    s++;
  return s != NULL && strlen(s) <= 18 &&
         cl->host->parse_uint(s, 0, ULLONG_MAX, NULL) == 0;
}

/** 1 when every character of `s` is in `allowed` or alphanumeric ASCII. */
static int only_chars(const char *s, const char *allowed)
{
  if (s == NULL || *s == '\0')
    return 0;
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || strchr(allowed, c) != NULL))
      return 0;
  }
  return 1;
}

/** 1 when `s` can be one segment of a URL path as it is: letters, digits
    and the characters of `allowed` (no escaping by hand), and not "." or
    "..", which curl would resolve as dot segments. */
static int path_segment_ok(const char *s, const char *allowed)
{
  return only_chars(s, allowed) && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/** 1 when `s` has the shape of the document's dates, "Y-m-d H:i:s". */
static int valid_date(const char *s)
{
  static const char shape[] = "9999-99-99 99:99:99";
  size_t i;

  if (strlen(s) != sizeof shape - 1)
    return 0;
  for (i = 0; shape[i] != '\0'; i++)
    if (shape[i] == '9' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
      return 0;
  return 1;
}

/** `s` without leading and trailing spaces, in call memory.  The
    document's answers carry stray spaces (" Push2017...", "2017-10-12
    12:42:47 "). */
static const char *trimmed(const clever *cl, smsmux_call *call, const char *s)
{
  size_t len;

  if (s == NULL)
    return NULL;
  while (*s == ' ' || *s == '\t')
    s++;
  len = strlen(s);
  while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  return cl->host->strf(call, "%.*s", (int)len, s);
}

/** The value of member `key` of object `o` as a string (numbers as
    written), or NULL when absent or null.  Call memory. */
static const char *json_str(const clever *cl, smsmux_call *call,
                            json_object *o, const char *key)
{
  json_object *v;

  if (o == NULL || !json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, key, &v) || v == NULL)
    return NULL;
  return cl->host->strf(call, "%s", json_object_get_string(v));
}

/** Serialise `doc` into call memory (no slash escaping: filenames). */
static const char *json_text(const clever *cl, smsmux_call *call,
                             json_object *doc)
{
  return cl->host->strf(
      call, "%s",
      json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
                                              JSON_C_TO_STRING_NOSLASHESCAPE));
}

/** Parse a JSON answer; NULL when the body is not JSON.  The caller
    releases the result with json_object_put. */
static json_object *json_parse_body(const smsmux_http_response *resp)
{
  json_tokener *tok;
  json_object *doc;

  if (resp->body == NULL || resp->body_len == 0)
    return NULL;
  tok = json_tokener_new();
  if (tok == NULL)
    return NULL;
  doc = json_tokener_parse_ex(tok, resp->body, (int)resp->body_len);
  if (json_tokener_get_error(tok) != json_tokener_success) {
    if (doc != NULL)
      json_object_put(doc);
    doc = NULL;
  }
  json_tokener_free(tok);
  return doc;
}

/** The provider's own words in an error answer: a JSON "message" (or
    "error") member, else the start of the body. */
static const char *error_words(const clever *cl, smsmux_call *call,
                               const smsmux_http_response *resp)
{
  json_object *doc = json_parse_body(resp);
  const char *w = NULL;

  if (doc != NULL) {
    w = json_str(cl, call, doc, "message");
    if (w == NULL)
      w = json_str(cl, call, doc, "error");
    json_object_put(doc);
  }
  return cl->host->strf(
      call, "\"%s\"",
      w != NULL ? w : cl->host->excerpt(call, resp->body, resp->body_len));
}

/* ------------------------------------------------------------ requests -- */

/* The statuses the document gives a meaning of its own: its name for
   each and what to do.  The error class is the host's (http_class), but
   for 430, which only this API sends. */
static const struct clever_http_status {
  long status;
  const char *name;
  const char *advice;
} clever_http_statuses[] = {
    {401, "401 Unauthorized", "check login and password"},
    {402, "402 Payment Required", "not enough credit on the account"},
    {403, "403 Forbidden",
     "this account may not do that (some functions are for managers only)"},
    {409, "409 Conflict",
     "it already exists (a username taken, or a contact that needs "
     "duplicates=1)"},
    /* "430 Account expired YYYY-mm-JJ: Le compte est expiré" */
    {430, "430 Account expired",
     "the account has expired, renew it with Clever"},
    {503, "503 Service Unavailable", "nothing was done, try again later"},
};

/** Fail the operation for an HTTP status that is not a success: in the
    document's words when it has some, else as the host maps it. */
static int clever_fail_status(const clever *cl, smsmux_call *call,
                              const smsmux_http_response *resp, int sending,
                              const char *what)
{
  const smsmux_host *h = cl->host;
  size_t i;

  for (i = 0; i < sizeof clever_http_statuses / sizeof clever_http_statuses[0];
       i++) {
    const struct clever_http_status *st = &clever_http_statuses[i];
    if (st->status == resp->status)
      return h->fail(call,
                     st->status == 430 ? SMSMUX_ERR_AUTH
                                       : h->http_class(st->status, sending),
                     h->strf(call, "HTTP %ld", resp->status),
                     "Clever REST refused %s: %s, %s: %s", what, st->name,
                     error_words(cl, call, resp), st->advice);
  }
  return h->fail_http(call, resp, sending);
}

/** Perform one request: `method` on base_url + `path`, with the JSON
    `body` (or none), Basic authentication and the JSON content type.
    Returns 0 with a 2xx answer in *resp, or -1 after recording the
    failure (`sending`: the request may have changed something). */
static int clever_http(const clever *cl, smsmux_call *call,
                       smsmux_http_method method, const char *path,
                       const char *body, int sending, const char *what,
                       smsmux_http_response *resp)
{
  static const char *const json_header[] = {"Content-Type: " CLEVER_JSON};
  smsmux_http_request req;

  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.method = method;
  req.path = path;
  if (body != NULL) {
    req.body_kind = SMSMUX_BODY_RAW;
    req.body = body;
    req.body_len = strlen(body);
    req.content_type = CLEVER_JSON;
  } else {
    req.body_kind = SMSMUX_BODY_NONE;
    req.headers = json_header;
    req.n_headers = 1;
  }
  /* a GET of this REST API only reads: a timeout there changed nothing */
  req.accepts_nothing = method == SMSMUX_HTTP_GET;
  req.auth = SMSMUX_AUTH_BASIC;
  req.user = cl->login;
  req.password = cl->password;
  memset(resp, 0, sizeof *resp);
  resp->size = sizeof *resp;
  if (cl->host->http(call, &req, resp) != 0)
    return -1;
  if (resp->status < 200 || resp->status > 299)
    return clever_fail_status(cl, call, resp, sending, what);
  if (resp->body == NULL) {
    resp->body = "";
    resp->body_len = 0;
  }
  return 0;
}

/** Fail because a success answer cannot be read; returns -1. */
static int unreadable(const clever *cl, smsmux_call *call,
                      const smsmux_http_response *resp, int sending,
                      const char *what)
{
  /* a state-changing request may have been carried out */
  return cl->host->fail(
      call, sending ? SMSMUX_ERR_UNKNOWN_OUTCOME : SMSMUX_ERR_TEMPORARY,
      NULL, "Clever REST sent an unreadable answer to %s%s: \"%s\"", what,
      sending ? " (it may have been carried out)" : "",
      cl->host->excerpt(call, resp->body, resp->body_len));
}

/** GET `path` and parse the JSON answer into *doc (released by the
    caller).  Returns 0, or -1 after recording the failure. */
static int clever_get_json(const clever *cl, smsmux_call *call,
                           const char *path, const char *what,
                           json_object **doc)
{
  smsmux_http_response resp;

  *doc = NULL;
  if (clever_http(cl, call, SMSMUX_HTTP_GET, path, NULL, 0, what, &resp) != 0)
    return -1;
  *doc = json_parse_body(&resp);
  if (*doc == NULL || !json_object_is_type(*doc, json_type_object)) {
    if (*doc != NULL)
      json_object_put(*doc);
    *doc = NULL;
    return unreadable(cl, call, &resp, 0, what);
  }
  return 0;
}

/** GET `path`; *doc gets its JSON answer (released by the caller) and
    *member the answer's member `key`, of `type` (object or array).
    Returns 0, or -1 after recording the failure. */
static int clever_get_member(const clever *cl, smsmux_call *call,
                             const char *path, const char *what,
                             const char *key, json_type type,
                             json_object **doc, json_object **member)
{
  if (clever_get_json(cl, call, path, what, doc) != 0)
    return -1;
  if (!json_object_object_get_ex(*doc, key, member) ||
      !json_object_is_type(*member, type)) {
    json_object_put(*doc);
    *doc = NULL;
    return cl->host->fail(call, SMSMUX_ERR_TEMPORARY, NULL,
                          "Clever REST sent %s without a \"%s\" %s", what,
                          key, type == json_type_array ? "list" : "object");
  }
  return 0;
}

/** A push reference fit for a URL path ("Push20171012124247"), trimmed:
    the document's answers may carry a leading space.  NULL after failing
    with INPUT (nothing was sent). */
static const char *reference_path(const clever *cl, smsmux_call *call,
                                  const char *id)
{
  const char *ref = trimmed(cl, call, id != NULL ? id : "");

  if (*ref == '\0') {
    cl->host->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "no push reference given (the reference a send "
                   "answered, e.g. Push20171012124247)");
    return NULL;
  }
  if (!path_segment_ok(ref, "_-.")) {
    cl->host->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "\"%s\" is not a Clever push reference (letters and "
                   "digits, e.g. Push20171012124247)",
                   ref);
    return NULL;
  }
  return ref;
}

/* ------------------------------------------------------------ results --- */

/** Add the members of object `o` to the current record, nested objects
    as "outer.inner" keys, arrays of scalars joined with ';' (the
    document's list separator), other arrays as JSON text.  Passwords the
    provider echoes (3.2) are left out: secrets never reach the output. */
static void flatten(const clever *cl, smsmux_call *call, json_object *o,
                    const char *prefix)
{
  const smsmux_host *h = cl->host;

  json_object_object_foreach(o, key, v)
  {
    const char *name = *prefix != '\0' ? h->strf(call, "%s.%s", prefix, key)
                                        : key;
    if (strcasecmp(key, "password") == 0)
      continue;
    if (v == NULL) {
      h->add_result(call, name, "");
    } else if (json_object_is_type(v, json_type_object)) {
      flatten(cl, call, v, name);
    } else if (json_object_is_type(v, json_type_array)) {
      size_t i, n = json_object_array_length(v);
      const char *joined = "";
      int scalars = 1;
      for (i = 0; i < n && scalars; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        scalars = e == NULL || (!json_object_is_type(e, json_type_object) &&
                                !json_object_is_type(e, json_type_array));
      }
      if (!scalars) {
        h->add_result(call, name, json_text(cl, call, v));
        continue;
      }
      for (i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        joined = h->strf(call, "%s%s%s", joined, i > 0 ? ";" : "",
                         e != NULL ? json_object_get_string(e) : "");
      }
      h->add_result(call, name, joined);
    } else {
      h->add_result(call, name, json_object_get_string(v));
    }
  }
}

/** One record per element of array `a` (objects flattened, scalars as
    "value"). */
static void records_of_array(const clever *cl, smsmux_call *call,
                             json_object *a)
{
  size_t i, n = json_object_array_length(a);

  for (i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(a, i);
    cl->host->begin_record(call);
    if (e != NULL && json_object_is_type(e, json_type_object))
      flatten(cl, call, e, "");
    else
      cl->host->add_result(call, "value",
                           e != NULL ? json_object_get_string(e) : "");
  }
}

/** Results of an answer: the member named `wrapper` ("push", "contact",
    ...) gives one record (an object) or one per element (an array); the
    answer's other members join the record with their name as prefix
    (3.1's screenshot puts "company" beside "account").  With no wrapper
    (the "à venir" functions, whose answers the document does not show):
    an array, or an object's only array member, gives one record per
    element; any other object one record.  Returns 0, or -1 when the
    wrapper is missing. */
static int emit_records(const clever *cl, smsmux_call *call, json_object *doc,
                        const char *wrapper)
{
  json_object *target = NULL;

  if (json_object_is_type(doc, json_type_array)) {
    records_of_array(cl, call, doc);
    return 0;
  }
  if (wrapper != NULL) {
    if (!json_object_object_get_ex(doc, wrapper, &target) || target == NULL)
      return -1;
  } else {
    json_object_object_foreach(doc, key, v)
    {
      (void)key;
      if (v != NULL && json_object_is_type(v, json_type_array)) {
        if (target != NULL) { /* two lists: show the whole answer */
          target = NULL;
          break;
        }
        target = v;
      }
    }
    if (target == NULL) {
      cl->host->begin_record(call);
      flatten(cl, call, doc, "");
      return 0;
    }
  }
  if (json_object_is_type(target, json_type_array)) {
    records_of_array(cl, call, target);
    return 0;
  }
  cl->host->begin_record(call);
  if (json_object_is_type(target, json_type_object))
    flatten(cl, call, target, "");
  else
    cl->host->add_result(call, wrapper, json_object_get_string(target));
  json_object_object_foreach(doc, k, v2)
  {
    if (strcmp(k, wrapper) == 0)
      continue;
    if (v2 != NULL && json_object_is_type(v2, json_type_object))
      flatten(cl, call, v2, k);
    else if (strcasecmp(k, "password") != 0)
      cl->host->add_result(call, k, v2 != NULL ? json_object_get_string(v2)
                                               : "");
  }
  return 0;
}

/* ------------------------------------------------------------- open ---- */

/* login and password: the host has checked they are set. */
static int clever_open(const smsmux_host *host, smsmux_call *call,
                       void **state)
{
  clever *cl;
  const char *login;

  if (host == NULL || !SMSMUX_HAS_MEMBER(host, smsmux_host, fail))
    return -1;
  if (host->abi_major != SMSMUX_ABI_MAJOR ||
      !SMSMUX_HAS_MEMBER(host, smsmux_host, error_lookup))
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL,
                      "the clever-rest plugin needs a host of ABI %d.1 or "
                      "later (this host offers %u.%u): rebuild the plugin",
                      SMSMUX_ABI_MAJOR, host->abi_major, host->abi_minor);

  login = host->config_get(call, "login");
  if (strchr(login, ':') != NULL)
    return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                      "login must not contain ':' (HTTP Basic "
                      "authentication joins login and password with it)");

  cl = calloc(1, sizeof *cl);
  if (cl == NULL)
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  cl->host = host;
  /* config values live until close (provider.h): no copies */
  cl->login = login;
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

/** The options of one send (`send --option KEY=VALUE`). */
typedef struct send_options {
  int flash;            /* options F0 instead of F1 */
  const char *filename; /* voice: the sound file, type_push voice */
  int duplicates;       /* 0 or 1 */
} send_options;

/* "filename: Extension : wav ou mp3 Caractères interdits (<, >, :, ", /,
   \, , ?, *)" - the list lost one character in the PDF conversion, read
   as '|' (the usual list of characters file names may not hold). */
static int valid_sound_file(const char *s)
{
  size_t len = strlen(s);

  if (len < 5 || strpbrk(s, "<>:\"/\\|?*") != NULL)
    return 0;
  return strcasecmp(s + len - 4, ".wav") == 0 ||
         strcasecmp(s + len - 4, ".mp3") == 0;
}

/** Yes/no send option `key` (`--option KEY=...`): 1, 0 (also when not
    given), or -1 after failing with INPUT.  `meaning` says what 1 does. */
static int bool_option(const clever *cl, smsmux_call *call,
                       const smsmux_message *msg, const char *key,
                       const char *meaning)
{
  const char *v = cl->host->option(call, msg, key);
  int b;

  if (v == NULL)
    return 0;
  b = cl->host->parse_bool(v);
  if (b < 0)
    cl->host->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "option %s=%s is not valid: use %s=1 (%s) or %s=0", key, v,
                   key, meaning, key);
  return b;
}

static int send_options_read(const clever *cl, smsmux_call *call,
                             const smsmux_message *msg, send_options *o)
{
  const smsmux_host *h = cl->host;

  memset(o, 0, sizeof *o);
  o->flash = bool_option(cl, call, msg, "flash", "a flash SMS, options F0");
  if (o->flash < 0)
    return -1;
  o->duplicates = bool_option(cl, call, msg, "duplicates", "allow duplicates");
  if (o->duplicates < 0)
    return -1;
  o->filename = h->option(call, msg, "filename");
  if (o->filename != NULL && !valid_sound_file(o->filename))
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "option filename=%s is not valid: a .wav or .mp3 "
                   "file name without < > : \" / \\ | ? *",
                   o->filename);
  if (msg->kind == SMSMUX_KIND_VOICE && o->flash > 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "option flash applies to SMS only, not to voice "
                   "messages");
  if (msg->kind != SMSMUX_KIND_VOICE && o->filename != NULL)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "option filename (a sound file) applies to voice "
                   "messages only: add --kind voice");
  return 0;
}

/** The recipients as the document writes them: "+336...;+336...". */
static const char *join_numbers(const clever *cl, smsmux_call *call,
                                const smsmux_message *msg)
{
  const char *out = "";
  size_t i;

  for (i = 0; i < msg->n_to; i++) {
    const char *n = cl->host->number_format(call, msg->to[i], SMSMUX_NUM_E164);
    if (n == NULL)
      return NULL;
    out = cl->host->strf(call, "%s%s%s", out, i > 0 ? ";" : "", n);
  }
  return out;
}

static int clever_send(void *state, smsmux_call *call,
                       const smsmux_message *msg)
{
  const clever *cl = state;
  const smsmux_host *h = cl->host;
  int voice = msg->kind == SMSMUX_KIND_VOICE;
  const char *numbers, *body, *ref, *what = voice ? "the voice message"
                                                  : "the SMS";
  json_object *doc, *datas, *push;
  smsmux_http_response resp;
  send_options o;
  smsmux_status st;
  size_t i;

  if (msg->kind != SMSMUX_KIND_SMS && !voice)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "Clever REST cannot send MMS: route it to a provider "
                   "that declares the mms capability");
  if (msg->n_to == 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL, "no recipient to send to");
  if (send_options_read(cl, call, msg, &o) != 0)
    return -1;
  numbers = join_numbers(cl, call, msg);
  if (numbers == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL,
                   "cannot format the recipient numbers");

  /* The members in the order of the example of 3.11 (text, number_list,
     type_push, encodage, options, duplicates), then the optional ones in
     the order of its parameter table.  type_push: "Par défaut : sms,
     sinon : tts ou voice" - a voice message is read out (tts) unless it
     names a sound file (voice + filename).  encodage: "3 pour le Latin
     et 4 pour l'UCS2", as the core decided.  options: "F0 pour les
     messages Flash F1 pour le mode normal", always sent as the example
     does. */
  doc = json_object_new_object();
  datas = json_object_new_object();
  json_object_object_add(doc, "datas", datas);
  json_object_object_add(datas, "text", json_object_new_string(msg->text));
  json_object_object_add(datas, "number_list",
                         json_object_new_string(numbers));
  json_object_object_add(
      datas, "type_push",
      json_object_new_string(!voice ? "sms"
                                    : o.filename != NULL ? "voice" : "tts"));
  json_object_object_add(
      datas, "encodage",
      json_object_new_int(msg->encoding == SMSMUX_ENC_UCS2 ? 4 : 3));
  json_object_object_add(datas, "options",
                         json_object_new_string(o.flash > 0 ? "F0" : "F1"));
  json_object_object_add(datas, "duplicates",
                         json_object_new_int(o.duplicates > 0 ? 1 : 0));
  if (msg->from != NULL && *msg->from != '\0')
    json_object_object_add(datas, "short_code",
                           json_object_new_string(msg->from));
  if (msg->at != 0)
    json_object_object_add(
        datas, "hd_send",
        json_object_new_string(
            h->format_time(call, msg->at, CLEVER_DATE_FORMAT)));
  if (o.filename != NULL)
    json_object_object_add(datas, "filename",
                           json_object_new_string(o.filename));
  body = json_text(cl, call, doc);
  json_object_put(doc);
  if (msg->ref != NULL)
    h->log(call, SMSMUX_LOG_DEBUG,
           "Clever REST takes no client reference: --ref stays local");

  if (clever_http(cl, call, SMSMUX_HTTP_POST, "/pushs", body, 1, what,
                  &resp) != 0)
    return -1;

  /* "201 Created ... une réponse JSON avec un contenu qui inclut l'ID
     unique de la nouvelle ressource. Sinon une réponse sans contenu"
     (202 Accepted: created later, no reference to follow it with). */
  ref = NULL;
  if (resp.body_len > 0 || resp.status != 202) {
    doc = json_parse_body(&resp);
    if (doc == NULL || !json_object_object_get_ex(doc, "push", &push) ||
        !json_object_is_type(push, json_type_object)) {
      if (doc != NULL)
        json_object_put(doc);
      return h->fail(call, SMSMUX_ERR_UNKNOWN_OUTCOME, NULL,
                     "Clever REST sent an unreadable answer to %s, which "
                     "may have been accepted: \"%s\"",
                     what, cl->host->excerpt(call, resp.body, resp.body_len));
    }
    ref = trimmed(cl, call, json_str(cl, call, push, "reference"));
    json_object_put(doc);
  }
  if (ref != NULL && *ref != '\0')
    h->set_message_id(call, ref);
  else
    h->log(call, SMSMUX_LOG_WARNING,
           "Clever REST accepted %s (HTTP %ld) but gave no reference: "
           "status and cancel will not find it",
           what, resp.status);
  st = msg->at > (int64_t)time(NULL) ? SMSMUX_STATUS_SCHEDULED
                                     : SMSMUX_STATUS_ACCEPTED;
  for (i = 0; i < msg->n_to; i++)
    h->add_recipient(call, msg->to[i], st, NULL,
                     h->strf(call, "%ld", resp.status),
                     resp.status == 202 ? "Accepted" : "Created");
  return 0;
}

/* ----------------------------------------------------------- status ---- */

/** A campaign with no delivery report yet: its status (GET pushs/{ref},
    3.19) as one record for the whole message. */
static int status_of_push(const clever *cl, smsmux_call *call,
                          const char *ref)
{
  const smsmux_host *h = cl->host;
  const char *what = h->strf(call, "the details of push %s", ref);
  const smsmux_status_map *def;
  const char *code, *hd_send, *now;
  json_object *doc, *push;
  smsmux_status_record rec;

  if (clever_get_member(cl, call, h->strf(call, "/pushs/%s", ref), what,
                        "push", json_type_object, &doc, &push) != 0)
    return -1;
  code = json_str(cl, call, push, "status");
  if (code == NULL) /* the screenshot of 3.14 spells it "statut" */
    code = json_str(cl, call, push, "statut");
  hd_send = trimmed(cl, call, json_str(cl, call, push, "hd_send"));
  json_object_put(doc);

  def = h->status_lookup(clever_push_statuses, code);
  memset(&rec, 0, sizeof rec);
  rec.size = sizeof rec;
  rec.to = NULL;
  rec.code = code;
  rec.status = def != NULL ? def->status : SMSMUX_STATUS_UNKNOWN;
  rec.text = def != NULL ? def->text : "status not in the Clever document";
  rec.at = hd_send;
  /* not processed yet and due later: scheduled.  hd_send is local time,
     "2017-10-12 13:56:55" or "2017-10-12T13:56:55+0200": the first 19
     characters compare as text once the 'T' is a space. */
  now = h->format_time(call, (int64_t)time(NULL), CLEVER_DATE_FORMAT);
  if (code != NULL && strcmp(code, "0") == 0 && hd_send != NULL &&
      strlen(hd_send) >= 19) {
    char when[20];
    memcpy(when, hd_send, 19);
    when[19] = '\0';
    if (when[10] == 'T')
      when[10] = ' ';
    if (strcmp(when, now) > 0) {
      rec.status = SMSMUX_STATUS_SCHEDULED;
      rec.text = "non traité (programmé)";
    }
  }
  h->add_status(call, &rec);
  return 0;
}

static int clever_status(void *state, smsmux_call *call, const char *id)
{
  const clever *cl = state;
  const smsmux_host *h = cl->host;
  const char *ref = reference_path(cl, call, id);
  const char *what;
  json_object *doc, *list;
  size_t i, n;

  if (ref == NULL)
    return -1;
  what = h->strf(call, "the delivery reports of push %s", ref);
  if (clever_get_member(cl, call, h->strf(call, "/pushs/%s/deliveries", ref),
                        what, "deliveries", json_type_array, &doc,
                        &list) != 0)
    return -1;
  n = json_object_array_length(list);
  for (i = 0; i < n; i++) {
    json_object *d = json_object_array_get_idx(list, i);
    const smsmux_status_map *def;
    smsmux_status_record rec;
    const char *code, *received;

    if (d == NULL || !json_object_is_type(d, json_type_object))
      continue;
    code = json_str(cl, call, d, "status");
    def = h->status_lookup(clever_delivery_statuses, code);
    received = json_str(cl, call, d, "date_receive");
    memset(&rec, 0, sizeof rec);
    rec.size = sizeof rec;
    rec.to = trimmed(cl, call, json_str(cl, call, d, "recipient"));
    rec.status = def != NULL ? def->status : SMSMUX_STATUS_UNKNOWN;
    rec.code = code != NULL ? code : "";
    rec.text = def != NULL ? def->text : "status not in the Clever tables";
    rec.at = received != NULL && *received != '\0'
                 ? received
                 : json_str(cl, call, d, "date_send");
    h->add_status(call, &rec);
  }
  json_object_put(doc);
  if (n > 0)
    return 0;
  h->log(call, SMSMUX_LOG_DEBUG,
         "push %s has no delivery report yet; asking for its details", ref);
  return status_of_push(cl, call, ref);
}

/* ---------------------------------------------------------- balance ---- */

static int clever_balance(void *state, smsmux_call *call)
{
  const clever *cl = state;
  const smsmux_host *h = cl->host;
  json_object *doc, *account, *credit;
  double value;

  if (clever_get_json(cl, call, "/account/me", "the account profile",
                      &doc) != 0)
    return -1;
  /* "credit : nombre d'unités restantes du compte" (999733) */
  if (!json_object_object_get_ex(doc, "account", &account) ||
      !json_object_object_get_ex(account, "credit", &credit) ||
      credit == NULL ||
      !(json_object_is_type(credit, json_type_int) ||
        json_object_is_type(credit, json_type_double) ||
        (json_object_is_type(credit, json_type_string) &&
         is_integer(cl, json_object_get_string(credit))))) {
    json_object_put(doc);
    return h->fail(call, SMSMUX_ERR_TEMPORARY, NULL,
                   "Clever REST sent an account profile without a credit");
  }
  value = json_object_get_double(credit);
  json_object_put(doc);
  h->set_balance(call, value, "units");
  return 0;
}

/* ---------------------------------------------------------- replies ---- */

/** "Y-m-d H:i:s" of a Unix time, or NULL for 0. */
static const char *bound(const clever *cl, smsmux_call *call, int64_t t)
{
  return t != 0 ? cl->host->format_time(call, t, CLEVER_DATE_FORMAT) : NULL;
}

static int clever_replies(void *state, smsmux_call *call,
                          const smsmux_reply_query *q)
{
  const clever *cl = state;
  const smsmux_host *h = cl->host;
  const char *ref, *what, *since = NULL, *until = NULL;
  unsigned start = 0, count = 0, seen = 0, given = 0;
  json_object *doc, *list;
  size_t i, n;

  if (q == NULL || !SMSMUX_HAS_MEMBER(q, smsmux_reply_query, until) ||
      q->id == NULL || *q->id == '\0')
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "Clever REST lists the replies (MO) of one campaign: "
                   "give its push reference (smsmux replies --provider P "
                   "REFERENCE)");
  ref = reference_path(cl, call, q->id);
  if (ref == NULL)
    return -1;
  start = q->start;
  count = q->count;
  since = bound(cl, call, q->since);
  until = bound(cl, call, q->until);

  what = h->strf(call, "the replies to push %s", ref);
  if (clever_get_member(cl, call, h->strf(call, "/pushs/%s/mos", ref), what,
                        "mos", json_type_array, &doc, &list) != 0)
    return -1;
  /* The document offers no paging or dates for MOs: --since/--until
     compare with date_receive ("Y-m-d H:i:s", local time, compares as
     text), then --start/--count take a slice, in the provider's order. */
  n = json_object_array_length(list);
  for (i = 0; i < n; i++) {
    json_object *m = json_object_array_get_idx(list, i);
    const char *at;
    smsmux_reply r;

    if (m == NULL || !json_object_is_type(m, json_type_object))
      continue;
    at = trimmed(cl, call, json_str(cl, call, m, "date_receive"));
    if ((since != NULL && (at == NULL || strcmp(at, since) < 0)) ||
        (until != NULL && (at == NULL || strcmp(at, until) > 0)))
      continue;
    if (seen++ < start)
      continue;
    if (count != 0 && given >= count)
      break;
    memset(&r, 0, sizeof r);
    r.size = sizeof r;
    r.from = trimmed(cl, call, json_str(cl, call, m, "recipient"));
    r.text = json_str(cl, call, m, "message");
    if (r.text == NULL)
      r.text = "";
    r.at = at;
    r.message_id = ref;
    h->add_reply(call, &r);
    given++;
  }
  json_object_put(doc);
  return 0;
}

/* ----------------------------------------------------------- cancel ---- */

static int clever_cancel(void *state, smsmux_call *call, const char *id)
{
  const clever *cl = state;
  const smsmux_host *h = cl->host;
  const char *ref = reference_path(cl, call, id);
  smsmux_http_response resp;
  json_object *doc;

  if (ref == NULL)
    return -1;
  /* 404: unknown; 405 "L'opération demandée n'est pas permise": the
     push is no longer a scheduled one (already sent) */
  if (clever_http(cl, call, SMSMUX_HTTP_DELETE,
                  h->strf(call, "/pushs/%s", ref), NULL, 1,
                  h->strf(call, "deleting push %s", ref), &resp) != 0)
    return -1;
  /* "204 No Content"; a 200 with a JSON body is read as done too, but
     a body that is not JSON is no answer of this API */
  if (resp.body_len > 0) {
    doc = json_parse_body(&resp);
    if (doc == NULL)
      return unreadable(cl, call, &resp, 1,
                        h->strf(call, "deleting push %s", ref));
    json_object_put(doc);
  }
  return 0;
}

/* ------------------------------------------------------- operations ---- */

/** How a parameter's text becomes a JSON value. */
typedef enum value_kind {
  V_TEXT,   /* a string, as given */
  V_INT,    /* a whole number ("encodage": 3) */
  V_PHONE,  /* a phone number: normalised to +336... */
  V_PHONES, /* numbers separated by ';' or ',': "+336...;+336..." */
  V_MAILS,  /* addresses separated by ';' or ',': "a@b;c@d" */
  V_DATE    /* "Y-m-d H:i:s" */
} value_kind;

/* The parameters that are not strings.  A name means the same thing in
   every function of the document, so its kind is said once here. */
static const struct clever_kind {
  const char *param;
  value_kind kind;
} clever_kinds[] = {
    {"credit", V_INT},          {"encodage", V_INT},
    {"duplicates", V_INT},      {"open_tag", V_INT},
    {"all_number", V_INT},      {"cascade", V_INT},
    {"time_cascade", V_INT},    {"predefined_message", V_INT},
    {"hd_send", V_DATE},        {"number_list", V_PHONES},
    {"email_list", V_MAILS},    {"telephone", V_PHONE},
    {"gsm_routage_mo", V_PHONE}, {"gsm_primary", V_PHONE},
    {"gsm_secondary", V_PHONE}, {"landline_primary", V_PHONE},
    {"landline_secondary", V_PHONE}, {"fax_primary", V_PHONE},
    {"fax_secondary", V_PHONE}, {NULL, V_TEXT}};

/* The members of a body are the operation's parameters but `datas` and
   the one its path takes.  They go on the wire in the order of the
   document's example request (the `first` list of the operation), then
   the remaining parameters in the order of its table (the operation's
   params).  Where the example and the table spell a field differently,
   the example wins (it shows what the service took): `paths` gives such
   members, and nested ones ("a.b": member b of object a), their place in
   "datas"; a field only the table names keeps the table's spelling. */

/** Where a body member goes in "datas", when not at its parameter name. */
typedef struct clever_path {
  const char *param;
  const char *path;
} clever_path;

/* 3.2/3.3: the example nests name, lastname, email, telephone under
   "account" and address, company_name under "account"."company", as the
   account of 3.1 is laid out; credit, zipCode, city and country, which
   the example does not show, go where 3.1 shows them (credit in the
   account, after telephone; the address fields in its company), spelt
   as the table does. */
static const char *const first_user[] = {
    "username", "password",  "name",   "lastname",
    "email",    "telephone", "credit", NULL};
static const clever_path paths_user[] = {
    {"name", "account.name"},
    {"lastname", "account.lastname"},
    {"email", "account.email"},
    {"telephone", "account.telephone"},
    {"credit", "account.credit"},
    {"address", "account.company.address"},
    {"company_name", "account.company.company_name"},
    {"zipCode", "account.company.zipCode"},
    {"city", "account.company.city"},
    {"country", "account.company.country"},
    {NULL, NULL}};

/* 3.5/3.6: the table says lastname and gsm_primary, the example sends
   lastName and gsmPrimary; the table's own zipCode and streetNumber are
   camelCase too.  So the body is camelCase throughout: the other
   snake_case names of the table (gsm_secondary, landline_primary, ...)
   are sent camelCase as well.  `datas={"gsm_secondary":"..."}` sends a
   spelling of your own.  The example's order is the table's
   (first_table_order). */
static const clever_path paths_contact[] = {
    {"lastname", "lastName"},
    {"gsm_primary", "gsmPrimary"},
    {"gsm_secondary", "gsmSecondary"},
    {"landline_primary", "landlinePrimary"},
    {"landline_secondary", "landlineSecondary"},
    {"fax_primary", "faxPrimary"},
    {"fax_secondary", "faxSecondary"},
    {NULL, NULL}};

/* A body whose members all go in the order of the table. */
static const char *const first_table_order[] = {NULL};

/* The examples of 3.12 to 3.16. */
static const char *const first_push_mail[] = {
    "text",     "email_list", "email_subject",
    "open_tag", "type_mail",  "duplicates", NULL};
static const char *const first_push_criteria[] = {
    "text",     "criteria", "type_push",
    "encodage", "options",  "duplicates", NULL};
static const char *const first_push_mail_criteria[] = {
    "text",     "criteria",  "email_subject",
    "open_tag", "type_mail", "duplicates", NULL};
static const char *const first_push_broadcast[] = {
    "text",           "type_push",       "encodage",   "options",
    "gsm_routage_mo", "mail_routage_mo", "duplicates", NULL};
static const char *const first_push_mail_broadcast[] = {
    "text", "email_subject", "open_tag", "duplicates", "type_mail", NULL};

/** How an operation is carried out. */
typedef struct clever_op {
  const char *name;
  smsmux_http_method method;
  /** Path with at most one {param} (a URL parameter of the document). */
  const char *path;
  /** The operation's parameters (its descriptor's list). */
  const char *const *params;
  /** Body members that go first, in this order, or NULL for a request
      without a body. */
  const char *const *first;
  /** Where body members go when not at their parameter name, or NULL. */
  const clever_path *paths;
  /** Member of the answer holding the result, NULL: any shape, or "" for
      an answer without a body (204). */
  const char *wrapper;
  /** encodage defaults from the text when not given */
  int default_encodage;
} clever_op;

/* Paths follow the section headings.  The screenshots of 3.12, 3.14 and
   3.16 show pushmails, pushmailcriteria and pushmailbroadcasts; the
   headings (and 3.18's screenshot) say pushsmails..., which is kept.  The
   heading of 3.22 itself says pushmails/{referencePush}/deliveries, next
   to pushsmails/{referencePush} in 3.18 and 3.20: followed as written.
   The simulator accepts every spelling. */
static const clever_op clever_ops[] = {
    {"account", SMSMUX_HTTP_GET, "/account/me", params_none, NULL, NULL,
     "account", 0},
    {"user-create", SMSMUX_HTTP_POST, "/users", params_user_create,
     first_user, paths_user, "user", 0},
    {"user-update", SMSMUX_HTTP_PUT, "/users/{id_user}", params_user_update,
     first_user, paths_user, "", 0},
    {"user-get", SMSMUX_HTTP_GET, "/users/{id_user}", params_id_user, NULL,
     NULL, "user", 0},
    {"contact-create", SMSMUX_HTTP_POST, "/contacts", params_contact_create,
     first_table_order, paths_contact, "contact", 0},
    {"contact-update", SMSMUX_HTTP_PUT, "/contacts/{id_contact}",
     params_contact_update, first_table_order, paths_contact, "", 0},
    {"contact-get", SMSMUX_HTTP_GET, "/contacts/{id_contact}",
     params_id_contact, NULL, NULL, "contact", 0},
    {"contact-delete", SMSMUX_HTTP_DELETE, "/contacts/{id_contact}",
     params_id_contact, NULL, NULL, "", 0},
    {"contact-list", SMSMUX_HTTP_GET, "/contactlists", params_none, NULL,
     NULL, "contact", 0},
    {"contact-list-user", SMSMUX_HTTP_GET, "/contactlists/{login}",
     params_login, NULL, NULL, "contact", 0},
    {"push-mail", SMSMUX_HTTP_POST, "/pushsmails", params_push_mail,
     first_push_mail, NULL, "push", 0},
    {"push-criteria", SMSMUX_HTTP_POST, "/pushscriterias",
     params_push_criteria, first_push_criteria, NULL, "push", 1},
    {"push-mail-criteria", SMSMUX_HTTP_POST, "/pushsmailcriterias",
     params_push_mail_criteria, first_push_mail_criteria, NULL, "push", 0},
    {"push-broadcast", SMSMUX_HTTP_POST, "/pushsbroadcasts",
     params_push_broadcast, first_push_broadcast, NULL, "push", 1},
    {"push-mail-broadcast", SMSMUX_HTTP_POST, "/pushsmailbroadcasts",
     params_push_mail_broadcast, first_push_mail_broadcast, NULL, "push", 0},
    {"push-mail-delete", SMSMUX_HTTP_DELETE, "/pushsmails/{referencePush}",
     params_reference, NULL, NULL, "", 0},
    {"push-info", SMSMUX_HTTP_GET, "/pushs/{referencePush}", params_reference,
     NULL, NULL, "push", 0},
    {"push-mail-info", SMSMUX_HTTP_GET, "/pushsmails/{referencePush}",
     params_reference, NULL, NULL, "push", 0},
    {"push-mail-deliveries", SMSMUX_HTTP_GET,
     "/pushmails/{referencePush}/deliveries", params_reference, NULL, NULL,
     "deliveries", 0},
    {"field-list", SMSMUX_HTTP_GET, "/fieldlist", params_none, NULL, NULL,
     NULL, 0},
    {"predefined-messages", SMSMUX_HTTP_GET, "/predefinedmessage",
     params_none, NULL, NULL, NULL, 0},
};

/** The URL of `op` with its {param} replaced by the checked value, or
    NULL after failing with INPUT.  Values that cannot go in a path
    unescaped are refused rather than escaped by hand. */
static const char *op_path(const clever *cl, smsmux_call *call,
                           const clever_op *op, const smsmux_kv *params,
                           size_t n)
{
  const smsmux_host *h = cl->host;
  const char *open = strchr(op->path, '{'), *close, *value;
  char name[32];
  size_t len;

  if (open == NULL)
    return op->path;
  close = strchr(open, '}');
  if (close == NULL || (size_t)(close - open - 1) >= sizeof name) {
    h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "%s: bad path template %s",
            op->name, op->path);
    return NULL;
  }
  len = (size_t)(close - open - 1);
  memcpy(name, open + 1, len);
  name[len] = '\0';
  /* given: the host has checked it; a blank one fails the checks below */
  value = trimmed(cl, call, cl->host->param(params, n, name));
  if (strcmp(name, "referencePush") == 0) {
    value = reference_path(cl, call, value);
    if (value == NULL)
      return NULL;
  } else if (strcmp(name, "login") == 0) {
    if (!path_segment_ok(value, "._-@~")) {
      h->fail(call, SMSMUX_ERR_INPUT, NULL,
              "%s: login=%s is not valid: letters, digits and . _ - @ ~ "
              "only",
              op->name, value);
      return NULL;
    }
  } else if (h->parse_uint(value, 0, ULLONG_MAX, NULL) != 0) {
    /* id_user, id_contact: "doit être un entier" */
    h->fail(call, SMSMUX_ERR_INPUT, NULL,
            "%s: %s=%s is not valid: a whole number", op->name, name, value);
    return NULL;
  }
  return h->strf(call, "%.*s%s%s", (int)(open - op->path), op->path, value,
                 close + 1);
}

/** The members of a ';' or ',' separated list, trimmed, joined by ';'
    (the document's separator); numbers normalised to +336...  NULL after
    failing with INPUT. */
static const char *list_value(const clever *cl, smsmux_call *call,
                              const clever_op *op, const char *param,
                              const char *v, int phones)
{
  const smsmux_host *h = cl->host;
  char *copy = h->strf(call, "%s", v), *p;
  char **f;
  const char *out = "";
  size_t i, n, kept = 0;

  for (p = copy; *p != '\0'; p++)
    if (*p == ',')
      *p = ';';
  n = h->split(call, copy, ";", &f);
  for (i = 0; i < n; i++) {
    const char *item = f[i];
    if (*item == '\0')
      continue;
    if (phones) {
      item = h->number_normalise(call, item);
    } else if (strchr(item, '@') == NULL) {
      h->fail(call, SMSMUX_ERR_INPUT, NULL,
              "%s: %s holds \"%s\", which is not a mail address", op->name,
              param, item);
      return NULL;
    }
    out = h->strf(call, "%s%s%s", out, kept++ > 0 ? ";" : "", item);
  }
  if (kept == 0) {
    h->fail(call, SMSMUX_ERR_INPUT, NULL, "%s: %s is empty", op->name,
            param);
    return NULL;
  }
  return out;
}

/** The JSON value of parameter `param` given as `v`, or NULL after
    failing. */
static json_object *field_value(const clever *cl, smsmux_call *call,
                                const clever_op *op, const char *param,
                                const char *v)
{
  const smsmux_host *h = cl->host;
  const struct clever_kind *k = clever_kinds;
  const char *s;

  while (k->param != NULL && strcmp(k->param, param) != 0)
    k++;
  switch (k->kind) {
  case V_INT:
    if (!is_integer(cl, v)) {
      h->fail(call, SMSMUX_ERR_INPUT, NULL,
              "%s: %s=%s is not valid: a whole number", op->name, param, v);
      return NULL;
    }
    return json_object_new_int64(strtoll(v, NULL, 10));
  case V_PHONE:
    return json_object_new_string(h->number_normalise(call, v));
  case V_PHONES:
  case V_MAILS:
    s = list_value(cl, call, op, param, v, k->kind == V_PHONES);
    return s != NULL ? json_object_new_string(s) : NULL;
  case V_DATE:
    if (!valid_date(v)) {
      h->fail(call, SMSMUX_ERR_INPUT, NULL,
              "%s: %s=%s is not valid: write it as 'YYYY-MM-DD HH:MM:SS' "
              "(the document's Y-m-d H:i:s)",
              op->name, param, v);
      return NULL;
    }
    return json_object_new_string(v);
  default:
    return json_object_new_string(v);
  }
}

/** Put `value` at dotted `path` under `obj`, creating the objects on
    the way. */
static void put_path(const clever *cl, smsmux_call *call, json_object *obj,
                     const char *path, json_object *value)
{
  const char *dot = strchr(path, '.');
  json_object *child;
  const char *head;

  if (dot == NULL) {
    json_object_object_add(obj, path, value);
    return;
  }
  head = cl->host->strf(call, "%.*s", (int)(dot - path), path);
  if (!json_object_object_get_ex(obj, head, &child) || child == NULL ||
      !json_object_is_type(child, json_type_object)) {
    child = json_object_new_object();
    json_object_object_add(obj, head, child);
  }
  put_path(cl, call, child, dot + 1, value);
}

/** "3 pour le Latin et 4 pour l'UCS2": 3 when the text survives a round
    trip through ISO-8859-1, else 4. */
static int text_encodage(const clever *cl, smsmux_call *call,
                         const char *text)
{
  const char *bytes, *back;
  size_t len = 0;

  bytes = cl->host->to_charset(call, text, "ISO-8859-1", &len);
  if (bytes == NULL)
    return 4;
  back = cl->host->from_charset(call, bytes, len, "ISO-8859-1");
  return back != NULL && strcmp(back, text) == 0 ? 3 : 4;
}

/** Put parameter `param` of `op`, when given, in `datas`; -1 after
    failing. */
static int body_member(const clever *cl, smsmux_call *call,
                       const clever_op *op, const smsmux_kv *params,
                       size_t n, json_object *datas, const char *param)
{
  const char *given = cl->host->param(params, n, param);
  const clever_path *p = op->paths;
  json_object *v;

  if (given == NULL && op->default_encodage &&
      strcmp(param, "encodage") == 0) {
    const char *text = cl->host->param(params, n, "text");
    given = text_encodage(cl, call, text != NULL ? text : "") == 3 ? "3"
                                                                  : "4";
  }
  if (given == NULL)
    return 0;
  v = field_value(cl, call, op, param, given);
  if (v == NULL)
    return -1;
  while (p != NULL && p->param != NULL && strcmp(p->param, param) != 0)
    p++;
  put_path(cl, call, datas, p != NULL && p->param != NULL ? p->path : param,
           v);
  return 0;
}

/** 1 when `name` is one of `list` (NULL-terminated). */
static int listed(const char *const *list, const char *name)
{
  for (; *list != NULL; list++)
    if (strcmp(*list, name) == 0)
      return 1;
  return 0;
}

/** The {"datas": {...}} body of `op`, or NULL after failing. */
static const char *op_body(const clever *cl, smsmux_call *call,
                           const clever_op *op, const smsmux_kv *params,
                           size_t n)
{
  const smsmux_host *h = cl->host;
  const char *extra = cl->host->param(params, n, "datas");
  const char *const *f;
  json_object *doc, *datas, *more = NULL;
  const char *body;
  int rc = 0;

  if (extra != NULL) {
    more = json_tokener_parse(extra);
    if (more == NULL || !json_object_is_type(more, json_type_object)) {
      if (more != NULL)
        json_object_put(more);
      h->fail(call, SMSMUX_ERR_INPUT, NULL,
              "%s: datas=%s is not valid: give a JSON object, e.g. "
              "datas='{\"gsm_secondary\": \"+33612345678\"}'",
              op->name, extra);
      return NULL;
    }
  }
  doc = json_object_new_object();
  datas = json_object_new_object();
  json_object_object_add(doc, "datas", datas);
  for (f = op->first; *f != NULL && rc == 0; f++)
    rc = body_member(cl, call, op, params, n, datas, *f);
  for (f = op->params; *f != NULL && rc == 0; f++) {
    /* the declared name without its '?' */
    const char *name = h->strf(call, "%.*s", (int)strcspn(*f, "?"), *f);
    if (strcmp(name, "datas") != 0 && !listed(op->first, name) &&
        strstr(op->path, h->strf(call, "{%s}", name)) == NULL)
      rc = body_member(cl, call, op, params, n, datas, name);
  }
  if (rc != 0) {
    json_object_put(doc);
    if (more != NULL)
      json_object_put(more);
    return NULL;
  }
  if (more != NULL) {
    json_object_object_foreach(more, key, val)
    {
      json_object_object_add(datas, key, json_object_get(val));
    }
    json_object_put(more);
  }
  body = json_text(cl, call, doc);
  json_object_put(doc);
  return body;
}

/** The normalised status of the records of push-mail-deliveries. */
static void add_delivery_states(const clever *cl, smsmux_call *call,
                                json_object *doc)
{
  json_object *list;
  size_t i, n;

  if (!json_object_object_get_ex(doc, "deliveries", &list) ||
      !json_object_is_type(list, json_type_array))
    return;
  n = json_object_array_length(list);
  for (i = 0; i < n; i++) {
    json_object *d = json_object_array_get_idx(list, i);
    const char *code = json_str(cl, call, d, "status");
    const smsmux_status_map *def =
        cl->host->status_lookup(clever_delivery_statuses, code);
    /* the record of this delivery is added after: see clever_call */
    if (d != NULL && json_object_is_type(d, json_type_object))
      json_object_object_add(
          d, "state",
          json_object_new_string(
              cl->host->status_name(def != NULL ? def->status
                                                : SMSMUX_STATUS_UNKNOWN)));
  }
}

static int clever_call(void *state, smsmux_call *call, const char *name,
                       const smsmux_kv *params, size_t n)
{
  const clever *cl = state;
  const smsmux_host *h = cl->host;
  const clever_op *op = NULL;
  const char *path, *body = NULL, *what;
  int sending;
  smsmux_http_response resp;
  json_object *doc;
  size_t i;

  if (params == NULL)
    n = 0;
  for (i = 0; i < sizeof clever_ops / sizeof clever_ops[0]; i++)
    if (name != NULL && strcmp(clever_ops[i].name, name) == 0)
      op = &clever_ops[i];
  if (op == NULL)
    return h->fail(call, SMSMUX_ERR_UNSUPPORTED, NULL,
                   "Clever REST has no operation %s",
                   name != NULL ? name : "(none)");

  path = op_path(cl, call, op, params, n);
  if (path == NULL)
    return -1;
  if (op->first != NULL) {
    body = op_body(cl, call, op, params, n);
    if (body == NULL)
      return -1;
  }
  sending = op->method != SMSMUX_HTTP_GET;
  what = h->strf(call, "%s (%s)", op->name, path + 1);
  if (clever_http(cl, call, op->method, path, body, sending, what, &resp) !=
      0)
    return -1;

  if (op->wrapper != NULL && *op->wrapper == '\0') {
    /* "204 No Content": nothing to show; a body that is not JSON is no
       answer of this API */
    if (resp.body_len > 0) {
      doc = json_parse_body(&resp);
      if (doc == NULL)
        return unreadable(cl, call, &resp, sending, what);
      json_object_put(doc);
    }
    return 0;
  }
  if (resp.status == 202 && resp.body_len == 0) {
    /* "202 Accepted ... Sinon une réponse sans contenu" */
    h->log(call, SMSMUX_LOG_INFO,
           "%s: accepted, to be carried out later (202, no details)", what);
    return 0;
  }
  doc = json_parse_body(&resp);
  if (doc == NULL || !(json_object_is_type(doc, json_type_object) ||
                       json_object_is_type(doc, json_type_array))) {
    if (doc != NULL)
      json_object_put(doc);
    return unreadable(cl, call, &resp, sending, what);
  }
  if (strcmp(op->name, "push-mail-deliveries") == 0)
    add_delivery_states(cl, call, doc);
  if (emit_records(cl, call, doc, op->wrapper) != 0) {
    json_object_put(doc);
    return unreadable(cl, call, &resp, sending, what);
  }
  json_object_put(doc);
  return 0;
}
