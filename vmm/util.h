/*
 * Small helpers shared across the VMM.
 */
#ifndef KB_UTIL_H
#define KB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Format a one-line error into err[errlen]; always returns -1, so callers
 * can write "return kb_errf(err, errlen, ...)". */
int kb_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mkdir -p: create path and its missing parents (mode 0755).  0 or -1
 * with errno. */
int kb_mkdirs(const char *path);

/*
 * Does [addr, addr + len) lie wholly inside [base, base + size)?  The one
 * range check for guest- and image-supplied addresses and lengths: no sum
 * is formed, so nothing wraps whatever the inputs (a hostile bzImage's
 * pref_address near 2^64, a descriptor length of 4 GiB).  An empty range
 * fits anywhere from base to base + size.
 */
static inline bool kb_range_ok(uint64_t addr, uint64_t len, uint64_t base, uint64_t size)
{
	return addr >= base && addr - base <= size && len <= size - (addr - base);
}

/* Little-endian fields of guest or image bytes, at any alignment. */
static inline uint16_t kb_le16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t kb_le32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

#endif
