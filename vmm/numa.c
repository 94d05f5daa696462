/*
 * NUMA options (see numa.h).
 */
#include "numa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "common/util.h"

static int num(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	char buf[32], *end;

	if (n == 0 || n >= sizeof(buf) || s[0] == '-')
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	*out = strtoul(buf, &end, 10);
	return *end || *out > max ? -1 : 0;
}

static int add_cpus(struct kb_numa_node *node, const char *v, size_t n, char *err, size_t errlen)
{
	const char *dash = memchr(v, '-', n);
	unsigned long lo, hi;

	if (dash ? num(v, (size_t)(dash - v), 255, &lo) ||
		       num(dash + 1, n - (size_t)(dash - v) - 1, 255, &hi)
		 : num(v, n, 255, &lo))
		return kb_errf(err, errlen, "-numa: cpus=%.*s: want N or A-B below 256", (int)n, v);
	if (!dash)
		hi = lo;
	if (hi < lo)
		return kb_errf(err, errlen, "-numa: cpus=%.*s: empty range", (int)n, v);
	for (unsigned long c = lo; c <= hi; c++)
		node->cpus[c / 64] |= 1ull << (c % 64);
	return 0;
}

static int add_node(struct kb_numa *n, const char *v, char *err, size_t errlen)
{
	struct kb_numa_node tmp = {.present = true};
	unsigned long id = ~0ul;
	bool have_mem = false;

	for (const char *p = v; *p;) {
		const char *end = p + strcspn(p, ","), *eq = memchr(p, '=', (size_t)(end - p));
		size_t klen = eq ? (size_t)(eq - p) : 0, vlen = eq ? (size_t)(end - eq - 1) : 0;

		if (!eq)
			return kb_errf(err, errlen, "-numa node: '%.*s' is not key=value",
				       (int)(end - p), p);
		if (klen == 6 && !strncmp(p, "nodeid", 6)) {
			if (num(eq + 1, vlen, KB_MAX_NUMA_NODES - 1, &id))
				return kb_errf(err, errlen, "-numa node: nodeid=%.*s: want 0..%d",
					       (int)vlen, eq + 1, KB_MAX_NUMA_NODES - 1);
		} else if (klen == 4 && !strncmp(p, "cpus", 4)) {
			if (add_cpus(&tmp, eq + 1, vlen, err, errlen))
				return -1;
		} else if (klen == 3 && !strncmp(p, "mem", 3)) {
			char buf[64];

			snprintf(buf, sizeof(buf), "%.*s", (int)vlen, eq + 1);
			if (kb_size_parse(buf, &tmp.mem))
				return kb_errf(err, errlen, "-numa node: mem=%s: not a size", buf);
			have_mem = true;
		} else if (klen == 6 && !strncmp(p, "memdev", 6)) {
			return kb_errf(err, errlen,
				       "-numa node: memdev= is not supported (use mem=)");
		} else {
			return kb_errf(err, errlen, "-numa node: unknown parameter '%.*s'",
				       (int)klen, p);
		}
		p = *end ? end + 1 : end;
	}
	if (id == ~0ul) /* QEMU numbers nodes in order when nodeid is left out */
		id = n->nnodes;
	if (id >= KB_MAX_NUMA_NODES)
		return kb_errf(err, errlen, "-numa node: more than %d nodes", KB_MAX_NUMA_NODES);
	if (n->node[id].present)
		return kb_errf(err, errlen, "-numa node: nodeid=%lu given twice", id);
	if (!have_mem)
		return kb_errf(err, errlen, "-numa node,nodeid=%lu: needs mem=SIZE", id);
	n->node[id] = tmp;
	if (id + 1 > n->nnodes)
		n->nnodes = (unsigned)id + 1;
	return 0;
}

