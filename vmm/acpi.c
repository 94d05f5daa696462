/*
 * ACPI table generation (see acpi.h).  Tables are built in a host buffer
 * with their checksums, then copied to guest RAM; AML for the DSDT comes
 * from a tiny builder that encodes package lengths.  ACPI 6.x layouts.
 */
#include "acpi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kvmbench/abi.h"
#include "common/util.h"

#define OEM_ID "KVMBCH"
#define OEM_TABLE "KVMBENCH"

struct buf {
	uint8_t b[KB_ACPI_END - KB_ACPI_ADDR];
	size_t n;
	int overflow;
};

static size_t put(struct buf *b, const void *p, size_t len)
{
	size_t at = b->n;

	if (!kb_range_ok(b->n, len, 0, sizeof(b->b))) {
		b->overflow = 1;
		return at;
	}
	memcpy(b->b + b->n, p, len);
	b->n += len;
	return at;
}

static void put8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}
static void put16(struct buf *b, uint16_t v)
{
	put(b, &v, 2);
}
static void put32(struct buf *b, uint32_t v)
{
	put(b, &v, 4);
}
static void put64(struct buf *b, uint64_t v)
{
	put(b, &v, 8);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* Start a table: the 36-byte header, length and checksum filled by end(). */
static size_t begin(struct buf *b, const char *sig, uint8_t rev)
{
	size_t at;

	b->n = (b->n + 15) & ~(size_t)15;
	at = put(b, sig, 4);
	put32(b, 0); /* length */
	put8(b, rev);
	put8(b, 0); /* checksum */
	put(b, OEM_ID, 6);
	put(b, OEM_TABLE, 8);
	put32(b, 1);
	put(b, "KVMB", 4);
	put32(b, 1);
	return at;
}

static uint64_t end(struct buf *b, size_t at)
{
	uint32_t len = (uint32_t)(b->n - at);

	if (b->overflow) /* at may lie past the buffer; kb_acpi_build fails */
		return 0;
	memcpy(b->b + at + 4, &len, 4);
	b->b[at + 9] = (uint8_t)-sum(b->b + at, len);
	return KB_ACPI_ADDR + at;
}

/* --- AML ------------------------------------------------------------------ */

struct aml {
	uint8_t b[2048];
	size_t n;
	int overflow;
};

static void aml_bytes(struct aml *a, const void *p, size_t len)
{
	if (!kb_range_ok(a->n, len, 0, sizeof(a->b))) {
		a->overflow = 1;
		return;
	}
	memcpy(a->b + a->n, p, len);
	a->n += len;
}

/* op (1 or 2 bytes), PkgLength, then body. */
static void aml_pkg(struct aml *out, const uint8_t *op, size_t oplen, const struct aml *body)
{
	size_t len = body->n + 1;
	uint8_t pl[4];
	size_t npl;

	if (len < 0x40) {
		pl[0] = (uint8_t)len;
		npl = 1;
	} else {
		len += 1;
		if (len < 0x1000) {
			pl[0] = (uint8_t)(0x40 | (len & 0xf));
			pl[1] = (uint8_t)(len >> 4);
			npl = 2;
		} else {
			len += 1;
			pl[0] = (uint8_t)(0x80 | (len & 0xf));
			pl[1] = (uint8_t)(len >> 4);
			pl[2] = (uint8_t)(len >> 12);
			npl = 3;
		}
	}
	aml_bytes(out, op, oplen);
	aml_bytes(out, pl, npl);
	aml_bytes(out, body->b, body->n);
	out->overflow |= body->overflow;
}

/* Name (_PRT, Package { Package { 0xSSSSFFFF, 0, 0, GSI }, ... }): INTA# of
 * slots 1-31 straight to GSI 16 + slot % 8 (no link devices; level,
 * active low as _PRT GSIs are).  INTB-D are not used. */
static void prt(struct aml *dev)
{
	static const uint8_t package_op = 0x12;
	struct aml all = {0};

	aml_bytes(&all, (const uint8_t[]){31}, 1); /* NumElements */
	for (unsigned slot = 1; slot < 32; slot++) {
		struct aml e = {0};
		uint32_t addr = slot << 16 | 0xffff;

		aml_bytes(&e, (const uint8_t[]){4, 0x0c}, 2); /* 4 elements; DWordConst */
		aml_bytes(&e, &addr, 4);
		aml_bytes(&e, (const uint8_t[]){0x00, 0x00, 0x0a, (uint8_t)(16 + slot % 8)}, 4);
		aml_pkg(&all, &package_op, 1, &e);
	}
	aml_bytes(dev, (const uint8_t[]){0x08, '_', 'P', 'R', 'T'}, 5);
	aml_pkg(dev, &package_op, 1, &all);
}

/* Device (PCI0): the host bridge of pci.c, bus 0, its configuration
 * ports, the I/O ranges around them and the memory window of the BARs.
 * Its _PRT routes each slot's INTA# (MSI-X is preferred by the devices). */
static void pci_root(struct aml *scope)
{
	static const uint8_t crs[] = {
	    /* WordBusNumber: producer, min/max fixed, 0-0xff */
	    0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0x00, 0x00, 0xff, 0x00, 0, 0, 0x00, 0x01,
	    /* IO (Decode16, 0xCF8, 0xCF8, 1, 8) */
	    0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08,
	    /* WordIO 0x0000-0x0CF7 and 0x0D00-0xFFFF, entire range */
	    0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0x00, 0x00, 0xf7, 0x0c, 0, 0, 0xf8, 0x0c,
	    0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0x00, 0x0d, 0xff, 0xff, 0, 0, 0x00, 0xf3,
	    /* DWordMemory, non-cacheable, read-write: the PCI window */
	    0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0, (uint8_t)KB_PCI_MMIO_START,
	    (uint8_t)(KB_PCI_MMIO_START >> 8), (uint8_t)(KB_PCI_MMIO_START >> 16),
	    (uint8_t)(KB_PCI_MMIO_START >> 24), (uint8_t)(KB_PCI_MMIO_END - 1),
	    (uint8_t)((KB_PCI_MMIO_END - 1) >> 8), (uint8_t)((KB_PCI_MMIO_END - 1) >> 16),
	    (uint8_t)((KB_PCI_MMIO_END - 1) >> 24), 0, 0, 0, 0,
	    (uint8_t)(KB_PCI_MMIO_END - KB_PCI_MMIO_START),
	    (uint8_t)((KB_PCI_MMIO_END - KB_PCI_MMIO_START) >> 8),
	    (uint8_t)((KB_PCI_MMIO_END - KB_PCI_MMIO_START) >> 16),
	    (uint8_t)((KB_PCI_MMIO_END - KB_PCI_MMIO_START) >> 24), 0x79, 0x00, /* end tag */
	};
	static const uint8_t buffer_op = 0x11, device_op[] = {0x5b, 0x82};
	struct aml buf = {0}, dev = {0};

	aml_bytes(&buf, (const uint8_t[]){0x0a, sizeof(crs)}, 2);
	aml_bytes(&buf, crs, sizeof(crs));
	aml_bytes(&dev, "PCI0", 4);
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08},
		  10); /* EisaId ("PNP0A08"): PCI Express root */
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'C', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03},
		  10); /* EisaId ("PNP0A03"): PCI root */
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'S', 'E', 'G', 0x00}, 6);
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'U', 'I', 'D', 0x00}, 6);
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'B', 'B', 'N', 0x00}, 6);
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'C', 'R', 'S'}, 5);
	aml_pkg(&dev, &buffer_op, 1, &buf);
	prt(&dev);
	aml_pkg(scope, device_op, 2, &dev);
}

