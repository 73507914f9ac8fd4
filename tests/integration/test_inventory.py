"""The inventory plugin kapal.docker.containers against real containers of the test bed's engine."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._engine import Engine, EngineConfig

from tests.conftest import COLLECTIONS, ROOT
from tests.integration.conftest import quietly

BIN = os.path.dirname(sys.executable)
PREFIX = "kapal-it-conn-inv-%d" % os.getpid()
LABEL = "inventory-%d" % os.getpid()
ROLES = {"1": "web", "2": "web", "3": "db"}


def _container(docker_api, image, name, role, command=("sleep", "infinity")):
    # No network: the plugins need none, and the tests then do not depend on the default bridge.
    docker_api.create_container(image, command=list(command), name=name, labels={"kapal.test": LABEL, "role": role},
                                host_config=docker_api.create_host_config(network_mode="none"))


@pytest.fixture(scope="module")
def fleet(docker_api, testbed):
    """Three running labelled containers (two web, one db), one stopped, and one running unlabelled."""
    running = ["%s-%s" % (PREFIX, suffix) for suffix in ROLES]
    stopped = "%s-stopped" % PREFIX
    unlabelled = "%s-unlabelled" % PREFIX
    try:
        for name, role in zip(running, ROLES.values()):
            _container(docker_api, testbed["python_image"], name, role)
            docker_api.start(name)
        _container(docker_api, testbed["python_image"], stopped, "web", command=["true"])
        docker_api.start(stopped)
        docker_api.wait(stopped)
        docker_api.create_container(testbed["python_image"], command=["sleep", "infinity"], name=unlabelled,
                                    host_config=docker_api.create_host_config(network_mode="none"))
        docker_api.start(unlabelled)
        yield {"running": running, "stopped": stopped, "unlabelled": unlabelled}
    finally:
        for name in running + [stopped, unlabelled]:
            quietly(docker_api.remove_container, name, force=True)


def _inventory_file(tmp_path, extra=""):
    path = tmp_path / "test.docker.yml"
    path.write_text(
        """plugin: kapal.docker.containers
labels:
  kapal.test: %s
keyed_groups:
  - key: docker_labels['role']
    prefix: role
groups:
  databases: docker_labels['role'] == 'db'
compose:
  greeting: "'hello ' ~ docker_name"
%s""" % (LABEL, extra)
    )
    return path


def _run(*argv, **env):
    proc_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", **env)
    return subprocess.run(list(argv), capture_output=True, text=True, env=proc_env, cwd=ROOT, check=False, timeout=600)


def _list(path, *argv):
    proc = _run(os.path.join(BIN, "ansible-inventory"), "-i", str(path), "--list", *argv)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    # values from the engine are not trusted as templates: the JSON marks them unsafe
    return json.loads(proc.stdout, object_hook=lambda item: item.get("__ansible_unsafe", item))


def _group(listing, name):
    return sorted(listing.get(name, {}).get("hosts", []))


def test_lists_exactly_the_running_labelled_containers(fleet, tmp_path, testbed, docker_api):
    listing = _list(_inventory_file(tmp_path))
    hostvars = listing["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(fleet["running"])
    assert _group(listing, "role_web") == sorted(fleet["running"][:2])
    assert _group(listing, "role_db") == [fleet["running"][2]]
    assert _group(listing, "databases") == [fleet["running"][2]]
    for name in fleet["running"]:
        host = hostvars[name]
        assert host["ansible_connection"] == "kapal.docker.docker"
        assert host["ansible_docker_docker_host"] == testbed["docker_host"]
        assert host["ansible_host"] == name
        assert host["greeting"] == "hello " + name
        assert host["docker_status"] == "running"
        assert host["docker_image"] == testbed["python_image"]
        assert host["docker_labels"]["kapal.test"] == LABEL
        assert host["docker_id"] == docker_api.inspect_container(name)["Id"]
        assert host["docker_state"]["Running"] is True


def test_status_filter_and_name_pattern(fleet, tmp_path):
    listing = _list(_inventory_file(tmp_path, "status: [running, exited]\n"))
    assert sorted(listing["_meta"]["hostvars"]) == sorted(fleet["running"] + [fleet["stopped"]])
    listing = _list(_inventory_file(tmp_path, "status: [exited]\n"))
    assert sorted(listing["_meta"]["hostvars"]) == [fleet["stopped"]]
    listing = _list(_inventory_file(tmp_path, "name_pattern: '*-3'\n"))
    assert sorted(listing["_meta"]["hostvars"]) == [fleet["running"][2]]


def test_host_vars_prefix(fleet, tmp_path):
    path = tmp_path / "prefix.docker.yml"
    path.write_text("plugin: kapal.docker.containers\nlabels: {kapal.test: %s}\nhost_vars_prefix: c_\n" % LABEL)
    host = _list(path)["_meta"]["hostvars"][fleet["running"][0]]
    assert host["c_name"] == fleet["running"][0]
    assert not any(key.startswith("docker_") for key in host)


def test_cache(fleet, tmp_path, docker_api, testbed):
    path = _inventory_file(tmp_path, "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n"
                           % (tmp_path / "cache"))
    assert sorted(_list(path)["_meta"]["hostvars"]) == sorted(fleet["running"])
    late = "%s-late" % PREFIX
    try:
        _container(docker_api, testbed["python_image"], late, "db")
        docker_api.start(late)
        assert sorted(_list(path)["_meta"]["hostvars"]) == sorted(fleet["running"])
        assert sorted(_list(path, "--flush-cache")["_meta"]["hostvars"]) == sorted(fleet["running"] + [late])
    finally:
        quietly(docker_api.remove_container, late, force=True)


def test_play_through_the_inventory(fleet, tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        """
- hosts: role_web
  gather_facts: false
  vars:
    ansible_python_interpreter: /usr/bin/python3
  tasks:
    - ansible.builtin.command: hostname
      register: out
    - ansible.builtin.assert:
        that: out.stdout == docker_config.Hostname
