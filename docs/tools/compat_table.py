# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""README.md's compatibility table (module and plugin x engine), rendered from what the tests recorded.

tests/integration/test_engines.py runs each feature on each engine of the test bed; the compat plugin
(tests/integration/compat.py) writes the outcomes to tests/output/compat.json. This script puts the
table between the markers in README.md:

    python docs/tools/compat_table.py            render (make compat; make integration does it after the tests)
    python docs/tools/compat_table.py --check    fail if README.md's table is not what the recorded run says
"""

from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "output", "compat.json")
README = os.path.join(ROOT, "README.md")
START = "<!-- compat-table:start (docs/tools/compat_table.py renders it from tests/output/compat.json) -->"
END = "<!-- compat-table:end -->"
OUTCOMES = {"pass": "yes", "quirk": "no", "fail": "FAILS"}


def _engine_title(name, facts):
    kind, _sep, _release = name.partition("-")
    version = (facts or {}).get("version", "").split("+")[0] or name.partition("-")[2]
    api = (facts or {}).get("api_version")
    return "%s %s%s" % ("Docker" if kind == "docker" else "Podman", version, " (API %s)" % api if api else "")


def _engine_order(name):
    """docker-20.10 before docker-26.1, podman-4.3 before podman-5.4: kind, then version numbers."""
    kind, _sep, version = name.partition("-")
    return kind, [int(part) for part in version.split(".")]


def render(data):
    """The table (Markdown lines) and its notes, from compat.json's data."""
    cells = data.get("cells") or []
    engines = sorted(set(cell["engine"] for cell in cells), key=_engine_order)
    rows = []
    for cell in cells:
        row = (cell["module"], cell["feature"])
        if row not in rows:
            rows.append(row)
    by_key = dict(((c["module"], c["feature"], c["engine"]), c) for c in cells)
    notes = []
    lines = ["| module or plugin | what is tested | %s |" % " | ".join(
        _engine_title(name, (data.get("engines") or {}).get(name)) for name in engines),
        "|---|---|%s" % ("---|" * len(engines))]
    for module, feature in rows:
        out = []
        for engine in engines:
            cell = by_key.get((module, feature, engine))
            if cell is None:
                out.append("not run")
                continue
            text = OUTCOMES[cell["outcome"]]
            if cell.get("reason"):
                if cell["reason"] not in notes:
                    notes.append(cell["reason"])
                text += " [%d]" % (notes.index(cell["reason"]) + 1)
            out.append(text)
        lines.append("| `%s` | %s | %s |" % (module, feature, " | ".join(out)))
    lines.append("")
    lines += ["%d. %s" % (number, reason) for number, reason in enumerate(notes, 1)]
    return lines


def replace(text, lines):
    """``text`` (README.md) with the lines between the markers replaced."""
    if START not in text or END not in text:
        raise SystemExit("README.md has no compatibility table markers (%s ... %s)" % (START, END))
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    return head + START + "\n" + "\n".join(lines) + "\n" + END + tail


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if README.md is not up to date")
    args = parser.parse_args(argv)
    if not os.path.exists(DATA):
        print("compat_table: %s is missing: run tests/integration/test_engines.py first" % DATA, file=sys.stderr)
        return 1
    with open(DATA) as handle:
        lines = render(json.load(handle))
    with open(README) as handle:
        text = handle.read()
    new = replace(text, lines)
    if args.check:
        if new != text:
            print("compat_table: README.md's table is not what %s says: run make compat" % DATA, file=sys.stderr)
            return 1
        return 0
    if new != text:
        with open(README, "w") as handle:
            handle.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
