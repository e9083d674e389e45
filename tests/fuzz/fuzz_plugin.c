/* fuzz_plugin: a libFuzzer target for the answer parsing of the one
 * provider plugin compiled into the same program (plugins/NAME/NAME.c).
 *
 * The plugin runs against the real host table (core/host.c: sinks,
 * split, parse_pairs, charsets, number formats, fail_http...), copied into
 * a local table whose `http` takes each answer from the fuzz input instead
 * of the network.  Response headers come from the input too; they are
 * stored on the call the way core/http.c stores them, so the table's own
 * `http_header` looks them up.  Calls, instances and configuration are the
 * core's own structs, built here as smsmux_open would build them.
 *
 * Input layout (docs/fuzzing.md):
 *   byte 0  operation: value % 6 = send, status, balance, replies, cancel,
 *           call (an operation the plugin lacks: nothing runs)
 *   byte 1  variant bits, per operation (see run_* below)
 *   byte 2  extra bits: send: which --option values are given; call:
 *           which optional parameters are given (see run_send, run_call)
 *   then one answer per HTTP request the plugin makes, in order:
 *     2 bytes  HTTP status, big-endian; 0-49: transport failure before
 *              anything was sent, 50-99: failure after sending (timeout)
 *     1 byte   H, then H bytes of "Name: value" header lines
 *     2 bytes  B, big-endian, then B body bytes (fewer if the input ends)
 *   When the input runs out, a request fails as a refused connection.
 *
 * Each input opens the instance, runs one operation, closes the instance
 * and frees everything: under ASan a leak or a stray pointer in a plugin's
 * error path is a finding like any crash.  The plugin contract is checked
 * too: an operation returns 0 or -1, and -1 only after host->fail. */
#include <config.h>

#include "fuzz.h"
#include "host.h"
#include "redact.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum fuzz_operation {
  OP_SEND,
  OP_STATUS,
  OP_BALANCE,
  OP_REPLIES,
  OP_CANCEL,
  OP_CALL,
  OP_COUNT
};

/* The two recipients of every send, E.164 as the core hands them over. */
static const char *const fuzz_to[] = {"+33612345678", "+33698765432"};

static const char fuzz_text_gsm[] =
    "Bonjour Maman, RDV 10h [salle 2] 5\xE2\x82\xAC";
static const char fuzz_text_ucs2[] =
    "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xF0\x9F\x91\x8B "
    "\xC3\xA7"
    "a va ?";

/* ------------------------------------------------------- input cursor -- */

static const uint8_t *in_p;
static size_t in_left;

static unsigned take_byte(void) {
  if (in_left == 0)
    return 0;
  in_left--;
  return *in_p++;
}

static unsigned take_u16(void) {
  unsigned hi = take_byte();
  return hi << 8 | take_byte();
}

/* Up to n bytes of the input; *got says how many there were. */
static const uint8_t *take_bytes(size_t n, size_t *got) {
  const uint8_t *p = in_p;
  if (n > in_left)
    n = in_left;
  in_p += n;
  in_left -= n;
  *got = n;
  return p;
}

/* --------------------------------------------------------- fuzz http -- */

static volatile size_t touched; /* keeps the reads below from vanishing */

/* Read every byte the plugin handed over, so that ASan sees a request
   built from freed or too-short memory. */
static void touch(const void *p, size_t n) {
  const unsigned char *b = p;
  size_t i, sum = 0;
  for (i = 0; b && i < n; i++)
    sum += b[i];
  touched += sum;
}

static void touch_str(const char *s) {
  if (s)
    touch(s, strlen(s));
}

static void touch_kv(const smsmux_kv *kv, size_t n) {
  size_t i;
  for (i = 0; kv && i < n; i++) {
    touch_str(kv[i].key);
    touch_str(kv[i].value);
  }
}

