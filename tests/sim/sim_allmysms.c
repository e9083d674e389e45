/* sim_allmysms.c - the MSInnovations AllMySMS MMS http module
 * (../shared/providers/allmysms-mms.txt) for smsmux-sim, served under
 * /allmysms/.
 *
 *   amsmodule.sendmms.v2.php          the MMS module: clientcode, passcode
 *                                     and an XMLFlow (<DATA>...</DATA>)
 *   amsmodule.sendsms.v6.php          the account tool: clientcode,
 *   smsmod/amsmodule.sendsms.v6.php   passcode, info (section 3.1 prints
 *   smsmod/amsmodule.sendsms.v2.php   the first, its PHP example the last)
 *
 * Answers are `Key=value` lines in ISO-8859-1, each ending in "\n", as the
 * document's PHP extract_param() expects; an accepted MMS ends with `IDs=`
 * and the <RECOVERIDS> tree of section 2.1 over several lines.  State is
 * kept in UTF-8.  What the document leaves open is decided here and written
 * down in docs/providers/allmysms.md ("Simulator"). */
#include "config.h"

#include "sim.h"

#include <ctype.h>
#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The MMS module declares no charset (a PHP script of its time); the
   account tool says ISO-8859-1.  Both send ISO-8859-1 bytes. */
#define MMS_CONTENT_TYPE "text/html"
#define TOOL_CONTENT_TYPE "text/html; charset=ISO-8859-1"

#define GET_MAX_QUERY 1024 /* "la méthode http GET est limitée à 1024 caractères" */
#define TEXT_MAX 1000      /* MESSAGE of a text MMS */
#define CAPTION_MAX 100    /* MESSAGE of the other MMS */
#define DURATION_MAX 1000  /* DUREE, seconds */
#define CAMPAIGN_LEN 9     /* like the example's "hbhvirbvc" */
#define MMS_COST 1         /* credits per valid recipient */

enum rcpt_state {
  R_INVALID,   /* in InvalidNums: never sent */
  R_ACCEPTED,  /* Status=100 */
  R_SCHEDULED, /* Status=101: waits for its DATE, never moves */
  R_SENT,
  R_DELIVERED,
};
static const char *const rcpt_state_names[] = {
  "invalid", "accepted", "scheduled", "sent", "delivered",
};

/* ------------------------------------------------------------------ model */

struct account {
  char *login; /* as created; logins compare without regard to case */
  char *password;
  long long credit; /* whole credits */
  int pro;          /* answers carry a CampaignID */
  int active;       /* inactive: 200 from the module, 303 from the tool */
  char *parent;     /* login of the account that may see this one */
  struct account *next;
};

struct recipient {
  char *sent;     /* the MOBILEPHONE text as sent */
  char *national; /* 06..., or NULL when invalid */
  enum rcpt_state state;
};

struct message {
  char campaign[CAMPAIGN_LEN + 1];
  struct account *acct;
  int msgclass;
  char *client, *campaign_name, *date, *mail_notif;
  char *text;
  char *image, *video, *sound;
  long video_duration, sound_duration;
  int scheduled;
  long long cost;
  struct recipient *rcpt;
  size_t n_rcpt;
  struct message *next; /* newest first */
};

struct allmysms {
  struct account *accounts;
  struct message *messages;
  struct sim_rng rng; /* not reset: identifiers stay unique for the run */
};

/* --------------------------------------------------------------- freeing */

static void message_free(struct message *m)
{
  for (size_t i = 0; i < m->n_rcpt; i++) {
    free(m->rcpt[i].sent);
    free(m->rcpt[i].national);
  }
  free(m->rcpt);
  free(m->client), free(m->campaign_name), free(m->date), free(m->mail_notif);
  free(m->text), free(m->image), free(m->video), free(m->sound);
  free(m);
}

static void state_clear(struct allmysms *st)
{
  while (st->messages) {
    struct message *m = st->messages;
    st->messages = m->next;
    message_free(m);
  }
  while (st->accounts) {
    struct account *a = st->accounts;
    st->accounts = a->next;
    free(a->login), free(a->password), free(a->parent);
    free(a);
  }
}

/* --------------------------------------------------------------- accounts */

static struct account *account_find(struct allmysms *st, const char *login)
{
  for (struct account *a = st->accounts; a; a = a->next)
    if (strcasecmp(a->login, login) == 0)
      return a;
  return NULL;
}

