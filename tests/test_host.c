/* test_host: the shared parsing helpers of the host table, on the answers
 * printed in the provider documents (Clever FrontalHttpMultimedias pairs
 * with ", » and bare values; AllMySMS "Key=Value" lines). */
#include <config.h>

#include "check.h"
#include "host.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *get(const smsmux_kv *kv, const char *key) {
  for (; kv->key; kv++)
    if (strcmp(kv->key, key) == 0)
      return kv->value;
  return NULL;
}

static void test_pairs(smsmux_call *c) {
  smsmux_kv *kv;
  size_t n;

  /* clever-http-frontal.txt, InfosAccount example answer */
  n = host_table.parse_pairs(
      c,
      "request_status=200&name=\"Clever\"&lastname=\"Tec\"&email=\"support@"
      "clever.fr\"&telephone=\"+33160536053\"&credit=8888&date_creation=\""
      "2017-02-10 09:49:21\"&date_expiration=\"2033-02-10 09:49:21\"&company_"
      "name=\"Clever Technologies - IS\"&address=\"52 rue d'emera\xC3\xAFville\""
      "&zip_code=77183&city=\"Croissy\"&country=\"France\"",
      "&", '=', &kv);
  CHECK_INT_EQ(n, 13, "InfosAccount: 13 pairs");
  CHECK_STR_EQ(get(kv, "request_status"), "200", "bare value");
  CHECK_STR_EQ(get(kv, "name"), "Clever", "\"quoted\" value");
  CHECK_STR_EQ(get(kv, "credit"), "8888", "credit");
  CHECK_STR_EQ(get(kv, "date_creation"), "2017-02-10 09:49:21",
               "quoted value with a space");
  CHECK_STR_EQ(get(kv, "address"), "52 rue d'emera\xC3\xAFville",
               "quoted value with an apostrophe and UTF-8");
  CHECK_STR_EQ(get(kv, "country"), "France", "last pair");

  /* SendPush example answer: values between » » and an empty hd_send */
  n = host_table.parse_pairs(
      c,
      "request_status=201&reference=\xC2\xBBPush20171123173102\xC2\xBB&nb_"
      "destination=2&encodage=3&hd_send=&type_push=\xC2\xBBsms\xC2\xBB&units="
      "14&nb_sms=1&duplicates=0",
      "&", '=', &kv);
  CHECK_INT_EQ(n, 9, "SendPush: 9 pairs");
  CHECK_STR_EQ(get(kv, "reference"), "Push20171123173102", "\xC2\xBB quotes removed");
  CHECK_STR_EQ(get(kv, "hd_send"), "", "empty value");
  CHECK_STR_EQ(get(kv, "type_push"), "sms", "\xC2\xBB quoted word");
  CHECK_STR_EQ(get(kv, "duplicates"), "0", "last bare value");

  /* mixed quotes, and a quoted value holding the separator */
  n = host_table.parse_pairs(c, "a=\xC2\xAB" "x&y\xC2\xBB&b=\"q=1\"", "&", '=',
                             &kv);
  CHECK_INT_EQ(n, 2, "quoted separators: 2 pairs");
  CHECK_STR_EQ(get(kv, "a"), "x&y", "\xC2\xAB...\xC2\xBB keeps an inner &");
  CHECK_STR_EQ(get(kv, "b"), "q=1", "quoted value keeps an inner =");

  /* AllMySMS account answer: one pair a line, CRLF tolerated */
  n = host_table.parse_pairs(c, "Status=100\r\nStatusText= Compte actif\r\n"
                                "Credits=416\r\n",
                             "\n", '=', &kv);
  CHECK_INT_EQ(n, 3, "line pairs: 3");
  CHECK_STR_EQ(get(kv, "StatusText"), "Compte actif", "value trimmed");
  CHECK_STR_EQ(get(kv, "Credits"), "416", "CR removed");

  n = host_table.parse_pairs(c, "", "&", '=', &kv);
  CHECK_INT_EQ(n, 0, "empty text: no pair");
  CHECK(kv[0].key == NULL, "empty text: terminated");
  n = host_table.parse_pairs(c, "<html>oops", "&", '=', &kv);
  CHECK_INT_EQ(n, 1, "garbage: one key without value");
  CHECK_STR_EQ(kv[0].value, "", "garbage: empty value");
  n = host_table.parse_pairs(c, "a=\"unterminated", "&", '=', &kv);
  CHECK_STR_EQ(get(kv, "a"), "unterminated", "unterminated quote: to the end");
}

