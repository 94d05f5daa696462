/*
 * 64-bit FNV-1a, the one string hash of the project: a scenario point's key
 * (plan/expand.c) and a host's uuid (exec/rows.c) are FNV-1a of their
 * parameters, and both are stored in databases, so the hash must never
 * change.
 */
#ifndef KB_HASH_H
#define KB_HASH_H

#include <stdint.h>

#define KB_FNV1A_INIT 0xcbf29ce484222325ull /* FNV's 64-bit offset basis */

/* Hash s on from h (KB_FNV1A_INIT to start; a previous result to chain
 * several strings). */
static inline uint64_t kb_fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull; /* FNV's 64-bit prime */
	}
	return h;
}

#endif
