"""Every module and plugin on every engine users run (issue #13): one workflow per feature, per engine.

The engines (tests/testbed/engines.py, the session fixture ``engines``): Docker 20.10 on this machine,
26.1 and 28.5 on fresh Debian 13 and 14 hosts (over TLS), Podman 4.3 on this machine, 5.4 and 5.8 on
fresh Debian 13 and 14 hosts (their Docker-compatible API). The modules run on this machine against
each engine's address, as a playbook that delegates to the controller does.

A workflow is run -> re-run (changed=0) -> one changed value: check mode with diff (predicts the
change, changes nothing), then run (the same diff). Each test is one cell of
README.md's compatibility table (the ``compat`` marker; tests/integration/compat.py). What an engine
reports differently is read by the option table's readers (tests/unit/plugins/module_utils/
test_engine_quirks.py holds each engine's real answer); where an engine cannot do what the others do,
the cell is a strict xfail naming the quirk and why no reader mends it (QUIRKS).
"""

import json
import os
import subprocess
import sys
import urllib.request
import uuid

import docker.errors
import pytest
from ansible_collections.kapal.docker.plugins.module_utils._prune import parse_time_ns

from tests.conftest import COLLECTIONS, ROOT
from tests.integration.conftest import claim_port, run_module
from tests.testbed import engines as testbed_engines

BIN = os.path.dirname(sys.executable)
BUSYBOX = "kapal-test/busybox:latest"
PYTHON = "kapal-test/python:bookworm"
LABEL = "org.kapal.test.engines"
pytestmark = pytest.mark.slow  # six engines, minutes: handed to a worker first (conftest)

# What an engine cannot do as the others do: (feature, engine) -> the quirk, and why it stays. What
# the engines report differently is read by the option table's readers (test_engine_quirks.py holds
# each engine's real answer); these are the cases no reader can mend.
_PODMAN = ("podman-4.3", "podman-5.4", "podman-5.8")
QUIRKS = {}


def _quirk(feature, engines, reason):
    for engine in engines:
        QUIRKS[(feature, engine)] = reason


def on_every_engine(feature):
    """The engines as parameters of a test of ``feature``, the known quirks as strict xfails."""
    params = []
    for name in testbed_engines.NAMES:
        reason = QUIRKS.get((feature, name))
        marks = [pytest.mark.xfail(strict=True, reason="#13: " + reason)] if reason else []
        params.append(pytest.param(name, marks=marks, id=name))
    return pytest.mark.parametrize("engine", params, indirect=True)


class EngineUnderTest:
    """One engine of the test bed for one test: its facts, its connection options, unique names."""

    def __init__(self, facts, test_name):
        self.facts = facts
        self.name = facts["name"]
        self.prefix = "kapal-it-eng-%s-%s" % (self.name.replace(".", ""), uuid.uuid4().hex[:8])
        self._api = None
        self.images = []

    @property
    def connection(self):
        args = dict(docker_host=self.facts["docker_host"])
        if self.facts.get("tls"):
            args.update(tls=True, validate_certs=True, ca_path=self.facts["ca_path"],
                        client_cert=self.facts["client_cert"], client_key=self.facts["client_key"])
        return args

    @property
    def api(self):
        if self._api is None:
            self._api = testbed_engines.client(self.facts)
        return self._api

    @property
    def local(self):
        return self.facts["local"]

    @property
    def address(self):
        """Where the engine's published ports answer, as seen from here."""
        return "127.0.0.1" if self.local else self.facts["address"]

    def unique(self, what):
        return "%s-%s" % (self.prefix, what)

    def run(self, module, args, check_mode=False, diff=False):
        return run_module(module, dict(self.connection, **args), check_mode=check_mode, diff=diff)

    def container(self, what, image=BUSYBOX, command=("sleep", "3600"), labels=None):
        """A running container made with the SDK (arranged, not under test)."""
        name = self.unique(what)
        self.api.create_container(image, command=list(command), name=name, labels=labels or {},
                                  host_config=self.api.create_host_config(network_mode="none"), stop_signal="SIGKILL")
        self.api.start(name)
        return name

    def cleanup(self):
        api = self.api
        for entry in api.containers(all=True):
            if any(n.lstrip("/").startswith(self.prefix) for n in entry.get("Names") or []):
                api.remove_container(entry["Id"], force=True, v=True)
        for entry in api.networks():
            if entry["Name"].startswith(self.prefix):
                api.remove_network(entry["Id"])
        for entry in api.volumes().get("Volumes") or []:
            if entry["Name"].startswith(self.prefix):
                api.remove_volume(entry["Name"])
        for image in self.images:
            try:
                api.remove_image(image)
            except docker.errors.NotFound:
                pass
        api.close()


