/*
 * Where the project's files are: found once at start (the command line)
 * and passed down to every step of a campaign and to the lab.  Nothing of
 * the harness is above it.
 */
#ifndef KB_ENV_H
#define KB_ENV_H

struct kb_env {
	char root[1024];      /* project root */
	char vmm[1200];	      /* kvmbench-vmm (KVMBENCH_VMM overrides) */
	char guest_dir[1200]; /* build/guests */
	char results[1200];   /* results/ (logs go below it) */
};

#endif
