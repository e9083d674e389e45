# generic-http conformance: the plugin configured in INI to speak the
# simulator's Clever HTTP, sMsmode and Clever REST APIs.
generic_http_tests = \
	tests/generic-http/clever-http.sh \
	tests/generic-http/smsmode.sh \
	tests/generic-http/json.sh \
	tests/generic-http/config.sh \
	tests/generic-http/answers.sh \
	tests/generic-http/partial.sh
TESTS += $(generic_http_tests)
EXTRA_DIST += $(generic_http_tests) tests/generic-http/common.sh
