"""The fake VMM (tests/fake/vmm.py), run directly: a valid stats JSON for
any workload and outcome, the exit status of that outcome, the fields that
docs/stats-json.md documents and the real VMM writes, and its noise.  No
KVM needed, except to hold it against the real VMM's stats."""
import re

import pytest

from framework.paths import FAKE_VMM, ROOT
from framework.vmm import VmmRunner

# docs/exit-status.md
OUTCOMES = [("pass", 0), ("fail", 2), ("crash", 3), ("skip", 77), ("error", 1), ("timeout", 124)]
# sections whose table lists the object's own fields
TABLED = ("config", "host", "sandbox", "timings_ns", "exits", "resources")


@pytest.fixture
def fake(tmp_path):
    """fake(guest, *args, append=...) -> framework.vmm.Run of the fake VMM."""
    return VmmRunner(tmp_path, vmm=FAKE_VMM)


def documented():
    """{section: fields} from docs/stats-json.md: the top level's keys, and
    the fields of each section in TABLED."""
    doc = (ROOT / "docs" / "stats-json.md").read_text()
    out = {}
    for head, body in re.findall(r"^## (.*?)\n(.*?)(?=^## |\Z)", doc, re.M | re.S):
        names = re.findall(r"`([a-z_]+)`", head.split(":")[0])
        key = "top" if head == "Top level" else (names[0] if len(names) == 1 else None)
        if key not in TABLED + ("top",):
            continue
        fields = set()
        for first in re.findall(r"^\| (.*?) \|", body, re.M):
            fields |= {f.split(".")[0] for f in re.findall(r"`([a-z_.]+)`", first)
                       if not f.startswith(".")}
        out[key] = fields
    return out


def test_the_doc_parses_into_its_sections():
    d = documented()
    assert set(d) == {"top", *TABLED}
    assert d["top"] == {"schema", "vmm", "name"} and "apic_ids" in d["config"]
    assert {"handling_ns", "per_vcpu"} <= d["exits"]


@pytest.mark.parametrize("status, rc", OUTCOMES)
def test_every_outcome_is_a_valid_stats_json(fake, status, rc):
    r = fake("pio", "-smp", "4,sockets=2,cores=2,threads=1", "-m", "256M", "-serial", "none",
             append=f"ms=5 fake.status={status}")
    assert r.rc == rc, r
    s = r.stats
    assert s["result"]["status"] == status and s["result"]["exit_code"] == rc
    assert s["result"]["reason"], s["result"]
    doc = documented()
    top = doc.pop("top") | set(TABLED) | {"marks", "metrics", "bench_device", "console",
                                          "kvm_stats", "devices"}
    assert set(s) >= top, top - set(s)
    for section, fields in doc.items():
        assert set(s[section]) >= fields, (section, fields - set(s[section]))
    assert s["config"]["vcpus"] == 4 and s["config"]["apic_ids"] == [0, 1, 2, 3]
    assert s["config"]["memory_bytes"] == 256 << 20 and s["config"]["cmdline"].startswith("ms=5")
    assert s["exits"]["total"] == sum(s["exits"]["by_reason"].values())
    assert len(s["exits"]["per_vcpu"]) == 4
    names = {m["name"] for m in s["metrics"]}
    assert names == ({"pio", "pio_ns", "pio_iterations", "pio_last_round"}
                     if status == "pass" else set())


def test_hello_reports_no_metrics_and_prints_its_console(fake):
    r = fake("hello")
    assert r.rc == 0 and r.stats["metrics"] == [], r
    assert "Hello from kvmbench fake guest hello on 1 vCPU(s), 128 MiB" in r.out
    assert r.stats["console"]["bytes"] == len(r.out) == r.region("com1")


def test_a_run_past_its_timeout_times_out(fake):
    r = fake("pio", "-timeout", "0.2", append="fake.sleep=30")
    assert r.rc == 124 and r.wall < 10, r
    assert r.stats["result"]["reason"] == "no result within 0.2 s (-timeout)"


def test_settings_from_the_environment_per_workload(fake, monkeypatch):
    monkeypatch.setenv("FAKE_STATUS", "cpuid=crash, mmio=fail")
    monkeypatch.setenv("FAKE_NS", "2000")
    assert fake("cpuid").rc == 3 and fake("mmio").rc == 2
    r = fake("pio", append="fake.slow=1.5")  # the command line wins over the environment
    assert r.rc == 0 and r.metrics()["pio_ns"] == 3000, r.metrics()
    r = fake("pio", "-test-exit-delay", "250")
    assert r.metrics()["pio_ns"] == 2250 and r.metrics()["pio"] == pytest.approx(2250 * 2.6)


def test_noise_stays_within_its_spread_and_repeats(tmp_path):
    """The noise is fixed by the campaign number, the run's directory and
    -name: a run made again has the same values, other runs others."""
    def pio_ns(i):
        d = tmp_path / "logs" / "1-c0ffee" / str(i)
        d.mkdir(parents=True, exist_ok=True)
        r = VmmRunner(d, vmm=FAKE_VMM)("pio", "-name", "p", append="fake.ns=1000 fake.spread=0.1")
        return r.metrics()["pio_ns"]

    values = [pio_ns(i) for i in range(24)]
    assert all(900 <= v <= 1100 for v in values), values
    assert max(values) - min(values) > 50 and len(set(values)) == 24, values
    assert [pio_ns(i) for i in range(3)] == values[:3]


def test_devices_count_notify_exits_without_ioeventfd(fake, tmp_path):
    r = fake("rng", "-device", "virtio-rng-pci", "-device", "virtio-rng-pci,ioeventfd=off",
             "-drive", f"file={tmp_path / 'd.img'},if=virtio")
    assert [(d["name"], d["ioeventfd"]) for d in r.stats["devices"]] == [
        ("virtio-rng0", True), ("virtio-rng1", False), ("virtio-blk0", True)]
    notify = {x["name"]: x["count"] for x in r.stats["exits"]["by_region"]
              if x["name"].endswith(".notify")}
    assert notify == {"virtio-rng0.notify": 0, "virtio-rng1.notify": 16,
                      "virtio-blk0.notify": 0}


def test_the_fake_has_the_real_vmms_shape(vmm, fake):
    """Every key the real VMM writes (two levels deep) the fake writes too."""
    real, mine = vmm("pio", "-smp", "2", append="ms=5"), fake("pio", "-smp", "2", append="ms=5")
    assert real.rc == mine.rc == 0, real
    assert set(real.stats) == set(mine.stats)
    for key, value in real.stats.items():
        if isinstance(value, dict):
            assert set(value) == set(mine.stats[key]), key
    assert {m["name"] for m in real.stats["metrics"]} == {m["name"] for m in mine.stats["metrics"]}
    assert set(real.stats["exits"]["per_vcpu"][0]) == set(mine.stats["exits"]["per_vcpu"][0])
    assert set(real.stats["metrics"][0]) == set(mine.stats["metrics"][0])
    assert set(real.stats["marks"][0]) == set(mine.stats["marks"][0])
