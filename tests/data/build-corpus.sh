#!/usr/bin/env bash
# tests/data/build-corpus.sh [OUT_DIR] - builds the human-written text corpus
# used by the calibration tests (tests/test_calibration.c) and `make eval`.
#
# Sources (Debian packages, installed by `make deps` through tests/calib.mk):
#   - dict-devil: Ambrose Bierce, "The Devil's Dictionary" (1881-1906, public
#     domain), /usr/share/dictd/devil.dict.dz; the dictd database entries
#     (00-database-*) before the title are dropped.
#   - wordnet-base: the glosses (definitions and example sentences) of every
#     WordNet 3.0 verb synset, /usr/share/wordnet/data.verb (the text after
#     " | " on each data line; the licence header lines are skipped).
# Neither is the King James Bible, which trains the sample model.
#
# Also writes, for the deduplication-off experiment only, templated text
# with many repeated n-grams: the first 300 KB of WordNet's raw verb records
# (synset offsets, pointer symbols, frame numbers and the gloss).
#
# Also writes, for `make calibrate` (tests/calibrate.c), source code: the
# first 400 KB of the C headers directly in /usr/include that Debian's
# libc6-dev installs (GNU C Library, LGPL), in sorted order
# (dpkg -L libc6-dev), as code.txt.
#
# Writes OUT_DIR/devil.txt, OUT_DIR/wordnet-verbs.txt,
# OUT_DIR/wordnet-records.txt and OUT_DIR/code.txt (default OUT_DIR: this
# directory) and does nothing when all four exist and are non-empty.
# Exit status 0 on success, 2 when a source is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
devil_src=/usr/share/dictd/devil.dict.dz
wn_src=/usr/share/wordnet/data.verb
if [ -s "$out/devil.txt" ] && [ -s "$out/wordnet-verbs.txt" ] && [ -s "$out/wordnet-records.txt" ] &&
   [ -s "$out/code.txt" ]; then
    exit 0
fi
for f in "$devil_src" "$wn_src"; do
    [ -r "$f" ] || { echo "build-corpus: $f missing (apt-get install dict-devil wordnet-base)" >&2; exit 2; }
done
mkdir -p "$out"
zcat "$devil_src" | awk 'started || /THE DEVIL.S DICTIONARY/ { started = 1; print }' \
    > "$out/devil.txt.tmp"
grep -v '^  ' "$wn_src" | sed -n 's/^.* | //p' | sed -e 's/[[:space:]]*$//' \
    > "$out/wordnet-verbs.txt.tmp"
awk '!/^  / { n += length($0) + 1; if (n > 300000) exit; print }' "$wn_src" > "$out/wordnet-records.txt.tmp"
headers=$(dpkg -L libc6-dev 2>/dev/null | grep -E '^/usr/include/[^/]+\.h$' | LC_ALL=C sort || true)
[ -n "$headers" ] || { echo "build-corpus: libc6-dev headers missing (apt-get install libc6-dev)" >&2; exit 2; }
# shellcheck disable=SC2086
{ cat $headers || true; } | head -c 400000 | awk '{ print }' > "$out/code.txt.tmp"
mv "$out/code.txt.tmp" "$out/code.txt"
mv "$out/devil.txt.tmp" "$out/devil.txt"
mv "$out/wordnet-verbs.txt.tmp" "$out/wordnet-verbs.txt"
mv "$out/wordnet-records.txt.tmp" "$out/wordnet-records.txt"
echo "build-corpus: $(wc -c < "$out/devil.txt") + $(wc -c < "$out/wordnet-verbs.txt") bytes of human text in $out"
