/* Unit tests for core/msg.c and core/charset.c. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "charset.h"
#include "check.h"
#include "msg.h"
#include <smsmux/smsmux.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char err[256];

static int contains(const char *s, const char *sub) {
  return s && sub && strstr(s, sub) != NULL;
}

/* n copies of the UTF-8 string `unit`, then `tail` (static buffer). */
static const char *rep(const char *unit, unsigned n, const char *tail) {
  static char buf[4096];
  size_t ul = strlen(unit), off = 0;
  unsigned i;

  for (i = 0; i < n && off + ul < sizeof buf; i++, off += ul)
    memcpy(buf + off, unit, ul);
  snprintf(buf + off, sizeof buf - off, "%s", tail);
  return buf;
}

/* ---- text analysis ---- */

static void text_case(const char *name, const char *text, smsmux_encoding enc,
                      unsigned units, unsigned chars, unsigned segments) {
  msg_text_info ti;
  char label[160];
  int rc = msg_text_analyse(text, &ti, err, sizeof err);

  snprintf(label, sizeof label, "%s: analysed", name);
  CHECK_INT_EQ(rc, 0, label);
  snprintf(label, sizeof label, "%s: encoding %s", name,
           enc == SMSMUX_ENC_GSM7 ? "GSM-7" : "UCS-2");
  CHECK_INT_EQ(ti.encoding, enc, label);
  snprintf(label, sizeof label, "%s: %u units", name, units);
  CHECK_INT_EQ(ti.units, units, label);
  if (chars != (unsigned)-1) {
    snprintf(label, sizeof label, "%s: %u chars", name, chars);
    CHECK_INT_EQ(ti.chars, chars, label);
  }
  snprintf(label, sizeof label, "%s: %u segment(s)", name, segments);
  CHECK_INT_EQ(ti.segments, segments, label);
}

static void bad_text(const char *name, const char *text, const char *offset) {
  msg_text_info ti;
  char label[160];

  err[0] = '\0';
  snprintf(label, sizeof label, "invalid UTF-8 refused: %s", name);
  CHECK_INT_EQ(msg_text_analyse(text, &ti, err, sizeof err), -1, label);
  snprintf(label, sizeof label, "invalid UTF-8 error names %s: %s", offset,
           name);
  if (!CHECK(contains(err, offset), label))
    printf("#   err: %s\n", err);
}

