"""Faults on a fleet: a host stopped in the middle of site.yml, and the fleet's registry down.

The smallest fleet that shows them: two fresh Debian 13 hosts of the test bed (the ``fresh_hosts``
fixture, a group of this file's own), reached over SSH, with Docker Engine's packages already installed
(``engine=True``: installing from nothing is test_fleet.py's), so site.yml's engine role configures the
engine over them. The first runs the fleet's registry (the role kapal.docker.registry, plain HTTP, in
both engines' insecure-registries) and makes the page image once; both run it as a service. Then:

- the second host's machine is stopped (``docker stop`` of its container: systemd shuts it down) in
  the middle of a run of site.yml that changes its service: that host alone fails, in one line, and
  the first finishes changing nothing; once the machine is back, a re-run converges it (its
  service changed) and changes nothing on the first host;
- the registry is stopped and the services are moved to a tag no host has: each host's pull fails
  in one line naming the registry, and the running services are left running, untouched;
- the runbooks restart, exec and prune run across the fleet and show each host's own output.
"""

import glob
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
import uuid

import pytest

from tests.conftest import COLLECTIONS
from tests.integration.conftest import recaps as _recaps
from tests.testbed import hosts

pytestmark = pytest.mark.slow  # two hosts and a whole site.yml: handed to a worker first (conftest)

TOKEN = uuid.uuid4().hex[:8]
SERVICE = "kapal-it-fleet-faults-%s-web" % TOKEN
PAGE = "kapal fleet faults page %s\n" % TOKEN
PORT = 8090  # on each host's own address (the hosts are machines of their own)
REGISTRY_PORT = 5000
REGISTRY_UNIT = "kapal-registry-main"  # the registry role's service, by its defaults
HTTPD = ["httpd", "-f", "-p", "80", "-h", "/var/www"]


def _fatal_lines(output, host):
    """The lines that report a failure of ``host`` (Ansible's `fatal: [host]: ...` and the like)."""
    return [line for line in output.splitlines()
            if re.match(r"^(fatal|failed): \[%s\]" % re.escape(host), line)]


def _busybox_rootfs():
    cache = os.environ.get("KAPAL_TESTBED_CACHE", "/var/cache/kapal-testbed")
    found = sorted(glob.glob(os.path.join(cache, "busybox-r*.tar")))
    assert found, "no busybox root filesystem in %s: run tests/testbed/up.sh" % cache
    return found[-1]


def _host_docker(host, *args):
    """`docker ARGS` run by the engine on a fresh host (through the test bed's engine: docker exec)."""
    return subprocess.run(["docker", "exec", host, "docker"] + list(args), capture_output=True, text=True,
                          timeout=60, check=False)


def _service_container(host):
    """(id, running, env) of the service's container on ``host``, or None."""
    proc = _host_docker(host, "inspect", SERVICE)
    if proc.returncode != 0:
        return None
    info = json.loads(proc.stdout)[0]
    return info["Id"], info["State"]["Running"], info["Config"]["Env"] or []


def _page(address):
    return urllib.request.urlopen("http://%s:%d/" % (address, PORT), timeout=10).read().decode()


