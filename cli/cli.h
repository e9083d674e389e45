/* cli: what the parts of the `smsmux` command share.
 *
 *   cli.c    main, the commands other than send and route, human output,
 *            errors and exit statuses
 *   args.c   argument scanning (flags, values, dates, numbers)
 *   send.c   send and route: the message flags, one send, route
 *   batch.c  send --to-file: row by row through the batch API
 *
 * The command uses libsmsmux through <smsmux/smsmux.h> only: the recipient
 * file reader, ${COLUMN} templates, text files and the --json documents
 * are the library's. */
#ifndef SMSMUX_CLI_CLI_H
#define SMSMUX_CLI_CLI_H

#include <smsmux/smsmux.h>

#include <stddef.h>
#include <stdint.h>

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNKNOWN = 3 };

/** The run: global options, the open library handle, the command. */
typedef struct cli {
  const char *config;  /**< --config, or NULL: the library's lookup order */
  int json;            /**< --json */
  int verbose;         /**< --verbose */
  const char *command; /**< command name, for usage hints; NULL before it */
  smsmux *sm;          /**< open once the arguments are checked */
} cli;

/* ---------------------------------------------------------- arguments -- */

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
  F_RESULTS,
  F_DAYS,
  F_TENANT,
  F_PARENT,
  F_PLAN,
  F_SENDERS,
  F_ROUTES,
  F_CALLBACK_URL,
  F_WEBHOOK_SECRET,
  F_RATE,
  F_BURST,
  F_LOW_BALANCE,
  F_FROM_TENANT,
  F_LABEL,
  F_TREE,
  F_CSV
};

typedef struct cli_flag {
  const char *name; /**< long name, without "--" */
  int takes_value;
  int id;
} cli_flag;

/** Walks the arguments of one command. */
typedef struct argscan {
  int argc;
  char **argv;
  int i;
  int only_positional; /**< after "--" */
} argscan;

enum { ARG_END = 0, ARG_FLAG = 1, ARG_POSITIONAL = 2, ARG_ERROR = -1 };

/**
 * Next argument: a flag of `flags` (its id and value), a positional
 * argument, the end, or an error already reported.  Global options found
 * after the command are applied here and skipped; --help is returned.
 */
int next_arg(cli *c, argscan *s, const cli_flag *flags, int *id,
             const char **value);
/** Parse a whole unsigned decimal number: 0, or -1. */
int parse_unsigned(const char *s, unsigned *out);
/** A local date (smsmux_parse_time), and when `norm` is given, the same
    instant as "YYYY-MM-DD HH:MM:SS" for the library's send request. */
int parse_local_time(const char *s, int64_t *when, char norm[20]);

/**
 * The VALUE of a KEY=VALUE argument (a call parameter, an --option):
 * "@-" reads it from stdin (once per command; a trailing line end is
 * dropped), "env:NAME" takes the environment variable NAME (unset: a usage
 * error naming it); *out is then the malloc'd value, else NULL (use VALUE
 * as given).  `what` names the argument in errors ("--option stop").
 * EXIT_DONE, or EXIT_USAGE after a usage error.
 */
int resolve_value(cli *c, const char *what, const char *value, char **out);

/** A growable array of owned strings (out of memory ends the run). */
typedef struct strv {
  char **v;
  size_t n, cap;
} strv;
void strv_push_n(strv *sv, const char *s, size_t n);
void strv_push(strv *sv, const char *s);
void strv_free(strv *sv);

/* ------------------------------------------------- output and errors -- */

/** Set by --json, for out_of_memory(), which has no cli at hand. */
extern int json_mode;

/** Report a usage error (stderr, and the JSON error document with --json)
    and return EXIT_USAGE. */
int usage_error(const cli *c, const char *fmt, ...) SMSMUX_PRINTF(2, 3);
/** Report an error that ends the command and return its exit status. */
int fail(const cli *c, const smsmux_error *err);
/** Print the library's message for a result that failed (stderr). */
void print_error(const smsmux_error *err);
/** Print a JSON document of the library (NULL: out of memory). */
void print_json(char *text);
/** Say so (and the JSON error document with --json) and exit 1. */
void out_of_memory(void) __attribute__((noreturn));
void set_error(smsmux_error *err, smsmux_error_class cls, const char *fmt,
               ...) SMSMUX_PRINTF(3, 4);
/** Which of two exit statuses a run of several operations reports. */
int worse_exit(int a, int b);
/** Argument parsers return -1 after printing a command's --help: done. */
int help_done(int rc);
/** Open the configuration (after the arguments were found sound). */
int open_library(cli *c);
/** `s`, or "-" when NULL or empty. */
const char *or_dash(const char *s);
/** Whether a recipient's raw code/text is worth showing: only when the
    provider did not simply take the message. */
int status_is_trouble(smsmux_status st);

/* ----------------------------------------------------- send and route -- */

extern const char send_usage_text[];

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
  const char *tenant;  /**< --tenant (route: the units it would cost) */
  strv option_keys, option_values; /**< --option KEY=VALUE */
  smsmux_kv *options;
  unsigned workers;    /**< --workers (send --to-file), 0: the default */
  const char *results; /**< --results FILE (send --to-file) */
} msgargs;

int cmd_send(cli *c, int argc, char **argv);
/** `smsmux tenant ...` (tenant.c). */
int cmd_tenant(cli *c, int argc, char **argv);
extern const char tenant_usage_text[];
int cmd_route(cli *c, int argc, char **argv);

/** The send request for `m` with these numbers, text and ref. */
void fill_request(smsmux_send_request *req, const msgargs *m,
                  const char *const *to, size_t n_to, const char *text,
                  const char *ref);
/** 3 when possibly sent, the class's status on failure, 1 when the
    provider refused some of the recipients, else 0. */
int send_exit_code(const smsmux_send_result *r);

/** send --to-file: check the file, then send its rows (batch.c). */
int send_file(cli *c, const msgargs *m);

#endif /* SMSMUX_CLI_CLI_H */
