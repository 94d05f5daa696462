"""Guest images: manifests, the verified cache, downloads over loopback HTTP."""
import hashlib
import os
import re
import subprocess
import threading
import time

import pytest

from framework.fetchserver import Server
from framework.harness import rows, write
from framework.paths import GUESTS, KB

BODY = os.urandom(300 * 1024)
SHA = hashlib.sha256(BODY).hexdigest()


@pytest.fixture
def server():
    s = Server({"guest.elf": BODY})
    yield s
    s.close()


def manifest(tmp_path, url, sha=SHA, name="img"):
    return write(tmp_path, "m.ini", f"[image.{name}]\nkind = guest\nsha256 = {sha}\nurl = {url}\n")


def fetch(tmp_path, m, *names, env=None, timeout=120):
    e = dict(os.environ, KVMBENCH_CACHE=str(tmp_path / "cache"), KVMBENCH_FETCH_TIMEOUT_S="2",
             KVMBENCH_FETCH_RETRIES="3")
    e.update(env or {})
    return subprocess.run([str(KB), "fetch", *names, "--manifest", str(m)], capture_output=True,
                          text=True, env=e, timeout=timeout)


def cache_files(tmp_path):
    d = tmp_path / "cache"
    return sorted(p.name for p in d.iterdir() if not p.name.endswith(".lock")) if d.exists() else []


def test_clean_fetch_and_images(server, tmp_path):
    m = manifest(tmp_path, server.url("ok", "guest.elf"))
    p = fetch(tmp_path, m)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "cache" / SHA).read_bytes() == BODY
    assert cache_files(tmp_path) == [SHA]
    env = dict(os.environ, KVMBENCH_CACHE=str(tmp_path / "cache"))
    out = subprocess.run([str(KB), "images", "--manifest", str(m)], capture_output=True,
                         text=True, env=env).stdout
    assert out.split()[:3] == ["img", "guest", "cached"]
    # a second fetch reuses the cache: no request
    n = len(server.log)
    assert fetch(tmp_path, m).returncode == 0 and len(server.log) == n
    # corrupt it: images says so, fetch repairs it
    (tmp_path / "cache" / SHA).write_bytes(b"x" * 10)
    out = subprocess.run([str(KB), "images", "--manifest", str(m)], capture_output=True,
                         text=True, env=env).stdout
    assert out.split()[2] == "corrupt"
    assert fetch(tmp_path, m).returncode == 0
    assert (tmp_path / "cache" / SHA).read_bytes() == BODY


def test_dropped_connection_resumes_with_range(server, tmp_path):
    m = manifest(tmp_path, server.url("drop", "guest.elf"))
    p = fetch(tmp_path, m)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "cache" / SHA).read_bytes() == BODY
    ranges = [r for path, r in server.log]
    assert ranges[0] is None and ranges[1] == f"bytes={len(BODY) // 2}-", server.log


def test_interrupted_part_file_is_resumed(server, tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / f"{SHA}.part").write_bytes(BODY[:1000])  # a killed fetch's leftover
    m = manifest(tmp_path, server.url("ok", "guest.elf"))
    assert fetch(tmp_path, m).returncode == 0
    assert server.log == [("/ok/guest.elf", "bytes=1000-")]
    assert (tmp_path / "cache" / SHA).read_bytes() == BODY


def test_wrong_checksum_leaves_nothing(server, tmp_path):
    m = manifest(tmp_path, server.url("ok", "guest.elf"), sha="0" * 64)
    p = fetch(tmp_path, m)
    assert p.returncode == 1
    assert p.stderr.count("\n") == 1 and "sha256 mismatch" in p.stderr and SHA in p.stderr
    assert cache_files(tmp_path) == []


def test_404_leaves_nothing(server, tmp_path):
    m = manifest(tmp_path, server.url("ok", "missing.elf"))
    p = fetch(tmp_path, m)
    assert p.returncode == 1 and "HTTP 404" in p.stderr and p.stderr.count("\n") == 1
    assert cache_files(tmp_path) == []
    assert len(server.log) == 1  # not retried


