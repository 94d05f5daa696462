/*
 * The report's Failures section (kb_page_failures, see overview.h): each
 * point with a failed measured run, its runs grouped by exit status and
 * reason (the reason without the log path the harness appends, so the
 * same failure on every run is one row), and for each failed run links to
 * the files its log directory holds (exec/runner.c): console.log, vmm.log
 * and stats.json.  A link is relative to the report's directory where the
 * two share a directory below /, else the file's absolute path; a file
 * that is not there is said to be missing.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/escape.h"
#include "report/figure.h"
#include "report/overview.h"
#include "store/sqlexpr.h"

/* A failed run's logs linked, at most, per row. */
#define LOG_RUNS 3

/* The files of a run's log directory the section links to. */
static const char *const log_files[][2] = {
    {"console.log", "console"},
    {"vmm.log", "VMM log"},
    {"stats.json", "stats JSON"},
};

/* The failed runs of one point with one exit status and reason. */
struct fgroup {
	unsigned point, order;
	int64_t campaign;
	int exit; /* -1: none (a signal, a hang, no VMM) */
	long nfail, nruns;
	char why[600];
	char *logs; /* "REPEAT LOG_DIR" lines */
};

struct flist {
	struct fgroup *g;
	size_t n;
	char dir[PATH_MAX]; /* the report's directory, resolved */
	const char *db;
};

static bool is_dir(const char *p)
{
	struct stat sb;

	return !stat(p, &sb) && S_ISDIR(sb.st_mode);
}

/*
 * A run's log directory as recorded: absolute, or relative to where
 * `kvmbench run` ran, which was the database's directory or held it
 * ("DBDIR/logs/ID-UUID/SEQ").  Tried as it is, then as the part from its
 * last "logs/" beside the database.  The directory resolved into out, or
 * false.
 */
static bool resolve_log_dir(const char *log, const char *db, char *out)
{
	const char *slash = strrchr(db, '/'), *tail = NULL;
	char cand[PATH_MAX + 200];

	if (is_dir(log) && realpath(log, out))
		return true;
	if (log[0] == '/')
		return false;
	for (const char *p = log; (p = strstr(p, "logs/")); p++)
		if (p == log || p[-1] == '/')
			tail = p;
	if (!tail)
		return false;
	snprintf(cand, sizeof(cand), "%.*s/%s", slash ? (int)(slash - db) : 1, slash ? db : ".",
		 tail);
	return is_dir(cand) && realpath(cand, out);
}

/* file (absolute, resolved) as a link from directory dir: relative when
 * they share a directory below /, percent-encoded for an href. */
static void href(FILE *html, const char *dir, const char *file)
{
	size_t common = 0, i = 0;
	const char *p;

	for (; dir[i] && dir[i] == file[i]; i++)
		if (dir[i] == '/')
			common = i;
	if (!dir[i] && file[i] == '/')
		common = i;
	if (common == 0) {
		p = file;
	} else {
		for (const char *d = dir + common; *d; d++)
			if (*d == '/')
				fputs("../", html);
		p = file + common + 1;
	}
	for (; *p; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._~-",
			   *p))
			fputc(*p, html);
		else
			fprintf(html, "%%%02X", (unsigned char)*p);
}

/* One failed run's log files: links, or "missing". */
static void run_logs(FILE *html, const struct flist *l, const char *repeat, const char *log)
{
	char dir[PATH_MAX], file[PATH_MAX + 16];
	bool found = log[0] && resolve_log_dir(log, l->db, dir);

	const char *missing[3];
	size_t nmissing = 0;

	kb_html(html, "<span class=run>run %s:", repeat);
	for (size_t k = 0; k < sizeof(log_files) / sizeof(log_files[0]); k++) {
		struct stat sb;

		snprintf(file, sizeof(file), "%s/%s", found ? dir : "", log_files[k][0]);
		if (!found || stat(file, &sb) || !S_ISREG(sb.st_mode)) {
			missing[nmissing++] = log_files[k][1];
			continue;
		}
		fprintf(html, " <a class=log href=\"");
		href(html, l->dir, file);
		kb_html(html, "\">%s</a>", log_files[k][1]);
	}
	if (!found)
		kb_html(html, " <span class=missing>no log directory %s</span>",
			log[0] ? log : "recorded");
	for (size_t k = 0; found && k < nmissing; k++) {
		fprintf(html, "%s", k ? ", " : " <span class=missing>missing: ");
		kb_html(html, "%s", missing[k]);
	}
	fprintf(html, "%s</span><br>", found && nmissing ? "</span>" : "");
}

