/*
 * Fuzz target for the image manifest reader (harness/images/manifest.c): the input
 * is a manifest file, parsed and checked by kb_manifest_load().  A file
 * that is refused must be refused with "FILE: ..." or "FILE:LINE: ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "images/manifest.h"

static char *path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	path = fuzz_path("manifest.ini");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kb_manifest m; /* about 200 KB */
	char err[1024] = "";

	fuzz_write_file(path, data, size);
	if (kb_manifest_load(path, &m, err, sizeof(err)) == 0)
		return 0;
	if (strncmp(err, path, strlen(path)) || (err[strlen(path)] != ':')) {
		fprintf(stderr, "manifest refused without naming the file: '%s'\n", err);
		abort();
	}
	return 0;
}
