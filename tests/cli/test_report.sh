# hallmark report / report verify / report timestamp / custody verify:
# signed evidence reports, tamper detection, recomputation, a local RFC 3161
# TSA (openssl ts -reply with a throwaway CA), the custody log, and a
# headless-Chromium screenshot of report.html.
. "$(dirname "$0")/lib.sh"

V="$HM_ROOT/tests/vectors/report"
stride=1
[ -n "${HM_SANITIZED:-}" ] && stride=5
cd "$TMP" || exit 1
cp "$V/text.txt" "$V/gumbel.txt" "$V/wm.key" .
chmod 600 wm.key
CL="$TMP/custody.log"

expect_status "report --help exits 0" 0 "$HALLMARK" report --help
expect_grep "report --help shows the contract" "--result RESULT.json --sign SIGNING_KEY" "$TMP/out"
expect_status "custody --help exits 0" 0 "$HALLMARK" custody --help

"$HALLMARK" key new-signing --insecure-no-passphrase --out signer >/dev/null 2>&1
"$HALLMARK" key new-signing --insecure-no-passphrase --out other >/dev/null 2>&1
fixed_key otherwm.key test-other

# detect (logged in the custody log too)
expect_status "detect --json --per-token (custody-logged)" 0 \
    "$HALLMARK" --custody-log "$CL" detect --key wm.key --scheme kgw --json --per-token --localize text.txt
cp "$TMP/out" det.json
printf '{"case":"Doe v. Roe","matter":"2026-17","operator":"A. Analyst","note":"<script>alert(1)</script>"}\n' > case.json

expect_status "report writes a signed report" 0 \
    "$HALLMARK" report --result det.json --sign signer --case-file case.json --input text.txt \
    --key wm.key --out rep --custody-log "$CL"
for f in report.json report.json.sig report.html; do
    if [ -s "rep/$f" ]; then ok "report wrote $f"; else notok "report wrote $f"; fi
done
R=rep/report.json
[ "$(json_get $R 'j["tool"]["name"]')" = hallmark ] && ok "report.json: tool name" || notok "report.json: tool name"
[ "$(json_get $R 'j["tool"]["version"]')" = "$(cat "$HM_ROOT/VERSION")" ] && ok "report.json: version" || notok "report.json: version"
[ "$(json_get $R 'len(j["tool"]["build_id"]) > 0')" = True ] && ok "report.json: build id" || notok "report.json: build id"
[ "$(json_get $R '" ".join(j["command"][1:3])')" = "report --result" ] && ok "report.json: the exact command" || notok "report.json: the exact command"
[ "$(json_get $R 'j["inputs"][0]["sha256"]')" = "$(sha256sum text.txt | cut -d' ' -f1)" ] && ok "report.json: input SHA-256" || notok "report.json: input SHA-256"
[ "$(json_get $R 'j["watermark"]["scheme"]+" "+j["watermark"]["prf_version"]+" "+j["watermark"]["tokenizer"]')" = "kgw hm-prf-v1 cl100k_base" ] && ok "report.json: scheme, PRF, tokenizer" || notok "report.json: scheme, PRF, tokenizer"
[ "$(json_get $R 'len(j["watermark"]["tokenizer_sha256"])')" = 64 ] && ok "report.json: tokenizer SHA-256" || notok "report.json: tokenizer SHA-256"
"$HALLMARK" key commit wm.key > commit.txt 2>/dev/null
if grep -q "$(json_get $R 'j["watermark"]["key_commitment"]')" commit.txt; then ok "report.json: key commitment = hallmark key commit"; else notok "report.json: key commitment = hallmark key commit" "$(cat commit.txt)"; fi
expect_no_grep "report.json never holds the secret key" "$(sed -n 's/^Secret: *//p' wm.key)" "$R"
[ "$(json_get $R 'len(j["tests"]) in (2, 3) and all("assumptions" in t and "n" in t and "ln_p" in t for t in j["tests"])')" = True ] && ok "report.json: every test with n, p and assumptions" || notok "report.json: every test"
[ "$(json_get $R 'j["corrections"][0]["method"]')" = bonferroni ] && ok "report.json: corrections" || notok "report.json: corrections"
[ "$(json_get $R 'len(j["negative_controls"]["controls"])')" = 20 ] && ok "report.json: 20 negative controls" || notok "report.json: negative controls"
[ "$(json_get $R 'j["case"]["matter"]')" = 2026-17 ] && ok "report.json: case metadata" || notok "report.json: case metadata"
expect_grep "report.json: UTC timestamp" '"created_utc":.*Z"' "$R"
expect_grep "report.json.sig: ed25519 with signer id" "\"signer_key_id\":.*\"$(json_get $R 'j["signer"]["key_id"]')\"" rep/report.json.sig

