/*
 * A stuck lab's registers (harness/exec/labhang.c): QEMU's monitor answer
 * cleaned of its terminal echo, one line per vCPU in the mode its
 * registers show, and RIPs named from a kallsyms file of another boot
 * (KASLR), with dotted names, module symbols, addresses past any text.
 */
#include "harness/exec/labhang.c"

#include <stdlib.h>

#include "unit.h"

static const char map_lines[] = "0000000000000000 A fixed_percpu_data\n"
				"ffffffff81000000 T _text\n"
				"ffffffff81000000 T _stext\n"
				"ffffffff81a592e0 t native_safe_halt\n"
				"ffffffff81a59300 T default_idle\n"
				"ffffffff81537100 t _copy_to_iter.isra.0\n"
				"ffffffff82000000 D some_data\n"
				"ffffffffc0a00000 t svm_vcpu_run\t[kvm_amd]\n";

static char map[64];

static void write_map(void)
{
	snprintf(map, sizeof(map), "/tmp/kb-unit-kallsyms-%d", (int)getpid());
	FILE *f = fopen(map, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(map_lines, f);
		fclose(f);
	}
}

#define TEXT 0xffffffff81000000ULL /* where the map's boot had _text */
#define SLID 0xffffffff9a200000ULL /* another boot's (KASLR) */
#define SLIDE (SLID - TEXT)

static void symbols(void)
{
	char b[300];

	kb_labhang_symbol(map, TEXT, 0xffffffff81a592ebULL, b, sizeof(b));
	CHECK(!strcmp(b, "native_safe_halt+0xb"));
	kb_labhang_symbol(map, TEXT, 0xffffffff81537167ULL, b, sizeof(b));
	CHECK(!strcmp(b, "_copy_to_iter.isra.0+0x67"));
	kb_labhang_symbol(map, TEXT, 0xffffffffc0a00010ULL, b, sizeof(b));
	CHECK(!strcmp(b, "svm_vcpu_run+0x10"));
	/* a boot whose kernel KASLR put elsewhere: the same names */
	kb_labhang_symbol(map, SLID, 0xffffffff81a592ebULL + SLIDE, b, sizeof(b));
	CHECK(!strcmp(b, "native_safe_halt+0xb"));
	/* where this boot's kernel is unknown: no name rather than a wrong one */
	kb_labhang_symbol(map, 0, 0xffffffff81a592ebULL, b, sizeof(b));
	CHECK(b[0] == 0);
	/* data is not text; far past the last text symbol is no name */
	kb_labhang_symbol(map, TEXT, 0xffffffff82000004ULL, b, sizeof(b));
	CHECK(b[0] == 0);
	kb_labhang_symbol(map, TEXT, 0x4f3cb80ULL, b, sizeof(b));
	CHECK(b[0] == 0);
	kb_labhang_symbol(NULL, TEXT, 0xffffffff81a592ebULL, b, sizeof(b));
	CHECK(b[0] == 0);
	kb_labhang_symbol("/nonexistent/kallsyms", TEXT, 0xffffffff81a592ebULL, b, sizeof(b));
	CHECK(b[0] == 0);
}

static void terminal_echo_is_stripped(void)
{
	char s[] = "(qemu) i\033[K\033[Din\033[D\033[Dinfo\r\nCPU#0\r\nRIP=1\033";

	strip_terminal(s);
	CHECK(!strcmp(s, "(qemu) iininfo\nCPU#0\nRIP=1"));
}

static void one_line_per_vcpu(void)
{
	const char dump[] = "CPU#0\nRAX=0\nRIP=ffffffff81a592eb RFL=246 CPL=0 II=0 HLT=1\n"
			    "CPU#1\nRIP=00000000004011a0 RFL=246 CPL=3 II=0 HLT=0\n"
			    "CPU#2\nEAX=0\nEIP=000fd0c1 EFL=2 CPL=0 II=0 HLT=1\n"
			    "CPU#3\nRIP=0000000004f3dbed RFL=10006 CPL=0 HLT=0\n"
			    "CPU#4\nRIP=ffffffff90000000 RFL=10006 CPL=0 HLT=0\n"
			    "CPU#5\nno registers at all\n";
	char sum[1024], small[40];

	summarize(dump, map, TEXT, sum, sizeof(sum));
	CHECK(!strcmp(sum, "vCPU 0: in the kernel at native_safe_halt+0xb (0xffffffff81a592eb), "
			   "halted\n"
			   "vCPU 1: in user mode at 0x4011a0\n"
			   "vCPU 2: in 32-bit or real mode at 0xfd0c1, halted\n"
			   "vCPU 3: in 64-bit code outside the kernel's text at 0x4f3dbed\n"
			   "vCPU 4: in the kernel at 0xffffffff90000000"));
	/* a summary that does not fit is cut, never overrun */
	summarize(dump, map, TEXT, small, sizeof(small));
	CHECK(strlen(small) == sizeof(small) - 1);
	summarize("garbage", map, TEXT, sum, sizeof(sum));
	CHECK(!strcmp(sum, "QEMU's monitor gave no registers"));
}

static void no_monitor_is_said(void)
{
	char sum[256];

	CHECK(kb_labhang_dump("/nonexistent/monitor", map, TEXT, NULL, 100, sum, sizeof(sum)) ==
	      -1);
	CHECK(!strcmp(sum, "no registers: QEMU's monitor is not listening"));
}

int main(void)
{
	write_map();
	symbols();
	terminal_echo_is_stripped();
	one_line_per_vcpu();
	no_monitor_is_said();
	unlink(map);
	return unit_summary("labhang");
}
