/* log: the one place log lines leave the library (see log.h). */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

void log_sink_init(log_sink *s, smsmux_log_fn fn, void *userdata,
                   int verbose) {
  s->fn = fn;
  s->userdata = userdata;
  s->verbose = verbose;
  pthread_mutex_init(&s->lock, NULL);
}

void log_sink_destroy(log_sink *s) { pthread_mutex_destroy(&s->lock); }

int log_debug_on(const log_sink *s) { return s && s->verbose; }

void log_vwrite(log_sink *s, smsmux_log_level level, const char *fmt,
                va_list ap) {
  char small[512], *line = small;
  va_list copy;
  int n;
  if (!s || (level == SMSMUX_LOG_DEBUG && !s->verbose))
    return;
  va_copy(copy, ap);
  n = vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0)
    return;
  if ((size_t)n >= sizeof small) {
    line = malloc((size_t)n + 1);
    if (!line) { /* out of memory: the line, cut, is better than nothing */
      line = small;
    } else {
      vsnprintf(line, (size_t)n + 1, fmt, ap);
    }
  }
  pthread_mutex_lock(&s->lock);
  if (s->fn)
    s->fn(s->userdata, level, line);
  else
    fprintf(stderr, "smsmux: %s\n", line);
  pthread_mutex_unlock(&s->lock);
  if (line != small)
    free(line);
}

void log_write(log_sink *s, smsmux_log_level level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vwrite(s, level, fmt, ap);
  va_end(ap);
}
