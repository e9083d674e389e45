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
    text is not valid UTF-8 (naming the byte offset). */
int msg_text_analyse(const char *text, msg_text_info *out, char *err,
                     size_t errlen);

/** Septets `cp` takes in GSM 03.38: 1 (basic table), 2 (extension table:
    ^ { } \ [ ~ ] | euro and form feed), 0 when not representable. */
unsigned msg_gsm7_septets(uint32_t cp);

/** Normalise a number to E.164 ("+33612345678") in out (>= 17 bytes).
    Accepts spaces, dots, dashes and parentheses as separators; "+CC...",
    "00CC...", national "0..." (country `default_cc`, e.g. "33"), and
    international digits without prefix ("336..."). Returns 0, or -1 with
    err naming the number and what is wrong. */
int msg_number_e164(const char *in, const char *default_cc, char *out,
                    size_t outlen, char *err, size_t errlen);

/** Reformat an E.164 number; out >= 20 bytes. Returns out. */
const char *msg_number_format(const char *e164, smsmux_number_style style,
                              char *out, size_t outlen);

/** Check a sender ID: 3..max_len (0 = 11) letters/digits, not only
    digits...  unless it is a phone number (only digits, optionally
    leading '+', 8..15 digits) which is accepted as a numeric sender.
    Returns 0, or -1 with err saying the rule broken. */
int msg_sender_check(const char *sender, unsigned max_len, char *err,
                     size_t errlen);

/** Parse "YYYY-MM-DD HH:MM:SS" (or "YYYY-MM-DD HH:MM") as local time.
    Returns 0, or -1 with err. */
int msg_parse_at(const char *s, int64_t *out, char *err, size_t errlen);

#endif
