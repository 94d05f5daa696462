/*
 * kvmbench: the harness.  Parses the command line, finds the project
 * (its scenarios, the VMM, the guests) and dispatches to the subcommands.
 * Only main() exits.
 */
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec/campaign.h"
#include "analyze/compare.h"
#include "images/fetch.h"
#include "images/manifest.h"
#include "analyze/gates.h"
#include "report/render.h"
#include "store/db.h"
#include "store/ingest.h"
#include "exec/lab.h"
#include "common/host.h"
#include "analyze/summary.h"
#include "store/merge.h"
#include "exec/runner.h"
#include "plan/scenario.h"
#include "common/util.h"

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: kvmbench COMMAND [options]\n"
	       "  run SCENARIO [--repeat N] [--warmup N] [--jobs N] [--shard K/N] [--tag T]\n"
	       "               [--db PATH]\n"
	       "               [--kind bench|nightly|qualify] [--resume] [--dry-run]\n"
	       "               [--allow-kvm-reload] [--vmm-args ARGS] [--quiet]\n"
	       "               [--host auto|native|lab]   lab: QEMU TCG emulating SVM (auto:\n"
	       "               when this host has no usable KVM or lacks a paging mode)\n"
	       "  scenarios                      list the scenarios in scenarios/\n"
	       "  show SCENARIO                  print the expanded points\n"
	       "  list [--db PATH]               list campaigns\n"
	       "  summary CAMPAIGN [--db PATH]   per point: median, min, max, CV, exits\n"
	       "  merge A.db B.db ... -o ALL.db  union databases, no duplicates; merging again\n"
	       "                                 adds the runs the sources gained since\n"
	       "  migrate [--db PATH]            upgrade an older database's schema in place\n"
	       "                                 (commands that only read never write it)\n"
	       "  compare BASELINE CANDIDATE [--by campaign|paging|host|build]\n"
	       "          [--threshold 5%%] [--format text|json|csv] [--scenario FILE]\n"
	       "          [--campaign N]... [--mixed-hosts]   exit 10 when something regressed\n"
	       "  report [CAMPAIGN...] [--out DIR] [--name NAME] [--png] [--format text|json|csv]\n"
	       "  gates CAMPAIGN --gates FILE [--junit FILE]   release qualification\n"
	       "  images [--manifest FILE]       the manifest's images: cached, missing, corrupt\n"
	       "  fetch [IMAGE...] [--manifest FILE] [--offline]   download into the cache\n"
	       "  host                           this host's kind, KVM module, paging; exit 3\n"
	       "                                 when /dev/kvm is not usable here\n"
	       "  lab [--npt on|off] [--smp N] [--mem MIB] [--timeout S] [--quiet] [-- CMD...]\n"
	       "                                 run CMD (or a shell) in the lab: QEMU TCG\n"
	       "                                 emulating SVM, kvm_amd inside\n"
	       "Campaigns: an id, tag:T, last:KIND or prev:KIND.\n"
	       "Default database: results/kvmbench.db.  Exit status: 0 ok, 1 error,\n"
	       "2 some runs failed, 10 regression or failed gate, 130 interrupted\n"
	       "(resume with --resume).\n");
}

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

static int parse_count(const char *opt, const char *v, unsigned lo, unsigned max, unsigned *out)
{
	double d;

	if (kb_number_arg("kvmbench", opt, v, lo, max, KB_NUM_INT, &d))
		return -1;
	*out = (unsigned)d;
	return 0;
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
		fprintf(stderr, "kvmbench: --shard %s: %s (want K/N, 1 <= K <= N)\n", v, why);
		return -1;
	}
	*k = (unsigned)dk;
	*n = (unsigned)dn;
	return 0;
}

