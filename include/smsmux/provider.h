/*
 * smsmux/provider.h - the smsmux provider plugin ABI.
 *
 * This is the only header a provider plugin includes.  It is a published
 * contract: see docs/ABI.md.  Rules, in short:
 *
 *  - A plugin exports exactly one symbol, smsmux_provider_entry(), returning
 *    a pointer to a constant descriptor (struct smsmux_provider).
 *  - Every struct that crosses the boundary starts with its `size` (the
 *    sizeof the side that built it saw) and only ever grows at the end.
 *    A reader checks `size` before it touches a member added by a later
 *    minor (use SMSMUX_HAS_MEMBER).  Each member says which ABI minor added it.
 *  - SMSMUX_ABI_MAJOR changes when anything is removed, reordered or changes
 *    meaning; the host refuses a plugin of another major.
 *  - Memory never crosses the boundary to be freed on the other side.  Inputs
 *    are borrowed for the duration of one call.  Outputs go through the host
 *    sink functions, which copy.  Memory the host hands out (HTTP responses,
 *    smsmux_host.alloc, converted strings) belongs to the current operation
 *    and is released by the host when that operation returns.
 *  - Every operation gets its own `smsmux_call` handle; a plugin may be
 *    called from several threads at once (one call per thread), and guards
 *    its own mutable state.
 *  - The host alone initialises and cleans up libcurl and libxml2.
 */
#ifndef SMSMUX_PROVIDER_H
#define SMSMUX_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI major: bumped on any incompatible change; the host refuses others. */
#define SMSMUX_ABI_MAJOR 1
/** ABI minor: bumped when members are appended; older minors keep loading. */
#define SMSMUX_ABI_MINOR 2

/** True when struct pointer `p` (with a leading `size`) has member `m`. */
#define SMSMUX_HAS_MEMBER(p, type, m)                                          \
  ((p)->size >= offsetof(type, m) + sizeof(((type *)0)->m))

#if defined(__GNUC__)
#define SMSMUX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SMSMUX_EXPORT __attribute__((visibility("default")))
#else
#define SMSMUX_PRINTF(f, a)
#define SMSMUX_EXPORT
#endif

/* ---------------------------------------------------------------- enums -- */
/* Enum values are never renumbered; new values are only appended. */

/** Error classes: what the router does next depends on them. (1.0) */
typedef enum smsmux_error_class {
  SMSMUX_OK = 0,
  /** Nothing was accepted: refused connection, HTTP 503, "try later".
      The router tries the next provider. */
  SMSMUX_ERR_TEMPORARY = 1,
  /** Credentials refused or account disabled.  Next provider. */
  SMSMUX_ERR_AUTH = 2,
  /** Not enough credit on this provider.  Next provider. */
  SMSMUX_ERR_CREDIT = 3,
  /** This message can never go through this provider (bad number for it,
      text too long, bad parameter).  The router stops. */
  SMSMUX_ERR_INVALID = 4,
  /** Any other definite refusal.  The router stops. */
  SMSMUX_ERR_PERMANENT = 5,
  /** The request may have been accepted (timeout after sending, cut
      connection, unreadable success answer).  The router stops and
      reports "possibly sent". */
  SMSMUX_ERR_UNKNOWN_OUTCOME = 6,
  /* Classes below are mostly produced by the host. */
  /** Bad input from the user (number, text, sender, flags).  A plugin may
      use it for its provider's own rules checked before any request (e.g.
      "French mobile numbers only"): nothing was sent, the router stops and
      the command exits 2. */
  SMSMUX_ERR_INPUT = 7,
  /** Configuration error (file, section, key). */
  SMSMUX_ERR_CONFIG = 8,
  /** The provider does not support this operation or capability. */
  SMSMUX_ERR_UNSUPPORTED = 9,
  /** Local failure: out of memory, state database, plugin loading. */
  SMSMUX_ERR_SYSTEM = 10,
  /** Not this provider: a limit or rule of this instance the message does
      not fit (too many SMS for the account, a send time too close, a
      sender it refuses), found before any request.  Nothing was sent; the
      router tries the next provider, and the breaker does not count it.
      A host older than 1.2 reads it as PERMANENT: use it only when
      host->abi_minor >= 2, else SMSMUX_ERR_INVALID. (1.2) */
  SMSMUX_ERR_UNSUITABLE = 11
} smsmux_error_class;

