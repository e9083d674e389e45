/* A plugin built against the frozen ABI 1.0 header only (see
 * tests/plugins.mk: its include path is tests/abi, not include/), standing
 * for a plugin compiled years ago.  It must keep loading and sending as
 * provider.h grows (tests/sdk.sh).  It reaches into the host table at the
 * 1.0 offsets, from the first service (log) to the last (option), and
 * accepts messages itself: no network. */
#include <provider-1.0.h>

#include <string.h>

#if SMSMUX_ABI_MAJOR != 1 || SMSMUX_ABI_MINOR != 0
#error frozen10 must be built against the frozen ABI 1.0 header
#endif

static int f_open(const smsmux_host *host, smsmux_call *call, void **state) {
  const char *greeting = host->config_get(call, "greeting");
  host->log(call, SMSMUX_LOG_DEBUG, "frozen10 opens (greeting %s)",
            greeting ? greeting : "none");
  *state = (void *)host;
  return 0;
}

static void f_close(void *state) { (void)state; }

/* The id says what the host table gave back, so the test can check that
   each service was reached at its 1.0 place:
   frozen10-<digits of the first number>-<option tag or "none">. */
static int f_send(void *state, smsmux_call *call, const smsmux_message *msg) {
  const smsmux_host *host = state;
  const char *digits = host->number_format(call, msg->to[0], SMSMUX_NUM_DIGITS);
  const char *tag = host->option(call, msg, "tag");
  size_t i;
  if (strcmp(msg->text, "refuse me") == 0)
    return host->fail(call, SMSMUX_ERR_INVALID, "F1",
                      "frozen10 refuses this text");
  host->set_message_id(call, host->strf(call, "frozen10-%s-%s", digits,
                                        tag ? tag : "none"));
  for (i = 0; i < msg->n_to; i++)
    host->add_recipient(call, msg->to[i], SMSMUX_STATUS_ACCEPTED, NULL, "0",
                        NULL);
  return 0;
}

static int f_balance(void *state, smsmux_call *call) {
  const smsmux_host *host = state;
  host->set_balance(call, 42.5, "EUR");
  return 0;
}

static const smsmux_config_key f_keys[] = {
    {"greeting", 0, "any text"}, {"tag", 0, "default tag"}, {NULL, 0, NULL}};

static const smsmux_provider f_desc = {
    .size = sizeof(smsmux_provider), /* the 1.0 size, whatever the host's */
    .abi_major = SMSMUX_ABI_MAJOR,
    .abi_minor = SMSMUX_ABI_MINOR,
    .name = "frozen10",
    .version = "1.0.0",
    .summary = "plugin built against the frozen ABI 1.0 header",
    .capabilities = SMSMUX_CAP_SMS | SMSMUX_CAP_BALANCE,
    .max_recipients = 5,
    .default_base_url = "http://127.0.0.1:9",
    .config_keys = f_keys,
    .open = f_open,
    .close = f_close,
    .send = f_send,
    .balance = f_balance,
};

SMSMUX_PROVIDER_ENTRY_DECL { return &f_desc; }
