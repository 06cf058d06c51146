#!/usr/bin/env bash
# tests/cli/test_llama.sh - the Hallmark llama_sampler inside the pinned
# prebuilt llama.cpp: the sampler tests on synthetic logits
# (hm-llama-test), then with the sample neural model (build/neural):
# llama.cpp and Hallmark tokenize alike, llama.cpp computes torch's logits,
# and answers generated through llama.cpp are detected by `hallmark detect`
# from their text (kgw in the chain and after top-k, gumbel and vllm as the
# final sampler), plain answers are not.
. "$(dirname "$0")/lib.sh"
gen="$HM_BUILD/llama/hm-llama-gen"
neural=${HM_NEURAL_DIR:-$HM_ROOT/build/neural}
export OMP_NUM_THREADS=1
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

"$HM_BUILD/llama/hm-llama-test" || true

if [ ! -f "$neural/model.gguf" ]; then
    notok "llama: the sample neural model exists" "$neural/model.gguf missing (make neural-model)"
    exit 0
fi
m="$neural/model.gguf"
tok="$neural/tokenizer.json"

# the same ids from llama.cpp's tokenizer (GGUF "gpt2" vocabulary) and Hallmark's (tokenizer.json)
head -c 700 "$neural/heldout.txt" > "$TMP/text.txt"
printf ' Odd: caf\xc3\xa9 \xe2\x80\x94 12345 "quoted"  spaces\tand\ttabs\n\nend' >> "$TMP/text.txt"
expect_status "llama: hm-llama-gen tokenizes a prompt (-n 0)" 0 \
    "$gen" --model "$m" --plain --prompt-file "$TMP/text.txt" -n 0 --ids-out "$TMP/ids.txt"
head -n 1 "$TMP/ids.txt" > "$TMP/llama.ids"
"$HALLMARK" tokenize --tokenizer "$tok" "$TMP/text.txt" > "$TMP/hm.ids"
expect_same "llama: llama.cpp and Hallmark tokenize alike" "$TMP/llama.ids" "$TMP/hm.ids"

expect_status "llama: llama.cpp logits equal torch's (1e-4)" 0 \
    /usr/bin/python3 "$HM_ROOT/samples/neural/check_logits.py" --model "$neural/model.pt" \
    --gguf "$m" --gen "$gen" --ids "$neural/heldout.ids" --n 64 --tol 1e-4

"$HALLMARK" key new --out "$TMP/k.key" --insecure-no-passphrase >/dev/null 2>&1
prompt="And it came to pass, when the king"
gen_detect() { # name, detect args (after the text), gen args...
    local name=$1 dargs=$2; shift 2
    if ! "$gen" --model "$m" --prompt "$prompt" -n 150 --seed 3 "$@" > "$TMP/out.txt" 2>"$TMP/gen.err"; then
        notok "$name: generated" "$(head -c 400 "$TMP/gen.err")"
        return
    fi
    # shellcheck disable=SC2086
    expect_status "$name" "$WANT" "$HALLMARK" detect --tokenizer "$tok" --allow-invalid-utf8 $dargs "$TMP/out.txt"
}
WANT=0 gen_detect "llama: kgw (bias first in the chain) detected" "--key $TMP/k.key --scheme kgw" \
    --key "$TMP/k.key" --scheme kgw
WANT=0 gen_detect "llama: kgw after top-k 40 detected" "--key $TMP/k.key --scheme kgw" \
    --key "$TMP/k.key" --scheme kgw --top-k 40 --bias-after-top-k
WANT=0 gen_detect "llama: kgw in sample mode detected" "--key $TMP/k.key --scheme kgw" \
    --key "$TMP/k.key" --scheme kgw --mode sample --temp 0.9
WANT=0 gen_detect "llama: gumbel (final sampler) detected" "--key $TMP/k.key --scheme gumbel" \
    --key "$TMP/k.key" --scheme gumbel --top-p 0.95
WANT=0 gen_detect "llama: vllm interop (final sampler) detected" "--scheme vllm --vllm-key 42" \
    --scheme vllm --param key=42
WANT=1 gen_detect "llama: plain llama.cpp output not detected (kgw)" "--key $TMP/k.key --scheme kgw" --plain
WANT=1 gen_detect "llama: plain llama.cpp output not detected (gumbel)" "--key $TMP/k.key --scheme gumbel" --plain
"$HALLMARK" key new --out "$TMP/other.key" --insecure-no-passphrase >/dev/null 2>&1
WANT=1 gen_detect "llama: another key does not detect it" "--key $TMP/other.key --scheme gumbel" \
    --key "$TMP/k.key" --scheme gumbel

expect_status "llama: bias mode refused for gumbel" 2 \
    "$gen" --model "$m" --key "$TMP/k.key" --scheme gumbel --mode bias --prompt x -n 5
expect_grep "llama: ... and says why" "bias mode needs kgw or unigram" "$TMP/err"
expect_status "llama: unknown parameter refused" 2 \
    "$gen" --model "$m" --key "$TMP/k.key" --scheme kgw --param bogus=1 --prompt x -n 5
expect_grep "llama: ... naming it" "bogus=1" "$TMP/err"
expect_status "llama: a missing model is an error" 2 "$gen" --model "$TMP/none.gguf" --plain --prompt x
expect_status "llama: too long a request is refused" 2 "$gen" --model "$m" --plain --prompt x -n 100000
printf 'not a key' > "$TMP/bad.key"
expect_status "llama: a bad key file is refused" 2 \
    "$gen" --model "$m" --key "$TMP/bad.key" --scheme kgw --prompt x -n 5
