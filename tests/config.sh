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

expect_config_error syntax "syntax.ini:1: a section header that does not end with ']'" \
  "malformed INI" <<'EOF2'
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
expect_config_error badcost "badcost.ini:3: [provider.a] cost: \"cheap\" is not a price" "bad cost" <<'EOF2'
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

# ---- syntax: file and line, never the line itself ------------------------
# expect_line_error NAME "FILE-SUFFIX:LINE: message" WHAT (config on stdin);
# SECRET-VALUE, wherever the config has it, must not appear anywhere
expect_line_error() {
  write_config "$1.ini"
  run_smsmux --config "$TMP/$1.ini" --json providers
  assert_eq 2 "$RC" "$3: exit 2"
  assert_json .error.class config "$3: class config"
  assert_contains "$(jqr .error.message)" "$TMP/$2" "$3: names file and line"
  assert_not_contains "$OUT$ERR" "SECRET-VALUE" "$3: value not shown (--json)"
  run_smsmux --config "$TMP/$1.ini" providers
  assert_contains "$ERR" "$TMP/$2" "$3: names file and line on stderr"
  assert_not_contains "$OUT$ERR" "SECRET-VALUE" "$3: value not shown (stderr)"
}
expect_line_error noequal "noequal.ini:4: syntax error" "line without =" <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[provider.a]
access_token SECRET-VALUE
plugin = smsmode
EOF2
expect_line_error dupsec "dupsec.ini:5: [provider.a] appears a second time (first at line 1)" \
  "duplicate section" <<'EOF2'
[provider.a]
plugin = smsmode
access_token = SECRET-VALUE
; the same section again, differently written
[ Provider.A ]
access_token = other
EOF2
expect_line_error dupkey "dupkey.ini:4: [provider.a] access_token: set a second time (first at line 3)" \
  "duplicate key" <<'EOF2'
[provider.a]
plugin = smsmode
access_token = SECRET-VALUE
Access_Token = SECRET-VALUE-2
EOF2
expect_line_error outside "outside.ini:2: key \"access_token\" is outside any section" \
  "key before any section" <<'EOF2'
; a comment first
access_token = SECRET-VALUE
[provider.a]
plugin = smsmode
EOF2
expect_line_error dquote "dquote.ini:3: [provider.a] access_token: unterminated quote" \
  "unterminated double quote" <<'EOF2'
[provider.a]
plugin = smsmode
access_token = "SECRET-VALUE
EOF2
expect_line_error squote "squote.ini:4: [provider.a] login: unterminated quote" \
  "unterminated single quote, after a continued line" <<'EOF2'
[provider.a]
plugin = \
  smsmode
login = 'SECRET-VALUE
EOF2
# quoted values, comments and a continued line are still fine
write_config fine.ini <<'EOF2'
# comment
[smsmux]
plugin_dir = @PLUGINS@   ; trailing comment
[provider.a]
plugin = smsmode
access_token = "a;b#c"
cost = \
  0.04
EOF2
run_smsmux --config "$TMP/fine.ini" --json providers
assert_eq 0 "$RC" "quotes, comments and continued lines accepted"
expect_config_error cont 'cont.ini:3: [provider.a] cost: "cheap" is not a price' \
  "a continued line is one line, named by its first" <<'EOF2'
[provider.a]
plugin = smsmode
cost = \
  cheap
EOF2

# a config that is a link to a file that is no INI (here /etc/shadow, when
# readable): none of its content is shown
if [ -r /etc/shadow ] && [ -s /etc/shadow ]; then
  ln -s /etc/shadow "$TMP/shadow.ini"
  first=$(head -n 1 /etc/shadow | cut -d: -f1-2)
  run_smsmux --config "$TMP/shadow.ini" --json providers
  assert_eq 2 "$RC" "link to /etc/shadow: exit 2"
  assert_contains "$(jqr .error.message)" "shadow.ini:1: syntax error" "link to /etc/shadow: file and line"
  assert_not_contains "$OUT$ERR" "$first" "link to /etc/shadow: its first line not shown"
fi

# ---- numbers: finite and in range -----------------------------------------
for bad in "cost = nan" "cost = inf" "cost = -1" "cost = 1e7" "cost.+32 = nan" \
  "max_rps = nan" "max_rps = -inf" "max_rps = -1" "max_rps = 1e-9" \
  "credit_per_segment = nan" "credit_per_segment = -0.5" "credit_per_segment = 1e9"; do
  key=${bad%% =*}
  write_config num.ini <<EOF2
[smsmux]
plugin_dir = @PLUGINS@
[provider.a]
plugin = smsmode
access_token = x
$bad
EOF2
  run_smsmux --config "$TMP/num.ini" --json providers
  assert_eq 2 "$RC" "$bad: refused"
  assert_contains "$(jqr .error.message)" "num.ini:6: [provider.a] $key:" "$bad: names file, line and key"
done

# ---- credentials inside base_url ------------------------------------------
write_config creds.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[provider.a]
plugin = smsmode
access_token = x
base_url = http://user:SECRET-VALUE@127.0.0.1:9/api
EOF2
run_smsmux --config "$TMP/creds.ini" --json providers
assert_eq 2 "$RC" "credentials in base_url: exit 2"
assert_contains "$(jqr .error.message)" "creds.ini:6: [provider.a] base_url: holds credentials" \
  "credentials in base_url: says so"
