"""Integration tests run the collection's real modules against the test bed's real engine.

`run_module` executes a module the way Ansible does on a target (a separate Python process
given its arguments as JSON), so tests see exactly what a playbook would, minus the start-up.

The suite runs in two pytest-xdist workers (`make integration`), and other checkouts may run
tests on the same engine at the same time: see tests/README.md for the rules. The helpers here
are the shared ones: arranging and cleaning up containers, claiming a host port or a subnet that
no other test process holds, and the image fixtures (`registries`, `arrange`).
"""

import errno
import fcntl
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import uuid

import docker.errors
import pytest

from tests.conftest import COLLECTIONS
from tests.integration import compat, timeline
from tests.integration.image_support import Arrange, Registry

TESTBED_FACTS = os.path.join(os.environ.get("KAPAL_TESTBED_DIR", "/var/lib/kapal-testbed"), "testbed.json")
CLAIMS = os.path.join(tempfile.gettempdir(), "kapal-it-claims")


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


def converge(args, changed=True, module="container"):
    """check mode -> real run -> check mode again -> real run again; returns the first real run."""
    check = run_module(module, args, check_mode=True, diff=True)
    assert check.rc == 0, check
    assert check["changed"] is changed, check
    real = run_module(module, args, diff=True)
    assert real.rc == 0, real
    assert real["changed"] is changed, real
    assert real["actions"] == check["actions"]
    assert real["diff"] == check["diff"]
    again = run_module(module, args, check_mode=True)
    assert again.rc == 0 and again["changed"] is False, again
    again = run_module(module, args)
    assert again.rc == 0 and again["changed"] is False, again
    assert (again["container"] or {}).get("Id") == (real["container"] or {}).get("Id")
    return real


def recaps(output):
    """{host: {ok, changed, unreachable, failed}} from an ansible-playbook run's play recap."""
    found = {}
    for match in re.finditer(r"(?m)^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output):
        found[match.group(1)] = dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups()[1:])))
    return found


def recap(output, host="localhost"):
    """One host's play recap (see recaps); the test fails, showing the output's end, when there is none."""
    found = recaps(output).get(host)
    assert found is not None, "no play recap for %s:\n%s" % (host, output[-3000:])
    return found


# Cleaning up ----------------------------------------------------------------------------------

def quietly(call, *args, **kwargs):
    """Cleanup: ``call(*args, **kwargs)``, where the object being gone already (never made, or
    removed by the test) is fine. Any other error is not: a cleanup that fails leaks."""
    try:
        call(*args, **kwargs)
    except docker.errors.NotFound:
        pass


def remove_compose_project(api, project):
    """Whatever carries the label of Compose project ``project`` (whoever made it): its containers with
    their anonymous volumes, its networks and its volumes."""
    label = {"label": "com.docker.compose.project=%s" % project}
    for entry in api.containers(all=True, filters=label):
        quietly(api.remove_container, entry["Id"], force=True, v=True)
    for entry in api.networks(filters=label):
        quietly(api.remove_network, entry["Id"])
    for entry in api.volumes(filters=label).get("Volumes") or []:
        quietly(api.remove_volume, entry["Name"])


def containers_named(api, prefix):
    """The containers, in any state, that have a name starting with ``prefix`` (on the engine of ``api``)."""
    return [entry for entry in api.containers(all=True)
            if any(name.lstrip("/").startswith(prefix) for name in entry.get("Names") or [])]


def remove_containers(api, prefix):
    """Remove every container whose name starts with ``prefix``, with its anonymous volumes."""
    for entry in containers_named(api, prefix):
        quietly(api.remove_container, entry["Id"], force=True, v=True)


# Claiming what a test needs for itself: host ports, subnets -----------------------------------

_HELD = {}


