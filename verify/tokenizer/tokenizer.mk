# verify/tokenizer/tokenizer.mk - build fragment of the tokenizer module.
#
#   make deps   installs libutf8proc-dev (NFC for Qwen2/Qwen3 tokenizer.json),
#               fetches the pinned vocabularies into samples/tokenizers/ and
#               installs the pinned node oracles into tests/oracle/node_modules
#   make bench  runs `hallmark bench tokenize`
#   make fuzz   fuzz_tok_encode, fuzz_tok_load

DEB_PKGS += libutf8proc-dev
ALL_CPPFLAGS += $(shell $(PKG_CONFIG) --cflags libutf8proc 2>/dev/null)
LDLIBS_ALL += $(shell $(PKG_CONFIG) --libs libutf8proc 2>/dev/null)
PC_REQUIRES += libutf8proc

DEPS_HOOKS += tokenizer-fetch tokenizer-oracles
BENCH_HOOKS += tokenizer-bench
FUZZ_TARGETS += fuzz_tok_encode fuzz_tok_load

.PHONY: tokenizer-fetch tokenizer-oracles tokenizer-bench

tokenizer-fetch:
	@bash samples/tokenizers/fetch.sh

tokenizer-oracles:
	@bash tests/oracle/install.sh

tokenizer-bench: $(CLI)
	@$(CLI) bench tokenize
