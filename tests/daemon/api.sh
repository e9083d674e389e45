#!/bin/sh
# The HTTP API of smsmuxd against the simulator: every endpoint and status
# code, idempotency (200 for a repeat, 409 for a conflict), batches (JSON
# and CSV), the message documents, health and metrics.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
sim_start
daemon_config
# one worker: a slow provider request keeps the next message queued
sed -i 's/^workers = .*/workers = 1/' "$TMP/d.ini"
daemon_start
status_of() { api GET "/v1/messages/$1"; jqr .status; }

# ---- health, readiness, metrics: no key needed
STATUS=$(curl -sS -o "$TMP/.h" -w '%{http_code}' "$D_URL/healthz")
assert_eq 200 "$STATUS" "GET /healthz: 200"
assert_json .status ok "healthz says ok" "$(cat "$TMP/.h")"
STATUS=$(curl -sS -o "$TMP/.h" -w '%{http_code}' "$D_URL/readyz")
assert_eq 200 "$STATUS" "GET /readyz: 200 (store and a provider usable)"
assert_json .providers_usable 1 "readyz counts the usable providers" "$(cat "$TMP/.h")"

# ---- authentication
STATUS=$(curl -sS -o "$TMP/.h" -w '%{http_code}' "$D_URL/v1/messages")
assert_eq 401 "$STATUS" "no key: 401"
assert_json .error.class auth "... with the error object" "$(cat "$TMP/.h")"
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "$D_URL/v1/messages")
assert_eq 401 "$STATUS" "a wrong key: 401"
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${KEY}x" "$D_URL/v1/messages")
assert_eq 401 "$STATUS" "the key with one more character: 401"

# ---- routing errors
api GET /v2/nothing
assert_eq 404 "$STATUS" "an unknown path: 404"
assert_json .error.code not-found "... code not-found"
api PUT /v1/messages
assert_eq 405 "$STATUS" "PUT /v1/messages: 405"
allow=$(curl -sS -o /dev/null -D - -X PUT -H "Authorization: Bearer $KEY" "$D_URL/v1/messages" | tr -d '\r' | sed -n 's/^Allow: //Ip')
assert_eq "GET, POST" "$allow" "... with Allow: GET, POST"

# ---- POST /v1/messages -> 202, durably queued, then sent once
post_json /v1/messages '{"to": "0612345601", "text": "Bonjour", "from": "Shop"}'
assert_eq 202 "$STATUS" "POST /v1/messages: 202"
assert_json .status queued "status queued"
assert_json '.recipients[0].to' +33612345601 "the recipient in E.164"
assert_json .encoding gsm7 "encoding reported"
assert_json .segments 1 "segments reported"
id=$(jqr .id)
wait_until "the message is accepted" 'test "$(status_of "$id")" = accepted'
api GET "/v1/messages/$id"
assert_eq 200 "$STATUS" "GET /v1/messages/ID: 200"
assert_json '.recipients[0].provider' smsmode "GET /v1/messages/ID: the provider that took it"
assert_json '.attempts | length' 1 "... one attempt"
assert_eq 1 "$(sends_to 33612345601)" "sMsmode got it exactly once"
assert_contains "$(sim_requests smsmode | jq -r '.[-1] | .query + (.body // "")')" "Bonjour" "... with its text"

# array of recipients, scheduled (RFC 3339), options
post_json /v1/messages '{"to": ["0612345602", "+33612345603"], "text": "Plus tard", "at": "2031-06-01T09:00:00+02:00"}'
assert_eq 202 "$STATUS" "a scheduled message for two: 202"
assert_json '.recipients | length' 2 "two recipients"
sched=$(jqr .id)
assert_contains "$(jqr .at)" "2031-06-01" "the time is kept"

