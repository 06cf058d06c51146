# Hostile reports (issue #11): reports built the way an attacker would -
# signed with the attacker's own key, result JSON and report.json edited by
# hand and re-signed - must not make `hallmark report verify` run anything,
# write anything, open a path named in the report, print a file's content,
# or show raw terminal escapes; and verify must not pass what it did not
# check.  Also: redaction by meaning (abbreviated options), junk results,
# devices/FIFOs/symlinks/huge inputs, and a run under strace that finds no
# process started by verify.
. "$(dirname "$0")/lib.sh"

cd "$TMP" || exit 1
H="$HALLMARK"
PY=/usr/bin/python3
mkdir home
export HOME="$TMP/home"

"$H" key new-signing --insecure-no-passphrase --out attacker >/dev/null 2>&1
"$H" key pubkey attacker --out attacker.pub >/dev/null 2>&1
fixed_key owner.key test-owner
OWNER_SECRET=$(sed -n 's/^Secret: //p' owner.key)

# resign DIR: the attacker re-signs an edited DIR/report.json with their own
# key (Ed25519 from the key file's seed, with Python's cryptography, as any
# tool of theirs could), keeping the signature file's layout
resign() {
    $PY - attacker "$1/report.json" "$1/report.json.sig" <<'EOF'
import hashlib, re, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
seed = bytes.fromhex(re.search(r"^Secret: ([0-9a-f]{64})$", open(sys.argv[1]).read(), re.M).group(1))
rep = open(sys.argv[2], "rb").read()
sig = Ed25519PrivateKey.from_private_bytes(seed).sign(rep).hex()
s = open(sys.argv[3]).read()
s = re.sub(r'("report_sha256":\s*")[0-9a-f]{64}', lambda m: m.group(1) + hashlib.sha256(rep).hexdigest(), s)
s = re.sub(r'("signature":\s*")[0-9a-f]{128}', lambda m: m.group(1) + sig, s)
open(sys.argv[3], "w").write(s)
EOF
}
# edit DIR PYTHON: edits DIR/report.json (as `j`) and re-signs it
edit() {
    $PY - "$1/report.json" "$2" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
exec(sys.argv[2])
open(sys.argv[1], "w").write(json.dumps(j))
EOF
    resign "$1"
}

awk 'BEGIN { srand(11); s = ""; for (i = 0; i < 200; i++) s = s (i ? " " : "") int(rand() * 5000); print s }' > answer.ids
"$H" detect --key owner.key --scheme kgw --param h=4 --ids --json answer.ids > det.json 2>/dev/null

# --- 1. code execution through a recorded argv -------------------------------
# the attacker's argv: a custody log into ~/.bash_profile and a $(...) field
$PY - det.json "$HOME" "$TMP" > evil-det.json <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
j["argv"] = ["detect", "--param", "--custody-log", sys.argv[2] + "/.bash_profile", "h=4",
             "--key", "owner.key", "--scheme", "kgw", "--ids", "--field",
             "$(id > " + sys.argv[3] + "/pwned)", "--json", "answer.ids"]
