# integrations/llama/llama.mk - the llama.cpp integration and the sample
# neural model.
#
#   make llama          the Hallmark llama_sampler and its programs, against the
#                       pinned prebuilt llama.cpp (fetched on first use)
#   make neural-model   trains (once; cached in build/neural) the sample neural
#                       model with Debian torch and exports it to GGUF
#   make llama-demo     watermarked and plain answers through llama.cpp, detected
#                       with `hallmark detect`
#   bench hook          bench-llama: per-token cost beside llama.cpp's own chain
#
# The vendor tree and the model live in build/ but outside $(BUILD), so
# `make asan` (BUILD=build/asan) reuses them: the programs the model build
# uses are order-only prerequisites, so a rebuilt CLI does not retrain it.

LLAMA_DIR ?= build/vendor/llama
LLAMA_STAMP := $(LLAMA_DIR)/.stamp
LLAMA_BUILD := $(BUILD)/llama
LLAMA_LIBDIR := $(abspath $(LLAMA_DIR)/lib)
LLAMA_CFLAGS := -isystem $(LLAMA_DIR)/include -Iintegrations/llama \
                -DHM_LLAMA_BACKEND_DIR='"$(LLAMA_LIBDIR)"'
LLAMA_LIBS := -L$(LLAMA_LIBDIR) -Wl,-rpath,$(LLAMA_LIBDIR) \
              -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so
LLAMA_GEN := $(LLAMA_BUILD)/hm-llama-gen
LLAMA_BENCH := $(LLAMA_BUILD)/hm-llama-bench
LLAMA_TEST := $(LLAMA_BUILD)/hm-llama-test
LLAMA_PROGS := $(LLAMA_GEN) $(LLAMA_BENCH) $(LLAMA_TEST)

NEURAL_DIR ?= build/neural
NEURAL_GGUF := $(NEURAL_DIR)/model.gguf
NEURAL_SRC := $(wildcard samples/neural/*.py samples/neural/*.sh) samples/kjv-chapters.sh

# torch, numpy (also gguf-py's), OpenBLAS for torch (Debian's torch links the
# reference BLAS otherwise), venv/pip/setuptools for the Python package,
# git to open llama.cpp's source bundle.
DEB_PKGS += python3-torch python3-numpy libopenblas0-pthread python3-venv python3-pip \
            python3-setuptools python3-wheel git
DEPS_HOOKS += llama-fetch

.PHONY: llama llama-fetch neural-model llama-demo bench-llama
llama-fetch:
	@bash integrations/llama/fetch.sh $(LLAMA_DIR)

$(LLAMA_STAMP): integrations/llama/fetch.sh
	@bash integrations/llama/fetch.sh $(LLAMA_DIR)

llama: $(LLAMA_PROGS)

$(LLAMA_BUILD)/%.o: integrations/llama/%.c integrations/llama/hallmark_llama.h $(LLAMA_STAMP)
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(LLAMA_CFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(LLAMA_PROGS): $(LLAMA_BUILD)/%: $(LLAMA_BUILD)/%.o $(LLAMA_BUILD)/hallmark_llama.o $(STATIC)
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(LLAMA_LIBS) $(LDLIBS_ALL)

$(NEURAL_GGUF): $(NEURAL_SRC) | $(CLI) $(LLAMA_GEN)
	@bash samples/neural/build.sh $(BUILD) $(NEURAL_DIR) $(LLAMA_DIR)

neural-model: $(NEURAL_GGUF)

llama-demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all llama $(NEURAL_GGUF)
	@bash integrations/llama/demo.sh $(BUILD) $(NEURAL_DIR)

# The tests (tests/cli/test_llama.sh, test_python.sh) need the programs and
# the model.
check: $(LLAMA_PROGS) $(NEURAL_GGUF)

BENCH_HOOKS += bench-llama
bench-llama: $(LLAMA_BENCH) $(SHARED)
	@$(LLAMA_BENCH)
	@bash python/bench.sh $(BUILD)

-include $(LLAMA_BUILD)/*.d
