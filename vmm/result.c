/*
 * First-wins recording of a VM's outcome, and the VMM's clock.
 */
#include "result.h"

#include "common/util.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t epoch_ns;

__attribute__((constructor)) static void clock_start(void)
{
	epoch_ns = kb_mono_ns();
}

uint64_t kb_now_ns(void)
{
	return kb_mono_ns() - epoch_ns;
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

/* With the lock held: compose the pending outcome. */
static void compose_locked(struct kb_result *r, int code, const char *status, int vcpu,
			   const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void compose_locked(struct kb_result *r, int code, const char *status, int vcpu,
			   const char *fmt, va_list ap)
{
	r->p.code = code;
	snprintf(r->p.status, sizeof(r->p.status), "%s", status);
	vsnprintf(r->p.reason, sizeof(r->p.reason), fmt, ap);
	r->p.vcpu = vcpu;
	r->p.t_ns = kb_now_ns();
}

/* With the lock held: make the pending outcome the result. */
static void commit_locked(struct kb_result *r)
{
	assert(!r->set); /* an outcome is decided once */
	r->exit_code = r->p.code;
	memcpy(r->status, r->p.status, sizeof(r->status));
	memcpy(r->reason, r->p.reason, sizeof(r->reason));
	r->vcpu = r->p.vcpu;
	r->t_ns = r->p.t_ns;
	r->pending = false;
	__atomic_store_n(&r->set, true, __ATOMIC_RELEASE);
}

/* With the lock held: append to the reason, cut at its size. */
static void vnote_locked(struct kb_result *r, const char *fmt, va_list ap)
{
	size_t n = strlen(r->reason);

	if (n < sizeof(r->reason) - 1)
		vsnprintf(r->reason + n, sizeof(r->reason) - n, fmt, ap);
}

static void note_locked(struct kb_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote_locked(r, fmt, ap);
	va_end(ap);
}

bool kb_result_set(struct kb_result *r, int code, const char *status, int vcpu, const char *fmt,
		   ...)
{
	va_list ap;
	bool won = false;

	pthread_mutex_lock(&r->lock);
	if (!r->set && r->pending) {
		char then[200];

		/* the pending outcome came first; say what followed it */
		va_start(ap, fmt);
		vsnprintf(then, sizeof(then), fmt, ap);
		va_end(ap);
		commit_locked(r);
		note_locked(r, " (then: %s)", then);
	} else if (!r->set) {
		va_start(ap, fmt);
		compose_locked(r, code, status, vcpu, fmt, ap);
		va_end(ap);
		commit_locked(r);
		won = true;
	}
	pthread_mutex_unlock(&r->lock);
	return won;
}

bool kb_result_is_set(struct kb_result *r)
{
	return __atomic_load_n(&r->set, __ATOMIC_ACQUIRE);
}

bool kb_result_pend(struct kb_result *r, uint64_t grace_ns, int code, const char *status, int vcpu,
		    const char *fmt, ...)
{
	va_list ap;
	bool won = false;

	pthread_mutex_lock(&r->lock);
	if (!r->set && !r->pending) {
		va_start(ap, fmt);
		compose_locked(r, code, status, vcpu, fmt, ap);
		va_end(ap);
		r->p_deadline_ns = r->p.t_ns + grace_ns;
		r->pending = true;
		won = true;
	}
	pthread_mutex_unlock(&r->lock);
	if (won && r->wake)
		r->wake(r->wake_arg);
	return won;
}

bool kb_result_commit(struct kb_result *r)
{
	bool done = false;

	pthread_mutex_lock(&r->lock);
	if (!r->set && r->pending) {
		commit_locked(r);
		done = true;
	}
	pthread_mutex_unlock(&r->lock);
	return done;
}

bool kb_result_deadline(struct kb_result *r, uint64_t *deadline_ns)
{
	bool pending;

	pthread_mutex_lock(&r->lock);
	pending = !r->set && r->pending;
	*deadline_ns = r->p_deadline_ns;
	pthread_mutex_unlock(&r->lock);
	return pending;
}

void kb_result_note(struct kb_result *r, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&r->lock);
	if (r->set) {
		va_start(ap, fmt);
		vnote_locked(r, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&r->lock);
}