/** Normalised delivery status of one recipient. (1.0) */
typedef enum smsmux_status {
  SMSMUX_STATUS_UNKNOWN = 0,
  SMSMUX_STATUS_ACCEPTED = 1,   /**< taken by the provider, not yet sent */
  SMSMUX_STATUS_SCHEDULED = 2,  /**< waiting for its send date */
  SMSMUX_STATUS_SENT = 3,       /**< handed to the operator */
  SMSMUX_STATUS_DELIVERED = 4,  /**< delivered to the handset */
  SMSMUX_STATUS_UNDELIVERED = 5,/**< operator could not deliver */
  SMSMUX_STATUS_EXPIRED = 6,    /**< validity period ran out */
  SMSMUX_STATUS_REJECTED = 7,   /**< refused (blacklist, bad number, ...) */
  SMSMUX_STATUS_CANCELLED = 8,  /**< deleted before sending */
  /** Nothing was accepted for it: every provider tried failed (transport
      failure, HTTP 503, credentials, credit...).  REJECTED stays a
      provider's own refusal of this number.  Set by the host; a plugin
      reports REJECTED. (1.2) */
  SMSMUX_STATUS_FAILED = 9
} smsmux_status;

/** What a message is. (1.0) */
typedef enum smsmux_kind {
  SMSMUX_KIND_SMS = 0,
  SMSMUX_KIND_MMS = 1,
  SMSMUX_KIND_VOICE = 2 /**< text to speech call */
} smsmux_kind;

/** Text encoding chosen by the core (GSM 03.38 or UCS-2). (1.0) */
typedef enum smsmux_encoding {
  SMSMUX_ENC_GSM7 = 0,
  SMSMUX_ENC_UCS2 = 1
} smsmux_encoding;

/** Capability bits of a provider (smsmux_provider.capabilities). (1.0) */
enum smsmux_capability {
  SMSMUX_CAP_SMS = 1u << 0,          /**< plain GSM-7 SMS */
  SMSMUX_CAP_UNICODE = 1u << 1,      /**< UCS-2 SMS */
  SMSMUX_CAP_MMS = 1u << 2,          /**< MMS (text, image, video, audio) */
  SMSMUX_CAP_VOICE = 1u << 3,        /**< text-to-speech calls */
  SMSMUX_CAP_SCHEDULE = 1u << 4,     /**< deferred sending (message.at) */
  SMSMUX_CAP_CANCEL = 1u << 5,       /**< cancel a scheduled message */
  SMSMUX_CAP_STATUS = 1u << 6,       /**< delivery status per recipient */
  SMSMUX_CAP_REPLIES = 1u << 7,      /**< replies (MO) can be read */
  SMSMUX_CAP_BALANCE = 1u << 8,      /**< remaining credit can be read */
  SMSMUX_CAP_ALPHA_SENDER = 1u << 9, /**< alphanumeric sender IDs */
  SMSMUX_CAP_NOTIFY_URL = 1u << 10   /**< delivery report callbacks */
};

/** Number formats for smsmux_host.number_format. (1.0) */
typedef enum smsmux_number_style {
  SMSMUX_NUM_E164 = 0,     /**< +33612345678 */
  SMSMUX_NUM_DIGITS = 1,   /**< 33612345678 (international, no prefix) */
  SMSMUX_NUM_00 = 2,       /**< 0033612345678 */
  SMSMUX_NUM_NATIONAL = 3  /**< 0612345678 for +33, else like DIGITS */
} smsmux_number_style;

typedef enum smsmux_log_level {
  SMSMUX_LOG_ERROR = 0,
  SMSMUX_LOG_WARNING = 1,
  SMSMUX_LOG_INFO = 2,
  SMSMUX_LOG_DEBUG = 3
} smsmux_log_level;

typedef enum smsmux_http_method {
  SMSMUX_HTTP_GET = 0,
  SMSMUX_HTTP_POST = 1,
  SMSMUX_HTTP_PUT = 2,
  SMSMUX_HTTP_DELETE = 3,
  SMSMUX_HTTP_PATCH = 4
} smsmux_http_method;

/** How the request body is built. (1.0) */
typedef enum smsmux_http_body {
  SMSMUX_BODY_NONE = 0,      /**< no body */
  SMSMUX_BODY_FORM = 1,      /**< application/x-www-form-urlencoded of `form` */
  SMSMUX_BODY_MULTIPART = 2, /**< multipart/form-data of `parts` */
  SMSMUX_BODY_RAW = 3        /**< `body` as given, with `content_type` */
} smsmux_http_body;

