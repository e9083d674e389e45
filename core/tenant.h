/* tenant: tenants over the store (issue 14): the checks and the charge of
 * a tenant's submit (enabled, sender, route, rate, units), the admin
 * functions of smsmux.h (add, update, credit, keys, usage, ledger) and key
 * authentication.  The queue calls tenant_submit_check before it records
 * a message; the store reserves the units in the same transaction. */
#ifndef SMSMUX_TENANT_H
#define SMSMUX_TENANT_H

#include "engine.h"

/** What a tenant's message is charged (owned strings). */
typedef struct tenant_charge {
  char *tenant;        /* NULL: the operator, nothing charged */
  int64_t unit_price;  /* units per recipient */
  char *refund_on;     /* the plan's refund list, or NULL */
  char *callback_url;  /* the tenant's default callback, or NULL */
  int64_t low_balance; /* its threshold (0: none) */
} tenant_charge;

void tenant_charge_clear(tenant_charge *c);

/** For `tenant` ("" or NULL: the operator: nothing to check, c->tenant
    NULL): the tenant exists and is enabled, may use req->from and the
    route the message takes, is within its rate (one token per message);
    the units per recipient on its plan.  0, or -1 with err (the codes of
    smsmux_submit). */
int tenant_submit_check(struct smsmux *sm, const char *tenant,
                        const smsmux_send_request *req,
                        const engine_checked *ck, tenant_charge *c,
                        smsmux_error *err);

/** The submit of c's message found the balance short (the store put
    nothing): err CREDIT "insufficient-units" with the balance. */
void tenant_short_error(struct smsmux *sm, const tenant_charge *c,
                        size_t n_rcpts, smsmux_error *err);

/** After a charge: the low-balance event when the balance went below the
    tenant's threshold with this charge of `spent` units. */
void tenant_after_charge(struct smsmux *sm, const tenant_charge *c,
                         int64_t spent);

/** The units per recipient of a message of `tenant` (its current plan):
    for message documents read back.  The operator: segments. */
int64_t tenant_unit_price(struct smsmux *sm, const char *tenant,
                          smsmux_kind kind, unsigned segments,
                          const char *number);

/** Free the handle's token buckets (smsmux_close). */
void tenant_state_free(struct smsmux *sm);

#endif
