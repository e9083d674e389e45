#!/bin/sh
# Closing the loop through the library (issue 13), with the simulator and
# tests/receiver, driven by the `smsmux` command and tests/loop_tool:
# a send to an opted-out number is refused for that recipient and nothing
# reaches the provider for it; a pushed delivery report (smsmux_hook) is
# recorded in the history, and `smsmux status` answers from it when the
# provider cannot; STOP and START replies; the notifier's signed webhooks
# (a receiver down for a while gets every event once it is up), Kannel
# dlr-url calls for the events the dlr-mask selects, and status polling of
# a provider that does not push.
. "$top_srcdir/tests/lib.sh"
sim_start
TOOL="$top_builddir/tests/loop_tool"
rcv_up

write_config loop.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
timeout = 2
breaker_failures = 0
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
hook_token = hook-secret
[provider.rest]
plugin = clever-rest
base_url = @SIM@/clever-rest/api
login = clevertec
password = Clever2017
dlr_poll = 1
EOF2
CFG="$TMP/loop.ini"
C="--config $CFG"
tool() { "$TOOL" "$CFG" "$@" 2>"$TMP/tool.err"; }
sends_to() { sim_requests smsmode | jq "[.[] | select(.path|endswith(\"/sendSMS.do\")) | select(.query|test(\"numero=[^&]*$1\"))] | length"; }
all_sends() { sim_requests smsmode | jq '[.[] | select(.path|endswith("/sendSMS.do"))] | length'; }

# --- opt-out refusal (CLI) -------------------------------------------------
assert_eq "ok 0" "$(tool optout-add '' '06 11 11 11 11')" "opt-out recorded (number normalised)"
assert_eq "ok 1" "$(tool optout-add '' +33611111111)" "the same again: already so"
assert_contains "$(tool optout-add '' 12ab)" "error input bad-number" "a bad number: input error"

run_smsmux $C --json send --provider smsmode --to 0611111111,0622222222 --text "Bonjour"
assert_eq 1 "$RC" "send to an opted-out number and another: exit 1 (some went)"
assert_json '[.recipients[] | select(.to=="+33611111111")][0].status' rejected "opted out: rejected"
assert_json '[.recipients[] | select(.to=="+33611111111")][0].code' opt-out "opted out: code opt-out"
assert_json '[.recipients[] | select(.to=="+33622222222")][0].status' accepted "the other: accepted"
assert_eq 0 "$(sends_to 33611111111)" "nothing reached the provider for the opted-out number"
assert_eq 1 "$(sends_to 33622222222)" "the other number was sent"
ID=$(jqr '[.recipients[] | select(.to=="+33622222222")][0].id')

before=$(all_sends)
run_smsmux $C --json send --provider smsmode --to 0611111111 --text "Encore"
assert_eq 2 "$RC" "send to the opted-out number alone: exit 2 (none went)"
assert_json .error.code opt-out "error code opt-out"
assert_json '.recipients[0].status' rejected "its line: rejected"
assert_eq "$before" "$(all_sends)" "no request reached the provider"
run_smsmux $C send --provider smsmode --to 0611111111 --text "Encore"
assert_contains "$OUT$ERR" "+33611111111 opted out" "human output says it opted out"

# --- a pushed report; status from the history -----------------------------
Q="numero=33622222222&date_reception=2026-12-05+10%3A00%3A00&statut=11&smsID=$ID&refClient=&mcc_mnc=20801"
assert_eq "error input not-found: no such hook" "$(tool hook smsmode wrong-token dlr "$Q")" "a wrong token: not found"
assert_eq "ok 0" "$(tool hook smsmode hook-secret dlr "$Q")" "the delivery report recorded"
assert_eq "ok 0" "$(tool hook smsmode hook-secret dlr "$Q")" "the same report again: 200 too"
assert_contains "$(tool hook smsmode hook-secret dlr "numero=1&x=2")" "error invalid" "not the provider's format: invalid"
DOC=$(tool messages)
H=$(printf '%s' "$DOC" | jq -c "[.messages[].recipients[] | select(.provider_id==\"$ID\")][0].history")
assert_eq delivered "$(printf '%s' "$H" | jq -r '.[-1].status')" "history: delivered last"
assert_eq 1 "$(printf '%s' "$H" | jq '[.[] | select(.status=="delivered")] | length')" "history: one delivered event (the repeat changed nothing)"
assert_eq "2026-12-05T" "$(printf '%s' "$H" | jq -r '.[-1].at' | cut -c1-11)" "history: the report's time"
assert_eq 11 "$(printf '%s' "$H" | jq -r '.[-1].code')" "history: the provider's code"

