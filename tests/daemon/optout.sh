#!/bin/sh
# Opt-out (issue 13): a STOP reply, pushed by the simulator to the reply
# URL the send carried, opts the number out (GET /v1/optouts); a later send
# to it is refused for that recipient alone (`rejected`, code `opt-out`)
# and the provider gets nothing for it; a START reply lifts it.  The reply
# reaches the application as a webhook.  POST/DELETE /v1/optouts manage
# the list by hand.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
hooks_up "callback_url = @RCV@/events"

post_json /v1/messages '{"to": "0612345678", "text": "Promo ! STOP au 36034"}'
id=$(jqr .id)
wait_until "accepted" 'test "$(status_of "$id")" = accepted'
api GET "/v1/messages/$id"
sms_id=$(jqr '.recipients[0].provider_id')
api GET /v1/optouts
assert_eq 200 "$STATUS" "GET /v1/optouts: 200"
assert_json '.optouts | length' 0 "no opt-out yet"

sim_ctl POST "reply?provider=smsmode&from=33612345678&text=Stop&message_id=$sms_id" >/dev/null
wait_until "the STOP reply recorded as an opt-out" \
  '{ api GET /v1/optouts; [ "$(jqr ".optouts | length")" = 1 ]; }'
assert_json '.optouts[0] | "\(.number) \(.source)"' "+33612345678 reply" "GET /v1/optouts: the number, from a reply"
api GET /v1/replies
assert_json '.replies[0] | "\(.from) \(.text) \(.message_id)"' "+33612345678 Stop $id" "the STOP reply in GET /v1/replies"
wait_until "the reply webhook" \
  '[ -n "$(rcv_lines /events | jq -c "select(.answered == 200) | select((.body | fromjson | .type) == \"reply\")")" ]'
assert_eq "+33612345678 Stop $id" \
  "$(rcv_lines /events | jq -r 'select((.body | fromjson | .type) == "reply") | .body | fromjson | "\(.from) \(.text) \(.message_id)"' | head -n 1)" \
  "the reply reaches the application"

before=$(sends_to 33612345678)
post_json /v1/messages '{"to": ["0612345678", "0698765432"], "text": "Encore une promo"}'
assert_eq 202 "$STATUS" "a send to an opted-out number and another: 202"
id2=$(jqr .id)
wait_until "settled" 'api GET "/v1/messages/$id2"; [ "$(jqr "[.recipients[].status] | sort | join(\",\")")" = "accepted,rejected" ]'
assert_json '.recipients[] | select(.to == "+33612345678") | "\(.status) \(.code)"' "rejected opt-out" \
  "the opted-out recipient: rejected, code opt-out"
assert_json '.recipients[] | select(.to == "+33698765432") | .status' accepted "the other recipient: sent"
assert_eq "$before" "$(sends_to 33612345678)" "the simulator got nothing for the opted-out number"
assert_eq 1 "$(sends_to 33698765432)" "... and the other number's send"

sim_ctl POST "reply?provider=smsmode&from=33612345678&text=START&message_id=$sms_id" >/dev/null
wait_until "START lifts the opt-out" '{ api GET /v1/optouts; [ "$(jqr ".optouts | length")" = 0 ]; }'
post_json /v1/messages '{"to": "0612345678", "text": "Bon retour"}'
id3=$(jqr .id)
wait_until "accepted" 'test "$(status_of "$id3")" = accepted'
assert_eq $((before + 1)) "$(sends_to 33612345678)" "after START: sent again"

# by hand
post_json /v1/optouts '{"number": "06 11 11 11 11"}'
assert_eq 201 "$STATUS" "POST /v1/optouts: 201"
post_json /v1/optouts '{"number": "+33611111111"}'
assert_eq 200 "$STATUS" "POST /v1/optouts again: 200 (already opted out)"
api GET /v1/optouts
assert_json '.optouts | map("\(.number) \(.source)") | join(",")' "+33611111111 api" "GET /v1/optouts: the number, normalised, from the API"
post_json /v1/optouts '{"number": "nope"}'
assert_eq "400 bad-number" "$STATUS $(jqr .error.code)" "POST /v1/optouts, not a number: 400 bad-number"
post_json /v1/optouts '{"numero": "+33611111111"}'
assert_eq 400 "$STATUS" "POST /v1/optouts, another field: 400"
api DELETE /v1/optouts/+33611111111
assert_eq 200 "$STATUS" "DELETE /v1/optouts/NUMBER: 200"
api DELETE /v1/optouts/%2B33611111111
assert_eq 404 "$STATUS" "DELETE again: 404"
api GET /v1/optouts
assert_json '.optouts | length' 0 "GET /v1/optouts: empty again"
api PUT /v1/optouts
assert_eq 405 "$STATUS" "PUT /v1/optouts: 405"
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' "$D_URL/v1/optouts")
assert_eq 401 "$STATUS" "GET /v1/optouts without the key: 401"
daemon_stop
finish
