/*
 * Ingesting one run into the database: its row, and from the VMM's stats
 * JSON (parsed with json-c) its metrics, marks, exit counts and KVM
 * statistics, all in one transaction.  A missing or corrupt JSON turns the
 * run into a failure with the reason; the run is never lost.
 */
#ifndef KB_INGEST_H
#define KB_INGEST_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "plan/scenario.h"

struct kb_ingest; /* prepared statements, reused across runs */

struct kb_run_rec {
	int64_t campaign_id;
	const struct kb_point *pt;
	unsigned seq, repeat;
	bool warmup;
	bool expect_any;  /* the workload accepts any guest verdict */
	char status[16];  /* set by the caller only to force "skip" or "fail" */
	char reason[512]; /* with a forced status */
	int exit_code;	  /* the VMM's, or -1 */
	uint64_t wall_ns; /* spawn to reap */
	char log_dir[1024];
	char started[32];
	char note[160]; /* appended to the reason (a log capped, say) */
};

/* The ingest's statements prepared on db (open for writing).  NULL with
 * err.  Free with kb_ingest_free() (NULL: nothing) before closing db. */
struct kb_ingest *kb_ingest_new(sqlite3 *db, char *err, size_t errlen);
void kb_ingest_free(struct kb_ingest *in);

/*
 * Record r, reading the stats JSON at stats_path (NULL when the run never
 * started).  Fills r->status and r->reason with what was recorded.  The
 * run's vcpus, sockets, cores, threads, memory and NUMA nodes are what the
 * VMM reported in the stats' config, r->pt's where it reported none; when
 * they differ from r->pt's, stderr and the reason say so.
 * Returns the number of rows written, or -1 with err (nothing written).
 */
long kb_ingest_run(struct kb_ingest *in, struct kb_run_rec *r, const char *stats_path, char *err,
		   size_t errlen);

#endif