def test_unreachable_host_and_offline(tmp_path):
    m = manifest(tmp_path, "http://127.0.0.1:9/nothing")  # discard port: refused
    p = fetch(tmp_path, m, env={"KVMBENCH_FETCH_RETRIES": "1"})
    assert p.returncode == 1 and "img" in p.stderr and cache_files(tmp_path) == []
    env = dict(os.environ, KVMBENCH_CACHE=str(tmp_path / "cache"))
    p = subprocess.run([str(KB), "fetch", "--offline", "--manifest", str(m)], capture_output=True,
                       text=True, env=env)
    assert p.returncode == 1 and "--offline" in p.stderr and "img" in p.stderr


def test_slow_server_times_out(server, tmp_path):
    m = manifest(tmp_path, server.url("slow", "guest.elf"))
    t0 = time.monotonic()
    p = fetch(tmp_path, m, env={"KVMBENCH_FETCH_RETRIES": "1"})
    assert p.returncode == 1 and ("timed out" in p.stderr.lower() or "Timeout" in p.stderr)
    assert 3 <= time.monotonic() - t0 < 30
    assert cache_files(tmp_path) == []


def test_two_fetches_at_once_download_once(server, tmp_path):
    m = manifest(tmp_path, server.url("paced", "guest.elf"))
    results = []

    def one():
        results.append(fetch(tmp_path, m))
    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert len(server.log) == 1
    assert (tmp_path / "cache" / SHA).read_bytes() == BODY


def test_bad_manifests(tmp_path):
    for text, msg in [("[image.a]\nkind = guest\nsha256 = xyz\nurl = http://h/x\n", "sha256"),
                      ("[image.a]\nkind = guest\nsha256 = " + "a" * 64 + "\n", "exactly one of"),
                      ("[image.a]\nkind = toaster\n", "kind: 'toaster'"),
                      ("[image.a]\nkind = guest\nsha256 = " + "a" * 64 + "\nurl = ftp://x\n",
                       "url: 'ftp://x'"),
                      ("[thing]\nx = 1\n", "unknown section [thing]")]:
        m = write(tmp_path, "bad.ini", text)
        p = subprocess.run([str(KB), "images", "--manifest", str(m)], capture_output=True,
                           text=True)
        assert p.returncode == 1 and f"{m}:" in p.stderr and msg in p.stderr, (text, p.stderr)


def test_apt_source(tmp_path):
    """A Debian package's file through apt-get download and dpkg-deb (the way
    the Debian cloud kernel of images/manifest.ini arrives)."""
    if subprocess.run(["apt-cache", "show", "hello=2.10-3"], capture_output=True).returncode:
        pytest.skip("Debian's hello 2.10-3 is not in this machine's package lists")
    m = write(tmp_path, "apt.ini", "[image.hello]\nkind = guest\napt = hello=2.10-3\n"
              "path = usr/bin/hello\nsha256 = "
              "1aab5d66fba9313733ca534dc9693f262532ab696eb9d29cc70978c5e1c7078c\n")
    p = fetch(tmp_path, m)
    assert p.returncode == 0, p.stderr
    assert cache_files(tmp_path) == ["1aab5d66fba9313733ca534dc9693f262532ab696eb9d29cc70978c5e1c7078c"]
    m = write(tmp_path, "apt2.ini", "[image.hello]\nkind = guest\napt = hello=2.10-3\n"
              "path = usr/bin/nothere\nsha256 = " + "b" * 64 + "\n")
    p = fetch(tmp_path, m)
    assert p.returncode == 1 and "matches 0 files" in p.stderr


