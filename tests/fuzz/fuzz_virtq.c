/*
 * Fuzz target for the virtqueue parser (vmm/virtio/virtq.c): the input is
 * a guest: its first bytes choose the queue (size, ring addresses, the
 * last index taken), the rest is guest RAM.  Every chain handed out is
 * read and written end to end, so a segment outside RAM shows up under
 * AddressSanitizer.
 *
 * The smoke driver (tests/fuzz/driver.c) feeds it, besides mutated seeds,
 * the random guests of fuzz_generate() below.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "virtio/virtq.h"

#define RAM (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kb_vq_chain c;
	struct kb_mem m = {.size = RAM, .low = RAM, .fd = -1};
	struct kb_vq q = {.enabled = true};
	char err[256];
	uint16_t v[4];

	if (size < 8)
		return 0;
	memcpy(v, data, 8);
	m.host = malloc(RAM); /* exactly RAM bytes: ASan sees any overrun */
	memset(m.host, 0, RAM);
	memcpy(m.host, data + 8, size - 8 < RAM ? size - 8 : RAM);
	q.size = (uint16_t)(1u << (v[0] % 10)); /* 1..512: above 256 must be refused */
	q.desc = v[1] % RAM & ~15u;
	q.avail = v[2] % RAM & ~1u;
	q.used = v[3] % RAM & ~3u;
	q.last_avail = (uint16_t)(v[0] >> 4);
	if (kb_vq_check_rings(&m, &q, err, sizeof(err)) == 0) {
		for (int i = 0; i < 8 && kb_vq_pop(&m, &q, &c, err, sizeof(err)) == 1; i++) {
			uint32_t sum = 0;

			for (unsigned s = 0; s < c.n; s++)
				for (uint32_t k = 0; k < c.seg[s].len; k++)
					sum += c.seg[s].host[k], c.seg[s].host[k] ^= 1;
			kb_vq_push(&m, &q, c.head, sum);
		}
	}
	free(m.host);
	return 0;
}

/* The smoke driver's own inputs (tests/fuzz/driver.c): a random header
 * and RAM that is mostly descriptors pointing into RAM. */
size_t fuzz_generate(uint8_t *in, size_t max)
{
	size_t len = 8 + (size_t)(fuzz_rand() % RAM);

	if (len > max)
		len = max;
	for (size_t k = 0; k < len; k += 4) {
		uint32_t r = fuzz_rand();

		if (k >= 8 && (k / 4) % 4 == 0 && fuzz_rand() % 2)
			r %= RAM; /* addresses in RAM more often than not */
		else if (k >= 8 && (k / 4) % 4 == 2 && fuzz_rand() % 2)
			r %= 4096; /* small lengths */
		memcpy(in + k, &r, len - k < 4 ? len - k : 4);
	}
	return len;
}
