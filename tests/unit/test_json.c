/* The JSON writer: nesting, escaping, numbers, misuse detection. */
#include <math.h>
#include <stdlib.h>

#include "common/json.h"
#include "unit.h"

static char *render(void (*fn)(struct kb_json *), int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct kb_json j;

	kb_json_init(&j, f);
	fn(&j);
	*rc = kb_json_finish(&j);
	fclose(f);
	return buf;
}

static void doc(struct kb_json *j)
{
	kb_json_object(j, NULL);
	kb_json_u64(j, "n", 18446744073709551615ull);
	kb_json_i64(j, "neg", -5);
	kb_json_dbl(j, "pi", 3.25);
	kb_json_dbl(j, "nan", NAN);
	kb_json_bool(j, "t", true);
	kb_json_str(j, "s", "a\"b\\c\n\x01\xff");
	kb_json_str(j, "null", NULL);
	kb_json_array(j, "empty");
	kb_json_end(j, ']');
	kb_json_array(j, "list");
	kb_json_u64(j, NULL, 1);
	kb_json_object(j, NULL);
	kb_json_end(j, '}');
	kb_json_end(j, ']');
	kb_json_end(j, '}');
}

static void unbalanced(struct kb_json *j)
{
	kb_json_object(j, NULL);
	kb_json_array(j, "x");
}

static void two_docs(struct kb_json *j)
{
	kb_json_u64(j, NULL, 1);
	kb_json_u64(j, NULL, 2);
}

static void too_deep(struct kb_json *j)
{
	for (int i = 0; i < 40; i++)
		kb_json_array(j, NULL);
	for (int i = 0; i < 40; i++)
		kb_json_end(j, ']');
}

int main(void)
{
	int rc;
	char *s = render(doc, &rc);

	CHECK(rc == 0);
	CHECK(strstr(s, "\"n\": 18446744073709551615") != NULL);
	CHECK(strstr(s, "\"neg\": -5") != NULL);
	CHECK(strstr(s, "\"pi\": 3.25") != NULL);
	CHECK(strstr(s, "\"nan\": null") != NULL);
	CHECK(strstr(s, "\"t\": true") != NULL);
	CHECK(strstr(s, "\"s\": \"a\\\"b\\\\c\\n\\u0001\\u00ff\"") != NULL);
	CHECK(strstr(s, "\"null\": null") != NULL);
	CHECK(strstr(s, "\"empty\": []") != NULL);
	CHECK(strstr(s, "{}") != NULL);
	CHECK(s[0] == '{' && s[strlen(s) - 2] == '}');
	free(s);
	s = render(unbalanced, &rc);
	CHECK(rc == -1);
	free(s);
	s = render(two_docs, &rc);
	CHECK(rc == -1);
	free(s);
	s = render(too_deep, &rc);
	CHECK(rc == -1);
	free(s);
	return unit_summary("json");
}