/** HTTP authentication the host applies. (1.0) */
typedef enum smsmux_http_auth {
  SMSMUX_AUTH_NONE = 0,
  SMSMUX_AUTH_BASIC = 1,  /**< `user` and `password` (CURLOPT_USERPWD) */
  SMSMUX_AUTH_BEARER = 2  /**< `Authorization: Bearer <token>` */
} smsmux_http_auth;

/* -------------------------------------------------------------- structs -- */

/** A borrowed key/value pair; both NUL-terminated. (1.0) */
typedef struct smsmux_kv {
  const char *key;
  const char *value;
} smsmux_kv;

/** Opaque per-operation handle owned by the host (one per call, per
    thread).  Everything a plugin reports goes through it. */
typedef struct smsmux_call smsmux_call;

/** A message to send, built by the core. (1.0) */
typedef struct smsmux_message {
  size_t size;               /**< sizeof as built by the host (1.0) */
  smsmux_kind kind;          /**< sms, mms or voice (1.0) */
  const char *text;          /**< UTF-8 text, may be "" for MMS (1.0) */
  smsmux_encoding encoding;  /**< decided by the core (1.0) */
  unsigned segments;         /**< SMS parts the text takes (1.0) */
  unsigned text_units;       /**< septets (GSM-7) or UTF-16 units (1.0) */
  const char *const *to;     /**< recipients, E.164 (+336...) (1.0) */
  size_t n_to;               /**< count of `to`, <= max_recipients (1.0) */
  const char *from;          /**< sender ID or NULL for the default (1.0) */
  int64_t at;                /**< send time, Unix seconds; 0 = now (1.0) */
  const char *ref;           /**< client reference (--ref) or NULL (1.0) */
  const char *image_url;     /**< MMS image URL or NULL (1.0) */
  const char *video_url;     /**< MMS video URL or NULL (1.0) */
  const char *audio_url;     /**< MMS sound URL or NULL (1.0) */
  unsigned duration;         /**< media duration in seconds, 0 unset (1.0) */
  const char *subject;       /**< MMS subject / campaign name, or NULL (1.0) */
  /** Per-message provider options (`send --option KEY=VALUE`), e.g.
      `stop=1`, `reply=1`, `notification_url=...`; a plugin ignores the keys
      it does not know and rejects a value it cannot parse with
      SMSMUX_ERR_INPUT, naming the option and the accepted values. (1.0) */
  const smsmux_kv *options;
  size_t n_options;          /**< count of `options` (1.0) */
  /** Where the provider should push this message's delivery reports and
      the replies to it, when the host can receive them (a service with a
      public URL), else NULL.  A plugin whose provider pushes passes them
      on (sMsmode: notification_url, notification_url_reponse) unless the
      message's options name their own.  The host receives them and hands
      them to `inbound`. (1.2) */
  const char *notify_report_url;
  const char *notify_reply_url; /**< (1.2) */
} smsmux_message;

/** What a provider pushed to the host (a delivery report or a reply), for
    smsmux_provider.inbound.  Memory belongs to the host. (1.2) */
typedef enum smsmux_inbound_kind {
  SMSMUX_INBOUND_REPORT = 0, /**< a delivery report (1.2) */
  SMSMUX_INBOUND_REPLY = 1   /**< a reply, an MO (1.2) */
} smsmux_inbound_kind;

typedef struct smsmux_inbound {
  size_t size;               /**< sizeof as built by the host (1.2) */
  smsmux_inbound_kind kind;  /**< which URL it came to (1.2) */
  const char *method;        /**< "GET", "POST"... (1.2) */
  const smsmux_kv *query;    /**< decoded query parameters (1.2) */
  size_t n_query;            /**< (1.2) */
  const smsmux_kv *headers;  /**< request headers, names lowercase (1.2) */
  size_t n_headers;          /**< (1.2) */
  const char *body;          /**< body bytes, NUL-terminated, or "" (1.2) */
  size_t body_len;           /**< (1.2) */
  const char *content_type;  /**< or NULL (1.2) */
} smsmux_inbound;

/** A query for replies (MO messages). (1.0) */
typedef struct smsmux_reply_query {
  size_t size;        /**< sizeof as built by the host (1.0) */
  const char *id;     /**< only replies to this message id, or NULL (1.0) */
  unsigned start;     /**< index of the first reply, newest first (1.0) */
  unsigned count;     /**< how many; 0 = provider default (1.0) */
  int64_t since;      /**< range start, Unix seconds; 0 = none (1.0) */
  int64_t until;      /**< range end, Unix seconds; 0 = none (1.0) */
} smsmux_reply_query;