/* Exit status e as the VMM means it (docs/exit-status.md). */
static void exit_cell(FILE *html, int e)
{
	static const struct {
		int code;
		const char *what;
	} known[] = {{0, "pass"},  {1, "error"}, {2, "fail"},
		     {3, "crash"}, {77, "skip"}, {124, "timeout"}};

	if (e < 0) {
		fprintf(html, "<td class=l>no exit status</td>");
		return;
	}
	fprintf(html, "<td class=l>exit %d", e);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].code == e)
			fprintf(html, " (%s)", known[i].what);
	if (e > 128 && e < 160)
		fprintf(html, " (signal %d)", e - 128);
	fprintf(html, "</td>");
}

/* The log cell: the first LOG_RUNS runs of the group's "REPEAT DIR" lines. */
static void logs_cell(FILE *html, const struct flist *l, const struct fgroup *g)
{
	char *save = NULL, *line = g->logs ? strtok_r(g->logs, "\n", &save) : NULL;
	long shown = 0;

	fprintf(html, "<td class=l>");
	for (; line && shown < LOG_RUNS; line = strtok_r(NULL, "\n", &save), shown++) {
		char *sp = strchr(line, ' ');

		if (sp)
			*sp++ = 0;
		run_logs(html, l, line, sp ? sp : "");
	}
	if (g->nfail > shown)
		fprintf(html, "and %ld more runs", g->nfail - shown);
	fprintf(html, "</td>");
}

static int by_point(const void *a, const void *b)
{
	const struct fgroup *x = a, *y = b;

	if (x->point != y->point)
		return x->point < y->point ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The failed runs of the selection, grouped, into l (sorted by point).
 * 0, or -1 (c->err, or out of memory). */
static int load_groups(struct kb_plotctx *c, struct flist *l)
{
#define WHY "IFNULL(r.reason, 'no reason recorded')"
	sqlite3_stmt *st = kb_plot_query(
	    c,
	    "SELECT " KB_REPORT_POINT_IDENT ", IFNULL(r.exit_code, -1), CASE WHEN instr(" WHY
	    ", ' (logs: ') THEN substr(" WHY ", 1, instr(" WHY ", ' (logs: ') - 1) ELSE " WHY
	    " END AS why, count(*), group_concat(r.repeat || ' ' || IFNULL(r.log_dir, ''),"
	    " char(10)), (SELECT count(*) FROM runs q WHERE q.campaign_id = r.campaign_id AND"
	    " q.point_key = r.point_key AND q.warmup = 0), r.campaign_id FROM runs r WHERE"
	    " r.campaign_id IN (%s) AND r.warmup = 0 AND r.status NOT IN ('pass', 'skip') GROUP BY"
	    " r.campaign_id, r.point_key, 2, why ORDER BY min(r.seq)");
#undef WHY
	size_t cap = 0;
	int rc = st ? 0 : -1;

	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct fgroup *g;

		if (l->n == cap) {
			g = realloc(l->g, (cap = cap ? cap * 2 : 16) * sizeof(*g));
			if (!g) {
				rc = -1;
				break;
			}
			l->g = g;
		}
		g = &l->g[l->n];
		*g = (struct fgroup){.order = (unsigned)l->n,
				     .point =
					 kb_plot_point(c, (const char *)sqlite3_column_text(st, 0)),
				     .exit = sqlite3_column_int(st, 1),
				     .nfail = sqlite3_column_int64(st, 3),
				     .nruns = sqlite3_column_int64(st, 5),
				     .campaign = sqlite3_column_int64(st, 6)};
		snprintf(g->why, sizeof(g->why), "%s", sqlite3_column_text(st, 2));
		g->logs = strdup(
		    sqlite3_column_text(st, 4) ? (const char *)sqlite3_column_text(st, 4) : "");
		rc = g->logs ? 0 : -1;
		if (g->point < c->npoints) /* a point of the selection: always */
			l->n++;
		else
			free(g->logs);
	}
	sqlite3_finalize(st);
	if (l->n)
		qsort(l->g, l->n, sizeof(*l->g), by_point);
	return rc;
}

