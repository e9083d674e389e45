# Mediasflow conformance tests: the smsmux command against smsmux-sim,
# checked against every example of ../shared/providers/mediasflow-rest.txt.
mediasflow_tests = \
	tests/mediasflow/login.sh \
	tests/mediasflow/send.sh \
	tests/mediasflow/operations.sh \
	tests/mediasflow/reports.sh \
	tests/mediasflow/cancel.sh \
	tests/mediasflow/errors.sh
TESTS += $(mediasflow_tests)
EXTRA_DIST += $(mediasflow_tests) tests/mediasflow/common.sh
