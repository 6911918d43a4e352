# Airlock: one non-recursive Makefile.  `make`, `make check`, `make demo`,
# `make install`, `make fuzz`; SANITIZE=1 builds with ASan+UBSan; V=1 is verbose.

CC      ?= cc
PREFIX  ?= /usr/local
PKGS    := libarchive gpgme sqlite3 libiso9660 libcdio libzstd libmicrohttpd libcrypto jansson libcurl \
	libclamav yara libmagic zlib liblzma

# Debian packages each target needs; `make deps` installs the missing ones as
# root and otherwise prints the exact apt-get line and stops.
DEB_BUILD := gcc make pkg-config libarchive-dev libgpgme-dev libsqlite3-dev libiso9660-dev \
	libcdio-dev libzstd-dev libmicrohttpd-dev libssl-dev libjansson-dev libcmocka-dev libcurl4-openssl-dev \
	libclamav-dev libyara-dev libmagic-dev zlib1g-dev liblzma-dev
DEB_TEST  := gnupg gpg-agent gpgv xorriso genisoimage zstd tar curl mandoc sqlite3 clang \
	libclang-rt-14-dev python3 apt dpkg-dev apt-utils xz-utils
DEB_ALL   := $(DEB_BUILD) $(DEB_TEST)

ifeq ($(SANITIZE),1)
BUILD   := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD   := build/default
SANFLAGS :=
endif

ifneq ($(V),1)
Q := @
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
	-Wformat=2 -Wvla -Wno-format-truncation
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -I. $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

.DEFAULT_GOAL := all

COMPONENTS := importer exporter mirror verify media lib
# Static library per component; link order follows the dependency direction.
define component
$(1)_SRC := $$(sort $$(wildcard $(1)/*.c))
$(1)_OBJ := $$(patsubst %.c,$(BUILD)/%.o,$$($(1)_SRC))
$(BUILD)/lib$(1).a: $$($(1)_OBJ)
	@mkdir -p $$(@D)
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach c,$(COMPONENTS),$(eval $(call component,$(c))))

LIBS := $(foreach c,$(COMPONENTS),$(BUILD)/lib$(c).a)
ALL_OBJ := $(foreach c,$(COMPONENTS),$($(c)_OBJ)) $(BUILD)/airlock.o

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

.PHONY: all check unit e2e demo install deps deps-build fuzz clean bench
all: $(BUILD)/airlock

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/airlock: $(BUILD)/airlock.o $(LIBS)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBS) $(PKG_LIBS)
	$(Q)ln -sf $(notdir $(BUILD))/airlock build/airlock

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS) $(PKG_LIBS) $$(pkg-config --libs cmocka)

# libFuzzer targets (clang); each links the component libraries built with the same compiler.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS)
FUZZ_LIB_SRC := $(lib_SRC) $(verify_SRC) $(media_SRC) $(mirror_SRC) $(importer_SRC)
FUZZ_LIB_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(FUZZ_LIB_SRC))
build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -c -o $@ $<
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(PKG_LIBS)
# `make check` runs every target briefly over its seed corpus (tests/run.sh).
fuzz: $(FUZZ_BIN)
.SECONDARY: $(FUZZ_LIB_OBJ)

deps:
	$(Q)tests/tools/deps.sh $(DEB_ALL)
deps-build:
	$(Q)tests/tools/deps.sh $(DEB_BUILD)

unit: $(UNIT_BIN)
e2e: $(BUILD)/airlock

check: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BIN) $(FUZZ_BIN)
	$(Q)AIRLOCK=$(CURDIR)/$(BUILD)/airlock BUILD=$(BUILD) tests/run.sh $(UNIT_BIN) -- $(FUZZ_BIN)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)AIRLOCK=$(CURDIR)/$(BUILD)/airlock tests/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)AIRLOCK=$(CURDIR)/$(BUILD)/airlock bench/run.sh

install: $(BUILD)/airlock
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/airlock $(DESTDIR)$(PREFIX)/bin/airlock
	install -m 0644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf build

-include $(ALL_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d)
