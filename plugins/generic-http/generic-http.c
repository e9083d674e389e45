/*
 * generic-http.c - a provider described entirely in the INI file.
 *
 * For HTTP SMS APIs nobody has written a plugin for: the [provider.NAME]
 * section says which request a send (and optionally a balance or a status
 * read) is - method, URL, parameters as templates of the message fields,
 * query, form or JSON body, authentication - and how to read the answer:
 * where the message id, the raw code, the balance or the status is, and
 * which answers are TEMPORARY, AUTH, CREDIT, INVALID or PERMANENT.  Every
 * key is documented in docs/generic-http.md and checked when the instance
 * opens, with an error naming the key.
 *
 * Everything is parsed once in open (templates, conditions, regular
 * expressions) and only read afterwards, so one instance serves any number
 * of threads at once (regexec on a compiled regex_t is thread-safe).
 */
#include <smsmux/plugin-helpers.h>
#include <smsmux/provider.h>

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define GH_VERSION "1.1.0"

/* The most recipients one send hands the plugin.  The instance's own
   max_recipients (default 1; 1 with ${to}) is reported to the host at open
   (ABI 1.2 set_limits), so the core splits lists into one request each and
   fails over request by request; with an older host the plugin cuts the
   send into requests itself. */
#define GH_MAX_RECIPIENTS 1000
#define GH_MAX_PER_REQUEST_DEFAULT 1

/* Which operation a template belongs to: what it may use. */
enum gh_op { OP_SEND = 1u, OP_STATUS = 2u, OP_BALANCE = 4u };
#define OP_ALL (OP_SEND | OP_STATUS | OP_BALANCE)

/* -------------------------------------------------------------- types -- */

/** What one piece of a template stands for. */
typedef enum gh_ph {
  PH_LITERAL,
  PH_TO,
  PH_TO_LIST,
  PH_TEXT,
  PH_SENDER,
  PH_AT,
  PH_AT_UTC,
  PH_REF,
  PH_LOGIN,
  PH_PASSWORD,
  PH_TOKEN,
  PH_ENCODING,
  PH_SEGMENTS,
  PH_COUNT,
  PH_ID,
  PH_CFG,
  PH_OPTION
} gh_ph;

typedef struct gh_placeholder_def {
  const char *name;
  gh_ph kind;
  int takes_arg; /* ${name:ARG} */
  unsigned ops;  /* operations it makes sense in */
} gh_placeholder_def;

static const gh_placeholder_def gh_placeholders[] = {
    {"to", PH_TO, 0, OP_SEND},
    {"to_list", PH_TO_LIST, 0, OP_SEND},
    {"text", PH_TEXT, 0, OP_SEND},
    {"sender", PH_SENDER, 0, OP_SEND},
    {"at", PH_AT, 1, OP_SEND},
    {"at_utc", PH_AT_UTC, 1, OP_SEND},
    {"ref", PH_REF, 0, OP_SEND},
    {"login", PH_LOGIN, 0, OP_ALL},
    {"password", PH_PASSWORD, 0, OP_ALL},
    {"token", PH_TOKEN, 0, OP_ALL},
    {"encoding", PH_ENCODING, 0, OP_SEND},
    {"segments", PH_SEGMENTS, 0, OP_SEND},
    {"count", PH_COUNT, 0, OP_SEND},
    {"id", PH_ID, 0, OP_STATUS},
    {"cfg", PH_CFG, 1, OP_ALL},
    {"option", PH_OPTION, 1, OP_SEND},
};

typedef struct gh_piece {
  gh_ph kind;
  const char *arg; /* the literal text, the strftime format, the key */
} gh_piece;

typedef struct gh_tpl {
  gh_piece *p;
  size_t n;
  unsigned uses; /* bit (1 << kind) of every placeholder used */
} gh_tpl;

/** One `name=TEMPLATE` parameter; `name:number` makes a JSON number. */
typedef struct gh_param {
  const char *name;
  int number;
  gh_tpl value;
} gh_param;

typedef struct gh_params {
  gh_param *v;
  size_t n;
} gh_params;

typedef enum gh_body { BODY_NONE, BODY_FORM, BODY_JSON } gh_body;

/** Where a value is read from in an answer. */
typedef enum gh_ex_kind {
  EX_NONE,
  EX_BODY,
  EX_JSON,
  EX_REGEX,
  EX_FIELD,
  EX_PAIRS,
  EX_HEADER
} gh_ex_kind;

typedef struct gh_extractor {
  gh_ex_kind kind;
  const char *arg;
  long field;  /* field:N, 1-based */
  regex_t *re; /* regex:EXPR */
  /* a JSON pointer with a * token (json:/messages/STAR/code): the pointer
     of the list ("" for the answer itself) and the pointer inside each
     element ("" for the element); NULL for a pointer without * */
  const char *list, *rest;
} gh_extractor;

typedef struct gh_range {
  long lo, hi;
} gh_range;

typedef enum gh_cond_kind { CO_STATUS, CO_REGEX, CO_VALUE } gh_cond_kind;

/** How a value is compared: SOURCE, SOURCE=V, SOURCE!=V, SOURCE=LO..HI,
    SOURCE=~EXPR. */
typedef enum gh_cmp { CMP_EXISTS, CMP_EQ, CMP_NE, CMP_RANGE, CMP_MATCH } gh_cmp;

/** One condition on an answer. */
typedef struct gh_cond {
  gh_cond_kind kind;
  gh_range *ranges; /* status: */
  size_t n_ranges;
  regex_t *re;       /* regex:, and =~ */
  gh_extractor src;  /* a value of the answer: json:, field:, pairs:, ... */
  gh_cmp cmp;
  const char *value; /* = and != */
  double lo, hi;     /* =LO..HI (open ends: -HUGE_VAL, HUGE_VAL) */
} gh_cond;

/** The conditions of one error class (any of them matches). */
typedef struct gh_condset {
  const char *key;
  smsmux_error_class cls;
  gh_cond *c;
  size_t n;
} gh_condset;

/** One request: send, status or balance. */
typedef struct gh_req {
  int set;
  const char *prefix; /* "send", "status", "balance" */
  smsmux_http_method method;
  gh_tpl url;
  gh_params params;
  gh_params query;
  gh_body body;
  gh_extractor from;
} gh_req;

enum {
  CLS_AUTH,
  CLS_CREDIT,
  CLS_INVALID,
  CLS_TEMPORARY,
  CLS_PERMANENT,
  N_CLASSES
};

typedef enum gh_auth { AUTH_NONE, AUTH_BASIC, AUTH_BEARER, AUTH_PARAM } gh_auth;

/** One configured instance: everything parsed in open, read-only after. */
typedef struct gh {
  const smsmux_host *host;
  smsmux_call *open_call; /* only for its memory, which lives until close */
  const char *login, *password, *token;
  gh_auth auth;
  const char *auth_param;
  const char *const *secret_params; /* NULL-terminated */
  const char **header_names;
  gh_tpl *header_values;
  size_t n_headers;
  gh_req send, status, balance;
  smsmux_number_style numbers;
  const char *separator;
  unsigned max_per_request;
  const char *text_charset, *unicode_charset, *answer_charset;
  const char *unicode_name, *unicode_value;
  const char *enc_gsm7, *enc_ucs2;
  gh_range *success;
  size_t n_success;
  gh_extractor code_from, error_text_from;
  gh_extractor send_balance_from, send_price_from;
  gh_extractor status_to, status_at;
  /* the list every list condition reads (json:/LIST/STAR/...), when
     they all read the same one: a send answer's list of one element per
     recipient is then read recipient by recipient */
  const char *cond_list;
  const char *default_sender;
  int sender_format; /* -1: as given, else a smsmux_number_style */
  const char *field_separator;
  gh_condset classes[N_CLASSES];
  smsmux_status_map *status_map;
  const char *balance_unit;
  regex_t **regexes; /* every compiled expression, freed in close */
  size_t n_regexes;
} gh;

static int gh_open(const smsmux_host *host, smsmux_call *call, void **state);
static void gh_close(void *state);
static int gh_send(void *state, smsmux_call *call, const smsmux_message *msg);
static int gh_status(void *state, smsmux_call *call, const char *id);
static int gh_balance(void *state, smsmux_call *call);

/* --------------------------------------------------------- descriptor -- */

static const smsmux_config_key gh_config_keys[] = {
    {"login", 0, "account login: ${login}, and the Basic user"},
    {"password", SMSMUX_KEY_SECRET,
     "account password: ${password}, and the Basic password"},
    {"token", SMSMUX_KEY_SECRET,
     "API key or token: ${token}, the Bearer token, the auth=param value"},
    {"auth", 0, "none (default), basic, bearer, or param"},
    {"auth_param", 0,
     "with auth=param: the parameter name that carries the token"},
    {"secret_params", 0,
     "parameter names whose values are redacted in traces (comma list)"},
    {"headers", 0, "extra headers of every request: Name: TEMPLATE & ..."},
    {"send_method", 0, "GET or POST (default) or PUT"},
    {"send_url", SMSMUX_KEY_REQUIRED,
     "path appended to base_url, or an absolute http(s) URL"},
    {"send_params", 0,
     "name=TEMPLATE & ...: the send's query (send_body=none) or body"},
    {"send_query", 0, "name=TEMPLATE & ...: query parameters besides a body"},
    {"send_body", 0, "none (parameters in the query), form, or json"},
    {"numbers_format", 0, "e164 (default), digits, 00 or national"},
    {"recipients_separator", 0, "joins the numbers of ${to_list} (default ,)"},
    {"text_charset", 0, "charset of a GSM-7 text's parameters (default UTF-8)"},
    {"unicode_charset", 0,
     "charset of a UCS-2 text's parameters (default UTF-8)"},
    {"unicode_param", 0, "name=value added to a send whose text needs UCS-2"},
    {"encoding_values", 0, "${encoding} for GSM-7,UCS-2 (default gsm7,ucs2)"},
    {"answer_charset", 0,
     "charset of answers that are not UTF-8 and name none (default "
     "ISO-8859-15)"},
    {"success_status", 0, "HTTP statuses of a success (default 2xx)"},
    {"id_from", 0,
     "where the message id is: json:/ptr, regex:EXPR, field:N, pairs:KEY, "
     "header:NAME, body"},
    {"code_from", 0,
     "where the provider's raw code is, for every failure (same forms as "
     "id_from)"},
    {"error_text_from", 0,
     "where the provider's error text is, for every failure (same forms as "
     "id_from)"},
    {"default_sender", 0, "${sender} when the message has no --from"},
    {"sender_format", 0,
     "a numeric sender reformatted: keep (default), numbers (as "
     "numbers_format), e164, digits, 00 or national"},
    {"send_balance_from", 0,
     "where a send answer says the balance left (a number): fed to the "
     "router's balance cache"},
    {"send_price_from", 0,
     "where a send answer says what it cost (a number): logged"},
    {"field_separator", 0, "separator of field:N (default |)"},
    {"auth_when", 0,
     "answers that are AUTH errors: status:LIST, regex:EXPR, json:/ptr=V, "
     "joined by ||"},
    {"credit_when", 0, "answers that are CREDIT errors"},
    {"invalid_when", 0, "answers that are INVALID errors"},
    {"temporary_when", 0, "answers that are TEMPORARY errors"},
    {"permanent_when", 0, "answers that are PERMANENT errors"},
    {"balance_method", 0, "GET (default) or POST or PUT"},
    {"balance_url", 0, "the balance request's path or URL (enables credit)"},
    {"balance_params", 0, "the balance request's parameters"},
    {"balance_query", 0, "the balance request's query besides a body"},
    {"balance_body", 0, "none (default), form or json"},
    {"balance_from", 0, "where the balance is (a number)"},
    {"balance_unit", 0, "unit of the balance (default credits)"},
    {"status_method", 0, "GET (default) or POST or PUT"},
    {"status_url", 0, "the status request's path or URL (may use ${id})"},
    {"status_params", 0, "the status request's parameters (may use ${id})"},
    {"status_query", 0, "the status request's query besides a body"},
    {"status_body", 0, "none (default), form or json"},
    {"status_from", 0,
     "where the raw status code is; json:/list/*/member: one record per "
     "element"},
    {"status_to", 0, "where a status record's recipient is"},
    {"status_at", 0, "where a status record's time is"},
    {"status_map", 0,
     "CODE:STATUS, ... normalised statuses of raw codes (accepted, "
     "scheduled, sent, delivered, undelivered, expired, rejected, "
     "cancelled, unknown)"},
    {NULL, 0, NULL}};

