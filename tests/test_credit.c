/* test_credit: the pure pieces of tenants: API keys (shape, randomness,
 * SHA-256), the token bucket driven by a hand-held clock, allowed lists,
 * tenant names, and plan prices (cfg_plan_units: longest prefix wins). */
#include <config.h>

#include "cfg.h"
#include "check.h"
#include "credit.h"

#include <stdlib.h>
#include <string.h>

static void test_keys(void) {
  char a[CREDIT_KEY_LEN + 1], b[CREDIT_KEY_LEN + 1], h[65], h2[65];
  CHECK_INT_EQ(credit_key_new(a), 0, "a key is made");
  CHECK_INT_EQ(credit_key_new(b), 0, "a second key is made");
  CHECK_INT_EQ((long long)strlen(a), CREDIT_KEY_LEN, "47 characters");
  CHECK(strncmp(a, "smk_", 4) == 0, "it starts with smk_");
  CHECK(strcmp(a, b) != 0, "two keys differ");
  CHECK_INT_EQ(credit_key_shape_ok(a), 1, "its shape is a key's");
  CHECK_INT_EQ(credit_key_shape_ok("smk_short"), 0, "too short: refused");
  b[10] = '/';
  CHECK_INT_EQ(credit_key_shape_ok(b), 0, "a character outside base64url");
  CHECK_INT_EQ(credit_key_shape_ok(NULL), 0, "NULL refused");
  /* SHA-256("abc"), FIPS 180-2's example */
  CHECK_INT_EQ(credit_key_hash("abc", h), 0, "hashed");
  CHECK_STR_EQ(h,
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
               "SHA-256 of abc, lowercase hex");
  credit_key_hash(a, h);
  credit_key_hash(a, h2);
  CHECK_STR_EQ(h, h2, "the same key, the same hash");
  CHECK(strstr(h, a + 4) == NULL, "the hash does not hold the key");
}

static void test_bucket(void) {
  credit_bucket b;
  memset(&b, 0, sizeof b);
  /* 2 messages/s, burst 3: three at once, then one every half second */
  CHECK_INT_EQ(credit_bucket_take(&b, 2, 3, 1, 100.0), 0, "1st of the burst");
  CHECK_INT_EQ(credit_bucket_take(&b, 2, 3, 1, 100.0), 0, "2nd");
  CHECK_INT_EQ(credit_bucket_take(&b, 2, 3, 1, 100.0), 0, "3rd");
  CHECK_INT_EQ(credit_bucket_take(&b, 2, 3, 1, 100.0), 1,
               "4th at once: wait 1 s (whole seconds, rounded up)");
  CHECK_INT_EQ(credit_bucket_take(&b, 2, 3, 1, 100.5), 0,
               "half a second later: one token");
  CHECK_INT_EQ(credit_bucket_take(&b, 2, 3, 1, 100.6), 1, "not two");
  CHECK_INT_EQ(credit_bucket_take(&b, 2, 3, 1, 110.0), 0, "refilled");
  CHECK_INT_EQ(credit_bucket_take(&b, 2, 3, 1, 110.0), 0, "refilled 2");
  CHECK_INT_EQ(credit_bucket_take(&b, 2, 3, 1, 110.0), 0,
               "refilled only up to the burst: 3");
  CHECK_INT_EQ(credit_bucket_take(&b, 2, 3, 1, 110.0), 1, "then empty");
  /* 0.1/s: the wait is 10 s */
  memset(&b, 0, sizeof b);
  CHECK_INT_EQ(credit_bucket_take(&b, 0.1, 0, 1, 5.0), 0,
               "burst 0: max(1, rate) = 1");
  CHECK_INT_EQ(credit_bucket_take(&b, 0.1, 0, 1, 5.0), 10,
               "0.1/s: retry after 10 s");
  CHECK_INT_EQ(credit_bucket_take(&b, 0.1, 0, 1, 15.0), 0, "10 s later");
  /* no limit */
  memset(&b, 0, sizeof b);
  for (int i = 0; i < 1000; i++)
    if (credit_bucket_take(&b, 0, 0, 1, 1.0))
      break;
  CHECK_INT_EQ(credit_bucket_take(&b, 0, 0, 1, 1.0), 0, "rate 0: no limit");
  CHECK(credit_bucket_size(50, 0) == 50, "burst 0 at 50/s: 50");
  CHECK(credit_bucket_size(0.5, 0) == 1, "burst 0 at 0.5/s: 1");
}

static void test_lists(void) {
  CHECK_INT_EQ(credit_list_allows(NULL, "X"), 1, "no list: any");
  CHECK_INT_EQ(credit_list_allows("", "X"), 1, "empty list: any");
  CHECK_INT_EQ(credit_list_allows("Shop, Info", "Info"), 1,
               "an item after a space");
  CHECK_INT_EQ(credit_list_allows("Shop,Info", "Inf"), 0, "a prefix is not it");
  CHECK_INT_EQ(credit_list_allows("Shop,Info", "ShopX"), 0, "nor a longer one");
  CHECK_INT_EQ(credit_list_allows("Shop", NULL), 0,
               "no sender when a list is set: refused");
  CHECK_INT_EQ(credit_name_ok("shop-1.eu_2"), 1, "a name");
  CHECK_INT_EQ(credit_name_ok("Shop"), 0, "uppercase refused");
  CHECK_INT_EQ(credit_name_ok("-shop"), 0, "a leading '-' refused");
  CHECK_INT_EQ(credit_name_ok(""), 0, "empty refused");
  CHECK_INT_EQ(credit_name_ok("a/b"), 0, "a slash refused");
}

static void test_plans(void) {
  cfg_prefix_cost pre[] = {{"+32", 5}, {"+324", 7}};
  cfg_plan p;
  memset(&p, 0, sizeof p);
  p.name = "gold";
  p.sms = 2;
  p.sms_prefix = pre;
  p.n_sms_prefix = 2;
  p.mms = 9;
  p.voice = 4;
  CHECK_INT_EQ(cfg_plan_units(&p, SMSMUX_KIND_SMS, 1, "+33612345678"), 2,
               "sms = 2");
  CHECK_INT_EQ(cfg_plan_units(&p, SMSMUX_KIND_SMS, 3, "+33612345678"), 6,
               "3 segments x 2");
  CHECK_INT_EQ(cfg_plan_units(&p, SMSMUX_KIND_SMS, 1, "+3227000000"), 5,
               "sms.+32 = 5");
  CHECK_INT_EQ(cfg_plan_units(&p, SMSMUX_KIND_SMS, 2, "+32470000000"), 14,
               "the longest prefix +324 wins: 2 x 7");
  CHECK_INT_EQ(cfg_plan_units(&p, SMSMUX_KIND_MMS, 1, "+32470000000"), 9,
               "mms = 9");
  CHECK_INT_EQ(cfg_plan_units(&p, SMSMUX_KIND_VOICE, 1, "+33612345678"), 4,
               "voice = 4");
  CHECK_INT_EQ(cfg_plan_units(NULL, SMSMUX_KIND_SMS, 3, "+33612345678"), 3,
               "no plan: 1 unit a segment");
}

int main(void) {
  test_keys();
  test_bucket();
  test_lists();
  test_plans();
  return CHECK_DONE();
}
