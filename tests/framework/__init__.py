"""The test framework (after Firecracker's tests/framework): what the tests
share, so that no test module imports another.

  paths       where the build and the tests' tools are (ROOT, BUILD, VMM, KB,
              GUESTS, FAKE_VMM)
  host        host gating: is KVM usable, kvm_pvm, inside the lab, can a lab
              boot here; the pytest marks those decide (conftest applies them)
  lab         retrying what the lab's emulated SVM sometimes breaks
  vmm         the VMM runner: kvmbench-vmm with arguments and a timeout, its
              exit status, console, stderr and stats JSON
  harness     the harness runner: kvmbench with a database and results
              directory of the test's own
  fake        the fake VMM (tests/fake/): its settings as an environment
  linux       the Debian cloud kernel the Linux tests boot, and its vmlinux
  fetchserver a local HTTP(S) server with misbehaviours, for the download tests

conftest.py turns these into fixtures; a test imports what it needs from
here (`from framework.harness import kb, write`).
"""
