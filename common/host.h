/*
 * What host this is, for the record: CPU, kernel, which KVM module is
 * loaded and which paging mode it gives guests (EPT, NPT or shadow paging;
 * kvm_pvm is always shadow).  Read from /proc and /sys only.
 */
#ifndef KB_HOST_H
#define KB_HOST_H

#include <stdbool.h>

struct kb_host {
	char cpu_vendor[16];
	char cpu_model[128];
	char kernel[128];
	char kvm_module[16]; /* kvm_intel, kvm_amd, kvm_pvm or unknown */
	char paging[8];	     /* ept, npt, shadow or unknown */
	char tdp_mmu[4];     /* Y, N or "" when the parameter is absent */
	char thp[16];	     /* transparent_hugepage/enabled: the chosen mode */
	/* vmx (kvm_intel), svm (kvm_amd on hardware), pvm (kvm_pvm, software
	 * nested), lab (kvm_amd in kvmbench's QEMU TCG lab: the kernel command
	 * line carries kblab.npt=) or none (no KVM module) */
	char kind[16];
	bool pvm;
	bool emulated; /* the lab: timings come from QEMU's TCG, not hardware */
	int online_cpus;
};

/* Fill *h; fields that cannot be read say "unknown". */
void kb_host_detect(struct kb_host *h);

/* NULL when /dev/kvm can be opened read-write, else why not. */
const char *kb_kvm_unusable(void);

#endif
