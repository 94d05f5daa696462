/*
 * A very small unit-test harness: CHECK records a failure with file and
 * line and carries on; unit_summary() prints "unit NAME: N passed, N failed"
 * and returns the exit status.
 */
#ifndef KB_UNIT_H
#define KB_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_passed, unit_failed;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (cond) {                                                                      \
			unit_passed++;                                                           \
		} else {                                                                         \
			unit_failed++;                                                           \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);     \
		if (a_ == b_) {                                                                    \
			unit_passed++;                                                             \
		} else {                                                                           \
			unit_failed++;                                                             \
			fprintf(stderr, "%s:%d: %s == %s: 0x%llx != 0x%llx\n", __FILE__, __LINE__, \
				#a, #b, a_, b_);                                                   \
		}                                                                                  \
	} while (0)

/* err contains the substring want */
#define CHECK_ERR(err, want) CHECK(strstr((err), (want)) != NULL)

int unit_summary(const char *name);

/* An ELF64 x86-64 executable header: program headers at phoff. */
#include <elf.h>
void unit_elf_header(Elf64_Ehdr *eh, uint64_t phoff, unsigned phnum, uint64_t entry);

#endif
