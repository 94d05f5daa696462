# Micro-guests: freestanding ELF64 images, one per images/guests/*.c,
# linked at 1 MiB with the tiny runtime in images/guests/lib.

GUEST_DIR := images/guests
GUEST_SRC := $(wildcard $(GUEST_DIR)/*.c)
GUEST_ELFS := $(GUEST_SRC:$(GUEST_DIR)/%.c=$(BUILD)/guests/%.elf)
GUEST_LIB_SRC := $(wildcard $(GUEST_DIR)/lib/*.c $(GUEST_DIR)/lib/*.S)
GUEST_LIB_OBJ := $(patsubst %,$(BUILD)/%.o,$(GUEST_LIB_SRC))

GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARNINGS) $(if $(filter 1,$(WERROR)),-Werror) \
	-ffreestanding -mgeneral-regs-only -fno-pic -fno-pie -fno-stack-protector -mno-red-zone \
	-fno-asynchronous-unwind-tables -fcf-protection=none -mcmodel=small \
	-fno-builtin -MMD -MP -Iinclude -I$(GUEST_DIR)/lib
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments -T $(GUEST_DIR)/lib/link.ld

$(BUILD)/$(GUEST_DIR)/%.c.o: $(GUEST_DIR)/%.c | $(DEPS_STAMP)
	$(call say,GUESTCC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(BUILD)/$(GUEST_DIR)/%.S.o: $(GUEST_DIR)/%.S | $(DEPS_STAMP)
	$(call say,GUESTAS,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(BUILD)/guests/%.elf: $(BUILD)/$(GUEST_DIR)/%.c.o $(GUEST_LIB_OBJ) $(GUEST_DIR)/lib/link.ld
	$(call say,GUESTLD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^) -lgcc

# Multiboot test kernels: 32-bit, assembled and linked at 1 MiB.
MB_SRC := $(wildcard $(GUEST_DIR)/multiboot/*.S)
MB_IMAGES := $(MB_SRC:$(GUEST_DIR)/multiboot/%.S=$(BUILD)/guests/%.mb)

$(BUILD)/guests/%.mb: $(GUEST_DIR)/multiboot/%.S | $(DEPS_STAMP)
	$(call say,MBOOT,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -m32 -c -o $@.o $<
	$(Q)$(LD) -m elf_i386 -N -Ttext=0x100000 -e _start --build-id=none --no-warn-rwx-segments -o $@ $@.o
