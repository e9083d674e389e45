/* test_redact: secrets masked through the structure of what holds them
 * (core/redact.c, core/util.c compiled in): JSON walked, forms and query
 * strings split into decoded pairs, free text scanned with JSON escapes
 * understood; a secret holding " \ & = % + ; spaces or non-ASCII leaves
 * no fragment. */
#include <config.h>

#include "check.h"
#include "redact.h"

#include <stdlib.h>
#include <string.h>

static const char *const secrets[] = {"p\"w\\d&x=1%+;b \xC3\xA9tail9",
                                      "123456", "ab", NULL};

/* `out` holds none of the 4-byte pieces of the tail of `s`. */
static int no_tail_piece(const char *out, const char *s) {
  size_t n = strlen(s), i;
  for (i = n > 8 ? n - 8 : 0; i + 4 <= n; i++) {
    char piece[5];
    memcpy(piece, s + i, 4);
    piece[4] = '\0';
    if (strstr(out, piece))
      return 0;
  }
  return 1;
}

static void check_masked(char *out, const char *want, const char *name) {
  if (!CHECK(strstr(out, want) && no_tail_piece(out, secrets[0]) &&
                 !strstr(out, "123456"),
             name))
    printf("#   got: %s\n", out);
  free(out);
}

int main(void) {
  static const char *const params[] = {"pin", NULL};
  char *out;

  /* JSON: secret members at any depth (any type), strings holding a
     secret, a number equal to one; written again compactly */
  out = redact_body(secrets,
                    "{ \"login\": \"bob\", \"auth\": {\"newPassword\": "
                    "\"p\\\"w\\\\d&x=1%+;b \\u00e9tail9\", \"refresh_token\": "
                    "[1, 2]}, \"list\": [\"say p\\\"w\\\\d&x=1%+;b "
                    "\xC3\xA9tail9 twice\", 123456], \"pin\": 42, \"n\": 7 }",
                    0, params);
  check_masked(out, "\"login\":\"bob\"", "JSON: other members kept");
  out = redact_body(secrets,
                    "{\"auth\": {\"newPassword\": \"x\", \"refresh_token\": "
                    "[1, 2]}, \"pin\": 42}",
                    0, params);
  check_masked(out,
               "{\"auth\":{\"newPassword\":\"***\",\"refresh_token\":\"***\"},"
               "\"pin\":\"***\"}",
               "JSON: secret-named members masked whatever their type");
  out = redact_body(secrets,
                    "[\"say p\\\"w\\\\d&x=1%+;b \\u00e9tail9 twice\", 123456]",
                    0, NULL);
  check_masked(out, "[\"say *** twice\",\"***\"]",
               "JSON: a secret inside a string, a number equal to one");
  /* a body that is not whole JSON (cut, or text after it): free text */
  out = redact_body(secrets,
                    "{\"credential\": \"p\\\"w\\\\d&x=1%+;b \\u00e9tail9\", "
                    "\"token\" : \"ab\\\"cd\\\\ef\", \"cut",
                    0, NULL);
  check_masked(out,
               "{\"credential\": \"***\", \"token\" : \"***\", \"cut",
               "cut JSON: escaped secret and escaped token value masked");
  /* a form: pairs decoded, masked, written again */
  out = redact_body(secrets,
                    "user=bob&pin=12%2634&note=say+p%22w%5Cd%26x%3D1%25%2B%3Bb+"
                    "%C3%A9tail9%21&pass=&x",
                    1, params);
  check_masked(out, "user=bob&pin=***&note=say+***%21&pass=&x",
               "form: by name, by decoded value; an empty value kept");
  /* a URL: the query as pairs */
  out = redact_url(secrets,
                   "https://h/p?accessToken=a%2Bb%26c&to=%2B336&k=p%22w%5Cd%26x"
                   "%3D1%25%2B%3Bb%20%C3%A9tail9",
                   NULL);
  check_masked(out, "https://h/p?accessToken=***&to=%2B336&k=***",
               "URL: the query's pairs masked by name and by value");
  /* free text: log lines and error messages */
  out = redact_text(secrets,
                    "login failed for password=p\"w\\d&x=1%+;b \xC3\xA9tail9 "
                    "(token=xyz&next=1)",
                    NULL);
  check_masked(out, "password=*** (token=***&next=1)",
               "free text: the raw secret and name=value masked");
  out = redact_text(secrets, "<DATA><PASSCODE>a&amp;b</PASSCODE><X>ab</X>",
                    NULL);
  check_masked(out, "<PASSCODE>***</PASSCODE><X>ab</X>",
               "XML element of a secret name masked; a 2-byte secret kept");
  out = redact_text(secrets, "p&quot;w\\d&amp;x=1%+;b \xC3\xA9tail9", NULL);
  check_masked(out, "***", "an XML-escaped secret masked");
  return CHECK_DONE();
}
