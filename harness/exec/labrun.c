/*
 * Campaigns in the lab: `kvmbench run SCENARIO --host lab`, or by itself
 * where this host has no usable KVM or cannot give a paging mode the
 * scenario asks for (see lab.h for the lab itself).
 *
 * The points are split by the paging mode they need: shadow points run in
 * a lab booted with kvm_amd npt=0, all others in one with npt=1 (ept points
 * are recorded there as skipped: the lab is AMD).  In each lab the same
 * kvmbench runs its part (--paging-only) into a database on the lab's
 * tmpfs (SQLite's WAL needs shared memory that 9p does not give), with its
 * logs on the real machine, and copies the database out with VACUUM INTO;
 * here it is merged into --db.  So each part is a campaign of its own,
 * recorded with its own host (kind lab, paging npt or shadow, timings
 * emulated), and both sides of a paging comparison come from lab hosts.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/campaign.h"
#include "store/db.h"
#include "common/host.h"
#include "exec/lab.h"
#include "exec/labrun.h"
#include "exec/paging.h"
#include "store/merge.h"
#include "common/proc.h"
#include "common/util.h"

/* the paging values an npt=1 lab runs (ept points are recorded as skips) */
#define NPT_PAGING "host,ept,npt,tdp"

const char *kb_lab_reason(const struct kb_scenario *sc, const struct kb_run_opts *o, char *buf,
			  size_t len)
{
	struct kb_host h;
	const char *why;

	if (o->host && !strcmp(o->host, "native"))
		return NULL;
	if (o->host && !strcmp(o->host, "lab"))
		return "--host lab";
	kb_host_detect(&h);
	if (!strcmp(h.kind, "lab"))
		return NULL; /* already in one */
	if ((why = kb_kvm_unusable())) {
		snprintf(buf, len, "no usable KVM here (%s)", why);
		return buf;
	}
	for (unsigned i = 0; i < sc->npoints; i++) {
		const char *v = sc->points[i].v[KB_AX_PAGING];
		char need[16], no[256];

		if (kb_needs_decide(sc->points[i].wl->needs, h.kvm_module, no, sizeof(no))) {
			snprintf(buf, len, "this host (%s) cannot give needs=%s", h.kvm_module,
				 sc->points[i].wl->needs);
			return buf;
		}
		if (strcmp(v, "npt") && strcmp(v, "tdp") && strcmp(v, "shadow"))
			continue; /* host: here; ept: no lab gives it either */
		if (kb_paging_decide(v, h.kvm_module, h.paging, o->allow_reload, need, sizeof(need),
				     no, sizeof(no))) {
			snprintf(buf, len, "this host (%s, %s) cannot give paging=%s", h.kvm_module,
				 h.paging, v);
			return buf;
		}
	}
	return NULL;
}

/* Where the lab's runs keep their logs: beside --db when the lab can write
 * there (the project tree), else the project's results/logs. */
static void logs_dir(const char *root, const char *db, char *out, size_t len)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(db, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - db) : 1, slash ? db : ".");
	if (realpath(dir, real) && !strncmp(real, root, strlen(root)) &&
	    (real[strlen(root)] == '/' || !real[strlen(root)]))
		snprintf(out, len, "%s/logs", real);
	else
		snprintf(out, len, "%s/results/logs", root);
}

/* The inner kvmbench run's arguments, after "run SCENARIO". */
static int inner_argv(const struct kb_run_opts *o, const char *only, const char *logs, char **av,
		      int max, char *num, size_t nlen)
{
	int n = 0;
#define ARG(x)                         \
	do {                           \
		if (n + 1 >= max)      \
			return -1;     \
		av[n++] = (char *)(x); \
	} while (0)
	ARG("--host");
	ARG("native");
	ARG("--offline"); /* the lab has no network: the images were fetched here */
	ARG("--paging-only");
	ARG(only);
	ARG("--logs");
	ARG(logs);
	if (o->repeat) {
		snprintf(num, nlen, "%u", o->repeat);
		ARG("--repeat");
		ARG(num);
	}
	if (o->warmup_set) {
		snprintf(num + 96, nlen - 96, "%u", o->warmup);
		ARG("--warmup");
		ARG(num + 96);
	}
	if (o->jobs) {
		snprintf(num + 32, nlen - 32, "%u", o->jobs);
		ARG("--jobs");
		ARG(num + 32);
	}
	if (o->shard_n) {
		snprintf(num + 64, nlen - 64, "%u/%u", o->shard_k, o->shard_n);
		ARG("--shard");
		ARG(num + 64);
	}
	if (o->tag) {
		ARG("--tag");
		ARG(o->tag);
	}
	if (o->kind) {
		ARG("--kind");
		ARG(o->kind);
	}
	if (o->vmm_args) {
		ARG("--vmm-args");
		ARG(o->vmm_args);
	}
	if (o->manifest) { /* absolute: the lab's run starts in the project root */
		static char man[PATH_MAX];

		ARG("--manifest");
		ARG(realpath(o->manifest, man) ? man : o->manifest);
	}
	if (o->quiet)
		ARG("--quiet");
	av[n] = NULL;
#undef ARG
	return 0;
}