static void touch_request(const smsmux_http_request *req) {
  size_t i;
  touch_str(req->path);
  touch_kv(req->query, req->n_query);
  switch (req->body_kind) {
  case SMSMUX_BODY_FORM:
    touch_kv(req->form, req->n_form);
    break;
  case SMSMUX_BODY_MULTIPART:
    for (i = 0; req->parts && i < req->n_parts; i++) {
      touch_str(req->parts[i].name);
      touch(req->parts[i].data, req->parts[i].len);
      touch_str(req->parts[i].filename);
      touch_str(req->parts[i].content_type);
    }
    break;
  case SMSMUX_BODY_RAW:
    touch(req->body, req->body_len);
    touch_str(req->content_type);
    break;
  default:
    break;
  }
  for (i = 0; req->headers && i < req->n_headers; i++)
    touch_str(req->headers[i]);
  touch_str(req->user);
  touch_str(req->password);
  touch_str(req->bearer);
}

/* Store "Name: value" lines as the call's last response headers, the way
   core/http.c's header callback does. */
static void store_headers(smsmux_call *call, const uint8_t *p, size_t n) {
  char *block = arena_strndup(&call->mem, (const char *)p, n);
  char *line = block;
  call->n_headers = 0;
  while (line && *line) {
    char *end = strchr(line, '\n'), *colon;
    if (end)
      *end = '\0';
    colon = strchr(line, ':');
    if (colon) {
      call_header *h =
          VEC_PUSH(call->headers, call->n_headers, call->cap_headers);
      *colon = '\0';
      h->name = str_trim(line);
      h->value = str_trim(colon + 1);
    }
    line = end ? end + 1 : NULL;
  }
}

static int fuzz_http(smsmux_call *call, const smsmux_http_request *req,
                     smsmux_http_response *resp) {
  const char *const *secret_params = NULL;
  const uint8_t *p;
  size_t n;
  unsigned status;
  char *safe;

  if (!req || !resp || req->size < offsetof(smsmux_http_request, bearer))
    return host_table.fail(call, SMSMUX_ERR_SYSTEM, NULL,
                           "plugin passed a malformed HTTP request");
  if (SMSMUX_HAS_MEMBER(req, smsmux_http_request, secret_params))
    secret_params = req->secret_params;
  touch_request(req);
  safe = host_redact(call->inst, req->path, secret_params);
  free(safe);

  call->n_headers = 0;
  if (in_left == 0)
    return host_table.fail(call, SMSMUX_ERR_TEMPORARY, "connect",
                           "connection refused (no answer left in the input)");
  status = take_u16();
  p = take_bytes(take_byte(), &n);
  store_headers(call, p, n);
  p = take_bytes(take_u16(), &n);
  if (status < 50)
    return host_table.fail(call, SMSMUX_ERR_TEMPORARY, "connect",
                           "connection refused");
  if (status < 100)
    return host_table.fail(call,
                           call->kind == CALL_SEND ? SMSMUX_ERR_UNKNOWN_OUTCOME
                                                   : SMSMUX_ERR_TEMPORARY,
                           "timeout", "timed out after sending");

  resp->status = (long)status;
  resp->body = arena_strndup(&call->mem, (const char *)p, n);
  resp->body_len = n;
  if (SMSMUX_HAS_MEMBER(resp, smsmux_http_response, content_type))
    resp->content_type = host_table.http_header(call, "content-type");
  /* what the --verbose trace of an answer does */
  safe = host_redact(call->inst, resp->body, secret_params);
  free(safe);
  return 0;
}

/* ---------------------------------------------------------- instance -- */

/* SMSMUX_FUZZ_VERBOSE set: say what each input did, on stderr (to check
   that a seed reaches the code it was written for). */
static int verbose;

static void log_line(void *userdata, smsmux_log_level level, const char *line) {
  (void)userdata;
  touch_str(line);
  if (verbose)
    fprintf(stderr, "fuzz: log %d: %s\n", (int)level, line);
}

/* A plausible value for configuration key `name`, or NULL to leave it
   unset (optional keys keep their defaults: a made-up value there would
   only make open refuse the instance). */
