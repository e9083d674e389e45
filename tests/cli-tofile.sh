#!/bin/sh
# send --to-file: every row is a recipient of the batch API; rows with the
# same text share requests (a plain list goes out in one request), a CSV
# whose text has ${COLUMN} placeholders as one personalised message per
# row.  Checked on what the simulated sMsmode received.
. "$top_srcdir/tests/lib.sh"

sim_start
write_config sim.ini <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
cost = 0.045
EOF
CONFIG=$TMP/sim.ini

# sent_queries: the query strings of the sendSMS.do requests, one a line
sent_queries() {
  sim_requests smsmode |
    jq -r '.[] | select(.path | endswith("/sendSMS.do")) | .query + "&" + .body'
}
send_count() { sent_queries | grep -c . ; }

# --- a plain list: blank lines and # comments skipped, one request -------
cat >"$TMP/list.txt" <<'EOF'
# our customers
0612345678

+33698765432
   0611223344   
EOF
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/list.txt" --text Hello
assert_eq 0 "$RC" "plain list: exit 0"
assert_json '.messages | length' 3 "plain list: one result per recipient"
assert_json '[.messages[].recipients[0].to] | join(" ")' "+33612345678 +33698765432 +33611223344" \
  "plain list: every number, normalised, in file order"
assert_json '[.messages[].line] | join(",")' "2,4,5" "plain list: each result names its line"
assert_json '[.messages[].id] | unique | length' 1 "plain list: the rows shared one message id"
assert_json '.summary.sent' 3 "plain list: summary.sent"
assert_json '.summary.sends' 1 "plain list: the rows were grouped into one send"
assert_eq 1 "$(send_count)" "plain list: one request to sMsmode"
assert_contains "$(sent_queries)" "numero=33612345678%2C33698765432%2C33611223344" \
  "plain list: every number in that request"
assert_contains "$(sent_queries)" "message=Hello&" "plain list: the text as given"

# --- a CSV with placeholders: one message per row -----------------------
sim_reset
cat >"$TMP/people.csv" <<'EOF'
Numero;Prenom;Ville
0612345678;Jean;Paris
# a comment between rows
"+33698765432";"Marie";"Lyon;Sud"

0611223344;Paul;Nice
;;
EOF
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/people.csv" \
  --text 'Bonjour ${prenom} de ${VILLE}'
assert_eq 0 "$RC" "CSV: exit 0"
assert_json '.messages | length' 3 "CSV: one send object per row"
assert_json '.summary.sent' 3 "CSV: summary.sent"
assert_json '.summary.failed' 0 "CSV: summary.failed"
assert_json '.summary.unknown' 0 "CSV: summary.unknown"
assert_json '[.messages[].line] | join(",")' "2,4,6" "CSV: each message names its line"
assert_json '[.messages[].recipients[0].to] | join(" ")' \
  "+33612345678 +33698765432 +33611223344" "CSV: one recipient per message"
assert_json '[.messages[] | .provider, (.id | type)] | join(",")' \
  "smsmode,string,smsmode,string,smsmode,string" "CSV: every row sent with an id"
assert_eq 3 "$(send_count)" "CSV: three requests to sMsmode"
q=$(sent_queries)
assert_contains "$q" "message=Bonjour+Jean+de+Paris&numero=33612345678" "CSV: row 1 personalised"
assert_contains "$q" "message=Bonjour+Marie+de+Lyon%3BSud&numero=33698765432" \
  "CSV: row 2 personalised, quoted separator kept"
assert_contains "$q" "message=Bonjour+Paul+de+Nice&numero=33611223344" "CSV: row 3 personalised"
assert_not_contains "$q" "%24%7B" "CSV: no placeholder left in any text"

# human output of the same: one line per row and a summary
sim_reset
run_smsmux --config "$CONFIG" send --to-file "$TMP/people.csv" --text 'Salut ${Prenom}'
assert_eq 0 "$RC" "CSV, human: exit 0"
assert_contains "$OUT" "line 2: +33612345678 accepted via smsmode" "CSV, human: a line per row"
assert_contains "$OUT" "3 sent, 0 failed, 0 possibly sent" "CSV, human: summary"

# --- comma CSV, header "mobile", text without placeholder: one request --
sim_reset
printf 'name,mobile\nAnn,0612345678\nBob,0698765432\n' >"$TMP/comma.csv"
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/comma.csv" --text 'Same for all'
assert_eq 0 "$RC" "comma CSV: exit 0"
assert_json '.summary.sent' 2 "comma CSV: the number column found"
assert_eq 1 "$(send_count)" "comma CSV without placeholder: one request"

# --- stdin ----------------------------------------------------------------
sim_reset
run_smsmux --config "$CONFIG" --json send --to-file - --text 'Hi ${name}' <"$TMP/comma.csv"
assert_eq 0 "$RC" "stdin CSV: exit 0"
assert_json '.summary.sent' 2 "stdin CSV: both rows sent"
assert_contains "$(sent_queries)" "message=Hi+Bob&numero=33698765432" "stdin CSV: personalised"

# --- --ref: rows keyed by ref and number, so a rerun sends nothing twice ---
sim_reset
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/comma.csv" --text 'Hi ${name}' --ref camp1
assert_eq 0 "$RC" "--ref per row: first run exit 0"
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/comma.csv" --text 'Hi ${name}' --ref camp1
assert_eq 0 "$RC" "--ref per row: rerun exit 0"
assert_json '[.messages[].duplicate] | join(",")' "true,true" "--ref per row: rerun finds both rows sent"
assert_eq 2 "$(send_count)" "--ref per row: the rerun sent nothing"

