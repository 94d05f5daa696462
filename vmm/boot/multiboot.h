/*
 * Multiboot (version 1) kernels, entered in 32-bit protected mode the way
 * the specification says: EAX = 0x2BADB002, EBX = the Multiboot
 * information, flat segments, paging off.  Both ways of loading are
 * supported: the header's address fields (flag 16, "a.out kludge") and
 * ELF32 program headers.  No modules, no video modes.
 */
#ifndef KB_BOOT_MULTIBOOT_H
#define KB_BOOT_MULTIBOOT_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "../memory.h"
#include "elf.h"

#define KB_MULTIBOOT_MAGIC 0x1BADB002u
#define KB_MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

/* Offset of a valid Multiboot header in the first 8 KiB, or -1. */
long kb_multiboot_find(const uint8_t *buf, size_t size);

/*
 * Load the Multiboot kernel in buf[0..size) into ram[0..ram_size) (GPA =
 * offset).  Returns 0, or -1 with a one-line reason in err (nothing copied).
 */
int kb_multiboot_load(const uint8_t *buf, size_t size, uint8_t *ram, uint64_t ram_size,
		      struct kb_image *img, char *err, size_t errlen);

/* Write the Multiboot information (memory sizes and map, command line,
 * boot loader name) for RAM m at KB_MBINFO_ADDR. */
void kb_multiboot_info(struct kb_mem *m);

#endif
