/*
 * Multiboot v1 loader (see multiboot.h).  Like the ELF64 loader, every
 * field of the untrusted image is checked before a byte is copied.
 */
#include "multiboot.h"

#include <elf.h>
#include <string.h>

#include "kvmbench/abi.h"
#include "common/util.h"
#include "boot.h"
#include "bootmem.h"
#include "longmode.h"

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

#define MB_FLAG_ALIGN 0x1
#define MB_FLAG_MEMINFO 0x2
#define MB_FLAG_VIDEO 0x4
#define MB_FLAG_ADDRS 0x10000

long kb_multiboot_find(const uint8_t *buf, size_t size)
{
	for (size_t off = 0; kb_range_ok(off, 12, 0, size) && off < 8192; off += 4) {
		uint32_t h[3];

		memcpy(h, buf + off, 12);
		if (h[0] == KB_MULTIBOOT_MAGIC && h[0] + h[1] + h[2] == 0)
			return (long)off;
	}
	return -1;
}

/* The a.out kludge: the header says where the file goes. */
static int load_addrs(const uint8_t *buf, size_t size, size_t hoff, const struct mb_header *h,
		      uint8_t *ram, uint64_t ram_size, struct kb_image *img, char *err,
		      size_t errlen)
{
	uint64_t load_end = h->load_end_addr ? h->load_end_addr : 0, bss_end;

	if (!kb_range_ok(hoff, sizeof(*h), 0, size))
		return kb_errf(err, errlen,
			       "truncated: the header's address fields end past the file");
	if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > hoff)
		return kb_errf(err, errlen,
			       "header_addr 0x%x and load_addr 0x%x do not match the "
			       "header's place in the file",
			       h->header_addr, h->load_addr);
	uint64_t foff = hoff - (h->header_addr - h->load_addr);

	if (!load_end)
		load_end = h->load_addr + (size - foff);
	if (load_end < h->load_addr || load_end - h->load_addr > size - foff)
		return kb_errf(err, errlen, "load_end_addr 0x%llx is past the end of the file",
			       (unsigned long long)load_end);
	bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (bss_end < load_end)
		return kb_errf(err, errlen, "bss_end_addr 0x%x is below load_end_addr",
			       h->bss_end_addr);
	if (h->load_addr < KB_LOAD_MIN)
		return kb_errf(err, errlen,
			       "load_addr 0x%x overlaps the VMM's boot area below 0x%llx",
			       h->load_addr, (unsigned long long)KB_LOAD_MIN);
	if (!kb_range_ok(h->load_addr, bss_end - h->load_addr, 0, ram_size))
		return kb_errf(err, errlen,
			       "the kernel [0x%x, 0x%llx) does not fit in RAM below "
			       "0x%llx (raise -m?)",
			       h->load_addr, (unsigned long long)bss_end,
			       (unsigned long long)ram_size);
	if (h->entry_addr < h->load_addr || h->entry_addr >= bss_end)
		return kb_errf(err, errlen, "entry_addr 0x%x is outside the kernel", h->entry_addr);
	memcpy(ram + h->load_addr, buf + foff, load_end - h->load_addr);
	memset(ram + load_end, 0, bss_end - load_end);
	img->entry = h->entry_addr;
	img->lo = h->load_addr;
	img->hi = bss_end;
	return 0;
}

/* ELF32 program headers. */
static int load_elf32(const uint8_t *buf, size_t size, uint8_t *ram, uint64_t ram_size,
		      struct kb_image *img, char *err, size_t errlen)
{
	Elf32_Ehdr eh;
	Elf32_Phdr ph[64];
	int entry_ok = 0, n = 0;

	if (size < sizeof(eh))
		return kb_errf(err, errlen, "truncated: shorter than an ELF32 header");
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS32 || eh.e_machine != EM_386 || eh.e_type != ET_EXEC)
		return kb_errf(err, errlen,
			       "not an i386 ELF32 executable (set the Multiboot "
			       "header's address fields to load another format)");
	if (eh.e_phentsize != sizeof(Elf32_Phdr) || !eh.e_phnum || eh.e_phnum > 64 ||
	    !kb_range_ok(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf32_Phdr), 0, size))
		return kb_errf(err, errlen, "truncated or bad program header table");
	memcpy(ph, buf + eh.e_phoff, eh.e_phnum * sizeof(Elf32_Phdr));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		if (ph[i].p_filesz > ph[i].p_memsz ||
		    !kb_range_ok(ph[i].p_offset, ph[i].p_filesz, 0, size))
			return kb_errf(err, errlen, "truncated: segment %u ends past the file", i);
		if (ph[i].p_paddr < KB_LOAD_MIN ||
		    !kb_range_ok(ph[i].p_paddr, ph[i].p_memsz, 0, ram_size))
			return kb_errf(err, errlen,
				       "segment %u at 0x%x is outside RAM [0x%llx, "
				       "0x%llx)",
				       i, ph[i].p_paddr, (unsigned long long)KB_LOAD_MIN,
				       (unsigned long long)ram_size);
		if (eh.e_entry - ph[i].p_vaddr < ph[i].p_memsz) {
			img->entry = eh.e_entry - ph[i].p_vaddr + ph[i].p_paddr;
			entry_ok = 1;
		}
		n++;
	}
	if (!n || !entry_ok)
		return kb_errf(err, errlen,
			       n ? "entry point 0x%x is outside every segment"
				 : "no loadable segment",
			       eh.e_entry);
	img->lo = UINT64_MAX;
	img->hi = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		memcpy(ram + ph[i].p_paddr, buf + ph[i].p_offset, ph[i].p_filesz);
		memset(ram + ph[i].p_paddr + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
		img->lo = ph[i].p_paddr < img->lo ? ph[i].p_paddr : img->lo;
		img->hi = ph[i].p_paddr + ph[i].p_memsz > img->hi ? ph[i].p_paddr + ph[i].p_memsz
								  : img->hi;
	}
	return 0;
}

