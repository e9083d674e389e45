#!/bin/sh
# generic-http configuration checks: every key is checked when the
# instance opens, and a wrong one makes the provider unusable with an
# error that names the key (exit 2, nothing sent).
. "$top_srcdir/tests/generic-http/common.sh"

# bad_config WHAT KEY 'key = value lines': the error names KEY
bad_config() {
  _what=$1 _key=$2
  {
    printf '[smsmux]\nplugin_dir = @PLUGINS@\nstate_dir = @TMP@/state\n\n'
    printf '[provider.gen]\nplugin = generic-http\nbase_url = @SIM@/clever-http\n'
    printf '%s\n' "$3"
  } | write_config bad.ini
  sim_reset
  run_smsmux --config "$TMP/bad.ini" --json send --provider gen --to +33600000002 --text x
  assert_eq 2 "$RC" "${_what}_exits_2"
  assert_contains "$(jqr '.error.message')" "$_key" "${_what}_error_names_${_key}"
  assert_eq 0 "$(req_count clever-http)" "${_what}_sends_nothing"
}

SEND='send_url = /SendPush/
send_params = text=${text} & recipients=${to_list}'

bad_config missing_send_url send_url 'send_params = text=${text}'
bad_config bad_method send_method "$SEND
send_method = FETCH"
bad_config get_with_body send_body "$SEND
send_method = GET
send_body = json"
bad_config bad_body send_body "$SEND
send_body = xml"
bad_config unknown_placeholder send_params 'send_url = /SendPush/
send_params = text=${txt} & recipients=${to_list}'
bad_config unclosed_placeholder send_params 'send_url = /SendPush/
send_params = text=${text & recipients=${to_list}'
bad_config no_recipients send_params 'send_url = /SendPush/
send_params = text=${text}'
bad_config id_in_send send_params "$SEND & ref=\${id}"
bad_config at_without_format send_params "$SEND & hdsend=\${at}"
bad_config login_unset send_params 'send_url = /SendPush/
send_params = login=${login} & text=${text} & recipients=${to_list}'
bad_config cfg_unknown_key send_params "$SEND & x=\${cfg:nosuchkey}"
bad_config bad_number_type send_params "$SEND & n:int=1"
bad_config bad_numbers_format numbers_format "$SEND
numbers_format = +33"
bad_config bad_max_recipients max_recipients "$SEND
max_recipients = 0"
bad_config bad_charset text_charset "$SEND
text_charset = NO-SUCH-CHARSET"
bad_config json_not_utf8 text_charset "$SEND
send_body = json
text_charset = ISO-8859-15"
bad_config bad_unicode_param unicode_param "$SEND
unicode_param = classe_msg"
bad_config bad_encoding_values encoding_values "$SEND
encoding_values = 3"
bad_config bad_success_status success_status "$SEND
success_status = ok"
bad_config bad_id_from id_from "$SEND
id_from = xml://id"
bad_config bad_field id_from "$SEND
id_from = field:0"
bad_config bad_regex auth_when "$SEND
auth_when = regex:(unclosed"
bad_config bad_condition credit_when "$SEND
credit_when = body:33"
bad_config bad_match_regex invalid_when "$SEND
invalid_when = json:/code=~(unclosed"
bad_config two_stars_in_a_pointer code_from "$SEND
code_from = json:/a/*/b/*/code"
bad_config bad_sender_format sender_format "$SEND
sender_format = intl"
bad_config status_to_without_url status_to "$SEND
status_to = json:/to"
bad_config status_to_of_another_list status_to "$SEND
status_url = /InfosPush/
status_params = reference=\${id}
status_from = json:/deliveries/*/status
status_to = json:/other/*/to"
bad_config bad_send_balance_from send_balance_from "$SEND
send_balance_from = xml:credit"
bad_config bad_auth auth "$SEND
auth = digest"
bad_config basic_without_password password "$SEND
auth = basic
login = me"
bad_config bearer_without_token token "$SEND
auth = bearer"
bad_config param_without_name auth_param "$SEND
auth = param
token = t"
bad_config balance_without_from balance_from "$SEND
balance_url = /InfosAccount/"
bad_config balance_key_without_url balance_url "$SEND
balance_from = pairs:credit"
bad_config status_without_id status_url "$SEND
status_url = /InfosPush/
status_from = pairs:status"
bad_config bad_status_map status_map "$SEND
status_url = /InfosPush/
status_params = reference=\${id}
status_from = pairs:status
status_map = 1:arrived"
bad_config unknown_key sender_id "$SEND
sender_id = me"
bad_config relative_url_without_base send_url 'send_url = SendPush
send_params = text=${text} & recipients=${to_list}'

# a secret in a file others can read is refused (the host's check on the
# SECRET keys the plugin declares)
write_config open.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.gen]
plugin = generic-http
base_url = @SIM@/clever-http
send_url = /SendPush/
send_params = text=${text} & recipients=${to_list}
token = t0ken
EOF2
chmod 644 "$TMP/open.ini"
run_smsmux --config "$TMP/open.ini" --json send --provider gen --to +33600000002 --text x
assert_eq 2 "$RC" "readable_secret_exits_2"
assert_contains "$(jqr '.error.message')" "token" "readable_secret_error_names_token"

# what an instance is not configured for
write_config min.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.gen]
plugin = generic-http
base_url = @SIM@/clever-http
send_url = /SendPush/
send_params = text=${text} & recipients=${to_list}
EOF2
run_smsmux --config "$TMP/min.ini" --json credit --provider gen
assert_json '.credits[0].error.class' unsupported "credit_without_balance_url_is_unsupported"
run_smsmux --config "$TMP/min.ini" --json status --provider gen Push1
assert_json '.error.class' unsupported "status_without_status_url_is_unsupported"
run_smsmux --config "$TMP/min.ini" --json send --provider gen --kind voice --to +33600000002 --text x
assert_eq 2 "$RC" "voice_is_refused_before_sending"

finish
