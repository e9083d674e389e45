/* charset: conversions between UTF-8 and the charsets providers use (iconv).
 *
 * No //TRANSLIT: what iconv cannot convert is replaced here, one character
 * (or one invalid byte) at a time, so the output does not depend on the
 * libc version or the locale. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- strict UTF-8 ---- */

size_t charset_utf8_decode(const char *s, size_t len, uint32_t *cp,
                           const char **why) {
  const unsigned char *u = (const unsigned char *)s;
  const char *reason = NULL;
  uint32_t c, min;
  size_t n, i;

  if (len == 0) {
    reason = "truncated sequence";
    goto bad;
  }
  c = u[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c < 0xC0) {
    reason = "unexpected continuation byte";
    goto bad;
  }
  if (c < 0xE0) {
    n = 2;
    c &= 0x1F;
    min = 0x80;
  } else if (c < 0xF0) {
    n = 3;
    c &= 0x0F;
    min = 0x800;
  } else if (c < 0xF5) {
    n = 4;
    c &= 0x07;
    min = 0x10000;
  } else {
    reason = "byte never used in UTF-8";
    goto bad;
  }
  for (i = 1; i < n; i++) {
    if (i >= len) {
      reason = "truncated sequence";
      goto bad;
    }
    if ((u[i] & 0xC0) != 0x80) {
      reason = "truncated sequence (missing continuation byte)";
      goto bad;
    }
    c = (c << 6) | (u[i] & 0x3F);
  }
  if (c < min) {
    reason = "overlong encoding";
    goto bad;
  }
  if (c >= 0xD800 && c <= 0xDFFF) {
    reason = "UTF-16 surrogate";
    goto bad;
  }
  if (c > 0x10FFFF) {
    reason = "code point above U+10FFFF";
    goto bad;
  }
  *cp = c;
  return n;

bad:
  if (why)
    *why = reason;
  return 0;
}

int charset_is_utf8(const char *s, size_t len) {
  size_t i = 0, n;
  uint32_t cp;

  if (!s)
    return len == 0;
  while (i < len) {
    n = charset_utf8_decode(s + i, len - i, &cp, NULL);
    if (n == 0)
      return 0;
    i += n;
  }
  return 1;
}

/* ---- growing output buffer ---- */

/* Bytes kept free at the end for the terminator (four NULs). */
#define TAIL 4

typedef struct obuf {
  char *p;
  size_t len, cap; /* cap excludes TAIL */
} obuf;

static int obuf_init(obuf *b, size_t cap) {
  if (cap < 16)
    cap = 16;
  b->p = malloc(cap + TAIL);
  b->len = 0;
  b->cap = cap;
  return b->p ? 0 : -1;
}

