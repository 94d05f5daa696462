/*
 * Small helpers shared across the VMM (see util.h).
 */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>

int kb_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
