/*
 * Stats JSON -> SQLite (see ingest.h).  Every statement is prepared once;
 * one run is one transaction, so an interrupted harness leaves whole runs
 * or none.
 */
#include "store/ingest.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/statsfile.h"

enum { S_RUN, S_METRIC, S_MARK, S_EXIT, S_KSTAT, S_COUNT };

static const char *const sql[S_COUNT] = {
    "INSERT INTO runs (campaign_id, point_key, seq, repeat, warmup, topology, vcpus, sockets,"
    " cores, threads, memory_bytes, numa, devices, workload, guest, paging, vmm_args, params,"
    " status, exit_code, reason, wall_ns, vmm_wall_ns, log_dir, started, sandbox)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO metrics (run_id, name, value, unit, vcpu) VALUES (?,?,?,?,?)",
    "INSERT INTO marks (run_id, name, vcpu, t_ns, guest_tsc) VALUES (?,?,?,?,?)",
    "INSERT INTO exits (run_id, kind, space, name, count) VALUES (?,?,?,?,?)",
    "INSERT INTO kvm_stats (run_id, scope, name, value) VALUES (?,?,?,?)",
};

struct kb_ingest {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
};

struct kb_ingest *kb_ingest_new(sqlite3 *db, char *err, size_t errlen)
{
	struct kb_ingest *in = calloc(1, sizeof(*in));

	if (!in) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	in->db = db;
	for (int i = 0; i < S_COUNT; i++) {
		in->st[i] = kb_db_prepare(db, sql[i], err, errlen);
		if (!in->st[i]) {
			kb_ingest_free(in);
			return NULL;
		}
	}
	return in;
}

void kb_ingest_free(struct kb_ingest *in)
{
	if (!in)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(in->st[i]);
	free(in);
}