static void test_text(void) {
  static const char *const ext[] = {"^", "{", "}", "\\", "[",
                                    "~", "]", "|", "\xE2\x82\xAC", "\f"};
  static const char *const ext_names[] = {"^", "{", "}", "\\", "[",
                                          "~", "]", "|", "euro", "form feed"};
  const char *all_basic =
      "@\xC2\xA3$\xC2\xA5\xC3\xA8\xC3\xA9\xC3\xB9\xC3\xAC\xC3\xB2\xC3\x87\n"
      "\xC3\x98\xC3\xB8\r\xC3\x85\xC3\xA5\xCE\x94_\xCE\xA6\xCE\x93\xCE\x9B"
      "\xCE\xA9\xCE\xA0\xCE\xA8\xCE\xA3\xCE\x98\xCE\x9E\xC3\x86\xC3\xA6"
      "\xC3\x9F\xC3\x89 !\"#\xC2\xA4%&'()*+,-./0123456789:;<=>?\xC2\xA1"
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ\xC3\x84\xC3\x96\xC3\x91\xC3\x9C\xC2\xA7"
      "\xC2\xBF"
      "abcdefghijklmnopqrstuvwxyz\xC3\xA4\xC3\xB6\xC3\xB1\xC3\xBC\xC3\xA0";
  char name[64];
  unsigned i;

  text_case("pure GSM", "Hello world, 12 @ 3$!", SMSMUX_ENC_GSM7, 21, 21, 1);
  /* the whole basic table (127 characters: all but ESC) costs 1 each */
  text_case("whole GSM basic table", all_basic, SMSMUX_ENC_GSM7, 127, 127, 1);
  for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
    snprintf(name, sizeof name, "extension %s", ext_names[i]);
    text_case(name, ext[i], SMSMUX_ENC_GSM7, 2, 1, 1);
  }
  text_case("a{b}c", "a{b}c", SMSMUX_ENC_GSM7, 7, 5, 1);
  text_case("e acute is GSM", "caf\xC3\xA9", SMSMUX_ENC_GSM7, 4, 4, 1);
  text_case("a acute is not GSM", "voil\xC3\xA1", SMSMUX_ENC_UCS2, 5, 5, 1);
  text_case("lowercase c cedilla is not GSM", "gar\xC3\xA7on",
            SMSMUX_ENC_UCS2, 6, 6, 1);
  text_case("uppercase C cedilla is GSM", "GAR\xC3\x87ON", SMSMUX_ENC_GSM7,
            6, 6, 1);
  text_case("a grave is GSM", "\xC3\xA0 toi", SMSMUX_ENC_GSM7, 5, 5, 1);
  text_case("e circumflex is not GSM", "f\xC3\xAAte", SMSMUX_ENC_UCS2, 4, 4,
            1);
  text_case("backquote is not GSM", "`", SMSMUX_ENC_UCS2, 1, 1, 1);
  text_case("tab is not GSM", "a\tb", SMSMUX_ENC_UCS2, 3, 3, 1);
  text_case("emoji is UCS-2, 2 units", "\xF0\x9F\x98\x80", SMSMUX_ENC_UCS2, 2,
            1, 1);
  text_case("emoji makes the whole text UCS-2", "Hi {x} \xF0\x9F\x98\x80",
            SMSMUX_ENC_UCS2, 9, 8, 1);
  text_case("empty text", "", SMSMUX_ENC_GSM7, 0, 0, 1);
  text_case("NULL text", NULL, SMSMUX_ENC_GSM7, 0, 0, 1);

  text_case("160 GSM chars", rep("a", 160, ""), SMSMUX_ENC_GSM7, 160, 160, 1);
  text_case("161 GSM chars", rep("a", 161, ""), SMSMUX_ENC_GSM7, 161, 161, 2);
  text_case("306 GSM chars", rep("a", 306, ""), SMSMUX_ENC_GSM7, 306, 306, 2);
  text_case("307 GSM chars", rep("a", 307, ""), SMSMUX_ENC_GSM7, 307, 307, 3);
  text_case("159 chars + euro = 161 units",
            rep("a", 159, "\xE2\x82\xAC"), SMSMUX_ENC_GSM7, 161, 160, 2);
  text_case("158 chars + euro = 160 units",
            rep("a", 158, "\xE2\x82\xAC"), SMSMUX_ENC_GSM7, 160, 159, 1);
  text_case("80 euros = 160 units", rep("\xE2\x82\xAC", 80, ""),
            SMSMUX_ENC_GSM7, 160, 80, 1);

  /* Cyrillic Zhe, U+0416 */
  text_case("70 UCS-2 chars", rep("\xD0\x96", 70, ""), SMSMUX_ENC_UCS2, 70,
            70, 1);
  text_case("71 UCS-2 chars", rep("\xD0\x96", 71, ""), SMSMUX_ENC_UCS2, 71,
            71, 2);
  text_case("134 UCS-2 chars", rep("\xD0\x96", 134, ""), SMSMUX_ENC_UCS2, 134,
            134, 2);
  text_case("135 UCS-2 chars", rep("\xD0\x96", 135, ""), SMSMUX_ENC_UCS2, 135,
            135, 3);
  text_case("69 UCS-2 chars + emoji = 71 units",
            rep("\xD0\x96", 69, "\xF0\x9F\x98\x80"), SMSMUX_ENC_UCS2, 71, 70,
            2);
  text_case("GSM text with one a-acute: 100 chars UCS-2",
            rep("a", 99, "\xC3\xA1"), SMSMUX_ENC_UCS2, 100, 100, 2);

  CHECK_INT_EQ(msg_gsm7_septets('A'), 1, "septets A = 1");
  CHECK_INT_EQ(msg_gsm7_septets(0x20AC), 2, "septets euro = 2");
  CHECK_INT_EQ(msg_gsm7_septets(0x0C), 2, "septets form feed = 2");
  CHECK_INT_EQ(msg_gsm7_septets(0x00E7), 0, "septets c cedilla = 0");
  CHECK_INT_EQ(msg_gsm7_septets(0x00C7), 1, "septets C cedilla = 1");
  CHECK_INT_EQ(msg_gsm7_septets(0x03A9), 1, "septets Omega = 1");
  CHECK_INT_EQ(msg_gsm7_septets(0x03C9), 0, "septets omega (lowercase) = 0");
  CHECK_INT_EQ(msg_gsm7_septets(0x1F600), 0, "septets emoji = 0");

  bad_text("overlong C0 80", "ab\xC0\x80", "byte offset 2");
  bad_text("overlong E0 80 AF", "\xE0\x80\xAF", "byte offset 0");
  bad_text("surrogate ED A0 80", "x\xED\xA0\x80", "byte offset 1");
  bad_text("truncated at end", "abc\xE2\x82", "byte offset 3");
  bad_text("truncated before ASCII", "\xE2\x82z", "byte offset 0");
  bad_text("stray continuation byte", "ok \x80", "byte offset 3");
  bad_text("byte FF", "\xFF", "byte offset 0");
  bad_text("above U+10FFFF", "\xF4\x90\x80\x80", "byte offset 0");
  bad_text("error after valid multibyte", "\xC3\xA9\xC3", "byte offset 2");
}

