/*
 * allmysms.c - the MSInnovations AllMySMS MMS provider plugin.
 *
 * Speaks ../shared/providers/allmysms-mms.txt ("Module http MMS
 * AllMySMS.com, manuel d'intégration"): an XML flow built with libxml2,
 * POSTed as application/x-www-form-urlencoded to
 * base_url + "/amsmodule.sendmms.v2.php" as `XMLFlow`, beside the account's
 * `clientcode` and `passcode`.  Answers are lines `Key=value` in
 * ISO-8859-1 (Status, StatusText, Credits, InvalidNums, CampaignID), then
 * `IDs=` followed by an XML tree that may span several lines.
 *
 *   send      amsmodule.sendmms.v2.php: MMS text, image, video, sound,
 *             sound + image (MSGCLASS 0..4), deferred with DATE
 *   balance   the account tool, amsmodule.sendsms.v6.php with info=<login>
 *   call      account-info: the same tool about any account (info=LOGIN)
 *
 * The document describes no delivery report, no reply and no cancel, and
 * the module sends no plain SMS: the plugin declares none of those.
 *
 * The plugin keeps no mutable state: the instance holds the host table and
 * copies of its configuration, written once in open and only read after,
 * so any number of threads may use one instance at once.
 */
#include <smsmux/provider.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ALLMYSMS_VERSION "1.0.0"

#define ALLMYSMS_SEND_PATH "/amsmodule.sendmms.v2.php"
/* Section 3.1 prints the tool's URL as
   http://api.msinnovations.com/amsmodule.sendsms.v6.php, while its PHP
   example POSTs /smsmod/amsmodule.sendsms.v2.php to www.msinnovations.com.
   The URL of the section heading wins: it lives beside the MMS module under
   the same base_url. */
#define ALLMYSMS_TOOL_PATH "/amsmodule.sendsms.v6.php"

/* "plusieurs requêtes de 200 SMS vers le module http plutôt qu'une seule":
   the core splits longer lists. */
#define ALLMYSMS_MAX_RECIPIENTS 200
/* MESSAGE: at most 1000 characters for a text MMS, 100 with a media. */
#define ALLMYSMS_TEXT_MAX 1000
#define ALLMYSMS_CAPTION_MAX 100
/* DUREE: "comprise entre 0 et 1000" seconds */
#define ALLMYSMS_DURATION_MAX 1000

/* The document names no charset for the flow.  Its answers come in
   ISO-8859-1, so the platform reads Latin-1: the XML goes out in
   ISO-8859-1 with a declaration saying so; libxml2 writes any character
   Latin-1 cannot hold (the euro sign...) as a character reference. */
#define ALLMYSMS_XML_CHARSET "ISO-8859-1"
/* What an answer that declares no charset and is not UTF-8 is read as. */
#define ALLMYSMS_ANSWER_CHARSET "ISO-8859-1"

/* The statuses of the account tool that mean "this account is active".
   Section 3.3's table says 300, while its example (section 3.2) answers
   Status=100 with StatusText "Compte actif": both are read as active. */
#define ALLMYSMS_ACCOUNT_ACTIVE 300

/* ----------------------------------------------------------- instance -- */

/** One configured instance: the host table and copies of its config.
    The default MAIL_NOTIF is read through the host at each send. */
typedef struct allmysms {
  const smsmux_host *host;
  const char *login;    /* clientcode, as configured (host's, until close) */
  char *client;         /* the <CLIENT> tag: the login in upper case, in
                           the open call's memory (lives until close) */
  const char *password; /* passcode (host's, until close) */
} allmysms;

static int allmysms_open(const smsmux_host *host, smsmux_call *call,
                         void **state);
static void allmysms_close(void *state);
static int allmysms_send(void *state, smsmux_call *call,
                         const smsmux_message *msg);
static int allmysms_balance(void *state, smsmux_call *call);
static int allmysms_call(void *state, smsmux_call *call, const char *op,
                         const smsmux_kv *params, size_t n_params);

/* ------------------------------------------------------- descriptor --- */

static const smsmux_config_key allmysms_config_keys[] = {
    {"login", SMSMUX_KEY_REQUIRED,
     "AllMySMS login (clientcode; sent upper-cased as <CLIENT>)"},
    {"password", SMSMUX_KEY_REQUIRED | SMSMUX_KEY_SECRET,
     "AllMySMS password (passcode)"},
    {"mail_notif", 0,
     "default MAIL_NOTIF: yes to get an e-mail about each send, no to "
     "refuse it (unset: not sent, the account's setting applies)"},
    {NULL, 0, NULL}};

static const char *const params_account_info[] = {"info", NULL};

static const smsmux_operation allmysms_operations[] = {
    {"account-info",
     "whether an account exists and is active, and its credit (the account "
     "tool, amsmodule.sendsms.v6.php)",
     params_account_info},
    {NULL, NULL, NULL}};

/* The --option names send reads. */
static const char *const allmysms_send_options[] = {"mail_notif", NULL};

