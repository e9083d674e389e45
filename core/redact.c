/* redact: secrets out of text before it is logged, traced or put in an
 * error.  Two nets:
 *
 *  - the known secret values (the instance's secret config values), in
 *    every form they may take on the wire: as they are, URL-encoded (%20
 *    or '+' for a space, either case of hex), JSON-escaped (with or
 *    without "\/", non-ASCII as is or as \uXXXX) and XML-escaped;
 *  - the values of parameters whose names are secret (the built-in list,
 *    names holding "password", "token", "secret"..., and the plugin's
 *    secret_params), found through the structure of what is redacted: a
 *    JSON body is parsed and walked, a form or a query string is split
 *    into its pairs and each pair URL-decoded; other text is scanned for
 *    name=VALUE, "name": "VALUE" (escapes understood) and <name>VALUE<.
 *
 * A value is replaced by "***" as a whole: a secret holding '"', '\',
 * '&', '=', '%', '+', ';', spaces or non-ASCII leaves no fragment.
 *
 * Out of memory gives NULL, never a text that may still hold a secret:
 * every step notes a failed allocation in the redactor's `oom`, and the
 * API functions check it last. */
#include "redact.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MASK "***"

/* Parameter names whose values never appear in a trace, whatever the
   plugin says (compared whole, case-insensitively). */
static const char *const always_secret[] = {
    "accesstoken", "access_token", "password", "pwd", "passcode", "token",
    "api_key", "apikey", "secret", "pass", "newpass", "passwd", NULL};

/* Names holding one of these are secret too: "client_secret",
   "refreshToken", "x-api-key", "newPassword"... */
static const char *const secret_parts[] = {"password", "passwd", "secret",
                                           "token", "passcode", "apikey",
                                           "api_key", "api-key", NULL};

typedef struct redactor {
  char **forms;     /* every wire form of every known secret */
  size_t n_forms;
  const char *const *params; /* the plugin's secret names, or NULL */
  int oom;                   /* an allocation failed: the result is NULL */
} redactor;

/* ------------------------------------------------------------ names -- */

static int contains_ci(const char *s, size_t n, const char *part) {
  size_t pl = strlen(part), i;
  for (i = 0; i + pl <= n; i++)
    if (strncasecmp(s + i, part, pl) == 0)
      return 1;
  return 0;
}

static int is_secret_name(redactor *r, const char *name, size_t n) {
  size_t i;
  if (n == 0)
    return 0;
  for (i = 0; always_secret[i]; i++)
    if (strlen(always_secret[i]) == n &&
        strncasecmp(always_secret[i], name, n) == 0)
      return 1;
  for (i = 0; r->params && r->params[i]; i++)
    if (strlen(r->params[i]) == n && strncasecmp(r->params[i], name, n) == 0)
      return 1;
  for (i = 0; secret_parts[i]; i++)
    if (contains_ci(name, n, secret_parts[i]))
      return 1;
  return 0;
}

/* ------------------------------------------------ known secret values -- */

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

static int url_plain(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

/* URL-encoded: `plus` writes a space as '+', `hex` is the digits' case. */
static char *url_form(const char *s, int plus, const char *hex) {
  strbuf b = {0};
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char e[3] = {'%', hex[c >> 4], hex[c & 15]};
    if (url_plain(c))
      sb_add(&b, (const char *)&c, 1);
    else if (c == ' ' && plus)
      sb_add(&b, "+", 1);
    else
      sb_add(&b, e, 3);
  }
  return sb_steal(&b);
}

/* Decode one UTF-8 sequence (no checks beyond its length); 0 when the
   byte does not start one. */
static size_t utf8_next(const unsigned char *s, unsigned long *cp) {
  size_t len, i;
  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
  if (!len)
    return 0;
  *cp = s[0] & (0x7F >> len);
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    *cp = (*cp << 6) | (s[i] & 0x3F);
  }
  return len;
}

/* JSON-escaped: `slash` escapes '/', `ascii` writes non-ASCII as \uXXXX
   (surrogate pairs beyond the BMP) with hex digits of case `hex`. */
