/*
 * Scenario parsing (libinih) and matrix expansion.  See scenario.h.
 *
 * The file is read through kb_ini_parse() (inifile.h: counted, whole
 * lines; file:line in every error), which shows each line to on_line()
 * first: that is where duplicate sections are caught.  Every number goes
 * through kb_number_parse(): finite, and in the range the message names.
 */
#include "plan/scenario.h"

#include <assert.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmbench/abi.h"
#include "common/size.h"
#include "plan/axes.h"
#include "plan/scenario_parse.h"
#include "common/util.h"

const char *kb_axis_name(enum kb_axis a)
{
	assert(a < KB_AX_COUNT && kb_axes[a].name);
	return kb_axes[a].name;
}

int kb_parse_err(struct kb_parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kb_ini_verr(&p->ini, fmt, ap);
	va_end(ap);
	return 0;
}

/* Each line before libinih parses it: section headers, for duplicates. */
static void on_line(struct kb_ini *ini, const char *line)
{
	struct kb_parse *p = (struct kb_parse *)((char *)ini - offsetof(struct kb_parse, ini));
	const char *a = line + strspn(line, " \t"), *b;

	if (*a == '[' && (b = strchr(a, ']'))) {
		char name[80];

		snprintf(name, sizeof(name), "%.*s", (int)(b - a - 1), a + 1);
		for (unsigned i = 0; i < p->nsections; i++)
			if (!strcmp(p->sections[i], name))
				kb_parse_err(p, "duplicate section [%s]", name);
		if (p->nsections < 64)
			snprintf(p->sections[p->nsections++], sizeof(p->sections[0]), "%s", name);
	}
}

static char *trim(char *s)
{
	char *e;

	s += strspn(s, " \t");
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = 0;
	return s;
}

/* A whole-number setting: 1 (go on), or 0 with file:line, key and range. */
static int uint_key(struct kb_parse *p, const char *key, const char *v, unsigned lo, unsigned hi,
		    unsigned *out)
{
	double d;

	if (!kb_ini_number(&p->ini, key, v, lo, hi, KB_NUM_INT, &d))
		return 0;
	*out = (unsigned)d;
	return 1;
}

/* Check one value of an axis (kb_axes[]): 0, or -1 with the error recorded. */
static int check_value(struct kb_parse *p, enum kb_axis a, const char *v)
{
	struct kb_point blank;
	char why[512];

	if (!kb_axes[a].parse)
		return 0;
	memset(&blank, 0, sizeof(blank));
	if (!kb_axes[a].parse(v, &blank, why, sizeof(why)))
		return 0;
	kb_parse_err(p, "%s", why);
	return -1;
}

static int add_values(struct kb_parse *p, enum kb_axis a, const char *value)
{
	struct kb_scenario *s = p->s;
	char buf[2048], *save = NULL, *tok;
	const char *sep = kb_axes[a].sep ? kb_axes[a].sep : ",";

	if (s->nvalues[a])
		return kb_parse_err(p, "axis '%s' given twice", kb_axes[a].name);
	s->axis_line[a] = p->ini.line;
	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, sep, &save); tok; tok = strtok_r(NULL, sep, &save)) {
		char *v = trim(tok);

		if (!*v && !kb_axes[a].empty_ok)
			return kb_parse_err(p, "%s: empty value", kb_axes[a].name);
		if (strlen(v) >= KB_VAL_MAX)
			return kb_parse_err(p, "%s: value too long", kb_axes[a].name);
		if (s->nvalues[a] == KB_MAX_VALUES)
			return kb_parse_err(p, "%s: more than %d values", kb_axes[a].name,
					    KB_MAX_VALUES);
		if (check_value(p, a, v))
			return 0;
		for (unsigned i = 0; i < s->nvalues[a]; i++)
			if (!strcmp(s->values[a][i], v))
				return kb_parse_err(p, "%s: value '%s' listed twice",
						    kb_axes[a].name, v);
		snprintf(s->values[a][s->nvalues[a]++], KB_VAL_MAX, "%s", v);
	}
	if (!s->nvalues[a])
		return kb_parse_err(p, "%s: no values", kb_axes[a].name);
	return 1;
}

/* "unknown axis 'NAME' (axes: topology, memory, ...)". */
static int unknown_axis(struct kb_parse *p, const char *name)
{
	char axes[256];
	size_t o = 0;

	axes[0] = 0;
	for (int a = 0; a < KB_AX_COUNT && o < sizeof(axes); a++)
		o += (size_t)snprintf(axes + o, sizeof(axes) - o, "%s%s", a ? ", " : "",
				      kb_axes[a].name);
	return kb_parse_err(p, "unknown axis '%s' (axes: %s)", name, axes);
}