static const smsmux_provider gh_provider = {
    .size = sizeof(smsmux_provider),
    .abi_major = SMSMUX_ABI_MAJOR,
    .abi_minor = SMSMUX_ABI_MINOR,
    .name = "generic-http",
    .version = GH_VERSION,
    .summary = "any HTTP SMS API, described in the INI file",
    /* what an instance may be configured to do; an instance that is not
       (no ${at:...}, no status_url, no balance_url) says so when asked */
    .capabilities = SMSMUX_CAP_SMS | SMSMUX_CAP_UNICODE | SMSMUX_CAP_SCHEDULE |
                    SMSMUX_CAP_STATUS | SMSMUX_CAP_BALANCE |
                    SMSMUX_CAP_ALPHA_SENDER,
    .max_recipients = GH_MAX_RECIPIENTS,
    .max_text_length = 0,
    .max_segments = 0,
    .max_sender_length = 11,
    .default_base_url = NULL,
    .config_keys = gh_config_keys,
    .operations = NULL,
    .open = gh_open,
    .close = gh_close,
    .send = gh_send,
    .status = gh_status,
    .balance = gh_balance,
    .replies = NULL,
    .cancel = NULL,
    .call = NULL,
};

SMSMUX_PROVIDER_ENTRY_DECL { return &gh_provider; }

/* ------------------------------------------------------------- helpers -- */

static const char *cfg(const gh *g, smsmux_call *call, const char *key) {
  const char *v = g->host->config_get(call, key);
  return v != NULL && *v != '\0' ? v : NULL;
}

/** Compile `expr` (POSIX extended); NULL after a CONFIG failure naming
    `key`. */
static regex_t *compile(gh *g, smsmux_call *call, const char *key,
                        const char *expr) {
  regex_t *re, **more;
  char why[128];
  int rc;

  re = calloc(1, sizeof *re);
  more = realloc(g->regexes, (g->n_regexes + 1) * sizeof *more);
  if (re == NULL || more == NULL) {
    free(re);
    if (more != NULL)
      g->regexes = more;
    g->host->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
    return NULL;
  }
  g->regexes = more;
  rc = regcomp(re, expr, REG_EXTENDED);
  if (rc != 0) {
    regerror(rc, re, why, sizeof why);
    free(re);
    g->host->fail(
        call, SMSMUX_ERR_CONFIG, NULL,
        "%s: the regular expression \"%s\" is not valid: %s (POSIX "
        "extended syntax; quote the whole value when it holds ; or #)",
        key, expr, why);
    return NULL;
  }
  g->regexes[g->n_regexes++] = re;
  return re;
}

static int parse_long_in(const char *s, long lo, long hi, long *out) {
  char *end;
  long v;

  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

static int parse_method(const char *v, smsmux_http_method *m) {
  if (strcasecmp(v, "GET") == 0)
    *m = SMSMUX_HTTP_GET;
  else if (strcasecmp(v, "POST") == 0)
    *m = SMSMUX_HTTP_POST;
  else if (strcasecmp(v, "PUT") == 0)
    *m = SMSMUX_HTTP_PUT;
  else
    return -1;
  return 0;
}

/** Status lists: 200,201 or 2xx or 200-299, comma separated. */
static int parse_ranges(gh *g, smsmux_call *call, const char *key,
                        const char *s, gh_range **out, size_t *n_out) {
  const smsmux_host *h = g->host;
  char **f;
  size_t n, i;
  gh_range *r;

  n = h->split(call, s, ",", &f);
  r = h->alloc(call, n * sizeof *r);
  if (r == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  for (i = 0; i < n; i++) {
    const char *x = f[i], *dash = strchr(x, '-');
    long lo, hi;

    if (strlen(x) == 3 && x[0] >= '1' && x[0] <= '5' &&
        (x[1] == 'x' || x[1] == 'X') && (x[2] == 'x' || x[2] == 'X')) {
      lo = (x[0] - '0') * 100;
      hi = lo + 99;
    } else if (dash != NULL) {
      char *a = h->strf(call, "%.*s", (int)(dash - x), x);
      if (parse_long_in(a, 100, 599, &lo) != 0 ||
          parse_long_in(dash + 1, 100, 599, &hi) != 0 || hi < lo)
        goto bad;
    } else if (parse_long_in(x, 100, 599, &lo) == 0) {
      hi = lo;
    } else {
      goto bad;
    }
    r[i].lo = lo;
    r[i].hi = hi;
    continue;
  bad:
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "%s: \"%s\" is not an HTTP status list: write e.g. "
                   "200,201 or 2xx or 200-299",
                   key, x);
  }
  *out = r;
  *n_out = n;
  return 0;
}

static int in_ranges(const gh_range *r, size_t n, long status) {
  size_t i;

  for (i = 0; i < n; i++)
    if (status >= r[i].lo && status <= r[i].hi)
      return 1;
  return 0;
}

/* ----------------------------------------------------------- templates -- */

/** Parse template `s` of key `key`; `ops` says which operation uses it. */
static int tpl_parse(gh *g, smsmux_call *call, const char *key, const char *s,
                     unsigned ops, gh_tpl *t) {
  const smsmux_host *h = g->host;
  size_t cap = 4, i;
  const char *p = s;

  t->n = 0;
  t->uses = 0;
  /* at most 2 pieces per "${" plus one */
  for (i = 0; s[i] != '\0'; i++)
    if (s[i] == '$')
      cap += 2;
  t->p = h->alloc(call, cap * sizeof *t->p);
  if (t->p == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  while (*p != '\0') {
    const char *open = strstr(p, "${"), *close, *colon;
    const gh_placeholder_def *def = NULL;
    char *name;

    if (open == NULL)
      open = p + strlen(p);
    if (open > p) {
      t->p[t->n].kind = PH_LITERAL;
      t->p[t->n].arg = h->strf(call, "%.*s", (int)(open - p), p);
      t->n++;
    }
    if (*open == '\0')
      break;
    close = strchr(open + 2, '}');
    if (close == NULL)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "%s: \"${\" without its closing \"}\" in \"%s\"", key, s);
    name = h->strf(call, "%.*s", (int)(close - open - 2), open + 2);
    colon = strchr(name, ':');
    if (colon != NULL)
      name[colon - name] = '\0';
    for (i = 0; i < sizeof gh_placeholders / sizeof gh_placeholders[0]; i++)
      if (strcmp(gh_placeholders[i].name, name) == 0)
        def = &gh_placeholders[i];
    if (def == NULL)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "%s: unknown placeholder ${%s} (known: ${to} ${to_list} "
                     "${text} ${sender} ${at:FORMAT} ${at_utc:FORMAT} ${ref} "
                     "${login} ${password} ${token} ${encoding} ${segments} "
                     "${count} ${id} ${cfg:KEY} ${option:KEY})",
                     key, name);
    if ((def->ops & ops) != ops)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "%s: ${%s} has no value here (%s)", key, name,
                     def->kind == PH_ID ? "${id} is for status_url and "
                                          "status_params only"
                                        : "it describes the message, which "
                                          "only the send request has");
    if (def->takes_arg && (colon == NULL || colon[1] == '\0'))
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "%s: ${%s:...} needs its argument (e.g. %s)", key, name,
                     def->kind == PH_AT || def->kind == PH_AT_UTC
                         ? "${at:%Y-%m-%d %H:%M:%S}"
                         : "${cfg:login}");
    if (!def->takes_arg && colon != NULL)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "%s: ${%s} takes no argument", key, name);
    if (def->kind == PH_CFG) {
      const smsmux_config_key *k;
      int known = 0;
      for (k = gh_config_keys; k->name != NULL; k++)
        if (strcmp(k->name, colon + 1) == 0)
          known = 1;
      if (!known && strcmp(colon + 1, "base_url") != 0)
        return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                       "%s: ${cfg:%s} names no key of this plugin", key,
                       colon + 1);
    }
    if (def->kind == PH_LOGIN && g->login == NULL)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "%s uses ${login}: set login", key);
    if (def->kind == PH_PASSWORD && g->password == NULL)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "%s uses ${password}: set password", key);
    if (def->kind == PH_TOKEN && g->token == NULL)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "%s uses ${token}: set token", key);
    t->p[t->n].kind = def->kind;
    t->p[t->n].arg = colon != NULL ? colon + 1 : NULL;
    t->uses |= 1u << def->kind;
    t->n++;
    p = close + 1;
  }
  return 0;
}

/** What templates are expanded with. */
typedef struct gh_ctx {
  const smsmux_message *msg; /* send only */
  const char *to;            /* the first (or only) recipient, formatted */
  const char *to_list;       /* every recipient of the request, joined */
  size_t count;
  const char *id; /* status only */
} gh_ctx;

/** The sender of `m` (--from, else default_sender), reformatted by
    sender_format when it is a phone number; NULL when there is none. */
static const char *sender_value(const gh *g, smsmux_call *call,
                                const smsmux_message *m) {
  const smsmux_host *h = g->host;
  const char *v = m->from != NULL && *m->from != '\0' ? m->from
                                                      : g->default_sender;
  const char *d;

  if (v == NULL || g->sender_format < 0)
    return v;
  d = v + (*v == '+');
  if (*d == '\0' || strspn(d, "0123456789") != strlen(d))
    return v; /* alphanumeric: as it is */
  d = h->number_normalise(call, v);
  if (d == NULL || d[0] != '+')
    return v; /* no phone number the host can read (a short code) */
  return h->number_format(call, d, (smsmux_number_style)g->sender_format);
}

