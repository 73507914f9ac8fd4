"""Faults: a registry that goes away, a container killed behind Ansible's back, an engine that stops
in the middle of a play, and two plays reconciling the same containers at once.

The registry and the engine that are stopped here are this file's own throw-away daemons (never
the test bed's): a docker-registry on a claimed port of 127.0.0.1 and a dockerd on a socket under
/tmp with its own data root, exec root, pid file, containerd namespaces and bridge (its subnet
claimed too), so that two runs of this file at once (xdist, or another checkout) never meet.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import requests

from tests.conftest import COLLECTIONS, ROOT
from tests.integration.conftest import claim, claim_port, containers_named, remove_containers, run_module

pytestmark = pytest.mark.slow  # more than a minute: handed to a worker first (conftest)

PREFIX = "kapal-it-rel-"


def _wait_for(probe, what, seconds=60):
    for _attempt in range(seconds * 4):
        if probe():
            return
        time.sleep(0.25)
    raise AssertionError("%s did not happen within %ds" % (what, seconds))


def _assert_one_line(result, *needles):
    assert result.failed, result
    msg = result["msg"]
    assert "\n" not in msg and "Traceback" not in msg and "Traceback" not in result.stderr, (msg, result.stderr)
    for needle in needles:
        assert needle in msg, msg
    return msg


# A registry of our own, stopped after arranging -----------------------------------------------

@pytest.fixture(scope="module")
def dead_registry(docker_api, testbed):
    """A registry that held an image and is now down: (registry address, repository, local reference)."""
    registry = "127.0.0.1:%d" % claim_port()
    root = tempfile.mkdtemp(prefix="kapal-it-rel-registry-")
    config = os.path.join(root, "config.yml")
    with open(config, "w") as handle:
        handle.write("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s/data\n"
                     "http:\n  addr: %s\n" % (root, registry))
    proc = subprocess.Popen(["/usr/bin/docker-registry", "serve", config], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    repository = "%sfault-%s/app" % (PREFIX, uuid.uuid4().hex[:8])
    local = "%s/%s" % (registry, repository)
    try:
        def answers():
            try:
                return requests.get("http://%s/v2/" % registry, timeout=2).status_code == 200
            except requests.RequestException:
                return False
        _wait_for(answers, "the throw-away registry answering")
        docker_api.tag(testbed["busybox_image"], local, "1")
        for event in docker_api.push(local, tag="1", stream=True, decode=True):
            assert "error" not in event, event
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    yield registry, repository, local
    for tag in ("1", "2"):
        try:
            docker_api.remove_image("%s:%s" % (local, tag))
        except Exception:  # pylint: disable=broad-except
            pass
    shutil.rmtree(root, ignore_errors=True)


def test_pull_from_a_registry_that_is_down(dead_registry):
    registry, _repository, local = dead_registry
    for check_mode in (True, False):
        result = run_module("image_pull", {"name": local + ":1", "pull": "always"}, check_mode=check_mode)
        _assert_one_line(result, registry)


def test_pull_of_a_missing_image_from_a_registry_that_is_down(dead_registry):
    registry, _repository, local = dead_registry
    result = run_module("image_pull", {"name": local + ":9"})
    _assert_one_line(result, registry)


def test_search_of_a_registry_that_is_down(dead_registry):
    registry, repository, _local = dead_registry
    _assert_one_line(run_module("image_search", {"registry": registry, "term": PREFIX}), registry)
    _assert_one_line(run_module("image_search", {"registry": registry, "term": repository, "list_tags": True}), registry)


def test_push_to_a_registry_that_is_down(dead_registry, docker_api):
    registry, _repository, local = dead_registry
    for check_mode in (True, False):
        result = run_module("image_push", {"name": local + ":1", "repository": local + ":2"}, check_mode=check_mode)
        _assert_one_line(result, registry)


# A container killed behind Ansible's back -----------------------------------------------------

def test_a_killed_container_is_started_again(docker_api, testbed):
    name = "%skilled-%s" % (PREFIX, uuid.uuid4().hex[:8])
    args = dict(name=name, image=testbed["busybox_image"], command="sleep 3600", network_mode="none", state="started")
    try:
        first = run_module("container", args)
        assert first.rc == 0 and first["changed"] is True, first
        docker_api.kill(name)
        _wait_for(lambda: not docker_api.inspect_container(name)["State"]["Running"], "the container stopping")
        check = run_module("container", args, check_mode=True)
        assert check.rc == 0 and check["changed"] is True, check
        again = run_module("container", args)
        assert again.rc == 0 and again["changed"] is True, again
        assert docker_api.inspect_container(name)["State"]["Running"] is True
        assert again["container"]["Id"] == first["container"]["Id"]
        assert len(containers_named(docker_api, name)) == 1
        settled = run_module("container", args)
        assert settled.rc == 0 and settled["changed"] is False, settled
    finally:
        remove_containers(docker_api, name)


# An engine of our own, stopped in the middle of a play ----------------------------------------

def _subnet_is_free(octet):
    addresses = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    return " 172.31.%d." % octet not in addresses


class OwnEngine:
    """A throw-away dockerd: vfs storage, its own bridge, no iptables; started and stopped by pid.

    The bridge's subnet 172.31.<octet>.0/24 is claimed (conftest.claim) and names the bridge and the
    containerd namespaces, so two of these engines never share one."""

    def __init__(self):
        octet = claim("rel-engine-subnet", range(200, 255), _subnet_is_free)
        self.bridge, self.bridge_addr = "kapal-rel-%d" % octet, "172.31.%d.1/24" % octet
        self.namespace = "kapal-rel-%d" % octet
        self.root = tempfile.mkdtemp(prefix="kapal-rel-engine-")
        self.socket = "/tmp/kapal-rel-%s.sock" % uuid.uuid4().hex[:8]
        self.host = "unix://" + self.socket
        self.pidfile = os.path.join(self.root, "pid")
        self.proc = None

    def start(self):
        if subprocess.run(["ip", "link", "show", self.bridge], capture_output=True, check=False).returncode != 0:
            subprocess.run(["ip", "link", "add", self.bridge, "type", "bridge"], check=True)
            subprocess.run(["ip", "addr", "add", self.bridge_addr, "dev", self.bridge], check=True)
            subprocess.run(["ip", "link", "set", self.bridge, "up"], check=True)
        log = open(os.path.join(self.root, "log"), "a")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(
            ["/usr/sbin/dockerd", "--data-root", os.path.join(self.root, "data"),
             "--exec-root", os.path.join(self.root, "exec"), "--pidfile", self.pidfile, "--host", self.host,
             "--bridge", self.bridge, "--iptables=false", "--ip-masq=false", "--storage-driver", "vfs",
             "--containerd-namespace", self.namespace, "--containerd-plugins-namespace", self.namespace + "-p"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        _wait_for(self.answers, "the throw-away engine answering")

    def answers(self):
        import docker
        try:
            client = docker.APIClient(base_url=self.host, version="auto", timeout=5)
        except Exception:  # pylint: disable=broad-except
            return False
        try:
            return client.ping()
        except Exception:  # pylint: disable=broad-except
            return False
        finally:
            client.close()

    def api(self):
        import docker
        return docker.APIClient(base_url=self.host, version="auto", timeout=120)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=120)
        self.proc = None

    def destroy(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                client = self.api()
                for entry in client.containers(all=True):
                    client.remove_container(entry["Id"], force=True, v=True)
                client.close()
            except Exception:  # pylint: disable=broad-except
                pass
        self.stop()
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)
        # vfs layers and the exec root hold mounts only while the daemon runs; it is stopped now.
        subprocess.run(["umount", "-R", os.path.join(self.root, "exec")], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        if os.path.exists(self.socket):
            os.unlink(self.socket)


@pytest.fixture(scope="module")
def own_engine(docker_api, testbed):
    engine = OwnEngine()
    try:
        engine.start()
        client = engine.api()
        client.load_image(b"".join(docker_api.get_image(testbed["busybox_image"])))
        client.close()
        yield engine
    finally:
        engine.destroy()


def run_playbook(path, extra_vars, workdir):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "local"), ANSIBLE_REMOTE_TEMP=os.path.join(workdir, "remote"),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    return subprocess.Popen(
        [ansible_playbook, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra_vars), path],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
    )


def _container_task(name, engine_host, image):
    return {"name": "container %s" % name, "kapal.docker.container": {
        "docker_host": engine_host, "name": name, "image": image, "command": "sleep 3600",
        "network_mode": "none", "state": "started"}}


def test_engine_stopped_mid_play_fails_clearly_and_a_rerun_converges(own_engine, testbed, tmp_path):
    token = uuid.uuid4().hex[:8]
    names = ["%smid-%s-%d" % (PREFIX, token, i) for i in range(3)]
    reached, go = tmp_path / "reached", tmp_path / "go"
    tasks = [_container_task(names[0], own_engine.host, testbed["busybox_image"]),
             {"name": "tell the test", "ansible.builtin.file": {"path": str(reached), "state": "touch"},
              "when": "pause | bool"},
             {"name": "wait for the test", "ansible.builtin.wait_for": {"path": str(go), "timeout": 300},
              "when": "pause | bool"},
             _container_task(names[1], own_engine.host, testbed["busybox_image"]),
             _container_task(names[2], own_engine.host, testbed["busybox_image"])]
    play = tmp_path / "play.json"
    play.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))

    proc = run_playbook(str(play), {"pause": True}, str(tmp_path))
    try:
        _wait_for(reached.exists, "the play reaching its pause", seconds=300)
        own_engine.stop()
        go.touch()
        output = proc.communicate(timeout=600)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0, output
    assert "ok=3 " in output and "failed=1 " in output, output
    fatal = [line for line in output.splitlines() if line.startswith("fatal:")]
    assert len(fatal) == 1, output
    assert "cannot reach Docker Engine at %s" % own_engine.host in fatal[0], output
    assert "Traceback" not in output, output
    msg = json.loads(fatal[0].split("=> ", 1)[1])["msg"]
    assert "\n" not in msg and msg.startswith("cannot reach Docker Engine at %s" % own_engine.host), msg

    own_engine.start()
    rerun = run_playbook(str(play), {"pause": False}, str(tmp_path))
    output = rerun.communicate(timeout=600)[0]
    assert rerun.returncode == 0, output
    again = run_playbook(str(play), {"pause": False}, str(tmp_path))
    output = again.communicate(timeout=600)[0]
    assert again.returncode == 0 and "changed=0 " in output and "failed=0 " in output, output

    client = own_engine.api()
    try:
        for name in names:
            found = [c for c in client.containers(all=True) if "/" + name in (c.get("Names") or [])]
            assert len(found) == 1 and found[0]["State"] == "running", found
        assert len(containers_named(client, "%smid-%s" % (PREFIX, token))) == 3
    finally:
        remove_containers(client, "%smid-%s" % (PREFIX, token))
        client.close()


def test_a_module_run_against_the_stopped_engine_names_it(own_engine, testbed):
    own_engine.stop()
    try:
        for module, args in (("container", dict(name=PREFIX + "nobody", image=testbed["busybox_image"])),
                             ("containers", dict(containers=[dict(name=PREFIX + "nobody", image=testbed["busybox_image"])])),
                             ("image_pull", dict(name=testbed["busybox_image"])),
                             ("engine_info", {})):
            result = run_module(module, dict(args, docker_host=own_engine.host))
            _assert_one_line(result, "cannot reach Docker Engine at %s" % own_engine.host)
    finally:
        own_engine.start()


# Two plays reconciling the same containers at once --------------------------------------------

def test_two_plays_reconciling_the_same_ten_containers_at_once(docker_api, testbed, tmp_path):
    """Both plays succeed, exactly ten containers, none twice, and a re-run settles. A play that loses
    the race to create a name gets the engine's 409 and plans that container again from its state now."""
    token = uuid.uuid4().hex[:8]
    prefix = "%srace-%s-" % (PREFIX, token)
    containers = [{"name": "%s%02d" % (prefix, i)} for i in range(10)]
    task = {"name": "ten containers", "kapal.docker.containers": {
        "containers": containers, "parallel": 4,
        "defaults": {"image": testbed["busybox_image"], "command": "sleep 3600", "network_mode": "none",
                     "state": "started"}}}
    play = tmp_path / "play.json"
    play.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [task]}]))
    try:
        procs = []
        for i in range(2):
            workdir = tmp_path / ("run%d" % i)
            workdir.mkdir()
            procs.append(run_playbook(str(play), {}, str(workdir)))
        outputs = [proc.communicate(timeout=600)[0] for proc in procs]
        for proc, output in zip(procs, outputs):
            assert "Traceback" not in output, output
            assert proc.returncode == 0, output
        found = containers_named(docker_api, prefix)
        assert sorted(n.lstrip("/") for c in found for n in c["Names"]) == [c["name"] for c in containers]
        assert all(c["State"] == "running" for c in found), found
        settled = run_playbook(str(play), {}, str(tmp_path / "run0"))
        output = settled.communicate(timeout=600)[0]
        assert settled.returncode == 0 and "changed=0 " in output, output
    finally:
        remove_containers(docker_api, prefix)
