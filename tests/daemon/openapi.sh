#!/bin/sh
# docs/openapi.json describes the real service: every answer below (each
# endpoint, each status code it documents) has its status documented for
# that path and method, and its JSON body valid against the schema the
# document gives for it (tests/daemon/openapi.jq, a validator of the
# subset of OpenAPI 3.0 the document uses).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
DOC=$top_srcdir/docs/openapi.json
jq -e '.openapi | startswith("3.")' "$DOC" >/dev/null && pass "docs/openapi.json is an OpenAPI 3 document" ||
  fail "docs/openapi.json is an OpenAPI 3 document"
sim_start
receiver_start
daemon_config
sed -i -e 's/^workers = .*/workers = 1/' -e "s|^\[server\]\$|[server]\ncallback_url = $RCV/events|" "$TMP/d.ini"
printf 'hook_token = %s\n' "$HOOK_TOKEN" >>"$TMP/d.ini"
daemon_start
checked=0
status_of() { api GET "/v1/messages/$1"; jqr .status; }

# conforms TEMPLATE METHOD: the last answer ($STATUS, $OUT) against DOC
conforms() {
  _t=$1; _m=$2
  checked=$((checked + 1))
  _resp=$(jq -c --arg t "$_t" --arg m "$_m" --arg s "$STATUS" '.paths[$t][$m].responses[$s] // empty' "$DOC")
  if [ -z "$_resp" ]; then
    fail "$_m $_t $STATUS is documented" "docs/openapi.json has no response $STATUS for $_m $_t"
    return
  fi
  _schema=$(printf '%s' "$_resp" | jq -c '.content["application/json"].schema // empty')
  if [ -z "$_schema" ]; then
    pass "$_m $_t $STATUS is documented (not JSON)"
    return
  fi
  _errs=$(printf '%s' "$OUT" | jq -r --slurpfile doc "$DOC" --argjson schema "$_schema" \
    '$doc[0] as $doc | '"$(cat "$top_srcdir/tests/daemon/openapi.jq" | grep -v '^#')" 2>&1)
  assert_eq "" "$_errs" "$_m $_t $STATUS matches the document"
}
nokey() { # nokey METHOD PATH [curl args]: a request without the key
  _m=$1; _p=$2; shift 2
  STATUS=$(curl -sS -o "$TMP/.api" -w '%{http_code}' -X "$_m" "$@" "$D_URL$_p")
  OUT=$(cat "$TMP/.api")
}

nokey GET /healthz; conforms /healthz get
nokey GET /readyz; conforms /readyz get
nokey GET /metrics; conforms /metrics get

post_json /v1/messages '{"to": ["0612345601", "0612345602"], "text": "Bonjour", "ref": "o1"}'
conforms /v1/messages post
id=$(jqr .id)
wait_until "sent" 'test "$(status_of "$id")" = accepted'
post_json /v1/messages '{"to": ["0612345601", "0612345602"], "text": "Bonjour", "ref": "o1"}'
assert_eq 200 "$STATUS" "(a repeat: 200)"; conforms /v1/messages post
post_json /v1/messages '{"to": ["0612345601", "0612345602"], "text": "Autre", "ref": "o1"}'
assert_eq 409 "$STATUS" "(a conflict: 409)"; conforms /v1/messages post
post_json /v1/messages '{"to": 1}'
conforms /v1/messages post
post_json /v1/messages '{"to": "0612345603", "kind": "mms", "image_url": "https://example.com/a.jpg"}'
assert_eq 422 "$STATUS" "(no MMS provider: 422)"; conforms /v1/messages post
api POST /v1/messages -H 'Content-Type: text/plain' --data-binary x
conforms /v1/messages post
head -c 2000000 /dev/zero >"$TMP/big"
api POST /v1/messages -H 'Content-Type: application/json' --data-binary @"$TMP/big"
assert_eq 413 "$STATUS" "(too large: 413)"; conforms /v1/messages post
nokey POST /v1/messages -H 'Content-Type: application/json' --data-binary '{}'
conforms /v1/messages post

api GET /v1/messages; conforms /v1/messages get
api GET '/v1/messages?limit=5000'; conforms /v1/messages get
api GET "/v1/messages/$id"; conforms /v1/messages/{id} get
api GET /v1/messages/m0000; conforms /v1/messages/{id} get
api DELETE "/v1/messages/$id"; conforms /v1/messages/{id} delete
api DELETE /v1/messages/m0000; conforms /v1/messages/{id} delete
sim_fault smsmode slow "count=1&ms=2000"
post_json /v1/messages '{"to": "0612345604", "text": "lent"}'
slow=$(jqr .id)
wait_until "the worker is busy" 'test "$(status_of "$slow")" = sending'
post_json /v1/messages '{"to": "0612345605", "text": "annule"}'
api DELETE "/v1/messages/$(jqr .id)"
assert_eq 200 "$STATUS" "(cancel: 200)"; conforms /v1/messages/{id} delete