/* ---- numbers ---- */

static void num_ok(const char *in, const char *cc, const char *want) {
  char out[20], label[160];
  int rc;

  out[0] = '\0';
  err[0] = '\0';
  rc = msg_number_e164(in, cc, out, sizeof out, err, sizeof err);
  snprintf(label, sizeof label, "number \"%s\" (cc %s) accepted", in,
           cc ? cc : "none");
  if (!CHECK_INT_EQ(rc, 0, label))
    printf("#   err: %s\n", err);
  snprintf(label, sizeof label, "number \"%s\" (cc %s) -> %s", in,
           cc ? cc : "none", want);
  CHECK_STR_EQ(out, want, label);
}

static void num_bad(const char *in, const char *cc, const char *want_in_err) {
  char out[20], label[160], quoted[80];
  int rc;

  err[0] = '\0';
  rc = msg_number_e164(in, cc, out, sizeof out, err, sizeof err);
  snprintf(label, sizeof label, "number \"%s\" (cc %s) refused", in ? in : "",
           cc ? cc : "none");
  CHECK_INT_EQ(rc, -1, label);
  snprintf(quoted, sizeof quoted, "bad number \"%s\"", in ? in : "");
  snprintf(label, sizeof label, "number \"%s\": error quotes it and says '%s'",
           in ? in : "", want_in_err);
  if (!CHECK(contains(err, quoted) && contains(err, want_in_err), label))
    printf("#   err: %s\n", err);
}

static void test_numbers(void) {
  num_ok("0612345678", "33", "+33612345678");
  num_ok("06 12 34 56 78", "33", "+33612345678");
  num_ok("06.12.34.56.78", "33", "+33612345678");
  num_ok("06-12-34-56-78", "33", "+33612345678");
  num_ok("  06 12 34 56 78\r\n", "33", "+33612345678");
  num_ok("+33612345678", "33", "+33612345678");
  num_ok("+33 6 12 34 56 78", "33", "+33612345678");
  num_ok("+33 (0)6 12 34 56 78", "33", "+33612345678");
  num_ok("0033612345678", "33", "+33612345678");
  num_ok("0033 (0)6 12 34 56 78", "33", "+33612345678");
  num_ok("33612345678", "33", "+33612345678");
  num_ok("+32470123456", "33", "+32470123456");
  num_ok("0032470123456", "33", "+32470123456");
  num_ok("32470123456", "33", "+32470123456");
  num_ok("+1 (555) 123-4567", "33", "+15551234567");
  num_ok("0612345678", "+33", "+33612345678");
  num_ok("07911 123456", "44", "+447911123456");
  num_ok("+33612345678", NULL, "+33612345678");
  num_ok("123456789012345", "33", "+123456789012345");

  num_bad("06 12", "33", "a French national number has 10 digits");
  num_bad("061234", "33", "a French national number has 10 digits");
  num_bad("06123456789", "33", "a French national number has 10 digits");
  num_bad("06 12 AB 56 78", "33", "letters");
  num_bad("O612345678", "33", "letters");
  num_bad("", "33", "empty");
  num_bad("   ", "33", "empty");
  num_bad(NULL, "33", "empty");
  num_bad("1234567890123456", "33", "at most 15");
  num_bad("+1234567890123456", "33", "at most 15");
  num_bad("00 1234567890123456", "33", "at most 15");
  num_bad("+1234567", "33", "too short");
  num_bad("+3361234567", "33", "9 digits after +33");
  num_bad("3361234567", "33", "9 digits after +33");
  num_bad("+330612345678", "33", "no 0 after the country code");
  num_bad("+0612345678", "33", "no country code starts with 0");
  num_bad("0612345678", NULL, "default country code");
  num_bad("0612345678", "", "default country code");
  num_bad("06+12345678", "33", "'+' is only allowed at the start");
  num_bad("06_12_34_56_78", "33", "only digits");
  num_bad("+", "33", "no digits");
  num_bad("00", "33", "nothing after");
  num_bad("0612345678", "3x", "default country code");

  /* The error reads the way the brief shows it. */
  msg_number_e164("06 12", "33", NULL, 0, err, sizeof err);
  CHECK(strncmp(err,
                "bad number \"06 12\": a French national number has 10 digits",
                58) == 0,
        "number error wording");
  /* A tiny err buffer is truncated, not overrun. */
  {
    char small[8];
    char out[20];

    CHECK_INT_EQ(msg_number_e164("x", "33", out, sizeof out, small,
                                 sizeof small),
                 -1, "number refused with a small err buffer");
    CHECK_INT_EQ(strlen(small), 7, "small err buffer truncated");
    CHECK_INT_EQ(msg_number_e164("x", "33", out, sizeof out, NULL, 0), -1,
                 "number refused with no err buffer");
  }
}

