/*
 * kvmbench run SCENARIO: one campaign over a scenario's points into the
 * database (exec/campaign.c does the work).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "analyze/gates.h"
#include "cli/cli.h"
#include "common/util.h"
#include "exec/campaign.h"

#define WHO "kvmbench run"

enum {
	O_DB,
	O_REPEAT,
	O_WARMUP,
	O_JOBS,
	O_SHARD,
	O_TAG,
	O_KIND,
	O_RESUME,
	O_DRY_RUN,
	O_HOST,
	O_RELOAD,
	O_VMM_ARGS,
	O_MANIFEST,
	O_OFFLINE,
	O_QUIET,
	O_PAGING_ONLY,
	O_LOGS,
	O_FORMAT,
	O_END,
};

static const struct kb_option run_opts[] = {
    [O_DB] = {"db", 0, "PATH", KB_DB_HELP},
    [O_REPEAT] = {"repeat", 0, "N", "measured runs of each point, 1-1000"},
    [O_WARMUP] = {"warmup", 0, "N", "warm-up rounds first (not measured), 0-100"},
    [O_JOBS] = {"jobs", 0, "N", "runs at a time, 1-256"},
    [O_SHARD] = {"shard", 0, "K/N", "only the K-th of N slices of the runs (merge them after)"},
    [O_TAG] = {"tag", 0, "T", "a name for the campaign (selected later as tag:T)"},
    [O_KIND] = {"kind", 0, "KIND", "bench (default), nightly or qualify (last:KIND)"},
    [O_RESUME] = {"resume", 0, NULL, "finish this scenario's interrupted campaign"},
    [O_DRY_RUN] = {"dry-run", 0, NULL,
		   "print the run plan (with --resume: what is left), run nothing"},
    [O_HOST] = {"host", 0, "WHERE", "auto (default), native or lab (QEMU TCG emulating SVM)"},
    [O_RELOAD] = {"allow-kvm-reload", 0, NULL, "reload the KVM module for a paging mode (root)"},
    [O_VMM_ARGS] = {"vmm-args", 0, "ARGS", "extra kvmbench-vmm arguments for every run"},
    [O_MANIFEST] = {"manifest", 0, "FILE", "the images' manifest (default images/manifest.ini)"},
    [O_OFFLINE] = {"offline", 0, NULL, "images from the cache only: no download"},
    [O_QUIET] = {"quiet", 0, NULL, "no progress and no closing summary"},
    [O_PAGING_ONLY] = {"paging-only", 0, "LIST",
		       "only points with these paging values (comma list)"},
    [O_LOGS] = {"logs", 0, "DIR", "run logs below DIR, not beside the database"},
    [O_FORMAT] = {"format", 0, "FMT", "text (default) or tap: TAP on stdout, the rest on stderr"},
    [O_END] = {0},
};

static void run_init(void *state)
{
	struct kb_run_opts *o = state;

	o->kind = "bench";
}

/* --shard K/N: N at most 10000, K from 1 to N. */
static int parse_shard(const char *v, unsigned *k, unsigned *n)
{
	char buf[64], why[160] = "no '/'", *slash;
	double dk, dn;

	snprintf(buf, sizeof(buf), "%s", v);
	if ((slash = strchr(buf, '/')))
		*slash++ = 0; /* buf: K, slash: N */
	if (!slash || kb_number_parse(slash, 1, 10000, KB_NUM_INT, &dn, why, sizeof(why)) ||
	    kb_number_parse(buf, 1, dn, KB_NUM_INT, &dk, why, sizeof(why))) {
		fprintf(stderr, WHO ": --shard %s: %s (want K/N, 1 <= K <= N)\n", v, why);
		return 1;
	}
	*k = (unsigned)dk;
	*n = (unsigned)dn;
	return 0;
}

