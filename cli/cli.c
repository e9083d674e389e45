/* cli: the `smsmux` command.  Parses the arguments, runs one command
 * against libsmsmux (include/smsmux/smsmux.h) and prints the outcome:
 * short human lines, or with --json one JSON document built by the
 * library (smsmux_*_json).
 *
 * Exit status: 0 done; 1 the provider(s) refused or failed; 2 usage,
 * configuration or input error; 3 outcome unknown (possibly sent).
 * Usage errors are found before the configuration is opened, and input
 * files (--text-file, --to-file) are checked before anything is sent. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <smsmux/smsmux.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNKNOWN = 3 };

/** The run: global options, the open library handle, the command. */
typedef struct cli {
  const char *config;  /**< --config, or NULL: the library's lookup order */
  int json;            /**< --json */
  int verbose;         /**< --verbose */
  const char *command; /**< command name, for usage hints; NULL before it */
  smsmux *sm;          /**< open once the arguments are checked */
} cli;

/* ---------------------------------------------------------------- types -- */

/** A growable array of owned strings. */
typedef struct strv {
  char **v;
  size_t n, cap;
} strv;

static int json_mode; /* for out_of_memory(), which has no cli at hand */

/* -------------------------------------------------- usage and errors -- */

static const char usage_text[] =
    "Usage: smsmux [--config FILE] [--json] [--verbose] COMMAND [ARGS...]\n"
    "\n"
    "Send SMS, MMS and voice messages through several providers.\n"
    "\n"
    "Commands:\n"
    "  send       send a message: --to N[,N...] | --to-file FILE,\n"
    "             --text T | --text-file F, and more (smsmux send --help)\n"
    "  route      the same flags as send: which provider would take the\n"
    "             message and why; sends nothing\n"
    "  status     [--provider P] ID   delivery status per recipient\n"
    "  replies    --provider P [ID]   replies (MO) received\n"
    "  credit     [--provider P]      remaining credit, per provider\n"
    "  cancel     --provider P ID     cancel a scheduled message\n"
    "  call       --provider P OP [key=value ...]\n"
    "                                 a provider-specific operation\n"
    "  providers                      configured instances: plugin, ABI,\n"
    "                                 capabilities, operations\n"
    "  plugins                        plugins in plugin_dir, whether each\n"
    "                                 loads, and why not\n"
    "  plugins --check FILE           check one plugin file (no config)\n"
    "\n"
    "Options (before the command; also accepted after it):\n"
    "  -c, --config FILE  configuration file; without it: $SMSMUX_CONFIG,\n"
    "                     ./smsmux.ini, $XDG_CONFIG_HOME/smsmux/smsmux.ini,\n"
    "                     /etc/smsmux/smsmux.ini\n"
    "      --json         one JSON document on stdout, on failure too\n"
    "      --verbose      log provider requests and answers on stderr\n"
    "                     (secrets redacted)\n"
    "  -h, --help         this help; smsmux COMMAND --help for a command\n"
    "      --version      print the version\n"
    "\n"
    "Exit status: 0 done; 1 the provider(s) refused or failed; 2 usage,\n"
    "configuration or input error; 3 outcome unknown (the message may have\n"
    "been sent: check before sending it again).\n";

static const char send_usage_text[] =
    "Usage: smsmux send (--to N[,N...] | --to-file FILE)\n"
    "                   (--text T | --text-file F) [options]\n"
    "       smsmux route  (the same flags): which provider, and why\n"
    "\n"
    "Recipients:\n"
    "  --to N[,N...]       numbers (+33612345678, 0612345678, ...); "
    "repeatable\n"
    "  --to-file FILE      one number per line, or a CSV (',' or ';') whose\n"
    "                      header names the number column (to, number, "
    "numero,\n"
    "                      mobile, gsm, sms, portable); other columns fill\n"
    "                      ${COLUMN} placeholders in the text, one message "
    "per\n"
    "                      row; blank lines and lines starting with # "
    "skipped;\n"
    "                      - reads stdin\n"
    "Content:\n"
    "  --text T            UTF-8 text\n"
    "  --text-file F       text read from a UTF-8 file (- reads stdin);\n"
    "                      trailing newlines are dropped\n"
    "  --kind sms|mms|voice  default sms (mms when a media URL is given)\n"
    "  --image URL, --video URL, --audio URL   MMS media\n"
    "  --duration S        video/audio duration in seconds\n"
    "  --subject S         MMS subject / campaign name\n"
    "Sending:\n"
    "  --from S            sender ID (3 to 11 letters/digits) or number\n"
    "  --at 'YYYY-MM-DD HH:MM[:SS]'  send later (local time)\n"
    "  --route R           use route R of the configuration\n"
    "  --provider P        use provider instance P only (not with --route)\n"
    "  --ref REF           your reference: sending again with the same REF\n"
    "                      never sends twice (per row: REF#ROW)\n"
    "  --option KEY=VALUE  provider option, e.g. stop=1; repeatable\n"
    "With --to-file:\n"
    "  --workers N         send with N threads (default 4); rows with the\n"
    "                      same text share requests, up to the providers'\n"
    "                      recipient limits; max_rps is honoured\n"
    "  --results FILE      one CSV line per recipient: line, to, status,\n"
    "                      provider, id, code, text\n";

static const char status_usage_text[] =
    "Usage: smsmux status [--provider P] ID\n"
    "Delivery status of message ID, per recipient.  Without --provider,\n"
    "the provider that sent ID is taken from the journal.\n";

static const char replies_usage_text[] =
    "Usage: smsmux replies --provider P [ID] [--start N] [--count N]\n"
    "                      [--since 'YYYY-MM-DD HH:MM'] [--until ...]\n"
    "Replies (MO) received, newest first; with ID, only the replies to it.\n"
    "Dates are local time ('YYYY-MM-DD', 'YYYY-MM-DD HH:MM[:SS]').\n";

static const char credit_usage_text[] =
    "Usage: smsmux credit [--provider P]\n"
    "Remaining credit of provider P, or of every enabled provider.\n";

static const char cancel_usage_text[] = "Usage: smsmux cancel --provider P ID\n"
                                        "Cancel the scheduled message ID.\n";

static const char call_usage_text[] =
    "Usage: smsmux call --provider P OP [key=value ...]\n"
    "Run the provider-specific operation OP; 'smsmux providers' lists the\n"
    "operations of each provider and their parameters.\n";

static const char providers_usage_text[] =
    "Usage: smsmux providers\n"
    "Configured provider instances: plugin, version, ABI, capabilities,\n"
    "operations, and why one is not usable.\n";

static const char plugins_usage_text[] =
    "Usage: smsmux plugins\n"
    "       smsmux plugins --check FILE\n"
    "Plugin files in plugin_dir, whether each loads, and why not.\n"
    "With --check, load FILE alone (no configuration is read) and report\n"
    "its entry symbol, ABI, descriptor size, name, the functions its\n"
    "capabilities require, operations and configuration keys; exit 2 with\n"
    "every problem found when it would not load.\n";

/* ---------------------------------------------------------------- flags -- */

enum flag_id {
  F_CONFIG = 1,
  F_JSON,
  F_VERBOSE,
  F_HELP,
  F_VERSION,
  F_TO,
  F_TO_FILE,
  F_TEXT,
  F_TEXT_FILE,
  F_FROM,
  F_AT,
  F_KIND,
  F_IMAGE,
  F_VIDEO,
  F_AUDIO,
  F_DURATION,
  F_SUBJECT,
  F_ROUTE,
  F_PROVIDER,
  F_REF,
  F_OPTION,
  F_START,
  F_COUNT,
  F_SINCE,
  F_UNTIL,
  F_CHECK,
  F_WORKERS,
  F_RESULTS
};