/** Expand `t`.  Returns call memory, or NULL with *absent set when an
    optional value (sender, ref, at, cfg, option) is missing: the caller
    then leaves the whole parameter out. */
static const char *tpl_expand(const gh *g, smsmux_call *call, const gh_tpl *t,
                              const gh_ctx *c, int *absent) {
  const smsmux_host *h = g->host;
  const smsmux_message *m = c->msg;
  const char *out = "";
  size_t i;

  *absent = 0;
  for (i = 0; i < t->n; i++) {
    const gh_piece *p = &t->p[i];
    const char *v = NULL;

    switch (p->kind) {
    case PH_LITERAL:
      v = p->arg;
      break;
    case PH_TO:
      v = c->to;
      break;
    case PH_TO_LIST:
      v = c->to_list;
      break;
    case PH_TEXT:
      v = m->text != NULL ? m->text : "";
      break;
    case PH_SENDER:
      v = sender_value(g, call, m);
      break;
    case PH_AT:
      v = m->at != 0 ? h->format_time(call, m->at, p->arg) : NULL;
      break;
    case PH_AT_UTC:
      v = m->at != 0 ? h->format_time_utc(call, m->at, p->arg) : NULL;
      break;
    case PH_REF:
      v = m->ref != NULL && *m->ref != '\0' ? m->ref : NULL;
      break;
    case PH_LOGIN:
      v = g->login;
      break;
    case PH_PASSWORD:
      v = g->password;
      break;
    case PH_TOKEN:
      v = g->token;
      break;
    case PH_ENCODING:
      v = m->encoding == SMSMUX_ENC_UCS2 ? g->enc_ucs2 : g->enc_gsm7;
      break;
    case PH_SEGMENTS:
      v = h->strf(call, "%u", m->segments);
      break;
    case PH_COUNT:
      v = h->strf(call, "%zu", c->count);
      break;
    case PH_ID:
      v = c->id;
      break;
    case PH_CFG:
      v = cfg(g, call, p->arg);
      break;
    case PH_OPTION:
      v = h->option(call, m, p->arg);
      break;
    }
    if (v == NULL || (p->kind == PH_OPTION && *v == '\0')) {
      *absent = 1;
      return NULL;
    }
    out = i == 0 ? v : h->strf(call, "%s%s", out, v);
  }
  return out;
}

/** Parse `name=TEMPLATE & ...` of key `key`. */
static int params_parse(gh *g, smsmux_call *call, const char *key, unsigned ops,
                        gh_params *ps) {
  const smsmux_host *h = g->host;
  const char *s = cfg(g, call, key);
  smsmux_kv *kv;
  size_t n, i;

  ps->v = NULL;
  ps->n = 0;
  if (s == NULL)
    return 0;
  n = h->parse_pairs(call, s, "&\n", '=', &kv);
  ps->v = h->alloc(call, (n + 1) * sizeof *ps->v);
  if (ps->v == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  for (i = 0; i < n; i++) {
    gh_param *p = &ps->v[i];
    char *name = h->strf(call, "%s", kv[i].key);
    char *colon = strchr(name, ':');

    if (colon != NULL) {
      if (strcmp(colon, ":number") != 0)
        return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                       "%s: \"%s\": the only type a name takes is :number "
                       "(a JSON number)",
                       key, name);
      *colon = '\0';
      p->number = 1;
    }
    if (*name == '\0' || strspn(name, "=") == strlen(name))
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "%s: a parameter has no name (write name=TEMPLATE & "
                     "name=TEMPLATE)",
                     key);
    p->name = name;
    if (tpl_parse(g, call, key, kv[i].value, ops, &p->value) != 0)
      return -1;
  }
  ps->n = n;
  return 0;
}

static unsigned params_uses(const gh_params *ps) {
  unsigned u = 0;
  size_t i;

  for (i = 0; i < ps->n; i++)
    u |= ps->v[i].value.uses;
  return u;
}

/* ---------------------------------------------------------- extractors -- */

/** A JSON pointer with a "*" token: where the list is, and the pointer
    inside each element.  One * per pointer. */
static int pointer_split(gh *g, smsmux_call *call, const char *key,
                         gh_extractor *ex) {
  const smsmux_host *h = g->host;
  const char *p = ex->arg, *q;

  for (q = p; q != NULL && *q != '\0'; q = strchr(q + 1, '/')) {
    if (q[0] == '/' && q[1] == '*' && (q[2] == '/' || q[2] == '\0')) {
      const char *r;
      ex->list = h->strf(call, "%.*s", (int)(q - p), p);
      ex->rest = q + 2;
      for (r = ex->rest; r != NULL && *r != '\0'; r = strchr(r + 1, '/'))
        if (r[1] == '*' && (r[2] == '/' || r[2] == '\0'))
          return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                         "%s: \"%s\": one * per pointer (a list of lists "
                         "cannot be read)",
                         key, ex->arg);
      return 0;
    }
  }
  return 0;
}

/** Parse extractor text `s` of key `key` into `ex`; `regex` says whether
    regex:EXPR is allowed (not in a condition, where regex: is a condition
    of its own). */
static int extractor_from(gh *g, smsmux_call *call, const char *key,
                          const char *s, int regex, gh_extractor *ex) {
  const smsmux_host *h = g->host;

  memset(ex, 0, sizeof *ex);
  if (strcmp(s, "body") == 0) {
    ex->kind = EX_BODY;
  } else if (strncmp(s, "json:", 5) == 0) {
    ex->kind = EX_JSON;
    ex->arg = s + 5;
    if (ex->arg[0] != '/' && ex->arg[0] != '\0')
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "%s: \"%s\" is no JSON pointer: write json:/member/0/name",
                     key, ex->arg);
    if (pointer_split(g, call, key, ex) != 0)
      return -1;
  } else if (regex && strncmp(s, "regex:", 6) == 0) {
    ex->kind = EX_REGEX;
    ex->arg = s + 6;
    ex->re = compile(g, call, key, ex->arg);
    if (ex->re == NULL)
      return -1;
  } else if (strncmp(s, "field:", 6) == 0) {
    ex->kind = EX_FIELD;
    if (parse_long_in(s + 6, 1, 1000, &ex->field) != 0)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "%s: \"%s\": field:N counts from 1 (e.g. field:3)", key,
                     s);
  } else if (strncmp(s, "pairs:", 6) == 0 && s[6] != '\0') {
    ex->kind = EX_PAIRS;
    ex->arg = s + 6;
  } else if (strncmp(s, "header:", 7) == 0 && s[7] != '\0') {
    ex->kind = EX_HEADER;
    ex->arg = s + 7;
  } else if (regex) {
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "%s: \"%s\" is not valid: use json:/POINTER, regex:EXPR "
                   "(its first group), field:N, pairs:KEY, header:NAME or "
                   "body",
                   key, s);
  } else {
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "%s: \"%s\" is not a condition: use status:LIST, "
                   "regex:EXPR, or a value (json:/POINTER, field:N, "
                   "pairs:KEY, header:NAME, body) alone or with =V, !=V, "
                   "=LO..HI or =~EXPR, joined by ||",
                   key, s);
  }
  return 0;
}

static int extractor_parse(gh *g, smsmux_call *call, const char *key,
                           gh_extractor *ex) {
  const char *s = cfg(g, call, key);

  memset(ex, 0, sizeof *ex);
  if (s == NULL)
    return 0;
  return extractor_from(g, call, key, s, 1, ex);
}

/** One answer, decoded once and parsed as JSON on demand. */
typedef struct gh_answer {
  const smsmux_http_response *resp;
  const char *text; /* UTF-8 */
  json_object *json;
  int json_tried;
  /* the element of a list (json:/list/STAR/...) a condition held on, or a
     status record is read from: pointers into the same list read it */
  const char *focus_list;
  size_t focus;
} gh_answer;

static json_object *answer_json(gh_answer *a) {
  if (!a->json_tried) {
    a->json_tried = 1;
    a->json = smsmux_json_parse(a->text, strlen(a->text));
  }
  return a->json;
}

/** The list a pointer with * names: an array, or any other value as a
    list of one (APIs that answer an object for one message and an array
    for several); NULL when the answer has no such member. */
static json_object *answer_list(gh_answer *a, const gh_extractor *ex) {
  json_object *doc = answer_json(a), *l = NULL;

  if (doc == NULL)
    return NULL;
  if (ex->list[0] == '\0')
    return doc;
  if (json_pointer_get(doc, ex->list, &l) != 0)
    return NULL;
  return l;
}

static size_t list_len(json_object *l) {
  if (l == NULL)
    return 0;
  return json_object_is_type(l, json_type_array) ? json_object_array_length(l)
                                                 : 1;
}

static json_object *list_at(json_object *l, size_t i) {
  return json_object_is_type(l, json_type_array)
             ? json_object_array_get_idx(l, i)
             : l;
}

/** The member `rest` of list element `e` (1), or 0 when it has none. */
static int elem_get(json_object *e, const char *rest, json_object **o) {
  *o = NULL;
  if (e == NULL)
    return 0;
  if (rest[0] == '\0') {
    *o = e;
    return 1;
  }
  return json_pointer_get(e, rest, o) == 0;
}

static const char *trimmed(const gh *g, smsmux_call *call, const char *v) {
  char **f;

  if (v == NULL)
    return NULL;
  g->host->split(call, v, "\x01", &f); /* trims */
  v = f != NULL ? f[0] : v;
  return *v != '\0' ? v : NULL;
}

/** The value `ex` reads in `a`, trimmed, in call memory; NULL when the
    answer does not have it.  A pointer with * reads the element in focus
    when it names the focused list, else the first element that has the
    value. */
