/*
 * The VMM's sandbox, after Firecracker's: a seccomp-bpf allow-list per
 * thread kind (main, vCPU, I/O), PR_SET_NO_NEW_PRIVS, and limits on file
 * size and open files.  A forbidden syscall is trapped (SIGSYS): the
 * handler writes "seccomp: thread KIND made forbidden syscall NAME (N)" on
 * stderr and hands it to the hook, which makes it the run's result.
 *
 * Order: kb_sandbox_init() in the main thread before any other thread
 * exists; each thread calls kb_sandbox_enter() before it touches the
 * guest: I/O threads before their loop, vCPU threads before their first
 * KVM_RUN, the main thread once set-up is done (it sets the rlimits too).
 */
#ifndef KB_SANDBOX_H
#define KB_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

enum kb_thread_kind { KB_THREAD_MAIN, KB_THREAD_VCPU, KB_THREAD_IO, KB_THREAD_KINDS };

/* The run must end with this reason (a VMM error): called in the thread at
 * fault, from the SIGSYS handler for the first forbidden syscall, or when a
 * vCPU or I/O thread cannot install its filter.  For the main thread it
 * must not return (write the stats and exit); another thread's hook
 * records the reason and stops the VM, and the thread then ends. */
typedef void kb_sandbox_hook(const char *why, enum kb_thread_kind kind);

/* Compile the filters, set no_new_privs and install the SIGSYS handler
 * (nothing with -sandbox off).  0, or -1 with err. */
int kb_sandbox_init(const struct kb_config *cfg, kb_sandbox_hook *hook, char *err, size_t errlen);
/* Install the calling thread's filter (the main thread: its rlimits
 * first).  With KVMBENCH_SANDBOX_SELFTEST naming this kind, the first such
 * thread then makes a forbidden syscall.  0, or -1 with err (a vCPU or I/O
 * thread's failure has gone to the hook too). */
int kb_sandbox_enter(enum kb_thread_kind kind, char *err, size_t errlen);

/* What the stats JSON records. */
struct kb_sandbox_state {
	const char *seccomp; /* "on", "off" or "audit" */
	bool no_new_privs;
	uint64_t rlimit_fsize, rlimit_nofile; /* UINT64_MAX: unlimited */
	unsigned threads_filtered;
};
void kb_sandbox_state(struct kb_sandbox_state *s);

#endif
