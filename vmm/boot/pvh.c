/*
 * PVH start info (see pvh.h).  Offsets are those of struct hvm_start_info,
 * hvm_modlist_entry and hvm_memmap_table_entry.
 */
#include "pvh.h"

#include <string.h>

#include "kvmbench/abi.h"
#include "common/util.h"
#include "boot.h"
#include "bootmem.h"
#include "longmode.h"

struct pvh_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct pvh_module {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct pvh_memmap {
	uint64_t addr, size;
	uint32_t type, reserved;
};

#define MODLIST_ADDR (KB_PVH_INFO_ADDR + 0x80)
#define MEMMAP_ADDR (KB_PVH_INFO_ADDR + 0x100)

int kb_pvh_info(struct kb_mem *m, const uint8_t *initrd, size_t initrd_size, uint64_t kernel_end,
		char *err, size_t errlen)
{
	struct pvh_start_info *si = kb_mem_gpa(m, KB_PVH_INFO_ADDR, 0x200);
	struct pvh_module *mod = kb_mem_gpa(m, MODLIST_ADDR, sizeof(*mod));
	struct pvh_memmap *map = kb_mem_gpa(m, MEMMAP_ADDR, 4 * sizeof(*map));
	struct kb_ram_range r[4];
	unsigned n = kb_boot_ram_map(m, r);

	memset(si, 0, 0x200);
	si->magic = KB_PVH_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = KB_CMDLINE_ADDR;
	si->rsdp_paddr = KB_ACPI_ADDR;
	si->memmap_paddr = MEMMAP_ADDR;
	si->memmap_entries = n;
	for (unsigned i = 0; i < n; i++)
		map[i] = (struct pvh_memmap){r[i].addr, r[i].len, r[i].type, 0};
	if (initrd) {
		uint64_t at;

		if (kb_boot_place_initrd(m, initrd, initrd_size, kernel_end, 0, &at, err, errlen))
			return -1;
		*mod = (struct pvh_module){at, initrd_size, 0, 0};
		si->nr_modules = 1;
		si->modlist_paddr = MODLIST_ADDR;
	}
	return 0;
}

static int pvh_detect(const uint8_t *buf, size_t size, char *err, size_t errlen)
{
	uint64_t entry;

	if (!kb_elf_is64(buf, size))
		return 0;
	return kb_elf_note(buf, size, KB_PVH_NOTE_OWNER, KB_PVH_NOTE_PHYS32_ENTRY, &entry, err,
			   errlen);
}

/* The vmlinux's segments, then hvm_start_info; entry at the note's address. */
static int pvh_load(const struct kb_boot_args *a, struct kb_image *img, char *err, size_t errlen)
{
	uint64_t entry = 0;

	if (kb_elf_note(a->buf, a->size, KB_PVH_NOTE_OWNER, KB_PVH_NOTE_PHYS32_ENTRY, &entry, err,
			errlen) < 0 ||
	    kb_elf_load(a->buf, a->size, a->mem->host, a->mem->low, 1, img, err, errlen))
		return -1;
	if (entry < img->lo || entry >= img->hi)
		return kb_errf(err, errlen,
			       "PVH entry 0x%llx is outside the loaded image [0x%llx, 0x%llx)",
			       (unsigned long long)entry, (unsigned long long)img->lo,
			       (unsigned long long)img->hi);
	img->entry = entry;
	return kb_pvh_info(a->mem, a->initrd, a->initrd_size, img->hi, err, errlen);
}

static void pvh_regs(struct kvm_regs *r, uint64_t entry, unsigned index)
{
	(void)index;
	memset(r, 0, sizeof(*r));
	r->rip = entry;
	r->rflags = 0x2;
	r->rbx = KB_PVH_INFO_ADDR;
}

const struct kb_boot_ops kb_boot_pvh = {
    .name = "pvh",
    .what = "PVH: ",
    .initrd = true,
    .aps = KB_AP_INIT_SIPI,
    .detect = pvh_detect,
    .load = pvh_load,
    .sregs = kb_flat32_sregs,
    .regs = pvh_regs,
};
