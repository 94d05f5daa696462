/*
 * QEMU's fw_cfg, the legacy I/O interface only (no DMA): a 16-bit write to
 * 0x510 selects an item, 8-bit reads from 0x511 return its bytes in order,
 * then zeros.  Enough for test images written for QEMU to learn the CPU
 * count and RAM size (docs/fw_cfg.txt in QEMU's tree describes the keys).
 */
#include "devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../options.h"

#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_FILE_DIR 0x19

static void add(struct kb_fwcfg *f, uint16_t key, const void *data, uint32_t len)
{
	if (f->n == KB_FWCFG_ITEMS || len > sizeof(f->item[0].data))
		return; /* the items are the VMM's own: kb_fwcfg_init's list */
	f->item[f->n].key = key;
	memcpy(f->item[f->n].data, data, len);
	f->item[f->n].len = len;
	f->n++;
}

static void fwcfg_io(struct kb_io *io, void *opaque)
{
	struct kb_fwcfg *f = opaque;

	pthread_mutex_lock(&f->lock);
	if (io->addr == KB_PORT_FWCFG) {
		if (io->write && io->len >= 2) {
			memcpy(&f->key, io->data, 2);
			f->off = 0;
		} else if (!io->write) {
			memset(io->data, 0, io->len);
		}
	} else if (!io->write) {
		for (uint32_t i = 0; i < io->len; i++) {
			uint8_t b = 0;

			for (unsigned k = 0; k < f->n; k++)
				if (f->item[k].key == f->key && f->off < f->item[k].len)
					b = f->item[k].data[f->off];
			f->off++;
			io->data[i] = b;
		}
	}
	pthread_mutex_unlock(&f->lock);
}

int kb_fwcfg_init(struct kb_fwcfg *f, struct kb_bus *bus, uint64_t ram, unsigned cpus,
		  unsigned maxcpus)
{
	uint32_t id = 1, none = 0; /* traditional interface; zero files (big-endian) */
	uint16_t nb = (uint16_t)cpus, max = (uint16_t)maxcpus;
	int r;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	add(f, FW_CFG_SIGNATURE, "QEMU", 4);
	add(f, FW_CFG_ID, &id, 4);
	add(f, FW_CFG_RAM_SIZE, &ram, 8);
	add(f, FW_CFG_NB_CPUS, &nb, 2);
	add(f, FW_CFG_MAX_CPUS, &max, 2);
	add(f, FW_CFG_FILE_DIR, &none, 4);
	r = kb_bus_register(bus, KB_SPACE_PIO, KB_PORT_FWCFG, KB_PORT_FWCFG_LEN, "fw_cfg", fwcfg_io,
			    f);
	return r < 0 ? r : 0;
}

static int fwcfg_create(const struct kb_machine *m, void **state)
{
	struct kb_fwcfg *f = *state = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	return kb_fwcfg_init(f, m->bus, m->cfg->mem_size, m->cfg->smp.cpus, m->cfg->smp.maxcpus);
}

const struct kb_device kb_device_fwcfg = {"fw_cfg", fwcfg_create, NULL};
