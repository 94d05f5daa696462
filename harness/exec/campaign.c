/*
 * A campaign's life cycle (see campaign.h).  kb_campaign_run() reads top
 * to bottom as the campaign lives: every step below it is called from here
 * and returns here.  Once its row exists, every way out settles it (done,
 * interrupted or failed): it is never left 'running'.
 */
#include "exec/campaign.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/proc.h"
#include "common/util.h"
#include "exec/labrun.h"
#include "exec/paging.h"
#include "exec/pool.h"
#include "exec/rows.h"
#include "exec/runner.h"
#include "exec/schedule.h"
#include "images/fetch.h"
#include "images/manifest.h"
#include "plan/scenario.h"
#include "plan/vmmargs.h"
#include "store/db.h"
#include "store/ingest.h"
#include "analyze/gates.h"

struct campaign {
	const struct kb_env *env;
	const struct kb_run_opts *o;
	struct kb_scenario *sc;
	struct kb_plan plan;
	sqlite3 *db;
	int64_t id, lab_ids[2]; /* lab_ids: the lab's parts (npt=0, npt=1), -1 none */
	char uuid[40];
	char logroot[1200]; /* logs/<id>-<uuid>/ beside the database */
	struct kb_ingest *in;
	struct kb_run_cfg cfg;
	struct kb_pool pool;
	struct kb_run *runs;   /* one per pool slot */
	struct kb_task *group; /* the tasks of the paging mode being run */
	unsigned ngroup, done, failed;
	uint64_t t0; /* when the group started: for the ETA */
};

void kb_scenario_path(const struct kb_env *env, const char *name, char *out, size_t len)
{
	if (strchr(name, '/') || strstr(name, ".ini"))
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, "%s/scenarios/%s.ini", env->root, name);
}

/* A workload's initrd must be there before the first run (unless this host
 * skips the workload anyway).  0, or -1 with err. */
static int check_initrd(const struct campaign *C, const struct kb_workload *w,
			const char *host_module, char *err, size_t errlen)
{
	char why[256], rd[1400];

	if (!w->initrd[0] || kb_needs_decide(w->needs, host_module, why, sizeof(why)) ||
	    !access(kb_root_path(C->env->root, w->initrd, rd, sizeof(rd)), R_OK))
		return 0;
	return kb_errf(err, errlen, "%s:%d: workload %s: initrd %s: %s%s", C->sc->path, w->line,
		       w->name, rd, strerror(errno),
		       strstr(w->initrd, "build/images/") ? " (build it: make images)" : "");
}

/* Bring the image workload w names into the cache; w->guest becomes its
 * path.  The manifest is loaded once, into m.  0, or -1 with err. */
static int fetch_image(const struct campaign *C, struct kb_workload *w, struct kb_manifest *m,
		       bool *loaded, char *err, size_t errlen)
{
	const struct kb_run_opts *o = C->o;
	const struct kb_image_entry *e;
	struct kb_fetch_opts fo;
	char mpath[1200], path[1300];

	if (o->manifest)
		snprintf(mpath, sizeof(mpath), "%s", o->manifest);
	else
		snprintf(mpath, sizeof(mpath), "%s/images/manifest.ini", C->env->root);
	if (!*loaded && kb_manifest_load(mpath, m, err, errlen))
		return -1;
	*loaded = true;
	if (!(e = kb_manifest_find(m, w->image)))
		return kb_errf(err, errlen, "%s: workload %s: image '%s' is not in %s", C->sc->path,
			       w->name, w->image, mpath);
	if (kb_fetch_defaults(&fo, C->env->root, err, errlen))
		return -1;
	fo.offline = o->offline;
	fo.progress = fo.progress && !o->quiet;
	if (kb_fetch_image(e, &fo, path, sizeof(path), err, errlen))
		return -1;
	snprintf(w->guest, sizeof(w->guest), "%s", path);
	return 0;
}

