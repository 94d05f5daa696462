/*
 * Paging mode detection and switching (see paging.h).  Switching reloads
 * the vendor module: modprobe -r kvm_intel; modprobe kvm_intel ept=0|1
 * (kvm_amd: npt).  That drops every VM on the host, so it is refused while
 * any other process holds one, and it needs root.
 */
#include "exec/paging.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/host.h"
#include "common/proc.h"

void kb_paging_host(char *module, size_t mlen, char *paging, size_t plen)
{
	struct kb_host h;

	kb_host_detect(&h);
	snprintf(module, mlen, "%s", h.kvm_module);
	snprintf(paging, plen, "%s", h.paging);
}

int kb_paging_decide(const char *want, const char *module, const char *host_paging,
		     bool allow_reload, char *need, size_t nlen, char *why, size_t wlen)
{
	bool intel = !strcmp(module, "kvm_intel"), amd = !strcmp(module, "kvm_amd");

	need[0] = 0;
	if (!strcmp(want, "tdp")) /* two-dimensional paging, whichever the vendor has */
		want = !strcmp(host_paging, "ept") || !strcmp(host_paging, "npt") ? host_paging
		       : intel							  ? "ept"
		       : amd							  ? "npt"
										  : "tdp";
	if (!strcmp(want, "host") || !strcmp(want, host_paging))
		return 0;
	if (!strcmp(module, "kvm_pvm") || !strcmp(want, "tdp")) {
		snprintf(why, wlen, "paging=%s: the host is %s, which has shadow paging only%s",
			 want, module,
			 " (kvmbench run --host lab gives npt and shadow on any machine)");
		return -1;
	}
	if ((!strcmp(want, "ept") && !intel) || (!strcmp(want, "npt") && !amd)) {
		snprintf(why, wlen, "paging=%s: needs %s; this host runs %s", want,
			 want[0] == 'e' ? "kvm_intel (EPT)" : "kvm_amd (NPT)", module);
		return -1;
	}
	if (!intel && !amd) {
		snprintf(why, wlen, "paging=%s: unknown KVM module '%s'", want, module);
		return -1;
	}
	if (!allow_reload) {
		snprintf(why, wlen,
			 "paging=%s: the host has %s; switching reloads %s: allow it "
			 "with --allow-kvm-reload (root, no other VMs)",
			 want, host_paging, module);
		return -1;
	}
	if (geteuid() != 0) {
		snprintf(why, wlen, "paging=%s: reloading %s needs root", want, module);
		return -1;
	}
	if (kb_paging_other_vms() > 0) {
		snprintf(why, wlen,
			 "paging=%s: other VMs are running; reloading %s would kill "
			 "them",
			 want, module);
		return -1;
	}
	snprintf(need, nlen, "%s", want);
	return 0;
}

int kb_paging_other_vms(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	int n = 0;

	if (!proc)
		return 0;
	while ((d = readdir(proc))) {
		char path[300], link[64];
		DIR *fds;
		struct dirent *f;
		int pid = atoi(d->d_name);

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		if (!(fds = opendir(path)))
			continue;
		while ((f = readdir(fds))) {
			char fdpath[600];
			ssize_t l;

			snprintf(fdpath, sizeof(fdpath), "%s/%s", path, f->d_name);
			l = readlink(fdpath, link, sizeof(link) - 1);
			if (l > 0) {
				link[l] = 0;
				if (strstr(link, "kvm-vm")) {
					n++;
					break;
				}
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return n;
}

/* modprobe and rmmod: 0 when they succeed. */
static int run(char *const argv[])
{
	char why[256];
	int st = kb_child_run(argv, -1, NULL, why, sizeof(why));

	return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int kb_paging_switch(const char *module, const char *mode, char *err, size_t errlen)
{
	const char *param = !strcmp(module, "kvm_intel") ? "ept" : "npt";
	char arg[16];
	bool on = !strcmp(mode, "ept") || !strcmp(mode, "npt");

	if (kb_paging_other_vms() > 0) {
		snprintf(err, errlen, "other VMs are running: not reloading %s", module);
		return -1;
	}
	snprintf(arg, sizeof(arg), "%s=%d", param, on);
	char *rm[] = {"modprobe", "-r", (char *)module, NULL};
	char *add[] = {"modprobe", (char *)module, arg, NULL};

	if (run(rm) || run(add)) {
		snprintf(err, errlen, "reloading %s with %s failed (modprobe)", module, arg);
		return -1;
	}
	return 0;
}

bool kb_paging_listed(const char *list, const char *value)
{
	size_t n = strlen(value);

	if (!list)
		return true;
	for (const char *p = list; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ','))
		if (strcspn(p, ",") == n && !strncmp(p, value, n))
			return true;
	return false;
}

int kb_needs_decide(const char *needs, const char *module, char *why, size_t wlen)
{
	if (!needs[0])
		return 0;
	/* linux-userspace: kvm_pvm runs guest kernel code in KVM's emulator and
	 * stops Linux with internal errors (int3, clac) long before init. */
	if (!strcmp(module, "kvm_intel") || !strcmp(module, "kvm_amd"))
		return 0;
	snprintf(why, wlen,
		 "needs=%s: this host's KVM is %s, which cannot boot Linux to user space "
		 "(kvm_pvm stops it with KVM internal errors before init; docs/hosts.md); "
		 "run it on a VMX/SVM host or in the lab (--host lab)",
		 needs, module);
	return -1;
}
