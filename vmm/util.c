/*
 * Small helpers shared across the VMM (see util.h).
 */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

int kb_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				 "0123456789_.:/%+-";

bool kb_name_ok(const char *s, size_t max)
{
	size_t n = strspn(s, name_chars);

	return n > 0 && n < max && !s[n];
}

void kb_name_shown(char *out, size_t outlen, const char *s, size_t len)
{
	size_t n = strnlen(s, len), i;

	if (!outlen)
		return;
	for (i = 0; i < n && i + 1 < outlen; i++)
		out[i] = strchr(name_chars, s[i]) ? s[i] : '?';
	out[i] = 0;
	if (i < n && outlen > 4)
		memcpy(out + outlen - 4, "...", 4);
}

int kb_mkdirs(const char *path)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}
