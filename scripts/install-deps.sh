#!/usr/bin/env bash
# Installs what el2emu needs from Debian when it is missing:
# libunicorn-dev always; with --test also the peers the tests use.
set -euo pipefail
want=(libunicorn-dev)
if [[ "${1:-}" == "--test" ]]; then
    want+=(qemu-system-arm gdb-multiarch device-tree-compiler chromium)
fi
missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
