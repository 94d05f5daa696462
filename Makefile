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
#   make fuzz           every parser under libFuzzer (clang), FUZZ_TIME s each;
#                       make fuzz-smoke: a bounded run of each (make test)
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
	-MMD -MP -D_GNU_SOURCE -I. -Iinclude \
	-DKB_VERSION='"$(VERSION)"' -DKB_GIT='"$(GIT)"' $(CFLAGS)
# Internal invariants are assert()s (docs/ARCHITECTURE.md).  The release
# build (build/*.o: make, make install) compiles them out; the checked builds
# keep them, so make test checks invariants: the unit tests and the VMM and
# common objects they link (build/checked/), the ASan/UBSan and TSan VMMs and
# the fuzz builds.  tests/unit/test_assert.c and tests/functional/test_asserts.py check it.
RELEASE_CFLAGS := -DNDEBUG
CHECKED_CFLAGS := -UNDEBUG
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

# --- common/: what the VMM, the harness and the tools share (a static
# archive: each program links only the members it uses) ----------------------
COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
COMMON_LIB := $(BUILD)/libkbcommon.a

$(COMMON_LIB): $(COMMON_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# --- the VMM ------------------------------------------------------------------
VMM_SRC := $(wildcard vmm/*.c vmm/boot/*.c vmm/devices/*.c vmm/virtio/*.c)
VMM_LIB_SRC := $(filter-out vmm/main.c,$(VMM_SRC))
VMM_OBJ := $(VMM_SRC:%.c=$(BUILD)/%.o)
VMM_LIB_OBJ := $(VMM_LIB_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) $(RELEASE_CFLAGS) -c -o $@ $<

# the checked build: asserts live (the unit tests link it)
$(BUILD)/checked/%.o: %.c | $(DEPS_STAMP)
	$(call say,CC-CHK,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(HOST_CFLAGS) -Ivmm $(CHECKED_CFLAGS) -c -o $@ $<

$(BUILD)/vmm/%.o: HOST_CFLAGS += -Ivmm
$(BUILD)/tests/%.o: HOST_CFLAGS += -Ivmm

$(BUILD)/kvmbench-vmm: $(VMM_OBJ) $(COMMON_LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(VMM_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/kvm-floor: $(BUILD)/vmm/tools/kvm-floor.o $(COMMON_LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(VMM_LDFLAGS) -o $@ $^ $(LDLIBS)

# --- the harness ---------------------------------------------------------------
# harness/ by stage (docs/ARCHITECTURE.md): cli -> exec -> report -> analyze
# -> store -> plan, images; each includes only stages below it and common/
HARNESS_SRC := $(wildcard harness/*/*.c)
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(BUILD)/%.o)
HARNESS_LIBS := -linih -ljson-c -lsqlite3 -lcurl -lcrypto -lm

$(BUILD)/harness/%.o: HOST_CFLAGS += -Iharness
$(BUILD)/checked/tests/unit/test_labhang.o: HOST_CFLAGS += -Iharness

$(BUILD)/kvmbench: $(HARNESS_OBJ) $(COMMON_LIB)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(HARNESS_LIBS)

# --- micro-guests -------------------------------------------------------------
include images/guests/guests.mk

# --- unit tests ---------------------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
CHECKED_VMM_LIB_OBJ := $(VMM_LIB_SRC:%.c=$(BUILD)/checked/%.o)
CHECKED_COMMON_LIB := $(BUILD)/checked/libkbcommon.a