post_json /v1/batches '[{"to": "0612345611", "text": "a"}, {"to": "99", "text": "b"}]'
conforms /v1/batches post
batch=$(jqr .id)
post_json /v1/batches '[{"to": "99", "text": "b"}]'
conforms /v1/batches post
post_json /v1/batches '[{"to": 99}]'
conforms /v1/batches post
api POST /v1/batches -H 'Content-Type: application/xml' --data-binary '<a/>'
conforms /v1/batches post
api GET "/v1/batches/$batch"; conforms /v1/batches/{id} get
api GET /v1/batches/b_none; conforms /v1/batches/{id} get

nokey GET "/cgi-bin/sendsms?username=admin&password=$KEY&to=0612345621&text=k"
conforms /cgi-bin/sendsms get
nokey GET "/cgi-bin/sendsms?username=admin&password=no&to=0612345621&text=k"
conforms /cgi-bin/sendsms get
nokey POST "/cgi-bin/sendsms?username=admin&password=$KEY&text=k"
conforms /cgi-bin/sendsms post

# ---- tenants (issue 14): the admin paths and a tenant's own
tk() { # tk KEY METHOD PATH [curl args]: with a tenant's key
  _k=$1; _m=$2; _p=$3; shift 3
  STATUS=$(curl -sS -o "$TMP/.api" -w '%{http_code}' -X "$_m" -H "Authorization: Bearer $_k" "$@" "$D_URL$_p")
  OUT=$(cat "$TMP/.api")
}
post_json /v1/admin/tenants '{"name":"resel","low_balance":5}'; conforms /v1/admin/tenants post
post_json /v1/admin/tenants '{"name":"resel"}'; conforms /v1/admin/tenants post
post_json /v1/admin/tenants '{"name":"x","plan":"nope"}'; conforms /v1/admin/tenants post
post_json /v1/admin/tenants '{"name":"cust","parent":"resel","senders":"Shop"}'; conforms /v1/admin/tenants post
api GET /v1/admin/tenants; conforms /v1/admin/tenants get
api GET /v1/admin/tenants/resel; conforms '/v1/admin/tenants/{name}' get
api GET /v1/admin/tenants/nobody; conforms '/v1/admin/tenants/{name}' get
api PATCH /v1/admin/tenants/cust -H 'Content-Type: application/json' --data-binary '{"rate":100}'
conforms '/v1/admin/tenants/{name}' patch
post_json /v1/admin/tenants/resel/credit '{"units":10}'; conforms '/v1/admin/tenants/{name}/credit' post
post_json /v1/admin/tenants/cust/credit '{"units":3,"from":"resel"}'; conforms '/v1/admin/tenants/{name}/credit' post
post_json /v1/admin/tenants/cust/credit '{"units":300,"from":"resel"}'; conforms '/v1/admin/tenants/{name}/credit' post
post_json /v1/admin/tenants/resel/debit '{"units":1}'; conforms '/v1/admin/tenants/{name}/debit' post
post_json /v1/admin/tenants/cust/keys '{"label":"k1"}'; conforms '/v1/admin/tenants/{name}/keys' post
ckey=$(jqr .key)
api GET /v1/admin/tenants/cust/keys; conforms '/v1/admin/tenants/{name}/keys' get
tk "$ckey" GET /v1/account; conforms /v1/account get
api GET /v1/account; conforms /v1/account get
tk "$ckey" GET /v1/admin/tenants; conforms /v1/admin/tenants get
tk "$ckey" POST /v1/messages -H 'Content-Type: application/json' --data-binary '{"to":["0612345631"],"text":"t","from":"Shop"}'
conforms /v1/messages post
tk "$ckey" POST /v1/messages -H 'Content-Type: application/json' --data-binary '{"to":["0612345632"],"text":"t","from":"Bank"}'
conforms /v1/messages post
api PATCH /v1/admin/tenants/cust -H 'Content-Type: application/json' --data-binary '{"rate":0.01,"burst":1}'
tk "$ckey" POST /v1/messages -H 'Content-Type: application/json' --data-binary '{"to":["0612345633"],"text":"t","from":"Shop"}'
tk "$ckey" POST /v1/messages -H 'Content-Type: application/json' --data-binary '{"to":["0612345634"],"text":"t","from":"Shop"}'
conforms /v1/messages post
api PATCH /v1/admin/tenants/cust -H 'Content-Type: application/json' --data-binary '{"rate":0}'
tk "$ckey" POST /v1/messages -H 'Content-Type: application/json' --data-binary '{"to":["0612345635"],"text":"t","from":"Shop"}'
tk "$ckey" POST /v1/messages -H 'Content-Type: application/json' --data-binary '{"to":["0612345636"],"text":"t","from":"Shop"}'
conforms /v1/messages post
nokey GET "/cgi-bin/sendsms?username=cust&password=$ckey&to=0612345637&text=k&from=Shop"
conforms /cgi-bin/sendsms get
tk "$ckey" GET /v1/account/usage; conforms /v1/account/usage get
rkey=$(curl -sS -X POST -H "Authorization: Bearer $KEY" "$D_URL/v1/admin/tenants/resel/keys" | jq -r .key)
tk "$rkey" POST /v1/account/transfer -H 'Content-Type: application/json' --data-binary '{"to":"cust","units":1}'
conforms /v1/account/transfer post
tk "$rkey" POST /v1/account/transfer -H 'Content-Type: application/json' --data-binary '{"to":"cust","units":1000}'
conforms /v1/account/transfer post
tk "$rkey" POST /v1/account/transfer -H 'Content-Type: application/json' --data-binary '{"to":"resel","units":1}'
conforms /v1/account/transfer post
api GET /v1/admin/tenants/cust/usage; conforms '/v1/admin/tenants/{name}/usage' get
api GET /v1/admin/tenants/cust/ledger; conforms '/v1/admin/tenants/{name}/ledger' get
api GET /v1/admin/usage; conforms /v1/admin/usage get
api GET /v1/admin/ledger/check; conforms /v1/admin/ledger/check get
api DELETE /v1/admin/tenants/cust/keys/k1; conforms '/v1/admin/tenants/{name}/keys/{id}' delete
api DELETE /v1/admin/tenants/cust/keys/k1; conforms '/v1/admin/tenants/{name}/keys/{id}' delete
tk "$ckey" GET /v1/account; conforms /v1/account get
# issue 13: replies, opt-outs, hooks, and the webhooks' bodies
api GET /v1/replies; conforms /v1/replies get
api GET '/v1/replies?limit=0'; conforms /v1/replies get
post_json /v1/optouts '{"number": "0612345690"}'
assert_eq 201 "$STATUS" "(opt-out: 201)"; conforms /v1/optouts post
post_json /v1/optouts '{"number": "0612345690"}'
assert_eq 200 "$STATUS" "(again: 200)"; conforms /v1/optouts post
post_json /v1/optouts '{"number": "x"}'; conforms /v1/optouts post
api POST /v1/optouts -H 'Content-Type: text/plain' --data-binary x; conforms /v1/optouts post
api GET /v1/optouts; conforms /v1/optouts get
api GET '/v1/optouts?limit=0'; conforms /v1/optouts get
api DELETE /v1/optouts/+33612345690; conforms /v1/optouts/{number} delete
api DELETE /v1/optouts/+33612345690; conforms /v1/optouts/{number} delete
post_json /v1/messages '{"to": "0612345691", "text": "hook"}'
hid=$(jqr .id)
wait_until "accepted" 'test "$(status_of "$hid")" = accepted'
api GET "/v1/messages/$hid"
sms=$(jqr '.recipients[0].provider_id')
H=/hooks/smsmode/$HOOK_TOKEN
nokey GET "$H/dlr?numero=33612345691&date_reception=2026-12-05+10%3A00%3A00&statut=11&smsID=$sms&mcc_mnc=20801"
assert_eq 200 "$STATUS" "(a report: 200)"; conforms '/hooks/{provider}/{token}/dlr' get
nokey POST "$H/dlr" -d "numero=33612345691&statut=11&smsID=$sms"; conforms '/hooks/{provider}/{token}/dlr' post
nokey GET "$H/dlr?numero=33612345691"; conforms '/hooks/{provider}/{token}/dlr' get
nokey GET "/hooks/smsmode/wrong-token-0123/dlr?statut=11&smsID=$sms"; conforms '/hooks/{provider}/{token}/dlr' get
nokey PUT "$H/dlr"; conforms '/hooks/{provider}/{token}/dlr' get
nokey GET "$H/mo?numero=36034&message=Merci&emetteur=33612345691&date_reception=05122026-100000&smsID=$sms&refClient=&responseID=r1"
conforms '/hooks/{provider}/{token}/mo' get
nokey POST "/hooks/smsmode/wrong-token-0123/mo" -d 'message=x'; conforms '/hooks/{provider}/{token}/mo' post
api GET /v1/replies; conforms /v1/replies get
assert_json '.replies | length' 1 "(one reply listed)"
api GET "/v1/messages/$hid"; conforms /v1/messages/{id} get
wait_until "the reply's webhook" \
  '[ "$(rcv_lines /events | jq -s "[.[] | select(.answered == 200) | .body | fromjson | .type] | unique | length")" = 2 ]'
schema=$(jq -c '.components.schemas.WebhookEvent' "$DOC")
n=0
for b in $(rcv_lines /events | jq -r '.body | @base64'); do
  n=$((n + 1))
  _errs=$(printf '%s' "$b" | base64 -d | jq -r --slurpfile doc "$DOC" --argjson schema "$schema" \
    '$doc[0] as $doc | '"$(grep -v '^#' "$top_srcdir/tests/daemon/openapi.jq")" 2>&1)
  assert_eq "" "$_errs" "webhook body $n matches components.schemas.WebhookEvent"
done

assert_eq yes "$([ $checked -ge 40 ] && echo yes)" "$checked answers checked"
daemon_stop
finish
