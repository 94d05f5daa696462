/*
 * pktloop: the initramfs's virtio-net data check (/bin/pktloop, the init's
 * netcheck workload).  Behind kvmbench-vmm's `-netdev loopback` every frame
 * the guest sends comes back to it: this sends FRAMES Ethernet frames of
 * sizes from 42 to 1514 bytes on an AF_PACKET raw socket, to its own MAC,
 * with an EtherType of its own (0x88b5, local experimental), a sequence
 * number and a pattern that differs per frame and per byte, at most WINDOW
 * in flight, and checks that every frame comes back once, in order, byte
 * for byte.
 *
 *   pktloop IFNAME [FRAMES [WINDOW [TIMEOUT_MS]]]      (1000, 16, 5000)
 *
 * Prints `KVMBENCH METRIC net_frames_ok N frames` (frames back intact),
 * and when all came back intact, once and in order: net_bytes_ok and
 * net_frames_per_s (status 0).  Otherwise a line per problem (the first
 * five: `pktloop: frame 96 (884 bytes) skipped: frame 97 came back first`)
 * and `KVMBENCH CHECK FAIL net: ...` counting frames lost (nothing came
 * back for TIMEOUT_MS), late, duplicated, corrupt and never sent, with the
 * socket's PACKET_STATISTICS (received, dropped); status 1.  Status 2: the
 * socket could not be set up.  Built static by mkinitramfs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETYPE 0x88b5
#define HLEN 14
#define FRAME_MIN 42
#define FRAME_MAX 1514
#define MAGIC 0x4b42504cu /* "KBPL" */

static const unsigned special[] = {42,	59,  60,  61,  64,   127,  128,	 255,  256,
				   511, 512, 513, 999, 1023, 1024, 1500, 1513, 1514};
