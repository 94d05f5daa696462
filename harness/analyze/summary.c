/*
 * `kvmbench list` and `kvmbench summary` (see summary.h).
 */
#include "analyze/summary.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/select.h"
#include "common/escape.h"
#include "analyze/output.h"
#include "analyze/stats.h"

/* list's columns for JSON and CSV, in the order of its query. */
static const char *const list_cols[] = {"id",	     "scenario", "kind",    "tag",
					"shard",     "state",	 "started", "host",
					"host_kind", "paging",	 "runs",    "fail"};
enum { LIST_NCOLS = sizeof(list_cols) / sizeof(list_cols[0]) };

/* One campaign of list's query as a JSON object or a CSV row. */
static void list_machine(sqlite3_stmt *st, FILE *out, int fmt, bool first)
{
	if (fmt == KB_FMT_JSON)
		fprintf(out, "%s\n  {\"id\": %lld", first ? "" : ",",
			(long long)sqlite3_column_int64(st, 0));
	else
		fprintf(out, "%lld", (long long)sqlite3_column_int64(st, 0));
	for (int i = 1; i < LIST_NCOLS; i++) {
		const char *t = (const char *)sqlite3_column_text(st, i);

		if (fmt == KB_FMT_JSON && i >= 10)
			fprintf(out, ", \"%s\": %d", list_cols[i], sqlite3_column_int(st, i));
		else if (fmt == KB_FMT_JSON)
			kb_out_jstr(out, list_cols[i], t);
		else if (i >= 10)
			fprintf(out, ",%d", sqlite3_column_int(st, i));
		else {
			fputc(',', out);
			kb_out_csv(out, t);
		}
	}
	fputs(fmt == KB_FMT_JSON ? "}" : "\n", out);
}

/* One campaign of list's query as a text line. */
static void list_text(sqlite3_stmt *st, FILE *out)
{
	char host[128];

	snprintf(host, sizeof(host), "%s (%s/%s)", sqlite3_column_text(st, 7),
		 sqlite3_column_text(st, 8), sqlite3_column_text(st, 9));
	fprintf(out, "%4lld  %-12s %-8s %-11s %-20s %-24s %5d %5d  %s%s%s\n",
		(long long)sqlite3_column_int64(st, 0), sqlite3_column_text(st, 1),
		sqlite3_column_text(st, 2), sqlite3_column_text(st, 5), sqlite3_column_text(st, 6),
		host, sqlite3_column_int(st, 10), sqlite3_column_int(st, 11),
		sqlite3_column_text(st, 3),
		sqlite3_column_bytes(st, 3) && sqlite3_column_bytes(st, 4) ? " " : "",
		sqlite3_column_text(st, 4));
}

/* list's heading (text, CSV) or opening (JSON). */
static void list_head(FILE *out, int fmt)
{
	if (fmt == KB_FMT_JSON) {
		fputs("{\"campaigns\": [", out);
	} else if (fmt == KB_FMT_CSV) {
		for (int i = 0; i < LIST_NCOLS; i++)
			fprintf(out, "%s%s", list_cols[i], i + 1 < LIST_NCOLS ? "," : "\n");
	} else {
		fprintf(out, "%4s  %-12s %-8s %-11s %-20s %-24s %5s %5s  %s\n", "id", "scenario",
			"kind", "state", "started", "host", "runs", "fail", "tag/shard");
	}
}

int kb_list(const char *db_path, const char *format, FILE *out, char *err, size_t errlen)
{
	int fmt = kb_format_parse(format);
	sqlite3 *db;
	sqlite3_stmt *st;

	if (fmt < 0 || fmt == KB_FMT_TAP) {
		snprintf(err, errlen, "--format %s: want text, json or csv", format);
		return -1;
	}
	if (kb_db_open(db_path, false, false, &db, err, errlen))
		return -1;
	st = kb_db_prepare(
	    db,
	    "SELECT c.id, c.scenario, c.kind, IFNULL(c.tag, ''), IFNULL(c.shard, ''),"
	    " c.state, c.started, h.hostname, IFNULL(h.kind, h.kvm_module), h.paging,"
	    " (SELECT count(*) FROM runs r WHERE r.campaign_id = c.id AND r.warmup = 0),"
	    " (SELECT count(*) FROM runs r WHERE r.campaign_id = c.id AND r.warmup = 0"
	    "  AND r.status = 'fail')"
	    " FROM campaigns c JOIN hosts h ON h.id = c.host_id ORDER BY c.id",
	    err, errlen);
	if (!st) {
		kb_db_close(db);
		return -1;
	}
	list_head(out, fmt);
	for (bool first = true; sqlite3_step(st) == SQLITE_ROW; first = false)
		if (fmt == KB_FMT_TEXT)
			list_text(st, out);
		else
			list_machine(st, out, fmt, first);
	if (fmt == KB_FMT_JSON)
		fputs("\n]}\n", out);
	sqlite3_finalize(st);
	kb_db_close(db);
	return 0;
}

