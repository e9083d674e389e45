#!/bin/sh
# The store through the smsmux command (issue 10): --ref keys each row by
# its number, not its position (A,B,C then B,C,D; a file whose bad line
# was deleted); a ref reused for another text is refused; an emptied or
# removed state.db is refused, nothing sent; the store is created 0600,
# said once; a reserve that fails mid-file (SQLITE_BUSY, injected) fails
# its rows only and the rerun sends exactly them; exit statuses of a file
# (2 only when nothing was sent); --results is 0600; store prune and
# retention_days; several processes failing at once all count in the
# circuit breaker.  Checked on what the simulator received.
. "$top_srcdir/tests/lib.sh"

sim_start --quiet
write_config store.ini <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF
CONFIG=$TMP/store.ini
S="--config $CONFIG"

# sent_numbers: every number of the sendSMS.do requests, one a line, in order
sent_numbers() {
  sim_requests smsmode |
    jq -r '.[] | select(.path | endswith("/sendSMS.do")) | (.query + "&" + .body) |
           capture("numero=(?<n>[^&]*)").n | split("%2C")[]'
}
send_count() {
  sim_requests smsmode | jq '[.[] | select(.path | endswith("/sendSMS.do"))] | length'
}
# twice: the numbers received more than once
twice() { sent_numbers | sort | uniq -d | tr '\n' ' ' | sed 's/ $//'; }
file_mode() { stat -c %a "$1"; }

A=0600000001 B=0600000002 C=0600000003 D=0600000004 E=0600000005

# --- a new store: created 0600, said once on stderr ----------------------
run_smsmux $S send --to $A --text 'first of all'
assert_eq 0 "$RC" "new store: the send exits 0"
assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c 'created the store .*/state/state.db (mode 0600)')" \
  "new store: stderr says it was created, once"
assert_eq 600 "$(file_mode "$TMP/state/state.db")" "new store: state.db is 0600"
assert_eq 700 "$(file_mode "$TMP/state")" "new store: state_dir is 0700"
run_smsmux $S send --to $B --text 'second'
assert_eq "" "$ERR" "second run: nothing on stderr (the notice is said once)"

# --- A,B,C then B,C,D under one --ref: D is new, B and C are not ---------
sim_reset
printf '%s\n' $A $B $C >"$TMP/abc.txt"
printf '%s\n' $B $C $D >"$TMP/bcd.txt"
run_smsmux $S --json send --to-file "$TMP/abc.txt" --text 'Soldes' --ref camp1
assert_eq 0 "$RC" "A,B,C: exit 0"
run_smsmux $S --json send --to-file "$TMP/bcd.txt" --text 'Soldes' --ref camp1
assert_eq 0 "$RC" "B,C,D: exit 0"
assert_json '[.messages[] | "\(.recipients[0].to) \(.duplicate)"] | join(",")' \
  "+33600000002 true,+33600000003 true,+33600000004 false" \
  "B,C,D: B and C already sent, D sent now"
assert_json '.summary.duplicate' 2 "B,C,D: two duplicates"
assert_eq "33600000001 33600000002 33600000003 33600000004" "$(sent_numbers | tr '\n' ' ' | sed 's/ $//')" \
  "A,B,C then B,C,D: the simulator got A, B, C, then D alone"

# --- a bad line deleted, the rows shift: nothing is sent twice -----------
sim_reset
printf 'numero;prenom\n%s;Ann\n+1;Bad\n%s;Bob\n%s;Cy\n' $A $B $C >"$TMP/shift.csv"
run_smsmux $S send --to-file "$TMP/shift.csv" --text 'Bonjour ${prenom}' --ref shift1 \
  --results "$TMP/shift-results.csv"
assert_eq 1 "$RC" "bad line among sent rows: exit 1 (not 2: rows were sent)"
assert_contains "$OUT" "3 sent, 1 failed, 0 possibly sent" "bad line: summary counts"
assert_contains "$OUT" "rows failed or possibly sent: line 3" "bad line: the summary names its line"
assert_contains "$ERR" 'line 3 (+1): bad number "+1"' "bad line: its error on stderr"
assert_eq '3,+1,rejected' "$(grep '^3,' "$TMP/shift-results.csv" | cut -d, -f1-3)" \
  "bad line: rejected in the results file"
