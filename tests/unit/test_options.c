/* Option parsing: sizes, -smp rules and every -smp error, other options. */
#include "options.h"
#include "qopts.h"
#include "unit.h"

static char err[512];

static int parse(const char *a1, const char *a2, struct kb_config *cfg)
{
	char *argv[] = {"vmm", "-kernel", "k.elf", (char *)a1, (char *)a2, NULL};
	int argc = a2 ? 5 : a1 ? 4 : 3;

	err[0] = 0;
	return kb_options_parse(argc, argv, cfg, err, sizeof(err));
}

static void test_sizes(void)
{
	uint64_t v;

	CHECK(kb_size_parse("512", &v) == 0 && v == 512ull << 20);
	CHECK(kb_size_parse("2G", &v) == 0 && v == 2ull << 30);
	CHECK(kb_size_parse("64k", &v) == 0 && v == 64ull << 10);
	CHECK(kb_size_parse("1T", &v) == 0 && v == 1ull << 40);
	CHECK(kb_size_parse("", &v) == -1);
	CHECK(kb_size_parse("G", &v) == -1);
	CHECK(kb_size_parse("-1", &v) == -1);
	CHECK(kb_size_parse("12x", &v) == -1);
	CHECK(kb_size_parse("99999999999999999999", &v) == -1);
	CHECK(kb_size_parse("17179869184G", &v) == -1); /* overflows 64 bits */
	CHECK(kb_bytes_parse("512", &v) == 0 && v == 512);
	CHECK(kb_bytes_parse("64K", &v) == 0 && v == 64ull << 10);
	CHECK(kb_bytes_parse("0", &v) == 0 && v == 0);
	CHECK(kb_bytes_parse("-1", &v) == -1);
	CHECK(kb_bytes_parse("1.5M", &v) == -1);
}

struct smp_case {
	const char *in;
	unsigned cpus, maxcpus, sockets, cores, threads;
};

static void test_smp_ok(void)
{
	static const struct smp_case cases[] = {
	    {"1", 1, 1, 1, 1, 1},
	    {"16", 16, 16, 1, 16, 1}, /* QEMU >= 6.2: cores */
	    {"16,sockets=2,cores=4,threads=2", 16, 16, 2, 4, 2},
	    {"sockets=2,cores=4,threads=2", 16, 16, 2, 4, 2},
	    {"8,sockets=2", 8, 8, 2, 4, 1},	    /* cores derived */
	    {"8,cores=2", 8, 8, 4, 2, 1},	    /* sockets derived */
	    {"8,sockets=2,cores=2", 8, 8, 2, 2, 2}, /* threads derived */
	    {"4,maxcpus=8", 4, 8, 1, 8, 1},
	    {"cpus=9,sockets=1,cores=3,threads=3", 9, 9, 1, 3, 3},
	    {"64", 64, 64, 1, 64, 1},
	    {"4,sockets=4,cores=1,threads=1,dies=1", 4, 4, 4, 1, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kb_smp s;
		int rc = kb_smp_parse(cases[i].in, &s, err, sizeof(err));

		CHECK(rc == 0);
		if (rc) {
			fprintf(stderr, "  -smp %s: %s\n", cases[i].in, err);
			continue;
		}
		CHECK_EQ(s.cpus, cases[i].cpus);
		CHECK_EQ(s.maxcpus, cases[i].maxcpus);
		CHECK_EQ(s.sockets, cases[i].sockets);
		CHECK_EQ(s.cores, cases[i].cores);
		CHECK_EQ(s.threads, cases[i].threads);
	}
}

static void test_smp_errors(void)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
	    {"", "empty"},
	    {"0", "greater than zero"},
	    {"4,cores=0", "greater than zero"},
	    {"x", "not a number"},
	    {"4,cores=two", "not a number"},
	    {"4,bogus=1", "unknown parameter 'bogus'"},
	    {"4,cores", "not key=value"},
	    {"8,sockets=3", "must equal maxcpus"}, /* 3 * 2 != 8 */
	    {"16,sockets=2,cores=4,threads=3", "must equal maxcpus"},
	    {"8,maxcpus=4", "at least the CPU count"},
	    {"8,sockets=1,cores=2,threads=2,maxcpus=4", "at least the CPU count"},
	    {"4,dies=2", "dies and clusters"},
	    {"512", "limit"},
	    {"-1", "not a number"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kb_smp s;

		err[0] = 0;
		CHECK(kb_smp_parse(cases[i].in, &s, err, sizeof(err)) == -1);
		if (!strstr(err, cases[i].msg)) {
			fprintf(stderr, "  -smp '%s': got '%s', want '%s'\n", cases[i].in, err,
				cases[i].msg);
		}
		CHECK_ERR(err, cases[i].msg);
	}
}

