/*
 * blkio: 4 KiB I/O through virtio-blk at queue depth qd= (default 1, up to
 * 32) over n= blocks (default 64, fewer if the disk is smaller):
 *   seqwrite  blocks 0..n-1 in order, pattern 1
 *   seqread   the same, checked against pattern 1
 *   randwrite every block once in a shuffled order, pattern 2
 *   randread  shuffled, checked against pattern 2
 * Each phase reports IOPS and the mean latency (submit to completion);
 * patterns are written before and checked after the timed part, so the
 * figures are the I/O path's.  The disk ends holding pattern 2 in its
 * first n blocks (tests compare the file).  Also GET_ID (printed) and
 * FLUSH.  ro=1: the drive must be read-only: a write must fail with
 * VIRTIO_BLK_S_IOERR and nothing else may.  irq=0 polls.
 */
#include "virtio.h"

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define F_RO (1ull << 5)
#define QD_MAX 32

struct req {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct kb_vdev d;
static struct kb_vring r;
static struct req *hdr;	     /* one per slot */
static volatile uint8_t *st; /* status byte per slot */
static uint64_t slot_of[256], t_submit[QD_MAX];

static uint64_t pattern(uint64_t block, uint64_t word, uint64_t seed)
{
	return (block << 32 | word) * 0x9e3779b97f4a7c15ull ^ seed;
}

static void fill(uint64_t *p, uint64_t block, uint64_t seed)
{
	for (uint64_t w = 0; w < 512; w++)
		p[w] = pattern(block, w, seed);
}

static void check(const uint64_t *p, uint64_t block, uint64_t seed)
{
	for (uint64_t w = 0; w < 512; w++)
		if (p[w] != pattern(block, w, seed))
			kb_fail("block %llu word %llu: read 0x%llx, wrote 0x%llx",
				(unsigned long long)block, (unsigned long long)w,
				(unsigned long long)p[w],
				(unsigned long long)pattern(block, w, seed));
}

/* One request on slot s; returns the head. */
static int submit(unsigned s, uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	struct kb_vbuf b[3];
	unsigned n = 0;

	hdr[s] = (struct req){type, 0, sector};
	st[s] = 0xff;
	b[n++] = (struct kb_vbuf){&hdr[s], sizeof(struct req), 0};
	if (len)
		b[n++] = (struct kb_vbuf){data, len, type == T_OUT ? 0 : KB_VRING_WRITE};
	b[n++] = (struct kb_vbuf){(void *)&st[s], 1, KB_VRING_WRITE};
	int h = kb_vring_add(&r, b, n);

	if (h < 0)
		kb_fail("ring full");
	slot_of[h] = s;
	t_submit[s] = rdtsc();
	return h;
}

/* Synchronous request: its status. */
static uint8_t request(uint32_t type, uint64_t sector, void *data, uint32_t len)
{
	submit(0, type, sector, data, len);
	kb_vring_kick(&r);
	kb_vring_wait(&r, NULL);
	return st[0];
}

/* One phase: blocks order[0..n) at depth qd.  Returns total cycles. */
static void phase(const char *name, uint32_t type, const uint32_t *order, uint64_t n, unsigned qd,
		  uint8_t *area)
{
	uint64_t issued = 0, done = 0, lat = 0, t0 = rdtsc(), free_mask = (1ull << qd) - 1;

	while (done < n) {
		bool kicked = false;

		while (issued < n && free_mask) {
			unsigned s = (unsigned)__builtin_ctzll(free_mask);
			uint64_t b = order[issued++];

			free_mask &= ~(1ull << s);
			submit(s, type, b * 8, area + b * 4096, 4096);
			kicked = true;
		}
		if (kicked)
			kb_vring_kick(&r);
		int h = kb_vring_wait(&r, NULL);

		do {
			unsigned s = (unsigned)slot_of[h];

			if (st[s] != 0)
				kb_fail("%s: request on slot %u: status %u", name, s, st[s]);
			lat += rdtsc() - t_submit[s];
			free_mask |= 1ull << s;
			done++;
		} while ((h = kb_vring_get(&r, NULL)) >= 0);
	}
	uint64_t cycles = rdtsc() - t0, khz = kb_bi->tsc_khz ? kb_bi->tsc_khz : 1;
	char m[48];

	kb_snprintf(m, sizeof(m), "%s_iops", name);
	kb_metric(m, (int64_t)(n * khz * 1000 / (cycles ? cycles : 1)), 0, "IO/s");
	kb_snprintf(m, sizeof(m), "%s_lat_ns", name);
	kb_metric(m, (int64_t)(lat * 1000000 / khz / n), 0, "ns");
}

int main(void)
{
	const char *why;
	unsigned qd = (unsigned)kb_arg_u64("qd", 1);
	uint64_t n = kb_arg_u64("n", 64);
	bool ro = kb_arg_u64("ro", 0), irq = kb_arg_u64("irq", 1);

	if (qd == 0 || qd > QD_MAX)
		kb_fail("qd=%u: 1 to %u", qd, QD_MAX);
	if (kb_virtio_open(&d, 2, F_RO, &why))
		kb_skip("virtio-blk: %s", why);
	if (kb_virtio_queue(&d, 0, &r, 0, irq ? 0 : -1, 0x51))
		kb_fail("virtio-blk: queue set-up refused");
	kb_virtio_ready(&d);
	hdr = kb_alloc(sizeof(struct req) * QD_MAX, 64);
	st = kb_alloc(QD_MAX, 64);
	uint64_t sectors = *(volatile uint64_t *)d.device;

	if (sectors / 8 < n)
		n = sectors / 8;
	if (n == 0)
		kb_skip("the disk holds no whole 4 KiB block (%llu sectors)",
			(unsigned long long)sectors);
	char id[21] = {0};

	if (request(T_GET_ID, 0, id, 20))
		kb_fail("GET_ID failed");
	kb_printf("virtio-blk: %llu sectors, serial '%s', %s, qd %u, %llu blocks\n",
		  (unsigned long long)sectors, id, d.features & F_RO ? "read-only" : "read-write",
		  qd, (unsigned long long)n);
	uint8_t *wr = kb_alloc(n * 4096, 4096), *rd = kb_alloc(n * 4096, 4096);
	uint32_t *seq = kb_alloc(n * 4, 8), *rnd = kb_alloc(n * 4, 8);

	if (!wr || !rd || !seq || !rnd)
		kb_skip("not enough guest RAM for %llu blocks (raise -m)", (unsigned long long)n);
	if (ro) {
		if (!(d.features & F_RO))
			kb_fail("ro=1 but the device does not offer VIRTIO_BLK_F_RO");
		uint8_t s = request(T_OUT, 0, wr, 4096);

		if (s != 1)
			kb_fail("a write to a read-only drive gave status %u, not IOERR (1)", s);
		if ((s = request(T_IN, 0, rd, 4096)) != 0)
			kb_fail("a read from the read-only drive failed: %u", s);
		kb_printf("read-only: the write was refused with IOERR, reads work\n");
		kb_pass();
	}
	for (uint64_t i = 0; i < n; i++)
		seq[i] = rnd[i] = (uint32_t)i;
	for (uint64_t i = n - 1, x = 12345; i > 0; i--) { /* Fisher-Yates, LCG */
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t j = (x >> 33) % (i + 1);
		uint32_t t = rnd[i];

		rnd[i] = rnd[j], rnd[j] = t;
	}
	kb_metric("qd", qd, 0, "requests");
	for (uint64_t b = 0; b < n; b++)
		fill((uint64_t *)(wr + b * 4096), b, 1);
	phase("seqwrite", T_OUT, seq, n, qd, wr);
	phase("seqread", T_IN, seq, n, qd, rd);
	for (uint64_t b = 0; b < n; b++)
		check((uint64_t *)(rd + b * 4096), b, 1);
	for (uint64_t b = 0; b < n; b++)
		fill((uint64_t *)(wr + b * 4096), b, 2);
	phase("randwrite", T_OUT, rnd, n, qd, wr);
	memset(rd, 0, n * 4096);
	phase("randread", T_IN, rnd, n, qd, rd);
	for (uint64_t b = 0; b < n; b++)
		check((uint64_t *)(rd + b * 4096), b, 2);
	if (request(T_FLUSH, 0, NULL, 0))
		kb_fail("FLUSH failed");
	/* past the end of the disk: IOERR, not a write beyond its size */
	if (request(T_OUT, sectors - 7, wr, 4096) != 1)
		kb_fail("a write crossing the end of the disk did not fail with IOERR");
	kb_printf("blkio: %llu blocks written, read back and verified twice\n",
		  (unsigned long long)n);
	kb_pass();
}