/* Device (PEVT): QEMU's ISA pvpanic, which Linux's pvpanic-mmio driver
 * finds by its _HID QEMU0001 (devices/platform.c). */
static void pvpanic(struct aml *scope)
{
	static const uint8_t crs[] = {
	    0x47,
	    0x01,
	    (uint8_t)KB_PORT_PVPANIC,
	    KB_PORT_PVPANIC >> 8,
	    (uint8_t)KB_PORT_PVPANIC,
	    KB_PORT_PVPANIC >> 8,
	    0x01,
	    0x01, /* IO (Decode16, 0x505, 0x505, 1, 1) */
	    0x79,
	    0x00, /* end tag */
	};
	static const uint8_t buffer_op = 0x11, device_op[] = {0x5b, 0x82};
	struct aml buf = {0}, dev = {0};

	aml_bytes(&buf, (const uint8_t[]){0x0a, sizeof(crs)}, 2);
	aml_bytes(&buf, crs, sizeof(crs));
	aml_bytes(&dev, "PEVT", 4);
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'H', 'I', 'D', 0x0d}, 6);
	aml_bytes(&dev, "QEMU0001", 9); /* String, with its NUL */
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'S', 'T', 'A', 0x0a, 0x0f}, 7);
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'C', 'R', 'S'}, 5);
	aml_pkg(&dev, &buffer_op, 1, &buf);
	aml_pkg(scope, device_op, 2, &dev);
}

