# Hallmark - the root Makefile.
#
#   make            build libhallmark.a, libhallmark.so and the `hallmark` CLI
#   make test       install missing Debian packages, build, run every test
#   make demo       install missing packages, build, run the end-to-end demo
#   make llama-demo llama.cpp + Hallmark sampler on the sample neural model
#   make asan       the whole test suite under AddressSanitizer + UBSan
#   make bench      speed against side-by-side baselines (prints ratios)
#   make fuzz       libFuzzer targets (FUZZ_SECONDS each, default 600)
#   make deps       install missing Debian packages and fetch pinned data
#   make install    PREFIX=/usr/local DESTDIR= ; make uninstall ; make clean
#
# V=1 shows the commands.  WERROR=-Werror turns warnings into errors (CI).
# Modules add to the variables below from their own fragments (*/*.mk),
# included at the end.

VERSION := $(shell cat VERSION)
SOVERSION := 0
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/hallmark
MANDIR ?= $(PREFIX)/share/man
BUILD ?= build
CC ?= cc
CLANG ?= clang
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
WERROR ?=
SAN_FLAGS ?=
FUZZ_SECONDS ?= 600

PKGS := libsodium libcrypto libcjson libpcre2-8 zlib
# pkg-config modules that hallmark.pc lists as Requires.private; fragments add.
PC_REQUIRES := $(PKGS)
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
BUILD_ID := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

WARN := -std=c11 -Wall -Wextra -Wconversion -Wshadow -Wmissing-prototypes \
        -Wstrict-prototypes -Wformat=2 -Wvla
