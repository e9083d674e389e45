#!/bin/sh
# Loader: each way a plugin can be broken gets its own clear error, and a
# plugin built for an older ABI minor still loads and sends.
. "$top_srcdir/tests/lib.sh"

provider_error() { # NAME PLUGIN -> error string of `providers --json`
  write_config "$1.ini" <<EOF2
[smsmux]
plugin_dir = @TEST_PLUGINS@
state_dir = @TMP@/state
[provider.$1]
plugin = $2
EOF2
  run_smsmux --config "$TMP/$1.ini" --json providers
  jqr ".providers[0].error"
}

assert_contains "$(provider_error missing doesnotexist)" \
  'plugin "doesnotexist" not found in' "missing file is named"
assert_contains "$(provider_error ne noentry)" \
  "not a smsmux plugin (no smsmux_provider_entry symbol)" "no entry symbol"
assert_contains "$(provider_error nu nullentry)" \
  "smsmux_provider_entry() returned NULL" "entry returning NULL"
e=$(provider_error a2 abi2)
assert_contains "$e" "built for smsmux plugin ABI 2.x" "other ABI major names the plugin's major"
assert_contains "$e" "this smsmux speaks ABI $ABI_VERSION" "other ABI major names the host's"
e=$(provider_error nf nofuncs)
assert_contains "$e" "required functions missing" "missing functions refused"
assert_contains "$e" "status balance" "missing functions listed"
assert_contains "$(provider_error wn wrongname)" \
  'declares the name "good" but its file is named "wrongname"' "name must be the file stem"

# the same plugin name in two directories of plugin_dir
write_config twin.ini <<EOF2
[smsmux]
plugin_dir = @TEST_PLUGINS@:@TEST_PLUGINS@/dup
state_dir = @TMP@/state
[provider.g]
plugin = good
EOF2
run_smsmux --config "$TMP/twin.ini" --json providers
assert_contains "$(jqr '.providers[0].error')" 'two plugins named "good"' "two plugins with one name"
run_smsmux --config "$TMP/twin.ini" --json plugins
assert_eq 1 "$(jqr '[.plugins[] | select(.name == "good" and .loaded)] | length')" \
  "plugins lists the twin once as loaded"
assert_contains "$(jqr '[.plugins[] | select(.name == "good" and (.loaded|not))][0].error')" \
  "two plugins named" "plugins says why the second twin is refused"

# `plugins` lists every file with its reason
write_config list.ini <<EOF2
[smsmux]
plugin_dir = @TEST_PLUGINS@
state_dir = @TMP@/state
EOF2
run_smsmux --config "$TMP/list.ini" --json plugins
assert_eq 0 "$RC" "plugins exits 0 even with broken plugins"
assert_eq false "$(jqr '.plugins[] | select(.name=="abi2") | .loaded')" "abi2 listed as not loaded"
assert_eq true "$(jqr '.plugins[] | select(.name=="good") | .loaded')" "good listed as loaded"
assert_eq "1.0" "$(jqr '.plugins[] | select(.name=="good") | .abi')" "ABI shown"
run_smsmux --config "$TMP/list.ini" plugins
assert_contains "$OUT" "noentry" "human plugins output lists noentry"

# a send through a broken plugin: configuration error, exit 2, nothing sent
write_config broken.ini <<EOF2
[smsmux]
plugin_dir = @TEST_PLUGINS@
state_dir = @TMP@/state
[provider.b]
plugin = abi2
EOF2
run_smsmux --config "$TMP/broken.ini" send --to 0612345678 --text hi
assert_eq 2 "$RC" "send through only a broken plugin exits 2"
assert_contains "$ERR" "ABI 2.x" "and says why"

# an older-minor plugin (descriptor ends at send) loads and sends
write_config older.ini <<EOF2
[smsmux]
plugin_dir = @TEST_PLUGINS@
state_dir = @TMP@/state
[provider.old]
plugin = older
EOF2
run_smsmux --config "$TMP/older.ini" --json send --to 0612345678 --text "hello"
assert_eq 0 "$RC" "older-minor plugin sends"
assert_json .id older-1 "older-minor plugin's id"
assert_json '.recipients[0].to' +33612345678 "recipient normalised"
run_smsmux --config "$TMP/older.ini" --json status --provider old older-1
assert_eq 2 "$RC" "status on a plugin without it: exit 2"
assert_json .error.class unsupported "status unsupported class"

