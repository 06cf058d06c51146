# Scrubbing attacks that change no word (issue #14): every space replaced by
# U+00A0, one zero-width space / soft hyphen / Cyrillic look-alike / fullwidth
# letter per word, doubled spaces.  Each is applied to marked sample-model
# text of every scheme and must not erase the mark at alpha = 1e-6: the
# canonical text (hallmark/canon.h) is tested beside the text as given.
. "$(dirname "$0")/lib.sh"
H=$HALLMARK
MODEL=$HM_BUILD/samples/kjv-4.slm
if [ ! -f "$MODEL" ]; then
    bash "$HM_ROOT/samples/train-sample-model.sh" "$HM_BUILD" "$MODEL" >/dev/null 2>&1 ||
        { ok "canonical-text checks skipped (no sample model) # skip"; exit 0; }
fi
cd "$TMP" || exit 2
cp "$HM_ROOT/tests/vectors/keys/master-insecure.key" k.key
printf '[11, 22, 33, 44, 55, 66, 77, 88, 99, 111, 222, 333, 444, 555, 666, 777, 888, 999, 1111, 2222, 3333, 4444, 5555, 6666, 7777, 8888, 9999, 11111, 22222, 33333]\n' > synthid.keys

# scrub NAME < in > out (Python, independent of `hallmark attack`)
scrub() {
    /usr/bin/python3 -c '
import sys
name = sys.argv[1]
t = sys.stdin.read()
cyr = dict(zip("aceopxyiABEHKMOPCTX", "асеорхуіАВЕНКМОРСТХ"))
def per_word(f):
    return " ".join(f(w) if w else w for w in t.split(" "))
def first_letter(w, g):
    for i, c in enumerate(w):
        r = g(c)
        if r:
            return w[:i] + r + w[i + 1:]
    return w
if name == "nbsp": t = t.replace(" ", "\u00a0")
elif name == "zwsp": t = per_word(lambda w: w[:1] + "\u200b" + w[1:])
elif name == "shy": t = per_word(lambda w: w[:len(w) // 2] + "\u00ad" + w[len(w) // 2:])
elif name == "homoglyph": t = per_word(lambda w: first_letter(w, lambda c: cyr.get(c)))
elif name == "fullwidth": t = per_word(lambda w: first_letter(w, lambda c: chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else None))
elif name == "double": t = t.replace(" ", "  ")
sys.stdout.write(t)' "$1"
}

SCRUBS="nbsp zwsp shy homoglyph fullwidth double"
i=0
for s in "kgw" "kgw --param seeding=lefthash" "unigram" "gumbel" "synthid --synthid-keys synthid.keys"; do
    i=$((i + 1))
    name=$(echo "$s" | tr -d ' ' | cut -c1-20)
    case $s in synthid*) kk="";; *) kk="--key k.key";; esac
    # shellcheck disable=SC2086
    "$H" generate --model "$MODEL" $kk --scheme $s --prompt "And God said" -n 250 --seed $((i + 2)) > m$i.txt 2>/dev/null
    # shellcheck disable=SC2086
    expect_status "$name: marked text detected" 0 "$H" detect $kk --scheme $s m$i.txt
    for sc in $SCRUBS; do
        scrub "$sc" < m$i.txt > s$i-$sc.txt
        # shellcheck disable=SC2086
        expect_status "$name after $sc: detected" 0 "$H" detect $kk --scheme $s --json s$i-$sc.txt
        if json_get out "j['canonical']['fired_test'] == 'canonical' and j['canonical']['tests'] == 2 and j['canonical']['changes'] != 'no change'" | grep -q True; then
            ok "$name after $sc: the canonical test fired and the changes are named"; else
            notok "$name after $sc: canonical record" "$(head -c 600 out)"; fi
        # doubled spaces leave kgw selfhash and unigram detectable (few contexts change)
        case "$sc:$s" in double:kgw|double:unigram) continue;; esac
        # shellcheck disable=SC2086
        expect_status "$name after $sc with --no-canonical: not detected" 1 "$H" detect $kk --scheme $s --no-canonical s$i-$sc.txt
    done
    # clean text: one test, nothing changed
    # shellcheck disable=SC2086
    "$H" detect $kk --scheme $s --json m$i.txt > out 2>/dev/null
    if json_get out "j['canonical']['tests'] == 1 and j['canonical']['changed'] == False and j['canonical']['fired_test'] == 'given'" | grep -q True; then
        ok "$name: clean text is tested once, unchanged"; else notok "$name: clean text" "$(head -c 600 out)"; fi
done

# mpac: detect refuses a payload scheme (docs/payload.md); payload decode
# reads the payload through every scrub, and not without canonical text
"$H" generate --model "$MODEL" --key k.key --scheme mpac --param payload=0xC0FFEE42 \
    --prompt "And God said" -n 250 --seed 8 > m6.txt 2>/dev/null
expect_status "mpac: payload found in the marked text" 0 "$H" payload decode --key k.key m6.txt
for sc in $SCRUBS; do
    scrub "$sc" < m6.txt > s6-$sc.txt
    expect_status "mpac after $sc: payload found" 0 "$H" payload decode --key k.key --json s6-$sc.txt
    if json_get out "j['payload_hex'] == '0xc0ffee42' and j['canonical']['changed'] == True" | grep -q True; then
        ok "mpac after $sc: the right payload, and the changes are named"; else
        notok "mpac after $sc: payload record" "$(head -c 600 out)"; fi
done

# the other detection paths tokenize the canonical text
/usr/bin/python3 -c 'import json,sys; print(json.dumps({"text": open(sys.argv[1], encoding="utf-8").read()}))' s1-nbsp.txt > nb.jsonl
expect_status "scan finds U+00A0-scrubbed kgw text" 0 "$H" scan --key k.key --scheme kgw --out r.jsonl --json nb.jsonl
expect_grep "scan --json says what changed" '"changes":[[:space:]]*"replaced [0-9]+ non-ASCII' out
expect_status "scan --no-canonical does not" 1 "$H" scan --key k.key --scheme kgw --out r2.jsonl --no-canonical nb.jsonl
expect_status "payload decode finds the payload after U+00A0 spaces" 0 "$H" payload decode --key k.key s6-nbsp.txt
expect_grep "... the right one" "0xc0ffee42" out
expect_status "payload decode --no-canonical does not" 1 "$H" payload decode --key k.key --no-canonical s6-nbsp.txt

# --per-token offsets of the canonical text point into the original bytes
"$H" detect --key k.key --scheme kgw --json --per-token s1-homoglyph.txt > pt.json 2>/dev/null
if /usr/bin/python3 - pt.json s1-homoglyph.txt <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); raw = open(sys.argv[2], "rb").read()
t = j["tokens"]; ok = j["canonical"]["fired_test"] == "canonical"
ok = ok and all(0 <= x["start"] <= x["end"] <= len(raw) for x in t)
ok = ok and all(a["start"] <= b["start"] for a, b in zip(t, t[1:]))
ok = ok and t[-1]["end"] in (len(raw), len(raw.rstrip(b"\n")))
sys.exit(0 if ok else 1)
PY
then ok "per-token offsets of the canonical text are offsets into the original text"; else
    notok "per-token offsets" "$(head -c 400 pt.json)"; fi
