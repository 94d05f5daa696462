/*
 * vCPUs: creation (CPUID per vCPU, long-mode registers, runnable state)
 * and the thread that runs KVM_RUN and dispatches every exit.
 */
#include "vcpu.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sandbox.h"
#include "common/util.h"
#include "vm.h"

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

/* The registers a boot protocol starts a vCPU with (boot/boot.h), and the
 * vCPU made runnable.  Application processors of a protocol whose kernel
 * starts them by INIT/SIPI are left waiting for it. */
static int set_boot_state(struct kb_vm *vm, struct kb_vcpu *v, char *err, size_t errlen)
{
	const struct kb_boot_ops *boot = vm->boot;
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_RUNNABLE};
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	assert(boot); /* kb_vm_create() set it, kb_vm_load() chose it */
	if (v->index > 0 && boot->aps == KB_AP_INIT_SIPI)
		return 0;
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return kb_errf(err, errlen, "vCPU %u: KVM_GET_SREGS: %s", v->index,
			       strerror(errno));
	boot->sregs(&sregs);
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return kb_errf(err, errlen, "vCPU %u: KVM_SET_SREGS: %s", v->index,
			       strerror(errno));
	boot->regs(&regs, vm->image.entry, v->index);
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return kb_errf(err, errlen, "vCPU %u: KVM_SET_REGS: %s", v->index, strerror(errno));
	/* Application processors would wait for INIT/SIPI; these start now. */
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		return kb_errf(err, errlen, "vCPU %u: KVM_SET_MP_STATE: %s", v->index,
			       strerror(errno));
	return 0;
}

int kb_vcpu_create(struct kb_vm *vm, struct kb_vcpu *v, unsigned index, char *err, size_t errlen)
{
	int size;

	assert(index < vm->cfg->smp.cpus);
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
	if (set_cpuid(vm, v, err, errlen) || set_boot_state(vm, v, err, errlen))
		return -1;
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

/*
 * A paging vCPU whose CR3 is not guest RAM cannot have put itself there:
 * the CPU would fault on its first page walk.  Seen in the lab (QEMU's
 * emulated SVM): after a #VMEXIT the guest's saved state held the lab
 * kernel's own CR3 and RIP (docs/hosts.md).  Said, so a hang or a crash
 * is not blamed on the guest.
 */
static bool lost_state(struct kb_vcpu *v, const struct kvm_sregs *s)
{
	uint64_t root = s->cr3 & 0x000ffffffffff000ull;

	return (s->cr0 & 0x80000000u) && !kb_mem_gpa(&v->vm->mem, root, 4096);
}

void kb_vcpu_report_state(struct kb_vcpu *v)
{
	static const char *const mp_name[] = {"runnable", "uninitialized", "init-received",
					      "halted",	  "sipi-received", "stopped"};
	struct kvm_mp_state mp = {0};
	struct kvm_vcpu_events ev = {0};
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) || ioctl(v->fd, KVM_GET_SREGS, &s) ||
	    ioctl(v->fd, KVM_GET_MP_STATE, &mp) || ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev)) {
		fprintf(stderr, "kvmbench-vmm: vCPU %u: cannot read its state: %s\n", v->index,
			strerror(errno));
		return;
	}
	fprintf(stderr,
		"kvmbench-vmm: vCPU %u (APIC %u) was at rip %016llx rsp %016llx rflags %llx "
		"cs %04x cr0 %llx cr3 %llx, %s%s%s%s\n",
		v->index, v->apic_id, r.rip, r.rsp, r.rflags, s.cs.selector, s.cr0, s.cr3,
		mp.mp_state < sizeof(mp_name) / sizeof(mp_name[0]) ? mp_name[mp.mp_state]
								   : "mp_state unknown",
		ev.nmi.masked ? ", NMIs masked" : "", ev.nmi.pending ? ", an NMI pending" : "",
		lost_state(v, &s) ? "; " KB_LOST_STATE : "");
}

static uint64_t guest_rip(struct kb_vcpu *v)
{
	struct kvm_regs r;

	return ioctl(v->fd, KVM_GET_REGS, &r) ? 0 : r.rip;
}

/*
 * Exits that end the VM without a crash: KVM's system events (reset,
 * shutdown) and a triple fault after the guest kernel announced a restart
 * on the console (Linux's reboot=triple, and the last resort of its reboot:
 * with the IDT gone, int3 escalates to a shutdown).  True when the outcome
 * is recorded.
 */
