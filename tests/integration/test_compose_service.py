"""A Compose project as a service of the service role, and the runbooks (status, restart, rollout) on
its services, against the test bed's real engine.

Localhost is the only host of an inventory written here; its one service is a Compose project (web,
and db with a healthcheck that web waits for), in a directory written here, with a unique project
name and a claimed host port. Every container, network and image made here carries the project's
name or label, and is removed at the end.
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
from tests.integration.conftest import claim_port, quietly, recap, remove_compose_project, run_module

pytestmark = pytest.mark.slow  # more than a minute: handed to a worker first (conftest)

TOKEN = uuid.uuid4().hex[:8]
PROJECT = "kapal-it-compose-service-%s" % TOKEN
WEB, DB = PROJECT + "-web-1", PROJECT + "-db-1"
PORT = claim_port()
IMAGE_REPO = "kapal-it-compose-service-%s/web" % TOKEN
PROJECT_LABEL = "com.docker.compose.project"

COMPOSE = """
services:
  db:
    image: kapal-test/busybox:latest
    command: ["sh", "-c", "touch /tmp/ready; exec sleep 3600"]
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 1s, retries: 30}
    environment: {EDITION: "${DB_EDITION:-one}"}
    stop_grace_period: 1s
  web:
    image: ${WEB_IMAGE}
    command: ["httpd", "-f", "-p", "80", "-h", "/var/www"]
    ports: ["${WEB_PORT}:80"]
    depends_on: {db: {condition: service_healthy, restart: true}}
    stop_grace_period: 1s