static void test_format(void) {
  char out[20];

  CHECK_STR_EQ(msg_number_format("+33612345678", SMSMUX_NUM_E164, out,
                                 sizeof out),
               "+33612345678", "format E164");
  CHECK_STR_EQ(msg_number_format("+33612345678", SMSMUX_NUM_DIGITS, out,
                                 sizeof out),
               "33612345678", "format DIGITS");
  CHECK_STR_EQ(msg_number_format("+33612345678", SMSMUX_NUM_00, out,
                                 sizeof out),
               "0033612345678", "format 00");
  CHECK_STR_EQ(msg_number_format("+33612345678", SMSMUX_NUM_NATIONAL, out,
                                 sizeof out),
               "0612345678", "format NATIONAL for +33");
  CHECK_STR_EQ(msg_number_format("+32470123456", SMSMUX_NUM_NATIONAL, out,
                                 sizeof out),
               "32470123456", "format NATIONAL for +32 is DIGITS");
  CHECK_STR_EQ(msg_number_format("+123456789012345", SMSMUX_NUM_00, out,
                                 sizeof out),
               "00123456789012345", "format 00 with 15 digits fits 20 bytes");
  CHECK_STR_EQ(msg_number_format("33612345678", SMSMUX_NUM_E164, out,
                                 sizeof out),
               "+33612345678", "format E164 from digits");
  {
    char tiny[5];

    CHECK_STR_EQ(msg_number_format("+33612345678", SMSMUX_NUM_E164, tiny,
                                   sizeof tiny),
                 "+336", "format truncates to outlen");
  }
}

/* ---- senders ---- */

static void sender_ok(const char *s, unsigned max) {
  char label[160];

  err[0] = '\0';
  snprintf(label, sizeof label, "sender \"%s\" (max %u) accepted", s, max);
  if (!CHECK_INT_EQ(msg_sender_check(s, max, err, sizeof err), 0, label))
    printf("#   err: %s\n", err);
}

static void sender_bad(const char *s, unsigned max, const char *want) {
  char label[160], quoted[80];

  err[0] = '\0';
  snprintf(label, sizeof label, "sender \"%s\" (max %u) refused", s ? s : "",
           max);
  CHECK_INT_EQ(msg_sender_check(s, max, err, sizeof err), -1, label);
  snprintf(quoted, sizeof quoted, "bad sender \"%s\"", s ? s : "");
  snprintf(label, sizeof label, "sender \"%s\": error quotes it and says '%s'",
           s ? s : "", want);
  if (!CHECK(contains(err, quoted) && contains(err, want), label))
    printf("#   err: %s\n", err);
}

