/*
 * smsmux/smsmux.h - application API of libsmsmux.
 *
 * Open a configuration, then send, explain routes, read status, replies and
 * credit, cancel, run provider operations, and list providers and plugins.
 * Every function that can fail fills a smsmux_error the caller provides and
 * returns -1 (or NULL).  Results are library-owned trees released with their
 * _free function.  One smsmux handle may be used from several threads.
 */
#ifndef SMSMUX_SMSMUX_H
#define SMSMUX_SMSMUX_H

#include <smsmux/provider.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Library version, e.g. "0.1.0". */
const char *smsmux_version(void);

/** An error a person can act on. */
typedef struct smsmux_error {
  smsmux_error_class cls; /**< SMSMUX_OK when there is none */
  char code[64];          /**< provider's raw code, or "" */
  char message[1024];     /**< what went wrong and what to do */
} smsmux_error;

/** Name of an error class: "temporary", "auth", "credit", "invalid",
    "permanent", "unknown_outcome", "input", "config", "unsupported",
    "system", "unsuitable" ("ok" for SMSMUX_OK). */
const char *smsmux_error_class_name(smsmux_error_class cls);
/** Name of a status: "accepted", "scheduled", "sent", ... "failed",
    "unknown". */
const char *smsmux_status_name(smsmux_status st);
/** Process exit status for an error class: 0 ok, 2 input/config/
    unsupported, 3 unknown outcome, 1 otherwise. */
int smsmux_exit_code(smsmux_error_class cls);

/** Parse a local date and time as smsmux reads --at: "YYYY-MM-DD HH:MM:SS",
    "YYYY-MM-DD HH:MM" or "YYYY-MM-DD" ('T' may replace the space), in the
    process's time zone.  0 with *when in Unix seconds, or -1 with err
    (class INPUT) saying what is wrong and the expected format. */
int smsmux_parse_time(const char *s, int64_t *when, smsmux_error *err);

/** Room for smsmux_quote_input's output: 200 bytes, "…" and the NUL. */
#define SMSMUX_QUOTE_SIZE 204
/** `s` (user input: a number, a line of a file, an option value) made safe
    to quote in a message: control characters, DEL and the C1 and
    direction-changing characters escaped (\n, \t, \r, \e, \xNN,
    \u{NNNN}), '"' and '\' as \" and \\, bytes that are not UTF-8 as
    \xNN, and cut on a character boundary with "…" when longer than
    `size` - 4 bytes.  Written to `buf` (SMSMUX_QUOTE_SIZE bytes, or
    fewer for a shorter cut); returns `buf` ("" for a NULL `s`). */
const char *smsmux_quote_input(const char *s, char *buf, size_t size);

/** Where trace and log lines go (stderr by default). */
typedef void (*smsmux_log_fn)(void *userdata, smsmux_log_level level,
                              const char *line);

/** Options for smsmux_open. Zero-initialise, set `size`. */
/** May a plugin read the file `path` (a `file=` or `@FILE` parameter of a
    provider operation)?  Return 1 to allow.  Called from the thread of the
    operation. */
typedef int (*smsmux_file_policy)(void *userdata, const char *path);

typedef struct smsmux_options {
  size_t size;          /**< sizeof(smsmux_options) */
  int verbose;          /**< 1: log requests/responses (secrets redacted) */
  smsmux_log_fn log;    /**< NULL: stderr */
  void *log_userdata;
  /** Plugin directory overriding the config's plugin_dir, or NULL. */
  const char *plugin_dir;
  /** Which files plugins may read (host->read_file).  NULL: none; the
      `smsmux` command allows the files named on its command line, a
      service should allow none.  (added in 0.2) */
  smsmux_file_policy read_file;
  void *read_file_userdata;
} smsmux_options;

typedef struct smsmux smsmux;

/** Open the configuration `ini_path` (NULL: the lookup order of smsmux(1):
    $SMSMUX_CONFIG, ./smsmux.ini, $XDG_CONFIG_HOME/smsmux/smsmux.ini,
    /etc/smsmux/smsmux.ini), load the plugins it names and open every
    enabled instance.  A provider whose plugin fails to load is kept, marked
    with its error, and is never routed to. */
smsmux *smsmux_open(const char *ini_path, const smsmux_options *opts,
                    smsmux_error *err);
void smsmux_close(smsmux *sm);
/** The configuration file actually used. */
const char *smsmux_config_path(const smsmux *sm);
/** [smsmux] retention_days of the configuration (default 90): what
    smsmux_store_prune keeps when given 0. (added in 0.2) */
unsigned smsmux_retention_days(const smsmux *sm);
/** The value of `key` in `section` of the configuration, as smsmux reads
    it: env:NAME expanded, and for [server] (smsmuxd's section) the default
    filled in when the key is absent (every [server] key has a value, ""
    when it has no default).  `section` is "server" or "provider.NAME";
    names are case-insensitive.  NULL when the section or key is unknown.
    Borrowed: valid until smsmux_close.  The value may be a secret
    (admin_key): never log it.  (added in 0.2) */
const char *smsmux_config_value(const smsmux *sm, const char *section,
                                const char *key);

/* ------------------------------------------------------------- send ------ */

/** What to send. Zero-initialise, set `size`. */
typedef struct smsmux_send_request {
  size_t size;
  smsmux_kind kind;
  const char *text;          /**< UTF-8 */
  const char *const *to;     /**< numbers as the user typed them */
  size_t n_to;
  const char *from;          /**< sender ID or NULL */
  const char *at;            /**< "YYYY-MM-DD HH:MM:SS" local time, or NULL */
  const char *ref;           /**< idempotency key, or NULL */
  const char *image_url, *video_url, *audio_url;
  unsigned duration;
  const char *subject;
  const char *route;         /**< force this route, or NULL */
  const char *provider;      /**< force this provider instance, or NULL */
  const smsmux_kv *options;  /**< provider options (--option KEY=VALUE) */
  size_t n_options;
} smsmux_send_request;

typedef struct smsmux_recipient_result {
  char *to;                  /**< E.164 */
  smsmux_status status;
  char *id;                  /**< per-recipient id or NULL */
  char *provider;            /**< instance that took (or refused) it, or NULL */
  char *code, *text;         /**< provider's raw code/text, or NULL */
} smsmux_recipient_result;

