#!/usr/bin/env bash
# The main job: build el2emu against Unicorn 2.1.4 (fetched if missing),
# boot the default guest. Extra arguments go to `el2emu run`.
# UNICORN=2.0 builds against Debian's libunicorn-dev instead (see scripts/unicorn.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/unicorn.sh
swift build -c release --product el2emu "${SWIFT_FLAGS[@]}"
bin="$(swift build -c release --show-bin-path "${SWIFT_FLAGS[@]}")"
exec "$bin/el2emu" run "$@"