static void test_sender(void) {
  sender_ok("PERSO", 0);
  sender_ok("ABC", 0);
  sender_ok("Shop2Go", 0);
  sender_ok("123ABC", 0);
  sender_ok("ABCDEFGHIJK", 0);
  sender_ok("+33612345678", 0);
  sender_ok("0612345678", 0);
  sender_ok("123456789012345", 0);
  sender_ok("ABCDEF", 6);
  sender_ok("33612345678", 6);

  sender_bad("AB", 0, "too short");
  sender_bad("ABCDEFGHIJKL", 0, "too long");
  sender_bad("ABCDEFGHIJKL", 0, "at most 11");
  sender_bad("ABCDEFG", 6, "at most 6");
  sender_bad("12345", 0, "phone number");
  sender_bad("+12345", 0, "phone number");
  sender_bad("1234567890123456", 0, "phone number");
  sender_bad("SMS MODE", 0, "spaces are not allowed");
  sender_bad("\xC3\xA9", 0, "accent");
  sender_bad("Caf\xC3\xA9", 0, "accent");
  sender_bad("A_B", 0, "'_' is not allowed");
  sender_bad("", 0, "empty");
  sender_bad(NULL, 0, "empty");
}

/* ---- --at ---- */

static void at_ok(const char *s, int64_t want) {
  char label[160];
  int64_t t = 0;

  err[0] = '\0';
  snprintf(label, sizeof label, "at \"%s\" accepted", s);
  if (!CHECK_INT_EQ(msg_parse_at(s, &t, err, sizeof err), 0, label))
    printf("#   err: %s\n", err);
  snprintf(label, sizeof label, "at \"%s\" = %lld", s, (long long)want);
  CHECK_INT_EQ(t, want, label);
}

static void at_bad(const char *s, const char *want) {
  char label[160], quoted[80];
  int64_t t = 0;

  err[0] = '\0';
  snprintf(label, sizeof label, "at \"%s\" refused", s ? s : "");
  CHECK_INT_EQ(msg_parse_at(s, &t, err, sizeof err), -1, label);
  snprintf(quoted, sizeof quoted, "bad date \"%s\"", s ? s : "");
  snprintf(label, sizeof label, "at \"%s\": error quotes it and says '%s'",
           s ? s : "", want);
  if (!CHECK(contains(err, quoted) && contains(err, want) &&
                 contains(err, "YYYY-MM-DD HH:MM"),
             label))
    printf("#   err: %s\n", err);
}

static void test_at(void) {
  setenv("TZ", "UTC0", 1);
  tzset();
  at_ok("2026-01-02 03:04:05", 1767323045);
  at_ok("2026-01-02 03:04", 1767323040);
  at_ok("2026-01-02T03:04:05", 1767323045);
  at_ok(" 2026-01-02 03:04:05 ", 1767323045);
  at_ok("2024-02-29 12:00", 1709208000);
  at_ok("1970-01-01 00:00:00", 0);
  at_ok("2026-01-02", 1767312000); /* a bare date is midnight */

  at_bad("2026-02-30 10:00", "February 2026 has 28 days");
  at_bad("2025-02-29 10:00", "February 2025 has 28 days");
  at_bad("2026-04-31 10:00:00", "April 2026 has 30 days");
  at_bad("2026-13-01 10:00", "month 13");
  at_bad("2026-00-01 10:00", "month 00");
  at_bad("2026-01-00 10:00", "has 31 days");
  at_bad("2026-01-01 24:00", "not a time of day");
  at_bad("2026-01-01 10:60", "not a time of day");
  at_bad("2026-01-01 10:00:60", "not a time of day");
  at_bad("2026/01/01 10:00", "expected");
  at_bad("2026-01-01 1", "expected");
  at_bad("2026-01-01T", "expected");
  at_bad("2026-1-1 10:00", "expected");
  at_bad("2026-01-01 10:00 tomorrow", "unexpected text");
  at_bad("2026-01-01 10:00:", "expected");
  at_bad("", "expected");
  at_bad("tomorrow", "expected");
  at_bad("1969-12-31 23:59", "before 1970");

  /* Central European Time as a POSIX rule (no tzdata needed). */
  setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
  tzset();
  at_ok("2026-01-01 10:00", 1767258000);
  at_ok("2026-07-01 12:00:00", 1782900000);
  at_ok("2026-03-29 03:30", 1774747800);
  at_bad("2026-03-29 02:30", "does not exist");
}

/* ---- charset ---- */

