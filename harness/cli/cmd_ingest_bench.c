/*
 * kvmbench ingest-bench STATS.json N: ingest the same stats N times into a
 * scratch campaign of --db and print rows per second (make bench-harness).
 */
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/util.h"
#include "store/db.h"
#include "store/ingest.h"

static const struct kb_option ingest_opts[] = {{"db", 0, "PATH", KB_DB_HELP}, {0}};

/* A scratch campaign in db (created when missing), its ingester in *in:
 * the campaign's id, or -1 with err. */
static int64_t scratch_campaign(const char *path, sqlite3 **db, struct kb_ingest **in, char *err,
				size_t errlen)
{
	if (kb_db_open(path, true, true, db, err, errlen) ||
	    kb_db_exec(*db,
		       "INSERT OR IGNORE INTO hosts (id, uuid) VALUES (1, 'ingest-bench');"
		       "INSERT INTO campaigns (uuid, scenario, host_id, started, state) VALUES "
		       "(hex(randomblob(16)), 'ingest-bench', 1, 'now', 'done')",
		       err, errlen) ||
	    !(*in = kb_ingest_new(*db, err, errlen)))
		return -1;
	return sqlite3_last_insert_rowid(*db);
}

static int ingest_run(void *state, const struct kb_cli *cli)
{
	static struct kb_point pt = {.key = "0000000000000000", .params = "ingest-bench"};
	static struct kb_workload wl = {.name = "bench", .guest = "bench", .expect = "pass"};
	const char *path = *(const char **)state, *stats = cli->args[0];
	struct kb_ingest *in = NULL;
	struct timespec a, b;
	char err[1024];
	long rows = 0;
	sqlite3 *db;
	double n;

	pt.wl = &wl;
	if (kb_number_arg("kvmbench ingest-bench", "the run count", cli->args[1], 1, 1e7,
			  KB_NUM_INT, &n))
		return 1;
	int64_t campaign = scratch_campaign(path ? path : cli->db, &db, &in, err, sizeof(err));

	if (campaign < 0) {
		fprintf(stderr, "kvmbench: ingest-bench: %s\n", err);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < (long)n; i++) {
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

	printf("%ld runs, %ld rows in %.3f s: %.0f rows/s, %.3f ms per run\n", (long)n, rows, secs,
	       (double)rows / secs, secs * 1e3 / n);
	kb_ingest_free(in);
	kb_db_close(db);
	return 0;
}

const struct kb_command kb_cmd_ingest_bench = {
    .name = "ingest-bench",
    .summary = "time the ingest of a stats file N times (make bench-harness)",
    .args = "STATS.json N",
    .min_args = 2,
    .max_args = 2,
    .opts = ingest_opts,
    .state_size = sizeof(const char *),
    .option = kb_only_option,
    .run = ingest_run,
    .help = "Into a scratch campaign of --db (use a scratch database): a measure of the\n"
	    "harness's own cost, not a benchmark of KVM.\n",
};
