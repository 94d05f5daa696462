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

/* kb_number_parse flags */
#define KB_NUM_INT 1u	  /* digits only: a whole number */
#define KB_NUM_PERCENT 2u /* "5%" is 0.05; a bare number >= 1 ("5") is refused as ambiguous */

/*
 * Parse s as a number in [lo, hi] (the one check for every number read
 * from a file or a command line): plain decimal (sign, digits, point,
 * exponent; no "nan", "inf" or hex), finite, nothing after it.  Returns 0
 * with *out, or -1 with "'s' is not a number in [lo, hi]" in why (which
 * may be NULL): the caller prefixes where (file:line: key, or the option).
 */
int kb_number_parse(const char *s, double lo, double hi, unsigned flags, double *out, char *why,
		    size_t whylen);

/* A command-line option's value as a number in [lo, hi]: 0, or -1 after
 * printing "who: opt v: why" on stderr. */
int kb_number_arg(const char *who, const char *opt, const char *v, double lo, double hi,
		  unsigned flags, double *out);

/* The environment variable name as a number in [lo, hi] (kb_number_parse),
 * def when unset or empty: 0, or -1 with err saying "NAME=VALUE: why". */
int kb_env_number(const char *name, double lo, double hi, unsigned flags, double def, double *out,
		  char *err, size_t errlen);

/*
 * open(path, flags | O_NOFOLLOW | O_CLOEXEC), mode 0644 when created, and
 * only if it is a regular file: without waiting on a FIFO (O_NONBLOCK while
 * opening), and not through a symbolic link.  The fd, or -1 with the
 * reason (naming path) in err and errno kept.  The openat() form takes
 * path relative to the directory dfd.
 */
int kb_open_regular(const char *path, int flags, char *err, size_t errlen);
int kb_openat_regular(int dfd, const char *path, int flags, char *err, size_t errlen);

/* mkdir -p: create path and its missing parents (mode 0755).  0 or -1
 * with errno. */
int kb_mkdirs(const char *path);

/*
 * Names a guest or a stats file gives (metrics, marks, units, exit regions,
 * KVM statistics, devices): 1 to max - 1 bytes of KB_NAME_CHARS.  The VMM
 * refuses others from the guest, the harness refuses a stats file with
 * them, so every output language can carry a name; the harness's writers
 * (common/escape.c) quote them all the same.
 */
#define KB_NAME_CHARS "[A-Za-z0-9_.:/%+-]"
bool kb_name_ok(const char *s, size_t max);
/* s (at most len bytes, to its NUL) for an error message: other characters
 * as '?', cut to fit out[outlen] with "..." when longer. */
void kb_name_shown(char *out, size_t outlen, const char *s, size_t len);

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

/* CLOCK_MONOTONIC in nanoseconds (deadlines, the VMM's clock). */
uint64_t kb_mono_ns(void);

#endif