static const char *extract(const gh *g, smsmux_call *call,
                           const gh_extractor *ex, gh_answer *a) {
  const smsmux_host *h = g->host;
  const char *v = NULL;

  switch (ex->kind) {
  case EX_NONE:
    return NULL;
  case EX_BODY: {
    char **f;
    h->split(call, a->text, "\n", &f); /* trimmed: the whole first line */
    v = f != NULL ? f[0] : NULL;
    break;
  }
  case EX_JSON: {
    json_object *doc = answer_json(a), *o = NULL;
    if (ex->list != NULL) {
      json_object *l = answer_list(a, ex);
      size_t n = list_len(l), i;
      if (a->focus_list != NULL && strcmp(a->focus_list, ex->list) == 0) {
        if (a->focus < n && elem_get(list_at(l, a->focus), ex->rest, &o))
          v = smsmux_json_scalar(g->host, call, o);
      } else {
        for (i = 0; i < n && v == NULL; i++)
          if (elem_get(list_at(l, i), ex->rest, &o))
            v = trimmed(g, call, smsmux_json_scalar(g->host, call, o));
      }
    } else if (doc != NULL && json_pointer_get(doc, ex->arg, &o) == 0) {
      v = smsmux_json_scalar(g->host, call, o);
    }
    break;
  }
  case EX_REGEX: {
    regmatch_t m[2];
    if (regexec(ex->re, a->text, 2, m, 0) == 0) {
      int k = m[1].rm_so >= 0 ? 1 : 0;
      v = h->strf(call, "%.*s", (int)(m[k].rm_eo - m[k].rm_so),
                  a->text + m[k].rm_so);
    }
    break;
  }
  case EX_FIELD: {
    char **f;
    size_t n = h->split(call, a->text, g->field_separator, &f);
    if ((size_t)ex->field <= n && n > 1)
      v = f[ex->field - 1];
    break;
  }
  case EX_PAIRS: {
    smsmux_kv *kv;
    size_t n = h->parse_pairs(call, a->text, "&\n", '=', &kv), i;
    for (i = 0; i < n && v == NULL; i++)
      if (strcmp(kv[i].key, ex->arg) == 0)
        v = kv[i].value;
    break;
  }
  case EX_HEADER:
    v = h->http_header(call, ex->arg);
    break;
  }
  return trimmed(g, call, v);
}

/* ---------------------------------------------------------- conditions -- */

/** A number, the whole of `s` (trimmed); 0 with *out, or -1. */
static int parse_number(const char *s, double *out) {
  char *end;
  double d;

  while (*s == ' ' || *s == '\t')
    s++;
  if (*s == '\0')
    return -1;
  errno = 0;
  d = strtod(s, &end);
  while (*end == ' ' || *end == '\t')
    end++;
  if (errno != 0 || *end != '\0' || d != d)
    return -1;
  *out = d;
  return 0;
}

/** LO..HI, LO.. or ..HI (numbers): 0 with the bounds, or -1. */
static int parse_bounds(const smsmux_host *h, smsmux_call *call,
                        const char *s, double *lo, double *hi) {
  const char *dots = strstr(s, "..");
  char *left;

  if (dots == NULL)
    return -1;
  left = h->strf(call, "%.*s", (int)(dots - s), s);
  *lo = -HUGE_VAL;
  *hi = HUGE_VAL;
  if (*left == '\0' && dots[2] == '\0')
    return -1;
  if (*left != '\0' && parse_number(left, lo) != 0)
    return -1;
  if (dots[2] != '\0' && parse_number(dots + 2, hi) != 0)
    return -1;
  return 0;
}

/** A condition on a value: SOURCE, SOURCE=V, SOURCE!=V, SOURCE=LO..HI,
    SOURCE=~EXPR. */
static int cond_value_parse(gh *g, smsmux_call *call, const char *key,
                            char *one, gh_cond *c) {
  const smsmux_host *h = g->host;
  char *colon = strchr(one, ':'), *eq, **f;
  const char *value = NULL;

  c->kind = CO_VALUE;
  c->cmp = CMP_EXISTS;
  /* the operator comes after the source's own "kind:" */
  eq = strchr(colon != NULL ? colon : one, '=');
  if (eq != NULL) {
    value = eq + 1;
    if (eq > one && eq[-1] == '!') {
      c->cmp = CMP_NE;
      eq[-1] = '\0';
    } else if (eq[1] == '~') {
      c->cmp = CMP_MATCH;
      value = eq + 2;
    } else {
      c->cmp = CMP_EQ;
    }
    *eq = '\0';
    h->split(call, value, "\x01", &f); /* trims */
    value = f[0];
    h->split(call, one, "\x01", &f);
    one = f[0];
  }
  if (extractor_from(g, call, key, one, 0, &c->src) != 0)
    return -1;
  if (c->cmp == CMP_MATCH) {
    c->re = compile(g, call, key, value);
    if (c->re == NULL)
      return -1;
  } else if (c->cmp == CMP_EQ &&
             parse_bounds(h, call, value, &c->lo, &c->hi) == 0) {
    c->cmp = CMP_RANGE;
  }
  c->value = value;
  return 0;
}

static int conds_parse(gh *g, smsmux_call *call, gh_condset *cs) {
  const smsmux_host *h = g->host;
  const char *s = cfg(g, call, cs->key);
  size_t n = 0, i;
  const char *p;

  cs->c = NULL;
  cs->n = 0;
  if (s == NULL)
    return 0;
  for (p = s; p != NULL; p = strstr(p, "||"), p = p != NULL ? p + 2 : NULL)
    n++;
  cs->c = h->alloc(call, n * sizeof *cs->c);
  if (cs->c == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  p = s;
  for (i = 0; i < n; i++) {
    const char *end = strstr(p, "||");
    char *one = h->strf(call, "%.*s",
                        (int)(end != NULL ? end - p : (long)strlen(p)), p);
    char **f;
    gh_cond *c = &cs->c[i];

    h->split(call, one, "\x01", &f); /* trims */
    one = f[0];
    memset(c, 0, sizeof *c);
    if (strncmp(one, "status:", 7) == 0) {
      c->kind = CO_STATUS;
      if (parse_ranges(g, call, cs->key, one + 7, &c->ranges, &c->n_ranges) !=
          0)
        return -1;
    } else if (strncmp(one, "regex:", 6) == 0) {
      c->kind = CO_REGEX;
      c->re = compile(g, call, cs->key, one + 6);
      if (c->re == NULL)
        return -1;
    } else if (cond_value_parse(g, call, cs->key, one, c) != 0) {
      return -1;
    }
    p = end != NULL ? end + 2 : NULL;
  }
  cs->n = n;
  return 0;
}

/** Whether value `v` (NULL: none) passes the comparison of `c`; `present`
    says whether the member is there at all (a JSON null or object is
    present without a value). */
static int cmp_holds(const gh_cond *c, int present, const char *v) {
  double d;

  switch (c->cmp) {
  case CMP_EXISTS:
    return present;
  case CMP_EQ:
    return v != NULL && strcmp(v, c->value) == 0;
  case CMP_NE:
    return v != NULL && strcmp(v, c->value) != 0;
  case CMP_RANGE:
    return v != NULL && parse_number(v, &d) == 0 && d >= c->lo && d <= c->hi;
  case CMP_MATCH:
    return v != NULL && regexec(c->re, v, 0, NULL, 0) == 0;
  }
  return 0;
}

/** Whether condition `c` holds on answer `a`.  A pointer with * holds when
    it holds on any element of the list: every element is examined, and the
    first one it holds on is put in focus (code_from and error_text_from
    then read that element). */
/** Which conditions a check reads. */
typedef enum gh_scope {
  SCOPE_ALL,    /* every condition; a list's any element */
  SCOPE_NOLIST, /* only the conditions that read no list */
  SCOPE_ELEM    /* only those that read the focused list, at its focus */
} gh_scope;

static int cond_reads_list(const gh_cond *c) {
  return c->kind == CO_VALUE && c->src.kind == EX_JSON && c->src.list != NULL;
}

static int cond_holds(const gh *g, smsmux_call *call, const gh_cond *c,
                      gh_answer *a, gh_scope scope) {
  if (scope == SCOPE_NOLIST && cond_reads_list(c))
    return 0;
  if (scope == SCOPE_ELEM) {
    json_object *o = NULL;
    int present;
    if (!cond_reads_list(c) || a->focus_list == NULL ||
        strcmp(c->src.list, a->focus_list) != 0 ||
        a->focus >= list_len(answer_list(a, &c->src)))
      return 0;
    present =
        elem_get(list_at(answer_list(a, &c->src), a->focus), c->src.rest, &o);
    return cmp_holds(c, present,
                     present ? smsmux_json_scalar(g->host, call, o) : NULL);
  }
  switch (c->kind) {
  case CO_STATUS:
    return in_ranges(c->ranges, c->n_ranges, a->resp->status);
  case CO_REGEX:
    return regexec(c->re, a->text, 0, NULL, 0) == 0;
  case CO_VALUE:
    break;
  }
  if (c->src.kind == EX_JSON) {
    json_object *doc = answer_json(a), *o = NULL;
    if (doc == NULL)
      return 0;
    if (c->src.list != NULL) {
      json_object *l = answer_list(a, &c->src);
      size_t n = list_len(l), i;
      for (i = 0; i < n; i++) {
        int present = elem_get(list_at(l, i), c->src.rest, &o);
        if (cmp_holds(c, present,
                      present ? smsmux_json_scalar(g->host, call, o) : NULL)) {
          a->focus_list = c->src.list;
          a->focus = i;
          return 1;
        }
      }
      return 0;
    }
    if (json_pointer_get(doc, c->src.arg, &o) != 0)
      return 0;
    return cmp_holds(c, 1, smsmux_json_scalar(g->host, call, o));
  } else {
    const char *v = extract(g, call, &c->src, a);
    return cmp_holds(c, v != NULL, v);
  }
}

/* -------------------------------------------------------------- open --- */

static const char *const gh_class_keys[N_CLASSES] = {
    "auth_when", "credit_when", "invalid_when", "temporary_when",
    "permanent_when"};
static const smsmux_error_class gh_class_values[N_CLASSES] = {
    SMSMUX_ERR_AUTH, SMSMUX_ERR_CREDIT, SMSMUX_ERR_INVALID,
    SMSMUX_ERR_TEMPORARY, SMSMUX_ERR_PERMANENT};

static int valid_url(const char *s) {
  return s[0] == '/' || strncasecmp(s, "http://", 7) == 0 ||
         strncasecmp(s, "https://", 8) == 0;
}

/** Read the keys of one request (send_*, status_*, balance_*). */
static int req_parse(gh *g, smsmux_call *call, gh_req *r, const char *prefix,
                     unsigned ops, const char *default_method) {
  const smsmux_host *h = g->host;
  const char *url_key = h->strf(call, "%s_url", prefix);
  const char *method_key = h->strf(call, "%s_method", prefix);
  const char *body_key = h->strf(call, "%s_body", prefix);
  const char *url = cfg(g, call, url_key), *v;

  memset(r, 0, sizeof *r);
  r->prefix = prefix;
  if (url == NULL) {
    /* the other keys of an unset request are mistakes */
    static const char *const rest[] = {"_method", "_params", "_query", "_body",
                                       "_from"};
    size_t i;
    for (i = 0; i < sizeof rest / sizeof rest[0]; i++) {
      const char *k = h->strf(call, "%s%s", prefix, rest[i]);
      if (strcmp(prefix, "send") != 0 && cfg(g, call, k) != NULL)
        return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                       "%s is set but %s is not: set %s to enable the %s "
                       "request",
                       k, url_key, url_key, prefix);
    }
    return 0;
  }
  if (!valid_url(url))
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "%s: \"%s\" is neither a path starting with / nor an "
                   "http(s) URL",
                   url_key, url);
  if (url[0] == '/' && cfg(g, call, "base_url") == NULL)
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "%s is a path but base_url is not set: set base_url (the "
                   "generic-http plugin has no default)",
                   url_key);
  r->set = 1;
  if (tpl_parse(g, call, url_key, url, ops, &r->url) != 0)
    return -1;

  v = cfg(g, call, method_key);
  if (parse_method(v != NULL ? v : default_method, &r->method) != 0)
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "%s: \"%s\" is not valid: use GET, POST or PUT", method_key,
                   v);
  v = cfg(g, call, body_key);
  if (v == NULL)
    v = r->method == SMSMUX_HTTP_GET ? "none" : "form";
  if (strcmp(v, "none") == 0)
    r->body = BODY_NONE;
  else if (strcmp(v, "form") == 0)
    r->body = BODY_FORM;
  else if (strcmp(v, "json") == 0)
    r->body = BODY_JSON;
  else
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "%s: \"%s\" is not valid: use none (parameters in the "
                   "query), form or json",
                   body_key, v);
  if (r->method == SMSMUX_HTTP_GET && r->body != BODY_NONE)
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "%s = %s with %s = GET: a GET request has no body; use "
                   "%s = none or POST",
                   body_key, v, method_key, body_key);
  if (params_parse(g, call, h->strf(call, "%s_params", prefix), ops,
                   &r->params) != 0 ||
      params_parse(g, call, h->strf(call, "%s_query", prefix), ops,
                   &r->query) != 0)
    return -1;
  if (r->body == BODY_JSON) {
    /* a dotted name nests: "datas.text" and "datas" cannot both be leaves */
    size_t i, j;
    for (i = 0; i < r->params.n; i++)
      for (j = 0; j < r->params.n; j++) {
        const char *a = r->params.v[i].name, *b = r->params.v[j].name;
        size_t la = strlen(a);
        if (i != j &&
            (strcmp(a, b) == 0 || (strncmp(a, b, la) == 0 && b[la] == '.')))
          return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                         "%s_params: \"%s\" and \"%s\" cannot both be in "
                         "one JSON body",
                         prefix, a, b);
      }
  }
  return extractor_parse(g, call, h->strf(call, "%s_from", prefix), &r->from);
}

