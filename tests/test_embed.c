/* test_embed: libsmsmux inside an application that uses libcurl and
 * libxml2 itself.  The application initialises both, opens and closes
 * smsmux twice (sending a message each time, through the simulator), and
 * must then still make its own curl request and parse XML: the library
 * tore down nothing process-wide.  Usage: test_embed CONFIG SIM_URL. */
#include <config.h>

#include "check.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <smsmux/smsmux.h>
#include <stdlib.h>
#include <string.h>

static size_t count_bytes(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  *(size_t *)ud += size * n;
  return size * n;
}

/* The application's own request: the simulator's request log. */
static long app_curl_get(const char *url, size_t *bytes) {
  CURL *h = curl_easy_init();
  long status = 0;
  *bytes = 0;
  if (!h)
    return -1;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_bytes);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, bytes);
  if (curl_easy_perform(h) == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(h);
  return status;
}

/* The application's own XML. */
static int app_parse_xml(void) {
  static const char xml[] = "<?xml version=\"1.0\"?><a><b>x</b></a>";
  xmlDocPtr doc = xmlReadMemory(xml, sizeof xml - 1, "app.xml", NULL,
                                XML_PARSE_NONET);
  int ok = doc && xmlDocGetRootElement(doc) &&
           strcmp((const char *)xmlDocGetRootElement(doc)->name, "a") == 0;
  xmlFreeDoc(doc);
  return ok;
}

/* An input callback the application registers with libxml2 for "app://"
   documents: xmlCleanupParser would drop it (it clears every registered
   input callback), so it proves nobody cleaned libxml2 up behind the
   application's back. */
static const char app_doc[] = "<?xml version=\"1.0\"?><app>ok</app>";
static size_t app_pos;
static int app_match(const char *uri) { return strncmp(uri, "app://", 6) == 0; }
static void *app_open(const char *uri) {
  (void)uri;
  app_pos = 0;
  return (void *)app_doc;
}
static int app_read(void *ctx, char *buf, int len) {
  size_t left = sizeof app_doc - 1 - app_pos;
  size_t n = (size_t)len < left ? (size_t)len : left;
  (void)ctx;
  memcpy(buf, app_doc + app_pos, n);
  app_pos += n;
  return (int)n;
}
static int app_close(void *ctx) {
  (void)ctx;
  return 0;
}

static int app_read_own_scheme(void) {
  xmlDocPtr doc = xmlReadFile("app://doc", NULL, XML_PARSE_NONET |
                                                     XML_PARSE_NOERROR |
                                                     XML_PARSE_NOWARNING);
  int ok = doc && xmlDocGetRootElement(doc) &&
           strcmp((const char *)xmlDocGetRootElement(doc)->name, "app") == 0;
  xmlFreeDoc(doc);
  return ok;
}

static int logged;
static void on_log(void *ud, smsmux_log_level level, const char *line) {
  (void)ud;
  (void)level;
  (void)line;
  logged++;
}

static void open_send_close(const char *config, int round) {
  smsmux_options opts;
  smsmux_error err;
  smsmux *sm;
  smsmux_send_request req;
  smsmux_send_result *r;
  const char *to[] = {"0612345678"};
  char name[64];

  memset(&opts, 0, sizeof opts);
  memset(&err, 0, sizeof err);
  opts.size = sizeof opts;
  opts.log = on_log;
  sm = smsmux_open(config, &opts, &err);
  snprintf(name, sizeof name, "round %d: smsmux_open", round);
  CHECK(sm != NULL, name);
  if (!sm) {
    printf("# %s\n", err.message);
    return;
  }
  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.kind = SMSMUX_KIND_SMS;
  req.text = "Bonjour";
  req.to = to;
  req.n_to = 1;
  r = smsmux_send(sm, &req);
  snprintf(name, sizeof name, "round %d: the message is accepted", round);
  CHECK(r && r->error.cls == SMSMUX_OK && r->n_recipients == 1, name);
  smsmux_send_result_free(r);
  smsmux_close(sm);
}

int main(int argc, char **argv) {
  char url[512];
  size_t bytes = 0;

  if (argc != 3) {
    fprintf(stderr, "usage: test_embed CONFIG SIM_URL\n");
    return 2;
  }
  /* the application's own set-up, before smsmux */
  CHECK(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK,
        "application: curl_global_init");
  xmlInitParser();
  CHECK(xmlRegisterInputCallbacks(app_match, app_open, app_read, app_close) >=
            0,
        "application: registers its own libxml2 input callbacks");
  CHECK(app_parse_xml(), "application: XML parsed before smsmux");
  CHECK(app_read_own_scheme(), "application: app:// read before smsmux");

  open_send_close(argv[1], 1);
  open_send_close(argv[1], 2);

  /* after two closes, the application's libraries still work */
  snprintf(url, sizeof url, "%s/_sim/requests?provider=smsmode", argv[2]);
  CHECK_INT_EQ(app_curl_get(url, &bytes), 200,
               "application: its own curl request after smsmux_close");
  CHECK(bytes > 2, "application: the answer has a body");
  CHECK(app_parse_xml(), "application: XML parsed after smsmux_close");
  CHECK(app_read_own_scheme(),
        "application: its libxml2 input callbacks survive smsmux_close");

  xmlCleanupParser();
  curl_global_cleanup();
  return CHECK_DONE();
}
