/* batch: send --to-file, row by row through the batch API (rows with the
 * same text share requests).  A file that can be read twice is checked
 * whole before anything is sent; a progress line on a terminal; Ctrl-C,
 * SIGTERM and SIGHUP stop cleanly; --results writes one CSV line per
 * recipient (mode 0600: it holds numbers).
 *
 * Exit status: 3 when some row was possibly sent, else 1 when some row
 * failed or the run was interrupted, 2 (an input error) only when nothing
 * was sent at all, 0 when every row was taken. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Ctrl-C (or SIGTERM, SIGHUP) during a long send: the requests in flight
   finish, the rows not yet sent are left for a rerun, and the JSON
   document stays whole.  `interrupted` holds the signal's number. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) { interrupted = sig; }

/* The signals that stop a send --to-file cleanly. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define N_STOP_SIGNALS (sizeof stop_signals / sizeof stop_signals[0])

static const char *signal_name(int sig) {
  switch (sig) {
  case SIGINT: return "SIGINT";
  case SIGTERM: return "SIGTERM";
  case SIGHUP: return "SIGHUP";
  default: return "a signal";
  }
}

typedef struct progress {
  int on;
  unsigned long done, total; /**< total 0: unknown */
  struct timespec start, last;
} progress;

static double seconds_between(const struct timespec *a,
                              const struct timespec *b) {
  return (double)(b->tv_sec - a->tv_sec) +
         (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void progress_start(progress *p, int on, unsigned long total) {
  p->on = on;
  p->total = total;
  clock_gettime(CLOCK_MONOTONIC, &p->start);
  p->last = p->start;
}

static void progress_clear(progress *p) {
  if (p->on)
    fputs("\r\033[K", stderr);
}

/* "sending 1200/5000 (950/s, ETA 4s)" on stderr, at most 5 times a
   second unless forced. */
static void progress_show(progress *p, int force) {
  struct timespec now;
  double elapsed, rate;
  if (!p->on)
    return;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (!force && seconds_between(&p->last, &now) < 0.2)
    return;
  p->last = now;
  elapsed = seconds_between(&p->start, &now);
  if (p->total)
    fprintf(stderr, "\r\033[Ksending %lu/%lu", p->done, p->total);
  else
    fprintf(stderr, "\r\033[Ksending %lu", p->done);
  rate = elapsed > 0 ? (double)p->done / elapsed : 0;
  if (elapsed > 0.5 && rate > 0) {
    fprintf(stderr, " (%.0f/s", rate);
    if (p->total > p->done) {
      unsigned long eta = (unsigned long)((double)(p->total - p->done) / rate);
      if (eta >= 3600)
        fprintf(stderr, ", ETA %luh%02lum", eta / 3600, eta / 60 % 60);
      else if (eta >= 60)
        fprintf(stderr, ", ETA %lum%02lus", eta / 60, eta % 60);
      else
        fprintf(stderr, ", ETA %lus", eta);
    }
    fputc(')', stderr);
  }
  fflush(stderr);
}

/** One line per row: "line 3: +33612345678 accepted via smsmode id X". */
static void print_row_human(const smsmux_send_result *r, unsigned long line,
                            const char *number) {
  const smsmux_recipient_result *rr = r->n_recipients ? r->recipients : NULL;
  printf("line %lu: %s ", line, rr ? or_dash(rr->to) : number);
  if (r->duplicate)
    printf("already sent");
  else
    printf("%s", rr ? smsmux_status_name(rr->status) : "sent");
  printf(" via %s id %s", or_dash(r->provider),
         or_dash(rr && rr->id ? rr->id : r->id));
  if (rr && status_is_trouble(rr->status) && (rr->code || rr->text))
    printf(" (%s%s%s)", rr->code ? rr->code : "",
           rr->code && rr->text ? " " : "", rr->text ? rr->text : "");
  putchar('\n');
}

/**
 * A file that can be read twice is checked row by row before anything is
 * sent, and its row count shown in the progress line; *total is 0 for
 * stdin or a pipe, whose rows are checked as they come.
 */
static int count_rows(smsmux_recipients *t, const char *path,
                      unsigned long *total, smsmux_error *err) {
  int k;
  *total = 0;
  if (smsmux_recipients_rewind(t, NULL) < 0)
    return 0;
  while ((k = smsmux_recipients_next(t, err)) == 1)
    ++*total;
  if (k < 0)
    return -1;
  if (*total == 0) {
    set_error(err, SMSMUX_ERR_INPUT, "--to-file %s holds no number",
              strcmp(path, "-") == 0 ? "stdin" : path);
    return -1;
  }
  return smsmux_recipients_rewind(t, err);
}

/* One CSV field of the --results file, quoted when it must be. */
static void csv_field(FILE *f, const char *s, int last) {
  if (!s)
    s = "";
  if (strpbrk(s, ",\"\r\n")) {
    fputc('"', f);
    for (; *s; s++) {
      if (*s == '"')
        fputc('"', f);
      fputc(*s, f);
    }
    fputc('"', f);
  } else {
    fputs(s, f);
  }
  fputc(last ? '\n' : ',', f);
}

/* line,to,status,provider,id,code,text */
static void results_line(FILE *f, const smsmux_batch_row *row) {
  const smsmux_send_result *r = row->result;
  const smsmux_recipient_result *rr = r->n_recipients ? r->recipients : NULL;
  char line[32];
  const char *status = r->duplicate       ? "already_sent"
                       : r->possibly_sent ? "unknown"
                       : rr               ? smsmux_status_name(rr->status)
                                          : "rejected";
  snprintf(line, sizeof line, "%llu", (unsigned long long)row->tag);
  csv_field(f, line, 0);
  csv_field(f, rr ? rr->to : row->to, 0);
  csv_field(f, status, 0);
  csv_field(f, rr && rr->provider ? rr->provider : r->provider, 0);
  csv_field(f, rr && rr->id ? rr->id : r->id, 0);
  csv_field(f, rr && rr->code ? rr->code : r->error.code, 0);
  csv_field(f, rr && rr->text ? rr->text : r->error.message, 1);
}

/** What the per-row callback needs (called by one worker at a time). */
typedef struct rowrun {
  const cli *c;
  progress prog;
  int out_tty; /**< stdout is the progress line's terminal too */
  FILE *results;
  unsigned long json_items; /**< items of the JSON document printed */
  int rc;
  unsigned long failed_lines[10]; /**< the first rows that failed */
  size_t n_failed_lines;
} rowrun;

static void on_row(void *userdata, const smsmux_batch_row *row) {
  char quoted[SMSMUX_QUOTE_SIZE];
  rowrun *rr = userdata;
  const smsmux_send_result *r = row->result;
  unsigned long line = (unsigned long)row->tag;
  int trouble = r->possibly_sent || r->error.cls != SMSMUX_OK;

  rr->rc = worse_exit(rr->rc, send_exit_code(r));
  if (trouble || (rr->out_tty && !rr->c->json))
    progress_clear(&rr->prog);
  if (rr->c->json) {
    char *item = smsmux_batch_item_json(r, line);
    if (!item)
      out_of_memory();
    if (rr->json_items++ > 0)
      fputc(',', stdout);
    fputs(item, stdout);
    free(item);
  }
  /* the number as the file wrote it: escaped and cut before it is shown */
  if (r->possibly_sent)
    fprintf(stderr, "smsmux: line %lu (%s): WARNING: POSSIBLY SENT%s%s: %s\n",
            line, smsmux_quote_input(or_dash(row->to), quoted, sizeof quoted),
            r->provider ? " via " : "", r->provider ? r->provider : "",
            r->error.message);
  else if (r->error.cls != SMSMUX_OK)
    fprintf(stderr, "smsmux: line %lu (%s): %s\n", line,
            smsmux_quote_input(or_dash(row->to), quoted, sizeof quoted),
            r->error.message);
  if (trouble && rr->n_failed_lines < sizeof rr->failed_lines /
                                          sizeof rr->failed_lines[0])
    rr->failed_lines[rr->n_failed_lines++] = line;
  else if (!rr->c->json)
    print_row_human(r, line, row->to);
  if (rr->results)
    results_line(rr->results, row);
  rr->prog.done++;
  progress_show(&rr->prog,
                trouble || (rr->out_tty && !rr->c->json));
}

/** The end of the batch document: `],"summary":{...}`, the error object
    when the run stopped early, and the closing brace. */
static void print_batch_end_json(const smsmux_batch_summary *s,
                                 const smsmux_error *err) {
  char *summary = smsmux_batch_summary_json(s), *error = NULL;
  if (!summary ||
      (err->cls != SMSMUX_OK && !(error = smsmux_error_object_json(err))))
    out_of_memory();
  printf("],\"summary\":%s", summary);
  if (error)
    printf(",\"error\":%s", error);
  fputs("}\n", stdout);
  fflush(stdout);
  free(summary);
  free(error);
}

static void print_summary_human(const smsmux_batch_summary *s,
                                const rowrun *run) {
  printf("%lu sent, %lu failed, %lu possibly sent\n", s->sent, s->refused,
         s->unknown);
  if (s->duplicate)
    printf("  (%lu of them already sent under this --ref: not sent again)\n",
           s->duplicate);
  for (size_t i = 0; i < s->n_providers; i++) {
    const smsmux_batch_provider_count *p = &s->providers[i];
    printf("  %s: %lu sent, %lu failed, %lu possibly sent\n",
           strcmp(p->provider, "-") == 0 ? "(no provider)" : p->provider,
           p->sent, p->refused, p->unknown);
  }
  if (run->n_failed_lines) {
    unsigned long more = s->refused + s->unknown - run->n_failed_lines;
    printf("  rows failed or possibly sent: line");
    for (size_t i = 0; i < run->n_failed_lines; i++)
      printf("%s %lu", i ? "," : "", run->failed_lines[i]);
    if (s->refused + s->unknown > run->n_failed_lines)
      printf(" and %lu more", more);
    printf(" (why: the messages above%s)\n",
           run->results ? " and the --results file" : "");
  }
  if (s->not_sent)
    printf("  %lu not sent (interrupted)\n", s->not_sent);
}

/** --results FILE with its header line: EXIT_DONE, or the exit status
    after an error. */
static int open_results(cli *c, const msgargs *m, rowrun *run) {
  smsmux_error err;
  struct stat st;
  int fd;
  if (!m->results)
    return EXIT_DONE;
  /* it holds phone numbers: readable by its owner only, also when it
     existed (a terminal or pipe given as the file is left as it is) */
  fd = open(m->results, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      (st.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0) {
    int e = errno;
    close(fd);
    fd = -1;
    errno = e;
  }
  if (fd < 0 || !(run->results = fdopen(fd, "w"))) {
    set_error(&err, SMSMUX_ERR_INPUT, "cannot write --results %s: %s",
              m->results, strerror(errno));
    if (fd >= 0)
      close(fd);
    return fail(c, &err);
  }
  fputs("line,to,status,provider,id,code,text\n", run->results);
  return EXIT_DONE;
}

/** Queue every row of the file (each with its own text when the text is
    personalised), all under the one --ref: the library keys each recipient
    by (ref, number) and the message's content, never by the row's
    position.  Stops at Ctrl-C or an error in `stop`.  Returns the number
    of rows read. */
static unsigned long add_rows(smsmux_batch *batch, const msgargs *m,
                              smsmux_recipients *t, smsmux_error *stop) {
  int personal = smsmux_template_has_placeholders(m->text);
  unsigned long row = 0;

  while (!interrupted && smsmux_recipients_next(t, stop) == 1) {
    const char *to[1];
    smsmux_send_request req;
    char *text = NULL;
    int k;

    row++;
    if (personal && !(text = smsmux_template_render(m->text, t)))
      out_of_memory();
    to[0] = smsmux_recipients_number(t);
    fill_request(&req, m, to, 1, personal ? text : m->text, m->ref);
    k = smsmux_batch_add(batch, &req, smsmux_recipients_line(t), stop);
    free(text);
    if (k < 0)
      break;
  }
  return row;
}

/** Why the run stopped early, if it did, into `stop`. */
static void note_stop(const msgargs *m, const rowrun *run,
                      const smsmux_batch_summary *sum, unsigned long rows,
                      smsmux_error *stop) {
  unsigned long handled = sum->sent + sum->refused + sum->unknown;
  if (interrupted)
    set_error(stop, SMSMUX_ERR_SYSTEM,
              "interrupted (%s) after %lu row%s of %s (%lu read but not "
              "sent); run the same command again with the same --ref to "
              "send the rest without sending a row twice",
              signal_name(interrupted), handled, handled == 1 ? "" : "s",
              m->to_file, sum->not_sent);
  if (stop->cls == SMSMUX_OK && rows == 0)
    set_error(stop, SMSMUX_ERR_INPUT, "%s holds no number", m->to_file);
  if (run->results && fclose(run->results) != 0 && stop->cls == SMSMUX_OK)
    set_error(stop, SMSMUX_ERR_SYSTEM, "cannot write --results %s: %s",
              m->results, strerror(errno));
}

/** The end of the run: the summary (JSON or human) and the warnings. */
static void print_batch_end(const cli *c, const rowrun *run,
                            const smsmux_batch_summary *sum,
                            const smsmux_error *stop) {
  unsigned long handled = sum->sent + sum->refused + sum->unknown;

  print_error(stop);
  if (c->json) {
    print_batch_end_json(sum, stop);
    return;
  }
  print_summary_human(sum, run);
  if (run->prog.on && sum->seconds > 0)
    fprintf(stderr, "smsmux: %lu rows in %.1f s (%.0f/s), %lu requests\n",
            handled, sum->seconds, (double)handled / sum->seconds,
            sum->requests);
  if (sum->unknown)
    fprintf(stderr,
            "smsmux: WARNING: %lu message%s POSSIBLY SENT: check "
            "with the provider before sending %s again\n",
            sum->unknown, sum->unknown == 1 ? "" : "s",
            sum->unknown == 1 ? "it" : "them");
}

/** Ctrl-C, SIGTERM and SIGHUP set `interrupted` (once: a second one of
    the same signal ends at once).  SIGHUP ignored when smsmux started
    (nohup) stays ignored; SIGINT is caught even then (a shell starts
    background commands with it ignored, and kill -INT must still stop
    them cleanly). */
static void catch_interrupt(struct sigaction old_sa[N_STOP_SIGNALS]) {
  struct sigaction sa;
  size_t i;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sa.sa_flags = (int)SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (i = 0; i < N_STOP_SIGNALS; i++)
    sigaddset(&sa.sa_mask, stop_signals[i]);
  for (i = 0; i < N_STOP_SIGNALS; i++) {
    sigaction(stop_signals[i], NULL, &old_sa[i]);
    if (stop_signals[i] != SIGHUP || old_sa[i].sa_handler != SIG_IGN)
      sigaction(stop_signals[i], &sa, NULL);
  }
}

static void restore_interrupt(const struct sigaction old_sa[N_STOP_SIGNALS]) {
  size_t i;
  for (i = 0; i < N_STOP_SIGNALS; i++)
    sigaction(stop_signals[i], &old_sa[i], NULL);
}

/** Send the rows of `t` (`total` of them, 0: unknown) through a batch. */
static int send_rows(cli *c, const msgargs *m, smsmux_recipients *t,
                     unsigned long total) {
  smsmux_error stop;
  smsmux_batch_options bo;
  smsmux_batch *batch;
  smsmux_batch_summary *sum;
  rowrun run;
  unsigned long rows;
  struct sigaction old_sa[N_STOP_SIGNALS];

  memset(&stop, 0, sizeof stop);
  memset(&run, 0, sizeof run);
  run.c = c;
  run.rc = open_results(c, m, &run);
  if (run.rc != EXIT_DONE)
    return run.rc;
  run.out_tty = isatty(STDOUT_FILENO);

  memset(&bo, 0, sizeof bo);
  bo.size = sizeof bo;
  bo.workers = m->workers;
  bo.on_row = on_row;
  bo.userdata = &run;
  batch = smsmux_batch_new(c->sm, &bo, &stop);
  if (!batch) {
    if (run.results)
      fclose(run.results);
    return fail(c, &stop);
  }

  catch_interrupt(old_sa);
  progress_start(&run.prog, isatty(STDERR_FILENO) && !c->verbose && total != 1,
                 total);
  if (c->json)
    fputs("{\"messages\":[", stdout);
  rows = add_rows(batch, m, t, &stop);
  if (interrupted)
    smsmux_batch_cancel(batch);
  sum = smsmux_batch_finish(batch);
  restore_interrupt(old_sa);
  if (!sum)
    out_of_memory();
  if (run.prog.on) {
    progress_show(&run.prog, 1);
    fputc('\n', stderr);
  }
  note_stop(m, &run, sum, rows, &stop);
  if (stop.cls != SMSMUX_OK)
    run.rc = worse_exit(run.rc, smsmux_exit_code(stop.cls));
  /* 2 says "nothing was sent, fix the input": once some row was taken, the
     bad rows are failures among sent ones */
  if (run.rc == EXIT_USAGE && sum->sent > 0)
    run.rc = EXIT_FAILED;
  print_batch_end(c, &run, sum, &stop);
  smsmux_batch_summary_free(sum);
  return run.rc;
}

int send_file(cli *c, const msgargs *m) {
  smsmux_error err;
  smsmux_recipients *t;
  unsigned long total;
  int rc;

  memset(&err, 0, sizeof err);
  t = smsmux_recipients_open(m->to_file, "--to-file", &err);
  if (!t || smsmux_template_check(m->text, t, &err) < 0 ||
      count_rows(t, m->to_file, &total, &err) < 0) {
    rc = fail(c, &err);
  } else {
    rc = open_library(c);
    if (rc == EXIT_DONE)
      rc = send_rows(c, m, t, total);
  }
  smsmux_recipients_close(t);
  return rc;
}
