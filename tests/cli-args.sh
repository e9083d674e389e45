#!/bin/sh
# The smsmux command's arguments: every usage error exits 2 with a message
# on stderr that says what to do and points at --help, before any
# configuration is read; --json adds the error document on stdout.
. "$top_srcdir/tests/lib.sh"

# No configuration can be found from here: usage errors must not need one.
mkdir -p "$TMP/empty"
cd "$TMP/empty" || exit 99

# expect_usage WHAT ARGS...: exit 2, "smsmux: ..." and a --help hint on
# stderr, nothing on stdout
expect_usage() {
  _what=$1
  shift
  run_smsmux "$@"
  assert_eq 2 "$RC" "$_what: exit status 2"
  assert_contains "$ERR" "smsmux: " "$_what: message on stderr"
  assert_contains "$ERR" "smsmux --help" "$_what: points at smsmux --help"
  assert_eq "" "$OUT" "$_what: nothing on stdout"
}

expect_usage "no command"
assert_contains "$ERR" "no command given" "no command: says so"

expect_usage "unknown command" frobnicate --to 0612345678
assert_contains "$ERR" "unknown command 'frobnicate'" "unknown command: named"
assert_contains "$ERR" "send, route, status" "unknown command: lists the commands"

expect_usage "unknown global option" --colour send
assert_contains "$ERR" "unknown option '--colour'" "unknown global option: named"

expect_usage "unknown send option" send --to 0612345678 --text hi --colour red
assert_contains "$ERR" "unknown option '--colour' for 'send'" "unknown send option: named"
assert_contains "$ERR" "smsmux send --help" "unknown send option: points at send --help"

expect_usage "--to without a value" send --text hi --to
assert_contains "$ERR" "option '--to' needs a value" "--to without a value: says so"

expect_usage "--to followed by a flag" send --to --text hi
assert_contains "$ERR" "option '--to' needs a value" "--to followed by a flag: says so"

expect_usage "--json takes no value" --json=yes providers
assert_contains "$ERR" "takes no value" "--json=yes: says so"

expect_usage "send without recipients" send --text hi
assert_contains "$ERR" "--to NUMBER" "send without recipients: names --to"

expect_usage "send without text" send --to 0612345678
assert_contains "$ERR" "--text TEXT or --text-file FILE" "send without text: names both flags"

expect_usage "send --route with --provider" send --to 0612345678 --text hi --route r --provider p
assert_contains "$ERR" "--route and --provider cannot be used together" "send: --route/--provider refused"

expect_usage "route --route with --provider" route --to 0612345678 --text hi --provider p --route r
assert_contains "$ERR" "--route and --provider cannot be used together" "route: --route/--provider refused"

expect_usage "--text with --text-file" send --to 0612345678 --text hi --text-file /dev/null
expect_usage "--to with --to-file" send --to 0612345678 --to-file /dev/null --text hi
expect_usage "empty --to" send --to , --text hi
expect_usage "bad --kind" send --to 0612345678 --text hi --kind fax
assert_contains "$ERR" "use sms, mms or voice" "bad --kind: lists the kinds"
expect_usage "media on an SMS" send --to 0612345678 --kind sms --image http://x/y.jpg
expect_usage "bad --at" send --to 0612345678 --text hi --at tomorrow
assert_contains "$ERR" "YYYY-MM-DD HH:MM:SS" "bad --at: shows the format"
expect_usage "--at on a day that does not exist" send --to 0612345678 --text hi --at '2026-02-30 10:00:00'
expect_usage "bad --duration" send --to 0612345678 --video http://x/y.mp4 --duration long
expect_usage "--option without =" send --to 0612345678 --text hi --option stop
expect_usage "text as a positional argument" send --to 0612345678 hello
expect_usage "status without an id" status
expect_usage "status with two ids" status --provider smsmode a b
expect_usage "replies without --provider" replies
expect_usage "bad --since" replies --provider smsmode --since yesterday
assert_contains "$ERR" "--since 'yesterday' is not a date" "bad --since: named"
expect_usage "bad --until" replies --provider smsmode --until '2026-13-01 10:00'
expect_usage "--until before --since" replies --provider smsmode --since '2026-02-01' --until '2026-01-01'
expect_usage "bad --count" replies --provider smsmode --count many
expect_usage "credit with an argument" credit smsmode
expect_usage "cancel without --provider" cancel 123
expect_usage "cancel without an id" cancel --provider smsmode
expect_usage "call without an operation" call --provider smsmode
expect_usage "call parameter without =" call --provider smsmode sms-list offset
expect_usage "providers with an argument" providers extra

