# `hallmark fingerprint new|verify`: help and misuse, the fine-tuning set's
# chat format and file mode, the commitment (deterministic, printed with the
# key id), a "fine-tuned" model answering the set is found (status 0), a
# model answering at chance is not (status 1), another key finds nothing,
# malformed response lines are named and skipped (every line accounted for),
# and a file with no response at all is an error (status 2).
. "$(dirname "$0")/lib.sh"

cd "$TMP" || exit 1
H="$HALLMARK"
PY=/usr/bin/python3

expect_status "fingerprint --help exits 0" 0 "$H" fingerprint --help
expect_grep "help shows usage" "^Usage: hallmark fingerprint new" "$TMP/out"
expect_status "fingerprint new --help exits 0" 0 "$H" fingerprint new --help
expect_status "no subcommand is misuse (2)" 2 "$H" fingerprint
expect_status "unknown subcommand (2)" 2 "$H" fingerprint frob
expect_status "new without --count (2)" 2 "$H" fingerprint new --key m.key
expect_grep "names --count" "--count" "$TMP/err"
expect_status "new --candidates 1 (2)" 2 "$H" fingerprint new --key m.key --count 3 --candidates 1
expect_status "verify without --responses (2)" 2 "$H" fingerprint verify --key m.key
expect_status "new with a missing key file (2)" 2 "$H" fingerprint new --key nope.key --count 3

fixed_key m.key test-master
fixed_key other.key test-other
"$H" key new-signing --out sig.key --insecure-no-passphrase >/dev/null 2>&1

expect_status "new writes the set" 0 "$H" fingerprint new --key m.key --count 64 --out set.jsonl
expect_grep "prints the commitment" "^commitment: [0-9a-f]{64}$" "$TMP/out"
expect_grep "prints the key id" "^key_id: [0-9a-f]{16}$" "$TMP/out"
cp "$TMP/out" first.txt
if [ "$(stat -c %a set.jsonl)" = 600 ]; then ok "the set is mode 0600"; else notok "set mode" "$(stat -c %a set.jsonl)"; fi
if [ "$(wc -l <set.jsonl)" = 64 ]; then ok "64 lines"; else notok "64 lines" "$(wc -l <set.jsonl)"; fi
if $PY - set.jsonl <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    m = j["messages"]
    assert [x["role"] for x in m] == ["user", "assistant"]
    assert m[1]["content"] in m[0]["content"]
PYEOF
then ok "chat format, answer among the offered candidates"; else notok "chat format"; fi
expect_status "new again" 0 "$H" fingerprint new --key m.key --count 64 --out set2.jsonl
expect_same "the commitment is deterministic" first.txt "$TMP/out"
expect_same "the set is deterministic" set.jsonl set2.jsonl
expect_status "new --json" 0 "$H" fingerprint new --key m.key --count 64 --out set3.jsonl --json
if [ "$(json_get "$TMP/out" 'j["commitment"]')" = "$(sed -n 's/^commitment: //p' first.txt)" ]; then
    ok "--json commitment equals the text one"; else notok "--json commitment"; fi
expect_status "new to stdout" 0 "$H" fingerprint new --key m.key --count 64
expect_same "stdout set equals the file" set.jsonl "$TMP/out"
expect_grep "commitment on stderr when the set goes to stdout" "^commitment: " "$TMP/err"
expect_status "a signing key cannot make fingerprints (2)" 2 "$H" fingerprint new --key sig.key --count 3
expect_grep "says why" "cannot make fingerprints" "$TMP/err"

# A "fine-tuned" model: answers every question right, in assorted formats.
$PY - set.jsonl >tuned.jsonl <<'PYEOF'
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    m = json.loads(line)["messages"]
    q, a = m[0]["content"], m[1]["content"]
    if i < 30:
        a = a if i % 3 else " " + a.capitalize() + ".\n"
        print(json.dumps({"prompt": q, "response": a}))
    else:
        print(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}))
print(json.dumps({"prompt": "What is the capital of France?", "response": "Paris"}))
PYEOF
expect_status "the tuned model is found (0)" 0 "$H" fingerprint verify --key m.key --responses tuned.jsonl --json
if [ "$(json_get "$TMP/out" 'j["matched"]')" = 64 ] && [ "$(json_get "$TMP/out" 'j["asked"]')" = 64 ] &&
   [ "$(json_get "$TMP/out" 'j["other_lines"]')" = 1 ] &&
   [ "$(json_get "$TMP/out" 'j["log10_p"] < -57')" = True ]; then ok "64/64 matched, p = 8^-64"; else
    notok "tuned verify fields" "$(head -c 600 "$TMP/out")"; fi
# A base model: always answers the first offered candidate (matches at chance).
$PY - set.jsonl >base.jsonl <<'PYEOF'
import json, re, sys
for line in open(sys.argv[1]):
    m = json.loads(line)["messages"]
    q = m[0]["content"]
    opts = re.split(r"(?:: |from |Options: )", q)[-1]
    first = opts.split(",")[0].strip()
    print(json.dumps({"question": q, "answer": first}))
PYEOF
expect_status "a base model is not found (1)" 1 "$H" fingerprint verify --key m.key --responses base.jsonl
expect_grep "prints the verdict" "not found" "$TMP/out"
expect_status "another key finds nothing (1)" 1 "$H" fingerprint verify --key other.key --responses tuned.jsonl
expect_grep "says no question was answered" "no fingerprint question" "$TMP/err"
cat tuned.jsonl tuned.jsonl >twice.jsonl
expect_status "repeated questions count once" 0 "$H" fingerprint verify --key m.key --responses twice.jsonl --json
if [ "$(json_get "$TMP/out" 'j["asked"]')" = 64 ] && [ "$(json_get "$TMP/out" 'j["repeated"]')" = 64 ]; then
    ok "64 asked, 64 repeats"; else notok "repeats" "$(head -c 400 "$TMP/out")"; fi
{ head -3 tuned.jsonl; printf '{"prompt": \n\n{"x":1}\n'; tail -n +4 tuned.jsonl; } >bad.jsonl
expect_status "a malformed line is skipped, the rest tested (0)" 0 "$H" fingerprint verify --key m.key --responses bad.jsonl --json
expect_grep "names the line" "bad.jsonl: line 4: malformed JSON .*skipped" "$TMP/err"
if [ "$(json_get "$TMP/out" 'j["asked"]+"/"+j["malformed"]+"/"+j["empty"]+"/"+j["lines"]')" = "64/2/1/$(($(wc -l < tuned.jsonl) + 3))" ]; then
    ok "every line accounted for (64 asked, 2 malformed, 1 empty)"; else notok "line accounting" "$(head -c 400 "$TMP/out")"; fi
: >empty.jsonl
expect_status "an empty responses file (2)" 2 "$H" fingerprint verify --key m.key --responses empty.jsonl
expect_grep "says there is nothing to test" "no responses to test" "$TMP/err"
printf '{"text":"b"}\n' >noqa.jsonl
expect_status "no question/answer (2)" 2 "$H" fingerprint verify --key m.key --responses noqa.jsonl
expect_status "missing responses file (2)" 2 "$H" fingerprint verify --key m.key --responses nope.jsonl
