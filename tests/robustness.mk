# tests/robustness.mk - robustness to attacks (docs/robustness.md).
#
#   make robustness   for every scheme, the detection rate at alpha 1e-6 and
#                     1e-2 after each attack of `hallmark attack` and rate, and
#                     the false-positive rate of the same attack on human text
#                     (tests/tools/robustness.sh; N texts per cell, default 40;
#                     about 10 minutes on 2 cores); writes build/robustness.md
#   make calibrate    (CALIBRATE_HOOKS) the row "canonical-default": the
#                     default test of `hallmark detect` (whole document + span,
#                     text as given + canonical text) on scrubbed human text
# tests/cli/test_robustness.sh runs a small table in `make test`.
# wordnet-base (synonym substitution) is in tests/calib.mk's DEB_PKGS.

DEB_PKGS += bible-kjv wordnet-base
CALIBRATE_HOOKS += calibrate-canonical
ROBUSTNESS_N ?= 40

.PHONY: robustness calibrate-canonical

robustness: all
	@N=$(ROBUSTNESS_N) bash tests/tools/robustness.sh $(BUILD) $(BUILD)/robustness.md

calibrate-canonical: all
	@bash tests/tools/calibrate-canonical.sh $(BUILD)
