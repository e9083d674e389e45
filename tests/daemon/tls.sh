#!/bin/sh
# HTTPS (tls_cert, tls_key) on several listen addresses: each listener
# answers over TLS with the configured certificate.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
command -v openssl >/dev/null 2>&1 || { echo "openssl is needed to make a test certificate"; exit 77; }
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/tls.key" -out "$TMP/tls.pem" >/dev/null 2>&1 ||
  { echo "openssl could not make a certificate"; exit 77; }
chmod 600 "$TMP/tls.key"
sim_start
daemon_config - <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
[server]
listen = 127.0.0.1:0, 127.0.0.1:0
tls_cert = tls.pem
tls_key = tls.key
admin_key = @KEY@
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF
daemon_start
ports=$(sed -n 's|.*listening on https://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/d.log")
assert_eq 2 "$(printf '%s\n' "$ports" | grep -c .)" "two HTTPS listeners started"
for p in $ports; do
  STATUS=$(curl -sS -o "$TMP/.h" -w '%{http_code}' --cacert "$TMP/tls.pem" "https://127.0.0.1:$p/healthz")
  assert_eq 200 "$STATUS" "https on port $p: /healthz 200 (certificate verified)"
  STATUS=$(curl -sS -o "$TMP/.h" -w '%{http_code}' --cacert "$TMP/tls.pem" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -d '{"to": "0612345601", "text": "tls"}' "https://127.0.0.1:$p/v1/messages")
  assert_eq 202 "$STATUS" "https on port $p: a message submitted"
done
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$D_PORT/healthz" 2>/dev/null)
assert_eq yes "$([ "$STATUS" != 200 ] && echo yes)" "plain HTTP on the TLS port is not answered as HTTP"
daemon_stop
assert_eq 0 "$D_RC" "SIGTERM: exit 0"
finish