static const smsmux_provider allmysms_provider = {
    .size = sizeof(smsmux_provider),
    .abi_major = SMSMUX_ABI_MAJOR,
    .abi_minor = SMSMUX_ABI_MINOR,
    .name = "allmysms",
    .version = ALLMYSMS_VERSION,
    .summary = "MSInnovations AllMySMS MMS http module (api.msinnovations.com)",
    .capabilities =
        SMSMUX_CAP_MMS | SMSMUX_CAP_SCHEDULE | SMSMUX_CAP_BALANCE,
    .max_recipients = ALLMYSMS_MAX_RECIPIENTS,
    /* the longest MESSAGE (text MMS); 100 with a media, checked in send */
    .max_text_length = ALLMYSMS_TEXT_MAX,
    .max_segments = 0,
    .max_sender_length = 0,
    .default_base_url = "http://api.msinnovations.com",
    .config_keys = allmysms_config_keys,
    .operations = allmysms_operations,
    .open = allmysms_open,
    .close = allmysms_close,
    .send = allmysms_send,
    .status = NULL,
    .balance = allmysms_balance,
    .replies = NULL,
    .cancel = NULL,
    .call = allmysms_call,
    .send_options = allmysms_send_options,
};

/* provider.h declares the prototype; this defines it */
SMSMUX_PROVIDER_ENTRY_DECL { return &allmysms_provider; }

/* ------------------------------------------------------ status table --- */

/* Every Status of the document, in one table: the MMS module's (section
   2.2, 100..123 and 200) and the account tool's (section 3.3, 300..303).
   `cls` is what the status means for the request that got it; SMSMUX_OK
   for the successes.  `text` is the document's StatusText, used when an
   answer carries none. */
static const smsmux_error_map allmysms_statuses[] = {
    {"100", SMSMUX_OK, "Le message a été envoyé"},
    {"101", SMSMUX_OK, "Le message a été programmé pour un envoi différé"},
    {"102", SMSMUX_ERR_AUTH,
     "Problème de connexion - Aucun compte ne correspond aux clientcode et "
     "passcode spécifiés"},
    {"103", SMSMUX_ERR_CREDIT,
     "Crédit SMS épuisé. Veuillez recrediter votre compte sur AllMySMS.com"},
    {"104", SMSMUX_ERR_CREDIT,
     "Crédit insuffisant pour traiter cet envoi. A utiliser: XX Crédits, "
     "Disponibles: XX Crédits. Veuillez recrediter votre compte sur "
     "AllMySMS.com"},
    {"105", SMSMUX_ERR_INVALID, "Flux XML Vide"},
    {"106", SMSMUX_ERR_INVALID,
     "Flux XML invalide ou incomplet après la balise <DATA>"},
    {"107", SMSMUX_ERR_INVALID,
     "Flux XML invalide ou incomplet après la balise <CLIENT>"},
    {"108", SMSMUX_ERR_INVALID,
     "Balise <MSGCLASS> - Type du MMS non défini (vide) dans le flux XML"},
    {"109", SMSMUX_ERR_INVALID, "Balise <MSGCLASS> - Type du MMS incorrect"},
    {"110", SMSMUX_ERR_INVALID,
     "Balise <MESSAGE> <IMAGE> <VIDEO> <SON> - non défini (vide) dans le "
     "flux XML"},
    {"111", SMSMUX_ERR_INVALID, "Message trop long"},
    {"112", SMSMUX_ERR_INVALID, "Extension invalide"},
    {"113", SMSMUX_ERR_INVALID, "URL incorrecte"},
    /* the platform could not fetch the media: nothing was sent, and the
       media server may answer later */
    {"114", SMSMUX_ERR_TEMPORARY, "Problème lors du téléchargement du fichier"},
    {"115", SMSMUX_ERR_INVALID, "Média trop volumineux (image, son, vidéo)"},
    {"116", SMSMUX_ERR_TEMPORARY,
     "Impossible de se connecter au serveur pour télécharger l'image"},
    {"117", SMSMUX_ERR_TEMPORARY,
     "Problème au cours du téléchargement de l'image"},
    {"118", SMSMUX_ERR_INVALID,
     "Balise <VIDEO><URL> <SON><URL> - non définie (vide) dans le flux XML"},
    {"119", SMSMUX_ERR_INVALID,
     "Balise <VIDEO><DUREE> <SON><DUREE> - non définie (vide) dans le flux "
     "XML"},
    {"120", SMSMUX_ERR_INVALID, "Durée incorrect pour le son ou la vidéo"},
    {"121", SMSMUX_ERR_INVALID,
     "Flux XML invalide ou date mal formatée entre les balises <DATE> et "
     "</DATE>"},
    {"122", SMSMUX_ERR_INVALID,
     "Flux XML invalide ou incomplet après la balise <MOBILEPHONE>"},
    {"123", SMSMUX_ERR_INVALID,
     "Aucun numéro de téléphone valide dans le flux. Veuillez vous référer "
     "à la documentation en ligne pour connaître les formats valides."},
    {"200", SMSMUX_ERR_AUTH,
     "Vous n'avez pas l'autorisation d'utiliser ce module. Contactez le "
     "support AllMySMS pour plus de renseignements."},
    {"300", SMSMUX_OK, "Compte actif"},
    /* the account tool about the instance's own account: any of these
       means its credentials cannot be used */
    {"301", SMSMUX_ERR_AUTH, "Compte inexistant"},
    {"302", SMSMUX_ERR_AUTH,
     "Vous n'avez pas accès aux informations concernant ce compte"},
    {"303", SMSMUX_ERR_AUTH, "Compte inactif"},
    {NULL, SMSMUX_OK, NULL}};

/* What the user can do about a Status, when the document's words do not
   say it (host->param finds a code's). */
