"""Integration tests run the collection's real modules against the test bed's real engine.

`run_module` executes a module the way Ansible does on a target (a separate Python process
given its arguments as JSON), so tests see exactly what a playbook would, minus the start-up.
"""

import json
import os
import subprocess
import sys
import tempfile

import pytest

from tests.conftest import COLLECTIONS
from tests.integration import compat

TESTBED_FACTS = os.path.join(os.environ.get("KAPAL_TESTBED_DIR", "/var/lib/kapal-testbed"), "testbed.json")


class ModuleResult(dict):
    """A module's JSON result, plus the process's return code and stderr."""

    rc = 0
    stderr = ""

    @property
    def failed(self):
        return bool(self.get("failed"))


def run_module(name, args=None, check_mode=False, diff=False, env=None):
    payload = dict(args or {})
    payload.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": payload}, handle)
    try:
        proc_env = dict(os.environ, PYTHONPATH=COLLECTIONS)
        proc_env.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "ansible_collections.kapal.docker.plugins.modules.%s" % name, handle.name],
            capture_output=True, text=True, env=proc_env, timeout=600, check=False,
        )
    finally:
        os.unlink(handle.name)
    try:
        result = ModuleResult(json.loads(proc.stdout))
    except ValueError:
        raise AssertionError("module %s printed no JSON (rc=%s):\n%s\n%s" % (name, proc.returncode, proc.stdout, proc.stderr))
    result.rc = proc.returncode
    result.stderr = proc.stderr
    return result


@pytest.fixture(scope="session")
def testbed():
    """Facts written by tests/testbed/up.sh; the test bed must be up (make test brings it up)."""
    if not os.path.exists(TESTBED_FACTS):
        raise RuntimeError("the test bed is not up (%s is missing): run tests/testbed/up.sh" % TESTBED_FACTS)
    with open(TESTBED_FACTS) as handle:
        facts = json.load(handle)
    with open(facts["registry_password_file"]) as handle:
        facts["registry_password"] = handle.read().strip()
    return facts


@pytest.fixture(scope="session")
def docker_api(testbed):
    """The SDK's client, for arranging and checking state independently of the modules."""
    import docker

    client = docker.APIClient(base_url=testbed["docker_host"], version="auto")
    yield client
    client.close()


# -- fresh hosts (tests/testbed/hosts.py) ------------------------------------------------------------
# A session's hosts belong to its pytest controller process: groups are named "<name>-p<pid>", so
# the xdist workers of one session share them (the first to ask starts them, under a lock) and
# other sessions on the machine never touch them. The controller removes them when the session
# ends (KAPAL_KEEP_HOSTS=1 keeps them for a look, until the next session), and the groups of
# sessions that died on the way.

def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        # Set before xdist starts its workers, which inherit it.
        os.environ.setdefault("KAPAL_HOSTS_OWNER", "pytest-%d" % os.getpid())
    # The compatibility table's cells (tests marked compat, test_engines.py) -> tests/output/compat.json.
    config.pluginmanager.register(compat.Recorder(config), "kapal-compat")


def pytest_sessionfinish(session):
    owner = os.environ.get("KAPAL_HOSTS_OWNER", "")
    if not hasattr(session.config, "workerinput") and owner and os.environ.get("KAPAL_KEEP_HOSTS") != "1":
        from tests.testbed import hosts

        hosts.down_owned(owner)
        hosts.reap()


@pytest.fixture(scope="session")
def fresh_hosts():
    """start(name, releases=("13",), count=1) -> the group's facts (tests/testbed/hosts.py).

    Fresh Debian hosts (releases "12", "13", "14"; ``count`` of each) on the test bed's network,
    reached over SSH (``facts["inventory"]`` is an Ansible inventory) or through kapal.docker.docker.
    The same name in one session gives the same hosts, as other tests left them.
    """
    from tests.testbed import hosts

    owner = os.environ["KAPAL_HOSTS_OWNER"]

    def start(name, releases=("13",), count=1):
        return hosts.up("%s-p%s" % (name, owner.rsplit("-", 1)[-1]), releases, count, owner=owner)

    return start


# -- the engines users run (tests/testbed/engines.py) ------------------------------------------------

@pytest.fixture(scope="session")
def engines():
    """{name: facts} of every engine of the test bed: Docker 20.10, 26.1, 28.5 and Podman 4.3, 5.4, 5.8.

    Brought up once (and kept up between sessions, like the rest of the test bed); the xdist workers of
    a session share them (the first one to ask brings them up, under a lock).
    """
    from tests.testbed import engines as testbed_engines

    return dict((facts["name"], facts) for facts in testbed_engines.up())
