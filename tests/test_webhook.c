/* test_webhook: the pure pieces of event delivery (core/webhook.c): the
 * webhook body, its signature against a value computed independently with
 * `openssl dgst -sha256 -hmac`, the retry schedule, Kannel's dlr types and
 * dlr-url escape codes. */
#include <config.h>

#include "../core/webhook.h"
#include "check.h"

#include <stdlib.h>
#include <time.h>

int main(void) {
  webhook_event e = {0};
  char sig[72], *s;
  /* 2026-12-05 10:00:00 UTC */
  const int64_t at = 1796464800;

  e.event_id = "01JABC-3";
  e.kind = "status";
  e.message_id = "01JABC";
  e.number = "+33612345678";
  e.status = "delivered";
  e.provider = "smsmode";
  e.provider_id = "abc";
  e.code = "11";
  e.text = "Re\xc3\xa7u";
  e.at = at;
  s = webhook_body(&e);
  CHECK_STR_EQ(s,
               "{\"event\":\"01JABC-3\",\"type\":\"status\",\"message_id\":"
               "\"01JABC\",\"to\":\"+33612345678\",\"status\":\"delivered\","
               "\"provider\":\"smsmode\",\"provider_id\":\"abc\",\"code\":"
               "\"11\",\"text\":\"Re\xc3\xa7u\",\"at\":"
               "\"2026-12-05T10:00:00Z\"}",
               "status body: every field, in order, UTF-8 as is");
  /* printf '%s' BODY | openssl dgst -sha256 -hmac whsec-test */
  CHECK_INT_EQ(webhook_sign("whsec-test", s, strlen(s), sig), 0, "signed");
  CHECK_STR_EQ(sig,
               "sha256=552a2feee471e30c0fd0dcd9dd42be5b"
               "fffd606707b0c6790a88d67b816462fe",
               "signature: HMAC-SHA256 hex of the exact body");
  webhook_sign("whsec-other", s, strlen(s), sig);
  CHECK(strcmp(sig + 7, "552a2feee471e30c0fd0dcd9dd42be5b"
                        "fffd606707b0c6790a88d67b816462fe") != 0,
        "signature: another secret, another signature");
  free(s);

  e.code = NULL;
  e.text = "a \"quoted\"/slash\n";
  e.at = 0;
  s = webhook_body(&e);
  CHECK_STR_EQ(s,
               "{\"event\":\"01JABC-3\",\"type\":\"status\",\"message_id\":"
               "\"01JABC\",\"to\":\"+33612345678\",\"status\":\"delivered\","
               "\"provider\":\"smsmode\",\"provider_id\":\"abc\",\"code\":"
               "null,\"text\":\"a \\\"quoted\\\"/slash\\n\",\"at\":null}",
               "status body: missing values null, JSON escapes, / kept");
  free(s);

  memset(&e, 0, sizeof e);
  e.event_id = "01JABC-4";
  e.kind = "reply";
  e.message_id = "01JABC";
  e.number = "+33612345678";
  e.reply_to = "36034";
  e.text = "STOP";
  e.reply_id = "01JREPLY";
  e.at = at;
  s = webhook_body(&e);
  CHECK_STR_EQ(s,
               "{\"event\":\"01JABC-4\",\"type\":\"reply\",\"message_id\":"
               "\"01JABC\",\"from\":\"+33612345678\",\"to\":\"36034\","
               "\"text\":\"STOP\",\"reply_id\":\"01JREPLY\",\"at\":"
               "\"2026-12-05T10:00:00Z\"}",
               "reply body");
  free(s);

  /* retries: 10 s doubling, capped at an hour */
  CHECK_INT_EQ(webhook_backoff(1), 10, "back-off after the 1st failure");
  CHECK_INT_EQ(webhook_backoff(2), 20, "back-off after the 2nd");
  CHECK_INT_EQ(webhook_backoff(3), 40, "back-off after the 3rd");
  CHECK_INT_EQ(webhook_backoff(9), 2560, "back-off after the 9th");
  CHECK_INT_EQ(webhook_backoff(10), 3600, "back-off capped at an hour");
  CHECK_INT_EQ(webhook_backoff(4000000000u), 3600, "and stays there");
  CHECK_INT_EQ(webhook_expired(at, at + 24 * 3600, 24), 0,
               "due exactly at the end of retry_hours: still tried");
  CHECK_INT_EQ(webhook_expired(at, at + 24 * 3600 + 1, 24), 1,
               "due after retry_hours: given up");

  /* Kannel */
  {
    unsigned mask = 0;
    const char *url = NULL;
    CHECK_INT_EQ(webhook_kannel_parse("kannel:31:http://h/x?a=%d", &mask, &url),
                 1, "kannel: callback parsed");
    CHECK_INT_EQ(mask, 31, "kannel: mask");
    CHECK_STR_EQ(url, "http://h/x?a=%d", "kannel: url");
    CHECK_INT_EQ(webhook_kannel_parse("https://app/x", &mask, &url), 0,
                 "a plain URL is no Kannel callback");
    CHECK_INT_EQ(webhook_kannel_parse("kannel:x:http://h", &mask, &url), 0,
                 "kannel: no mask, not one");
  }
  CHECK_INT_EQ(webhook_kannel_type("delivered"), 1, "dlr type delivered 1");
  CHECK_INT_EQ(webhook_kannel_type("undelivered"), 2, "undelivered 2");
  CHECK_INT_EQ(webhook_kannel_type("expired"), 2, "expired 2");
  CHECK_INT_EQ(webhook_kannel_type("queued"), 4, "queued 4");
  CHECK_INT_EQ(webhook_kannel_type("accepted"), 8, "accepted 8");
  CHECK_INT_EQ(webhook_kannel_type("sent"), 8, "sent 8");
  CHECK_INT_EQ(webhook_kannel_type("rejected"), 16, "rejected 16");
  CHECK_INT_EQ(webhook_kannel_type("sending"), 0, "sending: no dlr");

  memset(&e, 0, sizeof e);
  e.kind = "status";
  e.message_id = "01JMSG";
  e.number = "+33612345678";
  e.sender = "0033700000000";
  e.status = "delivered";
  e.provider = "smsmode";
  e.provider_id = "id 1&2";
  e.text = "DELIVRD ok";
  e.at = at;
  s = webhook_kannel_url("http://app/dlr?type=%d&to=%p&from=%P&q=%q&Q=%Q"
                         "&t=%t&T=%T&A=%A&smsc=%i&id=%I&fid=%F&pct=%%&x=%k%",
                         &e);
  CHECK_STR_EQ(s,
               "http://app/dlr?type=1&to=%2B33612345678&from=0033700000000"
               "&q=%2B33612345678&Q=%2B33700000000&t=2026-12-05%2010%3A00%3A00"
               "&T=1796464800&A=DELIVRD%20ok&smsc=smsmode&id=01JMSG"
               "&fid=id%201%262&pct=%&x=%k%",
               "kannel: every code substituted and URL-encoded; unknown "
               "ones and a final % as written");
  free(s);
  e.status = "rejected";
  e.text = NULL;
  e.code = "E42";
  s = webhook_kannel_url("%d:%A", &e);
  CHECK_STR_EQ(s, "16:E42", "kannel: %A falls back to the code");
  free(s);

  /* provider times */
  setenv("TZ", "UTC", 1);
  tzset();
  CHECK_INT_EQ(webhook_provider_time("2026-12-05T10:00:00Z"), at,
               "provider time: RFC 3339 UTC");
  CHECK_INT_EQ(webhook_provider_time("2026-12-05 10:00:00"), at,
               "provider time: local (TZ=UTC here)");
  CHECK_INT_EQ(webhook_provider_time("05122026-100000"), at,
               "provider time: sMsmode's DDMMYYYY-HHMMSS");
  CHECK_INT_EQ(webhook_provider_time("1796464800"), at,
               "provider time: Unix seconds");
  CHECK_INT_EQ(webhook_provider_time("yesterday"), 0,
               "provider time: not one: 0 (now)");
  CHECK_INT_EQ(webhook_provider_time(NULL), 0, "provider time: none");
  CHECK_STR_EQ(webhook_report_status(SMSMUX_STATUS_DELIVERED), "delivered",
               "report status: delivered");
  CHECK_STR_EQ(webhook_report_status(SMSMUX_STATUS_FAILED), "undelivered",
               "report status: failed is undelivered");
  CHECK(webhook_report_status(SMSMUX_STATUS_UNKNOWN) == NULL,
        "report status: unknown says nothing");
  return CHECK_DONE();
}
