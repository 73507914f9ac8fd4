"""What failed in a `make test`, in a few lines: printed last, where a reader of only the log's tail looks.

``python -m tests.integration.failures JUNIT_XML CHECKS_LOG``: each failed or erred test of the
integration run (its node id and the first line of its message), and each failed step of the checks.
"""

from __future__ import annotations

import os
import re
import sys
from xml.etree import ElementTree

WIDTH = 300


def integration(path):
    """``FAILED node: message`` for each test of the JUnit XML at ``path`` that failed or erred."""
    if not os.path.exists(path):
        return ["integration: no report at %s (pytest did not finish)" % path]
    lines = []
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        for outcome in ("failure", "error"):
            for element in case.findall(outcome):
                message = (element.get("message") or element.text or "").strip().splitlines() or [""]
                node = "%s::%s" % (case.get("classname", ""), case.get("name", ""))
                lines.append(("%s %s: %s" % (outcome.upper(), node, message[0]))[:WIDTH])
    return lines


def checks(path):
    """The failed make steps of the checks' log (its ``make: *** [...] Error N`` lines, deduplicated)."""
    if not os.path.exists(path):
        return []
    with open(path, errors="replace") as handle:
        found = re.findall(r"^make\S*: \*\*\* \[[^\]]*\] Error \d+$", handle.read(), re.MULTILINE)
    return ["checks: %s" % line for line in dict.fromkeys(found)]


def main(argv=None):
    junit, log = (argv if argv is not None else sys.argv[1:])[:2]
    lines = integration(junit) + checks(log)
    print("== failures: %s" % ("none" if not lines else len(lines)))
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
