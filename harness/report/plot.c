/*
 * Report infrastructure (see plot.h): the selection's points and their
 * labels, metric series, the figure helper that writes a gnuplot script,
 * the summary tables, the nightly trend page, and running gnuplot.
 */
#include "report/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyze/compare.h"
#include "store/db.h"
#include "store/select.h"
#include "store/sqlexpr.h"
#include "common/escape.h"
#include "report/figure.h"
#include "common/proc.h"
#include "plan/scenario.h"
#include "analyze/stats.h"
#include "common/util.h"

sqlite3_stmt *kb_plot_query(struct kb_plotctx *c, const char *sql_with_in)
{
	char sql[4096];
	sqlite3_stmt *st = NULL;

	size_t o = 0;

	/* "%s" stands for the campaign list, "%%" for a percent sign */
	for (const char *q = sql_with_in; *q && o + sizeof(c->in) + 2 < sizeof(sql); q++) {
		if (q[0] == '%' && q[1] == 's') {
			o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s", c->in);
			q++;
		} else {
			sql[o++] = q[0];
			q += q[0] == '%' && q[1] == '%';
		}
	}
	sql[o] = 0;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(c->err, sizeof(c->err), "%s", sqlite3_errmsg(c->db));
		return NULL;
	}
	return st;
}

int kb_plot_have_gnuplot(char *err, size_t errlen)
{
	const char *path = getenv("PATH");
	char buf[4096], cand[4200];

	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(cand, sizeof(cand), "%s/gnuplot", d);
		if (access(cand, X_OK) == 0)
			return 0;
	}
	snprintf(err, errlen,
		 "gnuplot is not installed (Debian package gnuplot-nox: "
		 "apt-get install gnuplot-nox)");
	return -1;
}

