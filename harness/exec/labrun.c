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
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/schedule.h"
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
static void inner_argv(const struct kb_run_opts *o, const char *only, const char *logs,
		       struct kb_argv *a)
{
	char man[PATH_MAX];

	kb_argv_add(a, "--host");
	kb_argv_add(a, "native");
	kb_argv_add(a, "--offline"); /* the lab has no network: the images were fetched here */
	kb_argv_add(a, "--paging-only");
	kb_argv_add(a, "%s", only);
	kb_argv_add(a, "--logs");
	kb_argv_add(a, "%s", logs);
	if (o->repeat && !kb_argv_add(a, "--repeat"))
		kb_argv_add(a, "%u", o->repeat);
	if (o->warmup_set && !kb_argv_add(a, "--warmup"))
		kb_argv_add(a, "%u", o->warmup);
	if (o->jobs && !kb_argv_add(a, "--jobs"))
		kb_argv_add(a, "%u", o->jobs);
	if (o->shard_n && !kb_argv_add(a, "--shard"))
		kb_argv_add(a, "%u/%u", o->shard_k, o->shard_n);
	if (o->tag && !kb_argv_add(a, "--tag"))
		kb_argv_add(a, "%s", o->tag);
	if (o->kind && !kb_argv_add(a, "--kind"))
		kb_argv_add(a, "%s", o->kind);
	if (o->vmm_args && !kb_argv_add(a, "--vmm-args"))
		kb_argv_add(a, "%s", o->vmm_args);
	if (o->manifest && !kb_argv_add(a, "--manifest")) /* absolute: the lab starts in the root */
		kb_argv_add(a, "%s", realpath(o->manifest, man) ? man : o->manifest);
	if (o->quiet)
		kb_argv_add(a, "--quiet");
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

/* A campaign in the lab, part by part. */
struct lab_campaign {
	const struct kb_env *env;
	const struct kb_run_opts *o;
	const struct kb_scenario *sc;
	char root[PATH_MAX], scen[PATH_MAX], logs[PATH_MAX + 8], parts[PATH_MAX];
	bool want[2];	  /* [npt]: a lab for this part (it has points) */
	long long ids[2]; /* [npt]: its campaign once merged into --db, or -1 */
	double budget;	  /* seconds a lab may take, unless KVMBENCH_LAB_TIMEOUT says */
	bool keep;	  /* a part that could not be merged stays for the user */
};

/* The paging values the part of lab npt runs (ept points are recorded as
 * skips in the npt=1 lab: it is AMD). */
static const char *part_paging(int npt)
{
	return npt ? NPT_PAGING : "shadow";
}

/* One lab boot for the part npt, into the database part; its exit status,
 * or a KB_LAB_E* code with err. */
static int run_part(const struct lab_campaign *L, int npt, const char *part, char *err,
		    size_t errlen)
{
	static const char script[] =
	    "db=/tmp/kvmbench-lab.db; \"$0\" run \"$@\" --db \"$db\"; rc=$?; "
	    "[ -f \"$db\" ] || exit $rc; "
	    "sqlite3 \"$db\" \"VACUUM INTO '$KVMBENCH_LAB_PART'\" || rc=1; exit $rc";
	struct kb_lab_opts lo = {.npt = npt, .quiet = L->o->quiet};
	struct kb_argv *a = calloc(1, sizeof(*a));
	int st = KB_LAB_EFAILED;

	if (!a)
		return kb_errf(err, errlen, "out of memory"), KB_LAB_EFAILED;
	kb_argv_add(a, "sh");
	kb_argv_add(a, "-c");
	kb_argv_add(a, "%s", script);
	kb_argv_add(a, "%s/build/kvmbench", L->env->root); /* $0; the script says "run" */
	kb_argv_add(a, "%s", L->scen);
	inner_argv(L->o, part_paging(npt), L->logs, a);
	if (a->full) {
		snprintf(err, errlen, "lab: too many options");
		goto out;
	}
	/* a hung lab ends: every run at its timeout, plus the boot, unless said */
	if (kb_env_number("KVMBENCH_LAB_TIMEOUT", 1, 30 * 86400, 0, L->budget, &lo.timeout, err,
			  errlen))
		goto out;
	setenv("KVMBENCH_LAB_PART", part, 1);
	/* Inside, kvmbench is root and gives each run's directory to the VMMs'
	 * user (-runas); the tree is QEMU's 9p, which ignores chown (security
	 * model none) unless QEMU is root: otherwise the lab's VMMs keep root,
	 * confined by the lab machine itself. */
	if (geteuid() != 0)
		setenv("KVMBENCH_VMM_USER", "root", 1);
	st = kb_lab_run(L->env, &lo, a->v, err, errlen);
	unsetenv("KVMBENCH_LAB_PART");
	kb_lab_done(&lo);
out:
	free(a);
	return st;
}

/* Which parts have points (in this shard), the lab's time budget, and the
 * directories for logs and parts.  0, or -1 with err. */
static int prepare(struct lab_campaign *L, char *err, size_t errlen)
{
	const struct kb_run_opts *o = L->o;
	const struct kb_scenario *sc = L->sc;

	for (int npt = 0; npt < 2; npt++) {
		struct kb_run_opts part_opts = *o;
		struct kb_plan plan;

		part_opts.paging_only = part_paging(npt);
		if (kb_plan_make(sc, &part_opts, &plan, err, errlen))
			return -1;
		L->want[npt] = plan.npoints > 0;
		kb_plan_free(&plan);
	}
	L->budget = 600 + (double)sc->npoints *
			      ((o->repeat ? o->repeat : sc->repeats) +
			       (o->warmup_set ? o->warmup : sc->warmup)) *
			      (sc->timeout > 0 ? sc->timeout : 120);
	if (!realpath(L->env->root, L->root) || !realpath(sc->path, L->scen))
		return kb_errf(err, errlen, "lab: %s: %s", sc->path, strerror(errno));
	logs_dir(L->root, o->db, L->logs, sizeof(L->logs));
	snprintf(L->parts, sizeof(L->parts), "%s/build/lab", L->root);
	if (kb_mkdirs(L->logs) || kb_mkdirs(L->parts) ||
	    (snprintf(L->parts, sizeof(L->parts), "%s/build/lab/parts-XXXXXX", L->root),
	     !mkdtemp(L->parts)))
		return kb_errf(err, errlen, "lab: cannot make %s or %s: %s", L->logs, L->parts,
			       strerror(errno));
	return 0;
}

/* Run part npt in its lab and merge what it recorded into --db.  The
 * campaign's status so far (0, or 2: some runs failed), or 1 or 130 to
 * stop, with err. */
static int do_part(struct lab_campaign *L, int npt, char *err, size_t errlen)
{
	char part[PATH_MAX + 16], merr[1024];
	struct stat sb;
	int st;

	snprintf(part, sizeof(part), "%s/npt%d.db", L->parts, npt);
	st = run_part(L, npt, part, err, errlen);
	if (stat(part, &sb) == 0) {
		char *src[] = {part};

		if (kb_merge(L->o->db, src, 1, merr, sizeof(merr))) {
			snprintf(err, errlen,
				 "lab: merging npt=%d's results: %s; they are kept in %s (kvmbench "
				 "merge %s -o %s)",
				 npt, merr, part, part, L->o->db);
			L->keep = true;
			return 1;
		}
		L->ids[npt] = merged_id(L->o->db, part);
		settle(L->o->db, L->ids[npt]);
	}
	if (st == KB_LAB_EINTERRUPTED) {
		snprintf(
		    err, errlen,
		    "interrupted: the lab (npt=%d) was stopped and its part of the campaign is "
		    "lost; rerun it (--resume does not reach into a lab)",
		    npt);
		fprintf(stderr, "kvmbench: %s\n", err);
		return 130;
	}
	if (st < 0) /* err says how the lab failed */
		return 1;
	if (st != 0 && st != 2)
		return kb_errf(err, errlen,
			       "the campaign's part in the lab (npt=%d) failed (status %d): its "
			       "error is above",
			       npt, st),
		       1;
	return st;
}

/* Where the parts' campaigns are, and what to do with them. */
static void print_parts(const struct lab_campaign *L)
{
	const long long *ids = L->ids;
	const char *db = L->o->db;

	if (L->o->quiet || (ids[0] <= 0 && ids[1] <= 0))
		return;
	printf("lab campaigns in %s:", db);
	for (int npt = 1; npt >= 0; npt--)
		if (ids[npt] > 0)
			printf(" %lld (npt=%d)", ids[npt], npt);
	printf("\n  summary:  kvmbench summary %lld --db %s\n", ids[1] > 0 ? ids[1] : ids[0], db);
	if (ids[0] > 0 && ids[1] > 0)
		printf("  compare:  kvmbench compare npt shadow --by paging --campaign %lld "
		       "--campaign %lld --db %s\n",
		       ids[1], ids[0], db);
}

int kb_lab_campaign(const struct kb_env *env, const struct kb_run_opts *o,
		    const struct kb_scenario *sc, const char *why, int64_t ids[2], char *err,
		    size_t errlen)
{
	struct lab_campaign *L = calloc(1, sizeof(*L));
	int code = 0;

	if (!L)
		return kb_errf(err, errlen, "out of memory"), 1;
	*L = (struct lab_campaign){.env = env, .o = o, .sc = sc, .ids = {-1, -1}};
	if (prepare(L, err, errlen)) {
		free(L);
		return 1;
	}
	/* one line, even with --quiet: the figures are emulated */
	fprintf(stderr,
		"kvmbench: %s: %s: running it in the lab (QEMU TCG emulating SVM, kvm_amd "
		"inside; timings emulated), %s%s%s\n",
		sc->name, why, L->want[1] ? "npt=1" : "", L->want[1] && L->want[0] ? " then " : "",
		L->want[0] ? "npt=0" : "");
	for (int npt = 1; npt >= 0 && (code == 0 || code == 2); npt--) {
		int st = L->want[npt] ? do_part(L, npt, err, errlen) : 0;

		code = st > code || st == 1 ? st : code;
	}
	if (L->ids[0] > 0 && L->ids[1] > 0 && group_parts(o->db, L->ids, err, errlen))
		code = 1;
	if (!L->keep && kb_remove_tree(L->parts))
		fprintf(stderr, "kvmbench: could not remove %s\n", L->parts);
	print_parts(L);
	ids[0] = L->ids[0];
	ids[1] = L->ids[1];
	free(L);
	assert(code == 0 || code == 1 || code == 2 || code == 130);
	return code;
}
