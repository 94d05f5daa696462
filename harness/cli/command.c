/*
 * One command's command line, from its table (cli.h): getopt_long over its
 * own options only, its argument count, its --help.  Anything else is a
 * usage error: one line naming the command and what is wrong, a hint
 * (did you mean, or the command that takes the option) and exit status 2,
 * never the whole usage.  Option values are the handlers' to check.
 */
#include <assert.h>
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "cli/cli.h"
#include "common/escape.h"

#define MAX_OPTS 32
#define LONG_BASE 256 /* getopt_long returns LONG_BASE + i for opts[i] */

int kb_usage_error(const struct kb_command *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kvmbench %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; try 'kvmbench %s --help'\n", c->name);
	return c->usage_status ? c->usage_status : KB_EXIT_USAGE;
}

static size_t count_opts(const struct kb_command *c)
{
	size_t n = 0;

	while (c->opts && c->opts[n].name)
		n++;
	assert(n <= MAX_OPTS);
	return n;
}

/*
 * getopt_long's tables for c's n options, then -h/--help.  Arguments come
 * back in order as option 1 ("-"), so POSIXLY_CORRECT changes nothing; a
 * command with rest stops at its first argument ("+": lab -- CMD -x).
 */
static void getopt_tables(const struct kb_command *c, size_t n, struct option *lo, char *so)
{
	*so++ = c->rest ? '+' : '-';
	*so++ = ':'; /* a missing value returns ':', not '?' */
	for (size_t i = 0; i < n; i++) {
		const struct kb_option *o = &c->opts[i];

		assert(o->short_name != 'h' && o->help);
		lo[i] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
					LONG_BASE + (int)i};
		if (o->short_name) {
			*so++ = o->short_name;
			if (o->arg)
				*so++ = ':';
		}
	}
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n + 1] = (struct option){0, 0, 0, 0};
	*so++ = 'h';
	*so = 0;
}

/* The index in c->opts of what getopt_long returned (a short letter or
 * LONG_BASE + i), or -1. */
static int opt_index(const struct kb_command *c, size_t n, int ch)
{
	if (ch >= LONG_BASE && ch < LONG_BASE + (int)n)
		return ch - LONG_BASE;
	for (size_t i = 0; i < n; i++)
		if (c->opts[i].short_name && c->opts[i].short_name == ch)
			return (int)i;
	return -1;
}

/* Which commands take --name, as "gates takes" or "run, fetch take";
 * empty if none. */
static void takers(const char *name, char *out, size_t len)
{
	size_t at = 0, n = 0;

	out[0] = 0;
	for (size_t k = 0; kb_commands[k]; k++)
		for (size_t i = 0; kb_commands[k]->opts && kb_commands[k]->opts[i].name; i++)
			if (!strcmp(kb_commands[k]->opts[i].name, name) && at < len) {
				at += (size_t)snprintf(out + at, len - at, "%s%s", n ? ", " : "",
						       kb_commands[k]->name);
				n++;
			}
	if (n && at < len)
		snprintf(out + at, len - at, " %s", n > 1 ? "take" : "takes");
}

/* How many of c's n options begin with word, named in out ("--a or --b"). */
static size_t prefixed(const struct kb_command *c, size_t n, const char *word, char *out,
		       size_t len)
{
	size_t hits = 0, at = 0;

	out[0] = 0;
	for (size_t i = 0; i < n; i++)
		if (!strncmp(c->opts[i].name, word, strlen(word)) && at < len) {
			at += (size_t)snprintf(out + at, len - at, "%s--%s", hits ? " or " : "",
					       c->opts[i].name);
			hits++;
		}
	return hits;
}

/* An option c does not take: say whose it is, or what was meant. */
static int unknown_option(const struct kb_command *c, size_t n, const char *arg)
{
	const char *names[MAX_OPTS];
	char word[64], who[200];
	const char *close;

	snprintf(word, sizeof(word), "%.*s", (int)strcspn(arg, "="), arg);
	if (word[0] == '-' && word[1] == '-') {
		if (prefixed(c, n, word + 2, who, sizeof(who)) > 1)
			return kb_usage_error(c, "%s: ambiguous: %s", word, who);
		takers(word + 2, who, sizeof(who));
		if (who[0])
			return kb_usage_error(c, "%s: not an option of %s (%s it)", word, c->name,
					      who);
	}
	for (size_t i = 0; i < n; i++)
		names[i] = c->opts[i].name;
	close = kb_closest(word + strspn(word, "-"), names, n);
	if (close)
		return kb_usage_error(c, "%s: unknown option (did you mean --%s?)", word, close);
	return kb_usage_error(c, "%s: unknown option", word);
}

