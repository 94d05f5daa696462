/*
 * The lab's QEMU and its kernel and initramfs (see lab.h): is a QEMU new
 * enough here, and build/lab/ built from images/lab/ by mklab when it is
 * missing or older than its recipe.
 */
#include "exec/lab.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common/proc.h"

#define QEMU_MIN_MAJOR 10 /* 7.2's TCG locked the lab kernel up under load */

const char *kb_lab_qemu_missing(void)
{
	static char why[256];
	char line[256] = "";
	int major = 0, minor = 0;
	FILE *p = popen(KB_LAB_QEMU " --version 2>/dev/null", "r");

	if (p) {
		if (!fgets(line, sizeof(line), p))
			line[0] = 0;
		pclose(p);
	}
	const char *v = strstr(line, "version ");

	if (!v || sscanf(v + 8, "%d.%d", &major, &minor) != 2) {
		snprintf(why, sizeof(why),
			 "%s is not installed: ci/install-deps installs it (Debian's "
			 "qemu-system-x86 from bookworm-backports)",
			 KB_LAB_QEMU);
		return why;
	}
	if (major < QEMU_MIN_MAJOR) {
		snprintf(why, sizeof(why),
			 "%s is version %d.%d; the lab needs %d or later (older TCG locked the "
			 "lab kernel up): ci/install-deps installs it from bookworm-backports",
			 KB_LAB_QEMU, major, minor, QEMU_MIN_MAJOR);
		return why;
	}
	return NULL;
}

static double mtime(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9;
}

int kb_lab_prepare(const struct kb_env *env, char *err, size_t errlen)
{
	static const char *const recipe[] = {"images/lab/init", "images/lab/mklab",
					     "images/lab/SHA256SUMS"};
	static const char *const outputs[] = {"build/lab/vmlinuz", "build/lab/initrd.cpio.gz"};
	char path[1300], cmd[2800];
	double oldest = 1e300, newest = 0;
	const char *why = kb_lab_qemu_missing();

	if (why) {
		snprintf(err, errlen, "lab: %s", why);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", env->root, outputs[i]);
		double t = mtime(path);

		oldest = t < oldest ? t : oldest;
	}
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", env->root, recipe[i]);
		double t = mtime(path);

		newest = t > newest ? t : newest;
	}
	if (oldest >= newest)
		return 0;
	fprintf(stderr, "kvmbench lab: building the lab kernel and initramfs (images/lab/mklab)\n");
	snprintf(cmd, sizeof(cmd), "%s/images/lab/mklab", env->root);
	snprintf(path, sizeof(path), "%s/build/lab", env->root);
	char *av[] = {cmd, path, NULL}, failed[256];
	int st = kb_child_run(av, 2, NULL, failed, sizeof(failed)); /* output: stderr */

	if (st < 0) {
		snprintf(err, errlen, "lab: %s", failed);
		return -1;
	}
	if (st != 0) {
		snprintf(err, errlen, "lab: images/lab/mklab failed (status %d): see above",
			 WIFEXITED(st) ? WEXITSTATUS(st) : st);
		return -1;
	}
	return 0;
}
