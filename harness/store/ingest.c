/*
 * Stats JSON -> SQLite (see ingest.h).  Every statement is prepared once;
 * one run is one transaction, so an interrupted harness leaves whole runs
 * or none.
 */
#include "store/ingest.h"

#include <inttypes.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "kvmbench/abi.h"
#include "common/util.h"
#include "common/proc.h"

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

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int64_t get_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v = get(o, key);

	return v && (json_object_is_type(v, json_type_int) ||
		     json_object_is_type(v, json_type_double))
		   ? json_object_get_int64(v)
		   : dflt;
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
	json_object *res = get(stats, "result");
	const char *status = get_str(res, "status");
	const char *reason = get_str(res, "reason");

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
	json_object *con = get(stats, "console");
	int64_t dropped = get_int(con, "dropped_bytes", 0);
	size_t n = strlen(r->reason);

	if (dropped > 0)
		snprintf(r->reason + n, sizeof(r->reason) - n,
			 "; console output capped at %" PRId64 " bytes",
			 get_int(get(stats, "config"), "serial_cap", 0));
	n = strlen(r->reason);
	if (r->note[0])
		snprintf(r->reason + n, sizeof(r->reason) - n, "; %s", r->note);
}

static int insert_run(struct kb_ingest *in, const struct kb_run_rec *r, int64_t vmm_ns,
		      const char *sandbox)
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
	sqlite3_bind_int(st, i++, (int)p->smp.cpus);
	sqlite3_bind_int(st, i++, (int)p->smp.sockets);
	sqlite3_bind_int(st, i++, (int)p->smp.cores);
	sqlite3_bind_int(st, i++, (int)p->smp.threads);
	sqlite3_bind_int64(st, i++, (int64_t)p->memory);
	bind_text(st, i++, p->v[KB_AX_NUMA]);
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
	return step(st);
}

static int insert_metric(struct kb_ingest *in, int64_t run, const char *name, double value,
			 const char *unit)
{
	sqlite3_stmt *st = in->st[S_METRIC];

	sqlite3_bind_int64(st, 1, run);
	bind_text(st, 2, name);
	sqlite3_bind_double(st, 3, value);
	bind_text(st, 4, unit);
	sqlite3_bind_int64(st, 5, 0);
	return step(st);
}

/*
 * Per device with requests, derived metrics (docs/db-schema.md):
 * DEV.requests, DEV.exits_per_request (userspace exits charged to the
 * device's regions), DEV.kvm_exits_per_request (KVM's vCPU `exits`
 * statistic, every exit of the run), DEV.broken_count when non-zero.
 */
static long insert_device_metrics(struct kb_ingest *in, int64_t run, json_object *stats)
{
	json_object *devs = get(stats, "devices"), *regions = get(get(stats, "exits"), "by_region");
	json_object *kvm = get(get(stats, "kvm_stats"), "vcpu");
	size_t nd =
	    devs && json_object_is_type(devs, json_type_array) ? json_object_array_length(devs) : 0;
	size_t nr = regions && json_object_is_type(regions, json_type_array)
			? json_object_array_length(regions)
			: 0;
	long rows = 0;

	for (size_t i = 0; i < nd; i++) {
		json_object *d = json_object_array_get_idx(devs, i);
		const char *dev = get_str(d, "name");
		int64_t req = get_int(d, "requests", 0), own = 0;
		char name[160];
		size_t dl = dev ? strlen(dev) : 0;

		if (!dev || req <= 0)
			continue;
		for (size_t k = 0; k < nr; k++) {
			json_object *r = json_object_array_get_idx(regions, k);
			const char *rn = get_str(r, "name");

			if (rn && !strncmp(rn, dev, dl) && rn[dl] == '.')
				own += get_int(r, "count", 0);
		}
		snprintf(name, sizeof(name), "%s.requests", dev);
		if (insert_metric(in, run, name, (double)req, "requests"))
			return -1;
		snprintf(name, sizeof(name), "%s.exits_per_request", dev);
		if (insert_metric(in, run, name, (double)own / (double)req, "exits/request"))
			return -1;
		rows += 2;
		if (get(kvm, "exits")) {
			snprintf(name, sizeof(name), "%s.kvm_exits_per_request", dev);
			if (insert_metric(in, run, name,
					  (double)get_int(kvm, "exits", 0) / (double)req,
					  "exits/request"))
				return -1;
			rows++;
		}
		if (get_int(d, "broken_count", 0) > 0) {
			snprintf(name, sizeof(name), "%s.broken_count", dev);
			if (insert_metric(in, run, name, (double)get_int(d, "broken_count", 0),
					  "violations"))
				return -1;
			rows++;
		}
	}
	return rows;
}