static const char *config_value(const smsmux_config_key *k) {
  const char *n = k->name;
  if (strstr(n, "pass") || strstr(n, "pwd") || strstr(n, "secret"))
    return "s3cretPassw0rd";
  if (strstr(n, "token") || strstr(n, "key"))
    return "Ab1CD2efg3HiTokenValue";
  if (strstr(n, "login") || strstr(n, "user") || strstr(n, "code") ||
      strstr(n, "account"))
    return "fuzzlogin";
  if (!(k->flags & SMSMUX_KEY_REQUIRED))
    return NULL;
  if (strstr(n, "url"))
    return "http://127.0.0.1:9/callback";
  if (strstr(n, "path"))
    return "/auth";
  return "fuzz";
}

/* Plugins whose keys describe the whole API (generic-http) get a fixed
   configuration instead of config_value's guesses: one open accepts, whose
   answers go through every kind of extractor (json: with and without a
   list, pairs:, field:, regex:, header:, body) and of condition (status:,
   regex:, =, !=, LO..HI, =~, on lists too), per-recipient lists, and
   status records per element. */
typedef struct fuzz_key {
  const char *plugin, *key, *value;
} fuzz_key;

static const fuzz_key fuzz_keys[] = {
    {"generic-http", "login", "fuzzlogin"},
    {"generic-http", "password", "s3cretPassw0rd"},
    {"generic-http", "auth", "basic"},
    {"generic-http", "headers", "X-Api: ${login} & X-Cfg: ${cfg:base_url}"},
    {"generic-http", "send_url", "/send"},
    {"generic-http", "send_body", "json"},
    {"generic-http", "send_params",
     "msg.text=${text} & msg.to=${to_list} & msg.from=${sender} & "
     "msg.at=${at_utc:%Y-%m-%dT%H:%M:%SZ} & msg.ref=${ref} & "
     "msg.parts:number=${segments} & msg.enc:number=${encoding} & "
     "msg.stop=${option:stop}"},
    {"generic-http", "send_query", "n=${count}"},
    {"generic-http", "recipients_separator", ";"},
    {"generic-http", "max_recipients", "2"},
    {"generic-http", "numbers_format", "00"},
    {"generic-http", "encoding_values", "0,8"},
    {"generic-http", "default_sender", "Fuzz"},
    {"generic-http", "sender_format", "numbers"},
    {"generic-http", "success_status", "200-202"},
    {"generic-http", "id_from", "json:/results/*/id"},
    {"generic-http", "code_from", "json:/results/*/code"},
    {"generic-http", "error_text_from", "regex:error=([^&]*)"},
    {"generic-http", "auth_when", "status:401,403 || json:/error=~^(auth|login)"},
    {"generic-http", "credit_when", "pairs:Status=103 || field:1=33"},
    {"generic-http", "invalid_when",
     "json:/results/*/code=20..29 || header:X-Invalid"},
    {"generic-http", "temporary_when",
     "regex:^(31|50) *\\| || body=~busy || status:429"},
    {"generic-http", "permanent_when",
     "json:/results/*/code!=0 || pairs:Status!=100 || field:2=..-1"},
    {"generic-http", "send_balance_from", "pairs:Credits"},
    {"generic-http", "send_price_from", "header:X-Price"},
    {"generic-http", "balance_url", "/balance"},
    {"generic-http", "balance_from", "field:2"},
    {"generic-http", "status_url", "/status/${id}"},
    {"generic-http", "status_from", "json:/deliveries/*/status"},
    {"generic-http", "status_to", "json:/deliveries/*/to"},
    {"generic-http", "status_at", "json:/deliveries/*/at"},
    {"generic-http", "status_map", "0:sent, 1:delivered, 2:undelivered"},
    {NULL, NULL, NULL}};

/* 1 when plugin `name` has a fixed configuration; then *v is its value for
   `key` (NULL: unset). */
static int fixed_value(const char *name, const char *key, const char **v) {
  const fuzz_key *f;
  int fixed = 0;
  *v = NULL;
  for (f = fuzz_keys; f->plugin; f++)
    if (strcmp(f->plugin, name) == 0) {
      fixed = 1;
      if (strcmp(f->key, key) == 0)
        *v = f->value;
    }
  return fixed;
}

typedef struct fuzz_env {
  const smsmux_provider *desc;
  smsmux_host host;
  cfg config;
  cfg_provider provider;
  log_sink log;
  instance_env ienv;
  instance inst;
  char csv_path[64];
} fuzz_env;