/* Step a bound statement and reset it; 0 or -1. */
static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st); /* every parameter is bound again before the next step */
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Strings stay valid until the statement has stepped (they live in the
 * JSON tree or the caller's structs), so SQLite need not copy them. */
static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Decide the run's status from the JSON's result and the workload. */
static void judge(struct kb_run_rec *r, json_object *stats)
{
	json_object *res = kb_stats_get(stats, "result");
	const char *status = kb_stats_str(res, "status");
	const char *reason = kb_stats_str(res, "reason");

	if (r->status[0])
		return; /* forced by the caller */
	if (!status) {
		snprintf(r->status, sizeof(r->status), "fail");
		snprintf(r->reason, sizeof(r->reason), "stats JSON has no result");
		return;
	}
	snprintf(r->reason, sizeof(r->reason), "%s: %s", status, reason ? reason : "");
	if (!strcmp(status, "pass") || !strcmp(status, "until") ||
	    (r->expect_any && strcmp(status, "error") && strcmp(status, "timeout") &&
	     strcmp(status, "crash") && strcmp(status, "interrupted")))
		snprintf(r->status, sizeof(r->status), "pass");
	else if (!strcmp(status, "skip"))
		snprintf(r->status, sizeof(r->status), "skip");
	else
		snprintf(r->status, sizeof(r->status), "fail");
}

/* What a passing run leaves unsaid in its verdict: the console or the
 * VMM's output cut at its cap (the run still counts as it ended). */
static void add_notes(struct kb_run_rec *r, json_object *stats)
{
	json_object *con = kb_stats_get(stats, "console");
	int64_t dropped = kb_stats_int(con, "dropped_bytes", 0);
	size_t n = strlen(r->reason);

	if (dropped > 0)
		snprintf(r->reason + n, sizeof(r->reason) - n,
			 "; console output capped at %" PRId64 " bytes",
			 kb_stats_int(kb_stats_get(stats, "config"), "serial_cap", 0));
	n = strlen(r->reason);
	if (r->note[0])
		snprintf(r->reason + n, sizeof(r->reason) - n, "; %s", r->note);
}

/*
 * The run's shape as recorded: what the VMM reported in its stats' config
 * (docs/stats-json.md), each value on its own.  Where the stats lack one
 * (no stats: a skipped run, a VMM that never started or wrote none; a file
 * without the field; a value that is not a whole number > 0, as a VMM that
 * stopped before reading its options may write) the plan's value stands in:
 * it is what the VMM was asked for.  The text columns (topology, numa and
 * the rest of the point's axes) stay the plan's, the point's identity as
 * params has it, except numa: it is the only record of the node count, so
 * a VMM that reported another count than the axis asked is recorded as
 * that count.
 */
enum { SH_VCPUS, SH_SOCKETS, SH_CORES, SH_THREADS, SH_MEMORY, SH_NUMA, SH_COUNT };

static const char *const shape_key[SH_COUNT] = {"vcpus",   "sockets",	   "cores",
						"threads", "memory_bytes", "numa_nodes"};

struct shape {
	int64_t v[SH_COUNT];
	char numa[24];	   /* the numa column: the axis value, or the VMM's count */
	char differs[200]; /* "vcpus 2 (plan 1), ...": where the VMM and the plan disagree */
};

/* What the plan asked for; 0 where it does not say (a point made by hand,
 * as ingest-bench's). */
static int64_t plan_value(const struct kb_point *p, int k)
{
	const char *numa = p->v[KB_AX_NUMA];

	switch (k) {
	case SH_VCPUS: return p->smp.cpus;
	case SH_SOCKETS: return p->smp.sockets;
	case SH_CORES: return p->smp.cores;
	case SH_THREADS: return p->smp.threads;
	case SH_MEMORY: return (int64_t)p->memory;
	default:
		assert(k == SH_NUMA);
		return !strcmp(numa, "none") ? 1 : atoi(numa); /* "none": one node */
	}
}

static void reported_shape(const struct kb_point *p, json_object *stats, struct shape *sh)
{
	json_object *cfg = kb_stats_get(stats, "config");
	size_t o = 0;

	sh->differs[0] = 0;
	for (int k = 0; k < SH_COUNT; k++) {
		json_object *v = kb_stats_get(cfg, shape_key[k]);
		int64_t plan = plan_value(p, k);

		sh->v[k] = plan;
		int64_t x =
		    v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;

		if (x <= 0 || (k != SH_MEMORY && x > INT_MAX))
			continue;
		sh->v[k] = x;
		if (plan > 0 && sh->v[k] != plan && o < sizeof(sh->differs))
			o += (size_t)snprintf(sh->differs + o, sizeof(sh->differs) - o,
					      "%s%s %" PRId64 " (plan %" PRId64 ")", o ? ", " : "",
					      shape_key[k], sh->v[k], plan);
	}
	if (sh->v[SH_NUMA] == plan_value(p, SH_NUMA))
		snprintf(sh->numa, sizeof(sh->numa), "%s", p->v[KB_AX_NUMA]);
	else
		snprintf(sh->numa, sizeof(sh->numa), "%" PRId64, sh->v[SH_NUMA]);
}

/*
 * A VMM that ran another shape than planned (a -smp or -m in vmm_args or
 * --vmm-args, a VMM that reads its options otherwise): the run is recorded
 * as the VMM reported it, said on stderr and in the run's reason.
 */
static void note_shape(struct kb_run_rec *r, const struct shape *sh)
{
	size_t n = strlen(r->reason);

	if (!sh->differs[0])
		return;
	fprintf(stderr,
		"kvmbench: warning: campaign %" PRId64 " point %s repeat %u: the VMM reported %s;"
		" recorded as the VMM reported\n",
		r->campaign_id, r->pt->key, r->repeat, sh->differs);
	snprintf(r->reason + n, sizeof(r->reason) - n, "; the VMM reported %s", sh->differs);
}

static int insert_run(struct kb_ingest *in, const struct kb_run_rec *r, const struct shape *sh,
		      int64_t vmm_ns, const char *sandbox)
{
	sqlite3_stmt *st = in->st[S_RUN];
	const struct kb_point *p = r->pt;
	int i = 1;

	sqlite3_bind_int64(st, i++, r->campaign_id);
	bind_text(st, i++, p->key);
	sqlite3_bind_int(st, i++, (int)r->seq);
	sqlite3_bind_int(st, i++, (int)r->repeat);
	sqlite3_bind_int(st, i++, r->warmup);
	bind_text(st, i++, p->v[KB_AX_TOPOLOGY]);
	for (int k = SH_VCPUS; k <= SH_MEMORY; k++) /* vcpus, sockets, cores, threads, memory */
		sqlite3_bind_int64(st, i++, sh->v[k]);
	bind_text(st, i++, sh->numa);
	bind_text(st, i++, p->v[KB_AX_DEVICES]);
	bind_text(st, i++, p->v[KB_AX_WORKLOAD]);
	bind_text(st, i++, p->wl ? p->wl->guest : NULL);
	bind_text(st, i++, p->v[KB_AX_PAGING]);
	bind_text(st, i++, p->v[KB_AX_VMM_ARGS]);
	bind_text(st, i++, p->params);
	bind_text(st, i++, r->status);
	if (r->exit_code >= 0)
		sqlite3_bind_int(st, i++, r->exit_code);
	else
		sqlite3_bind_null(st, i++);
	bind_text(st, i++, r->reason);
	sqlite3_bind_int64(st, i++, (int64_t)r->wall_ns);
	if (vmm_ns >= 0)
		sqlite3_bind_int64(st, i++, vmm_ns);
	else
		sqlite3_bind_null(st, i++);
	bind_text(st, i++, r->log_dir);
	bind_text(st, i++, r->started);
	bind_text(st, i++, sandbox);
	assert(i - 1 == sqlite3_bind_parameter_count(st));
	return step(st);
}

/*
 * Bind statement which's parameters from types, a letter each: 'i' an
 * int64_t, 'd' a double, 't' a string (NULL: SQL NULL), 'n' SQL NULL (no
 * argument); step it.  0 or -1.
 */
static int insert(struct kb_ingest *in, int which, const char *types, ...)
{
	sqlite3_stmt *st = in->st[which];
	va_list ap;

	assert(strlen(types) == (size_t)sqlite3_bind_parameter_count(st));
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		else if (types[i] == 'd')
			sqlite3_bind_double(st, i + 1, va_arg(ap, double));
		else if (types[i] == 't')
			bind_text(st, i + 1, va_arg(ap, const char *));
		else {
			assert(types[i] == 'n');
			sqlite3_bind_null(st, i + 1);
		}
	}
	va_end(ap);
	return step(st);
}

