/*
 * kvmbench merge: union databases from several hosts (see merge.h).
 * Rows are matched by uuid (hosts, builds, campaigns) and by (campaign,
 * point, repeat, warm-up) for runs.  Merging is incremental: a campaign
 * already present gets the runs it lacks (a source merged while its
 * campaign was still running, then resumed), and its state while the
 * output still has it unfinished; merging the same file twice adds
 * nothing.  A source is attached read-only and never written.  One
 * transaction per source: a failing source leaves the output as it was.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store/db.h"
#include "store/merge.h"

/* cmap: source campaign -> output campaign (added: new to the output);
 * rmap: source run -> output run, for the runs new to the output. */
static const char merge_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS cmap (old INTEGER PRIMARY KEY, new INTEGER, added INTEGER);"
    "CREATE TEMP TABLE IF NOT EXISTS rmap (old INTEGER PRIMARY KEY, new INTEGER);"
    "DELETE FROM cmap; DELETE FROM rmap;"
    "INSERT OR IGNORE INTO hosts (uuid, hostname, cpu_vendor, cpu_model, kernel, kvm_module,"
    " paging, tdp_mmu, thp, online_cpus, max_vcpus, mem_bytes, kind, timings_emulated)"
    " SELECT uuid, hostname, cpu_vendor, cpu_model, kernel, kvm_module, paging, tdp_mmu, thp,"
    " online_cpus, max_vcpus, mem_bytes, kind, timings_emulated FROM src.hosts;"
    "INSERT OR IGNORE INTO builds (uuid, version, git) SELECT uuid, version, git FROM src.builds;"
    "INSERT INTO cmap (old, added) SELECT id, uuid NOT IN (SELECT uuid FROM main.campaigns)"
    " FROM src.campaigns;"
    "INSERT INTO campaigns (uuid, scenario, scenario_file, kind, tag, host_id, build_id, shard,"
    " repeats, warmup, points, planned_runs, started, finished, state, pid, vmm_args, run_group)"
    " SELECT c.uuid, c.scenario, c.scenario_file, c.kind, c.tag,"
    " (SELECT id FROM main.hosts WHERE uuid = h.uuid),"
    " (SELECT id FROM main.builds WHERE uuid = b.uuid), c.shard, c.repeats, c.warmup,"
    " c.points, c.planned_runs, c.started, c.finished, c.state, c.pid, c.vmm_args, c.run_group"
    " FROM src.campaigns c JOIN src.hosts h ON h.id = c.host_id"
    " LEFT JOIN src.builds b ON b.id = c.build_id WHERE c.id IN (SELECT old FROM cmap"
    " WHERE added) ORDER BY c.id;"
    "UPDATE cmap SET new = (SELECT m.id FROM main.campaigns m JOIN src.campaigns s"
    " ON s.uuid = m.uuid WHERE s.id = cmap.old);"
    /* an unfinished campaign follows its source (resumed, done since) */
    "UPDATE main.campaigns SET (state, finished, planned_runs, pid) = (SELECT s.state,"
    " s.finished, s.planned_runs, s.pid FROM src.campaigns s JOIN cmap ON cmap.old = s.id"
    " WHERE cmap.new = campaigns.id) WHERE state IN ('running', 'interrupted')"
    " AND id IN (SELECT new FROM cmap WHERE NOT added);"
    "INSERT INTO rmap (old) SELECT r.id FROM src.runs r JOIN cmap ON cmap.old = r.campaign_id"
    " WHERE NOT EXISTS (SELECT 1 FROM main.runs n WHERE n.campaign_id = cmap.new"
    " AND n.point_key = r.point_key AND n.repeat = r.repeat AND n.warmup = r.warmup);"
    "INSERT INTO runs (campaign_id, point_key, seq, repeat, warmup, topology, vcpus, sockets,"
    " cores, threads, memory_bytes, numa, devices, workload, guest, paging, vmm_args, params,"
    " status, exit_code, reason, wall_ns, vmm_wall_ns, log_dir, started, sandbox)"
    " SELECT cmap.new, point_key, seq, repeat, warmup, topology, vcpus, sockets, cores,"
    " threads, memory_bytes, numa, devices, workload, guest, paging, vmm_args, params, status,"
    " exit_code, reason, wall_ns, vmm_wall_ns, log_dir, started, sandbox"
    " FROM src.runs r JOIN cmap ON cmap.old = r.campaign_id"
    " WHERE r.id IN (SELECT old FROM rmap) ORDER BY r.id;"
    "UPDATE rmap SET new = (SELECT n.id FROM src.runs r JOIN cmap ON cmap.old = r.campaign_id"
    " JOIN main.runs n ON n.campaign_id = cmap.new AND n.point_key = r.point_key"
    " AND n.repeat = r.repeat AND n.warmup = r.warmup WHERE r.id = rmap.old);"
    "INSERT INTO metrics (run_id, name, value, unit, vcpu) SELECT rmap.new, name, value, unit,"
    " vcpu FROM src.metrics m JOIN rmap ON rmap.old = m.run_id;"
    "INSERT INTO marks (run_id, name, vcpu, t_ns, guest_tsc) SELECT rmap.new, name, vcpu,"
    " t_ns, guest_tsc FROM src.marks m JOIN rmap ON rmap.old = m.run_id;"
    "INSERT INTO exits (run_id, kind, space, name, count) SELECT rmap.new, kind, space, name,"
    " count FROM src.exits e JOIN rmap ON rmap.old = e.run_id;"
    "INSERT INTO kvm_stats (run_id, scope, name, value) SELECT rmap.new, scope, name, value"
    " FROM src.kvm_stats k JOIN rmap ON rmap.old = k.run_id;";

