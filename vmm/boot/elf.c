/*
 * ELF64 loader.  The image is untrusted input: every offset and size is
 * checked against the file and against guest RAM before a byte is copied,
 * with overflow-safe arithmetic, and a bad image yields one line naming
 * the segment and the rule it breaks.
 */
#include "elf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmbench/abi.h"
#include "common/util.h"

static int check_header(const Elf64_Ehdr *eh, size_t size, char *err, size_t errlen)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return kb_errf(err, errlen, "not an ELF file (bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		return kb_errf(err, errlen, "not a little-endian ELF64 x86-64 image");
	if (eh->e_type != ET_EXEC)
		return kb_errf(err, errlen, "ELF type %u is not an executable (ET_EXEC)",
			       eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 64)
		return kb_errf(err, errlen, "bad program header table (%u entries of %u bytes)",
			       eh->e_phnum, eh->e_phentsize);
	if (!kb_range_ok(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), 0, size))
		return kb_errf(err, errlen,
			       "truncated: program headers end past the file (%zu bytes)", size);
	return 0;
}

static int check_segment(const Elf64_Phdr *ph, unsigned i, size_t size, uint64_t ram_size,
			 char *err, size_t errlen)
{
	if (ph->p_filesz > ph->p_memsz)
		return kb_errf(err, errlen, "segment %u: file size exceeds memory size", i);
	if (!kb_range_ok(ph->p_offset, ph->p_filesz, 0, size))
		return kb_errf(err, errlen,
			       "truncated: segment %u needs bytes up to 0x%llx, file has 0x%zx", i,
			       (unsigned long long)(ph->p_offset + ph->p_filesz), size);
	if (ph->p_paddr < KB_LOAD_MIN)
		return kb_errf(err, errlen,
			       "segment %u at 0x%llx overlaps the VMM's boot area (tables, "
			       "boot info) below 0x%llx",
			       i, (unsigned long long)ph->p_paddr, (unsigned long long)KB_LOAD_MIN);
	if (!kb_range_ok(ph->p_paddr, ph->p_memsz, 0, ram_size))
		return kb_errf(err, errlen,
			       "segment %u [0x%llx, +0x%llx) does not fit in guest RAM "
			       "below 0x%llx (raise -m?)",
			       i, (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
			       (unsigned long long)ram_size);
	return 0;
}

int kb_elf_load(const uint8_t *buf, size_t size, uint8_t *ram, uint64_t ram_size, int ram_is_zero,
		struct kb_image *img, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	unsigned nload = 0;
	int entry_ok = 0;

	if (size < sizeof(eh))
		return kb_errf(err, errlen, "truncated: %zu bytes is shorter than an ELF header",
			       size);
	memcpy(&eh, buf, sizeof(eh));
	if (check_header(&eh, size, err, errlen))
		return -1;
	memcpy(ph, buf + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr));
	img->lo = UINT64_MAX;
	img->hi = 0;
	img->virt = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		if (check_segment(&ph[i], i, size, ram_size, err, errlen))
			return -1;
		for (unsigned k = 0; k < i; k++) {
			if (ph[k].p_type != PT_LOAD || ph[k].p_memsz == 0)
				continue;
			if (ph[i].p_paddr < ph[k].p_paddr + ph[k].p_memsz &&
			    ph[k].p_paddr < ph[i].p_paddr + ph[i].p_memsz)
				return kb_errf(err, errlen, "segments %u and %u overlap", k, i);
		}
		/* vmlinux links at kernel virtual addresses but gives a
		 * physical entry; micro-guests have vaddr == paddr. */
		if (eh.e_entry - ph[i].p_vaddr < ph[i].p_memsz) {
			img->entry = eh.e_entry - ph[i].p_vaddr + ph[i].p_paddr;
			entry_ok = 1;
		} else if (eh.e_entry - ph[i].p_paddr < ph[i].p_memsz) {
			img->entry = eh.e_entry;
			entry_ok = 1;
		}
		if (ph[i].p_vaddr != ph[i].p_paddr)
			img->virt = 1;
		nload++;
	}
	if (nload == 0)
		return kb_errf(err, errlen, "no loadable segment");
	if (!entry_ok)
		return kb_errf(err, errlen, "entry point 0x%llx is outside every segment",
			       (unsigned long long)eh.e_entry);
	/* Everything checked: now copy, and zero what the file leaves out. */
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		memcpy(ram + ph[i].p_paddr, buf + ph[i].p_offset, ph[i].p_filesz);
		if (!ram_is_zero)
			memset(ram + ph[i].p_paddr + ph[i].p_filesz, 0,
			       ph[i].p_memsz - ph[i].p_filesz);
		if (ph[i].p_paddr < img->lo)
			img->lo = ph[i].p_paddr;
		if (ph[i].p_paddr + ph[i].p_memsz > img->hi)
			img->hi = ph[i].p_paddr + ph[i].p_memsz;
	}
	return 0;
}

