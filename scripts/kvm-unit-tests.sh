#!/usr/bin/env bash
# kvm-unit-tests' arm64 suite (../shared/kvm-unit-tests) under el2emu in four
# configurations, against scripts/kvm-unit-tests.expected: builds el2emu
# (release, the engine scripts/unicorn.sh selects) and runs the runner.
# Extra arguments go to scripts/kvm-unit-tests.py (--only, --configs, --jobs, --write-expect).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/unicorn.sh
swift build -c release --product el2emu "${SWIFT_FLAGS[@]}"
bin="$(swift build -c release --show-bin-path "${SWIFT_FLAGS[@]}")"
exec python3 scripts/kvm-unit-tests.py "$bin/el2emu" "$@"
