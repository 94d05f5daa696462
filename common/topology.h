/*
 * The vCPU topology: one struct for the VMM's -smp (QEMU's syntax and its
 * rules for missing values) and the scenario's topology axis ("N" or
 * "SxCxT"), and the -smp value written back from it.  The one place a
 * topology is parsed: the harness parses a scenario's value into the
 * struct once, writes -smp from it, and the VMM parses that with the same
 * code.  Pure (no I/O), so tests and fuzzers can drive every error.
 */
#ifndef KB_TOPOLOGY_H
#define KB_TOPOLOGY_H

#include <stddef.h>

struct kb_smp {
	unsigned cpus;	  /* vCPUs created */
	unsigned maxcpus; /* sockets * cores * threads */
	unsigned sockets, cores, threads;
};

/* Parse a QEMU -smp value into *smp (QEMU's rules for missing values, at
 * most KB_MAX_VCPUS).  Returns 0, or -1 with the reason ("-smp ...") in err. */
int kb_smp_parse(const char *s, struct kb_smp *smp, char *err, size_t errlen);

/* Parse a scenario's topology value: "N" (N cores of one socket, QEMU's
 * default for -smp N) or "SxCxT", each at least 1, at most 256 vCPUs in all.
 * Returns 0, or -1 (the caller names the value). */
int kb_smp_shape_parse(const char *v, struct kb_smp *smp);

/* Write smp as a -smp value ("N,sockets=S,cores=C,threads=T", then
 * ",maxcpus=M" when M differs from N) that kb_smp_parse reads back to the
 * same struct.  Returns 0, or -1 when buf is too short. */
int kb_smp_format(const struct kb_smp *smp, char *buf, size_t len);

#endif
