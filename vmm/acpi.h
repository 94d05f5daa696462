/*
 * ACPI tables generated from the configuration, at KB_ACPI_ADDR: RSDP
 * (revision 2), XSDT and RSDT, FADT (hardware-reduced), DSDT (COM1), MADT
 * (one local APIC per vCPU with the APIC IDs of the CPUID encoding, the
 * IOAPIC, interrupt overrides), and with -numa the SRAT and SLIT.
 */
#ifndef KB_ACPI_H
#define KB_ACPI_H

#include <stddef.h>

#include "cpuid.h"
#include "memory.h"
#include "options.h"

/* Build the tables into guest RAM.  With dump_dir, also write each table
 * as DIR/SIG.dat (what `iasl -d` reads) and the RSDP as DIR/RSDP.bin.  Returns 0, or -1 with err. */
int kb_acpi_build(struct kb_mem *m, const struct kb_config *cfg, const struct kb_topo *topo,
		  const char *dump_dir, char *err, size_t errlen);

#endif
