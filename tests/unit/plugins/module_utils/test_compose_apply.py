"""The orchestration of kapal.docker.compose, faked at the module_utils boundary: the engine's
inspect and listing answers are tables; reconcile, network_task and the volume apply are recorders."""

import threading

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._compose import apply as compose_apply
from ansible_collections.kapal.docker.plugins.module_utils._compose.load import load_project
from ansible_collections.kapal.docker.plugins.module_utils._compose.mapping import container_params
from ansible_collections.kapal.docker.plugins.module_utils._container.apply import ItemResult
from ansible_collections.kapal.docker.plugins.module_utils._container.plan import Desired
from ansible_collections.kapal.docker.plugins.module_utils._container.reconcile import Outcome
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError, PartialFailure
from tests.unit.plugins.module_utils.fake_engine import TableEngine

IMAGE = {"Id": "sha256:img", "Config": {}, "RepoTags": ["img:1"]}


class FakeApi:
    def __init__(self, listing):
        self.listing = listing
        self.calls = []
        self.listed = 0

    def containers(self, all=False, filters=None):  # pylint: disable=redefined-builtin
        self.listed += 1
        return list(self.listing)

    def stop(self, container_id):
        self.calls.append(("stop", container_id))

    def remove_container(self, container_id, force=False, v=False):
        self.calls.append(("remove", container_id, v))


class FakeEngine(TableEngine):
    def __init__(self, objects=None, listing=()):
        super().__init__({("image", "img:1"): IMAGE, **(objects or {})}, FakeApi(listing))


def ahead():
    """Whether the batch is the containers made ahead of their layers (in a thread of their own)."""
    return threading.current_thread() is not threading.main_thread()


def made_ahead(desireds):
    return [Outcome(d.name, ItemResult(d.name, changed=True, actions=["create"], container={"Id": "id-" + d.name}))
            for d in desireds]


@pytest.fixture
def recorded(monkeypatch):
    """run_batch, network_task and the volume apply replaced by recorders; run_batch answers 'create'
    (made ahead: 'create' alone, and then 'start')."""
    calls = dict(reconcile=[], ahead=[], waited=[], networks=[], volumes=[], completed=[])

    def run_batch(engine, desireds, taken, check_mode=False, parallel=4, prune_label=None):
        if ahead():
            calls["ahead"].append([(d.name, d.state) for d in desireds])
            return made_ahead(desireds)
        calls["reconcile"].append([(d.name, d.state, sorted(d.values), d.wait) for d in desireds])
        return [Outcome(d.name, ItemResult(d.name, changed=True, container={"Id": "id-" + d.name}, actions=[
            "remove" if d.state == "absent" else "start" if taken.containers.get(d.name) else "create"]))
            for d in desireds]

    monkeypatch.setattr(compose_apply, "run_batch", run_batch)
    monkeypatch.setattr(compose_apply, "wait_completed", lambda engine, name, timeout: calls["completed"].append(name) or {})
    monkeypatch.setattr(compose_apply, "wait", lambda engine, desired, container_id: calls["waited"].append(
        (desired.name, desired.wait, container_id)) or {"Id": container_id})
    monkeypatch.setattr(compose_apply, "network_task", lambda engine, params, check_mode: calls["networks"].append(
        (params["name"], params["state"], check_mode)))
    monkeypatch.setattr(compose_apply, "apply_volume", lambda engine, spec, plan, check_mode: calls["volumes"].append(
        (spec.name, plan.action, check_mode)))
    return calls


DEFINITION = {
    "services": {
        "db": {"image": "img:1", "healthcheck": {"test": ["CMD", "true"]}, "volumes": ["data:/data"]},
        "migrate": {"image": "img:1", "depends_on": {"db": {"condition": "service_healthy"}}},
        "web": {"image": "img:1", "networks": ["front"], "depends_on": {
            "db": {"condition": "service_healthy"}, "migrate": {"condition": "service_completed_successfully"}}},
        "cache": {"image": "img:1"},
    },
    "networks": {"front": {}},
    "volumes": {"data": {}},
}


