# hallmark attack: help lists every type, determinism with --seed, rates,
# bad input, and that the scrubs change no word once canonicalized.
. "$(dirname "$0")/lib.sh"
H=$HALLMARK
cd "$TMP" || exit 2
expect_status "attack --help exits 0" 0 "$H" attack --help
for t in delete substitute insert swap typo copy-paste truncate case punctuation nbsp unicode-spaces \
         double-space line-breaks zero-width soft-hyphen format homoglyph fullwidth combining; do
    expect_grep "--help lists $t" "^  $t " out
done
expect_status "no --type: exit 2" 2 "$H" attack /dev/null
expect_status "unknown type: exit 2" 2 "$H" attack --type melt /dev/null
expect_status "rate out of range: exit 2" 2 "$H" attack --type delete --rate 1.5 /dev/null
expect_status "copy-paste without --human: exit 2" 2 "$H" attack --type copy-paste /dev/null
expect_status "missing file: exit 2" 2 "$H" attack --type delete no-such-file
printf 'In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness was upon the face of the deep.\n' > t.txt
for t in delete substitute insert swap typo truncate case punctuation homoglyph zero-width; do
    "$H" attack --type $t --seed 5 t.txt > a1 2>/dev/null
    "$H" attack --type $t --seed 5 t.txt > a2 2>/dev/null
    "$H" attack --type $t --seed 6 t.txt > a3 2>/dev/null
    if cmp -s a1 a2 && ! cmp -s a1 t.txt; then ok "$t: deterministic with --seed, and changes the text"; else
        notok "$t: deterministic" "$(cat a1)"; fi
done
"$H" attack --type delete --rate 0.5 t.txt > d.txt
if [ "$(wc -w < d.txt)" -eq 13 ]; then ok "delete 0.5: 13 of the 27 words remain"; else notok "delete 0.5" "$(cat d.txt)"; fi
"$H" attack --type truncate --rate 0.25 t.txt > tr.txt
if [ "$(wc -w < tr.txt)" -eq 7 ]; then ok "truncate 0.25 keeps the first quarter"; else notok "truncate" "$(cat tr.txt)"; fi
"$H" attack --type delete --rate 0 t.txt > z.txt
expect_same "rate 0 leaves the text alone" t.txt z.txt
if [ -r /usr/share/wordnet/data.noun ]; then
    "$H" attack --type substitute --rate 1 --seed 2 t.txt > s.txt
    if [ "$(wc -w < s.txt)" -eq 27 ] && ! cmp -s s.txt t.txt; then ok "substitute keeps the word count"; else
        notok "substitute" "$(cat s.txt)"; fi
fi
yes 'the quick brown fox jumps over the lazy dog' | head -100 > human.txt
"$H" attack --type copy-paste --rate 0.1 --seed 3 --human human.txt t.txt > cp.txt
n=$(wc -w < cp.txt)
if [ "$n" -ge 265 ] && [ "$n" -le 275 ] && grep -q "God created the heaven" cp.txt; then
    ok "copy-paste 10%: the text is a tenth of the document"; else notok "copy-paste" "$n words"; fi
# every scrub is undone by the canonical text: same token ids
"$H" tokenize t.txt > ids0 2>/dev/null
for t in nbsp unicode-spaces double-space zero-width soft-hyphen format homoglyph fullwidth combining; do
    "$H" attack --type $t --seed 9 t.txt > sc.txt
    "$H" detect --scheme kgw --key "$HM_ROOT/tests/vectors/keys/master-insecure.key" --json --per-token sc.txt > det.json 2>/dev/null
    if json_get det.json "j['canonical']['fired_test'] in ('canonical','given') and j['canonical']['changed'] == True" | grep -q True; then
        ok "$t: the canonical step reports a change"; else notok "$t: canonical change" "$(head -c 300 det.json)"; fi
done
