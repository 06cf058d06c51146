# The reduced `make calibrate` rows of tests/tools/calib_interop.c (SynthID
# fixed key sets, the known bad key set, vLLM dual-key at 4 alphas) on part
# of the human corpus that `make deps` builds, with fixed seeds: every row
# must print in the collectable form and PASS.  The full run is
# `make calibrate` (docs/calibration.md).
. "$(dirname "$0")/lib.sh"

CAL="$HM_BUILD/tests/calib_interop"
if [ ! -f "$HM_ROOT/tests/data/devil.txt" ]; then
    if [ -n "${CI:-}" ]; then
        notok "calib_interop: the human corpus is missing (make deps)"
    else
        echo "# SKIP: tests/data not built (make deps): calib_interop not run"
    fi
    exit 0
fi
expect_status "calib_interop rejects an unknown option (2)" 2 "$CAL" --frob 1
expect_grep "the error names the valid options" "valid: --keysets" "$TMP/err"
if [ -n "${HM_SANITIZED:-}" ]; then
    args="--keysets 2 --docs 120 --vllm-keys 1 --null-samples 65536"
else
    args="--keysets 4 --docs 400 --vllm-keys 3 --null-samples 262144"
fi
# shellcheck disable=SC2086
expect_status "reduced calibration: every row passes (0)" 0 env HM_TEST_DIR="$HM_ROOT/tests" "$CAL" $args
sed 's/^/# /' "$TMP/out"
expect_grep "a row for the known bad key set" "^calib: synthid-bad-keyset n=[0-9]+ .* PASS$" "$TMP/out"
expect_grep "a worst-of row" "^calib: synthid-worst-of-[0-9]+-keysets" "$TMP/out"
expect_grep "the replaced test is shown beside it" "^# nominal binomial g-count test \(replaced\) on synthid-bad-keyset" "$TMP/out"
expect_grep "vLLM dual-key at alpha 0.1 with a KS test" "^calib: vllm-dual-key-alpha0.1 n=[0-9]+ fpr@1e-2=[0-9.]+ ci999=\[[0-9.]+,[0-9.]+\] fpr@1e-3=[0-9.]+ ci999=\[[0-9.]+,[0-9.]+\] ks_p=[0-9.e-]+ PASS$" "$TMP/out"
rows=$(grep -c '^calib: ' "$TMP/out")
if [ "$rows" -ge 8 ]; then ok "$rows calibration rows"; else notok "only $rows calibration rows"; fi
