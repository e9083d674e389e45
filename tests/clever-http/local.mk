# Clever FrontalHttpMultimedias conformance tests: the smsmux command against
# smsmux-sim, checked against every example of
# ../shared/providers/clever-http-frontal.txt.
clever_http_tests = \
	tests/clever-http/credit.sh \
	tests/clever-http/send.sh \
	tests/clever-http/status.sh \
	tests/clever-http/replies.sh \
	tests/clever-http/errors.sh
TESTS += $(clever_http_tests)
EXTRA_DIST += $(clever_http_tests) tests/clever-http/common.sh
