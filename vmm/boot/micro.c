/*
 * Micro-guests: ELF64 images linked at their physical addresses, entered
 * in 64-bit mode with paging on (the boot structures of longmode.h), every
 * vCPU at once at the entry point with RDI = its index, RSI = the command
 * line and RDX = the boot information (kvmbench/abi.h).  The last
 * protocol of the table: it takes any image, and the ELF loader says what
 * is wrong with one that is no ELF64.
 */
#include <string.h>

#include "kvmbench/abi.h"
#include "boot.h"
#include "longmode.h"

static int micro_detect(const uint8_t *buf, size_t size, char *err, size_t errlen)
{
	(void)buf, (void)size, (void)err, (void)errlen;
	return 1;
}

static int micro_load(const struct kb_boot_args *a, struct kb_image *img, char *err, size_t errlen)
{
	return kb_elf_load(a->buf, a->size, a->mem->host, a->mem->low, 1, img, err, errlen);
}

static void micro_regs(struct kvm_regs *r, uint64_t entry, unsigned index)
{
	memset(r, 0, sizeof(*r));
	r->rip = entry;
	r->rflags = 0x2;
	r->rdi = index;
	r->rsi = KB_CMDLINE_ADDR;
	r->rdx = KB_BOOTINFO_ADDR;
}

const struct kb_boot_ops kb_boot_micro = {
    .name = "micro",
    .what = "",
    .initrd = false,
    .aps = KB_AP_AT_ENTRY,
    .detect = micro_detect,
    .load = micro_load,
    .sregs = kb_longmode_sregs,
    .regs = micro_regs,
};
