/*
 * Release qualification gates (see gates.h).
 */
#include "analyze/gates.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/compare.h"
#include "store/db.h"
#include "store/select.h"
#include "common/escape.h"
#include "common/inifile.h"
#include "analyze/stats.h"
#include "common/util.h"

#define MAX_GATES 64

struct metric_gate {
	char name[128], workload[64];
	double min, max;
	int line; /* of the last min or max */
};

struct gates {
	bool all_pass, allow_skip, sandbox;
	char baseline[64];
	double threshold;
	struct metric_gate m[MAX_GATES];
	unsigned nm;
	struct kb_ini ini;
};

/* Bounds a metric gate may name: finite, and beyond any measurement. */
#define GATE_LIMIT 1e18

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct gates *g = user;

	if (g->ini.failed)
		return 0;
	if (!strcmp(section, "gates")) {
		if (!strcmp(name, "all_pass"))
			g->all_pass = !strcmp(value, "yes") || !strcmp(value, "true");
		else if (!strcmp(name, "allow_skip"))
			g->allow_skip = !strcmp(value, "yes") || !strcmp(value, "true");
		else if (!strcmp(name, "sandbox") &&
			 (!strcmp(value, "required") || !strcmp(value, "any")))
			g->sandbox = !strcmp(value, "required");
		else if (!strcmp(name, "baseline"))
			snprintf(g->baseline, sizeof(g->baseline), "%s", value);
		else if (!strcmp(name, "threshold"))
			return kb_ini_number(&g->ini, name, value, 0.0001, 10, KB_NUM_PERCENT,
					     &g->threshold);
		else
			goto bad;
		return 1;
	}
	if (strncmp(section, "gate.", 5) || !section[5])
		goto bad;
	struct metric_gate *m = NULL;

	for (unsigned i = 0; i < g->nm; i++)
		if (!strcmp(g->m[i].name, section + 5))
			m = &g->m[i];
	if (!m) {
		if (g->nm == MAX_GATES)
			return kb_ini_err(&g->ini, "more than %d [gate.*] sections", MAX_GATES);
		m = &g->m[g->nm++];
		snprintf(m->name, sizeof(m->name), "%s", section + 5);
		m->min = -INFINITY;
		m->max = INFINITY;
	}
	if (!strcmp(name, "workload")) {
		snprintf(m->workload, sizeof(m->workload), "%s", value);
		return 1;
	}
	if (strcmp(name, "min") && strcmp(name, "max"))
		goto bad;
	m->line = g->ini.line;
	return kb_ini_number(&g->ini, name, value, -GATE_LIMIT, GATE_LIMIT, 0,
			     name[1] == 'i' ? &m->min : &m->max);
bad:
	return kb_ini_err(&g->ini, "[%s] %s = %s: not a gate setting (see gates.h)", section, name,
			  value);
}

/* Parse the gates file: 0, or -1 with file:line in err. */
static int gates_load(struct gates *g, const char *path, char *err, size_t errlen)
{
	g->ini.err = err;
	g->ini.errlen = errlen;
	if (kb_ini_parse(&g->ini, path, on_key, g))
		return -1;
	for (unsigned i = 0; i < g->nm; i++) {
		if (g->m[i].min <= g->m[i].max)
			continue;
		g->ini.line = g->m[i].line;
		kb_ini_err(&g->ini, "min %g is above max %g in [gate.%s]: no value can pass",
			   g->m[i].min, g->m[i].max, g->m[i].name);
		return -1;
	}
	return 0;
}

struct tcase {
	char suite[16], name[1200], failure[600], skipped[600];
	char log[600]; /* a failing point: its failed run's log directory */
	double time;   /* seconds: the point's runs' wall time */
};

/* One <testcase>: a failure or a skip, and a failing point's log paths. */
static void junit_case(FILE *f, const struct tcase *c)
{
	fprintf(f, "  <testcase classname=\"kvmbench.%s\" name=\"", c->suite);
	kb_esc_xml(f, c->name);
	fprintf(f, "\" time=\"%.3f\">\n", c->time);
	if (c->failure[0]) {
		fprintf(f, "   <failure message=\"");
		kb_esc_xml(f, c->failure);
		fprintf(f, "\"/>\n");
	} else if (c->skipped[0]) {
		fprintf(f, "   <skipped message=\"");
		kb_esc_xml(f, c->skipped);
		fprintf(f, "\"/>\n");
	}
	if (c->failure[0] && c->log[0]) {
		fprintf(f, "   <system-out>logs of a failed run: ");
		kb_esc_xml(f, c->log);
		fprintf(f, "/console.log (console), ");
		kb_esc_xml(f, c->log);
		fprintf(f, "/vmm.log (VMM log), ");
		kb_esc_xml(f, c->log);
		fprintf(f, "/stats.json (stats JSON)</system-out>\n");
	}
	fprintf(f, "  </testcase>\n");
}

