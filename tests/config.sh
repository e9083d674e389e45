#!/bin/sh
# Configuration errors: each names the file, the section and the key, exits
# 2, and sends nothing.  Secrets in a file others can read are refused.
. "$top_srcdir/tests/lib.sh"

# expect_config_error NAME EXPECTED-SUBSTRING WHAT  (config on stdin)
expect_config_error() {
  write_config "$1.ini"
  run_smsmux --config "$TMP/$1.ini" --json providers
  assert_eq 2 "$RC" "$3: exit 2"
  assert_json .error.class config "$3: class config"
  assert_contains "$(jqr .error.message)" "$2" "$3: message"
  assert_contains "$(jqr .error.message)" "$TMP/$1.ini" "$3: names the file"
}

expect_config_error syntax "not a valid INI file" "malformed INI" <<'EOF2'
[smsmux
plugin_dir = x
EOF2
expect_config_error section "[transport]: unknown section" "unknown section" <<'EOF2'
[transport]
x = 1
EOF2
expect_config_error smkey "[smsmux] plugindir: unknown key" "unknown key in [smsmux]" <<'EOF2'
[smsmux]
plugindir = /tmp
EOF2
expect_config_error timeout "[smsmux] timeout: \"soon\" is not a number" "bad timeout" <<'EOF2'
[smsmux]
timeout = soon
EOF2
expect_config_error noplugin "[provider.a] plugin: missing" "provider without plugin" <<'EOF2'
[provider.a]
cost = 1
EOF2
expect_config_error badcost "[provider.a] cost: \"cheap\" is not a price" "bad cost" <<'EOF2'
[provider.a]
plugin = smsmode
cost = cheap
EOF2
expect_config_error badprefix "cost.+PREFIX" "bad prefix cost" <<'EOF2'
[provider.a]
plugin = smsmode
cost.32 = 1
EOF2
expect_config_error badurl "[provider.a] base_url: \"ftp://x\" is not an http" "bad base_url" <<'EOF2'
[provider.a]
plugin = smsmode
base_url = ftp://x
EOF2
expect_config_error pluginkey "[provider.a] acces_token: unknown key for plugin smsmode" \
  "unknown plugin key (typo)" <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[provider.a]
plugin = smsmode
acces_token = x
EOF2
expect_config_error required "[provider.a] access_token: missing" "required plugin key" <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[provider.a]
plugin = smsmode
EOF2
expect_config_error envvar "environment variable SMSMUX_TEST_UNSET is not set" "env: reference unset" <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[provider.a]
plugin = smsmode
access_token = env:SMSMUX_TEST_UNSET
EOF2
expect_config_error routeprov "[route.r] providers: \"nope\" is not a configured provider" \
  "route naming an unknown provider" <<'EOF2'
[smsmux]
routes = r
[provider.a]
plugin = smsmode
[route.r]
providers = nope
EOF2
expect_config_error routepolicy "[route.r] policy: \"random\" is not failover" "unknown policy" <<'EOF2'
[smsmux]
routes = r
[provider.a]
plugin = smsmode
[route.r]
policy = random
providers = a
EOF2
expect_config_error routeempty "[route.r] providers: empty" "empty provider list" <<'EOF2'
[smsmux]
routes = r
[provider.a]
plugin = smsmode
[route.r]
policy = failover
EOF2
expect_config_error unreachable "[route.r] is never reachable" "route not in routes" <<'EOF2'
[provider.a]
plugin = smsmode
[route.r]
providers = a
EOF2
expect_config_error nosection "route \"x\" has no [route.x] section" "routes naming no section" <<'EOF2'
[smsmux]
routes = x
EOF2
expect_config_error badmatch "[route.r] match: \"size=3\"" "bad match" <<'EOF2'
[smsmux]
routes = r
[provider.a]
plugin = smsmode
[route.r]
match = size=3
providers = a
EOF2

# secrets in a file group/others can read: refused, with the fix
write_config open.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[provider.a]
plugin = smsmode
access_token = s3cr3t-token-value
EOF2
chmod 644 "$TMP/open.ini"
run_smsmux --config "$TMP/open.ini" send --to 0612345678 --text hi
assert_eq 2 "$RC" "world-readable secret: exit 2"
assert_contains "$ERR" "holds the secret [provider.a] access_token" "says which secret"
assert_contains "$ERR" "chmod 600 $TMP/open.ini" "says how to fix it"
assert_not_contains "$ERR$OUT" "s3cr3t-token-value" "does not print the secret"
chmod 640 "$TMP/open.ini"
run_smsmux --config "$TMP/open.ini" providers
assert_eq 2 "$RC" "group-readable secret: refused too"
chmod 600 "$TMP/open.ini"
run_smsmux --config "$TMP/open.ini" providers
assert_eq 0 "$RC" "mode 0600: accepted"

# the same secret through env: may live in a readable file
write_config env.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[provider.a]
plugin = smsmode
access_token = env:SMSMUX_TEST_TOKEN
EOF2
chmod 644 "$TMP/env.ini"
SMSMUX_TEST_TOKEN=abc run_smsmux --config "$TMP/env.ini" providers
assert_eq 0 "$RC" "secret from env: readable file accepted"

# case-insensitive keys and sections
write_config case.ini <<'EOF2'
[SMSMUX]
Plugin_Dir = @PLUGINS@
[Provider.Main]
PLUGIN = smsmode
Access_Token = x
EOF2
run_smsmux --config "$TMP/case.ini" --json providers
assert_eq 0 "$RC" "upper-case keys accepted"
assert_json '.providers[0].name' main "instance name lowercased"

# a missing config file
run_smsmux --config "$TMP/nope.ini" providers
assert_eq 2 "$RC" "missing file: exit 2"
assert_contains "$ERR" "$TMP/nope.ini: cannot read" "missing file named"

# the annotated example (conf/smsmux.ini) is a valid configuration: every
# key it writes is one the plugins know
sed "s|^\[smsmux\]|[smsmux]\nplugin_dir = $PLUGINS\nstate_dir = $TMP/state-example|" \
  "$top_srcdir/conf/smsmux.ini" >"$TMP/example.ini"
chmod 600 "$TMP/example.ini"
SMSMODE_TOKEN=a SMSMODE_BACKUP_TOKEN=b CLEVER_PASSWORD=c CLEVER_REST_PASSWORD=d \
  MEDIASFLOW_PASSWORD=e ALLMYSMS_PASSCODE=f run_smsmux --config "$TMP/example.ini" --json providers
assert_eq 0 "$RC" "conf/smsmux.ini loads"
assert_json '[.providers[] | select(.loaded)] | length' 5 "conf/smsmux.ini: five instances usable"
assert_json '[.providers[] | select(.enabled|not) | .name] | join(",")' smsmode_backup \
  "conf/smsmux.ini: the backup is disabled"
# and the demo configuration too
sed "s|^plugin_dir = .*|plugin_dir = $PLUGINS|; s|^state_dir .*|state_dir = $TMP/state-demo|" \
  "$top_srcdir/conf/demo.ini" >"$TMP/demo.ini"
chmod 600 "$TMP/demo.ini"
run_smsmux --config "$TMP/demo.ini" --json providers
assert_json '[.providers[] | select(.loaded)] | length' 5 "conf/demo.ini: five instances usable"

finish
