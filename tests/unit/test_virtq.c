/*
 * The virtqueue parser against well-formed and malformed rings in a
 * synthetic guest RAM, and a burst of random rings (the fuzz driver's
 * corpus-free mode) that must never crash nor hand out a buffer outside RAM.
 */
#include <stdlib.h>

#include "unit.h"
#include "virtio/virtq.h"

#define RAM (1u << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000

static struct kb_mem m = {.size = RAM, .low = RAM, .fd = -1};

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = m.host + DESC + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void avail(uint16_t slot, uint16_t head, uint16_t idx)
{
	memcpy(m.host + AVAIL + 4 + 2 * slot, &head, 2);
	memcpy(m.host + AVAIL + 2, &idx, 2);
}

static struct kb_vq fresh(void)
{
	memset(m.host, 0, RAM);
	return (struct kb_vq){
	    .size = 8, .enabled = true, .desc = DESC, .avail = AVAIL, .used = USED};
}

static int pop(struct kb_vq *q, struct kb_vq_chain *c, char *err)
{
	err[0] = 0;
	return kb_vq_pop(&m, q, c, err, 256);
}

static struct kb_vq_chain c;
static char err[256];

/* a good chain: readable 16, writable 512 + 1; then nothing more */
static void test_good_chain(void)
{
	struct kb_vq q = fresh();

	CHECK(kb_vq_check_rings(&m, &q, err, sizeof(err)) == 0);
	desc(0, 0x10000, 16, KB_VQ_DESC_F_NEXT, 3);
	desc(3, 0x20000, 512, KB_VQ_DESC_F_WRITE | KB_VQ_DESC_F_NEXT, 5);
	desc(5, 0x30000, 1, KB_VQ_DESC_F_WRITE, 0);
	avail(0, 0, 1);
	CHECK(pop(&q, &c, err) == 1);
	CHECK_EQ(c.head, 0);
	CHECK_EQ(c.n, 3);
	CHECK_EQ(c.nread, 1);
	CHECK_EQ(c.read_bytes, 16);
	CHECK_EQ(c.write_bytes, 513);
	CHECK(c.seg[1].host == m.host + 0x20000);
	CHECK(pop(&q, &c, err) == 0);
	/* read/write helpers span segments */
	memset(m.host + 0x10000, 7, 16);
	uint8_t b[600];
	CHECK_EQ(kb_vq_read(&c, 8, b, 100), 8);
	CHECK_EQ(b[0], 7);
	memset(b, 9, sizeof(b));
	CHECK_EQ(kb_vq_write(&c, 510, b, 10), 3);
	CHECK_EQ(m.host[0x30000], 9);
	/* push: used element and index */
	kb_vq_push(&m, &q, 0, 513);
	CHECK_EQ(*(uint16_t *)(m.host + USED + 2), 1);
	CHECK_EQ(*(uint32_t *)(m.host + USED + 4), 0);
	CHECK_EQ(*(uint32_t *)(m.host + USED + 8), 513);
	CHECK(kb_vq_want_interrupt(&m, &q));
	*(uint16_t *)(m.host + AVAIL) = KB_VQ_AVAIL_F_NO_INTERRUPT;
	CHECK(!kb_vq_want_interrupt(&m, &q));
}

