/*
 * Image manifests (images/manifest.ini and users' own): what to download,
 * where from, and the sha256 it must have.
 *
 *   [image.NAME]
 *   kind = kernel | initrd | disk | guest
 *   sha256 = 64 hex digits
 *   url = http(s)://... | file:///...      ; fetched with libcurl, or
 *   apt = PACKAGE[=VERSION]                ; `apt-get download` + dpkg-deb
 *   path = boot/vmlinuz-*                  ; the file inside the package
 *   max_size = 64M                         ; optional: a larger download fails
 */
#ifndef KB_MANIFEST_H
#define KB_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#define KB_MAX_IMAGES 128

struct kb_image_entry {
	char name[64];
	char kind[16];
	char sha256[65];
	char url[1024];
	char apt[128];
	char path[256];
	uint64_t max_size; /* bytes; 0: the default cap (KVMBENCH_MAX_DOWNLOAD) */
	int line;
};

struct kb_manifest {
	char path[1024];
	struct kb_image_entry img[KB_MAX_IMAGES];
	unsigned n;
};

/* Parse and check path.  Returns 0, or -1 with "file:line: message". */
int kb_manifest_load(const char *path, struct kb_manifest *m, char *err, size_t errlen);
/* The image called name, or NULL. */
const struct kb_image_entry *kb_manifest_find(const struct kb_manifest *m, const char *name);

#endif
