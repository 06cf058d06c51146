# `hallmark bench payload` and the "mpac" scheme through the CLI: help and
# misuse, and (with the sample model) a short run whose JSON has
# success_rate, bit_accuracy and the curve.
. "$(dirname "$0")/lib.sh"

cd "$TMP" || exit 1
H="$HALLMARK"
MODEL="$HM_BUILD/samples/kjv-4.slm"

expect_status "bench payload --help exits 0" 0 "$H" bench payload --help
expect_grep "help shows usage" "^Usage: hallmark bench payload" "$TMP/out"
expect_status "--bits 65 is misuse (2)" 2 "$H" bench payload --bits 65
expect_status "--tokens abc is misuse (2)" 2 "$H" bench payload --tokens abc
expect_status "--param payload= is refused (2)" 2 "$H" bench payload --param payload=3
expect_status "a missing model is an error (2)" 2 "$H" bench payload --model nope.slm --trials 1
expect_grep "names the model" "nope.slm" "$TMP/err"
expect_status "bench list shows payload" 0 "$H" bench --help
expect_grep "bench --help lists payload" "payload" "$TMP/out"

if [ -f "$MODEL" ]; then
    expect_status "a short payload bench runs" 0 "$H" bench payload --model "$MODEL" --bits 16 --tokens 160 --trials 3 --json
    if [ "$(json_get "$TMP/out" '0 <= j["success_rate"] <= 1 and 0 <= j["bit_accuracy"] <= 1 and len(j["curve"]) == 8')" = True ]; then
        ok "JSON has success_rate, bit_accuracy and an 8-point curve"; else notok "bench JSON" "$(head -c 400 "$TMP/out")"; fi
    if [ "$(json_get "$TMP/out" 'j["bit_accuracy"] > 0.9')" = True ]; then
        ok "16-bit payloads are decoded from 160 tokens"; else notok "bit accuracy" "$(head -c 400 "$TMP/out")"; fi
else
    ok "sample-model checks skipped (no model) # skip"
fi
