/* smsmuxd: smsmux as an HTTP service (smsmuxd(8), docs/API.md).
 *
 * A foreground process: logs go to stderr (journald under systemd).  The
 * main thread opens the configuration, starts the listeners and the
 * queue's workers, then waits for signals:
 *   SIGTERM, SIGINT  drain: stop accepting, let answers in progress
 *                    finish, stop the workers (requests in flight finish
 *                    and are recorded, claimed messages go back to the
 *                    queue), then the notifier, exit 0;
 *   SIGHUP           reload providers, routes and plans from the same
 *                    file: a new handle is opened first; when it fails the
 *                    old one is kept and the reason logged.  Queued
 *                    messages are in the store and are not touched.
 *                    [server] listen/TLS/limits need a restart.
 *
 * Besides the workers, each handle runs a notifier (smsmux_notifier_start:
 * webhooks, Kannel dlr-url calls, status polling), and gets the
 * notification URLs of its plugins from [server] public_url
 * (smsmux_set_public_url), at start and at each reload.
 *
 * The notifier stops after the workers: a drain lets the workers finish
 * what is in flight, and their answers are events (accepted, failed, a
 * status answered at once) that the notifier can still deliver while the
 * workers wind down.  Nothing depends on it: every event is in the store's
 * outbox until a receiver took it, so what the notifier has not delivered
 * when it stops (it finishes the calls it is making, no new one) goes out
 * after the next start.  It stops before the handle is closed (it uses
 * it). */
#include "daemon.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

smsmux_log_level dlog_level = SMSMUX_LOG_INFO;
static int journald; /* stderr is the journal: <N> priority prefixes */

static pthread_rwlock_t sm_lock = PTHREAD_RWLOCK_INITIALIZER;
static smsmux *current;

/* ------------------------------------------------------------ logging -- */

static void emit(smsmux_log_level level, const char *line) {
  static const char *const names[] = {"error", "warning", "info", "debug"};
  static const int prio[] = {3, 4, 6, 7};
  unsigned l = (unsigned)level > 3 ? 3 : (unsigned)level;
  if (journald)
    fprintf(stderr, "<%d>%s\n", prio[l], line);
  else
    fprintf(stderr, "smsmuxd: %s: %s\n", names[l], line);
}

void dlog(smsmux_log_level level, const char *fmt, ...) {
  char line[2048];
  va_list ap;
  if (level > dlog_level)
    return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  emit(level, line);
}

void dlog_library(void *userdata, smsmux_log_level level, const char *line) {
  (void)userdata;
  if (level <= dlog_level)
    emit(level, line);
}

/* ------------------------------------------------------------- handle -- */

smsmux *daemon_sm_acquire(void) {
  pthread_rwlock_rdlock(&sm_lock);
  return current;
}

void daemon_sm_release(void) { pthread_rwlock_unlock(&sm_lock); }

static smsmux *open_config(const char *path, smsmux_error *err) {
  smsmux_options o;
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  o.log = dlog_library;
  o.verbose = dlog_level >= SMSMUX_LOG_DEBUG;
  o.read_file = NULL; /* a service lets plugins read no file */
  return smsmux_open(path, &o, err);
}

static unsigned long server_long(smsmux *sm, const char *key) {
  const char *v = smsmux_config_value(sm, "server", key);
  return v ? strtoul(v, NULL, 10) : 0;
}

static const char *server_str(smsmux *sm, const char *key) {
  const char *v = smsmux_config_value(sm, "server", key);
  return v && *v ? v : NULL;
}

static smsmux_workers *start_workers(smsmux *sm) {
  smsmux_error err;
  smsmux_workers *w;
  unsigned n = (unsigned)server_long(sm, "workers");
  memset(&err, 0, sizeof err);
  w = smsmux_workers_start(sm, n ? n : 16, &err);
  if (!w)
    dlog(SMSMUX_LOG_ERROR, "cannot start the workers: %s", err.message);
  return w;
}

/* [server] public_url -> the plugins' notification URLs. */
static int set_public_url(smsmux *sm) {
  smsmux_error err;
  memset(&err, 0, sizeof err);
  if (smsmux_set_public_url(sm, server_str(sm, "public_url"), &err)) {
    dlog(SMSMUX_LOG_ERROR, "[server] public_url: %s", err.message);
    return -1;
  }
  return 0;
}