static int open_auth(gh *g, smsmux_call *call) {
  const smsmux_host *h = g->host;
  const char *v = cfg(g, call, "auth");

  g->auth_param = cfg(g, call, "auth_param");
  if (v == NULL || strcmp(v, "none") == 0) {
    g->auth = AUTH_NONE;
  } else if (strcmp(v, "basic") == 0) {
    g->auth = AUTH_BASIC;
    if (g->login == NULL || g->password == NULL)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "auth = basic needs login and password: set %s",
                     g->login == NULL ? "login" : "password");
  } else if (strcmp(v, "bearer") == 0) {
    g->auth = AUTH_BEARER;
    if (g->token == NULL)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "auth = bearer needs token: set token");
  } else if (strcmp(v, "param") == 0) {
    g->auth = AUTH_PARAM;
    if (g->token == NULL)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "auth = param needs token: set token (its value)");
    if (g->auth_param == NULL)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "auth = param needs auth_param: the name of the "
                     "parameter that carries the token (e.g. accessToken)");
  } else {
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "auth: \"%s\" is not valid: use none, basic, bearer or "
                   "param",
                   v);
  }
  if (g->auth_param != NULL && g->auth != AUTH_PARAM)
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "auth_param is set but auth is not param: set auth = "
                   "param, or remove auth_param");
  return 0;
}

static int open_secret_params(gh *g, smsmux_call *call) {
  const smsmux_host *h = g->host;
  const char *v = cfg(g, call, "secret_params");
  const char **list;
  char **f = NULL;
  size_t n = 0, i, k = 0;

  if (v != NULL)
    n = h->split(call, v, ",", &f);
  list = h->alloc(call, (n + 2) * sizeof *list);
  if (list == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  if (g->auth_param != NULL)
    list[k++] = g->auth_param;
  for (i = 0; i < n; i++) {
    if (*f[i] == '\0')
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "secret_params: an empty name in \"%s\"", v);
    list[k++] = f[i];
  }
  list[k] = NULL;
  g->secret_params = list;
  return 0;
}

static int open_headers(gh *g, smsmux_call *call) {
  const smsmux_host *h = g->host;
  const char *v = cfg(g, call, "headers");
  smsmux_kv *kv;
  size_t n, i;

  if (v == NULL)
    return 0;
  n = h->parse_pairs(call, v, "&\n", ':', &kv);
  g->header_names = h->alloc(call, (n + 1) * sizeof *g->header_names);
  g->header_values = h->alloc(call, (n + 1) * sizeof *g->header_values);
  if (g->header_names == NULL || g->header_values == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  for (i = 0; i < n; i++) {
    const char *name = kv[i].key;
    if (strcspn(name, " \t\r\n:") != strlen(name))
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "headers: \"%s\" is no header name (write Name: TEMPLATE "
                     "& Name: TEMPLATE)",
                     name);
    g->header_names[i] = name;
    /* headers go with every request: only what every request knows */
    if (tpl_parse(g, call, "headers", kv[i].value, OP_ALL,
                  &g->header_values[i]) != 0)
      return -1;
  }
  g->n_headers = n;
  return 0;
}

static int open_charset(gh *g, smsmux_call *call, const char *key,
                        const char *dflt, const char **out) {
  const smsmux_host *h = g->host;
  const char *v = cfg(g, call, key);

  *out = v != NULL ? v : dflt;
  /* to_charset fails (and says so) on a name iconv does not know */
  if (h->to_charset(call, "a", *out, NULL) == NULL)
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "%s: \"%s\" is no charset iconv knows (e.g. UTF-8, "
                   "ISO-8859-15)",
                   key, *out);
  return 0;
}

static int is_utf8_name(const char *cs) {
  return strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0;
}

static int open_send_format(gh *g, smsmux_call *call) {
  const smsmux_host *h = g->host;
  const char *v;
  long n;
  char **f;

  v = cfg(g, call, "numbers_format");
  if (v == NULL || strcmp(v, "e164") == 0)
    g->numbers = SMSMUX_NUM_E164;
  else if (strcmp(v, "digits") == 0)
    g->numbers = SMSMUX_NUM_DIGITS;
  else if (strcmp(v, "00") == 0)
    g->numbers = SMSMUX_NUM_00;
  else if (strcmp(v, "national") == 0)
    g->numbers = SMSMUX_NUM_NATIONAL;
  else
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "numbers_format: \"%s\" is not valid: use e164 "
                   "(+33612345678), digits (33612345678), 00 (0033612345678) "
                   "or national (0612345678)",
                   v);
  /* a raw value: "; " or " " may be the separator, so not cfg()'s */
  v = h->config_get(call, "recipients_separator");
  g->separator = v != NULL && *v != '\0' ? v : ",";
  v = cfg(g, call, "max_recipients");
  g->max_per_request = GH_MAX_PER_REQUEST_DEFAULT;
  if (v != NULL) {
    if (parse_long_in(v, 1, GH_MAX_RECIPIENTS, &n) != 0)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "max_recipients: \"%s\" is not a number from 1 to %d", v,
                     GH_MAX_RECIPIENTS);
    g->max_per_request = (unsigned)n;
  }
  if (open_charset(g, call, "text_charset", "UTF-8", &g->text_charset) != 0 ||
      open_charset(g, call, "unicode_charset", "UTF-8", &g->unicode_charset) !=
          0 ||
      open_charset(g, call, "answer_charset", "ISO-8859-15",
                   &g->answer_charset) != 0)
    return -1;
  if (g->send.body == BODY_JSON &&
      (!is_utf8_name(g->text_charset) || !is_utf8_name(g->unicode_charset)))
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "%s: a JSON body is UTF-8: remove text_charset and "
                   "unicode_charset, or use send_body = form",
                   !is_utf8_name(g->text_charset) ? "text_charset"
                                                  : "unicode_charset");
  v = cfg(g, call, "unicode_param");
  if (v != NULL) {
    const char *eq = strchr(v, '=');
    if (eq == NULL || eq == v)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "unicode_param: \"%s\" is not name=value (e.g. "
                     "classe_msg=9)",
                     v);
    g->unicode_name = h->strf(call, "%.*s", (int)(eq - v), v);
    g->unicode_value = eq + 1;
  }
  v = cfg(g, call, "encoding_values");
  if (v == NULL)
    v = "gsm7,ucs2";
  if (h->split(call, v, ",", &f) != 2 || *f[0] == '\0' || *f[1] == '\0')
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "encoding_values: \"%s\" is not two values: write the "
                   "GSM-7 value, a comma, the UCS-2 value (e.g. 3,4)",
                   v);
  g->enc_gsm7 = f[0];
  g->enc_ucs2 = f[1];
  return 0;
}

static int open_status_map(gh *g, smsmux_call *call) {
  const smsmux_host *h = g->host;
  const char *v = cfg(g, call, "status_map");
  smsmux_kv *kv;
  size_t n, i, j;

  if (v == NULL) {
    g->status_map = h->alloc(call, sizeof *g->status_map);
    if (g->status_map == NULL)
      return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
    memset(g->status_map, 0, sizeof *g->status_map);
    return 0;
  }
  if (!g->status.set)
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "status_map is set but status_url is not");
  n = h->parse_pairs(call, v, ",", ':', &kv);
  g->status_map = h->alloc(call, (n + 1) * sizeof *g->status_map);
  if (g->status_map == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  for (i = 0; i < n; i++) {
    int found = -1;
    for (j = SMSMUX_STATUS_UNKNOWN; j <= SMSMUX_STATUS_CANCELLED; j++)
      if (strcmp(kv[i].value, h->status_name((smsmux_status)j)) == 0)
        found = (int)j;
    if (found < 0)
      return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                     "status_map: \"%s:%s\": %s is no status (use accepted, "
                     "scheduled, sent, delivered, undelivered, expired, "
                     "rejected, cancelled or unknown)",
                     kv[i].key, kv[i].value, kv[i].value);
    g->status_map[i].code = kv[i].key;
    g->status_map[i].status = (smsmux_status)found;
    g->status_map[i].text = NULL;
  }
  memset(&g->status_map[n], 0, sizeof g->status_map[n]);
  return 0;
}