"""
    )
    proc = _run(os.path.join(BIN, "ansible-playbook"), "-i", str(_inventory_file(tmp_path)), str(playbook))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in fleet["running"][:2]:
        assert "%s " % name in proc.stdout and "ok: [%s]" % name in proc.stdout
    assert fleet["running"][2] not in proc.stdout


def test_unreachable_engine_is_named(tmp_path):
    path = tmp_path / "bad.docker.yml"
    path.write_text("plugin: kapal.docker.containers\nengines:\n  - docker_host: tcp://127.0.0.1:1\n    timeout: 5\n")
    proc = _run(os.path.join(BIN, "ansible-inventory"), "-i", str(path), "--list")
    assert "cannot reach Docker Engine at tcp://127.0.0.1:1: connection refused" in proc.stderr


def test_unknown_engine_option(tmp_path):
    path = tmp_path / "bad.docker.yml"
    path.write_text("plugin: kapal.docker.containers\nengines:\n  - host: tcp://127.0.0.1:1\n")
    proc = _run(os.path.join(BIN, "ansible-inventory"), "-i", str(path), "--list")
    assert "engines[0]: unknown option host" in proc.stderr


def _skipping(path):
    return ("kapal.docker.containers: skipping %s: the inventory file of this plugin must be named "
            "*docker.yml or *docker.yaml, such as containers.docker.yml" % path)


def test_other_file_names_are_not_claimed_and_the_accepted_names_are_said(tmp_path):
    path = tmp_path / "containers.yml"
    path.write_text("plugin: kapal.docker.containers  # the file name is wrong\n")
    proc = _run(os.path.join(BIN, "ansible-inventory"), "-i", str(path), "--list",
                ANSIBLE_INVENTORY_ENABLED="kapal.docker.containers")
    assert "Unable to parse %s as an inventory source" % path in proc.stderr
    # Through the auto plugin, as users have it: a warning, at any verbosity.
    for verbosity in ([], ["-vvv"]):
        proc = _run(os.path.join(BIN, "ansible-inventory"), "-i", str(path), "--list", *verbosity)
        assert "[WARNING]: " + _skipping(path) in " ".join(proc.stderr.split()), proc.stderr


def test_a_file_of_another_kind_is_skipped_with_the_reason_at_vvv(tmp_path):
    path = tmp_path / "hosts.yml"
    path.write_text("all:\n  hosts:\n    fixrb-host:\n")
    enabled = dict(ANSIBLE_INVENTORY_ENABLED="kapal.docker.containers,ansible.builtin.yaml")
    proc = _run(os.path.join(BIN, "ansible-inventory"), "-i", str(path), "--list", "-vvv", **enabled)
    assert proc.returncode == 0 and "fixrb-host" in proc.stdout, proc.stderr
    assert _skipping(path) in proc.stdout and "WARNING" not in proc.stderr, proc.stdout + proc.stderr
    quiet = _run(os.path.join(BIN, "ansible-inventory"), "-i", str(path), "--list", **enabled)
    assert _skipping(path) not in quiet.stdout + quiet.stderr


def test_ansible_doc_renders():
    proc = _run(os.path.join(BIN, "ansible-doc"), "-t", "inventory", "kapal.docker.containers")
    assert proc.returncode == 0, proc.stderr
    assert "host_vars_prefix" in proc.stdout and "keyed_groups" in proc.stdout


@pytest.fixture
def tls_container(fleet, docker_api, testbed):
    """A busybox container on the test bed's second engine (TCP with TLS), named like the db container
    of the first engine: (inventory host name, container name)."""
    tls = testbed["tls_engine"]
    engine = Engine(EngineConfig.from_options({
        "docker_host": tls["docker_host"], "validate_certs": True, "ca_path": tls["ca_path"],
        "client_cert": tls["client_cert"], "client_key": tls["client_key"]}))
    client = engine.api
    image = testbed["busybox_image"]
    had_image = bool(client.images(name=image))
    name = fleet["running"][2]
    try:
        if not had_image:
            client.load_image(docker_api.get_image(image))
        client.create_container(image, command=["sleep", "3600"], name=name, labels={"kapal.test": LABEL, "role": "tls"},
                                host_config=client.create_host_config(network_mode="none"))
        client.start(name)
        yield "%s_%s" % (name, client.inspect_container(name)["Id"][:12]), name
    finally:
        quietly(client.remove_container, name, force=True)
        if not had_image:
            client.remove_image(image, force=True)
        engine.close()


def test_two_engines_one_over_tls(fleet, tls_container, tmp_path, testbed):
    tls = testbed["tls_engine"]
    engines = """engines:
  - docker_host: %s
  - docker_host: %s
    validate_certs: true
    ca_path: %s
    client_cert: %s
    client_key: %s