print(json.dumps(j))
EOF
expect_status "attack 1: the attacker's report is built" 0 "$H" report --result evil-det.json --sign attacker --input answer.ids --out e1
expect_status "attack 1: verify --key (the recorded argv is never used)" 0 "$H" report verify e1 --pubkey attacker.pub --input answer.ids --key owner.key
[ ! -e "$HOME/.bash_profile" ] && ok "attack 1: no ~/.bash_profile written" || notok "attack 1: ~/.bash_profile written"
[ ! -e pwned ] && ok "attack 1: no \$(...) ran" || notok "attack 1: a command ran"
# the same with the statistics edited: recomputation catches it, exit 1
edit e1 'j["result"]["log10_p"] = -30.0; j["result"]["score"] = 190'
expect_status "attack 1: edited statistics: exit 1" 1 "$H" report verify e1 --pubkey attacker.pub --input answer.ids --key owner.key
expect_grep "attack 1: the changed value by name, both values" "DIFFERS result.score: recomputed [0-9]+, report 190" "$TMP/out"
[ ! -e "$HOME/.bash_profile" ] && [ ! -e pwned ] && ok "attack 1: still nothing written or run" || notok "attack 1: written or ran"
# a merge argv, no --key
$PY - det.json > evil-merge.json <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
j["argv"] = ["merge", "--out", "/tmp/../" + "x", "--tmpdir", "."]
print(json.dumps(j))
EOF
"$H" report --result evil-merge.json --sign attacker --input answer.ids --out e1m >/dev/null 2>&1
expect_status "attack 1: merge argv without --key: nothing recomputed" 0 "$H" report verify e1m --pubkey attacker.pub --input answer.ids
expect_no_grep "attack 1: merge argv: no recomputation of the result without key" "recomputation of the result" "$TMP/out"
# hostile typed fields: refused, not passed on
edit e1 'j["result"]["dedup"] = "--custody-log=" + __import__("os").environ["HOME"] + "/.bash_profile"'
expect_status "attack 1: an option in a typed field is refused (1)" 1 "$H" report verify e1 --pubkey attacker.pub --input answer.ids --key owner.key
expect_grep "attack 1: names the refused field" "recorded field dedup is not a plain word" "$TMP/out"
edit e1 'j["result"]["params"]["h"] = "4 --custody-log x"'
expect_status "attack 1: an option in a parameter value is refused (1)" 1 "$H" report verify e1 --pubkey attacker.pub --input answer.ids --key owner.key
[ ! -e "$HOME/.bash_profile" ] && [ ! -e x ] && ok "attack 1: no file from typed fields" || notok "attack 1: a file was written"
# after a failed signature: nothing is read or recomputed
"$H" report --result evil-det.json --sign attacker --input answer.ids --out e1s >/dev/null 2>&1
$PY -c 'import sys; p=sys.argv[1]; b=open(p).read(); b2=b.replace("\"score\":", "\"score\": ", 1); assert b2 != b; open(p,"w").write(b2)' e1s/report.json
expect_status "attack 1: tampered after signing: exit 1" 1 "$H" report verify e1s --pubkey attacker.pub --input answer.ids --key owner.key
expect_grep "attack 1: signature FAILED" "^signature: FAILED" "$TMP/out"
expect_grep "attack 1: says nothing else was read" "nothing in report.json was read, checked or recomputed" "$TMP/out"
expect_no_grep "attack 1: no input checked after a failed signature" "^input |recomputation" "$TMP/out"

# --- 2. key disclosure --------------------------------------------------------
awk 'BEGIN { srand(3); for (d = 0; d < 2; d++) { s = ""; for (i = 0; i < 80; i++)
       s = s (i ? "," : "") int(rand() * 5000); print "{\"text\":[" s "]}" } }' > suspect.jsonl
