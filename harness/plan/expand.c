/*
 * Matrix expansion: the cartesian product of the axes, less the excluded
 * points, plus the included ones, each with its key (64-bit FNV-1a of the
 * canonical parameters), its workload and its guest command line.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "plan/axes.h"
#include "plan/scenario_parse.h"

/* The value of placeholder {name} (n bytes) for pt into buf: 0, or -1
 * when there is no such placeholder. */
static int placeholder(const struct kb_point *pt, const char *name, size_t n, char *buf, size_t len)
{
	static const char *const names[] = {"vcpus", "sockets", "cores", "threads", "memory_mib"};
	const unsigned long long values[] = {pt->smp.cpus, pt->smp.sockets, pt->smp.cores,
					     pt->smp.threads, pt->memory >> 20};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncmp(name, names[i], n)) {
			snprintf(buf, len, "%llu", values[i]);
			return 0;
		}
	return -1;
}

/* args with its placeholders filled into out: 0, or -1 (an unknown one,
 * or out too short). */
static int fill_args(const struct kb_point *pt, const char *args, char *out, size_t len)
{
	size_t o = 0;

	for (const char *a = args; *a;) {
		const char *close = *a == '{' ? strchr(a, '}') : NULL;
		char rep[32] = {*a, 0};

		if (close && placeholder(pt, a + 1, (size_t)(close - a - 1), rep, sizeof(rep)))
			return -1;
		a = close ? close + 1 : a + 1;
		size_t rl = strlen(rep);

		if (o + rl >= len)
			return -1;
		memcpy(out + o, rep, rl);
		o += rl;
	}
	out[o] = 0;
	return 0;
}

static int guest_exists(const char *guest_dir, const char *guest)
{
	char path[1400];

	if (strchr(guest, '/'))
		return access(guest, R_OK) == 0;
	snprintf(path, sizeof(path), "%s/%s.elf", guest_dir, guest);
	return access(path, R_OK) == 0;
}

/* The point's params (its axes in order, those that leave out their
 * default so) and its key, their hash. */
static void key_point(struct kb_point *pt)
{
	size_t o = 0;

	for (int a = 0; a < KB_AX_COUNT; a++) {
		if (kb_axes[a].omit_default && !strcmp(pt->v[a], kb_axes[a].def))
			continue; /* points from before the axis keep their keys */
		o += (size_t)snprintf(pt->params + o, sizeof(pt->params) - o, "%s%s=%s",
				      a ? " " : "", kb_axes[a].name, pt->v[a]);
	}
	snprintf(pt->key, sizeof(pt->key), "%016llx",
		 (unsigned long long)kb_fnv1a(pt->params, KB_FNV1A_INIT));
}

/* Each axis's value parsed into pt, then checked across axes: 0, or -1
 * with the error recorded. */
static int parse_point(struct kb_parse *p, struct kb_point *pt)
{
	char why[512];

	for (int a = 0; a < KB_AX_COUNT; a++)
		if (kb_axes[a].parse && kb_axes[a].parse(pt->v[a], pt, why, sizeof(why)))
			return kb_parse_err(p, "%s", why), -1;
	for (int a = 0; a < KB_AX_COUNT; a++)
		if (kb_axes[a].check_point && kb_axes[a].check_point(pt, why, sizeof(why)))
			return kb_parse_err(p, "%s", why), -1;
	return 0;
}

/* The point's workload: its [workload.NAME], or a micro-guest of that name
 * (a workload of its own from then on).  0, or -1 with the error recorded. */
static int point_workload(struct kb_parse *p, struct kb_point *pt, const char *guest_dir, int line)
{
	const char *wname = pt->v[KB_AX_WORKLOAD];

	if ((pt->wl = kb_scenario_workload(p->s, wname)))
		return 0;
	if (!guest_exists(guest_dir, wname))
		return kb_parse_err(p,
				    "unknown guest or workload '%s' (no [workload.%s] and no "
				    "%s/%s.elf)",
				    wname, wname, guest_dir, wname),
		       -1;
	pt->wl = kb_scenario_new_workload(p, wname, line);
	return pt->wl ? 0 : -1;
}

/* Derive everything a run needs from the point's axis values. */
static int finish_point(struct kb_parse *p, struct kb_point *pt, const char *guest_dir, int line)
{
	p->ini.line = line;
	key_point(pt);
	if (parse_point(p, pt) || point_workload(p, pt, guest_dir, line))
		return -1;
	if (fill_args(pt, pt->wl->args, pt->cmdline, sizeof(pt->cmdline))) {
		p->ini.line = pt->wl->args_line ? pt->wl->args_line : pt->wl->line;
		return kb_parse_err(p,
				    "workload %s: bad placeholder in args '%s' (known: {vcpus} "
				    "{sockets} {cores} {threads} {memory_mib})",
				    pt->wl->name, pt->wl->args),
		       -1;
	}
	return 0;
}

