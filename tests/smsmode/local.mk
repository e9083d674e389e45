# sMsmode conformance tests: the smsmux command against smsmux-sim, checked
# against every example of ../shared/providers/smsmode-http.txt.
smsmode_tests = \
	tests/smsmode/send_requests.sh \
	tests/smsmode/send_post.sh \
	tests/smsmode/status.sh \
	tests/smsmode/credit.sh \
	tests/smsmode/replies.sh \
	tests/smsmode/cancel.sh \
	tests/smsmode/operations.sh \
	tests/smsmode/errors.sh
TESTS += $(smsmode_tests)
EXTRA_DIST += $(smsmode_tests) tests/smsmode/common.sh