static bool clean_end(struct kb_vcpu *v)
{
	struct kb_vm *vm = v->vm;
	struct kvm_run *run = v->run;

	if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT &&
	    run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
		kb_result_set(&vm->result, KB_EXIT_PASS, "reset", (int)v->index,
			      "guest reset the machine (KVM_EXIT_SYSTEM_EVENT reset)");
		return true;
	}
	if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT &&
	    run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
		kb_result_set(&vm->result, KB_EXIT_PASS, "poweroff", (int)v->index,
			      "guest powered off (KVM_EXIT_SYSTEM_EVENT shutdown)");
		return true;
	}
	if (run->exit_reason == KVM_EXIT_SHUTDOWN &&
	    __atomic_load_n(&vm->bench.restart_announced, __ATOMIC_ACQUIRE)) {
		kb_result_set(&vm->result, KB_EXIT_PASS, "reset", (int)v->index,
			      "guest reset the machine by a triple fault (KVM_EXIT_SHUTDOWN) "
			      "after its kernel said \"Restarting system\"");
		return true;
	}
	return false;
}

/* Whether the registers are the reset state (rip fff0, cs f000), which is
 * what SVM's KVM leaves after a shutdown: it reinitialises the vCPU. */
static bool in_reset_state(struct kb_vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	return !ioctl(v->fd, KVM_GET_REGS, &r) && !ioctl(v->fd, KVM_GET_SREGS, &s) &&
	       r.rip == 0xfff0 && s.cs.selector == 0xf000;
}

/* The i8042 reset that decided the outcome came from the reset vector's
 * stub (boot/bootmem.c): say so, it means the guest rebooted through the
 * BIOS. */
static void note_reset_source(struct kb_vcpu *v)
{
	struct kb_vm *vm = v->vm;
	struct kvm_sregs s;
	struct kvm_regs r;

	if (v->run->exit_reason != KVM_EXIT_IO || v->run->io.port != KB_PORT_I8042_CMD ||
	    vm->result.vcpu != (int)v->index || strcmp(vm->result.status, "reset") ||
	    ioctl(v->fd, KVM_GET_SREGS, &s) || ioctl(v->fd, KVM_GET_REGS, &r))
		return;
	if (!(s.cr0 & 1) && s.cs.base + r.rip >= KB_RESET_VECTOR &&
	    s.cs.base + r.rip < KB_RESET_VECTOR + 16)
		kb_result_note(&vm->result, ", from the reset vector's stub: the guest jumped to "
					    "the BIOS to reboot");
}

/* Test-only cost injection (-test-exit-delay): spin for ns nanoseconds. */
static void busy_delay(uint64_t ns)
{
	uint64_t end = kb_now_ns() + ns;

	while (kb_now_ns() < end)
		__asm__ volatile("pause");
}

/* A fatal exit ends the run: cleanly (clean_end), or as a crash said with
 * where the vCPU was, when KVM still knows. */
static void fatal_exit(struct kb_vcpu *v, const char *why)
{
	struct kb_vm *vm = v->vm;
	uint64_t rip;

	if (clean_end(v))
		return;
	if (v->run->exit_reason == KVM_EXIT_SHUTDOWN && in_reset_state(v)) {
		if (kb_result_set(&vm->result, KB_EXIT_GUEST_CRASH, "crash", (int)v->index,
				  "vCPU %u: %s; where is unknown: KVM reset the vCPU (as on SVM)",
				  v->index, why))
			fprintf(stderr, "kvmbench-vmm: vCPU %u: %s\n", v->index, why);
		return;
	}
	rip = guest_rip(v);
	if (kb_result_set(&vm->result, KB_EXIT_GUEST_CRASH, "crash", (int)v->index,
			  "vCPU %u: %s at rip 0x%llx", v->index, why, (unsigned long long)rip)) {
		fprintf(stderr, "kvmbench-vmm: vCPU %u: %s\n", v->index, why);
		dump_registers(v);
	}
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
	/* The main thread holds the lock until every vCPU is started and it is
	 * sandboxed itself; then this thread's filter, then the guest. */
	pthread_mutex_lock(&vm->lock);
	pthread_mutex_unlock(&vm->lock);
	if (kb_sandbox_enter(KB_THREAD_VCPU, why, sizeof(why)))
		return NULL; /* the sandbox's hook recorded it and stopped the VM */
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
			fatal_exit(v, why);
			break;
		}
		if (kb_result_is_set(&vm->result)) {
			note_reset_source(v);
			break;
		}
	}
	kb_vm_stop(vm);
	return NULL;
}
