# tests/calib_interop.mk - calibration rows for the SynthID key-set test and
# the vLLM dual-key tail (tests/tools/calib_interop.c, docs/calibration.md).
#
#   make calibrate      runs calibrate-interop among CALIBRATE_HOOKS: 24 random
#                       fixed SynthID key sets and vLLM dual-key at 4 alphas on
#                       every document of the human corpus (a few minutes)
#   make check          tests/cli/test_calib_interop.sh runs a reduced version

CALIBRATE_HOOKS += calibrate-interop
CALIB_INTEROP := $(BUILD)/tests/calib_interop
CALIB_INTEROP_ARGS ?=

.PHONY: calibrate-interop

$(CALIB_INTEROP): tests/tools/calib_interop.c tests/calib_corpus.h tests/synthid_bad_keys.h $(STATIC)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Itests -Iverify -Iwatermark -o $@ $< $(STATIC) \
	  $(LDLIBS_ALL)

check: $(CALIB_INTEROP)

calibrate-interop: $(CALIB_INTEROP)
	@HM_TEST_DIR=$(CURDIR)/tests $(CALIB_INTEROP) $(CALIB_INTEROP_ARGS)