# ---- idempotency: Idempotency-Key header or ref
post_json /v1/messages '{"to": "0612345604", "text": "Une fois"}' -H 'Idempotency-Key: order-42'
assert_eq 202 "$STATUS" "first with Idempotency-Key: 202"
first=$(jqr .id)
wait_until "the keyed message is accepted" 'test "$(status_of "$first")" = accepted'
post_json /v1/messages '{"to": "0612345604", "text": "Une fois"}' -H 'Idempotency-Key: order-42'
assert_eq 200 "$STATUS" "the same again: 200"
assert_json .id "$first" "... with the original message"
post_json /v1/messages '{"to": "0612345604", "text": "Une fois", "ref": "order-42"}'
assert_eq 200 "$STATUS" "the same with ref in the body: 200"
post_json /v1/messages '{"to": "0612345604", "text": "Autre chose"}' -H 'Idempotency-Key: order-42'
assert_eq 409 "$STATUS" "same key, another text: 409"
assert_json .error.code ref-conflict "... code ref-conflict"
post_json /v1/messages '{"to": "0612345604", "text": "x", "ref": "a"}' -H 'Idempotency-Key: b'
assert_eq 400 "$STATUS" "header and ref differ: 400"
sleep 0.3
assert_eq 1 "$(sends_to 33612345604)" "the keyed message went out once"

# ---- content errors: 400 / 422, nothing queued
post_json /v1/messages '{"to": "12", "text": "x"}'
assert_eq 400 "$STATUS" "a number that is not one: 400"
assert_contains "$(jqr .error.message)" "12" "... naming it"
post_json /v1/messages '{"text": "x"}'
assert_eq 400 "$STATUS" "no recipient: 400"
assert_json .error.code missing-field "... code missing-field"
post_json /v1/messages '{"to": "0612345605", "kind": "mms", "text": "x", "image_url": "https://example.com/a.jpg"}'
assert_eq 422 "$STATUS" "an MMS with no MMS provider: 422"
assert_json .error.code no-provider "... code no-provider"

# ---- GET /v1/messages: filters and the cursor
api GET '/v1/messages?limit=1'
assert_eq 200 "$STATUS" "GET /v1/messages: 200"
assert_json '.messages | length' 1 "limit=1: one message"
cursor=$(jqr .next_cursor)
newest=$(jqr '.messages[0].id')
api GET "/v1/messages?limit=1&cursor=$cursor"
assert_eq 200 "$STATUS" "the next page: 200"
assert_eq yes "$([ "$(jqr '.messages[0].id')" != "$newest" ] && echo yes)" "the next page holds another message"
api GET '/v1/messages?status=scheduled'
assert_eq "$sched" "$(jqr '[.messages[].id] | join(",")')" "status=scheduled: the scheduled one only"
api GET '/v1/messages?status=accepted&since=2000-01-01T00:00:00Z'
assert_eq 2 "$(jqr '.messages | length')" "status=accepted since 2000: two"
api GET '/v1/messages?limit=0'
assert_eq 400 "$STATUS" "limit=0: 400"
api GET '/v1/messages?colour=red'
assert_eq 400 "$STATUS" "an unknown parameter: 400"
api GET '/v1/messages?status=happy'
assert_eq 400 "$STATUS" "an unknown status: 400"
api GET '/v1/messages?cursor=zzz'
assert_eq 400 "$STATUS" "a bad cursor: 400"
api GET /v1/messages/m00000000000000000000000000
assert_eq 404 "$STATUS" "an unknown id: 404"

# ---- DELETE /v1/messages/{id}: the worker is held by a slow answer, the
# second message waits in the queue
sim_fault smsmode slow "count=1&ms=2500"
post_json /v1/messages '{"to": "0612345606", "text": "Lent"}'
slowid=$(jqr .id)
wait_until "the worker took the slow one" 'test "$(status_of "$slowid")" = sending'
post_json /v1/messages '{"to": "0612345607", "text": "Annule"}'
queued=$(jqr .id)
api DELETE "/v1/messages/$queued"
assert_eq 200 "$STATUS" "DELETE a queued message: 200"
assert_json .status cancelled "... now cancelled"
api DELETE "/v1/messages/$queued"
assert_eq 409 "$STATUS" "DELETE it again: 409"
api DELETE "/v1/messages/$id"
assert_eq 409 "$STATUS" "DELETE a sent message: 409"
assert_json .error.code not-cancellable "... code not-cancellable"
api DELETE /v1/messages/m00000000000000000000000000
assert_eq 404 "$STATUS" "DELETE an unknown id: 404"
wait_until "the slow one is sent" 'test "$(sends_to 33612345606)" = 1'
sleep 0.5
assert_eq 0 "$(sends_to 33612345607)" "the cancelled message was never sent"