/** One recipient's delivery status (status sink). (1.0) */
typedef struct smsmux_status_record {
  size_t size;            /**< sizeof as built by the plugin (1.0) */
  /** recipient, any format (the host normalises it), or NULL for a status
      of the whole message (1.0) */
  const char *to;
  smsmux_status status;   /**< normalised status (1.0) */
  const char *code;       /**< provider's raw status code (1.0) */
  const char *text;       /**< provider's raw text, or NULL (1.0) */
  const char *at;         /**< when, as the provider said it, or NULL (1.0) */
} smsmux_status_record;

/** One reply (MO) (reply sink). (1.0) */
typedef struct smsmux_reply {
  size_t size;            /**< sizeof as built by the plugin (1.0) */
  const char *from;       /**< who answered (1.0) */
  const char *to;         /**< the number that received it, or NULL (1.0) */
  const char *text;       /**< UTF-8 text (1.0) */
  const char *at;         /**< when, as the provider said it, or NULL (1.0) */
  const char *id;         /**< reply id, or NULL (1.0) */
  const char *message_id; /**< id of the message answered, or NULL (1.0) */
} smsmux_reply;

/** One multipart/form-data part. (1.0) */
typedef struct smsmux_http_part {
  const char *name;         /**< field name */
  const char *data;         /**< bytes */
  size_t len;               /**< byte count of `data` */
  const char *filename;     /**< file name to announce, or NULL */
  const char *content_type; /**< e.g. "text/csv", or NULL */
} smsmux_http_part;

/** An HTTP request for smsmux_host.http. (1.0) */
typedef struct smsmux_http_request {
  size_t size;                  /**< sizeof as built by the plugin (1.0) */
  smsmux_http_method method;    /**< (1.0) */
  /** Path appended to the instance's base_url ("/sendSMS.do"), or an
      absolute http(s) URL used as is. (1.0) */
  const char *path;
  const smsmux_kv *query;       /**< query parameters, URL-encoded (1.0) */
  size_t n_query;               /**< (1.0) */
  smsmux_http_body body_kind;   /**< how the body is built (1.0) */
  const smsmux_kv *form;        /**< SMSMUX_BODY_FORM fields (1.0) */
  size_t n_form;                /**< (1.0) */
  const smsmux_http_part *parts;/**< SMSMUX_BODY_MULTIPART parts (1.0) */
  size_t n_parts;               /**< (1.0) */
  const char *body;             /**< SMSMUX_BODY_RAW bytes (1.0) */
  size_t body_len;              /**< (1.0) */
  const char *content_type;     /**< SMSMUX_BODY_RAW content type (1.0) */
  const char *const *headers;   /**< extra "Name: value" headers (1.0) */
  size_t n_headers;             /**< (1.0) */
  smsmux_http_auth auth;        /**< (1.0) */
  const char *user;             /**< Basic user (1.0) */
  const char *password;         /**< Basic password (1.0) */
  const char *bearer;           /**< Bearer token (1.0) */
  /** Parameter names whose values the host must redact in traces, besides
      the instance's secret config values: as `name=value` in the query or a
      form body, and as `"name": "value"` in a JSON body or answer.
      NULL-terminated, or NULL. (1.0) */
  const char *const *secret_params;
  /** 1 when this request cannot have accepted anything (a login, a read,
      a preparation step): a timeout or a cut connection is then TEMPORARY
      rather than UNKNOWN_OUTCOME, even during a send. (1.0) */
  int accepts_nothing;
} smsmux_http_request;

/** An HTTP response; memory belongs to the call. (1.0) */
typedef struct smsmux_http_response {
  size_t size;              /**< sizeof as built by the plugin (1.0) */
  long status;              /**< HTTP status code (1.0) */
  const char *body;         /**< body bytes, NUL-terminated (1.0) */
  size_t body_len;          /**< byte count, without the NUL (1.0) */
  const char *content_type; /**< Content-Type header or NULL (1.0) */
} smsmux_http_response;

/** One line of a provider's status table, for smsmux_host.status_lookup:
    the provider's raw code, the normalised status, and the provider's
    documented wording (used when an answer carries no text). (1.0) */
typedef struct smsmux_status_map {
  const char *code;
  smsmux_status status;
  const char *text;
} smsmux_status_map;

/** One line of a provider's answer-code table, for
    smsmux_host.error_lookup: the provider's code, the error class it means
    (SMSMUX_OK for success codes) and the document's wording. (1.1) */
