# CLI: hallmark tokenize / detokenize / bench tokenize --help.
. "$(dirname "$0")/lib.sh"

TOKDIR="$HM_ROOT/samples/tokenizers"
printf 'Hello, World! How are you today? \xf0\x9f\x8c\x8d' > "$TMP/hello.txt"

expect_status "tokenize --help exits 0" 0 "$HALLMARK" tokenize --help
expect_grep "tokenize --help shows usage" "^Usage: hallmark tokenize" "$TMP/out"
expect_status "detokenize --help exits 0" 0 "$HALLMARK" detokenize --help
expect_status "bench tokenize --help exits 0" 0 "$HALLMARK" bench tokenize --help
expect_status "tokenize without --tokenizer is misuse" 2 "$HALLMARK" tokenize "$TMP/hello.txt"
expect_grep "missing --tokenizer is named" "tokenizer" "$TMP/err"
expect_status "tokenize with an unknown option is misuse" 2 "$HALLMARK" tokenize --frob
expect_status "unknown tokenizer name is an error" 2 "$HALLMARK" tokenize --tokenizer gpt9 "$TMP/hello.txt"
expect_grep "unknown tokenizer is named" "gpt9" "$TMP/err"

expect_status "tokenize cl100k_base" 0 "$HALLMARK" tokenize --tokenizer cl100k_base "$TMP/hello.txt"
expect_grep "cl100k ids" "^9906 11 4435 0 2650 527 499 3432 30 11410 234 235$" "$TMP/out"
expect_status "tokenize from stdin" 0 sh -c "\"$HALLMARK\" tokenize --tokenizer o200k_base - < \"$TMP/hello.txt\""
expect_grep "o200k ids" "^13225 11 5922 0 3253 553 481 4044 30 130321 235$" "$TMP/out"
expect_status "tokenize by path" 0 "$HALLMARK" tokenize --tokenizer "$TOKDIR/r50k_base.tiktoken" "$TMP/hello.txt"
expect_grep "r50k ids by path" "^15496 11 2159 0 1374 389 345 1909 30 12520 234 235$" "$TMP/out"

expect_status "tokenize --json" 0 "$HALLMARK" tokenize --tokenizer cl100k_base --json "$TMP/hello.txt"
cp "$TMP/out" "$TMP/hello.json"
if [ "$(json_get "$TMP/hello.json" 'j["ids"][:3]')" = "[9906, 11, 4435]" ]; then ok "--json has ids"; else notok "--json has ids" "$(cat "$TMP/hello.json")"; fi
if [ "$(json_get "$TMP/hello.json" 'sorted(j.keys())')" = "['ids']" ]; then ok "--json has only ids"; else notok "--json has only ids"; fi
expect_status "tokenize --json --offsets" 0 "$HALLMARK" tokenize --tokenizer cl100k_base --json --offsets "$TMP/hello.txt"
cp "$TMP/out" "$TMP/off.json"
if [ "$(json_get "$TMP/off.json" 'j["offsets"][:2]')" = "[[0, 5], [5, 6]]" ] &&
   [ "$(json_get "$TMP/off.json" 'len(j["offsets"]) == len(j["ids"]) and j["offsets"][-1][1]')" = "37" ]; then
    ok "--offsets gives byte ranges"; else notok "--offsets gives byte ranges" "$(head -c 300 "$TMP/off.json")"; fi
expect_status "tokenize --offsets (text)" 0 "$HALLMARK" tokenize --tokenizer cl100k_base --offsets "$TMP/hello.txt"
expect_grep "--offsets text lines" "^9906 0 5$" "$TMP/out"

for tk in cl100k_base o200k_base r50k_base p50k_base qwen3 mistral gpt2; do
    "$HALLMARK" tokenize --tokenizer $tk --json "$TMP/hello.txt" > "$TMP/ids.json" 2>"$TMP/err"
    if "$HALLMARK" detokenize --tokenizer $tk "$TMP/ids.json" > "$TMP/back.txt" 2>>"$TMP/err" &&
       cmp -s "$TMP/hello.txt" "$TMP/back.txt"; then ok "round trip $tk"; else notok "round trip $tk" "$(cat "$TMP/err")"; fi
done