/* metrics and marks arrays; returns rows written or -1 */
static long insert_records(struct kb_ingest *in, int64_t run, json_object *stats)
{
	json_object *arr = get(stats, "metrics");
	long rows = 0;
	size_t n =
	    arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n; i++, rows++) {
		json_object *m = json_object_array_get_idx(arr, i);
		sqlite3_stmt *st = in->st[S_METRIC];
		json_object *v = get(m, "value");

		sqlite3_bind_int64(st, 1, run);
		bind_text(st, 2, get_str(m, "name") ? get_str(m, "name") : "?");
		if (v && !json_object_is_type(v, json_type_null))
			sqlite3_bind_double(st, 3, json_object_get_double(v));
		else
			sqlite3_bind_null(st, 3);
		bind_text(st, 4, get_str(m, "unit"));
		sqlite3_bind_int64(st, 5, get_int(m, "vcpu", 0));
		if (step(st))
			return -1;
	}
	arr = get(stats, "marks");
	n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	for (size_t i = 0; i < n; i++, rows++) {
		json_object *m = json_object_array_get_idx(arr, i);
		sqlite3_stmt *st = in->st[S_MARK];

		sqlite3_bind_int64(st, 1, run);
		bind_text(st, 2, get_str(m, "name") ? get_str(m, "name") : "?");
		sqlite3_bind_int64(st, 3, get_int(m, "vcpu", 0));
		sqlite3_bind_int64(st, 4, get_int(m, "t_ns", 0));
		sqlite3_bind_int64(st, 5, get_int(m, "guest_tsc", 0));
		if (step(st))
			return -1;
	}
	return rows;
}

static int insert_exit(struct kb_ingest *in, int64_t run, const char *kind, const char *space,
		       const char *name, int64_t count)
{
	sqlite3_stmt *st = in->st[S_EXIT];

	sqlite3_bind_int64(st, 1, run);
	bind_text(st, 2, kind);
	bind_text(st, 3, space);
	bind_text(st, 4, name);
	sqlite3_bind_int64(st, 5, count);
	return step(st);
}

static long insert_exits(struct kb_ingest *in, int64_t run, json_object *stats)
{
	json_object *ex = get(stats, "exits"), *regions = get(ex, "by_region");
	long rows = 0;

	if (!ex)
		return 0;
	if (insert_exit(in, run, "total", NULL, "total", get_int(ex, "total", 0)))
		return -1;
	rows++;
	json_object *reasons = get(ex, "by_reason");

	if (reasons && json_object_is_type(reasons, json_type_object)) {
		json_object_object_foreach(reasons, key, val)
		{
			if (insert_exit(in, run, "reason", NULL, key, json_object_get_int64(val)))
				return -1;
			rows++;
		}
	}
	size_t n = regions && json_object_is_type(regions, json_type_array)
		       ? json_object_array_length(regions)
		       : 0;
	for (size_t i = 0; i < n; i++, rows++) {
		json_object *r = json_object_array_get_idx(regions, i);

		if (insert_exit(in, run, "region", get_str(r, "space"),
				get_str(r, "name") ? get_str(r, "name") : "?",
				get_int(r, "count", 0)))
			return -1;
	}
	return rows;
}

static long insert_kstats(struct kb_ingest *in, int64_t run, json_object *stats)
{
	json_object *ks = get(stats, "kvm_stats");
	static const char *const scopes[] = {"vm", "vcpu"};
	long rows = 0;

	for (int s = 0; s < 2; s++) {
		json_object *o = get(ks, scopes[s]);

		if (!o || !json_object_is_type(o, json_type_object))
			continue;
		json_object_object_foreach(o, key, val)
		{
			sqlite3_stmt *st = in->st[S_KSTAT];

			sqlite3_bind_int64(st, 1, run);
			bind_text(st, 2, scopes[s]);
			bind_text(st, 3, key);
			sqlite3_bind_int64(st, 4, json_object_get_int64(val));
			if (step(st))
				return -1;
			rows++;
		}
	}
	return rows;
}

