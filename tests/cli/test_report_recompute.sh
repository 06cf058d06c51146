# `hallmark report verify --key` recomputes every result type in-process
# from the result's typed fields, on the auditor's --input files (matched by
# SHA-256): scan (its results file compared byte for byte), radioactivity,
# trace, merge, detect (with --eos, several keys, --localize, the vLLM
# profile whose key is redacted and given again), payload decode and
# fingerprint verify.  A wrong key, a missing secret and a missing input are
# each reported; only a full reproduction prints REPRODUCED.
. "$(dirname "$0")/lib.sh"

cd "$TMP" || exit 1
H="$HALLMARK"
GEN="$HM_BUILD/samples/demo-gen"
PY=/usr/bin/python3

"$H" key new-signing --insecure-no-passphrase --out signer >/dev/null 2>&1
"$H" key pubkey signer --out signer.pub >/dev/null 2>&1
fixed_key k.key test-master
fixed_key other.key test-other

# --- radioactivity on id arrays (no tokenizer needed) ----------------------
P=(--param seeding=lefthash --param h=1 --param delta=3 --param gamma=0.25)
small_model m.slm
for i in $(seq 1 60); do echo "$((i % 290)) $(((i * 7) % 290)) $(((i * 13) % 290))"; done > prompts.ids
"$GEN" --model m.slm --key k.key --scheme kgw "${P[@]}" -n 60 --seed 1 prompts.ids > marked.jsonl
expect_status "radioactivity --json (detected)" 0 "$H" radioactivity --key k.key --scheme kgw "${P[@]}" --json marked.jsonl
cp out radio.json
if [ "$(json_get radio.json 'j["argv"][0] + " " + j["argv"][-1]')" = "radioactivity marked.jsonl" ]; then
    ok "the result records its argv"; else notok "argv recorded" "$(head -c 300 radio.json)"; fi
expect_status "report of the radioactivity result" 0 "$H" report --result radio.json --sign signer --input marked.jsonl --out rrep
R=rrep/report.json
if [ "$(json_get $R 'j["result_type"]+" "+str(j["conclusion"]["detected"])+" "+str(j["tests"][0]["n"] == j["result"]["main"]["n_scored"])+" "+str(j["tests"][0]["null_param"])')" = "radioactivity True True 0.25" ]; then
    ok "radioactivity report: detected, its test with n and gamma"; else notok "radioactivity report" "$(json_get $R 'j["tests"][0]')"; fi
if [ "$(json_get $R 'len(j["negative_controls"]["controls"])')" = 1 ] &&
   [ "$(json_get $R 'j["tests"][1]["name"]')" = "negative control (the control key)" ]; then
    ok "radioactivity report: the control key is the negative control"; else notok "radioactivity control" "$(json_get $R 'j["negative_controls"]')"; fi
expect_grep "radioactivity report: one plain sentence" "The suspect model was trained on text carrying our watermark" rrep/report.html
expect_status "verify without a key: verified without recomputation (0)" 0 "$H" report verify rrep --pubkey signer.pub --input marked.jsonl
expect_grep "says the recomputation needs the key" "^VERIFIED WITHOUT RECOMPUTATION" "$TMP/out"
expect_status "verify --key: REPRODUCED (0)" 0 "$H" report verify rrep --pubkey signer.pub --input marked.jsonl --key k.key
expect_grep "radioactivity: REPRODUCED" "^REPRODUCED$" "$TMP/out"
expect_grep "radioactivity: every value compared" "ok recomputation: all [0-9]+ recorded values reproduced" "$TMP/out"
expect_status "verify with another key: differences (1)" 1 "$H" report verify rrep --pubkey signer.pub --input marked.jsonl --key other.key
expect_grep "the key id differs" "DIFFERS result.key_id" "$TMP/out"
expect_grep "says first that the key is not the result's" "key other.key: FAILED \(its id [0-9a-f]+ is not a key id of this result" "$TMP/out"
expect_no_grep "no REPRODUCED with another key" "^REPRODUCED$" "$TMP/out"
cp marked.jsonl copy.jsonl
expect_status "verify with the input given by another path (0)" 0 "$H" report verify rrep --pubkey signer.pub --key k.key --input copy.jsonl
expect_grep "the given copy is matched by its SHA-256" "input 1 \\(recorded as marked.jsonl\\): ok \\(copy.jsonl" "$TMP/out"

