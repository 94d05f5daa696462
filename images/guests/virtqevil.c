/*
 * virtqevil: a hostile driver.  Against virtio-rng (dev=rng, the default;
 * every device shares the queue code), or the request queue of virtio-blk
 * (dev=blk) or the transmit queue of virtio-net (dev=net; attack=short: a
 * request without room for its header or status), it submits malformed
 * rings, one attack at a time, and
 * expects the device to refuse each by setting NEEDS_RESET, then resets
 * it and checks that a well-formed request works again.  attack= one of
 * the names below, or all (default).  The VMM must keep running, touch no
 * memory outside guest RAM and report each refusal (stats: broken_count).
 */
#include "virtio.h"

static struct kb_vdev d;
static struct kb_vring r;
static uint8_t *buf;

static unsigned dev_id = 4, dev_q; /* rng queue 0; blk queue 0; net tx queue 1 */

static void setup(void)
{
	const char *why;
	struct kb_vring other;

	if (kb_virtio_open(&d, dev_id, 0, &why))
		kb_skip("virtio device %u: %s", dev_id, why);
	if (dev_q == 1 && kb_virtio_queue(&d, 0, &other, 16, -1, 0))
		kb_fail("queue set-up refused");
	if (kb_virtio_queue(&d, dev_q, &r, 16, -1, 0))
		kb_fail("queue set-up refused");
	kb_virtio_ready(&d);
}

/* Publish head h (with the avail index moved by step) and kick. */
static void publish(uint16_t h, uint16_t step)
{
	uint16_t idx = r.avail[1];

	r.avail[2 + idx % r.size] = h;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r.avail[1] = (uint16_t)(idx + step);
	kb_vring_kick(&r);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	r.desc[i] = (struct kb_vring_desc){addr, len, flags, next};
}

static const char *const attacks[] = {"loop",	  "oob",   "hole",     "crossend",
				      "oversize", "wrap",  "head",     "next",
				      "indirect", "order", "ringaddr", "ringsize"};
#define NATTACKS (sizeof(attacks) / sizeof(attacks[0]))

static void attack(const char *a)
{
	uint64_t top = kb_bi->ram_low;

	if (!strcmp(a, "loop")) { /* 0 -> 1 -> 0 -> ... */
		desc(0, (uintptr_t)buf, 64, KB_VRING_WRITE | KB_VRING_NEXT, 1);
		desc(1, (uintptr_t)buf, 64, KB_VRING_WRITE | KB_VRING_NEXT, 0);
		publish(0, 1);
	} else if (!strcmp(a, "oob")) { /* far beyond RAM */
		desc(0, 0x7fff00000000ull, 4096, KB_VRING_WRITE, 0);
		publish(0, 1);
	} else if (!strcmp(a, "hole")) { /* in the MMIO hole: not RAM */
		desc(0, 0xd0000000ull, 4096, KB_VRING_WRITE, 0);
		publish(0, 1);
	} else if (!strcmp(a, "crossend")) { /* starts in RAM, ends past it */
		desc(0, top - 16, 4096, KB_VRING_WRITE, 0);
		publish(0, 1);
	} else if (!strcmp(a, "oversize")) { /* 4 GiB - 1 */
		desc(0, (uintptr_t)buf, 0xffffffffu, KB_VRING_WRITE, 0);
		publish(0, 1);
	} else if (!strcmp(a, "wrap")) { /* avail index 40000 entries ahead */
		desc(0, (uintptr_t)buf, 64, KB_VRING_WRITE, 0);
		publish(0, 40000);
	} else if (!strcmp(a, "head")) { /* head beyond the table */
		publish(999, 1);
	} else if (!strcmp(a, "next")) {
		desc(0, (uintptr_t)buf, 64, KB_VRING_WRITE | KB_VRING_NEXT, 500);
		publish(0, 1);
	} else if (!strcmp(a, "indirect")) {
		desc(0, (uintptr_t)buf, 64, 4, 0);
		publish(0, 1);
	} else if (!strcmp(a, "order")) { /* readable after writable */
		desc(0, (uintptr_t)buf, 64, KB_VRING_WRITE | KB_VRING_NEXT, 1);
		desc(1, (uintptr_t)buf, 64, 0, 0);
		publish(0, 1);
	} else if (!strcmp(a, "short")) { /* blk: no header and status; net: no header */
		desc(0, (uintptr_t)buf, 8, 0, 0);
		publish(0, 1);
	} else if (!strcmp(a, "ringaddr") || !strcmp(a, "ringsize")) {
		/* re-do the queue set-up with rings outside RAM, or a bad size */
		volatile uint8_t *c = d.common;

		kb_virtio_reset(&d);
		c[0x14] = 1 | 2;
		*(volatile uint32_t *)(c + 0x08) = 1;
		*(volatile uint32_t *)(c + 0x0c) = 1; /* VERSION_1 */
		c[0x14] = 1 | 2 | 8;
		*(volatile uint16_t *)(c + 0x16) = 0;
		*(volatile uint16_t *)(c + 0x18) = !strcmp(a, "ringsize") ? 100 : 16;
		*(volatile uint64_t *)(c + 0x20) =
		    !strcmp(a, "ringsize") ? 0x200000 : 0x7fff0000000ull;
		*(volatile uint64_t *)(c + 0x28) = 0x201000;
		*(volatile uint64_t *)(c + 0x30) = 0x202000;
		*(volatile uint16_t *)(c + 0x1c) = 1;
	} else {
		kb_fail("attack=%s: unknown", a);
	}
}

