/*
 * compare's sides (see compareint.h): how each way of comparing selects a
 * side's runs and matches its points with the other side's, and the hint
 * when a side given as a campaign is a value of another way.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "analyze/compareint.h"
#include "plan/scenario.h"
#include "store/db.h"
#include "store/sqlexpr.h"

/* An axis of the plan that --by takes by its name: two of its values, the
 * points matched on their other parameters.  Its index, or -1. */
static int by_axis(const char *by)
{
	for (int a = 0; a < KB_AX_COUNT; a++)
		if (!strcmp(by, kb_axis_name(a)))
			return a;
	return -1;
}

/* The side filter and the match key for each way of comparing (the
 * vmm_args, ioeventfd and paging axes have their own: their values hold
 * spaces, go unsaid, or resolve to the host's mode). */
int kb_compare_side_sql(const char *by, struct side_query *q)
{
	int axis = by_axis(by);

	snprintf(q->key, sizeof(q->key), "r.point_key");
	q->show_key = false;
	if (!strcmp(by, "campaign")) {
		snprintf(q->where, sizeof(q->where), "c.id = ?1");
	} else if (!strcmp(by, "paging")) {
		snprintf(q->key, sizeof(q->key), "replace(r.params, ' paging=' || r.paging, '')");
		q->show_key = true; /* params say host or tdp where the mode is the side's */
		/* host and tdp runs ran in the host's mode; tdp selects ept and npt */
		snprintf(q->where, sizeof(q->where),
			 "(" KB_SQL_PAGING
			 " = ?1 OR (?1 = 'tdp' AND h.paging IN ('ept', 'npt') AND r.paging IN "
			 "('host', 'tdp', 'ept', 'npt')))");
	} else if (!strcmp(by, "host")) {
		snprintf(q->where, sizeof(q->where),
			 "(h.hostname = ?1 OR CAST(h.id AS TEXT) = ?1 OR "
			 "h.uuid LIKE ?1 || '%%')");
	} else if (!strcmp(by, "build")) {
		snprintf(q->where, sizeof(q->where),
			 "(b.git = ?1 OR b.uuid = ?1 OR b.version = ?1)");
	} else if (!strcmp(by, "vmm_args")) { /* two values of the vmm_args axis */
		snprintf(q->key, sizeof(q->key),
			 "replace(r.params, ' vmm_args=' || r.vmm_args, '')");
		snprintf(q->where, sizeof(q->where), "r.vmm_args = ?1");
	} else if (!strcmp(by, "ioeventfd")) { /* on (left out of params) and off */
		snprintf(q->key, sizeof(q->key), "replace(r.params, ' ioeventfd=off', '')");
		snprintf(q->where, sizeof(q->where),
			 "(CASE WHEN instr(r.params, ' ioeventfd=off') THEN 'off' ELSE 'on' END) "
			 "= ?1");
	} else if (!strcmp(by, "tag")) { /* every campaign with the tag */
		snprintf(q->where, sizeof(q->where), "c.tag = ?1");
	} else if (axis >= 0) { /* the word "AXIS=VALUE" of the params */
		snprintf(q->key, sizeof(q->key),
			 "trim(replace(' ' || r.params || ' ', ' %s=' || ?1 || ' ', ' '))", by);
		snprintf(q->where, sizeof(q->where),
			 "instr(' ' || r.params || ' ', ' %s=' || ?1 || ' ') > 0", by);
		q->show_key = true;
	} else {
		return -1;
	}
	return 0;
}

