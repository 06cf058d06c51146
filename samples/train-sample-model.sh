#!/usr/bin/env bash
# samples/train-sample-model.sh BUILD_DIR OUT_MODEL [ORDER]
#
# Trains the sample language model on the King James Bible (Debian's
# bible-kjv) tokenized with cl100k_base, and writes OUT_MODEL.
#
#   - Text: `bible -f "Gen1:1-Rev22:21"`, verse prefixes ("Ge1:1 ") removed,
#     verses of one chapter joined by spaces: one chapter = one document
#     (1,189 documents).  Every 25th chapter (the 25th, 50th, ...) is held
#     out for evaluation.
#   - Tokens: `BUILD_DIR/hallmark tokenize --tokenizer cl100k_base` when that
#     command works; otherwise samples/tokenize-node.js (npm tiktoken from
#     tests/oracle/node_modules, /tmp/node_modules or $TIKTOKEN_DIR; when
#     none is found, it is installed into ${TMPDIR:-/tmp}/hallmark-node with
#     npm).
#   - Writes beside OUT_MODEL: kjv-train.ids and kjv-heldout.ids (token ids,
#     one chapter per line), then trains with BUILD_DIR/samples/train-lm.
#
# Exit status 0 on success, 2 on errors, 3 when no tokenizer is available.
set -euo pipefail
build=${1:?usage: train-sample-model.sh BUILD_DIR OUT_MODEL [ORDER]}
out=${2:?usage: train-sample-model.sh BUILD_DIR OUT_MODEL [ORDER]}
order=${3:-4}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(dirname "$out")
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash "$here/kjv-chapters.sh" > "$work/kjv.txt"
chapters=$(wc -l < "$work/kjv.txt")
awk 'NR % 25 != 0' "$work/kjv.txt" > "$work/train.txt"
awk 'NR % 25 == 0' "$work/kjv.txt" > "$work/heldout.txt"

tokenize() { # in out
    if "$build/hallmark" tokenize --tokenizer cl100k_base < "$1" > "$2" 2>/dev/null &&
       [ "$(wc -l < "$2")" -eq "$(wc -l < "$1")" ]; then
        return 0
    fi
    local rc=0
    node "$here/tokenize-node.js" < "$1" > "$2" || rc=$?
    if [ "$rc" -eq 3 ] && command -v npm >/dev/null; then
        local pfx="${TMPDIR:-/tmp}/hallmark-node"
        echo "train-sample-model: installing tiktoken@1.0.22 into $pfx" >&2
        npm install --silent --no-audit --no-fund --prefix "$pfx" tiktoken@1.0.22 >&2 || return 3
        rc=0
        node "$here/tokenize-node.js" < "$1" > "$2" || rc=$?
    fi
    return "$rc"
}
rc=0
tokenize "$work/train.txt" "$dir/kjv-train.ids" || rc=$?
[ "$rc" -eq 0 ] && { tokenize "$work/heldout.txt" "$dir/kjv-heldout.ids" || rc=$?; }
if [ "$rc" -ne 0 ]; then
    echo "train-sample-model: no cl100k_base tokenizer available (hallmark tokenize or node tiktoken)" >&2
    exit 3
fi
echo "train-sample-model: $chapters chapters, $(wc -w < "$dir/kjv-train.ids") training tokens, $(wc -w < "$dir/kjv-heldout.ids") held out" >&2
"$build/samples/train-lm" --order "$order" --vocab 100277 --eos 100257 \
    --out "$out" "$dir/kjv-train.ids"
