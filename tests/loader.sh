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
assert_contains "$e" "this smsmux speaks ABI 1.0" "other ABI major names the host's"
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

finish
