# verify/stats.mk - build additions for the exact statistics library.
#
# python3-mpmath is the high-precision oracle used by
# tests/tools/gen_stats_vectors.py and tests/cli/test_stats_scipy.sh
# (scipy's own tails underflow below 1e-308).
DEB_PKGS += python3-mpmath

.PHONY: stats-vectors stats-bench
# Regenerates the committed reference vectors (a few minutes).
stats-vectors:
	/usr/bin/python3 tests/tools/gen_stats_vectors.py tests/vectors

# ns per call of the main tails (prints a table; no test asserts time).
STATS_BENCH := $(BUILD)/tests/stats_bench
$(STATS_BENCH): tests/tools/stats_bench.c $(STATIC)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(STATIC) $(LDLIBS_ALL)
stats-bench: $(STATS_BENCH)
	@$(STATS_BENCH)
BENCH_HOOKS += stats-bench

# tests/cli/test_stats_scipy.sh compares a fresh random scipy/mpmath grid
# through this small program, so `make check` builds it.
STATS_EVAL := $(BUILD)/tests/stats_eval
$(STATS_EVAL): tests/tools/stats_eval.c $(STATIC)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(STATIC) $(LDLIBS_ALL)
check: $(STATS_EVAL)