typedef struct cli_flag {
  const char *name; /**< long name, without "--" */
  int takes_value;
  int id;
} cli_flag;

/* Accepted before the command and, except --version, after it too. */
static const cli_flag global_flags[] = {{"config", 1, F_CONFIG},
                                        {"json", 0, F_JSON},
                                        {"verbose", 0, F_VERBOSE},
                                        {"help", 0, F_HELP},
                                        {NULL, 0, 0}};

static const cli_flag message_flags[] = {{"to", 1, F_TO},
                                         {"to-file", 1, F_TO_FILE},
                                         {"text", 1, F_TEXT},
                                         {"text-file", 1, F_TEXT_FILE},
                                         {"from", 1, F_FROM},
                                         {"at", 1, F_AT},
                                         {"kind", 1, F_KIND},
                                         {"image", 1, F_IMAGE},
                                         {"video", 1, F_VIDEO},
                                         {"audio", 1, F_AUDIO},
                                         {"duration", 1, F_DURATION},
                                         {"subject", 1, F_SUBJECT},
                                         {"route", 1, F_ROUTE},
                                         {"provider", 1, F_PROVIDER},
                                         {"ref", 1, F_REF},
                                         {"option", 1, F_OPTION},
                                         {"workers", 1, F_WORKERS},
                                         {"results", 1, F_RESULTS},
                                         {NULL, 0, 0}};

static const cli_flag provider_flags[] = {{"provider", 1, F_PROVIDER},
                                          {NULL, 0, 0}};

static const cli_flag replies_flags[] = {
    {"provider", 1, F_PROVIDER}, {"start", 1, F_START}, {"count", 1, F_COUNT},
    {"since", 1, F_SINCE},       {"until", 1, F_UNTIL}, {NULL, 0, 0}};

static const cli_flag no_flags[] = {{NULL, 0, 0}};

static const cli_flag plugins_flags[] = {{"check", 1, F_CHECK}, {NULL, 0, 0}};

/** Walks the arguments of one command. */
typedef struct argscan {
  int argc;
  char **argv;
  int i;
  int only_positional; /**< after "--" */
} argscan;

enum { ARG_END = 0, ARG_FLAG = 1, ARG_POSITIONAL = 2, ARG_ERROR = -1 };

/* Helpers, defined at the end of the file. */
static int usage_error(const cli *c, const char *fmt, ...) SMSMUX_PRINTF(2, 3);
static int fail(const cli *c, const smsmux_error *err);
static void print_error(const smsmux_error *err);
static int worse_exit(int a, int b);
static int next_arg(cli *c, argscan *s, const cli_flag *flags, int *id,
                    const char **value);
static int parse_unsigned(const char *s, unsigned *out);
static int parse_local_time(const char *s, int64_t *when, char norm[20]);
static void set_error(smsmux_error *err, smsmux_error_class cls,
                      const char *fmt, ...) SMSMUX_PRINTF(3, 4);
static void out_of_memory(void) __attribute__((noreturn));
static void print_json(char *text);
static void strv_push_n(strv *sv, const char *s, size_t n);
static void strv_push(strv *sv, const char *s);
static void strv_free(strv *sv);

/* ------------------------------------------------------ the commands -- */

/* Argument parsers return -1 after printing a command's --help: done. */
static int help_done(int rc) { return rc < 0 ? EXIT_DONE : rc; }

static int cmd_send(cli *c, int argc, char **argv);
static int cmd_route(cli *c, int argc, char **argv);
static int cmd_status(cli *c, int argc, char **argv);
static int cmd_replies(cli *c, int argc, char **argv);
static int cmd_credit(cli *c, int argc, char **argv);
static int cmd_cancel(cli *c, int argc, char **argv);
static int cmd_call(cli *c, int argc, char **argv);
static int cmd_providers(cli *c, int argc, char **argv);
static int cmd_plugins(cli *c, int argc, char **argv);

typedef struct cli_command {
  const char *name;
  int (*run)(cli *c, int argc, char **argv);
  const char *usage;
} cli_command;

static const cli_command commands[] = {
    {"send", cmd_send, send_usage_text},
    {"route", cmd_route, send_usage_text},
    {"status", cmd_status, status_usage_text},
    {"replies", cmd_replies, replies_usage_text},
    {"credit", cmd_credit, credit_usage_text},
    {"cancel", cmd_cancel, cancel_usage_text},
    {"call", cmd_call, call_usage_text},
    {"providers", cmd_providers, providers_usage_text},
    {"plugins", cmd_plugins, plugins_usage_text},
    {NULL, NULL, NULL}};

static const cli_command *find_command(const char *name) {
  for (const cli_command *k = commands; k->name; k++)
    if (strcmp(k->name, name) == 0)
      return k;
  return NULL;
}

int main(int argc, char **argv) {
  cli c;
  argscan s = {argc, argv, 1, 0};
  const cli_command *cmd;
  const char *name = NULL;
  int id, r;

  static const cli_flag before_command[] = {{"version", 0, F_VERSION},
                                            {NULL, 0, 0}};

  memset(&c, 0, sizeof c);
  /* The global options, up to the command name. */
  while ((r = next_arg(&c, &s, before_command, &id, &name)) == ARG_FLAG) {
    if (id == F_HELP) {
      fputs(usage_text, stdout);
      return EXIT_DONE;
    }
    if (id == F_VERSION) {
      printf("smsmux %s (libsmsmux %s)\n", PACKAGE_VERSION, smsmux_version());
      return EXIT_DONE;
    }
  }
  if (r == ARG_ERROR)
    return EXIT_USAGE;
  if (r == ARG_END)
    return usage_error(&c, "no command given: say what to do, e.g. "
                           "'smsmux send --to NUMBER --text TEXT'");
  if (strcmp(name, "help") == 0) { /* smsmux help [COMMAND] */
    cmd = s.i < argc ? find_command(argv[s.i]) : NULL;
    fputs(cmd ? cmd->usage : usage_text, stdout);
    return EXIT_DONE;
  }
  cmd = find_command(name);
  if (!cmd)
    return usage_error(&c,
                       "unknown command '%s'; the commands are send, route, "
                       "status, replies, credit, cancel, call, providers, "
                       "plugins",
                       name);
  c.command = cmd->name;
  r = cmd->run(&c, argc - s.i, argv + s.i);
  if (c.sm)
    smsmux_close(c.sm);
  return r;
}

/** Open the configuration (after the arguments were found sound). */
static int open_library(cli *c) {
  smsmux_options opts;
  smsmux_error err;

  memset(&opts, 0, sizeof opts);
  memset(&err, 0, sizeof err);
  opts.size = sizeof opts;
  opts.verbose = c->verbose;
  c->sm = smsmux_open(c->config, &opts, &err);
  if (!c->sm) {
    if (err.cls == SMSMUX_OK) /* the library always says; be safe */
      set_error(&err, SMSMUX_ERR_CONFIG, "cannot open the configuration");
    return fail(c, &err);
  }
  if (c->verbose) /* which file the lookup settled on */
    fprintf(stderr, "smsmux: configuration %s\n", smsmux_config_path(c->sm));
  return EXIT_DONE;
}

/* ------------------------------------------------- message arguments -- */

/** The message flags of send and route, as given. */
typedef struct msgargs {
  strv to;               /**< --to numbers, comma lists split */
  const char *to_file;   /**< --to-file */
  const char *text;      /**< --text, or the --text-file contents */
  const char *text_file; /**< --text-file */
  char *text_owned;      /**< what was read from --text-file */
  const char *from;
  char at[20]; /**< --at normalised to "YYYY-MM-DD HH:MM:SS", or "" */
  smsmux_kind kind;
  int kind_given;
  const char *image, *video, *audio, *subject;
  unsigned duration;
  const char *route, *provider, *ref;
  strv option_keys, option_values; /**< --option KEY=VALUE */
  smsmux_kv *options;
  unsigned workers;    /**< --workers (send --to-file), 0: the default */
  const char *results; /**< --results FILE (send --to-file) */
} msgargs;

