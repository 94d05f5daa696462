/*
 * The host's side of the paging axis: which mode the host gives guests
 * (EPT, NPT or shadow paging), whether a point's mode (or a workload's
 * needs=) can be had here, and switching kvm_intel's ept / kvm_amd's npt
 * by reloading the module when the user allows it.
 */
#ifndef KB_PAGING_H
#define KB_PAGING_H

#include <stdbool.h>
#include <stddef.h>

/* The host's KVM module (kvm_intel, kvm_amd, kvm_pvm) and paging mode. */
void kb_paging_host(char *module, size_t mlen, char *paging, size_t plen);

/*
 * For a point asking for `want` (host, ept, npt, shadow): 0 when it can run,
 * with need = "" (as the host is) or the mode to switch to first; -1 when it
 * must be recorded as skipped, with the reason in why.
 */
int kb_paging_decide(const char *want, const char *module, const char *host_paging,
		     bool allow_reload, char *need, size_t nlen, char *why, size_t wlen);

/* Reload module with its paging parameter for mode; 0 or -1 with err.
 * Refuses when another process holds a VM. */
int kb_paging_switch(const char *module, const char *mode, char *err, size_t errlen);

/* Processes other than this one that hold a KVM VM open. */
int kb_paging_other_vms(void);

/* True when LIST (comma-separated paging values; NULL: all) has VALUE. */
bool kb_paging_listed(const char *list, const char *value);

/* A workload's needs= against the host's KVM module: 0 when it can run,
 * else -1 with the skip reason in why. */
int kb_needs_decide(const char *needs, const char *module, char *why, size_t wlen);

#endif
