"""site.yml on a fleet of three fresh hosts (Debian 12, 13 and 14), from nothing, in one run.

The hosts are the test bed's (the ``fresh_hosts`` fixture), reached over SSH as a user's fleet is.
One run of kapal.docker.site installs the engine on every host, runs the fleet's registry (plain
HTTP, listed in every engine's insecure-registries) on the Debian 13 host, imports the test bed's
busybox root filesystem there as the fleet's base image, builds a web page image FROM it once,
pushes both, and every host pulls the page image and runs it. The controller then fetches the page
at each host's address; a second run changes nothing on any host; the status runbook shows one
table with the three hosts. No public registry is involved. The hosts go when the session ends.

Then kapal.docker.rollout across the fleet, to new versions of the page image (each serves its own
page, so the controller sees which version a host runs): check mode names the hosts and touches
none; good rollouts with rollout_serial 1, 2 and a canary then 67 % change every host, each through
the verification gate, while a probe from the controller (tests/integration/probe.py: every host's
page every 0.25 s, bounded in count and time) sees the hosts outside the batch being updated answer
throughout; a broken image stops at the first host, which runs its previous image (the same id)
again, and no other host is touched. The downtime of each host is bench's (fleet_rollout).
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
from tests.integration.conftest import recaps as _recaps

pytestmark = pytest.mark.slow  # three engines installed from nothing: handed to a worker first (conftest)

TOKEN = uuid.uuid4().hex[:8]
SERVICE = "kapal-it-fleet-%s-web" % TOKEN
PAGE = "kapal fleet page %s version 1\n" % TOKEN
PORT = 8090  # on each host's own address: the hosts are machines of their own, not this one's ports
REGISTRY_PORT = 5000
SDK_PYTHON = "/opt/kapal-docker/sdk/bin/python"  # where the engine role's pip puts the SDK (Debian 12)
HTTPD = ["httpd", "-f", "-p", "80", "-h", "/var/www"]


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
            # httpd, PID 1, ignores SIGTERM: stopped after 1 s, not 10, when a rollout replaces it.
            "container": {"command": HTTPD, "published_ports": ["%d:80" % PORT], "restart_policy": "always",
                          "stop_timeout": 1},
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
                   name if name.endswith(".yml") else "kapal.docker." + name] + list(args)
        if extra:
            command += ["-e", json.dumps(extra)]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp), check=False,
                              timeout=1500)

    first = play("site")
    assert first.returncode == 0, first.stdout[-8000:] + first.stderr[-2000:]
    return dict(facts=facts, registry=registry, play=play, first=first, tmp=tmp)


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


# -- rollout across the fleet ----------------------------------------------------------------------
#
# The fleet's registry gets more versions of the page image, each with its own page ("version N"),
# so the controller sees which image a host runs; and a broken one, whose page is missing (404).
# They are built on the registry host, pushed, and removed there again: every host pulls them.

VERSIONS = ("2", "3", "broken")


def _page(version):
    return "kapal fleet page %s version %s\n" % (TOKEN, version)


def _image(fleet, version):
    return "%s/kapal-it-fleet/web:%s" % (fleet["registry"], TOKEN if version == "1" else "%s-v%s" % (TOKEN, version))


def _on_host(docker_api, host, *command):
    """(exit code, output) of a command on a fleet host (the test's look at it, not the playbooks' way)."""
    run = docker_api.exec_create(host["container"], list(command))
    output = docker_api.exec_start(run["Id"]).decode("utf-8", "replace")
    return docker_api.exec_inspect(run["Id"])["ExitCode"], output


def _service_state(docker_api, host):
    """(container id, image id, image name) of the service on the host."""
    code, output = _on_host(docker_api, host, "docker", "inspect", "--format",
                            "{{.Id}} {{.Image}} {{.Config.Image}}", SERVICE)
    assert code == 0, (host["name"], output)
    return tuple(output.split())


def _has_image(docker_api, host, reference):
    return _on_host(docker_api, host, "docker", "image", "inspect", reference)[0] == 0


def _batches(output, names):
    """The hosts of each batch, in the order the rollout ran them (each batch starts the play over)."""
    seen = []
    for block in output.split("TASK [Check the rollout's variables]")[1:]:
        seen.append(sorted(set(re.findall(r"^ok: \[([\w-]+)\]", block.split("TASK [", 1)[0], re.M)), key=names.index))
    return seen


def _gated(output):
    """The hosts on which the verification gate (the service role's HTTP check) answered as expected."""
    hosts = []
    for block in output.split("\nTASK [")[1:]:
        if block.startswith("kapal.docker.service : Fetch over HTTP"):
            hosts += re.findall(r"^ok: \[([\w-]+)\]", block, re.M)
    return hosts


@pytest.fixture(scope="module")
def versions(fleet, docker_api):
    """The page image's versions 2, 3 and broken, in the fleet's registry and on no host."""
    builder = next(host for host in fleet["facts"]["hosts"] if host["release"] == "13")
    workdir = "/var/lib/kapal-it-fleet-%s" % TOKEN
    tasks = [{"name": "Make the build directories", "ansible.builtin.file": {
        "path": "%s/{{ item }}" % workdir, "state": "directory", "mode": "0755"}, "loop": list(VERSIONS)}]
    tasks += [{"name": "Write the pages", "ansible.builtin.copy": {
        "dest": "%s/{{ item.0 }}/{{ item.1 }}.html" % workdir, "content": "{{ item.2 }}", "mode": "0644"},
        "loop": [[v, "broken" if v == "broken" else "index", _page(v)] for v in VERSIONS]}]
    # The base image has a page of its own: the broken version removes it (its "/" answers 404).
    dockerfile = "FROM %s/kapal/busybox:1\n{{ 'RUN rm -f /var/www/index.html' if item == 'broken' else '' }}\nCOPY . /var/www/\n"
    dockerfile %= fleet["registry"]
    tasks += [{"name": "Build the versions", "kapal.docker.image_build": {
        "path": "%s/{{ item }}" % workdir, "name": "{{ image[item] }}",
        "dockerfile_content": dockerfile},
        "loop": list(VERSIONS)}]
    tasks += [{"name": "Push them", "kapal.docker.image_push": {"name": "{{ image[item] }}"}, "loop": list(VERSIONS)},
              {"name": "Remove them here", "kapal.docker.image_remove": {"name": "{{ image[item] }}"},
               "loop": list(VERSIONS)},
              {"name": "Remove the build contexts", "ansible.builtin.file": {"path": workdir, "state": "absent"}}]
    book = fleet["tmp"] / "versions.yml"
    book.write_text(json.dumps([{"hosts": builder["name"], "gather_facts": False, "tasks": tasks,
                                 "vars": {"image": dict((v, _image(fleet, v)) for v in VERSIONS)}}]))
    result = fleet["play"](str(book))
    assert result.returncode == 0, result.stdout[-5000:]
    for host in fleet["facts"]["hosts"]:
        assert not any(_has_image(docker_api, host, _image(fleet, v)) for v in VERSIONS), host["name"]
    return dict((v, _image(fleet, v)) for v in ("1",) + VERSIONS)


def test_rollout_check_mode_names_the_hosts_and_touches_none(fleet, versions, docker_api):
    hosts = fleet["facts"]["hosts"]
    before = dict((host["name"], _service_state(docker_api, host)) for host in hosts)
    target = next(v for v in ("2", "3") if all(state[2] != versions[v] for state in before.values()))
    result = fleet["play"]("rollout", "--check", rollout_service=SERVICE, rollout_image=versions[target])
    assert result.returncode == 0, result.stdout[-5000:]
    named = re.findall(r'"msg": "%s on (\S+) would run %s \(was ' % (SERVICE, re.escape(versions[target])), result.stdout)
    assert sorted(named) == sorted(before), result.stdout[-5000:]
    recaps = _recaps(result.stdout)
    assert sorted(recaps) == sorted(before) and all(r["changed"] > 0 and r["failed"] == 0 for r in recaps.values()), recaps
    for host in hosts:
        assert _service_state(docker_api, host) == before[host["name"]], host["name"]
        assert not _has_image(docker_api, host, versions[target]), host["name"]


@pytest.mark.parametrize("extra, batches", [
    ({"rollout_serial": 1}, [[0], [1], [2]]),
    ({"rollout_serial": 2}, [[0, 1], [2]]),
    ({"rollout_serial": "67%", "rollout_canary": True}, [[0], [1, 2]]),
], ids=["serial-1", "serial-2", "canary-then-67-percent"])
def test_rollout_keeps_the_fleet_answering(fleet, versions, docker_api, extra, batches):
    """A good rollout: every host changes, passes the gate and serves the new page; meanwhile the
    controller's probe sees, at every round, the hosts outside the batch being updated answer (those
    before it with the new page, those after it with the old one), and the batches in order. The
    downtime of each host is measured by bench/run.py --scenarios fleet_rollout, not asserted here."""
    from tests.integration.probe import Probe

    hosts = fleet["facts"]["hosts"]
    names = [host["name"] for host in hosts]
    batches = [[names[i] for i in batch] for batch in batches]
    before = dict((host["name"], _service_state(docker_api, host)) for host in hosts)
    target = next(v for v in ("2", "3", "1") if all(state[2] != versions[v] for state in before.values()))
    urls = dict((host["name"], "http://%s:%d/" % (host["address"], PORT)) for host in hosts)
    with Probe(urls, interval=0.25, timeout=2.0, max_seconds=240) as probe:
        result = fleet["play"]("rollout", rollout_service=SERVICE, rollout_image=versions[target],
                               rollout_verify=[{"port": PORT, "body": _page(target).strip()}], **extra)
    assert result.returncode == 0, result.stdout[-6000:]
    recaps = _recaps(result.stdout)
    assert sorted(recaps) == sorted(names) and all(r["changed"] > 0 and r["failed"] == 0 for r in recaps.values()), recaps
    assert _batches(result.stdout, names) == batches, result.stdout[-6000:]
    assert sorted(_gated(result.stdout)) == sorted(names), result.stdout[-6000:]
    for host in hosts:
        container, image, name = _service_state(docker_api, host)
        assert name == versions[target] and container != before[host["name"]][0], (host["name"], name)
        page = urllib.request.urlopen(urls[host["name"]], timeout=10).read().decode()
        assert page.strip() == _page(target).strip(), (host["name"], page)

    # The probe ran from before the first batch to after the last, within its bounds.
    assert not probe.bounded and probe.requests <= len(names) * probe.max_rounds

    def is_new(text):
        return text.strip() == _page(target).strip()

    assert all(text is not None and not is_new(text) for text in probe.rounds[0][1].values()), probe.rounds[0]
    assert all(text is not None and is_new(text) for text in probe.rounds[-1][1].values()), probe.rounds[-1]
    phases = probe.phases(batches, is_new)
    misfits = [(at, answers) for at, index, answers in phases if index is None]
    assert not misfits, misfits[:5]
    order = [index for _at, index, _answers in phases]
    assert order == sorted(order), order
    # The hosts were down one batch at a time: with serial 1, never two at once.
    if max(len(batch) for batch in batches) == 1:
        assert all(len(down) <= 1 for _at, down in probe.failing()), [f for f in probe.failing() if len(f[1]) > 1]


def test_broken_image_stops_at_the_first_host_and_rolls_it_back(fleet, versions, docker_api):
    hosts = fleet["facts"]["hosts"]
    first, others = hosts[0], hosts[1:]
    before = dict((host["name"], _service_state(docker_api, host)) for host in hosts)
    previous = before[first["name"]][2]
    result = fleet["play"]("rollout", rollout_service=SERVICE, rollout_image=versions["broken"], rollout_serial=1,
                           rollout_verify=[{"port": PORT, "body": TOKEN}], rollout_verify_retries=2)
    assert result.returncode != 0, result.stdout[-5000:]
    assert re.search(r"rollout of %s to %s stopped on %s: .*got HTTP 404.*rolled back to %s" % (
        SERVICE, re.escape(versions["broken"]), first["name"], re.escape(previous)), result.stdout), result.stdout[-5000:]
    # The first host runs the exact image it ran before (by id), under its name, and serves its page.
    container, image, name = _service_state(docker_api, first)
    assert (image, name) == before[first["name"]][1:] and container != before[first["name"]][0]
    page = urllib.request.urlopen("http://%s:%d/" % (first["address"], PORT), timeout=10).read().decode()
    assert "version" in page and TOKEN in page, page
    # No other host was touched: the rollout never reached them, their containers are the same ones.
    assert sorted(_recaps(result.stdout)) == [first["name"]], result.stdout[-3000:]
    for host in others:
        assert "[%s]" % host["name"] not in result.stdout
        assert _service_state(docker_api, host) == before[host["name"]], host["name"]
        assert not _has_image(docker_api, host, versions["broken"]), host["name"]
