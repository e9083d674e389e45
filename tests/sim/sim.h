/* sim.h - the interface between the smsmux-sim core and its provider modules.
 *
 * The core (sim.c) owns the HTTP server, the request log, the fault engine
 * and the /_sim/ control API.  A provider module (sim_<name>.c) owns the
 * state of one provider API (accounts, messages, reports, replies) and
 * exports one `const struct sim_provider`, listed in the registry of sim.c.
 *
 * Threading: the core calls every provider hook with one global mutex held,
 * so a module needs no locking of its own; hooks must not sleep (delays are
 * the fault engine's job, and it never holds the lock while waiting).
 *
 * Memory: everything a hook receives is borrowed for the duration of the
 * call; what it hands back (response bodies, JSON objects) becomes the
 * core's.  The helpers below abort on out-of-memory: this is a test tool. */
#ifndef SMSMUX_SIM_H
#define SMSMUX_SIM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct json_object;

/* ---------------------------------------------------------------- request */

/** Where a parameter came from. */
enum sim_param_kind {
  SIM_PARAM_QUERY, /**< the query string */
  SIM_PARAM_FORM,  /**< an application/x-www-form-urlencoded body */
  SIM_PARAM_PART   /**< a multipart/form-data part */
};

/** One decoded parameter.  `value` holds `len` raw bytes (percent-decoding
    done, no charset conversion) followed by a NUL. */
struct sim_param {
  enum sim_param_kind kind;
  char *name;
  char *value;
  size_t len;
  char *filename;     /**< multipart only, else NULL */
  char *content_type; /**< multipart only, else NULL */
  struct sim_param *next;
};

/** A request as a provider sees it: complete, body included. */
struct sim_request {
  const char *method;  /**< "GET", "POST", ... */
  const char *path;    /**< decoded path, "/smsmode/http/1.6/sendSMS.do" */
  const char *subpath; /**< path after the provider prefix, "http/1.6/sendSMS.do" */
  const char *query;   /**< raw query string as sent ("" when none) */
  const unsigned char *body;
  size_t body_len;
  const char *content_type;        /**< Content-Type header or NULL */
  const struct sim_param *params;  /**< query first, then body, in order */
  void *conn;                      /**< the core's connection, for sim_header() */
};

/** Request header `name` (case-insensitive), or NULL. */
const char *sim_header(const struct sim_request *req, const char *name);

/** First query or urlencoded-body parameter `name` (case-sensitive), or
    NULL.  Multipart parts are not parameters here: see sim_part(). */
const struct sim_param *sim_param_get(const struct sim_request *req,
                                      const char *name);
/** Its value, or NULL when absent. */
const char *sim_param(const struct sim_request *req, const char *name);
/** Its value when present and not empty, else NULL. */
const char *sim_param_nonempty(const struct sim_request *req, const char *name);
/** First multipart part named `name`, or NULL. */
const struct sim_param *sim_part(const struct sim_request *req,
                                 const char *name);

/* --------------------------------------------------------------- response */

/** One extra response header (sim_respond_header). */
struct sim_header_line {
  char *name, *value;
  struct sim_header_line *next;
};

/** What a hook answers.  The core frees `body` and `headers`. */
struct sim_response {
  unsigned status;          /**< HTTP status; 0 means "not answered" */
  const char *content_type; /**< a static string */
  char *body;               /**< malloc'd, may be NULL when len is 0 */
  size_t len;
  struct sim_header_line *headers; /**< extra headers, in order, or NULL */
};

/** Answer `len` bytes (copied). */
void sim_respond(struct sim_response *resp, unsigned status,
                 const char *content_type, const void *body, size_t len);
