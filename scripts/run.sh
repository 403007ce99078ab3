#!/usr/bin/env bash
# The main job: install libunicorn-dev if missing, build el2emu, boot the
# default guest. Extra arguments go to `el2emu run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product el2emu
exec .build/release/el2emu run "$@"
