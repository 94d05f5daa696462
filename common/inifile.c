/*
 * INI files through libinih with counted, whole lines (see inifile.h).
 *
 * libinih reads through an fgets-style reader into a buffer of num bytes.
 * Ours reads a whole line with getline(); when it does not fit, parsing
 * stops there with file:line, so no line is ever split and every line
 * number is the file's own.
 */
#include "common/inifile.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void kb_ini_verr(struct kb_ini *ini, const char *fmt, va_list ap)
{
	int n;

	if (ini->failed)
		return;
	ini->failed = true;
	n = snprintf(ini->err, ini->errlen, "%s:%d: ", ini->path, ini->line);
	vsnprintf(ini->err + n, ini->errlen > (size_t)n ? ini->errlen - (size_t)n : 0, fmt, ap);
}

int kb_ini_err(struct kb_ini *ini, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kb_ini_verr(ini, fmt, ap);
	va_end(ap);
	return 0;
}

static char *reader(char *str, int num, void *stream)
{
	struct kb_ini *ini = stream;
	ssize_t n;

	if (ini->failed || (n = getline(&ini->buf, &ini->cap, ini->f)) < 0)
		return NULL;
	ini->line++;
	if (n - (n && ini->buf[n - 1] == '\n') > num - 2) { /* fgets would split it */
		kb_ini_err(ini, "line longer than %d bytes: shorten it (libinih's limit)", num - 2);
		return NULL;
	}
	memcpy(str, ini->buf, (size_t)n + 1);
	if (ini->on_line)
		ini->on_line(ini, str);
	return str;
}

int kb_ini_parse(struct kb_ini *ini, const char *path, ini_handler handler, void *user)
{
	int rc;

	ini->path = path;
	ini->line = 0;
	ini->failed = false;
	if (!(ini->f = fopen(path, "re"))) {
		snprintf(ini->err, ini->errlen, "%s: cannot open: %m", path);
		return -1;
	}
	rc = ini_parse_stream(reader, ini, handler, user);
	fclose(ini->f);
	free(ini->buf);
	ini->f = NULL;
	ini->buf = NULL;
	ini->cap = 0;
	if (!ini->failed && rc > 0) {
		ini->line = rc;
		kb_ini_err(ini, "syntax error (expected [section] or key = value)");
	} else if (!ini->failed && rc < 0) {
		snprintf(ini->err, ini->errlen, "%s: cannot parse (error %d)", path, rc);
		return -1;
	}
	return ini->failed ? -1 : 0;
}

int kb_ini_number(struct kb_ini *ini, const char *key, const char *value, double lo, double hi,
		  unsigned flags, double *out)
{
	char why[160];

	if (!kb_number_parse(value, lo, hi, flags, out, why, sizeof(why)))
		return 1;
	return kb_ini_err(ini, "%s: %s", key, why);
}