def test_shipped_manifest_parses():
    p = subprocess.run([str(KB), "images"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[:2] == ["debian-cloud-kernel", "kernel"]


def test_run_fetches_the_images_a_scenario_needs(kvm, tmp_path):
    hello = (GUESTS / "hello.elf").read_bytes()
    s = Server({"hello.elf": hello})
    try:
        m = write(tmp_path, "m.ini", "[image.hello-remote]\nkind = guest\nsha256 = "
                  f"{hashlib.sha256(hello).hexdigest()}\nurl = {s.url('ok', 'hello.elf')}\n")
        f = write(tmp_path, "s.ini", "[scenario]\nrepeats = 1\nwarmup = 0\n[matrix]\n"
                  "workload = remote\n[workload.remote]\nimage = hello-remote\n")
        env = dict(os.environ, KVMBENCH_CACHE=str(tmp_path / "cache"))
        db = tmp_path / "k.db"
        p = subprocess.run([str(KB), "run", str(f), "--db", str(db), "--manifest", str(m),
                            "--offline"], capture_output=True, text=True, env=env)
        assert p.returncode == 1 and "--offline" in p.stderr and not db.exists()
        p = subprocess.run([str(KB), "run", str(f), "--db", str(db), "--manifest", str(m)],
                           capture_output=True, text=True, env=env)
        assert p.returncode == 0, p.stderr
        (guest, status), = rows(db, "SELECT guest, status FROM runs")
        assert status == "pass" and guest == str(tmp_path / "cache" / hashlib.sha256(hello).hexdigest())
        assert len(s.log) == 1
    finally:
        s.close()


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (openssl, from ci/install-deps)."""
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                   check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"


def test_tls_untrusted_certificate_fails_cleanly(cert, tmp_path):
    s = Server({"guest.elf": BODY}, tls=cert)
    try:
        m = manifest(tmp_path, s.url("ok", "guest.elf"))
        p = fetch(tmp_path, m)
        assert p.returncode == 1, p.stderr
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and "image img: TLS failed" in lines[0], p.stderr
        assert "KVMBENCH_CA_BUNDLE" in lines[0]
        assert cache_files(tmp_path) == []
        # trusted through KVMBENCH_CA_BUNDLE, the same server works
        p = fetch(tmp_path, m, env={"KVMBENCH_CA_BUNDLE": str(cert[0])})
        assert p.returncode == 0, p.stderr
        assert (tmp_path / "cache" / SHA).read_bytes() == BODY
    finally:
        s.close()


def test_https_url_to_a_plain_http_server_is_a_tls_error(server, tmp_path):
    m = manifest(tmp_path, server.url("ok", "guest.elf").replace("http:", "https:"))
    p = fetch(tmp_path, m, env={"KVMBENCH_FETCH_RETRIES": "0"})
    assert p.returncode == 1 and "image img: TLS failed" in p.stderr, p.stderr
    assert cache_files(tmp_path) == []


def test_dns_failure_is_one_line(tmp_path):
    # .invalid never resolves (RFC 6761): the resolver answers at once
    m = manifest(tmp_path, "http://kvmbench-images.invalid/guest.elf")
    t0 = time.monotonic()
    p = fetch(tmp_path, m)
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kvmbench: image img: DNS:"), p.stderr
    assert "kvmbench-images.invalid" in lines[0]
    assert time.monotonic() - t0 < 30  # not retried as if transient
    assert cache_files(tmp_path) == []


def test_progress_line_on_a_terminal(server, tmp_path):
    """On a TTY, fetch shows bytes, rate and ETA, and clears the line at the
    end; with stderr not a terminal (every other test) it prints none."""
    import pty
    big = os.urandom(3 * 1024 * 1024)
    server.bodies["big"] = big
    m = manifest(tmp_path, server.url("paced", "big"), sha=hashlib.sha256(big).hexdigest())
    master, slave = pty.openpty()
    env = dict(os.environ, KVMBENCH_CACHE=str(tmp_path / "cache"))
    p = subprocess.Popen([str(KB), "fetch", "--manifest", str(m)], stdout=subprocess.PIPE,
                         stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        out += chunk
    assert p.wait(timeout=120) == 0
    text = out.decode(errors="replace")
    assert re.search(r"\r\x1b\[K  img: \d+\.\d / 3\.0 MiB, \d+\.\d MiB/s, ETA \d+s", text), text
    assert text.endswith("\r\x1b[K") or text.rstrip("\r\n").endswith("\x1b[K"), repr(text[-80:])
    p = fetch(tmp_path, m)  # cached now; and no terminal: no progress bytes
    assert "\x1b[K" not in p.stderr


# --- hostile caches, manifests and servers (issue 12 items 5, 6, 13) -----------


def own_cache(tmp_path):
    """The cache directory as fetch makes it: the user's, mode 0755."""
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o755)
    return cache


def test_planted_symlink_at_part_is_refused(server, tmp_path):
    cache = own_cache(tmp_path)
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    (cache / f"{SHA}.part").symlink_to(victim)
    m = manifest(tmp_path, server.url("ok", "guest.elf"))
    p = fetch(tmp_path, m)
    assert p.returncode == 1, p.stderr
    assert f"{cache}/{SHA}.part" in p.stderr and "symbolic link" in p.stderr, p.stderr
    assert victim.read_bytes() == b"precious\n"
    assert not (cache / SHA).exists() and server.log == []


def test_planted_symlink_at_lock_is_refused(server, tmp_path):
    cache = own_cache(tmp_path)
    target = tmp_path / "created-elsewhere"
    (cache / f"{SHA}.lock").symlink_to(target)
    m = manifest(tmp_path, server.url("ok", "guest.elf"))
    p = fetch(tmp_path, m)
    assert p.returncode == 1, p.stderr
    assert f"{cache}/{SHA}.lock" in p.stderr and "symbolic link" in p.stderr, p.stderr
    assert not os.path.lexists(target) and server.log == []


def test_fifo_at_part_is_refused_not_waited_on(server, tmp_path):
    cache = own_cache(tmp_path)
    os.mkfifo(cache / f"{SHA}.part")
    m = manifest(tmp_path, server.url("ok", "guest.elf"))
    p = fetch(tmp_path, m, timeout=20)
    assert p.returncode == 1 and f"{SHA}.part" in p.stderr and "not a regular file" in p.stderr


@pytest.mark.parametrize("how", ["group-writable", "world-writable", "foreign-owned"])
def test_unsafe_cache_directory_is_refused(server, tmp_path, how):
    cache = own_cache(tmp_path)
    if how == "group-writable":
        cache.chmod(0o775)
    elif how == "world-writable":
        cache.chmod(0o1777)
    elif os.geteuid() == 0:
        os.chown(cache, 65534, 65534)  # nobody's
    else:
        cache = tmp_path / "not-mine"  # a directory of root's, for an ordinary user
        cache.symlink_to("/usr")
    m = manifest(tmp_path, server.url("ok", "guest.elf"))
    p = fetch(tmp_path, m, env={"KVMBENCH_CACHE": str(cache)})
    assert p.returncode == 1, p.stderr
    assert p.stderr.count("\n") == 1 and str(cache) in p.stderr, p.stderr
    assert ("owned by uid" if how == "foreign-owned" else "writable by others") in p.stderr
    assert server.log == [] and not list(cache.glob(f"{SHA}*"))


@pytest.mark.parametrize("path", ["../../x", "/etc/passwd", "boot/../../../x", "..", "a/./../x"])
def test_manifest_path_outside_the_package_is_refused_at_parse(tmp_path, path):
    victim = tmp_path / "x"
    victim.write_text("keep")
    m = write(tmp_path, "m.ini", "[image.k]\nkind = kernel\napt = hello\n"
              f"path = {path}\nsha256 = {'c' * 64}\n")
    for cmd in ("images", "fetch"):
        p = subprocess.run([str(KB), cmd, "--manifest", str(m)], capture_output=True, text=True,
                           env=dict(os.environ, KVMBENCH_CACHE=str(tmp_path / "cache")))
        assert p.returncode == 1 and f"{m}:4: path: '{path}'" in p.stderr, p.stderr
    assert victim.read_text() == "keep" and not (tmp_path / "cache").exists()


def test_manifest_apt_option_injection_is_refused(tmp_path):
    m = write(tmp_path, "m.ini", "[image.k]\nkind = kernel\napt = -oDir::Cache=/\n"
              f"path = boot/x\nsha256 = {'c' * 64}\n")
    p = subprocess.run([str(KB), "images", "--manifest", str(m)], capture_output=True, text=True)
    assert p.returncode == 1 and f"{m}:3: apt: '-oDir::Cache=/'" in p.stderr, p.stderr


def fake_apt(tmp_path, deb):
    """An apt-get on PATH whose `download` copies deb here (no network)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "apt-get"
    script.write_text(f"#!/bin/sh\ncp '{deb}' .\n")
    script.chmod(0o755)
    return {"PATH": f"{bindir}:{os.environ['PATH']}"}


def test_apt_package_cannot_reach_outside_its_directory(tmp_path):
    """A package whose boot/ is a symlink out: path = boot/vmlinuz matched a
    file outside, which was renamed into the cache and deleted."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "vmlinuz").write_bytes(b"a host file")
    pkg = tmp_path / "pkg"
    (pkg / "DEBIAN").mkdir(parents=True)
    (pkg / "DEBIAN" / "control").write_text("Package: evil\nVersion: 1\nArchitecture: all\n"
                                            "Maintainer: x <x@example.org>\nDescription: x\n")
    (pkg / "boot").symlink_to(outside)
    deb = tmp_path / "evil_1_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", str(pkg), str(deb)], check=True,
                   capture_output=True)
    m = write(tmp_path, "m.ini", "[image.evil]\nkind = kernel\napt = evil\n"
              f"path = boot/vmlinuz\nsha256 = {'c' * 64}\n")
    p = fetch(tmp_path, m, env=fake_apt(tmp_path, deb))
    assert p.returncode == 1 and "outside the package" in p.stderr, p.stderr
    assert (outside / "vmlinuz").read_bytes() == b"a host file"
    assert cache_files(tmp_path) == []


