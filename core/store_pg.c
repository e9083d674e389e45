/* store_pg: the store in PostgreSQL, shared by several smsmux nodes (see
 * store.h, store_backend.h).
 *
 * Schema (table schema_version holds 4; migrations[] run in order from
 * the version found, each in the transaction that records it):
 *   messages, recipients, attempts, kv, and (2) events, webhooks,
 *   reports_pending, replies, optouts: the columns of the SQLite store,
 *   plus recipients.lease_until and webhooks.lease_until (Unix seconds of
 *   the database's clock) next to claimed_by: a claim or a `sending` row
 *   belongs to its holder until then.  (3) tenants, api_keys, ledger
 *   (append-only: a trigger refuses UPDATE, DELETE and TRUNCATE), the
 *   charge columns of messages and recipients.  (4) recipients.due (its
 *   message's not_before, 0: now; -1: a direct send's row, never the
 *   queue's) and the index of the recipients a worker may claim (queued,
 *   held by nobody, due >= 0) in (due, message) order: a claim reads the
 *   first one there, whatever the other workers hold and however many
 *   messages are kept; buckets (unlogged), the tenants' token buckets.
 *
 * Events: P_EVENT_ADD takes a transaction-scoped lock on the message
 * before its sequence number, so the events of one message are numbered
 * in commit order (a webhook worker never sees event 2 of a message
 * while event 1 is still uncommitted).  A report and the store_finish
 * that records its provider id take a lock on (provider, id): either the
 * report sees the id, or the finish sees the report kept pending.
 *
 * Balances: every change is one UPDATE ... WHERE balance + d >= 0 (the
 * row lock makes a concurrent one wait, then re-check against the new
 * balance); a transaction touches recipients before the tenant's row, and
 * a transfer the two tenants in name order.  A refund reads its recipient
 * FOR UPDATE, so of two transactions refunding it, the second finds it
 * refunded.
 *
 * Connections: a small pool per handle (a mutex-guarded free list, at
 * most PG_POOL_MAX connections; a caller waits for one when all are
 * busy).  Every statement is prepared once per connection
 * (PQprepare/PQexecPrepared) and takes its values as parameters.  A
 * write is one transaction, committed before the call returns:
 * PostgreSQL's own WAL and fsync (synchronous_commit on) make it durable,
 * and its commit_delay/commit_siblings group concurrent commits.  A
 * transaction that meets a deadlock or a serialization failure is run
 * again (PG_RETRIES times, after a short random pause).
 *
 * Across nodes: (tenant, ref, number) is a unique index, so an idempotency
 * key is taken by one node only (INSERT ... ON CONFLICT DO NOTHING, then
 * the row found is read under FOR UPDATE); a worker claims a message
 * with SELECT ... FOR UPDATE SKIP LOCKED and leases its recipients
 * (claimed_by, lease_until); counters are single INSERT ... ON CONFLICT
 * DO UPDATE statements; store_kv_update holds a transaction-scoped
 * advisory lock on its key.
 *
 * Test hook: SMSMUX_STORE_LEASE=N (seconds, 1-3600; default 120) is the
 * lease of claims and `sending` rows. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "store_backend.h"

#include <libpq-fe.h>

#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define PG_SCHEMA_VERSION 4
#define PG_POOL_MAX 8
#define PG_RETRIES 10
#define PG_LEASE_DEFAULT 120
/* any constant: the transaction-scoped lock that serialises setups */
#define PG_SETUP_LOCK "7303427801"
/* the first key of the transaction-scoped locks of a message's events and
   of a (provider, provider id) */
#define PG_EVENT_LOCK "7303"
#define PG_ID_LOCK "7304"

/* ---------------------------------------------------------------- sql -- */

/* migrations[v - 1] takes a database from version v - 1 to v */
static const char *const migrations[PG_SCHEMA_VERSION] = {
    "CREATE TABLE messages ("
    "  id TEXT COLLATE \"C\" PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  ref TEXT,"
    "  fingerprint TEXT NOT NULL,"
    "  created BIGINT NOT NULL,"
    "  request TEXT,"
    "  not_before BIGINT NOT NULL DEFAULT 0,"
    "  callback_url TEXT,"
    "  encoding TEXT,"
    "  segments INTEGER);"
    "CREATE INDEX messages_by_tenant ON messages(tenant, id);"
    "CREATE INDEX messages_queued ON messages(not_before, id)"
    "  WHERE request IS NOT NULL;"
    "CREATE TABLE recipients ("
    "  message_id TEXT COLLATE \"C\" NOT NULL,"
    "  tenant TEXT NOT NULL,"
    "  ref TEXT,"
    "  number TEXT COLLATE \"C\" NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  provider TEXT,"
    "  provider_id TEXT,"
    "  code TEXT,"
    "  text TEXT,"
    "  created BIGINT NOT NULL,"
    "  updated BIGINT NOT NULL,"
    "  claimed_by TEXT,"
    "  lease_until BIGINT,"
    "  PRIMARY KEY (message_id, number));"
    "CREATE INDEX recipients_queued ON recipients(message_id)"
    "  WHERE state = 'queued';"
    "CREATE INDEX recipients_sending ON recipients(message_id)"
    "  WHERE state = 'sending';"
    "CREATE INDEX recipients_claimed ON recipients(claimed_by)"
    "  WHERE claimed_by IS NOT NULL;"
    "CREATE UNIQUE INDEX recipients_by_ref ON recipients(tenant, ref, number)"
    "  WHERE ref IS NOT NULL;"
    "CREATE INDEX recipients_by_provider_id ON recipients(provider_id)"
    "  WHERE provider_id IS NOT NULL;"
    "CREATE TABLE attempts ("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  message_id TEXT COLLATE \"C\" NOT NULL,"
    "  provider TEXT,"
    "  outcome TEXT NOT NULL,"
    "  class TEXT,"
    "  code TEXT,"
    "  message TEXT,"
    "  at BIGINT NOT NULL);"
    "CREATE INDEX attempts_by_message ON attempts(message_id);"
    "CREATE TABLE kv ("
    "  ns TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT,"
    "  updated BIGINT NOT NULL,"
    "  PRIMARY KEY (ns, key));",
    /* 2 (issue 13): status history, webhook outbox, reports that
       overtook their send, replies, opt-outs, polling */
    "ALTER TABLE recipients ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE recipients ADD COLUMN poll_next BIGINT;"
    "CREATE INDEX recipients_by_number ON recipients(number, created);"
    "CREATE INDEX recipients_polled ON recipients(provider, updated)"
    "  WHERE state IN ('accepted', 'sent');"
    "CREATE TABLE events ("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  message_id TEXT COLLATE \"C\" NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  number TEXT,"
    "  status TEXT,"
    "  provider TEXT,"
    "  provider_id TEXT,"
    "  code TEXT,"
    "  text TEXT,"
    "  at BIGINT NOT NULL);"
    "CREATE INDEX events_by_message ON events(message_id, seq);"
    "CREATE TABLE webhooks ("
    "  seq BIGINT PRIMARY KEY,"
    "  message_id TEXT COLLATE \"C\" NOT NULL,"
    "  next_at BIGINT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  created BIGINT NOT NULL,"
    "  claimed_by TEXT,"
    "  lease_until BIGINT);"
    "CREATE INDEX webhooks_by_message ON webhooks(message_id, seq);"
    "CREATE TABLE reports_pending ("
    "  id BIGSERIAL PRIMARY KEY,"
    "  provider TEXT NOT NULL,"
    "  provider_id TEXT NOT NULL,"
    "  number TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  code TEXT,"
    "  text TEXT,"
    "  at BIGINT NOT NULL,"
    "  created BIGINT NOT NULL,"
    "  UNIQUE (provider, provider_id, number, status));"
    "CREATE TABLE replies ("
    "  id TEXT COLLATE \"C\" PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  provider TEXT NOT NULL,"
    "  reply_id TEXT,"
    "  from_number TEXT NOT NULL,"
    "  to_number TEXT,"
    "  text TEXT NOT NULL,"
    "  message_id TEXT COLLATE \"C\","
    "  at BIGINT NOT NULL,"
    "  created BIGINT NOT NULL);"
    "CREATE UNIQUE INDEX replies_by_reply_id ON replies(provider, reply_id)"
    "  WHERE reply_id IS NOT NULL;"
    "CREATE INDEX replies_by_tenant ON replies(tenant, id);"
    "CREATE INDEX replies_by_message ON replies(message_id)"
    "  WHERE message_id IS NOT NULL;"
    "CREATE TABLE optouts ("
    "  tenant TEXT NOT NULL,"
    "  number TEXT COLLATE \"C\" NOT NULL,"
    "  source TEXT NOT NULL,"
    "  at BIGINT NOT NULL,"
    "  PRIMARY KEY (tenant, number));",
    /* 3: tenants, their API keys (SHA-256 only), the append-only ledger,
       and what a queued message was charged (see store.c's schema_v4) */
    "ALTER TABLE messages ADD COLUMN charge TEXT,"
    "  ADD COLUMN unit_price BIGINT NOT NULL DEFAULT 0,"
    "  ADD COLUMN refund_on TEXT;"
    "ALTER TABLE recipients ADD COLUMN units BIGINT NOT NULL DEFAULT 0,"
    "  ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0;"
    "CREATE INDEX recipients_unrefunded ON recipients(message_id)"
    "  WHERE state = 'failed' AND units > refunded;"
    "CREATE TABLE tenants ("
    "  name TEXT PRIMARY KEY,"
    "  parent TEXT,"
    "  plan TEXT,"
    "  senders TEXT,"
    "  routes TEXT,"
    "  callback_url TEXT,"
    "  webhook_secret TEXT,"
    "  balance BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),"
    "  low_balance BIGINT NOT NULL DEFAULT 0,"
    "  rate DOUBLE PRECISION NOT NULL DEFAULT 0,"
    "  burst BIGINT NOT NULL DEFAULT 0,"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  created BIGINT NOT NULL);"
    "CREATE INDEX tenants_by_parent ON tenants(parent, name);"
    "CREATE TABLE api_keys ("
    "  hash TEXT PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  label TEXT,"
    "  created BIGINT NOT NULL,"
    "  revoked BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX api_keys_by_tenant ON api_keys(tenant);"
    "CREATE TABLE ledger ("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  message_id TEXT,"
    "  delta BIGINT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  at BIGINT NOT NULL,"
    "  actor TEXT);"
    "CREATE INDEX ledger_by_tenant ON ledger(tenant, seq);"
    "CREATE FUNCTION smsmux_ledger_append_only() RETURNS trigger"
    "  LANGUAGE plpgsql AS $$BEGIN"
    "  RAISE EXCEPTION 'the ledger is append-only'; END$$;"
    "CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE OR TRUNCATE"
    "  ON ledger FOR EACH STATEMENT"
    "  EXECUTE FUNCTION smsmux_ledger_append_only();",
    /* 4: what a worker may claim, in the order it claims it.  A claimed
       row leaves recipients_ready (claimed_by set), so a claim no longer
       walks the rows the other workers hold (see P_CLAIM) */
    "ALTER TABLE recipients ADD COLUMN due BIGINT NOT NULL DEFAULT 0;"
    "UPDATE recipients r SET due = CASE WHEN m.request IS NULL THEN -1"
    "  ELSE m.not_before END FROM messages m"
    "  WHERE m.id = r.message_id AND r.state = 'queued'"
    "  AND (m.not_before > 0 OR m.request IS NULL);"
    "CREATE INDEX recipients_ready ON recipients(due, message_id)"
    "  WHERE state = 'queued' AND claimed_by IS NULL AND due >= 0;"
    /* tenants' rate limits, one token bucket each, shared by the nodes;
       unlogged: no WAL, no fsync (after a crash they start full again) */
    "CREATE UNLOGGED TABLE buckets ("
    "  key TEXT PRIMARY KEY,"
    "  tokens DOUBLE PRECISION NOT NULL,"
    "  at DOUBLE PRECISION NOT NULL);",
};

#define NOW_DB "extract(epoch from now())::bigint"
/* a lease (of recipients, or of their alias r) that ran out */
#define LEASE_OVER(r)                                                          \
  "(" r "lease_until IS NULL OR " r "lease_until < " NOW_DB ")"

enum pst {
  P_RCPT_BY_REF,
  P_RCPT_INSERT,
  P_RCPT_RETRY,
  P_MSG_INSERT,
  P_RCPT_SENDING,
  P_RCPT_FINISH,
  P_ATTEMPT_INSERT,
  P_KV_GET,
  P_KV_SET,
  P_KV_ADD,
  P_KV_ADD_REAL,
  P_KV_LOCK,
  P_PRUNE_ATTEMPTS,
  P_PRUNE_RCPTS,
  P_PRUNE_MSGS,
  P_PROVIDER_BY_PID,
  P_PROVIDER_BY_MID,
  P_MESSAGE_BY_PID,
  P_MESSAGE_BY_ID,
  P_CLAIM,
  P_BUCKET_TAKE,
  P_BUCKET_LEVEL,
  P_CLAIM_NEXT_DUE,
  P_UNCLAIM,
  P_HEARTBEAT,
  P_EXPIRE_SENDING,
  P_EXPIRE_CLAIMS,
  P_CANCEL_FIND,
  P_CANCEL,
  P_MSG_READ,
  P_MSG_RCPTS,
  P_MSG_ATTEMPTS,
  P_MSG_IDS,
  P_COUNTS,
  P_EVENT_ADD,
  P_ID_LOCK,
  P_REPORT_FIND,
  P_REPORT_SET,
  P_PENDING_ADD,
  P_PENDING_TAKE,
  P_PRUNE_HOOKS,
  P_PRUNE_EVENTS,
  P_PRUNE_REPLIES,
  P_PRUNE_PENDING,
  P_MSG_EVENTS,
  P_REPLY_BY_ID,
  P_REPLY_BY_PID,
  P_REPLY_LATEST,
  P_REPLY_INSERT,
  P_REPLIES,
  P_OPTOUT_SET,
  P_OPTOUT_CLEAR,
  P_OPTOUT_HAS,
  P_OPTOUTS,
  P_HOOK_PICK,
  P_HOOK_NEXT_DUE,
  P_HOOK_TAKE,
  P_HOOK_DONE,
  P_HOOK_RETRY,
  P_HOOK_BACKLOG,
  P_HOOK_HEARTBEAT,
  P_HOOK_EXPIRE,
  P_POLL_DUE,
  P_POLL_MARK,
  /* tenants (issue 14) */
  P_T_ADD,
  P_T_EXISTS,
  P_T_UPDATE,
  P_T_GET,
  P_T_LIST,
  P_K_ADD,
  P_K_REVOKE,
  P_K_LOOKUP,
  P_K_LIST,
  P_BAL_ADD,
  P_BAL_CREDIT,
  P_LEDGER_ROW,
  P_L_LIST,
  P_L_CHECK,
  P_USAGE,
  P_MSG_CHARGE,
  P_RCPT_UNITS,
  P_REFUND_FIND,
  P_REFUND_MARK,
  P_REFUND_NUMS,
  P_REFUND_LEFTOVERS,
  P_COUNT
};

