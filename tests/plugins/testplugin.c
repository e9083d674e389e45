/* Test plugins for the loader: one source, built several times, each build
 * broken in one way (see tests/plugins.mk).  TP_NAME is the file stem. */
#include <smsmux/provider.h>
#include <stdio.h>
#include <string.h>

#ifndef TP_NAME
#error TP_NAME must name the plugin
#endif

static int tp_open(const smsmux_host *host, smsmux_call *call, void **state) {
  (void)call;
  *state = (void *)host;
  return 0;
}

static void tp_close(void *state) { (void)state; }

/* Accepts every message without any network: these plugins test the ABI,
   not a provider. The id says which plugin took it. */
static int tp_send(void *state, smsmux_call *call, const smsmux_message *msg) {
  const smsmux_host *host = state;
  size_t i;
  host->set_message_id(call, TP_NAME "-1");
  for (i = 0; i < msg->n_to; i++)
    host->add_recipient(call, msg->to[i], SMSMUX_STATUS_ACCEPTED, NULL, NULL,
                        NULL);
  return 0;
}

static const smsmux_config_key tp_keys[] = {{NULL, 0, NULL}};

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
    .max_recipients = 10,
    .max_segments = 3,
    .max_sender_length = 11,
    .default_base_url = "http://127.0.0.1:9",
    .config_keys = tp_keys,
    .operations = NULL,
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