/* Load the scenario, then bring the images its workloads name into the
 * cache and check their initrds, so a missing file fails the campaign
 * before its first run.  0, or -1 with err. */
static int load(struct campaign *C, char *err, size_t errlen)
{
	static struct kb_manifest m;
	char path[1200], host_module[32], host_paging[16];
	bool loaded = false;

	kb_scenario_path(C->env, C->o->scenario, path, sizeof(path));
	if (!C->sc || kb_scenario_load(path, C->env->guest_dir, C->sc, err, errlen))
		return -1;
	kb_paging_host(host_module, sizeof(host_module), host_paging, sizeof(host_paging));
	for (unsigned i = 0; i < C->sc->nworkloads; i++) {
		struct kb_workload *w = &C->sc->workloads[i];

		if (check_initrd(C, w, host_module, err, errlen) ||
		    (w->image[0] && fetch_image(C, w, &m, &loaded, err, errlen)))
			return -1;
	}
	return 0;
}

static void progress(const struct campaign *C, const struct kb_task *t, const char *status,
		     double secs)
{
	unsigned done = C->done, total = C->plan.ntodo;
	double el = (double)(kb_mono_ns() - C->t0) / 1e9;
	double eta = done ? el / done * (total - done) : 0;

	if (C->o->quiet)
		return;
	if (isatty(2)) {
		fprintf(stderr, "\r\033[K[%u/%u] %u failed, ETA %02d:%02d  %s %s %s", done, total,
			C->failed, (int)eta / 60, (int)eta % 60, t->pt->v[KB_AX_WORKLOAD],
			t->pt->v[KB_AX_TOPOLOGY], status);
		if (done == total)
			fputc('\n', stderr);
	} else {
		printf("[%u/%u] %s%s %s %.2fs %s\n", done, total, t->warmup ? "warmup " : "",
		       t->pt->params, status, secs, t->pt->key);
		fflush(stdout);
	}
}

/* The pool's callbacks: a job is C->group[job], run in C->runs[slot]. */
static int job_start(void *ctx, unsigned slot, unsigned job, struct kb_pool_cmd *cmd, char *err,
		     size_t errlen)
{
	struct campaign *C = ctx;

	assert(job < C->ngroup && slot < C->pool.nslots);
	return kb_run_start(&C->runs[slot], &C->cfg, C->sc, C->logroot, &C->group[job], cmd, err,
			    errlen);
}

static int job_done(void *ctx, unsigned slot, unsigned job, const struct kb_pool_end *e, char *err,
		    size_t errlen)
{
	struct campaign *C = ctx;
	struct kb_run_rec rec;

	assert(C->runs[slot].t == &C->group[job]);
	if (kb_run_record(&C->runs[slot], &C->cfg, C->in, C->id, e, &rec, err, errlen))
		return -1;
	C->done++;
	C->failed += !strcmp(rec.status, "fail");
	assert(C->done <= C->plan.ntodo);
	progress(C, &C->group[job], rec.status, (double)rec.wall_ns / 1e9);
	return 0;
}

static void job_dropped(void *ctx, unsigned slot, unsigned job)
{
	struct campaign *C = ctx;

	(void)job;
	kb_run_drop(&C->runs[slot]); /* not recorded: a resume runs it again */
}

static void stopping(void *ctx, int sig)
{
	(void)ctx;
	fprintf(stderr, "\nkvmbench: %s: stopping; the campaign can be resumed with --resume\n",
		strsignal(sig));
}

static const struct kb_pool_ops job_ops = {job_start, job_done, job_dropped, stopping};

/*
 * Run the plan's tasks grouped by the paging mode they need: first those
 * that run as the host is, then each mode that needs a module reload, and
 * put the host's own mode back at the end.
 */