@pytest.fixture
def engine(request, engines):
    under_test = EngineUnderTest(engines[request.param], request.node.name)
    yield under_test
    under_test.cleanup()


def _ok(result, changed):
    assert result.rc == 0 and not result.failed, result
    assert result["changed"] is changed, result
    return result


def workflow(engine, module, first, second, unchanged=None):
    """run ``first`` -> re-run changed=0 -> ``second``: check mode with diff (predicts the change, makes
    none), then run with diff (the same diff).

    Four runs per engine and feature: the whole suite's time is bounded (tests/README.md), and what
    check mode and idempotency do on one engine beyond this is the other test files' (on this machine's
    Docker). ``unchanged()`` tells the engine's state (anything comparable): check mode must leave it
    alone. Returns the real runs of ``first`` and ``second``.
    """
    first_run = _ok(engine.run(module, first, diff=True), True)
    _ok(engine.run(module, first), False)
    before = unchanged() if unchanged else None
    check = _ok(engine.run(module, second, check_mode=True, diff=True), True)
    if unchanged:
        assert unchanged() == before, "check mode changed the engine's state"
    real = _ok(engine.run(module, second, diff=True), True)
    if "diff" in check:
        assert check["diff"] == real["diff"], (check["diff"], real["diff"])
        diffs = check["diff"] if isinstance(check["diff"], list) else [check["diff"]]
        assert any(d["before"] != d["after"] for d in diffs), check["diff"]
    return first_run, real


def _fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


# -- engine_info ----------------------------------------------------------------------------------

@pytest.mark.compat("kapal.docker.engine_info", "version and listings")
@on_every_engine("engine_info")
def test_engine_info(engine):
    # In check mode, which an info module supports and runs alike.
    result = _ok(engine.run("engine_info", dict(containers=True, images=True), check_mode=True), False)
    assert result["engine"]["api_version"] == engine.facts["api_version"]
    assert engine.facts["version"].split("+")[0] in result["engine"]["version"], result["engine"]
    busybox = engine.api.inspect_image(BUSYBOX)["Id"]
    assert busybox in [image["id"] for image in result["images"]], result["images"]


# -- images -------------------------------------------------------------------------------------------

@pytest.mark.compat("kapal.docker.image_pull", "pull from a private registry")
@on_every_engine("image_pull")
def test_image_pull(engine):
    # Images of their own, only in the registry (tests/testbed/engines.py): removing them touches nothing else.
    one, two = ("%s/%s" % (engine.facts["registry"], image) for image in testbed_engines.PULL_IMAGES)
    engine.images.extend([one, two])
    for name in (one, two):
        try:
            engine.api.remove_image(name)
        except docker.errors.NotFound:
            pass
    extra = dict(registry_ca_path=engine.facts["registry_ca_path"]) if engine.facts["registry_ca_path"] else {}

    def present():
        return [bool(engine.api.images(name=name.rsplit(":", 1)[0])) for name in (one, two)]

    first, second = workflow(engine, "image_pull", dict(name=one, **extra), dict(name=two, **extra), unchanged=present)
    assert first["image"]["id"] == engine.api.inspect_image(one)["Id"] != second["image"]["id"]
    assert engine.api.inspect_image(two)["Config"]["Labels"]["org.kapal.testbed.pull"] == "two"