static void test_options(void)
{
	struct kb_config c;

	CHECK(parse(NULL, NULL, &c) == 0);
	CHECK_EQ(c.mem_size, 128ull << 20);
	CHECK_EQ(c.smp.cpus, 1);
	CHECK(parse("-m", "1G", &c) == 0 && c.mem_size == 1ull << 30);
	CHECK(parse("-m", "size=256M", &c) == 0 && c.mem_size == 256ull << 20);
	CHECK(parse("-m", "1001K", &c) == -1); /* not a 4 KiB multiple */
	CHECK_ERR(err, "4 KiB");
	CHECK(parse("-m", "lots", &c) == -1);
	CHECK_ERR(err, "-m lots");
	CHECK(parse("-m", "2M", &c) == -1);
	CHECK_ERR(err, "at least 4M");
	CHECK(parse("-m", "1T", &c) == -1);
	CHECK_ERR(err, "GiB is supported");
	CHECK(parse("-serial", "file:/tmp/x", &c) == 0 && c.serial == KB_SERIAL_FILE &&
	      !strcmp(c.serial_path, "/tmp/x"));
	CHECK(parse("-serial", "tcp:1234", &c) == -1);
	CHECK_ERR(err, "stdio, file:PATH or none");
	CHECK(parse("-serial", "stdio", &c) == 0 && c.serial_cap == 64ull << 20);
	CHECK(parse("-serial-cap", "16K", &c) == 0 && c.serial_cap == 16ull << 10);
	CHECK(parse("-serial-cap", "0", &c) == 0 && c.serial_cap == 0);
	CHECK(parse("-serial-cap", "-5", &c) == -1);
	CHECK_ERR(err, "-serial-cap -5: not a size in bytes");
	CHECK(parse("-accel", "tcg", &c) == -1);
	CHECK_ERR(err, "supports only kvm");
	CHECK(parse("-accel", "kvm", &c) == 0);
	CHECK(parse("-enable-kvm", NULL, &c) == 0);
	CHECK(parse("-cpu", "qemu64", &c) == -1);
	CHECK_ERR(err, "only 'host'");
	CHECK(parse("-timeout", "2.5", &c) == 0 && c.timeout_s == 2.5);
	CHECK(parse("-timeout", "0", &c) == -1);
	CHECK(parse("-timeout", "soon", &c) == -1);
	CHECK(parse("-timeout", "nan", &c) == -1);
	CHECK_ERR(err, "-timeout: 'nan' is not a number in [0.001, 1e+06]");
	CHECK(parse("-timeout", "inf", &c) == -1);
	CHECK(parse("-timeout", "1e999", &c) == -1);
	CHECK(parse("-timeout", "0x10", &c) == -1);
	CHECK(parse("-vcpu-pin", "0-1,3", &c) == 0 && c.npin == 3 && c.pin[2] == 3);
	CHECK(parse("-vcpu-pin", "3-1", &c) == -1);
	CHECK(parse("-vcpu-pin", "1,", &c) == -1);
	CHECK(parse("-mem-thp", "maybe", &c) == -1);
	CHECK(parse("-mem-thp", "on", &c) == 0 && c.thp == KB_THP_ON);
	CHECK(parse("-bogus", NULL, &c) == -1);
	CHECK_ERR(err, "unknown option '-bogus'");
	CHECK(parse("-m", NULL, &c) == -1);
	CHECK_ERR(err, "needs a value");
	CHECK(parse("stray", NULL, &c) == -1);
	CHECK_ERR(err, "unexpected argument 'stray'");
	CHECK(parse("--smp", "2", &c) == 0 && c.smp.cpus == 2);
	CHECK(parse("-smp", "3,sockets=2", &c) == -1);
	CHECK_ERR(err, "-smp");
	CHECK(parse("-test-exit-delay", "-5", &c) == -1);
	CHECK(parse(NULL, NULL, &c) == 0 && c.sandbox == KB_SANDBOX_ON &&
	      c.rlimit_fsize == 1ull << 30 && c.rlimit_nofile == 0);
	CHECK(parse("-sandbox", "off", &c) == 0 && c.sandbox == KB_SANDBOX_OFF);
	CHECK(parse("-sandbox", "audit,fsize=4G,nofile=64", &c) == 0 &&
	      c.sandbox == KB_SANDBOX_AUDIT && c.rlimit_fsize == 4ull << 30 &&
	      c.rlimit_nofile == 64);
	CHECK(parse("-sandbox", "fsize=16M", &c) == 0 && c.sandbox == KB_SANDBOX_ON);
	CHECK(parse("-sandbox", "maybe", &c) == -1);
	CHECK_ERR(err, "expected on, off or audit");
	CHECK(parse("-sandbox", "on,fsize=1K", &c) == -1);
	CHECK_ERR(err, "fsize=1K");
	CHECK(parse("-sandbox", "on,nofile=-1", &c) == -1);
	CHECK_ERR(err, "nofile=-1");
	CHECK(parse("-sandbox", "on,nofile=99999999999999999999", &c) == -1);
	CHECK(parse("-sandbox", "on,user=nobody", &c) == -1);
	CHECK_ERR(err, "user");

	char *argv[] = {"vmm", "-m", "64M", NULL};
	CHECK(kb_options_parse(3, argv, &c, err, sizeof(err)) == -1);
	CHECK_ERR(err, "-kernel");
	char *argv2[] = {"vmm",	     "-kernel", "k", "-mem-path", "/dev/hugepages",
			 "-mem-thp", "on",	NULL};
	CHECK(kb_options_parse(7, argv2, &c, err, sizeof(err)) == -1);
	CHECK_ERR(err, "contradict");
}

