#!/bin/sh
# run-store-pg.sh TEST-BINARY [ARGS...] - run the store tests against a private
# PostgreSQL server started for the run and always stopped afterwards.
# Exit status: the test's, or 77 (automake "skipped") when no server can be
# started because PostgreSQL is not installed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pg-env.sh"

if [ $# -lt 1 ]; then
	echo "usage: $0 TEST-BINARY [ARGS...]" >&2
	exit 2
fi
if ! pg_env_bindir >/dev/null; then
	echo "run-store-pg: PostgreSQL is not installed; skipping" >&2
	exit 77
fi
pg_env_start || exit 1
trap 'pg_env_stop "$HD_PG_ENV_DIR"' EXIT
trap 'exit 130' INT TERM
echo "run-store-pg: HD_TEST_PG_URI=$HD_TEST_PG_URI"
"$@"
