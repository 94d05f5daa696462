/*
 * Fuzz target for the stats JSON ingest (harness/store/ingest.c on json-c): the
 * input is the stats file a VMM left behind, recorded by kb_ingest_run()
 * into a real database (schema and all, in a private temporary
 * directory).  Whatever the file holds, the run must be recorded, as pass,
 * fail or skip; then it is deleted again so every input starts alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "fuzz.h"
#include "store/ingest.h"

static sqlite3 *db;
static struct kb_ingest *ing;
static char *stats;

static void fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_ingest: %s: %s\n", what, err);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512], *path = fuzz_path("runs.db");

	(void)argc, (void)argv;
	stats = fuzz_path("stats.json");
	if (kb_db_open(path, true, true, &db, err, sizeof(err)) ||
	    kb_db_exec(db,
		       "INSERT INTO hosts (id, uuid) VALUES (1, 'h');"
		       "INSERT INTO campaigns (id, uuid, scenario, host_id, started, state)"
		       " VALUES (1, 'c', 'fuzz', 1, 'now', 'running')",
		       err, sizeof(err)) ||
	    !(ing = kb_ingest_new(db, err, sizeof(err))))
		fail("database", err);
	free(path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct kb_workload wl = {.name = "hello", .guest = "hello"};
	static const struct kb_point pt = {
	    .v = {"1", "128M", "none", "none", "hello", "host", "", "on"},
	    .key = "0123456789abcdef",
	    .params = "topology=1 workload=hello",
	    .smp = {1, 1, 1, 1, 1},
	    .memory = 128 << 20,
	    .wl = &wl};
	struct kb_run_rec r = {.campaign_id = 1, .pt = &pt, .expect_any = size & 1};
	char err[512];

	fuzz_write_file(stats, data, size);
	if (kb_ingest_run(ing, &r, stats, err, sizeof(err)) < 0)
		fail("the run was not recorded", err);
	if (strcmp(r.status, "pass") && strcmp(r.status, "fail") && strcmp(r.status, "skip"))
		fail("status", r.status);
	if (kb_db_exec(db, "DELETE FROM runs", err, sizeof(err)))
		fail("DELETE", err);
	return 0;
}
