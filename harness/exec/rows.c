/*
 * A campaign's rows (see rows.h).  A host's uuid is FNV-1a of what makes it
 * the same host (name, paging, module, kernel, CPU, machine id), so its
 * campaigns find each other across databases.
 */
#include "exec/rows.h"

#include <assert.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "store/db.h"
#include "common/hash.h"
#include "common/host.h"
#include "store/ingest.h"
#include "common/util.h"
#include "common/version.h"

void kb_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int64_t scalar(sqlite3 *db, const char *sql, const char *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = kb_db_prepare(db, sql, err, errlen);
	int64_t v = -1;

	if (!st)
		return -1;
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		snprintf(err, errlen, "no row for %s", arg ? arg : sql);
	sqlite3_finalize(st);
	return v;
}

/* This host's facts, name and uuid (what identifies its row). */
static void host_facts(struct kb_host *h, char name[256], char uuid[32])
{
	char machine[64] = "";
	FILE *f = fopen("/etc/machine-id", "re");

	kb_host_detect(h);
	if (gethostname(name, 256))
		snprintf(name, 256, "unknown");
	if (f) {
		if (fgets(machine, sizeof(machine), f))
			machine[strcspn(machine, "\n")] = 0;
		fclose(f);
	}
	/* name, then paging, module, kernel, CPU and machine id, in that order */
	uint64_t hh = kb_fnv1a(name, KB_FNV1A_INIT);

	hh = kb_fnv1a(h->paging, hh);
	hh = kb_fnv1a(h->kvm_module, hh);
	hh = kb_fnv1a(h->kernel, hh);
	hh = kb_fnv1a(h->cpu_model, hh);
	hh = kb_fnv1a(machine, hh);
	if (h->emulated) /* the lab; hosts recorded before kinds existed keep their uuid */
		hh = kb_fnv1a(h->kind, hh);
	snprintf(uuid, 32, "%016llx", (unsigned long long)hh);
}

static int64_t host_row(sqlite3 *db, char *err, size_t errlen)
{
	struct kb_host h;
	char name[256], uuid[32];
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), max = 0;
	sqlite3_stmt *st;

	host_facts(&h, name, uuid);
	if (kvm >= 0) {
		max = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
		close(kvm);
	}
	st =
	    kb_db_prepare(db,
			  "INSERT OR IGNORE INTO hosts (uuid, hostname, cpu_vendor, cpu_model, "
			  "kernel, kvm_module, paging, tdp_mmu, thp, online_cpus, max_vcpus, "
			  "mem_bytes, kind, timings_emulated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			  err, errlen);
	if (!st)
		return -1;
	const char *txt[] = {uuid,	   name,     h.cpu_vendor, h.cpu_model, h.kernel,
			     h.kvm_module, h.paging, h.tdp_mmu,	   h.thp};
	for (int i = 0; i < 9; i++)
		sqlite3_bind_text(st, i + 1, txt[i], -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 10, h.online_cpus);
	sqlite3_bind_int(st, 11, max);
	sqlite3_bind_int64(st, 12, (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE));
	sqlite3_bind_text(st, 13, h.kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 14, h.emulated);
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "recording the host: %s", sqlite3_errmsg(db));
		return -1;
	}
	return scalar(db, "SELECT id FROM hosts WHERE uuid = ?", uuid, err, errlen);
}

static int64_t build_row(sqlite3 *db, char *err, size_t errlen)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "INSERT OR IGNORE INTO builds (uuid, version, git) VALUES ('%s/%s', '%s', '%s')",
		 KB_VERSION, KB_GIT, KB_VERSION, KB_GIT);
	if (kb_db_exec(db, sql, err, errlen))
		return -1;
	snprintf(sql, sizeof(sql), "%s/%s", KB_VERSION, KB_GIT);
	return scalar(db, "SELECT id FROM builds WHERE uuid = ?", sql, err, errlen);
}

/* Find the campaign to resume: same scenario, shard and host, not done,
 * and not owned by a live process. */
static int64_t find_resumable(sqlite3 *db, const struct kb_scenario *sc, const char *shard,
			      int64_t host, char *uuid, size_t ulen, char *err, size_t errlen)
{
	sqlite3_stmt *st =
	    kb_db_prepare(db,
			  "SELECT id, state, pid, uuid FROM campaigns WHERE scenario = ? "
			  "AND IFNULL(shard, '') = ? AND host_id = ? AND state IN "
			  "('running', 'interrupted') ORDER BY id DESC LIMIT 1",
			  err, errlen);
	int64_t id = 0;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, sc->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, shard, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, host);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		pid_t pid = (pid_t)sqlite3_column_int(st, 2);

		snprintf(uuid, ulen, "%s", (const char *)sqlite3_column_text(st, 3));
		if (!strcmp((const char *)sqlite3_column_text(st, 1), "running") && pid > 0 &&
		    pid != getpid() && kill(pid, 0) == 0) {
			snprintf(err, errlen, "campaign %lld is still running (pid %d)",
				 (long long)id, (int)pid);
			id = -1;
		}
	}
	sqlite3_finalize(st);
	if (id == 0)
		snprintf(err, errlen,
			 "--resume: no interrupted campaign of scenario '%s'%s%s on "
			 "this host",
			 sc->name, shard[0] ? " shard " : "", shard);
	return id ? id : -1;
}

