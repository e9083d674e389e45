#!/bin/sh
# Stopping a long send --to-file: SIGINT, SIGTERM and SIGHUP stop cleanly
# (the requests in flight finish and are recorded, the rows not sent are
# left for the rerun, exit 1, the summary says interrupted); after kill -9
# only the requests in flight (at most one per worker) may be possibly
# sent.  Each case: a personalised file (one request per row) sent with 4
# workers to the simulated sMsmode answering 1 ms late, the signal once
# some hundreds of rows went out, then the same command again with the
# same --ref; then the simulator's log is counted per number: every number
# exactly once, except the ones the rerun reports possibly sent (none
# after a clean stop, at most the number of workers after kill -9), which
# were received at most once.
#
# 5,000 rows by default, not the 20,000 of the issue: 20,000 passed here but
# took 86 s (about 18 s a case, first run and rerun, on the shared 2-core
# machine), too long for make check, sanitizer builds included; the signal
# comes after some hundreds of rows, well inside 5,000.  Set
# STORE_SIGNALS_ROWS=20000 to run the issue's count.
. "$top_srcdir/tests/lib.sh"

ROWS=${STORE_SIGNALS_ROWS:-5000}
WORKERS=4

sim_start --quiet
write_config sig.ini <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = big-token
EOF
CONFIG=$TMP/sig.ini

# the file: numero;prenom, one distinct text per row; and the E.164 forms
awk -v n="$ROWS" 'BEGIN {
  print "numero;prenom"
  for (i = 0; i < n; i++) printf "0620%06d;P%d\n", i, i
}' >"$TMP/people.csv"
awk -v n="$ROWS" 'BEGIN { for (i = 0; i < n; i++) printf "33620%06d\n", i }' \
  >"$TMP/expected.txt"

# sim_sends: how many sendSMS.do requests the simulator received
sim_sends() {
  sim_requests smsmode | jq '[.[] | select(.path | endswith("/sendSMS.do"))] | length'
}
# sim_counts: "NUMBER COUNT" per number the simulator received, sorted
sim_counts() {
  sim_requests smsmode |
    jq -r '[.[] | select(.path | endswith("/sendSMS.do")) |
            (.query + "&" + .body) | capture("numero=(?<n>[0-9]+)").n] |
           group_by(.) | .[] | "\(.[0]) \(length)"' | sort
}
now() { date +%s.%N; }

# run_case SIGNAL
run_case() {
  sig=$1
  ref=camp-$sig
  sim_reset
  sim_ctl POST "account?provider=smsmode&token=big-token&credit=10000000" >/dev/null
  sim_fault smsmode slow ms=1
  t0=$(now)
  # SIGHUP must reach smsmux even when this test runs under nohup
  hup_default=
  if [ "$sig" = HUP ] && env --default-signal=HUP true 2>/dev/null; then
    hup_default=--default-signal=HUP
  fi
  env $hup_default "$SMSMUX" --config "$CONFIG" --json send --to-file "$TMP/people.csv" \
    --text 'Bonjour ${prenom}' --ref "$ref" --workers $WORKERS \
    >"$TMP/first.out" 2>"$TMP/first.err" &
  pid=$!
  # the signal once the run is well under way (some hundreds of rows sent)
  i=0
  while [ "$(sim_sends)" -lt 300 ] && [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -"$sig" $pid
  wait $pid
  rc=$?
  OUT=$(cat "$TMP/first.out")
  at_signal=$(sim_sends)
  if [ "$at_signal" -gt 0 ] && [ "$at_signal" -lt "$ROWS" ]; then
    pass "SIG$sig: the signal came mid-run ($at_signal of $ROWS requests sent)"
  else
    fail "SIG$sig: the signal came mid-run" "requests sent: $at_signal of $ROWS"
  fi
  if [ "$sig" = KILL ]; then
    assert_eq 137 "$rc" "SIGKILL: the first run was killed"
  else
    assert_eq 1 "$rc" "SIG$sig: exit 1, as for Ctrl-C"
    assert_json '.error.message | test("^interrupted \\(SIG'"$sig"'\\)")' true \
      "SIG$sig: the JSON document is whole and says interrupted"
    assert_json '.summary.unknown' 0 "SIG$sig: nothing possibly sent"
    assert_contains "$(cat "$TMP/first.err")" "run the same command again with the same --ref" \
      "SIG$sig: stderr says how to send the rest"
    first_sent=$(jqr '.summary.sent')
    assert_eq "$at_signal" "$first_sent" \
      "SIG$sig: every request the simulator got is reported sent"
  fi

  run_smsmux --config "$CONFIG" --json send --to-file "$TMP/people.csv" \
    --text 'Bonjour ${prenom}' --ref "$ref" --workers $WORKERS
  t1=$(now)
  printf '%s' "$OUT" | jq -r '.messages[] | select(.possibly_sent) | .recipients[0].to' |
    sed 's/^+//' | sort >"$TMP/possibly.txt"
  possibly=$(grep -c . "$TMP/possibly.txt")
  assert_json '.summary.sent + .summary.unknown' "$ROWS" "SIG$sig: rerun: every row taken or possibly sent"
  assert_json '.summary.refused' 0 "SIG$sig: rerun: no row failed"
  if [ "$sig" = KILL ]; then
    if [ "$possibly" -le $WORKERS ]; then
      pass "SIGKILL: rerun: $possibly possibly sent, at most one per worker ($WORKERS)"
    else
      fail "SIGKILL: rerun: at most one possibly sent per worker" "$possibly possibly sent"
    fi
    assert_eq "$([ "$possibly" -gt 0 ] && echo 3 || echo 0)" "$RC" \
      "SIGKILL: rerun exit status (3 when some row is possibly sent)"
  else
    assert_eq 0 "$RC" "SIG$sig: rerun: exit 0"
    assert_eq 0 "$possibly" "SIG$sig: rerun: no row possibly sent"
    assert_json '.summary.duplicate' "$first_sent" \
      "SIG$sig: rerun: the rows sent before are skipped, no more"
  fi

  # count per number at the simulator
  sim_counts >"$TMP/counts.txt"
  assert_eq "" "$(awk '$2 != 1' "$TMP/counts.txt")" "SIG$sig: no number received twice"
  awk '{ print $1 }' "$TMP/counts.txt" >"$TMP/got.txt"
  # missing numbers must be among the possibly sent ones
  missing=$(comm -23 "$TMP/expected.txt" "$TMP/got.txt" | comm -23 - "$TMP/possibly.txt")
  assert_eq "" "$missing" "SIG$sig: every number received once (bar the possibly sent)"
  assert_eq "" "$(comm -13 "$TMP/expected.txt" "$TMP/got.txt")" "SIG$sig: no number outside the file"
  echo "# SIG$sig: $ROWS rows, signal after $at_signal, $possibly possibly sent, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
}

for s in INT TERM HUP KILL; do
  run_case $s
done

finish
