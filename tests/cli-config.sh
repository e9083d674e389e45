#!/bin/sh
# Which configuration smsmux uses without --config: $SMSMUX_CONFIG, then
# ./smsmux.ini, then $XDG_CONFIG_HOME/smsmux/smsmux.ini; --config beats
# them all.  Each candidate names its provider instance differently, and
# all point at the simulator, so a send tells which file was read.
. "$top_srcdir/tests/lib.sh"

sim_start

# config NAME PATH: a configuration whose one instance is called NAME
config() {
  mkdir -p "$(dirname "$TMP/$2")"
  write_config "$2" <<EOF
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.$1]
plugin = smsmode
base_url = @SIM@/smsmode/http/1.6
access_token = demo-token
EOF
}
config from_env env/chosen.ini
config from_cwd work/smsmux.ini
config from_xdg xdg-config/smsmux/smsmux.ini
config from_flag flag/given.ini
mkdir -p "$TMP/elsewhere"

# used WHAT EXPECTED: send through whichever configuration is found
used() {
  run_smsmux --json send --to 0612345678 --text "lookup $2"
  assert_eq 0 "$RC" "$1: exit 0"
  assert_json '.provider' "$2" "$1: $2 used"
}

cd "$TMP/work" || exit 99
export SMSMUX_CONFIG="$TMP/env/chosen.ini"
used "\$SMSMUX_CONFIG beats ./smsmux.ini and XDG" from_env
run_smsmux --json --config "$TMP/flag/given.ini" send --to 0612345678 --text "lookup flag"
assert_json '.provider' from_flag "--config beats \$SMSMUX_CONFIG"
unset SMSMUX_CONFIG

used "./smsmux.ini beats XDG" from_cwd
run_smsmux --json providers
assert_json '[.providers[].name] | join(",")' from_cwd "providers: ./smsmux.ini listed"

cd "$TMP/elsewhere" || exit 99
used "\$XDG_CONFIG_HOME/smsmux/smsmux.ini" from_xdg

# the messages really reached the simulator, one per lookup
n=$(sim_requests smsmode | jq '[.[] | select(.path | endswith("/sendSMS.do"))] | length')
assert_eq 4 "$n" "every send reached the simulator"

# nothing anywhere: a configuration error (exit 2) that says where it looked
if [ ! -e /etc/smsmux/smsmux.ini ]; then
  export XDG_CONFIG_HOME="$TMP/nothing-here"
  run_smsmux --json send --to 0612345678 --text hi
  assert_eq 2 "$RC" "no configuration: exit 2"
  assert_json '.error.class' config "no configuration: class config"
  assert_contains "$ERR" "smsmux: " "no configuration: message on stderr"
  assert_contains "$ERR" "smsmux.ini" "no configuration: names the files looked for"
  assert_contains "$ERR" ", /etc/smsmux/smsmux.ini)" "no configuration: /etc/smsmux/smsmux.ini looked for last"
  assert_contains "$ERR" "copy the annotated example /" "no configuration: points at the installed example"
  assert_contains "$ERR" "/doc/smsmux/smsmux.ini to one of them" "no configuration: the example's installed path"
fi

# /etc/smsmux/smsmux.ini is read whatever the sysconfdir (a /usr/local build
# too): shown in a private mount namespace whose /etc has a smsmux/ layer
# (root, and a kernel that allows it)
mkdir -p "$TMP/etc-layer/smsmux"
config from_etc etc-layer/smsmux/smsmux.ini
in_etc() { # ARGS...: smsmux with $TMP/etc-layer over /etc, sets OUT ERR RC
  set +e
  unshare -m --propagation private sh -c \
    'mount -t overlay overlay -o "lowerdir=$1:/etc" /etc || exit 99; shift; exec "$@"' \
    sh "$TMP/etc-layer" "$SMSMUX" "$@" >"$TMP/.out" 2>"$TMP/.err"
  RC=$?
  OUT=$(cat "$TMP/.out")
  ERR=$(cat "$TMP/.err")
}
if [ "$(id -u)" = 0 ] && [ ! -e /etc/smsmux/smsmux.ini ] &&
   unshare -m --propagation private sh -c \
     'mount -t overlay overlay -o "lowerdir=$1:/etc" /etc && test -d /etc/smsmux' \
     sh "$TMP/etc-layer" 2>/dev/null; then
  export XDG_CONFIG_HOME="$TMP/nothing-here"
  cd "$TMP/elsewhere" || exit 99
  in_etc --json send --to 0612345678 --text "lookup etc"
  assert_eq 0 "$RC" "/etc/smsmux/smsmux.ini: exit 0 ($ERR)"
  assert_json '.provider' from_etc "/etc/smsmux/smsmux.ini read"
else
  echo "# skipped: /etc/smsmux/smsmux.ini lookup (needs root and overlay mounts)"
fi

finish
