/*
 * PVH direct boot (xen/include/public/arch-x86/hvm/start_info.h, used by
 * Linux, QEMU's -kernel for a vmlinux and Firecracker): a vmlinux whose ELF
 * notes carry XEN_ELFNOTE_PHYS32_ENTRY is entered at that address in
 * 32-bit protected mode, paging off, with EBX = the hvm_start_info
 * structure (version 1: command line, RSDP, memory map, initrd as module
 * 0).  The boot CPU starts; the others wait for the kernel's INIT/SIPI.
 */
#ifndef KB_BOOT_PVH_H
#define KB_BOOT_PVH_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "../memory.h"

#define KB_PVH_NOTE_OWNER "Xen"
#define KB_PVH_NOTE_PHYS32_ENTRY 18
#define KB_PVH_START_MAGIC 0x336ec578u

/* Write hvm_start_info at KB_PVH_INFO_ADDR; initrd may be NULL.  The
 * initrd goes above kernel_end.  Returns 0, or -1 with err. */
int kb_pvh_info(struct kb_mem *m, const uint8_t *initrd, size_t initrd_size, uint64_t kernel_end,
		char *err, size_t errlen);

#endif
