/*
 * myprovider.c - an example smsmux provider plugin, built out of tree.
 *
 * This is the plugin docs/PLUGINS.md walks through.  It is deliberately
 * small: it sends plain SMS, one recipient per request, to an HTTP API
 * shaped like sMsmode's (the one smsmux-sim simulates, so the tests can
 * send through it for real):
 *
 *   GET <base_url>/sendSMS.do?accessToken=TOKEN&message=TEXT&numero=336...
 *   -> "0 | Accepted | <message id>"  on success
 *   -> "32 | Authentication error"    (or another code) on failure
 *
 * Build it with nothing but the installed SDK (the header, and the helper
 * library linked into the plugin):
 *
 *   cc -shared -fPIC $(pkg-config --cflags smsmux-provider) \
 *      myprovider.c $(pkg-config --libs smsmux-provider) -o myprovider.so
 *
 * then copy myprovider.so into a plugin_dir and configure an instance:
 *
 *   [provider.mine]
 *   plugin = myprovider
 *   base_url = http://127.0.0.1:8080/smsmode/http/1.6
 *   access_token = env:MYPROVIDER_TOKEN
 *
 * Check it with `smsmux plugins --check myprovider.so`.
 *
 * Everything the plugin needs from smsmux (configuration, HTTP, memory,
 * character sets, number formats, results, errors) comes through the
 * `smsmux_host` table given to `open`: a plugin links no libsmsmux and no
 * libcurl of its own, only the small static helper library of the SDK
 * (plugin-helpers.h), which becomes part of the plugin.
 */
#include <smsmux/plugin-helpers.h>
#include <smsmux/provider.h>

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- instance -- */

/* One configured instance ([provider.NAME] section).  smsmux may call
   `send` from several threads at once on one instance: everything here is
   written in `open` and only read afterwards, so no lock is needed. */
typedef struct myprovider {
  const smsmux_host *host; /* the one pointer a plugin may keep */
  const char *token;       /* borrowed from the host until close */
} myprovider;