# limits from the descriptor: 3 segments at most
long=$(printf '%0500d' 0)
run_smsmux --config "$TMP/older.ini" send --to 0612345678 --text "$long"
assert_eq 2 "$RC" "text over the provider's segments is an input error"
assert_contains "$ERR" "takes 4 segments, this provider sends at most 3" "and says so"

# ---- plugins --check FILE: one file, no configuration, every problem -----
check() { # FILE -> run `plugins --check FILE --json` (no --config at all)
  run_smsmux --json plugins --check "$1"
}
check "$TEST_PLUGINS/good.la"
assert_eq 0 "$RC" "check_good_plugin_exits_0"
assert_json '.ok' true "check_good_plugin_ok"
assert_json '.entry_symbol + " " + (.entry_found|tostring)' "smsmux_provider_entry true" \
  "check_reports_the_entry_symbol_found"
assert_json '.abi + " " + .host_abi' "1.0 $ABI_VERSION" "check_reports_plugin_and_host_abi"
assert_json '.descriptor_size == .host_descriptor_size' true "check_reports_descriptor_sizes"
assert_json '.name + " " + .version' "good 0.0.1" "check_reports_name_and_version"
assert_json '.capabilities | join(",")' "sms,alphanumeric_sender" "check_reports_capabilities"
assert_json '.problems | length' 0 "check_good_plugin_no_problem"
assert_json 'has("error")' false "check_good_plugin_no_error"
run_smsmux plugins --check "$TEST_PLUGINS/good.la"
assert_eq 0 "$RC" "check_text_good_exits_0"
assert_contains "$OUT" "good.la: ok, loads" "check_text_says_it_loads"
assert_contains "$OUT" "entry symbol: smsmux_provider_entry found" "check_text_entry_symbol"
assert_contains "$OUT" "ABI: 1.0 (this smsmux: $ABI_VERSION)" "check_text_abi"

check "$TEST_PLUGINS/older.la"
assert_eq 0 "$RC" "check_older_minor_plugin_passes"
assert_json '.descriptor_size < .host_descriptor_size' true \
  "check_older_minor_descriptor_smaller_than_host"

check "$TEST_PLUGINS/noentry.la"
assert_eq 2 "$RC" "check_no_entry_exits_2"
assert_json '.entry_found' false "check_no_entry_found_false"
assert_contains "$(jqr .error.message)" "not a smsmux plugin (no smsmux_provider_entry symbol)" \
  "check_no_entry_says_why"
assert_json '.error.class' config "check_no_entry_class_config"

check "$TEST_PLUGINS/nullentry.la"
assert_eq 2 "$RC" "check_null_entry_exits_2"
assert_json '[.entry_found, .descriptor_found] | map(tostring) | join(" ")' "true false" \
  "check_null_entry_symbol_found_but_no_descriptor"
assert_contains "$(jqr '.problems[0]')" "smsmux_provider_entry() returned NULL" "check_null_entry_says_why"

check "$TEST_PLUGINS/abi2.la"
assert_eq 2 "$RC" "check_abi2_exits_2"
assert_json '.abi' "2.0" "check_abi2_reports_the_plugins_abi"
assert_contains "$(jqr '.problems[0]')" "built for smsmux plugin ABI 2.x" "check_abi2_says_why"

check "$TEST_PLUGINS/nofuncs.la"
assert_eq 2 "$RC" "check_missing_functions_exits_2"
assert_contains "$(jqr '.problems[0]')" "required functions missing for its declared capabilities: status balance" \
  "check_missing_functions_listed"

check "$TEST_PLUGINS/wrongname.la"
assert_eq 2 "$RC" "check_wrong_name_exits_2"
assert_contains "$(jqr '.problems[0]')" 'declares the name "good" but its file is named "wrongname"' \
  "check_name_must_be_the_file_stem"

check "$TEST_PLUGINS/badops.la"
assert_eq 2 "$RC" "check_bad_operations_exits_2"
assert_json '.problems | length' 5 "check_lists_every_bad_operation"
assert_json '.problems[0]' "operation 2 has an empty name" "check_operation_without_name"
assert_json '.problems[1]' 'operation "list" is declared twice' "check_operation_declared_twice"
assert_json '.problems[2]' 'operation "empty-param": parameter 2 has an empty name' \
  "check_parameter_without_name"