/* The id --db gave the part's campaign when it was merged. */
static long long merged_id(const char *db_path, const char *part)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char err[512];
	long long id = -1;

	if (kb_db_open(db_path, false, false, &db, err, sizeof(err)))
		return -1;
	st = kb_db_prepare(db, "ATTACH DATABASE ? AS part", err, sizeof(err));
	if (st) {
		sqlite3_bind_text(st, 1, part, -1, SQLITE_TRANSIENT);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	st = kb_db_prepare(db,
			   "SELECT max(c.id) FROM main.campaigns c JOIN part.campaigns p ON "
			   "p.uuid = c.uuid",
			   err, sizeof(err));
	if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	kb_db_close(db);
	return id;
}

/* A part whose kvmbench died in the lab still says running: it is not. */
static void settle(const char *db_path, long long id)
{
	sqlite3 *db;
	char sql[200], err[256];

	if (id <= 0 || kb_db_open(db_path, false, true, &db, err, sizeof(err)))
		return;
	snprintf(sql, sizeof(sql),
		 "UPDATE campaigns SET state = 'failed', pid = NULL WHERE id = %lld AND "
		 "state = 'running'",
		 id);
	kb_db_exec(db, sql, err, sizeof(err));
	kb_db_close(db);
}

/* Mark the parts as one run's (summary and report show them together). */
static int group_parts(const char *db_path, const long long ids[2], char *err, size_t errlen)
{
	sqlite3 *db;
	char sql[256];

	if (kb_db_open(db_path, false, true, &db, err, errlen))
		return -1;
	snprintf(sql, sizeof(sql),
		 "UPDATE campaigns SET run_group = (SELECT uuid FROM campaigns WHERE id = %lld) "
		 "WHERE id IN (%lld, %lld)",
		 ids[1], ids[0], ids[1]);
	int rc = kb_db_exec(db, sql, err, errlen);

	kb_db_close(db);
	return rc;
}

/* One lab boot for one part; its exit status, -1 when the lab failed. */
static int run_part(const struct kb_env *env, const struct kb_run_opts *o, const char *scenario,
		    int npt, const char *only, const char *logs, const char *part, double budget,
		    char *err, size_t errlen)
{
	static const char script[] =
	    "db=/tmp/kvmbench-lab.db; \"$0\" run \"$@\" --db \"$db\"; rc=$?; "
	    "[ -f \"$db\" ] || exit $rc; "
	    "sqlite3 \"$db\" \"VACUUM INTO '$KVMBENCH_LAB_PART'\" || rc=1; exit $rc";
	char kb[1200], num[128], *av[48] = {"sh", "-c", (char *)script, kb, "run"};
	struct kb_lab_opts lo = {.npt = npt, .quiet = o->quiet};
	double tmo;

	snprintf(kb, sizeof(kb), "%s/build/kvmbench", env->root);
	av[4] = (char *)scenario;
	if (inner_argv(o, only, logs, av + 5, 43, num, sizeof(num))) {
		snprintf(err, errlen, "lab: too many options");
		return -1;
	}
	/* a hung lab ends: every run at its timeout, plus the boot, unless said */
	if (kb_env_number("KVMBENCH_LAB_TIMEOUT", 1, 30 * 86400, 0, budget, &tmo, err, errlen))
		return -1;
	lo.timeout = tmo;
	setenv("KVMBENCH_LAB_PART", part, 1);
	/* Inside, kvmbench is root and gives each run's directory to the VMMs'
	 * user (-runas); the tree is QEMU's 9p, which ignores chown (security
	 * model none) unless QEMU is root: otherwise the lab's VMMs keep root,
	 * confined by the lab machine itself. */
	if (geteuid() != 0)
		setenv("KVMBENCH_VMM_USER", "root", 1);
	int st = kb_lab_run(env, &lo, av, err, errlen);

	unsetenv("KVMBENCH_LAB_PART");
	kb_lab_done(&lo);
	return st;
}

