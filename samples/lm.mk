# samples/lm.mk - the sample n-gram model's programs, tests and bench.
#
# samples/lm/*.c are linked into the CLI and the unit tests by the root
# Makefile; this fragment builds the programs in samples/programs/ into
# $(BUILD)/samples/ (train-lm, lm-eval) as part of `make all`, and adds the
# `lm-bench` bench hook.

# The KJV text that samples/train-sample-model.sh trains the sample model on.
DEB_PKGS += bible-kjv

SLM_PROGS := $(BUILD)/samples/train-lm $(BUILD)/samples/lm-eval
SLM_PROG_OBJ := $(BUILD)/obj/samples/programs/train-lm.o $(BUILD)/obj/samples/programs/lm-eval.o

all: $(SLM_PROGS)

$(BUILD)/samples/train-lm: $(BUILD)/obj/samples/programs/train-lm.o $(SAMPLE_OBJ) $(STATIC)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(SAMPLE_OBJ) $(STATIC) $(LDLIBS_ALL)

$(BUILD)/samples/lm-eval: $(BUILD)/obj/samples/programs/lm-eval.o $(SAMPLE_OBJ) $(STATIC)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(SAMPLE_OBJ) $(STATIC) $(LDLIBS_ALL)

# `make bench`: the sample model's speed at V = 100,277 on the KJV model
# (trained on first use by samples/train-sample-model.sh; skipped with a
# message when neither `hallmark tokenize` nor node's tiktoken is available).
BENCH_HOOKS += lm-bench
.PHONY: lm-bench
lm-bench: $(SLM_PROGS) $(CLI)
	@if [ -f $(BUILD)/samples/kjv-4.slm ] || \
	    bash samples/train-sample-model.sh $(BUILD) $(BUILD)/samples/kjv-4.slm; then \
	  echo "lm-bench: sample model (KJV, order 4, V = 100277)"; \
	  $(BUILD)/samples/lm-eval --model $(BUILD)/samples/kjv-4.slm --bench 2000 \
	    $(BUILD)/samples/kjv-heldout.ids; \
	else echo "lm-bench: skipped (no tokenizer available to build the KJV model)"; fi

-include $(SLM_PROG_OBJ:.o=.d)
