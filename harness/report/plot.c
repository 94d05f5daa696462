/*
 * The report's selection (see plot.h): its campaigns, their points and
 * labels, the metric series of each point and its main metric; the query
 * helpers the figures use; gnuplot found and run.
 */
#include "report/plot.h"

#include <assert.h>
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
#include "report/bucket.h"
#include "report/figure.h"
#include "common/proc.h"
#include "plan/scenario.h"
#include "analyze/stats.h"
#include "common/util.h"

sqlite3_stmt *kb_plot_query(struct kb_plotctx *c, const char *sql_with_in)
{
	char sql[4096];
	sqlite3_stmt *st = NULL;
	const char *q = sql_with_in;
	size_t o = 0;

	/* "%s" stands for the campaign list, "%%" for a percent sign */
	for (; *q && o + sizeof(c->in) + 2 < sizeof(sql); q++) {
		if (q[0] == '%' && q[1] == 's') {
			o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s", c->in);
			q++;
		} else {
			sql[o++] = q[0];
			q += q[0] == '%' && q[1] == '%';
		}
	}
	assert(!*q); /* the statements are this file's: each fits */
	sql[o] = 0;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(c->err, sizeof(c->err), "%s", sqlite3_errmsg(c->db));
		return NULL;
	}
	return st;
}

double kb_plot_median_of(sqlite3_stmt *st)
{
	double v[1024];
	size_t n = 0;

	while (sqlite3_step(st) == SQLITE_ROW && n < 1024)
		v[n++] = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return kb_median(v, n);
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

/* Whether a point ran on two hosts with one paging mode: then labels name
 * the host, as nothing else tells the two apart. */
static bool same_point_two_hosts(const struct kb_plotctx *c)
{
	for (unsigned i = 0; i < c->npoints; i++)
		for (unsigned j = i + 1; j < c->npoints; j++)
			if (!strcmp(c->points[i].pkey, c->points[j].pkey) &&
			    !strcmp(c->points[i].paging, c->points[j].paging) &&
			    strcmp(c->points[i].host, c->points[j].host))
				return true;
	return false;
}

/* A label from the axis values that differ between points (and the host,
 * "@NAME", when that alone tells two points apart). */
static void make_labels(struct kb_plotctx *c)
{
	char(*v)[KB_AX_COUNT][KB_VAL_MAX] = calloc(c->npoints, sizeof(*v));
	bool varies[KB_AX_COUNT] = {false}, hosts = same_point_two_hosts(c);

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
		if (hosts && o < sizeof(p->label))
			snprintf(p->label + o, sizeof(p->label) - o, " @%s", p->host);
	}
	free(v);
}

unsigned kb_plot_point(const struct kb_plotctx *c, const char *ident)
{
	unsigned pi = 0;

	while (pi < c->npoints && strcmp(c->points[pi].key, ident))
		pi++;
	return pi;
}

/* Every measured value of every point, as series by point and metric (by
 * name within a point).  0, or -1 (out of memory, or the query failed). */
static int load_series(struct kb_plotctx *c)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT m.run_id, m.name, m.unit, m.value FROM metrics m WHERE m.run_id"
	       " BETWEEN ?1 AND ?2 AND m.value IS NOT NULL ORDER BY m.run_id");
	struct kb_buckets b = {.n = 0};
	int rc = st ? 0 : -1;
	size_t blk = 0;
	int64_t run = -1;
	unsigned pi = c->npoints;

	assert(c->npoints > 0);
	while (!rc && kb_plot_step_runs(c, st, &blk)) {
		if (sqlite3_column_int64(st, 0) != run) {
			run = sqlite3_column_int64(st, 0);
			pi = kb_plot_run_point(c, run);
		}
		if (pi < c->npoints)
			rc = kb_bucket_add(&b, pi, (const char *)sqlite3_column_text(st, 1),
					   (const char *)sqlite3_column_text(st, 2),
					   sqlite3_column_double(st, 3));
	}
	sqlite3_finalize(st);
	kb_bucket_sort(&b);
	free(b.slot);
	c->series = b.s;
	c->nseries = b.n;
	return rc;
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
			snprintf(pm, sizeof(c->primary[0]), "%s", s->name);
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

/* Point p from a row of query_points(). */
static void set_point(struct kb_ppoint *p, sqlite3_stmt *st)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->key, sizeof(p->key), "%s", sqlite3_column_text(st, 0));
	snprintf(p->params, sizeof(p->params), "%s", sqlite3_column_text(st, 1));
	snprintf(p->workload, sizeof(p->workload), "%s", sqlite3_column_text(st, 2));
	snprintf(p->topology, sizeof(p->topology), "%s", sqlite3_column_text(st, 3));
	p->vcpus = sqlite3_column_int(st, 4);
	snprintf(p->paging, sizeof(p->paging), "%s", sqlite3_column_text(st, 5));
	snprintf(p->pkey, sizeof(p->pkey), "%s", sqlite3_column_text(st, 6));
	snprintf(p->host, sizeof(p->host), "%s", sqlite3_column_text(st, 7));
	show_paging(p);
}

/* The selection's points in campaign and plan order, a point that several
 * campaigns ran once.  0, or -1 with err. */
static int query_points(struct kb_plotctx *c, char *err, size_t errlen)
{
	sqlite3_stmt *st = kb_plot_query(
	    c, "SELECT " KB_REPORT_POINT_IDENT ", min(r.params), min(r.workload),"
	       " min(r.topology), min(r.vcpus), min(" KB_SQL_PAGING "),"
	       " r.point_key, min(" KB_REPORT_HOST_OF(
		   "h") ") FROM runs r JOIN campaigns c ON c.id = "
			"r.campaign_id JOIN hosts h"
			" ON h.id = c.host_id WHERE r.campaign_id IN (%s) AND r.warmup = 0"
			" GROUP BY r.campaign_id, r.point_key ORDER BY r.campaign_id, min(r.seq)");
	unsigned cap = 0;

	if (!st) {
		snprintf(err, errlen, "%s", c->err);
		return -1;
	}
	assert(sqlite3_column_count(st) == 8);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (kb_plot_point(c, (const char *)sqlite3_column_text(st, 0)) < c->npoints)
			continue; /* the same point in several campaigns: one row */
		if (c->npoints == cap) {
			struct kb_ppoint *p = realloc(c->points, (cap ? cap * 2 : 64) * sizeof(*p));

			if (!p)
				break;
			c->points = p;
			cap = cap ? cap * 2 : 64;
		}
		set_point(&c->points[c->npoints++], st);
	}
	sqlite3_finalize(st);
	if (!c->npoints) {
		snprintf(err, errlen, "campaign %s has no measured runs to report on", c->in);
		return -1;
	}
	return 0;
}

/* Points grouped by workload, in the order workloads first ran (a stable
 * move of each point behind the last of its workload). */
static void group_by_workload(struct kb_plotctx *c)
{
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
}

int kb_plot_load_points(struct kb_plotctx *c, char *err, size_t errlen)
{
	char path[1200];

	if (query_points(c, err, errlen))
		return -1;
	group_by_workload(c);
	make_labels(c);
	if (kb_plot_map_runs(c) || load_series(c)) {
		snprintf(err, errlen, "%s", c->err[0] ? c->err : "out of memory");
		return -1;
	}
	pick_primary(c);
	snprintf(path, sizeof(path), "%s/plots/all.gp", c->dir);
	c->gp = fopen(path, "we");
	if (!c->gp || !c->primary) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
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
	free(c->runs);
	free(c->blocks);
	free(c->kstat);
	if (c->gp)
		fclose(c->gp);
	memset(c, 0, sizeof(*c));
}