static void test_charset(void) {
  const char *fr = "Bonjour Maman \xC3\xA9\xE2\x82\xAC";
  size_t n = 0;
  char *s, *back;

  s = charset_from_utf8(fr, "ISO-8859-15", &n);
  CHECK(s != NULL, "ISO-8859-15: converted");
  CHECK_INT_EQ(n, 16, "ISO-8859-15: 16 bytes");
  CHECK(s && memcmp(s, "Bonjour Maman \xE9\xA4", 17) == 0,
        "ISO-8859-15: e acute = 0xE9, euro = 0xA4");
  back = s ? charset_to_utf8(s, n, "ISO-8859-15") : NULL;
  CHECK_STR_EQ(back, fr, "ISO-8859-15: round trip to UTF-8");
  free(s);
  free(back);

  s = charset_from_utf8("\xE2\x98\xBA", "ISO-8859-15", &n);
  CHECK_STR_EQ(s, "?", "smiley -> '?' in ISO-8859-15");
  CHECK_INT_EQ(n, 1, "smiley -> 1 byte");
  free(s);

  s = charset_from_utf8("a\xE2\x98\xBA" "b\xF0\x9F\x98\x80" "c", "ISO-8859-15",
                        &n);
  CHECK_STR_EQ(s, "a?b?c", "each unconvertible character -> one '?'");
  free(s);

  s = charset_from_utf8("\xE2\x82\xAC", "ISO-8859-1", &n);
  CHECK_STR_EQ(s, "?", "euro -> '?' in ISO-8859-1");
  free(s);

  s = charset_from_utf8("caf\xC3\xA9", "ASCII", &n);
  CHECK_STR_EQ(s, "caf?", "e acute -> '?' in ASCII");
  free(s);

  s = charset_from_utf8("a\xFF" "b", "ISO-8859-15", &n);
  CHECK_STR_EQ(s, "a?b", "invalid byte FF -> '?'");
  free(s);
  s = charset_from_utf8("a\xE2\x82", "ISO-8859-15", &n);
  CHECK_STR_EQ(s, "a??", "truncated sequence -> one '?' per byte");
  free(s);
  s = charset_from_utf8("\xC0\x80z", "ISO-8859-15", &n);
  CHECK_STR_EQ(s, "??z", "overlong -> '?' per byte");
  free(s);
  s = charset_from_utf8("\xED\xA0\x80\xC3\xA9", "ISO-8859-15", &n);
  CHECK_STR_EQ(s, "???\xE9", "surrogate -> '?' per byte, then e acute");
  free(s);

  s = charset_from_utf8("a\xFF", "UTF-16LE", &n);
  CHECK_INT_EQ(n, 4, "UTF-16LE: 4 bytes");
  CHECK(s && memcmp(s, "a\0?\0", 4) == 0,
        "UTF-16LE: '?' is encoded in the target charset");
  free(s);

  s = charset_from_utf8("", "ISO-8859-15", &n);
  CHECK(s && n == 0 && s[0] == '\0', "empty string converts to empty");
  free(s);
  s = charset_from_utf8("abc", "NO-SUCH-CHARSET", &n);
  CHECK(s == NULL, "unknown charset -> NULL (from UTF-8)");
  s = charset_from_utf8("abc", "", &n);
  CHECK(s == NULL, "empty charset name -> NULL");

  s = charset_to_utf8("\xA4", 1, "ISO-8859-15");
  CHECK_STR_EQ(s, "\xE2\x82\xAC", "0xA4 in ISO-8859-15 -> euro");
  free(s);
  s = charset_to_utf8("a\xFF" "b", 3, "UTF-8");
  CHECK_STR_EQ(s, "a\xEF\xBF\xBD" "b", "undecodable byte -> U+FFFD");
  free(s);
  s = charset_to_utf8("a\xE2\x82", 3, "UTF-8");
  CHECK_STR_EQ(s, "a\xEF\xBF\xBD\xEF\xBF\xBD",
               "truncated tail -> U+FFFD per byte");
  free(s);
  s = charset_to_utf8("\xED\xA0\x80", 3, "UTF-8");
  CHECK(s && charset_is_utf8(s, strlen(s)) && contains(s, "\xEF\xBF\xBD"),
        "surrogate bytes from UTF-8 -> valid UTF-8 with U+FFFD");
  free(s);
  s = charset_to_utf8("a\x81" "b", 3, "CP1252");
  CHECK_STR_EQ(s, "a\xEF\xBF\xBD" "b", "CP1252 undefined 0x81 -> U+FFFD");
  free(s);
  s = charset_to_utf8("", 0, "ISO-8859-15");
  CHECK_STR_EQ(s, "", "empty input -> empty string");
  free(s);
  s = charset_to_utf8("abc", 3, "NO-SUCH-CHARSET");
  CHECK(s == NULL, "unknown charset -> NULL (to UTF-8)");

  CHECK(charset_is_utf8("", 0), "is_utf8: empty");
  CHECK(charset_is_utf8(fr, strlen(fr)), "is_utf8: French text");
  CHECK(charset_is_utf8("\xF0\x9F\x98\x80", 4), "is_utf8: emoji");
  CHECK(charset_is_utf8("\xF4\x8F\xBF\xBF", 4), "is_utf8: U+10FFFF");
  CHECK(!charset_is_utf8("\xC0\xAF", 2), "is_utf8: overlong refused");
  CHECK(!charset_is_utf8("\xE0\x9F\xBF", 3), "is_utf8: overlong 3-byte refused");
  CHECK(!charset_is_utf8("\xF0\x8F\xBF\xBF", 4),
        "is_utf8: overlong 4-byte refused");
  CHECK(!charset_is_utf8("\xED\xBF\xBF", 3), "is_utf8: surrogate refused");
  CHECK(!charset_is_utf8("\xF4\x90\x80\x80", 4),
        "is_utf8: above U+10FFFF refused");
  CHECK(!charset_is_utf8("\xE2\x82", 2), "is_utf8: truncated refused");
  CHECK(!charset_is_utf8("\xE2\x82\xAC", 2),
        "is_utf8: length respected (cut euro)");
  CHECK(!charset_is_utf8("\x80", 1), "is_utf8: lone continuation refused");
  CHECK(!charset_is_utf8("\xF8\x88\x80\x80\x80", 5),
        "is_utf8: 5-byte form refused");
}