typedef struct smsmux_error_map {
  const char *code;
  smsmux_error_class cls;
  const char *text;
} smsmux_error_map;

/** What one instance can take, as its configuration decides (an account's
    SMS limit, a template without a send time...): reported during `open`
    with smsmux_host.set_limits, so that the router skips an instance a
    message does not fit instead of calling its `send`.  Zero-initialise,
    set `size`; a member left 0 keeps the descriptor's value. (1.2) */
typedef struct smsmux_limits {
  size_t size;                /**< sizeof as built by the plugin (1.2) */
  /** Recipients per send, at most the descriptor's (the core splits
      longer lists), 0 = the descriptor's. (1.2) */
  unsigned max_recipients;
  unsigned max_segments;      /**< SMS parts per message, 0 = unchanged (1.2) */
  unsigned max_text_length;   /**< characters per message, 0 = unchanged (1.2) */
  unsigned max_sender_length; /**< sender ID length, 0 = unchanged (1.2) */
  /** SMSMUX_CAP_* bits this instance has beyond the descriptor's (only
      bits whose function the descriptor provides take effect). (1.2) */
  uint32_t caps_add;
  /** SMSMUX_CAP_* bits this instance lacks (e.g. SMSMUX_CAP_SCHEDULE
      when its configuration cannot carry a send time). (1.2) */
  uint32_t caps_remove;
  /** A scheduled message (`at`) must be at least this many seconds ahead
      when it is sent; 0 = no minimum. (1.2) */
  int64_t schedule_min_delay;
  /** SMSMUX_SENDER_* rules (1.2) */
  unsigned sender_rules;
} smsmux_limits;

/** Sender rules of smsmux_limits.sender_rules. (1.2) */
enum smsmux_sender_rule {
  /** Numeric senders (a phone number) are refused. (1.2) */
  SMSMUX_SENDER_NO_NUMERIC = 1u << 0,
  /** No sender may be given: the account's own is always used. (1.2) */
  SMSMUX_SENDER_FIXED = 1u << 1
};

/** Services the host offers a plugin.  Passed to `open`; valid until
    `close` returns (the one pointer a plugin may keep). (1.0) */