assert_contains "$(jqr '.problems[3]')" "parameter \"opt?ional\" is not a name" \
  "check_question_mark_only_at_the_end"
assert_json '.problems[4]' 'operation "twice": parameter "id" is declared twice' \
  "check_parameter_declared_twice"
assert_contains "$(provider_error bo badops)" "operation 2 has an empty name" \
  "loader_refuses_bad_operations_too"

check "$TEST_PLUGINS/badkeys.la"
assert_eq 2 "$RC" "check_bad_keys_exits_2"
assert_json '.problems | length' 4 "check_lists_every_descriptor_problem"
assert_contains "$(jqr '.problems | join("\n")')" "max_recipients is 0" "check_max_recipients_zero"
assert_contains "$(jqr '.problems | join("\n")')" 'default_base_url "ftp://127.0.0.1/" is not an http:// or https:// URL' \
  "check_default_base_url_must_be_http"
assert_contains "$(jqr '.problems | join("\n")')" 'config key "Login" is not a lowercase key name' \
  "check_config_key_lowercase"
assert_contains "$(jqr '.problems | join("\n")')" 'config key "token" is declared twice' \
  "check_config_key_declared_twice"
run_smsmux plugins --check "$TEST_PLUGINS/badkeys.la"
assert_eq 2 "$RC" "check_text_bad_keys_exits_2"
assert_contains "$OUT" "badkeys.la: does not load" "check_text_says_it_does_not_load"
assert_contains "$OUT" "problem: config key \"token\" is declared twice" "check_text_lists_problems"
assert_contains "$ERR" "max_recipients is 0" "check_text_first_problem_on_stderr"

# files that are no plugin at all
printf 'just some text\n' >"$TMP/notes.so"
check "$TMP/notes.so"
assert_eq 2 "$RC" "check_text_file_exits_2"
assert_contains "$(jqr .error.message)" "not a smsmux plugin: not a shared library (no ELF header)" \
  "check_text_file_is_not_a_plugin"
lib=$top_builddir/core/.libs/libsmsmux.so
check "$lib"
assert_eq 2 "$RC" "check_elf_without_entry_exits_2"
assert_contains "$(jqr .error.message)" "not a smsmux plugin (no smsmux_provider_entry symbol)" \
  "check_elf_without_entry_symbol"
assert_json '.opened' true "check_elf_without_entry_was_opened"
check "$TMP/nothing-here.so"
assert_eq 2 "$RC" "check_missing_file_exits_2"
assert_contains "$(jqr .error.message)" "no such plugin file" "check_missing_file_says_so"
run_smsmux plugins --check
assert_eq 2 "$RC" "check_without_file_is_a_usage_error"
run_smsmux plugins --check "$TEST_PLUGINS/good.la" extra
assert_eq 2 "$RC" "check_with_extra_argument_is_a_usage_error"

# ---- files that must never reach the dynamic loader ----------------------
# Every test plugin has a constructor that appends its name to
# $SMSMUX_TEST_CONSTRUCTOR_MARK: a refused plugin's code must not have run.
MARK=$TMP/constructor-ran
export SMSMUX_TEST_CONSTRUCTOR_MARK="$MARK"
good_so=$TEST_PLUGINS/.libs/good.so
plugin_config() { # NAME DIR PLUGIN: config of one instance NAME
  write_config "$1.ini" <<EOF2
[smsmux]
plugin_dir = $2
state_dir = @TMP@/state
[provider.$1]
plugin = $3
EOF2
}

# the control: a copy in a directory of our own loads, and its constructor
# leaves the mark (so the mark's absence below means something)
mkdir -m 755 "$TMP/own" && cp "$good_so" "$TMP/own/good.so"
rm -f "$MARK"
check "$TMP/own/good.so"
assert_eq 0 "$RC" "trust_own_copy_loads"
assert_eq good "$(cat "$MARK" 2>/dev/null)" "trust_own_copy_constructor_ran"