static const smsmux_kv allmysms_hints[] = {
    {"102", "check login and password (clientcode and passcode)"},
    {"103", "the account has no credit left"},
    {"104", "not enough credit for this send"},
    {"107", "<CLIENT> must be the login in upper case"},
    {"114",
     "AllMySMS could not download the media: check that its URL answers"},
    {"115", "media files may be at most 600 KB"},
    {"116", "AllMySMS could not reach the media server"},
    {"117", "AllMySMS could not download the image"},
    {"123", "AllMySMS takes French mobile numbers only"},
    {"200", "the account may not use the MMS module: ask AllMySMS support"},
    {"301", "check login"},
    {"302", "check login and password"},
    {"303", "the account is inactive: ask AllMySMS support"},
};

/** The line of allmysms_statuses for the answer's Status, or NULL. */
static const smsmux_error_map *status_def(const allmysms *ams,
                                          smsmux_call *call, long code)
{
  /* looked up by value: "0100" is 100 */
  return ams->host->error_lookup(allmysms_statuses,
                                 ams->host->strf(call, "%ld", code));
}

/* ------------------------------------------------------------ helpers --- */

static const char *const allmysms_secret_params[] = {"passcode", NULL};

/** Characters of UTF-8 `s` as AllMySMS counts them: a line feed counts
    double ("Le retour est également compté double"). */
static size_t text_length(const char *s)
{
  size_t n = 0;

  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c & 0xC0) == 0x80)
      continue; /* continuation byte */
    n += c == '\n' ? 2 : 1;
  }
  return n;
}

/** The first control character XML 1.0 cannot carry, or 0. */
static unsigned char xml_forbidden_char(const char *s)
{
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
      return c;
  }
  return 0;
}

/** `s` with CR LF and lone CR turned into LF: the document asks for \n
    for each line break. */
static char *newlines_lf(const allmysms *ams, smsmux_call *call,
                         const char *s)
{
  char *out = ams->host->alloc(call, strlen(s) + 1), *p;

  if (out == NULL)
    return NULL;
  for (p = out; *s != '\0'; s++) {
    if (*s == '\r') {
      *p++ = '\n';
      if (s[1] == '\n')
        s++;
    } else {
      *p++ = *s;
    }
  }
  *p = '\0';
  return out;
}

/* ------------------------------------------------- requests, answers --- */

/** An answer: `Key=value` lines, then maybe `IDs=` and XML to the end. */
typedef struct allmysms_answer {
  const char *status;   /* digits */
  long code;
  const char *text;     /* StatusText, or the document's wording, or "" */
  const char *credits;  /* NULL when absent */
  const char *invalid;  /* InvalidNums, NULL when absent */
  const char *campaign; /* CampaignID, NULL when absent or empty */
  const char *ids;      /* everything after "IDs=", NULL when absent */
} allmysms_answer;

/** Parse UTF-8 `text`.  Returns 0, or -1 when it is no answer of this
    shape (no numeric Status line): nothing recorded. */
static int answer_parse(const allmysms *ams, smsmux_call *call,
                        const char *text, allmysms_answer *ans)
{
  const smsmux_error_map *def;
  const char *ids = NULL, *head = text;
  unsigned long long code;
  smsmux_kv *pairs;
  size_t i, n;

  memset(ans, 0, sizeof *ans);
  /* IDs= holds XML that may run over several lines: it goes to the end
     of the answer, and only the lines before it are key=value pairs. */
  if (strncmp(text, "IDs=", 4) == 0)
    ids = text;
  else if ((ids = strstr(text, "\nIDs=")) != NULL)
    ids++;
  if (ids != NULL) {
    head = ams->host->strf(call, "%.*s", (int)(ids - text), text);
    ans->ids = ids + 4;
  }
  n = ams->host->parse_pairs(call, head, "\n", '=', &pairs);
  for (i = 0; i < n; i++) {
    const char *k = pairs[i].key, *v = pairs[i].value;
    if (strcasecmp(k, "Status") == 0 && ans->status == NULL)
      ans->status = v;
    else if (strcasecmp(k, "StatusText") == 0 && ans->text == NULL)
      ans->text = v;
    else if (strcasecmp(k, "Credits") == 0 && ans->credits == NULL)
      ans->credits = v;
    else if (strcasecmp(k, "InvalidNums") == 0 && ans->invalid == NULL)
      ans->invalid = v;
    else if (strcasecmp(k, "CampaignID") == 0 && ans->campaign == NULL)
      ans->campaign = *v != '\0' ? v : NULL;
  }
  if (ans->status == NULL || strlen(ans->status) > 6 ||
      ams->host->parse_uint(ans->status, 0, 999999, &code) != 0)
    return -1;
  ans->code = (long)code;
  if (ans->text == NULL || *ans->text == '\0') {
    def = status_def(ams, call, ans->code);
    ans->text = def != NULL ? def->text : "";
  }
  return 0;
}

/** POST clientcode, passcode and `key`=`value` to `path` (the order of the
    document's PHP example) and read the answer into *ans, whatever its
    Status.  Returns 0, or -1 after recording the failure of the request
    itself: transport, an HTTP status that is not a success, an unreadable
    answer.  `sending`: the request may have sent something (else it only
    reads, and a timeout is no unknown outcome); `what` completes
    "unreadable answer ..." ("to the MMS"). */
