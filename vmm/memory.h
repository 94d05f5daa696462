/*
 * Guest RAM: one host mapping, split around the 32-bit MMIO hole into at
 * most two KVM memory slots (below KB_MMIO_HOLE_START and from
 * KB_HIGH_RAM_START), the way a PC lays it out.
 */
#ifndef KB_MEMORY_H
#define KB_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

struct kb_mem {
	uint8_t *host;	    /* host address of guest-physical 0 */
	uint64_t size;	    /* bytes of RAM in all */
	uint64_t low;	    /* bytes below the hole, at GPA 0 */
	uint64_t high;	    /* bytes from KB_HIGH_RAM_START */
	uint64_t page_size; /* backing page size asked for */
	char backing[32];   /* "anonymous", "anonymous+thp", "hugetlbfs" */
	int fd;		    /* hugetlbfs file, or -1 */
};

/* Map RAM as cfg asks.  Returns 0, or -1 with the reason in err. */
int kb_mem_init(struct kb_mem *m, const struct kb_config *cfg, char *err, size_t errlen);
/* Register the slots with the VM.  Returns 0, or -1 with err. */
int kb_mem_register(struct kb_mem *m, int vm_fd, char *err, size_t errlen);
/* Host pointer for [gpa, gpa+len) if it lies wholly in RAM, else NULL. */
void *kb_mem_gpa(const struct kb_mem *m, uint64_t gpa, uint64_t len);
/* Bytes of guest RAM resident on the host now (mincore). */
uint64_t kb_mem_resident(const struct kb_mem *m);
void kb_mem_destroy(struct kb_mem *m);

#endif
