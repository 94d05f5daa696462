/*
 * Internals shared by the scenario parser (scenario.c) and the matrix
 * expansion (expand.c).  Not for other modules.
 */
#ifndef KB_SCENARIO_PARSE_H
#define KB_SCENARIO_PARSE_H

#include "common/inifile.h"
#include "plan/scenario.h"

struct kb_parse {
	struct kb_scenario *s;
	struct kb_ini ini; /* the file, its line and the first error */
	char sections[64][80];
	unsigned nsections;
};

/* Record "file:line: message" unless an error is recorded; returns 0 (the
 * libinih handler's "stop" value). */
int kb_parse_err(struct kb_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The scenario's workload name, or NULL. */
struct kb_workload *kb_scenario_workload(struct kb_scenario *s, const char *name);
/* A new workload name (guest name, expect pass) first seen at line: NULL
 * with the error recorded when there are too many. */
struct kb_workload *kb_scenario_new_workload(struct kb_parse *p, const char *name, int line);
int kb_scenario_check_workloads(struct kb_parse *p, const char *guest_dir);
int kb_scenario_expand(struct kb_parse *p, const char *guest_dir);

#endif
