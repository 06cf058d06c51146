#!/usr/bin/env bash
# tests/tools/robustness.sh BUILD_DIR [OUT.md] - the robustness table of
# docs/robustness.md: for every scheme, the detection rate (TPR) at
# alpha = 1e-6 and 1e-2 of marked sample-model text after each attack of
# `hallmark attack` and rate, and the false-positive rate (FPR) of the same
# attack on human text (The Devil's Dictionary, tests/data/devil.txt), with
# the default test of `hallmark detect` (whole document + span, text as given
# + canonical text).  Scrub rows also give the TPR at 1e-6 with
# --no-canonical (what a detector without canonical text sees), and every
# row the TPR at 1e-6 of the whole-document test alone (the default test
# before issue #14, `detect --whole-only`).
#
# Environment: N (texts per cell, default 40), TOKENS (default 300; texts
# shorter than MIN_TOKENS, default 200, are dropped, so each cell has at most
# N texts of 200-300 tokens), CELLS=full|small or ATTACKS="type:rate ...",
# SCHEMES (names below),
# JOBS (parallel cells, default 2).  Deterministic: fixed keys, prompts and
# seeds.  Exit status 0; prints the table (Markdown) and writes it to OUT.md.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
OUT=${2:-$BUILD/robustness.md}
H=$BUILD/hallmark
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MODEL=$BUILD/samples/kjv-4.slm
N=${N:-40}
TOKENS=${TOKENS:-300}
MIN_TOKENS=${MIN_TOKENS:-200}
CELLS=${CELLS:-full}
JOBS=${JOBS:-2}
# mpac is not here: detect refuses a payload scheme (issue #13); payload decode
# reads the payload through every scrub (tests/cli/test_canon.sh)
SCHEMES=${SCHEMES:-"kgw-selfhash kgw-lefthash unigram gumbel synthid"}
PY=/usr/bin/python3
HUMAN=$ROOT/tests/data/devil.txt

[ -x "$H" ] || { echo "robustness: build first ($H missing)" >&2; exit 2; }
[ -s "$HUMAN" ] || bash "$ROOT/tests/data/build-corpus.sh" >/dev/null
if [ ! -f "$MODEL" ]; then
    bash "$ROOT/samples/train-sample-model.sh" "$BUILD" "$MODEL" >/dev/null 2>&1 ||
        { echo "robustness: cannot train the sample model" >&2; exit 2; }
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cp "$ROOT/tests/vectors/keys/master-insecure.key" "$W/k.key"
printf '[11, 22, 33, 44, 55, 66, 77, 88, 99, 111, 222, 333, 444, 555, 666, 777, 888, 999, 1111, 2222, 3333, 4444, 5555, 6666, 7777, 8888, 9999, 11111, 22222, 33333]\n' > "$W/synthid.keys"

scheme_args() {
    case $1 in
    kgw-selfhash) echo "--key $W/k.key --scheme kgw" ;;
    kgw-lefthash) echo "--key $W/k.key --scheme kgw --param seeding=lefthash" ;;
    unigram) echo "--key $W/k.key --scheme unigram" ;;
    gumbel) echo "--key $W/k.key --scheme gumbel" ;;
    synthid) echo "--scheme synthid --synthid-keys $W/synthid.keys" ;;
    mpac) echo "--key $W/k.key --scheme mpac --param payload=0xC0FFEE42" ;;
    *) echo "robustness: unknown scheme $1" >&2; exit 2 ;;
    esac
}

# attack cells: "type:rate" (ATTACKS overrides CELLS)
if [ -n "${ATTACKS:-}" ]; then
    :
elif [ "$CELLS" = small ]; then
    ATTACKS="none:0 delete:0.3 substitute:0.3 copy-paste:0.1 nbsp:1 zero-width:1 soft-hyphen:1 homoglyph:1 fullwidth:1 double-space:1"
else
    ATTACKS="none:0 delete:0.1 delete:0.3 delete:0.5 substitute:0.1 substitute:0.3 substitute:0.5
             insert:0.1 insert:0.3 swap:0.1 swap:0.3 typo:0.1 typo:0.3
             copy-paste:0.5 copy-paste:0.25 copy-paste:0.1 copy-paste:0.05 truncate:0.5 truncate:0.25
             case:0.5 punctuation:0.5 line-breaks:0.2
             nbsp:1 unicode-spaces:1 double-space:1 zero-width:1 soft-hyphen:1 format:1 homoglyph:1
             fullwidth:1 combining:1"
fi
SCRUBS=" nbsp unicode-spaces double-space zero-width soft-hyphen format homoglyph fullwidth combining "

# prompts: the first three words of every 20th verse of Proverbs .. Isaiah
bible -f "Pr1:1-Isa66:24" </dev/null 2>/dev/null | awk 'NR % 20 == 1 { $1 = ""; print $2, $3, $4 }' |
    head -n $((N * 2)) > "$W/prompts.txt"
