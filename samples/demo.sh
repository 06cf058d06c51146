#!/usr/bin/env bash
# samples/demo.sh BUILD_DIR - the end-to-end story behind `make demo`:
# was a rival's model distilled from answers collected through our API?
#
#   1. The owner's sample model (KJV n-gram, samples/lm) serves watermarked
#      answers to three developer accounts, each with its own derived key.
#   2. One account (bob) trains a "student" n-gram model on its answers:
#      the distillation.  For comparison, a second student is trained on
#      the same number of unwatermarked answers.
#   3. An auditor prompts both students with held-out prompts and runs
#      `hallmark radioactivity` with bob's key (docs/radioactivity.md).
#   4. The result goes into a signed evidence report (`hallmark report`,
#      verified with `hallmark report verify`), beside the JSON results.
#
# Knobs (environment): DEMO_DIR (default BUILD_DIR/demo), DEMO_PROMPTS (286),
# DEMO_TOKENS (64), DEMO_HELDOUT (200), DEMO_OTHER (40: answers for the
# other accounts).  Exit status 0 when the story comes out as expected
# (distilled student detected, clean student not), 1 otherwise, 2 on errors.
set -euo pipefail
build=${1:?usage: demo.sh BUILD_DIR}
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
HM="$build/hallmark"
GEN="$build/samples/demo-gen"
TRAIN="$build/samples/train-lm"
dir=${DEMO_DIR:-$build/demo}
n_prompts=${DEMO_PROMPTS:-286}
n_tokens=${DEMO_TOKENS:-64}
n_heldout=${DEMO_HELDOUT:-200}
n_other=${DEMO_OTHER:-40}
PY=/usr/bin/python3
# The scheme: KGW with a one-token context (LeftHash), delta 3, gamma 0.25,
# as in Sander et al.'s radioactivity experiments; an order-3 student sees
# the one-token context, so it can learn the bias (docs/radioactivity.md).
SCHEME=(--scheme kgw --param seeding=lefthash --param h=1 --param delta=3 --param gamma=0.25)

for f in "$HM" "$GEN" "$TRAIN"; do
    [ -x "$f" ] || { echo "demo: $f is missing (run make)" >&2; exit 2; }
done
mkdir -p "$dir"
say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
t0=$(date +%s)

step "0. The owner's model"
model="$build/samples/kjv-4.slm"
if [ ! -f "$model" ]; then
    say "Training the sample model (KJV, order 4) on first run..."
    bash "$here/train-sample-model.sh" "$build" "$model" >"$dir/train-model.log" 2>&1 ||
        { echo "demo: could not train the sample model (see $dir/train-model.log)" >&2; exit 2; }
fi
say "Sample model: $model (Kneser-Ney 4-gram over cl100k_base ids, trained on the KJV)."

# Prompts: the first 8 tokens of every 4th training chapter (served); windows
# of the held-out chapters (the auditor's prompts, never served).
awk -v n="$n_prompts" 'NR % 4 == 1 && c < n { k = split($0, a, " "); s = "";
    for (i = 1; i <= 8 && i <= k; i++) s = s (i > 1 ? " " : "") a[i]; print s; c++ }' \
    "$build/samples/kjv-train.ids" > "$dir/prompts.ids"
awk -v n="$n_heldout" '{ k = split($0, a, " ");
    for (o = 1; o + 8 <= k && o < 400 && c < n; o += 60) { s = "";
        for (i = o; i < o + 8; i++) s = s (i > o ? " " : "") a[i]; print s; c++ } }' \
    "$build/samples/kjv-heldout.ids" > "$dir/heldout.ids"
head -n "$n_other" "$dir/prompts.ids" > "$dir/prompts-other.ids"

step "1. Three developer accounts, each with its own derived key"
# DEMO_MASTER_KEY: use this master key file instead of a fresh one (the
# smoke test passes a fixed key so that its run, and its figures, repeat).
if [ -n "${DEMO_MASTER_KEY:-}" ]; then
    cp "$DEMO_MASTER_KEY" "$dir/master.key"
else
    "$HM" key new --out "$dir/master.key" --insecure-no-passphrase --force >/dev/null 2>&1
fi
for a in alice bob carol; do
    "$HM" key derive "$dir/master.key" --tenant "$a" --out "$dir/$a.key" \
        --insecure-no-passphrase --force >/dev/null 2>&1
    say "  account $a: key $("$HM" key info "$dir/$a.key" --json 2>/dev/null |
        $PY -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')"
done
say "The API answers with the sample model, watermarked with the account's key."
"$GEN" --model "$model" --key "$dir/alice.key" "${SCHEME[@]}" -n "$n_tokens" --seed 1 \
    "$dir/prompts-other.ids" > "$dir/answers-alice.jsonl"
"$GEN" --model "$model" --key "$dir/carol.key" "${SCHEME[@]}" -n "$n_tokens" --seed 3 \
    "$dir/prompts-other.ids" > "$dir/answers-carol.jsonl"
"$GEN" --model "$model" --key "$dir/bob.key" "${SCHEME[@]}" -n "$n_tokens" --seed 2 \
    "$dir/prompts.ids" > "$dir/answers-bob.jsonl"
say "  alice: $(wc -l < "$dir/answers-alice.jsonl") answers, carol: $(wc -l < "$dir/answers-carol.jsonl") answers, bob: $(wc -l < "$dir/answers-bob.jsonl") answers ($n_tokens tokens at most each)"
first=$($PY -c 'import json,sys; print(" ".join(map(str, json.loads(open(sys.argv[1]).readline())["completion"])))' "$dir/answers-bob.jsonl")
say "  e.g. bob gets: \"$(printf '%s' "$first" | "$HM" detokenize --tokenizer cl100k_base 2>/dev/null | cut -c1-150)...\""

