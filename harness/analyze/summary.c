/*
 * list, summary and merge (see report.h).
 */
#include "analyze/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/compare.h"
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

/* Print the rows of a (point, name, value) query as summary lines. */
static void print_groups(sqlite3_stmt *st, FILE *out, const char *indent)
{
	double *v = NULL;
	size_t n = 0, cap = 0;
	char name[128] = "", unit[32] = "";
	int more = sqlite3_step(st) == SQLITE_ROW;

	while (more) {
		const char *nm = (const char *)sqlite3_column_text(st, 0);
		const char *un = (const char *)sqlite3_column_text(st, 2);

		if (n && strcmp(nm, name)) {
			struct kb_summary_stats s;

			kb_stats_summarise(v, n, &s);
			fprintf(out, "%s%-26s %14.6g %14.6g %14.6g %7.2f%%  %s\n", indent, name,
				s.median, s.min, s.max, s.cv * 100, unit);
			n = 0;
		}
		snprintf(name, sizeof(name), "%s", nm);
		snprintf(unit, sizeof(unit), "%s", un ? un : "");
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
		}
		v[n++] = sqlite3_column_double(st, 1);
		more = sqlite3_step(st) == SQLITE_ROW;
		if (!more && n) {
			struct kb_summary_stats s;

			kb_stats_summarise(v, n, &s);
			fprintf(out, "%s%-26s %14.6g %14.6g %14.6g %7.2f%%  %s\n", indent, name,
				s.median, s.min, s.max, s.cv * 100, unit);
		}
	}
	free(v);
	sqlite3_reset(st);
}

int kb_summary(const char *db_path, const char *campaign, FILE *out, char *err, size_t errlen)
{
	sqlite3 *db;
	sqlite3_stmt *head = NULL, *pts = NULL, *met = NULL, *ex = NULL;
	int rc = -1;
	char *end;
	long long id;

	(void)end;
	if (kb_db_open(db_path, false, false, &db, err, errlen))
		return -1;
	if ((id = kb_campaign_resolve(db, campaign, err, errlen)) < 0) {
		kb_db_close(db);
		return -1;
	}
	head = kb_db_prepare(db,
			     "SELECT c.scenario, c.kind, c.state, c.started, h.hostname,"
			     " h.cpu_model, h.kvm_module, h.paging, b.version, b.git,"
			     " IFNULL(h.kind, '?'), h.timings_emulated"
			     " FROM campaigns c JOIN hosts h ON h.id = c.host_id"
			     " LEFT JOIN builds b ON b.id = c.build_id WHERE c.id = ?",
			     err, errlen);
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
	if (!head || !pts || !met || !ex)
		goto out;
	sqlite3_bind_int64(head, 1, id);
	if (sqlite3_step(head) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: no campaign %lld (see kvmbench list --db %s)", db_path,
			 id, db_path);
		goto out;
	}
	fprintf(out,
		"campaign %lld: %s (%s, %s), started %s\n  host %s (%s), %s, %s, paging %s; "
		"build %s %s\n%s",
		id, sqlite3_column_text(head, 0), sqlite3_column_text(head, 1),
		sqlite3_column_text(head, 2), sqlite3_column_text(head, 3),
		sqlite3_column_text(head, 4), sqlite3_column_text(head, 10),
		sqlite3_column_text(head, 5), sqlite3_column_text(head, 6),
		sqlite3_column_text(head, 7), sqlite3_column_text(head, 8),
		sqlite3_column_text(head, 9),
		sqlite3_column_int(head, 11)
		    ? "  timings emulated (the lab: QEMU TCG); exit counts and KVM statistics are "
		      "real\n"
		    : "");
	sqlite3_bind_int64(pts, 1, id);
	while (sqlite3_step(pts) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(pts, 0);

		fprintf(out, "\npoint %s  %s\n  runs %d: pass %d, fail %d, skip %d\n", key,
			sqlite3_column_text(pts, 1), sqlite3_column_int(pts, 2),
			sqlite3_column_int(pts, 3), sqlite3_column_int(pts, 4),
			sqlite3_column_int(pts, 5));
		if (sqlite3_column_int(pts, 4) || sqlite3_column_int(pts, 5))
			fprintf(out, "  e.g. %s\n", sqlite3_column_text(pts, 6));
		fprintf(out, "  %-26s %14s %14s %14s %8s  %s\n", "metric", "median", "min", "max",
			"CV", "unit");
		sqlite3_bind_int64(met, 1, id);
		sqlite3_bind_text(met, 2, key, -1, SQLITE_TRANSIENT);
		print_groups(met, out, "  ");
		sqlite3_bind_int64(ex, 1, id);
		sqlite3_bind_text(ex, 2, key, -1, SQLITE_TRANSIENT);
		print_groups(ex, out, "  ");
	}
	rc = 0;
out:
	sqlite3_finalize(head);
	sqlite3_finalize(pts);
	sqlite3_finalize(met);
	sqlite3_finalize(ex);
	/* the other campaigns of the same run (its other lab), after it */
	int64_t group[8];
	static int depth;
	unsigned n = rc || depth ? 0 : kb_campaign_group(db, id, group, 8);

	kb_db_close(db);
	depth++;
	for (unsigned k = 0; k < n && !rc; k++) {
		char sel[32];

		if (group[k] == id)
			continue;
		snprintf(sel, sizeof(sel), "%lld", (long long)group[k]);
		fprintf(out, "\n");
		rc = kb_summary(db_path, sel, out, err, errlen);
	}
	depth--;
	return rc;
}
