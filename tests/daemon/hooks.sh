#!/bin/sh
# What providers push, received at /hooks/NAME/TOKEN/dlr|mo (issue 13): a
# message sent through smsmuxd ends `delivered` through the reports the
# simulator pushes to the notification URL the send carried; its history
# shows every step; the application gets each event as a webhook signed
# with [server] webhook_secret ([server] callback_url: the operator's
# default target).  The two notifications of the sMsmode guide (items 11
# and 12), sent byte for byte, are recorded.  A wrong token is 404 and
# changes nothing, and no token reaches the log.  A report that arrives
# before the send's answer is kept and applied once the answer is in.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
command -v openssl >/dev/null 2>&1 || { echo "openssl is needed to check signatures"; exit 77; }
hooks_up "callback_url = @RCV@/events
webhook_secret = $WEBHOOK_SECRET"
HOOK=$D_URL/hooks/smsmode/$HOOK_TOKEN
events_of() { rcv_lines /events | jq -c --arg m "$1" 'select((.body | fromjson | .message_id) == $m)'; }

# ---- (a) sent, pushed reports, delivered, signed webhooks -------------------
post_json /v1/messages '{"to": "0612345678", "text": "Bonjour"}'
assert_eq 202 "$STATUS" "submit: 202"
id=$(jqr .id)
assert_json .callback_url "$RCV/events" "no callback_url given: [server] callback_url"
wait_until "accepted" 'test "$(status_of "$id")" = accepted'
api GET "/v1/messages/$id"
sms_id=$(jqr '.recipients[0].provider_id')
assert_eq "$HOOK/dlr $HOOK/mo" \
  "$(sim_ctl GET "messages?provider=smsmode&id=$sms_id" | jq -r '.[0] | "\(.notification_url) \(.notification_url_reponse)"')" \
  "the send carried public_url/hooks/smsmode/TOKEN/dlr and .../mo"
sim_ctl POST "advance?provider=smsmode" >/dev/null
wait_until "sent (statut 13 pushed)" 'test "$(status_of "$id")" = sent'
sim_ctl POST "advance?provider=smsmode" >/dev/null
wait_until "delivered (statut 11 pushed)" 'test "$(status_of "$id")" = delivered'
assert_eq true "$(sim_ctl GET pushes | jq --arg h "$HOOK/dlr" '[.[] | select(.url | startswith($h))] | length == 2 and all(.delivered and .last_status == 200)')" \
  "the simulator's two pushes were answered 200"
api GET "/v1/messages/$id"
assert_json '[.recipients[0].history[].status] | .[-3:] | join(",")' "accepted,sent,delivered" \
  "history: accepted, sent, delivered (oldest first)"
assert_json '.recipients[0].history[-1] | "\(.provider) \(.provider_id) \(.code)"' "smsmode $sms_id 11" \
  "history: the report's provider, provider id and raw code"
assert_json '[.recipients[0].history[].at | type] | unique | join(",")' "string" "history: each step has its time"
hist=$(jqr '[.recipients[0].history[].status] | join(",")')
rcv_wait "$(jqr '.recipients[0].history | length')" /events
got=$(events_of "$id" | jq -rs '[.[] | select(.answered == 200) | .body | fromjson | .status] | join(",")')
assert_eq "$hist" "$got" "one webhook per step of the history, in order"
line=$(events_of "$id" | jq -cs '[.[] | select((.body | fromjson | .status) == "delivered")][0]')
printf '%s' "$line" | jq -j .body >"$TMP/body"
assert_eq "POST" "$(printf '%s' "$line" | jq -r .method)" "webhook: a POST"
assert_eq "application/json" "$(printf '%s' "$line" | jq -r "$(header content-type)")" "webhook: JSON"
want="sha256=$(openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" <"$TMP/body" | sed 's/^.*= *//')"
assert_eq "$want" "$(printf '%s' "$line" | jq -r "$(header x-smsmux-signature)")" \
  "webhook: X-Smsmux-Signature is the HMAC-SHA256 of the exact body with webhook_secret"
assert_eq "$(jq -r .event "$TMP/body")" "$(printf '%s' "$line" | jq -r "$(header x-smsmux-event)")" \
  "webhook: X-Smsmux-Event is the event's id"
assert_eq "status $id +33612345678 delivered smsmode $sms_id 11" \
  "$(jq -r '"\(.type) \(.message_id) \(.to) \(.status) \(.provider) \(.provider_id) \(.code)"' "$TMP/body")" \
  "webhook: the delivered event's fields"
assert_eq 1 "$(events_of "$id" | jq -s '[.[] | .body | fromjson | .event] | unique | length == length' | grep -c true)" \
  "webhook: each event has its own id"