static int allmysms_ask(const allmysms *ams, smsmux_call *call,
                        const char *path, const char *key, const char *value,
                        int sending, const char *what, allmysms_answer *ans)
{
  const smsmux_host *h = ams->host;
  smsmux_kv form[3];
  smsmux_http_request req;
  smsmux_http_response resp;
  const char *text;

  form[0].key = "clientcode";
  form[0].value = ams->login;
  form[1].key = "passcode";
  form[1].value = ams->password;
  form[2].key = key;
  form[2].value = value;
  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.method = SMSMUX_HTTP_POST;
  req.path = path;
  req.body_kind = SMSMUX_BODY_FORM;
  req.form = form;
  req.n_form = 3;
  req.secret_params = allmysms_secret_params;
  req.accepts_nothing = !sending;
  memset(&resp, 0, sizeof resp);
  resp.size = sizeof resp;
  if (h->http(call, &req, &resp) != 0)
    return -1;
  if (resp.status < 200 || resp.status > 299)
    return h->fail_http(call, &resp, sending);
  /* the charset the Content-Type names, else UTF-8 when it is, else what
     the platform sends */
  text = h->decode_text(call, resp.body, resp.body_len, resp.content_type,
                        ALLMYSMS_ANSWER_CHARSET);
  if (answer_parse(ams, call, text, ans) != 0)
    return h->fail(call,
                   sending ? SMSMUX_ERR_UNKNOWN_OUTCOME
                           : SMSMUX_ERR_TEMPORARY,
                   NULL, "AllMySMS sent an unreadable answer %s%s: \"%s\"",
                   what, sending ? " (it may have been sent)" : "",
                   h->excerpt(call, text, strlen(text)));
  return 0;
}

/** Record the failure error Status `def` means; returns -1.  `what` says
    what was asked. */
static int answer_fail(const allmysms *ams, smsmux_call *call,
                       const allmysms_answer *ans,
                       const smsmux_error_map *def, const char *what)
{
  const char *hint =
      ams->host->param(allmysms_hints,
                       sizeof allmysms_hints / sizeof allmysms_hints[0],
                       def->code);

  return ams->host->fail(call, def->cls, ans->status,
                         "AllMySMS refused %s: Status=%s %s%s%s%s", what,
                         ans->status, ans->text, hint != NULL ? " (" : "",
                         hint != NULL ? hint : "", hint != NULL ? ")" : "");
}

/** Parse a credit value ("416", "12.5"); 0 on success. */
static int parse_credits(const char *s, double *out)
{
  char *end;

  if (s == NULL || *s == '\0')
    return -1;
  *out = strtod(s, &end);
  return *end == '\0' && end != s ? 0 : -1;
}

/* ------------------------------------------------------------- open ---- */

static int allmysms_open(const smsmux_host *host, smsmux_call *call,
                         void **state)
{
  allmysms *ams;
  const char *login, *password, *v;
  size_t i;

  if (host == NULL || !SMSMUX_HAS_MEMBER(host, smsmux_host, fail))
    return -1;
  if (host->abi_major != SMSMUX_ABI_MAJOR ||
      !SMSMUX_HAS_MEMBER(host, smsmux_host, error_lookup))
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL,
                      "the allmysms plugin needs a host of ABI %d.1 or later "
                      "(this host offers %u.%u): rebuild the plugin",
                      SMSMUX_ABI_MAJOR, host->abi_major, host->abi_minor);

  /* the default MAIL_NOTIF is read at each send; it is checked here, so
     that a wrong one is a configuration error of the instance */
  v = host->config_get(call, "mail_notif");
  if (v != NULL && *v != '\0' && host->parse_bool(v) < 0)
    return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                      "mail_notif = %s is not valid: use yes (an e-mail "
                      "about each send) or no",
                      v);

  /* login and password are required keys: the host has checked that they
     are set */
  login = host->config_get(call, "login");
  password = host->config_get(call, "password");
  ams = calloc(1, sizeof *ams);
  if (ams == NULL)
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  ams->host = host;
  ams->login = login != NULL ? login : "";
  ams->client = host->strf(call, "%s", ams->login);
  ams->password = password != NULL ? password : "";
  /* "Il doit OBLIGATOIREMENT être en majuscules" (ASCII letters: a login
     is letters and digits) */
  for (i = 0; ams->client[i] != '\0'; i++)
    if (ams->client[i] >= 'a' && ams->client[i] <= 'z')
      ams->client[i] = (char)(ams->client[i] - 'a' + 'A');

  *state = ams;
  return 0;
}

static void allmysms_close(void *state)
{
  allmysms *ams = state;

  if (ams == NULL)
    return;
  free(ams);
}

/* ------------------------------------------------------------- send ---- */

/** MSGCLASS: "0 pour texte, 1 pour image, 2 pour vidéo, 3 pour son ou 4
    pour son+image". */
typedef enum mms_class {
  MMS_TEXT = 0,
  MMS_IMAGE = 1,
  MMS_VIDEO = 2,
  MMS_SOUND = 3,
  MMS_SOUND_IMAGE = 4
} mms_class;

/** One checked send, ready to become XML. */
typedef struct mms_flow {
  mms_class cls;
  const char *text;     /* UTF-8, line breaks as LF */
  const char *campaign; /* CAMPAIGN_NAME or NULL */
  const char *date;     /* DATE or NULL */
  int mail_notif;       /* -1 not sent */
  const char *image, *video, *sound;
  unsigned duration;
} mms_flow;

/** 1 when E.164 `e164` is a French mobile number: +336 or +337 and eight
    digits.  The document lists 06 / 336 / +336; 07 numbers became mobile
    numbers in 2010, after it was written, and AllMySMS takes them. */
static int french_mobile(const allmysms *ams, const char *e164)
{
  return strlen(e164) == 12 && strncmp(e164, "+33", 3) == 0 &&
         (e164[3] == '6' || e164[3] == '7') &&
         ams->host->parse_uint(e164 + 4, 0, 99999999, NULL) == 0;
}

/** The file name extension of a URL's path (after the last '.' of its
    last path segment, before any query or fragment), in call memory. */