def params(**given):
    result = dict(project_src=None, files=None, definition=DEFINITION, project_name="proj", env_files=None,
                  profiles=None, services=None, state="present", pull=None, build="missing", recreate="auto",
                  remove_orphans=False, remove_volumes=False, wait=False, wait_timeout=60)
    result.update(given)
    return result


def project(definition=None):
    return load_project(project_name="proj", definition=definition or DEFINITION, environ={})


def entry(name, service, labels=None, state="running", status="Up 1 minute"):
    all_labels = {"com.docker.compose.project": "proj", "com.docker.compose.service": service}
    all_labels.update(labels or {})
    return {"Id": "id-" + name, "Names": ["/" + name], "Labels": all_labels, "State": state, "Status": status}


def test_services_in_dependency_layers():
    assert compose_apply.layers(project()) == [["cache", "db"], ["migrate"], ["web"]]


def test_layers_reconciled_in_order_networks_and_volumes_first(recorded):
    result = compose_apply.compose_task(FakeEngine(), params(), check_mode=False)
    assert [[name for name, _s, _v, _w in call] for call in recorded["reconcile"]] == [
        ["proj-cache-1", "proj-db-1"], ["proj-migrate-1"], ["proj-web-1"]]
    # db is waited for until healthy (a service_healthy dependency), once its layer is started (a container
    # the run made: by the task, not inside the batch); migrate is waited for by wait_completed
    assert recorded["waited"] == [("proj-db-1", "healthy", "id-proj-db-1")]
    assert set(w for call in recorded["reconcile"] for _n, _s, _v, w in call) == {None}
    assert recorded["networks"] == [("proj_default", "present", False), ("proj_front", "present", False)]
    assert recorded["volumes"] == [("proj_data", "create", False)]
    assert recorded["completed"] == ["proj-migrate-1"]  # before web's layer
    # the containers of later layers are made (not started) while the first layer starts
    assert recorded["ahead"] == [[("proj-migrate-1", "present"), ("proj-web-1", "present")]]
    web = next(item for item in result["containers"] if item["name"] == "proj-web-1")
    assert web["actions"] == ["create", "start"] and web["changed"] is True
    assert web["diff"]["before"] == {"state": "absent"} and web["diff"]["after"]["state"] == "running"
    assert result["changed"] is True
    assert result["networks"] == [dict(name="proj_default", action="create"), dict(name="proj_front", action="create")]
    assert result["services"]["web"] == dict(changed=True, containers=["proj-web-1"], state="absent", image="img:1",
                                             published_ports=[])


def test_one_snapshot_per_task_every_layer_is_planned_from_it(recorded, monkeypatch):
    """The engine's state is read once per task (one listing; each container, image, network and volume
    inspected once), whatever the number of layers, and the engine's API is checked once."""
    taken, checked = [], []

    def run_batch(engine, desireds, snapshot, check_mode=False, parallel=4, prune_label=None):
        taken.append(snapshot)
        return made_ahead(desireds) if ahead() else [Outcome(d.name, ItemResult(d.name)) for d in desireds]

    monkeypatch.setattr(compose_apply, "run_batch", run_batch)
    monkeypatch.setattr(compose_apply, "check_engine_api", lambda engine, desireds: checked.append(len(desireds)))
    db = {"Id": "id-proj-db-1", "Name": "/proj-db-1", "Image": "sha256:img"}
    listing = [entry("proj-db-1", "db"), entry("proj-old-1", "old")]
    engine = FakeEngine({("container", "id-proj-db-1"): db}, listing)
    compose_apply.compose_task(engine, params(), check_mode=False)
    assert engine.api.listed == 1
    # three layers and the containers made ahead of theirs, from one snapshot (with what this run made)
    first = taken[0]
    assert len(taken) == 4 and all(s.images is first.images and s.networks is first.networks for s in taken)
    assert first.containers == {"proj-db-1": db, "proj-cache-1": None, "proj-migrate-1": None, "proj-web-1": None}
    assert taken[-1].containers == dict(first.containers, **{"proj-migrate-1": {"Id": "id-proj-migrate-1"},
                                                             "proj-web-1": {"Id": "id-proj-web-1"}})
    assert first.images == {"img:1": IMAGE}
    assert first.networks == {"proj_default", "proj_front"}  # created by the task: not read again
    assert [read for read, count in engine.reads.items() if count > 1] == []
    assert checked == [4]


