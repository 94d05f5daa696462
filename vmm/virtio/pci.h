/*
 * The modern virtio-pci transport (virtio 1.x, 4.1) of a virtio device
 * (pci.c): a PCI function with vendor capabilities for the common, notify,
 * ISR and device configuration structures in BAR 0, MSI-X (one vector per
 * queue plus configuration changes) in BAR 1.  It owns the registers the
 * driver reads and writes (feature and queue selects, queue addresses,
 * MSI-X vectors, the ISR), turns a notify into kb_virtio_process() and
 * status writes into kb_virtio_set_status(), and raises the device's
 * interrupts.  The device itself is core.c's (virtio.h).
 *
 * Not vmm/pci.h, the PCI host bridge and bus, which this builds on.
 */
#ifndef KB_VIRTIO_PCI_H
#define KB_VIRTIO_PCI_H

#include <stdint.h>

#include "virtio.h"

/* BAR 0 layout: each structure in its own 4 KiB page */
#define KB_VIRTIO_COMMON_OFF 0x0000
#define KB_VIRTIO_ISR_OFF 0x1000
#define KB_VIRTIO_DEVICE_OFF 0x2000
#define KB_VIRTIO_NOTIFY_OFF 0x3000
#define KB_VIRTIO_NOTIFY_MULT 4
#define KB_VIRTIO_BAR0_SIZE 0x4000
#define KB_VIRTIO_MSIX_PBA_OFF 0x800

/* Add v as a function of pci: BARs, their regions on the bus, the
 * capabilities, MSI-X and (v->ioeventfd) a notify eventfd per queue
 * registered with KVM.  0, or -1 with err. */
int kb_virtio_pci_init(struct kb_virtio_dev *v, struct kb_pci *pci, char *err, size_t errlen);

/* The transport's registers at reset: selects 0, no configuration vector,
 * the ISR clear and INTx lowered.  Lock held. */
void kb_virtio_pci_reset(struct kb_virtio_dev *v);

/* Interrupt the driver for used buffers in queue q, or for a change of
 * the configuration (the device status): the ISR bit, then the MSI-X
 * vector when MSI-X is on, else INTx.  Lock held. */
void kb_virtio_pci_signal_vq(struct kb_virtio_dev *v, unsigned q);
void kb_virtio_pci_signal_config(struct kb_virtio_dev *v);

#endif
