/*
 * First-wins recording of a VM's outcome, and the VMM's clock.
 */
#include "result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t epoch_ns;

__attribute__((constructor)) static void clock_start(void)
{
	epoch_ns = mono_ns();
}

uint64_t kb_now_ns(void)
{
	return mono_ns() - epoch_ns;
}

uint64_t kb_epoch_ns(void)
{
	return epoch_ns;
}

void kb_result_init(struct kb_result *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->vcpu = -1;
}

bool kb_result_set(struct kb_result *r, int code, const char *status, int vcpu, const char *fmt,
		   ...)
{
	va_list ap;
	bool won = false;

	pthread_mutex_lock(&r->lock);
	if (!r->set) {
		r->exit_code = code;
		snprintf(r->status, sizeof(r->status), "%s", status);
		va_start(ap, fmt);
		vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
		va_end(ap);
		r->vcpu = vcpu;
		r->t_ns = kb_now_ns();
		__atomic_store_n(&r->set, true, __ATOMIC_RELEASE);
		won = true;
	}
	pthread_mutex_unlock(&r->lock);
	return won;
}

bool kb_result_is_set(struct kb_result *r)
{
	return __atomic_load_n(&r->set, __ATOMIC_ACQUIRE);
}