typedef struct smsmux_attempt {
  char *provider;            /**< instance name */
  int ok;                    /**< 1 accepted */
  smsmux_error_class cls;    /**< SMSMUX_OK when ok */
  char *code;                /**< provider's raw code or NULL */
  char *message;             /**< what happened */
  /** 1: not tried, its circuit breaker is open (ok 0, cls TEMPORARY,
      message says for how long). (added in 0.2) */
  int skipped;
} smsmux_attempt;

typedef struct smsmux_send_result {
  char *provider;            /**< instance that accepted it, or NULL */
  char *id;                  /**< provider's message id, or NULL */
  char *route;               /**< route used ("(default)" when none) */
  smsmux_encoding encoding;
  unsigned segments;
  double cost;               /**< segments x recipients x price */
  int duplicate;             /**< 1: --ref already sent; nothing re-sent */
  int possibly_sent;         /**< 1: outcome unknown */
  smsmux_recipient_result *recipients;
  size_t n_recipients;
  smsmux_attempt *attempts;
  size_t n_attempts;
  smsmux_error error;        /**< cls SMSMUX_OK on success */
} smsmux_send_result;

/** Send.  Returns a result always (NULL only when out of memory); check
    result->error.cls.  Input errors (numbers, text, sender) send nothing. */
smsmux_send_result *smsmux_send(smsmux *sm, const smsmux_send_request *req);
void smsmux_send_result_free(smsmux_send_result *r);

/* ------------------------------------------------------------ route ------ */

typedef struct smsmux_route_candidate {
  char *provider;
  int chosen;                /**< 1 for the provider that would be used */
  char *reason;              /**< why (or why not) */
  double cost;
} smsmux_route_candidate;

typedef struct smsmux_route_explain {
  char *route;
  char *policy;
  smsmux_encoding encoding;
  unsigned segments;
  smsmux_route_candidate *candidates;
  size_t n_candidates;
  smsmux_error error;
} smsmux_route_explain;

/** Which provider would take `req` and why; sends nothing. */
smsmux_route_explain *smsmux_route(smsmux *sm, const smsmux_send_request *req);
void smsmux_route_explain_free(smsmux_route_explain *r);

/* ------------------------------------------------- status / replies ------ */

typedef struct smsmux_status_entry {
  char *to;
  smsmux_status status;
  char *code, *text, *at;
} smsmux_status_entry;

typedef struct smsmux_status_result {
  char *provider, *id;
  smsmux_status_entry *entries;
  size_t n_entries;
  smsmux_error error;
} smsmux_status_result;

/** Delivery status of message `id`; `provider` may be NULL when the
    journal knows which provider sent `id`.  Then, when that provider
    cannot answer (its plugin has no status call, it is unusable, or the
    call fails), the answer comes from the store's history (the send's
    answer, then the reports pushed or polled; said on the log) and the
    error only when the store does not know `id` either (added in 0.3).
    A `provider` given is asked: its answer or its error. */
smsmux_status_result *smsmux_status_get(smsmux *sm, const char *provider,
                                        const char *id);
void smsmux_status_result_free(smsmux_status_result *r);

typedef struct smsmux_reply_entry {
  char *from, *to, *text, *at, *id, *message_id;
} smsmux_reply_entry;

typedef struct smsmux_replies_result {
  char *provider;
  smsmux_reply_entry *entries;
  size_t n_entries;
  smsmux_error error;
} smsmux_replies_result;

/** Replies; `q` may be NULL (newest first, provider default count). */
smsmux_replies_result *smsmux_replies(smsmux *sm, const char *provider,
                                      const smsmux_reply_query *q);
void smsmux_replies_result_free(smsmux_replies_result *r);

/* ----------------------------------------------------------- credit ------ */

typedef struct smsmux_credit_entry {
  char *provider;
  int ok;                    /**< 0: see error */
  double credit;
  char *unit;                /**< provider's unit or NULL */
  smsmux_error error;
} smsmux_credit_entry;

typedef struct smsmux_credit_result {
  smsmux_credit_entry *entries;
  size_t n_entries;
  smsmux_error error;        /**< set when the provider named is unknown */
} smsmux_credit_result;

/** Credit of one provider, or of every enabled one (provider NULL). */
smsmux_credit_result *smsmux_credit(smsmux *sm, const char *provider);
void smsmux_credit_result_free(smsmux_credit_result *r);

/* -------------------------------------------------- cancel / call ------ */

/** Cancel scheduled message `id`.  0 or -1 with `err` filled. */
int smsmux_cancel(smsmux *sm, const char *provider, const char *id,
                  smsmux_error *err);

typedef struct smsmux_record {
  smsmux_kv *fields;         /**< owned strings */
  size_t n_fields;
} smsmux_record;

typedef struct smsmux_call_result {
  char *provider, *op;
  smsmux_record *records;
  size_t n_records;
  smsmux_error error;
} smsmux_call_result;

/** Run provider operation `op` with `params` ("key" = "value"). */
smsmux_call_result *smsmux_call_op(smsmux *sm, const char *provider,
                                   const char *op, const smsmux_kv *params,
                                   size_t n_params);
void smsmux_call_result_free(smsmux_call_result *r);

/* ------------------------------------------------- providers / plugins -- */

typedef struct smsmux_provider_info {
  char *name;                /**< instance name, or plugin stem for plugins */
  char *plugin;              /**< plugin name */
  char *path;                /**< plugin file, or NULL */
  char *version;             /**< plugin version, or NULL */
  unsigned abi_major, abi_minor;
  uint32_t capabilities;
  int enabled;
  int loaded;                /**< 1 when usable */
  char *error;               /**< why not, or NULL */
  char **operations;         /**< "name(param, param?)" strings */
  size_t n_operations;
} smsmux_provider_info;

typedef struct smsmux_provider_list {
  smsmux_provider_info *items;
  size_t n_items;
} smsmux_provider_list;

