#!/bin/sh
# After `make install` (run by `make installcheck`, and so by `make
# distcheck`):
#  1. the installed smsmux finds its installed plugins with no plugin_dir
#     in the configuration;
#  2. the installed SDK alone builds a plugin: examples/myprovider compiled
#     with `pkg-config --cflags smsmux-provider` and linked with its
#     `--libs` (the installed .pc, headers and helper library
#     libsmsmux-plugin.a, nothing from the source tree but the example's
#     .c), checked with the installed `smsmux plugins --check` (which
#     refuses a plugin exporting a helper), configured in a temporary
#     plugin_dir and sent through to the installed smsmux-sim.
# Usage: installcheck.sh BINDIR LIBDIR [DESTDIR] [SRCDIR]
set -eu
bindir=$1
libdir=${2:-}
destdir=${3:-}
srcdir=${4:-.}
tmp=$(mktemp -d)
sim_pid=
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || :; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
ok() { passed=$((passed + 1)); echo "ok $passed - $1"; }
die() {
  echo "installcheck: $1" >&2
  shift
  for l in "$@"; do printf '%s\n' "$l" >&2; done
  echo "installcheck: $passed passed, 1 failed"
  exit 1
}
umask 077
cat >"$tmp/smsmux.ini" <<EOF2
[smsmux]
state_dir = $tmp/state
[provider.main]
plugin = smsmode
access_token = installcheck-token
EOF2
out=$("$bindir/smsmux" --config "$tmp/smsmux.ini" --json providers)
loaded=$(printf '%s' "$out" | sed -n 's/.*"loaded":\([a-z]*\).*/\1/p')
[ "$loaded" = true ] ||
  die "the installed smsmux did not load its smsmode plugin:" "$out"
ok "installed smsmux loads its installed plugins"
"$bindir/smsmux-sim" --help >/dev/null
ok "installed smsmux-sim runs"

[ -n "$libdir" ] || { echo "installcheck: $passed passed, 0 failed"; exit 0; }

# ---- the installed SDK ----------------------------------------------------
PKG_CONFIG_PATH=$libdir/pkgconfig
PKG_CONFIG_LIBDIR=$libdir/pkgconfig # only the installed .pc files
export PKG_CONFIG_PATH PKG_CONFIG_LIBDIR
if [ -n "$destdir" ]; then # staged install: paths in the .pc lack DESTDIR
  PKG_CONFIG_SYSROOT_DIR=$destdir
  export PKG_CONFIG_SYSROOT_DIR
fi
cflags=$(pkg-config --cflags smsmux-provider) ||
  die "pkg-config does not know smsmux-provider in $libdir/pkgconfig"
ok "pkg-config finds the installed smsmux-provider.pc"
plugindir=$(pkg-config --variable=plugindir smsmux-provider)
ls "$destdir$plugindir"/smsmode.* >/dev/null 2>&1 ||
  die "plugindir $plugindir (from smsmux-provider.pc) holds no installed plugin"
ok "the .pc's plugindir is where the plugins were installed"
pkg-config --exists smsmux || die "smsmux.pc not installed"
ok "smsmux.pc installed"

libs=$(pkg-config --libs smsmux-provider)
case " $libs " in *' -lsmsmux-plugin '*) ;; *) die "pkg-config --libs smsmux-provider does not name the helper library: $libs" ;; esac
ls "$libdir/libsmsmux-plugin.a" >/dev/null 2>&1 ||
  die "the helper library libsmsmux-plugin.a is not installed in $libdir"
ok "pkg-config --libs smsmux-provider names the installed helper library"

# the example, with the installed headers and helper library only
mkdir "$tmp/plugins" "$tmp/src"
cp "$srcdir/examples/myprovider/myprovider.c" "$tmp/src/"
(cd "$tmp/src" && cc -shared -fPIC $cflags myprovider.c $libs -o "$tmp/plugins/myprovider.so") ||
  die "the example does not build with pkg-config --cflags --libs smsmux-provider ($cflags $libs)"
ok "example builds with the installed SDK only ($cflags $libs)"

out=$("$bindir/smsmux" --json plugins --check "$tmp/plugins/myprovider.so") ||
  die "the installed smsmux rejects the example:" "$out"
case $out in *'"ok":true'*'"name":"myprovider"'*) ;; *) die "plugins --check says:" "$out" ;; esac
ok "installed smsmux plugins --check accepts the example"

"$bindir/smsmux-sim" --port 0 --port-file "$tmp/sim.port" >"$tmp/sim.log" 2>&1 &
sim_pid=$!
i=0
while [ ! -s "$tmp/sim.port" ]; do
  i=$((i + 1))
  [ $i -le 200 ] && kill -0 "$sim_pid" 2>/dev/null || die "smsmux-sim did not start" "$(cat "$tmp/sim.log")"
  sleep 0.05
done
port=$(cat "$tmp/sim.port")
cat >"$tmp/sdk.ini" <<EOF2
[smsmux]
plugin_dir = $tmp/plugins
state_dir = $tmp/state
[provider.mine]
plugin = myprovider
base_url = http://127.0.0.1:$port/smsmode/http/1.6
access_token = Ab1CD2efg3Hi
EOF2
out=$("$bindir/smsmux" --config "$tmp/sdk.ini" --json providers)
case $out in *'"name":"mine"'*'"loaded":true'*) ;; *) die "providers does not show the example ready:" "$out" ;; esac
ok "installed smsmux loads the example from a temporary plugin_dir"
out=$("$bindir/smsmux" --config "$tmp/sdk.ini" --json send --to 0612345678 --text 'installed SDK') ||
  die "send through the example failed:" "$out"
case $out in *'"provider":"mine"'*'"status":"accepted"'*) ;; *) die "send says:" "$out" ;; esac
ok "installed smsmux sends through the example to smsmux-sim"
echo "installcheck: $passed passed, 0 failed"