[ -s "$W/prompts.txt" ] || printf 'And God said\nIn the beginning\nThe LORD is\nBlessed are the\n' > "$W/prompts.txt"

# human documents: N chunks of about 1300 bytes (about 250-300 tokens)
$PY - "$HUMAN" "$N" > "$W/human.jsonl" <<'PY'
import json, sys
t = open(sys.argv[1], encoding="utf-8").read()
n = int(sys.argv[2]); out = []; pos = 2000
while len(out) < n and pos < len(t):
    end = t.find(" ", pos + 1300)
    if end < 0: break
    out.append(" ".join(t[pos:end].split()))
    pos = end + 1
for c in out: print(json.dumps({"text": c}))
PY

# marked texts per scheme (JSON lines with "text")
for s in $SCHEMES; do
    # shellcheck disable=SC2046
    "$H" generate --model "$MODEL" $(scheme_args "$s") --prompts "$W/prompts.txt" -n "$TOKENS" \
        --seed 11 2>/dev/null |
        $PY -c '
import json, sys
n, mn = int(sys.argv[1]), int(sys.argv[2]); k = 0
for l in sys.stdin:
    j = json.loads(l)
    if j.get("n_tokens", 0) >= mn and k < n:
        print(json.dumps({"text": j["completion"]})); k += 1' "$N" "$MIN_TOKENS" > "$W/marked-$s.jsonl"
done

# rate FILE: "detected@1e-6 detected@1e-2 n whole@1e-6" from detect --jsonl
# output (whole: the whole-document test alone, as before the default test)
rate() {
    $PY -c '
import json, sys, math
a = b = n = w = 0
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j.get("summary") or "ln_p" not in j: continue
    n += 1; a += j["ln_p"] <= math.log(1e-6); b += j["ln_p"] <= math.log(1e-2)
    w += j.get("whole_document", j)["ln_p"] <= math.log(1e-6)
print(a, b, n, w)' "$1"
}

cell() { # scheme type rate -> one result line
    local s=$1 t=$2 r=$3 d=$W/cell-$1-$2-$3
    mkdir -p "$d"
    for src in marked human; do
        local in=$W/marked-$s.jsonl
        [ $src = human ] && in=$W/human.jsonl
        if [ "$t" = none ]; then cp "$in" "$d/$src.jsonl"; else
            "$H" attack --jsonl --type "$t" --rate "$r" --seed 5 --human "$HUMAN" "$in" > "$d/$src.jsonl"
        fi
        # shellcheck disable=SC2046
        "$H" detect --jsonl $(scheme_args "$s") --alpha 1e-2 "$d/$src.jsonl" > "$d/$src.out" 2>/dev/null || true
    done
    local nc="-"
    if [[ "$SCRUBS" == *" $t "* ]]; then
        # shellcheck disable=SC2046
        "$H" detect --jsonl --no-canonical $(scheme_args "$s") "$d/marked.jsonl" > "$d/nc.out" 2>/dev/null || true
        nc=$(rate "$d/nc.out" | awk '{ printf "%.2f", $3 ? $1 / $3 : 0 }')
    fi
    echo "$s $t $r $(rate "$d/marked.out") $(rate "$d/human.out") $nc"
    rm -rf "$d"
}
export -f cell rate scheme_args
export H W HUMAN PY SCRUBS

start=$SECONDS
for s in $SCHEMES; do
    for a in $ATTACKS; do echo "$s ${a%%:*} ${a##*:}"; done
done | xargs -P "$JOBS" -L 1 bash -c 'cell "$@"' _ > "$W/results.txt"

$PY - "$W/results.txt" "$SCHEMES" "$ATTACKS" "$N" $((SECONDS - start)) > "$OUT" <<'PY'
import sys
rows = {}
for l in open(sys.argv[1]):
    f = l.split()
    if len(f) < 12: continue
    rows[(f[0], f[1], f[2])] = f[3:]
schemes = sys.argv[2].split()
attacks = [a.split(":") for a in sys.argv[3].split()]
print("| scheme | attack | rate | n | TPR@1e-6 | TPR@1e-2 | FPR@1e-6 | FPR@1e-2 | TPR@1e-6 without canonical text | TPR@1e-6 whole document only |")
print("|---|---|---|---|---|---|---|---|---|---|")
for s in schemes:
    for t, r in attacks:
        v = rows.get((s, t, r))
        if not v:
            print("| %s | %s | %s | - | - | - | - | - | - | - |" % (s, t, r)); continue
        a, b, n, wa = int(v[0]), int(v[1]), int(v[2]), int(v[3])
        ha, hb, hn, nc = int(v[4]), int(v[5]), int(v[6]), v[8]
        fr = lambda x, m: "%.2f" % (x / m) if m else "-"
        print("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (s, t, r, n, fr(a, n), fr(b, n), fr(ha, hn), fr(hb, hn), nc, fr(wa, n)))
print()
print("%s texts per cell; %d s." % (sys.argv[4], int(sys.argv[5])))
PY
cat "$OUT"
