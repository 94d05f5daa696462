/*
 * How a device joins the machine.  vm.c creates the devices from two
 * tables: the machine's own devices, once each (struct kb_device, listed
 * in KB_DEVICES, devices/devices.h), and a virtio device per -device
 * (struct kb_virtio_model, listed in KB_VIRTIO_MODELS, virtio/devices.h).
 * Either kind is one file with its entry and one line in its list: see
 * docs/devices.md.
 */
#ifndef KB_DEVICE_H
#define KB_DEVICE_H

struct kb_bus;
struct kb_config;
struct kb_mem;
struct kb_pci;
struct kb_result;

/* What a device may use when it is created: the machine as vm.c made it
 * (vm_fd -1 in the unit tests and the fuzz targets: no KVM). */
struct kb_machine {
	const struct kb_config *cfg;
	struct kb_bus *bus;
	struct kb_mem *mem;
	struct kb_result *result; /* where a device ends the run */
	struct kb_pci *pci;	  /* the PCI host bridge (virtio devices) */
	int vm_fd;
};

/* One of the machine's own devices. */
struct kb_device {
	const char *name;
	/* Create the device (or nothing, when m->cfg does not ask for it) and
	 * register its ranges on m->bus.  State it allocates goes in *state,
	 * even when it then fails, for destroy().  0, or -errno. */
	int (*create)(const struct kb_machine *m, void **state);
	/* Release the state (NULL: free() it).  Called for every device of
	 * the table, in reverse order, after the vCPUs stopped; with NULL
	 * (not created, or stateless) it does nothing. */
	void (*destroy)(void *state);
};

#endif