typedef struct smsmux_host {
  size_t size;           /**< sizeof as built by the host (1.0) */
  unsigned abi_major;    /**< host's SMSMUX_ABI_MAJOR (1.0) */
  unsigned abi_minor;    /**< host's SMSMUX_ABI_MINOR (1.0) */

  /** Log a line, tagged with the instance name; never pass secrets. (1.0) */
  void (*log)(smsmux_call *call, smsmux_log_level level, const char *fmt, ...)
      SMSMUX_PRINTF(3, 4);

  /** The instance's configuration value for `key` (lowercase), or the
      descriptor's default for `base_url`, or NULL when unset.  Secret
      references (env:NAME) are already resolved.  Borrowed for the
      instance's lifetime: keep the pointer, do not copy it (the host wipes
      the values when the instance closes). (1.0) */
  const char *(*config_get)(smsmux_call *call, const char *key);

  /** Record the failure of the current operation and return -1, so a
      plugin can write `return host->fail(call, ...)`.  `code` is the
      provider's raw code (or NULL); the message says what went wrong in
      words a user can act on.  The last call wins. (1.0) */
  int (*fail)(smsmux_call *call, smsmux_error_class cls, const char *code,
              const char *fmt, ...) SMSMUX_PRINTF(4, 5);

  /** Perform an HTTP request with the instance's base URL, timeout, TLS
      verification and User-Agent, on a reused connection.  Returns 0 when a
      response arrived (any HTTP status: the plugin interprets it), or -1
      after recording the transport failure with `fail`: TEMPORARY when
      nothing was sent (refused, DNS), UNKNOWN_OUTCOME when the request may
      have been received (timeout after sending, connection cut). The
      response is valid until the operation returns. (1.0) */
  int (*http)(smsmux_call *call, const smsmux_http_request *req,
              smsmux_http_response *resp);

  /** Value of response header `name` of the last `http` on this call,
      or NULL. (1.0) */
  const char *(*http_header)(smsmux_call *call, const char *name);

  /** Memory that lives until the operation returns (open: until close);
      NULL when out of memory (the operation then fails whatever the plugin
      returns; the other services returning call memory return NULL too,
      docs/PLUGINS.md "Memory and threads"). (1.0) */
  void *(*alloc)(smsmux_call *call, size_t n);

  /** printf into call memory. (1.0) */
  char *(*strf)(smsmux_call *call, const char *fmt, ...) SMSMUX_PRINTF(2, 3);

  /** Convert UTF-8 `text` to `charset` (iconv name, e.g. "ISO-8859-15");
      characters it cannot hold become '?'.  Returns call memory, NUL-
      terminated; `*len` gets the byte count when non-NULL. NULL on a bad
      charset name (after `fail`). (1.0) */
  const char *(*to_charset)(smsmux_call *call, const char *text,
                            const char *charset, size_t *len);

  /** Convert `len` bytes in `charset` to UTF-8 (call memory). (1.0) */
  const char *(*from_charset)(smsmux_call *call, const char *bytes, size_t len,
                              const char *charset);

  /** Reformat an E.164 number (+336...) for a provider. (1.0) */
  const char *(*number_format)(smsmux_call *call, const char *e164,
                               smsmux_number_style style);

  /** Normalise any number a provider reports (336..., 06..., 0033...) to
      E.164, or return it unchanged when it cannot. (1.0) */
  const char *(*number_normalise)(smsmux_call *call, const char *number);

  /* ---- result sinks: the host copies what it is given ---- */

  /** The provider's id for the whole message/campaign (send). (1.0) */
  void (*set_message_id)(smsmux_call *call, const char *id);

  /** Outcome for one recipient of a send: status ACCEPTED / SCHEDULED on
      success, REJECTED with the raw code/text when the provider refused
      this one number.  `id` is the per-recipient id or NULL.  A send that
      fails (-1) after some recipients were accepted (its second request
      failed, say) reports those ACCEPTED / SCHEDULED first: a 1.2 host
      keeps them as accepted and moves only the others on (1.0; the
      partial case 1.2). */
  void (*add_recipient)(smsmux_call *call, const char *to, smsmux_status st,
                        const char *id, const char *code, const char *text);

  /** One delivery status record (status). (1.0) */
  void (*add_status)(smsmux_call *call, const smsmux_status_record *rec);

  /** One reply (replies). (1.0) */
  void (*add_reply)(smsmux_call *call, const smsmux_reply *reply);

  /** The account balance in the provider's own units (balance). (1.0) */
  void (*set_balance)(smsmux_call *call, double credit, const char *unit);

  /** Start a new record in a `call` operation's result list. (1.0) */
  void (*begin_record)(smsmux_call *call);

  /** Add key/value to the current record (creates one if none). (1.0) */
  void (*add_result)(smsmux_call *call, const char *key, const char *value);

  /* ---- shared parsing helpers (so plugins never copy each other) ---- */

  /** Fail the operation because of an HTTP status that is not a success:
      401/403 AUTH, 402 CREDIT, 400/404/409/422 INVALID, 429/502/503/504
      TEMPORARY, other 5xx UNKNOWN_OUTCOME when `sending` (the request may
      have been accepted) else TEMPORARY, anything else PERMANENT.  The
      message quotes the start of the body.  Returns -1. (1.0) */
  int (*fail_http)(smsmux_call *call, const smsmux_http_response *resp,
                   int sending);

  /** Split `s` on the separator string `sep` into trimmed fields (spaces,
      tabs, CR/LF removed at both ends), in call memory; *fields gets a
      NULL-terminated array.  Returns the field count (1 for ""). (1.0) */
  size_t (*split)(smsmux_call *call, const char *s, const char *sep,
                  char ***fields);

  /** Parse "k1=v1&k2=v2" style pairs: pairs separated by any character of
      `pair_seps` (e.g. "&" or "\n"), key and value by `kv_sep` (e.g. "=").
      Keys and values are trimmed; a value quoted with ", « or » (in any
      combination: provider documents mix them) loses its quotes and may
      then contain the separators.  *pairs gets call memory terminated by
      {NULL, NULL}.  Returns the pair count. (1.0) */
  size_t (*parse_pairs)(smsmux_call *call, const char *s,
                        const char *pair_seps, char kv_sep,
                        smsmux_kv **pairs);

  /** The entry of `table` (terminated by {NULL}) whose code equals `code`,
      or NULL. (1.0) */
  const smsmux_status_map *(*status_lookup)(const smsmux_status_map *table,
                                            const char *code);

  /** Read a local file the user named (a CSV to upload...) into call
      memory, NUL-terminated; *len gets its size.  NULL after `fail` with
      SMSMUX_ERR_INVALID naming the file when it cannot be read or exceeds
      64 MiB. (1.0) */
  const char *(*read_file)(smsmux_call *call, const char *path, size_t *len);

  /** Format Unix time `t` in the local time zone with strftime(3) `fmt`
      (e.g. "%d%m%Y-%H:%M"), in call memory. (1.0) */
  const char *(*format_time)(smsmux_call *call, int64_t t, const char *fmt);

  /** The same in UTC (providers that want "...Z" times). (1.0) */
  const char *(*format_time_utc)(smsmux_call *call, int64_t t,
                                 const char *fmt);

  /** 1 when `len` bytes at `s` are valid UTF-8 (no overlongs, no
      surrogates). (1.0) */
  int (*is_utf8)(const char *s, size_t len);

  /** Answer bytes as UTF-8 text in call memory: converted from the charset
      `content_type` names (e.g. "text/plain; charset=ISO-8859-1") when it
      names one iconv knows, else kept when valid UTF-8, else converted
      from `fallback` (e.g. "ISO-8859-15").  Never NULL. (1.0) */
  const char *(*decode_text)(smsmux_call *call, const char *bytes, size_t len,
                             const char *content_type, const char *fallback);

  /** The error class host->fail_http would give HTTP status `status`, for
      plugins that word the error themselves. (1.0) */
  smsmux_error_class (*http_class)(long status, int sending);

  /** yes/no in the usual spellings (yes y true on 1 / no n false off 0,
      any case): 1, 0, or -1 for anything else. (1.0) */
  int (*parse_bool)(const char *s);

  /** A send option: the message's `--option KEY=VALUE` when given, else
      the instance's config key of the same name, else NULL.  `msg` may be
      NULL (config only). (1.0) */
  const char *(*option)(smsmux_call *call, const smsmux_message *msg,
                        const char *key);

  /** The start of an answer for an error message: one line, at most about
      120 characters, control characters as spaces, in UTF-8 (bytes that are
      not are read as ISO-8859-1), in call memory; "" for an empty body.
      (1.1) */
  const char *(*excerpt)(smsmux_call *call, const char *bytes, size_t len);

  /** Parse a decimal unsigned integer (digits only, no sign, no spaces)
      within [lo, hi]: 0 with *out, or -1. (1.1) */
  int (*parse_uint)(const char *s, unsigned long long lo,
                    unsigned long long hi, unsigned long long *out);

  /** The value of parameter `name` among `params` (the last one given), or
      NULL. (1.1) */
  const char *(*param)(const smsmux_kv *params, size_t n, const char *name);

  /** "accepted", "delivered", ... for a status (as the CLI prints). (1.1) */
  const char *(*status_name)(smsmux_status st);

  /** The entry of `table` (terminated by {NULL}) whose code equals `code`,
      or NULL. (1.1) */
  const smsmux_error_map *(*error_lookup)(const smsmux_error_map *table,
                                          const char *code);

  /** Report this instance's own limits and capabilities (see
      smsmux_limits).  Only during `open`; a later call replaces an
      earlier one.  0, or -1 after `fail` (CONFIG: called outside open,
      a malformed struct, max_recipients above the descriptor's).  The
      configuration key max_recipients of the host may lower it further.
      (1.2) */
  int (*set_limits)(smsmux_call *call, const smsmux_limits *limits);
} smsmux_host;