static fuzz_env env;

static void remove_csv(void) {
  if (env.csv_path[0])
    unlink(env.csv_path);
}

/* A small CSV for operations that upload a file (batch sends, lists). */
static void make_csv(void) {
  static const char csv[] = "numero;prenom;message\n"
                            "+33612345678;Jean;Bonjour Jean\n"
                            "0698765432;Zo\xC3\xA9;Bonjour Zo\xC3\xA9\n";
  const char *dir = getenv("TMPDIR");
  int fd;
  snprintf(env.csv_path, sizeof env.csv_path, "%s/smsmux-fuzz-XXXXXX",
           dir && *dir && strlen(dir) < 40 ? dir : "/tmp");
  fd = mkstemp(env.csv_path);
  if (fd < 0) {
    env.csv_path[0] = '\0';
    return;
  }
  if (write(fd, csv, sizeof csv - 1) != (ssize_t)(sizeof csv - 1))
    env.csv_path[0] = '\0';
  close(fd);
  atexit(remove_csv);
}

static int allow_any_file(void *userdata, const char *path) {
  (void)userdata;
  (void)path;
  return 1;
}

/* Build, once, what smsmux_open builds for one [provider.fuzz] section. */
static void env_init(void) {
  const smsmux_config_key *k;
  size_t n = 0, n_secrets = 0;

  env.desc = smsmux_provider_entry();
  verbose = getenv("SMSMUX_FUZZ_VERBOSE") != NULL;
  env.host = host_table;
  env.host.http = fuzz_http;

  env.config.path = "fuzz.ini";
  env.config.timeout = 15;
  env.config.default_cc = "33";

  for (k = env.desc->config_keys; k && k->name; k++)
    n++;
  env.provider.keys = calloc(n + 1, sizeof *env.provider.keys);
  env.provider.key_literal = calloc(n + 1, sizeof *env.provider.key_literal);
  env.inst.secrets = calloc(n + 1, sizeof *env.inst.secrets);
  for (k = env.desc->config_keys; k && k->name; k++) {
    const char *v;
    if (!fixed_value(env.desc->name, k->name, &v))
      v = config_value(k);
    if (!v)
      continue;
    env.provider.keys[env.provider.n_keys].key = k->name;
    env.provider.keys[env.provider.n_keys].value = v;
    env.provider.key_literal[env.provider.n_keys++] = 1;
    if (k->flags & SMSMUX_KEY_SECRET)
      env.inst.secrets[n_secrets++] = (char *)v;
  }
  env.provider.name = "fuzz";
  env.provider.plugin = (char *)env.desc->name;
  env.provider.credit_per_segment = 1;
  env.provider.enabled = 1;
  env.provider.timeout = 15;
  env.config.providers = &env.provider;
  env.config.n_providers = 1;

  /* verbose: format and redact every debug line */
  log_sink_init(&env.log, log_line, NULL, 1);
  env.ienv.conf = &env.config;
  env.ienv.log = &env.log;
  env.ienv.read_file = allow_any_file; /* the CSV below */

  env.inst.env = &env.ienv;
  env.inst.cfg = &env.provider;
  env.inst.desc = env.desc;
  env.inst.base_url =
      (char *)(env.desc->default_base_url ? env.desc->default_base_url
                                          : "http://127.0.0.1:9/fuzz");
  make_csv();
}

/* The plugin contract: 0, or -1 after host->fail. */
static void check_contract(const smsmux_call *call, int rc, const char *op) {
  if (rc != 0 && rc != -1) {
    fprintf(stderr, "fuzz: %s %s returned %d (not 0 or -1)\n", env.desc->name,
            op, rc);
    abort();
  }
  if (rc == -1 && !call->failed) {
    fprintf(stderr, "fuzz: %s %s returned -1 without host->fail\n",
            env.desc->name, op);
    abort();
  }
}

/* ---------------------------------------------------------- operations -- */

