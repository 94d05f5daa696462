/*
 * -numa node,nodeid=N,cpus=A-B[,cpus=C],mem=SIZE and
 * -numa dist,src=A,dst=B,val=V, checked against -smp and -m the way QEMU
 * checks them.  The result feeds the ACPI SRAT and SLIT.
 */
#ifndef KB_NUMA_H
#define KB_NUMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KB_MAX_NUMA_NODES 8
#define KB_NUMA_CPU_WORDS 4 /* 256 CPUs */

struct kb_numa_node {
	bool present;
	uint64_t mem;			  /* bytes */
	uint64_t cpus[KB_NUMA_CPU_WORDS]; /* bitmap of CPU indexes */
};

struct kb_numa {
	unsigned nnodes; /* 0: no -numa given */
	struct kb_numa_node node[KB_MAX_NUMA_NODES];
	uint8_t dist[KB_MAX_NUMA_NODES][KB_MAX_NUMA_NODES]; /* 0: not given */
};

/* Add one -numa option value.  Returns 0, or -1 with err. */
int kb_numa_add(struct kb_numa *n, const char *value, char *err, size_t errlen);

/*
 * Check the whole configuration against maxcpus and the RAM size: node ids
 * 0..N-1 without holes, memory adding up to -m, every CPU in at most one
 * node (CPUs named by none go to node 0, as QEMU does), distances filled in
 * (10 on the diagonal, 20 elsewhere, the reverse of a given pair).
 * Returns 0, or -1 with err.
 */
int kb_numa_finish(struct kb_numa *n, unsigned maxcpus, uint64_t mem, char *err, size_t errlen);

/* The node of CPU index cpu (0 without NUMA). */
unsigned kb_numa_node_of(const struct kb_numa *n, unsigned cpu);

#endif
