#!/usr/bin/env bash
# The test suite CI runs (`make test`): lint, type check, then every pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
$BIN/ruff check src tests benchmarks
$BIN/mypy
mkdir -p test-artifacts
# The browser tests drive Debian's Chromium (never `playwright install`, which downloads a browser).
command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
# The store and API tests start a throwaway PostgreSQL server from Debian's package (tests/postgres_server.py).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update && apt-get install -y postgresql)
set +e
$BIN/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing, since a green run must have run tests" >&2
  exit 1
fi
exit "$status"
