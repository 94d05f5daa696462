/*
 * Fuzz target for the exit dispatcher and the device models: the input is
 * a guest's stream of exits.  Each input gets a fresh machine built the way
 * vm.c builds one, without KVM (vm_fd -1: no irqchip, irqfd or ioeventfd):
 * bench device, UART, every device of the table (KB_DEVICES, with
 * -machine acpi-pm=on, so all of them), the PCI host bridge and virtio-blk (on a 64 KiB file), virtio-net
 * (loopback) and virtio-rng, over 256 KiB of guest RAM in one exact-size
 * allocation.  Each exit goes through kb_exit_dispatch() with a kvm_run of
 * exactly two pages, as KVM maps it.
 *
 * The input is a list of operations, each an opcode byte and its operands
 * (missing bytes read as zero):
 *   0 port I/O    region, offset, size, direction, count (rep ins/outs), data
 *   1 MMIO        region (or a raw address), offset, size, direction, data
 *   2 PCI config  0xCF8 address (slot, offset; or raw), then the 0xCFC access
 *   3 MSI-X       a virtio device's BAR 1: table and pending bit array
 *   4 RAM         bytes written into guest RAM (rings, descriptors, requests)
 *   5 raw exit    any exit reason, bytes copied over kvm_run's fields
 * Regions are picked by index among those registered, so most accesses
 * reach a device; tests/fuzz/mkseeds.py writes the seed corpus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/devices.h"
#include "exit.h"
#include "fuzz.h"
#include "options.h"
#include "pci.h"
#include "common/util.h"
#include "virtio/devices.h"

#define RAM (256u << 10)
#define RUN_SIZE 8192
#define DATA_OFF 4096
#define MAX_OPS 2000
#define DISK_SIZE (64u << 10)

static struct {
	struct kb_bus bus;
	struct kb_mem mem;
	struct kb_result res;
	struct kb_bench bench;
	struct kb_uart uart;
	void *devstate[KB_NDEVICES];
	struct kb_pci pci;
	struct kb_virtio_dev vdev[3];
	unsigned nvdev;
	struct kb_acct acct;
} m;
/* The device table, as vm.c lists it, and the options its devices read. */
#define DEVICE(name) &kb_device_##name,
static const struct kb_device *const devices[] = {KB_DEVICES(DEVICE)};
#undef DEVICE
static struct kb_config cfg = {.mem_size = RAM, .smp = {.cpus = 2, .maxcpus = 4}, .acpi_pm = true};
static struct kvm_run *run;
static FILE *devnull;
static char *disk;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	m.mem.host = malloc(RAM);
	run = malloc(RUN_SIZE);
	devnull = fopen("/dev/null", "w");
	disk = fuzz_path("disk.img");
	return 0;
}

static void fail(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_exits: cannot build the machine: %s: %s\n", what, why);
	exit(1);
}

/* The device table's devices, in its order, as vm.c creates them. */
static void machine_table(void)
{
	const struct kb_machine tm = {&cfg, &m.bus, &m.mem, &m.res, NULL, -1};
	int r;

	for (unsigned i = 0; i < KB_NDEVICES; i++) {
		m.devstate[i] = NULL;
		if ((r = devices[i]->create(&tm, &m.devstate[i])))
			fail(devices[i]->name, strerror(-r));
	}
}

/* The machine of vm.c's create_devices(), minus KVM. */
static void machine_up(void)
{
	static const char *const names[3] = {"virtio-blk0", "virtio-net0", "virtio-rng0"};
	struct kb_blk_opts blk = {disk, false, false, "fuzz"};
	struct kb_net_opts net = {true, NULL, {0x52, 0x54, 0, 0x12, 0x34, 0x56}};
	char err[256];
	int r;

	memset(m.mem.host, 0, RAM);
	memset(&m.acct, 0, sizeof(m.acct));
	m.mem.size = m.mem.low = RAM;
	m.mem.fd = -1;
	fuzz_write_file(disk, NULL, 0);
	if (truncate(disk, DISK_SIZE))
		fail("truncate", disk);
	kb_bus_init(&m.bus);
	kb_result_init(&m.res);
	if ((r = kb_bench_init(&m.bench, &m.bus, "^KVMBENCH UNTIL", &m.mem, &m.res)) ||
	    (r = kb_uart_init(&m.uart, &m.bus, devnull, &m.bench)))
		fail("devices", strerror(-r));
	machine_table();
	if ((r = kb_pci_init(&m.pci, &m.bus, -1)))
		fail("PCI host bridge", strerror(-r));
	kb_uart_set_irq(&m.uart, -1, KB_IRQ_COM1);
	m.pci.result = &m.res;
	memset(m.vdev, 0, sizeof(m.vdev));
	m.nvdev = 0;
	if (kb_virtio_blk_init(&m.vdev[0], names[0], &blk, false, &m.pci, &m.mem, -1, err,
			       sizeof(err)) ||
	    (m.nvdev++, kb_virtio_net_init(&m.vdev[1], names[1], &net, false, &m.pci, &m.mem, -1,
					   err, sizeof(err))) ||
	    (m.nvdev++,
	     kb_virtio_rng_init(&m.vdev[2], names[2], false, &m.pci, &m.mem, -1, err, sizeof(err))))
		fail("virtio", err);
	m.nvdev++;
	for (unsigned i = 0; i < m.nvdev; i++)
		if (kb_virtio_start(&m.vdev[i], err, sizeof(err)))
			fail("virtio", err);
}

