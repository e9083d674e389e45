#!/bin/sh
# Mediasflow conformance: the login docs/providers/mediasflow.md describes (the guide names no
# login URL): POST base_url + auth_path {"login","password"} as JSON, the
# token taken from the answer's `Authorization: Bearer` header (else a
# `token` member), sent back as `Authorization: Bearer T` on every request,
# kept for the instance's lifetime, renewed once on a 401; the token and
# the password never show in --verbose traces or --json output.
. "$top_srcdir/tests/mediasflow/common.sh"

send_one() { mf send --provider mf --to +33632545311 --text 'Bonjour' "$@"; }

# --- the login request and the bearer token ---------------------------------
sim_reset
send_one
assert_eq 0 "$RC" "send_with_login_exits_0"
assert_eq "POST $API/auth
POST $API/campaigns/inject" "$(req_paths)" "login_comes_before_the_first_request"
assert_request "login_posts_to_auth_path_default" POST "$API/auth" "" 0
assert_eq "application/json" "$(req '.content_type' 0)" "login_body_is_json"
# byte for byte: login first, then password, as docs/providers/mediasflow.md writes them
assert_eq '{"login":"demo","password":"demo-password"}' "$(req '.body' 0)" \
  "login_body_carries_login_and_password"
assert_eq null "$(req '.headers.authorization' 0)" "login_itself_carries_no_token"
TOKEN=$(sim_tokens | head -n 1)
assert_eq "Bearer $TOKEN" "$(req '.headers.authorization' 1)" \
  "request_carries_the_token_of_the_authorization_header"

# the token of a `token` member when the answer has no Authorization header
sim_reset
sim_mf_ctl POST account "login=demo&token_in=body" >/dev/null
send_one
assert_eq 0 "$RC" "token_member_login_send_exits_0"
TOKEN=$(sim_tokens | head -n 1)
assert_eq "Bearer $TOKEN" "$(req '.headers.authorization' 1)" \
  "request_carries_the_token_of_the_token_member"

# auth_path: another path under base_url, or an absolute URL
write_config path.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.mf]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
auth_path = @SIM@/mediasflow/api/v1/auth
login = demo
password = demo-password

[provider.slash]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1/
login = demo
password = demo-password

[provider.nologin]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
auth_path = /login
login = demo
password = demo-password
EOF2
sim_reset
run_smsmux --config "$TMP/path.ini" --json send --provider mf --to +33632545311 --text x
assert_eq 0 "$RC" "absolute_auth_path_send_exits_0"
assert_request "absolute_auth_path_is_used_as_is" POST "$API/auth" "" 0
sim_reset
run_smsmux --config "$TMP/path.ini" --json send --provider slash --to +33632545311 --text x
assert_eq 0 "$RC" "base_url_with_a_final_slash_send_exits_0"
assert_eq "POST $API/auth
POST $API/campaigns/inject" "$(req_paths)" "base_url_with_a_final_slash_gives_single_slash_paths"
sim_reset
run_smsmux --config "$TMP/path.ini" --json send --provider nologin --to +33632545311 --text x
assert_error config 2 "auth_path_without_login_request_is_a_config_error"
assert_contains "$(jqr '.error.message')" "auth_path" "auth_path_404_names_the_key"
assert_eq "POST $API/login" "$(req_paths)" "auth_path_404_sends_nothing_else"

# --- a refused login ------------------------------------------------------------
write_config bad.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.wrong]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
login = demo
password = Wr0ngPassw0rd
EOF2
sim_reset
run_smsmux --config "$TMP/bad.ini" --json --verbose send --provider wrong --to +33632545311 --text x
assert_error auth 1 "wrong_password_is_auth"
assert_json '.error.code' "HTTP 401" "wrong_password_keeps_the_http_code"
assert_contains "$(jqr '.error.message')" "login" "wrong_password_says_login_refused"
assert_eq "POST $API/auth" "$(req_paths)" "wrong_password_sends_nothing"
assert_not_contains "$OUT$ERR" "Wr0ngPassw0rd" "wrong_password_never_shown"

