/*
 * The kvmbench bench device (port KB_PORT_BENCH, kvmbench/abi.h).
 *
 * A guest writes the guest-physical address of a struct kb_bench_req with
 * one 32-bit OUT.  The VMM copies the request out of guest memory before
 * looking at it (the guest may change it concurrently), checks the
 * address, magic and operation, and refuses mark and metric names and
 * units that are not KB_NAME_CHARS (util.h: they end up in scripts and
 * pages on the host), then records a mark (host time + guest TSC), a
 * metric, or the guest's verdict (its text made printable), which ends the
 * VM.  Refusals are counted, and the first is described in the stats.
 * Reading the port returns 0x4b420001 ("KB", ABI 1) so a guest can tell
 * the device is there.
 * Records are capped at KB_BENCH_MAX_RECORDS so a hostile guest cannot
 * make the VMM grow without bound.
 */
#include "devices.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

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

/* Count a refused request; the first one's description is kept. */
__attribute__((format(printf, 2, 3))) static void refuse(struct kb_bench *b, const char *fmt, ...)
{
	va_list ap;

	__atomic_add_fetch(&b->bad_requests, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&b->lock);
	if (!b->first_bad[0]) {
		va_start(ap, fmt);
		vsnprintf(b->first_bad, sizeof(b->first_bad), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&b->lock);
}

/*
 * A name (or, with may_be_empty, a unit) from the guest, len bytes that
 * must hold its NUL: true when it is KB_NAME_CHARS, else the request is
 * refused, quoting the string with other bytes as '?'.
 */
static bool name_ok(struct kb_bench *b, const char *what, const char *s, size_t len,
		    bool may_be_empty)
{
	char shown[KB_BENCH_NAME_MAX];
	size_t n = strnlen(s, len);

	if (n < len && ((may_be_empty && !n) || kb_name_ok(s, len)))
		return true;
	kb_name_shown(shown, sizeof(shown), s, len);
	refuse(b, "%s \"%s\" refused: want %s%zu characters of %s", what, shown,
	       may_be_empty ? "0-" : "1-", len - 1, KB_NAME_CHARS);
	return false;
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

/* Record a metric; NaN, infinite and negative values (from the console or
 * a wrapped port value) are counted as bad requests: the stats JSON never
 * carries a value the harness cannot compare. */
static void add_metric(struct kb_bench *b, const char *name, size_t namelen, const char *unit,
		       size_t unitlen, double value, unsigned vcpu)
{
	struct kb_metric *m;

	if (!isfinite(value) || value < 0) {
		refuse(b, "metric value %g: want a finite number >= 0", value);
		return;
	}
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
		refuse(b, "request at 0x%llx: not in guest RAM", (unsigned long long)gpa);
		return;
	}
	memcpy(&r, src, sizeof(r)); /* one copy: the guest may change it */
	if (r.magic != KB_BENCH_MAGIC) {
		refuse(b, "request at 0x%llx: bad magic 0x%x", (unsigned long long)gpa, r.magic);
		return;
	}
	clean_copy(text, sizeof(text), r.text, sizeof(r.text));
	switch (r.op) {
	case KB_BENCH_MARK:
		if (name_ok(b, "mark name", r.name, sizeof(r.name), false))
			add_mark(b, r.name, sizeof(r.name), vcpu, r.tsc);
		break;
	case KB_BENCH_METRIC:
		if (r.exp10 < -18 || r.exp10 > 18) {
			refuse(b, "metric exponent %d: want -18 to 18", r.exp10);
			break;
		}
		if (name_ok(b, "metric name", r.name, sizeof(r.name), false) &&
		    name_ok(b, "metric unit", r.unit, sizeof(r.unit), true))
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
	default:
		refuse(b, "request at 0x%llx: unknown operation %u", (unsigned long long)gpa, r.op);
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
		refuse(opaque, "a %u-byte write to port 0x%x: want 4 bytes to 0x%x", io->len,
		       (unsigned)io->addr, KB_PORT_BENCH);
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

/* The next word of *p (up to white space) into out[len], cut to fit; *p moves
 * past it.  Returns its length, 0 for none. */
static size_t word(const char **p, char *out, size_t len)
{
	const char *s = *p + strspn(*p, " \t\r\n");
	size_t n = strcspn(s, " \t\r\n");

	snprintf(out, len, "%.*s", (int)n, s);
	*p = s + n;
	return n;
}

/* "KVMBENCH MARK NAME" or "KVMBENCH METRIC NAME VALUE [UNIT]", the same
 * names as through the port; anything else after KVMBENCH is refused. */
static void console_record(struct kb_bench *b, const char *line, unsigned vcpu)
{
	char kind[8], name[256], num[64], unit[256], more[8], *end;
	double value = 0;

	word(&line, kind, sizeof(kind));
	word(&line, name, sizeof(name));
	if (!strcmp(kind, "MARK") && !word(&line, more, sizeof(more))) {
		if (name_ok(b, "mark name", name, KB_BENCH_NAME_MAX, false))
			add_mark(b, name, KB_BENCH_NAME_MAX, vcpu, 0);
		return;
	}
	if (strcmp(kind, "METRIC") || !word(&line, num, sizeof(num)) ||
	    (value = strtod(num, &end), *end) || !isfinite(value) ||
	    (word(&line, unit, sizeof(unit)), word(&line, more, sizeof(more)))) {
		refuse(b, "console: want KVMBENCH MARK NAME or KVMBENCH METRIC NAME VALUE [UNIT]");
		return;
	}
	if (name_ok(b, "metric name", name, KB_BENCH_NAME_MAX, false) &&
	    name_ok(b, "metric unit", unit, KB_BENCH_UNIT_MAX, true))
		add_metric(b, name, KB_BENCH_NAME_MAX, unit, KB_BENCH_UNIT_MAX, value, vcpu);
}

void kb_bench_console_line(struct kb_bench *b, const char *line, unsigned vcpu)
{
	if (b->until_src && !regexec(&b->until, line, 0, NULL, 0)) {
		add_mark(b, "until", sizeof("until"), vcpu, 0);
		kb_result_set(b->result, KB_EXIT_PASS, "until", (int)vcpu,
			      "the console matched /%s/: %.150s", b->until_src, line);
	}
	kernel_line(b, line, vcpu);
	line = strstr(line, "KVMBENCH ");
	if (line)
		console_record(b, line + 9, vcpu);
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