# ---- (d) a wrong token: 404, nothing changed ----------------------------------
post_json /v1/messages '{"to": "0612345679", "text": "Deux"}'
id2=$(jqr .id)
wait_until "accepted" 'test "$(status_of "$id2")" = accepted'
api GET "/v1/messages/$id2"
sms2=$(jqr '.recipients[0].provider_id')
before=$OUT
h2=$(jqr '.recipients[0].history | length')
wait_until "its $h2 webhooks" '[ "$(events_of "$id2" | jq -s "[.[] | select(.answered == 200)] | length")" -ge "$h2" ]'
n_events=$(wc -l <"$RCV_LOG")
q="numero=33612345679&date_reception=2026-12-05+10%3A00%3A00&statut=11&smsID=$sms2&refClient=&mcc_mnc=20801"
for url in "$D_URL/hooks/smsmode/wrong-token-0123456789/dlr" "$D_URL/hooks/smsmode/$HOOK_TOKEN-x/dlr" \
           "$D_URL/hooks/nosuch/$HOOK_TOKEN/dlr" "$D_URL/hooks/smsmode//dlr"; do
  assert_eq 404 "$(curl -sS -o /dev/null -w '%{http_code}' "$url?$q")" "a wrong token or instance: 404 (${url#"$D_URL"})"
done
assert_eq 404 "$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d "$q" "$D_URL/hooks/smsmode/wrong-token-0123456789/mo")" \
  "a wrong token on /mo (POST): 404"
sleep 0.5
api GET "/v1/messages/$id2"
assert_eq "$before" "$OUT" "a wrong token: the message is as it was"
assert_eq "$n_events" "$(wc -l <"$RCV_LOG")" "a wrong token: no webhook"
assert_eq 400 "$(curl -sS -o /dev/null -w '%{http_code}' "$HOOK/dlr?numero=33612345679")" \
  "the right token, not sMsmode's format: 400"
# the same report with the right token, posted as a form this time
assert_eq 200 "$(curl -sS -o /dev/null -w '%{http_code}' -d "$q" "$HOOK/dlr")" "the right token (form POST): 200"
wait_until "delivered" 'test "$(status_of "$id2")" = delivered'
assert_eq 200 "$(curl -sS -o /dev/null -w '%{http_code}' "$HOOK/dlr?$q")" "the same report again: 200"
api GET "/v1/messages/$id2"
assert_eq 1 "$(jqr '[.recipients[0].history[] | select(.status == "delivered")] | length')" \
  "the same report twice: one delivered step"
q13="numero=33612345679&date_reception=2026-12-05+10%3A00%3A01&statut=13&smsID=$sms2&refClient=&mcc_mnc=20801"
assert_eq 200 "$(curl -sS -o /dev/null -w '%{http_code}' "$HOOK/dlr?$q13")" "a late 'sent' report: 200"
assert_eq delivered "$(status_of "$id2")" "a late report never moves a final status back"
# the access log: hook paths without their token
assert_contains "$(cat "$TMP/d.log")" "GET /hooks/smsmode/-/dlr 200" "the access log shows hook paths with the token as -"
assert_contains "$(cat "$TMP/d.log")" "GET /hooks/smsmode/-/dlr 404" "... wrong tokens too"
assert_not_contains "$(cat "$TMP/d.log")" "$HOOK_TOKEN" "the hook token is never logged"
assert_not_contains "$(cat "$TMP/d.log")" "wrong-token" "a wrong token is never logged either"

# ---- (b) the sMsmode guide's two examples, byte for byte ----------------------
# The guide's report is about its message S7EpYZ5kmS87 and its reply about
# abcd1234: the simulator answers the sends with those ids.
sim_fault smsmode answer "count=1&type=text/plain&body_hex=$(printf "0 | Accept\351 | S7EpYZ5kmS87" | od -An -tx1 | tr -d " \n")"
post_json /v1/messages '{"to": "0611223344", "text": "Bonjour test"}'
gid=$(jqr .id)
wait_until "accepted as S7EpYZ5kmS87" 'test "$(status_of "$gid")" = accepted'
api GET "/v1/messages/$gid"
assert_json '.recipients[0].provider_id' S7EpYZ5kmS87 "(the guide's smsID)"
# item 11, the report as the guide prints it (its numero is a placeholder)
assert_eq 200 "$(curl -sS -o /dev/null -w '%{http_code}' "$HOOK/dlr?numero=336xxyyzzaa&date_reception=2010-03-25+09%3A52%3A17&statut=11&smsID=S7EpYZ5kmS87&refClient=12azer34&mcc_mnc=20801")" \
  "the guide's delivery report: 200"
