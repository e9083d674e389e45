/* server: smsmuxd's HTTP(S) listeners on libmicrohttpd.
 *
 * One MHD daemon per `listen` address, each with a pool of threads over
 * epoll.  Every request is bounded (docs/API.md, "Limits"): connections
 * in all and per client address, an idle timeout, header memory per
 * connection, and the body size, refused with 413 before it is read when
 * Content-Length says so, else as soon as it passes the limit. */
#include "daemon.h"

#include <microhttpd.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SERVER_THREADS 16          /* per listener: requests answered at once */
#define HEADER_MEMORY (32 * 1024)  /* request line + headers per connection */
#define MAX_LISTENERS 16

struct server {
  struct MHD_Daemon *d[MAX_LISTENERS];
  size_t n;
  size_t max_body;
  double request_timeout; /* seconds a body may take in all */
  char *cert, *key;
};

static double now_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum MHD_Result send_answer(struct MHD_Connection *con,
                                   http_req *r, http_answer *a) {
  struct MHD_Response *resp;
  enum MHD_Result ret;
  const char *body = a->body ? a->body : "";
  resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                         MHD_RESPMEM_MUST_COPY);
  if (!resp) {
    free(a->body);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                          a->type ? a->type : "application/json");
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  if (a->allow)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, a->allow);
  if (a->retry_after) {
    char ra[16];
    snprintf(ra, sizeof ra, "%u", a->retry_after);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
  }
  ret = MHD_queue_response(con, a->status, resp);
  MHD_destroy_response(resp);
  metrics_count_http(a->status);
  {
    char path[512]; /* a hook's token is a secret: never logged */
    hook_redact(r->url, path, sizeof path);
    dlog(SMSMUX_LOG_INFO, "%s %s %u %.1fms", r->method, path, a->status,
         (now_mono() - r->started) * 1000);
  }
  free(a->body);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  server *s = cls;
  http_req *r = *con_cls;
  http_answer a;
  (void)version;

  memset(&a, 0, sizeof a);
  if (!r) {
    const char *cl;
    r = calloc(1, sizeof *r);
    if (!r)
      return MHD_NO;
    r->con = con;
    r->method = method;
    r->url = url;
    r->started = now_mono();
    *con_cls = r;
    cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
      char *end;
      unsigned long long n;
      errno = 0;
      n = strtoull(cl, &end, 10);
      if (errno || *end || n > s->max_body) {
        r->too_large = 1;
        api_error(&a, 413, SMSMUX_ERR_INPUT, "too-large",
                  "the request body is larger than %zu bytes ([server] "
                  "max_body)",
                  s->max_body);
        return send_answer(con, r, &a);
      }
    }
    return MHD_YES;
  }
  if (*upload_size) {
    /* a body trickled in never resets the clock: the idle timeout alone
       would let one byte every few seconds hold the connection forever */
    if (now_mono() - r->started > s->request_timeout) {
      char path[512];
      hook_redact(r->url, path, sizeof path);
      dlog(SMSMUX_LOG_INFO, "%s %s: body not received within %.0f s: "
                            "connection closed",
           r->method, path, s->request_timeout);
      return MHD_NO;
    }
    if (!r->too_large) {
      if (r->len + *upload_size > s->max_body) {
        r->too_large = 1;
        free(r->body);
        r->body = NULL;
        r->len = r->cap = 0;
      } else {
        if (r->len + *upload_size + 1 > r->cap) {
          size_t cap = r->cap ? r->cap : 4096;
          char *bigger;
          while (cap < r->len + *upload_size + 1)
            cap *= 2;
          if (cap > s->max_body + 1)
            cap = s->max_body + 1;
          bigger = realloc(r->body, cap);
          if (!bigger)
            return MHD_NO;
          r->body = bigger;
          r->cap = cap;
        }
        memcpy(r->body + r->len, upload, *upload_size);
        r->len += *upload_size;
        r->body[r->len] = '\0';
      }
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (r->too_large) {
    api_error(&a, 413, SMSMUX_ERR_INPUT, "too-large",
              "the request body is larger than %zu bytes ([server] "
              "max_body)",
              s->max_body);
    return send_answer(con, r, &a);
  }
  api_handle(r, &a);
  return send_answer(con, r, &a);
}

static void on_completed(void *cls, struct MHD_Connection *con,
                         void **con_cls, enum MHD_RequestTerminationCode toe) {
  http_req *r = *con_cls;
  (void)cls;
  (void)con;
  (void)toe;
  if (r) {
    free(r->body);
    free(r);
    *con_cls = NULL;
  }
}

static char *read_file(const char *path, char *errbuf, size_t errlen) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t len = 0, cap = 0, n;
  if (!f) {
    snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
    return NULL;
  }
  for (;;) {
    if (len + 4096 + 1 > cap) {
      char *b;
      cap = cap ? cap * 2 : 16384;
      if (cap > (1u << 20)) {
        snprintf(errbuf, errlen, "%s: larger than 1 MiB", path);
        free(buf);
        fclose(f);
        return NULL;
      }
      b = realloc(buf, cap);
      if (!b) {
        free(buf);
        fclose(f);
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
      }
      buf = b;
    }
    n = fread(buf + len, 1, cap - len - 1, f);
    if (n == 0)
      break;
    len += n;
  }
  fclose(f);
  if (!buf)
    buf = calloc(1, 1);
  else
    buf[len] = '\0';
  return buf;
}

