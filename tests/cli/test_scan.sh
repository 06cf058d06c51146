# `hallmark scan` and `hallmark merge` on a small corpus: watermarked and
# clean documents (sampled from a unigram sample model with demo-gen, turned
# into text with `hallmark detokenize`), malformed and empty lines, ids,
# gzip, threads, Benjamini-Hochberg flags against a Python reference, and 4
# shards under GNU parallel merged to exactly the single-process output.
. "$(dirname "$0")/lib.sh"

GEN="$HM_BUILD/samples/demo-gen"
TRAIN="$HM_BUILD/samples/train-lm"
PY=/usr/bin/python3

expect_status "scan --help exits 0" 0 "$HALLMARK" scan --help
expect_grep "scan --help shows usage" "^Usage: hallmark scan" "$TMP/out"
expect_status "merge --help exits 0" 0 "$HALLMARK" merge --help
expect_status "scan without --out is misuse (2)" 2 "$HALLMARK" scan --key x --scheme kgw /dev/null
expect_grep "scan names the missing option" "--out" "$TMP/err"
expect_status "scan --fdr 2 is misuse (2)" 2 "$HALLMARK" scan --key x --scheme kgw --fdr 2 --out "$TMP/r" /dev/null
expect_status "scan --shard 4/4 is misuse (2)" 2 "$HALLMARK" scan --key x --scheme kgw --shard 4/4 --out "$TMP/r" /dev/null

if ! "$HALLMARK" tokenize --tokenizer cl100k_base </dev/null >/dev/null 2>&1; then
    echo "ok - scan corpus tests # SKIP cl100k_base not installed (make deps)"
    exit 0
fi

fixed_key "$TMP/k.key" test-master
fixed_key "$TMP/other.key" test-other

