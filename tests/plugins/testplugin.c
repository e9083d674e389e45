/* Test plugins for the loader: one source, built several times, each build
 * broken in one way (see tests/plugins.mk).  TP_NAME is the file stem. */
#include <smsmux/provider.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TP_NAME
#error TP_NAME must name the plugin
#endif

/* Every build: a constructor that leaves a mark when asked to, so a test
   can tell whether the host let the plugin's code run at all (it must not
   for a plugin it refuses before loading: another owner, a writable
   directory, a symbol defined nowhere). */
__attribute__((constructor)) static void tp_constructor(void) {
  const char *mark = getenv("SMSMUX_TEST_CONSTRUCTOR_MARK");
  FILE *f = mark ? fopen(mark, "a") : NULL;
  if (f) {
    fputs(TP_NAME "\n", f);
    fclose(f);
  }
}

#ifdef TP_UNRESOLVED
/* Defined nowhere, and called only from send: with lazy binding the plugin
   loads, passes a check, and the first send dies ("symbol lookup error"). */
extern int smsmux_test_defined_nowhere(void);
#endif

#ifdef TP_EXTRA_EXPORTS
/* Exported besides the entry point: docs/ABI.md allows that one alone. */
SMSMUX_EXPORT int tp_exported_helper(void);
SMSMUX_EXPORT int tp_exported_helper(void) { return 1; }
SMSMUX_EXPORT int tp_exported_table[2] = {1, 2};
#endif

static int tp_open(const smsmux_host *host, smsmux_call *call, void **state) {
  /* SMSMUX_TEST_OPEN_MARK: a line per open, so a test sees which
     instances a command opened */
  const char *mark = getenv("SMSMUX_TEST_OPEN_MARK");
  FILE *f = mark ? fopen(mark, "a") : NULL;
  (void)call;
  if (f) {
    fputs("open\n", f);
    fclose(f);
  }
  *state = (void *)host;
#ifdef TP_LIMITS
  {
    /* ABI 1.2: two recipients per send, scheduling 600 s ahead or more
       (a capability the descriptor does not declare) */
    smsmux_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.size = sizeof lim;
    lim.max_recipients = 2;
    lim.caps_add = SMSMUX_CAP_SCHEDULE;
    lim.schedule_min_delay = 600;
    if (host->set_limits(call, &lim) != 0)
      return -1;
  }
#endif
  return 0;
}

/* The numbers a send reported accepted, one line each, and a line per
   send ("send N"), to $SMSMUX_TEST_SENT_LOG when set: what "the provider
   received" (tests/partial.sh). */
static void tp_sent_log(const char *line) {
  const char *path = getenv("SMSMUX_TEST_SENT_LOG");
  FILE *f = path ? fopen(path, "a") : NULL;
  if (f) {
    fprintf(f, "%s\n", line);
    fclose(f);
  }
}

static void tp_close(void *state) { (void)state; }

/* Accepts every message without any network: these plugins test the ABI,
   not a provider. The id says which plugin took it. */
static int tp_send(void *state, smsmux_call *call, const smsmux_message *msg) {
  const smsmux_host *host = state;
  size_t i;
#ifdef TP_UNRESOLVED
  if (smsmux_test_defined_nowhere())
    return -1;
#endif
  {
    char line[64];
    snprintf(line, sizeof line, "send %zu", msg->n_to);
    tp_sent_log(line);
  }
#ifdef TP_PARTIAL
  /* "not this provider" (ABI 1.2) for a text asking for it */
  if (strncmp(msg->text, "unsuitable", 10) == 0)
    return host->fail(call, SMSMUX_ERR_UNSUITABLE, NULL,
                      "this test provider does not take such texts");
  /* a send of two requests whose second one fails: the first recipient
     was accepted, with its id, the others nothing */
  if (msg->n_to >= 2) {
    host->add_recipient(call, msg->to[0], SMSMUX_STATUS_ACCEPTED,
                        "partial-first", NULL, NULL);
    tp_sent_log(msg->to[0]);
    return host->fail(call, SMSMUX_ERR_TEMPORARY, "503",
                      "the second request answered HTTP 503");
  }
#endif
  host->set_message_id(call, TP_NAME "-1");
  for (i = 0; i < msg->n_to; i++) {
    host->add_recipient(call, msg->to[i], SMSMUX_STATUS_ACCEPTED, NULL, NULL,
                        NULL);
    tp_sent_log(msg->to[i]);
  }
  return 0;
}

