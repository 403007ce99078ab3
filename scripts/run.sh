#!/usr/bin/env bash
# The main job: install libunicorn-dev if missing, build el2emu, boot the
# default guest. Extra arguments go to `el2emu run`.
# UNICORN=2.1 builds against upstream Unicorn 2.1.4 instead of Debian's (see scripts/unicorn.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
source scripts/unicorn.sh
swift build -c release --product el2emu "${SWIFT_FLAGS[@]}"
bin="$(swift build -c release --show-bin-path "${SWIFT_FLAGS[@]}")"
exec "$bin/el2emu" run "$@"
