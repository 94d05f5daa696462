/*
 * Small legacy devices that end the VM.
 *
 * isa-debug-exit (0xf4, 4 bytes): writing v ends the VM with exit status
 * (v << 1) | 1, exactly as QEMU's device, so QEMU-targeted test images run
 * unchanged.  i8042 (0x60, 0x64): command 0xFE on 0x64 pulses the reset
 * line, which ends the VM as QEMU -no-reboot does; reads say "no data".
 * pvpanic (0x505, QEMU's ISA device): reads give the events it knows, a
 * write of PANICKED or CRASH_LOADED ends the VM as a crash (Linux's
 * pvpanic driver does it from its panic notifier, after the backtrace).
 */
#include "devices.h"

static void debugexit_io(struct kb_io *io, void *opaque)
{
	uint32_t v = 0;

	if (!io->write) {
		for (uint32_t i = 0; i < io->len; i++)
			io->data[i] = 0;
		return;
	}
	for (uint32_t i = 0; i < io->len && i < 4; i++)
		v |= (uint32_t)io->data[i] << (8 * i);
	kb_result_set(opaque, (int)((v << 1) | 1) & 0xff, "debug-exit", (int)io->vcpu,
		      "isa-debug-exit wrote 0x%x", v);
}

int kb_debugexit_init(struct kb_bus *bus, struct kb_result *result)
{
	int id = kb_bus_register(bus, KB_SPACE_PIO, KB_PORT_DEBUG_EXIT, KB_PORT_DEBUG_EXIT_LEN,
				 "isa-debug-exit", debugexit_io, result);
	return id < 0 ? id : 0;
}

static void i8042_io(struct kb_io *io, void *opaque)
{
	if (!io->write) {
		io->data[0] = 0; /* status: output buffer empty */
		for (uint32_t i = 1; i < io->len; i++)
			io->data[i] = 0xff;
		return;
	}
	if (io->addr == KB_PORT_I8042_CMD && io->data[0] == 0xfe)
		kb_result_set(opaque, KB_EXIT_PASS, "reset", (int)io->vcpu,
			      "guest reset the machine through the i8042");
}

int kb_i8042_init(struct kb_bus *bus, struct kb_result *result)
{
	int id =
	    kb_bus_register(bus, KB_SPACE_PIO, KB_PORT_I8042_DATA, 1, "i8042", i8042_io, result);

	if (id < 0)
		return id;
	id = kb_bus_register(bus, KB_SPACE_PIO, KB_PORT_I8042_CMD, 1, "i8042", i8042_io, result);
	return id < 0 ? id : 0;
}

static void pvpanic_io(struct kb_io *io, void *opaque)
{
	if (!io->write) {
		io->data[0] = KB_PVPANIC_PANICKED | KB_PVPANIC_CRASH_LOADED;
		return;
	}
	if (io->data[0] & KB_PVPANIC_PANICKED)
		kb_result_set(opaque, KB_EXIT_GUEST_CRASH, "crash", (int)io->vcpu,
			      "guest kernel panic, reported through pvpanic");
	else if (io->data[0] & KB_PVPANIC_CRASH_LOADED)
		kb_result_set(opaque, KB_EXIT_GUEST_CRASH, "crash", (int)io->vcpu,
			      "guest kernel panic, a crash kernel takes over (pvpanic "
			      "crash-loaded)");
}

int kb_pvpanic_init(struct kb_bus *bus, struct kb_result *result)
{
	int id =
	    kb_bus_register(bus, KB_SPACE_PIO, KB_PORT_PVPANIC, 1, "pvpanic", pvpanic_io, result);

	return id < 0 ? id : 0;
}

/* The table's entries (devices.h): stateless, they end the run. */
static int debugexit_create(const struct kb_machine *m, void **state)
{
	(void)state;
	return kb_debugexit_init(m->bus, m->result);
}

static int i8042_create(const struct kb_machine *m, void **state)
{
	(void)state;
	return kb_i8042_init(m->bus, m->result);
}

static int pvpanic_create(const struct kb_machine *m, void **state)
{
	(void)state;
	return kb_pvpanic_init(m->bus, m->result);
}

const struct kb_device kb_device_debugexit = {"isa-debug-exit", debugexit_create, NULL};
const struct kb_device kb_device_i8042 = {"i8042", i8042_create, NULL};
const struct kb_device kb_device_pvpanic = {"pvpanic", pvpanic_create, NULL};
