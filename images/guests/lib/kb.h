/*
 * The micro-guest runtime: console, bench device, CPU helpers, interrupts,
 * local APIC, command line, a bump allocator and the table-driven
 * benchmark runner.  Freestanding: no libc.
 */
#ifndef KB_GUEST_H
#define KB_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmbench/abi.h"

#define KB_GUEST_MAX_CPUS 256

extern struct kb_bootinfo *kb_bi;
extern const char *kb_cmdline;

/* A guest provides main(), run on CPU 0; returning 0 reports pass.
 * kb_ap_main(), if the guest defines it, runs on every other CPU;
 * otherwise they park in hlt. */
int main(void);
void kb_ap_main(unsigned cpu) __attribute__((weak));
unsigned kb_cpu(void); /* this CPU's index */

/* --- port and memory I/O ---------------------------------------------- */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
/* Not for finding the boot page tables: see kb_pt_boot_root() in pt.h. */
static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}
static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}
static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}
static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}
static inline void mmio_write32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}
static inline uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

/* --- libc subset ------------------------------------------------------- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
int strcmp(const char *a, const char *b);
/* printf subset: %d %i %u %x %p %s %c with l/ll, width and 0-padding */
int kb_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
int kb_snprintf(char *buf, size_t len, const char *fmt, ...);

/* --- console (COM1) ---------------------------------------------------- */
void kb_puts(const char *s);
void kb_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- bench device -------------------------------------------------------- */
void kb_mark(const char *name);
/* Record value * 10^exp10 in unit (guests use no floating point). */
void kb_metric(const char *name, int64_t value, int exp10, const char *unit);
__attribute__((noreturn)) void kb_pass(void);
__attribute__((noreturn, format(printf, 1, 2))) void kb_fail(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void kb_skip(const char *fmt, ...);
__attribute__((noreturn)) void kb_debug_exit(uint32_t code);

/* --- command line: "key=value" words ------------------------------------- */
uint64_t kb_arg_u64(const char *key, uint64_t dflt);
/* Copy the value of key into buf; returns false when absent. */
bool kb_arg_str(const char *key, char *buf, size_t len);

/* --- spinlock, atomics ---------------------------------------------------- */
typedef struct {
	volatile int v;
} kb_lock_t;
void kb_lock(kb_lock_t *l);
void kb_unlock(kb_lock_t *l);
/* Wait until all n CPUs have arrived (a reusable barrier). */
void kb_barrier(unsigned n);

/* --- interrupts and the local APIC (xAPIC MMIO) --------------------------- */
struct kb_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};
typedef void (*kb_isr_fn)(struct kb_frame *f);
void kb_set_handler(unsigned vector, kb_isr_fn fn);
void kb_lapic_enable(void);
uint32_t kb_lapic_id(void);
void kb_lapic_eoi(void);
void kb_lapic_ipi(uint32_t apic_id, unsigned vector);
void kb_lapic_timer_oneshot(unsigned vector, uint32_t count);
#define KB_LAPIC_ID 0x20
#define KB_LAPIC_EOI 0xb0
#define KB_LAPIC_SVR 0xf0
#define KB_LAPIC_ICR_LO 0x300
#define KB_LAPIC_ICR_HI 0x310
#define KB_LAPIC_LVT_TIMER 0x320
#define KB_LAPIC_TIMER_INIT 0x380
#define KB_LAPIC_TIMER_DIV 0x3e0

/* --- memory ---------------------------------------------------------------- */
/* Allocate from free RAM above the image (CPU 0 only, never freed). */
void *kb_alloc(uint64_t size, uint64_t align);
uint64_t kb_free_ram(void); /* bytes still available below the MMIO hole */

/* --- table-driven benchmarks (like kvm-unit-tests' vmexit.c) -------------- */
struct kb_case {
	const char *name;
	void (*run)(uint64_t iters);
	bool (*valid)(const char **why); /* NULL: always valid */
	const char *what;		 /* what one iteration is */
};
/* Run every case, doubling iterations until one round takes at least
 * ms=N milliseconds (default 100); report "<name>" in cycles per
 * iteration, "<name>_ns" and "<name>_iterations" (all iterations run,
 * calibration rounds included).  Skips the guest when no case is valid. */
void kb_run_cases(const struct kb_case *cases, unsigned n);
uint64_t kb_tsc_khz(void);

#endif
