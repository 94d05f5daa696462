/*
 * Guest-physical layout and the guest <-> VMM ABI of kvmbench-vmm.
 *
 * Every guest-physical address and every port the VMM or a micro-guest
 * relies on is defined here and nowhere else.  The header is shared with the
 * freestanding micro-guests (images/guests/), so it holds only constants and
 * plain structures: no libc, no host types beyond <stdint.h>.
 *
 *   0x0000_0000  real-mode IVT / BIOS data area (left zero)
 *   0x0000_1000  GDT (null, code64, data, TSS descriptor)
 *   0x0000_2000  TSS (104 bytes, no I/O bitmap)
 *   0x0000_3000  boot information page (struct kb_bootinfo)
 *   0x0000_4000  kernel command line (KB_CMDLINE_MAX bytes)
 *   0x0000_5000  Multiboot information, boot loader name and memory map,
 *                or PVH's hvm_start_info, module list and memory map
 *   0x0000_6000  GDT for Linux's 64-bit boot protocol (__BOOT_CS 0x10, __BOOT_DS 0x18)
 *   0x0000_7000  Linux boot_params ("zero page")
 *   0x0001_0000  boot page tables: PML4, PDPT, then one PD per GiB mapped
 *   0x000a_0000  legacy VGA / BIOS hole (RAM, but never loaded into)
 *   0x000e_0000  ACPI: RSDP first (the BIOS search area), then the tables
 *   0x000f_0000  BIOS area: no BIOS, but at the reset vector (f000:fff0,
 *                0xffff0) a stub that resets the machine through the
 *                i8042, for kernels that reboot by jumping there (Linux's
 *                EFI/BIOS reboot, its default with hardware-reduced ACPI)
 *   0x0010_0000  first byte a kernel image may load to
 *   ...          RAM up to min(size, 3 GiB)
 *   0xc000_0000  32-bit MMIO hole (unbacked: accesses exit to the VMM)
 *   0xd000_0000    scratch MMIO address the `mmio` guest writes to
 *   0xe000_0000    PCI memory window: BARs of the PCI devices
 *   0xfec0_0000    IOAPIC (in-kernel)
 *   0xfee0_0000    local APIC (in-kernel)
 *   0x1_0000_0000 RAM above 3 GiB continues here
 */
#ifndef KB_LAYOUT_H
#define KB_LAYOUT_H

#include <stdint.h>

#define KB_GDT_ADDR 0x1000ULL
#define KB_TSS_ADDR 0x2000ULL
#define KB_BOOTINFO_ADDR 0x3000ULL
#define KB_CMDLINE_ADDR 0x4000ULL
#define KB_CMDLINE_MAX 4096
#define KB_MBINFO_ADDR 0x5000ULL
#define KB_PVH_INFO_ADDR 0x5000ULL /* one boot protocol at a time */
#define KB_LINUX_GDT_ADDR 0x6000ULL
#define KB_ZEROPAGE_ADDR 0x7000ULL
#define KB_PT_ADDR 0x10000ULL	/* PML4; PDPT follows, then the PDs */
#define KB_PT_END 0xa0000ULL	/* page tables may not reach this */
#define KB_LOAD_MIN 0x100000ULL /* lowest address an image may use */
#define KB_ACPI_ADDR 0xe0000ULL /* RSDP, then the other tables */
#define KB_ACPI_END 0xf0000ULL
#define KB_RESET_VECTOR 0xffff0ULL /* real mode f000:fff0 */

/* Boot page tables identity-map [0, KB_PT_MAX_GIB GiB) with 2 MiB pages. */
#define KB_PT_MAX_GIB ((KB_PT_END - KB_PT_ADDR) / 4096 - 2)

#define KB_MMIO_HOLE_START 0xc0000000ULL
#define KB_MMIO_HOLE_END 0x100000000ULL
#define KB_MMIO_SCRATCH 0xd0000000ULL
#define KB_PCI_MMIO_START 0xe0000000ULL /* BARs: the VMM assigns them from here */
#define KB_PCI_MMIO_END 0xfec00000ULL
#define KB_IOAPIC_ADDR 0xfec00000ULL
#define KB_LAPIC_ADDR 0xfee00000ULL
#define KB_HIGH_RAM_START 0x100000000ULL
#define KB_KVM_TSS_ADDR 0xfffbd000ULL /* KVM_SET_TSS_ADDR: 3 pages, as QEMU */

/* GDT selectors the VMM installs (KB_GDT_ADDR). */
#define KB_SEL_CODE64 0x08
#define KB_SEL_DATA 0x10
#define KB_SEL_TSS 0x18	   /* 16 bytes */
#define KB_SEL_CODE32 0x28 /* Multiboot entry: 32-bit protected mode */

#define KB_MAX_VCPUS 256

/* The stats JSON the VMM writes (-stats FILE; docs/stats-json.md): its
 * "schema" number.  The harness ingests only this one. */
#define KB_STATS_SCHEMA 1

/* Ports.  Legacy ranges carry the hardware they belong to. */
/* 0x0020 - 0x0021 - 8259A PIC 1 (in-kernel irqchip) */
/* 0x0040 - 0x0043 - 8254 PIT (in-kernel) */
/* 0x0060, 0x0064 - i8042 keyboard controller (reset only) */
#define KB_PORT_I8042_DATA 0x60
#define KB_PORT_I8042_CMD 0x64
/* 0x0070 - 0x0071 - CMOS RTC: index, data */
#define KB_PORT_RTC 0x70
/* 0x00a0 - 0x00a1 - 8259A PIC 2 (in-kernel irqchip) */
/* 0x00f4 - isa-debug-exit, 4 bytes wide as QEMU's default */
#define KB_PORT_DEBUG_EXIT 0xf4
#define KB_PORT_DEBUG_EXIT_LEN 4
/* 0x0600 - 0x060b - ACPI PM (-machine acpi-pm=on): PM1a event (status,
 * enable), PM1a control at +4, PM timer (32-bit, 3.579545 MHz) at +8 */
