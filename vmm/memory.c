/*
 * Guest RAM allocation and its KVM memory slots.  The backing page size is
 * part of what a paging benchmark measures (2 MiB host pages let EPT/NPT
 * use large mappings), so it is recorded.  By default (-mem-thp auto) RAM
 * is backed by transparent huge pages where the host's THP mode allows it,
 * and anonymous RAM is aligned to 2 MiB so guest-physical 2 MiB frames can
 * be host huge pages: with 4 KiB backing a memory-bound guest ran 1.5x
 * slower than under QEMU (which does the same) in the lab.
 */
#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "kvmbench/abi.h"
#include "common/util.h"

#define HUGETLBFS_MAGIC 0x958458f6

static int open_hugetlbfs(struct kb_mem *m, const char *dir, char *err, size_t errlen)
{
	struct statfs sfs;
	char path[4096];

	if (statfs(dir, &sfs))
		return kb_errf(err, errlen, "-mem-path %s: %s", dir, strerror(errno));
	if ((unsigned long)sfs.f_type != HUGETLBFS_MAGIC)
		return kb_errf(err, errlen, "-mem-path %s: not a hugetlbfs mount", dir);
	m->page_size = (uint64_t)sfs.f_bsize;
	if (m->size % m->page_size)
		return kb_errf(err, errlen,
			       "-m: %llu bytes is not a multiple of the %llu-byte huge page",
			       (unsigned long long)m->size, (unsigned long long)m->page_size);
	snprintf(path, sizeof(path), "%s/kvmbench-XXXXXX", dir);
	m->fd = mkstemp(path);
	if (m->fd < 0)
		return kb_errf(err, errlen, "-mem-path %s: %s", dir, strerror(errno));
	unlink(path);
	if (ftruncate(m->fd, (off_t)m->size))
		return kb_errf(err, errlen, "-mem-path %s: cannot size %llu bytes: %s", dir,
			       (unsigned long long)m->size, strerror(errno));
	snprintf(m->backing, sizeof(m->backing), "hugetlbfs");
	return 0;
}

/* The host's THP mode lets an madvise(MADV_HUGEPAGE) region have huge pages. */
static bool host_thp_allowed(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, "[always]") || strstr(buf, "[madvise]");
}

/* mmap guest RAM; anonymous RAM starts on a 2 MiB boundary.  0 or -1. */
static int map_ram(struct kb_mem *m, int flags)
{
	const uint64_t huge = 2 << 20;
	uint64_t len = m->fd < 0 ? m->size + huge : m->size;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, m->fd, 0);

	if (p == MAP_FAILED)
		return -1;
	if (m->fd < 0) {
		uint8_t *a = (uint8_t *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));

		if (a > p)
			munmap(p, (size_t)(a - p));
		if (a + m->size < p + len)
			munmap(a + m->size, (size_t)(p + len - (a + m->size)));
		p = a;
	}
	m->host = p;
	return 0;
}

int kb_mem_init(struct kb_mem *m, const struct kb_config *cfg, char *err, size_t errlen)
{
	int flags = MAP_NORESERVE;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->size = cfg->mem_size;
	m->low = m->size < KB_MMIO_HOLE_START ? m->size : KB_MMIO_HOLE_START;
	m->high = m->size - m->low;
	m->page_size = 4096;
	snprintf(m->backing, sizeof(m->backing), "anonymous");
	if (cfg->mem_path && open_hugetlbfs(m, cfg->mem_path, err, errlen))
		goto fail;
	flags |= m->fd >= 0 ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS;
	if (cfg->mem_prealloc)
		flags |= MAP_POPULATE;
	if (map_ram(m, flags)) {
		kb_errf(err, errlen, "cannot map %llu MiB of guest RAM: %s",
			(unsigned long long)(m->size >> 20), strerror(errno));
		goto fail;
	}
	if (cfg->thp == KB_THP_AUTO && m->fd < 0 && host_thp_allowed() &&
	    madvise(m->host, m->size, MADV_HUGEPAGE) == 0) {
		m->page_size = 2 << 20;
		snprintf(m->backing, sizeof(m->backing), "anonymous+thp");
	} else if (cfg->thp == KB_THP_ON) {
		if (madvise(m->host, m->size, MADV_HUGEPAGE)) {
			kb_errf(err, errlen,
				"-mem-thp on: madvise(MADV_HUGEPAGE) failed: %s "
				"(is THP disabled in /sys/kernel/mm/transparent_hugepage?)",
				strerror(errno));
			goto fail;
		}
		m->page_size = 2 << 20;
		snprintf(m->backing, sizeof(m->backing), "anonymous+thp");
	} else if (m->fd < 0) {
		madvise(m->host, m->size, MADV_NOHUGEPAGE);
	}
	return 0;
fail:
	kb_mem_destroy(m);
	return -1;
}

int kb_mem_register(struct kb_mem *m, int vm_fd, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = m->low,
	    .userspace_addr = (uintptr_t)m->host,
	};

	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		return kb_errf(err, errlen, "KVM_SET_USER_MEMORY_REGION (low RAM): %s",
			       strerror(errno));
	if (!m->high)
		return 0;
	r.slot = 1;
	r.guest_phys_addr = KB_HIGH_RAM_START;
	r.memory_size = m->high;
	r.userspace_addr = (uintptr_t)(m->host + m->low);
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		return kb_errf(err, errlen, "KVM_SET_USER_MEMORY_REGION (high RAM): %s",
			       strerror(errno));
	return 0;
}

void *kb_mem_gpa(const struct kb_mem *m, uint64_t gpa, uint64_t len)
{
	if (kb_range_ok(gpa, len, 0, m->low))
		return m->host + gpa;
	if (kb_range_ok(gpa, len, KB_HIGH_RAM_START, m->high))
		return m->host + m->low + (gpa - KB_HIGH_RAM_START);
	return NULL;
}

uint64_t kb_mem_resident(const struct kb_mem *m)
{
	size_t pages = m->size / 4096, chunk = 1 << 16;
	unsigned char *vec = malloc(chunk);
	uint64_t n = 0;

	if (!vec)
		return 0;
	for (size_t p = 0; p < pages; p += chunk) {
		size_t cnt = pages - p < chunk ? pages - p : chunk;

		if (mincore(m->host + p * 4096, cnt * 4096, vec))
			break;
		for (size_t i = 0; i < cnt; i++)
			n += vec[i] & 1;
	}
	free(vec);
	return n * 4096;
}

void kb_mem_destroy(struct kb_mem *m)
{
	if (m->host)
		munmap(m->host, m->size);
	if (m->fd >= 0)
		close(m->fd);
	m->host = NULL;
	m->fd = -1;
}
