/* sim_util.c - small helpers shared by the simulator core and its provider
 * modules: memory, byte buffers, charsets, JSON of raw bytes, numbers,
 * dates and deterministic identifiers.  Declared in sim.h. */
#include "config.h"

#include "sim.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ memory */

static void oom(void)
{
  fputs("smsmux-sim: out of memory\n", stderr);
  abort();
}

void *sim_xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (!p)
    oom();
  return p;
}

void *sim_xcalloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    oom();
  return p;
}

void *sim_xrealloc(void *p, size_t n)
{
  p = realloc(p, n ? n : 1);
  if (!p)
    oom();
  return p;
}

char *sim_xstrdup(const char *s)
{
  return sim_xstrndup(s, strlen(s));
}

char *sim_xstrndup(const char *s, size_t n)
{
  char *p = sim_xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *sim_xasprintf(const char *fmt, ...)
{
  struct sim_buf b = { 0 };
  va_list ap;
  va_start(ap, fmt);
  sim_buf_vaddf(&b, fmt, ap);
  va_end(ap);
  return sim_buf_take(&b, NULL);
}

/* ------------------------------------------------------------------ buffer */

static void buf_reserve(struct sim_buf *b, size_t extra)
{
  size_t need = b->len + extra + 1; /* + the NUL kept after the data */
  if (need <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  b->data = sim_xrealloc(b->data, cap);
  b->cap = cap;
}

void sim_buf_add(struct sim_buf *b, const void *data, size_t n)
{
  buf_reserve(b, n);
  if (n)
    memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void sim_buf_adds(struct sim_buf *b, const char *s)
{
  sim_buf_add(b, s, strlen(s));
}

void sim_buf_vaddf(struct sim_buf *b, const char *fmt, va_list ap)
{
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  if (n < 0) {
    va_end(again);
    return;
  }
  buf_reserve(b, (size_t)n);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
  va_end(again);
  b->len += (size_t)n;
}

void sim_buf_addf(struct sim_buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  sim_buf_vaddf(b, fmt, ap);
  va_end(ap);
}

char *sim_buf_take(struct sim_buf *b, size_t *len)
{
  if (!b->data) {
    buf_reserve(b, 0);
    b->data[0] = '\0';
  }
  char *p = b->data;
  if (len)
    *len = b->len;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

void sim_buf_free(struct sim_buf *b)
{
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* ----------------------------------------------------------------- charset */

uint32_t sim_utf8_next(const unsigned char **p, const unsigned char *end)
{
  const unsigned char *s = *p;
  unsigned c = s[0];
  size_t n;
  uint32_t cp, min;

  if (c < 0x80) {
    *p = s + 1;
    return c;
  }
  if (c >= 0xC2 && c <= 0xDF)
    n = 2, cp = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3, cp = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4, cp = c & 0x07, min = 0x10000;
  else
    goto bad;
  if ((size_t)(end - s) < n)
    goto bad;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      goto bad;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    goto bad;
  *p = s + n;
  return cp;
bad:
  *p = s + 1;
  return 0xFFFD;
}

void sim_utf8_put(struct sim_buf *b, uint32_t cp)
{
  unsigned char out[4];
  size_t n;
  if (cp < 0x80) {
    out[0] = (unsigned char)cp;
    n = 1;
  } else if (cp < 0x800) {
    out[0] = (unsigned char)(0xC0 | (cp >> 6));
    out[1] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    out[0] = (unsigned char)(0xE0 | (cp >> 12));
    out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  sim_buf_add(b, out, n);
}

/* ISO-8859-15 is ISO-8859-1 except for these eight positions. */
static const struct {
  unsigned char byte;
  uint32_t cp;
} latin9_diff[] = {
  { 0xA4, 0x20AC }, /* euro sign */
  { 0xA6, 0x0160 }, /* S caron */
  { 0xA8, 0x0161 }, /* s caron */
  { 0xB4, 0x017D }, /* Z caron */
  { 0xB8, 0x017E }, /* z caron */
  { 0xBC, 0x0152 }, /* OE */
  { 0xBD, 0x0153 }, /* oe */
  { 0xBE, 0x0178 }, /* Y diaeresis */
};

uint32_t sim_latin9_char(unsigned char c)
{
  if (c == 0x80)
    return 0x20AC;
  for (size_t i = 0; i < sizeof latin9_diff / sizeof latin9_diff[0]; i++)
    if (latin9_diff[i].byte == c)
      return latin9_diff[i].cp;
  return c;
}

char *sim_latin9_to_utf8(const void *in, size_t len)
{
  struct sim_buf b = { 0 };
  const unsigned char *s = in;
  for (size_t i = 0; i < len; i++)
    sim_utf8_put(&b, sim_latin9_char(s[i]));
  return sim_buf_take(&b, NULL);
}

static int latin9_byte(uint32_t cp)
{
  for (size_t i = 0; i < sizeof latin9_diff / sizeof latin9_diff[0]; i++) {
    if (latin9_diff[i].cp == cp)
      return latin9_diff[i].byte;
    if (latin9_diff[i].byte == cp)
      return -1; /* a Latin-1 character that ISO-8859-15 dropped */
  }
  return cp < 0x100 ? (int)cp : -1;
}

char *sim_utf8_to_latin9(const char *in, size_t *outlen)
{
  struct sim_buf b = { 0 };
  const unsigned char *s = (const unsigned char *)in;
  const unsigned char *end = s + strlen(in);
  while (s < end) {
    int byte = latin9_byte(sim_utf8_next(&s, end));
    char c = byte < 0 ? '?' : (char)byte;
    sim_buf_add(&b, &c, 1);
  }
  return sim_buf_take(&b, outlen);
}

char *sim_utf8_clean(const void *in, size_t len)
{
  struct sim_buf b = { 0 };
  const unsigned char *s = in, *end = s + len;
  while (s < end)
    sim_utf8_put(&b, sim_utf8_next(&s, end));
  return sim_buf_take(&b, NULL);
}

/* -------------------------------------------------------------------- JSON */

/* json-c writes a string's bytes unchanged, which gives invalid JSON for
   bytes that are not UTF-8; this serializer escapes them instead. */
static int json_bytes_serialize(struct json_object *jso, struct printbuf *pb,
                                int level, int flags)
{
  (void)level;
  (void)flags;
  const unsigned char *s = (const unsigned char *)json_object_get_string(jso);
  const unsigned char *end = s + json_object_get_string_len(jso);
  char esc[8];

  printbuf_memappend(pb, "\"", 1);
  while (s < end) {
    const unsigned char *start = s;
    uint32_t cp = sim_utf8_next(&s, end);
    if (cp == 0xFFFD && s == start + 1) { /* not UTF-8: a valid U+FFFD is 3 bytes */
      snprintf(esc, sizeof esc, "\\u%04x", *start);
      printbuf_memappend(pb, esc, 6);
    } else if (cp == '"' || cp == '\\') {
      esc[0] = '\\';
      esc[1] = (char)cp;
      printbuf_memappend(pb, esc, 2);
    } else if (cp < 0x20 || cp == 0x7F) {
      snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
      printbuf_memappend(pb, esc, 6);
    } else {
      printbuf_memappend(pb, (const char *)start, (int)(s - start));
    }
  }
  printbuf_memappend(pb, "\"", 1);
  return 0;
}

struct json_object *sim_json_bytes(const void *data, size_t len)
{
  struct json_object *o = json_object_new_string_len(data ? data : "", (int)len);
  if (!o)
    oom();
  json_object_set_serializer(o, json_bytes_serialize, NULL, NULL);
  return o;
}

struct json_object *sim_json_cents(long long cents)
{
  if (cents % 100 == 0)
    return json_object_new_int64(cents / 100);
  return json_object_new_double((double)cents / 100.0);
}

/* ------------------------------------------------------------------ numbers */

void sim_cents_format(long long cents, char *out, size_t outlen)
{
  const char *sign = cents < 0 ? "-" : "";
  unsigned long long a = cents < 0 ? 0ULL - (unsigned long long)cents
                                   : (unsigned long long)cents;
  unsigned long long whole = a / 100, frac = a % 100;
  if (frac == 0)
    snprintf(out, outlen, "%s%llu", sign, whole);
  else if (frac % 10 == 0)
    snprintf(out, outlen, "%s%llu.%llu", sign, whole, frac / 10);
  else
    snprintf(out, outlen, "%s%llu.%02llu", sign, whole, frac);
}

int sim_cents_parse(const char *s, long long *cents)
{
  int neg = 0;
  long long whole = 0, frac = 0;
  int digits = 0, fdigits = 0;

  if (*s == '-')
    neg = 1, s++;
  for (; isdigit((unsigned char)*s); s++, digits++) {
    if (whole > 1000000000000LL)
      return -1;
    whole = whole * 10 + (*s - '0');
  }
  if (*s == '.') {
    for (s++; isdigit((unsigned char)*s); s++, fdigits++) {
      if (fdigits >= 2)
        return -1;
      frac = frac * 10 + (*s - '0');
    }
    if (fdigits == 0)
      return -1;
    if (fdigits == 1)
      frac *= 10;
  }
  if (*s || digits == 0)
    return -1;
  *cents = (whole * 100 + frac) * (neg ? -1 : 1);
  return 0;
}

int sim_int_parse(const char *s, long long *out)
{
  char *end;
  if (!s || !*s || isspace((unsigned char)*s) || *s == '+')
    return -1;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

/* ---------------------------------------------------------------- rng, ids */

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
  r->s = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

static uint64_t rng_next(struct sim_rng *r)
{
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 0x2545F4914F6CDD1DULL;
}

void sim_rng_alnum(struct sim_rng *r, char *out, size_t n)
{
  static const char set[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (size_t i = 0; i < n; i++)
    out[i] = set[(rng_next(r) >> 33) % (sizeof set - 1)];
  out[n] = '\0';
}

/* ------------------------------------------------------------------- dates */

void sim_time_dmyhm(time_t t, char *out, size_t outlen)
{
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(out, outlen, "%d%m%Y-%H:%M", &tm);
}

static int two_digits(const char *s)
{
  if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
    return -1;
  return (s[0] - '0') * 10 + (s[1] - '0');
}

int sim_time_parse_dmyhm(const char *s, time_t *out)
{
  /* ddmmyyyy-hh:mm, exactly 14 characters */
  if (strlen(s) != 14 || s[8] != '-' || s[11] != ':')
    return -1;
  int d = two_digits(s), m = two_digits(s + 2);
  int y1 = two_digits(s + 4), y2 = two_digits(s + 6);
  int hh = two_digits(s + 9), mi = two_digits(s + 12);
  if (d < 1 || m < 1 || m > 12 || y1 < 0 || y2 < 0 || hh < 0 || hh > 23 ||
      mi < 0 || mi > 59)
    return -1;
  struct tm tm = { 0 };
  tm.tm_mday = d;
  tm.tm_mon = m - 1;
  tm.tm_year = y1 * 100 + y2 - 1900;
  tm.tm_hour = hh;
  tm.tm_min = mi;
  tm.tm_isdst = -1;
  time_t t = mktime(&tm);
  /* mktime normalises 31 February into March: refuse what moved */
  if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != m - 1)
    return -1;
  *out = t;
  return 0;
}