static struct account *account_add(struct allmysms *st, const char *login,
                                   const char *password, long long credit,
                                   int pro, int active, const char *parent)
{
  struct account *a = sim_xcalloc(1, sizeof *a);
  a->login = sim_xstrdup(login);
  a->password = sim_xstrdup(password);
  a->credit = credit;
  a->pro = pro;
  a->active = active;
  a->parent = parent ? sim_xstrdup(parent) : NULL;
  struct account **tail = &st->accounts;
  while (*tail)
    tail = &(*tail)->next;
  *tail = a;
  return a;
}

static void builtin_accounts(struct allmysms *st)
{
  account_add(st, "demo", "demo-pass", 1000, 1, 1, NULL);
  /* the document's PHP example: clientcode=votrecodeclient&passcode=
     votremotdepasse; 418 credits, so that an MMS to the example's two
     numbers leaves the example's Credits=416 */
  account_add(st, "votrecodeclient", "votremotdepasse", 418, 1, 1, NULL);
  account_add(st, "poor", "poor-pass", 0, 1, 1, "demo");
  account_add(st, "perso", "perso-pass", 1000, 0, 1, "demo");
  account_add(st, "inactif", "inactif-pass", 100, 1, 0, "demo");
}

/* clientcode + passcode: the account, or NULL. */
static struct account *account_auth(struct allmysms *st,
                                    const struct sim_request *req)
{
  const char *login = sim_param_nonempty(req, "clientcode");
  const char *pass = sim_param_nonempty(req, "passcode");
  if (!login || !pass)
    return NULL;
  struct account *a = account_find(st, login);
  return a && strcmp(a->password, pass) == 0 ? a : NULL;
}

/* ---------------------------------------------------------------- answers */

static const char *status_text(int code)
{
  switch (code) {
  case 100: return "Le message a été envoyé";
  case 101: return "Le message a été programmé pour un envoi différé";
  case 102: return "Problème de connexion - Aucun compte ne correspond aux "
                   "clientcode et passcode spécifiés";
  case 103: return "Crédit SMS épuisé. Veuillez recrediter votre compte sur "
                   "AllMySMS.com";
  case 104: return "Crédit insuffisant pour traiter cet envoi. A utiliser: XX "
                   "Crédits, Disponibles: XX Crédits. Veuillez recrediter "
                   "votre compte sur AllMySMS.com";
  case 105: return "Flux XML Vide";
  case 106: return "Flux XML invalide ou incomplet après la balise <DATA>";
  case 107: return "Flux XML invalide ou incomplet après la balise <CLIENT>";
  case 108: return "Balise <MSGCLASS> - Type du MMS non défini (vide) dans le "
                   "flux XML";
  case 109: return "Balise <MSGCLASS> - Type du MMS incorrect";
  case 110: return "Balise <MESSAGE> <IMAGE> <VIDEO> <SON> - non défini (vide) "
                   "dans le flux XML";
  case 111: return "Message trop long";
  case 112: return "Extension invalide";
  case 113: return "URL incorrecte";
  case 114: return "Problème lors du téléchargement du fichier";
  case 115: return "Média trop volumineux (image, son, vidéo)";
  case 116: return "Impossible de se connecter au serveur pour télécharger "
                   "l'image";
  case 117: return "Problème au cours du téléchargement de l'image";
  case 118: return "Balise <VIDEO><URL> <SON><URL> - non définie (vide) dans "
                   "le flux XML";
  case 119: return "Balise <VIDEO><DUREE> <SON><DUREE> - non définie (vide) "
                   "dans le flux XML";
  case 120: return "Durée incorrect pour le son ou la vidéo";
  case 121: return "Flux XML invalide ou date mal formatée entre les balises "
                   "<DATE> et </DATE>";
  case 122: return "Flux XML invalide ou incomplet après la balise "
                   "<MOBILEPHONE>";
  case 123: return "Aucun numéro de téléphone valide dans le flux. Veuillez "
                   "vous référer à la documentation en ligne pour connaître "
                   "les formats valides.";
  case 200: return "Vous n'avez pas l'autorisation d'utiliser ce module. "
                   "Contactez le support AllMySMS pour plus de "
                   "renseignements.";
  case 300: return "Compte actif";
  case 301: return "Compte inexistant";
  case 302: return "Vous n'avez pas accès aux informations concernant ce "
                   "compte";
  case 303: return "Compte inactif";
  default: return "Erreur";
  }
}