for i in 1 2 3 4 5 6; do echo "acct-$i"; done > accounts.txt
"$H" trace --master owner.key --accounts accounts.txt --json suspect.jsonl > tr.json 2>/dev/null
$PY - tr.json > evil-tr.json <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
j["argv"] = ["trace", "--master", "owner.key", "--accounts=owner.key", "--json", "owner.key"]
print(json.dumps(j))
EOF
expect_status "attack 2: the attacker's trace report" 0 "$H" report --result evil-tr.json --sign attacker --input suspect.jsonl --input accounts.txt --out e2
expect_status "attack 2: verify --key owner.key" 0 "$H" report verify e2 --pubkey attacker.pub --input suspect.jsonl --input accounts.txt --key owner.key
expect_no_grep "attack 2: the key file's secret is not printed" "$OWNER_SECRET" "$TMP/out"
expect_no_grep "attack 2: no line of the key file is printed" "BEGIN HALLMARK KEY|Checksum:" "$TMP/out"
# recorded paths pointing at the key: never opened
edit e2 'j["inputs"][0]["path"] = "owner.key"; j["result"]["tokenizer"] = "owner.key"'
expect_status "attack 2: a tokenizer path in the report is refused (1)" 1 "$H" report verify e2 --pubkey attacker.pub --input suspect.jsonl --input accounts.txt --key owner.key
expect_grep "attack 2: says the tokenizer is not a built-in one" "tokenizer owner.key is not a built-in one" "$TMP/out"
expect_no_grep "attack 2: still no secret printed" "$OWNER_SECRET|BEGIN HALLMARK" "$TMP/out"
expect_status "attack 2: without --input nothing is read from recorded paths (1)" 1 "$H" report verify e2 --pubkey attacker.pub --key owner.key
expect_grep "attack 2: the recorded path is not read" "recorded as owner.key.*NOT CHECKED" "$TMP/out"
expect_no_grep "attack 2: no content printed" "$OWNER_SECRET" "$TMP/out"
if command -v strace >/dev/null 2>&1; then
    strace -f -e trace=openat,open,stat,newfstatat,lstat -o opens.txt "$H" report verify e2 --pubkey attacker.pub --key owner.key >/dev/null 2>&1
    if [ "$(grep -c '"owner.key"' opens.txt)" -le 2 ] && ! grep -q 'accounts.txt\|suspect.jsonl' opens.txt; then
        ok "attack 2: only the auditor's --key is opened, no recorded path"; else notok "attack 2: recorded paths touched" "$(grep -E 'owner.key|accounts|suspect' opens.txt)"; fi
fi

# --- 3. devices, FIFOs, symlinks, huge inputs ------------------------------------
expect_status "attack 3: /dev/zero as --input is refused (1)" 1 "$H" report verify e1m --pubkey attacker.pub --input /dev/zero
expect_grep "attack 3: not a regular file" "/dev/zero: FAILED \(not a regular file" "$TMP/out"
ln -s /dev/zero zero-link
expect_status "attack 3: a symlink to /dev/zero is refused (1)" 1 "$H" report verify e1m --pubkey attacker.pub --input zero-link
mkfifo fifo
expect_status "attack 3: a FIFO is refused without blocking (1)" 1 timeout 20 "$H" report verify e1m --pubkey attacker.pub --input fifo
expect_grep "attack 3: the FIFO is named" "fifo: FAILED \(not a regular file" "$TMP/out"
head -c 3000000 /dev/zero > big.bin
expect_status "attack 3: an input over --max-bytes is refused (1)" 1 "$H" report verify e1m --pubkey attacker.pub --input big.bin --max-bytes 1000000
expect_grep "attack 3: says the limit" "over the limit of 1000000" "$TMP/out"
ln -sf /dev/zero e1m/report.html.tmp
rm -f e1m/report.html && ln -s /dev/zero e1m/report.html
expect_status "attack 3: report.html as a link to /dev/zero: fails, does not hang (1)" 1 timeout 20 "$H" report verify e1m --pubkey attacker.pub --input answer.ids

# --- 4. terminal escapes ---------------------------------------------------------
ESCNAME=$(printf 'x\033[2K\r\033[1Asignature: ok\nVERIFIED\342\200\256.txt')
cp answer.ids "$ESCNAME"
"$H" report --result det.json --sign attacker --input "$ESCNAME" --out e4 >/dev/null 2>&1
edit e4 'j["result"]["key_id"] = "\u001b]0;pwn\u0007"; j["inputs"][0]["path"] += "\u202e\u0007"'
expect_status "attack 4: a report with escapes" 1 "$H" report verify e4 --pubkey attacker.pub --input answer.ids --key owner.key
if ! grep -q "$(printf '\033')" "$TMP/out" && ! grep -q "$(printf '\007')" "$TMP/out" &&
   ! grep -q "$(printf '\342\200\256')" "$TMP/out"; then
    ok "attack 4: no ESC, BEL or bidi override reaches the terminal"; else notok "attack 4: raw escapes printed" "$(cat -v "$TMP/out" | head -5)"; fi