static void msgargs_free(msgargs *m) {
  strv_free(&m->to);
  free(m->text_owned);
  strv_free(&m->option_keys);
  strv_free(&m->option_values);
  free(m->options);
}

static int parse_message_args(cli *c, int argc, char **argv, msgargs *m);
static void fill_request(smsmux_send_request *req, const msgargs *m,
                         const char *const *to, size_t n_to, const char *text,
                         const char *ref);

static int send_single(cli *c, const msgargs *m, const char *const *to,
                       size_t n_to);
static int count_rows(smsmux_recipients *t, const char *path,
                      unsigned long *total, smsmux_error *err);
static int send_rows(cli *c, const msgargs *m, smsmux_recipients *t,
                     unsigned long total);

static int cmd_send(cli *c, int argc, char **argv) {
  msgargs m;
  smsmux_recipients *t = NULL;
  smsmux_error err;
  unsigned long total;
  int rc;

  memset(&err, 0, sizeof err);
  rc = parse_message_args(c, argc, argv, &m);
  if (rc != EXIT_DONE) /* -1: --help was printed */
    goto out;
  if (!m.to_file) {
    rc = open_library(c);
    if (rc == EXIT_DONE)
      rc = send_single(c, &m, (const char *const *)m.to.v, m.to.n);
    goto out;
  }
  /* A file, plain list or CSV, with or without ${COLUMN}: one row per
     recipient through the batch API (rows with the same text share
     requests); a file that can be read twice is checked first. */
  if (!(t = smsmux_recipients_open(m.to_file, "--to-file", &err)) ||
      smsmux_template_check(m.text, t, &err) < 0 ||
      count_rows(t, m.to_file, &total, &err) < 0) {
    rc = fail(c, &err);
    goto out;
  }
  rc = open_library(c);
  if (rc == EXIT_DONE)
    rc = send_rows(c, &m, t, total);
out:
  smsmux_recipients_close(t);
  msgargs_free(&m);
  return help_done(rc);
}

/** Parse and check the message flags; the --text-file is read here. */
static int parse_message_args(cli *c, int argc, char **argv, msgargs *m) {
  argscan s = {argc, argv, 0, 0};
  const char *v;
  int id, r;
  smsmux_error err;

  memset(m, 0, sizeof *m);
  while ((r = next_arg(c, &s, message_flags, &id, &v)) != ARG_END) {
    if (r == ARG_ERROR)
      return EXIT_USAGE;
    if (r == ARG_POSITIONAL)
      return usage_error(c,
                         "unexpected argument '%s': give the text with "
                         "--text, the numbers with --to",
                         v);
    switch (id) {
    case F_HELP:
      fputs(send_usage_text, stdout);
      return -1;
    case F_TO: {
      const char *p = v;
      size_t before = m->to.n;
      while (*p) {
        size_t len = strcspn(p, ",");
        const char *b = p, *e = p + len;
        while (b < e && isspace((unsigned char)*b))
          b++;
        while (e > b && isspace((unsigned char)e[-1]))
          e--;
        if (e > b)
          strv_push_n(&m->to, b, (size_t)(e - b));
        p += len;
        if (*p == ',')
          p++;
      }
      if (m->to.n == before)
        return usage_error(c, "--to '%s' holds no number", v);
      break;
    }
    case F_TO_FILE:
      m->to_file = v;
      break;
    case F_TEXT:
      m->text = v;
      break;
    case F_TEXT_FILE:
      m->text_file = v;
      break;
    case F_FROM:
      m->from = v;
      break;
    case F_AT: {
      int64_t when;
      if (parse_local_time(v, &when, m->at) < 0)
        return usage_error(c,
                           "--at '%s' is not a date: write it as "
                           "'YYYY-MM-DD HH:MM:SS' (local time)",
                           v);
      break;
    }
    case F_KIND:
      if (strcasecmp(v, "sms") == 0)
        m->kind = SMSMUX_KIND_SMS;
      else if (strcasecmp(v, "mms") == 0)
        m->kind = SMSMUX_KIND_MMS;
      else if (strcasecmp(v, "voice") == 0)
        m->kind = SMSMUX_KIND_VOICE;
      else
        return usage_error(c,
                           "--kind '%s' is not a kind: use sms, mms or "
                           "voice",
                           v);
      m->kind_given = 1;
      break;
    case F_IMAGE:
      m->image = v;
      break;
    case F_VIDEO:
      m->video = v;
      break;
    case F_AUDIO:
      m->audio = v;
      break;
    case F_DURATION:
      if (parse_unsigned(v, &m->duration) < 0 || m->duration == 0)
        return usage_error(c, "--duration '%s' is not a number of seconds", v);
      break;
    case F_SUBJECT:
      m->subject = v;
      break;
    case F_ROUTE:
      m->route = v;
      break;
    case F_PROVIDER:
      m->provider = v;
      break;
    case F_REF:
      if (!*v)
        return usage_error(c, "--ref needs a non-empty reference");
      m->ref = v;
      break;
    case F_WORKERS:
      if (parse_unsigned(v, &m->workers) < 0 || m->workers == 0 ||
          m->workers > 256)
        return usage_error(c, "--workers '%s': give a number of threads "
                              "from 1 to 256", v);
      break;
    case F_RESULTS:
      if (!*v)
        return usage_error(c, "--results needs a file name");
      m->results = v;
      break;
    case F_OPTION: {
      const char *eq = strchr(v, '=');
      if (!eq || eq == v)
        return usage_error(c, "--option '%s' is not KEY=VALUE (e.g. stop=1)",
                           v);
      strv_push_n(&m->option_keys, v, (size_t)(eq - v));
      strv_push(&m->option_values, eq + 1);
      break;
    }
    default:
      break;
    }
  }

  if (m->route && m->provider)
    return usage_error(c, "--route and --provider cannot be used together: "
                          "--route picks a route of the configuration, "
                          "--provider forces one provider; keep one");
  if (m->to.n && m->to_file)
    return usage_error(c, "--to and --to-file cannot be used together: put "
                          "every number in the file, or use --to only");
  if (!m->to.n && !m->to_file)
    return usage_error(c,
                       "%s needs recipients: --to NUMBER[,NUMBER...] or "
                       "--to-file FILE",
                       c->command);
  if (m->text && m->text_file)
    return usage_error(c, "--text and --text-file cannot be used together; "
                          "keep one");
  if ((m->workers || m->results) &&
      (strcmp(c->command, "send") != 0 || !m->to_file))
    return usage_error(c, "--workers and --results are for send --to-file");
  if (m->text_file && m->to_file && strcmp(m->text_file, "-") == 0 &&
      strcmp(m->to_file, "-") == 0)
    return usage_error(c, "--text-file and --to-file cannot both read "
                          "stdin ('-')");
  if (m->image || m->video || m->audio) {
    if (!m->kind_given)
      m->kind = SMSMUX_KIND_MMS;
    else if (m->kind != SMSMUX_KIND_MMS)
      return usage_error(c, "--image, --video and --audio are for MMS: drop "
                            "--kind or use --kind mms");
  }
  if (!m->text && !m->text_file && m->kind != SMSMUX_KIND_MMS)
    return usage_error(c, "%s needs a text: --text TEXT or --text-file FILE",
                       c->command);
  if (m->text_file) {
    m->text_owned = smsmux_read_text_file(m->text_file, "--text-file", &err);
    if (!m->text_owned)
      return fail(c, &err);
    m->text = m->text_owned;
  }
  if (!m->text)
    m->text = "";
  if (m->option_keys.n) {
    m->options = calloc(m->option_keys.n, sizeof *m->options);
    if (!m->options)
      out_of_memory();
    for (size_t i = 0; i < m->option_keys.n; i++) {
      m->options[i].key = m->option_keys.v[i];
      m->options[i].value = m->option_values.v[i];
    }
  }
  return EXIT_DONE;
}

