#!/usr/bin/env bash
# samples/neural/train-student.sh BUILD_DIR NEURAL_DIR TEXT OUT_DIR [STEPS]
#
# Trains a "student" on TEXT (any UTF-8 text, e.g. answers collected from
# the teacher) with the sample model's tokenizer and architecture, as the
# distillation experiment needs (issue #16): the text goes through
# `hallmark tokenize --tokenizer NEURAL_DIR/tokenizer.json`, then
# train.py (one thread, OpenBLAS, seed $STUDENT_SEED or 1) writes
# OUT_DIR/model.pt, and export_gguf.py OUT_DIR/model.gguf for hm-llama-gen.
# STEPS defaults to 300.
set -euo pipefail
build=${1:?usage: train-student.sh BUILD_DIR NEURAL_DIR TEXT OUT_DIR [STEPS]}
neural=${2:?usage}
text=${3:?usage}
out=${4:?usage}
steps=${5:-300}
here=$(cd "$(dirname "$0")" && pwd)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
llama=${LLAMA_DIR:-$(dirname "$build")/vendor/llama}
[ -d "$llama/gguf-py" ] || llama=build/vendor/llama
export PYTHONPATH=$llama/gguf-py${PYTHONPATH:+:$PYTHONPATH}
mkdir -p "$out"
"$build/hallmark" tokenize --tokenizer "$neural/tokenizer.json" "$text" > "$out/train.ids"
cfg=$(/usr/bin/python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["config"]; print(c["vocab"], c["dim"], c["layers"], c["heads"], c["ffn"], c["ctx"])' "$neural/model.json")
read -r vocab dim layers heads ffn ctx <<<"$cfg"
/usr/bin/python3 "$here/train.py" --ids "$out/train.ids" --vocab "$vocab" --dim "$dim" \
    --layers "$layers" --heads "$heads" --ffn "$ffn" --ctx "$ctx" --seq "$ctx" --batch 8 \
    --steps "$steps" --seed "${STUDENT_SEED:-1}" --out "$out/model.pt"
/usr/bin/python3 "$here/export_gguf.py" --model "$out/model.pt" --tokenizer "$neural/tokenizer.json" \
    --out "$out/model.gguf" --name hallmark-student