/* Answer UTF-8 `text` in ISO-8859-1. */
static void answer_latin1(struct sim_response *resp, const char *content_type,
                          const char *text)
{
  size_t len;
  /* every character the answers use is in ISO-8859-1, where -15 agrees */
  char *bytes = sim_utf8_to_latin9(text, &len);
  sim_respond(resp, 200, content_type, bytes, len);
  free(bytes);
}

/* "Status=C\nStatusText=...\n" */
static void answer_status(struct sim_response *resp, const char *content_type,
                          int code, const char *text)
{
  char *s = sim_xasprintf("Status=%d\nStatusText=%s\n", code,
                          text ? text : status_text(code));
  answer_latin1(resp, content_type, s);
  free(s);
}

static void mms_error(struct sim_response *resp, int code)
{
  answer_status(resp, MMS_CONTENT_TYPE, code, NULL);
}

/* ---------------------------------------------------------------- numbers */

static int all_digits(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i]))
      return 0;
  return n > 0;
}

/* Section 1.4: 06 (10 characters), 336 (11), +336 (12); 07 likewise.
   The national form (06...), or NULL when the number is not one of them. */
static char *number_national(const char *s)
{
  size_t n = strlen(s);
  if (n == 10 && s[0] == '0' && (s[1] == '6' || s[1] == '7') && all_digits(s, n))
    return sim_xstrdup(s);
  if (n == 11 && strncmp(s, "33", 2) == 0 && (s[2] == '6' || s[2] == '7') &&
      all_digits(s, n))
    return sim_xasprintf("0%s", s + 2);
  if (n == 12 && strncmp(s, "+33", 3) == 0 && (s[3] == '6' || s[3] == '7') &&
      all_digits(s + 1, n - 1))
    return sim_xasprintf("0%s", s + 3);
  return NULL;
}

/* ------------------------------------------------------------ XML flow */

/* Text of the first child element `name` of `parent` (trimmed, malloc'd),
   or NULL when there is none.  *present says whether the tag exists. */
static char *child_text(xmlNodePtr parent, const char *name, int *present)
{
  if (present)
    *present = 0;
  for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, name) != 0)
      continue;
    if (present)
      *present = 1;
    xmlChar *v = xmlNodeGetContent(c);
    const char *s = v ? (const char *)v : "";
    while (isspace((unsigned char)*s))
      s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
      n--;
    char *out = sim_xstrndup(s, n);
    xmlFree(v);
    return out;
  }
  return NULL;
}

static xmlNodePtr child_element(xmlNodePtr parent, const char *name)
{
  for (xmlNodePtr c = parent->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
      return c;
  return NULL;
}

/* Characters of a MESSAGE, a line break counting double. */
static size_t message_length(const char *s)
{
  size_t n = 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c & 0xC0) != 0x80)
      n += c == '\n' ? 2 : 1;
  }
  return n;
}

/* The extension of a URL's last path segment, before any query. */
static int url_has_extension(const char *url, const char *const *exts)
{
  size_t end = strcspn(url, "?#");
  size_t i = end;
  while (i > 0 && url[i - 1] != '/' && url[i - 1] != '.')
    i--;
  if (i == 0 || url[i - 1] != '.')
    return 0;
  for (; *exts; exts++)
    if (strlen(*exts) == end - i && strncasecmp(url + i, *exts, end - i) == 0)
      return 1;
  return 0;
}

/* 113 when the URL is not http://... without '&', 112 when its extension
   is not one of `exts`, else 0. */
static int check_url(const char *url, const char *const *exts)
{
  if (strncmp(url, "http://", 7) != 0 || url[7] == '\0' || strchr(url, '&'))
    return 113;
  return url_has_extension(url, exts) ? 0 : 112;
}

/* <VIDEO> or <SON>: 110 when absent, 118 without URL, 119 without DUREE,
   120 for a duration outside 0..1000, 113/112 for the URL. */
static int media_check(xmlNodePtr root, const char *name,
                       const char *const *exts, char **url, long *duration)
{
  xmlNodePtr node = child_element(root, name);
  if (!node)
    return 110;
  *url = child_text(node, "URL", NULL);
  char *dur = child_text(node, "DUREE", NULL);
  int rc = 0;
  long long d;
  if (!*url || !**url)
    rc = 118;
  else if (!dur || !*dur)
    rc = 119;
  else if (sim_int_parse(dur, &d) != 0 || d < 0 || d > DURATION_MAX)
    rc = 120;
  else if ((rc = check_url(*url, exts)) == 0)
    *duration = (long)d;
  free(dur);
  return rc;
}