static void fill_request(smsmux_send_request *req, const msgargs *m,
                         const char *const *to, size_t n_to, const char *text,
                         const char *ref) {
  memset(req, 0, sizeof *req);
  req->size = sizeof *req;
  req->kind = m->kind;
  req->text = text;
  req->to = to;
  req->n_to = n_to;
  req->from = m->from;
  req->at = m->at[0] ? m->at : NULL;
  req->ref = ref;
  req->image_url = m->image;
  req->video_url = m->video;
  req->audio_url = m->audio;
  req->duration = m->duration;
  req->subject = m->subject;
  req->route = m->route;
  req->provider = m->provider;
  req->options = m->options;
  req->n_options = m->option_keys.n;
}

/* --------------------------------------------------------------- send -- */

static void print_send_human(const smsmux_send_result *r);
static int send_exit_code(const smsmux_send_result *r);

static int send_single(cli *c, const msgargs *m, const char *const *to,
                       size_t n_to) {
  smsmux_send_request req;
  smsmux_send_result *r;
  int rc;

  fill_request(&req, m, to, n_to, m->text, m->ref);
  r = smsmux_send(c->sm, &req);
  if (!r)
    out_of_memory();
  if (c->json) {
    print_json(smsmux_send_result_json(r));
    if (r->possibly_sent)
      fprintf(stderr, "smsmux: WARNING: POSSIBLY SENT: %s\n", r->error.message);
    else
      print_error(&r->error);
  } else {
    print_send_human(r);
  }
  rc = send_exit_code(r);
  smsmux_send_result_free(r);
  return rc;
}

/** 3 when possibly sent, the class's status on failure, 1 when the
    provider refused some of the recipients, else 0. */
static int send_exit_code(const smsmux_send_result *r) {
  if (r->possibly_sent)
    return EXIT_UNKNOWN;
  if (r->error.cls != SMSMUX_OK)
    return smsmux_exit_code(r->error.cls);
  for (size_t i = 0; i < r->n_recipients; i++)
    if (r->recipients[i].status == SMSMUX_STATUS_REJECTED)
      return EXIT_FAILED;
  return EXIT_DONE;
}

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

static void print_attempts(FILE *out, const smsmux_send_result *r) {
  fprintf(out, "attempts:\n");
  for (size_t i = 0; i < r->n_attempts; i++) {
    const smsmux_attempt *a = &r->attempts[i];
    if (a->ok)
      fprintf(out, "  %s: ok\n", or_dash(a->provider));
    else
      fprintf(out, "  %s: failed (%s%s%s)%s%s\n", or_dash(a->provider),
              smsmux_error_class_name(a->cls), a->code ? ", code " : "",
              a->code ? a->code : "", a->message ? ": " : "",
              a->message ? a->message : "");
  }
}

/** Whether a recipient's raw code/text is worth showing: only when the
    provider did not simply take the message. */
static int status_is_trouble(smsmux_status st) {
  return st != SMSMUX_STATUS_ACCEPTED && st != SMSMUX_STATUS_SCHEDULED &&
         st != SMSMUX_STATUS_SENT && st != SMSMUX_STATUS_DELIVERED;
}

/* "(default)" and "(--provider)" are the library's names for "no route
   of the configuration": say nothing of them. */
static int is_default_route(const char *route) {
  return !route || !*route || route[0] == '(';
}

static void print_send_human(const smsmux_send_result *r) {
  size_t rejected = 0, taken = 0;
  int failed = r->error.cls != SMSMUX_OK || r->possibly_sent;

  for (size_t i = 0; i < r->n_recipients; i++) {
    if (r->recipients[i].status == SMSMUX_STATUS_REJECTED)
      rejected++;
    else if (r->recipients[i].status != SMSMUX_STATUS_UNKNOWN)
      taken++;
  }
  if (r->possibly_sent) {
    fprintf(stderr, "smsmux: WARNING: POSSIBLY SENT%s%s%s%s: %s\n",
            r->provider ? " via " : "", r->provider ? r->provider : "",
            r->id ? ", id " : "", r->id ? r->id : "",
            r->error.message[0] ? r->error.message
                                : "the outcome is unknown: check with the "
                                  "provider before sending it again");
  } else if (r->error.cls != SMSMUX_OK) {
    print_error(&r->error);
  } else if (r->duplicate) {
    printf("already sent with this --ref (via %s, id %s): nothing sent "
           "again\n",
           or_dash(r->provider), or_dash(r->id));
  } else {
    printf("%s via ",
           taken && r->recipients[0].status == SMSMUX_STATUS_SCHEDULED
               ? "scheduled"
               : "sent");
    if (is_default_route(r->route))
      printf("%s", or_dash(r->provider));
    else
      printf("%s (%s)", r->route, or_dash(r->provider));
    printf(" id %s: %zu recipient%s, %s, %u segment%s, cost %g\n",
           or_dash(r->id), r->n_recipients, r->n_recipients == 1 ? "" : "s",
           r->encoding == SMSMUX_ENC_UCS2 ? "ucs2" : "gsm7", r->segments,
           r->segments == 1 ? "" : "s", r->cost);
  }
  /* Recipients: always on success; on failure only when some were taken
     (a partial send), as the error already speaks for the rest. */
  if (!failed || taken) {
    FILE *out = failed ? stderr : stdout;
    for (size_t i = 0; i < r->n_recipients; i++) {
      const smsmux_recipient_result *rc = &r->recipients[i];
      fprintf(out, "  %-16s %s", or_dash(rc->to),
              smsmux_status_name(rc->status));
      if (rc->id && (!r->id || strcmp(rc->id, r->id) != 0))
        fprintf(out, "  id %s", rc->id);
      if (rc->provider &&
          (!r->provider || strcmp(rc->provider, r->provider) != 0))
        fprintf(out, "  via %s", rc->provider);
      if (status_is_trouble(rc->status) && (rc->code || rc->text))
        fprintf(out, "  (%s%s%s)", rc->code ? rc->code : "",
                rc->code && rc->text ? " " : "", rc->text ? rc->text : "");
      fputc('\n', out);
    }
  }
  /* Attempts: when there was a failover, or when they add to the error
     (one attempt that only repeats it says nothing more). */
  if (r->n_attempts > 1)
    print_attempts(failed ? stderr : stdout, r);
  else if (failed && r->n_attempts == 1 && r->attempts[0].message &&
           strcmp(r->attempts[0].message, r->error.message) != 0)
    print_attempts(stderr, r);
  if (!failed && rejected)
    fprintf(stderr,
            "smsmux: the provider refused %zu of the %zu "
            "recipients (see above)\n",
            rejected, r->n_recipients);
}

/* ------------------------------------------------ send, row by row ---- */

