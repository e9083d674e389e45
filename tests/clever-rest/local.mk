# Clever REST conformance tests: the smsmux command against smsmux-sim,
# checked against every example of ../shared/providers/clever-rest.txt.
clever_rest_tests = \
	tests/clever-rest/send.sh \
	tests/clever-rest/status.sh \
	tests/clever-rest/replies.sh \
	tests/clever-rest/credit.sh \
	tests/clever-rest/cancel.sh \
	tests/clever-rest/users.sh \
	tests/clever-rest/contacts.sh \
	tests/clever-rest/mail.sh \
	tests/clever-rest/campaigns.sh \
	tests/clever-rest/errors.sh
TESTS += $(clever_rest_tests)
EXTRA_DIST += $(clever_rest_tests) tests/clever-rest/common.sh
