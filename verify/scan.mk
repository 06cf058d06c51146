# verify/scan.mk - corpus scans, radioactivity and scale-out: Debian
# packages (GNU parallel for the sharding test, zlib headers for gzip input),
# the demo's sample "API" program, and the scan bench hook.

DEB_PKGS += parallel zlib1g-dev

SCAN_DEMO_PROGS := $(BUILD)/samples/demo-gen

all: $(SCAN_DEMO_PROGS)

$(BUILD)/samples/demo-gen: $(BUILD)/obj/samples/programs/demo-gen.o $(SAMPLE_OBJ) $(STATIC)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $< $(SAMPLE_OBJ) $(STATIC) $(LDLIBS_ALL)

# `make bench`: scan throughput with 1 and 2 threads and peak RSS on a corpus
# of at least 50 MB, beside `hallmark tokenize` on the same text.
BENCH_HOOKS += scan-bench
.PHONY: scan-bench
scan-bench: $(CLI)
	@bash samples/scan-bench.sh $(BUILD)

-include $(BUILD)/obj/samples/programs/demo-gen.d
