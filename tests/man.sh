#!/bin/sh
# The man pages: mandoc -Tlint finds nothing to say (style included), and
# they describe the real program: every command and flag that `smsmux
# --help` and each `smsmux COMMAND --help` print is in smsmux(1), every
# option of `smsmux-sim --help` in smsmux-sim(1), every key the
# configuration accepts (as smsmux lists them when it meets an unknown one)
# in smsmux.ini(5); and the other way round, every flag or key a page
# documents exists.
. "$top_srcdir/tests/lib.sh"
MAN1=$top_srcdir/docs/smsmux.1
SIM1=$top_srcdir/docs/smsmux-sim.1
INI5=$top_srcdir/docs/smsmux.ini.5
D8=$top_srcdir/docs/smsmuxd.8

# ---- lint ------------------------------------------------------------------
if command -v mandoc >/dev/null 2>&1; then
  for page in "$MAN1" "$SIM1" "$INI5" "$D8"; do
    # the pages refer to each other, which are not installed yet
    out=$(mandoc -Tlint -Wstyle "$page" 2>&1 | grep -v 'referenced manual not found')
    assert_eq "" "$out" "mandoc -Tlint: $(basename "$page") is clean"
  done
elif [ "${CI:-}" = true ]; then
  fail "mandoc is installed (scripts/install-deps.sh)"
else
  echo "# mandoc not installed: lint skipped (scripts/install-deps.sh installs it)"
fi

# mdoc writes --to-file as "Fl \-to\-file"
man_flag() { printf 'Fl %s' "$(printf '%s' "$1" | sed 's/^-//; s/-/\\-/g')"; }
# the long flags a page documents, as --name, one a line
page_flags() { grep -o 'Fl \\-[a-z\\-]*' "$1" | sed 's/^Fl //; s/\\-/-/g; s/^/-/' | sort -u; }

# ---- smsmux(1) -------------------------------------------------------------
run_smsmux --help
help=$OUT
commands=$(printf '%s\n' "$help" | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | sort -u)
assert_eq "call cancel credit plugins providers replies route send status store tenant" \
  "$(printf '%s' "$commands" | tr '\n' ' ' | sed 's/ $//')" "smsmux --help lists the commands this test knows"
for cmd in $commands; do
  run_smsmux "$cmd" --help
  assert_eq 0 "$RC" "smsmux $cmd --help exits 0"
  help="$help
$OUT"
  case $(cat "$MAN1") in
    *".It Cm $cmd"*) pass "smsmux.1 documents the command $cmd" ;;
    *) fail "smsmux.1 documents the command $cmd" "no '.It Cm $cmd'" ;;
  esac
done
flags=$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u)
n=0
for f in $flags; do
  n=$((n + 1))
  assert_contains "$(cat "$MAN1")" "$(man_flag "$f")" "smsmux.1 documents $f"
done
[ "$n" -ge 25 ] && pass "the help texts gave $n flags to look for" ||
  fail "the help texts gave $n flags to look for (expected 25 or more)"
for f in $(page_flags "$MAN1"); do
  assert_contains "$help" "$f" "smsmux.1's $f is a real flag (in the --help texts)"
done
for short in 'Fl c Ar file , Fl \-config' 'Fl v , Fl \-verbose' 'Fl h , Fl \-help'; do
  assert_contains "$(cat "$MAN1")" "$short" "smsmux.1 documents the short option of ${short##* }"
done

# ---- smsmux-sim(1) ---------------------------------------------------------
sim_help=$("$SMSMUX_SIM" --help)
n=0
for f in $(printf '%s\n' "$sim_help" | grep -o -- '--[a-z][a-z-]*' | sort -u) --help; do
  n=$((n + 1))
  assert_contains "$(cat "$SIM1")" "$(man_flag "$f")" "smsmux-sim.1 documents $f"
done
[ "$n" -ge 7 ] && pass "smsmux-sim --help gave $n options to look for" ||
  fail "smsmux-sim --help gave $n options to look for (expected 7 or more)"
for f in $(page_flags "$SIM1"); do
  assert_contains "$sim_help --help" "$f" "smsmux-sim.1's $f is a real option"
done

