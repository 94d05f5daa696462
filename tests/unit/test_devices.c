/* The devices through the bus, with a fake RAM: UART, bench device,
 * isa-debug-exit, i8042, and the bench device's hostile-input checks. */
#include <stdlib.h>
#include <time.h>

#include "devices/devices.h"
#include "unit.h"

#define RAM (1u << 20)

static struct kb_bus bus;
static struct kb_mem mem;
static struct kb_result res;
static struct kb_bench bench;
static struct kb_uart uart;

static uint32_t io(enum kb_space sp, uint64_t addr, uint32_t len, int write, uint32_t v)
{
	uint8_t data[8];
	struct kb_io x = {sp, addr, data, len, write != 0, 1};

	memcpy(data, &v, 4);
	kb_bus_access(&bus, &x);
	memcpy(&v, data, 4);
	return write ? 0 : v & (len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1);
}

#define OUTB(p, v) io(KB_SPACE_PIO, p, 1, 1, v)
#define INB(p) io(KB_SPACE_PIO, p, 1, 0, 0)
#define OUTL(p, v) io(KB_SPACE_PIO, p, 4, 1, v)

static void setup(FILE *out)
{
	kb_bus_init(&bus);
	memset(&mem, 0, sizeof(mem));
	mem.host = calloc(1, RAM);
	mem.size = mem.low = RAM;
	mem.fd = -1;
	kb_result_init(&res);
	CHECK(kb_bench_init(&bench, &bus, NULL, &mem, &res) == 0);
	CHECK(kb_uart_init(&uart, &bus, out, &bench) == 0);
	CHECK(kb_debugexit_init(&bus, &res) == 0);
	CHECK(kb_i8042_init(&bus, &res) == 0);
	/* a second device on the same ports is refused */
	CHECK(kb_debugexit_init(&bus, &res) < 0);
}

static void teardown(void)
{
	kb_bench_destroy(&bench);
	free(mem.host);
}

static void test_uart(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	setup(out);
	CHECK_EQ(INB(0x3fd) & 0x60, 0x60); /* THR empty, transmitter empty */
	CHECK_EQ(INB(0x3fd) & 1, 0);	   /* no receive data */
	OUTB(0x3ff, 0xa5);
	CHECK_EQ(INB(0x3ff), 0xa5); /* scratch */
	OUTB(0x3fb, 0x80);	    /* DLAB */
	OUTB(0x3f8, 0x01);
	OUTB(0x3f9, 0x00);
	CHECK_EQ(INB(0x3f8), 0x01);
	OUTB(0x3fb, 0x03);
	OUTB(0x3fc, 0x10 | 0x0a); /* loopback, RTS, OUT2 */
	CHECK_EQ(INB(0x3fe) & 0xf0, 0x90);
	OUTB(0x3f8, 'X'); /* loopback: not printed */
	OUTB(0x3fc, 0x0b);
	CHECK_EQ(INB(0x3fe) & 0xb0, 0xb0);
	CHECK_EQ(INB(0x3fa) & 1, 1); /* no interrupt pending */
	const char *line = "hi KVMBENCH MARK boot_done\nKVMBENCH METRIC iops 1234.5 ops/s\n";
	for (const char *p = line; *p; p++)
		OUTB(0x3f8, (uint8_t)*p);
	kb_uart_flush(&uart);
	fflush(out);
	CHECK(strcmp(buf, line) == 0);
	CHECK_EQ(uart.bytes_out, strlen(line));
	CHECK_EQ(bench.nmarks, 1);
	CHECK(!strcmp(bench.marks[0].name, "boot_done"));
	CHECK_EQ(bench.nmetrics, 1);
	CHECK(!strcmp(bench.metrics[0].name, "iops") && bench.metrics[0].value == 1234.5 &&
	      !strcmp(bench.metrics[0].unit, "ops/s"));
	/* console names: the port's rules, a refusal for anything else */
	static const char *const bad_lines[] = {
	    "KVMBENCH METRIC A`touch${IFS}x` 1 ns\n",
	    "KVMBENCH METRIC a 1 n$(id)s\n",
	    "KVMBENCH MARK <img>\n",
	    "KVMBENCH MARK aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "KVMBENCH METRIC a 1 uuuuuuuuuuuuuuuu\n",
	    "KVMBENCH METRIC a 1x ns\n",
	    "KVMBENCH METRIC a nan ns\n",
	    "KVMBENCH METRIC b 1e999 ns\n",
	    "KVMBENCH METRIC c -1 ns\n",
	    "KVMBENCH METRIC d -inf ns\n",
	    "KVMBENCH MARK a b\n",
	    "KVMBENCH METRIC a\n",
	};
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++)
		for (const char *p = bad_lines[i]; *p; p++)
			OUTB(0x3f8, (uint8_t)*p);
	CHECK_EQ(bench.nmarks, 1);
	CHECK_EQ(bench.nmetrics, 1);
	CHECK_EQ(bench.bad_requests, sizeof(bad_lines) / sizeof(bad_lines[0]));
	CHECK(strstr(bench.first_bad, "metric name \"A?touch??IFS?x?\" refused") != NULL);
	for (const char *p = "KVMBENCH METRIC x:y 2\r\n"; *p; p++) /* no unit, \r\n */
		OUTB(0x3f8, (uint8_t)*p);
	CHECK_EQ(bench.nmetrics, 2);
	CHECK(!strcmp(bench.metrics[1].name, "x:y") && !bench.metrics[1].unit[0]);
	/* an endless line is cut, not overflowed */
	for (int i = 0; i < 10000; i++)
		OUTB(0x3f8, 'a');
	CHECK(uart.linelen < sizeof(uart.line));
	teardown();
	fclose(out);
	free(buf);
}