# verification
expect_status "verify with --key: exit 0" 0 "$HALLMARK" report verify rep --pubkey signer.pub --input text.txt --key wm.key
expect_grep "verify prints REPRODUCED" "^REPRODUCED$" "$TMP/out"
expect_grep "verify checks the signature" "^signature: ok" "$TMP/out"
expect_grep "verify checks report.html" "^report.html: ok" "$TMP/out"
expect_status "verify without --key: exit 0" 0 "$HALLMARK" report verify rep --pubkey signer.pub --input text.txt
expect_grep "says the statistics were not recomputed" "^VERIFIED WITHOUT RECOMPUTATION" "$TMP/out"
expect_status "verify without --input: not verified (1)" 1 "$HALLMARK" report verify rep --pubkey signer.pub
expect_grep "no recorded path is read: the input is not checked" "input 1 .*NOT CHECKED \(give the file with --input\)" "$TMP/out"
expect_grep "verdict: not verified" "^NOT VERIFIED" "$TMP/out"
expect_status "verify with another signer's key: exit 1" 1 "$HALLMARK" report verify rep --pubkey other.pub
expect_status "verify of a missing directory: exit 2" 2 "$HALLMARK" report verify nope --pubkey signer.pub
expect_status "verify without --pubkey: exit 2" 2 "$HALLMARK" report verify rep

# every changed byte is detected (strided under sanitizers)
tamper_loop() { # NAME FILE
    local name=$1 file=$2 size i missed=0 tried=0
    size=$(stat -c %s "$file")
    cp "$file" "$file.orig"
    i=0
    while [ "$i" -lt "$size" ]; do
        /usr/bin/python3 -c 'import sys; p=sys.argv[1]; i=int(sys.argv[2]); b=bytearray(open(p,"rb").read()); b[i]^=1; open(p,"wb").write(b)' "$file" "$i"
        "$HALLMARK" report verify rep --pubkey signer.pub --input text.txt >/dev/null 2>&1
        [ $? -eq 1 ] || missed=$((missed + 1))
        cp "$file.orig" "$file"
        tried=$((tried + 1))
        i=$((i + $3))
    done
    rm -f "$file.orig"
    if [ "$missed" -eq 0 ]; then ok "$name: $tried changed bytes all detected"; else notok "$name: $missed of $tried changed bytes not detected"; fi
}
tamper_loop "report.json.sig" rep/report.json.sig $((stride * 11))
tamper_loop "report.json" rep/report.json $((stride * 509))
tamper_loop "input text" text.txt $((stride * 29))
cp rep/report.html html.orig
sed -i 's/Conclusion/Conclusions/' rep/report.html
expect_status "an edited report.html is detected" 1 "$HALLMARK" report verify rep --pubkey signer.pub --input text.txt
cp html.orig rep/report.html
printf 'x' >> text2.txt; cat text.txt >> text2.txt
expect_status "another input is detected" 1 "$HALLMARK" report verify rep --pubkey signer.pub --input text2.txt
expect_grep "the changed input is named" "--input text2.txt: FAILED \(SHA-256 [0-9a-f]+ is not the hash of any input" "$TMP/out"

