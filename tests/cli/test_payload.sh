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
expect_grep "says no watermark" "no watermark of this key found" "$TMP/out"
expect_status "payload decode --json on plain ids (1)" 1 "$H" payload decode --key m.key --ids --json plain.ids
if [ "$(json_get "$TMP/out" 'j["outcome"] == "no_watermark" and j["found"] is False and j["payload"] is None and 0 < j["watermark_p"] <= 1 and j["payload_p"] == 1 or j["check_ok"]')" = True ]; then
    ok "JSON: outcome no_watermark, no payload named"; else notok "plain JSON" "$(head -c 600 "$TMP/out")"; fi
expect_status "--expect must be a number (2)" 2 "$H" payload decode --key m.key --expect 0xZZ --ids plain.ids
expect_status "--expect wider than bits (2)" 2 "$H" payload decode --key m.key --param bits=8 --expect 0x100 --ids plain.ids
expect_status "--param check=40 is out of range (2)" 2 "$H" payload decode --key m.key --param check=40 --ids plain.ids
expect_status "detect --scheme mpac points to payload decode (2)" 2 "$H" detect --key m.key --scheme mpac --param payload=0x2A --ids plain.ids
expect_grep "names the right command" "payload decode" "$TMP/err"

if [ -f "$MODEL" ]; then
    "$H" generate --model "$MODEL" --key m.key --scheme mpac --param payload=0xC0FFEE42 \
        --prompt "And God said" -n 400 --seed 2 --json >gen.json 2>/dev/null
    /usr/bin/python3 -c 'import json,sys; print(" ".join(map(str, json.load(open(sys.argv[1]))["ids"])))' gen.json >gen.ids
    expect_status "payload decode finds the payload (0)" 0 "$H" payload decode --key m.key --ids --json gen.ids
    if [ "$(json_get "$TMP/out" 'j["payload_hex"]')" = 0xc0ffee42 ] &&
       [ "$(json_get "$TMP/out" 'j["payload_log10_p"] < -6 and j["payload"] == "3237998146"')" = True ]; then
        ok "decoded 0xc0ffee42 with p < 1e-6"; else notok "decoded payload" "$(head -c 500 "$TMP/out")"; fi
    if [ "$(json_get "$TMP/out" 'j["outcome"] == "found" and j["check_ok"] and j["payload_log10_p"] <= -6 and j["watermark_log10_p"] <= j["payload_log10_p"] and j["account"] is None')" = True ]; then
        ok "outcome found, payload p-value <= 1e-6"; else notok "found JSON" "$(head -c 600 "$TMP/out")"; fi
    expect_status "another key finds no payload (1)" 1 "$H" payload decode --key other.key --ids gen.ids
    expect_status "--expect the embedded payload (0)" 0 "$H" payload decode --key m.key --expect 0xC0FFEE42 --ids gen.ids
    expect_grep "says FOUND" "expected payload 0xc0ffee42: FOUND" "$TMP/out"
    # payloads never embedded: what `detect --param payload=X` used to call DETECTED
    for x in 0xC0FFEE43 0x3F0011BD 0xC0FFEE02 0xD5; do
        expect_status "--expect $x (never embedded) is not found (1)" 1 "$H" payload decode --key m.key --expect $x --ids gen.ids
        expect_grep "--expect $x: the text carries another payload" "NOT FOUND \\(the text carries another payload\\)" "$TMP/out"
    done
    # the derived key of an account: its name is in the result
    "$H" key derive m.key --tenant "alice@example.com" --out alice.key --insecure-no-passphrase >/dev/null 2>&1
    "$H" generate --model "$MODEL" --key alice.key --scheme mpac --param payload=0x2A \
        --prompt "And God said" -n 400 --seed 3 --json >galice.json 2>/dev/null
    /usr/bin/python3 -c 'import json,sys; print(" ".join(map(str, json.load(open(sys.argv[1]))["ids"])))' galice.json >galice.ids
    expect_status "decode with a derived key (0)" 0 "$H" payload decode --key alice.key --ids --json galice.ids
    if [ "$(json_get "$TMP/out" 'j["account"] == "alice@example.com" and j["payload_hex"] == "0x2a"')" = True ]; then
        ok "JSON names the account of the derived key"; else notok "account JSON" "$(head -c 600 "$TMP/out")"; fi
    expect_status "decode with a derived key, text (0)" 0 "$H" payload decode --key alice.key --ids galice.ids
    expect_grep "text names the account" "account 'alice@example.com'" "$TMP/out"

    # The README's example (default -n 100, and 200) over many seeds: a
    # payload other than 0x2A is never printed as found (issue 13).
    fixed_key owner.key test-owner
    wrong=0; found=0; runs=0
    for n in 100 200; do
        for seed in $(seq 1 15); do
            "$H" generate --model "$MODEL" --key owner.key --scheme mpac --param payload=0x2A \
                --prompt "And God said" -n $n --seed $seed >readme.txt 2>/dev/null || continue
            "$H" payload decode --key owner.key readme.txt >dec.txt 2>/dev/null
            rc=$?
            runs=$((runs + 1))
            if grep -q "PAYLOAD FOUND" dec.txt; then
                if [ $rc -eq 0 ] && grep -q "PAYLOAD FOUND at alpha 1e-06: 0x2a$" dec.txt; then found=$((found + 1)); else wrong=$((wrong + 1)); fi
            elif [ $rc -eq 0 ]; then wrong=$((wrong + 1)); fi
        done
    done
    if [ $runs -eq 30 ] && [ $wrong -eq 0 ]; then ok "README example, 30 runs: no wrong payload found ($found found 0x2A)"
    else notok "README example over seeds" "runs $runs, wrong $wrong, found $found"; fi

    expect_status "a short payload bench runs" 0 "$H" bench payload --model "$MODEL" --bits 16 --tokens 160 --trials 3 --json
    if [ "$(json_get "$TMP/out" '0 <= j["success_rate"] <= 1 and 0 <= j["bit_accuracy"] <= 1 and j["wrong_rate"] == 0 and len(j["curve"]) == 8 and all("wrong_rate" in p for p in j["curve"])')" = True ]; then
        ok "JSON has success_rate, wrong_rate, bit_accuracy and an 8-point curve"; else notok "bench JSON" "$(head -c 400 "$TMP/out")"; fi
    if [ "$(json_get "$TMP/out" 'j["bit_accuracy"] > 0.9')" = True ]; then
        ok "16-bit payloads are decoded from 160 tokens"; else notok "bit accuracy" "$(head -c 400 "$TMP/out")"; fi
else
    ok "sample-model checks skipped (no model) # skip"
fi
