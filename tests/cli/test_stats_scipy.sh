# Exact statistics against a random grid: tests/tools/gen_stats_vectors.py
# --random draws binomial and gamma points (a fixed seed, so CI repeats; set
# HM_STATS_SEED=$(date +%s) for a fresh grid), mpmath at 60 digits gives ln p, and
# build/tests/stats_eval checks the library to 1e-9 relative.
. "$(dirname "$0")/lib.sh"

EVAL="$HM_BUILD/tests/stats_eval"
if ! /usr/bin/python3 -c 'import mpmath, scipy' 2>/dev/null; then
    echo "# python3-mpmath or python3-scipy missing (make deps installs them): skipped"
    ok "stats random grid vs mpmath (skipped)"
    exit 0
fi
seed=${HM_STATS_SEED:-20261122}
echo "# seed $seed"
expect_status "random grid generated (seed $seed)" 0 \
    /usr/bin/python3 "$HM_ROOT/tests/tools/gen_stats_vectors.py" --random "$seed" 80
cp "$TMP/out" "$TMP/grid.txt"
expect_status "stats_eval: 80 random binomial/gamma tails within 1e-9 (seed $seed)" 0 \
    "$EVAL" < "$TMP/grid.txt"
head -n 20 "$TMP/out"
