# Hardening (issue #19): write errors, messages that name what is valid,
# process protection for key holders, passphrase handling, KDF bounds,
# engine-key warnings, outputs written beside their destination, an
# installed CLI that finds its data, and benchmark defaults.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
cd "$TMP" || exit 1
fixed_key k.key hardening-test
printf 'The quick brown fox jumps over the lazy dog. %.0s' $(seq 1 40) >text.txt
have_tok=0
"$HALLMARK" tokenize --tokenizer cl100k_base text.txt >/dev/null 2>&1 && have_tok=1

# --- every write error is an error (exit 2) -----------------------------------
if [ -w /dev/full ]; then
    expect_status "--version > /dev/full exits 2" 2 sh -c "\"\$0\" --version >/dev/full" "$HALLMARK"
    expect_grep "a write error is named" "writing the output failed" "$TMP/err"
    expect_status "--help > /dev/full exits 2" 2 sh -c "\"\$0\" detect --help >/dev/full" "$HALLMARK"
    expect_status "key info > /dev/full exits 2" 2 sh -c "\"\$0\" key info k.key >/dev/full" "$HALLMARK"
    if [ $have_tok -eq 1 ]; then
        expect_status "detect --json > /dev/full exits 2" 2 \
            sh -c "\"\$0\" detect --key k.key --scheme kgw --json text.txt >/dev/full" "$HALLMARK"
        expect_status "tokenize > /dev/full exits 2" 2 \
            sh -c "\"\$0\" tokenize --tokenizer cl100k_base text.txt >/dev/full" "$HALLMARK"
    fi
else
    ok "write-error tests # SKIP no writable /dev/full"
fi

# --- messages that say what is wrong and what is valid ------------------------
expect_status "a missing key file exits 2" 2 "$HALLMARK" detect --key nosuch.key --scheme kgw text.txt
expect_grep "a missing file says so, not 'input/output error'" "nosuch.key: No such file or directory" "$TMP/err"
expect_no_grep "no generic I/O error for a missing file" "input/output error" "$TMP/err"

"$HALLMARK" key new-signing --out signer --insecure-no-passphrase >/dev/null 2>&1
expect_status "a signing key as --key exits 2" 2 "$HALLMARK" detect --key signer --scheme kgw text.txt
expect_grep "a signing key as --key is named as such" "is a signing key" "$TMP/err"
expect_status "a .pub file as --key exits 2" 2 "$HALLMARK" detect --key signer.pub --scheme kgw text.txt
expect_grep "a public key as --key is named as such" "is a public signing key" "$TMP/err"

expect_status "an unknown scheme exits 2" 2 "$HALLMARK" detect --key k.key --scheme kgw2 text.txt
expect_grep "an unknown scheme lists the valid ones" "unknown scheme 'kgw2' \(valid: kgw, unigram, gumbel" "$TMP/err"
expect_status "a bad parameter value exits 2" 2 "$HALLMARK" detect --key k.key --scheme kgw --param seeding=foo text.txt
expect_grep "a bad value names the valid choices" "seeding \(selfhash or lefthash" "$TMP/err"
expect_status "an unknown parameter exits 2" 2 "$HALLMARK" detect --key k.key --scheme kgw --param nosuch=1 text.txt
expect_grep "an unknown parameter lists the valid names" "kgw takes no parameter 'nosuch=1'; valid: gamma" "$TMP/err"
expect_status "generate: a bad parameter exits 2" 2 "$HALLMARK" generate --model /nonexistent --key k.key --scheme unigram --param gamma=2 --prompt x
expect_status "bench embed: an unknown parameter exits 2" 2 "$HALLMARK" bench embed --scheme gumbel --vocab 100 --param hh=3
expect_grep "bench embed names gumbel's parameters" "valid: h \(an integer" "$TMP/err"
expect_status "an engine key value is never echoed in a parameter error" 2 \
    "$HALLMARK" detect --scheme sglang --sglang-key 0x0123456789abcdef --param key_b=zzsecretzz --ids /dev/null