# --- 401: log in again once, repeat the request once ---------------------------
# tokens good for one request: the preparation (startNow=false) uses it,
# the injection is refused, the plugin logs in again and injects
sim_reset
sim_mf_ctl POST account "login=demo&token_uses=1" >/dev/null
send_one --option startNow=false
assert_eq 0 "$RC" "relogin_after_401_send_exits_0"
assert_eq "POST $API/auth
POST $API/campaigns/inject
POST $API/campaigns/inject
POST $API/auth
POST $API/campaigns/inject" "$(req_paths)" "relogin_after_401_then_repeats_the_request"
T1=$(req '.headers.authorization' 2)
T2=$(req '.headers.authorization' 4)
assert_eq "$(req '.body' 2)" "$(req '.body' 4)" "relogin_repeats_the_same_request"
if [ "$T1" != "$T2" ]; then pass "relogin_uses_the_new_token"; else fail "relogin_uses_the_new_token" "$T1"; fi
assert_json '.id' "$(sim_mf_ctl GET messages | jq -r '.[-1].id')" \
  "relogin_send_reports_the_campaign"

# tokens refused at once: one new login, then the 401 is the answer
sim_reset
sim_mf_ctl POST account "login=demo&token_uses=0" >/dev/null
send_one
assert_error auth 1 "second_401_is_auth"
assert_eq "POST $API/auth
POST $API/campaigns/inject
POST $API/auth
POST $API/campaigns/inject" "$(req_paths)" "relogin_happens_once_only"
assert_contains "$(jqr '.error.message')" "logging in again" "second_401_says_it_logged_in_again"

# the token lasts for the instance: several sends in one run (one per CSV
# row, personalised) log in once; when it expires mid-run, once more
sim_reset
printf 'mobile;PRENOM\n0632545311;Anne\n0632545312;Bruno\n0632545313;Chloé\n' >"$TMP/rows.csv"
mf send --provider mf --to-file "$TMP/rows.csv" --text 'Bonjour ${PRENOM}'
assert_eq 0 "$RC" "per_row_sends_exit_0"
assert_eq 1 "$(sim_requests mediasflow | jq '[.[] | select(.path | endswith("/auth"))] | length')" \
  "one_run_logs_in_once"
assert_eq 3 "$(sim_requests mediasflow | jq '[.[] | select(.path | endswith("/inject"))] | length')" \
  "one_run_sends_each_row"
assert_eq 1 "$(sim_requests mediasflow | jq '[.[].headers.authorization | select(. != null)] | unique | length')" \
  "one_run_reuses_the_token"
sim_reset
sim_mf_ctl POST account "login=demo&token_uses=2" >/dev/null
mf send --provider mf --to-file "$TMP/rows.csv" --text 'Bonjour ${PRENOM}'
assert_eq 0 "$RC" "token_expiring_mid_run_sends_exit_0"
assert_eq "POST $API/auth
POST $API/campaigns/inject
POST $API/campaigns/inject
POST $API/campaigns/inject
POST $API/auth
POST $API/campaigns/inject" "$(req_paths)" "token_expiring_mid_run_logs_in_again_once"
assert_eq 3 "$(sim_mf_ctl GET messages | jq 'length')" "token_expiring_mid_run_sends_each_row_once"

# the control op: every token refused from now on
sim_reset
send_one
ID=$(jqr '.id')
T=$(sim_tokens | head -n 1)
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T" "$SIM_URL$API/campaigns/reportjson/$ID")
assert_eq 200 "$CODE" "sim_token_accepted_before_expire"
sim_mf_ctl POST expire "login=demo" >/dev/null
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T" "$SIM_URL$API/campaigns/reportjson/$ID")
assert_eq 401 "$CODE" "sim_expire_makes_tokens_refused"

