/*
 * The table of boot protocols and the one way an image is loaded through
 * it (see boot.h).
 */
#include "boot.h"

#include <assert.h>

#include "common/util.h"

#define KB_BOOT_ENTRY(name) &kb_boot_##name,
static const struct kb_boot_ops *const protocols[] = {KB_BOOT_PROTOCOLS(KB_BOOT_ENTRY)};
#undef KB_BOOT_ENTRY

#define NPROTOCOLS (sizeof(protocols) / sizeof(protocols[0]))

const struct kb_boot_ops *kb_boot_detect(const uint8_t *buf, size_t size, char *err, size_t errlen)
{
	for (size_t i = 0; i < NPROTOCOLS; i++) {
		int r = protocols[i]->detect(buf, size, err, errlen);

		if (r < 0)
			return NULL;
		if (r)
			return protocols[i];
	}
	assert(!"the last boot protocol takes any image");
	kb_errf(err, errlen, "no boot protocol takes this image");
	return NULL;
}

int kb_boot_load(const struct kb_boot_args *a, const struct kb_boot_ops **ops, struct kb_image *img,
		 char *err, size_t errlen)
{
	const struct kb_boot_ops *p = kb_boot_detect(a->buf, a->size, err, errlen);
	char why[256];

	if (!p)
		return -1;
	if (a->initrd && !p->initrd)
		return kb_errf(err, errlen, "-initrd needs a Linux kernel (bzImage or vmlinux)");
	*ops = p;
	if (p->load(a, img, why, sizeof(why)))
		return kb_errf(err, errlen, "%s%s", p->what, why);
	return 0;
}