expect_no_grep "the refused engine key is not echoed" "zzsecretzz" "$TMP/err"

# --- SynthID: 30 full-range 64-bit keys (docs: 1 to 64 keys) ------------------
$PY -c '
import random, json
r = random.Random(7)
print(json.dumps([r.randrange(-2**63, 2**63) for _ in range(30)]))' >synthid-keys.json
printf '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20\n' >ids.txt
expect_status "30 full-range int64 SynthID keys are accepted" 1 \
    "$HALLMARK" detect --scheme synthid --synthid-keys synthid-keys.json --ids ids.txt
$PY -c '
import random, json
r = random.Random(8)
print(json.dumps([-(2**63) + i for i in range(64)]))' >synthid-64.json
expect_status "64 SynthID keys of 20 digits are accepted" 1 \
    "$HALLMARK" detect --scheme synthid --synthid-keys synthid-64.json --ids ids.txt

# --- small engine keys are warned about (their public id reveals them) -------
expect_status "detect with a small vLLM key runs" 1 "$HALLMARK" detect --scheme vllm --vllm-key 424242 --ids ids.txt
expect_grep "a small vLLM key is warned about" "vllm key is small" "$TMP/err"
expect_status "detect with a 64-bit vLLM key runs" 1 "$HALLMARK" detect --scheme vllm --vllm-key 8123456789012345678 --ids ids.txt
expect_no_grep "a 64-bit vLLM key is not warned about" "is small" "$TMP/err"

# --- bench embed needs no engine key ------------------------------------------
for s in vllm sglang synthid; do
    expect_status "bench embed --scheme $s runs without an engine key" 0 \
        "$HALLMARK" bench embed --scheme $s --vocab 500 --tokens 20 --json
done

# --- key files: KDF parameters, NUL passphrases --------------------------------
# A master key encrypted with the MIN preset (1 pass, 8 KiB), whose header is
# then given 32 passes: refused before any Argon2id work, with a message.
$PY - "$HM_ROOT/tests/fuzz/seeds/fuzz_keyfile/master-min.key" tampered.key <<'PY'
import hashlib, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
body = b""
for l in lines:
    if l.startswith(b"Checksum:"): break
    if l.startswith(b"KDF-Opslimit:"): l = b"KDF-Opslimit: 32"
    body += l + b"\n"
body += b"Checksum: " + hashlib.blake2b(body, digest_size=32).hexdigest().encode() + b"\n"
open(sys.argv[2], "wb").write(body + b"-----END HALLMARK KEY-----\n")
PY
expect_status "a key file asking for unknown Argon2id parameters is refused" 2 \
    env HALLMARK_PASSPHRASE=x "$HALLMARK" key info tampered.key
expect_grep "the refusal names the valid presets" "presets min, interactive, moderate and sensitive" "$TMP/err"
printf 'pass\000word\n' >nul-pass
expect_status "a passphrase file with a NUL byte is refused" 2 \
    "$HALLMARK" key new --out nul.key --passphrase-file nul-pass --kdf interactive
expect_grep "the NUL refusal says why" "contains a NUL byte" "$TMP/err"
[ -e nul.key ] && notok "no key written under a NUL passphrase" || ok "no key written under a NUL passphrase"

# --- Ctrl-C at the passphrase prompt restores the terminal --------------------
$PY - "$HALLMARK" "$TMP/ctrlc.key" >ctrlc.out 2>&1 <<'PY'
import os, pty, select, sys, termios, time
exe, out = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLMARK_PASS")}
    os.execve(exe, [exe, "key", "new", "--out", out], env)
buf, deadline = b"", time.time() + 30
while b"assphrase" not in buf and time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            buf += os.read(fd, 1024)
        except OSError:
            break
time.sleep(0.3)
during = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
os.write(fd, b"\x03")
os.waitpid(pid, 0)
after = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
print("prompt=%d during=%d after=%d" % (b"assphrase" in buf, during, after))
PY
expect_grep "echo is off at the passphrase prompt" "prompt=1 during=0" ctrlc.out
expect_grep "Ctrl-C at the passphrase prompt turns echo back on" "after=1" ctrlc.out