static const char *const pst_sql[P_COUNT] = {
    [P_RCPT_BY_REF] = "SELECT r.message_id, r.fingerprint, r.state, "
                      "r.provider, r.provider_id, m.request IS NOT NULL "
                      "FROM recipients r LEFT JOIN messages m ON m.id = "
                      "r.message_id WHERE r.tenant = $1 AND r.ref = $2 AND "
                      "r.number = $3 FOR UPDATE OF r",
    /* $9: the lease holder of a `sending` row, $10: the lease */
    [P_RCPT_INSERT] = "INSERT INTO recipients (message_id, tenant, ref, "
                      "number, fingerprint, state, provider, created, "
                      "updated, claimed_by, lease_until, due) VALUES ($1, "
                      "$2, $3, $4, $5, $6, $7, $8::bigint, $8::bigint, $9, "
                      "CASE WHEN $9::text IS NULL THEN NULL ELSE " NOW_DB
                      " + $10::bigint END, $11::bigint) ON CONFLICT DO "
                      "NOTHING RETURNING 1",
    [P_RCPT_RETRY] = "UPDATE recipients SET message_id = $1, state = $6, "
                     "fingerprint = $5, provider = $7, provider_id = NULL, "
                     "code = NULL, text = NULL, updated = $8::bigint, "
                     "claimed_by = $9, lease_until = CASE WHEN $9::text IS "
                     "NULL THEN NULL ELSE " NOW_DB " + $10::bigint END, "
                     "due = $11::bigint "
                     "WHERE tenant = $2 AND ref = $3 AND number = $4",
    [P_MSG_INSERT] = "INSERT INTO messages (id, tenant, ref, fingerprint, "
                     "created, request, not_before, callback_url, encoding, "
                     "segments) VALUES ($1, $2, $3, $4, $5::bigint, $6, "
                     "$7::bigint, $8, $9, $10::integer) ON CONFLICT (id) DO "
                     "NOTHING",
    /* a queue worker ($7, its token) marks only rows its claim still
       holds: a claim that ran out and was taken over (or freed) is lost,
       and of two workers the row lock lets one win; a direct send ($7
       NULL) marks rows no worker holds, which become the node's ($5).
       Only a row not settled yet (queued; failed or unknown before a
       failover; sending): never a cancelled or sent one */
    [P_RCPT_SENDING] = "UPDATE recipients SET state = 'sending', provider = "
                       "$3, updated = $4::bigint, claimed_by = "
                       "coalesce($7, claimed_by, $5), lease_until = " NOW_DB
                       " + $6::bigint WHERE message_id = $1 AND number = $2 "
                       "AND state IN ('queued', 'failed', 'unknown', "
                       "'sending') AND CASE WHEN $7::text IS NULL THEN "
                       "claimed_by IS NULL OR claimed_by = $5 ELSE "
                       "claimed_by = $7 END",
    /* with the id recorded, its (provider, id) lock is taken: a report
       kept pending meanwhile is seen by P_PENDING_TAKE after it */
    [P_RCPT_FINISH] = "UPDATE recipients SET state = $3, provider = $4, "
                      "provider_id = $5, code = $6, text = $7, updated = "
                      "$8::bigint WHERE message_id = $1 AND number = $2 "
                      "AND ($9::text IS NULL OR claimed_by = $9) "
                      "RETURNING CASE WHEN $4::text IS NULL OR $5::text IS "
                      "NULL THEN 0 ELSE (SELECT 1 FROM "
                      "pg_advisory_xact_lock(" PG_ID_LOCK ", hashtext("
                      "$4::text || ' ' || $5::text))) END",
    [P_ATTEMPT_INSERT] = "INSERT INTO attempts (message_id, provider, "
                         "outcome, class, code, message, at) VALUES ($1, "
                         "$2, $3, $4, $5, $6, $7::bigint)",
    [P_KV_GET] = "SELECT value, updated FROM kv WHERE ns = $1 AND key = $2",
    [P_KV_SET] = "INSERT INTO kv (ns, key, value, updated) VALUES ($1, $2, "
                 "$3, $4::bigint) ON CONFLICT (ns, key) DO UPDATE SET value "
                 "= excluded.value, updated = excluded.updated",
    /* one statement: two nodes adding at once both count */
    [P_KV_ADD] = "INSERT INTO kv (ns, key, value, updated) VALUES ($1, $2, "
                 "$3::bigint::text, $4::bigint) ON CONFLICT (ns, key) DO "
                 "UPDATE SET value = (coalesce(kv.value::bigint, 0) + "
                 "$3::bigint)::text, updated = excluded.updated RETURNING "
                 "value::bigint - $3::bigint",
    [P_KV_ADD_REAL] = "UPDATE kv SET value = round(value::numeric + "
                      "$3::numeric, 6)::text WHERE ns = $1 AND key = $2",
    [P_KV_LOCK] = "SELECT pg_advisory_xact_lock(hashtext($1::text), "
                  "hashtext($2::text))",
    [P_PRUNE_ATTEMPTS] =
        "DELETE FROM attempts WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < $1::bigint AND NOT EXISTS (SELECT 1 "
        "FROM recipients r WHERE r.message_id = m.id AND r.state IN "
        "('queued', 'sending')))",
    [P_PRUNE_RCPTS] =
        "DELETE FROM recipients WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < $1::bigint) AND state NOT IN "
        "('queued', 'sending')",
    [P_PRUNE_MSGS] = "DELETE FROM messages WHERE created < $1::bigint AND "
                     "NOT EXISTS (SELECT 1 FROM recipients r WHERE "
                     "r.message_id = messages.id)",
    [P_PROVIDER_BY_PID] = "SELECT provider FROM recipients WHERE "
                          "provider_id = $1 AND provider IS NOT NULL ORDER "
                          "BY updated DESC LIMIT 1",
    [P_PROVIDER_BY_MID] = "SELECT provider FROM recipients WHERE message_id "
                          "= $1 AND provider IS NOT NULL ORDER BY updated "
                          "DESC LIMIT 1",
    [P_MESSAGE_BY_PID] = "SELECT message_id, tenant FROM recipients WHERE "
                         "provider_id = $1 ORDER BY updated DESC LIMIT 1",
    [P_MESSAGE_BY_ID] = "SELECT id, tenant FROM messages WHERE id = $1",
    /* The claim, one statement (one round trip, its own commit): the
       first recipient a worker may claim (recipients_ready: queued, held
       by nobody, due) and its message, unless another worker is claiming
       that message at this moment (its row locked: skipped); then every
       free recipient of that message, leased to $2.  Held rows are not in
       that index, so the pick does not walk what the other workers hold;
       claims whose lease ran out come back to it when a heartbeat frees
       them (P_EXPIRE_CLAIMS).  No row: nothing is due; else one row, the
       numbers leased joined by commas (E.164: no comma in them), NULL
       when another worker leased them between this statement's snapshot
       and the lock (look again) */
    [P_CLAIM] =
        "WITH p AS (SELECT m.id, m.tenant, m.ref, m.request, m.callback_url "
        "FROM recipients r JOIN messages m ON m.id = r.message_id WHERE "
        "r.state = 'queued' AND r.claimed_by IS NULL AND r.due >= 0 AND "
        "r.due <= $1::bigint AND m.request IS NOT NULL ORDER BY r.due, "
        "r.message_id LIMIT 1 FOR UPDATE OF m SKIP LOCKED), t AS (UPDATE "
        "recipients SET claimed_by = $2, lease_until = " NOW_DB " + "
        "$3::bigint, updated = $1::bigint WHERE message_id = (SELECT id "
        "FROM p) AND state = 'queued' AND (claimed_by IS NULL OR "
        LEASE_OVER("") ") RETURNING number) SELECT p.id, p.tenant, p.ref, "
        "p.request, p.callback_url, (SELECT string_agg(t.number, ',' ORDER "
        "BY t.number) FROM t) FROM p",
    /* a token of bucket $1 (rate $2 a second, size $3), refilled and
       taken under its row lock by the database's clock: a row returned
       when one was there (a refusal changes nothing) */
    [P_BUCKET_TAKE] =
        "INSERT INTO buckets AS b (key, tokens, at) VALUES ($1, $3::float8 "
        "- 1, extract(epoch from clock_timestamp())) ON CONFLICT (key) DO "
        "UPDATE SET tokens = least($3::float8, b.tokens + greatest(0, "
        "excluded.at - b.at) * $2::float8) - 1, at = excluded.at WHERE "
        "least($3::float8, b.tokens + greatest(0, excluded.at - b.at) * "
        "$2::float8) + 1e-9 >= 1 RETURNING tokens",
    [P_BUCKET_LEVEL] = "SELECT least($3::float8, tokens + greatest(0, "
                       "extract(epoch from clock_timestamp()) - at) * "
                       "$2::float8) FROM buckets WHERE key = $1",
    [P_CLAIM_NEXT_DUE] = "SELECT min(due) FROM recipients WHERE state = "
                         "'queued' AND claimed_by IS NULL AND due > "
                         "$1::bigint",
    [P_UNCLAIM] = "UPDATE recipients SET claimed_by = NULL, lease_until = "
                  "NULL WHERE claimed_by = $1 AND state = 'queued'",
    /* $1: one token, or several joined by commas */
    [P_HEARTBEAT] = "UPDATE recipients SET lease_until = " NOW_DB
                    " + $2::bigint WHERE claimed_by = ANY(string_to_array("
                    "$1, ',')) AND state IN ('queued', 'sending')",
    [P_EXPIRE_SENDING] =
        "UPDATE recipients SET state = 'unknown', code = "
        "'interrupted', text = 'the request may have left "
        "when smsmux stopped: not sent again', updated = "
        "$1::bigint WHERE state = 'sending' AND " LEASE_OVER("")
        " RETURNING message_id, number, provider, provider_id",
    [P_EXPIRE_CLAIMS] = "UPDATE recipients SET claimed_by = NULL, "
                        "lease_until = NULL WHERE claimed_by IS NOT NULL AND "
                        "state = 'queued' AND " LEASE_OVER(""),
    [P_CANCEL_FIND] = "SELECT 1 FROM messages WHERE id = $1 AND tenant = $2",
    [P_CANCEL] = "UPDATE recipients SET state = 'cancelled', code = "
                 "'cancelled', text = 'cancelled before it was sent', "
                 "updated = $2::bigint, claimed_by = NULL, lease_until = "
                 "NULL WHERE message_id = $1 AND state = 'queued' AND "
                 "(claimed_by IS NULL OR " LEASE_OVER("") ") "
                 "RETURNING message_id, number, provider, provider_id",
    [P_MSG_READ] = "SELECT id, tenant, ref, encoding, callback_url, request, "
                   "created, not_before, segments FROM messages WHERE id = "
                   "$1 AND tenant = $2",
    [P_MSG_RCPTS] = "SELECT number, state, provider, provider_id, code, "
                    "text, updated FROM recipients WHERE message_id = $1 "
                    "ORDER BY number",
    [P_MSG_ATTEMPTS] = "SELECT provider, outcome, class, code, message, at "
                       "FROM attempts WHERE message_id = $1 ORDER BY seq",
    [P_MSG_IDS] = "SELECT id FROM messages m WHERE tenant = $1 AND created "
                  ">= $2::bigint AND ($3::text IS NULL OR id < $3) AND "
                  "($4::text IS NULL OR EXISTS (SELECT 1 FROM recipients r "
                  "WHERE r.message_id = m.id AND r.state = $4)) ORDER BY id "
                  "DESC LIMIT $5::bigint",
    [P_COUNTS] = "SELECT state, count(*) FROM recipients WHERE state IN "
                 "('queued', 'sending') GROUP BY state",
    /* An event of message $1 and, when the message has a callback_url
       ($11: 1 yes, 0 no, -1 look it up), its webhook.  The message's lock
       first, held to the commit: the events of one message get their seq
       in commit order (webhooks leave in that order). */
    [P_EVENT_ADD] =
        "WITH l AS (SELECT 1 AS one FROM pg_advisory_xact_lock(" PG_EVENT_LOCK
        ", hashtext($1::text))), e AS (INSERT INTO events (message_id, "
        "kind, number, status, provider, provider_id, code, text, at) "
        "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::bigint FROM l "
        "RETURNING seq) INSERT INTO webhooks (seq, message_id, next_at, "
        "created) SELECT e.seq, $1, $10::bigint, $10::bigint FROM e WHERE "
        "$11::int = 1 OR ($11::int < 0 AND EXISTS (SELECT 1 FROM messages "
        "m WHERE m.id = $1 AND m.callback_url IS NOT NULL))",
    /* (provider, provider id): a report and the finish that records the
       id follow one another (the report kept pending is seen by it, or
       the report sees the id) */
    [P_ID_LOCK] = "SELECT 1 FROM pg_advisory_xact_lock(" PG_ID_LOCK
                  ", hashtext($1::text || ' ' || $2::text))",
    [P_REPORT_FIND] = "SELECT message_id, number, state FROM recipients "
                      "WHERE provider_id = $2 AND provider = $1 AND "
                      "($3::text IS NULL OR number = $3) ORDER BY "
                      "message_id, number FOR UPDATE",
    [P_REPORT_SET] = "UPDATE recipients SET state = $3, code = $4, text = "
                     "$5, updated = $6::bigint WHERE message_id = $1 AND "
                     "number = $2",
    [P_PENDING_ADD] = "INSERT INTO reports_pending (provider, provider_id, "
                      "number, status, code, text, at, created) VALUES ($1, "
                      "$2, $3, $4, $5, $6, $7::bigint, $8::bigint) ON "
                      "CONFLICT DO NOTHING",
    [P_PENDING_TAKE] = "DELETE FROM reports_pending WHERE provider = $1 AND "
                       "provider_id = $2 RETURNING id, provider, "
                       "provider_id, number, status, code, text, at, "
                       "created",
    [P_PRUNE_HOOKS] =
        "DELETE FROM webhooks WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < $1::bigint AND NOT EXISTS (SELECT 1 "
        "FROM recipients r WHERE r.message_id = m.id AND r.state IN "
        "('queued', 'sending')))",
    [P_PRUNE_EVENTS] =
        "DELETE FROM events WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < $1::bigint AND NOT EXISTS (SELECT 1 "
        "FROM recipients r WHERE r.message_id = m.id AND r.state IN "
        "('queued', 'sending')))",
    [P_PRUNE_REPLIES] =
        "DELETE FROM replies WHERE message_id IN (SELECT m.id FROM "
        "messages m WHERE m.created < $1::bigint AND NOT EXISTS (SELECT 1 "
        "FROM recipients r WHERE r.message_id = m.id AND r.state IN "
        "('queued', 'sending'))) OR (message_id IS NULL AND created < "
        "$1::bigint)",
    [P_PRUNE_PENDING] = "DELETE FROM reports_pending WHERE created < "
                        "$1::bigint",
    [P_MSG_EVENTS] = "SELECT seq, kind, number, status, provider, "
                     "provider_id, code, text, at FROM events WHERE "
                     "message_id = $1 ORDER BY seq",
    [P_REPLY_BY_ID] = "SELECT tenant, message_id FROM replies WHERE "
                      "provider = $1 AND reply_id = $2",
    [P_REPLY_BY_PID] = "SELECT message_id, tenant FROM recipients WHERE "
                       "provider_id = $2 AND provider = $1 AND number = $3 "
                       "ORDER BY created DESC, message_id DESC LIMIT 1",
    [P_REPLY_LATEST] = "SELECT message_id, tenant FROM recipients WHERE "
                       "number = $2 AND provider = $1 AND created >= "
                       "$3::bigint AND state NOT IN ('queued', 'failed', "
                       "'cancelled') ORDER BY created DESC, message_id "
                       "DESC LIMIT 1",
    [P_REPLY_INSERT] = "INSERT INTO replies (id, tenant, provider, "
                       "reply_id, from_number, to_number, text, "
                       "message_id, at, created) VALUES ($1, $2, $3, $4, "
                       "$5, $6, $7, $8, $9::bigint, $10::bigint) ON "
                       "CONFLICT DO NOTHING RETURNING 1",
    [P_REPLIES] = "SELECT id, provider, reply_id, from_number, to_number, "
                  "text, message_id, at FROM replies WHERE tenant = $1 AND "
                  "($2::text IS NULL OR id < $2) AND at >= $3::bigint "
                  "ORDER BY id DESC LIMIT $4::bigint",
    [P_OPTOUT_SET] = "INSERT INTO optouts (tenant, number, source, at) "
                     "VALUES ($1, $2, $3, $4::bigint) ON CONFLICT DO "
                     "NOTHING",
    [P_OPTOUT_CLEAR] = "DELETE FROM optouts WHERE tenant = $1 AND number "
                       "= $2",
    [P_OPTOUT_HAS] = "SELECT 1 FROM optouts WHERE tenant = $1 AND number "
                     "= $2",
    [P_OPTOUTS] = "SELECT number, source, at FROM optouts WHERE tenant = "
                  "$1 AND ($2::text IS NULL OR number > $2) ORDER BY "
                  "number LIMIT $3::bigint",
    /* the oldest due event that is the first pending one of its message
       and that nobody holds (a row another node is claiming: skipped) */
    [P_HOOK_PICK] = "SELECT w.seq FROM webhooks w WHERE (w.claimed_by IS "
                    "NULL OR " LEASE_OVER("w.") ") AND w.next_at <= "
                    "$1::bigint AND NOT EXISTS (SELECT 1 FROM webhooks p "
                    "WHERE p.message_id = w.message_id AND p.seq < w.seq) "
                    "ORDER BY w.seq LIMIT 1 FOR UPDATE OF w SKIP LOCKED",
    [P_HOOK_NEXT_DUE] = "SELECT min(w.next_at) FROM webhooks w WHERE "
                        "(w.claimed_by IS NULL OR " LEASE_OVER("w.") ") "
                        "AND NOT EXISTS (SELECT 1 FROM webhooks p WHERE "
                        "p.message_id = w.message_id AND p.seq < w.seq)",
    [P_HOOK_TAKE] =
        "UPDATE webhooks w SET claimed_by = $2, lease_until = " NOW_DB
        " + $3::bigint FROM events e WHERE w.seq = $1::bigint AND e.seq = "
        "w.seq RETURNING w.seq, w.message_id, w.attempts, w.created, "
        "(SELECT m.tenant FROM messages m WHERE m.id = w.message_id), "
        "(SELECT m.callback_url FROM messages m WHERE m.id = "
        "w.message_id), e.kind, e.number, e.status, e.provider, "
        "e.provider_id, e.code, e.text, e.at",
    [P_HOOK_DONE] = "DELETE FROM webhooks WHERE seq = $1::bigint",
    [P_HOOK_RETRY] = "UPDATE webhooks SET attempts = attempts + 1, next_at "
                     "= $2::bigint, claimed_by = NULL, lease_until = NULL "
                     "WHERE seq = $1::bigint",
    [P_HOOK_BACKLOG] = "SELECT count(*) FROM webhooks",
    [P_HOOK_HEARTBEAT] = "UPDATE webhooks SET lease_until = " NOW_DB
                         " + $2::bigint WHERE claimed_by = "
                         "ANY(string_to_array($1, ','))",
    [P_HOOK_EXPIRE] = "UPDATE webhooks SET claimed_by = NULL, lease_until "
                      "= NULL WHERE claimed_by IS NOT NULL AND "
                      LEASE_OVER(""),
    [P_POLL_DUE] = "SELECT message_id, number, provider, provider_id, "
                   "polls, updated FROM recipients WHERE provider = $1 AND "
                   "state IN ('accepted', 'sent') AND provider_id IS NOT "
                   "NULL AND updated >= $2::bigint AND (poll_next IS NULL "
                   "OR poll_next <= $3::bigint) ORDER BY updated, "
                   "message_id, number LIMIT $4::bigint",
    [P_POLL_MARK] = "UPDATE recipients SET polls = polls + 1, poll_next = "
                    "$3::bigint WHERE message_id = $1 AND number = $2",
#define TENANT_COLS                                                            \
  "name, parent, plan, senders, routes, callback_url, webhook_secret, "       \
  "balance, low_balance, rate, burst, enabled, created"
    [P_T_ADD] = "INSERT INTO tenants (" TENANT_COLS ") VALUES ($1, "
                "NULLIF($2, ''), NULLIF($3, ''), NULLIF($4, ''), NULLIF($5, "
                "''), NULLIF($6, ''), NULLIF($7, ''), 0, $8::bigint, "
                "$9::float8, $10::bigint, 1, $11::bigint) ON CONFLICT (name) "
                "DO NOTHING RETURNING 1",
    [P_T_EXISTS] = "SELECT 1 FROM tenants WHERE name = $1",
    [P_T_UPDATE] =
        "UPDATE tenants SET plan = CASE WHEN $2::text IS NULL THEN plan ELSE "
        "NULLIF($2, '') END, senders = CASE WHEN $3::text IS NULL THEN "
        "senders ELSE NULLIF($3, '') END, routes = CASE WHEN $4::text IS NULL "
        "THEN routes ELSE NULLIF($4, '') END, callback_url = CASE WHEN "
        "$5::text IS NULL THEN callback_url ELSE NULLIF($5, '') END, "
        "webhook_secret = CASE WHEN $6::text IS NULL THEN webhook_secret ELSE "
        "NULLIF($6, '') END, low_balance = CASE WHEN $7::bigint < 0 THEN "
        "low_balance ELSE $7::bigint END, rate = CASE WHEN $8::float8 < 0 "
        "THEN rate ELSE $8::float8 END, burst = $9::bigint, enabled = CASE "
        "WHEN $10::int < 0 THEN enabled ELSE $10::int END WHERE name = $1",
    [P_T_GET] = "SELECT " TENANT_COLS " FROM tenants WHERE name = $1",
    [P_T_LIST] = "SELECT " TENANT_COLS " FROM tenants WHERE $1::text IS NULL "
                 "OR parent = $1 ORDER BY name",
    [P_K_ADD] = "INSERT INTO api_keys (hash, tenant, label, created, revoked) "
                "VALUES ($1, $2, NULLIF($3, ''), $4::bigint, 0) ON CONFLICT "
                "(hash) DO NOTHING RETURNING 1",
    [P_K_REVOKE] = "UPDATE api_keys SET revoked = $3::bigint WHERE tenant = "
                   "$1 AND revoked = 0 AND (label = $2 OR ($4::int = 1 AND "
                   "substr(hash, 1, length($2)) = lower($2)))",
    [P_K_LOOKUP] = "SELECT k.tenant FROM api_keys k JOIN tenants t ON t.name "
                   "= k.tenant WHERE k.hash = $1 AND k.revoked = 0 AND "
                   "t.enabled = 1",
    [P_K_LIST] = "SELECT substr(hash, 1, 8), label, created, revoked FROM "
                 "api_keys WHERE tenant = $1 ORDER BY created, hash",
    /* the never-below-zero update: one statement (the row lock makes a
       concurrent one wait, then check the new balance) */
    [P_BAL_ADD] = "UPDATE tenants SET balance = balance + $2::bigint WHERE "
                  "name = $1 AND balance + $2::bigint >= 0 AND balance + "
                  "$2::bigint <= $3::bigint RETURNING balance",
    [P_BAL_CREDIT] = "UPDATE tenants SET balance = balance + $2::bigint "
                     "WHERE name = $1",
    [P_LEDGER_ROW] = "INSERT INTO ledger (tenant, message_id, delta, reason, "
                     "at, actor) VALUES ($1, $2, $3::bigint, $4, $5::bigint, "
                     "$6)",
    [P_L_LIST] = "SELECT seq, tenant, message_id, delta, reason, at, actor "
                 "FROM ledger WHERE ($1::text IS NULL OR tenant = $1) AND at "
                 ">= $2::bigint ORDER BY seq DESC LIMIT $3::bigint",
    [P_L_CHECK] = STORE_LEDGER_CHECK_SQL,
    [P_USAGE] = STORE_USAGE_SQL("$1::text", "$2::int", "$3::bigint",
                                "$4::bigint"),
    [P_MSG_CHARGE] = "UPDATE messages SET charge = $2, unit_price = "
                     "$3::bigint, refund_on = $4 WHERE id = $1",
    [P_RCPT_UNITS] = "UPDATE recipients SET units = $2::bigint, refunded = 0 "
                     "WHERE message_id = $1",
    [P_REFUND_FIND] = "SELECT r.units, m.charge, m.refund_on FROM recipients "
                      "r JOIN messages m ON m.id = r.message_id WHERE "
                      "r.message_id = $1 AND r.number = $2 AND r.units > "
                      "r.refunded AND m.charge IS NOT NULL AND ($3::text IS "
                      "NULL OR r.state = $3) FOR UPDATE OF r",
    [P_REFUND_MARK] = "UPDATE recipients SET refunded = units WHERE "
                      "message_id = $1 AND number = $2",
    [P_REFUND_NUMS] = "SELECT number FROM recipients WHERE message_id = $1 "
                      "AND state = $2 AND units > refunded",
    [P_REFUND_LEFTOVERS] = "SELECT DISTINCT message_id FROM recipients WHERE "
                           "state = 'failed' AND units > refunded AND "
                           LEASE_OVER(""),
};