static int add_dist(struct kb_numa *n, const char *v, char *err, size_t errlen)
{
	unsigned long src = ~0ul, dst = ~0ul, val = ~0ul;

	for (const char *p = v; *p;) {
		const char *end = p + strcspn(p, ","), *eq = memchr(p, '=', (size_t)(end - p));
		unsigned long *dstp = NULL, x;

		if (eq && eq - p == 3 && !strncmp(p, "src", 3))
			dstp = &src;
		else if (eq && eq - p == 3 && !strncmp(p, "dst", 3))
			dstp = &dst;
		else if (eq && eq - p == 3 && !strncmp(p, "val", 3))
			dstp = &val;
		if (!dstp || num(eq + 1, (size_t)(end - eq - 1), 255, &x))
			return kb_errf(err, errlen, "-numa dist: '%.*s' (want src=, dst=, val=)",
				       (int)(end - p), p);
		*dstp = x;
		p = *end ? end + 1 : end;
	}
	if (src == ~0ul || dst == ~0ul || val == ~0ul)
		return kb_errf(err, errlen, "-numa dist: needs src=, dst= and val=");
	if (src >= KB_MAX_NUMA_NODES || dst >= KB_MAX_NUMA_NODES)
		return kb_errf(err, errlen, "-numa dist: node above %d", KB_MAX_NUMA_NODES - 1);
	if (val < 10 || (src == dst && val != 10) || (src != dst && val == 10))
		return kb_errf(err, errlen,
			       "-numa dist,src=%lu,dst=%lu,val=%lu: local distance is "
			       "10, remote ones 11..255",
			       src, dst, val);
	n->dist[src][dst] = (uint8_t)val;
	return 0;
}

int kb_numa_add(struct kb_numa *n, const char *value, char *err, size_t errlen)
{
	if (!strncmp(value, "node,", 5) || !strcmp(value, "node"))
		return add_node(n, value[4] ? value + 5 : "", err, errlen);
	if (!strncmp(value, "dist,", 5))
		return add_dist(n, value + 5, err, errlen);
	return kb_errf(err, errlen, "-numa %s: want node,... or dist,...", value);
}

int kb_numa_finish(struct kb_numa *n, unsigned maxcpus, uint64_t mem, char *err, size_t errlen)
{
	uint64_t total = 0, seen[KB_NUMA_CPU_WORDS] = {0};

	if (!n->nnodes) {
		for (unsigned a = 0; a < KB_MAX_NUMA_NODES; a++)
			for (unsigned b = 0; b < KB_MAX_NUMA_NODES; b++)
				if (n->dist[a][b])
					return kb_errf(err, errlen,
						       "-numa dist without -numa node");
		return 0;
	}
	for (unsigned i = 0; i < n->nnodes; i++) {
		if (!n->node[i].present)
			return kb_errf(err, errlen,
				       "-numa: node %u is missing (node ids must be "
				       "0..%u without holes)",
				       i, n->nnodes - 1);
		total += n->node[i].mem;
		for (unsigned w = 0; w < KB_NUMA_CPU_WORDS; w++) {
			if (seen[w] & n->node[i].cpus[w])
				return kb_errf(err, errlen, "-numa: CPU %u is in two nodes",
					       w * 64 + (unsigned)__builtin_ctzll(
							    seen[w] & n->node[i].cpus[w]));
			seen[w] |= n->node[i].cpus[w];
		}
	}
	for (unsigned c = maxcpus; c < 256; c++)
		if (seen[c / 64] & (1ull << (c % 64)))
			return kb_errf(err, errlen, "-numa: CPU %u is beyond maxcpus (%u)", c,
				       maxcpus);
	if (total != mem)
		return kb_errf(err, errlen,
			       "-numa: the nodes' mem adds up to %llu MiB, -m is "
			       "%llu MiB",
			       (unsigned long long)(total >> 20), (unsigned long long)(mem >> 20));
	for (unsigned c = 0; c < maxcpus; c++) /* unassigned CPUs: node 0 */
		if (!(seen[c / 64] & (1ull << (c % 64))))
			n->node[0].cpus[c / 64] |= 1ull << (c % 64);
	for (unsigned a = 0; a < KB_MAX_NUMA_NODES; a++)
		for (unsigned b = 0; b < KB_MAX_NUMA_NODES; b++) {
			if ((a >= n->nnodes || b >= n->nnodes) && n->dist[a][b])
				return kb_errf(err, errlen, "-numa dist: node %u does not exist",
					       a >= n->nnodes ? a : b);
			if (!n->dist[a][b])
				n->dist[a][b] = n->dist[b][a] ? n->dist[b][a] : a == b ? 10 : 20;
		}
	return 0;
}

unsigned kb_numa_node_of(const struct kb_numa *n, unsigned cpu)
{
	for (unsigned i = 0; i < n->nnodes; i++)
		if (n->node[i].cpus[cpu / 64] & (1ull << (cpu % 64)))
			return i;
	return 0;
}