/* Too many or too few arguments for c: name the first extra or missing one. */
static int check_count(const struct kb_command *c, char **args, int nargs)
{
	const char *w = c->args ? c->args : "";
	int k = 0;

	if (c->max_args >= 0 && nargs > c->max_args)
		return kb_usage_error(c, "unexpected argument '%s'%s", args[c->max_args],
				      c->max_args ? "" : " (it takes none)");
	if (nargs >= c->min_args)
		return 0;
	for (; k < nargs && *w; k++) /* the nargs-th word of c->args */
		w += strcspn(w, " "), w += strspn(w, " ");
	return kb_usage_error(c, "missing %.*s (usage: kvmbench %s %s)", (int)strcspn(w, " "), w,
			      c->name, c->args);
}

/* An option's value: getopt takes the next word whatever it is, but "--"
 * ends the options (lab --mem -- CMD): the value is missing; and a next word
 * that is an option (run x.ini --db --dry-run) is a forgotten value, not a
 * file named --dry-run (which --db=--dry-run still gives). */
static int option(const struct kb_command *c, void *state, int i, const char *val, bool word)
{
	if (val && !strcmp(val, "--"))
		return kb_usage_error(c, "--%s: needs a value", c->opts[i].name);
	if (val && word && !strncmp(val, "--", 2))
		return kb_usage_error(c,
				      "--%s: needs a value, not the option %s (--%s=%s if meant)",
				      c->opts[i].name, val, c->opts[i].name, val);
	return c->option(state, i, val);
}

/*
 * Parse argv[1..argc) of c into state and args[] (room for argc).  0 with
 * *nargs, -1 after --help, or an exit status after one line on stderr.
 */
static int parse(const struct kb_command *c, void *state, int argc, char **argv, char **args,
		 int *nargs)
{
	struct option lo[MAX_OPTS + 2];
	char so[3 * MAX_OPTS + 4];
	size_t n = count_opts(c);
	int ch, i, rc;

	getopt_tables(c, n, lo, so);
	optind = 0; /* glibc: start afresh */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (ch == 1) {
			args[(*nargs)++] = optarg;
			continue;
		}
		if (ch == 'h') {
			kb_command_help(c, stdout);
			return -1;
		}
		i = opt_index(c, n, ch == ':' || ch == '?' ? optopt : ch);
		if (ch == ':' && optopt < LONG_BASE) /* as given: -o */
			return kb_usage_error(c, "-%c: needs a value", optopt);
		if (ch == ':')
			return kb_usage_error(c, "--%s: needs a value", c->opts[i].name);
		if (ch == '?' && (i >= 0 || optopt == 'h')) /* --flag=value */
			return kb_usage_error(c, "--%s: takes no value",
					      i >= 0 ? c->opts[i].name : "help");
		if (ch == '?' && optopt)
			return unknown_option(c, n, (char[]){'-', (char)optopt, 0});
		if (ch == '?')
			return unknown_option(c, n, argv[optind - 1]);
		if ((rc = option(c, state, i, optarg, optarg && optarg == argv[optind - 1])))
			return rc;
	}
	while (optind < argc)
		args[(*nargs)++] = argv[optind++];
	return check_count(c, args, *nargs);
}

int kb_command_main(const struct kb_command *c, const struct kb_env *env, const char *db, int argc,
		    char **argv)
{
	struct kb_cli cli = {.env = env, .cmd = c, .db = db};
	void *state = calloc(1, c->state_size ? c->state_size : 1);
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	int rc = 1;

	if (!state || !args) {
		fprintf(stderr, "kvmbench %s: out of memory\n", c->name);
		goto out;
	}
	if (c->init)
		c->init(state);
	cli.args = args;
	rc = parse(c, state, argc, argv, args, &cli.nargs);
	if (rc == 0)
		rc = c->run(state, &cli);
	else if (rc < 0) /* --help */
		rc = 0;
out:
	free(args);
	free(state);
	return rc;
}

