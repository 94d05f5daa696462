/*
 * Boot protocols, one table.  Each protocol is a const struct kb_boot_ops
 * in its own file (boot/NAME.c): how to recognise its image, how to load
 * it, the boot vCPU's registers and how the other vCPUs start.  boot.c
 * lists them in detection order (KB_BOOT_PROTOCOLS below) and loads an
 * image with the first that takes it; vm.c and vcpu.c only call through
 * the ops.
 *
 * A new protocol: its file, defining `const struct kb_boot_ops
 * kb_boot_NAME`, and one X(NAME) line in KB_BOOT_PROTOCOLS.
 */
#ifndef KB_BOOT_BOOT_H
#define KB_BOOT_BOOT_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../memory.h"
#include "elf.h"

/* What a loader gets.  The command line, the ACPI tables and the long-mode
 * boot structures are already in RAM (kb_vm_load writes them first). */
struct kb_boot_args {
	const uint8_t *buf; /* the -kernel file */
	size_t size;
	const uint8_t *initrd; /* the -initrd file, or NULL */
	size_t initrd_size;
	size_t cmdline_len; /* strlen of -append */
	struct kb_mem *mem; /* guest RAM */
};

/* How the application processors (vCPU 1 on) start. */
enum kb_ap_start {
	KB_AP_INIT_SIPI, /* as on hardware: they wait for the kernel's INIT/SIPI */
	KB_AP_AT_ENTRY,	 /* every vCPU starts at the entry (regs() gets its index) */
};

struct kb_boot_ops {
	const char *name; /* config.boot_protocol in the stats JSON */
	const char *what; /* starts its load errors: "Linux: ", or "" */
	bool initrd;	  /* takes -initrd */
	enum kb_ap_start aps;
	/* Is buf[0..size) this protocol's image?  1 yes, 0 no, -1 with err
	 * when it is, but malformed beyond loading. */
	int (*detect)(const uint8_t *buf, size_t size, char *err, size_t errlen);
	/* Load the image and write the protocol's boot structures; img gets
	 * the entry point and the extent loaded.  0, or -1 with err. */
	int (*load)(const struct kb_boot_args *a, struct kb_image *img, char *err, size_t errlen);
	/* The boot vCPU's (and with KB_AP_AT_ENTRY every vCPU's) registers. */
	void (*sregs)(struct kvm_sregs *s);
	void (*regs)(struct kvm_regs *r, uint64_t entry, unsigned index);
};

/*
 * The protocols in detection order: the first whose detect() takes the
 * image loads it, and the last takes any image (its loader says what is
 * wrong with one that is no micro-guest).  An ELF64 image is a PVH kernel
 * when it has the note, else a vmlinux when linked at virtual addresses,
 * else a micro-guest; Multiboot v1 kernels are never ELF64.
 */
#define KB_BOOT_PROTOCOLS(X)                                                        \
	X(bzimage)   /* Linux bzImage, 64-bit boot protocol (bzimage.c) */          \
	X(pvh)	     /* vmlinux with Xen's PHYS32_ENTRY note: PVH (pvh.c) */        \
	X(vmlinux)   /* vmlinux without it: the 64-bit boot protocol (vmlinux.c) */ \
	X(multiboot) /* Multiboot v1, 32-bit (multiboot.c) */                       \
	X(micro)     /* micro-guest ELF64 in long mode (micro.c) */

#define KB_BOOT_DECLARE(name) extern const struct kb_boot_ops kb_boot_##name;
KB_BOOT_PROTOCOLS(KB_BOOT_DECLARE)
#undef KB_BOOT_DECLARE

/* The protocol of buf[0..size): the first in the table that takes it.
 * NULL with err when a protocol recognised the image as malformed. */
const struct kb_boot_ops *kb_boot_detect(const uint8_t *buf, size_t size, char *err, size_t errlen);

/*
 * Load a->buf by its protocol: detect, refuse an initrd the protocol does
 * not take, load.  *ops is set to the protocol once the initrd is
 * accepted, so a failed load still names it.  Returns 0, or -1 with err
 * (a load error starts with the protocol's `what`).
 */
int kb_boot_load(const struct kb_boot_args *a, const struct kb_boot_ops **ops, struct kb_image *img,
		 char *err, size_t errlen);

#endif
