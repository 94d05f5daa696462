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

bool kb_has_word(const char *s, const char *w, size_t w_len)
{
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, " ");

		if (n == w_len && !memcmp(p, w, n))
			return true;
		p += n + (p[n] == ' ');
	}
	return false;
}

static bool in_every(const char *w, size_t n, const char *const *all, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (!kb_has_word(all[i], w, n))
			return false;
	return true;
}

const char *kb_params_part(const char *s, const char *const *all, size_t n, bool common, char *buf,
			   size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (const char *p = common && n ? all[0] : s; *p;) {
		size_t w = strcspn(p, " ");

		if (w && in_every(p, w, all, n) == common && used + w + 2 < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%.*s", used ? " " : "",
						 (int)w, p);
		p += w + (p[w] == ' ');
	}
	return buf[0] ? buf : "-";
}

const char *kb_params_without(const char *s, const char *const *keys, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (const char *w = s; *w;) {
		size_t n = strcspn(w, " "), k = strcspn(w, "= ");
		bool drop = false;

		for (const char *const *key = keys; *key && !drop; key++)
			drop = strlen(*key) == k && !strncmp(w, *key, k);
		if (n && !drop && used + n + 2 < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%.*s", used ? " " : "",
						 (int)n, w);
		w += n + (w[n] == ' ');
	}
	return buf;
}