/* The counts of t[0..n) in suite (NULL: all): tests, failures, skipped;
 * the time summed. */
static double junit_counts(const struct tcase *t, unsigned n, const char *suite, unsigned c[3])
{
	double time = 0;

	c[0] = c[1] = c[2] = 0;
	for (unsigned i = 0; i < n; i++) {
		if (suite && strcmp(t[i].suite, suite))
			continue;
		c[0]++;
		c[1] += t[i].failure[0] != 0;
		c[2] += !t[i].failure[0] && t[i].skipped[0];
		time += t[i].time;
	}
	return time;
}

static int write_junit(const char *path, struct tcase *t, unsigned n, const char *campaign)
{
	FILE *f = fopen(path, "we");
	unsigned c[3];
	double time;

	if (!f)
		return -1;
	time = junit_counts(t, n, NULL, c);
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kvmbench "
		"qualify campaign %s\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" "
		"time=\"%.3f\">\n",
		campaign, c[0], c[1], c[2], time);
	for (int s = 0; s < 2; s++) {
		const char *suite = s ? "gates" : "points";

		time = junit_counts(t, n, suite, c);
		fprintf(f,
			" <testsuite name=\"%s\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
			"skipped=\"%u\" time=\"%.3f\">\n",
			suite, c[0], c[1], c[2], time);
		for (unsigned i = 0; i < n; i++)
			if (!strcmp(t[i].suite, suite))
				junit_case(f, &t[i]);
		fprintf(f, " </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
	return fclose(f);
}

/* s as TAP text: a '#' (which starts a directive: "# TODO" would excuse a
 * failure) as "\\#", control characters (a newline would start a forged
 * "ok" line) as spaces. */
void kb_tap_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '#' || *s == '\\')
			fputc('\\', out);
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, out);
	}
}

/* The cases as TAP version 13 (kvm-unit-tests' consumers read it). */
static void write_tap(FILE *out, const struct tcase *t, unsigned n)
{
	fprintf(out, "TAP version 13\n1..%u\n", n);
	for (unsigned i = 0; i < n; i++) {
		const struct tcase *c = &t[i];

		fprintf(out, "%sok %u - %s/", c->failure[0] ? "not " : "", i + 1, c->suite);
		kb_tap_text(out, c->name);
		if (c->failure[0] || c->skipped[0]) {
			fprintf(out, c->failure[0] ? " # " : " # SKIP ");
			kb_tap_text(out, c->failure[0] ? c->failure : c->skipped);
		}
		fputc('\n', out);
		if (c->failure[0] && c->log[0]) {
			fprintf(out, "# logs: ");
			kb_tap_text(out, c->log);
			fprintf(out, " (console.log, vmm.log, stats.json)\n");
		}
	}
}

static struct tcase *add(struct tcase **t, unsigned *n, unsigned *cap, const char *suite)
{
	if (*n == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 64;
		struct tcase *nt = realloc(*t, ncap * sizeof(**t));

		if (!nt) { /* nothing sensible to report half of: stop loudly */
			fprintf(stderr, "kvmbench gates: out of memory (%u test cases)\n", ncap);
			exit(1);
		}
		*t = nt;
		*cap = ncap;
	}
	struct tcase *c = &(*t)[(*n)++];

	memset(c, 0, sizeof(*c));
	snprintf(c->suite, sizeof(c->suite), "%s", suite);
	return c;
}

static void point_cases(sqlite3 *db, int64_t id, const struct gates *g, struct tcase **t,
			unsigned *n, unsigned *cap)
{
	sqlite3_stmt *st;
	char err[256];

	st = kb_db_prepare(db,
			   "SELECT params, sum(status = 'pass'), sum(status = 'fail'),"
			   " sum(status = 'skip'), max(CASE WHEN status != 'pass' THEN reason END),"
			   " max(CASE WHEN status = 'fail' THEN log_dir END), total(wall_ns)"
			   " FROM runs WHERE campaign_id = ? AND warmup = 0 GROUP BY point_key"
			   " ORDER BY min(seq)",
			   err, sizeof(err));
	sqlite3_bind_int64(st, 1, id);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		struct tcase *c = add(t, n, cap, "points");
		int fail = sqlite3_column_int(st, 2), skip = sqlite3_column_int(st, 3);
		const char *why = (const char *)sqlite3_column_text(st, 4);

		snprintf(c->name, sizeof(c->name), "%s", sqlite3_column_text(st, 0));
		if (sqlite3_column_text(st, 5))
			snprintf(c->log, sizeof(c->log), "%s", sqlite3_column_text(st, 5));
		c->time = sqlite3_column_double(st, 6) / 1e9;
		if (g->all_pass && (fail || (skip && !g->allow_skip)))
			snprintf(c->failure, sizeof(c->failure), "%d failed, %d skipped: %s", fail,
				 skip, why ? why : "");
		else if (skip)
			snprintf(c->skipped, sizeof(c->skipped), "%s", why ? why : "skipped");
	}
	sqlite3_finalize(st);
}

