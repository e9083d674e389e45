/* host: the services table plugins call (smsmux_host), and the per-
 * operation smsmux_call that collects what a plugin reports. */
#ifndef SMSMUX_HOST_H
#define SMSMUX_HOST_H

#include "instance.h"

typedef enum call_kind {
  CALL_OPEN,
  CALL_SEND,
  CALL_STATUS,
  CALL_BALANCE,
  CALL_REPLIES,
  CALL_CANCEL,
  CALL_OP,
  CALL_INBOUND
} call_kind;

typedef struct call_recipient {
  char *to, *id, *code, *text;
  smsmux_status status;
} call_recipient;

typedef struct call_header {
  char *name, *value;
} call_header;

struct smsmux_call {
  instance *inst;
  call_kind kind;
  arena mem;              /* freed when the operation returns */
  int failed;
  int oom;                /* an allocation failed: the operation fails */
  int requested;          /* an HTTP request was handed to the transport */
  smsmux_error err;
  /* last HTTP response headers (in mem) */
  call_header *headers;
  size_t n_headers, cap_headers;
  void *curl;             /* handle borrowed from the pool, if any */
  /* sinks; strings malloc'd (they outlive the call) */
  char *message_id;
  call_recipient *recipients;
  size_t n_recipients, cap_recipients;
  smsmux_status_entry *statuses;
  size_t n_statuses, cap_statuses;
  smsmux_reply_entry *replies;
  size_t n_replies, cap_replies;
  int has_balance;
  double balance;
  char *balance_unit;
  smsmux_record *records;
  size_t n_records, cap_records;
};

/** The host table given to every plugin. */
extern const smsmux_host host_table;

void call_init(smsmux_call *c, instance *inst, call_kind kind);
/** Release call memory and sinks not taken by the caller (fields set to
    NULL by the caller are skipped). */
void call_done(smsmux_call *c);

/** Free what the status and reply sinks collected (also the results that
    took them over). */
void call_free_statuses(smsmux_status_entry *e, size_t n);
void call_free_replies(smsmux_reply_entry *e, size_t n);

/** After a plugin function returned rc: make sure err reflects it.  A
    call that ran out of memory fails whatever rc says: SMSMUX_ERR_SYSTEM
    "out of memory", or UNKNOWN_OUTCOME for a send, cancel or operation
    whose request had gone out (the provider may have acted on it). */
void call_settle(smsmux_call *c, int rc);

/** Note that memory ran out during the call (the host's services then
    return NULL, or an empty result where provider.h promises one). */
void call_oom(smsmux_call *c);

/** Call the plugin's open for `inst`: inst->usable, or inst->error says
    why not.  -1 when out of memory (nothing opened). */
int host_open_instance(instance *inst);

/** smsmux_host.http (host_http.c): the instance's base_url, timeout and
    pool, the --verbose trace with secrets redacted, and transport
    failures worded for the plugin's operation. */
int host_http(smsmux_call *call, const smsmux_http_request *req,
              smsmux_http_response *resp);

/** Text with the instance's secrets (and secret-named parameters) masked;
    malloc'd, NULL when out of memory. */
char *host_redact(const instance *inst, const char *text,
                  const char *const *secret_params);

#endif
