/*
 * Fuzz target for the scenario reader (harness/plan/: scenario.c, expand.c,
 * axes.c): the input is a scenario file, parsed, validated and expanded into
 * points by kb_scenario_load() against a guest directory holding every
 * micro-guest name.  A file that is refused must be refused with "FILE: ..." or
 * "FILE:LINE: ...", never a bare message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "plan/scenario.h"

static char *path, *guests;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const names[] = {
	    "acpipm",  "blkio", "cpuid",    "crash",   "fail",	   "fwcfg",    "hello",
	    "hlt",     "ipi",	"memtouch", "mmio",    "msr",	   "netio",    "pio",
	    "ptchurn", "rng",	"smpwork",  "tlbwalk", "topology", "virtqevil"};
	char p[600];

	(void)argc, (void)argv;
	path = fuzz_path("scenario.ini");
	guests = fuzz_path("guests");
	mkdir(guests, 0755);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *f;

		snprintf(p, sizeof(p), "guests/%s.elf", names[i]);
		fuzz_write_file(f = fuzz_path(p), NULL, 0);
		free(f);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kb_scenario s; /* about 1 MB */
	char err[1024] = "";

	fuzz_write_file(path, data, size);
	if (kb_scenario_load(path, guests, &s, err, sizeof(err)) == 0) {
		kb_scenario_free(&s);
		return 0;
	}
	if (strncmp(err, path, strlen(path)) || (err[strlen(path)] != ':')) {
		fprintf(stderr, "scenario refused without naming the file: '%s'\n", err);
		abort();
	}
	return 0;
}
