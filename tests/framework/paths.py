"""Where the build and the tests' own tools are."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
VMM = BUILD / "kvmbench-vmm"
KB = BUILD / "kvmbench"
GUESTS = BUILD / "guests"
FAKE_VMM = ROOT / "tests" / "fake" / "vmm.sh"