/* ------------------------------------------------------------- handle -- */

typedef struct pconn {
  PGconn *pg;
  unsigned char ready[P_COUNT]; /* prepared on this connection */
  char sqlstate[6];             /* of the last failure */
  struct pconn *next;
} pconn;

typedef struct pg_db {
  store_db base;        /* first: the backend table */
  char *url;            /* as configured (secrets included: never shown) */
  char *shown;          /* redacted, for messages */
  char node[40];        /* lease holder of this handle's direct sends */
  char lease[16];       /* seconds */
  pthread_mutex_t lock; /* pool, commits */
  pthread_cond_t freed;
  pconn *idle;
  size_t n_open;
  unsigned long commits;
} pg_db;


static void now_text(char buf[24]) {
  snprintf(buf, 24, "%lld", (long long)time(NULL));
}

/* What the user can do about a failure, by SQLSTATE class. */
static const char *pg_advice(const char *state) {
  if (!state || !*state)
    return "check that the PostgreSQL server runs and the store URL in "
           "[smsmux] is right";
  if (strncmp(state, "28", 2) == 0)
    return "check the user and password of the store URL in [smsmux]";
  if (strncmp(state, "3D", 2) == 0)
    return "create the database, or fix the store URL in [smsmux]";
  if (strncmp(state, "42501", 5) == 0)
    return "grant the store's user the rights on its database";
  if (strncmp(state, "53", 2) == 0)
    return "the PostgreSQL server is short of resources (disk, memory, "
           "connections)";
  if (strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0)
    return "the connection to PostgreSQL was lost; try again";
  return "see the PostgreSQL message";
}

/* "<what>: <libpq's message, one line>" into err */
static void pg_err(pg_db *db, const char *msg, const char *state, char *err,
                   size_t errlen, const char *what) {
  char line[300];
  size_t n;
  snprintf(line, sizeof line, "%s", msg && *msg ? msg : "unknown error");
  for (n = strlen(line); n && (line[n - 1] == '\n' || line[n - 1] == ' ');)
    line[--n] = '\0';
  for (n = 0; line[n]; n++)
    if (line[n] == '\n')
      line[n] = ' ';
  store_set_err(err, errlen, "store %s: %s: %s; %s", db->shown, what, line,
          pg_advice(state));
}

/* ---------------------------------------------------------------- url -- */

int store_is_url(const char *value) {
  return value && (strncmp(value, "postgresql://", 13) == 0 ||
                   strncmp(value, "postgres://", 11) == 0);
}

char *store_url_redacted(const char *url) {
  size_t n = strlen(url), i, o = 0;
  const char *auth = strstr(url, "://"), *end, *at = NULL, *colon = NULL;
  char *out = malloc(n * 2 + 8); /* "***" never makes it more than twice */
  if (!out)
    return NULL;
  auth = auth ? auth + 3 : url;
  end = auth + strcspn(auth, "/?#");
  for (i = 0; auth + i < end; i++)
    if (auth[i] == '@')
      at = auth + i;
  if (at)
    colon = memchr(auth, ':', (size_t)(at - auth));
  for (i = 0; i < n;) {
    if (colon && url + i == colon + 1) {
      memcpy(out + o, "***", 3);
      o += 3;
      i = (size_t)(at - url);
      continue;
    }
    /* password=... in the query string */
    if (url + i > end && (url[i - 1] == '?' || url[i - 1] == '&') &&
        strncmp(url + i, "password=", 9) == 0) {
      memcpy(out + o, "password=***", 12);
      o += 12;
      i += 9;
      while (i < n && url[i] != '&' && url[i] != '#')
        i++;
      continue;
    }
    out[o++] = url[i++];
  }
  out[o] = '\0';
  return out;
}

/* --------------------------------------------------------------- pool -- */

static int prepare_one(pg_db *db, pconn *c, enum pst id, char *err,
                       size_t errlen) {
  char name[16];
  PGresult *r;
  snprintf(name, sizeof name, "s%d", (int)id);
  r = PQprepare(c->pg, name, pst_sql[id], 0, NULL);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    pg_err(db, PQresultErrorMessage(r), PQresultErrorField(r, PG_DIAG_SQLSTATE),
           err, errlen, "cannot prepare a statement");
    PQclear(r);
    return -1;
  }
  PQclear(r);
  c->ready[id] = 1;
  return 0;
}

static void pconn_free(pconn *c) {
  if (c) {
    PQfinish(c->pg);
    free(c);
  }
}

static pconn *pconn_open(pg_db *db, char *err, size_t errlen) {
  pconn *c = calloc(1, sizeof *c);
  PGresult *r;
  if (!c) {
    store_set_err(err, errlen, "store %s: out of memory", db->shown);
    return NULL;
  }
  c->pg = PQconnectdb(db->url);
  if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
    const char *msg = c->pg ? PQerrorMessage(c->pg) : "out of memory";
    /* no SQLSTATE before a session: the advice from the message */
    pg_err(db, msg,
           strstr(msg, "does not exist") && strstr(msg, "database")   ? "3D000"
           : strstr(msg, "password") || strstr(msg, "authentication") ? "28000"
                                                                      : NULL,
           err, errlen, "cannot connect");
    pconn_free(c);
    return NULL;
  }
  /* a write returns once its commit is on the server's disk */
  r = PQexec(c->pg, "SET synchronous_commit TO on");
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    pg_err(db, PQresultErrorMessage(r), PQresultErrorField(r, PG_DIAG_SQLSTATE),
           err, errlen, "cannot set up the connection");
    PQclear(r);
    pconn_free(c);
    return NULL;
  }
  PQclear(r);
  return c;
}

/* An idle pooled connection has nothing to read: no statement of it is
   under way, and nothing here LISTENs.  A socket that reads as ready is
   the server's goodbye or the end of the stream (the server restarted,
   failed over, or dropped the session): the connection is replaced
   rather than failing the caller's next statement. */
static int pconn_usable(const pconn *c) {
  struct pollfd p;
  if (PQstatus(c->pg) != CONNECTION_OK || (p.fd = PQsocket(c->pg)) < 0)
    return 0;
  p.events = POLLIN;
  p.revents = 0;
  return poll(&p, 1, 0) == 0;
}

/* A connection of the pool (opened when none is idle and fewer than
   PG_POOL_MAX are open; else wait for one). */
static pconn *take(pg_db *db, char *err, size_t errlen) {
  pconn *c;
  pthread_mutex_lock(&db->lock);
  while (!db->idle && db->n_open >= PG_POOL_MAX)
    pthread_cond_wait(&db->freed, &db->lock);
  c = db->idle;
  if (c)
    db->idle = c->next;
  else
    db->n_open++; /* a place for the one opened below */
  pthread_mutex_unlock(&db->lock);
  if (c && pconn_usable(c))
    return c;
  pconn_free(c); /* a broken one: replaced */
  c = pconn_open(db, err, errlen);
  if (!c) {
    pthread_mutex_lock(&db->lock);
    db->n_open--;
    pthread_cond_signal(&db->freed);
    pthread_mutex_unlock(&db->lock);
  }
  return c;
}

static void give(pg_db *db, pconn *c) {
  int broken = PQstatus(c->pg) != CONNECTION_OK ||
               PQtransactionStatus(c->pg) != PQTRANS_IDLE;
  pthread_mutex_lock(&db->lock);
  if (broken)
    db->n_open--;
  else {
    c->next = db->idle;
    db->idle = c;
  }
  pthread_cond_signal(&db->freed);
  pthread_mutex_unlock(&db->lock);
  if (broken)
    pconn_free(c);
}

/* ---------------------------------------------------------- statements -- */

/* Run prepared statement `id` with the n text values that follow (NULL:
   SQL NULL).  The result (command or rows), or NULL with err. */
static PGresult *px(pg_db *db, pconn *c, enum pst id, char *err, size_t errlen,
                    int n, ...) {
  const char *vals[12];
  char name[16];
  PGresult *r;
  ExecStatusType st;
  va_list ap;
  int i;
  if (!c->ready[id] && prepare_one(db, c, id, err, errlen))
    return NULL;
  va_start(ap, n);
  for (i = 0; i < n && i < 12; i++)
    vals[i] = va_arg(ap, const char *);
  va_end(ap);
  snprintf(name, sizeof name, "s%d", (int)id);
  r = PQexecPrepared(c->pg, name, n, vals, NULL, NULL, 0);
  st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    c->sqlstate[0] = '\0';
    return r;
  }
  snprintf(c->sqlstate, sizeof c->sqlstate, "%s",
           r && PQresultErrorField(r, PG_DIAG_SQLSTATE)
               ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
               : "");
  pg_err(db, r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg), c->sqlstate,
         err, errlen, "a statement failed");
  PQclear(r);
  return NULL;
}

/* px for a statement whose rows are not wanted: 0 or -1. */
static int pxc(PGresult *r, long *changed) {
  if (!r)
    return -1;
  if (changed)
    *changed = strtol(PQcmdTuples(r), NULL, 10);
  PQclear(r);
  return 0;
}

/* A fixed command (BEGIN, COMMIT, ROLLBACK): 0 or -1. */
static int plain(pg_db *db, pconn *c, const char *sql, char *err,
                 size_t errlen) {
  PGresult *r = PQexec(c->pg, sql);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) {
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s",
             r && PQresultErrorField(r, PG_DIAG_SQLSTATE)
                 ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
                 : "");
    pg_err(db, r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg), c->sqlstate,
           err, errlen, sql);
  }
  PQclear(r);
  return ok ? 0 : -1;
}

static char *val_dup(const PGresult *r, int row, int col, int *ok) {
  char *p;
  if (PQgetisnull(r, row, col))
    return NULL;
  p = store_dupstr(PQgetvalue(r, row, col));
  if (!p)
    *ok = 0;
  return p;
}

static int64_t val_int(const PGresult *r, int row, int col) {
  return PQgetisnull(r, row, col)
             ? 0
             : (int64_t)strtoll(PQgetvalue(r, row, col), NULL, 10);
}

