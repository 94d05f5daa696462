/*
 * How a VM ended.  The first event to decide it wins (a guest's reported
 * result, isa-debug-exit, a fatal exit, the timeout, a signal); later ones
 * are ignored, so a guest cannot overwrite a crash with a pass.
 *
 * An outcome can also be pending: decided, but with the VM left running a
 * little longer (a kernel panic, so the guest can print its backtrace).  A
 * pending outcome is the first event: whatever is reported next (a reset,
 * pvpanic, the end of the panic's output, the grace period passing)
 * commits it instead of its own.
 */
#ifndef KB_RESULT_H
#define KB_RESULT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Exit statuses of kvmbench-vmm (docs/exit-status.md). */
#define KB_EXIT_PASS 0
#define KB_EXIT_VMM_ERROR 1
#define KB_EXIT_GUEST_FAIL 2
#define KB_EXIT_GUEST_CRASH 3
#define KB_EXIT_SKIP 77
#define KB_EXIT_TIMEOUT 124

struct kb_result {
	pthread_mutex_t lock;
	bool set;
	int exit_code;
	char status[24];
	char reason[256];
	int vcpu;      /* the vCPU that caused it, -1 for none */
	uint64_t t_ns; /* when, on the VMM's clock */
	/* a pending outcome (kb_result_pend), committed by the next event;
	 * also where kb_result_set composes its own before committing it */
	bool pending;
	struct {
		int code, vcpu;
		char status[24];
		char reason[256];
		uint64_t t_ns;
	} p;
	uint64_t p_deadline_ns;
	/* called (outside the lock) when an outcome becomes pending, so the
	 * thread that waits for the end can look at its deadline */
	void (*wake)(void *arg);
	void *wake_arg;
};

void kb_result_init(struct kb_result *r);
/* Record the outcome unless one is recorded; returns true when this call
 * decided it. */
bool kb_result_set(struct kb_result *r, int code, const char *status, int vcpu, const char *fmt,
		   ...) __attribute__((format(printf, 5, 6)));
bool kb_result_is_set(struct kb_result *r);
/* Record a pending outcome unless one is set or pending: it commits at the
 * next kb_result_set (whose own outcome is then noted in the reason as what
 * followed), at kb_result_commit, or grace_ns from now at the latest.
 * Returns true when this call recorded it. */
bool kb_result_pend(struct kb_result *r, uint64_t grace_ns, int code, const char *status, int vcpu,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Commit the pending outcome now; true when there was one to commit. */
bool kb_result_commit(struct kb_result *r);
/* The pending outcome's deadline (VMM clock) in *deadline_ns: false when
 * nothing is pending (or the outcome is already set). */
bool kb_result_deadline(struct kb_result *r, uint64_t *deadline_ns);
/* Append text to the reason of a set outcome (what more is known of it). */
void kb_result_note(struct kb_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Monotonic nanoseconds since the VMM started. */
uint64_t kb_now_ns(void);
/* CLOCK_MONOTONIC at the VMM's start, for relating its times to others'. */
uint64_t kb_epoch_ns(void);
static inline uint64_t kb_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#endif
