/*
 * The boot protocol table (vmm/boot/boot.c): which protocol takes which
 * image, in detection order, and the rules kb_boot_load() applies to all
 * of them (an initrd only for a protocol that takes one; a load error
 * named by its protocol).
 */
#include <elf.h>
#include <stddef.h>
#include <stdlib.h>

#include "boot/boot.h"
#include "boot/multiboot.h"
#include "boot/pvh.h"
#include "unit.h"

#define RAM (32u << 20)

struct img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint32_t note[10];
	uint8_t body[64];
};

/* An ELF64 loaded at 16 MiB, linked at vaddr; with a PVH note when pvh. */
static void elf(struct img *m, uint64_t vaddr, int pvh)
{
	memset(m, 0, sizeof(*m));
	unit_elf_header(&m->eh, offsetof(struct img, ph), pvh ? 2 : 1, vaddr);
	m->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
				.p_offset = offsetof(struct img, body),
				.p_vaddr = vaddr,
				.p_paddr = 0x1000000,
				.p_filesz = sizeof(m->body),
				.p_memsz = 0x1000};
	m->note[0] = 4, m->note[1] = 4, m->note[2] = KB_PVH_NOTE_PHYS32_ENTRY;
	memcpy(m->note + 3, "Xen", 4);
	m->note[4] = 0x1000010;
	m->ph[1] =
	    (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = offsetof(struct img, note), .p_filesz = 20};
}

/* A Multiboot header (a.out kludge) at offset 16 of buf. */
static void multiboot(uint8_t *buf)
{
	uint32_t h[8] = {KB_MULTIBOOT_MAGIC, 0x10000, 0, 0x100010, 0x100000, 0, 0, 0x100020};

	h[2] = -(h[0] + h[1]);
	memcpy(buf + 16, h, sizeof(h));
}

static const char *detect(const void *buf, size_t size)
{
	static char err[256];
	const struct kb_boot_ops *p;

	err[0] = 0;
	p = kb_boot_detect(buf, size, err, sizeof(err));

	return p ? p->name : err;
}

int main(void)
{
	static uint8_t raw[4096];
	struct kb_mem mem = {.size = RAM, .low = RAM, .fd = -1};
	const struct kb_boot_ops *ops = NULL;
	struct kb_image out;
	struct img m;
	char err[300];

	mem.host = calloc(1, RAM);
	/* a bzImage: boot flag and HdrS */
	memcpy(raw + 0x1fe, &(uint16_t){0xaa55}, 2);
	memcpy(raw + 0x202, "HdrS", 4);
	CHECK(!strcmp(detect(raw, sizeof(raw)), "linux64"));
	CHECK(kb_boot_detect(raw, sizeof(raw), err, sizeof(err)) == &kb_boot_bzimage);
	/* ELF64: PVH with the note (even linked at virtual addresses), else a
	 * vmlinux when linked at virtual addresses, else a micro-guest */
	elf(&m, 0xffffffff81000000ull, 1);
	CHECK(!strcmp(detect(&m, sizeof(m)), "pvh"));
	elf(&m, 0xffffffff81000000ull, 0);
	CHECK(kb_boot_detect((uint8_t *)&m, sizeof(m), err, sizeof(err)) == &kb_boot_vmlinux);
	elf(&m, 0x1000000, 0);
	CHECK(!strcmp(detect(&m, sizeof(m)), "micro"));
	/* a Multiboot header: Multiboot, but not in an ELF64 */
	memset(raw, 0, sizeof(raw));
	multiboot(raw);
	CHECK(!strcmp(detect(raw, sizeof(raw)), "multiboot"));
	memcpy(m.body, raw, sizeof(m.body));
	CHECK(!strcmp(detect(&m, sizeof(m)), "micro"));
	/* anything else is the micro-guest loader's to refuse */
	memset(raw, 0, sizeof(raw));
	CHECK(!strcmp(detect(raw, sizeof(raw)), "micro"));
	/* a malformed PVH note: no protocol, the note's error */
	elf(&m, 0x1000000, 1);
	m.note[1] = 2;
	CHECK_ERR(detect(&m, sizeof(m)), "2-byte value");

	/* kb_boot_load: a micro-guest loads, at its entry */
	struct kb_boot_args a = {(uint8_t *)&m, sizeof(m), NULL, 0, 0, &mem};

	elf(&m, 0x1000000, 0);
	CHECK(kb_boot_load(&a, &ops, &out, err, sizeof(err)) == 0);
	CHECK(ops == &kb_boot_micro);
	CHECK_EQ(out.entry, 0x1000000);
	/* an initrd only for a Linux kernel; the protocol is not taken then */
	ops = NULL;
	a.initrd = raw;
	a.initrd_size = 100;
	CHECK(kb_boot_load(&a, &ops, &out, err, sizeof(err)) == -1);
	CHECK(!strcmp(err, "-initrd needs a Linux kernel (bzImage or vmlinux)"));
	CHECK(ops == NULL);
	/* a PVH kernel with the initrd: hvm_start_info with module 0 */
	elf(&m, 0xffffffff81000000ull, 1);
	CHECK(kb_boot_load(&a, &ops, &out, err, sizeof(err)) == 0);
	CHECK(ops == &kb_boot_pvh);
	CHECK_EQ(out.entry, 0x1000010);
	CHECK_EQ(*(uint32_t *)(mem.host + KB_PVH_INFO_ADDR), KB_PVH_START_MAGIC);
	/* a load error names the protocol: the PVH entry outside the image */
	m.note[4] = 0x2000000;
	CHECK(kb_boot_load(&a, &ops, &out, err, sizeof(err)) == -1);
	CHECK(!strncmp(err, "PVH: PVH entry 0x2000000 is outside", 35));
	/* each protocol: a name, a loader, registers */
#define PROTOCOL(name) &kb_boot_##name,
	const struct kb_boot_ops *all[] = {KB_BOOT_PROTOCOLS(PROTOCOL)};
#undef PROTOCOL

	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		CHECK(all[i]->name && all[i]->what && all[i]->detect && all[i]->load &&
		      all[i]->sregs && all[i]->regs);
	CHECK(kb_boot_micro.aps == KB_AP_AT_ENTRY && kb_boot_pvh.aps == KB_AP_INIT_SIPI);
	free(mem.host);
	return unit_summary("boot");
}
