/*
 * vCPUs: creation (CPUID per vCPU, long-mode registers, runnable state)
 * and the thread that runs KVM_RUN and dispatches every exit.
 */
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/longmode.h"
#include "boot/bzimage.h"
#include "boot/multiboot.h"
#include "boot/pvh.h"
#include "util.h"

static int set_cpuid(struct kb_vm *vm, struct kb_vcpu *v, char *err, size_t errlen)
{
	unsigned max = vm->cpuid->nent + 16, n = vm->cpuid->nent;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + max * sizeof(c->entries[0]));
	int r;

	if (!c)
		return kb_errf(err, errlen, "out of memory");
	memcpy(c->entries, vm->cpuid->entries, n * sizeof(c->entries[0]));
	if (kb_cpuid_patch(c->entries, &n, max, &vm->topo, v->index)) {
		free(c);
		return kb_errf(err, errlen, "CPUID table has no room for topology leaves");
	}
	c->nent = n;
	r = ioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	if (r < 0)
		return kb_errf(err, errlen, "vCPU %u: KVM_SET_CPUID2: %s", v->index,
			       strerror(errno));
	return 0;
}

int kb_vcpu_create(struct kb_vm *vm, struct kb_vcpu *v, unsigned index, char *err, size_t errlen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_RUNNABLE};
	int size;

	v->vm = vm;
	v->index = index;
	v->apic_id = kb_topo_apic_id(&vm->topo, index);
	v->kstats.fd = -1;
	/* The vCPU id is the initial APIC ID, as QEMU does. */
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->apic_id);
	if (v->fd < 0)
		return kb_errf(err, errlen, "KVM_CREATE_VCPU %u (APIC ID %u): %s", index,
			       v->apic_id, strerror(errno));
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return kb_errf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	v->run_size = (size_t)size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return kb_errf(err, errlen, "vCPU %u: mmap kvm_run: %s", index, strerror(errno));
	}
	if (set_cpuid(vm, v, err, errlen))
		return -1;
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return kb_errf(err, errlen, "vCPU %u: KVM_GET_SREGS: %s", index, strerror(errno));
	if (vm->boot != KB_BOOT_MICRO && index > 0)
		goto stats; /* application processors wait for the kernel's INIT/SIPI */
	if (vm->boot == KB_BOOT_MULTIBOOT || vm->boot == KB_BOOT_PVH)
		kb_flat32_sregs(&sregs);
	else if (vm->boot == KB_BOOT_LINUX)
		kb_bzimage_sregs(&sregs);
	else
		kb_longmode_sregs(&sregs);
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return kb_errf(err, errlen, "vCPU %u: KVM_SET_SREGS: %s", index, strerror(errno));
	if (vm->boot == KB_BOOT_MULTIBOOT)
		kb_multiboot_regs(&regs, vm->image.entry);
	else if (vm->boot == KB_BOOT_LINUX)
		kb_bzimage_regs(&regs, vm->image.entry);
	else if (vm->boot == KB_BOOT_PVH)
		kb_pvh_regs(&regs, vm->image.entry);
	else
		kb_longmode_regs(&regs, vm->image.entry, index);
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return kb_errf(err, errlen, "vCPU %u: KVM_SET_REGS: %s", index, strerror(errno));
	/* Application processors would wait for INIT/SIPI; ours start now. */
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		return kb_errf(err, errlen, "vCPU %u: KVM_SET_MP_STATE: %s", index,
			       strerror(errno));
stats:
	if (vm->have_stats_fd)
		kb_kstats_open(&v->kstats, v->fd);
	return 0;
}

void kb_vcpu_destroy(struct kb_vcpu *v)
{
	kb_kstats_destroy(&v->kstats);
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

static void dump_registers(struct kb_vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) || ioctl(v->fd, KVM_GET_SREGS, &s)) {
		fprintf(stderr, "kvmbench-vmm: vCPU %u: cannot read registers: %s\n", v->index,
			strerror(errno));
		return;
	}
	fprintf(stderr,
		"kvmbench-vmm: vCPU %u (APIC %u) registers:\n"
		"  rip %016llx rsp %016llx rflags %08llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx\n"
		"  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n"
		"  cs %04x idt %016llx/%u gdt %016llx/%u\n",
		v->index, v->apic_id, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi,
		r.rdi, r.rbp, s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.cs.selector, s.idt.base,
		s.idt.limit, s.gdt.base, s.gdt.limit);
}

static uint64_t guest_rip(struct kb_vcpu *v)
{
	struct kvm_regs r;

	return ioctl(v->fd, KVM_GET_REGS, &r) ? 0 : r.rip;
}

/* Test-only cost injection (-test-exit-delay): spin for ns nanoseconds. */
static void busy_delay(uint64_t ns)
{
	uint64_t end = kb_now_ns() + ns;

	while (kb_now_ns() < end)
		__asm__ volatile("pause");
}

void *kb_vcpu_thread(void *arg)
{
	struct kb_vcpu *v = arg;
	struct kb_vm *vm = v->vm;
	uint64_t delay = vm->cfg->exit_delay_ns;
	sigset_t kick;
	char why[200];

	sigemptyset(&kick);
	sigaddset(&kick, KB_SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	v->first_entry_ns = kb_now_ns();
	while (!__atomic_load_n(&vm->stopping, __ATOMIC_SEQ_CST)) {
		int r = ioctl(v->fd, KVM_RUN, 0);
		uint64_t t0 = kb_rdtsc(), dt;
		enum kb_exit_action act;

		if (r < 0 && errno != EINTR && errno != EAGAIN) {
			kb_result_set(&vm->result, KB_EXIT_GUEST_CRASH, "crash", (int)v->index,
				      "vCPU %u: KVM_RUN failed: %s", v->index, strerror(errno));
			break;
		}
		if (r < 0)
			v->run->exit_reason = KVM_EXIT_INTR;
		act = kb_exit_dispatch(v->run, v->run_size, &vm->bus, &v->acct, v->index, why,
				       sizeof(why));
		if (delay && v->run->exit_reason != KVM_EXIT_INTR)
			busy_delay(delay);
		dt = kb_rdtsc() - t0;
		v->acct.handle_cycles += dt;
		if (dt > v->acct.handle_max_cycles)
			v->acct.handle_max_cycles = dt;
		if (act == KB_EXIT_FATAL) {
			uint64_t rip = guest_rip(v);

			if (kb_result_set(&vm->result, KB_EXIT_GUEST_CRASH, "crash", (int)v->index,
					  "vCPU %u: %s at rip 0x%llx", v->index, why,
					  (unsigned long long)rip)) {
				fprintf(stderr, "kvmbench-vmm: vCPU %u: %s\n", v->index, why);
				dump_registers(v);
			}
			break;
		}
		if (kb_result_is_set(&vm->result))
			break;
	}
	kb_vm_stop(vm);
	return NULL;
}
