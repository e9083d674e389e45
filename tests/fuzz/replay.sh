#!/bin/sh
# Fuzz regression: every seed (tests/fuzz/corpus/NAME/) and every crash
# found so far (tests/fuzz/crashes/NAME/) runs through tests/fuzz/replay-NAME,
# the libFuzzer harness built with the normal compiler.  Under the
# sanitizer build a leak or an ASan/UBSan report fails the file too.
. "$top_srcdir/tests/lib.sh"

fuzz_src=$top_srcdir/tests/fuzz
names=$(for d in "$fuzz_src"/corpus/*/ "$fuzz_src"/crashes/*/; do
  [ -d "$d" ] && basename "$d"
done | sort -u)

for name in $names; do
  prog=$top_builddir/tests/fuzz/replay-$name
  if [ ! -x "$prog" ]; then
    fail "replay_program_exists_for_$name" \
      "no $prog: add it to tests/fuzz/local.mk"
    continue
  fi
  for kind in corpus crashes; do
    for f in "$fuzz_src/$kind/$name"/*; do
      [ -f "$f" ] || continue
      case $f in */README*) continue ;; esac
      what="${name}_${kind}_$(basename "$f")_replays_cleanly"
      if "$prog" "$f" >"$TMP/out" 2>&1; then
        pass "$what"
      else
        fail "$what" "rerun: $prog $f"
        tail -n 40 "$TMP/out" | sed 's/^/#   /'
      fi
    done
  done
done

[ -n "$names" ] || fail "fuzz_corpus_present" "no tests/fuzz/corpus/NAME/ found"
finish
