"""The runbook playbooks (site, status, restart, rollout, exec, prune) against the real engine.

Localhost is the only host of an inventory written here, in the group docker_hosts, with two
small busybox httpd services provisioned by site.yml (the engine role leaves the running engine
alone). Every name starts with kapal-it-runbooks-<token>-, the two host ports are claimed
(conftest.claim_port), and everything is removed at the end: another run of this file at the same
time (another checkout) never meets this one.
"""

import json
import os
import re
import subprocess
import sys
import urllib.request
import uuid

import pytest

from tests.conftest import COLLECTIONS
from tests.integration.conftest import claim_port, remove_containers, run_module

pytestmark = pytest.mark.slow  # more than a minute: handed to a worker first (conftest)

TOKEN = uuid.uuid4().hex[:8]
PREFIX = "kapal-it-runbooks-%s-" % TOKEN
WEB, API = PREFIX + "web", PREFIX + "api"
WEB_PORT, API_PORT = claim_port(), claim_port()
IMAGE_REPO = "kapal-it-runbooks-%s/web" % TOKEN
HTTPD = ["httpd", "-f", "-p", "80", "-h", "/var/www"]


def _services():
    return [
        {"name": WEB, "image": "kapal-test/busybox:latest",
         "container": {"command": HTTPD, "published_ports": ["%d:80" % WEB_PORT]},
         "verify": [{"port": WEB_PORT, "body": "kapal test busybox"}]},
        {"name": API, "image": "kapal-test/busybox:latest",
         "container": {"command": HTTPD, "published_ports": ["%d:80" % API_PORT],
                       "healthcheck": {"test": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"],
                                       "interval": "1s", "retries": 3}},
         "verify": [{"port": API_PORT, "protocol": "tcp"}]},
    ]


def _recap(output):
    match = re.search(r"localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, output[-3000:]
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


def _page(port):
    return urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10).read().decode()


def _cleanup(docker_api):
    remove_containers(docker_api, PREFIX)
    for image in docker_api.images(name=IMAGE_REPO):
        docker_api.remove_image(image["Id"], force=True)


@pytest.fixture(scope="module")
def play(tmp_path_factory, docker_api):
    """play(name, *ansible-playbook args, **extra vars): run kapal.docker.<name> on the inventory."""
    tmp = tmp_path_factory.mktemp("books")
    inventory = tmp / "inventory.yml"
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "engine_sdk": "none",
        "service_workdir": str(tmp / "services"),
        "service_definitions": _services(),
    }
    # books_pair: a second host on the same engine, to see that a failed rollout stops before it.
    second = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory.write_text(json.dumps({"all": {"children": {
        "docker_hosts": {"hosts": {"localhost": host}},
        "books_pair": {"hosts": {"localhost": {}, "books-second": second}},
    }}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")

    def run(name, *args, **extra):
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
                   "kapal.docker." + name] + list(args)
        if extra:
            command += ["-e", json.dumps(extra)]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp), check=False, timeout=600)

    _cleanup(docker_api)
    yield run
    _cleanup(docker_api)


@pytest.fixture(scope="module")
def site(play):
    first = play("site")
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-2000:]
    return first


def _started_at(docker_api, name):
    return docker_api.inspect_container(name)["State"]["StartedAt"]


def _build(tmp_path, tag, page):
    (tmp_path / tag).mkdir()
    (tmp_path / tag / "index.html").write_text(page)
    result = run_module("image_build", {
        "path": str(tmp_path / tag), "name": IMAGE_REPO, "tag": tag,
        "dockerfile_content": "FROM kapal-test/busybox:latest\nCOPY index.html /var/www/index.html\n",
    })
    assert not result.failed, result
    return "%s:%s" % (IMAGE_REPO, tag)


def test_site_provisions_both_services_and_is_idempotent(site, play):
    assert _recap(site.stdout)["changed"] > 0
    assert "kapal test busybox" in _page(WEB_PORT)
    assert "kapal test busybox" in _page(API_PORT)
    second = play("site")
    assert second.returncode == 0, second.stdout[-5000:]
    assert _recap(second.stdout)["changed"] == 0, second.stdout[-6000:]


def test_status_lists_both_services_and_changes_nothing(site, play):
    result = play("status", status_service="")
    assert result.returncode == 0, result.stdout[-5000:]
    assert _recap(result.stdout)["changed"] == 0
    rows = dict((line.split("|")[0].strip().strip('"'), [cell.strip().strip('",') for cell in line.split("|")])
                for line in result.stdout.splitlines() if PREFIX in line and "|" in line)
    assert rows[WEB][1:4] == ["kapal-test/busybox:latest", "running", "0.0.0.0:%d->80/tcp,:::%d->80/tcp" % (WEB_PORT, WEB_PORT)]
    assert rows[WEB][4] == "none"
    assert rows[API][2] == "running" and rows[API][4] in ("healthy", "starting")


