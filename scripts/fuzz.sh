#!/usr/bin/env bash
# The long fuzz run: the CI seed set's tests with a larger budget and, with
# SEEDS="a b c", several seeds. Every run must end with a stop reason within
# its limits (a Swift trap, a crash or a run past --timeout fails the test).
#   RUNS=2000 SEEDS="1 2 3" bash scripts/fuzz.sh      (UNICORN=2.1 as test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/unicorn.sh
swift build --build-tests "${SWIFT_FLAGS[@]}"
export EL2EMU_BIN="$(swift build --show-bin-path "${SWIFT_FLAGS[@]}")/el2emu"
export EL2EMU_FUZZ_RUNS="${RUNS:-2000}"
for seed in ${SEEDS:-1}; do
    echo "fuzz: seed $seed, $EL2EMU_FUZZ_RUNS runs per test" >&2
    EL2EMU_FUZZ_SEED="$seed" swift test --skip-build "${SWIFT_FLAGS[@]}" \
        --filter 'RandomGuestFuzzTests|HostLimitTests|SignalTests|BadImageTests'
done