/* "  -o, --out FILE" for opts[i], into buf; its length. */
static int option_label(const struct kb_option *o, char *buf, size_t len)
{
	char s[8] = "    ";

	if (o->short_name)
		snprintf(s, sizeof(s), "-%c, ", o->short_name);
	return snprintf(buf, len, "  %s--%s%s%s", s, o->name, o->arg ? " " : "",
			o->arg ? o->arg : "");
}

void kb_command_help(const struct kb_command *c, FILE *f)
{
	static const struct kb_option help = {"help", 'h', NULL, "this help"};
	size_t n = count_opts(c);
	char label[80];

	if (c->rest)
		fprintf(f, "usage: kvmbench %s [options] %s\n", c->name, c->args);
	else
		fprintf(f, "usage: kvmbench %s%s%s%s\n", c->name, c->args ? " " : "",
			c->args ? c->args : "", n ? " [options]" : "");
	fprintf(f, "\n%c%s.\n\noptions:\n", toupper((unsigned char)c->summary[0]), c->summary + 1);
	for (size_t i = 0; i <= n; i++) {
		const struct kb_option *o = i < n ? &c->opts[i] : &help;
		int w = option_label(o, label, sizeof(label));

		fprintf(f, "%s%*s%s%s\n", label, w < 26 ? 26 - w : 1, "", o->help,
			o->repeat ? " (repeatable)" : "");
	}
	if (c->help)
		fprintf(f, "\n%s", c->help);
}

/* Edit distance of a and b with adjacent transpositions (optimal string
 * alignment); 99 when either has 32 bytes or more. */
static unsigned distance(const char *a, const char *b)
{
	size_t m = strlen(a), n = strlen(b);
	unsigned d[32][32];

	if (m >= 32 || n >= 32)
		return 99;
	for (size_t i = 0; i <= m; i++)
		for (size_t j = 0; j <= n; j++) {
			if (!i || !j) {
				d[i][j] = (unsigned)(i + j);
				continue;
			}
			unsigned sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			unsigned del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;

			d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	return d[m][n];
}

const char *kb_closest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL, *prefix = NULL;
	unsigned best_d = strlen(word) <= 4 ? 2 : 3, prefixes = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned d = distance(word, names[i]);

		if (word[0] && !strncmp(names[i], word, strlen(word))) {
			prefix = names[i];
			prefixes++;
		}
		if (d < best_d) {
			best = names[i];
			best_d = d;
		}
	}
	return prefixes == 1 ? prefix : best;
}

int kb_option_uint(const char *who, const char *opt, const char *v, unsigned lo, unsigned hi,
		   unsigned *out)
{
	double d;

	if (kb_number_arg(who, opt, v, lo, hi, KB_NUM_INT, &d))
		return 1;
	*out = (unsigned)d;
	return 0;
}

int kb_option_choice(const char *who, const char *opt, const char *v, const char *const *choices)
{
	size_t n = 0;

	for (; choices[n]; n++)
		if (!strcmp(v, choices[n]))
			return 0;
	fprintf(stderr, "%s: %s %s: want ", who, opt, v);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s", choices[i], i + 2 < n ? ", " : i + 1 < n ? " or " : "\n");
	return 1;
}

int kb_only_option(void *state, int i, const char *val)
{
	assert(i == 0);
	(void)i; /* only with NDEBUG */
	*(const char **)state = val;
	return 0;
}

const struct kb_option kb_db_format_opts[] = {
    {"db", 0, "PATH", KB_DB_HELP},
    {"format", 0, "FMT", "text (default), json or csv (docs/reports.md)"},
    {0},
};

int kb_db_format_option(void *state, int i, const char *val)
{
	static const char *const formats[] = {"text", "json", "csv", NULL};
	struct kb_db_format *s = state;

	if (i == 0) {
		s->db = val;
		return 0;
	}
	s->format = val;
	return kb_option_choice("kvmbench", "--format", val, formats);
}

FILE *kb_text_out(const char *format)
{
	return !format || !strcmp(format, "text") ? kb_esc_term_stream(stdout) : stdout;
}

void kb_text_done(FILE *out)
{
	if (out != stdout)
		fclose(out);
	fflush(stdout);
}

int kb_option_threshold(const char *who, const char *v, double *out)
{
	return kb_number_arg(who, "--threshold", v, 0.0001, 10, KB_NUM_PERCENT, out) ? 1 : 0;
}
