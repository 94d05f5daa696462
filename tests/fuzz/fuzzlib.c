/*
 * Helpers for the fuzz targets (fuzz.h): the parsers that read files get
 * each input through a file in a private temporary directory.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[512];
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

void fuzz_srand(uint64_t seed)
{
	rng_state = seed | 1;
}

/* xorshift64*: the same sequence on every libc */
uint32_t fuzz_rand(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' || (e->d_name[1] && strcmp(e->d_name, "..")))
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name), unlink(p);
	if (d)
		closedir(d);
	rmdir(dir);
}

char *fuzz_path(const char *name)
{
	char *path;

	if (!dir[0]) {
		/* tmpfs: on ext4 a file truncated and written again is flushed at
		 * close (auto_da_alloc), which made a run ten times slower */
		const char *tmp = getenv("TMPDIR")		  ? getenv("TMPDIR")
				  : access("/dev/shm", W_OK) == 0 ? "/dev/shm"
								  : "/tmp";

		snprintf(dir, sizeof(dir), "%s/kvmbench-fuzz.XXXXXX", tmp);
		if (strlen(dir) >= sizeof(dir) - 1 || !mkdtemp(dir)) {
			perror("fuzz: mkdtemp");
			exit(1);
		}
		atexit(remove_dir);
	}
	if (!(path = malloc(strlen(dir) + strlen(name) + 2)))
		exit(1);
	sprintf(path, "%s/%s", dir, name);
	return path;
}

void fuzz_abort_outside(const char *what, uint64_t lo, uint64_t hi, uint64_t entry)
{
	fprintf(stderr, "%s loaded outside RAM: [0x%llx, 0x%llx) entry 0x%llx\n", what,
		(unsigned long long)lo, (unsigned long long)hi, (unsigned long long)entry);
	abort();
}

void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
		perror(path);
		exit(1);
	}
}