# a truncated library (an interrupted copy): a clear error, never SIGBUS
mkdir -m 755 "$TMP/trunc"
# (cut at 8 KiB: inside the segments dlopen maps, which crashed with SIGBUS)
head -c 8192 "$good_so" >"$TMP/trunc/good.so"
check "$TMP/trunc/good.so"
assert_eq 2 "$RC" "truncated_check_exits_2"
assert_contains "$(jqr .error.message)" "truncated" "truncated_check_says_truncated"
assert_json .opened false "truncated_check_never_opened"
plugin_config tr "$TMP/trunc" good
run_smsmux --config "$TMP/tr.ini" --json plugins
assert_eq 0 "$RC" "truncated_plugins_lists_it"
assert_contains "$(jqr '.plugins[0].error')" "truncated" "truncated_plugins_says_why"
run_smsmux --config "$TMP/tr.ini" --json send --to 0612345678 --text hi
assert_eq 2 "$RC" "truncated_send_exits_2"
assert_contains "$(jqr .error.message)" "truncated" "truncated_send_says_why"
# cut after the segments but before the section headers, inside the ELF
# header itself, and right after it
size=$(wc -c <"$good_so")
head -c $((size - 100)) "$good_so" >"$TMP/trunc/good.so"
check "$TMP/trunc/good.so"
assert_eq 2 "$RC" "truncated_sections_exits_2"
assert_contains "$(jqr .error.message)" "truncated" "truncated_sections_says_truncated"
head -c 40 "$good_so" >"$TMP/trunc/good.so"
check "$TMP/trunc/good.so"
assert_eq 2 "$RC" "truncated_header_exits_2"
assert_contains "$(jqr .error.message)" "truncated" "truncated_header_says_truncated"
head -c 64 "$good_so" >"$TMP/trunc/good.so"
check "$TMP/trunc/good.so"
assert_eq 2 "$RC" "header_only_exits_2"
assert_contains "$(jqr .error.message)" "truncated" "header_only_says_truncated"

# a symbol defined nowhere: refused at load with its name, no constructor
rm -f "$MARK"
check "$TEST_PLUGINS/unresolved.la"
assert_eq 2 "$RC" "unresolved_check_exits_2"
assert_json .ok false "unresolved_check_not_ok"
assert_contains "$(jqr '.problems[0]')" "undefined symbol: smsmux_test_defined_nowhere" \
  "unresolved_check_names_the_symbol"
run_smsmux plugins --check "$TEST_PLUGINS/unresolved.la"
assert_contains "$OUT" "unresolved.la: does not load" "unresolved_check_text_does_not_load"
plugin_config un @TEST_PLUGINS@ unresolved
run_smsmux --config "$TMP/un.ini" --json send --to 0612345678 --text hi
assert_eq 2 "$RC" "unresolved_send_exits_2_not_127"
assert_json .error.class config "unresolved_send_config_error_in_json"
assert_contains "$(jqr .error.message)" "undefined symbol: smsmux_test_defined_nowhere" \
  "unresolved_send_names_the_symbol"
assert_eq "" "$(cat "$MARK" 2>/dev/null)" "unresolved_constructor_never_ran"

# more exported than the entry point
check "$TEST_PLUGINS/exports.la"
assert_eq 2 "$RC" "exports_check_exits_2"
e=$(jqr '.problems | join("\n")')
assert_contains "$e" "exports 2 symbols besides smsmux_provider_entry" "exports_check_counts_them"
assert_contains "$e" "tp_exported_helper" "exports_check_names_the_function"
assert_contains "$e" "tp_exported_table" "exports_check_names_the_object"

# a directory or file someone else could write, or owned by someone else:
# refused before the dynamic loader sees it (the constructor never runs)
mkdir -m 755 "$TMP/open" && cp "$good_so" "$TMP/open/good.so" && chmod 777 "$TMP/open"
rm -f "$MARK"
check "$TMP/open/good.so"
assert_eq 2 "$RC" "trust_writable_dir_exits_2"
assert_contains "$(jqr .error.message)" "$TMP/open: refusing this plugin directory: it is writable by group or others (mode 0777)" \
  "trust_writable_dir_says_why"