/* One derived metric of device dev: "DEV.SUFFIX". */
static int insert_dev_metric(struct kb_ingest *in, int64_t run, const char *dev, const char *suffix,
			     double value, const char *unit)
{
	char name[160];

	snprintf(name, sizeof(name), "%s.%s", dev, suffix);
	return insert(in, S_METRIC, "itdti", run, name, value, unit, (int64_t)0);
}

/* The exits charged to device dev's regions ("DEV.something"). */
static int64_t device_exits(json_object *regions, const char *dev)
{
	size_t dl = strlen(dev);
	int64_t own = 0;

	for (size_t k = 0; k < kb_stats_len(regions); k++) {
		json_object *r = json_object_array_get_idx(regions, k);
		const char *rn = kb_stats_str(r, "name");

		if (rn && !strncmp(rn, dev, dl) && rn[dl] == '.')
			own += kb_stats_int(r, "count", 0);
	}
	return own;
}

/*
 * Per device with requests, derived metrics (docs/db-schema.md):
 * DEV.requests, DEV.exits_per_request (userspace exits charged to the
 * device's regions), DEV.kvm_exits_per_request (KVM's vCPU `exits`
 * statistic, every exit of the run), DEV.broken_count when non-zero.
 */
static long insert_device_metrics(struct kb_ingest *in, int64_t run, json_object *stats)
{
	json_object *devs = kb_stats_get(stats, "devices");
	json_object *regions = kb_stats_get(kb_stats_get(stats, "exits"), "by_region");
	json_object *kvm = kb_stats_get(kb_stats_get(stats, "kvm_stats"), "vcpu");
	long rows = 0;

	for (size_t i = 0; i < kb_stats_len(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i);
		const char *dev = kb_stats_str(d, "name");
		int64_t req = kb_stats_int(d, "requests", 0);
		int64_t broken = kb_stats_int(d, "broken_count", 0);
		double own = dev ? (double)device_exits(regions, dev) : 0;

		if (!dev || req <= 0)
			continue;
		if (insert_dev_metric(in, run, dev, "requests", (double)req, "requests") ||
		    insert_dev_metric(in, run, dev, "exits_per_request", own / (double)req,
				      "exits/request") ||
		    (kb_stats_get(kvm, "exits") &&
		     insert_dev_metric(in, run, dev, "kvm_exits_per_request",
				       (double)kb_stats_int(kvm, "exits", 0) / (double)req,
				       "exits/request")) ||
		    (broken > 0 &&
		     insert_dev_metric(in, run, dev, "broken_count", (double)broken, "violations")))
			return -1;
		rows += 2 + (kb_stats_get(kvm, "exits") != NULL) + (broken > 0);
	}
	return rows;
}

/* The metrics array; rows written or -1.  A value null is stored as NULL. */
static long insert_metrics(struct kb_ingest *in, int64_t run, json_object *stats)
{
	json_object *arr = kb_stats_get(stats, "metrics");
	size_t i;

	for (i = 0; i < kb_stats_len(arr); i++) {
		json_object *m = json_object_array_get_idx(arr, i), *v = kb_stats_get(m, "value");
		const char *name = kb_stats_str(m, "name") ? kb_stats_str(m, "name") : "?";
		int64_t vcpu = kb_stats_int(m, "vcpu", 0);
		int rc =
		    v && !json_object_is_type(v, json_type_null)
			? insert(in, S_METRIC, "itdti", run, name, json_object_get_double(v),
				 kb_stats_str(m, "unit"), vcpu)
			: insert(in, S_METRIC, "itnti", run, name, kb_stats_str(m, "unit"), vcpu);

		if (rc)
			return -1;
	}
	return (long)i;
}