static int run_groups(struct campaign *C, char *err, size_t errlen)
{
	static const char *const modes[] = {"", "ept", "npt", "shadow"};
	const struct kb_plan *p = &C->plan;
	bool switched = false;
	int rc = 0;

	for (unsigned m = 0; m < 4 && !rc && !C->pool.stopping; m++) {
		C->ngroup = 0;
		for (unsigned i = 0; i < p->ntodo; i++)
			if (!strcmp(p->todo[i].paging, modes[m]))
				C->group[C->ngroup++] = p->todo[i];
		if (!C->ngroup)
			continue;
		if (m && !C->o->quiet)
			printf("reloading %s for paging=%s\n", p->host_module, modes[m]);
		if (m && kb_paging_switch(p->host_module, modes[m], err, errlen))
			return -1;
		switched |= m > 0;
		C->t0 = kb_mono_ns();
		rc = kb_pool_run(&C->pool, C->ngroup, err, errlen);
	}
	if (switched) {
		char why[256];

		if (kb_paging_switch(p->host_module, p->host_paging, why, sizeof(why)))
			fprintf(stderr, "kvmbench: could not restore %s paging=%s: %s\n",
				p->host_module, p->host_paging, why);
	}
	return rc;
}

/* After kb_campaign_open: the campaign's log directory, its skipped runs
 * recorded, the pool.  0, or -1 with err. */
static int start(struct campaign *C, char *err, size_t errlen)
{
	const struct kb_run_opts *o = C->o;
	const char *slash = strrchr(o->db, '/');

	if (o->logs) /* a lab's part: logs on the real machine */
		snprintf(C->logroot, sizeof(C->logroot), "%s/%lld-%.8s", o->logs, (long long)C->id,
			 C->uuid);
	else /* unique across databases */
		snprintf(C->logroot, sizeof(C->logroot), "%.*s/logs/%lld-%.8s",
			 slash ? (int)(slash - o->db) : 1, slash ? o->db : ".", (long long)C->id,
			 C->uuid);
	if (kb_mkdirs(C->logroot))
		return kb_errf(err, errlen, "%s: cannot create: %m", C->logroot);
	if (!(C->in = kb_ingest_new(C->db, err, errlen)) ||
	    kb_record_skips(C->db, C->in, C->id, &C->plan, err, errlen) ||
	    kb_pool_init(&C->pool, C->plan.jobs, &job_ops, C, err, errlen))
		return -1;
	C->pool.log_cap = C->cfg.log_cap;
	C->pool.grace_ns = C->cfg.grace_ns;
	C->runs = calloc(C->plan.jobs, sizeof(*C->runs));
	C->group = calloc(C->plan.ntodo ? C->plan.ntodo : 1, sizeof(*C->group));
	if (!C->runs || !C->group)
		return kb_errf(err, errlen, "out of memory");
	if (!o->quiet)
		printf("campaign %lld: %s, %u points, %u runs to do (%u already recorded, %u "
		       "skipped), %u at a time\n",
		       (long long)C->id, C->sc->name, C->plan.npoints, C->plan.ntodo, C->plan.ndone,
		       C->plan.nskips, C->plan.jobs);
	return 0;
}

/*
 * Mark the campaign done, interrupted or (rc: an error in err) failed, and
 * return the exit status.  A database still locked gets one more busy
 * timeout; the VMMs are already stopped by then.
 */
static int settle(struct campaign *C, int rc, char *err, size_t errlen)
{
	const char *state = rc ? "failed" : C->pool.stopping ? "interrupted" : "done";
	char why[512];
	size_t n = strlen(err);

	if (kb_campaign_close(C->db, C->id, state, C->o, C->logroot, why, sizeof(why))) {
		if (!rc)
			snprintf(err, errlen, "%s", why);
		else if (n < errlen)
			snprintf(err + n, errlen - n,
				 "; campaign %lld could not be marked failed either (%s): it "
				 "stays 'running', and --resume continues it",
				 (long long)C->id, why);
		return 1;
	}
	return rc ? 1 : C->pool.stopping ? 130 : C->failed ? 2 : 0;
}

