#!/usr/bin/env bash
# Selects the Unicorn el2emu builds against; sourced by run.sh and test.sh.
#   UNICORN=debian (default): Debian's libunicorn-dev (2.0.1 on bookworm).
#   UNICORN=2.1: upstream 2.1.4 from the pinned PyPI `unicorn` wheel, which
#                ships libunicorn.so.2 and the C headers; kept in .build-unicorn/.
# Sets SWIFT_FLAGS (extra swift build/test flags) for the chosen library.
UNICORN="${UNICORN:-debian}"
UNICORN_WHEEL_VERSION="2.1.4"
SWIFT_FLAGS=()
case "$UNICORN" in
debian) ;;
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
    SWIFT_FLAGS=(--scratch-path .build-unicorn21 -Xcc "-I$root/include" -Xlinker "-L$root/lib" -Xlinker -rpath -Xlinker "$root/lib")
    ;;
*) echo "UNICORN must be 'debian' or '2.1', not '$UNICORN'" >&2; exit 2 ;;
esac
