#!/usr/bin/env bash
# samples/neural/build.sh BUILD_DIR OUT_DIR LLAMA_DIR - builds the sample
# neural model (run by `make neural-model`, once; the result is cached).
#
#   1. text: the KJV, one chapter per line (samples/kjv-chapters.sh); every
#      25th chapter held out, as for the n-gram sample model
#   2. tokenizer.json: a 2,048-id byte-level BPE trained on the training
#      chapters (bpe.py); Hallmark and llama.cpp both read it exactly
#   3. train.ids / heldout.ids: the text through `hallmark tokenize` with it
#   4. model.pt: train.py with Debian torch, one thread, OpenBLAS
#      ($NEURAL_STEPS steps, default 500: about 2.5 minutes of one core)
#   5. model.gguf: export_gguf.py with the pinned gguf-py
#   6. check_logits.py: llama.cpp's logits equal torch's (f32, 1e-4)
#   7. model.json: what was built, from what, and the sha256 of each file
#
# OUT_DIR gets tokenizer.json, model.pt, model.gguf, model.json and the id
# files.  The training is deterministic for a given torch build and CPU;
# model.json records the digests of this build.
set -euo pipefail
build=${1:?usage: build.sh BUILD_DIR OUT_DIR LLAMA_DIR}
out=${2:?usage: build.sh BUILD_DIR OUT_DIR LLAMA_DIR}
llama=${3:?usage: build.sh BUILD_DIR OUT_DIR LLAMA_DIR}
here=$(cd "$(dirname "$0")" && pwd)
steps=${NEURAL_STEPS:-500}
vocab=2048
py=/usr/bin/python3
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# Debian's torch links libblas.so.3: make it OpenBLAS whatever the alternatives say.
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PYTHONPATH=$llama/gguf-py${PYTHONPATH:+:$PYTHONPATH}

$py -c 'import torch, numpy' 2>/dev/null || {
    echo "neural: /usr/bin/python3 cannot import torch and numpy (make deps installs python3-torch)" >&2
    exit 2
}
start=$SECONDS
mkdir -p "$out"
tmp="$out/tmp"
rm -rf "$tmp"
mkdir -p "$tmp"

echo "neural: building the sample neural model in $out ($steps steps; about 2.5 min on one core)" >&2
bash "$here/../kjv-chapters.sh" > "$tmp/kjv.txt"
awk 'NR % 25 != 0' "$tmp/kjv.txt" > "$tmp/train.txt"
awk 'NR % 25 == 0' "$tmp/kjv.txt" > "$tmp/heldout.txt"
$py "$here/bpe.py" --vocab "$vocab" --out "$tmp/tokenizer.json" "$tmp/train.txt"
"$build/hallmark" tokenize --tokenizer "$tmp/tokenizer.json" "$tmp/train.txt" > "$tmp/train.ids"
"$build/hallmark" tokenize --tokenizer "$tmp/tokenizer.json" "$tmp/heldout.txt" > "$tmp/heldout.ids"
$py "$here/train.py" --ids "$tmp/train.ids" --heldout "$tmp/heldout.ids" --vocab "$vocab" \
    --dim 96 --layers 4 --heads 4 --ffn 256 --ctx 256 --seq 256 --batch 8 \
    --steps "$steps" --seed 1 --out "$tmp/model.pt"
$py "$here/export_gguf.py" --model "$tmp/model.pt" --tokenizer "$tmp/tokenizer.json" \
    --out "$tmp/model.gguf"
diff=$($py "$here/check_logits.py" --model "$tmp/model.pt" --gguf "$tmp/model.gguf" \
    --gen "$build/llama/hm-llama-gen" --ids "$tmp/heldout.ids" --n 256 --tol 1e-4)

$py - "$tmp" "$diff" "$((SECONDS - start))" <<'EOF'
import hashlib, json, os, sys, torch
d, diff, secs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
ck = torch.load(os.path.join(d, "model.pt"), map_location="cpu")
sha = lambda f: hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
meta = {
    "what": "Hallmark sample neural model: llama architecture, KJV, byte-level BPE",
    "recipe": "samples/neural/build.sh",
    "config": ck["config"], "training": ck["extra"],
    "torch": torch.__version__,
    "logits_max_abs_diff_llama_cpp_vs_torch": diff,
    "build_seconds": secs,
    "sha256": {f: sha(f) for f in ("tokenizer.json", "model.pt", "model.gguf")},
}
json.dump(meta, open(os.path.join(d, "model.json"), "w"), indent=2)
EOF
for f in tokenizer.json train.ids heldout.ids train.txt heldout.txt model.pt model.json; do
    mv "$tmp/$f" "$out/$f"
done
mv "$tmp/model.gguf" "$out/model.gguf"   # last: the make target
rm -rf "$tmp"
echo "neural: done in $((SECONDS - start)) s: $out/model.gguf (logits within $diff of torch)" >&2
