/*
 * bzImage loader (see bzimage.h).  Offsets are those of struct boot_params
 * and struct setup_header in arch/x86/include/uapi/asm/bootparam.h.
 */
#include "bzimage.h"

#include <string.h>

#include "kvmbench/abi.h"
#include "common/util.h"
#include "boot.h"
#include "bootmem.h"
#include "longmode.h"

#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP_END 0x201
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGN 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define BP_ACPI_RSDP 0x070
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0

bool kb_bzimage_detect(const uint8_t *buf, size_t size)
{
	return size > 0x300 && kb_le16(buf + HDR_BOOT_FLAG) == 0xaa55 &&
	       !memcmp(buf + HDR_MAGIC, "HdrS", 4);
}

int kb_linux_zeropage(struct kb_mem *m, const uint8_t *setup, size_t hdr_end, const uint8_t *initrd,
		      size_t initrd_size, uint64_t kernel_end, char *err, size_t errlen)
{
	uint8_t *bp = kb_mem_gpa(m, KB_ZEROPAGE_ADDR, 4096);
	struct kb_ram_range r[4];
	unsigned n = kb_boot_ram_map(m, r);

	memset(bp, 0, 4096);
	if (setup) {
		memcpy(bp + HDR_SETUP_SECTS, setup + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
	} else { /* a vmlinux has no setup header: write what the kernel reads */
		memcpy(bp + HDR_BOOT_FLAG, &(uint16_t){0xaa55}, 2);
		memcpy(bp + HDR_MAGIC, "HdrS", 4);
		memcpy(bp + HDR_VERSION, &(uint16_t){0x020f}, 2);
		memcpy(bp + HDR_KERNEL_ALIGN, &(uint32_t){0x200000}, 4);
		memcpy(bp + HDR_CMDLINE_SIZE, &(uint32_t){KB_CMDLINE_MAX - 1}, 4);
		bp[HDR_LOADFLAGS] = 0x01; /* LOADED_HIGH */
	}
	bp[HDR_TYPE_OF_LOADER] = 0xff; /* undefined boot loader */
	bp[HDR_LOADFLAGS] |= 0x80;     /* CAN_USE_HEAP */
	memcpy(bp + HDR_HEAP_END_PTR, &(uint16_t){0xfe00}, 2);
	memcpy(bp + HDR_CMD_LINE_PTR, &(uint32_t){(uint32_t)KB_CMDLINE_ADDR}, 4);
	memcpy(bp + BP_ACPI_RSDP, &(uint64_t){KB_ACPI_ADDR}, 8);
	if (initrd) {
		uint64_t at, max = setup ? kb_le32(setup + HDR_INITRD_ADDR_MAX) : 0;

		if (kb_boot_place_initrd(m, initrd, initrd_size, kernel_end, max ? max + 1 : 0, &at,
					 err, errlen))
			return -1;
		memcpy(bp + HDR_RAMDISK_IMAGE, &(uint32_t){(uint32_t)at}, 4);
		memcpy(bp + HDR_RAMDISK_SIZE, &(uint32_t){(uint32_t)initrd_size}, 4);
	}
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = bp + BP_E820_TABLE + 20 * i;

		memcpy(e, &r[i].addr, 8);
		memcpy(e + 8, &r[i].len, 8);
		memcpy(e + 16, &r[i].type, 4);
	}
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	return 0;
}

