#!/usr/bin/env python3
"""Write the binary seeds of tests/fuzz/corpus/ (the text seeds -- scenarios,
manifests, stats JSON -- are kept as written).  Each seed is a small valid
input that gets a target past its format checks: a bzImage setup header, ELF64
micro-guest and vmlinux images (one with a PVH note), Multiboot kernels both
ways, virtqueues, and exit streams that drive each device the way a driver
does.  Run it again after a format changes:

    tests/fuzz/mkseeds.py            (from the repository root)
"""
import os
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- loaders -----------------------------------------------------------------


def bzimage(relocatable=True, version=0x020F, pref=0x1000000, init=0x100000):
    img = bytearray(0x3000)
    img[0x1F1] = 4  # setup sectors: the kernel starts at 5 * 512
    img[0x1FE:0x200] = b"\x55\xaa"
    img[0x201] = 0x66  # header ends at 0x202 + 0x66
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, version)
    img[0x234] = 1 if relocatable else 0
    img[0x236] = 1  # XLF_KERNEL_64
    struct.pack_into("<I", img, 0x22C, 0x7FFFFFFF)  # initrd_addr_max
    struct.pack_into("<I", img, 0x238, 2048)  # cmdline_size
    struct.pack_into("<Q", img, 0x258, pref)
    struct.pack_into("<I", img, 0x260, init)
    img[0xA00:] = b"\xcc" * (len(img) - 0xA00)
    return bytes(img)


def elf64(segments, entry, notes=b""):
    """segments: (vaddr, paddr, data, memsz); an optional PT_NOTE."""
    nph = len(segments) + (1 if notes else 0)
    off = 64 + 56 * nph
    ph, body = b"", b""
    for vaddr, paddr, data, memsz in segments:
        ph += struct.pack("<IIQQQQQQ", 1, 7, off + len(body), vaddr, paddr, len(data), memsz, 16)
        body += data
    if notes:
        ph += struct.pack("<IIQQQQQQ", 4, 4, off + len(body), 0, 0, len(notes), len(notes), 4)
        body += notes
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    eh += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, 64, 0, 0, 64, 56, nph, 64, 0, 0)
    return eh + ph + body


def note(owner, ntype, desc):
    name = owner.encode() + b"\0"
    pad = lambda b: b + bytes(-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)


def multiboot_aout():
    flags = 0x10002
    hdr = struct.pack("<III", 0x1BADB002, flags, (-(0x1BADB002 + flags)) & 0xFFFFFFFF)
    hdr += struct.pack("<IIIII", 0x100000, 0x100000, 0, 0x102000, 0x100020)
    return hdr + b"\x90" * (0x200 - len(hdr))


def multiboot_elf32():
    flags = 3
    mb = struct.pack("<III", 0x1BADB002, flags, (-(0x1BADB002 + flags)) & 0xFFFFFFFF)
    code = mb + b"\xf4" * 0x40
    eh = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    eh += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x10000C, 52, 0, 0, 52, 32, 1, 40, 0, 0)
    ph = struct.pack("<IIIIIIII", 1, 84, 0x100000, 0x100000, len(code), 0x1000, 7, 16)
    return eh + ph + code


# --- virtqueues ------------------------------------------------------------------


def desc(addr, length, flags=0, nxt=0):
    return struct.pack("<QIHH", addr, length, flags, nxt)


def avail(*heads):
    return struct.pack("<HH", 0, len(heads)) + b"".join(struct.pack("<H", h) for h in heads)


def virtq_input(chain_flags):
    """fuzz_virtq: header (size 8, desc 0x100, avail 0x200, used 0x300), RAM."""
    ram = bytearray(0x2000)
    for i, (length, flags) in enumerate(chain_flags):
        ram[0x100 + 16 * i : 0x110 + 16 * i] = desc(0x1000 + 0x100 * i, length, flags, i + 1)
    ram[0x200 : 0x204 + 2] = avail(0)
    return struct.pack("<HHHH", 3, 0x100, 0x200, 0x300) + bytes(ram)


# --- exit streams (tests/fuzz/fuzz_exits.c) ------------------------------------------

SIZE = {1: 0, 2: 1, 4: 2, 8: 3}
RAW = 255  # a region index past every registered one: a raw address


def pio(port, size, write, val=0, count=1):
    a = SIZE[size] | (4 if write else 0) | (count - 1) << 3
    out = bytes([0, a, RAW]) + struct.pack("<H", port)
    if write:
        out += b"".join(val.to_bytes(8, "little")[:size] for _ in range(count))
    return out


def pio_str(port, text):
    return b"".join(pio(port, 1, True, c) for c in text.encode())