/** Configured instances. */
smsmux_provider_list *smsmux_providers(smsmux *sm);
/** Every plugin file in plugin_dir, loaded or not, and why not. */
smsmux_provider_list *smsmux_plugins(smsmux *sm);
void smsmux_provider_list_free(smsmux_provider_list *l);

/** Capability names in `caps` joined with ", " into buf. */
const char *smsmux_capabilities_string(uint32_t caps, char *buf, size_t len);
/** Name of one capability bit ("sms", "unicode", ...). */
const char *smsmux_capability_name(uint32_t bit);

/* ----------------------------------------------------- plugin check ---- */

/** What `smsmux plugins --check FILE` reports on one plugin file. */
typedef struct smsmux_plugin_report {
  char *path;                /**< the file checked */
  char *stem;                /**< its name without directory and extension */
  int opened;                /**< the dynamic loader could open the file */
  int entry_found;           /**< smsmux_provider_entry is exported */
  int descriptor_found;      /**< ... and returned a descriptor */
  int readable;              /**< descriptor readable (size and major sound):
                                  the members below are filled */
  int ok;                    /**< 1: the plugin passes every check */
  unsigned abi_major, abi_minor; /**< as the plugin declares them */
  unsigned host_abi_major, host_abi_minor; /**< this smsmux's ABI */
  size_t declared_size;      /**< descriptor size the plugin declares */
  size_t host_size;          /**< sizeof(smsmux_provider) in this smsmux */
  char *name, *version, *summary; /**< from the descriptor, or NULL */
  uint32_t capabilities;
  unsigned max_recipients;
  char *default_base_url;    /**< or NULL */
  char **config_keys;        /**< "name (required, secret)" strings */
  size_t n_config_keys;
  char **operations;         /**< "name(param, param?)" strings */
  size_t n_operations;
  char **problems;           /**< everything wrong, first one first */
  size_t n_problems;
  char **warnings;           /**< worth knowing, not wrong */
  size_t n_warnings;
  smsmux_error error;        /**< SMSMUX_ERR_CONFIG with the first problem,
                                  cls SMSMUX_OK when ok */
} smsmux_plugin_report;

/** Load the plugin file `path` alone (no configuration needed) and check
    it as the loader would, reporting every problem: entry symbol, ABI
    major, descriptor size, name == file stem, the functions its
    capabilities require, operations, configuration keys, max_recipients,
    default_base_url.  Returns a report always (NULL only when out of
    memory). */
smsmux_plugin_report *smsmux_plugin_check(const char *path);
void smsmux_plugin_report_free(smsmux_plugin_report *r);

/* ------------------------------------------------------------ batch ------ */

/*
 * Bulk sending: add requests one at a time (from a file being read, say),
 * N worker threads send them through the same path as smsmux_send, each
 * reusing pooled HTTP connections.  Memory stays bounded: smsmux_batch_add
 * blocks while the queue is full.
 *
 * Grouping: consecutive requests with the same text and options (kind,
 * text, from, at, media, duration, subject, route, provider, options), one
 * recipient each and distinct numbers, are merged into one send of up to
 * `group_max` recipients; the send splits it further per provider limit as
 * smsmux_send does.  Each recipient keeps its own ref (journal entry), so a
 * rerun with the same refs skips exactly the recipients already taken.
 * Per-provider `max_rps` (configuration) is honoured by all workers.
 */

typedef struct smsmux_batch smsmux_batch;

/** The outcome of one recipient (one added request with one number). */
typedef struct smsmux_batch_row {
  size_t size;                     /**< sizeof(smsmux_batch_row) */
  uint64_t tag;                    /**< as given to smsmux_batch_add */
  const char *to;                  /**< the number as given */
  const char *ref;                 /**< its ref, or NULL */
  /** This row's outcome as a send result: recipients[0] (when
      n_recipients is 1) is its recipient; provider, id, duplicate (already
      sent under its ref: nothing sent), possibly_sent and error are this
      row's own; route, encoding, segments and attempts are those of the
      request it shared; cost its share. Valid during the callback only. */
  const smsmux_send_result *result;
  size_t group_size;               /**< rows that shared its send */
} smsmux_batch_row;

/** Called once per row, from a worker thread, one call at a time, in the
    order the rows were added. */
typedef void (*smsmux_batch_fn)(void *userdata, const smsmux_batch_row *row);

/** Zero-initialise, set `size`. */
typedef struct smsmux_batch_options {
  size_t size;              /**< sizeof(smsmux_batch_options) */
  unsigned workers;         /**< sending threads; 0: 4 (at most 256) */
  /** Recipients merged into one send; 0: the smallest max_recipients of
      the usable providers (of the forced --provider when given), at most
      1000; 1: never merge. */
  unsigned group_max;
  unsigned queue;           /**< sends waiting for a worker; 0: 2 x workers */
  smsmux_batch_fn on_row;   /**< per-row outcome, or NULL */
  void *userdata;
} smsmux_batch_options;

/** Counts of one provider instance ("-" for rows no provider took). */
typedef struct smsmux_batch_provider_count {
  char *provider;
  unsigned long sent, refused, unknown;
} smsmux_batch_provider_count;

typedef struct smsmux_batch_summary {
  unsigned long rows;       /**< rows added */
  unsigned long sent;       /**< taken (including already sent) */
  unsigned long duplicate;  /**< of those, already sent under their ref */
  unsigned long refused;    /**< refused, failed, or invalid input */
  unsigned long unknown;    /**< possibly sent (outcome unknown) */
  unsigned long not_sent;   /**< left in the queue by smsmux_batch_cancel */
  unsigned long sends;      /**< grouped sends made */
  unsigned long requests;   /**< provider requests (attempts) made */
  double seconds;           /**< from smsmux_batch_new to the end */
  smsmux_batch_provider_count *providers;
  size_t n_providers;
} smsmux_batch_summary;

/** Start the workers.  NULL with err (bad options; SMSMUX_ERR_SYSTEM when
    out of memory). */
smsmux_batch *smsmux_batch_new(smsmux *sm, const smsmux_batch_options *opts,
                               smsmux_error *err);