typedef int (*tx_body)(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen);

/* `body` on one connection of the pool, in one transaction, run again
   after a deadlock or a serialization failure; with `single`, without
   BEGIN/COMMIT: each of its statements is its own transaction (two round
   trips fewer, for a body whose one write is one statement).  0 or -1
   (err). */
static int run_body(pg_db *db, tx_body body, void *arg, char *err,
                    size_t errlen, int single) {
  int attempt;
  for (attempt = 0;; attempt++) {
    pconn *c = take(db, err, errlen);
    int rc, again;
    if (!c)
      return -1;
    rc = single ? 0 : plain(db, c, "BEGIN", err, errlen);
    if (rc == 0)
      rc = body(db, c, arg, err, errlen);
    if (rc == 0 && !single)
      rc = plain(db, c, "COMMIT", err, errlen);
    again = rc && (strcmp(c->sqlstate, "40001") == 0 ||
                   strcmp(c->sqlstate, "40P01") == 0);
    if (rc && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
      (void)plain(db, c, "ROLLBACK", NULL, 0);
    give(db, c);
    if (rc == 0) {
      pthread_mutex_lock(&db->lock);
      db->commits++;
      pthread_mutex_unlock(&db->lock);
      return 0;
    }
    if (!again || attempt >= PG_RETRIES)
      return -1;
    {
      /* a few milliseconds, different for each caller: the transactions
         that met do not meet again at once */
      uint32_t r = 0;
      struct timespec ts;
      if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint32_t)attempt * 7919u;
      ts.tv_sec = 0;
      ts.tv_nsec = (long)(1 + r % (unsigned)(5 * (attempt + 1))) * 1000000L;
      nanosleep(&ts, NULL);
    }
  }
}

/* One transaction running `body` (run_body). */
static int tx(pg_db *db, tx_body body, void *arg, char *err, size_t errlen) {
  return run_body(db, body, arg, err, errlen, 0);
}


/* A statement outside any transaction on a pooled connection: its result
   or NULL. */
static PGresult *read1(pg_db *db, enum pst id, int n, const char *a,
                       const char *b, const char *c3, const char *d,
                       const char *e) {
  pconn *c = take(db, NULL, 0);
  PGresult *r;
  if (!c)
    return NULL;
  r = px(db, c, id, NULL, 0, n, a, b, c3, d, e);
  give(db, c);
  return r;
}

/* --------------------------------------------------------------- open -- */

static int schema_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  int *created = arg, version = 0, v;
  const char *vals[1];
  char buf[16];
  PGresult *r =
      PQexec(c->pg, "SELECT pg_advisory_xact_lock(" PG_SETUP_LOCK ")");
  if (PQresultStatus(r) != PGRES_TUPLES_OK)
    goto fail;
  PQclear(r);
  r = PQexec(c->pg, "SELECT to_regclass('schema_version') IS NOT NULL, (SELECT "
                    "count(*) FROM pg_catalog.pg_tables WHERE schemaname = "
                    "current_schema())");
  if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
    goto fail;
  if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
    if (strcmp(PQgetvalue(r, 0, 1), "0") != 0) {
      store_set_err(err, errlen,
              "store %s: the database holds tables but no smsmux "
              "schema_version: it is not an smsmux store; use an empty "
              "database for the store",
              db->shown);
      PQclear(r);
      return -1;
    }
    PQclear(r);
    r = PQexec(c->pg, "CREATE TABLE schema_version (version INTEGER NOT "
                      "NULL); INSERT INTO schema_version VALUES (0)");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      goto fail;
    *created = 1;
  } else {
    PQclear(r);
    r = PQexec(c->pg, "SELECT max(version) FROM schema_version");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
      goto fail;
    if (PQgetisnull(r, 0, 0)) {
      store_set_err(err, errlen,
              "store %s: schema_version is empty: the store was damaged; "
              "restore the database from a backup",
              db->shown);
      PQclear(r);
      return -1;
    }
    version = atoi(PQgetvalue(r, 0, 0));
  }
  PQclear(r);
  r = NULL;
  if (version > PG_SCHEMA_VERSION) {
    store_set_err(err, errlen,
            "store %s: the database has schema version %d, newer than this "
            "smsmux knows (%d); upgrade smsmux on this node",
            db->shown, version, PG_SCHEMA_VERSION);
    return -1;
  }
  for (v = version + 1; v <= PG_SCHEMA_VERSION; v++) {
    r = PQexec(c->pg, migrations[v - 1]);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      goto fail;
    PQclear(r);
    snprintf(buf, sizeof buf, "%d", v);
    vals[0] = buf;
    r = PQexecParams(c->pg, "UPDATE schema_version SET version = $1::int", 1,
                     NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
      goto fail;
    PQclear(r);
  }
  return 0;
fail:
  pg_err(db, r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg),
         r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL, err, errlen,
         "cannot set up the store's tables");
  PQclear(r);
  return -1;
}

static void pg_free(pg_db *db) {
  pconn *c;
  while ((c = db->idle)) {
    db->idle = c->next;
    pconn_free(c);
  }
  pthread_mutex_destroy(&db->lock);
  pthread_cond_destroy(&db->freed);
  free(db->url);
  free(db->shown);
  free(db);
}

store_db *store_open_url(const char *url, int *created, char *err,
                         size_t errlen) {
  pg_db *db;
  const char *lease = getenv("SMSMUX_STORE_LEASE");
  long ls = lease ? strtol(lease, NULL, 10) : PG_LEASE_DEFAULT;
  int made = 0;
  if (created)
    *created = 0;
  if (!store_is_url(url)) {
    store_set_err(err, errlen,
            "store: not a postgresql:// URL; set store in [smsmux] to "
            "postgresql://USER@HOST/DATABASE");
    return NULL;
  }
  db = calloc(1, sizeof *db);
  if (!db || !(db->url = store_dupstr(url)) ||
      !(db->shown = store_url_redacted(url))) {
    if (db) {
      free(db->url);
      free(db);
    }
    store_set_err(err, errlen, "store: out of memory");
    return NULL;
  }
  db->base.be = &store_pg_backend;
  store_make_id(db->node);
  db->node[0] = 'n';
  if (ls < 1 || ls > 3600)
    ls = PG_LEASE_DEFAULT;
  snprintf(db->lease, sizeof db->lease, "%ld", ls);
  pthread_mutex_init(&db->lock, NULL);
  pthread_cond_init(&db->freed, NULL);
  if (tx(db, schema_body, &made, err, errlen)) {
    pg_free(db);
    return NULL;
  }
  if (created)
    *created = made;
  return &db->base;
}

static void pg_close(store_db *db_) {
  pg_db *db = (pg_db *)db_;
  pg_free(db);
}

static int pg_flush(store_db *db, char *err, size_t errlen) {
  (void)db; /* every write was committed before it returned */
  (void)err;
  (void)errlen;
  return 0;
}

static unsigned long pg_commits(store_db *db_) {
  pg_db *db = (pg_db *)db_;
  unsigned long n;
  pthread_mutex_lock(&db->lock);
  n = db->commits;
  pthread_mutex_unlock(&db->lock);
  return n;
}

/* ------------------------------------------------------------- events -- */

/* An event of message `mid` (P_EVENT_ADD; hook 1: the message has a
   callback_url, 0: none, -1: look it up), inside the caller's
   transaction. */
typedef struct pev {
  const char *mid, *kind, *number, *status, *provider, *provider_id, *code,
      *text;
  int64_t at;
  int hook;
} pev;

static int event_add(pg_db *db, pconn *c, const pev *e, char *err,
                     size_t errlen) {
  char at[24], now[24], hook[8];
  now_text(now);
  if (e->at)
    snprintf(at, sizeof at, "%lld", (long long)e->at);
  else
    snprintf(at, sizeof at, "%s", now);
  snprintf(hook, sizeof hook, "%d", e->hook);
  return pxc(px(db, c, P_EVENT_ADD, err, errlen, 11, e->mid, e->kind,
                e->number, e->status, e->provider, e->provider_id, e->code,
                e->text, at, now, hook),
             NULL);
}

/* An event `status` (code, text) for each row (message_id, number,
   provider, provider_id) of `r` (cleared). */
static int events_of_result(pg_db *db, pconn *c, PGresult *r,
                            const char *status, const char *code,
                            const char *text, char *err, size_t errlen) {
  int i, n = PQntuples(r);
  for (i = 0; i < n; i++) {
    pev e = {PQgetvalue(r, i, 0),
             "status",
             PQgetvalue(r, i, 1),
             status,
             PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2),
             PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3),
             code,
             text,
             0,
             -1};
    if (event_add(db, c, &e, err, errlen)) {
      PQclear(r);
      return -1;
    }
  }
  PQclear(r);
  return 0;
}

/* ------------------------------------------------------------ reserve -- */

typedef struct reserve_arg {
  store_msg *m;
  store_rcpt *rows;
  size_t n;
  const char *provider;
  const store_queue_info *q;
  int short_of_units; /* out: the charge tenant's balance is short */
} reserve_arg;

/* Tenants' charges and refunds (below, with the tenants). */
static int charge_put(pg_db *db, pconn *c, reserve_arg *a, size_t taken,
                      char *err, size_t errlen);
static int refund_recipient(pg_db *db, pconn *c, const char *mid,
                            const char *number, const char *state,
                            const char *status, int64_t *units, char *err,
                            size_t errlen);
static int refund_message(pg_db *db, pconn *c, const char *mid,
                          const char *state, int64_t *units, char *err,
                          size_t errlen);
static int refund_leftovers(pg_db *db, pconn *c, char *err, size_t errlen);
static int refund_finished(pg_db *db, pconn *c, const char *mid,
                           const store_outcome *o, char *err, size_t errlen);

/* The row of (tenant, ref, number), locked: r->claim and what it holds;
 *found 0 when there is none. */
