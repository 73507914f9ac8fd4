"""The test bed's fresh hosts (tests/testbed/hosts.py): what tests and molecule scenarios build on.

One host of each release, started once for the session through the ``fresh_hosts`` fixture, reached
over SSH with the test bed's key and through kapal.docker.docker, as a user's new machines are.
"""

import ipaddress
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import COLLECTIONS
from tests.testbed import hosts

pytestmark = pytest.mark.slow  # fresh hosts take minutes: handed to a worker first (conftest)

BIN = os.path.dirname(sys.executable)
RELEASES = ("12", "13", "14")


@pytest.fixture(scope="module")
def fleet(fresh_hosts):
    return fresh_hosts("it-fresh", RELEASES)


def _ansible(inventory, *args):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="false",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.oneline")
    # The hosts' interpreter is the inventory's /usr/bin/python3, not the venv's.
    env.pop("ANSIBLE_PYTHON_INTERPRETER", None)
    proc = subprocess.run([os.path.join(BIN, "ansible"), "-i", inventory, "all"] + list(args),
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # oneline: "host | SUCCESS => {json}" or "host | CHANGED | rc=0 | (stdout) ..."
    return dict((line.split(" | ")[0], line) for line in proc.stdout.splitlines() if " | " in line)


def test_facts_and_inventory_name_every_host(fleet):
    assert [h["release"] for h in fleet["hosts"]] == list(RELEASES)
    network = ipaddress.ip_network(fleet["subnet"])
    addresses = [h["address"] for h in fleet["hosts"]]
    assert len(set(addresses)) == len(addresses)
    assert all(ipaddress.ip_address(a) in network for a in addresses)
    assert not network.overlaps(ipaddress.ip_network("172.17.0.0/16"))
    assert [h["systemd"] for h in fleet["hosts"]] == [True, True, False]
    assert all(h["systemd_state"] == "running" for h in fleet["hosts"] if h["systemd"])
    with open(fleet["facts"]) as handle:
        assert json.load(handle) == fleet
    with open(fleet["inventory"]) as handle:
        inventory = json.load(handle)["all"]
    assert dict((n, v["ansible_host"]) for n, v in inventory["hosts"].items()) == dict(
        (h["name"], h["address"]) for h in fleet["hosts"])
    groups = inventory["children"]["fresh_hosts"]["children"]
    assert sorted(groups["systemd_hosts"]["hosts"]) == sorted(h["name"] for h in fleet["hosts"][:2])
    assert list(groups["plain_hosts"]["hosts"]) == [fleet["hosts"][2]["name"]]


def test_hosts_answer_over_ssh_as_fresh_debian(fleet):
    answers = _ansible(fleet["inventory"], "-m", "ansible.builtin.setup", "-a", "gather_subset=!all,min")
    assert sorted(answers) == sorted(h["name"] for h in fleet["hosts"])
    for host in fleet["hosts"]:
        facts = json.loads(answers[host["name"]].split(" => ", 1)[1])["ansible_facts"]
        assert facts["ansible_distribution"] == "Debian"
        assert facts["ansible_distribution_release"] == host["codename"] or host["release"] == "14"
        assert facts["ansible_user_id"] == "root"  # kapal, then sudo (the inventory's become)
        assert (facts["ansible_service_mgr"] == "systemd") == host["systemd"]


def test_hosts_answer_through_the_docker_connection_and_have_no_engine(fleet):
    answers = _ansible(fleet["inventory"], "-e", "ansible_connection=kapal.docker.docker", "-m", "ansible.builtin.shell",
                       "-a", "cat /etc/debian_version; command -v dockerd || echo no-dockerd")
    for host in fleet["hosts"]:
        line = answers[host["name"]]
        assert "CHANGED" in line and "no-dockerd" in line, line
        assert (host["release"] + ".") in line or host["release"] == "14", line


def test_hosts_reach_each_other_on_the_network(fleet):
    first, others = fleet["hosts"][0], fleet["hosts"][1:]
    probe = "import socket; [socket.create_connection((a, 22), 5).close() for a in %r]; print('reached')" % (
        [h["address"] for h in others],)
    proc = subprocess.run(["docker", "exec", first["container"], "python3", "-c", probe],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout.strip() == "reached", proc.stderr


def test_a_group_is_reused_then_removed(fresh_hosts):
    facts = fresh_hosts("it-reuse")
    name = facts["hosts"][0]["name"]
    started = subprocess.run(["docker", "inspect", "-f", "{{ .State.StartedAt }}", name],
                             capture_output=True, text=True, check=True).stdout
    again = fresh_hosts("it-reuse")
    assert again["hosts"] == facts["hosts"]
    assert subprocess.run(["docker", "inspect", "-f", "{{ .State.StartedAt }}", name],
                          capture_output=True, text=True, check=True).stdout == started
    assert hosts.down(facts["group"]) == [name]
    assert subprocess.run(["docker", "inspect", name], capture_output=True, check=False).returncode != 0
    volumes = subprocess.run(["docker", "volume", "ls", "-q", "--filter", "name=%s-" % name],
                             capture_output=True, text=True, check=True).stdout
    assert volumes.strip() == ""
    assert not os.path.exists(facts["facts"]) and not os.path.exists(facts["inventory"])


def test_the_hosts_of_a_dead_session_are_reaped():
    group = "it-reap-p%d" % os.getpid()
    facts = hosts.up(group, ["14"], owner="pytest-999999999")  # no such process
    try:
        assert hosts.read_group(group)["owner"] == "pytest-999999999"
        hosts.reap()
        assert hosts.read_group(group) is None
        assert subprocess.run(["docker", "inspect", facts["hosts"][0]["name"]], capture_output=True,
                              check=False).returncode != 0
    finally:
        hosts.down(group)