def mmio(addr, size, write, val=0):
    a = SIZE[size] | (4 if write else 0)
    out = bytes([1, a, RAW]) + struct.pack("<H", addr & 0xFFFF) + (addr >> 16).to_bytes(6, "little")
    return out + (val.to_bytes(8, "little") if write else b"")


def pci(slot, off, size, write, val=0):
    a = SIZE[size] | (4 if write else 0) | (off & 3) << 3
    out = bytes([2, a]) + struct.pack("<I", slot | (off & 0xFC) << 8)
    return out + (val.to_bytes(size, "little") if write else b"")


def msix(dev, off, size, write, val=0):
    a = SIZE[size] | (4 if write else 0) | dev << 3
    return bytes([3, a]) + struct.pack("<H", off) + (val.to_bytes(8, "little") if write else b"")


def ram(at, data):
    out = b""
    for i in range(0, len(data), 32):
        chunk = data[i : i + 32]
        out += bytes([4, (len(chunk) - 1) << 3]) + struct.pack("<I", at + i) + chunk
    return out


def raw(reason, fields):
    return bytes([5, (len(fields) - 1) << 2, reason]) + fields


# the virtio devices fuzz_exits builds: (PCI slot, BAR 0, MSI-X capability)
BLK, NET, RNG = (1, 0xE0000000, 0x84), (2, 0xE0008000, 0x84), (3, 0xE0010000, 0x74)


def virtio_up(dev, queues):
    """Driver set-up (virtio 1.x 3.1.1): queues = [(index, desc, avail, used)]."""
    slot, b, cap = dev
    s = pci(slot, 4, 2, True, 0x6)  # memory space, bus master
    s += pci(slot, cap + 2, 2, True, 0x8000)  # MSI-X on
    s += mmio(b + 0x14, 1, True, 1) + mmio(b + 0x14, 1, True, 3)
    s += mmio(b + 0x00, 4, True, 1) + mmio(b + 0x04, 4, False)
    s += mmio(b + 0x08, 4, True, 1) + mmio(b + 0x0C, 4, True, 1)  # VIRTIO_F_VERSION_1
    s += mmio(b + 0x14, 1, True, 0xB) + mmio(b + 0x14, 1, False)
    s += mmio(b + 0x10, 2, True, 0)
    for q, d, a, u in queues:
        s += mmio(b + 0x16, 2, True, q) + mmio(b + 0x18, 2, True, 16)
        s += mmio(b + 0x1A, 2, True, q + 1)
        s += mmio(b + 0x20, 8, True, d) + mmio(b + 0x28, 4, True, a) + mmio(b + 0x2C, 4, True, 0)
        s += mmio(b + 0x30, 8, True, u) + mmio(b + 0x1C, 2, True, 1)
    return s + mmio(b + 0x14, 1, True, 0xF)


def notify(dev, q):
    return mmio(dev[1] + 0x3000 + 4 * q, 2, True, q) + mmio(dev[1] + 0x1000, 1, False)


