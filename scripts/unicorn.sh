#!/usr/bin/env bash
# Selects the Unicorn el2emu builds against; sourced by run.sh, test.sh and linux.sh.
#   UNICORN=2.1 (default): Unicorn 2.1.4 built from the pinned PyPI sdist
#                (aarch64 only) with scripts/unicorn-patches/*.patch applied,
#                into .build-unicorn/<version>-<hash of the patches>/ (lib,
#                include), once; el2emu built in .build.
#   UNICORN=2.0: Debian's libunicorn-dev (2.0.1 on bookworm), built in
#                .build-unicorn20. Its limits: no EL0 guests, no guest whose
#                stage 1 maps VA != IPA (so no Linux).
# Sets SWIFT_FLAGS (extra swift build/test flags) for the chosen library.
UNICORN="${UNICORN:-2.1}"
UNICORN_VERSION="2.1.4"
# sha256 of the PyPI sdist unicorn-2.1.4.tar.gz
UNICORN_SDIST_SHA256="00567a70e323f749b419cd86bee4f9115beab7ebba32194581c090cbb7c59cff"
SWIFT_FLAGS=()
case "$UNICORN" in
2.0|debian)
    bash scripts/install-deps.sh --unicorn-2.0
    SWIFT_FLAGS=(--scratch-path .build-unicorn20)
    ;;
2.1|2.1.4)
    # Key: the version and the patches, so a changed patch builds anew.
    hash="$(cat scripts/unicorn-patches/*.patch | sha256sum | cut -c1-12)"
    root="$PWD/.build-unicorn/$UNICORN_VERSION-$hash"
    if [[ ! -f "$root/lib/libunicorn.so" ]]; then
        bash scripts/install-deps.sh --unicorn-2.1
        tmp="$(mktemp -d)"
        python3 -m pip download --quiet --no-deps --no-binary=:all: "unicorn==$UNICORN_VERSION" -d "$tmp"
        echo "$UNICORN_SDIST_SHA256  $tmp/unicorn-$UNICORN_VERSION.tar.gz" | sha256sum --quiet -c
        tar -xzf "$tmp/unicorn-$UNICORN_VERSION.tar.gz" -C "$tmp"
        src="$tmp/unicorn-$UNICORN_VERSION/src"
        for p in scripts/unicorn-patches/*.patch; do
            patch --quiet -p1 -d "$src" < "$p"
        done
        echo "building Unicorn $UNICORN_VERSION (aarch64, with scripts/unicorn-patches) into $root" >&2
        cmake -S "$src" -B "$tmp/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
            -DUNICORN_ARCH=aarch64 -DUNICORN_BUILD_TESTS=OFF >/dev/null
        ninja -C "$tmp/build" >/dev/null
        mkdir -p "$root.tmp/lib" "$root.tmp/include"
        cp -a "$tmp/build"/libunicorn.so* "$root.tmp/lib/"
        cp -a "$src/include/unicorn" "$root.tmp/include/"
        rm -rf "$root" && mv "$root.tmp" "$root"
        rm -rf "$tmp"
    fi
    SWIFT_FLAGS=(-Xcc "-I$root/include" -Xlinker "-L$root/lib" -Xlinker -rpath -Xlinker "$root/lib")
    ;;
*) echo "UNICORN must be '2.1' (the default) or '2.0' (Debian's libunicorn-dev), not '$UNICORN'" >&2; exit 2 ;;
esac