#define KB_PORT_ACPI_PM 0x600
#define KB_PORT_ACPI_PM_LEN 12
#define KB_ACPI_PM1_CNT (KB_PORT_ACPI_PM + 4)
#define KB_ACPI_PM_TMR (KB_PORT_ACPI_PM + 8)
#define KB_ACPI_PM_TMR_HZ 3579545
#define KB_ACPI_SCI_IRQ 9
#define KB_ACPI_S5_TYP 5 /* SLP_TYP of \_S5 in the DSDT */
/* 0x0505 - QEMU's ISA pvpanic (ACPI device QEMU0001): reads the events it
 * knows (1 panicked, 2 crash kernel loaded), a write of one ends the VM */
#define KB_PORT_PVPANIC 0x505
#define KB_PVPANIC_PANICKED 1
#define KB_PVPANIC_CRASH_LOADED 2
/* 0x0510 - 0x0511 - QEMU fw_cfg, legacy I/O: selector (16 bit), data (8 bit) */
#define KB_PORT_FWCFG 0x510
#define KB_PORT_FWCFG_LEN 2
/* 0x00e0 - never claimed: the `pio` guest's target, answered as absent */
#define KB_PORT_UNUSED 0xe0
/* 0x0cf8 - 0x0cff - PCI configuration mechanism #1: address, data */
#define KB_PORT_PCI_ADDR 0xcf8
#define KB_PORT_PCI_DATA 0xcfc
/* 0x0cf9 - reset control register (byte accesses inside 0xcf8's dword, as
 * on PIIX/ICH): writing a value with bit 2 set resets the machine */
#define KB_PORT_RESET_CONTROL 0xcf9
/* 0x03f8 - 0x03ff - 8250 UART, COM1 */
#define KB_PORT_COM1 0x3f8
#define KB_PORT_COM1_LEN 8
#define KB_IRQ_COM1 4
/* 0x04b0 - 0x04b3 - kvmbench bench device (a 32-bit write of a request GPA) */
#define KB_PORT_BENCH 0x4b0
#define KB_PORT_BENCH_LEN 4

/* --- boot information page, filled by the VMM, read by micro-guests --- */
#define KB_BOOTINFO_MAGIC 0x4b424249u /* "IBBK" */
#define KB_BOOTINFO_VERSION 1

struct kb_bootinfo {
	uint32_t magic;
	uint32_t version;
	uint32_t ncpus;	    /* vCPUs present (threads of the VMM) */
	uint32_t sockets;   /* topology as configured with -smp */
	uint32_t cores;	    /* per socket */
	uint32_t threads;   /* per core */
	uint64_t ram_size;  /* bytes of guest RAM in all */
	uint64_t ram_low;   /* bytes of RAM below KB_MMIO_HOLE_START */
	uint64_t tsc_khz;   /* guest TSC frequency, 0 when unknown */
	uint64_t cmdline;   /* GPA of the NUL-terminated command line */
	uint64_t pt_mapped; /* bytes identity-mapped by the boot page tables */
	uint32_t apic_id[KB_MAX_VCPUS];
};
/* The VMM and the guests compile this struct apart: its size is the ABI. */
_Static_assert(sizeof(struct kb_bootinfo) == 64 + 4 * KB_MAX_VCPUS,
	       "struct kb_bootinfo: the guests' layout changed");
_Static_assert(sizeof(struct kb_bootinfo) <= KB_CMDLINE_ADDR - KB_BOOTINFO_ADDR,
	       "struct kb_bootinfo overlaps the command line");

/* --- bench device: one 32-bit OUT of a request's GPA to KB_PORT_BENCH --- */
#define KB_BENCH_MAGIC 0x4b42u /* "BK" */
enum kb_bench_op {
	KB_BENCH_MARK = 1,   /* name: host timestamps it, tsc is stored */
	KB_BENCH_METRIC = 2, /* name, value, unit */
	KB_BENCH_PASS = 3,   /* ends the VM: exit status 0 */
	KB_BENCH_FAIL = 4,   /* ends the VM: exit status 2, text = reason */
	KB_BENCH_SKIP = 5,   /* ends the VM: exit status 77, text = reason */
};

#define KB_BENCH_NAME_MAX 48
#define KB_BENCH_UNIT_MAX 16
#define KB_BENCH_TEXT_MAX 128

struct kb_bench_req {
	uint16_t magic; /* KB_BENCH_MAGIC */
	uint16_t op;	/* enum kb_bench_op */
	uint32_t vcpu;	/* the caller's CPU index, for the record */
	uint64_t tsc;	/* guest TSC at the call (marks) */
	int64_t value;	/* metric value is value * 10^exp10: guests need no */
	int32_t exp10;	/* floating point (kvm_pvm fails to emulate some SSE) */
	uint32_t reserved;
	char name[KB_BENCH_NAME_MAX]; /* NUL-terminated within the array */
	char unit[KB_BENCH_UNIT_MAX];
	char text[KB_BENCH_TEXT_MAX]; /* result reason */
};
/* The VMM copies a request out of guest memory by this size. */
_Static_assert(sizeof(struct kb_bench_req) ==
		   32 + KB_BENCH_NAME_MAX + KB_BENCH_UNIT_MAX + KB_BENCH_TEXT_MAX,
	       "struct kb_bench_req: the guests' layout changed");

#endif
