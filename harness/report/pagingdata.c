/*
 * The paging comparison's numbers (see paging.h): the points paired across
 * the modes, each pair's ratio as `kvmbench compare TDP shadow --by paging`
 * judges it (the same bootstrap, paired when the runs were made back to
 * back), and the MMU statistics of both sides.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/compare.h"
#include "analyze/output.h"
#include "analyze/stats.h"
#include "plan/scenario.h"
#include "report/figure.h"
#include "report/paging.h"
#include "store/sqlexpr.h"

const char *const kb_pg_mmu[KB_PG_MMU] = {"pf_fixed", "mmu_shadow_zapped", "mmu_pte_write",
					  "tlb_flush"};

#define MAX_VALUES 4096 /* of one point's metric */

static bool is_tdp(const char *mode)
{
	return !strcmp(mode, "ept") || !strcmp(mode, "npt");
}

/* params without its paging=... word */
static void strip_paging(const char *params, char *out, size_t len)
{
	static const char *const paging[] = {"paging", NULL};

	kb_params_without(params, paging, out, len);
}

/* The selection's modes into s->modes, and whether it has each kind. */
static void find_modes(const struct kb_plotctx *c, struct kb_pgset *s)
{
	for (unsigned p = 0; p < c->npoints; p++) {
		const char *m = c->points[p].paging;
		size_t o = strlen(s->modes);
		bool seen = false;

		for (unsigned q = 0; q < p && !seen; q++)
			seen = !strcmp(c->points[q].paging, m);
		if (!seen)
			snprintf(s->modes + o, sizeof(s->modes) - o, "%s%s", o ? ", " : "", m);
		s->tdp |= is_tdp(m);
		s->shadow |= !strcmp(m, "shadow");
	}
}

/* The shadow point that differs from TDP point a only in its mode and has
 * a's main metric, on a's host when there is one there (a host that ran
 * both modes is compared with itself), else on another; or c->npoints. */
static unsigned shadow_partner(const struct kb_plotctx *c, unsigned a)
{
	char ka[1100], kb[1100];
	unsigned other = c->npoints;

	strip_paging(c->points[a].params, ka, sizeof(ka));
	for (unsigned b = 0; b < c->npoints; b++) {
		if (strcmp(c->points[b].paging, "shadow"))
			continue;
		strip_paging(c->points[b].params, kb, sizeof(kb));
		if (strcmp(ka, kb) || !kb_plot_series(c, b, c->primary[a]))
			continue;
		if (!strcmp(c->points[a].host, c->points[b].host))
			return b;
		if (other == c->npoints)
			other = b;
	}
	return other;
}

/* Pair every TDP point that has a main metric with its shadow partner.
 * 0, or -1 out of memory. */
static int pair_points(const struct kb_plotctx *c, struct kb_pgset *s)
{
	unsigned cap = 0;

	for (unsigned a = 0; a < c->npoints; a++) {
		unsigned b;

		if (!is_tdp(c->points[a].paging) || !c->primary[a][0] ||
		    (b = shadow_partner(c, a)) == c->npoints)
			continue;
		if (s->n == cap) {
			struct kb_pgpair *p = realloc(s->p, (cap ? cap * 2 : 16) * sizeof(*p));

			if (!p)
				return -1;
			s->p = p;
			cap = cap ? cap * 2 : 16;
		}
		memset(&s->p[s->n], 0, sizeof(s->p[0]));
		s->p[s->n].point[KB_PG_TDP] = a;
		s->p[s->n++].point[KB_PG_SHADOW] = b;
	}
	return 0;
}

/* Each pair's label: its workload and the values of the params that vary
 * between pairs (and its mode when both EPT and NPT are there); the params
 * every pair has into s->common. */
static int label_pairs(const struct kb_plotctx *c, struct kb_pgset *s)
{
	char(*stripped)[1100] = calloc(s->n, sizeof(*stripped));
	const char **all = calloc(s->n, sizeof(*all));
	bool ept = false, npt = false;

	for (unsigned i = 0; stripped && all && i < s->n; i++) {
		const char *m = c->points[s->p[i].point[KB_PG_TDP]].paging;

		strip_paging(c->points[s->p[i].point[KB_PG_TDP]].params, stripped[i], 1100);
		all[i] = stripped[i];
		ept |= !strcmp(m, "ept");
		npt |= !strcmp(m, "npt");
	}
	snprintf(s->tdp_name, sizeof(s->tdp_name), "%s",
		 ept && npt ? "EPT/NPT"
		 : ept	    ? "EPT"
			    : "NPT");
	for (unsigned i = 0; stripped && all && i < s->n; i++) {
		struct kb_pgpair *p = &s->p[i];
		const struct kb_ppoint *pt = &c->points[p->point[KB_PG_TDP]];
		size_t o = (size_t)snprintf(p->label, sizeof(p->label), "%s", pt->workload);

		kb_params_part(stripped[i], all, s->n, false, p->words, sizeof(p->words));
		for (const char *w = p->words; *w && o < sizeof(p->label);) {
			size_t len = strcspn(w, " ");
			const char *eq = memchr(w, '=', len);

			if (eq && strncmp(w, "workload=", 9))
				o += (size_t)snprintf(p->label + o, sizeof(p->label) - o, " %.*s",
						      (int)(len - (size_t)(eq + 1 - w)), eq + 1);
			w += len + (w[len] == ' ');
		}
		if (ept && npt && o < sizeof(p->label))
			snprintf(p->label + o, sizeof(p->label) - o, " (%s)", pt->paging);
	}
	if (stripped && all)
		kb_params_part("", all, s->n, true, s->common, sizeof(s->common));
	free(stripped);
	free(all);
	return stripped && all ? 0 : -1;
}

