/* The ELF loader against good, truncated, oversized and overlapping images. */
#include <elf.h>
#include <stddef.h>
#include <stdlib.h>

#include "boot/elf.h"
#include "kvmbench/abi.h"
#include "unit.h"

#define RAM (8u << 20)

struct img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	uint8_t body[256];
};

static void make(struct img *m, unsigned nph)
{
	memset(m, 0, sizeof(*m));
	unit_elf_header(&m->eh, offsetof(struct img, ph), nph, 0x100010);
	for (unsigned i = 0; i < nph; i++) {
		m->ph[i].p_type = PT_LOAD;
		m->ph[i].p_offset = offsetof(struct img, body);
		m->ph[i].p_vaddr = m->ph[i].p_paddr = 0x100000 + i * 0x10000;
		m->ph[i].p_filesz = 64;
		m->ph[i].p_memsz = 0x2000;
	}
	for (unsigned i = 0; i < sizeof(m->body); i++)
		m->body[i] = (uint8_t)(i ^ 0x5a);
}

static int load(struct img *m, size_t size, uint8_t *ram, struct kb_image *out, char *err)
{
	memset(ram, 0xee, RAM);
	err[0] = 0;
	return kb_elf_load((uint8_t *)m, size, ram, RAM, 0, out, err, 256);
}

static uint8_t *ram;
static struct img m;
static struct kb_image out;
static char err[256];

/* refused: make()'s image changed by change(), the error naming want */
#define REFUSED(change, want)                                     \
	do {                                                      \
		make(&m, 2);                                      \
		change;                                           \
		CHECK(load(&m, sizeof(m), ram, &out, err) == -1); \
		CHECK_ERR(err, want);                             \
	} while (0)

static void test_good(void)
{
	make(&m, 2);
	CHECK(load(&m, sizeof(m), ram, &out, err) == 0);
	CHECK_EQ(out.entry, 0x100010);
	CHECK_EQ(out.lo, 0x100000);
	CHECK_EQ(out.hi, 0x112000);
	CHECK(memcmp(ram + 0x100000, m.body, 64) == 0);
	CHECK_EQ(ram[0x100000 + 64], 0); /* bss zeroed */
	CHECK_EQ(ram[0x100000 + 0x1fff], 0);
	CHECK_EQ(ram[0x100000 + 0x2000], 0xee); /* nothing past memsz */
}

/* every size short of the whole file fails cleanly; bad headers */
static void test_bad_headers(void)
{
	for (size_t n = 0; n < offsetof(struct img, body) + 64; n += 7) {
		make(&m, 2);
		CHECK(load(&m, n, ram, &out, err) == -1);
		CHECK(strstr(err, "truncated") || strstr(err, "shorter"));
	}
	REFUSED(m.eh.e_ident[1] = 'X', "bad magic");
	REFUSED(m.eh.e_machine = EM_AARCH64, "x86-64");
	REFUSED(m.eh.e_type = ET_DYN, "ET_EXEC");
	make(&m, 2);
	m.eh.e_phnum = 0;
	CHECK(load(&m, sizeof(m), ram, &out, err) == -1);
	REFUSED(m.eh.e_phoff = ~0ull - 8, "truncated");		   /* offset overflow */
	REFUSED(m.ph[1].p_offset = ~0ull - 10, "truncated");	   /* offset + filesz overflows */
	REFUSED(m.ph[0].p_filesz = 0x3000, "exceeds memory size"); /* file size > memory size */
}

static void test_bad_segments(void)
{
	/* oversized: beyond RAM, or wrapping */
	REFUSED(m.ph[1].p_paddr = RAM - 0x1000, "does not fit in guest RAM");
	REFUSED(m.ph[1].p_memsz = ~0ull, "does not fit");
	/* overlapping the VMM's page tables and boot info, or each other */
	REFUSED(m.ph[0].p_paddr = KB_PT_ADDR, "boot area");
	REFUSED(m.ph[1].p_paddr = 0x101000, "overlap");
	/* entry outside every segment; no loadable segment */
	REFUSED(m.eh.e_entry = 0x500000, "entry point");
	REFUSED((m.ph[0].p_type = PT_NOTE, m.ph[1].p_type = PT_NOTE), "no loadable segment");
	/* nothing was copied by the failed load: RAM stays as it was */
	CHECK_EQ(ram[0x100000], 0xee);
}

/* kb_file_read: missing file, directory, larger than RAM */
static void test_file_read(void)
{
	uint8_t *buf;
	size_t size;

	CHECK(kb_file_read("/nonexistent/guest.elf", RAM, &buf, &size, err, sizeof(err)) == -1);
	CHECK_ERR(err, "No such file");
	CHECK(kb_file_read("/", RAM, &buf, &size, err, sizeof(err)) == -1);
	CHECK_ERR(err, "not a regular file");
	CHECK(kb_file_read("/proc/self/exe", 16, &buf, &size, err, sizeof(err)) == -1);
	CHECK_ERR(err, "larger than guest RAM");
}

int main(void)
{
	ram = malloc(RAM);
	test_good();
	test_bad_headers();
	test_bad_segments();
	test_file_read();
	free(ram);
	return unit_summary("elf");
}