static int my_open(const smsmux_host *host, smsmux_call *call, void **state) {
  myprovider *p;

  /* This plugin quotes answers with host->excerpt, which ABI 1.1 added:
     refuse, with a message saying so, a host too old to have it (a helper
     of the SDK's library). */
  if (SMSMUX_NEED_HOST(host, call, "myprovider", 1, excerpt) != 0)
    return -1;
  /* The host has already checked that every REQUIRED key is set. */
  p = calloc(1, sizeof *p);
  if (p == NULL)
    return host->fail(call, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
  p->host = host;
  p->token = host->config_get(call, "access_token");
  *state = p;
  return 0;
}

static void my_close(void *state) { free(state); }

/* ------------------------------------------------------------- errors -- */

/* The provider's error codes and what the router should do about them:
   TEMPORARY, AUTH and CREDIT let it try the next provider; INVALID and
   PERMANENT stop it (the message itself is at fault). */
static smsmux_error_class error_class(long code) {
  switch (code) {
  case 31: /* internal error: nothing was accepted */
  case 50: /* temporarily unavailable */
    return SMSMUX_ERR_TEMPORARY;
  case 32:
    return SMSMUX_ERR_AUTH;
  case 33:
    return SMSMUX_ERR_CREDIT;
  case 35:
    return SMSMUX_ERR_INVALID;
  default:
    return SMSMUX_ERR_PERMANENT;
  }
}

/* --------------------------------------------------------------- send -- */

static int my_send(void *state, smsmux_call *call, const smsmux_message *msg) {
  myprovider *p = state;
  const smsmux_host *h = p->host;
  smsmux_http_request req;
  smsmux_http_response resp;
  smsmux_kv query[3];
  const char *text, *number;
  char **fields;
  size_t n;
  long code;
  char *end;

  /* msg->to holds E.164 numbers (+336...); this API wants 336... */
  number = h->number_format(call, msg->to[0], SMSMUX_NUM_DIGITS);
  /* The API reads ISO-8859-15; characters it cannot hold become '?'.
     Memory from the host (text, number, the answer) is released by the
     host when this call returns: never free() it. */
  text = h->to_charset(call, msg->text, "ISO-8859-15", NULL);
  if (text == NULL)
    return -1; /* to_charset already recorded the failure */

  query[0].key = "accessToken";
  query[0].value = p->token;
  query[1].key = "message";
  query[1].value = text;
  query[2].key = "numero";
  query[2].value = number;

  /* Zero the request, then set `size`: members a newer header adds stay 0
     (= their default), which is how the ABI grows without breaking us. */
  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.method = SMSMUX_HTTP_GET;
  req.path = "/sendSMS.do"; /* appended to the instance's base_url */
  req.query = query;
  req.n_query = 3;
  memset(&resp, 0, sizeof resp);
  resp.size = sizeof resp;

  /* The host adds base_url, timeout, TLS checks and redacts the token in
     --verbose traces (it is a SECRET key).  -1 means no answer came: the
     host has already recorded TEMPORARY (nothing sent) or
     UNKNOWN_OUTCOME (the request may have been received). */
  if (h->http(call, &req, &resp) != 0)
    return -1;
  if (resp.status != 200)
    return h->fail_http(call, &resp, 1); /* standard HTTP status mapping */

  /* "code | text | id", trimmed fields in call memory */
  n = h->split(call, resp.body, "|", &fields);
  code = strtol(fields[0], &end, 10);
  if (fields[0][0] == '\0' || *end != '\0')
    /* a send whose answer we cannot read may still have been accepted */
    return h->fail(call, SMSMUX_ERR_UNKNOWN_OUTCOME, NULL,
                   "unreadable answer from the provider: %s",
                   h->excerpt(call, resp.body, resp.body_len));
  if (code != 0)
    return h->fail(call, error_class(code), fields[0],
                   "the provider refused the message: %s %s", fields[0],
                   n > 1 ? fields[1] : "");
  if (n < 3 || fields[2][0] == '\0')
    return h->fail(call, SMSMUX_ERR_UNKNOWN_OUTCOME, NULL,
                   "the provider accepted the message but gave no id");

  /* Results go through the host's sinks, which copy. */
  h->set_message_id(call, fields[2]);
  h->add_recipient(call, msg->to[0], SMSMUX_STATUS_ACCEPTED, NULL, fields[0],
                   NULL);
  return 0;
}

/* --------------------------------------------------------- descriptor -- */

/* Keys of the [provider.NAME] section besides the host's own (plugin,
   base_url, timeout, cost, ...).  A SECRET key is redacted in traces and
   its file must be mode 0600; `env:NAME` reads it from the environment. */
static const smsmux_config_key my_keys[] = {
    {"access_token", SMSMUX_KEY_REQUIRED | SMSMUX_KEY_SECRET,
     "API token of the account"},
    {NULL, 0, NULL}};

static const smsmux_provider my_provider = {
    .size = sizeof(smsmux_provider), /* what this header's struct holds */
    .abi_major = SMSMUX_ABI_MAJOR,
    .abi_minor = SMSMUX_ABI_MINOR,
    .name = "myprovider", /* must equal the file name: myprovider.so */
    .version = "0.1.0",
    .summary = "example plugin (an sMsmode-like HTTP API)",
    .capabilities = SMSMUX_CAP_SMS, /* plain GSM-7 SMS only */
    .max_recipients = 1,            /* smsmux splits bigger sends */
    .max_text_length = 0,           /* no limit of its own */
    .max_segments = 0,
    .max_sender_length = 0,
    .default_base_url = "https://api.example.com/sms",
    .config_keys = my_keys,
    .operations = NULL, /* nothing for `smsmux call` */
    .open = my_open,
    .close = my_close,
    .send = my_send,
    /* status, balance, replies, cancel, call: not offered (their
       capability bits are not set, so the host never calls them) */
};

/* The one exported symbol. */
SMSMUX_PROVIDER_ENTRY_DECL { return &my_provider; }
