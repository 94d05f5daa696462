/*
 * QEMU-style option lists (see qopts.h).
 */
#include "qopts.h"

#include <string.h>

#include "common/util.h"

int kb_qopts_parse(struct kb_qopts *q, const char *opt, const char *s, const char *implied,
		   char *err, size_t errlen)
{
	char *p;

	memset(q, 0, sizeof(*q));
	q->opt = opt;
	if (strlen(s) >= sizeof(q->buf))
		return kb_errf(err, errlen, "%s: value longer than %zu bytes", opt,
			       sizeof(q->buf) - 1);
	strcpy(q->buf, s);
	p = q->buf;
	while (*p) {
		char *end = p + strcspn(p, ","), *eq;

		if (*end)
			*end++ = 0;
		eq = strchr(p, '=');
		if (q->n == KB_QOPTS_MAX)
			return kb_errf(err, errlen, "%s %s: more than %d parameters", opt, s,
				       KB_QOPTS_MAX);
		if (!*p)
			return kb_errf(err, errlen, "%s %s: empty parameter", opt, s);
		if (!eq && q->n == 0 && implied) {
			q->kv[q->n].key = implied;
			q->kv[q->n++].val = p;
		} else if (!eq || eq == p) {
			return kb_errf(err, errlen, "%s %s: '%s' is not key=value", opt, s, p);
		} else {
			*eq = 0;
			for (unsigned i = 0; i < q->n; i++)
				if (!strcmp(q->kv[i].key, p))
					return kb_errf(err, errlen, "%s %s: '%s' given twice", opt,
						       s, p);
			q->kv[q->n].key = p;
			q->kv[q->n++].val = eq + 1;
		}
		p = end;
	}
	if (s[0] && s[strlen(s) - 1] == ',')
		return kb_errf(err, errlen, "%s %s: trailing comma", opt, s);
	return 0;
}

const char *kb_qopts_get(struct kb_qopts *q, const char *key)
{
	for (unsigned i = 0; i < q->n; i++)
		if (!strcmp(q->kv[i].key, key)) {
			q->kv[i].used = true;
			return q->kv[i].val;
		}
	return NULL;
}

int kb_qopts_bool(struct kb_qopts *q, const char *key, bool dflt, bool *out, char *err,
		  size_t errlen)
{
	const char *v = kb_qopts_get(q, key);

	if (!v)
		*out = dflt;
	else if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false"))
		*out = false;
	else
		return kb_errf(err, errlen, "%s: %s=%s: expected on or off", q->opt, key, v);
	return 0;
}

int kb_qopts_check_used(const struct kb_qopts *q, char *err, size_t errlen)
{
	for (unsigned i = 0; i < q->n; i++)
		if (!q->kv[i].used)
			return kb_errf(err, errlen, "%s: unknown parameter '%s'", q->opt,
				       q->kv[i].key);
	return 0;
}
