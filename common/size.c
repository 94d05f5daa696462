/*
 * Sizes and strict unsigned numbers, shared by the VMM's options and the
 * harness's scenarios, manifests and caps.
 */
#include "common/size.h"

#include <limits.h>
#include <string.h>

/* Strict unsigned decimal: digits only, no sign, no overflow past max. */
int kb_uint_parse(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (unsigned long)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* A number with an optional K/M/G/T suffix; a bare number is shifted by
 * bare_shift. */
static int parse_suffixed(const char *s, unsigned bare_shift, uint64_t *out)
{
	size_t n = strlen(s);
	unsigned shift = bare_shift;
	unsigned long v;

	if (n > 0 && strchr("kKmMgGtT", s[n - 1])) {
		switch (s[n - 1]) {
		case 'k':
		case 'K': shift = 10; break;
		case 'm':
		case 'M': shift = 20; break;
		case 'g':
		case 'G': shift = 30; break;
		default: shift = 40; break;
		}
		n--;
	}
	if (kb_uint_parse(s, n, ULONG_MAX >> shift, &v))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int kb_size_parse(const char *s, uint64_t *out)
{
	return parse_suffixed(s, 20, out);
}

int kb_bytes_parse(const char *s, uint64_t *out)
{
	return parse_suffixed(s, 0, out);
}
