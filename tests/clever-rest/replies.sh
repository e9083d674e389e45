#!/bin/sh
# Clever REST conformance: `smsmux replies` is "3.23 Obtenir les MO's d'une
# campagne de messages", GET pushs/{ref}/mos: the replies to one campaign,
# so the reference is required.  The document offers no paging or dates:
# --since/--until and --start/--count are applied to the list received.
. "$top_srcdir/tests/clever-rest/common.sh"

sim_reset
cr send --provider clever --to +33651028452 --text 'send push all contacts test'
REF=$(jqr '.id')
# the example answer of 3.23
sim_ctl POST "reply?provider=clever-rest&from=%2B33651028452&text=Ok+Yacine&date=2017-10-13+16:32:07" \
  >/dev/null
cr replies --provider clever "$REF"
assert_eq 0 "$RC" "replies_exits_0"
assert_request "replies_matches_the_request_of_3.23" GET "$API/pushs/$REF/mos"
assert_json_headers "replies"
assert_eq '{"mos":[{"status":"5","date_receive":"2017-10-13 16:32:07","recipient":"+33651028452","message":"Ok Yacine"}]}' \
  "$(sim_curl GET "pushs/$REF/mos" | jq -c .)" "simulator_answers_the_example_of_3.23"
assert_json '.replies | length' 1 "replies_one_reply"
assert_json '.replies[0] | "\(.from)|\(.text)|\(.at)|\(.message_id)"' \
  "+33651028452|Ok Yacine|2017-10-13 16:32:07|$REF" "replies_example_3.23_read"

# several replies: dates and slices
sim_ctl POST "reply?provider=clever-rest&from=%2B33651028452&text=deux&date=2030-01-01+10:00:00" >/dev/null
sim_ctl POST "reply?provider=clever-rest&from=%2B33651028452&text=trois&date=2030-01-02+10:00:00" >/dev/null
cr replies --provider clever "$REF"
assert_json '[.replies[].text] | join(",")' "Ok Yacine,deux,trois" "replies_all_in_provider_order"
cr replies --provider clever "$REF" --since '2020-01-01'
assert_json '[.replies[].text] | join(",")' "deux,trois" "replies_since_filters_on_date_receive"
cr replies --provider clever "$REF" --until '2030-01-01 12:00:00'
assert_json '[.replies[].text] | join(",")' "Ok Yacine,deux" "replies_until_filters_on_date_receive"
cr replies --provider clever "$REF" --start 1 --count 1
assert_json '[.replies[].text] | join(",")' "deux" "replies_start_and_count_slice"

# the reference is needed
N=$(req_count)
cr replies --provider clever
assert_error input 2 "replies_without_reference_is_an_input_error"
assert_contains "$(jqr '.error.message')" "push reference" "replies_without_reference_says_what_to_give"
assert_eq "$N" "$(req_count)" "replies_without_reference_sends_nothing"
cr replies --provider clever Push20171013163207
assert_error invalid 1 "replies_of_unknown_campaign_is_invalid"

finish
