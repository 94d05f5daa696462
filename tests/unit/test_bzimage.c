/* The bzImage loader against a synthetic image and malformed ones. */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/bzimage.h"
#include "kvmbench/abi.h"
#include "unit.h"

#define RAM (64u << 20)

static uint8_t img[0x3000];

static size_t make(void)
{
	memset(img, 0, sizeof(img));
	img[0x1f1] = 4; /* setup sectors: the kernel starts at 5 * 512 */
	img[0x1fe] = 0x55;
	img[0x1ff] = 0xaa;
	img[0x201] = 0x66; /* header ends at 0x202 + 0x66 */
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = 0x0f; /* protocol 2.15 */
	img[0x207] = 0x02;
	img[0x234] = 1; /* relocatable */
	img[0x236] = 1; /* XLF_KERNEL_64 */
	uint32_t cmdsize = 2048, init = 0x100000;
	uint64_t pref = 0x1000000;
	memcpy(img + 0x238, &cmdsize, 4);
	memcpy(img + 0x258, &pref, 8);
	memcpy(img + 0x260, &init, 4);
	memset(img + 0xa00, 0xcc, sizeof(img) - 0xa00);
	return sizeof(img);
}

/* A copy of data[0..n) that ends where an inaccessible page begins: a
 * read past its end faults, sanitizer or not. */
static const uint8_t *guarded(const void *data, size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + pg, pg, PROT_NONE))
		abort();
	return memcpy(p + pg - n, data, n);
}

static struct kb_mem m = {.size = RAM, .low = RAM, .fd = -1};
static struct kb_image out;
static char err[256];
static uint8_t rd[100];

/* img[0..n), an optional initrd and a cmdline_len-byte command line */
static int load(size_t n, const void *initrd, size_t initrd_len, size_t cmdline_len)
{
	return kb_bzimage_load(img, n, initrd, initrd_len, &m, cmdline_len, &out, err, sizeof(err));
}

/* the good image: entry, boot_params; an initrd goes high, below the limit */
static void test_good(void)
{
	size_t n = make();
	CHECK(kb_bzimage_detect(img, n));
	CHECK(load(n, NULL, 0, 10) == 0);
	CHECK_EQ(out.entry, 0x1000200);
	CHECK_EQ(m.host[0x1000000], 0xcc);
	uint8_t *bp = m.host + KB_ZEROPAGE_ADDR;
	CHECK_EQ(bp[0x210], 0xff); /* type_of_loader */
	CHECK_EQ(*(uint32_t *)(bp + 0x228), KB_CMDLINE_ADDR);
	CHECK_EQ(*(uint64_t *)(bp + 0x070), KB_ACPI_ADDR);
	CHECK_EQ(bp[0x1e8], 3); /* e820 entries (no high RAM) */
	CHECK_EQ(*(uint64_t *)(bp + 0x2d0 + 2 * 20 + 8), RAM - 0x100000);

	memset(rd, 7, sizeof(rd));
	CHECK(load(n, rd, sizeof(rd), 10) == 0);
	uint32_t at = *(uint32_t *)(bp + 0x218);
	CHECK(at > 0x1100000 && at + sizeof(rd) <= RAM && m.host[at] == 7);
}

/* a bad magic, an old protocol, 32-bit, truncated */
static void test_bad_header(void)
{
	size_t n = make();
	memcpy(img + 0x202, "HdrX", 4);
	CHECK(!kb_bzimage_detect(img, n));
	/* a file shorter than the header is refused before any of it is read
	 * (found by tests/fuzz/fuzz_bzimage.c) */
	CHECK(kb_bzimage_load(guarded("MZ", 2), 2, NULL, 0, &m, 10, &out, err, sizeof(err)) == -1);
	CHECK_ERR(err, "not a bzImage");
	CHECK(load(n, NULL, 0, 10) == -1);
	CHECK_ERR(err, "not a bzImage");
	make();
	img[0x206] = 0x0a; /* 2.10 */
	CHECK(load(n, NULL, 0, 10) == -1);
	CHECK_ERR(err, "older than 2.12");
	make();
	img[0x236] = 0;
	CHECK(load(n, NULL, 0, 10) == -1);
	CHECK_ERR(err, "not a 64-bit kernel");
	make();
	CHECK(load(0x900, NULL, 0, 10) == -1);
	CHECK_ERR(err, "truncated");
}

/* init_size and pref_address: past RAM, over the page tables, wrapping */
static void test_bad_placement(void)
{
	size_t n = make();
	uint32_t huge = 0x7000000;
	memcpy(img + 0x260, &huge, 4); /* init_size past RAM */
	CHECK(load(n, NULL, 0, 10) == -1);
	CHECK_ERR(err, "raise -m");
	make();
	uint64_t low = 0x10000;
	memcpy(img + 0x258, &low, 8); /* would overwrite the page tables */
	CHECK(load(n, NULL, 0, 10) == -1);
	CHECK_ERR(err, "not usable");
	/* a pref_address near 2^64: load + init_size wrapped to a small number,
	 * passed the check, and the copy landed before guest RAM */
	static const uint64_t outside[] = {0xfffffffffff00000ull, 0xfffffffffffff000ull,
					   0x8000000000000000ull, RAM};
	for (unsigned i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		make();
		memcpy(img + 0x258, &outside[i], 8);
		err[0] = 0;
		CHECK(load(n, NULL, 0, 10) == -1);
		CHECK_ERR(err, "pref_address");
		CHECK_ERR(err, "is not usable");
	}
	make();
	uint64_t last = RAM - 0x100000; /* the highest that fits init_size exactly */
	memcpy(img + 0x258, &last, 8);
	CHECK(load(n, NULL, 0, 10) == 0);
	CHECK_EQ(out.hi, RAM);
	last += 0x1000; /* one page more does not */
	memcpy(img + 0x258, &last, 8);
	CHECK(load(n, NULL, 0, 10) == -1);
	CHECK_ERR(err, "raise -m");
}

/* a command line or an initrd too large */
static void test_too_large(void)
{
	size_t n = make();
	CHECK(load(n, NULL, 0, 4000) == -1);
	CHECK_ERR(err, "-append is 4000 bytes");
	make();
	CHECK(load(n, rd, 80u << 20, 10) == -1);
	CHECK_ERR(err, "-initrd");
}

int main(void)
{
	m.host = calloc(1, RAM);
	test_good();
	test_bad_header();
	test_bad_placement();
	test_too_large();
	free(m.host);
	return unit_summary("bzimage");
}