/* A guest printing without end: the file stops at the cap with one note,
 * and lines past it still reach the bench device. */
static void test_uart_cap(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	const char *text = "0123456789\nKVMBENCH MARK late\n";

	setup(out);
	kb_uart_set_cap(&uart, 10);
	for (int i = 0; i < 1000; i++)
		for (const char *p = text; *p; p++)
			OUTB(0x3f8, (uint8_t)*p);
	kb_uart_flush(&uart);
	fflush(out);
	CHECK(!strcmp(buf, "0123456789\n[kvmbench-vmm: console output capped at 10 bytes; the "
			   "rest is dropped]\n"));
	CHECK_EQ(uart.out_dropped, 1000 * strlen(text) - 10);
	CHECK_EQ(bench.nmarks, 1000);
	teardown();
	fclose(out);
	free(buf);
}

static struct kb_bench_req *req_at(uint64_t gpa)
{
	struct kb_bench_req *r = (void *)(mem.host + gpa);

	memset(r, 0, sizeof(*r));
	r->magic = KB_BENCH_MAGIC;
	return r;
}

static void test_bench(void)
{
	struct kb_bench_req *r;

	setup(NULL);
	CHECK_EQ(io(KB_SPACE_PIO, KB_PORT_BENCH, 4, 0, 0), 0x4b420001);
	r = req_at(0x1000);
	r->op = KB_BENCH_METRIC;
	r->value = 12345;
	r->exp10 = -3;
	/* names and units outside [A-Za-z0-9_.:/%+-], or unterminated: refused */
	memcpy(r->name, "A`touch${IFS}x`", 16);
	strcpy(r->unit, "ns");
	OUTL(KB_PORT_BENCH, 0x1000);
	CHECK_EQ(bench.nmetrics, 0);
	CHECK_EQ(bench.bad_requests, 1);
	CHECK(strstr(bench.first_bad, "metric name \"A?touch??IFS?x?\" refused") != NULL);
	memcpy(r->name, "cyc\x01les", 8);
	OUTL(KB_PORT_BENCH, 0x1000);
	memset(r->name, 'n', sizeof(r->name)); /* unterminated */
	OUTL(KB_PORT_BENCH, 0x1000);
	strcpy(r->name, "cycles");
	memset(r->unit, 'u', sizeof(r->unit)); /* unterminated */
	OUTL(KB_PORT_BENCH, 0x1000);
	strcpy(r->unit, "<b>");
	OUTL(KB_PORT_BENCH, 0x1000);
	CHECK_EQ(bench.nmetrics, 0);
	CHECK_EQ(bench.bad_requests, 5);
	CHECK(strstr(bench.first_bad, "A?touch") != NULL); /* the first is kept */
	strcpy(r->name, "virtio-blk0.read_MiB/s:x+y%");
	strcpy(r->unit, "MiB/s");
	OUTL(KB_PORT_BENCH, 0x1000);
	CHECK_EQ(bench.nmetrics, 1);
	CHECK(bench.metrics[0].value > 12.344 && bench.metrics[0].value < 12.346);
	CHECK(!strcmp(bench.metrics[0].name, "virtio-blk0.read_MiB/s:x+y%"));
	CHECK(!strcmp(bench.metrics[0].unit, "MiB/s"));
	CHECK_EQ(bench.metrics[0].vcpu, 1);

	r->exp10 = 400; /* out of range */
	OUTL(KB_PORT_BENCH, 0x1000);
	CHECK_EQ(bench.nmetrics, 1);
	CHECK_EQ(bench.bad_requests, 6);
	r->exp10 = 0;
	r->value = -5; /* metrics are never negative */
	OUTL(KB_PORT_BENCH, 0x1000);
	CHECK_EQ(bench.nmetrics, 1);
	CHECK_EQ(bench.bad_requests, 7);
	OUTL(KB_PORT_BENCH, RAM - sizeof(*r) + 1);     /* straddles the end of RAM */
	OUTL(KB_PORT_BENCH, 0xfee00000);	       /* not RAM at all */
	io(KB_SPACE_PIO, KB_PORT_BENCH, 2, 1, 0x1000); /* wrong width */
	r->magic = 0;
	OUTL(KB_PORT_BENCH, 0x1000);
	r->magic = KB_BENCH_MAGIC;
	r->op = 99;
	OUTL(KB_PORT_BENCH, 0x1000);
	CHECK_EQ(bench.bad_requests, 12);
	CHECK(!kb_result_is_set(&res));

	r->op = KB_BENCH_MARK;
	strcpy(r->name, "m");
	r->tsc = 777;
	for (int i = 0; i < KB_BENCH_MAX_RECORDS + 5; i++)
		OUTL(KB_PORT_BENCH, 0x1000);
	CHECK_EQ(bench.nmarks, KB_BENCH_MAX_RECORDS);
	CHECK_EQ(bench.dropped, 5);
	CHECK_EQ(bench.marks[0].guest_tsc, 777);

	r->op = KB_BENCH_SKIP;
	strcpy(r->text, "no widgets");
	OUTL(KB_PORT_BENCH, 0x1000);
	CHECK(kb_result_is_set(&res));
	CHECK_EQ(res.exit_code, KB_EXIT_SKIP);
	CHECK(!strcmp(res.reason, "no widgets") && !strcmp(res.status, "skip"));
	r->op = KB_BENCH_PASS; /* first result wins */
	OUTL(KB_PORT_BENCH, 0x1000);
	CHECK_EQ(res.exit_code, KB_EXIT_SKIP);
	teardown();
}

