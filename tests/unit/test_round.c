/*
 * The guests' doubling rounds (images/guests/lib/round.h): a round that
 * lasts long enough ends them, unless a host stall made it long; driven
 * by simulated rounds of a known cost.
 */
#include "images/guests/lib/round.h"
#include "unit.h"

/* A simulated operation of cost cycles, with stall cycles added to the
 * round whose iteration count is stall_at (0: none), or with every, to
 * each round from there on a stall that grows faster than the rounds. */
struct sim {
	uint64_t cost, stall, stall_at, rounds;
	int every;
};

static uint64_t sim_round(void *ctx, uint64_t iters)
{
	struct sim *s = ctx;
	uint64_t c = 200 + iters * s->cost;

	s->rounds++;
	if (s->every && s->stall_at && iters >= s->stall_at) /* each 8x the one before */
		return 31 * c * (iters / s->stall_at) * (iters / s->stall_at);
	return c + (iters == s->stall_at ? s->stall : 0);
}

static void done_rule(void)
{
	CHECK(kb_round_done(5000, 0, 5000, 4000, 1));	   /* the first round, long enough */
	CHECK(!kb_round_done(3000, 0, 3000, 4000, 1));	   /* too short */
	CHECK(kb_round_done(4100, 2000, 6100, 4000, 8));   /* twice the one before */
	CHECK(kb_round_done(6000, 2000, 8000, 4000, 8));   /* 3x: still taken */
	CHECK(!kb_round_done(6001, 2000, 8001, 4000, 8));  /* over 3x: a stall */
	CHECK(kb_round_done(60000, 2000, 64000, 4000, 8)); /* a stall, but 16x min spent */
	CHECK(kb_round_done(1, 1, 2, 4000, KB_ROUND_MAX_ITERS));
}

static void stall_is_run_again(void)
{
	struct kb_rounds r;
	/* 1000 cycles an operation, 20000 wanted; a 50000-cycle stall in the
	 * round of 4 would read as 12,500 per operation */
	struct sim s = {1000, 50000, 4, 0, 0};

	kb_rounds_run(20000, sim_round, &s, &r);
	CHECK_EQ(r.iters, 32);
	CHECK(r.cycles / r.iters < 1100);
	CHECK_EQ(r.stalls, 1);
	CHECK_EQ(r.total, 63);
	/* the same without the stall: the round of 32, nothing run again */
	s = (struct sim){1000, 0, 0, 0, 0};
	kb_rounds_run(20000, sim_round, &s, &r);
	CHECK_EQ(r.iters, 32);
	CHECK_EQ(r.stalls, 0);
	/* an operation slower than min: one round */
	s = (struct sim){30000, 0, 0, 0, 0};
	kb_rounds_run(20000, sim_round, &s, &r);
	CHECK_EQ(r.iters, 1);
	CHECK_EQ(s.rounds, 1);
}

static void stalls_are_bounded(void)
{
	struct kb_rounds r;
	/* every round from 4 on stalls, each over 3x the one before: the round
	 * of 8 is taken because 16x min has gone, not doubled on and on */
	struct sim s = {1000, 0, 4, 0, 1};

	kb_rounds_run(20000, sim_round, &s, &r);
	CHECK_EQ(s.rounds, 4);
	CHECK_EQ(r.iters, 8);
	CHECK_EQ(r.stalls, 1);
}

int main(void)
{
	done_rule();
	stall_is_run_again();
	stalls_are_bounded();
	return unit_summary("round");
}
