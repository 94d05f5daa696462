/*
 * A Linux vmlinux without a PVH note (an ELF64 linked at kernel virtual
 * addresses): its segments at their physical addresses, boot_params
 * without a setup header, entered through the 64-bit boot protocol at its
 * physical entry as a bzImage is (bzimage.h).  The boot CPU starts; the
 * others wait for the kernel's INIT/SIPI.
 */
#include "boot.h"
#include "bzimage.h"

static int vmlinux_detect(const uint8_t *buf, size_t size, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	return kb_elf_is_vmlinux(buf, size);
}

static int vmlinux_load(const struct kb_boot_args *a, struct kb_image *img, char *err,
			size_t errlen)
{
	if (kb_elf_load(a->buf, a->size, a->mem->host, a->mem->low, 1, img, err, errlen))
		return -1;
	return kb_linux_zeropage(a->mem, NULL, 0, a->initrd, a->initrd_size, img->hi, err, errlen);
}

const struct kb_boot_ops kb_boot_vmlinux = {
    .name = "linux64",
    .what = "Linux: ",
    .initrd = true,
    .aps = KB_AP_INIT_SIPI,
    .detect = vmlinux_detect,
    .load = vmlinux_load,
    .sregs = kb_linux64_sregs,
    .regs = kb_linux64_regs,
};