sim_fault smsmode http500
run_smsmux $C --json status "$ID"
assert_eq 0 "$RC" "status while the provider fails: exit 0 (from the history)"
assert_json '.recipients[0].status' delivered "status from the history: delivered"
assert_json '.recipients[0].to' "+33622222222" "status from the history: the recipient"
assert_contains "$ERR" "history" "stderr says where the answer came from"
run_smsmux $C --json status NOT-AN-ID
assert_eq 2 "$RC" "an id the store does not know: not found"
run_smsmux $C --json status --provider smsmode "$ID"
assert_eq 1 "$RC" "--provider named: that provider's answer (its failure) stands"
assert_json .error.class temporary "--provider named: its error class"
sim_reset

# --- STOP and START replies -------------------------------------------------
R="numero=36034&message=Stop+&emetteur=33622222222&date_reception=05122026-100000&smsID=$ID&refClient=&responseID=resp-1"
assert_eq "ok 0" "$(tool hook smsmode hook-secret mo "$R")" "a STOP reply recorded"
assert_eq "Stop " "$(tool replies | jq -r '.replies[0].text')" "the reply listed"
assert_eq "+33622222222" "$(tool replies | jq -r '.replies[0].from')" "its sender"
run_smsmux $C --json send --provider smsmode --to 0622222222 --text "Promo"
assert_eq 2 "$RC" "after STOP: the send is refused"
assert_json .recipients[0].code opt-out "after STOP: code opt-out"
assert_eq 0 "$(sends_to 33622222222)" "after STOP: nothing reached the provider (log reset above)"
R2="numero=36034&message=start&emetteur=33622222222&date_reception=05122026-100500&smsID=$ID&refClient=&responseID=resp-2"
assert_eq "ok 0" "$(tool hook smsmode hook-secret mo "$R2")" "a START reply recorded"
run_smsmux $C --json send --provider smsmode --to 0622222222 --text "Promo"
assert_eq 0 "$RC" "after START: sent again"
assert_eq 1 "$(sends_to 33622222222)" "after START: the provider got it"

# --- webhooks: signed, a receiver down for a while ---------------------------
touch "$TMP/rcv.down"
MID=$(tool submit "$RCV/events" 0633333333 "webhook" | jq -r .id)
assert_contains "$MID" "m" "queued and sent ($MID)"
tool notify 2 whsec-test >/dev/null
n_down=$(grep -c '"answered":503' "$TMP/rcv.log" 2>/dev/null || echo 0)
test "$n_down" -ge 1 && pass "the receiver was called while down ($n_down)" || fail "the receiver was called while down"
rm -f "$TMP/rcv.down"
OUTN=$(tool notify -40 whsec-test)
assert_eq "pending 0" "$OUTN" "once up, nothing is left pending"
ok=$(grep '"answered":200' "$TMP/rcv.log")
n=$(printf '%s\n' "$ok" | grep -c .)
test "$n" -ge 2 && pass "several events delivered ($n)" || fail "several events delivered" "$n"
assert_eq "$n" "$(printf '%s\n' "$ok" | jq -r '.headers["X-Smsmux-Event"]' | sort -u | grep -c .)" "each event delivered once (by X-Smsmux-Event)"
bad=0
printf '%s\n' "$ok" | while IFS= read -r l; do
  body=$(printf '%s' "$l" | jq -j .body)
  want="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac whsec-test | sed 's/.*= *//')"
  got=$(printf '%s' "$l" | jq -r '.headers["X-Smsmux-Signature"]')
  [ "$want" = "$got" ] || echo "bad signature: $got for $body"
done >"$TMP/sig.out"
assert_eq "" "$(cat "$TMP/sig.out")" "every signature is the HMAC-SHA256 of its body"
assert_eq "$MID" "$(printf '%s\n' "$ok" | head -1 | jq -r .body | jq -r .message_id)" "the body names the message"
assert_eq "queued" "$(printf '%s\n' "$ok" | head -1 | jq -r .body | jq -r .status)" "the first event is the first status"
assert_eq "$(printf '%s\n' "$ok" | jq -r .body | jq -r '.event' | sed 's/.*-//' | sort -n | tr '\n' ' ')" \
  "$(printf '%s\n' "$ok" | jq -r .body | jq -r '.event' | sed 's/.*-//' | tr '\n' ' ')" "in order per message"

