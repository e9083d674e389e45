#!/bin/sh
# Tenants in smsmuxd (issue 14): keys, units, plans, refunds, rate limits,
# isolation, administration over /v1/admin/tenants and `smsmux tenant`.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
sim_start
daemon_config - <<'INI'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 5
[server]
listen = 127.0.0.1:0
admin_key = @KEY@
workers = 4
[plan.gold]
sms = 2
sms.+32 = 5
sms.+324 = 7
refund = undelivered
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
INI
daemon_start


# ---- administration over HTTP (admin key) and the CLI
post_json /v1/admin/tenants '{"name":"acme","plan":"gold"}'
assert_eq 201 "$STATUS" "POST /v1/admin/tenants: 201"
assert_json '.name + " " + .plan + " " + (.balance|tostring)' "acme gold 0" "the new tenant's document"
post_json /v1/admin/tenants '{"name":"acme"}'
assert_eq 409 "$STATUS" "the same name twice: 409"
post_json /v1/admin/tenants '{"name":"x","plan":"platinum"}'
assert_eq 400 "$STATUS" "an unknown plan: 400"
assert_contains "$OUT" "[plan.platinum]" "the error says which section to add"
CLI tenant add other
assert_eq 0 "$RC" "smsmux tenant add other"
post_json /v1/admin/tenants/acme/credit '{"units":100}'
assert_eq 200 "$STATUS" "credit over HTTP"
assert_json .balance 100 "balance 100"
post_json /v1/admin/tenants/acme/keys '{"label":"main"}'
assert_eq 201 "$STATUS" "a key: 201"
AKEY=$(jqr .key); AKEY_ID=$(jqr .id)
assert_contains "$AKEY" smk_ "the key is shown once"
CLI --json tenant key add other
OKEY=$(jqr .key)
CLI tenant credit other 50
assert_eq 0 "$RC" "smsmux tenant credit other 50"

# ---- a tenant's key: its account, its messages only
tapi "$AKEY" GET /v1/account
assert_eq 200 "$STATUS" "GET /v1/account with the tenant's key"
assert_json '.name + " " + (.balance|tostring)' "acme 100" "the account is the key's tenant"
assert_not_contains "$OUT" "$AKEY" "the account does not show the key"
tapi "$AKEY" GET /v1/admin/tenants
assert_eq 403 "$STATUS" "a tenant's key on /v1/admin: 403"
tapi "smk_notakey" GET /v1/account
assert_eq 401 "$STATUS" "an unknown key: 401"

# units on the plan: +33 2 units, +32 5, +324 7 (longest prefix)
tsend "$AKEY" +33612340001
assert_eq 202 "$STATUS" "acme sends: 202"
assert_json .units 2 "units on plan gold for +33: 2"
AID=$(jqr .id)
tsend "$AKEY" +32470000001
assert_json .units 7 "+324...: the longest prefix sms.+324 = 7"
tsend "$AKEY" +32270000001
assert_json .units 5 "+322...: sms.+32 = 5"
tapi "$AKEY" POST /v1/messages -H 'Content-Type: application/json' \
  --data-binary '{"to":["+33612340002","+32470000002"],"text":"mixed"}'
assert_eq 400 "$STATUS" "recipients priced differently in one message: 400"
assert_json .error.code mixed-prices "code mixed-prices"
tapi "$AKEY" GET /v1/account
assert_json .balance 86 "balance 100 - 2 - 7 - 5 = 86"
CLI route --tenant acme --to +32470000003 --text hi
assert_contains "$OUT" "units: 7 for tenant acme" "smsmux route --tenant shows the units"

