/* Guest-built page tables for the paging benchmarks (see pt.c). */
#ifndef KB_GUEST_PT_H
#define KB_GUEST_PT_H

#include <stdint.h>

#include "kvmbench/abi.h"

#define KB_PT_TEST_VA 0x8000000000ull /* PML4 slot 1: 512 GiB */

/*
 * The root of the VMM's boot page tables, from the guest <-> VMM ABI.
 * Guests take it from here, never from `mov %cr3`: under QEMU 10.0's TCG
 * emulating SVM, with kvm_amd npt=0, CR3 reads are checked against the
 * CR0-read intercept, which KVM drops once the guest's CR0 matches the
 * hardware's, so the guest reads KVM's shadow root instead of its own
 * (docs/hosts.md).  The same goes for CR4 reads.
 */
static inline uint64_t kb_pt_boot_root(void)
{
	return KB_PT_ADDR;
}

/* A new PML4 that shares the boot identity map. */
uint64_t *kb_pt_new_root(void);
/* The 4 KiB PTE for va under root, allocating tables on the way. */
uint64_t *kb_pt_leaf(uint64_t *root, uint64_t va);
/* Map [va, va+len) to [pa, pa+len) with 4 KiB pages. */
void kb_pt_map(uint64_t *root, uint64_t va, uint64_t pa, uint64_t len);
/* Allocate mib MiB of RAM, map it with 4 KiB pages at KB_PT_TEST_VA under
 * a new root (returned in *root); returns the virtual address.  Skips
 * the guest when it does not fit in free RAM. */
void *kb_pt_region(uint64_t mib, uint64_t **root);

#endif