# --- no core dumps of a process that holds keys -------------------------------
mkfifo hold
( "$HALLMARK" detect --key k.key --scheme unigram --ids hold >/dev/null 2>&1 & echo $! >pid; wait ) &
sleep 0.5
pid=$(cat pid)
limits=$(cat /proc/"$pid"/limits 2>/dev/null | grep 'Max core file size')
exec 9>hold; exec 9>&-
wait
case "$limits" in
*" 0 "*" 0 "*) ok "a running command has core dumps off" ;;
*) notok "a running command has core dumps off" "limits: $limits" ;;
esac

# --- outputs written beside their destination --------------------------------
if [ $have_tok -eq 1 ]; then
    $PY -c '
import json
words = "in the beginning was the word and the word was with a small grey cat that sat on every mat".split()
for d in range(6):
    print(json.dumps({"text": " ".join(words[(d * 7 + i * 3) % len(words)] for i in range(60))}))' >corpus.jsonl
    echo "victim" >victim
    ln -s victim out.jsonl.tmp
    ln -s victim part-0.jsonl.tuples.tmp
    "$HALLMARK" scan --key k.key --scheme kgw --tokenizer cl100k_base --out out.jsonl corpus.jsonl >/dev/null 2>&1
    "$HALLMARK" scan --key k.key --scheme kgw --tokenizer cl100k_base --shard 0/1 --out part-0.jsonl corpus.jsonl >/dev/null 2>&1
    if [ "$(cat victim)" = "victim" ]; then ok "scan never writes through a planted link"; else notok "scan never writes through a planted link"; fi
    [ -s out.jsonl ] && [ -s part-0.jsonl ] && [ -s part-0.jsonl.tuples ] && ok "scan wrote its outputs" || notok "scan wrote its outputs"
    ls | grep -E '\.tmp[A-Za-z0-9]{6}$' >leftovers
    [ -s leftovers ] && notok "no temporary files are left" "$(cat leftovers)" || ok "no temporary files are left"
    # .tuples side files hold keyed tuple ids: the same corpus under two keys
    # gives disjoint id sets (an unkeyed hash gives the same set whatever the
    # key, which a reader without the key can recompute from the text).
    fixed_key k2.key hardening-test-2
    "$HALLMARK" scan --key k2.key --scheme kgw --tokenizer cl100k_base --shard 0/1 --out other-0.jsonl corpus.jsonl >/dev/null 2>&1
    shared=$($PY - part-0.jsonl.tuples other-0.jsonl.tuples <<'PY'
import sys
ids = [set(open(f, "rb").read()[i:i + 8] for i in range(0, len(open(f, "rb").read()), 16)) for f in sys.argv[1:]]
print(len(ids[0]), len(ids[1]), len(ids[0] & ids[1]))
PY
)
    case "$shared" in
    "0 "*|*" 0 "*) notok "tuple files are not empty" "$shared" ;;
    *" 0") ok "tuple ids depend on the key ($shared)" ;;
    *) notok "tuple ids depend on the key" "sizes and overlap: $shared" ;;
    esac
    expect_status "merge runs (not detected: 1)" 1 "$HALLMARK" merge --out merged.jsonl part-0.jsonl
    if [ "$(cat victim)" = "victim" ]; then ok "merge never writes through a planted link"; else notok "merge never writes through a planted link"; fi
else
    ok "scan/merge output tests # SKIP cl100k_base not installed (make deps)"
fi

# --- merge names the missing shard ------------------------------------------
if [ $have_tok -eq 1 ]; then
    for i in 0 2; do
        "$HALLMARK" scan --key k.key --scheme kgw --tokenizer cl100k_base --shard $i/3 --out p3-$i.jsonl corpus.jsonl >/dev/null 2>&1
    done
    expect_status "merge with a shard missing exits 2" 2 "$HALLMARK" merge --out m3.jsonl p3-0.jsonl p3-2.jsonl
    expect_grep "merge names the missing shard" "missing shard 1/3" "$TMP/err"
    [ -e m3.jsonl ] && notok "a failed merge writes no output" || ok "a failed merge writes no output"
