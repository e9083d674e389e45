/* Unit tests for core/result_json.c: the JSON documents of the results,
   as text, built from hand-made results (linked against the library). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "check.h"

#include <smsmux/smsmux.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compare and free. */
static void check_json(char *got, const char *want, const char *name) {
  CHECK_STR_EQ(got, want, name);
  free(got);
}

static void test_error(void) {
  smsmux_error err;

  memset(&err, 0, sizeof err);
  err.cls = SMSMUX_ERR_INPUT;
  check_json(smsmux_error_json(&err),
             "{\"error\":{\"class\":\"input\",\"code\":null,"
             "\"message\":\"input\"}}",
             "error: no code is null, no message is the class name");
  snprintf(err.code, sizeof err.code, "32");
  snprintf(err.message, sizeof err.message, "a \"quoted\" /path");
  check_json(smsmux_error_object_json(&err),
             "{\"class\":\"input\",\"code\":\"32\","
             "\"message\":\"a \\\"quoted\\\" /path\"}",
             "error object: code, escapes, no \\/");
}

static void test_send(void) {
  smsmux_recipient_result rc = {"+33611111111", SMSMUX_STATUS_REJECTED, NULL,
                                "p1", "12", "bad number"};
  smsmux_attempt at[3] = {
      {"pb", 0, SMSMUX_ERR_TEMPORARY, "circuit-breaker",
       "circuit breaker open for 60 s more (3 failures in a row)", 1},
      {"p0", 0, SMSMUX_ERR_AUTH, "32", "p0: refused", 0},
      {"p1", 1, SMSMUX_OK, NULL, NULL, 0}};
  smsmux_recipient_result failed = {"+33622222222", SMSMUX_STATUS_FAILED,
                                    NULL, "p0", NULL, "p0: HTTP 503"};
  smsmux_send_result r;

  memset(&r, 0, sizeof r);
  r.provider = "p1";
  r.route = "(default)";
  r.encoding = SMSMUX_ENC_UCS2;
  r.segments = 2;
  r.cost = 0.135;
  r.recipients = &rc;
  r.n_recipients = 1;
  r.attempts = at + 1;
  r.n_attempts = 2;
  check_json(
      smsmux_send_result_json(&r),
      "{\"provider\":\"p1\",\"id\":null,\"route\":\"(default)\","
      "\"encoding\":\"ucs2\",\"segments\":2,\"cost\":0.135,"
      "\"duplicate\":false,\"possibly_sent\":false,\"recipients\":[{\"to\":"
      "\"+33611111111\",\"status\":\"rejected\",\"id\":null,\"provider\":"
      "\"p1\",\"code\":\"12\",\"text\":\"bad number\"}],\"attempts\":[{"
      "\"provider\":\"p0\",\"result\":\"failed\",\"class\":\"auth\",\"code\":"
      "\"32\",\"message\":\"p0: refused\"},{\"provider\":\"p1\",\"result\":"
      "\"ok\",\"class\":\"ok\",\"code\":null,\"message\":null}]}",
      "send: every key in order, nulls, cost as 0.135");

  /* a breaker skip is {"provider","result":"skipped","reason"}; a
     recipient nothing was accepted for is "failed" */
  r.recipients = &failed;
  r.attempts = at;
  r.n_attempts = 1;
  check_json(
      smsmux_send_result_json(&r),
      "{\"provider\":\"p1\",\"id\":null,\"route\":\"(default)\","
      "\"encoding\":\"ucs2\",\"segments\":2,\"cost\":0.135,"
      "\"duplicate\":false,\"possibly_sent\":false,\"recipients\":[{\"to\":"
      "\"+33622222222\",\"status\":\"failed\",\"id\":null,\"provider\":"
      "\"p0\",\"code\":null,\"text\":\"p0: HTTP 503\"}],\"attempts\":[{"
      "\"provider\":\"pb\",\"result\":\"skipped\",\"reason\":\"circuit "
      "breaker open for 60 s more (3 failures in a row)\"}]}",
      "send: a skipped attempt and a failed recipient");
  r.recipients = &rc;

  r.n_recipients = 0;
  r.n_attempts = 0;
  r.cost = NAN;
  r.possibly_sent = 1;
  r.error.cls = SMSMUX_ERR_UNKNOWN_OUTCOME;
  snprintf(r.error.message, sizeof r.error.message, "timeout");
  check_json(smsmux_batch_item_json(&r, 7),
             "{\"provider\":\"p1\",\"id\":null,\"route\":\"(default)\","
             "\"encoding\":\"ucs2\",\"segments\":2,\"cost\":null,"
             "\"duplicate\":false,\"possibly_sent\":true,\"recipients\":[],"
             "\"attempts\":[],\"error\":{\"class\":\"unknown_outcome\","
             "\"code\":null,\"message\":\"timeout\"},\"line\":7}",
             "batch item: error, then line; a cost that is not finite is null");
}