/* A metric value or an exit count: a JSON number, finite, not negative. */
static bool good_number(json_object *v)
{
	double d;

	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return false;
	d = json_object_get_double(v);
	return isfinite(d) && d >= 0;
}

/*
 * The stats' metric values and exit counts (the VMM writes none that fail
 * this; a foreign or corrupt file might): 0, or -1 with why.  A NaN would
 * compare as neither better nor worse and hide a regression.
 */
static int check_numbers(json_object *stats, char *why, size_t whylen)
{
	json_object *arr = get(stats, "metrics"), *ex = get(stats, "exits"), *v = NULL;
	const char *what = NULL;
	char where[96];

	for (size_t i = 0; !what && json_object_is_type(arr, json_type_array) &&
			   i < json_object_array_length(arr);
	     i++) {
		json_object *m = json_object_array_get_idx(arr, i);

		v = get(m, "value");
		snprintf(where, sizeof(where), "metric '%.48s'",
			 get_str(m, "name") ? get_str(m, "name") : "?");
		what = good_number(v) ? NULL : where;
	}
	if (!what && ex && !good_number(v = get(ex, "total")))
		what = "exits.total";
	if (!what && json_object_is_type(get(ex, "by_reason"), json_type_object)) {
		json_object_object_foreach(get(ex, "by_reason"), key, val)
		{
			if (what || good_number(val))
				continue;
			snprintf(where, sizeof(where), "exits.by_reason.%.48s", key);
			v = val, what = where;
		}
	}
	arr = get(ex, "by_region");
	for (size_t i = 0; !what && json_object_is_type(arr, json_type_array) &&
			   i < json_object_array_length(arr);
	     i++) {
		snprintf(where, sizeof(where), "exits.by_region[%zu].count", i);
		v = get(json_object_array_get_idx(arr, i), "count");
		what = good_number(v) ? NULL : where;
	}
	if (!what)
		return 0;
	snprintf(why, whylen, "%s is %.40s, not a finite number >= 0", what,
		 v ? json_object_to_json_string(v) : "null or missing");
	return -1;
}

/* Exit regions, KVM statistics and devices: longer than a guest's names. */
#define OTHER_NAME_MAX 64

/*
 * s is a name under the rule of util.h (or, with optional, empty); else
 * why says which field, quoting s with other characters as '?'.
 */
static bool name_ok(const char *s, size_t max, bool optional, const char *field, char *why,
		    size_t whylen)
{
	char shown[52];

	if (s && ((optional && !*s) || kb_name_ok(s, max)))
		return true;
	if (!s) {
		snprintf(why, whylen, "%s missing", field);
		return false;
	}
	kb_name_shown(shown, sizeof(shown), s, strlen(s));
	snprintf(why, whylen, "%s \"%s\": want %s%zu characters of %s", field, shown,
		 optional ? "0-" : "1-", max - 1, KB_NAME_CHARS);
	return false;
}

/* The key of each element of an array at o (with optional, absent or
 * empty is fine), or each key of an object at o. */
static bool names_ok(json_object *o, const char *key, size_t max, bool optional, const char *field,
		     char *why, size_t whylen)
{
	char f[96];

	if (o && json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v)
		{
			(void)v;
			if (!name_ok(k, max, false, field, why, whylen))
				return false;
		}
	}
	for (size_t i = 0;
	     o && json_object_is_type(o, json_type_array) && i < json_object_array_length(o); i++) {
		json_object *e = json_object_array_get_idx(o, i);

		snprintf(f, sizeof(f), "%s[%zu].%s", field, i, key);
		if ((optional && !get(e, key)) ||
		    name_ok(get_str(e, key), max, optional, f, why, whylen))
			continue;
		return false;
	}
	return true;
}

/*
 * Every name the stats file gives: a file from elsewhere can hold
 * anything, and these reach gnuplot scripts and web pages.
 */
