"""Containers made on Docker 20.10 survive their host's upgrade to Docker 26.1 unchanged (issue #13).

A fresh Debian 12 host gets Docker Engine 20.10 from its distribution with the role kapal.docker.engine
(over TLS, as the test bed's engines do): the host comes with bookworm's docker.io already installed
(tests/testbed/hosts.py, ``engine=True``: the test is about the upgrade, not the first install), so the
role configures and restarts it; the upgrade below really replaces the packages. kapal.docker.containers, run on the controller against that
engine, makes three containers with a spread of options (ports on every address, an explicit IPv4 and
[::1]; a bind and a named volume; env, labels, a healthcheck, restart policies, log options, ulimits, a
user network with aliases and a fixed address, an entrypoint and a command, tmpfs, a stopped one), and a
second run changes nothing. The host is then upgraded in place to Debian 13's docker.io (a trixie apt
source on the same mirror, ``apt-get install -t trixie docker.io docker-cli``, the engine restarted), as
a user upgrades a server. The same task on the new engine must report changed=0 and leave every
container as it was (same Id: nothing recreated), and a changed value must still be applied.
"""

import json
import os
import subprocess
import sys
import time
import uuid

import docker
import docker.tls
import pytest

from tests.conftest import COLLECTIONS
from tests.integration.conftest import run_module

pytestmark = pytest.mark.slow  # a host's engine configured, then upgraded: handed to a worker first (conftest)

GROUP = "it-upgrade"
TOKEN = uuid.uuid4().hex[:8]
PREFIX = "kapal-it-upgrade-%s-" % TOKEN
IMAGE = "kapal-test/busybox:latest"
NETWORK = PREFIX + "net"
VOLUME = PREFIX + "data"
HTTPD = ["httpd", "-f", "-p", "80", "-h", "/var/www"]

INSTALL = """
- name: Docker Engine from the distribution (Debian 12's docker.io, 20.10), reached over TLS
  hosts: all
  gather_facts: false
  tasks:
    - name: Install and start Docker Engine
      ansible.builtin.include_role:
        name: kapal.docker.engine
      vars:
        engine_sdk: none
        engine_tls: true
        engine_tls_controller_dir: "{{ upgrade_tls_dir }}"
"""

# What a user does to move a Debian 12 server's engine to Debian 13's: the next release's source on
# the same mirror, its docker.io (and the CLI, a package of its own from Debian 13 on), the engine restarted.
UPGRADE = """
- name: Upgrade Docker Engine in place to Debian 13's docker.io
  hosts: all
  gather_facts: false
  tasks:
    - name: Add Debian 13 (trixie) as an apt source, on the host's mirror
      ansible.builtin.copy:
        dest: /etc/apt/sources.list.d/trixie.list
        content: "deb http://deb.debian.org/debian trixie main\\n"
        mode: "0644"

    - name: Read the package lists of both releases
      ansible.builtin.apt:
        update_cache: true

    - name: Install trixie's docker.io and docker-cli
      ansible.builtin.apt:
        name: [docker.io, docker-cli]
        default_release: trixie
        install_recommends: false

    - name: Restart Docker Engine
      ansible.builtin.systemd_service:
        name: docker
        state: restarted
"""


def _playbook(tmp, inventory, name, text, extra=None):
    path = tmp / ("%s.yml" % name)
    path.write_text(text)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_HOST_KEY_CHECKING="false")
    env.pop("ANSIBLE_PYTHON_INTERPRETER", None)  # the host's /usr/bin/python3 (the inventory says so)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory, str(path)]
    if extra:
        command += ["-e", json.dumps(extra)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp), timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    return proc


def _client(connection):
    tls = docker.tls.TLSConfig(client_cert=(connection["client_cert"], connection["client_key"]),
                               ca_cert=connection["ca_path"], verify=True)
    api = docker.APIClient(base_url=connection["docker_host"], tls=tls, version="1.41", timeout=120)
    api.trust_env = False
    return api