static int lookup(pg_db *db, pconn *c, const reserve_arg *a, store_rcpt *r,
                  const char *tenant, int *found, char *err, size_t errlen) {
  PGresult *res =
      px(db, c, P_RCPT_BY_REF, err, errlen, 3, tenant, a->m->ref, r->number);
  int ok = 1;
  store_rcpt_clear(r);
  r->claim = STORE_CLAIM_NEW;
  *found = 0;
  if (!res)
    return -1;
  if (PQntuples(res) > 0) {
    *found = 1;
    r->message_id = val_dup(res, 0, 0, &ok);
    r->state = val_dup(res, 0, 2, &ok);
    r->provider = val_dup(res, 0, 3, &ok);
    r->provider_id = val_dup(res, 0, 4, &ok);
    r->claim =
        store_claim_of(r->state ? r->state : "",
                       strcmp(PQgetvalue(res, 0, 1), a->m->fingerprint) == 0,
                       strcmp(PQgetvalue(res, 0, 5), "t") == 0);
  }
  PQclear(res);
  if (!ok) {
    store_set_err(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

static int reserve_body(pg_db *db, pconn *c, void *arg, char *err,
                        size_t errlen) {
  reserve_arg *a = arg;
  const char *tenant = a->m->tenant ? a->m->tenant : "";
  char now[24], due[24]; /* due: the message's not_before, 0: now */
  size_t i, taken = 0;
  int found;
  now_text(now);
  /* a direct send's rows are never the queue's (-1: not in
     recipients_ready), even when some wait `queued` for a later chunk */
  snprintf(due, sizeof due, "%lld",
           a->q ? (long long)a->q->not_before : -1LL);
  if (a->q && a->m->ref) {
    /* the queue takes all or nothing: a conflict refuses the message */
    for (i = 0; i < a->n; i++) {
      if (lookup(db, c, a, &a->rows[i], tenant, &found, err, errlen))
        return -1;
      if (a->rows[i].claim == STORE_CLAIM_CONFLICT)
        return 0;
    }
  }
  for (i = 0; i < a->n; i++) {
    store_rcpt *r = &a->rows[i];
    const char *state = r->sending ? "sending" : "queued";
    const char *prov = r->sending ? a->provider : NULL;
    const char *holder = r->sending ? db->node : NULL;
    pev ev = {a->m->id, "status", r->number, state, prov, NULL, NULL, NULL,
              0, a->q && a->q->callback_url ? 1 : 0};
    PGresult *res;
    store_rcpt_clear(r);
    r->claim = STORE_CLAIM_NEW;
    found = 0;
    if (a->m->ref && lookup(db, c, a, r, tenant, &found, err, errlen))
      return -1;
    if (!found) {
      res = px(db, c, P_RCPT_INSERT, err, errlen, 11, a->m->id, tenant,
               a->m->ref, r->number, a->m->fingerprint, state, prov, now,
               holder, db->lease, due);
      if (!res)
        return -1;
      found = PQntuples(res) == 0; /* another node took it meanwhile */
      PQclear(res);
      if (found) {
        if (!a->m->ref) {
          store_set_err(err, errlen, "store %s: recipient %s listed twice", db->shown,
                  r->number);
          return -1;
        }
        /* its row is committed now (ON CONFLICT waited for it) */
        if (lookup(db, c, a, r, tenant, &found, err, errlen))
          return -1;
        if (r->claim != STORE_CLAIM_RETRY)
          continue;
      } else {
        if (event_add(db, c, &ev, err, errlen))
          return -1;
        taken++;
        continue;
      }
    }
    if (r->claim != STORE_CLAIM_RETRY)
      continue;
    /* its earlier charge, if still held */
    if (refund_recipient(db, c, r->message_id, r->number, NULL, NULL, NULL,
                         err, errlen))
      return -1;
    if (pxc(px(db, c, P_RCPT_RETRY, err, errlen, 11, a->m->id, tenant,
               a->m->ref, r->number, a->m->fingerprint, state, prov, now,
               holder, db->lease, due),
            NULL) ||
        event_add(db, c, &ev, err, errlen))
      return -1;
    taken++;
  }
  if (taken) {
    const store_queue_info *q = a->q;
    char seg[24];
    snprintf(seg, sizeof seg, "%u", q ? q->segments : 0u);
    if (pxc(px(db, c, P_MSG_INSERT, err, errlen, 10, a->m->id, tenant,
               a->m->ref, a->m->fingerprint, now, q ? q->request_json : NULL,
               due, q ? q->callback_url : NULL, q ? q->encoding : NULL,
               q ? seg : NULL),
            NULL))
      return -1;
  }
  return charge_put(db, c, a, taken, err, errlen);
}

static int reserve_q(pg_db *db, store_msg *m, store_rcpt *rows, size_t n,
                     const char *provider, const store_queue_info *q, char *err,
                     size_t errlen) {
  reserve_arg a = {m, rows, n, provider, q, 0};
  size_t i;
  if (!m->id[0])
    store_make_id(m->id);
  if (tx(db, reserve_body, &a, err, errlen) == 0)
    return 0;
  for (i = 0; i < n; i++) /* nothing was recorded */
    store_rcpt_clear(&rows[i]);
  return a.short_of_units ? 2 : -1;
}

static int pg_reserve(store_db *db, store_msg *m, store_rcpt *rows, size_t n,
                      const char *provider, char *err, size_t errlen) {
  return reserve_q((pg_db *)db, m, rows, n, provider, NULL, err, errlen);
}

static int pg_queue_put(store_db *db, store_msg *m, store_rcpt *rows, size_t n,
                        const store_queue_info *q, char *err, size_t errlen) {
  size_t i;
  for (i = 0; i < n; i++)
    rows[i].sending = 0;
  return reserve_q((pg_db *)db, m, rows, n, NULL, q, err, errlen);
}

/* ------------------------------------------------------------ reports -- */

/* Apply report r inside the caller's transaction (whose (provider, id)
   lock is held): 0 applied to one or more recipients, 1 nothing changed,
   2 kept pending (no recipient has that id yet, or one that has it is not
   sent yet: recorded in reports_pending, or back there with `created`, its
   first time there, when it came from there), -1 error. */
static int report_core(pg_db *db, pconn *c, const store_report *r,
                       const char *created, char *err, size_t errlen) {
  PGresult *res = px(db, c, P_REPORT_FIND, err, errlen, 3, r->provider,
                     r->provider_id, r->number);
  char now[24], at[24];
  int i, n, applied = 0, early = 0;
  if (!res)
    return -1;
  now_text(now);
  if (r->at)
    snprintf(at, sizeof at, "%lld", (long long)r->at);
  else
    snprintf(at, sizeof at, "%s", now);
  n = PQntuples(res);
  for (i = 0; i < n; i++) {
    const char *mid = PQgetvalue(res, i, 0), *num = PQgetvalue(res, i, 1),
               *cur = PQgetvalue(res, i, 2);
    pev e = {mid,     "status", num,     r->status, r->provider,
             r->provider_id,    r->code, r->text,   r->at,       -1};
    int rank = store_status_rank(cur);
    if (rank == 0 || rank == 1 || rank == -1) { /* not sent yet */
      early = 1;
      continue;
    }
    if (!store_report_moves(cur, r->status))
      continue;
    if (pxc(px(db, c, P_REPORT_SET, err, errlen, 6, mid, num, r->status,
               r->code, r->text, now),
            NULL) ||
        event_add(db, c, &e, err, errlen) ||
        /* a status the message's plan refunds: given back once */
        refund_recipient(db, c, mid, num, r->status, r->status, NULL, err,
                         errlen)) {
      PQclear(res);
      return -1;
    }
    applied = 1;
  }
  PQclear(res);
  if (n == 0)
    early = 1;
  if (early &&
      pxc(px(db, c, P_PENDING_ADD, err, errlen, 8, r->provider,
             r->provider_id, r->number ? r->number : "", r->status, r->code,
             r->text, at, created ? created : now),
          NULL))
    return -1;
  return applied ? 0 : early ? 2 : 1;
}

/* The pending reports of (provider, provider_id), applied now that a send
   recorded that id (its lock is held: P_RCPT_FINISH); those still early
   go back. */
static int pending_apply(pg_db *db, pconn *c, const char *provider,
                         const char *provider_id, char *err, size_t errlen) {
  PGresult *res = px(db, c, P_PENDING_TAKE, err, errlen, 2, provider,
                     provider_id);
  int i, k, n, pass;
  if (!res)
    return -1;
  n = PQntuples(res);
  /* lowest status first (ranks 2, 3, 4): each step of the way recorded */
  for (pass = 2; pass <= 4; pass++)
    for (i = 0; i < n; i++) {
      const char *num = PQgetvalue(res, i, 3);
      store_report r;
      k = store_status_rank(PQgetvalue(res, i, 4));
      if ((k < 2 ? 2 : k > 4 ? 4 : k) != pass)
        continue;
      r.provider = PQgetvalue(res, i, 1);
      r.provider_id = PQgetvalue(res, i, 2);
      r.number = *num ? num : NULL;
      r.status = PQgetvalue(res, i, 4);
      r.code = PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5);
      r.text = PQgetisnull(res, i, 6) ? NULL : PQgetvalue(res, i, 6);
      r.at = val_int(res, i, 7);
      if (report_core(db, c, &r, PQgetvalue(res, i, 8), err, errlen) < 0) {
        PQclear(res);
        return -1;
      }
    }
  PQclear(res);
  return 0;
}

/* --------------------------------------------------- sending, finish -- */

typedef struct numbers_arg {
  const char *id, *claim, *provider;
  const char *const *numbers;
  size_t n;
  int lost; /* a row not held by a->claim: rolled back, nothing marked */
} numbers_arg;

static int numbers_body(pg_db *db, pconn *c, void *arg, char *err,
                        size_t errlen) {
  numbers_arg *a = arg;
  char now[24];
  size_t i;
  now_text(now);
  for (i = 0; i < a->n; i++) {
    PGresult *r = px(db, c, P_RCPT_SENDING, err, errlen, 7, a->id,
                     a->numbers[i], a->provider, now, db->node, db->lease,
                     a->claim);
    pev e = {a->id, "status", a->numbers[i], "sending", a->provider,
             NULL,  NULL,     NULL,          0,         -1};
    long changed = 0;
    if (pxc(r, &changed))
      return -1;
    if (changed == 0) {
      a->lost = 1;
      store_set_err(err, errlen,
                    "%s of message %s is not held by this worker's claim "
                    "(it ran out, another worker may have it)",
                    a->numbers[i], a->id);
      return -1;
    }
    if (event_add(db, c, &e, err, errlen))
      return -1;
  }
  return 0;
}

static int pg_mark_sending(store_db *db, const char *id, const char *claim,
                           const char *const *numbers, size_t n,
                           const char *provider, char *err, size_t errlen) {
  numbers_arg a = {id, claim, provider, numbers, n, 0};
  int rc = tx((pg_db *)db, numbers_body, &a, err, errlen);
  return rc && a.lost ? 1 : rc;
}

typedef struct finish_arg {
  const char *id, *claim;
  const store_outcome *o;
  size_t n_o;
  const store_attempt *a;
  size_t n_a;
} finish_arg;

static int finish_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  finish_arg *f = arg;
  char now[24];
  size_t i;
  now_text(now);
  for (i = 0; i < f->n_o; i++) {
    const store_outcome *o = &f->o[i];
    pev e = {f->id,          "status", o->number, o->state, o->provider,
             o->provider_id, o->code,  o->text,   0,        -1};
    long changed = 0;
    if (pxc(px(db, c, P_RCPT_FINISH, err, errlen, 9, f->id, o->number, o->state,
               o->provider, o->provider_id, o->code, o->text, now, f->claim),
            &changed))
      return -1;
    if (changed == 0 && f->claim)
      continue; /* not this claim's any more: another worker's row */
    if ((changed > 0 && event_add(db, c, &e, err, errlen)) ||
        refund_finished(db, c, f->id, o, err, errlen))
      return -1;
  }
  /* reports that came before this answer: applied now */
  for (i = 0; i < f->n_o; i++) {
    const store_outcome *o = &f->o[i];
    size_t k;
    if (!o->provider || !o->provider_id)
      continue;
    for (k = 0; k < i; k++) /* each (provider, id) once */
      if (f->o[k].provider && f->o[k].provider_id &&
          strcmp(f->o[k].provider, o->provider) == 0 &&
          strcmp(f->o[k].provider_id, o->provider_id) == 0)
        break;
    if (k == i &&
        pending_apply(db, c, o->provider, o->provider_id, err, errlen))
      return -1;
  }
  for (i = 0; i < f->n_a; i++) {
    const store_attempt *a = &f->a[i];
    if (pxc(px(db, c, P_ATTEMPT_INSERT, err, errlen, 7, f->id, a->provider,
               a->outcome, a->cls, a->code, a->message, now),
            NULL))
      return -1;
  }
  return 0;
}

/* Written at once (store.h allows it: the caller does not wait for more
   than PostgreSQL's commit). */
static int pg_finish(store_db *db, const char *id, const char *claim,
                     const store_outcome *o, size_t n_o,
                     const store_attempt *a, size_t n_a) {
  finish_arg f = {id, claim, o, n_o, a, n_a};
  char err[512] = "";
  if (tx((pg_db *)db, finish_body, &f, err, sizeof err) == 0)
    return 0;
  fprintf(stderr, "smsmux: a store write was lost: %s\n", err);
  return -1;
}

/* --------------------------------------------------------------- prune -- */

typedef struct prune_arg {
  char before[24];
  long removed;
} prune_arg;

static int prune_body(pg_db *db, pconn *c, void *arg, char *err,
                      size_t errlen) {
  prune_arg *a = arg;
  char old[24];
  snprintf(old, sizeof old, "%lld",
           (long long)time(NULL) - (long long)STORE_PENDING_KEEP);
  if (pxc(px(db, c, P_PRUNE_PENDING, err, errlen, 1, old), NULL) ||
      pxc(px(db, c, P_PRUNE_ATTEMPTS, err, errlen, 1, a->before), NULL) ||
      pxc(px(db, c, P_PRUNE_HOOKS, err, errlen, 1, a->before), NULL) ||
      pxc(px(db, c, P_PRUNE_EVENTS, err, errlen, 1, a->before), NULL) ||
      pxc(px(db, c, P_PRUNE_REPLIES, err, errlen, 1, a->before), NULL) ||
      pxc(px(db, c, P_PRUNE_RCPTS, err, errlen, 1, a->before), NULL) ||
      pxc(px(db, c, P_PRUNE_MSGS, err, errlen, 1, a->before), &a->removed))
    return -1;
  return 0;
}

static int pg_prune(store_db *db, int64_t before, long *removed, char *err,
                    size_t errlen) {
  prune_arg a;
  snprintf(a.before, sizeof a.before, "%lld", (long long)before);
  a.removed = 0;
  if (tx((pg_db *)db, prune_body, &a, err, errlen))
    return -1;
  if (removed)
    *removed = a.removed;
  return 0;
}

/* --------------------------------------------------------------- reads -- */

static int pg_provider_of(store_db *db_, const char *id, char **provider) {
  pg_db *db = (pg_db *)db_;
  static const enum pst lookups[] = {P_PROVIDER_BY_PID, P_PROVIDER_BY_MID};
  size_t i;
  *provider = NULL;
  for (i = 0; i < 2; i++) {
    PGresult *r = read1(db, lookups[i], 1, id, NULL, NULL, NULL, NULL);
    int ok = 1;
    if (!r)
      return -1;
    if (PQntuples(r) > 0) {
      *provider = val_dup(r, 0, 0, &ok);
      PQclear(r);
      return ok && *provider ? 0 : -1;
    }
    PQclear(r);
  }
  return 1;
}

static int pg_message_of(store_db *db_, const char *id, char **message_id,
                         char **tenant) {
  pg_db *db = (pg_db *)db_;
  static const enum pst lookups[] = {P_MESSAGE_BY_PID, P_MESSAGE_BY_ID};
  size_t i;
  for (i = 0; i < 2; i++) {
    PGresult *r = read1(db, lookups[i], 1, id, NULL, NULL, NULL, NULL);
    int ok = 1;
    if (!r)
      return -1;
    if (PQntuples(r) > 0) {
      *message_id = val_dup(r, 0, 0, &ok);
      *tenant = val_dup(r, 0, 1, &ok);
      PQclear(r);
      if (ok && *message_id && *tenant)
        return 0;
      free(*message_id);
      free(*tenant);
      *message_id = *tenant = NULL;
      return -1;
    }
    PQclear(r);
  }
  return 1;
}

static int pg_message_read(store_db *db_, const char *tenant, const char *id,
                           store_message *m) {
  pg_db *db = (pg_db *)db_;
  pconn *c = take(db, NULL, 0);
  PGresult *r;
  int ret = -1, ok = 1, i, n;
  memset(m, 0, sizeof *m);
  if (!c)
    return -1;
  r = px(db, c, P_MSG_READ, NULL, 0, 2, id, tenant ? tenant : "");
  if (!r)
    goto out;
  if (PQntuples(r) == 0) {
    PQclear(r);
    ret = 1;
    goto out;
  }
  m->id = val_dup(r, 0, 0, &ok);
  m->tenant = val_dup(r, 0, 1, &ok);
  m->ref = val_dup(r, 0, 2, &ok);
  m->encoding = val_dup(r, 0, 3, &ok);
  m->callback_url = val_dup(r, 0, 4, &ok);
  m->request_json = val_dup(r, 0, 5, &ok);
  m->created = val_int(r, 0, 6);
  m->not_before = val_int(r, 0, 7);
  m->segments = (unsigned)val_int(r, 0, 8);
  PQclear(r);
  if (!ok || !(r = px(db, c, P_MSG_RCPTS, NULL, 0, 1, id)))
    goto out;
  n = PQntuples(r);
  if (n && !(m->rcpts = calloc((size_t)n, sizeof *m->rcpts)))
    ok = 0;
  for (i = 0; ok && i < n; i++) {
    store_rcpt_row *w = &m->rcpts[m->n_rcpts++];
    w->number = val_dup(r, i, 0, &ok);
    w->state = val_dup(r, i, 1, &ok);
    w->provider = val_dup(r, i, 2, &ok);
    w->provider_id = val_dup(r, i, 3, &ok);
    w->code = val_dup(r, i, 4, &ok);
    w->text = val_dup(r, i, 5, &ok);
    w->updated = val_int(r, i, 6);
  }
  PQclear(r);
  if (!ok || !(r = px(db, c, P_MSG_ATTEMPTS, NULL, 0, 1, id)))
    goto out;
  n = PQntuples(r);
  if (n && !(m->attempts = calloc((size_t)n, sizeof *m->attempts)))
    ok = 0;
  for (i = 0; ok && i < n; i++) {
    store_attempt_row *w = &m->attempts[m->n_attempts++];
    w->provider = val_dup(r, i, 0, &ok);
    w->outcome = val_dup(r, i, 1, &ok);
    w->cls = val_dup(r, i, 2, &ok);
    w->code = val_dup(r, i, 3, &ok);
    w->message = val_dup(r, i, 4, &ok);
    w->at = val_int(r, i, 5);
  }
  PQclear(r);
  if (!ok || !(r = px(db, c, P_MSG_EVENTS, NULL, 0, 1, id)))
    goto out;
  n = PQntuples(r);
  if (n && !(m->events = calloc((size_t)n, sizeof *m->events)))
    ok = 0;
  for (i = 0; ok && i < n; i++) {
    store_event_row *w = &m->events[m->n_events++];
    w->seq = val_int(r, i, 0);
    w->kind = val_dup(r, i, 1, &ok);
    w->number = val_dup(r, i, 2, &ok);
    w->status = val_dup(r, i, 3, &ok);
    w->provider = val_dup(r, i, 4, &ok);
    w->provider_id = val_dup(r, i, 5, &ok);
    w->code = val_dup(r, i, 6, &ok);
    w->text = val_dup(r, i, 7, &ok);
    w->at = val_int(r, i, 8);
  }
  PQclear(r);
  ret = ok ? 0 : -1;
out:
  give(db, c);
  if (ret != 0)
    store_message_clear(m);
  return ret;
}

static int pg_message_ids(store_db *db_, const char *tenant, const char *state,
                          int64_t since, const char *cursor, unsigned limit,
                          char ***ids, size_t *n) {
  pg_db *db = (pg_db *)db_;
  char s[24], l[24];
  PGresult *r;
  int i, rows, ok = 1;
  *ids = NULL;
  *n = 0;
  snprintf(s, sizeof s, "%lld", (long long)since);
  snprintf(l, sizeof l, "%u", limit);
  r = read1(db, P_MSG_IDS, 5, tenant ? tenant : "", s, cursor, state, l);
  if (!r)
    return -1;
  rows = PQntuples(r);
  *ids = calloc(rows ? (size_t)rows : 1, sizeof **ids);
  if (!*ids)
    ok = 0;
  for (i = 0; ok && i < rows; i++)
    if (((*ids)[(*n)++] = val_dup(r, i, 0, &ok)) == NULL)
      ok = 0;
  PQclear(r);
  if (!ok) {
    size_t k;
    for (k = 0; *ids && k < *n; k++)
      free((*ids)[k]);
    free(*ids);
    *ids = NULL;
    *n = 0;
    return -1;
  }
  return 0;
}

static int pg_queue_counts(store_db *db_, unsigned long *queued,
                           unsigned long *sending) {
  pg_db *db = (pg_db *)db_;
  PGresult *r = read1(db, P_COUNTS, 0, NULL, NULL, NULL, NULL, NULL);
  int i;
  *queued = *sending = 0;
  if (!r)
    return -1;
  for (i = 0; i < PQntuples(r); i++) {
    unsigned long v = strtoul(PQgetvalue(r, i, 1), NULL, 10);
    if (strcmp(PQgetvalue(r, i, 0), "queued") == 0)
      *queued = v;
    else
      *sending = v;
  }
  PQclear(r);
  return 0;
}

/* ------------------------------------------------------------ buckets -- */

typedef struct bucket_arg {
  const char *key;
  char rate[32], size[32];
  unsigned wait;
} bucket_arg;

/* One statement when a token is there; a second, a read, when not (the
   seconds to wait). */
static int bucket_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  bucket_arg *a = arg;
  PGresult *r = px(db, c, P_BUCKET_TAKE, err, errlen, 3, a->key, a->rate,
                   a->size);
  double level, w;
  if (!r)
    return -1;
  a->wait = PQntuples(r) ? 0 : 1;
  PQclear(r);
  if (!a->wait)
    return 0;
  if (!(r = px(db, c, P_BUCKET_LEVEL, err, errlen, 3, a->key, a->rate,
               a->size)))
    return -1;
  level = PQntuples(r) ? strtod(PQgetvalue(r, 0, 0), NULL) : 0;
  PQclear(r);
  w = ceil((1 - level) / strtod(a->rate, NULL));
  a->wait = w < 1 ? 1 : w > 86400 ? 86400 : (unsigned)w;
  return 0;
}

static int pg_bucket_take(store_db *db, const char *key, double rate,
                          double size, unsigned *wait, char *err,
                          size_t errlen) {
  bucket_arg a;
  memset(&a, 0, sizeof a);
  a.key = key;
  if (rate <= 0) {
    *wait = 0;
    return 0;
  }
  snprintf(a.rate, sizeof a.rate, "%.17g", rate);
  snprintf(a.size, sizeof a.size, "%.17g", size < 1 ? 1 : size);
  if (run_body((pg_db *)db, bucket_body, &a, err, errlen, 1))
    return -1;
  *wait = a.wait;
  return a.wait ? 1 : 0;
}