expect_grep "attack 4: they are shown escaped" '\\x1B\[2K' "$TMP/out"
expect_grep "attack 4: the bidi override is shown escaped" '\\u202E' "$TMP/out"
expect_no_grep "attack 4: no forged verdict line" "^VERIFIED" "$TMP/out"

# --- 5. linear comparison: a 40k-token per-token report ----------------------------
awk 'BEGIN { srand(5); s = ""; for (i = 0; i < 40000; i++) s = s (i ? " " : "") int(rand() * 50000); print s }' > long.ids
"$H" detect --key owner.key --scheme kgw --ids --per-token --json long.ids > long.json 2>/dev/null
"$H" report --result long.json --sign attacker --input long.ids --out e5 >/dev/null 2>&1
expect_status "attack 5: a 40k-token per-token report verifies (linear walk)" 0 "$H" report verify e5 --pubkey attacker.pub --input long.ids --key owner.key
expect_grep "attack 5: every per-token value compared" "ok recomputation: all [0-9]{6,} recorded values reproduced" "$TMP/out"

# the same report with every object's members in reverse order (hand-edited):
# still every value matched, by a sorted index rather than a quadratic search
edit e5 '
def rev(o):
    if isinstance(o, dict): return dict(reversed([(k, rev(v)) for k, v in o.items()]))
    if isinstance(o, list): return [rev(v) for v in o]
    return o
j["result"] = rev(j["result"])'
"$H" report verify e5 --pubkey attacker.pub --input long.ids --key owner.key > out5 2>&1
expect_grep "attack 5: members reordered by hand: every value still matched" "ok recomputation: all [0-9]{6,} recorded values reproduced" out5

# --- 6. abbreviations cannot slip past redaction ------------------------------------
echo "correct horse battery" > pass.txt
PASS_SHA=$(sha256sum pass.txt | cut -c1-64)
"$H" key new --kdf interactive --passphrase-file pass.txt --out enc.key >/dev/null 2>&1
awk 'BEGIN { s = ""; for (i = 0; i < 100; i++) s = s (i ? " " : "") (i * 37 % 5000); print s }' > d.ids
"$H" --custody-log cl.log detect --key enc.key --scheme kgw --ids --passphrase pass.txt d.ids >/dev/null 2>&1
"$H" --custody-log cl.log detect --key enc.key --scheme kgw --ids --pass=pass.txt d.ids >/dev/null 2>&1
"$H" --custody-log cl.log detect --scheme vllm --vllm 424242 --ids --json d.ids > v1.json 2>/dev/null
"$H" --custody-log cl.log detect --scheme vllm --vl=424242 --ids --json d.ids > v2.json 2>/dev/null
"$H" --custody-log cl.log detect --scheme sglang --sglang 0a1b2c3d4e5f --ids --json d.ids > s1.json 2>/dev/null
"$H" --custody-log cl.log detect --scheme sglang --sg=0a1b2c3d4e5f --ids --json d.ids > s2.json 2>/dev/null
expect_no_grep "attack 6: no hash of the passphrase file in the custody log" "$PASS_SHA" cl.log
expect_no_grep "attack 6: no engine key in the custody log" "424242|0a1b2c3d4e5f" cl.log
cat v1.json v2.json s1.json s2.json > all.json
expect_no_grep "attack 6: no engine key in results (--vllm, --vl=, --sglang, --sg=)" "424242|0a1b2c3d4e5f" all.json
expect_grep "attack 6: recorded as redacted" '"--vl=<redacted>"' all.json
"$H" report --result v1.json --sign attacker --input d.ids --out e6 >/dev/null 2>&1
expect_no_grep "attack 6: no engine key in the report" "424242" e6/report.json
expect_no_grep "attack 6: nor in report.html" "424242" e6/report.html
expect_status "attack 6: verify --vllm-key" 0 "$H" report verify e6 --pubkey attacker.pub --input d.ids --vllm-key 424242
expect_no_grep "attack 6: verify does not print the engine key" "424242" "$TMP/out"