/* A unit measured with the clock: times, cycles and rates. */
static bool timing_unit(const char *u)
{
	static const char *const time[] = {"ns", "us", "ms", "s", "cycles"};
	size_t n = u ? strlen(u) : 0;

	for (size_t i = 0; u && i < sizeof(time) / sizeof(time[0]); i++)
		if (!strcmp(u, time[i]))
			return true;
	return n > 2 && !strcmp(u + n - 2, "/s");
}

/* The campaign's host has emulated timings (the lab). */
static bool emulated_host(sqlite3 *db, int64_t id)
{
	char err[256];
	sqlite3_stmt *st = kb_db_prepare(db,
					 "SELECT h.timings_emulated FROM campaigns c JOIN hosts h"
					 " ON h.id = c.host_id WHERE c.id = ?",
					 err, sizeof(err));
	bool e = false;

	if (st) {
		sqlite3_bind_int64(st, 1, id);
		e = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	return e;
}

static void metric_cases(sqlite3 *db, int64_t id, const struct gates *g, struct tcase **t,
			 unsigned *n, unsigned *cap)
{
	char err[256];
	bool emulated = emulated_host(db, id);
	sqlite3_stmt *st = kb_db_prepare(
	    db,
	    "SELECT r.params, group_concat(m.value), max(m.unit) FROM runs r JOIN metrics m"
	    " ON m.run_id = r.id WHERE r.campaign_id = ?1 AND r.warmup = 0 AND"
	    " r.status = 'pass' AND m.name = ?2 AND (?3 = '' OR r.workload = ?3)"
	    " GROUP BY r.point_key ORDER BY min(r.seq)",
	    err, sizeof(err));

	for (unsigned i = 0; st && i < g->nm; i++) {
		const struct metric_gate *m = &g->m[i];
		struct tcase *c = add(t, n, cap, "gates");
		char bad[400] = "", unit[32] = "";
		unsigned points = 0;

		snprintf(c->name, sizeof(c->name), "metric %s within [%g, %g]%s%s", m->name, m->min,
			 m->max, m->workload[0] ? " for workload " : "", m->workload);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m->workload, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			double med = kb_median_list((const char *)sqlite3_column_text(st, 1));

			if (sqlite3_column_text(st, 2))
				snprintf(unit, sizeof(unit), "%s", sqlite3_column_text(st, 2));
			points++;
			if ((med < m->min || med > m->max) && !bad[0])
				snprintf(bad, sizeof(bad), "median %g outside [%g, %g] at %s", med,
					 m->min, m->max, sqlite3_column_text(st, 0));
		}
		sqlite3_reset(st);
		if (points && emulated && timing_unit(unit))
			snprintf(c->skipped, sizeof(c->skipped),
				 "not judged: %s is in %s, and this campaign's host (the lab) has "
				 "emulated timings",
				 m->name, unit);
		else if (!points)
			snprintf(c->failure, sizeof(c->failure), "no passing run reported %s",
				 m->name);
		else if (bad[0])
			snprintf(c->failure, sizeof(c->failure), "%s", bad);
	}
	sqlite3_finalize(st);
}

/* sandbox = required: no run of a VMM without its seccomp filters (-sandbox
 * off or audit), and no pass from a VMM that did not say (one before the
 * sandbox).  Runs without stats (the VMM failed, or a skip the harness
 * decided) are the points' business. */
static void sandbox_case(sqlite3 *db, int64_t id, struct tcase **t, unsigned *n, unsigned *cap)
{
	char err[256];
	struct tcase *c = add(t, n, cap, "gates");
	sqlite3_stmt *st = kb_db_prepare(
	    db,
	    "SELECT count(*), min(params), min(coalesce(sandbox, 'not recorded')) FROM runs"
	    " WHERE campaign_id = ? AND warmup = 0 AND"
	    " (sandbox != 'on' OR (sandbox IS NULL AND status = 'pass'))",
	    err, sizeof(err));

	snprintf(c->name, sizeof(c->name), "every VMM ran in its sandbox (seccomp on)");
	if (!st) {
		snprintf(c->failure, sizeof(c->failure), "cannot check: %s", err);
		return;
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0))
		snprintf(c->failure, sizeof(c->failure),
			 "%d run%s without the sandbox (seccomp %s at %s): a release is "
			 "qualified with -sandbox on",
			 sqlite3_column_int(st, 0), sqlite3_column_int(st, 0) == 1 ? "" : "s",
			 sqlite3_column_text(st, 2), sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
}

