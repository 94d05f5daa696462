/*
 * vCPU topologies (see topology.h).  A -smp value is a list of key=value
 * items, the first of which may be a bare CPU count; missing values follow
 * QEMU's rules (since 6.2: cores before sockets).
 */
#include "common/topology.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/size.h"
#include "common/util.h"
#include "kvmbench/abi.h"

/* The values of a -smp as given (0: not given). */
struct smp_given {
	unsigned long cpus, maxcpus, sockets, cores, threads, dies, clusters;
};

static const struct {
	const char *key;
	size_t off;
} smp_keys[] = {
    {"cpus", offsetof(struct smp_given, cpus)},
    {"maxcpus", offsetof(struct smp_given, maxcpus)},
    {"sockets", offsetof(struct smp_given, sockets)},
    {"cores", offsetof(struct smp_given, cores)},
    {"threads", offsetof(struct smp_given, threads)},
    {"dies", offsetof(struct smp_given, dies)},
    {"clusters", offsetof(struct smp_given, clusters)},
};

static unsigned long *smp_field(struct smp_given *g, const char *key, size_t klen)
{
	for (size_t i = 0; i < sizeof(smp_keys) / sizeof(smp_keys[0]); i++)
		if (strlen(smp_keys[i].key) == klen && !strncmp(key, smp_keys[i].key, klen))
			return (unsigned long *)((char *)g + smp_keys[i].off);
	return NULL;
}

/* One item [p, end) of a -smp value: key=value, or (first) a bare count. */
static int smp_item(const char *p, const char *end, bool first, struct smp_given *g, char *err,
		    size_t errlen)
{
	const char *eq = memchr(p, '=', (size_t)(end - p));
	const char *num = eq ? eq + 1 : p;
	unsigned long *dst, v;

	if (!eq && !first)
		return kb_errf(err, errlen, "-smp: '%.*s' is not key=value", (int)(end - p), p);
	dst = eq ? smp_field(g, p, (size_t)(eq - p)) : &g->cpus;
	if (!dst)
		return kb_errf(err, errlen, "-smp: unknown parameter '%.*s'", (int)(eq - p), p);
	if (kb_uint_parse(num, (size_t)(end - num), 1u << 20, &v))
		return kb_errf(err, errlen, "-smp: '%.*s' is not a number", (int)(end - num), num);
	if (v == 0)
		return kb_errf(err, errlen,
			       "-smp: '%.*s': CPU topology parameters must be greater than zero",
			       (int)(end - p), p);
	*dst = v;
	return 0;
}

/* QEMU's rules (since 6.2) for what is not given: prefer cores over sockets. */
static void smp_fill(struct smp_given *g)
{
	if (g->cpus == 0 && g->maxcpus == 0) {
		g->sockets = g->sockets ? g->sockets : 1;
		g->cores = g->cores ? g->cores : 1;
		g->threads = g->threads ? g->threads : 1;
	} else {
		g->maxcpus = g->maxcpus ? g->maxcpus : g->cpus;
		if (g->cores == 0) {
			g->sockets = g->sockets ? g->sockets : 1;
			g->threads = g->threads ? g->threads : 1;
			g->cores = g->maxcpus / (g->sockets * g->threads);
		} else if (g->sockets == 0) {
			g->threads = g->threads ? g->threads : 1;
			g->sockets = g->maxcpus / (g->cores * g->threads);
		}
		if (g->threads == 0)
			g->threads = g->maxcpus / (g->sockets * g->cores);
	}
}

int kb_smp_parse(const char *s, struct kb_smp *smp, char *err, size_t errlen)
{
	struct smp_given g = {.dies = 1, .clusters = 1};
	unsigned long total;

	if (!*s)
		return kb_errf(err, errlen, "-smp: empty value");
	for (const char *p = s; *p;) {
		const char *end = p + strcspn(p, ",");

		if (smp_item(p, end, p == s, &g, err, errlen))
			return -1;
		p = *end ? end + 1 : end;
	}
	if (g.dies != 1 || g.clusters != 1)
		return kb_errf(err, errlen,
			       "-smp: dies and clusters other than 1 are not supported");
	smp_fill(&g);
	total = g.sockets * g.cores * g.threads; /* each at most 2^20: no overflow */
	g.maxcpus = g.maxcpus ? g.maxcpus : total;
	g.cpus = g.cpus ? g.cpus : g.maxcpus;
	if (total == 0 || total != g.maxcpus)
		return kb_errf(err, errlen,
			       "-smp %s: sockets (%lu) * cores (%lu) * threads (%lu) must equal "
			       "maxcpus (%lu)",
			       s, g.sockets, g.cores, g.threads, g.maxcpus);
	if (g.maxcpus < g.cpus)
		return kb_errf(err, errlen,
			       "-smp %s: maxcpus (%lu) must be at least the CPU count (%lu)", s,
			       g.maxcpus, g.cpus);
	if (g.maxcpus > KB_MAX_VCPUS)
		return kb_errf(err, errlen, "-smp %s: %lu CPUs exceed the VMM's limit of %d", s,
			       g.maxcpus, KB_MAX_VCPUS);
	assert(g.cpus >= 1 && g.cpus <= g.maxcpus);
	*smp = (struct kb_smp){(unsigned)g.cpus, (unsigned)g.maxcpus, (unsigned)g.sockets,
			       (unsigned)g.cores, (unsigned)g.threads};
	return 0;
}

/* A whole number in [1, 256]: 0, or -1. */
static int shape_part(const char *v, unsigned *out)
{
	double d;

	if (kb_number_parse(v, 1, 256, KB_NUM_INT, &d, NULL, 0))
		return -1;
	*out = (unsigned)d;
	return 0;
}

int kb_smp_shape_parse(const char *v, struct kb_smp *smp)
{
	unsigned n[3] = {1, 0, 1}; /* "N": N cores, QEMU's default for -smp N */
	char buf[128], *x, *y;

	if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf))
		return -1;
	if (!(x = strchr(buf, 'x'))) {
		if (shape_part(buf, &n[1]))
			return -1;
	} else {
		*x++ = 0;
		if (!(y = strchr(x, 'x')))
			return -1;
		*y++ = 0;
		if (shape_part(buf, &n[0]) || shape_part(x, &n[1]) || shape_part(y, &n[2]))
			return -1;
	}
	if (n[0] * n[1] * n[2] > 256) /* each at most 256: no overflow */
		return -1;
	*smp = (struct kb_smp){n[0] * n[1] * n[2], n[0] * n[1] * n[2], n[0], n[1], n[2]};
	return 0;
}

int kb_smp_format(const struct kb_smp *smp, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%u,sockets=%u,cores=%u,threads=%u", smp->cpus, smp->sockets,
			 smp->cores, smp->threads);

	if (n >= 0 && (size_t)n < len && smp->maxcpus != smp->cpus)
		n += snprintf(buf + n, len - (size_t)n, ",maxcpus=%u", smp->maxcpus);
	return n >= 0 && (size_t)n < len ? 0 : -1;
}
