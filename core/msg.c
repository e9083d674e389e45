/* msg: message rules the core applies before any plugin sees a message:
 * GSM-7 / UCS-2 choice and segment counts, E.164 numbers, sender IDs and
 * the --at date.  See msg.h for the contract. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "msg.h"
#include "charset.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if defined(__GNUC__)
#define MSG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MSG_PRINTF(f, a)
#endif

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    MSG_PRINTF(3, 4);

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;

  if (!err || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* The user's input, as typed, for an error message: escaped and cut
   (smsmux_quote_input). */
static const char *quote(const char *s, char *buf, size_t buflen) {
  return smsmux_quote_input(s, buf, buflen);
}

#define QUOTE_MAX SMSMUX_QUOTE_SIZE

/* ------------------------------------------------------------------ */
/* GSM 03.38 */

/* Basic-table characters above ASCII, sorted. */
static const uint16_t gsm_basic_high[] = {
    0x00A1, /* ¡ */ 0x00A3, /* £ */ 0x00A4, /* ¤ */ 0x00A5, /* ¥ */
    0x00A7, /* § */ 0x00BF, /* ¿ */ 0x00C4, /* Ä */ 0x00C5, /* Å */
    0x00C6, /* Æ */ 0x00C7, /* Ç */ 0x00C9, /* É */ 0x00D1, /* Ñ */
    0x00D6, /* Ö */ 0x00D8, /* Ø */ 0x00DC, /* Ü */ 0x00DF, /* ß */
    0x00E0, /* à */ 0x00E4, /* ä */ 0x00E5, /* å */ 0x00E6, /* æ */
    0x00E8, /* è */ 0x00E9, /* é */ 0x00EC, /* ì */ 0x00F1, /* ñ */
    0x00F2, /* ò */ 0x00F6, /* ö */ 0x00F8, /* ø */ 0x00F9, /* ù */
    0x00FC, /* ü */ 0x0393, /* Γ */ 0x0394, /* Δ */ 0x0398, /* Θ */
    0x039B, /* Λ */ 0x039E, /* Ξ */ 0x03A0, /* Π */ 0x03A3, /* Σ */
    0x03A6, /* Φ */ 0x03A8, /* Ψ */ 0x03A9, /* Ω */
};