class Fleet:
    """Two fresh hosts (``first`` runs the registry), their inventory, and ansible-playbook on them."""

    def __init__(self, facts, tmp):
        self.facts = facts
        self.first, self.second = [host["name"] for host in facts["hosts"]]
        self.addresses = dict((host["name"], host["address"]) for host in facts["hosts"])
        self.registry = "%s:%d" % (self.addresses[self.first], REGISTRY_PORT)
        self.image = "%s/kapal-it-fleet-faults/web:%s" % (self.registry, TOKEN)
        self.tmp = tmp
        self.inventory = tmp / "inventory.yml"
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                        ANSIBLE_HOST_KEY_CHECKING="false", PYTHONUNBUFFERED="1")
        self.env.pop("ANSIBLE_PYTHON_INTERPRETER", None)  # the inventory's, not the controller's venv
        self.services = dict((name, self.service()) for name in self.addresses)
        self.write()

    def service(self, image=None, env=None):
        # httpd, PID 1, ignores SIGTERM: stop_timeout 1 stops it after 1 s, not 10, on a restart.
        container = {"command": HTTPD, "published_ports": ["%d:80" % PORT], "restart_policy": "always",
                     "stop_timeout": 1}
        if env:
            container["env"] = env
        return {"name": SERVICE, "image": image or self.image, "container": container,
                "verify": [{"port": PORT, "body": PAGE.strip()}]}

    def write(self):
        with open(self.facts["inventory"]) as handle:
            inventory = json.load(handle)
        top = inventory["all"]
        top["vars"].update({
            "engine_daemon_config": {"insecure-registries": [self.registry]},
            "site_images": [
                {"name": "%s/kapal/busybox:1" % self.registry, "import": {"src": _busybox_rootfs()}},
                {"name": self.image,
                 "build": {"dockerfile_content": "FROM %s/kapal/busybox:1\nCOPY index.html /var/www/index.html\n"
                           % self.registry, "files": {"index.html": PAGE}}},
            ],
        })
        for name, address in self.addresses.items():
            top["hosts"][name]["ansible_host"] = address
            top["hosts"][name]["service_definitions"] = [self.services[name]]
        top["children"].update({
            "docker_hosts": {"hosts": dict((name, {}) for name in self.addresses)},
            "registry_hosts": {"hosts": {self.first: {}}, "vars": {"registry_listen": "0.0.0.0:%d" % REGISTRY_PORT}},
        })
        self.inventory.write_text(json.dumps(inventory))

    def command(self, name, *args):
        return [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(self.inventory),
                "kapal.docker." + name] + list(args)

    def play(self, name, *args):
        return subprocess.run(self.command(name, *args), capture_output=True, text=True, env=self.env,
                              cwd=str(self.tmp), check=False, timeout=1500)

    def play_and_stop(self, name, marker, host):
        """Run a playbook; when its output shows ``marker``, pause it, stop ``host``'s machine, resume.

        The controller paused (SIGSTOP: it starts no task) while the machine shuts down, the run meets
        the host only once it is gone, however long the shutdown takes: the fault is the same on every
        run of the test. Returns (returncode, output).
        """
        proc = subprocess.Popen(self.command(name), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=self.env, cwd=str(self.tmp), start_new_session=True)
        lines, stopped = [], False
        try:
            for line in proc.stdout:
                lines.append(line)
                if not stopped and line.startswith(marker):
                    os.kill(proc.pid, signal.SIGSTOP)
                    try:
                        subprocess.run(["docker", "stop", host], check=True, capture_output=True, timeout=120)
                    finally:
                        os.kill(proc.pid, signal.SIGCONT)
                    stopped = True
            proc.wait(timeout=1500)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        output = "".join(lines)
        assert stopped, "the run never showed %r:\n%s" % (marker, output[-5000:])
        return proc.returncode, output


@pytest.fixture(scope="module")
def fleet(fresh_hosts, tmp_path_factory):
    facts = fresh_hosts("it-faults", ("13",), count=2, engine=True)
    fleet = Fleet(facts, tmp_path_factory.mktemp("fleet-faults"))
    first = fleet.play("site")
    assert first.returncode == 0, first.stdout[-8000:] + first.stderr[-2000:]
    recaps = _recaps(first.stdout)
    assert sorted(recaps) == sorted(fleet.addresses) and all(r["failed"] == 0 for r in recaps.values()), recaps
    return fleet


def test_a_host_stopped_mid_site_fails_alone_and_converges_when_back(fleet):
    second = fleet.second
    before = _service_container(fleet.first)
    # The run changes the second host's service; its machine stops while the images are made on the
    # first host, after the engine and registry plays ran on both and before the services play.
    fleet.services[second] = fleet.service(env={"KAPAL_FLEET_FAULTS": "2"})
    fleet.write()
    rc, output = fleet.play_and_stop("site", "PLAY [Make the fleet's images once", second)

    recaps = _recaps(output)
    assert sorted(recaps) == sorted(fleet.addresses), output[-5000:]
    assert recaps[fleet.first]["failed"] == 0 and recaps[fleet.first]["unreachable"] == 0, output[-5000:]
    assert recaps[fleet.first]["changed"] == 0, output[-5000:]
    assert recaps[second]["unreachable"] == 1 and recaps[second]["failed"] == 0, output[-5000:]
    assert rc == 4, (rc, output[-5000:])  # ansible-playbook: some host unreachable
    # One line for the host that went away, and it says why.
    fatal = _fatal_lines(output, second)
    assert len(fatal) == 1, output[-5000:]
    assert "UNREACHABLE" in fatal[0] and fleet.addresses[second] in fatal[0], fatal
    assert not _fatal_lines(output, fleet.first), output[-5000:]
    assert "Traceback" not in output
    # The first host finished: its play ran to the end and its service is the same container, answering.
    assert "TASK [kapal.docker.service : Verify that every service answers on its ports]" in output, output[-5000:]
    assert _service_container(fleet.first) == before
    assert _page(fleet.addresses[fleet.first]) == PAGE

    # The machine is back (maybe at another address: the inventory follows it, as a user's would).
    fleet.addresses[second] = hosts.start_again(second)
    fleet.write()
    again = fleet.play("site")
    assert again.returncode == 0, again.stdout[-8000:]
    recaps = _recaps(again.stdout)
    assert recaps[fleet.first]["changed"] == 0, again.stdout[-8000:]
    assert recaps[second]["changed"] > 0 and recaps[second]["failed"] == 0, again.stdout[-8000:]
    container = _service_container(second)
    assert container[1] and "KAPAL_FLEET_FAULTS=2" in container[2], container
    assert _page(fleet.addresses[second]) == PAGE
    assert _service_container(fleet.first) == before