def test_a_failed_layer_stops_its_dependents(recorded, monkeypatch):
    def run_batch(engine, desireds, taken, check_mode=False, parallel=4, prune_label=None):
        if ahead():
            return made_ahead(desireds)
        recorded["reconcile"].append([d.name for d in desireds])
        return [Outcome(d.name, ItemResult(d.name, error="boom"), "boom") if d.name == "proj-db-1"
                else Outcome(d.name, ItemResult(d.name, changed=True)) for d in desireds]

    monkeypatch.setattr(compose_apply, "run_batch", run_batch)
    engine = FakeEngine()
    with pytest.raises(PartialFailure) as info:
        compose_apply.compose_task(engine, params(), check_mode=False)
    assert recorded["reconcile"] == [["proj-cache-1", "proj-db-1"]]
    # the dependents made ahead are removed again, never started
    assert engine.api.calls == [("remove", "id-proj-migrate-1", True), ("remove", "id-proj-web-1", True)]
    web = info.value.result["containers"][-1]
    assert (web["name"], web["changed"], web["actions"]) == ("proj-web-1", False, ["create", "remove: made ahead, not started"])
    assert str(info.value) == ("compose: 3 of 4 containers failed: proj-db-1: boom; "
                               "proj-migrate-1: skipped: service db failed before it; "
                               "proj-web-1: skipped: service db failed before it")
    assert info.value.result["services"]["cache"]["changed"] is True


def test_check_mode_predicts_containers_on_networks_still_to_create(recorded):
    result = compose_apply.compose_task(FakeEngine(), params(), check_mode=True)
    # Every container is on a network that does not exist yet: predicted here, reconcile never asked.
    assert recorded["reconcile"] == [] and recorded["ahead"] == []  # nothing made ahead in check mode
    assert recorded["networks"] == [("proj_default", "present", True), ("proj_front", "present", True)]
    web = next(item for item in result["containers"] if item["name"] == "proj-web-1")
    assert web["actions"] == ["create", "start"] and web["changed"] is True
    assert web["diff"]["after"]["networks"][0]["name"] == "proj_front"


def test_a_new_container_that_does_not_become_healthy_fails_as_its_wait_would(recorded, monkeypatch):
    def unhealthy(engine, desired, container_id):
        raise KapalError("wait: container %s is unhealthy; last health check output: no" % desired.name)

    monkeypatch.setattr(compose_apply, "wait", unhealthy)
    engine = FakeEngine({("container", "proj-db-1"): {"Id": "id-proj-db-1", "State": {"Status": "running"}}})
    with pytest.raises(PartialFailure) as info:
        compose_apply.compose_task(engine, params(), check_mode=False)
    assert str(info.value).startswith("compose: 3 of 4 containers failed: proj-db-1: wait: container proj-db-1 is "
                                      "unhealthy; last health check output: no; proj-migrate-1: skipped")
    db = next(item for item in info.value.result["containers"] if item["name"] == "proj-db-1")
    assert (db["changed"], db["actions"], db["diff"]) == (True, ["create"], {})
    assert db["container"] == {"Id": "id-proj-db-1", "State": {"Status": "running"}}  # as it is now


def test_a_container_made_ahead_that_cannot_start_is_removed_again(recorded, monkeypatch):
    def run_batch(engine, desireds, taken, check_mode=False, parallel=4, prune_label=None):
        if ahead():
            return made_ahead(desireds)
        return [Outcome(d.name, ItemResult(d.name), "start container proj-web-1: port is already allocated")
                if d.name == "proj-web-1" else Outcome(d.name, ItemResult(d.name, changed=True, actions=["start"]))
                for d in desireds]

    monkeypatch.setattr(compose_apply, "run_batch", run_batch)
    engine = FakeEngine()
    with pytest.raises(PartialFailure) as info:
        compose_apply.compose_task(engine, params(), check_mode=False)
    assert str(info.value) == ("compose: 1 of 4 containers failed: proj-web-1: start container proj-web-1: port is "
                               "already allocated; the new container was removed")
    assert engine.api.calls == [("remove", "id-proj-web-1", True)]
    web = info.value.result["containers"][-1]
    assert (web["changed"], web["actions"], web["container"]) == (
        False, ["create", "remove: the new container could not start"], None)
    migrate = info.value.result["containers"][-2]
    assert (migrate["changed"], migrate["actions"], migrate["error"]) == (True, ["create", "start"], None)


