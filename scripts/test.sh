#!/usr/bin/env bash
# The test suite: install libunicorn-dev and the test peers if missing, then
# build the firmware guests from source and run every test.
# UNICORN=2.1 runs it against upstream Unicorn 2.1.4 (see scripts/unicorn.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
source scripts/unicorn.sh
swift build --build-tests "${SWIFT_FLAGS[@]}"
export EL2EMU_BIN="$(swift build --show-bin-path "${SWIFT_FLAGS[@]}")/el2emu"
swift test --skip-build "${SWIFT_FLAGS[@]}" "$@"
