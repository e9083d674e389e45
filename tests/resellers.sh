#!/bin/sh
# docs/RESELLERS.md, run: its ```sh blocks, exactly as written, in one
# shell, against smsmuxd and smsmux-sim (the ```console block's setup is
# done here: $SIM, $SMSMUXD, smsmux and smsmuxd on PATH, the configuration
# with the document's [plan.*] sections).  Then what the document says
# they show: the units in the 202 answer, Kannel's answer, the refund, the
# balance, usage = ledger, the revoked key refused.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib.sh"
DOC="$top_srcdir/docs/RESELLERS.md"
sim_start
plans=$(awk '/^```ini$/ {on = 1; next} /^```$/ {on = 0} on' "$DOC")
assert_contains "$plans" "[plan.retail]" "the document's plans are found"
{
  printf '%s\n' '[smsmux]' 'plugin_dir = @PLUGINS@' 'state_dir = @TMP@/state' \
    'timeout = 5' '[server]' 'listen = 127.0.0.1:0' "admin_key = $KEY" 'workers = 2'
  printf '%s\n' "$plans"
  printf '%s\n' '[provider.smsmode]' 'plugin = smsmode' \
    'base_url = @SIM@/smsmode/http/1.6' 'access_token = demo-token'
} | write_config d.ini
daemon_start
awk '/^```sh$/ {on = 1; next} /^```$/ {on = 0} on' "$DOC" >"$TMP/walk.sh"
assert_eq 24 "$(grep -c '^smsmux \|^KEY=\|^HKEY=\|^curl \|^ID=\|^until ' "$TMP/walk.sh")" \
  "the walk-through's commands are found (24 command lines)"

set +e
(cd "$TMP" && PATH="$top_builddir:$PATH" SIM="$SIM_URL" SMSMUXD="$D_URL" \
  SMSMUX_CONFIG="$TMP/d.ini" timeout 60 sh -e "$TMP/walk.sh") >"$TMP/walk.out" 2>"$TMP/walk.err"
rc=$?
OUT=$(cat "$TMP/walk.out")
assert_eq 0 "$rc" "every command of the walk-through succeeds" 
assert_eq "" "$(grep -v '^smsmux: created the store' "$TMP/walk.err")" "nothing on stderr"
assert_contains "$OUT" "tenant shop (customer of hostco)" "tenant show: the shop is hostco's customer"
assert_contains "$OUT" '"units":2' "the 202 answer says the message cost 2 units"
assert_contains "$OUT" "0: Accepted for delivery" "Kannel's answer"
assert_contains "$OUT" "
496
" "the shop's balance: 496 (the refused message refunded)"
assert_eq 1 "$(grep -c '^hostco  *9500 units' "$TMP/walk.out")" "the reseller's balance moved only with the sale"
assert_contains "$OUT" "refund" "the ledger shows the refund"
assert_contains "$OUT" "tenant,provider,status,messages,recipients,units" "the usage in CSV"
pair=$(grep -B2 '^ledger exact' "$TMP/walk.out" | head -2 | tr '\n' ' ')
assert_eq "4 4 " "$pair" "usage units = reserved - refunded (4 = 4)"
assert_contains "$OUT" "ledger exact" "smsmux tenant check"
assert_contains "$OUT" '"from":"hostco"' "the reseller's own transfer"
assert_eq 401 "$(tail -n 1 "$TMP/walk.out")" "the revoked key answers 401"
finish
