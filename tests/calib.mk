# tests/calib.mk - calibration and power of detection (docs/calibration.md).
#
#   make deps   installs dict-devil and wordnet-base and builds the human-text
#               corpus in tests/data/ (tests/data/build-corpus.sh; idempotent)
#   make check  tests/test_calibration.c, tests/test_calib_model.c and
#               tests/cli/test_calibration.sh use it
#   make eval   (also run by `make bench`) the power table: per scheme, the
#               median number of tokens until streaming detection reaches
#               p <= 1e-6 on sample-model output at T = 0.7 and 1.0, and the
#               KGW green-fraction theory check; trains the KJV sample model
#               on first use

DEB_PKGS += dict-devil wordnet-base
DEPS_HOOKS += calib-corpus
BENCH_HOOKS += eval

EVAL_POWER := $(BUILD)/samples/eval-power
EVAL_MODEL ?= $(BUILD)/samples/kjv-4.slm
EVAL_ARGS ?=

.PHONY: calib-corpus eval

calib-corpus:
	@bash tests/data/build-corpus.sh

all: $(EVAL_POWER)

$(EVAL_POWER): $(BUILD)/obj/samples/programs/eval-power.o $(SAMPLE_OBJ) $(STATIC)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(SAMPLE_OBJ) $(STATIC) $(LDLIBS_ALL)

eval: $(EVAL_POWER) $(CLI) $(BUILD)/samples/train-lm
	@if [ -f $(EVAL_MODEL) ] || \
	    bash samples/train-sample-model.sh $(BUILD) $(EVAL_MODEL); then \
	  $(EVAL_POWER) --model $(EVAL_MODEL) $(EVAL_ARGS); \
	else echo "eval: skipped (no tokenizer available to build the KJV model)"; fi

-include $(BUILD)/obj/samples/programs/eval-power.d
