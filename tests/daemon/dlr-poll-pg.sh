#!/bin/sh
# tests/daemon/dlr-poll.sh on the PostgreSQL store (SMSMUX_TEST_STORE in tests/lib.sh)
SMSMUX_TEST_STORE=pg; export SMSMUX_TEST_STORE
exec "$top_srcdir/tests/daemon/dlr-poll.sh"
