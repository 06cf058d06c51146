# `hallmark radioactivity` plumbing: marked vs clean suspect outputs (token-id
# arrays and text), the prompt-context exclusion (a model parroting marked
# prompts is not radioactive), the filter, the control key, malformed
# records, and 4 hash shards under GNU parallel merged to exactly the
# single-process result.  (The science - students distilled from marked
# answers - is in tests/test_radio.c and `make demo`.)
. "$(dirname "$0")/lib.sh"

GEN="$HM_BUILD/samples/demo-gen"
TRAIN="$HM_BUILD/samples/train-lm"
PY=/usr/bin/python3

expect_status "radioactivity --help exits 0" 0 "$HALLMARK" radioactivity --help
expect_grep "radioactivity --help shows usage" "^Usage: hallmark radioactivity" "$TMP/out"
expect_status "radioactivity without --scheme is misuse (2)" 2 "$HALLMARK" radioactivity --key x /dev/null
expect_status "radioactivity --alpha 0 is misuse (2)" 2 "$HALLMARK" radioactivity --key x --scheme kgw --alpha 0 /dev/null

fixed_key "$TMP/k.key" test-master
P=(--param seeding=lefthash --param h=1 --param delta=3 --param gamma=0.25)

# A small model over ids 0..299 (V 300, EOS 299): random documents.
$PY - > "$TMP/train.ids" <<'EOF'
import random
r = random.Random(5)
for d in range(300):
    print(" ".join(str(r.randrange(299)) for _ in range(50)))
EOF
"$TRAIN" --order 1 --vocab 300 --eos 299 --quiet --out "$TMP/m.slm" "$TMP/train.ids"
for i in $(seq 1 120); do echo "$((i % 290)) $(((i * 7) % 290)) $(((i * 13) % 290))"; done > "$TMP/prompts.ids"
"$GEN" --model "$TMP/m.slm" --key "$TMP/k.key" --scheme kgw "${P[@]}" -n 60 --seed 1 "$TMP/prompts.ids" > "$TMP/marked.jsonl"
"$GEN" --model "$TMP/m.slm" --no-watermark -n 60 --seed 2 "$TMP/prompts.ids" > "$TMP/clean.jsonl"

R=("$HALLMARK" radioactivity --key "$TMP/k.key" --scheme kgw "${P[@]}")
expect_status "marked outputs: detected (0)" 0 "${R[@]}" "$TMP/marked.jsonl"
expect_grep "p-values printed as p = ..." "our key: .* p = [0-9.]+e-[0-9]+" "$TMP/out"
expect_grep "the control is reported" "control key: .* p = " "$TMP/out"
expect_status "clean outputs: not detected (1)" 1 "${R[@]}" "$TMP/clean.jsonl"
# kgw's default seeding (selfhash): the tuple identity depends on the key, so
# the control key is read at the main key's positions
expect_status "kgw selfhash (the default) runs: clean not detected (1)" 1 "$HALLMARK" radioactivity --key "$TMP/k.key" --scheme kgw "$TMP/clean.jsonl"
expect_grep "selfhash: the control key is reported" "control key: .* p = " "$TMP/out"
# unigram has one, empty, context, in every prompt: it is not excluded
expect_status "unigram runs (1: these outputs carry no unigram mark)" 1 "$HALLMARK" radioactivity --key "$TMP/k.key" --scheme unigram --json "$TMP/clean.jsonl"
if [ "$(json_get "$TMP/out" 'int(j["n_excluded_prompt"]) == 0 and int(j["n_tested"]) > 100')" = True ]; then
    ok "unigram: no exclusion, the distinct tokens are tested"; else notok "unigram exclusion" "$(head -c 400 "$TMP/out")"; fi
expect_status "JSON output" 0 "${R[@]}" --json "$TMP/marked.jsonl"
cp "$TMP/out" "$TMP/res.json"
if [ "$(json_get "$TMP/res.json" 'j["detected"] and j["main"]["log10_p"] < -6 and j["control"]["log10_p"] > -4 and int(j["n_tested"]) > 0 and int(j["n_outputs"]) == 120')" = True ]; then
    ok "JSON: main detected, control quiet, counts"