def test_stopped_goes_dependents_first(recorded):
    compose_apply.compose_task(FakeEngine(), params(state="stopped"), check_mode=False)
    assert [[n for n, _s, _v, _w in call] for call in recorded["reconcile"]] == [
        ["proj-web-1"], ["proj-migrate-1"], ["proj-cache-1", "proj-db-1"]]
    assert set(s for call in recorded["reconcile"] for _n, s, _v, _w in call) == {"stopped"}
    assert recorded["ahead"] == []


def desired_of(service, state="started"):
    given = container_params(project(), service)
    return Desired.from_params(dict(given, state=state))


def test_a_container_with_the_services_config_hash_is_compared_by_image_and_state_only():
    desired = desired_of("web")
    same = entry("proj-web-1", "web", {"com.docker.compose.config-hash": desired.values["labels"]["com.docker.compose.config-hash"]})
    other = entry("proj-web-1", "web", {"com.docker.compose.config-hash": "0" * 64})
    assert sorted(compose_apply.adopted(desired, same, "auto").values) == ["image"]
    assert compose_apply.adopted(desired, other, "auto") is desired
    assert compose_apply.adopted(desired, other, "always") is desired
    assert compose_apply.adopted(desired, other, "never").values == {}
    assert compose_apply.adopted(desired, None, "never") is desired
    # another image than the service's local one: planned from the whole service (a recreate from the file)
    same["ImageID"] = "sha256:old"
    assert compose_apply.adopted(desired, same, "auto", image_id="sha256:new") is desired
    assert sorted(compose_apply.adopted(desired, same, "auto", image_id="sha256:old").values) == ["image"]


def test_containers_carry_the_id_of_their_local_image_as_the_compose_cli_compares_it(recorded, monkeypatch):
    # docker compose up recreates a container whose com.docker.compose.image is not its image's id
    labels = {}

    def run_batch(engine, desireds, taken, check_mode=False, parallel=4, prune_label=None):
        labels.update((d.name, d.values["labels"].get("com.docker.compose.image")) for d in desireds)
        return [Outcome(d.name, ItemResult(d.name)) for d in desireds]

    monkeypatch.setattr(compose_apply, "run_batch", run_batch)
    definition = {"services": {"a": {"image": "img:1"}, "b": {"image": "img:1", "pull_policy": "always"},
                               "c": {"image": "gone:1"}}}
    compose_apply.compose_task(FakeEngine(), params(definition=definition), check_mode=False)
    # pull always, or an image still to pull: its id is not known before the container is made
    assert labels == {"proj-a-1": "sha256:img", "proj-b-1": None, "proj-c-1": None}
    compose_apply.compose_task(FakeEngine(), params(definition=definition, pull="never"), check_mode=False)
    assert labels == {"proj-a-1": "sha256:img", "proj-b-1": "sha256:img", "proj-c-1": None}
    # an adopted container (the service's config hash and image) is compared by image and state only
    desired = compose_apply.with_image_label(desired_of("web"), "sha256:img")
    same = entry("proj-web-1", "web", {"com.docker.compose.config-hash": desired.values["labels"]["com.docker.compose.config-hash"]})
    same["ImageID"] = "sha256:img"
    assert sorted(compose_apply.adopted(desired, same, "auto", image_id="sha256:img").values) == ["image"]


def test_a_completed_one_shot_dependency_is_left_as_it_is():
    desired = desired_of("migrate")
    labels = {"com.docker.compose.config-hash": desired.values["labels"]["com.docker.compose.config-hash"]}
    done = entry("proj-migrate-1", "migrate", labels, state="exited", status="Exited (0) 3 minutes ago")
    failed = entry("proj-migrate-1", "migrate", labels, state="exited", status="Exited (1) 3 minutes ago")
    assert compose_apply.adopted(desired, done, "auto", one_shot=True).state == "present"
    assert compose_apply.adopted(desired, failed, "auto", one_shot=True).state == "started"


