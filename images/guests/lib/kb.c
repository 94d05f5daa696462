/*
 * Micro-guest runtime core: start-up on every CPU, the interrupt table,
 * console and bench-device calls, command-line arguments, locks.
 */
#include "kb.h"

struct kb_bootinfo *kb_bi;
const char *kb_cmdline = "";

struct idt_entry {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));
static kb_isr_fn handlers[256];
static volatile int runtime_ready;
extern char kb_isr_stubs[];

static struct {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed)) idtr;

static void idt_set_gate(unsigned v)
{
	uint64_t a = (uint64_t)(kb_isr_stubs + 16 * v);

	idt[v] = (struct idt_entry){
	    .off0 = (uint16_t)a,
	    .sel = KB_SEL_CODE64,
	    .type = 0x8e,
	    .off1 = (uint16_t)(a >> 16),
	    .off2 = (uint32_t)(a >> 32),
	};
}

/*
 * Only the 32 exception gates are filled at start; kb_set_handler() adds
 * an interrupt gate when a guest asks for one.  Guest memory writes are
 * expensive on some hosts (kvm_pvm emulates them: about 5 us each), and
 * 256 gates would cost the smallest guest several milliseconds.
 */
static void idt_init(void)
{
	for (unsigned v = 0; v < 32; v++)
		idt_set_gate(v);
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uint64_t)idt;
}

static void idt_load(void)
{
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

void kb_set_handler(unsigned vector, kb_isr_fn fn)
{
	handlers[vector & 255] = fn;
	idt_set_gate(vector & 255);
}

void kb_isr(uint64_t vector, struct kb_frame *f);
void kb_isr(uint64_t vector, struct kb_frame *f)
{
	if (handlers[vector & 255]) {
		handlers[vector & 255](f);
		return;
	}
	if (vector < 32)
		kb_fail("CPU %u: exception %llu (error 0x%llx) at rip 0x%llx", kb_cpu(),
			(unsigned long long)vector, (unsigned long long)f->error,
			(unsigned long long)f->rip);
	kb_lapic_eoi(); /* a stray interrupt: acknowledge and go on */
}

unsigned kb_cpu(void)
{
	uint64_t rsp;
	extern char kb_stacks[];

	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	return (unsigned)((rsp - (uint64_t)kb_stacks) >> 14);
}

void kb_start(uint64_t cpu, const char *cmdline, struct kb_bootinfo *bi);
void kb_start(uint64_t cpu, const char *cmdline, struct kb_bootinfo *bi)
{
	if (cpu == 0) {
		kb_bi = bi;
		kb_cmdline = cmdline;
		idt_init();
		__atomic_store_n(&runtime_ready, 1, __ATOMIC_RELEASE);
		idt_load();
		if (bi->magic != KB_BOOTINFO_MAGIC)
			kb_fail("boot information has bad magic 0x%x", bi->magic);
		int rc = main();

		if (rc)
			kb_fail("main returned %d", rc);
		kb_pass();
	}
	while (!__atomic_load_n(&runtime_ready, __ATOMIC_ACQUIRE))
		cpu_relax();
	idt_load();
	if (kb_ap_main)
		kb_ap_main((unsigned)cpu);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* --- console ------------------------------------------------------------ */
static kb_lock_t console_lock;

void kb_puts(const char *s)
{
	size_t n = strlen(s);

	kb_lock(&console_lock);
	/* One exit per string: rep outsb hands KVM the whole buffer. */
	__asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"((uint16_t)KB_PORT_COM1) : "memory");
	kb_unlock(&console_lock);
}

void kb_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	kb_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kb_puts(buf);
}

/* --- bench device ----------------------------------------------------------- */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = src[i];
	dst[i] = 0;
}

static void bench_call(uint16_t op, const char *name, int64_t value, int exp10, const char *unit,
		       const char *text)
{
	struct kb_bench_req r;

	memset(&r, 0, sizeof(r));
	r.magic = KB_BENCH_MAGIC;
	r.op = op;
	r.vcpu = kb_cpu();
	r.tsc = rdtsc();
	r.value = value;
	r.exp10 = exp10;
	copy_str(r.name, sizeof(r.name), name ? name : "");
	copy_str(r.unit, sizeof(r.unit), unit ? unit : "");
	copy_str(r.text, sizeof(r.text), text ? text : "");
	barrier();
	outl(KB_PORT_BENCH, (uint32_t)(uint64_t)&r);
	barrier();
}

void kb_mark(const char *name)
{
	bench_call(KB_BENCH_MARK, name, 0, 0, 0, 0);
}

void kb_metric(const char *name, int64_t value, int exp10, const char *unit)
{
	bench_call(KB_BENCH_METRIC, name, value, exp10, unit, 0);
}

static __attribute__((noreturn)) void stop_here(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void kb_pass(void)
{
	bench_call(KB_BENCH_PASS, 0, 0, 0, 0, 0);
	stop_here();
}

/* Print the verdict and send it: the VM ends there. */
static __attribute__((noreturn)) void verdict(uint16_t op, const char *word, const char *fmt,
					      va_list ap)
{
	char buf[KB_BENCH_TEXT_MAX];

	kb_vsnprintf(buf, sizeof(buf), fmt, ap);
	kb_printf("%s: %s\n", word, buf);
	bench_call(op, 0, 0, 0, 0, buf);
	stop_here();
}

void kb_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verdict(KB_BENCH_FAIL, "FAIL", fmt, ap);
}

void kb_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verdict(KB_BENCH_SKIP, "SKIP", fmt, ap);
}

void kb_debug_exit(uint32_t code)
{
	outl(KB_PORT_DEBUG_EXIT, code);
	stop_here();
}

/* --- command line -------------------------------------------------------------- */
static const char *find_arg(const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = kb_cmdline; *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && p[klen] == '=')
			return p + klen + 1;
		while (*p && *p != ' ')
			p++;
	}
	return 0;
}

uint64_t kb_arg_u64(const char *key, uint64_t dflt)
{
	const char *v = find_arg(key);
	uint64_t n = 0;

	if (!v || *v < '0' || *v > '9')
		return dflt;
	while (*v >= '0' && *v <= '9')
		n = n * 10 + (uint64_t)(*v++ - '0');
	return n;
}

bool kb_arg_str(const char *key, char *buf, size_t len)
{
	const char *v = find_arg(key);
	size_t i = 0;

	if (!v)
		return false;
	while (v[i] && v[i] != ' ' && i + 1 < len) {
		buf[i] = v[i];
		i++;
	}
	buf[i] = 0;
	return true;
}

/* --- locks ------------------------------------------------------------------------ */
void kb_lock(kb_lock_t *l)
{
	while (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE))
		while (l->v)
			cpu_relax();
}

void kb_unlock(kb_lock_t *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

void kb_barrier(unsigned n)
{
	static volatile unsigned count, generation;
	unsigned gen = generation;

	if (__atomic_add_fetch(&count, 1, __ATOMIC_ACQ_REL) == n) {
		count = 0;
		__atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&generation, __ATOMIC_ACQUIRE) == gen)
		cpu_relax();
}
