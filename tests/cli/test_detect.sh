# hallmark generate + detect: exit statuses, the JSON contract, input modes,
# bad input, several keys, and an engine golden through the CLI.
. "$(dirname "$0")/lib.sh"
H=$HALLMARK
MODEL=$HM_BUILD/samples/kjv-4.slm
have_model=1
if [ ! -f "$MODEL" ]; then
    bash "$HM_ROOT/samples/train-sample-model.sh" "$HM_BUILD" "$MODEL" >/dev/null 2>&1 || have_model=0
fi
# Fixed keys and seeds, so that every run sees the same text.
cp "$HM_ROOT/tests/vectors/keys/master-insecure.key" "$TMP/k.key"
cp "$HM_ROOT/tests/vectors/keys/derived-insecure.key" "$TMP/k2.key"
printf 'pw-detect\n' > "$TMP/pass"
$H key new --passphrase-file "$TMP/pass" --kdf interactive --out "$TMP/enc.key" >/dev/null 2>&1

if [ "$have_model" = 1 ]; then
    expect_status "generate kgw exits 0" 0 $H generate --model "$MODEL" --key "$TMP/k.key" \
        --scheme kgw --prompt "And God said" -n 250 --seed 7
    cp "$TMP/out" "$TMP/marked.txt"
    expect_grep "generate prints text" "[a-z]" "$TMP/marked.txt"
    expect_status "generate is deterministic with --seed" 0 $H generate --model "$MODEL" \
        --key "$TMP/k.key" --scheme kgw --prompt "And God said" -n 250 --seed 7
    expect_same "same seed, same text" "$TMP/out" "$TMP/marked.txt"
    printf 'And God said\nIn the beginning\nThe LORD is\nBlessed are\n' > "$TMP/prompts.txt"
    expect_status "generate --prompts exits 0" 0 $H generate --model "$MODEL" --key "$TMP/k.key" \
        --scheme gumbel --prompts "$TMP/prompts.txt" -n 120 --seed 1
    if /usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]; print(sum(1 for _ in open(sys.argv[1])))' "$TMP/out" | grep -qx 4; then
        ok "generate --prompts: one strict-JSON, valid-UTF-8 line per prompt"; else
        notok "generate --prompts: strict JSON lines" "$(head -c 300 "$TMP/out")"; fi
    expect_status "generate --no-watermark exits 0" 0 $H generate --model "$MODEL" \
        --no-watermark --prompt "And God said" -n 250 --seed 7
    cp "$TMP/out" "$TMP/plain.txt"

    expect_status "marked text: detected (0)" 0 $H detect --allow-invalid-utf8 --key "$TMP/k.key" --scheme kgw \
        --json "$TMP/marked.txt"
    cp "$TMP/out" "$TMP/det.json"
    for f in scheme params prf_version key_id dedup n_scored score log10_p p detected; do
        if json_get "$TMP/det.json" "'$f' in j" | grep -q True; then ok "detect --json has $f";
        else notok "detect --json has $f"; fi
    done
    expect_grep "n_scored is a string (64-bit)" '"n_scored":[[:space:]]*"[0-9]+"' "$TMP/det.json"
    expect_grep "dedup defaults to tuple" '"dedup":[[:space:]]*"tuple"' "$TMP/det.json"
    expect_status "plain text: not detected (1)" 1 $H detect --allow-invalid-utf8 --key "$TMP/k.key" --scheme kgw \
        "$TMP/plain.txt"
    expect_status "wrong key: not detected (1)" 1 $H detect --allow-invalid-utf8 --key "$TMP/k2.key" --scheme kgw \
        "$TMP/marked.txt"
    expect_status "two keys: detected with a family-wise p" 0 $H detect --allow-invalid-utf8 --key "$TMP/k2.key" \
        --key "$TMP/k.key" --scheme kgw --json "$TMP/marked.txt"
    expect_grep "family correction reported" '"correction":[[:space:]]*"sidak"' "$TMP/out"
    expect_status "--per-token --localize" 0 $H detect --allow-invalid-utf8 --key "$TMP/k.key" --scheme kgw --json \
        --per-token --localize "$TMP/marked.txt"
    cp "$TMP/out" "$TMP/pt.json"
    if json_get "$TMP/pt.json" "all('start' in t and 'end' in t and 'counted' in t and ('green' in t or t.get('skip') == 'no-context') for t in j['tokens']) and sum(1 for t in j['tokens'] if 'green' in t) > 100" | grep -q True; then
        ok "per-token objects carry offsets, counted and green"; else notok "per-token objects"; fi
    expect_grep "span reported" '"span"' "$TMP/pt.json"
    # the same text as ids
    $H tokenize --tokenizer cl100k_base "$TMP/marked.txt" > "$TMP/marked.ids" 2>/dev/null
    expect_status "--ids input: detected" 0 $H detect --allow-invalid-utf8 --key "$TMP/k.key" --scheme kgw --ids \
        "$TMP/marked.ids"
    # JSON lines with a malformed record
    /usr/bin/python3 - "$TMP/marked.txt" "$TMP/plain.txt" > "$TMP/docs.jsonl" <<'PY'
