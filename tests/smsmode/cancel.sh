#!/bin/sh
# sMsmode conformance: `smsmux cancel` is deleteSMS.do?smsID= (item 9):
# answer 0 deletes, 61 is "SMS non trouvé".
. "$top_srcdir/tests/smsmode/common.sh"

# the guide's example id: unknown to the simulator
sim_reset
sms cancel --provider sms 06000000
assert_request "cancel_matches_guide_example_request" GET "$API/deleteSMS.do" \
  "accessToken=$TOKEN&smsID=06000000"
assert_error invalid 1 "cancel_unknown_message_is_invalid"
assert_json '.error.code' 61 "cancel_unknown_message_code_61"
assert_json '.cancelled' false "cancel_unknown_message_not_cancelled"

# a scheduled message is deleted
sim_reset
sms send --provider sms --to +33631234560 --text 'Plus tard' --at '2035-06-01 09:00:00'
ID=$(jqr '.id')
sms cancel --provider sms "$ID"
assert_eq 0 "$RC" "cancel_scheduled_message_exits_0"
assert_request "cancel_sends_the_smsID" GET "$API/deleteSMS.do" \
  "accessToken=$TOKEN&smsID=$ID"
assert_json '.cancelled' true "cancel_scheduled_message_cancelled"
# deleting it again: it is gone
sms cancel --provider sms "$ID"
assert_error invalid 1 "cancel_twice_is_not_found"

finish
