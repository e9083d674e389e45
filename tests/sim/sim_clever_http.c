/* sim_clever_http.c - the clever-http API in smsmux-sim (being written: issue 3). */
#include "sim.h"

#include <stdlib.h>

static void *clever_http_create(void) { return sim_xmalloc(1); }
static void clever_http_destroy(void *state) { free(state); }
static void clever_http_reset(void *state) { (void)state; }
static void clever_http_handle(void *state, const struct sim_request *req,
                         struct sim_response *resp) {
  (void)state;
  (void)req;
  (void)resp; /* status 0: the core answers 404 */
}

const struct sim_provider sim_clever_http = {
  .name = "clever-http",
  .prefix = "/clever-http/",
  .create = clever_http_create,
  .destroy = clever_http_destroy,
  .reset = clever_http_reset,
  .handle = clever_http_handle,
};