/* "YYYY-MM-JJ HH:MM:SS", a real date (local time). */
static int date_valid(const char *s)
{
  static const char shape[] = "9999-99-99 99:99:99";
  if (strlen(s) != sizeof shape - 1)
    return 0;
  for (size_t i = 0; shape[i]; i++)
    if (shape[i] == '9' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
      return 0;
  struct tm tm = { 0 };
  tm.tm_year = atoi(s) - 1900;
  tm.tm_mon = atoi(s + 5) - 1;
  tm.tm_mday = atoi(s + 8);
  tm.tm_hour = atoi(s + 11);
  tm.tm_min = atoi(s + 14);
  tm.tm_sec = atoi(s + 17);
  tm.tm_isdst = -1;
  struct tm check = tm;
  if (mktime(&check) == (time_t)-1)
    return 0;
  return check.tm_mday == tm.tm_mday && check.tm_mon == tm.tm_mon &&
         tm.tm_hour < 24 && tm.tm_min < 60 && tm.tm_sec < 60;
}

/* The flow as a document: its declaration decides the charset; a flow
   without one is UTF-8 when it is valid UTF-8, else ISO-8859-1. */
static xmlDocPtr flow_parse(const struct sim_param *p)
{
  const char *enc = NULL;
  if (strncmp(p->value, "<?xml", 5) != 0) {
    char *clean = sim_utf8_clean(p->value, p->len);
    if (strlen(clean) != p->len || memcmp(clean, p->value, p->len) != 0)
      enc = "ISO-8859-1";
    free(clean);
  }
  return xmlReadMemory(p->value, (int)p->len, NULL, enc,
                       XML_PARSE_NONET | XML_PARSE_NOERROR |
                         XML_PARSE_NOWARNING);
}

static void new_campaign(struct allmysms *st, char *out)
{
  for (;;) {
    sim_rng_alnum(&st->rng, out, CAMPAIGN_LEN);
    for (char *c = out; *c; c++) /* lower-case letters, as the example */
      *c = isalpha((unsigned char)*c) ? (char)tolower((unsigned char)*c)
                                      : (char)('a' + (*c - '0'));
    int used = 0;
    for (struct message *m = st->messages; m && !used; m = m->next)
      used = strcmp(m->campaign, out) == 0;
    if (!used)
      return;
  }
}

/* ------------------------------------------------------------ MMS module */

static const char *const image_exts[] = { "gif", "jpg", "jpeg", NULL };
static const char *const video_exts[] = { "3gp", NULL };
static const char *const sound_exts[] = { "mid", "midi", "amr", NULL };

/* Check the flow of `root` into `m`; 0, or the Status that refuses it. */
static int flow_check(struct account *a, xmlNodePtr root, struct message *m)
{
  int rc;
  char *client = child_text(root, "CLIENT", NULL);
  /* "Il doit OBLIGATOIREMENT être en majuscules" */
  int client_ok = client && *client && strcasecmp(client, a->login) == 0;
  for (const char *c = client; client_ok && *c; c++)
    client_ok = !islower((unsigned char)*c);
  m->client = client;
  if (!client_ok)
    return 107;

  char *cls = child_text(root, "MSGCLASS", NULL);
  if (!cls || !*cls) {
    free(cls);
    return 108;
  }
  rc = strlen(cls) == 1 && cls[0] >= '0' && cls[0] <= '4' ? 0 : 109;
  m->msgclass = cls[0] - '0';
  free(cls);
  if (rc)
    return rc;

  m->campaign_name = child_text(root, "CAMPAIGN_NAME", NULL);
  m->mail_notif = child_text(root, "MAIL_NOTIF", NULL);
  m->text = child_text(root, "MESSAGE", NULL);
  if (!m->text || !*m->text)
    return 110;
  int with_image = m->msgclass == 1 || m->msgclass == 4;
  int with_sound = m->msgclass == 3 || m->msgclass == 4;
  if (with_image) {
    m->image = child_text(root, "IMAGE", NULL);
    if (!m->image || !*m->image)
      return 110;
  }
  if ((m->msgclass == 2 && !child_element(root, "VIDEO")) ||
      (with_sound && !child_element(root, "SON")))
    return 110;
  if (message_length(m->text) > (m->msgclass == 0 ? TEXT_MAX : CAPTION_MAX))
    return 111;
  if (with_image && (rc = check_url(m->image, image_exts)) != 0)
    return rc;
  if (m->msgclass == 2 &&
      (rc = media_check(root, "VIDEO", video_exts, &m->video, &m->video_duration)))
    return rc;
  if (with_sound &&
      (rc = media_check(root, "SON", sound_exts, &m->sound, &m->sound_duration)))
    return rc;

  m->date = child_text(root, "DATE", NULL);
  if (m->date && *m->date) {
    if (!date_valid(m->date))
      return 121;
    m->scheduled = 1;
  }
  return 0;
}

/* The MOBILEPHONE tags into m->rcpt; 122 without any, 123 when none is
   valid, else 0. */
static int flow_numbers(xmlNodePtr root, struct message *m)
{
  size_t cap = 0, valid = 0;
  for (xmlNodePtr c = root->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "MOBILEPHONE"))
      continue;
    xmlChar *v = xmlNodeGetContent(c);
    char *s = sim_xstrdup(v ? (const char *)v : "");
    xmlFree(v);
    char *t = s;
    while (isspace((unsigned char)*t))
      t++;
    size_t n = strlen(t);
    while (n > 0 && isspace((unsigned char)t[n - 1]))
      t[--n] = '\0';
    if (m->n_rcpt == cap)
      m->rcpt = sim_xrealloc(m->rcpt, (cap = cap ? cap * 2 : 8) * sizeof *m->rcpt);
    struct recipient *r = &m->rcpt[m->n_rcpt++];
    r->sent = sim_xstrdup(t);
    free(s);
    r->national = number_national(r->sent);
    /* the platform refuses some well-formed numbers too (opted out,
       not MMS-capable): here, those ending in 99 */
    if (r->national && strcmp(r->national + 8, "99") == 0) {
      free(r->national);
      r->national = NULL;
    }
    r->state = r->national ? (m->scheduled ? R_SCHEDULED : R_ACCEPTED) : R_INVALID;
    valid += r->national != NULL;
  }
  if (m->n_rcpt == 0)
    return 122;
  return valid ? 0 : 123;
}