int kb_multiboot_load(const uint8_t *buf, size_t size, uint8_t *ram, uint64_t ram_size,
		      struct kb_image *img, char *err, size_t errlen)
{
	long hoff = kb_multiboot_find(buf, size);
	struct mb_header h;

	if (hoff < 0)
		return kb_errf(err, errlen,
			       "no Multiboot header (magic 0x1BADB002 with a valid "
			       "checksum) in the first 8 KiB");
	memset(&h, 0, sizeof(h));
	memcpy(&h, buf + hoff, size - (size_t)hoff < sizeof(h) ? size - (size_t)hoff : sizeof(h));
	if (h.flags & MB_FLAG_VIDEO)
		return kb_errf(err, errlen,
			       "the kernel asks for a video mode (flag 2): there is no "
			       "display");
	if (h.flags & 0xfff8)
		return kb_errf(err, errlen,
			       "the kernel needs Multiboot features 0x%x this loader "
			       "lacks",
			       h.flags & 0xfff8);
	if (h.flags & MB_FLAG_ADDRS)
		return load_addrs(buf, size, (size_t)hoff, &h, ram, ram_size, img, err, errlen);
	return load_elf32(buf, size, ram, ram_size, img, err, errlen);
}

void kb_multiboot_info(struct kb_mem *m)
{
	uint32_t *info = kb_mem_gpa(m, KB_MBINFO_ADDR, 0x200);
	char *name = (char *)info + 0x80;
	uint32_t *map = info + 0x100 / 4, *p = map;
	struct kb_ram_range r[4];
	unsigned n = kb_boot_ram_map(m, r);

	memset(info, 0, 0x200);
	strcpy(name, "kvmbench");
	for (unsigned i = 0; i < n; i++) {
		p[0] = 20; /* size of the rest of the entry */
		memcpy(p + 1, &r[i].addr, 8);
		memcpy(p + 3, &r[i].len, 8);
		p[5] = r[i].type;
		p += 6;
	}
	info[0] = 1 << 0 | 1 << 2 | 1 << 6 | 1 << 9; /* mem, cmdline, mmap, loader name */
	info[1] = 639;				     /* KiB below 1 MiB */
	info[2] = (uint32_t)((m->low - 0x100000) >> 10);
	info[4] = (uint32_t)KB_CMDLINE_ADDR;
	info[11] = (uint32_t)((uint8_t *)p - (uint8_t *)map); /* mmap_length */
	info[12] = (uint32_t)(KB_MBINFO_ADDR + 0x100);	      /* mmap_addr */
	info[16] = (uint32_t)(KB_MBINFO_ADDR + 0x80);	      /* boot_loader_name */
}

/* Multiboot v1 kernels are ELF32 or a.out-kludge images: an ELF64 file,
 * even with the header, is another protocol's (a micro-guest's). */
static int multiboot_detect(const uint8_t *buf, size_t size, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	return !kb_elf_is64(buf, size) && kb_multiboot_find(buf, size) >= 0;
}

static int multiboot_load(const struct kb_boot_args *a, struct kb_image *img, char *err,
			  size_t errlen)
{
	if (kb_multiboot_load(a->buf, a->size, a->mem->host, a->mem->low, img, err, errlen))
		return -1;
	kb_multiboot_info(a->mem);
	return 0;
}

/* EAX = the boot loader's magic, EBX = the Multiboot information. */
static void multiboot_regs(struct kvm_regs *r, uint64_t entry, unsigned index)
{
	(void)index;
	memset(r, 0, sizeof(*r));
	r->rip = entry;
	r->rflags = 0x2;
	r->rax = KB_MULTIBOOT_BOOTLOADER_MAGIC;
	r->rbx = KB_MBINFO_ADDR;
}

const struct kb_boot_ops kb_boot_multiboot = {
    .name = "multiboot",
    .what = "Multiboot: ",
    .initrd = false,
    .aps = KB_AP_INIT_SIPI,
    .detect = multiboot_detect,
    .load = multiboot_load,
    .sregs = kb_flat32_sregs,
    .regs = multiboot_regs,
};