static int axis_by_name(const char *name)
{
	for (int a = 0; a < KB_AX_COUNT; a++)
		if (!strcmp(kb_axes[a].name, name))
			return a;
	return -1;
}

/* "axis=value axis=value" into a rule. */
static int parse_rule(struct kb_parse *p, const char *value, struct kb_rule *r)
{
	char buf[1024], *save = NULL, *tok;

	memset(r, 0, sizeof(*r));
	r->line = p->ini.line;
	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		int a;

		if (!eq)
			return kb_parse_err(p, "'%s' is not axis=value", tok);
		*eq = 0;
		if ((a = axis_by_name(tok)) < 0)
			return kb_parse_err(p, "unknown axis '%s'", tok);
		if (check_value(p, (enum kb_axis)a, eq + 1))
			return 0;
		snprintf(r->v[a], KB_VAL_MAX, "%s", eq + 1);
	}
	return 1;
}

/* Seconds a run may take (scenario and workload): at most a day. */
#define TIMEOUT_MIN 0.001
#define TIMEOUT_MAX 86400.0

static int scenario_key(struct kb_parse *p, const char *name, const char *value)
{
	struct kb_scenario *s = p->s;

	if (!strcmp(name, "name"))
		snprintf(s->name, sizeof(s->name), "%s", value);
	else if (!strcmp(name, "description"))
		snprintf(s->description, sizeof(s->description), "%s", value);
	else if (!strcmp(name, "repeats"))
		return uint_key(p, name, value, 1, 1000, &s->repeats);
	else if (!strcmp(name, "warmup"))
		return uint_key(p, name, value, 0, 100, &s->warmup);
	else if (!strcmp(name, "jobs"))
		return uint_key(p, name, value, 1, 256, &s->jobs);
	else if (!strcmp(name, "timeout"))
		return kb_ini_number(&p->ini, name, value, TIMEOUT_MIN, TIMEOUT_MAX, 0,
				     &s->timeout);
	else {
		return kb_parse_err(p, "unknown key '%s' in [scenario]", name);
	}
	return 1;
}

struct kb_workload *kb_scenario_workload(struct kb_scenario *s, const char *name)
{
	for (unsigned i = 0; i < s->nworkloads; i++)
		if (!strcmp(s->workloads[i].name, name))
			return &s->workloads[i];
	return NULL;
}

struct kb_workload *kb_scenario_new_workload(struct kb_parse *p, const char *name, int line)
{
	struct kb_scenario *s = p->s;
	struct kb_workload *w;

	if (s->nworkloads == KB_MAX_WORKLOADS)
		return kb_parse_err(p, "more than %d workloads", KB_MAX_WORKLOADS), NULL;
	w = &s->workloads[s->nworkloads++];
	snprintf(w->name, sizeof(w->name), "%s", name);
	snprintf(w->guest, sizeof(w->guest), "%s", name);
	snprintf(w->expect, sizeof(w->expect), "pass");
	w->line = line;
	return w;
}

static int workload_key(struct kb_parse *p, const char *wname, const char *name, const char *value)
{
	struct kb_scenario *s = p->s;
	struct kb_workload *w = kb_scenario_workload(s, wname);

	if (!w && !(w = kb_scenario_new_workload(p, wname, p->ini.line)))
		return 0;
	if (!strcmp(name, "guest"))
		snprintf(w->guest, sizeof(w->guest), "%s", value);
	else if (!strcmp(name, "image"))
		snprintf(w->image, sizeof(w->image), "%s", value);
	else if (!strcmp(name, "until")) {
		regex_t re;
		int bad = regcomp(&re, value, REG_EXTENDED | REG_NOSUB);

		regfree(&re);
		if (bad)
			return kb_parse_err(p, "until: '%s' is not an extended regex", value);
		snprintf(w->until, sizeof(w->until), "%s", value);
	} else if (!strcmp(name, "initrd")) {
		snprintf(w->initrd, sizeof(w->initrd), "%s", value);
	} else if (!strcmp(name, "needs")) {
		if (strcmp(value, "linux-userspace"))
			return kb_parse_err(
			    p, "needs: '%s' (the one capability is linux-userspace)", value);
		snprintf(w->needs, sizeof(w->needs), "%s", value);
	} else if (!strcmp(name, "args")) {
		snprintf(w->args, sizeof(w->args), "%s", value);
		w->args_line = p->ini.line;
	} else if (!strcmp(name, "expect")) {
		if (strcmp(value, "pass") && strcmp(value, "any"))
			return kb_parse_err(p, "expect: '%s' (want pass or any)", value);
		snprintf(w->expect, sizeof(w->expect), "%s", value);
	} else if (!strcmp(name, "timeout")) {
		return kb_ini_number(&p->ini, name, value, TIMEOUT_MIN, TIMEOUT_MAX, 0,
				     &w->timeout);
	} else {
		return kb_parse_err(p, "unknown key '%s' in [workload.%s]", name, wname);
	}
	return 1;
}