static void answer_accepted(struct sim_response *resp, const struct message *m,
                            const struct account *a)
{
  struct sim_buf b = { 0 };
  int code = m->scheduled ? 101 : 100;
  sim_buf_addf(&b, "Status=%d\nStatusText=%s\nCredits=%lld\nInvalidNums=", code,
               status_text(code), a->credit);
  int first = 1;
  for (size_t i = 0; i < m->n_rcpt; i++)
    if (m->rcpt[i].state == R_INVALID) {
      sim_buf_addf(&b, "%s%s", first ? "" : "|", m->rcpt[i].sent);
      first = 0;
    }
  sim_buf_adds(&b, "\n");
  if (a->pro)
    sim_buf_addf(&b, "CampaignID=%s\n", m->campaign);
  /* section 2.1's tree, as it prints it */
  sim_buf_adds(&b, "IDs=<RECOVERIDS>\n");
  for (size_t i = 0; i < m->n_rcpt; i++)
    if (m->rcpt[i].state != R_INVALID)
      sim_buf_addf(&b, "  <CUSTOMER>\n    <MOBILEPHONE>%s</MOBILEPHONE>\n"
                       "  </CUSTOMER>\n",
                   m->rcpt[i].national);
  sim_buf_adds(&b, "</RECOVERIDS>\n");
  char *text = sim_buf_take(&b, NULL);
  answer_latin1(resp, MMS_CONTENT_TYPE, text);
  free(text);
}

