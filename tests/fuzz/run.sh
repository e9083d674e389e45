#!/bin/sh
# Fuzz the answer parsing of each provider plugin with libFuzzer:
#   sh tests/fuzz/run.sh [SECONDS [NAME...]]   (default 20 s per plugin)
# For every plugin named (default: the list below) whose source exists, builds
# tests/fuzz/fuzz_plugin.c + the plugin + the plugin helper library (sdk/) +
# the core with clang -fsanitize=fuzzer,address,undefined, seeds it with
# tests/fuzz/corpus/NAME/ and tests/fuzz/crashes/NAME/, and runs it for
# SECONDS.  Exits 1 when a fuzzer found a crash, a leak or a timeout, and
# prints the reproducer path (copy it into tests/fuzz/crashes/NAME/).
# Without clang it says so and exits 0.  Needs a configured tree (config.h).
# FUZZ_BUILD_DIR: where objects, binaries and findings go
# (default tests/fuzz/build).  See docs/fuzzing.md.
set -eu
cd "$(dirname "$0")/../.."

secs=${1:-20}
[ $# -gt 0 ] && shift
plugins=${*:-smsmode clever-http clever-rest mediasflow allmysms generic-http json-in}
cc=${FUZZ_CC:-clang}
build=${FUZZ_BUILD_DIR:-tests/fuzz/build}

case $secs in
'' | *[!0-9]*)
  echo "usage: sh tests/fuzz/run.sh [SECONDS]" >&2
  exit 2
  ;;
esac
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "fuzz: $cc not found: fuzzing skipped (install clang and libclang-rt-14-dev)"
  exit 0
fi
if [ ! -f config.h ]; then
  echo "fuzz: no config.h here: run ./configure first" >&2
  exit 2
fi

san="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
cppflags="-DHAVE_CONFIG_H -I. -Iinclude -Icore -DPLUGINDIR=\"/nonexistent\" -DSYSCONFDIR=\"/etc\""
pkgs="libcurl json-c libxml-2.0 sqlite3 libcrypto libpq"
pkg_cflags=$(pkg-config --cflags $pkgs)
libs="$(pkg-config --libs $pkgs) -lltdl -liniparser -lpthread"

mkdir -p "$build/core"
echo "fuzz: building the core with $cc ($($cc --version | head -n 1))"
core_objs=
for src in core/*.c; do
  obj="$build/core/$(basename "$src" .c).o"
  # shellcheck disable=SC2086 # word splitting of the flag lists is wanted
  $cc $san -fsanitize=fuzzer-no-link $cppflags $pkg_cflags -c "$src" -o "$obj"
  core_objs="$core_objs $obj"
done

# The plugin helper library, as each plugin links it (hidden symbols).
sdk_objs=
mkdir -p "$build/sdk"
for src in sdk/*.c; do
  obj="$build/sdk/$(basename "$src" .c).o"
  # shellcheck disable=SC2086
  $cc $san -fsanitize=fuzzer-no-link -fvisibility=hidden $cppflags $pkg_cflags \
    -c "$src" -o "$obj"
  sdk_objs="$sdk_objs $obj"
done

# A plugin is fuzzed once its source has a descriptor.
has_plugin() {
  [ -f "plugins/$1/$1.c" ] &&
    grep -q 'SMSMUX_PROVIDER_ENTRY_DECL\|smsmux_provider_entry' "plugins/$1/$1.c"
}

failed=0
ran=0
for name in $plugins; do
  if [ "$name" != json-in ] && ! has_plugin "$name"; then
    echo "fuzz: $name: no plugin source yet, skipped"
    continue
  fi
  bin="$build/fuzz-$name"
  work="$build/corpus/$name"
  found="$build/findings/$name"
  log="$build/$name.log"
  mkdir -p "$build/$name" "$work" "$found"
  if [ "$name" = json-in ]; then
    # smsmuxd's request parser: a pure function, no core needed
    # shellcheck disable=SC2086
    $cc $san -fsanitize=fuzzer -D_GNU_SOURCE -Idaemon $cppflags $pkg_cflags \
      tests/fuzz/fuzz_json_in.c daemon/json_in.c $libs -o "$bin"
  else
    # shellcheck disable=SC2086
    $cc $san -fsanitize=fuzzer-no-link -fvisibility=hidden $cppflags $pkg_cflags \
      -c "plugins/$name/$name.c" -o "$build/$name/plugin.o"
    # shellcheck disable=SC2086
    $cc $san -fsanitize=fuzzer $cppflags $pkg_cflags \
      tests/fuzz/fuzz_plugin.c "$build/$name/plugin.o" $sdk_objs $core_objs $libs \
      -o "$bin"
  fi

  seeds=
  for d in "tests/fuzz/corpus/$name" "tests/fuzz/crashes/$name"; do
    [ -d "$d" ] && seeds="$seeds $d"
  done
  rm -f "$found"/*
  echo "fuzz: $name: ${secs}s, seeds:${seeds:- none}"
  ran=$((ran + 1))
  # New inputs go to the work corpus; the committed seeds stay as they are.
  # shellcheck disable=SC2086
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$secs" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$found/" \
    "$work" $seeds >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 |
      sed -n 's/.*cov: \([0-9]*\).*ft: \([0-9]*\).*corp: \([0-9]*\).*/cov \1, ft \2, corpus \3/p')
    echo "fuzz: $name: ok: ${runs:-?} runs, ${rate:-?} exec/s, ${cov:-?}"
  else
    failed=$((failed + 1))
    echo "fuzz: $name: FAILED; the fuzzer said:"
    # the report (sanitizer, leak, contract or libFuzzer error) up to its
    # summary line; the whole log is $log
    sed -n '/ERROR\|runtime error\|^fuzz: /,/^SUMMARY/p' "$log" | head -n 80
    for f in "$found"/*; do
      [ -e "$f" ] && echo "fuzz: $name: reproducer: $f (copy it to tests/fuzz/crashes/$name/)"
    done
  fi
done

echo "fuzz: $ran plugin(s) fuzzed, $failed with findings"
[ "$failed" -eq 0 ]
