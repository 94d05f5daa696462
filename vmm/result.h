/*
 * How a VM ended.  The first event to decide it wins (a guest's reported
 * result, isa-debug-exit, a fatal exit, the timeout, a signal); later ones
 * are ignored, so a guest cannot overwrite a crash with a pass.
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
};

void kb_result_init(struct kb_result *r);
/* Record the outcome unless one is recorded; returns true when this call
 * decided it. */
bool kb_result_set(struct kb_result *r, int code, const char *status, int vcpu, const char *fmt,
		   ...) __attribute__((format(printf, 5, 6)));
bool kb_result_is_set(struct kb_result *r);

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
