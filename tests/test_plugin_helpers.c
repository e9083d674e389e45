/* test_plugin_helpers: the plugin helper library (sdk/,
 * include/smsmux/plugin-helpers.h) against a host table of this test's
 * own, as a plugin sees it: the ABI check with hosts of other sizes and
 * majors, and the JSON helpers on answers as providers write them. */
#include <smsmux/plugin-helpers.h>

#include "check.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ the fake host -- */

static char failed_msg[512];
static smsmux_error_class failed_cls;
static unsigned n_fail;

static int fake_fail(smsmux_call *call, smsmux_error_class cls,
                     const char *code, const char *fmt, ...)
    SMSMUX_PRINTF(4, 5);
static int fake_fail(smsmux_call *call, smsmux_error_class cls,
                     const char *code, const char *fmt, ...) {
  va_list ap;

  (void)call;
  (void)code;
  n_fail++;
  failed_cls = cls;
  va_start(ap, fmt);
  vsnprintf(failed_msg, sizeof failed_msg, fmt, ap);
  va_end(ap);
  return -1;
}

/* call memory: a few strings kept until the end of the test */
static char *kept[64];
static size_t n_kept;

static char *fake_strf(smsmux_call *call, const char *fmt, ...)
    SMSMUX_PRINTF(2, 3);
static char *fake_strf(smsmux_call *call, const char *fmt, ...) {
  va_list ap;
  char *s;

  (void)call;
  if (n_kept == sizeof kept / sizeof kept[0])
    return NULL;
  s = malloc(256);
  if (s == NULL)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(s, 256, fmt, ap);
  va_end(ap);
  kept[n_kept++] = s;
  return s;
}

static smsmux_host host;

static void host_reset(size_t size, unsigned major, unsigned minor) {
  memset(&host, 0, sizeof host);
  host.size = size;
  host.abi_major = major;
  host.abi_minor = minor;
  host.fail = fake_fail;
  host.strf = fake_strf;
  n_fail = 0;
  failed_msg[0] = '\0';
}

/* ------------------------------------------------------ the ABI check -- */

static void test_need_host(void) {
  /* the 1.0 table ends with the member before excerpt, the first of 1.1 */
  size_t size_1_0 = offsetof(smsmux_host, excerpt);

  host_reset(sizeof host, SMSMUX_ABI_MAJOR, SMSMUX_ABI_MINOR);
  CHECK_INT_EQ(SMSMUX_NEED_HOST(&host, NULL, "demo", 1, error_lookup), 0,
               "need_host: this smsmux's host has error_lookup");
  CHECK_INT_EQ(n_fail, 0, "need_host: nothing failed");

  host_reset(size_1_0, SMSMUX_ABI_MAJOR, 0);
  CHECK_INT_EQ(SMSMUX_NEED_HOST(&host, NULL, "demo", 1, error_lookup), -1,
               "need_host: a 1.0 host lacks error_lookup");
  CHECK_INT_EQ(n_fail, 1, "need_host: the 1.0 host's fail says why");
  CHECK_INT_EQ(failed_cls, SMSMUX_ERR_SYSTEM, "need_host: class system");
  CHECK_STR_EQ(failed_msg,
               "the demo plugin needs a host of ABI 1.1 or later (it calls "
               "error_lookup), this host offers 1.0: upgrade smsmux",
               "need_host: the message names the plugin, member and ABIs");
  CHECK_INT_EQ(SMSMUX_NEED_HOST(&host, NULL, "demo", 0, number_format), 0,
               "need_host: a 1.0 host has the 1.0 member number_format");

  host_reset(sizeof host, SMSMUX_ABI_MAJOR + 1, 0);
  CHECK_INT_EQ(SMSMUX_NEED_HOST(&host, NULL, "demo", 0, log), -1,
               "need_host: another major is refused");
  CHECK_STR_EQ(failed_msg,
               "the demo plugin is built for ABI 1, this host offers 2.0: "
               "rebuild the plugin against this smsmux's SDK",
               "need_host: another major: rebuild");

  host_reset(offsetof(smsmux_host, fail), SMSMUX_ABI_MAJOR, 0);
  CHECK_INT_EQ(SMSMUX_NEED_HOST(&host, NULL, "demo", 0, log), -1,
               "need_host: a table without fail is refused");
  CHECK_INT_EQ(n_fail, 0, "need_host: ... without calling past its end");
  CHECK_INT_EQ(smsmux_need_host(NULL, NULL, "demo", 0, 0, "log"), -1,
               "need_host: no host at all");
}

/* ------------------------------------------------------------- JSON -- */

static json_object *parse(const char *s) {
  return smsmux_json_parse(s, strlen(s));
}

static void test_json_parse(void) {
  static const char nul_inside[] = "{\"id\":7}\0{";
  smsmux_http_response resp;
  json_object *o;

  CHECK(parse("") == NULL, "parse: empty is no JSON");
  CHECK(smsmux_json_parse(NULL, 3) == NULL, "parse: NULL text");
  CHECK(parse("<html>busy</html>") == NULL, "parse: HTML is no JSON");
  CHECK(parse("{\"id\":") == NULL, "parse: an answer cut short");
  CHECK(smsmux_json_parse("{\"id\":7}", 5) == NULL,
        "parse: only len bytes are read");
  o = parse("{\"id\":7} trailing");
  CHECK(o != NULL && json_object_is_type(o, json_type_object),
        "parse: what follows a complete value is ignored");
  json_object_put(o);
  o = smsmux_json_parse(nul_inside, sizeof nul_inside - 1);
  CHECK(o != NULL, "parse: a NUL after the value ends it");
  json_object_put(o);

  memset(&resp, 0, sizeof resp);
  resp.size = sizeof resp;
  resp.status = 200;
  resp.body = "[1,2]";
  resp.body_len = 5;
  o = smsmux_json_parse_body(&resp);
  CHECK(o != NULL && json_object_is_type(o, json_type_array) &&
            json_object_array_length(o) == 2,
        "parse_body: the body's array");
  json_object_put(o);
  resp.body = NULL;
  resp.body_len = 0;
  CHECK(smsmux_json_parse_body(&resp) == NULL, "parse_body: no body");
}

