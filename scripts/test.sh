#!/usr/bin/env bash
# The test suite: install libunicorn-dev and the test peers if missing, then
# build the firmware guests from source and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
swift build --build-tests
swift test --skip-build "$@"