static void test_summary(void) {
  smsmux_batch_provider_count p = {"smsmode", 3, 1, 0};
  smsmux_batch_summary s;

  memset(&s, 0, sizeof s);
  s.rows = 4;
  s.sent = 3;
  s.refused = 1;
  s.sends = 2;
  s.requests = 2;
  s.seconds = 0.5;
  s.providers = &p;
  s.n_providers = 1;
  check_json(smsmux_batch_summary_json(&s),
             "{\"rows\":4,\"sent\":3,\"refused\":1,\"failed\":1,"
             "\"unknown\":0,\"duplicate\":0,\"not_sent\":0,\"sends\":2,"
             "\"requests\":2,\"seconds\":0.5,\"providers\":{\"smsmode\":"
             "{\"sent\":3,\"refused\":1,\"unknown\":0}}}",
             "batch summary");
}

static void test_others(void) {
  char *ops[] = {"users(page?)"};
  smsmux_provider_info info;
  smsmux_provider_list l = {&info, 1};
  smsmux_error err;
  smsmux_kv fields[2] = {{"id", "42"}, {"name", NULL}};
  smsmux_record rec = {fields, 2};
  smsmux_call_result call;
  smsmux_credit_entry ce[2];
  smsmux_credit_result credit;

  memset(&info, 0, sizeof info);
  info.name = "smsmode";
  info.plugin = "smsmode";
  info.abi_major = 1;
  info.abi_minor = 1;
  info.capabilities = SMSMUX_CAP_SMS | SMSMUX_CAP_BALANCE | (1u << 31);
  info.enabled = 1;
  info.operations = ops;
  info.n_operations = 1;
  check_json(smsmux_provider_list_json("providers", &l),
             "{\"providers\":[{\"name\":\"smsmode\",\"plugin\":\"smsmode\","
             "\"path\":null,\"version\":null,\"abi\":\"1.1\",\"capabilities\":"
             "[\"sms\",\"balance\",\"bit31\"],\"enabled\":true,\"loaded\":"
             "false,\"error\":null,\"operations\":[\"users(page?)\"]}]}",
             "provider list: abi, capabilities with an unnamed bit");

  memset(&err, 0, sizeof err);
  check_json(smsmux_cancel_json("p", "X1", &err),
             "{\"provider\":\"p\",\"id\":\"X1\",\"cancelled\":true}",
             "cancel: done");

  memset(&call, 0, sizeof call);
  call.provider = "p";
  call.op = "users";
  call.records = &rec;
  call.n_records = 1;
  check_json(smsmux_call_result_json(&call),
             "{\"provider\":\"p\",\"op\":\"users\",\"records\":[{\"id\":"
             "\"42\",\"name\":null}]}",
             "call: records as objects");

  memset(ce, 0, sizeof ce);
  memset(&credit, 0, sizeof credit);
  ce[0].provider = "a";
  ce[0].ok = 1;
  ce[0].credit = 12.5;
  ce[0].unit = "EUR";
  ce[1].provider = "b";
  ce[1].error.cls = SMSMUX_ERR_AUTH;
  snprintf(ce[1].error.message, sizeof ce[1].error.message, "b: refused");
  credit.entries = ce;
  credit.n_entries = 2;
  check_json(smsmux_credit_result_json(&credit),
             "{\"credits\":[{\"provider\":\"a\",\"credit\":12.5,\"unit\":"
             "\"EUR\"},{\"provider\":\"b\",\"error\":{\"class\":\"auth\","
             "\"code\":null,\"message\":\"b: refused\"}}]}",
             "credit: an entry that failed carries its error");
}

int main(void) {
  test_error();
  test_send();
  test_summary();
  test_others();
  return CHECK_DONE();
}
