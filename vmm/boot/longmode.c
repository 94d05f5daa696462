/*
 * Boot structures for direct long-mode entry (see longmode.h).
 */
#include "longmode.h"

#include <stdio.h>
#include <string.h>

#include "kvmbench/abi.h"

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull
#define PTE_PCD 0x10ull

/* GiB of address space the boot tables map: RAM and the MMIO hole. */
static uint64_t mapped_gib(const struct kb_mem *m)
{
	uint64_t top = m->high ? KB_HIGH_RAM_START + m->high : KB_HIGH_RAM_START;

	return (top + (1ull << 30) - 1) >> 30;
}

static void write_gdt(struct kb_mem *m)
{
	uint64_t *gdt = kb_mem_gpa(m, KB_GDT_ADDR, KB_SEL_CODE32 + 8);
	uint64_t tss = KB_TSS_ADDR, limit = 103;

	gdt[0] = 0;
	gdt[KB_SEL_CODE64 / 8] = 0x00af9b000000ffffull; /* L=1, P, DPL0, code */
	gdt[KB_SEL_DATA / 8] = 0x00cf93000000ffffull;	/* data, 4 GiB */
	/* 64-bit TSS descriptor (16 bytes), type 0xB: busy. */
	gdt[KB_SEL_TSS / 8] =
	    (limit & 0xffff) | (tss & 0xffffff) << 16 | 0x8bull << 40 | (tss >> 24 & 0xff) << 56;
	gdt[KB_SEL_TSS / 8 + 1] = tss >> 32;
	gdt[KB_SEL_CODE32 / 8] = 0x00cf9b000000ffffull; /* D=1: 32-bit code, 4 GiB */
	/* Linux's 64-bit boot protocol wants __BOOT_CS 0x10 and __BOOT_DS 0x18. */
	uint64_t *lgdt = kb_mem_gpa(m, KB_LINUX_GDT_ADDR, 0x30);

	memset(lgdt, 0, 0x30);
	lgdt[2] = 0x00af9b000000ffffull;
	lgdt[3] = 0x00cf93000000ffffull;
	lgdt[4] = gdt[KB_SEL_TSS / 8];
	lgdt[5] = gdt[KB_SEL_TSS / 8 + 1];
	memset(kb_mem_gpa(m, KB_TSS_ADDR, 104), 0, 104);
	*(uint16_t *)kb_mem_gpa(m, KB_TSS_ADDR + 102, 2) = 104; /* no I/O map */
}

static void write_page_tables(struct kb_mem *m, uint64_t gib)
{
	uint64_t *pml4 = kb_mem_gpa(m, KB_PT_ADDR, 4096);
	uint64_t *pdpt = kb_mem_gpa(m, KB_PT_ADDR + 4096, 4096);
	uint64_t pd0 = KB_PT_ADDR + 2 * 4096;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = (KB_PT_ADDR + 4096) | PTE_P | PTE_RW;
	for (uint64_t g = 0; g < gib; g++) {
		uint64_t *pd = kb_mem_gpa(m, pd0 + g * 4096, 4096);

		pdpt[g] = (pd0 + g * 4096) | PTE_P | PTE_RW;
		for (uint64_t i = 0; i < 512; i++) {
			uint64_t pa = g << 30 | i << 21;
			uint64_t flags = PTE_P | PTE_RW | PTE_PS;

			if (pa >= KB_MMIO_HOLE_START && pa < KB_MMIO_HOLE_END)
				flags |= PTE_PCD; /* device memory: uncached */
			pd[i] = pa | flags;
		}
	}
}

int kb_longmode_setup(struct kb_mem *m, const struct kb_config *cfg, const struct kb_topo *topo,
		      uint64_t tsc_khz, char *err, size_t errlen)
{
	uint64_t gib = mapped_gib(m);
	struct kb_bootinfo *bi;
	char *cmdline;

	if (m->low < KB_LOAD_MIN || gib > KB_PT_MAX_GIB) {
		snprintf(err, errlen, "guest RAM layout does not fit the boot tables");
		return -1;
	}
	write_gdt(m);
	write_page_tables(m, gib);
	bi = kb_mem_gpa(m, KB_BOOTINFO_ADDR, sizeof(*bi));
	memset(bi, 0, sizeof(*bi));
	bi->magic = KB_BOOTINFO_MAGIC;
	bi->version = KB_BOOTINFO_VERSION;
	bi->ncpus = cfg->smp.cpus;
	bi->sockets = topo->sockets;
	bi->cores = topo->cores;
	bi->threads = topo->threads;
	bi->ram_size = m->size;
	bi->ram_low = m->low;
	bi->tsc_khz = tsc_khz;
	bi->cmdline = KB_CMDLINE_ADDR;
	bi->pt_mapped = gib << 30;
	for (unsigned i = 0; i < cfg->smp.cpus; i++)
		bi->apic_id[i] = kb_topo_apic_id(topo, i);
	cmdline = kb_mem_gpa(m, KB_CMDLINE_ADDR, KB_CMDLINE_MAX);
	snprintf(cmdline, KB_CMDLINE_MAX, "%s", cfg->append);
	return 0;
}

void kb_boot_segments(struct kvm_sregs *s, uint16_t cs, uint16_t ds, uint16_t tr, bool lm,
		      uint64_t gdt, uint16_t gdt_limit)
{
	struct kvm_segment code = {
	    .limit = 0xffffffff,
	    .selector = cs,
	    .type = 11,
	    .present = 1,
	    .s = 1,
	    .g = 1,
	};
	struct kvm_segment data = code;

	code.l = lm;
	code.db = !lm;
	data.selector = ds;
	data.type = 3;
	data.db = 1;
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = (struct kvm_segment){
	    .base = KB_TSS_ADDR,
	    .limit = 103,
	    .selector = tr,
	    .type = 11,
	    .present = 1,
	};
	s->ldt = (struct kvm_segment){.unusable = 1, .type = 2};
	s->gdt.base = gdt;
	s->gdt.limit = gdt_limit;
	s->idt.base = 0;
	s->idt.limit = 0;
	if (lm) {
		s->cr0 = 0x80050033; /* PG, AM, WP, NE, ET, MP, PE */
		s->cr3 = KB_PT_ADDR;
		s->cr4 = 0x6a0;	 /* OSXMMEXCPT, OSFXSR, PGE, PAE */
		s->efer = 0x500; /* LMA, LME */
	} else {
		s->cr0 = 0x11; /* PE, ET: protected mode, paging off */
		s->cr3 = 0;
		s->cr4 = 0;
		s->efer = 0;
	}
}

void kb_longmode_sregs(struct kvm_sregs *s)
{
	kb_boot_segments(s, KB_SEL_CODE64, KB_SEL_DATA, KB_SEL_TSS, true, KB_GDT_ADDR,
			 KB_SEL_CODE32 + 8 - 1);
}

void kb_flat32_sregs(struct kvm_sregs *s)
{
	kb_boot_segments(s, KB_SEL_CODE32, KB_SEL_DATA, KB_SEL_TSS, false, KB_GDT_ADDR,
			 KB_SEL_CODE32 + 8 - 1);
}