def test_endless_download_stops_at_the_cap(server, tmp_path):
    m = manifest(tmp_path, server.url("endless", "x"))
    p = fetch(tmp_path, m, env={"KVMBENCH_MAX_DOWNLOAD": "1M"})
    assert p.returncode == 1, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "image img: larger than its cap of 1048576 bytes" in lines[0]
    assert "KVMBENCH_MAX_DOWNLOAD" in lines[0]
    assert len(server.log) == 1  # not retried
    assert server.sent < 16 << 20
    assert cache_files(tmp_path) == []


def test_manifest_max_size(server, tmp_path):
    m = write(tmp_path, "m.ini", f"[image.img]\nkind = guest\nsha256 = {SHA}\n"
              f"url = {server.url('ok', 'guest.elf')}\nmax_size = 100K\n")
    p = fetch(tmp_path, m)
    assert p.returncode == 1 and "larger than its cap of 102400 bytes (max_size" in p.stderr
    assert cache_files(tmp_path) == [] and len(server.log) == 1
    m.write_text(m.read_text().replace("100K", "1M"))
    p = fetch(tmp_path, m)
    assert p.returncode == 0, p.stderr
    m.write_text(m.read_text().replace("1M", "lots"))
    p = fetch(tmp_path, m)
    assert p.returncode == 1 and f"{m}:5: max_size: 'lots'" in p.stderr, p.stderr


def test_bad_max_download_environment_is_an_error(server, tmp_path):
    m = manifest(tmp_path, server.url("ok", "guest.elf"))
    p = fetch(tmp_path, m, env={"KVMBENCH_MAX_DOWNLOAD": "-1"})
    assert p.returncode == 1 and "KVMBENCH_MAX_DOWNLOAD" in p.stderr and server.log == []
