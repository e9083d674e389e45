#!/bin/sh
# Bad input and abuse: each a clear 4xx with the error object, bounded
# memory and time, nothing queued, the daemon still answering afterwards.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
command -v perl >/dev/null 2>&1 || { echo "perl is needed for the connection tests"; exit 77; }
sim_start
daemon_config - <<'EOF'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state
[server]
listen = 127.0.0.1:0
admin_key = @KEY@
workers = 2
max_body = 65536
max_connections = 200
per_ip_connections = 100
request_timeout = 2
[provider.smsmode]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF
daemon_start
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$D_PID/status"; }
alive() { api GET /healthz; assert_eq 200 "$STATUS" "$1"; }
T0=$(date +%s)

# ---- bodies that are not a message
post_json /v1/messages '{"to": "0612345678", "text": '
assert_eq 400 "$STATUS" "truncated JSON: 400"
assert_json .error.code bad-json "... code bad-json"
post_json /v1/messages '{"to": "0612345678", "text": "x"} {}'
assert_eq 400 "$STATUS" "two JSON values: 400"
post_json /v1/messages '["0612345678"]'
assert_eq 400 "$STATUS" "an array for a message: 400"
assert_json .error.code not-an-object "... code not-an-object"
post_json /v1/messages '{"to": "0612345678", "text": "x", "priority": 1}'
assert_eq 400 "$STATUS" "unknown field: 400"
assert_json .error.code unknown-field "... code unknown-field"
assert_contains "$OUT" '\"priority\"' "... naming the field"
post_json /v1/messages '{"to": 612345678, "text": "x"}'
assert_eq 400 "$STATUS" "a number where a string goes: 400"
assert_json .error.code wrong-type "... code wrong-type"
post_json /v1/messages '{"to": "0612345678", "text": "x", "duration": 1.5}'
assert_eq 400 "$STATUS" "a fractional duration: 400"
post_json /v1/messages '{"to": "0612345678", "text": "x", "duration": 1e400}'
assert_eq 400 "$STATUS" "a huge number: 400"
post_json /v1/messages '{"to": "0612345678", "text": "x", "at": "0581-12-24T18:00:00Z"}'
assert_eq 400 "$STATUS" "a time before 1970: 400"
post_json /v1/messages '{"to": "0612345678", "text": "x", "at": "tomorrow"}'
assert_eq 400 "$STATUS" "a bad time: 400"
assert_json .error.code bad-value "... code bad-value"
post_json /v1/messages "$(printf '{"to": "0612345678", "text": "caf\351"}')"
assert_eq 400 "$STATUS" "invalid UTF-8 in a string: 400"
assert_json .error.code bad-utf8 "... code bad-utf8"
post_json /v1/messages "$(printf '{"to": "0612345678", "text": "a\\u0000b"}')"
assert_eq 400 "$STATUS" "an escaped NUL in the text: refused"
post_json /v1/messages "$(awk 'BEGIN { for (i = 0; i < 50; i++) printf "["; }')"
assert_eq 400 "$STATUS" "deep nesting: 400"
post_json /v1/messages ''
assert_eq 400 "$STATUS" "an empty body: 400"
api POST /v1/messages -H 'Content-Type: text/plain' --data-binary '{"to":"0612345678","text":"x"}'
assert_eq 415 "$STATUS" "not JSON: 415"
post_json /v1/messages "{\"to\": [$(awk 'BEGIN { for (i = 0; i < 1001; i++) printf "%s\"0612345678\"", i ? "," : ""; }')], \"text\": \"x\"}"
assert_eq 400 "$STATUS" "1001 recipients in one message: 400"
assert_json .error.code too-many "... code too-many"

# ---- a batch with one bad row queues nothing
post_json /v1/batches '[{"to": "0612345601", "text": "ok"}, {"to": "0612345602", "text": 12}]'
assert_eq 400 "$STATUS" "a batch with a number for a text: 400"
assert_contains "$(jqr .error.message)" "message 2 of the batch" "... naming the row"
post_json /v1/batches '{"to": "0612345601"}'
assert_eq 400 "$STATUS" "a batch that is not an array: 400"