static void test_split(smsmux_call *c) {
  char **f;
  size_t n = host_table.split(c, "0 | Accept\xC3\xA9 | abc123 ", "|", &f);
  CHECK_INT_EQ(n, 3, "split: 3 fields");
  CHECK_STR_EQ(f[1], "Accept\xC3\xA9", "split: trimmed");
  CHECK(f[3] == NULL, "split: NULL-terminated");
  n = host_table.split(c, "", "|", &f);
  CHECK_INT_EQ(n, 1, "split of \"\": one empty field");
}

static void test_lookup_and_time(smsmux_call *c) {
  static const smsmux_status_map table[] = {
      {"11", SMSMUX_STATUS_DELIVERED, "Re\xC3\xA7u"},
      {"13", SMSMUX_STATUS_SENT, "D\xC3\xA9livr\xC3\xA9 op\xC3\xA9rateur"},
      {NULL, SMSMUX_STATUS_UNKNOWN, NULL}};
  const smsmux_status_map *m = host_table.status_lookup(table, "13");
  CHECK(m && m->status == SMSMUX_STATUS_SENT, "status_lookup finds 13");
  CHECK(host_table.status_lookup(table, "99") == NULL,
        "status_lookup: unknown code gives NULL");
  CHECK(host_table.status_lookup(table, NULL) == NULL, "status_lookup(NULL)");

  setenv("TZ", "UTC0", 1);
  tzset();
  CHECK_STR_EQ(host_table.format_time(c, 1135175700, "%d%m%Y-%H:%M"),
               "21122005-14:35", "format_time in the sMsmode format");
  CHECK_STR_EQ(host_table.format_time(c, 1767225600, "%Y-%m-%d %H:%M:%S"),
               "2026-01-01 00:00:00", "format_time in the Clever format");
  setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
  tzset();
  CHECK_STR_EQ(host_table.format_time(c, 1767225600, "%H:%M"), "01:00",
               "format_time: local time");
  CHECK_STR_EQ(host_table.format_time_utc(c, 1767225600, "%H:%MZ"), "00:00Z",
               "format_time_utc: UTC whatever TZ says");
}

