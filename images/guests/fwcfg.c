/*
 * fwcfg: reads QEMU's fw_cfg (legacy ports) the way QEMU-targeted test
 * images do and checks it against the boot information: signature "QEMU",
 * the traditional interface, CPU count, max CPUs and RAM size.  Ends
 * through isa-debug-exit like such images: value 0x10 on success (exit
 * status 33), 0x11 on a mismatch (35).
 */
#include "kb.h"

static void fw_select(uint16_t key)
{
	__asm__ volatile("outw %0, %1" ::"a"(key), "Nd"((uint16_t)KB_PORT_FWCFG));
}

static uint64_t fw_read(uint16_t key, unsigned len)
{
	uint64_t v = 0;

	fw_select(key);
	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)inb(KB_PORT_FWCFG + 1) << (8 * i);
	return v;
}

int main(void)
{
	char sig[5] = {0};
	unsigned bad = 0;

	fw_select(0x00);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)inb(KB_PORT_FWCFG + 1);
	uint64_t id = fw_read(0x01, 4), ram = fw_read(0x03, 8);
	uint64_t cpus = fw_read(0x05, 2), max = fw_read(0x0f, 2);

	kb_printf("fw_cfg: signature %s id %llu ram %llu MiB cpus %llu max %llu\n", sig,
		  (unsigned long long)id, (unsigned long long)(ram >> 20), (unsigned long long)cpus,
		  (unsigned long long)max);
	bad += memcmp(sig, "QEMU", 4) != 0;
	bad += !(id & 1);
	bad += ram != kb_bi->ram_size;
	bad += cpus != kb_bi->ncpus;
	bad += max != (uint64_t)kb_bi->sockets * kb_bi->cores * kb_bi->threads;
	bad += fw_read(0x7777, 4) != 0; /* an unknown key reads as zeros */
	kb_debug_exit(bad ? 0x11 : 0x10);
}