# ---- size and time
set +e
head -c 104857600 /dev/zero | tr '\0' 'a' >"$TMP/big"
s=$(date +%s)
api POST /v1/messages -H 'Content-Type: application/json' --data-binary @"$TMP/big"
assert_eq 413 "$STATUS" "a 100 MB body: 413"
assert_json .error.code too-large "... with the error object"
api POST /v1/messages -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big"
assert_eq 413 "$STATUS" "a 100 MB chunked body (no length): 413"
rm -f "$TMP/big"
e=$(date +%s)
assert_eq yes "$([ $((e - s)) -le 15 ] && echo yes || echo "no: $((e - s)) s")" "... answered in bounded time"
rss=$(rss_kb)
assert_eq yes "$([ "$rss" -lt 102400 ] && echo yes || echo "no: $rss kB")" "... in bounded memory (RSS < 100 MB)"

# a header flood: 4000 headers
awk 'BEGIN { for (i = 0; i < 4000; i++) printf "X-Flood-%d: %080d\n", i, 0; }' >"$TMP/headers"
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' -H @"$TMP/headers" "$D_URL/healthz" 2>/dev/null)
case $STATUS in 4[0-9][0-9]) pass "a header flood: $STATUS" ;; *) fail "a header flood: 4xx" "got $STATUS" ;; esac
alive "answering after the flood"

# slowloris: a request that never ends is closed after request_timeout
out=$(perl -MIO::Socket::INET -e '
  my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die "connect: $!";
  print $s "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  my $t = time; my $buf;
  local $SIG{ALRM} = sub { print "open"; exit 0 }; alarm 10;
  my $n = sysread($s, $buf, 100);
  print(($n // 0) == 0 ? "closed after " . (time - $t) . " s" : "answered");' "$D_PORT" 2>&1)
case $out in "closed after "[0-4]" s") out=closed ;; esac
assert_eq closed "$out" "a slow client is dropped after request_timeout"

# a body trickled one byte a second: cut once request_timeout has passed
out=$(perl -MIO::Socket::INET -e '
  $SIG{PIPE} = "IGNORE";
  my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]) or die "connect: $!";
  print $s "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
  my $t = time;
  for (1 .. 15) { last unless syswrite($s, "{"); sleep 1; }
  print "stopped after ", time - $t, " s";' "$D_PORT" 2>&1)
case $out in "stopped after "[2-6]" s") pass "a trickled body is cut after request_timeout ($out)" ;;
  *) fail "a trickled body is cut after request_timeout" "$out" ;; esac

# 10,000 idle connections (or as many as the fd limit allows)
n=10000
lim=$(ulimit -n 2>/dev/null || echo 1024)
[ "$lim" != unlimited ] && [ "$lim" -lt $((n + 100)) ] && n=$((lim - 100))
out=$(perl -MIO::Socket::INET -e '
  my @c; my $ok = 0;
  for (1 .. $ARGV[1]) { my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0], Timeout => 2) or next; push @c, $s; $ok++; }
  print "$ok\n"; sleep 1;
  open(my $f, "<", "/proc/$ARGV[2]/status"); while (<$f>) { print "$1\n" if /^VmRSS:\s+(\d+)/ }' "$D_PORT" "$n" "$D_PID" 2>&1)
rss=$(printf '%s\n' "$out" | sed -n 2p)
assert_eq yes "$([ -n "$rss" ] && [ "$rss" -lt 102400 ] && echo yes || echo "no: $out")" "$n idle connections: RSS stays < 100 MB"
sleep 3
alive "answering once the idle connections are gone"

T1=$(date +%s)
assert_eq 0 "$(sim_requests smsmode | jq length)" "nothing was sent"
api GET /v1/messages
assert_eq 0 "$(jqr '.messages | length')" "nothing was queued"
assert_eq 0 "$(grep -c 'ASAN\|runtime error' "$TMP/d.log")" "no sanitizer report"
daemon_stop
assert_eq 0 "$D_RC" "still a clean exit"
echo "# took $((T1 - T0)) s"
finish