fi

# --- generate exactly N tokens; detokenize line by line ------------------------
model="$HM_BUILD/samples/kjv-4.slm"
if [ -f "$model" ]; then
    "$HALLMARK" generate --model "$model" --no-watermark --prompt "And God said" -n 400 \
        --ignore-eos --seed 5 --json >gen.json 2>"$TMP/err"
    n=$(json_get gen.json 'j["n_tokens"]')
    [ "$n" = "400" ] && ok "generate --ignore-eos gives exactly N tokens" || notok "generate --ignore-eos gives exactly N tokens" "n_tokens $n"
else
    ok "generate --ignore-eos # SKIP no sample model at $model"
fi
if [ $have_tok -eq 1 ]; then
    printf '15339 1917 198\n5686 1584\n99999999\n{"ids": [9906]}\n' >ids-lines.txt
    expect_status "detokenize --lines with one bad line exits 2" 2 "$HALLMARK" detokenize --tokenizer cl100k_base --lines ids-lines.txt
    expect_grep "detokenize --lines keeps lines apart" '^\{"line":2,"text":"second line"' "$TMP/out"
    expect_grep "detokenize --lines decodes past a bad line" '^\{"line":4,"text":"Hello"' "$TMP/out"
    expect_grep "detokenize --lines names the bad line" "line 3: id 99999999" "$TMP/err"
fi

# --- an installed CLI finds its data whatever PREFIX it was built with -------
if [ $have_tok -eq 1 ] && [ -f "$HM_ROOT/samples/tokenizers/cl100k_base.tiktoken" ]; then
    mkdir -p inst/bin inst/share/hallmark/tokenizers
    cp "$HALLMARK" inst/bin/hallmark
    cp "$HM_ROOT/samples/tokenizers/cl100k_base.tiktoken" inst/share/hallmark/tokenizers/
    expect_status "an installed CLI finds tokenizers beside it" 0 \
        env -u HALLMARK_TOKENIZERS ./inst/bin/hallmark tokenize --tokenizer cl100k_base text.txt
else
    ok "installed-CLI test # SKIP cl100k_base not installed (make deps)"
fi

# --- custody log: all-or-nothing appends, repair, signed checkpoints ----------
CL=custody.log
for i in 1 2 3; do "$HALLMARK" --custody-log $CL key info k.key >/dev/null 2>&1; done
expect_status "custody: three entries" 0 "$HALLMARK" custody verify $CL
# A full disk (here a file-size limit) during an append: the append fails and
# the log is left as it was, not with half a line.
sz=$(stat -c %s $CL)
lim=$(( (sz + 1023) / 1024 ))
while [ $(( lim * 1024 - sz )) -ge 300 ]; do
    "$HALLMARK" --custody-log $CL key info k.key >/dev/null 2>&1
    sz=$(stat -c %s $CL); lim=$(( (sz + 1023) / 1024 ))