assert_contains "$(jqr .error.message)" "chmod go-w $TMP/open" "trust_writable_dir_says_how_to_fix"
plugin_config op "$TMP/open" good
run_smsmux --config "$TMP/op.ini" --json send --to 0612345678 --text hi
assert_eq 2 "$RC" "trust_writable_dir_send_exits_2"
run_smsmux --config "$TMP/op.ini" --json plugins
assert_contains "$(jqr '.plugins[0].error')" "writable by group or others" "trust_writable_dir_plugins_says_why"
assert_eq "" "$(cat "$MARK" 2>/dev/null)" "trust_writable_dir_constructor_never_ran"
chmod 755 "$TMP/open" && chmod 666 "$TMP/open/good.so"
check "$TMP/open/good.so"
assert_eq 2 "$RC" "trust_writable_file_exits_2"
assert_contains "$(jqr .error.message)" "$TMP/open/good.so: refusing this plugin: it is writable by group or others (mode 0666)" \
  "trust_writable_file_says_why"
chmod 644 "$TMP/open/good.so"
ln -s "$TMP/open/good.so" "$TMP/own/link.so"
chmod 775 "$TMP/open"
check "$TMP/own/link.so"
assert_eq 2 "$RC" "trust_symlink_into_writable_dir_exits_2"
assert_contains "$(jqr .error.message)" "$TMP/open: refusing" "trust_symlink_checks_where_it_leads"
chmod 755 "$TMP/open"
# a libtool .la: the library it names (in .libs/) is checked as well
mkdir -m 755 "$TMP/la" "$TMP/la/.libs"
cp "$TEST_PLUGINS/good.la" "$TMP/la/" && cp "$good_so" "$TMP/la/.libs/"
check "$TMP/la/good.la"
assert_eq 0 "$RC" "trust_la_copy_loads"
chmod 777 "$TMP/la/.libs"
check "$TMP/la/good.la"
assert_eq 2 "$RC" "trust_la_writable_libs_dir_exits_2"
assert_contains "$(jqr .error.message)" "$TMP/la/.libs: refusing this plugin directory" \
  "trust_la_writable_libs_dir_says_why"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
  chown nobody "$TMP/open/good.so"
  rm -f "$MARK"
  check "$TMP/open/good.so"
  assert_eq 2 "$RC" "trust_foreign_file_exits_2"
  assert_contains "$(jqr .error.message)" "refusing this plugin: it is owned by uid $(id -u nobody) (nobody), neither root nor the user running smsmux" \
    "trust_foreign_file_says_why"
  assert_contains "$(jqr .error.message)" "chown 0 $TMP/open/good.so" "trust_foreign_file_says_how_to_fix"
  chown root "$TMP/open/good.so" && chown nobody "$TMP/open"
  check "$TMP/open/good.so"
  assert_eq 2 "$RC" "trust_foreign_dir_exits_2"
  assert_contains "$(jqr .error.message)" "$TMP/open: refusing this plugin directory: it is owned by uid" \
    "trust_foreign_dir_says_why"
  assert_eq "" "$(cat "$MARK" 2>/dev/null)" "trust_foreign_constructor_never_ran"
  chown root "$TMP/open"
else
  echo "# skipped: the other-owner cases need root and a nobody user"
fi
unset SMSMUX_TEST_CONSTRUCTOR_MARK


# --- instances are opened on first use ---------------------------------------
# `status --provider b` needs b only: a's plugin is loaded and its keys
# checked, but its open (a login, for some providers) does not happen.
sim_start
write_config lazy.ini <<'EOF2'
[smsmux]
plugin_dir = @TEST_PLUGINS@:@PLUGINS@
state_dir = @TMP@/state-lazy
[provider.a]
plugin = good
[provider.b]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF2
rm -f "$TMP/open.mark"
SMSMUX_TEST_OPEN_MARK="$TMP/open.mark" run_smsmux --config "$TMP/lazy.ini" --json status --provider b 12345
assert_eq true "$(sim_requests smsmode | jq 'length > 0')" "lazy: the status request reached sMsmode"
assert_eq 0 "$(cat "$TMP/open.mark" 2>/dev/null | wc -l)" \
  "lazy: status --provider b did not open instance a"
SMSMUX_TEST_OPEN_MARK="$TMP/open.mark" run_smsmux --config "$TMP/lazy.ini" --json providers
assert_eq 1 "$(cat "$TMP/open.mark" 2>/dev/null | wc -l)" \
  "lazy: providers opened instance a, once"
assert_json '.providers[0].loaded' true "lazy: a is listed usable"

finish
