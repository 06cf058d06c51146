#!/usr/bin/env bash
# integrations/llama/demo.sh BUILD_DIR NEURAL_DIR - `make llama-demo`.
#
# A model owner serves the sample neural model (NEURAL_DIR/model.gguf)
# through the prebuilt llama.cpp with the Hallmark sampler: for each scheme
# (kgw: logit bias inside the chain; gumbel: the chain's final sampler) it
# answers three held-out KJV chapter openings watermarked, and the same
# prompts plain (llama.cpp's own dist sampler).  An auditor who has only the
# answer texts, the key and the model's tokenizer.json runs `hallmark
# detect` on each.  Prints every p-value; exit 0 when every watermarked
# answer is detected at alpha 1e-6 and no plain one is, 1 otherwise, 2 on
# errors.
set -euo pipefail
build=${1:-build}
neural=${2:-build/neural}
gen="$build/llama/hm-llama-gen"
hm="$build/hallmark"
tok="$neural/tokenizer.json"
n=${LLAMA_DEMO_TOKENS:-160}
for f in "$gen" "$hm" "$neural/model.gguf" "$tok"; do
    [ -e "$f" ] || { echo "llama-demo: $f is missing (make llama neural-model)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS

/usr/bin/python3 - "$neural/model.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
c, t = m["config"], m["training"]
print(f"model: {sys.argv[1].rsplit('/', 1)[0]}/model.gguf - llama architecture, {c['layers']} layers, "
      f"d={c['dim']}, vocab {c['vocab']} (byte-level BPE), trained {t['steps']} steps on the KJV with "
      f"Debian torch {m['torch']} in {t['train_seconds']} s; held-out loss "
      f"{t.get('heldout_nats_per_token', 'n/a')} nats/token; llama.cpp logits within "
      f"{m['logits_max_abs_diff_llama_cpp_vs_torch']:.2g} of torch")
EOF
echo "engine: llama.cpp v0.5.0 prebuilt (npm @node-llama-cpp/linux-x64@3.22.1), 1 thread"
kid=$("$hm" key new --out "$work/owner.key" --insecure-no-passphrase 2>/dev/null)
echo "key: $kid (a new master key, unencrypted: demo only)"

# Prompts: the first words of three held-out chapters.
awk 'NR <= 3 { n = split($0, w, " "); s = w[1]; for (i = 2; i <= 6 && i <= n; i++) s = s " " w[i]; print s }' \
    "$neural/heldout.txt" > "$work/prompts.txt"

printf '\n%-7s %-36s %-22s %s\n' scheme prompt "watermarked p" "plain p"
fails=0
detect_p() { # scheme file -> prints "p_text detected|not"; sets rc
    "$hm" detect --key "$work/owner.key" --scheme "$1" --tokenizer "$tok" --allow-invalid-utf8 \
        --json "$2" > "$2.json" 2>"$2.err" || true
    /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("%s %s %s" % (r["p_text"], "detected" if r["detected"] else "not-detected", r["n_scored"]))' "$2.json"
}
for scheme in kgw gumbel; do
    i=0
    while IFS= read -r prompt; do
        i=$((i + 1))
        "$gen" --model "$neural/model.gguf" --key "$work/owner.key" --scheme "$scheme" \
            --prompt "$prompt" -n "$n" --seed "$i" > "$work/wm-$scheme-$i.txt"
        "$gen" --model "$neural/model.gguf" --plain --prompt "$prompt" -n "$n" --seed "$i" \
            > "$work/plain-$scheme-$i.txt"
        read -r wp wd wn < <(detect_p "$scheme" "$work/wm-$scheme-$i.txt")
        read -r pp pd pn < <(detect_p "$scheme" "$work/plain-$scheme-$i.txt")
        printf '%-7s %-36s p = %-8s %-12s p = %-8s %s\n' "$scheme" "\"$prompt\"" "$wp" "($wd)" "$pp" "($pd)"
        [ "$wd" = detected ] || fails=$((fails + 1))
        [ "$pd" = not-detected ] || fails=$((fails + 1))
    done < "$work/prompts.txt"
done
echo
echo "a watermarked kgw answer: $(head -c 240 "$work/wm-kgw-1.txt" | tr '\n' ' ')..."
echo
echo "(alpha 1e-6; $n tokens per answer, detected from the text alone with the model's tokenizer.json; $((SECONDS - start)) s)"
if [ "$fails" -eq 0 ]; then
    echo "llama-demo: every watermarked answer detected, no plain answer detected"
else
    echo "llama-demo: $fails answer(s) on the wrong side of alpha" >&2
    exit 1
fi