static const char *url_extension(const allmysms *ams, smsmux_call *call,
                                 const char *url)
{
  size_t end = strcspn(url, "?#"), i, dot = end;

  for (i = end; i > 0; i--) {
    if (url[i - 1] == '/')
      break;
    if (url[i - 1] == '.') {
      dot = i - 1;
      break;
    }
  }
  if (dot == end)
    return "";
  return ams->host->strf(call, "%.*s", (int)(end - dot - 1), url + dot + 1);
}

/** Check a media URL against the document's rules; 0, or -1 after INPUT.
    `exts` lists the accepted extensions, NULL-terminated. */
static int check_media_url(const allmysms *ams, smsmux_call *call,
                           const char *what, const char *url,
                           const char *const *exts, const char *types)
{
  const smsmux_host *h = ams->host;
  const char *ext;
  size_t i;

  /* "Le format de l'url doit être: http://www..." */
  if (strncasecmp(url, "http://", 7) != 0 || url[7] == '\0')
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "%s URL %s is refused: AllMySMS fetches media from "
                   "http:// URLs only (not https://)",
                   what, url);
  /* "et ne doit pas contenir le caractère &" */
  if (strchr(url, '&') != NULL)
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "%s URL %s is refused: an AllMySMS media URL must not "
                   "contain '&'",
                   what, url);
  if (!h->is_utf8(url, strlen(url)) || xml_forbidden_char(url) != 0)
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "%s URL is refused: it holds bytes that are not text",
                   what);
  ext = url_extension(ams, call, url);
  for (i = 0; exts[i] != NULL; i++)
    if (strcasecmp(ext, exts[i]) == 0)
      return 0;
  return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                 "%s URL %s is refused: AllMySMS takes %s only, and smsmux "
                 "tells the type by the URL's file name extension, which "
                 "must be %s",
                 what, url, types,
                 exts[1] == NULL ? h->strf(call, ".%s", exts[0])
                 : exts[2] == NULL
                     ? h->strf(call, ".%s or .%s", exts[0], exts[1])
                     : h->strf(call, ".%s, .%s or .%s", exts[0], exts[1],
                               exts[2]));
}

/** MAIL_NOTIF of one send: the message's --option mail_notif, else the
    instance's key (checked by open); an empty value leaves it unset.  0,
    or -1 after INPUT naming the option (only a message's value can be
    wrong here). */
static int read_options(const allmysms *ams, smsmux_call *call,
                        const smsmux_message *msg, mms_flow *f)
{
  const char *v = ams->host->option(call, msg, "mail_notif");

  f->mail_notif = -1;
  if (v == NULL || *v == '\0')
    return 0;
  f->mail_notif = ams->host->parse_bool(v);
  if (f->mail_notif < 0)
    return ams->host->fail(call, SMSMUX_ERR_INPUT, NULL,
                           "option mail_notif=%s is not valid: use "
                           "mail_notif=1 (an e-mail about the send) or "
                           "mail_notif=0",
                           v);
  return 0;
}

/** Check `msg` against the document's rules and fill *f.  Returns 0, or
    -1 after recording the failure (INPUT for the document's rules:
    nothing is sent). */