/* Ctrl-C during a long send: the requests in flight finish, the rows not
   yet sent are left for a rerun, and the JSON document stays whole. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
  (void)sig;
  interrupted = 1;
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
} rowrun;

static void on_row(void *userdata, const smsmux_batch_row *row) {
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
  if (r->possibly_sent)
    fprintf(stderr, "smsmux: line %lu (%s): WARNING: POSSIBLY SENT%s%s: %s\n",
            line, or_dash(row->to), r->provider ? " via " : "",
            r->provider ? r->provider : "", r->error.message);
  else if (r->error.cls != SMSMUX_OK)
    fprintf(stderr, "smsmux: line %lu (%s): %s\n", line, or_dash(row->to),
            r->error.message);
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

static void print_summary_human(const smsmux_batch_summary *s) {
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
  if (s->not_sent)
    printf("  %lu not sent (interrupted)\n", s->not_sent);
}

static int send_rows(cli *c, const msgargs *m, smsmux_recipients *t,
                     unsigned long total) {
  smsmux_error stop;
  smsmux_batch_options bo;
  smsmux_batch *batch;
  smsmux_batch_summary *sum;
  rowrun run;
  char *ref = NULL;
  size_t ref_size = 0;
  unsigned long row = 0, handled;
  struct sigaction sa, old_sa;
  int personal = smsmux_template_has_placeholders(m->text);

  memset(&stop, 0, sizeof stop);
  memset(&run, 0, sizeof run);
  run.c = c;
  run.rc = EXIT_DONE;
  run.out_tty = isatty(STDOUT_FILENO);
  if (m->results) {
    run.results = fopen(m->results, "w");
    if (!run.results) {
      set_error(&stop, SMSMUX_ERR_INPUT, "cannot write --results %s: %s",
                m->results, strerror(errno));
      return fail(c, &stop);
    }
    fputs("line,to,status,provider,id,code,text\n", run.results);
  }

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

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sa.sa_flags = (int)SA_RESETHAND; /* a second Ctrl-C ends at once */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_sa);

  run.prog.on = isatty(STDERR_FILENO) && !c->verbose && total != 1;
  run.prog.total = total;
  clock_gettime(CLOCK_MONOTONIC, &run.prog.start);
  run.prog.last = run.prog.start;

  if (c->json)
    fputs("{\"messages\":[", stdout);
  if (m->ref) { /* REF#ROW */
    ref_size = strlen(m->ref) + 32;
    ref = malloc(ref_size);
    if (!ref)
      out_of_memory();
  }
  while (!interrupted && smsmux_recipients_next(t, &stop) == 1) {
    const char *to[1];
    smsmux_send_request req;
    char *text = NULL;
    int k;

    row++;
    if (personal && !(text = smsmux_template_render(m->text, t)))
      out_of_memory();
    if (ref)
      snprintf(ref, ref_size, "%s#%lu", m->ref, row);
    to[0] = smsmux_recipients_number(t);
    fill_request(&req, m, to, 1, personal ? text : m->text, ref);
    k = smsmux_batch_add(batch, &req, smsmux_recipients_line(t), &stop);
    free(text);
    if (k < 0)
      break;
  }
  if (interrupted)
    smsmux_batch_cancel(batch);
  sum = smsmux_batch_finish(batch);
  sigaction(SIGINT, &old_sa, NULL);
  handled = sum->sent + sum->refused + sum->unknown;
  if (interrupted)
    set_error(&stop, SMSMUX_ERR_SYSTEM,
              "interrupted after %lu row%s of %s (%lu read but not sent); "
              "run the same command again with the same --ref to send the "
              "rest without sending a row twice",
              handled, handled == 1 ? "" : "s", m->to_file, sum->not_sent);
  if (stop.cls == SMSMUX_OK && row == 0)
    set_error(&stop, SMSMUX_ERR_INPUT, "%s holds no number", m->to_file);
  if (run.prog.on) {
    progress_show(&run.prog, 1);
    fputc('\n', stderr);
  }
  if (run.results && fclose(run.results) != 0 && stop.cls == SMSMUX_OK)
    set_error(&stop, SMSMUX_ERR_SYSTEM, "cannot write --results %s: %s",
              m->results, strerror(errno));

  if (stop.cls != SMSMUX_OK)
    run.rc = worse_exit(run.rc, smsmux_exit_code(stop.cls));
  print_error(&stop);
  if (c->json) {
    print_batch_end_json(sum, &stop);
  } else {
    print_summary_human(sum);
    if (run.prog.on && sum->seconds > 0)
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
  smsmux_batch_summary_free(sum);
  free(ref);
  return run.rc;
}

/* -------------------------------------------------------------- route -- */

static int cmd_route(cli *c, int argc, char **argv) {
  msgargs m;
  smsmux_recipients *t = NULL;
  smsmux_error err;
  strv numbers = {0};
  char *text = NULL;
  smsmux_send_request req;
  smsmux_route_explain *r;
  const char *use_text;
  int rc;

  memset(&err, 0, sizeof err);
  rc = parse_message_args(c, argc, argv, &m);
  if (rc != EXIT_DONE) /* -1: --help was printed */
    goto out;
  use_text = m.text;
  if (m.to_file) {
    int personal;
    t = smsmux_recipients_open(m.to_file, "--to-file", &err);
    if (!t || smsmux_template_check(m.text, t, &err) < 0) {
      rc = fail(c, &err);
      goto out;
    }
    personal = smsmux_template_has_placeholders(m.text);
    /* Every number; a personalised text is explained as the first row
       will read. */
    for (int k; (k = smsmux_recipients_next(t, &err)) != 0;) {
      if (k < 0) {
        rc = fail(c, &err);
        goto out;
      }
      if (personal && numbers.n == 0) {
        text = smsmux_template_render(m.text, t);
        if (!text)
          out_of_memory();
        use_text = text;
      }
      strv_push(&numbers, smsmux_recipients_number(t));
    }
    if (numbers.n == 0) {
      set_error(&err, SMSMUX_ERR_INPUT, "%s holds no number", m.to_file);
      rc = fail(c, &err);
      goto out;
    }
    if (personal && !c->json)
      fprintf(stderr, "smsmux: the text is personalised per row; explained "
                      "with the first row's text\n");
  }
  rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  if (m.to_file)
    fill_request(&req, &m, (const char *const *)numbers.v, numbers.n, use_text,
                 m.ref);
  else
    fill_request(&req, &m, (const char *const *)m.to.v, m.to.n, use_text,
                 m.ref);
  r = smsmux_route(c->sm, &req);
  if (!r)
    out_of_memory();
  if (c->json) {
    print_json(smsmux_route_explain_json(r));
  } else {
    if (r->route || r->policy)
      printf("route %s (%s): %s, %u segment%s\n", or_dash(r->route),
             or_dash(r->policy),
             r->encoding == SMSMUX_ENC_UCS2 ? "ucs2" : "gsm7", r->segments,
             r->segments == 1 ? "" : "s");
    for (size_t i = 0; i < r->n_candidates; i++) {
      const smsmux_route_candidate *k = &r->candidates[i];
      printf("  %s %-16s cost %-8g %s\n", k->chosen ? "*" : " ",
             or_dash(k->provider), k->cost, k->reason ? k->reason : "");
    }
    print_error(&r->error);
  }
  rc = smsmux_exit_code(r->error.cls);
  smsmux_route_explain_free(r);
out:
  smsmux_recipients_close(t);
  strv_free(&numbers);
  free(text);
  msgargs_free(&m);
  return help_done(rc);
}

/* ------------------------------------------- the provider commands ---- */

/** The arguments of the commands other than send and route. */
typedef struct simple_args {
  const char *provider;
  const char *pos[2];
  int n_pos;
  unsigned start, count;
  int64_t since, until;
  strv extra; /**< positional arguments beyond pos (call's key=value) */
} simple_args;

/**
 * Parse the flags of a command (`flags`) and up to `max_pos` positional
 * arguments, `min_pos` of them required (`pos_name` says what is missing);
 * with `collect_extra`, further ones go to a->extra.  Returns EXIT_DONE,
 * EXIT_USAGE after a usage error, or -1 after --help.
 */