@pytest.mark.compat("kapal.docker.image_build", "build, rebuild on a changed context")
@on_every_engine("image_build")
def test_image_build(engine, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM %s\nCOPY page.html /www/page.html\nCMD [\"cat\", \"/www/page.html\"]\n"
                                         % BUSYBOX)
    (tmp_path / "page.html").write_text("first\n")
    name = engine.unique("built")
    engine.images.append(name + ":1")

    def image_id():
        try:
            return engine.api.inspect_image(name + ":1")["Id"]
        except docker.errors.NotFound:
            return None

    args = dict(path=str(tmp_path), name=name, tag="1")
    built = _ok(engine.run("image_build", args, diff=True), True)
    assert image_id() == built["image"]["id"]
    _ok(engine.run("image_build", args), False)
    # One changed value: the context.
    (tmp_path / "page.html").write_text("second\n")
    check = _ok(engine.run("image_build", args, check_mode=True, diff=True), True)
    assert image_id() == built["image"]["id"]
    assert check["diff"]["before"] != check["diff"]["after"]
    rebuilt = _ok(engine.run("image_build", args, diff=True), True)
    # Check mode cannot know the id a build will make; it knows the build hash.
    assert check["diff"]["after"]["build_hash"] == rebuilt["diff"]["after"]["build_hash"]
    assert image_id() == rebuilt["image"]["id"] != built["image"]["id"]


@pytest.mark.compat("kapal.docker.image_info", "facts by name")
@on_every_engine("image_info")
def test_image_info(engine):
    want = engine.api.inspect_image(BUSYBOX)["Id"]
    result = _ok(engine.run("image_info", dict(name=[BUSYBOX, PYTHON]), check_mode=True), False)
    assert [image["id"] for image in result["images"]][:1] == [want], result["images"]
    assert len(result["images"]) == 2


@pytest.mark.compat("kapal.docker.image_remove", "remove a tag")
@on_every_engine("image_remove")
def test_image_remove(engine):
    repository = engine.unique("removed")
    for tag in ("1", "2"):
        engine.api.tag(BUSYBOX, repository, tag)
        engine.images.append("%s:%s" % (repository, tag))

    def tags():
        return sorted(t for t in engine.api.inspect_image(BUSYBOX).get("RepoTags") or [] if repository in t)

    workflow(engine, "image_remove", dict(name=repository + ":1"), dict(name=repository + ":2"), unchanged=tags)
    assert tags() == []
    assert engine.api.inspect_image(BUSYBOX)["Id"]


@pytest.mark.compat("kapal.docker.image_tag", "tag, move a tag to another image")
@on_every_engine("image_tag")
def test_image_tag(engine):
    repository = engine.unique("tagged")
    engine.images.extend(["%s:1" % repository, "%s:2" % repository])

    def tags():
        return sorted(t for image in (BUSYBOX, PYTHON) for t in engine.api.inspect_image(image).get("RepoTags") or []
                      if repository in t)

    first, second = workflow(engine, "image_tag", dict(name=BUSYBOX, repository=["%s:1" % repository, "%s:2" % repository]),
                             dict(name=PYTHON, repository=["%s:2" % repository]), unchanged=tags)
    assert first["tagged_images"] == ["%s:1" % repository, "%s:2" % repository], first
    assert second["tagged_images"] == ["%s:2" % repository], second
    assert engine.api.inspect_image("%s:1" % repository)["Id"] == engine.api.inspect_image(BUSYBOX)["Id"]
    assert engine.api.inspect_image("%s:2" % repository)["Id"] == engine.api.inspect_image(PYTHON)["Id"]


@pytest.mark.compat("kapal.docker.image_export, image_load", "save to an archive, load it back")
@on_every_engine("image_export, image_load")
def test_image_export_and_load(engine, tmp_path):
    repository = engine.unique("saved")
    for tag in ("1", "2"):
        engine.api.tag(BUSYBOX, repository, tag)
        engine.images.append("%s:%s" % (repository, tag))
    archive = tmp_path / "saved.tar"

    def saved():
        return archive.read_bytes() if archive.exists() else None

    workflow(engine, "image_export", dict(names=["%s:1" % repository], path=str(archive)),
             dict(names=["%s:1" % repository, "%s:2" % repository], path=str(archive)), unchanged=saved)
    for tag in ("1", "2"):
        engine.api.remove_image("%s:%s" % (repository, tag))
    loaded = _ok(engine.run("image_load", dict(path=str(archive))), True)
    assert sorted(loaded["image_names"]) == ["%s:1" % repository, "%s:2" % repository], loaded
    assert engine.api.inspect_image("%s:2" % repository)["Id"] == engine.api.inspect_image(BUSYBOX)["Id"]
    _ok(engine.run("image_load", dict(path=str(archive))), False)


@pytest.mark.compat("kapal.docker.image_import", "a root filesystem as an image, then changed")
@on_every_engine("image_import")
def test_image_import(engine, tmp_path):
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "motd").write_text("one\n")
    name = engine.unique("imported") + ":1"

    def image_id():
        try:
            image = engine.api.inspect_image(name)
        except docker.errors.NotFound:
            return None
        engine.images.append(image["Id"])
        return image["Id"]

    # Not workflow(): check mode cannot know the id an import makes (its diff's after id is None).
    first = dict(path=str(root), name=name, changes=["CMD [\"/bin/true\"]"])
    second = dict(first, changes=["CMD [\"/bin/false\"]"])
    first_run = _ok(engine.run("image_import", first, diff=True), True)
    _ok(engine.run("image_import", first), False)
    before = image_id()
    check = _ok(engine.run("image_import", second, check_mode=True, diff=True), True)
    assert image_id() == before == first_run["image"]["id"], "check mode changed the image"
    second_run = _ok(engine.run("image_import", second, diff=True), True)
    assert check["diff"]["after"] == dict(second_run["diff"]["after"], id=None), (check["diff"], second_run["diff"])
    assert second_run["image"]["id"] == image_id() != before
    assert engine.api.inspect_image(name)["Config"]["Cmd"] == ["/bin/false"]


