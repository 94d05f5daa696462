/*
 * kvmbench show SCENARIO: the scenario's expanded points, each with its
 * stable key, parameters and guest command line.
 */
#include <stdlib.h>

#include "cli/cli.h"
#include "exec/campaign.h"
#include "plan/scenario.h"

static int show_run(void *state, const struct kb_cli *cli)
{
	struct kb_scenario *s;
	char path[1200], err[1024];

	(void)state;
	if (kb_scenario_check(cli, cli->args[0]))
		return 1;
	kb_scenario_path(cli->env, cli->args[0], path, sizeof(path));
	s = calloc(1, sizeof(*s));
	if (!s || kb_scenario_load(path, cli->env->guest_dir, s, err, sizeof(err))) {
		fprintf(stderr, "kvmbench: %s\n", s ? err : "out of memory");
		free(s);
		return 1;
	}
	printf("%s: %s\n%u points, %u repeats, %u warm-up, timeout %gs, jobs %u\n", s->name,
	       s->description, s->npoints, s->repeats, s->warmup, s->timeout, s->jobs);
	for (unsigned i = 0; i < s->npoints; i++)
		printf("%s  %s  [%s]\n", s->points[i].key, s->points[i].params,
		       s->points[i].cmdline);
	kb_scenario_free(s);
	free(s);
	return 0;
}

const struct kb_command kb_cmd_show = {
    .name = "show",
    .summary = "print a scenario's expanded points with their stable keys",
    .args = "SCENARIO",
    .min_args = 1,
    .max_args = 1,
    .run = show_run,
    .help = "SCENARIO is scenarios/SCENARIO.ini or a path.  Each line: the point's key\n"
	    "(the same parameters give the same key), its parameters, its guest command\n"
	    "line.\n",
};
