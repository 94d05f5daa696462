/*
 * The vm-exit dispatcher and its accounting.
 *
 * kb_exit_dispatch() is a function of (struct kvm_run, bus, account): it
 * routes I/O and MMIO exits through the bus, counts every exit by KVM exit
 * reason and by bus region, and classifies the exits that end the VM.  It
 * touches no file descriptor, so tests/unit feeds it synthetic exits.
 */
#ifndef KB_EXIT_H
#define KB_EXIT_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

#define KB_EXIT_REASONS 64    /* KVM exit reasons are below this */
#define KB_UNHANDLED_SLOTS 16 /* distinct unclaimed addresses remembered */

struct kb_unhandled {
	enum kb_space space;
	uint64_t addr;
	uint64_t count;
};

/* Per-vCPU counters; only the owning vCPU thread writes them. */
struct kb_acct {
	uint64_t total;
	uint64_t by_reason[KB_EXIT_REASONS];
	uint64_t by_region[KB_BUS_MAX_REGIONS * 2 + 2];
	uint64_t handle_cycles;	    /* TSC cycles spent handling in userspace */
	uint64_t handle_max_cycles; /* the longest single exit */
	struct kb_unhandled unhandled[KB_UNHANDLED_SLOTS];
	unsigned nunhandled;
	uint64_t unhandled_other; /* unclaimed accesses past the slots */
};

enum kb_exit_action {
	KB_EXIT_CONTINUE, /* re-enter the guest */
	KB_EXIT_FATAL,	  /* stop the VM; why says what happened */
};

/*
 * Handle the exit in run for vCPU vcpu.  run_size is the size of the
 * kvm_run mapping, used to bounds-check the PIO data area.  Returns
 * KB_EXIT_FATAL with a one-line reason in why[whylen] for exits that end
 * the VM (shutdown, system events, internal error, failed entry, unknown
 * reasons).  The vCPU thread (vcpu.c) ends some of them cleanly instead of
 * as a crash: a system event reset or shutdown, and a shutdown after the
 * guest kernel announced a restart.
 */
enum kb_exit_action kb_exit_dispatch(struct kvm_run *run, size_t run_size, const struct kb_bus *bus,
				     struct kb_acct *acct, unsigned vcpu, char *why, size_t whylen);

/* The KVM exit reason's name ("io", "mmio", ...) or NULL when unknown. */
const char *kb_exit_reason_name(unsigned reason);

/* Add src into dst (for the per-VM totals). */
void kb_acct_add(struct kb_acct *dst, const struct kb_acct *src);

#endif