done
before=$(sha256sum <$CL)
( trap '' XFSZ; ulimit -f $lim; "$HALLMARK" --custody-log $CL key info k.key >/dev/null 2>"$TMP/err"; echo $? >rc.txt )
[ "$(cat rc.txt)" = 2 ] && ok "an append that cannot be written exits 2" || notok "an append that cannot be written exits 2" "status $(cat rc.txt)"
[ "$(sha256sum <$CL)" = "$before" ] && ok "a failed append leaves the log unchanged" || notok "a failed append leaves the log unchanged"
expect_status "custody: still intact after a failed append" 0 "$HALLMARK" custody verify $CL
# A crash in the middle of an append: an incomplete last line.
n_before=$(wc -l <$CL)
printf '{"seq":"99","time":"2026-' >>$CL
expect_status "custody verify: an incomplete last line exits 1" 1 "$HALLMARK" custody verify $CL
expect_grep "an incomplete last line is named as such" "^INCOMPLETE: " "$TMP/out"
expect_status "an append to a log with an incomplete line exits 2" 2 "$HALLMARK" --custody-log $CL key info k.key
expect_grep "the refusal points to custody repair" "custody repair" "$TMP/err"
expect_status "custody repair" 0 "$HALLMARK" custody repair $CL
expect_grep "repair names the evidence file" "moved to custody.log.damaged-" "$TMP/out"
dmg=$(ls custody.log.damaged-* 2>/dev/null | head -1)
[ -n "$dmg" ] && [ "$(cat "$dmg")" = '{"seq":"99","time":"2026-' ] && ok "the incomplete line is kept as evidence" || notok "the incomplete line is kept as evidence"
expect_status "custody verify after repair" 0 "$HALLMARK" custody verify $CL
[ "$(wc -l <$CL)" -eq $((n_before + 1)) ] && ok "repair appends one entry" || notok "repair appends one entry"
expect_grep "the repair entry records the evidence file's hash" '"command":\["custody","repair"\].*"sha256":"' $CL
expect_status "repair of an intact log changes nothing" 0 "$HALLMARK" custody repair $CL
expect_grep "repair says there was nothing to do" "nothing to repair" "$TMP/out"
# A chain broken in the middle is evidence: never repaired.
cp $CL broken.log
sed -i '2s/"status":[0-9]*/"status":7/' broken.log
expect_status "repair refuses a broken chain" 2 "$HALLMARK" custody repair broken.log
cmp -s broken.log <(sed '2s/"status":[0-9]*/"status":7/' $CL) && ok "a broken chain is left as it is" || notok "a broken chain is left as it is"
# Signed checkpoints: a rewritten chain is caught by whoever holds the public key.
"$HALLMARK" key new-signing --out operator --insecure-no-passphrase >/dev/null 2>&1
expect_status "custody checkpoint" 0 "$HALLMARK" custody checkpoint $CL --sign operator
expect_status "custody checkpoint refuses a watermark key" 2 "$HALLMARK" custody checkpoint $CL --sign k.key
"$HALLMARK" --custody-log $CL key info k.key >/dev/null 2>&1
expect_status "custody verify --pubkey" 0 "$HALLMARK" custody verify $CL --pubkey operator.pub
expect_grep "the checkpoint is verified and the uncovered tail counted" "^signed: 1 checkpoint verified; .*2 entries after it are not yet covered" "$TMP/out"
expect_status "custody verify without the key" 0 "$HALLMARK" custody verify $CL
expect_grep "without --pubkey checkpoints are not checked" "^not checked: 1 signed checkpoint" "$TMP/out"
# The attack: edit entry 2 and recompute every hash of the chain.
$PY - $CL rewritten.log <<'PY'
import hashlib, json, sys
prev, out = "0" * 64, []
for line in open(sys.argv[1]).read().splitlines():
    o = json.loads(line)
    if o["seq"] == "2":
        o["status"] = 0 if o["status"] else 1
    o["prev"] = prev
    o.pop("hash")
    if "checkpoint" in o:  # the forger also fixes the checkpoint's tip
        o["checkpoint"]["tip"] = prev
    body = json.dumps(o, separators=(",", ":"))[:-1]
    prev = hashlib.sha256(b"hallmark-custody-v1\n" + body.encode()).hexdigest()
    out.append(body + ',"hash":"' + prev + '"}')
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
expect_status "a recomputed chain passes the hash check alone" 0 "$HALLMARK" custody verify rewritten.log
expect_status "a recomputed chain fails the signed checkpoint" 1 "$HALLMARK" custody verify rewritten.log --pubkey operator.pub
expect_grep "the failed checkpoint is named" "^BAD CHECKPOINT" "$TMP/out"
"$HALLMARK" key new-signing --out other --insecure-no-passphrase >/dev/null 2>&1
expect_status "a checkpoint under another signer's key fails" 1 "$HALLMARK" custody verify $CL --pubkey other.pub
