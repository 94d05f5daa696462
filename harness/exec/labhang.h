/*
 * What a lab's vCPUs were doing when it stopped making progress: QEMU's
 * human monitor, on a unix socket in a private directory, answers
 * "info registers -a"; each vCPU's RIP is named from the lab kernel's
 * symbols.  Its first boot copies /proc/kallsyms to build/lab/kallsyms;
 * each boot's init writes where its kernel's _text is (KASLR moves it on
 * every boot) into the run directory, so the names hold once a boot has
 * reached init.  Used when a lab does not come up in time or outlives its
 * timeout (lab.c), so that a hang seen once in CI says where it was.
 */
#ifndef KB_LABHANG_H
#define KB_LABHANG_H

#include <stddef.h>

/* A path for QEMU's monitor socket in a new directory of mode 0700 (the
 * monitor runs any command: nobody else may reach it).  0, or -1. */
int kb_labhang_socket(char *path, size_t len);

/* Remove that socket and its directory; path becomes "". */
void kb_labhang_socket_done(char *path);

/*
 * Ask the QEMU whose monitor listens on mon for every vCPU's registers
 * (waiting at most wait_ms for its answer), write them whole to path, and
 * put one line per vCPU into sum ("vCPU 1: in the kernel at
 * native_safe_halt+0xb (0xffffffff81a592eb), halted").  map: the lab
 * kernel's kallsyms (not used when older than the vmlinuz beside it), or
 * NULL; text: where this boot's kernel has its
 * _text, or 0 (unknown: no names).  0, or -1 with why in sum (the monitor
 * is not listening, closed, or did not answer in time: QEMU itself is
 * stuck).
 */
int kb_labhang_dump(const char *mon, const char *map, unsigned long long text, const char *path,
		    int wait_ms, char *sum, size_t sumlen);

/* Where the kernel of the boot with run directory rundir has its _text
 * (its init wrote it there), or 0. */
unsigned long long kb_labhang_boot_text(const char *rundir);

/* The symbol+offset of addr, in a kernel whose _text is at text, from a
 * kallsyms file of that kernel (any boot) into buf; buf empty when the
 * file is missing, text is 0, or addr is not in the file's text. */
void kb_labhang_symbol(const char *map, unsigned long long text, unsigned long long addr, char *buf,
		       size_t len);

#endif
