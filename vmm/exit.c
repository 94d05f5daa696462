/*
 * vm-exit dispatch and counting.  The hot path is one switch, one bus
 * lookup and a few counter increments; unclaimed accesses additionally go
 * through a 16-entry table so a report can say which ports a guest poked.
 */
#include "exit.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

static const char *const reason_names[KB_EXIT_REASONS] = {
    [KVM_EXIT_UNKNOWN] = "unknown",
    [KVM_EXIT_EXCEPTION] = "exception",
    [KVM_EXIT_IO] = "io",
    [KVM_EXIT_HYPERCALL] = "hypercall",
    [KVM_EXIT_DEBUG] = "debug",
    [KVM_EXIT_HLT] = "hlt",
    [KVM_EXIT_MMIO] = "mmio",
    [KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
    [KVM_EXIT_SHUTDOWN] = "shutdown",
    [KVM_EXIT_FAIL_ENTRY] = "fail_entry",
    [KVM_EXIT_INTR] = "intr",
    [KVM_EXIT_SET_TPR] = "set_tpr",
    [KVM_EXIT_TPR_ACCESS] = "tpr_access",
    [KVM_EXIT_NMI] = "nmi",
    [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
    [KVM_EXIT_OSI] = "osi",
    [KVM_EXIT_PAPR_HCALL] = "papr_hcall",
    [KVM_EXIT_WATCHDOG] = "watchdog",
    [KVM_EXIT_EPR] = "epr",
    [KVM_EXIT_SYSTEM_EVENT] = "system_event",
    [KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
    [KVM_EXIT_HYPERV] = "hyperv",
    [KVM_EXIT_X86_RDMSR] = "x86_rdmsr",
    [KVM_EXIT_X86_WRMSR] = "x86_wrmsr",
    [KVM_EXIT_DIRTY_RING_FULL] = "dirty_ring_full",
    [KVM_EXIT_AP_RESET_HOLD] = "ap_reset_hold",
    [KVM_EXIT_X86_BUS_LOCK] = "x86_bus_lock",
};

const char *kb_exit_reason_name(unsigned reason)
{
	return reason < KB_EXIT_REASONS ? reason_names[reason] : NULL;
}

static void note_unhandled(struct kb_acct *a, enum kb_space space, uint64_t addr)
{
	for (unsigned i = 0; i < a->nunhandled; i++) {
		if (a->unhandled[i].space == space && a->unhandled[i].addr == addr) {
			a->unhandled[i].count++;
			return;
		}
	}
	assert(a->nunhandled <= KB_UNHANDLED_SLOTS);
	if (a->nunhandled == KB_UNHANDLED_SLOTS) {
		a->unhandled_other++;
		return;
	}
	a->unhandled[a->nunhandled++] = (struct kb_unhandled){space, addr, 1};
}

static void charge(struct kb_acct *a, unsigned id, const struct kb_io *io)
{
	assert(id < sizeof(a->by_region) / sizeof(a->by_region[0]));
	a->by_region[id]++;
	if (id <= KB_REGION_UNHANDLED_MMIO)
		note_unhandled(a, io->space, io->addr);
}

static enum kb_exit_action do_pio(struct kvm_run *run, size_t run_size, const struct kb_bus *bus,
				  struct kb_acct *acct, unsigned vcpu, char *why, size_t whylen)
{
	/* Read once: the data area may overlap kvm_run's own fields (a
	 * malformed exit), and the IN data must not move the loop's end. */
	const uint32_t count = run->io.count;
	const uint64_t off = run->io.data_offset, bytes = (uint64_t)run->io.size * count;
	struct kb_io io = {
	    .space = KB_SPACE_PIO,
	    .addr = run->io.port,
	    .len = run->io.size,
	    .write = run->io.direction == KVM_EXIT_IO_OUT,
	    .vcpu = vcpu,
	};

	if (!kb_range_ok(off, bytes, 0, run_size) || (io.len != 1 && io.len != 2 && io.len != 4)) {
		snprintf(why, whylen, "malformed I/O exit (port 0x%x size %u count %u)",
			 run->io.port, run->io.size, count);
		return KB_EXIT_FATAL;
	}
	/* String I/O (rep outs/ins) arrives as count items in one exit; it
	 * is one exit, so the region is charged once. */
	unsigned id = KB_REGION_UNHANDLED_PIO;

	for (uint32_t i = 0; i < count; i++) {
		io.data = (uint8_t *)run + off + (size_t)i * io.len;
		id = kb_bus_access(bus, &io);
	}
	charge(acct, id, &io);
	return KB_EXIT_CONTINUE;
}

static enum kb_exit_action do_mmio(struct kvm_run *run, const struct kb_bus *bus,
				   struct kb_acct *acct, unsigned vcpu)
{
	struct kb_io io = {
	    .space = KB_SPACE_MMIO,
	    .addr = run->mmio.phys_addr,
	    .data = run->mmio.data,
	    .len = run->mmio.len > 8 ? 8 : run->mmio.len,
	    .write = run->mmio.is_write,
	    .vcpu = vcpu,
	};

	charge(acct, kb_bus_access(bus, &io), &io);
	return KB_EXIT_CONTINUE;
}

static enum kb_exit_action fatal_reason(struct kvm_run *run, char *why, size_t whylen)
{
	switch (run->exit_reason) {
	case KVM_EXIT_SHUTDOWN: snprintf(why, whylen, "triple fault (KVM_EXIT_SHUTDOWN)"); break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, whylen, "VM entry failed (hardware reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(why, whylen, "KVM internal error (suberror %u%s)", run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
			     ? ": instruction emulation failed"
			     : "");
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		snprintf(why, whylen, "system event %u (%s)", run->system_event.type,
			 run->system_event.type == KVM_SYSTEM_EVENT_RESET      ? "reset"
			 : run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? "shutdown"
			 : run->system_event.type == KVM_SYSTEM_EVENT_CRASH    ? "crash"
			 : run->system_event.type == 6 ? "SEV-ES termination"
						       : "unknown to this VMM");
		break;
	default: {
		const char *name = kb_exit_reason_name(run->exit_reason);

		snprintf(why, whylen, "unhandled exit reason %u (%s)", run->exit_reason,
			 name ? name : "unknown to this VMM");
	}
	}
	return KB_EXIT_FATAL;
}

enum kb_exit_action kb_exit_dispatch(struct kvm_run *run, size_t run_size, const struct kb_bus *bus,
				     struct kb_acct *acct, unsigned vcpu, char *why, size_t whylen)
{
	unsigned reason = run->exit_reason;

	acct->total++;
	acct->by_reason[reason < KB_EXIT_REASONS ? reason : KVM_EXIT_UNKNOWN]++;
	switch (reason) {
	case KVM_EXIT_IO: return do_pio(run, run_size, bus, acct, vcpu, why, whylen);
	case KVM_EXIT_MMIO: return do_mmio(run, bus, acct, vcpu);
	case KVM_EXIT_INTR: /* a signal: the caller checks for stop */
	case KVM_EXIT_HLT:  /* only without an in-kernel LAPIC */
	case KVM_EXIT_IRQ_WINDOW_OPEN: return KB_EXIT_CONTINUE;
	default: return fatal_reason(run, why, whylen);
	}
}

void kb_acct_add(struct kb_acct *dst, const struct kb_acct *src)
{
	dst->total += src->total;
	for (unsigned i = 0; i < KB_EXIT_REASONS; i++)
		dst->by_reason[i] += src->by_reason[i];
	for (unsigned i = 0; i < KB_BUS_MAX_REGIONS * 2 + 2; i++)
		dst->by_region[i] += src->by_region[i];
	dst->handle_cycles += src->handle_cycles;
	if (src->handle_max_cycles > dst->handle_max_cycles)
		dst->handle_max_cycles = src->handle_max_cycles;
	for (unsigned i = 0; i < src->nunhandled; i++) {
		const struct kb_unhandled *u = &src->unhandled[i];
		unsigned j;

		for (j = 0; j < dst->nunhandled; j++)
			if (dst->unhandled[j].space == u->space &&
			    dst->unhandled[j].addr == u->addr)
				break;
		if (j < dst->nunhandled)
			dst->unhandled[j].count += u->count;
		else if (dst->nunhandled < KB_UNHANDLED_SLOTS)
			dst->unhandled[dst->nunhandled++] = *u;
		else
			dst->unhandled_other += u->count;
	}
	dst->unhandled_other += src->unhandled_other;
}
