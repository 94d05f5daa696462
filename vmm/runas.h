/*
 * -runas USER: the VMM started as root opens everything the VM needs
 * (/dev/kvm, RAM, the kernel and initrd, drives, taps, the console file,
 * the stats directory), then gives root up for good, after Firecracker's
 * jailer and QEMU's -run-with user=.  The open descriptors keep working,
 * so USER need not be able to open /dev/kvm or the images itself.
 */
#ifndef KB_RUNAS_H
#define KB_RUNAS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct kb_runas {
	bool set;      /* -runas was given */
	char user[64]; /* its name (the number when it has none) */
	uid_t uid;     /* the VMM's user and group: -runas's, or as started */
	gid_t gid;
};

/*
 * Fill *ra from spec, -runas's value (NULL: none; then the VMM's own user):
 * a user name, or UID[:GID] (a UID without GID takes its passwd entry's
 * group).  Looks the user up now, before any filter, and fails early.
 * 0, or -1 with err naming spec.
 */
int kb_runas_init(const char *spec, struct kb_runas *ra, char *err, size_t errlen);

/*
 * Become ra's user (nothing without -runas): no supplementary groups, its
 * group, then its user, real, effective and saved; root must be out of
 * reach afterwards.  The calling thread must be the only one, with no
 * seccomp filter yet (glibc would signal other threads to do the same, and
 * their filters refuse it).  Re-arms PR_SET_PDEATHSIG, which the kernel
 * clears when the credentials change, and leaves the process non-dumpable
 * (as the kernel made it): other processes of that user can neither trace
 * it nor read its memory.  0, or -1 with err naming the user.
 */
int kb_runas_drop(const struct kb_runas *ra, char *err, size_t errlen);

#endif
