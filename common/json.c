/*
 * Streaming JSON writer (see json.h).
 */
#include "common/json.h"

#include <math.h>

void kb_json_init(struct kb_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
	j->error = false;
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Comma, newline, indentation and key before a value. */
static void lead(struct kb_json *j, const char *key)
{
	if (j->depth == 0 && !j->first[0])
		j->error = true; /* a second top-level value */
	if (!j->first[j->depth])
		fputc(',', j->f);
	if (j->depth > 0)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	j->first[j->depth] = false;
	if (key) {
		put_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void open_(struct kb_json *j, const char *key, char c)
{
	lead(j, key);
	fputc(c, j->f);
	if (j->depth + 1 >= KB_JSON_MAX_DEPTH) {
		j->error = true;
		return;
	}
	j->first[++j->depth] = true;
}

void kb_json_object(struct kb_json *j, const char *key)
{
	open_(j, key, '{');
}
void kb_json_array(struct kb_json *j, const char *key)
{
	open_(j, key, '[');
}

void kb_json_end(struct kb_json *j, char close)
{
	bool empty = j->first[j->depth];

	if (j->depth == 0) {
		j->error = true;
		return;
	}
	j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(close, j->f);
}

void kb_json_str(struct kb_json *j, const char *key, const char *v)
{
	if (!v) {
		kb_json_null(j, key);
		return;
	}
	lead(j, key);
	put_string(j->f, v);
}

void kb_json_u64(struct kb_json *j, const char *key, uint64_t v)
{
	lead(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void kb_json_i64(struct kb_json *j, const char *key, int64_t v)
{
	lead(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

void kb_json_dbl(struct kb_json *j, const char *key, double v)
{
	if (!isfinite(v)) {
		kb_json_null(j, key); /* JSON has no NaN or infinity */
		return;
	}
	lead(j, key);
	fprintf(j->f, "%.12g", v);
}

void kb_json_bool(struct kb_json *j, const char *key, bool v)
{
	lead(j, key);
	fputs(v ? "true" : "false", j->f);
}

void kb_json_null(struct kb_json *j, const char *key)
{
	lead(j, key);
	fputs("null", j->f);
}

int kb_json_finish(struct kb_json *j)
{
	if (j->depth != 0 || j->first[0])
		j->error = true;
	fputc('\n', j->f);
	return j->error || ferror(j->f) ? -1 : 0;
}
