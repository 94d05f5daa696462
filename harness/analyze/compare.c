/*
 * Comparisons (see compare.h).  Verdicts, for ratio r = candidate /
 * baseline of medians, interval [lo, hi] and threshold t:
 *   noisy      fewer than 3 runs on a side, or the interval contains 1
 *              while being wider than the threshold either way
 *   unchanged  the interval contains 1, or |r - 1| < t
 *   regressed  the interval excludes 1 and r moved at least t the wrong way
 *   improved   the same, the right way
 *   not comparable  no ratio to judge: a value on either side is not a
 *              finite number >= 0, or the baseline's median is 0 (a NaN or
 *              infinite ratio must never pass as improved or regressed)
 */
#include "analyze/compare.h"
#include "analyze/compareint.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/db.h"
#include "store/select.h"
#include "store/sqlexpr.h"
#include "plan/scenario.h"
#include "analyze/stats.h"
#include "common/hash.h"

/* The slot of (key, metric) in t's hash: its series, or the empty slot
 * where it goes. */
static size_t *slot_of(const struct table *t, const char *key, const char *metric)
{
	size_t i = kb_fnv1a(metric, kb_fnv1a(key, KB_FNV1A_INIT)) & (t->nslot - 1);

	while (t->slot[i] && (strcmp(t->s[t->slot[i] - 1].key, key) ||
			      strcmp(t->s[t->slot[i] - 1].metric, metric)))
		i = (i + 1) & (t->nslot - 1);
	return &t->slot[i];
}

/* Room for one more series and its slot (the hash at most half full).
 * 0, or -1 out of memory. */
static int grow(struct table *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct series *p = realloc(t->s, cap * sizeof(*p));

		if (!p)
			return -1;
		t->s = p;
		t->cap = cap;
	}
	if (2 * (t->n + 1) <= t->nslot)
		return 0;
	size_t *old = t->slot, nold = t->nslot;

	t->nslot = nold ? nold * 2 : 256;
	if (!(t->slot = calloc(t->nslot, sizeof(*t->slot)))) {
		t->slot = old;
		t->nslot = nold;
		return -1;
	}
	for (size_t i = 0; i < t->n; i++)
		*slot_of(t, t->s[i].key, t->s[i].metric) = i + 1;
	free(old);
	return 0;
}

/* The series of (key, metric), added (in the order first seen: the plan's)
 * when new; NULL out of memory. */
static struct series *find_or_add(struct table *t, const char *key, const char *params,
				  const char *metric, const char *unit)
{
	size_t *slot;

	if (t->nslot && *(slot = slot_of(t, key, metric)))
		return &t->s[*slot - 1];
	if (grow(t))
		return NULL;
	*slot_of(t, key, metric) = t->n + 1;
	struct series *s = &t->s[t->n++];

	memset(s, 0, sizeof(*s));
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->params, sizeof(s->params), "%s", params);
	snprintf(s->metric, sizeof(s->metric), "%s", metric);
	snprintf(s->unit, sizeof(s->unit), "%s", unit ? unit : "");
	return s;
}

static int push(struct series *s, int side, double v, int64_t pair)
{
	if (s->n[side] == s->cap[side]) {
		size_t cap = s->cap[side] ? s->cap[side] * 2 : 8;
		double *p = realloc(s->v[side], cap * sizeof(*p));
		int64_t *q = realloc(s->pair[side], cap * sizeof(*q));

		if (p)
			s->v[side] = p;
		if (q)
			s->pair[side] = q;
		if (!p || !q)
			return -1;
		s->cap[side] = cap;
	}
	s->pair[side][s->n[side]] = pair;
	s->v[side][s->n[side]++] = v;
	return 0;
}

/* The runs' campaigns as " AND c.id IN (...)", "" for all. */
static void campaign_filter(const struct kb_compare_opts *o, char *camps, size_t len)
{
	camps[0] = 0;
	for (unsigned i = 0; i < o->ncampaigns; i++)
		snprintf(camps + strlen(camps), len - strlen(camps), "%s%lld",
			 i ? "," : " AND c.id IN (", (long long)o->campaigns[i]);
	if (o->ncampaigns)
		snprintf(camps + strlen(camps), len - strlen(camps), ")");
}