# recomputation differences: a report over the right ids signed with wrong numbers
/usr/bin/python3 - det.json det_bad.json <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
j["score"] = j["score"] - 1
open(sys.argv[2], "w").write(json.dumps(j))
EOF
"$HALLMARK" report --result det_bad.json --sign signer --input text.txt --out repbad 2>/dev/null
expect_status "a wrong statistic is found by recomputation: exit 1" 1 "$HALLMARK" report verify repbad --pubkey signer.pub --input text.txt --key wm.key
expect_grep "verify prints the difference" "DIFFERS detection" "$TMP/out"
expect_no_grep "no REPRODUCED when something differs" "^REPRODUCED" "$TMP/out"

# reports without per-token ids (tokenized from the input), gumbel, not detected
expect_status "detect gumbel (no --per-token)" 0 "$HALLMARK" detect --key wm.key --scheme gumbel --json gumbel.txt
cp "$TMP/out" detg.json
expect_status "report from a result without tokens" 0 "$HALLMARK" report --result detg.json --sign signer --input gumbel.txt --key wm.key --out repg
[ "$(json_get repg/report.json 'j["token_ids"]["source"]')" = input ] && ok "ids come from the tokenized input" || notok "ids come from the tokenized input"
expect_status "gumbel report: REPRODUCED" 0 "$HALLMARK" report verify repg --pubkey signer.pub --input gumbel.txt --key wm.key
expect_grep "gumbel report: REPRODUCED printed" "^REPRODUCED$" "$TMP/out"
expect_status "report: input that does not match the result is refused" 2 "$HALLMARK" report --result detg.json --sign signer --input text.txt --out repx
"$HALLMARK" detect --key otherwm.key --scheme kgw --json text.txt > detn.json 2>/dev/null
expect_status "report of a non-detection" 0 "$HALLMARK" report --result detn.json --sign signer --input text.txt --out repn
expect_grep "non-detection is not proof of absence" "does not show that the text was written without it" repn/report.json
expect_status "non-detection report verifies" 0 "$HALLMARK" report verify repn --pubkey signer.pub --input text.txt --key otherwm.key

# a result made with --prompt-file: the prompt is hashed and feeds the contexts
head -c 100 text.txt > prompt.txt
tail -c +101 text.txt > comp.txt
"$HALLMARK" detect --key wm.key --scheme kgw --json --prompt-file prompt.txt comp.txt > detp.json 2>/dev/null
expect_status "report with --prompt-file" 0 "$HALLMARK" report --result detp.json --sign signer --input comp.txt --prompt-file prompt.txt --out repp
[ "$(json_get repp/report.json 'j["inputs"][1]["role"]')" = prompt ] && ok "the prompt is a hashed input" || notok "the prompt is a hashed input"
expect_status "prompt report: REPRODUCED" 0 "$HALLMARK" report verify repp --pubkey signer.pub --input comp.txt --input prompt.txt --key wm.key
expect_grep "prompt report: REPRODUCED printed" "^REPRODUCED$" "$TMP/out"
"$HALLMARK" report --result detp.json --sign signer --input comp.txt --out repp2 2>/dev/null
expect_status "without its prompt the recomputation differs" 1 "$HALLMARK" report verify repp2 --pubkey signer.pub --input comp.txt --key wm.key
expect_grep "the difference is shown" "DIFFERS detection" "$TMP/out"

# a detect result printed without --per-token: with --key, report recomputes
# the per-token evidence for highlighting (and checks it against the result)
"$HALLMARK" detect --key wm.key --scheme kgw --json text.txt > plain-det.json 2>/dev/null
expect_status "report --key of a result without per-token data" 0 "$HALLMARK" report --result plain-det.json --sign signer --input text.txt --key wm.key --out repev
if [ "$(json_get repev/report.json 'len(j["token_evidence"]["tokens"]) == int(j["result"]["n_tokens"]) and j["token_evidence"]["test"] == j["result"]["test"]')" = True ]; then
    ok "report.json records the recomputed per-token evidence"; else notok "token_evidence" "$(json_get repev/report.json 'j.get("token_evidence", "none")' | head -c 300)"; fi
