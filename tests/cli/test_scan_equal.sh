# `hallmark scan` results pinned to the implementation before the scan
# speed-up (issue #6): per-document records and the corpus figures of a
# deterministic corpus under kgw (selfhash and lefthash), unigram and gumbel,
# with 1 and 2 threads and as 2 shards merged, must equal digests recorded
# with the earlier code.  A speed-up must not change a single byte.
# HM_SCAN_GOLD=1 prints the digests instead of checking them.
. "$(dirname "$0")/lib.sh"

if ! "$HALLMARK" tokenize --tokenizer cl100k_base </dev/null >/dev/null 2>&1; then
    echo "ok - scan equality tests # SKIP cl100k_base not installed (make deps)"
    exit 0
fi
fixed_key "$TMP/k.key" scan-equal

# 300 JSON lines of English-like text from a fixed 64-bit LCG (no library
# RNG): Zipf-like word choice, repeated phrases (duplicates within and across
# documents), very short documents, numeric and string ids, non-ASCII words
# and one empty line.
/usr/bin/python3 - > "$TMP/corpus.jsonl" <<'PY'
import json
state = 0x2545F4914F6CDD1D
def rnd(n):
    global state
    state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
    return (state >> 33) % n
words = ("the of and to in that is was he for it with as his on be at by had not are but from or have an they "
         "which one you were her all she there would their we him been has when who will more no if out so said "
         "what up its about into than them can only other new some could time these two may then do first any "
         "my now such like our over man me even most made after also did many before must through back years where "
         "much your way well down should because each just those people how too little state good very make world "
         "still own see men work long get here between both life being under never day same another know while "
         "last might us great old year off come since against go came right used take three café naïve über "
         "straße 東京 données").split()
phrases = ["and the LORD said unto", "in the beginning", "it came to pass that", "for ever and ever"]
out = []
for d in range(300):
    n = rnd(4) if rnd(10) == 0 else 20 + rnd(400)
    toks = []
    while len(toks) < n:
        if rnd(8) == 0:
            toks.append(phrases[rnd(len(phrases))])
        else:
            toks.append(words[min(rnd(len(words)), rnd(len(words)), rnd(len(words)))])
    text = " ".join(toks)
    if d % 7 == 3:
        out.append(json.dumps({"id": d, "text": text}))
    else:
        out.append(json.dumps({"id": "doc%d" % d, "text": text}, ensure_ascii=False))
    if d == 50:
        out.append("")
print("\n".join(out))
PY

# digest FILE: the records (summary line excluded: it may gain fields) and
# the summary's corpus figures.
digest() {
    local recs
    recs=$(grep -v '"summary":true' "$1" | sha256sum | cut -c1-16)
    grep '"summary":true' "$1" > "$TMP/sum.json"
    echo "$recs $(json_get "$TMP/sum.json" '"%s %s %s %s %s %s %s" % (j["scanned"], j["flagged"], j["corpus"]["n_positions"], j["corpus"]["n_unique_tuples"], j["corpus"]["score"], j["corpus"]["log10_p"], j["bh_log10_threshold"])')"
}

check() { # NAME EXPECTED SCAN-ARGS...
    local name=$1 want=$2; shift 2
    local got
    "$HALLMARK" scan --key "$TMP/k.key" --tokenizer cl100k_base "$@" --threads 1 \
        --out "$TMP/r1.jsonl" "$TMP/corpus.jsonl" >/dev/null 2>"$TMP/err"
    got=$(digest "$TMP/r1.jsonl")
    if [ "${HM_SCAN_GOLD:-0}" = 1 ]; then echo "# $name: $got"; return; fi
    if [ "$got" = "$want" ]; then ok "scan $name: 1 thread equals the recorded results"; else
        notok "scan $name: 1 thread equals the recorded results" "got  $got" "want $want"
    fi
    "$HALLMARK" scan --key "$TMP/k.key" --tokenizer cl100k_base "$@" --threads 2 --partitions 4 \
        --out "$TMP/r2.jsonl" "$TMP/corpus.jsonl" >/dev/null 2>"$TMP/err"
    expect_same "scan $name: 2 threads, 4 partitions give the same bytes" "$TMP/r1.jsonl" "$TMP/r2.jsonl"
    "$HALLMARK" scan --key "$TMP/k.key" --tokenizer cl100k_base "$@" --threads 2 --shard 0/2 \
        --out "$TMP/s0.jsonl" "$TMP/corpus.jsonl" >/dev/null 2>&1
    "$HALLMARK" scan --key "$TMP/k.key" --tokenizer cl100k_base "$@" --threads 1 --shard 1/2 \
        --out "$TMP/s1.jsonl" "$TMP/corpus.jsonl" >/dev/null 2>&1
    "$HALLMARK" merge --out "$TMP/m.jsonl" "$TMP/s0.jsonl" "$TMP/s1.jsonl" >/dev/null 2>&1
    expect_same "scan $name: 2 shards merged give the same bytes" "$TMP/r1.jsonl" "$TMP/m.jsonl"
}

check "kgw selfhash" "cd789d3fc7b03fe0 300 0 77961 6090 1566 -0.9919861301914737 None" --scheme kgw
check "kgw lefthash h=2" "d22c8ff4c69b2598 300 0 78242 46443 11442 -0.01533886761636485 None" --scheme kgw --param seeding=lefthash --param h=2
check "unigram" "d891fe7664e4f978 300 0 78827 240 128 -0.7786731106459616 None" --scheme unigram
check "gumbel" "600ed85e1e2274e7 300 0 77683 60677 60617.83527428447 -0.22591149099224672 None" --scheme gumbel

# UTF-8 validation skips ASCII 8 bytes at a time: the offset of a bad byte
# after a long ASCII run, and valid multi-byte text after one, are unchanged.
printf '{"id":"a","text":"abcdefghijklmnopqrstuvwxyz0123456789 caf\xc3\x28 au lait"}\n{"id":"b","text":"abcdefghijklmnop\xe2\x82\xac ok"}\n' > "$TMP/u8.jsonl"
"$HALLMARK" scan --key "$TMP/k.key" --scheme kgw --tokenizer cl100k_base --out "$TMP/u8.out" "$TMP/u8.jsonl" >/dev/null 2>"$TMP/u8.err"
expect_grep "bad UTF-8 after 40 ASCII bytes is reported at byte 40" ":1: malformed record skipped: invalid UTF-8 at byte 40 of the text" "$TMP/u8.err"
expect_grep "valid UTF-8 after an ASCII run is scanned" '^\{"line":"2","id":"b"' "$TMP/u8.out"
