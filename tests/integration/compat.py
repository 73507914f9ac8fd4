"""The compatibility table's data, recorded by the test run (issue #13).

A test marked ``@pytest.mark.compat("kapal.docker.container", "published ports, IPv6 too")`` and
parametrized with ``engine`` (tests/integration/test_engines.py) is one cell of the table: the feature
(module or plugin, and what of it) on that engine. Its outcome is recorded by the pytest controller (with
pytest-xdist too: the reports carry the cell as a user property) and written, merged into what earlier
runs recorded, to tests/output/compat.json; docs/tools/compat_table.py renders README.md's table from it.

Outcomes: ``pass``; ``quirk`` (a strict xfail: the engine reports something the collection does not
read yet, ``reason`` says what; the issue it is tracked in is in the reason); ``fail`` (a failure or
an error, or a strict xfail that passed: the table is then out of date).
"""

import json
import os

import pytest

from tests.conftest import ROOT

OUTPUT = os.path.join(ROOT, "tests", "output", "compat.json")
PROPERTY = "kapal_compat"


class Recorder:
    """Registered on the controller and on every xdist worker (tests/integration/conftest.py)."""

    def __init__(self, config):
        self.config = config
        self.cells = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        for item in items:
            marker = item.get_closest_marker("compat")
            callspec = getattr(item, "callspec", None)
            if marker is None or callspec is None or "engine" not in callspec.params:
                continue
            module, feature = marker.args
            item.user_properties.append((PROPERTY, dict(module=module, feature=feature,
                                                        engine=callspec.params["engine"])))

    def pytest_runtest_logreport(self, report):
        if hasattr(self.config, "workerinput"):
            return  # the controller records what the workers report
        cell = dict(report.user_properties).get(PROPERTY)
        if cell is None:
            return
        key = (cell["module"], cell["feature"], cell["engine"])
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.cells[key] = _outcome(report)

    def pytest_sessionfinish(self, session):
        if hasattr(self.config, "workerinput") or not self.cells:
            return
        write(self.cells)


def _outcome(report):
    if hasattr(report, "wasxfail"):
        if report.skipped:
            return dict(outcome="quirk", reason=report.wasxfail)
        return dict(outcome="fail", reason="passes now, the quirk is gone: %s" % report.wasxfail)
    if report.passed:
        return dict(outcome="pass")
    if report.skipped:
        return dict(outcome="fail", reason="skipped")
    message = report.longrepr.reprcrash.message if hasattr(report.longrepr, "reprcrash") else str(report.longrepr)
    return dict(outcome="fail", reason=message.splitlines()[0][:300] if message else "failed")


def features():
    """(module, feature) of every test of the table: the compat marks of test_engines.py."""
    from tests.integration import test_engines

    for value in vars(test_engines).values():
        for mark in getattr(value, "pytestmark", []) if callable(value) else []:
            if mark.name == "compat":
                yield tuple(mark.args)


def read(path=OUTPUT):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return dict(engines={}, cells=[])


def write(cells, path=OUTPUT):
    """Merge ``cells`` ({(module, feature, engine): outcome}) into the file, with the engines' facts."""
    from tests.testbed import engines

    data = read(path)
    # Cells of earlier runs stay unless their feature or engine is gone (renamed, removed).
    current = set(features())
    merged = dict(((c["module"], c["feature"], c["engine"]), c) for c in data.get("cells", [])
                  if (c["module"], c["feature"]) in current and c["engine"] in engines.NAMES)
    for (module, feature, engine), outcome in cells.items():
        merged[(module, feature, engine)] = dict(outcome, module=module, feature=feature, engine=engine)
    known = dict(data.get("engines") or {})
    for facts in engines.read_facts() or []:
        known[facts["name"]] = dict(kind=facts["kind"], version=facts["version"], api_version=facts["api_version"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as handle:
        json.dump(dict(engines=known, cells=sorted(merged.values(), key=lambda c: (c["module"], c["feature"], c["engine"]))),
                  handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.rename(path + ".tmp", path)
