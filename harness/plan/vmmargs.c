/*
 * A point's VMM command line (see vmmargs.h).
 */
#include "plan/vmmargs.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "plan/axes.h"

const char *kb_root_path(const char *root, const char *p, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s", p[0] == '/' ? "" : root, p[0] == '/' ? "" : "/", p);
	return out;
}

/* The run's own options: what it is, where its files go. */
static void run_args(const struct kb_point *p, const struct kb_vmm_run *r, struct kb_argv *a)
{
	char path[1400];

	kb_argv_add(a, "%s", r->vmm);
	kb_argv_add(a, "-name");
	kb_argv_add(a, "%s", p->key);
	kb_argv_add(a, "-kernel");
	if (strchr(p->wl->guest, '/'))
		kb_argv_add(a, "%s", p->wl->guest);
	else
		kb_argv_add(a, "%s/%s.elf", r->guest_dir, p->wl->guest);
	kb_argv_add(a, "-append");
	kb_argv_add(a, "%s", p->cmdline);
	kb_argv_add(a, "-serial");
	kb_argv_add(a, "file:%s/console.log", r->dir);
	kb_argv_add(a, "-serial-cap");
	kb_argv_add(a, "%" PRIu64, r->serial_cap);
	kb_argv_add(a, "-stats");
	kb_argv_add(a, "%s/stats.json", r->dir);
	kb_argv_add(a, "-timeout");
	kb_argv_add(a, "%g", r->timeout);
	if (r->runas) {
		kb_argv_add(a, "-runas");
		kb_argv_add(a, "%s", r->runas);
	}
	if (p->wl->until[0]) {
		kb_argv_add(a, "-until");
		kb_argv_add(a, "%s", p->wl->until);
	}
	if (p->wl->initrd[0]) {
		kb_argv_add(a, "-initrd");
		kb_argv_add(a, "%s", kb_root_path(r->root, p->wl->initrd, path, sizeof(path)));
	}
}

int kb_vmm_argv(const struct kb_point *p, const struct kb_vmm_run *r, struct kb_argv *a, char *err,
		size_t errlen)
{
	run_args(p, r, a);
	for (int x = 0; x < KB_AX_COUNT; x++)
		if (kb_axes[x].vmm_args && kb_axes[x].vmm_args(p, r->dir, a, err, errlen))
			return -1;
	kb_argv_add_words(a, r->extra ? r->extra : ""); /* outside the point keys */
	if (a->full)
		return kb_errf(err, errlen,
			       "the VMM's command line is over %d arguments or %zu bytes (vmm_args "
			       "and --vmm-args)",
			       KB_ARGV_MAX, sizeof(a->buf));
	return 0;
}

void kb_vmm_cleanup(const char *dir)
{
	for (int x = 0; x < KB_AX_COUNT; x++)
		if (kb_axes[x].cleanup)
			kb_axes[x].cleanup(dir);
}
