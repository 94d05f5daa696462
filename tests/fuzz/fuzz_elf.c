/*
 * Fuzz target for the ELF64 and PVH loaders (vmm/boot/elf.c, pvh.c): the
 * input is the kernel file, loaded the way kb_vm_load() loads an ELF (the
 * PVH note, the segments, then hvm_start_info or, for a vmlinux without the
 * note, boot_params) into 16 MiB of guest RAM in one exact-size
 * allocation.  A load that succeeds must lie inside RAM: anything else
 * aborts.
 */
#include <stdlib.h>

#include "boot/bzimage.h"
#include "boot/elf.h"
#include "boot/pvh.h"
#include "fuzz.h"
#include "kvmbench/abi.h"

#define RAM (16u << 20)

static struct kb_mem m = {.size = RAM, .low = RAM, .fd = -1};
static uint8_t initrd[3000];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	m.host = calloc(1, RAM);
	return 0;
}

static void check(const struct kb_image *img, uint64_t entry)
{
	if (img->lo < KB_LOAD_MIN || img->hi > RAM || img->lo >= img->hi || entry < img->lo ||
	    entry >= img->hi)
		fuzz_abort_outside("ELF", img->lo, img->hi, entry);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kb_image img;
	uint64_t pvh = 0;
	char err[256];
	const uint8_t *rd = size && data[size - 1] & 1 ? initrd : NULL;
	int note =
	    kb_elf_note(data, size, KB_PVH_NOTE_OWNER, KB_PVH_NOTE_PHYS32_ENTRY, &pvh, err, 256);

	(void)kb_elf_is_vmlinux(data, size); /* how the boot table tells a vmlinux */
	/* RAM is not fresh: the loader clears the bss itself */
	if (note < 0 || kb_elf_load(data, size, m.host, RAM, 0, &img, err, sizeof(err)))
		return 0;
	check(&img, img.entry);
	if (note && pvh >= img.lo && pvh < img.hi)
		kb_pvh_info(&m, rd, sizeof(initrd), img.hi, err, sizeof(err));
	else if (!note && img.virt)
		kb_linux_zeropage(&m, NULL, 0, rd, sizeof(initrd), img.hi, err, sizeof(err));
	return 0;
}