# -- containers ---------------------------------------------------------------------------------------

def _container(engine, what, **options):
    return dict(dict(name=engine.unique(what), image=BUSYBOX, command="sleep 3600", stop_timeout=1), **options)


def _container_id(engine, name):
    def current():
        try:
            return engine.api.inspect_container(name)["Id"]
        except docker.errors.NotFound:
            return None
    return current


def container_workflow(engine, first, second):
    first_run, second_run = workflow(engine, "container", first, second, unchanged=_container_id(engine, first["name"]))
    assert second_run["container"]["Id"] != first_run["container"]["Id"]
    return engine.api.inspect_container(first["name"])


_quirk("container: ports", ("podman-4.3",), "Podman 4.3 takes and reports a port published on [::1] but does not "
       "forward it (a connection to it times out; its IPv4 ports answer): the engine's network, not a reader")


@pytest.mark.compat("kapal.docker.container", "published ports, IPv4 and IPv6")
@on_every_engine("container: ports")
def test_container_ports(engine):
    port = claim_port(4)
    first = _container(engine, "ports", command="httpd -f -p 80 -h /var/www",
                       published_ports=["%d:80" % port, "127.0.0.1:%d:80" % (port + 1), "[::1]:%d:80" % (port + 2)])
    second = dict(first, published_ports=first["published_ports"][:2] + ["[::1]:%d:80" % (port + 3)])
    inspect = container_workflow(engine, first, second)
    bindings = inspect["HostConfig"]["PortBindings"]["80/tcp"]
    assert {"HostIp": "::1", "HostPort": str(port + 3)} in bindings, bindings
    if engine.local:
        assert "kapal test busybox" in _fetch("http://127.0.0.1:%d/" % (port + 1))
        assert "kapal test busybox" in _fetch("http://[::1]:%d/" % (port + 3))
    else:
        assert "kapal test busybox" in _fetch("http://%s:%d/" % (engine.address, port))


