/*
 * Small helpers shared across the VMM (see util.h).
 */
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int kb_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int kb_number_parse(const char *s, double lo, double hi, unsigned flags, double *out, char *why,
		    size_t whylen)
{
	size_t n = strlen(s);
	char buf[64], *end;
	double v;

	if (n && s[n - 1] == '%' && (flags & KB_NUM_PERCENT))
		n--;
	if (!n || n >= sizeof(buf) ||
	    strspn(s, flags & KB_NUM_INT ? "0123456789" : "0123456789+-.eE") != n)
		goto bad;
	memcpy(buf, s, n);
	buf[n] = 0;
	errno = 0;
	v = strtod(buf, &end);
	if (*end || errno == ERANGE || !isfinite(v))
		goto bad;
	if (s[n] == '%')
		v /= 100;
	else if ((flags & KB_NUM_PERCENT) && v >= 1) { /* "5": 5% or 500%? */
		if (why)
			snprintf(why, whylen, "ambiguous: write %s%% or %g as a fraction", s,
				 v / 100);
		return -1;
	}
	if (v >= lo && v <= hi) {
		*out = v;
		return 0;
	}
bad:
	if (why && (flags & KB_NUM_PERCENT))
		snprintf(why, whylen,
			 "'%s' is not a fraction in [%g, 1) or a percentage in [%g%%, %g%%] "
			 "(5%% is 0.05)",
			 s, lo, lo * 100, hi * 100);
	else if (why)
		snprintf(why, whylen, "'%s' is not a %snumber in [%g, %g]", s,
			 flags & KB_NUM_INT ? "whole " : "", lo, hi);
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

int kb_number_arg(const char *who, const char *opt, const char *v, double lo, double hi,
		  unsigned flags, double *out)
{
	char why[160];

	if (!kb_number_parse(v, lo, hi, flags, out, why, sizeof(why)))
		return 0;
	fprintf(stderr, "%s: %s %s: %s\n", who, opt, v, why);
	return -1;
}

int kb_env_number(const char *name, double lo, double hi, unsigned flags, double def, double *out,
		  char *err, size_t errlen)
{
	const char *v = getenv(name);
	char why[200];

	*out = def;
	if (!v || !*v || !kb_number_parse(v, lo, hi, flags, out, why, sizeof(why)))
		return 0;
	snprintf(err, errlen, "%s=%.60s: %s", name, v, why);
	return -1;
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

int kb_openat_regular(int dfd, const char *path, int flags, char *err, size_t errlen)
{
	int fd = openat(dfd, path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644), e = errno;
	struct stat st;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 e == ELOOP   ? "a symbolic link: refused (remove it)"
			 : e == ENXIO ? "not a regular file (a FIFO or socket): refused"
				      : strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file: refused (remove it)", path);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int kb_open_regular(const char *path, int flags, char *err, size_t errlen)
{
	return kb_openat_regular(AT_FDCWD, path, flags, err, errlen);
}

uint64_t kb_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
