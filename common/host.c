/*
 * Host detection (see host.h).  The paging mode comes from the KVM vendor
 * module's parameters: kvm_intel.ept, kvm_amd.npt; kvm_pvm has none and
 * always uses shadow paging.
 */
#include "common/host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void cpuinfo(struct kb_host *h)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!v)
			continue;
		v += 2;
		v[strcspn(v, "\n")] = 0;
		if (!strncmp(line, "vendor_id", 9))
			snprintf(h->cpu_vendor, sizeof(h->cpu_vendor), "%s", v);
		else if (!strncmp(line, "model name", 10)) {
			snprintf(h->cpu_model, sizeof(h->cpu_model), "%s", v);
			break;
		}
	}
	fclose(f);
}

/* "always [madvise] never" -> "madvise" */
static void thp_mode(struct kb_host *h)
{
	char buf[128], *a, *b;

	if (read_line("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)))
		return;
	a = strchr(buf, '[');
	b = a ? strchr(a, ']') : NULL;
	if (a && b)
		snprintf(h->thp, sizeof(h->thp), "%.*s", (int)(b - a - 1), a + 1);
}

static void kvm_flavour(struct kb_host *h)
{
	char v[16] = "";

	if (exists("/sys/module/kvm_pvm")) {
		snprintf(h->kvm_module, sizeof(h->kvm_module), "kvm_pvm");
		snprintf(h->paging, sizeof(h->paging), "shadow");
		h->pvm = true;
	} else if (exists("/sys/module/kvm_intel")) {
		snprintf(h->kvm_module, sizeof(h->kvm_module), "kvm_intel");
		read_line("/sys/module/kvm_intel/parameters/ept", v, sizeof(v));
		snprintf(h->paging, sizeof(h->paging), "%s",
			 v[0] == 'Y' || v[0] == '1' ? "ept"
			 : v[0]			    ? "shadow"
						    : "unknown");
	} else if (exists("/sys/module/kvm_amd")) {
		snprintf(h->kvm_module, sizeof(h->kvm_module), "kvm_amd");
		read_line("/sys/module/kvm_amd/parameters/npt", v, sizeof(v));
		snprintf(h->paging, sizeof(h->paging), "%s",
			 v[0] == 'Y' || v[0] == '1' ? "npt"
			 : v[0]			    ? "shadow"
						    : "unknown");
	}
	if (read_line("/sys/module/kvm/parameters/tdp_mmu", v, sizeof(v)) == 0)
		snprintf(h->tdp_mmu, sizeof(h->tdp_mmu), "%.3s", v);
}

/* True when this kernel runs inside the kvmbench lab (images/lab/init). */
static bool in_lab(void)
{
	char buf[4096];
	FILE *f = fopen("/proc/cmdline", "re");
	bool lab = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		lab = strstr(buf, "kblab.npt=") != NULL;
	fclose(f);
	return lab;
}

const char *kb_kvm_unusable(void)
{
	static char why[160];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	snprintf(why, sizeof(why), "%s",
		 errno == ENOENT   ? "/dev/kvm does not exist on this host (no KVM module bound)"
		 : errno == EACCES ? "no read/write permission on /dev/kvm"
				   : strerror(errno));
	return why;
}

void kb_host_detect(struct kb_host *h)
{
	struct utsname u;

	memset(h, 0, sizeof(*h));
	snprintf(h->cpu_vendor, sizeof(h->cpu_vendor), "unknown");
	snprintf(h->cpu_model, sizeof(h->cpu_model), "unknown");
	snprintf(h->kernel, sizeof(h->kernel), "unknown");
	snprintf(h->kvm_module, sizeof(h->kvm_module), "unknown");
	snprintf(h->paging, sizeof(h->paging), "unknown");
	snprintf(h->thp, sizeof(h->thp), "unknown");
	cpuinfo(h);
	if (uname(&u) == 0)
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
	kvm_flavour(h);
	thp_mode(h);
	snprintf(h->kind, sizeof(h->kind), "%s",
		 h->pvm				       ? "pvm"
		 : !strcmp(h->kvm_module, "kvm_intel") ? "vmx"
		 : !strcmp(h->kvm_module, "kvm_amd")   ? (in_lab() ? "lab" : "svm")
						       : "none");
	h->emulated = !strcmp(h->kind, "lab");
	h->online_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
}