int kb_lab_campaign(const struct kb_env *env, const struct kb_run_opts *o,
		    const struct kb_scenario *sc, const char *why, char *err, size_t errlen)
{
	char root[PATH_MAX], scen[PATH_MAX], logs[PATH_MAX + 8], parts[PATH_MAX],
	    part[PATH_MAX + 16];
	bool want[2] = {false, false}; /* [npt] */
	long long ids[2] = {-1, -1};
	int code = 0;
	bool keep = false; /* a part that could not be merged stays for the user */

	/* a lab only for a part that has points (in this shard) */
	for (int npt = 0; npt < 2; npt++) {
		struct kb_run_opts part_opts = *o;
		struct kb_plan plan;

		part_opts.paging_only = npt ? NPT_PAGING : "shadow";
		if (kb_plan_make(sc, &part_opts, &plan, err, errlen))
			return 1;
		want[npt] = plan.npoints > 0;
		kb_plan_free(&plan);
	}
	double budget = 600 + (double)sc->npoints *
				  ((o->repeat ? o->repeat : sc->repeats) +
				   (o->warmup_set ? o->warmup : sc->warmup)) *
				  (sc->timeout > 0 ? sc->timeout : 120);
	if (!realpath(env->root, root) || !realpath(sc->path, scen)) {
		snprintf(err, errlen, "lab: %s: %s", sc->path, strerror(errno));
		return 1;
	}
	logs_dir(root, o->db, logs, sizeof(logs));
	snprintf(parts, sizeof(parts), "%s/build/lab", root);
	if (kb_mkdirs(logs) || kb_mkdirs(parts) ||
	    (snprintf(parts, sizeof(parts), "%s/build/lab/parts-XXXXXX", root), !mkdtemp(parts))) {
		snprintf(err, errlen, "lab: cannot make %s or %s: %s", logs, parts,
			 strerror(errno));
		return 1;
	}
	/* one line, even with --quiet: the figures are emulated */
	fprintf(stderr,
		"kvmbench: %s: %s: running it in the lab (QEMU TCG emulating SVM, kvm_amd "
		"inside; timings emulated), %s%s%s\n",
		sc->name, why, want[1] ? "npt=1" : "", want[1] && want[0] ? " then " : "",
		want[0] ? "npt=0" : "");
	for (int npt = 1; npt >= 0; npt--) {
		if (!want[npt])
			continue;
		snprintf(part, sizeof(part), "%s/npt%d.db", parts, npt);
		int st = run_part(env, o, scen, npt, npt ? NPT_PAGING : "shadow", logs, part,
				  budget, err, errlen);
		struct stat sb;

		if (stat(part, &sb) == 0) {
			char *src[] = {part};
			char merr[1024];

			if (kb_merge(o->db, src, 1, merr, sizeof(merr))) {
				snprintf(err, errlen,
					 "lab: merging npt=%d's results: %s; they are kept in %s "
					 "(kvmbench merge %s -o %s)",
					 npt, merr, part, part, o->db);
				code = 1;
				keep = true;
				break;
			}
			ids[npt] = merged_id(o->db, part);
			settle(o->db, ids[npt]);
		}
		if (st == KB_LAB_EINTERRUPTED) {
			snprintf(err, errlen,
				 "interrupted: the lab (npt=%d) was stopped and its part of the "
				 "campaign is lost; rerun it (--resume does not reach into a lab)",
				 npt);
			fprintf(stderr, "kvmbench: %s\n", err);
			code = 130;
			break;
		}
		if (st < 0) { /* err says how the lab failed */
			code = 1;
			break;
		}
		if (st != 0 && st != 2) {
			snprintf(err, errlen,
				 "the campaign's part in the lab (npt=%d) failed (status %d): its "
				 "error is above",
				 npt, st);
			code = 1;
			break;
		}
		if (st > code)
			code = st;
	}
	if (ids[0] > 0 && ids[1] > 0 && group_parts(o->db, ids, err, errlen))
		code = 1;
	if (!keep && kb_remove_tree(parts))
		fprintf(stderr, "kvmbench: could not remove %s\n", parts);
	if (!o->quiet && (ids[0] > 0 || ids[1] > 0)) {
		printf("lab campaigns in %s:", o->db);
		for (int npt = 1; npt >= 0; npt--)
			if (ids[npt] > 0)
				printf(" %lld (npt=%d)", ids[npt], npt);
		printf("\n  summary:  kvmbench summary %lld --db %s\n",
		       ids[1] > 0 ? ids[1] : ids[0], o->db);
		if (ids[0] > 0 && ids[1] > 0)
			printf(
			    "  compare:  kvmbench compare npt shadow --by paging --campaign %lld "
			    "--campaign %lld --db %s\n",
			    ids[1], ids[0], o->db);
	}
	return code;
}
