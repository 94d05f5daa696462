/*
 * vmlinux images: the PVH note finder against good and malformed notes,
 * the physical entry of a kernel linked at virtual addresses, PVH's
 * hvm_start_info, and the boot_params a vmlinux gets without a setup
 * header.
 */
#include <elf.h>
#include <stddef.h>
#include <stdlib.h>

#include "boot/bootmem.h"
#include "boot/bzimage.h"
#include "boot/elf.h"
#include "boot/pvh.h"
#include "kvmbench/abi.h"
#include "unit.h"

#define RAM (64u << 20)

struct img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t note[64];
	uint8_t body[256];
};

/* A two-segment vmlinux: text linked at 0xffffffff81000000, loaded at
 * 16 MiB, physical entry; a PT_NOTE holding a GNU note, then Xen's
 * PHYS32_ENTRY with a descsz-byte value. */
static void make(struct img *m, uint32_t descsz)
{
	uint32_t *n = (uint32_t *)m->note;

	memset(m, 0, sizeof(*m));
	unit_elf_header(&m->eh, offsetof(struct img, ph), 2, 0x1000000);
	m->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
				.p_offset = offsetof(struct img, body),
				.p_vaddr = 0xffffffff81000000ull,
				.p_paddr = 0x1000000,
				.p_filesz = sizeof(m->body),
				.p_memsz = 0x100000};
	n[0] = 4, n[1] = 4, n[2] = 3; /* GNU, type 3, 4 bytes */
	memcpy(n + 3, "GNU", 4);
	n[4] = 0xabcd;
	n[5] = 4, n[6] = descsz, n[7] = KB_PVH_NOTE_PHYS32_ENTRY;
	memcpy(n + 8, "Xen", 4);
	n[9] = 0x1000040; /* the entry; a high half of 0 when descsz is 8 */
	m->ph[1] = (Elf64_Phdr){.p_type = PT_NOTE,
				.p_offset = offsetof(struct img, note),
				.p_filesz = 40 + (descsz + 3) / 4 * 4};
}

static int note(struct img *m, size_t size, uint64_t *v, char *err)
{
	err[0] = 0;
	return kb_elf_note((uint8_t *)m, size, KB_PVH_NOTE_OWNER, KB_PVH_NOTE_PHYS32_ENTRY, v, err,
			   256);
}

static struct kb_mem mem = {.size = RAM, .low = RAM, .fd = -1};
static struct img m;
static struct kb_image out;
static uint64_t v;
static char err[256];

/* the note, 4- and 8-byte values; the physical entry; virt flag */
static void test_note(void)
{
	make(&m, 8);
	CHECK(note(&m, sizeof(m), &v, err) == 1);
	CHECK_EQ(v, 0x1000040);
	make(&m, 4);
	CHECK(note(&m, sizeof(m), &v, err) == 1);
	CHECK_EQ(v, 0x1000040);
	CHECK(kb_elf_load((uint8_t *)&m, sizeof(m), mem.host, RAM, 1, &out, err, 256) == 0);
	CHECK_EQ(out.entry, 0x1000000);
	CHECK_EQ(out.virt, 1);
	CHECK_EQ(mem.host[0x1000000], 0);
	CHECK_EQ(out.hi, 0x1100000);
}

