#!/usr/bin/env bash
# Installs what el2emu needs from Debian when it is missing: with --test the
# peers the tests use; with --unicorn-2.0 Debian's libunicorn-dev; with
# --unicorn-2.1 the tools scripts/unicorn.sh builds the default engine
# (Unicorn 2.1.4 from the PyPI sdist, patched) with; with
# --vmm the cross compiler scripts/linux.sh builds Firmware/linux/vmm.c with.
set -euo pipefail
want=()
for a in "$@"; do
    case "$a" in
    --test) want+=(qemu-system-arm gdb-multiarch device-tree-compiler chromium) ;;
    --unicorn-2.0) want+=(libunicorn-dev) ;;
    --unicorn-2.1) want+=(cmake ninja-build python3-pip patch) ;;
    --vmm) want+=(gcc-aarch64-linux-gnu) ;;
    esac
done
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