enum {
	O_DB = 256,
	O_REPEAT,
	O_JOBS,
	O_SHARD,
	O_TAG,
	O_RESUME,
	O_DRY,
	O_KIND,
	O_RELOAD,
	O_QUIET,
	O_VMM_ARGS,
	O_BY,
	O_FORMAT,
	O_OUT,
	O_THRESHOLD,
	O_SCENARIO,
	O_CAMPAIGN,
	O_PNG,
	O_NAME,
	O_GATES,
	O_JUNIT,
	O_MANIFEST,
	O_OFFLINE,
	O_HOST,
	O_PAGING_ONLY,
	O_LOGS,
	O_MIXED,
	O_WARMUP,
};

static const struct option long_opts[] = {
    {"db", required_argument, 0, O_DB},
    {"repeat", required_argument, 0, O_REPEAT},
    {"jobs", required_argument, 0, O_JOBS},
    {"shard", required_argument, 0, O_SHARD},
    {"tag", required_argument, 0, O_TAG},
    {"resume", no_argument, 0, O_RESUME},
    {"dry-run", no_argument, 0, O_DRY},
    {"kind", required_argument, 0, O_KIND},
    {"allow-kvm-reload", no_argument, 0, O_RELOAD},
    {"quiet", no_argument, 0, O_QUIET},
    {"vmm-args", required_argument, 0, O_VMM_ARGS},
    {"by", required_argument, 0, O_BY},
    {"format", required_argument, 0, O_FORMAT},
    {"out", required_argument, 0, O_OUT},
    {"threshold", required_argument, 0, O_THRESHOLD},
    {"scenario", required_argument, 0, O_SCENARIO},
    {"campaign", required_argument, 0, O_CAMPAIGN},
    {"png", no_argument, 0, O_PNG},
    {"name", required_argument, 0, O_NAME},
    {"gates", required_argument, 0, O_GATES},
    {"junit", required_argument, 0, O_JUNIT},
    {"manifest", required_argument, 0, O_MANIFEST},
    {"offline", no_argument, 0, O_OFFLINE},
    {"host", required_argument, 0, O_HOST},
    {"paging-only", required_argument, 0, O_PAGING_ONLY},
    {"logs", required_argument, 0, O_LOGS},
    {"mixed-hosts", no_argument, 0, O_MIXED},
    {"warmup", required_argument, 0, O_WARMUP},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static int cmd_scenarios(const struct kb_env *env)
{
	char pattern[1200], err[1024];
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/scenarios/*.ini", env->root);
	if (glob(pattern, 0, NULL, &g)) {
		fprintf(stderr, "kvmbench: no scenarios in %s/scenarios\n", env->root);
		return 1;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		size_t len = strlen(g.gl_pathv[i]);

		if (len > 10 && !strcmp(g.gl_pathv[i] + len - 10, "-gates.ini"))
			continue; /* qualification gates, not a scenario */
		struct kb_scenario *s = calloc(1, sizeof(*s));

		if (s && kb_scenario_load(g.gl_pathv[i], env->guest_dir, s, err, sizeof(err)) == 0)
			printf("%-12s %4u points  %s\n", s->name, s->npoints, s->description);
		else
			printf("%-12s  ERROR: %s\n", strrchr(g.gl_pathv[i], '/') + 1, err);
		if (s)
			kb_scenario_free(s);
		free(s);
	}
	globfree(&g);
	return 0;
}

