/* receiver: a test HTTP server that keeps what it is sent.  It stands for
 * whoever smsmux or the simulator calls back (a webhook receiver, a
 * notification URL): every request is appended as one JSON line to the
 * log file ({"method","url","headers":{...},"body"}), and answered 200,
 * or 503 while the file named by --down exists (a receiver that is down).
 *
 * Usage: receiver --port-file FILE --log FILE [--down FILE]
 * Listens on 127.0.0.1, a free port written to --port-file; stops on
 * SIGTERM/SIGINT. */
#include <config.h>

#include <json-c/json.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BODY (1u << 20)

static const char *log_path, *down_path;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

struct body {
  char *p;
  size_t n;
  int too_big;
};

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind,
                                  const char *k, const char *v) {
  (void)kind;
  json_object_object_add(cls, k, json_object_new_string(v ? v : ""));
  return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **state) {
  struct body *b = *state;
  struct MHD_Response *r;
  json_object *line, *h;
  enum MHD_Result ret;
  int down;
  (void)cls;
  (void)version;
  if (!b) {
    *state = calloc(1, sizeof *b);
    return *state ? MHD_YES : MHD_NO;
  }
  if (*size) {
    if (b->n + *size > MAX_BODY) {
      b->too_big = 1;
    } else {
      char *p = realloc(b->p, b->n + *size + 1);
      if (!p)
        return MHD_NO;
      memcpy(p + b->n, data, *size);
      b->p = p;
      b->n += *size;
      b->p[b->n] = '\0';
    }
    *size = 0;
    return MHD_YES;
  }
  down = down_path && access(down_path, F_OK) == 0;
  line = json_object_new_object();
  h = json_object_new_object();
  MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, h);
  json_object_object_add(line, "method", json_object_new_string(method));
  json_object_object_add(line, "path", json_object_new_string(url));
  {
    json_object *q = json_object_new_object();
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_header, q);
    json_object_object_add(line, "query", q);
  }
  json_object_object_add(line, "headers", h);
  json_object_object_add(line, "body",
                         json_object_new_string_len(b->p ? b->p : "",
                                                    (int)b->n));
  json_object_object_add(line, "answered", json_object_new_int(down ? 503 : 200));
  pthread_mutex_lock(&log_lock);
  {
    FILE *f = fopen(log_path, "a");
    if (f) {
      fprintf(f, "%s\n", json_object_to_json_string_ext(
                             line, JSON_C_TO_STRING_PLAIN |
                                       JSON_C_TO_STRING_NOSLASHESCAPE));
      fclose(f);
    }
  }
  pthread_mutex_unlock(&log_lock);
  json_object_put(line);
  r = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
  ret = MHD_queue_response(c, down ? 503 : 200, r);
  MHD_destroy_response(r);
  return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **state,
                    enum MHD_RequestTerminationCode why) {
  struct body *b = *state;
  (void)cls;
  (void)c;
  (void)why;
  if (b) {
    free(b->p);
    free(b);
  }
  *state = NULL;
}

int main(int argc, char **argv) {
  const char *port_file = NULL;
  struct MHD_Daemon *d;
  const union MHD_DaemonInfo *info;
  struct sockaddr_in addr;
  sigset_t sigs;
  int i, sig;
  FILE *f;
  for (i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port-file") == 0)
      port_file = argv[i + 1];
    else if (strcmp(argv[i], "--log") == 0)
      log_path = argv[i + 1];
    else if (strcmp(argv[i], "--down") == 0)
      down_path = argv[i + 1];
  }
  if (!port_file || !log_path) {
    fprintf(stderr, "usage: receiver --port-file FILE --log FILE [--down FILE]\n");
    return 2;
  }
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(0x7f000001);
  d = MHD_start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
                       NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                       MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                       MHD_OPTION_THREAD_POOL_SIZE, 4u, MHD_OPTION_END);
  if (!d)
    return 1;
  info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  f = fopen(port_file, "w");
  if (!f || !info)
    return 1;
  fprintf(f, "%u\n", (unsigned)info->port);
  fclose(f);
  sigwait(&sigs, &sig);
  MHD_stop_daemon(d);
  return 0;
}
