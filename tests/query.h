/* query.h: the tests' decoding of a URL query string, as a provider's
 * push carries it (tests/test_push.c, tests/loop_tool.c). */
#ifndef SMSMUX_TESTS_QUERY_H
#define SMSMUX_TESTS_QUERY_H

#include <smsmux/smsmux.h>
#include <stdlib.h>
#include <string.h>

/* "a=b&c=d" (URL-encoded, + for space) -> decoded pairs in kv[], in place;
 * a pair without '=' is skipped; at most max pairs.  Returns their count. */
static inline size_t parse_query(char *q, smsmux_kv *kv, size_t max) {
  size_t n = 0;
  char *save = NULL, *pair;
  for (pair = strtok_r(q, "&", &save); pair && n < max;
       pair = strtok_r(NULL, "&", &save)) {
    char *eq = strchr(pair, '='), *r, *w;
    if (!eq)
      continue;
    *eq = '\0';
    kv[n].key = pair;
    for (r = w = eq + 1; *r; r++) {
      if (*r == '+')
        *w++ = ' ';
      else if (*r == '%' && r[1] && r[2]) {
        char hex[3] = {r[1], r[2], 0};
        *w++ = (char)strtol(hex, NULL, 16);
        r += 2;
      } else
        *w++ = *r;
    }
    *w = '\0';
    kv[n++].value = eq + 1;
  }
  return n;
}

#endif