static void dsdt_body(struct aml *out, bool acpi_pm)
{
	static const uint8_t crs[] = {
	    0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08, /* IO 0x3f8, 8 ports */
	    0x22, 0x10, 0x00,				    /* IRQNoFlags {4} */
	    0x79, 0x00,					    /* end tag */
	};
	struct aml buf = {0}, dev = {0}, scope = {0};
	static const uint8_t buffer_op = 0x11, device_op[] = {0x5b, 0x82}, scope_op = 0x10;

	/* Name (_CRS, Buffer (13) { ... }) */
	aml_bytes(&buf, (const uint8_t[]){0x0a, sizeof(crs)}, 2);
	aml_bytes(&buf, crs, sizeof(crs));
	aml_bytes(&dev, "COM1", 4);
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01},
		  10); /* EisaId ("PNP0501") */
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'U', 'I', 'D', 0x01}, 6);
	aml_bytes(&dev, (const uint8_t[]){0x08, '_', 'C', 'R', 'S'}, 5);
	aml_pkg(&dev, &buffer_op, 1, &buf);
	aml_bytes(&scope, "\\_SB_", 5);
	aml_pkg(&scope, device_op, 2, &dev);
	pci_root(&scope);
	pvpanic(&scope);
	aml_pkg(out, &scope_op, 1, &scope);
	if (acpi_pm) /* Name (_S5, Package (2) { S5_TYP, S5_TYP }) */
		aml_bytes(out,
			  (const uint8_t[]){0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a,
					    KB_ACPI_S5_TYP, 0x0a, KB_ACPI_S5_TYP},
			  12);
}

/* --- the tables --------------------------------------------------------------- */

static uint64_t build_dsdt(struct buf *b, bool acpi_pm)
{
	struct aml a = {0};
	size_t at = begin(b, "DSDT", 2);

	dsdt_body(&a, acpi_pm);
	b->overflow |= a.overflow;
	put(b, a.b, a.n);
	return end(b, at);
}

/* Generic Address Structure: system I/O space, byte access. */
static void gas_io(uint8_t *p, uint8_t bits, uint16_t port)
{
	p[0] = 1; /* system I/O */
	p[1] = bits;
	p[2] = 0;
	p[3] = bits <= 8 ? 1 : bits <= 16 ? 2 : 3;
	memcpy(p + 4, &(uint64_t){port}, 8);
}

/*
 * FADT 6.x.  Hardware-reduced by default (no PM blocks: the kernel uses the
 * LAPIC timer and TSC, and stops the VM through the i8042 or the bench
 * device); with acpi_pm the fixed PM1a event/control blocks and the PM
 * timer of devices/acpipm.c, SCI on IRQ 9, no SMI_CMD (ACPI always on).
 * Both declare the reset register: 0xFE to the i8042's command port.
 */