/* Where summary writes and what it is in: the format, and for JSON and
 * CSV the campaign and point being written. */
struct sum_out {
	FILE *f;
	int fmt;
	int64_t id;
	const char *key, *params;
	unsigned items; /* written in the current JSON array: a comma before the next */
};

/* summary's CSV columns. */
#define SUMMARY_CSV_HEAD                                                                           \
	"campaign,point_key,params,runs,pass,fail,skip,metric,unit,median,ci_low,ci_high,min,max," \
	"cv,"                                                                                      \
	"n\n"

/* One metric or exit count of the current point as CSV or a JSON object;
 * s from sorted values v. */
static void group_machine(struct sum_out *o, const char *name, const char *unit,
			  const struct kb_summary_stats *s, const double *v)
{
	double x[6] = {s->median, 0, 0, s->min, s->max, s->cv};

	kb_median_interval(v, s->n, &x[1], &x[2]);
	if (o->fmt == KB_FMT_JSON) {
		fprintf(o->f, "%s\n    {\"metric\": ", o->items++ ? "," : "");
		kb_esc_json(o->f, name);
		kb_out_jstr(o->f, "unit", unit);
		for (int k = 0; k < 6; k++)
			kb_out_jnum(
			    o->f,
			    (const char *[]){"median", "ci_low", "ci_high", "min", "max", "cv"}[k],
			    x[k]);
		fprintf(o->f, ", \"n\": %zu}", s->n);
		return;
	}
	fprintf(o->f, "%lld,", (long long)o->id);
	kb_out_csv(o->f, o->key);
	fputc(',', o->f);
	kb_out_csv(o->f, o->params);
	fprintf(o->f, ",,,,,");
	kb_out_csv(o->f, name);
	fputc(',', o->f);
	kb_out_csv(o->f, unit);
	for (int k = 0; k < 6; k++) {
		fputc(',', o->f);
		kb_out_num(o->f, x[k], false);
	}
	fprintf(o->f, ",%zu\n", s->n);
}

/* One summary line: name's values v[0..n) (sorted here). */
static void print_group(struct sum_out *o, const char *indent, const char *name, double *v,
			size_t n, const char *unit)
{
	struct kb_summary_stats s;

	kb_stats_summarise(v, n, &s);
	if (o->fmt != KB_FMT_TEXT) {
		group_machine(o, name, unit, &s, v);
		return;
	}
	fprintf(o->f, "%s%-26s %14.6g %14.6g %14.6g %7.2f%%  %s\n", indent, name, s.median, s.min,
		s.max, s.cv * 100, unit);
}

/* The rows of a (name, value, unit) query ordered by name: a summary line
 * per name.  Resets st for its next binding. */
static void print_groups(sqlite3_stmt *st, struct sum_out *o, const char *indent)
{
	double *v = NULL;
	size_t n = 0, cap = 0;
	char name[128] = "", unit[32] = "";

	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *nm = (const char *)sqlite3_column_text(st, 0);
		const char *un = (const char *)sqlite3_column_text(st, 2);

		if (n && strcmp(nm, name)) {
			print_group(o, indent, name, v, n, unit);
			n = 0;
		}
		snprintf(name, sizeof(name), "%s", nm);
		snprintf(unit, sizeof(unit), "%s", un ? un : "");
		if (kb_values_add(&v, &n, &cap, sqlite3_column_double(st, 1)))
			break;
	}
	if (n)
		print_group(o, indent, name, v, n, unit);
	free(v);
	sqlite3_reset(st);
}

/* The heading's fields as a JSON object's first members (t: the head
 * query's columns). */
