# tests/allmysms/common.sh - what every AllMySMS conformance test shares
# (sourced after tests/lib.sh's variables are set by make check).
#
# Starts smsmux-sim and writes one [provider.mms] instance of the allmysms
# plugin pointed at it, with the account of the document's PHP example
# (clientcode=votrecodeclient, passcode=votremotdepasse: one of the
# simulator's built-in accounts, 418 credits), and offers:
#
#   mms ARGS...              smsmux --config ... --json ARGS  ($OUT $ERR $RC)
#   req FILTER [N]           jq -r FILTER on request N the simulator's
#                            /allmysms/ received (default: the last)
#   req_count                how many requests /allmysms/ received
#   flow_body XML            the form body the plugin must POST for the flow
#                            XML (without the XML declaration, ASCII only):
#                            clientcode=...&passcode=...&XMLFlow=<encoded>
#   assert_post WHAT PATH BODY [N]
#                            request N was `POST PATH` with no query, a
#                            form content type and exactly BODY
#   sim_flow LOGIN PASS XML  POST an XMLFlow straight to the simulator with
#                            curl; prints the answer's bytes, its content
#                            type goes to $TMP/answer.type
#   assert_error CLASS RC WHAT
#                            exit status RC and .error.class CLASS
. "$top_srcdir/tests/lib.sh"

LOGIN=votrecodeclient
PASS=votremotdepasse
SEND_PATH=/allmysms/amsmodule.sendmms.v2.php
TOOL_PATH=/allmysms/amsmodule.sendsms.v6.php

sim_start
write_config allmysms.ini <<'EOF2'
[smsmux]
plugin_dir = @PLUGINS@
state_dir = @TMP@/state

[provider.mms]
plugin = allmysms
base_url = @SIM@/allmysms
login = votrecodeclient
password = votremotdepasse
EOF2
CONFIG=$TMP/allmysms.ini

mms() { run_smsmux --config "$CONFIG" --json "$@"; }

req() { sim_requests allmysms | jq -r ".[${2:--1}] | $1"; }
req_count() { sim_requests allmysms | jq -r 'length'; }

# The host form-encodes with curl_easy_escape: every byte but letters,
# digits and -._~ as %XX, spaces as "+": jq's @uri, which also spares
# !*'(), with those encoded and %20 turned into +.
# The plugin writes the flow with libxml2 in ISO-8859-1: a declaration,
# the tree on one line, a final newline.
flow_body() {
  jq -rn --arg l "${2:-$LOGIN}" --arg p "${3:-$PASS}" --arg x "$1" \
    '"clientcode=\($l)&passcode=\($p)&XMLFlow=" +
     (("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" + $x + "\n")
      | @uri | gsub("%20"; "+") | gsub("!"; "%21") | gsub("\\*"; "%2A")
      | gsub("'"'"'"; "%27") | gsub("\\("; "%28") | gsub("\\)"; "%29"))'
}

assert_post() {
  _n=${4:--1}
  assert_eq "POST $2?" "$(req '"\(.method) \(.path)?\(.query)"' "$_n")" "$1: POST $2, no query"
  assert_eq application/x-www-form-urlencoded "$(req '.headers["content-type"]' "$_n")" \
    "$1: form content type"
  assert_eq "$3" "$(req '.body' "$_n")" "$1: body"
}

sim_flow() {
  curl -sS -o "$TMP/answer" -w '%{content_type}' --data-urlencode "clientcode=$1" \
    --data-urlencode "passcode=$2" --data-urlencode "XMLFlow=$3" \
    "$SIM_URL$SEND_PATH" >"$TMP/answer.type"
  cat "$TMP/answer"
}

assert_error() {
  assert_eq "$2" "$RC" "$3: exit status $2"
  assert_json '.error.class' "$1" "$3: error class $1"
}
