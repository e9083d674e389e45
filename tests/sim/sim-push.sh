#!/bin/sh
# The simulator calls back (item 12 of the sMsmode guide): a send with
# notification_url gets its delivery reports pushed as statuses advance,
# and one with notification_url_reponse its replies, byte for byte in the
# guide's parameters; a receiver that is down gets them once it is up
# again; the push fault drops or delays them.
. "$top_srcdir/tests/lib.sh"
sim_start
rcv_up
API="$SIM_URL/smsmode/http/1.6"

# wait_lines N: until the receiver logged N lines (or 15 s)
wait_lines() {
  i=0
  while [ "$(cat "$TMP/rcv.log" 2>/dev/null | wc -l)" -lt "$1" ] && [ $i -lt 300 ]; do
    sleep 0.05; i=$((i+1))
  done
}
line() { sed -n "${1}p" "$TMP/rcv.log"; }

ID=$(curl -sS "$API/sendSMS.do?accessToken=demo-token&message=Bonjour&numero=33612345678&refClient=12azer34&notification_url=$RCV/dlr&notification_url_reponse=$RCV/mo" | awk -F' [|] ' '{print $3}')
assert_contains "$ID" "" "the send answered an id ($ID)"
sim_ctl POST "advance?provider=smsmode" >/dev/null
wait_lines 1
assert_eq "GET" "$(line 1 | jq -r .method)" "report: a GET"
assert_eq "/dlr" "$(line 1 | jq -r .path)" "report: to the notification_url"
assert_eq "33612345678" "$(line 1 | jq -r .query.numero)" "report: numero, international"
assert_eq "13" "$(line 1 | jq -r .query.statut)" "report: statut 13 (délivré opérateur)"
assert_eq "$ID" "$(line 1 | jq -r .query.smsID)" "report: smsID of the send"
assert_eq "12azer34" "$(line 1 | jq -r .query.refClient)" "report: refClient"
assert_eq "20801" "$(line 1 | jq -r .query.mcc_mnc)" "report: mcc_mnc"
assert_contains "$(line 1 | jq -r .query.date_reception)" "$(date +%Y-%m-%d) " \
  "report: date_reception yyyy-mm-dd hh:mm:ss"
sim_ctl POST "advance?provider=smsmode" >/dev/null
wait_lines 2
assert_eq "11" "$(line 2 | jq -r .query.statut)" "second report: statut 11 (reçu)"

# a reply, pushed to notification_url_reponse
sim_ctl POST "reply?provider=smsmode&from=0612345678&text=STOP&message_id=$ID" >/dev/null
wait_lines 3
assert_eq "/mo" "$(line 3 | jq -r .path)" "reply: to notification_url_reponse"
assert_eq "STOP" "$(line 3 | jq -r .query.message)" "reply: message"
assert_eq "33612345678" "$(line 3 | jq -r .query.emetteur)" "reply: emetteur"
assert_eq "36034" "$(line 3 | jq -r .query.numero)" "reply: numero, the sMsmode number"
assert_eq "$ID" "$(line 3 | jq -r .query.smsID)" "reply: smsID"
assert_eq true "$(line 3 | jq -r '.query.responseID | length > 0')" "reply: responseID"
assert_eq true "$(line 3 | jq -r '.query.date_reception | test("^[0-9]{8}-[0-9]{6}$")')" \
  "reply: date_reception ddmmyyyy-hhmmss"

# the receiver is down for a while: the report comes once it is up
touch "$TMP/rcv.down"
ID2=$(curl -sS "$API/sendSMS.do?accessToken=demo-token&message=Re&numero=33698765432&notification_url=$RCV/dlr2" | awk -F' [|] ' '{print $3}')
sim_ctl POST "advance?provider=smsmode" >/dev/null
wait_lines 4
assert_eq 503 "$(line 4 | jq -r .answered)" "down: the first try was refused"
rm -f "$TMP/rcv.down"
wait_lines 5
assert_eq 200 "$(line 5 | jq -r .answered)" "down then up: delivered on a later try"
assert_eq "$ID2" "$(line 5 | jq -r .query.smsID)" "down then up: the same report"
assert_eq true "$(sim_ctl GET pushes | jq '[.[] | select(.url|contains("dlr2"))][0] | .delivered and .tries >= 2')" \
  "the simulator's push list says delivered after retries"

# the push fault: dropped while on, delivered after
sim_ctl POST "push-fault?mode=drop" >/dev/null
curl -sS "$API/sendSMS.do?accessToken=demo-token&message=X&numero=33611111111&notification_url=$RCV/dlr3" >/dev/null
n=$(wc -l <"$TMP/rcv.log")
sim_ctl POST "advance?provider=smsmode" >/dev/null
sleep 1
assert_eq "$n" "$(wc -l <"$TMP/rcv.log")" "push-fault drop: nothing reached the receiver"
sim_ctl POST "push-fault?mode=none" >/dev/null
# two reports were held: /dlr3's first and /dlr2's second (advance moves
# every message)
wait_lines $((n + 2))
assert_eq 1 "$(jq -r .path "$TMP/rcv.log" | grep -c '^/dlr3$')" \
  "push-fault off: the held report arrives, once"
finish
