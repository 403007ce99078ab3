#!/usr/bin/env bash
# The test suite: install the test peers if missing, then build the firmware
# guests from source and run every test, against Unicorn 2.1.4 (the default)
# or, with UNICORN=2.0, Debian's libunicorn-dev (see scripts/unicorn.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
source scripts/unicorn.sh
swift build --build-tests "${SWIFT_FLAGS[@]}"
export EL2EMU_BIN="$(swift build --show-bin-path "${SWIFT_FLAGS[@]}")/el2emu"
swift test --skip-build "${SWIFT_FLAGS[@]}" "$@"
