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
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"

#define PROMPT "(qemu) "

void kb_labhang_socket(char *name, size_t len)
{
	static unsigned n;

	snprintf(name, len, "kvmbench-lab-%ld-%u", (long)getpid(), n++);
}

static int connect_abstract(const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	int fd;

	if (n + 1 > sizeof(a.sun_path) || (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memcpy(a.sun_path + 1, name, n);
	if (connect(fd, (struct sockaddr *)&a,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read from fd into buf (from *len on) until the prompts-th "(qemu) " or
 * the deadline; 0 when the prompt came. */
static int read_until_prompt(int fd, char *buf, size_t cap, size_t *len, int prompts,
			     long long deadline_ns)
{
	for (;;) {
		int seen = 0;

		for (const char *p = buf; (p = strstr(p, PROMPT)); p += sizeof(PROMPT) - 1)
			seen++;
		if (seen >= prompts)
			return 0;
		long long left = deadline_ns - (long long)kb_mono_ns();
		struct pollfd p = {fd, POLLIN, 0};

		if (left <= 0 || *len + 1 >= cap)
			return -1;
		int r = poll(&p, 1, (int)(left / 1000000) + 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		ssize_t got = read(fd, buf + *len, cap - 1 - *len);

		if (got <= 0)
			return -1;
		*len += (size_t)got;
		buf[*len] = 0;
	}
}

/* The monitor's answer to "info registers -a" into a malloc'd string, or
 * NULL. */
static char *ask_registers(const char *name, int wait_ms)
{
	static const char cmd[] = "info registers -a\n";
	long long deadline = (long long)kb_mono_ns() + (long long)wait_ms * 1000000;
	size_t cap = 256 * 1024, len = 0;
	char *buf = calloc(1, cap);
	int fd = connect_abstract(name);

	if (!buf || fd < 0 || read_until_prompt(fd, buf, cap, &len, 1, deadline) ||
	    write(fd, cmd, sizeof(cmd) - 1) != (ssize_t)(sizeof(cmd) - 1) ||
	    read_until_prompt(fd, buf, cap, &len, 2, deadline)) {
		free(buf);
		buf = NULL;
	}
	if (fd >= 0)
		close(fd);
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

void kb_labhang_symbol(const char *map, unsigned long long addr, char *buf, size_t len)
{
	unsigned long long best = 0, a;
	char line[512], sym[256], type, best_sym[256] = "";
	FILE *f = map ? fopen(map, "re") : NULL;

	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 &&
		    (type == 't' || type == 'T') && a <= addr && a >= best) {
			best = a;
			snprintf(best_sym, sizeof(best_sym), "%s", sym);
		}
	fclose(f);
	/* past the kernel's own text (a module, or no map): no name */
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
static void summarize(const char *dump, const char *map, char *sum, size_t sumlen)
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
			kb_labhang_symbol(map, ip, sym, sizeof(sym));
		used += (size_t)snprintf(
		    sum + used, sumlen - used, "%svCPU %d: in %s at %s%s0x%llx%s%s",
		    used ? "\n" : "", atoi(cpu + 4),
		    cpl_v == 3 ? "user mode"
		    : rip      ? "the kernel"
			       : "32-bit or real mode",
		    sym, sym[0] ? " (" : "", ip, sym[0] ? ")" : "",
		    hlt && (!next || hlt < next) && hlt[4] == '1' ? ", halted" : "");
	}
	if (!sum[0])
		snprintf(sum, sumlen, "QEMU's monitor gave no registers");
}

int kb_labhang_dump(const char *name, const char *map, const char *path, int wait_ms, char *sum,
		    size_t sumlen)
{
	char *dump = ask_registers(name, wait_ms);
	FILE *f;

	if (!dump) {
		snprintf(sum, sumlen,
			 "QEMU's monitor did not answer within %d ms: QEMU itself is stuck",
			 wait_ms);
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
	summarize(regs, map, sum, sumlen);
	if (path && (f = fopen(path, "we"))) {
		fprintf(f, "%s\n", regs);
		if (fclose(f))
			unlink(path);
	}
	free(dump);
	return 0;
}
