/*
 * vCPUs (vcpu.c): creation (CPUID per vCPU, the boot protocol's registers,
 * runnable state), the thread that runs KVM_RUN and dispatches every exit,
 * and where a vCPU was when the run ended.
 */
#ifndef KB_VCPU_H
#define KB_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exit.h"
#include "kvmstats.h"

struct kb_vm;

struct kb_vcpu {
	struct kb_vm *vm;
	unsigned index;
	uint32_t apic_id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool started;
	struct kb_acct acct;
	struct kb_kstats kstats;
	uint64_t first_entry_ns; /* first KVM_RUN, VMM clock */
};

/* Create vCPU index of vm into v: its KVM vCPU (id = its APIC ID), kvm_run
 * mapped, CPUID, the boot protocol's registers (boot/boot.h) and its
 * statistics.  0, or -1 with err; kb_vcpu_destroy() undoes a partial one. */
int kb_vcpu_create(struct kb_vm *vm, struct kb_vcpu *v, unsigned index, char *err, size_t errlen);
/* The vCPU thread body: KVM_RUN and the exits until the VM stops or the
 * run ends on this vCPU (the outcome in vm->result).  arg: the kb_vcpu. */
void *kb_vcpu_thread(void *arg);
/* Unmap and close (fd -1: nothing to do). */
void kb_vcpu_destroy(struct kb_vcpu *v);
/* One line on stderr: where the vCPU is (rip, mode, run state), and
 * KB_LOST_STATE when that state is one no guest can be in. */
void kb_vcpu_report_state(struct kb_vcpu *v);
#define KB_LOST_STATE                                                                         \
	"its CR3 is not guest RAM: the host's KVM lost this vCPU's state (a host fault, not " \
	"the guest's)"

#endif