# --- secrets never show -----------------------------------------------------------
# A password that cannot be hidden by luck: the JSON body escapes its tab
# (as \t), so the password as configured is nowhere in the body and only a
# redaction that understands the body hides it; and no fragment of it may
# show (a redaction that stops early leaves the tail).  assert_no_fragment
# checks every 5 characters of the secret, as written and as JSON writes it.
# SECRET2, with a '"' and a '\' (which JSON escapes), is checked the same
# way at the end: the redaction once stopped at the escaped quote and the
# tail of such a password showed in the trace.
SECRET=$(printf 's3/cr\tet+pw&x=é~tail9')
SECRET2='pw"q\u0t3-tail2'
TAB=$(printf '\t')
assert_no_fragment() { # TEXT SECRET WHAT
  _esc=$(printf '%s' "$2" | sed "s/$TAB/\\\\t/g")
  _json=$(jq -n --arg s "$2" '$s' | sed 's/^"//; s/"$//')
  _bad=
  for _s in "$2" "$_esc" "$_json"; do
    _i=1
    while [ $_i -le $(( ${#_s} - 4 )) ]; do
      _frag=$(printf '%s' "$_s" | cut -c "$_i-$((_i + 4))")
      case $1 in *"$_frag"*) _bad="$_bad [$_frag]" ;; esac
      _i=$((_i + 1))
    done
  done
  if [ -z "$_bad" ]; then pass "$3"; else fail "$3" "fragments of the secret:$_bad"; fi
}
MF_SECRET_PASSWORD=$SECRET
export MF_SECRET_PASSWORD
write_config secret.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state-secret

[provider.mf]
plugin = mediasflow
base_url = @SIM@/mediasflow/api/v1
login = demo
password = env:MF_SECRET_PASSWORD
EOF2
sim_reset
sim_mf_ctl POST account "login=demo&token_uses=1&password=$(jq -rn --arg s "$SECRET" '$s | @uri')" >/dev/null
run_smsmux --config "$TMP/secret.ini" --json --verbose send --provider mf --to +33632545311 \
  --text 'Bonjour' --option startNow=false
assert_eq 0 "$RC" "verbose_send_exits_0"
assert_eq "$SECRET" "$(req '.body | fromjson | .password' 0)" "the_login_sent_the_whole_password"
assert_contains "$(req '.body' 0)" 's3/cr\tet' "the_login_body_escapes_the_passwords_tab"
assert_contains "$ERR" "Authorization: Bearer ***" "verbose_trace_shows_bearer_redacted"
assert_contains "$ERR" '"password":"***"' "verbose_trace_redacts_the_login_password"
assert_no_fragment "$OUT$ERR" "$SECRET" "no_fragment_of_the_password_in_verbose_or_json"
N=0
for t in $(sim_tokens); do
  N=$((N + 1))
  assert_not_contains "$OUT$ERR" "$t" "token_${N}_never_in_verbose_or_json"
done
assert_eq 2 "$N" "verbose_run_had_two_tokens_to_hide"
run_smsmux --config "$TMP/secret.ini" --json --verbose status --provider mf 943
N=0
for t in $(sim_tokens); do
  N=$((N + 1))
  assert_not_contains "$OUT$ERR" "$t" "token_${N}_never_in_verbose_status"
done
[ "$N" -ge 1 ] && pass "verbose_status_had_tokens_to_hide ($N)" ||
  fail "verbose_status_had_tokens_to_hide" "the simulator listed no token"
assert_no_fragment "$OUT$ERR" "$SECRET" "no_fragment_of_the_password_in_verbose_status"
# the same password refused: the error says so without quoting it
sim_mf_ctl POST account "login=demo&password=another" >/dev/null
sim_mf_ctl POST expire "login=demo" >/dev/null
run_smsmux --config "$TMP/secret.ini" --json --verbose send --provider mf --to +33632545311 --text x
assert_json .error.class auth "refused_password_is_an_auth_error"
assert_no_fragment "$OUT$ERR" "$SECRET" "no_fragment_of_the_password_when_it_is_refused"
sim_reset
sim_mf_ctl POST account "login=demo&token_in=body" >/dev/null
run_smsmux --config "$CONFIG" --json --verbose send --provider mf --to +33632545311 --text x
T=$(sim_tokens | head -n 1)
assert_contains "$ERR" '"token":"***"' "verbose_trace_redacts_a_token_member"
assert_not_contains "$OUT$ERR" "$T" "token_member_never_in_verbose_or_json"
assert_not_contains "$OUT$ERR" "demo-password" "password_never_in_verbose_or_json"

# a password with a '"' and a '\': escaped in the login body, masked whole
MF_SECRET_PASSWORD=$SECRET2
export MF_SECRET_PASSWORD
sim_reset
sim_mf_ctl POST account "login=demo&token_uses=1&password=$(jq -rn --arg s "$SECRET2" '$s | @uri')" >/dev/null
run_smsmux --config "$TMP/secret.ini" --json --verbose send --provider mf --to +33632545311 \
  --text 'Bonjour' --option startNow=false
assert_eq 0 "$RC" "quote_backslash_password_send_exits_0"
assert_eq "$SECRET2" "$(req '.body | fromjson | .password' 0)" "the_login_sent_the_whole_quote_backslash_password"
assert_contains "$(req '.body' 0)" 'pw\"q\\u0' "the_login_body_escapes_the_quote_and_backslash"
assert_contains "$ERR" '"password":"***"' "verbose_trace_redacts_the_quote_backslash_password"
assert_no_fragment "$OUT$ERR" "$SECRET2" "no_fragment_of_the_quote_backslash_password"
run_smsmux --config "$TMP/secret.ini" --json --verbose status --provider mf 943
assert_no_fragment "$OUT$ERR" "$SECRET2" "no_fragment_of_the_quote_backslash_password_in_status"

finish
