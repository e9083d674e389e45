#!/bin/sh
# The plugin SDK from a plugin author's side:
#  - examples/myprovider, built out of tree with nothing but cc, the
#    public headers and the helper library (sdk/libsmsmux-plugin.a, the
#    archive `make install` installs), dropped into a temporary plugin_dir,
#    checked with `plugins --check`, configured and sent through to
#    smsmux-sim (it speaks the simulator's sMsmode API);
#  - tests/plugins/frozen10, built against the frozen ABI 1.0 header only,
#    keeps loading and sending as provider.h grows.
# (tests/installcheck.sh builds the same example against the INSTALLED SDK.)
. "$top_srcdir/tests/lib.sh"

mkdir -p "$TMP/plugins"
# exactly what docs/PLUGINS.md tells a plugin author to type
if cc -shared -fPIC -I"$top_srcdir/include" "$top_srcdir/examples/myprovider/myprovider.c" \
    -L"$top_builddir/sdk" -lsmsmux-plugin -o "$TMP/plugins/myprovider.so" 2>"$TMP/cc.err"; then
  pass "example_builds_with_plain_cc_the_public_headers_and_the_helper_library"
else
  fail "example_builds_with_plain_cc_the_public_headers_and_the_helper_library" "$(cat "$TMP/cc.err")"
fi

run_smsmux --json plugins --check "$TMP/plugins/myprovider.so"
assert_eq 0 "$RC" "example_passes_plugins_check"
# the helpers it links (SMSMUX_NEED_HOST) stay hidden: the entry alone
assert_json '[.problems[], .warnings[]] | length' 0 \
  "example_with_the_helper_library_exports_the_entry_alone"
assert_json '.name + " " + .abi' "myprovider $ABI_VERSION" "example_check_reports_name_and_abi"
assert_json '.config_keys | join(",")' "access_token (required, secret)" \
  "example_check_reports_its_secret_key"

sim_start
write_config sdk.ini <<'EOF2'
[smsmux]
plugin_dir = @TMP@/plugins
state_dir = @TMP@/state

[provider.mine]
plugin = myprovider
base_url = @SIM@/smsmode/http/1.6
access_token = Ab1CD2efg3Hi

[provider.broke]
plugin = myprovider
base_url = @SIM@/smsmode/http/1.6
access_token = poor-token
EOF2
CONFIG=$TMP/sdk.ini

run_smsmux --config "$CONFIG" --json providers
assert_json '[.providers[] | select(.loaded)] | length' 2 "example_instances_are_ready"

run_smsmux --config "$CONFIG" --json --verbose send --provider mine --to 0612345678 \
  --text 'Hello from an out-of-tree plugin'
assert_eq 0 "$RC" "send_through_example_exits_0"
assert_eq "GET /smsmode/http/1.6/sendSMS.do?accessToken=Ab1CD2efg3Hi&message=Hello+from+an+out-of-tree+plugin&numero=33612345678" \
  "$(sim_requests smsmode | jq -r '.[-1] | "\(.method) \(.path)?\(.query)"')" \
  "example_sends_the_request_the_simulator_expects"
assert_json '.provider' mine "send_json_names_the_example_instance"
id=$(jqr .id)
assert_eq 1 "$([ -n "$id" ] && [ "$id" != null ] && echo 1)" "send_json_has_the_simulators_message_id"
assert_json '.recipients[0].to + " " + .recipients[0].status' "+33612345678 accepted" \
  "send_json_recipient_accepted_in_e164"
assert_json '.attempts[0].result' ok "send_json_attempt_ok"
assert_not_contains "$ERR" "Ab1CD2efg3Hi" "verbose_trace_redacts_the_secret_token"
assert_contains "$ERR" "sendSMS.do" "verbose_trace_shows_the_request"

run_smsmux --config "$CONFIG" --json send --provider broke --to 0612345678 --text 'no credit'
assert_eq 1 "$RC" "example_maps_no_credit_to_exit_1"
assert_json '.error.class' credit "example_maps_code_33_to_credit"
assert_json '.error.code' 33 "example_keeps_the_providers_raw_code"

sim_fault smsmode down
run_smsmux --config "$CONFIG" --json send --provider mine --to 0612345678 --text 'down'
assert_eq 1 "$RC" "provider_down_exits_1"
assert_json '.error.class' temporary "provider_down_is_temporary"
sim_reset

# an answer it cannot read: quoted through host->excerpt (one line, no
# control characters, valid UTF-8), not as raw bytes
sim_fault smsmode garbage
run_smsmux --config "$CONFIG" --json send --provider mine --to 0612345678 --text 'garbled'
assert_eq 3 "$RC" "unreadable_answer_exits_3"
assert_json '.error.class' unknown_outcome "unreadable_answer_is_unknown_outcome"
assert_json '[.error.message | explode[] | select(. < 32)] | length' 0 \
  "unreadable_answer_quoted_without_control_characters"
assert_json '.error.message | contains("unreadable answer from the provider: <html>oops")' true \
  "unreadable_answer_quoted"
sim_reset

# ---- a plugin built against the frozen ABI 1.0 header ---------------------
write_config frozen.ini <<'EOF2'
[smsmux]
plugin_dir = @TEST_PLUGINS@
state_dir = @TMP@/state
[provider.old]
plugin = frozen10
greeting = hello
EOF2
run_smsmux --json plugins --check "$TEST_PLUGINS/frozen10.la"
assert_eq 0 "$RC" "frozen_1_0_plugin_passes_check"
assert_json '.abi' 1.0 "frozen_1_0_plugin_declares_abi_1_0"
assert_json '.descriptor_size <= .host_descriptor_size' true \
  "frozen_1_0_descriptor_no_larger_than_the_hosts"
run_smsmux --config "$TMP/frozen.ini" --json send --to 0612345678,0698765432 \
  --text 'still here' --option tag=t1
assert_eq 0 "$RC" "frozen_1_0_plugin_sends"
assert_json '.id' frozen10-33612345678-t1 \
  "frozen_1_0_plugin_reaches_number_format_strf_and_option"
assert_json '[.recipients[].to] | join(",")' "+33612345678,+33698765432" \
  "frozen_1_0_plugin_reports_each_recipient"
run_smsmux --config "$TMP/frozen.ini" --json send --to 0612345678 --text 'refuse me'
assert_eq 1 "$RC" "frozen_1_0_plugin_failure_reaches_the_host"
assert_json '.error.code' F1 "frozen_1_0_plugin_failure_code"
assert_json '.error.class' invalid "frozen_1_0_plugin_failure_class"
run_smsmux --config "$TMP/frozen.ini" --json credit
assert_eq 0 "$RC" "frozen_1_0_plugin_balance"
assert_json '.credits[0].credit' 42.5 "frozen_1_0_plugin_balance_value"

finish
