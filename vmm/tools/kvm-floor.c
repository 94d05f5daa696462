/*
 * kvm-floor: the cheapest possible port-I/O exit round trip, for comparison
 * with kvmbench-vmm (make bench-vmm).
 *
 * One vCPU in 64-bit mode runs "1: out %al, $0xe0; dec %rcx; jnz 1b" (the
 * `pio` micro-guest's loop, instruction for instruction); the host
 * loop does nothing but KVM_RUN and check the exit reason.  No devices, no
 * threads, no accounting: whatever kvmbench-vmm costs above this is its
 * own overhead.  Prints the mean ns per exit over N exits (after 1000
 * warm-up exits).
 *
 *   kvm-floor [N]
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (2u << 20)
#define WARMUP 1000

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int die(const char *what)
{
	perror(what);
	return 1;
}

/* Identity-map 2 MiB, flat GDT, code at 0x4000. */
static void write_guest(uint8_t *mem)
{
	/* 1: out %al,$0xe0; dec %rcx; jnz 1b; hlt */
	static const uint8_t code[] = {0xe6, 0xe0, 0x48, 0xff, 0xc9, 0x75, 0xf9, 0xf4};
	uint64_t *pml4 = (void *)(mem + 0x1000), *pdpt = (void *)(mem + 0x2000);
	uint64_t *pd = (void *)(mem + 0x3000), *gdt = (void *)(mem + 0x500);

	pml4[0] = 0x2000 | 3;
	pdpt[0] = 0x3000 | 3;
	pd[0] = 0x83;
	gdt[1] = 0x00af9b000000ffffull;
	gdt[2] = 0x00cf93000000ffffull;
	memcpy(mem + 0x4000, code, sizeof(code));
}

static void long_mode(struct kvm_sregs *s)
{
	struct kvm_segment cs = {
	    .limit = 0xffffffff, .selector = 8, .type = 11, .present = 1, .s = 1, .l = 1, .g = 1};
	struct kvm_segment ds = cs;

	ds.selector = 16;
	ds.type = 3;
	ds.l = 0;
	ds.db = 1;
	s->cs = cs;
	s->ds = s->es = s->fs = s->gs = s->ss = ds;
	s->gdt.base = 0x500;
	s->gdt.limit = 23;
	s->cr3 = 0x1000;
	s->cr4 = 0x20;
	s->cr0 = 0x80050033;
	s->efer = 0x500;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	struct kvm_sregs s;
	struct kvm_regs r = {.rip = 0x4000, .rflags = 2, .rsp = 0x8000, .rcx = ~0ull};
	struct kvm_run *run;
	uint8_t *mem;
	int kvm, vm, cpu, size;
	double t0 = 0;

	if (n <= 0)
		n = 100000;
	if ((kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
		return die("/dev/kvm");
	if ((vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
		return die("KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return die("mmap");
	write_guest(mem);
	struct kvm_userspace_memory_region reg = {.memory_size = MEM_SIZE,
						  .userspace_addr = (uintptr_t)mem};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &reg) < 0)
		return die("KVM_SET_USER_MEMORY_REGION");
	if ((cpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0)
		return die("KVM_CREATE_VCPU");
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
	if (run == MAP_FAILED)
		return die("mmap kvm_run");
	if (ioctl(cpu, KVM_GET_SREGS, &s) < 0)
		return die("KVM_GET_SREGS");
	long_mode(&s);
	if (ioctl(cpu, KVM_SET_SREGS, &s) < 0 || ioctl(cpu, KVM_SET_REGS, &r) < 0)
		return die("KVM_SET_SREGS/REGS");
	for (long i = 0; i < n + WARMUP; i++) {
		if (i == WARMUP)
			t0 = now_s();
		if (ioctl(cpu, KVM_RUN, 0) < 0)
			return die("KVM_RUN");
		if (run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "kvm-floor: unexpected exit %u\n", run->exit_reason);
			return 1;
		}
	}
	printf("%.1f ns per exit (%ld exits)\n", (now_s() - t0) / (double)n * 1e9, n);
	return 0;
}