/** Queue a copy of `req` (blocks while the queue is full).  `req` holds
    one number, or several without a ref (they then share a tag).  0, or
    -1 with err (class INPUT) when the batch is cancelled or `req` is not
    acceptable, or SMSMUX_ERR_SYSTEM when out of memory (the numbers of
    `req` before the one that failed are queued).  A group the workers
    cannot send for want of memory reports its rows with that error. */
int smsmux_batch_add(smsmux_batch *b, const smsmux_send_request *req,
                     uint64_t tag, smsmux_error *err);
/** Stop early: sends in progress finish, rows still queued are not sent
    (counted in not_sent, no callback).  Safe from another thread. */
void smsmux_batch_cancel(smsmux_batch *b);
/** Send what is queued, wait for the workers, free the batch and return
    the summary (release it with smsmux_batch_summary_free), or NULL when
    out of memory. */
smsmux_batch_summary *smsmux_batch_finish(smsmux_batch *b);
void smsmux_batch_summary_free(smsmux_batch_summary *s);

/* ----------------------------------------------- recipient files ------ */

/*
 * The recipient file of `smsmux send --to-file`: one number per line, or a
 * CSV (',' or ';') whose header line names the number column (to, number,
 * numero, mobile, gsm, sms, portable; case-insensitive).  Blank lines and
 * lines starting with # are skipped; CSV fields may be quoted ("a;b",
 * "say ""hi""", even across lines); a UTF-8 BOM is dropped.  The file is
 * read one record at a time: memory does not grow with it.  Error messages
 * name the file as "WHAT NAME" (WHAT as given to _open, NAME the path or
 * "stdin").  Out of memory is an error of class SMSMUX_ERR_SYSTEM; nothing
 * aborts.  A reader is used by one thread at a time.
 */

typedef struct smsmux_recipients smsmux_recipients;

/** Open `path` ("-": stdin) and read up to its first record: the header
    when there is one.  `what` names the file in messages (e.g.
    "--to-file"; NULL: "recipient file").  NULL with err (class INPUT:
    unreadable, a directory, no number at all, a header naming no number
    column). */
smsmux_recipients *smsmux_recipients_open(const char *path, const char *what,
                                          smsmux_error *err);
/** Read the next record: 1 when it is ready (a number, and in a CSV the
    header's field count), 0 at the end, -1 with err (class INPUT: the
    line and what is wrong; the next call goes on after that record). */
int smsmux_recipients_next(smsmux_recipients *r, smsmux_error *err);
/** Back to the first record: 0, or -1 with err (class INPUT; err may be
    NULL) when the file cannot be read twice (stdin, a pipe). */
int smsmux_recipients_rewind(smsmux_recipients *r, smsmux_error *err);
/** The current record's number, trimmed (valid until the next call). */
const char *smsmux_recipients_number(const smsmux_recipients *r);
/** Line of the file where the current record starts (1-based). */
unsigned long smsmux_recipients_line(const smsmux_recipients *r);
/** Columns of the header: 0 for a plain list of numbers. */
size_t smsmux_recipients_n_columns(const smsmux_recipients *r);
/** Name of column `i` as the header spells it, or NULL past the end. */
const char *smsmux_recipients_column(const smsmux_recipients *r, size_t i);
/** The current record's field `i` ("" past the end; a plain list has one
    field, the number), valid until the next call. */
const char *smsmux_recipients_field(const smsmux_recipients *r, size_t i);
/** Close the file (not stdin) and free the reader; NULL is accepted. */
void smsmux_recipients_close(smsmux_recipients *r);

/* ------------------------------------------------------ templates ------ */

/*
 * A text personalised per recipient: "${COLUMN}" is replaced by the
 * current record's value of that column (name matched case-insensitively,
 * spaces around it ignored).  A "${" never closed by "}" is plain text.
 */

/** 1 when `text` holds at least one ${...} placeholder, else 0. */
int smsmux_template_has_placeholders(const char *text);
/** 0 when every placeholder of `text` names a column of `r` (or there is
    none); -1 with err (class INPUT) naming the first unknown column and
    the file's columns, or saying that a plain list has no columns. */
int smsmux_template_check(const char *text, const smsmux_recipients *r,
                          smsmux_error *err);
/** `text` with each placeholder replaced by the current record's value
    (an unknown column is left as written).  Malloc'd (free() it), NULL
    when out of memory. */
char *smsmux_template_render(const char *text, const smsmux_recipients *r);

/* ----------------------------------------------------- text files ------ */

/** Read a message text from `path` ("-": stdin): at most 1 MiB of valid
    UTF-8 without NUL bytes; a BOM and trailing newlines are dropped.
    `what` names the file in messages (e.g. "--text-file"; NULL: "text
    file").  Malloc'd text (free() it), or NULL with err (class INPUT; the
    offset of the first byte that is not UTF-8; SYSTEM when out of
    memory). */
char *smsmux_read_text_file(const char *path, const char *what,
                            smsmux_error *err);

/* ---------------------------------------------------- JSON results ------ */

/*
 * The results above as JSON text: the documents `smsmux --json` prints
 * (one line, no trailing newline, no "\/" escapes).  Missing values are
 * null; an "error" object {"class","code","message"} is added when the
 * result's error class is not SMSMUX_OK.  Each function returns malloc'd
 * text (free() it), or NULL when out of memory.
 */

/** {"error":{"class","code","message"}}: an error alone; the message is
    the class name when empty. */
char *smsmux_error_json(const smsmux_error *err);
/** The inner {"class","code","message"} object of smsmux_error_json. */
char *smsmux_error_object_json(const smsmux_error *err);
/** {"provider","id","route","encoding","segments","cost","duplicate",
    "possibly_sent","recipients":[{"to","status","id","provider","code",
    "text"}],"attempts":[{"provider","result","class","code","message"}]}
    and "error" when it failed.  An attempt's result is "ok", "failed", or
    "skipped" (circuit breaker open: {"provider","result","reason"}). */
char *smsmux_send_result_json(const smsmux_send_result *r);
/** One item of a batch document: the send object of a row with "line"
    (the tag given to smsmux_batch_add) added at the end.  The batch
    document is {"messages":[ITEM,...],"summary":SUMMARY} with
    ,"error":ERROR_OBJECT before the closing brace when the run stopped
    early: written piece by piece, it never holds every row in memory. */