expect_grep "report.html highlights the text token by token" "<span class='g'" repev/report.html
expect_grep "report.html says where the evidence comes from" "Per-token evidence: recomputed" repev/report.html
expect_status "and it verifies" 0 "$HALLMARK" report verify repev --pubkey signer.pub --input text.txt --key wm.key
expect_status "without --key: no evidence, a note" 0 "$HALLMARK" report --result plain-det.json --sign signer --input text.txt --out repev2
expect_grep "the note names --per-token and --key" "no per-token data.*--key" "$TMP/err"

# a hand-made result that is not a hallmark result is refused (exit 2)
printf '{"command":"scan","documents":"3","results":[{"id":"a","ln_p":-20.5}]}\n' > scan.json
expect_status "report of a hand-made result: exit 2" 2 "$HALLMARK" report --result scan.json --sign signer --out reps
printf '{"foo":1}\n' > junk.json
expect_status "report of {\"foo\":1}: exit 2" 2 "$HALLMARK" report --result junk.json --sign signer --out repj
expect_grep "says what a result is" "not a hallmark result" "$TMP/err"
[ ! -e repj ] && ok "no report written for junk" || notok "a report was written for junk"

# misuse and bad input
expect_status "report without --sign: exit 2" 2 "$HALLMARK" report --result det.json --out r2
printf '{"a": ' > bad.json
expect_status "malformed result JSON: exit 2" 2 "$HALLMARK" report --result bad.json --sign signer --out r2
expect_grep "malformed result is named" "bad.json" "$TMP/err"
printf '[1]' > badcase.json
expect_status "case file not an object: exit 2" 2 "$HALLMARK" report --result det.json --sign signer --case-file badcase.json --out r2
expect_status "signing with a public key: exit 2" 2 "$HALLMARK" report --result det.json --sign signer.pub --out r2
expect_status "--key of another key: exit 2" 2 "$HALLMARK" report --result det.json --sign signer --key otherwm.key --out r2

# RFC 3161: a throwaway CA and a local TSA made with `openssl ts -reply`
if command -v openssl >/dev/null 2>&1; then
    mkdir -p tsa
    cat > tsa/tsa.cnf <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ tsa_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = .
serial = ./tsaserial
signer_cert = ./tsa.crt
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
EOF
    (
        cd tsa || exit 1
        mk() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
                 -out "$1.crt" -days 2 -subj "/CN=$1" -config tsa.cnf -extensions ca_ext; }
        mk ca && mk otherca &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tsa.key \
            -out tsa.csr -subj "/CN=Hallmark test TSA" -config tsa.cnf &&
        openssl x509 -req -in tsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tsa.crt \
            -days 2 -extfile tsa.cnf -extensions tsa_ext && echo 01 > tsaserial
    ) >tsa/setup.log 2>&1
    expect_status "report timestamp writes a query" 0 "$HALLMARK" report timestamp rep --custody-log "$CL"
    [ -s rep/report.tsq ] && ok "report.tsq written" || notok "report.tsq written"
    (cd tsa && openssl ts -reply -queryfile ../rep/report.tsq -out ../rep/report.tsr -config tsa.cnf) >tsa/reply.log 2>&1
    [ -s rep/report.tsr ] && ok "the local TSA answered" || notok "the local TSA answered" "$(tail -3 tsa/reply.log)"
    expect_status "openssl agrees the token verifies" 0 openssl ts -verify -queryfile rep/report.tsq -in rep/report.tsr -CAfile tsa/ca.crt
    expect_status "verify checks the timestamp against the CA" 0 "$HALLMARK" report verify rep --pubkey signer.pub --input text.txt --ca-cert tsa/ca.crt
    expect_grep "timestamp ok with genTime" "^timestamp: ok \(RFC 3161, genTime [0-9]{14}" "$TMP/out"
    expect_status "a timestamp under another CA fails" 1 "$HALLMARK" report verify rep --pubkey signer.pub --input text.txt --ca-cert tsa/otherca.crt
    cp rep/report.tsr tsr.orig
    /usr/bin/python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=1; open(p,"wb").write(b)' rep/report.tsr
    expect_status "a changed timestamp token fails" 1 "$HALLMARK" report verify rep --pubkey signer.pub --input text.txt --ca-cert tsa/ca.crt
    cp tsr.orig rep/report.tsr
    (cd tsa && openssl ts -reply -queryfile ../repg/report.tsq -out x 2>/dev/null; true)
    "$HALLMARK" report timestamp repg 2>/dev/null
    (cd tsa && openssl ts -reply -queryfile ../repg/report.tsq -out ../repg/report.tsr -config tsa.cnf) >/dev/null 2>&1
    expect_status "a token for another report fails" 1 "$HALLMARK" report verify rep --pubkey signer.pub --input text.txt --ca-cert tsa/ca.crt --tsr repg/report.tsr
    expect_status "verify with --ca-cert but no token: exit 1" 1 "$HALLMARK" report verify repn --pubkey signer.pub --input text.txt --ca-cert tsa/ca.crt
