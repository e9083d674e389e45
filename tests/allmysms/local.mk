# AllMySMS conformance tests: the smsmux command against smsmux-sim, checked
# against every example of ../shared/providers/allmysms-mms.txt.
allmysms_tests = \
	tests/allmysms/send_requests.sh \
	tests/allmysms/send_answers.sh \
	tests/allmysms/input_rules.sh \
	tests/allmysms/errors.sh \
	tests/allmysms/credit.sh \
	tests/allmysms/simulator.sh
TESTS += $(allmysms_tests)
EXTRA_DIST += $(allmysms_tests) tests/allmysms/common.sh