char *smsmux_batch_item_json(const smsmux_send_result *r, uint64_t line);
/** The batch's {"rows","sent","refused","failed" (= refused, its name
    before 0.2),"unknown","duplicate","not_sent","sends","requests",
    "seconds","providers":{"NAME":{"sent","refused","unknown"}}}. */
char *smsmux_batch_summary_json(const smsmux_batch_summary *s);
/** {"route","policy","encoding","segments","candidates":[{"provider",
    "chosen","reason","cost"}]}. */
char *smsmux_route_explain_json(const smsmux_route_explain *r);
/** {"provider","id","recipients":[{"to","status","code","text","at"}]}. */
char *smsmux_status_result_json(const smsmux_status_result *r);
/** {"provider","replies":[{"from","to","text","at","id","message_id"}]}. */
char *smsmux_replies_result_json(const smsmux_replies_result *r);
/** {"credits":[{"provider","credit","unit"} or {"provider","error"}]}. */
char *smsmux_credit_result_json(const smsmux_credit_result *r);
/** {"provider","id","cancelled"} for smsmux_cancel's outcome `err`. */
char *smsmux_cancel_json(const char *provider, const char *id,
                         const smsmux_error *err);
/** {"provider","op","records":[{"KEY":"VALUE",...}]}. */
char *smsmux_call_result_json(const smsmux_call_result *r);
/** {"KEY":[{"name","plugin","path","version","abi","capabilities",
    "enabled","loaded","error","operations"}]}: KEY is "providers" for
    smsmux_providers, "plugins" for smsmux_plugins. */
char *smsmux_provider_list_json(const char *key,
                                const smsmux_provider_list *l);
/** {"path","ok","entry_symbol","opened","entry_found","descriptor_found",
    "abi","descriptor_size","host_abi","host_descriptor_size","name",
    "version","summary","capabilities","max_recipients","default_base_url",
    "config_keys","operations","problems","warnings"} (and "error"). */
char *smsmux_plugin_report_json(const smsmux_plugin_report *r);

/* ------------------------------------------------- the durable queue ---- */

/*
 * The service's path (smsmuxd): a message is recorded in the store, whole
 * and durably (fsync, group commit), before smsmux_submit returns; worker
 * threads (smsmux_workers_start) then claim queued messages, route and
 * send them through the same engine as smsmux_send, and record every
 * outcome.  After a crash, a restart sends every queued message and never
 * re-sends one that may have gone out (recipients left `sending` become
 * `unknown`).  A message scheduled for later (`at`) waits in the queue when
 * the provider chosen for it cannot schedule, and is sent when due.
 *
 * Messages belong to a tenant ("" or NULL: the operator); every lookup
 * names the tenant, and another tenant's message is "not found".
 * Answers are JSON text (malloc'd; free() it), the documents of the
 * daemon's API:
 *   {"id","status","encoding","segments","units","ref","created","at",
 *    "callback_url",
 *    "recipients":[{"to","status","provider","provider_id","code","text",
 *                   "updated","history":[{"status","provider",
 *                   "provider_id","code","text","at"}]}],
 *    "attempts":[{"provider","result","class","code","message","at"}]}
 * (status: queued, scheduled, sending, accepted, failed, unknown,
 * cancelled, or a delivery status: the message's, from its recipients';
 * "history": each status the recipient went through, oldest first (added
 * in 0.3)).
 */

/** What smsmux_submit did. */
typedef enum smsmux_submit_status {
  SMSMUX_SUBMIT_REFUSED = -1,  /**< nothing queued: err says why */
  SMSMUX_SUBMIT_QUEUED = 0,    /**< new, durably queued (HTTP 202) */
  SMSMUX_SUBMIT_DUPLICATE = 1  /**< same ref, same content: *json is the
                                    original message (HTTP 200) */
} smsmux_submit_status;

/** Check `req` as smsmux_send would (numbers, text, sender, `at`, a
    capable provider), then queue it for `tenant`.  req->ref is the
    idempotency key: the same ref with the same content is a duplicate,
    with another content a conflict.  On success *json is the message
    document.  On SMSMUX_SUBMIT_REFUSED, err: class INPUT (bad input; code
    "ref-conflict": the ref holds another content; code "no-provider": no
    configured provider can take such a message), CONFIG or SYSTEM (the
    store is unavailable).  `callback_url` (may be NULL) is kept with the
    message for its delivery events.  (added in 0.2)
    For a tenant (0.3): AUTH "tenant-disabled", "sender-not-allowed",
    "route-not-allowed", "provider-not-allowed" (HTTP 403); TEMPORARY
    "rate-limited" over its rate (429, smsmux_error_retry_after); CREDIT
    "insufficient-units" when its balance is short (402, nothing queued);
    INPUT "mixed-prices" when its plan prices the recipients differently
    (send them apart).  The units are reserved with the message and
    refunded per recipient that fails for good, is cancelled, refused as
    opted out, or gets a report status its plan refunds.  The document's
    "units" is what it was charged; a tenant's callback_url defaults to
    its own. */
smsmux_submit_status smsmux_submit(smsmux *sm, const char *tenant,
                                   const smsmux_send_request *req,
                                   const char *callback_url, char **json,
                                   smsmux_error *err);

/** The message document of `id` for `tenant`, or NULL when there is no
    such message for that tenant (err class INPUT, code "not-found") or
    the store cannot be read (err). (added in 0.2) */
char *smsmux_message_json(smsmux *sm, const char *tenant, const char *id,
                          smsmux_error *err);

/** {"messages":[DOCUMENT...],"next_cursor":"..."|null}: the tenant's
    messages, newest first, with `status` (NULL: any), created at or after
    `since` (Unix seconds; 0: any), at most `limit` (1..1000; 0: 100),
    after `cursor` (NULL: from the newest; else a next_cursor handed back
    before).  NULL with err (INPUT for a bad cursor or status). (0.2) */
char *smsmux_messages_json(smsmux *sm, const char *tenant, const char *status,
                           int64_t since, unsigned limit, const char *cursor,
                           smsmux_error *err);

