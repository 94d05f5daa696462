/* -numa parsing and QEMU's consistency rules. */
#include "options.h"
#include "unit.h"

static char err[512];

static int parse(const char *smp, const char *mem, const char *const *numa, int n,
		 struct kb_config *c)
{
	char *argv[32] = {"vmm", "-kernel", "k", "-smp", (char *)smp, "-m", (char *)mem};
	int argc = 7;

	for (int i = 0; i < n; i++) {
		argv[argc++] = "-numa";
		argv[argc++] = (char *)numa[i];
	}
	err[0] = 0;
	return kb_options_parse(argc, argv, c, err, sizeof(err));
}

int main(void)
{
	static struct kb_config c;
	const char *two[] = {"node,nodeid=0,cpus=0-7,mem=512M", "node,nodeid=1,cpus=8-15,mem=512M",
			     "dist,src=0,dst=1,val=21"};

	CHECK(parse("16,sockets=2,cores=4,threads=2", "1G", two, 3, &c) == 0);
	CHECK_EQ(c.numa.nnodes, 2);
	CHECK_EQ(c.numa.node[1].mem, 512ull << 20);
	CHECK_EQ(kb_numa_node_of(&c.numa, 7), 0);
	CHECK_EQ(kb_numa_node_of(&c.numa, 8), 1);
	CHECK_EQ(c.numa.dist[0][1], 21);
	CHECK_EQ(c.numa.dist[1][0], 21); /* the reverse filled in */
	CHECK_EQ(c.numa.dist[1][1], 10);

	const char *implicit[] = {"node,mem=256M", "node,cpus=2-3,mem=256M"};
	CHECK(parse("4", "512M", implicit, 2, &c) == 0);
	CHECK_EQ(kb_numa_node_of(&c.numa, 0), 0); /* unnamed CPUs go to node 0 */
	CHECK_EQ(kb_numa_node_of(&c.numa, 3), 1);
	CHECK_EQ(c.numa.dist[0][1], 20);

	CHECK(parse("4", "512M", NULL, 0, &c) == 0);
	CHECK_EQ(c.numa.nnodes, 0);

	static const struct {
		const char *smp, *mem, *numa[3];
		int n;
		const char *msg;
	} bad[] = {
	    {"4", "512M", {"node,nodeid=0,cpus=0-3,mem=256M"}, 1, "adds up to 256 MiB"},
	    {"4",
	     "512M",
	     {"node,nodeid=0,cpus=0-2,mem=256M", "node,nodeid=1,cpus=2-3,mem=256M"},
	     2,
	     "CPU 2 is in two nodes"},
	    {"4",
	     "512M",
	     {"node,nodeid=0,cpus=0-1,mem=256M", "node,nodeid=2,cpus=2-3,mem=256M"},
	     2,
	     "node 1 is missing"},
	    {"4", "512M", {"node,nodeid=0,cpus=0-9,mem=512M"}, 1, "beyond maxcpus"},
	    {"4", "512M", {"node,nodeid=0,cpus=0-3"}, 1, "needs mem="},
	    {"4", "512M", {"node,nodeid=0,mem=256M", "node,nodeid=0,mem=256M"}, 2, "twice"},
	    {"4", "512M", {"node,nodeid=9,mem=512M"}, 1, "nodeid=9"},
	    {"4", "512M", {"node,memdev=m0"}, 1, "memdev"},
	    {"4", "512M", {"node,size=1"}, 1, "unknown parameter 'size'"},
	    {"4", "512M", {"node,cpus=3-1,mem=512M"}, 1, "empty range"},
	    {"4", "512M", {"node,mem=512M", "dist,src=0,dst=0,val=20"}, 2, "local distance"},
	    {"4", "512M", {"node,mem=512M", "dist,src=0,dst=3,val=20"}, 2, "node 3 does not"},
	    {"4", "512M", {"node,mem=512M", "dist,src=0,dst=1"}, 2, "needs src=, dst= and val="},
	    {"4", "512M", {"dist,src=0,dst=1,val=20"}, 1, "without -numa node"},
	    {"4", "512M", {"mesh,x=1"}, 1, "want node"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(parse(bad[i].smp, bad[i].mem, bad[i].numa, bad[i].n, &c) == -1);
		if (!strstr(err, bad[i].msg))
			fprintf(stderr, "  case %zu: got '%s', want '%s'\n", i, err, bad[i].msg);
		CHECK_ERR(err, bad[i].msg);
	}
	return unit_summary("numa");
}