@pytest.mark.compat("kapal.docker.container", "volumes, healthcheck, ulimits, network mode, env and labels")
@on_every_engine("container: options")
def test_container_options(engine):
    """The options whose engine answers differ most, in one container: given once (check, run, changed=0),
    then each changed (the diff names each one; the recreate applies them; changed=0 again)."""
    volume = engine.unique("data")
    networks = [engine.unique("net1"), engine.unique("net2")]
    for network in networks:
        engine.api.create_network(network)
    # Both ulimits: Podman 4.3 otherwise adds nproc at its maximum, which the test bed cannot raise to.
    first = _container(engine, "options", volumes=["/etc:/host-etc:ro", "%s:/data" % volume],
                       healthcheck=dict(test=["CMD", "true"], interval="5s", retries=3),
                       ulimits=["nofile:1024:2048", "nproc:2048:4096"], network_mode=networks[0],
                       env={"GREETING": "hello"}, labels={"app": "kapal"})
    second = dict(first, volumes=["/etc:/host-etc:ro", "%s:/srv/data" % volume],
                  healthcheck=dict(test=["CMD", "true"], interval="6s", retries=3),
                  ulimits=["nofile:1024:4096", "nproc:2048:4096"], network_mode=networks[1], env={"GREETING": "hi"})
    first_run, second_run = workflow(engine, "container", first, second, unchanged=_container_id(engine, first["name"]))
    assert second_run["container"]["Id"] != first_run["container"]["Id"]
    assert sorted(second_run["diff"]["before"]) == ["env", "healthcheck", "network_mode", "ulimits", "volumes"], \
        second_run["diff"]
    inspect = engine.api.inspect_container(first["name"])
    mounts = dict((m["Destination"], m) for m in inspect["Mounts"])
    assert mounts["/host-etc"]["RW"] is False and mounts["/srv/data"]["Name"] == volume, mounts
    assert inspect["Config"]["Healthcheck"]["Interval"] == 6 * 10 ** 9
    # Podman names it RLIMIT_NOFILE.
    ulimits = [(u["Name"].lower().replace("rlimit_", ""), u["Soft"], u["Hard"]) for u in inspect["HostConfig"]["Ulimits"]]
    assert ("nofile", 1024, 4096) in ulimits, ulimits
    assert list(inspect["NetworkSettings"]["Networks"]) == [networks[1]]
    assert "GREETING=hi" in inspect["Config"]["Env"] and inspect["Config"]["Labels"]["app"] == "kapal"


@pytest.mark.compat("kapal.docker.container", "an option newer than the engine's API (healthcheck.start_interval, API 1.44)")
@on_every_engine("container: newer API")
def test_container_option_newer_than_the_engine(engine):
    """Docker from API 1.44 makes it and compares it (changed=0 on the re-run). An older engine refuses it,
    and so does Podman, which does not implement it (5.8 reports API 1.44 and drops it): before anything
    is done, naming the engine and its version."""
    task = _container(engine, "newer", healthcheck=dict(test=["CMD", "true"], start_period="30s", start_interval="2s"))
    version = engine.api.version()
    podman = engine.facts["kind"] == "podman"
    if _api_of(version) >= (1, 44) and not podman:
        _ok(engine.run("container", task), True)
        _ok(engine.run("container", task), False)
        assert engine.api.inspect_container(task["name"])["Config"]["Healthcheck"]["StartInterval"] == 2 * 10 ** 9
        return
    why = ("is not implemented by Podman's Docker-compatible API (it takes it and drops it)" if _api_of(version) >= (1, 44)
           else "needs Docker API 1.44 or later (Docker 25.0)")
    result = engine.run("container", task)  # check mode fails the same way (test_api_versions.py)
    assert result.failed, result
    assert result["msg"] == "healthcheck.start_interval %s; the engine at %s is %s %s (API %s)" % (
        why, engine.facts["docker_host"], "Podman" if podman else "Docker", version["Version"], version["ApiVersion"])
    assert _container_id(engine, task["name"])() is None


@pytest.mark.compat("kapal.docker.container", "annotations (API 1.43)")
@on_every_engine("container: annotations")
def test_container_annotations(engine):
    """From API 1.43 (Docker 26.1, 28.5; Podman 5.8, which adds annotations of its own) they are made and
    compared: changed=0 on the re-run. An older engine refuses them."""
    task = _container(engine, "annotations", annotations={"org.example.kapal": "one"})
    version = engine.api.version()
    if _api_of(version) >= (1, 43):
        _ok(engine.run("container", task), True)
        _ok(engine.run("container", task), False)
        assert engine.api.inspect_container(task["name"])["HostConfig"]["Annotations"]["org.example.kapal"] == "one"
        return
    result = engine.run("container", task)
    assert result.failed, result
    assert result["msg"] == "annotations needs Docker API 1.43 or later (Docker 24.0); the engine at %s is %s %s (API %s)" % (
        engine.facts["docker_host"], engine.facts["kind"].capitalize(), version["Version"], version["ApiVersion"])
    assert _container_id(engine, task["name"])() is None


def _api_of(version):
    return tuple(int(part) for part in version["ApiVersion"].split("."))


_quirk("container: log options", _PODMAN, "Podman's Docker API reports no log options (LogConfig.Config is null, "
       "whatever was given): on Podman they are not compared, so the task is idempotent there but a change of them "
       "alone is not seen (no reader can see what the engine does not report)")