def test_restart_named_services_changes_started_at_and_check_mode_does_not(site, play, docker_api):
    before = dict((name, _started_at(docker_api, name)) for name in (WEB, API))
    checked = play("restart", "--check")
    assert checked.returncode == 0, checked.stdout[-5000:]
    assert re.search(r"would restart: .*%s" % WEB, checked.stdout), checked.stdout[-3000:]
    assert dict((name, _started_at(docker_api, name)) for name in (WEB, API)) == before

    result = play("restart", restart_service=[WEB, API])
    assert result.returncode == 0, result.stdout[-5000:]
    assert "restarted: %s, %s" % (API, WEB) in result.stdout
    for name in (WEB, API):
        assert _started_at(docker_api, name) != before[name]
    assert docker_api.inspect_container(API)["State"]["Health"]["Status"] == "healthy"
    assert "kapal test busybox" in _page(WEB_PORT)

    missing = play("restart", restart_service=PREFIX + "nope")
    assert missing.returncode != 0
    assert "no service %snope on localhost" % PREFIX in missing.stdout


def test_exec_returns_the_output_of_each_host(site, play):
    result = play("exec", exec_service=WEB, exec_argv=["cat", "/var/www/index.html"])
    assert result.returncode == 0, result.stdout[-5000:]
    assert "localhost | rc=0 | <h1>kapal test busybox</h1>" in result.stdout

    failing = play("exec", exec_service=WEB, exec_command="ls /nowhere")
    assert failing.returncode != 0
    assert re.search(r"localhost \| rc=[1-9]", failing.stdout), failing.stdout[-3000:]


def test_rollout_updates_then_rolls_back_a_broken_image(site, play, docker_api, tmp_path):
    good = _build(tmp_path, "v2", "<h1>books web v2</h1>\n")
    broken = _build(tmp_path, "broken", "<h1>oops</h1>\n")
    verify = [{"port": WEB_PORT, "body": "books web v2"}]

    result = play("rollout", rollout_service=WEB, rollout_image=good, rollout_verify=verify)
    assert result.returncode == 0, result.stdout[-5000:]
    assert "books web v2" in _page(WEB_PORT)
    container = docker_api.inspect_container(WEB)
    assert container["Config"]["Image"] == good
    assert container["Config"]["Cmd"] == HTTPD  # the other settings are carried over
    assert container["Config"]["Labels"]["org.kapal.service"] == WEB

    again = play("rollout", rollout_service=WEB, rollout_image=good, rollout_verify=verify)
    assert again.returncode == 0, again.stdout[-5000:]
    assert _recap(again.stdout)["changed"] == 0

    failed = play("rollout", rollout_service=WEB, rollout_image=broken, rollout_verify=verify, rollout_verify_retries=2)
    assert failed.returncode != 0
    assert re.search(r"rollout of %s to %s stopped on localhost: .*wanted HTTP 200 with 'books web v2'.*rolled back to %s"
                     % (WEB, re.escape(broken), re.escape(good)), failed.stdout), failed.stdout[-4000:]
    assert "books web v2" in _page(WEB_PORT)
    assert docker_api.inspect_container(WEB)["Config"]["Image"] == good

    # An image whose container cannot run the service (no httpd): rolled back on the first host,
    # and the rollout never reaches the second one.
    crashed = play("rollout", rollout_service=WEB,
                   rollout_image="kapal-test/python:bookworm", rollout_verify=verify, kapal_hosts="books_pair")
    assert crashed.returncode != 0
    assert re.search(r"rollout of %s to kapal-test/python:bookworm stopped on localhost: .*httpd.*rolled back to %s"
                     % (WEB, re.escape(good)), crashed.stdout), crashed.stdout[-4000:]
    assert "[books-second]" not in crashed.stdout, crashed.stdout[-4000:]
    assert "books web v2" in _page(WEB_PORT)
    assert docker_api.inspect_container(WEB)["Config"]["Image"] == good


def test_rollout_check_mode_changes_nothing(site, play, docker_api):
    before = docker_api.inspect_container(WEB)["Id"]
    result = play("rollout", "--check", rollout_service=WEB, rollout_image="kapal-test/python:bookworm")
    assert result.returncode == 0, result.stdout[-5000:]
    assert "would run kapal-test/python:bookworm" in result.stdout
    assert docker_api.inspect_container(WEB)["Id"] == before


def test_prune_check_mode_reports_then_removes_a_stopped_service(site, play, docker_api):
    docker_api.stop(API, timeout=1)
    checked = play("prune", "--check", prune_name=PREFIX)
    assert checked.returncode == 0, checked.stdout[-5000:]
    assert "would remove containers: %s" % API in checked.stdout
    assert docker_api.containers(all=True, filters={"name": API})

    result = play("prune", prune_name=PREFIX)
    assert result.returncode == 0, result.stdout[-5000:]
    assert "removed containers: %s" % API in result.stdout
    assert not docker_api.containers(all=True, filters={"name": API})
    assert docker_api.containers(filters={"name": WEB})
