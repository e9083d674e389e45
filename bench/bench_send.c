/* bench_send: N single-recipient messages through libsmsmux (the batch
 * API, W workers, no grouping) to whatever the configuration names (the
 * benchmark points it at smsmux-sim's sMsmode, or at a static fake).
 * Prints one line:
 *   smsmux N=... workers=... ok=... seconds=... rate=... cpu_us=... maxrss_kb=...
 * cpu_us is user+system CPU time per message, maxrss_kb the peak RSS.
 *
 * usage: bench_send CONFIG N WORKERS [GROUP_MAX] [-p] [-r PREFIX]
 *   -p         personalised: message i says "Bonjour i" (every text its
 *              own, so nothing could be grouped even with GROUP_MAX > 1);
 *              without it every message says "Bench message"
 *   -r PREFIX  every message its own ref PREFIX-i (the journal path: the
 *              ref is reserved before the request and finished after it);
 *              use a fresh state_dir per run, or a rerun sends nothing
 * Message i (0-based) goes to +336 followed by 10000000 + i on 8 digits,
 * the numbers bare_curl uses.
 * N = 0 opens and closes the library only (the callgrind baseline). */
#include <smsmux/smsmux.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static unsigned long failed;

static void on_row(void *userdata, const smsmux_batch_row *row) {
  (void)userdata;
  if (row->result->error.cls != SMSMUX_OK && failed++ < 3)
    fprintf(stderr, "bench_send: row %llu (%s): %s\n",
            (unsigned long long)row->tag, row->to,
            row->result->error.message);
}

int main(int argc, char **argv) {
  smsmux_options o;
  smsmux_batch_options bo;
  smsmux_error err;
  smsmux *sm;
  smsmux_batch *b;
  smsmux_batch_summary *s;
  struct rusage ru;
  struct timespec t0, t1;
  unsigned long n, i;
  double secs, cpu;
  unsigned group_max = 1;
  int a, personal = 0;
  const char *ref_prefix = NULL;

  if (argc < 4) {
    fprintf(stderr, "usage: bench_send CONFIG N WORKERS [GROUP_MAX] [-p] "
                    "[-r PREFIX]\n");
    return 2;
  }
  n = strtoul(argv[2], NULL, 10);
  for (a = 4; a < argc; a++) {
    if (strcmp(argv[a], "-p") == 0)
      personal = 1;
    else if (strcmp(argv[a], "-r") == 0 && a + 1 < argc)
      ref_prefix = argv[++a];
    else if (argv[a][0] >= '0' && argv[a][0] <= '9')
      group_max = (unsigned)strtoul(argv[a], NULL, 10);
    else {
      fprintf(stderr, "bench_send: unknown argument %s\n", argv[a]);
      return 2;
    }
  }
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  sm = smsmux_open(argv[1], &o, &err);
  if (!sm) {
    fprintf(stderr, "bench_send: %s\n", err.message);
    return 2;
  }
  memset(&bo, 0, sizeof bo);
  bo.size = sizeof bo;
  bo.workers = (unsigned)strtoul(argv[3], NULL, 10);
  bo.group_max = group_max;
  bo.on_row = on_row;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  b = smsmux_batch_new(sm, &bo, &err);
  if (!b) {
    fprintf(stderr, "bench_send: %s\n", err.message);
    smsmux_close(sm);
    return 2;
  }
  for (i = 0; i < n; i++) {
    char num[32], text[64], ref[128];
    const char *to[1] = {num};
    smsmux_send_request req;
    memset(&req, 0, sizeof req);
    req.size = sizeof req;
    req.kind = SMSMUX_KIND_SMS;
    req.text = "Bench message";
    if (personal) {
      snprintf(text, sizeof text, "Bonjour %lu", i);
      req.text = text;
    }
    if (ref_prefix) {
      snprintf(ref, sizeof ref, "%.100s-%lu", ref_prefix, i);
      req.ref = ref;
    }
    /* the same numbers as bare_curl: 336 + 8 digits */
    snprintf(num, sizeof num, "+336%08lu", 10000000ul + i);
    req.to = to;
    req.n_to = 1;
    if (smsmux_batch_add(b, &req, i + 1, &err) < 0) {
      fprintf(stderr, "bench_send: %s\n", err.message);
      break;
    }
  }
  s = smsmux_batch_finish(b);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  getrusage(RUSAGE_SELF, &ru);
  secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
        (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  printf("smsmux N=%lu workers=%u ok=%lu seconds=%.3f rate=%.0f cpu_us=%.1f "
         "maxrss_kb=%ld requests=%lu duplicate=%lu\n",
         n, bo.workers, s->sent, secs, n && secs > 0 ? (double)n / secs : 0,
         n ? cpu * 1e6 / (double)n : 0, ru.ru_maxrss, s->requests,
         s->duplicate);
  smsmux_batch_summary_free(s);
  smsmux_close(sm);
  return failed ? 1 : 0;
}
