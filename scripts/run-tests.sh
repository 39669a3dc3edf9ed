#!/usr/bin/env bash
# The test suite CI runs (`make test`): lint, type check, then every pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
$BIN/ruff check src tests benchmarks
$BIN/mypy
mkdir -p test-artifacts
set +e
$BIN/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing, since a green run must have run tests" >&2
  exit 1
fi
exit "$status"
