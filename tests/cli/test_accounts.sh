# scan and radioactivity over every account of a master key in one pass
# (--master FILE --accounts FILE), the note when a master key is used
# alone, and account names in the results (issue 13).
. "$(dirname "$0")/lib.sh"

cd "$TMP" || exit 1
H="$HALLMARK"
MODEL="$HM_BUILD/samples/kjv-4.slm"
fixed_key owner.key test-accounts-owner
printf 'alice@example.com\n# a comment\n\nbob\ncarol "the third"\n' >accounts.txt
printf 'alice\nbob\nalice\n' >dup.txt

# misuse
printf '{"text":"hello"}\n' >tiny.jsonl
expect_status "scan: --master without --accounts (2)" 2 "$H" scan --master owner.key --scheme kgw --out r.jsonl tiny.jsonl
expect_status "scan: --key and --master (2)" 2 "$H" scan --key owner.key --master owner.key --accounts accounts.txt --scheme kgw --out r.jsonl tiny.jsonl
expect_status "scan: --shard with --accounts (2)" 2 "$H" scan --master owner.key --accounts accounts.txt --scheme kgw --shard 0/2 --out r.jsonl tiny.jsonl
expect_status "scan: duplicate account (2)" 2 "$H" scan --master owner.key --accounts dup.txt --scheme kgw --out r.jsonl tiny.jsonl
expect_grep "names the line of the duplicate" "dup.txt:3: duplicate account 'alice'" "$TMP/err"
"$H" key derive owner.key --tenant alice@example.com --out alice.key --insecure-no-passphrase >/dev/null 2>&1
expect_status "scan: a derived key as --master (2)" 2 "$H" scan --master alice.key --accounts accounts.txt --scheme kgw --out r.jsonl tiny.jsonl
expect_grep "says it is not a master key" "not a master key" "$TMP/err"
expect_status "radioactivity: --accounts without --master (2)" 2 "$H" radioactivity --accounts accounts.txt --scheme kgw tiny.jsonl
expect_status "radioactivity: --shard with --accounts (2)" 2 "$H" radioactivity --master owner.key --accounts accounts.txt --scheme kgw --shard 0/2 tiny.jsonl

if [ ! -f "$MODEL" ]; then
    # trained on first use (a clean clone runs this suite before test_demo)
    bash "$HM_ROOT/samples/train-sample-model.sh" "$HM_BUILD" "$MODEL" >/dev/null 2>&1 ||
        { ok "sample-model checks skipped (no model) # skip"; exit 0; }
fi
"$H" key derive owner.key --tenant bob --out bob.key --insecure-no-passphrase >/dev/null 2>&1
# bob's served text (6 answers) among human text
for s in 1 2 3 4 5 6; do
    "$H" generate --model "$MODEL" --key bob.key --scheme kgw --prompt "And God said" -n 150 --seed $s --json 2>/dev/null
done | /usr/bin/python3 -c '
import json, sys
for l in sys.stdin.read().split("\n}\n"):
    l = l.strip()
    if not l: continue
    j = json.loads(l if l.endswith("}") else l + "}")
    print(json.dumps({"prompt": "And God said", "completion": j["completion"]}))
' >outputs.jsonl
/usr/bin/python3 - "$HM_ROOT" <<'PY' >corpus.jsonl
import json, sys
for l in open("outputs.jsonl"):
    print(json.dumps({"id": "bob-%d" % len(l), "text": json.loads(l)["completion"]}))
n = 0
for l in open(sys.argv[1] + "/tests/data/devil.txt", encoding="utf-8"):
    l = l.strip()
    if len(l) > 60 and n < 40:
        print(json.dumps({"text": l})); n += 1
PY
if [ "$(wc -l <outputs.jsonl)" -eq 6 ]; then ok "6 served answers"; else notok "served answers" "$(head -c 300 outputs.jsonl)"; fi

# the README's scan example with the master key alone: blind, and says so
expect_status "scan --key owner.key: blind to derived-key text (1)" 1 "$H" scan --key owner.key --scheme kgw --tokenizer cl100k_base --fdr 0.01 --out r1.jsonl corpus.jsonl
expect_grep "the master-key note" "note: owner.key is a master key: text served under keys derived from it" "$TMP/err"
expect_grep "points to --master --accounts" "hallmark scan --master owner.key --accounts" "$TMP/err"
# the README's example as it now reads: every account in one pass
expect_status "scan --master --accounts finds bob's text (0)" 0 "$H" scan --master owner.key --accounts accounts.txt --scheme kgw --tokenizer cl100k_base --fdr 0.01 --out r2.jsonl --json corpus.jsonl
if [ "$(json_get "$TMP/out" 'j["flagged"] == "6" and j["n_accounts"] == "3" and [a["account"] for a in j["accounts"] if a["fired"]] == ["bob"] and j["corpus"]["account"] == "bob" and "Bonferroni" in j["document_correction"] and "Holm" in j["corpus_correction"]')" = True ]; then
    ok "6 flagged, only bob fired, corrections stated"; else notok "accounts summary" "$(head -c 900 "$TMP/out")"; fi
if /usr/bin/python3 - <<'PY'
import json
recs = [json.loads(l) for l in open("r2.jsonl")][:-1]
flagged = [r for r in recs if r["flag"]]
assert len(flagged) == 6, len(flagged)
assert all(r["account"] == "bob" for r in flagged)
assert all(r["log10_p"] >= r["account_log10_p"] for r in recs)
assert any(r["account"] == 'carol "the third"' for r in recs)
PY
then ok "records: every flagged document names bob; corrected p >= own p; names JSON-escaped"; else notok "records" "$(head -c 600 r2.jsonl)"; fi
expect_status "scan --master --accounts, text output (0)" 0 "$H" scan --master owner.key --accounts accounts.txt --scheme kgw --out r3.jsonl corpus.jsonl
expect_grep "text names the fired account" "FIRED bob" "$TMP/out"
expect_grep "text states the correction" "Bonferroni" "$TMP/out"

# radioactivity over every account in one pass
expect_status "radioactivity --master --accounts (0)" 0 "$H" radioactivity --master owner.key --accounts accounts.txt --scheme kgw --json outputs.jsonl
if [ "$(json_get "$TMP/out" 'j["type"] == "radioactivity-accounts" and j["fired"] == ["bob"] and j["verdict"] == "one" and "Holm" in j["correction"] and len(j["accounts"]) == 3 and all("account" in a and "p_holm" in a for a in j["accounts"])')" = True ]; then
    ok "radioactivity: only bob fired, Holm stated"; else notok "radioactivity accounts" "$(head -c 900 "$TMP/out")"; fi
expect_status "radioactivity --key owner.key: blind (1)" 1 "$H" radioactivity --key owner.key --scheme kgw outputs.jsonl
expect_grep "radioactivity: the master-key note" "invisible to this test" "$TMP/err"
grep -v '"id": "bob-' corpus.jsonl >human.jsonl
expect_status "radioactivity: human text, no account fires (1)" 1 "$H" radioactivity --master owner.key --accounts accounts.txt --scheme kgw --completion-field text human.jsonl
expect_status "scan: human text, nothing flagged (1)" 1 "$H" scan --master owner.key --accounts accounts.txt --scheme kgw --out r4.jsonl human.jsonl
