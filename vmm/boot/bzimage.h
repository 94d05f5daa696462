/*
 * Linux kernels through the 64-bit boot protocol: a bzImage or a vmlinux
 * ELF without a PVH note (loaded by the ELF loader)
 * (Documentation/arch/x86/boot.rst): the protected-mode kernel at its
 * preferred address, boot_params with the setup header, an e820 map, the
 * command line, the ACPI RSDP and an optional initrd; entry at load
 * address + 0x200 in 64-bit mode with RSI = boot_params.  The boot CPU
 * starts; the others wait for the kernel's INIT/SIPI.
 */
#ifndef KB_BOOT_BZIMAGE_H
#define KB_BOOT_BZIMAGE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../memory.h"
#include "elf.h"

/* Does buf look like a bzImage (boot flag 0xAA55 and "HdrS")? */
bool kb_bzimage_detect(const uint8_t *buf, size_t size);

/*
 * Load the kernel and fill boot_params at KB_ZEROPAGE_ADDR; initrd may be
 * NULL.  The command line must already be at KB_CMDLINE_ADDR.  Returns 0,
 * or -1 with a one-line reason in err.
 */
int kb_bzimage_load(const uint8_t *buf, size_t size, const uint8_t *initrd, size_t initrd_size,
		    struct kb_mem *m, size_t cmdline_len, struct kb_image *img, char *err,
		    size_t errlen);

/*
 * boot_params at KB_ZEROPAGE_ADDR for the 64-bit entry: the kernel's own
 * setup header (setup, up to hdr_end: a bzImage) or, with setup NULL, the
 * few fields a vmlinux entered at startup_64 reads; the e820 map, the
 * command line and RSDP pointers, and the initrd placed above kernel_end.
 */
int kb_linux_zeropage(struct kb_mem *m, const uint8_t *setup, size_t hdr_end, const uint8_t *initrd,
		      size_t initrd_size, uint64_t kernel_end, char *err, size_t errlen);

/* The 64-bit entry (a bzImage's or a vmlinux's): RSI = boot_params, the
 * Linux GDT's __BOOT_CS and __BOOT_DS, paging on with the boot tables.
 * index is unused: only the boot CPU starts here. */
void kb_linux64_regs(struct kvm_regs *r, uint64_t entry, unsigned index);
void kb_linux64_sregs(struct kvm_sregs *s);

#endif
