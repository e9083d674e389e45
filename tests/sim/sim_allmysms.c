/* sim_allmysms.c - the allmysms API in smsmux-sim (being written: issue 3). */
#include "sim.h"

#include <stdlib.h>

static void *allmysms_create(void) { return sim_xmalloc(1); }
static void allmysms_destroy(void *state) { free(state); }
static void allmysms_reset(void *state) { (void)state; }
static void allmysms_handle(void *state, const struct sim_request *req,
                         struct sim_response *resp) {
  (void)state;
  (void)req;
  (void)resp; /* status 0: the core answers 404 */
}

const struct sim_provider sim_allmysms = {
  .name = "allmysms",
  .prefix = "/allmysms/",
  .create = allmysms_create,
  .destroy = allmysms_destroy,
  .reset = allmysms_reset,
  .handle = allmysms_handle,
};