int kb_bzimage_load(const uint8_t *buf, size_t size, const uint8_t *initrd, size_t initrd_size,
		    struct kb_mem *m, size_t cmdline_len, struct kb_image *img, char *err,
		    size_t errlen)
{
	unsigned setup_sects;
	uint16_t version;
	uint64_t pref, init_size, koff, load;
	size_t hdr_end;

	/* first: the header's fields are read only once the file holds it */
	if (!kb_bzimage_detect(buf, size))
		return kb_errf(err, errlen, "not a bzImage (no 0xAA55 boot flag and HdrS magic)");
	setup_sects = buf[HDR_SETUP_SECTS] ? buf[HDR_SETUP_SECTS] : 4;
	version = kb_le16(buf + HDR_VERSION);
	koff = (uint64_t)(setup_sects + 1) * 512;
	hdr_end = 0x202 + buf[HDR_JUMP_END];
	if (version < 0x020c)
		return kb_errf(err, errlen,
			       "boot protocol %u.%02u is older than 2.12: no 64-bit "
			       "entry",
			       version >> 8, version & 0xff);
	if (!(kb_le16(buf + HDR_XLOADFLAGS) & 1))
		return kb_errf(err, errlen, "not a 64-bit kernel (xloadflags lacks XLF_KERNEL_64)");
	if (hdr_end > 0x280 || hdr_end > size || koff >= size)
		return kb_errf(err, errlen,
			       "truncated: the setup header or the kernel is cut short");
	memcpy(&pref, buf + HDR_PREF_ADDRESS, 8);
	init_size = kb_le32(buf + HDR_INIT_SIZE);
	load = buf[HDR_RELOCATABLE] && pref ? pref : 0x100000;
	if (load < KB_LOAD_MIN || load % 4096 || load >= m->low)
		return kb_errf(err, errlen,
			       "preferred address (pref_address) 0x%llx is not usable: the "
			       "kernel must load page-aligned in RAM from 0x%llx below 0x%llx",
			       (unsigned long long)load, (unsigned long long)KB_LOAD_MIN,
			       (unsigned long long)m->low);
	if (init_size < size - koff)
		init_size = size - koff;
	/* load < m->low (3 GiB at most) and init_size < 2^32: the sum is exact */
	if (!kb_range_ok(load, init_size, 0, m->low))
		return kb_errf(err, errlen,
			       "the kernel needs RAM up to 0x%llx, there is 0x%llx "
			       "below 4 GiB (raise -m)",
			       (unsigned long long)(load + init_size), (unsigned long long)m->low);
	if (cmdline_len >= kb_le32(buf + HDR_CMDLINE_SIZE) && kb_le32(buf + HDR_CMDLINE_SIZE))
		return kb_errf(err, errlen, "-append is %zu bytes; this kernel takes %u",
			       cmdline_len, kb_le32(buf + HDR_CMDLINE_SIZE) - 1);
	memcpy(m->host + load, buf + koff, size - koff);
	if (kb_linux_zeropage(m, buf, hdr_end, initrd, initrd_size, load + init_size, err, errlen))
		return -1;
	img->entry = load + 0x200; /* startup_64 */
	img->lo = load;
	img->hi = load + init_size;
	return 0;
}

void kb_linux64_regs(struct kvm_regs *r, uint64_t entry, unsigned index)
{
	(void)index;
	memset(r, 0, sizeof(*r));
	r->rip = entry;
	r->rflags = 0x2;
	r->rsi = KB_ZEROPAGE_ADDR;
}

void kb_linux64_sregs(struct kvm_sregs *s)
{
	/* __BOOT_CS 0x10, __BOOT_DS 0x18, TSS 0x20 in the Linux GDT */
	kb_boot_segments(s, 0x10, 0x18, 0x20, true, KB_LINUX_GDT_ADDR, 0x30 - 1);
}

static int bzimage_detect(const uint8_t *buf, size_t size, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	return kb_bzimage_detect(buf, size);
}

static int bzimage_load(const struct kb_boot_args *a, struct kb_image *img, char *err,
			size_t errlen)
{
	return kb_bzimage_load(a->buf, a->size, a->initrd, a->initrd_size, a->mem, a->cmdline_len,
			       img, err, errlen);
}

const struct kb_boot_ops kb_boot_bzimage = {
    .name = "linux64",
    .what = "Linux: ",
    .initrd = true,
    .aps = KB_AP_INIT_SIPI,
    .detect = bzimage_detect,
    .load = bzimage_load,
    .sregs = kb_linux64_sregs,
    .regs = kb_linux64_regs,
};
