/*
 * 8250/16550A UART on COM1 (0x3f8 - 0x3ff), output only.
 *
 * Enough registers for Linux's 8250 driver and for simple guests: THR/RBR,
 * IER, IIR/FCR, LCR, MCR (with loopback, which Linux's probe uses), LSR
 * (transmitter always empty, no receive data), MSR, SCR and the divisor
 * latch.  The one interrupt is "THR empty" (IER bit 1), on IRQ 4, as
 * QEMU's 16550A raises it: pending when enabled and after every
 * transmitted byte, cleared by reading IIR or disabling it.  Linux's 8250
 * driver writes printk output by polling but user space's console output
 * (a tty) on that interrupt: without it, a tty stops after its first 16
 * bytes.
 * Complete console lines are also offered to the bench device, so Linux
 * guests can print KVMBENCH MARK / METRIC lines.
 * What reaches the output file is capped (-serial-cap): a guest printing
 * without end must not fill the host's disk.
 */
#include "devices.h"

#include <inttypes.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

/* c to the output file, up to the cap; the first byte past it leaves a
 * note in the file and on stderr (the harness's vmm.log). */
static void out_char(struct kb_uart *u, uint8_t c)
{
	if (!u->out_cap || u->bytes_out <= u->out_cap) {
		fputc(c, u->out);
		if (c == '\n')
			fflush(u->out);
		return;
	}
	if (!u->out_dropped++) {
		fprintf(u->out,
			"\n[kvmbench-vmm: console output capped at %" PRIu64
			" bytes; the rest is dropped]\n",
			u->out_cap);
		fflush(u->out);
		fprintf(stderr, "kvmbench-vmm: console output capped at %" PRIu64 " bytes\n",
			u->out_cap);
	}
}

static void put_char(struct kb_uart *u, uint8_t c, unsigned vcpu)
{
	u->bytes_out++;
	if (u->out)
		out_char(u, c);
	if (c == '\n' || u->linelen == sizeof(u->line) - 1) {
		u->line[u->linelen] = 0;
		if (u->bench)
			kb_bench_console_line(u->bench, u->line, vcpu);
		u->linelen = 0;
	} else if (c != '\r') {
		u->line[u->linelen++] = (char)c;
	}
}

static uint8_t msr_value(const struct kb_uart *u)
{
	if (!(u->mcr & MCR_LOOP))
		return 0xb0; /* DCD, DSR, CTS */
	return (u->mcr & 1 ? 0x20 : 0) | (u->mcr & 2 ? 0x10 : 0) | (u->mcr & 4 ? 0x40 : 0) |
	       (u->mcr & 8 ? 0x80 : 0);
}

/* The interrupt identification: THR empty, or nothing. */
static uint8_t iir_id(const struct kb_uart *u)
{
	return (u->ier & IER_THRI) && u->thr_ipending ? IIR_THRI : IIR_NO_INT;
}

/* Drive the IRQ line to what IIR says.  ISA interrupts are edge-triggered:
 * a new interrupt needs the line low in between, which reading IIR gives. */
static void update_irq(struct kb_uart *u)
{
	bool level = iir_id(u) != IIR_NO_INT;
	struct kvm_irq_level irq = {.irq = u->irq, .level = level};

	if (level == u->irq_level || u->vm_fd < 0)
		return;
	u->irq_level = level;
	u->interrupts += level;
	ioctl(u->vm_fd, KVM_IRQ_LINE, &irq);
}

static uint8_t uart_read(struct kb_uart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case 0: return dlab ? u->dll : 0;
	case 1: return dlab ? u->dlm : u->ier;
	case 2:
		v = (u->fcr & 1 ? 0xc0 : 0) | iir_id(u);
		if ((v & 0x0f) == IIR_THRI) { /* reading it acknowledges THR empty */
			u->thr_ipending = false;
			update_irq(u);
		}
		return v;
	case 3: return u->lcr;
	case 4: return u->mcr;
	case 5: return u->lsr;
	case 6: return msr_value(u);
	default: return u->scr;
	}
}

static void uart_write(struct kb_uart *u, unsigned reg, uint8_t v, unsigned vcpu)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case 0:
		if (dlab) {
			u->dll = v;
			break;
		}
		if (!(u->mcr & MCR_LOOP))
			put_char(u, v, vcpu);
		u->thr_ipending = true; /* sent at once: THR is empty again */
		update_irq(u);
		break;
	case 1:
		if (dlab) {
			u->dlm = v;
			break;
		}
		/* enabling THR empty while THR is empty (always) raises it */
		if ((u->ier ^ v) & IER_THRI)
			u->thr_ipending = v & IER_THRI;
		u->ier = v & 0x0f;
		update_irq(u);
		break;
	case 2: u->fcr = v; break;
	case 3: u->lcr = v; break;
	case 4: u->mcr = v & 0x1f; break;
	case 7: u->scr = v; break;
	default: break; /* LSR and MSR are read-only */
	}
}

static void uart_io(struct kb_io *io, void *opaque)
{
	struct kb_uart *u = opaque;
	unsigned reg = (unsigned)(io->addr - KB_PORT_COM1);

	pthread_mutex_lock(&u->lock);
	/* Wider accesses touch consecutive registers, as on an ISA bus. */
	for (uint32_t i = 0; i < io->len && reg + i < KB_PORT_COM1_LEN; i++) {
		if (io->write)
			uart_write(u, reg + i, io->data[i], io->vcpu);
		else
			io->data[i] = uart_read(u, reg + i);
	}
	pthread_mutex_unlock(&u->lock);
}

int kb_uart_init(struct kb_uart *u, struct kb_bus *bus, FILE *out, struct kb_bench *bench)
{
	int id;

	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->lsr = LSR_THRE | LSR_TEMT;
	u->out = out;
	u->bench = bench;
	u->vm_fd = -1;
	id = kb_bus_register(bus, KB_SPACE_PIO, KB_PORT_COM1, KB_PORT_COM1_LEN, "com1", uart_io, u);
	return id < 0 ? id : 0;
}

void kb_uart_set_cap(struct kb_uart *u, uint64_t cap)
{
	pthread_mutex_lock(&u->lock);
	u->out_cap = cap;
	pthread_mutex_unlock(&u->lock);
}

void kb_uart_set_irq(struct kb_uart *u, int vm_fd, unsigned irq)
{
	pthread_mutex_lock(&u->lock);
	u->vm_fd = vm_fd;
	u->irq = irq;
	pthread_mutex_unlock(&u->lock);
}

void kb_uart_flush(struct kb_uart *u)
{
	pthread_mutex_lock(&u->lock);
	if (u->linelen && u->bench) {
		u->line[u->linelen] = 0;
		kb_bench_console_line(u->bench, u->line, 0);
		u->linelen = 0;
	}
	if (u->out)
		fflush(u->out);
	pthread_mutex_unlock(&u->lock);
}