@pytest.mark.compat("kapal.docker.container", "log driver and options")
@on_every_engine("container: log options")
def test_container_log_options(engine):
    first = _container(engine, "log", log_driver="json-file", log_options={"max-size": "1m"})
    second = dict(first, log_options={"max-size": "2m"})
    inspect = container_workflow(engine, first, second)
    assert inspect["HostConfig"]["LogConfig"]["Config"] == {"max-size": "2m"}


@pytest.mark.compat("kapal.docker.containers", "many containers in one task")
@on_every_engine("containers")
def test_containers(engine):
    items = [dict(name=engine.unique("many-%d" % index), command="sleep 3600") for index in (1, 2)]
    defaults = dict(image=BUSYBOX, stop_timeout=1)
    first = dict(containers=items, defaults=defaults)
    second = dict(containers=[items[0], dict(items[1], command="sleep 3601")], defaults=defaults)

    def ids():
        return [_container_id(engine, item["name"])() for item in items]

    workflow(engine, "containers", first, second, unchanged=ids)
    assert engine.api.inspect_container(items[1]["name"])["Config"]["Cmd"] == ["sleep", "3601"]


@pytest.mark.compat("kapal.docker.container_info", "inspect facts, ps listing")
@on_every_engine("container_info")
def test_container_info(engine):
    name = engine.container("info")
    want = engine.api.inspect_container(name)["Id"]
    result = _ok(engine.run("container_info", dict(name=[name]), check_mode=True), False)
    assert [c["Id"] for c in result["containers"]] == [want], result
    listed = _ok(engine.run("container_info", dict(filters={"name": name})), False)
    assert [c["Id"] for c in listed["containers"]] == [want], listed


@pytest.mark.compat("kapal.docker.container_exec", "exec with a creates guard")
@on_every_engine("container_exec")
def test_container_exec(engine):
    name = engine.container("exec")

    def files():
        return sorted(engine.api.exec_start(engine.api.exec_create(name, ["ls", "/tmp"])["Id"]).decode().split())

    first = dict(container=name, argv=["touch", "/tmp/one"], creates="/tmp/one")
    second = dict(container=name, argv=["touch", "/tmp/two"], creates="/tmp/two")
    workflow(engine, "container_exec", first, second, unchanged=files)
    assert files() == ["one", "two"]
    result = _ok(engine.run("container_exec", dict(container=name, command="cat /etc/hostname")), True)
    assert result["rc"] == 0 and result["stdout"].strip()


# -- compose ------------------------------------------------------------------------------------

def _project(engine, port, role, condition="service_started", wait_timeout=60, ready_after=0):
    """A Compose project as users write one: db (a healthcheck, a named volume; ready ``ready_after``
    seconds after it starts) and web (busybox httpd, a published port, an env value) that depends on it
    (``condition``), on a network of the project's."""
    ready = "sleep %d; touch /tmp/ready; exec sleep 3600" % ready_after
    return dict(project_name=engine.unique("proj"), pull="never", wait_timeout=wait_timeout, definition=dict(
        services=dict(
            db=dict(image=BUSYBOX, command=["sh", "-c", ready], volumes=["data:/data"],
                    healthcheck=dict(test=["CMD", "test", "-f", "/tmp/ready"], interval="1s", retries=30),
                    networks=["back"], stop_grace_period="1s"),
            web=dict(image=BUSYBOX, command=["httpd", "-f", "-p", "80", "-h", "/var/www"], ports=["%d:80" % port],
                     environment=dict(ROLE=role), networks=["back"], stop_grace_period="1s",
                     depends_on=dict(db=dict(condition=condition)))),
        networks=dict(back={}), volumes=dict(data={})))