"""


def _page():
    return urllib.request.urlopen("http://127.0.0.1:%d/" % PORT, timeout=10).read().decode()


def _cleanup(docker_api):
    remove_compose_project(docker_api, PROJECT)
    for image in docker_api.images(name=IMAGE_REPO):
        quietly(docker_api.remove_image, image["Id"], force=True)


@pytest.fixture(scope="module")
def bed(tmp_path_factory, docker_api):
    """The project directory, the inventory and play(name, *args, **extra vars) running
    kapal.docker.<name> (or the role, for name "role") on it."""
    tmp = tmp_path_factory.mktemp("compose-service")
    src = tmp / "project"
    src.mkdir()
    (src / "compose.yaml").write_text(COMPOSE)
    inventory = tmp / "inventory.yml"
    inventory.write_text(json.dumps({"all": {"children": {"docker_hosts": {"hosts": {"localhost": {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "service_definitions": [{"name": PROJECT, "compose": {"project_src": str(src), "pull": "never"}}],
    }}}}}}))
    (tmp / "role.yml").write_text("- hosts: docker_hosts\n  gather_facts: false\n  roles: [kapal.docker.service]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")

    def play(name, *args, **extra):
        book = str(tmp / "role.yml") if name == "role" else "kapal.docker." + name
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory), book]
        command += list(args)
        if extra:
            command += ["-e", json.dumps(extra)]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp), check=False, timeout=600)

    variables = dict(WEB_IMAGE="kapal-test/busybox:latest", WEB_PORT=str(PORT))

    def dot_env(**values):
        variables.update(values)
        (src / ".env").write_text("".join("%s=%s\n" % item for item in sorted(variables.items())))

    def web_image(image):
        dot_env(WEB_IMAGE=image)

    _cleanup(docker_api)
    dot_env()
    try:
        yield dict(play=play, web_image=web_image, dot_env=dot_env, src=str(src))
    finally:
        _cleanup(docker_api)


@pytest.fixture(scope="module")
def provisioned(bed):
    first = bed["play"]("role")
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-2000:]
    return first


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """{tag: (reference, id)}: a v2 of the web page, and a broken one (another page)."""
    made = {}
    for tag, page in (("v2", "<h1>compose web v2</h1>\n"), ("broken", "<h1>oops</h1>\n")):
        context = tmp_path_factory.mktemp(tag)
        (context / "index.html").write_text(page)
        result = run_module("image_build", {
            "path": str(context), "name": IMAGE_REPO, "tag": tag,
            "dockerfile_content": "FROM kapal-test/busybox:latest\nCOPY index.html /var/www/index.html\n",
        })
        assert not result.failed, result
        made[tag] = ("%s:%s" % (IMAGE_REPO, tag), result["image"]["id"])
    return made


def _definitions(bed, verify):
    return [{"name": PROJECT, "compose": {"project_src": bed["src"], "pull": "never"}, "verify": verify}]


def test_role_provisions_the_project_verifies_its_ports_and_is_idempotent(bed, provisioned, docker_api):
    assert recap(provisioned.stdout)["changed"] > 0
    # The default check: every published TCP port of the project (0.0.0.0 and :: as 127.0.0.1, once).
    assert provisioned.stdout.count("Wait for the TCP port of %s %d" % (PROJECT, PORT)) == 1, provisioned.stdout[-5000:]
    assert "kapal test busybox" in _page()
    assert docker_api.inspect_container(DB)["State"]["Health"]["Status"] == "healthy"
    labels = docker_api.inspect_container(WEB)["Config"]["Labels"]
    assert labels[PROJECT_LABEL] == PROJECT and labels["com.docker.compose.service"] == "web"
    second = bed["play"]("role")
    assert second.returncode == 0, second.stdout[-5000:]
    assert recap(second.stdout)["changed"] == 0, second.stdout[-6000:]


def test_a_dependent_with_restart_true_is_restarted_when_its_dependency_is_recreated(bed, provisioned, docker_api):
    db, web = docker_api.inspect_container(DB), docker_api.inspect_container(WEB)
    bed["dot_env"](DB_EDITION="two")
    result = bed["play"]("role")
    assert result.returncode == 0, result.stdout[-5000:]
    assert docker_api.inspect_container(DB)["Id"] != db["Id"]  # recreated: its environment changed
    after = docker_api.inspect_container(WEB)
    assert after["Id"] == web["Id"] and after["State"]["StartedAt"] != web["State"]["StartedAt"]  # restarted
    assert "kapal test busybox" in _page()


def _status_rows(stdout):
    rows = {}
    for line in stdout.splitlines():
        if PROJECT in line and "|" in line:
            cells = [cell.strip().strip('",') for cell in line.split("|")]
            rows[cells[1]] = cells
    return rows


def test_status_lists_the_compose_services(bed, provisioned):
    result = bed["play"]("status", status_service=PROJECT)
    assert result.returncode == 0, result.stdout[-5000:]
    rows = _status_rows(result.stdout)
    assert sorted(rows) == [DB, WEB], result.stdout[-3000:]
    assert rows[DB][2:5] == ["kapal-test/busybox:latest", "running", "healthy"]
    assert rows[WEB][3] == "running" and rows[WEB][5].endswith(":%d->80/tcp" % PORT)


def test_restart_a_compose_service_by_its_name(bed, provisioned, docker_api):
    before = dict((name, docker_api.inspect_container(name)["State"]["StartedAt"]) for name in (WEB, DB))
    result = bed["play"]("restart", restart_service=PROJECT + "/db")
    assert result.returncode == 0, result.stdout[-5000:]
    # web depends on db with restart: true: restarted after it, as `docker compose restart db` does.
    assert "restarted: %s, %s" % (DB, WEB) in result.stdout, result.stdout[-3000:]
    for name in (WEB, DB):
        assert docker_api.inspect_container(name)["State"]["StartedAt"] != before[name]
    assert docker_api.inspect_container(DB)["State"]["Health"]["Status"] == "healthy"  # waited for
    assert "kapal test busybox" in _page()


def test_role_rolls_a_failed_project_back_by_id(bed, provisioned, docker_api, images):
    (good, good_id), broken = images["v2"], images["broken"][0]
    verify = [{"port": PORT, "body": "compose web v2"}]
    db_id = docker_api.inspect_container(DB)["Id"]

    bed["web_image"](good)
    updated = bed["play"]("role", "-e", json.dumps({"service_definitions": _definitions(bed, verify)}))
    assert updated.returncode == 0, updated.stdout[-5000:]
    assert "compose web v2" in _page()
    assert docker_api.inspect_container(WEB)["Image"] == good_id

    bed["web_image"](broken)
    extra = {"service_definitions": _definitions(bed, verify), "service_verify_retries": 2}
    failed = bed["play"]("role", "-e", json.dumps(extra))
    assert failed.returncode != 0
    assert re.search(r"service: %s did not answer as expected .*wanted HTTP 200 with 'compose web v2'.*"
                     r"rolled back %s to the previous image %s" % (PROJECT, WEB, re.escape(good)),
                     failed.stdout), failed.stdout[-5000:]
    web = docker_api.inspect_container(WEB)
    assert web["Image"] == good_id and web["State"]["Running"]
    assert web["Config"]["Labels"][PROJECT_LABEL] == PROJECT and web["Config"]["Cmd"] == ["httpd", "-f", "-p", "80", "-h", "/var/www"]
    assert "compose web v2" in _page()
    assert docker_api.inspect_container(DB)["Id"] == db_id  # the service that did not change is left alone
    bed["web_image"](good)


def test_rollout_of_a_compose_service_then_of_a_broken_image(bed, provisioned, docker_api, images):
    """The web service goes back to the test bed's image by a rollout, then a rollout to the broken
    image is rolled back (by the image's id, under its name)."""
    first, broken = "kapal-test/busybox:latest", images["broken"][0]
    first_id = docker_api.inspect_image(first)["Id"]
    verify = [{"port": PORT, "body": "kapal test busybox"}]

    result = bed["play"]("rollout", rollout_service=PROJECT + "/web", rollout_image=first, rollout_verify=verify)
    assert result.returncode == 0, result.stdout[-5000:]
    assert "kapal test busybox" in _page()
    web = docker_api.inspect_container(WEB)
    assert web["Config"]["Image"] == first and web["Image"] == first_id
    assert web["Config"]["Labels"]["com.docker.compose.service"] == "web"  # its settings are carried over

    failed = bed["play"]("rollout", rollout_service=PROJECT + "/web", rollout_image=broken, rollout_verify=verify,
                         rollout_verify_retries=2)
    assert failed.returncode != 0
    assert re.search(r"rollout of %s/web to %s stopped on localhost: .*wanted HTTP 200 with 'kapal test busybox'.*"
                     r"rolled back to %s" % (PROJECT, re.escape(broken), re.escape(first)),
                     failed.stdout), failed.stdout[-4000:]
    assert docker_api.inspect_container(WEB)["Image"] == first_id
    assert "kapal test busybox" in _page()