static int metric_key(struct kb_parse *p, const char *mname, const char *name, const char *value)
{
	struct kb_scenario *s = p->s;
	struct kb_metric_def *m = NULL;

	for (unsigned i = 0; i < s->nmetric_defs; i++)
		if (!strcmp(s->metric_defs[i].name, mname))
			m = &s->metric_defs[i];
	if (!m) {
		if (s->nmetric_defs == KB_MAX_METRIC_DEFS)
			return kb_parse_err(p, "more than %d [metric.*] sections",
					    KB_MAX_METRIC_DEFS);
		m = &s->metric_defs[s->nmetric_defs++];
		snprintf(m->name, sizeof(m->name), "%s", mname);
		m->direction = 2; /* unset: from the unit */
		m->threshold = -1;
		m->line = p->ini.line;
	}
	if (!strcmp(name, "direction")) {
		if (!strcmp(value, "lower"))
			m->direction = -1;
		else if (!strcmp(value, "higher"))
			m->direction = 1;
		else if (!strcmp(value, "none"))
			m->direction = 0;
		else
			return kb_parse_err(p, "direction: '%s' (want lower, higher or none)",
					    value);
	} else if (!strcmp(name, "threshold")) {
		return kb_ini_number(&p->ini, name, value, 0, 10, KB_NUM_PERCENT, &m->threshold);
	} else {
		return kb_parse_err(p, "unknown key '%s' in [metric.%s] (direction, threshold)",
				    name, mname);
	}
	return 1;
}

int kb_metric_default_direction(const char *unit)
{
	size_t n = unit ? strlen(unit) : 0;

	if (!n)
		return 0;
	if (n > 2 && !strcmp(unit + n - 2, "/s"))
		return 1;
	if (!strcmp(unit, "cycles") || !strcmp(unit, "ns") || !strcmp(unit, "us") ||
	    !strcmp(unit, "ms") || !strcmp(unit, "s") || !strncmp(unit, "exits", 5))
		return -1;
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct kb_parse *p = user;
	struct kb_scenario *s = p->s;
	int a;

	if (p->ini.failed)
		return 0;
	if (!strcmp(section, "scenario"))
		return scenario_key(p, name, value);
	if (!strcmp(section, "matrix")) {
		if ((a = axis_by_name(name)) < 0)
			return unknown_axis(p, name);
		return add_values(p, (enum kb_axis)a, value);
	}
	if (!strncmp(section, "workload.", 9) && section[9])
		return workload_key(p, section + 9, name, value);
	if (!strncmp(section, "metric.", 7) && section[7])
		return metric_key(p, section + 7, name, value);
	if (!strcmp(section, "exclude") || !strcmp(section, "include")) {
		int inc = section[0] == 'i';
		unsigned *n = inc ? &s->nincludes : &s->nexcludes;

		if (strcmp(name, inc ? "point" : "rule"))
			return kb_parse_err(p, "[%s] takes '%s = axis=value ...', not '%s'",
					    section, inc ? "point" : "rule", name);
		if (*n == KB_MAX_RULES)
			return kb_parse_err(p, "more than %d %s lines", KB_MAX_RULES, name);
		return parse_rule(p, value, inc ? &s->includes[(*n)++] : &s->excludes[(*n)++]);
	}
	return kb_parse_err(p, "unknown section [%s]", section);
}

int kb_scenario_load(const char *path, const char *guest_dir, struct kb_scenario *s, char *err,
		     size_t errlen)
{
	struct kb_parse p = {.s = s, .ini = {.err = err, .errlen = errlen, .on_line = on_line}};
	const char *base;

	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->repeats = 3;
	s->warmup = 1;
	s->jobs = 1;
	s->timeout = 60;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	snprintf(s->name, sizeof(s->name), "%.*s", (int)strcspn(base, "."), base);
	if (kb_ini_parse(&p.ini, s->path, handler, &p))
		return -1;
	if (!guest_dir)
		return 0; /* parse only: settings and [metric.*] */
	if (kb_scenario_check_workloads(&p, guest_dir) || kb_scenario_expand(&p, guest_dir)) {
		kb_scenario_free(s);
		return -1;
	}
	return 0;
}

void kb_scenario_free(struct kb_scenario *s)
{
	free(s->points);
	s->points = NULL;
	s->npoints = 0;
}