/** Cancel a message still queued or scheduled in the queue (its
    recipients become `cancelled`; nothing is sent).  0 done; -1 with err:
    INPUT code "not-found" (no such message for the tenant), INPUT code
    "not-cancellable" (already sent or sending), or SYSTEM. (0.2) */
int smsmux_message_cancel(smsmux *sm, const char *tenant, const char *id,
                          smsmux_error *err);

/** Worker threads sending what is queued. */
typedef struct smsmux_workers smsmux_workers;

/** Start `n` workers (1..256) on `sm`.  Recipients a previous process left
    `sending` become `unknown` first (they may have gone out: never sent
    again).  NULL with err. (0.2) */
smsmux_workers *smsmux_workers_start(smsmux *sm, unsigned n,
                                     smsmux_error *err);

/** Stop: no new claim; requests in flight finish and are recorded;
    messages claimed but not yet sent go back to `queued`.  Returns once
    every worker has exited, then frees `w`.  NULL is accepted. (0.2) */
void smsmux_workers_stop(smsmux_workers *w);

/** Counts for monitoring (/metrics, /readyz). */
typedef struct smsmux_queue_stats {
  size_t size;                /**< sizeof(smsmux_queue_stats) */
  unsigned long queued;       /**< recipients waiting (due or scheduled) */
  unsigned long sending;      /**< recipients in flight */
  unsigned long workers_busy; /**< workers sending right now */
  unsigned long sent, failed, unknown; /**< recipients settled by this
                                          handle's workers since start */
  unsigned long attempts_ok, attempts_failed; /**< provider requests */
  int store_ok;               /**< 1: the store answered */
  int providers_usable;       /**< instances loaded and opened */
  /** Events waiting for webhook delivery (the backlog). (added in 0.3) */
  unsigned long webhooks_pending;
} smsmux_queue_stats;

/** Fill *st (set st->size first).  0, or -1 when the store cannot be
    read (st->store_ok 0). (0.2) */
int smsmux_queue_stats_get(smsmux *sm, smsmux_queue_stats *st);

/** Per-provider figures in the Prometheus text format, for a service's
    /metrics: smsmux_provider_attempts_total{provider,result},
    smsmux_provider_recipients_total{provider,status},
    smsmux_provider_send_seconds (a histogram of the time one queued
    message took to send through the provider that took it) and
    smsmux_provider_breaker_open{provider} (1 while its circuit breaker
    rests it).  Counts are this handle's workers' since they started.
    malloc'd text, or NULL when out of memory. (0.2) */
char *smsmux_metrics_text(smsmux *sm);

/** Remove what is older than `retention_days` (0: the configuration's
    [smsmux] retention_days, default 90): settled messages, their
    recipients and attempts.  A ref is forgotten with its rows.  *removed
    counts the messages.  0 or -1 (err). (0.2) */
int smsmux_store_prune(smsmux *sm, unsigned retention_days, long *removed,
                       smsmux_error *err);

/* ------------------------------------------------------- tenants ------ */

/*
 * Tenants (added in 0.3): the customers of the service, each with API keys,
 * an optional parent (a reseller), a plan ([plan.NAME] of the INI: the
 * units one message costs), a balance of units, a rate limit, the senders
 * and routes it may use, a default callback URL and webhook secret.  The
 * balance only moves through the ledger (credit, debit, transfer, the
 * reserve of a submit, refunds) and always equals the sum of its rows.
 *
 * Every function answers a JSON document (malloc'd; free() it) or NULL
 * with err: INPUT "bad-name", "not-found" (no such tenant), "exists",
 * "unknown-plan", "bad-value"; CREDIT "insufficient-units"; SYSTEM (the
 * store).  A key is shown once, in smsmux_tenant_key_add's answer, and
 * never again: the store keeps its SHA-256 only.
 *
 * A tenant document: {"name","parent","plan","balance","low_balance",
 * "rate","burst","senders","routes","callback_url","webhook_secret"
 * (true when one is set: never shown),"enabled","created","keys":[{"id",
 * "label","created","revoked"}],"customers":["NAME",...]}.
 */

/** What smsmux_tenant_add sets and smsmux_tenant_update changes.  For
    update, a NULL string, a negative number leaves the setting as it is;
    "" clears a string.  For add, NULL and negatives are the defaults
    (no parent, no plan: 1 unit a segment, any sender and route, no
    callback, no limit, enabled). */
typedef struct smsmux_tenant_settings {
  size_t size;                 /**< sizeof(smsmux_tenant_settings) */
  const char *parent;          /**< reseller (add only) */
  const char *plan;            /**< [plan.NAME] */
  const char *senders;         /**< comma list of sender IDs allowed */
  const char *routes;          /**< comma list of routes allowed */
  const char *callback_url;    /**< default callback of its messages */
  const char *webhook_secret;  /**< signs its webhooks */
  double rate;                 /**< messages per second (0: no limit) */
  long burst;                  /**< token bucket size (0: max(1, rate)) */
  int64_t low_balance;         /**< low-balance event threshold (0: none) */
  int enabled;                 /**< 1 or 0 */
} smsmux_tenant_settings;

/** Fill *s with "leave everything" (NULLs, -1s) and its size. */
void smsmux_tenant_settings_init(smsmux_tenant_settings *s);

/** Add tenant `name` ([a-z0-9][a-z0-9_.-]{0,62}); its balance starts at
    0.  The tenant document. (0.3) */
char *smsmux_tenant_add(smsmux *sm, const char *name,
                        const smsmux_tenant_settings *s, smsmux_error *err);
/** Change its settings; the tenant document. (0.3) */
char *smsmux_tenant_update(smsmux *sm, const char *name,
                           const smsmux_tenant_settings *s,
                           smsmux_error *err);
/** The tenant document of `name`. (0.3) */
char *smsmux_tenant_json(smsmux *sm, const char *name, smsmux_error *err);
/** {"tenants":[DOCUMENT...]}: every tenant (parent NULL) or the customers
    of `parent`, by name (documents without "keys"). (0.3) */
char *smsmux_tenants_json(smsmux *sm, const char *parent, smsmux_error *err);