static void machine_down(void)
{
	for (unsigned i = 0; i < m.nvdev; i++)
		kb_virtio_destroy(&m.vdev[i]);
	kb_pci_destroy(&m.pci);
	for (unsigned i = KB_NDEVICES; i-- > 0;) {
		if (devices[i]->destroy)
			devices[i]->destroy(m.devstate[i]);
		else
			free(m.devstate[i]);
	}
	kb_uart_flush(&m.uart);
	kb_bench_destroy(&m.bench);
}

/* The input, read front to back; past its end every byte is zero. */
struct in {
	const uint8_t *p;
	size_t left;
};

static uint64_t get(struct in *in, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		if (in->left)
			v |= (uint64_t)*in->p++ << (8 * i), in->left--;
	return v;
}

static void get_bytes(struct in *in, uint8_t *to, size_t n)
{
	for (size_t i = 0; i < n; i++)
		to[i] = (uint8_t)get(in, 1);
}

static void dispatch(void)
{
	char why[256];

	kb_exit_dispatch(run, RUN_SIZE, &m.bus, &m.acct, 0, why, sizeof(why));
}

/* Port I/O; the data of an OUT comes from in, or from data when in is NULL. */
static void pio(uint16_t port, uint8_t size, bool out, uint32_t count, struct in *in,
		const void *data)
{
	memset(run, 0, RUN_SIZE);
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = DATA_OFF;
	if (out && in)
		get_bytes(in, (uint8_t *)run + DATA_OFF, (size_t)size * count);
	else if (out)
		memcpy((uint8_t *)run + DATA_OFF, data, (size_t)size * count);
	dispatch();
}

static void mmio(uint64_t addr, uint32_t len, bool write, struct in *in)
{
	memset(run, 0, RUN_SIZE);
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = addr;
	run->mmio.len = len;
	run->mmio.is_write = write;
	if (write)
		get_bytes(in, run->mmio.data, 8);
	dispatch();
}

/* An address inside a registered region of space sp (index sel), or,
 * for an index past them, a raw address from the input. */
static uint64_t pick(struct in *in, enum kb_space sp, uint8_t sel)
{
	uint64_t off = get(in, 2);

	if (sel >= m.bus.n[sp])
		return sp == KB_SPACE_PIO ? (uint16_t)off : off | get(in, 6) << 16;
	return m.bus.r[sp][sel].base + off % m.bus.r[sp][sel].len;
}

static void op(struct in *in)
{
	static const uint8_t sizes[4] = {1, 2, 4, 8};
	uint8_t code = (uint8_t)get(in, 1), a = (uint8_t)get(in, 1);
	uint8_t size = sizes[a & 3];
	bool write = a & 4;

	switch (code % 6) {
	case 0: {
		uint8_t sel = (uint8_t)get(in, 1);

		pio((uint16_t)pick(in, KB_SPACE_PIO, sel), size == 8 ? 4 : size, write,
		    1 + (a >> 3 & 3), in, NULL);
		break;
	}
	case 1: {
		uint8_t sel = (uint8_t)get(in, 1);

		mmio(pick(in, KB_SPACE_MMIO, sel), size, write, in);
		break;
	}
	case 2: {
		uint32_t addr = (uint32_t)get(in, 4);

		if (!(a & 0x80)) /* enabled, bus 0, function 0: a device's space */
			addr = 0x80000000u | (addr & 0x1f) << 11 | (addr >> 8 & 0xfc);
		pio(KB_PORT_PCI_ADDR, 4, true, 1, NULL, &addr);
		pio((uint16_t)(KB_PORT_PCI_DATA + (a >> 3 & 3)), size == 8 ? 4 : size, write, 1, in,
		    NULL);
		break;
	}
	case 3: {
		const struct kb_virtio_dev *v = &m.vdev[(a >> 3) % m.nvdev];
		uint64_t bar1 = kb_le32(v->pci.cfg + 0x14) & ~0xfull;

		mmio(bar1 + get(in, 2) % 0x1000, size, write, in);
		break;
	}
	case 4: {
		uint32_t at = (uint32_t)get(in, 4) % RAM, n = 1 + (a >> 3);

		for (uint32_t i = 0; i < n && at + i < RAM; i++)
			m.mem.host[at + i] = (uint8_t)get(in, 1);
		break;
	}
	default: /* any exit reason, any fields: what a broken KVM could leave */
		memset(run, 0, RUN_SIZE);
		run->exit_reason = (uint32_t)get(in, 1);
		get_bytes(in, (uint8_t *)&run->io, 1 + (a >> 2 & 31));
		dispatch();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};

	machine_up();
	for (unsigned n = 0; in.left && n < MAX_OPS; n++)
		op(&in);
	machine_down();
	return 0;
}

size_t fuzz_generate(uint8_t *buf, size_t max)
{
	size_t n = 1 + fuzz_rand() % (max < 2048 ? max : 2048);

	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)fuzz_rand();
	return n;
}