def test_replicas_beyond_the_scale_are_removed_orphans_only_when_asked(recorded):
    listing = [entry("proj-cache-2", "cache"), entry("proj-old-1", "old")]
    compose_apply.compose_task(FakeEngine(listing=listing), params(), check_mode=False)
    assert recorded["reconcile"][0][0] == ("proj-cache-2", "absent", [], None)
    assert "proj-old-1" not in [n for call in recorded["reconcile"] for n, _s, _v, _w in call]
    recorded["reconcile"].clear()
    compose_apply.compose_task(FakeEngine(listing=listing), params(remove_orphans=True), check_mode=False)
    assert [n for n, s, _v, _w in recorded["reconcile"][0] if s == "absent"] == ["proj-cache-2", "proj-old-1"]


@pytest.mark.parametrize("network, message", [
    ({"Name": "proj_front", "Driver": "bridge", "Labels": {"com.docker.compose.project": "other"}},
     "compose: networks.front: network proj_front exists with label com.docker.compose.project=other, not proj"),
    ({"Name": "proj_front", "Driver": "bridge", "Internal": True, "Labels": {}},
     "compose: networks.front: network proj_front exists with another internal; remove the project (state: absent) "
     "to make it anew"),
])
def test_an_existing_network_that_differs_fails_before_any_change(recorded, network, message):
    engine = FakeEngine({("network", "proj_front"): network})
    with pytest.raises(KapalError) as info:
        compose_apply.compose_task(engine, params(), check_mode=False)
    assert str(info.value) == message
    assert recorded == dict(reconcile=[], ahead=[], waited=[], networks=[], volumes=[], completed=[])


def test_an_existing_compose_network_is_used_as_it_is(recorded):
    network = {"Name": "proj_front", "Driver": "bridge", "Labels": {
        "com.docker.compose.project": "proj", "com.docker.compose.network": "front", "com.docker.compose.version": "2.40.3"}}
    result = compose_apply.compose_task(FakeEngine({("network", "proj_front"): network}), params(), check_mode=False)
    assert recorded["networks"] == [("proj_default", "present", False)]
    assert dict(name="proj_front", action="none") in result["networks"]


def test_with_build_never_a_service_to_build_needs_its_image():
    definition = {"services": {"app": {"build": "."}}}
    with pytest.raises(KapalError) as info:
        compose_apply.compose_task(FakeEngine(), params(definition=definition, project_src="/p", build="never"),
                                   check_mode=False)
    assert str(info.value) == ("compose: services.app: build: image proj-app is not present on Docker Engine at "
                               "unix:///fake.sock and build is never")


def test_images_are_built_first_as_image_build_builds_them(recorded, monkeypatch):
    builds = []

    def build_task(engine, params, check_mode):
        builds.append((params["name"], params["path"], params["dockerfile"], params["build_args"], params["rebuild"],
                       check_mode, list(recorded["networks"])))
        return dict(changed=True, built=True, build_hash="h",
                    diff=dict(before=dict(id=None), after=dict(id=None, build_hash="h")))

    monkeypatch.setattr(compose_apply, "build_task", build_task)
    definition = {"services": {"app": {"build": {"context": "app", "args": {"V": "1"}}}, "web": {"image": "img:1"}}}
    result = compose_apply.compose_task(FakeEngine(), params(definition=definition, project_src="/p"), check_mode=True)
    assert builds == [("proj-app", "/p/app", "Dockerfile", {"V": "1"}, "never", True, [])]  # before any network
    assert result["images"] == [dict(service="app", image="proj-app", built=True, changed=True)]
    app = next(item for item in result["containers"] if item["name"] == "proj-app-1")
    assert app["actions"] == ["create", "start"]
    compose_apply.compose_task(FakeEngine(), params(definition=definition, project_src="/p", build="always"),
                               check_mode=False)
    assert builds[-1][4] == "always"
    with pytest.raises(KapalError) as info:
        compose_apply.compose_task(FakeEngine(), params(definition={"services": {"app": {"build": "https://x/y.git"}}},
                                                        project_src="/p"), check_mode=False)
    assert str(info.value) == ("compose: services.app.build.context: a remote context (https://x/y.git) is not "
                               "supported by kapal.docker")
    with pytest.raises(KapalError) as info:
        compose_apply.compose_task(FakeEngine(), params(definition={"services": {"app": {"build": {"target": "t"}}}}),
                                   check_mode=False)
    assert str(info.value) == "compose: services.app.build.context: a relative context (.) needs project_src"


