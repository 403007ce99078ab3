#!/usr/bin/env bash
# Selects the Unicorn el2emu builds against; sourced by run.sh, test.sh and linux.sh.
#   UNICORN=2.1 (default): upstream 2.1.4 from the pinned PyPI `unicorn` wheel,
#                which ships libunicorn.so.2 and the C headers; kept in
#                .build-unicorn/, el2emu built in .build.
#   UNICORN=2.0: Debian's libunicorn-dev (2.0.1 on bookworm), built in
#                .build-unicorn20. Its limits: no EL0 guests, no guest whose
#                stage 1 maps VA != IPA (so no Linux).
# Sets SWIFT_FLAGS (extra swift build/test flags) for the chosen library.
UNICORN="${UNICORN:-2.1}"
UNICORN_WHEEL_VERSION="2.1.4"
SWIFT_FLAGS=()
case "$UNICORN" in
2.0|debian)
    bash scripts/install-deps.sh --unicorn-2.0
    SWIFT_FLAGS=(--scratch-path .build-unicorn20)
    ;;
2.1|2.1.4)
    root="$PWD/.build-unicorn/$UNICORN_WHEEL_VERSION"
    if [[ ! -f "$root/lib/libunicorn.so" ]]; then
        tmp="$(mktemp -d)"
        python3 -m pip download --quiet --no-deps --only-binary=:all: "unicorn==$UNICORN_WHEEL_VERSION" -d "$tmp"
        mkdir -p "$root"
        python3 - "$tmp"/unicorn-*.whl "$root" <<'PY'
import sys, zipfile, os
wheel, root = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for n in z.namelist():
        if n.startswith("unicorn/include/") or n.startswith("unicorn/lib/"):
            dest = os.path.join(root, n[len("unicorn/"):])
            if n.endswith("/"):
                os.makedirs(dest, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as f:
                    f.write(z.read(n))
PY
        ln -sf libunicorn.so.2 "$root/lib/libunicorn.so"
        rm -rf "$tmp"
    fi
    SWIFT_FLAGS=(-Xcc "-I$root/include" -Xlinker "-L$root/lib" -Xlinker -rpath -Xlinker "$root/lib")
    ;;
*) echo "UNICORN must be '2.1' (the default) or '2.0' (Debian's libunicorn-dev), not '$UNICORN'" >&2; exit 2 ;;
esac
