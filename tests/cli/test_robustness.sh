# A small robustness table (tests/tools/robustness.sh, `make robustness` in
# full): for every scheme, each scrub leaves detection at 1e-6 where it was
# without the attack, the 10% copy-paste case is found by the default test
# for kgw, gumbel and synthid, and attacked human text is never flagged at
# 1e-6.  Deterministic (fixed keys, prompts and seeds).
. "$(dirname "$0")/lib.sh"
if [ ! -s "$HM_ROOT/tests/data/devil.txt" ] || ! command -v bible >/dev/null; then
    ok "robustness table skipped (make deps: tests/data, bible-kjv) # skip"; exit 0
fi
# under `make asan` (HM_SANITIZED=1): three texts per cell
n=5
[ -n "${HM_SANITIZED:-}" ] && n=3
if ! N=$n CELLS=small JOBS=2 bash "$HM_ROOT/tests/tools/robustness.sh" "$HM_BUILD" "$TMP/rob.md" > "$TMP/log" 2>&1; then
    notok "tests/tools/robustness.sh runs" "$(tail -5 "$TMP/log")"; exit 0
fi
ok "tests/tools/robustness.sh runs"
/usr/bin/python3 - "$TMP/rob.md" <<'PY'
import sys
rows = {}
for l in open(sys.argv[1]):
    f = [x.strip() for x in l.strip().strip("|").split("|")]
    if len(f) == 10 and f[0] not in ("scheme",) and not f[0].startswith("-"):
        rows[(f[0], f[1])] = f
def num(x): return float(x) if x not in ("-", "") else None
schemes = sorted({k[0] for k in rows})
for s in schemes:
    base = num(rows[(s, "none")][4])
    for a in ("nbsp", "zero-width", "soft-hyphen", "homoglyph", "fullwidth", "double-space"):
        v = num(rows[(s, a)][4])
        print(("ok" if v is not None and v >= base - 0.05 else "not ok") +
              " - %s after %s: TPR@1e-6 %s, un-attacked %s" % (s, a, v, base))
    if s in ("kgw-selfhash", "gumbel", "synthid"):
        v = num(rows[(s, "copy-paste")][4])
        print(("ok" if v is not None and v >= 0.9 else "not ok") +
              " - %s: 10%% copy-paste found by the default test (TPR@1e-6 %s)" % (s, v))
    bad = [a for (t, a), f in rows.items() if t == s and num(f[6]) not in (0.0, None)]
    print(("ok" if not bad else "not ok") + " - %s: no human text flagged at 1e-6 %s" % (s, bad or ""))
PY
