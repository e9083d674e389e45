#!/bin/sh
# Webhooks are durable (issue 13): while the application's receiver is
# down (503), events wait in the store; smsmuxd killed with -9 while they
# wait and started again loses none; once the receiver is up, every event
# of every message arrives, in order per message, each with its own id
# (a receiver drops repeats by X-Smsmux-Event, the same body each time).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
hooks_up "webhook_secret = $WEBHOOK_SECRET"
pending() { curl -sS "$D_URL/metrics" | sed -n 's/^smsmux_webhooks_pending \([0-9]*\)$/\1/p'; }

touch "$TMP/rcv.down"
ids=
for n in 0612345601 0612345602 0612345603; do
  post_json /v1/messages "{\"to\": \"$n\", \"text\": \"Bonjour\", \"callback_url\": \"$RCV/app\"}"
  assert_eq 202 "$STATUS" "submit to $n with its own callback_url: 202"
  ids="$ids $(jqr .id)"
done
for id in $ids; do
  wait_until "accepted" 'test "$(status_of "$id")" = accepted'
done
sim_ctl POST "advance?provider=smsmode" >/dev/null
sim_ctl POST "advance?provider=smsmode" >/dev/null
for id in $ids; do
  wait_until "delivered" 'test "$(status_of "$id")" = delivered'
done
total=0
for id in $ids; do
  api GET "/v1/messages/$id"
  total=$((total + $(jqr '.recipients[0].history | length')))
done
wait_until "the receiver refused a first try" '[ "$(rcv_lines /app | jq -s "length")" -ge 1 ]'
assert_eq 0 "$(rcv_lines /app | jq -s '[.[] | select(.answered == 200)] | length')" "receiver down: nothing taken yet"
p=$(pending)
assert_eq "$total" "$p" "/metrics: smsmux_webhooks_pending counts every event waiting ($total)"

# a crash while they wait, then a restart on the same port
{ daemon_stop KILL; } 2>/dev/null
daemon_start
assert_eq "$total" "$(pending)" "after kill -9 and a restart: every event still pending"
rm -f "$TMP/rcv.down"
rcv_wait "$total" /app 25
taken=$(rcv_lines /app | jq -c 'select(.answered == 200)')
assert_eq "$total" "$(printf '%s\n' "$taken" | jq -r '.body | fromjson | .event' | sort -u | wc -l | tr -d ' ')" \
  "receiver up: every event delivered ($total distinct ids)"
assert_eq "" "$(printf '%s\n' "$taken" | jq -r '"\(.body | fromjson | .event) \(.body | @base64)"' | sort -u | awk '{print $1}' | uniq -d)" \
  "an event delivered twice has the same body both times (de-duplicable by id)"
assert_eq "" "$(printf '%s\n' "$taken" | jq -r '(.body | fromjson | .event) as $e | select(($e) != ('"$(header x-smsmux-event)"')) | $e')" \
  "X-Smsmux-Event is the body's event id"
for id in $ids; do
  api GET "/v1/messages/$id"
  want=$(jqr '[.recipients[0].history[].status] | join(",")')
  got=$(printf '%s\n' "$taken" | jq -rs --arg m "$id" \
    '[.[] | .body | fromjson | select(.message_id == $m)] | reduce .[] as $e ([]; if any(.[]; .event == $e.event) then . else . + [$e] end) | map(.status) | join(",")')
  assert_eq "$want" "$got" "$id: its events arrived in the order of its history"
done
i=0; while [ "$(pending)" != 0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
assert_eq 0 "$(pending)" "nothing left pending"
daemon_stop
finish
