/*
 * Loading ELF64 x86-64 executables into RAM: the micro-guests (entered in
 * long mode at their entry point) and Linux's vmlinux (segments at their
 * physical addresses; entered through PVH or the 64-bit boot protocol).
 */
#ifndef KB_BOOT_ELF_H
#define KB_BOOT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kb_image {
	uint64_t entry;	 /* guest-physical entry point */
	uint64_t lo, hi; /* lowest and one past the highest byte loaded */
	int virt;	 /* segments linked at virtual != physical (a vmlinux) */
};

/*
 * Load the ELF image buf[0..size) into guest RAM ram[0..ram_size), where
 * ram[x] is guest-physical address x.  Segments must lie in
 * [KB_LOAD_MIN, ram_size), must not overlap, and the entry must fall in
 * one of them.  With ram_is_zero (RAM fresh from mmap) the bss is not
 * cleared again, which spares touching it.  Returns 0, or -1 with a one-line reason in err.
 */
int kb_elf_load(const uint8_t *buf, size_t size, uint8_t *ram, uint64_t ram_size, int ram_is_zero,
		struct kb_image *img, char *err, size_t errlen);

/* Does buf start as an ELF64 file (magic and class)?  How the boot
 * protocols tell formats apart; the loader checks the rest. */
bool kb_elf_is64(const uint8_t *buf, size_t size);

/* Is buf a well-formed ELF64 x86-64 executable with a loadable segment
 * linked at a virtual address other than its physical one (a vmlinux)? */
bool kb_elf_is_vmlinux(const uint8_t *buf, size_t size);

/*
 * Find the ELF note (owner, type) with a 4- or 8-byte value, such as Xen's
 * PHYS32_ENTRY ("Xen", 18) that marks a PVH entry point.  Returns 1 with
 * the value, 0 when there is none, or -1 with err for a malformed note.
 */
int kb_elf_note(const uint8_t *buf, size_t size, const char *owner, uint32_t type, uint64_t *val,
		char *err, size_t errlen);

/*
 * Read a whole file of at most max bytes into a malloc'd buffer.
 * Returns 0, or -1 with the reason (naming path) in err.
 */
int kb_file_read(const char *path, uint64_t max, uint8_t **buf, size_t *size, char *err,
		 size_t errlen);

#endif