static void test_text(smsmux_call *c) {
  /* an ISO-8859-1 answer that says so, one that does not, and UTF-8 */
  static const char latin1[] = "Le message a \xE9t\xE9 envoy\xE9";
  CHECK_STR_EQ(host_table.decode_text(c, latin1, sizeof latin1 - 1,
                                      "text/plain; charset=ISO-8859-1", NULL),
               "Le message a \xC3\xA9t\xC3\xA9 envoy\xC3\xA9",
               "decode_text: declared charset used");
  CHECK_STR_EQ(host_table.decode_text(c, "Accept\xE9", 7, "text/plain",
                                      "ISO-8859-15"),
               "Accept\xC3\xA9", "decode_text: fallback for non-UTF-8");
  CHECK_STR_EQ(host_table.decode_text(c, "\xA4", 1, NULL, "ISO-8859-15"),
               "\xE2\x82\xAC", "decode_text: ISO-8859-15 euro");
  CHECK_STR_EQ(host_table.decode_text(c, "Re\xC3\xA7u", 5, NULL,
                                      "ISO-8859-15"),
               "Re\xC3\xA7u", "decode_text: valid UTF-8 kept");
  CHECK_STR_EQ(host_table.decode_text(c, "x\xE9", 2,
                                      "text/plain; charset=\"nonsense\"",
                                      "ISO-8859-1"),
               "x\xC3\xA9", "decode_text: unknown declared charset ignored");
  CHECK(host_table.is_utf8("Re\xC3\xA7u", 5), "is_utf8: UTF-8");
  CHECK(!host_table.is_utf8("Re\xE7u", 4), "is_utf8: Latin-1 is not");
  CHECK(!host_table.is_utf8("\xC0\xAF", 2), "is_utf8: overlong refused");

  CHECK_INT_EQ(host_table.http_class(401, 0), SMSMUX_ERR_AUTH, "http_class 401");
  CHECK_INT_EQ(host_table.http_class(402, 1), SMSMUX_ERR_CREDIT, "http_class 402");
  CHECK_INT_EQ(host_table.http_class(409, 1), SMSMUX_ERR_INVALID, "http_class 409");
  CHECK_INT_EQ(host_table.http_class(503, 1), SMSMUX_ERR_TEMPORARY, "http_class 503");
  CHECK_INT_EQ(host_table.http_class(500, 1), SMSMUX_ERR_UNKNOWN_OUTCOME,
               "http_class 500 on a send");
  CHECK_INT_EQ(host_table.http_class(500, 0), SMSMUX_ERR_TEMPORARY,
               "http_class 500 on a read");
}

static void test_options(smsmux_call *c) {
  smsmux_kv opts[] = {{"stop", "1"}, {"STOP", "2"}, {"title", "x"}};
  smsmux_message m;
  memset(&m, 0, sizeof m);
  m.size = sizeof m;
  m.options = opts;
  m.n_options = 3;
  CHECK_STR_EQ(host_table.option(c, &m, "stop"), "2",
               "option: the last --option given wins, any case");
  CHECK_STR_EQ(host_table.option(c, &m, "voice_title"), "Bonjour",
               "option: falls back to the config key");
  CHECK(host_table.option(c, &m, "nothing") == NULL, "option: unset is NULL");
  CHECK(host_table.option(c, NULL, "voice_title") != NULL, "option: msg NULL");
  CHECK_INT_EQ(host_table.parse_bool("Yes"), 1, "parse_bool Yes");
  CHECK_INT_EQ(host_table.parse_bool("off"), 0, "parse_bool off");
  CHECK_INT_EQ(host_table.parse_bool("maybe"), -1, "parse_bool maybe");
}

static void test_helpers_11(smsmux_call *c) {
  static const smsmux_error_map codes[] = {
      {"0", SMSMUX_OK, "Accept\xC3\xA9"},
      {"33", SMSMUX_ERR_CREDIT, "Cr\xC3\xA9" "dits insuffisants"},
      {NULL, SMSMUX_OK, NULL}};
  smsmux_kv params[] = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  unsigned long long v = 0;
  char longer[400];
  const char *e;

  static const char html[] = "<html>\r\n  <b>503</b>\n</html>";
  CHECK_STR_EQ(host_table.excerpt(c, html, sizeof html - 1),
               "<html> <b>503</b> </html>", "excerpt: one line, blanks folded");
  CHECK_STR_EQ(host_table.excerpt(c, "Accept\xE9", 7), "Accept\xC3\xA9",
               "excerpt: Latin-1 bytes become UTF-8");
  memset(longer, 'x', sizeof longer);
  e = host_table.excerpt(c, longer, sizeof longer);
  CHECK_INT_EQ(strlen(e), 123, "excerpt: 120 characters and ...");
  CHECK_STR_EQ(host_table.excerpt(c, "", 0), "", "excerpt: empty body");
  CHECK_INT_EQ(host_table.parse_uint("212", 0, 1000, &v), 0, "parse_uint 212");
  CHECK_INT_EQ(v, 212, "parse_uint value");
  CHECK_INT_EQ(host_table.parse_uint("12.5", 0, 100, &v), -1, "parse_uint 12.5");
  CHECK_INT_EQ(host_table.parse_uint("-1", 0, 100, &v), -1, "parse_uint -1");
  CHECK_INT_EQ(host_table.parse_uint("1001", 0, 1000, &v), -1, "parse_uint over");
  CHECK_INT_EQ(host_table.parse_uint("99999999999999999999999", 0, ~0ULL, &v),
               -1, "parse_uint overflow");
  CHECK_INT_EQ(host_table.parse_uint("", 0, 1, &v), -1, "parse_uint empty");
  CHECK_STR_EQ(host_table.param(params, 3, "a"), "3", "param: last one wins");
  CHECK(host_table.param(params, 3, "c") == NULL, "param: absent");
  CHECK_STR_EQ(host_table.status_name(SMSMUX_STATUS_DELIVERED), "delivered",
               "status_name");
  CHECK(host_table.error_lookup(codes, "33")->cls == SMSMUX_ERR_CREDIT,
        "error_lookup 33");
  CHECK(host_table.error_lookup(codes, "99") == NULL, "error_lookup unknown");
}