else notok "JSON: main detected, control quiet, counts" "$(head -c 600 "$TMP/res.json")"; fi

# A model that parrots our marked prompts: every context occurs in a prompt.
$PY - "$TMP/marked.jsonl" > "$TMP/parrot.jsonl" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    c = json.loads(l)["completion"]
    print(json.dumps({"prompt": c, "completion": c}))
EOF
expect_status "parrot of marked prompts: not detected (1)" 1 "${R[@]}" --json "$TMP/parrot.jsonl"
cp "$TMP/out" "$TMP/parrot.json"
if [ "$(json_get "$TMP/parrot.json" 'int(j["n_tested"]) == 0 and int(j["n_excluded_prompt"]) > 0')" = True ]; then
    ok "prompt contexts are excluded"
else notok "prompt contexts are excluded" "$(head -c 600 "$TMP/parrot.json")"; fi

# Filter: only k-grams of a given watermarked corpus.
head -30 "$TMP/marked.jsonl" | $PY -c 'import json,sys
for l in sys.stdin: print(json.dumps({"text": json.loads(l)["completion"]}))' > "$TMP/filter.jsonl"
expect_status "with --filter" 0 "${R[@]}" --json --filter "$TMP/filter.jsonl" "$TMP/marked.jsonl"
cp "$TMP/out" "$TMP/filt.json"
if [ "$(json_get "$TMP/filt.json" 'j["filter"] and int(j["n_filtered"]) > 0 and int(j["n_tested"]) < int(j["n_unique_tuples"])')" = True ]; then
    ok "the filter keeps only corpus k-grams"
else notok "the filter keeps only corpus k-grams" "$(head -c 600 "$TMP/filt.json")"; fi

# Malformed records are reported and skipped; text fields work too.
{
    head -5 "$TMP/marked.jsonl"
    if "$HALLMARK" tokenize --tokenizer cl100k_base </dev/null >/dev/null 2>&1; then
        echo '{"prompt": "In the beginning", "completion": "God created the heaven and the earth."}'
    else # no tokenizer here (e.g. the sanitizer build): ids only
        echo '{"prompt": [5, 6], "completion": [7, 8, 9]}'
    fi
    echo '{"prompt": [1, 2], "completion": [1, "x"]}'
    echo 'nope'
    echo ''
    echo '{"prompt": [1, 2]}'
} > "$TMP/mixed.jsonl"
expect_status "mixed input runs (5 marked outputs: detected)" 0 "${R[@]}" --json "$TMP/mixed.jsonl"
expect_grep "non-id array reported" "mixed.jsonl:7: malformed record skipped: token-id array" "$TMP/err"
expect_grep "non-JSON reported" "mixed.jsonl:8: malformed record skipped: not a JSON object" "$TMP/err"
expect_grep "missing completion reported" "mixed.jsonl:10: malformed record skipped: no completion field" "$TMP/err"
cp "$TMP/out" "$TMP/mixed.json"
if [ "$(json_get "$TMP/mixed.json" 'j["records"]+"/"+j["malformed"]+"/"+j["empty"]+"/"+j["n_outputs"]')" = "10/3/1/6" ]; then
    ok "every record accounted for"
else notok "every record accounted for" "$(head -c 600 "$TMP/mixed.json")"; fi

# 4 hash shards under GNU parallel, merged: the single-process result.
"${R[@]}" --json --out "$TMP/single.json" "$TMP/marked.jsonl" >/dev/null 2>&1
if command -v parallel >/dev/null; then
    parallel --will-cite -j 2 "${R[@]}" --shard {}/4 --out "$TMP/rp{}.json" "$TMP/marked.jsonl" ::: 0 1 2 3
    expect_status "merge 4 radioactivity shards (detected: 0)" 0 "$HALLMARK" merge --out "$TMP/merged.json" "$TMP"/rp{0,1,2,3}.json
    expect_same "the merge equals the single-process result" "$TMP/single.json" "$TMP/merged.json"
else
    notok "GNU parallel is installed (make deps)"
fi
