/* redact: secrets out of text before it is logged, traced or put in an
 * error.  Two nets: the known secret values (and their URL-encoded form)
 * wherever they appear, and the values of parameters whose names are
 * secret (name=VALUE in a query or form, "name":"VALUE" in JSON). */
#include "redact.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Parameter names whose values never appear in a trace, whatever the
   plugin says. */
static const char *const always_secret[] = {
    "accesstoken", "access_token", "password", "pwd", "passcode", "token",
    "api_key", "apikey", "secret", "pass", "newpass", NULL};

static void replace_all(char **text, const char *needle, const char *with) {
  strbuf b = {0};
  const char *p = *text, *q;
  size_t nl = strlen(needle);
  if (nl == 0 || !strstr(p, needle))
    return;
  while ((q = strstr(p, needle))) {
    sb_add(&b, p, (size_t)(q - p));
    sb_adds(&b, with);
    p = q + nl;
  }
  sb_adds(&b, p);
  free(*text);
  *text = sb_steal(&b);
}

static int is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* name=VALUE in a query/form, "name":"VALUE" in JSON -> name=*** */
static void redact_param(char **text, const char *name) {
  strbuf b = {0};
  const char *p = *text;
  size_t nl = strlen(name);
  int changed = 0;
  while (*p) {
    const char *after = p + nl;
    if (strncasecmp(p, name, nl) == 0 &&
        (p == *text || !is_name_char(p[-1])) && !is_name_char(*after)) {
      const char *v = NULL, *end;
      if (*after == '=') {
        v = after + 1;
        end = v + strcspn(v, "& \r\n");
      } else if (*after == '"') {
        const char *c = after + 1;
        while (*c == ' ')
          c++;
        if (*c == ':') {
          c++;
          while (*c == ' ')
            c++;
          if (*c == '"') {
            v = c + 1;
            end = strchr(v, '"');
            if (!end)
              end = v + strlen(v);
          }
        }
      }
      if (v && end > v) {
        sb_add(&b, p, (size_t)(v - p));
        sb_adds(&b, "***");
        p = end;
        changed = 1;
        continue;
      }
    }
    sb_add(&b, p, 1);
    p++;
  }
  if (changed) {
    free(*text);
    *text = sb_steal(&b);
  } else {
    sb_free(&b);
  }
}

char *redact_text(const char *const *secrets, const char *text,
                  const char *const *secret_params) {
  char *out = xstrdup(text ? text : "");
  size_t i;
  if (secrets)
    for (i = 0; secrets[i]; i++) {
      const char *s = secrets[i];
      char *esc;
      if (strlen(s) < 3)
        continue; /* too short to redact without mangling the text */
      replace_all(&out, s, "***");
      esc = curl_easy_escape(NULL, s, (int)strlen(s));
      if (esc) {
        replace_all(&out, esc, "***");
        curl_free(esc);
      }
    }
  for (i = 0; always_secret[i]; i++)
    redact_param(&out, always_secret[i]);
  if (secret_params)
    for (i = 0; secret_params[i]; i++)
      redact_param(&out, secret_params[i]);
  return out;
}