/* "host:port" / "[v6]:port" -> address (numeric hosts, or names). */
static int resolve(const char *item, struct sockaddr_storage *ss,
                   socklen_t *sslen, char *errbuf, size_t errlen) {
  char host[256];
  const char *port;
  struct addrinfo hints, *res = NULL;
  int rc;
  if (*item == '[') {
    const char *close = strchr(item, ']');
    size_t n = close ? (size_t)(close - item - 1) : 0;
    if (!close || n >= sizeof host)
      goto bad;
    memcpy(host, item + 1, n);
    host[n] = '\0';
    port = close + 2;
  } else {
    const char *colon = strrchr(item, ':');
    size_t n = colon ? (size_t)(colon - item) : 0;
    if (!colon || n >= sizeof host)
      goto bad;
    memcpy(host, item, n);
    host[n] = '\0';
    port = colon + 1;
  }
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
  if (rc || !res) {
    snprintf(errbuf, errlen, "[server] listen: %s: %s", item,
             gai_strerror(rc));
    return -1;
  }
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *sslen = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
bad:
  snprintf(errbuf, errlen, "[server] listen: \"%s\" is not host:port", item);
  return -1;
}

server *server_start(const server_conf *conf, unsigned *port, char *errbuf,
                     size_t errlen) {
  server *s = calloc(1, sizeof *s);
  char *list, *save = NULL, *item;
  if (!s || !(list = strdup(conf->listen))) {
    free(s);
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  s->max_body = conf->max_body;
  s->request_timeout = conf->request_timeout;
  if (conf->tls_cert) {
    if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
      snprintf(errbuf, errlen, "[server] tls_cert: this libmicrohttpd is "
                               "built without TLS");
      goto fail;
    }
    if (!(s->cert = read_file(conf->tls_cert, errbuf, errlen)) ||
        !(s->key = read_file(conf->tls_key, errbuf, errlen)))
      goto fail;
  }
  *port = 0;
  for (item = strtok_r(list, ", \t", &save); item;
       item = strtok_r(NULL, ", \t", &save)) {
    struct sockaddr_storage ss;
    socklen_t sslen;
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    if (s->n == MAX_LISTENERS) {
      snprintf(errbuf, errlen, "[server] listen: at most %d addresses",
               MAX_LISTENERS);
      goto fail;
    }
    if (resolve(item, &ss, &sslen, errbuf, errlen))
      goto fail;
    if (ss.ss_family == AF_INET6)
      flags |= MHD_USE_IPv6;
    if (s->cert)
      flags |= MHD_USE_TLS;
    d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)SERVER_THREADS, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        NULL, MHD_OPTION_CONNECTION_LIMIT, conf->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, conf->per_ip_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, conf->request_timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U,
        s->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->cert,
        MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_END);
    if (!d) {
      snprintf(errbuf, errlen, "[server] listen: cannot listen on %s: %s",
               item, strerror(errno));
      goto fail;
    }
    s->d[s->n++] = d;
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (*port == 0 && info)
      *port = info->port;
    dlog(SMSMUX_LOG_INFO, "listening on %s://%.*s:%u/",
         s->cert ? "https" : "http", (int)(strrchr(item, ':') - item), item,
         info ? info->port : 0);
  }
  free(list);
  return s;
fail:
  free(list);
  server_stop(s);
  return NULL;
}

void server_quiesce(server *s) {
  size_t i;
  for (i = 0; s && i < s->n; i++) {
    MHD_socket fd = MHD_quiesce_daemon(s->d[i]);
    if (fd != MHD_INVALID_SOCKET)
      close(fd);
  }
}

void server_stop(server *s) {
  size_t i;
  if (!s)
    return;
  for (i = 0; i < s->n; i++)
    MHD_stop_daemon(s->d[i]);
  if (s->key)
    memset(s->key, 0, strlen(s->key));
  free(s->cert);
  free(s->key);
  free(s);
}