static smsmux_notifier *start_notifier(smsmux *sm) {
  smsmux_notifier_options o;
  smsmux_error err;
  smsmux_notifier *n;
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  o.secret = server_str(sm, "webhook_secret");
  /* a tenant's messages are signed with its own secret */
  o.tenant_secret = smsmux_tenant_webhook_secret;
  o.ud = sm;
  memset(&err, 0, sizeof err);
  n = smsmux_notifier_start(sm, &o, &err);
  if (!n)
    dlog(SMSMUX_LOG_ERROR, "cannot start the notifier (webhooks, "
                           "dlr-url calls, status polling): %s",
         err.message);
  return n;
}

/* SIGHUP: a new handle from the same file, or the old one kept. */
static void reload(const char *config, smsmux_workers **w,
                   smsmux_notifier **nf) {
  smsmux_error err;
  smsmux *fresh, *old;
  smsmux_workers *nw;
  smsmux_notifier *nn;
  memset(&err, 0, sizeof err);
  dlog(SMSMUX_LOG_INFO, "SIGHUP: reloading %s", config);
  fresh = open_config(config, &err);
  if (!fresh) {
    dlog(SMSMUX_LOG_ERROR,
         "reload refused, the running configuration is kept: %s",
         err.message);
    return;
  }
  if (!server_str(fresh, "admin_key"))
    dlog(SMSMUX_LOG_WARNING, "[server] admin_key is not set: every API "
                             "request will be refused (401)");
  if (set_public_url(fresh)) {
    smsmux_close(fresh);
    dlog(SMSMUX_LOG_ERROR, "reload refused, the running configuration is "
                           "kept");
    return;
  }
  /* Workers first: what they hold in flight is recorded, what they
     claimed goes back to the queue, for the new workers; then the
     notifier (what it has not delivered stays in the store's outbox, for
     the new one). */
  smsmux_workers_stop(*w);
  *w = NULL;
  smsmux_notifier_stop(*nf);
  *nf = NULL;
  pthread_rwlock_wrlock(&sm_lock);
  old = current;
  current = fresh;
  pthread_rwlock_unlock(&sm_lock);
  nw = start_workers(fresh);
  nn = nw ? start_notifier(fresh) : NULL;
  if (!nn) {
    /* the new handle cannot send: go back to the old one */
    smsmux_workers_stop(nw);
    pthread_rwlock_wrlock(&sm_lock);
    current = old;
    pthread_rwlock_unlock(&sm_lock);
    smsmux_close(fresh);
    *w = start_workers(old);
    *nf = start_notifier(old);
    dlog(SMSMUX_LOG_ERROR, "reload refused, the running configuration is "
                           "kept");
    return;
  }
  *w = nw;
  *nf = nn;
  smsmux_close(old);
  dlog(SMSMUX_LOG_INFO, "reloaded %s ([server] listen, TLS and limits "
                        "change at the next restart)",
       config);
}

/* -------------------------------------------------------------- main --- */

static void usage(FILE *f) {
  fputs("usage: smsmuxd [--config FILE] [--log-level LEVEL] [--port-file FILE]\n"
        "               [--check] [--version] [--help]\n"
        "  --config FILE     the configuration (default: as smsmux finds it:\n"
        "                    $SMSMUX_CONFIG, ./smsmux.ini, ~/.config/smsmux/,\n"
        "                    /etc/smsmux/smsmux.ini)\n"
        "  --log-level LEVEL error, warning, info (default) or debug\n"
        "  --port-file FILE  write the first listener's port there once\n"
        "                    listening (with listen = HOST:0)\n"
        "  --check           check the configuration and exit\n"
        "Signals: TERM/INT drain and exit 0, HUP reloads providers and routes.\n"
        "See smsmuxd(8) and docs/API.md.\n",
        f);
}

