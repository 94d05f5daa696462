/* The bus and the exit dispatcher, driven with synthetic kvm_run exits. */
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>

#include "exit.h"
#include "unit.h"

struct dev {
	unsigned writes, reads;
	uint64_t last_addr;
	uint8_t last_byte;
};

static void dev_io(struct kb_io *io, void *opaque)
{
	struct dev *d = opaque;

	d->last_addr = io->addr;
	if (io->write) {
		d->writes++;
		d->last_byte = io->data[0];
	} else {
		d->reads++;
		memset(io->data, 0x5a, io->len);
	}
}

static void test_register(void)
{
	struct kb_bus bus;
	struct dev d = {0};

	kb_bus_init(&bus);
	CHECK(kb_bus_register(&bus, KB_SPACE_PIO, 0x3f8, 8, "com1", dev_io, &d) >= 2);
	CHECK(kb_bus_register(&bus, KB_SPACE_PIO, 0x3f8, 8, "dup", dev_io, &d) == -EEXIST);
	CHECK(kb_bus_register(&bus, KB_SPACE_PIO, 0x3f0, 9, "left", dev_io, &d) == -EEXIST);
	CHECK(kb_bus_register(&bus, KB_SPACE_PIO, 0x3ff, 1, "right", dev_io, &d) == -EEXIST);
	CHECK(kb_bus_register(&bus, KB_SPACE_PIO, 0x3f0, 8, "below", dev_io, &d) >= 2);
	CHECK(kb_bus_register(&bus, KB_SPACE_PIO, 0x400, 1, "above", dev_io, &d) >= 2);
	CHECK(kb_bus_register(&bus, KB_SPACE_MMIO, 0x3f8, 8, "other space", dev_io, &d) >= 2);
	CHECK(kb_bus_register(&bus, KB_SPACE_PIO, 0x10, 0, "empty", dev_io, &d) == -EINVAL);
	CHECK(kb_bus_register(&bus, KB_SPACE_MMIO, ~0ull, 2, "wraps", dev_io, &d) == -EINVAL);
	CHECK(kb_bus_register(&bus, KB_SPACE_PIO, 0x500, 1, NULL, dev_io, &d) == -EINVAL);
	CHECK(kb_bus_find(&bus, KB_SPACE_PIO, 0x3f8, 1) != NULL);
	CHECK(!strcmp(kb_bus_find(&bus, KB_SPACE_PIO, 0x3ff, 1)->name, "com1"));
	CHECK(!strcmp(kb_bus_find(&bus, KB_SPACE_PIO, 0x3f7, 1)->name, "below"));
	CHECK(kb_bus_find(&bus, KB_SPACE_PIO, 0x3fe, 4) == NULL); /* straddles */
	CHECK(kb_bus_find(&bus, KB_SPACE_PIO, 0x401, 1) == NULL);
	/* fill up: 64 regions per space */
	int r = 0;
	for (unsigned i = 0; i < 100 && r >= 0; i++)
		r = kb_bus_register(&bus, KB_SPACE_MMIO, 0x10000 + i * 16, 16, "many", dev_io, &d);
	CHECK(r == -ENOSPC);
	/* lookups still right after many sorted inserts */
	CHECK(kb_bus_find(&bus, KB_SPACE_MMIO, 0x10000 + 5 * 16 + 3, 4) != NULL);
}

static struct kvm_run *new_run(size_t *size)
{
	*size = 4096;
	return calloc(1, *size);
}

/* One dispatcher under test: a bus with a UART-sized PIO device and an
 * MMIO device (both dev_io on d), a kvm_run and the account it charges. */
struct fixture {
	struct kb_bus bus;
	struct dev d;
	struct kb_acct a;
	size_t size;
	struct kvm_run *run;
	char why[128];
	int id; /* com1's region */
};

static enum kb_exit_action dispatch(struct fixture *f)
{
	return kb_exit_dispatch(f->run, f->size, &f->bus, &f->a, 0, f->why, sizeof(f->why));
}

/* OUT to a device, rep outsb, IN from an unclaimed port */
static void dispatch_pio(struct fixture *f)
{
	struct kvm_run *run = f->run;

	/* OUT of one byte to the UART */
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = 1;
	run->io.port = 0x3f8;
	run->io.count = 1;
	run->io.data_offset = 1024;
	((uint8_t *)run)[1024] = 'A';
	CHECK(dispatch(f) == KB_EXIT_CONTINUE);
	CHECK_EQ(f->d.writes, 1);
	CHECK_EQ(f->d.last_byte, 'A');
	CHECK_EQ(f->a.by_region[f->id], 1);

	/* rep outsb: one exit, five accesses, charged once */
	run->io.count = 5;
	CHECK(dispatch(f) == KB_EXIT_CONTINUE);
	CHECK_EQ(f->d.writes, 6);
	CHECK_EQ(f->a.by_region[f->id], 2);
	CHECK_EQ(f->a.by_reason[KVM_EXIT_IO], 2);

	/* IN from an unclaimed port reads all ones and is "unhandled" */
	run->io.direction = KVM_EXIT_IO_IN;
	run->io.port = 0xe0;
	run->io.count = 1;
	run->io.size = 2;
	CHECK(dispatch(f) == KB_EXIT_CONTINUE);
	CHECK_EQ(*(uint16_t *)((uint8_t *)run + 1024), 0xffff);
	CHECK_EQ(f->a.by_region[KB_REGION_UNHANDLED_PIO], 1);
	CHECK_EQ(f->a.nunhandled, 1);
	CHECK_EQ(f->a.unhandled[0].addr, 0xe0);
}