# isolation: another tenant's id answers 404, and so does its cancel
tsend "$OKEY" +33612340003
assert_eq 202 "$STATUS" "other sends (no plan: 1 unit)"
assert_json .units 1 "no plan: 1 unit a segment"
OID=$(jqr .id)
tapi "$AKEY" GET "/v1/messages/$OID"
assert_eq 404 "$STATUS" "acme reads other's message: 404"
tapi "$AKEY" DELETE "/v1/messages/$OID"
assert_eq 404 "$STATUS" "acme cancels other's message: 404"
tapi "$OKEY" GET "/v1/messages/$OID"
assert_eq 200 "$STATUS" "other reads its own message"
tapi "$AKEY" GET "/v1/messages?limit=100"
assert_eq 0 "$(jqr "[.messages[] | select(.id == \"$OID\")] | length")" "acme's list leaves other's message out"
api GET "/v1/messages/$AID"
assert_eq 404 "$STATUS" "the admin key is the operator: a tenant's message is not its own"

# opt-outs and replies are the tenant's own too
tapi "$AKEY" POST /v1/optouts -H 'Content-Type: application/json' --data-binary '{"number":"+33612340099"}'
assert_eq 201 "$STATUS" "acme opts a number out"
tapi "$OKEY" GET /v1/optouts
assert_eq 0 "$(jqr '.optouts | length')" "other does not see acme's opt-outs"
tapi "$OKEY" DELETE /v1/optouts/+33612340099
assert_eq 404 "$STATUS" "nor lift them: 404"
tapi "$AKEY" GET /v1/optouts
assert_eq "+33612340099" "$(jqr '.optouts[0].number')" "acme sees its own"
tapi "$OKEY" GET /v1/replies
assert_eq 200 "$STATUS" "GET /v1/replies with a tenant's key"

# ---- senders and routes: 403
api PATCH /v1/admin/tenants/other -H 'Content-Type: application/json' --data-binary '{"senders":"Shop,Info"}'
assert_eq 200 "$STATUS" "PATCH senders"
tsend "$OKEY" +33612340004 ',"from":"Bank"'
assert_eq 403 "$STATUS" "a sender not allowed: 403"
assert_json .error.code sender-not-allowed "code sender-not-allowed"
tsend "$OKEY" +33612340004 ',"from":"Shop"'
assert_eq 202 "$STATUS" "an allowed sender: 202"
api PATCH /v1/admin/tenants/other -H 'Content-Type: application/json' --data-binary '{"routes":"premium"}'
tsend "$OKEY" +33612340005 ',"from":"Shop"'
assert_eq 403 "$STATUS" "a route not allowed: 403"
assert_json .error.code route-not-allowed "code route-not-allowed"
api PATCH /v1/admin/tenants/other -H 'Content-Type: application/json' --data-binary '{"routes":""}'

# ---- the rate limit: 429 with Retry-After
api PATCH /v1/admin/tenants/other -H 'Content-Type: application/json' --data-binary '{"rate":0.5,"burst":2}'
tsend "$OKEY" +33612340006 ',"from":"Shop"'; s1=$STATUS
tsend "$OKEY" +33612340007 ',"from":"Shop"'; s2=$STATUS
tsend "$OKEY" +33612340008 ',"from":"Shop"'
assert_eq "202 202 429" "$s1 $s2 $STATUS" "burst 2 at 0.5/s: the third answers 429"
assert_json .error.code rate-limited "code rate-limited"
ra=$(tr -d '\r' <"$TMP/.hdr" | sed -n 's/^[Rr]etry-[Aa]fter: //p')
assert_eq 2 "$ra" "Retry-After: 2 (one token at 0.5/s)"
assert_eq 0 "$(sends_to 33612340008)" "the refused message never reached the provider"
api PATCH /v1/admin/tenants/other -H 'Content-Type: application/json' --data-binary '{"rate":0}'

# ---- keys: revocation takes effect at once; disabled tenants are refused
post_json /v1/admin/tenants/other/keys '{"label":"second"}'
OKEY2=$(jqr .key)
tapi "$OKEY2" GET /v1/account
assert_eq 200 "$STATUS" "the second key works"
CLI tenant key revoke other second
assert_eq 0 "$RC" "smsmux tenant key revoke other second"
tapi "$OKEY2" GET /v1/account
assert_eq 401 "$STATUS" "the revoked key is refused at once"
tapi "$OKEY" GET /v1/account
assert_eq 200 "$STATUS" "the other key still works"
CLI tenant disable other
tapi "$OKEY" GET /v1/account
assert_eq 401 "$STATUS" "a disabled tenant's key is refused"
CLI tenant enable other
tapi "$OKEY" GET /v1/account
assert_eq 200 "$STATUS" "enabled again"

# ---- 402: units short, nothing queued
CLI tenant add poor
CLI --json tenant key add poor
PKEY=$(jqr .key)
tsend "$PKEY" +33612340009
assert_eq 402 "$STATUS" "no units: 402"
assert_json .error.code insufficient-units "code insufficient-units"
assert_contains "$(jqr .error.message)" "smsmux tenant credit poor" "the error says how to get units"
sleep 1
assert_eq 0 "$(sends_to 33612340009)" "nothing queued, nothing sent"

# ---- Kannel: username = tenant, password = key
k() { STATUS=$(curl -sS -o "$TMP/.k" -w '%{http_code}' "$D_URL/cgi-bin/sendsms?$1") || STATUS="curl failed"; OUT=$(cat "$TMP/.k"); }
k "username=acme&password=$AKEY&to=0612340010&text=Hi"
assert_eq 202 "$STATUS" "Kannel: a tenant's name and key: 202"
k "username=other&password=$AKEY&to=0612340011&text=Hi"
assert_eq 403 "$STATUS" "Kannel: a key under another tenant's name: 403"
k "username=poor&password=$PKEY&to=0612340012&text=Hi"
assert_eq 402 "$STATUS" "Kannel: no units: 402"
wait_until "the Kannel message reached sMsmode" 'test "$(sends_to 33612340010)" = 1'
tapi "$AKEY" GET /v1/account
assert_json .balance 84 "the Kannel message was charged (2 units)"

# ---- keys never in the store, the logs or --json (but in the one answer)
CLI --json tenant show acme
assert_not_contains "$OUT" "$AKEY" "tenant show --json: no key"
CLI --json tenant list
assert_not_contains "$OUT" "$AKEY" "tenant list --json: no key"
leaks=$(grep -rl -a -F "$AKEY" "$TMP/state" "$TMP/d.log" 2>/dev/null)
assert_eq "" "$leaks" "the key is in no file of the store and not in the log"
leaks=$(grep -rl -a -F "$OKEY2" "$TMP/state" "$TMP/d.log" 2>/dev/null)
assert_eq "" "$leaks" "nor the revoked one"

CLI tenant check
assert_eq 0 "$RC" "smsmux tenant check: the ledger is exact"
assert_contains "$OUT" "ledger exact" "it says so"
finish