/* The query run_recorded() steps: NULL with err when it cannot be made. */
static sqlite3_stmt *recorded_query(sqlite3 *db, char *err, size_t errlen)
{
	return kb_db_prepare(db,
			     "SELECT 1 FROM runs WHERE campaign_id = ? AND point_key = ? AND "
			     "repeat = ? AND warmup = ?",
			     err, errlen);
}

/* Is task t's run (done or skipped) recorded in the campaign already? */
static bool run_recorded(sqlite3_stmt *st, int64_t campaign, const struct kb_task *t)
{
	bool found;

	sqlite3_bind_int64(st, 1, campaign);
	sqlite3_bind_text(st, 2, t->pt->key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)t->repeat);
	sqlite3_bind_int(st, 4, t->warmup);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

/* Drop the tasks already recorded in campaign id (a resume). */
static int drop_recorded(sqlite3 *db, int64_t id, struct kb_plan *p, char *err, size_t errlen)
{
	sqlite3_stmt *st = recorded_query(db, err, errlen);
	unsigned k = 0;

	if (!st)
		return -1;
	for (unsigned i = 0; i < p->ntodo; i++) {
		if (run_recorded(st, id, &p->todo[i]))
			p->ndone++;
		else
			p->todo[k++] = p->todo[i];
	}
	assert(k + p->ndone == p->ntodo); /* ndone was 0: a fresh plan, resumed once */
	p->ntodo = k;
	sqlite3_finalize(st);
	return 0;
}

/* --resume: the campaign to go on with, its runs recorded dropped from p. */
static int resume_campaign(sqlite3 *db, const struct kb_scenario *sc, const char *shard,
			   int64_t host, struct kb_plan *p, int64_t *id, char *uuid, size_t ulen,
			   char *err, size_t errlen)
{
	char sql[256];

	if ((*id = find_resumable(db, sc, shard, host, uuid, ulen, err, errlen)) < 0)
		return -1;
	snprintf(
	    sql, sizeof(sql),
	    "UPDATE campaigns SET state = 'running', pid = %d, finished = NULL WHERE id = %lld",
	    (int)getpid(), (long long)*id);
	return kb_db_exec(db, sql, err, errlen) ? -1 : drop_recorded(db, *id, p, err, errlen);
}

int kb_campaign_preview(sqlite3 *db, const struct kb_scenario *sc, const struct kb_run_opts *o,
			struct kb_plan *p, int64_t *id, char *err, size_t errlen)
{
	struct kb_host h;
	char name[256], uuid[32], shard[32] = "", cuuid[40];
	int64_t host;

	host_facts(&h, name, uuid);
	host = scalar(db, "SELECT id FROM hosts WHERE uuid = ?", uuid, err, errlen);
	if (o->shard_n)
		snprintf(shard, sizeof(shard), "%u/%u", o->shard_k, o->shard_n);
	if ((*id = find_resumable(db, sc, shard, host, cuuid, sizeof(cuuid), err, errlen)) < 0)
		return -1;
	return drop_recorded(db, *id, p, err, errlen);
}

