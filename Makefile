# kvmbench: top-level build.
#
#   make            build the VMM, the micro-guests and the tools
#   make test       unit tests, format check, integration tests (pytest)
#   make bench      run a scenario end to end (SCENARIO=smoke by default,
#                   DB=results/kvmbench.db) and print its summary
#   make images     the Linux initramfs (busybox + virtio modules) in build/images
#   make lab        the lab's kernel and initramfs in build/lab (kvmbench lab)
#   make report     report on the newest campaign (CAMPAIGN=ID for another)
#   make nightly    ci/nightly: nightly campaign, report, compare with the last
#   make qualify    ci/qualify: qualification campaign, gates, JUnit XML
#   make bench-vmm  PIO exit round trip vs a bare KVM_RUN loop, start-up
#                   time and the VMM's memory overhead
#   make bench-harness, make bench-report: the harness's own costs
#   make bench-devices  virtio exits per I/O and IOPS, ioeventfd on vs off
#   make bench-boot     Linux to init: kvmbench-vmm against QEMU microvm and pc
#                       (in the lab where this host's KVM cannot boot Linux)
#   make fuzz           the virtqueue parser under libFuzzer (clang)
#   make install    install kvmbench-vmm into $(PREFIX)/bin
#
# Options: V=1 shows full commands; WERROR=0 keeps warnings non-fatal;
# CC, CFLAGS, PREFIX as usual.

.DEFAULT_GOAL := all
CC ?= cc
PYTHON ?= /usr/bin/python3
PREFIX ?= /usr/local
BUILD := build
V ?= 0
WERROR ?= 1
Q := $(if $(filter 1,$(V)),,@)
say = $(if $(filter 1,$(V)),,@printf '  %-7s %s\n' $(1) $(2);)

VERSION := 0.1
GIT := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wvla -Wundef -Wno-missing-field-initializers \
	-Wno-format-truncation
CFLAGS ?= -O2 -g
HOST_CFLAGS := -std=gnu11 $(WARNINGS) $(if $(filter 1,$(WERROR)),-Werror) \
	-MMD -MP -D_GNU_SOURCE -Ivmm \
	-DKB_VERSION='"$(VERSION)"' -DKB_GIT='"$(GIT)"' $(CFLAGS)
# libseccomp: the VMM's sandbox (vmm/sandbox.c)
LDLIBS := -lpthread -lseccomp
# The VMM links statically: no dynamic loader work at start-up and no
# shared-library pages in its resident set (make bench-vmm measures both).
VMM_LDFLAGS ?= -static

# --- dependencies: installed by the project, never by hand -----------------
DEPS_STAMP := $(BUILD)/.deps-ok
$(DEPS_STAMP): ci/install-deps
	$(Q)mkdir -p $(BUILD)
	$(Q)ci/install-deps
	$(Q)touch $@

