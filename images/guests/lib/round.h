/*
 * The doubling rounds of the benchmark runner (cases.c), apart from the
 * guest so that a unit test can drive them (tests/unit/test_round.c).
 *
 * A round of iters iterations that took cycles counts once it lasts min
 * cycles, unless it took more than 3x the round before it (half as many
 * iterations: about 2x is expected).  That is a host stall, which would
 * read as a slow operation: one stall in a 4-iteration round of hlt read
 * as 5 ms per HLT against 0.1 ms.  Such a round is doubled again, as long
 * as all the rounds so far took under 16x min in all.
 */
#ifndef KB_GUEST_ROUND_H
#define KB_GUEST_ROUND_H

#include <stdint.h>

#define KB_ROUND_MAX_ITERS (1ull << 40)

struct kb_rounds {
	uint64_t iters;	 /* of the last round, the one measured */
	uint64_t cycles; /* it took */
	uint64_t total;	 /* iterations of all rounds */
	unsigned stalls; /* rounds refused as stalled */
};

/* Whether the round just run ends the doubling (prev: the round before,
 * 0 for the first; spent: the cycles of all rounds, this one included). */
static inline int kb_round_done(uint64_t cycles, uint64_t prev, uint64_t spent, uint64_t min,
				uint64_t iters)
{
	if (iters >= KB_ROUND_MAX_ITERS)
		return 1;
	if (cycles < min)
		return 0;
	return !prev || cycles <= 3 * prev || spent >= 16 * min;
}

/* Run rounds of 1, 2, 4, ... iterations through round(ctx, iters), which
 * returns the cycles a round took, until one is done; the result in *r. */
static inline void kb_rounds_run(uint64_t min, uint64_t (*round)(void *ctx, uint64_t iters),
				 void *ctx, struct kb_rounds *r)
{
	uint64_t prev = 0, spent = 0;

	r->iters = 1;
	r->total = 0;
	r->stalls = 0;
	for (;;) {
		r->cycles = round(ctx, r->iters);
		r->total += r->iters;
		spent += r->cycles;
		if (kb_round_done(r->cycles, prev, spent, min, r->iters))
			return;
		r->stalls += r->cycles >= min;
		prev = r->cycles;
		r->iters *= 2;
	}
}

#endif