static void test_qopts(void)
{
	struct kb_qopts q;
	bool b;

	CHECK(kb_qopts_parse(&q, "-device", "virtio-blk-pci,drive=d0,ioeventfd=off", "driver", err,
			     sizeof(err)) == 0);
	CHECK_EQ(q.n, 3);
	CHECK(!strcmp(kb_qopts_get(&q, "driver"), "virtio-blk-pci"));
	CHECK(!strcmp(kb_qopts_get(&q, "drive"), "d0"));
	CHECK(kb_qopts_check_used(&q, err, sizeof(err)) == -1);
	CHECK_ERR(err, "unknown parameter 'ioeventfd'");
	CHECK(kb_qopts_bool(&q, "ioeventfd", true, &b, err, sizeof(err)) == 0 && !b);
	CHECK(kb_qopts_bool(&q, "absent", true, &b, err, sizeof(err)) == 0 && b);
	CHECK(kb_qopts_check_used(&q, err, sizeof(err)) == 0);
	CHECK(kb_qopts_get(&q, "nothing") == NULL);
	/* errors: bare item not first, empty item, trailing comma, twice, no key */
	CHECK(kb_qopts_parse(&q, "-drive", "file=x,raw", "driver", err, sizeof(err)) == -1);
	CHECK_ERR(err, "'raw' is not key=value");
	CHECK(kb_qopts_parse(&q, "-drive", "file=x,,id=a", NULL, err, sizeof(err)) == -1);
	CHECK_ERR(err, "empty parameter");
	CHECK(kb_qopts_parse(&q, "-drive", "file=x,", NULL, err, sizeof(err)) == -1);
	CHECK_ERR(err, "trailing comma");
	CHECK(kb_qopts_parse(&q, "-drive", "id=a,id=b", NULL, err, sizeof(err)) == -1);
	CHECK_ERR(err, "'id' given twice");
	CHECK(kb_qopts_parse(&q, "-drive", "=v", NULL, err, sizeof(err)) == -1);
	CHECK_ERR(err, "not key=value");
	CHECK(kb_qopts_parse(&q, "-drive", "bare", NULL, err, sizeof(err)) == -1);
	CHECK(kb_qopts_parse(&q, "-x",
			     "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,"
			     "o=15,p=16,q=17",
			     NULL, err, sizeof(err)) == -1);
	CHECK_ERR(err, "more than 16");
	CHECK(kb_qopts_parse(&q, "-x", "", NULL, err, sizeof(err)) == 0 && q.n == 0);
	CHECK(kb_qopts_bool(&q, "k", false, &b, err, sizeof(err)) == 0 && !b);
	CHECK(kb_qopts_parse(&q, "-x", "k=maybe", NULL, err, sizeof(err)) == 0);
	CHECK(kb_qopts_bool(&q, "k", false, &b, err, sizeof(err)) == -1);
	CHECK_ERR(err, "-x: k=maybe: expected on or off");
}

int main(void)
{
	test_qopts();
	test_sizes();
	test_smp_ok();
	test_smp_errors();
	test_options();
	return unit_summary("options");
}
