#!/bin/sh
# Kannel's dlr-url (issue 13): a message sent through /cgi-bin/sendsms with
# dlr-mask and dlr-url gets a GET of dlr-url, Kannel's escape codes
# substituted (%d the dlr type, %p the recipient, %P the sender, %q, %t,
# %T, %i the instance, %I smsmux's id, %F the provider's id, %A the
# report's text, %% a %), for each status change the mask selects and for
# no other.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
hooks_up "callback_url = @RCV@/events"
enc() { jq -rn --arg v "$1" '$v | @uri'; }
# kannel TO MASK PATH: a Kannel submit with dlr-url $RCV/PATH?...; $id its id
kannel() {
  url="$RCV/$3?type=%d&to=%p&from=%P&q=%q&t=%t&T=%T&smsc=%i&id=%I&fid=%F&a=%A&pct=100%%&x=%Z"
  STATUS=$(curl -sS -o "$TMP/.k" -w '%{http_code}' \
    "$D_URL/cgi-bin/sendsms?username=admin&password=$KEY&to=$1&from=Boutique&text=Bonjour&dlr-mask=$2&dlr-url=$(enc "$url")")
  assert_eq "202 0: Accepted for delivery" "$STATUS $(cat "$TMP/.k")" "sendsms to $1 with dlr-mask=$2: accepted"
  api GET "/v1/messages?limit=1"
  id=$(jqr '.messages[0].id')
}

kannel 0612345676 3 k3         # 1 delivered + 2 failed
id3=$id
kannel 0612345677 8 k8         # 8 accepted by the provider
id8=$id
wait_until "accepted" 'test "$(status_of "$id3")" = accepted && test "$(status_of "$id8")" = accepted'
sim_ctl POST "advance?provider=smsmode" >/dev/null
sim_ctl POST "advance?provider=smsmode" >/dev/null
wait_until "delivered" 'test "$(status_of "$id3")" = delivered && test "$(status_of "$id8")" = delivered'
api GET "/v1/messages/$id3"
fid=$(jqr '.recipients[0].provider_id')
text=$(jqr '.recipients[0].history[-1].text // ""')
rcv_wait 1 /k3
sleep 1 # time for a call that should not come
assert_eq 1 "$(rcv_lines /k3 | jq -s length)" "dlr-mask=3: one call, for the delivery"
line=$(rcv_lines /k3 | head -n 1)
assert_eq "GET" "$(printf '%s' "$line" | jq -r .method)" "dlr-url: a GET"
assert_eq "1|+33612345676|Boutique|+33612345676|smsmode|$id3|$fid|$text|100%|%Z" \
  "$(printf '%s' "$line" | jq -r '.query | "\(.type)|\(.to)|\(.from)|\(.q)|\(.smsc)|\(.id)|\(.fid)|\(.a)|\(.pct)|\(.x)"')" \
  "dlr-url: %d %p %P %q %i %I %F %A %% substituted, an unknown code left as written"
t=$(printf '%s' "$line" | jq -r .query.t)
T=$(printf '%s' "$line" | jq -r .query.T)
assert_eq "$t" "$(date -u -d "@$T" '+%Y-%m-%d %H:%M:%S')" "dlr-url: %t is %T as YYYY-MM-DD HH:MM:SS UTC"
now=$(date +%s)
[ $((now - T)) -ge 0 ] && [ $((now - T)) -lt 60 ] && pass "dlr-url: %T is the time of the event" ||
  fail "dlr-url: %T is the time of the event" "T=$T now=$now"

rcv_wait 2 /k8
api GET "/v1/messages/$id8"
assert_eq "$(jqr '[.recipients[0].history[] | select(.status == "accepted" or .status == "sent")] | length')" \
  "$(rcv_lines /k8 | jq -s length)" "dlr-mask=8: one call per accepted or sent step"
assert_eq "8" "$(rcv_lines /k8 | jq -r .query.type | sort -u | tr '\n' ' ' | sed 's/ $//')" "dlr-mask=8: type 8 only (no delivery call)"
assert_eq 0 "$(rcv_lines /events | jq -s length)" "a Kannel message gets its dlr-url calls, not [server] callback_url's webhooks"
daemon_stop
finish