static void head_json(struct sum_out *o, int64_t id, const unsigned char *const *t, int emulated)
{
	static const char *const keys[] = {"scenario", "kind", "state",	     "started",
					   "host",     "cpu",  "kvm_module", "paging",
					   "build",    "git",  "host_kind"};
	const int order[] = {0, 1, 2, 3, 4, 10, 5, 6, 7, 8, 9};

	fprintf(o->f, "%s\n {\"id\": %lld", o->items++ ? "," : "", (long long)id);
	for (int i = 0; i < 11; i++)
		kb_out_jstr(o->f, keys[order[i]], (const char *)t[order[i]]);
	fprintf(o->f, ", \"timings_emulated\": %s, \"points\": [", emulated ? "true" : "false");
}

/* The campaign's heading: scenario, state, host, build.  0 or -1 with err. */
static int print_head(sqlite3 *db, const char *db_path, int64_t id, struct sum_out *o, char *err,
		      size_t errlen)
{
	sqlite3_stmt *st =
	    kb_db_prepare(db,
			  "SELECT c.scenario, c.kind, c.state, c.started, h.hostname,"
			  " h.cpu_model, h.kvm_module, h.paging, b.version, b.git,"
			  " IFNULL(h.kind, '?'), h.timings_emulated"
			  " FROM campaigns c JOIN hosts h ON h.id = c.host_id"
			  " LEFT JOIN builds b ON b.id = c.build_id WHERE c.id = ?",
			  err, errlen);
	const unsigned char *t[11];

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: no campaign %lld (see kvmbench list --db %s)", db_path,
			 (long long)id, db_path);
		sqlite3_finalize(st);
		return -1;
	}
	assert(sqlite3_column_count(st) == 12);
	for (int i = 0; i < 11; i++)
		t[i] = sqlite3_column_text(st, i);
	if (o->fmt == KB_FMT_JSON)
		head_json(o, id, t, sqlite3_column_int(st, 11));
	else if (o->fmt == KB_FMT_TEXT)
		fprintf(o->f,
			"campaign %lld: %s (%s, %s), started %s\n  host %s (%s), %s, %s, paging "
			"%s; build %s %s\n%s",
			(long long)id, t[0], t[1], t[2], t[3], t[4], t[10], t[5], t[6], t[7], t[8],
			t[9],
			sqlite3_column_int(st, 11)
			    ? "  timings emulated (the lab: QEMU TCG); exit counts and KVM "
			      "statistics are real\n"
			    : "");
	sqlite3_finalize(st);
	return 0;
}

/* A point's opening: text lines, a JSON object's first members, or for
 * CSV a row of its run counts with no metric. */
static void point_head(sqlite3_stmt *pts, struct sum_out *o)
{
	int c[4];

	for (int k = 0; k < 4; k++)
		c[k] = sqlite3_column_int(pts, 2 + k);
	if (o->fmt == KB_FMT_TEXT) {
		fprintf(o->f, "\npoint %s  %s\n  runs %d: pass %d, fail %d, skip %d\n", o->key,
			o->params, c[0], c[1], c[2], c[3]);
		if (c[2] || c[3])
			fprintf(o->f, "  e.g. %s\n", sqlite3_column_text(pts, 6));
		fprintf(o->f, "  %-26s %14s %14s %14s %8s  %s\n", "metric", "median", "min", "max",
			"CV", "unit");
		return;
	}
	if (o->fmt == KB_FMT_JSON) {
		fprintf(o->f, "%s\n  {\"point_key\": ", o->items ? "," : "");
		kb_esc_json(o->f, o->key);
		kb_out_jstr(o->f, "params", o->params);
		fprintf(o->f, ", \"runs\": %d, \"pass\": %d, \"fail\": %d, \"skip\": %d", c[0],
			c[1], c[2], c[3]);
		kb_out_jstr(o->f, "reason",
			    c[2] || c[3] ? (const char *)sqlite3_column_text(pts, 6) : NULL);
		fprintf(o->f, ", \"metrics\": [");
		return;
	}
	fprintf(o->f, "%lld,", (long long)o->id);
	kb_out_csv(o->f, o->key);
	fputc(',', o->f);
	kb_out_csv(o->f, o->params);
	fprintf(o->f, ",%d,%d,%d,%d,,,,,,,,,\n", c[0], c[1], c[2], c[3]);
}