#ifdef TP_BAD_KEYS
/* an uppercase key, and one declared twice */
static const smsmux_config_key tp_keys[] = {{"Login", 0, "not lowercase"},
                                            {"token", 0, "first"},
                                            {"token", 0, "twice"},
                                            {NULL, 0, NULL}};
#else
static const smsmux_config_key tp_keys[] = {{NULL, 0, NULL}};
#endif

#ifdef TP_BAD_OPS
/* one thing wrong per line */
static const char *const tp_p_ok[] = {"id", "page?", NULL};
static const char *const tp_p_empty[] = {"id", "", NULL};
static const char *const tp_p_mark[] = {"opt?ional", NULL};
static const char *const tp_p_twice[] = {"id", "id?", NULL};
static const smsmux_operation tp_ops[] = {
    {"list", "fine", tp_p_ok},
    {"", "no name", NULL},
    {"list", "declared twice", NULL},
    {"empty-param", "empty parameter name", tp_p_empty},
    {"mid-mark", "'?' inside a name", tp_p_mark},
    {"twice", "parameter twice", tp_p_twice},
    {NULL, NULL, NULL}};

static int tp_call(void *state, smsmux_call *call, const char *op,
                   const smsmux_kv *params, size_t n_params) {
  (void)state, (void)call, (void)op, (void)params, (void)n_params;
  return 0;
}
#endif

static const smsmux_provider tp_desc = {
#ifdef TP_OLDER_MINOR
    /* As a plugin built for an older minor sees the struct: it ends at
       `send`; the host must treat everything after as absent. */
    .size = SMSMUX_PROVIDER_MIN_SIZE,
#else
    .size = sizeof(smsmux_provider),
#endif
#ifdef TP_ABI_MAJOR
    .abi_major = TP_ABI_MAJOR,
#else
    .abi_major = SMSMUX_ABI_MAJOR,
#endif
    .abi_minor = 0,
#ifdef TP_DECLARED_NAME
    .name = TP_DECLARED_NAME,
#else
    .name = TP_NAME,
#endif
    .version = "0.0.1",
    .summary = "loader test plugin",
#ifdef TP_MISSING_FUNCS
    /* claims status and balance but provides neither */
    .capabilities = SMSMUX_CAP_SMS | SMSMUX_CAP_STATUS | SMSMUX_CAP_BALANCE,
#else
    .capabilities = SMSMUX_CAP_SMS | SMSMUX_CAP_ALPHA_SENDER,
#endif
#ifdef TP_BAD_KEYS
    .max_recipients = 0,
    .default_base_url = "ftp://127.0.0.1/",
#else
    .max_recipients = 10,
    .default_base_url = "http://127.0.0.1:9",
#endif
    .max_segments = 3,
    .max_sender_length = 11,
    .config_keys = tp_keys,
#ifdef TP_BAD_OPS
    .operations = tp_ops,
    .call = tp_call,
#else
    .operations = NULL,
#endif
    .open = tp_open,
    .close = tp_close,
    .send = tp_send,
#ifdef TP_OLDER_MINOR
    /* present in the binary, but beyond the declared size: never used */
    .status = NULL,
#endif
};

#ifdef TP_NO_ENTRY
SMSMUX_EXPORT const smsmux_provider *not_the_entry(void);
SMSMUX_EXPORT const smsmux_provider *not_the_entry(void) { return &tp_desc; }
#else
SMSMUX_PROVIDER_ENTRY_DECL {
#ifdef TP_NULL_ENTRY
  (void)&tp_desc; /* built, but the entry refuses to hand it out */
  return NULL;
#else
  return &tp_desc;
#endif
}
#endif
