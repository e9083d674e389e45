#!/bin/sh
# A tenant's rate limit across two smsmuxd nodes on one PostgreSQL store:
# the token bucket is the database's, so the nodes together allow the
# tenant its burst and rate, not each of them.  Burst 3 at one message
# every 20 s: nine submits alternating between the nodes, within a few
# seconds, get three 202 and six 429 (per-node buckets would take six);
# the provider got exactly the three accepted numbers.
SMSMUX_TEST_STORE=pg
export SMSMUX_TEST_STORE
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
. "$top_srcdir/tests/daemon/nodes-lib.sh"

nodes_plain_config 2
node_start 1
node_start 2
D_URL=$(url 1)
post_json /v1/admin/tenants '{"name":"shop","rate":0.05,"burst":3}'
assert_eq 201 "$STATUS" "a tenant with burst 3 at 0.05 messages a second"
post_json /v1/admin/tenants/shop/credit '{"units":100}'
post_json /v1/admin/tenants/shop/keys '{"label":"main"}'
TKEY=$(jqr .key)

got=
for i in 1 2 3 4 5 6 7 8 9; do
  D_URL=$(url $((i % 2 + 1)))
  tsend "$TKEY" "+3361238000$i"
  got="$got $STATUS"
done
echo "# answers:$got"
assert_eq 3 "$(printf '%s\n' $got | grep -c '^202$')" "the two nodes together accept the burst, 3"
assert_eq 6 "$(printf '%s\n' $got | grep -c '^429$')" "... and refuse the other 6 with 429"
assert_json .error.code rate-limited "code rate-limited"
ra=$(tr -d '\r' <"$TMP/.hdr" | sed -n 's/^[Rr]etry-[Aa]fter: //p')
assert_eq yes "$([ "${ra:-0}" -ge 1 ] && [ "${ra:-0}" -le 20 ] && echo yes || echo "no: $ra")" \
  "Retry-After is the wait for one token (1 to 20 s: $ra)"
D_URL=$(url 1)
wait_until "the accepted messages are sent" 'test "$(sim_counts | wc -l)" -ge 3'
sleep 0.5
assert_eq 3 "$(sim_counts | wc -l)" "sMsmode got three numbers"
assert_eq 0 "$(sim_counts | awk '$2 != 1' | wc -l)" "... each once"
assert_eq 3 "$(psql_store "SELECT count(*) FROM recipients WHERE tenant = 'shop'")" \
  "the store holds the three accepted messages only"
for k in 1 2; do
  node_stop $k
  assert_eq 0 "$NODE_RC" "node $k: SIGTERM, exit 0"
done
assert_eq 0 "$(cat "$TMP"/n*.log | grep -c 'ASAN\|runtime error')" "no sanitizer report"
finish