static int flow_prepare(const allmysms *ams, smsmux_call *call,
                        const smsmux_message *msg, mms_flow *f)
{
  static const char *const image_exts[] = {"gif", "jpg", "jpeg", NULL};
  static const char *const video_exts[] = {"3gp", NULL};
  static const char *const sound_exts[] = {"mid", "midi", "amr", NULL};
  const smsmux_host *h = ams->host;
  size_t i, len, max;
  unsigned char bad;

  memset(f, 0, sizeof *f);
  if (msg->kind != SMSMUX_KIND_MMS)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "the AllMySMS MMS module sends MMS only: route SMS and "
                   "voice messages to another provider");
  if (msg->n_to == 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL, "no recipient to send to");
  /* "Le MMS fonctionne uniquement pour la France" */
  for (i = 0; i < msg->n_to; i++)
    if (msg->to[i] == NULL || !french_mobile(ams, msg->to[i]))
      return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                     "%s is refused: AllMySMS sends MMS to French mobile "
                     "numbers only (06..., 07..., +336..., +337...)",
                     msg->to[i] != NULL ? msg->to[i] : "(null)");
  /* the XML flow has no sender tag: a --from would silently be lost */
  if (msg->from != NULL && *msg->from != '\0')
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "--from %s is refused: the AllMySMS MMS module takes no "
                   "sender; leave --from out",
                   msg->from);
  if (read_options(ams, call, msg, f) != 0)
    return -1;

  /* the kind of MMS follows the media given */
  f->image = msg->image_url;
  f->video = msg->video_url;
  f->sound = msg->audio_url;
  if (f->video != NULL && (f->image != NULL || f->sound != NULL))
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "AllMySMS sends a video alone (MSGCLASS 2): it cannot "
                   "carry an image or a sound with it");
  if (f->video != NULL)
    f->cls = MMS_VIDEO;
  else if (f->sound != NULL)
    f->cls = f->image != NULL ? MMS_SOUND_IMAGE : MMS_SOUND;
  else
    f->cls = f->image != NULL ? MMS_IMAGE : MMS_TEXT;

  /* MESSAGE: never empty (Status 110), 1000 characters for a text MMS,
     100 otherwise; a line break counts double */
  f->text = newlines_lf(ams, call, msg->text != NULL ? msg->text : "");
  if (f->text == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  if (*f->text == '\0')
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "AllMySMS needs a text with every MMS (<MESSAGE>; with "
                   "a media, a short presentation of at most %d "
                   "characters): give --text",
                   ALLMYSMS_CAPTION_MAX);
  if ((bad = xml_forbidden_char(f->text)) != 0)
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "the text holds control character U+%04X, which the "
                   "AllMySMS XML flow cannot carry",
                   (unsigned)bad);
  len = text_length(f->text);
  max = f->cls == MMS_TEXT ? ALLMYSMS_TEXT_MAX : ALLMYSMS_CAPTION_MAX;
  if (len > max)
    return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                   "the text is %zu characters long: AllMySMS takes at "
                   "most %zu for %s (a line break counts double)",
                   len, max,
                   f->cls == MMS_TEXT ? "a text MMS"
                                      : "the presentation of a media MMS");

  if (f->image != NULL &&
      check_media_url(ams, call, "image", f->image, image_exts,
                      "GIF or JPG images") != 0)
    return -1;
  if (f->video != NULL &&
      check_media_url(ams, call, "video", f->video, video_exts,
                      "3GP videos") != 0)
    return -1;
  if (f->sound != NULL &&
      check_media_url(ams, call, "sound", f->sound, sound_exts,
                      "MIDI or AMR sounds") != 0)
    return -1;
  if (f->video != NULL || f->sound != NULL) {
    /* <DUREE> is required (Status 119), 0 to 1000 seconds; smsmux's
       --duration starts at 1 */
    if (msg->duration == 0)
      return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                     "AllMySMS needs the %s's duration (<DUREE>): give "
                     "--duration SECONDS, at most %d",
                     f->video != NULL ? "video" : "sound",
                     ALLMYSMS_DURATION_MAX);
    if (msg->duration > ALLMYSMS_DURATION_MAX)
      return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                     "--duration %u is refused: AllMySMS takes durations "
                     "from 0 to %d seconds",
                     msg->duration, ALLMYSMS_DURATION_MAX);
    f->duration = msg->duration;
  } else if (msg->duration != 0) {
    h->log(call, SMSMUX_LOG_DEBUG,
           "--duration applies to a video or a sound: not sent");
  }

  if (msg->subject != NULL && *msg->subject != '\0') {
    if (!h->is_utf8(msg->subject, strlen(msg->subject)) ||
        xml_forbidden_char(msg->subject) != 0)
      return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                     "--subject is refused: it must be UTF-8 text without "
                     "control characters");
    f->campaign = msg->subject;
  }
  /* DATE: "YYYY-MM-JJ HH:MM:SS", in the local time zone --at was read in */
  if (msg->at != 0) {
    f->date = h->format_time(call, msg->at, "%Y-%m-%d %H:%M:%S");
    if (f->date == NULL || *f->date == '\0')
      return h->fail(call, SMSMUX_ERR_INPUT, NULL,
                     "the send date cannot be written as YYYY-MM-DD "
                     "HH:MM:SS");
  }
  return 0;
}

/** Add <name>value</name> under `parent`, escaped by libxml2.  NULL when
    out of memory. */
static xmlNodePtr add_text(xmlNodePtr parent, const char *name,
                           const char *value)
{
  return xmlNewTextChild(parent, NULL, (const xmlChar *)name,
                         (const xmlChar *)value);
}

/** <NAME><URL>url</URL><DUREE>seconds</DUREE></NAME>; 0 or -1. */
static int add_media(xmlNodePtr root, const char *name, const char *url,
                     unsigned duration)
{
  char seconds[16];
  xmlNodePtr node = xmlNewChild(root, NULL, (const xmlChar *)name, NULL);

  snprintf(seconds, sizeof seconds, "%u", duration);
  if (node == NULL || add_text(node, "URL", url) == NULL ||
      add_text(node, "DUREE", seconds) == NULL)
    return -1;
  return 0;
}

/** The XMLFlow of `f` for `msg`'s recipients, in call memory, in the
    element order of the document's example.  NULL after fail. */
static const char *flow_xml(const allmysms *ams, smsmux_call *call,
                            const smsmux_message *msg, const mms_flow *f)
{
  xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
  xmlNodePtr root = NULL;
  xmlChar *mem = NULL;
  char cls[4];
  int size = 0, ok;
  size_t i;
  const char *out = NULL;

  if (doc != NULL)
    root = xmlNewNode(NULL, (const xmlChar *)"DATA");
  ok = root != NULL;
  if (ok) {
    xmlDocSetRootElement(doc, root);
    ok = add_text(root, "CLIENT", ams->client) != NULL;
  }
  if (ok && f->campaign != NULL)
    ok = add_text(root, "CAMPAIGN_NAME", f->campaign) != NULL;
  if (ok && f->date != NULL)
    ok = add_text(root, "DATE", f->date) != NULL;
  if (ok && f->mail_notif >= 0)
    ok = add_text(root, "MAIL_NOTIF", f->mail_notif ? "1" : "0") != NULL;
  /* "au format international avec ou sans +": E.164 as the example shows */
  for (i = 0; ok && i < msg->n_to; i++)
    ok = add_text(root, "MOBILEPHONE", msg->to[i]) != NULL;
  snprintf(cls, sizeof cls, "%d", (int)f->cls);
  if (ok)
    ok = add_text(root, "MSGCLASS", cls) != NULL &&
         add_text(root, "MESSAGE", f->text) != NULL;
  /* sound + image (MSGCLASS 4) has no example: its IMAGE and SON tags go
     as for MSGCLASS 1 and 3, image first */
  if (ok && f->image != NULL)
    ok = add_text(root, "IMAGE", f->image) != NULL;
  if (ok && f->video != NULL)
    ok = add_media(root, "VIDEO", f->video, f->duration) == 0;
  if (ok && f->sound != NULL)
    ok = add_media(root, "SON", f->sound, f->duration) == 0;
  if (ok) {
    xmlDocDumpMemoryEnc(doc, &mem, &size, ALLMYSMS_XML_CHARSET);
    if (mem != NULL && size > 0)
      out = ams->host->strf(call, "%.*s", size, (const char *)mem);
  }
  if (mem != NULL)
    xmlFree(mem);
  if (doc != NULL)
    xmlFreeDoc(doc);
  if (out == NULL)
    ams->host->fail(call, SMSMUX_ERR_SYSTEM, NULL,
                    "cannot build the AllMySMS XML flow (out of memory)");
  return out;
}