unsigned msg_gsm7_septets(uint32_t cp) {
  size_t lo = 0, hi = sizeof gsm_basic_high / sizeof gsm_basic_high[0];

  if (cp < 0x80) {
    switch (cp) {
    case '\n':
    case '\r':
      return 1;
    case '\f': /* form feed (page break) */
    case '^':
    case '{':
    case '}':
    case '\\':
    case '[':
    case '~':
    case ']':
    case '|':
      return 2;
    case '`':
      return 0;
    default:
      return (cp >= 0x20 && cp < 0x7F) ? 1 : 0;
    }
  }
  if (cp == 0x20AC) /* euro sign */
    return 2;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;

    if (gsm_basic_high[mid] == cp)
      return 1;
    if (gsm_basic_high[mid] < cp)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

static unsigned segments_for(unsigned units, unsigned single, unsigned multi) {
  if (units <= single)
    return 1;
  return units / multi + (units % multi != 0);
}

int msg_text_analyse(const char *text, msg_text_info *out, char *err,
                     size_t errlen) {
  size_t i = 0, n;
  unsigned septets = 0, utf16 = 0, chars = 0;
  int gsm = 1;

  memset(out, 0, sizeof *out);
  out->encoding = SMSMUX_ENC_GSM7;
  out->segments = 1;
  if (!text)
    return 0;
  n = strlen(text);
  while (i < n) {
    const char *why = "invalid";
    uint32_t cp;
    size_t k = charset_utf8_decode(text + i, n - i, &cp, &why);

    if (k == 0) {
      set_err(err, errlen,
              "text is not valid UTF-8 at byte offset %zu (0x%02X): %s", i,
              (unsigned)(unsigned char)text[i], why);
      return -1;
    }
    i += k;
    chars++;
    utf16 += cp >= 0x10000 ? 2 : 1;
    if (gsm) {
      unsigned s = msg_gsm7_septets(cp);

      if (s == 0)
        gsm = 0;
      septets += s;
    }
  }
  out->chars = chars;
  if (gsm) {
    out->encoding = SMSMUX_ENC_GSM7;
    out->units = septets;
    out->segments = segments_for(septets, 160, 153);
  } else {
    out->encoding = SMSMUX_ENC_UCS2;
    out->units = utf16;
    out->segments = segments_for(utf16, 70, 67);
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Numbers */

/* Countries whose numbers have a fixed length: digits after the country
   code, and no trunk '0' after it.  Other countries get the generic E.164
   check (8 to 15 digits in all). */
static const struct country_rule {
  const char *cc;
  unsigned nsn; /* national significant number: digits after the cc */
  const char *adjective;
} country_rules[] = {
    {"33", 9, "French"},
};

static const struct country_rule *rule_for(const char *digits) {
  size_t i;

  for (i = 0; i < sizeof country_rules / sizeof country_rules[0]; i++) {
    size_t l = strlen(country_rules[i].cc);
    if (strncmp(digits, country_rules[i].cc, l) == 0)
      return &country_rules[i];
  }
  return NULL;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_space(int c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

#define NUM_DIGITS_MAX 32 /* more is "too long" whatever the count */

int msg_number_e164(const char *in, const char *default_cc, char *out,
                    size_t outlen, char *err, size_t errlen) {
  char q[QUOTE_MAX], cc[4] = "", digits[NUM_DIGITS_MAX + 4], intl[40];
  const char *p, *end, *what = NULL;
  const struct country_rule *rule;
  size_t nd = 0, total = 0, ccl = 0, il;
  int plus = 0;

  if (out && outlen)
    out[0] = '\0';
  quote(in, q, sizeof q);
  if (!in)
    in = "";

  /* default country code: 1..3 digits, "+33" tolerated */
  if (default_cc && *default_cc) {
    const char *c = default_cc + (*default_cc == '+');

    ccl = strlen(c);
    if (ccl < 1 || ccl > 3 || strspn(c, "0123456789") != ccl || c[0] == '0') {
      set_err(err, errlen,
              "bad number \"%s\": the default country code \"%s\" is not "
              "1 to 3 digits",
              q, default_cc);
      return -1;
    }
    memcpy(cc, c, ccl + 1);
  }

  p = in;
  end = in + strlen(in);
  while (p < end && is_space((unsigned char)*p))
    p++;
  while (end > p && is_space((unsigned char)end[-1]))
    end--;
  if (p == end) {
    set_err(err, errlen, "bad number \"%s\": empty", q);
    return -1;
  }
  if (*p == '+') {
    plus = 1;
    p++;
  }
  for (; p < end; p++) {
    unsigned char c = (unsigned char)*p;

    if (is_digit(c)) {
      if (nd < NUM_DIGITS_MAX)
        digits[nd++] = (char)c;
      total++;
    } else if (c == '(' && p + 2 < end && p[1] == '0' && p[2] == ')' &&
               (plus || (nd >= 2 && digits[0] == '0' && digits[1] == '0')) &&
               nd > (plus ? 0u : 2u)) {
      /* "+33 (0)6 12 34 56 78": the national trunk 0, shown for reading */
      p += 2;
    } else if (c == ' ' || c == '\t' || c == '.' || c == '-' || c == '(' ||
               c == ')') {
      continue;
    } else if (is_alpha(c)) {
      what = "letters are not allowed in a phone number";
      break;
    } else if (c == '+') {
      what = "'+' is only allowed at the start";
      break;
    } else {
      what = "only digits, '+' at the start and the separators "
             "space . - ( ) are allowed";
      break;
    }
  }
  if (what) {
    set_err(err, errlen, "bad number \"%s\": %s", q, what);
    return -1;
  }
  digits[nd] = '\0';
  if (total == 0) {
    set_err(err, errlen, "bad number \"%s\": no digits", q);
    return -1;
  }
  if (total > 20) {
    set_err(err, errlen,
            "bad number \"%s\": too long (%zu digits; E.164 allows at most 15)",
            q, total);
    return -1;
  }

  if (plus) {
    snprintf(intl, sizeof intl, "%s", digits);
  } else if (digits[0] == '0' && digits[1] == '0') {
    snprintf(intl, sizeof intl, "%s", digits + 2);
    if (!intl[0]) {
      set_err(err, errlen,
              "bad number \"%s\": nothing after the international prefix 00",
              q);
      return -1;
    }
  } else if (digits[0] == '0') {
    if (!cc[0]) {
      set_err(err, errlen,
              "bad number \"%s\": a national number (starting with 0) needs "
              "a default country code; write it as +<country code><number>",
              q);
      return -1;
    }
    rule = rule_for(cc);
    if (rule && strcmp(rule->cc, cc) == 0 && nd - 1 != rule->nsn) {
      set_err(err, errlen,
              "bad number \"%s\": a %s national number has %u digits "
              "(this one has %zu)",
              q, rule->adjective, rule->nsn + 1, nd);
      return -1;
    }
    snprintf(intl, sizeof intl, "%s%s", cc, digits + 1);
  } else {
    /* Digits with no prefix: international, country code first
       ("33612345678").  Validated below like a "+" number. */
    snprintf(intl, sizeof intl, "%s", digits);
  }

  il = strlen(intl);
  if (intl[0] == '0') {
    set_err(err, errlen,
            "bad number \"%s\": no country code starts with 0 (after %s)", q,
            plus ? "+" : "00");
    return -1;
  }
  if (il < 8) {
    set_err(err, errlen,
            "bad number \"%s\": too short (%zu digits with the country code; "
            "an international number has at least 8)",
            q, il);
    return -1;
  }
  if (il > 15) {
    set_err(err, errlen,
            "bad number \"%s\": too long (%zu digits with the country code; "
            "E.164 allows at most 15)",
            q, il);
    return -1;
  }
  rule = rule_for(intl);
  if (rule) {
    size_t rl = strlen(rule->cc);

    if (intl[rl] == '0') {
      set_err(err, errlen,
              "bad number \"%s\": no 0 after the country code +%s "
              "(write +%s%s)",
              q, rule->cc, rule->cc, intl + rl + 1);
      return -1;
    }
    if (il - rl != rule->nsn) {
      set_err(err, errlen,
              "bad number \"%s\": a %s number has %u digits after +%s "
              "(this one has %zu)",
              q, rule->adjective, rule->nsn, rule->cc, il - rl);
      return -1;
    }
  }
  if (!out || outlen < il + 2) {
    set_err(err, errlen, "bad number \"%s\": output buffer too small", q);
    return -1;
  }
  out[0] = '+';
  memcpy(out + 1, intl, il + 1);
  return 0;
}

const char *msg_number_format(const char *e164, smsmux_number_style style,
                              char *out, size_t outlen) {
  const char *d;

  if (!out || outlen == 0)
    return out;
  if (!e164)
    e164 = "";
  d = e164 + (*e164 == '+');
  switch (style) {
  case SMSMUX_NUM_DIGITS:
    snprintf(out, outlen, "%s", d);
    break;
  case SMSMUX_NUM_00:
    snprintf(out, outlen, "00%s", d);
    break;
  case SMSMUX_NUM_NATIONAL:
    if (strncmp(d, "33", 2) == 0 && d[2])
      snprintf(out, outlen, "0%s", d + 2);
    else
      snprintf(out, outlen, "%s", d);
    break;
  case SMSMUX_NUM_E164:
  default:
    snprintf(out, outlen, "+%s", d);
    break;
  }
  return out;
}

/* ------------------------------------------------------------------ */
/* Sender IDs */

int msg_sender_check(const char *sender, unsigned max_len, char *err,
                     size_t errlen) {
  char q[QUOTE_MAX];
  const char *d;
  size_t n, nd, i;

  if (max_len == 0)
    max_len = 11;
  quote(sender, q, sizeof q);
  if (!sender || !*sender) {
    set_err(err, errlen,
            "bad sender \"%s\": empty; use 3 to %u letters or digits", q,
            max_len);
    return -1;
  }
  n = strlen(sender);

  /* A numeric sender: it must be a phone number. */
  d = sender + (*sender == '+');
  nd = strspn(d, "0123456789");
  if (nd > 0 && d[nd] == '\0') {
    if (nd >= 8 && nd <= 15)
      return 0;
    set_err(err, errlen,
            "bad sender \"%s\": a sender of only digits must be a phone "
            "number (8 to 15 digits, optionally with a leading +); "
            "otherwise use letters",
            q);
    return -1;
  }

  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)sender[i];

    if (is_digit(c) || is_alpha(c))
      continue;
    if (c == ' ')
      set_err(err, errlen,
              "bad sender \"%s\": spaces are not allowed (only letters "
              "A-Z, a-z and digits)",
              q);
    else if (c >= 0x80)
      set_err(err, errlen,
              "bad sender \"%s\": accented or non-ASCII characters are not "
              "allowed (only letters A-Z, a-z and digits)",
              q);
    else if (c < 0x20 || c == 0x7F)
      set_err(err, errlen,
              "bad sender \"%s\": control characters are not allowed (only "
              "letters A-Z, a-z and digits)",
              q);
    else
      set_err(err, errlen,
              "bad sender \"%s\": '%c' is not allowed (only letters A-Z, "
              "a-z and digits)",
              q, c);
    return -1;
  }
  if (n < 3) {
    set_err(err, errlen,
            "bad sender \"%s\": too short (%zu characters; at least 3)", q, n);
    return -1;
  }
  if (n > max_len) {
    set_err(err, errlen,
            "bad sender \"%s\": too long (%zu characters; at most %u)", q, n,
            max_len);
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* --at dates */

/* Exactly `n` digits at *p: value in *v, advances *p. */
static int take_digits(const char **p, int n, int *v) {
  int i, x = 0;

  for (i = 0; i < n; i++) {
    if (!is_digit((unsigned char)(*p)[i]))
      return -1;
    x = x * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *v = x;
  return 0;
}

static int take_char(const char **p, char c) {
  if (**p != c)
    return -1;
  (*p)++;
  return 0;
}

static int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return days[m - 1];
}

#define AT_FORMAT "expected YYYY-MM-DD HH:MM:SS or YYYY-MM-DD HH:MM, local time"

int msg_parse_at(const char *s, int64_t *out, char *err, size_t errlen) {
  static const char *const months[] = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  char q[QUOTE_MAX];
  const char *p = s;
  int y, mo, d, h = 0, mi = 0, sec = 0;
  struct tm tm;
  time_t t;

  quote(s, q, sizeof q);
  if (!p)
    p = "";
  while (is_space((unsigned char)*p))
    p++;
  if (take_digits(&p, 4, &y) || take_char(&p, '-') ||
      take_digits(&p, 2, &mo) || take_char(&p, '-') ||
      take_digits(&p, 2, &d) ||
      /* the time is optional: a bare date means midnight */
      ((*p == ' ' || *p == 'T') && p[1] >= '0' && p[1] <= '9' &&
       ((take_char(&p, ' ') && take_char(&p, 'T')) ||
        take_digits(&p, 2, &h) || take_char(&p, ':') ||
        take_digits(&p, 2, &mi) ||
        (*p == ':' && (take_char(&p, ':') || take_digits(&p, 2, &sec)))))) {
    set_err(err, errlen, "bad date \"%s\": %s", q, AT_FORMAT);
    return -1;
  }
  while (is_space((unsigned char)*p))
    p++;
  if (*p) {
    set_err(err, errlen, "bad date \"%s\": unexpected text after the time (%s)",
            q, AT_FORMAT);
    return -1;
  }
  if (y < 1970) {
    set_err(err, errlen, "bad date \"%s\": year %d is before 1970 (%s)", q, y,
            AT_FORMAT);
    return -1;
  }
  if (mo < 1 || mo > 12) {
    set_err(err, errlen, "bad date \"%s\": month %02d is not 01..12 (%s)", q,
            mo, AT_FORMAT);
    return -1;
  }
  if (d < 1 || d > days_in_month(y, mo)) {
    set_err(err, errlen, "bad date \"%s\": %s %d has %d days, not %d (%s)", q,
            months[mo - 1], y, days_in_month(y, mo), d, AT_FORMAT);
    return -1;
  }
  if (h > 23 || mi > 59 || sec > 59) {
    set_err(err, errlen,
            "bad date \"%s\": %02d:%02d:%02d is not a time of day "
            "(00:00:00..23:59:59; %s)",
            q, h, mi, sec, AT_FORMAT);
    return -1;
  }

  memset(&tm, 0, sizeof tm);
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  tm.tm_isdst = -1;
  t = mktime(&tm);
  if (tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d ||
      tm.tm_hour != h || tm.tm_min != mi || tm.tm_sec != sec) {
    /* mktime moved it: a local time skipped when clocks go forward. */
    set_err(err, errlen,
            "bad date \"%s\": this local time does not exist (clocks go "
            "forward at that moment); pick another time (%s)",
            q, AT_FORMAT);
    return -1;
  }
  if (t == (time_t)-1 && y != 1970) { /* -1 is a real instant only then */
    set_err(err, errlen, "bad date \"%s\": out of range for this system (%s)",
            q, AT_FORMAT);
    return -1;
  }
  *out = (int64_t)t;
  return 0;
}
