# smsmuxd's tests: real HTTP with curl against the daemon and smsmux-sim.
TESTS += tests/daemon/config.sh
EXTRA_DIST += tests/daemon/lib.sh tests/daemon/config.sh
# The same suites on the PostgreSQL store: each wrapper runs its suite with
# SMSMUX_TEST_STORE=pg (tests/lib.sh: one private server per suite, tests/pg.sh;
# skipped without PostgreSQL's binaries, except under CI=true).
DAEMON_PG_TESTS = tests/daemon/api-pg.sh tests/daemon/abuse-pg.sh \
	tests/daemon/kannel-pg.sh tests/daemon/lifecycle-pg.sh \
	tests/daemon/openapi-pg.sh tests/daemon/tls-pg.sh \
	tests/daemon/hooks-pg.sh tests/daemon/webhooks-pg.sh \
	tests/daemon/optout-pg.sh tests/daemon/dlr-poll-pg.sh \
	tests/daemon/kannel-dlr-pg.sh tests/daemon/tenants-pg.sh \
	tests/daemon/tenant-events-pg.sh tests/daemon/ledger-pg.sh
TESTS += $(DAEMON_PG_TESTS)
EXTRA_DIST += $(DAEMON_PG_TESTS)
# Three nodes on one PostgreSQL: kill -9 under load, one breaker state, one
# idempotency key across nodes (issue 15).
TESTS += tests/daemon/nodes.sh
EXTRA_DIST += tests/daemon/nodes.sh tests/daemon/nodes-lib.sh
# ... with their events: hooks on one node, webhooks once per event across
# nodes, kill -9 under load, the tenant's ledger exact.
TESTS += tests/daemon/nodes-events.sh
EXTRA_DIST += tests/daemon/nodes-events.sh
# A node paused past its lease between claim and send, another node taking
# the message over: sent once, the late node sends nothing (issue 15).
TESTS += tests/daemon/nodes-stall.sh
EXTRA_DIST += tests/daemon/nodes-stall.sh
# A tenant's rate limit shared by two nodes (one bucket in the database).
TESTS += tests/daemon/nodes-rate.sh
EXTRA_DIST += tests/daemon/nodes-rate.sh
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
TESTS += tests/daemon/ledger.sh
EXTRA_DIST += tests/daemon/ledger.sh
TESTS += tests/daemon/hooks.sh
EXTRA_DIST += tests/daemon/hooks.sh
TESTS += tests/daemon/webhooks.sh
EXTRA_DIST += tests/daemon/webhooks.sh
TESTS += tests/daemon/optout.sh
EXTRA_DIST += tests/daemon/optout.sh
TESTS += tests/daemon/dlr-poll.sh
EXTRA_DIST += tests/daemon/dlr-poll.sh
TESTS += tests/daemon/kannel-dlr.sh
EXTRA_DIST += tests/daemon/kannel-dlr.sh
TESTS += tests/daemon/tenant-events.sh
EXTRA_DIST += tests/daemon/tenant-events.sh
