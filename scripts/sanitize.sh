#!/usr/bin/env bash
# The test suite under AddressSanitizer (issue: hostile inputs). Leak
# reports are off: the one LeakSanitizer finds at exit is in library code.
# Builds into .build-asan; takes several times as long as the plain suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
source scripts/unicorn.sh
swift build --build-tests --sanitize=address "${SWIFT_FLAGS[@]}" --scratch-path .build-asan
export EL2EMU_BIN="$(swift build --show-bin-path --sanitize=address "${SWIFT_FLAGS[@]}" --scratch-path .build-asan)/el2emu"
ASAN_OPTIONS=detect_leaks=0 swift test --skip-build --sanitize=address "${SWIFT_FLAGS[@]}" --scratch-path .build-asan "$@"