int kb_plot_newest(struct kb_plotctx *c, char *err, size_t errlen)
{
	sqlite3_stmt *st = kb_db_prepare(c->db, "SELECT max(id) FROM campaigns", err, errlen);
	int rc = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		c->in[0] = 0;
		kb_campaign_group_list(c->db, sqlite3_column_int64(st, 0), c->in, sizeof(c->in));
		rc = 0;
	} else if (st) {
		snprintf(err, errlen, "the database has no campaigns to report on");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The last occurrence of needle in s, or NULL. */
static const char *last_strstr(const char *s, const char *needle)
{
	const char *last = NULL;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		last = p;
	return last;
}

/*
 * A point's axis values from its canonical params, "topology=1 memory=128M
 * ... vmm_args=-vcpu-pin 0" (expand.c: axes in order, ioeventfd left out
 * when on): values may hold spaces and '=' (vmm_args, workload names), so
 * each ends where the next axis's " name=" starts, the last such for the
 * axis before the last.  An axis not there is "".
 */
static void split_params(const char *params, char v[KB_AX_COUNT][KB_VAL_MAX])
{
	const char *p = params;

	for (int a = 0; a < KB_AX_COUNT; a++) {
		char pre[32];
		const char *end = NULL;
		size_t n = (size_t)snprintf(pre, sizeof(pre), "%s=", kb_axis_name(a));

		v[a][0] = 0;
		if (strncmp(p, pre, n))
			continue;
		p += n;
		for (int b = a + 1; b < KB_AX_COUNT && !end; b++) {
			snprintf(pre, sizeof(pre), " %s=", kb_axis_name(b));
			end = b == KB_AX_COUNT - 1 ? last_strstr(p, pre) : strstr(p, pre);
		}
		if (!end)
			end = p + strlen(p);
		snprintf(v[a], KB_VAL_MAX, "%.*s", (int)(end - p), p);
		p = *end ? end + 1 : end;
	}
}

/* Values a label leaves out: the defaults nobody asked about. */
static bool boring(int a, const char *value)
{
	return (a == KB_AX_NUMA && !strcmp(value, "none")) ||
	       (a == KB_AX_DEVICES && !strcmp(value, "none")) || !value[0];
}

/* A label from the axis values that differ between points. */
static void make_labels(struct kb_plotctx *c)
{
	char(*v)[KB_AX_COUNT][KB_VAL_MAX] = calloc(c->npoints, sizeof(*v));
	bool varies[KB_AX_COUNT] = {false};

	for (unsigned i = 0; v && i < c->npoints; i++) {
		split_params(c->points[i].params, v[i]);
		for (int a = 0; a < KB_AX_COUNT; a++)
			varies[a] |= strcmp(v[0][a], v[i][a]) != 0;
	}
	for (unsigned i = 0; i < c->npoints; i++) {
		struct kb_ppoint *p = &c->points[i];
		size_t o = (size_t)snprintf(p->label, sizeof(p->label), "%s", p->workload);

		for (int a = 0; v && a < KB_AX_COUNT && o < sizeof(p->label); a++)
			if (a != KB_AX_WORKLOAD && varies[a] && !boring(a, v[i][a]))
				o += (size_t)snprintf(p->label + o, sizeof(p->label) - o, " %s",
						      v[i][a]);
	}
	free(v);
}

static int load_series(struct kb_plotctx *c)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT " KB_SQL_POINT_IDENT
	       " AS ident, m.name, m.unit, m.value FROM runs r JOIN metrics m"
	       " ON m.run_id = r.id WHERE r.campaign_id IN (%s) AND r.warmup = 0"
	       " AND r.status = 'pass' AND m.value IS NOT NULL ORDER BY ident, m.name");
	size_t cap = 0;
	unsigned pi = 0;

	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		struct kb_pseries *s = c->nseries ? &c->series[c->nseries - 1] : NULL;

		if (strcmp(c->points[pi].key, key))
			for (pi = 0; pi < c->npoints && strcmp(c->points[pi].key, key); pi++)
				;
		if (pi == c->npoints) {
			pi = 0;
			continue;
		}
		if (!s || s->point != pi || strcmp(s->name, name)) {
			if (c->nseries == cap) {
				cap = cap ? cap * 2 : 256;
				c->series = realloc(c->series, cap * sizeof(*c->series));
				if (!c->series)
					break;
			}
			s = &c->series[c->nseries++];
			memset(s, 0, sizeof(*s));
			s->point = pi;
			snprintf(s->name, sizeof(s->name), "%s", name);
			snprintf(s->unit, sizeof(s->unit), "%s",
				 sqlite3_column_text(st, 2)
				     ? (const char *)sqlite3_column_text(st, 2)
				     : "");
		}
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 8;
			s->v = realloc(s->v, s->cap * sizeof(*s->v));
			if (!s->v)
				break;
		}
		s->v[s->n++] = sqlite3_column_double(st, 3);
	}
	sqlite3_finalize(st);
	return c->series || !c->nseries ? 0 : -1;
}

/* The metric a point's figures use: the one named after the workload,
 * else the first that has a direction (times, cycles, rates). */
static void pick_primary(struct kb_plotctx *c)
{
	c->primary = calloc(c->npoints ? c->npoints : 1, sizeof(*c->primary));
	for (size_t i = 0; c->primary && i < c->nseries; i++) {
		const struct kb_pseries *s = &c->series[i];
		char *pm = c->primary[s->point];

		if (!kb_metric_default_direction(s->unit))
			continue;
		if (!strcmp(s->name, c->points[s->point].workload) || !pm[0])
			snprintf(pm, 128, "%s", s->name);
	}
}

/* A point's params show the mode it ran with (KB_SQL_PAGING), not "host"
 * or "tdp". */
static void show_paging(struct kb_ppoint *p)
{
	static const char *const asked[] = {" paging=host", " paging=tdp"};

	for (unsigned i = 0; i < 2; i++) {
		char *ph = strstr(p->params, asked[i]), tail[sizeof(p->params)];
		size_t n = strlen(asked[i]);

		if (!ph || (ph[n] && ph[n] != ' '))
			continue;
		snprintf(tail, sizeof(tail), "%s", ph + n);
		snprintf(ph, sizeof(p->params) - (size_t)(ph - p->params), " paging=%s%s",
			 p->paging, tail);
		return;
	}
}

