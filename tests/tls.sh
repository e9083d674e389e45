#!/bin/sh
# TLS trust (issue 11): a provider behind a private CA.  The simulator
# serves https with a certificate of a CA made here; smsmux trusts it only
# when told: ca_file or ca_path ([provider.NAME], or [smsmux] for all), or
# SSL_CERT_FILE / SSL_CERT_DIR when no ca_* key is set (libcurl does not
# read them itself).  Then the warning for credentials sent in cleartext.
. "$top_srcdir/tests/lib.sh"

command -v openssl >/dev/null || { echo "openssl not found: skipped"; exit 77; }
umask 077
mkdir -p "$TMP/pki" "$TMP/capath"
(
  cd "$TMP/pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
    -days 2 -subj "/CN=smsmux test CA" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
    -subj "/CN=127.0.0.1" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext
  openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 2 -extfile ext 2>/dev/null &&
  openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem \
    -days 2 -subj "/CN=another CA" 2>/dev/null
) || { echo "openssl could not make the test PKI" >&2; exit 99; }
cp "$TMP/pki/ca.pem" "$TMP/capath/"
openssl rehash "$TMP/capath" 2>/dev/null || c_rehash "$TMP/capath" >/dev/null
umask 022
[ -s "$TMP/pki/srv.pem" ] || { echo "no server certificate" >&2; exit 99; }

# the control API over https too: curl (the tool) reads CURL_CA_BUNDLE,
# libcurl (smsmux) does not
export CURL_CA_BUNDLE="$TMP/pki/ca.pem"
sim_start --tls-cert "$TMP/pki/srv.pem" --tls-key "$TMP/pki/srv.key"
SIM_URL="https://127.0.0.1:$SIM_PORT"
assert_contains "$(sim_ctl GET providers)" '"smsmode"' "the simulator answers over https"
unset SSL_CERT_FILE SSL_CERT_DIR

# conf NAME [SMSMUX_LINES] [PROVIDER_LINES]
conf() {
  {
    printf '[smsmux]\nplugin_dir = @PLUGINS@\nstate_dir = @TMP@/state\n%b' "${2-}"
    printf '[provider.sms]\nplugin = smsmode\nbase_url = @SIM@/smsmode/http/1.6\n'
    printf 'access_token = demo-token\n%b' "${3-}"
  } | write_config "$1"
}
send_via() { run_smsmux --config "$TMP/$1" --json send --to 0612345678 --text tls; }

conf plain.ini
send_via plain.ini
assert_eq 1 "$RC" "untrusted private CA: the send fails"
assert_json .error.class temporary "untrusted private CA: class temporary (nothing was sent)"
assert_json '.attempts[0].code' tls "untrusted private CA: code tls"
assert_json '.recipients[0].status' failed "untrusted private CA: the recipient failed"

conf provider-file.ini "" "ca_file = $TMP/pki/ca.pem\n"
send_via provider-file.ini
assert_eq 0 "$RC" "[provider] ca_file: the send goes through"
assert_json .provider sms "[provider] ca_file: sent by sms"

conf global-file.ini "ca_file = $TMP/pki/ca.pem\n"
send_via global-file.ini
assert_eq 0 "$RC" "[smsmux] ca_file: the send goes through"

conf global-path.ini "ca_path = $TMP/capath\n"
send_via global-path.ini
assert_eq 0 "$RC" "[smsmux] ca_path (hashed directory): the send goes through"

# a provider's own key wins over [smsmux]'s: here a CA that does not sign
conf both.ini "ca_file = $TMP/pki/ca.pem\n" "ca_file = $TMP/pki/other.pem\n"
send_via both.ini
assert_json '.attempts[0].code' tls "the provider's ca_file replaces [smsmux]'s"

SSL_CERT_FILE="$TMP/pki/ca.pem" send_via plain.ini
assert_eq 0 "$RC" "SSL_CERT_FILE is honoured when no ca_* key is set"
SSL_CERT_DIR="$TMP/capath" send_via plain.ini
assert_eq 0 "$RC" "SSL_CERT_DIR is honoured when no ca_* key is set"
SSL_CERT_FILE="$TMP/pki/other.pem" send_via provider-file.ini
assert_eq 0 "$RC" "a ca_* key wins over SSL_CERT_FILE"

# keys checked at load: an existing file / directory, errors by file:line
conf missing.ini "ca_file = $TMP/pki/nope.pem\n"
send_via missing.ini
assert_eq 2 "$RC" "ca_file naming no file: exit 2"
assert_contains "$ERR$OUT" "missing.ini:4: [smsmux] ca_file: \"$TMP/pki/nope.pem\": No such file or directory" \
  "ca_file naming no file: file, line, key and why"
conf notdir.ini "" "ca_path = $TMP/pki/ca.pem\n"
send_via notdir.ini
assert_eq 2 "$RC" "ca_path naming a file: exit 2"
assert_contains "$ERR$OUT" "notdir.ini:8: [provider.sms] ca_path:" "ca_path naming a file: file, line, key"
assert_contains "$ERR$OUT" "not a directory" "ca_path naming a file: says why"

# --- credentials over cleartext http:// to another machine: one warning ------
warn_conf() {
  printf '[smsmux]\nplugin_dir = @PLUGINS@\nstate_dir = @TMP@/state\n[provider.far]\nplugin = smsmode\nbase_url = %s\naccess_token = demo-token\n' "$1" |
    write_config warn.ini
}
warn_conf "http://192.0.2.1:9/smsmode/http/1.6"
run_smsmux --config "$TMP/warn.ini" providers
assert_contains "$ERR" "far: base_url is cleartext http:// to another machine" \
  "cleartext base_url with credentials: a warning naming the instance"
assert_contains "$ERR" "use the provider's https:// URL" "the warning says what to do"
assert_eq 1 "$(printf '%s\n' "$ERR" | grep -c 'cleartext http://')" "the warning is given once"
for url in "http://127.0.0.1:9/x" "http://127.8.9.10:9/x" "http://localhost:9/x" \
    "http://[::1]:9/x" "https://192.0.2.1:9/x"; do
  warn_conf "$url"
  run_smsmux --config "$TMP/warn.ini" providers
  assert_not_contains "$ERR" "cleartext" "no warning for $url"
done

finish
