# verify/trace.mk - benches of the trace module (`make bench`):
#   trace-bench    `hallmark trace` with 10,000 accounts over 100,000 tokens
#                  of KJV text (the sample model's training ids) plus 32
#                  documents of up to 500 tokens (about 10% of the total)
#                  generated with account 4242's key, on 2 threads, for kgw
#                  selfhash (default) and lefthash.  Expected: exactly
#                  acct-04242 fires.
#   payload-bench  `hallmark bench payload`: the curve of a 32-bit payload
#                  against the number of tokens (sample model, T = 1): the
#                  right payload found (success_rate), a wrong one declared
#                  found (wrong_rate, <= alpha), undetermined, bit accuracy.
# Both need the KJV sample model (trained on first use, as lm-bench does).

BENCH_HOOKS += trace-bench payload-bench
.PHONY: trace-bench payload-bench

TRACE_BENCH_DIR := $(BUILD)/bench-trace
KJV_MODEL := $(BUILD)/samples/kjv-4.slm

trace-bench: $(CLI) $(BUILD)/samples/train-lm
	@if [ -f $(KJV_MODEL) ] || bash samples/train-sample-model.sh $(BUILD) $(KJV_MODEL); then \
	  set -e; d=$(TRACE_BENCH_DIR); mkdir -p $$d; \
	  rm -f $$d/m.key $$d/a.key; \
	  $(CLI) key new --out $$d/m.key --insecure-no-passphrase >/dev/null 2>&1; \
	  seq -f 'acct-%05g' 0 9999 > $$d/accounts.txt; \
	  awk 'BEGIN{n=0} { if (n >= 100000) exit; s=""; \
	       for (i=1;i<=NF && n<100000;i++){ s = s (i>1?",":"") $$i; n++ } \
	       print "{\"text\":[" s "]}" }' $(BUILD)/samples/kjv-train.ids > $$d/suspect.jsonl; \
	  $(CLI) key derive $$d/m.key --tenant acct-04242 --out $$d/a.key --insecure-no-passphrase >/dev/null 2>&1; \
	  for seed in selfhash lefthash; do \
	    for i in 1 2 3 4 5 6 7 8; do \
	      printf 'And God said\nIn the beginning\nAnd it came to pass\nThe LORD is my shepherd\n'; \
	    done > $$d/prompts.txt; \
	    if $(CLI) generate --model $(KJV_MODEL) --key $$d/a.key --scheme kgw --param seeding=$$seed \
	         --prompts $$d/prompts.txt -n 500 --seed 3 > $$d/gen.jsonl 2>/dev/null; then \
	      /usr/bin/python3 -c 'import json,sys; [print(json.dumps({"text": json.loads(l)["completion"]})) for l in open(sys.argv[1], errors="replace")]' $$d/gen.jsonl > $$d/leak.jsonl || : > $$d/leak.jsonl; \
	    else : > $$d/leak.jsonl; fi; \
	    cat $$d/suspect.jsonl $$d/leak.jsonl > $$d/all.jsonl; \
	    echo "trace-bench: kgw $$seed, 10000 accounts, $$(wc -l < $$d/all.jsonl) documents, 2 threads"; \
	    start=$$(date +%s.%N); \
	    $(CLI) trace --master $$d/m.key --accounts $$d/accounts.txt --param seeding=$$seed \
	      --threads 2 --top 2 $$d/all.jsonl || true; \
	    end=$$(date +%s.%N); \
	    echo "trace-bench: kgw $$seed wall $$(awk "BEGIN { printf \"%.2f\", $$end - $$start }") s (including reading and derivation)"; \
	  done; \
	else echo "trace-bench: skipped (no tokenizer available to build the KJV model)"; fi

payload-bench: $(CLI) $(BUILD)/samples/train-lm
	@if [ -f $(KJV_MODEL) ] || bash samples/train-sample-model.sh $(BUILD) $(KJV_MODEL); then \
	  $(CLI) bench payload --model $(KJV_MODEL) --bits 32 --tokens 400 --temperature 1.0 --trials 100; \
	else echo "payload-bench: skipped (no tokenizer available to build the KJV model)"; fi