/* --------------------------------------------------------------- queue -- */

typedef struct claim_arg {
  pg_db *db;
  const char *token;
  char now[24];
  int64_t next_due;
  store_claimed *c;
  int found;
} claim_arg;

/* P_CLAIM, then P_CLAIM_NEXT_DUE when nothing is due: each statement its
   own transaction (run_body single), the claim one round trip. */
static int claim_body(pg_db *db, pconn *c, void *arg, char *err,
                      size_t errlen) {
  claim_arg *a = arg;
  store_claimed *cl = a->c;
  PGresult *r;
  int ok = 1, i, n, tries = 0;
  store_claimed_clear(cl); /* a run again starts afresh */
  a->found = 0;
  a->next_due = 0;
  for (;;) {
    if (!(r = px(db, c, P_CLAIM, err, errlen, 3, a->now, a->token, db->lease)))
      return -1;
    n = PQntuples(r);
    if (n == 0) { /* nothing due now: when is the next held one */
      PQclear(r);
      if (!(r = px(db, c, P_CLAIM_NEXT_DUE, err, errlen, 1, a->now)))
        return -1;
      if (PQntuples(r) > 0)
        a->next_due = val_int(r, 0, 0);
      PQclear(r);
      return 0;
    }
    if (!PQgetisnull(r, 0, 5))
      break;
    /* another worker leased them between the snapshot and the lock */
    PQclear(r);
    if (++tries >= 8)
      return 0;
  }
  snprintf(cl->id, sizeof cl->id, "%s", PQgetvalue(r, 0, 0));
  cl->tenant = val_dup(r, 0, 1, &ok);
  cl->ref = val_dup(r, 0, 2, &ok);
  cl->request_json = val_dup(r, 0, 3, &ok);
  cl->callback_url = val_dup(r, 0, 4, &ok);
  {
    const char *list = PQgetvalue(r, 0, 5), *at = list;
    n = 1;
    for (; *at; at++)
      n += *at == ',';
    if (ok && !(cl->numbers = calloc((size_t)n, sizeof *cl->numbers)))
      ok = 0;
    for (at = list, i = 0; ok && i < n; i++) { /* in number order */
      size_t len = strcspn(at, ",");
      if (!(cl->numbers[cl->n++] = strndup(at, len)))
        ok = 0;
      at += len + (at[len] == ',');
    }
  }
  PQclear(r);
  if (!ok) {
    /* committed already: given back at once (the worker's heartbeat
       would keep it leased), for a claim when memory is back */
    (void)pxc(px(db, c, P_UNCLAIM, NULL, 0, 1, a->token), NULL);
    store_set_err(err, errlen, "out of memory");
    return -1;
  }
  a->found = 1;
  return 0;
}

static int pg_queue_claim(store_db *db_, const char *token, int64_t now,
                          store_claimed *c, int64_t *next_due, char *err,
                          size_t errlen) {
  pg_db *db = (pg_db *)db_;
  claim_arg a;
  memset(&a, 0, sizeof a);
  memset(c, 0, sizeof *c);
  a.db = db;
  a.token = token;
  a.c = c;
  snprintf(a.now, sizeof a.now, "%lld", (long long)now);
  if (run_body(db, claim_body, &a, err, errlen, 1)) {
    store_claimed_clear(c);
    return -1;
  }
  if (next_due)
    *next_due = a.next_due;
  if (!a.found) {
    store_claimed_clear(c);
    return 1;
  }
  return 0;
}

typedef struct token_arg {
  const char *token;
  long changed;
} token_arg;

static int unclaim_body(pg_db *db, pconn *c, void *arg, char *err,
                        size_t errlen) {
  token_arg *a = arg;
  return pxc(px(db, c, P_UNCLAIM, err, errlen, 1, a->token), NULL);
}

static int pg_queue_unclaim(store_db *db, const char *token, char *err,
                            size_t errlen) {
  token_arg a = {token, 0};
  return tx((pg_db *)db, unclaim_body, &a, err, errlen);
}

/* Recipients `sending` whose lease ran out become `unknown` (their node
   stopped with the request possibly gone), and claims that ran out are
   free again. */
static int expire_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  token_arg *a = arg;
  char now[24];
  PGresult *r;
  now_text(now);
  if (!(r = px(db, c, P_EXPIRE_SENDING, err, errlen, 1, now)))
    return -1;
  a->changed = PQntuples(r);
  if (events_of_result(db, c, r, "unknown", "interrupted",
                       "the request may have left when smsmux stopped: not "
                       "sent again",
                       err, errlen) ||
      refund_leftovers(db, c, err, errlen))
    return -1;
  return pxc(px(db, c, P_EXPIRE_CLAIMS, err, errlen, 0), NULL) ||
                 pxc(px(db, c, P_HOOK_EXPIRE, err, errlen, 0), NULL)
             ? -1
             : 0;
}

static int heartbeat_body(pg_db *db, pconn *c, void *arg, char *err,
                          size_t errlen) {
  token_arg *a = arg;
  if (pxc(px(db, c, P_HEARTBEAT, err, errlen, 2, a->token ? a->token : db->node,
             db->lease),
          NULL) ||
      (a->token && pxc(px(db, c, P_HOOK_HEARTBEAT, err, errlen, 2, a->token,
                          db->lease),
                       NULL)))
    return -1;
  return expire_body(db, c, arg, err, errlen);
}

static int pg_queue_heartbeat(store_db *db, const char *token, char *err,
                              size_t errlen) {
  token_arg a = {token, 0};
  return tx((pg_db *)db, heartbeat_body, &a, err, errlen);
}

static int pg_queue_recover(store_db *db, long *unknown, char *err,
                            size_t errlen) {
  token_arg a = {NULL, 0};
  if (tx((pg_db *)db, expire_body, &a, err, errlen))
    return -1;
  if (unknown)
    *unknown = a.changed;
  return 0;
}

typedef struct cancel_arg {
  const char *tenant, *id;
  int result;
} cancel_arg;

static int cancel_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  cancel_arg *a = arg;
  char now[24];
  long changed = 0;
  PGresult *r = px(db, c, P_CANCEL_FIND, err, errlen, 2, a->id, a->tenant);
  if (!r)
    return -1;
  a->result = PQntuples(r) == 0 ? 1 : 0;
  PQclear(r);
  if (a->result)
    return 0;
  now_text(now);
  if (!(r = px(db, c, P_CANCEL, err, errlen, 2, a->id, now)))
    return -1;
  changed = PQntuples(r);
  if (events_of_result(db, c, r, "cancelled", "cancelled",
                       "cancelled before it was sent", err, errlen))
    return -1;
  a->result = changed > 0 ? 0 : 2;
  return refund_message(db, c, a->id, "cancelled", NULL, err, errlen);
}

static int pg_message_cancel(store_db *db, const char *tenant, const char *id,
                             char *err, size_t errlen) {
  cancel_arg a = {tenant ? tenant : "", id, 0};
  if (tx((pg_db *)db, cancel_body, &a, err, errlen))
    return -1;
  return a.result;
}

/* ---------------------------------------------------------- key/value -- */

static int pg_kv_get(store_db *db_, const char *ns, const char *key,
                     char **value, int64_t *updated) {
  pg_db *db = (pg_db *)db_;
  PGresult *r;
  int ok = 1, ret;
  if (value)
    *value = NULL;
  if (updated)
    *updated = 0;
  if (!ns || !key)
    return -1;
  r = read1(db, P_KV_GET, 2, ns, key, NULL, NULL, NULL);
  if (!r)
    return -1;
  if (PQntuples(r) == 0)
    ret = 1;
  else {
    if (value)
      *value = val_dup(r, 0, 0, &ok);
    if (updated)
      *updated = val_int(r, 0, 1);
    ret = ok ? 0 : -1;
  }
  PQclear(r);
  return ret;
}

typedef struct kv_arg {
  const char *ns, *key, *value;
  char num[40];
  int64_t before;
  char *(*fn)(const char *old, void *ud);
  void *ud;
} kv_arg;

static int kv_set_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  kv_arg *a = arg;
  char now[24];
  now_text(now);
  return pxc(px(db, c, P_KV_SET, err, errlen, 4, a->ns, a->key, a->value, now),
             NULL);
}

static int kv_add_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  kv_arg *a = arg;
  char now[24];
  PGresult *r;
  now_text(now);
  r = px(db, c, P_KV_ADD, err, errlen, 4, a->ns, a->key, a->num, now);
  if (!r)
    return -1;
  a->before = PQntuples(r) > 0 ? val_int(r, 0, 0) : 0;
  PQclear(r);
  return 0;
}

static int kv_add_real_body(pg_db *db, pconn *c, void *arg, char *err,
                            size_t errlen) {
  kv_arg *a = arg;
  return pxc(px(db, c, P_KV_ADD_REAL, err, errlen, 3, a->ns, a->key, a->num),
             NULL);
}

static int kv_update_body(pg_db *db, pconn *c, void *arg, char *err,
                          size_t errlen) {
  kv_arg *a = arg;
  char *old = NULL, *val, now[24];
  PGresult *r;
  int ok = 1, rc;
  /* the key's lock, held until the commit: updates of one key by any
     node follow one another (a missing key has no row to lock) */
  if (pxc(px(db, c, P_KV_LOCK, err, errlen, 2, a->ns, a->key), NULL) ||
      !(r = px(db, c, P_KV_GET, err, errlen, 2, a->ns, a->key)))
    return -1;
  if (PQntuples(r) > 0)
    old = val_dup(r, 0, 0, &ok);
  PQclear(r);
  if (!ok)
    return -1;
  val = a->fn(old, a->ud);
  free(old);
  if (!val)
    return 0;
  now_text(now);
  rc = pxc(px(db, c, P_KV_SET, err, errlen, 4, a->ns, a->key, val, now), NULL);
  free(val);
  return rc;
}

static int kv_tx(store_db *db, tx_body body, kv_arg *a) {
  if (!a->ns || !a->key)
    return -1;
  return tx((pg_db *)db, body, a, NULL, 0);
}

static int pg_kv_set(store_db *db, const char *ns, const char *key,
                     const char *value) {
  kv_arg a = {.ns = ns, .key = key, .value = value};
  return kv_tx(db, kv_set_body, &a);
}

static int pg_kv_add(store_db *db, const char *ns, const char *key,
                     int64_t delta, int64_t *before) {
  kv_arg a = {.ns = ns, .key = key};
  int rc;
  snprintf(a.num, sizeof a.num, "%" PRId64, delta);
  rc = kv_tx(db, kv_add_body, &a);
  if (before)
    *before = rc == 0 ? a.before : 0;
  return rc;
}

static int pg_kv_add_real(store_db *db, const char *ns, const char *key,
                          double delta) {
  kv_arg a = {.ns = ns, .key = key};
  snprintf(a.num, sizeof a.num, "%.17g", delta);
  return kv_tx(db, kv_add_real_body, &a);
}

static int pg_kv_update(store_db *db, const char *ns, const char *key,
                        char *(*fn)(const char *old, void *ud), void *ud) {
  kv_arg a = {.ns = ns, .key = key, .fn = fn, .ud = ud};
  return kv_tx(db, kv_update_body, &a);
}

/* ---------------------------------------------- reports and replies -- */

typedef struct report_arg {
  const store_report *r;
  int result;
} report_arg;

static int report_body(pg_db *db, pconn *c, void *arg, char *err,
                       size_t errlen) {
  report_arg *a = arg;
  if (pxc(px(db, c, P_ID_LOCK, err, errlen, 2, a->r->provider,
             a->r->provider_id),
          NULL))
    return -1;
  a->result = report_core(db, c, a->r, NULL, err, errlen);
  return a->result < 0 ? -1 : 0;
}
/* ------------------------------------------------------------ tenants -- */

static void i64_text(char buf[24], int64_t v) {
  snprintf(buf, 24, "%" PRId64, v);
}

/* One ledger row (inside the transaction that changed the balance). */
static int ledger_row(pg_db *db, pconn *c, const char *tenant,
                      const char *mid, int64_t delta, const char *reason,
                      const char *actor, char *err, size_t errlen) {
  char d[24], now[24];
  i64_text(d, delta);
  now_text(now);
  return pxc(px(db, c, P_LEDGER_ROW, err, errlen, 6, tenant, mid, d, reason,
                now, actor),
             NULL);
}

/* balance + delta when the result stays within [0, STORE_BALANCE_MAX]:
   one conditional statement (the row lock makes concurrent ones wait and
   re-check).  0 applied (*balance, may be NULL), 1 not enough (or over
   the ceiling), 2 no such tenant, -1. */
static int balance_add(pg_db *db, pconn *c, const char *tenant, int64_t delta,
                       int64_t *balance, char *err, size_t errlen) {
  char d[24], cap[24];
  PGresult *r;
  int n;
  i64_text(d, delta);
  i64_text(cap, (int64_t)STORE_BALANCE_MAX);
  if (!(r = px(db, c, P_BAL_ADD, err, errlen, 3, tenant, d, cap)))
    return -1;
  n = PQntuples(r);
  if (n && balance)
    *balance = val_int(r, 0, 0);
  PQclear(r);
  if (n)
    return 0;
  if (!(r = px(db, c, P_T_EXISTS, err, errlen, 1, tenant)))
    return -1;
  n = PQntuples(r);
  PQclear(r);
  return n ? 1 : 2;
}

/* Give back what recipient `number` of message `mid` was charged, once:
   only when it was charged and not refunded yet, its state is `state`
   (NULL: any) and `status` (NULL: any) is in the message's refund_on.
   The row is locked first (FOR UPDATE): of two transactions refunding it
   at once, the second finds it refunded.  *units (may be NULL) grows by
   what was given back.  0 or -1. */
static int refund_recipient(pg_db *db, pconn *c, const char *mid,
                            const char *number, const char *state,
                            const char *status, int64_t *units, char *err,
                            size_t errlen) {
  PGresult *r = px(db, c, P_REFUND_FIND, err, errlen, 3, mid, number, state);
  int64_t u;
  char *charge;
  int ok = 1, rc = 0;
  if (!r)
    return -1;
  if (PQntuples(r) == 0 ||
      (status && !store_list_has(PQgetisnull(r, 0, 2) ? NULL
                                                      : PQgetvalue(r, 0, 2),
                                 status))) {
    PQclear(r);
    return 0;
  }
  u = val_int(r, 0, 0);
  charge = val_dup(r, 0, 1, &ok);
  PQclear(r);
  if (!ok || !charge) {
    free(charge);
    store_set_err(err, errlen, "out of memory");
    return -1;
  }
  {
    char us[24];
    long ch = 0;
    i64_text(us, u);
    if (pxc(px(db, c, P_REFUND_MARK, err, errlen, 2, mid, number), NULL) ||
        pxc(px(db, c, P_BAL_CREDIT, err, errlen, 2, charge, us), &ch) ||
        (ch != 1 && (store_set_err(err, errlen,
                                   "tenant %s of message %s is missing",
                                   charge, mid),
                     1)) ||
        ledger_row(db, c, charge, mid, u, "refund", "smsmux", err, errlen))
      rc = -1;
    else if (units)
      *units += u;
  }
  free(charge);
  return rc;
}

/* refund_recipient for every charged, unrefunded recipient of message
   `mid` in `state`. */
static int refund_message(pg_db *db, pconn *c, const char *mid,
                          const char *state, int64_t *units, char *err,
                          size_t errlen) {
  PGresult *r = px(db, c, P_REFUND_NUMS, err, errlen, 2, mid, state);
  int i, n, rc = 0;
  if (!r)
    return -1;
  n = PQntuples(r);
  for (i = 0; i < n && rc == 0; i++)
    rc = refund_recipient(db, c, mid, PQgetvalue(r, i, 0), state, NULL, units,
                          err, errlen);
  PQclear(r);
  return rc;
}

/* Charged recipients left `failed` by a node whose lease ran out (it
   stopped between the outcome and the refund): given back. */
static int refund_leftovers(pg_db *db, pconn *c, char *err, size_t errlen) {
  PGresult *r = px(db, c, P_REFUND_LEFTOVERS, err, errlen, 0);
  int i, n, rc = 0;
  if (!r)
    return -1;
  n = PQntuples(r);
  for (i = 0; i < n && rc == 0; i++)
    rc = refund_message(db, c, PQgetvalue(r, i, 0), "failed", NULL, err,
                        errlen);
  PQclear(r);
  return rc;
}

/* The charge of a message being queued (reserve_body, after its rows; the
   tenant's row is locked last, like every refund does).  Short:
   a->short_of_units set and -1 (the transaction is rolled back: nothing
   queued). */
