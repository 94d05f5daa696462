/*
 * netio: frames through virtio-net.
 *   default   loopback backend (-netdev loopback): n= frames (default 256)
 *             of 64 bytes, each sent and waited for on the receive queue;
 *             checks every frame comes back intact and in order; reports
 *             packets per second and the round-trip latency.
 *   arp=A.B.C.D ip=E.F.G.H   a tap backend: broadcast an ARP request for A
 *             from E and wait (up to 5 s) for the reply; reports its time.
 * irq=0 polls instead of waiting for MSI-X interrupts.
 */
#include "virtio.h"

#define F_MAC (1ull << 5)
#define F_STATUS (1ull << 16)
#define HDR 12
#define NRX 16
#define BUFSZ 2048

static struct kb_vdev d;
static struct kb_vring rx, tx;
static uint8_t *rxbuf, *txbuf, mac[6];

static void post_rx(unsigned i)
{
	struct kb_vbuf b = {rxbuf + i * BUFSZ, BUFSZ, KB_VRING_WRITE};

	if (kb_vring_add(&rx, &b, 1) < 0) /* the slot is found again from the address */
		kb_fail("receive ring full");
}

static unsigned rx_slot(int head)
{
	return (unsigned)((rx.desc[head].addr - (uintptr_t)rxbuf) / BUFSZ);
}

static void send(uint32_t len)
{
	struct kb_vbuf b = {txbuf, HDR + len, 0};

	memset(txbuf, 0, HDR);
	kb_vring_add(&tx, &b, 1);
	kb_vring_kick(&tx);
}

static bool parse_ip(const char *key, uint8_t ip[4])
{
	char s[32];
	unsigned v = 0, k = 0;

	if (!kb_arg_str(key, s, sizeof(s)))
		return false;
	for (const char *p = s;; p++) {
		if (*p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned)(*p - '0');
		} else {
			if (k == 4 || v > 255)
				kb_fail("%s=%s: not an IPv4 address", key, s);
			ip[k++] = (uint8_t)v;
			v = 0;
			if (*p != '.')
				break;
		}
	}
	if (k != 4)
		kb_fail("%s=%s: not an IPv4 address", key, s);
	return true;
}

static void arp(const uint8_t target[4], const uint8_t me[4])
{
	uint8_t *f = txbuf + HDR;
	uint64_t khz = kb_bi->tsc_khz ? kb_bi->tsc_khz : 1000000, t0 = rdtsc();

	memset(f, 0xff, 6); /* broadcast */
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;			       /* ARP */
	memcpy(f + 14, "\x00\x01\x08\x00\x06\x04\x00\x01", 8); /* Ethernet, IPv4, request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, me, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, target, 4);
	memset(f + 42, 0, 18);
	send(60);
	while (rdtsc() - t0 < khz * 5000) {
		uint32_t len;
		int h = kb_vring_get(&rx, &len);

		if (h < 0) {
			cpu_relax();
			continue;
		}
		uint8_t *g = rxbuf + rx_slot(h) * BUFSZ + HDR;

		if (len >= HDR + 42 && g[12] == 0x08 && g[13] == 0x06 && g[21] == 2 &&
		    !memcmp(g + 28, target, 4)) {
			kb_metric("arp_reply_ns", (int64_t)((rdtsc() - t0) * 1000000 / khz), 0,
				  "ns");
			kb_printf("ARP reply from %u.%u.%u.%u: %02x:%02x:%02x:%02x:%02x:%02x\n",
				  target[0], target[1], target[2], target[3], g[22], g[23], g[24],
				  g[25], g[26], g[27]);
			kb_pass();
		}
		post_rx(rx_slot(h));
		kb_vring_kick(&rx);
	}
	kb_fail("no ARP reply from %u.%u.%u.%u within 5 s", target[0], target[1], target[2],
		target[3]);
}

int main(void)
{
	const char *why;
	uint64_t n = kb_arg_u64("n", 256);
	bool irq = kb_arg_u64("irq", 1);
	uint8_t target[4], me[4];

	if (kb_virtio_open(&d, 1, F_MAC | F_STATUS, &why))
		kb_skip("virtio-net: %s", why);
	if (kb_virtio_queue(&d, 0, &rx, NRX, irq ? 0 : -1, 0x52) ||
	    kb_virtio_queue(&d, 1, &tx, NRX, -1, 0))
		kb_fail("virtio-net: queue set-up refused");
	kb_virtio_ready(&d);
	for (int i = 0; i < 6; i++)
		mac[i] = d.device[i];
	if ((d.features & F_STATUS) && !(d.device[6] & 1))
		kb_fail("the link is down");
	rxbuf = kb_alloc(NRX * BUFSZ, 4096);
	txbuf = kb_alloc(BUFSZ, 4096);
	for (unsigned i = 0; i < NRX; i++)
		post_rx(i);
	kb_vring_kick(&rx);
	kb_printf("virtio-net: MAC %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3],
		  mac[4], mac[5]);
	if (parse_ip("arp", target)) {
		if (!parse_ip("ip", me))
			kb_fail("arp= needs ip= (this guest's address)");
		arp(target, me);
	}
	uint64_t lat = 0, t0 = rdtsc(), khz = kb_bi->tsc_khz ? kb_bi->tsc_khz : 1;

	for (uint64_t i = 0; i < n; i++) {
		uint8_t *f = txbuf + HDR;
		uint32_t len;

		memcpy(f, mac, 6);
		memcpy(f + 6, mac, 6);
		f[12] = 0x88, f[13] = 0xb5; /* local experimental EtherType */
		memcpy(f + 14, &i, 8);
		memset(f + 22, (int)(i & 0xff), 42);
		uint64_t t = rdtsc();

		send(64);
		int h = kb_vring_wait(&rx, &len);

		lat += rdtsc() - t;
		uint8_t *g = rxbuf + rx_slot(h) * BUFSZ + HDR;
		uint64_t seq;

		memcpy(&seq, g + 14, 8);
		if (len != HDR + 64 || seq != i || memcmp(g, f, 64))
			kb_fail("frame %llu came back as %u bytes, sequence %llu",
				(unsigned long long)i, len, (unsigned long long)seq);
		post_rx(rx_slot(h));
		kb_vring_kick(&rx);
		while (kb_vring_get(&tx, NULL) < 0)
			cpu_relax();
	}
	uint64_t cycles = rdtsc() - t0;

	kb_metric("net_pps", (int64_t)(n * khz * 1000 / (cycles ? cycles : 1)), 0, "packets/s");
	kb_metric("net_rtt_ns", (int64_t)(lat * 1000000 / khz / n), 0, "ns");
	kb_metric("net_packets", (int64_t)n, 0, "packets");
	kb_printf("netio: %llu frames looped back intact\n", (unsigned long long)n);
	kb_pass();
}
