#!/usr/bin/env bash
# integrations/llama/fetch.sh DEST - fetches the pinned prebuilt llama.cpp
# (run by `make deps` and on first use).  Nothing of llama.cpp is kept in
# the source tree; everything lands in DEST (default build/vendor/llama):
#
#   DEST/lib/      libllama.v0.5.0.so, libggml.v0.5.0.so, libggml-base.so and
#                  the CPU backends libggml-cpu-*.so (RUNPATH $ORIGIN) from
#                  npm @node-llama-cpp/linux-x64@3.22.1
#   DEST/include/  llama.h and ggml/include/*.h, and
#   DEST/gguf-py/  llama.cpp's GGUF writer, both from the git bundle
#                  llama/gitRelease.bundle of npm node-llama-cpp@3.22.1
#                  (llama.cpp tag v0.5.0)
#
# Each tarball (`npm pack`, cached in $HALLMARK_CACHE or
# ~/.cache/hallmark/npm, as samples/tokenizers/fetch.sh does) is checked
# against its pinned sha256, the bundle's head against its pinned commit.
# Idempotent: does nothing when DEST/.stamp matches this script's pins.
set -euo pipefail
dest=${1:-build/vendor/llama}
cache=${HALLMARK_CACHE:-${HOME:-/tmp}/.cache/hallmark/npm}

# package  tarball sha256
BIN_PKG=@node-llama-cpp/linux-x64@3.22.1
BIN_SHA=0d953e1503d5ab4608d8ed5b739132308c81ac05ffeb760d2a7f30e08a9f90e0
SRC_PKG=node-llama-cpp@3.22.1
SRC_SHA=a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f
SRC_COMMIT=de3ff815ea7d559ee917f063901b8986f038abc6   # llama.cpp v0.5.0, squashed
LIBS="libllama.v0.5.0.so libggml.v0.5.0.so libggml-base.so"

stamp="$BIN_SHA $SRC_SHA $SRC_COMMIT"
if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$stamp" ]; then exit 0; fi

command -v npm >/dev/null || { echo "llama: npm not found (apt-get install npm)" >&2; exit 2; }
command -v git >/dev/null || { echo "llama: git not found (apt-get install git)" >&2; exit 2; }
mkdir -p "$cache"

fetch() { # package sha256 -> prints the tarball path
    local pkg=$1 sha=$2 tgz
    tgz=$(printf '%s' "$pkg" | sed -e 's/^@//' -e 's|/|-|' -e 's/@/-/').tgz
    if [ ! -f "$cache/$tgz" ] || [ "$(sha256sum "$cache/$tgz" | cut -d' ' -f1)" != "$sha" ]; then
        echo "llama: npm pack $pkg" >&2
        rm -f "$cache/$tgz"
        if ! (cd "$cache" && npm pack --silent "$pkg" >/dev/null 2>"$cache/npm-pack-llama.err"); then
            echo "llama: cannot fetch $pkg from the npm registry (offline?):" >&2
            cat "$cache/npm-pack-llama.err" >&2
            exit 1
        fi
    fi
    local got
    got=$(sha256sum "$cache/$tgz" | cut -d' ' -f1)
    if [ "$got" != "$sha" ]; then
        echo "llama: $pkg tarball sha256 $got does not match the pinned $sha" >&2
        exit 1
    fi
    printf '%s\n' "$cache/$tgz"
}

bin_tgz=$(fetch "$BIN_PKG" "$BIN_SHA")
src_tgz=$(fetch "$SRC_PKG" "$SRC_SHA")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$bin_tgz" -C "$work" package/bins/linux-x64
tar xzf "$src_tgz" -C "$work" package/llama/gitRelease.bundle
git clone -q --no-checkout "$work/package/llama/gitRelease.bundle" "$work/src" 2>/dev/null
head=$(git -C "$work/src" rev-parse HEAD)
if [ "$head" != "$SRC_COMMIT" ]; then
    echo "llama: the bundle's head $head is not the pinned $SRC_COMMIT" >&2
    exit 1
fi
git -C "$work/src" -c advice.detachedHead=false checkout -q "$SRC_COMMIT" -- LICENSE include ggml/include gguf-py

rm -rf "$dest.tmp"
mkdir -p "$dest.tmp/lib" "$dest.tmp/include"
for f in $LIBS "$work"/package/bins/linux-x64/libggml-cpu-*.so; do
    cp "$work/package/bins/linux-x64/$(basename "$f")" "$dest.tmp/lib/"
done
cp "$work"/src/include/*.h "$work"/src/ggml/include/*.h "$dest.tmp/include/"
cp -r "$work/src/gguf-py" "$dest.tmp/gguf-py"
cp "$work/src/LICENSE" "$dest.tmp/LICENSE.llama.cpp"
printf '%s\n' "$stamp" > "$dest.tmp/.stamp"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "llama: $BIN_PKG and $SRC_PKG (llama.cpp $SRC_COMMIT) -> $dest" >&2
