/*
 * kvmbench fetch [IMAGE...]: bring the named images (or all the manifest
 * lists) into the verified cache.
 */
#include <string.h>

#include "cli/cli.h"
#include "images/fetch.h"
#include "images/manifest.h"

enum { O_MANIFEST, O_OFFLINE, O_END };

struct fetch_state {
	const char *manifest;
	bool offline;
	struct kb_manifest m;
};

static const struct kb_option fetch_opts[] = {
    [O_MANIFEST] = {"manifest", 0, "FILE", "the manifest (default images/manifest.ini)"},
    [O_OFFLINE] = {"offline", 0, NULL, "no download: only check what the cache holds"},
    [O_END] = {0},
};

static int fetch_option(void *state, int i, const char *v)
{
	struct fetch_state *s = state;

	if (i == O_MANIFEST)
		s->manifest = v;
	else
		s->offline = true;
	return 0;
}

/* Is e one of the images named on the command line (all when none is)? */
static bool wanted(const struct kb_cli *cli, const struct kb_image_entry *e)
{
	for (int k = 0; k < cli->nargs; k++)
		if (!strcmp(cli->args[k], e->name))
			return true;
	return !cli->nargs;
}

static int fetch_run(void *state, const struct kb_cli *cli)
{
	struct fetch_state *s = state;
	struct kb_fetch_opts fo;
	char path[1300], err[2048];
	int failed = 0;

	if (kb_images_open(cli, s->manifest, &s->m, &fo))
		return 1;
	fo.offline = s->offline;
	for (unsigned i = 0; i < s->m.n; i++) {
		const struct kb_image_entry *e = &s->m.img[i];

		if (!wanted(cli, e))
			continue;
		if (kb_fetch_image(e, &fo, path, sizeof(path), err, sizeof(err))) {
			fprintf(stderr, "kvmbench: %s\n", err);
			failed++;
		} else {
			printf("%s %s\n", e->name, path);
		}
	}
	return failed ? 1 : 0;
}

const struct kb_command kb_cmd_fetch = {
    .name = "fetch",
    .summary = "download guest images into the verified cache",
    .args = "[IMAGE...]",
    .min_args = 0,
    .max_args = -1,
    .opts = fetch_opts,
    .state_size = sizeof(struct fetch_state),
    .option = fetch_option,
    .run = fetch_run,
    .help = "Without IMAGE: every image of the manifest.  Each is checked against its\n"
	    "sha256; a download is resumed after an interruption (docs/images.md).\n",
};