/* Groups [a, b) of one point: failed and measured runs, once per campaign. */
static void point_totals(const struct fgroup *g, size_t a, size_t b, long *fail, long *runs)
{
	*fail = *runs = 0;
	for (size_t i = a; i < b; i++) {
		bool seen = false;

		for (size_t j = a; j < i; j++)
			seen |= g[j].campaign == g[i].campaign;
		*fail += g[i].nfail;
		*runs += seen ? 0 : g[i].nruns;
	}
}

/* One point's rows: its label and totals spanning its groups [a, b). */
static void point_rows(struct kb_plotctx *c, FILE *html, struct flist *l, size_t a, size_t b)
{
	const struct kb_ppoint *p = &c->points[l->g[a].point];
	long fail, runs;
	char id[128];

	point_totals(l->g, a, b, &fail, &runs);
	kb_page_anchor(c, p->workload, id, sizeof(id));
	for (size_t i = a; i < b; i++) {
		const struct fgroup *g = &l->g[i];

		fprintf(html, "<tr class=failed>");
		if (i == a) {
			fprintf(html, "<td class=l rowspan=%zu>", b - a);
			kb_html(html, "<a href=\"#%s\">%s</a></td>", id, p->label);
			fprintf(html, "<td rowspan=%zu>%ld of %ld</td>", b - a, fail, runs);
		}
		exit_cell(html, g->exit);
		fprintf(html, "<td class=\"l why\">%ld &times; ", g->nfail);
		kb_html(html, "%s</td>", g->why);
		logs_cell(html, l, g);
		fprintf(html, "</tr>\n");
	}
}

int kb_page_failures(struct kb_plotctx *c, FILE *html, const char *db)
{
	struct flist l = {.db = db};
	int rc = load_groups(c, &l);

	fprintf(html, "<section id=failures><h2>Failures</h2>\n");
	if (!rc && !l.n)
		fprintf(html, "<p>No failures.</p>\n");
	if (!rc && l.n) {
		if (!realpath(c->dir, l.dir))
			snprintf(l.dir, sizeof(l.dir), "%s", c->dir);
		fprintf(html, "<p class=note>Each point with a failed run: its runs by exit status "
			      "(docs/exit-status.md) and reason, and each failed run's log "
			      "files.</p>\n<table class=failures><tr><th class=l>point</th>"
			      "<th>failed</th><th class=l>exit status</th><th class=l>reason</th>"
			      "<th class=l>logs</th></tr>\n");
		for (size_t a = 0, b; a < l.n; a = b) {
			for (b = a + 1; b < l.n && l.g[b].point == l.g[a].point; b++)
				;
			point_rows(c, html, &l, a, b);
		}
		fprintf(html, "</table>\n");
	}
	fprintf(html, "</section>\n");
	for (size_t i = 0; i < l.n; i++)
		free(l.g[i].logs);
	free(l.g);
	if (rc && !c->err[0])
		snprintf(c->err, sizeof(c->err), "out of memory listing the failed runs");
	return rc || ferror(html) ? -1 : 0;
}
