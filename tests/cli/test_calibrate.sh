# `make calibrate` in small: tests/calibrate.c --quick (fixed seeds, a few
# seconds) must pass every row; rows with deduplication off are printed as
# informative.  The full run is `make calibrate` (docs/calibration.md).
. "$(dirname "$0")/lib.sh"
CAL=$HM_BUILD/tests/calibrate
if [ ! -x "$CAL" ]; then notok "calibrate binary built" "$CAL missing"; exit 0; fi
if [ ! -s "$HM_ROOT/tests/data/code.txt" ]; then
    if [ -n "${CI:-}" ]; then notok "calibration corpus" "run make deps"; else
        echo "# SKIP: tests/data not built (make deps)"; ok "calibrate --quick (skipped: no corpus)"; fi
    exit 0
fi
"$CAL" --quick --data "$HM_ROOT/tests/data" \
    --tokenizer "$HM_ROOT/samples/tokenizers/cl100k_base.tiktoken" >"$TMP/out" 2>"$TMP/err"
rc=$?
sed -e 's/^/# /' "$TMP/out" | grep -E "FAIL|summary" | grep -v informative | head -20
if [ "$rc" -eq 0 ]; then ok "calibrate --quick: every row passes"; else
    notok "calibrate --quick: every row passes (exit $rc)" "$(grep -E ' FAIL$' "$TMP/out" | head -5)"; fi
expect_grep "calibrate --quick prints a PASS summary" "^calib: summary rows=[0-9]+ pass=[0-9]+ fail=0 informative=[0-9]+ PASS$" "$TMP/out"
expect_grep "dedup-off rows are informative" "dedup=none .*\(informative" "$TMP/out"
expect_grep "radioactivity kgw selfhash rows are present" "^calib: radioactivity/kgw-selfhash/.*/control .*PASS$" "$TMP/out"
