/* The harness's writers for strings that are data (common/escape.c):
 * each output language, bytes that are not UTF-8, truncation. */
#include <stdlib.h>

#include "common/escape.h"
#include "unit.h"

/* What writer w makes of s. */
static char *out(void (*w)(FILE *, const char *), const char *s)
{
	static char *buf;
	size_t len = 0;
	FILE *f;

	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	w(f, s);
	fclose(f);
	return buf;
}

int main(void)
{
	char b[64], fn[64];

	CHECK(!strcmp(out(kb_esc_html, "<img src=x onerror='a'>&\""),
		      "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;"));
	CHECK(!strcmp(out(kb_esc_html, NULL), ""));
	/* not UTF-8, overlong, surrogate, control: U+FFFD; valid kept */
	CHECK(!strcmp(out(kb_esc_xml, "a\xff\xc0\xaf\xed\xa0\x80\x01\tz\xc3\xa9"),
		      "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		      "\xef\xbf\xbd&#9;z\xc3\xa9"));
	CHECK(
	    !strcmp(out(kb_esc_xml, "\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd")); /* cut at the end */
	CHECK(!strcmp(out(kb_esc_json, "a\"b\\c\n\x01\xff"),
		      "\"a\\\"b\\\\c\\u000a\\u0001\xef\xbf\xbd\""));
	CHECK(!strcmp(out(kb_esc_csv, "a,\"b\"\nc"), "\"a,\"\"b\"\"\nc\""));
	/* gnuplot: single quotes, '' for a quote, no newline, always closed */
	CHECK(!strcmp(kb_esc_gp(b, sizeof(b), "it's `id` @x\n"), "'it''s `id` @x '"));
	CHECK(!strcmp(kb_esc_gp(b, 6, "abcdef"), "'abc'"));
	CHECK(!strcmp(kb_esc_gp(b, 6, "a'bc"), "'a'''"));
	CHECK(!strcmp(kb_esc_gp(b, 7, "a'bc"), "'a''b'"));
	CHECK(!strcmp(kb_esc_gp(b, 3, "abc"), "''"));
	CHECK(!strcmp(out(kb_esc_gpdata, " #a\tb\"c#"), " ?a b'c#"));
	kb_esc_filename(fn, sizeof(fn), "dist", "cpuid_2-x", 3);
	CHECK(!strcmp(fn, "dist-cpuid_2-x"));
	kb_esc_filename(fn, sizeof(fn), "dist", "../../x", 3);
	CHECK(!strcmp(fn, "dist+3"));
	kb_esc_filename(fn, sizeof(fn), "dist", "", 4);
	CHECK(!strcmp(fn, "dist+4"));
	return unit_summary("escape");
}
