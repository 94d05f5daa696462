/*
 * CMOS RTC (MC146818) at 0x70/0x71 with the host's time (UTC), read-only:
 * BCD, 24-hour mode, no update in progress, no alarms or interrupts.
 * Other CMOS bytes read as zero and ignore writes.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "devices.h"

static uint8_t bcd(int v)
{
	return (uint8_t)((v / 10) << 4 | (v % 10));
}

static uint8_t rtc_reg(uint8_t reg)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (reg) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return bcd(tm.tm_wday + 1);
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x32: return bcd((tm.tm_year + 1900) / 100);
	case 0x0a: return 0x26; /* 32.768 kHz base, 1024 Hz rate, no update in progress */
	case 0x0b: return 0x02; /* 24-hour mode, BCD */
	case 0x0d: return 0x80; /* battery good */
	default: return 0;
	}
}

static void rtc_io(struct kb_io *io, void *opaque)
{
	struct kb_rtc *r = opaque;

	pthread_mutex_lock(&r->lock);
	if (io->addr == KB_PORT_RTC) {
		if (io->write)
			r->index = io->data[0] & 0x7f; /* bit 7 masks NMIs */
		else
			io->data[0] = r->index;
	} else if (!io->write) {
		io->data[0] = rtc_reg(r->index);
	}
	for (uint32_t i = 1; !io->write && i < io->len; i++)
		io->data[i] = 0xff;
	pthread_mutex_unlock(&r->lock);
}

int kb_rtc_init(struct kb_rtc *r, struct kb_bus *bus)
{
	int id;

	pthread_mutex_init(&r->lock, NULL);
	r->index = 0;
	id = kb_bus_register(bus, KB_SPACE_PIO, KB_PORT_RTC, 2, "rtc", rtc_io, r);
	return id < 0 ? id : 0;
}

static int rtc_create(const struct kb_machine *m, void **state)
{
	struct kb_rtc *r = *state = calloc(1, sizeof(*r));

	return r ? kb_rtc_init(r, m->bus) : -ENOMEM;
}

const struct kb_device kb_device_rtc = {"rtc", rtc_create, NULL};
