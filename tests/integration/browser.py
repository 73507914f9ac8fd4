"""A real browser for the tests: Debian's chromium, headless, as a reader would open a page.

``Browser(profile_dir, shots_dir).load(url, shot)`` returns the DOM chromium renders for ``url`` and
writes a screenshot of it to ``shots_dir/shot``; ``visible_text(dom)`` is what a reader sees of it.
Used through the ``browser`` fixture of conftest (the documentation site, the demo's page).
"""

import html.parser
import os
import re
import shutil
import subprocess

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


class _Text(html.parser.HTMLParser):
    """The visible text of an HTML document, whitespace collapsed (scripts and styles left out)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(dom):
    parser = _Text()
    parser.feed(dom)
    return re.sub(r"\s+", " ", "".join(parser.parts))


class Browser:
    """Headless chromium with its own profile; every page it loads is also a screenshot."""

    def __init__(self, profile, shots):
        self.executable = shutil.which("chromium")
        if self.executable is None:
            raise RuntimeError("chromium is not installed: run tests/testbed/up.sh packages")
        self.profile, self.shots = profile, shots
        os.makedirs(shots, exist_ok=True)

    def _run(self, *args):
        proc = subprocess.run([self.executable] + FLAGS + ["--user-data-dir=%s" % self.profile] + list(args),
                              capture_output=True, text=True, timeout=180, check=False)
        assert proc.returncode == 0, "chromium %s failed (rc=%s):\n%s" % (args, proc.returncode, proc.stderr[-3000:])
        return proc.stdout

    def load(self, url, shot, min_bytes=20000):
        dom = self._run("--dump-dom", url)
        path = os.path.join(self.shots, shot)
        if os.path.exists(path):
            os.unlink(path)
        self._run("--window-size=1280,1600", "--screenshot=%s" % path, url)
        with open(path, "rb") as handle:
            png = handle.read()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > min_bytes, "%s is not a screenshot of a page" % path
        return dom
