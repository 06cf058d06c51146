# verify/tokenizer.mk - shim: the root Makefile includes verify/*.mk only;
# the tokenizer module's real fragment lives beside its sources.
include verify/tokenizer/tokenizer.mk
