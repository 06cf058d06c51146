# One JSON type per field across all commands (docs/formats.md, "Field
# types"), and every result validates against docs/result.schema.json
# (hallmark-result-v1): detect (one key, several keys, --localize,
# --per-token, an engine scheme, --jsonl records), scan summary,
# radioactivity, trace, merge, payload decode, fingerprint verify.  p is a
# number while it is a normal double and null below (never 0), with p_text
# and log10_p always; counts and `line` are decimal strings; parameter
# values are numbers when they are plain numbers.
. "$(dirname "$0")/lib.sh"

cd "$TMP" || exit 1
H="$HALLMARK"
PY=/usr/bin/python3
GEN="$HM_BUILD/samples/demo-gen"
if ! $PY -c 'import jsonschema' 2>/dev/null; then
    echo "ok - result schema checks # SKIP python3-jsonschema not installed (make deps)"
    exit 0
fi
fixed_key k.key json-types
fixed_key k2.key json-types-2
P=(--param seeding=lefthash --param h=1 --param delta=8)
small_model m.slm
for i in $(seq 1 80); do echo "$((i % 290)) $(((i * 7) % 290))"; done > prompts.ids
"$GEN" --model m.slm --key k.key --scheme kgw "${P[@]}" -n 100 --seed 1 prompts.ids > marked.jsonl
$PY -c 'import json,sys; print(" ".join(str(t) for l in open(sys.argv[1]) for t in json.loads(l)["completion"]))' marked.jsonl > marked.ids
head -c 1500 marked.ids | sed 's/ [0-9]*$//' > short.ids

n=0
run() { # NAME CMD...: keeps stdout as json/NAME.json
    local name=$1; shift
    mkdir -p json
    "$@" > "json/$name.json" 2>/dev/null
    n=$((n + 1))
}
run detect "$H" detect --key k.key --scheme kgw "${P[@]}" --ids --json short.ids
run detect-underflow "$H" detect --key k.key --scheme kgw "${P[@]}" --ids --json marked.ids
run detect-keys "$H" detect --key k.key --key k2.key --scheme kgw "${P[@]}" --ids --localize --per-token --json short.ids
run detect-vllm "$H" detect --scheme vllm --vllm-key 12345 --ids --json short.ids
run radioactivity "$H" radioactivity --key k.key --scheme kgw "${P[@]}" --json marked.jsonl
"$H" radioactivity --key k.key --scheme kgw "${P[@]}" --shard 0/2 --out p0.json marked.jsonl >/dev/null 2>&1
"$H" radioactivity --key k.key --scheme kgw "${P[@]}" --shard 1/2 --out p1.json marked.jsonl >/dev/null 2>&1
run merge "$H" merge --json p0.json p1.json
for i in 1 2 3 4 5 6 7 8; do echo "acct-$i"; done > accounts.txt
$PY -c 'import json,sys; [print(json.dumps({"text": json.loads(l)["completion"]})) for l in open(sys.argv[1])]' marked.jsonl > docs.jsonl
run trace "$H" trace --master k.key --accounts accounts.txt --json docs.jsonl
run payload "$H" payload decode --key k.key --ids --json short.ids
"$H" fingerprint new --key k.key --count 20 --out fp.jsonl >/dev/null 2>&1
$PY -c 'import json,sys; [print(json.dumps({"prompt": json.loads(l)["messages"][0]["content"], "response": json.loads(l)["messages"][1]["content"]})) for l in open(sys.argv[1])]' fp.jsonl > answers.jsonl
run fingerprint "$H" fingerprint verify --key k.key --responses answers.jsonl --count 20 --json
if "$H" tokenize --tokenizer cl100k_base </dev/null >/dev/null 2>&1; then
    head -c 4000 "$HM_ROOT/README.md" > text.txt
    $PY -c 'import json,sys; t=open(sys.argv[1]).read(); [print(json.dumps({"id": str(i), "text": t[i*500:(i+1)*500]})) for i in range(8)]' text.txt > corpus.jsonl
    run scan "$H" scan --key k.key --scheme kgw --tokenizer cl100k_base --json --out res.jsonl corpus.jsonl
    run detect-text "$H" detect --key k.key --scheme gumbel --json text.txt
    "$H" detect --key k.key --scheme kgw --jsonl --json corpus.jsonl > jsonl.out 2>/dev/null
fi

$PY - "$HM_ROOT/docs/result.schema.json" json/*.json <<'EOF'
import json, math, re, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
V = jsonschema.Draft202012Validator(schema)
NUM = re.compile(r"^[-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$")

def walk(o, path, bad):
    if isinstance(o, dict):
        for k, v in o.items():
            p = path + "." + k
            if k == "line" and not isinstance(v, str):
                bad.append(p + ": line is not a string")
            if k.startswith("n_") and not isinstance(v, str):
                bad.append(p + ": a count that is not a string")
            if k == "p" or k.endswith("_p") and not k.endswith("log10_p") and not k.endswith("ln_p"):
                if not (v is None or isinstance(v, (int, float))):
                    bad.append(p + ": a p-value that is not a number or null")
                lg = o.get(k[:-1] + "log10_p") if k != "p" else o.get("log10_p")
                if v == 0:
                    bad.append(p + ": p = 0")
                if isinstance(lg, (int, float)) and lg > -300 and v is None:
                    bad.append(p + ": null although representable")
                if v is not None and (k + "_text") not in o:
                    bad.append(p + ": no " + k + "_text")
            if k == "params" and isinstance(v, dict):
                for pk, pv in v.items():
                    if isinstance(pv, str) and NUM.match(pv):
                        bad.append(p + "." + pk + ": a number written as a string")
            walk(v, p, bad)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            walk(v, path + "[%d]" % i, bad)

fails = 0
for f in sys.argv[2:]:
    name = f.split("/")[-1][:-5]
    try:
        j = json.load(open(f))
    except Exception as e:
        print("not ok - %s: not JSON (%s)" % (name, e)); fails += 1; continue
    errs = sorted(V.iter_errors(j), key=lambda e: list(e.path))
    if errs:
        print("not ok - %s validates against hallmark-result-v1" % name)
        for e in errs[:5]:
            print("# %s: %s" % ("/".join(map(str, e.path)), e.message[:200]))
    else:
        print("ok - %s validates against hallmark-result-v1" % name)
    bad = []
    walk(j, name, bad)
    if bad:
        print("not ok - %s: one JSON type per field" % name)
        for b in bad[:5]:
            print("# " + b)
    else:
        print("ok - %s: one JSON type per field" % name)
u = json.load(open([f for f in sys.argv[2:] if f.endswith("detect-underflow.json")][0]))
if u["log10_p"] < -308 and u["p"] is None and u["p_text"].endswith("e%d" % math.floor(u["log10_p"])):
    print("ok - p below a double's range: p null, p_text and log10_p exact (%s)" % u["p_text"])
else:
    print("not ok - underflow rule", "# log10_p %r p %r p_text %r" % (u["log10_p"], u["p"], u["p_text"]))
EOF
if [ -s jsonl.out ]; then
    if $PY -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if all(isinstance(x.get("line", "0"), str) for x in r) else 1)' jsonl.out; then
        ok "detect --jsonl: line is a string in every record"; else notok "detect --jsonl line type" "$(head -c 300 jsonl.out)"; fi
fi