assert_contains "$(jqr .error.message)" "plugin's own keys" "credentials in base_url: says where they go"
assert_not_contains "$OUT$ERR" "SECRET-VALUE" "credentials in base_url: not shown"
sed -i 's|^base_url = .*|base_url = https://SECRET-VALUE@127.0.0.1:9|' "$TMP/creds.ini"
run_smsmux --config "$TMP/creds.ini" send --to 0612345678 --text hi
assert_eq 2 "$RC" "user without password in base_url: refused too"
assert_not_contains "$OUT$ERR" "SECRET-VALUE" "user in base_url: not shown"

# ---- no provider configured -----------------------------------------------
# a configuration error; in the sanitizer build (UBSan stops the process on
# undefined behaviour) this also checks the router's empty plan
write_config noprov.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
EOF2
run_smsmux --config "$TMP/noprov.ini" --json send --to 0612345678 --text hi
assert_eq 2 "$RC" "no provider configured: send exits 2"
assert_contains "$(jqr .error.message)" "no provider is configured" "no provider configured: says so"
run_smsmux --config "$TMP/noprov.ini" route --to 0612345678 --text hi
assert_eq 2 "$RC" "no provider configured: route exits 2"

# ---- who may write the configuration (ssh's StrictModes) ------------------
write_config perms.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[provider.a]
plugin = smsmode
access_token = env:SMSMUX_TEST_TOKEN
EOF2
chmod 666 "$TMP/perms.ini"
SMSMUX_TEST_TOKEN=abc run_smsmux --config "$TMP/perms.ini" --json providers
assert_eq 2 "$RC" "world-writable config: exit 2"
assert_contains "$(jqr .error.message)" "$TMP/perms.ini: refusing this configuration: it is writable by group or others (mode 0666)" \
  "world-writable config: says why"
assert_contains "$(jqr .error.message)" "chmod go-w $TMP/perms.ini" "world-writable config: says how to fix it"
chmod 620 "$TMP/perms.ini"
SMSMUX_TEST_TOKEN=abc run_smsmux --config "$TMP/perms.ini" providers
assert_eq 2 "$RC" "group-writable config: exit 2"
chmod 644 "$TMP/perms.ini"
SMSMUX_TEST_TOKEN=abc run_smsmux --config "$TMP/perms.ini" providers
assert_eq 0 "$RC" "mode 0644, no secret in it, own file: accepted"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
  chmod 600 "$TMP/perms.ini" && chown nobody "$TMP/perms.ini"
  SMSMUX_TEST_TOKEN=abc run_smsmux --config "$TMP/perms.ini" --json providers
  assert_eq 2 "$RC" "config owned by another user: exit 2"
  assert_contains "$(jqr .error.message)" "refusing this configuration: it is owned by uid $(id -u nobody) (nobody), neither root nor the user running smsmux" \
    "config owned by another user: says why"
  assert_contains "$(jqr .error.message)" "chown 0 $TMP/perms.ini" "config owned by another user: says how to fix it"
  chown root "$TMP/perms.ini"
fi

# ---- no core dump of a process holding secrets ----------------------------
# Observable from outside as another user: a non-dumpable process's /proc
# files belong to root.  smsmux runs as nobody, and waits on a slow answer.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
  sim_start
  sim_fault smsmode slow "ms=3000"
  chmod 711 "$TMP"
  mkdir -m 700 "$TMP/nobody" && chown nobody "$TMP/nobody"
  write_config nobody/dump.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/nobody/state
[provider.a]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF2
  chown nobody "$TMP/nobody/dump.ini"
  setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$TMP/nobody" \
    "$SMSMUX" --config "$TMP/nobody/dump.ini" send --to 0612345678 --text hi \
    >"$TMP/nobody/out" 2>&1 &
  pid=$!
  owner=
  i=0
  while [ $i -lt 40 ]; do # until it is waiting for the simulator
    if [ "$(sim_requests smsmode | jq length)" -ge 1 ]; then
      owner=$(stat -c %u "/proc/$pid/environ" 2>/dev/null); break
    fi
    sleep 0.1; i=$((i + 1))
  done
  wait $pid
  assert_eq 0 "$?" "non-dumpable: the send itself succeeds ($(cat "$TMP/nobody/out"))"
  assert_eq 0 "$owner" "non-dumpable once a config holding secrets is loaded"
  chmod 700 "$TMP"
fi

# [plan.NAME] (issue 14): every key checked, with file and line
expect_config_error plankey "plankey.ini:3: [plan.gold] smss: unknown key (known: sms, sms.+PREFIX, mms, voice, refund)" \
  "unknown key in a plan" <<'EOF2'
[smsmux]
[plan.gold]
smss = 2
EOF2
expect_config_error planprice "[plan.gold] sms.+32: \"1.5\" is not a price in whole units" \
  "a price that is not whole units" <<'EOF2'
[plan.gold]
sms.+32 = 1.5
EOF2
expect_config_error planprefix "[plan.gold] sms.32: a price per destination is written sms.+PREFIX" \
  "a prefix without +" <<'EOF2'
[plan.gold]
sms.32 = 3
EOF2
expect_config_error planrefund "[plan.gold] refund: \"failed\" is not a delivery status a plan can refund" \
  "refund of an unknown status" <<'EOF2'
[plan.gold]
refund = undelivered, failed
EOF2
expect_config_error planname "[plan.]: a plan section is [plan.NAME]" "a plan without a name" <<'EOF2'
[plan.]
sms = 1
EOF2
finish
