# smsmuxd's tests: real HTTP with curl against the daemon and smsmux-sim.
TESTS += tests/daemon/config.sh
EXTRA_DIST += tests/daemon/lib.sh tests/daemon/config.sh
TESTS += tests/daemon/kannel.sh
EXTRA_DIST += tests/daemon/kannel.sh
TESTS += tests/daemon/abuse.sh
EXTRA_DIST += tests/daemon/abuse.sh
TESTS += tests/daemon/api.sh
EXTRA_DIST += tests/daemon/api.sh
TESTS += tests/daemon/lifecycle.sh
EXTRA_DIST += tests/daemon/lifecycle.sh
TESTS += tests/daemon/openapi.sh
EXTRA_DIST += tests/daemon/openapi.sh tests/daemon/openapi.jq
TESTS += tests/daemon/tls.sh
EXTRA_DIST += tests/daemon/tls.sh
TESTS += tests/daemon/tenants.sh
EXTRA_DIST += tests/daemon/tenants.sh