static int charge_put(pg_db *db, pconn *c, reserve_arg *a, size_t taken,
                      char *err, size_t errlen) {
  const store_queue_info *q = a->q;
  char price[24];
  int64_t total;
  int rc;
  if (!q || !q->charge || !taken)
    return 0;
  if (q->unit_price < 0 || q->unit_price > STORE_DELTA_MAX / (int64_t)taken) {
    store_set_err(err, errlen,
                  "a unit price of %lld for %zu recipients is out of range",
                  (long long)q->unit_price, taken);
    return -1;
  }
  total = q->unit_price * (int64_t)taken;
  i64_text(price, q->unit_price);
  if (pxc(px(db, c, P_MSG_CHARGE, err, errlen, 4, a->m->id, q->charge, price,
             q->refund_on),
          NULL) ||
      pxc(px(db, c, P_RCPT_UNITS, err, errlen, 2, a->m->id, price), NULL))
    return -1;
  if (total == 0)
    return 0;
  rc = balance_add(db, c, q->charge, -total, NULL, err, errlen);
  if (rc == 1) {
    a->short_of_units = 1;
    store_set_err(err, errlen,
                  "tenant %s has fewer than the %lld units this message "
                  "needs",
                  q->charge, (long long)total);
    return -1;
  }
  if (rc == 2)
    store_set_err(err, errlen, "no tenant %s to charge", q->charge);
  if (rc)
    return -1;
  return ledger_row(db, c, q->charge, a->m->id, -total, "reserve", "smsmux",
                    err, errlen);
}

/* The refunds a recipient's new status brings (finish_body): rejected as
   opted out, or a delivery status the message's plan refunds. */
static int refund_finished(pg_db *db, pconn *c, const char *mid,
                           const store_outcome *o, char *err, size_t errlen) {
  if (!o->state || !store_refund_candidate(o->state))
    return 0;
  if (strcmp(o->state, "rejected") == 0 && o->code &&
      strcmp(o->code, "opt-out") == 0)
    return refund_recipient(db, c, mid, o->number, "rejected", NULL, NULL, err,
                            errlen);
  return refund_recipient(db, c, mid, o->number, o->state, o->state, NULL, err,
                          errlen);
}

typedef struct tenant_arg {
  const store_tenant *t;
  const char *name, *other, *hash, *label, *reason, *actor, *mid;
  const char *const *numbers;
  size_t n;
  int64_t delta, balance, units;
  int result, undo; /* undo: roll back, answer `result` */
} tenant_arg;

/* tx() for a tenant body: its result, or -1. */
static int tenant_tx(store_db *db, tx_body body, tenant_arg *a, char *err,
                     size_t errlen) {
  a->undo = 0;
  if (tx((pg_db *)db, body, a, err, errlen))
    return a->undo ? a->result : -1;
  return a->result;
}

static int tenant_add_body(pg_db *db, pconn *c, void *arg, char *err,
                           size_t errlen) {
  tenant_arg *a = arg;
  const store_tenant *t = a->t;
  char low[24], rate[40], burst[24], now[24];
  PGresult *r;
  a->result = 0;
  if (t->parent && *t->parent) {
    if (!(r = px(db, c, P_T_EXISTS, err, errlen, 1, t->parent)))
      return -1;
    if (PQntuples(r) == 0)
      a->result = 2;
    PQclear(r);
    if (a->result)
      return 0;
  }
  i64_text(low, t->low_balance > 0 ? t->low_balance : 0);
  snprintf(rate, sizeof rate, "%.17g", t->rate > 0 ? t->rate : 0.0);
  snprintf(burst, sizeof burst, "%u", t->burst);
  now_text(now);
  if (!(r = px(db, c, P_T_ADD, err, errlen, 11, t->name, t->parent, t->plan,
               t->senders, t->routes, t->callback_url, t->webhook_secret, low,
               rate, burst, now)))
    return -1;
  a->result = PQntuples(r) ? 0 : 1;
  PQclear(r);
  return 0;
}

static int pg_tenant_add(store_db *db, const store_tenant *t, char *err,
                         size_t errlen) {
  tenant_arg a;
  memset(&a, 0, sizeof a);
  a.t = t;
  return tenant_tx(db, tenant_add_body, &a, err, errlen);
}

static int tenant_update_body(pg_db *db, pconn *c, void *arg, char *err,
                              size_t errlen) {
  tenant_arg *a = arg;
  const store_tenant *t = a->t;
  char low[24], rate[40], burst[24], en[8];
  long ch = 0;
  i64_text(low, t->low_balance);
  snprintf(rate, sizeof rate, "%.17g", t->rate);
  snprintf(burst, sizeof burst, "%u", t->burst);
  snprintf(en, sizeof en, "%d", t->enabled < 0 ? -1 : t->enabled ? 1 : 0);
  if (pxc(px(db, c, P_T_UPDATE, err, errlen, 10, t->name, t->plan, t->senders,
             t->routes, t->callback_url, t->webhook_secret, low, rate, burst,
             en),
          &ch))
    return -1;
  a->result = ch ? 0 : 1;
  return 0;
}

static int pg_tenant_update(store_db *db, const store_tenant *t, char *err,
                            size_t errlen) {
  tenant_arg a;
  memset(&a, 0, sizeof a);
  a.t = t;
  return tenant_tx(db, tenant_update_body, &a, err, errlen);
}

static void tenant_of_row(const PGresult *r, int i, store_tenant *t, int *ok) {
  t->name = val_dup(r, i, 0, ok);
  t->parent = val_dup(r, i, 1, ok);
  t->plan = val_dup(r, i, 2, ok);
  t->senders = val_dup(r, i, 3, ok);
  t->routes = val_dup(r, i, 4, ok);
  t->callback_url = val_dup(r, i, 5, ok);
  t->webhook_secret = val_dup(r, i, 6, ok);
  t->balance = val_int(r, i, 7);
  t->low_balance = val_int(r, i, 8);
  t->rate = PQgetisnull(r, i, 9) ? 0 : strtod(PQgetvalue(r, i, 9), NULL);
  t->burst = (unsigned)val_int(r, i, 10);
  t->enabled = (int)val_int(r, i, 11);
  t->created = val_int(r, i, 12);
}

/* The rows of a read (read1's statement and values), each read by `row`
   into an array of `size`-byte elements.  0 or -1. */
static int read_rows(pg_db *db, enum pst id, int nv, const char *v1,
                     const char *v2, const char *v3, const char *v4,
                     void **rows, size_t *n, size_t size,
                     void (*row)(const PGresult *, int, void *, int *),
                     void (*clear)(void *)) {
  PGresult *r = read1(db, id, nv, v1, v2, v3, v4, NULL);
  char *v = NULL;
  int i, k, ok = 1;
  *rows = NULL;
  *n = 0;
  if (!r)
    return -1;
  k = PQntuples(r);
  if (k && !(v = calloc((size_t)k, size)))
    ok = 0;
  for (i = 0; ok && i < k; i++) {
    row(r, i, v + (size_t)i * size, &ok);
    (*n)++;
  }
  PQclear(r);
  if (!ok) {
    size_t j;
    for (j = 0; v && j < *n; j++)
      clear(v + j * size);
    free(v);
    *n = 0;
    return -1;
  }
  *rows = v;
  return 0;
}

static void tenant_row(const PGresult *r, int i, void *p, int *ok) {
  tenant_of_row(r, i, p, ok);
}
static void tenant_clear(void *p) { store_tenant_clear(p); }

static int pg_tenant_get(store_db *db, const char *name, store_tenant *t) {
  store_tenant *rows;
  size_t n;
  if (read_rows((pg_db *)db, P_T_GET, 1, name, NULL, NULL, NULL,
                (void **)&rows, &n, sizeof *rows, tenant_row, tenant_clear))
    return -1;
  if (n == 0) {
    free(rows);
    return 1;
  }
  *t = rows[0];
  free(rows);
  return 0;
}

static int pg_tenant_list(store_db *db, const char *parent,
                          store_tenant **rows, size_t *n) {
  return read_rows((pg_db *)db, P_T_LIST, 1, parent, NULL, NULL, NULL,
                   (void **)rows, n, sizeof **rows, tenant_row, tenant_clear);
}

static int key_add_body(pg_db *db, pconn *c, void *arg, char *err,
                        size_t errlen) {
  tenant_arg *a = arg;
  char now[24];
  PGresult *r = px(db, c, P_T_EXISTS, err, errlen, 1, a->name);
  if (!r)
    return -1;
  a->result = PQntuples(r) ? 0 : 1;
  PQclear(r);
  if (a->result)
    return 0;
  now_text(now);
  if (!(r = px(db, c, P_K_ADD, err, errlen, 4, a->hash, a->name, a->label,
               now)))
    return -1;
  if (PQntuples(r) == 0) {
    PQclear(r);
    store_set_err(err, errlen, "that key is stored already");
    return -1;
  }
  PQclear(r);
  return 0;
}

static int pg_key_add(store_db *db, const char *tenant, const char *sha256_hex,
                      const char *label, char *err, size_t errlen) {
  tenant_arg a;
  memset(&a, 0, sizeof a);
  a.name = tenant;
  a.hash = sha256_hex;
  a.label = label;
  return tenant_tx(db, key_add_body, &a, err, errlen);
}

static int key_revoke_body(pg_db *db, pconn *c, void *arg, char *err,
                           size_t errlen) {
  tenant_arg *a = arg;
  char now[24];
  long ch = 0;
  now_text(now);
  if (pxc(px(db, c, P_K_REVOKE, err, errlen, 4, a->name, a->label, now,
             store_key_prefix_ok(a->label) ? "1" : "0"),
          &ch))
    return -1;
  a->result = ch ? 0 : 1;
  return 0;
}

static int pg_key_revoke(store_db *db, const char *tenant, const char *which,
                         char *err, size_t errlen) {
  tenant_arg a;
  memset(&a, 0, sizeof a);
  a.name = tenant;
  a.label = which;
  return tenant_tx(db, key_revoke_body, &a, err, errlen);
}

static int pg_key_lookup(store_db *db_, const char *sha256_hex,
                         char **tenant) {
  pg_db *db = (pg_db *)db_;
  PGresult *r;
  int ok = 1;
  if (!(r = read1(db, P_K_LOOKUP, 1, sha256_hex, NULL, NULL, NULL, NULL)))
    return -1;
  if (PQntuples(r) == 0) {
    PQclear(r);
    return 1;
  }
  *tenant = val_dup(r, 0, 0, &ok);
  PQclear(r);
  return ok && *tenant ? 0 : -1;
}

static void key_row(const PGresult *r, int i, void *p, int *ok) {
  store_key_row *k = p;
  k->id = val_dup(r, i, 0, ok);
  k->label = val_dup(r, i, 1, ok);
  k->created = val_int(r, i, 2);
  k->revoked = val_int(r, i, 3);
}
static void key_clear(void *p) {
  store_key_row *k = p;
  free(k->id);
  free(k->label);
}

static int pg_key_list(store_db *db, const char *tenant, store_key_row **rows,
                       size_t *n) {
  return read_rows((pg_db *)db, P_K_LIST, 1, tenant, NULL, NULL, NULL,
                   (void **)rows, n, sizeof **rows, key_row, key_clear);
}

static int ledger_add_body(pg_db *db, pconn *c, void *arg, char *err,
                           size_t errlen) {
  tenant_arg *a = arg;
  int rc = balance_add(db, c, a->name, a->delta, &a->balance, err, errlen);
  if (rc == 1 && a->delta > 0) {
    store_set_err(err, errlen, "the balance of %s would pass %lld units",
                  a->name, (long long)STORE_BALANCE_MAX);
    return -1;
  }
  if (rc)
    return rc < 0 ? -1 : (a->result = rc, 0);
  a->result = 0;
  return ledger_row(db, c, a->name, a->mid, a->delta, a->reason, a->actor, err,
                    errlen);
}

static int pg_ledger_add(store_db *db, const char *tenant,
                         const char *message_id, int64_t delta,
                         const char *reason, const char *actor,
                         int64_t *balance, char *err, size_t errlen) {
  tenant_arg a;
  int rc;
  memset(&a, 0, sizeof a);
  a.name = tenant;
  a.mid = message_id;
  a.delta = delta;
  a.reason = reason;
  a.actor = actor;
  rc = tenant_tx(db, ledger_add_body, &a, err, errlen);
  if (rc == 0 && balance)
    *balance = a.balance;
  return rc;
}

/* The two balances change in the order of the tenants' names (two
   transfers in opposite directions lock the same rows in the same
   order); a short debit after the credit undoes both. */
static int transfer_body(pg_db *db, pconn *c, void *arg, char *err,
                         size_t errlen) {
  tenant_arg *a = arg;
  int from_first = strcmp(a->name, a->other) < 0, k, rc;
  for (k = 0; k < 2; k++) {
    int debit = (k == 0) == from_first;
    const char *who = debit ? a->name : a->other;
    rc = balance_add(db, c, who, debit ? -a->delta : a->delta, NULL, err,
                     errlen);
    if (rc == 1 && !debit) {
      store_set_err(err, errlen, "the balance of %s would pass %lld units",
                    who, (long long)STORE_BALANCE_MAX);
      return -1;
    }
    if (rc) {
      if (rc < 0)
        return -1;
      a->result = rc;
      a->undo = 1;
      return -1; /* rolled back: nothing written */
    }
  }
  a->result = 0;
  if (ledger_row(db, c, a->name, NULL, -a->delta, "transfer-out", a->actor,
                 err, errlen) ||
      ledger_row(db, c, a->other, NULL, a->delta, "transfer-in", a->actor, err,
                 errlen))
    return -1;
  return 0;
}

static int pg_ledger_transfer(store_db *db, const char *from, const char *to,
                              int64_t units, const char *actor, char *err,
                              size_t errlen) {
  tenant_arg a;
  memset(&a, 0, sizeof a);
  a.name = from;
  a.other = to;
  a.delta = units;
  a.actor = actor;
  return tenant_tx(db, transfer_body, &a, err, errlen);
}

static void ledger_rrow(const PGresult *r, int i, void *p, int *ok) {
  store_ledger_row *l = p;
  l->seq = val_int(r, i, 0);
  l->tenant = val_dup(r, i, 1, ok);
  l->message_id = val_dup(r, i, 2, ok);
  l->delta = val_int(r, i, 3);
  l->reason = val_dup(r, i, 4, ok);
  l->at = val_int(r, i, 5);
  l->actor = val_dup(r, i, 6, ok);
}
static void ledger_clear(void *p) {
  store_ledger_row *l = p;
  free(l->tenant);
  free(l->message_id);
  free(l->reason);
  free(l->actor);
}

static int pg_ledger_list(store_db *db, const char *tenant, int64_t since,
                          unsigned limit, store_ledger_row **rows, size_t *n) {
  char s[24], l[24];
  i64_text(s, since);
  snprintf(l, sizeof l, "%u", limit);
  return read_rows((pg_db *)db, P_L_LIST, 3, tenant, s, limit ? l : NULL,
                   NULL, (void **)rows, n, sizeof **rows, ledger_rrow,
                   ledger_clear);
}

static void text_row(const PGresult *r, int i, void *p, int *ok) {
  if (!(*(char **)p = val_dup(r, i, 0, ok)))
    *ok = 0;
}
static void text_clear(void *p) { free(*(char **)p); }

static int pg_ledger_check(store_db *db, char ***bad, size_t *n_bad) {
  return read_rows((pg_db *)db, P_L_CHECK, 0, NULL, NULL, NULL, NULL,
                   (void **)bad, n_bad, sizeof **bad, text_row, text_clear);
}

static int refund_failed_body(pg_db *db, pconn *c, void *arg, char *err,
                              size_t errlen) {
  tenant_arg *a = arg;
  size_t i;
  a->units = 0; /* a transaction run again starts afresh */
  if (a->n == 0)
    return refund_message(db, c, a->mid, "failed", &a->units, err, errlen);
  for (i = 0; i < a->n; i++)
    if (refund_recipient(db, c, a->mid, a->numbers[i], "failed", NULL,
                         &a->units, err, errlen))
      return -1;
  return 0;
}

static int pg_refund_failed(store_db *db, const char *id,
                            const char *const *numbers, size_t n,
                            int64_t *refunded, char *err, size_t errlen) {
  tenant_arg a;
  memset(&a, 0, sizeof a);
  a.mid = id;
  a.numbers = numbers;
  a.n = n;
  if (tx((pg_db *)db, refund_failed_body, &a, err, errlen))
    return -1;
  if (refunded)
    *refunded = a.units;
  return 0;
}

