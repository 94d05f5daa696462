/*
 * kvmbench images: the manifest's images, each cached, missing or corrupt
 * (a wrong hash); and the manifest loading fetch shares.
 */
#include <string.h>

#include "cli/cli.h"
#include "images/fetch.h"
#include "images/manifest.h"

struct images_state {
	const char *manifest;
	struct kb_manifest m;
};

static const struct kb_option images_opts[] = {
    {"manifest", 0, "FILE", "the manifest (default images/manifest.ini)"},
    {0},
};

int kb_images_open(const struct kb_cli *cli, const char *manifest, struct kb_manifest *m,
		   struct kb_fetch_opts *fo)
{
	char path[1200], err[2048];

	snprintf(path, sizeof(path), "%s", manifest ? manifest : "");
	if (!manifest)
		snprintf(path, sizeof(path), "%s/images/manifest.ini", cli->env->root);
	if (kb_manifest_load(path, m, err, sizeof(err))) {
		fprintf(stderr, "kvmbench: %s\n", err);
		return 1;
	}
	for (int i = 0; i < cli->nargs; i++)
		if (!kb_manifest_find(m, cli->args[i])) {
			fprintf(stderr, "kvmbench: %s: no image '%s'\n", path, cli->args[i]);
			return 1;
		}
	if (kb_fetch_defaults(fo, cli->env->root, err, sizeof(err))) {
		fprintf(stderr, "kvmbench: %s\n", err);
		return 1;
	}
	return 0;
}

static int images_option(void *state, int i, const char *v)
{
	struct images_state *s = state;

	(void)i;
	s->manifest = v;
	return 0;
}

static int images_run(void *state, const struct kb_cli *cli)
{
	static const char *const word[] = {"cached", "missing", "corrupt"};
	struct images_state *s = state;
	struct kb_fetch_opts fo;
	char path[1300];

	if (kb_images_open(cli, s->manifest, &s->m, &fo))
		return 1;
	for (unsigned i = 0; i < s->m.n; i++) {
		const struct kb_image_entry *e = &s->m.img[i];

		printf("%-24s %-7s %-8s %s\n", e->name, e->kind,
		       word[kb_image_state(e, fo.cache, path, sizeof(path))],
		       e->url[0] ? e->url : e->apt);
	}
	return 0;
}

const struct kb_command kb_cmd_images = {
    .name = "images",
    .summary = "the manifest's guest images: cached, missing or corrupt",
    .max_args = 0,
    .opts = images_opts,
    .state_size = sizeof(struct images_state),
    .option = images_option,
    .run = images_run,
    .help = "The cache is images/cache (KVMBENCH_CACHE), one file per sha256\n"
	    "(docs/images.md); kvmbench fetch fills it.\n",
};