ALL_CPPFLAGS := -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Iinclude $(PKG_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS := $(WARN) $(WERROR) $(CFLAGS) $(SAN_FLAGS) -fPIC -fvisibility=hidden -MMD -MP
LDLIBS_ALL := $(PKG_LIBS) -lpthread -lm

# Debian packages that `make deps` installs when missing.  Fragments add more.
DEB_PKGS := build-essential pkg-config libsodium-dev libssl-dev libcjson-dev \
            libpcre2-dev zlib1g-dev python3 python3-scipy parallel \
            bible-kjv clang libclang-rt-14-dev faketime
# Targets that `make deps` runs after apt (e.g. pinned downloads); fragments add.
DEPS_HOOKS :=
# Targets that `make bench` runs; fragments add.
BENCH_HOOKS :=
# Targets that `make calibrate` runs (statistics under H0; each prints
# `calib: <row> n=... PASS|FAIL` lines and fails on a FAIL); fragments add.
CALIBRATE_HOOKS :=
# libFuzzer targets: tests/fuzz/<name>.c for each name; fragments add.
FUZZ_TARGETS :=

LIB_SRC := $(sort $(wildcard watermark/*.c watermark/schemes/*.c verify/*.c verify/*/*.c))
CLI_SRC := $(sort $(wildcard cli/*.c))
SAMPLE_SRC := $(sort $(wildcard samples/lm/*.c))
TEST_SRC := tests/harness.c tests/testutil.c $(sort $(wildcard tests/test_*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
SAMPLE_OBJ := $(SAMPLE_SRC:%.c=$(BUILD)/obj/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)

STATIC := $(BUILD)/libhallmark.a
SHARED := $(BUILD)/libhallmark.so.$(VERSION)
CLI := $(BUILD)/hallmark
UNIT := $(BUILD)/tests/unit

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2)
endif

.PHONY: all test check demo asan bench calibrate fuzz deps deps-apt install uninstall clean

all: $(STATIC) $(SHARED) $(CLI)

$(BUILD)/obj/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -DHM_BUILD_ID='"$(BUILD_ID)"' \
	  -Iwatermark -Iverify -c $< -o $@

# The CLI and the samples see the public headers only.
$(BUILD)/obj/cli/%.o: cli/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -DHM_DATADIR='"$(DATADIR)"' -c $< -o $@

# The data directory compiled into the CLI follows DATADIR (and so PREFIX):
# `make install PREFIX=...` after a plain `make` rebuilds what names it.
$(BUILD)/datadir.txt: FORCE
	@mkdir -p $(BUILD)
	@[ "$$(cat $@ 2>/dev/null)" = '$(DATADIR)' ] || printf '%s\n' '$(DATADIR)' > $@
$(BUILD)/obj/cli/cmd_tokenize.o: $(BUILD)/datadir.txt
.PHONY: FORCE
FORCE:

$(BUILD)/obj/samples/%.o: samples/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(STATIC): $(LIB_OBJ)
	$(call say,AR,$@)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(call say,LD,$@)
	$(Q)$(CC) -shared -Wl,-soname,libhallmark.so.$(SOVERSION) $(SAN_FLAGS) -o $@ $^ $(LDLIBS_ALL)
	$(Q)ln -sf libhallmark.so.$(VERSION) $(BUILD)/libhallmark.so.$(SOVERSION)
	$(Q)ln -sf libhallmark.so.$(SOVERSION) $(BUILD)/libhallmark.so

$(CLI): $(CLI_OBJ) $(SAMPLE_OBJ) $(STATIC)
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(CLI_OBJ) $(SAMPLE_OBJ) $(STATIC) $(LDLIBS_ALL)

$(UNIT): $(TEST_OBJ) $(SAMPLE_OBJ) $(STATIC)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(TEST_OBJ) $(SAMPLE_OBJ) $(STATIC) $(LDLIBS_ALL)

$(BUILD)/obj/tests/%.o: tests/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -Iwatermark -Iverify \
	  -Isamples -Itests -c $< -o $@

# --- tests -----------------------------------------------------------------
# `make test` = deps, then a fresh make (so pkg-config sees what deps installed).
test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory check

check: all $(UNIT)
	@bash tests/run.sh $(BUILD)

asan:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan CFLAGS="-O1 -g" \
	  SAN_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  HM_SANITIZED=1 check

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@bash samples/demo.sh $(BUILD)

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@set -e; for t in $(BENCH_HOOKS); do $(MAKE) --no-print-directory $$t; done

calibrate:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@set -e; for t in $(CALIBRATE_HOOKS); do $(MAKE) --no-print-directory $$t; done

# --- fuzzing (clang libFuzzer) ------------------------------------------------
FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
fuzz:
	@$(MAKE) --no-print-directory deps
	@set -e; for t in $(FUZZ_TARGETS); do \
	  $(MAKE) --no-print-directory $(FUZZ_BUILD)/$$t; \
	  mkdir -p $(FUZZ_BUILD)/corpus-$$t; \
	  echo "fuzz $$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD)/$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
	    -artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus-$$t tests/fuzz/seeds/$$t 2>&1 | tail -n 5; \
	done

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)
	$(Q)$(CLANG) $(ALL_CPPFLAGS) -std=c11 $(FUZZ_CFLAGS) -Iwatermark -Iverify -o $@ $< \
	  $(LIB_SRC) $(LDLIBS_ALL)

# --- dependencies ---------------------------------------------------------------
deps: deps-apt
	@set -e; for t in $(DEPS_HOOKS); do $(MAKE) --no-print-directory $$t; done

# Installs the Debian packages that are missing; does nothing when all are
# present.  Waits for the dpkg lock instead of failing.
deps-apt:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; done; \
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
	  || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  $$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get -o DPkg::Lock::Timeout=600 \
	    install -y -qq --no-install-recommends $$missing; \
	fi

# --- install ---------------------------------------------------------------
PUBLIC_HEADERS := $(sort $(wildcard include/hallmark/*.h))

$(BUILD)/hallmark.pc: Makefile VERSION
	@mkdir -p $(BUILD)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	  'Name: hallmark' 'Description: watermark and fingerprint language-model output' \
	  'Version: $(VERSION)' 'Requires.private: $(PC_REQUIRES)' \
	  'Libs: -L$${libdir} -lhallmark' 'Libs.private: -lpthread -lm' \
	  'Cflags: -I$${includedir}' > $@

install: all $(BUILD)/hallmark.pc
	install -d $(DESTDIR)$(INCLUDEDIR)/hallmark $(DESTDIR)$(LIBDIR)/pkgconfig \
	  $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/tokenizers
	install -m 644 include/hallmark.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/hallmark/
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libhallmark.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libhallmark.so.$(SOVERSION)
	ln -sf libhallmark.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libhallmark.so
	install -m 644 $(BUILD)/hallmark.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/
	install -m 644 docs/hallmark.1 $(DESTDIR)$(MANDIR)/man1/
	for f in samples/tokenizers/*.tiktoken samples/tokenizers/*.json; do \
	  [ -e "$$f" ] && install -m 644 "$$f" $(DESTDIR)$(DATADIR)/tokenizers/ || true; done

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/hallmark.h $(DESTDIR)$(LIBDIR)/libhallmark.a \
	  $(DESTDIR)$(LIBDIR)/libhallmark.so* $(DESTDIR)$(LIBDIR)/pkgconfig/hallmark.pc \
	  $(DESTDIR)$(BINDIR)/hallmark $(DESTDIR)$(MANDIR)/man1/hallmark.1
	rm -rf $(DESTDIR)$(INCLUDEDIR)/hallmark $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(BUILD)

# Module fragments: each adds its own deps hooks, benches and fuzz targets.
include $(sort $(wildcard watermark/*.mk verify/*.mk verify/*/*.mk cli/*.mk samples/*.mk tests/*.mk \
  integrations/*/*.mk python/*.mk))

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(SAMPLE_OBJ:.o=.d)