/** Answer a printf-formatted body. */
void sim_respondf(struct sim_response *resp, unsigned status,
                  const char *content_type, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
/** Answer a JSON document (takes the reference to `doc`). */
void sim_respond_json(struct sim_response *resp, unsigned status,
                      struct json_object *doc);
/** Add header `name: value` to the answer (both copied), e.g. the
    `Authorization: Bearer ...` a login answers with. */
void sim_respond_header(struct sim_response *resp, const char *name,
                        const char *value);

/* ---------------------------------------------------------- control hooks */

/** A provider-specific control operation: /_sim/<name>?provider=P.
    `run` answers like a provider hook; sim_ctl_error() builds the usual
    {"error": "..."} answer. */
struct sim_ctl_op {
  const char *name;   /**< "account", "advance", "reply", "messages" */
  const char *method; /**< "GET" or "POST" */
  void (*run)(void *state, const struct sim_request *req,
              struct sim_response *resp);
};

/** Answer {"error": message} with HTTP `status`. */
void sim_ctl_error(struct sim_response *resp, unsigned status,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* --------------------------------------------------------------- provider */

/** One simulated provider API. */
struct sim_provider {
  const char *name;   /**< the `provider=` value of the control API */
  const char *prefix; /**< path prefix it serves, with both slashes: "/smsmode/" */

  /** Allocate the state with the built-in accounts. */
  void *(*create)(void);
  /** Free everything. */
  void (*destroy)(void *state);
  /** Forget messages and replies; accounts back to the built-in table. */
  void (*reset)(void *state);
  /** Serve one request under `prefix` (faults already applied by the core).
      Leaving resp->status at 0 makes the core answer 404. */
  void (*handle)(void *state, const struct sim_request *req,
                 struct sim_response *resp);
  /** The answer of fault mode `code`: the provider's own way of saying
      error `code` (sMsmode: "C | text"). */
  void (*error_answer)(void *state, const struct sim_request *req, int code,
                       struct sim_response *resp);
  /** Move every delivery report one step on; returns how many changed.
      May be NULL. */
  unsigned (*advance)(void *state);
  /** Further control operations, terminated by a zeroed entry; may be NULL. */
  const struct sim_ctl_op *ops;
};

/* The providers; the registry in sim.c lists them. */
extern const struct sim_provider sim_smsmode;
extern const struct sim_provider sim_clever_http;
extern const struct sim_provider sim_clever_rest;
extern const struct sim_provider sim_mediasflow;
extern const struct sim_provider sim_allmysms;

/* ---------------------------------------------------------------- helpers */

void *sim_xmalloc(size_t n);
void *sim_xcalloc(size_t n, size_t size);
void *sim_xrealloc(void *p, size_t n);
char *sim_xstrdup(const char *s);
char *sim_xstrndup(const char *s, size_t n);
char *sim_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** A growing byte buffer, always NUL-terminated once anything was added. */
struct sim_buf {
  char *data;
  size_t len, cap;
};
void sim_buf_add(struct sim_buf *b, const void *data, size_t n);
void sim_buf_adds(struct sim_buf *b, const char *s);
void sim_buf_addf(struct sim_buf *b, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));
void sim_buf_vaddf(struct sim_buf *b, const char *fmt, va_list ap)
  __attribute__((format(printf, 2, 0)));
/** Hand the bytes over (never NULL: an empty buffer gives "") and reset `b`. */
char *sim_buf_take(struct sim_buf *b, size_t *len);
void sim_buf_free(struct sim_buf *b);

/** Decode one UTF-8 character at *p (before `end`), strictly (no overlongs,
    surrogates, or values above U+10FFFF); advance *p.  An invalid byte
    gives U+FFFD and advances by one. */
uint32_t sim_utf8_next(const unsigned char **p, const unsigned char *end);
/** Append code point `cp` to `b` in UTF-8. */
void sim_utf8_put(struct sim_buf *b, uint32_t cp);
/** The Unicode character of ISO-8859-15 byte `c`.  Byte 0x80, a C1 control
    in ISO-8859-15, is read as the euro sign as Windows-1252 has it (the
    sMsmode character table lists it so). */
uint32_t sim_latin9_char(unsigned char c);
/** ISO-8859-15 bytes to a malloc'd UTF-8 string. */
char *sim_latin9_to_utf8(const void *in, size_t len);
/** UTF-8 to malloc'd ISO-8859-15 bytes; what it cannot hold becomes '?'. */
char *sim_utf8_to_latin9(const char *in, size_t *outlen);
/** UTF-8 bytes to a malloc'd valid UTF-8 string (bad bytes: U+FFFD). */
char *sim_utf8_clean(const void *in, size_t len);

/** A JSON string holding arbitrary bytes: valid UTF-8 is written as is,
    every other byte as \u00XX (so a reader sees byte 0xE9 as U+00E9). */
struct json_object *sim_json_bytes(const void *data, size_t len);
/** A JSON number for a credit kept in hundredths: 1000 or 212.5. */
struct json_object *sim_json_cents(long long cents);
/** Format hundredths the way sMsmode's credit.do does: "1000", "212.5", "-3.25". */
void sim_cents_format(long long cents, char *out, size_t outlen);
/** Parse "12", "-3.5", "0.25" (at most two decimals) into hundredths.
    Returns 0, or -1 when `s` is not such a number. */
int sim_cents_parse(const char *s, long long *cents);
/** Parse a whole decimal number (optional '-'); -1 when it is not one. */
int sim_int_parse(const char *s, long long *out);

/** Deterministic pseudo-random identifiers (xorshift64*): every run of the
    simulator hands out the same sequence. */
struct sim_rng {
  uint64_t s;
};
void sim_rng_seed(struct sim_rng *r, uint64_t seed);
/** `n` random letters and digits, NUL-terminated (out holds n + 1). */
void sim_rng_alnum(struct sim_rng *r, char *out, size_t n);

/** Local time as "ddmmyyyy-hh:mm" (out holds 15 bytes). */
void sim_time_dmyhm(time_t t, char *out, size_t outlen);
/** Parse "ddmmyyyy-hh:mm" (local time).  Returns 0, or -1 when malformed
    or not a real date. */
int sim_time_parse_dmyhm(const char *s, time_t *out);

/* ------------------------------------------------------------- pushes */

/** Call `url` back (HTTP GET) from the push thread, with retries
    (sim_push.c): what a provider does with a delivery report or a reply. */
void sim_push(const char *url);
/** Forget every push and the push fault (POST /_sim/reset). */
void sim_push_reset(void);
/** Stop the push thread (at exit). */
void sim_push_shutdown(void);
/** POST /_sim/push-fault and GET /_sim/pushes. */
void sim_push_ctl_fault(const struct sim_request *req,
                        struct sim_response *resp);
void sim_push_ctl_list(const struct sim_request *req,
                       struct sim_response *resp);

#endif