static int open_answers(gh *g, smsmux_call *call) {
  const smsmux_host *h = g->host;
  const char *v;
  size_t i, lists = 0;

  v = cfg(g, call, "success_status");
  if (parse_ranges(g, call, "success_status", v != NULL ? v : "2xx",
                   &g->success, &g->n_success) != 0)
    return -1;
  v = h->config_get(call, "field_separator");
  g->field_separator = v != NULL && *v != '\0' ? v : "|";
  if (extractor_parse(g, call, "code_from", &g->code_from) != 0 ||
      extractor_parse(g, call, "error_text_from", &g->error_text_from) != 0 ||
      extractor_parse(g, call, "send_balance_from", &g->send_balance_from) !=
          0 ||
      extractor_parse(g, call, "send_price_from", &g->send_price_from) != 0 ||
      extractor_parse(g, call, "status_to", &g->status_to) != 0 ||
      extractor_parse(g, call, "status_at", &g->status_at) != 0)
    return -1;
  if (!g->status.set && (g->status_to.kind != EX_NONE ||
                         g->status_at.kind != EX_NONE))
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "%s is set but status_url is not",
                   g->status_to.kind != EX_NONE ? "status_to" : "status_at");
  {
    /* a record's recipient and time come from its own element */
    const gh_extractor *ex[2] = {&g->status_to, &g->status_at};
    const char *const names[2] = {"status_to", "status_at"};
    for (i = 0; i < 2; i++)
      if (ex[i]->list != NULL && (g->status.from.list == NULL ||
                                  strcmp(ex[i]->list, g->status.from.list)))
        return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                       "%s: \"%s\" reads a list (*), but not the list "
                       "status_from reads one record per element of: use "
                       "json:%s/*/...",
                       names[i], ex[i]->arg,
                       g->status.from.list != NULL ? g->status.from.list
                                                   : "/LIST");
  }
  for (i = 0; i < N_CLASSES; i++) {
    size_t j;
    g->classes[i].key = gh_class_keys[i];
    g->classes[i].cls = gh_class_values[i];
    if (conds_parse(g, call, &g->classes[i]) != 0)
      return -1;
    for (j = 0; j < g->classes[i].n; j++) {
      const gh_cond *c = &g->classes[i].c[j];
      if (!cond_reads_list(c))
        continue;
      if (lists == 0)
        g->cond_list = c->src.list;
      else if (g->cond_list != NULL && strcmp(g->cond_list, c->src.list) != 0)
        g->cond_list = NULL; /* several lists: no per-recipient reading */
      lists++;
    }
  }
  if (extractor_parse(g, call, "id_from", &g->send.from) != 0)
    return -1;
  if (g->balance.set && g->balance.from.kind == EX_NONE)
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "balance_url is set but balance_from is not: say where the "
                   "balance is (e.g. body, pairs:credit, json:/credit)");
  if (g->status.set && g->status.from.kind == EX_NONE)
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "status_url is set but status_from is not: say where the "
                   "status code is (e.g. field:1, json:/status)");
  v = cfg(g, call, "balance_unit");
  g->balance_unit = v != NULL ? v : "credits";
  return open_status_map(g, call);
}

static int open_sender(gh *g, smsmux_call *call) {
  const smsmux_host *h = g->host;
  const char *v = cfg(g, call, "sender_format");
  size_t i;

  g->default_sender = cfg(g, call, "default_sender");
  if (g->default_sender != NULL)
    for (i = 0; g->default_sender[i] != '\0'; i++)
      if ((unsigned char)g->default_sender[i] < 0x20)
        return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                       "default_sender: a control character in the sender");
  if (v == NULL || strcmp(v, "keep") == 0)
    g->sender_format = -1;
  else if (strcmp(v, "numbers") == 0)
    g->sender_format = (int)g->numbers;
  else if (strcmp(v, "e164") == 0)
    g->sender_format = SMSMUX_NUM_E164;
  else if (strcmp(v, "digits") == 0)
    g->sender_format = SMSMUX_NUM_DIGITS;
  else if (strcmp(v, "00") == 0)
    g->sender_format = SMSMUX_NUM_00;
  else if (strcmp(v, "national") == 0)
    g->sender_format = SMSMUX_NUM_NATIONAL;
  else
    return h->fail(call, SMSMUX_ERR_CONFIG, NULL,
                   "sender_format: \"%s\" is not valid: use keep (as given), "
                   "numbers (as numbers_format), e164, digits, 00 or "
                   "national",
                   v);
  return 0;
}

/* 1 when the host splits lists by this instance's limit (ABI 1.2). */
static int host_splits(const gh *g) {
  return SMSMUX_HAS_MEMBER(g->host, smsmux_host, set_limits) &&
         g->host->set_limits != NULL;
}

/* The send's placeholders. */
static unsigned send_uses(const gh *g) {
  return params_uses(&g->send.params) | params_uses(&g->send.query) |
         g->send.url.uses;
}

/* What this instance takes, for the router (ABI 1.2): its recipients per
   request, and no scheduling without ${at:...} or ${at_utc:...}. */
static int open_limits(gh *g, smsmux_call *call) {
  smsmux_limits lim;
  unsigned uses = send_uses(g);
  if (uses & (1u << PH_TO))
    g->max_per_request = 1; /* ${to} is one number */
  if (!host_splits(g))
    return 0;
  memset(&lim, 0, sizeof lim);
  lim.size = sizeof lim;
  lim.max_recipients = g->max_per_request;
  if (!(uses & ((1u << PH_AT) | (1u << PH_AT_UTC))))
    lim.caps_remove = SMSMUX_CAP_SCHEDULE;
  return g->host->set_limits(call, &lim);
}

static int gh_open(const smsmux_host *host, smsmux_call *call, void **state) {
  gh *g;

  if (SMSMUX_NEED_HOST(host, call, "generic-http", 1, error_lookup) != 0)
    return -1;
  g = calloc(1, sizeof *g);
  if (g == NULL)
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  g->host = host;
  g->login = cfg(g, call, "login");
  g->password = cfg(g, call, "password");
  g->token = cfg(g, call, "token");
  /* the send request's placeholders decide the rest: parse it after auth
     (templates check that the credentials they use are set) */
  if (open_auth(g, call) != 0 || open_secret_params(g, call) != 0 ||
      open_headers(g, call) != 0 ||
      req_parse(g, call, &g->send, "send", OP_SEND, "POST") != 0 ||
      req_parse(g, call, &g->balance, "balance", OP_BALANCE, "GET") != 0 ||
      req_parse(g, call, &g->status, "status", OP_STATUS, "GET") != 0 ||
      open_send_format(g, call) != 0 || open_answers(g, call) != 0 ||
      open_sender(g, call) != 0) {
    gh_close(g);
    return -1;
  }
  if (g->status.set && !((g->status.url.uses | params_uses(&g->status.params) |
                          params_uses(&g->status.query)) &
                         (1u << PH_ID))) {
    gh_close(g);
    return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                      "status_url or status_params must use ${id}, the "
                      "message id to ask about");
  }
  if (!((params_uses(&g->send.params) | params_uses(&g->send.query)) &
        ((1u << PH_TO) | (1u << PH_TO_LIST)))) {
    gh_close(g);
    return host->fail(call, SMSMUX_ERR_CONFIG, NULL,
                      "send_params (or send_query) must carry the recipients: "
                      "use ${to} (one per request) or ${to_list}");
  }
  if (open_limits(g, call) != 0) {
    gh_close(g);
    return -1;
  }
  *state = g;
  return 0;
}

static void gh_close(void *state) {
  gh *g = state;
  size_t i;

  if (g == NULL)
    return;
  for (i = 0; i < g->n_regexes; i++) {
    regfree(g->regexes[i]);
    free(g->regexes[i]);
  }
  free(g->regexes);
  free(g);
}

/* ------------------------------------------------------------ requests -- */

/** Expanded parameters of one request. */
typedef struct gh_kvs {
  smsmux_kv *kv;
  size_t n;
  int *number;
} gh_kvs;

/** Expand `ps` into `out` (room for ps->n + 2); `charset` converts the
    values (send), or NULL. */