void kb_compare_known_modes(sqlite3 *db, char *out, size_t len)
{
	char err[256];
	sqlite3_stmt *st = kb_db_prepare(
	    db,
	    "SELECT group_concat(m, ', ') FROM (SELECT DISTINCT " KB_SQL_PAGING " AS m FROM runs r"
	    " JOIN campaigns c ON c.id = r.campaign_id JOIN hosts h ON h.id = c.host_id"
	    " ORDER BY 1)",
	    err, sizeof(err));

	snprintf(out, len, "none");
	if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* The error for a side without runs. */
static void no_runs(sqlite3 *db, const struct kb_compare_opts *o, const char *sel, char *err,
		    size_t errlen)
{
	char modes[128];

	if (!o->by || strcmp(o->by, "paging")) {
		snprintf(err, errlen, "%s: no measured runs for %s '%s'", o->db,
			 o->by ? o->by : "campaign", sel);
		return;
	}
	kb_compare_known_modes(db, modes, sizeof(modes));
	snprintf(err, errlen,
		 "%s: no measured runs with paging '%s'%s (the modes its runs ran with: %s)", o->db,
		 sel,
		 !strcmp(sel, "host") ? ": a point that asked for host ran in its host's mode;"
					" name the mode"
				      : "",
		 modes);
}

/* Side side's values of every point and metric into t.  0, or -1 with err. */
static int load_values(sqlite3 *db, const struct kb_compare_opts *o, int side, const char *sel,
		       const struct side_query *q, const char *camps, struct table *t, char *err,
		       size_t errlen)
{
	char sql[2048];
	sqlite3_stmt *st;
	size_t rows = 0;

	snprintf(sql, sizeof(sql),
		 "SELECT %s, %s, m.name, m.unit, m.value, r.campaign_id * 1000000 + r.repeat"
		 " FROM runs r"
		 " JOIN campaigns c ON c.id = r.campaign_id JOIN hosts h ON h.id = c.host_id"
		 " LEFT JOIN builds b ON b.id = c.build_id JOIN metrics m ON m.run_id = r.id"
		 " WHERE r.warmup = 0 AND r.status = 'pass' AND m.value IS NOT NULL AND %s%s"
		 " ORDER BY r.campaign_id, r.seq, m.name",
		 q->key, q->show_key ? q->key : "r.params", q->where, camps);
	if (!(st = kb_db_prepare(db, sql, err, errlen)))
		return -1;
	sqlite3_bind_text(st, 1, sel, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct series *s = find_or_add(t, (const char *)sqlite3_column_text(st, 0),
					       (const char *)sqlite3_column_text(st, 1),
					       (const char *)sqlite3_column_text(st, 2),
					       (const char *)sqlite3_column_text(st, 3));

		if (!s ||
		    push(s, side, sqlite3_column_double(st, 4), sqlite3_column_int64(st, 5))) {
			sqlite3_finalize(st);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		rows++;
	}
	sqlite3_finalize(st);
	if (!rows)
		no_runs(db, o, sel, err, errlen);
	return rows ? 0 : -1;
}

static int load_side(sqlite3 *db, const struct kb_compare_opts *o, int side, const char *sel,
		     struct table *t, char *err, size_t errlen)
{
	char sql[2048], camps[1024];
	struct side_query q;
	sqlite3_stmt *st;

	if (kb_compare_side_sql(o->by ? o->by : "campaign", &q)) {
		snprintf(err, errlen,
			 "--by %s: want campaign, paging, host, build, tag, vmm_args, ioeventfd "
			 "or an axis (topology, memory, numa, devices, workload)",
			 o->by);
		return -1;
	}
	t->point_keyed = !strcmp(q.key, "r.point_key");
	campaign_filter(o, camps, sizeof(camps));
	if (load_values(db, o, side, sel, &q, camps, t, err, errlen))
		return -1;
	/* the kinds of host the side's runs come from, and the modes they ran with */
	snprintf(sql, sizeof(sql),
		 "SELECT group_concat(DISTINCT IFNULL(h.kind, h.kvm_module)),"
		 " max(h.timings_emulated), group_concat(DISTINCT " KB_SQL_PAGING ") FROM runs r"
		 " JOIN campaigns c ON c.id = r.campaign_id JOIN hosts h ON h.id = c.host_id"
		 " LEFT JOIN builds b ON b.id = c.build_id"
		 " WHERE r.warmup = 0 AND r.status = 'pass' AND %s%s",
		 q.where, camps);
	if (!(st = kb_db_prepare(db, sql, err, errlen)))
		return -1;
	sqlite3_bind_text(st, 1, sel, -1, SQLITE_TRANSIENT);
	snprintf(t->label[side], sizeof(t->label[side]), "%s", sel);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		snprintf(t->kinds[side], sizeof(t->kinds[side]), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		t->emulated[side] = sqlite3_column_int(st, 1);
		if (o->by && !strcmp(o->by, "paging")) /* the modes, not host or tdp */
			snprintf(t->label[side], sizeof(t->label[side]), "%s",
				 (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
	return 0;
}

/* Timings from different kinds of host do not compare (docs/hosts.md). */
static int check_kinds(const struct table *t, const struct kb_compare_opts *o, char *err,
		       size_t errlen)
{
	if (o->mixed_hosts || (!strcmp(t->kinds[0], t->kinds[1]) && !strchr(t->kinds[0], ',')))
		return 0;
	snprintf(err, errlen,
		 "the baseline's runs come from %s hosts and the candidate's from %s: their "
		 "timings do not compare (the lab's are emulated by QEMU, kvm_pvm's run guest "
		 "code in KVM's emulator); compare runs from one kind of host, or pass "
		 "--mixed-hosts",
		 t->kinds[0], t->kinds[1]);
	return -1;
}

void kb_metric_rules_load(sqlite3 *db, const char *file, int64_t campaign, struct kb_scenario *sc)
{
	char path[1024] = "", err[512];
	sqlite3_stmt *st;
	struct stat sb;

	memset(sc, 0, sizeof(*sc));
	if (file) {
		snprintf(path, sizeof(path), "%s", file);
	} else if (campaign > 0 &&
		   (st = kb_db_prepare(db, "SELECT scenario_file FROM campaigns WHERE id = ?", err,
				       sizeof(err)))) {
		sqlite3_bind_int64(st, 1, campaign);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(path, sizeof(path), "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	/* a campaign's file that is gone (moved, a /tmp file): the defaults,
	 * unsaid; one named by the database must be a regular file (a FIFO
	 * would block the reader) */
	if (!path[0] || (!file && stat(path, &sb)))
		return;
	if (!file && !S_ISREG(sb.st_mode))
		snprintf(err, sizeof(err), "%s: not a regular file", path);
	else if (kb_scenario_load(path, NULL, sc, err, sizeof(err)) == 0) {
		kb_scenario_free(sc);
		return;
	}
	memset(sc, 0, sizeof(*sc)); /* no rules of a file that failed halfway */
	if (file)
		fprintf(stderr, "kvmbench: --scenario: %s (using default metric rules)\n", err);
	else
		fprintf(stderr,
			"kvmbench: warning: campaign %lld's scenario file: %s (using default "
			"metric rules)\n",
			(long long)campaign, err);
}

int kb_metric_rule(const struct kb_scenario *sc, const char *metric, const char *unit, double dflt,
		   double *threshold)
{
	int dir = kb_metric_default_direction(unit);

	*threshold = dflt;
	for (unsigned i = 0; i < sc->nmetric_defs; i++) {
		if (strcmp(sc->metric_defs[i].name, metric))
			continue;
		if (sc->metric_defs[i].direction != 2)
			dir = sc->metric_defs[i].direction;
		if (sc->metric_defs[i].threshold >= 0)
			*threshold = sc->metric_defs[i].threshold;
	}
	return dir;
}

/* Why a series has no ratio to judge, or NULL. */
static const char *not_comparable(const struct series *s)
{
	for (int side = 0; side < 2; side++)
		for (size_t i = 0; i < s->n[side]; i++)
			if (!isfinite(s->v[side][i]) || s->v[side][i] < 0)
				return side ? "the candidate has a value that is not a finite "
					      "number >= 0"
					    : "the baseline has a value that is not a finite "
					      "number >= 0";
	if (kb_median(s->v[0], s->n[0]) == 0)
		return "the baseline's median is 0: no ratio to it";
	return NULL;
}

/*
 * Sides that ran interleaved in one campaign (two values of an axis, as
 * with --by paging, vmm_args or ioeventfd) have runs made back to back:
 * repeat r of each.  Their ratios b / a into out (room for na), at most one
 * per value of a.  Returns the count.
 */
static size_t paired_ratios(const double *a, const int64_t *pa, size_t na, const double *b,
			    const int64_t *pb, size_t nb, double *out)
{
	size_t n = 0;

	for (size_t i = 0; pa && pb && i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (pa[i] == pb[j] && a[i] != 0) {
				out[n++] = b[j] / a[i];
				break;
			}
	return n;
}

double kb_compare_ratio(const double *a, const int64_t *pa, size_t na, const double *b,
			const int64_t *pb, size_t nb, uint64_t seed, double *lo, double *hi,
			size_t *pairs)
{
	double *r = malloc((na ? na : 1) * sizeof(*r)), ratio;
	size_t np = r ? paired_ratios(a, pa, na, b, pb, nb, r) : 0;
	size_t fewer = na < nb ? na : nb;

	*pairs = 0;
	if (np >= 3 && np * 5 >= fewer * 4) {
		*pairs = np;
		ratio = kb_bootstrap_median(r, np, 2000, seed, lo, hi);
	} else {
		ratio = kb_bootstrap_ratio(a, na, b, nb, 2000, seed, lo, hi);
	}
	free(r);
	return ratio;
}

uint64_t kb_compare_seed(const char *key, const char *metric)
{
	uint64_t seed = 1469598103934665603ull; /* FNV-1a */

	for (const char *c = key; *c; c++)
		seed = (seed ^ (unsigned char)*c) * 1099511628211ull;
	for (const char *c = metric; *c; c++)
		seed = (seed ^ (unsigned char)*c) * 1099511628211ull;
	return seed;
}

static void judge(const struct series *s, const struct kb_scenario *sc, double dflt,
		  struct verdict *v)
{
	int dir = kb_metric_rule(sc, s->metric, s->unit, dflt, &v->threshold);

	v->s = s;
	if (dir == 0) {
		v->word = NULL; /* not compared */
		return;
	}
	v->ratio = v->lo = v->hi = NAN;
	if (!s->n[0] || !s->n[1]) { /* a point that stopped (or started) passing */
		v->why = s->n[1] ? "no passing run in the baseline"
				 : "no passing run in the candidate: it failed or did not run";
		v->word = NOT_COMPARABLE;
		return;
	}
	if ((v->why = not_comparable(s))) {
		v->word = NOT_COMPARABLE;
		return;
	}
	v->ratio = kb_compare_ratio(s->v[0], s->pair[0], s->n[0], s->v[1], s->pair[1], s->n[1],
				    kb_compare_seed(s->key, s->metric), &v->lo, &v->hi, &v->pairs);
	if (!isfinite(v->ratio) || !isfinite(v->lo) || !isfinite(v->hi)) {
		v->why = "the ratio is not a finite number";
		v->word = NOT_COMPARABLE;
		return;
	}
	bool contains = v->lo <= 1 && 1 <= v->hi;
	double worse = dir < 0 ? v->ratio - 1 : 1 - v->ratio;

	if (s->n[0] < 3 || s->n[1] < 3 ||
	    (contains && (v->hi - 1 > v->threshold || 1 - v->lo > v->threshold)))
		v->word = "noisy";
	else if (contains || fabs(v->ratio - 1) < v->threshold)
		v->word = "unchanged";
	else
		v->word = worse > 0 ? "regressed" : "improved";
}

/* Judge every series into v[] (one a side lacks is not comparable: a
 * point must not drop out of a comparison unsaid); counts[w] per words[w].
 * Returns the number judged (metrics with no direction are not), *both
 * those both sides have. */
static size_t judge_all(const struct table *t, const struct kb_scenario *sc, double threshold,
			struct verdict *v, size_t counts[KB_NWORDS], size_t *both)
{
	size_t n = 0;

	*both = 0;
	for (size_t i = 0; i < t->n; i++) {
		unsigned w = 0;

		judge(&t->s[i], sc, threshold, &v[n]);
		if (!v[n].word)
			continue;
		*both += t->s[i].n[0] && t->s[i].n[1];
		while (w < KB_NWORDS && strcmp(kb_compare_words[w], v[n].word))
			w++;
		assert(w < KB_NWORDS);
		counts[w]++;
		n++;
	}
	return n;
}

/* With --by campaign (the default) the sides are campaign selectors: their
 * ids into a and b (*ida the baseline's), else a and b as given.  0 or -1. */
static int resolve_sides(sqlite3 *db, const struct kb_compare_opts *o, char a[KB_SIDE_MAX],
			 char b[KB_SIDE_MAX], int64_t *ida, char *err, size_t errlen)
{
	int64_t idb;

	if (strlen(o->baseline) >= KB_SIDE_MAX || strlen(o->candidate) >= KB_SIDE_MAX) {
		snprintf(err, errlen, "a side's value is longer than %d bytes", KB_SIDE_MAX - 1);
		return -1;
	}
	snprintf(a, KB_SIDE_MAX, "%s", o->baseline);
	snprintf(b, KB_SIDE_MAX, "%s", o->candidate);
	if (o->by && strcmp(o->by, "campaign"))
		return 0;
	if ((*ida = kb_campaign_resolve(db, o->baseline, err, errlen)) < 0) {
		kb_compare_not_a_campaign(db, o, o->baseline, err, errlen);
		return -1;
	}
	if ((idb = kb_campaign_resolve(db, o->candidate, err, errlen)) < 0) {
		kb_compare_not_a_campaign(db, o, o->candidate, err, errlen);
		return -1;
	}
	snprintf(a, KB_SIDE_MAX, "%lld", (long long)*ida);
	snprintf(b, KB_SIDE_MAX, "%lld", (long long)idb);
	return 0;
}

static void free_table(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->s[i].v[0]);
		free(t->s[i].v[1]);
		free(t->s[i].pair[0]);
		free(t->s[i].pair[1]);
	}
	free(t->s);
	free(t->slot);
}

int kb_compare(const struct kb_compare_opts *o, FILE *out, char *err, size_t errlen)
{
	struct table t = {0};
	struct kb_scenario *sc = calloc(1, sizeof(*sc));
	struct verdict *v = NULL;
	sqlite3 *db = NULL;
	char a[KB_SIDE_MAX], b[KB_SIDE_MAX];
	int rc = -1;
	size_t common = 0, both = 0, counts[KB_NWORDS] = {0};
	int64_t ida = 0;
	const char *fmt = o->format ? o->format : "text";

	if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "csv")) {
		snprintf(err, errlen, "--format %s: want text, json or csv", fmt);
		goto out;
	}
	if (!sc || kb_db_open(o->db, false, false, &db, err, errlen) ||
	    resolve_sides(db, o, a, b, &ida, err, errlen) ||
	    load_side(db, o, 0, a, &t, err, errlen) || load_side(db, o, 1, b, &t, err, errlen) ||
	    check_kinds(&t, o, err, errlen))
		goto out;
	kb_metric_rules_load(db, o->scenario, ida, sc);
	if (!(v = calloc(t.n ? t.n : 1, sizeof(*v))))
		goto out;
	common = judge_all(&t, sc, o->threshold > 0 ? o->threshold : 0.05, v, counts, &both);
	if (!both) {
		snprintf(err, errlen, "%s and %s share no points with comparable metrics",
			 o->baseline, o->candidate);
		goto out;
	}
	kb_compare_print(out, fmt, v, common, o, &t, counts);
	rc = counts[0] ? KB_EXIT_REGRESSED : 0; /* kb_compare_words[0]: regressed */
out:
	free_table(&t);
	free(v);
	free(sc);
	kb_db_close(db);
	return rc;
}
