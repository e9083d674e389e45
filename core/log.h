/* log: where the library's log lines go.  A sink is made once by the
 * handle (smsmux_options.log, or stderr) and passed down to the layers that
 * log; none of them knows the handle.  Never pass a secret to it: callers
 * redact first (redact.h). */
#ifndef SMSMUX_LOG_H
#define SMSMUX_LOG_H

#include <pthread.h>
#include <smsmux/smsmux.h>

#include "util.h"

typedef struct log_sink {
  smsmux_log_fn fn; /* NULL: "smsmux: LINE" on stderr */
  void *userdata;
  int verbose;      /* 1: debug lines too */
  pthread_mutex_t lock; /* one line at a time, whichever thread */
} log_sink;

void log_sink_init(log_sink *s, smsmux_log_fn fn, void *userdata, int verbose);
void log_sink_destroy(log_sink *s);

/** Write one line (formatted) at `level`; debug lines only when verbose.
    `s` may be NULL (nothing is written). */
void log_write(log_sink *s, smsmux_log_level level, const char *fmt, ...)
    UTIL_PRINTF(3, 4);
void log_vwrite(log_sink *s, smsmux_log_level level, const char *fmt,
                va_list ap);

/** 1 when debug lines would be written (so callers skip building them). */
int log_debug_on(const log_sink *s);

#endif