static void ep_send_mms(struct allmysms *st, const struct sim_request *req,
                        struct sim_response *resp)
{
  struct account *a = account_auth(st, req);
  if (!a) {
    mms_error(resp, 102);
    return;
  }
  if (!a->active) {
    mms_error(resp, 200);
    return;
  }
  if (a->credit <= 0) {
    mms_error(resp, 103);
    return;
  }
  /* a GET longer than the limit arrives cut: the flow breaks off */
  if (strcmp(req->method, "GET") == 0 && strlen(req->query) > GET_MAX_QUERY) {
    mms_error(resp, 106);
    return;
  }
  const struct sim_param *flow = sim_param_get(req, "XMLFlow");
  size_t skip = 0;
  while (flow && skip < flow->len && isspace((unsigned char)flow->value[skip]))
    skip++;
  if (!flow || skip == flow->len) {
    mms_error(resp, 105);
    return;
  }
  xmlDocPtr doc = flow_parse(flow);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
  if (!root || strcmp((const char *)root->name, "DATA") != 0) {
    if (doc)
      xmlFreeDoc(doc);
    mms_error(resp, 106);
    return;
  }

  struct message *m = sim_xcalloc(1, sizeof *m);
  int rc = flow_check(a, root, m);
  if (!rc)
    rc = flow_numbers(root, m);
  xmlFreeDoc(doc);
  if (rc) {
    message_free(m);
    mms_error(resp, rc);
    return;
  }
  for (size_t i = 0; i < m->n_rcpt; i++)
    m->cost += m->rcpt[i].state == R_INVALID ? 0 : MMS_COST;
  if (m->cost > a->credit) {
    char *text = sim_xasprintf("Crédit insuffisant pour traiter cet envoi. A "
                               "utiliser: %lld Crédits, Disponibles: %lld "
                               "Crédits. Veuillez recrediter votre compte "
                               "sur AllMySMS.com",
                               m->cost, a->credit);
    answer_status(resp, MMS_CONTENT_TYPE, 104, text);
    free(text);
    message_free(m);
    return;
  }
  a->credit -= m->cost;
  m->acct = a;
  new_campaign(st, m->campaign);
  m->next = st->messages;
  st->messages = m;
  answer_accepted(resp, m, a);
}

/* ----------------------------------------------------------- account tool */

static void tool_answer_active(struct sim_response *resp, int code,
                               const char *text, long long credit)
{
  char *s = sim_xasprintf("Status=%d\nStatusText=%s\nCredits=%lld\n", code,
                          text, credit);
  answer_latin1(resp, TOOL_CONTENT_TYPE, s);
  free(s);
}

static void ep_account_tool(struct allmysms *st, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct account *a = account_auth(st, req);
  if (!a) {
    /* the tool's table has no code for bad credentials: the module's 102 */
    answer_status(resp, TOOL_CONTENT_TYPE, 102, NULL);
    return;
  }
  const char *info = sim_param_nonempty(req, "info");
  /* PHP's example writes "& info= login_a_verifier": spaces around */
  char *login = NULL;
  if (info) {
    while (isspace((unsigned char)*info))
      info++;
    login = sim_xstrdup(info);
    size_t n = strlen(login);
    while (n > 0 && isspace((unsigned char)login[n - 1]))
      login[--n] = '\0';
  }
  struct account *t = login && *login ? account_find(st, login) : NULL;
  free(login);
  if (!t)
    answer_status(resp, TOOL_CONTENT_TYPE, 301, NULL);
  else if (t != a && !(t->parent && strcasecmp(t->parent, a->login) == 0))
    answer_status(resp, TOOL_CONTENT_TYPE, 302, NULL);
  else if (!t->active)
    answer_status(resp, TOOL_CONTENT_TYPE, 303, NULL);
  else
    tool_answer_active(resp, 300, status_text(300), t->credit);
}

/* ------------------------------------------------------------------ hooks */

static int is_tool_path(const char *subpath)
{
  return strcmp(subpath, "amsmodule.sendsms.v6.php") == 0 ||
         strcmp(subpath, "smsmod/amsmodule.sendsms.v6.php") == 0 ||
         strcmp(subpath, "smsmod/amsmodule.sendsms.v2.php") == 0;
}

static void allmysms_handle(void *state, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct allmysms *st = state;
  int mms = strcmp(req->subpath, "amsmodule.sendmms.v2.php") == 0;
  if (!mms && !is_tool_path(req->subpath))
    return; /* 404 */
  if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0) {
    sim_respondf(resp, 405, "text/plain", "GET or POST only\n");
    return;
  }
  if (mms)
    ep_send_mms(st, req, resp);
  else
    ep_account_tool(st, req, resp);
}

/* Fault `code`: Status=C and the document's text.  On the account tool,
   100 gives the document's example of section 3.2 (Status=100, a
   StatusText with its leading space, the caller's Credits). */