/* Point p's values of metric (its runs on its host), with their pair ids (campaign * 1000000 +
 * repeat, as compare has them), at most MAX_VALUES.  The count, or -1 with
 * c->err. */
static long point_values(struct kb_plotctx *c, unsigned p, const char *metric, double *v,
			 int64_t *pair)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT m.value, r.campaign_id * 1000000 + r.repeat FROM runs r"
	       " CROSS JOIN metrics m ON m.run_id = r.id JOIN campaigns c ON c.id = r.campaign_id"
	       " JOIN hosts h ON h.id = c.host_id WHERE r.campaign_id IN (%s)"
	       " AND r.point_key = ?1 AND " KB_SQL_PAGING " = ?2 AND m.name = ?3"
	       " AND " KB_REPORT_HOST_OF("h") " = ?4"
					      " AND r.warmup = 0 AND r.status = 'pass' AND m.value "
					      "IS NOT NULL ORDER BY r.id");
	long n = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, c->points[p].pkey, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->points[p].paging, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->points[p].host, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW && n < MAX_VALUES) {
		v[n] = sqlite3_column_double(st, 0);
		pair[n++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return n;
}

/* Side k of pair p: its values into v (room for MAX_VALUES) and, when runs
 * of both modes share a campaign and may pair, their pair ids (else *pair
 * NULL: the series the report loaded are the values).  The count, or -1. */
static long side_values(struct kb_plotctx *c, const struct kb_pgset *s, const struct kb_pgpair *p,
			int k, double *v, int64_t **pair)
{
	const struct kb_pseries *ser = kb_plot_series(c, p->point[k], p->metric);
	size_t n = ser ? (ser->n < MAX_VALUES ? ser->n : MAX_VALUES) : 0;

	if (s->interleaved)
		return point_values(c, p->point[k], p->metric, v, *pair);
	*pair = NULL;
	if (n)
		memcpy(v, ser->v, n * sizeof(*v));
	return (long)n;
}

/* Why values v[0..n) of a side give no ratio (compare's reasons), or NULL. */
static const char *no_ratio(const double *v, size_t n, bool tdp)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]) || v[i] < 0)
			return "a value is not a finite number >= 0";
	if (tdp && kb_median(v, n) == 0)
		return "the TDP median is 0: no ratio to it";
	return n ? NULL : "no measured runs";
}

/* Pair p's medians, ratio and interval.  0, or -1 with c->err. */
static int pair_ratio(struct kb_plotctx *c, const struct kb_pgset *s, struct kb_pgpair *p)
{
	double *v = malloc(2 * MAX_VALUES * sizeof(*v));
	int64_t *ids = malloc(2 * MAX_VALUES * sizeof(*ids)), *pair[2];
	long n[2] = {-1, -1};
	char key[1100];

	for (int k = 0; v && ids && k < 2; k++) {
		pair[k] = ids + k * MAX_VALUES;
		n[k] = side_values(c, s, p, k, v + k * MAX_VALUES, &pair[k]);
	}
	p->ratio = p->lo = p->hi = NAN;
	if (n[0] >= 0 && n[1] >= 0) {
		for (int k = 0; k < 2; k++) {
			p->n[k] = (size_t)n[k];
			p->med[k] = kb_median(v + k * MAX_VALUES, p->n[k]);
		}
		/* compare --by paging's key: the params without the paging word */
		strip_paging(c->points[p->point[KB_PG_TDP]].params, key, sizeof(key));
		if (!(p->why = no_ratio(v, p->n[0], true)) &&
		    !(p->why = no_ratio(v + MAX_VALUES, p->n[1], false)))
			p->ratio = kb_compare_ratio(v, pair[0], p->n[0], v + MAX_VALUES, pair[1],
						    p->n[1], kb_compare_seed(key, p->metric),
						    &p->lo, &p->hi, &p->pairs);
	}
	free(v);
	free(ids);
	if ((n[0] < 0 || n[1] < 0) && !c->err[0])
		snprintf(c->err, sizeof(c->err), "out of memory");
	return n[0] < 0 || n[1] < 0 ? -1 : 0;
}

