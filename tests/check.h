/* check.h: a tiny TAP-like assertion set for the C unit tests.
 *
 *   CHECK(cond, name)             ok when cond is true
 *   CHECK_STR_EQ(got, want, name) strings equal (NULL equals only NULL)
 *   CHECK_INT_EQ(got, want, name) integers equal (compared as long long)
 *   CHECK_DONE()                  prints "N passed, M failed"; use as
 *                                 `return CHECK_DONE();` in main (1 on any
 *                                 failure)
 *
 * Each check prints "ok N - name" or "not ok N - name", with the values
 * (and the file:line) under a failure.  Header-only: include it once per
 * test program. */
#ifndef SMSMUX_TESTS_CHECK_H
#define SMSMUX_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static unsigned check_passed_, check_failed_;

/* A name on one line: control characters shown as \n, \r, \t or \xNN. */
static inline void check_name_(const char *name) {
  const unsigned char *p = (const unsigned char *)(name ? name : "(null)");

  for (; *p; p++) {
    if (*p == '\n')
      fputs("\\n", stdout);
    else if (*p == '\r')
      fputs("\\r", stdout);
    else if (*p == '\t')
      fputs("\\t", stdout);
    else if (*p < 0x20 || *p == 0x7F)
      printf("\\x%02X", (unsigned)*p);
    else
      putchar(*p);
  }
  putchar('\n');
}

static inline int check_report_(int ok, const char *name, const char *file,
                                int line) {
  unsigned n = check_passed_ + check_failed_ + 1;

  if (ok)
    check_passed_++;
  else
    check_failed_++;
  printf("%sok %u - ", ok ? "" : "not ", n);
  check_name_(name);
  if (!ok)
    printf("#   at %s:%d\n", file, line);
  fflush(stdout);
  return ok;
}

static inline int check_str_eq_(const char *got, const char *want,
                                const char *name, const char *file, int line) {
  int ok = (got == NULL || want == NULL) ? got == want : !strcmp(got, want);

  if (!check_report_(ok, name, file, line))
    printf("#   got:  %s%s%s\n#   want: %s%s%s\n", got ? "\"" : "",
           got ? got : "NULL", got ? "\"" : "", want ? "\"" : "",
           want ? want : "NULL", want ? "\"" : "");
  return ok;
}

static inline int check_int_eq_(long long got, long long want,
                                const char *name, const char *file, int line) {
  int ok = got == want;

  if (!check_report_(ok, name, file, line))
    printf("#   got:  %lld\n#   want: %lld\n", got, want);
  return ok;
}

static inline int check_done_(void) {
  printf("%u passed, %u failed\n", check_passed_, check_failed_);
  return check_failed_ ? 1 : 0;
}

#define CHECK(cond, name) check_report_(!!(cond), (name), __FILE__, __LINE__)
#define CHECK_STR_EQ(got, want, name)                                          \
  check_str_eq_((got), (want), (name), __FILE__, __LINE__)
#define CHECK_INT_EQ(got, want, name)                                          \
  check_int_eq_((long long)(got), (long long)(want), (name), __FILE__, __LINE__)
#define CHECK_DONE() check_done_()

#endif
