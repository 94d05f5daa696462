/*
 * What the fuzz targets share (tests/fuzz/): the libFuzzer entry points,
 * the smoke driver's hooks (driver.c) and small helpers (fuzzlib.c).
 */
#ifndef KB_FUZZ_H
#define KB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Every target: one input, any bytes; returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional one-time set-up (libFuzzer calls it too). */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* Optional, smoke driver only: write a structured random input of at most
 * max bytes into buf (from fuzz_rand) and return its size. */
size_t fuzz_generate(uint8_t *buf, size_t max) __attribute__((weak));
/* Seeded random numbers (the smoke driver's, and fuzz_generate's). */
void fuzz_srand(uint64_t seed);
uint32_t fuzz_rand(void);

/* A private directory for the target's files (created on first use and
 * removed at exit): the path of NAME in it, malloc'd. */
char *fuzz_path(const char *name);
/* Write data[0..size) to the file at path, replacing it; exits on error. */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size);
/* A loader put what into guest RAM where it must not: print the image's
 * [lo, hi) and entry, then abort. */
void fuzz_abort_outside(const char *what, uint64_t lo, uint64_t hi, uint64_t entry)
    __attribute__((noreturn));

#endif
