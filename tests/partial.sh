#!/bin/sh
# The send path with plugins that need no network (tests/plugins/engine/):
#  - a send that fails after its plugin reported the first recipient
#    accepted (its second request failed): that recipient stays accepted,
#    with its id, journaled; only the others fail over, or fail; a --ref
#    rerun sends only those; no number is sent twice;
#  - "not this provider" (SMSMUX_ERR_UNSUITABLE) moves on;
#  - an instance's own limits (ABI 1.2 set_limits): recipients per send,
#    a capability added, a minimum scheduling delay; the max_recipients
#    host key lowering the limit further.
. "$top_srcdir/tests/lib.sh"

SENT=$TMP/sent.log
export SMSMUX_TEST_SENT_LOG="$SENT"
# the numbers the plugins accepted, sorted (a number twice shows twice)
sent_numbers() { grep '^+' "$SENT" | sort | tr '\n' ' '; }
# the sizes of the sends, in order
sends() { grep '^send ' "$SENT" | cut -d' ' -f2 | tr '\n' ' '; }

write_config engine.ini <<'EOF'
[smsmux]
plugin_dir = @TEST_PLUGINS@/engine
state_dir = @TMP@/state
routes = both
; failures here are the point: no breaker between the cases
breaker_failures = 0
[provider.partial]
plugin = partial
[provider.good]
plugin = good
[provider.limits]
plugin = limits
[route.both]
providers = partial, good
EOF
C="--config $TMP/engine.ini --json"

# --- failover after a partial send --------------------------------------------
: >"$SENT"
run_smsmux $C send --to +33611000001,+33611000002,+33611000003 --text 'hello'
assert_eq 0 "$RC" "partial then failover: exit 0"
assert_json '[.recipients[] | "\(.to) \(.status) \(.provider) \(.id)"] | sort | join(",")' \
  "+33611000001 accepted partial partial-first,+33611000002 accepted good good-1,+33611000003 accepted good good-1" \
  "the first recipient stays with partial and its id; the others go to good"
assert_json '[.attempts[] | "\(.provider) \(.result) \(.class)"] | join(",")' \
  "partial failed temporary,good ok ok" "attempts: partial failed, good ok"
assert_contains "$(jqr '.attempts[0].message')" "1 recipient(s) accepted before the failure" \
  "the failed attempt says what it accepted"
assert_json .provider partial "the result names the first provider that accepted"
assert_eq "+33611000001 +33611000002 +33611000003 " "$(sent_numbers)" \
  "no number sent twice"

# --- no failover: the others fail; the rerun sends only them ------------------
: >"$SENT"
run_smsmux $C send --provider partial --ref r-1 --to +33622000001,+33622000002 --text 'hi'
assert_eq 1 "$RC" "partial without failover: exit 1"
assert_json '[.recipients[] | "\(.to) \(.status)"] | sort | join(",")' \
  "+33622000001 accepted,+33622000002 failed" "accepted stays accepted; the other failed"
assert_json '.error.class' temporary "the error is the failure's"
assert_json '.possibly_sent' false "not possibly sent"
run_smsmux $C send --provider partial --ref r-1 --to +33622000001,+33622000002 --text 'hi'
assert_eq 0 "$RC" "the --ref rerun exits 0"
assert_eq "2 1 " "$(sends)" "the rerun sent one recipient"
assert_eq "+33622000001 +33622000002 " "$(sent_numbers)" "no number sent twice across the rerun"
assert_json '[.recipients[] | "\(.to) \(.text // "-")"] | sort | join(",")' \
  "+33622000001 already sent under this ref,+33622000002 -" \
  "the rerun reports the first as already sent"
run_smsmux --config "$TMP/engine.ini" status --provider partial partial-first
# (the test plugin has no status: only the journal matters here)

# --- not this provider: the next one -------------------------------------------
: >"$SENT"
run_smsmux $C send --to +33633000001 --text 'unsuitable text'
assert_eq 0 "$RC" "unsuitable: failover exits 0"
assert_json '[.attempts[] | "\(.provider) \(.result) \(.class)"] | join(",")' \
  "partial failed unsuitable,good ok ok" "unsuitable moves on to the next provider"
run_smsmux $C send --provider partial --to +33633000001 --text 'unsuitable text'
assert_eq 1 "$RC" "unsuitable with no other candidate: exit 1 (like invalid)"
assert_json '.error.class' unsuitable "its class is unsuitable"
assert_json '.recipients[0].status' failed "the recipient failed (nothing accepted)"

# --- an instance's own limits ---------------------------------------------------
: >"$SENT"
run_smsmux $C send --provider limits --to +33644000001,+33644000002,+33644000003,+33644000004,+33644000005 --text 'x'
assert_eq 0 "$RC" "limits: exit 0"
assert_eq "2 2 1 " "$(sends)" "set_limits max_recipients 2: the core splits 2, 2, 1"
AT_SOON=$(date -d '+5 minutes' '+%Y-%m-%d %H:%M:%S')
AT_LATER=$(date -d '+30 minutes' '+%Y-%m-%d %H:%M:%S')
run_smsmux $C route --provider limits --to +33644000001 --text 'x' --at "$AT_SOON"
assert_json '.candidates[0].chosen' false "limits: 5 minutes ahead is too soon"
assert_contains "$(jqr '.candidates[0].reason')" "schedules only 600 s or more ahead" \
  "limits: the minimum delay is the reason"
run_smsmux $C route --provider limits --to +33644000001 --text 'x' --at "$AT_LATER"
assert_json '.candidates[0].chosen' true "limits: 30 minutes ahead, and the schedule capability it added"
run_smsmux $C route --provider good --to +33644000001 --text 'x' --at "$AT_LATER"
assert_json '.candidates[0].reason' "lacks the schedule capability (--at)" \
  "the descriptor's capabilities stay for an instance that reports none"
sed -i 's/^plugin = limits$/plugin = limits\nmax_recipients = 1/' "$TMP/engine.ini"
: >"$SENT"
run_smsmux $C send --provider limits --to +33644000001,+33644000002,+33644000003 --text 'x'
assert_eq "1 1 1 " "$(sends)" "the max_recipients key lowers the plugin's limit"
sed -i 's/^max_recipients = 1$/max_recipients = 0/' "$TMP/engine.ini"
run_smsmux $C send --provider limits --to +33644000001 --text 'x'
assert_eq 2 "$RC" "max_recipients = 0: a configuration error"
line=$(grep -n '^max_recipients = 0$' "$TMP/engine.ini" | cut -d: -f1) # 13 (14 on PostgreSQL: a store line)
assert_contains "$(jqr '.error.message')" "engine.ini:$line: [provider.limits] max_recipients: \"0\" is not a number" \
  "max_recipients error names file, line and key"

finish