/* FACS (no header checksum, 64-byte aligned): needed without HW-reduced. */
static uint64_t build_facs(struct buf *b)
{
	size_t at;

	b->n = (b->n + 63) & ~(size_t)63;
	at = put(b, "FACS", 4);
	put32(b, 64);
	while (b->n < at + 32)
		put8(b, 0); /* hardware signature, waking vector, global lock, flags */
	put8(b, 2);	    /* version */
	while (b->n < at + 64)
		put8(b, 0);
	return KB_ACPI_ADDR + at;
}

static uint64_t build_fadt(struct buf *b, uint64_t dsdt, bool acpi_pm)
{
	uint64_t facs = acpi_pm ? build_facs(b) : 0;
	size_t at = begin(b, "FACP", 6);
	uint8_t body[276 - 36];
	uint32_t flags = 1u << 10; /* RESET_REG_SUP */
#define F(off) (body + (off)-36)

	memset(body, 0, sizeof(body));
	memcpy(F(40), &(uint32_t){(uint32_t)dsdt}, 4); /* DSDT */
	gas_io(F(116), 8, KB_PORT_I8042_CMD);	       /* RESET_REG */
	*F(128) = 0xfe;				       /* RESET_VALUE */
	if (acpi_pm) {
		memcpy(F(36), &(uint32_t){(uint32_t)facs}, 4); /* FIRMWARE_CTRL */
		memcpy(F(132), &facs, 8);		       /* X_FIRMWARE_CTRL */
		memcpy(F(46), &(uint16_t){KB_ACPI_SCI_IRQ}, 2);
		memcpy(F(56), &(uint32_t){KB_PORT_ACPI_PM}, 4); /* PM1a_EVT_BLK */
		memcpy(F(64), &(uint32_t){KB_ACPI_PM1_CNT}, 4); /* PM1a_CNT_BLK */
		memcpy(F(76), &(uint32_t){KB_ACPI_PM_TMR}, 4);	/* PM_TMR_BLK */
		*F(88) = 4;					/* PM1_EVT_LEN */
		*F(89) = 2;					/* PM1_CNT_LEN */
		*F(91) = 4;					/* PM_TMR_LEN */
		memcpy(F(109), &(uint16_t){0x0002}, 2);		/* IAPC_BOOT_ARCH: 8042 */
		/* WBINVD, no fixed power/sleep buttons, 32-bit PM timer */
		flags |= 1u << 0 | 1u << 4 | 1u << 5 | 1u << 8;
		gas_io(F(148), 32, KB_PORT_ACPI_PM); /* X_PM1a_EVT_BLK */
		gas_io(F(172), 16, KB_ACPI_PM1_CNT); /* X_PM1a_CNT_BLK */
		gas_io(F(208), 32, KB_ACPI_PM_TMR);  /* X_PM_TMR_BLK */
	} else {
		flags |= 1u << 20; /* HW_REDUCED_ACPI */
	}
	memcpy(F(112), &flags, 4);
	*F(131) = 1;		       /* minor version */
	memcpy(F(140), &dsdt, 8);      /* X_DSDT */
	memcpy(F(268), "KVMBENCH", 8); /* hypervisor */
#undef F
	put(b, body, sizeof(body));
	return end(b, at);
}