static int cmd_show(const struct kb_env *env, const char *name)
{
	struct kb_scenario *s = calloc(1, sizeof(*s));
	char path[1200], err[1024];

	kb_scenario_path(env, name, path, sizeof(path));
	if (!s || kb_scenario_load(path, env->guest_dir, s, err, sizeof(err))) {
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

/*
 * ingest-bench STATS.json N: ingest the same stats N times into a scratch
 * campaign of --db and print rows per second (make bench-harness).
 */
static int cmd_ingest_bench(const char *db_path, const char *stats, const char *count)
{
	static struct kb_point pt = {.key = "0000000000000000", .params = "ingest-bench"};
	struct kb_workload wl = {.name = "bench", .guest = "bench", .expect = "pass"};
	sqlite3 *db;
	struct kb_ingest *in;
	char err[1024];
	long n, rows = 0;
	double d;
	struct timespec a, b;

	pt.wl = &wl;
	if (kb_number_arg("kvmbench", "ingest-bench", count, 1, 1e7, KB_NUM_INT, &d))
		return 1;
	n = (long)d;
	if (kb_db_open(db_path, true, true, &db, err, sizeof(err)) ||
	    kb_db_exec(db,
		       "INSERT OR IGNORE INTO hosts (id, uuid) VALUES (1, 'ingest-bench');"
		       "INSERT INTO campaigns (uuid, scenario, host_id, started, state) VALUES "
		       "(hex(randomblob(16)), 'ingest-bench', 1, 'now', 'done')",
		       err, sizeof(err)) ||
	    !(in = kb_ingest_new(db, err, sizeof(err)))) {
		fprintf(stderr, "kvmbench: ingest-bench: %s\n", err);
		return 1;
	}
	int64_t campaign = sqlite3_last_insert_rowid(db);

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		struct kb_run_rec r = {.campaign_id = campaign,
				       .pt = &pt,
				       .seq = (unsigned)i,
				       .repeat = (unsigned)i,
				       .exit_code = 0};
		long k = kb_ingest_run(in, &r, stats, err, sizeof(err));

		if (k < 0 || strcmp(r.status, "pass")) {
			fprintf(stderr, "kvmbench: ingest-bench: %s\n", k < 0 ? err : r.reason);
			return 1;
		}
		rows += k;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;

	printf("%ld runs, %ld rows in %.3f s: %.0f rows/s, %.3f ms per run\n", n, rows, secs,
	       (double)rows / secs, secs * 1e3 / (double)n);
	kb_ingest_free(in);
	kb_db_close(db);
	return 0;
}

/*
 * images: the manifest with each image's state.  fetch [NAME...]: bring
 * the named images (or all) into the cache.
 */
static int cmd_images(const struct kb_env *env, const char *manifest, bool offline, bool fetch,
		      char **names, int nnames)
{
	static struct kb_manifest m;
	struct kb_fetch_opts fo;
	char path[1300], err[2048], mpath[1200];
	int failed = 0;

	snprintf(mpath, sizeof(mpath), "%s", manifest ? manifest : "");
	if (!manifest)
		snprintf(mpath, sizeof(mpath), "%s/images/manifest.ini", env->root);
	if (kb_manifest_load(mpath, &m, err, sizeof(err))) {
		fprintf(stderr, "kvmbench: %s\n", err);
		return 1;
	}
	for (int i = 0; i < nnames; i++)
		if (!kb_manifest_find(&m, names[i])) {
			fprintf(stderr, "kvmbench: %s: no image '%s'\n", mpath, names[i]);
			return 1;
		}
	if (kb_fetch_defaults(&fo, env->root, err, sizeof(err))) {
		fprintf(stderr, "kvmbench: %s\n", err);
		return 1;
	}
	fo.offline = offline;
	for (unsigned i = 0; i < m.n; i++) {
		const struct kb_image_entry *e = &m.img[i];
		bool wanted = !nnames;

		for (int k = 0; k < nnames; k++)
			wanted |= !strcmp(names[k], e->name);
		if (!wanted)
			continue;
		if (!fetch) {
			static const char *const word[] = {"cached", "missing", "corrupt"};

			printf("%-24s %-7s %-8s %s\n", e->name, e->kind,
			       word[kb_image_state(e, fo.cache, path, sizeof(path))],
			       e->url[0] ? e->url : e->apt);
			continue;
		}
		if (kb_fetch_image(e, &fo, path, sizeof(path), err, sizeof(err))) {
			fprintf(stderr, "kvmbench: %s\n", err);
			failed++;
		} else {
			printf("%s %s\n", e->name, path);
		}
	}
	return failed ? 1 : 0;
}

/* migrate: bring --db to this build's schema (readers refuse older ones). */
static int cmd_migrate(const char *db)
{
	char err[1024];
	int from;

	if (kb_db_migrate(db, &from, err, sizeof(err))) {
		fprintf(stderr, "kvmbench: %s\n", err);
		return 1;
	}
	if (from == KB_DB_SCHEMA)
		printf("%s: schema version %d already\n", db, from);
	else
		printf("%s: schema version %d to %d\n", db, from, KB_DB_SCHEMA);
	return 0;
}

/* host: what kvmbench-vmm would record here, and whether KVM is usable. */
static int cmd_host(void)
{
	struct kb_host h;
	const char *why = kb_kvm_unusable(), *qemu = kb_lab_qemu_missing();

	kb_host_detect(&h);
	printf("kind          %s%s\nkvm_module    %s\npaging        %s\ncpu           %s\n"
	       "kernel        %s\nkvm           %s\nlab           %s\n",
	       h.kind, h.emulated ? " (timings emulated)" : "", h.kvm_module, h.paging, h.cpu_model,
	       h.kernel, why ? why : "usable", qemu ? qemu : "available");
	return why ? 3 : 0;
}

int main(int argc, char **argv)
{
	struct kb_env env;
	struct kb_run_opts o = {.kind = "bench"};
	struct kb_compare_opts co = {.threshold = 0.05};
	struct kb_report_opts ro = {0};
	const char *gates_file = NULL, *junit = NULL, *manifest = NULL;
	bool offline = false;
	char db[1300], err[2048], *out = NULL;
	int c;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	find_env(&env);
	snprintf(db, sizeof(db), "%s/kvmbench.db", env.results);
	const char *cmd = argv[1];

	if (!strcmp(cmd, "lab")) /* its own options; the rest is the command */
		return kb_lab_main(&env, argc - 2, argv + 2);
	if (!strcmp(cmd, "host") && argc == 2)
		return cmd_host();

	optind = 2;
	while ((c = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
		switch (c) {
		case O_DB: snprintf(db, sizeof(db), "%s", optarg); break;
		case O_REPEAT:
			if (parse_count("--repeat", optarg, 1, 1000, &o.repeat))
				return 1;
			break;
		case O_JOBS:
			if (parse_count("--jobs", optarg, 1, 256, &o.jobs))
				return 1;
			break;
		case O_SHARD:
			if (parse_shard(optarg, &o.shard_k, &o.shard_n))
				return 1;
			break;
		case O_TAG: o.tag = optarg; break;
		case O_RESUME: o.resume = true; break;
		case O_DRY: o.dry_run = true; break;
		case O_KIND:
			if (strcmp(optarg, "bench") && strcmp(optarg, "nightly") &&
			    strcmp(optarg, "qualify")) {
				fprintf(stderr,
					"kvmbench: --kind %s: want bench, nightly or qualify\n",
					optarg);
				return 1;
			}
			o.kind = optarg;
			break;
		case O_RELOAD: o.allow_reload = true; break;
		case O_QUIET: o.quiet = true; break;
		case O_VMM_ARGS: o.vmm_args = optarg; break;
		case O_BY: co.by = optarg; break;
		case O_FORMAT: co.format = ro.format = optarg; break;
		case O_OUT: ro.out = optarg; break;
		case O_GATES: gates_file = optarg; break;
		case O_JUNIT: junit = optarg; break;
		case O_MANIFEST: manifest = o.manifest = optarg; break;
		case O_OFFLINE: offline = o.offline = true; break;
		case O_HOST:
			if (strcmp(optarg, "auto") && strcmp(optarg, "native") &&
			    strcmp(optarg, "lab")) {
				fprintf(stderr, "kvmbench: --host %s: want auto, native or lab\n",
					optarg);
				return 1;
			}
			o.host = optarg;
			break;
		case O_PAGING_ONLY: o.paging_only = optarg; break;
		case O_LOGS: o.logs = optarg; break;
		case O_MIXED: co.mixed_hosts = true; break;
		case O_WARMUP:
			if (parse_count("--warmup", optarg, 0, 100, &o.warmup))
				return 1;
			o.warmup_set = true;
			break;
		case O_NAME: ro.name = optarg; break;
		case O_PNG: ro.png = true; break;
		case O_SCENARIO: co.scenario = optarg; break;
		case O_THRESHOLD:
			if (kb_number_arg("kvmbench", "--threshold", optarg, 0.0001, 10,
					  KB_NUM_PERCENT, &co.threshold))
				return 1;
			break;
		case O_CAMPAIGN: {
			double id;

			if (kb_number_arg("kvmbench", "--campaign", optarg, 1, 1e15, KB_NUM_INT,
					  &id))
				return 1;
			if (co.ncampaigns == 64) {
				fprintf(stderr, "kvmbench: --campaign: at most 64\n");
				return 1;
			}
			co.campaigns[co.ncampaigns++] = (int64_t)id;
			break;
		}
		case 'o': out = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	o.db = db;
	int nargs = argc - optind;
	char **args = argv + optind;
	int rc = 0;

	if (!strcmp(cmd, "run") && nargs == 1) {
		o.scenario = args[0];
		rc = kb_campaign_run(&env, &o, err, sizeof(err));
		if (rc == 1)
			fprintf(stderr, "kvmbench: %s\n", err);
		return rc;
	}
	if (!strcmp(cmd, "ingest-bench") && nargs == 2)
		return cmd_ingest_bench(db, args[0], args[1]);
	if (!strcmp(cmd, "migrate") && nargs == 0)
		return cmd_migrate(db);
	if (!strcmp(cmd, "scenarios") && nargs == 0)
		return cmd_scenarios(&env);
	if (!strcmp(cmd, "show") && nargs == 1)
		return cmd_show(&env, args[0]);
	if (!strcmp(cmd, "compare") && nargs == 2) {
		co.db = db;
		co.baseline = args[0];
		co.candidate = args[1];
		rc = kb_compare(&co, stdout, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "kvmbench: %s\n", err);
		return rc < 0 ? 1 : rc;
	}
	if (!strcmp(cmd, "fetch") || (!strcmp(cmd, "images") && nargs == 0))
		return cmd_images(&env, manifest, offline, !strcmp(cmd, "fetch"), args, nargs);
	if (!strcmp(cmd, "gates") && nargs == 1) {
		if (!gates_file) {
			fprintf(stderr, "kvmbench: gates needs --gates FILE\n");
			return 1;
		}
		rc = kb_gates(db, args[0], gates_file, junit, stdout, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "kvmbench: %s\n", err);
		return rc < 0 ? 1 : rc;
	}
	if (!strcmp(cmd, "report")) {
		ro.db = db;
		ro.root = env.root;
		ro.campaigns = args;
		ro.ncampaigns = nargs;
		rc = kb_report(&ro, stdout, err, sizeof(err));
		if (rc)
			fprintf(stderr, "kvmbench: %s\n", err);
		return rc ? 1 : 0;
	}
	if (!strcmp(cmd, "list") && nargs == 0)
		rc = kb_list(db, stdout, err, sizeof(err));
	else if (!strcmp(cmd, "summary") && nargs == 1)
		rc = kb_summary(db, args[0], stdout, err, sizeof(err));
	else if (!strcmp(cmd, "merge") && nargs >= 1 && out)
		rc = kb_merge(out, args, nargs, err, sizeof(err));
	else {
		fprintf(stderr,
			"kvmbench: '%s' with %d argument%s: not a command (see kvmbench "
			"--help)\n",
			cmd, nargs, nargs == 1 ? "" : "s");
		return 1;
	}
	if (rc)
		fprintf(stderr, "kvmbench: %s\n", err);
	return rc ? 1 : 0;
}
