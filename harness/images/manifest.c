/*
 * Manifest parsing, through the same INI reader as scenarios and gates
 * (inifile.h), so that errors name file:line.
 */
#include "images/manifest.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/inifile.h"
#include "common/size.h"

struct mparse {
	struct kb_manifest *m;
	struct kb_ini ini;
};

#define merr(p, ...) kb_ini_err(&(p)->ini, __VA_ARGS__)

const struct kb_image_entry *kb_manifest_find(const struct kb_manifest *m, const char *name)
{
	for (unsigned i = 0; i < m->n; i++)
		if (!strcmp(m->img[i].name, name))
			return &m->img[i];
	return NULL;
}

/* path = names a file inside the package's directory: relative, with no
 * ".." component (fetch.c also refuses a match that leaves it through a
 * symbolic link in the package). */
static bool path_inside(const char *p)
{
	if (!*p || *p == '/')
		return false;
	for (const char *c = p; *c; c += strcspn(c, "/"), c += *c == '/') {
		size_t n = strcspn(c, "/");

		if (n == 2 && !strncmp(c, "..", 2))
			return false;
	}
	return true;
}

/* apt = PACKAGE[=VERSION] becomes an argument of apt-get: Debian's
 * characters only, and no leading '-' that apt-get would read as an option. */
static bool apt_spec_ok(const char *v)
{
	return *v && *v != '-' &&
	       strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-~:=") ==
		   strlen(v);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct mparse *p = user;
	struct kb_image_entry *e;

	if (p->ini.failed)
		return 0;
	if (strncmp(section, "image.", 6) || !section[6] || strlen(section + 6) >= sizeof(e->name))
		return merr(p, "unknown section [%s] (want [image.NAME])", section);
	e = (struct kb_image_entry *)kb_manifest_find(p->m, section + 6);
	if (!e) {
		if (p->m->n == KB_MAX_IMAGES)
			return merr(p, "more than %d images", KB_MAX_IMAGES);
		e = &p->m->img[p->m->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", section + 6);
		e->line = p->ini.line;
	}
	if (!strcmp(name, "kind")) {
		if (strcmp(value, "kernel") && strcmp(value, "initrd") && strcmp(value, "disk") &&
		    strcmp(value, "guest"))
			return merr(p, "kind: '%s' (want kernel, initrd, disk or guest)", value);
		snprintf(e->kind, sizeof(e->kind), "%s", value);
	} else if (!strcmp(name, "sha256")) {
		if (strlen(value) != 64 || strspn(value, "0123456789abcdef") != 64)
			return merr(p, "sha256: want 64 lower-case hex digits");
		snprintf(e->sha256, sizeof(e->sha256), "%s", value);
	} else if (!strcmp(name, "url")) {
		if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8) &&
		    strncmp(value, "file://", 7))
			return merr(p, "url: '%s' (want http://, https:// or file://)", value);
		snprintf(e->url, sizeof(e->url), "%s", value);
	} else if (!strcmp(name, "apt")) {
		if (!apt_spec_ok(value) || strlen(value) >= sizeof(e->apt))
			return merr(p, "apt: '%s' (want PACKAGE or PACKAGE=VERSION)", value);
		snprintf(e->apt, sizeof(e->apt), "%s", value);
	} else if (!strcmp(name, "path")) {
		if (!path_inside(value) || strlen(value) >= sizeof(e->path))
			return merr(p,
				    "path: '%s' (want a relative path inside the package, without "
				    "'..')",
				    value);
		snprintf(e->path, sizeof(e->path), "%s", value);
	} else if (!strcmp(name, "max_size")) {
		if (kb_bytes_parse(value, &e->max_size) || !e->max_size)
			return merr(p, "max_size: '%s' (want bytes, or a size like 64M)", value);
	} else {
		return merr(p, "unknown key '%s' in [image.%s]", name, e->name);
	}
	return 1;
}

int kb_manifest_load(const char *path, struct kb_manifest *m, char *err, size_t errlen)
{
	struct mparse p = {.m = m, .ini = {.err = err, .errlen = errlen}};

	memset(m, 0, sizeof(*m));
	snprintf(m->path, sizeof(m->path), "%s", path);
	if (kb_ini_parse(&p.ini, m->path, handler, &p))
		return -1;
	for (unsigned i = 0; !p.ini.failed && i < m->n; i++) {
		const struct kb_image_entry *e = &m->img[i];

		p.ini.line = e->line;
		if (!e->sha256[0])
			merr(&p, "image %s: no sha256", e->name);
		else if (!e->url[0] == !e->apt[0])
			merr(&p, "image %s: give exactly one of url and apt", e->name);
		else if (e->apt[0] && !e->path[0])
			merr(&p, "image %s: apt needs path = (the file inside the package)",
			     e->name);
		else if (!e->kind[0])
			merr(&p, "image %s: no kind", e->name);
	}
	return p.ini.failed ? -1 : 0;
}