def test_a_registry_that_is_down_fails_the_pulls_in_one_line_and_stops_nothing(fleet):
    before = dict((name, _service_container(name)) for name in fleet.addresses)
    assert all(container and container[1] for container in before.values()), before
    stop = subprocess.run(["docker", "exec", fleet.first, "systemctl", "stop", REGISTRY_UNIT],
                          capture_output=True, text=True, timeout=60, check=False)
    assert stop.returncode == 0, stop.stderr
    try:
        missing = "%s/kapal-it-fleet-faults/web:%s-next" % (fleet.registry, TOKEN)
        saved = dict(fleet.services)
        for name in fleet.addresses:
            fleet.services[name] = dict(fleet.services[name], image=missing)
        fleet.write()
        # The services only: the registry play would start the registry again.
        result = fleet.play("site", "--skip-tags", "engine,registry,images")
        fleet.services.update(saved)
        fleet.write()
    finally:
        subprocess.run(["docker", "exec", fleet.first, "systemctl", "start", REGISTRY_UNIT],
                       capture_output=True, timeout=60, check=False)
    output = result.stdout
    assert result.returncode == 2, output[-5000:]
    recaps = _recaps(output)
    for name, address in fleet.addresses.items():
        assert recaps[name]["failed"] == 1 and recaps[name]["changed"] == 0, output[-5000:]
        fatal = _fatal_lines(output, name)
        assert len(fatal) == 1, output[-5000:]
        assert fleet.registry in fatal[0] and missing.rsplit("/", 1)[-1] in fatal[0], fatal
        # Nothing was stopped, removed or rolled back: the same containers run and answer.
        assert _service_container(name) == before[name]
        assert _page(address) == PAGE
    assert "Traceback" not in output


def _task_output(output, task):
    """{host: what the task printed for it} for the task named ``task`` (its `ok: [host] => {...}` blocks)."""
    start = output.index("TASK [%s]" % task)
    end = output.find("\nTASK [", start + 1)
    section = output[start:end if end != -1 else len(output)]
    blocks = re.split(r"(?m)^(?:ok|changed|fatal|skipping): \[(\S+?)\]", section)[1:]
    return dict((blocks[i], blocks[i + 1]) for i in range(0, len(blocks), 2))


def _started_at(host):
    return json.loads(_host_docker(host, "inspect", SERVICE).stdout)[0]["State"]["StartedAt"]


def test_restart_exec_and_prune_run_across_the_fleet_with_each_hosts_output(fleet):
    names = sorted(fleet.addresses)
    started = dict((name, _started_at(name)) for name in names)
    restart = fleet.play("restart", "-e", "restart_all=true")
    assert restart.returncode == 0, restart.stdout[-5000:]
    shown = _task_output(restart.stdout, "What was restarted")
    assert sorted(shown) == names, restart.stdout[-5000:]
    for name in names:
        assert '"restarted: %s"' % SERVICE in shown[name], shown
        assert _started_at(name) != started[name]
        assert _page(fleet.addresses[name]) == PAGE

    # The container's hostname is its own id: a different answer from each host.
    run = fleet.play("exec", "-e", json.dumps({"exec_service": SERVICE, "exec_argv": ["hostname"]}))
    assert run.returncode == 0, run.stdout[-5000:]
    summary = _task_output(run.stdout, "Summary (host | rc | output)")
    assert len(summary) == 1, summary  # run once, for the fleet
    for name in names:
        short_id = _service_container(name)[0][:12]
        assert '"%s | rc=0 | %s"' % (name, short_id) in run.stdout, run.stdout[-3000:]

    # A stopped container of an old service on each host: prune removes it there, and nothing else.
    old = SERVICE + "-old"
    for name in names:
        made = _host_docker(name, "create", "--name", old, "--label", "org.kapal.service=" + old, fleet.image, "true")
        assert made.returncode == 0, made.stderr
    pruned = fleet.play("prune", "-e", "prune_service=" + old)
    assert pruned.returncode == 0, pruned.stdout[-5000:]
    shown = _task_output(pruned.stdout, "What was pruned")
    assert sorted(shown) == names, pruned.stdout[-5000:]
    for name in names:
        assert '"removed containers: %s"' % old in shown[name], shown
        assert _host_docker(name, "inspect", old).returncode != 0
        assert _service_container(name)[1]
