#!/bin/sh
# `make install` runs ldconfig when DESTDIR is empty (as a package's
# postinst would), so the installed smsmux finds libsmsmux.so.1 at once;
# a staged install (DESTDIR set) does not; an ldconfig that fails (not
# root) does not fail the install.  The hooks run with a stand-in
# ldconfig that records its calls: the real one would change the machine.
. "$top_srcdir/tests/lib.sh"

cat >"$TMP/ldconfig" <<EOF2
#!/bin/sh
echo "called \$#" >>"$TMP/ldconfig.calls"
exit \${FAKE_LDCONFIG_RC:-0}
EOF2
chmod +x "$TMP/ldconfig"

# hook TARGET [VAR=VALUE...]: run one install hook of the build tree
hook() {
  _t=$1; shift
  rm -f "$TMP/ldconfig.calls"
  set +e
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -s -C "$top_builddir" \
    "$_t" LDCONFIG="$TMP/ldconfig" "$@" >"$TMP/.out" 2>"$TMP/.err"
  RC=$?
  OUT=$(cat "$TMP/.out" "$TMP/.err")
  CALLS=$(cat "$TMP/ldconfig.calls" 2>/dev/null)
}

hook install-exec-hook DESTDIR=
assert_eq 0 "$RC" "install without DESTDIR: the hook succeeds"
assert_eq "called 0" "$CALLS" "install without DESTDIR: ldconfig runs once, with no argument"
assert_contains "$OUT" "linker cache" "install without DESTDIR: says it refreshed the linker cache"

hook install-exec-hook DESTDIR="$TMP/stage"
assert_eq 0 "$RC" "staged install: the hook succeeds"
assert_eq "" "$CALLS" "staged install (DESTDIR set): ldconfig is left to the package"

FAKE_LDCONFIG_RC=1; export FAKE_LDCONFIG_RC
hook install-exec-hook DESTDIR=
unset FAKE_LDCONFIG_RC
assert_eq 0 "$RC" "ldconfig failing (not root): the install still succeeds"
assert_eq "called 0" "$CALLS" "ldconfig failing: it was tried"
assert_contains "$OUT" "run it as root" "ldconfig failing: says what to do"

hook uninstall-hook DESTDIR=
assert_eq 0 "$RC" "uninstall without DESTDIR: the hook succeeds"
assert_eq "called 0" "$CALLS" "uninstall without DESTDIR: ldconfig forgets the library"

# the hook is wired into the real targets: a dry run of `make install`
# reaches it
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -n -C "$top_builddir" install \
  LDCONFIG="$TMP/ldconfig" DESTDIR= >"$TMP/dry" 2>&1
assert_contains "$(cat "$TMP/dry")" "install-exec-hook" "make install runs install-exec-hook"

finish