int kb_plot_load_points(struct kb_plotctx *c, char *err, size_t errlen)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT " KB_SQL_POINT_IDENT ", min(r.params), min(r.workload), min(r.topology),"
	       " min(r.vcpus), min(" KB_SQL_PAGING "),"
	       " r.point_key FROM runs r JOIN campaigns c ON c.id = r.campaign_id JOIN hosts h"
	       " ON h.id = c.host_id WHERE r.campaign_id IN (%s) AND r.warmup = 0"
	       " GROUP BY r.campaign_id, r.point_key ORDER BY r.campaign_id, min(r.seq)");
	unsigned cap = 0;

	if (!st) {
		snprintf(err, errlen, "%s", c->err);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		bool dup = false;

		for (unsigned i = 0; i < c->npoints && !dup; i++)
			dup = !strcmp(c->points[i].key, key);
		if (dup)
			continue; /* the same point in several campaigns: one row */
		if (c->npoints == cap) {
			cap = cap ? cap * 2 : 64;
			c->points = realloc(c->points, cap * sizeof(*c->points));
		}
		struct kb_ppoint *p = &c->points[c->npoints++];

		memset(p, 0, sizeof(*p));
		snprintf(p->key, sizeof(p->key), "%s", key);
		snprintf(p->params, sizeof(p->params), "%s", sqlite3_column_text(st, 1));
		snprintf(p->workload, sizeof(p->workload), "%s", sqlite3_column_text(st, 2));
		snprintf(p->topology, sizeof(p->topology), "%s", sqlite3_column_text(st, 3));
		p->vcpus = sqlite3_column_int(st, 4);
		snprintf(p->paging, sizeof(p->paging), "%s", sqlite3_column_text(st, 5));
		snprintf(p->pkey, sizeof(p->pkey), "%s", sqlite3_column_text(st, 6));
		show_paging(p);
	}
	sqlite3_finalize(st);
	if (!c->npoints) {
		snprintf(err, errlen, "campaign %s has no measured runs to report on", c->in);
		return -1;
	}
	/* group by workload, in the order workloads first ran */
	for (unsigned i = 1; i < c->npoints; i++) {
		unsigned first = 0, j = i;

		while (first < i && strcmp(c->points[first].workload, c->points[i].workload))
			first++;
		if (first == i)
			continue; /* a workload not seen before stays where it is */
		struct kb_ppoint t = c->points[i];

		while (j > 0 && strcmp(c->points[j - 1].workload, t.workload)) {
			c->points[j] = c->points[j - 1];
			j--;
		}
		c->points[j] = t;
	}
	make_labels(c);
	if (load_series(c)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pick_primary(c);
	char path[1200];

	snprintf(path, sizeof(path), "%s/plots/all.gp", c->dir);
	c->gp = fopen(path, "we");
	if (!c->gp || !c->primary) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int kb_plot_tables(struct kb_plotctx *c, FILE *html, FILE *out, const char *fmt)
{
	const char *wl = "";
	bool json = !strcmp(fmt, "json"), csv = !strcmp(fmt, "csv"), first = true;

	if (json)
		fprintf(out, "{\"campaigns\": [%s], \"rows\": [", c->in);
	if (csv)
		fprintf(out, "workload,point,metric,unit,median,ci_low,ci_high,cv,n\n");
	for (unsigned pi = 0; pi < c->npoints; pi++) {
		const struct kb_ppoint *p = &c->points[pi];

		if (strcmp(wl, p->workload)) {
			bool any = false;

			for (size_t i = 0; i < c->nseries && !any; i++)
				any = !strcmp(c->points[c->series[i].point].workload, p->workload);
			if (*wl)
				fprintf(html, "</table>\n");
			wl = p->workload;
			fprintf(html, "<h2>Workload ");
			kb_esc_html(html, wl);
			if (!any) {
				if (!json && !csv)
					fprintf(out, "\n%s: no metrics\n", wl);
				fprintf(html, "</h2>\n<p class=note>No metrics (a functional "
					      "guest).</p>\n<table>\n");
				continue;
			}
			fprintf(html, "</h2>\n<table><tr><th class=l>point</th>"
				      "<th class=l>metric</th><th>median</th><th>95%% interval</th>"
				      "<th>CV</th><th>runs</th><th class=l>unit</th></tr>\n");
			if (!json && !csv)
				fprintf(out, "\n%s\n", wl);
		}
		for (size_t i = 0; i < c->nseries; i++) {
			struct kb_pseries *s = &c->series[i];
			struct kb_summary_stats st;
			double lo, hi;

			if (s->point != pi)
				continue;
			kb_stats_summarise(s->v, s->n, &st); /* sorts s->v */
			kb_median_interval(s->v, s->n, &lo, &hi);
			fprintf(html, "<tr><td class=l>");
			kb_esc_html(html, p->label);
			fprintf(html, "</td><td class=l>");
			kb_esc_html(html, s->name);
			fprintf(html,
				"</td><td>%.6g</td><td>%.6g &ndash; %.6g</td><td>%.1f%%</td>"
				"<td>%zu</td><td class=l>",
				st.median, lo, hi, st.cv * 100, s->n);
			kb_esc_html(html, s->unit);
			fprintf(html, "</td></tr>\n");
			if (json) {
				fprintf(out, "%s\n  {\"workload\": ", first ? "" : ",");
				kb_esc_json(out, wl);
				fprintf(out, ", \"point\": ");
				kb_esc_json(out, p->params);
				fprintf(out, ", \"metric\": ");
				kb_esc_json(out, s->name);
				fprintf(out, ", \"unit\": ");
				kb_esc_json(out, s->unit);
				fprintf(out,
					", \"median\": %.9g, \"ci_low\": %.9g, \"ci_high\": %.9g, "
					"\"cv\": %.6g, \"n\": %zu}",
					st.median, lo, hi, st.cv, s->n);
			} else if (csv) {
				const char *f[] = {wl, p->params, s->name, s->unit};

				for (int k = 0; k < 4; k++) {
					kb_esc_csv(out, f[k]);
					fputc(',', out);
				}
				fprintf(out, "%.9g,%.9g,%.9g,%.6g,%zu\n", st.median, lo, hi, st.cv,
					s->n);
			} else
				fprintf(out,
					"  %-28s %-24s %12.6g [%.6g, %.6g] CV %5.1f%% n=%zu %s\n",
					p->label, s->name, st.median, lo, hi, st.cv * 100, s->n,
					s->unit);
			first = false;
		}
	}
	if (*wl)
		fprintf(html, "</table>\n");
	if (json)
		fprintf(out, "\n]}\n");
	return ferror(html) ? -1 : 0;
}

int kb_plot_run_gnuplot(struct kb_plotctx *c, char *err, size_t errlen)
{
	char *argv[] = {"gnuplot", "all.gp", NULL};
	char dir[1200], log[1300], why[512];
	pid_t pid = -1;
	int st = -1, fd;

	if (fclose(c->gp)) {
		c->gp = NULL;
		snprintf(err, errlen, "%s/plots/all.gp: write failed", c->dir);
		return -1;
	}
	c->gp = NULL;
	snprintf(dir, sizeof(dir), "%s/plots", c->dir);
	snprintf(log, sizeof(log), "%s/gnuplot.log", dir);
	fd = kb_open_regular(log, O_WRONLY | O_CREAT | O_TRUNC, why, sizeof(why));
	if (fd >= 0) {
		pid = kb_child_start(argv, -1, fd, dir, why, sizeof(why));
		close(fd);
	}
	if (pid < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	st = kb_child_wait(pid);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(err, errlen, "gnuplot failed (exit %d): see %s",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1, log);
		return -1;
	}
	return 0;
}

void kb_plot_free(struct kb_plotctx *c)
{
	for (size_t i = 0; i < c->nseries; i++)
		free(c->series[i].v);
	free(c->series);
	free(c->points);
	free(c->primary);
	if (c->gp)
		fclose(c->gp);
	memset(c, 0, sizeof(*c));
}
