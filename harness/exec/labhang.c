/* What a stuck lab's vCPUs were doing (see labhang.h). */
#include "exec/labhang.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"

#define PROMPT "(qemu) "

int kb_labhang_socket(char *path, size_t len)
{
	char dir[] = "/tmp/kvmbench-lab-XXXXXX"; /* 0700: only we can reach QEMU's monitor */

	path[0] = 0;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, len, "%s/monitor", dir);
	return 0;
}

void kb_labhang_socket_done(char *path)
{
	char *slash = strrchr(path, '/');

	if (!path[0] || !slash)
		return;
	unlink(path);
	*slash = 0;
	rmdir(path);
	path[0] = 0;
}

/* Read from fd into buf (from *len on) until the prompts-th "(qemu) " or
 * the deadline; NULL when the prompt came, else why not. */
static const char *read_until_prompt(int fd, char *buf, size_t cap, size_t *len, int prompts,
				     long long deadline_ns)
{
	for (;;) {
		int seen = 0;

		for (const char *p = buf; (p = strstr(p, PROMPT)); p += sizeof(PROMPT) - 1)
			seen++;
		if (seen >= prompts)
			return NULL;
		long long left = deadline_ns - (long long)kb_mono_ns();
		struct pollfd p = {fd, POLLIN, 0};

		if (left <= 0)
			return "did not answer in time";
		if (*len + 1 >= cap)
			return "answered with over 256 KiB";
		int r = poll(&p, 1, (int)(left / 1000000) + 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return strerror(errno);
		if (r == 0)
			continue; /* the deadline is looked at above */
		ssize_t got = read(fd, buf + *len, cap - 1 - *len);

		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return "closed the connection";
		*len += (size_t)got;
		buf[*len] = 0;
	}
}

/* The monitor's answer to "info registers -a" into a malloc'd string, or
 * NULL with why. */
static char *ask_registers(const char *path, int wait_ms, char *why, size_t whylen)
{
	static const char cmd[] = "info registers -a\n";
	long long deadline = (long long)kb_mono_ns() + (long long)wait_ms * 1000000;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t cap = 256 * 1024, len = 0;
	char *buf = calloc(1, cap);
	const char *bad = NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (!buf || fd < 0)
		bad = "out of memory or sockets";
	else if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		bad = errno == ENOENT || errno == ECONNREFUSED ? "is not listening"
		      : errno == EAGAIN			       ? "is busy"
							       : strerror(errno);
	else if (!(bad = read_until_prompt(fd, buf, cap, &len, 1, deadline)) &&
		 send(fd, cmd, sizeof(cmd) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(cmd) - 1))
		bad = "closed the connection";
	else if (!bad)
		bad = read_until_prompt(fd, buf, cap, &len, 2, deadline);
	if (fd >= 0)
		close(fd);
	if (bad) {
		snprintf(why, whylen, "%s", bad);
		free(buf);
		return NULL;
	}
	return buf;
}

/* buf without carriage returns and the terminal escapes QEMU's readline
 * writes. */
static void strip_terminal(char *buf)
{
	char *w = buf;

	for (const char *r = buf; *r; r++) {
		if (*r == '\033') {
			if (r[1] == '[')
				for (r += 2; *r && !(*r >= '@' && *r <= '~'); r++)
					;
			if (!*r)
				break;
			continue;
		}
		if (*r != '\r')
			*w++ = *r;
	}
	*w = 0;
}

unsigned long long kb_labhang_boot_text(const char *rundir)
{
	char path[1200];
	unsigned long long t = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/text", rundir);
	if ((f = fopen(path, "re"))) {
		if (fscanf(f, "%llx", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t;
}

/* map, when it is the symbols of the vmlinuz beside it: an older file is
 * another kernel's (looked at when stuck: this boot may have written it). */
static const char *fresh_map(const char *map)
{
	char kernel[4096];
	struct stat syms, k;
	const char *slash = map ? strrchr(map, '/') : NULL;

	if (!slash || (size_t)(slash - map) + 9 > sizeof(kernel))
		return NULL;
	snprintf(kernel, sizeof(kernel), "%.*s/vmlinuz", (int)(slash - map), map);
	return !stat(map, &syms) && !stat(kernel, &k) && syms.st_mtim.tv_sec >= k.st_mtim.tv_sec
		   ? map
		   : NULL;
}

/* The address of the kernel's _text in a kallsyms file, or 0. */
static unsigned long long map_text(FILE *f)
{
	unsigned long long a;
	char line[512], sym[256], type;

	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 && !strcmp(sym, "_text"))
			return a;
	return 0;
}

void kb_labhang_symbol(const char *map, unsigned long long text, unsigned long long addr, char *buf,
		       size_t len)
{
	unsigned long long best = 0, a, file_text;
	char line[512], sym[256], type, best_sym[256] = "";
	FILE *f = map && text ? fopen(map, "re") : NULL;

	buf[0] = 0;
	if (!f)
		return;
	/* the map's boot and this one put the kernel at different places (KASLR) */
	if (!(file_text = map_text(f))) {
		fclose(f);
		return;
	}
	addr += file_text - text;
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 &&
		    (type == 't' || type == 'T') && a <= addr && a >= best) {
			best = a;
			snprintf(best_sym, sizeof(best_sym), "%s", sym);
		}
	fclose(f);
	/* over 1 MiB past the nearest symbol: not in any text the map has */
	if (best_sym[0] && addr - best < 0x100000)
		snprintf(buf, len, "%s+0x%llx", best_sym, addr - best);
}

/* The address after key ("RIP=") in [from, to), or -1. */
static bool reg(const char *from, const char *to, const char *key, unsigned long long *v)
{
	const char *r = strstr(from, key);

	return r && (!to || r < to) && sscanf(r + strlen(key), "%llx", v) == 1;
}

/* One line per "CPU#N" block of the dump: where it is (RIP, or EIP before
 * the kernel is in long mode). */
static void summarize(const char *dump, const char *map, unsigned long long text, char *sum,
		      size_t sumlen)
{
	size_t used = 0;

	sum[0] = 0;
	for (const char *cpu = dump; (cpu = strstr(cpu, "CPU#")) && used < sumlen; cpu += 4) {
		const char *next = strstr(cpu + 4, "CPU#"), *cpl = strstr(cpu, "CPL=");
		const char *hlt = strstr(cpu, "HLT=");
		unsigned long long ip = 0, cpl_v = 0;
		bool rip = reg(cpu, next, "RIP=", &ip);
		char sym[300] = "";

		if (!rip && !reg(cpu, next, "EIP=", &ip))
			continue;
		if (cpl && (!next || cpl < next))
			cpl_v = strtoull(cpl + 4, NULL, 10);
		if (rip && cpl_v == 0)
			kb_labhang_symbol(map, text, ip, sym, sizeof(sym));
		/* 64-bit, ring 0, outside the kernel's text: its decompressor (which
		 * runs at physical addresses), or a guest of the lab's KVM */
		const char *where = cpl_v == 3 ? "user mode"
				    : !rip     ? "32-bit or real mode"
				    : sym[0] || ip >= 0xffff800000000000ULL
					? "the kernel"
					: "64-bit code outside the "
					  "kernel's text";

		used += (size_t)snprintf(
		    sum + used, sumlen - used, "%svCPU %d: in %s at %s%s0x%llx%s%s",
		    used ? "\n" : "", atoi(cpu + 4), where, sym, sym[0] ? " (" : "", ip,
		    sym[0] ? ")" : "",
		    hlt && (!next || hlt < next) && hlt[4] == '1' ? ", halted" : "");
	}
	if (!sum[0])
		snprintf(sum, sumlen, "QEMU's monitor gave no registers");
}

int kb_labhang_dump(const char *mon, const char *map, unsigned long long text, const char *path,
		    int wait_ms, char *sum, size_t sumlen)
{
	char why[128];
	char *dump = ask_registers(mon, wait_ms, why, sizeof(why));
	FILE *f;

	if (!dump) {
		if (strstr(why, "in time"))
			snprintf(sum, sumlen,
				 "no registers: QEMU's monitor did not answer within %d ms: QEMU "
				 "itself is stuck",
				 wait_ms);
		else
			snprintf(sum, sumlen, "no registers: QEMU's monitor %s", why);
		return -1;
	}
	strip_terminal(dump);
	/* the registers only: not the banner, the echoed command, the prompt */
	char *regs = strstr(dump, "CPU#") ? strstr(dump, "CPU#") : dump,
	     *end = strstr(regs, PROMPT);

	if (end)
		*end = 0;
	for (end = regs + strlen(regs); end > regs && strchr(" \n", end[-1]); end--)
		end[-1] = 0;
	summarize(regs, fresh_map(map), text, sum, sumlen);
	if (path && (f = fopen(path, "we"))) {
		fprintf(f, "%s\n", regs);
		if (fclose(f))
			unlink(path);
	}
	free(dump);
	return 0;
}