# ---- batches: a JSON array
post_json /v1/batches '[{"to": "0612345611", "text": "Un"}, {"to": "99", "text": "Deux"}, {"to": "0612345613", "text": "Trois"}]'
assert_eq 202 "$STATUS" "POST /v1/batches (JSON): 202"
assert_json .accepted 2 "two accepted"
assert_json '.refused[0].line' 2 "line 2 refused"
assert_json '.refused[0].error.class' input "... with its error"
batch=$(jqr .id)
wait_until "the batch is done" 'curl -sS -H "Authorization: Bearer $KEY" "$D_URL/v1/batches/$batch" | jq -e .done >/dev/null'
api GET "/v1/batches/$batch"
assert_eq 200 "$STATUS" "GET /v1/batches/ID: 200"
assert_json .statuses.accepted 2 "both accepted"
assert_eq 1 "$(sends_to 33612345611)" "row 1 sent once"
assert_eq 1 "$(sends_to 33612345613)" "row 3 sent once"
api GET /v1/batches/b_nope
assert_eq 404 "$STATUS" "an unknown batch: 404"
post_json /v1/batches '[{"to": "99", "text": "x"}]'
assert_eq 400 "$STATUS" "a batch with every row refused: 400"
assert_json '.refused | length' 1 "... listing the row"

# ---- batches: CSV with ${COLUMN}
printf 'number;name\n0612345621;Alice\n0612345622;Bob\n' >"$TMP/b.csv"
api POST '/v1/batches?text=Bonjour%20%24%7Bname%7D&ref=csv1' -H 'Content-Type: text/csv' --data-binary @"$TMP/b.csv"
assert_eq 202 "$STATUS" "POST /v1/batches (CSV): 202"
assert_json .accepted 2 "two rows accepted"
wait_until "the CSV rows reached sMsmode" 'test "$(sends_to 33612345622)" = 1'
assert_contains "$(sim_requests smsmode | jq -r '[.[] | select(tostring | contains("33612345622"))][0] | .query + (.body // "")')" "Bob" "the text is personalised"
api POST '/v1/batches?text=x' -H 'Content-Type: application/xml' --data-binary '<a/>'
assert_eq 415 "$STATUS" "a batch neither JSON nor CSV: 415"
api POST '/v1/batches' -H 'Content-Type: text/csv' --data-binary @"$TMP/b.csv"
assert_eq 400 "$STATUS" "a CSV batch without text: 400"

# ---- metrics
STATUS=$(curl -sS -o "$TMP/.m" -w '%{http_code}' "$D_URL/metrics")
assert_eq 200 "$STATUS" "GET /metrics: 200"
assert_contains "$(cat "$TMP/.m")" 'smsmuxd_http_responses_total{code="202"}' "answers counted by code"
assert_contains "$(cat "$TMP/.m")" '# TYPE smsmux_queue_recipients gauge' "queue depth exported"
assert_contains "$(cat "$TMP/.m")" 'smsmux_store_up 1' "store up"
# per provider, from the library: the messages above went through smsmode
prov() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/.m"; }
assert_eq true "$(test "$(prov 'smsmux_provider_attempts_total{provider="smsmode",result="ok"}')" -ge 1 && echo true)" \
  "per-provider attempts: smsmode's successful requests counted"
assert_eq "$(prov 'smsmux_provider_send_seconds_count{provider="smsmode"}')" \
  "$(prov 'smsmux_provider_send_seconds_bucket{provider="smsmode",le="+Inf"}')" \
  "send-time histogram: the +Inf bucket holds every send"
assert_eq true "$(test "$(prov 'smsmux_provider_send_seconds_count{provider="smsmode"}')" -ge 1 && echo true)" \
  "send-time histogram: sends counted"
assert_contains "$(cat "$TMP/.m")" '# TYPE smsmux_provider_send_seconds histogram' "histogram typed"
assert_contains "$(cat "$TMP/.m")" 'smsmux_provider_breaker_open{provider="smsmode"} 0' \
  "breaker state per provider: closed"

assert_not_contains "$(cat "$TMP/d.log")" "$KEY" "the key is never logged"
daemon_stop
assert_eq 0 "$D_RC" "SIGTERM: exit 0"
finish
