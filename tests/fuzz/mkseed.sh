#!/bin/sh
# Write one fuzz input in the harness's layout (docs/fuzzing.md):
#   sh tests/fuzz/mkseed.sh OUT OPERATION VARIANT EXTRA [STATUS HEADERS BODY]...
# OPERATION: send, status, balance, replies, cancel, call (or 0-5);
# VARIANT, EXTRA: 0-255 (see fuzz_plugin.c); then one answer per HTTP
# request: STATUS (e.g. 200; 0 = connection refused, 50 = timeout after
# sending), HEADERS ("" or "Content-Type: application/json\nX-A: b") and
# BODY.  HEADERS and BODY go through printf %b: \n, \r, \t and \0NNN
# (octal, e.g. \0351 for ISO-8859-15 e-acute) are understood.
set -eu

if [ $# -lt 4 ] || [ $(($# % 3)) -ne 1 ]; then
  echo "usage: $0 OUT OPERATION VARIANT EXTRA [STATUS HEADERS BODY]..." >&2
  exit 2
fi
out=$1
case $2 in
send) op=0 ;; status) op=1 ;; balance) op=2 ;; replies) op=3 ;;
cancel) op=4 ;; call) op=5 ;; *) op=$2 ;;
esac
shift 2

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

byte() { # one byte of value $1 (0-255)
  printf "\\$(printf '%03o' "$1")"
}

u16() { # two bytes, big-endian
  byte $(($1 / 256))
  byte $(($1 % 256))
}

{
  byte "$op"
  byte "$1"
  byte "$2"
  shift 2
  while [ $# -gt 0 ]; do
    u16 "$1"
    printf '%b' "$2" >"$tmp"
    n=$(wc -c <"$tmp")
    if [ "$n" -gt 255 ]; then
      echo "$0: headers longer than 255 bytes" >&2
      exit 2
    fi
    byte "$n"
    cat "$tmp"
    printf '%b' "$3" >"$tmp"
    n=$(wc -c <"$tmp")
    u16 "$n"
    cat "$tmp"
    shift 3
  done
} >"$out"