# A unigram model of English (the repository's docs) and prompts.
cat "$HM_ROOT"/docs/*.md | tr -s '\n' | head -400 |
    "$HALLMARK" tokenize --tokenizer cl100k_base > "$TMP/train.ids" 2>/dev/null
"$TRAIN" --order 1 --quiet --out "$TMP/uni.slm" "$TMP/train.ids"
for i in $(seq 1 52); do echo "$((400 + i)) 279"; done > "$TMP/prompts.ids"
head -12 "$TMP/prompts.ids" > "$TMP/p-marked.ids"
tail -40 "$TMP/prompts.ids" > "$TMP/p-clean.ids"
"$GEN" --model "$TMP/uni.slm" --key "$TMP/k.key" --scheme kgw -n 150 --seed 3 "$TMP/p-marked.ids" > "$TMP/marked.jsonl"
"$GEN" --model "$TMP/uni.slm" --no-watermark -n 80 --seed 4 "$TMP/p-clean.ids" > "$TMP/clean.jsonl"

# Corpus: JSON lines with ids, plus an empty line, a blank line, a broken
# line, a record without text and one with invalid UTF-8 (raw bytes).
to_text() { # $1 = jsonl of completions -> one text per line (JSON-escaped)
    $PY - "$1" "$HALLMARK" <<'EOF'
import json, subprocess, sys
for line in open(sys.argv[1]):
    ids = json.loads(line)["completion"]
    txt = subprocess.run([sys.argv[2], "detokenize", "--tokenizer", "cl100k_base"],
                         input=" ".join(map(str, ids)).encode(), capture_output=True).stdout
    print(json.dumps(txt.decode("utf-8", "replace").replace("\n", " ")))
EOF
}
to_text "$TMP/marked.jsonl" > "$TMP/marked.txt"
to_text "$TMP/clean.jsonl" > "$TMP/clean.txt"
{
    i=0
    while read -r t; do i=$((i + 1)); echo "{\"id\":\"m$i\",\"text\":$t}"; done < "$TMP/marked.txt"
    echo ""
    echo "{\"text\": \"no id here\", \"id\": 17}"
    echo "{broken json"
    echo "   "
    echo "{\"id\":\"x\",\"body\":\"no text field\"}"
    printf '{"id":"bad-utf8","text":"caf\xc3\x28 au lait"}\n'
    i=0
    while read -r t; do i=$((i + 1)); echo "{\"id\":\"c$i\",\"text\":$t}"; done < "$TMP/clean.txt"
} > "$TMP/corpus.jsonl"
NLINES=$(wc -l < "$TMP/corpus.jsonl")

SCAN=("$HALLMARK" scan --key "$TMP/k.key" --scheme kgw --tokenizer cl100k_base)
expect_status "scan a mixed corpus (detected: 0)" 0 "${SCAN[@]}" --threads 1 --out "$TMP/r1.jsonl" "$TMP/corpus.jsonl"
expect_grep "malformed JSON reported with its line number" "corpus.jsonl:15: malformed record skipped: not a JSON object" "$TMP/err"
expect_grep "missing field reported" "corpus.jsonl:17: malformed record skipped: no string field \"text\"" "$TMP/err"
expect_grep "invalid UTF-8 reported" "corpus.jsonl:18: malformed record skipped: invalid UTF-8" "$TMP/err"
tail -1 "$TMP/r1.jsonl" > "$TMP/sum.json"
if [ "$(json_get "$TMP/sum.json" 'int(j["lines"])')" = "$NLINES" ] &&
   [ "$(json_get "$TMP/sum.json" 'int(j["scanned"])+int(j["empty"])+int(j["malformed"])')" = "$NLINES" ] &&
   [ "$(json_get "$TMP/sum.json" 'j["empty"]+"/"+j["malformed"]+"/"+j["scanned"]')" = "2/3/53" ]; then
    ok "summary accounts for every line (2 empty, 3 malformed, 53 scanned)"
else notok "summary accounts for every line" "$(cat "$TMP/sum.json")"; fi
if $PY - "$TMP/r1.jsonl" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])][:-1]
flag = {r.get("id"): r["flag"] for r in recs}
assert sum(flag["m%d" % i] for i in range(1, 13)) >= 11, flag
assert sum(flag["c%d" % i] for i in range(1, 41)) <= 1, flag
assert flag[17] in (True, False)
assert all(isinstance(r["line"], str) and isinstance(r["n_scored"], str) for r in recs)
EOF
then ok "marked documents flagged, clean ones not; ids kept (string and number)"
else notok "marked documents flagged, clean ones not"; fi
if [ "$(json_get "$TMP/sum.json" 'j["corpus"]["log10_p"] < -10')" = True ] &&
   [ "$(json_get "$TMP/sum.json" 'j["corpus"]["test"]')" = binomial-upper-tail ]; then
    ok "the corpus-level pooled test is significant"
else notok "the corpus-level pooled test is significant" "$(cat "$TMP/sum.json")"; fi

# Benjamini-Hochberg against a Python reference (several q).
for q in 0.01 0.2 0.5; do
    "${SCAN[@]}" --fdr $q --out "$TMP/rq.jsonl" "$TMP/corpus.jsonl" >/dev/null 2>&1
    if $PY - "$TMP/rq.jsonl" $q <<'EOF'
import json, sys
q = float(sys.argv[2])
recs = [json.loads(l) for l in open(sys.argv[1])]
summ, recs = recs[-1], recs[:-1]
p = sorted(10 ** r["log10_p"] for r in recs)
m = len(p)
k = max([i + 1 for i in range(m) if p[i] <= (i + 1) * q / m], default=0)
thr = p[k - 1] if k else -1
want = [10 ** r["log10_p"] <= thr for r in recs]
got = [r["flag"] for r in recs]
assert want == got, (want, got)
assert int(summ["flagged"]) == k, (summ["flagged"], k)
EOF
    then ok "BH flags at q=$q match the Python reference"
    else notok "BH flags at q=$q match the Python reference"; fi
done

# Same output with 2 threads, from gzip, and from standard input.
expect_status "scan with 2 threads" 0 "${SCAN[@]}" --threads 2 --out "$TMP/r2.jsonl" "$TMP/corpus.jsonl"
expect_same "2 threads give the same output as 1" "$TMP/r1.jsonl" "$TMP/r2.jsonl"
gzip -c "$TMP/corpus.jsonl" > "$TMP/corpus.jsonl.gz"
expect_status "scan gzip input" 0 "${SCAN[@]}" --threads 2 --out "$TMP/rgz.jsonl" "$TMP/corpus.jsonl.gz"
expect_grep "gzip is recognized" '"format":"jsonl\+gzip"' "$TMP/rgz.jsonl"
head -n -1 "$TMP/r1.jsonl" > "$TMP/a"; head -n -1 "$TMP/rgz.jsonl" > "$TMP/b"
expect_same "gzip gives the same records" "$TMP/a" "$TMP/b"
head -c 300 "$TMP/corpus.jsonl.gz" > "$TMP/trunc.gz"
expect_status "truncated gzip is an error (2)" 2 "${SCAN[@]}" --out "$TMP/rt.jsonl" "$TMP/trunc.gz"
expect_grep "truncated gzip is named" "truncated gzip" "$TMP/err"

# Plain text, one document per line.
$PY -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l))' "$TMP/marked.txt" > "$TMP/plain.txt"
expect_status "scan plain text" 0 "${SCAN[@]}" --out "$TMP/rp.jsonl" "$TMP/plain.txt"
expect_grep "plain text format" '"format":"text"' "$TMP/rp.jsonl"
expect_grep "plain text documents flagged" '"line":"12".*"flag":true' "$TMP/rp.jsonl"

# Lines longer than --max-line-bytes are malformed, reported, and skipped.
expect_status "scan with a small --max-line-bytes (the marked lines are skipped: 1)" 1 "${SCAN[@]}" --max-line-bytes 200 --out "$TMP/rl.jsonl" "$TMP/corpus.jsonl"
expect_grep "long lines reported" "corpus.jsonl:1: malformed record skipped: line longer than --max-line-bytes" "$TMP/err"
if [ "$(tail -1 "$TMP/rl.jsonl" | $PY -c 'import json,sys; j=json.load(sys.stdin); print(int(j["scanned"])+int(j["empty"])+int(j["malformed"]) == int(j["lines"]) and int(j["malformed"]) > 3)')" = True ]; then
    ok "long lines are counted as malformed"
else notok "long lines are counted as malformed" "$(tail -1 "$TMP/rl.jsonl" | head -c 400)"; fi

# Another key sees nothing.
expect_status "another key: not detected (1)" 1 "$HALLMARK" scan --key "$TMP/other.key" --scheme kgw --out "$TMP/ro.jsonl" "$TMP/corpus.jsonl"

# Bounded-memory paths: tiny partitions count and spill dir.
mkdir -p "$TMP/spill"
expect_status "scan with --partitions 1 and --tmpdir" 0 "${SCAN[@]}" --partitions 1 --tmpdir "$TMP/spill" --out "$TMP/rs.jsonl" "$TMP/corpus.jsonl"
expect_same "partition count does not change the output" "$TMP/r1.jsonl" "$TMP/rs.jsonl"

# 4 shards under GNU parallel, merged: exactly the single-process output.
if command -v parallel >/dev/null; then
    parallel --will-cite -j 2 "${SCAN[@]}" --threads 1 --shard {}/4 --out "$TMP/part{}.jsonl" "$TMP/corpus.jsonl" \
        ::: 0 1 2 3 2>"$TMP/perr"
    expect_status "merge 4 shards" 0 "$HALLMARK" merge --out "$TMP/merged.jsonl" "$TMP"/part{0,1,2,3}.jsonl
    expect_same "4 shards under GNU parallel merge to the single-process output" "$TMP/r1.jsonl" "$TMP/merged.jsonl"
else
    notok "GNU parallel is installed (make deps)"
fi
"${SCAN[@]}" --shard 0/2 --out "$TMP/h0.jsonl" "$TMP/corpus.jsonl" 2>/dev/null
"${SCAN[@]}" --shard 1/2 --out "$TMP/h1.jsonl" "$TMP/corpus.jsonl" 2>/dev/null
expect_status "merge with a shard missing (2)" 2 "$HALLMARK" merge --out "$TMP/m.jsonl" "$TMP/h0.jsonl"
expect_grep "missing shard explained" "expected 2 partials" "$TMP/err"
expect_status "merge with a shard twice (2)" 2 "$HALLMARK" merge --out "$TMP/m.jsonl" "$TMP/h0.jsonl" "$TMP/h0.jsonl"
expect_status "merge of 2 shards" 0 "$HALLMARK" merge --out "$TMP/m2.jsonl" "$TMP/h1.jsonl" "$TMP/h0.jsonl"
expect_same "2 shards (any order) merge to the single-process output" "$TMP/r1.jsonl" "$TMP/m2.jsonl"
expect_status "merge refuses a non-partial (2)" 2 "$HALLMARK" merge --out "$TMP/m.jsonl" "$TMP/r1.jsonl"
expect_grep "non-partial explained" "not a partial result" "$TMP/err"