/* malformed: data area past the mapping, or odd sizes (an IN exit) */
static void dispatch_malformed_pio(struct fixture *f)
{
	struct kvm_run *run = f->run;

	run->io.data_offset = 4090;
	run->io.size = 4;
	run->io.count = 2;
	CHECK(dispatch(f) == KB_EXIT_FATAL);
	CHECK_ERR(f->why, "malformed I/O exit");
	run->io.data_offset = 1024;
	run->io.count = 0x7fffffff;
	CHECK(dispatch(f) == KB_EXIT_FATAL);
	run->io.count = 1;
	run->io.size = 3;
	CHECK(dispatch(f) == KB_EXIT_FATAL);
	/* a data area over kvm_run's own fields: the IN data overwrites count
	 * and data_offset, and the exit must still end where it was checked
	 * (found by tests/fuzz/fuzz_exits.c) */
	run->io.data_offset = offsetof(struct kvm_run, io.count);
	run->io.size = 4;
	run->io.count = 2;
	CHECK(dispatch(f) == KB_EXIT_CONTINUE);
	CHECK_EQ(run->io.count, 0xffffffff);
	CHECK_EQ(run->io.data_offset, 0xffffffff); /* the second item: nothing past it */
	run->io.data_offset = 1024;
}

/* MMIO read of a device, and of nothing */
static void dispatch_mmio(struct fixture *f)
{
	struct kvm_run *run = f->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xd0000010;
	run->mmio.len = 4;
	run->mmio.is_write = 0;
	CHECK(dispatch(f) == KB_EXIT_CONTINUE);
	CHECK_EQ(*(uint32_t *)run->mmio.data, 0x5a5a5a5a);
	run->mmio.phys_addr = 0xe0000000;
	CHECK(dispatch(f) == KB_EXIT_CONTINUE);
	CHECK_EQ(*(uint32_t *)run->mmio.data, 0xffffffff);
	CHECK_EQ(f->a.by_region[KB_REGION_UNHANDLED_MMIO], 1);
	run->mmio.len = 200; /* clamped to the 8-byte data array */
	CHECK(dispatch(f) == KB_EXIT_CONTINUE);
}

/* fatal exits name themselves; KVM_EXIT_INTR continues */
static void dispatch_fatal(struct fixture *f)
{
	struct kvm_run *run = f->run;

	run->exit_reason = KVM_EXIT_SHUTDOWN;
	CHECK(dispatch(f) == KB_EXIT_FATAL);
	CHECK_ERR(f->why, "triple fault");
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	CHECK(dispatch(f) == KB_EXIT_FATAL);
	CHECK_ERR(f->why, "emulation failed");
	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	CHECK(dispatch(f) == KB_EXIT_FATAL);
	CHECK_ERR(f->why, "entry failed");
	run->exit_reason = 4000; /* unknown reasons: counted as unknown, fatal */
	CHECK(dispatch(f) == KB_EXIT_FATAL);
	CHECK_ERR(f->why, "4000");
	CHECK_EQ(f->a.by_reason[KVM_EXIT_UNKNOWN], 1);
	run->exit_reason = KVM_EXIT_INTR;
	CHECK(dispatch(f) == KB_EXIT_CONTINUE);
}

static void test_dispatch(void)
{
	static struct fixture f;
	struct kb_acct sum;

	memset(&f, 0, sizeof(f));
	f.run = new_run(&f.size);
	kb_bus_init(&f.bus);
	f.id = kb_bus_register(&f.bus, KB_SPACE_PIO, 0x3f8, 8, "com1", dev_io, &f.d);
	CHECK(kb_bus_register(&f.bus, KB_SPACE_MMIO, 0xd0000000, 0x1000, "mmdev", dev_io, &f.d) >=
	      2);
	dispatch_pio(&f);
	dispatch_malformed_pio(&f);
	dispatch_mmio(&f);
	dispatch_fatal(&f);
	CHECK_EQ(f.a.total, 15);

	/* totals add up across vCPUs */
	memset(&sum, 0, sizeof(sum));
	kb_acct_add(&sum, &f.a);
	kb_acct_add(&sum, &f.a);
	CHECK_EQ(sum.total, 30);
	CHECK_EQ(sum.by_reason[KVM_EXIT_IO], 2 * f.a.by_reason[KVM_EXIT_IO]);
	CHECK_EQ(sum.unhandled[0].count, 2 * f.a.unhandled[0].count);
	free(f.run);
}

static void test_unhandled_slots(void)
{
	struct kb_bus bus;
	struct kb_acct a;
	size_t size;
	struct kvm_run *run = new_run(&size);
	char why[128];

	memset(&a, 0, sizeof(a));
	kb_bus_init(&bus);
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = 1;
	run->io.count = 1;
	run->io.data_offset = 1024;
	for (unsigned p = 0; p < 40; p++) {
		run->io.port = (uint16_t)(0x100 + p);
		kb_exit_dispatch(run, size, &bus, &a, 0, why, sizeof(why));
	}
	CHECK_EQ(a.nunhandled, KB_UNHANDLED_SLOTS);
	CHECK_EQ(a.unhandled_other, 40 - KB_UNHANDLED_SLOTS);
	CHECK_EQ(a.by_region[KB_REGION_UNHANDLED_PIO], 40);
	free(run);
}

int main(void)
{
	test_register();
	test_dispatch();
	test_unhandled_slots();
	return unit_summary("bus");
}
