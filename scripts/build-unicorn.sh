#!/usr/bin/env bash
# build-unicorn.sh VERSION SDIST_SHA256 ROOT: builds Unicorn VERSION (aarch64)
# from the PyPI sdist, checked against SDIST_SHA256, with
# scripts/unicorn-patches/*.patch applied, into ROOT/lib and ROOT/include.
# Run by scripts/unicorn.sh when ROOT has no library yet.
set -euo pipefail
version=$1 sha256=$2 root=$3
bash scripts/install-deps.sh --unicorn-2.1
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp" "$root.tmp"' EXIT
python3 -m pip download --quiet --no-deps --no-binary=:all: "unicorn==$version" -d "$tmp"
echo "$sha256  $tmp/unicorn-$version.tar.gz" | sha256sum --quiet -c
tar -xzf "$tmp/unicorn-$version.tar.gz" -C "$tmp"
src="$tmp/unicorn-$version/src"
for p in scripts/unicorn-patches/*.patch; do
    patch --quiet -p1 -d "$src" < "$p"
done
echo "building Unicorn $version (aarch64, with scripts/unicorn-patches) into $root" >&2
# -O2, not Release's -O3: Debian's gcc 12 at -O3 lays the exit path out so
# that a VHE exit misses the instruction cache ~57 times (cachegrind) against
# the wheel's ~30, and takes 5% longer; at -O2, 30 and the wheel's time.
cmake -S "$src" -B "$tmp/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
    -DUNICORN_ARCH=aarch64 -DUNICORN_BUILD_TESTS=OFF >/dev/null
ninja -C "$tmp/build" >/dev/null
rm -rf "$root.tmp"
mkdir -p "$root.tmp/lib" "$root.tmp/include"
cp -a "$tmp/build"/libunicorn.so* "$root.tmp/lib/"
cp -a "$src/include/unicorn" "$root.tmp/include/"
rm -rf "$root" && mv "$root.tmp" "$root"