static int obuf_grow(obuf *b, size_t more) {
  size_t cap = b->cap;
  char *p;

  while (cap - b->len < more) {
    if (cap > (SIZE_MAX - TAIL) / 2)
      return -1;
    cap *= 2;
  }
  if (cap == b->cap)
    return 0;
  p = realloc(b->p, cap + TAIL);
  if (!p)
    return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

static int obuf_put(obuf *b, const char *s, size_t n) {
  if (obuf_grow(b, n) < 0)
    return -1;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  return 0;
}

static char *obuf_finish(obuf *b, size_t *outlen) {
  memset(b->p + b->len, 0, TAIL);
  if (outlen)
    *outlen = b->len;
  return b->p;
}

/* One iconv() call into b, growing b on E2BIG.  *in / *inleft advance.
   Returns 0 when all input was converted, -1 with errno (EILSEQ, EINVAL,
   ENOMEM, ...) otherwise.  in == NULL flushes the shift state. */
static int conv(iconv_t cd, obuf *b, char **in, size_t *inleft) {
  for (;;) {
    char *op = b->p + b->len;
    size_t ol = b->cap - b->len;
    size_t r = iconv(cd, in, inleft, &op, &ol);

    b->len = (size_t)(op - b->p);
    if (r != (size_t)-1)
      return 0;
    if (errno != E2BIG)
      return -1;
    if (obuf_grow(b, b->cap - b->len + 16) < 0) {
      errno = ENOMEM;
      return -1;
    }
  }
}

static int bad_charset_name(const char *charset) {
  /* iconv_open("") means "the locale's charset": never wanted here. */
  return !charset || !*charset;
}

/* ---- UTF-8 -> charset ---- */

/* Append '?' encoded in the target charset (raw '?' when even that fails). */
static int put_question(iconv_t cd, obuf *b) {
  char q[] = "?";
  char *ip = q;
  size_t il = 1;
  size_t saved = b->len;

  if (conv(cd, b, &ip, &il) == 0)
    return 0;
  if (errno == ENOMEM)
    return -1;
  b->len = saved;
  return obuf_put(b, "?", 1);
}

/* Convert a run of valid UTF-8; each character the charset rejects -> '?'. */
static int conv_run(iconv_t cd, obuf *b, const char *run, size_t n) {
  char *ip = (char *)run; /* iconv's prototype is not const-correct */
  size_t il = n;

  while (il > 0) {
    uint32_t cp;
    size_t k;

    if (conv(cd, b, &ip, &il) == 0)
      return 0;
    if (errno != EILSEQ && errno != EINVAL)
      return -1;
    /* The run is valid UTF-8, so this is a character the target lacks
       (or one this iconv judges invalid): skip exactly that character. */
    k = charset_utf8_decode(ip, il, &cp, NULL);
    if (k == 0)
      k = 1;
    ip += k;
    il -= k;
    if (put_question(cd, b) < 0)
      return -1;
  }
  return 0;
}

/* ---- iconv descriptors, cached per thread ---- */

/* iconv_open reads the gconv configuration and loads a module: far too
   dear for every send.  Each thread keeps the few descriptors it used (a
   plugin converts to one or two charsets), reset before each use and
   closed when the thread ends. */
#define CD_CACHE 4

typedef struct cd_entry {
  char to[32], from[32];
  iconv_t cd;
} cd_entry;

typedef struct cd_cache {
  cd_entry e[CD_CACHE];
  unsigned n, next;
} cd_cache;

static pthread_key_t cd_key;
static pthread_once_t cd_once = PTHREAD_ONCE_INIT;

static void cd_cache_free(void *p) {
  cd_cache *c = p;
  unsigned i;
  for (i = 0; i < c->n; i++)
    iconv_close(c->e[i].cd);
  free(c);
}

static void cd_key_make(void) { (void)pthread_key_create(&cd_key, cd_cache_free); }

/* A descriptor to -> from, reset to its initial state; (iconv_t)-1 when
   the pair is unknown.  Not to be closed by the caller. */
static iconv_t cd_get(const char *to, const char *from) {
  cd_cache *c;
  cd_entry *slot;
  iconv_t cd;
  unsigned i;
  pthread_once(&cd_once, cd_key_make);
  c = pthread_getspecific(cd_key);
  if (!c && (c = calloc(1, sizeof *c)) && pthread_setspecific(cd_key, c)) {
    free(c);
    c = NULL;
  }
  for (i = 0; c && i < c->n; i++)
    if (strcmp(c->e[i].to, to) == 0 && strcmp(c->e[i].from, from) == 0) {
      iconv(c->e[i].cd, NULL, NULL, NULL, NULL);
      return c->e[i].cd;
    }
  cd = iconv_open(to, from);
  if (cd == (iconv_t)-1)
    return cd;
  if (!c || strlen(to) >= sizeof slot->to || strlen(from) >= sizeof slot->from) {
    iconv_close(cd); /* cannot be kept (out of memory, an odd name) */
    return (iconv_t)-1;
  }
  if (c->n < CD_CACHE) {
    slot = &c->e[c->n++];
  } else { /* replace the oldest */
    slot = &c->e[c->next];
    c->next = (c->next + 1) % CD_CACHE;
    iconv_close(slot->cd);
  }
  snprintf(slot->to, sizeof slot->to, "%s", to);
  snprintf(slot->from, sizeof slot->from, "%s", from);
  slot->cd = cd;
  return cd;
}

/* ---- UTF-8 -> charset ---- */

char *charset_from_utf8(const char *in, const char *charset, size_t *outlen) {
  iconv_t cd;
  obuf b;
  size_t n, i = 0;
  uint32_t cp;

  if (outlen)
    *outlen = 0;
  if (bad_charset_name(charset))
    return NULL;
  if (!in)
    in = "";
  n = strlen(in);
  if (n > (SIZE_MAX - 64) / 4)
    return NULL;
  cd = cd_get(charset, "UTF-8");
  if (cd == (iconv_t)-1)
    return NULL;
  if (obuf_init(&b, n * 4 + 16) < 0)
    return NULL;

  while (i < n) {
    size_t start = i, k;

    while (i < n && (k = charset_utf8_decode(in + i, n - i, &cp, NULL)) > 0)
      i += k;
    if (i > start && conv_run(cd, &b, in + start, i - start) < 0)
      goto fail;
    if (i < n) { /* one invalid byte */
      if (put_question(cd, &b) < 0)
        goto fail;
      i++;
    }
  }
  if (conv(cd, &b, NULL, NULL) < 0)
    goto fail;
  return obuf_finish(&b, outlen);

fail:
  free(b.p);
  return NULL;
}

/* ---- charset -> UTF-8 ---- */

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

char *charset_to_utf8(const char *in, size_t len, const char *charset) {
  iconv_t cd;
  obuf raw, out;
  char *ip = (char *)in; /* iconv's prototype is not const-correct */
  size_t il = len, i;

  if (bad_charset_name(charset))
    return NULL;
  if (!in)
    il = 0;
  if (il > (SIZE_MAX - 64) / 4)
    return NULL;
  cd = cd_get("UTF-8", charset);
  if (cd == (iconv_t)-1)
    return NULL;
  if (obuf_init(&raw, il * 3 + 16) < 0)
    return NULL;
  while (il > 0) {
    if (conv(cd, &raw, &ip, &il) == 0)
      break;
    if (errno != EILSEQ && errno != EINVAL)
      goto fail;
    /* An undecodable (or truncated) byte: U+FFFD, then resume after it. */
    if (obuf_put(&raw, replacement, 3) < 0)
      goto fail;
    ip++;
    il--;
  }
  if (conv(cd, &raw, NULL, NULL) < 0)
    goto fail;

  /* Guarantee valid UTF-8 whatever the iconv implementation lets through
     (e.g. encoded surrogates from a lax UTF-8 or CESU decoder). */
  if (charset_is_utf8(raw.p, raw.len))
    return obuf_finish(&raw, NULL);
  if (obuf_init(&out, raw.len + 16) < 0) {
    free(raw.p);
    return NULL;
  }
  for (i = 0; i < raw.len;) {
    uint32_t cp;
    size_t k = charset_utf8_decode(raw.p + i, raw.len - i, &cp, NULL);
    int rc = k ? obuf_put(&out, raw.p + i, k) : obuf_put(&out, replacement, 3);

    if (rc < 0) {
      free(raw.p);
      free(out.p);
      return NULL;
    }
    i += k ? k : 1;
  }
  free(raw.p);
  return obuf_finish(&out, NULL);

fail:
  free(raw.p);
  return NULL;
}
