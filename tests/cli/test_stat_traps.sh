# The small statistics traps of issue #12 (item 5), through the CLI:
# deduplication off is announced on stderr and in the JSON; nothing that is
# only a statistic is printed as a p-value (window_p, best_uncorrected_p,
# p_fixed are gone); JSON p is never 0 for a p > 0 (null below the normal
# doubles, log10_p authoritative); --localize with several keys corrects
# the choice of key; --eos works on text without --special; per-token u is
# printed exactly; radioactivity refuses engine profiles.
. "$(dirname "$0")/lib.sh"
H=$HALLMARK
cp "$HM_ROOT/tests/vectors/keys/master-insecure.key" "$TMP/k.key"
cp "$HM_ROOT/tests/vectors/keys/derived-insecure.key" "$TMP/k2.key"
yes "the cat sat on the mat and the dog sat on the log." | head -12000 > "$TMP/rep.txt"

$H detect --key "$TMP/k.key" --scheme unigram --dedup none --json "$TMP/rep.txt" >"$TMP/out" 2>"$TMP/err"
expect_grep "dedup none: warning on stderr" "warning: deduplication is off" "$TMP/err"
if [ "$(json_get "$TMP/out" 'j["warnings"][0].startswith("deduplication is off")')" = True ]; then
    ok "dedup none: warning in the JSON"; else notok "dedup none: warning in the JSON" "$(head -c 300 "$TMP/out")"; fi
if [ "$(json_get "$TMP/out" 'j["p"] is None and j["log10_p"] < -308')" = True ]; then
    ok "p below the normal doubles is null, log10_p carries it"; else
    notok "p below 1e-308 is null" "$(json_get "$TMP/out" '(j["p"], j["log10_p"])')"; fi
$H detect --key "$TMP/k.key" --scheme unigram --json "$TMP/rep.txt" >"$TMP/out" 2>"$TMP/err"
expect_no_grep "dedup on: no warning on stderr" "warning" "$TMP/err"
expect_no_grep "dedup on: no warnings field" "\"warnings\"" "$TMP/out"

head -c 6000 "$HM_ROOT/README.md" > "$TMP/doc.txt"
$H detect --key "$TMP/k.key" --key "$TMP/k2.key" --scheme kgw --localize --json "$TMP/doc.txt" >"$TMP/out" 2>"$TMP/err"
if [ "$(json_get "$TMP/out" '"window_p" not in j["span"] and "window_log10_tail" in j["span"] and j["span"]["n_keys"] == 2 and "sidak" in j["span"]["correction"] and "best_uncorrected_p" not in j["family"] and "best_log10_tail" in j["family"]')" = True ]; then
    ok "localize, 2 keys: the span is corrected for the key choice; no window p-value"; else
    notok "localize, 2 keys" "$(head -c 600 "$TMP/out")"; fi

printf 'The quick brown fox jumps over the lazy dog many times today.<|endoftext|>And then more text follows after the end of the document here.' > "$TMP/eos.txt"
$H detect --key "$TMP/k.key" --scheme gumbel --eos 100257 --json "$TMP/eos.txt" >"$TMP/a" 2>/dev/null
$H detect --key "$TMP/k.key" --scheme gumbel --eos 100257 --special --json "$TMP/eos.txt" >"$TMP/b" 2>/dev/null
if [ "$(json_get "$TMP/a" 'int(j["n_after_eos"]) > 0')" = True ] &&
   [ "$(json_get "$TMP/a" '(j["n_scored"], j["n_after_eos"], j["n_tokens"])')" = "$(json_get "$TMP/b" '(j["n_scored"], j["n_after_eos"], j["n_tokens"])')" ]; then
    ok "--eos on text works without --special (as with it)"; else
    notok "--eos on text" "$(head -c 300 "$TMP/a")"; fi

$H detect --key "$TMP/k.key" --scheme gumbel --per-token --json "$TMP/doc.txt" >"$TMP/out" 2>/dev/null
if /usr/bin/python3 - "$TMP/out" <<'PY'
import json, re, sys
raw = open(sys.argv[1]).read()
us = re.findall(r'"u":\s*([0-9.eE+-]+)', raw)
assert us, "no u"
# every u is printed with 17 significant digits (exact round trip of the double)
bad = [u for u in us if len(re.sub(r'[eE].*$', '', u).replace('.', '').lstrip('0')) < 16]
assert len(bad) < len(us) // 20, bad[:5]
PY
then ok "per-token u printed with %.17g"; else notok "per-token u printed with %.17g"; fi

printf '{"prompt":"a b","completion":"hello world again"}\n' > "$TMP/r.jsonl"
expect_status "radioactivity refuses an engine profile (exit 2)" 2 $H radioactivity --key "$TMP/k.key" --scheme vllm --param key=3 "$TMP/r.jsonl"
expect_grep "radioactivity names the supported schemes" "supports kgw, unigram and gumbel" "$TMP/err"