""" % (testbed["docker_host"], tls["docker_host"], tls["ca_path"], tls["client_cert"], tls["client_key"])
    path = _inventory_file(tmp_path, engines)
    listing = _list(path)
    hostvars = listing["_meta"]["hostvars"]
    host, name = tls_container
    assert sorted(hostvars) == sorted(fleet["running"] + [host])
    assert _group(listing, "role_tls") == [host]
    remote = hostvars[host]
    assert remote["ansible_host"] == name
    assert remote["ansible_docker_docker_host"] == tls["docker_host"]
    assert remote["ansible_docker_validate_certs"] is True
    assert remote["ansible_docker_client_key"] == tls["client_key"]
    assert hostvars[fleet["running"][0]]["ansible_docker_docker_host"] == testbed["docker_host"]

    playbook = tmp_path / "raw.yml"
    playbook.write_text("""
- hosts: role_tls:role_db
  gather_facts: false
  tasks:
    - ansible.builtin.raw: hostname
      register: out
    - ansible.builtin.assert:
        that: out.stdout | trim == docker_config.Hostname
""")
    proc = _run(os.path.join(BIN, "ansible-playbook"), "-i", str(path), str(playbook))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok: [%s]" % host in proc.stdout and "ok: [%s]" % name in proc.stdout

    pipelined = tmp_path / "pipelined.yml"
    pipelined.write_text("""
- hosts: role_tls
  gather_facts: false
  tasks:
    - ansible.builtin.ping:
""")
    proc = _run(os.path.join(BIN, "ansible-playbook"), "-i", str(path), str(pipelined), ANSIBLE_PIPELINING="true")
    assert proc.returncode != 0
    assert "exec in container %s: a command's input cannot be closed over TLS" % name in proc.stdout
