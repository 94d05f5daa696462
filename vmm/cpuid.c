/*
 * Topology encoding into CPUID leaves.  See cpuid.h for the scheme; Intel SDM
 * vol. 2A (CPUID leaves 1, 4, 0Bh, 1Fh) and AMD APM vol. 3 (8000_0008h,
 * 8000_001Eh) for the field definitions.
 */
#include "cpuid.h"

#include <string.h>

unsigned kb_topo_width(unsigned n)
{
	unsigned w = 0;

	while ((1u << w) < n)
		w++;
	return w;
}

void kb_topo_init(struct kb_topo *t, const struct kb_smp *smp)
{
	t->sockets = smp->sockets;
	t->cores = smp->cores;
	t->threads = smp->threads;
	t->smt_width = kb_topo_width(smp->threads);
	t->core_width = kb_topo_width(smp->cores);
}

uint32_t kb_topo_apic_id(const struct kb_topo *t, unsigned index)
{
	unsigned thread = index % t->threads;
	unsigned core = (index / t->threads) % t->cores;
	unsigned socket = index / (t->threads * t->cores);

	return thread | core << t->smt_width | socket << (t->smt_width + t->core_width);
}

struct kvm_cpuid_entry2 *kb_cpuid_find(struct kvm_cpuid_entry2 *e, unsigned n, uint32_t fn,
				       uint32_t idx)
{
	for (unsigned i = 0; i < n; i++) {
		bool indexed = e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX;

		if (e[i].function == fn && (!indexed || e[i].index == idx))
			return &e[i];
	}
	return NULL;
}

bool kb_cpuid_is_amd(const struct kvm_cpuid_entry2 *e, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (e[i].function != 0)
			continue;
		/* "AuthenticAMD": ebx "Auth", edx "enti", ecx "cAMD" */
		return (e[i].ebx == 0x68747541 && e[i].ecx == 0x444d4163) ||
		       (e[i].ebx == 0x6f677948 && e[i].ecx == 0x656e6975);
	}
	return false;
}

/* Drop every entry of function fn. */
static void drop(struct kvm_cpuid_entry2 *e, unsigned *n, uint32_t fn)
{
	unsigned j = 0;

	for (unsigned i = 0; i < *n; i++)
		if (e[i].function != fn)
			e[j++] = e[i];
	*n = j;
}

static struct kvm_cpuid_entry2 *add(struct kvm_cpuid_entry2 *e, unsigned *n, unsigned max,
				    uint32_t fn, uint32_t idx, bool indexed)
{
	struct kvm_cpuid_entry2 *x = kb_cpuid_find(e, *n, fn, idx);

	if (x)
		return x;
	if (*n >= max)
		return NULL;
	x = &e[(*n)++];
	memset(x, 0, sizeof(*x));
	x->function = fn;
	x->index = idx;
	x->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	return x;
}

/* Leaf 0xB or 0x1F: SMT level, core level, then an invalid level. */
static int put_extended_topology(struct kvm_cpuid_entry2 *e, unsigned *n, unsigned max, uint32_t fn,
				 const struct kb_topo *t, uint32_t apic)
{
	drop(e, n, fn);
	for (uint32_t sub = 0; sub < 3; sub++) {
		struct kvm_cpuid_entry2 *x = add(e, n, max, fn, sub, true);

		if (!x)
			return -1;
		x->edx = apic;
		x->ecx = sub;
		if (sub == 0) {
			x->eax = t->smt_width;
			x->ebx = t->threads;
			x->ecx |= 1 << 8; /* level type: SMT */
		} else if (sub == 1) {
			x->eax = t->smt_width + t->core_width;
			x->ebx = t->cores * t->threads;
			x->ecx |= 2 << 8; /* level type: core */
		}
	}
	return 0;
}

static int put_amd_leaves(struct kvm_cpuid_entry2 *e, unsigned *np, unsigned max,
			  const struct kb_topo *t, uint32_t apic)
{
	unsigned n = *np;
	struct kvm_cpuid_entry2 *x;
	unsigned per_pkg = t->cores * t->threads;

	if ((x = kb_cpuid_find(e, n, 0x80000001, 0))) {
		x->ecx |= 1u << 22; /* TopologyExtensions */
		if (per_pkg > 1)
			x->ecx |= 1u << 1; /* CmpLegacy */
		else
			x->ecx &= ~(1u << 1);
	}
	if ((x = kb_cpuid_find(e, n, 0x80000008, 0))) {
		x->ecx &= ~0xf0ffu;
		x->ecx |= (per_pkg - 1) & 0xff;
		x->ecx |= (t->smt_width + t->core_width) << 12;
	}
	if ((x = kb_cpuid_find(e, n, 0x80000000, 0)) && x->eax < 0x8000001e)
		x->eax = 0x8000001e;
	if (!(x = add(e, np, max, 0x8000001e, 0, false)))
		return -1;
	x->eax = apic;
	x->ebx = ((t->threads - 1) << 8) | ((apic >> t->smt_width) & 0xff);
	x->ecx = apic >> (t->smt_width + t->core_width) & 0xff;
	x->edx = 0;
	return 0;
}

int kb_cpuid_patch(struct kvm_cpuid_entry2 *e, unsigned *n, unsigned max, const struct kb_topo *t,
		   unsigned index)
{
	uint32_t apic = kb_topo_apic_id(t, index);
	unsigned per_pkg = t->cores * t->threads;
	bool amd = kb_cpuid_is_amd(e, *n);
	struct kvm_cpuid_entry2 *x;

	if ((x = kb_cpuid_find(e, *n, 0, 0)) && x->eax < 0x1f)
		x->eax = 0x1f;
	if ((x = kb_cpuid_find(e, *n, 1, 0))) {
		x->ebx &= 0x0000ffff;
		x->ebx |= apic << 24;
		x->ebx |= (per_pkg > 255 ? 255 : per_pkg) << 16;
		if (per_pkg > 1)
			x->edx |= 1u << 28; /* HTT */
		else
			x->edx &= ~(1u << 28);
		x->ecx |= 1u << 31; /* hypervisor present */
	}
	for (uint32_t sub = 0; !amd && sub < 8; sub++) {
		uint32_t level, share;

		if (!(x = kb_cpuid_find(e, *n, 4, sub)) || !(x->eax & 0x1f))
			break;
		level = (x->eax >> 5) & 7;
		share = level >= 3 ? t->smt_width + t->core_width : t->smt_width;
		x->eax &= 0x3fff;
		x->eax |= ((1u << t->core_width) - 1) << 26;
		x->eax |= ((1u << share) - 1) << 14;
	}
	if (put_extended_topology(e, n, max, 0xb, t, apic) ||
	    put_extended_topology(e, n, max, 0x1f, t, apic))
		return -1;
	if (amd)
		return put_amd_leaves(e, n, max, t, apic);
	return 0;
}