static void test_read_file(smsmux_call *c) {
  size_t len = 0;
  const char *data;
  FILE *f = fopen("test_host.tmp", "wb");
  fwrite("a,b\n\xE9\n", 1, 6, f);
  fclose(f);
  data = host_table.read_file(c, "test_host.tmp", &len);
  CHECK_INT_EQ(len, 6, "read_file: 6 bytes");
  CHECK(data && memcmp(data, "a,b\n\xE9\n", 6) == 0, "read_file: bytes kept");
  remove("test_host.tmp");
  data = host_table.read_file(c, "/nonexistent/x.csv", &len);
  CHECK(data == NULL, "read_file: missing file gives NULL");
  CHECK_INT_EQ(c->err.cls, SMSMUX_ERR_INVALID, "read_file: class invalid");
  CHECK(strstr(c->err.message, "/nonexistent/x.csv") != NULL,
        "read_file: error names the file");
}

/* The application decides which files plugins may read. */
static int allow_but_forbidden(void *userdata, const char *path) {
  (void)userdata;
  return strstr(path, "forbidden") == NULL;
}

static void test_read_file_policy(smsmux_call *c) {
  FILE *f = fopen("test_host_forbidden.tmp", "w");
  const char *data;
  size_t len = 0;
  if (f) {
    fputs("secret", f);
    fclose(f);
  }
  c->failed = 0;
  data = host_table.read_file(c, "test_host_forbidden.tmp", &len);
  CHECK(data == NULL, "read_file: a file the policy refuses gives NULL");
  CHECK_INT_EQ(c->err.cls, SMSMUX_ERR_INPUT, "read_file: refusal is input");
  CHECK(strcmp(c->err.code, "file-not-allowed") == 0,
        "read_file: refusal code file-not-allowed");
  remove("test_host_forbidden.tmp");
}

static int fake_send(void *state, smsmux_call *call,
                     const smsmux_message *msg) {
  (void)state, (void)call, (void)msg;
  return 0;
}

/* ABI 1.2 set_limits: only during open, never above the descriptor's
   recipients, capabilities added only where the function exists, limits
   only narrowed, the max_recipients key last; a short struct read up to
   its size. */
