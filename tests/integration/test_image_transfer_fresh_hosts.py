"""An image reaches a host without a registry: image_export on one fresh host, ansible.builtin.fetch and
ansible.builtin.copy through the controller, image_load on another (issue 15).

Two fresh Debian 13 hosts of the test bed (tests/testbed/hosts.py, group newmod-xfer of this session)
with Docker Engine's packages already installed (the test is not about installing them), given a running,
configured engine by the role kapal.docker.engine, reached over SSH as a user's fleet is. The image is
imported on the first host from a small root filesystem made there; nothing comes from a registry.
"""

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import COLLECTIONS
from tests.integration.conftest import recap

pytestmark = pytest.mark.slow  # two fresh hosts and the engine role: handed to a worker first (conftest)

BIN = os.path.dirname(sys.executable)
IMAGE = "newmod/transfer:1"


def _playbook(path, plays):
    with open(path, "w") as handle:
        json.dump(plays, handle)  # JSON is YAML


def _run(inventory, playbook, tmp_path, *args):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="false",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "local"))
    env.pop("ANSIBLE_PYTHON_INTERPRETER", None)  # the hosts' own /usr/bin/python3
    started = time.monotonic()
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", inventory, str(playbook)] + list(args),
                          capture_output=True, text=True, env=env, timeout=1800, check=False)
    return proc, time.monotonic() - started


@pytest.fixture(scope="module")
def pair(fresh_hosts, tmp_path_factory):
    """Two fresh Debian 13 hosts with Docker Engine (the engine role); (facts, seconds the role took)."""
    facts = fresh_hosts("newmod-xfer", ["13"], count=2, engine=True)
    tmp = tmp_path_factory.mktemp("engine")
    playbook = tmp / "engine.yml"
    _playbook(playbook, [{"name": "Docker Engine on both hosts", "hosts": "fresh_hosts", "gather_facts": False,
                          "roles": [{"role": "kapal.docker.engine"}]}])
    proc, seconds = _run(facts["inventory"], playbook, tmp)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    return facts, seconds


def test_export_fetch_copy_load_between_two_fresh_hosts(pair, tmp_path):
    facts, engine_seconds = pair
    source, target = [host["name"] for host in facts["hosts"]]
    archive = str(tmp_path / "transfer.tar")
    plays = [
        {"name": "Make an image on the first host and save it", "hosts": source, "gather_facts": False, "tasks": [
            {"name": "A root filesystem", "ansible.builtin.file": {
                "path": "/var/tmp/newmod-rootfs", "state": "directory", "mode": "0755"}},
            {"name": "With a file", "ansible.builtin.copy": {
                "dest": "/var/tmp/newmod-rootfs/hello.txt", "content": "hello from %s\n" % source, "mode": "0644"}},
            {"name": "Import it", "kapal.docker.image_import": {"path": "/var/tmp/newmod-rootfs", "name": IMAGE},
             "register": "imported"},
            {"name": "Save it", "kapal.docker.image_export": {"name": IMAGE, "path": "/var/tmp/newmod-transfer.tar"},
             "register": "exported"},
            {"name": "Bring the archive to the controller", "ansible.builtin.fetch": {
                "src": "/var/tmp/newmod-transfer.tar", "dest": archive, "flat": True}},
            {"name": "Remember the id", "ansible.builtin.set_fact": {"transfer_id": "{{ imported.image.id }}"}},
        ]},
        {"name": "Load it on the second host", "hosts": target, "gather_facts": False, "tasks": [
            {"name": "Copy the archive",
             "ansible.builtin.copy": {"src": archive, "dest": "/var/tmp/newmod-transfer.tar", "mode": "0600"}},
            {"name": "Predict the load", "kapal.docker.image_load": {"path": "/var/tmp/newmod-transfer.tar"},
             "check_mode": True, "register": "predicted"},
            {"name": "Load it", "kapal.docker.image_load": {"path": "/var/tmp/newmod-transfer.tar"}, "register": "loaded"},
            {"name": "Load it again", "kapal.docker.image_load": {"path": "/var/tmp/newmod-transfer.tar"},
             "register": "again"},
            {"name": "Read the image", "kapal.docker.image_info": {"name": IMAGE}, "register": "info"},
            {"name": "Check", "ansible.builtin.assert": {"quiet": True, "that": [
                "predicted.changed == loaded.changed", "loaded.changed != (second_run | bool)", "again is not changed",
                "loaded.image_names == ['%s']" % IMAGE,
                "info.images[0].id == hostvars['%s'].transfer_id" % source,
            ]}},
        ]},
    ]
    playbook = tmp_path / "transfer.yml"
    _playbook(playbook, plays)
    proc, seconds = _run(facts["inventory"], playbook, tmp_path, "-e", "second_run=false")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert recap(proc.stdout, target)["changed"] >= 2  # the copy and the load
    print("\nengine role on two fresh hosts: %.0fs; import, export, fetch, copy, load: %.0fs" % (engine_seconds, seconds))

    second, _seconds = _run(facts["inventory"], playbook, tmp_path, "-e", "second_run=true")
    assert second.returncode == 0, second.stdout[-6000:] + second.stderr[-2000:]
    assert recap(second.stdout, source)["changed"] == 0 and recap(second.stdout, target)["changed"] == 0, \
        second.stdout[-5000:]
