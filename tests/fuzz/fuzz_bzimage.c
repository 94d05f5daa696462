/*
 * Fuzz target for the bzImage loader (vmm/boot/bzimage.c): the input is the
 * kernel file, loaded the way kb_vm_load() does into 64 MiB of guest RAM
 * (one exact-size allocation, so ASan sees a copy past its end), with an
 * initrd when the last byte is odd.  A load that succeeds must have put
 * the kernel inside RAM, above the boot area: anything else aborts.
 */
#include <stdlib.h>

#include "boot/bzimage.h"
#include "fuzz.h"
#include "kvmbench/abi.h"

#define RAM (64u << 20)

static struct kb_mem m = {.size = RAM, .low = RAM, .fd = -1};
static uint8_t initrd[5000];

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
	bool with_initrd = size && data[size - 1] & 1;

	if (kb_bzimage_load(data, size, with_initrd ? initrd : NULL, sizeof(initrd), &m, 40, &img,
			    err, sizeof(err)))
		return 0;
	if (img.lo < KB_LOAD_MIN || img.hi > RAM || img.lo > img.hi || img.entry < img.lo)
		fuzz_abort_outside("bzImage", img.lo, img.hi, img.entry);
	return 0;
}
