"""kapal.docker.prune against the test bed's engine.

The engine is shared: every prune here (real or check mode) carries the label filter
newmod.prune=<token>, so only what the test made can ever be selected, and the build cache is only
pruned through an id filter that matches nothing. Containers, images, networks and volumes are
named newmod-prune-<token>-...; whatever a test leaves is removed by its fixture.
"""

import io
import tarfile
import uuid

import docker.errors
import pytest

from tests.integration.conftest import run_module

BUSYBOX = "kapal-test/busybox:latest"
KINDS = ("containers", "images", "networks", "volumes")


class Made:
    """What a test made, by kind, for the fixture to remove."""

    def __init__(self, api):
        self.api = api
        self.token = uuid.uuid4().hex[:8]
        self.label = "newmod.prune=" + self.token
        self.labels = {"newmod.prune": self.token}
        self.prefix = "newmod-prune-%s-" % self.token
        self.containers, self.images, self.networks, self.volumes = [], [], [], []

    def container(self, name, state, labels=None, **kwargs):
        command = ["sleep", "300"] if state == "running" else ["true"]
        host_config = self.api.create_host_config(**kwargs.pop("host_config", {}))
        created = self.api.create_container(kwargs.pop("image", BUSYBOX), command, name=self.prefix + name,
                                            labels=dict(self.labels, **(labels or {})), host_config=host_config, **kwargs)
        self.containers.append(created["Id"])
        if state in ("running", "exited"):
            self.api.start(created["Id"])
        if state == "exited":
            self.api.wait(created["Id"], timeout=60)
        return created["Id"]

    def image(self, tag, content, labels=None):
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as tar:
            body = content.encode()
            info = tarfile.TarInfo("newmod.txt")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
        changes = ["LABEL %s=%s" % item for item in dict(self.labels, **(labels or {})).items()]
        repository = self.prefix.rstrip("-") + "/img"
        self.api.import_image_from_data(data.getvalue(), repository=repository, tag=tag, changes=changes)
        image_id = self.api.inspect_image("%s:%s" % (repository, tag))["Id"]
        self.images.append(image_id)
        return image_id

    def network(self, name, labels=None):
        self.networks.append(self.api.create_network(self.prefix + name, labels=dict(self.labels, **(labels or {})))["Id"])
        return self.prefix + name

    def volume(self, name, labels=None, **kwargs):
        self.volumes.append(self.api.create_volume(self.prefix + name, labels=dict(self.labels, **(labels or {})), **kwargs)["Name"])
        return self.prefix + name

    def cleanup(self):
        for container in self.containers:
            _quietly(self.api.remove_container, container, force=True)
        for image in reversed(self.images):
            _quietly(self.api.remove_image, image, force=True)
        for network in self.networks:
            _quietly(self.api.remove_network, network)
        for volume in self.volumes:
            _quietly(self.api.remove_volume, volume)