static char *json_form(const char *s, int slash, int ascii, const char *hex) {
  strbuf b = {0};
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned long cp;
    size_t len = utf8_next(p, &cp);
    if (len == 0) { /* not UTF-8: as is */
      sb_add(&b, (const char *)p, 1);
      p++;
      continue;
    }
    if (cp == '"' || cp == '\\' || (cp == '/' && slash)) {
      char e[2] = {'\\', (char)cp};
      sb_add(&b, e, 2);
    } else if (cp == '\n') {
      sb_adds(&b, "\\n");
    } else if (cp == '\t') {
      sb_adds(&b, "\\t");
    } else if (cp == '\r') {
      sb_adds(&b, "\\r");
    } else if (cp == '\b') {
      sb_adds(&b, "\\b");
    } else if (cp == '\f') {
      sb_adds(&b, "\\f");
    } else if (cp < 0x20 || (ascii && cp >= 0x80)) {
      unsigned long units[2];
      size_t n = 1, i;
      units[0] = cp;
      if (cp >= 0x10000) {
        units[0] = 0xD800 + ((cp - 0x10000) >> 10);
        units[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
        n = 2;
      }
      for (i = 0; i < n; i++) {
        char e[6] = {'\\',
                     'u',
                     hex[(units[i] >> 12) & 15],
                     hex[(units[i] >> 8) & 15],
                     hex[(units[i] >> 4) & 15],
                     hex[units[i] & 15]};
        sb_add(&b, e, 6);
      }
    } else {
      sb_add(&b, (const char *)p, len);
    }
    p += len;
  }
  return sb_steal(&b);
}

static char *xml_form(const char *s) {
  strbuf b = {0};
  for (; *s; s++)
    switch (*s) {
    case '&': sb_adds(&b, "&amp;"); break;
    case '<': sb_adds(&b, "&lt;"); break;
    case '>': sb_adds(&b, "&gt;"); break;
    case '"': sb_adds(&b, "&quot;"); break;
    case '\'': sb_adds(&b, "&apos;"); break;
    default: sb_add(&b, s, 1);
    }
  return sb_steal(&b);
}

/* Takes `form` (NULL: it could not be allocated). */
static void add_form(redactor *r, char *form) {
  size_t i;
  char **forms;
  if (!form) {
    r->oom = 1;
    return;
  }
  for (i = 0; i < r->n_forms; i++)
    if (strcmp(r->forms[i], form) == 0) {
      free(form);
      return;
    }
  forms = realloc(r->forms, (r->n_forms + 1) * sizeof *r->forms);
  if (!forms) {
    explicit_bzero(form, strlen(form));
    free(form);
    r->oom = 1;
    return;
  }
  r->forms = forms;
  r->forms[r->n_forms++] = form;
}

static int by_length_desc(const void *a, const void *b) {
  size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
  return la < lb ? 1 : la > lb ? -1 : 0;
}

static void redactor_init(redactor *r, const char *const *secrets,
                          const char *const *params) {
  size_t i;
  memset(r, 0, sizeof *r);
  r->params = params;
  for (i = 0; secrets && secrets[i]; i++) {
    const char *s = secrets[i];
    if (strlen(s) < 3)
      continue; /* too short to redact without mangling the text */
    add_form(r, str_dup(s));
    add_form(r, url_form(s, 0, hex_upper));
    add_form(r, url_form(s, 1, hex_upper));
    add_form(r, url_form(s, 0, hex_lower));
    add_form(r, url_form(s, 1, hex_lower));
    add_form(r, json_form(s, 0, 0, hex_lower));
    add_form(r, json_form(s, 1, 0, hex_lower));
    add_form(r, json_form(s, 0, 1, hex_lower));
    add_form(r, json_form(s, 1, 1, hex_lower));
    add_form(r, json_form(s, 0, 1, hex_upper));
    add_form(r, json_form(s, 1, 1, hex_upper));
    add_form(r, xml_form(s));
  }
  /* the longest first: a form that holds another goes as a whole */
  if (r->n_forms > 1)
    qsort(r->forms, r->n_forms, sizeof *r->forms, by_length_desc);
}

