/* msg: message rules the core applies before any plugin sees a message:
 * GSM-7 / UCS-2 choice and segment counts, E.164 numbers, sender IDs and
 * the --at date.  Pure functions: no I/O, no allocation except where named. */
#ifndef SMSMUX_MSG_H
#define SMSMUX_MSG_H

#include <smsmux/provider.h>
#include <stddef.h>
#include <stdint.h>

/** What a text costs. */
typedef struct msg_text_info {
  smsmux_encoding encoding; /**< GSM7 when every character is in GSM 03.38 */
  unsigned units;    /**< septets (extension chars count 2) or UTF-16 units */
  unsigned chars;    /**< Unicode code points */
  unsigned segments; /**< 160/153 GSM-7, 70/67 UCS-2; 1 for an empty text */
} msg_text_info;

/** Analyse UTF-8 `text`.  Returns 0, or -1 with a message in err when the
    text is not valid UTF-8 (naming the byte offset; strict: overlongs,
    surrogates, truncated sequences are refused).
    GSM7 when every character is in the GSM 03.38 basic or extension table
    (no national shift tables); otherwise UCS2 for the whole text, and then
    units are UTF-16 code units (a character outside the BMP, e.g. an emoji,
    counts 2).  segments = 1 when units <= 160 (GSM7) / 70 (UCS2), else
    ceil(units / 153) / ceil(units / 67); this plain division does not
    account for a provider that avoids cutting an escape pair or a
    surrogate pair at a segment boundary.  An empty (or NULL) text is GSM7,
    0 units, 1 segment.  *out is always written (zeroed on error). */
int msg_text_analyse(const char *text, msg_text_info *out, char *err,
                     size_t errlen);

/** Septets `cp` takes in GSM 03.38: 1 (basic table, including LF and CR),
    2 (extension table: ^ { } \ [ ~ ] | euro and form feed), 0 when not
    representable (e.g. a, i, o, u with acute accent, lowercase c cedilla:
    only uppercase C cedilla is in the table; backquote; other controls). */
unsigned msg_gsm7_septets(uint32_t cp);

/** Normalise a number to E.164 ("+33612345678") in out (>= 17 bytes).
    Accepts spaces, dots, dashes and parentheses as separators; "+CC...",
    "00CC...", national "0..." (country `default_cc`, e.g. "33"), and
    international digits without prefix ("336..."). Returns 0, or -1 with
    err naming the number and what is wrong.
    Details: leading/trailing white space is ignored; "+" only at the
    start; "(0)" after an international prefix is the trunk zero and is
    dropped ("+33 (0)6 12 34 56 78").  `default_cc` is 1..3 digits ("+33"
    tolerated), or NULL/"" for none (then a national "0..." is an error).
    The result has 8..15 digits after '+' and does not start with 0.  For
    France (+33, whatever default_cc) the number must have exactly 9
    digits after 33 and no 0 there; so with default_cc "33" a national
    number has 10 digits.  Other countries get only the 8..15 check.
    Errors read: bad number "<as typed>": <what is wrong>. */
int msg_number_e164(const char *in, const char *default_cc, char *out,
                    size_t outlen, char *err, size_t errlen);

/** Reformat an E.164 number; out >= 20 bytes. Returns out.
    E164 "+33612345678", DIGITS "33612345678", 00 "0033612345678",
    NATIONAL "0612345678" for +33 numbers, otherwise as DIGITS.  A leading
    '+' on the input is optional; the output is truncated to outlen. */
const char *msg_number_format(const char *e164, smsmux_number_style style,
                              char *out, size_t outlen);

/** Check a sender ID: 3..max_len (0 = 11) letters/digits, not only
    digits...  unless it is a phone number (only digits, optionally
    leading '+', 8..15 digits) which is accepted as a numeric sender.
    Returns 0, or -1 with err saying the rule broken.
    Letters are ASCII only (no accents), no spaces or punctuation; the
    phone-number form is accepted whatever max_len.  Errors read:
    bad sender "<as typed>": <rule broken>. */
int msg_sender_check(const char *sender, unsigned max_len, char *err,
                     size_t errlen);

/** Parse "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DD HH:MM" or "YYYY-MM-DD"
    (midnight) as local time; a 'T' may replace the space.
    Returns 0, or -1 with err.
    Fields are zero-padded, 'T' is accepted instead of the space, white
    space around is ignored.  Refused: an impossible date (2026-02-30),
    hour > 23, minute/second > 59, year < 1970, and a local time skipped
    when clocks go forward.  An ambiguous time (clocks going back) is
    whichever mktime picks with tm_isdst = -1.  *out = seconds since the
    epoch. */
int msg_parse_at(const char *s, int64_t *out, char *err, size_t errlen);

#endif
