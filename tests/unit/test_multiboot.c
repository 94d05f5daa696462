/* The Multiboot loader against good and malformed kernels. */
#include <elf.h>
#include <stddef.h>
#include <stdlib.h>

#include "boot/multiboot.h"
#include "kvmbench/abi.h"
#include "unit.h"

#define RAM (8u << 20)

/* An a.out-kludge kernel: header at offset 16 of a 4 KiB file loaded at
 * 1 MiB, bss to 1 MiB + 8 KiB, entry right after the header. */
static size_t aout(uint8_t *f, uint32_t flags)
{
	uint32_t h[8] = {KB_MULTIBOOT_MAGIC, flags | 0x10000, 0,	0x100010,
			 0x100000,	     0x101000,	      0x102000, 0x100030};

	h[2] = -(h[0] + h[1]);
	memset(f, 0x90, 4096);
	memcpy(f + 16, h, sizeof(h));
	return 4096;
}

static void fix(uint8_t *f)
{
	uint32_t h[3];

	memcpy(h, f + 16, 12);
	h[2] = -(h[0] + h[1]);
	memcpy(f + 16, h, 12);
}

static void set(uint8_t *f, int field, uint32_t v)
{
	memcpy(f + 16 + 4 * field, &v, 4);
	fix(f);
}

static uint8_t *ram, f[8192 + 64];
static struct kb_image img;
static char err[256];

static int load(size_t n)
{
	return kb_multiboot_load(f, n, ram, RAM, &img, err, sizeof(err));
}

/* a good a.out kludge; no header, bad checksum, header past 8 KiB */
static void test_find(void)
{
	size_t n = aout(f, 0);
	memset(ram, 0xee, RAM);
	CHECK(kb_multiboot_find(f, n) == 16);
	CHECK(load(n) == 0);
	CHECK_EQ(img.entry, 0x100030);
	CHECK_EQ(ram[0x100000], 0x90);
	CHECK_EQ(ram[0x101000], 0); /* bss zeroed */
	CHECK_EQ(ram[0x102000], 0xee);

	memset(f, 0, sizeof(f));
	CHECK(kb_multiboot_find(f, sizeof(f)) == -1);
	CHECK(load(sizeof(f)) == -1);
	CHECK_ERR(err, "no Multiboot header");
	n = aout(f, 0);
	f[24] ^= 1; /* checksum */
	CHECK(kb_multiboot_find(f, n) == -1);
	memset(f, 0, sizeof(f));
	uint32_t late[3] = {KB_MULTIBOOT_MAGIC, 0, -KB_MULTIBOOT_MAGIC};
	memcpy(f + 8192, late, 12);
	CHECK(kb_multiboot_find(f, sizeof(f)) == -1);
}

/* unsupported requests; address fields that lie */
static void test_bad_aout(void)
{
	size_t n = aout(f, 0x4);
	CHECK(load(n) == -1);
	CHECK_ERR(err, "video mode");
	n = aout(f, 0x100);
	CHECK(load(n) == -1);
	CHECK_ERR(err, "lacks");

	n = aout(f, 0);
	set(f, 4, 0x100020); /* load_addr above header_addr */
	CHECK(load(n) == -1);
	CHECK_ERR(err, "do not match");
	n = aout(f, 0);
	set(f, 5, 0x180000); /* load_end past the file */
	CHECK(load(n) == -1);
	CHECK_ERR(err, "past the end of the file");
	n = aout(f, 0);
	set(f, 6, 0x100800); /* bss_end below load_end */
	CHECK(load(n) == -1);
	CHECK_ERR(err, "below load_end_addr");
	n = aout(f, 0);
	set(f, 3, 0x10010), set(f, 4, 0x10000), set(f, 5, 0x11000), set(f, 6, 0x12000),
	    set(f, 7, 0x10030); /* over the page tables */
	CHECK(load(n) == -1);
	CHECK_ERR(err, "boot area");
	n = aout(f, 0);
	set(f, 6, RAM + 0x1000); /* bss beyond RAM */
	CHECK(load(n) == -1);
	CHECK_ERR(err, "does not fit in RAM");
	n = aout(f, 0);
	set(f, 7, 0x200000); /* entry outside */
	CHECK(load(n) == -1);
	CHECK_ERR(err, "entry_addr");
	n = aout(f, 0);
	CHECK(load(40) == -1); /* truncated */
}

/* ELF32: a header but not an i386 executable, and a truncated one */
static void test_bad_elf32(void)
{
	memset(f, 0, sizeof(f));
	Elf32_Ehdr eh = {.e_type = ET_EXEC, .e_machine = EM_X86_64};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	memcpy(f, &eh, sizeof(eh));
	uint32_t h0[3] = {KB_MULTIBOOT_MAGIC, 0, -KB_MULTIBOOT_MAGIC};
	memcpy(f + 64, h0, 12);
	CHECK(load(4096) == -1);
	CHECK_ERR(err, "i386 ELF32");
	eh.e_machine = EM_386;
	eh.e_phoff = 4000;
	eh.e_phnum = 4;
	eh.e_phentsize = sizeof(Elf32_Phdr);
	memcpy(f, &eh, sizeof(eh));
	CHECK(load(4096) == -1);
	CHECK_ERR(err, "program header");
}

int main(void)
{
	ram = malloc(RAM);
	test_find();
	test_bad_aout();
	test_bad_elf32();
	free(ram);
	return unit_summary("multiboot");
}