def _quietly(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except docker.errors.NotFound:
        pass


@pytest.fixture
def made(docker_api):
    made = Made(docker_api)
    try:
        yield made
    finally:
        made.cleanup()


def _exists(api, kind, name):
    inspect = dict(containers=api.inspect_container, images=api.inspect_image, networks=api.inspect_network,
                   volumes=api.inspect_volume)[kind]
    try:
        inspect(name)
        return True
    except docker.errors.NotFound:
        return False


def _args(made, **extra):
    args = {}
    for kind in KINDS:
        args[kind] = True
        args["%s_filters" % kind] = {"label": made.label, "label!": "newmod.keep"}
    args.update(extra)
    return args


def test_check_mode_lists_exactly_what_the_run_removes(made, docker_api):
    # containers: stopped ones go, a running one and one labelled keep stay
    exited = made.container("exited", "exited")
    created = made.container("created", "created")
    running = made.container("running", "running")
    kept = made.container("kept", "exited", labels={"newmod.keep": "1"})
    # images: a dangling one goes; one only a stopped (pruned) container uses goes after it; a tagged one stays
    dangling = made.image("1", "first " + made.token)
    made.image("1", "second " + made.token)  # takes the tag: the first is dangling now
    used = made.image("used", "used " + made.token)
    user = made.container("user", "created", image=used)
    made.image("used", "taker " + made.token)  # takes the tag: dangling, but a container uses it
    tagged = made.image("tagged", "tagged " + made.token)
    # networks: an unused one goes, one a running container uses and one labelled keep stay
    unused_net = made.network("unused")
    busy_net = made.network("busy")
    docker_api.connect_container_to_network(running, busy_net)
    made.network("kept", labels={"newmod.keep": "1"})
    # volumes: an unused one goes, one only a pruned container uses goes after it, one with options stays
    unused_vol = made.volume("unused")
    freed_vol = made.volume("freed")
    made.container("mounter", "created", host_config={"binds": ["%s:/data" % freed_vol]})
    made.volume("tmpfs", driver_opts={"type": "tmpfs", "device": "tmpfs"})

    predicted = run_module("prune", _args(made), check_mode=True, diff=True)
    assert predicted.rc == 0 and predicted["changed"] is True, predicted
    mounter = made.containers[-1]
    assert predicted["containers"] == sorted([exited, created, user, mounter])
    assert predicted["container_names"] == sorted(made.prefix + n for n in ("exited", "created", "user", "mounter"))
    assert predicted["images"] == sorted([dangling, used])
    assert predicted["images_untagged"] == []
    assert predicted["networks"] == [unused_net]
    assert predicted["volumes"] == sorted([unused_vol, freed_vol])
    for kind in ("containers_space_reclaimed", "images_space_reclaimed", "volumes_space_reclaimed"):
        assert predicted[kind] is None
    assert predicted["diff"]["after"] == {kind: [] for kind in KINDS}
    for kind, names in (("containers", predicted["containers"]), ("images", predicted["images"]),
                        ("networks", predicted["networks"]), ("volumes", predicted["volumes"])):
        assert all(_exists(docker_api, kind, name) for name in names), "check mode removed %s" % kind

    pruned = run_module("prune", _args(made), diff=True)
    assert pruned["changed"] is True, pruned
    for kind in ("containers", "container_names", "images", "images_untagged", "networks", "volumes"):
        assert pruned[kind] == predicted[kind], kind
    assert pruned["diff"] == predicted["diff"]
    assert isinstance(pruned["containers_space_reclaimed"], int) and isinstance(pruned["images_space_reclaimed"], int)
    for kind, names in (("containers", pruned["containers"]), ("images", pruned["images"]),
                        ("networks", pruned["networks"]), ("volumes", pruned["volumes"])):
        assert not any(_exists(docker_api, kind, name) for name in names), "%s left behind" % kind
    assert all(_exists(docker_api, "containers", c) for c in (running, kept))
    assert _exists(docker_api, "images", tagged) and _exists(docker_api, "networks", busy_net)

    for check_mode in (True, False):
        again = run_module("prune", _args(made), check_mode=check_mode, diff=True)
        assert again["changed"] is False, again
        assert all(again[kind] == [] for kind in KINDS)


def test_all_images_and_until(made, docker_api):
    tagged = made.image("1", "tagged " + made.token)
    base = {"images": True, "images_filters": {"label": made.label}}
    assert run_module("prune", base, check_mode=True)["images"] == [], "a tagged image is not dangling"
    every = dict(base, images_filters={"label": made.label, "dangling": False})
    for until, expected in (("24h", []), ("2000-01-01T00:00:00Z", []), ("-1h", [tagged]), ("4102444800", [tagged])):
        result = run_module("prune", dict(every, images_filters=dict(every["images_filters"], until=until)), check_mode=True)
        assert result.rc == 0 and result["images"] == expected, (until, result)
        assert result["changed"] is bool(expected)
    kept = run_module("prune", dict(every, images_filters=dict(every["images_filters"], until="24h")))
    assert kept["changed"] is False and _exists(docker_api, "images", tagged), kept

    predicted = run_module("prune", every, check_mode=True)
    pruned = run_module("prune", every)
    assert pruned["changed"] is True and pruned["images"] == predicted["images"] == [tagged], pruned
    assert pruned["images_untagged"] == predicted["images_untagged"] == ["%s/img:1" % made.prefix.rstrip("-")]
    assert not _exists(docker_api, "images", tagged)


def test_containers_until(made, docker_api):
    stopped = made.container("stopped", "exited")
    args = {"containers": True, "containers_filters": {"label": made.label, "until": "24h"}}
    for check_mode in (True, False):
        result = run_module("prune", args, check_mode=check_mode)
        assert result["changed"] is False and result["containers"] == [], result
    assert _exists(docker_api, "containers", stopped)
    args["containers_filters"]["until"] = "-1m"
    assert run_module("prune", args, check_mode=True)["containers"] == [stopped]
    assert run_module("prune", args)["containers"] == [stopped]


def test_build_cache_with_a_filter_that_selects_nothing(made):
    args = {"builder_cache": True, "builder_cache_filters": {"id": "^newmod-%s-none$" % made.token, "until": "1h"}}
    for check_mode in (True, False):
        result = run_module("prune", args, check_mode=check_mode, diff=True)
        assert result.rc == 0 and result["changed"] is False, result
        assert result["builder_cache_caches_deleted"] == [] and result["diff"]["before"] == {"builder_cache": []}


@pytest.mark.parametrize("args, message", [
    ({"containers": True, "containers_filters": {"label": "{label}", "name": "x"}},
     "containers_filters: unsupported filter 'name' (expected one of until, label, label!)"),
    ({"images": True, "images_filters": {"label": "{label}", "dangling": "maybe"}},
     "images_filters: dangling expects true or false, got 'maybe'"),
    ({"containers": True, "containers_filters": {"label": "{label}", "until": "yesterday"}},
     "containers_filters: until expects a duration such as 24h, a date/time such as 2026-01-31T12:00:00Z or "
     "seconds since the epoch, got 'yesterday'"),
    ({"containers": True, "containers_filters": {"label": "{label}", "until": ["1h", "2h"]}},
     "containers_filters: until expects one value, got ['1h', '2h']"),
    ({"volumes": True, "volumes_filters": {"label": "{label}", "all": True}},
     "volumes_filters: all needs Docker Engine API 1.42 or newer; the engine at unix:///var/run/docker.sock speaks 1.41"),
    ({"containers_filters": {"label": "{label}"}}, "containers_filters: given, but containers is not true"),
    ({"builder_cache": True, "builder_cache_filters": {"until": "2026-01-01"}},
     "builder_cache_filters: until expects a duration such as 24h or 90m, got '2026-01-01'"),
    ({"builder_cache": True, "builder_cache_keep_storage": "lots"},
     "builder_cache_keep_storage: expected a size such as 10G or 512M, got 'lots'"),
])
def test_bad_input_fails_in_one_line_and_removes_nothing(made, docker_api, args, message):
    stopped = made.container("stopped", "exited")
    volume = made.volume("v")
    args = dict(args)
    for key, value in list(args.items()):
        if isinstance(value, dict):
            args[key] = {k: (v.format(label=made.label) if isinstance(v, str) else v) for k, v in value.items()}
    for check_mode in (True, False):
        result = run_module("prune", args, check_mode=check_mode)
        assert result.failed and result["msg"].startswith(message), result
        assert "\n" not in result["msg"]
    assert _exists(docker_api, "containers", stopped) and _exists(docker_api, "volumes", volume)
