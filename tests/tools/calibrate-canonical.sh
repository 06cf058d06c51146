#!/usr/bin/env bash
# tests/tools/calibrate-canonical.sh BUILD_DIR - calibration rows of the
# default test of `hallmark detect` on human text (CALIBRATE_HOOKS, `make
# calibrate`): the whole-document test and the most significant span, on the
# text as given and on its canonical text, all combined (docs/statistics.md).
# The human documents (The Devil's Dictionary and WordNet verb glosses, about
# 1000 bytes each, tests/data) are scrubbed in turn with nothing, U+00A0
# spaces, zero-width characters, homoglyphs, fullwidth letters and doubled
# spaces, so that most of them take the two-text path.  One row per scheme:
#   calib: canonical-default-<scheme> n=N fpr@1e-2=R ci999=[lo,hi] fpr@1e-3=R ci999=[lo,hi] ks_p=P PASS|FAIL
# ci999: exact Clopper-Pearson 99.9% interval.  A row FAILs when the lower
# end exceeds alpha at either alpha, or when the one-sided Kolmogorov-Smirnov
# test that the p-values are stochastically smaller than Uniform(0, 1)
# (scipy kstest, alternative="greater") gives p < 1e-3.  The combined p-value
# is conservative by design (a Bonferroni bound), so the two-sided KS test
# does not apply; the one-sided test checks validity.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
H=$BUILD/hallmark
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
SCHEMES=${SCHEMES:-"kgw gumbel unigram"}
[ -s "$ROOT/tests/data/devil.txt" ] || bash "$ROOT/tests/data/build-corpus.sh" >/dev/null
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cp "$ROOT/tests/vectors/keys/master-insecure.key" "$W/k.key"
$PY - "$ROOT/tests/data/devil.txt" "$ROOT/tests/data/wordnet-verbs.txt" > "$W/docs.jsonl" <<'PY'
import json, sys
for f in sys.argv[1:]:
    t = open(f, encoding="utf-8").read(); pos = 0
    while True:
        end = t.find(" ", pos + 1000)
        if end < 0: break
        print(json.dumps({"text": t[pos:end]}))
        pos = end + 1
PY
# split into six groups, each scrubbed its own way
: > "$W/all.jsonl"
i=0
for a in none nbsp zero-width homoglyph fullwidth double-space; do
    awk -v k=$i 'NR % 6 == k' "$W/docs.jsonl" > "$W/g$i.jsonl"
    if [ $a = none ]; then cat "$W/g$i.jsonl" >> "$W/all.jsonl"; else
        "$H" attack --jsonl --type $a --rate 1 --seed 3 "$W/g$i.jsonl" >> "$W/all.jsonl"; fi
    i=$((i + 1))
done
for s in $SCHEMES; do
    "$H" detect --jsonl --key "$W/k.key" --scheme "$s" "$W/all.jsonl" > "$W/$s.out" 2>/dev/null || true
    $PY - "$W/$s.out" "canonical-default-$s" <<'PY'
import json, math, sys
from scipy import stats
ps = []; two = 0
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j.get("summary") or "ln_p" not in j: continue
    ps.append(math.exp(j["ln_p"]))
    two += j.get("canonical", {}).get("tests", 1) == 2
n = len(ps)
def cp(k, n, level=0.999):
    a = 1 - level
    lo = 0.0 if k == 0 else stats.beta.ppf(a / 2, k, n - k + 1)
    hi = 1.0 if k == n else stats.beta.ppf(1 - a / 2, k + 1, n - k)
    return lo, hi
out = []; ok = n > 0
for alpha, lab in ((1e-2, "1e-2"), (1e-3, "1e-3")):
    k = sum(p <= alpha for p in ps)
    lo, hi = cp(k, n)
    ok = ok and lo <= alpha
    out.append("fpr@%s=%.5f ci999=[%.5f,%.5f]" % (lab, k / n if n else float("nan"), lo, hi))
ks = stats.kstest(ps, "uniform", alternative="greater").pvalue if n else float("nan")
ok = ok and ks >= 1e-3
print("calib: %s n=%d %s %s ks_p=%.3g %s" % (sys.argv[2], n, out[0], out[1], ks, "PASS" if ok else "FAIL"))
print("# %s: %d of %d documents took the two-text path (the canonical text differed)" % (sys.argv[2], two, n), file=sys.stderr)
PY
done
