/*
 * ACPI fixed-hardware PM registers for -machine acpi-pm=on (the FADT then
 * points here instead of declaring hardware-reduced ACPI):
 *   +0 PM1a_STS (2 bytes, write 1 to clear), +2 PM1a_EN (2 bytes)
 *   +4 PM1a_CNT (2 bytes): SCI_EN reads 1 (no SMI_CMD, ACPI is always on);
 *      SLP_EN with SLP_TYP = \_S5 powers the machine off, which ends the
 *      VM with status 0 ("poweroff"); other sleep types are refused
 *   +8 PM_TMR (4 bytes, read-only): 32-bit count at 3.579545 MHz from the
 *      host's monotonic clock
 * No events are ever raised, so the SCI never fires.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../options.h"
#include "devices.h"

#define PM1_SCI_EN 0x0001
#define PM1_SLP_EN 0x2000
#define PM1_SLP_TYP(v) (((v) >> 10) & 7)

static uint32_t pm_timer(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* the count wraps at 2^32 (20 minutes), as the hardware's does */
	return (uint32_t)((uint64_t)ts.tv_sec * KB_ACPI_PM_TMR_HZ +
			  (uint64_t)ts.tv_nsec * KB_ACPI_PM_TMR_HZ / 1000000000u);
}

static void acpipm_io(struct kb_io *io, void *opaque)
{
	struct kb_acpipm *pm = opaque;
	uint64_t off = io->addr - KB_PORT_ACPI_PM;
	uint8_t regs[12] = {0};
	uint32_t v = 0;

	pthread_mutex_lock(&pm->lock);
	memcpy(regs + 0, &pm->sts, 2);
	memcpy(regs + 2, &pm->en, 2);
	memcpy(regs + 4, &pm->cnt, 2);
	uint32_t t = pm_timer();
	memcpy(regs + 8, &t, 4);
	if (!io->write) {
		for (uint32_t i = 0; i < io->len; i++)
			io->data[i] = off + i < sizeof(regs) ? regs[off + i] : 0xff;
		pthread_mutex_unlock(&pm->lock);
		return;
	}
	for (uint32_t i = 0; i < io->len && i < 4; i++)
		v |= (uint32_t)io->data[i] << (8 * i);
	if (off == 0) { /* status: write 1 to clear; a 32-bit write also sets EN */
		pm->sts &= (uint16_t)~v;
		if (io->len == 4)
			pm->en = (uint16_t)(v >> 16);
	} else if (off == 2) {
		pm->en = (uint16_t)v;
	} else if (off == 4) {
		pm->cnt = (uint16_t)((v & ~PM1_SLP_EN) | PM1_SCI_EN);
		if (v & PM1_SLP_EN) {
			if (PM1_SLP_TYP(v) == KB_ACPI_S5_TYP)
				kb_result_set(pm->result, KB_EXIT_PASS, "poweroff", (int)io->vcpu,
					      "guest powered off through ACPI (S5)");
			else
				pm->refused_sleeps++;
		}
	}
	pthread_mutex_unlock(&pm->lock);
}

int kb_acpipm_init(struct kb_acpipm *pm, struct kb_bus *bus, struct kb_result *result)
{
	int id;

	memset(pm, 0, sizeof(*pm));
	pthread_mutex_init(&pm->lock, NULL);
	pm->cnt = PM1_SCI_EN;
	pm->result = result;
	id = kb_bus_register(bus, KB_SPACE_PIO, KB_PORT_ACPI_PM, KB_PORT_ACPI_PM_LEN, "acpi-pm",
			     acpipm_io, pm);
	return id < 0 ? id : 0;
}

/* Only with -machine acpi-pm=on: hardware-reduced ACPI has no PM ports. */
static int acpipm_create(const struct kb_machine *m, void **state)
{
	struct kb_acpipm *pm;

	if (!m->cfg->acpi_pm)
		return 0;
	pm = *state = calloc(1, sizeof(*pm));
	return pm ? kb_acpipm_init(pm, m->bus, m->result) : -ENOMEM;
}

const struct kb_device kb_device_acpipm = {"acpi-pm", acpipm_create, NULL};