static int parse_simple(cli *c, int argc, char **argv, const cli_flag *flags,
                        const char *usage, int min_pos, int max_pos,
                        const char *pos_name, int collect_extra,
                        simple_args *a) {
  argscan s = {argc, argv, 0, 0};
  const char *v;
  int id, r;

  memset(a, 0, sizeof *a);
  while ((r = next_arg(c, &s, flags, &id, &v)) != ARG_END) {
    if (r == ARG_ERROR)
      return EXIT_USAGE;
    if (r == ARG_POSITIONAL) {
      if (a->n_pos < max_pos)
        a->pos[a->n_pos++] = v;
      else if (collect_extra)
        strv_push(&a->extra, v);
      else
        return usage_error(c, "unexpected argument '%s'", v);
      continue;
    }
    switch (id) {
    case F_HELP:
      fputs(usage, stdout);
      return -1;
    case F_PROVIDER:
      a->provider = v;
      break;
    case F_START:
      if (parse_unsigned(v, &a->start) < 0)
        return usage_error(c, "--start '%s' is not a number", v);
      break;
    case F_COUNT:
      if (parse_unsigned(v, &a->count) < 0)
        return usage_error(c, "--count '%s' is not a number", v);
      break;
    case F_SINCE:
    case F_UNTIL:
      if (parse_local_time(v, id == F_SINCE ? &a->since : &a->until, NULL) < 0)
        return usage_error(c,
                           "--%s '%s' is not a date: write it as "
                           "'YYYY-MM-DD HH:MM' (local time)",
                           id == F_SINCE ? "since" : "until", v);
      break;
    default:
      break;
    }
  }
  if (a->n_pos < min_pos)
    return usage_error(c, "%s needs %s", c->command, pos_name);
  return EXIT_DONE;
}

static int cmd_status(cli *c, int argc, char **argv) {
  simple_args a;
  smsmux_status_result *r;
  int rc = parse_simple(c, argc, argv, provider_flags, status_usage_text, 1, 1,
                        "a message ID: smsmux status [--provider P] ID", 0, &a);
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  r = smsmux_status_get(c->sm, a.provider, a.pos[0]);
  if (!r)
    out_of_memory();
  if (c->json) {
    print_json(smsmux_status_result_json(r));
  } else if (r->error.cls == SMSMUX_OK) {
    printf("%s id %s: %zu recipient%s\n", or_dash(r->provider), or_dash(r->id),
           r->n_entries, r->n_entries == 1 ? "" : "s");
    for (size_t i = 0; i < r->n_entries; i++) {
      const smsmux_status_entry *e = &r->entries[i];
      printf("  %-16s %s", or_dash(e->to), smsmux_status_name(e->status));
      if (e->code || e->text)
        printf("  (%s%s%s)", e->code ? e->code : "",
               e->code && e->text ? " " : "", e->text ? e->text : "");
      if (e->at)
        printf("  at %s", e->at);
      putchar('\n');
    }
  }
  print_error(&r->error);
  rc = smsmux_exit_code(r->error.cls);
  smsmux_status_result_free(r);
out:
  strv_free(&a.extra);
  return help_done(rc);
}

static int cmd_replies(cli *c, int argc, char **argv) {
  simple_args a;
  smsmux_reply_query q;
  smsmux_replies_result *r;
  int rc = parse_simple(c, argc, argv, replies_flags, replies_usage_text, 0, 1,
                        "", 0, &a);
  if (rc == EXIT_DONE && !a.provider)
    rc = usage_error(c, "replies needs --provider P (the provider instance "
                        "to ask; 'smsmux providers' lists them)");
  if (rc == EXIT_DONE && a.since && a.until && a.until < a.since)
    rc = usage_error(c, "--until is before --since");
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  memset(&q, 0, sizeof q);
  q.size = sizeof q;
  q.id = a.n_pos ? a.pos[0] : NULL;
  q.start = a.start;
  q.count = a.count;
  q.since = a.since;
  q.until = a.until;
  r = smsmux_replies(c->sm, a.provider, &q);
  if (!r)
    out_of_memory();
  if (c->json) {
    print_json(smsmux_replies_result_json(r));
  } else if (r->error.cls == SMSMUX_OK) {
    if (r->n_entries == 0)
      printf("no replies\n");
    for (size_t i = 0; i < r->n_entries; i++) {
      const smsmux_reply_entry *e = &r->entries[i];
      printf("%s  %s", or_dash(e->at), or_dash(e->from));
      if (e->to)
        printf(" -> %s", e->to);
      printf(": %s", e->text ? e->text : "");
      if (e->id || e->message_id)
        printf("  (%s%s%s%s)", e->id ? "id " : "", e->id ? e->id : "",
               e->id && e->message_id ? ", reply to "
               : e->message_id        ? "reply to "
                                      : "",
               e->message_id ? e->message_id : "");
      putchar('\n');
    }
  }
  print_error(&r->error);
  rc = smsmux_exit_code(r->error.cls);
  smsmux_replies_result_free(r);
out:
  strv_free(&a.extra);
  return help_done(rc);
}

static int cmd_credit(cli *c, int argc, char **argv) {
  simple_args a;
  smsmux_credit_result *r;
  int rc = parse_simple(c, argc, argv, provider_flags, credit_usage_text, 0, 0,
                        "", 0, &a);
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  r = smsmux_credit(c->sm, a.provider);
  if (!r)
    out_of_memory();
  if (c->json)
    print_json(smsmux_credit_result_json(r));
  rc = smsmux_exit_code(r->error.cls);
  for (size_t i = 0; i < r->n_entries; i++) {
    const smsmux_credit_entry *e = &r->entries[i];
    if (e->ok) {
      if (!c->json)
        printf("%s: %g%s%s\n", or_dash(e->provider), e->credit,
               e->unit ? " " : "", e->unit ? e->unit : "");
    } else {
      const char *who = or_dash(e->provider);
      size_t wlen = strlen(who);
      /* The library's messages usually name the provider already. */
      if (strncmp(e->error.message, who, wlen) == 0)
        fprintf(stderr, "smsmux: %s\n", e->error.message);
      else
        fprintf(stderr, "smsmux: %s: %s\n", who, e->error.message);
      /* One provider asked: its own status; all of them: 1 if any failed. */
      rc = worse_exit(rc, a.provider ? smsmux_exit_code(e->error.cls)
                                     : EXIT_FAILED);
    }
  }
  if (!c->json) {
    print_error(&r->error);
    if (r->error.cls == SMSMUX_OK && r->n_entries == 0)
      printf("no enabled provider\n");
  }
  smsmux_credit_result_free(r);
out:
  strv_free(&a.extra);
  return help_done(rc);
}

static int cmd_cancel(cli *c, int argc, char **argv) {
  simple_args a;
  smsmux_error err;
  int rc = parse_simple(c, argc, argv, provider_flags, cancel_usage_text, 1, 1,
                        "a message ID: smsmux cancel --provider P ID", 0, &a);
  if (rc == EXIT_DONE && !a.provider)
    rc = usage_error(c, "cancel needs --provider P (the provider instance "
                        "that took the message)");
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  memset(&err, 0, sizeof err);
  if (smsmux_cancel(c->sm, a.provider, a.pos[0], &err) < 0 &&
      err.cls == SMSMUX_OK)
    set_error(&err, SMSMUX_ERR_SYSTEM, "cancel failed");
  if (c->json)
    print_json(smsmux_cancel_json(a.provider, a.pos[0], &err));
  else if (err.cls == SMSMUX_OK)
    printf("cancelled %s on %s\n", a.pos[0], a.provider);
  print_error(&err);
  rc = smsmux_exit_code(err.cls);
out:
  strv_free(&a.extra);
  return help_done(rc);
}

