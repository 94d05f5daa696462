/*
 * The kvmbench bench device (port KB_PORT_BENCH, layout.h).
 *
 * A guest writes the guest-physical address of a struct kb_bench_req with
 * one 32-bit OUT.  The VMM copies the request out of guest memory before
 * looking at it (the guest may change it concurrently), checks the
 * address, magic and operation, forces the strings to be terminated and
 * printable, then records a mark (host time + guest TSC), a metric, or the
 * guest's verdict, which ends the VM.  Reading the port returns
 * 0x4b420001 ("KB", ABI 1) so a guest can tell the device is there.
 * Records are capped at KB_BENCH_MAX_RECORDS so a hostile guest cannot
 * make the VMM grow without bound.
 */
#include "devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 10^e for |e| <= 18, without libm. */
static double pow10i(int e)
{
	double r = 1;

	for (int i = 0; i < (e < 0 ? -e : e); i++)
		r *= 10;
	return e < 0 ? 1 / r : r;
}

/* Copy at most dstlen-1 bytes, stopping at NUL; unprintable bytes -> '?'. */
static void clean_copy(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t i;

	for (i = 0; i + 1 < dstlen && i < srclen && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = 0;
}

/*
 * Take the next free record of an array (marks or metrics), growing it as
 * needed; NULL (and one more dropped record) past KB_BENCH_MAX_RECORDS or
 * when memory runs out.  Called with b->lock held.
 */
static void *reserve(struct kb_bench *b, void **arr, unsigned *n, unsigned *cap, size_t elem)
{
	if (*n >= KB_BENCH_MAX_RECORDS) {
		b->dropped++;
		return NULL;
	}
	if (*n == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 64;
		void *p = realloc(*arr, ncap * elem);

		if (!p) {
			b->dropped++;
			return NULL;
		}
		*arr = p;
		*cap = ncap;
	}
	return (uint8_t *)*arr + elem * (*n)++;
}

static void add_mark(struct kb_bench *b, const char *name, size_t namelen, unsigned vcpu,
		     uint64_t tsc)
{
	uint64_t now = kb_now_ns();
	struct kb_mark *m;

	pthread_mutex_lock(&b->lock);
	m = reserve(b, (void **)&b->marks, &b->nmarks, &b->capmarks, sizeof(*m));
	if (m) {
		clean_copy(m->name, sizeof(m->name), name, namelen);
		m->vcpu = vcpu;
		m->t_ns = now;
		m->guest_tsc = tsc;
	}
	pthread_mutex_unlock(&b->lock);
}

static void add_metric(struct kb_bench *b, const char *name, size_t namelen, const char *unit,
		       size_t unitlen, double value, unsigned vcpu)
{
	struct kb_metric *m;

	pthread_mutex_lock(&b->lock);
	m = reserve(b, (void **)&b->metrics, &b->nmetrics, &b->capmetrics, sizeof(*m));
	if (m) {
		clean_copy(m->name, sizeof(m->name), name, namelen);
		clean_copy(m->unit, sizeof(m->unit), unit, unitlen);
		m->value = value;
		m->vcpu = vcpu;
	}
	pthread_mutex_unlock(&b->lock);
}

static void handle_request(struct kb_bench *b, uint64_t gpa, unsigned vcpu)
{
	const void *src = kb_mem_gpa(b->mem, gpa, sizeof(struct kb_bench_req));
	struct kb_bench_req r;
	char text[KB_BENCH_TEXT_MAX];

	if (!src) {
		__atomic_add_fetch(&b->bad_requests, 1, __ATOMIC_RELAXED);
		return;
	}
	memcpy(&r, src, sizeof(r)); /* one copy: the guest may change it */
	if (r.magic != KB_BENCH_MAGIC) {
		__atomic_add_fetch(&b->bad_requests, 1, __ATOMIC_RELAXED);
		return;
	}
	clean_copy(text, sizeof(text), r.text, sizeof(r.text));
	switch (r.op) {
	case KB_BENCH_MARK: add_mark(b, r.name, sizeof(r.name), vcpu, r.tsc); break;
	case KB_BENCH_METRIC:
		if (r.exp10 < -18 || r.exp10 > 18) {
			__atomic_add_fetch(&b->bad_requests, 1, __ATOMIC_RELAXED);
			break;
		}
		add_metric(b, r.name, sizeof(r.name), r.unit, sizeof(r.unit),
			   (double)r.value * pow10i(r.exp10), vcpu);
		break;
	case KB_BENCH_PASS:
		kb_result_set(b->result, KB_EXIT_PASS, "pass", (int)vcpu, "%s",
			      text[0] ? text : "guest reported pass");
		break;
	case KB_BENCH_FAIL:
		kb_result_set(b->result, KB_EXIT_GUEST_FAIL, "fail", (int)vcpu, "%s",
			      text[0] ? text : "guest reported failure");
		break;
	case KB_BENCH_SKIP:
		kb_result_set(b->result, KB_EXIT_SKIP, "skip", (int)vcpu, "%s",
			      text[0] ? text : "guest skipped");
		break;
	default: __atomic_add_fetch(&b->bad_requests, 1, __ATOMIC_RELAXED);
	}
}

static void bench_io(struct kb_io *io, void *opaque)
{
	uint32_t v = 0;

	if (!io->write) {
		v = 0x4b420001;
		for (uint32_t i = 0; i < io->len; i++)
			io->data[i] = i < 4 ? (uint8_t)(v >> (8 * i)) : 0;
		return;
	}
	if (io->len != 4 || io->addr != KB_PORT_BENCH) {
		__atomic_add_fetch(&((struct kb_bench *)opaque)->bad_requests, 1, __ATOMIC_RELAXED);
		return;
	}
	memcpy(&v, io->data, 4);
	handle_request(opaque, v, io->vcpu);
}

int kb_bench_init(struct kb_bench *b, struct kb_bus *bus, const char *until,
		  const struct kb_mem *mem, struct kb_result *result)
{
	int id;

	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->mem = mem;
	b->result = result;
	if (until && regcomp(&b->until, until, REG_EXTENDED | REG_NOSUB))
		return -EINVAL; /* checked when the options were parsed */
	b->until_src = until;
	id = kb_bus_register(bus, KB_SPACE_PIO, KB_PORT_BENCH, KB_PORT_BENCH_LEN, "bench", bench_io,
			     b);
	return id < 0 ? id : 0;
}

/*
 * What Linux says on its console about how it ends:
 *   "Kernel panic - not syncing: WHY"  a panic: a pending crash, so the
 *       backtrace that follows still reaches the console; it commits at
 *   "---[ end Kernel panic"  (panic=0: the kernel stops here), or
 *   "Rebooting in N seconds"  (panic=N), or whatever the guest does next
 *       (a reset with panic=-1, pvpanic), or KB_PANIC_GRACE_NS later.
 *   "Restarting system"  reboot(2) or kernel_restart(): a triple fault
 *       after it is a reset (Linux's reboot=t, and the last resort of its
 *       reboot), not a crash.
 *   "reboot: System halted"  every CPU stops with interrupts off, for good:
 *       the end, as a poweroff (Linux's poweroff becomes a halt when it has
 *       no way to power off, as on the hardware-reduced machine).
 */
static void kernel_line(struct kb_bench *b, const char *line, unsigned vcpu)
{
	static const char panic[] = "Kernel panic - not syncing: ";
	const char *p;

	if (strstr(line, "---[ end Kernel panic") || strstr(line, "Rebooting in ")) {
		kb_result_commit(b->result);
	} else if ((p = strstr(line, panic))) {
		char why[160];

		p += sizeof(panic) - 1;
		clean_copy(why, sizeof(why), p, strlen(p));
		kb_result_pend(b->result, KB_PANIC_GRACE_NS, KB_EXIT_GUEST_CRASH, "crash",
			       (int)vcpu, "guest kernel panic: %s", why);
	} else if (strstr(line, "Restarting system")) {
		__atomic_store_n(&b->restart_announced, true, __ATOMIC_RELEASE);
	} else if (strstr(line, "reboot: System halted")) {
		kb_result_set(b->result, KB_EXIT_PASS, "poweroff", (int)vcpu,
			      "guest kernel halted the machine (\"System halted\"): Linux's "
			      "poweroff without a way to power off (hardware-reduced ACPI has no "
			      "S5; -machine acpi-pm=on has), or its halt");
	}
}

void kb_bench_console_line(struct kb_bench *b, const char *line, unsigned vcpu)
{
	char name[KB_BENCH_NAME_MAX], unit[KB_BENCH_UNIT_MAX];
	double value;
	int n = 0;

	if (b->until_src && !regexec(&b->until, line, 0, NULL, 0)) {
		add_mark(b, "until", sizeof("until"), vcpu, 0);
		kb_result_set(b->result, KB_EXIT_PASS, "until", (int)vcpu,
			      "the console matched /%s/: %.150s", b->until_src, line);
	}
	kernel_line(b, line, vcpu);
	line = strstr(line, "KVMBENCH ");
	if (!line)
		return;
	if (sscanf(line, "KVMBENCH MARK %47s %n", name, &n) == 1 && n > 0)
		add_mark(b, name, sizeof(name), vcpu, 0);
	else if (sscanf(line, "KVMBENCH METRIC %47s %lf %15s", name, &value, unit) == 3)
		add_metric(b, name, sizeof(name), unit, sizeof(unit), value, vcpu);
}

void kb_bench_destroy(struct kb_bench *b)
{
	if (b->until_src)
		regfree(&b->until);
	b->until_src = NULL;
	free(b->marks);
	free(b->metrics);
	b->marks = NULL;
	b->metrics = NULL;
}
