/*
 * Direct entry in 64-bit mode, no firmware: the VMM writes a GDT, a TSS,
 * identity-mapping page tables (2 MiB pages over RAM and the 32-bit MMIO
 * hole), the boot information page and the command line, for every boot
 * protocol; and the segment and control registers each protocol enters
 * with (its general registers are its own: boot/boot.h).
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
