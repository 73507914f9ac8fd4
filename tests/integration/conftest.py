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