# --- input errors: exit 2, nothing sent ----------------------------------
sim_reset
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/people.csv" --text 'Hi ${age}'
assert_eq 2 "$RC" "unknown placeholder: exit 2"
assert_json '.error.class' input "unknown placeholder: class input"
assert_json '.error.message | test("\\$\\{age\\}")' true "unknown placeholder: named"
assert_json '.error.message | test("Numero, Prenom, Ville")' true "unknown placeholder: columns listed"

run_smsmux --config "$CONFIG" --json send --to-file "$TMP/list.txt" --text 'Hi ${prenom}'
assert_eq 2 "$RC" "placeholder with a plain list: exit 2"
assert_json '.error.message | test("plain list")' true "placeholder with a plain list: says why"

printf 'numero;prenom\n0612345678;Ann\n0698765432\n' >"$TMP/short.csv"
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/short.csv" --text 'Hi ${prenom}'
assert_eq 2 "$RC" "short row: exit 2"
assert_json '.error.message | test("line 3")' true "short row: line named"

printf 'first;last\nAnn;Lee\n' >"$TMP/nonum.csv"
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/nonum.csv" --text 'Hi'
assert_eq 2 "$RC" "no number column: exit 2"
assert_json '.error.message | test("numero")' true "no number column: lists the accepted names"

printf 'numero;prenom\n' >"$TMP/header-only.csv"
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/header-only.csv" --text 'Hi ${prenom}'
assert_eq 2 "$RC" "header without rows: exit 2"
assert_nothing_sent smsmode "input errors: nothing was sent"

# --- a row the provider refuses does not stop the others -----------------
sim_reset
printf 'numero;prenom\n0612345678;Ann\n+1;Bad\n0698765432;Bob\n' >"$TMP/onebad.csv"
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/onebad.csv" --text 'Hi ${prenom}'
assert_eq 1 "$RC" "one bad number among sent ones: exit 1 (2 only when nothing was sent)"
assert_json '.summary.sent' 2 "one bad number: the others sent"
assert_json '.summary.failed' 1 "one bad number: counted failed"
assert_json '.messages[1].error.class' input "one bad number: its error in its message"
assert_eq 2 "$(send_count)" "one bad number: two requests"

# --- a file that is not a recipient list: refused early, memory bounded --
# (a 1 MB line was read whole, /dev/zero without end, before "holds no
# number"; now a line over 64 KiB or a NUL byte stops the reading there)
sim_reset
head -c 1000000 /dev/zero | tr '\0' 7 >"$TMP/one-line.txt"
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/one-line.txt" --text x
assert_eq 2 "$RC" "a 1 MB line: exit 2"
assert_contains "$(jqr .error.message)" "line 1 is longer than 64 KiB" "a 1 MB line: refused naming the line"
n=$(printf '%s%s' "$ERR" "$OUT" | wc -c)
[ "$n" -lt 2000 ] && pass "a 1 MB line: the error is short ($n bytes)" ||
  fail "a 1 MB line: the error is short" "stderr and stdout: $n bytes"
{ printf '0612345678\n0698765432\n'; head -c 100000 /dev/zero | tr '\0' 7; printf '\n'; } >"$TMP/third-line.txt"
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/third-line.txt" --text x
assert_eq 2 "$RC" "a long third line: exit 2"
assert_contains "$(jqr .error.message)" "line 3 is longer than 64 KiB" "a long third line: named"
head -c 3000000 /dev/zero >"$TMP/zeros.bin"
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/zeros.bin" --text x
assert_eq 2 "$RC" "a binary file: exit 2"
assert_contains "$(jqr .error.message)" "line 1 holds a NUL byte: it is not a text file" "a binary file: said so at its first NUL"
printf 'numero;prenom\n0612345678;"Ann\n' >"$TMP/open-quote.csv"
head -c 200000 /dev/zero | tr '\0' a | fold -w 100 >>"$TMP/open-quote.csv"
run_smsmux --config "$CONFIG" --json send --to-file "$TMP/open-quote.csv" --text 'Hi ${prenom}'
assert_eq 2 "$RC" "a quote never closed over 200 kB: exit 2"
assert_contains "$(jqr .error.message)" "line 2: a record longer than 64 KiB" "a quote never closed: the record's line named"
assert_nothing_sent smsmode "files refused: nothing was sent"

# --- route explains a personalised file with the first row's text -------
run_smsmux --config "$CONFIG" --json route --to-file "$TMP/people.csv" --text 'Bonjour ${prenom}'
assert_eq 0 "$RC" "route --to-file: exit 0"
assert_json '.candidates[0].provider' smsmode "route --to-file: candidate"

# --- a line holding terminal escapes is shown escaped -------------------------
printf 'numero\n06123\033[31mred\n' >"$TMP/esc.csv"
run_smsmux --config "$CONFIG" send --to-file "$TMP/esc.csv" --text 'hi'
assert_eq 2 "$RC" "escape line: nothing sent, exit 2"
assert_contains "$ERR" 'line 2 (06123\e[31mred)' "escape line: the line is shown escaped"
assert_eq 0 "$(printf '%s' "$ERR" | tr -d -c '\033' | wc -c)" "escape line: no raw ESC byte on stderr"

finish
