"""kapal.docker.compose against the test bed's real engine: a Compose project from files, without the Compose CLI."""

import os
import urllib.request
import uuid

import pytest

from tests.integration.conftest import claim_port, quietly, remove_compose_project, run_module

PREFIX = "kapal-it-compose-"
PROJECT_LABEL = "com.docker.compose.project"

COMPOSE = """
services:
  db:
    image: ${IMAGE}
    command: ["sh", "-c", "touch /tmp/ready; exec sleep 3600"]
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 1s, retries: 30}
    volumes: ["data:/data"]
    networks: [back]
    stop_grace_period: 1s
  web:
    image: ${IMAGE}
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    ports: ["127.0.0.1:${WEB_PORT}:80"]
    volumes: ["./www:/www:ro"]
    depends_on: {db: {condition: service_healthy}}
    networks: [back, front]
    environment: {GREETING: "${GREETING:-hello}"}
    stop_grace_period: 1s
  debug:
    image: ${IMAGE}
    command: ["sleep", "3600"]
    profiles: [debug]
    stop_grace_period: 1s
networks:
  front: {}
  back: {}
volumes:
  data: {}
"""

OVERRIDE = """
services:
  web:
    environment: {EXTRA: from-override}
"""


def project_containers(api, name):
    return api.containers(all=True, filters={"label": "%s=%s" % (PROJECT_LABEL, name)})


@pytest.fixture
def project(tmp_path, docker_api, testbed):
    """A project directory (compose.yaml, its override, .env, ./www) with a unique project name;
    whatever carries the project's label is removed afterwards."""
    name = PREFIX + uuid.uuid4().hex[:8]
    port = claim_port()
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "compose.override.yaml").write_text(OVERRIDE)
    (tmp_path / ".env").write_text("IMAGE=%s\nWEB_PORT=%d\n" % (testbed["busybox_image"], port))
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text("hello from %s\n" % name)
    try:
        yield dict(name=name, port=port, src=str(tmp_path))
    finally:
        remove_compose_project(docker_api, name)
        quietly(docker_api.remove_image, name + "-app", force=True)


def compose(project, check_mode=False, **options):
    args = dict(project_src=project["src"], project_name=project["name"], pull="never")
    args.update(options)
    result = run_module("compose", args, check_mode=check_mode, diff=True)
    assert result.rc == 0, result
    return result


def by_name(result):
    return dict((item["name"], item) for item in result["containers"])


def test_a_project_from_check_mode_to_down(project, docker_api):
    name = project["name"]
    web, db = name + "-web-1", name + "-db-1"

    check = compose(project, check_mode=True)
    assert check["changed"] is True
    assert [by_name(check)[n]["actions"] for n in (db, web)] == [["create", "start"], ["create", "start"]]
    assert sorted(n["name"] for n in check["networks"]) == [name + "_back", name + "_front"]
    assert check["volumes"] == [dict(name=name + "_data", action="create")]
    assert project_containers(docker_api, name) == []
    assert docker_api.networks(names=[name + "_back"]) == []

    real = compose(project)
    assert real["changed"] is True
    assert [by_name(real)[n]["actions"] for n in (db, web)] == [["create", "start"], ["create", "start"]]
    assert real["services"]["web"]["containers"] == [web] and real["services"]["web"]["state"] == "running"
    assert real["services"]["web"]["published_ports"] == ["127.0.0.1:%d->80/tcp" % project["port"]]
    assert "debug" not in real["services"]  # not in an active profile
    web_inspect = docker_api.inspect_container(web)
    assert web_inspect["Config"]["Labels"][PROJECT_LABEL] == name
    assert web_inspect["Config"]["Labels"]["com.docker.compose.service"] == "web"
    assert "GREETING=hello" in web_inspect["Config"]["Env"] and "EXTRA=from-override" in web_inspect["Config"]["Env"]
    assert sorted(web_inspect["NetworkSettings"]["Networks"]) == [name + "_back", name + "_front"]
    assert docker_api.inspect_container(db)["State"]["Health"]["Status"] == "healthy"  # web waited for it
    assert docker_api.inspect_network(name + "_front")["Labels"]["com.docker.compose.network"] == "front"
    assert docker_api.inspect_volume(name + "_data")["Labels"]["com.docker.compose.volume"] == "data"
    with urllib.request.urlopen("http://127.0.0.1:%d/" % project["port"], timeout=10) as answer:
        assert answer.read().decode() == "hello from %s\n" % name

    for check_mode in (True, False):
        again = compose(project, check_mode=check_mode)
        assert again["changed"] is False, again
    waited = compose(project, wait=True)  # waits for web running and db healthy
    assert waited["changed"] is False and waited["services"]["db"]["state"] == "running"
    ids = dict((n, docker_api.inspect_container(n)["Id"]) for n in (db, web))

    # One change: an interpolated variable from .env; only web is recreated, the diff names what changes.
    with open(os.path.join(project["src"], ".env"), "a") as handle:
        handle.write("GREETING=changed\n")
    check = compose(project, check_mode=True)
    assert check["changed"] is True and check["services"]["db"]["changed"] is False
    assert by_name(check)[web]["actions"] == ["recreate: env, labels changed", "start"]
    web_diff = next(d for d in check["diff"] if d["before_header"].startswith(web))
    assert web_diff["after"]["env"]["GREETING"] == "changed" and web_diff["before"]["env"]["GREETING"] == "hello"
    real = compose(project)
    assert by_name(real)[web]["actions"] == by_name(check)[web]["actions"]
    assert real["diff"] == check["diff"]
    assert docker_api.inspect_container(db)["Id"] == ids[db]
    assert docker_api.inspect_container(web)["Id"] != ids[web]
    assert compose(project)["changed"] is False

    # A profile adds its service.
    debug = compose(project, profiles=["debug"])
    assert debug["changed"] is True and debug["services"]["debug"]["state"] == "running"
    assert compose(project, profiles=["debug"])["changed"] is False

    stopped = compose(project, state="stopped", profiles=["debug"])
    assert stopped["changed"] is True
    assert set(s["state"] for s in stopped["services"].values()) == {"exited"}
    assert compose(project, state="stopped", profiles=["debug"])["changed"] is False
    restarted = compose(project, state="restarted", profiles=["debug"])
    assert set(s["state"] for s in restarted["services"].values()) == {"running"}

    check = compose(project, check_mode=True, state="absent", profiles=["debug"])
    assert check["changed"] is True and len(project_containers(docker_api, name)) == 3
    down = compose(project, state="absent", profiles=["debug"])
    assert sorted(c["name"] for c in down["containers"]) == sorted([db, web, name + "-debug-1"])
    assert project_containers(docker_api, name) == []
    assert docker_api.networks(names=[name + "_back", name + "_front"]) == []
    assert docker_api.inspect_volume(name + "_data")["Name"] == name + "_data"  # volumes only with remove_volumes
    assert compose(project, state="absent")["changed"] is False
    gone = compose(project, state="absent", remove_volumes=True)
    assert gone["volumes"] == [dict(name=name + "_data", action="remove")]
    assert [v for v in docker_api.volumes()["Volumes"] or [] if v["Name"] == name + "_data"] == []