static void allmysms_error_answer(void *state, const struct sim_request *req,
                                  int code, struct sim_response *resp)
{
  struct allmysms *st = state;
  if (!is_tool_path(req->subpath)) {
    mms_error(resp, code);
    return;
  }
  if (code == 100) {
    struct account *a = account_auth(st, req);
    tool_answer_active(resp, 100, " Compte actif", a ? a->credit : 0);
    return;
  }
  answer_status(resp, TOOL_CONTENT_TYPE, code, NULL);
}

/* accepted -> sent -> delivered; deferred and invalid recipients stay. */
static unsigned allmysms_advance(void *state)
{
  struct allmysms *st = state;
  unsigned changed = 0;
  for (struct message *m = st->messages; m; m = m->next)
    for (size_t i = 0; i < m->n_rcpt; i++) {
      struct recipient *r = &m->rcpt[i];
      if (r->state == R_ACCEPTED || r->state == R_SENT) {
        r->state = r->state == R_ACCEPTED ? R_SENT : R_DELIVERED;
        changed++;
      }
    }
  return changed;
}

/* ------------------------------------------------------------ control API */

static struct json_object *opt_string(const char *s)
{
  return s ? json_object_new_string(s) : NULL;
}

static struct json_object *account_json(struct allmysms *st, struct account *a)
{
  struct json_object *doc = json_object_new_object();
  size_t messages = 0;
  for (struct message *m = st->messages; m; m = m->next)
    messages += m->acct == a;
  json_object_object_add(doc, "provider", json_object_new_string("allmysms"));
  json_object_object_add(doc, "login", json_object_new_string(a->login));
  json_object_object_add(doc, "credit", json_object_new_int64(a->credit));
  json_object_object_add(doc, "pro", json_object_new_boolean(a->pro));
  json_object_object_add(doc, "active", json_object_new_boolean(a->active));
  json_object_object_add(doc, "parent", opt_string(a->parent));
  json_object_object_add(doc, "messages", json_object_new_int64((int64_t)messages));
  return doc;
}

static void ctl_account_get(void *state, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct allmysms *st = state;
  const char *login = sim_param_nonempty(req, "login");
  if (!login) {
    sim_ctl_error(resp, 400, "missing parameter: login");
    return;
  }
  struct account *a = account_find(st, login);
  if (!a) {
    sim_ctl_error(resp, 404, "no allmysms account %s", login);
    return;
  }
  sim_respond_json(resp, 200, account_json(st, a));
}

/* 0/1 flag `name`: *out unchanged when absent; -1 when malformed. */
static int flag_param(const struct sim_request *req, const char *name, int *out)
{
  const char *v = sim_param_nonempty(req, name);
  if (!v)
    return 0;
  if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
    return -1;
  *out = v[0] == '1';
  return 0;
}

/* POST /_sim/account?provider=allmysms&login=L[&password=P][&credit=N]
   [&pro=0|1][&active=0|1][&parent=L]: create or change an account. */
static void ctl_account_set(void *state, const struct sim_request *req,
                            struct sim_response *resp)
{
  struct allmysms *st = state;
  const char *login = sim_param_nonempty(req, "login");
  const char *password = sim_param_nonempty(req, "password");
  const char *credit_s = sim_param_nonempty(req, "credit");
  const char *parent = sim_param_nonempty(req, "parent");
  long long credit = 1000;
  if (!login) {
    sim_ctl_error(resp, 400, "missing parameter: login");
    return;
  }
  if (credit_s && sim_int_parse(credit_s, &credit) != 0) {
    sim_ctl_error(resp, 400, "credit: a whole number, not '%s'", credit_s);
    return;
  }
  struct account *a = account_find(st, login);
  int pro = a ? a->pro : 1, active = a ? a->active : 1;
  if (flag_param(req, "pro", &pro) || flag_param(req, "active", &active)) {
    sim_ctl_error(resp, 400, "pro and active take 0 or 1");
    return;
  }
  if (!a) {
    a = account_add(st, login, password ? password : "", credit, pro, active,
                    parent);
  } else {
    if (password) {
      free(a->password);
      a->password = sim_xstrdup(password);
    }
    if (credit_s)
      a->credit = credit;
    if (parent) {
      free(a->parent);
      a->parent = sim_xstrdup(parent);
    }
    a->pro = pro;
    a->active = active;
  }
  sim_respond_json(resp, 200, account_json(st, a));
}

