/*
 * CPUID that encodes the -smp topology.
 *
 * APIC IDs are built from bit fields (thread | core << smt_width |
 * socket << (smt_width + core_width)), each field ceil(log2(count)) bits wide,
 * the way real hardware and QEMU number them, so non-power-of-two shapes
 * leave holes in the ID space.  kb_cpuid_patch() rewrites the host's
 * supported CPUID table for one vCPU: leaves 1, 4, 0xB, 0x1F and, on AMD,
 * 0x80000001, 0x80000008 and 0x8000001E.
 */
#ifndef KB_CPUID_H
#define KB_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "options.h"

struct kb_topo {
	unsigned sockets, cores, threads;
	unsigned smt_width, core_width; /* bits of the APIC ID */
};

void kb_topo_init(struct kb_topo *t, const struct kb_smp *smp);
/* The APIC ID of vCPU number index (0-based, in socket/core/thread order). */
uint32_t kb_topo_apic_id(const struct kb_topo *t, unsigned index);
/* ceil(log2(n)); 0 for n <= 1. */
unsigned kb_topo_width(unsigned n);

/* True when leaf 0's vendor string is AMD's (or Hygon's). */
bool kb_cpuid_is_amd(const struct kvm_cpuid_entry2 *e, unsigned n);

/* Find (function, index); NULL when absent. */
struct kvm_cpuid_entry2 *kb_cpuid_find(struct kvm_cpuid_entry2 *e, unsigned n, uint32_t fn,
				       uint32_t idx);

/*
 * Rewrite the table e[0..*n) (capacity max entries) for vCPU index.
 * Returns 0, or -1 when the table lacks room for the topology leaves.
 */
int kb_cpuid_patch(struct kvm_cpuid_entry2 *e, unsigned *n, unsigned max, const struct kb_topo *t,
		   unsigned index);

#endif
