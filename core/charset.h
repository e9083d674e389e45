/* charset: conversions between UTF-8 and the charsets providers use (iconv). */
#ifndef SMSMUX_CHARSET_H
#define SMSMUX_CHARSET_H

#include <stddef.h>

/** Convert UTF-8 `in` to `charset`; characters `charset` cannot hold become
    '?'.  Returns a malloc'd NUL-terminated string (*outlen = bytes), or
    NULL when the charset is unknown or memory runs out. Invalid UTF-8
    input bytes also become '?'. */
char *charset_from_utf8(const char *in, const char *charset, size_t *outlen);

/** Convert `len` bytes in `charset` to UTF-8 (malloc'd, NUL-terminated);
    bytes that do not decode become U+FFFD. NULL on unknown charset. */
char *charset_to_utf8(const char *in, size_t len, const char *charset);

/** 1 when `s` (len bytes) is valid UTF-8. */
int charset_is_utf8(const char *s, size_t len);

#endif