static int cmd_call(cli *c, int argc, char **argv) {
  simple_args a;
  smsmux_kv *params = NULL;
  strv keys = {0};
  smsmux_call_result *r;
  int rc = parse_simple(c, argc, argv, provider_flags, call_usage_text, 1, 1,
                        "an operation: smsmux call --provider P OP "
                        "[key=value ...]",
                        1, &a);
  if (rc == EXIT_DONE && !a.provider)
    rc = usage_error(c, "call needs --provider P ('smsmux providers' lists "
                        "each provider's operations)");
  if (rc != EXIT_DONE)
    goto out;
  params = calloc(a.extra.n ? a.extra.n : 1, sizeof *params);
  if (!params)
    out_of_memory();
  for (size_t i = 0; i < a.extra.n; i++) {
    const char *eq = strchr(a.extra.v[i], '=');
    if (!eq || eq == a.extra.v[i]) {
      rc = usage_error(c, "'%s' is not a parameter: write key=value",
                       a.extra.v[i]);
      goto out;
    }
    strv_push_n(&keys, a.extra.v[i], (size_t)(eq - a.extra.v[i]));
    params[i].value = eq + 1;
  }
  for (size_t i = 0; i < keys.n; i++)
    params[i].key = keys.v[i];
  rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  r = smsmux_call_op(c->sm, a.provider, a.pos[0], params, a.extra.n);
  if (!r)
    out_of_memory();
  if (c->json) {
    print_json(smsmux_call_result_json(r));
  } else if (r->error.cls == SMSMUX_OK) {
    if (r->n_records == 0)
      printf("%s on %s: done\n", a.pos[0], a.provider);
    for (size_t i = 0; i < r->n_records; i++) {
      const smsmux_record *rec = &r->records[i];
      if (i > 0)
        putchar('\n');
      for (size_t f = 0; f < rec->n_fields; f++)
        printf("%s: %s\n", or_dash(rec->fields[f].key),
               rec->fields[f].value ? rec->fields[f].value : "");
    }
  }
  print_error(&r->error);
  rc = smsmux_exit_code(r->error.cls);
  smsmux_call_result_free(r);
out:
  free(params);
  strv_free(&keys);
  strv_free(&a.extra);
  return help_done(rc);
}

static void print_provider_list(const smsmux_provider_list *l, int plugins);

static int list_command(cli *c, int argc, char **argv, int plugins) {
  simple_args a;
  smsmux_provider_list *l;
  int rc = parse_simple(c, argc, argv, no_flags,
                        plugins ? plugins_usage_text : providers_usage_text, 0,
                        0, "", 0, &a);
  if (rc == EXIT_DONE)
    rc = open_library(c);
  if (rc != EXIT_DONE)
    goto out;
  l = plugins ? smsmux_plugins(c->sm) : smsmux_providers(c->sm);
  if (!l)
    out_of_memory();
  if (c->json)
    print_json(
        smsmux_provider_list_json(plugins ? "plugins" : "providers", l));
  else
    print_provider_list(l, plugins);
  smsmux_provider_list_free(l);
out:
  strv_free(&a.extra);
  return help_done(rc);
}

static int cmd_providers(cli *c, int argc, char **argv) {
  return list_command(c, argc, argv, 0);
}

static int check_plugin(cli *c, const char *path);

static int cmd_plugins(cli *c, int argc, char **argv) {
  argscan s = {argc, argv, 0, 0};
  const char *v, *check = NULL, *stray = NULL;
  int id, r;

  /* `plugins --check FILE` reads no configuration: look for it first */
  while ((r = next_arg(c, &s, plugins_flags, &id, &v)) != ARG_END) {
    if (r == ARG_ERROR)
      return EXIT_USAGE;
    if (r == ARG_POSITIONAL && !stray)
      stray = v;
    if (r == ARG_FLAG && id == F_HELP) {
      fputs(plugins_usage_text, stdout);
      return EXIT_DONE;
    }
    if (r == ARG_FLAG && id == F_CHECK)
      check = v;
  }
  if (stray)
    return usage_error(c, "unexpected argument '%s'%s", stray,
                       check ? "" : " (to check one file: plugins --check FILE)");
  if (check)
    return check_plugin(c, check);
  return list_command(c, argc, argv, 1);
}

static void print_plugin_report(const smsmux_plugin_report *r) {
  char caps[512];
  size_t i;
  printf("%s: %s\n", r->path, r->ok ? "ok, loads" : "does not load");
  if (r->opened)
    printf("  entry symbol: %s %s\n", SMSMUX_PROVIDER_ENTRY,
           !r->entry_found        ? "missing"
           : r->descriptor_found ? "found"
                                 : "found, but it returned NULL");
  if (r->descriptor_found) {
    printf("  ABI: %u.%u (this smsmux: %u.%u)\n", r->abi_major, r->abi_minor,
           r->host_abi_major, r->host_abi_minor);
    printf("  descriptor: %zu bytes (this smsmux: %zu)\n", r->declared_size,
           r->host_size);
  }
  if (r->readable) {
    printf("  name: %s, version %s: %s\n", or_dash(r->name),
           or_dash(r->version), or_dash(r->summary));
    printf("  capabilities: %s\n",
           r->capabilities ? smsmux_capabilities_string(r->capabilities, caps,
                                                        sizeof caps)
                           : "-");
    printf("  max recipients per request: %u\n", r->max_recipients);
    printf("  default base_url: %s\n", or_dash(r->default_base_url));
    printf("  config keys:");
    for (i = 0; i < r->n_config_keys; i++)
      printf("%s %s", i ? "," : "", r->config_keys[i]);
    printf("%s\n", r->n_config_keys ? "" : " -");
    printf("  operations:");
    for (i = 0; i < r->n_operations; i++)
      printf("%s %s", i ? "," : "", r->operations[i]);
    printf("%s\n", r->n_operations ? "" : " -");
  }
  for (i = 0; i < r->n_warnings; i++)
    printf("  warning: %s\n", r->warnings[i]);
  for (i = 0; i < r->n_problems; i++)
    printf("  problem: %s\n", r->problems[i]);
}

/** `plugins --check FILE`: 0 when the plugin would load, else 2. */
static int check_plugin(cli *c, const char *path) {
  smsmux_plugin_report *r = smsmux_plugin_check(path);
  int rc;
  if (!r)
    out_of_memory();
  if (c->json)
    print_json(smsmux_plugin_report_json(r));
  else
    print_plugin_report(r);
  print_error(&r->error);
  rc = r->error.cls == SMSMUX_OK ? EXIT_DONE : EXIT_USAGE;
  smsmux_plugin_report_free(r);
  return rc;
}

static void print_provider_list(const smsmux_provider_list *l, int plugins) {
  char caps[512];
  if (l->n_items == 0)
    printf(plugins ? "no plugin found in plugin_dir\n"
                   : "no provider configured\n");
  for (size_t i = 0; i < l->n_items; i++) {
    const smsmux_provider_info *p = &l->items[i];
    printf("%s", or_dash(p->name));
    if (!plugins || (p->plugin && p->name && strcmp(p->plugin, p->name) != 0))
      printf("  plugin %s", or_dash(p->plugin));
    if (p->version)
      printf(" %s", p->version);
    if (p->abi_major || p->abi_minor)
      printf(", ABI %u.%u", p->abi_major, p->abi_minor);
    if (!plugins)
      printf(", %s", p->enabled ? "enabled" : "disabled");
    printf(", %s\n", p->loaded ? (plugins ? "loads" : "ready")
                               : (plugins ? "does not load" : "not usable"));
    if (plugins && p->path)
      printf("  file: %s\n", p->path);
    if (p->capabilities)
      printf("  capabilities: %s\n",
             smsmux_capabilities_string(p->capabilities, caps, sizeof caps));
    if (p->n_operations) {
      printf("  operations:");
      for (size_t k = 0; k < p->n_operations; k++)
        printf("%s %s", k ? "," : "", or_dash(p->operations[k]));
      putchar('\n');
    }
    if (p->error)
      printf("  error: %s\n", p->error);
  }
}

/* ------------------------------------------------- errors and exits -- */