/** Move `units` (> 0) to `name`: from `from`, its parent (a reseller
    selling a bundle: "transfer-out"/"transfer-in" rows), or from the
    operator when `from` is NULL ("credit").  `actor` is recorded with the
    rows (NULL: "operator").  {"tenant","units","balance","from",
    "from_balance"}. (0.3) */
char *smsmux_tenant_credit(smsmux *sm, const char *name, int64_t units,
                           const char *from, const char *actor,
                           smsmux_error *err);
/** Take `units` (> 0) from `name` ("debit"); CREDIT "insufficient-units"
    when its balance is short (nothing taken). {"tenant","units",
    "balance"}. (0.3) */
char *smsmux_tenant_debit(smsmux *sm, const char *name, int64_t units,
                          const char *actor, smsmux_error *err);

/** A new API key for `name` (`label` may be NULL): {"tenant","id",
    "label","key"}.  The only time the key is shown. (0.3) */
char *smsmux_tenant_key_add(smsmux *sm, const char *name, const char *label,
                            smsmux_error *err);
/** Revoke the key of `name` whose id (8 hex or more) or label is
    `which`; it stops working at once.  0, or -1 (INPUT "not-found"). */
int smsmux_tenant_key_revoke(smsmux *sm, const char *name, const char *which,
                             smsmux_error *err);
/** The tenant of API key `key` when the key is live and the tenant
    enabled: 0 (*tenant malloc'd), 1 not a valid key, -1 (err: the store).
    Only the key's SHA-256 is looked up. (0.3) */
int smsmux_tenant_authenticate(smsmux *sm, const char *key, char **tenant,
                               smsmux_error *err);

/** Usage for invoicing, over messages created in [since, until) (Unix
    seconds; until 0: now), by tenant, provider and status: `name` alone,
    with its customers when `tree` is 1, or every tenant (name NULL).
    JSON {"since","until","rows":[{"tenant","provider","status","messages",
    "recipients","units"}],"units"} (units charged minus refunded), or
    with `csv` the same rows as CSV with a header line. (0.3) */
char *smsmux_tenant_usage(smsmux *sm, const char *name, int tree,
                          int64_t since, int64_t until, int csv,
                          smsmux_error *err);
/** {"tenant","entries":[{"seq","message_id","delta","reason","actor",
    "at"}]}: the ledger of `name`, oldest first, seq > since, at most
    `limit` (0: 1000). (0.3) */
char *smsmux_tenant_ledger_json(smsmux *sm, const char *name, int64_t since,
                                unsigned limit, smsmux_error *err);
/** {"ok":true|false,"bad":["NAME"...]}: every tenant whose balance is not
    the sum of its ledger rows (or is negative). (0.3) */
char *smsmux_ledger_check_json(smsmux *sm, smsmux_error *err);

/** smsmux_route's plan as its JSON document, with "tenant", "plan" and
    "units" (what the message would cost `tenant`) added. (0.3) */
char *smsmux_route_tenant_json(smsmux *sm, const char *tenant,
                               const smsmux_send_request *req,
                               smsmux_error *err);

/** The webhook secret of `tenant`'s messages, or NULL (none: unsigned).
    Its type is the notifier's tenant_secret callback: pass it with the
    handle as `ud`.  The answer stays valid in the calling thread until
    its next call. (0.3) */
const char *smsmux_tenant_webhook_secret(void *sm, const char *tenant);

/** The seconds to wait after an error of code "rate-limited" (a tenant
    over its rate: smsmux_submit), else 0. (0.3) */
unsigned smsmux_error_retry_after(const smsmux_error *err);

/* ------------------------------------------ pushed notifications ----- */

/** What a provider pushed to the service (its delivery report URL or its
    reply URL, /hooks/PROVIDER/TOKEN/dlr|mo), handed over as received. */
typedef struct smsmux_push {
  size_t size;              /**< sizeof(smsmux_push) */
  const char *provider;     /**< the instance named in the URL */
  const char *token;        /**< the URL's token: the instance's hook_token */
  int reply;                /**< 0: a delivery report (dlr), 1: a reply (mo) */
  const char *method;       /**< "GET", "POST"... */
  const smsmux_kv *query;   /**< query parameters and, for a form POST,
                                 its fields, decoded */
  size_t n_query;
  const smsmux_kv *headers; /**< names lowercase */
  size_t n_headers;
  const char *body;         /**< or NULL */
  size_t body_len;
  const char *content_type; /**< or NULL */
} smsmux_push;

/** What the provider's plugin read in it. */
typedef struct smsmux_push_result {
  char *provider;
  char *message_id;          /**< the provider's id of the message a
                                  report is about, or NULL */
  smsmux_status_entry *statuses; /**< a report's statuses (to E.164) */
  size_t n_statuses;
  smsmux_reply_entry *replies;   /**< a reply */
  size_t n_replies;
  smsmux_error error;        /**< INPUT code "not-found": no such
                                  instance, a wrong token, or one whose
                                  provider does not push (answer 404);
                                  INVALID: not the provider's format */
} smsmux_push_result;

/** Check the token (constant time, against [provider.NAME] hook_token)
    and have the instance's plugin read the notification.  Never NULL
    (out of memory aside). (added in 0.2) */
smsmux_push_result *smsmux_push_parse(smsmux *sm, const smsmux_push *push);
void smsmux_push_result_free(smsmux_push_result *r);

/* ------------------------------- delivery reports, replies, opt-out ----- */

/*
 * Closing the loop (added in 0.3): what providers push (delivery reports,
 * replies) is recorded in the store; each status change of a recipient is
 * an event of its message's history (the "history" array of each
 * recipient in the message document); the events of a message with a
 * callback_url are delivered by the notifier (webhooks, or Kannel dlr-url
 * calls); stop words in replies opt the number out for the message's
 * tenant, and later sends to it are refused per recipient (status
 * `rejected`, code `opt-out`, nothing sent to it) by smsmux_send and the
 * queue alike.
 */

/** Notification URLs: every instance with a hook_token gets
    PUBLIC/hooks/NAME/TOKEN/dlr and PUBLIC/hooks/NAME/TOKEN/mo as the
    report and reply URLs handed to its plugin with each send (a plugin
    that can ask its provider to push passes them on).  `public_url` is
    http:// or https://, a trailing '/' ignored; NULL clears them.  Call
    it before sending starts (not while other threads send).  0, or -1
    with err (INPUT: not an http(s) URL). (added in 0.3) */
