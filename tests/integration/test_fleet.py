"""site.yml on a fleet of three fresh hosts (Debian 12, 13 and 14), from nothing, in one run.

The hosts are the test bed's (the ``fresh_hosts`` fixture), reached over SSH as a user's fleet is.
One run of kapal.docker.site installs the engine on every host, runs the fleet's registry (plain
HTTP, listed in every engine's insecure-registries) on the Debian 13 host, imports the test bed's
busybox root filesystem there as the fleet's base image, builds a web page image FROM it once,
pushes both, and every host pulls the page image and runs it. The controller then fetches the page
at each host's address; a second run changes nothing on any host; the status runbook shows one
table with the three hosts. No public registry is involved. The hosts go when the session ends.
"""

import glob
import json
import os
import re
import subprocess
import sys
import urllib.request
import uuid

import pytest

from tests.conftest import COLLECTIONS

pytestmark = pytest.mark.slow  # three engines installed from nothing: handed to a worker first (conftest)

TOKEN = uuid.uuid4().hex[:8]
SERVICE = "kapal-it-fleet-%s-web" % TOKEN
PAGE = "kapal fleet page %s\n" % TOKEN
PORT = 8090  # on each host's own address: the hosts are machines of their own, not this one's ports
REGISTRY_PORT = 5000
SDK_PYTHON = "/opt/kapal-docker/sdk/bin/python"  # where the engine role's pip puts the SDK (Debian 12)
HTTPD = ["httpd", "-f", "-p", "80", "-h", "/var/www"]


def _recaps(output):
    """{host: {ok, changed, unreachable, failed}} from the play recap."""
    recaps = {}
    for match in re.finditer(r"(?m)^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output):
        recaps[match.group(1)] = dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups()[1:])))
    return recaps


def _inventory(facts, registry):
    """The fresh hosts' inventory, plus what a user writes for a fleet: groups, the registry, services."""
    with open(facts["inventory"]) as handle:
        inventory = json.load(handle)
    top = inventory["all"]
    names = [host["name"] for host in facts["hosts"]]
    registry_host = next(host["name"] for host in facts["hosts"] if host["release"] == "13")
    top["vars"].update({
        # The SDK's venv where the engine role made one (Debian 12), else the system's python3.
        "ansible_python_interpreter": "auto_silent",
        "ansible_interpreter_python_fallback": [SDK_PYTHON, "/usr/bin/python3"],
        # The hosts reach no package index: Debian 12's SDK comes from the test bed's wheels.
        "engine_sdk_wheels": os.path.join(os.environ.get("KAPAL_TESTBED_CACHE", "/var/cache/kapal-testbed"), "wheels"),
        "engine_daemon_config": {"insecure-registries": [registry]},
        "site_images": [
            {"name": "%s/kapal/busybox:1" % registry, "import": {"src": _busybox_rootfs()}},
            {"name": "%s/kapal-it-fleet/web:%s" % (registry, TOKEN),
             "build": {"dockerfile_content": "FROM %s/kapal/busybox:1\nCOPY index.html /var/www/index.html\n" % registry,
                       "files": {"index.html": PAGE}}},
        ],
    })
    for name in names:
        top["hosts"][name]["service_definitions"] = [{
            "name": SERVICE, "image": "%s/kapal-it-fleet/web:%s" % (registry, TOKEN),
            "container": {"command": HTTPD, "published_ports": ["%d:80" % PORT], "restart_policy": "always"},
            "verify": [{"port": PORT, "body": PAGE.strip()}],
        }]
    top["children"].update({
        "docker_hosts": {"hosts": dict((name, {}) for name in names)},
        "registry_hosts": {"hosts": {registry_host: {}},
                           "vars": {"registry_listen": "0.0.0.0:%d" % REGISTRY_PORT}},
    })
    return inventory


def _busybox_rootfs():
    cache = os.environ.get("KAPAL_TESTBED_CACHE", "/var/cache/kapal-testbed")
    found = sorted(glob.glob(os.path.join(cache, "busybox-r*.tar")))
    assert found, "no busybox root filesystem in %s: run tests/testbed/up.sh" % cache
    return found[-1]


@pytest.fixture(scope="module")
def fleet(fresh_hosts, tmp_path_factory):
    facts = fresh_hosts("it-fleet", ("12", "13", "14"))
    registry_address = next(host["address"] for host in facts["hosts"] if host["release"] == "13")
    registry = "%s:%d" % (registry_address, REGISTRY_PORT)
    tmp = tmp_path_factory.mktemp("fleet")
    inventory = tmp / "inventory.yml"
    inventory.write_text(json.dumps(_inventory(facts, registry)))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_HOST_KEY_CHECKING="false")
    env.pop("ANSIBLE_PYTHON_INTERPRETER", None)  # the inventory's, not the controller's venv

    def play(name, *args, **extra):
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
                   "kapal.docker." + name] + list(args)
        if extra:
            command += ["-e", json.dumps(extra)]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp), check=False,
                              timeout=1500)

    first = play("site")
    assert first.returncode == 0, first.stdout[-8000:] + first.stderr[-2000:]
    return dict(facts=facts, registry=registry, play=play, first=first)


def test_site_provisions_every_host_from_nothing(fleet):
    recaps = _recaps(fleet["first"].stdout)
    hosts = fleet["facts"]["hosts"]
    assert sorted(recaps) == sorted(h["name"] for h in hosts), fleet["first"].stdout[-3000:]
    assert all(recap["changed"] > 0 and recap["failed"] == 0 for recap in recaps.values()), recaps
    # The images were made once, on the registry host, and pushed: the registry holds both.
    for repository, tag in (("kapal/busybox", "1"), ("kapal-it-fleet/web", TOKEN)):
        url = "http://%s/v2/%s/tags/list" % (fleet["registry"], repository)
        tags = json.load(urllib.request.urlopen(url, timeout=10))["tags"]
        assert tag in tags, (repository, tags)
    assert fleet["first"].stdout.count("TASK [Build the images]") == 1


def test_every_host_serves_the_page_at_its_address(fleet):
    for host in fleet["facts"]["hosts"]:
        page = urllib.request.urlopen("http://%s:%d/" % (host["address"], PORT), timeout=10).read().decode()
        assert page == PAGE, (host["name"], page)


def test_second_run_changes_nothing_on_any_host(fleet):
    second = fleet["play"]("site")
    assert second.returncode == 0, second.stdout[-8000:]
    recaps = _recaps(second.stdout)
    assert len(recaps) == 3 and all(recap["changed"] == 0 for recap in recaps.values()), second.stdout[-8000:]


def test_status_shows_the_fleet_in_one_table(fleet):
    result = fleet["play"]("status")
    assert result.returncode == 0, result.stdout[-5000:]
    image = "%s/kapal-it-fleet/web:%s" % (fleet["registry"], TOKEN)
    rows = {}
    for line in result.stdout.splitlines():
        if SERVICE in line and "|" in line:
            cells = [cell.strip().strip('",') for cell in line.split("|")]
            rows[cells[0]] = cells
    assert sorted(rows) == sorted(h["name"] for h in fleet["facts"]["hosts"]), result.stdout[-3000:]
    assert all(cells[2:4] == [image, "running"] for cells in rows.values()), rows
    assert re.search(r'"hosts: 3, services running: 3, unhealthy: 0, not running: 0"', result.stdout), \
        result.stdout[-3000:]