$(CHECKED_COMMON_LIB): $(COMMON_SRC:%.c=$(BUILD)/checked/%.o)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/tests/%: $(BUILD)/checked/tests/unit/%.o $(BUILD)/checked/tests/unit/unit.o \
		$(CHECKED_VMM_LIB_OBJ) $(CHECKED_COMMON_LIB)
	$(call say,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# --- targets ------------------------------------------------------------------
.PHONY: all test unit format-check arch-check integration bench bench-vmm bench-harness bench-report \
	report images nightly qualify install clean deps fuzz fuzz-smoke fuzz-clang bench-devices lab \
	bench-boot

all: $(BUILD)/kvmbench-vmm $(BUILD)/kvm-floor $(BUILD)/kvmbench $(GUEST_ELFS) $(MB_IMAGES) \
	$(UNIT_BIN)

deps: $(DEPS_STAMP)

unit: $(UNIT_BIN)
	$(Q)for t in $(UNIT_BIN); do $$t || exit 1; done

format-check: | $(DEPS_STAMP)
	$(Q)tests/format-check

arch-check:
	$(Q)$(PYTHON) tests/arch-check

# Set before the targets below: a rule's prerequisites are expanded as make
# reads it (TSAN_VMM was empty here once, so make test never built it).
TSAN := -fsanitize=thread -Wno-tsan -fno-omit-frame-pointer -g -O1
HAVE_TSAN := $(shell printf 'int main(void){return 0;}' | \
	$(CC) -fsanitize=thread -x c -o /dev/null - 2>/dev/null && echo 1)
TSAN_VMM := $(if $(HAVE_TSAN),$(BUILD)/kvmbench-vmm-tsan)
LAB_IMAGES := $(BUILD)/lab/vmlinuz $(BUILD)/lab/initrd.cpio.gz

integration: all $(BUILD)/kvmbench-vmm-asan $(TSAN_VMM)
	$(Q)$(PYTHON) -m pytest -q tests

test: all $(BUILD)/kvmbench-vmm-asan $(TSAN_VMM) $(LAB_IMAGES) $(BUILD)/images/initramfs.cpio.gz
	$(Q)PYTHON=$(PYTHON) tests/run-all

SCENARIO ?= smoke
DB ?= results/kvmbench.db
# the report of make bench: reports/NAME-latest, NAME the scenario's base name
# (SCENARIO=/tmp/x.ini: x-latest)
BENCH_REPORT = $(basename $(notdir $(SCENARIO)))-latest

# report exits 2 when runs failed: its page is there and shows them
bench: all
	$(Q)build/kvmbench run $(SCENARIO) --db $(DB); rc=$$?; \
	[ $$rc -eq 1 ] && exit 1; \
	build/kvmbench summary last:bench --db $(DB) && \
	{ build/kvmbench report last:bench --db $(DB) --name $(BENCH_REPORT) >/dev/null; \
	  [ $$? -ne 1 ]; } && \
	echo "database: $(DB)" && echo "report:   reports/$(BENCH_REPORT)/index.html" && \
	{ [ ! -e reports/$(BENCH_REPORT)/paging.html ] || \
	  echo "paging:   reports/$(BENCH_REPORT)/paging.html"; }; \
	exit $$rc

images: $(BUILD)/images/initramfs.cpio.gz

# the lab's kernel and initramfs (kvmbench lab builds them too, on first use)
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
	$(Q)$(PYTHON) tests/performance/bench_vmm.py

nightly: all
	$(Q)ci/nightly

qualify: all
	$(Q)ci/qualify

bench-harness: all
	$(Q)$(PYTHON) tests/performance/bench_harness.py

bench-report: all
	$(Q)$(PYTHON) tests/performance/bench_report.py

bench-devices: all
	$(Q)$(PYTHON) tests/performance/bench_devices.py

bench-boot: all $(LAB_IMAGES) $(BUILD)/images/initramfs.cpio.gz
	$(Q)$(PYTHON) tests/performance/bench_boot.py

install: $(BUILD)/kvmbench-vmm $(BUILD)/kvmbench
	install -D -m 0755 $(BUILD)/kvmbench-vmm $(DESTDIR)$(PREFIX)/bin/kvmbench-vmm
	install -D -m 0755 $(BUILD)/kvmbench $(DESTDIR)$(PREFIX)/bin/kvmbench

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:

# --- the VMM under AddressSanitizer and UBSan (tests/functional/test_virtio.py
# runs the hostile guests on it: a device bug that touches memory it should not
# fails the test instead of passing unnoticed) ------------------------------------
$(BUILD)/kvmbench-vmm-asan: $(VMM_SRC) $(COMMON_SRC) $(wildcard vmm/*.h vmm/*/*.h common/*.h include/*/*.h) | $(DEPS_STAMP)
	$(call say,LINK,$@)
	$(Q)$(CC) $(HOST_CFLAGS) $(CHECKED_CFLAGS) -Ivmm $(SAN) -o $@ $(VMM_SRC) $(COMMON_SRC) $(LDLIBS) $(HARNESS_LIBS)

# --- the VMM under ThreadSanitizer (tests/security/test_vmmsafe.py runs the
# guests with several devices, each with its own I/O thread, on it: state shared
# between threads without a lock fails the test).  Built where the compiler
# has the TSan runtime (gcc's libtsan); the test says so and skips where
# not. ----------------------------------------------------------------------
# -Wno-tsan: TSan does not model fences; virtq.c's order guest memory
# against the guest, which TSan cannot see anyway.
# (TSAN, HAVE_TSAN and TSAN_VMM are set above the test targets, which use them)

$(BUILD)/kvmbench-vmm-tsan: $(VMM_SRC) $(COMMON_SRC) $(wildcard vmm/*.h vmm/*/*.h common/*.h include/*/*.h) | $(DEPS_STAMP)
	$(call say,LINK,$@)
	$(Q)$(CC) $(HOST_CFLAGS) $(CHECKED_CFLAGS) -Ivmm $(TSAN) -o $@ $(VMM_SRC) $(COMMON_SRC) $(LDLIBS) $(HARNESS_LIBS)

# --- fuzzing (tests/fuzz/): one line per target --------------------------------
# $(call fuzz_target,NAME,SOURCES,LIBRARIES,SMOKE_COUNT): tests/fuzz/fuzz_NAME.c
# against SOURCES.  `make fuzz-smoke` (part of make test) runs each target
# SMOKE_COUNT times, GCC with ASan and UBSan, through tests/fuzz/driver.c
# over its seeds in tests/fuzz/corpus/NAME; `make fuzz` runs each under
# libFuzzer (clang) for FUZZ_TIME seconds (FUZZ_TARGETS=NAME for one).
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1
FUZZ_VMM := $(VMM_LIB_SRC) common/util.c common/json.c common/host.c common/size.c \
	common/topology.c
FUZZ_HARNESS := common/size.c common/util.c common/host.c common/topology.c
fuzz_target = $(eval FUZZ_TARGETS += $(1))$(eval FUZZ_SRC_$(1) := $(2))$(eval \
	FUZZ_LIBS_$(1) := $(3))$(eval FUZZ_COUNT_$(1) := $(4))

$(call fuzz_target,virtq,vmm/virtio/virtq.c vmm/memory.c common/util.c,,20000)
$(call fuzz_target,bzimage,$(FUZZ_VMM),,200000)
$(call fuzz_target,elf,$(FUZZ_VMM),,200000)
$(call fuzz_target,multiboot,$(FUZZ_VMM),,200000)
$(call fuzz_target,exits,$(FUZZ_VMM),,20000)
$(call fuzz_target,ingest,harness/store/ingest.c harness/store/statsfile.c harness/store/db.c common/proc.c common/util.c,-ljson-c -lsqlite3,10000)
$(call fuzz_target,scenario,$(wildcard harness/plan/*.c) common/inifile.c common/proc.c \
	$(FUZZ_HARNESS),-linih,40000)
$(call fuzz_target,manifest,harness/images/manifest.c common/inifile.c $(FUZZ_HARNESS),-linih,50000)

FUZZ_TIME ?= 60
FUZZ_CFLAGS = $(HOST_CFLAGS) $(CHECKED_CFLAGS) -Ivmm -Iharness -Itests/fuzz
# the libFuzzer build: clang's warnings differ from GCC's, so they do not fail it
FUZZ_CLANG_CFLAGS = $(filter-out -Werror,$(FUZZ_CFLAGS)) -Wno-unknown-warning-option \
	-Wno-format-nonliteral -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
fuzz_objs = $(patsubst %.c,$(BUILD)/$(2)/%.o,tests/fuzz/fuzz_$(1).c tests/fuzz/fuzzlib.c $(FUZZ_SRC_$(1)))

$(BUILD)/san/%.o: %.c | $(DEPS_STAMP)
	$(call say,CC-SAN,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(FUZZ_CFLAGS) $(SAN) -c -o $@ $<

$(BUILD)/fuzzer/%.o: %.c | $(DEPS_STAMP) fuzz-clang
	$(call say,CC-FUZZ,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CLANG_CFLAGS) -c -o $@ $<

define fuzz_rules
$(BUILD)/fuzz/$(1)_smoke: $(call fuzz_objs,$(1),san) $(BUILD)/san/tests/fuzz/driver.o
	$$(call say,LINK,$$@)
	$(Q)mkdir -p $$(dir $$@)
	$(Q)$(CC) $(SAN) -o $$@ $$^ $(FUZZ_LIBS_$(1)) $(LDLIBS)

$(BUILD)/fuzz/$(1): $(call fuzz_objs,$(1),fuzzer)
	$$(call say,LINK,$$@)
	$(Q)mkdir -p $$(dir $$@)
	$(Q)clang -fsanitize=fuzzer,address,undefined -o $$@ $$^ $(FUZZ_LIBS_$(1)) $(LDLIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rules,$(t))))

fuzz-clang:
	@command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang)" >&2; exit 1; }

# Every target runs even when one fails; the status says whether any did.
# what the code under test prints (a device refusing a hostile queue) goes to
# build/fuzz/NAME.log; the log's end is shown when a target fails
fuzz-smoke: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%_smoke)
	$(Q)status=0; $(foreach t,$(FUZZ_TARGETS),$(BUILD)/fuzz/$(t)_smoke $(FUZZ_COUNT_$(t)) \
		tests/fuzz/corpus/$(t) 2>$(BUILD)/fuzz/$(t).log \
		|| { status=1; tail -n 60 $(BUILD)/fuzz/$(t).log; };) exit $$status

# New inputs go to build/fuzz/corpus/NAME, crashes to build/fuzz/artifacts/.
fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
	$(Q)status=0; $(foreach t,$(FUZZ_TARGETS),echo "== fuzz $(t): $(FUZZ_TIME) s" && \
		mkdir -p $(BUILD)/fuzz/corpus/$(t) $(BUILD)/fuzz/artifacts && \
		$(BUILD)/fuzz/$(t) -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/artifacts/$(t)- $(BUILD)/fuzz/corpus/$(t) \
		tests/fuzz/corpus/$(t) || status=1;) exit $$status