static void baseline_case(const char *dbpath, const char *campaign, const struct gates *g,
			  struct tcase **t, unsigned *n, unsigned *cap)
{
	struct tcase *c = add(t, n, cap, "gates");
	struct kb_compare_opts co = {.db = dbpath,
				     .baseline = g->baseline,
				     .candidate = campaign,
				     .threshold = g->threshold > 0 ? g->threshold : 0.05,
				     .format = "text"};
	char err[512];
	FILE *sink = fopen("/dev/null", "we");
	int rc = kb_compare(&co, sink ? sink : stderr, err, sizeof(err));

	if (sink)
		fclose(sink);
	snprintf(c->name, sizeof(c->name), "no regression against %s", g->baseline);
	if (rc < 0)
		snprintf(c->failure, sizeof(c->failure), "cannot compare: %s", err);
	else if (rc == KB_EXIT_REGRESSED)
		snprintf(c->failure, sizeof(c->failure),
			 "regressed against %s (see kvmbench "
			 "compare %s %s)",
			 g->baseline, g->baseline, campaign);
}

/* The text verdict: failed and unjudged cases, then one line.  Returns
 * the number of failed cases. */
static unsigned write_text(FILE *out, const struct tcase *t, unsigned n, const char *idstr)
{
	unsigned npoints = 0, unjudged = 0, failed = 0;

	for (unsigned i = 0; i < n; i++) {
		npoints += !strcmp(t[i].suite, "points");
		if (!strcmp(t[i].suite, "gates") && t[i].skipped[0]) {
			unjudged++;
			fprintf(out, "SKIP  %-6s %s\n      %s\n", t[i].suite, t[i].name,
				t[i].skipped);
		}
		if (!t[i].failure[0])
			continue;
		failed++;
		fprintf(out, "FAIL  %-6s %s\n      %s\n", t[i].suite, t[i].name, t[i].failure);
	}
	fprintf(out, "%s: campaign %s, %u points and %u gates checked",
		failed ? "NOT QUALIFIED" : "QUALIFIED", idstr, npoints, n - npoints - unjudged);
	if (unjudged)
		fprintf(out, " (%u timing gate%s not judged: emulated timings)", unjudged,
			unjudged == 1 ? "" : "s");
	fprintf(out, ", %u failed\n", failed);
	return failed;
}

int kb_gates(const char *dbpath, const char *campaign, const char *gates_file, const char *junit,
	     bool tap, FILE *out, char *err, size_t errlen)
{
	struct gates g = {.all_pass = true, .allow_skip = true};
	struct tcase *t = NULL;
	unsigned n = 0, cap = 0, failed[3];
	sqlite3 *db;
	char idstr[32];
	int64_t id;

	if (gates_load(&g, gates_file, err, errlen))
		return -1;
	if (kb_db_open_campaign(dbpath, campaign, &db, &id, err, errlen))
		return -1;
	snprintf(idstr, sizeof(idstr), "%lld", (long long)id);
	point_cases(db, id, &g, &t, &n, &cap);
	metric_cases(db, id, &g, &t, &n, &cap);
	if (g.sandbox)
		sandbox_case(db, id, &t, &n, &cap);
	kb_db_close(db);
	if (g.baseline[0])
		baseline_case(dbpath, idstr, &g, &t, &n, &cap);
	junit_counts(t, n, NULL, failed);
	if (tap)
		write_tap(out, t, n);
	else
		write_text(out, t, n, idstr);
	if (junit && write_junit(junit, t, n, idstr)) {
		snprintf(err, errlen, "%s: cannot write the JUnit XML", junit);
		free(t);
		return -1;
	}
	free(t);
	return failed[1] ? 10 : 0;
}

int kb_points_tap(sqlite3 *db, const int64_t *ids, unsigned nids, FILE *out)
{
	const struct gates g = {.all_pass = true, .allow_skip = true};
	struct tcase *t = NULL;
	unsigned n = 0, cap = 0, failed = 0;

	for (unsigned i = 0; i < nids; i++)
		if (ids[i] > 0)
			point_cases(db, ids[i], &g, &t, &n, &cap);
	write_tap(out, t, n);
	for (unsigned i = 0; i < n; i++)
		failed += t[i].failure[0] != 0;
	free(t);
	return (int)failed;
}
