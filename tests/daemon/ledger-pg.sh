#!/bin/sh
# tests/daemon/ledger.sh on the PostgreSQL store (a private server,
# tests/pg.sh): 300 concurrent submits against 100 units, the refunds, a
# reseller's transfers, usage = ledger.
LEDGER_STORE=pg
. "$top_srcdir/tests/daemon/ledger.sh"
