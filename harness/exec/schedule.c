/*
 * A campaign's schedule (see schedule.h).
 */
#include "exec/schedule.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "exec/paging.h"

/* Does point p belong to shard k of n?  Points are dealt round-robin in
 * key order, so the split does not depend on the file's order. */
static int cmp_key(const void *a, const void *b)
{
	return strcmp((*(const struct kb_point *const *)a)->key,
		      (*(const struct kb_point *const *)b)->key);
}

static int cmp_addr(const void *a, const void *b)
{
	const struct kb_point *x = *(const struct kb_point *const *)a;
	const struct kb_point *y = *(const struct kb_point *const *)b;

	return x < y ? -1 : x > y;
}

int kb_plan_make(const struct kb_scenario *sc, const struct kb_run_opts *o, struct kb_plan *p,
		 char *err, size_t errlen)
{
	const struct kb_point **pts = calloc(sc->npoints, sizeof(*pts));
	unsigned n = 0, seq = 0;

	memset(p, 0, sizeof(*p));
	if (!pts) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < sc->npoints; i++)
		pts[i] = &sc->points[i];
	qsort(pts, sc->npoints, sizeof(*pts), cmp_key);
	/* the shard over all points, then (a lab's part) the paging values */
	for (unsigned i = 0; i < sc->npoints; i++)
		if ((!o->shard_n || i % o->shard_n == o->shard_k - 1) &&
		    kb_paging_listed(o->paging_only, pts[i]->v[KB_AX_PAGING]))
			pts[n++] = pts[i];
	assert(n <= sc->npoints);
	/* back to the file's order within the shard, for readable logs */
	qsort(pts, n, sizeof(*pts), cmp_addr);
	p->npoints = n;
	p->repeats = o->repeat ? o->repeat : sc->repeats;
	p->warmup = o->warmup_set ? o->warmup : sc->warmup;
	p->jobs = o->jobs ? o->jobs : sc->jobs;
	kb_paging_host(p->host_module, sizeof(p->host_module), p->host_paging,
		       sizeof(p->host_paging));
	unsigned total = n * (p->repeats + p->warmup);

	p->todo = calloc(total ? total : 1, sizeof(*p->todo));
	p->skips = calloc(total ? total : 1, sizeof(*p->skips));
	p->skip_reason = calloc(total ? total : 1, sizeof(*p->skip_reason));
	if (!p->todo || !p->skips || !p->skip_reason) {
		free(pts);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* warm-ups first, then repeats interleaved: A B C A B C ... */
	for (unsigned r = 0; r < p->warmup + p->repeats; r++) {
		for (unsigned i = 0; i < n; i++) {
			struct kb_task t = {pts[i], seq++, r < p->warmup ? r : r - p->warmup,
					    r < p->warmup, ""};
			char why[256];

			if (kb_needs_decide(pts[i]->wl->needs, p->host_module, why, sizeof(why)) ||
			    kb_paging_decide(pts[i]->v[KB_AX_PAGING], p->host_module,
					     p->host_paging, o->allow_reload, t.paging,
					     sizeof(t.paging), why, sizeof(why))) {
				snprintf(p->skip_reason[p->nskips], sizeof(p->skip_reason[0]), "%s",
					 why);
				p->skips[p->nskips++] = t;
			} else {
				p->todo[p->ntodo++] = t;
			}
		}
	}
	assert(p->ntodo + p->nskips == total && seq == total); /* every run, once */
	free(pts);
	return 0;
}

void kb_plan_print(const struct kb_plan *p, FILE *f)
{
	fprintf(f,
		"%u points, %u runs (%u warm-up rounds, %u repeats), %u to skip, %u at a "
		"time; host paging %s (%s)\n",
		p->npoints, p->ntodo + p->nskips, p->warmup, p->repeats, p->nskips, p->jobs,
		p->host_paging, p->host_module);
	for (unsigned i = 0; i < p->ntodo; i++)
		fprintf(f, "run  %4u %s %s r%u%s\n", p->todo[i].seq, p->todo[i].pt->key,
			p->todo[i].pt->params, p->todo[i].repeat,
			p->todo[i].warmup ? " warmup" : "");
	for (unsigned i = 0; i < p->nskips; i++)
		fprintf(f, "skip %4u %s %s: %s\n", p->skips[i].seq, p->skips[i].pt->key,
			p->skips[i].pt->params, p->skip_reason[i]);
}

void kb_plan_free(struct kb_plan *p)
{
	free(p->todo);
	free(p->skips);
	free(p->skip_reason);
	memset(p, 0, sizeof(*p));
}
