/* test_queue: the durable queue through the public API, against the
 * simulator (tests/queue.sh starts it): submit, duplicates and conflicts,
 * workers sending, a message held until its time, cancel, the list and its
 * cursor, and recovery of what a dead process left `sending`.
 * Usage: test_queue CONFIG STATE_DIR. */
#include <config.h>

#include "check.h"

#include <json-c/json.h>
#include <smsmux/smsmux.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static smsmux *sm;

static smsmux_submit_status submit(const char *to, const char *text,
                                   const char *ref, const char *at,
                                   char **json, smsmux_error *err) {
  smsmux_send_request req;
  const char *tos[1];
  tos[0] = to;
  memset(&req, 0, sizeof req);
  req.size = sizeof req;
  req.kind = SMSMUX_KIND_SMS;
  req.text = text;
  req.to = tos;
  req.n_to = 1;
  req.ref = ref;
  req.at = at;
  return smsmux_submit(sm, NULL, &req, NULL, json, err);
}

static const char *jget(json_object *o, const char *k) {
  json_object *v;
  return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
                                              : NULL;
}

/* the message's status, polled until it is not queued/sending or 10 s */
static char *wait_status(const char *id) {
  int i;
  char *st = NULL;
  for (i = 0; i < 200; i++) {
    smsmux_error err;
    char *j = smsmux_message_json(sm, NULL, id, &err);
    json_object *o = j ? json_tokener_parse(j) : NULL;
    free(st);
    st = o && jget(o, "status") ? strdup(jget(o, "status")) : NULL;
    if (o)
      json_object_put(o);
    free(j);
    if (st && strcmp(st, "queued") && strcmp(st, "sending"))
      break;
    usleep(50000);
  }
  return st;
}

static char *id_of(const char *json) {
  json_object *o = json ? json_tokener_parse(json) : NULL;
  char *id = o && jget(o, "id") ? strdup(jget(o, "id")) : NULL;
  if (o)
    json_object_put(o);
  return id;
}