/* Input quoted in an error: escaped and cut (smsmux_quote_input), so a line
   of a file cannot drive the terminal nor make a megabyte message. */
static void test_quoted_input(void) {
  char big[100000], q[SMSMUX_QUOTE_SIZE], small[12], long_err[4096];
  size_t i;

  err[0] = '\0';
  msg_number_e164("06\x1b[2J12\x9b" "34\"\\", "33", q, sizeof q, err,
                  sizeof err);
  if (!CHECK(contains(err, "\"06\\e[2J12\\x9B34\\\"\\\\\"") &&
                 !strchr(err, 0x1b),
             "a number's escapes, bad bytes, quote and backslash are "
             "shown escaped"))
    printf("#   err: %s\n", err);
  memset(big, '7', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  long_err[0] = '\0';
  msg_number_e164(big, "33", q, sizeof q, long_err, sizeof long_err);
  if (!CHECK(strlen(long_err) < 300 &&
                 contains(long_err, "7777\xE2\x80\xA6\""),
             "a 100 kB number is cut to a short quote ending in an ellipsis"))
    printf("#   err (%zu bytes): %.300s\n", strlen(long_err), long_err);
  CHECK_STR_EQ(smsmux_quote_input("ab\xC3\xA9\xE2\x80\xAE" "c\x7f", q,
                                  sizeof q),
               "ab\xC3\xA9\\u{202E}c\\x7F",
               "UTF-8 is kept, a bidi override and DEL are escaped");
  /* a cut never splits a character nor an escape */
  CHECK_STR_EQ(smsmux_quote_input("abcdef\xC3\xA9", small, sizeof small),
               "abcdef\xC3\xA9", "what fits is not cut");
  CHECK_STR_EQ(smsmux_quote_input("abcdefg\xC3\xA9x", small, sizeof small),
               "abcdefg\xE2\x80\xA6", "the cut falls before a character");
  CHECK_STR_EQ(smsmux_quote_input("abcdef\x1b", small, sizeof small),
               "abcdef\\e", "the last escape may use the ellipsis' room");
  CHECK_STR_EQ(smsmux_quote_input("abcdefg\x1bx", small, sizeof small),
               "abcdefg\xE2\x80\xA6", "an escape is not cut in two");
  for (i = 0; i < sizeof big - 1; i++)
    big[i] = (char)(i % 3 == 0 ? 0x1b : 'x');
  smsmux_quote_input(big, q, sizeof q);
  CHECK(strlen(q) < SMSMUX_QUOTE_SIZE, "escapes do not overflow the quote");
}

int main(void) {
  test_quoted_input();
  test_text();
  test_numbers();
  test_format();
  test_sender();
  test_at();
  test_charset();
  return CHECK_DONE();
}