/* Per point: its runs, then its metrics and exit counts. */
static void print_point(sqlite3_stmt *pts, sqlite3_stmt *met, sqlite3_stmt *ex, struct sum_out *o)
{
	unsigned points = o->items;

	o->key = (const char *)sqlite3_column_text(pts, 0);
	o->params = (const char *)sqlite3_column_text(pts, 1);
	point_head(pts, o);
	o->items = 0;
	for (sqlite3_stmt *st = met; st; st = st == met ? ex : NULL) {
		sqlite3_bind_int64(st, 1, o->id);
		sqlite3_bind_text(st, 2, o->key, -1, SQLITE_TRANSIENT);
		print_groups(st, o, "  ");
	}
	if (o->fmt == KB_FMT_JSON)
		fprintf(o->f, "\n  ]}");
	o->items = points + 1;
}

/* The campaign's points, in plan order.  0 or -1 with err. */
static int print_points(sqlite3 *db, int64_t id, struct sum_out *o, char *err, size_t errlen)
{
	sqlite3_stmt *pts, *met, *ex;
	unsigned campaigns = o->items;
	int rc = -1;

	pts = kb_db_prepare(db,
			    "SELECT point_key, params, count(*), sum(status = 'pass'),"
			    " sum(status = 'fail'), sum(status = 'skip'), max(reason)"
			    " FROM runs WHERE campaign_id = ? AND warmup = 0"
			    " GROUP BY point_key ORDER BY min(seq)",
			    err, errlen);
	met = kb_db_prepare(db,
			    "SELECT m.name, m.value, m.unit FROM metrics m JOIN runs r"
			    " ON r.id = m.run_id WHERE r.campaign_id = ? AND r.point_key = ?"
			    " AND r.warmup = 0 AND r.status = 'pass' AND m.value IS NOT NULL"
			    " ORDER BY m.name",
			    err, errlen);
	ex = kb_db_prepare(db,
			   "SELECT 'exits.' || e.name, e.count, 'exits' FROM exits e"
			   " JOIN runs r ON r.id = e.run_id WHERE r.campaign_id = ?"
			   " AND r.point_key = ? AND r.warmup = 0 AND e.kind IN ('total', 'reason')"
			   " ORDER BY e.name",
			   err, errlen);
	o->id = id;
	o->items = 0;
	if (pts && met && ex) {
		sqlite3_bind_int64(pts, 1, id);
		while (sqlite3_step(pts) == SQLITE_ROW)
			print_point(pts, met, ex, o);
		rc = 0;
	}
	if (o->fmt == KB_FMT_JSON)
		fprintf(o->f, "\n ]}");
	o->items = campaigns;
	sqlite3_finalize(pts);
	sqlite3_finalize(met);
	sqlite3_finalize(ex);
	return rc;
}

/* Campaign id's heading and points.  0 or -1 with err. */
static int print_campaign(sqlite3 *db, const char *db_path, int64_t id, struct sum_out *o,
			  char *err, size_t errlen)
{
	return print_head(db, db_path, id, o, err, errlen) || print_points(db, id, o, err, errlen)
		   ? -1
		   : 0;
}

int kb_summary(const char *db_path, const char *campaign, const char *format, FILE *out, char *err,
	       size_t errlen)
{
	struct sum_out o = {.f = out, .fmt = kb_format_parse(format)};
	sqlite3 *db;
	int64_t id, group[8];
	int rc;

	if (o.fmt < 0 || o.fmt == KB_FMT_TAP) {
		snprintf(err, errlen, "--format %s: want text, json or csv", format);
		return -1;
	}
	if (kb_db_open_campaign(db_path, campaign, &db, &id, err, errlen))
		return -1;
	fputs(o.fmt == KB_FMT_JSON  ? "{\"campaigns\": ["
	      : o.fmt == KB_FMT_CSV ? SUMMARY_CSV_HEAD
				    : "",
	      out);
	rc = print_campaign(db, db_path, id, &o, err, errlen);
	/* the other campaigns of the same run (its other lab), after it */
	for (unsigned k = 0, n = rc ? 0 : kb_campaign_group(db, id, group, 8); k < n && !rc; k++) {
		if (group[k] == id)
			continue;
		if (o.fmt == KB_FMT_TEXT)
			fprintf(out, "\n");
		rc = print_campaign(db, db_path, group[k], &o, err, errlen);
	}
	if (o.fmt == KB_FMT_JSON)
		fputs("\n]}\n", out);
	kb_db_close(db);
	return rc ? -1 : 0;
}