# a report without the suspect file as an input cannot be recomputed
expect_status "report without the suspect file as input" 0 "$H" report --result radio.json --sign signer --out rrep2
expect_status "recomputation needs a recorded input (1)" 1 "$H" report verify rrep2 --pubkey signer.pub --key k.key
expect_grep "says the report records no input" "the report records no input" "$TMP/out"

# --- merge of radioactivity shards ------------------------------------------
for i in 0 1; do
    "$H" radioactivity --key k.key --scheme kgw "${P[@]}" --shard "$i/2" --out "part$i.json" marked.jsonl >/dev/null 2>&1
done
expect_status "merge --json" 0 "$H" merge --json part0.json part1.json
cp out merged.json
expect_status "report of the merge" 0 "$H" report --result merged.json --sign signer --input part0.json --input part1.json --out mrep
expect_status "merge: recomputed without any key (0)" 0 "$H" report verify mrep --pubkey signer.pub --input part0.json --input part1.json
expect_grep "merge: REPRODUCED" "^REPRODUCED$" "$TMP/out"
expect_grep "merge: values reproduced" "ok recomputation: all [0-9]+ recorded values reproduced" "$TMP/out"

# --- trace ------------------------------------------------------------------
for i in $(seq 0 49); do printf 'acct-%03d\n' "$i"; done > accounts.txt
awk 'BEGIN { srand(3); for (d = 0; d < 3; d++) { s = ""; for (i = 0; i < 200; i++)
       s = s (i ? "," : "") int(rand() * 5000); print "{\"text\":[" s "]}" } }' > suspect.jsonl
expect_status "trace --json (none fires: 1)" 1 "$H" trace --master k.key --accounts accounts.txt --json suspect.jsonl
cp out trace.json
expect_status "report of the trace" 0 "$H" report --result trace.json --sign signer --input suspect.jsonl --input accounts.txt --out trep
R=trep/report.json
if [ "$(json_get $R 'j["result_type"]+" "+j["corrections"][0]["method"]+" "+str(int(j["corrections"][0]["m"]))+" "+str(len(j["tests"]))')" = "trace holm 50 5" ]; then
    ok "trace report: type, Holm over 50 accounts, the 5 listed accounts as tests"; else notok "trace report" "$(json_get $R '[j["result_type"], j["corrections"]]')"; fi
expect_grep "trace report: says no account was found" "None of the 50 accounts" trep/report.html
expect_status "report of the trace with its master key" 0 "$H" report --result trace.json --sign signer --input suspect.jsonl --input accounts.txt --key k.key --out trep2
if [ "$(json_get trep2/report.json 'len(j["watermark"]["key_commitment"]) == 64 and j["watermark"]["key_id"] == j["result"]["master_key_id"] and len(j["watermark"]["accounts"]) == 5')" = True ]; then
    ok "trace report: master key id, commitment and account names"; else notok "trace report: master key" "$(json_get trep2/report.json 'j["watermark"]')"; fi
expect_status "trace: verify --key master: REPRODUCED (0)" 0 "$H" report verify trep --pubkey signer.pub --input suspect.jsonl --input accounts.txt --key k.key
expect_grep "trace: REPRODUCED" "^REPRODUCED$" "$TMP/out"

# --- detect, with --eos recorded -------------------------------------------
awk 'BEGIN { srand(9); s = ""; for (i = 0; i < 300; i++) s = s (i ? " " : "") int(rand() * 5000); print s }' > doc.ids
expect_status "detect --eos --json" 1 "$H" detect --key k.key --scheme kgw --eos 17 --ids --json doc.ids
cp out det.json
if [ "$(json_get det.json 'j["eos"] + " " + str(j["special"])')" = "17 False" ]; then
    ok "detect JSON records eos and special"; else notok "eos/special recorded" "$(head -c 300 det.json)"; fi