step "2. Bob distills a student model from his answers"
to_train() { $PY -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l); print(" ".join(map(str, d["prompt"] + d["completion"])))' "$1"; }
to_train "$dir/answers-bob.jsonl" > "$dir/student-bob.train.ids"
"$TRAIN" --order 3 --quiet --out "$dir/student-bob.slm" "$dir/student-bob.train.ids"
say "  student-bob: order-3 n-gram trained on bob's $(wc -l < "$dir/answers-bob.jsonl") answers"
"$GEN" --model "$model" --no-watermark -n "$n_tokens" --seed 4 "$dir/prompts.ids" > "$dir/answers-clean.jsonl"
to_train "$dir/answers-clean.jsonl" > "$dir/student-clean.train.ids"
"$TRAIN" --order 3 --quiet --out "$dir/student-clean.slm" "$dir/student-clean.train.ids"
say "  student-clean: the same recipe on as many unwatermarked answers (the control)"

step "3. The auditor prompts the students and tests for radioactivity"
"$GEN" --model "$dir/student-bob.slm" --no-watermark -n 48 --seed 11 "$dir/heldout.ids" > "$dir/suspect-bob.jsonl"
"$GEN" --model "$dir/student-clean.slm" --no-watermark -n 48 --seed 11 "$dir/heldout.ids" > "$dir/suspect-clean.jsonl"
say "  $(wc -l < "$dir/heldout.ids") held-out prompts, up to 48 tokens per answer, for each student"
mkdir -p "$dir/evidence"
rc_bob=0; rc_clean=0; rc_alice=0
"$HM" radioactivity --key "$dir/bob.key" "${SCHEME[@]}" --json "$dir/suspect-bob.jsonl" \
    > "$dir/evidence/student-bob.json" || rc_bob=$?
"$HM" radioactivity --key "$dir/bob.key" "${SCHEME[@]}" --json "$dir/suspect-clean.jsonl" \
    > "$dir/evidence/student-clean.json" || rc_clean=$?
"$HM" radioactivity --key "$dir/alice.key" "${SCHEME[@]}" --json "$dir/suspect-bob.jsonl" \
    > "$dir/evidence/student-bob-vs-alice.json" || rc_alice=$?
[ "$rc_bob" -le 1 ] && [ "$rc_clean" -le 1 ] && [ "$rc_alice" -le 1 ] ||
    { echo "demo: hallmark radioactivity failed" >&2; exit 2; }
report() { $PY - "$@" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
print("  %-34s %s unique tuples tested (%s excluded: context in a prompt)" %
      (sys.argv[2], j["n_tested"], j["n_excluded_prompt"]))
print("  %-34s our key:     green rate %.3f (expected 0.25)  p = %s  -> %s" %
      ("", j["main"]["mean_score"], j["main"]["p_text"], "DETECTED" if j["detected"] else "not detected"))
print("  %-34s control key: green rate %.3f                  p = %s" %
      ("", j["control"]["mean_score"], j["control"]["p_text"]))
EOF
}
report "$dir/evidence/student-bob.json" "student-bob, bob's key:"
report "$dir/evidence/student-clean.json" "student-clean, bob's key:"
report "$dir/evidence/student-bob-vs-alice.json" "student-bob, alice's key:"

step "4. Evidence"
"$HM" key new-signing --out "$dir/owner-signing" --insecure-no-passphrase --force >/dev/null 2>&1
rm -rf "$dir/evidence/report-student-bob"
if "$HM" report --result "$dir/evidence/student-bob.json" --sign "$dir/owner-signing" \
        --input "$dir/suspect-bob.jsonl" --key "$dir/bob.key" \
        --out "$dir/evidence/report-student-bob" >"$dir/report.log" 2>&1 &&
   "$HM" report verify "$dir/evidence/report-student-bob" --pubkey "$dir/owner-signing.pub" \
        --input "$dir/suspect-bob.jsonl" --key "$dir/bob.key" >"$dir/report-verify.log" 2>&1; then
    say "  Signed evidence report: $dir/evidence/report-student-bob/"
    say "    report.json (+ report.json.sig, Ed25519 by the owner's signing key $("$HM" key info "$dir/owner-signing.pub" --json 2>/dev/null |
        $PY -c 'import json,sys; print(json.load(sys.stdin)["key_id"])' 2>/dev/null)) and report.html"
    say "    'hallmark report verify --key': $(grep -E '^(REPRODUCED|DIFFERENCES)' "$dir/report-verify.log" | head -1), $(tail -1 "$dir/report-verify.log")"
    $PY -c 'import json, sys, textwrap
print(textwrap.fill(json.load(open(sys.argv[1]))["conclusion"]["sentence"], 78,
                    initial_indent="    In words: ", subsequent_indent="      "))' \
        "$dir/evidence/report-student-bob/report.json" 2>/dev/null
else
    say "  (no signed report: 'hallmark report' failed, see $dir/report.log; the JSON"
    say "  results in $dir/evidence/ are the evidence)"
fi
say "  JSON results of every test in $dir/evidence/*.json (scheme, parameters, key ids,"
say "  counts, exact p-values for our key and the control key)."
say "  Finished in $(( $(date +%s) - t0 )) s."
if [ "$rc_bob" -eq 0 ] && [ "$rc_clean" -eq 1 ] && [ "$rc_alice" -eq 1 ]; then
    say "  Verdict: the student distilled from bob's answers is radioactive for bob's key;"
    say "  the clean student is not, and alice's key does not implicate it."
    exit 0
fi
say "  Unexpected outcome (see the figures above)."
exit 1