static uint64_t build_madt(struct buf *b, const struct kb_config *cfg, const struct kb_topo *t)
{
	size_t at = begin(b, "APIC", 5);
	uint32_t max_id = 0;

	put32(b, (uint32_t)KB_LAPIC_ADDR);
	put32(b, 1); /* PCAT_COMPAT: legacy 8259s present */
	for (unsigned i = 0; i < cfg->smp.maxcpus; i++) {
		uint32_t id = kb_topo_apic_id(t, i);

		max_id = id > max_id ? id : max_id;
		put8(b, 0);
		put8(b, 8);
		put8(b, (uint8_t)i);		     /* processor UID */
		put8(b, (uint8_t)id);		     /* APIC ID */
		put32(b, i < cfg->smp.cpus ? 1 : 2); /* enabled, or online capable */
	}
	put8(b, 1); /* IOAPIC */
	put8(b, 12);
	put8(b, (uint8_t)(max_id + 1 < 255 ? max_id + 1 : 0));
	put8(b, 0);
	put32(b, (uint32_t)KB_IOAPIC_ADDR);
	put32(b, 0); /* GSI base */
	static const struct {
		uint8_t src;
		uint32_t gsi;
		uint16_t flags;
	} ovr[] = {
	    {0, 2, 0},	   /* the PIT's IRQ 0 arrives at GSI 2 */
	    {9, 9, 0x000d} /* SCI: level, active high */
	};
	for (size_t i = 0; i < 2; i++) {
		put8(b, 2);
		put8(b, 10);
		put8(b, 0);
		put8(b, ovr[i].src);
		put32(b, ovr[i].gsi);
		put16(b, ovr[i].flags);
	}
	put8(b, 4); /* local APIC NMI: every processor, LINT1 */
	put8(b, 6);
	put8(b, 0xff);
	put16(b, 0);
	put8(b, 1);
	return end(b, at);
}

/* One memory affinity entry, split around the 32-bit MMIO hole. */
static void srat_memory(struct buf *b, const struct kb_mem *m, uint32_t node, uint64_t off,
			uint64_t len)
{
	while (len) {
		uint64_t gpa = off < m->low ? off : KB_HIGH_RAM_START + (off - m->low);
		uint64_t room = off < m->low ? m->low - off : len;
		uint64_t n = len < room ? len : room;

		put8(b, 1);
		put8(b, 40);
		put32(b, node);
		put16(b, 0);
		put64(b, gpa);
		put64(b, n);
		put32(b, 0);
		put32(b, 1); /* enabled */
		put64(b, 0);
		off += n;
		len -= n;
	}
}

static uint64_t build_srat(struct buf *b, const struct kb_mem *m, const struct kb_config *cfg,
			   const struct kb_topo *t)
{
	size_t at = begin(b, "SRAT", 3);
	uint64_t off = 0;

	put32(b, 1); /* reserved, 1 for compatibility */
	put64(b, 0);
	for (unsigned i = 0; i < cfg->smp.maxcpus; i++) {
		uint32_t node = kb_numa_node_of(&cfg->numa, i);

		put8(b, 0);
		put8(b, 16);
		put8(b, (uint8_t)node);
		put8(b, (uint8_t)kb_topo_apic_id(t, i));
		put32(b, 1); /* enabled */
		put8(b, 0);
		put8(b, (uint8_t)(node >> 8));
		put16(b, (uint16_t)(node >> 16));
		put32(b, 0);
	}
	for (unsigned n = 0; n < cfg->numa.nnodes; n++) {
		srat_memory(b, m, n, off, cfg->numa.node[n].mem);
		off += cfg->numa.node[n].mem;
	}
	return end(b, at);
}

static uint64_t build_slit(struct buf *b, const struct kb_numa *n)
{
	size_t at = begin(b, "SLIT", 1);

	put64(b, n->nnodes);
	for (unsigned i = 0; i < n->nnodes; i++)
		for (unsigned j = 0; j < n->nnodes; j++)
			put8(b, n->dist[i][j]);
	return end(b, at);
}

static int dump(const struct buf *b, const char *dir, const char *name, uint64_t addr, size_t len,
		char *err, size_t errlen)
{
	char path[4200];
	FILE *f;

	/* iasl -d reads SIG.dat; the RSDP is no table to it: RSDP.bin */
	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, strcmp(name, "RSDP") ? "dat" : "bin");
	if (!(f = fopen(path, "we")) || fwrite(b->b + (addr - KB_ACPI_ADDR), 1, len, f) != len ||
	    fclose(f))
		return kb_errf(err, errlen, "-dump-acpi: %s: %s", path, strerror(errno));
	return 0;
}