def test_pull_policy_of_the_task_then_of_the_service(recorded):
    definition = {"services": {"a": {"image": "img:1", "pull_policy": "always"}, "b": {"image": "img:1"},
                               "c": {"image": "img:1", "pull_policy": "daily"}}}
    engine = FakeEngine()
    by_service = compose_apply.desired_containers(
        engine, load_project(project_name="proj", definition=dict(definition, services=dict(
            (k, v) for k, v in definition["services"].items() if k != "c")), environ={}), params())
    assert [d.pull for items in by_service.values() for d in items] == ["always", "missing"]
    by_service = compose_apply.desired_containers(
        engine, load_project(project_name="proj", definition=definition, environ={}), params(pull="never"))
    assert set(d.pull for items in by_service.values() for d in items) == {"never"}
    with pytest.raises(KapalError) as info:
        compose_apply.desired_containers(engine, load_project(project_name="proj", definition=definition, environ={}),
                                         params())
    assert str(info.value).startswith("compose: services.c.pull_policy: daily is not supported by kapal.docker")


def test_wait_asks_for_healthy_where_there_is_a_healthcheck(recorded):
    compose_apply.compose_task(FakeEngine(), params(wait=True), check_mode=False)
    assert dict((n, w) for n, w, _id in recorded["waited"]) == {
        "proj-cache-1": "running", "proj-db-1": "healthy", "proj-web-1": "running"}  # migrate: wait_completed
    # a container that exists is waited for inside the batch (a recreate waits before the old container goes)
    db = {"Id": "id-proj-db-1", "Name": "/proj-db-1", "Image": "sha256:img"}
    recorded["waited"].clear()
    recorded["reconcile"].clear()
    engine = FakeEngine({("container", "id-proj-db-1"): db}, [entry("proj-db-1", "db")])
    compose_apply.compose_task(engine, params(wait=True), check_mode=False)
    assert dict((n, w) for call in recorded["reconcile"] for n, _s, _v, w in call)["proj-db-1"] == "healthy"
    assert "proj-db-1" not in [n for n, _w, _id in recorded["waited"]]


def test_down_removes_dependents_first_then_owned_networks_volumes_only_when_asked():
    listing = [entry("proj-db-1", "db"), entry("proj-web-1", "web", state="exited"), entry("proj-old-1", "old")]
    objects = {("network", "proj_front"): {"Name": "proj_front", "Labels": {"com.docker.compose.project": "proj"}},
               ("network", "proj_default"): {"Name": "proj_default", "Labels": {}},
               ("volume", "proj_data"): {"Name": "proj_data", "Driver": "local", "Labels": {"com.docker.compose.project": "proj"}}}
    engine = FakeEngine(objects, listing)
    check = compose_apply.compose_task(engine, params(state="absent"), check_mode=True)
    assert engine.api.calls == []
    assert [c["name"] for c in check["containers"]] == ["proj-web-1", "proj-db-1"]
    assert check["networks"] == [dict(name="proj_front", action="remove")]  # proj_default is not the project's
    assert check["volumes"] == []
    check = compose_apply.compose_task(engine, params(state="absent", remove_volumes=True, remove_orphans=True),
                                       check_mode=True)
    assert [c["name"] for c in check["containers"]] == ["proj-old-1", "proj-web-1", "proj-db-1"]
    assert check["volumes"] == [dict(name="proj_data", action="remove")]


