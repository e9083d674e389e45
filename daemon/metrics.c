/* metrics: what /metrics shows, in Prometheus' text format (0.0.4):
 * the daemon's own counters (answers by status code, submits) and the
 * queue's (smsmux_queue_stats_get). */
#include "daemon.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_ulong http_by_code[600];
static atomic_ulong submits_queued, submits_refused;

void metrics_count_http(unsigned status) {
  if (status < 600)
    atomic_fetch_add(&http_by_code[status], 1);
}

void metrics_count_submit(int accepted) {
  atomic_fetch_add(accepted ? &submits_queued : &submits_refused, 1);
}

typedef struct buf {
  char *s;
  size_t len, cap;
} buf;

static void add(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add(buf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  for (;;) {
    va_start(ap, fmt);
    n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0,
                  fmt, ap);
    va_end(ap);
    if (n < 0)
      return;
    if (b->s && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    {
      size_t cap = (b->cap ? b->cap : 2048) * 2 + (size_t)n;
      char *bigger = realloc(b->s, cap);
      if (!bigger)
        return;
      b->s = bigger;
      b->cap = cap;
    }
  }
}

static void metric(buf *b, const char *name, const char *type,
                   const char *help) {
  add(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *metrics_text(smsmux *sm) {
  buf b = {0};
  smsmux_queue_stats st;
  unsigned code;
  int have;

  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  have = smsmux_queue_stats_get(sm, &st) == 0;

  metric(&b, "smsmuxd_http_responses_total", "counter",
         "HTTP answers by status code");
  for (code = 100; code < 600; code++) {
    unsigned long n = atomic_load(&http_by_code[code]);
    if (n)
      add(&b, "smsmuxd_http_responses_total{code=\"%u\"} %lu\n", code, n);
  }
  metric(&b, "smsmuxd_submits_total", "counter",
         "messages submitted over HTTP, by outcome");
  add(&b, "smsmuxd_submits_total{result=\"queued\"} %lu\n",
      atomic_load(&submits_queued));
  add(&b, "smsmuxd_submits_total{result=\"refused\"} %lu\n",
      atomic_load(&submits_refused));

  metric(&b, "smsmux_store_up", "gauge", "1 when the store answered");
  add(&b, "smsmux_store_up %d\n", have && st.store_ok);
  metric(&b, "smsmux_providers_usable", "gauge",
         "provider instances loaded and opened");
  add(&b, "smsmux_providers_usable %d\n", st.providers_usable);
  metric(&b, "smsmux_queue_recipients", "gauge",
         "recipients in the queue, by state");
  add(&b, "smsmux_queue_recipients{state=\"queued\"} %lu\n", st.queued);
  add(&b, "smsmux_queue_recipients{state=\"sending\"} %lu\n", st.sending);
  metric(&b, "smsmux_webhooks_pending", "gauge",
         "events waiting to be delivered to a callback_url or dlr-url");
  add(&b, "smsmux_webhooks_pending %lu\n", st.webhooks_pending);
  metric(&b, "smsmux_workers_busy", "gauge", "workers sending right now");
  add(&b, "smsmux_workers_busy %lu\n", st.workers_busy);
  metric(&b, "smsmux_recipients_settled_total", "counter",
         "recipients settled by this process's workers, by result");
  add(&b, "smsmux_recipients_settled_total{result=\"sent\"} %lu\n", st.sent);
  add(&b, "smsmux_recipients_settled_total{result=\"failed\"} %lu\n",
      st.failed);
  add(&b, "smsmux_recipients_settled_total{result=\"unknown\"} %lu\n",
      st.unknown);
  metric(&b, "smsmux_attempts_total", "counter",
         "provider requests made by this process, by result");
  add(&b, "smsmux_attempts_total{result=\"ok\"} %lu\n", st.attempts_ok);
  add(&b, "smsmux_attempts_total{result=\"failed\"} %lu\n",
      st.attempts_failed);
  {
    char *per = smsmux_metrics_text(sm); /* per provider, from the library */
    if (per) {
      add(&b, "%s", per);
      free(per);
    }
  }
  return b.s ? b.s : strdup("");
}