@pytest.mark.compat("kapal.docker.compose", "a project: volume, network, published port, dependency order")
@on_every_engine("compose")
def test_compose(engine):
    port = claim_port()
    first, second = _project(engine, port, "one"), _project(engine, port, "two")

    def ids():
        label = {"label": "com.docker.compose.project=%s" % first["project_name"]}
        return sorted(entry["Id"] for entry in engine.api.containers(all=True, filters=label))

    first_run, second_run = workflow(engine, "compose", first, second, unchanged=ids)
    assert [(s["state"], s["changed"]) for s in first_run["services"].values()] == [("running", True)] * 2, first_run
    assert second_run["services"]["web"]["changed"] is True and second_run["services"]["db"]["changed"] is False, second_run
    inspect = engine.api.inspect_container("%s-web-1" % first["project_name"])
    assert "ROLE=two" in inspect["Config"]["Env"], inspect["Config"]["Env"]
    assert inspect["Config"]["Labels"]["com.docker.compose.service"] == "web"
    assert "kapal test busybox" in _fetch("http://%s:%d/" % (engine.address, port))


_quirk("compose: healthy dependency", ("podman-4.3", "podman-5.8"), "Podman runs health checks from systemd timers: "
       "on a host whose systemd is not PID 1 (Podman 4.3 on this machine, 5.8 on Debian 14, whose systemd does not boot "
       "on cgroup v1) no check ever runs and the dependency stays 'starting'; the engine, not kapal")


@pytest.mark.compat("kapal.docker.compose", "depends_on: service_healthy (waits for the health check)")
@on_every_engine("compose: healthy dependency")
def test_compose_healthy_dependency(engine):
    project = _project(engine, claim_port(), "one", condition="service_healthy", wait_timeout=12, ready_after=1)
    result = _ok(engine.run("compose", project), True)
    assert [s["state"] for s in result["services"].values()] == ["running", "running"], result
    db = engine.api.inspect_container("%s-db-1" % project["project_name"])
    web = engine.api.inspect_container("%s-web-1" % project["project_name"])
    assert db["State"]["Health"]["Status"] == "healthy"
    # db's check passes a second after it started at the soonest, so web, started once db was healthy,
    # started that much later. (Not the health log's first success: the engine keeps its last 5 checks only.)
    waited = parse_time_ns(web["State"]["StartedAt"]) - parse_time_ns(db["State"]["StartedAt"])
    assert waited >= 10 ** 9, (db["State"]["StartedAt"], web["State"]["StartedAt"])


@pytest.mark.compat("kapal.docker.container_copy", "content into a container, then changed")
@on_every_engine("container_copy")
def test_container_copy(engine):
    name = engine.container("copy")

    def content():
        return engine.api.exec_start(engine.api.exec_create(name, ["cat", "/tmp/kapal.txt"])["Id"]).decode()

    first = dict(container=name, content="one\n", container_path="/tmp/kapal.txt", mode="0640")
    workflow(engine, "container_copy", first, dict(first, content="two\n"), unchanged=content)
    assert content() == "two\n"
    listing = engine.api.exec_start(engine.api.exec_create(name, ["ls", "-l", "/tmp/kapal.txt"])["Id"]).decode()
    assert listing.startswith("-rw-r-----"), listing


@pytest.mark.compat("kapal.docker.prune", "stopped containers by label")
@on_every_engine("prune")
def test_prune(engine):
    label = "%s=%s" % (LABEL, engine.prefix)
    args = dict(containers=True, containers_filters={"label": [label]})
    stopped = engine.unique("stopped")
    engine.api.create_container(BUSYBOX, command=["true"], name=stopped, labels={LABEL: engine.prefix})
    running = engine.container("running", labels={LABEL: engine.prefix})

    def names():
        return sorted(e["Names"][0].lstrip("/") for e in engine.api.containers(all=True, filters={"label": label}))

    before = names()
    check = _ok(engine.run("prune", args, check_mode=True), True)
    assert check["container_names"] == [stopped] and names() == before == sorted([stopped, running]), check
    pruned = _ok(engine.run("prune", args), True)
    assert pruned["container_names"] == [stopped] and names() == [running], pruned
    _ok(engine.run("prune", args), False)


# -- volumes and networks -------------------------------------------------------------------------

@pytest.mark.compat("kapal.docker.volume", "create, recreate on changed labels")
@on_every_engine("volume")
def test_volume(engine):
    name = engine.unique("vol")

    def labels():
        try:
            return engine.api.inspect_volume(name).get("Labels")
        except docker.errors.NotFound:
            return None

    workflow(engine, "volume", dict(name=name, labels={"tier": "1"}),
             dict(name=name, labels={"tier": "2"}, recreate="options-changed"), unchanged=labels)
    assert labels() == {"tier": "2"}