static struct json_object *message_json(const struct message *m)
{
  struct json_object *doc = json_object_new_object();
  json_object_object_add(doc, "id", json_object_new_string(m->campaign));
  json_object_object_add(doc, "account", json_object_new_string(m->acct->login));
  json_object_object_add(doc, "client", opt_string(m->client));
  json_object_object_add(doc, "msgclass", json_object_new_int(m->msgclass));
  json_object_object_add(doc, "text", opt_string(m->text));
  json_object_object_add(doc, "campaign_name", opt_string(m->campaign_name));
  json_object_object_add(doc, "date", m->scheduled ? opt_string(m->date) : NULL);
  json_object_object_add(doc, "mail_notif", opt_string(m->mail_notif));
  json_object_object_add(doc, "image", opt_string(m->image));
  struct json_object *v = NULL, *s = NULL;
  if (m->video) {
    v = json_object_new_object();
    json_object_object_add(v, "url", json_object_new_string(m->video));
    json_object_object_add(v, "duration", json_object_new_int64(m->video_duration));
  }
  if (m->sound) {
    s = json_object_new_object();
    json_object_object_add(s, "url", json_object_new_string(m->sound));
    json_object_object_add(s, "duration", json_object_new_int64(m->sound_duration));
  }
  json_object_object_add(doc, "video", v);
  json_object_object_add(doc, "sound", s);
  json_object_object_add(doc, "scheduled", json_object_new_boolean(m->scheduled));
  json_object_object_add(doc, "cost", json_object_new_int64(m->cost));
  struct json_object *rcpts = json_object_new_array();
  for (size_t i = 0; i < m->n_rcpt; i++) {
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "number", json_object_new_string(m->rcpt[i].sent));
    json_object_object_add(o, "national", opt_string(m->rcpt[i].national));
    json_object_object_add(o, "status",
                           json_object_new_string(rcpt_state_names[m->rcpt[i].state]));
    json_object_array_add(rcpts, o);
  }
  json_object_object_add(doc, "recipients", rcpts);
  return doc;
}

/* GET /_sim/messages?provider=allmysms[&login=L][&id=CAMPAIGN]: oldest
   first. */
static void ctl_messages(void *state, const struct sim_request *req,
                         struct sim_response *resp)
{
  struct allmysms *st = state;
  const char *login = sim_param_nonempty(req, "login");
  const char *id = sim_param_nonempty(req, "id");
  struct account *only = NULL;
  if (login && !(only = account_find(st, login))) {
    sim_ctl_error(resp, 404, "no allmysms account %s", login);
    return;
  }
  size_t n = 0;
  for (struct message *m = st->messages; m; m = m->next)
    n++;
  const struct message **all = sim_xcalloc(n ? n : 1, sizeof *all);
  n = 0;
  for (struct message *m = st->messages; m; m = m->next)
    if ((!only || m->acct == only) && (!id || strcmp(m->campaign, id) == 0))
      all[n++] = m;
  struct json_object *arr = json_object_new_array();
  while (n > 0) /* the list is newest first */
    json_object_array_add(arr, message_json(all[--n]));
  free(all);
  sim_respond_json(resp, 200, arr);
}

static const struct sim_ctl_op allmysms_ops[] = {
  { "account", "GET", ctl_account_get },
  { "account", "POST", ctl_account_set },
  { "messages", "GET", ctl_messages },
  { NULL, NULL, NULL },
};

/* ---------------------------------------------------------------- lifecycle */

static void *allmysms_create(void)
{
  struct allmysms *st = sim_xcalloc(1, sizeof *st);
  sim_rng_seed(&st->rng, 0x616c6c6d79736d73ULL); /* "allmysms" */
  builtin_accounts(st);
  return st;
}

static void allmysms_reset(void *state)
{
  struct allmysms *st = state;
  state_clear(st);
  builtin_accounts(st);
}

static void allmysms_destroy(void *state)
{
  state_clear(state);
  free(state);
}

const struct sim_provider sim_allmysms = {
  .name = "allmysms",
  .prefix = "/allmysms/",
  .create = allmysms_create,
  .destroy = allmysms_destroy,
  .reset = allmysms_reset,
  .handle = allmysms_handle,
  .error_answer = allmysms_error_answer,
  .advance = allmysms_advance,
  .ops = allmysms_ops,
};
