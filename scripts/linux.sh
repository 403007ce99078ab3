#!/usr/bin/env bash
# Boots Debian bookworm's arm64 Linux under el2emu's hypervisor: fetches the
# kernel package (linux-image-*-cloud-arm64-unsigned; FLAVOUR=arm64 for the
# generic linux-image-*-arm64-unsigned) and busybox-static:arm64 with
# `apt-get download` (adding the arm64 architecture if needed) into
# .build-linux/, builds an initramfs from Firmware/linux/init
# (scripts/initramfs.py), and boots it. Extra arguments go to `el2emu run`
# (e.g. --mode vhe --cpus 4). LINUX_SHELL=1 gives a busybox shell on the console.
#   --ci: boots both designs with 2 vCPUs and checks /init's lines and
#         PSCI SYSTEM_OFF with status 0 (what .ci/run runs).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/unicorn.sh
swift build -c release --product el2emu "${SWIFT_FLAGS[@]}" >&2
el2emu="$(swift build -c release --show-bin-path "${SWIFT_FLAGS[@]}")/el2emu"

dir=.build-linux
flavour="${FLAVOUR:-cloud-arm64}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
newest() { apt-cache search --names-only "^linux-image-[0-9.]+-[0-9]+-$flavour-unsigned\$" | awk '{print $1}' | sort -V | tail -1; }
if ! dpkg --print-foreign-architectures | grep -qx arm64 || [[ -z "$(newest)" ]]; then
    echo "adding the arm64 architecture to apt" >&2
    $sudo dpkg --add-architecture arm64
    $sudo apt-get update -qq
fi
kernel_pkg="$(newest)"
[[ -n "$kernel_pkg" ]] || { echo "no linux-image-*-$flavour-unsigned package in apt's lists" >&2; exit 1; }
mkdir -p "$dir/debs"
for p in "$kernel_pkg" busybox-static:arm64; do
    name="${p%%:*}"
    if ! ls "$dir/debs/${name}_"*.deb >/dev/null 2>&1; then
        echo "downloading $p" >&2
        (cd "$dir/debs" && apt-get download -q "$p" 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2 || true)
        ls "$dir/debs/${name}_"*.deb >/dev/null
    fi
done
root="$dir/root-$flavour"
if [[ ! -d "$root/boot" ]]; then
    dpkg-deb -x "$(ls "$dir/debs/${kernel_pkg}_"*.deb | tail -1)" "$root"
    dpkg-deb -x "$(ls "$dir/debs/busybox-static_"*.deb | tail -1)" "$root"
fi
kernel="$(ls "$root"/boot/vmlinuz-* | tail -1)"
# The nested guest's VMM (static, Debian's cross gcc) and the guest it runs,
# a firmware guest as a flat binary; /init runs them with el2emu.nested.
bash scripts/install-deps.sh --vmm
aarch64-linux-gnu-gcc -static -O2 -Wall -o "$dir/vmm" Firmware/linux/vmm.c
nested="$("$el2emu" firmware --binary nested)"
python3 scripts/initramfs.py "$dir/initrd.cpio" "$root/bin/busybox" Firmware/linux/init bin/vmm="$dir/vmm" nested.bin="$nested"

append="console=ttyAMA0 panic=-1"
[[ "${LINUX_SHELL:-0}" == 1 ]] && append+=" el2emu.shell"
if [[ "${1:-}" != "--ci" ]]; then
    exec "$el2emu" run "$kernel" --initrd "$dir/initrd.cpio" --mem 512M --append "$append" "$@"
fi

# CI: each design boots to /init's last line and powers off with status 0;
# nvhe-el2 enters Linux at EL2 on a CPU without VHE (no el2emu hypervisor):
# its KVM initialises on el2emu's EL2 (GuestOwnedEL2.swift) and it boots the same,
# then /init runs the nested guest under that KVM (el2emu.nested: Firmware/linux/vmm.c);
# vhe-el2 on a CPU with VHE, where Linux turns E2H on (__finalise_el2), runs at EL2
# and runs the same nested guest under its VHE KVM.
for config in nvhe vhe nvhe-el2 vhe-el2; do
    mode="${config%-el2}"
    log="$dir/ci-$config.log"
    extra=()
    args="$append"
    lines=("el2emu-linux: /init reached" "el2emu-linux: 2 CPUs online" "el2emu-linux: forks and pipes ok (sum 210)"
           "el2emu-linux: powering off" "guest exited (PSCI SYSTEM_OFF) with status 0")
    if [[ "$config" == *-el2 ]]; then
        extra=(--entry-el 2)
        args+=" el2emu.nested"
        lines+=("CPU: All CPU(s) started at EL2"
                "hello from the nested guest" "vmm: guest powered off (KVM_EXIT_SYSTEM_EVENT type 1)" "el2emu-linux: nested guest ok")
        [[ "$mode" == vhe ]] && lines+=("kvm [1]: VHE mode initialized successfully") || lines+=("kvm [1]: Hyp mode initialized successfully")
    fi
    start=$(date +%s)
    status=0
    "$el2emu" run "$kernel" --initrd "$dir/initrd.cpio" --mem 512M --cpus 2 --mode "$mode" "${extra[@]}" \
        --append "$args" --timeout 900 --stats </dev/null >"$log" 2>&1 || status=$?
    for line in "${lines[@]}"; do
        grep -qF "$line" "$log" || { echo "linux ($config): no '$line' in $log (exit status $status)" >&2; tail -30 "$log" >&2; exit 1; }
    done
    [[ $status -eq 0 ]] || { echo "linux ($config): exit status $status" >&2; exit 1; }
    echo "linux ($config): booted to /init and powered off in $(( $(date +%s) - start )) s" >&2
done