static void test_json_members(void) {
  json_object *o = parse("{\"id\":\"A1\",\"n\":12,\"s\":\"34\",\"f\":1.5,"
                         "\"ok\":true,\"nil\":null,\"obj\":{\"a\":1},"
                         "\"list\":[1],\"bad\":\"x\"}");
  json_object *arr = parse("[{\"id\":1}]");

  CHECK(o != NULL, "members: the document parses");
  CHECK(smsmux_json_member(o, "obj") != NULL, "member: an object member");
  CHECK(smsmux_json_member(o, "nil") == NULL, "member: null is absent");
  CHECK(smsmux_json_member(o, "none") == NULL, "member: absent");
  CHECK(smsmux_json_member(arr, "id") == NULL, "member: of an array");
  CHECK(smsmux_json_member(NULL, "id") == NULL, "member: of nothing");

  CHECK_STR_EQ(smsmux_json_text(&host, NULL, o, "id"), "A1", "text: string");
  CHECK_STR_EQ(smsmux_json_text(&host, NULL, o, "n"), "12", "text: integer");
  CHECK_STR_EQ(smsmux_json_text(&host, NULL, o, "f"), "1.5", "text: number");
  CHECK_STR_EQ(smsmux_json_text(&host, NULL, o, "ok"), "true",
               "text: boolean");
  CHECK(smsmux_json_text(&host, NULL, o, "nil") == NULL, "text: null");
  CHECK(smsmux_json_text(&host, NULL, o, "obj") == NULL, "text: an object");
  CHECK(smsmux_json_text(&host, NULL, o, "list") == NULL, "text: an array");
  CHECK(smsmux_json_text(&host, NULL, o, "none") == NULL, "text: absent");
  CHECK(smsmux_json_scalar(&host, NULL, NULL) == NULL, "scalar: nothing");

  CHECK_INT_EQ(smsmux_json_long(o, "n", -1), 12, "long: a number");
  CHECK_INT_EQ(smsmux_json_long(o, "s", -1), 34, "long: a string of digits");
  CHECK_INT_EQ(smsmux_json_long(o, "f", -1), 1, "long: a fraction is cut");
  CHECK_INT_EQ(smsmux_json_long(o, "bad", -1), 0, "long: other text is 0");
  CHECK_INT_EQ(smsmux_json_long(o, "nil", -1), -1, "long: null: default");
  CHECK_INT_EQ(smsmux_json_long(o, "none", -1), -1, "long: absent: default");
  json_object_put(o);
  json_object_put(arr);
}

static void test_json_body_text(void) {
  static const char *const names[] = {"message", "error", NULL};
  smsmux_http_response resp;

  memset(&resp, 0, sizeof resp);
  resp.size = sizeof resp;
  resp.status = 401;
  resp.body = "{\"error\":\"bad token\",\"code\":7}";
  resp.body_len = strlen(resp.body);
  CHECK_STR_EQ(smsmux_json_body_text(&host, NULL, &resp, names), "bad token",
               "body_text: the second name when the first is absent");
  resp.body = "{\"message\":{\"fr\":\"non\"},\"error\":\"E12\"}";
  resp.body_len = strlen(resp.body);
  CHECK_STR_EQ(smsmux_json_body_text(&host, NULL, &resp, names), "E12",
               "body_text: a member that is no scalar is passed over");
  resp.body = "{\"message\":\"Quota\",\"error\":\"E12\"}";
  resp.body_len = strlen(resp.body);
  CHECK_STR_EQ(smsmux_json_body_text(&host, NULL, &resp, names), "Quota",
               "body_text: the first name first");
  resp.body = "Service Unavailable";
  resp.body_len = strlen(resp.body);
  CHECK(smsmux_json_body_text(&host, NULL, &resp, names) == NULL,
        "body_text: a body that is no JSON");
  resp.body = "[\"message\"]";
  resp.body_len = strlen(resp.body);
  CHECK(smsmux_json_body_text(&host, NULL, &resp, names) == NULL,
        "body_text: a body that is no object");
}

static void test_json_dump(void) {
  json_object *o =
      parse("{ \"url\" : \"https://x.example/a\", \"n\" : [1, 2] }");

  CHECK_STR_EQ(smsmux_json_dump(&host, NULL, o),
               "{\"url\":\"https://x.example/a\",\"n\":[1,2]}",
               "dump: compact, slashes as they are");
  CHECK(json_object_get_type(o) == json_type_object,
        "dump: the object is still the caller's");
  json_object_put(o);
  CHECK_STR_EQ(smsmux_json_dump(&host, NULL, NULL), "null", "dump: NULL");
}

int main(void) {
  size_t i;

  test_need_host();
  host_reset(sizeof host, SMSMUX_ABI_MAJOR, SMSMUX_ABI_MINOR);
  test_json_parse();
  test_json_members();
  test_json_body_text();
  test_json_dump();
  for (i = 0; i < n_kept; i++)
    free(kept[i]);
  return CHECK_DONE();
}
