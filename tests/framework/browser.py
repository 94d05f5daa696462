"""A report page in headless Chromium (Debian's chromium): its DOM after
the page's scripts ran, and a screenshot at the width people read it at."""
import shutil
import struct
import subprocess
from html.parser import HTMLParser

import pytest

from framework.paths import BUILD

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=5000"]
WIDTH = 1400
SHOTS = BUILD / "test-screenshots"  # kept for a person to look at; not in git


def _exe():
    exe = shutil.which("chromium")
    if not exe:
        pytest.fail("chromium is missing: ci/install-deps installs Debian's chromium")
    return exe


def dom(page, tmp_path):
    """The page's DOM as Chromium has it once loaded (scripts run)."""
    p = subprocess.run([_exe(), *FLAGS, f"--user-data-dir={tmp_path / 'chromium-dom'}",
                        "--dump-dom", page.as_uri()], capture_output=True, text=True,
                       timeout=120)
    assert "<body" in p.stdout, p.stderr[-2000:]
    return p.stdout


def body(page, tmp_path):
    """The <body> attributes the page's own script sets once loaded
    (data-figures-loaded, data-figures-broken, data-too-wide, ...)."""
    return Elements(dom(page, tmp_path)).body()


def screenshot(page, tmp_path, name, height=900):
    """A WIDTH x height screenshot of page (the first screen by default),
    kept as build/test-screenshots/NAME.png too; its PNG bytes."""
    shot = tmp_path / f"{name}.png"
    subprocess.run([_exe(), *FLAGS, f"--user-data-dir={tmp_path / 'chromium-shot'}",
                    f"--window-size={WIDTH},{height}", f"--screenshot={shot}",
                    page.as_uri()], capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{name}: not a PNG"
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{name}.png").write_bytes(data)
    return data


def png_size(data):
    """(width, height) from a PNG's IHDR."""
    return struct.unpack(">II", data[16:24])


class Elements(HTMLParser):
    """Every element of a document as (tag, attributes, text inside it)."""

    def __init__(self, text):
        super().__init__()
        self.found, self._open = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        el = [tag, dict(attrs), ""]
        self.found.append(el)
        if tag not in ("img", "br", "meta", "link", "input", "hr"):
            self._open.append(el)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for el in self._open:
            el[2] += data

    def all(self, tag, **attrs):
        """The elements with this tag (and these attribute values)."""
        return [e for e in self.found if e[0] == tag and
                all(e[1].get(k) == v for k, v in attrs.items())]

    def by_id(self, ident):
        """The element with this id, or None."""
        return next((e for e in self.found if e[1].get("id") == ident), None)

    def body(self):
        """The <body>'s attributes."""
        return self.all("body")[0][1]