import json, sys
print(json.dumps({"id": "a", "text": open(sys.argv[1], errors="replace").read()}))
print("{not json")
print("")
print(json.dumps({"id": "b", "text": open(sys.argv[2], errors="replace").read()}))
PY
    expect_status "--jsonl with a malformed line: 2 after scanning all" 2 $H detect \
        --key "$TMP/k.key" --scheme kgw --jsonl "$TMP/docs.jsonl"
    expect_grep "jsonl: summary line" '"summary":true' "$TMP/out"
    expect_grep "jsonl: every line accounted for" '"lines":"4".*"scored":"2".*"empty":"1".*"malformed":"1"' "$TMP/out"
    expect_grep "jsonl: malformed line reported" "line 2" "$TMP/err"
    expect_grep "jsonl: id kept" '"id":"a"' "$TMP/out"
fi

printf '\xff\xfe bad' > "$TMP/bad.txt"
expect_status "invalid UTF-8: 2" 2 $H detect --key "$TMP/k.key" --scheme kgw "$TMP/bad.txt"
expect_grep "invalid UTF-8 named" "invalid UTF-8 at byte 0" "$TMP/err"
: > "$TMP/empty.txt"
expect_status "empty input: 2" 2 $H detect --key "$TMP/k.key" --scheme kgw "$TMP/empty.txt"
printf '1 2 x 4' > "$TMP/badids.txt"
expect_status "bad ids: 2" 2 $H detect --key "$TMP/k.key" --scheme kgw --ids "$TMP/badids.txt"
printf 'wrong\n' > "$TMP/wrong"
printf 'hello world' > "$TMP/hello.txt"
expect_status "wrong passphrase: 2" 2 $H detect --key "$TMP/enc.key" --passphrase-file \
    "$TMP/wrong" --scheme kgw "$TMP/hello.txt"
expect_grep "wrong passphrase named" "wrong passphrase" "$TMP/err"
expect_status "unknown scheme: 2" 2 $H detect --key "$TMP/k.key" --scheme nope "$TMP/hello.txt"
expect_status "bad parameter: 2" 2 $H detect --key "$TMP/k.key" --scheme kgw --param gamma=7 \
    "$TMP/hello.txt"
expect_grep "bad parameter named" "gamma=7" "$TMP/err"
expect_status "detect --help: 0" 0 $H detect --help

# vLLM's golden key42-cw4 through the CLI (S 296.27295787856264, p 7.128196280874065e-61)
echo "46 24 45 80 14 26 22 124 21 45 16 30 5 89 0 10 27 70 80 62 1 11 117 53 10 45 94 37 43 22 78 49 119 9 22 118 82 75 32 24 84 27 122 66 78 64 124 17 91 12 51 15 75 64 127 45 112 15 83 114 121 109 24 77" > "$TMP/golden.ids"
expect_status "vLLM golden via hallmark detect" 0 $H detect --scheme vllm --vllm-key 42 \
    --param context_width=4 --ids --whole-only --json "$TMP/golden.ids"
if json_get "$TMP/out" "abs(j['score']-296.27295787856264)<=1e-9*296.27 and abs(j['p']-7.128196280874065e-61)<=1e-9*7.128196280874065e-61 and j['n_scored']=='64'" | grep -q True; then
    ok "vLLM golden: S, n and p to rtol 1e-9"; else notok "vLLM golden: S, n and p" "$(cat "$TMP/out" | head -c 600)"; fi
expect_status "vLLM golden with the wrong key: 1" 1 $H detect --scheme vllm --vllm-key 43 \
    --param context_width=4 --ids "$TMP/golden.ids"
echo '[1, 2, 3, "-9223372036854775808", 9007199254740993]' > "$TMP/synthid.json"
expect_status "synthid keys file accepted" 1 $H detect --scheme synthid --synthid-keys \
    "$TMP/synthid.json" --ids "$TMP/golden.ids"
expect_status "sglang key accepted" 1 $H detect --scheme sglang --sglang-key 0x0123456789abcdef \
    --ids "$TMP/golden.ids"