static int run_option(void *state, int i, const char *v)
{
	static const char *const kinds[] = {"bench", "nightly", "qualify", NULL};
	static const char *const hosts[] = {"auto", "native", "lab", NULL};
	static const char *const formats[] = {"text", "tap", NULL};
	struct kb_run_opts *o = state;

	switch (i) {
	case O_DB: o->db = v; break;
	case O_REPEAT: return kb_option_uint(WHO, "--repeat", v, 1, 1000, &o->repeat);
	case O_WARMUP:
		o->warmup_set = true;
		return kb_option_uint(WHO, "--warmup", v, 0, 100, &o->warmup);
	case O_JOBS: return kb_option_uint(WHO, "--jobs", v, 1, 256, &o->jobs);
	case O_SHARD: return parse_shard(v, &o->shard_k, &o->shard_n);
	case O_TAG: o->tag = v; break;
	case O_KIND: o->kind = v; return kb_option_choice(WHO, "--kind", v, kinds);
	case O_RESUME: o->resume = true; break;
	case O_DRY_RUN: o->dry_run = true; break;
	case O_HOST: o->host = v; return kb_option_choice(WHO, "--host", v, hosts);
	case O_RELOAD: o->allow_reload = true; break;
	case O_VMM_ARGS: o->vmm_args = v; break;
	case O_MANIFEST: o->manifest = v; break;
	case O_OFFLINE: o->offline = true; break;
	case O_QUIET: o->quiet = true; break;
	case O_PAGING_ONLY: o->paging_only = v; break;
	case O_LOGS: o->logs = v; break;
	case O_FORMAT:
		o->tap = strcmp(v, "tap") ? NULL : stdout; /* a marker until run_run */
		return kb_option_choice(WHO, "--format", v, formats);
	}
	return 0;
}

/* --format tap: the TAP document keeps stdout; everything else the
 * campaign (and what it starts: the lab, its parts) writes there goes to
 * stderr. */
static int tap_stdout(struct kb_run_opts *o)
{
	int fd;

	fflush(stdout);
	if ((fd = dup(1)) < 0 || !(o->tap = fdopen(fd, "w")) || dup2(2, 1) < 0) {
		fprintf(stderr, WHO ": --format tap: cannot set up stdout: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

static int run_run(void *state, const struct kb_cli *cli)
{
	struct kb_run_opts *o = state;
	char err[2048];
	int rc;

	o->scenario = cli->args[0];
	if (!o->db)
		o->db = cli->db;
	if (kb_scenario_check(cli, o->scenario)) {
		if (o->tap) { /* still a TAP document, saying why there is nothing */
			printf("TAP version 13\n1..0\nBail out! scenario '");
			kb_tap_text(stdout, o->scenario);
			printf("' not found\n");
		}
		return 1;
	}
	if (o->tap && o->dry_run) {
		fprintf(stderr, WHO ": --format tap and --dry-run: the plan is text only\n");
		return 1;
	}
	if (o->tap && tap_stdout(o))
		return 1;
	rc = kb_campaign_run(cli->env, o, err, sizeof(err));
	if (rc == 1)
		fprintf(stderr, "kvmbench: %s\n", err);
	return rc;
}

const struct kb_command kb_cmd_run = {
    .name = "run",
    .summary = "run a scenario's points, repeated, into the database: a campaign",
    .args = "SCENARIO",
    .min_args = 1,
    .max_args = 1,
    .opts = run_opts,
    .state_size = sizeof(struct kb_run_opts),
    .init = run_init,
    .option = run_option,
    .run = run_run,
    .help = "SCENARIO is scenarios/SCENARIO.ini or a path.  Without --repeat, --warmup or\n"
	    "--jobs the scenario's own values hold.  Without --host a campaign goes to the\n"
	    "lab when this host has no usable KVM or lacks a paging mode it asks for;\n"
	    "--paging-only and --logs are what kvmbench passes to its part in a lab.\n"
	    "--format tap: TAP version 13 on stdout at the end, a line per point (failures\n"
	    "with their reason and logs, skips with theirs; \"Bail out!\" on an error).\n"
	    "Exit status: 0 every run passed, 1 error (a usage error too: 2 is kept for\n"
	    "failed runs, which scripts act on), 2 some runs failed, 130 interrupted\n"
	    "(finish it with --resume).\n",
    .usage_status = 1,
};
