/*
 * rng: entropy from virtio-rng.  Requests `n=` buffers of 4 KiB (default
 * 64), checks each came back full and not constant, and reports bytes per
 * second and the mean request latency (the request alone: the checks run
 * outside the timed part).  irq=msix (the default), intx (the legacy
 * INTA# line through the IOAPIC, ISR read in the handler) or poll.
 */
#include "virtio.h"

int main(void)
{
	struct kb_vdev d;
	struct kb_vring r;
	const char *why;
	uint64_t n = kb_arg_u64("n", 64), bytes = 0;
	char mode[8] = "msix";

	kb_arg_str("irq", mode, sizeof(mode));
	bool intx = !strcmp(mode, "intx"),
	     irq = intx || !strcmp(mode, "msix") || !strcmp(mode, "1");
	uint8_t *buf = kb_alloc(4096, 4096);

	if (kb_virtio_open(&d, 4, 0, &why))
		kb_skip("virtio-rng: %s", why);
	if (kb_virtio_queue(&d, 0, &r, 0, intx ? KB_VIRTIO_INTX : irq ? 0 : -1, 0x50))
		kb_fail("virtio-rng: queue set-up refused");
	kb_virtio_ready(&d);
	uint64_t cycles = 0;

	for (uint64_t i = 0; i < n; i++) {
		struct kb_vbuf b = {buf, 4096, KB_VRING_WRITE};
		uint32_t len;
		unsigned distinct = 0;
		uint8_t seen[256] = {0};

		buf[0] = buf[4095] = 0;
		uint64_t t0 = rdtsc();

		kb_vring_add(&r, &b, 1);
		kb_vring_kick(&r);
		kb_vring_wait(&r, &len);
		cycles += rdtsc() - t0; /* the request alone, not the checks below */
		if (len != 4096)
			kb_fail("request %llu: %u bytes, not 4096", (unsigned long long)i, len);
		for (unsigned k = 0; k < 4096; k++)
			distinct += !seen[buf[k]]++;
		if (distinct < 200)
			kb_fail("request %llu: only %u distinct byte values in 4 KiB",
				(unsigned long long)i, distinct);
		bytes += len;
	}
	uint64_t khz = kb_bi->tsc_khz ? kb_bi->tsc_khz : 1;

	kb_metric("rng_bytes_per_s", (int64_t)(bytes * khz * 1000 / (cycles ? cycles : 1)), 0,
		  "B/s");
	kb_metric("rng_latency_ns", (int64_t)(cycles * 1000000 / khz / n), 0, "ns");
	kb_metric("rng_requests", (int64_t)n, 0, "requests");
	if (irq) { /* one more request, waited for by HLT alone: its interrupt must come */
		struct kb_vbuf b = {buf, 64, KB_VRING_WRITE};
		uint64_t before = r.irqs;

		kb_vring_add(&r, &b, 1);
		kb_vring_kick(&r);
		while (r.irqs == before)
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		kb_vring_wait(&r, NULL);
	}
	kb_printf("rng: %llu bytes in %llu requests, %llu interrupts\n", (unsigned long long)bytes,
		  (unsigned long long)n, (unsigned long long)r.irqs);
	if (irq && r.irqs == 0)
		kb_fail("no %s interrupt arrived", mode);
	kb_pass();
}