/* The median per run of KVM statistic name at point p, NAN when not
 * recorded: as the report's KVM statistics table has it (kstat, its medians
 * for kb_kstat_names, once for the whole selection), else from a query of
 * the point's runs (vCPU statistics summed over the run's vCPUs). */
static double mmu_median(struct kb_plotctx *c, unsigned p, const char *name, bool kstat)
{
	sqlite3_stmt *st;

	for (unsigned w = 0; kstat && w < KB_NKSTAT; w++)
		if (!strcmp(kb_kstat_names[w], name))
			return c->kstat[p * KB_NKSTAT + w];
	st = kb_plot_query(
	    c, "SELECT sum(k.value) FROM runs r JOIN campaigns c ON c.id = r.campaign_id"
	       " JOIN hosts h ON h.id = c.host_id JOIN kvm_stats k ON k.run_id = r.id"
	       " WHERE r.campaign_id IN (%s) AND r.point_key = ?1 AND " KB_SQL_PAGING " = ?2"
	       " AND k.name = ?3 AND " KB_REPORT_HOST_OF(
		   "h") " = ?4"
			" AND r.warmup = 0 AND r.status = 'pass' GROUP BY r.id");
	if (!st)
		return NAN;
	sqlite3_bind_text(st, 1, c->points[p].pkey, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->points[p].paging, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->points[p].host, -1, SQLITE_STATIC);
	return kb_plot_median_of(st);
}

/* Kind k (a host's) into list, comma-joined, once. */
static void add_kind(char *list, size_t len, const char *k)
{
	size_t o = strlen(list), n = strlen(k);

	for (const char *p = list; (p = strstr(p, k)); p += n)
		if ((p == list || p[-1] == ',') && (!p[n] || p[n] == ','))
			return;
	snprintf(list + o, len - o, "%s%s", o ? "," : "", k);
}

/* Per campaign of the selection, the modes its runs asked for (the host's
 * for host and tdp): the kinds of host each side ran on, and whether some
 * campaign ran both (then its runs may pair up).  0, or -1 with c->err. */
static int campaign_modes(struct kb_plotctx *c, struct kb_pgset *s)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT IFNULL(h.kind, h.kvm_module), h.paging, (SELECT group_concat(DISTINCT"
	       " paging) FROM runs WHERE campaign_id = c.id AND warmup = 0 AND status = 'pass')"
	       " FROM campaigns c JOIN hosts h ON h.id = c.host_id WHERE c.id IN (%s)");

	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *host = (const char *)sqlite3_column_text(st, 1);
		const char *asked = (const char *)sqlite3_column_text(st, 2);
		bool side[2] = {false, false};

		for (const char *a = asked ? asked : ""; *a;) {
			size_t n = strcspn(a, ",");
			bool as_host =
			    (n == 4 && !strncmp(a, "host", 4)) || (n == 3 && !strncmp(a, "tdp", 3));
			char m[16];

			snprintf(m, sizeof(m), "%.*s", (int)n, a);
			if (as_host)
				snprintf(m, sizeof(m), "%s", host ? host : "");
			side[KB_PG_TDP] |= is_tdp(m);
			side[KB_PG_SHADOW] |= !strcmp(m, "shadow");
			a += n + (a[n] == ',');
		}
		for (int k = 0; k < 2; k++)
			if (side[k] && kind)
				add_kind(s->kinds[k], sizeof(s->kinds[k]), kind);
		s->interleaved |= side[0] && side[1];
	}
	sqlite3_finalize(st);
	return 0;
}

int kb_paging_pairs(struct kb_plotctx *c, struct kb_pgset *s)
{
	bool kstat;

	memset(s, 0, sizeof(*s));
	find_modes(c, s);
	if (!s->tdp || !s->shadow)
		return 0;
	if (pair_points(c, s) || (s->n && label_pairs(c, s)) || campaign_modes(c, s)) {
		if (!c->err[0])
			snprintf(c->err, sizeof(c->err), "out of memory");
		return -1;
	}
	kstat = s->n && kb_plot_kstat_medians(c) == 0;
	for (unsigned i = 0; i < s->n; i++) {
		struct kb_pgpair *p = &s->p[i];
		const struct kb_pseries *ser =
		    kb_plot_series(c, p->point[0], c->primary[p->point[0]]);

		assert(ser); /* pair_points() paired points with their main metric */
		p->metric = ser->name;
		snprintf(p->unit, sizeof(p->unit), "%s", ser->unit);
		p->dir = kb_metric_default_direction(p->unit);
		if (pair_ratio(c, s, p))
			return -1;
		for (int k = 0; k < KB_PG_MMU; k++)
			for (int side = 0; side < 2; side++)
				p->mmu[k][side] =
				    mmu_median(c, p->point[side], kb_pg_mmu[k], kstat);
	}
	return 0;
}

void kb_paging_free(struct kb_pgset *s)
{
	free(s->p);
	memset(s, 0, sizeof(*s));
}