/** A configuration key a plugin reads from its [provider.NAME] section. */
typedef struct smsmux_config_key {
  const char *name;    /**< lowercase key */
  unsigned flags;      /**< SMSMUX_KEY_* */
  const char *summary; /**< one line for docs and `smsmux providers` */
} smsmux_config_key;

enum smsmux_key_flags {
  SMSMUX_KEY_REQUIRED = 1u << 0, /**< the instance cannot open without it */
  SMSMUX_KEY_SECRET = 1u << 1    /**< redacted everywhere; file must be 0600 */
};

/** A provider-specific operation reachable through `call`. */
typedef struct smsmux_operation {
  const char *name;           /**< e.g. "sub-account-create" */
  const char *summary;        /**< one line */
  /** Parameter names, NULL-terminated; a trailing '?' marks optional. */
  const char *const *params;
} smsmux_operation;

/** The provider descriptor returned by smsmux_provider_entry(). (1.0) */
typedef struct smsmux_provider {
  size_t size;             /**< sizeof(struct smsmux_provider) as built (1.0) */
  unsigned abi_major;      /**< SMSMUX_ABI_MAJOR the plugin was built for (1.0) */
  unsigned abi_minor;      /**< SMSMUX_ABI_MINOR the plugin was built for (1.0) */
  const char *name;        /**< == file stem == `plugin =` value (1.0) */
  const char *version;     /**< plugin version (1.0) */
  const char *summary;     /**< one line: which API it speaks (1.0) */
  uint32_t capabilities;   /**< SMSMUX_CAP_* bits (1.0) */
  unsigned max_recipients; /**< per request; the core splits (1.0) */
  unsigned max_text_length;/**< characters per message, 0 = none (1.0) */
  unsigned max_segments;   /**< SMS parts per message, 0 = none (1.0) */
  unsigned max_sender_length; /**< sender ID length, 0 = 11 (1.0) */
  const char *default_base_url; /**< base_url when the config has none (1.0) */
  /** Keys of [provider.NAME] besides the host's own, {NULL}-terminated. (1.0) */
  const smsmux_config_key *config_keys;
  /** Operations for `call`, {NULL}-terminated, or NULL. (1.0) */
  const smsmux_operation *operations;

  /** Open an instance; read config with host->config_get.  The host has
      already checked that every SMSMUX_KEY_REQUIRED key is set and that no
      unknown key is present.  Store what you need in *state.  Return 0, or
      -1 after host->fail. Required. (1.0) */
  int (*open)(const smsmux_host *host, smsmux_call *call, void **state);
  /** Release an instance.  Required. (1.0) */
  void (*close)(void *state);
  /** Send one message to msg->n_to recipients (1 <= n_to <= max_recipients,
      E.164, no duplicates), of a kind and encoding the declared capabilities
      cover, within max_segments / max_text_length / max_sender_length: the
      host checks all that first.  Report set_message_id / add_recipient;
      return 0, or -1 after host->fail.  Required with CAP_SMS, CAP_MMS or
      CAP_VOICE. (1.0) */
  int (*send)(void *state, smsmux_call *call, const smsmux_message *msg);
  /** Delivery status of message `id` (never NULL or empty): add_status per
      recipient.  Required with CAP_STATUS. (1.0) */
  int (*status)(void *state, smsmux_call *call, const char *id);
  /** Remaining credit: set_balance.  Required with CAP_BALANCE. (1.0) */
  int (*balance)(void *state, smsmux_call *call);
  /** Replies received: add_reply each.  Required with CAP_REPLIES. (1.0) */
  int (*replies)(void *state, smsmux_call *call, const smsmux_reply_query *q);
  /** Cancel scheduled message `id` (never NULL or empty).  Required with
      CAP_CANCEL. (1.0) */
  int (*cancel)(void *state, smsmux_call *call, const char *id);
  /** Run provider operation `op` (one of `operations`) with `params`;
      results through begin_record / add_result.  The host has already
      refused unknown parameters and missing or empty required ones (the
      operation's `params` list).  Required when `operations` is not
      empty. (1.0) */
  int (*call)(void *state, smsmux_call *call, const char *op,
              const smsmux_kv *params, size_t n_params);
  /** Names of the send options (`--option KEY=VALUE`) the plugin reads,
      NULL-terminated, or NULL.  The host logs (with --verbose) the options
      of a message that the provider taking it does not know, so plugins need
      not. (1.1) */
  const char *const *send_options;
  /** Parse what the provider pushed (a delivery report or a reply) and
      report it: for a report, set_message_id (the provider's message id
      the report is about) then add_status per recipient; for a reply,
      add_reply.  Return 0, or -1 after host->fail (INVALID for a request
      that is not the provider's).  The host has checked the instance's
      hook token already.  NULL: the provider does not push. (1.2) */
  int (*inbound)(void *state, smsmux_call *call, const smsmux_inbound *in);
} smsmux_provider;

/** The smallest descriptor the host accepts: everything up to `send`. */
#define SMSMUX_PROVIDER_MIN_SIZE                                               \
  (offsetof(smsmux_provider, send) + sizeof(((smsmux_provider *)0)->send))

/** The one symbol a plugin exports. */
typedef const smsmux_provider *(*smsmux_provider_entry_fn)(void);
#define SMSMUX_PROVIDER_ENTRY "smsmux_provider_entry"

/** The entry point every plugin defines (declared here so that plugins
    build clean with -Wmissing-prototypes).  Define it with:
    SMSMUX_PROVIDER_ENTRY_DECL { return &my_descriptor; } */
SMSMUX_EXPORT const smsmux_provider *smsmux_provider_entry(void);
#define SMSMUX_PROVIDER_ENTRY_DECL                                             \
  SMSMUX_EXPORT const smsmux_provider *smsmux_provider_entry(void)

#ifdef __cplusplus
}
#endif
#endif /* SMSMUX_PROVIDER_H */