/** The numbers of a `|`-separated InvalidNums, normalised to E.164. */
static char **invalid_numbers(const allmysms *ams, smsmux_call *call,
                              const char *list, size_t *n)
{
  char **f;
  size_t i;

  *n = 0;
  if (list == NULL || *list == '\0')
    return NULL;
  *n = ams->host->split(call, list, "|", &f);
  for (i = 0; i < *n; i++)
    f[i] = (char *)ams->host->number_normalise(call, f[i]);
  return f;
}

static int number_in(char **list, size_t n, const char *e164)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (list[i] != NULL && strcmp(list[i], e164) == 0)
      return 1;
  return 0;
}

/** The numbers of the IDs= tree (<RECOVERIDS><CUSTOMER><MOBILEPHONE>),
    normalised to E.164.  Returns -1 when it is not such XML. */
static int recover_ids(const allmysms *ams, smsmux_call *call,
                       const char *xml, char ***out, size_t *n)
{
  xmlDocPtr doc;
  xmlNodePtr root, c, m;
  size_t cap = 0;
  char **list = NULL;

  *out = NULL;
  *n = 0;
  /* no network, no entity substitution; the text is UTF-8 already */
  doc = xmlReadMemory(xml, (int)strlen(xml), NULL, "UTF-8",
                      XML_PARSE_NONET | XML_PARSE_NOERROR |
                          XML_PARSE_NOWARNING);
  if (doc == NULL)
    return -1;
  root = xmlDocGetRootElement(doc);
  if (root == NULL || xmlStrcmp(root->name, (const xmlChar *)"RECOVERIDS")) {
    xmlFreeDoc(doc);
    return -1;
  }
  for (c = root->children; c != NULL; c = c->next) {
    if (c->type != XML_ELEMENT_NODE ||
        xmlStrcmp(c->name, (const xmlChar *)"CUSTOMER") != 0)
      continue;
    for (m = c->children; m != NULL; m = m->next) {
      xmlChar *num;
      if (m->type != XML_ELEMENT_NODE ||
          xmlStrcmp(m->name, (const xmlChar *)"MOBILEPHONE") != 0)
        continue;
      num = xmlNodeGetContent(m);
      if (num == NULL)
        continue;
      if (*n == cap) {
        char **bigger;
        cap = cap ? cap * 2 : 8;
        bigger = ams->host->alloc(call, cap * sizeof *bigger);
        if (bigger == NULL) {
          xmlFree(num);
          xmlFreeDoc(doc);
          return -1;
        }
        if (*n > 0)
          memcpy(bigger, list, *n * sizeof *list);
        list = bigger;
      }
      list[(*n)++] = (char *)ams->host->number_normalise(
          call, ams->host->strf(call, "%s", (const char *)num));
      xmlFree(num);
    }
  }
  xmlFreeDoc(doc);
  *out = list;
  return 0;
}

/** Report each recipient of an accepted send: REJECTED when InvalidNums
    names it, else ACCEPTED (SCHEDULED for a deferred send). */
static void report_recipients(const allmysms *ams, smsmux_call *call,
                              const smsmux_message *msg,
                              const allmysms_answer *ans)
{
  const smsmux_host *h = ams->host;
  smsmux_status ok = ans->code == 101 || msg->at != 0
                         ? SMSMUX_STATUS_SCHEDULED
                         : SMSMUX_STATUS_ACCEPTED;
  char **invalid, **listed = NULL;
  size_t n_invalid, n_listed = 0, i;
  int have_ids = 0;

  invalid = invalid_numbers(ams, call, ans->invalid, &n_invalid);
  if (ans->ids != NULL) {
    have_ids = recover_ids(ams, call, ans->ids, &listed, &n_listed) == 0;
    if (!have_ids)
      h->log(call, SMSMUX_LOG_WARNING,
             "AllMySMS accepted the MMS but its IDs= part is not the "
             "<RECOVERIDS> XML of the document: \"%s\"",
             h->excerpt(call, ans->ids, strlen(ans->ids)));
  }
  for (i = 0; i < msg->n_to; i++) {
    const char *to = msg->to[i];
    if (number_in(invalid, n_invalid, to)) {
      h->add_recipient(call, to, SMSMUX_STATUS_REJECTED, NULL, NULL,
                       "refused by AllMySMS (listed in InvalidNums)");
      continue;
    }
    if (have_ids && !number_in(listed, n_listed, to))
      h->log(call, SMSMUX_LOG_DEBUG,
             "%s is neither in InvalidNums nor in IDs: taken as accepted",
             to);
    h->add_recipient(call, to, ok, NULL, ans->status, ans->text);
  }
  for (i = 0; i < n_invalid; i++)
    if (invalid[i] != NULL && *invalid[i] != '\0') {
      size_t k;
      int ours = 0;
      for (k = 0; k < msg->n_to && !ours; k++)
        ours = strcmp(invalid[i], msg->to[k]) == 0;
      if (!ours)
        h->log(call, SMSMUX_LOG_DEBUG,
               "InvalidNums names %s, which this send did not carry",
               invalid[i]);
    }
}

