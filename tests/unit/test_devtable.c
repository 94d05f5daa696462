/*
 * The device tables: the machine's own devices (KB_DEVICES) created over a
 * bus as vm.c does, with -machine acpi-pm=on deciding the ACPI PM ports;
 * and -device parsed by the virtio models (KB_VIRTIO_MODELS): each device
 * its model, its backend resolved, its own properties (serial=, mac= and
 * QEMU's MAC sequence) kept.
 */
#include <stdio.h>
#include <stdlib.h>

#include "devices/devices.h"
#include "options.h"
#include "unit.h"
#include "virtio/devices.h"

static char err[512];

/* The table, as vm.c lists it, and each device's place in it. */
#define DEVICE(name) &kb_device_##name,
static const struct kb_device *const dev[] = {KB_DEVICES(DEVICE)};
#undef DEVICE
#define INDEX(name) AT_##name,
enum { KB_DEVICES(INDEX) };
#undef INDEX
_Static_assert(sizeof(dev) / sizeof(dev[0]) == KB_NDEVICES, "KB_NDEVICES counts the table");

static int parse(char **argv, int argc, struct kb_config *cfg)
{
	err[0] = 0;
	return kb_options_parse(argc, argv, cfg, err, sizeof(err));
}

/* Create every device of the table; the names registered on the bus. */
static unsigned create_all(struct kb_config *cfg, struct kb_bus *bus, void **state)
{
	struct kb_result res;
	struct kb_machine m = {cfg, bus, NULL, &res, NULL, -1};
	unsigned ok = 0;

	kb_bus_init(bus);
	kb_result_init(&res);
	for (unsigned i = 0; i < KB_NDEVICES; i++) {
		state[i] = NULL;
		ok += dev[i]->create(&m, &state[i]) == 0;
	}
	return ok;
}

static void test_table(void)
{
	char *argv[] = {"vmm", "-kernel", "k.elf", "-machine", "acpi-pm=on", NULL};
	struct kb_config cfg;
	struct kb_bus bus;
	void *state[KB_NDEVICES];

	for (unsigned i = 0; i < KB_NDEVICES; i++)
		CHECK(dev[i]->name && dev[i]->create);
	CHECK(parse(argv, 3, &cfg) == 0);
	CHECK_EQ(create_all(&cfg, &bus, state), KB_NDEVICES);
	CHECK(kb_bus_find(&bus, KB_SPACE_PIO, KB_PORT_FWCFG, 1) != NULL);
	CHECK(kb_bus_find(&bus, KB_SPACE_PIO, KB_PORT_RTC, 1) != NULL);
	CHECK(kb_bus_find(&bus, KB_SPACE_PIO, KB_PORT_ACPI_PM, 1) == NULL); /* not asked for */
	CHECK(state[AT_acpipm] == NULL && state[AT_rtc] != NULL);
	for (unsigned i = 0; i < KB_NDEVICES; i++)
		free(state[i]);
	CHECK(parse(argv, 5, &cfg) == 0);
	CHECK_EQ(create_all(&cfg, &bus, state), KB_NDEVICES);
	CHECK(kb_bus_find(&bus, KB_SPACE_PIO, KB_PORT_ACPI_PM, 1) != NULL);
	CHECK(!strcmp(kb_bus_find(&bus, KB_SPACE_PIO, KB_PORT_ACPI_PM, 1)->name, "acpi-pm"));
	for (unsigned i = 0; i < KB_NDEVICES; i++)
		free(state[i]);
}

/* The error for an unknown -device: every model of KB_VIRTIO_MODELS. */
static const char *expected_unknown(const char *driver)
{
#define MODEL(name) &kb_virtio_model_##name,
	static const struct kb_virtio_model *const models[] = {KB_VIRTIO_MODELS(MODEL)};
#undef MODEL
	static char buf[512];
	size_t at = (size_t)snprintf(buf, sizeof(buf), "unknown device '%s' (", driver);

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%s", i ? ", " : "",
				       models[i]->driver);
	snprintf(buf + at, sizeof(buf) - at, ")");
	return buf;
}

static void test_models(void)
{
	char *argv[] = {"vmm",
			"-kernel",
			"k.elf",
			"-device",
			"virtio-rng-pci,ioeventfd=off",
			"-netdev",
			"loopback,id=n0",
			"-device",
			"virtio-net-pci,netdev=n0",
			"-drive",
			"file=disk.img,if=none,id=d0",
			"-device",
			"virtio-blk-pci,drive=d0,serial=S1",
			"-netdev",
			"loopback,id=n1",
			"-device",
			"virtio-net-pci,netdev=n1,mac=52:54:00:aa:bb:cc",
			NULL};
	struct kb_config cfg;

	CHECK(parse(argv, 17, &cfg) == 0);
	CHECK_EQ(cfg.ndevices, 4);
	CHECK(cfg.devices[0].model == &kb_virtio_model_rng && !cfg.devices[0].ioeventfd);
	CHECK(cfg.devices[1].model == &kb_virtio_model_net && cfg.devices[1].index == 0);
	CHECK(cfg.devices[2].model == &kb_virtio_model_blk && cfg.devices[2].index == 0);
	CHECK(cfg.devices[3].model == &kb_virtio_model_net && cfg.devices[3].index == 1);
	/* the second device: QEMU's MAC sequence, 52:54:00:12:34:56 for the first */
	CHECK(!memcmp(cfg.devices[1].props.bytes, "\x52\x54\x00\x12\x34\x57", 6));
	CHECK(!memcmp(cfg.devices[3].props.bytes, "\x52\x54\x00\xaa\xbb\xcc", 6));
	CHECK(!strcmp((char *)cfg.devices[2].props.bytes, "S1"));
	/* -drive if=virtio: a virtio-blk of its own */
	argv[9] = "-drive", argv[10] = "file=disk.img,if=virtio";
	CHECK(parse(argv, 11, &cfg) == 0);
	CHECK(cfg.devices[2].model == &kb_virtio_model_blk && cfg.devices[2].index == 0);
	CHECK(!strcmp(cfg.drives[0].id, "virtio0"));
	/* the models' names, in the table's order */
	argv[3] = "-device", argv[4] = "virtio-gpu-pci";
	CHECK(parse(argv, 5, &cfg) == -1);
	CHECK_ERR(err, expected_unknown("virtio-gpu-pci"));
}

int main(void)
{
	test_table();
	test_models();
	return unit_summary("devtable");
}