assert_contains "$(grep '^3,' "$TMP/shift-results.csv")" "too short" "bad line: why, in the results file"
assert_eq 600 "$(file_mode "$TMP/shift-results.csv")" "the results file is 0600"
sed -i '/^+1;/d' "$TMP/shift.csv"
run_smsmux $S --json send --to-file "$TMP/shift.csv" --text 'Bonjour ${prenom}' --ref shift1
assert_eq 0 "$RC" "bad line deleted, rerun: exit 0"
assert_json '[.messages[] | "\(.line) \(.recipients[0].to) \(.duplicate)"] | join(",")' \
  "2 +33600000001 true,3 +33600000002 true,4 +33600000003 true" \
  "bad line deleted: the shifted rows are found by number"
assert_eq 3 "$(send_count)" "bad line deleted: the rerun sent nothing"
assert_eq "" "$(twice)" "bad line deleted: no number received twice"

# --- a ref reused for another text: refused, nothing sent ----------------
sim_reset
run_smsmux $S --json send --to $A --text 'Votre code: 1234' --ref reuse1
assert_eq 0 "$RC" "ref reuse: the first send exits 0"
run_smsmux $S --json send --to $A --text 'Another text' --ref reuse1
assert_eq 2 "$RC" "ref reused with another text: exit 2"
assert_json '.error.class' input "ref reused: class input"
assert_json '.error.message | (test("--ref reuse1") and test("\\+33600000001"))' true \
  "ref reused: the message names the ref and the number"
assert_eq 1 "$(send_count)" "ref reused: nothing sent"
# in a file: the number already sent another text is refused, a new one sent
printf '%s\n' $A $E >"$TMP/reuse.txt"
run_smsmux $S --json send --to-file "$TMP/reuse.txt" --text 'Another text' --ref reuse1
assert_eq 1 "$RC" "ref reused in a file, one new number: exit 1"
assert_json '.messages[0].error.class' input "ref reused in a file: the old number refused, input"
assert_json '.messages[1].recipients[0].status' accepted "ref reused in a file: the new number sent"
assert_eq "33600000001 33600000005" "$(sent_numbers | tr '\n' ' ' | sed 's/ $//')" \
  "ref reused in a file: only the new number went out"

# --- exit statuses of a file ---------------------------------------------
sim_reset
printf '+1\n12\n' >"$TMP/allbad.txt"
run_smsmux $S --json send --to-file "$TMP/allbad.txt" --text 'Hi'
assert_eq 2 "$RC" "every row bad: exit 2"
assert_json '.summary.sent' 0 "every row bad: nothing sent"
assert_nothing_sent smsmode "every row bad: the simulator got nothing"
printf '%s\n' $A $B >"$TMP/good.txt"
run_smsmux $S --json send --to-file "$TMP/good.txt" --text 'Hi all'
assert_eq 0 "$RC" "every row good: exit 0"
sim_fault smsmode down count=1
run_smsmux $S --json send --to-file "$TMP/shift.csv" --text 'Salut ${prenom}' --workers 1
assert_eq 1 "$RC" "one row refused by the provider: exit 1"
assert_json '.summary.sent' 2 "one row refused: the others sent"

# --- --results: an existing file becomes 0600 ----------------------------
umask 022
printf 'old\n' >"$TMP/old-results.csv"
chmod 644 "$TMP/old-results.csv"
run_smsmux $S send --to-file "$TMP/good.txt" --text 'Hi again' --results "$TMP/old-results.csv"
assert_eq 0 "$RC" "--results over an existing file: exit 0"
assert_eq 600 "$(file_mode "$TMP/old-results.csv")" "--results: an existing 0644 file is made 0600"
assert_eq "line,to,status,provider,id,code,text" "$(head -n 1 "$TMP/old-results.csv")" \
  "--results: the old content replaced"

# --- an emptied, then a removed state.db: refused, nothing sent ----------
write_config damage.ini <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-damage