@pytest.mark.compat("kapal.docker.network", "create, recreate on a changed setting")
@on_every_engine("network")
def test_network(engine):
    name = engine.unique("net")

    def internal():
        try:
            return engine.api.inspect_network(name)["Internal"]
        except docker.errors.NotFound:
            return None

    workflow(engine, "network", dict(name=name, labels={"tier": "1"}), dict(name=name, labels={"tier": "1"}, internal=True),
             unchanged=internal)
    assert internal() is True


# -- the plugins ------------------------------------------------------------------------------------

def _ansible(*argv):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="false")
    env.pop("ANSIBLE_PYTHON_INTERPRETER", None)  # the container's own python3 (the inventory's compose says so)
    proc = subprocess.run(list(argv), capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _inventory(engine, tmp_path, label):
    path = tmp_path / "engine.docker.yml"
    path.write_text(json.dumps(dict(plugin="kapal.docker.containers", engines=[engine.connection],
                                    labels={LABEL: label}, compose=dict(ansible_python_interpreter="'/usr/bin/python3'"))))
    return str(path)


@pytest.mark.compat("kapal.docker.containers (inventory)", "containers as hosts")
@on_every_engine("inventory")
def test_inventory_plugin(engine, tmp_path):
    label = engine.prefix
    names = [engine.container("inv-%d" % index, labels={LABEL: label}) for index in (1, 2)]
    engine.container("inv-other")
    listing = json.loads(_ansible(os.path.join(BIN, "ansible-inventory"), "-i", _inventory(engine, tmp_path, label),
                                  "--list"), object_hook=lambda item: item.get("__ansible_unsafe", item))
    hostvars = listing["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(names)
    for name in names:
        assert hostvars[name]["ansible_docker_docker_host"] == engine.facts["docker_host"]
        assert hostvars[name]["docker_id"] == engine.api.inspect_container(name)["Id"]
        assert hostvars[name]["docker_labels"][LABEL] == label


CONNECTION_PLAY = """
- name: Tasks inside a container of the engine, through kapal.docker.docker
  hosts: all
  gather_facts: false
  tasks:
    - name: Copy a file in
      ansible.builtin.copy: {content: "made by kapal\\n", dest: /tmp/page, mode: "0640"}
      register: first
    - name: Copy it again
      ansible.builtin.copy: {content: "made by kapal\\n", dest: /tmp/page, mode: "0640"}
      register: again
    - name: Fetch it back
      ansible.builtin.fetch: {src: /tmp/page, dest: "%s/", flat: true}
    - name: Read its mode inside
      ansible.builtin.command: stat -c %%a /tmp/page
      register: mode
      changed_when: false
    - name: The first copy changed it, the second did not, the mode is kept
      ansible.builtin.assert:
        that: [first is changed, again is not changed, mode.stdout == "640"]
"""


@pytest.mark.compat("kapal.docker.docker (connection)", "tasks inside a container, files both ways")
@on_every_engine("connection")
def test_connection_plugin(engine, tmp_path):
    label = engine.prefix
    engine.container("conn", image=PYTHON, command=("sleep", "infinity"), labels={LABEL: label})
    playbook = tmp_path / "play.yml"
    playbook.write_text(CONNECTION_PLAY % (tmp_path / "fetched"))
    out = _ansible(os.path.join(BIN, "ansible-playbook"), "-i", _inventory(engine, tmp_path, label), str(playbook))
    assert "ok=5 " in out and "failed=0" in out, out  # the last task asserts what changed
    assert (tmp_path / "fetched" / "page").read_text() == "made by kapal\n"


# -- the table is complete -------------------------------------------------------------------------

def test_every_feature_runs_on_every_engine():
    """Each compat test is parametrized with every engine of the test bed, and every quirk names one of them."""
    marked = [value for value in globals().values() if callable(value) and hasattr(value, "pytestmark")
              and any(m.name == "compat" for m in value.pytestmark)]
    assert len(marked) >= 15
    for function in marked:
        params = [m for m in function.pytestmark if m.name == "parametrize"][0].args[1]
        assert [p.values[0] for p in params] == list(testbed_engines.NAMES), function.__name__
    assert set(engine for _feature, engine in QUIRKS) <= set(testbed_engines.NAMES)
