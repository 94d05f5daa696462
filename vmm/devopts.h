/*
 * -drive, -netdev and -device in QEMU's key=value form (devopts.c,
 * docs/devices.md): each parsed into kb_config as given, then, once every
 * option is read, kb_resolve_devices() ties each device to its drive or
 * netdev (QEMU allows them in any order).  Pure, like options.c.
 */
#ifndef KB_DEVOPTS_H
#define KB_DEVOPTS_H

#include <stddef.h>

struct kb_config;

/* One -drive, -netdev or -device value v into cfg.  0, or -1 with err. */
int kb_parse_drive(const char *v, struct kb_config *cfg, char *err, size_t errlen);
int kb_parse_netdev(const char *v, struct kb_config *cfg, char *err, size_t errlen);
int kb_parse_device(const char *v, struct kb_config *cfg, char *err, size_t errlen);
/* After every option: each device names an existing drive or netdev, no
 * two the same one, and every drive has a device.  0, or -1 with err. */
int kb_resolve_devices(struct kb_config *cfg, char *err, size_t errlen);

/* -device's line of -h: each model's usage, then the common properties.
 * Returns buf. */
const char *kb_device_usage(char *buf, size_t len);

#endif