static int write_port_file(const char *path, unsigned port) {
  char tmp[4096];
  FILE *f;
  int ok;
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  f = fopen(tmp, "w");
  ok = f && fprintf(f, "%u\n", port) > 0;
  if (f && fclose(f) != 0)
    ok = 0;
  if (ok && rename(tmp, path) != 0)
    ok = 0;
  if (!ok) {
    dlog(SMSMUX_LOG_ERROR, "cannot write the port file %s: %s", path,
         strerror(errno));
    unlink(tmp);
  }
  return ok ? 0 : -1;
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"config", required_argument, NULL, 'c'},
      {"log-level", required_argument, NULL, 'l'},
      {"port-file", required_argument, NULL, 'p'},
      {"check", no_argument, NULL, 'C'},
      {"version", no_argument, NULL, 'V'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *config = NULL, *port_file = NULL;
  int check = 0, opt, sig, status = 0;
  char *config_path;
  sigset_t sigs;
  smsmux_error err;
  smsmux *sm;
  smsmux_workers *w = NULL;
  smsmux_notifier *nf = NULL;
  server_conf sc;
  server *srv;
  char why[1024];
  unsigned port = 0;
  const char *js = getenv("JOURNAL_STREAM");

  journald = js && *js;
  while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'c': config = optarg; break;
    case 'p': port_file = optarg; break;
    case 'C': check = 1; break;
    case 'l':
      if (strcmp(optarg, "error") == 0)
        dlog_level = SMSMUX_LOG_ERROR;
      else if (strcmp(optarg, "warning") == 0)
        dlog_level = SMSMUX_LOG_WARNING;
      else if (strcmp(optarg, "info") == 0)
        dlog_level = SMSMUX_LOG_INFO;
      else if (strcmp(optarg, "debug") == 0)
        dlog_level = SMSMUX_LOG_DEBUG;
      else {
        fprintf(stderr, "smsmuxd: --log-level: \"%s\" is not error, "
                        "warning, info or debug\n",
                optarg);
        return 2;
      }
      break;
    case 'V': printf("smsmuxd %s\n", smsmux_version()); return 0;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "smsmuxd: unexpected argument \"%s\"\n", argv[optind]);
    usage(stderr);
    return 2;
  }

  /* Only the main thread takes these signals (sigwait below): every
     thread started from now on inherits the mask. */
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);

  memset(&err, 0, sizeof err);
  sm = open_config(config, &err);
  if (!sm) {
    dlog(SMSMUX_LOG_ERROR, "%s", err.message);
    return 2;
  }
  config_path = strdup(smsmux_config_path(sm));
  if (!config_path) {
    smsmux_close(sm);
    return 1;
  }
  if (!server_str(sm, "admin_key"))
    dlog(SMSMUX_LOG_WARNING, "[server] admin_key is not set: every API "
                             "request will be refused (401)");
  if (set_public_url(sm)) {
    smsmux_close(sm);
    free(config_path);
    return 2;
  }
  if (check) {
    printf("%s: configuration OK\n", config_path);
    smsmux_close(sm);
    free(config_path);
    return 0;
  }
  current = sm;

  memset(&sc, 0, sizeof sc);
  sc.listen = server_str(sm, "listen");
  sc.tls_cert = server_str(sm, "tls_cert");
  sc.tls_key = server_str(sm, "tls_key");
  sc.max_body = (size_t)server_long(sm, "max_body");
  sc.max_connections = (unsigned)server_long(sm, "max_connections");
  sc.per_ip_connections = (unsigned)server_long(sm, "per_ip_connections");
  sc.request_timeout = (unsigned)server_long(sm, "request_timeout");
  srv = server_start(&sc, &port, why, sizeof why);
  if (!srv) {
    dlog(SMSMUX_LOG_ERROR, "%s: %s", config_path, why);
    smsmux_close(sm);
    free(config_path);
    return 1;
  }
  w = start_workers(sm);
  if (w)
    nf = start_notifier(sm);
  if (!nf) {
    smsmux_workers_stop(w);
    server_stop(srv);
    smsmux_close(sm);
    free(config_path);
    return 1;
  }
  if (port_file && write_port_file(port_file, port)) {
    status = 1;
    goto stop;
  }
  dlog(SMSMUX_LOG_INFO, "smsmuxd %s ready (%s)", smsmux_version(),
       config_path);

  for (;;) {
    if (sigwait(&sigs, &sig) != 0)
      continue;
    if (sig == SIGHUP) {
      reload(config_path, &w, &nf);
      continue;
    }
    dlog(SMSMUX_LOG_INFO, "%s: draining", sig == SIGTERM ? "SIGTERM"
                                                         : "SIGINT");
    break;
  }
stop:
  server_quiesce(srv);          /* no new connection */
  smsmux_workers_stop(w);       /* in flight: finished and recorded */
  smsmux_notifier_stop(nf);     /* the rest of the outbox: next start */
  server_stop(srv);             /* answers in progress are done */
  api_cleanup();
  smsmux_close(current);
  free(config_path);
  dlog(SMSMUX_LOG_INFO, "stopped");
  return status;
}
