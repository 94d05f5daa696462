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
	-fno-builtin -MMD -MP -Ivmm -I$(GUEST_DIR)/lib
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
