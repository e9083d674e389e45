/* sim_mediasflow.c - the mediasflow API in smsmux-sim (being written: issue 3). */
#include "sim.h"

#include <stdlib.h>

static void *mediasflow_create(void) { return sim_xmalloc(1); }
static void mediasflow_destroy(void *state) { free(state); }
static void mediasflow_reset(void *state) { (void)state; }
static void mediasflow_handle(void *state, const struct sim_request *req,
                         struct sim_response *resp) {
  (void)state;
  (void)req;
  (void)resp; /* status 0: the core answers 404 */
}

const struct sim_provider sim_mediasflow = {
  .name = "mediasflow",
  .prefix = "/mediasflow/",
  .create = mediasflow_create,
  .destroy = mediasflow_destroy,
  .reset = mediasflow_reset,
  .handle = mediasflow_handle,
};