/* A new campaign row, 'running', owned by this process. */
static int insert_campaign(sqlite3 *db, const struct kb_scenario *sc, const struct kb_run_opts *o,
			   const char *shard, const int64_t hb[2], const struct kb_plan *p,
			   const char *uuid, char *err, size_t errlen)
{
	char now[32];
	sqlite3_stmt *st = kb_db_prepare(
	    db,
	    "INSERT INTO campaigns (uuid, scenario, scenario_file, kind, tag, host_id, "
	    "build_id, shard, repeats, warmup, points, planned_runs, started, state, "
	    "pid, vmm_args) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,'running',?,?)",
	    err, errlen);
	int rc;

	if (!st)
		return -1;
	kb_timestamp(now, sizeof(now));
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, sc->name, -1, SQLITE_TRANSIENT);
	/* absolute, so that compare and the trend find its [metric.*] rules
	 * from any directory */
	char *abs = realpath(sc->path, NULL);

	sqlite3_bind_text(st, 3, abs ? abs : sc->path, -1, SQLITE_TRANSIENT);
	free(abs);
	sqlite3_bind_text(st, 4, o->kind ? o->kind : "bench", -1, SQLITE_TRANSIENT);
	if (o->tag)
		sqlite3_bind_text(st, 5, o->tag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, hb[0]);
	sqlite3_bind_int64(st, 7, hb[1]);
	if (shard[0])
		sqlite3_bind_text(st, 8, shard, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 9, (int)p->repeats);
	sqlite3_bind_int(st, 10, (int)p->warmup);
	sqlite3_bind_int(st, 11, (int)p->npoints);
	sqlite3_bind_int(st, 12, (int)(p->ntodo + p->nskips));
	sqlite3_bind_text(st, 13, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 14, (int)getpid());
	if (o->vmm_args)
		sqlite3_bind_text(st, 15, o->vmm_args, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return kb_errf(err, errlen, "creating the campaign: %s", sqlite3_errmsg(db));
	return 0;
}

int kb_campaign_open(sqlite3 *db, const struct kb_scenario *sc, const struct kb_run_opts *o,
		     struct kb_plan *p, int64_t *id, char *uuid, size_t ulen, char *err,
		     size_t errlen)
{
	char shard[32] = "";
	uint64_t rnd[2] = {0, 0};
	int64_t hb[2] = {host_row(db, err, errlen), build_row(db, err, errlen)};

	if (hb[0] < 0 || hb[1] < 0)
		return -1;
	if (o->shard_n)
		snprintf(shard, sizeof(shard), "%u/%u", o->shard_k, o->shard_n);
	if (o->resume)
		return resume_campaign(db, sc, shard, hb[0], p, id, uuid, ulen, err, errlen);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd[0] = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	snprintf(uuid, ulen, "%016llx%016llx", (unsigned long long)rnd[0],
		 (unsigned long long)rnd[1]);
	if (insert_campaign(db, sc, o, shard, hb, p, uuid, err, errlen))
		return -1;
	*id = sqlite3_last_insert_rowid(db);
	return 0;
}

int kb_record_skips(sqlite3 *db, struct kb_ingest *in, int64_t campaign, const struct kb_plan *p,
		    char *err, size_t errlen)
{
	sqlite3_stmt *st = recorded_query(db, err, errlen);
	int rc = st ? 0 : -1;

	for (unsigned i = 0; !rc && i < p->nskips; i++) {
		const struct kb_task *t = &p->skips[i];
		struct kb_run_rec r = {.campaign_id = campaign,
				       .pt = t->pt,
				       .seq = t->seq,
				       .repeat = t->repeat,
				       .warmup = t->warmup,
				       .exit_code = -1};

		if (run_recorded(st, campaign, t))
			continue;
		snprintf(r.status, sizeof(r.status), "skip");
		snprintf(r.reason, sizeof(r.reason), "%s", p->skip_reason[i]);
		kb_timestamp(r.started, sizeof(r.started));
		if (kb_ingest_run(in, &r, NULL, err, errlen) < 0)
			rc = -1;
	}
	sqlite3_finalize(st);
	return rc;
}

int kb_campaign_close(sqlite3 *db, int64_t campaign, const char *state, const struct kb_run_opts *o,
		      const char *logdir, char *err, size_t errlen)
{
	char sql[256], now[32];
	sqlite3_stmt *st;

	kb_timestamp(now, sizeof(now));
	snprintf(sql, sizeof(sql),
		 "UPDATE campaigns SET state = '%s', finished = '%s' WHERE id = "
		 "%lld",
		 state, now, (long long)campaign);
	if (kb_db_exec(db, sql, err, errlen))
		return 1;
	if (o->quiet)
		return 0;
	st = kb_db_prepare(db,
			   "SELECT status, count(*) FROM runs WHERE campaign_id = ? AND "
			   "warmup = 0 GROUP BY status ORDER BY status",
			   err, errlen);
	if (!st)
		return 1;
	sqlite3_bind_int64(st, 1, campaign);
	printf("campaign %lld %s:", (long long)campaign, state);
	while (sqlite3_step(st) == SQLITE_ROW)
		printf(" %s %d", sqlite3_column_text(st, 0), sqlite3_column_int(st, 1));
	sqlite3_finalize(st);
	if (getenv("KVMBENCH_LAB_PART")) { /* in the lab: kvmbench outside says where */
		printf("\n");
		return 0;
	}
	printf("\n  database: %s\n  logs:     %s/\n  summary:  kvmbench summary %lld --db %s\n",
	       o->db, logdir, (long long)campaign, o->db);
	return 0;
}