printf 'abc\xff\xfe def \xc3( \xe2\x82 end\xf0' > "$TMP/bad.txt"
"$HALLMARK" tokenize --tokenizer cl100k_base "$TMP/bad.txt" > "$TMP/ids.txt" 2>"$TMP/err"
if "$HALLMARK" detokenize --tokenizer cl100k_base "$TMP/ids.txt" > "$TMP/back.txt" && cmp -s "$TMP/bad.txt" "$TMP/back.txt"; then
    ok "invalid UTF-8 bytes are encoded and come back"; else notok "invalid UTF-8 bytes are encoded and come back"; fi

printf 'a<|endoftext|>b' > "$TMP/sp.txt"
expect_status "specials off by default" 0 "$HALLMARK" tokenize --tokenizer cl100k_base "$TMP/sp.txt"
expect_no_grep "specials off: no 100257" "(^| )100257( |$)" "$TMP/out"
expect_status "--special recognizes them" 0 "$HALLMARK" tokenize --tokenizer cl100k_base --special "$TMP/sp.txt"
expect_grep "--special: 100257" "^64 100257 65$" "$TMP/out"

echo "9906, 11 4435" > "$TMP/list.txt"
expect_status "detokenize a plain list" 0 "$HALLMARK" detokenize --tokenizer cl100k_base "$TMP/list.txt"
expect_grep "plain list decodes" "^Hello, World$" "$TMP/out"
echo "9906 99999999" > "$TMP/list.txt"
expect_status "detokenize an unknown id is an error" 2 "$HALLMARK" detokenize --tokenizer cl100k_base "$TMP/list.txt"
expect_grep "unknown id named" "99999999" "$TMP/err"
echo '{"ids": [1, 2' > "$TMP/broken.json"
expect_status "detokenize malformed JSON is an error" 2 "$HALLMARK" detokenize --tokenizer cl100k_base "$TMP/broken.json"
expect_grep "malformed JSON named" "JSON" "$TMP/err"
echo "12 abc" > "$TMP/list.txt"
expect_status "detokenize garbage is an error" 2 "$HALLMARK" detokenize --tokenizer cl100k_base "$TMP/list.txt"

echo '{"model": {"type": "Unigram", "vocab": []}}' > "$TMP/uni.json"
expect_status "unsupported tokenizer.json is refused" 2 "$HALLMARK" tokenize --tokenizer "$TMP/uni.json" "$TMP/hello.txt"
expect_grep "refusal names the component" "Unigram" "$TMP/err"
head -c 5000 "$TOKDIR/qwen3.tokenizer.json" > "$TMP/trunc.json"
expect_status "truncated tokenizer.json is refused" 2 "$HALLMARK" tokenize --tokenizer "$TMP/trunc.json" "$TMP/hello.txt"
expect_grep "truncated: malformed JSON" "malformed JSON" "$TMP/err"
head -c 100000 "$TOKDIR/cl100k_base.tiktoken" > "$TMP/part.tiktoken"
expect_status "unknown .tiktoken without --encoding is refused" 2 "$HALLMARK" tokenize --tokenizer "$TMP/part.tiktoken" "$TMP/hello.txt"
expect_grep "asks for the encoding" "encoding" "$TMP/err"
expect_status "missing input file is an error" 2 "$HALLMARK" tokenize --tokenizer cl100k_base "$TMP/nope.txt"

mkdir -p "$TMP/toks"
ln -s "$TOKDIR/p50k_base.tiktoken" "$TMP/toks/cl100k_base.tiktoken"
expect_status "HALLMARK_TOKENIZERS is searched first" 0 env HALLMARK_TOKENIZERS="$TMP/toks" "$HALLMARK" tokenize --tokenizer cl100k_base --encoding p50k_base "$TMP/hello.txt"
expect_grep "found the file in HALLMARK_TOKENIZERS" "^15496 11 2159" "$TMP/out"
expect_status "a missing HALLMARK_TOKENIZERS dir falls back" 0 env HALLMARK_TOKENIZERS="$TMP/none" "$HALLMARK" tokenize --tokenizer cl100k_base "$TMP/hello.txt"
expect_grep "fallback finds cl100k" "^9906 11" "$TMP/out"
