#!/bin/sh
# Providers that do not push are polled (issue 13): Clever REST has a
# status call but no callbacks; with [provider.NAME] dlr_poll = 1 smsmuxd
# asks for the status after 1 s, 2 s, 4 s ... until a final status, which
# then appears in the message's history and in a webhook.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
hooks_up "callback_url = @RCV@/events" "" "[provider.clever]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = clevertec
password = Clever2017
dlr_poll = 1"
polls() { sim_requests clever-rest | jq '[.[] | select(.method == "GET")] | length'; }

post_json /v1/messages '{"to": "0612345678", "text": "Bonjour"}'
assert_eq 202 "$STATUS" "submit: 202"
id=$(jqr .id)
wait_until "sent to Clever" '[ "$(status_of "$id")" = accepted ] || [ "$(status_of "$id")" = sent ]'
wait_until "a first status poll" '[ "$(polls)" -ge 1 ]'
st=$(status_of "$id")
case $st in accepted | sent) pass "polled before Clever delivered it: $st, not final" ;;
  *) fail "polled before Clever delivered it: not final" "status: $st" ;; esac
sim_ctl POST "advance?provider=clever-rest" >/dev/null
wait_until "delivered, found by polling" 'test "$(status_of "$id")" = delivered'
api GET "/v1/messages/$id"
assert_json '.recipients[0].history[-1] | "\(.status) \(.provider)"' "delivered clever" "the polled status in the history"
n=$(polls)
sleep 3
assert_eq "$n" "$(polls)" "a final status: no more polls"
rcv_wait 1 /events >/dev/null
wait_until "the delivered webhook" \
  '[ "$(rcv_lines /events | jq -rs "[.[] | select(.answered == 200) | .body | fromjson | .status][-1]")" = delivered ]'
pass "the polled status reaches the application"
daemon_stop
finish
