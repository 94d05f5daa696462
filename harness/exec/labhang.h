/*
 * What a lab's vCPUs were doing when it stopped making progress: QEMU's
 * human monitor, on an abstract unix socket of the lab's own, answers
 * "info registers -a"; each vCPU's RIP is named from the lab kernel's
 * symbols, which its first boot copies from /proc/kallsyms to
 * build/lab/kallsyms (the lab boots with nokaslr, so they hold for every
 * boot of that kernel).  Used
 * when a lab does not come up in time (lab.c), so that a hang seen once in
 * CI says where it was.
 */
#ifndef KB_LABHANG_H
#define KB_LABHANG_H

#include <stddef.h>

/* A monitor socket name of this process's own (abstract: no file). */
void kb_labhang_socket(char *name, size_t len);

/*
 * Ask the QEMU listening on name for every vCPU's registers (waiting at
 * most wait_ms for its answer), write them whole to path, and put one line
 * per vCPU into sum ("vCPU 0: kernel, native_safe_halt+0x6, halted").
 * map: the lab kernel's kallsyms, or NULL.  0, or -1 with why in sum
 * (QEMU's monitor did not answer: QEMU itself is stuck).
 */
int kb_labhang_dump(const char *name, const char *map, const char *path, int wait_ms, char *sum,
		    size_t sumlen);

/* The symbol+offset of addr from a kallsyms (or System.map) file into
 * buf; buf empty when the file is missing or addr is not in its text. */
void kb_labhang_symbol(const char *map, unsigned long long addr, char *buf, size_t len);

#endif