bool kb_elf_is64(const uint8_t *buf, size_t size)
{
	return size > 4 && !memcmp(buf, ELFMAG, SELFMAG) && buf[EI_CLASS] == ELFCLASS64;
}

bool kb_elf_is_vmlinux(const uint8_t *buf, size_t size)
{
	Elf64_Ehdr eh;
	char why[160];

	if (size < sizeof(eh))
		return false;
	memcpy(&eh, buf, sizeof(eh));
	if (check_header(&eh, size, why, sizeof(why)))
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD && ph.p_memsz && ph.p_vaddr != ph.p_paddr)
			return true;
	}
	return false;
}

int kb_elf_note(const uint8_t *buf, size_t size, const char *owner, uint32_t type, uint64_t *val,
		char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	size_t olen = strlen(owner) + 1;

	if (size < sizeof(eh))
		return 0;
	memcpy(&eh, buf, sizeof(eh));
	if (check_header(&eh, size, err, errlen))
		return -1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_NOTE)
			continue;
		if (!kb_range_ok(ph.p_offset, ph.p_filesz, 0, size))
			return kb_errf(err, errlen, "truncated: note segment %u ends past the file",
				       i);
		/* Walk the notes: 12-byte header, name and desc each padded to 4. */
		for (uint64_t off = 0; ph.p_filesz - off >= sizeof(Elf64_Nhdr);) {
			Elf64_Nhdr nh;
			uint64_t name_sz, desc_sz;

			memcpy(&nh, buf + ph.p_offset + off, sizeof(nh));
			name_sz = ((uint64_t)nh.n_namesz + 3) & ~3ull;
			desc_sz = ((uint64_t)nh.n_descsz + 3) & ~3ull;
			off += sizeof(nh);
			if (name_sz > ph.p_filesz - off || desc_sz > ph.p_filesz - off - name_sz)
				return kb_errf(err, errlen,
					       "note segment %u: a note (name %u, desc %u bytes) "
					       "runs past the segment",
					       i, nh.n_namesz, nh.n_descsz);
			const uint8_t *name = buf + ph.p_offset + off;
			const uint8_t *desc = name + name_sz;

			off += name_sz + desc_sz;
			if (nh.n_type != type || nh.n_namesz != olen || memcmp(name, owner, olen))
				continue;
			if (nh.n_descsz != 4 && nh.n_descsz != 8)
				return kb_errf(err, errlen,
					       "%s note %u has a %u-byte value (4 or 8 expected)",
					       owner, type, nh.n_descsz);
			*val = 0;
			memcpy(val, desc, nh.n_descsz);
			return 1;
		}
	}
	return 0;
}

int kb_file_read(const char *path, uint64_t max, uint8_t **buf, size_t *size, char *err,
		 size_t errlen)
{
	struct stat st;
	uint8_t *b = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kb_errf(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		kb_errf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		kb_errf(err, errlen, "%s: %lld bytes is larger than guest RAM allows", path,
			(long long)st.st_size);
		goto out;
	}
	b = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!b) {
		kb_errf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n <= 0) {
			kb_errf(err, errlen, "%s: read failed: %s", path,
				n ? strerror(errno) : "file shrank");
			free(b);
			b = NULL;
			goto out;
		}
		got += (size_t)n;
	}
	*buf = b;
	*size = got;
out:
	close(fd);
	return b ? 0 : -1;
}
