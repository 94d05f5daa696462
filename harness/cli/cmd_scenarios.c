/*
 * kvmbench scenarios: the scenarios in scenarios/ with their point counts;
 * and for run and show, a scenario name checked against them (with the
 * closest name when it is a typo).
 */
#include <glob.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "exec/campaign.h"
#include "plan/scenario.h"

/* A scenario file, not qualification gates (NAME-gates.ini). */
static bool is_scenario(const char *path)
{
	size_t len = strlen(path);

	return len < 10 || strcmp(path + len - 10, "-gates.ini");
}

/* The .ini files of scenarios/ into g: 0, or -1 when there are none. */
static int scenario_files(const struct kb_env *env, glob_t *g)
{
	char pattern[1200];

	snprintf(pattern, sizeof(pattern), "%s/scenarios/*.ini", env->root);
	return glob(pattern, 0, NULL, g) ? -1 : 0;
}

int kb_scenario_check(const struct kb_cli *cli, const char *name)
{
	static char names[256][64];
	const char *ptr[256], *close = NULL;
	char path[1200];
	size_t n = 0;
	glob_t g;

	kb_scenario_path(cli->env, name, path, sizeof(path));
	if (!strcmp(path, name) || access(path, F_OK) == 0)
		return 0; /* a path of the caller's: whoever opens it says what is wrong */
	if (scenario_files(cli->env, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && n < 256; i++) {
			if (!is_scenario(g.gl_pathv[i]))
				continue;
			snprintf(names[n], sizeof(names[n]), "%s", strrchr(g.gl_pathv[i], '/') + 1);
			names[n][strlen(names[n]) - 4] = 0; /* .ini */
			ptr[n] = names[n];
			n++;
		}
		close = kb_closest(name, ptr, n);
		globfree(&g);
	}
	fprintf(stderr,
		"kvmbench %s: %s: cannot open: no such scenario (%s%s%s'kvmbench scenarios' "
		"lists them)\n",
		cli->cmd->name, path, close ? "did you mean '" : "", close ? close : "",
		close ? "'? " : "");
	return 1;
}

static int scenarios_run(void *state, const struct kb_cli *cli)
{
	char err[1024];
	glob_t g;

	(void)state;
	if (scenario_files(cli->env, &g)) {
		fprintf(stderr, "kvmbench: no scenarios in %s/scenarios\n", cli->env->root);
		return 1;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		if (!is_scenario(g.gl_pathv[i]))
			continue;
		struct kb_scenario *s = calloc(1, sizeof(*s));

		if (s &&
		    kb_scenario_load(g.gl_pathv[i], cli->env->guest_dir, s, err, sizeof(err)) == 0)
			printf("%-12s %4u points  %s\n", s->name, s->npoints, s->description);
		else
			printf("%-12s  ERROR: %s\n", strrchr(g.gl_pathv[i], '/') + 1,
			       s ? err : "out of memory");
		if (s)
			kb_scenario_free(s);
		free(s);
	}
	globfree(&g);
	return 0;
}

const struct kb_command kb_cmd_scenarios = {
    .name = "scenarios",
    .summary = "list the scenarios in scenarios/ with their point counts",
    .run = scenarios_run,
    .help = "A scenario named NAME is scenarios/NAME.ini (docs/scenario-format.md);\n"
	    "run and show also take a path.\n",
};
