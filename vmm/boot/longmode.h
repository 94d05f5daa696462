/*
 * Direct entry in 64-bit mode, no firmware: the VMM writes a GDT, a TSS,
 * identity-mapping page tables (2 MiB pages over RAM and the 32-bit MMIO
 * hole), the boot information page and the command line, then sets every
 * vCPU's registers so it starts at the image's entry point already in long
 * mode with paging on.
 */
#ifndef KB_BOOT_LONGMODE_H
#define KB_BOOT_LONGMODE_H

#include <linux/kvm.h>
#include <stdbool.h>

#include "../cpuid.h"
#include "../memory.h"

/* Write the boot structures into RAM.  Returns 0, or -1 with err. */
int kb_longmode_setup(struct kb_mem *m, const struct kb_config *cfg, const struct kb_topo *topo,
		      uint64_t tsc_khz, char *err, size_t errlen);

/* Registers for vCPU index: rdi = index, rsi = command line GPA,
 * rdx = boot information GPA, rip = entry. */
void kb_longmode_regs(struct kvm_regs *regs, uint64_t entry, unsigned index);
/* Flat segments (code cs, data ds, TSS tr) in the GDT at gdt, and the
 * control registers for 64-bit mode with the boot page tables (lm) or
 * 32-bit protected mode without paging.  Every boot protocol uses it. */
void kb_boot_segments(struct kvm_sregs *s, uint16_t cs, uint16_t ds, uint16_t tr, bool lm,
		      uint64_t gdt, uint16_t gdt_limit);
/* Segment and control registers for 64-bit mode with the boot tables. */
void kb_longmode_sregs(struct kvm_sregs *s);
/* 32-bit protected mode, paging off, flat 4 GiB code and data segments:
 * the entry state of Multiboot and of PVH. */
void kb_flat32_sregs(struct kvm_sregs *s);

#endif
