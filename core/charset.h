/* charset: conversions between UTF-8 and the charsets providers use (iconv).
 *
 * Results are deterministic (no //TRANSLIT, no locale dependence): what a
 * charset cannot hold becomes '?', what does not decode becomes U+FFFD. */
#ifndef SMSMUX_CHARSET_H
#define SMSMUX_CHARSET_H

#include <stddef.h>
#include <stdint.h>

/** Convert UTF-8 `in` to `charset`; characters `charset` cannot hold become
    '?'.  Returns a malloc'd NUL-terminated string (*outlen = bytes), or
    NULL when the charset is unknown or memory runs out. Invalid UTF-8
    input bytes also become '?'.
    Details: the input is cut into valid UTF-8 runs (strictly: no overlongs,
    no surrogates, nothing above U+10FFFF); each byte outside them gives one
    '?', and each character of a run that `charset` rejects gives one '?'
    ('?' itself is encoded in `charset`, so UTF-16 targets stay aligned).
    NULL `in` is the empty string; `outlen` may be NULL.  The result is
    followed by four NUL bytes (safe for UTF-16/32 targets too). */
char *charset_from_utf8(const char *in, const char *charset, size_t *outlen);

/** Convert `len` bytes in `charset` to UTF-8 (malloc'd, NUL-terminated);
    bytes that do not decode become U+FFFD (one per byte, including a
    truncated sequence at the end). NULL on unknown charset or when memory
    runs out. The result is always valid UTF-8; a NUL in the input stays a
    NUL (so the C string may look shorter than the text). */
char *charset_to_utf8(const char *in, size_t len, const char *charset);

/** 1 when `s` (len bytes) is valid UTF-8: no overlong forms, no UTF-16
    surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
    sequence.  0 otherwise.  (An empty string is valid.) */
int charset_is_utf8(const char *s, size_t len);

/** Decode the UTF-8 character at the start of `s` (`len` >= 1 bytes
    available), with the same strict rules as charset_is_utf8.  Returns its
    length in bytes (1..4) and stores the code point in *cp; or returns 0
    when `s` does not start with a valid character, storing a short static
    reason in *why when `why` is not NULL ("truncated sequence",
    "overlong encoding", ...). */
size_t charset_utf8_decode(const char *s, size_t len, uint32_t *cp,
                           const char **why);

#endif