static int allmysms_send(void *state, smsmux_call *call,
                         const smsmux_message *msg)
{
  const allmysms *ams = state;
  const smsmux_host *h = ams->host;
  const smsmux_error_map *def;
  const char *xml;
  allmysms_answer ans;
  mms_flow f;

  if (flow_prepare(ams, call, msg, &f) != 0)
    return -1;
  xml = flow_xml(ams, call, msg, &f);
  if (xml == NULL)
    return -1;

  if (allmysms_ask(ams, call, ALLMYSMS_SEND_PATH, "XMLFlow", xml, 1,
                   "to the MMS", &ans) != 0)
    return -1;
  def = status_def(ams, call, ans.code);
  if (def == NULL || ans.code >= ALLMYSMS_ACCOUNT_ACTIVE)
    /* a Status the MMS module does not list: it may be a success */
    return h->fail(call, SMSMUX_ERR_UNKNOWN_OUTCOME, ans.status,
                   "AllMySMS answered the MMS with Status=%s %s, which its "
                   "document does not list (it may have been sent)",
                   ans.status, ans.text);
  if (def->cls != SMSMUX_OK)
    return answer_fail(ams, call, &ans, def, "the MMS");

  if (ans.campaign != NULL)
    h->set_message_id(call, ans.campaign);
  if (ans.credits != NULL)
    h->log(call, SMSMUX_LOG_DEBUG, "AllMySMS credit left: %s", ans.credits);
  report_recipients(ams, call, msg, &ans);
  return 0;
}

/* ------------------------------------------------------- account tool -- */

/** Ask the account tool about account `info`.  Returns 0 with *ans
    filled (any Status), or -1 after recording the failure of the request
    itself (transport, HTTP, unreadable answer). */
static int account_tool(const allmysms *ams, smsmux_call *call,
                        const char *info, allmysms_answer *ans)
{
  return allmysms_ask(ams, call, ALLMYSMS_TOOL_PATH, "info", info, 0,
                      ams->host->strf(call, "about account %s", info), ans);
}

static int account_active(const allmysms_answer *ans)
{
  /* 300 per the table of section 3.3; 100 per its example */
  return ans->code == ALLMYSMS_ACCOUNT_ACTIVE || ans->code == 100;
}

/** Fail for a Status of the account tool that is no answer about an
    account (102, 200...); returns -1. */
static int account_tool_fail(const allmysms *ams, smsmux_call *call,
                             const allmysms_answer *ans, const char *what)
{
  const smsmux_error_map *def = status_def(ams, call, ans->code);

  if (def == NULL || def->cls == SMSMUX_OK)
    return ams->host->fail(call, SMSMUX_ERR_PERMANENT, ans->status,
                           "AllMySMS answered %s with Status=%s %s, which its "
                           "document does not list for the account tool",
                           what, ans->status, ans->text);
  return answer_fail(ams, call, ans, def, what);
}

static int allmysms_balance(void *state, smsmux_call *call)
{
  const allmysms *ams = state;
  const char *what;
  allmysms_answer ans;
  double credit;

  what = ams->host->strf(call, "the credit of account %s", ams->login);
  if (account_tool(ams, call, ams->login, &ans) != 0)
    return -1;
  if (!account_active(&ans))
    return account_tool_fail(ams, call, &ans, what);
  if (parse_credits(ans.credits, &credit) != 0)
    return ams->host->fail(call, SMSMUX_ERR_TEMPORARY, ans.status,
                           "AllMySMS answered %s without a readable Credits "
                           "line: %s",
                           what,
                           ans.credits != NULL ? ans.credits : "(none)");
  ams->host->set_balance(call, credit, "credits");
  return 0;
}

/* `call account-info info=LOGIN`: one record login, status, text, state
   (active, inactive, nonexistent) and credits when given.  302 (no access
   to that account) and the module's errors are failures. */
static int op_account_info(const allmysms *ams, smsmux_call *call,
                           const char *info)
{
  const smsmux_host *h = ams->host;
  const char *what = h->strf(call, "account-info about %s", info);
  const char *state;
  allmysms_answer ans;

  if (account_tool(ams, call, info, &ans) != 0)
    return -1;
  if (account_active(&ans))
    state = "active";
  else if (ans.code == 301)
    state = "nonexistent";
  else if (ans.code == 303)
    state = "inactive";
  else
    return account_tool_fail(ams, call, &ans, what);
  h->begin_record(call);
  h->add_result(call, "info", info);
  h->add_result(call, "status", ans.status);
  h->add_result(call, "text", ans.text);
  h->add_result(call, "state", state);
  if (ans.credits != NULL && *ans.credits != '\0')
    h->add_result(call, "credits", ans.credits);
  return 0;
}

static int allmysms_call(void *state, smsmux_call *call, const char *op,
                         const smsmux_kv *params, size_t n)
{
  const allmysms *ams = state;

  /* the host calls only the operations of allmysms_operations, and has
     refused any parameter but info= and a missing or empty one: the last
     one given wins */
  if (strcmp(op, "account-info") == 0)
    return op_account_info(ams, call, params[n - 1].value);
  return ams->host->fail(call, SMSMUX_ERR_UNSUPPORTED, NULL,
                         "AllMySMS has no operation %s", op);
}
