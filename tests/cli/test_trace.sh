# `hallmark trace`: help and misuse (status 2 with a message), bad account
# lists and suspect files, plain text fires no account (status 1), a text
# generated with one account's derived key fires exactly that account
# (status 0, JSON verdict "one"), and two leakers give "several".
. "$(dirname "$0")/lib.sh"

cd "$TMP" || exit 1
H="$HALLMARK"
MODEL="$HM_BUILD/samples/kjv-4.slm"

expect_status "trace --help exits 0" 0 "$H" trace --help
expect_grep "trace --help shows usage" "^Usage: hallmark trace" "$TMP/out"
expect_status "trace without --master is misuse" 2 "$H" trace --accounts a.txt s.jsonl
expect_grep "names the missing --master" "--master" "$TMP/err"
expect_status "trace with a bad --alpha is misuse" 2 "$H" trace --master m.key --accounts a.txt --alpha 2 s.jsonl
expect_status "trace unknown option is misuse" 2 "$H" trace --frob

fixed_key m.key test-master
fixed_key other.key test-other
for i in $(seq 0 299); do printf 'acct-%03d\n' "$i"; done >accounts.txt
"$H" key derive m.key --tenant acct-007 --out a7.key --insecure-no-passphrase >/dev/null 2>&1

# Plain documents as id arrays (no tokenizer needed).
awk 'BEGIN { srand(3); for (d = 0; d < 4; d++) { s = ""; for (i = 0; i < 300; i++)
       s = s (i ? "," : "") int(rand() * 5000); print "{\"text\":[" s "]}" } }' >plain.jsonl

expect_status "plain text: no account fires (1)" 1 "$H" trace --master m.key --accounts accounts.txt plain.jsonl
expect_grep "plain text: verdict none" "no account fired" "$TMP/out"
expect_status "plain text --json (1)" 1 "$H" trace --master m.key --accounts accounts.txt --json plain.jsonl
if [ "$(json_get "$TMP/out" 'j["verdict"]')" = none ] &&
   [ "$(json_get "$TMP/out" 'j["n_accounts"]')" = 300 ] &&
   [ "$(json_get "$TMP/out" 'len(j["top"])')" = 5 ]; then ok "plain --json: verdict none, 300 accounts, top 5"; else
    notok "plain --json fields" "$(head -c 400 "$TMP/out")"; fi

expect_status "a derived key is not a master (2)" 2 "$H" trace --master a7.key --accounts accounts.txt plain.jsonl
expect_grep "says it needs the master" "not a master key" "$TMP/err"
printf 'a\nb\na\n' >dup.txt
expect_status "duplicate account (2)" 2 "$H" trace --master m.key --accounts dup.txt plain.jsonl
expect_grep "names the duplicate and line" "dup.txt:3: duplicate account 'a'" "$TMP/err"
printf 'ok\nbad\001name\n' >ctl.txt
expect_status "control character in an account (2)" 2 "$H" trace --master m.key --accounts ctl.txt plain.jsonl
expect_grep "names the line of the bad account" "ctl.txt:2:" "$TMP/err"
printf '# only a comment\n\n' >empty.txt
expect_status "no accounts (2)" 2 "$H" trace --master m.key --accounts empty.txt plain.jsonl
printf '{"text":[1,2,3]}\n{"text": [1,2\n\n{"text":[4,-5]}\n{"other":1}\n{"text":[6,7]}\n' >bad.jsonl
expect_status "malformed lines are skipped, the rest traced (1)" 1 "$H" trace --master m.key --accounts accounts.txt --json bad.jsonl
expect_grep "names the malformed line" "bad.jsonl: line 2: malformed JSON .*skipped" "$TMP/err"
expect_grep "names the bad ids" "bad.jsonl: line 4: .*token ids .*skipped" "$TMP/err"
if [ "$(json_get "$TMP/out" 'j["lines"]+"/"+j["empty"]+"/"+j["malformed"]+"/"+j["n_documents"]')" = 6/1/3/2 ]; then
    ok "every line accounted for (6 lines: 1 empty, 3 malformed, 2 documents)"; else notok "line accounting" "$(head -c 300 "$TMP/out")"; fi
printf '{"body":"x"}\n' >nofield.jsonl
expect_status "missing field (2)" 2 "$H" trace --master m.key --accounts accounts.txt nofield.jsonl
expect_grep "names the missing field" 'no field "text"' "$TMP/err"
printf '{"text":[1,-2]}\n' >neg.jsonl
expect_status "negative id (2)" 2 "$H" trace --master m.key --accounts accounts.txt neg.jsonl
expect_status "missing suspect file (2)" 2 "$H" trace --master m.key --accounts accounts.txt nope.jsonl
expect_status "unknown scheme (2)" 2 "$H" trace --master m.key --accounts accounts.txt --scheme frob plain.jsonl
expect_status "unknown parameter (2)" 2 "$H" trace --master m.key --accounts accounts.txt --param frob=1 plain.jsonl
expect_grep "names the parameter" "frob=1" "$TMP/err"

# Generated text needs the sample model and the tokenizer.
if [ -f "$MODEL" ] && "$H" tokenize --tokenizer cl100k_base </dev/null >/dev/null 2>&1; then
    "$H" key derive m.key --tenant acct-123 --out a123.key --insecure-no-passphrase >/dev/null 2>&1
    printf 'And God said\nIn the beginning\nAnd it came to pass\nThe LORD is my shepherd\n' >prompts.txt
    "$H" generate --model "$MODEL" --key a7.key --scheme kgw --prompts prompts.txt -n 200 --seed 8 >p7.jsonl 2>/dev/null
    "$H" generate --model "$MODEL" --key a123.key --scheme kgw --prompts prompts.txt -n 200 --seed 9 >p123.jsonl 2>/dev/null
    /usr/bin/python3 -c 'import json,sys; [print(json.dumps({"text": json.loads(l)["completion"]})) for l in open(sys.argv[1])]' p7.jsonl >leak.jsonl
    /usr/bin/python3 -c 'import json,sys; print("\n".join(json.loads(l)["completion"] for l in open(sys.argv[1])))' p7.jsonl >g7.txt
    expect_status "one leaker fires (0)" 0 "$H" trace --master m.key --accounts accounts.txt --json leak.jsonl
    if [ "$(json_get "$TMP/out" 'j["verdict"]')" = one ] &&
       [ "$(json_get "$TMP/out" 'j["fired"][0]["account"]')" = acct-007 ] &&
       [ "$(json_get "$TMP/out" 'j["exactly_one"]')" = True ]; then ok "exactly acct-007 fired"; else
        notok "exactly acct-007 fired" "$(head -c 600 "$TMP/out")"; fi
    cat p7.jsonl p123.jsonl >two.jsonl
    expect_status "two leakers fire (0)" 0 "$H" trace --master m.key --accounts accounts.txt --field completion two.jsonl
    expect_grep "two leakers: several" "2 accounts fired \(several\)" "$TMP/out"
    expect_status "--text reads one plain document (0)" 0 "$H" trace --master m.key --accounts accounts.txt --text g7.txt
    expect_grep "--text: acct-007 fired" "FIRED acct-007" "$TMP/out"
    expect_status "another master fires nothing (1)" 1 "$H" trace --master other.key --accounts accounts.txt leak.jsonl
    expect_status "another epoch fires nothing (1)" 1 "$H" trace --master m.key --epoch 1 --accounts accounts.txt leak.jsonl
else
    ok "generated-text checks skipped (no sample model or tokenizer) # skip"
fi