[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF
DM="--config $TMP/damage.ini"
run_smsmux $DM --json send --to-file "$TMP/abc.txt" --text 'Once only' --ref once
assert_eq 0 "$RC" "damage: the first run exits 0"
sim_reset
: >"$TMP/state-damage/state.db"
run_smsmux $DM --json send --to-file "$TMP/abc.txt" --text 'Once only' --ref once
assert_eq 2 "$RC" "emptied state.db: exit 2"
assert_contains "$ERR" "state-damage: state.db is empty" "emptied state.db: stderr names the file"
assert_json '.summary.sent' 0 "emptied state.db: no row sent"
run_smsmux $DM --json send --to $A --text 'Once only' --ref once
assert_eq 2 "$RC" "emptied state.db, one send: exit 2"
assert_json '.error.class' config "emptied state.db: class config"
assert_json '.error.message | test("state.db is empty")' true "emptied state.db: the JSON error names it"
assert_nothing_sent smsmode "emptied state.db: the simulator got nothing"
rm -f "$TMP/state-damage/state.db"*
run_smsmux $DM --json send --to-file "$TMP/abc.txt" --text 'Once only' --ref once
assert_eq 2 "$RC" "removed state.db (rm state.db*): exit 2"
assert_contains "$ERR" "state.db is missing although the store was set up here (.smsmux-store)" \
  "removed state.db: stderr says why"
assert_eq yes "$([ -e "$TMP/state-damage/.smsmux-store" ] && echo yes)" "removed state.db: the marker is left"
assert_eq no "$([ -e "$TMP/state-damage/state.db" ] && echo yes || echo no)" "removed state.db: not made afresh"
assert_nothing_sent smsmode "removed state.db: the simulator got nothing"

# --- a reserve failing mid-file (SQLITE_BUSY injected) -------------------
write_config clever.ini <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-clever
breaker_failures = 0

[provider.clever]
plugin = clever-http
base_url = @SIM@/clever-http
login = demo
password = demo-password
EOF
CL="--config $TMP/clever.ini"
pushed_numbers() {
  sim_requests clever-http |
    jq -r '.[] | select((.path | endswith("/SendPush/")) and .fault == null) |
           .query | capture("recipients=(?<r>[^&]*)").r | split("%2C")[]' |
    sed -e 's/^%2B/+/' -e 's/^00/+/'
}
awk 'BEGIN { for (i = 0; i < 250; i++) printf "0610%06d\n", i }' >"$TMP/list250.txt"
awk 'BEGIN { for (i = 100; i < 200; i++) printf "+33610%06d\n", i }' >"$TMP/group2.txt"
sim_reset
# groups of 100 (Clever's limit), one worker: the 2nd reserve is group 2
SMSMUX_STORE_FAULT=reserve-busy:2 run_smsmux $CL --json send --to-file "$TMP/list250.txt" \
  --text 'Soldes' --ref busy1 --workers 1
assert_eq 1 "$RC" "reserve failure mid-file: exit 1, no crash"
assert_json '.summary.sent' 150 "reserve failure: the other groups sent"
assert_json '.summary.failed' 100 "reserve failure: its group failed"
assert_json '[.messages[100:200][] | .error.class] | unique | join(",")' system \
  "reserve failure: each of its rows reports a system error"
assert_json '.messages[100].error.message | test("nothing was sent")' true \
  "reserve failure: the rows say nothing was sent"
assert_json '[.messages[100:200][] | .recipients | length] | unique | join(",")' 0 \
  "reserve failure: no recipient line for its rows"
pushed_numbers | sort >"$TMP/first.txt"
run_smsmux $CL --json send --to-file "$TMP/list250.txt" --text 'Soldes' --ref busy1 --workers 1
assert_eq 0 "$RC" "reserve failure, rerun: exit 0"
assert_json '.summary.duplicate' 150 "reserve failure, rerun: 150 already sent"
assert_json '.summary.requests' 1 "reserve failure, rerun: one push"
pushed_numbers | sort | comm -13 "$TMP/first.txt" - >"$TMP/rerun.txt"
assert_eq "" "$(diff "$TMP/group2.txt" "$TMP/rerun.txt")" \
  "reserve failure, rerun: exactly the missing 100 numbers sent"
assert_eq "" "$(pushed_numbers | sort | uniq -d)" "reserve failure: no number received twice"
# personalised rows: one reserve per row; the 3rd fails
sim_reset
printf 'numero;prenom\n0611000001;A\n0611000002;B\n0611000003;C\n0611000004;D\n' >"$TMP/busy.csv"
SMSMUX_STORE_FAULT=reserve-busy:3 run_smsmux $CL --json send --to-file "$TMP/busy.csv" \
  --text 'Salut ${prenom}' --ref busy2 --workers 1
assert_eq 1 "$RC" "reserve failure, one row: exit 1"
assert_json '[.messages[] | "\(.line) \(.error.class // "ok")"] | join(",")' \
  "2 ok,3 ok,4 system,5 ok" "reserve failure, one row: line 4 failed alone"
run_smsmux $CL --json send --to-file "$TMP/busy.csv" --text 'Salut ${prenom}' --ref busy2 --workers 1
assert_eq 0 "$RC" "reserve failure, one row, rerun: exit 0"
assert_json '[.messages[] | .duplicate] | map(tostring) | join(",")' "true,true,false,true" \
  "reserve failure, one row, rerun: only line 4 sent"
assert_eq "+33611000001 +33611000002 +33611000004 +33611000003" \
  "$(pushed_numbers | tr '\n' ' ' | sed 's/ $//')" "reserve failure, one row: each number received once"

# --- store prune and retention_days --------------------------------------
run_smsmux $S --json store prune
assert_eq 0 "$RC" "store prune: exit 0"
assert_eq '{"removed":0,"retention_days":90}' "$OUT" "store prune: nothing is 90 days old; default 90"
# make the reuse1 message three days old
sqlite3 "$TMP/state/state.db" "UPDATE messages SET created = created - 3*86400 WHERE ref = 'reuse1'" ||
  fail "sqlite3 could age a message"
run_smsmux $S store prune --days 4
assert_eq "removed 0 messages older than 4 days" "$OUT" "store prune --days 4: nothing that old"
run_smsmux $S --json store prune --days 2
assert_json '.removed' 2 "store prune --days 2: the two reuse1 messages removed"
assert_json '.retention_days' 2 "store prune --days 2: says the days"
sim_reset
run_smsmux $S --json send --to $A --text 'Another text' --ref reuse1
assert_eq 0 "$RC" "after prune, the ref is forgotten: the other text is sent"
assert_eq 1 "$(send_count)" "after prune: it went out"
run_smsmux $S --json send --to-file "$TMP/abc.txt" --text 'Soldes' --ref camp1
assert_json '.summary.duplicate' 3 "after prune: younger refs are kept"
sed 's/^\[smsmux\]$/[smsmux]\nretention_days = 2/' "$CONFIG" >"$TMP/ret.ini"
chmod 600 "$TMP/ret.ini"
run_smsmux --config "$TMP/ret.ini" --json store prune
assert_json '.retention_days' 2 "store prune: retention_days of the configuration"
sed 's/^\[smsmux\]$/[smsmux]\nretention_days = 0/' "$CONFIG" >"$TMP/ret0.ini"
chmod 600 "$TMP/ret0.ini"
run_smsmux --config "$TMP/ret0.ini" store prune
assert_eq 2 "$RC" "retention_days = 0: exit 2"
assert_contains "$ERR" "ret0.ini:2: [smsmux] retention_days" "retention_days = 0: file and line"
assert_contains "$ERR" "between 1 and 36500" "retention_days = 0: the range"
for bad in 0 36501 x; do
  run_smsmux $S store prune --days $bad
  assert_eq 2 "$RC" "store prune --days $bad: usage error"
done
run_smsmux $S store
assert_eq 2 "$RC" "store without a subcommand: usage error"
run_smsmux $S store vacuum
assert_eq 2 "$RC" "store vacuum: unknown subcommand"

# --- several processes failing at once: every failure counted ------------
N=8
write_config breaker.ini <<EOF
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-breaker
breaker_failures = $N
breaker_cooldown = 600

[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF
sim_reset
sim_fault smsmode down
run_smsmux --config "$TMP/breaker.ini" send --to $A --text 'store first' # the store made
i=1
pids=
while [ $i -lt $N ]; do
  "$SMSMUX" --config "$TMP/breaker.ini" send --to $A --text "at once $i" \
    >/dev/null 2>"$TMP/breaker.$i.err" &
  pids="$pids $!"
  i=$((i + 1))
done
wait $pids
assert_eq $N "$(send_count)" "breaker: $N sends reached the down provider"
run_smsmux --config "$TMP/breaker.ini" --json route --to $A --text 'which?'
assert_contains "$(jqr '.candidates[0].reason')" "circuit breaker open for" \
  "breaker: $N failures from $N processes opened it ($N needed)"
assert_contains "$(jqr '.candidates[0].reason')" "($N failures in a row)" \
  "breaker: its count is the number of failures"
assert_eq 1 "$(cat "$TMP"/breaker.*.err | printf '%s\n%s\n' "$ERR" "$(cat -)" | grep -c "$N failures in a row: skipped")" \
  "breaker: one process said it opened" 

finish