/* Here or in the lab: the campaign's exit status once it ran there, or -1
 * to run it here. */
static int elsewhere(struct campaign *C, char *err, size_t errlen)
{
	char buf[512];
	const char *why = kb_lab_reason(C->sc, C->o, buf, sizeof(buf));

	if (!why)
		return -1;
	if (!C->o->dry_run)
		return kb_lab_campaign(C->env, C->o, C->sc, why, C->lab_ids, err, errlen);
	/* the plan printed next is this host's, for comparison */
	printf("%s: would run in the lab (QEMU TCG emulating SVM): %s\n", C->sc->name, why);
	return -1;
}

/* --format tap: the points of the campaigns this run wrote, or "Bail out!"
 * with the error when it wrote none. */
static void tap(struct campaign *C, int code, const char *err)
{
	const int64_t ids[3] = {C->lab_ids[1], C->lab_ids[0], C->id};
	char why[256];
	sqlite3 *db = C->db;

	if (!C->o->tap)
		return;
	if (!db && (ids[0] > 0 || ids[1] > 0) &&
	    kb_db_open(C->o->db, false, false, &db, why, sizeof(why)))
		err = why, code = 1;
	if (db)
		kb_points_tap(db, ids, 3, C->o->tap);
	else
		fprintf(C->o->tap, "TAP version 13\n1..0\n");
	if (code == 1 || code == 130) {
		fprintf(C->o->tap, "Bail out! ");
		kb_tap_text(C->o->tap, code == 1 ? err : "interrupted");
		fputc('\n', C->o->tap);
	}
	if (db != C->db)
		kb_db_close(db);
	fflush(C->o->tap);
}

/* --dry-run: the plan (with --resume, what the resume has left to run). */
static int dry_run(struct campaign *C, char *err, size_t errlen)
{
	const struct kb_run_opts *o = C->o;
	int64_t id;

	if (o->resume) {
		if (kb_db_open(o->db, false, false, &C->db, err, errlen) ||
		    kb_campaign_preview(C->db, C->sc, o, &C->plan, &id, err, errlen))
			return 1;
		printf("--resume: campaign %lld, %u runs recorded, %u left\n", (long long)id,
		       C->plan.ndone, C->plan.ntodo);
	}
	kb_plan_print(&C->plan, stdout);
	return 0;
}

int kb_campaign_run(const struct kb_env *env, const struct kb_run_opts *o, char *err, size_t errlen)
{
	struct campaign C = {
	    .env = env, .o = o, .sc = calloc(1, sizeof(*C.sc)), .lab_ids = {-1, -1}};
	int code = 1, rc;

	if (kb_run_cfg_init(&C.cfg, env, o->vmm_args, err, errlen) || load(&C, err, errlen))
		goto out;
	if ((code = elsewhere(&C, err, errlen)) >= 0)
		goto out;
	code = 1;
	if (kb_plan_make(C.sc, o, &C.plan, err, errlen))
		goto out;
	if (o->dry_run) {
		code = dry_run(&C, err, errlen);
		goto out;
	}
	if (kb_db_open(o->db, true, true, &C.db, err, errlen) ||
	    kb_campaign_open(C.db, C.sc, o, &C.plan, &C.id, C.uuid, sizeof(C.uuid), err, errlen))
		goto out;
	rc = start(&C, err, errlen);
	if (!rc)
		rc = run_groups(&C, err, errlen);
	code = settle(&C, rc, err, errlen);
out:
	tap(&C, code, err);
	if (C.pool.slots)
		kb_pool_free(&C.pool);
	free(C.runs);
	free(C.group);
	kb_ingest_free(C.in);
	kb_plan_free(&C.plan);
	kb_db_close(C.db);
	if (C.sc)
		kb_scenario_free(C.sc);
	free(C.sc);
	return code;
}
