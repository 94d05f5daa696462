/*
 * Values by point and name (see bucket.h): the run-to-point map and the
 * hashed series.
 */
#include "report/bucket.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/stats.h"
#include "store/sqlexpr.h"

static int cmp_run(const void *a, const void *b)
{
	const struct kb_runpoint *x = a, *y = b;

	return (x->run > y->run) - (x->run < y->run);
}

/* Run r's point from its ident, the previous row's answer when the same
 * (rows come by campaign and point key). */
static unsigned ident_point(const struct kb_plotctx *c, const char *ident, unsigned last)
{
	if (last < c->npoints && !strcmp(c->points[last].key, ident))
		return last;
	return kb_plot_point(c, ident);
}

static int cmp_campaign_run(const void *a, const void *b)
{
	const struct kb_runpoint *x = a, *y = b;

	if (x->campaign != y->campaign)
		return (x->campaign > y->campaign) - (x->campaign < y->campaign);
	return cmp_run(a, b);
}

/* c->runs as blocks of consecutive ids of one campaign, by campaign and
 * then id, into c->blocks.  0, or -1 out of memory. */
static int make_blocks(struct kb_plotctx *c)
{
	struct kb_runpoint *r = malloc((c->nruns ? c->nruns : 1) * sizeof(*r));

	c->blocks = malloc((c->nruns ? c->nruns : 1) * sizeof(*c->blocks));
	if (!r || !c->blocks) {
		free(r);
		return -1;
	}
	memcpy(r, c->runs, c->nruns * sizeof(*r));
	qsort(r, c->nruns, sizeof(*r), cmp_campaign_run);
	for (size_t i = 0; i < c->nruns; i++) {
		if (i && r[i].campaign == r[i - 1].campaign && r[i].run == r[i - 1].run + 1)
			c->blocks[c->nblocks - 1].hi = r[i].run;
		else
			c->blocks[c->nblocks++] = (struct kb_runblock){r[i].run, r[i].run};
	}
	free(r);
	return 0;
}

int kb_plot_map_runs(struct kb_plotctx *c)
{
	sqlite3_stmt *st = kb_plot_query(c, "SELECT r.id, " KB_REPORT_POINT_IDENT ", r.campaign_id"
					    " FROM runs r WHERE r.campaign_id IN (%s)"
					    " AND r.warmup = 0 AND r.status = 'pass'");
	size_t cap = 0;
	unsigned pi = c->npoints;
	int rc = st ? 0 : -1;

	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		pi = ident_point(c, (const char *)sqlite3_column_text(st, 1), pi);
		if (pi == c->npoints)
			continue;
		if (c->nruns == cap) {
			struct kb_runpoint *r =
			    realloc(c->runs, (cap ? cap * 2 : 1024) * sizeof(*r));

			if (!r) {
				rc = -1;
				break;
			}
			c->runs = r;
			cap = cap ? cap * 2 : 1024;
		}
		c->runs[c->nruns++] = (struct kb_runpoint){sqlite3_column_int64(st, 0), pi,
							   sqlite3_column_int64(st, 2)};
	}
	sqlite3_finalize(st);
	if (!rc)
		rc = make_blocks(c);
	if (c->nruns)
		qsort(c->runs, c->nruns, sizeof(*c->runs), cmp_run);
	return rc;
}

bool kb_plot_step_runs(const struct kb_plotctx *c, sqlite3_stmt *st, size_t *next)
{
	int rc = *next ? sqlite3_step(st) : SQLITE_DONE;

	while (rc == SQLITE_DONE && *next < c->nblocks) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, c->blocks[*next].lo);
		sqlite3_bind_int64(st, 2, c->blocks[*next].hi);
		(*next)++;
		rc = sqlite3_step(st);
	}
	return rc == SQLITE_ROW;
}

unsigned kb_plot_run_point(const struct kb_plotctx *c, int64_t run)
{
	size_t lo = 0, hi = c->nruns;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->runs[mid].run == run)
			return c->runs[mid].point;
		if (c->runs[mid].run < run)
			lo = mid + 1;
		else
			hi = mid;
	}
	return c->npoints;
}

static size_t hash(unsigned point, const char *name)
{
	size_t h = 1469598103934665603ull ^ point; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

/* Double the hash table and put every series back in it.  0, or -1. */
static int rehash(struct kb_buckets *b)
{
	size_t n = b->nslot ? b->nslot * 2 : 64, *slot = calloc(n, sizeof(*slot));

	if (!slot)
		return -1;
	for (size_t i = 0; i < b->n; i++) {
		size_t h = hash(b->s[i].point, b->s[i].name) & (n - 1);

		while (slot[h])
			h = (h + 1) & (n - 1);
		slot[h] = i + 1;
	}
	free(b->slot);
	b->slot = slot;
	b->nslot = n;
	return 0;
}

/* A new series (point, name) at the end of b.  NULL out of memory. */
static struct kb_pseries *new_series(struct kb_buckets *b, unsigned point, const char *name,
				     const char *unit)
{
	struct kb_pseries *s;

	if (b->n == b->cap) {
		size_t n = b->cap ? b->cap * 2 : 64;

		if (!(s = realloc(b->s, n * sizeof(*s))))
			return NULL;
		b->s = s;
		b->cap = n;
	}
	s = &b->s[b->n++];
	memset(s, 0, sizeof(*s));
	s->point = point;
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->unit, sizeof(s->unit), "%s", unit ? unit : "");
	return s;
}

int kb_bucket_add(struct kb_buckets *b, unsigned point, const char *name, const char *unit,
		  double v)
{
	size_t h;
	struct kb_pseries *s = NULL;

	if ((b->n + 1) * 2 > b->nslot && rehash(b))
		return -1;
	h = hash(point, name) & (b->nslot - 1);
	for (; b->slot[h]; h = (h + 1) & (b->nslot - 1)) {
		s = &b->s[b->slot[h] - 1];
		if (s->point == point && !strncmp(s->name, name, sizeof(s->name) - 1))
			break;
		s = NULL;
	}
	if (!s) {
		if (!(s = new_series(b, point, name, unit)))
			return -1;
		b->slot[h] = b->n;
	}
	return kb_values_add(&s->v, &s->n, &s->cap, v);
}

static int cmp_series(const void *a, const void *b)
{
	const struct kb_pseries *x = a, *y = b;

	if (x->point != y->point)
		return x->point < y->point ? -1 : 1;
	return strcmp(x->name, y->name);
}

void kb_bucket_sort(struct kb_buckets *b)
{
	if (b->n)
		qsort(b->s, b->n, sizeof(*b->s), cmp_series);
	free(b->slot); /* the order changed: the hash is stale */
	b->slot = NULL;
	b->nslot = 0;
}

void kb_bucket_free(struct kb_buckets *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->s[i].v);
	free(b->s);
	free(b->slot);
	memset(b, 0, sizeof(*b));
}
