/*
 * One writer per output language for strings that are data (see
 * escape.h).  All of them read the string as UTF-8 through next_char, so
 * a stray byte cannot make a JSON, XML or SVG file undecodable.
 */
#include "common/escape.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdint.h>
#include <string.h>

#define REPLACEMENT 0xfffd

/* The code point at *p, moving *p past it; U+FFFD, one byte consumed,
 * for a byte that does not start a valid shortest-form UTF-8 sequence.
 * Never reads past the terminating NUL (it is not a continuation byte). */
static uint32_t next_char(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0], min;
	int n;

	*p = s + 1;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf)
		n = 1, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3, c &= 0x07, min = 0x10000;
	else
		return REPLACEMENT;
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return REPLACEMENT;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return REPLACEMENT;
	*p = s + n + 1;
	return c;
}

/* C0 and C1 control characters and DEL. */
static bool is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

/* c as UTF-8 into out[4]; returns the length. */
static size_t encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static void put(FILE *f, uint32_t c)
{
	char b[4];

	fwrite(b, 1, encode(c, b), f);
}

static const unsigned char *start(const char *s)
{
	return (const unsigned char *)(s ? s : "");
}

/* HTML and XML take the same references; tab, newline and return as
 * numeric ones so an attribute value keeps them. */
static void markup(FILE *f, const char *s)
{
	for (const unsigned char *p = start(s); *p;) {
		uint32_t c = next_char(&p);

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		case '\t':
		case '\n':
		case '\r': fprintf(f, "&#%u;", (unsigned)c); break;
		default: put(f, is_control(c) || c == 0xfffe || c == 0xffff ? REPLACEMENT : c);
		}
	}
}

void kb_esc_html(FILE *f, const char *s)
{
	markup(f, s);
}

void kb_esc_xml(FILE *f, const char *s)
{
	markup(f, s);
}

void kb_esc_json(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = start(s); *p;) {
		uint32_t c = next_char(&p);

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", (char)c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", (unsigned)c);
		else
			put(f, c);
	}
	fputc('"', f);
}

void kb_esc_csv(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = start(s); *p;) {
		uint32_t c = next_char(&p);

		if (c == '"')
			fputs("\"\"", f);
		else
			put(f, is_control(c) && c != '\n' && c != '\t' ? REPLACEMENT : c);
	}
	fputc('"', f);
}

char *kb_esc_gp(char *buf, size_t len, const char *s)
{
	size_t o = 0;

	if (len < 3) {
		if (len)
			buf[0] = 0;
		return buf;
	}
	buf[o++] = '\'';
	for (const unsigned char *p = start(s); *p;) {
		uint32_t c = next_char(&p);
		char b[4];
		size_t n = c == '\'' ? 2 : encode(is_control(c) ? ' ' : c, b);

		if (o + n + 2 > len)
			break; /* room for the closing quote and the NUL */
		memcpy(buf + o, c == '\'' ? "''" : b, n);
		o += n;
	}
	buf[o++] = '\'';
	buf[o] = 0;
	return buf;
}

void kb_esc_gpdata(FILE *f, const char *s)
{
	bool lead = true; /* only spaces so far: a '#' here starts a comment */

	for (const unsigned char *p = start(s); *p;) {
		uint32_t c = next_char(&p);

		if (is_control(c))
			c = ' ';
		else if (c == '"')
			c = '\'';
		else if (c == '#' && lead)
			c = '?';
		lead &= c == ' ';
		put(f, c);
	}
}

void kb_esc_filename(char *buf, size_t len, const char *prefix, const char *name, unsigned idx)
{
	static const char safe[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
	size_t n = strlen(name);

	if (n && n < 64 && strspn(name, safe) == n)
		snprintf(buf, len, "%s-%s", prefix, name);
	else
		snprintf(buf, len, "%s+%u", prefix, idx);
}

/* fopencookie's write for kb_esc_term_stream: control characters as '?'. */
static ssize_t term_write(void *cookie, const char *buf, size_t n)
{
	FILE *out = cookie;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		fputc((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ? '?' : c, out);
	}
	return ferror(out) ? -1 : (ssize_t)n;
}

static int term_close(void *cookie)
{
	return fflush(cookie);
}

FILE *kb_esc_term_stream(FILE *out)
{
	static const cookie_io_functions_t io = {.write = term_write, .close = term_close};
	FILE *f = fopencookie(out, "w", io);

	return f ? f : out;
}