/* variant: bit 0 unicode text, 1 scheduled, 2 sender ID, 3 MMS (plugins
   with the mms capability) or voice (with voice) instead of SMS, 4 long
   text (3 parts), 5 one recipient, 6 client reference; bits 6-7 pick the
   MMS media: 0-1 image, 2 video, 3 sound and image.  A plugin without the
   sms capability always gets its other kind.  extra: bit i adds the i-th
   --option of send_options (each known to one plugin at least; plugins
   ignore the keys they do not know). */
static const smsmux_kv send_options[8] = {
    {"stop", "1"},
    {"reply", "yes"},
    {"notification_url", "http://127.0.0.1:9/dlr"},
    {"startNow", "false"},
    {"duplicates", "1"},
    {"typeSelect", "NOTIFICATION"},
    {"voice", "vocal"},
    {"mail_notif", "yes"}};

static int run_send(smsmux_call *call, unsigned variant, unsigned extra) {
  smsmux_kv options[8];
  size_t n_options = 0;
  uint32_t caps = env.desc->capabilities;
  smsmux_message m;
  msg_text_info info;
  char err[256], *text;
  const char *base = variant & 1 ? fuzz_text_ucs2 : fuzz_text_gsm;
  size_t i, reps = variant & 16 ? 12 : 1;
  int rc;

  text = calloc(reps, strlen(base) + 1);
  for (i = 0; i < reps; i++)
    strcat(text, base);
  memset(&m, 0, sizeof m);
  m.size = sizeof m;
  m.kind = SMSMUX_KIND_SMS;
  if ((variant & 8) || !(caps & SMSMUX_CAP_SMS)) {
    if (caps & SMSMUX_CAP_MMS)
      m.kind = SMSMUX_KIND_MMS;
    else if (caps & SMSMUX_CAP_VOICE)
      m.kind = SMSMUX_KIND_VOICE;
  }
  m.text = text;
  msg_text_analyse(text, &info, err, sizeof err);
  m.encoding = info.encoding;
  m.segments = info.segments;
  m.text_units = info.units;
  m.to = fuzz_to;
  m.n_to = variant & 32 ? 1 : 2;
  m.from = variant & 4 ? "Smsmux" : NULL;
  m.at = variant & 2 ? (int64_t)time(NULL) + 2 * 86400 : 0;
  m.ref = variant & 64 ? "ref-42" : NULL;
  for (i = 0; i < 8; i++)
    if (extra & (1u << i))
      options[n_options++] = send_options[i];
  m.options = n_options ? options : NULL;
  m.n_options = n_options;
  if (m.kind == SMSMUX_KIND_MMS) {
    m.subject = "Fuzz";
    switch (variant >> 6 & 3) {
    case 2:
      m.video_url = "http://example.com/clip.3gp";
      m.duration = 12;
      break;
    case 3:
      m.audio_url = "http://example.com/sound.amr";
      m.duration = 8;
      m.image_url = "http://example.com/photo.jpg";
      break;
    default:
      m.image_url = "http://example.com/photo.jpg";
      break;
    }
  }
  rc = env.desc->send(env.inst.state, call, &m);
  free(text);
  return rc;
}

/* variant % 3: which message id is asked about */
static const char *fuzz_id(unsigned variant) {
  static const char *const ids[] = {"12345678", "Push20171123173102",
                                    "a1b2c3d4-e5f6-7890-abcd-ef0123456789"};
  return ids[variant % 3];
}

/* variant: bit 0 replies to one message, 1 a page, 2 a date range */
static int run_replies(smsmux_call *call, unsigned variant) {
  smsmux_reply_query q;
  int64_t now = (int64_t)time(NULL);
  memset(&q, 0, sizeof q);
  q.size = sizeof q;
  q.id = variant & 1 ? "12345678" : NULL;
  if (variant & 2) {
    q.start = 1;
    q.count = 10;
  }
  if (variant & 4) {
    q.since = now - 7 * 86400;
    q.until = now;
  }
  return env.desc->replies(env.inst.state, call, &q);
}

/* `word` (lowercase) appears in `name`, whatever the case of `name`. */
static int contains_word(const char *name, const char *word) {
  size_t n = strlen(word);
  for (; *name; name++)
    if (strncasecmp(name, word, n) == 0)
      return 1;
  return 0;
}

