/*
 * Loading and checking a VMM's stats JSON (see statsfile.h).  A NaN would
 * compare as neither better nor worse and hide a regression; a name with a
 * quote or a newline would break the gnuplot scripts and pages it reaches.
 */
#include "store/statsfile.h"

#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvmbench/abi.h"
#include "common/util.h"
#include "common/proc.h"

/* A metric value or an exit count: a JSON number, finite, not negative. */
static bool good_number(json_object *v)
{
	double d;

	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return false;
	d = json_object_get_double(v);
	return isfinite(d) && d >= 0;
}

int kb_stats_check_numbers(json_object *stats, char *why, size_t whylen)
{
	json_object *arr = kb_stats_get(stats, "metrics"), *ex = kb_stats_get(stats, "exits"),
		    *v = NULL;
	const char *what = NULL;
	char where[96];

	for (size_t i = 0; !what && i < kb_stats_len(arr); i++) {
		json_object *m = json_object_array_get_idx(arr, i);

		v = kb_stats_get(m, "value");
		snprintf(where, sizeof(where), "metric '%.48s'",
			 kb_stats_str(m, "name") ? kb_stats_str(m, "name") : "?");
		what = good_number(v) ? NULL : where;
	}
	if (!what && ex && !good_number(v = kb_stats_get(ex, "total")))
		what = "exits.total";
	if (!what && json_object_is_type(kb_stats_get(ex, "by_reason"), json_type_object)) {
		json_object_object_foreach(kb_stats_get(ex, "by_reason"), key, val)
		{
			if (what || good_number(val))
				continue;
			snprintf(where, sizeof(where), "exits.by_reason.%.48s", key);
			v = val, what = where;
		}
	}
	arr = kb_stats_get(ex, "by_region");
	for (size_t i = 0; !what && i < kb_stats_len(arr); i++) {
		snprintf(where, sizeof(where), "exits.by_region[%zu].count", i);
		v = kb_stats_get(json_object_array_get_idx(arr, i), "count");
		what = good_number(v) ? NULL : where;
	}
	if (!what)
		return 0;
	snprintf(why, whylen, "%s is %.40s, not a finite number >= 0", what,
		 v ? json_object_to_json_string(v) : "null or missing");
	return -1;
}

/* Exit regions, KVM statistics and devices: longer than a guest's names. */
#define OTHER_NAME_MAX 64

/*
 * s is a name under the rule of util.h (or, with optional, empty); else
 * why says which field, quoting s with other characters as '?'.
 */
static bool name_ok(const char *s, size_t max, bool optional, const char *field, char *why,
		    size_t whylen)
{
	char shown[52];

	if (s && ((optional && !*s) || kb_name_ok(s, max)))
		return true;
	if (!s) {
		snprintf(why, whylen, "%s missing", field);
		return false;
	}
	kb_name_shown(shown, sizeof(shown), s, strlen(s));
	snprintf(why, whylen, "%s \"%s\": want %s%zu characters of %s", field, shown,
		 optional ? "0-" : "1-", max - 1, KB_NAME_CHARS);
	return false;
}

/* The key of each element of an array at o (with optional, absent or
 * empty is fine), or each key of an object at o. */
static bool names_ok(json_object *o, const char *key, size_t max, bool optional, const char *field,
		     char *why, size_t whylen)
{
	char f[96];

	if (o && json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v)
		{
			(void)v;
			if (!name_ok(k, max, false, field, why, whylen))
				return false;
		}
	}
	for (size_t i = 0; i < kb_stats_len(o); i++) {
		json_object *e = json_object_array_get_idx(o, i);

		snprintf(f, sizeof(f), "%s[%zu].%s", field, i, key);
		if ((optional && !kb_stats_get(e, key)) ||
		    name_ok(kb_stats_str(e, key), max, optional, f, why, whylen))
			continue;
		return false;
	}
	return true;
}

/*
 * Every name the stats file gives: a file from elsewhere can hold
 * anything, and these reach gnuplot scripts and web pages.
 */
static bool stats_names_ok(json_object *st, char *why, size_t whylen)
{
	json_object *ex = kb_stats_get(st, "exits"), *ks = kb_stats_get(st, "kvm_stats");

	return names_ok(kb_stats_get(st, "metrics"), "name", KB_BENCH_NAME_MAX, false, "metrics",
			why, whylen) &&
	       names_ok(kb_stats_get(st, "metrics"), "unit", KB_BENCH_UNIT_MAX, true, "metrics",
			why, whylen) &&
	       names_ok(kb_stats_get(st, "marks"), "name", KB_BENCH_NAME_MAX, false, "marks", why,
			whylen) &&
	       names_ok(kb_stats_get(ex, "by_reason"), NULL, OTHER_NAME_MAX, false,
			"exits.by_reason", why, whylen) &&
	       names_ok(kb_stats_get(ex, "by_region"), "name", OTHER_NAME_MAX, false,
			"exits.by_region", why, whylen) &&
	       names_ok(kb_stats_get(ex, "by_region"), "space", OTHER_NAME_MAX, true,
			"exits.by_region", why, whylen) &&
	       names_ok(kb_stats_get(ks, "vm"), NULL, OTHER_NAME_MAX, false, "kvm_stats.vm", why,
			whylen) &&
	       names_ok(kb_stats_get(ks, "vcpu"), NULL, OTHER_NAME_MAX, false, "kvm_stats.vcpu",
			why, whylen) &&
	       names_ok(kb_stats_get(st, "devices"), "name", OTHER_NAME_MAX, false, "devices", why,
			whylen);
}

json_object *kb_stats_load(const char *path, char *why, size_t whylen)
{
	char bad[256];
	char e[400];
	int fd = kb_open_regular(path, O_RDONLY, e, sizeof(e)); /* a FIFO would hang us */
	json_object *o = fd < 0 ? NULL : json_object_from_fd(fd);

	if (fd >= 0)
		close(fd);
	if (fd < 0) {
		snprintf(why, whylen, "stats JSON unreadable: %s", e);
		return NULL;
	}
	if (!o) {
		snprintf(why, whylen, "stats JSON %s unreadable: %s", path,
			 json_util_get_last_err() ? json_util_get_last_err() : "parse error");
		why[strcspn(why, "\n")] = 0;
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    kb_stats_int(o, "schema", 0) != KB_STATS_SCHEMA) {
		snprintf(why, whylen, "stats JSON %s: not a schema %d stats object", path,
			 KB_STATS_SCHEMA);
		json_object_put(o);
		return NULL;
	}
	if (!stats_names_ok(o, bad, sizeof(bad))) {
		snprintf(why, whylen, "stats JSON %s: %s", path, bad);
		json_object_put(o);
		return NULL;
	}
	return o;
}
