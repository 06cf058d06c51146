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

expect_status "payload --help exits 0" 0 "$H" payload --help
expect_grep "payload --help shows decode" "payload decode" "$TMP/out"
expect_status "payload without subcommand (2)" 2 "$H" payload
expect_status "payload decode without --key (2)" 2 "$H" payload decode x.ids
fixed_key m.key test-master
fixed_key other.key test-other
printf '1 2 x\n' >bad.ids
expect_status "payload decode: malformed ids (2)" 2 "$H" payload decode --key m.key --ids bad.ids
expect_grep "says they are not ids" "not a list of token ids" "$TMP/err"
expect_status "payload decode: unknown parameter (2)" 2 "$H" payload decode --key m.key --param frob=1 --ids bad.ids
expect_grep "names the parameter" "frob=1" "$TMP/err"
awk 'BEGIN { srand(5); s = ""; for (i = 0; i < 400; i++) s = s (i ? " " : "") int(rand() * 50000); print s }' >plain.ids
expect_status "payload decode: plain ids carry no payload (1)" 1 "$H" payload decode --key m.key --ids plain.ids
expect_grep "says none found" "no payload found" "$TMP/out"

if [ -f "$MODEL" ]; then
    "$H" generate --model "$MODEL" --key m.key --scheme mpac --param payload=0xC0FFEE42 \
        --prompt "And God said" -n 400 --seed 2 --json >gen.json 2>/dev/null
    /usr/bin/python3 -c 'import json,sys; print(" ".join(map(str, json.load(open(sys.argv[1]))["ids"])))' gen.json >gen.ids
    expect_status "payload decode finds the payload (0)" 0 "$H" payload decode --key m.key --ids --json gen.ids
    if [ "$(json_get "$TMP/out" 'j["payload_hex"]')" = 0xc0ffee42 ] &&
       [ "$(json_get "$TMP/out" 'j["log10_p"] < -6 and j["payload"] == "3237998146"')" = True ]; then
        ok "decoded 0xc0ffee42 with p < 1e-6"; else notok "decoded payload" "$(head -c 500 "$TMP/out")"; fi
    expect_status "another key finds no payload (1)" 1 "$H" payload decode --key other.key --ids gen.ids
    expect_status "detect tests the known payload (0)" 0 "$H" detect --key m.key --scheme mpac --param payload=0xC0FFEE42 --ids gen.ids
    expect_status "detect with the complementary payload does not fire (1)" 1 "$H" detect --key m.key --scheme mpac --param payload=0x3F0011BD --ids gen.ids

    expect_status "a short payload bench runs" 0 "$H" bench payload --model "$MODEL" --bits 16 --tokens 160 --trials 3 --json
    if [ "$(json_get "$TMP/out" '0 <= j["success_rate"] <= 1 and 0 <= j["bit_accuracy"] <= 1 and len(j["curve"]) == 8')" = True ]; then
        ok "JSON has success_rate, bit_accuracy and an 8-point curve"; else notok "bench JSON" "$(head -c 400 "$TMP/out")"; fi
    if [ "$(json_get "$TMP/out" 'j["bit_accuracy"] > 0.9')" = True ]; then
        ok "16-bit payloads are decoded from 160 tokens"; else notok "bit accuracy" "$(head -c 400 "$TMP/out")"; fi
else
    ok "sample-model checks skipped (no model) # skip"
fi