/* The marks array; rows written or -1. */
static long insert_marks(struct kb_ingest *in, int64_t run, json_object *stats)
{
	json_object *arr = kb_stats_get(stats, "marks");
	size_t i;

	for (i = 0; i < kb_stats_len(arr); i++) {
		json_object *m = json_object_array_get_idx(arr, i);

		if (insert(in, S_MARK, "itiii", run,
			   kb_stats_str(m, "name") ? kb_stats_str(m, "name") : "?",
			   kb_stats_int(m, "vcpu", 0), kb_stats_int(m, "t_ns", 0),
			   kb_stats_int(m, "guest_tsc", 0)))
			return -1;
	}
	return (long)i;
}

/* exits: the total, by reason and by region; rows written or -1. */
static long insert_exits(struct kb_ingest *in, int64_t run, json_object *stats)
{
	json_object *ex = kb_stats_get(stats, "exits"), *regions = kb_stats_get(ex, "by_region");
	json_object *reasons = kb_stats_get(ex, "by_reason");
	long rows = 1;

	if (!ex)
		return 0;
	if (insert(in, S_EXIT, "ittti", run, "total", NULL, "total", kb_stats_int(ex, "total", 0)))
		return -1;
	if (reasons && json_object_is_type(reasons, json_type_object)) {
		json_object_object_foreach(reasons, key, val)
		{
			if (insert(in, S_EXIT, "ittti", run, "reason", NULL, key,
				   json_object_get_int64(val)))
				return -1;
			rows++;
		}
	}
	for (size_t i = 0; i < kb_stats_len(regions); i++, rows++) {
		json_object *r = json_object_array_get_idx(regions, i);

		if (insert(in, S_EXIT, "ittti", run, "region", kb_stats_str(r, "space"),
			   kb_stats_str(r, "name") ? kb_stats_str(r, "name") : "?",
			   kb_stats_int(r, "count", 0)))
			return -1;
	}
	return rows;
}

/* kvm_stats: the VM's and the vCPUs' statistics; rows written or -1. */
static long insert_kstats(struct kb_ingest *in, int64_t run, json_object *stats)
{
	json_object *ks = kb_stats_get(stats, "kvm_stats");
	static const char *const scopes[] = {"vm", "vcpu"};
	long rows = 0;

	for (int s = 0; s < 2; s++) {
		json_object *o = kb_stats_get(ks, scopes[s]);

		if (!o || !json_object_is_type(o, json_type_object))
			continue;
		json_object_object_foreach(o, key, val)
		{
			if (insert(in, S_KSTAT, "itti", run, scopes[s], key,
				   json_object_get_int64(val)))
				return -1;
			rows++;
		}
	}
	return rows;
}

/* Everything of the stats but the run's row, in this order; rows or -1. */
static long (*const insert_stats[])(struct kb_ingest *, int64_t, json_object *) = {
    insert_metrics, insert_marks, insert_exits, insert_kstats, insert_device_metrics};

long kb_ingest_run(struct kb_ingest *in, struct kb_run_rec *r, const char *stats_path, char *err,
		   size_t errlen)
{
	json_object *stats = NULL;
	struct shape sh;
	long rows = 1, n;
	char why[512];

	if (stats_path && !r->status[0]) {
		stats = kb_stats_load(stats_path, why, sizeof(why));
		if (!stats) {
			snprintf(r->status, sizeof(r->status), "fail");
			snprintf(r->reason, sizeof(r->reason), "%s (VMM exit status %d)", why,
				 r->exit_code);
		}
	}
	judge(r, stats);
	if (stats && strcmp(r->status, "fail") && kb_stats_check_numbers(stats, why, sizeof(why))) {
		snprintf(r->status, sizeof(r->status), "fail");
		snprintf(r->reason, sizeof(r->reason), "stats JSON: %s (%s)", why, stats_path);
	}
	add_notes(r, stats);
	reported_shape(r->pt, stats, &sh);
	note_shape(r, &sh);
	if (kb_db_exec(in->db, "BEGIN IMMEDIATE", err, errlen))
		goto fail;
	int64_t vmm_ns = stats ? kb_stats_int(kb_stats_get(stats, "timings_ns"), "total", -1) : -1;

	if (insert_run(in, r, &sh, vmm_ns, kb_stats_str(kb_stats_get(stats, "sandbox"), "seccomp")))
		goto rollback;
	int64_t run = sqlite3_last_insert_rowid(in->db);

	for (size_t k = 0; stats && k < sizeof(insert_stats) / sizeof(insert_stats[0]); k++) {
		if ((n = insert_stats[k](in, run, stats)) < 0)
			goto rollback;
		rows += n;
	}
	if (kb_db_exec(in->db, "COMMIT", err, errlen))
		goto rollback;
	json_object_put(stats);
	return rows;
rollback:
	snprintf(err, errlen, "recording the run failed: %s", sqlite3_errmsg(in->db));
	kb_db_exec(in->db, "ROLLBACK", why, sizeof(why));
fail:
	json_object_put(stats);
	return -1;
}
