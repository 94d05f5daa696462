/*
 * kvmbench lab: a KVM host on any x86-64 machine.  QEMU's TCG emulates an
 * AMD CPU with SVM and nested paging; Debian's generic kernel runs kvm_amd
 * inside it (npt=1 or npt=0) with the host's / shared read-only over
 * virtio-9p and the project tree read-write, so the project's own binaries
 * run there on a real KVM whose hardware is emulated.  One boot runs one
 * command (a test suite, a whole campaign) or an interactive shell.
 * images/lab/init is the lab's side; docs/hosts.md says what its figures
 * mean.
 */
#ifndef KB_LAB_H
#define KB_LAB_H

#include <stdbool.h>
#include <stddef.h>

#include "exec/env.h"

#define KB_LAB_QEMU "qemu-system-x86_64"

struct kb_lab_opts {
	int npt;	  /* kvm_amd npt= inside the lab: 1 or 0 */
	unsigned smp;	  /* vCPUs of the lab machine (default 2) */
	unsigned mem_mib; /* its RAM (default 8192) */
	double timeout;	  /* seconds before a stuck lab is ended; 0: none */
	/* seconds for the lab to boot (0: $KVMBENCH_LAB_BOOT_TIMEOUT, else
	 * 300); a boot that takes longer is ended, where its vCPUs were is
	 * said, and it is booted once more */
	double boot_timeout;
	bool quiet; /* no boot notices on stderr */
	/* out: the run directory (in the project tree, seen by the lab too)
	 * where the command may leave files; kb_lab_run removes its own files
	 * and the caller removes the directory with kb_lab_done. */
	char rundir[1100];
};

/* Why QEMU cannot run the lab here (missing, too old), or NULL. */
const char *kb_lab_qemu_missing(void);

/*
 * Build the lab's kernel and initramfs (images/lab/mklab into build/lab)
 * when they are missing or older than their recipe.  0, or -1 with err.
 */
int kb_lab_prepare(const struct kb_env *env, char *err, size_t errlen);

/*
 * Boot a lab and run argv in it (in the caller's directory when that is in
 * the project tree, else the project root), with the caller's environment.
 * argv NULL: an interactive shell on the terminal.  Returns the command's
 * exit status (0-255), or with err: KB_LAB_EFAILED (the lab did not boot,
 * twice, or its kernel panicked or locked up: the console line is quoted),
 * KB_LAB_ETIMEOUT (it outlived o->timeout) or KB_LAB_EINTERRUPTED (SIGINT or
 * SIGTERM: the lab was stopped).
 */
enum { KB_LAB_EFAILED = -1, KB_LAB_ETIMEOUT = -2, KB_LAB_EINTERRUPTED = -3 };
int kb_lab_run(const struct kb_env *env, struct kb_lab_opts *o, char *const argv[], char *err,
	       size_t errlen);

/* Remove o->rundir and what is left in it. */
void kb_lab_done(struct kb_lab_opts *o);

/* kvmbench lab's own exit statuses, as timeout(1) has them: */
#define KB_LAB_TIMEOUT 124 /* the lab outlived --timeout */
#define KB_LAB_FAILED 125  /* the lab did not boot, panicked or locked up */

#endif
