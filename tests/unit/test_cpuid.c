/* CPUID topology encoding for the shapes the issue names, both vendors. */
#include "cpuid.h"
#include "unit.h"

#define MAXE 64

/* A plausible host table: leaf 0 vendor, 1, 4 (three caches), 0xb,
 * 0x80000000/1/8 and, for AMD, 0x8000001e. */
static unsigned host_table(struct kvm_cpuid_entry2 *e, bool amd)
{
	unsigned n = 0;

	memset(e, 0, MAXE * sizeof(*e));
	e[n++] = (struct kvm_cpuid_entry2){.function = 0,
					   .eax = 0x10,
					   .ebx = amd ? 0x68747541 : 0x756e6547,
					   .ecx = amd ? 0x444d4163 : 0x6c65746e,
					   .edx = amd ? 0x69746e65 : 0x49656e69};
	e[n++] = (struct kvm_cpuid_entry2){.function = 1, .eax = 0x806f8, .ebx = 0xff000800};
	for (uint32_t i = 0; i < 3; i++)
		e[n++] = (struct kvm_cpuid_entry2){.function = 4,
						   .index = i,
						   .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
						   .eax = 0xfc000000 | (i + 1) << 5 | 1};
	e[n++] = (struct kvm_cpuid_entry2){
	    .function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .ebx = 99};
	e[n++] = (struct kvm_cpuid_entry2){.function = 0x80000000, .eax = 0x80000008};
	e[n++] = (struct kvm_cpuid_entry2){.function = 0x80000001};
	e[n++] = (struct kvm_cpuid_entry2){.function = 0x80000008, .ecx = 0xffff};
	return n;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid_entry2 *e, unsigned n, uint32_t fn,
				     uint32_t idx)
{
	struct kvm_cpuid_entry2 *x = kb_cpuid_find(e, n, fn, idx);
	static struct kvm_cpuid_entry2 none;

	CHECK(x != NULL);
	return x ? x : &none;
}

static void check_shape(unsigned s, unsigned c, unsigned t, unsigned cpus, bool amd)
{
	struct kb_smp smp = {cpus, s * c * t, s, c, t};
	struct kb_topo topo;
	unsigned smt_w, core_w;

	kb_topo_init(&topo, &smp);
	smt_w = kb_topo_width(t);
	core_w = kb_topo_width(c);
	CHECK_EQ(topo.smt_width, smt_w);
	CHECK_EQ(topo.core_width, core_w);
	for (unsigned i = 0; i < cpus; i++) {
		struct kvm_cpuid_entry2 e[MAXE];
		unsigned n = host_table(e, amd);
		uint32_t apic = kb_topo_apic_id(&topo, i);
		uint32_t want =
		    (i % t) | ((i / t) % c) << smt_w | (i / (t * c)) << (smt_w + core_w);

		CHECK_EQ(apic, want);
		CHECK(kb_cpuid_patch(e, &n, MAXE, &topo, i) == 0);
		CHECK_EQ(find(e, n, 1, 0)->ebx >> 24, apic);
		CHECK_EQ(find(e, n, 1, 0)->ebx >> 16 & 0xff, c * t > 255 ? 255 : c * t);
		CHECK_EQ(!!(find(e, n, 1, 0)->edx & (1u << 28)), c * t > 1);
		CHECK_EQ(find(e, n, 1, 0)->ebx & 0xffff, 0x0800); /* other fields kept */
		for (uint32_t leaf = 0xb; leaf <= 0x1f; leaf += 0x14) {
			CHECK_EQ(find(e, n, leaf, 0)->eax, smt_w);
			CHECK_EQ(find(e, n, leaf, 0)->ebx, t);
			CHECK_EQ(find(e, n, leaf, 0)->ecx, 0x100);
			CHECK_EQ(find(e, n, leaf, 0)->edx, apic);
			CHECK_EQ(find(e, n, leaf, 1)->eax, smt_w + core_w);
			CHECK_EQ(find(e, n, leaf, 1)->ebx, c * t);
			CHECK_EQ(find(e, n, leaf, 1)->ecx, 0x201);
			CHECK_EQ(find(e, n, leaf, 2)->ecx >> 8 & 0xff, 0);
		}
		CHECK(find(e, n, 0, 0)->eax >= 0x1f);
		if (!amd) {
			CHECK_EQ(find(e, n, 4, 0)->eax >> 26, (1u << core_w) - 1);
			CHECK_EQ(find(e, n, 4, 0)->eax >> 14 & 0xfff, (1u << smt_w) - 1); /* L1 */
			CHECK_EQ(find(e, n, 4, 2)->eax >> 14 & 0xfff,
				 (1u << (smt_w + core_w)) - 1);		      /* L3 */
			CHECK_EQ(find(e, n, 4, 0)->eax & 0x3fff, 1 << 5 | 1); /* cache type kept */
		} else {
			CHECK_EQ(find(e, n, 0x80000008, 0)->ecx & 0xff, c * t - 1);
			CHECK_EQ(find(e, n, 0x80000008, 0)->ecx >> 12 & 0xf, smt_w + core_w);
			CHECK_EQ(find(e, n, 0x8000001e, 0)->eax, apic);
			CHECK_EQ(find(e, n, 0x8000001e, 0)->ebx >> 8 & 0xff, t - 1);
			CHECK_EQ(find(e, n, 0x8000001e, 0)->ecx & 0xff, i / (t * c));
			CHECK(find(e, n, 0x80000001, 0)->ecx & (1u << 22));
			CHECK(find(e, n, 0x80000000, 0)->eax >= 0x8000001e);
		}
	}
}

static void test_widths(void)
{
	CHECK_EQ(kb_topo_width(1), 0);
	CHECK_EQ(kb_topo_width(2), 1);
	CHECK_EQ(kb_topo_width(3), 2);
	CHECK_EQ(kb_topo_width(4), 2);
	CHECK_EQ(kb_topo_width(5), 3);
	CHECK_EQ(kb_topo_width(64), 6);
}

static void test_ids(void)
{
	struct kb_smp smp = {9, 9, 1, 3, 3};
	struct kb_topo t;

	kb_topo_init(&t, &smp);
	/* 1x3x3: thread field 2 bits, core field 2 bits: holes at 3, 7, ... */
	CHECK_EQ(kb_topo_apic_id(&t, 2), 2);
	CHECK_EQ(kb_topo_apic_id(&t, 3), 4);
	CHECK_EQ(kb_topo_apic_id(&t, 8), 10);
	smp = (struct kb_smp){8, 8, 4, 2, 1};
	kb_topo_init(&t, &smp);
	CHECK_EQ(kb_topo_apic_id(&t, 7), 7); /* socket 3, core 1 */
}

static void test_room(void)
{
	struct kvm_cpuid_entry2 e[MAXE];
	unsigned n = host_table(e, false);
	struct kb_smp smp = {1, 1, 1, 1, 1};
	struct kb_topo t;

	kb_topo_init(&t, &smp);
	CHECK(kb_cpuid_patch(e, &n, n, &t, 0) == -1); /* no room for 0x1f */
}

int main(void)
{
	test_widths();
	test_ids();
	test_room();
	for (int amd = 0; amd < 2; amd++) {
		check_shape(1, 1, 1, 1, amd);
		check_shape(1, 16, 1, 16, amd);
		check_shape(2, 4, 2, 16, amd);
		check_shape(1, 3, 3, 9, amd);
		check_shape(4, 2, 1, 8, amd);
		check_shape(1, 64, 1, 64, amd);
		check_shape(2, 16, 2, 64, amd);
	}
	return unit_summary("cpuid");
}
