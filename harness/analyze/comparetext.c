/*
 * compare's verdicts written out (see compareint.h): text for people,
 * sorted by verdict (regressions first) within 100 columns, coloured on a
 * terminal; JSON and CSV for machines, in the table's order.
 */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/compareint.h"
#include "analyze/output.h"
#include "analyze/stats.h"
#include "common/escape.h"
#include "common/quantity.h"

const char *const kb_compare_words[KB_NWORDS] = {"regressed", "improved", "unchanged", "noisy",
						 NOT_COMPARABLE};

/* Verdict w's place in the text: kb_compare_words' order. */
static int rank(const char *w)
{
	int r = 0;

	while (r < KB_NWORDS - 1 && strcmp(kb_compare_words[r], w))
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

/*
 * Ratio r as a change in at most 8 characters: "+5.3%" and "-100.0%" with a
 * decimal below 1000 %, "+1400%" without one up to 1000x, then the ratio
 * itself ("2500x"), so the interval column never overflows.
 */
static const char *change(double r, char buf[16])
{
	double pct = (r - 1) * 100;

	if (fabs(pct) < 0.05)
		pct = 0; /* a change that rounds to nothing has no sign: "+0.0%", never "-0.0%" */
	if (fabs(pct) < 999.95)
		snprintf(buf, 16, "%+.1f%%", pct);
	else if (r < 999.5)
		snprintf(buf, 16, "%+.0f%%", pct);
	else if (r < 9999999.5)
		snprintf(buf, 16, "%.0fx", r);
	else
		snprintf(buf, 16, "%.1ex", r);
	return buf;
}

#define TEXT_WIDTH 100

/* The text's columns: the verdict's, the metric's and the medians' widths,
 * fitted to the rows (a metric cut at 20), so the point has room. */
struct cols {
	int verdict, interval, metric, medians, runs;
};

/* "[lo, hi]" of v, or "" when it is not comparable. */
static const char *interval(const struct verdict *v, char *buf, size_t len)
{
	char lo[16], hi[16];

	if (v->why)
		buf[0] = 0;
	else
		snprintf(buf, len, "[%s, %s]", change(v->lo, lo), change(v->hi, hi));
	return buf;
}

/* The two sides' medians of v in one scale for reading ("4.92 -> 6.52
 * us"). */
static const char *medians(const struct verdict *v, char *buf, size_t len)
{
	return kb_quantity_pair(buf, len, kb_median(v->s->v[0], v->s->n[0]),
				kb_median(v->s->v[1], v->s->n[1]), v->s->unit);
}

/* Text from the database for a terminal, in buf: control characters (an
 * escape sequence could clear the screen or rewrite a row) as '?'. */
static char *term(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	for (; s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = 0;
	return buf;
}

/* s cut to width bytes, its last one '~' when cut (the metric column). */
static char *cut(char *s, int width)
{
	if ((int)strlen(s) > width && width > 0) {
		s[width - 1] = '~';
		s[width] = 0;
	}
	return s;
}

/* Verdict v's row; all[0..n) the rows' params, NULL when the point column
 * shows a point's params whole.  A point that would pass TEXT_WIDTH goes
 * on a line of its own below. */
static void text_row(FILE *out, const struct verdict *v, const char *const *all, size_t n,
		     const struct cols *w, bool tty)
{
	char r[16], lo[40], iv[64], pt[1100], med[80], runs[48], tp[1100], tm[KB_VAL_MAX];
	const char *point =
	    term(all ? kb_params_part(v->s->params, all, n, false, pt, sizeof(pt)) : v->s->params,
		 tp, sizeof(tp));
	int len;

	snprintf(iv, sizeof(iv), "%8s %-*s", v->why ? "" : change(v->ratio, r), w->interval,
		 interval(v, lo, sizeof(lo)));
	snprintf(runs, sizeof(runs), "%zu/%zu", v->s->n[0], v->s->n[1]);
	len = w->verdict + 1 + (int)strlen(iv) + 1 + w->metric + 1 + w->medians + 1 + w->runs;
	fprintf(out, "%s%-*s%s %s %-*.*s %-*s %*s", colour(v->word, tty), w->verdict, v->word,
		tty ? "\033[0m" : "", iv, w->metric, w->metric,
		cut(term(v->s->metric, tm, sizeof(tm)), w->metric), w->medians,
		medians(v, med, sizeof(med)), w->runs, runs);
	if (len + 2 + (int)strlen(point) + (v->pairs ? 9 : 0) > TEXT_WIDTH)
		fprintf(out, "\n%4s", "");
	fprintf(out, "  %s%s\n", point, v->pairs ? " [paired]" : "");
	if (v->why)
		fprintf(out, "%6s(%s)\n", "", v->why);
}

/* "every point: " and the words of s, wrapped at TEXT_WIDTH. */
static void every_point(FILE *out, const char *s)
{
	int col = fprintf(out, "every point:");

	for (const char *p = s; *p;) {
		int w = (int)strcspn(p, " ");

		if (w && col + 1 + w > TEXT_WIDTH)
			col = fprintf(out, "\n ");
		if (w)
			col += fprintf(out, " %.*s", w, p);
		p += w + (p[w] == ' ');
	}
	fputc('\n', out);
}

static void print_text(FILE *out, struct verdict *v, size_t n, const struct kb_compare_opts *o,
		       const struct table *t)
{
	bool tty = isatty(fileno(out)) && !getenv("NO_COLOR");
	const char **all = calloc(n ? n : 1, sizeof(*all));
	struct cols w = {(int)strlen("verdict"), (int)strlen("95% interval"), (int)strlen("metric"),
			 (int)strlen("medians"), (int)strlen("runs")};
	char pt[1100], med[80], iv[40], tp[1100];

	qsort(v, n, sizeof(*v), by_verdict);
	for (size_t i = 0; i < n; i++) {
		int mw = (int)strlen(v[i].s->metric), vw = (int)strlen(v[i].word);

		w.metric = mw > w.metric ? (mw < 20 ? mw : 20) : w.metric;
		w.verdict = vw > w.verdict ? vw : w.verdict;
		mw = (int)strlen(medians(&v[i], med, sizeof(med)));
		w.medians = mw > w.medians ? mw : w.medians;
		mw = (int)strlen(interval(&v[i], iv, sizeof(iv)));
		w.interval = mw > w.interval ? mw : w.interval;
		mw = snprintf(iv, sizeof(iv), "%zu/%zu", v[i].s->n[0], v[i].s->n[1]);
		w.runs = mw > w.runs ? mw : w.runs;
		if (all)
			all[i] = v[i].s->params;
	}
	fprintf(out, "compare %s %s -> %s (threshold %.1f%% unless a scenario says)\n",
		o->by ? o->by : "campaign", t->label[0], t->label[1], o->threshold * 100);
	fprintf(out, "hosts: %s -> %s%s\n", t->kinds[0], t->kinds[1],
		t->emulated[0] || t->emulated[1]
		    ? "\n  (timings emulated: the lab's QEMU TCG; exit counts and KVM statistics "
		      "are real)"
		    : "");
	if (all) /* the rows' point column shows what tells them apart ("-": nothing) */
		every_point(out,
			    term(kb_params_part("", all, n, true, pt, sizeof(pt)), tp, sizeof(tp)));
	fprintf(out, "%-*s %8s %-*s %-*s %-*s %*s  %s\n", w.verdict, "verdict", "change",
		w.interval, "95% interval", w.metric, "metric", w.medians, "medians", w.runs,
		"runs", "point");
	for (size_t i = 0; i < n; i++)
		text_row(out, &v[i], all, n, &w, tty);
	free(all);
}

/* One result's JSON object. */
static void json_result(FILE *out, const struct verdict *v, bool point_keyed)
{
	fprintf(out, "{\"point_key\": ");
	if (point_keyed)
		kb_esc_json(out, v->s->key);
	else
		fprintf(out, "null");
	fprintf(out, ", \"params\": ");
	kb_esc_json(out, v->s->params);
	fprintf(out, ", \"metric\": ");
	kb_esc_json(out, v->s->metric);
	fprintf(out, ", \"unit\": ");
	kb_esc_json(out, v->s->unit);
	fprintf(out, ", \"verdict\": \"%s\"", v->word);
	kb_out_jnum(out, "ratio", v->ratio);
	kb_out_jnum(out, "low", v->lo);
	kb_out_jnum(out, "high", v->hi);
	kb_out_jnum(out, "threshold", v->threshold);
	kb_out_jnum(out, "median_baseline", kb_median(v->s->v[0], v->s->n[0]));
	kb_out_jnum(out, "median_candidate", kb_median(v->s->v[1], v->s->n[1]));
	fprintf(out, ", \"n_baseline\": %zu, \"n_candidate\": %zu, \"pairs\": %zu", v->s->n[0],
		v->s->n[1], v->pairs);
	if (v->why) /* a constant of not_comparable() or judge(): nothing to escape */
		fprintf(out, ", \"reason\": \"%s\"", v->why);
	fputc('}', out);
}

static void print_json(FILE *out, struct verdict *v, size_t n, const struct kb_compare_opts *o,
		       const struct table *t)
{
	const char *head[] = {
	    "by", o->by ? o->by : "campaign", "baseline", t->label[0], "candidate", t->label[1]};
	int first = 1;

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
	for (size_t i = 0; i < n; i++) {
		if (!v[i].word)
			continue;
		fprintf(out, "%s\n  ", first ? "" : ",");
		json_result(out, &v[i], t->point_keyed);
		first = 0;
	}
	fprintf(out, "\n]}\n");
}

static void print_csv(FILE *out, struct verdict *v, size_t n, bool point_keyed)
{
	fprintf(out, "point_key,params,metric,unit,verdict,ratio,low,high,threshold,"
		     "median_baseline,median_candidate,n_baseline,n_candidate,pairs,reason\n");
	for (size_t i = 0; i < n; i++) {
		const char *f[] = {point_keyed ? v[i].s->key : "", v[i].s->params, v[i].s->metric,
				   v[i].s->unit};
		double x[6] = {v[i].ratio,
			       v[i].lo,
			       v[i].hi,
			       v[i].threshold,
			       kb_median(v[i].s->v[0], v[i].s->n[0]),
			       kb_median(v[i].s->v[1], v[i].s->n[1])};

		if (!v[i].word)
			continue;
		for (int k = 0; k < 4; k++) {
			kb_out_csv(out, f[k]);
			fputc(',', out);
		}
		fprintf(out, "%s,", v[i].word);
		for (int k = 0; k < 6; k++) {
			kb_out_num(out, x[k], false);
			fputc(',', out);
		}
		fprintf(out, "%zu,%zu,%zu,%s\n", v[i].s->n[0], v[i].s->n[1], v[i].pairs,
			v[i].why ? v[i].why : "");
	}
}

void kb_compare_print(FILE *out, const char *fmt, struct verdict *v, size_t n,
		      const struct kb_compare_opts *o, const struct table *t,
		      const size_t counts[KB_NWORDS])
{
	assert(KB_NWORDS == 5); /* the summary line names each */
	if (!strcmp(fmt, "json")) {
		print_json(out, v, n, o, t);
	} else if (!strcmp(fmt, "csv")) {
		print_csv(out, v, n, t->point_keyed);
	} else {
		print_text(out, v, n, o, t);
		fprintf(out,
			"summary: %zu regressed, %zu improved, %zu unchanged, %zu noisy, %zu not "
			"comparable\n",
			counts[0], counts[1], counts[2], counts[3], counts[4]);
	}
}