static bool stats_names_ok(json_object *st, char *why, size_t whylen)
{
	json_object *ex = get(st, "exits"), *ks = get(st, "kvm_stats");

	return names_ok(get(st, "metrics"), "name", KB_BENCH_NAME_MAX, false, "metrics", why,
			whylen) &&
	       names_ok(get(st, "metrics"), "unit", KB_BENCH_UNIT_MAX, true, "metrics", why,
			whylen) &&
	       names_ok(get(st, "marks"), "name", KB_BENCH_NAME_MAX, false, "marks", why, whylen) &&
	       names_ok(get(ex, "by_reason"), NULL, OTHER_NAME_MAX, false, "exits.by_reason", why,
			whylen) &&
	       names_ok(get(ex, "by_region"), "name", OTHER_NAME_MAX, false, "exits.by_region", why,
			whylen) &&
	       names_ok(get(ex, "by_region"), "space", OTHER_NAME_MAX, true, "exits.by_region", why,
			whylen) &&
	       names_ok(get(ks, "vm"), NULL, OTHER_NAME_MAX, false, "kvm_stats.vm", why, whylen) &&
	       names_ok(get(ks, "vcpu"), NULL, OTHER_NAME_MAX, false, "kvm_stats.vcpu", why,
			whylen) &&
	       names_ok(get(st, "devices"), "name", OTHER_NAME_MAX, false, "devices", why, whylen);
}

static json_object *load_stats(const char *path, char *why, size_t whylen)
{
	char bad[256];
	char e[400];
	int fd = kb_open_regular(path, O_RDONLY, e, sizeof(e)); /* a FIFO would hang us */
	json_object *o = fd < 0 ? NULL : json_object_from_fd(fd);

	if (fd >= 0)
		close(fd);
	if (fd < 0) {
		snprintf(why, whylen, "stats JSON unreadable: %s", e);
		return NULL;
	}
	if (!o) {
		snprintf(why, whylen, "stats JSON %s unreadable: %s", path,
			 json_util_get_last_err() ? json_util_get_last_err() : "parse error");
		why[strcspn(why, "\n")] = 0;
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object) || get_int(o, "schema", 0) != 1) {
		snprintf(why, whylen, "stats JSON %s: not a schema 1 stats object", path);
		json_object_put(o);
		return NULL;
	}
	if (!stats_names_ok(o, bad, sizeof(bad))) {
		snprintf(why, whylen, "stats JSON %s: %s", path, bad);
		json_object_put(o);
		return NULL;
	}
	return o;
}

long kb_ingest_run(struct kb_ingest *in, struct kb_run_rec *r, const char *stats_path, char *err,
		   size_t errlen)
{
	json_object *stats = NULL;
	long rows = 1, n;
	char why[512];

	if (stats_path && !r->status[0]) {
		stats = load_stats(stats_path, why, sizeof(why));
		if (!stats) {
			snprintf(r->status, sizeof(r->status), "fail");
			snprintf(r->reason, sizeof(r->reason), "%s (VMM exit status %d)", why,
				 r->exit_code);
		}
	}
	judge(r, stats);
	if (stats && strcmp(r->status, "fail") && check_numbers(stats, why, sizeof(why))) {
		snprintf(r->status, sizeof(r->status), "fail");
		snprintf(r->reason, sizeof(r->reason), "stats JSON: %s (%s)", why, stats_path);
	}
	add_notes(r, stats);
	if (kb_db_exec(in->db, "BEGIN IMMEDIATE", err, errlen))
		goto fail;
	int64_t vmm_ns = stats ? get_int(get(stats, "timings_ns"), "total", -1) : -1;

	if (insert_run(in, r, vmm_ns, get_str(get(stats, "sandbox"), "seccomp")))
		goto rollback;
	int64_t run = sqlite3_last_insert_rowid(in->db);

	if (stats) {
		if ((n = insert_records(in, run, stats)) < 0)
			goto rollback;
		rows += n;
		if ((n = insert_exits(in, run, stats)) < 0)
			goto rollback;
		rows += n;
		if ((n = insert_kstats(in, run, stats)) < 0)
			goto rollback;
		rows += n;
		if ((n = insert_device_metrics(in, run, stats)) < 0)
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
