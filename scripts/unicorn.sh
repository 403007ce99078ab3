#!/usr/bin/env bash
# Selects the Unicorn el2emu builds against; sourced by run.sh, test.sh and linux.sh.
#   UNICORN=2.1 (default): Unicorn 2.1.4 built from the pinned PyPI sdist
#                (aarch64 only) with scripts/unicorn-patches/*.patch applied,
#                into .build-unicorn/<version>-<hash of patches and build script>/ (lib,
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
    # Key: the version, the patches and the build script, so a change to either builds anew.
    hash="$(cat scripts/unicorn-patches/*.patch scripts/build-unicorn.sh | sha256sum | cut -c1-12)"
    root="$PWD/.build-unicorn/$UNICORN_VERSION-$hash"
    if [[ ! -f "$root/lib/libunicorn.so" ]]; then
        bash scripts/build-unicorn.sh "$UNICORN_VERSION" "$UNICORN_SDIST_SHA256" "$root" ||
            { echo "scripts/unicorn.sh: building Unicorn $UNICORN_VERSION failed" >&2; return 1 2>/dev/null || exit 1; }
    fi
    SWIFT_FLAGS=(-Xcc "-I$root/include" -Xlinker "-L$root/lib" -Xlinker -rpath -Xlinker "$root/lib")
    ;;
*) echo "UNICORN must be '2.1' (the default) or '2.0' (Debian's libunicorn-dev), not '$UNICORN'" >&2; exit 2 ;;
esac
