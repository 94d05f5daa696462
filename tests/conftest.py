"""pytest's side of the test framework (tests/framework/): fixtures and the
marks that host gating decides.  Helpers live in framework/, never here and
never in a test module: a test imports `from framework.X import ...`.

Tests are in functional/, performance/ (benchmark scripts, make bench-*)
and security/; a new test file is tests/<kind>/test_NAME.py.
"""
import pytest

from framework import host
from framework.fake import env as fake_env
from framework.harness import Harness
from framework.linux import cannot_download, fetch_kernel
from framework.paths import VMM
from framework.vmm import VmmRunner


def pytest_configure(config):
    for name, what in host.MARKS:
        config.addinivalue_line("markers", f"{name}: {what}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        for name in host.marks_for(getattr(item, "fixturenames", ())):
            item.add_marker(getattr(pytest.mark, name))


# --- host gating (each fixture gives its users a mark: framework.host) ----------

@pytest.fixture(scope="session")
def kvm():
    """A usable KVM, native or the lab's (marks the test kvm)."""
    reason = host.kvm_unusable_reason()
    if reason:
        pytest.skip(f"needs KVM: {reason}")
    if not VMM.exists():
        pytest.fail(f"{VMM} is missing: run make first")


@pytest.fixture(scope="session")
def svm_kvm(kvm):
    """A KVM that boots Linux to user space (VMX or SVM, the lab included;
    marks the test lab_lane)."""
    if host.host_is_pvm():
        pytest.skip(host.PVM_LINUX_REASON)


@pytest.fixture(scope="session")
def lab():
    """Tests that boot labs themselves (kvmbench lab, run --host lab; marks
    the test starts_lab)."""
    if host.in_lab():
        pytest.skip("boots labs itself, and a lab cannot run inside the lab")
    reason = host.lab_unavailable_reason()
    if reason:
        pytest.fail(reason)


# --- runners ---------------------------------------------------------------------

@pytest.fixture
def vmm(kvm, tmp_path):
    """vmm(guest, *args, append=..., timeout=..., stats=True) -> framework.vmm.Run."""
    return VmmRunner(tmp_path)


@pytest.fixture
def harness(tmp_path):
    """kvmbench on a database of the test's own (framework.harness.Harness)."""
    return Harness(tmp_path)


@pytest.fixture
def fake_harness(tmp_path):
    """kvmbench on a database of the test's own, running the fake VMM
    (tests/fake/vmm.py: valid stats for any workload, no KVM needed)."""
    return Harness(tmp_path, env=fake_env())


@pytest.fixture(scope="module")
def kernel():
    """Debian's cloud kernel (kvmbench fetch debian-cloud-kernel): its path."""
    path, why = fetch_kernel()
    if why and cannot_download(why):
        pytest.skip(f"the Debian cloud kernel cannot be downloaded here: {why.strip()}")
    assert path, why
    return path


@pytest.fixture
def direct_io_dir(tmp_path):
    """A directory whose file system takes O_DIRECT (framework.host.direct_io_dir)."""
    with host.direct_io_dir(tmp_path) as d:
        yield d
