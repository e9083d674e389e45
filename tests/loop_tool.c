/* loop_tool: drives the library's issue-13 calls for the shell tests
 * (tests/loop.sh), where the `smsmux` command has no subcommand for them.
 *
 *   loop_tool CONFIG optout-add TENANT NUMBER
 *   loop_tool CONFIG hook PROVIDER TOKEN dlr|mo QUERY   (QUERY a=b&c=d)
 *   loop_tool CONFIG messages                 the operator's, JSON
 *   loop_tool CONFIG replies                  the operator's, JSON
 *   loop_tool CONFIG submit CALLBACK_URL TO TEXT
 *                                              queue it, send it (workers),
 *                                              print its id
 *   loop_tool CONFIG notify SECONDS [SECRET]  run the notifier that long
 *                                              (or until no webhook is
 *                                              pending when SECONDS < 0)
 *
 * Prints "ok RC" / "error CLASS CODE: MESSAGE" for the calls that answer
 * with a status; exit 0, or 1 on an error. */
#include <config.h>

#include <smsmux/smsmux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "query.h"

static int answer(int rc, const smsmux_error *err) {
  if (rc < 0) {
    printf("error %s %s: %s\n", smsmux_error_class_name(err->cls),
           err->code[0] ? err->code : "-", err->message);
    return 1;
  }
  printf("ok %d\n", rc);
  return 0;
}

static int print_json(char *s, const smsmux_error *err) {
  if (!s)
    return answer(-1, err);
  printf("%s\n", s);
  free(s);
  return 0;
}

static unsigned long pending(smsmux *sm) {
  smsmux_queue_stats st;
  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  smsmux_queue_stats_get(sm, &st);
  return st.webhooks_pending;
}

int main(int argc, char **argv) {
  smsmux_options opts;
  smsmux_error err;
  smsmux *sm;
  const char *cmd;
  int rc = 2;

  if (argc < 3)
    return 2;
  memset(&opts, 0, sizeof opts);
  opts.size = sizeof opts;
  memset(&err, 0, sizeof err);
  if (!(sm = smsmux_open(argv[1], &opts, &err))) {
    fprintf(stderr, "loop_tool: %s\n", err.message);
    return 2;
  }
  cmd = argv[2];
  if (strcmp(cmd, "optout-add") == 0 && argc == 5) {
    rc = answer(smsmux_optout_add(sm, argv[3], argv[4], &err), &err);
  } else if (strcmp(cmd, "hook") == 0 && argc == 7) {
    smsmux_push p;
    smsmux_kv kv[32];
    char *q = strdup(argv[6]);
    memset(&p, 0, sizeof p);
    p.size = sizeof p;
    p.provider = argv[3];
    p.token = argv[4];
    p.reply = strcmp(argv[5], "mo") == 0;
    p.method = "GET";
    p.query = kv;
    p.n_query = parse_query(q, kv, 32);
    rc = answer(smsmux_hook(sm, &p, &err), &err);
    free(q);
  } else if (strcmp(cmd, "messages") == 0 && argc == 3) {
    rc = print_json(smsmux_messages_json(sm, "", NULL, 0, 0, NULL, &err),
                    &err);
  } else if (strcmp(cmd, "replies") == 0 && argc == 3) {
    rc = print_json(smsmux_replies_json(sm, "", 0, 0, NULL, &err), &err);
  } else if (strcmp(cmd, "submit") == 0 && argc == 6) {
    smsmux_send_request req;
    const char *to[1] = {argv[4]};
    char *json = NULL;
    smsmux_workers *w;
    int i;
    memset(&req, 0, sizeof req);
    req.size = sizeof req;
    req.kind = SMSMUX_KIND_SMS;
    req.text = argv[5];
    req.to = to;
    req.n_to = 1;
    if (smsmux_submit(sm, "", &req, argv[3], &json, &err) !=
        SMSMUX_SUBMIT_QUEUED) {
      rc = answer(-1, &err);
    } else if (!(w = smsmux_workers_start(sm, 1, &err))) {
      rc = answer(-1, &err);
    } else {
      smsmux_queue_stats st;
      /* until the worker sent it */
      for (i = 0; i < 100; i++) {
        memset(&st, 0, sizeof st);
        st.size = sizeof st;
        smsmux_queue_stats_get(sm, &st);
        if (st.queued == 0 && st.sending == 0 && st.sent + st.failed +
                                                         st.unknown > 0)
          break;
        usleep(100000);
      }
      smsmux_workers_stop(w);
      printf("%s\n", json);
      rc = 0;
    }
    free(json);
  } else if (strcmp(cmd, "notify") == 0 && (argc == 4 || argc == 5)) {
    smsmux_notifier_options o;
    smsmux_notifier *n;
    int secs = atoi(argv[3]), i;
    memset(&o, 0, sizeof o);
    o.size = sizeof o;
    o.secret = argc == 5 ? argv[4] : NULL;
    if (!(n = smsmux_notifier_start(sm, &o, &err))) {
      rc = answer(-1, &err);
    } else {
      /* SECONDS < 0: until nothing is pending, at most -SECONDS */
      for (i = 0; i < 10 * (secs < 0 ? -secs : secs); i++) {
        if (secs < 0 && pending(sm) == 0)
          break;
        usleep(100000);
      }
      smsmux_notifier_stop(n);
      printf("pending %lu\n", pending(sm));
      rc = 0;
    }
  } else {
    fprintf(stderr, "loop_tool: unknown command or arguments\n");
  }
  smsmux_close(sm);
  return rc;
}
