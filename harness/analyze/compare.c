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

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/select.h"
#include "store/sqlexpr.h"
#include "common/escape.h"
#include "plan/scenario.h"
#include "analyze/output.h"
#include "analyze/stats.h"

struct series {
	char key[1100];	   /* match key */
	char params[1100]; /* for display */
	char metric[KB_VAL_MAX];
	char unit[32];
	double *v[2];
	int64_t *pair[2]; /* campaign and repeat of each value: runs made back to back */
	size_t n[2], cap[2];
};

struct table {
	struct series *s;
	size_t n, cap;
	char kinds[2][64]; /* each side's host kinds (vmx, svm, pvm, lab), comma-joined */
	int emulated[2];   /* a side has runs with emulated timings (the lab) */
};

static struct series *find_or_add(struct table *t, const char *key, const char *params,
				  const char *metric, const char *unit)
{
	/* rows arrive sorted by (key, metric): the last series is the match */
	if (t->n && !strcmp(t->s[t->n - 1].key, key) && !strcmp(t->s[t->n - 1].metric, metric))
		return &t->s[t->n - 1];
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->s[i].key, key) && !strcmp(t->s[i].metric, metric))
			return &t->s[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct series *p = realloc(t->s, cap * sizeof(*p));

		if (!p)
			return NULL;
		t->s = p;
		t->cap = cap;
	}
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

/* The side filter and the match key for each way of comparing. */
static int side_sql(const struct kb_compare_opts *o, char *where, size_t wlen, const char **key)
{
	const char *by = o->by ? o->by : "campaign";

	if (!strcmp(by, "campaign")) {
		*key = "r.point_key";
		snprintf(where, wlen, "c.id = ?1");
	} else if (!strcmp(by, "paging")) {
		*key = "replace(r.params, ' paging=' || r.paging, '')";
		/* host and tdp runs ran in the host's mode; tdp selects ept and npt */
		snprintf(where, wlen,
			 "(" KB_SQL_PAGING
			 " = ?1 OR (?1 = 'tdp' AND h.paging IN ('ept', 'npt') AND r.paging IN "
			 "('host', 'tdp', 'ept', 'npt')))");
	} else if (!strcmp(by, "host")) {
		*key = "r.point_key";
		snprintf(where, wlen,
			 "(h.hostname = ?1 OR CAST(h.id AS TEXT) = ?1 OR "
			 "h.uuid LIKE ?1 || '%%')");
	} else if (!strcmp(by, "build")) {
		*key = "r.point_key";
		snprintf(where, wlen, "(b.git = ?1 OR b.uuid = ?1 OR b.version = ?1)");
	} else if (!strcmp(by, "vmm_args")) { /* two values of the vmm_args axis */
		*key = "replace(r.params, ' vmm_args=' || r.vmm_args, '')";
		snprintf(where, wlen, "r.vmm_args = ?1");
	} else if (!strcmp(by, "ioeventfd")) { /* on (left out of params) and off */
		*key = "replace(r.params, ' ioeventfd=off', '')";
		snprintf(where, wlen,
			 "(CASE WHEN instr(r.params, ' ioeventfd=off') THEN 'off' ELSE 'on' END) "
			 "= ?1");
	} else if (!strcmp(by, "tag")) { /* every campaign with the tag */
		*key = "r.point_key";
		snprintf(where, wlen, "c.tag = ?1");
	} else {
		return -1;
	}
	return 0;
}

static int load_side(sqlite3 *db, const struct kb_compare_opts *o, int side, const char *sel,
		     struct table *t, char *err, size_t errlen)
{
	char where[512], sql[2048], camps[1024] = "";
	const char *key;
	sqlite3_stmt *st;
	size_t rows = 0;