static void one(const char *a)
{
	uint64_t khz = kb_bi->tsc_khz ? kb_bi->tsc_khz : 1000000, t0 = rdtsc();

	setup();
	attack(a);
	while (!(kb_virtio_status(&d) & KB_VIRTIO_NEEDS_RESET)) {
		if (rdtsc() - t0 > khz * 5000)
			kb_fail("attack %s: the device did not refuse it within 5 s", a);
		cpu_relax();
	}
	kb_printf("attack %s: refused (NEEDS_RESET)\n", a);
	/* recovery: reset, set up again, one good request */
	setup();
	struct kb_vbuf b[3] = {{buf, 64, KB_VRING_WRITE}};
	unsigned nb = 1;
	uint32_t len, want = 64;

	if (dev_id == 2) { /* blk: GET_ID, 20 bytes and the status */
		static struct {
			uint32_t type, reserved;
			uint64_t sector;
		} h = {8, 0, 0};
		b[0] = (struct kb_vbuf){&h, 16, 0};
		b[1] = (struct kb_vbuf){buf, 20, KB_VRING_WRITE};
		b[2] = (struct kb_vbuf){buf + 64, 1, KB_VRING_WRITE};
		nb = 3, want = 21;
	} else if (dev_id == 1) { /* net: a 60-byte frame and its header */
		memset(buf, 0, 72);
		b[0] = (struct kb_vbuf){buf, 72, 0};
		want = 0;
	}
	kb_vring_add(&r, b, nb);
	kb_vring_kick(&r);
	t0 = rdtsc();
	while (kb_vring_get(&r, &len) < 0) {
		if (rdtsc() - t0 > khz * 5000)
			kb_fail("attack %s: no answer after the reset", a);
		cpu_relax();
	}
	if (len != want)
		kb_fail("attack %s: after the reset a request returned %u bytes, not %u", a, len,
			want);
}

int main(void)
{
	char a[32] = "all";

	char dev[8] = "rng";

	buf = kb_alloc(4096, 4096);
	kb_arg_str("attack", a, sizeof(a));
	kb_arg_str("dev", dev, sizeof(dev));
	if (!strcmp(dev, "blk"))
		dev_id = 2;
	else if (!strcmp(dev, "net"))
		dev_id = 1, dev_q = 1;
	else if (strcmp(dev, "rng"))
		kb_fail("dev=%s: rng, blk or net", dev);
	if (strcmp(a, "all")) {
		one(a);
	} else {
		for (unsigned i = 0; i < NATTACKS; i++)
			one(attacks[i]);
	}
	kb_metric("attacks_refused", strcmp(a, "all") ? 1 : (int64_t)NATTACKS, 0, "attacks");
	kb_pass();
}
