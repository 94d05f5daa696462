/*
 * What every boot protocol tells its kernel about memory: the RAM map
 * (e820 types) and where an initrd goes.  One implementation, so the
 * bzImage, vmlinux, PVH and Multiboot loaders cannot disagree.
 */
#ifndef KB_BOOT_BOOTMEM_H
#define KB_BOOT_BOOTMEM_H

#include <stddef.h>
#include <stdint.h>

#include "../memory.h"

#define KB_E820_RAM 1
#define KB_E820_RESERVED 2

struct kb_ram_range {
	uint64_t addr, len;
	uint32_t type;
};

/* The guest's RAM map: conventional memory, the reserved legacy area
 * (EBDA, VGA, ACPI tables, BIOS), RAM below the MMIO hole and above 4 GiB.
 * Returns the number of ranges (at most 4) written to r. */
unsigned kb_boot_ram_map(const struct kb_mem *m, struct kb_ram_range r[4]);

/* Copy the initrd to the highest page-aligned address below limit (and
 * below the MMIO hole) that stays above `above` (the kernel's end).
 * Returns 0 with its address in *at, or -1 with a reason in err. */
int kb_boot_place_initrd(struct kb_mem *m, const uint8_t *initrd, size_t size, uint64_t above,
			 uint64_t limit, uint64_t *at, char *err, size_t errlen);

/* Write the reset-vector stub at KB_RESET_VECTOR (kvmbench/abi.h): real-mode code
 * that resets the machine through the i8042 and halts.  A kernel that
 * reboots by jumping to the BIOS (Linux's EFI/BIOS reboot, the default with
 * hardware-reduced ACPI) would otherwise run zeroed memory in real mode
 * forever, without one exit. */
void kb_boot_reset_stub(struct kb_mem *m);

#endif