int kb_acpi_build(struct kb_mem *m, const struct kb_config *cfg, const struct kb_topo *topo,
		  const char *dump_dir, char *err, size_t errlen)
{
	static struct buf b;
	uint64_t tables[8];
	const char *names[8];
	unsigned nt = 0;
	size_t rsdp = 0;

	memset(&b, 0, sizeof(b));
	b.n = 48; /* the RSDP goes first; filled in last */
	uint64_t dsdt = build_dsdt(&b, cfg->acpi_pm);

	names[nt] = "FACP", tables[nt++] = build_fadt(&b, dsdt, cfg->acpi_pm);
	names[nt] = "APIC", tables[nt++] = build_madt(&b, cfg, topo);
	if (cfg->numa.nnodes) {
		names[nt] = "SRAT", tables[nt++] = build_srat(&b, m, cfg, topo);
		names[nt] = "SLIT", tables[nt++] = build_slit(&b, &cfg->numa);
	}
	size_t xat = begin(&b, "XSDT", 1);

	for (unsigned i = 0; i < nt; i++)
		put64(&b, tables[i]);
	uint64_t xsdt = end(&b, xat);
	size_t rat = begin(&b, "RSDT", 1);

	for (unsigned i = 0; i < nt; i++)
		put32(&b, (uint32_t)tables[i]);
	uint64_t rsdt = end(&b, rat);

	if (b.overflow)
		return kb_errf(err, errlen, "ACPI tables exceed %llu KiB",
			       (unsigned long long)((KB_ACPI_END - KB_ACPI_ADDR) >> 10));
	/* RSDP, revision 2: checksum over the first 20 bytes, then all 36 */
	memcpy(b.b + rsdp, "RSD PTR ", 8);
	memcpy(b.b + rsdp + 9, OEM_ID, 6);
	b.b[rsdp + 15] = 2;
	memcpy(b.b + rsdp + 16, &(uint32_t){(uint32_t)rsdt}, 4);
	memcpy(b.b + rsdp + 20, &(uint32_t){36}, 4);
	memcpy(b.b + rsdp + 24, &xsdt, 8);
	b.b[rsdp + 8] = (uint8_t)-sum(b.b + rsdp, 20);
	b.b[rsdp + 32] = (uint8_t)-sum(b.b + rsdp, 36);

	void *dst = kb_mem_gpa(m, KB_ACPI_ADDR, b.n);

	if (!dst)
		return kb_errf(err, errlen, "no RAM for the ACPI tables at 0x%llx",
			       (unsigned long long)KB_ACPI_ADDR);
	memcpy(dst, b.b, b.n);
	if (!dump_dir)
		return 0;
	if (kb_mkdirs(dump_dir))
		return kb_errf(err, errlen, "-dump-acpi %s: %s", dump_dir, strerror(errno));
	uint32_t len;

	for (unsigned i = 0; i < nt; i++) {
		memcpy(&len, b.b + (tables[i] - KB_ACPI_ADDR) + 4, 4);
		if (dump(&b, dump_dir, names[i], tables[i], len, err, errlen))
			return -1;
	}
	memcpy(&len, b.b + (dsdt - KB_ACPI_ADDR) + 4, 4);
	if (dump(&b, dump_dir, "DSDT", dsdt, len, err, errlen))
		return -1;
	memcpy(&len, b.b + (xsdt - KB_ACPI_ADDR) + 4, 4);
	if (dump(&b, dump_dir, "XSDT", xsdt, len, err, errlen))
		return -1;
	return dump(&b, dump_dir, "RSDP", KB_ACPI_ADDR + rsdp, 36, err, errlen);
}