wait_until "delivered" 'test "$(status_of "$gid")" = delivered'
api GET "/v1/messages/$gid"
assert_json '.recipients[0].history[-1] | "\(.status) \(.provider_id) \(.code)"' "delivered S7EpYZ5kmS87 11" \
  "the guide's report in the history"
rcv_wait 1 /events >/dev/null
i=0; until [ "$(events_of "$gid" | jq -rs '[.[] | select(.answered == 200) | .body | fromjson | .status][-1]')" = delivered ] || [ $i -gt 200 ]; do sleep 0.05; i=$((i+1)); done
assert_eq delivered "$(events_of "$gid" | jq -rs '[.[] | select(.answered == 200) | .body | fromjson | .status][-1]')" \
  "the guide's report: a delivered webhook"
# item 12, the reply
sim_fault smsmode answer "count=1&type=text/plain&body_hex=$(printf "0 | Accept\351 | abcd1234" | od -An -tx1 | tr -d " \n")"
post_json /v1/messages '{"to": "+33601020304", "text": "Une question ?"}'
rid=$(jqr .id)
wait_until "accepted as abcd1234" 'test "$(status_of "$rid")" = accepted'
assert_eq 200 "$(curl -sS -o /dev/null -w '%{http_code}' "$HOOK/mo?numero=36034&message=bonjour&emetteur=33601020304&date_reception=01012013-122233&smsID=abcd1234&refClient=monclient123&responseID=azertyu123")" \
  "the guide's reply: 200"
api GET /v1/replies
assert_eq 200 "$STATUS" "GET /v1/replies: 200"
assert_json '.replies[0] | "\(.from) \(.to) \(.text) \(.provider) \(.message_id)"' "+33601020304 36034 bonjour smsmode $rid" \
  "the guide's reply in GET /v1/replies, matched to the message it answers"
assert_eq 200 "$(curl -sS -o /dev/null -w '%{http_code}' "$HOOK/mo?numero=36034&message=bonjour&emetteur=33601020304&date_reception=01012013-122233&smsID=abcd1234&refClient=monclient123&responseID=azertyu123")" \
  "the same reply again: 200"
api GET /v1/replies
assert_json '[.replies[] | select(.text == "bonjour")] | length' 1 "the same reply twice: recorded once"
i=0; until [ -n "$(rcv_lines /events | jq -c 'select(.answered == 200) | select((.body | fromjson | .type) == "reply")')" ] || [ $i -gt 300 ]; do sleep 0.05; i=$((i+1)); done
reply=$(rcv_lines /events | jq -c 'select(.answered == 200) | select((.body | fromjson | .type) == "reply")' | head -n 1)
printf '%s' "$reply" | jq -j .body >"$TMP/rbody"
assert_eq "reply $rid +33601020304 bonjour" "$(jq -r '"\(.type) \(.message_id) \(.from) \(.text)"' "$TMP/rbody" 2>&1)" \
  "the reply reaches the application as a webhook"
want="sha256=$(openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" <"$TMP/rbody" | sed 's/^.*= *//')"
assert_eq "$want" "$(printf '%s' "$reply" | jq -r "$(header x-smsmux-signature)")" "the reply webhook is signed"

# ---- (e) reports before the send's answer ---------------------------------------
# The simulator accepts the send at once and answers 3 s later; meanwhile
# it pushes both reports: they are kept, then applied with the answer.
sim_fault smsmode slow "count=1&ms=3000"
post_json /v1/messages '{"to": "0612345680", "text": "Lent"}'
eid=$(jqr .id)
i=0
until [ "$(sim_ctl GET 'messages?provider=smsmode' | jq '[.[] | select(tostring | contains("33612345680"))] | length')" -ge 1 ] || [ $i -gt 100 ]; do
  sleep 0.05; i=$((i + 1))
done
sim_ctl POST "advance?provider=smsmode" >/dev/null
sim_ctl POST "advance?provider=smsmode" >/dev/null
i=0
until [ "$(sim_ctl GET pushes | jq '[.[] | select(.url | contains("numero=33612345680")) | select(.delivered)] | length')" -ge 2 ] || [ $i -gt 100 ]; do
  sleep 0.05; i=$((i + 1))
done
assert_eq sending "$(status_of "$eid")" "both reports were answered before the send's answer (still sending)"
wait_until "delivered once the answer is in" 'test "$(status_of "$eid")" = delivered'
api GET "/v1/messages/$eid"
assert_json '[.recipients[0].history[].status] | .[-3:] | join(",")' "accepted,sent,delivered" \
  "the early reports follow the send's answer in the history"

daemon_stop
assert_eq 0 "$D_RC" "smsmuxd drains and exits 0"
finish
