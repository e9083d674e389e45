#!/bin/sh
# A tenant's events (issues 13 and 14): its messages report to its own
# callback URL, signed with its own webhook secret; an undelivered report
# refunds when its plan says `refund = undelivered` (and not otherwise);
# a recipient refused as opted out is refunded; a charge that takes the
# balance below the tenant's threshold sends one low-balance event.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
command -v openssl >/dev/null 2>&1 || { echo "openssl is needed to check signatures"; exit 77; }
hooks_up "webhook_secret = $WEBHOOK_SECRET" "[plan.gold]
sms = 2
refund = undelivered
[plan.plain]
sms = 2"
TSECRET=tenant-secret-0123456789

CLI tenant add gold --plan gold --callback-url "$RCV/gold" --webhook-secret "$TSECRET" --low-balance 5
CLI tenant credit gold 10
CLI --json tenant key add gold
GKEY=$(jqr .key)
CLI tenant add plain --plan plain
CLI tenant credit plain 10
CLI --json tenant key add plain
PKEY=$(jqr .key)

# ---- undelivered reports: refunded on plan gold, not on plan plain
tsend "$GKEY" 0612345634
gid=$(jqr .id)
assert_eq "$RCV/gold" "$(jqr .callback_url)" "a message naming no callback takes the tenant's"
tsend "$PKEY" 0612345634
pid=$(jqr .id)
wait_until "both accepted" 'test "$(tstatus "$GKEY" "$gid")" = accepted && test "$(tstatus "$PKEY" "$pid")" = accepted'
assert_eq "8 8" "$(balance gold) $(balance plain)" "2 units reserved each"
sim_ctl POST "advance?provider=smsmode" >/dev/null
sim_ctl POST "advance?provider=smsmode" >/dev/null
wait_until "gold's message undelivered" 'test "$(tstatus "$GKEY" "$gid")" = undelivered'
wait_until "plain's message undelivered" 'test "$(tstatus "$PKEY" "$pid")" = undelivered'
assert_eq 10 "$(balance gold)" "refund = undelivered: the units came back"
assert_eq 8 "$(balance plain)" "a plan without refund: they did not"

# ---- the tenant's webhooks: its callback URL, its secret
wait_until "the undelivered event reached gold's URL" \
  '[ "$(rcv_lines /gold | jq -s "[.[] | select(.answered == 200) | select((.body | fromjson | .status) == \"undelivered\")] | length")" -ge 1 ]'
line=$(rcv_lines /gold | jq -cs '[.[] | select(.answered == 200) | select((.body | fromjson | .status) == "undelivered")][0]')
printf '%s' "$line" | jq -j .body >"$TMP/body"
assert_eq "$gid" "$(jq -r .message_id "$TMP/body")" "the undelivered event of gold's message reached gold's callback URL"
want="sha256=$(openssl dgst -sha256 -hmac "$TSECRET" <"$TMP/body" | sed 's/^.*= *//')"
assert_eq "$want" "$(printf '%s' "$line" | jq -r "$(header x-smsmux-signature)")" \
  "signed with the tenant's own webhook secret"
assert_eq 0 "$(rcv_lines /gold | jq -s "[.[] | select((.body | fromjson | .message_id) == \"$pid\")] | length")" \
  "plain's events did not go to gold's URL"

# ---- an opted-out recipient is refunded
tapi "$GKEY" POST /v1/optouts -H 'Content-Type: application/json' --data-binary '{"number":"0612345699"}'
assert_eq 201 "$STATUS" "gold opts a number out"
tsend "$GKEY" 0612345699
oid=$(jqr .id)
wait_until "the opted-out recipient is rejected" 'test "$(tstatus "$GKEY" "$oid")" = rejected'
tapi "$GKEY" GET "/v1/messages/$oid"
assert_eq opt-out "$(jqr .recipients[0].code)" "code opt-out"
assert_eq 10 "$(balance gold)" "the opted-out recipient's units came back"
assert_eq 0 "$(sends_to 33612345699)" "nothing was sent to it"

# ---- the low-balance event: 10 -> 8 -> 6 -> 4 (below 5): one event
tsend "$GKEY" 0612345601
tsend "$GKEY" 0612345602
assert_eq 0 "$(rcv_lines /gold | jq -s '[.[] | select((.body | fromjson | .type) == "low_balance")] | length')" \
  "6 units: no event yet"
tsend "$GKEY" 0612345603
assert_eq 202 "$STATUS" "the submit whose charge crosses the threshold: 202"
wait_until "the low-balance event" '[ "$(rcv_lines /gold | jq -s "[.[] | select((.body | fromjson | .type) == \"low_balance\")] | length")" -ge 1 ]'
ev=$(rcv_lines /gold | jq -cs '[.[] | select((.body | fromjson | .type) == "low_balance")][0]')
printf '%s' "$ev" | jq -j .body >"$TMP/lb"
assert_eq "gold 4 5" "$(jq -r '"\(.tenant) \(.balance) \(.threshold)"' "$TMP/lb")" "tenant, balance 4, threshold 5"
want="sha256=$(openssl dgst -sha256 -hmac "$TSECRET" <"$TMP/lb" | sed 's/^.*= *//')"
assert_eq "$want" "$(printf '%s' "$ev" | jq -r "$(header x-smsmux-signature)")" "the event is signed with the tenant's secret"
tsend "$GKEY" 0612345604
assert_eq 202 "$STATUS" "the next submit: 202 (the service still answers)"
sleep 0.5
assert_eq 1 "$(rcv_lines /gold | jq -s '[.[] | select((.body | fromjson | .type) == "low_balance")] | length')" \
  "below the threshold already: no second event"
wait_until "the last message charged" 'test "$(balance gold)" = 2'
CLI tenant credit gold 10
CLI tenant debit gold 8
assert_eq 0 "$RC" "debit 8: 12 -> 4"
wait_until "a debit below the threshold: a second event" '[ "$(rcv_lines /gold | jq -s "[.[] | select((.body | fromjson | .type) == \"low_balance\")] | length")" -ge 2 ]'
CLI tenant check
assert_eq 0 "$RC" "the ledger is exact"
finish
