/* redact: secrets out of text (see redact.c). */
#ifndef SMSMUX_REDACT_H
#define SMSMUX_REDACT_H

#include "util.h"

/** A copy of `text` with every value of `secrets` (NULL-terminated, may be
    NULL; values shorter than 3 bytes are left alone) and every value of a
    parameter named in `secret_params` or in the built-in list (password,
    token, ...) replaced by "***".  malloc'd. */
char *redact_text(const char *const *secrets, const char *text,
                  const char *const *secret_params);

#endif
