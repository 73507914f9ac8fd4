"""The integration tests' ids are the same in every process that collects them.

`make integration` runs them on pytest-xdist workers, and xdist refuses to start when its workers
collect different test ids (e.g. a parametrize id made from a name drawn per process).
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _collected():
    listing = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                              "tests/integration"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert listing.returncode == 0, listing.stdout[-2000:] + listing.stderr[-2000:]
    return [line for line in listing.stdout.splitlines() if "::" in line]


def test_two_collections_give_the_same_ids():
    first, second = _collected(), _collected()
    assert len(first) > 100
    assert first == second, sorted(set(first) ^ set(second))[:10]