static void usage_row(const PGresult *r, int i, void *p, int *ok) {
  store_usage_row *u = p;
  u->tenant = val_dup(r, i, 0, ok);
  u->provider = val_dup(r, i, 1, ok);
  u->status = val_dup(r, i, 2, ok);
  u->messages = (unsigned long)val_int(r, i, 3);
  u->recipients = (unsigned long)val_int(r, i, 4);
  u->units = val_int(r, i, 5);
}
static void usage_clear(void *p) {
  store_usage_row *u = p;
  free(u->tenant);
  free(u->provider);
  free(u->status);
}

static int pg_usage(store_db *db, const char *tenant, int tree, int64_t since,
                    int64_t until, store_usage_row **rows, size_t *n) {
  char s[24], u[24];
  i64_text(s, since);
  i64_text(u, until);
  return read_rows((pg_db *)db, P_USAGE, 4, tenant, tree ? "1" : "0", s, u,
                   (void **)rows, n, sizeof **rows, usage_row, usage_clear);
}

/* -------------------------------------------- issue 13 (not yet done) -- */

static int pg_report_apply(store_db *db, const store_report *r, char *err,
                           size_t errlen) {
  report_arg a = {r, 0};
  if (tx((pg_db *)db, report_body, &a, err, errlen))
    return -1;
  return a.result;
}

typedef struct reply_arg {
  const store_reply *r;
  char *tenant, *message_id;
  int result;
} reply_arg;

/* The tenant and message of the first row of res (cleared): 0 or -1. */
static int reply_found(reply_arg *a, PGresult *res, int tenant_col,
                       char *err, size_t errlen) {
  int ok = 1;
  a->tenant = val_dup(res, 0, tenant_col, &ok);
  a->message_id = val_dup(res, 0, 1 - tenant_col, &ok);
  PQclear(res);
  if (!ok || !a->tenant) {
    store_set_err(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

static int reply_body(pg_db *db, pconn *c, void *arg, char *err,
                      size_t errlen) {
  reply_arg *a = arg;
  const store_reply *r = a->r;
  char id[40], now[24], at[24], since[24];
  PGresult *res;
  free(a->tenant);
  free(a->message_id);
  a->tenant = a->message_id = NULL;
  a->result = 0;
  now_text(now);
  if (r->at)
    snprintf(at, sizeof at, "%lld", (long long)r->at);
  else
    snprintf(at, sizeof at, "%s", now);
  if (r->reply_id) {
    if (!(res = px(db, c, P_REPLY_BY_ID, err, errlen, 2, r->provider,
                   r->reply_id)))
      return -1;
    if (PQntuples(res) > 0) { /* a repeat: what the first one found */
      a->result = 1;
      return reply_found(a, res, 0, err, errlen);
    }
    PQclear(res);
  }
  snprintf(since, sizeof since, "%lld",
           (long long)time(NULL) - (long long)STORE_REPLY_WINDOW);
  res = r->provider_id ? px(db, c, P_REPLY_BY_PID, err, errlen, 3,
                            r->provider, r->provider_id, r->from)
                       : px(db, c, P_REPLY_LATEST, err, errlen, 3,
                            r->provider, r->from, since);
  if (!res)
    return -1;
  if (PQntuples(res) > 0) {
    if (reply_found(a, res, 1, err, errlen))
      return -1;
  } else {
    PQclear(res);
    if (!(a->tenant = store_dupstr(""))) {
      store_set_err(err, errlen, "out of memory");
      return -1;
    }
  }
  store_make_reply_id(id);
  if (!(res = px(db, c, P_REPLY_INSERT, err, errlen, 10, id, a->tenant,
                 r->provider, r->reply_id, r->from, r->to, r->text,
                 a->message_id, at, now)))
    return -1;
  if (PQntuples(res) == 0) {
    /* another node recorded the same reply meanwhile (its row is
       committed now: ON CONFLICT waited for it) */
    PQclear(res);
    free(a->tenant);
    free(a->message_id);
    a->tenant = a->message_id = NULL;
    if (!(res = px(db, c, P_REPLY_BY_ID, err, errlen, 2, r->provider,
                   r->reply_id)))
      return -1;
    if (PQntuples(res) == 0) {
      PQclear(res);
      store_set_err(err, errlen, "store %s: reply %s vanished", db->shown,
                    r->reply_id ? r->reply_id : "");
      return -1;
    }
    a->result = 1;
    return reply_found(a, res, 0, err, errlen);
  }
  PQclear(res);
  if (a->message_id) {
    /* status: the number it was sent to; code: the provider's id of it */
    pev e = {a->message_id, "reply", r->from, r->to, r->provider, id,
             r->reply_id,   r->text, r->at,   -1};
    if (event_add(db, c, &e, err, errlen))
      return -1;
  }
  return 0;
}

static int pg_reply_add(store_db *db, const store_reply *r, char **tenant,
                        char **message_id, char *err, size_t errlen) {
  reply_arg a = {r, NULL, NULL, 0};
  if (tx((pg_db *)db, reply_body, &a, err, errlen)) {
    free(a.tenant);
    free(a.message_id);
    return -1;
  }
  if (tenant)
    *tenant = a.tenant;
  else
    free(a.tenant);
  if (message_id)
    *message_id = a.message_id;
  else
    free(a.message_id);
  return a.result;
}

static void reply_row(const PGresult *r, int i, void *p, int *ok) {
  store_reply_row *w = p;
  w->id = val_dup(r, i, 0, ok);
  w->provider = val_dup(r, i, 1, ok);
  w->reply_id = val_dup(r, i, 2, ok);
  w->from = val_dup(r, i, 3, ok);
  w->to = val_dup(r, i, 4, ok);
  w->text = val_dup(r, i, 5, ok);
  w->message_id = val_dup(r, i, 6, ok);
  w->at = val_int(r, i, 7);
}

static int pg_replies_list(store_db *db_, const char *tenant, int64_t since,
                           const char *cursor, unsigned limit,
                           store_reply_row **rows, size_t *n) {
  char s[24], l[24];
  snprintf(s, sizeof s, "%lld", (long long)since);
  snprintf(l, sizeof l, "%u", limit);
  return read_rows((pg_db *)db_, P_REPLIES, 4, tenant, cursor, s, l,
                   (void **)rows, n, sizeof **rows, reply_row,
                   store_reply_row_clear);
}

/* ------------------------------------------------------------ opt-out -- */

typedef struct one_arg {
  enum pst id;
  int n;
  const char *v[4];
  long changed;
} one_arg;

/* One statement (a->id, a->n values) in a transaction of its own. */
static int one_body(pg_db *db, pconn *c, void *arg, char *err,
                    size_t errlen) {
  one_arg *a = arg;
  return pxc(px(db, c, a->id, err, errlen, a->n, a->v[0], a->v[1], a->v[2],
                a->v[3]),
             &a->changed);
}

static int pg_optout_set(store_db *db, const char *tenant,
                         const char *number, const char *source, char *err,
                         size_t errlen) {
  one_arg a = {P_OPTOUT_SET, 4, {tenant, number, source, NULL}, 0};
  char now[24];
  now_text(now);
  a.v[3] = now;
  if (tx((pg_db *)db, one_body, &a, err, errlen))
    return -1;
  return a.changed > 0 ? 0 : 1;
}

static int pg_optout_clear(store_db *db, const char *tenant,
                           const char *number, char *err, size_t errlen) {
  one_arg a = {P_OPTOUT_CLEAR, 2, {tenant, number, NULL, NULL}, 0};
  if (tx((pg_db *)db, one_body, &a, err, errlen))
    return -1;
  return a.changed > 0 ? 0 : 1;
}

static int pg_optout_has(store_db *db, const char *tenant,
                         const char *number) {
  PGresult *r =
      read1((pg_db *)db, P_OPTOUT_HAS, 2, tenant, number, NULL, NULL, NULL);
  int rc;
  if (!r)
    return -1;
  rc = PQntuples(r) > 0;
  PQclear(r);
  return rc;
}

static void optout_row(const PGresult *r, int i, void *p, int *ok) {
  store_optout_row *w = p;
  w->number = val_dup(r, i, 0, ok);
  w->source = val_dup(r, i, 1, ok);
  w->at = val_int(r, i, 2);
}

static int pg_optouts_list(store_db *db, const char *tenant,
                           const char *cursor, unsigned limit,
                           store_optout_row **rows, size_t *n) {
  char l[24];
  snprintf(l, sizeof l, "%u", limit);
  return read_rows((pg_db *)db, P_OPTOUTS, 3, tenant, cursor, l, NULL,
                   (void **)rows, n, sizeof **rows, optout_row,
                   store_optout_row_clear);
}

/* ------------------------------------------------------------ webhooks -- */

typedef struct hook_arg {
  const char *token;
  char now[24];
  int64_t next_due;
  int found;
  store_webhook *w;
} hook_arg;

static int hook_claim_body(pg_db *db, pconn *c, void *arg, char *err,
                           size_t errlen) {
  hook_arg *a = arg;
  store_webhook *w = a->w;
  PGresult *r;
  char seq[24];
  int ok = 1;
  store_webhook_clear(w); /* a run again starts afresh */
  a->found = 0;
  a->next_due = 0;
  if (!(r = px(db, c, P_HOOK_PICK, err, errlen, 1, a->now)))
    return -1;
  if (PQntuples(r) == 0) {
    PQclear(r);
    if (!(r = px(db, c, P_HOOK_NEXT_DUE, err, errlen, 0)))
      return -1;
    a->next_due = PQntuples(r) > 0 ? val_int(r, 0, 0) : 0;
    PQclear(r);
    return 0;
  }
  snprintf(seq, sizeof seq, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  if (!(r = px(db, c, P_HOOK_TAKE, err, errlen, 3, seq, a->token, db->lease)))
    return -1;
  if (PQntuples(r) == 0) { /* its event is gone (pruned): nothing */
    PQclear(r);
    return 0;
  }
  w->seq = val_int(r, 0, 0);
  w->message_id = val_dup(r, 0, 1, &ok);
  w->attempts = (unsigned)val_int(r, 0, 2);
  w->first_at = val_int(r, 0, 3);
  w->tenant = PQgetisnull(r, 0, 4) ? store_dupstr("") : val_dup(r, 0, 4, &ok);
  w->url = val_dup(r, 0, 5, &ok);
  w->ev.seq = w->seq;
  w->ev.kind = val_dup(r, 0, 6, &ok);
  w->ev.number = val_dup(r, 0, 7, &ok);
  w->ev.status = val_dup(r, 0, 8, &ok);
  w->ev.provider = val_dup(r, 0, 9, &ok);
  w->ev.provider_id = val_dup(r, 0, 10, &ok);
  w->ev.code = val_dup(r, 0, 11, &ok);
  w->ev.text = val_dup(r, 0, 12, &ok);
  w->ev.at = val_int(r, 0, 13);
  PQclear(r);
  if (ok && w->message_id && w->tenant) {
    size_t n = strlen(w->message_id) + 24;
    if ((w->event_id = malloc(n)))
      snprintf(w->event_id, n, "%s-%lld", w->message_id, (long long)w->seq);
  }
  if (!ok || !w->event_id || !w->tenant) {
    store_set_err(err, errlen, "out of memory");
    return -1;
  }
  a->found = 1;
  return 0;
}

static int pg_webhook_claim(store_db *db, const char *token, int64_t now,
                            store_webhook *w, int64_t *next_due, char *err,
                            size_t errlen) {
  hook_arg a;
  memset(&a, 0, sizeof a);
  a.token = token;
  a.w = w;
  snprintf(a.now, sizeof a.now, "%lld", (long long)now);
  if (tx((pg_db *)db, hook_claim_body, &a, err, errlen)) {
    store_webhook_clear(w);
    return -1;
  }
  if (!a.found) {
    store_webhook_clear(w);
    if (next_due)
      *next_due = a.next_due;
    return 1;
  }
  return 0;
}

static int pg_webhook_done(store_db *db, int64_t seq, char *err,
                           size_t errlen) {
  one_arg a = {P_HOOK_DONE, 1, {NULL, NULL, NULL, NULL}, 0};
  char s[24];
  snprintf(s, sizeof s, "%lld", (long long)seq);
  a.v[0] = s;
  return tx((pg_db *)db, one_body, &a, err, errlen);
}

static int pg_webhook_retry(store_db *db, int64_t seq, int64_t next_at,
                            int give_up, char *err, size_t errlen) {
  one_arg a = {give_up ? P_HOOK_DONE : P_HOOK_RETRY,
               give_up ? 1 : 2,
               {NULL, NULL, NULL, NULL},
               0};
  char s[24], t[24];
  snprintf(s, sizeof s, "%lld", (long long)seq);
  snprintf(t, sizeof t, "%lld", (long long)next_at);
  a.v[0] = s;
  a.v[1] = t;
  return tx((pg_db *)db, one_body, &a, err, errlen);
}

static int pg_webhook_backlog(store_db *db, unsigned long *pending) {
  PGresult *r =
      read1((pg_db *)db, P_HOOK_BACKLOG, 0, NULL, NULL, NULL, NULL, NULL);
  if (!r)
    return -1;
  *pending = PQntuples(r) > 0 ? strtoul(PQgetvalue(r, 0, 0), NULL, 10) : 0;
  PQclear(r);
  return 0;
}

/* ------------------------------------------------------------- polling -- */

static void poll_row(const PGresult *r, int i, void *p, int *ok) {
  store_poll_row *w = p;
  w->message_id = val_dup(r, i, 0, ok);
  w->number = val_dup(r, i, 1, ok);
  w->provider = val_dup(r, i, 2, ok);
  w->provider_id = val_dup(r, i, 3, ok);
  w->polls = (unsigned)val_int(r, i, 4);
  w->since = val_int(r, i, 5);
}

static int pg_poll_due(store_db *db, const char *provider, int64_t now,
                       int64_t oldest, unsigned limit, store_poll_row **rows,
                       size_t *n) {
  char o[24], t[24], l[24];
  snprintf(o, sizeof o, "%lld", (long long)oldest);
  snprintf(t, sizeof t, "%lld", (long long)now);
  snprintf(l, sizeof l, "%u", limit);
  return read_rows((pg_db *)db, P_POLL_DUE, 4, provider, o, t, l,
                   (void **)rows, n, sizeof **rows, poll_row,
                   store_poll_row_clear);
}

static int pg_poll_mark(store_db *db, const char *message_id,
                        const char *number, int64_t next_at) {
  one_arg a = {P_POLL_MARK, 3, {message_id, number, NULL, NULL}, 0};
  char t[24];
  snprintf(t, sizeof t, "%lld", (long long)next_at);
  a.v[2] = t;
  return tx((pg_db *)db, one_body, &a, NULL, 0);
}

const store_backend store_pg_backend = {
    .name = "postgresql",
    .close = pg_close,
    .flush = pg_flush,
    .reserve = pg_reserve,
    .queue_put = pg_queue_put,
    .queue_claim = pg_queue_claim,
    .queue_unclaim = pg_queue_unclaim,
    .queue_heartbeat = pg_queue_heartbeat,
    .queue_recover = pg_queue_recover,
    .message_read = pg_message_read,
    .message_ids = pg_message_ids,
    .message_cancel = pg_message_cancel,
    .queue_counts = pg_queue_counts,
    .mark_sending = pg_mark_sending,
    .finish = pg_finish,
    .provider_of = pg_provider_of,
    .message_of = pg_message_of,
    .prune = pg_prune,
    .commits = pg_commits,
    .kv_get = pg_kv_get,
    .kv_set = pg_kv_set,
    .kv_add = pg_kv_add,
    .kv_add_real = pg_kv_add_real,
    .kv_update = pg_kv_update,
    .bucket_take = pg_bucket_take,
    .tenant_add = pg_tenant_add,
    .tenant_get = pg_tenant_get,
    .tenant_list = pg_tenant_list,
    .tenant_update = pg_tenant_update,
    .key_add = pg_key_add,
    .key_revoke = pg_key_revoke,
    .key_lookup = pg_key_lookup,
    .key_list = pg_key_list,
    .ledger_add = pg_ledger_add,
    .ledger_transfer = pg_ledger_transfer,
    .ledger_list = pg_ledger_list,
    .ledger_check = pg_ledger_check,
    .refund_failed = pg_refund_failed,
    .usage = pg_usage,
    .report_apply = pg_report_apply,
    .reply_add = pg_reply_add,
    .replies_list = pg_replies_list,
    .optout_set = pg_optout_set,
    .optout_clear = pg_optout_clear,
    .optout_has = pg_optout_has,
    .optouts_list = pg_optouts_list,
    .webhook_claim = pg_webhook_claim,
    .webhook_done = pg_webhook_done,
    .webhook_retry = pg_webhook_retry,
    .webhook_backlog = pg_webhook_backlog,
    .poll_due = pg_poll_due,
    .poll_mark = pg_poll_mark,
};