static void test_set_limits(instance *inst) {
  smsmux_provider d;
  smsmux_limits l;
  smsmux_call c;
  memset(&d, 0, sizeof d);
  d.size = sizeof d;
  d.capabilities = SMSMUX_CAP_SMS | SMSMUX_CAP_UNICODE;
  d.max_recipients = 100;
  d.max_segments = 5;
  d.send = fake_send;
  inst->desc = &d;
  memset(&l, 0, sizeof l);
  l.size = sizeof l;
  l.max_recipients = 10;

  call_init(&c, inst, CALL_SEND);
  CHECK_INT_EQ(host_table.set_limits(&c, &l), -1, "set_limits: not in send");
  CHECK_INT_EQ(c.err.cls, SMSMUX_ERR_CONFIG, "set_limits outside open: config");
  call_done(&c);

  call_init(&c, inst, CALL_OPEN);
  l.max_recipients = 150;
  CHECK_INT_EQ(host_table.set_limits(&c, &l), -1,
               "set_limits: more recipients than the descriptor refused");
  CHECK(strstr(c.err.message, "above the plugin's own 100") != NULL,
        "set_limits: says the descriptor's limit");
  call_done(&c);

  call_init(&c, inst, CALL_OPEN);
  l.max_recipients = 10;
  l.max_segments = 8;
  l.caps_add = SMSMUX_CAP_SCHEDULE | SMSMUX_CAP_STATUS;
  l.caps_remove = SMSMUX_CAP_UNICODE;
  l.schedule_min_delay = 300;
  l.sender_rules = SMSMUX_SENDER_NO_NUMERIC;
  CHECK_INT_EQ(host_table.set_limits(&c, &l), 0, "set_limits in open: 0");
  CHECK_INT_EQ(inst->max_recipients, 10, "set_limits: recipients lowered");
  CHECK_INT_EQ(inst->max_segments, 5, "set_limits: a wider limit is ignored");
  CHECK(inst->caps & SMSMUX_CAP_SCHEDULE, "set_limits: schedule added");
  CHECK(!(inst->caps & SMSMUX_CAP_STATUS),
        "set_limits: status not added without a status function");
  CHECK(!(inst->caps & SMSMUX_CAP_UNICODE), "set_limits: unicode removed");
  CHECK_INT_EQ(inst->schedule_min_delay, 300, "set_limits: minimum delay");
  CHECK_INT_EQ(inst->sender_rules, SMSMUX_SENDER_NO_NUMERIC,
               "set_limits: sender rules");
  call_done(&c);

  /* the max_recipients key of the instance lowers it further */
  inst->cfg->max_recipients = 4;
  call_init(&c, inst, CALL_OPEN);
  CHECK_INT_EQ(host_table.set_limits(&c, &l), 0, "set_limits with the key");
  CHECK_INT_EQ(inst->max_recipients, 4, "the max_recipients key wins");
  call_done(&c);
  inst->cfg->max_recipients = 0;

  /* a plugin built with a shorter struct: nothing past its size is read */
  call_init(&c, inst, CALL_OPEN);
  l.size = offsetof(smsmux_limits, caps_add);
  l.caps_remove = SMSMUX_CAP_SMS;
  CHECK_INT_EQ(host_table.set_limits(&c, &l), 0, "set_limits: short struct");
  CHECK(inst->caps & SMSMUX_CAP_SMS, "short struct: caps_remove not read");
  CHECK(inst->caps & SMSMUX_CAP_UNICODE, "short struct: caps back to the "
                                         "descriptor's");
  call_done(&c);
  inst->desc = NULL;
}

int main(void) {
  cfg_provider p = {0};
  cfg conf = {0};
  log_sink log;
  instance_env env = {0};
  instance inst = {0};
  smsmux_call c;
  smsmux_kv keys[] = {{"voice_title", "Bonjour"}};
  p.name = "t";
  p.keys = keys;
  p.n_keys = 1;
  conf.default_cc = "33";
  log_sink_init(&log, NULL, NULL, 0);
  env.conf = &conf;
  env.log = &log;
  env.read_file = allow_but_forbidden;
  inst.env = &env;
  inst.cfg = &p;
  call_init(&c, &inst, CALL_OP);
  test_pairs(&c);
  test_split(&c);
  test_lookup_and_time(&c);
  test_text(&c);
  test_options(&c);
  test_helpers_11(&c);
  test_read_file(&c);
  test_read_file_policy(&c);
  call_done(&c);
  test_set_limits(&inst);
  arena_free(&inst.open_mem);
  log_sink_destroy(&log);
  return CHECK_DONE();
}
