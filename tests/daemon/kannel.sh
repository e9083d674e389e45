#!/bin/sh
# Kannel compatibility: /cgi-bin/sendsms answers the requests Kannel's user
# guide shows ("Sending SMS": GET with username, password, to, text; POST
# with the text as body and X-Kannel-* headers; dlr-mask + dlr-url) as
# Kannel does, and the message reaches the provider.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
sim_start
daemon_config
daemon_start

kannel() { # kannel METHOD QUERY [curl args]: $STATUS $OUT (no Bearer key)
  _m=$1; _q=$2; shift 2
  STATUS=$(curl -sS -o "$TMP/.k" -w '%{http_code}' -X "$_m" "$@" "$D_URL/cgi-bin/sendsms?$_q") || STATUS="curl failed"
  OUT=$(cat "$TMP/.k")
}

# the guide's first example, with this gateway's admin key
kannel GET "username=admin&password=$KEY&to=0612345671&text=Hello+world"
assert_eq 202 "$STATUS" "GET sendsms: 202"
assert_eq "0: Accepted for delivery" "$OUT" "Kannel's answer text"
wait_until "the message reached sMsmode" 'test "$(sends_to 33612345671)" = 1'
assert_contains "$(sim_requests smsmode | jq -r '.[-1] | .query + .body')" "Hello" "the text went out ('+' is a space)"

# several receivers separated by spaces, a sender, a forced smsc
kannel GET "username=admin&password=$KEY&to=0612345672+0612345673&text=Two&from=Shop&smsc=smsmode"
assert_eq 202 "$STATUS" "two receivers: 202"
wait_until "both receivers reached sMsmode" 'test "$(sends_to 33612345673)" -ge 1'
assert_eq 1 "$(sends_to 33612345672)" "first receiver sent"

# UCS-2: coding=2, text in UTF-16BE (Kannel's default charset for it)
kannel GET "username=admin&password=$KEY&to=0612345674&coding=2&text=%04%1F%04%40%04%38%04%32%04%35%04%42"
assert_eq 202 "$STATUS" "coding=2 with UTF-16BE text: 202"
wait_until "the UCS-2 message reached sMsmode" 'test "$(sends_to 33612345674)" = 1'

# charset=ISO-8859-1
kannel GET "username=admin&password=$KEY&to=0612345675&charset=ISO-8859-1&text=caf%E9"
assert_eq 202 "$STATUS" "charset=ISO-8859-1: 202"

# dlr-mask and dlr-url, escaped as the guide shows
kannel GET "username=admin&password=$KEY&to=0612345676&text=dlr&dlr-mask=31&dlr-url=http%3A%2F%2Fapp.example%2Fdlr.php%3Ftype%3D%25d%26to%3D%25p"
assert_eq 202 "$STATUS" "dlr-mask=31 + dlr-url: 202"
kannel GET "username=admin&password=$KEY&to=0612345676&text=dlr&dlr-mask=31"
assert_eq 400 "$STATUS" "dlr-mask without dlr-url: 400"
assert_contains "$OUT" "dlr-url" "... saying dlr-url is needed"
kannel GET "username=admin&password=$KEY&to=0612345676&text=dlr&dlr-mask=abc&dlr-url=http://x/"
assert_eq 400 "$STATUS" "dlr-mask not a number: 400"

# POST as Kannel reads it: the text is the body, the rest in X-Kannel-*
STATUS=$(curl -sS -o "$TMP/.k" -w '%{http_code}' -H 'Content-Type: text/plain; charset=utf-8' \
  -H 'X-Kannel-Username: admin' -H "X-Kannel-Password: $KEY" -H 'X-Kannel-To: 0612345677' \
  --data-binary 'Posted text' "$D_URL/cgi-bin/sendsms")
assert_eq 202 "$STATUS" "POST with X-Kannel-* headers: 202"
assert_eq "0: Accepted for delivery" "$(cat "$TMP/.k")" "... answered as Kannel"
wait_until "the POSTed message reached sMsmode" 'test "$(sends_to 33612345677)" = 1'

# POST as a form
kannel POST "" --data-urlencode username=admin --data-urlencode "password=$KEY" \
  --data-urlencode to=0612345678 --data-urlencode 'text=Form text'
assert_eq 202 "$STATUS" "POST as a form: 202"

# deferred: queued for later
kannel GET "username=admin&password=$KEY&to=0612345679&text=later&deferred=60"
assert_eq 202 "$STATUS" "deferred=60: 202"
assert_eq "3: Queued for later delivery" "$OUT" "Kannel's answer for a deferred message"

# authorization, as Kannel answers it (the form and the deferred message
# have reached the simulator first: the count below is settled)
wait_until "the form and the deferred message reached sMsmode" \
  'test "$(sends_to 33612345678)" = 1 && test "$(sends_to 33612345679)" = 1'
before=$(sim_requests smsmode | jq length)
kannel GET "username=admin&password=wrong-password&to=0612345670&text=x"
assert_eq 403 "$STATUS" "wrong password: 403"
assert_eq "Authorization failed" "$OUT" "Kannel's text"
kannel GET "username=tester&password=$KEY&to=0612345670&text=x"
assert_eq 403 "$STATUS" "unknown user: 403"
kannel GET "to=0612345670&text=x"
assert_eq 403 "$STATUS" "no credentials: 403"

# input errors
kannel GET "username=admin&password=$KEY&text=x"
assert_eq 400 "$STATUS" "no receiver: 400"
assert_eq "Missing receiver number" "$OUT" "Kannel's text"
kannel GET "username=admin&password=$KEY&to=12&text=x"
assert_eq 400 "$STATUS" "a number that is not one: 400"
assert_contains "$OUT" "12" "... naming it"
kannel GET "username=admin&password=$KEY&to=0612345670&text=x&coding=7"
assert_eq 400 "$STATUS" "coding=7: 400"
kannel DELETE "username=admin&password=$KEY&to=0612345670&text=x"
assert_eq 405 "$STATUS" "DELETE: 405"
sleep 0.3
assert_eq "$before" "$(sim_requests smsmode | jq length)" "refused requests sent nothing"
assert_not_contains "$(cat "$TMP/d.log")" "$KEY" "the key (in the query) is never logged"
daemon_stop
finish
