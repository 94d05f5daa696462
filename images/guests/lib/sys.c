/*
 * Micro-guest runtime: local APIC, memory allocation, the libc subset
 * and a small printf.
 */
#include "kb.h"

/* --- local APIC (xAPIC, MMIO at KB_LAPIC_ADDR) --------------------------- */
static uint32_t lapic_read(uint32_t reg)
{
	return mmio_read32(KB_LAPIC_ADDR + reg);
}
static void lapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(KB_LAPIC_ADDR + reg, v);
}

void kb_lapic_enable(void)
{
	lapic_write(KB_LAPIC_SVR, 0x100 | 0xff); /* enabled, spurious vector 0xff */
}

uint32_t kb_lapic_id(void)
{
	return lapic_read(KB_LAPIC_ID) >> 24;
}
void kb_lapic_eoi(void)
{
	lapic_write(KB_LAPIC_EOI, 0);
}

void kb_lapic_ipi(uint32_t apic_id, unsigned vector)
{
	lapic_write(KB_LAPIC_ICR_HI, apic_id << 24);
	lapic_write(KB_LAPIC_ICR_LO, vector & 0xff); /* fixed, physical, assert */
}

void kb_lapic_timer_oneshot(unsigned vector, uint32_t count)
{
	lapic_write(KB_LAPIC_TIMER_DIV, 0xb); /* divide by 1 */
	lapic_write(KB_LAPIC_LVT_TIMER, vector & 0xff);
	lapic_write(KB_LAPIC_TIMER_INIT, count);
}

/* --- memory -------------------------------------------------------------------- */
extern char _end[];
static uint64_t heap_next;

void *kb_alloc(uint64_t size, uint64_t align)
{
	uint64_t limit = kb_bi->ram_low, p;

	if (!heap_next)
		heap_next = (uint64_t)_end;
	p = (heap_next + align - 1) & ~(align - 1);
	if (p > limit || size > limit - p)
		kb_fail("out of guest memory: %llu bytes wanted, %llu free",
			(unsigned long long)size, (unsigned long long)(limit > p ? limit - p : 0));
	heap_next = p + size;
	return (void *)p;
}

uint64_t kb_free_ram(void)
{
	uint64_t p = heap_next ? heap_next : (uint64_t)_end;

	return kb_bi->ram_low > p ? kb_bi->ram_low - p : 0;
}

/* --- libc subset (the compiler may emit calls to these) ------------------------ */
void *memset(void *d, int c, size_t n)
{
	void *r = d;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return r;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *r = d;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return r;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return (unsigned char)a[i] - (unsigned char)b[i];
		if (!a[i])
			return 0;
	}
	return 0;
}

/* --- printf ---------------------------------------------------------------------- */
struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, char c)
{
	if (o->pos + 1 < o->len)
		o->buf[o->pos] = c;
	o->pos++;
}

static void put_uint(struct out *o, uint64_t v, unsigned base, int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

int kb_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct out o = {buf, len, 0};

	for (; *fmt; fmt++) {
		int longs = 0, width = 0;
		char pad = ' ';

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);

			if (v < 0) {
				put(&o, '-');
				v = -v;
			}
			put_uint(&o, (uint64_t)v, 10, width, pad);
			break;
		}
		case 'u':
			put_uint(&o, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width,
				 pad);
			break;
		case 'x':
			put_uint(&o, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width,
				 pad);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_uint(&o, (uint64_t)va_arg(ap, void *), 16, 0, ' ');
			break;
		case 'c': put(&o, (char)va_arg(ap, int)); break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			for (s = s ? s : "(null)"; *s; s++)
				put(&o, *s);
			break;
		}
		case '%': put(&o, '%'); break;
		default: put(&o, '?'); break;
		}
	}
	if (len)
		buf[o.pos < len ? o.pos : len - 1] = 0;
	return (int)o.pos;
}

int kb_snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kb_vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (size_t)-1);
}
