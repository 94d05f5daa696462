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
#include "analyze/stats.h"

int kb_list(const char *db_path, FILE *out, char *err, size_t errlen)
{
	sqlite3 *db;
	sqlite3_stmt *st;

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
	fprintf(out, "%4s  %-12s %-8s %-11s %-20s %-24s %5s %5s  %s\n", "id", "scenario", "kind",
		"state", "started", "host", "runs", "fail", "tag/shard");
	while (sqlite3_step(st) == SQLITE_ROW) {
		char host[128];

		snprintf(host, sizeof(host), "%s (%s/%s)", sqlite3_column_text(st, 7),
			 sqlite3_column_text(st, 8), sqlite3_column_text(st, 9));
		fprintf(out, "%4lld  %-12s %-8s %-11s %-20s %-24s %5d %5d  %s%s%s\n",
			(long long)sqlite3_column_int64(st, 0), sqlite3_column_text(st, 1),
			sqlite3_column_text(st, 2), sqlite3_column_text(st, 5),
			sqlite3_column_text(st, 6), host, sqlite3_column_int(st, 10),
			sqlite3_column_int(st, 11), sqlite3_column_text(st, 3),
			sqlite3_column_bytes(st, 3) && sqlite3_column_bytes(st, 4) ? " " : "",
			sqlite3_column_text(st, 4));
	}
	sqlite3_finalize(st);
	kb_db_close(db);
	return 0;
}

/* One summary line: name's values v[0..n) (sorted here). */
static void print_group(FILE *out, const char *indent, const char *name, double *v, size_t n,
			const char *unit)
{
	struct kb_summary_stats s;

	kb_stats_summarise(v, n, &s);
	fprintf(out, "%s%-26s %14.6g %14.6g %14.6g %7.2f%%  %s\n", indent, name, s.median, s.min,
		s.max, s.cv * 100, unit);
}

/* The rows of a (name, value, unit) query ordered by name: a summary line
 * per name.  Resets st for its next binding. */
static void print_groups(sqlite3_stmt *st, FILE *out, const char *indent)
{
	double *v = NULL;
	size_t n = 0, cap = 0;
	char name[128] = "", unit[32] = "";

	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *nm = (const char *)sqlite3_column_text(st, 0);
		const char *un = (const char *)sqlite3_column_text(st, 2);

		if (n && strcmp(nm, name)) {
			print_group(out, indent, name, v, n, unit);
			n = 0;
		}
		snprintf(name, sizeof(name), "%s", nm);
		snprintf(unit, sizeof(unit), "%s", un ? un : "");
		if (kb_values_add(&v, &n, &cap, sqlite3_column_double(st, 1)))
			break;
	}
	if (n)
		print_group(out, indent, name, v, n, unit);
	free(v);
	sqlite3_reset(st);
}

/* The campaign's heading: scenario, state, host, build.  0 or -1 with err. */
static int print_head(sqlite3 *db, const char *db_path, int64_t id, FILE *out, char *err,
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
	fprintf(out,
		"campaign %lld: %s (%s, %s), started %s\n  host %s (%s), %s, %s, paging %s; "
		"build %s %s\n%s",
		(long long)id, t[0], t[1], t[2], t[3], t[4], t[10], t[5], t[6], t[7], t[8], t[9],
		sqlite3_column_int(st, 11)
		    ? "  timings emulated (the lab: QEMU TCG); exit counts and KVM statistics are "
		      "real\n"
		    : "");
	sqlite3_finalize(st);
	return 0;
}

/* Per point: its runs, then its metrics and exit counts. */
static void print_point(sqlite3_stmt *pts, sqlite3_stmt *met, sqlite3_stmt *ex, int64_t id,
			FILE *out)
{
	const char *key = (const char *)sqlite3_column_text(pts, 0);

	fprintf(out, "\npoint %s  %s\n  runs %d: pass %d, fail %d, skip %d\n", key,
		sqlite3_column_text(pts, 1), sqlite3_column_int(pts, 2), sqlite3_column_int(pts, 3),
		sqlite3_column_int(pts, 4), sqlite3_column_int(pts, 5));
	if (sqlite3_column_int(pts, 4) || sqlite3_column_int(pts, 5))
		fprintf(out, "  e.g. %s\n", sqlite3_column_text(pts, 6));
	fprintf(out, "  %-26s %14s %14s %14s %8s  %s\n", "metric", "median", "min", "max", "CV",
		"unit");
	for (sqlite3_stmt *st = met; st; st = st == met ? ex : NULL) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
		print_groups(st, out, "  ");
	}
}

/* The campaign's points, in plan order.  0 or -1 with err. */
static int print_points(sqlite3 *db, int64_t id, FILE *out, char *err, size_t errlen)
{
	sqlite3_stmt *pts, *met, *ex;
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
	if (pts && met && ex) {
		sqlite3_bind_int64(pts, 1, id);
		while (sqlite3_step(pts) == SQLITE_ROW)
			print_point(pts, met, ex, id, out);
		rc = 0;
	}
	sqlite3_finalize(pts);
	sqlite3_finalize(met);
	sqlite3_finalize(ex);
	return rc;
}

int kb_summary(const char *db_path, const char *campaign, FILE *out, char *err, size_t errlen)
{
	sqlite3 *db;
	int64_t id, group[8];
	int rc;

	if (kb_db_open_campaign(db_path, campaign, &db, &id, err, errlen))
		return -1;
	rc =
	    print_head(db, db_path, id, out, err, errlen) || print_points(db, id, out, err, errlen);
	/* the other campaigns of the same run (its other lab), after it */
	for (unsigned k = 0, n = rc ? 0 : kb_campaign_group(db, id, group, 8); k < n && !rc; k++) {
		if (group[k] == id)
			continue;
		fprintf(out, "\n");
		rc = print_head(db, db_path, group[k], out, err, errlen) ||
		     print_points(db, group[k], out, err, errlen);
	}
	kb_db_close(db);
	return rc ? -1 : 0;
}
