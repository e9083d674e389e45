/* util: error filling, strings, arenas, vectors.
 *
 * Nothing here aborts or exits: a library must leave that decision to the
 * application that embeds it.  Every allocating helper returns NULL (or -1)
 * when memory runs out; the layers above pass that up as an error of class
 * SMSMUX_ERR_SYSTEM, "out of memory" (err_oom), and free what they had
 * built.  A strbuf and the arena note a failure so that a caller can build
 * a string piece by piece and check once at the end. */
#include "util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

char *str_ndup(const char *s, size_t n) {
  char *d;
  if (!s)
    return NULL;
  d = malloc(n + 1);
  if (!d)
    return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *str_dup(const char *s) {
  return s ? str_ndup(s, strlen(s)) : NULL;
}

char *str_vprintf(const char *fmt, va_list ap) {
  va_list ap2;
  int n;
  char *s;
  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    n = 0;
  s = malloc((size_t)n + 1);
  if (!s)
    return NULL;
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

char *str_printf(const char *fmt, ...) {
  va_list ap;
  char *s;
  va_start(ap, fmt);
  s = str_vprintf(fmt, ap);
  va_end(ap);
  return s;
}

void *vec_grow(void *p, size_t *cap, size_t size) {
  size_t n = *cap ? *cap * 2 : 8;
  void *q;
  if (n > SIZE_MAX / size)
    return p;
  q = realloc(p, n * size);
  if (!q)
    return p;
  *cap = n;
  return q;
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

int err_oom(smsmux_error *err) {
  err_set(err, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  return -1;
}

int sb_try_add(strbuf *b, const char *s, size_t n) {
  if (b->oom)
    return -1;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    char *p;
    while (cap < b->len + n + 1)
      cap *= 2;
    p = realloc(b->s, cap);
    if (!p) {
      b->oom = 1;
      return -1;
    }
    b->s = p;
    b->cap = cap;
  }
  if (n)
    memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
  return 0;
}

void sb_add(strbuf *b, const char *s, size_t n) { (void)sb_try_add(b, s, n); }

void sb_adds(strbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

void sb_addf(strbuf *b, const char *fmt, ...) {
  va_list ap;
  char *s;
  va_start(ap, fmt);
  s = b->oom ? NULL : str_vprintf(fmt, ap);
  va_end(ap);
  if (s)
    sb_adds(b, s);
  else
    b->oom = 1;
  free(s);
}

char *sb_steal(strbuf *b) {
  char *s;
  if (b->oom) {
    sb_free(b);
    return NULL;
  }
  s = b->s ? b->s : str_dup("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

void sb_free(strbuf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
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

void *arena_alloc(arena *a, size_t n) {
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

char *arena_strndup(arena *a, const char *s, size_t n) {
  char *d;
  if (!s)
    return NULL;
  d = arena_alloc(a, n + 1);
  if (!d)
    return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *arena_strdup(arena *a, const char *s) {
  return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_vprintf(arena *a, const char *fmt, va_list ap) {
  char *s = str_vprintf(fmt, ap);
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

/* ------------------------------------------------------ echoed input -- */

/* Length of the UTF-8 sequence at s (n bytes left) and its code point, or
   0 when it is not one (truncated, stray continuation, overlong, beyond
   U+10FFFF, a surrogate). */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned long *cp) {
  size_t len, i;
  unsigned long c;
  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  if (s[0] >= 0xC2 && s[0] <= 0xDF) {
    len = 2;
    c = s[0] & 0x1F;
  } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    len = 3;
    c = s[0] & 0x0F;
  } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    len = 4;
    c = s[0] & 0x07;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
      (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return len;
}

/* Characters a terminal acts on or that reorder the text around them:
   C1 controls (U+009B is a CSI), line/paragraph separators, the bidi
   embeddings, overrides and isolates. */
static int invisible_control(unsigned long cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0x061C || cp == 0x200E || cp == 0x200F;
}

size_t str_echo_piece(const char *s, size_t n, int quotes, char out[12],
                      size_t *used) {
  const unsigned char *u = (const unsigned char *)s;
  unsigned long cp;
  size_t len = utf8_seq(u, n, &cp);
  *used = 1;
  if (len == 0)
    return (size_t)snprintf(out, 12, "\\x%02X", u[0]);
  if (cp < 0x20 || cp == 0x7F) {
    switch (cp) {
    case '\n': memcpy(out, "\\n", 2); return 2;
    case '\t': memcpy(out, "\\t", 2); return 2;
    case '\r': memcpy(out, "\\r", 2); return 2;
    case 0x1B: memcpy(out, "\\e", 2); return 2;
    default: return (size_t)snprintf(out, 12, "\\x%02lX", cp);
    }
  }
  if (quotes && (cp == '"' || cp == '\\')) {
    out[0] = '\\';
    out[1] = (char)cp;
    return 2;
  }
  *used = len;
  if (invisible_control(cp))
    return (size_t)snprintf(out, 12, "\\u{%04lX}", cp);
  memcpy(out, s, len);
  return len;
}

const char *smsmux_quote_input(const char *s, char *buf, size_t size) {
  static const char ellipsis[] = "\xE2\x80\xA6";
  size_t i = 0, o = 0, n, room;
  if (!buf || size == 0)
    return "";
  buf[0] = '\0';
  if (!s || size < 5)
    return buf;
  n = strlen(s);
  room = size - 1 - (sizeof ellipsis - 1); /* keeps room for the "…" */
  while (i < n) {
    char piece[12];
    size_t used, len = str_echo_piece(s + i, n - i, 1, piece, &used);
    /* the last piece may use the room of the "…" it makes unnecessary */
    if (o + len > room && !(i + used == n && o + len <= size - 1)) {
      memcpy(buf + o, ellipsis, sizeof ellipsis - 1);
      o += sizeof ellipsis - 1;
      break;
    }
    memcpy(buf + o, piece, len);
    o += len;
    i += used;
  }
  buf[o] = '\0';
  return buf;
}

char *str_escape_controls(const char *s) {
  strbuf b = {0};
  size_t i = 0, n = s ? strlen(s) : 0;
  while (i < n) {
    char piece[12];
    size_t used, len;
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7F) { /* the common case, a run at once */
      size_t run = 1;
      while (i + run < n && (unsigned char)s[i + run] >= 0x20 &&
             (unsigned char)s[i + run] < 0x7F)
        run++;
      sb_add(&b, s + i, run);
      i += run;
      continue;
    }
    len = str_echo_piece(s + i, n - i, 0, piece, &used);
    sb_add(&b, piece, len);
    i += used;
  }
  return sb_steal(&b);
}

void process_nonce(char out[17]) {
  unsigned char b[8];
  size_t i;
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
    /* no entropy source: the PID, the time and an address still differ
       per process */
    uint64_t v = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^
                 (uint64_t)(uintptr_t)out;
    for (i = 0; i < sizeof b; i++)
      b[i] = (unsigned char)(v >> (8 * i));
  }
  for (i = 0; i < sizeof b; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
}
