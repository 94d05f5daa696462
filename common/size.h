/*
 * Sizes and strict unsigned numbers (common/size.c).
 */
#ifndef KB_SIZE_H
#define KB_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* The console cap of kvmbench-vmm's -serial-cap when none is given (the
 * harness passes the same default): a guest that prints without end must
 * not fill the disk. */
#define KB_SERIAL_CAP_DEFAULT (64ull << 20)

/* Strict unsigned decimal of n characters: digits only, no sign, at most max.
 * Returns 0, or -1. */
int kb_uint_parse(const char *s, size_t n, unsigned long max, unsigned long *out);

/* Parse a size with an optional K/M/G/T suffix; a bare number is MiB (as -m).
 * Returns 0, or -1 when malformed or overflowing. */
int kb_size_parse(const char *s, uint64_t *out);

/* The same, but a bare number is bytes (caps on files and downloads). */
int kb_bytes_parse(const char *s, uint64_t *out);

#endif
