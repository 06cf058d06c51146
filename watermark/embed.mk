# watermark/embed.mk - `make bench`: the per-token embedding cost of every
# scheme beside plain sampling (the "none" scheme) on the same Zipf-shaped
# logits, dense and with top-k 50 sparse candidates, at V = 32,000, 128,256
# and 200,019.  Targets: ratio <= 1.10 for kgw, unigram, gumbel and vllm
# dense at V = 128,256; <= 1.5 for synthid at depth 30.

BENCH_HOOKS += bench-embed
.PHONY: bench-embed

SYNTHID_BENCH_KEYS := keys=[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]

bench-embed: $(CLI)
	@echo "== embedding cost per token (scheme vs plain sampling, same logits, same run)"
	@set -e; for V in 32000 128256 200019; do \
	  for S in kgw unigram gumbel; do \
	    $(CLI) bench embed --scheme $$S --vocab $$V; \
	    $(CLI) bench embed --scheme $$S --vocab $$V --top-k 50; \
	  done; \
	  $(CLI) bench embed --scheme vllm --param key=42 --vocab $$V; \
	  $(CLI) bench embed --scheme vllm --param key=42 --vocab $$V --top-k 50; \
	  $(CLI) bench embed --scheme sglang --param key=0x0123456789abcdef --vocab $$V; \
	  $(CLI) bench embed --scheme synthid --param '$(SYNTHID_BENCH_KEYS)' --vocab $$V; \
	  $(CLI) bench embed --scheme synthid --param '$(SYNTHID_BENCH_KEYS)' --vocab $$V --top-k 50; \
	done