static void test_exits(void)
{
	setup(NULL);
	OUTL(KB_PORT_DEBUG_EXIT, 0x21);
	CHECK_EQ(res.exit_code, (0x21 << 1) | 1);
	CHECK(!strcmp(res.status, "debug-exit"));
	teardown();

	setup(NULL);
	CHECK_EQ(INB(KB_PORT_I8042_CMD), 0); /* no data, controller idle */
	OUTB(KB_PORT_I8042_CMD, 0xd1);	     /* other commands are ignored */
	CHECK(!kb_result_is_set(&res));
	OUTB(KB_PORT_I8042_CMD, 0xfe);
	CHECK(!strcmp(res.status, "reset") && res.exit_code == 0);
	teardown();
}

static void test_rtc(void)
{
	struct kb_rtc rtc;
	time_t now = time(NULL);
	struct tm tm;

	kb_bus_init(&bus);
	CHECK(kb_rtc_init(&rtc, &bus) == 0);
	gmtime_r(&now, &tm);
	OUTB(0x70, 0x8b); /* status B, NMI masked */
	CHECK_EQ(INB(0x71), 0x02);
	CHECK_EQ(INB(0x70), 0x0b);
	OUTB(0x70, 0x09);
	uint8_t y = (uint8_t)INB(0x71);
	CHECK_EQ((y >> 4) * 10 + (y & 15), tm.tm_year % 100);
	OUTB(0x70, 0x32);
	CHECK_EQ(INB(0x71), 0x20); /* the 21st century, BCD */
	OUTB(0x70, 0x00);
	uint8_t sec = (uint8_t)INB(0x71);
	CHECK((sec >> 4) < 6 && (sec & 15) < 10);
	OUTB(0x70, 0x0a);
	CHECK_EQ(INB(0x71) & 0x80, 0); /* no update in progress */
	OUTB(0x70, 0x40);
	CHECK_EQ(INB(0x71), 0); /* other CMOS bytes */
}

int main(void)
{
	test_rtc();
	test_uart();
	test_uart_cap();
	test_bench();
	test_exits();
	return unit_summary("devices");
}