def _lock(kind, number):
    """Take this process's exclusive flock on CLAIMS/<kind>-<number>; False when another process holds it."""
    if (kind, number) in _HELD:
        return False
    fd = os.open(os.path.join(CLAIMS, "%s-%s" % (kind, number)), os.O_CREAT | os.O_RDWR, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(fd)
        if error.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    _HELD[(kind, number)] = fd
    return True


def _unlock(kind, number):
    os.close(_HELD.pop((kind, number)))


def claim(kind, candidates, usable=lambda number: True, count=1):
    """A number from ``candidates`` (a host port, a subnet octet...) that no other test process on this
    machine holds and that ``usable`` accepts; with ``count``, the first of that many consecutive
    numbers, each claimed and usable. It stays this process's until the process ends.

    A claim is an exclusive flock on CLAIMS/<kind>-<number>: the kernel drops it when the process
    exits, however it exits, so nothing is ever left claimed. xdist workers and pytest runs of
    other checkouts on this machine therefore never get the same number. The search starts at a
    random candidate, so processes rarely contend; one process never gets a number twice.
    """
    candidates = list(candidates)
    os.makedirs(CLAIMS, exist_ok=True)
    start = random.randrange(len(candidates))
    for first in candidates[start:] + candidates[:start]:
        taken = []
        for number in range(first, first + count) if count > 1 else [first]:
            if not _lock(kind, number):
                break
            taken.append(number)
            if not usable(number):
                break
        else:
            return first
        for number in taken:
            _unlock(kind, number)
    raise AssertionError("no %s left among %d candidates: all claimed or in use" % (kind, len(candidates)))


def _port_is_free(port):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                return False
    return True


def claim_port(count=1):
    """A host port (TCP and UDP) in 18400-18999, free now and claimed by no other test process;
    with ``count``, the first of that many consecutive ones."""
    return claim("port", range(18400, 19000 - count + 1), _port_is_free, count)


def pytest_collection_modifyitems(items):
    """Files marked slow first, in their order; then the rest in theirs. `make integration` hands
    whole files to its two workers in this order (--dist loadfile --no-loadscope-reorder), so the
    long files start early and the workers finish together instead of one waiting on the demo."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# Fixtures -------------------------------------------------------------------------------------

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
    client = docker.APIClient(base_url=testbed["docker_host"], version="auto")
    yield client
    client.close()


@pytest.fixture
def registries(testbed):
    """The test bed's two registries ('plain' and 'secure'), for arranging and inspecting what they hold."""
    return {kind: Registry(testbed, kind) for kind in ("plain", "secure")}


@pytest.fixture
def arrange(docker_api, registries):
    """Images and registry repositories made for one test, all removed afterwards (image_support.Arrange)."""
    made = Arrange(docker_api, registries)
    try:
        yield made
    finally:
        made.cleanup()


@pytest.fixture
def pushed(testbed, docker_api):
    """A copy of the test bed's busybox pushed to the plain registry, then removed locally: a pull
    brings it back. Its reference (<registry>/kapal-it-pull-<unique>:v1); removed afterwards."""
    reference = "%s/kapal-it-pull-%s:v1" % (testbed["plain_registry"], uuid.uuid4().hex[:8])
    repository = reference.rsplit(":", 1)[0]
    docker_api.tag(testbed["busybox_image"], repository, "v1")
    for event in docker_api.push(repository, tag="v1", stream=True, decode=True):
        assert "error" not in event, event
    docker_api.remove_image(reference)
    yield reference
    quietly(docker_api.remove_image, reference, force=True)  # not there when the test never pulled it


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
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(timeline.Timeline(), "kapal-timeline")


def pytest_sessionfinish(session):
    owner = os.environ.get("KAPAL_HOSTS_OWNER", "")
    if not hasattr(session.config, "workerinput") and owner and os.environ.get("KAPAL_KEEP_HOSTS") != "1":
        from tests.testbed import hosts

        hosts.down_owned(owner)
        hosts.reap()


@pytest.fixture(scope="session")
def fresh_hosts():
    """start(name, releases=("13",), count=1, engine=False) -> the group's facts (tests/testbed/hosts.py).

    Fresh Debian hosts (releases "12", "13", "14"; ``count`` of each) on the test bed's network,
    reached over SSH (``facts["inventory"]`` is an Ansible inventory) or through kapal.docker.docker.
    The same name in one session gives the same hosts, as other tests left them. ``engine=True``:
    hosts with Docker Engine's packages already installed (what the role kapal.docker.engine installs),
    for tests that are not about installing the engine from nothing.
    """
    from tests.testbed import hosts

    owner = os.environ["KAPAL_HOSTS_OWNER"]

    def start(name, releases=("13",), count=1, engine=False):
        return hosts.up("%s-p%s" % (name, owner.rsplit("-", 1)[-1]), releases, count, owner=owner, engine=engine)

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
