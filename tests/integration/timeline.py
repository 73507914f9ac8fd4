"""Where the integration run's time went, per xdist worker: tests/output/timeline.json.

The pytest controller records, from the reports its workers send, when each test's setup, call and
teardown started and stopped, and on which worker. At the session's end it writes them all, one
entry per test file and worker, and prints each worker's busy time and when it finished: the run
takes as long as its slowest worker, so a file that lands late on one worker shows up here.
"""

import json
import os

from tests.conftest import ROOT

OUTPUT = os.path.join(ROOT, "tests", "output", "timeline.json")


class Timeline:
    """Registered on the controller only (tests/integration/conftest.py)."""

    def __init__(self):
        self.phases = []

    def pytest_runtest_logreport(self, report):
        node = getattr(report, "node", None)
        worker = node.gateway.id if node is not None else "main"
        self.phases.append(dict(worker=worker, nodeid=report.nodeid, when=report.when,
                                start=getattr(report, "start", 0.0), stop=getattr(report, "stop", 0.0)))

    def files(self):
        """[{worker, file, start, stop, busy}] in the order the files started."""
        spans = {}
        for phase in self.phases:
            key = (phase["worker"], phase["nodeid"].split("::", 1)[0])
            span = spans.setdefault(key, dict(worker=key[0], file=key[1], start=phase["start"], stop=phase["stop"], busy=0.0))
            span["start"] = min(span["start"], phase["start"])
            span["stop"] = max(span["stop"], phase["stop"])
            span["busy"] += phase["stop"] - phase["start"]
        return sorted(spans.values(), key=lambda span: span["start"])

    def pytest_terminal_summary(self, terminalreporter):
        if not self.phases:
            return
        files = self.files()
        began = min(span["start"] for span in files)
        for span in files:
            span.update(start=round(span["start"] - began, 1), stop=round(span["stop"] - began, 1),
                        busy=round(span["busy"], 1))
        os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
        with open(OUTPUT, "w") as handle:
            json.dump(files, handle, indent=1)
        terminalreporter.write_sep("-", "time per worker (tests/output/timeline.json)")
        for worker in sorted(set(span["worker"] for span in files)):
            mine = [span for span in files if span["worker"] == worker]
            last = max(mine, key=lambda span: span["stop"])
            terminalreporter.write_line("%s: %d files, busy %.0f s, finished at %.0f s (last: %s)" % (
                worker, len(mine), sum(span["busy"] for span in mine), last["stop"], last["file"]))