static int excluded(const struct kb_scenario *s, const struct kb_point *pt)
{
	for (unsigned r = 0; r < s->nexcludes; r++) {
		int all = 1;

		for (int a = 0; a < KB_AX_COUNT && all; a++)
			if (s->excludes[r].v[a][0] && strcmp(s->excludes[r].v[a], pt->v[a]))
				all = 0;
		if (all)
			return 1;
	}
	return 0;
}

/* Add pt unless a point of its key is there; s->points holds cap. */
static void add_point(struct kb_scenario *s, const struct kb_point *pt, size_t cap)
{
	for (unsigned i = 0; i < s->npoints; i++)
		if (!strcmp(s->points[i].key, pt->key))
			return; /* already there */
	assert(s->npoints < cap);
	(void)cap; /* only with NDEBUG */
	s->points[s->npoints++] = *pt;
}

/* Axes [matrix] leaves out take their default; *total gets the number of
 * points of the product.  0, or -1 with the error recorded. */
static int matrix_size(struct kb_parse *p, size_t *total)
{
	struct kb_scenario *s = p->s;

	*total = 1;
	for (int a = 0; a < KB_AX_COUNT; a++) {
		if (!s->nvalues[a]) {
			if (a == KB_AX_WORKLOAD) {
				p->ini.line = 0;
				return kb_parse_err(
					   p, "empty matrix: [matrix] needs 'workload = ...'"),
				       -1;
			}
			snprintf(s->values[a][0], KB_VAL_MAX, "%s", kb_axes[a].def);
			s->nvalues[a] = 1;
		}
		assert(s->nvalues[a] <= KB_MAX_VALUES);
		*total *= s->nvalues[a]; /* at most 32 values an axis: no overflow */
	}
	return 0;
}

/* The product's total points, less the excluded ones, into s->points
 * (room for cap).  0, or -1 with the error recorded. */
static int expand_matrix(struct kb_parse *p, const char *guest_dir, size_t total, size_t cap)
{
	struct kb_scenario *s = p->s;
	unsigned idx[KB_AX_COUNT] = {0};
	struct kb_point pt;

	for (size_t n = 0; n < total; n++) {
		memset(&pt, 0, sizeof(pt));
		for (int a = 0; a < KB_AX_COUNT; a++)
			snprintf(pt.v[a], KB_VAL_MAX, "%s", s->values[a][idx[a]]);
		if (finish_point(p, &pt, guest_dir, s->axis_line[KB_AX_WORKLOAD]))
			return -1;
		if (!excluded(s, &pt))
			add_point(s, &pt, cap);
		for (int a = KB_AX_COUNT - 1; a >= 0; a--) { /* odometer, last axis fastest */
			if (++idx[a] < s->nvalues[a])
				break;
			idx[a] = 0;
		}
	}
	for (int a = 0; a < KB_AX_COUNT; a++)
		assert(idx[a] == 0); /* the odometer went round once */
	return 0;
}

int kb_scenario_expand(struct kb_parse *p, const char *guest_dir)
{
	struct kb_scenario *s = p->s;
	size_t total, cap;
	struct kb_point pt;

	if (matrix_size(p, &total))
		return -1;
	if (total + s->nincludes > 100000)
		return kb_parse_err(p, "the matrix has %zu points; at most 100000", total), -1;
	cap = total + s->nincludes;
	s->points = calloc(cap, sizeof(*s->points));
	if (!s->points)
		return kb_parse_err(p, "out of memory"), -1;
	if (expand_matrix(p, guest_dir, total, cap))
		return -1;
	for (unsigned r = 0; r < s->nincludes; r++) {
		memset(&pt, 0, sizeof(pt));
		for (int a = 0; a < KB_AX_COUNT; a++)
			snprintf(pt.v[a], KB_VAL_MAX, "%s",
				 s->includes[r].v[a][0] ? s->includes[r].v[a] : s->values[a][0]);
		if (finish_point(p, &pt, guest_dir, s->includes[r].line))
			return -1;
		add_point(s, &pt, cap);
	}
	if (!s->npoints) {
		p->ini.line = s->axis_line[KB_AX_WORKLOAD];
		return kb_parse_err(p, "empty matrix: every point is excluded"), -1;
	}
	return 0;
}

int kb_scenario_check_workloads(struct kb_parse *p, const char *guest_dir)
{
	struct kb_scenario *s = p->s;

	for (unsigned i = 0; i < s->nworkloads; i++) {
		if (s->workloads[i].image[0])
			continue; /* fetched from the manifest before the runs */
		if (!guest_exists(guest_dir, s->workloads[i].guest)) {
			p->ini.line = s->workloads[i].line;
			return kb_parse_err(p, "workload %s: unknown guest '%s' (no %s/%s.elf)",
					    s->workloads[i].name, s->workloads[i].guest, guest_dir,
					    s->workloads[i].guest),
			       -1;
		}
	}
	return 0;
}
