#!/bin/sh
# tests/daemon/ledger.sh on the PostgreSQL store (SMSMUX_TEST_STORE in
# tests/lib.sh): 300 concurrent submits against 100 units, the refunds, a
# reseller's transfers, usage = ledger.
SMSMUX_TEST_STORE=pg; export SMSMUX_TEST_STORE
exec "$top_srcdir/tests/daemon/ledger.sh"