/* The first column of a one-row query; -1 when it fails. */
static int count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int merge_one(sqlite3 *db, const char *src, int added[2], char *err, size_t errlen)
{
	sqlite3 *check;
	sqlite3_stmt *st;
	char why[512], uri[4200];

	/* Validate the source the same way as any database we read. */
	if (kb_db_open(src, false, false, &check, err, errlen))
		return -1;
	kb_db_close(check);
	if (kb_db_uri(src, true, uri, sizeof(uri))) {
		snprintf(err, errlen, "%s: path too long", src);
		return -1;
	}
	st = kb_db_prepare(db, "ATTACH DATABASE ? AS src", err, errlen);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: cannot attach: %s", src, sqlite3_errmsg(db));
		return -1;
	}
	if (kb_db_exec(db, "BEGIN IMMEDIATE", why, sizeof(why)) ||
	    kb_db_exec(db, merge_sql, why, sizeof(why))) {
		snprintf(err, errlen, "%s: merge failed: %s", src, why);
		kb_db_exec(db, "ROLLBACK", why, sizeof(why));
		kb_db_exec(db, "DETACH DATABASE src", why, sizeof(why));
		return -1;
	}
	added[0] = count(db, "SELECT count(*) FROM cmap WHERE added");
	added[1] = count(db, "SELECT count(*) FROM rmap");
	rc = kb_db_exec(db, "COMMIT", why, sizeof(why));
	kb_db_exec(db, "DETACH DATABASE src", why, sizeof(why));
	if (rc)
		snprintf(err, errlen, "%s: merge failed: %s", src, why);
	return rc;
}

int kb_merge(const char *out_path, char **sources, int nsources, char *err, size_t errlen)
{
	sqlite3 *db;
	struct stat so, ss;
	int total[2] = {0, 0};
	bool have_out = stat(out_path, &so) == 0;

	for (int i = 0; i < nsources; i++)
		if (!strcmp(sources[i], out_path) ||
		    (have_out && !stat(sources[i], &ss) && ss.st_dev == so.st_dev &&
		     ss.st_ino == so.st_ino)) {
			snprintf(err, errlen, "merge: %s is both a source and the output",
				 sources[i]);
			return -1;
		}
	if (kb_db_open(out_path, true, true, &db, err, errlen))
		return -1;
	for (int i = 0; i < nsources; i++) {
		int added[2] = {0, 0};

		if (merge_one(db, sources[i], added, err, errlen)) {
			kb_db_close(db);
			return -1;
		}
		printf("%s: %d campaign%s added, %d run%s\n", sources[i], added[0],
		       added[0] == 1 ? "" : "s", added[1], added[1] == 1 ? "" : "s");
		total[0] += added[0];
		total[1] += added[1];
	}
	printf("%s: %d campaign%s added in all, %d run%s\n", out_path, total[0],
	       total[0] == 1 ? "" : "s", total[1], total[1] == 1 ? "" : "s");
	kb_db_close(db);
	return 0;
}
