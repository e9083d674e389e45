/* util: error filling, strings, arenas. Out of memory in the x* functions
 * aborts (not yet an error: docs/ARCHITECTURE.md says which layers return
 * one); a gateway that
 * cannot allocate a few bytes cannot do anything useful or safe. */
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void) {
  fputs("smsmux: out of memory\n", stderr);
  abort();
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    oom();
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    oom();
  return p;
}

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    oom();
  return q;
}

char *xstrdup(const char *s) {
  return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n) {
  char *d;
  if (!s)
    return NULL;
  d = xmalloc(n + 1);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *xvasprintf(const char *fmt, va_list ap) {
  va_list ap2;
  int n;
  char *s;
  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    n = 0;
  s = xmalloc((size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

char *xasprintf(const char *fmt, ...) {
  va_list ap;
  char *s;
  va_start(ap, fmt);
  s = xvasprintf(fmt, ap);
  va_end(ap);
  return s;
}

void err_vset(smsmux_error *err, smsmux_error_class cls, const char *code,
              const char *fmt, va_list ap) {
  if (!err)
    return;
  err->cls = cls;
  snprintf(err->code, sizeof err->code, "%s", code ? code : "");
  vsnprintf(err->message, sizeof err->message, fmt, ap);
}

void err_set(smsmux_error *err, smsmux_error_class cls, const char *code,
             const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err_vset(err, cls, code, fmt, ap);
  va_end(ap);
}

void err_clear(smsmux_error *err) {
  if (err)
    memset(err, 0, sizeof *err);
}

int sb_try_add(strbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    char *p;
    while (cap < b->len + n + 1)
      cap *= 2;
    p = realloc(b->s, cap);
    if (!p)
      return -1;
    b->s = p;
    b->cap = cap;
  }
  if (n)
    memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
  return 0;
}

void sb_add(strbuf *b, const char *s, size_t n) {
  if (sb_try_add(b, s, n))
    oom();
}

void sb_adds(strbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

void sb_addf(strbuf *b, const char *fmt, ...) {
  va_list ap;
  char *s;
  va_start(ap, fmt);
  s = xvasprintf(fmt, ap);
  va_end(ap);
  sb_adds(b, s);
  free(s);
}

char *sb_steal(strbuf *b) {
  char *s = b->s ? b->s : xstrdup("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

void sb_free(strbuf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

/* A bump arena: blocks of at least ARENA_BLOCK bytes, each allocation
   carved from the current block (one malloc per block, not per
   allocation); a request larger than a block gets a block of its own. */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_BLOCK 0u /* under ASan: a block per allocation, so that an
                          overrun past one is caught */
#else
#define ARENA_BLOCK 4096u
#endif

struct arena_block {
  arena_block *next;
  size_t used, cap;
  max_align_t data[];
};

void *arena_try_alloc(arena *a, size_t n) {
  const size_t align = sizeof(max_align_t);
  size_t need = ARENA_BLOCK ? (n + 1 + align - 1) / align * align : n + 1;
  arena_block *b = a->head;
  char *p;
  if (!b || b->cap - b->used < need) {
    size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;
    b = malloc(sizeof *b + cap);
    if (!b)
      return NULL;
    b->used = 0;
    b->cap = cap;
    if (a->head && need > ARENA_BLOCK) {
      /* a big one-off: keep filling the current block afterwards */
      b->next = a->head->next;
      a->head->next = b;
    } else {
      b->next = a->head;
      a->head = b;
    }
  }
  p = (char *)b->data + b->used;
  b->used += need;
  memset(p, 0, n + 1);
  return p;
}

void *arena_alloc(arena *a, size_t n) {
  void *p = arena_try_alloc(a, n);
  if (!p)
    oom();
  return p;
}

char *arena_strndup(arena *a, const char *s, size_t n) {
  char *d;
  if (!s)
    return NULL;
  d = arena_alloc(a, n + 1);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *arena_strdup(arena *a, const char *s) {
  return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_vprintf(arena *a, const char *fmt, va_list ap) {
  char *s = xvasprintf(fmt, ap);
  char *d = arena_strdup(a, s);
  free(s);
  return d;
}

void arena_free(arena *a) {
  arena_block *b = a->head;
  while (b) {
    arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
}

char *str_trim(char *s) {
  char *e;
  while (*s && isspace((unsigned char)*s))
    s++;
  e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1]))
    *--e = '\0';
  return s;
}

int str_ieq(const char *a, const char *b) {
  if (!a || !b)
    return a == b;
  while (*a && *b) {
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
      return 0;
    a++;
    b++;
  }
  return *a == *b;
}

int str_starts(const char *s, const char *prefix) {
  return s && strncmp(s, prefix, strlen(prefix)) == 0;
}