static void redactor_free(redactor *r) {
  size_t i;
  for (i = 0; i < r->n_forms; i++) {
    explicit_bzero(r->forms[i], strlen(r->forms[i]));
    free(r->forms[i]);
  }
  free(r->forms);
}

/* Every known secret, in any of its forms, replaced; NULL when `text`
   holds none (then nothing was allocated) or memory runs out (r->oom). */
static char *mask_values(redactor *r, const char *text) {
  char *out = NULL;
  size_t i;
  for (i = 0; i < r->n_forms; i++) {
    const char *cur = out ? out : text, *p = cur, *q;
    size_t nl = strlen(r->forms[i]);
    strbuf b = {0};
    if (!strstr(cur, r->forms[i]))
      continue;
    while ((q = strstr(p, r->forms[i]))) {
      sb_add(&b, p, (size_t)(q - p));
      sb_adds(&b, MASK);
      p = q + nl;
    }
    sb_adds(&b, p);
    free(out);
    if (!(out = sb_steal(&b))) {
      r->oom = 1;
      return NULL;
    }
  }
  return out;
}

/* ------------------------------------------------------ free text -- */

static int is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The end of the JSON string whose content starts at s (after its opening
   quote): its closing quote, or the end of the text. */
static const char *json_string_end(const char *s) {
  while (*s && *s != '"') {
    if (*s == '\\' && s[1])
      s++;
    s++;
  }
  return s;
}

/* After a secret name at text[j..]: where its value starts and ends, or 0
   when the name is not followed by a value. */