/* `name` is one of `names`, whatever the case. */
static int name_is(const char *name, const char *const *names) {
  for (; *names; names++)
    if (strcasecmp(name, *names) == 0)
      return 1;
  return 0;
}

static int name_has(const char *name, const char *const *words) {
  for (; *words; words++)
    if (contains_word(name, *words))
      return 1;
  return 0;
}

/* A date in one of the formats the provider documents use (style % 4),
   `days` from now: periods asked about lie in the past, send times in
   the future. */
static const char *date_value(int days, unsigned style) {
  static char buf[2][32];
  static int which;
  time_t t = time(NULL) + (time_t)days * 86400;
  struct tm tm;
  char *out = buf[which++ % 2];
  size_t n = 0;
  if (localtime_r(&t, &tm)) {
    switch (style % 4) {
    case 0:
      n = strftime(out, sizeof buf[0], "%Y-%m-%d %H:%M:%S", &tm);
      break;
    case 1:
      n = strftime(out, sizeof buf[0], "%d%m%Y-%H:%M", &tm);
      break;
    case 2:
      n = strftime(out, sizeof buf[0], "%Y-%m-%d", &tm);
      break;
    default:
      n = strftime(out, sizeof buf[0], "%Y-%m-%dT%H:%M:%SZ", &tm);
      break;
    }
  }
  if (n == 0)
    strcpy(out, "2030-01-01");
  return out;
}

/* A plausible value for operation parameter `name`; `style` picks one of
   the date formats. */
static const char *param_value(const char *name, unsigned style) {
  static const char *const file[] = {"file", "fichier", "csv", NULL};
  static const char *const date[] = {"date", "time", "heure", "hd_", NULL};
  static const char *const number[] = {"mobile",    "numero", "number", "phone",
                                       "telephone", "msisdn", "gsm",    "fax",
                                       "dest",      "item",   NULL};
  static const char *const mail[] = {"mail", NULL};
  static const char *const url[] = {"url", NULL};
  static const char *const amount[] = {"amount", "credit",  "nbr", "count",
                                       "offset", "quantit", "nb_", "limit",
                                       "page",   "start",   NULL};
  static const char *const id[] = {"id", "ref", NULL};
  static const char *const pass[] = {"pass", "pwd", NULL};
  static const char *const object[] = {"datas", "json", NULL};
  static const char *const flag[] = {"duplicate", "tag", "cascade", "all_",
                                     NULL};
  static const char *const period_start[] = {"from", "since", "startDate",
                                             "start_date", NULL};
  static const char *const period_end[] = {"to", "until", "endDate", "end_date",
                                           NULL};
  if (name_is(name, period_start))
    return date_value(-3, style);
  if (name_is(name, period_end))
    return date_value(-1, style);
  if (name_has(name, file))
    return env.csv_path;
  if (name_has(name, object))
    return "{\"city\": \"Torcy\"}";
  if (name_has(name, flag))
    return "1";
  if (name_has(name, date))
    return date_value(2, style);
  if (name_has(name, number))
    return "+33612345678";
  if (name_has(name, mail))
    return "fuzz@example.com";
  if (name_has(name, url))
    return "http://127.0.0.1:9/callback";
  if (name_has(name, amount))
    return "2";
  if (name_has(name, pass))
    return "n3wPassw0rd";
  if (name_has(name, id))
    return "12345678";
  if (contains_word(name, "class"))
    return "2";
  return "fuzz";
}

/* variant % (number of operations): which one; extra: bit i (0-6) gives
   the i-th optional parameter, bit 7 all the others; variant >> 4: the
   date format. */
static int run_call(smsmux_call *call, unsigned variant, unsigned extra) {
  const smsmux_operation *op;
  smsmux_kv params[32];
  char names[32][64];
  size_t n_ops = 0, n = 0, optional = 0;
  const char *const *pp;

  for (op = env.desc->operations; op && op->name; op++)
    n_ops++;
  if (n_ops == 0 || !env.desc->call)
    return 0;
  op = &env.desc->operations[variant % n_ops];
  for (pp = op->params; pp && *pp && n < 32; pp++) {
    size_t len = strlen(*pp);
    if (len > 0 && (*pp)[len - 1] == '?') {
      unsigned bit = optional < 7 ? optional : 7;
      optional++;
      if (!(extra & (1u << bit)))
        continue;
      len--;
    }
    snprintf(names[n], sizeof names[n], "%.*s", (int)len, *pp);
    params[n].key = names[n];
    params[n].value = param_value(names[n], variant >> 4);
    n++;
  }
  return env.desc->call(env.inst.state, call, op->name, params, n);
}