# --- Kannel dlr-url: only what the mask selects ------------------------------
: >"$TMP/rcv.log"
KID=$(tool submit "kannel:1:$RCV/dlr?type=%d&to=%p&smsc=%i&id=%I&fid=%F&t=%T" 0644444444 "kannel" | jq -r .id)
tool notify -10 >/dev/null
assert_eq 0 "$(grep -c . "$TMP/rcv.log")" "mask 1: no call for queued/sending/accepted"
KPID=$(tool messages | jq -r "[.messages[] | select(.id==\"$KID\")][0].recipients[0].provider_id")
assert_eq "ok 0" "$(tool hook smsmode hook-secret dlr "numero=33644444444&date_reception=2026-12-05+10%3A00%3A00&statut=11&smsID=$KPID&refClient=&mcc_mnc=20801")" "its report"
tool notify -10 >/dev/null
assert_eq 1 "$(grep -c . "$TMP/rcv.log")" "mask 1: one call, for delivered"
assert_eq "GET" "$(jq -r .method "$TMP/rcv.log")" "a GET"
assert_eq "/dlr" "$(jq -r .path "$TMP/rcv.log")" "to the dlr-url"
assert_eq "1|+33644444444|smsmode|$KID|$KPID|1796464800" \
  "$(jq -r '[.query.type, .query.to, .query.smsc, .query.id, .query.fid, .query.t] | join("|")' "$TMP/rcv.log")" \
  "escape codes substituted"

# --- the keys: checked, and stop_words as configured -------------------------
for kv in "smsmux:webhook_retry_hours = 0" "smsmux:stop_words = ,," "provider:dlr_poll = -1" "provider:dlr_poll_deadline = 0"; do
  sec=${kv%%:*}; line=${kv#*:}
  if [ "$sec" = smsmux ]; then
    sed "s|^state_dir = .*|&\n$line|" "$CFG" >"$TMP/bad.ini"
  else
    sed "s|^hook_token = .*|&\n$line|" "$CFG" >"$TMP/bad.ini"
  fi
  chmod 600 "$TMP/bad.ini"
  run_smsmux --config "$TMP/bad.ini" providers
  assert_eq 2 "$RC" "$line: refused"
  assert_contains "$ERR" "${line%% =*}" "$line: the key is named"
done
sed "s|^state_dir = .*|&\nstop_words = fin, ne plus envoyer\nstart_words = reprise|" "$CFG" >"$TMP/words.ini"
chmod 600 "$TMP/words.ini"
tw() { "$TOOL" "$TMP/words.ini" "$@" 2>"$TMP/tool.err"; }
assert_eq "ok 0" "$(tw hook smsmode hook-secret mo "numero=36034&message=STOP&emetteur=33677777777&responseID=w-1")" "STOP with other stop_words: recorded"
run_smsmux --config "$TMP/words.ini" --json send --provider smsmode --to 0677777777 --text "x"
assert_eq 0 "$RC" "STOP is not a stop word there: sent"
assert_eq "ok 0" "$(tw hook smsmode hook-secret mo "numero=36034&message=Ne++plus+envoyer+%21&emetteur=33677777777&responseID=w-2")" "a configured phrase"
run_smsmux --config "$TMP/words.ini" --json send --provider smsmode --to 0677777777 --text "x"
assert_eq 2 "$RC" "the phrase (case, blanks and ! ignored) opted out"
assert_eq "ok 0" "$(tw hook smsmode hook-secret mo "numero=36034&message=REPRISE&emetteur=33677777777&responseID=w-3")" "the start word"
run_smsmux --config "$TMP/words.ini" --json send --provider smsmode --to 0677777777 --text "x"
assert_eq 0 "$RC" "the start word lifted it"

# --- polling a provider that does not push ----------------------------------
run_smsmux $C --json send --provider rest --to 0655555555 --text "poll me"
assert_eq 0 "$RC" "sent through the provider without push"
RID=$(jqr '.recipients[0].id')
sim_ctl POST "advance?provider=clever-rest" >/dev/null
sim_ctl POST "advance?provider=clever-rest" >/dev/null
polls0=$(sim_requests clever-rest | jq '[.[] | select(.method=="GET")] | length')
tool notify 4 >/dev/null
polls=$(sim_requests clever-rest | jq '[.[] | select(.method=="GET")] | length')
test "$polls" -gt "$polls0" && pass "the notifier asked its status ($((polls - polls0)))" || fail "the notifier asked its status"
PH=$(tool messages | jq -c "[.messages[].recipients[] | select(.to==\"+33655555555\")][0]")
assert_eq delivered "$(printf '%s' "$PH" | jq -r .status)" "polled: delivered"
assert_eq delivered "$(printf '%s' "$PH" | jq -r '.history[-1].status')" "polled: in the history"
finish
