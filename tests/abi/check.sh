#!/bin/sh
# The ABI guard: rebuild tests/abi/abi.c (every public type of provider.h
# and smsmux.h in a function signature) from the headers as they are now,
# dump it with abidw and compare it with the committed baseline
# tests/abi/smsmux-abi.xml using abidiff:
#  - only appends are allowed (members at the end of a struct, enumerators,
#    new types): tests/abi/appends-only.awk reads abidiff's report and
#    refuses anything else;
#  - the header's SMSMUX_ABI_MAJOR must be the baseline's, and its minor
#    no lower than the baseline's.
# A deliberate break bumps SMSMUX_ABI_MAJOR and regenerates the baseline in
# the same commit:  make abi-baseline  (this script with --update).
#
# Usage: check.sh [--update]   (top_srcdir from make, else this script's ../..)
# Exit: 0 compatible, 1 incompatible or version mismatch, 77 abigail-tools
# missing (make check: SKIP), 99 the library does not build.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
baseline=$top_srcdir/tests/abi/smsmux-abi.xml
header=$top_srcdir/include/smsmux/provider.h
update=no
[ "${1:-}" = --update ] && update=yes

for tool in abidw abidiff; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "ABI guard: $tool not found (install abigail-tools): skipped"
    exit 77
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smsmux-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

abi_define() { sed -n "s/^#define SMSMUX_ABI_$1 \\([0-9][0-9]*\\).*/\\1/p" "$header"; }
major=$(abi_define MAJOR)
minor=$(abi_define MINOR)

# -O0 -g: abidw reads the DWARF types; the path of the source is left out
# of the dump (--no-corpus-path, --no-comp-dir-path, --no-show-locs) so
# the baseline does not depend on where the tree lives.
if ! ${CC:-cc} -g -O0 -shared -fPIC -I"$top_srcdir/include" \
    "$top_srcdir/tests/abi/abi.c" -o "$tmp/libsmsmux-abi.so" 2>"$tmp/cc.err"; then
  cat "$tmp/cc.err"
  echo "ABI guard: tests/abi/abi.c does not build: 0 passed, 1 failed"
  exit 99
fi
# The version goes in a comment after the corpus (abidiff sniffs the
# file's start to recognise it).
{
  abidw --no-corpus-path --no-comp-dir-path --no-show-locs "$tmp/libsmsmux-abi.so" &&
  echo "<!-- smsmux ABI $major.$minor: baseline of tests/abi/check.sh; regenerate with 'make abi-baseline' -->"
} >"$tmp/new.xml" || { echo "ABI guard: abidw failed"; exit 99; }

if [ $update = yes ]; then
  cp "$tmp/new.xml" "$baseline"
  echo "ABI guard: baseline tests/abi/smsmux-abi.xml written for ABI $major.$minor"
  exit 0
fi

[ -f "$baseline" ] || { echo "ABI guard: no baseline $baseline (make abi-baseline): 0 passed, 1 failed"; exit 1; }
base=$(sed -n 's/^<!-- smsmux ABI \([0-9][0-9]*\.[0-9][0-9]*\):.*/\1/p' "$baseline")
base_major=${base%.*}
base_minor=${base#*.}
failed=0
passed=0

if [ "$major" != "$base_major" ]; then
  echo "ABI guard: provider.h says ABI $major.$minor but the baseline records $base:"
  echo "  a new major and its baseline go together: run 'make abi-baseline' and commit both"
  failed=$((failed + 1))
elif [ "$minor" -lt "$base_minor" ]; then
  echo "ABI guard: SMSMUX_ABI_MINOR went back from $base_minor to $minor"
  failed=$((failed + 1))
else
  passed=$((passed + 1))
fi

# abidiff reports every difference (exit 0: none); appends-only.awk keeps
# the lines that are not an allowed append.
abidiff --no-added-syms "$baseline" "$tmp/new.xml" >"$tmp/diff.txt" 2>&1
rc=$?
if [ $((rc & 3)) -ne 0 ]; then # ABIDIFF_ERROR | ABIDIFF_USAGE_ERROR
  cat "$tmp/diff.txt"
  echo "ABI guard: abidiff failed (exit $rc): 0 passed, 1 failed"
  exit 99
fi
awk -f "$top_srcdir/tests/abi/appends-only.awk" "$tmp/diff.txt" >"$tmp/bad.txt"
if [ "$major" = "$base_major" ] && [ -s "$tmp/bad.txt" ]; then
  cat "$tmp/diff.txt"
  echo
  echo "ABI guard: INCOMPATIBLE change to the public headers against ABI $base:"
  sed 's/^ */  /' "$tmp/bad.txt"
  echo "  Only appends are allowed in ABI $base_major.x: members at the end of a struct, new"
  echo "  enumerators, new types.  A deliberate break: bump SMSMUX_ABI_MAJOR in provider.h and"
  echo "  run 'make abi-baseline' in the same commit (docs/ABI.md)."
  failed=$((failed + 1))
else
  passed=$((passed + 1))
  if [ $rc -ne 0 ]; then
    echo "ABI guard: compatible changes against the baseline (appends):"
    grep -E "underlying type '|insertion|at offset" "$tmp/diff.txt" | head -40
    if [ "$minor" = "$base_minor" ]; then
      echo "  note: appends belong to a new minor: bump SMSMUX_ABI_MINOR (and write the minor"
      echo "  next to each new member), then 'make abi-baseline'"
    fi
  fi
fi
echo "ABI guard: header ABI $major.$minor, baseline $base"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