expect_status "report of the detect result" 0 "$H" report --result det.json --sign signer --input doc.ids --out drep
expect_status "detect: verify --key: REPRODUCED (0)" 0 "$H" report verify drep --pubkey signer.pub --input doc.ids --key k.key
expect_grep "detect: recomputation compared" "ok recomputation: all [0-9]+ recorded values reproduced" "$TMP/out"
expect_grep "detect --ids: the ids file gives the token ids" "ok token ids: 300 ids" "$TMP/out"
expect_grep "detect --ids: the library recompute applies --eos" "ok detection, key" "$TMP/out"
[ "$(json_get drep/report.json 'j["negative_controls"]["count"]')" = 20 ] &&
    ok "detect --ids: negative controls computed" || notok "detect --ids: negative controls"

# --- the vLLM profile: its key is a secret, redacted in the record ----------
expect_status "detect --scheme vllm --json" 1 "$H" detect --scheme vllm --vllm-key 987654321 --ids --json doc.ids
cp out vllm.json
"$H" --custody-log cust.log detect --scheme vllm --vllm-key=987654321 --ids doc.ids >/dev/null 2>&1
"$H" --custody-log cust.log detect --scheme sglang --sglang-key 0a1b2c3d4e5f --ids doc.ids >/dev/null 2>&1
expect_no_grep "the custody log does not record engine keys" "987654321|0a1b2c3d4e5f" cust.log
expect_grep "the custody log records them as redacted" "<redacted>" cust.log
expect_no_grep "the vLLM key is not in the result" "987654321" vllm.json
expect_grep "it is recorded as redacted" '"<redacted>"' vllm.json
expect_status "report of the vLLM result" 0 "$H" report --result vllm.json --sign signer --input doc.ids --out vrep
expect_no_grep "the vLLM key is not in the report" "987654321" vrep/report.json
expect_status "vLLM: verify without its key: verified without recomputation (0)" 0 "$H" report verify vrep --pubkey signer.pub --input doc.ids
expect_status "vLLM: verify --vllm-key: REPRODUCED (0)" 0 "$H" report verify vrep --pubkey signer.pub --input doc.ids --vllm-key 987654321
expect_grep "vLLM: REPRODUCED" "^REPRODUCED$" "$TMP/out"
expect_no_grep "the key is not printed by verify" "987654321" "$TMP/out"
expect_status "vLLM: another key differs (1)" 1 "$H" report verify vrep --pubkey signer.pub --input doc.ids --vllm-key 5
expect_grep "vLLM: the key id differs" "DIFFERS result.key_id" "$TMP/out"

# --- detect with several keys, --localize, --per-token ----------------------
expect_status "detect with two keys, --localize, --per-token" 1 "$H" detect --key k.key --key other.key --scheme kgw --ids --localize --per-token --json doc.ids
cp out det2.json
expect_status "report of the two-key result" 0 "$H" report --result det2.json --sign signer --input doc.ids --out d2rep
expect_status "two keys: verify --key --key: REPRODUCED (0)" 0 "$H" report verify d2rep --pubkey signer.pub --input doc.ids --key k.key --key other.key
expect_grep "two keys: REPRODUCED" "^REPRODUCED$" "$TMP/out"
expect_status "two keys: only one key given: not verified (1)" 1 "$H" report verify d2rep --pubkey signer.pub --input doc.ids --key k.key
expect_grep "two keys: says two keys were used" "the result used 2 keys" "$TMP/out"
expect_status "detect --localize (one key)" 1 "$H" detect --key k.key --scheme kgw --ids --localize --json doc.ids
cp out detl.json
"$H" report --result detl.json --sign signer --input doc.ids --out dlrep 2>/dev/null
expect_status "localize: REPRODUCED (0)" 0 "$H" report verify dlrep --pubkey signer.pub --input doc.ids --key k.key
expect_grep "localize: the span is compared" "ok recomputation: all [0-9]+ recorded values" "$TMP/out"

# --- payload decode and fingerprint verify ---------------------------------
expect_status "payload decode --json" 1 "$H" payload decode --key k.key --ids --json doc.ids
cp out pay.json
if [ "$(json_get pay.json 'j["type"] + " " + j["key_id"]')" = "payload-decode $(json_get det.json 'j["key_id"]')" ]; then
    ok "payload decode records its type and key id"; else notok "payload type" "$(head -c 300 pay.json)"; fi