def _wait_for_engine(connection, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        result = run_module("engine_info", connection)
        if not result.failed or time.monotonic() > deadline:
            assert not result.failed, result
            return result["engine"]
        time.sleep(1)


def _containers(address):
    """The task: three containers with the options users give, on the host's network and volume."""
    return dict(
        defaults=dict(image=IMAGE, labels={"org.kapal.test": PREFIX}, stop_timeout=2, log_driver="json-file",
                      log_options={"max-size": "1m", "max-file": "2"}),
        prune_label="org.kapal.test",
        containers=[
            dict(name=PREFIX + "web", command=HTTPD, restart_policy="unless-stopped",
                 published_ports=["8081:80", "%s:8082:80" % address, "127.0.0.1:8083:80", "[::1]:8084:80",
                                  "8053:53/udp"],
                 volumes=["/srv/kapal-upgrade/www:/var/www:ro", "%s:/data" % VOLUME],
                 env={"GREETING": "hello", "EMPTY": ""},
                 labels={"org.kapal.test": PREFIX, "app": "web", "tier": "front"},
                 healthcheck=dict(test=["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1/ || true"],
                                  interval="5s", timeout="2s", retries=3, start_period="1s"),
                 ulimits=["nofile:1024:2048"],
                 networks=[dict(name=NETWORK, aliases=["web", "www"], ipv4_address="10.77.0.10")],
                 hostname="web1", working_dir="/var/www", cap_drop=["MKNOD"],
                 etc_hosts={"db.internal": "10.77.0.20"}, dns_servers=["10.77.0.1"]),
            dict(name=PREFIX + "worker", entrypoint=["/bin/sh", "-c"],
                 command=["while true; do date >> /data/ticks; sleep 5; done"], restart_policy="always",
                 volumes=["%s:/data" % VOLUME], env={"ROLE": "worker"}, user="0:0",
                 tmpfs=["/run/scratch:size=1m"], networks=[dict(name=NETWORK, aliases=["worker"])],
                 healthcheck=dict(test=["NONE"]), read_only=True, sysctls={"net.ipv4.ip_forward": "1"}),
            dict(name=PREFIX + "job", command=["sh", "-c", "echo done"], state="stopped",
                 restart_policy="on-failure", restart_retries=3, network_mode=NETWORK,
                 mounts=[dict(type="volume", source=VOLUME, target="/data", read_only=True),
                         dict(type="tmpfs", target="/run/job", tmpfs_size="1m")]),
        ],
    )


@pytest.fixture(scope="module")
def host(fresh_hosts, tmp_path_factory, docker_api):
    """A fresh Debian 12 host with Docker 20.10 (the engine role), the test's image, network and volume."""
    started = time.monotonic()
    facts = fresh_hosts(GROUP, ("12",), count=1, engine=True)
    try:
        tmp = tmp_path_factory.mktemp("upgrade")
        tls_dir = tmp / "tls"
        _playbook(tmp, facts["inventory"], "install", INSTALL, dict(upgrade_tls_dir=str(tls_dir)))
        address = facts["hosts"][0]["address"]
        client = tls_dir / "client"
        connection = dict(docker_host="tcp://%s:2376" % address, tls=True, validate_certs=True,
                          ca_path=str(client / "ca.pem"), client_cert=str(client / "cert.pem"),
                          client_key=str(client / "key.pem"))
        # The test bed's busybox, from this machine's engine (the host reaches no registry of its own).
        api = _client(connection)
        try:
            api.load_image(docker_api.get_image(IMAGE))
        finally:
            api.close()
        yield dict(facts=facts, tmp=tmp, address=address, connection=connection, started=started)
    finally:
        # The host goes with everything on it (its engine's containers, volumes, networks), unless
        # KAPAL_KEEP_HOSTS=1 keeps it for a look (the session's end removes it then, as conftest says).
        if os.environ.get("KAPAL_KEEP_HOSTS") != "1":
            from tests.testbed import hosts

            hosts.down(facts["group"])
        print("test_engine_upgrade: %.0f s with the host" % (time.monotonic() - started))


def _objects(host):
    """The network, the volume and the containers of the task, as kapal.docker makes them."""
    connection = host["connection"]
    results = [
        run_module("network", dict(connection, name=NETWORK, labels={"org.kapal.test": PREFIX},
                                   ipam_config=[dict(subnet="10.77.0.0/24", gateway="10.77.0.1")])),
        run_module("volume", dict(connection, name=VOLUME, labels={"org.kapal.test": PREFIX})),
        run_module("containers", dict(connection, **_containers(host["address"])), diff=True),
    ]
    for result in results:
        assert not result.failed, result
    return results


def _changes(result):
    """What a containers result says it did (or would do), per container."""
    return [(item["name"], item["actions"], item.get("diff")) for item in result["containers"] if item["changed"]]


def _ids(result):
    return dict((item["name"], item["container"]["Id"]) for item in result["containers"])


def _version(engine):
    return tuple(int(part) for part in engine["version"].split("+")[0].split(".")[:2])


def test_containers_made_on_20_10_are_unchanged_after_the_upgrade_to_26_1(host):
    connection = host["connection"]
    assert _version(_wait_for_engine(connection)) == (20, 10)

    made = _objects(host)
    assert all(result["changed"] for result in made), made
    before = _ids(made[2])
    assert sorted(before) == sorted(PREFIX + name for name in ("web", "worker", "job"))
    again = _objects(host)
    assert [result["changed"] for result in again] == [False, False, False], (again[:2], _changes(again[2]))
    assert _ids(again[2]) == before

    _playbook(host["tmp"], host["facts"]["inventory"], "upgrade", UPGRADE)
    engine = _wait_for_engine(connection)
    assert _version(engine)[0] == 26, engine
    # The engine restarted the containers whose policy says so; the stopped one stays stopped.
    api = _client(connection)
    try:
        deadline = time.monotonic() + 60
        while not all(api.inspect_container(PREFIX + name)["State"]["Running"] for name in ("web", "worker")):
            assert time.monotonic() < deadline, "the engine did not restart web and worker"
            time.sleep(1)
    finally:
        api.close()

    check = run_module("containers", dict(connection, **_containers(host["address"])), check_mode=True, diff=True)
    assert check["changed"] is False, _changes(check)
    after = _objects(host)
    assert [result["changed"] for result in after] == [False, False, False], (after[:2], _changes(after[2]))
    assert _ids(after[2]) == before

    # A changed value still applies on the new engine: that container alone is recreated, and runs.
    task = _containers(host["address"])
    task["containers"][0]["env"] = dict(task["containers"][0]["env"], GREETING="upgraded")
    changed = run_module("containers", dict(connection, **task), diff=True)
    assert not changed.failed and changed["changed"] is True, changed
    items = dict((item["name"], item) for item in changed["containers"])
    assert [name for name, item in items.items() if item["changed"]] == [PREFIX + "web"]
    assert items[PREFIX + "web"]["container"]["Id"] != before[PREFIX + "web"]
    assert "GREETING=upgraded" in items[PREFIX + "web"]["container"]["Config"]["Env"]
    assert items[PREFIX + "web"]["container"]["State"]["Running"] is True
    final = run_module("containers", dict(connection, **task))
    assert final["changed"] is False, _changes(final)
