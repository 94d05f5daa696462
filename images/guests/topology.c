/*
 * topology: every vCPU checks that CPUID and its local APIC describe the
 * shape given on the command line ("sockets=S cores=C threads=T"; the
 * boot information's shape when absent).  Each vCPU prints its APIC ID
 * and topology; CPU 0 fails the guest on any mismatch.
 */
#include "kb.h"

static unsigned sockets, cores, threads, smt_w, core_w;
static volatile int status[KB_GUEST_MAX_CPUS]; /* 0 pending, 1 ok, 2 bad */
static bool amd;
static uint32_t max_leaf;

static unsigned width(unsigned n)
{
	unsigned w = 0;

	while ((1u << w) < n)
		w++;
	return w;
}

#define CHECK(cond, fmt, ...)                                                    \
	do {                                                                     \
		if (!(cond)) {                                                   \
			kb_printf("cpu %u: MISMATCH: " fmt, cpu, ##__VA_ARGS__); \
			return false;                                            \
		}                                                                \
	} while (0)

static bool check_leaf_b(uint32_t leaf, unsigned cpu, uint32_t apic)
{
	uint32_t r[4];

	cpuid(leaf, 0, r);
	CHECK((r[0] & 31) == smt_w && (r[1] & 0xffff) == threads && (r[2] >> 8 & 0xff) == 1 &&
		  r[3] == apic,
	      "leaf 0x%x.0 = %x %x %x %x\n", leaf, r[0], r[1], r[2], r[3]);
	cpuid(leaf, 1, r);
	CHECK((r[0] & 31) == smt_w + core_w && (r[1] & 0xffff) == cores * threads &&
		  (r[2] >> 8 & 0xff) == 2,
	      "leaf 0x%x.1 = %x %x %x %x\n", leaf, r[0], r[1], r[2], r[3]);
	cpuid(leaf, 2, r);
	CHECK((r[2] >> 8 & 0xff) == 0, "leaf 0x%x.2 has level type %u\n", leaf, r[2] >> 8 & 0xff);
	return true;
}

static bool check(unsigned cpu)
{
	uint32_t r[4];
	unsigned thread = cpu % threads, core = (cpu / threads) % cores;
	unsigned socket = cpu / (threads * cores);
	uint32_t apic = thread | core << smt_w | socket << (smt_w + core_w);
	unsigned per_pkg = cores * threads;

	cpuid(1, 0, r);
	CHECK(r[1] >> 24 == apic, "leaf 1 APIC ID %u, expected %u\n", r[1] >> 24, apic);
	CHECK((r[1] >> 16 & 0xff) == (per_pkg > 255 ? 255 : per_pkg),
	      "leaf 1 logical count %u, expected %u\n", r[1] >> 16 & 0xff, per_pkg);
	/* HTT must be set with more than one logical CPU per package; with
	 * one, the VMM clears it but some hosts (kvm_pvm) set it anyway. */
	CHECK(per_pkg == 1 || (r[3] & (1u << 28)), "leaf 1 HTT bit clear (edx %x)\n", r[3]);
	CHECK(kb_lapic_id() == apic, "LAPIC ID %u, expected %u\n", kb_lapic_id(), apic);
	if (!check_leaf_b(0xb, cpu, apic))
		return false;
	if (max_leaf >= 0x1f && !check_leaf_b(0x1f, cpu, apic))
		return false;
	if (!amd) {
		cpuid(4, 0, r);
		CHECK(!(r[0] & 31) || (r[0] >> 26) == (1u << core_w) - 1,
		      "leaf 4 cores field %u, expected %u\n", r[0] >> 26, (1u << core_w) - 1);
	} else {
		cpuid(0x80000008, 0, r);
		CHECK((r[2] & 0xff) == per_pkg - 1 && (r[2] >> 12 & 0xf) == smt_w + core_w,
		      "leaf 0x80000008 ecx = %x\n", r[2]);
		cpuid(0x8000001e, 0, r);
		CHECK(r[0] == apic && (r[1] >> 8 & 0xff) == threads - 1,
		      "leaf 0x8000001e = %x %x\n", r[0], r[1]);
	}
	kb_printf("cpu %u: apic %u socket %u core %u thread %u ok\n", cpu, apic, socket, core,
		  thread);
	return true;
}

void kb_ap_main(unsigned cpu)
{
	while (!threads)
		cpu_relax();
	status[cpu] = check(cpu) ? 1 : 2;
}

int main(void)
{
	uint32_t r[4];
	unsigned bad = 0, n = kb_bi->ncpus;
	uint64_t deadline;

	cpuid(0, 0, r);
	max_leaf = r[0];
	amd = r[1] == 0x68747541; /* "Auth"enticAMD */
	sockets = (unsigned)kb_arg_u64("sockets", kb_bi->sockets);
	cores = (unsigned)kb_arg_u64("cores", kb_bi->cores);
	if (!sockets || !cores || !kb_arg_u64("threads", kb_bi->threads))
		kb_fail("bad shape on the command line: '%s'", kb_cmdline);
	smt_w = width((unsigned)kb_arg_u64("threads", kb_bi->threads));
	core_w = width(cores);
	if (n > sockets * cores * kb_arg_u64("threads", kb_bi->threads))
		kb_fail("%u vCPUs do not fit the shape %ux%ux%llu", n, sockets, cores,
			(unsigned long long)kb_arg_u64("threads", kb_bi->threads));
	__atomic_store_n(&threads, (unsigned)kb_arg_u64("threads", kb_bi->threads),
			 __ATOMIC_RELEASE);
	status[0] = check(0) ? 1 : 2;
	deadline = rdtsc() + (kb_tsc_khz() ? kb_tsc_khz() : 1000000) * 20000; /* 20 s */
	for (unsigned i = 0; i < n; i++) {
		while (!status[i] && rdtsc() < deadline)
			cpu_relax();
		if (status[i] != 1) {
			bad++;
			if (!status[i])
				kb_printf("cpu %u: never reported\n", i);
		}
	}
	kb_metric("topology_vcpus_checked", n, 0, "count");
	if (bad)
		kb_fail("%u of %u vCPUs disagree with the shape %ux%ux%u", bad, n, sockets, cores,
			threads);
	return 0;
}
