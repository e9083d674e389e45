/* webhook: the pure pieces of delivering events (core/notify.c does the
 * I/O): the webhook's JSON body and its HMAC-SHA256 signature, the retry
 * schedule, and Kannel's dlr-url (its dlr types and escape codes).  No
 * store, no HTTP: tests/test_webhook.c checks each against known values. */
#ifndef SMSMUX_WEBHOOK_H
#define SMSMUX_WEBHOOK_H

#include <smsmux/smsmux.h>
#include <stddef.h>
#include <stdint.h>

/** One event as the webhook and the dlr-url see it. */
typedef struct webhook_event {
  const char *event_id;    /* stable id (X-Smsmux-Event, the body's "event") */
  const char *kind;        /* "status" or "reply" */
  const char *message_id;  /* smsmux's message id */
  /* status: the recipient; reply: who replied */
  const char *number;
  const char *status;      /* status event */
  const char *provider, *provider_id, *code;
  const char *text;        /* status: the provider's text; reply: its text */
  const char *reply_to;    /* reply: the number it was sent to, or NULL */
  const char *reply_id;    /* reply: smsmux's id of the reply */
  const char *sender;      /* the message's sender (Kannel %P), or NULL */
  int64_t at;              /* Unix seconds (0: unknown: null) */
} webhook_event;

/** "2026-12-05T10:00:00Z" into buf (at least 21 bytes); "" for at <= 0. */
const char *webhook_time(int64_t at, char *buf, size_t len);

/** The exact body of the event's webhook (smsmux.h, the notifier):
    malloc'd JSON, NULL on out of memory. */
char *webhook_body(const webhook_event *e);

/** "sha256=" and the hex HMAC-SHA256 of body with `secret`, into out
    (72 bytes).  0, or -1 (libcrypto failed). */
int webhook_sign(const char *secret, const char *body, size_t len,
                 char out[72]);

/** Seconds to wait after the `failures`-th failed delivery (1, 2, ...):
    10 s doubled each time, at most an hour. */
int64_t webhook_backoff(unsigned failures);

/** 1 when an event first recorded at `first_at` and due again at
    `next_at` is past `retry_hours` of retries: given up. */
int webhook_expired(int64_t first_at, int64_t next_at, unsigned retry_hours);

/** Kannel's dlr type of a status: 1 delivered; 2 undelivered, expired,
    failed, cancelled; 4 queued, scheduled; 8 accepted, sent; 16 rejected;
    0 (no dlr) for the others (sending, unknown). */
unsigned webhook_kannel_type(const char *status);

/** A callback_url "kannel:MASK:URL": 1 with *mask and *url (pointing into
    cb), 0 when cb is not of that form. */
int webhook_kannel_parse(const char *cb, unsigned *mask, const char **url);

/** The dlr-url `tmpl` with Kannel's escape codes substituted for event
    `e` (smsmux.h lists them), each value URL-encoded; an unknown code is
    left as written.  malloc'd, NULL on out of memory. */
char *webhook_kannel_url(const char *tmpl, const webhook_event *e);

/** A provider's "when" as Unix seconds: "YYYY-MM-DD HH:MM[:SS]" ('T'
    may replace the space; with a final Z it is UTC, else local time as
    --at), "DDMMYYYY-HHMMSS" (sMsmode's replies, local time), or Unix
    seconds; 0 (now) for anything else or NULL. */
int64_t webhook_provider_time(const char *s);

/** The store's name of a status a provider reported (store_report_apply:
    scheduled as accepted, failed as undelivered), NULL for unknown (says
    nothing). */
const char *webhook_report_status(smsmux_status st);

#endif
