#!/bin/sh
# A send split into several requests whose second request fails after the
# first was accepted (issue 11): the accepted recipients are reported
# accepted with their ids and journaled; only the others fail over, or
# fail; a --ref rerun sends only those; no number reaches the provider
# twice.  generic-http speaks the simulator's sMsmode API with
# max_recipients = 2 (the core splits by it, ABI 1.2 set_limits); the
# account has credit for 2 SMS, so the second request answers
# `33 | Crédits insuffisants` (credit: move on).
. "$top_srcdir/tests/generic-http/common.sh"

account() { sim_ctl POST "account?provider=smsmode&token=$1&credit=$2" >/dev/null; }
# every number of every sendSMS.do the simulator accepted, sorted, one a line
numbers_received() {
  sim_ctl GET "messages?provider=smsmode" |
    jq -r '[.[] | .recipients[] | (.number // .numero // .to)] | sort | .[]'
}
# numero= of every sendSMS.do request of account $1, in order
requests_of() {
  sim_requests smsmode | jq -r --arg t "$1" '[.[] |
    select(.path|endswith("/sendSMS.do")) |
    select(.query|contains("accessToken=" + $t)) |
    (.query | capture("numero=(?<n>[^&]*)").n | gsub("%2C"; ","))] | join(" ")'
}

write_config partial.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
routes = both

[provider.gen]
plugin = generic-http
base_url = @SIM@/smsmode/http/1.6
auth = param
auth_param = accessToken
token = tok-gen
send_method = GET
send_url = /sendSMS.do
send_params = message=${text} & numero=${to_list}
numbers_format = digits
max_recipients = 2
id_from = field:3
code_from = field:1
credit_when = regex:^33 *\|
temporary_when = regex:^(31|50) *\|
invalid_when = regex:^(35|41|61) *\|

[provider.backup]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = tok-backup

[route.both]
providers = gen, backup
EOF2
CONFIG=$TMP/partial.ini
FIVE=+33611000001,+33611000002,+33611000003,+33611000004,+33611000005

# --- failover: only the recipients not accepted move on ----------------------
sim_reset; account tok-gen 2; account tok-backup 1000
gh send --to "$FIVE" --text 'partiel'
assert_eq 0 "$RC" "failover_send_exits_0"
assert_eq "33611000001,33611000002 33611000003,33611000004 33611000005" \
  "$(requests_of tok-gen)" "gen_was_asked_in_requests_of_2"
assert_eq "33611000003,33611000004,33611000005" "$(requests_of tok-backup)" \
  "backup_got_only_the_three_gen_did_not_accept"
assert_json '[.recipients[] | "\(.to) \(.status) \(.provider)"] | sort | join(",")' \
  "+33611000001 accepted gen,+33611000002 accepted gen,+33611000003 accepted backup,+33611000004 accepted backup,+33611000005 accepted backup" \
  "each_recipient_accepted_once_by_the_provider_that_took_it"
GEN_ID=$(sim_ctl GET "messages?provider=smsmode&token=tok-gen" | jq -r '.[0].id // .[0].smsID')
assert_json '[.recipients[] | select(.provider=="gen") | .id] | unique | join(",")' \
  "$GEN_ID" "gen_recipients_carry_gens_message_id"
assert_json '[.recipients[] | select(.provider=="backup") | .id != null] | all' \
  true "backup_recipients_carry_an_id"
assert_eq "$(printf '%s\n' 33611000001 33611000002 33611000003 33611000004 33611000005)" \
  "$(numbers_received)" "no_number_received_twice"
assert_json '[.attempts[] | "\(.provider) \(.result)"] | join(",")' \
  "gen ok,gen failed,gen failed,backup ok" "attempts_per_request"

# --- no failover: the others fail; a --ref rerun sends only them -------------
sim_reset; account tok-gen 2
FOUR=+33622000001,+33622000002,+33622000003,+33622000004
gh send --provider gen --ref run-1 --to "$FOUR" --text 'encore'
assert_eq 1 "$RC" "partial_failure_exits_1"
assert_json '.possibly_sent' false "partial_failure_is_not_possibly_sent"
assert_json '[.recipients[] | "\(.to) \(.status)"] | sort | join(",")' \
  "+33622000001 accepted,+33622000002 accepted,+33622000003 failed,+33622000004 failed" \
  "accepted_ones_accepted_others_failed"
assert_json '[.recipients[] | select(.status=="accepted") | .id != null] | all' \
  true "accepted_ones_have_their_id"
assert_json '.error.class' credit "the_error_is_the_second_requests"
assert_contains "$(jqr .error.message)" "other recipients were accepted by gen" \
  "the_error_says_some_were_accepted"
assert_eq "33622000001,33622000002 33622000003,33622000004" "$(requests_of tok-gen)" \
  "first_run_two_requests"
account tok-gen 10
gh send --provider gen --ref run-1 --to "$FOUR" --text 'encore'
assert_eq 0 "$RC" "ref_rerun_exits_0"
assert_eq "33622000001,33622000002 33622000003,33622000004 33622000003,33622000004" \
  "$(requests_of tok-gen)" "the_rerun_sent_only_the_two_that_failed"
assert_json '[.recipients[] | "\(.to) \(.status) \(.text // "")"] | sort | join(",")' \
  "+33622000001 accepted already sent under this ref,+33622000002 accepted already sent under this ref,+33622000003 accepted ,+33622000004 accepted " \
  "rerun_reports_the_first_two_as_already_sent"
assert_eq "$(printf '%s\n' 33622000001 33622000002 33622000003 33622000004)" \
  "$(numbers_received)" "no_number_received_twice_across_the_rerun"

# --- a router skip: an instance without ${at} is not asked to schedule -------
sim_reset; account tok-gen 100; account tok-backup 1000
gh send --to +33633000001 --text 'plus tard' --at '2035-12-21 14:35:00'
assert_eq 0 "$RC" "scheduled_send_exits_0"
assert_json '.provider' backup "gen_without_at_template_is_skipped_for_at"
assert_eq "" "$(requests_of tok-gen)" "gen_was_not_asked_to_schedule"
gh route --to +33633000001 --text 'plus tard' --at '2035-12-21 14:35:00'
assert_json '.candidates[] | select(.provider=="gen") | .reason' \
  "lacks the schedule capability (--at)" "route_says_why_gen_is_skipped"

finish
