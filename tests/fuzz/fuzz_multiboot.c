/*
 * Fuzz target for the Multiboot loader (vmm/boot/multiboot.c): the input
 * is the kernel file, loaded the way kb_vm_load() does (the header's
 * address fields or ELF32 program headers) into 16 MiB of guest RAM in
 * one exact-size allocation, then the Multiboot information written.  A
 * load that succeeds must lie inside RAM: anything else aborts.
 */
#include <stdlib.h>

#include "boot/multiboot.h"
#include "fuzz.h"
#include "kvmbench/abi.h"

#define RAM (16u << 20)

static struct kb_mem m = {.size = RAM, .low = RAM, .fd = -1};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	m.host = calloc(1, RAM);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kb_image img;
	char err[256];

	if (kb_multiboot_find(data, size) < 0 ||
	    kb_multiboot_load(data, size, m.host, RAM, &img, err, sizeof(err)))
		return 0;
	if (img.lo < KB_LOAD_MIN || img.hi > RAM || img.lo > img.hi || img.entry < img.lo ||
	    img.entry >= img.hi)
		fuzz_abort_outside("Multiboot kernel", img.lo, img.hi, img.entry);
	kb_multiboot_info(&m);
	return 0;
}
