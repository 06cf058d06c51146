# Calibration and power from the command line: human text (the corpus that
# `make deps` builds in tests/data) is not flagged under a fresh key (random:
# the rates themselves are tested with fixed seeds in test_calibration.c), for
# every native scheme, as text and as ids; build/samples/eval-power (the
# program behind `make eval`) handles misuse and runs a small power table on
# a model trained here.  Skipped with a note when the corpus is missing.
. "$(dirname "$0")/lib.sh"

EVALP="$HM_BUILD/samples/eval-power"
TRAIN="$HM_BUILD/samples/train-lm"
DATA="$HM_ROOT/tests/data"

expect_status "eval-power --help exits 0" 0 "$EVALP" --help
expect_grep "eval-power --help shows usage" "^Usage: eval-power" "$TMP/out"
expect_status "eval-power without --model is misuse (2)" 2 "$EVALP"
expect_status "eval-power unknown option is misuse (2)" 2 "$EVALP" --frob --model x
expect_status "eval-power bad --temps is misuse (2)" 2 "$EVALP" --model x --temps 0.7,abc
expect_status "eval-power on a missing model (2)" 2 "$EVALP" --model "$TMP/none.slm"
expect_grep "a missing model is named" "cannot load .*none.slm" "$TMP/err"

if [ -s "$DATA/devil.txt" ] && [ -s "$DATA/wordnet-verbs.txt" ]; then
    export HALLMARK_PASSPHRASE=calibration-test
    expect_status "key new" 0 "$HALLMARK" key new --kdf interactive --out "$TMP/k.key"
    head -c 20000 "$DATA/devil.txt" > "$TMP/devil.txt"
    for s in kgw unigram gumbel; do
        expect_status "$s: human text is not detected (1)" 1 \
            "$HALLMARK" detect --key "$TMP/k.key" --scheme "$s" --json "$TMP/devil.txt"
        cp "$TMP/out" "$TMP/$s.json"
        p=$(json_get "$TMP/$s.json" 'j.get("p_value", j.get("p", "missing"))' 2>/dev/null)
        lp=$(json_get "$TMP/$s.json" 'j.get("log10_p", "missing")' 2>/dev/null)
        if [ -n "$lp" ] && [ "$lp" != missing ] && /usr/bin/python3 -c "import sys; sys.exit(0 if -6 < float(sys.argv[1]) <= 0 else 1)" "$lp"; then
            ok "$s: JSON log10_p on 20 KB of human text is in (-6, 0] ($lp)"
        else
            notok "$s: log10 p on human text" "log10_p=$lp p=$p" "$(head -c 300 "$TMP/$s.json")"
        fi
    done
    # ids in, same answer as text in
    "$HALLMARK" tokenize --tokenizer cl100k_base "$TMP/devil.txt" | tr '\n' ' ' > "$TMP/devil.ids"
    expect_status "gumbel: ids give the same verdict (1)" 1 \
        "$HALLMARK" detect --key "$TMP/k.key" --scheme gumbel --ids --json "$TMP/devil.ids"
    cp "$TMP/out" "$TMP/gumbel-ids.json"
    # the ids are those of the text as given (the text's own test also tries
    # its canonical text: compare with --no-canonical)
    "$HALLMARK" detect --key "$TMP/k.key" --scheme gumbel --no-canonical --json "$TMP/devil.txt" > "$TMP/gumbel-nc.json"
    if [ "$(json_get "$TMP/gumbel-ids.json" 'j.get("log10_p")')" = "$(json_get "$TMP/gumbel-nc.json" 'j.get("log10_p")')" ]; then
        ok "gumbel: ids and text give the same p"
    else
        notok "gumbel: ids and text give the same p" "$(head -c 300 "$TMP/out")"
    fi
    # A small model from 60 KB of glosses, then a tiny power table.
    head -c 60000 "$DATA/wordnet-verbs.txt" | "$HALLMARK" tokenize --tokenizer cl100k_base > "$TMP/g.ids"
    expect_status "train a small model (order 3)" 0 "$TRAIN" --order 3 --out "$TMP/g.slm" "$TMP/g.ids"
    expect_status "eval-power runs a small table" 0 "$EVALP" --model "$TMP/g.slm" \
        --prompt-file "$TMP/g.ids" --prompt-len 4 --prompts 3 --max-tokens 200 \
        --schemes kgw-lefthash,gumbel --temps 1.0
    expect_grep "the table has a gumbel row" "^gumbel +1\.0 " "$TMP/out"
    expect_grep "the table has a KGW theory line" "green fraction: observed" "$TMP/out"
else
    ok "human-text detection # SKIP tests/data not built (make deps)"
fi