int smsmux_set_public_url(smsmux *sm, const char *public_url,
                          smsmux_error *err);

/** Receive a pushed notification: check the token and have the plugin
    read it (smsmux_push_parse), then record it: statuses through the
    store's report path (a status only ever moves a recipient forward; the
    same report twice changes nothing; a report for a message whose send
    answer is not recorded yet is kept and applied when it is), replies
    recorded and matched to the message they answer (a stop word
    ([smsmux] stop_words) opts the sender out for that message's tenant, a
    start word (start_words) lifts it).  0 recorded (answer 200; also for a
    repeat or a report kept pending); -1 with err: INPUT code "not-found"
    (answer 404: no such instance, a wrong token, a provider that does not
    push; nothing touched), INVALID (400: not the provider's format),
    SYSTEM (503: the store failed; the provider should push again).
    (added in 0.3) */
int smsmux_hook(smsmux *sm, const smsmux_push *push, smsmux_error *err);

/** Background delivery of events (see smsmux_notifier_start). */
typedef struct smsmux_notifier_options {
  size_t size;                 /**< sizeof(smsmux_notifier_options) */
  unsigned threads;            /**< webhook senders (0: 2; at most 64) */
  /** The key that signs the webhooks of the operator's messages (tenant
      ""), or NULL: unsigned (no X-Smsmux-Signature). */
  const char *secret;
  /** The key of another tenant's messages, or NULL (then unsigned); may be
      NULL.  Called from the sender threads. */
  const char *(*tenant_secret)(void *ud, const char *tenant);
  void *ud;
  /** Hours an event is retried (0: [smsmux] webhook_retry_hours, 24). */
  unsigned retry_hours;
} smsmux_notifier_options;

typedef struct smsmux_notifier smsmux_notifier;

/** Start delivering events in the background:
    - webhooks: each event of a message whose callback_url is http(s) is
      POSTed to it as JSON (Content-Type application/json), with headers
      X-Smsmux-Event (the event's stable id: a receiver drops repeats) and
      X-Smsmux-Signature: sha256=HEX (HMAC-SHA256 of the body with the
      tenant's secret).  A 2xx answer ends it; anything else is retried
      after 10 s, 20 s, 40 s ... (at most 1 h apart) for retry_hours, then
      given up (the event stays in the history).  Events of one message go
      out in order (the next waits for the one before); delivery is at
      least once; pending events survive a restart.  Bodies:
        {"event","type":"status","message_id","to","status","provider",
         "provider_id","code","text","at"}
        {"event","type":"reply","message_id","from","to","text",
         "reply_id","at"}
      ("at" RFC 3339 UTC; missing values null).
    - Kannel dlr-url calls: a callback_url "kannel:MASK:URL" (the daemon's
      /cgi-bin/sendsms dlr-mask and dlr-url) gets a GET of URL with
      Kannel's escape codes substituted, for the status events whose dlr
      type (1 delivered, 2 undelivered, expired or failed, 4 queued, 8
      accepted or sent, 16 rejected) MASK selects; other events are done.
      Codes: %d dlr type, %A the report's text, %p the recipient, %P the
      sender, %q/%Q the same with a leading 00 as +, %t the time
      ("YYYY-MM-DD HH:MM:SS" UTC), %T Unix time, %i the provider instance,
      %I smsmux's message id, %F the provider's message id, %% a '%';
      values URL-encoded; another code is left as written.
    - status polling, for each instance whose plugin has a status call but
      does not push ([provider.NAME] dlr_poll: first interval in seconds,
      60 when absent, 0 none; doubled after each poll, until a final status
      or dlr_poll_deadline hours, 48, after the send).
    Store-backed: several notifiers (processes, machines on PostgreSQL)
    share the work; an event being delivered is claimed (on PostgreSQL a
    lease other nodes take over when it expires; on SQLite what a dead
    process held is released by smsmux_workers_start's recovery, so start
    the workers first).  NULL with err (bad options, no store).
    (added in 0.3) */
smsmux_notifier *smsmux_notifier_start(smsmux *sm,
                                       const smsmux_notifier_options *o,
                                       smsmux_error *err);
/** Stop: requests in flight finish and are recorded; returns once every
    thread has exited, then frees `n`.  NULL is accepted. (added in 0.3) */
void smsmux_notifier_stop(smsmux_notifier *n);

/** {"replies":[{"id","from","to","text","at","provider","message_id"}],
    "next_cursor":"..."|null}: the replies recorded for `tenant` (""/NULL:
    the operator; unmatched replies are the operator's), newest first, at
    or after `since` (Unix seconds, 0: any), at most `limit` (1..1000; 0:
    100), after `cursor` (a next_cursor handed back before).  malloc'd, or
    NULL with err (INPUT bad cursor or limit, SYSTEM). (added in 0.3) */
char *smsmux_replies_json(smsmux *sm, const char *tenant, int64_t since,
                          unsigned limit, const char *cursor,
                          smsmux_error *err);

/** {"optouts":[{"number","source","at"}],"next_cursor":"..."|null}: the
    numbers opted out for `tenant`, by number, after `cursor`, at most
    `limit` (1..1000; 0: 100).  NULL with err. (added in 0.3) */
char *smsmux_optouts_json(smsmux *sm, const char *tenant, unsigned limit,
                          const char *cursor, smsmux_error *err);

/** Opt `number` (any format: normalised to E.164 as a send would) out for
    `tenant` (source "api"): 0 done, 1 already so; -1 with err (INPUT code
    "bad-number", SYSTEM). (added in 0.3) */
int smsmux_optout_add(smsmux *sm, const char *tenant, const char *number,
                      smsmux_error *err);
/** Lift it: 0 done, 1 was not opted out; -1 with err (as _add). (0.3) */
int smsmux_optout_remove(smsmux *sm, const char *tenant, const char *number,
                         smsmux_error *err);

#ifdef __cplusplus
}
#endif
#endif /* SMSMUX_SMSMUX_H */
