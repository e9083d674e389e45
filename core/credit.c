/* credit: API keys and token buckets (see credit.h). */
#include <config.h>

#include "credit.h"

#include <math.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int credit_key_new(char out[CREDIT_KEY_LEN + 1]) {
  unsigned char raw[33];
  size_t got = 0, i, o;
  while (got < 32) {
    ssize_t n = getrandom(raw + got, 32 - got, 0);
    if (n <= 0)
      return -1;
    got += (size_t)n;
  }
  raw[32] = 0;
  memcpy(out, CREDIT_KEY_PREFIX, 4);
  o = 4;
  /* 32 bytes: ten groups of 3 (40 characters) and 2 bytes (3 more) */
  for (i = 0; i < 33; i += 3) {
    unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 |
                 (i + 2 < 33 ? raw[i + 2] : 0);
    out[o++] = b64url[(v >> 18) & 63];
    out[o++] = b64url[(v >> 12) & 63];
    out[o++] = b64url[(v >> 6) & 63];
    if (i + 2 < 32)
      out[o++] = b64url[v & 63];
  }
  out[CREDIT_KEY_LEN] = '\0';
  memset(raw, 0, sizeof raw);
  return o == CREDIT_KEY_LEN ? 0 : -1;
}

int credit_key_hash(const char *key, char hex[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0, i;
  if (!EVP_Digest(key, strlen(key), md, &len, EVP_sha256(), NULL) ||
      len != 32)
    return -1;
  for (i = 0; i < 32; i++) {
    hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
    hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
  }
  hex[64] = '\0';
  return 0;
}

int credit_key_shape_ok(const char *key) {
  size_t i;
  if (!key || strlen(key) != CREDIT_KEY_LEN ||
      strncmp(key, CREDIT_KEY_PREFIX, 4) != 0)
    return 0;
  for (i = 4; i < CREDIT_KEY_LEN; i++)
    if (!strchr(b64url, key[i]))
      return 0;
  return 1;
}

int credit_name_ok(const char *name) {
  size_t n;
  if (!name || !*name || !strchr("abcdefghijklmnopqrstuvwxyz0123456789",
                                 name[0]))
    return 0;
  n = strlen(name);
  return n <= 63 &&
         strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

double credit_bucket_size(double rate, unsigned burst) {
  if (burst)
    return (double)burst;
  return rate > 1 ? rate : 1;
}

unsigned credit_bucket_take(credit_bucket *b, double rate, unsigned burst,
                            double n, double now) {
  double size = credit_bucket_size(rate, burst), wait;
  if (rate <= 0)
    return 0;
  if (!b->primed) {
    b->tokens = size;
    b->last = now;
    b->primed = 1;
  }
  if (now > b->last) {
    b->tokens += (now - b->last) * rate;
    if (b->tokens > size)
      b->tokens = size;
    b->last = now;
  }
  if (b->tokens + 1e-9 >= n) {
    b->tokens -= n;
    return 0;
  }
  wait = ceil((n - b->tokens) / rate);
  return wait < 1 ? 1 : wait > 86400 ? 86400 : (unsigned)wait;
}

int credit_list_allows(const char *list, const char *item) {
  const char *p = list;
  size_t il;
  if (!list || !*list)
    return 1;
  if (!item)
    return 0;
  il = strlen(item);
  while (*p) {
    const char *e = strchr(p, ','), *end;
    if (!e)
      e = p + strlen(p);
    while (p < e && *p == ' ')
      p++;
    end = e;
    while (end > p && end[-1] == ' ')
      end--;
    if ((size_t)(end - p) == il && strncmp(p, item, il) == 0)
      return 1;
    p = *e ? e + 1 : e;
  }
  return 0;
}
