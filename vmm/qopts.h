/*
 * QEMU's "driver,key=value,key=value" option syntax (-machine, -drive,
 * -device, -netdev): split once, look keys up by name, and reject any key
 * left unread, so that a misspelt property is an error rather than a
 * silently ignored setting.
 */
#ifndef KB_QOPTS_H
#define KB_QOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KB_QOPTS_MAX 16

struct kb_qopts {
	const char *opt; /* "-device", for messages */
	char buf[1024];
	unsigned n;
	struct {
		const char *key, *val; /* a bare leading item has key = implied */
		bool used;
	} kv[KB_QOPTS_MAX];
};

/* Parse s; a leading item without '=' is the value of key `implied` (NULL:
 * not allowed).  Returns 0, or -1 with err naming opt and the item. */
int kb_qopts_parse(struct kb_qopts *q, const char *opt, const char *s, const char *implied,
		   char *err, size_t errlen);
/* The value of key, or NULL; marks it read. */
const char *kb_qopts_get(struct kb_qopts *q, const char *key);
/* on|off (also yes/no, true/false) into *out, dflt when absent. */
int kb_qopts_bool(struct kb_qopts *q, const char *key, bool dflt, bool *out, char *err,
		  size_t errlen);
/* -1 with err naming the first key nobody read, else 0. */
int kb_qopts_check_used(const struct kb_qopts *q, char *err, size_t errlen);

#endif
