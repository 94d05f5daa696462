"""The Linux the Linux tests boot: Debian's cloud kernel, fetched through
the image manifest, and the vmlinux ELF inside its bzImage."""
import lzma
import struct
import subprocess
import zlib

from framework.paths import KB


def fetch_kernel(name="debian-cloud-kernel"):
    """kvmbench fetch NAME: (its path, or None; why not: None, or the reason
    when the download cannot happen here, or the error)."""
    p = subprocess.run([str(KB), "fetch", name], capture_output=True, text=True, timeout=600)
    if p.returncode:
        return None, p.stderr
    return p.stdout.split()[1], None


def cannot_download(why):
    """The fetch failed only because this host cannot download (no network)."""
    return "apt-get download" in why


def extract_vmlinux(bzimage, out):
    """The vmlinux ELF inside a bzImage: its payload (setup header fields
    payload_offset/payload_length), decompressed by its magic."""
    b = bzimage.read_bytes()
    koff = ((b[0x1f1] or 4) + 1) * 512
    off, length = struct.unpack_from("<II", b, 0x248)
    payload = b[koff + off:koff + off + length - 4]  # the last 4 bytes: the unpacked size
    if payload[:2] == b"\x1f\x8b":
        data = zlib.decompressobj(47).decompress(payload)
    elif payload[:6] == b"\xfd7zXZ\x00":
        data = lzma.LZMADecompressor().decompress(payload)
    else:
        tool = {b"\x02\x21\x4c\x18": "lz4", b"\x28\xb5\x2f\xfd": "zstd"}.get(payload[:4])
        assert tool, f"unknown bzImage payload compression {payload[:6].hex()}"
        data = subprocess.run([tool, "-dc"], input=payload, capture_output=True,
                              check=True).stdout
    assert data[:4] == b"\x7fELF"
    out.write_bytes(data)
    return out