static int params_expand(const gh *g, smsmux_call *call, const gh_params *ps,
                         const gh_ctx *c, const char *charset, gh_kvs *out) {
  const smsmux_host *h = g->host;
  size_t i;

  out->kv = h->alloc(call, (ps->n + 3) * sizeof *out->kv);
  out->number = h->alloc(call, (ps->n + 3) * sizeof *out->number);
  out->n = 0;
  if (out->kv == NULL || out->number == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  for (i = 0; i < ps->n; i++) {
    int absent;
    const char *v = tpl_expand(g, call, &ps->v[i].value, c, &absent);
    if (v == NULL)
      continue; /* an optional value is not there: no parameter */
    if (charset != NULL && !is_utf8_name(charset)) {
      v = h->to_charset(call, v, charset, NULL);
      if (v == NULL)
        return -1;
    }
    out->kv[out->n].key = ps->v[i].name;
    out->kv[out->n].value = v;
    out->number[out->n] = ps->v[i].number;
    out->n++;
  }
  return 0;
}

static void kvs_add(gh_kvs *k, const char *key, const char *value, int first) {
  if (first) {
    memmove(k->kv + 1, k->kv, k->n * sizeof *k->kv);
    memmove(k->number + 1, k->number, k->n * sizeof *k->number);
    k->kv[0].key = key;
    k->kv[0].value = value;
    k->number[0] = 0;
  } else {
    k->kv[k->n].key = key;
    k->kv[k->n].value = value;
    k->number[k->n] = 0;
  }
  k->n++;
}

/** A JSON document of `k`, dotted names nested. */
static const char *json_body(const gh *g, smsmux_call *call, const gh_req *r,
                             const gh_kvs *k) {
  const smsmux_host *h = g->host;
  json_object *root = json_object_new_object();
  const char *out;
  size_t i;

  if (root == NULL) {
    h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
    return NULL;
  }
  for (i = 0; i < k->n; i++) {
    char *path = h->strf(call, "%s", k->kv[i].key), *dot, *name = path;
    json_object *o = root, *leaf;

    while ((dot = strchr(name, '.')) != NULL) {
      json_object *next = NULL;
      *dot = '\0';
      if (!json_object_object_get_ex(o, name, &next)) {
        next = json_object_new_object();
        json_object_object_add(o, name, next);
      }
      o = next;
      name = dot + 1;
    }
    if (k->number[i]) {
      char *end;
      long long ll;
      double d;
      errno = 0;
      ll = strtoll(k->kv[i].value, &end, 10);
      if (errno == 0 && *end == '\0' && end != k->kv[i].value) {
        leaf = json_object_new_int64(ll);
      } else {
        d = strtod(k->kv[i].value, &end);
        if (*end != '\0' || end == k->kv[i].value) {
          json_object_put(root);
          h->fail(call, SMSMUX_ERR_INVALID, NULL,
                  "%s_params: %s:number is \"%s\", not a number", r->prefix,
                  k->kv[i].key, k->kv[i].value);
          return NULL;
        }
        leaf = json_object_new_double(d);
      }
    } else {
      leaf = json_object_new_string(k->kv[i].value);
    }
    json_object_object_add(o, name, leaf);
  }
  out = smsmux_json_dump(h, call, root);
  json_object_put(root);
  return out;
}

/** The URL with its placeholders: values must be URL-safe as they are
    (ids and logins are; anything else is refused rather than escaped by
    hand). */
static const char *url_expand(const gh *g, smsmux_call *call, const gh_req *r,
                              const gh_ctx *c) {
  const smsmux_host *h = g->host;
  const char *out = "";
  size_t i;

  for (i = 0; i < r->url.n; i++) {
    const gh_piece *p = &r->url.p[i];
    const char *v;
    int absent;
    gh_tpl one = {(gh_piece *)p, 1, 0};

    v = tpl_expand(g, call, &one, c, &absent);
    if (v == NULL) {
      h->fail(call, SMSMUX_ERR_INVALID, NULL,
              "%s_url: a value it uses is missing", r->prefix);
      return NULL;
    }
    if (p->kind != PH_LITERAL &&
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789-._~") != strlen(v)) {
      h->fail(call, SMSMUX_ERR_INVALID, NULL,
              "%s_url: \"%s\" cannot go in a URL path as it is (only letters, "
              "digits and -._~); put it in %s_params instead",
              r->prefix, v, r->prefix);
      return NULL;
    }
    out = h->strf(call, "%s%s", out, v);
  }
  return out;
}

/** Build and perform request `r`.  Returns 0 with a response, or -1 after
    the host recorded a transport failure. */
static int do_request(const gh *g, smsmux_call *call, const gh_req *r,
                      const gh_ctx *c, const char *charset,
                      smsmux_http_response *resp) {
  const smsmux_host *h = g->host;
  smsmux_http_request req;
  gh_kvs params, query;
  const char **headers = NULL;
  const char *body = NULL;
  size_t i;

  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.method = r->method;
  req.path = url_expand(g, call, r, c);
  if (req.path == NULL)
    return -1;
  if (params_expand(g, call, &r->params, c, charset, &params) != 0 ||
      params_expand(g, call, &r->query, c, charset, &query) != 0)
    return -1;
  if (c->msg != NULL && c->msg->encoding == SMSMUX_ENC_UCS2 &&
      g->unicode_name != NULL)
    kvs_add(&params, g->unicode_name, g->unicode_value, 0);
  if (r->body == BODY_NONE) {
    /* everything in the query: send_query's, then send_params' */
    gh_kvs all;
    all.kv = h->alloc(call, (query.n + params.n + 2) * sizeof *all.kv);
    all.number = h->alloc(call, (query.n + params.n + 2) * sizeof *all.number);
    if (all.kv == NULL || all.number == NULL)
      return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
    all.n = 0;
    for (i = 0; i < query.n; i++)
      kvs_add(&all, query.kv[i].key, query.kv[i].value, 0);
    for (i = 0; i < params.n; i++)
      kvs_add(&all, params.kv[i].key, params.kv[i].value, 0);
    query = all;
    params.n = 0;
  }
  if (g->auth == AUTH_PARAM) {
    /* the key goes first, as most documents show it; in the query unless
       the body is a form */
    kvs_add(r->body == BODY_FORM ? &params : &query, g->auth_param, g->token,
            1);
  }
  switch (r->body) {
  case BODY_NONE:
    req.body_kind = SMSMUX_BODY_NONE;
    break;
  case BODY_FORM:
    req.body_kind = SMSMUX_BODY_FORM;
    req.form = params.kv;
    req.n_form = params.n;
    break;
  case BODY_JSON:
    body = json_body(g, call, r, &params);
    if (body == NULL)
      return -1;
    req.body_kind = SMSMUX_BODY_RAW;
    req.body = body;
    req.body_len = strlen(body);
    req.content_type = "application/json";
    break;
  }
  req.query = query.kv;
  req.n_query = query.n;
  if (g->n_headers > 0) {
    headers = h->alloc(call, g->n_headers * sizeof *headers);
    if (headers == NULL)
      return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
    for (i = 0; i < g->n_headers; i++) {
      int absent;
      const char *v = tpl_expand(g, call, &g->header_values[i], c, &absent);
      headers[i] =
          h->strf(call, "%s: %s", g->header_names[i], v != NULL ? v : "");
    }
    req.headers = headers;
    req.n_headers = g->n_headers;
  }
  switch (g->auth) {
  case AUTH_BASIC:
    req.auth = SMSMUX_AUTH_BASIC;
    req.user = g->login;
    req.password = g->password;
    break;
  case AUTH_BEARER:
    req.auth = SMSMUX_AUTH_BEARER;
    req.bearer = g->token;
    break;
  default:
    req.auth = SMSMUX_AUTH_NONE;
  }
  req.secret_params = g->secret_params;
  req.accepts_nothing = c->msg == NULL; /* status and balance read only */
  memset(resp, 0, sizeof *resp);
  resp->size = sizeof *resp;
  if (h->http(call, &req, resp) != 0)
    return -1;
  if (resp->body == NULL) {
    resp->body = "";
    resp->body_len = 0;
  }
  return 0;
}

/** The provider's code and error text in answer `a` (code_from and
    error_text_from), each NULL when not configured or not there. */
static void answer_reason(const gh *g, smsmux_call *call, gh_answer *a,
                          const char **code, const char **text) {
  *code = extract(g, call, &g->code_from, a);
  *text = extract(g, call, &g->error_text_from, a);
}

/** ": TEXT" when the provider gave an error text, else "". */
static const char *said(const gh *g, smsmux_call *call, const char *text) {
  return text != NULL ? g->host->strf(call, ": %s", text) : "";
}

/** Read the answer to request `r`: the error conditions, then the HTTP
    status.  Returns 0 for a success, or -1 after recording the failure.
    `sending`: the request may have changed something.  Every failure
    carries code_from's value and error_text_from's text when the answer
    has them. */
/** The first error class (in the order auth, credit, invalid, temporary,
    permanent) with a condition of `scope` holding on `a`, or NULL. */
static const gh_condset *class_of(const gh *g, smsmux_call *call,
                                  gh_answer *a, gh_scope scope) {
  size_t i, j;

  for (i = 0; i < N_CLASSES; i++)
    for (j = 0; j < g->classes[i].n; j++)
      if (cond_holds(g, call, &g->classes[i].c[j], a, scope))
        return &g->classes[i];
  return NULL;
}

/** Fail request `r` with the class of `cs`. */
static int answer_fail(const gh *g, smsmux_call *call, const gh_req *r,
                       gh_answer *a, const gh_condset *cs) {
  const smsmux_host *h = g->host;
  const char *code, *text;

  answer_reason(g, call, a, &code, &text);
  if (code == NULL)
    code = h->strf(call, "%ld", a->resp->status);
  return h->fail(call, cs->cls, code,
                 "the provider refused the %s request%s (%s: HTTP %ld, "
                 "\"%s\")",
                 r->prefix, said(g, call, text), cs->key, a->resp->status,
                 h->excerpt(call, a->text, strlen(a->text)));
}

static void answer_decode(const gh *g, smsmux_call *call, gh_answer *a) {
  const smsmux_http_response *resp = a->resp;

  a->text = g->host->decode_text(call, resp->body, resp->body_len,
                                 resp->content_type, g->answer_charset);
}

/** The HTTP status of `a`, once its conditions are read. */
static int answer_status(const gh *g, smsmux_call *call, const gh_req *r,
                         gh_answer *a, int sending);

static int answer_check(const gh *g, smsmux_call *call, const gh_req *r,
                        gh_answer *a, int sending) {
  const gh_condset *cs;

  answer_decode(g, call, a);
  cs = class_of(g, call, a, SCOPE_ALL);
  if (cs != NULL)
    return answer_fail(g, call, r, a, cs);
  return answer_status(g, call, r, a, sending);
}

static int answer_status(const gh *g, smsmux_call *call, const gh_req *r,
                         gh_answer *a, int sending) {
  const smsmux_host *h = g->host;
  const smsmux_http_response *resp = a->resp;
  const char *code, *text;
  smsmux_error_class cls;

  if (in_ranges(g->success, g->n_success, resp->status))
    return 0;
  if (g->code_from.kind == EX_NONE && g->error_text_from.kind == EX_NONE)
    return h->fail_http(call, resp, sending);
  /* the host's class for the status, with the provider's own words */
  answer_reason(g, call, a, &code, &text);
  cls = h->http_class(resp->status, sending);
  return h->fail(
      call, cls, code != NULL ? code : h->strf(call, "HTTP %ld", resp->status),
      "HTTP %ld: the provider refused the %s request%s%s (\"%s\")",
      resp->status, r->prefix, said(g, call, text),
      cls == SMSMUX_ERR_UNKNOWN_OUTCOME ? "; it may have been accepted" : "",
      h->excerpt(call, a->text, strlen(a->text)));
}

static void answer_free(gh_answer *a) {
  if (a->json != NULL)
    json_object_put(a->json);
  a->json = NULL;
}

/* ---------------------------------------------------------------- send -- */

/** What an accepted send's answer says it cost and left on the account:
    the balance goes to the host's balance sink, which keeps it as the
    router's cached balance of this instance; the price is logged.  A
    value that is not a number is ignored (the message was accepted). */
static void send_money(const gh *g, smsmux_call *call, gh_answer *a) {
  const smsmux_host *h = g->host;
  const char *v;
  double d;

  v = extract(g, call, &g->send_price_from, a);
  if (v != NULL && parse_number(v, &d) == 0)
    h->log(call, SMSMUX_LOG_INFO, "the provider charged %g %s for the send",
           d, g->balance_unit);
  else if (g->send_price_from.kind != EX_NONE)
    h->log(call, SMSMUX_LOG_WARNING,
           "send_price_from: no number in the send answer (%s)",
           v != NULL ? v : "missing");
  v = extract(g, call, &g->send_balance_from, a);
  if (v != NULL && parse_number(v, &d) == 0)
    h->set_balance(call, d, g->balance_unit);
  else if (g->send_balance_from.kind != EX_NONE)
    h->log(call, SMSMUX_LOG_WARNING,
           "send_balance_from: no number in the send answer (%s)",
           v != NULL ? v : "missing");
}

/** One recipient's outcome in a request. */
typedef struct gh_out {
  smsmux_status st;
  const char *id, *code, *text;
} gh_out;

/** Read the answer to a send of `n` recipients into `out`.  When every
    list condition reads one list and the answer's list has one element per
    recipient, each element is read for its recipient (in the order sent):
    the elements a condition holds on are that recipient's refusal, the
    others are accepted; only when all are refused does the request fail.
    Otherwise a condition holding anywhere fails the request.  0, or -1
    after the failure was recorded. */
static int send_answer(const gh *g, smsmux_call *call, gh_answer *a, size_t n,
                       gh_out *out, const char **id) {
  const smsmux_host *h = g->host;
  const char *list = g->cond_list;
  const gh_condset *cs;
  size_t i, refused = 0;

  *id = NULL;
  answer_decode(g, call, a);
  if (list != NULL) {
    gh_extractor ex;
    memset(&ex, 0, sizeof ex);
    ex.list = list;
    if (list_len(answer_list(a, &ex)) != n)
      list = NULL; /* not one element per recipient: read as a whole */
  }
  cs = class_of(g, call, a, list != NULL ? SCOPE_NOLIST : SCOPE_ALL);
  if (cs != NULL)
    return answer_fail(g, call, &g->send, a, cs);
  if (list == NULL || !in_ranges(g->success, g->n_success, a->resp->status)) {
    /* an HTTP error status with a list: the list's conditions first */
    if (list != NULL && (cs = class_of(g, call, a, SCOPE_ALL)) != NULL)
      return answer_fail(g, call, &g->send, a, cs);
    if (answer_status(g, call, &g->send, a, 1) != 0)
      return -1;
  }
  for (i = 0; list != NULL && i < n; i++) {
    a->focus_list = list;
    a->focus = i;
    cs = class_of(g, call, a, SCOPE_ELEM);
    if (cs == NULL)
      continue;
    refused++;
    out[i].st = SMSMUX_STATUS_REJECTED;
    answer_reason(g, call, a, &out[i].code, &out[i].text);
    if (out[i].text == NULL)
      out[i].text = h->strf(call, "refused by the provider (%s)", cs->key);
  }
  if (list != NULL && refused == n) {
    a->focus = 0;
    return answer_fail(g, call, &g->send, a,
                       class_of(g, call, a, SCOPE_ELEM));
  }
  a->focus_list = NULL;
  if (g->send.from.kind == EX_NONE)
    return 0;
  for (i = 0; i < n; i++) {
    if (out[i].st == SMSMUX_STATUS_REJECTED)
      continue;
    if (list != NULL && g->send.from.list != NULL &&
        strcmp(g->send.from.list, list) == 0) {
      a->focus_list = list; /* each recipient's own id */
      a->focus = i;
    }
    out[i].id = extract(g, call, &g->send.from, a);
    if (*id == NULL)
      *id = out[i].id;
  }
  a->focus_list = NULL;
  if (*id == NULL) {
    const char *code, *text;
    answer_reason(g, call, a, &code, &text);
    return h->fail(call, SMSMUX_ERR_UNKNOWN_OUTCOME, code,
                   "the provider answered the send with HTTP %ld but no "
                   "message id where id_from says (%s)%s: it may have been "
                   "sent: \"%s\"",
                   a->resp->status, h->config_get(call, "id_from"),
                   said(g, call, text),
                   h->excerpt(call, a->text, strlen(a->text)));
  }
  for (i = 0; i < n; i++)
    if (out[i].st != SMSMUX_STATUS_REJECTED && out[i].id == NULL)
      out[i].id = *id;
  return 0;
}

/** Send recipients [from, from + n) in one request; 0 with their outcomes
    in `out` (status `st` when accepted) and *id (or NULL), or -1 after the
    failure was recorded. */
static int send_one(const gh *g, smsmux_call *call, const smsmux_message *msg,
                    size_t from, size_t n, const char *charset,
                    smsmux_status st, gh_out *out, const char **id) {
  const smsmux_host *h = g->host;
  gh_ctx c;
  smsmux_http_response resp;
  gh_answer a;
  size_t i;
  int rc;

  *id = NULL;
  memset(&c, 0, sizeof c);
  c.msg = msg;
  c.count = n;
  for (i = 0; i < n; i++) {
    const char *num = h->number_format(call, msg->to[from + i], g->numbers);
    if (num == NULL)
      return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                     "cannot format the number %s", msg->to[from + i]);
    if (i == 0) {
      c.to = num;
      c.to_list = num;
    } else {
      c.to_list = h->strf(call, "%s%s%s", c.to_list, g->separator, num);
    }
    memset(&out[i], 0, sizeof out[i]);
    out[i].st = st;
  }
  if (do_request(g, call, &g->send, &c, charset, &resp) != 0)
    return -1;
  memset(&a, 0, sizeof a);
  a.resp = &resp;
  rc = send_answer(g, call, &a, n, out, id);
  if (rc == 0)
    send_money(g, call, &a);
  answer_free(&a);
  return rc;
}