static int value_after_name(const char *text, size_t i, size_t j,
                            const char **v, const char **end) {
  const char *a = text + j, *c;
  if (*a == '=') { /* name=VALUE (query, form, log line) */
    *v = a + 1;
    *end = *v + strcspn(*v, "&\" \t\r\n'<>");
    return 1;
  }
  if (*a == '>' && i > 0 && text[i - 1] == '<') { /* <name>VALUE< */
    *v = a + 1;
    *end = *v + strcspn(*v, "<");
    return 1;
  }
  if (*a != '"') /* "name" : VALUE */
    return 0;
  c = a + 1;
  while (*c == ' ' || *c == '\t')
    c++;
  if (*c != ':')
    return 0;
  c++;
  while (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n')
    c++;
  if (*c == '"') {
    *v = c + 1;
    *end = json_string_end(*v);
  } else {
    *v = c; /* a number, true, false, null */
    *end = *v + strcspn(*v, ",}] \t\r\n");
  }
  return 1;
}

/* name=VALUE, "name": "VALUE", <name>VALUE< of secret names -> ***; NULL
   when there are none. */
static char *mask_named(redactor *r, const char *text) {
  strbuf b = {0};
  size_t i = 0, copied = 0, n = strlen(text);
  int changed = 0;
  while (i < n) {
    size_t j;
    const char *v, *end;
    if (!is_name_char(text[i]) || (i > 0 && is_name_char(text[i - 1]))) {
      i++;
      continue;
    }
    for (j = i; j < n && is_name_char(text[j]); j++)
      ;
    if (is_secret_name(r, text + i, j - i) &&
        value_after_name(text, i, j, &v, &end) && end > v &&
        !(end - v == 3 && strncmp(v, MASK, 3) == 0)) {
      sb_add(&b, text + copied, (size_t)(v - (text + copied)));
      sb_adds(&b, MASK);
      copied = (size_t)(end - text);
      changed = 1;
      i = copied;
      continue;
    }
    i = j;
  }
  if (!changed)
    return NULL;
  sb_adds(&b, text + copied);
  if (!(text = sb_steal(&b)))
    r->oom = 1;
  return (char *)text;
}

/* Free text: the known values, then the secret-named parameters. */
static char *redact_free_text(redactor *r, const char *text) {
  char *a = mask_values(r, text);
  char *b = mask_named(r, a ? a : text);
  if (b) {
    free(a);
    return b;
  }
  if (!a && !(a = str_dup(text)))
    r->oom = 1;
  return a;
}

/* ------------------------------------------------------------- JSON -- */

static json_object *masked(redactor *r) {
  json_object *m = json_object_new_string(MASK);
  if (!m)
    r->oom = 1;
  return m;
}

/* The replacement of a value that is not under a secret name: a string
   holding a known secret with it masked, a scalar whose text is a
   secret masked whole; NULL to keep it (containers are walked). */
static json_object *redact_json_value(redactor *r, json_object *o);

static void redact_json_walk(redactor *r, json_object *o) {
  if (json_object_is_type(o, json_type_object)) {
    json_object_object_foreach(o, key, val) {
      json_object *repl;
      if (is_secret_name(r, key, strlen(key)))
        repl = val && json_object_is_type(val, json_type_string) &&
                       strcmp(json_object_get_string(val), MASK) == 0
                   ? NULL
                   : masked(r);
      else
        repl = redact_json_value(r, val);
      /* replacing an existing key keeps the iteration valid */
      if (repl && json_object_object_add(o, key, repl) < 0) {
        json_object_put(repl);
        r->oom = 1;
      }
    }
  } else if (json_object_is_type(o, json_type_array)) {
    size_t i, n = json_object_array_length(o);
    for (i = 0; i < n; i++) {
      json_object *repl = redact_json_value(r, json_object_array_get_idx(o, i));
      if (repl && json_object_array_put_idx(o, i, repl) < 0) {
        json_object_put(repl);
        r->oom = 1;
      }
    }
  }
}

static json_object *redact_json_value(redactor *r, json_object *o) {
  char *m;
  if (!o)
    return NULL;
  if (json_object_is_type(o, json_type_object) ||
      json_object_is_type(o, json_type_array)) {
    redact_json_walk(r, o);
    return NULL;
  }
  if (json_object_is_type(o, json_type_string)) {
    m = mask_values(r, json_object_get_string(o));
    if (!m)
      return NULL;
    o = json_object_new_string(m);
    free(m);
    if (!o)
      r->oom = 1;
    return o;
  }
  /* a number or a boolean equal to a secret ("123456") */
  m = mask_values(r, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
  if (!m)
    return NULL;
  free(m);
  return masked(r);
}

/* A JSON document (object or array, nothing after it), walked and written
   again; NULL when `text` is not one. */
static char *redact_json(redactor *r, const char *text) {
  const char *p = text;
  json_tokener *tok;
  json_object *doc;
  char *out = NULL;
  size_t len;
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
    p++;
  if (*p != '{' && *p != '[')
    return NULL;
  len = strlen(p);
  tok = json_tokener_new();
  if (!tok)
    return NULL;
  doc = json_tokener_parse_ex(tok, p, (int)len);
  if (doc && json_tokener_get_error(tok) == json_tokener_success) {
    size_t used = (size_t)json_tokener_get_parse_end(tok);
    p += used;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
      p++;
    if (*p == '\0') {
      redact_json_walk(r, doc);
      out = str_dup(json_object_to_json_string_ext(
          doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
      if (!out)
        r->oom = 1;
    }
  }
  json_object_put(doc);
  json_tokener_free(tok);
  return out;
}

/* ----------------------------------------------------- form, query -- */

static int hexval(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

static char *url_decode(const char *s, size_t n) {
  strbuf b = {0};
  size_t i;
  for (i = 0; i < n; i++) {
    if (s[i] == '+') {
      sb_add(&b, " ", 1);
    } else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
               hexval(s[i + 2]) >= 0) {
      char c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      sb_add(&b, &c, 1);
      i += 2;
    } else {
      sb_add(&b, s + i, 1);
    }
  }
  return sb_steal(&b);
}

/* URL-encoded as a form value, "***" left readable. */
static void url_encode_to(strbuf *b, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char e[3] = {'%', hex_upper[c >> 4], hex_upper[c & 15]};
    if (url_plain(c) || c == '*')
      sb_add(b, (const char *)&c, 1);
    else if (c == ' ')
      sb_add(b, "+", 1);
    else
      sb_add(b, e, 3);
  }
}

/* name=value&... (a form body or a query string): each pair decoded,
   its value masked when its name is secret or it holds a known secret,
   written again only then. */
static void redact_pairs(redactor *r, strbuf *out, const char *s,
                         size_t n) {
  size_t i = 0;
  while (i <= n) {
    size_t len = 0, nl;
    const char *pair = s + i, *eq;
    char *name, *value, *m;
    while (i + len < n && s[i + len] != '&')
      len++;
    eq = memchr(pair, '=', len);
    nl = eq ? (size_t)(eq - pair) : len;
    name = url_decode(pair, nl);
    value = eq ? url_decode(eq + 1, len - nl - 1) : NULL;
    if (!name || (eq && !value)) {
      r->oom = 1;
      if (value)
        explicit_bzero(value, strlen(value));
      free(value);
      free(name);
      return;
    }
    if (eq && is_secret_name(r, name, strlen(name)) && len > nl + 1) {
      sb_add(out, pair, nl + 1);
      sb_adds(out, MASK);
    } else if (eq && (m = mask_values(r, value)) != NULL) {
      sb_add(out, pair, nl + 1);
      url_encode_to(out, m);
      free(m);
    } else if (!eq && (m = mask_values(r, name)) != NULL) {
      url_encode_to(out, m);
      free(m);
    } else {
      sb_add(out, pair, len);
    }
    if (value)
      explicit_bzero(value, strlen(value));
    free(value);
    free(name);
    i += len + 1;
    if (i <= n)
      sb_add(out, "&", 1);
  }
}

static char *redact_form(redactor *r, const char *text) {
  strbuf b = {0};
  char *out, *again;
  redact_pairs(r, &b, text, strlen(text));
  if (!(out = sb_steal(&b))) {
    r->oom = 1;
    return NULL;
  }
  /* a secret in a form a pair does not show (e.g. split by '&' unencoded) */
  again = mask_values(r, out);
  if (again) {
    free(out);
    out = again;
  }
  return out;
}

/* -------------------------------------------------------------- API -- */

/* `out` as the answer: NULL when anything ran out of memory (a part may
   not have been masked); the redactor freed. */
static char *finish(redactor *r, char *out) {
  if (r->oom && out) {
    explicit_bzero(out, strlen(out));
    free(out);
    out = NULL;
  }
  redactor_free(r);
  return out;
}

char *redact_text(const char *const *secrets, const char *text,
                  const char *const *secret_params) {
  redactor r;
  char *out;
  redactor_init(&r, secrets, secret_params);
  out = redact_free_text(&r, text ? text : "");
  return finish(&r, out);
}

char *redact_url(const char *const *secrets, const char *url,
                 const char *const *secret_params) {
  redactor r;
  strbuf b = {0};
  const char *q, *frag;
  char *head, *out, *again;
  if (!url)
    url = "";
  q = strchr(url, '?');
  if (!q)
    return redact_text(secrets, url, secret_params);
  redactor_init(&r, secrets, secret_params);
  head = str_ndup(url, (size_t)(q - url));
  out = head ? redact_free_text(&r, head) : NULL;
  if (out)
    sb_adds(&b, out);
  else
    r.oom = 1;
  free(out);
  free(head);
  sb_add(&b, "?", 1);
  frag = strchr(q + 1, '#');
  redact_pairs(&r, &b, q + 1, frag ? (size_t)(frag - (q + 1)) : strlen(q + 1));
  if (frag)
    sb_adds(&b, frag);
  if (!(out = sb_steal(&b)))
    r.oom = 1;
  again = out ? mask_values(&r, out) : NULL;
  if (again) {
    free(out);
    out = again;
  }
  return finish(&r, out);
}

char *redact_body(const char *const *secrets, const char *body, int is_form,
                  const char *const *secret_params) {
  redactor r;
  char *out;
  redactor_init(&r, secrets, secret_params);
  if (!body)
    body = "";
  if (is_form) {
    out = redact_form(&r, body);
  } else if ((out = redact_json(&r, body)) != NULL) {
    char *again = mask_values(&r, out); /* e.g. a secret in a member name */
    if (again) {
      free(out);
      out = again;
    }
  } else {
    out = redact_free_text(&r, body);
  }
  return finish(&r, out);
}
