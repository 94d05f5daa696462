/*
 * rngpair: two virtio-rng devices at once (run it with two -device
 * virtio-rng-pci).  Each device has its own I/O thread in the VMM, so
 * their requests are processed concurrently; state shared between the
 * devices (once, a static descriptor chain) mixes their requests up.
 * Every round posts `chains=` requests (default 16) on each device and
 * kicks both: device A gets one 64 KiB buffer per request, device B
 * sixteen 4 KiB buffers at the very top of RAM, so a request of one
 * completed with the other's head or length, or into the other's buffers,
 * shows, and a mixed-up length runs past guest RAM (the VMM's ASan build
 * catches that).  Each completion must name an outstanding request of its
 * device, with that request's length, and fill both ends of every buffer.
 * rounds= (default 32).
 */
#include "virtio.h"

#define MAXCHAINS 16
#define A_LEN (64u << 10)
#define B_SEGS 16
#define B_SEG 4096u
#define B_LEN (B_SEGS * B_SEG)
#define END 32 /* bytes checked at each end of a buffer */

struct dev {
	const char *name;
	struct kb_vdev d;
	struct kb_vring r;
	uint8_t *buf;	/* chain i at buf + i * len */
	uint32_t len;	/* bytes per request */
	unsigned segs;	/* buffers per request */
	int owner[256]; /* request of each outstanding head, or -1 */
	unsigned done;
};

static void open_dev(struct dev *x, unsigned nth)
{
	const char *why;

	if (kb_virtio_open_nth(&x->d, 4, nth, 0, &why))
		kb_skip("virtio-rng %u: %s (run with two -device virtio-rng-pci)", nth, why);
	if (kb_virtio_queue(&x->d, 0, &x->r, 0, 0, 0x50 + nth))
		kb_fail("%s: queue set-up refused", x->name);
	kb_virtio_ready(&x->d);
	for (unsigned i = 0; i < 256; i++)
		x->owner[i] = -1;
}

static void post(struct dev *x, unsigned chain)
{
	struct kb_vbuf b[B_SEGS];
	uint32_t seg = x->len / x->segs;
	uint8_t *p = x->buf + (uint64_t)chain * x->len;

	for (unsigned s = 0; s < x->segs; s++) {
		memset(p + s * seg, 0, END);
		memset(p + (s + 1) * seg - END, 0, END);
		b[s] = (struct kb_vbuf){p + s * seg, seg, KB_VRING_WRITE};
	}
	int head = kb_vring_add(&x->r, b, x->segs);

	if (head < 0 || x->owner[head] >= 0)
		kb_fail("%s: ring full", x->name);
	x->owner[head] = (int)chain;
}

static unsigned zeros(const uint8_t *p)
{
	unsigned n = 0;

	for (unsigned i = 0; i < END; i++)
		n += !p[i];
	return n;
}

/* Take one completion if there is one; checks it. */
static void reap(struct dev *x)
{
	uint16_t idx = (uint16_t)(x->r.used[0] >> 16);

	if (idx == x->r.last_used)
		return;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	volatile uint32_t *e = x->r.used + 1 + 2 * (x->r.last_used % x->r.size);
	uint32_t head = e[0], len = e[1];

	if (head >= x->r.size || x->owner[head] < 0)
		kb_fail("%s: completion names head %u, not an outstanding request", x->name, head);
	if (len != x->len)
		kb_fail("%s: request %d completed with %u bytes, not %u", x->name, x->owner[head],
			len, x->len);
	uint32_t seg = x->len / x->segs;
	uint8_t *p = x->buf + (uint64_t)x->owner[head] * x->len;

	for (unsigned s = 0; s < x->segs; s++)
		if (zeros(p + s * seg) > 8 || zeros(p + (s + 1) * seg - END) > 8)
			kb_fail("%s: request %d: buffer %u was not filled", x->name, x->owner[head],
				s);
	x->owner[head] = -1;
	kb_vring_get(&x->r, NULL); /* the chain back to the free list */
	x->done++;
}

int main(void)
{
	static struct dev a = {.name = "rng A", .len = A_LEN, .segs = 1};
	static struct dev b = {.name = "rng B", .len = B_LEN, .segs = B_SEGS};
	uint64_t rounds = kb_arg_u64("rounds", 32), chains = kb_arg_u64("chains", MAXCHAINS);

	if (chains == 0 || chains > MAXCHAINS)
		kb_fail("chains=%llu: 1 to %u", (unsigned long long)chains, MAXCHAINS);
	open_dev(&a, 0);
	open_dev(&b, 1);
	a.buf = kb_alloc((uint64_t)MAXCHAINS * A_LEN, 4096);
	/* B's buffers end where RAM ends */
	if (kb_free_ram() < (uint64_t)MAXCHAINS * B_LEN + 4096 || kb_bi->pt_mapped < kb_bi->ram_low)
		kb_fail("no room for B's buffers at the top of RAM");
	b.buf = (uint8_t *)(uintptr_t)(kb_bi->ram_low - (uint64_t)MAXCHAINS * B_LEN);
	for (uint64_t round = 0; round < rounds; round++) {
		for (unsigned i = 0; i < chains; i++) {
			post(&a, i);
			post(&b, i);
		}
		/* MSI-X control written again while requests are in flight: the
		 * devices' threads read it to choose how to interrupt */
		kb_pci_cfg_write((unsigned)a.d.slot, a.d.msix_cap,
				 kb_pci_cfg_read((unsigned)a.d.slot, a.d.msix_cap));
		kb_vring_kick(&a.r);
		kb_pci_cfg_write((unsigned)b.d.slot, b.d.msix_cap,
				 kb_pci_cfg_read((unsigned)b.d.slot, b.d.msix_cap));
		kb_vring_kick(&b.r);
		while (a.done + b.done < 2 * chains * (round + 1)) {
			reap(&a);
			reap(&b);
			if ((kb_virtio_status(&a.d) | kb_virtio_status(&b.d)) &
			    KB_VIRTIO_NEEDS_RESET)
				kb_fail("a device needs a reset (the VMM says why on stderr)");
			cpu_relax();
		}
	}
	kb_printf("rngpair: %u + %u requests on two devices, every one intact\n", a.done, b.done);
	kb_pass();
}