# ---- smsmuxd(8) -------------------------------------------------------------
d_help=$("${SMSMUXD:-$top_builddir/smsmuxd}" --help)
n=0
for f in $(printf '%s\n' "$d_help" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
  n=$((n + 1))
  assert_contains "$(cat "$D8")" "$(man_flag "$f")" "smsmuxd.8 documents $f"
done
[ "$n" -ge 6 ] && pass "smsmuxd --help gave $n options to look for" ||
  fail "smsmuxd --help gave $n options to look for (expected 6 or more)"
for f in $(page_flags "$D8"); do
  assert_contains "$d_help" "$f" "smsmuxd.8's $f is a real option"
done

# ---- smsmux.ini(5) ---------------------------------------------------------
# known_keys SECTION-LINES: the keys smsmux lists when it meets "bogus"
known_keys() {
  write_config keys.ini
  run_smsmux --config "$TMP/keys.ini" providers
  printf '%s' "$ERR"
}
err=$(known_keys <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
bogus = 1
EOF2
)
smsmux_keys=$(printf '%s' "$err" | sed -n 's/.*unknown key (known: \(.*\))$/\1/p' | tr -d ',')
err=$(known_keys <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
routes = r
[provider.p]
plugin = smsmode
access_token = 0123456789
[route.r]
providers = p
bogus = 1
EOF2
)
route_keys=$(printf '%s' "$err" | sed -n 's/.*unknown key (known: \(.*\))$/\1/p' | tr -d ',')
err=$(known_keys <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[provider.p]
plugin = smsmode
access_token = 0123456789
bogus = 1
EOF2
)
host_keys=$(printf '%s' "$err" | sed -n 's/.*host keys: \(.*\))$/\1/p' | tr -d ',')
err=$(known_keys <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[server]
bogus = 1
EOF2
)
server_keys=$(printf '%s' "$err" | sed -n 's/.*unknown key (known: \(.*\))$/\1/p' | tr -d ',')
err=$(known_keys <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
[plan.p]
bogus = 1
EOF2
)
plan_keys=$(printf '%s' "$err" | sed -n 's/.*unknown key (known: \(.*\))$/\1/p' | tr -d ',')
[ "$(printf '%s' "$plan_keys" | wc -w)" -ge 5 ] && pass "smsmux named its plan keys" ||
  fail "smsmux named its plan keys" "$err"
[ "$(printf '%s' "$server_keys" | wc -w)" -ge 12 ] && pass "smsmux named its [server] keys" ||
  fail "smsmux named its [server] keys" "$err"
[ "$(printf '%s' "$smsmux_keys" | wc -w)" -ge 8 ] && pass "smsmux named its [smsmux] keys" ||
  fail "smsmux named its [smsmux] keys" "$err"
[ "$(printf '%s' "$route_keys" | wc -w)" -ge 4 ] && pass "smsmux named its route keys" ||
  fail "smsmux named its route keys"
[ "$(printf '%s' "$host_keys" | wc -w)" -ge 8 ] && pass "smsmux named its host provider keys" ||
  fail "smsmux named its host provider keys"
ini=$(cat "$INI5")
for k in $smsmux_keys $route_keys $host_keys $server_keys $plan_keys; do
  case $k in
    cost.+PREFIX) want='.It Cm cost.+ Ns Ar PREFIX' ;;
    sms.+PREFIX) want='.It Cm sms.+ Ns Ar PREFIX' ;;
    *) want=".It Cm $k No =" ;;
  esac
  assert_contains "$ini" "$want" "smsmux.ini.5 documents the key $k"
done
for k in $(grep -o '^\.It Cm [a-z_]* No =' "$INI5" | awk '{print $3}'); do
  case " $smsmux_keys $route_keys $host_keys $server_keys $plan_keys " in
    *" $k "*) pass "smsmux.ini.5's key $k is accepted by smsmux" ;;
    *) fail "smsmux.ini.5's key $k is accepted by smsmux" "known: $smsmux_keys / $route_keys / $host_keys / $server_keys" ;;
  esac
done
# the keys of the shipped plugins (generic-http's are in docs/generic-http.md)
for p in smsmode clever-http clever-rest mediasflow allmysms; do
  run_smsmux --json plugins --check "$PLUGINS/$p.la"
  keys=$(jqr '.config_keys[]' | awk '{print $1}')
  [ -n "$keys" ] || fail "plugins --check lists the keys of $p" "$OUT"
  for k in $keys; do
    # a word of a ".Cm" macro line: ".Cm stop , reply , ..." names both
    if awk -v k="$k" '$1 == ".Cm" || ($1 == ".It" && $2 == "Cm") {
         for (i = 2; i <= NF; i++) if ($i == k) found = 1 }
         END { exit !found }' "$INI5"; then
      pass "smsmux.ini.5 names the $p key $k"
    else
      fail "smsmux.ini.5 names the $p key $k"
    fi
  done
done
assert_contains "$ini" ".It Cm generic\\-http" "smsmux.ini.5 names the generic-http plugin"

finish
