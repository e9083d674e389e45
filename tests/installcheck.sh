#!/bin/sh
# After `make install`: the installed smsmux finds its installed plugins
# with no plugin_dir in the configuration.  Run by `make installcheck`
# (and so by `make distcheck`).
set -eu
bindir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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
if [ "$loaded" != true ]; then
  echo "installcheck: the installed smsmux did not load its smsmode plugin:" >&2
  printf '%s\n' "$out" >&2
  exit 1
fi
"$bindir/smsmux-sim" --help >/dev/null
echo "installcheck: installed smsmux loads its plugins: 1 passed, 0 failed"