# --- the VMM ------------------------------------------------------------------
VMM_SRC := $(wildcard vmm/*.c vmm/boot/*.c vmm/devices/*.c vmm/virtio/*.c)
VMM_LIB_SRC := $(filter-out vmm/main.c,$(VMM_SRC))
VMM_OBJ := $(VMM_SRC:%.c=$(BUILD)/%.o)
VMM_LIB_OBJ := $(VMM_LIB_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(BUILD)/kvmbench-vmm: $(VMM_OBJ)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(VMM_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/kvm-floor: $(BUILD)/vmm/tools/kvm-floor.o
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(VMM_LDFLAGS) -o $@ $^ $(LDLIBS)

# --- the harness ---------------------------------------------------------------
HARNESS_SRC := $(wildcard harness/*.c)
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/%.o)
# shared with the VMM: option/size parsing, host detection, error helper
HARNESS_SHARED := $(BUILD)/vmm/options.o $(BUILD)/vmm/devopts.o $(BUILD)/vmm/qopts.o $(BUILD)/vmm/numa.o $(BUILD)/vmm/host.o \
	$(BUILD)/vmm/util.o
HARNESS_LIBS := -linih -ljson-c -lsqlite3 -lcurl -lcrypto -lm

$(BUILD)/harness/%.o: HOST_CFLAGS += -Iharness

$(BUILD)/kvmbench: $(HARNESS_OBJ) $(HARNESS_SHARED)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(HARNESS_LIBS)

# --- micro-guests -------------------------------------------------------------
include images/guests/guests.mk

# --- unit tests ---------------------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/unit.o $(VMM_LIB_OBJ)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# --- targets ------------------------------------------------------------------
.PHONY: all test unit format-check integration bench bench-vmm bench-harness bench-report \
	report images nightly qualify install clean deps fuzz fuzz-smoke bench-devices lab bench-boot

all: $(BUILD)/kvmbench-vmm $(BUILD)/kvm-floor $(BUILD)/kvmbench $(GUEST_ELFS) $(MB_IMAGES) \
	$(UNIT_BIN)

deps: $(DEPS_STAMP)

unit: $(UNIT_BIN)
	$(Q)for t in $(UNIT_BIN); do $$t || exit 1; done

format-check: | $(DEPS_STAMP)
	$(Q)tests/format-check

integration: all $(BUILD)/kvmbench-vmm-asan
	$(Q)$(PYTHON) -m pytest -q tests

test: all $(BUILD)/kvmbench-vmm-asan $(LAB_IMAGES) $(BUILD)/images/initramfs.cpio.gz
	$(Q)PYTHON=$(PYTHON) tests/run-all

SCENARIO ?= smoke
DB ?= results/kvmbench.db

bench: all
	$(Q)build/kvmbench run $(SCENARIO) --db $(DB); rc=$$?; \
	[ $$rc -eq 1 ] && exit 1; \
	build/kvmbench summary last:bench --db $(DB) && \
	build/kvmbench report last:bench --db $(DB) --name $(SCENARIO)-latest >/dev/null && \
	echo "database: $(DB)" && echo "report:   reports/$(SCENARIO)-latest/index.html"; \
	exit $$rc

images: $(BUILD)/images/initramfs.cpio.gz

# the lab's kernel and initramfs (kvmbench lab builds them too, on first use)
LAB_IMAGES := $(BUILD)/lab/vmlinuz $(BUILD)/lab/initrd.cpio.gz
lab: $(LAB_IMAGES)
$(LAB_IMAGES) &: images/lab/mklab images/lab/init images/lab/SHA256SUMS | $(DEPS_STAMP)
	$(Q)images/lab/mklab $(BUILD)/lab

$(BUILD)/images/initramfs.cpio.gz: images/linux/mkinitramfs images/linux/init \
		images/linux/pktloop.c images/linux/outb.c \
		images/linux/SHA256SUMS | $(DEPS_STAMP)
	$(Q)images/linux/mkinitramfs $@

report: all
	$(Q)build/kvmbench report $(CAMPAIGN) --db $(DB)

bench-vmm: all
	$(Q)$(PYTHON) tests/bench/bench_vmm.py

nightly: all
	$(Q)ci/nightly

qualify: all
	$(Q)ci/qualify

bench-harness: all
	$(Q)$(PYTHON) tests/bench/bench_harness.py

bench-report: all
	$(Q)$(PYTHON) tests/bench/bench_report.py

bench-devices: all
	$(Q)$(PYTHON) tests/bench/bench_devices.py

bench-boot: all $(LAB_IMAGES) $(BUILD)/images/initramfs.cpio.gz
	$(Q)$(PYTHON) tests/bench/bench_boot.py

install: $(BUILD)/kvmbench-vmm $(BUILD)/kvmbench
	install -D -m 0755 $(BUILD)/kvmbench-vmm $(DESTDIR)$(PREFIX)/bin/kvmbench-vmm
	install -D -m 0755 $(BUILD)/kvmbench $(DESTDIR)$(PREFIX)/bin/kvmbench

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:

# --- the VMM under AddressSanitizer and UBSan (tests/test_virtio.py runs the
# hostile guests on it: a device bug that touches memory it should not fails
# the test instead of passing unnoticed) ------------------------------------------
$(BUILD)/kvmbench-vmm-asan: $(VMM_SRC) $(wildcard vmm/*.h vmm/*/*.h) | $(DEPS_STAMP)
	$(call say,LINK,$@)
	$(Q)$(CC) $(HOST_CFLAGS) $(SAN) -o $@ $(VMM_SRC) $(LDLIBS)

# --- fuzzing the virtqueue parser (tests/fuzz/fuzz_virtq.c) -------------------
FUZZ_SRC := tests/fuzz/fuzz_virtq.c vmm/virtio/virtq.c vmm/memory.c vmm/util.c
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1

$(BUILD)/fuzz_virtq_smoke: $(FUZZ_SRC) vmm/virtio/virtq.h | $(DEPS_STAMP)
	$(call say,LINK,$@)
	$(Q)$(CC) -std=gnu11 $(SAN) -Ivmm -o $@ $(FUZZ_SRC)

fuzz-smoke: $(BUILD)/fuzz_virtq_smoke
	$(Q)$(BUILD)/fuzz_virtq_smoke 20000

fuzz: | $(DEPS_STAMP)
	@command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang)" >&2; exit 1; }
	$(Q)clang -std=gnu11 -DKB_LIBFUZZER -fsanitize=fuzzer,address,undefined -g -O1 -Ivmm \
		-o $(BUILD)/fuzz_virtq $(FUZZ_SRC)
	@echo "run: $(BUILD)/fuzz_virtq -max_total_time=600 build/fuzz-corpus (mkdir it first)"
