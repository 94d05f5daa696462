/*
 * KVM's binary statistics (KVM_GET_STATS_FD) for the VM and each vCPU.
 *
 * The descriptors are read once; a snapshot reads every scalar value with
 * one pread.  The stats JSON stores cumulative counters as the difference
 * between the snapshot taken after set-up and the one at the end, and
 * instant and peak values as they were at the end.  Histograms are left
 * out.
 */
#ifndef KB_KVMSTATS_H
#define KB_KVMSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kb_kstat_desc {
	char name[64];
	uint32_t flags; /* KVM_STATS_TYPE_* | KVM_STATS_UNIT_* | BASE */
	int16_t exponent;
	uint32_t offset; /* bytes into the data block */
};

struct kb_kstats {
	int fd; /* -1 when the kernel has no binary stats */
	unsigned n;
	struct kb_kstat_desc *desc;
	uint64_t data_offset;
	size_t data_size;
	uint64_t *begin, *end; /* values of the two snapshots */
	uint8_t *buf;
};

/* Open the stats of a VM or vCPU fd.  Returns 0, or -1 with errno (the
 * struct is then empty but safe to snapshot and destroy). */
int kb_kstats_open(struct kb_kstats *s, int kvm_object_fd);
/* Read every value into begin (first) or end (!first).  Returns 0 or -1. */
int kb_kstats_snapshot(struct kb_kstats *s, bool first);
/* The value to report for stat i: end - begin for cumulative counters. */
uint64_t kb_kstats_value(const struct kb_kstats *s, unsigned i);
void kb_kstats_destroy(struct kb_kstats *s);

#endif