def test_a_bad_file_fails_in_one_line_and_changes_nothing(project, docker_api):
    path = os.path.join(project["src"], "compose.override.yaml")
    with open(path, "w") as handle:
        handle.write(OVERRIDE + "    links: [db]\n")
    result = run_module("compose", dict(project_src=project["src"], project_name=project["name"], pull="never"))
    assert result.failed, result
    assert result["msg"] == "compose: %s: services.web.links: links is not supported by kapal.docker" % path
    assert project_containers(docker_api, project["name"]) == []
    assert docker_api.networks(names=[project["name"] + "_back"]) == []


def test_a_service_built_from_a_dockerfile(project, docker_api, testbed):
    name = project["name"]
    app = os.path.join(project["src"], "app")
    os.mkdir(app)
    with open(os.path.join(app, "Dockerfile"), "w") as handle:
        handle.write("FROM %s\nARG GREETING\nRUN echo \"$GREETING\" > /greeting\nCMD [\"sleep\", \"3600\"]\n"
                     % testbed["busybox_image"])
    definition = dict(services=dict(app=dict(build=dict(context="app", args=dict(GREETING="built")),
                                             stop_grace_period="1s")))

    def run(check_mode=False, **options):
        return compose(dict(project, src=project["src"]), check_mode=check_mode, definition=definition, **options)

    check = run(check_mode=True)
    assert check["images"] == [dict(service="app", image=name + "-app", built=True, changed=True)]
    assert [item["actions"] for item in check["containers"]] == [["create", "start"]]
    assert docker_api.images(name=name + "-app") == []  # nothing built in check mode

    real = run()
    assert real["changed"] is True and real["services"]["app"]["state"] == "running"
    first = docker_api.inspect_image(name + "-app")["Id"]
    assert docker_api.inspect_container(name + "-app-1")["Image"] == first
    assert run()["changed"] is False
    assert run(build="always")["changed"] is False  # an unchanged build gives the same image

    definition["services"]["app"]["build"]["args"]["GREETING"] = "again"
    assert run(build="missing")["changed"] is False  # the image is there: missing builds nothing
    check = run(check_mode=True, build="always")
    # the image's build hash label changes with it (the container's labels are the image's and the file's)
    assert [item["actions"] for item in check["containers"]] == [["recreate: image, labels changed", "start"]]
    rebuilt = run(build="always")
    assert [item["actions"] for item in rebuilt["containers"]] == [["recreate: image, labels changed", "start"]]
    assert docker_api.inspect_container(name + "-app-1")["Image"] == docker_api.inspect_image(name + "-app")["Id"] != first


def test_a_one_shot_dependency_runs_to_completion_once(project, docker_api, testbed):
    name = project["name"]
    definition = dict(services=dict(
        init=dict(image=testbed["busybox_image"], command=["sh", "-c", "sleep 1; echo done > /dev/null"]),
        app=dict(image=testbed["busybox_image"], command=["sleep", "3600"], stop_grace_period="1s",
                 depends_on=dict(init=dict(condition="service_completed_successfully"))),
    ))
    first = compose(project, definition=definition, wait=True)
    assert first["services"]["init"]["state"] == "exited" and first["services"]["app"]["state"] == "running"
    assert docker_api.inspect_container(name + "-init-1")["State"]["ExitCode"] == 0
    for check_mode in (True, False):  # the completed one-shot is left as it is
        again = compose(project, check_mode=check_mode, definition=definition, wait=True)
        assert again["changed"] is False, again

    definition["services"]["init"]["command"] = ["sh", "-c", "exit 3"]
    failed = run_module("compose", dict(project_src=project["src"], project_name=name, pull="never",
                                        definition=definition))
    assert failed.failed and failed["changed"] is True
    assert failed["msg"] == ("compose: 2 of 2 containers failed: %s-init-1: wait: container %s-init-1 did not complete "
                             "successfully: it exited with code 3; %s-app-1: skipped: service init failed before it"
                             % (name, name, name))