/** Report a usage error (stderr, and the JSON error document with --json)
    and return EXIT_USAGE. */
static int usage_error(const cli *c, const char *fmt, ...) {
  smsmux_error err;
  va_list ap;
  memset(&err, 0, sizeof err);
  err.cls = SMSMUX_ERR_INPUT;
  va_start(ap, fmt);
  vsnprintf(err.message, sizeof err.message, fmt, ap);
  va_end(ap);
  fprintf(stderr, "smsmux: %s\n", err.message);
  if (c->command)
    fprintf(stderr, "Run 'smsmux %s --help' or 'smsmux --help' for usage.\n",
            c->command);
  else
    fputs("Run 'smsmux --help' for usage.\n", stderr);
  if (c->json)
    print_json(smsmux_error_json(&err));
  return EXIT_USAGE;
}

/** Report an error that ends the command and return its exit status. */
static int fail(const cli *c, const smsmux_error *err) {
  fprintf(stderr, "smsmux: %s\n",
          err->message[0] ? err->message : smsmux_error_class_name(err->cls));
  if (c->json)
    print_json(smsmux_error_json(err));
  return smsmux_exit_code(err->cls);
}

/** Print the library's message for a result that failed (stderr). */
static void print_error(const smsmux_error *err) {
  if (err->cls != SMSMUX_OK)
    fprintf(stderr, "smsmux: %s\n",
            err->message[0] ? err->message : smsmux_error_class_name(err->cls));
}

/** Which of two exit statuses a run of several operations reports:
    an unknown outcome first (someone must check), then a refusal, then
    an input error. */
static int worse_exit(int a, int b) {
  static const int rank[] = {0, 2, 1, 3};
  if (a < 0 || a > 3)
    a = EXIT_FAILED;
  if (b < 0 || b > 3)
    b = EXIT_FAILED;
  return rank[a] >= rank[b] ? a : b;
}

/* --------------------------------------------------- option scanning -- */

static const cli_flag *find_flag(const cli_flag *flags, const char *name,
                                 size_t len) {
  for (; flags && flags->name; flags++)
    if (strlen(flags->name) == len && strncmp(flags->name, name, len) == 0)
      return flags;
  return NULL;
}

/** True when `s` is "--NAME" or "--NAME=..." for a flag of `flags`. */
static int looks_like_flag(const cli_flag *flags, const char *s) {
  size_t len;
  if (strncmp(s, "--", 2) != 0 || s[2] == '\0')
    return 0;
  s += 2;
  len = strcspn(s, "=");
  return find_flag(flags, s, len) || find_flag(global_flags, s, len);
}

/**
 * Next argument: a flag of `flags` (its id and value), a positional
 * argument, the end, or an error already reported.  Global options found
 * after the command are applied here and skipped; --help is returned.
 */
static int next_arg(cli *c, argscan *s, const cli_flag *flags, int *id,
                    const char **value) {
  for (;;) {
    const char *a, *name, *eq;
    const cli_flag *f;
    size_t len;

    *id = 0;
    *value = NULL;
    if (s->i >= s->argc)
      return ARG_END;
    a = s->argv[s->i++];
    if (s->only_positional || a[0] != '-' || a[1] == '\0') {
      *value = a;
      return ARG_POSITIONAL;
    }
    if (strcmp(a, "--") == 0) {
      s->only_positional = 1;
      continue;
    }
    if (a[1] != '-') { /* the short options: -c FILE, -h, -v */
      if (a[1] == 'c') {
        f = find_flag(global_flags, "config", 6);
        eq = a[2] ? a + 1 : NULL; /* -cFILE: value after "c" */
      } else if (a[1] == 'h' && a[2] == '\0') {
        f = find_flag(global_flags, "help", 4);
        eq = NULL;
      } else if (a[1] == 'v' && a[2] == '\0') {
        f = find_flag(global_flags, "verbose", 7);
        eq = NULL;
      } else {
        if (c->command)
          usage_error(c, "unknown option '%s' for '%s'", a, c->command);
        else
          usage_error(c, "unknown option '%s'", a);
        return ARG_ERROR;
      }
      name = f->name;
      len = strlen(name);
    } else {
      name = a + 2;
      eq = strchr(name, '=');
      len = eq ? (size_t)(eq - name) : strlen(name);
      f = find_flag(flags, name, len);
      if (!f)
        f = find_flag(global_flags, name, len);
      if (!f) {
        if (c->command)
          usage_error(c, "unknown option '--%.*s' for '%s'", (int)len, name,
                      c->command);
        else
          usage_error(c, "unknown option '--%.*s'", (int)len, name);
        return ARG_ERROR;
      }
    }
    if (f->takes_value) {
      if (eq) {
        *value = eq + 1;
      } else if (s->i < s->argc && !looks_like_flag(flags, s->argv[s->i])) {
        *value = s->argv[s->i++];
      } else {
        usage_error(c, "option '--%s' needs a value", f->name);
        return ARG_ERROR;
      }
    } else if (eq) {
      usage_error(c, "option '--%s' takes no value", f->name);
      return ARG_ERROR;
    }
    switch (f->id) {
    case F_CONFIG:
      c->config = *value;
      continue;
    case F_JSON:
      c->json = json_mode = 1;
      continue;
    case F_VERBOSE:
      c->verbose = 1;
      continue;
    default:
      *id = f->id;
      return ARG_FLAG;
    }
  }
}

/** Parse a whole unsigned decimal number. */
static int parse_unsigned(const char *s, unsigned *out) {
  char *end;
  unsigned long v;
  if (!isdigit((unsigned char)*s))
    return -1;
  errno = 0;
  v = strtoul(s, &end, 10);
  if (errno || *end || v > 0xffffffffUL)
    return -1;
  *out = (unsigned)v;
  return 0;
}

/* A local date (smsmux_parse_time), and when `norm` is given, the same
   instant as "YYYY-MM-DD HH:MM:SS" for the library's send request. */
static int parse_local_time(const char *s, int64_t *when, char norm[20]) {
  smsmux_error err;
  if (smsmux_parse_time(s, when, &err) < 0)
    return -1;
  if (norm) {
    time_t t = (time_t)*when;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(norm, 20, "%Y-%m-%d %H:%M:%S", &tm);
  }
  return 0;
}

/* ------------------------------------------------- memory and text -- */

/** Print a JSON document of the library (NULL: out of memory). */
static void print_json(char *text) {
  if (!text)
    out_of_memory();
  puts(text);
  fflush(stdout);
  free(text);
}

static void out_of_memory(void) {
  if (json_mode)
    fputs("{\"error\":{\"class\":\"system\",\"code\":null,"
          "\"message\":\"out of memory\"}}\n",
          stdout);
  fputs("smsmux: out of memory\n", stderr);
  exit(EXIT_FAILED);
}

static void strv_push_n(strv *sv, const char *s, size_t n) {
  char *copy;
  if (sv->n == sv->cap) {
    size_t cap = sv->cap ? 2 * sv->cap : 8;
    char **v = realloc(sv->v, cap * sizeof *v);
    if (!v)
      out_of_memory();
    sv->v = v;
    sv->cap = cap;
  }
  copy = strndup(s, n);
  if (!copy)
    out_of_memory();
  sv->v[sv->n++] = copy;
}

static void strv_push(strv *sv, const char *s) {
  strv_push_n(sv, s, strlen(s));
}

static void strv_free(strv *sv) {
  for (size_t i = 0; i < sv->n; i++)
    free(sv->v[i]);
  free(sv->v);
  memset(sv, 0, sizeof *sv);
}

static void set_error(smsmux_error *err, smsmux_error_class cls,
                      const char *fmt, ...) {
  va_list ap;
  memset(err, 0, sizeof *err);
  err->cls = cls;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
}
