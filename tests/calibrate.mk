# tests/calibrate.mk - `make calibrate` (docs/calibration.md): tests/calibrate.c
# runs every command that prints a p-value through the library under H0 on
# the human-text corpus (prose, glosses, C headers, templated records; built
# by tests/data/build-corpus.sh), with many fixed-seed keys, and prints one
# `calib:` row each plus a summary; it exits non-zero on any FAIL.  The
# --quick version runs in `make test` (tests/cli/test_calibrate.sh).

DEB_PKGS += libc6-dev
CALIBRATE_HOOKS += calibrate-stats

CALIBRATE_BIN := $(BUILD)/tests/calibrate
CALIBRATE_ARGS ?=

.PHONY: calibrate-stats

all: $(CALIBRATE_BIN)

$(CALIBRATE_BIN): $(BUILD)/obj/tests/calibrate.o $(STATIC)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(STATIC) $(LDLIBS_ALL)

calibrate-stats: $(CALIBRATE_BIN)
	@$(CALIBRATE_BIN) --data tests/data --tokenizer samples/tokenizers/cl100k_base.tiktoken \
	  $(CALIBRATE_ARGS)

-include $(BUILD)/obj/tests/calibrate.o.d $(BUILD)/obj/tests/calibrate.d