/* Whether sql (one ?1) finds a row for value v. */
static bool db_has(sqlite3 *db, const char *sql, const char *v)
{
	char err[256];
	sqlite3_stmt *st = kb_db_prepare(db, sql, err, sizeof(err));
	bool found = false;

	if (st) {
		sqlite3_bind_text(st, 1, v, -1, SQLITE_TRANSIENT);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	return found;
}

/* The --by that has v as a value (a paging mode, an ioeventfd setting, a
 * host, a build, a tag, a value of an axis the runs have) and, in *what,
 * what its values are called; NULL when none has. */
static const char *suggest_by(sqlite3 *db, const char *v, const char **what)
{
	static const char *const modes[] = {"ept", "npt", "shadow", "tdp", "host"};
	static const char *const sql[][3] = {
	    {"host", "hosts", "SELECT 1 FROM hosts WHERE hostname = ?1 OR uuid = ?1"},
	    {"build", "builds", "SELECT 1 FROM builds WHERE git = ?1 OR uuid = ?1 OR version = ?1"},
	    {"tag", "tagged campaigns", "SELECT 1 FROM campaigns WHERE tag = ?1"},
	    {"vmm_args", "VMM arguments", "SELECT 1 FROM runs WHERE vmm_args = ?1 LIMIT 1"},
	};
	char q[256];

	*what = "paging modes";
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(v, modes[i]))
			return "paging";
	*what = "ioeventfd settings";
	if (!strcmp(v, "on") || !strcmp(v, "off"))
		return "ioeventfd";
	for (unsigned i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		*what = sql[i][1];
		if (db_has(db, sql[i][2], v))
			return sql[i][0];
	}
	for (int a = 0; a < KB_AX_COUNT; a++) {
		if (a == KB_AX_PAGING || a == KB_AX_VMM_ARGS || a == KB_AX_IOEVENTFD)
			continue;
		*what = kb_axis_name(a);
		snprintf(
		    q, sizeof(q),
		    "SELECT 1 FROM runs WHERE instr(' ' || params || ' ', ' %s=' || ?1 || ' ') "
		    "LIMIT 1",
		    kb_axis_name(a));
		if (db_has(db, q, v))
			return kb_axis_name(a);
	}
	return NULL;
}

/* Is mode one of modes ("npt, shadow"), or tdp and ept or npt is? */
static bool mode_in(const char *modes, const char *mode)
{
	size_t n = strlen(mode);

	if (!strcmp(mode, "tdp"))
		return mode_in(modes, "ept") || mode_in(modes, "npt");

	for (const char *m = modes; *m; m += strspn(m, ", ")) {
		size_t k = strcspn(m, ",");

		if (k == n && !strncmp(m, mode, n))
			return true;
		m += k;
	}
	return false;
}

/* s as one shell word into buf: quoted when it needs it. */
static const char *shell_word(const char *s, char *buf, size_t len)
{
	if (s[0] && !strpbrk(s, " \t'\"\\$`*?[]{}()<>|&;!#~"))
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "'%s'", s); /* a value holding a ': rare, left as it is */
	return buf;
}

/* Side bad is not a campaign (err says so): when it is a value of another
 * --by, err says how to compare by that instead. */
void kb_compare_not_a_campaign(sqlite3 *db, const struct kb_compare_opts *o, const char *bad,
			       char *err, size_t errlen)
{
	const char *what, *by = suggest_by(db, bad, &what);
	bool dash = o->baseline[0] == '-' || o->candidate[0] == '-';
	char a[256], b[256], d[300] = "", w[280];

	if (!by || err[0] != '\'')
		return; /* a selector no campaign matches: err as it is */
	shell_word(o->baseline, a, sizeof(a));
	shell_word(o->candidate, b, sizeof(b));
	if (o->db) /* the hint runs as it is pasted: on the same database */
		snprintf(d, sizeof(d), " --db %s", shell_word(o->db, w, sizeof(w)));
	if (!strcmp(by, "paging")) { /* sides named by the modes the runs ran with */
		char modes[128];

		kb_compare_known_modes(db, modes, sizeof(modes));
		if (!mode_in(modes, o->baseline) || !mode_in(modes, o->candidate) ||
		    !strcmp(o->baseline, o->candidate)) {
			snprintf(
			    err, errlen,
			    "'%s' is not a campaign; to compare paging modes, name two different "
			    "ones the runs ran with (kvmbench compare MODE MODE --by paging%s): "
			    "%s%s",
			    bad, d, modes,
			    strchr(modes, ',') ? "" : " only, so there is none to compare");
			return;
		}
	}
	if (dash) /* values starting with '-' go after "--" */
		snprintf(
		    err, errlen,
		    "'%s' is not a campaign; to compare %s: kvmbench compare --by %s%s -- %s %s",
		    bad, what, by, d, a, b);
	else
		snprintf(err, errlen,
			 "'%s' is not a campaign; to compare %s: kvmbench compare %s %s --by %s%s",
			 bad, what, a, b, by, d);
}
