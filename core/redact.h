/* redact: secrets out of text (see redact.c). */
#ifndef SMSMUX_REDACT_H
#define SMSMUX_REDACT_H

#include "util.h"

/* Each function returns a malloc'd copy of its input with "***" in place
   of every value of `secrets` (NULL-terminated, may be NULL; values
   shorter than 3 bytes are left alone), in any of its wire forms (as is,
   URL-encoded, JSON- or XML-escaped), and of the value of every parameter
   whose name is secret: named in `secret_params` (NULL-terminated, may be
   NULL), in the built-in list (password, token, ...) or holding one of
   "password", "secret", "token", "passcode", "apikey".  NULL when out of
   memory (never a copy that may still hold a secret). */

/** Free text (a log line, an error message): name=VALUE,
    "name": "VALUE" (JSON escapes understood) and <name>VALUE<. */
char *redact_text(const char *const *secrets, const char *text,
                  const char *const *secret_params);

/** A URL: its query string split into pairs, each URL-decoded, masked by
    name and value, written again; the rest as free text. */
char *redact_url(const char *const *secrets, const char *url,
                 const char *const *secret_params);

/** A request or response body: a form (`is_form`) as pairs like a query
    string; a JSON document (object or array) parsed, walked (the values of
    secret-named members, any string holding a secret) and written again
    compactly; anything else as free text. */
char *redact_body(const char *const *secrets, const char *body, int is_form,
                  const char *const *secret_params);

#endif