int main(int argc, char **argv) {
  smsmux_options opts;
  smsmux_error err;
  smsmux_workers *w;
  char *json = NULL, *id1, *id2, *st, later[32], path[512];
  time_t t;
  struct tm tm;
  smsmux_queue_stats qs;

  if (argc != 3)
    return 2;
  memset(&opts, 0, sizeof opts);
  opts.size = sizeof opts;
  sm = smsmux_open(argv[1], &opts, &err);
  CHECK(sm != NULL, "open");
  if (!sm) {
    printf("# %s\n", err.message);
    return CHECK_DONE();
  }

  /* queued before any worker runs: durable, answered */
  CHECK_INT_EQ(submit("0612345601", "Bonjour 1", "q-1", NULL, &json, &err),
               SMSMUX_SUBMIT_QUEUED, "submit: queued");
  CHECK(json && strstr(json, "\"status\":\"queued\""),
        "submit: the document says queued");
  id1 = id_of(json);
  free(json);
  CHECK_INT_EQ(submit("0612345601", "Bonjour 1", "q-1", NULL, &json, &err),
               SMSMUX_SUBMIT_DUPLICATE, "same ref, same content: duplicate");
  id2 = id_of(json);
  CHECK_STR_EQ(id2, id1, "duplicate: the original message");
  free(id2);
  free(json);
  CHECK_INT_EQ(submit("0612345601", "Autre", "q-1", NULL, &json, &err),
               SMSMUX_SUBMIT_REFUSED, "same ref, other content: refused");
  CHECK_STR_EQ(err.code, "ref-conflict", "conflict: code ref-conflict");
  CHECK_INT_EQ(submit("06123", "x", NULL, NULL, &json, &err),
               SMSMUX_SUBMIT_REFUSED, "bad number: refused");
  CHECK_INT_EQ(err.cls, SMSMUX_ERR_INPUT, "bad number: input");

  /* cancel one while queued */
  CHECK_INT_EQ(submit("0612345602", "Bonjour 2", NULL, NULL, &json, &err),
               SMSMUX_SUBMIT_QUEUED, "submit a second");
  id2 = id_of(json);
  free(json);
  CHECK_INT_EQ(smsmux_message_cancel(sm, NULL, id2, &err), 0,
               "cancel while queued");
  CHECK_INT_EQ(smsmux_message_cancel(sm, NULL, id2, &err), -1,
               "cancel twice: refused");
  CHECK_STR_EQ(err.code, "not-cancellable", "cancel twice: not-cancellable");
  CHECK_INT_EQ(smsmux_message_cancel(sm, "other", id2, &err), -1,
               "another tenant's message: not found");
  CHECK_STR_EQ(err.code, "not-found", "another tenant: not-found");
  CHECK(smsmux_message_json(sm, "other", id1, &err) == NULL,
        "another tenant cannot read it");

  /* held until its time (smsmode schedules: route to a no-schedule one
     is what holds; here the time is 2 s ahead so it goes out scheduled) */
  t = time(NULL) + 120;
  localtime_r(&t, &tm);
  strftime(later, sizeof later, "%Y-%m-%d %H:%M:%S", &tm);
  CHECK_INT_EQ(submit("0612345603", "Plus tard", NULL, later, &json, &err),
               SMSMUX_SUBMIT_QUEUED, "submit scheduled");
  free(json);

  memset(&qs, 0, sizeof qs);
  qs.size = sizeof qs;
  CHECK_INT_EQ(smsmux_queue_stats_get(sm, &qs), 0, "stats");
  CHECK_INT_EQ(qs.queued, 2, "stats: two queued (one cancelled)");

  w = smsmux_workers_start(sm, 2, &err);
  CHECK(w != NULL, "workers start");
  st = wait_status(id1);
  CHECK_STR_EQ(st, "accepted", "the worker sent the first");
  free(st);
  st = wait_status(id2);
  CHECK_STR_EQ(st, "cancelled", "the cancelled one stays cancelled");
  free(st);

  /* list newest first, with a cursor */
  json = smsmux_messages_json(sm, NULL, NULL, 0, 2, NULL, &err);
  CHECK(json && strstr(json, "\"next_cursor\":\"m"),
        "list of 2 of 3: a next cursor");
  {
    json_object *o = json ? json_tokener_parse(json) : NULL;
    const char *cur = o ? jget(o, "next_cursor") : NULL;
    char *json2 = cur ? smsmux_messages_json(sm, NULL, NULL, 0, 2, cur, &err)
                      : NULL;
    CHECK(json2 && strstr(json2, id1) && strstr(json2, "\"next_cursor\":null"),
          "the cursor's page holds the oldest, and ends");
    free(json2);
    if (o)
      json_object_put(o);
  }
  free(json);
  CHECK(smsmux_messages_json(sm, NULL, "nope", 0, 0, NULL, &err) == NULL,
        "list: a bad status is refused");
  smsmux_workers_stop(w);

  /* a dead process left a recipient `sending`: recovered as unknown */
  {
    sqlite3 *s = NULL;
    snprintf(path, sizeof path, "%s/state.db", argv[2]);
    CHECK_INT_EQ(submit("0612345604", "Perdu", NULL, NULL, &json, &err),
                 SMSMUX_SUBMIT_QUEUED, "submit one more");
    free(id2);
    id2 = id_of(json);
    free(json);
    sqlite3_open(path, &s);
    sqlite3_busy_timeout(s, 5000);
    sqlite3_exec(s, "UPDATE recipients SET state = 'sending' WHERE number = "
                    "'+33612345604'",
                 NULL, NULL, NULL);
    sqlite3_close(s);
    w = smsmux_workers_start(sm, 1, &err);
    st = wait_status(id2);
    CHECK_STR_EQ(st, "unknown", "left sending: unknown after a restart");
    free(st);
    smsmux_workers_stop(w);
  }
  free(id1);
  free(id2);
  smsmux_close(sm);
  return CHECK_DONE();
}
