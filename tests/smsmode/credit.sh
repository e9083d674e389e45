#!/bin/sh
# sMsmode conformance: credit.do answers a bare number ("212.5", negative
# for post-pay accounts); `smsmux credit` reports it as a JSON number.
. "$top_srcdir/tests/smsmode/common.sh"

sim_reset
sim_ctl POST "account?provider=smsmode&token=$TOKEN&credit=212.5" >/dev/null
sms credit --provider sms
assert_eq 0 "$RC" "credit_exits_0"
assert_request "credit_matches_guide_example_request" GET "$API/credit.do" \
  "accessToken=$TOKEN"
assert_json '.credits | length' 1 "credit_json_one_provider"
assert_json '.credits[0].provider' sms "credit_json_names_provider"
assert_json '.credits[0].credit' 212.5 "credit_guide_example_212.5_is_read"
assert_json '.credits[0].credit | type' number "credit_json_is_a_number"

sim_ctl POST "account?provider=smsmode&token=$TOKEN&credit=-40" >/dev/null
sms credit --provider sms
assert_eq 0 "$RC" "post_pay_credit_exits_0"
assert_json '.credits[0].credit' -40 "post_pay_negative_credit_is_read"

# credit goes down as messages go out
sim_ctl POST "account?provider=smsmode&token=$TOKEN&credit=100" >/dev/null
sms send --provider sms --to +33631234560,+33631234561 --text 'Bonjour'
sms credit --provider sms
assert_eq true "$(jqr '.credits[0].credit < 100')" "credit_goes_down_after_a_send"

finish