# --json: the same errors, and one JSON document on stdout
expect_json_usage() {
  _what=$1
  shift
  run_smsmux --json "$@"
  assert_eq 2 "$RC" "$_what (--json): exit status 2"
  assert_json 'type' object "$_what (--json): one JSON object"
  assert_json '.error.class' input "$_what (--json): class input"
  assert_json '.error | has("code")' true "$_what (--json): has code"
  assert_json '.error.message | length > 0' true "$_what (--json): has a message"
  assert_contains "$ERR" "smsmux: " "$_what (--json): message on stderr too"
}
expect_json_usage "unknown command" frobnicate
assert_json '.error.message' "unknown command 'frobnicate'; the commands are send, route, status, replies, credit, cancel, call, providers, plugins, store, tenant" "unknown command (--json): message"
expect_json_usage "--route with --provider" send --to 0612345678 --text hi --route r --provider p
assert_json '.error.message | test("--route and --provider")' true "--route/--provider (--json): message"
expect_json_usage "bad --since" replies --provider smsmode --since 2026-01-01T25:00
expect_json_usage "unknown send option" send --frob
run_smsmux send --to 0612345678 --text hi --json --route r --provider p
assert_eq 2 "$RC" "--json after the command: exit 2"
assert_json '.error.class' input "--json after the command: JSON error document"

# input errors from files: exit 2, before anything is read from a config
printf 'caf\351\n' >"$TMP/latin1.txt"
run_smsmux --json send --to 0612345678 --text-file "$TMP/latin1.txt"
assert_eq 2 "$RC" "--text-file not UTF-8: exit 2"
assert_json '.error.class' input "--text-file not UTF-8: class input"
assert_json '.error.message | test("not valid UTF-8")' true "--text-file not UTF-8: says so"
run_smsmux --json send --to-file "$TMP/none.csv" --text hi
assert_eq 2 "$RC" "missing --to-file: exit 2"
assert_json '.error.message | test("none.csv")' true "missing --to-file: names the file"

# configuration errors: exit 2, class config, the file named
run_smsmux --json --config "$TMP/none.ini" providers
assert_eq 2 "$RC" "missing --config file: exit 2"
assert_json '.error.class' config "missing --config file: class config"
assert_json ".error.message | contains(\"$TMP/none.ini\")" true "missing --config file: named"
assert_contains "$ERR" "smsmux: " "missing --config file: message on stderr"

# help and version
run_smsmux --help
assert_eq 0 "$RC" "--help exits 0"
assert_contains "$OUT" "Usage: smsmux" "--help prints the usage on stdout"
assert_contains "$OUT" "Exit status" "--help documents the exit status"
for cmd in send route status replies credit cancel call providers plugins; do
  run_smsmux "$cmd" --help
  assert_eq 0 "$RC" "$cmd --help exits 0"
  assert_contains "$OUT" "Usage: smsmux" "$cmd --help prints its usage"
done
run_smsmux help send
assert_contains "$OUT" "--to-file" "help send shows the send flags"
run_smsmux --version
assert_eq 0 "$RC" "--version exits 0"
assert_contains "$OUT" "smsmux " "--version prints the version"

finish
