/* sim_clever_rest.c - the clever-rest API in smsmux-sim (being written: issue 3). */
#include "sim.h"

#include <stdlib.h>

static void *clever_rest_create(void) { return sim_xmalloc(1); }
static void clever_rest_destroy(void *state) { free(state); }
static void clever_rest_reset(void *state) { (void)state; }
static void clever_rest_handle(void *state, const struct sim_request *req,
                         struct sim_response *resp) {
  (void)state;
  (void)req;
  (void)resp; /* status 0: the core answers 404 */
}

const struct sim_provider sim_clever_rest = {
  .name = "clever-rest",
  .prefix = "/clever-rest/",
  .create = clever_rest_create,
  .destroy = clever_rest_destroy,
  .reset = clever_rest_reset,
  .handle = clever_rest_handle,
};
