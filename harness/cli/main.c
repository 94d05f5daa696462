/*
 * kvmbench: the harness.  Finds the project (its scenarios, the VMM, the
 * guests), takes the few global options (--help, --version) and hands the
 * rest of the command line to the subcommand (commands.c), which parses
 * its own options.  Only main() exits.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* The project root: KVMBENCH_ROOT, else the directory above build/. */
static void find_env(struct kb_env *env)
{
	const char *root = getenv("KVMBENCH_ROOT"), *vmm = getenv("KVMBENCH_VMM");
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (root) {
		snprintf(env->root, sizeof(env->root), "%s", root);
	} else if (n > 0) {
		exe[n] = 0;
		for (int up = 0; up < 2; up++)
			*strrchr(exe, '/') = 0; /* .../build/kvmbench -> ... */
		snprintf(env->root, sizeof(env->root), "%s", exe);
	} else {
		snprintf(env->root, sizeof(env->root), ".");
	}
	snprintf(env->vmm, sizeof(env->vmm), "%s", vmm ? vmm : "");
	if (!vmm)
		snprintf(env->vmm, sizeof(env->vmm), "%s/build/kvmbench-vmm", env->root);
	snprintf(env->guest_dir, sizeof(env->guest_dir), "%s/build/guests", env->root);
	snprintf(env->results, sizeof(env->results), "%s/results", env->root);
}

int main(int argc, char **argv)
{
	static struct kb_env env;
	const struct kb_command *c;
	char db[1300];

	if (argc < 2) {
		kb_commands_help(stderr);
		return KB_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		kb_commands_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		kb_version(stdout);
		return 0;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr,
			"kvmbench: %s: not a global option: options go after the command; "
			"try 'kvmbench --help'\n",
			argv[1]);
		return KB_EXIT_USAGE;
	}
	if (!(c = kb_command_find(argv[1])))
		return kb_unknown_command(argv[1]);
	find_env(&env);
	snprintf(db, sizeof(db), "%s/kvmbench.db", env.results);
	return kb_command_main(c, &env, db, argc - 1, argv + 1);
}