/* malformed chains, each named */
static void test_malformed_chains(void)
{
	static const struct {
		const char *what;
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next, head, idx;
		const char *want;
	} bad[] = {
	    {"loop", 0x10000, 16, KB_VQ_DESC_F_NEXT, 0, 0, 1, "a loop"},
	    {"outside RAM", RAM - 8, 16, 0, 0, 0, 1, "not in guest RAM"},
	    {"huge address", ~0ull - 4, 16, 0, 0, 0, 1, "not in guest RAM"},
	    {"oversized", 0x10000, 0xffffffffu, 0, 0, 0, 1, "exceeds"},
	    {"index jump", 0x10000, 16, 0, 0, 0, 9, "entries past"},
	    {"index wrap", 0x10000, 16, 0, 0, 0, 0x8000, "entries past"},
	    {"head", 0x10000, 16, 0, 0, 8, 1, "names descriptor 8"},
	    {"next", 0x10000, 16, KB_VQ_DESC_F_NEXT, 8, 0, 1, "next 8"},
	    {"indirect", 0x10000, 16, KB_VQ_DESC_F_INDIRECT, 0, 0, 1, "indirect"},
	};
	struct kb_vq q;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		q = fresh();
		desc(0, bad[i].addr, bad[i].len, bad[i].flags, bad[i].next);
		avail(0, bad[i].head, bad[i].idx);
		CHECK(pop(&q, &c, err) == -1);
		if (!strstr(err, bad[i].want))
			fprintf(stderr, "%s: got '%s'\n", bad[i].what, err);
		CHECK_ERR(err, bad[i].want);
	}
	q = fresh(); /* readable after writable */
	desc(0, 0x10000, 16, KB_VQ_DESC_F_WRITE | KB_VQ_DESC_F_NEXT, 1);
	desc(1, 0x10000, 16, 0, 0);
	avail(0, 0, 1);
	CHECK(pop(&q, &c, err) == -1);
	CHECK_ERR(err, "readable after device-writable");
}

/* rings: size, alignment, placement; a disabled queue yields nothing */
static void test_ring_checks(void)
{
	struct kb_vq q = fresh();

	q.size = 12;
	CHECK(kb_vq_check_rings(&m, &q, err, sizeof(err)) == -1);
	CHECK_ERR(err, "power of two");
	q = fresh();
	q.size = 512;
	CHECK(kb_vq_check_rings(&m, &q, err, sizeof(err)) == -1);
	q = fresh();
	q.desc = DESC + 8;
	CHECK(kb_vq_check_rings(&m, &q, err, sizeof(err)) == -1);
	CHECK_ERR(err, "misaligned");
	q = fresh();
	q.used = RAM - 16;
	CHECK(kb_vq_check_rings(&m, &q, err, sizeof(err)) == -1);
	CHECK_ERR(err, "outside guest RAM");
	q = fresh();
	q.enabled = false;
	avail(0, 0, 1);
	CHECK(pop(&q, &c, err) == 0);
}

/* A random ring of a random power-of-two size: descriptors mostly small
 * buffers in RAM, avail ring entries in and just past the ring. */
static struct kb_vq random_ring(void)
{
	struct kb_vq q = fresh();

	q.size = (uint16_t)(1u << (rand() % 9));
	for (unsigned k = 0; k < 16ull * q.size; k += 4)
		*(uint32_t *)(m.host + DESC + k) = (uint32_t)rand();
	for (unsigned k = 0; k < 16ull * q.size; k += 16) /* mostly small, in-RAM buffers */
		if (rand() % 4)
			*(uint64_t *)(m.host + DESC + k) = (uint64_t)(rand() % RAM),
						      *(uint32_t *)(m.host + DESC + k + 8) =
							  (uint32_t)(rand() % 8192);
	for (unsigned k = 0; k < 4 + 2ull * q.size; k += 2)
		*(uint16_t *)(m.host + AVAIL + k) = (uint16_t)(rand() % (2 * q.size + 1));
	return q;
}

/* random rings: never a crash, every segment inside RAM */
static void test_random_rings(void)
{
	unsigned popped = 0, refused = 0;

	srand(1);
	for (unsigned round = 0; round < 20000; round++) {
		struct kb_vq q = random_ring();

		for (int tries = 0; tries < 4; tries++) {
			int r = pop(&q, &c, err);

			if (r <= 0) {
				refused += r < 0;
				break;
			}
			popped++;
			for (unsigned s = 0; s < c.n; s++)
				if (c.seg[s].host < m.host ||
				    c.seg[s].host + c.seg[s].len > m.host + RAM)
					CHECK(!"a segment outside RAM");
		}
	}
	CHECK(popped > 500 && refused > 1000); /* both paths were exercised */
	printf("virtq random rings: %u chains taken, %u rings refused\n", popped, refused);
}

int main(void)
{
	m.host = calloc(1, RAM);
	test_good_chain();
	test_malformed_chains();
	test_ring_checks();
	test_random_rings();
	free(m.host);
	return unit_summary("virtq");
}