static void test_bad_notes(void)
{
	/* no note of that type: 0, no error */
	make(&m, 4);
	((uint32_t *)m.note)[7] = 17;
	CHECK(note(&m, sizeof(m), &v, err) == 0);
	CHECK_EQ(err[0], 0);
	/* a 2-byte value; a descsz running past the segment; a huge namesz */
	make(&m, 2);
	CHECK(note(&m, sizeof(m), &v, err) == -1);
	CHECK_ERR(err, "2-byte value");
	make(&m, 4);
	((uint32_t *)m.note)[6] = 0xfffffff0u;
	CHECK(note(&m, sizeof(m), &v, err) == -1);
	CHECK_ERR(err, "runs past the segment");
	make(&m, 4);
	((uint32_t *)m.note)[0] = 0xffffffffu;
	CHECK(note(&m, sizeof(m), &v, err) == -1);
	CHECK_ERR(err, "runs past the segment");
	/* the note segment itself past the end of the file */
	make(&m, 4);
	m.ph[1].p_offset = 0xfffffffffffffff0ull;
	CHECK(note(&m, sizeof(m), &v, err) == -1);
	CHECK_ERR(err, "truncated");
	/* a truncated file: the loader says so too */
	make(&m, 4);
	CHECK(kb_elf_load((uint8_t *)&m, offsetof(struct img, body) + 8, mem.host, RAM, 1, &out,
			  err, 256) == -1);
	CHECK_ERR(err, "truncated");
}

/* hvm_start_info: magic, version 1, command line, RSDP, memory map,
 * and the initrd as module 0, above the kernel and page aligned */
static void test_start_info(void)
{
	uint8_t rd[300];

	memset(rd, 0x42, sizeof(rd));
	CHECK(kb_pvh_info(&mem, rd, sizeof(rd), 0x1100000, err, sizeof(err)) == 0);
	uint32_t *si = (uint32_t *)(mem.host + KB_PVH_INFO_ADDR);
	uint64_t *si64 = (uint64_t *)(si + 4);
	CHECK_EQ(si[0], KB_PVH_START_MAGIC);
	CHECK_EQ(si[1], 1);
	CHECK_EQ(si[3], 1); /* nr_modules */
	CHECK_EQ(si64[1], KB_CMDLINE_ADDR);
	CHECK_EQ(si64[2], KB_ACPI_ADDR);
	CHECK_EQ(si[12], 3); /* memmap entries: no RAM above 4 GiB */
	uint64_t *mod = (uint64_t *)(mem.host + si64[0]);
	CHECK(mod[0] >= 0x1100000 && mod[0] % 4096 == 0 && mod[0] + sizeof(rd) <= RAM);
	CHECK_EQ(mod[1], sizeof(rd));
	CHECK_EQ(mem.host[mod[0]], 0x42);
	uint64_t *map = (uint64_t *)(mem.host + si64[3]);
	CHECK_EQ(map[2 * 3], 0x100000); /* third entry (24 bytes each) */
	CHECK_EQ(map[2 * 3 + 1], RAM - 0x100000);
	/* an initrd that cannot fit above the kernel */
	CHECK(kb_pvh_info(&mem, rd, sizeof(rd), RAM - 100, err, sizeof(err)) == -1);
	CHECK_ERR(err, "do not fit");
}

/* boot_params for a vmlinux: a header written from scratch; the RAM map
 * with RAM above the hole */
static void test_zeropage_and_ram_map(void)
{
	CHECK(kb_linux_zeropage(&mem, NULL, 0, NULL, 0, 0x1100000, err, sizeof(err)) == 0);
	uint8_t *bp = mem.host + KB_ZEROPAGE_ADDR;
	CHECK(!memcmp(bp + 0x202, "HdrS", 4));
	CHECK_EQ(*(uint16_t *)(bp + 0x1fe), 0xaa55);
	CHECK_EQ(bp[0x210], 0xff);
	CHECK_EQ(*(uint32_t *)(bp + 0x228), KB_CMDLINE_ADDR);
	CHECK_EQ(bp[0x1e8], 3);

	struct kb_mem big = {.low = KB_MMIO_HOLE_START, .high = 1ull << 30};
	struct kb_ram_range r[4];
	CHECK_EQ(kb_boot_ram_map(&big, r), 4);
	CHECK_EQ(r[3].addr, KB_HIGH_RAM_START);
	CHECK_EQ(r[1].type, KB_E820_RESERVED);
}

int main(void)
{
	mem.host = calloc(1, RAM);
	test_note();
	test_bad_notes();
	test_start_info();
	test_zeropage_and_ram_map();
	free(mem.host);
	return unit_summary("pvh");
}
