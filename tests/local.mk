# Loader, config and core tests (shell, against the build tree).
include tests/unit.mk
include tests/plugins.mk
include tests/cli.mk
include tests/smsmode/local.mk
include tests/clever-http/local.mk
include tests/clever-rest/local.mk
include tests/mediasflow/local.mk
include tests/allmysms/local.mk
include tests/generic-http/local.mk
include tests/fuzz/local.mk
include tests/daemon/local.mk
EXTRA_DIST += tests/lib.sh tests/demo.sh tests/installcheck.sh scripts/install-deps.sh docs/choices.md docs/ABI.md \
	docs/providers.md docs/providers/smsmode.md docs/providers/allmysms.md
TESTS += tests/config.sh
EXTRA_DIST += tests/config.sh
TESTS += tests/send.sh
EXTRA_DIST += tests/send.sh
TESTS += tests/routing.sh
TESTS += tests/partial.sh
TESTS += tests/tls.sh
EXTRA_DIST += tests/routing.sh tests/partial.sh tests/tls.sh
# The suites that use a store, on PostgreSQL as well (SMSMUX_TEST_STORE=pg:
# tests/lib.sh); store-cli.sh and send.sh look at SQLite's file itself.
STORE_PG_TESTS = tests/routing-pg.sh tests/routing-ttl-pg.sh tests/bulk-pg.sh \
	tests/partial-pg.sh tests/store-signals-pg.sh tests/resellers-pg.sh
TESTS += $(STORE_PG_TESTS)
EXTRA_DIST += $(STORE_PG_TESTS)
TESTS += tests/sdk.sh
EXTRA_DIST += tests/sdk.sh examples/myprovider/myprovider.c
# The ABI guard (skipped, exit 77, without abigail-tools).
TESTS += tests/abi/check.sh
EXTRA_DIST += tests/abi/check.sh tests/abi/abi.c tests/abi/appends-only.awk \
	tests/abi/smsmux-abi.xml
# Bulk sending through the batch API (send --to-file).
TESTS += tests/bulk.sh
EXTRA_DIST += tests/bulk.sh
# The store through the command: refs keyed by number, damage refused,
# stop signals, reserve failures, exit statuses, prune; the balance cache
# (issue 10).
TESTS += tests/store-cli.sh tests/store-signals.sh tests/routing-ttl.sh
EXTRA_DIST += tests/store-cli.sh tests/store-signals.sh tests/routing-ttl.sh
TESTS += tests/resellers.sh
EXTRA_DIST += tests/resellers.sh docs/RESELLERS.md
