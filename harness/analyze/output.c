/*
 * Machine output helpers (see output.h).
 */
#include "analyze/output.h"

#include <math.h>
#include <string.h>

#include "common/escape.h"

int kb_format_parse(const char *name)
{
	static const char *const names[] = {"text", "json", "csv", "tap"};

	if (!name)
		return KB_FMT_TEXT;
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

void kb_out_csv(FILE *f, const char *s)
{
	char buf[4096];

	if (s && strchr("=+-@", s[0]) && s[0]) {
		snprintf(buf, sizeof(buf), "'%s", s);
		kb_esc_csv(f, buf);
		return;
	}
	kb_esc_csv(f, s);
}

void kb_out_num(FILE *f, double x, bool json)
{
	if (isfinite(x))
		fprintf(f, "%.6g", x);
	else if (json)
		fputs("null", f);
}

void kb_out_jnum(FILE *f, const char *key, double x)
{
	fprintf(f, ", \"%s\": ", key);
	kb_out_num(f, x, true);
}

void kb_out_jstr(FILE *f, const char *key, const char *s)
{
	fprintf(f, ", \"%s\": ", key);
	kb_esc_json(f, s);
}