expect_status "report of the payload decode" 0 "$H" report --result pay.json --sign signer --input doc.ids --out prep
expect_status "payload decode: REPRODUCED (0)" 0 "$H" report verify prep --pubkey signer.pub --input doc.ids --key k.key
expect_grep "payload decode: REPRODUCED" "^REPRODUCED$" "$TMP/out"
"$H" fingerprint new --key k.key --count 30 --out fp.jsonl >/dev/null 2>&1
$PY - fp.jsonl > answers.jsonl <<'EOF2'
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    m = json.loads(l)["messages"]
    print(json.dumps({"prompt": m[0]["content"], "response": m[1]["content"] if i % 3 else "no"}))
EOF2
expect_status "fingerprint verify --json" 0 "$H" fingerprint verify --key k.key --responses answers.jsonl --count 30 --json
cp out fpv.json
expect_status "report of the fingerprint verify" 0 "$H" report --result fpv.json --sign signer --input answers.jsonl --out frep
expect_status "fingerprint verify: REPRODUCED (0)" 0 "$H" report verify frep --pubkey signer.pub --input answers.jsonl --key k.key
expect_grep "fingerprint verify: REPRODUCED" "^REPRODUCED$" "$TMP/out"

# --- scan, with its results file as an input --------------------------------
if "$H" tokenize --tokenizer cl100k_base </dev/null >/dev/null 2>&1; then
    head -c 6000 "$HM_ROOT/README.md" | tr -s '\n' > corpus.txt
    expect_status "scan --json" 1 "$H" scan --key k.key --scheme kgw --tokenizer cl100k_base --threads 2 --json --out res.jsonl corpus.txt
    cp out scan.json
    expect_status "report of the scan" 0 "$H" report --result scan.json --sign signer --input corpus.txt --input res.jsonl --out srep
    R=srep/report.json
    if [ "$(json_get $R 'j["tests"][0]["n"] == j["result"]["corpus"]["n_unique_tuples"] and j["tests"][0]["null_param"] == 0.25 and j["corrections"][0]["method"] == "benjamini-hochberg" and j["watermark"]["prf_version"] == "hm-prf-v1"')" = True ]; then
        ok "scan report: corpus test with n and gamma, BH correction, PRF version"; else notok "scan report" "$(json_get $R '[j["tests"], j["corrections"]]')"; fi
    expect_grep "scan report: one plain sentence" "documents were scored" srep/report.html
    "$H" report --result scan.json --sign signer --input corpus.txt --input res.jsonl --key k.key --out srepk 2>/dev/null
    if [ "$(json_get srepk/report.json 'len(j["watermark"]["key_commitment"]) == 64 and len(j["watermark"]["tokenizer_sha256"]) == 64')" = True ]; then
        ok "scan report: key commitment and tokenizer SHA-256"; else notok "scan report: commitment/tokenizer" "$(json_get srepk/report.json 'j["watermark"]')"; fi
    $PY -c 'import json,sys; [print(json.dumps({"completion": l.strip()})) for l in open(sys.argv[1]) if l.strip()]' corpus.txt > corpus.jsonl
    "$H" radioactivity --key k.key --scheme kgw --tokenizer cl100k_base --json corpus.jsonl > radtext.json 2>/dev/null
    "$H" report --result radtext.json --sign signer --input corpus.jsonl --key k.key --out radrep 2>/dev/null
    if [ "$(json_get radrep/report.json 'len(j["watermark"]["key_commitment"]) == 64 and len(j["watermark"]["tokenizer_sha256"]) == 64')" = True ]; then
        ok "radioactivity report (text): key commitment and tokenizer SHA-256"; else notok "radioactivity report: commitment/tokenizer" "$(json_get radrep/report.json 'j["watermark"]')"; fi
    expect_status "radioactivity on text: REPRODUCED (0)" 0 "$H" report verify radrep --pubkey signer.pub --input corpus.jsonl --key k.key
    printf '{"text":"%s"}\n' "$(head -c 400 corpus.txt | tr -d '\n"\\')" "$(tail -c 400 corpus.txt | tr -d '\n"\\')" > trtext.jsonl
    "$H" trace --master k.key --accounts accounts.txt --json trtext.jsonl > trtext.json 2>/dev/null
    "$H" report --result trtext.json --sign signer --input trtext.jsonl --input accounts.txt --key k.key --out trtrep 2>/dev/null
    if [ "$(json_get trtrep/report.json 'len(j["watermark"]["key_commitment"]) == 64 and len(j["watermark"]["tokenizer_sha256"]) == 64')" = True ]; then
        ok "trace report (text): key commitment and tokenizer SHA-256"; else notok "trace report: commitment/tokenizer" "$(json_get trtrep/report.json 'j["watermark"]')"; fi
    expect_status "trace on text: REPRODUCED (0)" 0 "$H" report verify trtrep --pubkey signer.pub --input trtext.jsonl --input accounts.txt --key k.key
    expect_no_grep "scan report: no NaN anywhere" "nan" srep/report.html
    expect_status "scan: verify --key: REPRODUCED (0)" 0 "$H" report verify srep --pubkey signer.pub --input corpus.txt --input res.jsonl --key k.key
    expect_grep "scan: results file reproduced" "ok results file: the recomputed results file is an input of the report, byte for byte" "$TMP/out"
    expect_grep "scan: REPRODUCED" "^REPRODUCED$" "$TMP/out"
    # a merge of scan shards: partials, their tuples side files and the merged results file
    for i in 0 1; do
        "$H" scan --key k.key --scheme kgw --tokenizer cl100k_base --shard $i/2 --out s$i.jsonl corpus.txt >/dev/null 2>&1
    done
    "$H" merge --json --out m.jsonl s0.jsonl s1.jsonl > smerge.json 2>/dev/null
    "$H" report --result smerge.json --sign signer --input s0.jsonl --input s1.jsonl --input s0.jsonl.tuples --input s1.jsonl.tuples --input m.jsonl --out smrep 2>/dev/null
    expect_status "scan merge: REPRODUCED without any key (0)" 0 "$H" report verify smrep --pubkey signer.pub --input s0.jsonl --input s1.jsonl --input s0.jsonl.tuples --input s1.jsonl.tuples --input m.jsonl
    expect_grep "scan merge: the merged results file byte for byte" "ok results file" "$TMP/out"
    "$H" report --result smerge.json --sign signer --input s0.jsonl --input s1.jsonl --out smrep2 2>/dev/null
    expect_status "scan merge: side files not vouched for are not read (1)" 1 "$H" report verify smrep2 --pubkey signer.pub --input s0.jsonl --input s1.jsonl
    expect_grep "scan merge: says which side file" "reads the side file s0.jsonl.tuples, which is not an input" "$TMP/out"
    # a results file whose summary was edited and re-hashed into a new report
    sed 's/"scanned":"[0-9]*"/"scanned":"1"/' res.jsonl > res2.jsonl
    cp res2.jsonl res.jsonl
    "$H" report --result scan.json --sign signer --input corpus.txt --input res.jsonl --out srep2 2>/dev/null
    expect_status "scan: an edited results file is caught (1)" 1 "$H" report verify srep2 --pubkey signer.pub --input corpus.txt --input res.jsonl --key k.key
    expect_grep "scan: the results file differs" "DIFFERS results file" "$TMP/out"
else
    ok "scan rerun checks skipped (no cl100k_base: make deps) # skip"
fi

# a report directory is not overwritten by accident
expect_status "a second report into the same directory is refused (2)" 2 "$H" report --result det.json --sign signer --input doc.ids --out drep
expect_grep "says to use --force" "already holds a report \(use --force" "$TMP/err"
touch drep/report.tsq drep/report.tsr
expect_status "--force replaces it" 0 "$H" report --result det.json --sign signer --input doc.ids --out drep --force
[ ! -e drep/report.tsq ] && [ ! -e drep/report.tsr ] && ok "--force drops the old timestamp files" || notok "stale timestamp files kept"