#define NSPECIAL (sizeof(special) / sizeof(special[0]))

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/* frame seq's size: the special sizes first, then spread over the range */
static unsigned frame_size(uint32_t seq)
{
	if (seq < NSPECIAL)
		return special[seq];
	return FRAME_MIN + mix(seq ^ 0x5a5a5a5au) % (FRAME_MAX - FRAME_MIN + 1);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* the whole frame seq: header, magic, seq, length, then the pattern */
static unsigned make_frame(uint8_t *f, const uint8_t mac[6], uint32_t seq)
{
	unsigned len = frame_size(seq);
	uint32_t x = mix(seq + 1);

	memcpy(f, mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = ETYPE >> 8, f[13] = ETYPE & 0xff;
	put32(f + 14, MAGIC);
	put32(f + 18, seq);
	f[22] = (uint8_t)(len >> 8), f[23] = (uint8_t)len;
	for (unsigned i = 24; i < len; i++) {
		if (i % 4 == 0)
			x = mix(x + i);
		f[i] = (uint8_t)(x >> (8 * (i % 4)));
	}
	return len < 24 ? 24 : len;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void frame_stats(int fd, unsigned *packets, unsigned *drops)
{
	struct tpacket_stats st = {0};
	socklen_t l = sizeof(st);

	getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &l);
	*packets = st.tp_packets, *drops = st.tp_drops;
}

/* One run: its arguments, the socket, and what came back so far.  `next` is
 * one past the highest frame back: frames below it that have not come back
 * are late or lost.  The window counts from there, so a loss does not stall. */
struct loop {
	unsigned frames, window;
	int timeout_ms;
	int fd;
	uint8_t mac[6];
	unsigned sent, ok, next, late, dup, bad, extra, told, foreign;
	unsigned long long bytes;
	int send_failed;
	uint8_t tx[FRAME_MAX], rx[FRAME_MAX + 64];
	uint8_t seen[1u << 20];
};

/* A raw socket bound to ifname, seeing every frame, not only ours (one
 * that comes back garbled or as a frame of another type is seen and shown,
 * foreign); its MAC in mac.  -1 after printing the failure. */
static int open_socket(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = {0};
	struct sockaddr_ll sll = {0};
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		printf("KVMBENCH CHECK FAIL net: %s: %s\n", ifname, strerror(errno));
		return -1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		printf("KVMBENCH CHECK FAIL net: %s: %s\n", ifname, strerror(errno));
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return fd;
}

/* Send frames until the window is full, all are sent or a send fails. */
static void send_window(struct loop *l)
{
	while (!l->send_failed && l->sent < l->frames && l->sent - l->next < l->window) {
		unsigned len = make_frame(l->tx, l->mac, l->sent);

		if (send(l->fd, l->tx, len, 0) != (ssize_t)len) {
			printf("pktloop: send of frame %u (%u bytes): %s\n", l->sent, len,
			       strerror(errno));
			l->send_failed = 1;
			break;
		}
		l->sent++;
	}
}

/* A frame that is not one of ours: counted, and the first shown (the
 * kernel's own, IPv6 neighbour discovery and MLD, come back too: not shown). */
static void take_foreign(struct loop *l, ssize_t n)
{
	unsigned type = n >= 14 ? (unsigned)l->rx[12] << 8 | l->rx[13] : 0;

	l->foreign++;
	if (type != 0x86dd && l->told++ < 5) {
		printf("pktloop: a foreign frame of %zd bytes, type 0x%04x:", n, type);
		for (ssize_t i = 0; i < n && i < 32; i++)
			printf(" %02x", l->rx[i]);
		printf("\n");
	}
}

/* Frame seq is back: 0 when it is new (late or in order, frames it
 * skipped shown), -1 when it was never sent or came back before. */
static int take_seq(struct loop *l, ssize_t n, uint32_t seq)
{
	if (seq >= l->sent) {
		if (l->told++ < 5)
			printf("pktloop: a frame of %zd bytes that was not sent (seq %u)\n", n,
			       seq);
		l->extra++;
		return -1;
	}
	if (l->seen[seq]) {
		if (l->told++ < 5)
			printf("pktloop: frame %u came back again\n", seq);
		l->dup++;
		return -1;
	}
	l->seen[seq] = 1;
	if (seq < l->next) {
		if (l->told++ < 5)
			printf("pktloop: frame %u came back after frame %u\n", seq, l->next - 1);
		l->late++;
		return 0;
	}
	for (unsigned i = l->next; i < seq && l->told < 5; i++)
		if (!l->seen[i] && l->told++ < 5)
			printf("pktloop: frame %u (%u bytes) skipped: frame %u "
			       "came back first\n",
			       i, frame_size(i), seq);
	l->next = seq + 1;
	return 0;
}

/* The n bytes in rx, received: foreign, a repeat, corrupt or intact. */
static void take_frame(struct loop *l, ssize_t n)
{
	const uint8_t *rx = l->rx;
	uint32_t magic = n >= 24 ? get32(rx + 14) : 0, seq = n >= 24 ? get32(rx + 18) : ~0u;

	if (n < 24 || rx[12] != ETYPE >> 8 || rx[13] != (ETYPE & 0xff) || magic != MAGIC) {
		take_foreign(l, n);
		return;
	}
	if (take_seq(l, n, seq) < 0)
		return;
	unsigned len = make_frame(l->tx, l->mac, seq), i = 0;

	while (i < len && i < (size_t)n && rx[i] == l->tx[i])
		i++;
	if ((size_t)n != len || i < len) {
		if (l->told++ < 5)
			printf("pktloop: frame %u came back with %zd bytes, sent %u; first "
			       "difference at byte %u\n",
			       seq, n, len, i);
		l->bad++;
		return;
	}
	l->ok++;
	l->bytes += len;
}

/* Send and take frames until nothing comes back for the timeout (200 ms
 * once all are back, for extra frames); the time all were back, or 0. */
static double run(struct loop *l)
{
	double t1 = 0;

	for (;;) {
		send_window(l);
		if (!t1 && l->ok + l->bad == l->frames)
			t1 = now_s(); /* all back: wait a little longer for extra frames */
		struct pollfd p = {l->fd, POLLIN, 0};
		int r = poll(&p, 1, t1 ? 200 : l->timeout_ms);

		if (r < 0)
			printf("pktloop: poll: %s\n", strerror(errno));
		if (r <= 0)
			break;
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n =
		    recvfrom(l->fd, l->rx, sizeof(l->rx), MSG_TRUNC, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			printf("pktloop: recv: %s\n", strerror(errno));
			break;
		}
		if (from.sll_pkttype != PACKET_OUTGOING)
			take_frame(l, n);
	}
	return t1;
}

/* The metrics, or the failure with every count; the exit status. */
static int report(const struct loop *l, double t0, double t1)
{
	unsigned lost = 0, packets, drops;

	for (unsigned i = 0; i < l->sent; i++)
		lost += !l->seen[i];
	frame_stats(l->fd, &packets, &drops);
	printf("KVMBENCH METRIC net_frames_ok %u frames\n", l->ok);
	if (l->ok == l->frames && !l->late && !l->dup && !l->extra && !l->send_failed) {
		printf("KVMBENCH METRIC net_bytes_ok %llu bytes\n", l->bytes);
		printf("KVMBENCH METRIC net_frames_per_s %.0f frames/s\n",
		       t1 > t0 ? l->ok / (t1 - t0) : 0.0);
		return 0;
	}
	printf("KVMBENCH CHECK FAIL net: %u of %u frames sent, %u back intact, %u lost "
	       "(nothing for %d ms), %u late, %u duplicated, %u corrupt, %u never sent; socket: "
	       "%u received, %u dropped, %u foreign\n",
	       l->sent, l->frames, l->ok, lost, l->timeout_ms, l->late, l->dup, l->bad, l->extra,
	       packets, drops, l->foreign);
	return 1;
}

int main(int argc, char **argv)
{
	static struct loop l;

	l.frames = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 1000;
	l.window = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 16;
	l.timeout_ms = argc > 4 ? atoi(argv[4]) : 5000;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || !l.window || l.window > 128 || l.frames > sizeof(l.seen)) {
		fprintf(stderr,
			"usage: pktloop IFNAME [FRAMES(<=%zu) [WINDOW(1-128) [TIMEOUT_MS]]]\n",
			sizeof(l.seen));
		return 2;
	}
	l.fd = open_socket(argv[1], l.mac);
	if (l.fd < 0)
		return 2;
	double t0 = now_s(), t1 = run(&l);

	if (!t1)
		t1 = now_s();
	return report(&l, t0, t1);
}