static int gh_send(void *state, smsmux_call *call, const smsmux_message *msg) {
  const gh *g = state;
  const smsmux_host *h = g->host;
  unsigned uses = send_uses(g);
  size_t per = g->max_per_request, off, i;
  const char *charset, *first_id = NULL;
  smsmux_status st;
  gh_out *out;

  if (msg->kind != SMSMUX_KIND_SMS)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL,
                   "generic-http sends SMS only: route MMS and voice to a "
                   "provider that declares them");
  if (msg->n_to == 0)
    return h->fail(call, SMSMUX_ERR_INVALID, NULL, "no recipient to send to");
  if (msg->at != 0 && !(uses & ((1u << PH_AT) | (1u << PH_AT_UTC))))
    return h->fail(call,
                   host_splits(g) ? SMSMUX_ERR_UNSUITABLE : SMSMUX_ERR_INVALID,
                   NULL,
                   "this provider cannot schedule: its send_params use "
                   "neither ${at:FORMAT} nor ${at_utc:FORMAT}; drop --at");
  charset =
      msg->encoding == SMSMUX_ENC_UCS2 ? g->unicode_charset : g->text_charset;
  st = msg->at > (int64_t)time(NULL) ? SMSMUX_STATUS_SCHEDULED
                                     : SMSMUX_STATUS_ACCEPTED;

  out = h->alloc(call, per * sizeof *out);
  if (out == NULL)
    return h->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  /* with a 1.2 host, n_to <= per: one request */
  for (off = 0; off < msg->n_to; off += per) {
    size_t n = msg->n_to - off < per ? msg->n_to - off : per;
    const char *id = NULL;

    if (send_one(g, call, msg, off, n, charset, st, out, &id) != 0) {
      if (off == 0 || host_splits(g))
        /* nothing was sent, or a 1.2 host keeps the recipients already
           reported accepted and moves only the others on */
        return -1;
      /* An older host would send the accepted ones again on a failure:
         the rest is reported per recipient instead. */
      h->log(call, SMSMUX_LOG_WARNING,
             "request %zu of the send failed after %zu recipients were "
             "accepted: the %zu others are reported, not retried",
             off / per + 1, off, msg->n_to - off);
      for (i = off; i < msg->n_to; i++)
        h->add_recipient(call, msg->to[i],
                         i < off + n ? SMSMUX_STATUS_UNKNOWN
                                     : SMSMUX_STATUS_REJECTED,
                         NULL, NULL,
                         i < off + n ? "this request failed: it may or may "
                                       "not have been sent"
                                     : "not sent: an earlier request of "
                                       "this send failed");
      break;
    }
    if (first_id == NULL && id != NULL) {
      first_id = id;
      h->set_message_id(call, id);
    }
    for (i = off; i < off + n; i++)
      h->add_recipient(call, msg->to[i], out[i - off].st, out[i - off].id,
                       out[i - off].code, out[i - off].text);
  }
  if (first_id == NULL && g->send.from.kind == EX_NONE)
    h->log(call, SMSMUX_LOG_DEBUG,
           "no id_from: the send has no message id, status cannot find it");
  return 0;
}

/* -------------------------------------------------------------- status -- */

static int gh_status(void *state, smsmux_call *call, const char *id) {
  const gh *g = state;
  const smsmux_host *h = g->host;
  const smsmux_status_map *m;
  smsmux_status_record rec;
  smsmux_http_response resp;
  gh_answer a;
  gh_ctx c;
  const char *code;
  size_t n = 1, i, records = 0;

  if (!g->status.set)
    return h->fail(call, SMSMUX_ERR_UNSUPPORTED, NULL,
                   "this generic-http provider has no status request: set "
                   "status_url, status_params and status_from");
  memset(&c, 0, sizeof c);
  c.id = id;
  if (do_request(g, call, &g->status, &c, NULL, &resp) != 0)
    return -1;
  memset(&a, 0, sizeof a);
  a.resp = &resp;
  if (answer_check(g, call, &g->status, &a, 0) != 0) {
    answer_free(&a);
    return -1;
  }
  /* one record, or one per element of status_from's list */
  if (g->status.from.list != NULL)
    n = list_len(answer_list(&a, &g->status.from));
  for (i = 0; i < n; i++) {
    if (g->status.from.list != NULL) {
      a.focus_list = g->status.from.list;
      a.focus = i;
    }
    code = extract(g, call, &g->status.from, &a);
    if (code == NULL)
      continue; /* an element without a status is no record */
    m = h->status_lookup(g->status_map, code);
    memset(&rec, 0, sizeof rec);
    rec.size = sizeof rec;
    rec.to = extract(g, call, &g->status_to, &a);
    rec.status = m != NULL ? m->status : SMSMUX_STATUS_UNKNOWN;
    rec.code = code;
    rec.at = extract(g, call, &g->status_at, &a);
    h->add_status(call, &rec);
    records++;
  }
  if (records == 0) {
    const char *why, *text;
    answer_reason(g, call, &a, &why, &text);
    h->fail(call, SMSMUX_ERR_TEMPORARY, why,
            "the provider's status answer has no status where status_from "
            "says%s: \"%s\"",
            said(g, call, text), h->excerpt(call, a.text, strlen(a.text)));
    answer_free(&a);
    return -1;
  }
  answer_free(&a);
  return 0;
}

/* ------------------------------------------------------------- balance -- */

static int gh_balance(void *state, smsmux_call *call) {
  const gh *g = state;
  const smsmux_host *h = g->host;
  smsmux_http_response resp;
  gh_answer a;
  gh_ctx c;
  const char *v;
  char *end;
  double credit;

  if (!g->balance.set)
    return h->fail(call, SMSMUX_ERR_UNSUPPORTED, NULL,
                   "this generic-http provider has no balance request: set "
                   "balance_url and balance_from");
  memset(&c, 0, sizeof c);
  if (do_request(g, call, &g->balance, &c, NULL, &resp) != 0)
    return -1;
  memset(&a, 0, sizeof a);
  a.resp = &resp;
  if (answer_check(g, call, &g->balance, &a, 0) != 0) {
    answer_free(&a);
    return -1;
  }
  v = extract(g, call, &g->balance.from, &a);
  if (v != NULL) {
    errno = 0;
    credit = strtod(v, &end);
    if (errno == 0 && end != v && *end == '\0') {
      answer_free(&a);
      h->set_balance(call, credit, g->balance_unit);
      return 0;
    }
  }
  {
    const char *why, *text;
    answer_reason(g, call, &a, &why, &text);
    h->fail(call, SMSMUX_ERR_TEMPORARY, why,
            "the provider's balance answer has no number where balance_from "
            "says%s: \"%s\"",
            said(g, call, text), h->excerpt(call, a.text, strlen(a.text)));
  }
  answer_free(&a);
  return -1;
}