static void report(const smsmux_call *c, const char *op, int rc) {
  size_t i;
  fprintf(stderr, "fuzz: %s: rc %d", op, rc);
  if (c->failed)
    fprintf(stderr, ", error %s [%s]: %s", smsmux_error_class_name(c->err.cls),
            c->err.code, c->err.message);
  fprintf(stderr, "\n");
  if (c->message_id)
    fprintf(stderr, "fuzz:   message id %s\n", c->message_id);
  for (i = 0; i < c->n_recipients; i++)
    fprintf(stderr, "fuzz:   recipient %s %s\n", c->recipients[i].to,
            smsmux_status_name(c->recipients[i].status));
  for (i = 0; i < c->n_statuses; i++)
    fprintf(stderr, "fuzz:   status %s %s (%s)\n",
            c->statuses[i].to ? c->statuses[i].to : "-",
            smsmux_status_name(c->statuses[i].status),
            c->statuses[i].code ? c->statuses[i].code : "");
  for (i = 0; i < c->n_replies; i++)
    fprintf(stderr, "fuzz:   reply from %s: %s\n",
            c->replies[i].from ? c->replies[i].from : "-",
            c->replies[i].text ? c->replies[i].text : "");
  if (c->has_balance)
    fprintf(stderr, "fuzz:   balance %g\n", c->balance);
  for (i = 0; i < c->n_records; i++)
    fprintf(stderr, "fuzz:   record with %zu fields\n", c->records[i].n_fields);
}

static int run(int operation, unsigned variant, unsigned extra) {
  static const call_kind kinds[OP_COUNT] = {
      CALL_SEND, CALL_STATUS, CALL_BALANCE, CALL_REPLIES, CALL_CANCEL, CALL_OP};
  static const char *const names[OP_COUNT] = {"send",    "status", "balance",
                                              "replies", "cancel", "call"};
  const smsmux_provider *d = env.desc;
  smsmux_call call;
  int rc;

  call_init(&call, &env.inst, kinds[operation]);
  switch (operation) {
  case OP_SEND:
    rc = d->send ? run_send(&call, variant, extra) : 0;
    break;
  case OP_STATUS:
    rc = d->status ? d->status(env.inst.state, &call, fuzz_id(variant)) : 0;
    break;
  case OP_BALANCE:
    rc = d->balance ? d->balance(env.inst.state, &call) : 0;
    break;
  case OP_REPLIES:
    rc = d->replies ? run_replies(&call, variant) : 0;
    break;
  case OP_CANCEL:
    rc = d->cancel ? d->cancel(env.inst.state, &call, fuzz_id(variant)) : 0;
    break;
  default:
    rc = run_call(&call, variant, extra);
    break;
  }
  check_contract(&call, rc, names[operation]);
  call_settle(&call, rc);
  if (verbose)
    report(&call, names[operation], rc);
  call_done(&call);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  smsmux_call call;
  unsigned operation, variant, extra;
  int rc, opened;

  if (!env.desc)
    env_init();
  in_p = data;
  in_left = size;
  operation = take_byte() % OP_COUNT;
  variant = take_byte();
  extra = take_byte();

  call_init(&call, &env.inst, CALL_OPEN);
  rc = env.desc->open(&env.host, &call, &env.inst.state);
  check_contract(&call, rc, "open");
  call_settle(&call, rc);
  opened = !call.failed;
  call_done(&call);
  if (opened) {
    run((int)operation, variant, extra);
    if (env.desc->close)
      env.desc->close(env.inst.state);
  }
  env.inst.state = NULL;
  arena_free(&env.inst.open_mem);
  return 0;
}
