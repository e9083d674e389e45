/* fuzz_json_in: smsmuxd's request parser (daemon/json_in.c) on arbitrary
 * bytes: a message body, the same bytes as a batch, and the first line as
 * a time.  Every accepted message must hold what the parser promises
 * (recipients that are strings, bounded counts); nothing may leak. */
#include <config.h>

#include "daemon.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static void check_message(const json_in_message *m) {
  size_t i;
  if (m->req.size != sizeof m->req || m->req.n_to == 0 ||
      m->req.n_to > JSON_IN_MAX_TO || m->req.n_options > JSON_IN_MAX_OPTIONS)
    abort();
  for (i = 0; i < m->req.n_to; i++)
    if (!m->req.to[i] || strlen(m->req.to[i]) > JSON_IN_MAX_STRING)
      abort();
  for (i = 0; i < m->req.n_options; i++)
    if (!m->req.options[i].key || !m->req.options[i].value)
      abort();
  if (m->req.at && strlen(m->req.at) != 19)
    abort();
}

static void on_row(void *userdata, size_t line, json_in_message *m,
                   const smsmux_error *err) {
  size_t *rows = userdata;
  if (line != ++*rows || (!m) == (!err))
    abort();
  if (m)
    check_message(m);
  else if (err->cls == SMSMUX_OK || !err->message[0])
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_in_message m;
  smsmux_error err;
  size_t rows = 0;
  char line[64], out[32];
  size_t n = size < sizeof line - 1 ? size : sizeof line - 1;

  if (json_in_message_parse((const char *)data, size, "key", &m, &err) == 0) {
    check_message(&m);
    json_in_message_free(&m);
  } else if (err.cls == SMSMUX_OK || !err.message[0]) {
    abort();
  }
  if (json_in_batch_parse((const char *)data, size, on_row, &rows, &err) &&
      (rows || err.cls == SMSMUX_OK))
    abort();
  memcpy(line, data, n);
  line[n] = '\0';
  if (json_in_time(line, out, sizeof out) == 0 && strlen(out) != 19)
    abort();
  return 0;
}
