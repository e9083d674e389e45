/* credit: the pure pieces of tenants (issue 14), below the store: API keys
 * (made from 32 random bytes, known afterwards only by their SHA-256) and
 * the token bucket of a tenant's rate limit.  No handle, no store, no
 * clock of their own: the caller passes the time, so tests drive it. */
#ifndef SMSMUX_CREDIT_H
#define SMSMUX_CREDIT_H

#include <stddef.h>
#include <stdint.h>

#define CREDIT_KEY_PREFIX "smk_"
/* "smk_" + 43 characters of base64url (32 bytes, no padding) */
#define CREDIT_KEY_LEN (4 + 43)

/** A new key: CREDIT_KEY_PREFIX and 32 bytes from getrandom(2) in
    base64url, NUL-terminated in out[CREDIT_KEY_LEN + 1].  0 or -1 (no
    randomness: nothing written). */
int credit_key_new(char out[CREDIT_KEY_LEN + 1]);

/** Lowercase hex SHA-256 of `key` (its bytes as given) in hex[65].  0 or
    -1. */
int credit_key_hash(const char *key, char hex[65]);

/** 1 when `key` has the shape of a key this module makes (prefix, length,
    alphabet), else 0: anything else is refused without a lookup. */
int credit_key_shape_ok(const char *key);

/** 1 when `name` is a valid tenant name: [a-z0-9][a-z0-9_.-]{0,62}. */
int credit_name_ok(const char *name);

/** One tenant's token bucket.  Zeroed: full at the first take. */
typedef struct credit_bucket {
  double tokens;
  double last; /* time of the last take (seconds, any monotonic origin) */
  int primed;
} credit_bucket;

/** The bucket's size for `rate` messages/s and `burst` (0: max(1, rate)). */
double credit_bucket_size(double rate, unsigned burst);

/** Take `n` tokens at time `now` (seconds).  rate <= 0: no limit, 0.
    0 taken; else nothing is taken and the whole seconds to wait before
    `n` tokens are there (at least 1). */
unsigned credit_bucket_take(credit_bucket *b, double rate, unsigned burst,
                            double n, double now);

/** 1 when `item` is one of the comma-separated `list` (spaces around
    items ignored; NULL or "": any item is allowed, 1). */
int credit_list_allows(const char *list, const char *item);

#endif
