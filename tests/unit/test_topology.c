/* Topologies (common/topology.c): the scenario's shapes, and the -smp the
 * harness writes read back by the VMM's parser to the same struct.  The
 * -smp rules and errors are in test_options.c. */
#include "common/topology.h"
#include "unit.h"

static void check_same(const struct kb_smp *a, const struct kb_smp *b)
{
	CHECK_EQ(a->cpus, b->cpus);
	CHECK_EQ(a->maxcpus, b->maxcpus);
	CHECK_EQ(a->sockets, b->sockets);
	CHECK_EQ(a->cores, b->cores);
	CHECK_EQ(a->threads, b->threads);
}

static void test_shapes(void)
{
	static const struct {
		const char *in;
		struct kb_smp want;
	} ok[] = {
	    {"1", {1, 1, 1, 1, 1}},
	    {"16", {16, 16, 1, 16, 1}}, /* N: cores of one socket, as -smp N */
	    {"2x4x2", {16, 16, 2, 4, 2}},
	    {"256", {256, 256, 1, 256, 1}},
	    {"1x1x256", {256, 256, 1, 1, 256}},
	};
	static const char *const bad[] = {
	    "",	   "0",	     "2x0x1",  "2x2", "x",  "1x1x1x1",
	    "257", "2x2x65", "-1x1x1", "1.5", " 1", "4194304x4194304x4194304",
	};
	struct kb_smp s;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK(kb_smp_shape_parse(ok[i].in, &s) == 0);
		check_same(&s, &ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (kb_smp_shape_parse(bad[i], &s) == 0)
			fprintf(stderr, "  shape '%s' accepted\n", bad[i]);
		CHECK(kb_smp_shape_parse(bad[i], &s) == -1);
	}
}

static void test_format_round_trip(void)
{
	static const struct kb_smp cases[] = {
	    {1, 1, 1, 1, 1}, {16, 16, 2, 4, 2},	   {4, 8, 1, 8, 1},
	    {9, 9, 1, 3, 3}, {256, 256, 4, 32, 2},
	};
	char buf[80], err[256];
	struct kb_smp s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(kb_smp_format(&cases[i], buf, sizeof(buf)) == 0);
		CHECK(kb_smp_parse(buf, &s, err, sizeof(err)) == 0);
		check_same(&s, &cases[i]);
	}
	CHECK(kb_smp_format(&cases[1], buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "16,sockets=2,cores=4,threads=2"));
	CHECK(kb_smp_format(&cases[2], buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "4,sockets=1,cores=8,threads=1,maxcpus=8"));
	CHECK(kb_smp_format(&cases[1], buf, 10) == -1); /* too short */
}

int main(void)
{
	test_shapes();
	test_format_round_trip();
	return unit_summary("topology");
}