def seeds_exits():
    # the platform devices: UART with console lines, RTC, fw_cfg, ACPI PM,
    # the bench device (a metric request in RAM), pvpanic, i8042, debug exit
    s = pio(0x3FB, 1, True, 0x80) + pio(0x3F8, 1, True, 1) + pio(0x3FB, 1, True, 3)
    s += pio(0x3F9, 1, True, 2) + pio(0x3FA, 1, False) + pio(0x3FD, 1, False)
    s += pio_str(0x3F8, "KVMBENCH METRIC x 12.5 ns\nKVMBENCH MARK m\nKVMBENCH UNTIL\n")
    for reg in (0, 2, 4, 6, 7, 8, 9, 0x0A, 0x0B, 0x32):
        s += pio(0x70, 1, True, reg) + pio(0x71, 1, False)
    s += pio(0x510, 2, True, 0) + pio(0x511, 1, False, count=4)
    s += pio(0x510, 2, True, 0x19) + pio(0x511, 1, False, count=4)
    s += pio(0x600, 2, False) + pio(0x602, 2, True, 0x21) + pio(0x608, 4, False)
    req = struct.pack("<HHIQqiI", 0x4B42, 2, 0, 0, 12345, -3, 0)
    req += b"cycles".ljust(48, b"\0") + b"ns".ljust(16, b"\0") + bytes(128)
    s += ram(0x30000, req) + pio(0x4B0, 4, True, 0x30000) + pio(0x4B0, 4, False)
    s += pio(0x505, 1, False) + pio(0xCF9, 1, True, 2) + pio(0xF4, 4, False)
    s += pio(0x604, 2, True, 0x2000 | 5 << 10)  # S5: the guest powers off
    write("exits", "platform", s)

    # PCI: every slot's header and capability list; BAR size probes
    s = b""
    for slot in range(5):
        for off in range(0, 0x100, 4):
            s += pci(slot, off, 4, False)
        s += pci(slot, 0x10, 4, True, 0xFFFFFFFF) + pci(slot, 0x10, 4, False)
        s += pci(slot, 0x10, 4, True, 0xE0000000)
    s += pio(0xCF8, 4, True, 0x80001000) + pio(0xCFE, 2, False) + pio(0xCF8, 4, False)
    write("exits", "pci", s)

    # virtio-rng: one device-writable buffer; MSI-X vectors and the PBA
    s = virtio_up(RNG, [(0, 0x1000, 0x2000, 0x3000)])
    s += ram(0x1000, desc(0x8000, 64, 2)) + ram(0x2000, avail(0))
    s += msix(2, 0x10, 4, True, 0xFEE00000) + msix(2, 0x18, 4, True, 0x41)
    s += msix(2, 0x1C, 4, True, 0) + notify(RNG, 0) + msix(2, 0x800, 8, False)
    s += mmio(RNG[1] + 0x14, 1, True, 0)  # reset
    write("exits", "virtio-rng", s)

    # virtio-blk: a read of sector 0 and a write of sector 1, then GET_ID
    s = virtio_up(BLK, [(0, 0x4000, 0x5000, 0x6000)])
    d = desc(0x8000, 16, 1, 1) + desc(0x9000, 512, 3, 2) + desc(0xA000, 1, 2)
    d += desc(0x8010, 16, 1, 4) + desc(0x9200, 512, 1, 5) + desc(0xA001, 1, 2)
    d += desc(0x8020, 16, 1, 7) + desc(0x9400, 20, 3, 8) + desc(0xA002, 1, 2)
    s += ram(0x4000, d) + ram(0x5000, avail(0, 3, 6))
    s += ram(0x8000, struct.pack("<IIQ", 0, 0, 0) + struct.pack("<IIQ", 1, 0, 1))
    s += ram(0x8020, struct.pack("<IIQ", 8, 0, 0)) + ram(0x9200, b"\xab" * 64)
    s += notify(BLK, 0) + mmio(BLK[1] + 0x2000, 8, False)
    write("exits", "virtio-blk", s)

    # virtio-net on the loopback: a receive buffer, then one frame sent
    s = virtio_up(NET, [(0, 0xC000, 0xD000, 0xE000), (1, 0xF000, 0x14000, 0x15000)])
    s += ram(0xC000, desc(0x20000, 2048, 2)) + ram(0xD000, avail(0))
    s += ram(0xF000, desc(0x21000, 12 + 60)) + ram(0x14000, avail(0))
    s += ram(0x21000, bytes(12) + b"\xff" * 6 + b"\x52\x54\x00\x12\x34\x56" + b"\x08\x00")
    s += notify(NET, 0) + notify(NET, 1) + mmio(NET[1] + 0x2000, 8, False)
    write("exits", "virtio-net", s)

    # malformed exits: port I/O data outside kvm_run, huge counts, other reasons
    s = raw(2, struct.pack("<BBHIQ", 1, 4, 0x3F8, 1, 0x10000))
    s += raw(2, struct.pack("<BBHIQ", 0, 1, 0x3F8, 0xFFFFFFFF, 4096))
    s += raw(2, struct.pack("<BBHIQ", 1, 3, 0x70, 1, 4096))
    s += raw(6, struct.pack("<Q", 0xFEE00000) + bytes(8) + struct.pack("<IB", 200, 1))
    s += raw(5, b"\0") + raw(8, b"\0") + raw(24, struct.pack("<I", 2)) + raw(200, b"\0")
    write("exits", "malformed", s)


def main():
    write("bzimage", "relocatable", bzimage())
    write("bzimage", "fixed-1mib", bzimage(relocatable=False, init=0x200000))
    write("bzimage", "protocol-2.06", bzimage(version=0x0206))
    text = b"\xf4" * 0x100
    write("elf", "micro", elf64([(0x100000, 0x100000, text, 0x2000)], 0x100000))
    pvh = note("GNU", 3, b"\xcd\xab\0\0") + note("Xen", 18, struct.pack("<I", 0x1000040))
    vml = [(0xFFFFFFFF81000000, 0x1000000, text, 0x100000)]
    write("elf", "vmlinux-pvh", elf64(vml, 0x1000000, pvh))
    write("elf", "vmlinux", elf64(vml + [(0xFFFFFFFF82000000, 0x2000000, text, 0x1000)], 0x1000000))
    write("multiboot", "aout-kludge", multiboot_aout())
    write("multiboot", "elf32", multiboot_elf32())
    write("virtq", "one-buffer", virtq_input([(64, 2)]))
    write("virtq", "chain", virtq_input([(16, 1), (512, 3), (1, 2)]))
    write("virtq", "indirect", virtq_input([(32, 4)]))
    seeds_exits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
