/*
 * The smoke driver: a main() for the fuzz targets when libFuzzer is not
 * there (make fuzz-smoke, GCC with ASan and UBSan).  It runs every file of
 * the target's seed corpus once, then COUNT inputs, each a seed mutated the
 * way libFuzzer would (bits flipped, bytes and "interesting" integers set,
 * ranges deleted, duplicated or spliced from another seed), or, for a
 * target that defines fuzz_generate(), every other one built by that.
 * The random sequence is fixed by SEED, so a failure is reproducible; the
 * input that failed is written next to the binary as crash-TARGET, for the
 * libFuzzer build (`build/fuzz/NAME crash-...`) or a debugger.
 *
 *   fuzz_NAME_smoke COUNT [CORPUS_DIR [SEED]]
 */
#include <dirent.h>
#include <sanitizer/common_interface_defs.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_SEEDS 64
#define INPUT_MAX (256u << 10)

static struct {
	uint8_t *data;
	size_t size;
} seed[MAX_SEEDS];
static unsigned nseeds;
static uint8_t *cur;
static size_t cur_size;
static const char *target;
static char crash_path[4096];

static size_t below(size_t n)
{
	return n ? fuzz_rand() % n : 0;
}

static void load_corpus(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (!d) {
		fprintf(stderr, "%s: no seed corpus at %s: random inputs only\n", target, dir);
		return;
	}
	while ((e = readdir(d)) && nseeds < MAX_SEEDS) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!(f = fopen(path, "rb")))
			continue;
		seed[nseeds].data = malloc(INPUT_MAX);
		seed[nseeds].size = fread(seed[nseeds].data, 1, INPUT_MAX, f);
		fclose(f);
		nseeds++;
	}
	closedir(d);
}

/* An integer a parser is likely to treat specially, 1, 2, 4 or 8 bytes. */
static void interesting(uint8_t *p, size_t room)
{
	static const uint64_t v[] = {0,
				     1,
				     0x7f,
				     0x80,
				     0xff,
				     0x100,
				     0x1000,
				     0x7fff,
				     0xffff,
				     0x100000,
				     0x7fffffff,
				     0x80000000,
				     0xffffffff,
				     0x7fffffffffffffffull,
				     0x8000000000000000ull,
				     0xfffffffffffff000ull,
				     ~0ull};
	static const size_t w[] = {1, 2, 4, 8};
	size_t n = w[below(4)];
	uint64_t x = v[below(sizeof(v) / sizeof(v[0]))];

	if (fuzz_rand() & 1)
		x = -x;
	memcpy(p, &x, n < room ? n : room);
}

static void mutate_once(size_t max)
{
	size_t at = below(cur_size), n;

	switch (fuzz_rand() % 8) {
	case 0:
		if (cur_size)
			cur[at] ^= (uint8_t)(1u << below(8));
		break;
	case 1:
		if (cur_size)
			cur[at] = (uint8_t)fuzz_rand();
		break;
	case 2:
		if (cur_size)
			interesting(cur + at, cur_size - at);
		break;
	case 3: /* delete a range */
		n = below(cur_size - at < 64 ? cur_size - at + 1 : 64);
		memmove(cur + at, cur + at + n, cur_size - at - n);
		cur_size -= n;
		break;
	case 4: /* insert random bytes */
		n = 1 + below(16);
		if (cur_size + n > max)
			break;
		memmove(cur + at + n, cur + at, cur_size - at);
		for (size_t i = 0; i < n; i++)
			cur[at + i] = (uint8_t)fuzz_rand();
		cur_size += n;
		break;
	case 5: /* copy a range of the input over another place */
		if (cur_size) {
			size_t from = below(cur_size);

			n = below(cur_size - (from > at ? from : at) + 1);
			memmove(cur + at, cur + from, n);
		}
		break;
	case 6: /* splice in a range of another seed: tokens, headers */
		if (nseeds) {
			unsigned s = (unsigned)below(nseeds);
			size_t from = below(seed[s].size);

			n = 1 + below(32);
			if (n > seed[s].size - from)
				n = seed[s].size - from;
			if (cur_size + n > max)
				break;
			memmove(cur + at + n, cur + at, cur_size - at);
			memcpy(cur + at, seed[s].data + from, n);
			cur_size += n;
		}
		break;
	default: /* a byte from the printable range, for text formats */
		if (cur_size)
			cur[at] = (uint8_t)(' ' + below(95));
	}
}

/* GCC's UBSan has a runtime of its own that ignores ASan's death callback:
 * make it abort, and catch that (the targets' own checks abort too). */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1:abort_on_error=1";
}

/* ASan calls this before it ends the process; SIGABRT for the rest. */
static void crashed(void)
{
	FILE *f = fopen(crash_path, "wb");

	if (f) {
		fwrite(cur, 1, cur_size, f);
		fclose(f);
		fprintf(stderr, "%s: the failing input is in %s\n", target, crash_path);
	}
}

static void aborted(int sig)
{
	crashed();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void run(void)
{
	/* an exact-size copy: ASan sees a read past the end of the input */
	uint8_t *in = malloc(cur_size ? cur_size : 1);

	memcpy(in, cur, cur_size);
	LLVMFuzzerTestOneInput(in, cur_size);
	free(in);
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	const char *slash = strrchr(argv[0], '/');

	target = slash ? slash + 1 : argv[0];
	snprintf(crash_path, sizeof(crash_path), "%.*scrash-%s",
		 slash ? (int)(slash - argv[0] + 1) : 0, argv[0], target);
	fuzz_srand(argc > 3 ? strtoull(argv[3], NULL, 10) : 0x9e3779b97f4a7c15ull);
	if (argc > 2)
		load_corpus(argv[2]);
	cur = malloc(INPUT_MAX);
	__sanitizer_set_death_callback(crashed);
	signal(SIGABRT, aborted);
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (unsigned i = 0; i < nseeds; i++) {
		memcpy(cur, seed[i].data, seed[i].size);
		cur_size = seed[i].size;
		run();
	}
	for (unsigned long i = 0; i < count; i++) {
		if (fuzz_generate && (i & 1 || !nseeds)) {
			cur_size = fuzz_generate(cur, INPUT_MAX);
		} else if (nseeds) {
			unsigned s = (unsigned)below(nseeds);

			memcpy(cur, seed[s].data, seed[s].size);
			cur_size = seed[s].size;
			for (unsigned k = 1 + (unsigned)below(8); k; k--)
				mutate_once(INPUT_MAX);
		} else {
			cur_size = below(4096);
			for (size_t k = 0; k < cur_size; k++)
				cur[k] = (uint8_t)fuzz_rand();
		}
		run();
	}
	printf("%s: %u seeds and %lu generated inputs, no fault\n", target, nseeds, count);
	return 0;
}