# --- 7. junk results ----------------------------------------------------------------------
printf '{"foo":1}\n' > junk.json
expect_status "attack 7: report of {\"foo\":1}: exit 2" 2 "$H" report --result junk.json --sign attacker --out e7
printf '{"type":"scan","scheme":"kgw","corpus":{"log10_p":"x"}}\n' > junk2.json
expect_status "attack 7: a string where log10_p is a number: exit 2" 2 "$H" report --result junk2.json --sign attacker --out e7
$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); j["log10_p"]=5; print(json.dumps(j))' det.json > junk3.json
expect_status "attack 7: a positive log10_p: exit 2" 2 "$H" report --result junk3.json --sign attacker --out e7
printf '%s' "$(cat det.json)" | sed 's/"score":[^,]*/"score":1e999/' > junk4.json
expect_status "attack 7: an infinite number: exit 2" 2 "$H" report --result junk4.json --sign attacker --out e7
[ ! -e e7 ] && ok "attack 7: nothing written" || notok "attack 7: a report was written"

# --- 9. an unchecked timestamp is not VERIFIED ----------------------------------------------
"$H" report --result det.json --sign attacker --input answer.ids --out e9 >/dev/null 2>&1
printf 'not a real token' > e9/report.tsr
expect_status "attack 9: a timestamp response without --ca-cert: exit 1" 1 "$H" report verify e9 --pubkey attacker.pub --input answer.ids
expect_grep "attack 9: says it was not checked" "^timestamp: NOT CHECKED \(a response is present: give --ca-cert" "$TMP/out"
expect_no_grep "attack 9: no VERIFIED" "^VERIFIED" "$TMP/out"
expect_status "attack 9: --skip-timestamp: exit 0" 0 "$H" report verify e9 --pubkey attacker.pub --input answer.ids --skip-timestamp
expect_grep "attack 9: says it was skipped" "^timestamp: skipped" "$TMP/out"

# --- no process is started by verify (strace) -------------------------------------------------
if command -v strace >/dev/null 2>&1; then
    # under ASan, LeakSanitizer's exit-time tracer is a clone of its own: off
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    for d in e1:answer.ids e2:suspect.jsonl e5:long.ids; do
        dir=${d%%:*}; in=${d#*:}
        extra=""
        [ "$dir" = e2 ] && extra="--input accounts.txt"
        [ "$dir" = e1 ] && continue
        strace -f -e trace=execve,fork,clone,clone3,vfork -o st.txt "$H" report verify "$dir" --pubkey attacker.pub --input "$in" $extra --key owner.key >/dev/null 2>&1
        n=$(grep -E 'execve\(|fork\(|clone3?\(' st.txt | grep -vc CLONE_THREAD)
        if [ "$n" = 1 ] && grep -q 'execve(' st.txt; then
            ok "strace: verify $dir starts no process (only its own execve)"; else notok "strace: verify $dir started processes" "$(head -5 st.txt)"; fi
    done
    strace -f -e trace=execve,fork,clone,clone3,vfork -o st.txt "$H" report verify e1m --pubkey attacker.pub --input answer.ids --key owner.key >/dev/null 2>&1
    n=$(grep -E 'execve\(|fork\(|clone3?\(' st.txt | grep -vc CLONE_THREAD)
    [ "$n" = 1 ] && ok "strace: verify of the hostile merge report starts no process" || notok "strace: processes started" "$(head -5 st.txt)"
else
    ok "strace checks # SKIP strace not installed (make deps)"
fi