def test_down_stops_and_removes(monkeypatch):
    removed = []
    monkeypatch.setattr(compose_apply, "network_task", lambda engine, params, check_mode: removed.append(params["name"]))
    engine = FakeEngine(listing=[entry("proj-db-1", "db"), entry("proj-web-1", "web", state="exited")])
    result = compose_apply.compose_task(engine, params(state="absent", remove_volumes=True), check_mode=False)
    assert engine.api.calls == [("remove", "id-proj-web-1", True), ("stop", "id-proj-db-1"), ("remove", "id-proj-db-1", True)]
    assert result["changed"] is True and removed == []
    assert result["services"]["db"] == dict(changed=True, containers=[], state="absent", image="img:1", published_ports=[])


@pytest.mark.parametrize("given, message", [
    (dict(wait_timeout=0), "wait_timeout: expected a positive number of seconds, got 0"),
    (dict(pull="sometimes"), "pull: expected one of missing, always, never, got 'sometimes'"),
    (dict(build="sometimes"), "build: expected one of missing, always, never, got 'sometimes'"),
])
def test_bad_options_fail_naming_them(given, message):
    with pytest.raises(KapalError) as info:
        compose_apply.compose_task(FakeEngine(), params(**given), check_mode=False)
    assert str(info.value) == message


@pytest.mark.parametrize("state, message", [
    (dict(Running=False, ExitCode=0), None),
    (dict(Running=False, ExitCode=3), "wait: container c did not complete successfully: it exited with code 3"),
    (dict(Running=True), "wait: container c has not completed after 0.01s"),
])
def test_wait_completed(state, message):
    engine = FakeEngine({("container", "c"): {"State": state}})
    if message is None:
        assert compose_apply.wait_completed(engine, "c", 0.01) == {"State": state}
        return
    with pytest.raises(KapalError) as info:
        compose_apply.wait_completed(engine, "c", 0.01)
    assert str(info.value) == message


def test_published_ports_as_docker_ps_shows_them():
    inspect = {"NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8081"}], "53/udp": None}}}
    assert compose_apply.published_ports(inspect) == ["127.0.0.1:8081->80/tcp"]


RESTARTING = {
    "services": {
        "db": {"image": "img:1"},
        "web": {"image": "img:1", "depends_on": {"db": {"condition": "service_started", "restart": True}}},
        "worker": {"image": "img:1", "depends_on": {"db": {"condition": "service_started"}}},
    },
}


@pytest.mark.parametrize("db_action, restarted", [
    ("recreate: image changed", ["proj-web-1"]),
    ("create", ["proj-web-1"]),
    ("restart", ["proj-web-1"]),
    ("start", []),
    (None, []),
], ids=["recreated", "created", "restarted", "only-started", "unchanged"])
def test_a_dependent_with_restart_true_is_restarted_after_its_dependency_is_renewed(monkeypatch, db_action, restarted):
    """depends_on restart: true (Compose): web is restarted after db's container was made anew or
    restarted; worker, without it, is not."""
    asked = {}

    def run_batch(engine, desireds, taken, check_mode=False, parallel=4, prune_label=None):
        outcomes = []
        for desired in desireds:
            asked[desired.name] = desired.restart
            actions = [db_action] if desired.name == "proj-db-1" and db_action else []
            outcomes.append(Outcome(desired.name, ItemResult(desired.name, changed=bool(actions), actions=actions)))
        return outcomes

    monkeypatch.setattr(compose_apply, "run_batch", run_batch)
    monkeypatch.setattr(compose_apply, "network_task", lambda engine, params, check_mode: None)
    compose_apply.compose_task(FakeEngine(), params(definition=RESTARTING), check_mode=False)
    assert sorted(name for name, restart in asked.items() if restart) == restarted


def test_a_failed_dependency_restarts_nothing():
    outcomes = {"proj-db-1": Outcome("proj-db-1", ItemResult("proj-db-1", actions=["recreate: image changed"]), "boom")}
    by_service = dict((name, [desired_of_restarting(name)]) for name in ("db", "web"))
    compose_apply.restart_dependents(project(RESTARTING), ["web"], by_service, outcomes)
    assert by_service["web"][0].restart is False


def desired_of_restarting(service):
    return Desired.from_params(dict(container_params(project(RESTARTING), service), state="started"))
