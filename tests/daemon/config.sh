#!/bin/sh
# smsmuxd's [server] section: each key checked like every other section
# (file:line, the key, never a secret), the secrets' file-mode rule,
# env: values, and hook_token accepted in [provider.NAME].
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
TEST_TOKEN=demo-token; export TEST_TOKEN

base() {
  printf '%s\n' '[smsmux]' 'plugin_dir = @PLUGINS@' 'state_dir = @TMP@/state' \
    '[provider.smsmode]' 'plugin = smsmode' 'access_token = env:TEST_TOKEN' \
    'hook_token = env:TEST_TOKEN' '[server]'
}
check() {
  set +e
  "$SMSMUXD" --config "$TMP/d.ini" --check >"$TMP/.out" 2>"$TMP/.err"
  RC=$?
  OUT=$(cat "$TMP/.out"); ERR=$(cat "$TMP/.err")
}

{ base; echo "admin_key = $KEY"; echo 'listen = 127.0.0.1:8080, [::1]:8443'; } | write_config d.ini
check
assert_eq 0 "$RC" "a good [server] section passes --check"
assert_contains "$OUT" "configuration OK" "--check says so"

{ base; echo 'listn = 127.0.0.1:8080'; } | write_config d.ini
check
assert_eq 2 "$RC" "unknown [server] key: exit 2"
assert_contains "$ERR" "d.ini:9: [server] listn: unknown key" "names file, line and key"
run_smsmux --config "$TMP/d.ini" providers
assert_eq 2 "$RC" "the smsmux command refuses it too (same file)"

{ base; echo 'listen = 127.0.0.1'; } | write_config d.ini
check
assert_contains "$ERR" "[server] listen: \"127.0.0.1\" is not a list of host:port" "listen without a port"

{ base; echo 'max_body = 100'; } | write_config d.ini
check
assert_contains "$ERR" "[server] max_body: \"100\" is not a whole number of bytes between 1024 and 67108864" "max_body bounds"

{ base; echo 'workers = 0'; } | write_config d.ini
check
assert_contains "$ERR" "[server] workers: \"0\" is not a whole number of workers between 1 and 256" "workers bounds"

{ base; echo 'request_timeout = 2h'; } | write_config d.ini
check
assert_contains "$ERR" "request_timeout: \"2h\"" "request_timeout must be seconds"

{ base; echo 'tls_cert = cert.pem'; } | write_config d.ini
check
assert_contains "$ERR" "tls_cert and tls_key go together" "tls_cert without tls_key"

{ base; echo 'public_url = ftp://x'; } | write_config d.ini
check
assert_contains "$ERR" "[server] public_url: \"ftp://x\" is not an http:// or https:// URL" "public_url must be http(s)"

{ base; echo 'admin_key = short'; } | write_config d.ini
check
assert_contains "$ERR" "[server] admin_key: too short" "a short admin key is refused"
assert_not_contains "$ERR" "short\"" "... without showing it"

{ base; echo "admin_key = $KEY"; } | write_config d.ini
chmod 644 "$TMP/d.ini"
check
assert_eq 2 "$RC" "a literal admin_key in a world-readable file is refused"
assert_contains "$ERR" "holds the secret [server] admin_key but is readable by group or others (mode 0644)" "says which secret and the mode"
assert_not_contains "$ERR" "$KEY" "never shows the key"

{ base; echo 'admin_key = env:TEST_ADMIN_KEY'; echo 'webhook_secret = env:TEST_ADMIN_KEY'; } | write_config d.ini
chmod 644 "$TMP/d.ini"
set +e
TEST_ADMIN_KEY=$KEY "$SMSMUXD" --config "$TMP/d.ini" --check >/dev/null 2>"$TMP/.err"
assert_eq 0 "$?" "admin_key = env:NAME is fine in a readable file"
"$SMSMUXD" --config "$TMP/d.ini" --check >/dev/null 2>"$TMP/.err"
assert_contains "$(cat "$TMP/.err")" "[server] admin_key: environment variable TEST_ADMIN_KEY is not set" "env: unset is an error"

{ base | sed 's/^hook_token.*/hook_token = h00k-t0ken-secret/'; } | write_config d.ini
chmod 644 "$TMP/d.ini"
run_smsmux --config "$TMP/d.ini" providers
assert_eq 2 "$RC" "hook_token is a secret: refused in a readable file"
assert_contains "$ERR" "holds the secret [provider.smsmode] hook_token" "... naming it"

{ base; echo "admin_key = $KEY"; } | write_config d.ini
check
{ base; } | write_config d.ini
check
assert_eq 0 "$RC" "no admin_key: the file is valid"
assert_contains "$ERR" "[server] admin_key is not set: every API request will be refused (401)" "... and smsmuxd warns"

set +e
"$SMSMUXD" --log-level loud --check >/dev/null 2>"$TMP/.err"
assert_eq 2 "$?" "a bad --log-level: exit 2"
finish
