# verify/canon.mk - canonical text before tokenizing (verify/canon.c,
# docs/canonical.md): ICU's normalization, confusable skeletons and script
# properties, from Debian's libicu-dev (found with pkg-config icu-uc icu-i18n).
DEB_PKGS += libicu-dev
ALL_CPPFLAGS += $(shell $(PKG_CONFIG) --cflags icu-uc icu-i18n 2>/dev/null)
LDLIBS_ALL += $(shell $(PKG_CONFIG) --libs icu-uc icu-i18n 2>/dev/null)
PC_REQUIRES += icu-uc icu-i18n
FUZZ_TARGETS += fuzz_canon