	if (side_sql(o, where, sizeof(where), &key)) {
		snprintf(err, errlen,
			 "--by %s: want campaign, paging, host, build, tag, vmm_args or ioeventfd",
			 o->by);
		return -1;
	}
	for (unsigned i = 0; i < o->ncampaigns; i++)
		snprintf(camps + strlen(camps), sizeof(camps) - strlen(camps), "%s%lld",
			 i ? "," : " AND c.id IN (", (long long)o->campaigns[i]);
	if (o->ncampaigns)
		strcat(camps, ")");
	snprintf(sql, sizeof(sql),
		 "SELECT %s, r.params, m.name, m.unit, m.value, r.campaign_id * 1000000 + r.repeat"
		 " FROM runs r"
		 " JOIN campaigns c ON c.id = r.campaign_id JOIN hosts h ON h.id = c.host_id"
		 " LEFT JOIN builds b ON b.id = c.build_id JOIN metrics m ON m.run_id = r.id"
		 " WHERE r.warmup = 0 AND r.status = 'pass' AND m.value IS NOT NULL AND %s%s"
		 " ORDER BY 1, 3",
		 key, where, camps);
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
	if (!rows) {
		snprintf(err, errlen, "%s: no measured runs for %s '%s'", o->db,
			 o->by ? o->by : "campaign", sel);
		return -1;
	}
	/* the kinds of host the side's runs come from */
	snprintf(sql, sizeof(sql),
		 "SELECT group_concat(DISTINCT IFNULL(h.kind, h.kvm_module)),"
		 " max(h.timings_emulated) FROM runs r"
		 " JOIN campaigns c ON c.id = r.campaign_id JOIN hosts h ON h.id = c.host_id"
		 " LEFT JOIN builds b ON b.id = c.build_id"
		 " WHERE r.warmup = 0 AND r.status = 'pass' AND %s%s",
		 where, camps);
	if (!(st = kb_db_prepare(db, sql, err, errlen)))
		return -1;
	sqlite3_bind_text(st, 1, sel, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		snprintf(t->kinds[side], sizeof(t->kinds[side]), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		t->emulated[side] = sqlite3_column_int(st, 1);
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

/* The scenario file's [metric.*] sections, if it can be read. */
static void load_defs(sqlite3 *db, const struct kb_compare_opts *o, int64_t campaign,
		      struct kb_scenario *sc)
{
	char path[1024] = "", err[512];
	sqlite3_stmt *st;

	memset(sc, 0, sizeof(*sc));
	if (o->scenario) {
		snprintf(path, sizeof(path), "%s", o->scenario);
	} else if (campaign > 0 &&
		   (st = kb_db_prepare(db, "SELECT scenario_file FROM campaigns WHERE id = ?", err,
				       sizeof(err)))) {
		sqlite3_bind_int64(st, 1, campaign);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(path, sizeof(path), "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (path[0] && kb_scenario_load(path, NULL, sc, err, sizeof(err)) == 0)
		kb_scenario_free(sc);
	else if (o->scenario)
		fprintf(stderr, "kvmbench: --scenario: %s (using default metric rules)\n", err);
}

struct verdict {
	const struct series *s;
	double ratio, lo, hi, threshold;
	const char *word;
	const char *why; /* not comparable: the reason */
	size_t pairs;	 /* > 0: judged on the ratios of runs made back to back */
};

#define NOT_COMPARABLE "not comparable"

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
 * with --by paging, vmm_args or ioeventfd) have runs made back to back: repeat r of
 * each.  Their ratios cancel the host's slow drift, so when most runs pair
 * up the verdict uses the median of those ratios.  Returns the count.
 */
static size_t paired_ratios(const struct series *s, double *out)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n[0]; i++) /* at most one ratio per i: out has s->n[0] */
		for (size_t j = 0; j < s->n[1]; j++)
			if (s->pair[0][i] == s->pair[1][j] && s->v[0][i] != 0) {
				out[n++] = s->v[1][j] / s->v[0][i];
				break;
			}
	return n;
}

static void judge(const struct series *s, const struct kb_scenario *sc, double dflt,
		  struct verdict *v)
{
	int dir = kb_metric_default_direction(s->unit);
	uint64_t seed = 1469598103934665603ull;

	assert(s->n[0] && s->n[1]); /* judge_all() judges only what both sides have */
	v->s = s;
	v->threshold = dflt;
	for (unsigned i = 0; i < sc->nmetric_defs; i++) {
		if (strcmp(sc->metric_defs[i].name, s->metric))
			continue;
		if (sc->metric_defs[i].direction != 2)
			dir = sc->metric_defs[i].direction;
		if (sc->metric_defs[i].threshold >= 0)
			v->threshold = sc->metric_defs[i].threshold;
	}
	if (dir == 0) {
		v->word = NULL; /* not compared */
		return;
	}
	v->ratio = v->lo = v->hi = NAN;
	if ((v->why = not_comparable(s))) {
		v->word = NOT_COMPARABLE;
		return;
	}
	for (const char *c = s->key; *c; c++)
		seed = (seed ^ (unsigned char)*c) * 1099511628211ull;
	for (const char *c = s->metric; *c; c++)
		seed = (seed ^ (unsigned char)*c) * 1099511628211ull;
	double *r = malloc((s->n[0] ? s->n[0] : 1) * sizeof(*r));
	size_t np = r ? paired_ratios(s, r) : 0;
	size_t fewer = s->n[0] < s->n[1] ? s->n[0] : s->n[1];

	if (np >= 3 && np * 5 >= fewer * 4) {
		v->pairs = np;
		v->ratio = kb_bootstrap_median(r, np, 2000, seed, &v->lo, &v->hi);
	} else {
		v->ratio = kb_bootstrap_ratio(s->v[0], s->n[0], s->v[1], s->n[1], 2000, seed,
					      &v->lo, &v->hi);
	}
	free(r);
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

/* Verdict w's place in the text: words[]' order (regressions first). */
static int rank(const char *w)
{
	static const char *const order[] = {"regressed", "improved", "unchanged", "noisy"};
	int r = 0;

	while (r < 4 && strcmp(order[r], w))
		r++;
	return r;
}

/* qsort: by verdict, then in the table's (plan) order. */
static int by_verdict(const void *pa, const void *pb)
{
	const struct verdict *a = pa, *b = pb;
	int d = rank(a->word) - rank(b->word);

	return d ? d : (a->s > b->s) - (a->s < b->s);
}

/* A colour for verdict w on a terminal (no NO_COLOR), else "". */
static const char *colour(const char *w, bool tty)
{
	static const char *const c[] = {"\033[1;31m", "\033[32m", "", "\033[33m", "\033[35m"};

	return tty ? c[rank(w)] : "";
}

static void print_text(FILE *out, struct verdict *v, size_t n, const struct kb_compare_opts *o,
		       const char *a, const char *b, const struct table *t)
{
	bool tty = isatty(fileno(out)) && !getenv("NO_COLOR");
	const char **all = calloc(n ? n : 1, sizeof(*all));
	char iv[40], pt[1100];

	qsort(v, n, sizeof(*v), by_verdict);
	for (size_t i = 0; all && i < n; i++)
		all[i] = v[i].s->params;
	fprintf(out, "compare %s %s -> %s (threshold %.1f%% unless a scenario says)\n",
		o->by ? o->by : "campaign", a, b, o->threshold * 100);
	fprintf(out, "hosts: %s -> %s%s\n", t->kinds[0], t->kinds[1],
		t->emulated[0] || t->emulated[1]
		    ? "\n  (timings emulated: the lab's QEMU TCG; exit counts and KVM statistics "
		      "are real)"
		    : "");
	if (all && n > 1) /* the rows' point column shows what tells them apart */
		fprintf(out, "every point: %s\n", kb_params_part("", all, n, true, pt, sizeof(pt)));
	fprintf(out, "%-14s %7s  %-17s %-20s %4s %4s  %s\n", "verdict", "change", "95% interval",
		"metric", "n_a", "n_b", "point");
	for (size_t i = 0; i < n; i++) {
		if (v[i].why)
			snprintf(iv, sizeof(iv), "%7s  %-17s", "", "");
		else
			snprintf(iv, sizeof(iv), "%+6.1f%%  [%+.1f%%, %+.1f%%]",
				 (v[i].ratio - 1) * 100, (v[i].lo - 1) * 100, (v[i].hi - 1) * 100);
		fprintf(out, "%s%-14s%s %-26s %-20.20s %4zu %4zu  %s%s\n", colour(v[i].word, tty),
			v[i].word, tty ? "\033[0m" : "", iv, v[i].s->metric, v[i].s->n[0],
			v[i].s->n[1],
			all && n > 1 ? kb_params_part(v[i].s->params, all, n, false, pt, sizeof(pt))
				     : v[i].s->params,
			v[i].pairs ? " [paired]" : "");
		if (v[i].why)
			fprintf(out, "%15s(%s)\n", "", v[i].why);
	}
	free(all);
}

static void print_json(FILE *out, struct verdict *v, size_t n, const struct kb_compare_opts *o,
		       const char *a, const char *b, const struct table *t)
{
	const char *head[] = {"by", o->by ? o->by : "campaign", "baseline", a, "candidate", b};

	fputc('{', out);
	for (int k = 0; k < 6; k += 2) {
		fprintf(out, "\"%s\": ", head[k]);
		kb_esc_json(out, head[k + 1]);
		fprintf(out, ", ");
	}
	fprintf(out, "\"host_kinds\": [");
	kb_esc_json(out, t->kinds[0]);
	fprintf(out, ", ");
	kb_esc_json(out, t->kinds[1]);
	fprintf(out, "], \"timings_emulated\": %s, \"results\": [",
		t->emulated[0] || t->emulated[1] ? "true" : "false");
	int first = 1;

	for (size_t i = 0; i < n; i++) {
		if (!v[i].word)
			continue;
		fprintf(out, "%s\n  {\"point\": ", first ? "" : ",");
		kb_esc_json(out, v[i].s->params);
		fprintf(out, ", \"metric\": ");
		kb_esc_json(out, v[i].s->metric);
		fprintf(out, ", \"unit\": ");
		kb_esc_json(out, v[i].s->unit);
		fprintf(out, ", \"verdict\": \"%s\"", v[i].word);
		kb_out_jnum(out, "ratio", v[i].ratio);
		kb_out_jnum(out, "low", v[i].lo);
		kb_out_jnum(out, "high", v[i].hi);
		kb_out_jnum(out, "threshold", v[i].threshold);
		kb_out_jnum(out, "median_baseline", kb_median(v[i].s->v[0], v[i].s->n[0]));
		kb_out_jnum(out, "median_candidate", kb_median(v[i].s->v[1], v[i].s->n[1]));
		fprintf(out, ", \"n_baseline\": %zu, \"n_candidate\": %zu, \"pairs\": %zu",
			v[i].s->n[0], v[i].s->n[1], v[i].pairs);
		if (v[i].why) /* a constant of not_comparable() or judge(): nothing to escape */
			fprintf(out, ", \"reason\": \"%s\"", v[i].why);
		fputc('}', out);
		first = 0;
	}
	fprintf(out, "\n]}\n");
}

static void print_csv(FILE *out, struct verdict *v, size_t n)
{
	fprintf(out, "point,metric,unit,verdict,ratio,low,high,threshold,n_baseline,n_candidate,"
		     "reason\n");
	for (size_t i = 0; i < n; i++) {
		const char *f[] = {v[i].s->params, v[i].s->metric, v[i].s->unit};
		double x[4] = {v[i].ratio, v[i].lo, v[i].hi, v[i].threshold};

		if (!v[i].word)
			continue;
		for (int k = 0; k < 3; k++) {
			kb_out_csv(out, f[k]);
			fputc(',', out);
		}
		fprintf(out, "%s,", v[i].word);
		for (int k = 0; k < 4; k++) {
			kb_out_num(out, x[k], false);
			fputc(',', out);
		}
		fprintf(out, "%zu,%zu,%s\n", v[i].s->n[0], v[i].s->n[1], v[i].why ? v[i].why : "");
	}
}

/* The verdicts, as counted in the text summary. */
static const char *const words[] = {"regressed", "improved", "unchanged", "noisy", NOT_COMPARABLE};
enum { NWORDS = sizeof(words) / sizeof(words[0]) };

/* Judge every series both sides have, into v[]; counts[w] per words[w].
 * Returns the number judged (metrics with no direction are not). */
static size_t judge_all(const struct table *t, const struct kb_scenario *sc, double threshold,
			struct verdict *v, size_t counts[NWORDS])
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		unsigned w = 0;

		if (!t->s[i].n[0] || !t->s[i].n[1])
			continue;
		judge(&t->s[i], sc, threshold, &v[n]);
		if (!v[n].word)
			continue;
		while (w < NWORDS && strcmp(words[w], v[n].word))
			w++;
		assert(w < NWORDS);
		counts[w]++;
		n++;
	}
	return n;
}

static void print_results(FILE *out, const char *fmt, struct verdict *v, size_t n,
			  const struct kb_compare_opts *o, const char *a, const char *b,
			  const struct table *t, const size_t counts[NWORDS])
{
	if (!strcmp(fmt, "json")) {
		print_json(out, v, n, o, a, b, t);
	} else if (!strcmp(fmt, "csv")) {
		print_csv(out, v, n);
	} else {
		print_text(out, v, n, o, a, b, t);
		fprintf(out,
			"summary: %zu regressed, %zu improved, %zu unchanged, %zu noisy, %zu not "
			"comparable\n",
			counts[0], counts[1], counts[2], counts[3], counts[4]);
	}
}

/* With --by campaign (the default) the sides are campaign selectors: their
 * ids into a and b (*ida the baseline's), else a and b as given.  0 or -1. */
static int resolve_sides(sqlite3 *db, const struct kb_compare_opts *o, char a[64], char b[64],
			 int64_t *ida, char *err, size_t errlen)
{
	int64_t idb;

	snprintf(a, 64, "%s", o->baseline);
	snprintf(b, 64, "%s", o->candidate);
	if (o->by && strcmp(o->by, "campaign"))
		return 0;
	if ((*ida = kb_campaign_resolve(db, o->baseline, err, errlen)) < 0 ||
	    (idb = kb_campaign_resolve(db, o->candidate, err, errlen)) < 0)
		return -1;
	snprintf(a, 64, "%lld", (long long)*ida);
	snprintf(b, 64, "%lld", (long long)idb);
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
}

int kb_compare(const struct kb_compare_opts *o, FILE *out, char *err, size_t errlen)
{
	struct table t = {0};
	struct kb_scenario *sc = calloc(1, sizeof(*sc));
	struct verdict *v = NULL;
	sqlite3 *db = NULL;
	char a[64], b[64];
	int rc = -1;
	size_t common = 0, counts[NWORDS] = {0};
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
	load_defs(db, o, ida, sc);
	if (!(v = calloc(t.n ? t.n : 1, sizeof(*v))))
		goto out;
	common = judge_all(&t, sc, o->threshold > 0 ? o->threshold : 0.05, v, counts);
	if (!common) {
		snprintf(err, errlen, "%s and %s share no points with comparable metrics",
			 o->baseline, o->candidate);
		goto out;
	}
	print_results(out, fmt, v, common, o, a, b, &t, counts);
	rc = counts[0] ? KB_EXIT_REGRESSED : 0; /* words[0]: regressed */
out:
	free_table(&t);
	free(v);
	free(sc);
	kb_db_close(db);
	return rc;
}