else
    ok "RFC 3161 local TSA # SKIP openssl not installed"
fi

# custody log
expect_status "custody verify: intact chain" 0 "$HALLMARK" custody verify "$CL"
expect_grep "custody verify counts the entries" "^OK: 3 entries" "$TMP/out"
expect_grep "custody log records the report command" '"report","--result","det.json"' "$CL"
expect_grep "custody log hashes the outputs" '"path":"rep/report.json","bytes"' "$CL"
expect_no_grep "custody log never records a passphrase file's hash" "pass.txt\",\"bytes" "$CL"
echo secret > pass.txt
"$HALLMARK" --custody-log "$CL" key info wm.key --passphrase-file pass.txt >/dev/null 2>&1
expect_no_grep "custody log skips --passphrase-file" 'pass.txt","bytes' "$CL"
cp "$CL" cl.orig
size=$(stat -c %s "$CL"); missed=0; tried=0; i=0
while [ "$i" -lt "$size" ]; do
    /usr/bin/python3 -c 'import sys; p=sys.argv[1]; i=int(sys.argv[2]); b=bytearray(open(p,"rb").read()); b[i]^=1; open(p,"wb").write(b)' "$CL" "$i"
    "$HALLMARK" custody verify "$CL" >/dev/null 2>&1
    [ $? -eq 1 ] || missed=$((missed + 1))
    cp cl.orig "$CL"
    tried=$((tried + 1)); i=$((i + stride * 73))
done
[ "$missed" -eq 0 ] && ok "custody log: $tried changed bytes all detected" || notok "custody log: $missed of $tried changed bytes missed"
sed -i '2d' "$CL"
expect_status "custody verify: a deleted entry breaks the chain" 1 "$HALLMARK" custody verify "$CL"
expect_grep "custody verify names the entry" "BROKEN: entry 2" "$TMP/out"
expect_status "a broken log is not extended" 2 "$HALLMARK" --custody-log "$CL" key info wm.key
cp cl.orig "$CL"
expect_status "custody verify of a missing file: exit 2" 2 "$HALLMARK" custody verify nope.log
expect_status "custody without verify: exit 2" 2 "$HALLMARK" custody

# headless Chromium renders report.html; look at the screenshot
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROME" ]; then
    mkdir -p chrome-profile
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$TMP/chrome-profile" --screenshot="$TMP/report.png" \
        --window-size=1200,2000 "file://$TMP/rep/report.html" >chrome.log 2>&1
    size=$(stat -c %s report.png 2>/dev/null || echo 0)
    if [ "$size" -gt 20000 ] && [ "$(head -c 8 report.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
        ok "chromium screenshot of report.html ($size bytes PNG)"
    else
        notok "chromium screenshot of report.html" "size $size" "$(tail -3 chrome.log)"
    fi
    if [ -n "${HM_REPORT_SCREENSHOT:-}" ]; then cp report.png "$HM_REPORT_SCREENSHOT"; fi
else
    ok "chromium screenshot # SKIP chromium not installed (make deps installs it)"
fi
exit 0
