/*
 * PCI: a host bridge on configuration mechanism #1 (0xCF8 address, 0xCFC
 * data), bus 0, function 0 only, type-0 headers with 32-bit memory BARs
 * assigned by the VMM (the VMM is the firmware) from the PCI window of
 * kvmbench/abi.h, capability lists, and MSI-X whose vectors are KVM GSI routes
 * fired through irqfds; without MSI-X, INTA# on IOAPIC pin 16 + slot % 8,
 * level-triggered (the DSDT's _PRT says so).  The BARs stay where the VMM put them: the bus is
 * fixed once the vCPUs run, so a guest writing another address (other
 * than the all-ones size probe) reads back the assigned one.
 */
#ifndef KB_PCI_H
#define KB_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "result.h"

#define KB_PCI_SLOTS 32
#define KB_PCI_MAX_VECTORS 8

struct kb_pci;

struct kb_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct kb_pci_dev {
	struct kb_pci *pci;
	unsigned slot;
	const char *name;
	uint8_t cfg[256];
	uint8_t wmask[256];	    /* guest-writable bits of cfg */
	uint32_t bar_size[6];	    /* 0: BAR unused */
	bool bar_probe[6];	    /* all ones written: reads give the size mask */
	unsigned cap_end, cap_last; /* next free byte; where the last next pointer is */
	/* MSI-X */
	unsigned msix_cap, nvec;
	struct kb_msix_entry msix[KB_PCI_MAX_VECTORS];
	uint64_t pending; /* PBA */
	int gsi[KB_PCI_MAX_VECTORS];
	int irqfd[KB_PCI_MAX_VECTORS];
	uint64_t interrupts, masked_interrupts;
	bool intx_level;       /* INTA# asserted now */
	bool pending_intx;     /* the device's wish (the command register may mask it) */
	uint64_t intx_asserts; /* times INTA# went from low to high */
	char msix_name[48];
};

struct kb_pci {
	pthread_mutex_t lock; /* config space and MSI-X state of every device */
	int vm_fd;
	struct kb_bus *bus;
	struct kb_pci_dev *dev[KB_PCI_SLOTS];
	struct kb_pci_dev host_bridge;
	uint32_t addr;		  /* 0xCF8 */
	uint8_t rcr;		  /* 0xCF9, the reset control register: bit 1 kept */
	struct kb_result *result; /* a reset through 0xCF9 ends the VM; NULL: ignored */
	uint64_t mmio_next;
	int next_gsi;
	bool routes_dirty;
};

/* The host bridge at slot 0 and the 0xCF8/0xCFC ports (with the reset
 * control register at 0xCF9: set pci->result).  Returns 0 or -errno. */
int kb_pci_init(struct kb_pci *pci, struct kb_bus *bus, int vm_fd);

/* Put d in the next free slot with the IDs and class given. */
int kb_pci_add(struct kb_pci *pci, struct kb_pci_dev *d, const char *name, uint16_t vendor,
	       uint16_t device, uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys,
	       uint8_t revision);

/* Assign BAR n (32-bit memory, non-prefetchable) of size bytes (a power of
 * two, >= 4 KiB); returns its guest-physical address, or 0 when the PCI
 * window is full. */
uint64_t kb_pci_bar(struct kb_pci_dev *d, unsigned n, uint32_t size);

/* Append a capability of len bytes (id in body[0]); returns its offset. */
unsigned kb_pci_cap(struct kb_pci_dev *d, const uint8_t *body, unsigned len);

/* MSI-X with nvec vectors, table and PBA in BAR bar at table_off/pba_off;
 * registers the table region on the bus and an irqfd per vector.
 * Returns 0 or -errno. */
int kb_pci_msix(struct kb_pci_dev *d, unsigned nvec, unsigned bar, uint32_t table_off,
		uint32_t pba_off);

/* Raise MSI-X vector v (from any thread): through its irqfd, or into the
 * PBA while masked.  Without MSI-X enabled nothing is sent (see
 * kb_pci_interrupt, which falls back to INTA#). */
void kb_pci_notify(struct kb_pci_dev *d, unsigned v);

/* Drive INTA# (level-triggered) to level; ignored while the command
 * register's INTx disable bit is set.  Any thread. */
void kb_pci_intx(struct kb_pci_dev *d, bool level);

/* Interrupt: MSI-X vector v when MSI-X is enabled (nothing for a vector
 * the device does not have: the driver assigned none), else INTA#
 * asserted.  Any thread: the choice and the interrupt under one lock, as
 * the guest may enable or disable MSI-X at any time. */
void kb_pci_interrupt(struct kb_pci_dev *d, unsigned v);

/* The GSI of a slot's INTA#: 16 + slot % 8 (IOAPIC pins 16-23). */
#define KB_PCI_INTX_GSI(slot) (16u + (slot) % 8u)

/* Did the guest enable memory decoding and bus mastering? */
bool kb_pci_enabled(const struct kb_pci_dev *d);

void kb_pci_destroy(struct kb_pci *pci);

#endif
